-- Closed-loop referrals with consent (issue 7, parts 7-9). Dates are ISO text,
-- instants UTC milliseconds, flags 0/1. The service is referenced by its HSDS
-- id (TEXT) with a snapshot of its name, organization and phone taken when the
-- referral is made, so the referral survives changes to the directory.

-- A directory (HSDS) organization that is an organization on this deployment:
-- referrals to it arrive in that organization's inbox. Set by its admin.
CREATE TABLE directory_org_links (
    directory_org_id TEXT PRIMARY KEY,
    directory_org_name TEXT NOT NULL,
    lantern_org_id BIGINT NOT NULL REFERENCES orgs(id),
    linked_by BIGINT REFERENCES users(id),
    linked_ms BIGINT NOT NULL
);
CREATE INDEX directory_org_links_org ON directory_org_links(lantern_org_id);

-- Consents for disclosure. Kinds and purposes are comma-separated codes.
CREATE TABLE consents (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    recipient_org_id TEXT NOT NULL DEFAULT '',
    recipient_name TEXT NOT NULL,
    purposes TEXT NOT NULL,
    kinds TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    signature TEXT NOT NULL,
    part2_notice BIGINT NOT NULL DEFAULT 0,
    recorded_by BIGINT REFERENCES users(id),
    recorded_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    revoked_by BIGINT REFERENCES users(id),
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consents_person ON consents(person_id, recorded_ms);

CREATE TABLE referrals (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    sender_id BIGINT NOT NULL REFERENCES users(id),
    service_id TEXT NOT NULL DEFAULT '',
    service_name TEXT NOT NULL DEFAULT '',
    organization_id TEXT NOT NULL DEFAULT '',
    organization_name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    receiving_org_id BIGINT REFERENCES orgs(id),
    person_choice TEXT NOT NULL,
    reason TEXT NOT NULL,
    goals TEXT NOT NULL DEFAULT '',
    substance_use TEXT NOT NULL DEFAULT '',
    shared_kinds TEXT NOT NULL DEFAULT '',
    consent_id BIGINT REFERENCES consents(id),
    status TEXT NOT NULL,
    follow_up_on TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    outcome_reason TEXT NOT NULL DEFAULT '',
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    closed_ms BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX referrals_person ON referrals(person_id, created_ms);
CREATE INDEX referrals_org_status ON referrals(org_id, status, follow_up_on);
CREATE INDEX referrals_receiving ON referrals(receiving_org_id, status);
CREATE INDEX referrals_sender ON referrals(sender_id, status, follow_up_on);

-- The status history: who moved it, from which organization, when, with what note.
CREATE TABLE referral_events (
    id BIGSERIAL PRIMARY KEY,
    referral_id BIGINT NOT NULL REFERENCES referrals(id),
    status_from TEXT NOT NULL DEFAULT '',
    status_to TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    actor_org_id BIGINT NOT NULL REFERENCES orgs(id),
    outcome TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    at_ms BIGINT NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events(referral_id, id);

-- The accounting of disclosures: what kinds went to whom, under which consent, when, by whom.
CREATE TABLE disclosures (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    referral_id BIGINT REFERENCES referrals(id),
    consent_id BIGINT NOT NULL REFERENCES consents(id),
    recipient_org_id TEXT NOT NULL DEFAULT '',
    recipient_name TEXT NOT NULL,
    receiving_org_id BIGINT REFERENCES orgs(id),
    purpose TEXT NOT NULL,
    kinds TEXT NOT NULL,
    disclosed_by BIGINT REFERENCES users(id),
    disclosed_ms BIGINT NOT NULL
);
CREATE INDEX disclosures_person ON disclosures(person_id, disclosed_ms);


-- The accounting and the status history are append-only (own function, so this
-- migration does not depend on the notes migration's objects).
CREATE FUNCTION lantern_referrals_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON disclosures
FOR EACH ROW EXECUTE FUNCTION lantern_referrals_append_only();
CREATE TRIGGER referral_events_append_only BEFORE UPDATE OR DELETE ON referral_events
FOR EACH ROW EXECUTE FUNCTION lantern_referrals_append_only();
