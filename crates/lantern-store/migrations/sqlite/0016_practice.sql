-- Practice questions, spaced repetition and mock exams (lantern-learning).
-- Each organization's bank: seeded from the shipped bank at first use, then authored by its admins.
CREATE TABLE practice_questions (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    id TEXT NOT NULL,
    status TEXT NOT NULL,          -- draft | reviewed (only reviewed items are practised)
    domain TEXT NOT NULL,          -- the item's primary IC&RC PR domain
    item_json TEXT NOT NULL,       -- the whole item (lantern_learning::Item)
    version INTEGER NOT NULL,
    updated_by INTEGER REFERENCES users(id),
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX practice_questions_pick ON practice_questions(org_id, status, domain, id);
CREATE TABLE practice_bank_seeded (
    org_id INTEGER PRIMARY KEY REFERENCES orgs(id),
    seeded_ms INTEGER NOT NULL,
    items INTEGER NOT NULL
);

-- The review log (append-only): card states can always be recomputed from it.
CREATE TABLE practice_reviews (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    question_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    rating INTEGER NOT NULL,       -- FSRS: 1 again, 2 hard, 3 good, 4 easy
    correct INTEGER NOT NULL,
    chosen TEXT NOT NULL,          -- option indexes, comma-separated
    first_review INTEGER NOT NULL, -- 1 when the card was new (counts against the daily limit)
    reviewed_ms INTEGER NOT NULL
);
CREATE INDEX practice_reviews_user ON practice_reviews(user_id, reviewed_ms);
CREATE INDEX practice_reviews_card ON practice_reviews(user_id, question_id, id);
CREATE TRIGGER practice_reviews_no_update BEFORE UPDATE ON practice_reviews
BEGIN SELECT RAISE(ABORT, 'the practice review log is append-only'); END;
CREATE TRIGGER practice_reviews_no_delete BEFORE DELETE ON practice_reviews
BEGIN SELECT RAISE(ABORT, 'the practice review log is append-only'); END;

-- Each learner's FSRS state per question (derived from the review log).
CREATE TABLE practice_cards (
    user_id INTEGER NOT NULL REFERENCES users(id),
    question_id TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    domain TEXT NOT NULL,
    stability REAL NOT NULL,
    difficulty REAL NOT NULL,
    last_review_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    reps INTEGER NOT NULL,
    lapses INTEGER NOT NULL,
    PRIMARY KEY (user_id, question_id)
);
CREATE INDEX practice_cards_due ON practice_cards(user_id, due_ms);

-- Mock exams: server-side start and deadline; answers after the deadline are not counted.
CREATE TABLE practice_exams (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    blueprint TEXT NOT NULL,
    question_ids TEXT NOT NULL,    -- newline-separated, in exam order
    started_ms INTEGER NOT NULL,
    deadline_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    correct INTEGER,
    total INTEGER
);
CREATE INDEX practice_exams_user ON practice_exams(user_id, started_ms);
CREATE TABLE practice_exam_answers (
    exam_id INTEGER NOT NULL REFERENCES practice_exams(id),
    position INTEGER NOT NULL,
    question_id TEXT NOT NULL,
    chosen TEXT NOT NULL,
    correct INTEGER NOT NULL,
    answered_ms INTEGER NOT NULL,
    PRIMARY KEY (exam_id, position)
);
