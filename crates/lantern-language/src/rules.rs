//! The rules data model: what an organization can read, tune and extend.
//!
//! Rules are data so that the language guidance can change (new guides, an
//! organization's own policy) without touching the engine. The built-in set is
//! `rules/terms-v1.json`, embedded at compile time; every rule carries the
//! guides it comes from so the UI can say *on whose guidance* a term is flagged.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;

pub(crate) const BUILTIN_TERMS: &str = include_str!("../rules/terms-v1.json");

/// How sure the guidance is, and so how the flag is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Well-sourced and rarely innocent when applied to a person: shown by default.
    Warn,
    /// Contested or clinical-but-loaded: shown softly.
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warn => "warn",
            Severity::Info => "info",
        }
    }
}

/// What to do with a match inside quotation marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QuotePolicy {
    /// Quoted words are the person's (or a reported) speech: never coach them (AP, NIDA).
    #[default]
    Suppress,
    /// Keep the flag when the quote is not first-person speech (a third
    /// party's label such as "junkie"), so the writer can attribute it.
    FlagUnlessFirstPerson,
    /// Flag regardless of quotes.
    Flag,
}

/// Named context filters the engine implements. Rules pick one by name so the
/// logic stays testable Rust while the choice stays data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sense {
    /// No extra condition.
    #[default]
    Any,
    /// The grammatical subject is the person served (pronoun, role noun,
    /// name) or implicit ("Refused meds."); not a landlord, insurer, object.
    PersonSubject,
    /// Suppress only when the subject is clearly a third party or an object.
    NotThirdParty,
    /// Predicated of a person ("is/was/been/stay(ed) ___"), or a time span
    /// ("___ for 90 days", "two years ___"). Object senses never match.
    PredicateOfPerson,
    /// As above, but a drug test may be the subject ("UA was ___").
    PredicateOfTest,
    /// Used as a noun-like label on a person: what follows is a clause end,
    /// a function word or a person noun ("is bipolar and…", not "bipolar disorder").
    PersonLabel,
    /// Adjective that labels a person: followed by a person noun or predicated of a person.
    PersonAdjective,
    /// Only before a health condition ("suffers from depression", not "from back pain").
    ConditionFollows,
    /// Only when the sentence is about suicide or self-harm ("failed attempt").
    SuicideContext,
    /// Only when the sentence is about substance use ("a habit").
    SudContext,
    /// About a person = rule severity; any other use = info ("crazy week").
    AboutPersonElseInfo,
    /// Not when the person is reporting their own symptom ("reports no motivation").
    NotSelfReport,
    /// Only in a clause that mentions the person ("apparently").
    ClauseHasPerson,
}

/// One surface form: a plain string, or an object with per-form settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Form {
    Plain(String),
    Spec(FormSpec),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct FormSpec {
    pub text: String,
    /// Match only the exact capitalization (acronyms such as "MAT", "PD").
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_sensitive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sense: Option<Sense>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_before: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_after: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

impl Form {
    pub fn spec(&self) -> FormSpec {
        match self {
            Form::Plain(s) => FormSpec {
                text: s.clone(),
                ..FormSpec::default()
            },
            Form::Spec(f) => f.clone(),
        }
    }
}

/// One term rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub category: String,
    pub severity: Severity,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Surface forms; `(a|b|)` alternation is expanded, and hyphen/space
    /// variants are added automatically.
    pub forms: Vec<Form>,
    pub suggestions: Vec<String>,
    /// Why the term is flagged, in one or two sentences.
    pub reason: String,
    /// Keys into the rule set's `sources` table.
    pub sources: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context: String,
    #[serde(default)]
    pub quotes: QuotePolicy,
    #[serde(default)]
    pub sense: Sense,
    /// Phrases that, directly after the match, mean an innocent sense.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_before: Vec<String>,
    /// Phrases that, directly before the match, mean an innocent sense.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_after: Vec<String>,
    /// Words anywhere in the clause (within a few words) that mean an innocent sense.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_near: Vec<String>,
    /// Phrases that, directly after the match, make it clinical usage: downgrade to info.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info_before: Vec<String>,
    /// Phrases that, directly before the match, downgrade it to info.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub info_after: Vec<String>,
}

/// A cited guide.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Short name shown in reasons ("AP Stylebook").
    #[serde(default)]
    pub name: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// How the wording was checked ("verified", "recall – verify").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// A versioned set of term rules plus the shared context lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    pub version: String,
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub sources: BTreeMap<String, Source>,
    /// Organization and program names; matches inside them are never flagged.
    #[serde(default)]
    pub names: Vec<String>,
    /// Phrases that introduce a person's own description of themselves.
    #[serde(default)]
    pub self_description: Vec<String>,
    /// Markers of recovery literature being cited (the Big Book…).
    #[serde(default)]
    pub literature: Vec<String>,
}

