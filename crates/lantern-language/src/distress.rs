//! Distress / threat-to-safety cues.
//!
//! A separate pass from the language checker so that a stigma suggestion can
//! never hide a safety prompt. Cues come from `rules/distress-v1.json` (our own
//! third-person wording, seeded from the constructs of the Suicide Risk Lexicon
//! and C-SSRS concepts, never instrument items). Each cue candidate then goes
//! through ConText-style modifiers, each scoped to its clause:
//!
//! * **negation** ("denies SI", "no thoughts of hurting himself"), with strong
//!   triggers (denies…) and weak ones (no, not…) that only reach the cue across
//!   "bridge" words, so "has no job and wants to die" still fires;
//! * **temporality** (history of, in 2015, last winter) unless a recency marker
//!   (last night, this week, again) sits in the same clause;
//! * **hypothetical / educational** frames (prevention, training, a novel…);
//! * **experiencer**: a self-directed cue about a brother or a friend is not
//!   the person's crisis;
//! * **idioms** ("killing me", "dying to") drop overlapping cues.
//!
//! The design leans to recall: an affirmed cue in one clause is never cancelled
//! by a negated one elsewhere ("denies SI but said nobody would notice…").

use crate::norm::{
    phrase_tokens, starts_with_phrase, tokens_after, tokens_before, word_set, FxHashSet,
    Normalized, PhraseSet, SpanSet, Tok,
};
use crate::rules::{expand, spelling_variants};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};

pub(crate) const BUILTIN_DISTRESS: &str = include_str!("../rules/distress-v1.json");

#[derive(Deserialize)]
struct LexiconFile {
    version: String,
    slots: BTreeMap<String, Vec<String>>,
    cues: Vec<CueFile>,
    idioms: Vec<String>,
    negation_strong: Vec<String>,
    negation_weak: Vec<String>,
    pseudo_negation: Vec<String>,
    negation_bridge: Vec<String>,
    terminators: Vec<String>,
    post_negation: Vec<String>,
    historical: Vec<String>,
    recent: Vec<String>,
    hypothetical: Vec<String>,
    third_party: Vec<String>,
    self_refs: Vec<String>,
}

#[derive(Deserialize)]
struct CueFile {
    id: String,
    kind: String,
    tier: Tier,
    patterns: Vec<String>,
    #[serde(default = "yes")]
    self_directed: bool,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    then: Vec<String>,
    #[serde(default)]
    within: usize,
    #[serde(default)]
    not_before: Vec<String>,
    #[serde(default)]
    not_after: Vec<String>,
    #[serde(default)]
    prev_any: Vec<String>,
    #[serde(default)]
    next_any: Vec<String>,
}

fn yes() -> bool {
    true
}

/// How strongly a cue alone should prompt the crisis protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Tier {
    /// Intent, plan, means, preparation, recent attempt/self-harm, threats, violence.
    Urgent,
    /// Ideation (active or passive), burdensomeness, entrapment, command hallucinations.
    Concern,
    /// Hopelessness and similar: only counts together with another cue.
    Context,
}

pub(crate) struct CompiledCue {
    pub id: String,
    pub kind: String,
    pub tier: Tier,
    pub self_directed: bool,
    pub case_sensitive: bool,
    then: Vec<Vec<String>>,
    within: usize,
    not_before: PhraseSet,
    not_after: PhraseSet,
    prev_any: FxHashSet<String>,
    next_any: FxHashSet<String>,
    next_any_end: bool,
}

/// The compiled lexicon. Patterns are handed to the shared automaton by the checker.
pub(crate) struct Lexicon {
    pub version: String,
    pub cues: Vec<CompiledCue>,
    /// (normalized pattern, cue index, original-case pattern)
    pub cue_patterns: Vec<(String, usize, String)>,
    /// Exact-case cues of two or three letters ("SI", "HI"): searched for
    /// directly in the original text, because as automaton patterns their
    /// lower-case forms hit inside every "this" and "visit".
    pub short_exact: Vec<(String, usize)>,
    pub idioms: Vec<String>,
    neg_strong: PhraseSet,
    neg_weak: PhraseSet,
    pseudo: PhraseSet,
    bridge: FxHashSet<String>,
    terminators: FxHashSet<String>,
    post_neg: PhraseSet,
    historical: PhraseSet,
    recent: PhraseSet,
    hypothetical: PhraseSet,
    third_party: FxHashSet<String>,
    self_refs: FxHashSet<String>,
}

fn toks(list: &[String]) -> PhraseSet {
    PhraseSet::from_strs(list)
}

fn set(list: &[String]) -> FxHashSet<String> {
    word_set(list)
}

/// Spanish cues are typed with and without accents; add the plain variant.
fn strip_accents(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            'ü' => 'u',
            'ñ' => 'n',
            _ => c,
        })
        .collect()
}

