//! HSDS 3.1 (as read by `lantern-hsds`) → [`ServiceDoc`]s.
//!
//! * text: service name, alternate name, description; organization name
//!   (by `organization_id`); taxonomy terms linked through the service's
//!   attributes (`taxonomy_term_id`, or the embedded `taxonomy_term`), with
//!   the term's code (or id when it has no code) and name;
//! * locations: every `service_at_location` of the service → its location's
//!   latitude/longitude and the postal code of its physical address (or of
//!   its first address); accessibility from those locations;
//! * languages: the service's, then its locations' (names, or codes);
//! * hours: weekly schedules (`freq` WEEKLY, `byday`, `opens_at`,
//!   `closes_at`) of the service, else of its service-at-locations, else of
//!   its locations; schedules described as "closed" with `valid_from` /
//!   `valid_to` become closed dates (at most a year per schedule);
//! * cost: `cost_options` (amount 0 or "free" → free, "sliding" → sliding
//!   scale, an amount → fee), else the `fees_description` / `fees` text, else
//!   phrases in the description ("free of charge", "no cost", "sliding scale");
//! * last verified: `assured_date`.
//!
//! HSDS has no IANA time zone for an organization, so the caller gives the
//! directory's (a deployment's zone, e.g. `America/New_York`).

use crate::doc::{Cost, DocLocation, Interval, ServiceDoc, TaxonomyTerm};
use jiff::civil::{Date, Time, Weekday};
use lantern_hsds::{Directory, Location, Schedule, Service};
use std::collections::HashMap;