/// An organization's tuning of a base rule set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    /// Rule ids to switch off.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Rule ids to switch on (rules that ship disabled, e.g. `sober-moral`).
    #[serde(default)]
    pub enabled: Vec<String>,
    /// Replacement suggestion lists, by rule id.
    #[serde(default)]
    pub suggestions: Vec<(String, Vec<String>)>,
    /// The organization's own rules.
    #[serde(default)]
    pub added: Vec<Rule>,
}

/// Why a rule set could not be loaded or built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    /// The JSON did not parse or did not match the schema.
    Json(String),
    /// A rule is malformed (empty id, no forms, bad alternation…).
    Invalid { rule: String, message: String },
    /// Two rules share an id.
    Duplicate(String),
    /// An override names a rule that does not exist.
    UnknownRule(String),
    /// The matcher could not be built.
    Build(String),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::Json(m) => write!(f, "rules JSON: {m}"),
            RuleError::Invalid { rule, message } => write!(f, "rule {rule:?}: {message}"),
            RuleError::Duplicate(id) => write!(f, "duplicate rule id {id:?}"),
            RuleError::UnknownRule(id) => write!(f, "override names unknown rule {id:?}"),
            RuleError::Build(m) => write!(f, "building the matcher: {m}"),
        }
    }
}

impl std::error::Error for RuleError {}

impl RuleSet {
    /// Parse and validate a rule set.
    pub fn from_json(json: &str) -> Result<RuleSet, RuleError> {
        let rs: RuleSet = serde_json::from_str(json).map_err(|e| RuleError::Json(e.to_string()))?;
        rs.validate()?;
        Ok(rs)
    }

