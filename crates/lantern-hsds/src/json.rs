//! Reader for HSDS 3.x JSON: the HSDS API's `Page` (`{"contents": [...]}`), a plain array, or a
//! single object, per file; a folder of such files. The kind of object comes from the file name
//! (`services.json`, `service_list.json`, `organization_full.json`…) or, failing that, from its
//! fields. Nested objects (a service's organization, a service_at_location's location, an
//! attribute's taxonomy_term, an organization's locations) are taken out into their own lists.
//! Ids that are not UUIDs are mapped with [`crate::map_id`] (table from the field name).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::model::*;
use crate::values::*;
use crate::{io_err, map_id, Directory, HsdsError, Loaded, ReadOptions, Rejections, SourceFormat};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Organization,
    Service,
    Location,
    Sal,
    Taxonomy,
    Term,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Organization => "organizations",
            Kind::Service => "services",
            Kind::Location => "locations",
            Kind::Sal => "service_at_location",
            Kind::Taxonomy => "taxonomies",
            Kind::Term => "taxonomy_terms",
        }
    }

    fn from_name(stem: &str) -> Option<Kind> {
        let s = stem.trim_end_matches("_list").trim_end_matches("_full");
        Some(match s {
            "organization" | "organizations" => Kind::Organization,
            "service" | "services" => Kind::Service,
            "location" | "locations" => Kind::Location,
            "service_at_location" | "service_at_locations" | "services_at_location" => Kind::Sal,
            "taxonomy" | "taxonomies" => Kind::Taxonomy,
            "taxonomy_term" | "taxonomy_terms" => Kind::Term,
            _ => return None,
        })
    }

    fn sniff(o: &Map<String, Value>) -> Option<Kind> {
        let has = |k: &str| o.contains_key(k);
        if has("status") && has("name") {
            Some(Kind::Service)
        } else if has("location_type") {
            Some(Kind::Location)
        } else if has("service_id") && (has("location_id") || has("location")) {
            Some(Kind::Sal)
        } else if has("taxonomy_detail") || has("parent_id") || has("term_uri") || (has("code") && has("name")) {
            Some(Kind::Term)
        } else if has("locations") || has("website") || has("year_incorporated") || has("legal_status") || has("programs") {
            Some(Kind::Organization)
        } else if has("version") && has("name") && has("description") {
            Some(Kind::Taxonomy)
        } else {
            None
        }
    }
}

/// The table (for [`map_id`]) a nested key's objects belong to.
fn child_table(key: &str) -> Option<&'static str> {
    Some(match key {
        "phones" => "phones",
        "schedules" => "schedules",
        "addresses" => "addresses",
        "languages" => "languages",
        "contacts" => "contacts",
        "accessibility" => "accessibility",
        "cost_options" => "cost_options",
        "service_areas" => "service_areas",
        "funding" => "funding",
        "required_documents" => "required_documents",
        "attributes" => "attributes",
        "metadata" => "metadata",
        "programs" | "program" => "programs",
        "organization_identifiers" => "organization_identifiers",
        "additional_websites" | "additional_urls" => "url",
        "capacities" => "service_capacity",
        "service_at_locations" => "service_at_location",
        "locations" | "location" => "locations",
        "organization" => "organizations",
        "taxonomy_term" => "taxonomy_terms",
        "taxonomy_detail" => "taxonomies",
        "unit" => "units",
        _ => return None,
    })
}

/// The table a foreign-key field points into.
fn fk_table(key: &str, own_table: &str) -> Option<&'static str> {
    Some(match key {
        "organization_id" | "parent_organization_id" => "organizations",
        "service_id" => "services",
        "location_id" => "locations",
        "service_at_location_id" => "service_at_location",
        "program_id" => "programs",
        "contact_id" => "contacts",
        "phone_id" => "phones",
        "taxonomy_term_id" => "taxonomy_terms",
        "taxonomy_id" => "taxonomies",
        "unit_id" => "units",
        "parent_id" if own_table == "taxonomy_terms" => "taxonomy_terms",
        _ => return None,
    })
}

