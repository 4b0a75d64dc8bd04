//! # lantern-language
//!
//! A fast, context-aware checker for recovery-oriented language in
//! peer-support notes, plus a separate pass that looks for signs of distress
//! and threats to safety.
//!
//! * **Language**: one Aho–Corasick automaton over every surface form of every
//!   rule (plus organization names and distress cues), run over a normalized
//!   copy of the note. Each match then passes per-rule context filters:
//!   quoted speech, organization names, self-description, innocent senses
//!   ("clean clothes", "dirty dishes", "the landlord refused"), clinical terms.
//!   Every flag names its rule, category, severity, suggestions, and the
//!   guides behind it.
//! * **Distress**: cues for suicidal ideation (explicit and passive), plans and
//!   means, preparation, self-harm, overdose, threats to others and violence,
//!   hopelessness, with negation, temporality, hypotheticals, third parties and
//!   idioms handled. The result is a prompt to follow the organization's
//!   crisis protocol, never a risk score.
//!
//! ## What is not handled (by design or not yet)
//!
//! * Single quotation marks are not treated as quotes (they are
//!   indistinguishable from apostrophes); only double quotes (straight or
//!   curly, « ») suppress flags.
//! * Attribution of a quote is approximated: quoted words are treated as the
//!   person's own (or reported) speech; only rules marked
//!   `flag_unless_first_person` (e.g. `junkie`) still flag a third party's
//!   non-first-person quote.
//! * Terms split across a hard line break are not matched (line breaks are
//!   kept as boundaries because they separate template fields).
//! * Subjects are found with a local heuristic (pronouns, role nouns,
//!   capitalized names, known third parties), not a parser: long relative
//!   clauses or passive voice can defeat it ("the medication was refused").
//! * Metaphorical or colloquial uses are downgraded to `info` only for the
//!   mental-health slang rule; other metaphor detection is per-rule lists.
//! * Distress: negation scope is the clause (stopped by "but", reporting verbs,
//!   punctuation); sarcasm, long-range coreference ("she" three sentences
//!   later) and hypotheticals without a marker word are not modelled; "if"
//!   conditionals are deliberately *not* suppressed ("if he goes back to jail
//!   he will kill himself"). Hopelessness-type cues alone need a second cue.
//! * Spanish coverage is a phrase list for common first/third-person SI,
//!   self-harm and threat phrasings, not a full second language for terms.
//!
//! The crate does no I/O. Rules are data embedded at compile time
//! (`rules/terms-v1.json`, `rules/distress-v1.json`); organizations tune them
//! with [`Overrides`].
//!
//! ```
//! use lantern_language::Checker;
//! let checker = Checker::builtin();
//! let report = checker.check("he is an addict who relapsed, UA came back dirty");
//! assert!(report.flags.iter().any(|f| f.text == "addict"));
//! assert!(report.flags.iter().any(|f| f.text == "came back dirty"));
//! ```
#![forbid(unsafe_code)]

mod distress;
pub mod jsonl;
mod norm;
mod rules;
mod terms;

pub use rules::{
    Form, FormSpec, Overrides, QuotePolicy, Rule, RuleError, RuleSet, Sense, Severity, Source,
};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use distress::{CueCand, Lexicon, Tier};
use norm::{on_word_boundaries, Normalized, SpanSet};
use serde::Serialize;
use std::collections::HashMap;
use terms::{CompiledTerms, Ctx, Decision, TermCand};

/// One language flag. Offsets are UTF-8 byte offsets into the checked text, end exclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub start: usize,
    pub end: usize,
    /// The flagged text exactly as it appears in the note.
    pub text: String,
    pub rule: String,
    pub category: String,
    pub severity: Severity,
    /// Alternatives; `[bracketed]` parts are slots for the writer to fill.
    pub suggestions: Vec<String>,
    /// Why, and on whose guidance.
    pub reason: String,
    /// Source keys (see [`RuleSet::sources`]).
    pub sources: Vec<String>,
}

/// How strongly the distress pass asks for the crisis protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Ideation, burdensomeness, entrapment: review with the person per protocol.
    Concern,
    /// Intent, plan, means, preparation, recent attempt or self-harm, threats, violence.
    Urgent,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Concern => "concern",
            Level::Urgent => "urgent",
        }
    }
}

