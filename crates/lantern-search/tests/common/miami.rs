//! Test-only loader of the Open211 Miami HSDS 1.1 CSV package into
//! `ServiceDoc`s. The data has no licence, so it is never copied into the
//! repository: it is read at run time from `../shared/data` (relative to the
//! workspace), or from `LANTERN_SHARED_DATA`, and tests that need it print
//! "skipped: ..." when it is missing.
//!
//! Mapping (HSDS 1.1 → ServiceDoc): services.csv name / alternate_name /
//! description; organizations.csv name; services_at_location.csv →
//! locations.csv lat/lon + physical_addresses.csv postal code;
//! languages.csv; accessibility_for_disabilities.csv (by location);
//! regular_schedules.csv (times such as "9:00am", "9am", "830am", "8:00";
//! rows whose times cannot be read are skipped and counted). The package's
//! `fees` column is empty and eligibility.csv has no service ids, so cost
//! is read from the description ("free of charge", "no cost", "sliding
//! scale"...) and eligibility is left empty. Time zone: America/New_York.
//! No verification dates exist in the package.

#![allow(dead_code)]

use jiff::civil::{Time, Weekday};
use lantern_search::{Cost, DocLocation, Interval, ServiceDoc};
use std::collections::HashMap;
use std::path::PathBuf;

pub fn data_dir() -> PathBuf {
    let base = std::env::var_os("LANTERN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    base.join("hsds/open211-miami-hsds-1.1")
}

/// Parse RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF).
pub fn parse_csv(src: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut in_q = false;
    let mut chars = src.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_q {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_q = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => in_q = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if any {
        row.push(field);
        rows.push(row);
    }
    rows
}

struct Table {
    cols: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(dir: &std::path::Path, name: &str) -> Result<Table, String> {
        let p = dir.join(name);
        let s = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let mut rows = parse_csv(s.trim_start_matches('\u{feff}'));
        if rows.is_empty() {
            return Err(format!("{}: empty", p.display()));
        }
        let head = rows.remove(0);
        Ok(Table { cols: head.into_iter().enumerate().map(|(i, h)| (h.trim().to_string(), i)).collect(), rows })
    }
    fn get<'a>(&self, row: &'a [String], col: &str) -> &'a str {
        self.cols.get(col).and_then(|&i| row.get(i)).map(|s| s.trim()).unwrap_or("")
    }
}

/// "9:00am", "9am", "830am", "7:30 am", "9:00a", "8:00" (no am/pm: read
/// as am for opening hours 6–11, pm otherwise for closing hours 1–11).
pub fn parse_time(s: &str, closing: bool) -> Option<Time> {
    let t = s.trim().to_ascii_lowercase();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit() || *c == ':').collect();
    let rest = t[digits.len()..].trim();
    let ampm = if rest.starts_with('a') {
        Some(false)
    } else if rest.starts_with('p') {
        Some(true)
    } else if rest.is_empty() || rest.starts_with('m') {
        None
    } else {
        return None;
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i8>().ok()?, if m.is_empty() { 0 } else { m.parse::<i8>().ok()? }),
        None if digits.len() >= 3 => {
            let (h, m) = digits.split_at(digits.len() - 2);
            (h.parse().ok()?, m.parse().ok()?)
        }
        None => (digits.parse().ok()?, 0),
    };
    if !(1..=12).contains(&h) || !(0..60).contains(&m) {
        if h == 0 && ampm.is_none() {
            return Time::new(0, m, 0, 0).ok();
        }
        return None;
    }
    let pm = match ampm {
        Some(p) => p,
        None => {
            if closing {
                h != 12 && h <= 11
            } else {
                !(6..=11).contains(&h)
            }
        }
    };
    let h24 = match (h, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    };
    Time::new(h24, m, 0, 0).ok()
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.trim().to_ascii_lowercase().get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// Cost as stated in a description (the package's `fees` column is empty).
pub fn cost_from_text(desc: &str) -> Cost {
    let d = desc.to_lowercase();
    if d.contains("sliding scale") || d.contains("sliding fee") {
        Cost::SlidingScale
    } else if ["free of charge", "no charge", "no cost", "free service", "services are free", "is free", "are free"]
        .iter()
        .any(|p| d.contains(p))
    {
        Cost::Free
    } else {
        Cost::Unknown
    }
}

pub struct Loaded {
    pub docs: Vec<ServiceDoc>,
    pub skipped_schedule_rows: usize,
}

