//! Stream contracts used by the `lantern` CLI, over caller-provided streams.
//!
//! This module never opens files: the CLI passes stdin/stdout/stderr (or
//! whatever it likes), which keeps the crate free of I/O policy and easy to
//! test with in-memory buffers.
//!
//! ## `check_jsonl` contract
//!
//! Input: one JSON object per line, `{"id": "...", "text": "..."}` (other
//! fields are ignored). Output: exactly one JSON line per non-blank input
//! line, in input order:
//!
//! ```text
//! {"id":"…","flags":[{"start":0,"end":6,"text":"addict","rule":"addict","category":"sud_label","severity":"warn","suggestions":["…"],"reason":"…"}],"distress":{"flagged":true,"level":"concern","cues":[{"start":0,"end":0,"text":"…","kind":"…"}]}}
//! ```
//!
//! * Offsets are UTF-8 byte offsets into `text`, end exclusive.
//! * A bad line (invalid JSON, not an object, `id` or `text` missing or not a
//!   string, invalid UTF-8) produces `{"line": N, "error": "…"}` in its place
//!   (N is the 1-based physical line number) and a message on the error
//!   stream; later lines are still processed and the outcome records it (the
//!   CLI then exits 2).
//! * **Blank lines** (empty or only whitespace) produce no output and are not
//!   errors: they are the separators people and tools leave in JSONL files,
//!   and the scorer's corpus loader skips them the same way. Line numbers in
//!   error records still count them, so errors stay locatable.
//! * A final line without a trailing newline is processed normally; `\r\n`
//!   endings are accepted.
//! * Output is buffered and flushed once at the end (and on error).

use crate::{Checker, Report};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::{self, BufRead, BufWriter, Write};

/// What happened over a whole stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonlOutcome {
    /// Physical lines read (blank ones included).
    pub lines: usize,
    /// Lines checked successfully.
    pub ok: usize,
    /// Lines answered with an error record.
    pub bad: usize,
}

impl JsonlOutcome {
    /// Whether any line was bad (the CLI exits 2).
    pub fn any_bad(&self) -> bool {
        self.bad > 0
    }
}

#[derive(Deserialize)]
struct InLine<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    text: Cow<'a, str>,
}

/// Check a JSONL stream; see the module docs for the exact contract.
pub fn check_jsonl<R: BufRead, W: Write, E: Write>(
    checker: &Checker,
    mut input: R,
    out: W,
    mut err: E,
) -> io::Result<JsonlOutcome> {
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut line_out = String::with_capacity(8192);
    let mut outcome = JsonlOutcome::default();
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        outcome.lines += 1;
        let lineno = outcome.lines;
        let mut line: &[u8] = &buf;
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest;
        }
        if let Some(rest) = line.strip_suffix(b"\r") {
            line = rest;
        }
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        line_out.clear();
        match parse_line(line) {
            Ok(item) => {
                write_raw(&mut line_out, checker, &item.id, &item.text);
                outcome.ok += 1;
            }
            Err(msg) => {
                write_error(&mut line_out, lineno, &msg);
                writeln!(err, "line {lineno}: {msg}")?;
                outcome.bad += 1;
            }
        }
        line_out.push('\n');
        out.write_all(line_out.as_bytes())?;
    }
    out.flush()?;
    err.flush()?;
    Ok(outcome)
}

fn parse_line(line: &[u8]) -> Result<InLine<'_>, String> {
    let s = std::str::from_utf8(line).map_err(|e| format!("invalid UTF-8: {e}"))?;
    let v: InLine<'_> = serde_json::from_str(s).map_err(|e| format!("invalid input: {e}"))?;
    Ok(v)
}

/// Append `s` as a JSON string literal.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: Option<&str> = match b {
            b'"' => Some("\\\""),
            b'\\' => Some("\\\\"),
            b'\n' => Some("\\n"),
            b'\r' => Some("\\r"),
            b'\t' => Some("\\t"),
            0..=0x1F => None,
            _ => continue,
        };
        out.push_str(&s[run..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => {
                out.push_str("\\u00");
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xF) as usize] as char);
            }
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

fn push_usize(out: &mut String, n: usize) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n}");
}

