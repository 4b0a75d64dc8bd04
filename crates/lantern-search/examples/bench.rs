//! Search latency on the Miami directory and on 100,000 generated services,
//! compared with SQLite FTS5 and PostgreSQL full-text search doing the
//! plain-text part of the same queries.
//!
//!     cargo run --release -p lantern-search --example bench [-- --services 100000 --reps 50]
//!
//! One thread, one core: each query is run `reps` times and every run is
//! timed. The engine's time includes building the `why` of the ten results
//! returned. FTS5 runs in an in-memory SQLite database through sqlx (one
//! connection, statements cached), ranked by bm25() with the same field
//! weights, LIMIT 10; its time includes sqlx's round trip to the SQLite
//! worker thread. For the engine the mean CPU time per search is given
//! too (from /proc/thread-self/schedstat): on a busy machine wall-clock
//! time also counts waiting for a core.
//! PostgreSQL (`LANTERN_BENCH_PG_URL`, default the test server
//! `postgres://postgres@127.0.0.1:5432/test`; skipped with a message when it
//! does not answer) gets a scratch database `lantern_bench_fts` with one row
//! per service: a stored tsvector weighted A name, B alternate name and
//! taxonomy, C description, D organization ('english' configuration), a GIN
//! index, and `ORDER BY ts_rank_cd(…) DESC LIMIT 10` over
//! `plainto_tsquery` (AND) or the words joined with `|` (OR); one connection,
//! so its time includes the round trip over the loopback socket.
//! Relevance (hit@5, MRR@10) is reported on Miami for all three.
//! The Miami data is read from `../shared/data` (or `LANTERN_SHARED_DATA`)
//! and skipped when absent.

