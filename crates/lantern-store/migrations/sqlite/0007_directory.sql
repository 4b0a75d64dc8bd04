-- The community resource directory (HSDS 3.1). One row per top-level HSDS object with its
-- 3.1 JSON document (`doc`, children nested) plus the columns queries need. owner_org_id NULL
-- is the community directory shared by the deployment; otherwise a private listing that
-- only that organization's staff see. Ids are HSDS UUIDs (text).
CREATE TABLE dir_organizations (
    id TEXT PRIMARY KEY,
    owner_org_id INTEGER REFERENCES orgs(id),
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    source_key TEXT,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE dir_services (
    id TEXT PRIMARY KEY,
    owner_org_id INTEGER REFERENCES orgs(id),
    organization_id TEXT REFERENCES dir_organizations(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    source_key TEXT,
    last_verified TEXT,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE INDEX dir_services_org ON dir_services(organization_id, id);
CREATE INDEX dir_services_modified ON dir_services(modified_ms);
CREATE INDEX dir_services_verified ON dir_services(last_verified);
CREATE TABLE dir_locations (
    id TEXT PRIMARY KEY,
    owner_org_id INTEGER REFERENCES orgs(id),
    organization_id TEXT REFERENCES dir_organizations(id),
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    source_key TEXT,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE dir_service_at_locations (
    id TEXT PRIMARY KEY,
    owner_org_id INTEGER REFERENCES orgs(id),
    service_id TEXT NOT NULL REFERENCES dir_services(id),
    location_id TEXT NOT NULL REFERENCES dir_locations(id),
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    source_key TEXT,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE INDEX dir_sal_service ON dir_service_at_locations(service_id);
CREATE INDEX dir_sal_location ON dir_service_at_locations(location_id);
CREATE TABLE dir_taxonomies (
    id TEXT PRIMARY KEY,
    owner_org_id INTEGER REFERENCES orgs(id),
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    source_key TEXT,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE dir_taxonomy_terms (
    id TEXT PRIMARY KEY,
    owner_org_id INTEGER REFERENCES orgs(id),
    taxonomy_id TEXT,
    parent_id TEXT,
    code TEXT,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    doc_hash TEXT NOT NULL,
    source_key TEXT,
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE INDEX dir_terms_taxonomy ON dir_taxonomy_terms(taxonomy_id);
CREATE INDEX dir_terms_parent ON dir_taxonomy_terms(parent_id);
-- Which taxonomy terms a service carries, and which postcodes it serves (its locations'
-- addresses and its service areas), for the HSDS API's filters.
CREATE TABLE dir_service_terms (
    service_id TEXT NOT NULL REFERENCES dir_services(id),
    term_id TEXT NOT NULL,
    PRIMARY KEY (service_id, term_id)
);
CREATE INDEX dir_service_terms_term ON dir_service_terms(term_id);
CREATE TABLE dir_service_postcodes (
    service_id TEXT NOT NULL REFERENCES dir_services(id),
    postcode TEXT NOT NULL,
    PRIMARY KEY (service_id, postcode)
);
CREATE INDEX dir_service_postcodes_pc ON dir_service_postcodes(postcode);
-- Imports and what each changed.
CREATE TABLE dir_import_runs (
    id INTEGER PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    owner_org_id INTEGER REFERENCES orgs(id),
    actor_id INTEGER REFERENCES users(id),
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected INTEGER NOT NULL
);
CREATE TABLE dir_import_changes (
    run_id INTEGER NOT NULL REFERENCES dir_import_runs(id),
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    change TEXT NOT NULL,
    PRIMARY KEY (run_id, object_type, object_id)
);
-- Freshness: who confirmed a listing, when, and what.
CREATE TABLE dir_verifications (
    id INTEGER PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES dir_services(id),
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    user_id INTEGER REFERENCES users(id),
    verified_on TEXT NOT NULL,
    verified_ms INTEGER NOT NULL,
    confirmed TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dir_verifications_service ON dir_verifications(service_id, verified_ms);
