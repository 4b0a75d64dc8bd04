-- Indexes for organizations with millions of notes (measured with scripts/bench.sh encounters).
-- A person's notes and an author's notes: the organization is part of the key, so the planner
-- never prefers the organization-wide indexes (it did on SQLite, scanning every note), and a
-- person's newest notes are picked from the index alone (date, start, id).
CREATE INDEX IF NOT EXISTS encounters_person_list ON encounters(person_id, org_id, on_date, start_ms, id);
CREATE INDEX IF NOT EXISTS encounters_author_org ON encounters(author_id, org_id, status);
-- The units report reads only this index (month × code × author sums over a date range).
CREATE INDEX IF NOT EXISTS encounters_report ON encounters(org_id, on_date, status, kind, service_code_id, author_id, minutes, billed_units, over_cap_units);
