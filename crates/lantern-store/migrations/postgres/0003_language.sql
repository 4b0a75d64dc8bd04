-- Dismissed wording suggestions, kept to tune the rules (which rule, what text, why).
CREATE TABLE language_dismissals (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    rule TEXT NOT NULL,
    text TEXT NOT NULL,
    reason TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX language_dismissals_rule ON language_dismissals(org_id, rule);
