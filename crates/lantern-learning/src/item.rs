//! Practice-question items: the competency categories and exam domains they are tagged with, and
//! the checks every item must pass before it is stored, shown or exported.

use serde::{Deserialize, Serialize};

/// SAMHSA's core competencies for peer workers come in twelve categories, I–XII.
pub const CATEGORY_COUNT: u8 = 12;

const ROMAN: [&str; 12] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"];

/// The roman numeral of a category number 1..=12 ("?" outside that range).
pub fn roman(category: u8) -> &'static str {
    ROMAN.get((category as usize).wrapping_sub(1)).copied().unwrap_or("?")
}

/// A category from its roman numeral or its number ("IX" or "9").
pub fn parse_category(s: &str) -> Option<u8> {
    let s = s.trim();
    if let Ok(n) = s.parse::<u8>() {
        return (1..=CATEGORY_COUNT).contains(&n).then_some(n);
    }
    ROMAN.iter().position(|r| r.eq_ignore_ascii_case(s)).map(|i| i as u8 + 1)
}

/// IC&RC Peer Recovery's four performance domains (the exam blueprint's unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    Advocacy,
    MentoringEducation,
    RecoveryWellness,
    EthicalResponsibility,
}

impl Domain {
    pub const ALL: [Domain; 4] =
        [Domain::Advocacy, Domain::MentoringEducation, Domain::RecoveryWellness, Domain::EthicalResponsibility];

    pub fn code(self) -> &'static str {
        match self {
            Domain::Advocacy => "advocacy",
            Domain::MentoringEducation => "mentoring-education",
            Domain::RecoveryWellness => "recovery-wellness",
            Domain::EthicalResponsibility => "ethical-responsibility",
        }
    }

    /// The one-letter code used in the bank's data file (A, M, R, E).
    pub fn letter(self) -> char {
        match self {
            Domain::Advocacy => 'A',
            Domain::MentoringEducation => 'M',
            Domain::RecoveryWellness => 'R',
            Domain::EthicalResponsibility => 'E',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Domain::Advocacy => "Advocacy",
            Domain::MentoringEducation => "Mentoring and education",
            Domain::RecoveryWellness => "Recovery and wellness support",
            Domain::EthicalResponsibility => "Ethical responsibility",
        }
    }

    pub fn parse(s: &str) -> Option<Domain> {
        let s = s.trim();
        Domain::ALL.into_iter().find(|d| d.code() == s || (s.len() == 1 && s.starts_with(d.letter())))
    }
}

/// The NCPRSS (NAADAC / NCC AP) education topics, used as secondary tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    Documentation,
    CommunityFamilyEducation,
    CaseManagement,
    CrisisManagement,
    Rosc,
    ScreeningIntake,
    IndicatorsReferral,
    ServiceCoordination,
    ServicePlanning,
    CulturalHumility,
    Pharmacology,
    Ethics,
    HivBloodborne,
}

impl Topic {
    pub const ALL: [Topic; 13] = [
        Topic::Documentation,
        Topic::CommunityFamilyEducation,
        Topic::CaseManagement,
        Topic::CrisisManagement,
        Topic::Rosc,
        Topic::ScreeningIntake,
        Topic::IndicatorsReferral,
        Topic::ServiceCoordination,
        Topic::ServicePlanning,
        Topic::CulturalHumility,
        Topic::Pharmacology,
        Topic::Ethics,
        Topic::HivBloodborne,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Topic::Documentation => "documentation",
            Topic::CommunityFamilyEducation => "community-family-education",
            Topic::CaseManagement => "case-management",
            Topic::CrisisManagement => "crisis-management",
            Topic::Rosc => "rosc",
            Topic::ScreeningIntake => "screening-intake",
            Topic::IndicatorsReferral => "indicators-referral",
            Topic::ServiceCoordination => "service-coordination",
            Topic::ServicePlanning => "service-planning",
            Topic::CulturalHumility => "cultural-humility",
            Topic::Pharmacology => "pharmacology",
            Topic::Ethics => "ethics",
            Topic::HivBloodborne => "hiv-bloodborne",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Topic::Documentation => "Documentation",
            Topic::CommunityFamilyEducation => "Community and family education",
            Topic::CaseManagement => "Case management",
            Topic::CrisisManagement => "Crisis management",
            Topic::Rosc => "Recovery-oriented systems of care",
            Topic::ScreeningIntake => "Screening and intake",
            Topic::IndicatorsReferral => "Recognising indicators for referral",
            Topic::ServiceCoordination => "Service coordination",
            Topic::ServicePlanning => "Service planning",
            Topic::CulturalHumility => "Cultural awareness and humility",
            Topic::Pharmacology => "Basic pharmacology",
            Topic::Ethics => "Ethics",
            Topic::HivBloodborne => "HIV and bloodborne pathogens",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        let s = s.trim();
        Topic::ALL.into_iter().find(|t| t.code() == s)
    }
}

