-- When an account was deactivated (NULL = never). An invitation never reactivates it.
ALTER TABLE users ADD COLUMN deactivated_ms INTEGER;
UPDATE users SET deactivated_ms = 0 WHERE active = 0 AND password_hash IS NOT NULL;
-- Names folded for search by Lantern itself (Unicode-aware; the databases' LOWER is not on SQLite).
ALTER TABLE people ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
UPDATE people SET search_name = LOWER(legal_name || ' ' || preferred_name);
