-- Recovery plans: one working draft per person (edited together, with a
-- revision number so two writers never overwrite each other) and agreed
-- versions, which never change. Content is a JSON document (strengths,
-- goals with stable keys, steps, review date).
CREATE TABLE recovery_plan_drafts (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    rev INTEGER NOT NULL,
    is_open INTEGER NOT NULL DEFAULT 1,
    content TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES users(id),
    updated_ms INTEGER NOT NULL,
    UNIQUE (person_id)
);
CREATE TABLE recovery_plan_versions (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    draft_rev INTEGER NOT NULL,
    review_on TEXT,
    agreed_how TEXT NOT NULL,
    signature TEXT NOT NULL DEFAULT '',
    agreed_by INTEGER NOT NULL REFERENCES users(id),
    agreed_ms INTEGER NOT NULL,
    UNIQUE (person_id, version)
);
CREATE INDEX recovery_plan_versions_review ON recovery_plan_versions(org_id, review_on);
CREATE TRIGGER recovery_plan_versions_no_update BEFORE UPDATE ON recovery_plan_versions
BEGIN SELECT RAISE(ABORT, 'agreed recovery plan versions never change'); END;
CREATE TRIGGER recovery_plan_versions_no_delete BEFORE DELETE ON recovery_plan_versions
BEGIN SELECT RAISE(ABORT, 'agreed recovery plan versions never change'); END;

-- Comments on a draft (the person from the portal, or their team).
CREATE TABLE recovery_plan_comments (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    draft_rev INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX recovery_plan_comments_person ON recovery_plan_comments(person_id, id);
CREATE TRIGGER recovery_plan_comments_no_update BEFORE UPDATE ON recovery_plan_comments
BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END;
CREATE TRIGGER recovery_plan_comments_no_delete BEFORE DELETE ON recovery_plan_comments
BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END;

-- Which dimensions an organization's new plans use ('recovery' = SAMHSA's four, 'wellness' = eight).
CREATE TABLE recovery_plan_settings (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    dimensions TEXT NOT NULL
);

-- Milestones: goal reached, a recovery anniversary the person shares, other celebrations.
CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    on_date TEXT NOT NULL,
    goal_key TEXT NOT NULL DEFAULT '',
    show_in_portal INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_ms INTEGER NOT NULL
);
CREATE INDEX milestones_person ON milestones(person_id, on_date);

-- The plan goals a note addressed (the note's own "purpose" text stays as it was).
-- No foreign key to encounters: checked by the store, and older upgrade paths drop and rebuild notes.
CREATE TABLE note_plan_goals (
    encounter_id INTEGER NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    goal_key TEXT NOT NULL,
    goal_words TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (encounter_id, goal_key)
);
CREATE INDEX note_plan_goals_person ON note_plan_goals(person_id, goal_key);
