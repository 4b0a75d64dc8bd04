-- Addenda that correct a signed note's times (issue 5): the note's content
-- never changes; the addendum carries the corrected times (signed with it),
-- and the note keeps the latest correction in its own columns so that units,
-- caps and the units report use the corrected minutes.
ALTER TABLE encounter_addenda ADD COLUMN corrected_start_local TEXT NOT NULL DEFAULT '';
ALTER TABLE encounter_addenda ADD COLUMN corrected_end_local TEXT NOT NULL DEFAULT '';
ALTER TABLE encounter_addenda ADD COLUMN corrected_start_ms BIGINT;
ALTER TABLE encounter_addenda ADD COLUMN corrected_end_ms BIGINT;
ALTER TABLE encounter_addenda ADD COLUMN corrected_minutes BIGINT;
ALTER TABLE encounters ADD COLUMN corrected_start_ms BIGINT;
ALTER TABLE encounters ADD COLUMN corrected_minutes BIGINT;
-- The units report still reads only this index (it now sums corrected minutes).
DROP INDEX IF EXISTS encounters_report;
CREATE INDEX encounters_report ON encounters(org_id, on_date, status, kind, service_code_id, author_id, minutes, corrected_minutes, billed_units, over_cap_units);
