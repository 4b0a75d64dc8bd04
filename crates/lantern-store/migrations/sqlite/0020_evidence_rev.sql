-- The growth profile counts competency evidence from a specialist's signed notes
-- (issue 9). Counting three years of notes on every view is the slow part of the
-- page, so the store keeps the counts in memory and re-reads them only when this
-- revision moves: it goes up whenever one of the author's notes is signed or
-- returned (the only ways a note enters or leaves the evidence), in the same
-- transaction, so every process sharing the database sees it.
ALTER TABLE users ADD COLUMN evidence_rev BIGINT NOT NULL DEFAULT 0;
