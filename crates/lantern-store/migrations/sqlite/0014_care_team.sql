-- Care team and handoffs (issue 8 item 7), and crisis follow-ups (item 6).
-- Staff roles on a care team become codes (lantern_domain::care_team::TeamRole).
UPDATE care_team SET role = CASE
    WHEN lower(role) IN ('backup specialist', 'backup_specialist') THEN 'backup_specialist'
    WHEN lower(role) = 'supervisor' THEN 'supervisor'
    WHEN lower(role) = 'clinician' THEN 'clinician'
    WHEN lower(role) IN ('care coordinator', 'care_coordinator') THEN 'care_coordinator'
    ELSE 'other' END;

-- Outside providers on a person's care team. Nothing is shared with them
-- without a consent (team_shares + disclosures). Removed ones are kept, dated.
CREATE TABLE team_providers (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    name TEXT NOT NULL,
    organization TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    directory_org_id TEXT NOT NULL DEFAULT '',
    added_by INTEGER REFERENCES users(id),
    added_ms INTEGER NOT NULL,
    removed_ms INTEGER,
    removed_by INTEGER REFERENCES users(id)
);
CREATE INDEX team_providers_person ON team_providers(person_id, added_ms);

-- Shared tasks with an owner and a due date; a crisis event's follow-ups are tasks linked to it.
CREATE TABLE team_tasks (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    crisis_event_id INTEGER REFERENCES crisis_events(id),
    title TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    owner_id INTEGER NOT NULL REFERENCES users(id),
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    created_by INTEGER REFERENCES users(id),
    created_ms INTEGER NOT NULL,
    done_by INTEGER REFERENCES users(id),
    done_ms INTEGER
);
CREATE INDEX team_tasks_person ON team_tasks(person_id, status, due_on);
CREATE INDEX team_tasks_owner ON team_tasks(owner_id, status, due_on);
CREATE INDEX team_tasks_crisis ON team_tasks(crisis_event_id);

-- Handoff notes: written when a person moves to another specialist; the new
-- specialist sees it first until they acknowledge it. The note never changes.
CREATE TABLE handoffs (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    from_user INTEGER REFERENCES users(id),
    to_user INTEGER NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    written_by INTEGER REFERENCES users(id),
    created_ms INTEGER NOT NULL,
    acknowledged_ms INTEGER
);
CREATE INDEX handoffs_person ON handoffs(person_id, created_ms);
CREATE INDEX handoffs_to ON handoffs(to_user, acknowledged_ms);
CREATE TRIGGER handoffs_note_fixed BEFORE UPDATE OF org_id, person_id, from_user, to_user, note, written_by, created_ms ON handoffs
BEGIN SELECT RAISE(ABORT, 'a handoff note never changes'); END;
CREATE TRIGGER handoffs_no_delete BEFORE DELETE ON handoffs BEGIN SELECT RAISE(ABORT, 'handoff notes are kept'); END;

-- What was shared with an outside provider, under the disclosure (and consent) that allowed it.
CREATE TABLE team_shares (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    provider_id INTEGER NOT NULL REFERENCES team_providers(id),
    disclosure_id INTEGER NOT NULL REFERENCES disclosures(id),
    what TEXT NOT NULL DEFAULT '',
    shared_by INTEGER REFERENCES users(id),
    shared_ms INTEGER NOT NULL
);
CREATE INDEX team_shares_provider ON team_shares(provider_id, shared_ms);
CREATE TRIGGER team_shares_no_update BEFORE UPDATE ON team_shares BEGIN SELECT RAISE(ABORT, 'team_shares are append-only'); END;
CREATE TRIGGER team_shares_no_delete BEFORE DELETE ON team_shares BEGIN SELECT RAISE(ABORT, 'team_shares are append-only'); END;
