//! Reading real and official HSDS data: the Miami 211 package (HSDS 1.1 CSV, not committed:
//! read from /work/shared/data when present), the Ohana sample and the HSDS 3.1 examples.

use std::path::PathBuf;

use lantern_hsds::{map_id, read_path, ReadOptions};

pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} not found", p.display());
        None
    }
}

#[test]
fn miami_imports_completely() {
    let Some(dir) = shared("hsds/open211-miami-hsds-1.1") else { return };
    let loaded = match read_path(&dir, ReadOptions::default()) {
        Ok(l) => l,
        Err(lantern_hsds::HsdsError::Rejected(r)) => {
            for x in r.iter().take(40) {
                eprintln!("{x}");
            }
            panic!("{} rejections", r.len());
        }
        Err(e) => panic!("{e}"),
    };
    for n in &loaded.notices {
        eprintln!("notice: {n}");
    }
    let c = loaded.directory.counts();
    eprintln!("{c:?}");
    assert_eq!(c.organizations, 1074);
    assert_eq!(c.services, 4089);
    assert_eq!(c.locations, 4089);
    assert_eq!(c.service_at_locations, 4089);
    let d = &loaded.directory;
    // Source ids map to uuid5(NAMESPACE_URL, "<table>/<id>").
    let svc = d.services.iter().find(|s| s.id == map_id("services", "136")).expect("service 136");
    assert_eq!(svc.organization_id.as_deref(), Some(map_id("organizations", "136").as_str()));
    assert_eq!(d.source_ids.get(&svc.id).map(String::as_str), Some("services/136"));
    // Schedules: Mon–Fri 9:00am–5:00pm merged into one weekly schedule.
    let sched = &svc.schedules[0];
    assert_eq!(sched.byday.as_deref(), Some("MO,TU,WE,TH,FR"));
    assert_eq!(sched.opens_at.as_deref(), Some("09:00"));
    assert_eq!(sched.closes_at.as_deref(), Some("17:00"));
    assert_eq!(sched.freq.as_deref(), Some("WEEKLY"));
    // Languages carry ISO codes; description artefacts are cleaned.
    assert!(svc.languages.iter().any(|l| l.code.as_deref() == Some("es")));
    assert!(!svc.description.as_deref().unwrap_or("").contains("###"));
    // URLs gain a scheme.
    assert_eq!(svc.url.as_deref(), Some("http://www.girlscoutsfl.org/"));
    assert_eq!(map_id("services", "160"), uuid5("services/160"));
}

fn uuid5(name: &str) -> String {
    // Computed independently of map_id: RFC 4122 v5 with the URL namespace.
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()).to_string()
}

#[test]
fn ohana_sample_imports() {
    let Some(dir) = shared("hsds/ohana-sample") else { return };
    let loaded = match read_path(&dir, ReadOptions::default()) {
        Ok(l) => l,
        Err(lantern_hsds::HsdsError::Rejected(r)) => {
            for x in r.iter().take(40) {
                eprintln!("{x}");
            }
            panic!("{} rejections", r.len());
        }
        Err(e) => panic!("{e}"),
    };
    let c = loaded.directory.counts();
    eprintln!("{c:?} {:?}", loaded.notices);
    assert_eq!(c.organizations, 8);
    assert_eq!(c.services, 23);
    assert_eq!(c.locations, 22);
    assert_eq!(c.taxonomy_terms, 290);
    assert!(c.schedules > 0);
}
