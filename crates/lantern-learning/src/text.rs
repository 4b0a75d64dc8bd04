//! The bank's own data-file format: plain text that reviewers can read and diff.
//!
//! ```text
//! # a comment
//! == pq-01-001 | I, IX | R, E | ethics, documentation | 2
//! Q: The question stem (may continue on the next lines).
//! - a wrong option
//! + the correct option
//! - a wrong option
//! - a wrong option
//! R: The rationale that teaches (may continue on the next lines).
//! ```
//!
//! The header is: id | categories (roman numerals) | IC&RC domains (A, M, R, E; the first is the
//! primary one) | NCPRSS topics (may be empty) | difficulty 1–3, optionally followed by
//! `| answers=2` for a multi-answer item and `| draft` for an unreviewed one.

use crate::item::{parse_category, roman, Choice, Domain, Item, Status, Topic};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {detail}")]
pub struct ParseError {
    pub line: usize,
    pub detail: String,
}

fn err(line: usize, detail: impl Into<String>) -> ParseError {
    ParseError { line, detail: detail.into() }
}

#[derive(PartialEq)]
enum Part {
    Stem,
    Rationale,
    Other,
}

/// Parses the data-file format. Structure errors are reported with their line; content rules
/// (lengths, counts) are checked by [`Item::problems`] afterwards.
pub fn parse(text: &str) -> Result<Vec<Item>, ParseError> {
    let mut items: Vec<Item> = Vec::new();
    let mut part = Part::Other;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_end();
        if line.trim().is_empty() {
            part = if part == Part::Rationale { Part::Other } else { part };
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix("== ") {
            items.push(parse_header(header, line_no)?);
            part = Part::Other;
            continue;
        }
        let Some(item) = items.last_mut() else {
            return Err(err(line_no, "text before the first '== id | …' header"));
        };
        if let Some(stem) = line.strip_prefix("Q: ") {
            item.stem = stem.trim().to_string();
            part = Part::Stem;
        } else if let Some(opt) = line.strip_prefix("+ ") {
            item.choices.push(Choice { text: opt.trim().to_string(), correct: true });
            part = Part::Other;
        } else if let Some(opt) = line.strip_prefix("- ") {
            item.choices.push(Choice { text: opt.trim().to_string(), correct: false });
            part = Part::Other;
        } else if let Some(r) = line.strip_prefix("R: ") {
            item.rationale = r.trim().to_string();
            part = Part::Rationale;
        } else {
            let target = match part {
                Part::Stem => &mut item.stem,
                Part::Rationale => &mut item.rationale,
                Part::Other => return Err(err(line_no, format!("unexpected line in {}: {line}", item.id))),
            };
            target.push(' ');
            target.push_str(line.trim());
        }
    }
    Ok(items)
}

fn parse_header(header: &str, line: usize) -> Result<Item, ParseError> {
    let fields: Vec<&str> = header.split('|').map(str::trim).collect();
    if fields.len() < 5 {
        return Err(err(line, "a header needs: id | categories | domains | topics | difficulty"));
    }
    let list = |s: &str| -> Vec<String> {
        s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect()
    };
    let mut categories = Vec::new();
    for c in list(fields[1]) {
        categories.push(parse_category(&c).ok_or_else(|| err(line, format!("unknown category {c}")))?);
    }
    let mut domains = Vec::new();
    for d in list(fields[2]) {
        domains.push(Domain::parse(&d).ok_or_else(|| err(line, format!("unknown domain {d}")))?);
    }
    let mut topics = Vec::new();
    for t in list(fields[3]) {
        topics.push(Topic::parse(&t).ok_or_else(|| err(line, format!("unknown topic {t}")))?);
    }
    let difficulty = fields[4].parse::<u8>().map_err(|_| err(line, "difficulty must be 1, 2 or 3"))?;
    let mut answers = 1;
    let mut status = Status::Reviewed;
    for extra in &fields[5..] {
        if let Some(n) = extra.strip_prefix("answers=") {
            answers = n.parse().map_err(|_| err(line, "answers= needs a number"))?;
        } else if *extra == "draft" {
            status = Status::Draft;
        } else {
            return Err(err(line, format!("unknown header field {extra}")));
        }
    }
    Ok(Item {
        id: fields[0].to_string(),
        stem: String::new(),
        choices: Vec::new(),
        answers,
        rationale: String::new(),
        categories,
        domains,
        topics,
        difficulty,
        status,
    })
}

/// Writes items in the data-file format (one line per part; `parse(write(x)) == x` for valid items).
pub fn write(items: &[Item]) -> String {
    let mut out = String::new();
    for item in items {
        let cats: Vec<&str> = item.categories.iter().map(|&c| roman(c)).collect();
        let doms: Vec<String> = item.domains.iter().map(|d| d.letter().to_string()).collect();
        let tops: Vec<&str> = item.topics.iter().map(|t| t.code()).collect();
        out.push_str(&format!(
            "== {} | {} | {} | {} | {}",
            item.id,
            cats.join(", "),
            doms.join(", "),
            tops.join(", "),
            item.difficulty
        ));
        if item.answers != 1 {
            out.push_str(&format!(" | answers={}", item.answers));
        }
        if item.status == Status::Draft {
            out.push_str(" | draft");
        }
        out.push('\n');
        out.push_str(&format!("Q: {}\n", item.stem));
        for c in &item.choices {
            out.push_str(&format!("{} {}\n", if c.correct { '+' } else { '-' }, c.text));
        }
        out.push_str(&format!("R: {}\n\n", item.rationale));
    }
    out
}
