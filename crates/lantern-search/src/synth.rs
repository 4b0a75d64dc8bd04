//! Deterministic synthetic directories of any size, for benchmarks, tests
//! and demos without real data. Names are invented from word lists; no real
//! organization or person is described.

use crate::doc::{Cost, DocLocation, Interval, ServiceDoc, TaxonomyTerm};
use jiff::civil::{date, time, Weekday};

/// SplitMix64: small, fast, reproducible across platforms.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// (kind of service, taxonomy code, taxonomy name, description sentences)
const KINDS: &[(&str, &str, &str, &[&str])] = &[
    ("Food Pantry", "BD-1800.2000", "Food Pantries", &["Free groceries for families once a month.", "Bring a bag; no documents needed.", "Fresh produce and canned goods."]),
    ("Soup Kitchen", "BD-5000.8300", "Soup Kitchens", &["Hot meals served daily.", "Lunch for anyone who is hungry, no questions asked."]),
    ("Emergency Shelter", "BH-1800.8500", "Homeless Shelter", &["Overnight beds for adults experiencing homelessness.", "Intake every evening; showers and lockers."]),
    ("Rental Assistance", "BH-3800.7000", "Rent Payment Assistance", &["One-time help with rent to prevent eviction.", "Bring your lease and an ID."]),
    ("Detox Unit", "RX-8450.1800", "Detoxification", &["Medically supervised withdrawal management for alcohol and opioids.", "Open admissions around the clock."]),
    ("Recovery Meeting", "PN-8100.0500", "Twelve Step Groups", &["Open meetings of Alcoholics Anonymous and Narcotics Anonymous.", "Newcomers welcome; no sign-up."]),
    ("Counseling Center", "RP-1400", "Counseling", &["Individual and family counseling for depression and anxiety.", "Sliding scale fees based on income."]),
    ("Crisis Line", "RP-1500.1400", "Crisis Intervention", &["Someone to talk to 24 hours a day when things feel overwhelming.", "Call or text for crisis counseling."]),
    ("HIV Testing Site", "LF-4900.2400", "HIV Testing", &["Free and confidential HIV and STD testing.", "Results in twenty minutes; linkage to care."]),
    ("Legal Aid Office", "FT-3200", "Legal Services", &["Free legal help with housing, benefits and immigration.", "Attorneys see people by appointment."]),
    ("Veterans Center", "TQ", "Veterans", &["Benefits counseling and peer support for veterans and their families."]),
    ("Youth Drop-In Center", "YB-9500", "Youth", &["A safe place for teens and young adults, with meals and mentoring."]),
    ("Domestic Violence Program", "RP-1400.8000", "Domestic Violence Services", &["Safe shelter, safety planning and advocacy for survivors of domestic violence."]),
    ("Job Training Program", "ND-6500", "Job Training", &["Employment readiness classes, resume help and job placement."]),
    ("Health Clinic", "LN", "Health Care", &["Primary care for adults and children; uninsured patients welcome.", "Medicaid accepted."]),
    ("Dental Clinic", "LV", "Dental Care", &["Low cost cleanings, fillings and extractions."]),
    ("Clothing Closet", "BM-6500.1500", "Clothing", &["Free clothes, shoes and coats for job interviews and daily life."]),
    ("Medication-Assisted Treatment", "RX-8470.8250", "Opioid Treatment", &["Methadone and buprenorphine with counseling.", "Naloxone kits available."]),
    ("Peer Recovery Support", "RX-8470.6500", "Peer Recovery Support", &["Certified peer specialists who have lived experience of recovery."]),
    ("Utility Assistance", "BV-8900", "Utility Assistance", &["Help paying electric and water bills to keep the lights on."]),
];

const PLACES: &[&str] = &[
    "Riverside", "Harbor", "Palm", "Bayview", "Coral", "Sunrise", "Northside", "Little River", "Cypress", "Seaside",
    "Magnolia", "Mangrove", "Lakeshore", "Hillcrest", "Westgate", "Eastwood", "Pinewood", "Brightwater", "Sandpiper",
    "Heron", "Pelican", "Egret", "Osprey", "Banyan", "Hibiscus", "Orchid", "Lighthouse", "Gateway", "Crossroads",
];
const ORG_KINDS: &[&str] = &[
    "Community Services", "Family Center", "Neighborhood Alliance", "Health Partners", "Outreach Network",
    "Mutual Aid Society", "Recovery Collective", "Hope House", "Faith Community", "Resource Center",
];
const LANGS: &[&[&str]] = &[
    &["English"],
    &["English", "Spanish"],
    &["English", "Spanish", "Creole"],
    &["English", "Creole"],
    &["Spanish"],
    &["English", "Spanish", "French"],
];
const ZIPS: &[&str] = &[
    "33125", "33126", "33127", "33128", "33130", "33132", "33135", "33136", "33137", "33138", "33142", "33145",
    "33147", "33150", "33155", "33157", "33161", "33165", "33169", "33176",
];

