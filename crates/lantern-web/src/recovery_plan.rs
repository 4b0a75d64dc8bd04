//! The recovery plan pages and API: co-write the draft (with a revision
//! check), comment, agree (the person in their portal, or the specialist
//! recording in-person agreement with a typed signature), read any agreed
//! version, compare two versions field by field and goal by goal, print;
//! milestones and the recovery anniversary.
//!
//! Access: `PersonAction::View` to read, `PersonAction::WritePlan` to write,
//! comment, agree and add milestones (the person's team, or the person
//! themself); administrators read but do not write.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use jiff::civil::Date;
use lantern_domain::policy::{decide_person, PersonAction};
use lantern_domain::recovery_plan::{
    self as rp, anniversary, compare, goal_field, input_of, parse, parse_comment, parse_milestone, parse_signature, review_state, step_field,
    whole_years, Change, DimensionSet, GoalInput, MilestoneInput, MilestoneKind, PlanContent, PlanInput, Review, StepInput, MAX_GOALS, MAX_STEPS,
};
use lantern_store::recovery_plans::{AgreedHow, AgreedVersion, Draft, MilestoneRow};
use lantern_store::users::Who;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, AppError};
use crate::i18n::Messages;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id, query_pairs};
use crate::views::{Chrome, FormErrors};
use crate::AppState;

type PageResult = Result<Response, AppError>;

fn who(ctx: &Ctx) -> Who {
    Who { actor_id: Some(ctx.user.id), ip: ctx.ip.clone() }
}

fn get<'a>(pairs: &'a [(String, String)], k: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("")
}

async fn fmt_ms(app: &AppState, org: i64, ms: i64) -> Result<String, AppError> {
    let org = app.store.org_cached(org).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default())
}

// ---- views ----

pub struct StepView {
    pub what: String,
    pub who: String,
    pub by_when: String,
    pub status: String,
    pub done: bool,
}

pub struct GoalView {
    pub key: String,
    pub words: String,
    pub summary: String,
    pub status: String,
    pub reached: bool,
    pub steps: Vec<StepView>,
    /// Signed notes that addressed this goal.
    pub notes: i64,
}

pub struct DimensionView {
    pub label: String,
    pub hint: String,
    pub goals: Vec<GoalView>,
}

pub struct PlanView {
    pub strengths: String,
    pub dimensions: Vec<DimensionView>,
    pub review_on: String,
    pub review_label: String,
}

fn dim_label(t: &Messages, d: &str) -> String {
    t.get(&format!("plans-dim-{d}"))
}

fn plan_view(t: &Messages, p: &PlanContent, progress: &[(String, i64)], today: Date) -> PlanView {
    let dimensions = p
        .dimensions
        .dimensions()
        .iter()
        .map(|d| DimensionView {
            label: dim_label(t, d),
            hint: t.get(&format!("plans-dim-{d}-hint")),
            goals: p
                .goals
                .iter()
                .filter(|g| g.dimension == *d)
                .map(|g| GoalView {
                    key: g.key.clone(),
                    words: g.in_my_words.clone(),
                    summary: g.staff_summary.clone(),
                    status: t.get(&format!("plans-goal-{}", g.status.code())),
                    reached: g.status == rp::GoalStatus::Reached,
                    steps: g
                        .steps
                        .iter()
                        .map(|s| StepView {
                            what: s.what.clone(),
                            who: s.who.clone(),
                            by_when: s.by_when.map(|d| d.to_string()).unwrap_or_default(),
                            status: t.get(&format!("plans-step-{}", s.status.code())),
                            done: s.status == rp::StepStatus::Done,
                        })
                        .collect(),
                    notes: progress.iter().find(|(k, _)| *k == g.key).map(|(_, n)| *n).unwrap_or(0),
                })
                .collect(),
        })
        .collect();
    let review_label = match review_state(p.review_on, today) {
        Review::NotYet => String::new(),
        Review::Soon { days } => t.get_with("plans-review-soon", &[("days", days.into())]),
        Review::Overdue { days } => t.get_with("plans-review-overdue", &[("days", days.into())]),
    };
    PlanView { strengths: p.strengths.clone(), dimensions, review_on: p.review_on.map(|d| d.to_string()).unwrap_or_default(), review_label }
}

pub struct MilestoneView {
    pub kind: String,
    pub title: String,
    pub on_date: String,
    pub detail: String,
    pub portal: bool,
}

/// A milestone for display; an anniversary says how many years and when the next one is.
pub fn milestone_view(t: &Messages, m: &MilestoneRow, today: Date) -> MilestoneView {
    let (title, detail) = match m.kind {
        MilestoneKind::Anniversary => {
            let years = whole_years(m.on_date, today);
            let next = anniversary(m.on_date, today);
            let title = if m.title.is_empty() { t.get("plans-anniversary") } else { m.title.clone() };
            let detail = match next {
                Some(a) if a.is_today => t.get_with("plans-anniversary-today", &[("years", (a.years as i64).into())]),
                Some(a) => t.get_with(
                    "plans-anniversary-detail",
                    &[("years", (years as i64).into()), ("next", a.next_on.to_string().into()), ("next_years", (a.years as i64).into())],
                ),
                None => String::new(),
            };
            (title, detail)
        }
        _ => (m.title.clone(), String::new()),
    };
    MilestoneView { kind: t.get(&format!("plans-milestone-{}", m.kind.code())), title, on_date: m.on_date.to_string(), detail, portal: m.show_in_portal }
}

