//! Term rules compiled for matching, and the context filters that decide
//! whether a surface match is the stigmatizing sense.
//!
//! Naive surface matching of the research's own forms reached precision 0.75;
//! every false positive fell into five patterns (object senses, third-party
//! subjects, proper names, quoted self-description, clinical terms). Each
//! filter below handles one of them with a small, local look at the clause
//! around the match, so the cost is per match, not per byte.

use crate::norm::{
    sentence_around, tokens_after, tokens_after_vec, tokens_before, FxHashSet, Normalized,
    PhraseSet, SpanSet, Tok,
};
use crate::rules::{
    expand, spelling_variants, QuotePolicy, Rule, RuleError, RuleSet, Sense, Severity,
};
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub(crate) struct CompiledForm {
    pub severity: Option<Severity>,
    pub sense: Option<Sense>,
    pub case_sensitive: bool,
    pub not_before: PhraseSet,
    pub not_after: PhraseSet,
}

pub(crate) struct CompiledRule {
    pub id: String,
    pub category: String,
    pub severity: Severity,
    pub suggestions: Vec<String>,
    /// Reason with the guides named, ready to show.
    pub reason: String,
    pub sources: Vec<String>,
    pub quotes: QuotePolicy,
    pub sense: Sense,
    pub forms: Vec<CompiledForm>,
    pub not_before: PhraseSet,
    pub not_after: PhraseSet,
    pub not_near: Vec<String>,
    pub info_before: PhraseSet,
    pub info_after: PhraseSet,
    /// Pre-rendered JSON members for the JSONL writer: `"rule":…,"category":…,`
    /// and `"suggestions":[…],"reason":…` (the severity goes between them).
    pub json_head: String,
    pub json_tail: String,
}

pub(crate) struct CompiledTerms {
    pub version: String,
    pub rules: Vec<CompiledRule>,
    /// (normalized pattern, rule index, form index, original-case pattern)
    pub patterns: Vec<(String, usize, usize, String)>,
    /// Normalized marker phrases, matched by the shared automaton.
    pub names: Vec<String>,
    pub self_description: Vec<String>,
    pub literature: Vec<String>,
}

fn toks(list: &[String]) -> PhraseSet {
    PhraseSet::from_strs(list)
}

fn norm_list(list: &[String]) -> Vec<String> {
    list.iter()
        .map(|n| crate::norm::normalize(n))
        .filter(|n| !n.trim().is_empty())
        .collect()
}

pub(crate) fn compile(rs: &RuleSet) -> Result<CompiledTerms, RuleError> {
    let slots = BTreeMap::new();
    let mut rules = Vec::new();
    let mut patterns = Vec::new();
    for r in rs.rules.iter().filter(|r| r.enabled) {
        let ri = rules.len();
        let mut forms = Vec::new();
        for (fi, f) in r.forms.iter().enumerate() {
            let spec = f.spec();
            let expanded = expand(&spec.text, &slots).map_err(|m| RuleError::Invalid {
                rule: r.id.clone(),
                message: m,
            })?;
            for e in expanded {
                for v in spelling_variants(&e, true) {
                    let n = crate::norm::normalize(&v);
                    if n.trim().is_empty() {
                        return Err(RuleError::Invalid {
                            rule: r.id.clone(),
                            message: "empty form".into(),
                        });
                    }
                    patterns.push((n, ri, fi, v));
                }
            }
            forms.push(CompiledForm {
                severity: spec.severity,
                sense: spec.sense,
                case_sensitive: spec.case_sensitive,
                not_before: toks(&spec.not_before),
                not_after: toks(&spec.not_after),
            });
        }
        let reason = reason_with_sources(r, rs);
        let mut json_head = String::from("\"rule\":");
        crate::jsonl::push_json_str(&mut json_head, &r.id);
        json_head.push_str(",\"category\":");
        crate::jsonl::push_json_str(&mut json_head, &r.category);
        json_head.push_str(",\"severity\":");
        let mut json_tail = String::from(",\"suggestions\":[");
        for (i, sg) in r.suggestions.iter().enumerate() {
            if i > 0 {
                json_tail.push(',');
            }
            crate::jsonl::push_json_str(&mut json_tail, sg);
        }
        json_tail.push_str("],\"reason\":");
        crate::jsonl::push_json_str(&mut json_tail, &reason);
        rules.push(CompiledRule {
            json_head,
            json_tail,
            id: r.id.clone(),
            category: r.category.clone(),
            severity: r.severity,
            suggestions: r.suggestions.clone(),
            reason,
            sources: r.sources.clone(),
            quotes: r.quotes,
            sense: r.sense,
            forms,
            not_before: toks(&r.not_before),
            not_after: toks(&r.not_after),
            not_near: r.not_near.iter().map(|s| s.to_lowercase()).collect(),
            info_before: toks(&r.info_before),
            info_after: toks(&r.info_after),
        });
    }
    Ok(CompiledTerms {
        version: rs.version.clone(),
        rules,
        patterns,
        names: norm_list(&rs.names),
        self_description: norm_list(&rs.self_description),
        literature: norm_list(&rs.literature),
    })
}