impl Lexicon {
    pub fn from_json(json: &str) -> Result<Lexicon, String> {
        let f: LexiconFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let mut cues: Vec<CompiledCue> = Vec::new();
        let mut cue_patterns = Vec::new();
        let mut short_exact = Vec::new();
        for (i, c) in f.cues.iter().enumerate() {
            if cues.iter().any(|x| x.id == c.id) {
                return Err(format!("duplicate cue id {}", c.id));
            }
            let mut seen = HashSet::new();
            for p in &c.patterns {
                for v in expand(p, &f.slots)? {
                    let mut vars = spelling_variants(&v, false);
                    let plain = strip_accents(&v);
                    if plain != v {
                        vars.push(plain);
                    }
                    for var in vars {
                        let n = crate::norm::normalize(&var);
                        if n.trim().is_empty() {
                            return Err(format!("cue {} has an empty pattern", c.id));
                        }
                        if !seen.insert(n.clone()) {
                            continue;
                        }
                        if c.case_sensitive
                            && var.len() <= 3
                            && var.chars().all(|ch| ch.is_ascii_alphabetic())
                        {
                            short_exact.push((var, i));
                        } else {
                            cue_patterns.push((n, i, var));
                        }
                    }
                }
            }
            let mut then = Vec::new();
            for t in &c.then {
                for v in expand(t, &f.slots)? {
                    then.push(phrase_tokens(&v));
                }
            }
            let mut next_any = set(&c.next_any);
            let next_any_end = next_any.remove("$");
            cues.push(CompiledCue {
                id: c.id.clone(),
                kind: c.kind.clone(),
                tier: c.tier,
                self_directed: c.self_directed,
                case_sensitive: c.case_sensitive,
                then,
                within: if c.within == 0 { 6 } else { c.within },
                not_before: toks(&c.not_before),
                not_after: toks(&c.not_after),
                prev_any: set(&c.prev_any),
                next_any,
                next_any_end,
            });
        }
        let mut idioms = Vec::new();
        for p in &f.idioms {
            for v in expand(p, &f.slots)? {
                idioms.push(crate::norm::normalize(&v));
            }
        }
        Ok(Lexicon {
            version: f.version,
            cues,
            cue_patterns,
            short_exact,
            idioms,
            neg_strong: toks(&f.negation_strong),
            neg_weak: toks(&f.negation_weak),
            pseudo: toks(&f.pseudo_negation),
            bridge: set(&f.negation_bridge),
            terminators: set(&f.terminators),
            post_neg: toks(&f.post_negation),
            historical: toks(&f.historical),
            recent: toks(&f.recent),
            hypothetical: toks(&f.hypothetical),
            third_party: set(&f.third_party),
            self_refs: set(&f.self_refs),
        })
    }

    pub fn builtin() -> Lexicon {
        Lexicon::from_json(BUILTIN_DISTRESS).unwrap_or_else(|_| Lexicon::empty())
    }

    fn empty() -> Lexicon {
        Lexicon {
            version: "invalid-builtin".into(),
            cues: Vec::new(),
            cue_patterns: Vec::new(),
            short_exact: Vec::new(),
            idioms: Vec::new(),
            neg_strong: PhraseSet::default(),
            neg_weak: PhraseSet::default(),
            pseudo: PhraseSet::default(),
            bridge: FxHashSet::default(),
            terminators: FxHashSet::default(),
            post_neg: PhraseSet::default(),
            historical: PhraseSet::default(),
            recent: PhraseSet::default(),
            hypothetical: PhraseSet::default(),
            third_party: FxHashSet::default(),
            self_refs: FxHashSet::default(),
        }
    }
}

/// A cue candidate from the automaton, in normalized offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CueCand {
    pub start: usize,
    pub end: usize,
    pub cue: usize,
}

/// Idiom spans found by the automaton in one text.
#[derive(Default)]
pub(crate) struct Markers {
    pub idioms: SpanSet,
}

/// An affirmed cue, in normalized offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Affirmed {
    pub start: usize,
    pub end: usize,
    pub cue: usize,
}

fn is_year(t: &str) -> bool {
    t.len() == 4
        && t.bytes().all(|b| b.is_ascii_digit())
        && (t.starts_with("19") || t.starts_with("20"))
}

