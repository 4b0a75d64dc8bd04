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

-- An organization's tuning of the language rules (the checker's Overrides, as JSON)
-- and its crisis protocol, shown when a note signals risk.
CREATE TABLE language_settings (
    org_id BIGINT PRIMARY KEY REFERENCES orgs(id),
    overrides_json TEXT NOT NULL DEFAULT '{}',
    crisis_protocol TEXT NOT NULL DEFAULT '',
    updated_ms BIGINT NOT NULL
);
