-- The consultation FAQ: the entries operators edit (replaced as a whole set or one at a time),
-- a version every change bumps so each instance rebuilds its index, and the questions it could
-- not answer (text and time only: no user id), for operators to see what to add.
CREATE TABLE faq_entries (
    id          text PRIMARY KEY,
    position    integer NOT NULL,  -- order in the set, as operators wrote it
    category    text NOT NULL,
    question    text NOT NULL,
    phrasings   jsonb NOT NULL DEFAULT '[]',
    answer_ja   text NOT NULL,
    answer_en   text NOT NULL,
    links       jsonb NOT NULL DEFAULT '[]',
    enabled     boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE faq_state (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version    bigint NOT NULL
);
INSERT INTO faq_state (version) VALUES (0);

CREATE TABLE faq_misses (
    id        bigserial PRIMARY KEY,
    text      text NOT NULL,
    reason    text NOT NULL CHECK (reason IN ('no_match', 'not_helpful')),
    entry_id  text,  -- the answer that did not help
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX faq_misses_at_idx ON faq_misses (at);
