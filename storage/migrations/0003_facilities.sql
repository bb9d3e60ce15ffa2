-- Facilities that residents check in at, with their check-in codes derived from the id (HMAC; see
-- bot/facility/code.cpp), so nothing secret is stored per facility.
CREATE TABLE facilities (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL,
    kind             text NOT NULL,
    address          text NOT NULL DEFAULT '',
    phone            text NOT NULL DEFAULT '',
    manager_user_id  text,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz
);

-- Who may act for a facility in LINE: its manager, and employees who gave the day's keyword.
CREATE TABLE facility_staff (
    facility_id  bigint NOT NULL REFERENCES facilities (id),
    user_id      text NOT NULL,
    role         text NOT NULL CHECK (role IN ('manager', 'employee')),
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (facility_id, user_id)
);
CREATE INDEX facility_staff_user_idx ON facility_staff (user_id);

-- A check-in keeps only who (LINE userId), where and when. Partitioned by month (UTC) so that
-- retention is a DROP of whole partitions; partitions are made on demand by
-- sapo_ensure_checkin_partition() and removed by `sapo purge`.
CREATE TABLE checkins (
    user_id        text NOT NULL,
    facility_id    bigint NOT NULL,
    checked_in_at  timestamptz NOT NULL
) PARTITION BY RANGE (checked_in_at);

-- The notification fan-out: everyone at a facility in a time window.
CREATE INDEX checkins_facility_time_idx ON checkins (facility_id, checked_in_at);
-- The 30-minute repeat check: this user at this facility lately.
CREATE INDEX checkins_user_facility_time_idx ON checkins (user_id, facility_id, checked_in_at);

CREATE FUNCTION sapo_ensure_checkin_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', at AT TIME ZONE 'UTC')::date;
    name text := 'checkins_p' || to_char(month_start, 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        -- two transactions creating the same month must not both try
        PERFORM pg_advisory_xact_lock(hashtext('sapo:checkin_partitions'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF checkins FOR VALUES FROM (%L) TO (%L)',
                name,
                month_start::timestamp AT TIME ZONE 'UTC',
                (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        END IF;
    END IF;
    RETURN name;
END
$$;

-- Values sapo generates once and keeps (e.g. the check-in code key when SAPO_CHECKIN_KEY is not
-- set): losing one would invalidate every printed poster.
CREATE TABLE app_secrets (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
