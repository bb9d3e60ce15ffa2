-- Two sessions making the same month's partition at once (two instances starting, or a check-in
-- beside the hourly upkeep) could both pass the second to_regclass() check: taking an advisory
-- lock does not make PostgreSQL read the catalog changes committed meanwhile, so the second
-- CREATE failed with "relation already exists". IF NOT EXISTS looks the name up after locking the
-- schema, which does read them; the handler covers what is left.
CREATE OR REPLACE FUNCTION sapo_ensure_checkin_partition(at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    month_start date := date_trunc('month', at AT TIME ZONE 'UTC')::date;
    name text := 'checkins_p' || to_char(month_start, 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('sapo:checkin_partitions'));
        BEGIN
            EXECUTE format(
                'CREATE TABLE IF NOT EXISTS %I PARTITION OF checkins FOR VALUES FROM (%L) TO (%L)',
                name,
                month_start::timestamp AT TIME ZONE 'UTC',
                (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        EXCEPTION WHEN duplicate_table THEN
            NULL;  -- made by the other session: what we wanted
        END;
    END IF;
    RETURN name;
END
$$;
