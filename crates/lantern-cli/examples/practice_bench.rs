//! The practice-question benchmark (`bash scripts/bench.sh practice`): "next practice question"
//! (`GET /growth/practice`, the whole page: queue, weak-domain pick, progress, HTML) at 16
//! connections, each a different learner with a realistic review history (default 100 learners ×
//! 2 years of daily FSRS practice), on SQLite or PostgreSQL. Prints p50 / p99 / max and req/s, then
//! the store's `next_practice` alone, one call at a time.
//!
//! cargo run --release -p lantern-cli --example practice_bench -- --db sqlite|postgres
//!   [--learners 100] [--days 730] [--per-day 12] [--secs 15] [--conns 16]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lantern_domain::{Role, Roles};
use lantern_store::demo::{DemoOptions, DemoPasswords};
use lantern_store::users::{NewUser, Who};
use lantern_store::{DbConfig, OpenOptions, Store, SystemClock};
use lantern_web::{AppState, HashCost, Hasher, WebConfig};

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;
const PW: &str = "bench-password-123";

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned()).unwrap_or_else(|| default.to_string())
}

async fn request(client: &HttpClient, req: Request<Full<Bytes>>) -> (StatusCode, Vec<String>, String) {
    let resp = client.request(req).await.expect("request");
    let status = resp.status();
    let cookies = resp.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(|s| s.split(';').next().unwrap_or("").to_string()).collect();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, cookies, String::from_utf8_lossy(&body).into_owned())
}

async fn sign_in(client: &HttpClient, base: &str, email: &str) -> String {
    let (_, cookies, page) = request(client, Request::get(format!("{base}/login")).body(Full::new(Bytes::new())).unwrap()).await;
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("").to_string();
    let body = format!("email={}&password={PW}&csrf={csrf}&next=", email.replace('@', "%40"));
    let (status, set, _) = request(
        client,
        Request::post(format!("{base}/login"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookies.join("; "))
            .body(Full::new(Bytes::from(body)))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "sign-in of {email}");
    set.into_iter().find(|c| c.starts_with("lantern_session=")).expect("a session cookie")
}

#[tokio::main]
async fn main() {
    let db = arg("--db", "sqlite");
    let learners: usize = arg("--learners", "100").parse().unwrap();
    let days: i64 = arg("--days", "730").parse().unwrap();
    let per_day: usize = arg("--per-day", "12").parse().unwrap();
    let secs: u64 = arg("--secs", "15").parse().unwrap();
    let conns: usize = arg("--conns", "16").parse().unwrap();

    let config = if db == "postgres" {
        use sqlx::Connection;
        let base = std::env::var("LANTERN_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let mut conn = sqlx::PgConnection::connect(&base).await.expect("PostgreSQL (LANTERN_TEST_PG_URL)");
        sqlx::Executor::execute(&mut conn, "DROP DATABASE IF EXISTS lantern_bench_practice").await.unwrap();
        sqlx::Executor::execute(&mut conn, "CREATE DATABASE lantern_bench_practice").await.unwrap();
        let cut = base.rfind('/').unwrap();
        DbConfig::Url(format!("{}/lantern_bench_practice", &base[..cut]))
    } else {
        let dir = std::path::PathBuf::from("target/bench/practice-sqlite");
        let _ = std::fs::remove_dir_all(&dir);
        DbConfig::DataDir(dir)
    };
    let store = Store::open(&config, Arc::new(SystemClock), OpenOptions::default()).await.expect("open store");
    let hasher = Hasher::new(HashCost::cheap());
    let hash = hasher.hash_blocking(PW).unwrap();
    let now = store.now_ms();
    let as_of = lantern_store::people::today_in("America/New_York", now);
    let demo = store
        .generate_demo(&DemoOptions { people: 12, seed: 7, as_of, main_caseload: 6, encounters: 0 }, &DemoPasswords { staff_hash: hash.clone() }, |_| {})
        .await
        .expect("demo");
    let mut ids = Vec::new();
    let mut emails = Vec::new();
    for i in 0..learners {
        let email = format!("learner{i}@demo");
        let u = store
            .create_user(
                &NewUser { org_id: demo.org_id, email: email.clone(), display_name: format!("Learner {i}"), credentials: "CPS".into(), roles: Roles::empty().with(Role::Specialist), password_hash: Some(hash.clone()), person_id: None, active: true },
                &Who::default(),
            )
            .await
            .unwrap();
        ids.push(u.id);
        emails.push(email);
    }
    let t = Instant::now();
    let mut total = lantern_store::demo::PracticeSummary::default();
    for chunk in ids.chunks(10) {
        let s = store.generate_practice_history(demo.org_id, chunk, days, per_day, now - 3_600_000, 11).await.expect("history");
        total.reviews += s.reviews;
        total.cards += s.cards;
        eprint!(".");
    }
    eprintln!();
    println!("== {db}: {learners} learners × {days} days, {} reviews, {} cards (generated in {:.1} s)", total.reviews, total.cards, t.elapsed().as_secs_f64());

    let state = AppState::new(store.clone(), hasher, WebConfig { ip_attempts_per_minute: 1_000_000, ..WebConfig::default() }).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = lantern_web::app(state);
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });

    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(conns).build_http();
    let mut sessions = Vec::new();
    for e in emails.iter().take(conns) {
        sessions.push(sign_in(&client, &base, e).await);
    }
    // Warm up, then measure.
    for s in &sessions {
        let (st, _, _) = request(&client, Request::get(format!("{base}/growth/practice")).header(header::COOKIE, s.clone()).body(Full::new(Bytes::new())).unwrap()).await;
        assert_eq!(st, StatusCode::OK);
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for s in sessions {
        let client = client.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let (st, _, body) = request(&client, Request::get(format!("{base}/growth/practice")).header(header::COOKIE, s.clone()).body(Full::new(Bytes::new())).unwrap()).await;
                assert!(st == StatusCode::OK && (body.contains("name=\"question\"") || body.contains("role=\"status\"")), "{st}");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "GET /growth/practice at {conns} connections: {} requests in {secs} s = {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        all.len() as f64 / secs as f64,
        pct(0.50),
        pct(0.99),
        all.last().unwrap().as_secs_f64() * 1000.0
    );
    // The store's part alone, one learner at a time: the daily queue's next question.
    let mut lat = Vec::new();
    let t_end = Instant::now() + Duration::from_secs(secs.min(10));
    let mut i = 0;
    while Instant::now() < t_end {
        let t = Instant::now();
        store.next_practice(demo.org_id, ids[i % ids.len()], 15 /* srs::DEFAULT_DAILY_NEW */).await.expect("next");
        lat.push(t.elapsed());
        i += 1;
    }
    lat.sort();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
    println!("Store::next_practice, one at a time over {} learners: {} calls; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", ids.len(), lat.len(), q(0.50), q(0.99), lat.last().unwrap().as_secs_f64() * 1000.0);
    store.close().await;
}
