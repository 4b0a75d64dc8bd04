//! Load client for the note-signing benchmark (`scripts/bench.sh encounters`).
//!
//! Creates draft notes through the JSON API (`POST /api/v1/people/{id}/notes`),
//! then signs every one of them (`POST /api/v1/notes/{id}/sign`) from
//! `--concurrency` connections at once, and prints the latency of the
//! signatures (p50, p90, p99, max) and their rate. Each draft is signed once,
//! so every request does the whole signing transaction.
//!
//! cargo run --release -p lantern-cli --example sign_load -- \
//!     --base http://127.0.0.1:8080 --token lnt_… --people 12,13,14 --date 2026-11-20 --drafts 2000 --concurrency 32

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

struct Args {
    base: String,
    token: String,
    people: Vec<i64>,
    date: String,
    drafts: usize,
    concurrency: usize,
    code: Option<i64>,
    /// Drafts are dated over this many days, ending on `date`.
    days: i64,
}

fn args() -> Result<Args, String> {
    let mut a = Args { base: String::new(), token: String::new(), people: vec![], date: String::new(), drafts: 1000, concurrency: 32, code: None, days: 1 };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--base" => a.base = v()?,
            "--token" => a.token = v()?,
            "--people" => a.people = v()?.split(',').map(|s| s.trim().parse::<i64>().map_err(|_| format!("--people: {s:?} is not an id"))).collect::<Result<_, _>>()?,
            "--date" => a.date = v()?,
            "--drafts" => a.drafts = v()?.parse().map_err(|_| "--drafts must be a number".to_string())?,
            "--concurrency" => a.concurrency = v()?.parse().map_err(|_| "--concurrency must be a number".to_string())?,
            "--days" => a.days = v()?.parse::<i64>().map_err(|_| "--days must be a number".to_string())?.max(1),
            "--service-code" => a.code = Some(v()?.parse().map_err(|_| "--service-code must be an id".to_string())?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.base.is_empty() || a.token.is_empty() || a.people.is_empty() || a.date.is_empty() {
        return Err("usage: sign_load --base URL --token TOKEN --people ID[,ID…] --date YYYY-MM-DD [--drafts N] [--concurrency C] [--days D] [--service-code ID]".into());
    }
    Ok(a)
}

async fn call(client: &HttpClient, a: &Args, method: Method, path: &str, body: Option<String>) -> Result<(StatusCode, String), String> {
    let req = Request::builder()
        .method(method)
        .uri(format!("{}{path}", a.base))
        .header(header::AUTHORIZATION, format!("Bearer {}", a.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| e.to_string())?;
    let res = client.request(req).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let bytes = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Runs `work(i)` for i in 0..n on `concurrency` tasks; returns each call's latency.
async fn run<F, Fut>(n: usize, concurrency: usize, work: F) -> (Vec<Duration>, Vec<String>, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (work, next) = (work.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                match work(i).await {
                    Ok(()) => lat.push(t.elapsed()),
                    Err(e) => errors.push(e),
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors.extend(e);
        }
    }
    (all, errors, started.elapsed())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let a = match args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http();
    // The billed code: the one given, or the organization's first code without modifiers.
    let a = if a.code.is_some() {
        a
    } else {
        let (status, text) = call(&client, &a, Method::GET, "/api/v1/note-options", None).await.unwrap_or_else(|e| {
            eprintln!("note options: {e}");
            std::process::exit(1)
        });
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let code = v["service_codes"].as_array().and_then(|c| c.iter().find(|c| c["modifiers"] == "" && c["for_groups"] == false)).and_then(|c| c["id"].as_i64());
        if status != StatusCode::OK || code.is_none() {
            eprintln!("note options: {status}: {text}");
            std::process::exit(1);
        }
        Arc::new(Args { base: a.base.clone(), token: a.token.clone(), people: a.people.clone(), date: a.date.clone(), drafts: a.drafts, concurrency: a.concurrency, code, days: a.days })
    };

    let last: jiff::civil::Date = a.date.parse().unwrap_or_else(|_| {
        eprintln!("--date must be YYYY-MM-DD");
        std::process::exit(2)
    });
    // Drafts: an hour-long individual note each, for the given people in turn, over the last `days` days.
    let ids = Arc::new(std::sync::Mutex::new(vec![0i64; a.drafts]));
    let (c2, a2, ids2) = (client.clone(), a.clone(), ids.clone());
    let (_, errors, took) = run(a.drafts, a.concurrency, move |i| {
        let (client, a, ids) = (c2.clone(), a2.clone(), ids2.clone());
        async move {
            let person = a.people[i % a.people.len()];
            let back = (i / a.people.len()) as i64 % a.days;
            let date = last.checked_sub(jiff::Span::new().days(back)).map_err(|e| e.to_string())?.to_string();
            let start = 8 * 60 + (i * 7 % 40) * 15;
            let end = start + 60;
            let body = serde_json::json!({
                "kind": "individual", "modality": "in_person", "setting": "Community", "date": date,
                "start": format!("{:02}:{:02}", start / 60, start % 60), "end": format!("{:02}:{:02}", end / 60, end % 60),
                "service_code_id": a.code, "activities": ["recovery_planning"],
                "what_we_did": "Went over the week and planned the next steps together",
                "purpose": "Their goal of a stable place to live",
                "how_it_went": "\"That helped me think it through.\"",
                "next_steps": "Meet at the center next week"
            });
            let (status, text) = call(&client, &a, Method::POST, &format!("/api/v1/people/{person}/notes"), Some(body.to_string())).await?;
            if status != StatusCode::CREATED && status != StatusCode::OK {
                return Err(format!("create draft: {status}: {text}"));
            }
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            let id = v.get("id").and_then(|x| x.as_i64()).ok_or("no id in the answer")?;
            ids.lock().map_err(|_| "lock")?[i] = id;
            Ok(())
        }
    })
    .await;
    if !errors.is_empty() {
        eprintln!("{} drafts failed; first: {}", errors.len(), errors[0]);
        std::process::exit(1);
    }
    println!("created {} drafts in {:.1} s", a.drafts, took.as_secs_f64());

    let ids: Arc<Vec<i64>> = Arc::new(ids.lock().map(|v| v.clone()).unwrap_or_default());
    let (c3, a3, ids3) = (client.clone(), a.clone(), ids.clone());
    let (mut lat, errors, took) = run(ids.len(), a.concurrency, move |i| {
        let (client, a, ids) = (c3.clone(), a3.clone(), ids3.clone());
        async move {
            let (status, text) = call(&client, &a, Method::POST, &format!("/api/v1/notes/{}/sign", ids[i]), None).await?;
            if status != StatusCode::OK {
                return Err(format!("sign {}: {status}: {text}", ids[i]));
            }
            Ok(())
        }
    })
    .await;
    lat.sort();
    println!(
        "signed {} notes at concurrency {} in {:.1} s: {:.0} signatures/s, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, errors {}",
        lat.len(),
        a.concurrency,
        took.as_secs_f64(),
        lat.len() as f64 / took.as_secs_f64(),
        pct(&lat, 0.50),
        pct(&lat, 0.90),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        errors.len()
    );
    if let Some(e) = errors.first() {
        eprintln!("first error: {e}");
        std::process::exit(1);
    }
}
