//! The person's own plans beyond the safety plan: the wellness and action
//! plan, the psychiatric advance directive (PAD) record and the self-advocacy
//! plan. Each is a set of named sections written in the person's words, saved
//! as versions (storage keeps old versions unchanged).
//!
//! The wellness and action plan is generic, built from general concepts
//! (daily routine, triggers, early signs, things breaking down, crisis
//! instructions for supporters, after a crisis) under our own labels; it is
//! not a trademarked format and reproduces no published text.
//!
//! The PAD record holds what a person wants and who they chose, with the
//! jurisdiction and form version of what they signed; it is a record of their
//! wishes, never itself a legally executed document.

use crate::validate::{text, FieldError, ValidationErrors};

/// One section of a plan: form field name, and how much it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub max: usize,
    /// A multi-line answer (a textarea) rather than one line.
    pub long: bool,
    pub required: bool,
}

const fn long(name: &'static str) -> Field {
    Field { name, max: 4000, long: true, required: false }
}
const fn short(name: &'static str) -> Field {
    Field { name, max: 200, long: false, required: false }
}

/// Which plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanKind {
    Wellness,
    AdvanceDirective,
    Advocacy,
}

impl PlanKind {
    pub const ALL: [PlanKind; 3] = [PlanKind::Wellness, PlanKind::AdvanceDirective, PlanKind::Advocacy];

    /// The stored code (also the audit action prefix).
    pub fn code(self) -> &'static str {
        match self {
            PlanKind::Wellness => "wellness_plan",
            PlanKind::AdvanceDirective => "pad",
            PlanKind::Advocacy => "advocacy_plan",
        }
    }

    pub fn from_code(s: &str) -> Option<PlanKind> {
        PlanKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The sections, in the order they are written and shown.
    pub fn fields(self) -> &'static [Field] {
        match self {
            PlanKind::Wellness => WELLNESS,
            PlanKind::AdvanceDirective => PAD,
            PlanKind::Advocacy => ADVOCACY,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

/// The wellness and action plan.
pub const WELLNESS: &[Field] = &[
    long("when_well"),
    long("daily_routine"),
    long("triggers"),
    long("triggers_plan"),
    long("early_signs"),
    long("early_signs_plan"),
    long("breaking_down"),
    long("breaking_down_plan"),
    long("crisis_supporters"),
    long("after_crisis"),
];

/// The psychiatric advance directive record (fields after SAMHSA's public
/// guide and common state forms; see research/domain.md §3.5).
pub const PAD: &[Field] = &[
    Field { name: "jurisdiction", max: 100, long: false, required: true },
    short("form_version"),
    Field { name: "signed_on", max: 10, long: false, required: false },
    long("agent"),
    long("alternate_agent"),
    long("agent_authority"),
    long("excluded_people"),
    long("takes_effect"),
    long("health_information"),
    long("medication_preferences"),
    long("facility_preferences"),
    long("ect_and_research"),
    long("emergency_interventions"),
    long("crisis_what_helps"),
    long("people_to_notify"),
    long("care_of_dependents"),
    long("release_of_information"),
    long("copies_held_by"),
];

/// The self-advocacy plan.
pub const ADVOCACY: &[Field] = &[
    Field { name: "goal", max: 1000, long: true, required: true },
    long("ask_for"),
    long("who_can_help"),
    long("rights_involved"),
    long("next_steps"),
];

/// A service from the directory that can help (advocacy plan), as chosen:
/// a snapshot of its name and phone, so the plan reads the same later.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    pub service_id: String,
    pub name: String,
    pub phone: String,
}

/// How many directory services an advocacy plan links at most.
pub const MAX_LINKS: usize = 6;

/// One version of a plan, checked: every section of its kind, in order
/// (empty when not written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub kind: PlanKind,
    pub sections: Vec<(&'static str, String)>,
    pub links: Vec<Link>,
}

impl Plan {
    /// A plan read back from storage: known sections kept, unknown ones ignored.
    pub fn from_pairs<'a>(kind: PlanKind, pairs: impl IntoIterator<Item = (&'a str, &'a str)>, links: Vec<Link>) -> Plan {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let sections = kind
            .fields()
            .iter()
            .map(|f| (f.name, pairs.iter().find(|(k, _)| *k == f.name).map(|(_, v)| v.to_string()).unwrap_or_default()))
            .collect();
        Plan { kind, sections, links }
    }

    pub fn get(&self, name: &str) -> &str {
        self.sections.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(|(_, v)| v.is_empty()) && self.links.is_empty()
    }
}