/// Maps non-UUID ids and checks field values, recursively. Problems are pushed as
/// `(field path, reason)`.
fn normalize(v: &mut Value, table: &str, path: &str, problems: &mut Vec<(String, String)>, sources: &mut Vec<(String, String)>) {
    let Value::Object(o) = v else { return };
    let link_entity = o.get("link_entity").and_then(Value::as_str).map(str::to_owned);
    for (k, val) in o.iter_mut() {
        let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        match val {
            Value::String(s) => {
                let target = if k == "id" {
                    Some(table)
                } else if k == "link_id" {
                    link_entity.as_deref().and_then(|e| child_table(&format!("{e}s")).or(match e {
                        "service" => Some("services"),
                        "organization" => Some("organizations"),
                        "location" => Some("locations"),
                        "service_at_location" => Some("service_at_location"),
                        _ => None,
                    }))
                } else {
                    fk_table(k, table)
                };
                if let Some(t) = target {
                    if !crate::is_uuid(s) {
                        if s.trim().is_empty() {
                            problems.push((p.clone(), "empty id".into()));
                        } else {
                            let mapped = map_id(t, s);
                            if k == "id" {
                                sources.push((mapped.clone(), format!("{t}/{}", s.trim())));
                            }
                            *s = mapped;
                        }
                    } else {
                        *s = s.to_ascii_lowercase();
                    }
                    continue;
                }
                let check = match k.as_str() {
                    "opens_at" | "closes_at" => parse_time(s).map(|_| ()),
                    "valid_from" | "valid_to" | "assured_date" | "dtstart" | "until" | "last_action_date" => {
                        parse_date(s).map(|_| ())
                    }
                    "last_modified" | "updated" => check_datetime(s).map(|_| ()),
                    "email" | "assurer_email" => check_email(s).map(|_| ()),
                    "url" | "website" | "uri" | "term_uri" | "schedule_link" => match url::Url::parse(s) {
                        Ok(u) if u.as_str() == s.as_str() || u.as_str() == format!("{s}/") => Ok(()),
                        Ok(u) => Err(format!("{s:?} is not a well-formed URI (did you mean {:?}?)", u.as_str())),
                        Err(e) => Err(format!("{s:?} is not an absolute URI ({e})")),
                    },
                    "status" if table == "services" => one_of(s, &["active", "inactive", "defunct", "temporarily closed"]),
                    "location_type" | "address_type" => one_of(s, &["physical", "postal", "virtual"]),
                    "freq" => one_of(s, &["WEEKLY", "MONTHLY"]),
                    "wkst" => one_of(s, &["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
                    _ => Ok(()),
                };
                if let Err(e) = check {
                    problems.push((p, e));
                }
            }
            Value::Array(items) => {
                let t = child_table(k).unwrap_or("unknown");
                for (i, item) in items.iter_mut().enumerate() {
                    normalize(item, t, &format!("{p}[{i}]"), problems, sources);
                }
            }
            Value::Object(_) => {
                let t = child_table(k).unwrap_or("unknown");
                normalize(val, t, &p, problems, sources);
            }
            _ => {}
        }
    }
}

fn one_of(s: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&s) {
        Ok(())
    } else {
        Err(format!("{s:?} is not one of {}", allowed.join(", ")))
    }
}

/// Collects objects, taking nested top-level objects out, and checks ids and links.
#[derive(Default)]
pub(crate) struct Ingest {
    dir: Directory,
    pub notices: Vec<String>,
    /// (kind, id) → (file, line) of top-level items, for duplicate detection and link errors.
    origin: HashMap<(u8, String), (String, u64)>,
}

fn kind_code(k: Kind) -> u8 {
    k as u8
}

impl Ingest {
    fn add_org(&mut self, mut o: Organization, embedded: bool) {
        for mut l in std::mem::take(&mut o.locations) {
            l.organization_id.get_or_insert_with(|| o.id.clone());
            self.add_location(l, true);
        }
        self.strip_attrs(&mut o.attributes);
        if embedded && self.dir.organizations.iter().any(|x| x.id == o.id) {
            return;
        }
        self.dir.organizations.push(o);
    }

    fn add_location(&mut self, mut l: Location, embedded: bool) {
        self.strip_attrs(&mut l.attributes);
        if embedded && self.dir.locations.iter().any(|x| x.id == l.id) {
            return;
        }
        self.dir.locations.push(l);
    }

    fn add_sal(&mut self, mut s: ServiceAtLocation, embedded: bool) {
        if let Some(l) = s.location.take() {
            s.location_id.get_or_insert_with(|| l.id.clone());
            self.add_location(*l, true);
        }
        self.strip_attrs(&mut s.attributes);
        if embedded {
            if let Some(x) = self.dir.service_at_locations.iter_mut().find(|x| x.id == s.id) {
                if x.service_id.is_none() {
                    x.service_id = s.service_id;
                }
                if x.location_id.is_none() {
                    x.location_id = s.location_id;
                }
                return;
            }
        }
        self.dir.service_at_locations.push(s);
    }

    fn add_service(&mut self, mut s: Service) {
        if let Some(o) = s.organization.take() {
            s.organization_id.get_or_insert_with(|| o.id.clone());
            self.add_org(*o, true);
        }
        if let Some(p) = s.program.take() {
            s.program_id.get_or_insert_with(|| p.id.clone());
            if let Some(org) = self.dir.organizations.iter_mut().find(|o| Some(&o.id) == s.organization_id.as_ref()) {
                if !org.programs.iter().any(|x| x.id == p.id) {
                    org.programs.push(*p);
                }
            }
        }
        for mut sal in std::mem::take(&mut s.service_at_locations) {
            sal.service_id.get_or_insert_with(|| s.id.clone());
            self.add_sal(sal, true);
        }
        self.strip_attrs(&mut s.attributes);
        self.dir.services.push(s);
    }

    fn add_term(&mut self, mut t: TaxonomyTerm, embedded: bool) {
        if let Some(tx) = t.taxonomy_detail.take() {
            t.taxonomy_id.get_or_insert_with(|| tx.id.clone());
            if !self.dir.taxonomies.iter().any(|x| x.id == tx.id) {
                self.dir.taxonomies.push(*tx);
            }
        }
        if embedded && self.dir.taxonomy_terms.iter().any(|x| x.id == t.id) {
            return;
        }
        self.dir.taxonomy_terms.push(t);
    }

    fn strip_attrs(&mut self, attrs: &mut [Attribute]) {
        for a in attrs {
            if let Some(t) = a.taxonomy_term.take() {
                a.taxonomy_term_id.get_or_insert_with(|| t.id.clone());
                self.add_term(*t, true);
            }
        }
    }
}

fn line_of(text: &str, offset: usize) -> u64 {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Takes a full service apart into a [`Directory`] (its organization, service_at_locations,
/// locations and taxonomy terms become top-level objects).
pub fn flatten_service(service: Service) -> Directory {
    let mut ing = Ingest::default();
    ing.add_service(service);
    let mut dir = ing.dir;
    dedupe(&mut dir);
    dir
}

/// Reads HSDS 3.x JSON files.
pub fn read_files(files: &[PathBuf], opts: ReadOptions) -> Result<Loaded, HsdsError> {
    let mut rej = Rejections::default();
    let mut notices = Vec::new();
    let mut ing = Ingest::default();
    for path in files {
        read_file(path, &mut ing, &mut rej, &mut notices)?;
    }
    let (dir, more) = finish(ing, &mut rej);
    notices.extend(more);
    let rejected = rej.finish(opts)?;
    Ok(Loaded { directory: dir, format: SourceFormat::Json3, rejected, notices })
}

fn dedupe(dir: &mut Directory) {
    fn d<T>(v: &mut Vec<T>, id: impl Fn(&T) -> &String) {
        let mut seen = std::collections::HashSet::new();
        v.retain(|x| seen.insert(id(x).clone()));
    }
    d(&mut dir.organizations, |x| &x.id);
    d(&mut dir.locations, |x| &x.id);
    d(&mut dir.service_at_locations, |x| &x.id);
    d(&mut dir.taxonomies, |x| &x.id);
    d(&mut dir.taxonomy_terms, |x| &x.id);
}

fn read_file(path: &Path, ing: &mut Ingest, rej: &mut Rejections, notices: &mut Vec<String>) -> Result<(), HsdsError> {
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            rej.push(&file, line, "-", "not valid UTF-8");
            return Ok(());
        }
    };
    let root: &RawValue = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let reason = if e.is_eof() { format!("the file ends early (truncated?): {e}") } else { format!("not valid JSON: {e}") };
            rej.push(&file, e.line() as u64, "-", reason);
            return Ok(());
        }
    };
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let by_name = Kind::from_name(&stem);
    let trimmed = root.get().trim_start();
    let items: Vec<&RawValue> = if trimmed.starts_with('[') {
        serde_json::from_str(root.get()).unwrap_or_default()
    } else {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow)]
            contents: Option<Vec<&'a RawValue>>,
        }
        match serde_json::from_str::<Page>(root.get()) {
            Ok(Page { contents: Some(c) }) => c,
            _ => vec![root],
        }
    };
    let mut used = 0;
    // Items come in file order: count lines incrementally.
    let (mut counted_to, mut line) = (0usize, 1u64);
    for raw in items {
        let offset = (raw.get().as_ptr() as usize - text.as_ptr() as usize).min(text.len());
        if offset >= counted_to {
            line += text.as_bytes()[counted_to..offset].iter().filter(|&&b| b == b'\n').count() as u64;
            counted_to = offset;
        } else {
            line = line_of(text, offset);
        }
        let v: Value = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(e) => {
                rej.push(&file, line, "-", e.to_string());
                continue;
            }
        };
        let Some(obj) = v.as_object() else {
            rej.push(&file, line, "-", "expected a JSON object");
            continue;
        };
        let Some(kind) = by_name.or_else(|| Kind::sniff(obj)) else {
            continue;
        };
        used += 1;
        ingest_value(ing, kind, v, &file, line, rej);
    }
    if used == 0 {
        notices.push(format!("{file}: no HSDS objects recognised; file ignored"));
    }
    Ok(())
}

