//! Behaviour of the engine on small hand-made directories (synthetic
//! listings only).

use jiff::civil::{date, time, Weekday};
use jiff::Timestamp;
use lantern_search::*;
use proptest::prelude::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn doc(id: &str, name: &str, desc: &str) -> ServiceDoc {
    ServiceDoc {
        id: id.into(),
        name: name.into(),
        description: desc.into(),
        organization_name: "Harbor Community Services".into(),
        time_zone: "America/New_York".into(),
        last_verified: Some(date(2026, 6, 1)),
        ..Default::default()
    }
}

fn at(mut d: ServiceDoc, lat: f64, lon: f64, zip: &str) -> ServiceDoc {
    d.locations.push(DocLocation {
        name: None,
        latitude: Some(lat),
        longitude: Some(lon),
        postal_code: Some(zip.into()),
    });
    d
}

fn weekdays(mut d: ServiceDoc, open: (i8, i8), close: (i8, i8)) -> ServiceDoc {
    use Weekday::*;
    for w in [Monday, Tuesday, Wednesday, Thursday, Friday] {
        d.schedule.push(Interval { weekday: w, opens: time(open.0, open.1, 0, 0), closes: time(close.0, close.1, 0, 0) });
    }
    d
}

fn directory() -> Vec<ServiceDoc> {
    let mut v = vec![
        weekdays(at(doc("pantry", "Palm Street Food Pantry", "Groceries for families every week."), 25.7663, -80.2197, "33125"), (9, 0), (17, 0)),
        weekdays(at(doc("detox", "Bayview Withdrawal Management Unit", "Medically supervised withdrawal management for adults."), 25.7900, -80.2100, "33136"), (0, 0), (0, 0)),
        at(doc("aa", "Harbor Group of Alcoholics Anonymous", "Open meetings every evening; newcomers welcome."), 25.7000, -80.3000, "33155"),
        at(doc("shelter", "Seaside Overnight Shelter", "Beds and showers for men experiencing homelessness."), 25.8000, -80.2000, "33137"),
        doc("legal", "Coral Legal Aid", "Free help with evictions, benefits and immigration."),
        doc("counsel", "Magnolia Counseling Center", "Counseling for anxiety and depression on a sliding scale."),
    ];
    v[0].languages = vec!["English".into(), "Spanish".into()];
    v[0].cost = Cost::Free;
    v[0].accessibility = vec!["Handicap accessible".into()];
    v[1].languages = vec!["English".into(), "Creole (limited)".into()];
    v[5].cost = Cost::SlidingScale;
    v[4].last_verified = Some(date(2024, 1, 2));
    v[5].last_verified = None;
    v
}

fn index() -> Index {
    Index::build(directory()).unwrap()
}

fn ids(r: &Results) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

const NOW: &str = "2026-11-23T15:00:00Z"; // Monday 10:00 EST

#[test]
fn typo_in_a_word_still_finds_it_and_says_so() {
    let idx = index();
    let r = idx.search(&Query::new("fod pantry", ts(NOW))).unwrap();
    assert_eq!(ids(&r)[0], "pantry");
    let why = &r.hits[0].why;
    assert!(
        why.iter().any(|w| matches!(w, Why::Matched { via: Via::Typo { typed, edits: 1 }, .. } if typed == "fod")),
        "{why:?}"
    );
    // Two edits need eight letters: "shletre" (7 letters, 2 edits) is not read as shelter.
    let r = idx.search(&Query::new("overnihgt", ts(NOW))).unwrap();
    assert_eq!(ids(&r), ["shelter"]);
    let r = idx.search(&Query::new("sheltre", ts(NOW))).unwrap();
    assert!(r.hits.is_empty() || ids(&r) == ["shelter"]);
}

#[test]
fn synonyms_work_both_ways() {
    let idx = index();
    let r = idx.search(&Query::new("detox", ts(NOW))).unwrap();
    assert_eq!(ids(&r), ["detox"]);
    assert!(r.hits[0].why.iter().any(|w| matches!(w, Why::Matched { via: Via::Synonym { of }, matched, .. }
        if of == "detox" && matched == "withdrawal management")));
    let r = idx.search(&Query::new("AA", ts(NOW))).unwrap();
    assert_eq!(ids(&r), ["aa"]);
    let r = idx.search(&Query::new("food bank", ts(NOW))).unwrap();
    assert_eq!(ids(&r)[0], "pantry");
}