/// One piece of evidence for the distress prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cue {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// e.g. `suicidal_ideation`, `passive_ideation`, `plan_or_means`, `self_harm`,
    /// `overdose`, `attempt`, `harm_to_others`, `violence`, `hopelessness`.
    pub kind: String,
}

/// The distress result for one text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct Distress {
    pub flagged: bool,
    pub level: Option<Level>,
    pub cues: Vec<Cue>,
}

/// Everything found in one text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct Report {
    pub flags: Vec<Flag>,
    pub distress: Distress,
}

impl Report {
    /// Whether any flag is `warn` level (the CLI exits 1 then).
    pub fn has_warnings(&self) -> bool {
        self.flags.iter().any(|f| f.severity == Severity::Warn)
    }

    /// Convert every span to UTF-16 code-unit offsets (for browser `Range`s),
    /// in one pass over the text.
    pub fn to_utf16(&self, text: &str) -> Report {
        let idx = Utf16Index::new(text);
        let mut r = self.clone();
        for f in &mut r.flags {
            f.start = idx.get(f.start);
            f.end = idx.get(f.end);
        }
        for c in &mut r.distress.cues {
            c.start = idx.get(c.start);
            c.end = idx.get(c.end);
        }
        r
    }
}

/// UTF-16 offset of a UTF-8 byte offset (clamped to the text; a byte offset
/// inside a character counts from that character's start).
pub fn utf16_offsets(text: &str, byte_offset: usize) -> usize {
    let mut off = byte_offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    text[..off].chars().map(char::len_utf16).sum()
}

/// Converts many byte offsets to UTF-16 offsets without rescanning the text.
pub struct Utf16Index {
    /// (byte offset, utf16 offset, starts a multi-byte char) at every
    /// non-ASCII character start and end; ASCII runs in between map 1:1.
    marks: Vec<(usize, usize, bool)>,
    len: usize,
}

impl Utf16Index {
    pub fn new(text: &str) -> Utf16Index {
        let mut marks = vec![(0, 0, false)];
        let mut u = 0;
        for (i, c) in text.char_indices() {
            if c.is_ascii() {
                u += 1;
            } else {
                marks.push((i, u, true));
                u += c.len_utf16();
                marks.push((i + c.len_utf8(), u, false));
            }
        }
        Utf16Index {
            marks,
            len: text.len(),
        }
    }

    /// UTF-16 offset of a byte offset (same clamping as [`utf16_offsets`]).
    pub fn get(&self, byte_offset: usize) -> usize {
        let b = byte_offset.min(self.len);
        let i = self
            .marks
            .partition_point(|&(m, _, _)| m <= b)
            .saturating_sub(1);
        match self.marks.get(i) {
            Some(&(m, u, true)) if b > m => u,
            Some(&(m, u, _)) => u + (b - m),
            None => 0,
        }
    }
}

/// A flag before its strings are materialized (the JSONL writer renders it
/// straight from the compiled rule).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawFlag {
    pub start: usize,
    pub end: usize,
    pub rule: usize,
    pub severity: Severity,
}

pub(crate) struct RawReport {
    pub flags: Vec<RawFlag>,
    pub distress: Distress,
}

#[derive(Clone, Debug)]
enum Target {
    Term {
        rule: u32,
        form: u32,
        exact: Option<Box<str>>,
    },
    Name,
    SelfDesc,
    Literature,
    Cue {
        cue: u32,
        exact: Option<Box<str>>,
    },
    Idiom,
}

struct PatInfo {
    starts_word: bool,
    ends_word: bool,
    targets: Vec<Target>,
}

/// The checker: built once from rules, then shared (`Send + Sync`, keep it in an `Arc`).
pub struct Checker {
    ac: Option<AhoCorasick>,
    pats: Vec<PatInfo>,
    terms: CompiledTerms,
    lexicon: Lexicon,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("terms_version", &self.terms.version)
            .field("distress_version", &self.lexicon.version)
            .field("patterns", &self.pats.len())
            .field("term_patterns", &self.terms.patterns.len())
            .field("cue_patterns", &self.lexicon.cue_patterns.len())
            .field(
                "automaton_bytes",
                &self.ac.as_ref().map(|a| a.memory_usage()).unwrap_or(0),
            )
            .finish()
    }
}

