-- Practice questions, spaced repetition and mock exams (lantern-learning).
-- Each organization's bank: seeded from the shipped bank at first use, then authored by its admins.
CREATE TABLE practice_questions (
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    id TEXT NOT NULL,
    status TEXT NOT NULL,          -- draft | reviewed (only reviewed items are practised)
    domain TEXT NOT NULL,          -- the item's primary IC&RC PR domain
    item_json TEXT NOT NULL,       -- the whole item (lantern_learning::Item)
    version BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id),
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX practice_questions_pick ON practice_questions(org_id, status, domain, id);
CREATE TABLE practice_bank_seeded (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    seeded_ms BIGINT NOT NULL,
    items BIGINT NOT NULL
);

-- The review log (append-only): card states can always be recomputed from it.
CREATE TABLE practice_reviews (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    question_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    rating BIGINT NOT NULL,       -- FSRS: 1 again, 2 hard, 3 good, 4 easy
    correct BIGINT NOT NULL,
    chosen TEXT NOT NULL,          -- option indexes, comma-separated
    first_review BIGINT NOT NULL, -- 1 when the card was new (counts against the daily limit)
    reviewed_ms BIGINT NOT NULL
);
CREATE INDEX practice_reviews_user ON practice_reviews(user_id, reviewed_ms);
CREATE INDEX practice_reviews_card ON practice_reviews(user_id, question_id, id);
CREATE FUNCTION lantern_practice_reviews_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER practice_reviews_append_only BEFORE UPDATE OR DELETE ON practice_reviews
FOR EACH ROW EXECUTE FUNCTION lantern_practice_reviews_append_only();

-- Each learner's FSRS state per question (derived from the review log).
CREATE TABLE practice_cards (
    user_id BIGINT NOT NULL REFERENCES users(id),
    question_id TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    domain TEXT NOT NULL,
    stability DOUBLE PRECISION NOT NULL,
    difficulty DOUBLE PRECISION NOT NULL,
    last_review_ms BIGINT NOT NULL,
    due_ms BIGINT NOT NULL,
    reps BIGINT NOT NULL,
    lapses BIGINT NOT NULL,
    PRIMARY KEY (user_id, question_id)
);
CREATE INDEX practice_cards_due ON practice_cards(user_id, due_ms);

-- Mock exams: server-side start and deadline; answers after the deadline are not counted.
CREATE TABLE practice_exams (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    blueprint TEXT NOT NULL,
    question_ids TEXT NOT NULL,    -- newline-separated, in exam order
    started_ms BIGINT NOT NULL,
    deadline_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    correct BIGINT,
    total BIGINT
);
CREATE INDEX practice_exams_user ON practice_exams(user_id, started_ms);
CREATE TABLE practice_exam_answers (
    exam_id BIGINT NOT NULL REFERENCES practice_exams(id),
    position BIGINT NOT NULL,
    question_id TEXT NOT NULL,
    chosen TEXT NOT NULL,
    correct BIGINT NOT NULL,
    answered_ms BIGINT NOT NULL,
    PRIMARY KEY (exam_id, position)
);
