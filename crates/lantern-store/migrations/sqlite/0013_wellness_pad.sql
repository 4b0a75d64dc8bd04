-- The person's own plans (wellness and action plan, advance directive record,
-- self-advocacy plan): every save is a new, unchangeable version of one kind;
-- the highest is current. `body` is a JSON object of section name -> text.
CREATE TABLE person_plan_versions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    saved_by INTEGER NOT NULL REFERENCES users(id),
    saved_ms INTEGER NOT NULL,
    UNIQUE (person_id, kind, version)
);
CREATE TRIGGER person_plan_versions_no_update BEFORE UPDATE ON person_plan_versions
BEGIN SELECT RAISE(ABORT, 'plan versions are append-only'); END;
CREATE TRIGGER person_plan_versions_no_delete BEFORE DELETE ON person_plan_versions
BEGIN SELECT RAISE(ABORT, 'plan versions are append-only'); END;

-- Copies of a signed advance directive, kept with the record (the newest is
-- current; earlier uploads stay, unchanged).
CREATE TABLE pad_documents (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_ms INTEGER NOT NULL
);
CREATE INDEX pad_documents_person ON pad_documents(person_id, id);
CREATE TRIGGER pad_documents_no_update BEFORE UPDATE ON pad_documents
BEGIN SELECT RAISE(ABORT, 'advance directive documents are append-only'); END;
CREATE TRIGGER pad_documents_no_delete BEFORE DELETE ON pad_documents
BEGIN SELECT RAISE(ABORT, 'advance directive documents are append-only'); END;
