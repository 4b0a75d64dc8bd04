//! Reader for HSDS 1.x / 2.x CSV data packages (Open211 Miami, hsds-transformer output) and
//! the Ohana API CSV format, mapped into HSDS 3.1.
//!
//! Mapping (1.x → 3.1): integer ids → `uuid5(NAMESPACE_URL, "<table>/<id>")` with the 3.1
//! table name (`organizations`, `services`, `locations`, `service_at_location`, `phones`…);
//! `physical_addresses`/`addresses` → `address` (`address_type` physical), `postal_addresses`/
//! `mail_addresses` → postal; `regular_schedules` (weekday, opens_at, closes_at) → `schedule`
//! (`freq` WEEKLY, `byday`, days with the same hours merged, the source text kept in
//! `description`); `holiday_schedules` → `schedule` with `valid_from`/`valid_to`;
//! `accessibility_for_disabilities` → `accessibility`; `eligibility` →
//! `service.eligibility_description`; `fees` → `fees_description`; `payment_accepted` /
//! `accepted_payments` → `cost_option.option`; `service_taxonomy` → `attribute` linking a
//! `taxonomy_term`; `languages` → `language` (with ISO 639-1 `code` for common names).
//! Empty `service.status` becomes `active`; an empty address `country` becomes `US`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::model::*;
use crate::values::*;
use crate::{io_err, map_id, Directory, HsdsError, Loaded, ReadOptions, Rejections, SourceFormat};

/// One CSV row: its starting line and its fields by column name.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

/// A CSV file read whole, with its header.
#[derive(Debug)]
pub(crate) struct Table {
    pub file: String,
    pub columns: HashMap<String, usize>,
    pub rows: Vec<Row>,
}

impl Table {
    pub fn has(&self, col: &str) -> bool {
        self.columns.contains_key(col)
    }

    /// The trimmed value of `col` in `row`, or `""` when the column is absent.
    pub fn get<'a>(&self, row: &'a Row, col: &str) -> &'a str {
        self.columns.get(col).and_then(|&i| row.fields.get(i)).map(|s| s.trim()).unwrap_or("")
    }

    pub fn opt(&self, row: &Row, col: &str) -> Option<String> {
        let v = self.get(row, col);
        (!v.is_empty()).then(|| clean_text(v)).filter(|v| !v.is_empty())
    }
}

/// Reads `dir/name` as CSV when it exists. Every row is checked for valid UTF-8 and for the
/// header's number of fields; a file that ends inside a quoted field is reported as truncated.
/// Missing `required` columns reject the whole file.
pub(crate) fn load_table(dir: &Path, name: &str, required: &[&str], rej: &mut Rejections) -> Result<Option<Table>, HsdsError> {
    let path = dir.join(name);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if let Some(line) = unterminated_quote(bytes) {
        rej.push(name, line, "-", "the file ends inside a quoted field that starts here (truncated file?)");
        return Ok(None);
    }
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = rdr.byte_records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            rej.push(name, 1, "-", format!("unreadable header: {e}"));
            return Ok(None);
        }
        None => {
            rej.push(name, 1, "-", "the file is empty (no header row)");
            return Ok(None);
        }
    };
    let mut columns = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        match std::str::from_utf8(h) {
            Ok(h) => {
                columns.insert(h.trim().to_ascii_lowercase(), i);
            }
            Err(_) => {
                rej.push(name, 1, "-", format!("column {} of the header is not valid UTF-8", i + 1));
                return Ok(None);
            }
        }
    }
    let mut missing = false;
    for r in required {
        if !columns.contains_key(*r) {
            rej.push(name, 1, r, "required column is missing from the header");
            missing = true;
        }
    }
    if missing {
        return Ok(None);
    }
    let width = header.len();
    let mut rows = Vec::new();
    // Line numbers are counted from byte offsets (the csv crate's own count is off by one on CRLF files).
    let (mut counted_to, mut newlines) = (0usize, 0u64);
    let mut line_at = |byte: usize| -> u64 {
        let mut b = byte.min(bytes.len());
        while b < bytes.len() && (bytes[b] == b'\r' || bytes[b] == b'\n') {
            b += 1;
        }
        if b >= counted_to {
            newlines += bytes[counted_to..b].iter().filter(|&&c| c == b'\n').count() as u64;
            counted_to = b;
        }
        newlines + 1
    };
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(p.byte() as usize)).unwrap_or(0);
                rej.push(name, line, "-", format!("unreadable row: {e}"));
                continue;
            }
        };
        let line = rec.position().map(|p| line_at(p.byte() as usize)).unwrap_or(0);
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // blank line
        }
        if rec.len() != width {
            rej.push(name, line, "-", format!("the row has {} fields but the header has {width}", rec.len()));
            continue;
        }
        let mut fields = Vec::with_capacity(width);
        let mut bad = false;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s.to_owned()),
                Err(e) => {
                    let col = columns.iter().find(|(_, &c)| c == i).map(|(n, _)| n.as_str()).unwrap_or("-");
                    rej.push(name, line, col, format!("not valid UTF-8 (bad byte at position {} of the field)", e.valid_up_to() + 1));
                    bad = true;
                    break;
                }
            }
        }
        if !bad {
            rows.push(Row { line, fields });
        }
    }
    Ok(Some(Table { file: name.to_owned(), columns, rows }))
}

/// When the bytes end inside a quoted field, the line where that field started.
fn unterminated_quote(bytes: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut in_quotes = false;
    let mut quote_line = 0;
    let mut at_field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else {
            match b {
                b'"' if at_field_start => {
                    in_quotes = true;
                    quote_line = line;
                }
                b'\n' => {
                    line += 1;
                    at_field_start = true;
                    i += 1;
                    continue;
                }
                b',' => {
                    at_field_start = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            at_field_start = false;
        }
        i += 1;
    }
    in_quotes.then_some(quote_line)
}

/// The first file among `names` that exists in `dir`.
fn first_existing<'a>(dir: &Path, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|n| dir.join(n).is_file())
}

struct Reader<'a> {
    rej: &'a mut Rejections,
    dir: Directory,
    notices: Vec<String>,
    /// source key → index, per table
    orgs: HashMap<String, usize>,
    services: HashMap<String, usize>,
    locations: HashMap<String, usize>,
    sals: HashMap<String, usize>,
    terms: HashMap<String, usize>,
    /// services.csv id → organization_id, to resolve organization ids that name a parent
    /// record (a service) instead of an organization (Open211 Miami does this).
    svc_parent: HashMap<String, String>,
    resolved_via_parent: usize,
}

