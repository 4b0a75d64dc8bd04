-- Lantern foundation schema (SQLite). Times are UTC unix milliseconds (INTEGER);
-- calendar dates are ISO 'YYYY-MM-DD' text; flags are 0/1 integers, so the same
-- queries run unchanged on PostgreSQL.
CREATE TABLE orgs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    contact_cadence_days INTEGER NOT NULL DEFAULT 14,
    demo INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    legal_name TEXT NOT NULL,
    preferred_name TEXT NOT NULL DEFAULT '',
    pronouns TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT,
    languages TEXT NOT NULL DEFAULT '',
    contact_methods TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    voicemail_ok INTEGER NOT NULL DEFAULT 0,
    contact_times TEXT NOT NULL DEFAULT '',
    safe_contact_notes TEXT NOT NULL DEFAULT '',
    strengths TEXT NOT NULL DEFAULT '',
    cultural_preferences TEXT NOT NULL DEFAULT '',
    what_helps TEXT NOT NULL DEFAULT '',
    what_doesnt_help TEXT NOT NULL DEFAULT '',
    stage TEXT NOT NULL,
    stage_since TEXT NOT NULL,
    primary_specialist_id INTEGER,
    last_contact_on TEXT,
    sort_name TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX people_org_primary ON people(org_id, primary_specialist_id, sort_name);
CREATE INDEX people_org_name ON people(org_id, sort_name);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    credentials TEXT NOT NULL DEFAULT '',
    roles INTEGER NOT NULL,
    password_hash TEXT,
    person_id INTEGER REFERENCES people(id),
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until_ms INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL
);
CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    is_lead INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE care_team (
    person_id INTEGER NOT NULL REFERENCES people(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    role TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (person_id, user_id)
);
CREATE INDEX care_team_user ON care_team(user_id);

CREATE TABLE enrollment_events (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    on_date TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    actor_id INTEGER,
    created_ms INTEGER NOT NULL
);
CREATE INDEX enrollment_person ON enrollment_events(person_id, created_ms);

CREATE TABLE timeline (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    on_date TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    actor_id INTEGER
);
CREATE INDEX timeline_person ON timeline(person_id, at_ms DESC, id DESC);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    roles INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_by INTEGER,
    expires_ms INTEGER NOT NULL,
    used_ms INTEGER
);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    failures INTEGER NOT NULL
);

CREATE TABLE audit_head (
    org_id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE audit_log (
    org_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    actor_id INTEGER,
    action TEXT NOT NULL,
    person_id INTEGER,
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
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
