//! Encounter note pages: write, save a draft, sign, view and print, addenda,
//! the supervisor's co-sign queue, group notes and the units report.
//! Every page works without JavaScript; access is decided by
//! `policy::decide_note` (a refusal is "not found").

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::civil::Date;
use lantern_domain::billing::units_for_minutes;
use lantern_domain::encounter::{self, Kind, Modality, Narrative, NoteContent, NoteInput, Status};
use lantern_domain::policy::{decide_note, Decision, NoteAction, NoteFacts, PersonAction};
use lantern_store::encounters::{Attendee, Note, NoteFilter, ServiceCode, UnitsRow};
use lantern_store::people::{CaseloadFilter, Scope};
use lantern_store::StoreError;

use crate::error::AppError;
use crate::i18n::Messages;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors, SelectOption};
use crate::AppState;

type PageResult = Result<Response, AppError>;

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn opt(value: &str, label: String, selected: bool) -> SelectOption {
    SelectOption { value: value.into(), label, selected }
}

fn pairs_of(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
}

fn query(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

/// Local date and time of an instant in the organization's time zone.
pub(crate) fn local(ms: i64, tz: &str) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|ts| ts.to_zoned(jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC)).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// What was typed in the note form, kept as typed so nothing is lost on an error.
#[derive(Debug, Clone, Default)]
pub struct NoteForm {
    pub kind: String,
    pub modality: String,
    pub setting: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub service_code: String,
    pub activities: Vec<String>,
    pub what_we_did: String,
    pub purpose: String,
    pub how_it_went: String,
    pub next_steps: String,
    pub version: i64,
    /// Recovery plan goals the note addressed (`None`: not on the form, keep what is stored).
    pub plan_goals: Option<Vec<String>>,
}

impl NoteForm {
    fn read(pairs: &[(String, String)]) -> NoteForm {
        NoteForm {
            kind: field(pairs, "kind").into(),
            modality: field(pairs, "modality").into(),
            setting: field(pairs, "setting").into(),
            date: field(pairs, "date").into(),
            start: field(pairs, "start").into(),
            end: field(pairs, "end").into(),
            service_code: field(pairs, "service_code").into(),
            activities: pairs.iter().filter(|(k, _)| k == "activities").map(|(_, v)| v.clone()).collect(),
            what_we_did: field(pairs, "what_we_did").into(),
            purpose: field(pairs, "purpose").into(),
            how_it_went: field(pairs, "how_it_went").into(),
            next_steps: field(pairs, "next_steps").into(),
            version: field(pairs, "version").parse().unwrap_or(0),
            plan_goals: (field(pairs, "plan_goals_shown") == "1").then(|| pairs.iter().filter(|(k, _)| k == "plan_goals").map(|(_, v)| v.clone()).collect()),
        }
    }

    fn from_note(n: &Note) -> NoteForm {
        let c = &n.content;
        NoteForm {
            kind: c.kind.code().into(),
            modality: c.modality.map(|m| m.code().to_string()).unwrap_or_default(),
            setting: c.setting.clone(),
            date: c.date.map(|d| d.to_string()).unwrap_or_default(),
            start: c.start.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default(),
            end: c.end.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default(),
            service_code: c.service_code.map(|v| v.to_string()).unwrap_or_default(),
            activities: c.activities.clone(),
            what_we_did: c.narrative.what_we_did.clone(),
            purpose: c.narrative.purpose.clone(),
            how_it_went: c.narrative.how_it_went.clone(),
            next_steps: c.narrative.next_steps.clone(),
            version: n.version,
            plan_goals: None,
        }
    }

    fn input(&self) -> Result<NoteInput, AppError> {
        let service_code = match self.service_code.trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| AppError::BadRequest("unknown service code".into()))?),
        };
        Ok(NoteInput {
            kind: self.kind.clone(),
            modality: self.modality.clone(),
            setting: self.setting.clone(),
            date: self.date.clone(),
            start: self.start.clone(),
            end: self.end.clone(),
            service_code,
            activities: self.activities.clone(),
            narrative: Narrative {
                what_we_did: self.what_we_did.clone(),
                purpose: self.purpose.clone(),
                how_it_went: self.how_it_went.clone(),
                next_steps: self.next_steps.clone(),
            },
        })
    }
}

pub struct CheckOption {
    pub value: String,
    pub label: String,
    pub detail: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "note_form.html")]