impl Reader<'_> {
    /// Checks the id column: present and not seen before. Returns the source id.
    fn id<'r>(&mut self, t: &Table, row: &'r Row, col: &str, seen: &mut HashMap<String, u64>) -> Option<&'r str> {
        let raw = t.get(row, col);
        if raw.is_empty() {
            self.rej.push(&t.file, row.line, col, "missing id");
            return None;
        }
        if let Some(first) = seen.get(raw) {
            self.rej.push(&t.file, row.line, col, format!("duplicate id {raw:?} (first on line {first})"));
            return None;
        }
        seen.insert(raw.to_owned(), row.line);
        Some(raw)
    }

    fn required(&mut self, t: &Table, row: &Row, col: &str) -> Option<String> {
        match t.opt(row, col) {
            Some(v) => Some(v),
            None => {
                self.rej.push(&t.file, row.line, col, "required value is empty");
                None
            }
        }
    }

    fn check<T>(&mut self, t: &Table, row: &Row, col: &str, r: Result<T, String>) -> Result<T, ()> {
        r.map_err(|reason| self.rej.push(&t.file, row.line, col, reason))
    }

    fn opt_url(&mut self, t: &Table, row: &Row, cols: &[&str], bad: &mut bool) -> Option<String> {
        let col = cols.iter().find(|c| !t.get(row, c).is_empty())?;
        let _ = bad;
        match normalize_url(t.get(row, col)) {
            Ok(u) => Some(u),
            Err(e) => {
                self.notices.push(format!("{}:{}: {col}: {e}; value left out", t.file, row.line));
                None
            }
        }
    }

    fn opt_email(&mut self, t: &Table, row: &Row, col: &str, bad: &mut bool) -> Option<String> {
        let v = t.get(row, col);
        if v.is_empty() {
            return None;
        }
        let _ = bad;
        match check_email(v) {
            Ok(e) => Some(e),
            Err(e) => {
                self.notices.push(format!("{}:{}: {col}: {e}; value left out", t.file, row.line));
                None
            }
        }
    }

    fn opt_number(&mut self, t: &Table, row: &Row, col: &str, range: (f64, f64), bad: &mut bool) -> Option<f64> {
        let v = t.get(row, col);
        if v.is_empty() {
            return None;
        }
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= range.0 && n <= range.1 => Some(n),
            _ => {
                self.rej.push(&t.file, row.line, col, format!("{v:?} is not a number between {} and {}", range.0, range.1));
                *bad = true;
                None
            }
        }
    }

    /// Resolves a foreign key column: `Ok(None)` when empty, `Err` (rejected) when it names nothing.
    fn fk(&mut self, t: &Table, row: &Row, col: &str, target: Target) -> Result<Option<usize>, ()> {
        let raw = t.get(row, col);
        if raw.is_empty() {
            return Ok(None);
        }
        if let Target::Org = target {
            if !self.orgs.contains_key(raw) {
                // Follow parent records: organization_id naming a service → that service's organization.
                let mut cur = raw.to_owned();
                for _ in 0..8 {
                    match self.svc_parent.get(&cur) {
                        Some(next) if next != &cur => {
                            if let Some(&i) = self.orgs.get(next) {
                                self.resolved_via_parent += 1;
                                return Ok(Some(i));
                            }
                            cur = next.clone();
                        }
                        _ => break,
                    }
                }
            }
        }
        let map = match target {
            Target::Org => &self.orgs,
            Target::Service => &self.services,
            Target::Location => &self.locations,
            Target::Sal => &self.sals,
            Target::Term => &self.terms,
        };
        match map.get(raw) {
            Some(&i) => Ok(Some(i)),
            None => {
                self.rej.push(&t.file, row.line, col, format!("{raw:?} names no {} in this package", target.label()));
                Err(())
            }
        }
    }

    fn keep_source(&mut self, id: &str, table: &str, raw: &str) {
        if !crate::is_uuid(raw) {
            self.dir.source_ids.insert(id.to_owned(), format!("{table}/{raw}"));
        }
    }
}

#[derive(Clone, Copy)]
enum Target {
    Org,
    Service,
    Location,
    Sal,
    Term,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::Org => "organization",
            Target::Service => "service",
            Target::Location => "location",
            Target::Sal => "service_at_location",
            Target::Term => "taxonomy term",
        }
    }
}

/// Where a child row hangs.
enum Owner {
    Service(usize),
    Location(usize),
    Sal(usize),
    Org(usize),
}

