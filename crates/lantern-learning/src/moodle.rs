//! Moodle XML, the question format Moodle (and several other learning platforms) import and
//! export, so programs can share banks.
//!
//! Export writes one `multichoice` question per item: the id as `<name>` and `<idnumber>`, the
//! stem as `<questiontext>`, the rationale as `<generalfeedback>`, options as `<answer>` with
//! fraction 100 (single answer) or 100/n and -100 (multi-answer, `<single>false</single>`), and
//! our tags as Moodle `<tags>`: `category:IX`, `domain:advocacy`, `topic:ethics`, `difficulty:2`,
//! `status:reviewed`. Import reads the same, plus HTML question text from other systems (tags
//! stripped); questions of other types are skipped and listed. `import(export(bank)) == bank`.

use crate::item::{parse_category, roman, Bank, Choice, Domain, Item, Status, Topic};
use quick_xml::events::Event;
use quick_xml::Reader;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
    out
}

fn fraction(item: &Item, correct: bool) -> String {
    if item.answers <= 1 {
        if correct { "100" } else { "0" }.to_string()
    } else if correct {
        let f = 100.0 / item.answers as f64;
        let s = format!("{f:.5}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        "-100".to_string()
    }
}

/// The bank as a Moodle XML document.
pub fn export(bank: &Bank, category_name: &str) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n");
    x.push_str(&format!(
        "  <question type=\"category\">\n    <category><text>$course$/top/{}</text></category>\n  </question>\n",
        escape(category_name)
    ));
    for item in &bank.items {
        x.push_str("  <question type=\"multichoice\">\n");
        x.push_str(&format!("    <name><text>{}</text></name>\n", escape(&item.id)));
        x.push_str(&format!(
            "    <questiontext format=\"plain_text\"><text>{}</text></questiontext>\n",
            escape(&item.stem)
        ));
        x.push_str(&format!(
            "    <generalfeedback format=\"plain_text\"><text>{}</text></generalfeedback>\n",
            escape(&item.rationale)
        ));
        x.push_str("    <defaultgrade>1</defaultgrade>\n    <penalty>0</penalty>\n    <hidden>0</hidden>\n");
        x.push_str(&format!("    <idnumber>{}</idnumber>\n", escape(&item.id)));
        x.push_str(&format!("    <single>{}</single>\n", if item.answers <= 1 { "true" } else { "false" }));
        x.push_str("    <shuffleanswers>true</shuffleanswers>\n    <answernumbering>abc</answernumbering>\n");
        for c in &item.choices {
            x.push_str(&format!(
                "    <answer fraction=\"{}\" format=\"plain_text\"><text>{}</text><feedback format=\"plain_text\"><text></text></feedback></answer>\n",
                fraction(item, c.correct),
                escape(&c.text)
            ));
        }
        x.push_str("    <tags>\n");
        let mut tags: Vec<String> = item.categories.iter().map(|&c| format!("category:{}", roman(c))).collect();
        tags.extend(item.domains.iter().map(|d| format!("domain:{}", d.code())));
        tags.extend(item.topics.iter().map(|t| format!("topic:{}", t.code())));
        tags.push(format!("difficulty:{}", item.difficulty));
        tags.push(format!("status:{}", item.status.code()));
        for t in tags {
            x.push_str(&format!("      <tag><text>{}</text></tag>\n", escape(&t)));
        }
        x.push_str("    </tags>\n  </question>\n");
    }
    x.push_str("</quiz>\n");
    x
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not well-formed XML: {0}")]
    Xml(String),
    #[error("the file is not Moodle XML (no <quiz> element)")]
    NotMoodle,
    #[error("question {index} ({name}): {detail}")]
    Question { index: usize, name: String, detail: String },
}

/// What an import produced: the items (not yet validated; see [`Bank::problems`]) and the
/// questions it skipped because Lantern does not practise that type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Imported {
    pub bank: Bank,
    pub skipped: Vec<String>,
}

#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: String,
}

impl El {
    fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// The text of the `<text>` child (Moodle's wrapper for every string).
    fn text_of(&self) -> String {
        self.child("text").map(|t| t.text.clone()).unwrap_or_default()
    }
}

const MAX_DEPTH: usize = 32;

