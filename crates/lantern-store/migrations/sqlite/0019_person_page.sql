-- The person page's timeline is ordered by day, then time (issue 5's speed target):
-- an index in that order lets a page of 50 read 50 rows instead of sorting the
-- person's whole history on every view.
DROP INDEX IF EXISTS timeline_person;
CREATE INDEX timeline_person ON timeline(person_id, org_id, on_date DESC, at_ms DESC, id DESC);