/// Reads an HSDS 1.x/2.x or Ohana CSV data package from `dir`.
pub fn read_dir(dir_path: &Path, opts: ReadOptions) -> Result<Loaded, HsdsError> {
    let mut rej = Rejections::default();
    let mut r = Reader {
        rej: &mut rej,
        dir: Directory::default(),
        notices: Vec::new(),
        orgs: HashMap::new(),
        services: HashMap::new(),
        locations: HashMap::new(),
        sals: HashMap::new(),
        terms: HashMap::new(),
        svc_parent: HashMap::new(),
        resolved_via_parent: 0,
    };

    // services.csv is read once, up front: its organization links resolve parent records.
    let services_table = load_table(dir_path, "services.csv", &["id", "name"], r.rej)?;
    if let Some(t) = &services_table {
        if t.has("organization_id") {
            for row in &t.rows {
                let (id, org) = (t.get(row, "id"), t.get(row, "organization_id"));
                if !id.is_empty() && !org.is_empty() {
                    r.svc_parent.insert(id.to_owned(), org.to_owned());
                }
            }
        }
    }

    // Taxonomy first, so services can link to terms.
    let tax_file = first_existing(dir_path, &["taxonomy.csv", "taxonomies.csv", "taxonomy_terms.csv"]);
    if let Some(f) = tax_file {
        if let Some(t) = load_table(dir_path, f, &["name"], r.rej)? {
            read_taxonomy(&mut r, &t);
        }
    }

    // Organizations.
    if let Some(t) = load_table(dir_path, "organizations.csv", &["id", "name"], r.rej)? {
        let mut seen = HashMap::new();
        for row in &t.rows {
            let Some(raw) = r.id(&t, row, "id", &mut seen) else { continue };
            let raw = raw.to_owned();
            let Some(name) = r.required(&t, row, "name") else { continue };
            let mut bad = false;
            let email = r.opt_email(&t, row, "email", &mut bad);
            let website = r.opt_url(&t, row, &["url", "website"], &mut bad);
            let mut year = r.opt_number(&t, row, "year_incorporated", (1000.0, 9999.0), &mut bad);
            if year.is_none() && t.has("date_incorporated") && !t.get(row, "date_incorporated").is_empty() {
                match parse_date(t.get(row, "date_incorporated")) {
                    Ok(d) => year = d[..4].parse().ok(),
                    Err(e) => {
                        r.rej.push(&t.file, row.line, "date_incorporated", e);
                        bad = true;
                    }
                }
            }
            if bad {
                continue;
            }
            let id = map_id("organizations", &raw);
            r.keep_source(&id, "organizations", &raw);
            let mut org = Organization {
                id: id.clone(),
                name,
                alternate_name: t.opt(row, "alternate_name"),
                description: t.opt(row, "description").unwrap_or_default(),
                email,
                website,
                tax_status: t.opt(row, "tax_status"),
                tax_id: t.opt(row, "tax_id"),
                year_incorporated: year,
                legal_status: t.opt(row, "legal_status"),
                ..Default::default()
            };
            if let Some(src) = t.opt(row, "funding_sources") {
                org.funding.push(Funding {
                    id: map_id("funding", &format!("organizations/{raw}")),
                    organization_id: Some(id),
                    source: Some(src),
                    ..Default::default()
                });
            }
            r.orgs.insert(raw, r.dir.organizations.len());
            r.dir.organizations.push(org);
        }
    }

    // Programs.
    if let Some(t) = load_table(dir_path, "programs.csv", &["id", "name"], r.rej)? {
        let mut seen = HashMap::new();
        for row in &t.rows {
            let Some(raw) = r.id(&t, row, "id", &mut seen) else { continue };
            let raw = raw.to_owned();
            let Some(name) = r.required(&t, row, "name") else { continue };
            let Ok(org) = r.fk(&t, row, "organization_id", Target::Org) else { continue };
            let Some(org) = org else {
                r.rej.push(&t.file, row.line, "organization_id", "a program needs its organization");
                continue;
            };
            let id = map_id("programs", &raw);
            r.keep_source(&id, "programs", &raw);
            let org_id = r.dir.organizations[org].id.clone();
            r.dir.organizations[org].programs.push(Program {
                id,
                organization_id: Some(org_id),
                name,
                alternate_name: t.opt(&row, "alternate_name"),
                description: t.opt(row, "description").unwrap_or_default(),
                ..Default::default()
            });
        }
    }

    // Locations.
    if let Some(t) = load_table(dir_path, "locations.csv", &["id"], r.rej)? {
        let mut seen = HashMap::new();
        for row in &t.rows {
            let Some(raw) = r.id(&t, row, "id", &mut seen) else { continue };
            let raw = raw.to_owned();
            let Ok(org) = r.fk(&t, row, "organization_id", Target::Org) else { continue };
            let mut bad = false;
            let latitude = r.opt_number(&t, row, "latitude", (-90.0, 90.0), &mut bad);
            let longitude = r.opt_number(&t, row, "longitude", (-180.0, 180.0), &mut bad);
            let url = r.opt_url(&t, row, &["url", "website"], &mut bad);
            if bad {
                continue;
            }
            if latitude.is_some() != longitude.is_some() {
                r.rej.push(&t.file, row.line, if latitude.is_some() { "longitude" } else { "latitude" }, "latitude and longitude come together; one is missing");
                continue;
            }
            let id = map_id("locations", &raw);
            r.keep_source(&id, "locations", &raw);
            let virt = matches!(t.get(row, "virtual").to_ascii_lowercase().as_str(), "true" | "t" | "1" | "yes");
            let mut loc = Location {
                id: id.clone(),
                location_type: if virt { "virtual".into() } else { "physical".into() },
                url,
                organization_id: org.map(|i| r.dir.organizations[i].id.clone()),
                name: t.opt(row, "name"),
                alternate_name: t.opt(row, "alternate_name"),
                description: t.opt(row, "description").or_else(|| t.opt(row, "short_desc")),
                transportation: t.opt(row, "transportation"),
                latitude,
                longitude,
                external_identifier: Some(raw.clone()),
                external_identifier_type: Some("source_id".into()),
                ..Default::default()
            };
            // Ohana: accessibility as a list, languages as a list.
            if let Some(acc) = t.opt(row, "accessibility") {
                for (n, item) in split_list(&acc).into_iter().enumerate() {
                    loc.accessibility.push(Accessibility {
                        id: map_id("accessibility", &format!("locations/{raw}/{n}")),
                        location_id: Some(id.clone()),
                        description: Some(item.replace('_', " ")),
                        ..Default::default()
                    });
                }
            }
            if let Some(langs) = t.opt(row, "languages") {
                for item in split_list(&langs) {
                    loc.languages.push(language(&format!("locations/{raw}/{item}"), &item, None, Some(&id)));
                }
            }
            r.locations.insert(raw, r.dir.locations.len());
            r.dir.locations.push(loc);
        }
    }

    // Services.
    if let Some(t) = services_table {
        let mut seen = HashMap::new();
        let ohana = t.has("location_id") && !t.has("organization_id");
        for row in &t.rows {
            let Some(raw) = r.id(&t, row, "id", &mut seen) else { continue };
            let raw = raw.to_owned();
            let Some(name) = r.required(&t, row, "name") else { continue };
            let (org, loc) = if ohana {
                let Ok(loc) = r.fk(&t, row, "location_id", Target::Location) else { continue };
                let Some(loc) = loc else {
                    r.rej.push(&t.file, row.line, "location_id", "required value is empty");
                    continue;
                };
                let org = r.dir.locations[loc].organization_id.clone();
                (org, Some(loc))
            } else {
                let Ok(org) = r.fk(&t, row, "organization_id", Target::Org) else { continue };
                let Some(org) = org else {
                    r.rej.push(&t.file, row.line, "organization_id", "required value is empty");
                    continue;
                };
                (Some(r.dir.organizations[org].id.clone()), None)
            };
            let mut bad = false;
            let email = r.opt_email(&t, row, "email", &mut bad);
            let url = r.opt_url(&t, row, &["url", "website"], &mut bad);
            let status = match t.get(row, "status").to_ascii_lowercase().as_str() {
                "" | "active" => "active".to_owned(),
                "inactive" => "inactive".to_owned(),
                "defunct" => "defunct".to_owned(),
                "temporarily closed" | "temporarily_closed" => "temporarily closed".to_owned(),
                other => {
                    r.rej.push(&t.file, row.line, "status", format!("{other:?} is not one of active, inactive, defunct, temporarily closed"));
                    continue;
                }
            };
            let program = match r.fk_program(&t, row) {
                Ok(p) => p,
                Err(()) => continue,
            };
            if bad {
                continue;
            }
            let id = map_id("services", &raw);
            r.keep_source(&id, "services", &raw);
            let mut svc = Service {
                id: id.clone(),
                organization_id: org,
                program_id: program,
                name,
                alternate_name: t.opt(row, "alternate_name"),
                description: t.opt(row, "description"),
                url,
                email,
                status,
                interpretation_services: t.opt(row, "interpretation_services"),
                application_process: t.opt(row, "application_process"),
                wait_time: t.opt(row, "wait_time"),
                fees_description: t.opt(row, "fees"),
                accreditations: t.opt(row, "accreditations"),
                licenses: t.opt(row, "licenses"),
                eligibility_description: t.opt(row, "eligibility"),
                ..Default::default()
            };
            if let Some(p) = t.opt(row, "accepted_payments") {
                for item in split_list(&p) {
                    svc.cost_options.push(cost_option(&raw, &id, &item));
                }
            }
            if let Some(l) = t.opt(row, "languages") {
                for item in split_list(&l) {
                    svc.languages.push(language(&format!("services/{raw}/{item}"), &item, Some(&id), None));
                }
            }
            if let Some(d) = t.opt(row, "required_documents") {
                for (n, item) in split_list(&d).into_iter().enumerate() {
                    svc.required_documents.push(RequiredDocument {
                        id: map_id("required_documents", &format!("services/{raw}/{n}")),
                        service_id: Some(id.clone()),
                        document: Some(item),
                        ..Default::default()
                    });
                }
            }
            if let Some(a) = t.opt(row, "service_areas") {
                for (n, item) in split_list(&a).into_iter().enumerate() {
                    svc.service_areas.push(ServiceArea {
                        id: map_id("service_areas", &format!("services/{raw}/{n}")),
                        service_id: Some(id.clone()),
                        name: Some(item),
                        ..Default::default()
                    });
                }
            }
            if let Some(ids) = t.opt(row, "taxonomy_ids") {
                for code in split_list(&ids) {
                    match r.terms.get(code.as_str()) {
                        Some(&ti) => {
                            let term_id = r.dir.taxonomy_terms[ti].id.clone();
                            svc.attributes.push(term_attribute(&id, &term_id));
                        }
                        None => {
                            r.rej.push(&t.file, row.line, "taxonomy_ids", format!("{code:?} names no taxonomy term in this package"));
                            bad = true;
                        }
                    }
                }
                if bad {
                    continue;
                }
            }
            let si = r.dir.services.len();
            r.services.insert(raw.clone(), si);
            r.dir.services.push(svc);
            if let Some(li) = loc {
                // Ohana: a service belongs to one location.
                let sal_raw = format!("{raw}");
                let sal_id = map_id("service_at_location", &sal_raw);
                r.keep_source(&sal_id, "service_at_location", &sal_raw);
                let loc_id = r.dir.locations[li].id.clone();
                r.sals.insert(sal_raw, r.dir.service_at_locations.len());
                r.dir.service_at_locations.push(ServiceAtLocation {
                    id: sal_id,
                    service_id: Some(id),
                    location_id: Some(loc_id),
                    ..Default::default()
                });
            }
        }
    }

    // Services at locations.
    if let Some(f) = first_existing(dir_path, &["services_at_location.csv", "service_at_location.csv", "services_at_locations.csv"]) {
        if let Some(t) = load_table(dir_path, f, &["id", "service_id", "location_id"], r.rej)? {
            let mut seen = HashMap::new();
            for row in &t.rows {
                let Some(raw) = r.id(&t, row, "id", &mut seen) else { continue };
                let raw = raw.to_owned();
                let Ok(s) = r.fk(&t, row, "service_id", Target::Service) else { continue };
                let Ok(l) = r.fk(&t, row, "location_id", Target::Location) else { continue };
                let (Some(s), Some(l)) = (s, l) else {
                    r.rej.push(&t.file, row.line, if s.is_none() { "service_id" } else { "location_id" }, "required value is empty");
                    continue;
                };
                let id = map_id("service_at_location", &raw);
                r.keep_source(&id, "service_at_location", &raw);
                r.sals.insert(raw, r.dir.service_at_locations.len());
                r.dir.service_at_locations.push(ServiceAtLocation {
                    id,
                    service_id: Some(r.dir.services[s].id.clone()),
                    location_id: Some(r.dir.locations[l].id.clone()),
                    description: t.opt(row, "description"),
                    ..Default::default()
                });
            }
        }
    }

    // Addresses.
    for (file, kind) in [
        ("physical_addresses.csv", "physical"),
        ("addresses.csv", "physical"),
        ("postal_addresses.csv", "postal"),
        ("mail_addresses.csv", "postal"),
    ] {
        let Some(t) = load_table(dir_path, file, &["location_id", "address_1"], r.rej)? else { continue };
        let mut seen = HashMap::new();
        let table = if kind == "physical" { "physical_addresses" } else { "postal_addresses" };
        for row in &t.rows {
            let Ok(Some(li)) = r.fk_required(&t, row, "location_id", Target::Location) else { continue };
            let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
            if t.has("id") && !t.get(row, "id").is_empty() && r.id(&t, row, "id", &mut seen).is_none() {
                continue;
            }
            let a1 = t.opt(row, "address_1");
            let city = t.opt(row, "city");
            let pc = t.opt(row, "postal_code");
            if a1.is_none() && city.is_none() && pc.is_none() {
                continue; // nothing to keep
            }
            let id = map_id(table, &raw);
            r.keep_source(&id, table, &raw);
            let loc_id = r.dir.locations[li].id.clone();
            r.dir.locations[li].addresses.push(Address {
                id,
                location_id: Some(loc_id),
                attention: t.opt(row, "attention"),
                address_1: a1.unwrap_or_default(),
                address_2: t.opt(row, "address_2"),
                city: city.unwrap_or_default(),
                region: t.opt(row, "region"),
                state_province: t.opt(row, "state_province").unwrap_or_default(),
                postal_code: pc.unwrap_or_default(),
                country: t.opt(row, "country").unwrap_or_else(|| "US".into()),
                address_type: kind.into(),
                ..Default::default()
            });
        }
    }

    // Phones (those that belong to a contact are attached once contacts are read).
    let mut pending_phones: Vec<(String, u64, Phone)> = Vec::new();
    if let Some(t) = load_table(dir_path, "phones.csv", &["number"], r.rej)? {
        let mut seen = HashMap::new();
        let mut empty = 0;
        for row in &t.rows {
            if t.get(row, "number").is_empty() {
                empty += 1;
                continue;
            }
            let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
            if !t.get(row, "id").is_empty() && r.id(&t, row, "id", &mut seen).is_none() {
                continue;
            }
            let Ok(owner) = r.owner(&t, row) else { continue };
            let mut bad = false;
            let ext = r.opt_number(&t, row, "extension", (0.0, 1e12), &mut bad);
            if bad {
                continue;
            }
            let id = map_id("phones", &raw);
            r.keep_source(&id, "phones", &raw);
            let mut phone = Phone {
                id: id.clone(),
                number: t.get(row, "number").to_owned(),
                extension: ext,
                r#type: t.opt(row, "type").or_else(|| t.opt(row, "number_type")),
                description: t.opt(row, "description").or_else(|| t.opt(row, "department")),
                ..Default::default()
            };
            if let Some(l) = t.opt(row, "language") {
                phone.languages.push(language(&format!("phones/{raw}/{l}"), &l, None, None));
                phone.languages[0].phone_id = Some(id);
            }
            let Some(owner) = owner else {
                let contact = t.get(row, "contact_id");
                if contact.is_empty() {
                    r.rej.push(&t.file, row.line, "service_id", "the phone names no service, location, organization or contact");
                } else {
                    pending_phones.push((contact.to_owned(), row.line, phone));
                }
                continue;
            };
            r.attach_phone(owner, phone);
        }
        if empty > 0 {
            r.notices.push(format!("{}: {empty} row(s) without a number were not imported", t.file));
        }
    }

    // Contacts.
    if let Some(t) = load_table(dir_path, "contacts.csv", &["name"], r.rej)? {
        let mut seen = HashMap::new();
        for row in &t.rows {
            let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
            if !t.get(row, "id").is_empty() && r.id(&t, row, "id", &mut seen).is_none() {
                continue;
            }
            let Ok(owner) = r.owner(&t, row) else { continue };
            let mut bad = false;
            let email = r.opt_email(&t, row, "email", &mut bad);
            if bad {
                continue;
            }
            let Some(owner) = owner else {
                r.rej.push(&t.file, row.line, "service_id", "the contact names no service, location or organization");
                continue;
            };
            let id = map_id("contacts", &raw);
            r.keep_source(&id, "contacts", &raw);
            let mut c = Contact {
                id: id.clone(),
                name: t.opt(row, "name"),
                title: t.opt(row, "title"),
                department: t.opt(row, "department"),
                email,
                ..Default::default()
            };
            let number = t.get(row, "phone_number");
            if !number.is_empty() {
                let area = t.get(row, "phone_areacode");
                let full = if area.is_empty() || number.starts_with(area) { number.to_owned() } else { format!("{area}-{number}") };
                let ext = t.get(row, "phone_extension").parse::<f64>().ok();
                c.phones.push(Phone {
                    id: map_id("phones", &format!("contacts/{raw}")),
                    contact_id: Some(id.clone()),
                    number: full,
                    extension: ext,
                    ..Default::default()
                });
            }
            r.attach_contact(owner, c);
        }
    }

    for (contact, line, mut phone) in pending_phones {
        let cid = map_id("contacts", &contact);
        phone.contact_id = Some(cid.clone());
        let d = &mut r.dir;
        let slot = d
            .services
            .iter_mut()
            .flat_map(|x| x.contacts.iter_mut())
            .chain(d.locations.iter_mut().flat_map(|x| x.contacts.iter_mut()))
            .chain(d.organizations.iter_mut().flat_map(|x| x.contacts.iter_mut()))
            .chain(d.service_at_locations.iter_mut().flat_map(|x| x.contacts.iter_mut()))
            .find(|c| c.id == cid);
        match slot {
            Some(c) => c.phones.push(phone),
            None => r.rej.push("phones.csv", line, "contact_id", format!("{contact:?} names no contact in this package")),
        }
    }

    // Regular schedules (merged into one schedule per owner and hours).
    if let Some(t) = load_table(dir_path, "regular_schedules.csv", &["weekday", "opens_at", "closes_at"], r.rej)? {
        // (owner key, opens, closes, text) → (days, first line)
        let mut groups: BTreeMap<(u8, usize, String, String, String), (Vec<&'static str>, u64)> = BTreeMap::new();
        let mut closed = 0;
        for row in &t.rows {
            let Ok(owner) = r.owner(&t, row) else { continue };
            let Some(owner) = owner else {
                r.rej.push(&t.file, row.line, "service_id", "the schedule names no service, location or service_at_location");
                continue;
            };
            let Ok(day) = r.check(&t, row, "weekday", weekday_code(t.get(row, "weekday"))) else { continue };
            let (o, c) = (t.get(row, "opens_at"), t.get(row, "closes_at"));
            if o.is_empty() && c.is_empty() {
                closed += 1;
                continue;
            }
            let text = t.opt(row, "original_text").unwrap_or_default();
            let (opens, closes) = match (parse_time(o), parse_time(c)) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    let (col, reason) = match (a, b) {
                        (Err(e), _) => ("opens_at", e),
                        (_, Err(e)) => ("closes_at", e),
                        _ => unreachable!(),
                    };
                    if text.is_empty() {
                        r.rej.push(&t.file, row.line, col, reason);
                        continue;
                    }
                    // The source's own text says the hours: keep them as text.
                    r.notices.push(format!("{}:{}: {col}: {reason}; hours kept as text only ({text:?})", t.file, row.line));
                    (String::new(), String::new())
                }
            };
            let key = match owner {
                Owner::Service(i) => (0, i, opens, closes, text),
                Owner::Sal(i) => (1, i, opens, closes, text),
                Owner::Location(i) => (2, i, opens, closes, text),
                Owner::Org(_) => {
                    r.rej.push(&t.file, row.line, "service_id", "a schedule belongs to a service, location or service_at_location");
                    continue;
                }
            };
            let e = groups.entry(key).or_insert((Vec::new(), row.line));
            if !e.0.contains(&day) {
                e.0.push(day);
            }
        }
        for ((kind, idx, opens, closes, text), (mut days, _line)) in groups {
            days.sort_by_key(|d| weekday_index(d));
            let byday = days.join(",");
            let (owner_table, owner_id) = match kind {
                0 => ("services", r.dir.services[idx].id.clone()),
                1 => ("service_at_location", r.dir.service_at_locations[idx].id.clone()),
                _ => ("locations", r.dir.locations[idx].id.clone()),
            };
            let mut s = Schedule {
                id: map_id("schedules", &format!("{owner_table}/{owner_id}/{byday}/{opens}/{closes}")),
                freq: Some("WEEKLY".into()),
                wkst: Some("MO".into()),
                byday: Some(byday),
                opens_at: (!opens.is_empty()).then_some(opens),
                closes_at: (!closes.is_empty()).then_some(closes),
                description: (!text.is_empty()).then_some(text),
                ..Default::default()
            };
            match kind {
                0 => {
                    s.service_id = Some(owner_id);
                    r.dir.services[idx].schedules.push(s);
                }
                1 => {
                    s.service_at_location_id = Some(owner_id);
                    r.dir.service_at_locations[idx].schedules.push(s);
                }
                _ => {
                    s.location_id = Some(owner_id);
                    r.dir.locations[idx].schedules.push(s);
                }
            }
        }
        if closed > 0 {
            r.notices.push(format!("{}: {closed} row(s) with neither opening nor closing time were not imported", t.file));
        }
    }

    // Holiday schedules.
    if let Some(t) = load_table(dir_path, "holiday_schedules.csv", &["start_date", "end_date"], r.rej)? {
        for row in &t.rows {
            let Ok(owner) = r.owner(&t, row) else { continue };
            let Some(owner) = owner else {
                r.rej.push(&t.file, row.line, "location_id", "the holiday schedule names no service or location");
                continue;
            };
            let (sd, ed) = (t.get(row, "start_date"), t.get(row, "end_date"));
            if sd.ends_with(" 0001") && ed.ends_with(" 0001") {
                // Ohana writes yearly holidays with the year 0001: HSDS has no yearly rule, keep them as text.
                let Ok(_) = r.check(&t, row, "start_date", parse_date(&sd.replace(" 0001", " 2000"))) else { continue };
                let Ok(_) = r.check(&t, row, "end_date", parse_date(&ed.replace(" 0001", " 2000"))) else { continue };
                r.notices.push(format!("{}:{}: start_date: a yearly holiday ({sd} to {ed}); kept as text", t.file, row.line));
                let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
                let closed = matches!(t.get(row, "closed").to_ascii_lowercase().as_str(), "true" | "t" | "1" | "yes");
                let y = |d: &str| d.trim_end_matches(" 0001").trim_end_matches(',').to_owned();
                let s = Schedule {
                    id: map_id("holiday_schedules", &raw),
                    description: Some(format!("{} every year, {} to {}", if closed { "closed" } else { "holiday hours" }, y(sd), y(ed))),
                    ..Default::default()
                };
                r.push_schedule(owner, s);
                continue;
            }
            let Ok(from) = r.check(&t, row, "start_date", parse_date(sd)) else { continue };
            let Ok(to) = r.check(&t, row, "end_date", parse_date(ed)) else { continue };
            if to < from {
                r.rej.push(&t.file, row.line, "end_date", format!("{to} is before the start date {from}"));
                continue;
            }
            let closed = matches!(t.get(row, "closed").to_ascii_lowercase().as_str(), "true" | "t" | "1" | "yes");
            let (mut opens, mut closes) = (None, None);
            if !closed {
                let Ok(o) = r.check(&t, row, "opens_at", parse_time(t.get(row, "opens_at"))) else { continue };
                let Ok(c) = r.check(&t, row, "closes_at", parse_time(t.get(row, "closes_at"))) else { continue };
                opens = Some(o);
                closes = Some(c);
            }
            let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
            let s = Schedule {
                id: map_id("holiday_schedules", &raw),
                valid_from: Some(from.clone()),
                valid_to: Some(to),
                dtstart: Some(from),
                opens_at: opens,
                closes_at: closes,
                description: Some(if closed { "closed".into() } else { "holiday hours".into() }),
                ..Default::default()
            };
            if let Owner::Org(_) = owner {
                r.rej.push(&t.file, row.line, "location_id", "a schedule belongs to a service or location");
                continue;
            }
            r.push_schedule(owner, s);
        }
    }

    // Accessibility.
    if let Some(f) = first_existing(dir_path, &["accessibility_for_disabilities.csv", "accessibility.csv"]) {
        if let Some(t) = load_table(dir_path, f, &["location_id"], r.rej)? {
            let mut seen = HashMap::new();
            for row in &t.rows {
                let desc = t.opt(row, "accessibility").or_else(|| t.opt(row, "description"));
                let details = t.opt(row, "details");
                let Ok(Some(li)) = r.fk_required(&t, row, "location_id", Target::Location) else { continue };
                if desc.is_none() && details.is_none() {
                    continue;
                }
                let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
                if !t.get(row, "id").is_empty() && r.id(&t, row, "id", &mut seen).is_none() {
                    continue;
                }
                let id = map_id("accessibility", &raw);
                r.keep_source(&id, "accessibility", &raw);
                let loc_id = r.dir.locations[li].id.clone();
                r.dir.locations[li].accessibility.push(Accessibility { id, location_id: Some(loc_id), description: desc, details, ..Default::default() });
            }
        }
    }

    // Languages.
    if let Some(t) = load_table(dir_path, "languages.csv", &["language"], r.rej)? {
        let mut seen_keys = HashSet::new();
        for row in &t.rows {
            let Some(name) = t.opt(row, "language") else { continue };
            let Ok(s) = r.fk(&t, row, "service_id", Target::Service) else { continue };
            let Ok(l) = r.fk(&t, row, "location_id", Target::Location) else { continue };
            if let Some(si) = s {
                let sid = r.dir.services[si].id.clone();
                if seen_keys.insert((sid.clone(), name.clone())) {
                    r.dir.services[si].languages.push(language(&format!("services/{sid}/{name}"), &name, Some(&sid), None));
                }
            } else if let Some(li) = l {
                let lid = r.dir.locations[li].id.clone();
                if seen_keys.insert((lid.clone(), name.clone())) {
                    r.dir.locations[li].languages.push(language(&format!("locations/{lid}/{name}"), &name, None, Some(&lid)));
                }
            } else {
                r.rej.push(&t.file, row.line, "service_id", "the language names no service or location");
            }
        }
    }

    // Eligibility.
    if let Some(t) = load_table(dir_path, "eligibility.csv", &["eligibility"], r.rej)? {
        let mut unlinked = 0;
        for row in &t.rows {
            let Some(text) = t.opt(row, "eligibility") else { continue };
            let Ok(s) = r.fk(&t, row, "service_id", Target::Service) else { continue };
            let Some(si) = s else {
                unlinked += 1;
                continue;
            };
            let svc = &mut r.dir.services[si];
            svc.eligibility_description = Some(match svc.eligibility_description.take() {
                Some(prev) if prev != text => format!("{prev}\n{text}"),
                _ => text,
            });
        }
        if unlinked > 0 {
            r.notices.push(format!("{}: {unlinked} row(s) name no service (empty service_id) and were not imported", t.file));
        }
    }

    // Payment accepted.
    if let Some(t) = load_table(dir_path, "payment_accepted.csv", &["service_id", "payment"], r.rej)? {
        for row in &t.rows {
            let Some(p) = t.opt(row, "payment") else { continue };
            let Ok(Some(si)) = r.fk_required(&t, row, "service_id", Target::Service) else { continue };
            let sid = r.dir.services[si].id.clone();
            let raw = t.get(row, "service_id").to_owned();
            let co = cost_option(&raw, &sid, &p);
            if !r.dir.services[si].cost_options.iter().any(|c| c.id == co.id) {
                r.dir.services[si].cost_options.push(co);
            }
        }
    }

    // Funding.
    if let Some(t) = load_table(dir_path, "funding.csv", &["source"], r.rej)? {
        for row in &t.rows {
            let Some(src) = t.opt(row, "source") else { continue };
            let Ok(owner) = r.owner(&t, row) else { continue };
            let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
            let mut f = Funding { id: map_id("funding", &raw), source: Some(src), ..Default::default() };
            match owner {
                Some(Owner::Service(i)) => {
                    f.service_id = Some(r.dir.services[i].id.clone());
                    r.dir.services[i].funding.push(f);
                }
                Some(Owner::Org(i)) => {
                    f.organization_id = Some(r.dir.organizations[i].id.clone());
                    r.dir.organizations[i].funding.push(f);
                }
                _ => r.rej.push(&t.file, row.line, "service_id", "funding belongs to a service or an organization"),
            }
        }
    }

    // Service areas.
    if let Some(t) = load_table(dir_path, "service_area.csv", &["service_id"], r.rej)? {
        for row in &t.rows {
            let Some(name) = t.opt(row, "service_area") else { continue };
            let Ok(Some(si)) = r.fk_required(&t, row, "service_id", Target::Service) else { continue };
            let raw = if t.get(row, "id").is_empty() { format!("line-{}", row.line) } else { t.get(row, "id").to_owned() };
            let sid = r.dir.services[si].id.clone();
            r.dir.services[si].service_areas.push(ServiceArea {
                id: map_id("service_areas", &raw),
                service_id: Some(sid),
                name: Some(name),
                description: t.opt(row, "description"),
                ..Default::default()
            });
        }
    }

    // Service ↔ taxonomy links.
    if let Some(f) = first_existing(dir_path, &["services_taxonomy.csv", "service_taxonomy.csv"]) {
        if let Some(t) = load_table(dir_path, f, &["service_id", "taxonomy_id"], r.rej)? {
            for row in &t.rows {
                let Ok(Some(si)) = r.fk_required(&t, row, "service_id", Target::Service) else { continue };
                let Ok(Some(ti)) = r.fk_required(&t, row, "taxonomy_id", Target::Term) else { continue };
                let sid = r.dir.services[si].id.clone();
                let tid = r.dir.taxonomy_terms[ti].id.clone();
                let a = term_attribute(&sid, &tid);
                if !r.dir.services[si].attributes.iter().any(|x| x.id == a.id) {
                    r.dir.services[si].attributes.push(a);
                }
            }
        }
    }

    if r.resolved_via_parent > 0 {
        r.notices.push(format!(
            "{} organization_id value(s) named a parent record (a service) rather than an organization; linked to that record's organization",
            r.resolved_via_parent
        ));
    }
    let Reader { dir, notices, .. } = r;
    if dir.organizations.is_empty() && dir.services.is_empty() && rej.list.is_empty() {
        return Err(HsdsError::Unrecognized { path: dir_path.to_path_buf(), reason: "no organizations or services found".into() });
    }
    let rejected = rej.finish(opts)?;
    Ok(Loaded { directory: dir, format: SourceFormat::Csv1, rejected, notices })
}

