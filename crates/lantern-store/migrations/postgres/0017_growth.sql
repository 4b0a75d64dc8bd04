-- Workforce growth (PostgreSQL): competency self-assessments and ratings, growth goals,
-- supervision sessions, boundary questions, private self-care check-ins.

-- Self-assessments and supervisor ratings: rows are added, never changed (history kept).
CREATE TABLE growth_assessments (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- The same user for a self-assessment, a supervisor for a rating.
    rater_id BIGINT NOT NULL REFERENCES users(id),
    is_self BIGINT NOT NULL,
    category BIGINT NOT NULL,
    statement TEXT NOT NULL DEFAULT '',
    level BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    on_date TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX growth_assessments_user ON growth_assessments(user_id, org_id, created_ms);
-- Growth goals; steps one a line.
CREATE TABLE growth_goals (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    category BIGINT NOT NULL,
    title TEXT NOT NULL,
    steps TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX growth_goals_user ON growth_goals(user_id, org_id, status);

-- Who may lead supervision ('supervisor' or 'peer') and the hours target.
CREATE TABLE supervision_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    lead_rule TEXT NOT NULL DEFAULT 'supervisor',
    target_hours BIGINT NOT NULL DEFAULT 25
);

CREATE TABLE supervision_sessions (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    leader_id BIGINT NOT NULL REFERENCES users(id),
    on_date TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    -- 'open' until the leader and every supervisee signed, then 'signed' (locked).
    status TEXT NOT NULL DEFAULT 'open',
    created_ms BIGINT NOT NULL,
    locked_ms BIGINT
);
CREATE INDEX supervision_sessions_leader ON supervision_sessions(leader_id, on_date);

CREATE TABLE supervision_members (
    session_id BIGINT NOT NULL REFERENCES supervision_sessions(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX supervision_members_user ON supervision_members(user_id, session_id);

-- Agenda lines (proposed from returned notes, open crisis events, boundary questions,
-- growth goals; `source` says which), reflections, decisions and action items.
CREATE TABLE supervision_items (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES supervision_sessions(id),
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id),
    created_by BIGINT REFERENCES users(id),
    created_ms BIGINT NOT NULL
);
CREATE INDEX supervision_items_session ON supervision_items(session_id, id);

CREATE TABLE supervision_signatures (
    session_id BIGINT NOT NULL REFERENCES supervision_sessions(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
-- A signed session is locked: its lines are never added to, changed or removed.
-- Boundary and dual-relationship questions about a person: private to the author
-- and their supervisors, never shown to the person.
CREATE TABLE boundary_items (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    what_i_did TEXT NOT NULL DEFAULT '',
    reassignment TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_ms BIGINT NOT NULL
);
CREATE INDEX boundary_items_author ON boundary_items(author_id, org_id, status);

-- Self-care check-ins: private to their owner. Answers "e,s,c,b,j,u" (1-5 each).
CREATE TABLE selfcare_checkins (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    on_date TEXT NOT NULL,
    answers TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_ms BIGINT NOT NULL
);
CREATE INDEX selfcare_checkins_user ON selfcare_checkins(user_id, created_ms);
CREATE INDEX selfcare_checkins_org ON selfcare_checkins(org_id, user_id, created_ms);

-- Evidence: a specialist's signed notes grouped by activity list and month, read from the index alone.
CREATE INDEX IF NOT EXISTS encounters_evidence ON encounters(author_id, org_id, status, on_date, activities);

-- Append-only and locking rules (own trigger functions for this migration).
CREATE FUNCTION lantern_growth_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER growth_assessments_append_only BEFORE UPDATE OR DELETE ON growth_assessments
FOR EACH ROW EXECUTE FUNCTION lantern_growth_append_only();
CREATE TRIGGER supervision_signatures_append_only BEFORE UPDATE OR DELETE ON supervision_signatures
FOR EACH ROW EXECUTE FUNCTION lantern_growth_append_only();
CREATE TRIGGER supervision_items_append_only BEFORE UPDATE OR DELETE ON supervision_items
FOR EACH ROW EXECUTE FUNCTION lantern_growth_append_only();
CREATE FUNCTION lantern_supervision_locked() RETURNS trigger AS $$
BEGIN
  IF (SELECT status FROM supervision_sessions WHERE id = NEW.session_id) = 'signed' THEN
    RAISE EXCEPTION 'a signed supervision session is locked';
  END IF;
  RETURN NEW;
END; $$ LANGUAGE plpgsql;
CREATE TRIGGER supervision_items_locked BEFORE INSERT ON supervision_items
FOR EACH ROW EXECUTE FUNCTION lantern_supervision_locked();
