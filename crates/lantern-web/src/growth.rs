//! "My growth": the competency profile (self-assessment, supervisor ratings,
//! evidence from signed notes, goals), supervision sessions, boundary
//! questions and the private self-care check-in; pages and JSON API.
//!
//! Access is decided in `policy` (`decide_growth`, `decide_session`,
//! `decide_boundary`, `decide_selfcare`, `decide_note` for example links).
//! Self-care routes never take whose check-ins to read: they always read the
//! caller's own, and the only other view is the aggregate over ≥ 5 people.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use lantern_domain::growth::{self, Quarter, CATEGORIES, SELFCARE_ITEMS};
use lantern_domain::policy::{
    decide_boundary, decide_growth, decide_note, decide_selfcare, decide_session, may_lead_supervision, BoundaryAction, BoundaryFacts, Decision,
    GrowthAction, NoteAction, NoteFacts, PersonAction, SelfCareAction, SessionAction, StaffFacts,
};
use lantern_domain::validate::ValidationErrors;
use lantern_domain::{Role, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, AppError};
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors};
use crate::AppState;

type PageResult = Result<Response, AppError>;

fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))
}

fn field(pairs: &[(String, String)], k: &str) -> String {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

async fn today(app: &AppState, org: i64) -> Result<jiff::civil::Date, AppError> {
    let org = app.store.org_cached(org).await?;
    Ok(lantern_store::people::today_in(&org.time_zone, app.store.now_ms()))
}

fn denied(app: &AppState, ctx: &Ctx, action: &str, object_type: &str, id: i64) -> impl std::future::Future<Output = ()> + Send {
    let e = ctx.entry(action, None, object_type, &id.to_string(), "denied", app.store.now_ms());
    let store = app.store.clone();
    async move {
        let _ = store.record_event(e).await;
    }
}

// ---- The competency profile ----

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrendPoint {
    /// "2026 Q3".
    pub quarter: String,
    pub contacts: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExampleNote {
    pub note_id: i64,
    pub on_date: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingOut {
    pub level: u8,
    pub label: String,
    pub comment: String,
    pub on_date: String,
    pub by: String,
}

/// One competency category on a profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileCategoryOut {
    pub number: u8,
    pub roman: String,
    pub title: String,
    pub self_assessment: Option<RatingOut>,
    pub supervisor_rating: Option<RatingOut>,
    /// Signed contacts this quarter whose activities show this competency.
    pub contacts_this_quarter: u64,
    pub evidence: String,
    /// Oldest first, ending with this quarter.
    pub trend: Vec<TrendPoint>,
    /// "up", "steady" or "down".
    pub direction: String,
    /// Recent notes showing it, only those the viewer may open.
    pub examples: Vec<ExampleNote>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GoalOut {
    pub id: i64,
    pub category: u8,
    pub title: String,
    pub steps: Vec<String>,
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryOut {
    pub category: u8,
    pub level: u8,
    pub by_self: bool,
    pub by: String,
    pub comment: String,
    pub on_date: String,
}

/// A staff member's competency profile.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileOut {
    pub user_id: i64,
    pub name: String,
    pub categories: Vec<ProfileCategoryOut>,
    pub goals: Vec<GoalOut>,
    pub history: Vec<HistoryOut>,
    /// Supervised hours in signed sessions over the last two years.
    pub supervised_hours: f64,
    pub target_hours: i64,
}

async fn staff_check(app: &AppState, ctx: &Ctx, user_id: i64, action: GrowthAction) -> Result<StaffFacts, AppError> {
    let f = app.store.staff_facts(&ctx.actor, user_id).await?;
    match decide_growth(&ctx.actor, action, &f) {
        Decision::Allow => Ok(f),
        _ => {
            denied(app, ctx, "growth.denied", "staff", user_id).await;
            Err(AppError::NotFound)
        }
    }
}

/// Builds a profile for the viewer (`ctx`), with example links filtered by `decide_note`.
async fn profile(app: &AppState, ctx: &Ctx, user_id: i64, facts: &StaffFacts, quarters: usize) -> Result<ProfileOut, AppError> {
    let org = ctx.org();
    let name = if user_id == ctx.user.id { ctx.user.display_name.clone() } else { app.store.user(user_id).await?.display_name };
    let today = today(app, org).await?;
    let qs = Quarter::of(today).last(quarters);
    let from = qs[0].start();
    let this_q = Quarter::of(today);
    let mapping = app.store.competency_mapping(org).await?;
    let groups = app.store.evidence_groups(org, user_id, from).await?;
    let evidence = growth::count_evidence(&groups, &mapping);
    let recent = app.store.evidence_notes(org, user_id, this_q.start(), 60).await?;
    // Up to two candidate examples per category, then keep those the viewer may open.
    let mut candidates: HashMap<u8, Vec<&lantern_store::growth::EvidenceNote>> = HashMap::new();
    for n in &recent {
        let bits = growth::categories_of(&n.activities, &mapping);
        for c in 1..=12u8 {
            if bits & (1 << c) != 0 {
                let v = candidates.entry(c).or_default();
                if v.len() < 2 {
                    v.push(n);
                }
            }
        }
    }
    let note_facts = NoteFacts { is_author: user_id == ctx.user.id, supervises_author: facts.supervises };
    let people: Vec<i64> = candidates.values().flatten().map(|n| n.person_id).collect();
    let facts = app.store.person_facts_many(&ctx.actor, &people).await?;
    let visible: HashMap<i64, bool> = people
        .iter()
        .map(|id| (*id, facts.get(id).is_some_and(|pf| decide_note(&ctx.actor, NoteAction::View, pf, &note_facts).is_allowed())))
        .collect();
    let history = app.store.assessments(org, user_id).await?;
    let label = |l: u8| app.t.get(&format!("growth-level-{l}"));
    let own = user_id == ctx.user.id;
    let mut categories = Vec::with_capacity(12);
    for (n, roman, title) in CATEGORIES {
        let rating = |is_self: bool| {
            history.iter().find(|a| a.category == n && a.is_self == is_self).map(|a| RatingOut {
                level: a.level,
                label: label(a.level),
                comment: a.comment.clone(),
                on_date: a.on_date.clone(),
                by: a.rater.clone(),
            })
        };
        let trend = growth::trend(&evidence, n, &qs);
        let now = evidence.get(&(this_q, n)).copied().unwrap_or(0);
        let key = if own { format!("growth-evidence-{n}") } else { "growth-evidence-other".to_string() };
        categories.push(ProfileCategoryOut {
            number: n,
            roman: roman.to_string(),
            title: title.to_string(),
            self_assessment: rating(true),
            supervisor_rating: rating(false),
            contacts_this_quarter: now,
            evidence: app.t.get_with(&key, &[("count", crate::i18n::count_arg(now as i64))]),
            direction: match growth::direction(&trend) {
                growth::Direction::Up => "up",
                growth::Direction::Steady => "steady",
                growth::Direction::Down => "down",
            }
            .into(),
            trend: qs.iter().zip(&trend).map(|(q, c)| TrendPoint { quarter: q.label(), contacts: *c }).collect(),
            examples: candidates
                .get(&n)
                .map(|v| v.iter().filter(|e| visible.get(&e.person_id).copied().unwrap_or(false)).map(|e| ExampleNote { note_id: e.id, on_date: e.on_date.clone() }).collect())
                .unwrap_or_default(),
        });
    }
    let goals = app
        .store
        .goals(org, user_id)
        .await?
        .into_iter()
        .map(|g| GoalOut { id: g.id, category: g.category, title: g.title, steps: g.steps, done: g.done })
        .collect();
    let (_, target_hours) = app.store.supervision_settings(org).await?;
    let two_years = today.checked_sub(jiff::Span::new().years(2)).unwrap_or(today);
    let supervised_hours = app.store.supervision_hours(user_id, two_years, today).await?;
    app.store.record_view(ctx.entry("growth.view", None, "staff", &user_id.to_string(), "ok", app.store.now_ms())).await;
    Ok(ProfileOut {
        user_id,
        name,
        categories,
        goals,
        history: history
            .into_iter()
            .take(50)
            .map(|a| HistoryOut { category: a.category, level: a.level, by_self: a.is_self, by: a.rater, comment: a.comment, on_date: a.on_date })
            .collect(),
        supervised_hours,
        target_hours,
    })
}

#[derive(Template)]
#[template(path = "growth.html")]
pub struct GrowthPage {
    pub c: Chrome,
    pub p: ProfileOut,
    pub own: bool,
    pub can_rate: bool,
    pub errors: FormErrors,
    pub notice: String,
    pub hours: String,
    pub levels: Vec<(u8, String)>,
    pub categories: Vec<(u8, String)>,
    pub form: FormValues,
    pub rate_action: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FormValues {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub steps: String,
}

async fn growth_page(app: &AppState, ctx: &Ctx, user_id: i64, errors: FormErrors, form: FormValues, notice: &str) -> PageResult {
    let facts = staff_check(app, ctx, user_id, GrowthAction::ViewProfile).await?;
    let p = profile(app, ctx, user_id, &facts, 4).await?;
    let own = user_id == ctx.user.id;
    let hours = app.t.get_with("growth-hours", &[("hours", format!("{:.1}", p.supervised_hours).into()), ("target", p.target_hours.into())]);
    let title = if own { app.t.get("growth-title") } else { app.t.get_with("growth-title-of", &[("name", p.name.clone().into())]) };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = GrowthPage {
        c: Chrome::new(app, Some(ctx), "growth-title", "growth").titled(title),
        own,
        can_rate: decide_growth(&ctx.actor, GrowthAction::Rate, &facts).is_allowed(),
        errors,
        notice: if notice.is_empty() { String::new() } else { app.t.get(notice) },
        hours,
        levels: growth::LEVELS.iter().map(|l| (*l, app.t.get(&format!("growth-level-{l}")))).collect(),
        categories: p.categories.iter().map(|c| (c.number, format!("{} · {}", c.roman, c.title))).collect(),
        rate_action: format!("/growth/staff/{user_id}/ratings"),
        p,
        form,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn saved_notice(q: &Option<String>) -> &'static str {
    match q.as_deref() {
        Some("saved=assessment") => "growth-saved-assessment",
        Some("saved=goal") => "growth-saved-goal",
        Some("saved=rating") => "growth-saved-rating",
        _ => "",
    }
}

/// `GET /growth` — the caller's own profile.
pub async fn profile_page(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    growth_page(&app, &ctx, ctx.user.id, FormErrors::default(), FormValues::default(), saved_notice(&q)).await
}

/// `GET /growth/staff/{id}` — a supervisee's profile (their supervisor, or an administrator).
pub async fn staff_page(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    growth_page(&app, &ctx, id, FormErrors::default(), FormValues::default(), saved_notice(&q)).await
}

/// `POST /growth/assessments` — a self-assessment.
pub async fn self_assess(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs = form_pairs(&body)?;
    let f = FormValues { category: field(&pairs, "category"), level: field(&pairs, "level"), comment: field(&pairs, "comment"), ..Default::default() };
    staff_check(&app, &ctx, ctx.user.id, GrowthAction::SelfAssess).await?;
    match growth::parse_assessment(&f.category, &f.level, &f.comment) {
        Ok(a) => {
            app.store.add_assessment(ctx.org(), ctx.user.id, ctx.user.id, &a, &ctx.who()).await?;
            Ok(Redirect::to("/growth?saved=assessment").into_response())
        }
        Err(v) => growth_page(&app, &ctx, ctx.user.id, FormErrors::from_validation(&app.t, &v), f, "").await,
    }
}

/// `POST /growth/staff/{id}/ratings` — a supervisor's rating.
pub async fn rate(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    staff_check(&app, &ctx, id, GrowthAction::Rate).await?;
    let pairs = form_pairs(&body)?;
    let f = FormValues { category: field(&pairs, "category"), level: field(&pairs, "level"), comment: field(&pairs, "comment"), ..Default::default() };
    match growth::parse_assessment(&f.category, &f.level, &f.comment) {
        Ok(a) => {
            app.store.add_assessment(ctx.org(), id, ctx.user.id, &a, &ctx.who()).await?;
            Ok(Redirect::to(&format!("/growth/staff/{id}?saved=rating")).into_response())
        }
        Err(v) => growth_page(&app, &ctx, id, FormErrors::from_validation(&app.t, &v), f, "").await,
    }
}

/// `POST /growth/goals` — a new growth goal with steps.
pub async fn add_goal(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs = form_pairs(&body)?;
    let f = FormValues { category: field(&pairs, "category"), title: field(&pairs, "title"), steps: field(&pairs, "steps"), ..Default::default() };
    staff_check(&app, &ctx, ctx.user.id, GrowthAction::SelfAssess).await?;
    match growth::parse_goal(&f.category, &f.title, &f.steps) {
        Ok(g) => {
            app.store.add_goal(ctx.org(), ctx.user.id, &g, &ctx.who()).await?;
            Ok(Redirect::to("/growth?saved=goal").into_response())
        }
        Err(v) => {
            // Goal fields are named apart from the self-assessment form's.
            let mut errors = FormErrors::from_validation(&app.t, &v);
            if let Some(e) = errors.0.remove("category") {
                errors.0.insert("goal_category".into(), e);
            }
            growth_page(&app, &ctx, ctx.user.id, errors, f, "").await
        }
    }
}

/// `POST /growth/goals/{id}/done` — marks one of the caller's goals reached.
pub async fn goal_done(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    app.store.set_goal_done(ctx.org(), ctx.user.id, id, true, &ctx.who()).await?;
    Ok(Redirect::to("/growth").into_response())
}

// ---- Supervision ----

pub struct SessionRow {
    pub id: i64,
    pub kind: String,
    pub on_date: String,
    pub minutes: i64,
    pub leader: String,
    pub signed: bool,
}

#[derive(Template)]
#[template(path = "supervision_list.html")]
pub struct SupervisionListPage {
    pub c: Chrome,
    pub sessions: Vec<SessionRow>,
    pub hours: String,
    pub can_lead: bool,
    pub people: Vec<(i64, String, bool)>,
    pub errors: FormErrors,
    pub kind: String,
    pub on_date: String,
    pub minutes: String,
}

async fn supervision_list_page(app: &AppState, ctx: &Ctx, errors: FormErrors, kind: String, on_date: String, minutes: String, chosen: Vec<i64>) -> PageResult {
    let org = ctx.org();
    let sessions = app.store.sessions_for(org, ctx.user.id).await?;
    let today = today(app, org).await?;
    let two_years = today.checked_sub(jiff::Span::new().years(2)).unwrap_or(today);
    let hours = app.store.supervision_hours(ctx.user.id, two_years, today).await?;
    let (rule, target) = app.store.supervision_settings(org).await?;
    let can_lead = ctx.actor.roles.has(Role::Supervisor) || (rule == growth::SupervisionRule::PeerAllowed && ctx.actor.roles.has(Role::Specialist));
    let people = if can_lead { app.store.teammates(org, ctx.user.id).await? } else { vec![] };
    app.store.record_view(ctx.entry("supervision.list", None, "supervision_session", "list", "ok", app.store.now_ms())).await;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SupervisionListPage {
        c: Chrome::new(app, Some(ctx), "supervision-title", "supervision"),
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow { id: s.id, kind: app.t.get(&format!("supervision-kind-{}", s.kind)), on_date: s.on_date, minutes: s.minutes, leader: s.leader, signed: s.signed })
            .collect(),
        hours: app.t.get_with("growth-hours", &[("hours", format!("{hours:.1}").into()), ("target", target.into())]),
        can_lead,
        people: people.into_iter().map(|(id, n)| (id, n, chosen.contains(&id))).collect(),
        errors,
        kind: if kind.is_empty() { "individual".into() } else { kind },
        on_date: if on_date.is_empty() { today.to_string() } else { on_date },
        minutes: if minutes.is_empty() { "60".into() } else { minutes },
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /supervision` — sessions and supervised hours; leaders open new sessions here.
pub async fn supervision_list(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    supervision_list_page(&app, &ctx, FormErrors::default(), String::new(), String::new(), String::new(), vec![]).await
}

/// Checks a new session and the organization's rule on who may lead it.
async fn new_session(app: &AppState, ctx: &Ctx, kind: &str, on_date: &str, minutes: &str, supervisees: &[i64]) -> Result<Result<i64, ValidationErrors>, AppError> {
    let today = today(app, ctx.org()).await?;
    let s = match growth::parse_session(kind, on_date, minutes, supervisees, ctx.user.id, today) {
        Ok(s) => s,
        Err(v) => return Ok(Err(v)),
    };
    let (rule, _) = app.store.supervision_settings(ctx.org()).await?;
    let (leads, shares) = app.store.supervision_relations(ctx.org(), ctx.user.id, &s.supervisees).await?;
    if !may_lead_supervision(&ctx.actor, rule == growth::SupervisionRule::PeerAllowed, leads, shares) {
        let mut v = ValidationErrors::default();
        v.push(lantern_domain::validate::FieldError::new("supervisees", "supervision-error-not-yours", "you can only supervise people on a team you lead"));
        return Ok(Err(v));
    }
    Ok(Ok(app.store.create_supervision(ctx.org(), ctx.user.id, &s, &ctx.who()).await?))
}

/// `POST /supervision` — opens a session with its proposed agenda.
pub async fn create_session(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs = form_pairs(&body)?;
    let chosen: Vec<i64> = pairs.iter().filter(|(k, _)| k == "supervisee").filter_map(|(_, v)| v.parse().ok()).collect();
    let (kind, on_date, minutes) = (field(&pairs, "kind"), field(&pairs, "on_date"), field(&pairs, "minutes"));
    match new_session(&app, &ctx, &kind, &on_date, &minutes, &chosen).await? {
        Ok(id) => Ok(Redirect::to(&format!("/supervision/{id}")).into_response()),
        Err(v) => supervision_list_page(&app, &ctx, FormErrors::from_validation(&app.t, &v), kind, on_date, minutes, chosen).await,
    }
}

pub struct ItemView {
    pub kind: String,
    pub source_label: String,
    pub link: String,
    pub body: String,
    pub owner: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "supervision_session.html")]
pub struct SessionPage {
    pub c: Chrome,
    pub id: i64,
    pub kind: String,
    pub on_date: String,
    pub minutes: i64,
    pub leader: String,
    pub members: Vec<String>,
    pub agenda: Vec<ItemView>,
    pub record: Vec<ItemView>,
    pub signatures: Vec<(String, String)>,
    pub waiting: Vec<String>,
    pub locked: bool,
    pub can_write: bool,
    pub can_sign: bool,
    pub owners: Vec<(i64, String)>,
    pub errors: FormErrors,
    /// (kind, label, chosen) for the line form.
    pub kinds: Vec<(String, String, bool)>,
    pub body: String,
    pub notice: String,
}

async fn session_check(app: &AppState, ctx: &Ctx, id: i64, action: SessionAction) -> Result<(), AppError> {
    let f = app.store.session_facts(&ctx.actor, id).await?;
    match decide_session(&ctx.actor, action, &f) {
        Decision::Allow => Ok(()),
        _ => {
            denied(app, ctx, "supervision.denied", "supervision_session", id).await;
            Err(AppError::NotFound)
        }
    }
}

fn source_link(source: &str) -> (String, String) {
    match source.split_once(':') {
        Some(("note", id)) => ("supervision-source-note".into(), format!("/notes/{id}")),
        Some(("crisis", id)) => ("supervision-source-crisis".into(), format!("/crisis/{id}")),
        Some(("boundary", _)) => ("supervision-source-boundary".into(), "/boundaries".into()),
        Some(("goal", _)) => ("supervision-source-goal".into(), String::new()),
        _ => (String::new(), String::new()),
    }
}

async fn session_page(app: &AppState, ctx: &Ctx, id: i64, errors: FormErrors, item_kind: String, body: String, notice: &str) -> PageResult {
    session_check(app, ctx, id, SessionAction::View).await?;
    let s = app.store.supervision_session(ctx.org(), id).await?;
    app.store.record_view(ctx.entry("supervision.view", None, "supervision_session", &id.to_string(), "ok", app.store.now_ms())).await;
    let tzone = {
        let org = app.store.org_cached(ctx.org()).await?;
        jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    };
    let view = |i: &lantern_store::growth::SessionItem| {
        let (label, link) = source_link(&i.source);
        ItemView {
            kind: app.t.get(&format!("supervision-item-{}", i.kind)),
            source_label: if label.is_empty() { String::new() } else { app.t.get(&label) },
            link,
            body: i.body.clone(),
            owner: i.owner.clone().unwrap_or_default(),
            by: i.created_by.clone().unwrap_or_default(),
        }
    };
    let inside = s.leader_id == ctx.user.id || s.members.iter().any(|(m, _)| *m == ctx.user.id);
    let signed_ids: Vec<i64> = s.signatures.iter().map(|(u, _, _)| *u).collect();
    let mut everyone = vec![(s.leader_id, s.leader.clone())];
    everyone.extend(s.members.iter().cloned());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SessionPage {
        c: Chrome::new(app, Some(ctx), "supervision-session-title", "supervision"),
        id,
        kind: app.t.get(&format!("supervision-kind-{}", s.kind)),
        on_date: s.on_date.clone(),
        minutes: s.minutes,
        leader: s.leader.clone(),
        members: s.members.iter().map(|(_, n)| n.clone()).collect(),
        agenda: s.items.iter().filter(|i| i.kind == "agenda").map(view).collect(),
        record: s.items.iter().filter(|i| i.kind != "agenda").map(view).collect(),
        signatures: s
            .signatures
            .iter()
            .map(|(_, n, at)| (n.clone(), jiff::Timestamp::from_millisecond(*at).map(|t| t.to_zoned(tzone.clone()).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()))
            .collect(),
        waiting: everyone.iter().filter(|(u, _)| !signed_ids.contains(u)).map(|(_, n)| n.clone()).collect(),
        locked: s.signed,
        can_write: inside && !s.signed,
        can_sign: inside && !s.signed && !signed_ids.contains(&ctx.user.id),
        owners: everyone,
        errors,
        kinds: ["reflection", "decision", "action", "agenda"]
            .iter()
            .map(|k| (k.to_string(), app.t.get(&format!("supervision-item-{k}")), if item_kind.is_empty() { *k == "reflection" } else { item_kind == *k }))
            .collect(),
        body,
        notice: if notice.is_empty() { String::new() } else { app.t.get(notice) },
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /supervision/{id}`.
pub async fn session_show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let notice = match q.as_deref() {
        Some("signed=1") => "supervision-signed-notice",
        Some("added=1") => "supervision-added-notice",
        _ => "",
    };
    session_page(&app, &ctx, id, FormErrors::default(), String::new(), String::new(), notice).await
}

/// `POST /supervision/{id}/items` — a reflection, decision, action item or agenda line.
pub async fn add_item(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    session_check(&app, &ctx, id, SessionAction::Write).await?;
    let pairs = form_pairs(&body)?;
    let (kind, text) = (field(&pairs, "kind"), field(&pairs, "body"));
    let owner = field(&pairs, "owner").parse::<i64>().ok();
    match growth::parse_item(&kind, &text, owner) {
        Ok((k, b)) => {
            app.store.add_session_item(ctx.org(), id, &k, &b, owner, &ctx.who()).await?;
            Ok(Redirect::to(&format!("/supervision/{id}?added=1")).into_response())
        }
        Err(v) => session_page(&app, &ctx, id, FormErrors::from_validation(&app.t, &v), kind, text, "").await,
    }
}

/// `POST /supervision/{id}/sign` — the caller signs; once everyone has, the session is locked.
pub async fn sign(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    session_check(&app, &ctx, id, SessionAction::Sign).await?;
    app.store.sign_session(ctx.org(), id, ctx.user.id, &ctx.who()).await?;
    Ok(Redirect::to(&format!("/supervision/{id}?signed=1")).into_response())
}

// ---- Boundaries ----

pub struct BoundaryView {
    pub author: String,
    pub person_id: i64,
    pub person_name: String,
    pub kind: String,
    pub what_happened: String,
    pub what_i_did: String,
    pub reassignment: String,
    pub open: bool,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "boundaries.html")]
pub struct BoundariesPage {
    pub c: Chrome,
    pub items: Vec<BoundaryView>,
    pub notice: String,
}

/// `GET /boundaries` — the caller's boundary questions (and their supervisees', for a supervisor).
pub async fn boundaries(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let rows = app.store.boundaries_for(ctx.org(), ctx.user.id, ctx.actor.roles.has(Role::Supervisor)).await?;
    app.store.record_view(ctx.entry("boundary.list", None, "boundary_item", "list", "ok", app.store.now_ms())).await;
    let page = BoundariesPage {
        c: Chrome::new(&app, Some(&ctx), "boundary-title", "supervision"),
        items: rows
            .into_iter()
            .map(|b| BoundaryView {
                mine: b.author_id == ctx.user.id,
                author: b.author,
                person_id: b.person_id,
                person_name: b.person_name,
                kind: app.t.get(&format!("boundary-kind-{}", b.kind)),
                what_happened: b.what_happened,
                what_i_did: b.what_i_did,
                reassignment: b.reassignment,
                open: b.open,
            })
            .collect(),
        notice: if q.as_deref() == Some("saved=1") { app.t.get("boundary-saved") } else { String::new() },
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "boundary_form.html")]
pub struct BoundaryFormPage {
    pub c: Chrome,
    pub person_id: i64,
    pub name: String,
    pub kinds: Vec<(String, String)>,
    pub kind: String,
    pub what_happened: String,
    pub what_i_did: String,
    pub reassignment: String,
    pub errors: FormErrors,
}

async fn boundary_check(app: &AppState, ctx: &Ctx, person_id: i64) -> Result<(), AppError> {
    // Whoever cannot see the person gets the usual 404 (and the usual denied row).
    let pf = check_person(app, ctx, person_id, PersonAction::View).await?;
    match decide_boundary(&ctx.actor, BoundaryAction::Write, &pf, &BoundaryFacts { is_author: true, supervises_author: false }) {
        Decision::Allow => Ok(()),
        _ => {
            denied(app, ctx, "boundary.denied", "person", person_id).await;
            Err(AppError::NotFound)
        }
    }
}

async fn boundary_form(app: &AppState, ctx: &Ctx, person_id: i64, b: (String, String, String, String), errors: FormErrors) -> PageResult {
    let p = app.store.person(ctx.org(), person_id).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = BoundaryFormPage {
        c: Chrome::new(app, Some(ctx), "boundary-new-title", "caseload"),
        person_id,
        name: p.profile.display_name().to_string(),
        kinds: growth::BOUNDARY_KINDS.iter().map(|k| (k.to_string(), app.t.get(&format!("boundary-kind-{k}")))).collect(),
        kind: b.0,
        what_happened: b.1,
        what_i_did: b.2,
        reassignment: b.3,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /people/{id}/boundaries/new`.
pub async fn new_boundary(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    boundary_check(&app, &ctx, id).await?;
    boundary_form(&app, &ctx, id, Default::default(), FormErrors::default()).await
}

/// `POST /people/{id}/boundaries` — records the question; it goes on the next supervision agenda.
pub async fn create_boundary(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    boundary_check(&app, &ctx, id).await?;
    let pairs = form_pairs(&body)?;
    let b = (field(&pairs, "kind"), field(&pairs, "what_happened"), field(&pairs, "what_i_did"), field(&pairs, "reassignment"));
    match growth::parse_boundary(&b.0, &b.1, &b.2, &b.3) {
        Ok(v) => {
            app.store.add_boundary(ctx.org(), ctx.user.id, id, &v, &ctx.who()).await?;
            Ok(Redirect::to("/boundaries?saved=1").into_response())
        }
        Err(v) => boundary_form(&app, &ctx, id, b, FormErrors::from_validation(&app.t, &v)).await,
    }
}

// ---- Self-care ----

pub struct CheckInView {
    pub on_date: String,
    pub answers: Vec<u8>,
}

#[derive(Template)]
#[template(path = "selfcare.html")]
pub struct SelfCarePage {
    pub c: Chrome,
    /// (code, question, low label, high label, chosen)
    pub items: Vec<(String, String, String, String, String)>,
    pub history: Vec<CheckInView>,
    pub headers: Vec<String>,
    pub prompts: Vec<String>,
    pub note: String,
    pub errors: FormErrors,
    pub notice: String,
}

async fn selfcare_page(app: &AppState, ctx: &Ctx, chosen: Vec<String>, note: String, errors: FormErrors, notice: &str) -> PageResult {
    if !decide_selfcare(&ctx.actor, SelfCareAction::Own, UserId(ctx.user.id)).is_allowed() {
        return Err(AppError::NotFound);
    }
    let rows = app.store.checkins(ctx.org(), ctx.user.id, 12).await?;
    // Access is logged; the content never is.
    app.store.record_view(ctx.entry("selfcare.view", None, "selfcare", "own", "ok", app.store.now_ms())).await;
    let prompts = rows
        .first()
        .map(|r| growth::prompts(&growth::CheckIn { answers: r.answers, note: String::new() }).into_iter().map(|c| app.t.get(&format!("selfcare-prompt-{c}"))).collect())
        .unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SelfCarePage {
        c: Chrome::new(app, Some(ctx), "selfcare-title", "growth"),
        items: SELFCARE_ITEMS
            .iter()
            .enumerate()
            .map(|(i, code)| {
                (
                    code.to_string(),
                    app.t.get(&format!("selfcare-item-{code}")),
                    app.t.get(&format!("selfcare-low-{code}")),
                    app.t.get(&format!("selfcare-high-{code}")),
                    chosen.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        headers: SELFCARE_ITEMS.iter().map(|c| app.t.get(&format!("selfcare-short-{c}"))).collect(),
        history: rows.iter().map(|r| CheckInView { on_date: r.on_date.clone(), answers: r.answers.to_vec() }).collect(),
        prompts,
        note,
        errors,
        notice: if notice.is_empty() { String::new() } else { app.t.get(notice) },
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /growth/self-care` — the caller's own check-ins (nobody else's, ever).
pub async fn selfcare(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> PageResult {
    let notice = if q.as_deref() == Some("saved=1") { "selfcare-saved" } else { "" };
    selfcare_page(&app, &ctx, vec![], String::new(), FormErrors::default(), notice).await
}

/// `POST /growth/self-care`.
pub async fn selfcare_save(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    if !decide_selfcare(&ctx.actor, SelfCareAction::Own, UserId(ctx.user.id)).is_allowed() {
        return Err(AppError::NotFound);
    }
    let pairs = form_pairs(&body)?;
    let chosen: Vec<String> = SELFCARE_ITEMS.iter().map(|c| field(&pairs, c)).collect();
    let note = field(&pairs, "note");
    let refs: Vec<&str> = chosen.iter().map(String::as_str).collect();
    match growth::parse_checkin(&refs, &note) {
        Ok(c) => {
            app.store.add_checkin(ctx.org(), ctx.user.id, &c, &ctx.who()).await?;
            Ok(Redirect::to("/growth/self-care?saved=1").into_response())
        }
        Err(v) => selfcare_page(&app, &ctx, chosen, note, FormErrors::from_validation(&app.t, &v), "").await,
    }
}

#[derive(Template)]
#[template(path = "selfcare_report.html")]
pub struct SelfCareReportPage {
    pub c: Chrome,
    pub people: usize,
    pub rows: Vec<(String, String)>,
}

/// Each item's mean over each person's latest check-in in the last 90 days, or
/// `None` with fewer than five people.
async fn aggregate(app: &AppState, ctx: &Ctx) -> Result<(usize, Option<[f64; 6]>), AppError> {
    if !decide_selfcare(&ctx.actor, SelfCareAction::Aggregate, UserId(ctx.user.id)).is_allowed() {
        return Err(AppError::NotFound);
    }
    let since = app.store.now_ms() - 90 * 86_400_000;
    let latest = app.store.checkin_latest_answers(ctx.org(), since).await?;
    app.store.record_view(ctx.entry("selfcare.aggregate", None, "selfcare", "aggregate", "ok", app.store.now_ms())).await;
    Ok((latest.len(), growth::aggregate(&latest)))
}

/// `GET /reports/self-care` — the organization's aggregate (at least five people).
pub async fn selfcare_report(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    let (people, agg) = aggregate(&app, &ctx).await?;
    let page = SelfCareReportPage {
        c: Chrome::new(&app, Some(&ctx), "selfcare-report-title", "reports"),
        people: if agg.is_some() { people } else { 0 },
        rows: agg.map(|a| SELFCARE_ITEMS.iter().zip(a).map(|(c, v)| (app.t.get(&format!("selfcare-short-{c}")), format!("{v:.1}"))).collect()).unwrap_or_default(),
    };
    Ok(Html(page.render()?).into_response())
}

// ---- API ----

fn quarters_param(q: &Option<String>) -> Result<usize, AppError> {
    let pairs: Vec<(String, String)> = q.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    match pairs.iter().find(|(k, _)| k == "quarters") {
        None => Ok(4),
        Some((_, v)) => match v.parse::<usize>() {
            Ok(n) if (1..=12).contains(&n) => Ok(n),
            _ => Err(AppError::BadRequest("quarters must be a whole number from 1 to 12".into())),
        },
    }
}

/// The caller's own competency profile.
#[utoipa::path(get, path = "/api/v1/growth/profile", tag = "growth", operation_id = "get_own_growth_profile",
    params(("quarters" = Option<u32>, Query, description = "Quarters of evidence, 1–12 (default 4)")),
    responses((status = 200, body = ProfileOut), (status = 400, description = "Bad quarters", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_profile(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> Result<Json<ProfileOut>, ApiError> {
    let n = quarters_param(&q)?;
    let facts = staff_check(&app, &ctx, ctx.user.id, GrowthAction::ViewProfile).await?;
    Ok(Json(profile(&app, &ctx, ctx.user.id, &facts, n).await?))
}

/// A supervisee's competency profile (their supervisor, or an administrator).
#[utoipa::path(get, path = "/api/v1/growth/staff/{id}/profile", tag = "growth", operation_id = "get_staff_growth_profile",
    params(("id" = i64, Path, description = "Staff user id"), ("quarters" = Option<u32>, Query, description = "Quarters of evidence, 1–12 (default 4)")),
    responses((status = 200, body = ProfileOut), (status = 404, description = "Not someone you supervise", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_staff_profile(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(q): RawQuery) -> Result<Json<ProfileOut>, ApiError> {
    let id = parse_id(&raw)?;
    let n = quarters_param(&q)?;
    let facts = staff_check(&app, &ctx, id, GrowthAction::ViewProfile).await?;
    Ok(Json(profile(&app, &ctx, id, &facts, n).await?))
}

/// A self-assessment or rating: category 1–12, level 1–4.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssessmentIn {
    pub category: i64,
    pub level: i64,
    #[serde(default)]
    pub comment: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedOut {
    pub id: i64,
}

fn body_of<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the body is not {what}: {e}")))
}

/// Adds a self-assessment of the caller.
#[utoipa::path(post, path = "/api/v1/growth/assessments", tag = "growth", operation_id = "create_self_assessment",
    request_body = AssessmentIn,
    responses((status = 200, body = CreatedOut), (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_self_assess(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<CreatedOut>, ApiError> {
    staff_check(&app, &ctx, ctx.user.id, GrowthAction::SelfAssess).await?;
    let j: AssessmentIn = body_of(&body, "an assessment")?;
    let a = growth::parse_assessment(&j.category.to_string(), &j.level.to_string(), &j.comment).map_err(AppError::Invalid)?;
    Ok(Json(CreatedOut { id: app.store.add_assessment(ctx.org(), ctx.user.id, ctx.user.id, &a, &ctx.who()).await? }))
}

/// Rates a supervisee's competency.
#[utoipa::path(post, path = "/api/v1/growth/staff/{id}/ratings", tag = "growth", operation_id = "create_supervisor_rating",
    params(("id" = i64, Path, description = "Staff user id")),
    request_body = AssessmentIn,
    responses((status = 200, body = CreatedOut), (status = 404, description = "Not someone you supervise", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_rate(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<CreatedOut>, ApiError> {
    let id = parse_id(&raw)?;
    staff_check(&app, &ctx, id, GrowthAction::Rate).await?;
    let j: AssessmentIn = body_of(&body, "a rating")?;
    let a = growth::parse_assessment(&j.category.to_string(), &j.level.to_string(), &j.comment).map_err(AppError::Invalid)?;
    Ok(Json(CreatedOut { id: app.store.add_assessment(ctx.org(), id, ctx.user.id, &a, &ctx.who()).await? }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct GoalIn {
    pub category: i64,
    pub title: String,
    #[serde(default)]
    pub steps: Vec<String>,
}

/// Adds a growth goal with steps.
#[utoipa::path(post, path = "/api/v1/growth/goals", tag = "growth", operation_id = "create_growth_goal",
    request_body = GoalIn,
    responses((status = 200, body = CreatedOut), (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_add_goal(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<CreatedOut>, ApiError> {
    staff_check(&app, &ctx, ctx.user.id, GrowthAction::SelfAssess).await?;
    let j: GoalIn = body_of(&body, "a goal")?;
    if j.steps.iter().any(|s| s.contains('\n')) {
        return Err(AppError::BadRequest("a step is one line".into()).into());
    }
    let g = growth::parse_goal(&j.category.to_string(), &j.title, &j.steps.join("\n")).map_err(AppError::Invalid)?;
    Ok(Json(CreatedOut { id: app.store.add_goal(ctx.org(), ctx.user.id, &g, &ctx.who()).await? }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSummaryOut {
    pub id: i64,
    pub kind: String,
    pub on_date: String,
    pub minutes: i64,
    pub leader: String,
    pub signed: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionsOut {
    pub sessions: Vec<SessionSummaryOut>,
    /// The caller's supervised hours (as a supervisee) in signed sessions over the last two years.
    pub supervised_hours: f64,
    pub target_hours: i64,
}

/// Sessions the caller led or attended, and their supervised hours.
#[utoipa::path(get, path = "/api/v1/supervision/sessions", tag = "supervision", operation_id = "list_supervision_sessions",
    responses((status = 200, body = SessionsOut)), security(("bearer" = [])))]
pub async fn api_sessions(State(app): State<AppState>, ctx: Ctx) -> Result<Json<SessionsOut>, ApiError> {
    let today = today(&app, ctx.org()).await?;
    let two_years = today.checked_sub(jiff::Span::new().years(2)).unwrap_or(today);
    let (_, target_hours) = app.store.supervision_settings(ctx.org()).await?;
    let sessions = app.store.sessions_for(ctx.org(), ctx.user.id).await?;
    app.store.record_view(ctx.entry("supervision.list", None, "supervision_session", "list", "ok", app.store.now_ms())).await;
    Ok(Json(SessionsOut {
        sessions: sessions.into_iter().map(|s| SessionSummaryOut { id: s.id, kind: s.kind, on_date: s.on_date, minutes: s.minutes, leader: s.leader, signed: s.signed }).collect(),
        supervised_hours: app.store.supervision_hours(ctx.user.id, two_years, today).await?,
        target_hours,
    }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SessionIn {
    /// "individual" or "group".
    pub kind: String,
    /// YYYY-MM-DD, today or earlier.
    pub on_date: String,
    pub minutes: i64,
    /// Staff user ids of the supervisees.
    pub supervisees: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemOut {
    pub id: i64,
    /// agenda, reflection, decision or action.
    pub kind: String,
    /// Where a proposed agenda line came from: note:ID, crisis:ID, boundary:ID, goal:ID, or empty.
    pub source: String,
    pub body: String,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionSignatureOut {
    pub user_id: i64,
    pub name: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionOut {
    pub id: i64,
    pub kind: String,
    pub on_date: String,
    pub minutes: i64,
    pub leader_id: i64,
    pub leader: String,
    pub supervisee_ids: Vec<i64>,
    pub locked: bool,
    pub items: Vec<ItemOut>,
    pub signatures: Vec<SessionSignatureOut>,
}

async fn session_json(app: &AppState, ctx: &Ctx, id: i64) -> Result<SessionOut, AppError> {
    let s = app.store.supervision_session(ctx.org(), id).await?;
    Ok(SessionOut {
        id: s.id,
        kind: s.kind,
        on_date: s.on_date,
        minutes: s.minutes,
        leader_id: s.leader_id,
        leader: s.leader,
        supervisee_ids: s.members.iter().map(|(u, _)| *u).collect(),
        locked: s.signed,
        items: s.items.into_iter().map(|i| ItemOut { id: i.id, kind: i.kind, source: i.source, body: i.body, owner: i.owner }).collect(),
        signatures: s.signatures.into_iter().map(|(user_id, name, at_ms)| SessionSignatureOut { user_id, name, at_ms }).collect(),
    })
}

/// Opens a session led by the caller; the agenda is proposed from the supervisees'
/// returned notes, open crisis events, boundary questions and growth goals.
#[utoipa::path(post, path = "/api/v1/supervision/sessions", tag = "supervision", operation_id = "create_supervision_session",
    request_body = SessionIn,
    responses((status = 200, body = SessionOut), (status = 422, description = "A field is not valid, or you may not lead supervision for these people", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_create_session(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<SessionOut>, ApiError> {
    let j: SessionIn = body_of(&body, "a session")?;
    let id = new_session(&app, &ctx, &j.kind, &j.on_date, &j.minutes.to_string(), &j.supervisees).await?.map_err(AppError::Invalid)?;
    Ok(Json(session_json(&app, &ctx, id).await?))
}

/// One session with its agenda, record and signatures.
#[utoipa::path(get, path = "/api/v1/supervision/sessions/{id}", tag = "supervision", operation_id = "get_supervision_session",
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, body = SessionOut), (status = 404, description = "Not a session of yours", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_session(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<SessionOut>, ApiError> {
    let id = parse_id(&raw)?;
    session_check(&app, &ctx, id, SessionAction::View).await?;
    app.store.record_view(ctx.entry("supervision.view", None, "supervision_session", &id.to_string(), "ok", app.store.now_ms())).await;
    Ok(Json(session_json(&app, &ctx, id).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ItemIn {
    /// agenda, reflection, decision or action.
    pub kind: String,
    pub body: String,
    /// Staff user id; required for an action item.
    #[serde(default)]
    pub owner: Option<i64>,
}

/// Adds a line to an open session (409 once it is signed and locked).
#[utoipa::path(post, path = "/api/v1/supervision/sessions/{id}/items", tag = "supervision", operation_id = "add_supervision_item",
    params(("id" = i64, Path, description = "Session id")),
    request_body = ItemIn,
    responses((status = 200, body = CreatedOut), (status = 409, description = "The session is locked", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_add_item(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<CreatedOut>, ApiError> {
    let id = parse_id(&raw)?;
    session_check(&app, &ctx, id, SessionAction::Write).await?;
    let j: ItemIn = body_of(&body, "a session line")?;
    let (k, b) = growth::parse_item(&j.kind, &j.body, j.owner).map_err(AppError::Invalid)?;
    Ok(Json(CreatedOut { id: app.store.add_session_item(ctx.org(), id, &k, &b, j.owner, &ctx.who()).await? }))
}

/// The caller signs the session; once the leader and every supervisee have, it is locked.
#[utoipa::path(post, path = "/api/v1/supervision/sessions/{id}/sign", tag = "supervision", operation_id = "sign_supervision_session",
    params(("id" = i64, Path, description = "Session id")),
    responses((status = 200, body = SessionOut), (status = 409, description = "Already signed", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_sign(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<SessionOut>, ApiError> {
    let id = parse_id(&raw)?;
    session_check(&app, &ctx, id, SessionAction::Sign).await?;
    app.store.sign_session(ctx.org(), id, ctx.user.id, &ctx.who()).await?;
    Ok(Json(session_json(&app, &ctx, id).await?))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoundaryOut {
    pub id: i64,
    pub author_id: i64,
    pub person_id: i64,
    pub kind: String,
    pub what_happened: String,
    pub what_i_did: String,
    pub reassignment: String,
    pub open: bool,
}

/// The caller's boundary questions (and their supervisees', for a supervisor).
#[utoipa::path(get, path = "/api/v1/boundaries", tag = "supervision", operation_id = "list_boundary_questions",
    responses((status = 200, body = [BoundaryOut])), security(("bearer" = [])))]
pub async fn api_boundaries(State(app): State<AppState>, ctx: Ctx) -> Result<Json<Vec<BoundaryOut>>, ApiError> {
    let rows = app.store.boundaries_for(ctx.org(), ctx.user.id, ctx.actor.roles.has(Role::Supervisor)).await?;
    app.store.record_view(ctx.entry("boundary.list", None, "boundary_item", "list", "ok", app.store.now_ms())).await;
    Ok(Json(
        rows.into_iter()
            .map(|b| BoundaryOut { id: b.id, author_id: b.author_id, person_id: b.person_id, kind: b.kind, what_happened: b.what_happened, what_i_did: b.what_i_did, reassignment: b.reassignment, open: b.open })
            .collect(),
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BoundaryIn {
    /// own_meeting, social_media, gift, knew_before, outside_contact or other.
    pub kind: String,
    pub what_happened: String,
    #[serde(default)]
    pub what_i_did: String,
    /// Empty, or why someone else might support the person better.
    #[serde(default)]
    pub reassignment: String,
}

/// Records a boundary question about a person on the caller's caseload (never shown to the person).
#[utoipa::path(post, path = "/api/v1/people/{id}/boundaries", tag = "supervision", operation_id = "create_boundary_question",
    params(("id" = i64, Path, description = "Person id")),
    request_body = BoundaryIn,
    responses((status = 200, body = CreatedOut), (status = 404, description = "No such person in your caseload", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_create_boundary(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<CreatedOut>, ApiError> {
    let id = parse_id(&raw)?;
    boundary_check(&app, &ctx, id).await?;
    let j: BoundaryIn = body_of(&body, "a boundary question")?;
    let b = growth::parse_boundary(&j.kind, &j.what_happened, &j.what_i_did, &j.reassignment).map_err(AppError::Invalid)?;
    Ok(Json(CreatedOut { id: app.store.add_boundary(ctx.org(), ctx.user.id, id, &b, &ctx.who()).await? }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckInOut {
    pub id: i64,
    pub on_date: String,
    /// energy, sleep, connection, boundaries, joy, support: 1–5 each, 5 the better end.
    pub answers: Vec<u8>,
    pub note: String,
}

/// The caller's own self-care check-ins, newest first (nobody else's, whatever the caller's role).
#[utoipa::path(get, path = "/api/v1/self-care/check-ins", tag = "self-care", operation_id = "list_own_checkins",
    responses((status = 200, body = [CheckInOut])), security(("bearer" = [])))]
pub async fn api_checkins(State(app): State<AppState>, ctx: Ctx) -> Result<Json<Vec<CheckInOut>>, ApiError> {
    if !decide_selfcare(&ctx.actor, SelfCareAction::Own, UserId(ctx.user.id)).is_allowed() {
        return Err(AppError::NotFound.into());
    }
    let rows = app.store.checkins(ctx.org(), ctx.user.id, 100).await?;
    app.store.record_view(ctx.entry("selfcare.view", None, "selfcare", "own", "ok", app.store.now_ms())).await;
    Ok(Json(rows.into_iter().map(|r| CheckInOut { id: r.id, on_date: r.on_date, answers: r.answers.to_vec(), note: r.note }).collect()))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CheckInIn {
    /// Six answers 1–5, in the order energy, sleep, connection, boundaries, joy, support.
    pub answers: Vec<i64>,
    #[serde(default)]
    pub note: String,
}

/// Saves a self-care check-in (private; its content is never written to the audit log).
#[utoipa::path(post, path = "/api/v1/self-care/check-ins", tag = "self-care", operation_id = "create_checkin",
    request_body = CheckInIn,
    responses((status = 200, body = CreatedOut), (status = 422, description = "An answer is not 1–5", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_add_checkin(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<CreatedOut>, ApiError> {
    if !decide_selfcare(&ctx.actor, SelfCareAction::Own, UserId(ctx.user.id)).is_allowed() {
        return Err(AppError::NotFound.into());
    }
    let j: CheckInIn = body_of(&body, "a check-in")?;
    let answers: Vec<String> = j.answers.iter().map(|a| a.to_string()).collect();
    let refs: Vec<&str> = answers.iter().map(String::as_str).collect();
    let c = growth::parse_checkin(&refs, &j.note).map_err(AppError::Invalid)?;
    Ok(Json(CreatedOut { id: app.store.add_checkin(ctx.org(), ctx.user.id, &c, &ctx.who()).await? }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AggregateOut {
    /// People counted (0 when fewer than five: nothing is shown).
    pub people: usize,
    /// Item means in the order energy, sleep, connection, boundaries, joy, support; empty under five people.
    pub means: Vec<f64>,
    pub enough_people: bool,
}

/// The organization's self-care picture: means over each person's latest check-in (90 days), only with at least five people.
#[utoipa::path(get, path = "/api/v1/self-care/aggregate", tag = "self-care", operation_id = "get_checkin_aggregate",
    responses((status = 200, body = AggregateOut)), security(("bearer" = [])))]
pub async fn api_selfcare_aggregate(State(app): State<AppState>, ctx: Ctx) -> Result<Json<AggregateOut>, ApiError> {
    let (people, agg) = aggregate(&app, &ctx).await?;
    Ok(Json(AggregateOut { people: if agg.is_some() { people } else { 0 }, enough_people: agg.is_some(), means: agg.map(|a| a.to_vec()).unwrap_or_default() }))
}

// ---- Supervision settings (admin) ----

#[derive(Template)]
#[template(path = "admin_supervision.html")]
pub struct AdminSupervisionPage {
    pub c: Chrome,
    pub rules: Vec<(String, String, bool)>,
    pub target_hours: String,
    pub errors: FormErrors,
    pub notice: String,
}

fn supervision_rules(app: &AppState, chosen: &str) -> Vec<(String, String, bool)> {
    [growth::SupervisionRule::Supervisor, growth::SupervisionRule::PeerAllowed]
        .iter()
        .map(|r| (r.code().to_string(), app.t.get(&format!("supervision-settings-rule-{}", r.code())), r.code() == chosen))
        .collect()
}

/// `GET /admin/supervision` — who may lead supervision, and the supervised-hours target.
pub async fn admin_supervision(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let (rule, hours) = app.store.supervision_settings(ctx.org()).await?;
    let saved = crate::pages::query_pairs(&rq).iter().any(|(k, v)| k == "saved" && v == "1");
    let page = AdminSupervisionPage {
        c: Chrome::new(&app, Some(&ctx), "supervision-settings-title", "admin"),
        rules: supervision_rules(&app, rule.code()),
        target_hours: hours.to_string(),
        errors: FormErrors::default(),
        notice: if saved { app.t.get("supervision-settings-saved") } else { String::new() },
    };
    Ok(Html(page.render()?).into_response())
}

/// `POST /admin/supervision`.
pub async fn admin_supervision_save(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs = form_pairs(&body)?;
    let (rule, hours) = (field(&pairs, "lead_rule"), field(&pairs, "target_hours"));
    match growth::parse_supervision_settings(&rule, &hours) {
        Ok((r, h)) => {
            app.store.set_supervision_settings(ctx.org(), r, h, &ctx.who()).await?;
            Ok(Redirect::to("/admin/supervision?saved=1").into_response())
        }
        Err(v) => {
            let page = AdminSupervisionPage {
                c: Chrome::new(&app, Some(&ctx), "supervision-settings-title", "admin"),
                rules: supervision_rules(&app, &rule),
                target_hours: hours,
                errors: FormErrors::from_validation(&app.t, &v),
                notice: String::new(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// The organization's supervision settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupervisionSettingsJson {
    /// `supervisor` (supervisors only) or `peer` (experienced peer specialists may lead too).
    pub lead_rule: String,
    /// Supervised hours each specialist works toward (1 to 500).
    pub target_hours: i64,
}

/// Who may lead supervision, and the supervised-hours target (admins).
#[utoipa::path(get, path = "/api/v1/supervision/settings", tag = "growth", operation_id = "get_supervision_settings",
    responses((status = 200, body = SupervisionSettingsJson)),
    security(("bearer" = [])))]
pub async fn api_supervision_settings(State(app): State<AppState>, ctx: Ctx) -> Result<Json<SupervisionSettingsJson>, ApiError> {
    let (rule, target_hours) = app.store.supervision_settings(ctx.org()).await?;
    Ok(Json(SupervisionSettingsJson { lead_rule: rule.code().to_string(), target_hours }))
}

/// Changes who may lead supervision and the supervised-hours target (admins; audited).
#[utoipa::path(put, path = "/api/v1/supervision/settings", tag = "growth", operation_id = "put_supervision_settings",
    request_body = SupervisionSettingsJson,
    responses((status = 200, body = SupervisionSettingsJson), (status = 422, description = "A field is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put_supervision_settings(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<SupervisionSettingsJson>, ApiError> {
    let j: SupervisionSettingsJson = body_of(&body, "supervision settings")?;
    let (rule, hours) = growth::parse_supervision_settings(&j.lead_rule, &j.target_hours.to_string()).map_err(AppError::Invalid)?;
    app.store.set_supervision_settings(ctx.org(), rule, hours, &ctx.who()).await?;
    Ok(Json(SupervisionSettingsJson { lead_rule: rule.code().to_string(), target_hours: hours }))
}