pub struct VersionRow {
    pub version: i64,
    pub label: String,
}

pub struct CommentView {
    pub author: String,
    pub when: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "recovery_plan.html")]
pub struct PlanPage {
    pub c: Chrome,
    pub person_id: i64,
    pub name: String,
    pub notice: String,
    /// The agreed version shown (the latest, or the one asked for).
    pub agreed: Option<PlanView>,
    pub agreed_version: i64,
    pub agreed_label: String,
    pub latest_version: i64,
    /// The open draft (waiting for agreement).
    pub draft: Option<PlanView>,
    pub draft_rev: i64,
    pub draft_label: String,
    pub versions: Vec<VersionRow>,
    pub comments: Vec<CommentView>,
    pub milestones: Vec<MilestoneView>,
    pub can_write: bool,
    pub is_self: bool,
    pub errors: FormErrors,
    pub comment: String,
    pub signature: String,
    pub milestone_kinds: Vec<(String, String)>,
}

async fn plan_page(app: &AppState, ctx: &Ctx, id: i64, asked: Option<i64>, notice: String, errors: FormErrors, typed: (&str, &str)) -> PageResult {
    let facts = check_person(app, ctx, id, PersonAction::View).await?;
    let t = &app.t;
    let agreed = app.store.plan_version(ctx.org(), id, asked).await?;
    if asked.is_some() && agreed.is_none() {
        return Err(AppError::NotFound);
    }
    let draft = app.store.plan_draft(ctx.org(), id).await?;
    let object = format!("{id}/{}", agreed.as_ref().map(|v| v.version).unwrap_or(0));
    app.store.record_view(ctx.entry("recovery_plan.view", Some(id), "recovery_plan", &object, "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    let today = app.store.today(ctx.org()).await?;
    let progress = app.store.goal_progress(ctx.org(), id).await?;
    let all = app.store.plan_versions(ctx.org(), id).await?;
    let mut versions = Vec::new();
    for v in &all {
        versions.push(VersionRow { version: v.version, label: agreed_label(app, ctx, v).await? });
    }
    let mut comments = Vec::new();
    for c in app.store.plan_comments(ctx.org(), id).await? {
        comments.push(CommentView { author: c.author, when: fmt_ms(app, ctx.org(), c.created_ms).await?, body: c.body });
    }
    let milestones = app.store.milestones(ctx.org(), id, false).await?.iter().map(|m| milestone_view(t, m, today)).collect();
    let open = draft.as_ref().filter(|d| d.open);
    let draft_label = match open {
        Some(d) => t.get_with("plans-draft-by", &[("when", fmt_ms(app, ctx.org(), d.updated_ms).await?.into()), ("who", d.updated_by.clone().into())]),
        None => String::new(),
    };
    let is_self = ctx.actor.person_id.is_some_and(|p| p.0 == id);
    let page = PlanPage {
        c: Chrome::new(app, Some(ctx), "plans-title", if is_self { "portal" } else { "caseload" }),
        person_id: id,
        name: p.profile.display_name().to_string(),
        notice,
        agreed_version: agreed.as_ref().map(|v| v.version).unwrap_or(0),
        agreed_label: match &agreed {
            Some(v) => agreed_label(app, ctx, v).await?,
            None => String::new(),
        },
        agreed: agreed.as_ref().map(|v| plan_view(t, &v.plan, &progress, today)),
        latest_version: all.first().map(|v| v.version).unwrap_or(0),
        draft: open.map(|d| plan_view(t, &d.plan, &progress, today)),
        draft_rev: draft.as_ref().map(|d| d.rev).unwrap_or(0),
        draft_label,
        versions,
        comments,
        milestones,
        can_write: decide_person(&ctx.actor, PersonAction::WritePlan, &facts).is_allowed(),
        is_self,
        errors,
        comment: typed.0.to_string(),
        signature: typed.1.to_string(),
        milestone_kinds: [MilestoneKind::Celebration, MilestoneKind::Anniversary]
            .iter()
            .map(|k| (k.code().to_string(), t.get(&format!("plans-milestone-{}", k.code()))))
            .collect(),
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Html(page.render()?)).into_response())
}

async fn agreed_label(app: &AppState, ctx: &Ctx, v: &AgreedVersion) -> Result<String, AppError> {
    let when = fmt_ms(app, ctx.org(), v.agreed_ms).await?;
    Ok(match v.how {
        AgreedHow::Portal => app.t.get_with("plans-agreed-portal", &[("version", v.version.into()), ("when", when.into()), ("who", v.agreed_by.clone().into())]),
        AgreedHow::InPerson => app.t.get_with(
            "plans-agreed-in-person",
            &[("version", v.version.into()), ("when", when.into()), ("who", v.agreed_by.clone().into()), ("signature", v.signature.clone().into())],
        ),
    })
}

/// `GET /people/{id}/recovery-plan[?version=N]` — the agreed plan, the draft waiting for agreement, comments, versions, milestones.
pub async fn show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let pairs = query_pairs(&rq);
    let asked = match get(&pairs, "version") {
        "" => None,
        v => Some(v.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    let notice = match get(&pairs, "done") {
        "saved" => app.t.get("plans-saved"),
        "agreed" => app.t.get("plans-agreed-notice"),
        "comment" => app.t.get("plans-comment-saved"),
        "milestone" => app.t.get("plans-milestone-saved"),
        _ => String::new(),
    };
    plan_page(&app, &ctx, id, asked, notice, FormErrors::default(), ("", "")).await
}

// ---- the draft form ----

pub struct StepRow {
    pub what_f: &'static str,
    pub who_f: &'static str,
    pub by_f: &'static str,
    pub status_f: &'static str,
    pub what: String,
    pub who: String,
    pub by: String,
    pub status: Vec<(String, String, bool)>,
    pub n: usize,
}

pub struct GoalRow {
    pub n: usize,
    /// The first empty goal (the "add a goal" link jumps here).
    pub first_new: bool,
    pub key_f: &'static str,
    pub dim_f: &'static str,
    pub words_f: &'static str,
    pub summary_f: &'static str,
    pub status_f: &'static str,
    pub key: String,
    pub dims: Vec<(String, String, bool)>,
    pub words: String,
    pub summary: String,
    pub status: Vec<(String, String, bool)>,
    pub steps: Vec<StepRow>,
}

#[derive(Template)]
#[template(path = "recovery_plan_form.html")]
pub struct PlanForm {
    pub c: Chrome,
    pub person_id: i64,
    pub name: String,
    pub rev: i64,
    pub strengths: String,
    pub review_on: String,
    pub goals: Vec<GoalRow>,
    pub errors: FormErrors,
    pub conflict: String,
    pub dims_intro: String,
}

fn form_rows(t: &Messages, input: &PlanInput, dims: DimensionSet) -> Vec<GoalRow> {
    // The goals written so far plus two blank ones, up to the limit.
    let shown = (input.goals.iter().rposition(|g| !g.in_my_words.trim().is_empty() || !g.key.is_empty()).map(|i| i + 1).unwrap_or(0) + 2).min(MAX_GOALS);
    let first_new = input.goals.iter().position(|g| g.in_my_words.trim().is_empty() && g.key.is_empty()).unwrap_or(input.goals.len());
    (0..shown.max(2))
        .map(|gi| {
            let g = input.goals.get(gi).cloned().unwrap_or_default();
            let filled_steps = g.steps.iter().rposition(|s| !s.what.trim().is_empty()).map(|i| i + 1).unwrap_or(0);
            let steps = (0..(filled_steps + 2).min(MAX_STEPS))
                .map(|si| {
                    let s = g.steps.get(si).cloned().unwrap_or_default();
                    StepRow {
                        what_f: step_field(gi, si, "what"),
                        who_f: step_field(gi, si, "who"),
                        by_f: step_field(gi, si, "by"),
                        status_f: step_field(gi, si, "status"),
                        status: rp::StepStatus::ALL.iter().map(|k| (k.code().to_string(), t.get(&format!("plans-step-{}", k.code())), s.status == k.code())).collect(),
                        what: s.what,
                        who: s.who,
                        by: s.by_when,
                        n: si + 1,
                    }
                })
                .collect();
            GoalRow {
                n: gi + 1,
                first_new: gi == first_new,
                key_f: goal_field(gi, "key"),
                dim_f: goal_field(gi, "dimension"),
                words_f: goal_field(gi, "words"),
                summary_f: goal_field(gi, "summary"),
                status_f: goal_field(gi, "status"),
                dims: dims.dimensions().iter().map(|d| (d.to_string(), dim_label(t, d), g.dimension == *d)).collect(),
                status: rp::GoalStatus::ALL.iter().map(|k| (k.code().to_string(), t.get(&format!("plans-goal-{}", k.code())), g.status == k.code())).collect(),
                key: g.key,
                words: g.in_my_words,
                summary: g.staff_summary,
                steps,
            }
        })
        .collect()
}

async fn form_page(app: &AppState, ctx: &Ctx, id: i64, rev: i64, input: &PlanInput, dims: DimensionSet, errors: FormErrors, conflict: String) -> PageResult {
    let p = app.store.person(ctx.org(), id).await?;
    let status = if !conflict.is_empty() {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let dims_intro = app.t.get(&format!("plans-dims-intro-{}", dims.code()));
    let page = PlanForm {
        c: Chrome::new(app, Some(ctx), "plans-edit-title", if ctx.actor.person_id.is_some() { "portal" } else { "caseload" }),
        person_id: id,
        name: p.profile.display_name().to_string(),
        rev,
        strengths: input.strengths.clone(),
        review_on: input.review_on.clone(),
        goals: form_rows(&app.t, input, dims),
        errors,
        conflict,
        dims_intro,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The plan a new round starts from: the draft, else the last agreed version, else nothing.
async fn starting_point(app: &AppState, org: i64, id: i64) -> Result<(i64, Option<PlanContent>), AppError> {
    let draft = app.store.plan_draft(org, id).await?;
    let rev = draft.as_ref().map(|d| d.rev).unwrap_or(0);
    let plan = match draft {
        Some(Draft { plan, .. }) => Some(plan),
        None => app.store.plan_version(org, id, None).await?.map(|v| v.plan),
    };
    Ok((rev, plan))
}

/// `GET /people/{id}/recovery-plan/edit` — the draft form.
pub async fn edit(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let (rev, plan) = starting_point(&app, ctx.org(), id).await?;
    let dims = match &plan {
        Some(p) => p.dimensions,
        None => app.store.plan_dimensions(ctx.org()).await?,
    };
    let input = plan.as_ref().map(input_of).unwrap_or_default();
    form_page(&app, &ctx, id, rev, &input, dims, FormErrors::default(), String::new()).await
}

fn read_input(pairs: &[(String, String)]) -> PlanInput {
    PlanInput {
        strengths: get(pairs, "strengths").to_string(),
        review_on: get(pairs, "review_on").to_string(),
        goals: (0..MAX_GOALS)
            .map(|g| GoalInput {
                key: get(pairs, goal_field(g, "key")).to_string(),
                dimension: get(pairs, goal_field(g, "dimension")).to_string(),
                in_my_words: get(pairs, goal_field(g, "words")).to_string(),
                staff_summary: get(pairs, goal_field(g, "summary")).to_string(),
                status: get(pairs, goal_field(g, "status")).to_string(),
                steps: (0..MAX_STEPS)
                    .map(|s| StepInput {
                        what: get(pairs, step_field(g, s, "what")).to_string(),
                        who: get(pairs, step_field(g, s, "who")).to_string(),
                        by_when: get(pairs, step_field(g, s, "by")).to_string(),
                        status: get(pairs, step_field(g, s, "status")).to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn read_form(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))
}

/// `POST /people/{id}/recovery-plan` — saves the draft. If someone saved in
/// the meantime, the form comes back with the writer's words and a message.
pub async fn save(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let pairs = read_form(&body)?;
    let rev: i64 = get(&pairs, "rev").trim().parse().map_err(|_| AppError::BadRequest("the form is missing its revision (rev)".into()))?;
    let (_, current) = starting_point(&app, ctx.org(), id).await?;
    let dims = match &current {
        Some(p) => p.dimensions,
        None => app.store.plan_dimensions(ctx.org()).await?,
    };
    let input = read_input(&pairs);
    let today = app.store.today(ctx.org()).await?;
    let plan = match parse(&input, dims, today) {
        Ok(p) => p,
        Err(v) => return form_page(&app, &ctx, id, rev, &input, dims, FormErrors::from_validation(&app.t, &v), String::new()).await,
    };
    match app.store.save_plan_draft(ctx.org(), id, &plan, rev, &who(&ctx)).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}/recovery-plan?done=saved")).into_response()),
        Err(lantern_store::StoreError::Conflict(_)) => {
            let (latest, _) = starting_point(&app, ctx.org(), id).await?;
            form_page(&app, &ctx, id, latest, &input, dims, FormErrors::default(), app.t.get("plans-conflict")).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /people/{id}/recovery-plan/agree` — the person agrees (portal), or
/// their specialist records in-person agreement with the typed signature.
pub async fn agree(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let pairs = read_form(&body)?;
    let rev: i64 = get(&pairs, "rev").trim().parse().map_err(|_| AppError::BadRequest("the form is missing its revision (rev)".into()))?;
    let is_self = ctx.actor.person_id.is_some_and(|p| p.0 == id);
    let (how, signature) = if is_self {
        (AgreedHow::Portal, String::new())
    } else {
        match parse_signature(get(&pairs, "signature")) {
            Ok(s) => (AgreedHow::InPerson, s),
            Err(v) => return plan_page(&app, &ctx, id, None, String::new(), FormErrors::from_validation(&app.t, &v), ("", get(&pairs, "signature"))).await,
        }
    };
    match app.store.agree_plan(ctx.org(), id, rev, how, &signature, &who(&ctx)).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}/recovery-plan?done=agreed")).into_response()),
        Err(lantern_store::StoreError::Conflict(_)) => {
            let mut page = plan_page(&app, &ctx, id, None, app.t.get("plans-agree-conflict"), FormErrors::default(), ("", get(&pairs, "signature"))).await?;
            *page.status_mut() = StatusCode::CONFLICT;
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /people/{id}/recovery-plan/comments` — a comment on the draft.
pub async fn comment(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let pairs = read_form(&body)?;
    match parse_comment(get(&pairs, "comment")) {
        Ok(text) => {
            app.store.add_plan_comment(ctx.org(), id, &text, &who(&ctx)).await?;
            Ok(Redirect::to(&format!("/people/{id}/recovery-plan?done=comment#comments")).into_response())
        }
        Err(v) => plan_page(&app, &ctx, id, None, String::new(), FormErrors::from_validation(&app.t, &v), (get(&pairs, "comment"), "")).await,
    }
}

/// `POST /people/{id}/milestones` — a celebration, or the recovery anniversary the person chooses to share.
pub async fn add_milestone(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let pairs = read_form(&body)?;
    let input = MilestoneInput {
        kind: get(&pairs, "kind").to_string(),
        title: get(&pairs, "title").to_string(),
        on_date: get(&pairs, "on_date").to_string(),
        show_in_portal: get(&pairs, "show_in_portal") == "1",
    };
    let today = app.store.today(ctx.org()).await?;
    match parse_milestone(&input, today) {
        Ok(m) if m.kind != MilestoneKind::GoalReached => {
            app.store.add_milestone(ctx.org(), id, &m, &who(&ctx)).await?;
            Ok(Redirect::to(&format!("/people/{id}/recovery-plan?done=milestone#milestones")).into_response())
        }
        Ok(_) => Err(AppError::BadRequest("a goal is reached by marking it reached in the plan".into())),
        Err(v) => plan_page(&app, &ctx, id, None, String::new(), FormErrors::from_validation(&app.t, &v), ("", "")).await,
    }
}

// ---- compare ----

pub struct ChangeView {
    pub goal: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "recovery_plan_compare.html")]
pub struct ComparePage {
    pub c: Chrome,
    pub person_id: i64,
    pub name: String,
    pub a_label: String,
    pub b_label: String,
    pub changes: Vec<ChangeView>,
    pub options: Vec<(String, String)>,
    pub a: String,
    pub b: String,
}

/// A side of a comparison: an agreed version number, or `draft`.
async fn side(app: &AppState, org: i64, id: i64, s: &str) -> Result<PlanContent, AppError> {
    if s == "draft" {
        return app.store.plan_draft(org, id).await?.map(|d| d.plan).ok_or(AppError::NotFound);
    }
    let v: i64 = s.parse().map_err(|_| AppError::BadRequest(format!("`{s}` is not a version number or `draft`")))?;
    app.store.plan_version(org, id, Some(v)).await?.map(|v| v.plan).ok_or(AppError::NotFound)
}

fn change_views(t: &Messages, a: &PlanContent, b: &PlanContent, changes: &[Change]) -> Vec<ChangeView> {
    let words = |k: &str| b.goals.iter().chain(a.goals.iter()).find(|g| g.key == k).map(|g| g.in_my_words.clone()).unwrap_or_default();
    changes
        .iter()
        .map(|c| {
            let field = match c.field.split_once(' ') {
                Some((_, rest)) if c.field.starts_with("step ") => {
                    let (n, part) = rest.split_once(' ').unwrap_or((rest, ""));
                    t.get_with("plans-change-step", &[("n", n.to_string().into()), ("part", t.get(&format!("plans-change-step-{}", part.replace('_', "-"))).into())])
                }
                _ => t.get(&format!("plans-change-{}", c.field.replace('_', "-"))),
            };
            ChangeView {
                goal: if c.goal.is_empty() { t.get("plans-change-plan") } else { words(&c.goal) },
                field,
                before: c.before.clone(),
                after: c.after.clone(),
            }
        })
        .collect()
}

/// `GET /people/{id}/recovery-plan/compare?a=1&b=2` (a version number or `draft`; default: the last two).
pub async fn compare_page(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    let pairs = query_pairs(&rq);
    let versions = app.store.plan_versions(ctx.org(), id).await?;
    let draft = app.store.plan_draft(ctx.org(), id).await?.filter(|d| d.open);
    let default_b = if draft.is_some() { "draft".to_string() } else { versions.first().map(|v| v.version.to_string()).unwrap_or_default() };
    let default_a = if draft.is_some() { versions.first() } else { versions.get(1) }.map(|v| v.version.to_string()).unwrap_or_default();
    let a = match get(&pairs, "a") {
        "" => default_a,
        s => s.to_string(),
    };
    let b = match get(&pairs, "b") {
        "" => default_b,
        s => s.to_string(),
    };
    if a.is_empty() || b.is_empty() {
        return Err(AppError::NotFound);
    }
    let pa = side(&app, ctx.org(), id, &a).await?;
    let pb = side(&app, ctx.org(), id, &b).await?;
    app.store.record_view(ctx.entry("recovery_plan.compare", Some(id), "recovery_plan", &format!("{id}/{a}..{b}"), "ok", app.store.now_ms())).await;
    let label = |s: &str| if s == "draft" { app.t.get("plans-draft") } else { app.t.get_with("plans-version-n", &[("version", s.to_string().into())]) };
    let mut options: Vec<(String, String)> = versions.iter().map(|v| (v.version.to_string(), label(&v.version.to_string()))).collect();
    if draft.is_some() {
        options.insert(0, ("draft".into(), label("draft")));
    }
    let p = app.store.person(ctx.org(), id).await?;
    let changes = compare(&pa, &pb);
    let page = ComparePage {
        c: Chrome::new(&app, Some(&ctx), "plans-compare-title", if ctx.actor.person_id.is_some() { "portal" } else { "caseload" }),
        person_id: id,
        name: p.profile.display_name().to_string(),
        a_label: label(&a),
        b_label: label(&b),
        changes: change_views(&app.t, &pa, &pb, &changes),
        options,
        a,
        b,
    };
    Ok(Html(page.render()?).into_response())
}

// ---- the organization's choice of dimensions ----

#[derive(Template)]
#[template(path = "admin_recovery_plans.html")]
pub struct AdminPage {
    pub c: Chrome,
    pub options: Vec<(String, String, bool)>,
    pub notice: String,
}

/// `GET /admin/recovery-plans` — which dimensions new plans use.
pub async fn admin(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let current = app.store.plan_dimensions(ctx.org()).await?;
    let notice = if get(&query_pairs(&rq), "saved") == "1" { app.t.get("plans-settings-saved") } else { String::new() };
    let page = AdminPage {
        c: Chrome::new(&app, Some(&ctx), "plans-settings-title", "recovery-plans"),
        options: DimensionSet::ALL.iter().map(|d| (d.code().to_string(), app.t.get(&format!("plans-dims-{}", d.code())), *d == current)).collect(),
        notice,
    };
    Ok(Html(page.render()?).into_response())
}

/// `POST /admin/recovery-plans`.
pub async fn admin_save(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    let pairs = read_form(&body)?;
    let Some(d) = DimensionSet::parse(get(&pairs, "dimensions")) else {
        return Err(AppError::Invalid(lantern_domain::validate::ValidationErrors(vec![lantern_domain::validate::FieldError::new(
            "dimensions",
            "error-plan-dimension",
            "choose recovery or wellness",
        )])));
    };
    app.store.set_plan_dimensions(ctx.org(), d, &who(&ctx)).await?;
    Ok(Redirect::to("/admin/recovery-plans?saved=1").into_response())
}

// ---- API ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepJson {
    pub what: String,
    #[serde(default)]
    pub who: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub by_when: Option<String>,
    /// not_started, in_progress or done.
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GoalJson {
    /// Stable key ("g1"); leave empty for a new goal.
    #[serde(default)]
    pub key: String,
    /// One of the plan's dimensions (health, home, purpose, community; or the eight of wellness).
    pub dimension: String,
    pub in_my_words: String,
    #[serde(default)]
    pub staff_summary: String,
    /// working, reached or set_aside.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub steps: Vec<StepJson>,
}

/// A plan's content.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanJson {
    /// recovery (SAMHSA's four) or wellness (eight); set by the organization.
    #[serde(default)]
    pub dimensions: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub goals: Vec<GoalJson>,
    #[serde(default)]
    pub review_on: Option<String>,
}

/// The draft being written.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DraftJson {
    /// Send this back to save or agree.
    pub rev: i64,
    /// False once agreed (until edited again).
    pub open: bool,
    pub plan: PlanJson,
    pub updated_by: String,
    pub updated_ms: i64,
}

/// An agreed version (never changes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionJson {
    pub version: i64,
    /// portal or in_person.
    pub agreed_how: String,
    pub signature: String,
    pub agreed_by: String,
    pub agreed_ms: i64,
    pub plan: PlanJson,
}

/// A person's recovery plan: the draft and the latest agreed version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryPlanJson {
    pub draft: Option<DraftJson>,
    pub agreed: Option<VersionJson>,
}

/// A draft to save: the revision it starts from (0 for the first) and the plan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PutDraftJson {
    pub rev: i64,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub goals: Vec<GoalJson>,
    #[serde(default)]
    pub review_on: Option<String>,
}

/// Agreement to the draft at a revision; staff recording in-person agreement give the typed signature.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AgreeJson {
    pub rev: i64,
    #[serde(default)]
    pub signature: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgreedJson {
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChangeJson {
    /// The goal's key, or empty for the plan's own fields.
    pub goal: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// Older side: a version number or `draft`.
    pub a: String,
    /// Newer side: a version number or `draft`.
    pub b: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MilestoneJson {
    /// celebration, anniversary or goal_reached (reading only).
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The day; for an anniversary, the day recovery began.
    pub on_date: String,
    #[serde(default)]
    pub show_in_portal: bool,
    /// Anniversaries: the next one (YYYY-MM-DD) and the years it marks.
    #[serde(default, skip_deserializing)]
    pub next_anniversary: Option<String>,
    #[serde(default, skip_deserializing)]
    pub next_anniversary_years: Option<i64>,
}

fn plan_json(p: &PlanContent) -> PlanJson {
    let i = input_of(p);
    PlanJson {
        dimensions: p.dimensions.code().into(),
        strengths: i.strengths,
        review_on: p.review_on.map(|d| d.to_string()),
        goals: i
            .goals
            .into_iter()
            .map(|g| GoalJson {
                key: g.key,
                dimension: g.dimension,
                in_my_words: g.in_my_words,
                staff_summary: g.staff_summary,
                status: g.status,
                steps: g
                    .steps
                    .into_iter()
                    .map(|s| StepJson { what: s.what, who: s.who, by_when: Some(s.by_when).filter(|d| !d.is_empty()), status: s.status })
                    .collect(),
            })
            .collect(),
    }
}

fn version_json(v: &AgreedVersion) -> VersionJson {
    VersionJson {
        version: v.version,
        agreed_how: v.how.code().into(),
        signature: v.signature.clone(),
        agreed_by: v.agreed_by.clone(),
        agreed_ms: v.agreed_ms,
        plan: plan_json(&v.plan),
    }
}

fn api_body<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the body is not {what}: {e}")))
}

/// A person's recovery plan (draft and latest agreed version).
#[utoipa::path(get, path = "/api/v1/people/{id}/recovery-plan", tag = "plans", operation_id = "get_recovery_plan",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = RecoveryPlanJson), (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<RecoveryPlanJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    let draft = app.store.plan_draft(ctx.org(), id).await?;
    let agreed = app.store.plan_version(ctx.org(), id, None).await?;
    app.store
        .record_view(ctx.entry("recovery_plan.view", Some(id), "recovery_plan", &format!("{id}/{}", agreed.as_ref().map(|v| v.version).unwrap_or(0)), "ok", app.store.now_ms()))
        .await;
    Ok(Json(RecoveryPlanJson {
        draft: draft.map(|d| DraftJson { rev: d.rev, open: d.open, plan: plan_json(&d.plan), updated_by: d.updated_by, updated_ms: d.updated_ms }),
        agreed: agreed.as_ref().map(version_json),
    }))
}

/// Saves the draft (revision check: a stale `rev` is refused with 409).
#[utoipa::path(put, path = "/api/v1/people/{id}/recovery-plan", tag = "plans", operation_id = "put_recovery_plan_draft",
    params(("id" = i64, Path, description = "Person id")), request_body = PutDraftJson,
    responses((status = 200, body = DraftJson),
        (status = 400, description = "The body is not a plan", content_type = "application/problem+json"),
        (status = 409, description = "Someone saved or agreed since `rev`", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<DraftJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let j: PutDraftJson = api_body(&body, "a plan draft")?;
    let (_, current) = starting_point(&app, ctx.org(), id).await?;
    let dims = match &current {
        Some(p) => p.dimensions,
        None => app.store.plan_dimensions(ctx.org()).await?,
    };
    let input = PlanInput {
        strengths: j.strengths.clone(),
        review_on: j.review_on.clone().unwrap_or_default(),
        goals: j
            .goals
            .iter()
            .map(|g| GoalInput {
                key: g.key.clone(),
                dimension: g.dimension.clone(),
                in_my_words: g.in_my_words.clone(),
                staff_summary: g.staff_summary.clone(),
                status: g.status.clone(),
                steps: g
                    .steps
                    .iter()
                    .map(|s| StepInput { what: s.what.clone(), who: s.who.clone(), by_when: s.by_when.clone().unwrap_or_default(), status: s.status.clone() })
                    .collect(),
            })
            .collect(),
    };
    let today = app.store.today(ctx.org()).await?;
    let plan = parse(&input, dims, today).map_err(AppError::Invalid)?;
    app.store.save_plan_draft(ctx.org(), id, &plan, j.rev, &who(&ctx)).await?;
    let d = app.store.plan_draft(ctx.org(), id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(DraftJson { rev: d.rev, open: d.open, plan: plan_json(&d.plan), updated_by: d.updated_by, updated_ms: d.updated_ms }))
}

/// Agrees to the draft at `rev`: the person themself, or staff recording in-person agreement with a typed signature.
#[utoipa::path(post, path = "/api/v1/people/{id}/recovery-plan/agree", tag = "plans", operation_id = "agree_recovery_plan",
    params(("id" = i64, Path, description = "Person id")), request_body = AgreeJson,
    responses((status = 200, body = AgreedJson),
        (status = 409, description = "The draft changed since `rev`, or there is none open", content_type = "application/problem+json"),
        (status = 422, description = "Staff must give the typed signature", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_agree(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<AgreedJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let j: AgreeJson = api_body(&body, "an agreement")?;
    let is_self = ctx.actor.person_id.is_some_and(|p| p.0 == id);
    let (how, sig) = if is_self { (AgreedHow::Portal, String::new()) } else { (AgreedHow::InPerson, parse_signature(&j.signature).map_err(AppError::Invalid)?) };
    let version = app.store.agree_plan(ctx.org(), id, j.rev, how, &sig, &who(&ctx)).await?;
    Ok(Json(AgreedJson { version }))
}

/// Every agreed version, newest first.
#[utoipa::path(get, path = "/api/v1/people/{id}/recovery-plan/versions", tag = "plans", operation_id = "list_recovery_plan_versions",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = [VersionJson]), (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_versions(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<Vec<VersionJson>>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    let v = app.store.plan_versions(ctx.org(), id).await?;
    app.store.record_view(ctx.entry("recovery_plan.versions", Some(id), "recovery_plan", &id.to_string(), "ok", app.store.now_ms())).await;
    Ok(Json(v.iter().map(version_json).collect()))
}

/// Every difference between two versions (or a version and the draft), field by field and goal by goal.
#[utoipa::path(get, path = "/api/v1/people/{id}/recovery-plan/compare", tag = "plans", operation_id = "compare_recovery_plan_versions",
    params(("id" = i64, Path, description = "Person id"), CompareQuery),
    responses((status = 200, body = [ChangeJson]),
        (status = 400, description = "`a` or `b` is not a version number or `draft`", content_type = "application/problem+json"),
        (status = 404, description = "No such person, version or draft in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_compare(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> Result<Json<Vec<ChangeJson>>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    let pairs = query_pairs(&rq);
    let (a, b) = (get(&pairs, "a"), get(&pairs, "b"));
    if a.is_empty() || b.is_empty() {
        return Err(AppError::BadRequest("give `a` and `b`: version numbers or `draft`".into()).into());
    }
    let pa = side(&app, ctx.org(), id, a).await?;
    let pb = side(&app, ctx.org(), id, b).await?;
    app.store.record_view(ctx.entry("recovery_plan.compare", Some(id), "recovery_plan", &format!("{id}/{a}..{b}"), "ok", app.store.now_ms())).await;
    Ok(Json(compare(&pa, &pb).into_iter().map(|c| ChangeJson { goal: c.goal, field: c.field, before: c.before, after: c.after }).collect()))
}

fn milestone_json(m: &MilestoneRow, today: Date) -> MilestoneJson {
    let next = (m.kind == MilestoneKind::Anniversary).then(|| anniversary(m.on_date, today)).flatten();
    MilestoneJson {
        kind: m.kind.code().into(),
        title: m.title.clone(),
        on_date: m.on_date.to_string(),
        show_in_portal: m.show_in_portal,
        next_anniversary: next.map(|a| a.next_on.to_string()),
        next_anniversary_years: next.map(|a| a.years as i64),
    }
}

/// A person's milestones, newest first.
#[utoipa::path(get, path = "/api/v1/people/{id}/milestones", tag = "plans", operation_id = "list_milestones",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = [MilestoneJson]), (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_milestones(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<Vec<MilestoneJson>>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    let today = app.store.today(ctx.org()).await?;
    app.store.record_view(ctx.entry("milestone.list", Some(id), "milestone", &id.to_string(), "ok", app.store.now_ms())).await;
    Ok(Json(app.store.milestones(ctx.org(), id, false).await?.iter().map(|m| milestone_json(m, today)).collect()))
}

/// Records a celebration or the recovery anniversary the person shares.
#[utoipa::path(post, path = "/api/v1/people/{id}/milestones", tag = "plans", operation_id = "add_milestone",
    params(("id" = i64, Path, description = "Person id")), request_body = MilestoneJson,
    responses((status = 200, body = MilestoneJson),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_add_milestone(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<MilestoneJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let j: MilestoneJson = api_body(&body, "a milestone")?;
    let today = app.store.today(ctx.org()).await?;
    let m = parse_milestone(&MilestoneInput { kind: j.kind.clone(), title: j.title.clone(), on_date: j.on_date.clone(), show_in_portal: j.show_in_portal }, today)
        .map_err(AppError::Invalid)?;
    if m.kind == MilestoneKind::GoalReached {
        return Err(AppError::BadRequest("a goal is reached by marking it reached in the plan".into()).into());
    }
    app.store.add_milestone(ctx.org(), id, &m, &who(&ctx)).await?;
    let row = MilestoneRow { id: 0, kind: m.kind, title: m.title, on_date: m.on_date, goal_key: String::new(), show_in_portal: m.show_in_portal, created_by: ctx.user.display_name.clone() };
    Ok(Json(milestone_json(&row, today)))
}

// ---- for other pages ----

/// What the portal home shows: a draft waiting for the person, and the milestones they chose to show.
pub struct PortalPlan {
    pub waiting: bool,
    pub milestones: Vec<MilestoneView>,
}

pub async fn portal_plan(app: &AppState, org: i64, id: i64) -> Result<PortalPlan, AppError> {
    let today = app.store.today(org).await?;
    let waiting = app.store.plan_draft(org, id).await?.is_some_and(|d| d.open);
    let milestones = app.store.milestones(org, id, true).await?.iter().map(|m| milestone_view(&app.t, m, today)).collect();
    Ok(PortalPlan { waiting, milestones })
}

pub struct ReviewView {
    pub person_id: i64,
    pub person_name: String,
    pub review_on: String,
    pub label: String,
    pub overdue: bool,
}

/// Plan reviews due within two weeks (or late) for the caseload page.
pub async fn reviews_due(app: &AppState, ctx: &Ctx) -> Result<Vec<ReviewView>, AppError> {
    if !(ctx.user.roles.has(lantern_domain::Role::Specialist) || ctx.user.roles.has(lantern_domain::Role::Supervisor)) {
        return Ok(vec![]);
    }
    let today = app.store.today(ctx.org()).await?;
    let through = today.checked_add(jiff::Span::new().days(rp::REVIEW_SOON_DAYS)).unwrap_or(today);
    Ok(app
        .store
        .plan_reviews_due(ctx.org(), ctx.user.id, through)
        .await?
        .into_iter()
        .map(|r| {
            let st = review_state(Some(r.review_on), today);
            ReviewView {
                person_id: r.person_id,
                person_name: r.person_name,
                review_on: r.review_on.to_string(),
                label: match st {
                    Review::Overdue { days } => app.t.get_with("plans-review-overdue", &[("days", days.into())]),
                    Review::Soon { days } => app.t.get_with("plans-review-soon", &[("days", days.into())]),
                    Review::NotYet => String::new(),
                },
                overdue: matches!(st, Review::Overdue { .. }),
            }
        })
        .collect())
}
