//! The HSDS 3.1 tabular form: one CSV file per object, children linked by `*_id` columns.
//! [`write_dir`] writes a data package (CSV files plus `datapackage.json`); [`read_dir`] reads
//! one back (any HSDS 3.x package with these file names), checking links and values.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use crate::csv1::load_table;
use crate::json::{finish, ingest_value, Ingest, Kind};
use crate::{io_err, Directory, HsdsError, Loaded, ReadOptions, Rejections, SourceFormat};

/// `(resource name, file, columns)` of the HSDS 3.1 tabular data package.
pub const TABLES: &[(&str, &str, &[&str])] = &[
    ("organization", "organizations.csv", &["id", "name", "alternate_name", "description", "email", "website", "tax_status", "tax_id", "year_incorporated", "legal_status", "logo", "uri", "parent_organization_id"]),
    ("program", "programs.csv", &["id", "organization_id", "name", "alternate_name", "description"]),
    ("service", "services.csv", &["id", "organization_id", "program_id", "name", "alternate_name", "description", "url", "email", "status", "interpretation_services", "application_process", "fees_description", "wait_time", "fees", "accreditations", "eligibility_description", "minimum_age", "maximum_age", "assured_date", "assurer_email", "licenses", "alert", "last_modified"]),
    ("attribute", "attributes.csv", &["id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value", "label"]),
    ("service_at_location", "service_at_location.csv", &["id", "service_id", "location_id", "description"]),
    ("location", "locations.csv", &["id", "location_type", "url", "organization_id", "name", "alternate_name", "description", "transportation", "latitude", "longitude", "external_identifier", "external_identifier_type"]),
    ("phone", "phones.csv", &["id", "location_id", "service_id", "organization_id", "contact_id", "service_at_location_id", "number", "extension", "type", "description"]),
    ("contact", "contacts.csv", &["id", "organization_id", "service_id", "service_at_location_id", "location_id", "name", "title", "department", "email"]),
    ("address", "addresses.csv", &["id", "location_id", "attention", "address_1", "address_2", "city", "region", "state_province", "postal_code", "country", "address_type"]),
    ("schedule", "schedules.csv", &["id", "service_id", "location_id", "service_at_location_id", "valid_from", "valid_to", "dtstart", "timezone", "until", "count", "wkst", "freq", "interval", "byday", "byweekno", "bymonthday", "byyearday", "description", "opens_at", "closes_at", "schedule_link", "attending_type", "notes"]),
    ("funding", "funding.csv", &["id", "organization_id", "service_id", "source"]),
    ("service_area", "service_areas.csv", &["id", "service_id", "service_at_location_id", "name", "description", "extent", "extent_type", "uri"]),
    ("required_document", "required_documents.csv", &["id", "service_id", "document", "uri"]),
    ("language", "languages.csv", &["id", "service_id", "location_id", "phone_id", "name", "code", "note"]),
    ("accessibility", "accessibility.csv", &["id", "location_id", "description", "details", "url"]),
    ("taxonomy_term", "taxonomy_terms.csv", &["id", "code", "name", "description", "parent_id", "taxonomy", "language", "taxonomy_id", "term_uri"]),
    ("cost_option", "cost_options.csv", &["id", "service_id", "valid_from", "valid_to", "option", "currency", "amount", "amount_description"]),
    ("organization_identifier", "organization_identifiers.csv", &["id", "organization_id", "identifier_scheme", "identifier_type", "identifier"]),
    ("taxonomy", "taxonomies.csv", &["id", "name", "description", "uri", "version"]),
    ("url", "url.csv", &["id", "label", "url", "organization_id", "service_id"]),
];

/// Text columns the 3.1 schemas require, kept even when empty.
const REQUIRED_TEXT: &[(&str, &str)] = &[
    ("organization", "name"), ("organization", "description"), ("program", "name"), ("program", "description"),
    ("service", "name"), ("service", "status"), ("location", "location_type"), ("phone", "number"),
    ("address", "address_1"), ("address", "city"), ("address", "state_province"), ("address", "postal_code"),
    ("address", "country"), ("address", "address_type"), ("taxonomy", "name"), ("taxonomy", "description"),
    ("taxonomy_term", "name"), ("taxonomy_term", "description"), ("organization_identifier", "identifier_type"),
    ("organization_identifier", "identifier"), ("url", "url"),
];

