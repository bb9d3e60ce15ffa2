-- The daily health report for patients in home care (HER-SYS's スマホ入力 in LINE): patients
-- registered by the health centre with a one-time enrollment code, the reports they send, the
-- alerts their answers raise, and the scheduled prompts (09:00 prompt, 10:00 reminder, the closing
-- message after the monitoring period), each (patient, date, slot) claimed once by a primary key.
CREATE TABLE patients (
    id               bigserial PRIMARY KEY,
    label            text NOT NULL,            -- how operators know the patient (no name needed)
    monitoring_from  date NOT NULL,            -- Asia/Tokyo, inclusive
    monitoring_to    date NOT NULL,            -- Asia/Tokyo, inclusive
    phone            text,
    risk             text,
    pulse_oximeter   boolean NOT NULL DEFAULT false,
    enrollment_code  text,                     -- 7 digits, cleared once used
    code_expires_at  timestamptz,
    user_id          text,                     -- the LINE user, once enrolled
    enrolled_at      timestamptz,
    ended_at         timestamptz,              -- monitoring stopped by an operator
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (monitoring_to >= monitoring_from)
);
CREATE UNIQUE INDEX patients_code_idx ON patients (enrollment_code) WHERE enrollment_code IS NOT NULL;
-- One LINE account reports for one patient at a time.
CREATE UNIQUE INDEX patients_user_idx ON patients (user_id) WHERE user_id IS NOT NULL AND ended_at IS NULL;
CREATE INDEX patients_period_idx ON patients (monitoring_to, monitoring_from) WHERE ended_at IS NULL;

-- Enrollment codes sent in LINE, right or wrong: 5 wrong ones in 10 minutes lock the user out.
CREATE TABLE enrollment_attempts (
    user_id       text NOT NULL,
    attempted_at  timestamptz NOT NULL,
    ok            boolean NOT NULL
);
CREATE INDEX enrollment_attempts_user_idx ON enrollment_attempts (user_id, attempted_at);

-- Complete reports only (a report in progress is the patient's conversation). Several a day are
-- allowed; the newest counts.
CREATE TABLE health_reports (
    id            bigserial PRIMARY KEY,
    patient_id    bigint NOT NULL REFERENCES patients (id),
    report_date   date NOT NULL,               -- Asia/Tokyo
    run           text NOT NULL,               -- the conversation that made it (its alerts share it)
    completed_at  timestamptz NOT NULL,
    temperature   numeric(3, 1),               -- °C; null when not measured
    spo2          integer,
    answers       jsonb NOT NULL,
    flags         text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX health_reports_day_idx ON health_reports (report_date, patient_id, completed_at DESC);

-- A red flag: raised the moment the answer that shows it is given (not when the report ends), one
-- row per reason and conversation, pushed to the operators' LINE group, acknowledged by an operator.
CREATE TABLE alerts (
    id           bigserial PRIMARY KEY,
    patient_id   bigint NOT NULL REFERENCES patients (id),
    run          text NOT NULL,
    reason       text NOT NULL,
    detail       text NOT NULL DEFAULT '',
    raised_at    timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged')),
    acked_by     text,
    acked_at     timestamptz,
    UNIQUE (patient_id, run, reason)
);
CREATE INDEX alerts_open_idx ON alerts (raised_at) WHERE state = 'open';

-- One claim of a slot (a morning prompt, a reminder, closing messages): the messages it sends.
CREATE TABLE health_prompt_runs (
    id           bigserial PRIMARY KEY,
    prompt_date  date NOT NULL,
    slot         text NOT NULL CHECK (slot IN ('morning', 'reminder', 'closing')),
    messages_ja  json NOT NULL,                -- a JSON array of LINE messages
    messages_en  json NOT NULL,
    created_at   timestamptz NOT NULL
);

-- Who is prompted: the primary key is what makes each (patient, date, slot) go out once, whatever
-- the number of instances or restarts.
CREATE TABLE health_prompts (
    patient_id   bigint NOT NULL,
    prompt_date  date NOT NULL,
    slot         text NOT NULL,
    user_id      text NOT NULL,
    language     text NOT NULL,
    run_id       bigint NOT NULL,
    batch_no     integer NOT NULL,
    claimed_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    PRIMARY KEY (patient_id, prompt_date, slot)
);
CREATE UNIQUE INDEX health_prompts_closing_idx ON health_prompts (patient_id) WHERE slot = 'closing';
CREATE INDEX health_prompts_batch_idx ON health_prompts (run_id, batch_no);

-- One multicast of a run (≤ 500 users, one language) with the retry key made before its first
-- send, sent like a notification batch.
CREATE TABLE health_prompt_batches (
    run_id           bigint NOT NULL REFERENCES health_prompt_runs (id),
    batch_no         integer NOT NULL,
    language         text NOT NULL,
    recipients       integer NOT NULL,
    retry_key        uuid NOT NULL UNIQUE,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    last_error       text,
    request_id       text,
    accepted_at      timestamptz,
    PRIMARY KEY (run_id, batch_no)
);
CREATE INDEX health_prompt_batches_due_idx ON health_prompt_batches (next_attempt_at) WHERE status = 'pending';
