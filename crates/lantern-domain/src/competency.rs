//! Competency frameworks as data.
//!
//! The built-in framework is SAMHSA's 12 core-competency categories for peer
//! workers (I–XII) with their statements in Lantern's own paraphrase, shipped
//! as `competencies/samhsa-v1.json` and parsed once (`samhsa()`). An
//! organization may add its own framework (a state's domain set, say) in the
//! same JSON shape; `parse_framework` checks it and reports every problem.
//!
//! Stable API for other features (the competency profile, the question bank):
//! - categories are identified by `number` (1..=12 for SAMHSA's I–XII), the
//!   same numbers the encounter activity types map to (`activity_competencies`);
//! - `Category { number, roman, title, statements }`, `Statement { id, text }`
//!   with ids like `C05.02` that never change within a framework version;
//! - `samhsa()` returns the built-in framework; `Framework::category(n)` finds
//!   a category; a new SAMHSA revision would ship as a new file and version.
//! - An organization's framework may have its own categories (any count up to
//!   `MAX_CATEGORIES`), each optionally mapped to SAMHSA categories
//!   (`maps_to`), so evidence counted by SAMHSA category still applies.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The built-in framework's JSON.
pub const SAMHSA_V1: &str = include_str!("../competencies/samhsa-v1.json");
/// Most categories a framework may have.
pub const MAX_CATEGORIES: usize = 30;
/// Most statements in one category.
pub const MAX_STATEMENTS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    #[serde(default)]
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Stable id, e.g. `C05.02`.
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// 1-based; for SAMHSA 1..=12 are I–XII.
    pub number: u8,
    /// Roman numeral of `number`.
    pub roman: String,
    pub title: String,
    /// "verified" or "recall" (see domain research §1.2); empty for organizations' own.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verification: String,
    #[serde(default)]
    pub statements: Vec<Statement>,
    /// For an organization's framework: the SAMHSA categories this one corresponds to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maps_to: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// Short key, lowercase letters, digits and dashes (`samhsa`, `de-cprs`).
    pub key: String,
    pub version: u32,
    pub title: String,
    pub source: Source,
    #[serde(default)]
    pub note: String,
    pub categories: Vec<Category>,
}

impl Framework {
    pub fn category(&self, number: u8) -> Option<&Category> {
        self.categories.iter().find(|c| c.number == number)
    }
    pub fn statement(&self, id: &str) -> Option<(&Category, &Statement)> {
        self.categories.iter().find_map(|c| c.statements.iter().find(|s| s.id == id).map(|s| (c, s)))
    }
    pub fn statement_count(&self) -> usize {
        self.categories.iter().map(|c| c.statements.len()).sum()
    }
    /// The framework as JSON, in the shape `parse_framework` reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The built-in SAMHSA framework (parsed once; the test suite proves it parses).
pub fn samhsa() -> &'static Framework {
    static F: OnceLock<Framework> = OnceLock::new();
    F.get_or_init(|| parse_framework(SAMHSA_V1).expect("the shipped SAMHSA framework is valid"))
}