/// Columns whose values are JSON numbers.
const NUMBERS: &[&str] = &["year_incorporated", "minimum_age", "maximum_age", "latitude", "longitude", "extension", "timezone", "count", "interval", "amount"];

/// The resource a nested array key holds.
fn key_resource(key: &str) -> Option<&'static str> {
    Some(match key {
        "programs" => "program",
        "phones" => "phone",
        "contacts" => "contact",
        "addresses" => "address",
        "schedules" => "schedule",
        "funding" => "funding",
        "service_areas" => "service_area",
        "required_documents" => "required_document",
        "languages" => "language",
        "accessibility" => "accessibility",
        "cost_options" => "cost_option",
        "organization_identifiers" => "organization_identifier",
        "additional_websites" | "additional_urls" => "url",
        "attributes" => "attribute",
        _ => return None,
    })
}

/// The foreign-key column that names an object of `resource`.
fn fk_column(resource: &str) -> &'static str {
    match resource {
        "organization" => "organization_id",
        "service" => "service_id",
        "location" => "location_id",
        "service_at_location" => "service_at_location_id",
        "contact" => "contact_id",
        "phone" => "phone_id",
        _ => "",
    }
}

fn columns(resource: &str) -> &'static [&'static str] {
    TABLES.iter().find(|t| t.0 == resource).map(|t| t.2).unwrap_or(&[])
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

/// Flattens one object of `resource` (and its nested children) into rows.
fn flatten(resource: &str, mut obj: Map<String, Value>, parent: Option<(&str, &str)>, rows: &mut HashMap<&'static str, Vec<Vec<String>>>, seen: &mut std::collections::HashSet<(&'static str, String)>) {
    if let Some((pres, pid)) = parent {
        let fk = fk_column(pres);
        if columns(resource).contains(&fk) && obj.get(fk).map(|v| v.is_null()).unwrap_or(true) {
            obj.insert(fk.to_owned(), Value::String(pid.to_owned()));
        }
        if resource == "attribute" {
            obj.entry("link_id").or_insert_with(|| Value::String(pid.to_owned()));
            obj.entry("link_entity").or_insert_with(|| Value::String(pres.to_owned()));
        }
    }
    let id = cell(obj.get("id"));
    let Some(&(name, _, cols)) = TABLES.iter().find(|t| t.0 == resource) else { return };
    // An object nested in several places (the same phone under a service and its location)
    // is one row.
    if !seen.insert((name, id.clone())) {
        return;
    }
    rows.entry(name).or_default().push(cols.iter().map(|c| cell(obj.get(*c))).collect());
    for (k, v) in obj {
        if let (Some(child), Value::Array(items)) = (key_resource(&k), v) {
            for item in items {
                if let Value::Object(o) = item {
                    flatten(child, o, Some((resource, &id)), rows, seen);
                }
            }
        }
    }
}

