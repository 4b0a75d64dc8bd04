-- Safety plans: every save is a new, unchangeable version; the highest is current.
-- Contacts are stored one per line as "name<TAB>phone".
CREATE TABLE safety_plans (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    version BIGINT NOT NULL,
    warning_signs TEXT NOT NULL DEFAULT '',
    on_my_own TEXT NOT NULL DEFAULT '',
    people_places TEXT NOT NULL DEFAULT '',
    people_to_ask TEXT NOT NULL DEFAULT '',
    professionals TEXT NOT NULL DEFAULT '',
    safer_surroundings TEXT NOT NULL DEFAULT '',
    matters_most TEXT NOT NULL DEFAULT '',
    saved_by BIGINT NOT NULL REFERENCES users(id),
    saved_ms BIGINT NOT NULL,
    UNIQUE (person_id, version)
);
CREATE FUNCTION lantern_safety_plans_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER safety_plans_append_only BEFORE UPDATE OR DELETE ON safety_plans
FOR EACH ROW EXECUTE FUNCTION lantern_safety_plans_append_only();

-- The crisis lines an organization shows on every safety plan (dated: menus change).
-- An organization without rows shows the defaults (988 and 911).
CREATE TABLE crisis_lines (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    position BIGINT NOT NULL,
    label TEXT NOT NULL,
    call_number TEXT NOT NULL DEFAULT '',
    text_number TEXT NOT NULL DEFAULT '',
    chat_url TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    checked_on TEXT NOT NULL
);
CREATE INDEX crisis_lines_org ON crisis_lines(org_id, position);