#[test]
fn synonym_phrases_need_their_words_together() {
    // "management" and "withdrawal" far apart is not "withdrawal management".
    let docs = vec![
        doc("a", "Office of Management", "Handles withdrawal of applications."),
        doc("b", "Bayview Detox", "Medical detox."),
    ];
    let idx = Index::build(docs).unwrap();
    let r = idx.search(&Query::new("detox", ts(NOW))).unwrap();
    assert_eq!(ids(&r), ["b"]);
}

#[test]
fn last_word_is_a_prefix() {
    let idx = index();
    let r = idx.search(&Query::new("magnolia couns", ts(NOW))).unwrap();
    assert_eq!(ids(&r)[0], "counsel");
    assert!(r.hits[0].why.iter().any(|w| matches!(w, Why::Matched { via: Via::Prefix { .. }, .. })));
    let mut q = Query::new("couns", ts(NOW));
    q.prefix_last = false;
    assert!(idx.search(&q).unwrap().hits.is_empty());
}

#[test]
fn name_matches_rank_above_description_matches() {
    let docs = vec![
        doc("desc", "Riverside Family Center", "We also run a small shelter."),
        doc("name", "Riverside Shelter", "Beds for families."),
    ];
    let idx = Index::build(docs).unwrap();
    assert_eq!(ids(&idx.search(&Query::new("shelter", ts(NOW))).unwrap()), ["name", "desc"]);
}

#[test]
fn open_now_filters_in_the_listing_time_zone() {
    let idx = index();
    let mut q = Query::new("", ts("2026-11-23T15:00:00Z")); // Monday 10:00 EST
    q.open_now = true;
    let r = idx.search(&q).unwrap();
    // Pantry is open 9-17, detox around the clock; others give no hours.
    assert_eq!(ids(&r), ["detox", "pantry"]);
    assert!(r.hits.iter().all(|h| h.open_now == Some(true)));
    // Monday 2026-11-23 13:30Z = 08:30 EST: only the detox unit.
    q.now = ts("2026-11-23T13:30:00Z");
    assert_eq!(ids(&idx.search(&q).unwrap()), ["detox"]);
    // Summer, same wall-clock: 2026-07-13 13:30Z = 09:30 EDT: both.
    q.now = ts("2026-07-13T13:30:00Z");
    assert_eq!(ids(&idx.search(&q).unwrap()), ["detox", "pantry"]);
    // The why says until when.
    let r = idx.search(&q).unwrap();
    let pantry = r.hits.iter().find(|h| h.id == "pantry").unwrap();
    assert!(pantry.why.contains(&Why::OpenNow { until: Some("17:00".into()) }));
}

#[test]
fn distance_from_a_point_and_from_a_zip_centroid() {
    let idx = index();
    let mut q = Query::new("", ts(NOW));
    q.near = Some(Near::Point { lat: 25.7663, lon: -80.2197 });
    q.max_distance_km = Some(5.0);
    q.sort = Sort::Distance;
    let r = idx.search(&q).unwrap();
    assert_eq!(ids(&r), ["pantry", "detox", "shelter"]);
    assert_eq!(r.hits[0].distance_km, Some(0.0));
    // pantry → detox: Δlat 0.0237°, Δlon 0.0097° at 25.78°N; haversine by
    // hand: a = sin²(0.01185°) + cos(25.7663°)·cos(25.79°)·sin²(0.00485°)
    // = 4.2775e-8 + 0.81087·7.1654e-9 = 4.8585e-8 → d = 2R·asin(√a) = 2.8086 km.
    let d = r.hits[1].distance_km.unwrap();
    assert!((d - 2.8086).abs() < 0.001, "{d}");
    assert!(r.hits[1].why.iter().any(|w| matches!(w, Why::Distance { miles, .. } if (miles - 1.7452).abs() < 0.001)));
    // ZIP 33125: the centroid of the directory's own locations there (the pantry).
    q.near = Some(Near::Zip("33125".into()));
    assert_eq!(idx.zip_centroid("33125"), Some((25.7663, -80.2197)));
    assert_eq!(ids(&idx.search(&q).unwrap()), ["pantry", "detox", "shelter"]);
    q.near = Some(Near::Zip("99999".into()));
    assert_eq!(idx.search(&q).unwrap_err(), SearchError::UnknownZip("99999".into()));
}