/// `n` synthetic services, the same for the same `seed`. Five in a hundred
/// are private listings of organization 1 or 2.
pub fn generate(n: usize, seed: u64) -> Vec<ServiceDoc> {
    let mut r = Rng(seed ^ 0x5EED_1A47_E2D0_0001);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (kind, code, tname, sentences) = *r.pick(KINDS);
        let place = *r.pick(PLACES);
        let org = format!("{} {}", place, r.pick(ORG_KINDS));
        let mut desc = String::new();
        for _ in 0..(2 + r.below(3)) {
            desc.push_str(sentences[r.below(sentences.len())]);
            desc.push(' ');
        }
        let other = KINDS[r.below(KINDS.len())];
        desc.push_str(&format!("We also refer people to {}.", other.0.to_lowercase()));
        let zi = r.below(ZIPS.len());
        // ZIPs spread south-west to north-east across a Miami-sized area.
        let lat = 25.60 + 0.02 * zi as f64 + (r.unit() - 0.5) * 0.03;
        let lon = -80.40 + 0.012 * zi as f64 + (r.unit() - 0.5) * 0.03;
        let opens = time(7 + r.below(3) as i8, if r.below(2) == 0 { 0 } else { 30 }, 0, 0);
        let closes = time(16 + r.below(4) as i8, 0, 0, 0);
        let mut schedule: Vec<Interval> =
            [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday]
                .into_iter()
                .map(|d| Interval { weekday: d, opens, closes })
                .collect();
        if r.below(4) == 0 {
            schedule.push(Interval { weekday: Weekday::Saturday, opens: time(9, 0, 0, 0), closes: time(13, 0, 0, 0) });
        }
        if kind == "Crisis Line" || kind == "Detox Unit" {
            schedule = [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
                Weekday::Saturday,
                Weekday::Sunday,
            ]
            .into_iter()
            .map(|d| Interval { weekday: d, opens: time(0, 0, 0, 0), closes: time(0, 0, 0, 0) })
            .collect();
        }
        let cost = match r.below(10) {
            0..=4 => Cost::Free,
            5..=6 => Cost::SlidingScale,
            7 => Cost::Fee,
            _ => Cost::Unknown,
        };
        out.push(ServiceDoc {
            id: format!("synth-{seed}-{i}"),
            name: format!("{place} {kind}"),
            alternate_name: None,
            description: desc,
            organization_name: org,
            taxonomy: vec![TaxonomyTerm { code: code.into(), name: tname.into() }],
            eligibility: None,
            languages: r.pick(LANGS).iter().map(|s| s.to_string()).collect(),
            cost,
            accessibility: if r.below(2) == 0 { vec!["Wheelchair accessible".into()] } else { vec![] },
            locations: vec![DocLocation {
                name: None,
                latitude: Some(lat),
                longitude: Some(lon),
                postal_code: Some(ZIPS[zi].into()),
            }],
            schedule,
            closed_dates: vec![],
            time_zone: "America/New_York".into(),
            last_verified: Some(date(2024, 1, 1) + jiff::Span::new().days(r.below(900) as i64)),
            owner_org: if r.below(20) == 0 { Some(1 + r.below(2) as i64) } else { None },
        });
    }
    out
}

