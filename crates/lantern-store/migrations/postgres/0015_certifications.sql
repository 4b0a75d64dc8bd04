-- Certifications and continuing education (issue 9, items 1 and 5).
-- A credential is held by a staff member under a renewal rule shipped with
-- Lantern (`rule_id`, e.g. `icrc-pr`); its expiry date ends the current period.
CREATE TABLE credentials (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    rule_id TEXT NOT NULL,
    board TEXT NOT NULL,
    credential_number TEXT NOT NULL DEFAULT '',
    certified_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX credentials_user ON credentials(user_id);
CREATE INDEX credentials_expiry ON credentials(org_id, expires_on);

-- Training records (CE hours). `category_minutes` is "ethics=120;peer=60".
CREATE TABLE trainings (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    completed_on TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    category_minutes TEXT NOT NULL DEFAULT '',
    course_id TEXT NOT NULL DEFAULT '',
    delivery TEXT NOT NULL DEFAULT '',
    approval_number TEXT NOT NULL DEFAULT '',
    created_ms BIGINT NOT NULL
);
CREATE INDEX trainings_user ON trainings(user_id, completed_on);

-- A training's certificate (PDF, PNG or JPEG, checked by its first bytes).
CREATE TABLE training_certificates (
    training_id BIGINT PRIMARY KEY REFERENCES trainings(id),
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    data BYTEA NOT NULL
);

-- Competency frameworks an organization adds (the SAMHSA framework ships with Lantern).
CREATE TABLE competency_frameworks (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    fw_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    added_by BIGINT NOT NULL REFERENCES users(id),
    added_ms BIGINT NOT NULL,
    UNIQUE (org_id, fw_key, version)
);
CREATE FUNCTION lantern_competency_frameworks_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER competency_frameworks_append_only BEFORE UPDATE OR DELETE ON competency_frameworks
FOR EACH ROW EXECUTE FUNCTION lantern_competency_frameworks_append_only();