use lantern_search::{parse, synth, Index, Query, ServiceDoc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-23T15:00:00Z"; // a Monday, 10:00 in Miami

struct Judged {
    query: String,
    relevant: Vec<String>,
    parse: bool,
}

fn judged() -> Vec<Judged> {
    include_str!("../tests/queries.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("queries.jsonl line");
            Judged {
                query: v["query"].as_str().unwrap().to_string(),
                relevant: v["relevant"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect(),
                parse: v["parse"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

/// Queries with filters, as typed in the search box.
const FILTERED: &[&str] = &[
    "food pantry open now near 33125 spanish",
    "detox near 33136 within 10 miles",
    "shelter open now",
    "counseling creole",
    "legal aid spanish free",
    "nearest hiv testing near 33127",
    "open now",
];

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() - 1) as f64 * p / 100.0).round() as usize;
    v[i].as_secs_f64() * 1000.0
}

fn report(label: &str, mut v: Vec<Duration>) {
    let mean = v.iter().map(|d| d.as_secs_f64()).sum::<f64>() / v.len() as f64 * 1000.0;
    println!(
        "  {label:<46} n={:<6} mean={mean:.3} ms  p50={:.3}  p95={:.3}  p99={:.3}  max={:.3} ms",
        v.len(),
        pct(&mut v, 50.0),
        pct(&mut v, 95.0),
        pct(&mut v, 99.0),
        pct(&mut v, 100.0)
    );
}

fn engine_query(q: &Judged) -> Query {
    let now = NOW.parse().unwrap();
    if q.parse {
        parse(&q.query, now).query
    } else {
        Query::new(q.query.clone(), now)
    }
}

/// CPU time of this thread (ns), from /proc/thread-self/schedstat (Linux).
/// Unlike wall-clock time it leaves out time spent waiting for a core while
/// other processes run; its resolution can be a scheduler tick, so only the
/// mean over a whole batch is reported.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// Wall-clock time of every search, and the mean CPU time per search.
fn time_engine(index: &Index, queries: &[Query], reps: usize) -> (Vec<Duration>, Option<f64>) {
    let mut wall = Vec::with_capacity(queries.len() * reps);
    let c0 = thread_cpu_ns();
    for _ in 0..reps {
        for q in queries {
            let t = Instant::now();
            let r = index.search(q).expect("search");
            std::hint::black_box(&r);
            wall.push(t.elapsed());
        }
    }
    let cpu = match (c0, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / 1e6 / wall.len() as f64),
        _ => None,
    };
    (wall, cpu)
}

fn report_engine(label: &str, (wall, cpu): (Vec<Duration>, Option<f64>)) {
    report(label, wall);
    if let Some(c) = cpu {
        println!("  {:<46} mean CPU time per search {c:.3} ms", "");
    }
}

/// FTS5 query text for the plain-text part: each word quoted (no operators).
fn fts_text(text: &str, op: &str) -> Option<String> {
    let words: Vec<String> = lantern_search::text::words(text)
        .into_iter()
        .filter(|w| !lantern_search::text::is_stopword(w))
        .map(|w| format!("\"{w}\""))
        .collect();
    (!words.is_empty()).then(|| words.join(op))
}

async fn fts_db(docs: &[ServiceDoc]) -> SqlitePool {
    let opts = SqliteConnectOptions::new().in_memory(true);
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await.expect("sqlite");
    sqlx::query(
        "CREATE VIRTUAL TABLE fts USING fts5(id UNINDEXED, name, alternate_name, taxonomy, description, organization, \
         tokenize = 'porter unicode61 remove_diacritics 2')",
    )
    .execute(&pool)
    .await
    .expect("FTS5 is compiled into the bundled SQLite");
    let mut tx = pool.begin().await.unwrap();
    for d in docs {
        sqlx::query("INSERT INTO fts VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&d.id)
            .bind(&d.name)
            .bind(d.alternate_name.as_deref().unwrap_or(""))
            .bind(d.taxonomy.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" ; "))
            .bind(&d.description)
            .bind(&d.organization_name)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    pool
}

async fn fts_search(pool: &SqlitePool, q: &str) -> Vec<String> {
    sqlx::query(
        "SELECT id FROM fts WHERE fts MATCH $1 ORDER BY bm25(fts, 0.0, 3.0, 2.5, 2.0, 1.0, 1.5) LIMIT 10",
    )
    .bind(q)
    .fetch_all(pool)
    .await
    .expect("fts query")
    .into_iter()
    .map(|r| r.get::<String, _>(0))
    .collect()
}

async fn time_fts(pool: &SqlitePool, texts: &[String], reps: usize) -> Vec<Duration> {
    let mut out = Vec::new();
    for _ in 0..reps {
        for t in texts {
            let s = Instant::now();
            let r = fts_search(pool, t).await;
            std::hint::black_box(&r);
            out.push(s.elapsed());
        }
    }
    out
}

/// A scratch PostgreSQL database holding `docs` with a weighted tsvector and a
/// GIN index, or `None` (with a message) when the server does not answer.
async fn pg_db(docs: &[ServiceDoc]) -> Option<PgPool> {
    let url = std::env::var("LANTERN_BENCH_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let admin = match PgPoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(3)).connect(&url).await {
        Ok(p) => p,
        Err(e) => {
            println!("  skipped PostgreSQL full-text search: cannot connect to {url} ({e})");
            return None;
        }
    };
    let _ = sqlx::query("DROP DATABASE IF EXISTS lantern_bench_fts WITH (FORCE)").execute(&admin).await;
    sqlx::query("CREATE DATABASE lantern_bench_fts").execute(&admin).await.expect("create the scratch database");
    admin.close().await;
    let base = url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(url.clone());
    let pool = PgPoolOptions::new().max_connections(1).connect(&format!("{base}/lantern_bench_fts")).await.expect("connect");
    sqlx::query(
        "CREATE TABLE svc (id text PRIMARY KEY, name text, alternate_name text, taxonomy text, description text, organization text, \
         tsv tsvector GENERATED ALWAYS AS ( \
           setweight(to_tsvector('english', name), 'A') || \
           setweight(to_tsvector('english', alternate_name || ' ' || taxonomy), 'B') || \
           setweight(to_tsvector('english', description), 'C') || \
           setweight(to_tsvector('english', organization), 'D')) STORED)",
    )
    .execute(&pool)
    .await
    .expect("create table");
    for chunk in docs.chunks(2000) {
        let col = |f: &dyn Fn(&ServiceDoc) -> String| chunk.iter().map(f).collect::<Vec<String>>();
        sqlx::query("INSERT INTO svc (id, name, alternate_name, taxonomy, description, organization) SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])")
            .bind(col(&|d| d.id.clone()))
            .bind(col(&|d| d.name.clone()))
            .bind(col(&|d| d.alternate_name.clone().unwrap_or_default()))
            .bind(col(&|d| d.taxonomy.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" ; ")))
            .bind(col(&|d| d.description.clone()))
            .bind(col(&|d| d.organization_name.clone()))
            .execute(&pool)
            .await
            .expect("insert");
    }
    sqlx::query("CREATE INDEX svc_tsv ON svc USING gin (tsv)").execute(&pool).await.expect("gin index");
    sqlx::query("ANALYZE svc").execute(&pool).await.expect("analyze");
    Some(pool)
}

/// The words of the plain-text part for PostgreSQL: AND through
/// `plainto_tsquery`, OR as `w1 | w2 | …` for `to_tsquery` (words are letters
/// and digits only, so no operator can slip in).
fn pg_text(text: &str, or: bool) -> Option<String> {
    let words: Vec<String> = lantern_search::text::words(text)
        .into_iter()
        .filter(|w| !lantern_search::text::is_stopword(w))
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(if or { " | " } else { " " }))
}

async fn pg_search(pool: &PgPool, q: &str, or: bool) -> Vec<String> {
    let sql = if or {
        "SELECT id FROM svc, to_tsquery('english', $1) q WHERE tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10"
    } else {
        "SELECT id FROM svc, plainto_tsquery('english', $1) q WHERE tsv @@ q ORDER BY ts_rank_cd(tsv, q) DESC LIMIT 10"
    };
    sqlx::query(sql).bind(q).fetch_all(pool).await.expect("pg query").into_iter().map(|r| r.get::<String, _>(0)).collect()
}

async fn time_pg(pool: &PgPool, texts: &[String], or: bool, reps: usize) -> Vec<Duration> {
    let mut out = Vec::new();
    for _ in 0..reps {
        for t in texts {
            let s = Instant::now();
            let r = pg_search(pool, t, or).await;
            std::hint::black_box(&r);
            out.push(s.elapsed());
        }
    }
    out
}

fn score(rankings: &[Vec<String>], judged: &[Judged]) -> (f64, f64) {
    let (mut hit, mut rr) = (0.0, 0.0);
    for (r, q) in rankings.iter().zip(judged) {
        if let Some(p) = r.iter().take(10).position(|id| q.relevant.contains(id)) {
            rr += 1.0 / (p + 1) as f64;
            if p < 5 {
                hit += 1.0;
            }
        }
    }
    (hit / judged.len() as f64, rr / judged.len() as f64)
}

fn miami() -> Option<(Vec<ServiceDoc>, HashMap<String, String>)> {
    let base = std::env::var_os("LANTERN_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let dir = base.join("hsds/open211-miami-hsds-1.1");
    if !dir.join("services.csv").exists() {
        println!("skipped Miami: no data at {}", dir.display());
        return None;
    }
    let t = Instant::now();
    let loaded = lantern_hsds::read_path(&dir, lantern_hsds::ReadOptions { skip_invalid: true }).expect("read Miami");
    let source = loaded
        .directory
        .source_ids
        .iter()
        .filter_map(|(id, key)| key.strip_prefix("services/").map(|s| (id.clone(), s.to_string())))
        .collect();
    let docs = lantern_search::from_hsds(&loaded.directory, "America/New_York", None);
    println!("Miami: read {} services with lantern-hsds + from_hsds in {:.0} ms", docs.len(), t.elapsed().as_secs_f64() * 1000.0);
    Some((docs, source))
}

fn main() {
    let mut n_synth = 100_000usize;
    let mut reps = 50usize;
    let args: Vec<String> = std::env::args().collect();
    for w in args.windows(2) {
        match w[0].as_str() {
            "--services" => n_synth = w[1].parse().expect("--services N"),
            "--reps" => reps = w[1].parse().expect("--reps N"),
            _ => {}
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let judged = judged();
    let text_queries: Vec<Query> = judged.iter().map(engine_query).collect();
    let filtered: Vec<Query> = FILTERED.iter().map(|t| parse(t, NOW.parse().unwrap()).query).collect();
    let plain: Vec<String> =
        judged.iter().map(|q| engine_query(q).text).chain(filtered.iter().map(|q| q.text.clone())).collect();
    let and_q: Vec<String> = plain.iter().filter_map(|t| fts_text(t, " ")).collect();
    let or_q: Vec<String> = plain.iter().filter_map(|t| fts_text(t, " OR ")).collect();
    let pg_and: Vec<String> = plain.iter().filter_map(|t| pg_text(t, false)).collect();
    let pg_or: Vec<String> = plain.iter().filter_map(|t| pg_text(t, true)).collect();

    if let Some((docs, source)) = miami() {
        let t = Instant::now();
        let index = Index::build(docs.clone()).expect("index");
        println!("Miami: index of {} services, {} terms, {} ZIP centroids built in {:.0} ms", index.len(), index.term_count(), index.zip_count(), t.elapsed().as_secs_f64() * 1000.0);
        let rankings: Vec<Vec<String>> = text_queries
            .iter()
            .map(|q| index.search(q).unwrap().hits.iter().map(|h| source[&h.id].clone()).collect())
            .collect();
        let (h, m) = score(&rankings, &judged);
        println!("Miami relevance, {} judged queries: lantern-search hit@5={h:.3} MRR@10={m:.3}", judged.len());
        let pool = rt.block_on(fts_db(&docs));
        for (label, op) in [("AND", " "), ("OR", " OR ")] {
            let rankings: Vec<Vec<String>> = judged
                .iter()
                .map(|q| match fts_text(&engine_query(q).text, op) {
                    Some(t) => rt.block_on(fts_search(&pool, &t)).iter().map(|id| source[id].clone()).collect(),
                    None => vec![],
                })
                .collect();
            let (h, m) = score(&rankings, &judged);
            println!("Miami relevance, same queries' text:   SQLite FTS5 ({label}) hit@5={h:.3} MRR@10={m:.3}");
        }
        let pg = rt.block_on(pg_db(&docs));
        if let Some(pg) = &pg {
            for (label, or) in [("AND", false), ("OR", true)] {
                let rankings: Vec<Vec<String>> = judged
                    .iter()
                    .map(|q| match pg_text(&engine_query(q).text, or) {
                        Some(t) => rt.block_on(pg_search(pg, &t, or)).iter().map(|id| source[id].clone()).collect(),
                        None => vec![],
                    })
                    .collect();
                let (h, m) = score(&rankings, &judged);
                println!("Miami relevance, same queries' text:   PostgreSQL FTS ({label}) hit@5={h:.3} MRR@10={m:.3}");
            }
        }
        println!("Miami latency (one thread, {reps} repetitions):");
        report_engine("lantern-search, judged queries", time_engine(&index, &text_queries, reps));
        report_engine("lantern-search, with filters", time_engine(&index, &filtered, reps));
        report("SQLite FTS5 (AND), plain-text part", rt.block_on(time_fts(&pool, &and_q, reps)));
        report("SQLite FTS5 (OR), plain-text part", rt.block_on(time_fts(&pool, &or_q, reps)));
        if let Some(pg) = &pg {
            report("PostgreSQL FTS (AND), plain-text part", rt.block_on(time_pg(pg, &pg_and, false, reps)));
            report("PostgreSQL FTS (OR), plain-text part", rt.block_on(time_pg(pg, &pg_or, true, reps)));
        }
    }

    let t = Instant::now();
    let docs = synth::generate(n_synth, 1);
    let gen = t.elapsed();
    let t = Instant::now();
    let index = Index::build(docs.clone()).expect("index");
    println!(
        "Generated: {n_synth} services in {:.0} ms; index ({} terms) built in {:.0} ms",
        gen.as_secs_f64() * 1000.0,
        index.term_count(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    let reps_big = (reps / 5).max(3);
    if args.iter().any(|a| a == "--slowest") {
        let mut per: Vec<(f64, String, usize)> = text_queries
            .iter()
            .chain(&filtered)
            .map(|q| {
                // the fastest of five runs: less noise from other processes
                let mut best = f64::MAX;
                let mut total = 0;
                for _ in 0..5 {
                    let t = Instant::now();
                    let r = index.search(q).unwrap();
                    best = best.min(t.elapsed().as_secs_f64() * 1000.0);
                    total = r.total;
                }
                (best, q.text.clone(), total)
            })
            .collect();
        per.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (ms, text, total) in per.iter().take(8) {
            println!("  slow: {ms:.2} ms  {text:?} ({total} matches)");
        }
    }
    println!("Generated latency (one thread, {reps_big} repetitions):");
    report_engine("lantern-search, judged queries", time_engine(&index, &text_queries, reps_big));
    report_engine("lantern-search, with filters", time_engine(&index, &filtered, reps_big));
    let t = Instant::now();
    let pool = rt.block_on(fts_db(&docs));
    println!("  (FTS5 table filled in {:.0} ms)", t.elapsed().as_secs_f64() * 1000.0);
    report("SQLite FTS5 (AND), plain-text part", rt.block_on(time_fts(&pool, &and_q, reps_big)));
    report("SQLite FTS5 (OR), plain-text part", rt.block_on(time_fts(&pool, &or_q, reps_big)));
    let t = Instant::now();
    if let Some(pg) = rt.block_on(pg_db(&docs)) {
        println!("  (PostgreSQL table and GIN index built in {:.0} ms)", t.elapsed().as_secs_f64() * 1000.0);
        report("PostgreSQL FTS (AND), plain-text part", rt.block_on(time_pg(&pg, &pg_and, false, reps_big)));
        report("PostgreSQL FTS (OR), plain-text part", rt.block_on(time_pg(&pg, &pg_or, true, reps_big)));
    }
}