/// The same synthetic services as an HSDS 3.1 directory (community listings
/// only: HSDS has no notion of a private listing), for `serve --demo` without
/// real data and for the HTTP benchmarks. Phone numbers use the 555-01xx
/// range reserved for fiction.
#[cfg(feature = "hsds")]
pub fn hsds_directory(n: usize, seed: u64) -> lantern_hsds::Directory {
    use lantern_hsds::{
        Accessibility, Address, Attribute, Directory, Language, Location, Organization, Phone, Schedule, Service, ServiceAtLocation,
        Taxonomy, TaxonomyTerm as Term,
    };
    let id = |table: &str, key: &str| lantern_hsds::map_id(table, &format!("synth-{seed}-{key}"));
    let taxonomy_id = id("taxonomies", "categories");
    let mut dir = Directory::default();
    dir.taxonomies.push(Taxonomy {
        id: taxonomy_id.clone(),
        name: "Lantern demo categories".into(),
        description: "Service categories of the synthetic demo directory.".into(),
        ..Default::default()
    });
    let mut orgs: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut terms: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let day = |w: Weekday| match w {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    };
    for (i, d) in generate(n, seed).into_iter().enumerate() {
        let org_id = orgs
            .entry(d.organization_name.clone())
            .or_insert_with(|| {
                let oid = id("organizations", &d.organization_name);
                dir.organizations.push(Organization {
                    id: oid.clone(),
                    name: d.organization_name.clone(),
                    description: format!("{} serves the neighborhood with practical help.", d.organization_name),
                    ..Default::default()
                });
                oid
            })
            .clone();
        let sid = id("services", &i.to_string());
        let mut attributes = Vec::new();
        for t in &d.taxonomy {
            let tid = terms
                .entry(t.code.clone())
                .or_insert_with(|| {
                    let tid = id("taxonomy_terms", &t.code);
                    dir.taxonomy_terms.push(Term {
                        id: tid.clone(),
                        code: Some(t.code.clone()),
                        name: t.name.clone(),
                        description: t.name.clone(),
                        taxonomy_id: Some(taxonomy_id.clone()),
                        ..Default::default()
                    });
                    tid
                })
                .clone();
            attributes.push(Attribute {
                id: id("attributes", &format!("{i}-{}", t.code)),
                link_id: Some(sid.clone()),
                link_type: Some("service".into()),
                link_entity: Some("service".into()),
                taxonomy_term_id: Some(tid),
                ..Default::default()
            });
        }
        let schedules = d
            .schedule
            .iter()
            .enumerate()
            .map(|(k, iv)| Schedule {
                id: id("schedules", &format!("{i}-{k}")),
                service_id: Some(sid.clone()),
                freq: Some("WEEKLY".into()),
                byday: Some(day(iv.weekday).into()),
                opens_at: Some(iv.opens.strftime("%H:%M").to_string()),
                closes_at: Some(iv.closes.strftime("%H:%M").to_string()),
                ..Default::default()
            })
            .collect();
        let fees = match d.cost {
            Cost::Free => Some("Free".to_string()),
            Cost::SlidingScale => Some("Sliding scale fees based on income".to_string()),
            Cost::Fee => Some("A fee is charged; ask about payment plans".to_string()),
            Cost::Unknown => None,
        };
        dir.services.push(Service {
            id: sid.clone(),
            organization_id: Some(org_id.clone()),
            name: d.name.clone(),
            description: Some(d.description.clone()),
            status: "active".into(),
            fees_description: fees,
            assured_date: d.last_verified.map(|x| x.to_string()),
            phones: vec![Phone { id: id("phones", &i.to_string()), service_id: Some(sid.clone()), number: format!("305-555-01{:02}", i % 100), ..Default::default() }],
            schedules,
            languages: d
                .languages
                .iter()
                .enumerate()
                .map(|(k, l)| Language { id: id("languages", &format!("{i}-{k}")), service_id: Some(sid.clone()), name: Some(l.clone()), ..Default::default() })
                .collect(),
            attributes,
            ..Default::default()
        });
        for (k, l) in d.locations.iter().enumerate() {
            let lid = id("locations", &format!("{i}-{k}"));
            dir.locations.push(Location {
                id: lid.clone(),
                location_type: "physical".into(),
                organization_id: Some(org_id.clone()),
                name: Some(d.name.clone()),
                latitude: l.latitude,
                longitude: l.longitude,
                addresses: vec![Address {
                    id: id("addresses", &format!("{i}-{k}")),
                    location_id: Some(lid.clone()),
                    address_1: format!("{} NW {} Street", 100 + (i * 7) % 900, 1 + i % 80),
                    city: "Miami".into(),
                    state_province: "FL".into(),
                    postal_code: l.postal_code.clone().unwrap_or_default(),
                    country: "US".into(),
                    address_type: "physical".into(),
                    ..Default::default()
                }],
                accessibility: d
                    .accessibility
                    .iter()
                    .enumerate()
                    .map(|(a, t)| Accessibility { id: id("accessibility", &format!("{i}-{k}-{a}")), location_id: Some(lid.clone()), description: Some(t.clone()), ..Default::default() })
                    .collect(),
                ..Default::default()
            });
            dir.service_at_locations.push(ServiceAtLocation {
                id: id("service_at_locations", &format!("{i}-{k}")),
                service_id: Some(sid.clone()),
                location_id: Some(lid),
                ..Default::default()
            });
        }
    }
    dir
}
