-- Encounter notes, billing and co-signatures (PostgreSQL). Same conventions as 0001:
-- UTC millisecond timestamps, ISO text dates, 0/1 flags.

-- How an organization handles notes: co-signature policy ('all', 'new_staff', 'none'),
-- the months a specialist counts as new, and when a note becomes a late entry.
CREATE TABLE org_note_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    cosign_policy TEXT NOT NULL DEFAULT 'new_staff',
    cosign_months BIGINT NOT NULL DEFAULT 6,
    late_after_hours BIGINT NOT NULL DEFAULT 72
);

-- Who pays, and how minutes become units (rule 'whole', 'more_than_half', 'cms_cumulative').
CREATE TABLE payers (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    unit_rule TEXT NOT NULL,
    cap_person_code_day BIGINT,
    cap_provider_day BIGINT,
    is_default BIGINT NOT NULL DEFAULT 0,
    UNIQUE (org_id, name)
);

CREATE TABLE service_codes (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    payer_id BIGINT NOT NULL REFERENCES payers(id),
    code TEXT NOT NULL,
    modifiers TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    unit_minutes BIGINT NOT NULL DEFAULT 15,
    for_groups BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, payer_id, code, modifiers)
);

CREATE TABLE activity_types (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, code)
);
-- Which SAMHSA peer competency categories (1-12 for I-XII) an activity shows.
CREATE TABLE activity_competencies (
    activity_type_id BIGINT NOT NULL REFERENCES activity_types(id),
    category BIGINT NOT NULL,
    PRIMARY KEY (activity_type_id, category)
);

-- A group session: the shared narrative is written once, then one note per attendee.
CREATE TABLE encounter_groups (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    size BIGINT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE encounters (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    group_id BIGINT REFERENCES encounter_groups(id),
    kind TEXT NOT NULL,
    modality TEXT NOT NULL DEFAULT '',
    setting TEXT NOT NULL DEFAULT '',
    on_date TEXT,
    start_local TEXT NOT NULL DEFAULT '',
    end_local TEXT NOT NULL DEFAULT '',
    start_ms BIGINT,
    end_ms BIGINT,
    minutes BIGINT,
    service_code_id BIGINT REFERENCES service_codes(id),
    activities TEXT NOT NULL DEFAULT '',
    what_we_did TEXT NOT NULL DEFAULT '',
    purpose TEXT NOT NULL DEFAULT '',
    how_it_went TEXT NOT NULL DEFAULT '',
    next_steps TEXT NOT NULL DEFAULT '',
    -- Group notes: this attendee's own line, shown only on their record.
    private_line TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    signed_by BIGINT REFERENCES users(id),
    signer_name TEXT NOT NULL DEFAULT '',
    signer_credentials TEXT NOT NULL DEFAULT '',
    signed_ms BIGINT,
    content_hash TEXT NOT NULL DEFAULT '',
    late_entry BIGINT NOT NULL DEFAULT 0,
    cosigned_by BIGINT REFERENCES users(id),
    cosigned_ms BIGINT,
    returned_comment TEXT NOT NULL DEFAULT '',
    -- Computed at signing (and when another note of the same day is signed).
    units BIGINT NOT NULL DEFAULT 0,
    billed_units BIGINT NOT NULL DEFAULT 0,
    over_cap_units BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX encounters_person ON encounters(person_id, on_date);
CREATE INDEX encounters_author ON encounters(author_id, status);
CREATE INDEX encounters_org_status ON encounters(org_id, status, signed_ms);
CREATE INDEX encounters_org_date ON encounters(org_id, on_date);

-- Every signature, co-signature and return, kept (a re-signed note has several).
CREATE TABLE encounter_signatures (
    id BIGSERIAL PRIMARY KEY,
    encounter_id BIGINT NOT NULL REFERENCES encounters(id),
    kind TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    credentials TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX encounter_signatures_note ON encounter_signatures(encounter_id, at_ms);

CREATE TABLE encounter_addenda (
    id BIGSERIAL PRIMARY KEY,
    encounter_id BIGINT NOT NULL REFERENCES encounters(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    author_name TEXT NOT NULL,
    credentials TEXT NOT NULL,
    body TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX encounter_addenda_note ON encounter_addenda(encounter_id, at_ms);

-- Signatures and addenda are append-only.
CREATE FUNCTION lantern_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER encounter_signatures_append_only BEFORE UPDATE OR DELETE ON encounter_signatures
FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
CREATE TRIGGER encounter_addenda_append_only BEFORE UPDATE OR DELETE ON encounter_addenda
FOR EACH ROW EXECUTE FUNCTION lantern_append_only();
-- A signed note's content never changes (billing columns may be recomputed).
CREATE FUNCTION lantern_note_locked() RETURNS trigger AS $$
BEGIN
  IF OLD.status IN ('signed', 'awaiting_cosign', 'cosigned') AND (
     NEW.kind IS DISTINCT FROM OLD.kind OR NEW.modality IS DISTINCT FROM OLD.modality OR NEW.setting IS DISTINCT FROM OLD.setting
     OR NEW.on_date IS DISTINCT FROM OLD.on_date OR NEW.start_ms IS DISTINCT FROM OLD.start_ms OR NEW.end_ms IS DISTINCT FROM OLD.end_ms
     OR NEW.minutes IS DISTINCT FROM OLD.minutes OR NEW.service_code_id IS DISTINCT FROM OLD.service_code_id
     OR NEW.activities IS DISTINCT FROM OLD.activities OR NEW.what_we_did IS DISTINCT FROM OLD.what_we_did
     OR NEW.purpose IS DISTINCT FROM OLD.purpose OR NEW.how_it_went IS DISTINCT FROM OLD.how_it_went
     OR NEW.next_steps IS DISTINCT FROM OLD.next_steps OR NEW.private_line IS DISTINCT FROM OLD.private_line
     OR NEW.person_id IS DISTINCT FROM OLD.person_id) THEN
    RAISE EXCEPTION 'a signed note cannot be edited';
  END IF;
  RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER encounters_locked BEFORE UPDATE ON encounters
FOR EACH ROW EXECUTE FUNCTION lantern_note_locked();