impl Checker {
    /// The checker for the embedded rules. Building takes a few milliseconds:
    /// do it once and share the result.
    pub fn builtin() -> Checker {
        match Checker::from_parts(&RuleSet::builtin(), Lexicon::builtin()) {
            Ok(c) => c,
            // The embedded data is validated by the test suite; never panic in a server.
            Err(_) => Checker::empty(),
        }
    }

    /// A checker for a rule set (e.g. loaded from an organization's JSON).
    pub fn new(rules: &RuleSet) -> Result<Checker, RuleError> {
        rules.validate()?;
        Checker::from_parts(rules, Lexicon::builtin())
    }

    /// The base rules with an organization's overrides applied.
    pub fn with_overrides(base: &RuleSet, overrides: &Overrides) -> Result<Checker, RuleError> {
        let rs = base.apply(overrides)?;
        Checker::from_parts(&rs, Lexicon::builtin())
    }

    /// Versions of the term rules and the distress lexicon in use.
    pub fn versions(&self) -> (&str, &str) {
        (&self.terms.version, &self.lexicon.version)
    }

    fn empty() -> Checker {
        let terms = CompiledTerms {
            version: "invalid-builtin".into(),
            rules: Vec::new(),
            patterns: Vec::new(),
            names: Vec::new(),
            self_description: Vec::new(),
            literature: Vec::new(),
        };
        Checker {
            ac: None,
            pats: Vec::new(),
            terms,
            lexicon: Lexicon::builtin(),
        }
    }