pub struct NoteFormPage {
    pub c: Chrome,
    pub heading: String,
    pub person_id: i64,
    pub action: String,
    pub f: NoteForm,
    pub kinds: Vec<SelectOption>,
    pub modalities: Vec<SelectOption>,
    pub codes: Vec<SelectOption>,
    pub activities: Vec<CheckOption>,
    pub errors: FormErrors,
    /// What a billable note still needs, in words.
    pub still_needed: Vec<String>,
    pub warnings: Vec<String>,
    pub returned_comment: String,
    pub conflict: bool,
    pub notice: String,
    pub today: String,
    /// The organization's crisis protocol, for the assistant's risk prompt.
    pub crisis: String,
    /// Wording suggestions for the saved narrative (shown without JavaScript too).
    pub suggestions: Vec<crate::views::SuggestionView>,
    /// The person's recovery plan goals this note can say it worked on.
    pub plan_goals: Vec<CheckOption>,
}

async fn options(app: &AppState, ctx: &Ctx, f: &NoteForm) -> Result<(Vec<SelectOption>, Vec<SelectOption>, Vec<SelectOption>, Vec<CheckOption>), AppError> {
    let t = &app.t;
    // Group notes are written from the group page; a returned group note keeps its kind.
    let kinds = Kind::ALL.iter().filter(|k| **k != Kind::Group || f.kind == Kind::Group.code()).map(|k| opt(k.code(), t.get(&format!("note-kind-{}", k.code())), f.kind == k.code())).collect();
    let mut modalities = vec![opt("", t.get("note-choose"), f.modality.is_empty())];
    modalities.extend(Modality::ALL.iter().map(|m| opt(m.code(), t.get(&format!("note-modality-{}", m.code())), f.modality == m.code())));
    let codes = code_options(t, &app.store.service_codes(ctx.org()).await?, &f.service_code);
    let activities = app
        .store
        .activity_types(ctx.org())
        .await?
        .into_iter()
        .map(|a| CheckOption {
            checked: f.activities.contains(&a.code),
            detail: a.competencies.iter().map(|c| encounter::roman(*c)).collect::<Vec<_>>().join(", "),
            value: a.code,
            label: a.name,
        })
        .collect();
    Ok((kinds, modalities, codes, activities))
}

fn code_options(t: &Messages, codes: &[ServiceCode], chosen: &str) -> Vec<SelectOption> {
    let mut v = vec![opt("", t.get("note-not-billed"), chosen.is_empty())];
    v.extend(codes.iter().map(|c| opt(&c.id.to_string(), c.label(), chosen == c.id.to_string())));
    v
}

/// Cap warnings: what this note would bring the person's day to, before signing.
async fn cap_warnings(app: &AppState, ctx: &Ctx, person_id: i64, note_id: Option<i64>, c: &NoteContent) -> Result<Vec<String>, AppError> {
    let (Some(code), Some(date), Some(minutes)) = (c.service_code, c.date, c.minutes) else { return Ok(vec![]) };
    let codes = app.store.service_codes(ctx.org()).await?;
    let Some(sc) = codes.iter().find(|s| s.id == code) else { return Ok(vec![]) };
    let Some(cap) = sc.caps.per_person_code_day else { return Ok(vec![]) };
    let day = app.store.notes(ctx.org(), &NoteFilter { person_id: Some(person_id), from: Some(date), to: Some(date), limit: 500, ..Default::default() }).await?;
    let used: i64 = day.iter().filter(|n| n.status.is_signed() && n.content.service_code == Some(code) && Some(n.id) != note_id).map(|n| n.billed_units).sum();
    let this = units_for_minutes(minutes, sc.unit_minutes, sc.rule);
    if used + this > cap {
        Ok(vec![app.t.get_with("note-cap-warning", &[("used", used.into()), ("units", this.into()), ("cap", cap.into()), ("over", (used + this - cap).into())])])
    } else {
        Ok(vec![])
    }
}

fn still_needed(t: &Messages, c: &NoteContent, credentials: &str) -> Vec<String> {
    encounter::completeness(c, true, credentials).iter().map(|m| t.get(m.key())).collect()
}