/// Checks, maps ids of, and takes in one top-level object read from `file` at `line`.
pub(crate) fn ingest_value(ing: &mut Ingest, kind: Kind, mut v: Value, file: &str, line: u64, rej: &mut Rejections) {
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    normalize(&mut v, kind.table(), "", &mut problems, &mut sources);
    if !problems.is_empty() {
        for (field, reason) in problems {
            rej.push(file, line, &field, reason);
        }
        return;
    }
    let id = v.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
    if id.is_empty() {
        rej.push(file, line, "id", "missing id");
        return;
    }
    let key = (kind_code(kind), id.clone());
    if let Some((f, l)) = ing.origin.get(&key).cloned() {
        if f == file {
            rej.push(file, line, "id", format!("duplicate id {id} (first on line {l})"));
        } else {
            // The same object served by several endpoints (a _full and a _list file): the
            // first copy is kept; links missing from it are taken from this one.
            if kind == Kind::Sal {
                if let Ok(s) = serde_json::from_value::<ServiceAtLocation>(v) {
                    ing.add_sal(s, true);
                }
            }
            ing.notices.push(format!("{file}:{line}: id: {id} also appears in {f} line {l}; the first copy is kept"));
        }
        return;
    }
    let res = match kind {
        Kind::Organization => serde_json::from_value::<Organization>(v).map(|o| ing.add_org(o, false)),
        Kind::Service => serde_json::from_value::<Service>(v).map(|s| ing.add_service(s)),
        Kind::Location => serde_json::from_value::<Location>(v).map(|l| ing.add_location(l, false)),
        Kind::Sal => serde_json::from_value::<ServiceAtLocation>(v).map(|s| ing.add_sal(s, false)),
        Kind::Taxonomy => serde_json::from_value::<Taxonomy>(v).map(|t| ing.dir.taxonomies.push(t)),
        Kind::Term => serde_json::from_value::<TaxonomyTerm>(v).map(|t| ing.add_term(t, false)),
    };
    if let Err(e) = res {
        rej.push(file, line, "-", e.to_string());
        return;
    }
    ing.origin.insert(key, (file.to_owned(), line));
    for (id, src) in sources {
        ing.dir.source_ids.insert(id, src);
    }
}

