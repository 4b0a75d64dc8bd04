-- Appointments: the next meeting with a person. Instants are UTC milliseconds;
-- the local date and times are kept as entered, in the organization's time zone.
-- When it happens it becomes a draft note (done) or an attempted-contact note (no_show).
CREATE TABLE appointments (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    specialist_id BIGINT NOT NULL REFERENCES users(id),
    starts_ms BIGINT NOT NULL,
    ends_ms BIGINT NOT NULL,
    on_date TEXT NOT NULL,
    start_local TEXT NOT NULL,
    end_local TEXT NOT NULL,
    modality TEXT NOT NULL,
    place TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'scheduled',
    encounter_id BIGINT REFERENCES encounters(id),
    created_ms BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX appointments_specialist ON appointments(specialist_id, status, starts_ms);
CREATE INDEX appointments_person ON appointments(person_id, status, starts_ms);
