-- The person page lists a person's notes newest first, undated drafts on top
-- (issue 5's speed target: a person with 500 notes). This index is in exactly
-- that order and carries what the visibility filter reads (status, author), so a
-- page of 20 reads 20 index entries instead of sorting all 500 notes.
CREATE INDEX IF NOT EXISTS encounters_person_recent
  ON encounters(person_id, org_id, (COALESCE(on_date, '9999-12-31')) DESC, start_ms DESC, id DESC, status, author_id);
