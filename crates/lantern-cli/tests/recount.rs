//! The units report agrees, to the unit, with a brute-force recount done here
//! from the raw rows of generated data: `lantern demo generate --encounters`,
//! then `lantern report units` (CSV) and the store's `units_report`, on SQLite
//! and on PostgreSQL. The recount reads the notes and the payers' rules with
//! plain SQL and allocates every day again with the domain's billing
//! functions; it also checks what the generator derived (each note's units,
//! last contact, timeline entries, the 500-note person) and that a note signed
//! through the store afterwards leaves the generated days as the recount says.

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use jiff::civil::Date;
use lantern_domain::billing::{allocate_day, Caps, CodeRule, Service, UnitRule};
use lantern_store::{DbConfig, OpenOptions, Store, SystemClock};
use sqlx::{AnyPool, Row};

const PEOPLE: &str = "300";
const ENCOUNTERS: usize = 20_000;
const AS_OF: &str = "2026-11-01";

fn lantern(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(args)
        .env("LANTERN_CHEAP_HASH", "1")
        .env("LANTERN_DEMO_PASSWORD", "demo-password-for-tests")
        .env_remove("LANTERN_DATABASE_URL")
        .env_remove("LANTERN_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// month, service code label, payer → (notes, minutes, billed, over cap).
type Totals = BTreeMap<(String, String, String), (i64, i64, i64, i64)>;

struct RawNote {
    id: i64,
    person: i64,
    author: i64,
    code: Option<i64>,
    start_ms: Option<i64>,
    minutes: Option<i64>,
    on_date: String,
    status: String,
    kind: String,
    units: i64,
    billed: i64,
    over: i64,
}

fn counts(status: &str, kind: &str) -> bool {
    matches!(status, "signed" | "awaiting_cosign" | "cosigned") && kind != "attempted_contact"
}

/// Everything the report should say, recomputed from the raw rows.
async fn recount(pool: &AnyPool, org: i64, from: &str, to: &str) -> (Totals, Vec<(i64, (i64, i64, i64), (i64, i64, i64))>) {
    let mut rules = BTreeMap::new();
    let mut labels = BTreeMap::new();
    for r in sqlx::query(
        "SELECT s.id, s.code, s.modifiers, s.unit_minutes, y.name, y.unit_rule, y.cap_person_code_day, y.cap_provider_day
         FROM service_codes s JOIN payers y ON y.id = s.payer_id WHERE s.org_id = $1 AND s.active = 1",
    )
    .bind(org)
    .fetch_all(pool)
    .await
    .unwrap()
    {
        let id: i64 = r.get("id");
        let rule = UnitRule::parse(&r.get::<String, _>("unit_rule")).unwrap();
        let caps = Caps { per_person_code_day: r.get("cap_person_code_day"), per_provider_day: r.get("cap_provider_day") };
        rules.insert(id, CodeRule { unit_minutes: r.get("unit_minutes"), rule, caps });
        let (code, modifiers): (String, String) = (r.get("code"), r.get("modifiers"));
        let label = if modifiers.is_empty() { code } else { format!("{code} {modifiers}") };
        labels.insert(id, (label, r.get::<String, _>("name")));
    }
    let notes: Vec<RawNote> = sqlx::query(
        "SELECT id, person_id, author_id, service_code_id, start_ms, minutes, on_date, status, kind, units, billed_units, over_cap_units FROM encounters WHERE org_id = $1",
    )
    .bind(org)
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|r| RawNote {
        id: r.get("id"),
        person: r.get("person_id"),
        author: r.get("author_id"),
        code: r.get("service_code_id"),
        start_ms: r.get("start_ms"),
        minutes: r.get("minutes"),
        on_date: r.get("on_date"),
        status: r.get("status"),
        kind: r.get("kind"),
        units: r.get("units"),
        billed: r.get("billed_units"),
        over: r.get("over_cap_units"),
    })
    .collect();
    // Each day again, from scratch.
    let mut days: BTreeMap<&str, Vec<Service>> = BTreeMap::new();
    for n in &notes {
        if let (true, Some(code), Some(minutes)) = (counts(&n.status, &n.kind), n.code, n.minutes) {
            days.entry(&n.on_date).or_default().push(Service { id: n.id, person: n.person, provider: n.author, code, start_ms: n.start_ms.unwrap_or(0), minutes });
        }
    }
    let mut want = BTreeMap::new();
    for services in days.values() {
        for (id, a) in allocate_day(services, &rules) {
            want.insert(id, (a.units, a.billed, a.over_cap));
        }
    }
    let mut per_note = Vec::new();
    let mut totals = Totals::new();
    for n in &notes {
        let expected = want.get(&n.id).copied().unwrap_or((0, 0, 0));
        per_note.push((n.id, (n.units, n.billed, n.over), expected));
        let (Some(code), true) = (n.code, counts(&n.status, &n.kind)) else { continue };
        if n.on_date.as_str() < from || n.on_date.as_str() > to {
            continue;
        }
        let (label, payer) = labels[&code].clone();
        let t = totals.entry((n.on_date[..7].to_string(), label, payer)).or_default();
        t.0 += 1;
        t.1 += n.minutes.unwrap_or(0);
        t.2 += expected.1;
        t.3 += expected.2;
    }
    (totals, per_note)
}

fn csv_totals(csv: &str) -> Totals {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(header, ["organization", "month", "service_code", "payer", "notes", "minutes", "billed_units", "over_cap_units"], "{csv}");
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 8, "{l}");
            assert_eq!(c[0], "demo");
            let n = |i: usize| c[i].parse::<i64>().unwrap_or_else(|_| panic!("not a number in {l}"));
            ((c[1].to_string(), c[2].to_string(), c[3].to_string()), (n(4), n(5), n(6), n(7)))
        })
        .collect()
}