    /// The embedded rule set. It is validated by the test suite; if it were
    /// ever broken this returns an empty set rather than panicking in a server.
    pub fn builtin() -> RuleSet {
        RuleSet::from_json(BUILTIN_TERMS).unwrap_or_else(|_| RuleSet {
            version: "invalid-builtin".into(),
            rules: Vec::new(),
            sources: BTreeMap::new(),
            names: Vec::new(),
            self_description: Vec::new(),
            literature: Vec::new(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn validate(&self) -> Result<(), RuleError> {
        let mut seen = HashSet::new();
        for r in &self.rules {
            validate_rule(r)?;
            if !seen.insert(r.id.as_str()) {
                return Err(RuleError::Duplicate(r.id.clone()));
            }
        }
        Ok(())
    }

    /// Apply an organization's overrides, checking that every id exists.
    pub fn apply(&self, o: &Overrides) -> Result<RuleSet, RuleError> {
        let mut rs = self.clone();
        for id in &o.disabled {
            let r = rs
                .rules
                .iter_mut()
                .find(|r| &r.id == id)
                .ok_or_else(|| RuleError::UnknownRule(id.clone()))?;
            r.enabled = false;
        }
        for id in &o.enabled {
            let r = rs
                .rules
                .iter_mut()
                .find(|r| &r.id == id)
                .ok_or_else(|| RuleError::UnknownRule(id.clone()))?;
            r.enabled = true;
        }
        for (id, sugg) in &o.suggestions {
            let r = rs
                .rules
                .iter_mut()
                .find(|r| &r.id == id)
                .ok_or_else(|| RuleError::UnknownRule(id.clone()))?;
            r.suggestions = sugg.clone();
        }
        for r in &o.added {
            rs.rules.push(r.clone());
        }
        rs.validate()?;
        Ok(rs)
    }
}

fn validate_rule(r: &Rule) -> Result<(), RuleError> {
    let bad = |m: &str| RuleError::Invalid {
        rule: r.id.clone(),
        message: m.to_string(),
    };
    if r.id.trim().is_empty() {
        return Err(bad("empty id"));
    }
    if r.category.trim().is_empty() {
        return Err(bad("empty category"));
    }
    if r.forms.is_empty() {
        return Err(bad("no forms"));
    }
    for f in &r.forms {
        let s = f.spec();
        let variants = expand(&s.text, &BTreeMap::new()).map_err(|m| bad(&m))?;
        if variants.iter().any(|v| v.trim().is_empty()) {
            return Err(bad("a form expands to an empty string"));
        }
    }
    Ok(())
}

/// Expand `(a|b|)` alternation groups (which may nest) and `{slot}`
/// references into all concrete strings, with whitespace collapsed.
pub(crate) fn expand(
    pat: &str,
    slots: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<String>, String> {
    let chars: Vec<char> = pat.chars().collect();
    let mut pos = 0;
    let out = parse_seq(&chars, &mut pos, slots, pat)?;
    if pos != chars.len() {
        return Err(format!("unbalanced ')' or '|' in {pat:?}"));
    }
    let mut res: Vec<String> = out
        .iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    res.sort();
    res.dedup();
    Ok(res)
}

const EXPAND_LIMIT: usize = 50_000;

fn product(acc: Vec<String>, alts: &[String], pat: &str) -> Result<Vec<String>, String> {
    if acc.len().saturating_mul(alts.len().max(1)) > EXPAND_LIMIT {
        return Err(format!("pattern {pat:?} expands to too many strings"));
    }
    let mut next = Vec::with_capacity(acc.len() * alts.len().max(1));
    for o in &acc {
        for a in alts {
            let mut s = o.clone();
            s.push_str(a);
            next.push(s);
        }
    }
    Ok(next)
}

/// A sequence up to an unmatched ')' or '|' (not consumed) or the end.
fn parse_seq(
    chars: &[char],
    pos: &mut usize,
    slots: &BTreeMap<String, Vec<String>>,
    pat: &str,
) -> Result<Vec<String>, String> {
    let mut acc: Vec<String> = vec![String::new()];
    let mut lit = String::new();
    while *pos < chars.len() {
        let c = chars[*pos];
        match c {
            ')' | '|' => break,
            '(' => {
                *pos += 1;
                let mut alts = parse_seq(chars, pos, slots, pat)?;
                while *pos < chars.len() && chars[*pos] == '|' {
                    *pos += 1;
                    alts.extend(parse_seq(chars, pos, slots, pat)?);
                }
                if *pos >= chars.len() || chars[*pos] != ')' {
                    return Err(format!("unclosed group in {pat:?}"));
                }
                *pos += 1;
                acc = product(acc, &[std::mem::take(&mut lit)], pat)?;
                acc = product(acc, &alts, pat)?;
            }
            '{' => {
                let close = chars[*pos..]
                    .iter()
                    .position(|&x| x == '}')
                    .ok_or_else(|| format!("unclosed slot in {pat:?}"))?;
                let name: String = chars[*pos + 1..*pos + close].iter().collect();
                let vals = slots
                    .get(&name)
                    .ok_or_else(|| format!("unknown slot {{{name}}} in {pat:?}"))?;
                *pos += close + 1;
                acc = product(acc, &[std::mem::take(&mut lit)], pat)?;
                acc = product(acc, vals, pat)?;
            }
            '}' => return Err(format!("unbalanced '}}' in {pat:?}")),
            _ => {
                lit.push(c);
                *pos += 1;
            }
        }
    }
    product(acc, &[lit], pat)
}

/// Hyphen/space variants of a form: "drug-seeking" also matches "drug seeking"
/// and "drugseeking"; "frequent flyer" also matches "frequent-flyer".
pub(crate) fn spelling_variants(form: &str, join_spaces: bool) -> Vec<String> {
    let mut v = vec![form.to_string()];
    if form.contains('-') {
        v.push(form.replace('-', " "));
        v.push(form.replace('-', ""));
    }
    if join_spaces && form.contains(' ') {
        let words: Vec<&str> = form.split(' ').collect();
        // only word-word joins, and only for short phrases (labels, compounds)
        if words.len() <= 3 && words.iter().all(|w| w.chars().all(|c| c.is_alphanumeric())) {
            v.push(words.join("-"));
        }
    }
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion() {
        let mut slots = BTreeMap::new();
        slots.insert(
            "self".to_string(),
            vec!["himself".to_string(), "herself".to_string()],
        );
        let v = expand("(kill|kills) {self}", &slots).unwrap_or_default();
        assert_eq!(
            v,
            vec![
                "kill herself",
                "kill himself",
                "kills herself",
                "kills himself"
            ]
        );
        let v = expand("stay(ed|) clean", &slots).unwrap_or_default();
        assert_eq!(v, vec!["stay clean", "stayed clean"]);
        assert!(expand("(a|b", &slots).is_err());
        assert!(expand("a)", &slots).is_err());
        let v = expand("x (a|b (c|d)|) y", &slots).unwrap_or_default();
        assert_eq!(v, vec!["x a y", "x b c y", "x b d y", "x y"]);
    }

    #[test]
    fn builtin_parses() {
        let rs = RuleSet::from_json(BUILTIN_TERMS);
        assert!(rs.is_ok(), "{:?}", rs.err());
        let rs = rs.unwrap_or_else(|_| RuleSet::builtin());
        assert!(rs.rules.len() >= 88);
        for r in &rs.rules {
            assert!(!r.sources.is_empty(), "{} has no sources", r.id);
            for s in &r.sources {
                assert!(rs.sources.contains_key(s), "{}: unknown source {}", r.id, s);
            }
            assert!(!r.reason.is_empty(), "{} has no reason", r.id);
            assert!(!r.suggestions.is_empty(), "{} has no suggestions", r.id);
        }
    }
}
