-- Users who talk to the bot. One row per LINE userId; follow state changes with follow/unfollow.
CREATE TABLE users (
    user_id        text PRIMARY KEY,
    follow_state   text NOT NULL DEFAULT 'unknown'
                   CHECK (follow_state IN ('followed', 'unfollowed', 'unknown')),
    followed_at    timestamptz,
    unfollowed_at  timestamptz,
    language       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Every webhook event exactly as LINE sent it, committed before sapo answers 200.
-- ordering_key: events with the same key (user, else group/room, else the event) are handled
-- strictly in (event_ts_ms, id) order.
CREATE TABLE webhook_events (
    id                bigserial PRIMARY KEY,
    webhook_event_id  text NOT NULL UNIQUE,
    ordering_key      text NOT NULL,
    event_type        text NOT NULL,
    mode              text NOT NULL,
    source_type       text NOT NULL DEFAULT '',
    user_id           text,
    reply_token       text,
    event_ts_ms       bigint NOT NULL,
    is_redelivery     boolean NOT NULL DEFAULT false,
    destination       text NOT NULL DEFAULT '',
    raw               jsonb NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'processed', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    last_error        text,
    processed_at      timestamptz
);

-- The dispatcher's only read: the oldest pending event of one key.
CREATE INDEX webhook_events_pending_idx
    ON webhook_events (ordering_key, event_ts_ms, id) WHERE status = 'pending';

-- Messages decided while handling an event, written in the same transaction that marks the event
-- processed, then sent. A crash between commit and send leaves the row to be sent on restart;
-- retry_key makes a repeated push idempotent at LINE.
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     bigint REFERENCES webhook_events (id),
    user_id      text,
    reply_token  text,
    messages     json NOT NULL,  -- json, not jsonb: sent byte for byte as decided
    must_arrive  boolean NOT NULL DEFAULT false,
    retry_key    uuid NOT NULL,
    status       text NOT NULL DEFAULT 'sending'
                 CHECK (status IN ('sending', 'sent', 'failed', 'expired')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    claimed_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);

CREATE INDEX outbox_sending_idx ON outbox (claimed_at) WHERE status = 'sending';
