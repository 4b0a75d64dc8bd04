-- Closed-loop referrals with consent (issue 7, parts 7-9). Dates are ISO text,
-- instants UTC milliseconds, flags 0/1. The service is referenced by its HSDS
-- id (TEXT) with a snapshot of its name, organization and phone taken when the
-- referral is made, so the referral survives changes to the directory.

-- A directory (HSDS) organization that is an organization on this deployment:
-- referrals to it arrive in that organization's inbox. Set by its admin.
CREATE TABLE directory_org_links (
    directory_org_id TEXT PRIMARY KEY,
    directory_org_name TEXT NOT NULL,
    lantern_org_id INTEGER NOT NULL REFERENCES orgs(id),
    linked_by INTEGER REFERENCES users(id),
    linked_ms INTEGER NOT NULL
);
CREATE INDEX directory_org_links_org ON directory_org_links(lantern_org_id);

-- Consents for disclosure. Kinds and purposes are comma-separated codes.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    recipient_org_id TEXT NOT NULL DEFAULT '',
    recipient_name TEXT NOT NULL,
    purposes TEXT NOT NULL,
    kinds TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    signature TEXT NOT NULL,
    part2_notice INTEGER NOT NULL DEFAULT 0,
    recorded_by INTEGER REFERENCES users(id),
    recorded_ms INTEGER NOT NULL,
    revoked_ms INTEGER,
    revoked_by INTEGER REFERENCES users(id),
    revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consents_person ON consents(person_id, recorded_ms);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    sender_id INTEGER NOT NULL REFERENCES users(id),
    service_id TEXT NOT NULL DEFAULT '',
    service_name TEXT NOT NULL DEFAULT '',
    organization_id TEXT NOT NULL DEFAULT '',
    organization_name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    receiving_org_id INTEGER REFERENCES orgs(id),
    person_choice TEXT NOT NULL,
    reason TEXT NOT NULL,
    goals TEXT NOT NULL DEFAULT '',
    substance_use TEXT NOT NULL DEFAULT '',
    shared_kinds TEXT NOT NULL DEFAULT '',
    consent_id INTEGER REFERENCES consents(id),
    status TEXT NOT NULL,
    follow_up_on TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    outcome_reason TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    closed_ms INTEGER,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX referrals_person ON referrals(person_id, created_ms);
CREATE INDEX referrals_org_status ON referrals(org_id, status, follow_up_on);
CREATE INDEX referrals_receiving ON referrals(receiving_org_id, status);
CREATE INDEX referrals_sender ON referrals(sender_id, status, follow_up_on);

-- The status history: who moved it, from which organization, when, with what note.
CREATE TABLE referral_events (
    id INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals(id),
    status_from TEXT NOT NULL DEFAULT '',
    status_to TEXT NOT NULL,
    actor_id INTEGER REFERENCES users(id),
    actor_org_id INTEGER NOT NULL REFERENCES orgs(id),
    outcome TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    at_ms INTEGER NOT NULL
);
CREATE INDEX referral_events_referral ON referral_events(referral_id, id);

-- The accounting of disclosures: what kinds went to whom, under which consent, when, by whom.
CREATE TABLE disclosures (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    referral_id INTEGER REFERENCES referrals(id),
    consent_id INTEGER NOT NULL REFERENCES consents(id),
    recipient_org_id TEXT NOT NULL DEFAULT '',
    recipient_name TEXT NOT NULL,
    receiving_org_id INTEGER REFERENCES orgs(id),
    purpose TEXT NOT NULL,
    kinds TEXT NOT NULL,
    disclosed_by INTEGER REFERENCES users(id),
    disclosed_ms INTEGER NOT NULL
);
CREATE INDEX disclosures_person ON disclosures(person_id, disclosed_ms);

-- The accounting and the status history are append-only.
CREATE TRIGGER disclosures_no_update BEFORE UPDATE ON disclosures BEGIN SELECT RAISE(ABORT, 'disclosures are append-only'); END;
CREATE TRIGGER disclosures_no_delete BEFORE DELETE ON disclosures BEGIN SELECT RAISE(ABORT, 'disclosures are append-only'); END;
CREATE TRIGGER referral_events_no_update BEFORE UPDATE ON referral_events BEGIN SELECT RAISE(ABORT, 'referral history is append-only'); END;
CREATE TRIGGER referral_events_no_delete BEFORE DELETE ON referral_events BEGIN SELECT RAISE(ABORT, 'referral history is append-only'); END;