impl Reader<'_> {
    fn fk_required(&mut self, t: &Table, row: &Row, col: &str, target: Target) -> Result<Option<usize>, ()> {
        match self.fk(t, row, col, target)? {
            Some(i) => Ok(Some(i)),
            None => {
                self.rej.push(&t.file, row.line, col, "required value is empty");
                Err(())
            }
        }
    }

    fn fk_program(&mut self, t: &Table, row: &Row) -> Result<Option<String>, ()> {
        let raw = t.get(row, "program_id");
        if raw.is_empty() {
            return Ok(None);
        }
        let id = map_id("programs", raw);
        if self.dir.organizations.iter().any(|o| o.programs.iter().any(|p| p.id == id)) {
            Ok(Some(id))
        } else {
            self.rej.push(&t.file, row.line, "program_id", format!("{raw:?} names no program in this package"));
            Err(())
        }
    }

    /// The most specific owner a child row names: service, then service_at_location, then
    /// location, then organization. Any named id must exist.
    fn owner(&mut self, t: &Table, row: &Row) -> Result<Option<Owner>, ()> {
        let s = self.fk(t, row, "service_id", Target::Service)?;
        let sal = self.fk(t, row, "service_at_location_id", Target::Sal)?;
        let l = self.fk(t, row, "location_id", Target::Location)?;
        let o = self.fk(t, row, "organization_id", Target::Org)?;
        Ok(s.map(Owner::Service).or(sal.map(Owner::Sal)).or(l.map(Owner::Location)).or(o.map(Owner::Org)))
    }

    fn push_schedule(&mut self, owner: Owner, mut s: Schedule) {
        match owner {
            Owner::Service(i) => {
                s.service_id = Some(self.dir.services[i].id.clone());
                self.dir.services[i].schedules.push(s);
            }
            Owner::Location(i) => {
                s.location_id = Some(self.dir.locations[i].id.clone());
                self.dir.locations[i].schedules.push(s);
            }
            Owner::Sal(i) => {
                s.service_at_location_id = Some(self.dir.service_at_locations[i].id.clone());
                self.dir.service_at_locations[i].schedules.push(s);
            }
            Owner::Org(_) => {}
        }
    }

    fn attach_phone(&mut self, owner: Owner, mut p: Phone) {
        match owner {
            Owner::Service(i) => {
                p.service_id = Some(self.dir.services[i].id.clone());
                self.dir.services[i].phones.push(p);
            }
            Owner::Sal(i) => {
                p.service_at_location_id = Some(self.dir.service_at_locations[i].id.clone());
                self.dir.service_at_locations[i].phones.push(p);
            }
            Owner::Location(i) => {
                p.location_id = Some(self.dir.locations[i].id.clone());
                self.dir.locations[i].phones.push(p);
            }
            Owner::Org(i) => {
                p.organization_id = Some(self.dir.organizations[i].id.clone());
                self.dir.organizations[i].phones.push(p);
            }
        }
    }

    fn attach_contact(&mut self, owner: Owner, mut c: Contact) {
        match owner {
            Owner::Service(i) => {
                c.service_id = Some(self.dir.services[i].id.clone());
                self.dir.services[i].contacts.push(c);
            }
            Owner::Sal(i) => {
                c.service_at_location_id = Some(self.dir.service_at_locations[i].id.clone());
                self.dir.service_at_locations[i].contacts.push(c);
            }
            Owner::Location(i) => {
                c.location_id = Some(self.dir.locations[i].id.clone());
                self.dir.locations[i].contacts.push(c);
            }
            Owner::Org(i) => {
                c.organization_id = Some(self.dir.organizations[i].id.clone());
                self.dir.organizations[i].contacts.push(c);
            }
        }
    }
}

