//! The in-memory index: an inverted index whose postings carry precomputed
//! BM25F weights, a sorted term dictionary (prefixes), a deletion
//! dictionary (typos), and per-service filter data.

use crate::doc::{Cost, ServiceDoc};
use crate::geo;
use crate::hours::{self, OpenState};
use crate::query::{canonical_access, canonical_languages, CostFilter, Near, Query, Sort};
use crate::synonyms::Synonyms;
use crate::text;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::HashMap;

/// The fields that are searched, in the order of the bits in a posting's
/// field mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Name,
    AlternateName,
    Taxonomy,
    Description,
    Organization,
}

pub const FIELDS: [Field; 5] = [Field::Name, Field::AlternateName, Field::Taxonomy, Field::Description, Field::Organization];

/// Ranking parameters (BM25F).
#[derive(Debug, Clone)]
pub struct Ranking {
    pub k1: f32,
    /// Per field: weight and length normalization `b`.
    pub weight: [f32; 5],
    pub b: [f32; 5],
    /// Weight of a synonym's match relative to the words typed.
    pub synonym: f32,
    /// Weight of a typed phrase whose words are adjacent, relative to the
    /// same words apart.
    pub adjacent: f32,
    /// Weight of a match one / two edits away.
    pub typo1: f32,
    pub typo2: f32,
    /// Weight of a prefix completion of the last word.
    pub prefix: f32,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            k1: 1.2,
            weight: [3.0, 2.5, 2.0, 1.0, 1.5],
            b: [0.5, 0.5, 0.5, 0.75, 0.5],
            synonym: 0.8,
            adjacent: 1.25,
            typo1: 0.7,
            typo2: 0.5,
            prefix: 0.6,
        }
    }
}

/// Why a listing could not be indexed: which listing, which field, why.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("service {id:?} (#{position}): {field}: {reason}")]
pub struct BuildError {
    /// 0-based position in the input.
    pub position: usize,
    pub id: String,
    pub field: &'static str,
    pub reason: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SearchError {
    #[error("no location in the directory has ZIP code {0}, so there is no centre to measure from")]
    UnknownZip(String),
    #[error("the point {lat}, {lon} is not a valid latitude/longitude")]
    BadPoint { lat: f64, lon: f64 },
    #[error("the maximum distance must be a positive number of km, got {0}")]
    BadDistance(f64),
    #[error("sorting by distance needs a place to measure from (a ZIP code or a point)")]
    DistanceWithoutPlace,
    #[error("limit must be between 1 and 1000, got {0}")]
    BadLimit(usize),
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    w: f32,
    fields: u8,
}

/// Per-service data used by filters.
#[derive(Debug)]
struct Meta {
    languages: Vec<String>,
    access: Vec<String>,
    taxonomy: Vec<(String, String)>, // lower-case code, lower-case name
    points: Vec<(f64, f64)>,
    tz: u16,
    name_rank: u32,
    /// Largest |latitude| of the points (for the distance box test).
    max_abs_lat: f64,
}

/// Per-search values computed once.
struct Ctx {
    center: Option<(f64, f64)>,
    local: Vec<(jiff::civil::Date, jiff::civil::Time)>,
}

/// How a word matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Via {
    Exact,
    /// Through the synonym group of the words typed.
    Synonym { of: String },
    /// A typo: the word typed was `typed`, read as the matched word.
    Typo { typed: String, edits: u8 },
    /// The last word read as the start of a longer word.
    Prefix { typed: String },
}

