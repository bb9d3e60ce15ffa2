-- The personal-support questionnaire: answers kept for the prefecture's totals only when the
-- person consented, without the user and with the postal code cut to its first 3 digits; the
-- follow-up asked again after a few days; and who said 配信停止.
CREATE TABLE questionnaire_answers (
    id             bigserial PRIMARY KEY,
    answered_at    timestamptz NOT NULL,
    answered_date  date NOT NULL,            -- Asia/Tokyo
    age_band       text,
    outcome        text NOT NULL,
    area           text,                     -- the postal code's first 3 digits; null when not given
    centre         text,                     -- the prefix of the centre shown ('*': the fallback)
    answers        jsonb NOT NULL
);
CREATE INDEX questionnaire_answers_date_idx ON questionnaire_answers (answered_date);

-- One follow-up per user at a time: a new questionnaire replaces the pending one.
CREATE TABLE support_followups (
    user_id     text PRIMARY KEY,
    outcome     text NOT NULL,
    due_at      timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'stopped')),
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz
);
CREATE INDEX support_followups_due_idx ON support_followups (due_at) WHERE status = 'pending';

-- 配信停止: no follow-up is scheduled for these users again.
CREATE TABLE support_optouts (
    user_id  text PRIMARY KEY,
    at       timestamptz NOT NULL
);