fn read_taxonomy(r: &mut Reader<'_>, t: &Table) {
    let id_col = if t.has("taxonomy_id") { "taxonomy_id" } else { "id" };
    let mut seen = HashMap::new();
    let mut parents = Vec::new();
    for row in &t.rows {
        let Some(raw) = r.id(t, row, id_col, &mut seen) else { continue };
        let raw = raw.to_owned();
        let Some(name) = r.required(t, row, "name") else { continue };
        let vocab = t.opt(row, "vocabulary");
        let taxonomy_id = vocab.as_ref().map(|v| {
            let tid = map_id("taxonomies", v);
            if !r.dir.taxonomies.iter().any(|x| x.id == tid) {
                r.dir.source_ids.insert(tid.clone(), format!("taxonomies/{v}"));
                r.dir.taxonomies.push(Taxonomy { id: tid.clone(), name: v.clone(), description: v.clone(), ..Default::default() });
            }
            tid
        });
        let id = map_id("taxonomy_terms", &raw);
        r.keep_source(&id, "taxonomy_terms", &raw);
        r.terms.insert(raw.clone(), r.dir.taxonomy_terms.len());
        if !t.get(row, "parent_id").is_empty() {
            parents.push((r.dir.taxonomy_terms.len(), t.get(row, "parent_id").to_owned(), row.line));
        }
        r.dir.taxonomy_terms.push(TaxonomyTerm {
            id,
            code: Some(raw),
            description: t.opt(row, "description").unwrap_or_else(|| name.clone()),
            name,
            taxonomy: vocab,
            taxonomy_id,
            ..Default::default()
        });
    }
    for (i, parent, line) in parents {
        match r.terms.get(&parent) {
            Some(&p) => r.dir.taxonomy_terms[i].parent_id = Some(r.dir.taxonomy_terms[p].id.clone()),
            None => r.rej.push(&t.file, line, "parent_id", format!("{parent:?} names no taxonomy term in this file")),
        }
    }
}

