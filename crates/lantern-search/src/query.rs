//! Queries, and the parser that turns what a person types into text plus
//! filters.

use crate::geo;
use crate::text;
use jiff::Timestamp;
use serde::Serialize;

/// Where "near" is measured from.
#[derive(Debug, Clone, PartialEq)]
pub enum Near {
    Point { lat: f64, lon: f64 },
    /// A US ZIP code; its centroid comes from the directory's own geocoded
    /// locations (see [`crate::Index::zip_centroid`]).
    Zip(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    /// Nearest first (needs `near`).
    Distance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostFilter {
    /// Free only.
    Free,
    /// Free or sliding scale.
    LowCost,
}

/// A search. Build one with [`Query::new`] (plain text) or [`parse`]
/// (natural text with filters), then adjust fields.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    /// Treat the last word as a prefix (as-you-type). On by default.
    pub prefix_last: bool,
    /// Taxonomy codes or names; a service matches when it has any of them
    /// (a code matches its descendants by prefix, e.g. `BD` matches `BD-1800`).
    pub taxonomy: Vec<String>,
    pub open_now: bool,
    /// Canonical language names (see [`canonical_languages`]); all must be offered.
    pub languages: Vec<String>,
    pub cost: Option<CostFilter>,
    /// Accessibility tags that must all be present (canonical: `wheelchair`, ...).
    pub accessibility: Vec<String>,
    pub near: Option<Near>,
    pub max_distance_km: Option<f64>,
    pub sort: Sort,
    /// The organization of the person searching: sees the community
    /// directory plus its own private listings. `None` sees community only.
    pub viewer_org: Option<i64>,
    /// "Now", for open-now and for staleness.
    pub now: Timestamp,
    /// A listing last verified more than this many days before `now` is
    /// flagged stale.
    pub stale_after_days: i64,
    pub offset: usize,
    pub limit: usize,
}

impl Query {
    pub fn new(text: impl Into<String>, now: Timestamp) -> Self {
        Query {
            text: text.into(),
            prefix_last: true,
            taxonomy: vec![],
            open_now: false,
            languages: vec![],
            cost: None,
            accessibility: vec![],
            near: None,
            max_distance_km: None,
            sort: Sort::Relevance,
            viewer_org: None,
            now,
            stale_after_days: 365,
            offset: 0,
            limit: 10,
        }
    }
}

/// What part of the typed text became which filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recognized {
    /// The words as typed.
    pub words: String,
    pub became: Filter,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Filter {
    OpenNow,
    Language { language: String },
    Cost { cost: CostFilter },
    Accessibility { tag: String },
    NearZip { zip: String },
    /// "near me": the caller must supply the point (the person's or the
    /// office's location).
    NearMe,
    MaxDistance { km: f64 },
    NearestFirst,
    Taxonomy { term: String },
}

/// The result of parsing: a query plus what was recognized.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub query: Query,
    pub recognized: Vec<Recognized>,
    /// True when the text said "near me" / "nearby" and no point was given:
    /// the caller should set `query.near` to the person's location.
    pub needs_location: bool,
}

/// Language names the parser and the filter know, with their aliases.
/// The first entry is the canonical name.
const LANGUAGES: &[&[&str]] = &[
    &["spanish", "espanol", "castellano"],
    &["haitian creole", "creole", "kreyol", "haitian", "kreyol ayisyen"],
    &["english"],
    &["french", "francais"],
    &["portuguese", "portugues"],
    &["hebrew"],
    &["russian"],
    &["arabic"],
    &["italian"],
    &["greek"],
    &["yiddish"],
    &["american sign language", "asl", "sign language"],
    &["chinese", "mandarin", "cantonese"],
    &["vietnamese"],
    &["german"],
    &["polish"],
    &["tagalog"],
    &["korean"],
    &["japanese"],
    &["hindi"],
];

/// Canonical language names found in a source's language text:
/// "Creole (limited)" → haitian creole; "English and Spanish" → english,
/// spanish; "Language line available" → nothing.
pub fn canonical_languages(source: &str) -> Vec<String> {
    let w = text::words(source);
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let mut hit = None;
        'outer: for group in LANGUAGES {
            for alias in group.iter() {
                let a: Vec<&str> = alias.split(' ').collect();
                if i + a.len() <= w.len() && w[i..i + a.len()].iter().zip(&a).all(|(x, y)| x == y) {
                    hit = Some((group[0], a.len()));
                    break 'outer;
                }
            }
        }
        match hit {
            Some((name, len)) => {
                if !out.iter().any(|x: &String| x == name) {
                    out.push(name.to_string());
                }
                i += len;
            }
            None => i += 1,
        }
    }
    out
}

