//! Acceptance gates on the labelled dev corpus, scored like
//! `shared/checks/language-score.py`: warn-level flags only, a flag is a true
//! positive when it overlaps an expected term span (one-to-one matching),
//! unmatched flags that touch no expected span are false positives (merged
//! when they overlap each other), distress is scored per item.
//!
//! The corpus lives outside the crate. Set `LANTERN_SHARED_DATA` to the
//! `shared/data` directory, or keep the monorepo layout
//! (`crates/lantern-language` → `../../../shared/data/language/corpus-dev.jsonl`).
//! When the file is absent the test prints `SKIPPED: corpus not found at …` and passes.

use lantern_language::{Checker, Severity};
use std::path::PathBuf;

fn corpus_path() -> PathBuf {
    if let Some(dir) = std::env::var_os("LANTERN_SHARED_DATA") {
        let d = PathBuf::from(dir);
        // accept either .../shared/data or .../shared/data/language or the file itself
        for cand in [
            d.join("language/corpus-dev.jsonl"),
            d.join("corpus-dev.jsonl"),
            d.clone(),
        ] {
            if cand.is_file() {
                return cand;
            }
        }
        return d.join("language/corpus-dev.jsonl");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/language/corpus-dev.jsonl")
}

struct Expected {
    spans: Vec<(usize, usize)>,
    category: String,
}

struct Item {
    id: String,
    text: String,
    expected: Vec<Expected>,
    distress: bool,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte spans of case-insensitive occurrences of `term`; whole-word ones
/// preferred, as in the Python scorer.
fn term_spans(text: &str, term: &str) -> Vec<(usize, usize)> {
    let lt = text.to_lowercase();
    let lterm = term.to_lowercase();
    // lowercase may change byte lengths for some scripts; the corpus is ASCII-safe here
    if lt.len() != text.len() {
        return text
            .match_indices(term)
            .map(|(i, m)| (i, i + m.len()))
            .collect();
    }
    let all: Vec<(usize, usize)> = lt
        .match_indices(&lterm)
        .map(|(i, m)| (i, i + m.len()))
        .collect();
    let starts_word = lterm.chars().next().map(is_word).unwrap_or(false);
    let ends_word = lterm.chars().next_back().map(is_word).unwrap_or(false);
    let whole: Vec<(usize, usize)> = all
        .iter()
        .copied()
        .filter(|&(a, b)| {
            let left_ok = !starts_word
                || lt[..a]
                    .chars()
                    .next_back()
                    .map(|c| !is_word(c))
                    .unwrap_or(true);
            let right_ok =
                !ends_word || lt[b..].chars().next().map(|c| !is_word(c)).unwrap_or(true);
            left_ok && right_ok
        })
        .collect();
    if whole.is_empty() {
        all
    } else {
        whole
    }
}

fn load(path: &PathBuf) -> Option<Vec<Item>> {
    let data = std::fs::read_to_string(path).ok()?;
    let mut items = Vec::new();
    for (n, line) in data.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("corpus line {}: {e}", n + 1));
        let text = v["text"].as_str().unwrap_or_default().to_string();
        let expected = v["expected"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let term = e["term"].as_str().unwrap_or_default();
                        Expected {
                            spans: term_spans(&text, term),
                            category: e["category"].as_str().unwrap_or("unknown").to_string(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        items.push(Item {
            id: v["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("line{}", n + 1)),
            text,
            expected,
            distress: v["distress"].as_bool().unwrap_or(false),
        });
    }
    Some(items)
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Maximum bipartite matching of expected terms to overlapping flags.
fn match_item(expected: &[Expected], flags: &[(usize, usize)]) -> (usize, Vec<usize>) {
    let adj: Vec<Vec<usize>> = expected
        .iter()
        .map(|e| {
            (0..flags.len())
                .filter(|&j| e.spans.iter().any(|&s| overlaps(flags[j], s)))
                .collect()
        })
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; flags.len()];
    fn augment(
        i: usize,
        adj: &[Vec<usize>],
        owner: &mut Vec<Option<usize>>,
        seen: &mut Vec<bool>,
    ) -> bool {
        for &j in &adj[i] {
            if seen[j] {
                continue;
            }
            seen[j] = true;
            if owner[j].is_none() || augment(owner[j].unwrap_or(0), adj, owner, seen) {
                owner[j] = Some(i);
                return true;
            }
        }
        false
    }
    for i in 0..expected.len() {
        let mut seen = vec![false; flags.len()];
        augment(i, &adj, &mut owner, &mut seen);
    }
    let touching: Vec<bool> = (0..flags.len())
        .map(|j| adj.iter().any(|l| l.contains(&j)))
        .collect();
    let matched_expected: Vec<usize> = owner.iter().flatten().copied().collect();
    let fps: Vec<usize> = (0..flags.len())
        .filter(|&j| owner[j].is_none() && !touching[j])
        .collect();
    (matched_expected.len(), fps)
}

fn clusters(flags: &[(usize, usize)], idx: &[usize]) -> usize {
    let mut spans: Vec<(usize, usize)> = idx.iter().map(|&j| flags[j]).collect();
    spans.sort();
    let mut n = 0;
    let mut end = 0;
    for (i, (s, e)) in spans.iter().enumerate() {
        if i == 0 || *s >= end {
            n += 1;
            end = *e;
        } else {
            end = end.max(*e);
        }
    }
    n
}

struct Scores {
    p: f64,
    r: f64,
    dp: f64,
    dr: f64,
    hard_negative_fps: usize,
}

fn score(path: &std::path::Path, items: &[Item]) -> Scores {
    let checker = Checker::builtin();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let (mut dtp, mut dfp, mut dfn) = (0usize, 0usize, 0usize);
    let mut hn_fp = 0usize;
    let mut problems = Vec::new();
    let mut per_cat: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for it in items {
        let r = checker.check(&it.text);
        let warn: Vec<(usize, usize)> = r
            .flags
            .iter()
            .filter(|f| f.severity == Severity::Warn)
            .map(|f| (f.start, f.end))
            .collect();
        let (m, fps) = match_item(&it.expected, &warn);
        tp += m;
        fn_ += it.expected.len() - m;
        for e in &it.expected {
            per_cat.entry(e.category.clone()).or_default().1 += 1;
        }
        let c = clusters(&warn, &fps);
        fp += c;
        if m < it.expected.len() || c > 0 {
            problems.push(format!(
                "{} terms: matched {}/{}, {} false positive(s): {}",
                it.id,
                m,
                it.expected.len(),
                c,
                it.text
            ));
        }
        let pred = r.distress.flagged;
        match (it.distress, pred) {
            (true, true) => dtp += 1,
            (true, false) => {
                dfn += 1;
                problems.push(format!("{} distress missed: {}", it.id, it.text));
            }
            (false, true) => {
                dfp += 1;
                problems.push(format!("{} distress false alarm: {}", it.id, it.text));
            }
            _ => {}
        }
        if it.expected.is_empty() && !it.distress {
            hn_fp += c + pred as usize;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (p, r) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
    let (dp, dr) = (ratio(dtp, dtp + dfp), ratio(dtp, dtp + dfn));
    println!("corpus: {} ({} items)", path.display(), items.len());
    println!("terms: TP {tp} FP {fp} FN {fn_}  precision {p:.3} recall {r:.3}");
    println!("distress: TP {dtp} FP {dfp} FN {dfn}  precision {dp:.3} recall {dr:.3}");
    println!("hard negatives: {hn_fp} false positive(s)");
    for (cat, (_, n)) in &per_cat {
        println!("  expected {cat}: {n}");
    }
    for p in &problems {
        println!("  {p}");
    }
    Scores {
        p,
        r,
        dp,
        dr,
        hard_negative_fps: hn_fp,
    }
}

#[test]
fn dev_corpus_gates() {
    let path = corpus_path();
    let Some(items) = load(&path) else {
        println!("SKIPPED: corpus not found at {}", path.display());
        return;
    };
    let Scores {
        p,
        r,
        dp,
        dr,
        hard_negative_fps: hn_fp,
    } = score(&path, &items);
    assert!(p >= 0.95, "term precision {p:.3} < 0.95");
    assert!(r >= 0.95, "term recall {r:.3} < 0.95");
    assert!(dr >= 0.97, "distress recall {dr:.3} < 0.97");
    assert!(dp >= 0.80, "distress precision {dp:.3} < 0.80");
    assert_eq!(hn_fp, 0, "flags on hard negatives");
}

/// Extra sentences written for this crate, independently of the dev corpus
/// (same label format; `category` is not scored). A regression net for
/// generality, with gates a little below the dev ones because a few labels
/// are judgment calls (e.g. a third party's "alcoholic" label is flagged).
#[test]
fn probe_sentences_regression() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/probes.jsonl");
    let items = load(&path).unwrap_or_default();
    assert!(items.len() > 300, "probe file missing");
    let s = score(&path, &items);
    assert!(
        s.p >= 0.95 && s.r >= 0.95,
        "terms P {:.3} R {:.3}",
        s.p,
        s.r
    );
    assert!(
        s.dr >= 0.97 && s.dp >= 0.90,
        "distress P {:.3} R {:.3}",
        s.dp,
        s.dr
    );
    assert!(
        s.hard_negative_fps <= 5,
        "{} hard-negative false positives",
        s.hard_negative_fps
    );
}