/// One reason a result is shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Why {
    /// Words of the query matched these fields (`matched` is the index form
    /// of what matched: a word, a synonym phrase, a corrected word).
    Matched { words: String, matched: String, fields: Vec<Field>, via: Via },
    OpenNow { until: Option<String> },
    Distance { km: f64, miles: f64 },
    Language { language: String },
    Cost { cost: Cost },
    Accessible { tag: String },
    Taxonomy { code: String, name: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Position of the service in the input to [`Index::build`].
    pub doc: usize,
    pub id: String,
    pub score: f32,
    pub distance_km: Option<f64>,
    /// `None` when the listing has no hours.
    pub open_now: Option<bool>,
    /// Last verified more than `stale_after_days` ago, or never.
    pub stale: bool,
    pub why: Vec<Why>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// Matching services (before paging).
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Query words that matched nothing in the directory (not even as a
    /// typo or prefix).
    pub unmatched_words: Vec<String>,
    /// The point distances were measured from, if any.
    pub center: Option<(f64, f64)>,
}

/// The search index. Immutable once built; share it behind an `Arc` and
/// rebuild when the directory changes (about 0.2 s for 4,000 services).
pub struct Index {
    docs: Vec<ServiceDoc>,
    meta: Vec<Meta>,
    tzs: Vec<TimeZone>,
    /// Sorted term dictionary; a term's id is its position.
    terms: Vec<String>,
    postings: Vec<Vec<Posting>>,
    /// (hash of a deletion variant, term id), sorted.
    deletes: Vec<(u64, u32)>,
    zips: HashMap<String, (f64, f64)>,
    synonyms: Synonyms,
    ranking: Ranking,
}

const MAX_FUZZY_TERM_LEN: usize = 24;

fn hash(s: &str) -> u64 {
    // FNV-1a, 64 bit: stable, fast, no dependency.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// All strings made by deleting up to `d` characters (including `s`).
fn deletions(s: &str, d: usize, out: &mut Vec<String>) {
    out.push(s.to_string());
    let mut frontier = vec![s.to_string()];
    for _ in 0..d {
        let mut next = Vec::new();
        for w in &frontier {
            let chars: Vec<char> = w.chars().collect();
            if chars.len() <= 1 {
                continue;
            }
            for i in 0..chars.len() {
                let v: String = chars.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect();
                if !out.contains(&v) {
                    out.push(v.clone());
                    next.push(v);
                }
            }
        }
        frontier = next;
    }
}

fn fuzzy_eligible(t: &str) -> bool {
    let n = t.chars().count();
    (3..=MAX_FUZZY_TERM_LEN).contains(&n) && !t.bytes().any(|b| b.is_ascii_digit() || b == b' ')
}

struct Alt {
    /// Terms whose weights add up to the score; all must be present.
    terms: Vec<u32>,
    /// A phrase term that must be present (the words adjacent), adding nothing.
    required: Option<u32>,
    weight: f32,
    via: Via,
    text: String,
}

struct Clause {
    typed: String,
    alts: Vec<Alt>,
}

impl Index {
    /// Build with the shipped synonyms and default ranking.
    pub fn build(docs: Vec<ServiceDoc>) -> Result<Index, BuildError> {
        Self::build_with(docs, Synonyms::builtin(), Ranking::default())
    }

    pub fn build_with(docs: Vec<ServiceDoc>, synonyms: Synonyms, ranking: Ranking) -> Result<Index, BuildError> {
        let err = |position: usize, d: &ServiceDoc, field: &'static str, reason: String| BuildError {
            position,
            id: d.id.clone(),
            field,
            reason,
        };
        if docs.len() > u32::MAX as usize / 2 {
            return Err(BuildError {
                position: 0,
                id: String::new(),
                field: "docs",
                reason: "too many services".into(),
            });
        }
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(docs.len());
        let mut tz_ids: HashMap<String, u16> = HashMap::new();
        let mut tzs: Vec<TimeZone> = Vec::new();
        let mut meta = Vec::with_capacity(docs.len());
        let mut zip_sums: HashMap<String, (f64, f64, u32)> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            if d.id.trim().is_empty() {
                return Err(err(i, d, "id", "is empty".into()));
            }
            if let Some(first) = seen.insert(d.id.as_str(), i) {
                return Err(err(i, d, "id", format!("is the same as service #{first}")));
            }
            if d.name.trim().is_empty() {
                return Err(err(i, d, "name", "is empty".into()));
            }
            let tz = match tz_ids.get(&d.time_zone) {
                Some(&t) => t,
                None => {
                    let z = TimeZone::get(&d.time_zone).map_err(|e| {
                        err(i, d, "time_zone", format!("{:?} is not an IANA time zone ({e})", d.time_zone))
                    })?;
                    let id = u16::try_from(tzs.len())
                        .map_err(|_| err(i, d, "time_zone", "more than 65,535 time zones".into()))?;
                    tzs.push(z);
                    tz_ids.insert(d.time_zone.clone(), id);
                    id
                }
            };
            let mut points = Vec::new();
            for (li, l) in d.locations.iter().enumerate() {
                match (l.latitude, l.longitude) {
                    (Some(lat), Some(lon)) => {
                        if !geo::valid_point(lat, lon) {
                            return Err(err(
                                i,
                                d,
                                "locations",
                                format!("location {} has latitude {lat}, longitude {lon}: out of range", li + 1),
                            ));
                        }
                        points.push((lat, lon));
                        if let Some(z) = l.postal_code.as_deref().and_then(geo::zip5) {
                            let e = zip_sums.entry(z).or_insert((0.0, 0.0, 0));
                            e.0 += lat;
                            e.1 += lon;
                            e.2 += 1;
                        }
                    }
                    (None, None) => {}
                    _ => {
                        return Err(err(
                            i,
                            d,
                            "locations",
                            format!("location {} has only one of latitude and longitude", li + 1),
                        ))
                    }
                }
            }
            meta.push(Meta {
                languages: d.languages.iter().flat_map(|l| canonical_languages(l)).collect(),
                access: d.accessibility.iter().flat_map(|a| canonical_access(a)).collect(),
                taxonomy: d.taxonomy.iter().map(|t| (t.code.to_lowercase(), t.name.to_lowercase())).collect(),
                max_abs_lat: points.iter().map(|p| p.0.abs()).fold(0.0, f64::max),
                points,
                tz,
                name_rank: 0,
            });
        }
        drop(seen);
        let mut by_name: Vec<u32> = (0..docs.len() as u32).collect();
        by_name.sort_by_cached_key(|&i| (docs[i as usize].name.to_lowercase(), i));
        for (rank, &i) in by_name.iter().enumerate() {
            meta[i as usize].name_rank = rank as u32;
        }

        // Pass 1: term frequencies per field, field lengths.
        let mut dict: HashMap<String, u32> = HashMap::new();
        let mut dict_terms: Vec<String> = Vec::new();
        let mut doc_tfs: Vec<Vec<(u32, [u16; 5])>> = Vec::with_capacity(docs.len());
        let mut lens: Vec<[u32; 5]> = Vec::with_capacity(docs.len());
        let mut sum_len = [0f64; 5];
        for d in &docs {
            let tax: String = d.taxonomy.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" ; ");
            let fields: [&str; 5] =
                [&d.name, d.alternate_name.as_deref().unwrap_or(""), &tax, &d.description, &d.organization_name];
            let mut tf: HashMap<u32, [u16; 5]> = HashMap::new();
            let mut len = [0u32; 5];
            for (f, txt) in fields.iter().enumerate() {
                let ts = text::terms(txt);
                let mut add = |t: String, tf: &mut HashMap<u32, [u16; 5]>| {
                    let id = match dict.get(&t) {
                        Some(&id) => id,
                        None => {
                            let id = dict_terms.len() as u32;
                            dict.insert(t.clone(), id);
                            dict_terms.push(t);
                            id
                        }
                    };
                    let e = tf.entry(id).or_insert([0; 5]);
                    e[f] = e[f].saturating_add(1);
                };
                // Synonym phrases where their words are adjacent, as one term each.
                for i in 0..ts.len() {
                    for plen in synonyms.phrases_at(&ts, i) {
                        add(ts[i..i + plen].join(" "), &mut tf);
                    }
                }
                len[f] += ts.len() as u32;
                for t in ts {
                    add(t, &mut tf);
                }
            }
            for f in 0..5 {
                sum_len[f] += f64::from(len[f]);
            }
            let mut v: Vec<(u32, [u16; 5])> = tf.into_iter().collect();
            v.sort_unstable_by_key(|x| x.0);
            doc_tfs.push(v);
            lens.push(len);
        }
        let n = docs.len().max(1) as f64;
        let avg: Vec<f32> = sum_len.iter().map(|s| ((s / n) as f32).max(1.0)).collect();

        // Term ids in sorted order (so prefixes are ranges).
        let mut order: Vec<u32> = (0..dict_terms.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| dict_terms[a as usize].cmp(&dict_terms[b as usize]));
        let mut remap = vec![0u32; dict_terms.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        let mut df = vec![0u32; dict_terms.len()];
        for v in &doc_tfs {
            for (t, _) in v {
                df[remap[*t as usize] as usize] += 1;
            }
        }
        let mut postings: Vec<Vec<Posting>> = df.iter().map(|&c| Vec::with_capacity(c as usize)).collect();
        for (doc, v) in doc_tfs.iter().enumerate() {
            let len = lens[doc];
            for (t, tf) in v {
                let t = remap[*t as usize] as usize;
                let mut tfw = 0f32;
                let mut mask = 0u8;
                for f in 0..5 {
                    if tf[f] > 0 {
                        mask |= 1 << f;
                        let norm = 1.0 - ranking.b[f] + ranking.b[f] * (len[f] as f32 / avg[f]);
                        tfw += ranking.weight[f] * f32::from(tf[f]) / norm;
                    }
                }
                let dfv = f64::from(df[t]);
                let idf = (1.0 + (n - dfv + 0.5) / (dfv + 0.5)).ln() as f32;
                let w = idf * tfw * (ranking.k1 + 1.0) / (tfw + ranking.k1);
                postings[t].push(Posting { doc: doc as u32, w, fields: mask });
            }
        }
        drop(doc_tfs);
        let mut terms: Vec<String> = vec![String::new(); dict_terms.len()];
        for (old, t) in dict_terms.into_iter().enumerate() {
            terms[remap[old] as usize] = t;
        }

        // Deletion dictionary for typo tolerance (SymSpell): every term's
        // variants with up to two characters deleted.
        let mut deletes: Vec<(u64, u32)> = Vec::new();
        let mut buf = Vec::new();
        for (id, t) in terms.iter().enumerate() {
            if !fuzzy_eligible(t) {
                continue;
            }
            buf.clear();
            let d = if t.chars().count() >= 6 { 2 } else { 1 };
            deletions(t, d, &mut buf);
            for v in &buf {
                deletes.push((hash(v), id as u32));
            }
        }
        deletes.sort_unstable();
        deletes.dedup();

        let zips = zip_sums.into_iter().map(|(z, (a, b, c))| (z, (a / f64::from(c), b / f64::from(c)))).collect();
        Ok(Index { docs, meta, tzs, terms, postings, deletes, zips, synonyms, ranking })
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn doc(&self, i: usize) -> &ServiceDoc {
        &self.docs[i]
    }

    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The centroid of a ZIP code: the mean latitude/longitude of the
    /// directory's own geocoded locations with that postal code. No ZIP
    /// table is shipped: the data we have carries no licence-clean one, and
    /// a directory's own locations are where people are sent anyway.
    pub fn zip_centroid(&self, zip: &str) -> Option<(f64, f64)> {
        geo::zip5(zip).and_then(|z| self.zips.get(&z).copied())
    }

    /// How many ZIP codes have a centroid.
    pub fn zip_count(&self) -> usize {
        self.zips.len()
    }

    fn term_id(&self, t: &str) -> Option<u32> {
        self.terms.binary_search_by(|x| x.as_str().cmp(t)).ok().map(|i| i as u32)
    }

    /// A phrase as (adjacent-phrase term for two words or more, word ids).
    fn phrase_ids(&self, phrase: &[String]) -> Option<(Option<u32>, Vec<u32>)> {
        let ids = phrase.iter().map(|t| self.term_id(t)).collect::<Option<Vec<_>>>()?;
        if phrase.len() == 1 {
            return Some((None, ids));
        }
        Some((Some(self.term_id(&phrase.join(" "))?), ids))
    }

    /// The score (before the alternative's weight) and field mask of an
    /// alternative in one listing, if all its terms are there.
    fn alt_score(&self, a: &Alt, d: u32) -> Option<(f32, u8)> {
        let find = |t: u32| {
            let pl = &self.postings[t as usize];
            pl.binary_search_by_key(&d, |x| x.doc).ok().map(|k| pl[k])
        };
        let mut s = 0f32;
        let mut mask = 0u8;
        for &t in &a.terms {
            let p = find(t)?;
            s += p.w;
            mask |= p.fields;
        }
        if let Some(r) = a.required {
            mask = find(r)?.fields;
        }
        Some((s, mask))
    }

    fn df(&self, id: u32) -> usize {
        self.postings[id as usize].len()
    }

    /// Terms within the typo budget of `word`, best first (fewest edits,
    /// then most frequent).
    fn fuzzy(&self, word: &str, budget: usize) -> Vec<(u32, usize)> {
        if budget == 0 || !fuzzy_eligible(word) {
            return vec![];
        }
        let mut vars = Vec::new();
        deletions(word, budget, &mut vars);
        let mut cands: Vec<u32> = Vec::new();
        for v in &vars {
            let h = hash(v);
            let start = self.deletes.partition_point(|x| x.0 < h);
            for &(hh, id) in &self.deletes[start..] {
                if hh != h {
                    break;
                }
                cands.push(id);
            }
        }
        cands.sort_unstable();
        cands.dedup();
        let mut out: Vec<(u32, usize)> = cands
            .into_iter()
            .filter_map(|id| {
                let t = &self.terms[id as usize];
                (t != word).then(|| text::edit_distance(word, t, budget).map(|d| (id, d))).flatten()
            })
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1).then(self.df(b.0).cmp(&self.df(a.0))));
        out
    }

    /// Terms that start with `prefix` (longer than it), most frequent first.
    fn completions(&self, prefix: &str, max: usize) -> Vec<u32> {
        let start = self.terms.partition_point(|t| t.as_str() < prefix);
        let mut v: Vec<u32> = Vec::new();
        for (i, t) in self.terms[start..].iter().enumerate() {
            if !t.starts_with(prefix) {
                break;
            }
            if t.len() > prefix.len() && !t.contains(' ') {
                v.push((start + i) as u32);
            }
        }
        v.sort_by(|a, b| self.df(*b).cmp(&self.df(*a)).then(a.cmp(b)));
        v.truncate(max);
        v
    }

    fn clauses(&self, q: &Query) -> (Vec<Clause>, Vec<String>) {
        let words: Vec<String> = text::words(&q.text)
            .into_iter()
            .filter(|w| !text::is_stopword(w) && !text::QUERY_STOPWORDS.contains(&w.as_str()))
            .collect();
        let r = &self.ranking;
        // Step 1: read typos. A word absent from the directory (or seen in at
        // most two services) is read as its nearest frequent neighbour.
        let mut stems: Vec<String> = Vec::with_capacity(words.len());
        let mut typo_alts: Vec<Vec<Alt>> = Vec::with_capacity(words.len());
        for w in &words {
            let s = text::stem(w);
            let exact = self.term_id(&s);
            let mut alts = Vec::new();
            let mut read_as = s.clone();
            if exact.is_none_or(|id| self.df(id) <= 2) {
                // Three-letter words get one edit only when the directory
                // does not have them at all ("fod" → food).
                let budget = match text::typo_budget(w) {
                    0 if exact.is_none() && w.chars().count() == 3 => 1,
                    b => b,
                };
                let fz = self.fuzzy(&s, budget);
                let best_df = exact.map_or(0, |id| self.df(id));
                for (k, &(id, d)) in fz.iter().take(3).enumerate() {
                    if self.df(id) <= best_df {
                        continue;
                    }
                    if k == 0 && alts.is_empty() {
                        read_as = self.terms[id as usize].clone();
                    }
                    alts.push(Alt {
                        terms: vec![id],
                        required: None,
                        weight: if d == 1 { r.typo1 } else { r.typo2 },
                        via: Via::Typo { typed: w.clone(), edits: d as u8 },
                        text: self.terms[id as usize].clone(),
                    });
                }
            }
            stems.push(if exact.is_some() && alts.is_empty() { s } else { read_as });
            typo_alts.push(alts);
        }
        // Step 2: synonyms over the corrected words, longest phrase first.
        let mut clauses = Vec::new();
        let mut unmatched = Vec::new();
        let mut i = 0;
        while i < stems.len() {
            let last = i + 1 == stems.len();
            if let Some((len, syn)) = self.synonyms.longest_at(&stems, i) {
                let phrase = &stems[i..i + len];
                let typed = words[i..i + len].join(" ");
                let mut alts = Vec::new();
                // A word of the phrase read as a correction: say so, and weigh it as a typo.
                let via_exact = (i..i + len)
                    .find(|&j| stems[j] != text::stem(&words[j]))
                    .and_then(|j| typo_alts[j].first())
                    .map(|a| a.via.clone())
                    .unwrap_or(Via::Exact);
                let w_exact = if matches!(via_exact, Via::Typo { .. }) { r.typo1 } else { 1.0 };
                if let Some((req, ids)) = self.phrase_ids(phrase) {
                    if req.is_some() {
                        // The words typed, adjacent: a little above the same words apart.
                        alts.push(Alt {
                            terms: ids.clone(),
                            required: req,
                            weight: r.adjacent * w_exact,
                            via: via_exact.clone(),
                            text: phrase.join(" "),
                        });
                    }
                    alts.push(Alt { terms: ids, required: None, weight: w_exact, via: via_exact.clone(), text: phrase.join(" ") });
                } else if len >= 2 {
                    if let Some(ids) = phrase.iter().map(|t| self.term_id(t)).collect::<Option<Vec<_>>>() {
                        alts.push(Alt { terms: ids, required: None, weight: w_exact, via: via_exact.clone(), text: phrase.join(" ") });
                    }
                }
                for p in syn {
                    // A synonym must appear as a phrase (words adjacent); its
                    // score is scaled down when it has more words than were typed.
                    if let Some((req, ids)) = self.phrase_ids(&p) {
                        let scale = (len as f32 / ids.len() as f32).min(1.0);
                        alts.push(Alt {
                            terms: ids,
                            required: req,
                            weight: r.synonym * w_exact * scale,
                            via: Via::Synonym { of: typed.clone() },
                            text: p.join(" "),
                        });
                    }
                }
                if alts.is_empty() {
                    unmatched.push(typed.clone());
                } else {
                    clauses.push(Clause { typed, alts });
                }
                i += len;
                continue;
            }
            let w = &words[i];
            let mut alts = Vec::new();
            let typo = std::mem::take(&mut typo_alts[i]);
            let exact = self.term_id(&text::stem(w));
            if let Some(id) = exact {
                alts.push(Alt { terms: vec![id], required: None, weight: 1.0, via: Via::Exact, text: self.terms[id as usize].clone() });
            }
            alts.extend(typo);
            if last && q.prefix_last && w.chars().count() >= 3 {
                let weight = if exact.is_some() { r.prefix } else { 0.9 };
                for id in self.completions(w, 16) {
                    if alts.iter().any(|a| a.terms == [id]) {
                        continue;
                    }
                    alts.push(Alt {
                        terms: vec![id],
                        required: None,
                        weight,
                        via: Via::Prefix { typed: w.clone() },
                        text: self.terms[id as usize].clone(),
                    });
                }
            }
            if alts.is_empty() {
                unmatched.push(w.clone());
            } else {
                clauses.push(Clause { typed: w.clone(), alts });
            }
            i += 1;
        }
        (clauses, unmatched)
    }

    fn visible(&self, d: usize, q: &Query) -> bool {
        match self.docs[d].owner_org {
            None => true,
            Some(o) => q.viewer_org == Some(o),
        }
    }

    fn distance(&self, d: usize, center: Option<(f64, f64)>) -> Option<f64> {
        let (lat, lon) = center?;
        self.meta[d].points.iter().map(|&(a, b)| geo::haversine_km(lat, lon, a, b)).min_by(|a, b| a.total_cmp(b))
    }

    fn open_state(&self, d: usize, local: &[(jiff::civil::Date, jiff::civil::Time)]) -> OpenState {
        let doc = &self.docs[d];
        let (date, time) = local[self.meta[d].tz as usize];
        hours::open_state_local(&doc.schedule, &doc.closed_dates, date, time)
    }

    /// "Now" as wall-clock date and time in each time zone of the index.
    fn local_times(&self, now: jiff::Timestamp) -> Vec<(jiff::civil::Date, jiff::civil::Time)> {
        self.tzs
            .iter()
            .map(|tz| {
                let z = now.to_zoned(tz.clone());
                (z.date(), z.time())
            })
            .collect()
    }

    /// All filters except text. Returns the distance when it was computed.
    fn passes(&self, d: usize, q: &Query, cx: &Ctx) -> Option<Option<f64>> {
        let center = cx.center;
        if !self.visible(d, q) {
            return None;
        }
        let m = &self.meta[d];
        let doc = &self.docs[d];
        if !q.languages.iter().all(|l| m.languages.iter().any(|x| x == l)) {
            return None;
        }
        match q.cost {
            Some(CostFilter::Free) if doc.cost != Cost::Free => return None,
            Some(CostFilter::LowCost) if !matches!(doc.cost, Cost::Free | Cost::SlidingScale) => return None,
            _ => {}
        }
        if !q.accessibility.iter().all(|t| m.access.iter().any(|x| x == t)) {
            return None;
        }
        if !q.taxonomy.is_empty() {
            let ok = q.taxonomy.iter().any(|f| {
                let f = f.to_lowercase();
                m.taxonomy.iter().any(|(code, name)| code.starts_with(&f) || *name == f)
            });
            if !ok {
                return None;
            }
        }
        if let (Some(max), Some((lat, lon))) = (q.max_distance_km, center) {
            // Cheap box test before the haversine: one degree of latitude is
            // at least 110.5 km; longitude degrees shrink with cos(lat).
            let dlat = max / 110.5;
            let dlon = max / (110.5 * lat.abs().max(m.max_abs_lat).to_radians().cos().max(0.01));
            if !m.points.iter().any(|&(a, b)| (a - lat).abs() <= dlat && ((b - lon + 540.0) % 360.0 - 180.0).abs() <= dlon) {
                return None;
            }
        }
        let dist = self.distance(d, center);
        if let Some(max) = q.max_distance_km {
            if center.is_some() && dist.is_none_or(|x| x > max) {
                return None;
            }
        }
        if q.open_now && !matches!(self.open_state(d, &cx.local), OpenState::Open { .. }) {
            return None;
        }
        Some(dist)
    }

    fn center(&self, q: &Query) -> Result<Option<(f64, f64)>, SearchError> {
        match &q.near {
            None => Ok(None),
            Some(Near::Point { lat, lon }) => {
                if geo::valid_point(*lat, *lon) {
                    Ok(Some((*lat, *lon)))
                } else {
                    Err(SearchError::BadPoint { lat: *lat, lon: *lon })
                }
            }
            Some(Near::Zip(z)) => self.zip_centroid(z).map(Some).ok_or_else(|| SearchError::UnknownZip(z.clone())),
        }
    }

    pub fn search(&self, q: &Query) -> Result<Results, SearchError> {
        if q.limit == 0 || q.limit > 1000 {
            return Err(SearchError::BadLimit(q.limit));
        }
        if let Some(m) = q.max_distance_km {
            if !(m.is_finite() && m > 0.0) {
                return Err(SearchError::BadDistance(m));
            }
        }
        let center = self.center(q)?;
        let cx = Ctx { center, local: self.local_times(q.now) };
        if q.sort == Sort::Distance && center.is_none() {
            return Err(SearchError::DistanceWithoutPlace);
        }
        let (clauses, unmatched) = self.clauses(q);
        let n = self.docs.len();
        // (doc, score, distance)
        let mut cands: Vec<(u32, f32, Option<f64>)> = Vec::new();
        if clauses.is_empty() {
            if unmatched.is_empty() {
                for d in 0..n {
                    if let Some(dist) = self.passes(d, q, &cx) {
                        cands.push((d as u32, 0.0, dist));
                    }
                }
            }
        } else {
            let mut best = vec![0f32; n];
            let mut total = vec![0f32; n];
            let mut matched = vec![0u8; n];
            let mut touched: Vec<u32> = Vec::new();
            let mut clause_touched: Vec<u32> = Vec::new();
            for c in &clauses {
                clause_touched.clear();
                for a in &c.alts {
                    if a.terms.len() == 1 && a.required.is_none() {
                        for p in &self.postings[a.terms[0] as usize] {
                            let s = p.w * a.weight;
                            let b = &mut best[p.doc as usize];
                            if *b == 0.0 {
                                clause_touched.push(p.doc);
                            }
                            if s > *b {
                                *b = s;
                            }
                        }
                    } else {
                        let driver = a
                            .required
                            .into_iter()
                            .chain(a.terms.iter().copied())
                            .min_by_key(|&t| self.df(t))
                            .expect("an alternative has terms");
                        // Walk the rarest list; gallop a cursor along each other list.
                        let driver_counts = a.required != Some(driver);
                        let mut others: Vec<(&[Posting], bool)> = Vec::new();
                        if let Some(r) = a.required.filter(|&r| r != driver) {
                            others.push((&self.postings[r as usize], false));
                        }
                        for &t in a.terms.iter().filter(|&&t| t != driver) {
                            others.push((&self.postings[t as usize], true));
                        }
                        let mut cur = vec![0usize; others.len()];
                        'post: for p in &self.postings[driver as usize] {
                            let mut s = if driver_counts { p.w } else { 0.0 };
                            for (k, (list, counts)) in others.iter().enumerate() {
                                let c = &mut cur[k];
                                let mut step = 1;
                                while *c + step < list.len() && list[*c + step].doc < p.doc {
                                    *c += step;
                                    step *= 2;
                                }
                                let hi = (*c + step + 1).min(list.len());
                                *c += list[*c..hi].partition_point(|x| x.doc < p.doc);
                                if *c >= list.len() || list[*c].doc != p.doc {
                                    continue 'post;
                                }
                                if *counts {
                                    s += list[*c].w;
                                }
                            }
                            let s = s * a.weight;
                            let b = &mut best[p.doc as usize];
                            if *b == 0.0 {
                                clause_touched.push(p.doc);
                            }
                            if s > *b {
                                *b = s;
                            }
                        }
                    }
                }
                for &d in &clause_touched {
                    let d = d as usize;
                    if matched[d] == 0 {
                        touched.push(d as u32);
                    }
                    total[d] += best[d];
                    matched[d] += 1;
                    best[d] = 0.0;
                }
            }
            let nc = clauses.len() as f32;
            for &d in &touched {
                let du = d as usize;
                if let Some(dist) = self.passes(du, q, &cx) {
                    let coord = f32::from(matched[du]) / nc;
                    cands.push((d, total[du] * coord * coord, dist));
                }
            }
        }
        let total = cands.len();
        let end = (q.offset + q.limit).min(total);
        let text_empty = clauses.is_empty();
        let cmp = |a: &(u32, f32, Option<f64>), b: &(u32, f32, Option<f64>)| {
            let by_dist = |a: &Option<f64>, b: &Option<f64>| match (a, b) {
                (Some(x), Some(y)) => x.total_cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            let primary = if q.sort == Sort::Distance || (text_empty && center.is_some()) {
                by_dist(&a.2, &b.2).then(b.1.total_cmp(&a.1))
            } else {
                b.1.total_cmp(&a.1)
            };
            primary.then(self.meta[a.0 as usize].name_rank.cmp(&self.meta[b.0 as usize].name_rank))
        };
        if end > 0 && end < total {
            cands.select_nth_unstable_by(end - 1, cmp);
            cands.truncate(end);
        }
        cands.sort_unstable_by(cmp);
        let hits = cands
            .iter()
            .skip(q.offset)
            .map(|&(d, score, dist)| self.hit(d as usize, score, dist, &clauses, q))
            .collect();
        Ok(Results { total, hits, unmatched_words: unmatched, center })
    }

    fn hit(&self, d: usize, score: f32, dist: Option<f64>, clauses: &[Clause], q: &Query) -> Hit {
        let doc = &self.docs[d];
        let m = &self.meta[d];
        let mut why = Vec::new();
        for c in clauses {
            let mut best: Option<(f32, &Alt, u8)> = None;
            for a in &c.alts {
                let Some((s, mask)) = self.alt_score(a, d as u32) else { continue };
                if best.is_none_or(|b| s * a.weight > b.0) {
                    best = Some((s * a.weight, a, mask));
                }
            }
            if let Some((_, a, mask)) = best {
                let fields = FIELDS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, f)| *f).collect();
                why.push(Why::Matched { words: c.typed.clone(), matched: a.text.clone(), fields, via: a.via.clone() });
            }
        }
        let open = self.open_state(d, &self.local_times(q.now));
        if q.open_now {
            if let OpenState::Open { until } = open {
                why.push(Why::OpenNow { until: until.map(|t| t.strftime("%H:%M").to_string()) });
            }
        }
        if let Some(km) = dist {
            why.push(Why::Distance { km, miles: geo::km_to_miles(km) });
        }
        for l in &q.languages {
            why.push(Why::Language { language: l.clone() });
        }
        if q.cost.is_some() {
            why.push(Why::Cost { cost: doc.cost });
        }
        for t in &q.accessibility {
            why.push(Why::Accessible { tag: t.clone() });
        }
        if !q.taxonomy.is_empty() {
            for (i, (code, name)) in m.taxonomy.iter().enumerate() {
                if q.taxonomy.iter().any(|f| {
                    let f = f.to_lowercase();
                    code.starts_with(&f) || *name == f
                }) {
                    why.push(Why::Taxonomy { code: doc.taxonomy[i].code.clone(), name: doc.taxonomy[i].name.clone() });
                }
            }
        }
        let today = q.now.to_zoned(self.tzs[m.tz as usize].clone()).date();
        let stale = match doc.last_verified {
            None => true,
            Some(v) => v.until(today).map(|s| s.get_days() as i64 > q.stale_after_days).unwrap_or(true),
        };
        Hit {
            doc: d,
            id: doc.id.clone(),
            score,
            distance_km: dist,
            open_now: match open {
                OpenState::Open { .. } => Some(true),
                OpenState::Closed => Some(false),
                OpenState::Unknown => None,
            },
            stale,
            why,
        }
    }
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Matched { words, matched, fields, via } => {
                let fields: Vec<String> = fields.iter().map(|x| format!("{x:?}").to_lowercase()).collect();
                match via {
                    Via::Exact => write!(f, "\"{words}\" in {}", fields.join(", ")),
                    Via::Synonym { of } => write!(f, "\"{matched}\" (same as \"{of}\") in {}", fields.join(", ")),
                    Via::Typo { typed, .. } => write!(f, "\"{matched}\" (read for \"{typed}\") in {}", fields.join(", ")),
                    Via::Prefix { typed } => write!(f, "\"{matched}\" (starts with \"{typed}\") in {}", fields.join(", ")),
                }
            }
            Why::OpenNow { until: Some(t) } => write!(f, "open now, until {t}"),
            Why::OpenNow { until: None } => write!(f, "open now, all day"),
            Why::Distance { km, miles } => write!(f, "{km:.1} km ({miles:.1} mi) away"),
            Why::Language { language } => write!(f, "speaks {language}"),
            Why::Cost { cost } => write!(f, "cost: {cost:?}"),
            Why::Accessible { tag } => write!(f, "accessible: {tag}"),
            Why::Taxonomy { code, name } => write!(f, "category {code} {name}"),
        }
    }
}