fn parse_tree(xml: &str) -> Result<El, ImportError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<El> = vec![El::default()];
    let xml_err = |e: &dyn std::fmt::Display| ImportError::Xml(e.to_string());
    loop {
        match reader.read_event().map_err(|e| xml_err(&e))? {
            Event::Start(s) => {
                if stack.len() > MAX_DEPTH {
                    return Err(ImportError::Xml("elements nested too deeply".into()));
                }
                let mut el = El { name: String::from_utf8_lossy(s.name().as_ref()).into_owned(), ..El::default() };
                for a in s.attributes() {
                    let a = a.map_err(|e| xml_err(&e))?;
                    let v = a.unescape_value().map_err(|e| xml_err(&e))?.into_owned();
                    el.attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), v));
                }
                stack.push(el);
            }
            Event::Empty(s) => {
                let mut el = El { name: String::from_utf8_lossy(s.name().as_ref()).into_owned(), ..El::default() };
                for a in s.attributes() {
                    let a = a.map_err(|e| xml_err(&e))?;
                    let v = a.unescape_value().map_err(|e| xml_err(&e))?.into_owned();
                    el.attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), v));
                }
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| ImportError::Xml("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(top) => top.children.push(el),
                    None => return Err(ImportError::Xml("unbalanced end tag".into())),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| xml_err(&e))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(c) => {
                let s = String::from_utf8_lossy(&c.into_inner()).into_owned();
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(ImportError::Xml("the document ends inside an element".into()));
    }
    Ok(stack.pop().unwrap_or_default())
}

/// Plain text from Moodle's HTML formats: tags dropped, common entities decoded, spaces collapsed.
fn html_to_text(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn formatted_text(el: Option<&El>) -> String {
    let Some(el) = el else { return String::new() };
    let raw = el.text_of();
    match el.attr("format") {
        Some("plain_text") | Some("markdown") => raw,
        _ => html_to_text(&raw),
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

/// Reads a Moodle XML document. Items come back as written; check them with [`Bank::problems`].
pub fn import(xml: &str) -> Result<Imported, ImportError> {
    let root = parse_tree(xml)?;
    let quiz = root.child("quiz").ok_or(ImportError::NotMoodle)?;
    let mut out = Imported::default();
    for (index, q) in quiz.all("question").enumerate() {
        let index = index + 1;
        let kind = q.attr("type").unwrap_or("");
        let name = q.child("name").map(El::text_of).unwrap_or_default();
        match kind {
            "category" | "description" => continue,
            "multichoice" => {}
            other => {
                out.skipped.push(format!("{name} ({other})"));
                continue;
            }
        }
        let qerr = |detail: String| ImportError::Question { index, name: name.clone(), detail };
        let idnumber = q.child("idnumber").map(|e| e.text.trim().to_string()).unwrap_or_default();
        let id = if crate::item::valid_id(&idnumber) {
            idnumber
        } else if crate::item::valid_id(name.trim()) {
            name.trim().to_string()
        } else {
            let s = slug(&name);
            if s.is_empty() { format!("imported-{index}") } else { s }
        };
        let mut choices = Vec::new();
        for a in q.all("answer") {
            let f: f64 = a
                .attr("fraction")
                .unwrap_or("0")
                .trim()
                .parse()
                .map_err(|_| qerr("an answer's fraction is not a number".into()))?;
            choices.push(Choice { text: formatted_text(Some(a)), correct: f > 0.0 });
        }
        let answers = choices.iter().filter(|c| c.correct).count() as u8;
        let mut categories = Vec::new();
        let mut domains = Vec::new();
        let mut topics = Vec::new();
        let mut difficulty = 2;
        let mut status = Status::Draft;
        if let Some(tags) = q.child("tags") {
            for t in tags.all("tag") {
                let t = t.text_of();
                let (k, v) = t.split_once(':').unwrap_or(("", t.as_str()));
                match k {
                    "category" => categories
                        .push(parse_category(v).ok_or_else(|| qerr(format!("unknown category tag {v}")))?),
                    "domain" => {
                        domains.push(Domain::parse(v).ok_or_else(|| qerr(format!("unknown domain tag {v}")))?)
                    }
                    "topic" => topics.push(Topic::parse(v).ok_or_else(|| qerr(format!("unknown topic tag {v}")))?),
                    "difficulty" => difficulty = v.parse().map_err(|_| qerr("difficulty tag is not 1–3".into()))?,
                    "status" => status = Status::parse(v).ok_or_else(|| qerr(format!("unknown status tag {v}")))?,
                    _ => {}
                }
            }
        }
        out.bank.items.push(Item {
            id,
            stem: formatted_text(q.child("questiontext")),
            choices,
            answers,
            rationale: formatted_text(q.child("generalfeedback")),
            categories,
            domains,
            topics,
            difficulty,
            status,
        });
    }
    Ok(out)
}
