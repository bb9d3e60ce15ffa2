-- Notifications to everyone who checked in at a facility in a time window (the fan-out).
-- A notification is drafted (by an operator or a facility manager in LINE), approved by a second
-- operator, which freezes its recipients and batches, then sent batch by batch by the job runner.
CREATE TABLE notifications (
    id                 bigserial PRIMARY KEY,
    facility_id        bigint NOT NULL REFERENCES facilities (id),
    window_date        date NOT NULL,          -- Asia/Tokyo
    window_from        text NOT NULL,          -- "HH:MM", Asia/Tokyo
    window_to          text NOT NULL,
    window_start       timestamptz NOT NULL,   -- check-ins at or after this instant
    window_end         timestamptz NOT NULL,   -- and before this one
    template_id        text NOT NULL,
    params             jsonb NOT NULL DEFAULT '{}',
    text_ja            text NOT NULL,          -- rendered at creation: what is approved is what is sent
    text_en            text NOT NULL,
    status             text NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'approved', 'sending', 'done', 'cancelled', 'failed')),
    requested_by       text NOT NULL,          -- operator name, or 'line:manager' for a request from LINE
    requested_by_user  text,                   -- the LINE user who asked (told when it has been sent)
    approved_by        text,
    cancelled_by       text,
    targets            integer,                -- recipients frozen at approval
    created_at         timestamptz NOT NULL DEFAULT now(),
    approved_at        timestamptz,
    started_at         timestamptz,
    finished_at        timestamptz
);
CREATE INDEX notifications_status_idx ON notifications (status) WHERE status IN ('approved', 'sending');

-- One multicast: up to 500 recipients of one language, and the X-Line-Retry-Key made before its
-- first send and reused on every retry, so LINE accepts each batch at most once.
CREATE TABLE notification_batches (
    notification_id  bigint NOT NULL REFERENCES notifications (id),
    batch_no         integer NOT NULL,
    language         text NOT NULL,
    recipients       integer NOT NULL,
    retry_key        uuid NOT NULL UNIQUE,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'accepted', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,                  -- LINE's last HTTP status; 0 when there was no answer
    last_error       text,
    request_id       text,                     -- X-Line-Request-Id of the accepted send
    first_sent_at    timestamptz,
    accepted_at      timestamptz,
    PRIMARY KEY (notification_id, batch_no)
);
-- The job runner's only read: due batches.
CREATE INDEX notification_batches_due_idx ON notification_batches (next_attempt_at) WHERE status = 'pending';

-- Who was told, for audit: frozen at approval, accepted_at set when their batch was accepted.
-- Operators see counts only, never these user ids.
-- No foreign key to notifications: it would be checked row by row (0.5 s of a 100,000-row
-- freeze), and the only writer inserts them in the transaction that holds the notification's
-- row lock. fillfactor 45 leaves room on each page for the accepted_at update, which then stays
-- a HOT update (no index writes, a fraction of the WAL).
CREATE TABLE notification_recipients (
    notification_id  bigint NOT NULL,
    user_id          text NOT NULL,
    language         text NOT NULL,
    batch_no         integer NOT NULL,
    accepted_at      timestamptz,
    PRIMARY KEY (notification_id, user_id)
) WITH (fillfactor = 45);
CREATE INDEX notification_recipients_batch_idx ON notification_recipients (notification_id, batch_no);

-- The target query leaves out users who blocked the bot: a few among many, found by this index
-- instead of a scan of every user.
CREATE INDEX users_unfollowed_idx ON users (user_id) WHERE follow_state = 'unfollowed';