/// Canonical accessibility tags found in a source's text.
pub fn canonical_access(source: &str) -> Vec<String> {
    let w = text::words(source);
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    };
    for x in &w {
        match x.as_str() {
            "handicap" | "handicapped" | "wheelchair" | "accessible" | "ada" | "ramp" | "ramps" => add("wheelchair"),
            "elevator" | "elevators" => add("elevator"),
            "braille" => add("braille"),
            "deaf" | "tty" | "tdd" => add("deaf"),
            "parking" => add("parking"),
            _ => {}
        }
    }
    out
}

fn num(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
}

/// Turn natural text into a query. Recognized (and removed from the text):
/// "open now" / "open today"; language names and aliases ("spanish",
/// "español", "creole", "kreyòl"); "free", "no cost", "low cost", "sliding
/// scale", "affordable", "cheap"; "wheelchair", "accessible"; a five-digit
/// ZIP, with or without "near"/"in"; "near me"/"nearby"; "within 5 miles"
/// / "within 3 km" / "5 mi"; "nearest"/"closest"; `category:CODE`.
/// Everything else stays as free text.
pub fn parse(input: &str, now: Timestamp) -> Parsed {
    let raw: Vec<&str> = input.split_whitespace().collect();
    let norm: Vec<String> = raw.iter().map(|r| text::words(r).join(" ")).collect();
    let mut q = Query::new(String::new(), now);
    let mut recognized = Vec::new();
    let mut keep: Vec<&str> = Vec::new();
    let mut needs_location = false;
    let mut i = 0;
    let n = raw.len();
    let at = |j: usize| norm.get(j).map(String::as_str).unwrap_or("");
    while i < n {
        let w = at(i);
        let typed = |a: usize, b: usize| raw[a..b].join(" ");
        // category:CODE
        if let Some(code) = raw[i].strip_prefix("category:").or_else(|| raw[i].strip_prefix("taxonomy:")) {
            if !code.is_empty() {
                q.taxonomy.push(code.to_string());
                recognized.push(Recognized { words: raw[i].into(), became: Filter::Taxonomy { term: code.into() } });
                i += 1;
                continue;
            }
        }
        if w == "open" && matches!(at(i + 1), "now" | "today") {
            q.open_now = true;
            recognized.push(Recognized { words: typed(i, i + 2), became: Filter::OpenNow });
            i += 2;
            continue;
        }
        if matches!(w, "near" | "in" | "around") {
            if let Some(z) = geo::zip5(raw.get(i + 1).copied().unwrap_or("")) {
                q.near = Some(Near::Zip(z.clone()));
                recognized.push(Recognized { words: typed(i, i + 2), became: Filter::NearZip { zip: z } });
                i += 2;
                continue;
            }
            if w == "near" && at(i + 1) == "me" {
                needs_location = true;
                recognized.push(Recognized { words: typed(i, i + 2), became: Filter::NearMe });
                i += 2;
                continue;
            }
        }
        if let Some(z) = geo::zip5(raw[i]).filter(|_| raw[i].trim().len() >= 5) {
            q.near = Some(Near::Zip(z.clone()));
            recognized.push(Recognized { words: typed(i, i + 1), became: Filter::NearZip { zip: z } });
            i += 1;
            continue;
        }
        if w == "nearby" {
            needs_location = true;
            recognized.push(Recognized { words: typed(i, i + 1), became: Filter::NearMe });
            i += 1;
            continue;
        }
        if matches!(w, "nearest" | "closest") {
            q.sort = Sort::Distance;
            recognized.push(Recognized { words: typed(i, i + 1), became: Filter::NearestFirst });
            i += 1;
            continue;
        }
        // within 5 miles | within 5 km | 5 miles | 5mi
        {
            let mut j = i;
            if w == "within" {
                j += 1;
            }
            let (val, unit_at) = match num(at(j)) {
                Some(v) => (Some(v), j + 1),
                None => {
                    // "5mi" / "3km" written together
                    let s = at(j);
                    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
                    (num(&s[..split]).filter(|_| split < s.len()), j)
                }
            };
            if let Some(v) = val {
                let unit = if unit_at == j {
                    let s = at(j);
                    &s[s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len())..]
                } else {
                    at(unit_at)
                };
                let factor = match unit {
                    "mi" | "mile" | "miles" => Some(geo::KM_PER_MILE),
                    "km" | "kms" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => Some(1.0),
                    _ => None,
                };
                if let Some(f) = factor {
                    let end = if unit_at == j { j + 1 } else { unit_at + 1 };
                    q.max_distance_km = Some(v * f);
                    recognized.push(Recognized { words: typed(i, end), became: Filter::MaxDistance { km: v * f } });
                    i = end;
                    continue;
                }
            }
        }
        if w == "free" || (w == "no" && matches!(at(i + 1), "cost" | "charge" | "fee")) {
            let len = if w == "free" { 1 } else { 2 };
            q.cost = Some(CostFilter::Free);
            recognized.push(Recognized { words: typed(i, i + len), became: Filter::Cost { cost: CostFilter::Free } });
            i += len;
            continue;
        }
        if (matches!(w, "low" | "sliding") && matches!(at(i + 1), "cost" | "scale" | "fee" | "fees"))
            || matches!(w, "cheap" | "affordable")
        {
            let len = if matches!(w, "low" | "sliding") { 2 } else { 1 };
            // "affordable housing" is a kind of service, not a price filter.
            if !(w == "affordable" && at(i + 1) == "housing") {
                if q.cost.is_none() {
                    q.cost = Some(CostFilter::LowCost);
                }
                recognized
                    .push(Recognized { words: typed(i, i + len), became: Filter::Cost { cost: CostFilter::LowCost } });
                i += len;
                continue;
            }
        }
        if matches!(w, "wheelchair" | "accessible" | "handicap") {
            let len = if w == "wheelchair" && matches!(at(i + 1), "accessible" | "access") { 2 } else { 1 };
            if !q.accessibility.iter().any(|t| t == "wheelchair") {
                q.accessibility.push("wheelchair".into());
            }
            recognized
                .push(Recognized { words: typed(i, i + len), became: Filter::Accessibility { tag: "wheelchair".into() } });
            i += len;
            continue;
        }
        // Languages: "in spanish", "spanish speaking", "haitian creole".
        let lang = {
            let mut found = None;
            'g: for group in LANGUAGES {
                for alias in group.iter() {
                    let a: Vec<&str> = alias.split(' ').collect();
                    if (i..i + a.len()).all(|k| k < n) && a.iter().enumerate().all(|(k, x)| at(i + k) == *x) {
                        found = Some((group[0], a.len()));
                        break 'g;
                    }
                }
            }
            found
        };
        if let Some((name, mut len)) = lang {
            // "english class" is a need, not the language of the service.
            if !(name == "english" && matches!(at(i + len), "class" | "classes" | "lesson" | "lessons")) {
                if matches!(at(i + len), "speaking" | "speaker" | "speakers") {
                    len += 1;
                }
                let start = if i > 0 && at(i - 1) == "in" && keep.last() == Some(&raw[i - 1]) {
                    keep.pop();
                    i - 1
                } else {
                    i
                };
                if !q.languages.iter().any(|l| l == name) {
                    q.languages.push(name.into());
                }
                recognized
                    .push(Recognized { words: typed(start, i + len), became: Filter::Language { language: name.into() } });
                i += len;
                continue;
            }
        }
        keep.push(raw[i]);
        i += 1;
    }
    q.text = keep.join(" ");
    Parsed { query: q, recognized, needs_location }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-09T15:00:00Z".parse().unwrap()
    }

    #[test]
    fn parses_the_issue_example() {
        let p = parse("food pantry open now near 33125 spanish free", now());
        assert_eq!(p.query.text, "food pantry");
        assert!(p.query.open_now);
        assert_eq!(p.query.near, Some(Near::Zip("33125".into())));
        assert_eq!(p.query.languages, ["spanish"]);
        assert_eq!(p.query.cost, Some(CostFilter::Free));
        let words: Vec<&str> = p.recognized.iter().map(|r| r.words.as_str()).collect();
        assert_eq!(words, ["open now", "near 33125", "spanish", "free"]);
        assert!(!p.needs_location);
    }

    #[test]
    fn near_me_distance_and_nearest() {
        let p = parse("detox near me within 5 miles nearest", now());
        assert_eq!(p.query.text, "detox");
        assert!(p.needs_location);
        assert!((p.query.max_distance_km.unwrap() - 8.04672).abs() < 1e-9);
        assert_eq!(p.query.sort, Sort::Distance);
        let p = parse("shelter 3km", now());
        assert_eq!(p.query.text, "shelter");
        assert_eq!(p.query.max_distance_km, Some(3.0));
    }

    #[test]
    fn languages_and_words_that_look_like_filters() {
        let p = parse("counseling in Kreyòl for women", now());
        assert_eq!(p.query.text, "counseling for women");
        assert_eq!(p.query.languages, ["haitian creole"]);
        assert_eq!(p.recognized[0].words, "in Kreyòl");
        let p = parse("english classes", now());
        assert_eq!(p.query.text, "english classes");
        assert!(p.query.languages.is_empty());
        let p = parse("affordable housing", now());
        assert_eq!(p.query.text, "affordable housing");
        assert_eq!(p.query.cost, None);
        let p = parse("open 24 hours", now());
        assert!(!p.query.open_now);
        assert_eq!(p.query.text, "open 24 hours");
    }

    #[test]
    fn canonical_language_names() {
        assert_eq!(canonical_languages("Creole (limited)"), ["haitian creole"]);
        assert_eq!(canonical_languages("Haitian Creole"), ["haitian creole"]);
        assert_eq!(canonical_languages("English and Spanish"), ["english", "spanish"]);
        assert!(canonical_languages("Language line available").is_empty());
        assert_eq!(canonical_access("Handicap accessible"), ["wheelchair"]);
    }
}