async fn check(db_args: &[&str], config: DbConfig) {
    let mut args = vec!["demo", "generate", "--people", PEOPLE, "--seed", "5", "--encounters", "20000", "--as-of", AS_OF];
    args.extend_from_slice(db_args);
    let o = lantern(&args);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("Encounter notes: 20000"), "{out}");
    let busy: i64 = out.split("/people/").nth(1).and_then(|s| s.trim().split_whitespace().next()).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("the 500-note person is printed: {out}"));
    assert!(out.contains("Person with 500 notes"), "{out}");

    let store = Store::open(&config, Arc::new(SystemClock), OpenOptions { max_connections: 4, migrate: false }).await.unwrap();
    let org = store.org_by_slug("demo").await.unwrap().unwrap().id;
    sqlx::any::install_default_drivers();
    let url = match &config {
        DbConfig::DataDir(d) => format!("sqlite://{}", d.join("lantern.db").display()),
        DbConfig::Url(u) => u.clone(),
    };
    let pool = AnyPool::connect(&url).await.unwrap();

    // The whole 18 months, and one quarter.
    for (from, to) in [("2025-01-01", AS_OF), ("2026-04-01", "2026-06-30")] {
        let (want, per_note) = recount(&pool, org, from, to).await;
        let wrong: Vec<_> = per_note.iter().filter(|(_, stored, expected)| stored != expected).take(5).collect();
        assert!(wrong.is_empty(), "stored units differ from the recount (id, stored, recount): {wrong:?}");
        assert!(want.len() >= 6, "several months × codes: {want:?}");
        let mut args = vec!["report", "units", "--from", from, "--to", to, "--format", "csv"];
        args.extend_from_slice(db_args);
        let o = lantern(&args);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(csv_totals(&String::from_utf8_lossy(&o.stdout)), want, "lantern report units {from}..{to}");
        let rows = store.units_report(org, from.parse::<Date>().unwrap(), to.parse::<Date>().unwrap(), false).await.unwrap();
        let got: Totals = rows.into_iter().map(|r| ((r.month, r.code, r.payer), (r.notes, r.minutes, r.billed_units, r.over_cap_units))).collect();
        assert_eq!(got, want, "Store::units_report {from}..{to}");
    }

    // The data has what the benchmark and the report need.
    let scalar = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).bind(org).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(scalar("SELECT COUNT(*) FROM encounters WHERE org_id = $1").await, ENCOUNTERS as i64);
    assert!(scalar("SELECT CAST(COALESCE(SUM(over_cap_units), 0) AS BIGINT) FROM encounters WHERE org_id = $1").await > 0, "some days go over a cap");
    assert!(scalar("SELECT COUNT(*) FROM encounters WHERE org_id = $1 AND kind = 'group'").await > 500, "group notes");
    assert!(scalar("SELECT COUNT(*) FROM encounters WHERE org_id = $1 AND status = 'cosigned'").await > 0);
    assert!(scalar("SELECT COUNT(*) FROM encounters WHERE org_id = $1 AND status = 'awaiting_cosign'").await > 0);
    assert!(scalar("SELECT COUNT(*) FROM encounters WHERE org_id = $1 AND late_entry = 1").await > 0);
    assert!(scalar("SELECT COUNT(*) FROM encounter_addenda a JOIN encounters e ON e.id = a.encounter_id WHERE e.org_id = $1").await > 50);
    // Every note that was signed has its signature and timeline entry; people's last contact follows their notes.
    assert_eq!(
        scalar("SELECT COUNT(*) FROM timeline WHERE org_id = $1 AND kind = 'note'").await,
        scalar("SELECT COUNT(*) FROM encounters WHERE org_id = $1 AND signed_ms IS NOT NULL OR (org_id = $1 AND status = 'returned')").await
    );
    assert_eq!(
        scalar("SELECT COUNT(*) FROM encounter_signatures s JOIN encounters e ON e.id = s.encounter_id WHERE e.org_id = $1 AND s.kind = 'sign'").await,
        scalar("SELECT COUNT(*) FROM timeline WHERE org_id = $1 AND kind = 'note'").await
    );
    assert_eq!(
        scalar(
            "SELECT COUNT(*) FROM people p WHERE p.org_id = $1 AND COALESCE(p.last_contact_on, '') <> COALESCE((SELECT MAX(e.on_date) FROM encounters e
               WHERE e.person_id = p.id AND e.status IN ('signed', 'awaiting_cosign', 'cosigned') AND e.kind <> 'attempted_contact'), '')"
        )
        .await,
        0
    );
    let busy_notes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM encounters WHERE person_id = $1").bind(busy).fetch_one(&pool).await.unwrap();
    assert_eq!(busy_notes, 500);
    let s1 = store.user_by_email("specialist@demo").await.unwrap().unwrap().id;
    assert_eq!(store.person(org, busy).await.unwrap().primary_specialist_id, Some(s1));

    // A note signed through the store on a busy generated day: the store recomputes
    // that day, and every stored figure still equals the recount.
    let day: String = sqlx::query_scalar("SELECT on_date FROM encounters WHERE person_id = $1 AND status IN ('signed', 'cosigned') ORDER BY on_date DESC LIMIT 1")
        .bind(busy)
        .fetch_one(&pool)
        .await
        .unwrap();
    let date: Date = day.parse().unwrap();
    let codes = store.service_codes(org).await.unwrap();
    let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let (start, end) = (jiff::civil::time(12, 0, 0, 0), jiff::civil::time(16, 30, 0, 0));
    let (s_ms, e_ms, minutes) = lantern_domain::encounter::local_span(date, start, end, &tz).unwrap();
    let content = lantern_domain::encounter::NoteContent {
        kind: lantern_domain::encounter::Kind::Individual,
        modality: Some(lantern_domain::encounter::Modality::InPerson),
        setting: "Community".into(),
        date: Some(date),
        start: Some(start),
        end: Some(end),
        start_ms: Some(s_ms),
        end_ms: Some(e_ms),
        minutes: Some(minutes),
        service_code: codes.iter().find(|c| c.payer == "State Medicaid" && c.modifiers.is_empty()).map(|c| c.id),
        activities: vec!["advocacy".into()],
        narrative: lantern_domain::encounter::Narrative {
            what_we_did: "Went with them to the housing hearing".into(),
            purpose: "Their goal of a stable place to live".into(),
            how_it_went: "\"I said what I needed to say.\"".into(),
            next_steps: "Call on Friday about the decision".into(),
        },
    };
    let who = lantern_store::users::Who::default();
    let id = store.create_note(org, busy, s1, &content, &who).await.unwrap();
    let signed = store.sign_note(org, id, s1, None, &who).await.unwrap();
    assert_eq!(signed.units, 18, "4.5 hours is 18 units");
    assert!(signed.over_cap_units > 0, "4.5 hours on a day with other notes goes over the 16-unit cap: {signed:?}");
    // And under the plan that caps providers (8 units a day), for someone else on the same caseload:
    // the store follows the links through the provider.
    let other: i64 = sqlx::query_scalar("SELECT id FROM people WHERE org_id = $1 AND primary_specialist_id = $2 AND id <> $3 ORDER BY id LIMIT 1")
        .bind(org)
        .bind(s1)
        .bind(busy)
        .fetch_one(&pool)
        .await
        .unwrap();
    let plan = codes.iter().find(|c| c.payer == "Riverbend Health Plan").expect("the generator adds a second payer");
    assert_eq!(plan.caps.per_provider_day, Some(8));
    let capped = lantern_domain::encounter::NoteContent { service_code: Some(plan.id), ..content.clone() };
    let id = store.create_note(org, other, s1, &capped, &who).await.unwrap();
    let signed = store.sign_note(org, id, s1, None, &who).await.unwrap();
    assert!(signed.billed_units <= 8 && signed.over_cap_units >= 10, "{signed:?}");
    let (_, per_note) = recount(&pool, org, "2025-01-01", AS_OF).await;
    let wrong: Vec<_> = per_note.iter().filter(|(_, stored, expected)| stored != expected).take(5).collect();
    assert!(wrong.is_empty(), "after signing through the store (id, stored, recount): {wrong:?}");

    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(db_args);
    let o = lantern(&args);
    assert!(o.status.success(), "{}", text(&o));
    pool.close().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_report_equals_a_brute_force_recount_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("lantern-recount-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    check(&["--data-dir", dir.to_str().unwrap()], DbConfig::DataDir(dir.clone())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_report_equals_a_brute_force_recount_on_postgres() {
    use sqlx::Connection;
    let base = std::env::var("LANTERN_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL tests need a server at {base} ({e}); run `bash scripts/test.sh`, which starts it, or set LANTERN_TEST_PG_URL"));
    let name = format!("lantern_recount_{}", std::process::id());
    sqlx::Executor::execute(&mut conn, format!("DROP DATABASE IF EXISTS {name}").as_str()).await.unwrap();
    sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    let mut url = url_of(&base);
    url.truncate(url.rfind('/').unwrap());
    let url = format!("{url}/{name}");
    check(&["--database-url", &url], DbConfig::Url(url.clone())).await;
    let _ = sqlx::Executor::execute(&mut conn, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
}

fn url_of(base: &str) -> String {
    base.split('?').next().unwrap_or(base).to_string()
}