pub fn load() -> Result<Loaded, String> {
    let dir = data_dir();
    if !dir.join("services.csv").exists() {
        return Err(format!("skipped: the Miami HSDS package is not at {}", dir.display()));
    }
    let services = Table::read(&dir, "services.csv")?;
    let orgs = Table::read(&dir, "organizations.csv")?;
    let sal = Table::read(&dir, "services_at_location.csv")?;
    let locs = Table::read(&dir, "locations.csv")?;
    let addrs = Table::read(&dir, "physical_addresses.csv")?;
    let langs = Table::read(&dir, "languages.csv")?;
    let access = Table::read(&dir, "accessibility_for_disabilities.csv")?;
    let sched = Table::read(&dir, "regular_schedules.csv")?;

    let org_name: HashMap<&str, &str> =
        orgs.rows.iter().map(|r| (orgs.get(r, "id"), orgs.get(r, "name"))).collect();
    let mut loc_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &sal.rows {
        loc_of.entry(sal.get(r, "service_id")).or_default().push(sal.get(r, "location_id"));
    }
    let loc: HashMap<&str, (&str, &str, &str)> = locs
        .rows
        .iter()
        .map(|r| (locs.get(r, "id"), (locs.get(r, "name"), locs.get(r, "latitude"), locs.get(r, "longitude"))))
        .collect();
    let zip: HashMap<&str, &str> =
        addrs.rows.iter().map(|r| (addrs.get(r, "location_id"), addrs.get(r, "postal_code"))).collect();
    let mut lang_of: HashMap<&str, Vec<String>> = HashMap::new();
    for r in &langs.rows {
        let l = langs.get(r, "language");
        if !l.is_empty() {
            lang_of.entry(langs.get(r, "service_id")).or_default().push(l.replace("\\n", " "));
        }
    }
    let mut access_of: HashMap<&str, Vec<String>> = HashMap::new();
    for r in &access.rows {
        let a = access.get(r, "accessibility");
        if !a.is_empty() {
            access_of.entry(access.get(r, "location_id")).or_default().push(a.to_string());
        }
    }
    let mut sched_of: HashMap<&str, Vec<Interval>> = HashMap::new();
    let mut skipped = 0;
    for r in &sched.rows {
        let (Some(day), Some(o), Some(c)) = (
            weekday(sched.get(r, "weekday")),
            parse_time(sched.get(r, "opens_at"), false),
            parse_time(sched.get(r, "closes_at"), true),
        ) else {
            skipped += 1;
            continue;
        };
        sched_of.entry(sched.get(r, "service_id")).or_default().push(Interval { weekday: day, opens: o, closes: c });
    }
    let mut docs = Vec::with_capacity(services.rows.len());
    for r in &services.rows {
        let id = services.get(r, "id");
        let mut locations = Vec::new();
        let mut acc = Vec::new();
        for l in loc_of.get(id).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some((name, lat, lon)) = loc.get(l) {
                let (lat, lon) = (lat.parse::<f64>().ok(), lon.parse::<f64>().ok());
                let (lat, lon) = if lat.is_some() && lon.is_some() { (lat, lon) } else { (None, None) };
                locations.push(DocLocation {
                    name: Some(name.to_string()),
                    latitude: lat,
                    longitude: lon,
                    postal_code: zip.get(l).map(|z| z.to_string()).filter(|z| !z.is_empty()),
                });
            }
            acc.extend(access_of.get(l).cloned().unwrap_or_default());
        }
        let alt = services.get(r, "alternate_name");
        let desc = services.get(r, "description").replace("\\n", "\n");
        docs.push(ServiceDoc {
            id: id.to_string(),
            name: services.get(r, "name").to_string(),
            alternate_name: (!alt.is_empty()).then(|| alt.to_string()),
            cost: cost_from_text(&desc),
            description: desc,
            organization_name: org_name.get(services.get(r, "organization_id")).copied().unwrap_or("").to_string(),
            taxonomy: vec![],
            eligibility: None,
            languages: lang_of.remove(id).unwrap_or_default(),
            accessibility: acc,
            locations,
            schedule: sched_of.remove(id).unwrap_or_default(),
            closed_dates: vec![],
            time_zone: "America/New_York".into(),
            last_verified: None,
            owner_org: None,
        });
    }
    Ok(Loaded { docs, skipped_schedule_rows: skipped })
}

#[test]
fn reads_times_as_written_in_the_package() {
    use jiff::civil::time;
    assert_eq!(parse_time("9:00am", false), Some(time(9, 0, 0, 0)));
    assert_eq!(parse_time("9am", false), Some(time(9, 0, 0, 0)));
    assert_eq!(parse_time("830am", false), Some(time(8, 30, 0, 0)));
    assert_eq!(parse_time("7:30 am ", false), Some(time(7, 30, 0, 0)));
    assert_eq!(parse_time("5:00pm", true), Some(time(17, 0, 0, 0)));
    assert_eq!(parse_time("5:00", true), Some(time(17, 0, 0, 0)));
    assert_eq!(parse_time("12:00pm", true), Some(time(12, 0, 0, 0)));
    assert_eq!(parse_time("12:00am", false), Some(time(0, 0, 0, 0)));
    assert_eq!(parse_time("6:300pm", true), None);
    assert_eq!(parse_time("", true), None);
}
