-- The person's own plans (wellness and action plan, advance directive record,
-- self-advocacy plan): every save is a new, unchangeable version of one kind;
-- the highest is current. `body` is a JSON object of section name -> text.
CREATE TABLE person_plan_versions (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    saved_by BIGINT NOT NULL REFERENCES users(id),
    saved_ms BIGINT NOT NULL,
    UNIQUE (person_id, kind, version)
);
CREATE FUNCTION lantern_wellness_pad_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER person_plan_versions_append_only BEFORE UPDATE OR DELETE ON person_plan_versions
FOR EACH ROW EXECUTE FUNCTION lantern_wellness_pad_append_only();

-- Copies of a signed advance directive, kept with the record (the newest is
-- current; earlier uploads stay, unchanged).
CREATE TABLE pad_documents (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    uploaded_ms BIGINT NOT NULL
);
CREATE INDEX pad_documents_person ON pad_documents(person_id, id);
CREATE TRIGGER pad_documents_append_only BEFORE UPDATE OR DELETE ON pad_documents
FOR EACH ROW EXECUTE FUNCTION lantern_wellness_pad_append_only();