/// Writes `dir` as an HSDS 3.1 tabular data package (CSV files + `datapackage.json`) into `out`.
pub fn write_dir(dir: &Directory, out: &Path) -> Result<(), HsdsError> {
    std::fs::create_dir_all(out).map_err(|e| io_err(out, e))?;
    let mut rows: HashMap<&'static str, Vec<Vec<String>>> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    fn each<T: serde::Serialize>(resource: &str, items: &[T], rows: &mut HashMap<&'static str, Vec<Vec<String>>>, seen: &mut std::collections::HashSet<(&'static str, String)>) {
        for it in items {
            if let Ok(Value::Object(o)) = serde_json::to_value(it) {
                flatten(resource, o, None, rows, seen);
            }
        }
    }
    each("organization", &dir.organizations, &mut rows, &mut seen);
    each("taxonomy", &dir.taxonomies, &mut rows, &mut seen);
    each("taxonomy_term", &dir.taxonomy_terms, &mut rows, &mut seen);
    each("location", &dir.locations, &mut rows, &mut seen);
    each("service", &dir.services, &mut rows, &mut seen);
    each("service_at_location", &dir.service_at_locations, &mut rows, &mut seen);
    let mut resources = Vec::new();
    for (name, file, cols) in TABLES {
        let path = out.join(file);
        let mut w = csv::Writer::from_path(&path).map_err(|e| HsdsError::Write { path: path.clone(), reason: e.to_string() })?;
        let werr = |e: csv::Error| HsdsError::Write { path: path.clone(), reason: e.to_string() };
        w.write_record(*cols).map_err(werr)?;
        for r in rows.get(name).map(Vec::as_slice).unwrap_or(&[]) {
            w.write_record(r).map_err(werr)?;
        }
        w.flush().map_err(|e| io_err(&path, e))?;
        let fields: Vec<Value> = cols
            .iter()
            .map(|c| serde_json::json!({"name": c, "type": if NUMBERS.contains(c) { "number" } else { "string" }}))
            .collect();
        resources.push(serde_json::json!({
            "name": name,
            "path": file,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": "id"},
        }));
    }
    let pkg = serde_json::json!({
        "profile": "tabular-data-package",
        "name": "hsds-directory",
        "title": "Community resource directory (HSDS 3.1)",
        "resources": resources,
    });
    let path = out.join("datapackage.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&pkg).unwrap_or_default()).map_err(|e| io_err(&path, e))
}

struct Rec {
    file: &'static str,
    line: u64,
    obj: Map<String, Value>,
}

/// Reads an HSDS 3.x tabular data package from `dir`.
pub fn read_dir(dir: &Path, opts: ReadOptions) -> Result<Loaded, HsdsError> {
    let mut rej = Rejections::default();
    // Every table as objects keyed by id.
    let mut tables: HashMap<&'static str, Vec<Rec>> = HashMap::new();
    for (name, file, _) in TABLES {
        let file_name = if *name == "service_at_location" && !dir.join(file).is_file() && dir.join("services_at_location.csv").is_file() {
            "services_at_location.csv"
        } else {
            file
        };
        let Some(t) = load_table(dir, file_name, &["id"], &mut rej)? else { continue };
        let mut recs = Vec::new();
        'rows: for row in &t.rows {
            let mut obj = Map::new();
            for (col, &i) in &t.columns {
                let v = row.fields.get(i).map(|s| s.trim()).unwrap_or("");
                let Some(col) = columns(name).iter().find(|c| **c == col.as_str()) else { continue };
                if v.is_empty() {
                    // Required text may be empty in HSDS (an address without a postcode): keep it.
                    if REQUIRED_TEXT.contains(&(*name, *col)) {
                        obj.insert((*col).to_owned(), Value::String(String::new()));
                    }
                    continue;
                }
                let value = if NUMBERS.contains(col) {
                    match v.parse::<f64>() {
                        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null),
                        _ => {
                            rej.push(&t.file, row.line, col, format!("{v:?} is not a number"));
                            continue 'rows;
                        }
                    }
                } else {
                    Value::String(v.to_owned())
                };
                obj.insert((*col).to_owned(), value);
            }
            recs.push(Rec { file: file_name, line: row.line, obj });
        }
        tables.insert(name, recs);
    }
    let mut take = |name: &str| tables.remove(name).unwrap_or_default();
    // Children first: languages into phones, phones into contacts, then everything into its owner.
    let mut by_id: HashMap<(&'static str, String), Map<String, Value>> = HashMap::new();
    let mut order: Vec<(&'static str, String, &'static str, u64)> = Vec::new();
    for top in ["organization", "service", "location", "service_at_location", "taxonomy", "taxonomy_term", "contact", "phone"] {
        for r in take(top) {
            let id = cell(r.obj.get("id"));
            if by_id.contains_key(&(top, id.clone())) {
                rej.push(r.file, r.line, "id", format!("duplicate id {id}"));
                continue;
            }
            order.push((top, id.clone(), r.file, r.line));
            by_id.insert((top, id), r.obj);
        }
    }
    // (child resource, array key, owners in order of preference)
    let links: &[(&str, &str, &[&str])] = &[
        ("language", "languages", &["phone", "service", "location"]),
        ("phone", "phones", &["contact", "service_at_location", "service", "location", "organization"]),
        ("contact", "contacts", &["service_at_location", "service", "location", "organization"]),
        ("program", "programs", &["organization"]),
        ("address", "addresses", &["location"]),
        ("accessibility", "accessibility", &["location"]),
        ("schedule", "schedules", &["service_at_location", "service", "location"]),
        ("service_area", "service_areas", &["service_at_location", "service"]),
        ("cost_option", "cost_options", &["service"]),
        ("funding", "funding", &["service", "organization"]),
        ("required_document", "required_documents", &["service"]),
        ("organization_identifier", "organization_identifiers", &["organization"]),
        ("url", "additional_urls", &["service", "organization"]),
        ("attribute", "attributes", &[]),
    ];
    for (child, key, owners) in links {
        let recs: Vec<Rec> = if *child == "phone" || *child == "contact" {
            order
                .iter()
                .filter(|(t, ..)| t == child)
                .filter_map(|(t, id, f, l)| by_id.remove(&(*t, id.clone())).map(|obj| Rec { file: f, line: *l, obj }))
                .collect()
        } else {
            take(child)
        };
        for r in recs {
            let owner = if *child == "attribute" {
                let entity = cell(r.obj.get("link_entity"));
                let link = cell(r.obj.get("link_id"));
                if entity.is_empty() || link.is_empty() {
                    rej.push(r.file, r.line, if entity.is_empty() { "link_entity" } else { "link_id" }, "required value is empty");
                    continue;
                }
                match ["organization", "service", "location", "service_at_location", "contact", "phone"].iter().find(|e| **e == entity) {
                    Some(e) if by_id.contains_key(&(*e, link.clone())) => Some((*e, link)),
                    _ => {
                        rej.push(r.file, r.line, "link_id", format!("{link} names no {entity} in this package"));
                        continue;
                    }
                }
            } else {
                let mut found = None;
                let mut dangling = None;
                for o in owners.iter() {
                    let fk = fk_column(o);
                    let v = cell(r.obj.get(fk));
                    if v.is_empty() {
                        continue;
                    }
                    if by_id.contains_key(&(*o, v.clone())) {
                        found = Some((*o, v));
                        break;
                    }
                    dangling.get_or_insert((fk, v, *o));
                }
                match (found, dangling) {
                    (Some(f), _) => Some(f),
                    (None, Some((fk, v, o))) => {
                        rej.push(r.file, r.line, fk, format!("{v} names no {o} in this package"));
                        continue;
                    }
                    (None, None) => None,
                }
            };
            let Some((otable, oid)) = owner else {
                rej.push(r.file, r.line, owners.first().map(|o| fk_column(o)).unwrap_or("-"), "the row names no owner");
                continue;
            };
            let key = if *child == "url" && otable == "organization" { "additional_websites" } else { key };
            if let Some(parent) = by_id.get_mut(&(otable, oid)) {
                match parent.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(a) => a.push(Value::Object(r.obj)),
                    _ => rej.push(r.file, r.line, key, "cannot be attached"),
                }
            }
        }
    }
    let mut ing = Ingest::default();
    for (table, id, file, line) in order {
        let kind = match table {
            "organization" => Kind::Organization,
            "service" => Kind::Service,
            "location" => Kind::Location,
            "service_at_location" => Kind::Sal,
            "taxonomy" => Kind::Taxonomy,
            "taxonomy_term" => Kind::Term,
            _ => continue,
        };
        if let Some(obj) = by_id.remove(&(table, id)) {
            ingest_value(&mut ing, kind, Value::Object(obj), file, line, &mut rej);
        }
    }
    let (directory, notices) = finish(ing, &mut rej);
    let rejected = rej.finish(opts)?;
    Ok(Loaded { directory, format: SourceFormat::Csv3, rejected, notices })
}