/// Checks what a form or API body holds for a plan of this kind. `get`
/// answers a field's raw value ("" when absent). Every problem is reported
/// with its field; a plan with nothing written is refused.
pub fn parse(kind: PlanKind, get: impl Fn(&str) -> String, links: Vec<Link>) -> Result<Plan, ValidationErrors> {
    let mut e = ValidationErrors::default();
    let mut sections = Vec::new();
    for f in kind.fields() {
        let raw = get(f.name);
        let mut v = text(&mut e, f.name, &raw, f.required, f.max);
        if !f.long && v.contains(['\n', '\r']) {
            e.push(FieldError::new(f.name, "plans-error-one-line", "must be one line"));
            v = v.replace(['\n', '\r'], " ");
        }
        if f.name == "signed_on" && !v.is_empty() && v.parse::<jiff::civil::Date>().is_err() {
            e.push(FieldError::new(f.name, "error-date-format", "must be a date like 2025-03-14"));
        }
        sections.push((f.name, v));
    }
    if links.len() > MAX_LINKS {
        e.push(FieldError::new("services", "error-too-many", format!("at most {MAX_LINKS} services")));
    }
    let plan = Plan { kind, sections, links: links.into_iter().take(MAX_LINKS).collect() };
    if e.is_empty() && plan.is_empty() {
        e.push(FieldError::new(kind.fields()[0].name, "error-plan-empty", "write at least one section"));
    }
    e.into_result(plan)
}

// ---- the signed document of a PAD ----

/// The largest signed document accepted (3 MB: it and its form fit in the
/// web layer's upload body limit).
pub const MAX_DOCUMENT_BYTES: usize = 3 * 1024 * 1024;

/// The kinds of file a signed document may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentType {
    Pdf,
    Png,
    Jpeg,
}

impl DocumentType {
    pub fn content_type(self) -> &'static str {
        match self {
            DocumentType::Pdf => "application/pdf",
            DocumentType::Png => "image/png",
            DocumentType::Jpeg => "image/jpeg",
        }
    }

    pub fn from_content_type(s: &str) -> Option<DocumentType> {
        [DocumentType::Pdf, DocumentType::Png, DocumentType::Jpeg].into_iter().find(|d| d.content_type() == s)
    }

    fn by_extension(name: &str) -> Option<DocumentType> {
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
        match ext.as_str() {
            "pdf" => Some(DocumentType::Pdf),
            "png" => Some(DocumentType::Png),
            "jpg" | "jpeg" => Some(DocumentType::Jpeg),
            _ => None,
        }
    }

    /// What the first bytes say the file is.
    pub fn sniff(bytes: &[u8]) -> Option<DocumentType> {
        if bytes.starts_with(b"%PDF-") {
            Some(DocumentType::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(DocumentType::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(DocumentType::Jpeg)
        } else {
            None
        }
    }
}

/// Why an upload is refused; each names the `document` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentProblem {
    Missing,
    Empty,
    TooLarge,
    /// The name does not end in .pdf, .png, .jpg or .jpeg.
    NameNotAllowed,
    /// The content is not what the name says (or not a PDF, PNG or JPEG at all).
    ContentMismatch,
}

impl DocumentProblem {
    pub fn key(self) -> &'static str {
        match self {
            DocumentProblem::Missing => "pad-doc-error-missing",
            DocumentProblem::Empty => "pad-doc-error-empty",
            DocumentProblem::TooLarge => "pad-doc-error-too-large",
            DocumentProblem::NameNotAllowed => "pad-doc-error-type",
            DocumentProblem::ContentMismatch => "pad-doc-error-content",
        }
    }

    pub fn detail(self) -> String {
        match self {
            DocumentProblem::Missing => "choose a file to upload".into(),
            DocumentProblem::Empty => "the file is empty".into(),
            DocumentProblem::TooLarge => format!("the file is larger than {} MB", MAX_DOCUMENT_BYTES / (1024 * 1024)),
            DocumentProblem::NameNotAllowed => "only PDF, PNG or JPEG files (.pdf, .png, .jpg, .jpeg)".into(),
            DocumentProblem::ContentMismatch => "the file's content is not a PDF, PNG or JPEG as its name says".into(),
        }
    }

    pub fn to_errors(self) -> ValidationErrors {
        ValidationErrors(vec![FieldError::new("document", self.key(), self.detail())])
    }
}

/// Checks an uploaded signed document: not empty, not over `max` bytes, a
/// name ending in an allowed extension, and content whose magic bytes match
/// that extension (a text file renamed .pdf is refused).
pub fn check_document(file_name: &str, bytes: &[u8], max: usize) -> Result<DocumentType, DocumentProblem> {
    if file_name.trim().is_empty() && bytes.is_empty() {
        return Err(DocumentProblem::Missing);
    }
    if bytes.is_empty() {
        return Err(DocumentProblem::Empty);
    }
    if bytes.len() > max {
        return Err(DocumentProblem::TooLarge);
    }
    let named = DocumentType::by_extension(file_name.trim()).ok_or(DocumentProblem::NameNotAllowed)?;
    match DocumentType::sniff(bytes) {
        Some(t) if t == named => Ok(t),
        _ => Err(DocumentProblem::ContentMismatch),
    }
}

