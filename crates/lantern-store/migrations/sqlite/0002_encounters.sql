-- Encounter notes, billing and co-signatures (SQLite). Same conventions as 0001:
-- UTC millisecond timestamps, ISO text dates, 0/1 flags.

-- How an organization handles notes: co-signature policy ('all', 'new_staff', 'none'),
-- the months a specialist counts as new, and when a note becomes a late entry.
CREATE TABLE org_note_settings (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    cosign_policy TEXT NOT NULL DEFAULT 'new_staff',
    cosign_months INTEGER NOT NULL DEFAULT 6,
    late_after_hours INTEGER NOT NULL DEFAULT 72
);

-- Who pays, and how minutes become units (rule 'whole', 'more_than_half', 'cms_cumulative').
CREATE TABLE payers (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    unit_rule TEXT NOT NULL,
    cap_person_code_day INTEGER,
    cap_provider_day INTEGER,
    is_default INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, name)
);

CREATE TABLE service_codes (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    payer_id INTEGER NOT NULL REFERENCES payers(id),
    code TEXT NOT NULL,
    modifiers TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    unit_minutes INTEGER NOT NULL DEFAULT 15,
    for_groups INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, payer_id, code, modifiers)
);

CREATE TABLE activity_types (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, code)
);
-- Which SAMHSA peer competency categories (1-12 for I-XII) an activity shows.
CREATE TABLE activity_competencies (
    activity_type_id INTEGER NOT NULL REFERENCES activity_types(id),
    category INTEGER NOT NULL,
    PRIMARY KEY (activity_type_id, category)
);

-- A group session: the shared narrative is written once, then one note per attendee.
CREATE TABLE encounter_groups (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    size INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE encounters (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    group_id INTEGER REFERENCES encounter_groups(id),
    kind TEXT NOT NULL,
    modality TEXT NOT NULL DEFAULT '',
    setting TEXT NOT NULL DEFAULT '',
    on_date TEXT,
    start_local TEXT NOT NULL DEFAULT '',
    end_local TEXT NOT NULL DEFAULT '',
    start_ms INTEGER,
    end_ms INTEGER,
    minutes INTEGER,
    service_code_id INTEGER REFERENCES service_codes(id),
    activities TEXT NOT NULL DEFAULT '',
    what_we_did TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    how_it_went TEXT NOT NULL DEFAULT '',
    next_steps TEXT NOT NULL DEFAULT '',
    -- Group notes: this attendee's own line, shown only on their record.
    private_line TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    signed_by INTEGER REFERENCES users(id),
    signer_name TEXT NOT NULL DEFAULT '',
    signer_credentials TEXT NOT NULL DEFAULT '',
    signed_ms INTEGER,
    content_hash TEXT NOT NULL DEFAULT '',
    late_entry INTEGER NOT NULL DEFAULT 0,
    cosigned_by INTEGER REFERENCES users(id),
    cosigned_ms INTEGER,
    returned_comment TEXT NOT NULL DEFAULT '',
    -- Computed at signing (and when another note of the same day is signed).
    units INTEGER NOT NULL DEFAULT 0,
    billed_units INTEGER NOT NULL DEFAULT 0,
    over_cap_units INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX encounters_person ON encounters(person_id, on_date);
CREATE INDEX encounters_author ON encounters(author_id, status);
CREATE INDEX encounters_org_status ON encounters(org_id, status, signed_ms);
CREATE INDEX encounters_org_date ON encounters(org_id, on_date);

-- Every signature, co-signature and return, kept (a re-signed note has several).
CREATE TABLE encounter_signatures (
    id INTEGER PRIMARY KEY,
    encounter_id INTEGER NOT NULL REFERENCES encounters(id),
    kind TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    credentials TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX encounter_signatures_note ON encounter_signatures(encounter_id, at_ms);

CREATE TABLE encounter_addenda (
    id INTEGER PRIMARY KEY,
    encounter_id INTEGER NOT NULL REFERENCES encounters(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    author_name TEXT NOT NULL,
    credentials TEXT NOT NULL,
    body TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX encounter_addenda_note ON encounter_addenda(encounter_id, at_ms);

-- Signatures and addenda are append-only.
CREATE TRIGGER encounter_signatures_no_update BEFORE UPDATE ON encounter_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER encounter_signatures_no_delete BEFORE DELETE ON encounter_signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER encounter_addenda_no_update BEFORE UPDATE ON encounter_addenda
BEGIN SELECT RAISE(ABORT, 'addenda are append-only'); END;
CREATE TRIGGER encounter_addenda_no_delete BEFORE DELETE ON encounter_addenda
BEGIN SELECT RAISE(ABORT, 'addenda are append-only'); END;
-- A signed note's content never changes (billing columns may be recomputed).
CREATE TRIGGER encounters_locked BEFORE UPDATE OF kind, modality, setting, on_date, start_ms, end_ms, minutes, service_code_id, activities,
    what_we_did, purpose, how_it_went, next_steps, private_line, person_id ON encounters
WHEN OLD.status IN ('signed', 'awaiting_cosign', 'cosigned')
BEGIN SELECT RAISE(ABORT, 'a signed note cannot be edited'); END;
