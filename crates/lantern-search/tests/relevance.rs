//! Relevance on the real Miami 211 directory: hit@5 and MRR@10 over the
//! judged queries in `queries.jsonl` (judged by reading the data, not the
//! engine's output). Skipped, with a message, when the data is absent.

mod common;

use common::miami;
use lantern_search::{parse, Index, Query};

struct Judged {
    id: String,
    query: String,
    relevant: Vec<String>,
    parse: bool,
}

fn queries() -> Vec<Judged> {
    let src = include_str!("queries.jsonl");
    src.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("queries.jsonl:{}: {e}", i + 1));
            Judged {
                id: v["id"].as_str().expect("id").to_string(),
                query: v["query"].as_str().expect("query").to_string(),
                relevant: v["relevant"].as_array().expect("relevant").iter().map(|x| x.as_str().unwrap().to_string()).collect(),
                parse: v["parse"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

pub fn now() -> jiff::Timestamp {
    "2026-11-23T15:00:00Z".parse().unwrap()
}

#[test]
fn query_file_is_well_formed() {
    let q = queries();
    assert!(q.len() >= 40, "{} queries", q.len());
    let mut ids: Vec<&str> = q.iter().map(|x| x.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), q.len(), "duplicate query ids");
    assert!(q.iter().all(|x| !x.relevant.is_empty()));
}

#[test]
fn miami_hit_at_5_and_mrr() {
    let (docs, source) = match common::miami_hsds() {
        Ok(l) => l,
        Err(msg) => {
            println!("{msg}");
            return;
        }
    };
    assert_eq!(docs.len(), 4089);
    let index = Index::build(docs).expect("the Miami data indexes");
    let qs = queries();
    let (mut hits, mut rr_sum) = (0usize, 0f64);
    let mut misses = Vec::new();
    for q in &qs {
        let query = if q.parse { parse(&q.query, now()).query } else { Query::new(q.query.clone(), now()) };
        let res = index.search(&query).unwrap_or_else(|e| panic!("{}: {e}", q.id));
        let ids: Vec<&str> = res.hits.iter().map(|h| source.get(&h.id).map(String::as_str).unwrap_or("?")).collect();
        let first = ids.iter().position(|id| q.relevant.iter().any(|r| r == id));
        if first.is_some_and(|p| p < 5) {
            hits += 1;
        } else {
            misses.push(format!("{} {:?}", q.id, q.query));
        }
        if let Some(p) = first {
            rr_sum += 1.0 / (p + 1) as f64;
        }
        let top: Vec<String> =
            res.hits.iter().zip(&ids).take(3).map(|(h, id)| format!("{id} {}", index.doc(h.doc).name)).collect();
        println!(
            "{} {:<30} first={:<3} top: {}",
            q.id,
            q.query,
            first.map_or("-".into(), |p| (p + 1).to_string()),
            top.join(" | ")
        );
    }
    let n = qs.len() as f64;
    let hit5 = hits as f64 / n;
    let mrr = rr_sum / n;
    println!("Miami relevance: {} queries, hit@5 = {hit5:.3}, MRR@10 = {mrr:.3}; misses: {}", qs.len(), misses.join("; "));
    assert!(hit5 >= 0.90, "hit@5 {hit5:.3} fell below the floor 0.90; misses: {misses:?}");
    assert!(mrr >= 0.78, "MRR@10 {mrr:.3} fell below the floor 0.78");
}

/// `from_hsds` over the HSDS reader gives the same searchable content as a
/// direct reading of the CSV files.
#[test]
fn from_hsds_matches_a_direct_csv_reading() {
    let (docs, source) = match common::miami_hsds() {
        Ok(l) => l,
        Err(msg) => {
            println!("{msg}");
            return;
        }
    };
    let direct = miami::load().expect("direct CSV reading").docs;
    let by_id: std::collections::HashMap<&str, &lantern_search::ServiceDoc> =
        direct.iter().map(|d| (d.id.as_str(), d)).collect();
    let (mut same_points, mut same_hours, mut same_langs) = (0, 0, 0);
    for d in &docs {
        let src = &source[&d.id];
        let o = by_id[src.as_str()];
        assert_eq!(d.name, o.name, "{src}");
        if !o.organization_name.is_empty() {
            // (the HSDS reader also finds organizations the CSV row leaves blank)
            assert_eq!(d.organization_name, o.organization_name, "{src}");
        }
        let pts = |x: &lantern_search::ServiceDoc| x.locations.iter().filter(|l| l.latitude.is_some()).count();
        same_points += usize::from(pts(d) == pts(o));
        let mut a: Vec<_> = d.schedule.iter().map(|i| (i.weekday.to_monday_zero_offset(), i.opens, i.closes)).collect();
        let mut b: Vec<_> = o.schedule.iter().map(|i| (i.weekday.to_monday_zero_offset(), i.opens, i.closes)).collect();
        a.sort();
        b.sort();
        same_hours += usize::from(a == b);
        same_langs += usize::from(d.languages.len() == o.languages.len());
    }
    println!("from_hsds vs direct CSV: points {same_points}, hours {same_hours}, languages {same_langs} of {}", docs.len());
    assert_eq!(same_points, docs.len());
    assert!(same_hours * 100 >= docs.len() * 95, "{same_hours}");
    assert!(same_langs * 100 >= docs.len() * 95, "{same_langs}");
}