/// Authoring status: new or edited items are drafts; only reviewed items are practised or examined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Draft,
    Reviewed,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Reviewed => "reviewed",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        match s.trim() {
            "draft" => Some(Status::Draft),
            "reviewed" => Some(Status::Reviewed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub text: String,
    pub correct: bool,
}

/// One multiple-choice question: four options, `answers` of them correct (1 for single-answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    pub stem: String,
    pub choices: Vec<Choice>,
    /// The declared number of correct options (1 = single answer).
    pub answers: u8,
    /// Why the right answer is right and the others are not: it teaches.
    pub rationale: String,
    /// Competency categories 1..=12 (I–XII), the first is the main one.
    pub categories: Vec<u8>,
    /// IC&RC PR domains, the first is the one the exam blueprint counts it under.
    pub domains: Vec<Domain>,
    /// NCPRSS education topics (may be empty).
    pub topics: Vec<Topic>,
    /// 1 = foundational, 2 = applied, 3 = judgement between good options.
    pub difficulty: u8,
    pub status: Status,
}

/// One problem with one field of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub field: &'static str,
    pub detail: String,
}

impl Problem {
    fn new(field: &'static str, detail: impl Into<String>) -> Problem {
        Problem { field, detail: detail.into() }
    }
}

pub const OPTION_COUNT: usize = 4;
pub const STEM_MIN: usize = 20;
pub const STEM_MAX: usize = 1500;
pub const CHOICE_MAX: usize = 400;
pub const RATIONALE_MIN: usize = 40;
pub const RATIONALE_MAX: usize = 2000;