fn split_list(s: &str) -> Vec<String> {
    let s = s.trim().trim_start_matches('{').trim_end_matches('}');
    s.split([',', ';']).map(|x| x.trim().trim_matches('"').trim().to_owned()).filter(|x| !x.is_empty()).collect()
}

fn language(key: &str, name: &str, service_id: Option<&str>, location_id: Option<&str>) -> Language {
    Language {
        id: map_id("languages", key),
        service_id: service_id.map(str::to_owned),
        location_id: location_id.map(str::to_owned),
        name: Some(name.to_owned()),
        code: language_code(name).map(str::to_owned),
        ..Default::default()
    }
}

fn cost_option(service_raw: &str, service_id: &str, option: &str) -> CostOption {
    CostOption {
        id: map_id("cost_options", &format!("services/{service_raw}/{option}")),
        service_id: Some(service_id.to_owned()),
        option: Some(option.to_owned()),
        ..Default::default()
    }
}

/// The attribute linking a service to a taxonomy term (its id derives from both).
pub fn term_attribute(service_id: &str, term_id: &str) -> Attribute {
    Attribute {
        id: map_id("attributes", &format!("{service_id}/{term_id}")),
        link_id: Some(service_id.to_owned()),
        link_entity: Some("service".into()),
        link_type: Some("taxonomy_term".into()),
        taxonomy_term_id: Some(term_id.to_owned()),
        ..Default::default()
    }
}
