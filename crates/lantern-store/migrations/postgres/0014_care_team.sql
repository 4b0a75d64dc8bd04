-- Care team and handoffs (issue 8 item 7), and crisis follow-ups (item 6).
-- Staff roles on a care team become codes (lantern_domain::care_team::TeamRole).
UPDATE care_team SET role = CASE
    WHEN lower(role) IN ('backup specialist', 'backup_specialist') THEN 'backup_specialist'
    WHEN lower(role) = 'supervisor' THEN 'supervisor'
    WHEN lower(role) = 'clinician' THEN 'clinician'
    WHEN lower(role) IN ('care coordinator', 'care_coordinator') THEN 'care_coordinator'
    ELSE 'other' END;

CREATE TABLE team_providers (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    name TEXT NOT NULL,
    organization TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    directory_org_id TEXT NOT NULL DEFAULT '',
    added_by BIGINT REFERENCES users(id),
    added_ms BIGINT NOT NULL,
    removed_ms BIGINT,
    removed_by BIGINT REFERENCES users(id)
);
CREATE INDEX team_providers_person ON team_providers(person_id, added_ms);

CREATE TABLE team_tasks (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    crisis_event_id BIGINT REFERENCES crisis_events(id),
    title TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    owner_id BIGINT NOT NULL REFERENCES users(id),
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_by BIGINT REFERENCES users(id),
    created_ms BIGINT NOT NULL,
    done_by BIGINT REFERENCES users(id),
    done_ms BIGINT
);
CREATE INDEX team_tasks_person ON team_tasks(person_id, status, due_on);
CREATE INDEX team_tasks_owner ON team_tasks(owner_id, status, due_on);
CREATE INDEX team_tasks_crisis ON team_tasks(crisis_event_id);

CREATE TABLE handoffs (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    from_user BIGINT REFERENCES users(id),
    to_user BIGINT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    written_by BIGINT REFERENCES users(id),
    created_ms BIGINT NOT NULL,
    acknowledged_ms BIGINT
);
CREATE INDEX handoffs_person ON handoffs(person_id, created_ms);
CREATE INDEX handoffs_to ON handoffs(to_user, acknowledged_ms);

CREATE TABLE team_shares (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    provider_id BIGINT NOT NULL REFERENCES team_providers(id),
    disclosure_id BIGINT NOT NULL REFERENCES disclosures(id),
    what TEXT NOT NULL DEFAULT '',
    shared_by BIGINT REFERENCES users(id),
    shared_ms BIGINT NOT NULL
);
CREATE INDEX team_shares_provider ON team_shares(provider_id, shared_ms);

-- This migration's own trigger functions: a handoff note never changes (only
-- its acknowledgement is set), and what was shared is append-only.
CREATE FUNCTION lantern_handoffs_fixed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'handoff notes are kept';
    END IF;
    IF NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.person_id IS DISTINCT FROM OLD.person_id OR NEW.from_user IS DISTINCT FROM OLD.from_user
       OR NEW.to_user IS DISTINCT FROM OLD.to_user OR NEW.note IS DISTINCT FROM OLD.note OR NEW.written_by IS DISTINCT FROM OLD.written_by
       OR NEW.created_ms IS DISTINCT FROM OLD.created_ms THEN
        RAISE EXCEPTION 'a handoff note never changes';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER handoffs_fixed BEFORE UPDATE OR DELETE ON handoffs FOR EACH ROW EXECUTE FUNCTION lantern_handoffs_fixed();

CREATE FUNCTION lantern_team_shares_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'team_shares are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER team_shares_append_only BEFORE UPDATE OR DELETE ON team_shares FOR EACH ROW EXECUTE FUNCTION lantern_team_shares_append_only();
