//! Synonym groups (`synonyms.txt`, shipped in the crate).

use crate::text;
use std::collections::HashMap;

/// The synonym file compiled into the crate.
pub const BUILTIN: &str = include_str!("synonyms.txt");

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SynonymError {
    #[error("synonyms line {line}: a group needs at least two alternatives separated by '|'")]
    TooFew { line: usize },
    #[error("synonyms line {line}: alternative {alt} has no searchable word")]
    Empty { line: usize, alt: usize },
}

/// Groups of phrases; each phrase is a sequence of index terms.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    groups: Vec<Vec<Vec<String>>>,
    /// phrase → groups containing it
    by_phrase: HashMap<Vec<String>, Vec<usize>>,
    max_len: usize,
    /// First words of phrases of two or more words.
    starts: std::collections::HashSet<String>,
}

impl Synonyms {
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).expect("the shipped synonyms.txt is valid (tested)")
    }

    pub fn parse(src: &str) -> Result<Self, SynonymError> {
        let mut s = Synonyms::default();
        for (i, raw) in src.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let alts: Vec<&str> = line.split('|').map(str::trim).collect();
            if alts.len() < 2 {
                return Err(SynonymError::TooFew { line: i + 1 });
            }
            let mut group = Vec::new();
            for (j, a) in alts.iter().enumerate() {
                let t = text::terms(a);
                if t.is_empty() {
                    return Err(SynonymError::Empty { line: i + 1, alt: j + 1 });
                }
                group.push(t);
            }
            let gi = s.groups.len();
            for p in &group {
                s.max_len = s.max_len.max(p.len());
                if p.len() >= 2 {
                    s.starts.insert(p[0].clone());
                }
                let e = s.by_phrase.entry(p.clone()).or_default();
                if !e.contains(&gi) {
                    e.push(gi);
                }
            }
            s.groups.push(group);
        }
        Ok(s)
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Lengths (two words or more) of the synonym phrases that start at
    /// `terms[start]`. The index adds each as one "phrase term", so a phrase
    /// matches only where its words are adjacent.
    pub fn phrases_at(&self, terms: &[String], start: usize) -> Vec<usize> {
        if !self.starts.contains(&terms[start]) {
            return vec![];
        }
        let max = self.max_len.min(terms.len() - start);
        (2..=max).filter(|&len| self.by_phrase.contains_key(&terms[start..start + len])).collect()
    }

    /// The longest phrase starting at `terms[start]` that belongs to a
    /// group: its length and the other phrases of its groups.
    pub fn longest_at(&self, terms: &[String], start: usize) -> Option<(usize, Vec<Vec<String>>)> {
        let max = self.max_len.min(terms.len() - start);
        for len in (1..=max).rev() {
            let key = &terms[start..start + len];
            if let Some(groups) = self.by_phrase.get(key) {
                let mut alts: Vec<Vec<String>> = Vec::new();
                for &g in groups {
                    for p in &self.groups[g] {
                        if p.as_slice() != key && !alts.contains(p) {
                            alts.push(p.clone());
                        }
                    }
                }
                return Some((len, alts));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_file_parses_with_enough_groups() {
        let s = Synonyms::builtin();
        assert!(s.group_count() >= 40, "{}", s.group_count());
    }

    #[test]
    fn longest_phrase_wins_and_plurals_match() {
        let s = Synonyms::builtin();
        let q = text::terms("food banks downtown");
        let (len, alts) = s.longest_at(&q, 0).unwrap();
        assert_eq!(len, 2);
        assert!(alts.contains(&vec!["food".to_string(), "pantry".to_string()]));
        let q = text::terms("detox");
        let (_, alts) = s.longest_at(&q, 0).unwrap();
        assert!(alts.contains(&vec!["withdrawal".to_string(), "management".to_string()]));
        let q = text::terms("withdrawal management");
        let (len, alts) = s.longest_at(&q, 0).unwrap();
        assert_eq!(len, 2);
        assert!(alts.contains(&vec!["detox".to_string()]));
    }

    #[test]
    fn bad_lines_are_named() {
        assert_eq!(Synonyms::parse("# c\n\nonly one\n").unwrap_err(), SynonymError::TooFew { line: 3 });
        assert_eq!(Synonyms::parse("shelter | the\n").unwrap_err(), SynonymError::Empty { line: 1, alt: 2 });
    }
}