fn has_hidden_chars(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

fn check_text(out: &mut Vec<Problem>, field: &'static str, value: &str, min: usize, max: usize) {
    let n = value.chars().count();
    if value.trim().is_empty() {
        out.push(Problem::new(field, "is empty"));
    } else if n < min {
        out.push(Problem::new(field, format!("is too short ({n} characters; at least {min})")));
    } else if n > max {
        out.push(Problem::new(field, format!("is too long ({n} characters; at most {max})")));
    }
    if value != value.trim() {
        out.push(Problem::new(field, "starts or ends with spaces"));
    }
    if has_hidden_chars(value) {
        out.push(Problem::new(field, "contains control or invisible characters"));
    }
}

/// Whether a string is a usable item id: 1–40 of a-z, 0-9 and '-', starting with a letter or digit.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 40
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

impl Item {
    /// The domain a mock exam counts this item under.
    pub fn primary_domain(&self) -> Domain {
        self.domains.first().copied().unwrap_or(Domain::EthicalResponsibility)
    }

    pub fn correct_indexes(&self) -> Vec<usize> {
        self.choices.iter().enumerate().filter(|(_, c)| c.correct).map(|(i, _)| i).collect()
    }

    /// Whether a set of chosen option indexes is exactly the set of correct ones.
    pub fn is_correct(&self, chosen: &[usize]) -> bool {
        let mut chosen = chosen.to_vec();
        chosen.sort_unstable();
        chosen.dedup();
        chosen == self.correct_indexes()
    }

    /// Every problem with this item, each naming its field. Empty means valid.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if !valid_id(&self.id) {
            out.push(Problem::new("id", "must be 1–40 characters of a–z, 0–9 and '-'"));
        }
        check_text(&mut out, "stem", &self.stem, STEM_MIN, STEM_MAX);
        if self.choices.len() != OPTION_COUNT {
            out.push(Problem::new("choices", format!("needs exactly {OPTION_COUNT} options, has {}", self.choices.len())));
        }
        for (i, c) in self.choices.iter().enumerate() {
            let field = ["choice_1", "choice_2", "choice_3", "choice_4"].get(i).copied().unwrap_or("choices");
            check_text(&mut out, field, &c.text, 1, CHOICE_MAX);
        }
        let mut seen: Vec<String> = Vec::new();
        for c in &self.choices {
            let k = c.text.trim().to_lowercase();
            if !k.is_empty() && seen.contains(&k) {
                out.push(Problem::new("choices", format!("the option \"{}\" appears twice", c.text.trim())));
            }
            seen.push(k);
        }
        if self.answers == 0 || self.answers as usize >= OPTION_COUNT {
            out.push(Problem::new("answers", "the number of correct options must be 1, 2 or 3"));
        }
        let correct = self.choices.iter().filter(|c| c.correct).count();
        if correct != self.answers as usize {
            out.push(Problem::new(
                "answers",
                format!("declares {} correct option(s) but {} are marked correct", self.answers, correct),
            ));
        }
        check_text(&mut out, "rationale", &self.rationale, RATIONALE_MIN, RATIONALE_MAX);
        if self.categories.is_empty() {
            out.push(Problem::new("categories", "needs at least one competency category (I–XII)"));
        }
        if self.categories.iter().any(|c| !(1..=CATEGORY_COUNT).contains(c)) {
            out.push(Problem::new("categories", "categories must be I–XII"));
        }
        if has_dupes(&self.categories) {
            out.push(Problem::new("categories", "a category is listed twice"));
        }
        if self.domains.is_empty() {
            out.push(Problem::new("domains", "needs at least one exam domain"));
        }
        if has_dupes(&self.domains) {
            out.push(Problem::new("domains", "a domain is listed twice"));
        }
        if has_dupes(&self.topics) {
            out.push(Problem::new("topics", "a topic is listed twice"));
        }
        if !(1..=3).contains(&self.difficulty) {
            out.push(Problem::new("difficulty", "must be 1 (foundational), 2 (applied) or 3 (judgement)"));
        }
        out
    }
}

fn has_dupes<T: PartialEq>(v: &[T]) -> bool {
    v.iter().enumerate().any(|(i, a)| v[..i].contains(a))
}

/// A whole bank: what is shipped, stored per organization, imported and exported.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Bank {
    pub items: Vec<Item>,
}

/// A problem of one item within a bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankProblem {
    pub item: String,
    pub field: &'static str,
    pub detail: String,
}

/// Lower-case, letters and digits only: two stems that differ only in spacing or punctuation match.
pub fn stem_key(stem: &str) -> String {
    stem.chars().filter(|c| c.is_alphanumeric()).flat_map(|c| c.to_lowercase()).collect()
}

impl Bank {
    /// Every problem in the bank: each item's own, plus duplicate ids and duplicate stems.
    pub fn problems(&self) -> Vec<BankProblem> {
        let mut out = Vec::new();
        let mut ids = std::collections::HashSet::new();
        let mut stems = std::collections::HashMap::new();
        for item in &self.items {
            for p in item.problems() {
                out.push(BankProblem { item: item.id.clone(), field: p.field, detail: p.detail });
            }
            if !ids.insert(item.id.as_str()) {
                out.push(BankProblem { item: item.id.clone(), field: "id", detail: "the id is used twice".into() });
            }
            if let Some(first) = stems.insert(stem_key(&item.stem), item.id.as_str()) {
                out.push(BankProblem {
                    item: item.id.clone(),
                    field: "stem",
                    detail: format!("the same question as {first}"),
                });
            }
        }
        out
    }

    /// How many items have each category (index 0 = category I); an item counts in each of its categories.
    pub fn category_counts(&self) -> [usize; 12] {
        let mut counts = [0; 12];
        for item in &self.items {
            for &c in &item.categories {
                if (1..=12).contains(&c) {
                    counts[c as usize - 1] += 1;
                }
            }
        }
        counts
    }

    /// How many items each domain is the primary domain of.
    pub fn domain_counts(&self) -> [(Domain, usize); 4] {
        Domain::ALL.map(|d| (d, self.items.iter().filter(|i| i.primary_domain() == d).count()))
    }

    pub fn get(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
}
