-- Deployment-wide settings of the community directory (one row).
-- public_read: anyone may read /hsds/ without signing in.
-- stale_after_days: a listing not confirmed for this long is flagged as possibly out of date.
-- time_zone: where "open now" is judged for community listings ('' = the first organization's).
CREATE TABLE dir_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    public_read INTEGER NOT NULL DEFAULT 0,
    stale_after_days INTEGER NOT NULL DEFAULT 365,
    time_zone TEXT NOT NULL DEFAULT '',
    updated_ms INTEGER NOT NULL DEFAULT 0
);
INSERT INTO dir_settings (id) VALUES (1);
