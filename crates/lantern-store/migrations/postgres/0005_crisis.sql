-- Crisis events: what happened, what was done, and the follow-up, open until closed
-- with a follow-up note. Creating one escalates to the supervisors of the people involved.
CREATE TABLE crisis_events (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    reported_by BIGINT NOT NULL REFERENCES users(id),
    occurred_ms BIGINT NOT NULL,
    what_happened TEXT NOT NULL,
    actions_taken TEXT NOT NULL DEFAULT '',
    contacted TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    follow_up_due TEXT,
    source TEXT NOT NULL DEFAULT 'manual',
    status TEXT NOT NULL DEFAULT 'open',
    closing_note TEXT NOT NULL DEFAULT '',
    closed_by BIGINT REFERENCES users(id),
    closed_ms BIGINT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX crisis_open ON crisis_events(org_id, status, created_ms);
CREATE INDEX crisis_person ON crisis_events(person_id, created_ms);
