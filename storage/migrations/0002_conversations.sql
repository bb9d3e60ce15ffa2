-- Every version of every flow. Drafts are edited in place until published; a published version
-- never changes again, because conversations that started on it finish on it.
CREATE TABLE flow_versions (
    flow_id       text NOT NULL,
    version       integer NOT NULL CHECK (version > 0),
    status        text NOT NULL CHECK (status IN ('draft', 'published')),
    definition    text NOT NULL,  -- the operator's JSON byte for byte (formatting and order kept)
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    published_by  text,
    published_at  timestamptz,
    PRIMARY KEY (flow_id, version)
);

-- At most one draft per flow: the next version being prepared.
CREATE UNIQUE INDEX flow_versions_one_draft ON flow_versions (flow_id) WHERE status = 'draft';

-- The conversation each user is in: at most one. A row is deleted when its conversation ends.
CREATE TABLE sessions (
    user_id        text PRIMARY KEY,
    flow_id        text NOT NULL,
    flow_version   integer NOT NULL,
    node           text NOT NULL,
    waiting        text NOT NULL CHECK (waiting IN ('input', 'confirm', 'effect')),
    variables      jsonb NOT NULL DEFAULT '{}',
    invalid_count  integer NOT NULL DEFAULT 0,
    pending        jsonb,
    started_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    FOREIGN KEY (flow_id, flow_version) REFERENCES flow_versions (flow_id, version)
);

CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Who changed what through the admin API or the CLI, and when.
CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor     text NOT NULL,
    action    text NOT NULL,   -- e.g. flow.import, flow.draft.put, flow.publish
    subject   text NOT NULL,   -- e.g. flow:welcome
    details   jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);