/// Roman numeral for 1..=30 (frameworks are small).
pub fn roman(n: u8) -> String {
    if n == 0 || n as usize > MAX_CATEGORIES {
        return "?".into();
    }
    let mut n = n as u32;
    let mut out = String::new();
    for (v, s) in [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")] {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

/// Why a framework file was refused: every problem, each with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct FrameworkError(pub Vec<String>);

/// Parses and checks a framework in the JSON shape of `competencies/samhsa-v1.json`.
/// `roman` may be left out (it is derived from `number`).
pub fn parse_framework(json: &str) -> Result<Framework, FrameworkError> {
    #[derive(Deserialize)]
    struct RawCategory {
        number: u8,
        #[serde(default)]
        roman: Option<String>,
        title: String,
        #[serde(default)]
        verification: String,
        #[serde(default)]
        statements: Vec<Statement>,
        #[serde(default)]
        maps_to: Vec<u8>,
    }
    #[derive(Deserialize)]
    struct Raw {
        key: String,
        version: u32,
        title: String,
        source: Source,
        #[serde(default)]
        note: String,
        categories: Vec<RawCategory>,
    }
    let raw: Raw = serde_json::from_str(json).map_err(|e| FrameworkError(vec![format!("not a framework file: {e}")]))?;
    let mut errs = Vec::new();
    let key_ok = !raw.key.is_empty() && raw.key.len() <= 40 && raw.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !key_ok {
        errs.push("key: use 1–40 lowercase letters, digits or dashes".to_string());
    }
    if raw.version == 0 {
        errs.push("version: must be 1 or more".into());
    }
    if raw.title.trim().is_empty() || raw.title.chars().count() > 200 {
        errs.push("title: required, at most 200 characters".into());
    }
    if raw.source.name.trim().is_empty() {
        errs.push("source.name: say where the framework comes from".into());
    }
    if raw.categories.is_empty() || raw.categories.len() > MAX_CATEGORIES {
        errs.push(format!("categories: between 1 and {MAX_CATEGORIES}"));
    }
    let mut seen_numbers = std::collections::HashSet::new();
    let mut seen_ids = std::collections::HashSet::new();
    let mut categories = Vec::new();
    for (i, c) in raw.categories.into_iter().enumerate() {
        let at = format!("categories[{i}]");
        if c.number == 0 || c.number as usize > MAX_CATEGORIES {
            errs.push(format!("{at}.number: between 1 and {MAX_CATEGORIES}"));
        } else if !seen_numbers.insert(c.number) {
            errs.push(format!("{at}.number: {} is used twice", c.number));
        }
        let expected = roman(c.number);
        if let Some(r) = &c.roman {
            if *r != expected {
                errs.push(format!("{at}.roman: {r} does not match number {} ({expected})", c.number));
            }
        }
        if c.title.trim().is_empty() || c.title.chars().count() > 200 {
            errs.push(format!("{at}.title: required, at most 200 characters"));
        }
        if c.statements.len() > MAX_STATEMENTS {
            errs.push(format!("{at}.statements: at most {MAX_STATEMENTS}"));
        }
        for (j, s) in c.statements.iter().enumerate() {
            if s.id.trim().is_empty() || s.id.len() > 40 {
                errs.push(format!("{at}.statements[{j}].id: required, at most 40 characters"));
            } else if !seen_ids.insert(s.id.clone()) {
                errs.push(format!("{at}.statements[{j}].id: {} is used twice", s.id));
            }
            if s.text.trim().is_empty() || s.text.chars().count() > 500 {
                errs.push(format!("{at}.statements[{j}].text: required, at most 500 characters"));
            }
        }
        for m in &c.maps_to {
            if !(1..=12).contains(m) {
                errs.push(format!("{at}.maps_to: {m} is not a SAMHSA category (1–12)"));
            }
        }
        categories.push(Category {
            number: c.number,
            roman: expected,
            title: c.title.trim().to_string(),
            verification: c.verification,
            statements: c.statements,
            maps_to: c.maps_to,
        });
    }
    if !errs.is_empty() {
        return Err(FrameworkError(errs));
    }
    categories.sort_by_key(|c| c.number);
    Ok(Framework { key: raw.key, version: raw.version, title: raw.title.trim().to_string(), source: raw.source, note: raw.note, categories })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encounter::{default_activity_types, roman as encounter_roman};

    #[test]
    fn the_shipped_samhsa_framework_is_valid_and_complete() {
        let f = samhsa();
        assert_eq!(f.key, "samhsa");
        assert_eq!(f.version, 1);
        assert_eq!(f.categories.len(), 12);
        for (i, c) in f.categories.iter().enumerate() {
            assert_eq!(c.number as usize, i + 1);
            assert_eq!(c.roman, encounter_roman(c.number), "roman numerals agree with the encounter module");
            assert!(!c.statements.is_empty());
            for s in &c.statements {
                assert!(s.id.starts_with(&format!("C{:02}.", c.number)), "{} belongs to {}", s.id, c.number);
            }
            assert!(c.verification == "verified" || c.verification == "recall");
        }
        // Counts from the domain research (§1.2).
        let counts: Vec<usize> = f.categories.iter().map(|c| c.statements.len()).collect();
        assert_eq!(counts, vec![5, 5, 4, 4, 5, 5, 6, 5, 6, 6, 7, 4]);
        assert_eq!(f.statement_count(), 62);
        assert_eq!(f.category(8).unwrap().title, "Helps peers to manage crises");
        assert!(f.statement("C08.05").is_some());
    }

    #[test]
    fn every_activity_type_maps_to_a_samhsa_category() {
        for a in default_activity_types() {
            for c in a.competencies {
                assert!(samhsa().category(c).is_some(), "{} maps to {c}", a.code);
            }
        }
    }

    #[test]
    fn a_framework_round_trips_through_json() {
        let f = samhsa();
        assert_eq!(&parse_framework(&f.to_json()).unwrap(), f);
    }

    #[test]
    fn roman_numerals() {
        let r: Vec<String> = (1..=14).map(roman).collect();
        assert_eq!(r, ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV"]);
        assert_eq!(roman(0), "?");
    }

    #[test]
    fn an_organization_framework_is_checked_and_every_problem_named() {
        let ok = r#"{"key":"de-cprs","version":1,"title":"Delaware CPRS domains","source":{"name":"decertboard.org"},
            "categories":[{"number":1,"title":"Advocacy","maps_to":[11]},{"number":2,"title":"Harm reduction","statements":[{"id":"H1","text":"Offers harm-reduction information without judgment"}]}]}"#;
        let f = parse_framework(ok).unwrap();
        assert_eq!(f.categories[1].roman, "II");
        assert_eq!(f.categories[0].maps_to, vec![11]);
        let bad = r#"{"key":"Bad Key","version":0,"title":"","source":{"name":""},
            "categories":[{"number":1,"roman":"II","title":"A","maps_to":[13]},{"number":1,"title":"","statements":[{"id":"x","text":""},{"id":"x","text":"t"}]}]}"#;
        let e = parse_framework(bad).unwrap_err().0;
        for needle in ["key:", "version:", "title:", "source.name", "categories[0].roman", "categories[0].maps_to", "categories[1].number", "categories[1].title", "statements[0].text", "statements[1].id"] {
            assert!(e.iter().any(|m| m.contains(needle)), "{needle} in {e:?}");
        }
        assert!(parse_framework("not json").unwrap_err().0[0].contains("not a framework file"));
    }
}