#[test]
fn parsed_query_combines_text_and_filters() {
    let idx = index();
    let p = parse("food pantry open now near 33125 spanish free wheelchair", ts(NOW));
    assert_eq!(p.query.text, "food pantry");
    let r = idx.search(&p.query).unwrap();
    assert_eq!(ids(&r), ["pantry"]);
    let why: Vec<String> = r.hits[0].why.iter().map(|w| w.to_string()).collect();
    assert!(why.iter().any(|w| w.starts_with("open now, until 17:00")), "{why:?}");
    assert!(why.iter().any(|w| w == "speaks spanish"), "{why:?}");
    assert!(why.iter().any(|w| w.contains("km") && w.contains("mi")), "{why:?}");
    // Creole is recognized in "Creole (limited)".
    let p = parse("detox creole", ts(NOW));
    assert_eq!(ids(&idx.search(&p.query).unwrap()), ["detox"]);
    // Low cost includes sliding scale.
    let p = parse("counseling low cost", ts(NOW));
    assert_eq!(ids(&idx.search(&p.query).unwrap()), ["counsel"]);
    let p = parse("counseling free", ts(NOW));
    assert!(idx.search(&p.query).unwrap().hits.is_empty());
}

#[test]
fn stale_listings_are_flagged() {
    let idx = index();
    let r = idx.search(&Query::new("legal aid", ts(NOW))).unwrap();
    assert!(r.hits[0].stale, "verified 2024-01-02, more than 365 days before");
    let mut q = Query::new("legal aid", ts(NOW));
    q.stale_after_days = 1100; // 1,056 days have passed
    assert!(!idx.search(&q).unwrap().hits[0].stale);
    let r = idx.search(&Query::new("magnolia", ts(NOW))).unwrap();
    assert!(r.hits[0].stale, "never verified");
    let r = idx.search(&Query::new("palm street", ts(NOW))).unwrap();
    assert!(!r.hits[0].stale);
}

#[test]
fn bad_input_is_refused_with_what_and_where() {
    let mut docs = directory();
    docs[2].time_zone = "Mars/Olympus".into();
    let e = Index::build(docs).err().unwrap();
    assert_eq!((e.position, e.id.as_str(), e.field), (2, "aa", "time_zone"));
    let mut docs = directory();
    docs[3].locations[0].latitude = Some(125.0);
    let e = Index::build(docs).err().unwrap();
    assert_eq!((e.id.as_str(), e.field), ("shelter", "locations"));
    assert!(e.to_string().contains("125"), "{e}");
    let mut docs = directory();
    docs[4].id = "pantry".into();
    let e = Index::build(docs).err().unwrap();
    assert!(e.to_string().contains("same as service #0"), "{e}");
    let idx = index();
    let mut q = Query::new("x", ts(NOW));
    q.sort = Sort::Distance;
    assert_eq!(idx.search(&q).unwrap_err(), SearchError::DistanceWithoutPlace);
    q.sort = Sort::Relevance;
    q.near = Some(Near::Point { lat: 91.0, lon: 0.0 });
    assert!(matches!(idx.search(&q).unwrap_err(), SearchError::BadPoint { .. }));
    q.near = None;
    q.limit = 0;
    assert_eq!(idx.search(&q).unwrap_err(), SearchError::BadLimit(0));
}

