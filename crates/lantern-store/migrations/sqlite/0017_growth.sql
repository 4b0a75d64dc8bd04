-- Workforce growth (SQLite): competency self-assessments and ratings, growth goals,
-- supervision sessions, boundary questions, private self-care check-ins.

-- Self-assessments and supervisor ratings: rows are added, never changed (history kept).
CREATE TABLE growth_assessments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    -- The same user for a self-assessment, a supervisor for a rating.
    rater_id INTEGER NOT NULL REFERENCES users(id),
    is_self INTEGER NOT NULL,
    category INTEGER NOT NULL,
    statement TEXT NOT NULL DEFAULT '',
    level INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    on_date TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX growth_assessments_user ON growth_assessments(user_id, org_id, created_ms);
CREATE TRIGGER growth_assessments_no_update BEFORE UPDATE ON growth_assessments
BEGIN SELECT RAISE(ABORT, 'assessments are append-only'); END;
CREATE TRIGGER growth_assessments_no_delete BEFORE DELETE ON growth_assessments
BEGIN SELECT RAISE(ABORT, 'assessments are append-only'); END;

-- Growth goals; steps one a line.
CREATE TABLE growth_goals (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    category INTEGER NOT NULL,
    title TEXT NOT NULL,
    steps TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX growth_goals_user ON growth_goals(user_id, org_id, status);

-- Who may lead supervision ('supervisor' or 'peer') and the hours target.
CREATE TABLE supervision_settings (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    lead_rule TEXT NOT NULL DEFAULT 'supervisor',
    target_hours INTEGER NOT NULL DEFAULT 25
);

CREATE TABLE supervision_sessions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    leader_id INTEGER NOT NULL REFERENCES users(id),
    on_date TEXT NOT NULL,
    minutes INTEGER NOT NULL,
    -- 'open' until the leader and every supervisee signed, then 'signed' (locked).
    status TEXT NOT NULL DEFAULT 'open',
    created_ms INTEGER NOT NULL,
    locked_ms INTEGER
);
CREATE INDEX supervision_sessions_leader ON supervision_sessions(leader_id, on_date);

CREATE TABLE supervision_members (
    session_id INTEGER NOT NULL REFERENCES supervision_sessions(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX supervision_members_user ON supervision_members(user_id, session_id);

-- Agenda lines (proposed from returned notes, open crisis events, boundary questions,
-- growth goals; `source` says which), reflections, decisions and action items.
CREATE TABLE supervision_items (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES supervision_sessions(id),
    kind TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id),
    created_by INTEGER REFERENCES users(id),
    created_ms INTEGER NOT NULL
);
CREATE INDEX supervision_items_session ON supervision_items(session_id, id);

CREATE TABLE supervision_signatures (
    session_id INTEGER NOT NULL REFERENCES supervision_sessions(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE TRIGGER supervision_signatures_no_update BEFORE UPDATE ON supervision_signatures
BEGIN SELECT RAISE(ABORT, 'supervision signatures are append-only'); END;
CREATE TRIGGER supervision_signatures_no_delete BEFORE DELETE ON supervision_signatures
BEGIN SELECT RAISE(ABORT, 'supervision signatures are append-only'); END;
-- A signed session is locked: its lines are never added to, changed or removed.
CREATE TRIGGER supervision_items_locked_insert BEFORE INSERT ON supervision_items
WHEN (SELECT status FROM supervision_sessions WHERE id = NEW.session_id) = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed supervision session is locked'); END;
CREATE TRIGGER supervision_items_no_update BEFORE UPDATE ON supervision_items
BEGIN SELECT RAISE(ABORT, 'supervision lines are append-only'); END;
CREATE TRIGGER supervision_items_no_delete BEFORE DELETE ON supervision_items
BEGIN SELECT RAISE(ABORT, 'supervision lines are append-only'); END;

-- Boundary and dual-relationship questions about a person: private to the author
-- and their supervisors, never shown to the person.
CREATE TABLE boundary_items (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    what_happened TEXT NOT NULL,
    what_i_did TEXT NOT NULL DEFAULT '',
    reassignment TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_ms INTEGER NOT NULL
);
CREATE INDEX boundary_items_author ON boundary_items(author_id, org_id, status);

-- Self-care check-ins: private to their owner. Answers "e,s,c,b,j,u" (1-5 each).
CREATE TABLE selfcare_checkins (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    on_date TEXT NOT NULL,
    answers TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL
);
CREATE INDEX selfcare_checkins_user ON selfcare_checkins(user_id, created_ms);
CREATE INDEX selfcare_checkins_org ON selfcare_checkins(org_id, user_id, created_ms);

-- Evidence: a specialist's signed notes grouped by activity list and month, read from the index alone.
CREATE INDEX IF NOT EXISTS encounters_evidence ON encounters(author_id, org_id, status, on_date, activities);