/// "Reason. Guidance: NIDA Words Matter, AP Stylebook." – short names; full
/// titles, links and verification status live in the rule set's `sources`.
fn reason_with_sources(r: &Rule, rs: &RuleSet) -> String {
    let mut s = r.reason.trim().to_string();
    if !r.sources.is_empty() {
        let names: Vec<&str> = r
            .sources
            .iter()
            .map(|k| match rs.sources.get(k) {
                Some(src) if !src.name.is_empty() => src.name.as_str(),
                _ => k.as_str(),
            })
            .collect();
        s.push_str(" Guidance: ");
        s.push_str(&names.join(", "));
        s.push('.');
    }
    s
}

/// A term candidate in normalized offsets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TermCand {
    pub start: usize,
    pub end: usize,
    pub rule: usize,
    pub form: usize,
}

// ---------------------------------------------------------------- word lists

const PERSON: &[&str] = &[
    "he",
    "she",
    "they",
    "him",
    "her",
    "them",
    "member",
    "members",
    "client",
    "clients",
    "patient",
    "patients",
    "participant",
    "participants",
    "peer",
    "resident",
    "residents",
    "consumer",
    "individual",
    "person",
    "guest",
    "youth",
    "veteran",
    "pt",
    "mbr",
    "man",
    "woman",
    "guy",
    "lady",
    "gentleman",
    "boy",
    "girl",
    "who's",
    "he's",
    "she's",
    "they're",
    "tenant",
];
const PERSON_NOUNS: &[&str] = &[
    "lady",
    "man",
    "woman",
    "guy",
    "person",
    "people",
    "patient",
    "patients",
    "client",
    "clients",
    "member",
    "members",
    "resident",
    "residents",
    "individual",
    "individuals",
    "kid",
    "kids",
    "teen",
    "teens",
    "adult",
    "adults",
    "mother",
    "father",
    "mom",
    "dad",
    "neighbor",
    "neighbour",
    "roommate",
    "ex",
    "boyfriend",
    "girlfriend",
    "husband",
    "wife",
    "old",
    "junkie",
    "addict",
    "dude",
    "gentleman",
    "folks",
    "participant",
    "participants",
    "guest",
    "guests",
    "youth",
];
const THIRD: &[&str] = &[
    "landlord",
    "company",
    "insurance",
    "insurer",
    "agency",
    "court",
    "judge",
    "pharmacy",
    "office",
    "shelter",
    "program",
    "clinic",
    "hospital",
    "doctor",
    "dr",
    "nurse",
    "staff",
    "provider",
    "bank",
    "employer",
    "school",
    "officer",
    "police",
    "mother",
    "father",
    "mom",
    "dad",
    "brother",
    "sister",
    "family",
    "partner",
    "boyfriend",
    "girlfriend",
    "husband",
    "wife",
    "ex",
    "roommate",
    "neighbor",
    "neighbour",
    "manager",
    "caseworker",
    "worker",
    "counselor",
    "therapist",
    "prescriber",
    "psychiatrist",
    "pharmacist",
    "team",
    "department",
    "dss",
    "hud",
    "ssa",
    "medicaid",
    "medicare",
    "state",
    "county",
    "city",
    "system",
    "facility",
    "building",
    "property",
    "owner",
    "management",
    "lender",
    "store",
    "boss",
    "probation",
    "parole",
    "attorney",
    "lawyer",
    "driver",
    "friend",
    "son",
    "daughter",
    "kids",
    "children",
    "cousin",
    "aunt",
    "uncle",
    "grandmother",
    "grandfather",
    "grandma",
    "grandpa",
    "sponsor",
    "it",
    "there",
    "everything",
    "apartment",
    "room",
    "kitchen",
    "house",
    "unit",
    "weather",
    "car",
    "place",
];
const WRITER: &[&str] = &["i", "we", "us", "our", "my"];
const TEST_NOUNS: &[&str] = &[
    "ua",
    "uas",
    "urine",
    "screen",
    "screens",
    "test",
    "tests",
    "tox",
    "uds",
    "sample",
    "samples",
    "result",
    "results",
    "urinalysis",
    "panel",
    "labs",
    "drug",
    "specimen",
];
/// Person-related objects that stand in for the subject in passive note style ("Meds refused").
const PERSON_CONTEXT: &[&str] = &[
    "med",
    "meds",
    "medication",
    "medications",
    "treatment",
    "services",
    "care",
    "labs",
    "vitals",
    "shower",
    "meal",
    "meals",
    "breakfast",
    "lunch",
    "dinner",
    "groups",
];
const SKIP: &[&str] = &[
    "is",
    "was",
    "are",
    "were",
    "be",
    "been",
    "being",
    "'s",
    "has",
    "have",
    "had",
    "having",
    "do",
    "does",
    "did",
    "will",
    "would",
    "can",
    "could",
    "may",
    "might",
    "should",
    "must",
    "shall",
    "not",
    "never",
    "also",
    "then",
    "again",
    "still",
    "just",
    "really",
    "very",
    "so",
    "too",
    "quite",
    "often",
    "always",
    "continues",
    "continued",
    "continue",
    "keeps",
    "kept",
    "keep",
    "to",
    "seems",
    "seemed",
    "appears",
    "appeared",
    "became",
    "become",
    "becomes",
    "got",
    "gets",
    "get",
    "getting",
    "remains",
    "remained",
    "stayed",
    "stays",
    "stay",
    "staying",
    "who",
    "that",
    "which",
    "initially",
    "later",
    "today",
    "yesterday",
    "now",
    "once",
    "all",
    "both",
    "as",
    "described",
    "describe",
    "describes",
    "called",
    "calls",
    "call",
    "considered",
    "labeled",
    "labelled",
    "lists",
    "listed",
    "documented",
    "noted",
    "viewed",
    "seen",
    "presents",
    "presented",
    "even",
    "already",
    "ever",
    "sometimes",
    "n't",
    "doesn't",
    "didn't",
    "don't",
    "isn't",
    "wasn't",
    "won't",
    "can't",
    "cannot",
    "tonight",
    "morning",
    "this",
    "last",
    "night",
    "week",
    "again",
    "allegedly",
    "reportedly",
    "apparently",
    "supposedly",
    "tried",
    "try",
    "tries",
    "trying",
    "started",
    "starts",
    "start",
    "began",
    "begins",
];
const PREDICATE: &[&str] = &[
    "is",
    "was",
    "are",
    "were",
    "be",
    "been",
    "being",
    "'s",
    "'re",
    "am",
    "'m",
    "stay",
    "stays",
    "stayed",
    "staying",
    "remain",
    "remains",
    "remained",
    "remaining",
    "got",
    "get",
    "gets",
    "getting",
    "seems",
    "seemed",
    "appears",
    "appeared",
    "became",
    "become",
    "becomes",
    "looked",
    "looks",
    "sounded",
    "sounds",
    "living",
    "lives",
    "came",
    "come",
    "comes",
    "went",
    "goes",
    "keep",
    "keeps",
    "kept",
    "keeping",
    "feel",
    "feels",
    "felt",
    "feeling",
];
const INTENSIFIERS: &[&str] = &[
    "completely",
    "totally",
    "fully",
    "still",
    "now",
    "finally",
    "very",
    "so",
    "quite",
    "pretty",
    "really",
    "extremely",
    "somewhat",
    "increasingly",
    "more",
    "a",
    "bit",
    "little",
    "potentially",
    "always",
    "often",
    "sometimes",
    "not",
    "never",
    "also",
    "been",
    "again",
    "even",
    "actually",
    "mostly",
    "already",
    "officially",
    "being",
];
const LABEL_FOLLOW: &[&str] = &[
    "and",
    "but",
    "or",
    "so",
    "who",
    "which",
    "with",
    "since",
    "because",
    "according",
    "per",
    "like",
    "at",
    "in",
    "on",
    "too",
    "as",
    "when",
    "while",
    "if",
    "though",
    "although",
    "now",
    "then",
    "again",
    "anymore",
    "lately",
    "today",
    "yesterday",
    "all",
    "also",
    "is",
    "was",
    "has",
    "had",
    "for",
    "herself",
    "himself",
    "themselves",
    "again",
    "by",
    "from",
    "she",
    "he",
    "they",
    "the",
    "a",
    "her",
    "his",
    "their",
    "that",
    "this",
    "just",
    "there",
    "here",
    "to",
    "after",
    "before",
    "until",
    "says",
    "said",
];
const CONDITIONS: &[&str] = &[
    "depression",
    "depressive",
    "anxiety",
    "schizophrenia",
    "schizoaffective",
    "bipolar",
    "ptsd",
    "addiction",
    "addictions",
    "alcoholism",
    "disorder",
    "disorders",
    "illness",
    "illnesses",
    "mental",
    "ocd",
    "adhd",
    "psychosis",
    "dementia",
    "autism",
    "substance",
    "substances",
    "drug",
    "drugs",
    "alcohol",
    "opioid",
    "opioids",
    "heroin",
    "meth",
    "cocaine",
    "panic",
    "paranoia",
    "personality",
    "eating",
    "anorexia",
    "bulimia",
    "hallucinations",
    "voices",
    "delusions",
    "mania",
    "sud",
    "aud",
    "oud",
    "gad",
    "mdd",
    "bpd",
    "condition",
    "conditions",
    "trauma",
    "alzheimer's",
    "alzheimers",
    "psychiatric",
    "schizophrenic",
    "depressed",
    "phobia",
    "agoraphobia",
    "insomnia",
    "dissociative",
    "did",
    "cptsd",
    "c-ptsd",
    "gambling",
    "compulsive",
    "fentanyl",
    "crack",
    "pills",
    "polysubstance",
    "dual",
    "co-occurring",
];
const SUD_WORDS: &[&str] = &[
    "drug",
    "drugs",
    "alcohol",
    "drinking",
    "drinks",
    "drink",
    "heroin",
    "meth",
    "cocaine",
    "crack",
    "opioid",
    "opioids",
    "opiate",
    "opiates",
    "pills",
    "fentanyl",
    "substance",
    "substances",
    "using",
    "high",
    "dope",
    "weed",
    "marijuana",
    "cannabis",
    "benzos",
    "oxy",
    "percs",
    "xanax",
    "needle",
    "needles",
    "inject",
    "injecting",
    "sober",
    "sobriety",
    "recovery",
    "relapse",
    "relapsed",
    "addiction",
    "methadone",
    "suboxone",
    "buprenorphine",
    "naloxone",
    "narcan",
    "ua",
    "tox",
    "detox",
    "rehab",
    "drunk",
    "booze",
    "coke",
    "smack",
    "dealer",
    "overdose",
    "overdosed",
    "kratom",
];
const REPORT_VERBS: &[&str] = &[
    "reports",
    "reported",
    "reporting",
    "says",
    "said",
    "states",
    "stated",
    "describes",
    "described",
    "endorses",
    "endorsed",
    "feels",
    "felt",
    "feeling",
    "shares",
    "shared",
    "mentions",
    "mentioned",
    "admits",
    "admitted",
    "complains",
    "complained",
    "expresses",
    "expressed",
    "explains",
    "explained",
    "notes",
    "has",
    "had",
    "having",
    "experiencing",
    "experiences",
];
const FIRST_PERSON: &[&str] = &[
    "i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "myself", "we", "we're", "our", "us",
    "im",
];