impl Lexicon {
    /// Evaluate one candidate; `Some` with the (possibly extended) span if affirmed.
    pub fn evaluate(&self, n: &Normalized, c: CueCand, m: &Markers) -> Option<Affirmed> {
        let s = n.text.as_str();
        let cue = self.cues.get(c.cue)?;
        if m.idioms.overlaps(c.start, c.end) {
            return None;
        }
        let (before, _) = tokens_before(s, c.start, 12, true);
        let (after, _) = tokens_after(s, c.end, 12, true);
        // a `then` phrase extends the cue within a few words of the anchor
        let mut end = c.end;
        let mut after_from = 0;
        if !cue.then.is_empty() {
            let lim = cue.within.min(after.len());
            let mut found = None;
            for i in 0..lim {
                if let Some(p) = cue.then.iter().find(|p| starts_with_phrase(&after[i..], p)) {
                    found = Some((after[i + p.len() - 1].end, i + p.len()));
                    break;
                }
            }
            let (e, k) = found?;
            end = e;
            after_from = k;
        }
        let rest = &after[after_from..];
        // cue-specific filters, relative to the full cue
        if cue.not_before.starts(rest) || cue.not_after.ends(&before) {
            return None;
        }
        if !cue.prev_any.is_empty() {
            match before.first() {
                Some(t) if cue.prev_any.contains(t.text) => {}
                _ => return None,
            }
        }
        if !cue.next_any.is_empty() || cue.next_any_end {
            let ok = match rest.first() {
                None => cue.next_any_end,
                Some(t) => {
                    // punctuation directly after the cue counts as a clause end
                    let gap = s.get(end..t.start).unwrap_or("");
                    (cue.next_any_end && gap.contains([',', '.', ';', ':', '!', '?']))
                        || cue.next_any.contains(t.text)
                }
            };
            if !ok {
                return None;
            }
        }
        // clause in reading order: before (reversed) + after
        let mut clause: Vec<Tok<'_>> = Vec::with_capacity(before.len() + after.len());
        clause.extend(before.iter().rev().copied());
        let nb = clause.len();
        if self.negated_before(&clause) || self.negated_after(s, end) {
            return None;
        }
        clause.extend(after[after_from..].iter().copied());
        // temporality over the clause: a historical marker without a recency marker
        let historical = self.historical.any_in(&clause)
            || clause.windows(2).any(|w| {
                matches!(w[0].text, "in" | "since" | "during" | "around" | "en")
                    && is_year(w[1].text)
            });
        if historical && !self.recent.any_in(&clause) {
            return None;
        }
        // hypothetical / educational frame before the cue
        if self.hypothetical.any_in(&clause[nb.saturating_sub(12)..nb]) {
            return None;
        }
        if cue.self_directed && self.third_party_experiencer(&before) {
            return None;
        }
        Some(Affirmed {
            start: c.start,
            end,
            cue: c.cue,
        })
    }

    /// NegEx-style look-back over the clause before the cue (reading order).
    fn negated_before(&self, reading: &[Tok<'_>]) -> bool {
        let n = reading.len();
        // nearest trigger first; stop at a scope terminator
        for j in (n.saturating_sub(10)..n).rev() {
            if self.terminators.contains(reading[j].text) {
                return false;
            }
            let rest = &reading[j..];
            if self.pseudo.starts(rest) {
                continue;
            }
            if self.neg_strong.starts(rest) {
                return true;
            }
            if let Some(len) = self.neg_weak.match_at(reading, j) {
                // weak trigger: every word between it and the cue must be a bridge word
                let between = &reading[j + len..];
                if between
                    .iter()
                    .all(|t| self.bridge.contains(t.text) || self.bridge.contains(t.base()))
                {
                    return true;
                }
            }
        }
        false
    }

    /// "SI: negative", "SI/HI – denied", "suicidal ideation: none".
    fn negated_after(&self, s: &str, end: usize) -> bool {
        let (after, _) = tokens_after_loose(s, end, 6);
        let mut i = 0;
        while i < after.len()
            && matches!(
                after[i].text,
                "si" | "hi" | "avh" | "ah" | "vh" | "or" | "and" | "intent" | "plan" | "ideation"
            )
        {
            i += 1;
        }
        i < after.len() && self.post_neg.starts(&after[i..])
    }

    /// Whether the nearest person mentioned before a self-directed cue is someone else.
    fn third_party_experiencer(&self, before: &[Tok<'_>]) -> bool {
        for (i, t) in before.iter().enumerate().take(12) {
            let base = t.base();
            if self.self_refs.contains(t.text) || self.self_refs.contains(base) {
                return false;
            }
            if self.third_party.contains(base) || self.third_party.contains(t.text) {
                // "at his sister's house … using it on himself": a possessive
                // that modifies a place or thing is not the experiencer.
                if t.text.ends_with("'s") && i > 0 {
                    let next = before[i - 1].text;
                    if matches!(
                        next,
                        "house"
                            | "home"
                            | "place"
                            | "apartment"
                            | "car"
                            | "room"
                            | "phone"
                            | "address"
                            | "couch"
                            | "yard"
                            | "garage"
                            | "office"
                            | "truck"
                    ) {
                        continue;
                    }
                }
                return true;
            }
        }
        false
    }
}

/// Forward tokens that step over ':' '-' '=' '/' so "SI: negative" is one run.
fn tokens_after_loose(s: &str, pos: usize, max: usize) -> (Vec<Tok<'_>>, bool) {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = pos.min(b.len());
    while out.len() < max {
        while i < b.len() && matches!(b[i], b' ' | b':' | b'-' | b'=' | b'/' | b',' | b'\t') {
            i += 1;
        }
        if i >= b.len() {
            return (out, true);
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'\'' || b[i] >= 0x80) {
            i += 1;
        }
        if i == start {
            return (out, true);
        }
        if let Some(text) = s.get(start..i) {
            out.push(Tok {
                start,
                end: i,
                text,
            });
        } else {
            return (out, true);
        }
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let l = Lexicon::from_json(BUILTIN_DISTRESS);
        assert!(l.is_ok(), "{:?}", l.err());
        let l = l.unwrap_or_else(|_| Lexicon::empty());
        assert!(l.cues.len() > 30);
        assert!(l.cue_patterns.len() > 500);
    }
}