/// Cost as stated in free text.
pub fn cost_from_text(text: &str) -> Cost {
    let d = text.to_lowercase();
    if d.contains("sliding scale") || d.contains("sliding fee") {
        Cost::SlidingScale
    } else if ["free of charge", "no charge", "no cost", "free service", "services are free", "is free", "are free"]
        .iter()
        .any(|p| d.contains(p))
        || d.trim() == "free"
        || d.trim() == "none"
    {
        Cost::Free
    } else {
        Cost::Unknown
    }
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn hhmm(s: &str) -> Option<Time> {
    let s = s.trim();
    let (h, m) = s.get(..5)?.split_once(':')?;
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

fn closed_text(s: &Schedule) -> bool {
    [&s.description, &s.notes].iter().any(|t| t.as_deref().is_some_and(|t| t.to_lowercase().contains("closed")))
}

/// Weekly intervals and closed dates from HSDS schedules.
pub fn schedule_of(schedules: &[Schedule]) -> (Vec<Interval>, Vec<Date>) {
    let mut iv = Vec::new();
    let mut closed = Vec::new();
    for s in schedules {
        let dated = s.valid_from.is_some() || s.valid_to.is_some();
        if dated && closed_text(s) {
            let from = s.valid_from.as_deref().and_then(|d| d.get(..10)?.parse::<Date>().ok());
            let to = s.valid_to.as_deref().and_then(|d| d.get(..10)?.parse::<Date>().ok()).or(from);
            if let (Some(mut d), Some(to)) = (from.or(to), to) {
                let mut n = 0;
                while d <= to && n < 366 {
                    closed.push(d);
                    n += 1;
                    match d.tomorrow() {
                        Ok(x) => d = x,
                        Err(_) => break,
                    }
                }
            }
            continue;
        }
        if dated {
            continue; // holiday hours: not a weekly rule
        }
        if s.freq.as_deref().is_some_and(|f| !f.eq_ignore_ascii_case("WEEKLY")) {
            continue;
        }
        let (Some(o), Some(c)) = (s.opens_at.as_deref().and_then(hhmm), s.closes_at.as_deref().and_then(hhmm)) else {
            continue;
        };
        for day in s.byday.as_deref().unwrap_or("").split(',').filter_map(weekday) {
            iv.push(Interval { weekday: day, opens: o, closes: c });
        }
    }
    (iv, closed)
}

fn cost_of(s: &Service) -> Cost {
    let mut best = Cost::Unknown;
    for co in &s.cost_options {
        let text = co.option.as_deref().unwrap_or("").to_lowercase();
        let c = if co.amount == Some(0.0) || text.contains("free") {
            Cost::Free
        } else if text.contains("sliding") {
            Cost::SlidingScale
        } else if co.amount.is_some_and(|a| a > 0.0) {
            Cost::Fee
        } else {
            Cost::Unknown
        };
        // The cheapest stated option wins.
        best = match (best, c) {
            (Cost::Free, _) | (_, Cost::Free) => Cost::Free,
            (Cost::SlidingScale, _) | (_, Cost::SlidingScale) => Cost::SlidingScale,
            (Cost::Fee, _) | (_, Cost::Fee) => Cost::Fee,
            _ => Cost::Unknown,
        };
    }
    if best != Cost::Unknown {
        return best;
    }
    for t in [&s.fees_description, &s.fees] {
        if let Some(t) = t {
            let c = cost_from_text(t);
            if c != Cost::Unknown {
                return c;
            }
        }
    }
    cost_from_text(s.description.as_deref().unwrap_or(""))
}

/// Every service of `dir` as a search document.
pub fn from_hsds(dir: &Directory, time_zone: &str, owner_org: Option<i64>) -> Vec<ServiceDoc> {
    let orgs: HashMap<&str, &str> = dir.organizations.iter().map(|o| (o.id.as_str(), o.name.as_str())).collect();
    let locs: HashMap<&str, &Location> = dir.locations.iter().map(|l| (l.id.as_str(), l)).collect();
    let terms: HashMap<&str, &lantern_hsds::TaxonomyTerm> =
        dir.taxonomy_terms.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut sals: HashMap<&str, Vec<&lantern_hsds::ServiceAtLocation>> = HashMap::new();
    for sal in &dir.service_at_locations {
        if let Some(sid) = sal.service_id.as_deref() {
            sals.entry(sid).or_default().push(sal);
        }
    }
    for s in &dir.services {
        for sal in &s.service_at_locations {
            let e = sals.entry(s.id.as_str()).or_default();
            if !e.iter().any(|x| x.id == sal.id) {
                e.push(sal);
            }
        }
    }
    dir.services
        .iter()
        .map(|s| {
            let my_sals = sals.get(s.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let my_locs: Vec<&Location> = my_sals
                .iter()
                .filter_map(|sal| {
                    sal.location.as_deref().or_else(|| sal.location_id.as_deref().and_then(|id| locs.get(id).copied()))
                })
                .collect();
            let mut taxonomy = Vec::new();
            for a in &s.attributes {
                let t = a.taxonomy_term.as_deref().or_else(|| a.taxonomy_term_id.as_deref().and_then(|id| terms.get(id).copied()));
                if let Some(t) = t {
                    let code = t.code.clone().unwrap_or_else(|| t.id.clone());
                    if !taxonomy.iter().any(|x: &TaxonomyTerm| x.code == code) {
                        taxonomy.push(TaxonomyTerm { code, name: t.name.clone() });
                    }
                }
            }
            let mut languages: Vec<String> =
                s.languages.iter().filter_map(|l| l.name.clone().or_else(|| l.code.clone())).collect();
            for l in &my_locs {
                for x in &l.languages {
                    if let Some(n) = x.name.clone().or_else(|| x.code.clone()) {
                        if !languages.contains(&n) {
                            languages.push(n);
                        }
                    }
                }
            }
            let accessibility = my_locs
                .iter()
                .flat_map(|l| l.accessibility.iter())
                .flat_map(|a| [a.description.clone(), a.details.clone()])
                .flatten()
                .filter(|t| !t.trim().is_empty())
                .collect();
            let locations = my_locs
                .iter()
                .map(|l| {
                    let addr = l
                        .addresses
                        .iter()
                        .find(|a| a.address_type == "physical")
                        .or_else(|| l.addresses.first());
                    let (lat, lon) = match (l.latitude, l.longitude) {
                        (Some(a), Some(b)) if crate::geo::valid_point(a, b) && !(a == 0.0 && b == 0.0) => (Some(a), Some(b)),
                        _ => (None, None),
                    };
                    DocLocation {
                        name: l.name.clone(),
                        latitude: lat,
                        longitude: lon,
                        postal_code: addr.map(|a| a.postal_code.clone()).filter(|z| !z.trim().is_empty()),
                    }
                })
                .collect();
            let mut sched = schedule_of(&s.schedules);
            if sched.0.is_empty() {
                let from_sal: Vec<Schedule> = my_sals.iter().flat_map(|x| x.schedules.iter().cloned()).collect();
                sched = schedule_of(&from_sal);
            }
            if sched.0.is_empty() {
                let from_loc: Vec<Schedule> = my_locs.iter().flat_map(|x| x.schedules.iter().cloned()).collect();
                sched = schedule_of(&from_loc);
            }
            ServiceDoc {
                id: s.id.clone(),
                name: s.name.clone(),
                alternate_name: s.alternate_name.clone().filter(|x| !x.trim().is_empty()),
                description: s.description.clone().unwrap_or_default(),
                organization_name: s
                    .organization_id
                    .as_deref()
                    .and_then(|o| orgs.get(o).copied())
                    .unwrap_or("")
                    .to_string(),
                taxonomy,
                eligibility: s.eligibility_description.clone(),
                languages,
                cost: cost_of(s),
                accessibility,
                locations,
                schedule: sched.0,
                closed_dates: sched.1,
                time_zone: time_zone.to_string(),
                last_verified: s.assured_date.as_deref().and_then(|d| d.get(..10)?.parse().ok()),
                owner_org,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn weekly_rules_and_closed_dates() {
        let weekly = Schedule {
            id: "s1".into(),
            freq: Some("WEEKLY".into()),
            byday: Some("MO,WE,FR".into()),
            opens_at: Some("09:00".into()),
            closes_at: Some("17:30".into()),
            ..Default::default()
        };
        let holiday = Schedule {
            id: "s2".into(),
            valid_from: Some("2026-12-24".into()),
            valid_to: Some("2026-12-26".into()),
            description: Some("closed".into()),
            ..Default::default()
        };
        let (iv, closed) = schedule_of(&[weekly, holiday]);
        assert_eq!(iv.len(), 3);
        assert_eq!(iv[1], Interval { weekday: Weekday::Wednesday, opens: time(9, 0, 0, 0), closes: time(17, 30, 0, 0) });
        assert_eq!(closed, [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)]);
    }

    #[test]
    fn cost_from_options_then_text() {
        let mut s = Service { id: "x".into(), name: "X".into(), ..Default::default() };
        s.description = Some("Counseling on a sliding scale.".into());
        assert_eq!(cost_of(&s), Cost::SlidingScale);
        s.cost_options.push(lantern_hsds::CostOption { id: "c".into(), amount: Some(0.0), ..Default::default() });
        assert_eq!(cost_of(&s), Cost::Free);
        let s = Service { id: "y".into(), name: "Y".into(), fees_description: Some("None".into()), ..Default::default() };
        assert_eq!(cost_of(&s), Cost::Free);
    }
}