    fn from_parts(rules: &RuleSet, lexicon: Lexicon) -> Result<Checker, RuleError> {
        let terms = terms::compile(rules)?;
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut pats: Vec<PatInfo> = Vec::new();
        let mut strings: Vec<String> = Vec::new();
        let mut add = |p: &str, t: Target| {
            let i = *index.entry(p.to_string()).or_insert_with(|| {
                strings.push(p.to_string());
                let starts = p.chars().next().map(norm::is_word_char).unwrap_or(false);
                let ends = p
                    .chars()
                    .next_back()
                    .map(norm::is_word_char)
                    .unwrap_or(false);
                pats.push(PatInfo {
                    starts_word: starts,
                    ends_word: ends,
                    targets: Vec::new(),
                });
                pats.len() - 1
            });
            pats[i].targets.push(t);
        };
        for (p, ri, fi, orig) in &terms.patterns {
            let exact = terms.rules[*ri].forms[*fi]
                .case_sensitive
                .then(|| orig.clone().into_boxed_str());
            add(
                p,
                Target::Term {
                    rule: *ri as u32,
                    form: *fi as u32,
                    exact,
                },
            );
        }
        for n in &terms.names {
            add(n, Target::Name);
        }
        for n in &terms.self_description {
            add(n, Target::SelfDesc);
        }
        for n in &terms.literature {
            add(n, Target::Literature);
        }
        for (p, ci, orig) in &lexicon.cue_patterns {
            let exact = lexicon.cues[*ci]
                .case_sensitive
                .then(|| orig.clone().into_boxed_str());
            add(
                p,
                Target::Cue {
                    cue: *ci as u32,
                    exact,
                },
            );
        }
        for p in &lexicon.idioms {
            add(p, Target::Idiom);
        }

        let ac = if strings.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&strings)
                    .map_err(|e| RuleError::Build(e.to_string()))?,
            )
        };
        Ok(Checker {
            ac,
            pats,
            terms,
            lexicon,
        })
    }

    /// Check one text. Never panics; offsets are UTF-8 byte offsets into `text`.
    pub fn check(&self, text: &str) -> Report {
        let raw = self.check_raw(text);
        let flags = raw
            .flags
            .iter()
            .filter_map(|f| {
                let rule = self.terms.rules.get(f.rule)?;
                Some(Flag {
                    start: f.start,
                    end: f.end,
                    text: text.get(f.start..f.end)?.to_string(),
                    rule: rule.id.clone(),
                    category: rule.category.clone(),
                    severity: f.severity,
                    suggestions: rule.suggestions.clone(),
                    reason: rule.reason.clone(),
                    sources: rule.sources.clone(),
                })
            })
            .collect();
        Report {
            flags,
            distress: raw.distress,
        }
    }

    /// Pre-rendered JSON members of a rule (see `jsonl`).
    pub(crate) fn rule_json(&self, rule: usize) -> Option<(&str, &str)> {
        self.terms
            .rules
            .get(rule)
            .map(|r| (r.json_head.as_str(), r.json_tail.as_str()))
    }

    pub(crate) fn check_raw(&self, text: &str) -> RawReport {
        let ac = match &self.ac {
            Some(ac) => ac,
            None => {
                return RawReport {
                    flags: Vec::new(),
                    distress: Distress::default(),
                }
            }
        };
        let n = Normalized::new(text);
        let s = n.text.as_str();
        let mut term_cands: Vec<TermCand> = Vec::new();
        let mut names: Vec<(usize, usize)> = Vec::new();
        let mut self_desc: Vec<(usize, usize)> = Vec::new();
        let mut literature: Vec<(usize, usize)> = Vec::new();
        let mut cue_cands: Vec<CueCand> = Vec::new();
        let mut idioms: Vec<(usize, usize)> = Vec::new();

        // Overlapping search: every form is reported, so a longer candidate
        // that fails its context check cannot hide a shorter one that passes.
        for m in ac.find_overlapping_iter(s) {
            let Some(info) = self.pats.get(m.pattern().as_usize()) else {
                continue;
            };
            let (a, b) = (m.start(), m.end());
            if !on_word_boundaries(s, a, b, info.starts_word, info.ends_word) {
                continue;
            }
            for t in &info.targets {
                match t {
                    Target::Term { rule, form, exact } => {
                        if let Some(e) = exact {
                            if !exact_matches(text, &n, a, b, e) {
                                continue;
                            }
                        }
                        term_cands.push(TermCand {
                            start: a,
                            end: b,
                            rule: *rule as usize,
                            form: *form as usize,
                        });
                    }
                    Target::Name => names.push((a, b)),
                    Target::SelfDesc => self_desc.push((a, b)),
                    Target::Literature => literature.push((a, b)),
                    Target::Cue { cue, exact } => {
                        if let Some(e) = exact {
                            if !exact_matches(text, &n, a, b, e) {
                                continue;
                            }
                        }
                        cue_cands.push(CueCand {
                            start: a,
                            end: b,
                            cue: *cue as usize,
                        });
                    }
                    Target::Idiom => idioms.push((a, b)),
                }
            }
        }
        for (pat, cue) in &self.lexicon.short_exact {
            for (os, m) in text.match_indices(pat.as_str()) {
                let oe = os + m.len();
                let before_ok = text[..os]
                    .chars()
                    .next_back()
                    .map(|c| !norm::is_word_char(c))
                    .unwrap_or(true);
                let after_ok = text[oe..]
                    .chars()
                    .next()
                    .map(|c| !norm::is_word_char(c))
                    .unwrap_or(true);
                if before_ok && after_ok {
                    cue_cands.push(CueCand {
                        start: n.to_norm(os),
                        end: n.to_norm(oe),
                        cue: *cue,
                    });
                }
            }
        }
        let flags = if term_cands.is_empty() {
            Vec::new()
        } else {
            let ctx = Ctx {
                orig: text,
                n: &n,
                terms: &self.terms,
                names: &SpanSet::new(names),
                self_desc: &SpanSet::new(self_desc),
                literature: &SpanSet::new(literature),
            };
            self.resolve_terms(text, &n, &term_cands, &ctx)
        };
        let distress = if cue_cands.is_empty() {
            Distress::default()
        } else {
            let markers = distress::Markers {
                idioms: SpanSet::new(idioms),
            };
            self.resolve_distress(text, &n, &cue_cands, &markers)
        };
        RawReport { flags, distress }
    }

    fn resolve_terms(
        &self,
        text: &str,
        n: &Normalized,
        cands: &[TermCand],
        ctx: &Ctx<'_>,
    ) -> Vec<RawFlag> {
        let mut kept: Vec<(TermCand, Severity)> = Vec::new();
        for &c in cands {
            if let Decision::Keep(sev) = ctx.decide(c) {
                kept.push((c, sev));
            }
        }
        // leftmost-longest among the accepted; warn before info on ties
        kept.sort_by(|(a, sa), (b, sb)| {
            a.start
                .cmp(&b.start)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
                .then(sa.cmp(sb))
                .then(a.rule.cmp(&b.rule))
        });
        let mut out: Vec<RawFlag> = Vec::new();
        let mut last_end = 0usize;
        for (c, sev) in kept {
            if !out.is_empty() && c.start < last_end {
                continue;
            }
            let (os, oe) = (n.to_orig(c.start), n.to_orig(c.end));
            if os >= oe || text.get(os..oe).is_none() || c.rule >= self.terms.rules.len() {
                continue;
            }
            last_end = c.end;
            out.push(RawFlag {
                start: os,
                end: oe,
                rule: c.rule,
                severity: sev,
            });
        }
        out
    }

    fn resolve_distress(
        &self,
        text: &str,
        n: &Normalized,
        cands: &[CueCand],
        markers: &distress::Markers,
    ) -> Distress {
        if cands.is_empty() {
            return Distress::default();
        }
        let mut aff = Vec::new();
        for &c in cands {
            if let Some(a) = self.lexicon.evaluate(n, c, markers) {
                aff.push(a);
            }
        }
        if aff.is_empty() {
            return Distress::default();
        }
        let tier = |a: &distress::Affirmed| self.lexicon.cues[a.cue].tier;
        // contextual cues (hopelessness, feeling trapped) count only in pairs:
        // two separate statements, not one phrase matched twice
        let mut ctx_spans: Vec<(usize, usize)> = aff
            .iter()
            .filter(|a| tier(a) == Tier::Context)
            .map(|a| (a.start, a.end))
            .collect();
        ctx_spans.sort_unstable();
        let mut ctx_count = 0;
        let mut ctx_end = 0;
        for (i, &(s0, e0)) in ctx_spans.iter().enumerate() {
            if i == 0 || s0 >= ctx_end {
                ctx_count += 1;
            }
            ctx_end = ctx_end.max(e0);
        }
        let strong = aff.iter().any(|a| tier(a) != Tier::Context);
        let flagged = strong || ctx_count >= 2;
        if !flagged {
            return Distress::default();
        }
        let kinds: Vec<&str> = aff
            .iter()
            .map(|a| self.lexicon.cues[a.cue].kind.as_str())
            .collect();
        let ideation = kinds
            .iter()
            .any(|k| matches!(*k, "suicidal_ideation" | "passive_ideation" | "intent"));
        let means = kinds.contains(&"plan_or_means");
        let level = if aff.iter().any(|a| tier(a) == Tier::Urgent) || (ideation && means) {
            Level::Urgent
        } else {
            Level::Concern
        };
        // evidence spans: longest first among overlaps, in text order
        aff.sort_by(|a, b| {
            a.start
                .cmp(&b.start)
                .then((b.end - b.start).cmp(&(a.end - a.start)))
        });
        let mut cues: Vec<Cue> = Vec::new();
        let mut last_end = 0usize;
        for a in aff {
            if !cues.is_empty() && a.start < last_end {
                continue;
            }
            let (os, oe) = (n.to_orig(a.start), n.to_orig(a.end));
            let Some(t) = text.get(os..oe) else { continue };
            if os >= oe {
                continue;
            }
            last_end = a.end;
            cues.push(Cue {
                start: os,
                end: oe,
                text: t.to_string(),
                kind: self.lexicon.cues[a.cue].kind.clone(),
            });
        }
        Distress {
            flagged: true,
            level: Some(level),
            cues,
        }
    }
}

/// Case-sensitive forms ("MAT", "SI") must match the original capitalization.
fn exact_matches(text: &str, n: &Normalized, a: usize, b: usize, exact: &str) -> bool {
    let (os, oe) = (n.to_orig(a), n.to_orig(b));
    text.get(os..oe).map(|t| t == exact).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Checker>();
    }

    #[test]
    fn utf16() {
        let t = "a😀b é c";
        assert_eq!(utf16_offsets(t, 0), 0);
        assert_eq!(utf16_offsets(t, 1), 1);
        assert_eq!(utf16_offsets(t, 5), 3);
        assert_eq!(utf16_offsets(t, 6), 4);
        let idx = Utf16Index::new(t);
        for b in 0..=t.len() {
            if t.is_char_boundary(b) {
                assert_eq!(idx.get(b), utf16_offsets(t, b), "at {b}");
            }
        }
    }
}