#[test]
fn paging_is_stable_and_counts_everything() {
    let docs = synth::generate(500, 7);
    let idx = Index::build(docs).unwrap();
    let mut q = Query::new("food pantry", ts(NOW));
    q.limit = 1000;
    let all = idx.search(&q).unwrap();
    let mut paged = Vec::new();
    q.limit = 7;
    while q.offset < all.total {
        let r = idx.search(&q).unwrap();
        assert_eq!(r.total, all.total);
        paged.extend(r.hits.into_iter().map(|h| h.id));
        q.offset += 7;
    }
    assert_eq!(paged, all.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Private listings never reach another organization, whatever is
    /// searched and however it is filtered.
    #[test]
    fn private_listings_never_leak(
        seed in 0u64..1000,
        viewer in proptest::option::of(1i64..4),
        text in proptest::sample::select(vec!["", "food", "shelter detox", "counseling spanish", "fod", "near 33125", "open now free", "crisis line"]),
    ) {
        let docs = synth::generate(300, seed);
        let owners: Vec<Option<i64>> = docs.iter().map(|d| d.owner_org).collect();
        let idx = Index::build(docs).unwrap();
        let mut q = parse(text, ts(NOW)).query;
        q.viewer_org = viewer;
        q.limit = 1000;
        let r = idx.search(&q).unwrap();
        for h in &r.hits {
            let owner = owners[h.doc];
            prop_assert!(owner.is_none() || owner == viewer, "{} owned by {:?} shown to {:?}", h.id, owner, viewer);
        }
        // And they are found by their own organization.
        if let Some(v) = viewer {
            let mut all = Query::new("", ts(NOW));
            all.viewer_org = Some(v);
            all.limit = 1000;
            let n = idx.search(&all).unwrap().total;
            let expect = owners.iter().filter(|o| o.is_none() || **o == Some(v)).count();
            prop_assert_eq!(n, expect);
        }
    }

    /// Every distance reported is the haversine distance to the nearest
    /// location and respects the maximum.
    #[test]
    fn distances_are_true_and_within_the_limit(seed in 0u64..1000, lat in 25.55f64..26.05, lon in -80.45f64..-80.1, max in 0.5f64..20.0) {
        let docs = synth::generate(200, seed);
        let idx = Index::build(docs.clone()).unwrap();
        let mut q = Query::new("", ts(NOW));
        q.near = Some(Near::Point { lat, lon });
        q.max_distance_km = Some(max);
        q.sort = Sort::Distance;
        q.limit = 1000;
        let r = idx.search(&q).unwrap();
        let mut last = 0.0;
        for h in &r.hits {
            let l = &docs[h.doc].locations[0];
            let d = geo::haversine_km(lat, lon, l.latitude.unwrap(), l.longitude.unwrap());
            prop_assert!((h.distance_km.unwrap() - d).abs() < 1e-9);
            prop_assert!(d <= max);
            prop_assert!(d >= last);
            last = d;
        }
        let expected = docs.iter().filter(|x| x.owner_org.is_none()).filter(|x| {
            let l = &x.locations[0];
            geo::haversine_km(lat, lon, l.latitude.unwrap(), l.longitude.unwrap()) <= max
        }).count();
        prop_assert_eq!(r.total, expected);
    }

    /// One typo (a deletion, insertion, substitution or swap) in a word of
    /// four letters or more still finds a listing named with that word.
    #[test]
    fn one_typo_is_forgiven(word_i in 0usize..8, pos in 0usize..4, kind in 0u8..4) {
        let words = ["pantry", "shelter", "methadone", "counseling", "clothing", "veterans", "dental", "immigration"];
        let w = words[word_i];
        let docs: Vec<ServiceDoc> = words.iter().enumerate()
            .map(|(i, x)| doc(&format!("d{i}"), &format!("Harbor {x}"), "A service."))
            .collect();
        let idx = Index::build(docs).unwrap();
        let mut c: Vec<char> = w.chars().collect();
        let p = pos.min(c.len() - 2) + 1; // keep the first letter
        match kind {
            0 => { c.remove(p); }
            1 => c.insert(p, 'x'),
            2 => c[p] = if c[p] == 'q' { 'z' } else { 'q' },
            _ => c.swap(p, p - 1),
        }
        let typo: String = c.into_iter().collect();
        let mut q = Query::new(typo.clone(), ts(NOW));
        q.prefix_last = false;
        let r = idx.search(&q).unwrap();
        prop_assert!(r.hits.iter().any(|h| h.id == format!("d{word_i}")), "{} did not find {}", typo, w);
    }
}
