-- Certifications and continuing education (issue 9, items 1 and 5).
-- A credential is held by a staff member under a renewal rule shipped with
-- Lantern (`rule_id`, e.g. `icrc-pr`); its expiry date ends the current period.
CREATE TABLE credentials (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    rule_id TEXT NOT NULL,
    board TEXT NOT NULL,
    credential_number TEXT NOT NULL DEFAULT '',
    certified_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX credentials_user ON credentials(user_id);
CREATE INDEX credentials_expiry ON credentials(org_id, expires_on);

-- Training records (CE hours). `category_minutes` is "ethics=120;peer=60".
CREATE TABLE trainings (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    completed_on TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    category_minutes TEXT NOT NULL DEFAULT '',
    course_id TEXT NOT NULL DEFAULT '',
    delivery TEXT NOT NULL DEFAULT '',
    approval_number TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL
);
CREATE INDEX trainings_user ON trainings(user_id, completed_on);

-- A training's certificate (PDF, PNG or JPEG, checked by its first bytes).
CREATE TABLE training_certificates (
    training_id INTEGER PRIMARY KEY REFERENCES trainings(id),
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL
);

-- Competency frameworks an organization adds (the SAMHSA framework ships with Lantern).
CREATE TABLE competency_frameworks (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    fw_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    added_by INTEGER NOT NULL REFERENCES users(id),
    added_ms INTEGER NOT NULL,
    UNIQUE (org_id, fw_key, version)
);
CREATE TRIGGER competency_frameworks_no_update BEFORE UPDATE ON competency_frameworks
BEGIN SELECT RAISE(ABORT, 'framework versions are append-only'); END;
CREATE TRIGGER competency_frameworks_no_delete BEFORE DELETE ON competency_frameworks
BEGIN SELECT RAISE(ABORT, 'framework versions are append-only'); END;