/// Finishes an ingest: link checks, de-duplication of embedded copies.
pub(crate) fn finish(mut ing: Ingest, rej: &mut Rejections) -> (Directory, Vec<String>) {
    check_links(&mut ing, rej);
    let mut dir = ing.dir;
    dedupe(&mut dir);
    (dir, ing.notices)
}

/// Rejects objects whose links name nothing in the input (and what hangs from them).
fn check_links(ing: &mut Ingest, rej: &mut Rejections) {
    let origin = ing.origin.clone();
    let at = |k: Kind, id: &str| origin.get(&(kind_code(k), id.to_owned())).cloned().unwrap_or_else(|| ("(nested)".into(), 0));
    let d = &mut ing.dir;
    let _ = &origin;
    let taxes: std::collections::HashSet<String> = d.taxonomies.iter().map(|x| x.id.clone()).collect();
    let term_ids: std::collections::HashSet<String> = d.taxonomy_terms.iter().map(|x| x.id.clone()).collect();
    for t in d.taxonomy_terms.iter_mut() {
        if let Some(p) = t.parent_id.clone() {
            if !term_ids.contains(&p) {
                // Datasets may embed only the terms they use: a parent outside the input is
                // dropped, not the term.
                let (f, l) = at(Kind::Term, &t.id);
                ing.notices.push(format!("{f}:{l}: parent_id: {p} names no taxonomy term in the input; the link was left out"));
                t.parent_id = None;
            }
        }
    }
    d.taxonomy_terms.retain(|t| {
        let (f, l) = at(Kind::Term, &t.id);
        if let Some(x) = &t.taxonomy_id {
            if !taxes.contains(x) {
                rej.push(&f, l, "taxonomy_id", format!("{x} names no taxonomy in the input"));
                return false;
            }
        }
        true
    });
    let terms: std::collections::HashSet<String> = d.taxonomy_terms.iter().map(|x| x.id.clone()).collect();
    let orgs: std::collections::HashSet<String> = d.organizations.iter().map(|x| x.id.clone()).collect();
    d.locations.retain(|l| match &l.organization_id {
        Some(o) if !orgs.contains(o) => {
            let (f, ln) = at(Kind::Location, &l.id);
            rej.push(&f, ln, "organization_id", format!("{o} names no organization in the input"));
            false
        }
        _ => true,
    });
    d.services.retain(|s| {
        let (f, ln) = at(Kind::Service, &s.id);
        if let Some(o) = &s.organization_id {
            if !orgs.contains(o) {
                rej.push(&f, ln, "organization_id", format!("{o} names no organization in the input"));
                return false;
            }
        }
        for (i, a) in s.attributes.iter().enumerate() {
            if let Some(t) = &a.taxonomy_term_id {
                if !terms.contains(t) {
                    rej.push(&f, ln, &format!("attributes[{i}].taxonomy_term_id"), format!("{t} names no taxonomy term in the input"));
                    return false;
                }
            }
        }
        true
    });
    let services: std::collections::HashSet<String> = d.services.iter().map(|x| x.id.clone()).collect();
    let locations: std::collections::HashSet<String> = d.locations.iter().map(|x| x.id.clone()).collect();
    d.service_at_locations.retain(|s| {
        let (f, ln) = at(Kind::Sal, &s.id);
        match (&s.service_id, &s.location_id) {
            (Some(sv), _) if !services.contains(sv) => {
                rej.push(&f, ln, "service_id", format!("{sv} names no service in the input"));
                false
            }
            (_, Some(l)) if !locations.contains(l) => {
                rej.push(&f, ln, "location_id", format!("{l} names no location in the input"));
                false
            }
            (None, _) | (_, None) => {
                rej.push(&f, ln, if s.service_id.is_none() { "service_id" } else { "location_id" }, "a service_at_location needs its service and location");
                false
            }
            _ => true,
        }
    });
}
