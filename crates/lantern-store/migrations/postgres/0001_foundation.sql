-- Lantern foundation schema (PostgreSQL). Times are UTC unix milliseconds (BIGINT);
-- calendar dates are ISO 'YYYY-MM-DD' text; flags are 0/1 integers, so the same
-- queries run unchanged on PostgreSQL.
CREATE TABLE orgs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    contact_cadence_days BIGINT NOT NULL DEFAULT 14,
    demo BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);

CREATE TABLE people (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    legal_name TEXT NOT NULL,
    preferred_name TEXT NOT NULL DEFAULT '',
    pronouns TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT,
    languages TEXT NOT NULL DEFAULT '',
    contact_methods TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    voicemail_ok BIGINT NOT NULL DEFAULT 0,
    contact_times TEXT NOT NULL DEFAULT '',
    safe_contact_notes TEXT NOT NULL DEFAULT '',
    strengths TEXT NOT NULL DEFAULT '',
    cultural_preferences TEXT NOT NULL DEFAULT '',
    what_helps TEXT NOT NULL DEFAULT '',
    what_doesnt_help TEXT NOT NULL DEFAULT '',
    stage TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    primary_specialist_id BIGINT,
    last_contact_on TEXT,
    sort_name TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX people_org_primary ON people(org_id, primary_specialist_id, sort_name);
CREATE INDEX people_org_name ON people(org_id, sort_name);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    credentials TEXT NOT NULL DEFAULT '',
    roles BIGINT NOT NULL,
    password_hash TEXT,
    person_id BIGINT REFERENCES people(id),
    active BIGINT NOT NULL DEFAULT 1,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until_ms BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL
);
CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    is_lead BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE care_team (
    person_id BIGINT NOT NULL REFERENCES people(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, user_id)
);
CREATE INDEX care_team_user ON care_team(user_id);

CREATE TABLE enrollment_events (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    on_date TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    actor_id BIGINT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX enrollment_person ON enrollment_events(person_id, created_ms);

CREATE TABLE timeline (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    on_date TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    actor_id BIGINT
);
CREATE INDEX timeline_person ON timeline(person_id, at_ms DESC, id DESC);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    roles BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_by BIGINT,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT
);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    window_start_ms BIGINT NOT NULL,
    failures BIGINT NOT NULL
);

CREATE TABLE audit_head (
    org_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_log (
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    ts_ms BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    person_id BIGINT,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ip TEXT NOT NULL,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX audit_person ON audit_log(person_id, ts_ms);

-- The audit trail is append-only: the database refuses edits and deletions.
CREATE FUNCTION lantern_audit_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION lantern_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION lantern_audit_append_only();