/// Serialize one result straight from the engine's raw flags, using each
/// rule's pre-rendered JSON members; byte-identical to [`write_result`].
fn write_raw(out: &mut String, checker: &Checker, id: &str, text: &str) {
    let raw = checker.check_raw(text);
    out.push_str("{\"id\":");
    push_json_str(out, id);
    out.push_str(",\"flags\":[");
    let mut first = true;
    for f in &raw.flags {
        let (Some((head, tail)), Some(t)) = (checker.rule_json(f.rule), text.get(f.start..f.end))
        else {
            continue;
        };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str("{\"start\":");
        push_usize(out, f.start);
        out.push_str(",\"end\":");
        push_usize(out, f.end);
        out.push_str(",\"text\":");
        push_json_str(out, t);
        out.push(',');
        out.push_str(head);
        out.push('"');
        out.push_str(f.severity.as_str());
        out.push('"');
        out.push_str(tail);
        out.push('}');
    }
    out.push(']');
    write_distress(out, &raw.distress);
    out.push('}');
}

/// Serialize one result line (without the newline).
pub fn write_result(out: &mut String, id: &str, r: &Report) {
    out.push_str("{\"id\":");
    push_json_str(out, id);
    out.push_str(",\"flags\":[");
    for (i, f) in r.flags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"start\":");
        push_usize(out, f.start);
        out.push_str(",\"end\":");
        push_usize(out, f.end);
        out.push_str(",\"text\":");
        push_json_str(out, &f.text);
        out.push_str(",\"rule\":");
        push_json_str(out, &f.rule);
        out.push_str(",\"category\":");
        push_json_str(out, &f.category);
        out.push_str(",\"severity\":\"");
        out.push_str(f.severity.as_str());
        out.push_str("\",\"suggestions\":[");
        for (j, s) in f.suggestions.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            push_json_str(out, s);
        }
        out.push_str("],\"reason\":");
        push_json_str(out, &f.reason);
        out.push('}');
    }
    out.push(']');
    write_distress(out, &r.distress);
    out.push('}');
}

fn write_distress(out: &mut String, d: &crate::Distress) {
    out.push_str(",\"distress\":{\"flagged\":");
    out.push_str(if d.flagged { "true" } else { "false" });
    out.push_str(",\"level\":");
    match d.level {
        Some(l) => {
            out.push('"');
            out.push_str(l.as_str());
            out.push('"');
        }
        None => out.push_str("null"),
    }
    out.push_str(",\"cues\":[");
    for (i, c) in d.cues.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"start\":");
        push_usize(out, c.start);
        out.push_str(",\"end\":");
        push_usize(out, c.end);
        out.push_str(",\"text\":");
        push_json_str(out, &c.text);
        out.push_str(",\"kind\":");
        push_json_str(out, &c.kind);
        out.push('}');
    }
    out.push_str("]}");
}

fn write_error(out: &mut String, line: usize, msg: &str) {
    out.push_str("{\"line\":");
    push_usize(out, line);
    out.push_str(",\"error\":");
    push_json_str(out, msg);
    out.push('}');
}

/// Human-readable flags for `lantern check FILE…`, one per line:
/// `file:line:col: rule: "text" → suggestion (reason)`.
///
/// Line and column are 1-based; the column counts characters (not bytes), as
/// editors do. Flags are listed in text order. The CLI exits 1 when
/// [`Report::has_warnings`] is true.
pub fn format_file_flags(path: &str, text: &str, report: &Report) -> String {
    let mut flags: Vec<&crate::Flag> = report.flags.iter().collect();
    flags.sort_by_key(|f| (f.start, f.end));
    let mut out = String::new();
    let (mut pos, mut line, mut col) = (0usize, 1usize, 1usize);
    for f in flags {
        let target = f.start.min(text.len());
        if target < pos {
            // overlapping or unsorted input: recount from the start
            pos = 0;
            line = 1;
            col = 1;
        }
        for c in text.get(pos..target).unwrap_or("").chars() {
            if c == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        pos = target;
        out.push_str(path);
        out.push(':');
        push_usize(&mut out, line);
        out.push(':');
        push_usize(&mut out, col);
        out.push_str(": ");
        out.push_str(&f.rule);
        out.push_str(": \"");
        out.push_str(&f.text);
        out.push('"');
        if let Some(s) = f.suggestions.first() {
            out.push_str(" → ");
            out.push_str(s);
        }
        out.push_str(" (");
        out.push_str(&f.reason);
        out.push_str(")\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_writer_matches_report_writer() {
        let c = Checker::builtin();
        for t in [
            "he is an addict who relapsed, UA came back dirty",
            "She said she wants to die.",
            "",
            "Café “clean” é",
        ] {
            let mut a = String::new();
            let mut b = String::new();
            write_raw(&mut a, &c, "x\"y", t);
            write_result(&mut b, "x\"y", &c.check(t));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn escapes() {
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\c\nd\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\"");
        let v: serde_json::Value = serde_json::from_str(&s).unwrap_or(serde_json::Value::Null);
        assert_eq!(v, serde_json::Value::String("a\"b\\c\nd\u{1}é".into()));
    }
}