/// A file name safe for a `Content-Disposition` header: ASCII letters,
/// digits, dot, dash and underscore; anything else becomes `_`; at most 80
/// characters, keeping the extension.
pub fn safe_file_name(name: &str, t: DocumentType) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut s: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    s = s.trim_start_matches('.').to_string();
    let ext = match t {
        DocumentType::Pdf => ".pdf",
        DocumentType::Png => ".png",
        DocumentType::Jpeg => ".jpg",
    };
    if s.is_empty() || DocumentType::by_extension(&s) != Some(t) {
        s = format!("advance-directive{ext}");
    }
    if s.len() > 80 {
        s = format!("{}{}", &s[..80 - ext.len()], ext);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn none(_: &str) -> String {
        String::new()
    }

    #[test]
    fn an_empty_plan_is_refused_on_its_first_field() {
        let e = parse(PlanKind::Wellness, none, vec![]).unwrap_err();
        assert_eq!(e.0[0].field, "when_well");
        let e = parse(PlanKind::AdvanceDirective, none, vec![]).unwrap_err();
        assert!(e.for_field("jurisdiction").is_some(), "{e}");
        let e = parse(PlanKind::Advocacy, none, vec![]).unwrap_err();
        assert!(e.for_field("goal").is_some(), "{e}");
    }

    #[test]
    fn pad_checks_date_and_one_line_fields() {
        let get = |k: &str| match k {
            "jurisdiction" => "Florida".to_string(),
            "signed_on" => "14/03/2025".to_string(),
            "form_version" => "v1\nv2".to_string(),
            _ => String::new(),
        };
        let e = parse(PlanKind::AdvanceDirective, get, vec![]).unwrap_err();
        assert!(e.for_field("signed_on").is_some() && e.for_field("form_version").is_some(), "{e}");
        let ok = parse(PlanKind::AdvanceDirective, |k| if k == "jurisdiction" { " Florida ".into() } else { String::new() }, vec![]).unwrap();
        assert_eq!(ok.get("jurisdiction"), "Florida");
    }

    #[test]
    fn stored_pairs_come_back_in_field_order() {
        let p = Plan::from_pairs(PlanKind::Advocacy, [("ask_for", "A quiet room"), ("zzz", "ignored"), ("goal", "Keep my job")], vec![]);
        assert_eq!(p.sections[0], ("goal", "Keep my job".to_string()));
        assert_eq!(p.get("ask_for"), "A quiet room");
        assert_eq!(p.sections.len(), ADVOCACY.len());
    }

    #[test]
    fn documents_are_checked_by_content_not_only_name() {
        assert_eq!(check_document("pad.pdf", b"%PDF-1.4 ...", 100), Ok(DocumentType::Pdf));
        assert_eq!(check_document("scan.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 1], 100), Ok(DocumentType::Jpeg));
        assert_eq!(check_document("notes.pdf", b"just some text", 100), Err(DocumentProblem::ContentMismatch));
        assert_eq!(check_document("pad.png", b"%PDF-1.4", 100), Err(DocumentProblem::ContentMismatch));
        assert_eq!(check_document("pad.txt", b"%PDF-1.4", 100), Err(DocumentProblem::NameNotAllowed));
        assert_eq!(check_document("pad.pdf", b"", 100), Err(DocumentProblem::Empty));
        assert_eq!(check_document("", b"", 100), Err(DocumentProblem::Missing));
        assert_eq!(check_document("pad.pdf", &[b'%'; 101], 100), Err(DocumentProblem::TooLarge));
    }

    #[test]
    fn file_names_are_made_header_safe() {
        assert_eq!(safe_file_name("C:\\scans\\my pad\"; x.pdf", DocumentType::Pdf), "my_pad___x.pdf");
        assert_eq!(safe_file_name("", DocumentType::Png), "advance-directive.png");
        assert_eq!(safe_file_name(".pdf", DocumentType::Pdf), "advance-directive.pdf");
        let long = safe_file_name(&format!("{}.pdf", "a".repeat(300)), DocumentType::Pdf);
        assert!(long.len() == 80 && long.ends_with(".pdf"), "{long}");
    }

    proptest! {
        /// Whatever is typed, a wellness plan either names a field or keeps
        /// every section exactly as trimmed.
        #[test]
        fn parse_keeps_the_words(a in "\\PC{0,80}", b in "\\PC{0,80}") {
            let get = |k: &str| match k { "daily_routine" => a.clone(), "after_crisis" => b.clone(), _ => String::new() };
            match parse(PlanKind::Wellness, get, vec![]) {
                Ok(p) => {
                    prop_assert_eq!(p.get("daily_routine"), a.trim());
                    prop_assert_eq!(p.get("after_crisis"), b.trim());
                }
                Err(e) => prop_assert!(!e.0.is_empty()),
            }
        }

        /// No byte string is accepted unless its magic matches its name.
        #[test]
        fn random_bytes_never_pass_as_a_pdf(bytes in proptest::collection::vec(any::<u8>(), 1..64)) {
            let ok = check_document("x.pdf", &bytes, 1000).is_ok();
            prop_assert_eq!(ok, bytes.starts_with(b"%PDF-"));
        }
    }
}
