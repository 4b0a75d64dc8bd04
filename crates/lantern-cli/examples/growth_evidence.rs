//! Adds years of signed notes by specialist@demo to a demo database: the
//! competency evidence of the growth benchmark (`scripts/bench.sh growth`).
//!
//! cargo run --release -p lantern-cli --example growth_evidence -- (--data-dir DIR | --database-url URL) [--years 3] [--per-week 20]

use std::sync::Arc;

use lantern_store::{DbConfig, OpenOptions, Store, SystemClock};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let cfg = match (value("--data-dir"), value("--database-url")) {
        (Some(d), None) => DbConfig::DataDir(d.into()),
        (None, Some(u)) => DbConfig::Url(u),
        _ => {
            eprintln!("give --data-dir DIR or --database-url URL");
            std::process::exit(2);
        }
    };
    let years: i64 = value("--years").and_then(|v| v.parse().ok()).unwrap_or(3);
    let per_week: usize = value("--per-week").and_then(|v| v.parse().ok()).unwrap_or(20);
    let store = Store::open(&cfg, Arc::new(SystemClock), OpenOptions::default()).await.expect("open the database");
    let org = store.org_by_slug("demo").await.expect("read orgs").expect("a demo organization (lantern demo generate first)");
    let me = store.user_by_email("specialist@demo").await.expect("read users").expect("specialist@demo");
    let today = lantern_store::people::today_in(&org.time_zone, store.now_ms());
    let t = std::time::Instant::now();
    let n = store.generate_growth_evidence(org.id, me.id, years, per_week, today, 1).await.expect("write evidence");
    println!("wrote {n} signed notes by specialist@demo over {years} years in {:.1} s", t.elapsed().as_secs_f64());
    store.close().await;
}
