-- Appointments: the next meeting with a person. Instants are UTC milliseconds;
-- the local date and times are kept as entered, in the organization's time zone.
-- When it happens it becomes a draft note (done) or an attempted-contact note (no_show).
CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    specialist_id INTEGER NOT NULL REFERENCES users(id),
    starts_ms INTEGER NOT NULL,
    ends_ms INTEGER NOT NULL,
    on_date TEXT NOT NULL,
    start_local TEXT NOT NULL,
    end_local TEXT NOT NULL,
    modality TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'scheduled',
    encounter_id INTEGER REFERENCES encounters(id),
    created_ms INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX appointments_specialist ON appointments(specialist_id, status, starts_ms);
CREATE INDEX appointments_person ON appointments(person_id, status, starts_ms);
