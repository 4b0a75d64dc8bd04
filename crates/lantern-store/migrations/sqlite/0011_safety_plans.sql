-- Safety plans: every save is a new, unchangeable version; the highest is current.
-- Contacts are stored one per line as "name<TAB>phone".
CREATE TABLE safety_plans (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    version INTEGER NOT NULL,
    warning_signs TEXT NOT NULL DEFAULT '',
    on_my_own TEXT NOT NULL DEFAULT '',
    people_places TEXT NOT NULL DEFAULT '',
    people_to_ask TEXT NOT NULL DEFAULT '',
    professionals TEXT NOT NULL DEFAULT '',
    safer_surroundings TEXT NOT NULL DEFAULT '',
    matters_most TEXT NOT NULL DEFAULT '',
    saved_by INTEGER NOT NULL REFERENCES users(id),
    saved_ms INTEGER NOT NULL,
    UNIQUE (person_id, version)
);
CREATE TRIGGER safety_plans_no_update BEFORE UPDATE ON safety_plans
BEGIN SELECT RAISE(ABORT, 'safety plan versions are append-only'); END;
CREATE TRIGGER safety_plans_no_delete BEFORE DELETE ON safety_plans
BEGIN SELECT RAISE(ABORT, 'safety plan versions are append-only'); END;

-- The crisis lines an organization shows on every safety plan (dated: menus change).
-- An organization without rows shows the defaults (988 and 911).
CREATE TABLE crisis_lines (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    call_number TEXT NOT NULL DEFAULT '',
    text_number TEXT NOT NULL DEFAULT '',
    chat_url TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    checked_on TEXT NOT NULL
);
CREATE INDEX crisis_lines_org ON crisis_lines(org_id, position);