/// Which word list a lookup is against.
#[derive(Clone, Copy)]
enum L {
    Person,
    PersonNouns,
    Third,
    Writer,
    TestNouns,
    PersonContext,
    Skip,
    Predicate,
    Intensifiers,
    LabelFollow,
    Conditions,
    SudWords,
    ReportVerbs,
    FirstPerson,
}

/// The word lists above as hash sets, built once per process: context checks
/// look words up many times per match.
fn sets() -> &'static [FxHashSet<&'static str>] {
    static W: OnceLock<Vec<FxHashSet<&'static str>>> = OnceLock::new();
    W.get_or_init(|| {
        let lists: [&[&'static str]; 14] = [
            PERSON,
            PERSON_NOUNS,
            THIRD,
            WRITER,
            TEST_NOUNS,
            PERSON_CONTEXT,
            SKIP,
            PREDICATE,
            INTENSIFIERS,
            LABEL_FOLLOW,
            CONDITIONS,
            SUD_WORDS,
            REPORT_VERBS,
            FIRST_PERSON,
        ];
        lists.iter().map(|l| l.iter().copied().collect()).collect()
    })
}

#[inline]
fn has(list: L, w: &str) -> bool {
    sets()
        .get(list as usize)
        .map(|s| s.contains(w))
        .unwrap_or(false)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subj {
    Person,
    Test,
    ThirdParty,
    Writer,
    Implicit,
    Other,
}

/// Classify the grammatical subject before `tokens` (nearest first).
/// `orig` and `n` let a capitalized mid-sentence word count as a name.
fn classify_subject(
    before: &[Tok<'_>],
    reached_start: bool,
    orig: &str,
    n: &Normalized,
    allow_person_context: bool,
) -> Subj {
    let mut after_conj = false;
    for (i, t) in before.iter().enumerate() {
        let w = t.text;
        let base = t.base();
        if has(L::Person, w) || has(L::Person, base) {
            return Subj::Person;
        }
        if allow_person_context && has(L::PersonContext, base) {
            return Subj::Person;
        }
        if has(L::TestNouns, base) {
            return Subj::Test;
        }
        if has(L::Writer, w) {
            return Subj::Writer;
        }
        if has(L::Third, base) {
            return Subj::ThirdParty;
        }
        if w == "and" || w == "or" || w == "&" {
            after_conj = true;
            continue;
        }
        if has(L::Skip, w) || (w.len() > 4 && w.ends_with("ly")) {
            continue;
        }
        // Capitalized mid-clause word that is not clause-initial: likely a name.
        let is_first = i + 1 == before.len() && reached_start;
        if !is_first && is_capitalized(orig, n, t) {
            return Subj::Person;
        }
        if after_conj {
            continue;
        }
        return Subj::Other;
    }
    if reached_start {
        Subj::Implicit
    } else {
        Subj::Other
    }
}

fn orig_slice<'a>(orig: &'a str, n: &Normalized, t: &Tok<'_>) -> &'a str {
    let a = n.to_orig(t.start);
    let b = n.to_orig(t.end);
    orig.get(a..b).unwrap_or("")
}

fn is_capitalized(orig: &str, n: &Normalized, t: &Tok<'_>) -> bool {
    let s = orig_slice(orig, n, t);
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_uppercase() => cs.any(|c| c.is_lowercase()),
        _ => false,
    }
}

/// The decision for one candidate.
pub(crate) enum Decision {
    Drop,
    Keep(Severity),
}

pub(crate) struct Ctx<'a> {
    pub orig: &'a str,
    pub n: &'a Normalized,
    pub terms: &'a CompiledTerms,
    pub names: &'a SpanSet,
    pub self_desc: &'a SpanSet,
    pub literature: &'a SpanSet,
}

impl<'a> Ctx<'a> {
    pub fn decide(&self, c: TermCand) -> Decision {
        let rule = match self.terms.rules.get(c.rule) {
            Some(r) => r,
            None => return Decision::Drop,
        };
        let form = match rule.forms.get(c.form) {
            Some(f) => f,
            None => return Decision::Drop,
        };
        let s = self.n.text.as_str();
        // 1. names (allow-list spans, "X Anonymous", title-case names)
        if self.names.overlaps(c.start, c.end) {
            return Decision::Drop;
        }
        let (before, reached_start) = tokens_before(s, c.start, 12, true);
        let (after, _) = tokens_after(s, c.end, 6, true);
        // cheap per-rule neighbours first: most rejected candidates stop here
        if rule.not_before.starts(&after)
            || form.not_before.starts(&after)
            || rule.not_after.ends(&before)
            || form.not_after.ends(&before)
        {
            return Decision::Drop;
        }
        if after.iter().take(4).any(|t| t.text == "anonymous") {
            return Decision::Drop;
        }
        if self.title_case_name(c, &before, &after, reached_start) {
            return Decision::Drop;
        }
        // 2. quotes
        if let Some((qs, qe)) = self.n.quote_at(c.start) {
            match rule.quotes {
                QuotePolicy::Suppress => return Decision::Drop,
                QuotePolicy::Flag => {}
                QuotePolicy::FlagUnlessFirstPerson => {
                    let inner = s
                        .get(qs + 1..qe.saturating_sub(1).max(qs + 1))
                        .unwrap_or("");
                    let qt = tokens_after_vec(inner, 0, 200);
                    let scare = qt.len() <= 2;
                    if scare || qt.iter().any(|t| has(L::FirstPerson, t.text)) {
                        return Decision::Drop;
                    }
                }
            }
        }
        // 3. self-description and recovery literature
        if matches!(
            rule.category.as_str(),
            "sud_label" | "sud_status" | "mh_label"
        ) {
            if !self.self_desc.is_empty() {
                let lo = before
                    .get(9)
                    .or(before.last())
                    .map(|t| t.start)
                    .unwrap_or(c.start);
                if self.self_desc.ends_within(lo, c.start) {
                    return Decision::Drop;
                }
            }
            if rule.category == "sud_label" && !self.literature.is_empty() {
                let (a, b) = sentence_around(s, c.start, c.end, 300);
                if self.literature.overlaps(a, b) {
                    return Decision::Drop;
                }
            }
        }
        // 4. innocent words nearby
        if !rule.not_near.is_empty() {
            let near = before.iter().take(6).chain(after.iter().take(6));
            if near
                .clone()
                .any(|t| rule.not_near.iter().any(|w| w == t.text))
            {
                return Decision::Drop;
            }
        }
        // 5. sense
        let mut sev = form.severity.unwrap_or(rule.severity);
        let sense = form.sense.unwrap_or(rule.sense);
        match self.sense_ok(sense, c, &before, reached_start, &after) {
            SenseResult::No => return Decision::Drop,
            SenseResult::Info => sev = Severity::Info,
            SenseResult::Yes => {}
        }
        // 6. clinical usage downgrades
        if rule.info_before.starts(&after) || rule.info_after.ends(&before) {
            sev = Severity::Info;
        }
        Decision::Keep(sev)
    }

    /// Title-case words glued to another title-case word are a proper name
    /// ("Hope Street Substance Abuse Clinic"); sentence-initial capitals are not evidence.
    fn title_case_name(
        &self,
        c: TermCand,
        before: &[Tok<'_>],
        after: &[Tok<'_>],
        reached_start: bool,
    ) -> bool {
        let s = self.n.text.as_str();
        // fast exit: the match must start with a capital in the original
        match self
            .orig
            .get(self.n.to_orig(c.start)..)
            .and_then(|t| t.chars().next())
        {
            Some(ch) if ch.is_uppercase() => {}
            _ => return false,
        }
        let (inner, _) = tokens_after(&s[..c.end], c.start, 16, false);
        if inner.is_empty() || !inner.iter().all(|t| is_capitalized(self.orig, self.n, t)) {
            return false;
        }
        let func = |w: &str| matches!(w, "of" | "and" | "for" | "on" | "the" | "&" | "in" | "de");
        if let Some(t) = after.iter().find(|t| !func(t.text)) {
            if is_capitalized(self.orig, self.n, t) {
                return true;
            }
        }
        if let Some((i, t)) = before.iter().enumerate().find(|(_, t)| !func(t.text)) {
            let clause_initial = i + 1 == before.len() && reached_start;
            if !clause_initial && is_capitalized(self.orig, self.n, t) && !has(L::Person, t.text) {
                return true;
            }
        }
        false
    }

    fn sense_ok(
        &self,
        sense: Sense,
        c: TermCand,
        before: &[Tok<'_>],
        reached_start: bool,
        after: &[Tok<'_>],
    ) -> SenseResult {
        use SenseResult::*;
        let subj =
            |b: &[Tok<'_>], rs: bool, pc: bool| classify_subject(b, rs, self.orig, self.n, pc);
        let yes = |b: bool| if b { Yes } else { No };
        match sense {
            Sense::Any => Yes,
            Sense::PersonSubject => yes(matches!(
                subj(before, reached_start, true),
                Subj::Person | Subj::Implicit
            )),
            Sense::NotThirdParty => yes(!matches!(
                subj(before, reached_start, false),
                Subj::ThirdParty | Subj::Writer
            )),
            Sense::PredicateOfPerson => yes(self.predicate(before, reached_start, after, false)),
            Sense::PredicateOfTest => yes(self.predicate(before, reached_start, after, true)),
            Sense::PersonLabel => {
                let follow_ok = match after.first() {
                    None => true,
                    Some(t) => {
                        has(L::LabelFollow, t.text)
                            || has(L::PersonNouns, t.text)
                            || self.punct_between(c.end, t.start)
                    }
                };
                yes(follow_ok
                    && matches!(
                        subj(before, reached_start, false),
                        Subj::Person | Subj::Implicit
                    ))
            }
            Sense::PersonAdjective => {
                let noun = after
                    .first()
                    .map(|t| has(L::PersonNouns, t.text))
                    .unwrap_or(false);
                yes(noun || self.predicate(before, reached_start, after, false))
            }
            Sense::ConditionFollows => yes(after
                .iter()
                .take(6)
                .any(|t| has(L::Conditions, t.text) || has(L::Conditions, t.base()))),
            Sense::SuicideContext => yes(self.sentence_has(c, |w| {
                w.starts_with("suicid")
                    || w.starts_with("overdos")
                    || matches!(
                        w,
                        "kill"
                            | "killing"
                            | "cut"
                            | "cutting"
                            | "pills"
                            | "hang"
                            | "hanging"
                            | "noose"
                            | "jump"
                            | "jumped"
                            | "wrist"
                            | "wrists"
                            | "self-harm"
                            | "harm"
                            | "od"
                            | "od'd"
                            | "gesture"
                    )
            })),
            Sense::SudContext => yes(self.sentence_has(c, |w| has(L::SudWords, w))),
            Sense::AboutPersonElseInfo => {
                if self.about_person(before, reached_start, after) {
                    Yes
                } else {
                    Info
                }
            }
            Sense::NotSelfReport => {
                for (i, t) in before.iter().enumerate().take(6) {
                    if has(L::ReportVerbs, t.text) {
                        let s2 = subj(&before[i + 1..], reached_start, false);
                        if matches!(s2, Subj::Person | Subj::Implicit) {
                            return No;
                        }
                    }
                }
                Yes
            }
            Sense::ClauseHasPerson => {
                let (after_all, _) = tokens_after(&self.n.text, c.end, 14, true);
                yes(before
                    .iter()
                    .chain(after_all.iter())
                    .any(|t| has(L::Person, t.text) || has(L::Person, t.base())))
            }
        }
    }

    fn punct_between(&self, a: usize, b: usize) -> bool {
        self.n
            .text
            .get(a..b)
            .map(|g| g.contains([',', '.', ';', ':', '!', '?', '-', ')']))
            .unwrap_or(false)
    }

    fn sentence_has(&self, c: TermCand, f: impl Fn(&str) -> bool) -> bool {
        let s = self.n.text.as_str();
        let (a, b) = sentence_around(s, c.start, c.end, 300);
        let st = tokens_after_vec(&s[a..b], 0, 120);
        st.iter().any(|t| f(t.text) || f(t.base()))
    }

    /// "is/was/been/stayed ___" with a person (or, for tests, a drug test) as
    /// subject, or a time span ("___ for 90 days", "___ since May").
    fn predicate(
        &self,
        before: &[Tok<'_>],
        reached_start: bool,
        after: &[Tok<'_>],
        test: bool,
    ) -> bool {
        let mut i = 0;
        while i < before.len()
            && has(L::Intensifiers, before[i].text)
            && !has(L::Predicate, before[i].text)
        {
            i += 1;
        }
        let pred = before
            .get(i)
            .map(|t| has(L::Predicate, t.text) || t.text.ends_with("'s") || t.text.ends_with("'re"))
            .unwrap_or(false);
        let span_after = match (after.first(), after.get(1)) {
            (Some(a), Some(b)) if a.text == "for" => {
                b.text.bytes().all(|x| x.is_ascii_digit())
                    || matches!(
                        b.text,
                        "a" | "an"
                            | "one"
                            | "two"
                            | "three"
                            | "four"
                            | "five"
                            | "six"
                            | "seven"
                            | "eight"
                            | "nine"
                            | "ten"
                            | "several"
                            | "few"
                            | "over"
                            | "almost"
                            | "nearly"
                            | "about"
                            | "more"
                            | "less"
                            | "the"
                            | "twelve"
                            | "eighteen"
                            | "thirty"
                            | "ninety"
                            | "many"
                    )
            }
            (Some(a), _) => a.text == "since",
            _ => false,
        };
        if !pred && (!span_after || test) {
            return false;
        }
        // subject: from the predicate verb back (a contraction carries its own subject)
        let subj = if pred {
            let t = &before[i];
            if let Some(base) = t
                .text
                .strip_suffix("'s")
                .or_else(|| t.text.strip_suffix("'re"))
            {
                if has(L::Person, base) {
                    Subj::Person
                } else if has(L::TestNouns, base) {
                    Subj::Test
                } else if base == "it" || base == "that" || base == "there" || base == "everything"
                {
                    Subj::ThirdParty
                } else {
                    classify_subject(&before[i..], reached_start, self.orig, self.n, false)
                }
            } else {
                classify_subject(&before[i + 1..], reached_start, self.orig, self.n, false)
            }
        } else {
            classify_subject(before, reached_start, self.orig, self.n, false)
        };
        if test {
            subj == Subj::Test
        } else {
            matches!(subj, Subj::Person | Subj::Implicit)
        }
    }

    /// Slang for mental illness aimed at a person ("called him crazy", "the
    /// crazy lady", "she is nuts") rather than at a week or a workload.
    fn about_person(&self, before: &[Tok<'_>], reached_start: bool, after: &[Tok<'_>]) -> bool {
        if let Some(t) = after.first() {
            if has(L::PersonNouns, t.text) {
                return true;
            }
            if matches!(
                t.text,
                "about"
                    | "amount"
                    | "week"
                    | "day"
                    | "busy"
                    | "idea"
                    | "weather"
                    | "hours"
                    | "traffic"
            ) {
                return false;
            }
        }
        // "call him a psycho", "such a lunatic": look past a determiner
        let skip = before
            .iter()
            .take_while(|t| {
                matches!(
                    t.text,
                    "a" | "an"
                        | "the"
                        | "total"
                        | "complete"
                        | "real"
                        | "such"
                        | "fucking"
                        | "raving"
                )
            })
            .count();
        let before = &before[skip..];
        if let Some(t) = before.first() {
            if matches!(
                t.text,
                "like" | "drive" | "drives" | "drove" | "driving" | "driven" | "go" | "going"
            ) {
                return false;
            }
            if matches!(t.text, "him" | "her" | "them" | "me" | "you" | "us") {
                if let Some(t2) = before.get(1) {
                    if matches!(
                        t2.text,
                        "drive"
                            | "drives"
                            | "drove"
                            | "driving"
                            | "driven"
                            | "make"
                            | "makes"
                            | "made"
                            | "making"
                    ) {
                        return false;
                    }
                }
                return true;
            }
            if matches!(t.text, "acting" | "act" | "acts" | "acted" | "went") {
                return true;
            }
        }
        self.predicate(before, reached_start, after, false)
    }
}

enum SenseResult {
    Yes,
    No,
    Info,
}