#[allow(clippy::too_many_arguments)]
async fn render_form(app: &AppState, ctx: &Ctx, person_id: i64, note: Option<&Note>, f: NoteForm, errors: FormErrors, conflict: bool, notice: String, status: StatusCode) -> PageResult {
    let p = app.store.person(ctx.org(), person_id).await?;
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = lantern_store::people::today_in(&org.time_zone, app.store.now_ms());
    let parsed = f.input().ok().and_then(|i| encounter::parse_note(&i, &tz, today).ok());
    let still = parsed.as_ref().map(|c| still_needed(&app.t, c, &ctx.user.credentials)).unwrap_or_default();
    let warnings = match &parsed {
        Some(c) => cap_warnings(app, ctx, person_id, note.map(|n| n.id), c).await?,
        None => vec![],
    };
    let (kinds, modalities, codes, activities) = options(app, ctx, &f).await?;
    let name = p.profile.display_name().to_string();
    let checker = app.checker_for(ctx.org()).await;
    let mut suggestions = Vec::new();
    for (key, value) in [("note-what-we-did", &f.what_we_did), ("note-purpose", &f.purpose), ("note-how-it-went", &f.how_it_went), ("note-next-steps", &f.next_steps)] {
        for fl in checker.check(value).flags {
            suggestions.push(crate::views::SuggestionView {
                field: app.t.get(key),
                text: fl.text,
                suggestion: fl.suggestions.first().cloned().unwrap_or_default(),
                reason: fl.reason,
            });
        }
    }
    let crisis = app.crisis_protocol(ctx.org()).await;
    let chosen = match (&f.plan_goals, note) {
        (Some(v), _) => v.clone(),
        (None, Some(n)) => app.store.note_goals(ctx.org(), n.id).await?.into_iter().map(|g| g.key).collect(),
        (None, None) => vec![],
    };
    let plan_goals = app
        .store
        .plan_goal_choices(ctx.org(), person_id)
        .await?
        .into_iter()
        .map(|g| CheckOption { checked: chosen.contains(&g.key), value: g.key, label: g.words, detail: String::new() })
        .collect();
    let page = NoteFormPage {
        plan_goals,
        crisis,
        suggestions,
        c: Chrome::new(app, Some(ctx), "note-write-title", "caseload"),
        heading: app.t.get_with("note-write-heading", &[("name", name.clone().into())]),
        person_id,
        action: match note {
            Some(n) => format!("/notes/{}", n.id),
            None => format!("/people/{person_id}/notes"),
        },
        f,
        kinds,
        modalities,
        codes,
        activities,
        errors,
        still_needed: still,
        warnings,
        returned_comment: note.filter(|n| n.status == Status::Returned).map(|n| n.returned_comment.clone()).unwrap_or_default(),
        conflict,
        notice,
        today: today.to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn note_access(app: &AppState, ctx: &Ctx, note_id: i64, action: NoteAction) -> Result<(Note, NoteFacts), AppError> {
    let note = app.store.note(ctx.org(), note_id).await?;
    let person = app.store.person_facts(&ctx.actor, note.person_id).await?;
    let facts = app.store.note_facts(ctx.org(), ctx.user.id, &note).await?;
    // Within a visible record, a draft is its author's (and their supervisor's) until signed.
    let draft_hidden = action == NoteAction::View && !note.status.is_signed() && !facts.is_author && !facts.supervises_author;
    match decide_note(&ctx.actor, action, &person, &facts) {
        Decision::Allow if !draft_hidden => Ok((note, facts)),
        _ => {
            let e = ctx.entry(&format!("encounter.{}", note_action_name(action)), Some(note.person_id), "encounter", &note_id.to_string(), "denied", app.store.now_ms());
            app.store.record_event(e).await?;
            Err(AppError::NotFound)
        }
    }
}

fn note_action_name(a: NoteAction) -> &'static str {
    match a {
        NoteAction::View => "view",
        NoteAction::Write => "create",
        NoteAction::EditOwn => "update",
        NoteAction::Cosign => "cosign",
        NoteAction::Addendum => "addendum",
    }
}

async fn check_write(app: &AppState, ctx: &Ctx, person_id: i64) -> Result<(), AppError> {
    let person = check_person(app, ctx, person_id, PersonAction::View).await?;
    if decide_note(&ctx.actor, NoteAction::Write, &person, &NoteFacts::default()).is_allowed() {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn new_note_form(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check_write(&app, &ctx, id).await?;
    let today = app.store.today(ctx.org()).await?;
    let f = NoteForm { kind: "individual".into(), date: today.to_string(), ..Default::default() };
    render_form(&app, &ctx, id, None, f, FormErrors::default(), false, String::new(), StatusCode::OK).await
}

/// Creates a note from the form: saved as a draft, then signed when asked.
pub async fn create_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let person_id = parse_id(&raw)?;
    check_write(&app, &ctx, person_id).await?;
    let pairs = pairs_of(&body)?;
    let f = NoteForm::read(&pairs);
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = app.store.today(ctx.org()).await?;
    let content = match encounter::parse_note(&f.input()?, &tz, today) {
        Ok(c) => c,
        Err(v) => return render_form(&app, &ctx, person_id, None, f, FormErrors::from_validation(&app.t, &v), false, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let id = match app.store.create_note(ctx.org(), person_id, ctx.user.id, &content, &ctx.who()).await {
        Ok(id) => id,
        Err(StoreError::Invalid(v)) => return render_form(&app, &ctx, person_id, None, f, FormErrors::from_validation(&app.t, &v), false, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => return Err(e.into()),
    };
    if let Some(keys) = f.plan_goals.as_ref().filter(|k| !k.is_empty()) {
        app.store.set_note_goals(ctx.org(), id, keys, &ctx.who()).await?;
    }
    if field(&pairs, "action") == "sign" {
        return sign_and_go(&app, &ctx, id, person_id, f, Some(1)).await;
    }
    Ok(see_other(&next_after_note(&app, &ctx, person_id, &f, format!("/notes/{id}?saved=1")).await))
}

/// After a note is saved or signed: the crisis prompt when its words signal risk.
async fn next_after_note(app: &AppState, ctx: &Ctx, person_id: i64, f: &NoteForm, default: String) -> String {
    let texts = [f.what_we_did.as_str(), f.purpose.as_str(), f.how_it_went.as_str(), f.next_steps.as_str()];
    crate::pages::crisis_prompt_url(app, ctx.org(), person_id, &texts).await.unwrap_or(default)
}

async fn sign_and_go(app: &AppState, ctx: &Ctx, id: i64, person_id: i64, mut f: NoteForm, version: Option<i64>) -> PageResult {
    match app.store.sign_note(ctx.org(), id, ctx.user.id, version, &ctx.who()).await {
        Ok(_) => Ok(see_other(&next_after_note(app, ctx, person_id, &f, format!("/notes/{id}?signed=1")).await)),
        Err(StoreError::Invalid(v)) => {
            let note = app.store.note(ctx.org(), id).await?;
            f.version = note.version;
            let notice = app.t.get("note-saved-not-signed");
            render_form(app, ctx, person_id, Some(&note), f, FormErrors::from_validation(&app.t, &v), false, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Saves a draft (or a returned note) and signs it when asked. A stale version
/// answers 409 with the user's text kept.
pub async fn save_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let (note, _) = note_access(&app, &ctx, id, NoteAction::EditOwn).await?;
    let pairs = pairs_of(&body)?;
    let f = NoteForm::read(&pairs);
    if !note.status.editable() {
        return Err(AppError::Conflict(app.t.get("note-locked")));
    }
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = app.store.today(ctx.org()).await?;
    let content = match encounter::parse_note(&f.input()?, &tz, today) {
        Ok(c) => c,
        Err(v) => return render_form(&app, &ctx, note.person_id, Some(&note), f, FormErrors::from_validation(&app.t, &v), false, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    match app.store.update_note(ctx.org(), id, &content, None, f.version, &ctx.who()).await {
        Ok(v) => {
            if let Some(keys) = &f.plan_goals {
                app.store.set_note_goals(ctx.org(), id, keys, &ctx.who()).await?;
            }
            if field(&pairs, "action") == "sign" {
                return sign_and_go(&app, &ctx, id, note.person_id, f, Some(v)).await;
            }
            Ok(see_other(&next_after_note(&app, &ctx, note.person_id, &f, format!("/notes/{id}?saved=1")).await))
        }
        Err(StoreError::Conflict(_)) => {
            let current = app.store.note(ctx.org(), id).await?;
            if !current.status.editable() {
                return Err(AppError::Conflict(app.t.get("note-locked")));
            }
            let mut f = f;
            f.version = current.version;
            render_form(&app, &ctx, note.person_id, Some(&current), f, FormErrors::default(), true, String::new(), StatusCode::CONFLICT).await
        }
        Err(StoreError::Invalid(v)) => render_form(&app, &ctx, note.person_id, Some(&note), f, FormErrors::from_validation(&app.t, &v), false, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e.into()),
    }
}

pub struct SignatureView {
    pub what: String,
    pub who: String,
    pub when: String,
    pub hash: String,
    pub comment: String,
}

pub struct AddendumView {
    pub who: String,
    pub when: String,
    pub body: String,
    pub hash: String,
    /// "Time corrected to 14:00–14:45 (45 minutes)", when it corrects the times.
    pub correction: String,
}

/// What was typed in the addendum form, kept when it is sent back with errors.
#[derive(Debug, Clone, Default)]
pub struct AddendumForm {
    pub text: String,
    pub corrected_start: String,
    pub corrected_end: String,
}

#[derive(Template)]
#[template(path = "note.html")]
pub struct NotePage {
    pub c: Chrome,
    pub n: Note,
    pub kind: String,
    pub modality: String,
    pub date: String,
    pub times: String,
    pub service: String,
    pub activities: Vec<String>,
    pub status: String,
    pub signatures: Vec<SignatureView>,
    pub addenda: Vec<AddendumView>,
    pub units_text: String,
    pub can_addendum: bool,
    pub can_cosign: bool,
    pub can_edit: bool,
    pub notice: String,
    pub errors: FormErrors,
    pub addendum: AddendumForm,
    pub comment: String,
    /// Recovery plan goals this note worked on.
    pub plan_goals: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_note(app: &AppState, ctx: &Ctx, n: Note, facts: NoteFacts, notice: String, errors: FormErrors, addendum: AddendumForm, comment: String, status: StatusCode) -> PageResult {
    let t = &app.t;
    let org = app.store.org_cached(ctx.org()).await?;
    let person = app.store.person_facts(&ctx.actor, n.person_id).await?;
    let codes = app.store.service_codes(ctx.org()).await?;
    let kinds = app.store.activity_types(ctx.org()).await?;
    let sigs = app.store.signatures(n.id).await?;
    let adds = app.store.addenda(n.id).await?;
    let c = &n.content;
    let service = match c.service_code.and_then(|id| codes.iter().find(|s| s.id == id)) {
        Some(s) => s.label(),
        None => t.get("note-not-billed"),
    };
    let plan_goals = app.store.note_goals(ctx.org(), n.id).await?.into_iter().map(|g| g.words).collect();
    let page = NotePage {
        plan_goals,
        c: Chrome::new(app, Some(ctx), "note-title", "caseload").titled(t.get_with("note-heading", &[("name", n.person_name.clone().into())])),
        kind: t.get(&format!("note-kind-{}", c.kind.code())),
        modality: c.modality.map(|m| t.get(&format!("note-modality-{}", m.code()))).unwrap_or_else(|| "—".into()),
        date: c.date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        times: match (c.start, c.end, c.minutes) {
            (Some(s), Some(e), Some(m)) => t.get_with("note-times", &[("start", s.strftime("%H:%M").to_string().into()), ("end", e.strftime("%H:%M").to_string().into()), ("minutes", m.into())]),
            _ => "—".into(),
        },
        service,
        activities: c
            .activities
            .iter()
            .map(|a| match kinds.iter().find(|k| &k.code == a) {
                Some(k) => format!("{} ({})", k.name, k.competencies.iter().map(|c| encounter::roman(*c)).collect::<Vec<_>>().join(", ")),
                None => a.clone(),
            })
            .collect(),
        status: t.get(&format!("note-status-{}", n.status.code())),
        signatures: sigs
            .iter()
            .map(|s| SignatureView {
                what: t.get(&format!("note-signature-{}", s.kind)),
                who: if s.credentials.is_empty() { s.name.clone() } else { format!("{}, {}", s.name, s.credentials) },
                when: local(s.at_ms, &org.time_zone),
                hash: s.content_hash.clone(),
                comment: s.comment.clone(),
            })
            .collect(),
        addenda: adds
            .iter()
            .map(|a| AddendumView {
                who: if a.credentials.is_empty() { a.author_name.clone() } else { format!("{}, {}", a.author_name, a.credentials) },
                when: local(a.at_ms, &org.time_zone),
                body: a.body.clone(),
                hash: a.content_hash.clone(),
                correction: match &a.corrected {
                    Some((s, e, m)) => t.get_with("note-time-corrected", &[("start", s.clone().into()), ("end", e.clone().into()), ("minutes", (*m).into())]),
                    None => String::new(),
                },
            })
            .collect(),
        units_text: t.get_with("note-units-value", &[("billed", n.billed_units.into()), ("over", n.over_cap_units.into())]),
        can_addendum: n.status.is_signed() && decide_note(&ctx.actor, NoteAction::Addendum, &person, &facts).is_allowed(),
        can_cosign: n.status == Status::AwaitingCosign && decide_note(&ctx.actor, NoteAction::Cosign, &person, &facts).is_allowed(),
        can_edit: n.status.editable() && facts.is_author,
        notice,
        errors,
        addendum,
        comment,
        n,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn view_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let (n, facts) = note_access(&app, &ctx, id, NoteAction::View).await?;
    app.store.record_view(ctx.entry("encounter.view", Some(n.person_id), "encounter", &id.to_string(), "ok", app.store.now_ms())).await;
    let pairs = query(&rq);
    let notice = match field(&pairs, "saved") {
        "1" => app.t.get("note-draft-saved"),
        "addendum" => app.t.get("note-addendum-saved"),
        "cosigned" => app.t.get("note-cosigned-notice"),
        "returned" => app.t.get("note-returned-notice"),
        _ if field(&pairs, "signed") == "1" => {
            let mut s = app.t.get_with("note-signed-notice", &[("units", n.billed_units.into())]);
            if n.over_cap_units > 0 {
                s = format!("{s} {}", app.t.get_with("note-over-cap-notice", &[("over", n.over_cap_units.into())]));
            }
            if n.late_entry {
                s = format!("{s} {}", app.t.get("note-late-notice"));
            }
            s
        }
        _ => String::new(),
    };
    if n.status.editable() && facts.is_author && field(&pairs, "view") != "1" {
        let f = NoteForm::from_note(&n);
        let person_id = n.person_id;
        return render_form(&app, &ctx, person_id, Some(&n), f, FormErrors::default(), false, notice, StatusCode::OK).await;
    }
    render_note(&app, &ctx, n, facts, notice, FormErrors::default(), AddendumForm::default(), String::new(), StatusCode::OK).await
}

pub async fn add_addendum(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let (n, facts) = note_access(&app, &ctx, id, NoteAction::Addendum).await?;
    let pairs = pairs_of(&body)?;
    let form = AddendumForm {
        text: field(&pairs, "addendum").to_string(),
        corrected_start: field(&pairs, "corrected_start").to_string(),
        corrected_end: field(&pairs, "corrected_end").to_string(),
    };
    match app.store.add_addendum_correcting(ctx.org(), id, ctx.user.id, &form.text, &form.corrected_start, &form.corrected_end, &ctx.who()).await {
        Ok(_) => Ok(see_other(&format!("/notes/{id}?saved=addendum"))),
        Err(StoreError::Invalid(v)) => render_note(&app, &ctx, n, facts, String::new(), FormErrors::from_validation(&app.t, &v), form, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e.into()),
    }
}

async fn review(app: AppState, ctx: Ctx, raw: String, body: axum::body::Bytes, approve: bool) -> PageResult {
    let id = parse_id(&raw)?;
    let (n, facts) = note_access(&app, &ctx, id, NoteAction::Cosign).await?;
    let pairs = pairs_of(&body)?;
    let comment = field(&pairs, "comment").to_string();
    match app.store.review_note(ctx.org(), id, ctx.user.id, approve, &comment, &ctx.who()).await {
        Ok(_) => {
            let to = if field(&pairs, "from") == "queue" { "/cosign?done=1".to_string() } else { format!("/notes/{id}?saved={}", if approve { "cosigned" } else { "returned" }) };
            Ok(see_other(&to))
        }
        Err(StoreError::Invalid(v)) => render_note(&app, &ctx, n, facts, String::new(), FormErrors::from_validation(&app.t, &v), AddendumForm::default(), comment, StatusCode::UNPROCESSABLE_ENTITY).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn cosign_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    review(app, ctx, raw, body, true).await
}

pub async fn return_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    review(app, ctx, raw, body, false).await
}

pub struct QueueRow {
    pub id: i64,
    pub person: String,
    pub author: String,
    pub date: String,
    pub signed: String,
    pub age: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "cosign.html")]
pub struct CosignPage {
    pub c: Chrome,
    pub rows: Vec<QueueRow>,
    pub specialists: Vec<SelectOption>,
    pub notice: String,
}

/// The supervisor's queue: notes by the people they supervise, oldest first.
pub async fn cosign_queue(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let pairs = query(&rq);
    let who: Option<i64> = field(&pairs, "specialist").parse().ok();
    let org = app.store.org_cached(ctx.org()).await?;
    let now = app.store.now_ms();
    let all = app.store.cosign_queue(ctx.org(), ctx.user.id, None).await?;
    let mut specialists: Vec<(i64, String)> = all.iter().map(|n| (n.author_id, n.author_name.clone())).collect();
    specialists.sort();
    specialists.dedup();
    let t = &app.t;
    let mut sel = vec![opt("", t.get("cosign-everyone"), who.is_none())];
    sel.extend(specialists.iter().map(|(id, name)| opt(&id.to_string(), name.clone(), who == Some(*id))));
    let rows = all
        .into_iter()
        .filter(|n| who.is_none_or(|w| n.author_id == w))
        .map(|n| {
            let signed = n.signed_ms.unwrap_or(n.updated_ms);
            QueueRow {
                id: n.id,
                person: n.person_name.clone(),
                author: n.author_name.clone(),
                date: n.content.date.map(|d| d.to_string()).unwrap_or_default(),
                signed: local(signed, &org.time_zone),
                age: t.get_with("cosign-age-days", &[("days", ((now - signed).max(0) / 86_400_000).into())]),
                kind: t.get(&format!("note-kind-{}", n.content.kind.code())),
            }
        })
        .collect();
    let notice = if field(&pairs, "done") == "1" { t.get("cosign-done") } else { String::new() };
    let page = CosignPage { c: Chrome::new(&app, Some(&ctx), "cosign-title", "cosign"), rows, specialists: sel, notice };
    Ok(Html(page.render()?).into_response())
}

// ----- group notes -----------------------------------------------------------

pub struct AttendeeRow {
    pub id: i64,
    pub name: String,
    pub chosen: bool,
    pub attended: bool,
    pub minutes: String,
    pub private_line: String,
}

#[derive(Template)]
#[template(path = "group_note.html")]
pub struct GroupNotePage {
    pub c: Chrome,
    pub f: NoteForm,
    pub modalities: Vec<SelectOption>,
    pub codes: Vec<SelectOption>,
    pub activities: Vec<CheckOption>,
    pub people: Vec<AttendeeRow>,
    pub errors: FormErrors,
    pub today: String,
}

async fn render_group(app: &AppState, ctx: &Ctx, f: NoteForm, chosen: &[(i64, bool, String, String)], errors: FormErrors, status: StatusCode) -> PageResult {
    let scope = Scope::Mine(ctx.user.id);
    let (rows, _) = app.store.caseload(ctx.org(), scope, &CaseloadFilter { limit: 500, ..Default::default() }).await?;
    let (_, modalities, _, activities) = options(app, ctx, &f).await?;
    let codes = code_options(&app.t, &app.store.service_codes(ctx.org()).await?, &f.service_code);
    let people = rows
        .iter()
        .map(|r| {
            let c = chosen.iter().find(|(id, ..)| *id == r.id);
            AttendeeRow {
                id: r.id,
                name: if r.preferred_name.is_empty() { r.legal_name.clone() } else { r.preferred_name.clone() },
                chosen: c.is_some(),
                attended: c.is_none_or(|c| c.1),
                minutes: c.map(|c| c.2.clone()).unwrap_or_default(),
                private_line: c.map(|c| c.3.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let today = app.store.today(ctx.org()).await?;
    let page = GroupNotePage { c: Chrome::new(app, Some(ctx), "group-title", "caseload"), f, modalities, codes, activities, people, errors, today: today.to_string() };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_group_form(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    let today = app.store.today(ctx.org()).await?;
    let codes = app.store.service_codes(ctx.org()).await?;
    let f = NoteForm {
        kind: "group".into(),
        date: today.to_string(),
        service_code: codes.iter().find(|c| c.for_groups).map(|c| c.id.to_string()).unwrap_or_default(),
        activities: vec!["group_support".into()],
        ..Default::default()
    };
    render_group(&app, &ctx, f, &[], FormErrors::default(), StatusCode::OK).await
}

/// One note per attendee; each is checked against the writer's access to that person.
pub async fn create_group(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs = pairs_of(&body)?;
    let mut f = NoteForm::read(&pairs);
    f.kind = "group".into();
    let chosen: Vec<(i64, bool, String, String)> = pairs
        .iter()
        .filter(|(k, _)| k == "attendee")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .map(|id| (id, field(&pairs, &format!("attended_{id}")) != "no", field(&pairs, &format!("minutes_{id}")).to_string(), field(&pairs, &format!("private_{id}")).to_string()))
        .collect();
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = app.store.today(ctx.org()).await?;
    let mut errors = FormErrors::default();
    let content = match encounter::parse_note(&f.input()?, &tz, today) {
        Ok(c) => Some(c),
        Err(v) => {
            errors = FormErrors::from_validation(&app.t, &v);
            None
        }
    };
    if chosen.is_empty() {
        errors.0.insert("attendees".into(), app.t.get("error-attendees"));
    }
    let mut attendees = Vec::new();
    for (id, attended, minutes, line) in &chosen {
        check_write(&app, &ctx, *id).await?;
        let m = match minutes.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(v) if (0..=encounter::MAX_MINUTES).contains(&v) => Some(v),
                _ => {
                    errors.0.insert(format!("minutes_{id}"), app.t.get("error-minutes"));
                    None
                }
            },
        };
        let mut e = lantern_domain::validate::ValidationErrors::default();
        let line = lantern_domain::validate::text(&mut e, "private", line, false, 2000);
        if !e.is_empty() {
            errors.0.insert(format!("private_{id}"), app.t.get("error-too-long"));
        }
        attendees.push(Attendee { person_id: *id, attended: *attended, minutes: m, private_line: line });
    }
    if let (true, Some(c)) = (errors.is_empty(), content) {
        let sign = field(&pairs, "action") == "sign";
        match app.store.create_group_notes(ctx.org(), ctx.user.id, &c, &attendees, sign, &ctx.who()).await {
            Ok(_) => return Ok(see_other(if sign { "/caseload?group=signed" } else { "/caseload?group=saved" })),
            Err(StoreError::Invalid(v)) => errors = FormErrors::from_validation(&app.t, &v),
            Err(e) => return Err(e.into()),
        }
    }
    render_group(&app, &ctx, f, &chosen, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

// ----- the person page's notes and the specialist's returned notes ----------

pub struct NoteRow {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub status: String,
    pub author: String,
    pub summary: String,
    pub person: String,
}

/// Rows of the person page's notes table, from the slim listing.
pub(crate) fn summary_rows(t: &Messages, notes: &[lantern_store::encounters::NoteSummary]) -> Vec<NoteRow> {
    notes
        .iter()
        .map(|n| NoteRow {
            id: n.id,
            date: n.date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            kind: t.get(&format!("note-kind-{}", n.kind.code())),
            status: t.get(&format!("note-status-{}", n.status.code())),
            author: n.author_name.clone(),
            summary: n.summary.clone(),
            person: n.person_name.clone(),
        })
        .collect()
}

pub(crate) fn note_rows(t: &Messages, notes: &[Note]) -> Vec<NoteRow> {
    notes
        .iter()
        .map(|n| NoteRow {
            id: n.id,
            date: n.content.date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
            kind: t.get(&format!("note-kind-{}", n.content.kind.code())),
            status: t.get(&format!("note-status-{}", n.status.code())),
            author: n.author_name.clone(),
            summary: n.content.narrative.what_we_did.chars().take(120).collect(),
            person: n.person_name.clone(),
        })
        .collect()
}

// ----- the units report ------------------------------------------------------

#[derive(Template)]
#[template(path = "units_report.html")]
pub struct UnitsPage {
    pub c: Chrome,
    pub from: String,
    pub to: String,
    pub by_specialist: bool,
    pub rows: Vec<UnitsRow>,
    pub total_billed: i64,
    pub total_over: i64,
    pub csv_link: String,
    pub caption: String,
    pub errors: FormErrors,
}

/// Parses an inclusive date range (defaults: this month so far).
pub(crate) fn date_range(from: &str, to: &str, today: Date) -> Result<(Date, Date), (&'static str, &'static str)> {
    let first = today.first_of_month();
    let from = match from.trim() {
        "" => first,
        s => s.parse::<Date>().map_err(|_| ("from", "error-date-format"))?,
    };
    let to = match to.trim() {
        "" => today,
        s => s.parse::<Date>().map_err(|_| ("to", "error-date-format"))?,
    };
    if to < from {
        return Err(("to", "error-range-inverted"));
    }
    Ok((from, to))
}

pub async fn units_report(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let pairs = query(&rq);
    let today = app.store.today(ctx.org()).await?;
    let by = field(&pairs, "by") == "specialist";
    let (from_s, to_s) = (field(&pairs, "from").to_string(), field(&pairs, "to").to_string());
    let mut errors = FormErrors::default();
    let rows = match date_range(&from_s, &to_s, today) {
        Ok((from, to)) => {
            let rows = app.store.units_report(ctx.org(), from, to, by).await?;
            app.store.record_view(ctx.entry("report.units", None, "report", &format!("{from}..{to}"), "ok", app.store.now_ms())).await;
            if field(&pairs, "format") == "csv" {
                let csv = lantern_store::encounters::units_csv(&rows, by);
                return Ok((
                    [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"units-{from}-{to}.csv\""))],
                    csv,
                )
                    .into_response());
            }
            rows
        }
        Err((f, key)) => {
            errors.0.insert(f.into(), app.t.get(key));
            vec![]
        }
    };
    let csv_link = format!("/reports/units?{}", serde_urlencoded::to_string([("from", from_s.as_str()), ("to", to_s.as_str()), ("by", if by { "specialist" } else { "" }), ("format", "csv")]).unwrap_or_default());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let from_shown = if from_s.is_empty() { today.first_of_month().to_string() } else { from_s };
    let to_shown = if to_s.is_empty() { today.to_string() } else { to_s };
    let page = UnitsPage {
        caption: app.t.get_with("units-caption", &[("from", from_shown.clone().into()), ("to", to_shown.clone().into())]),
        c: Chrome::new(&app, Some(&ctx), "units-title", "reports"),
        from: from_shown,
        to: to_shown,
        by_specialist: by,
        total_billed: rows.iter().map(|r| r.billed_units).sum(),
        total_over: rows.iter().map(|r| r.over_cap_units).sum(),
        rows,
        csv_link,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}
