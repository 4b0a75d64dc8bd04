//! The safety plan pages: write it together, read it anywhere, print a pocket card.
//!
//! The reading page and the card are one self-contained response each (styles
//! inline, allowed by a CSP hash; no script, no images) so they open fast on a
//! cheap phone over a slow line. The crisis lines are always shown, even
//! before any plan is written.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use base64::Engine;
use lantern_domain::policy::{decide_person, PersonAction};
use lantern_domain::safety_plan::{contact_fields, parse, Contact, CrisisLine, SafetyPlan, SafetyPlanInput, MAX_CONTACTS};
use lantern_store::users::Who;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{ApiError, AppError};
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors};
use crate::AppState;

type PageResult = Result<Response, AppError>;

/// The only styles of the reading page and the card (kept small on purpose).
const CSS: &str = "body{font:1.05rem/1.5 system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:.75rem;color:#1a1a1a;background:#fff}\
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.1rem 0 .2rem;color:#0b4f6c}\
a{color:#0b4f6c}a:focus,button:focus{outline:3px solid #b35c00;outline-offset:2px}\
.lines{border:2px solid #0b4f6c;border-radius:.4rem;padding:.4rem .75rem;margin:.6rem 0}\
.lines h2{margin-top:.3rem}.lines li{margin:.35rem 0}.big{font-size:1.25rem;font-weight:700}\
.prose{white-space:pre-wrap;margin:.2rem 0}.meta{color:#4a4a4a;font-size:.9rem}ul{padding-left:1.2rem}\
.card{border:1px dashed #333;padding:.5rem;max-width:22rem;font-size:.9rem}.card h2{font-size:1rem}\
@media print{nav,.noprint{display:none}body{padding:0}.card{border:1px solid #000}}";

static CSP: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ))
    .expect("a hash is a valid header value")
});

/// One light page with its own tight CSP (kept by the security-headers layer).
fn light(body: String) -> Response {
    let mut r = Html(body).into_response();
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, CSP.clone());
    r
}

pub struct LineView {
    pub label: String,
    pub call: String,
    pub call_href: String,
    pub text: String,
    pub text_href: String,
    pub chat_url: String,
    pub note: String,
    pub checked_on: String,
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

fn line_view(l: &CrisisLine) -> LineView {
    LineView {
        label: l.label.clone(),
        call: l.call.clone(),
        call_href: format!("tel:{}", digits(&l.call)),
        text: l.text.clone(),
        text_href: format!("sms:{}", digits(&l.text)),
        chat_url: if l.chat_url.starts_with("https://") { l.chat_url.clone() } else { String::new() },
        note: l.note.clone(),
        checked_on: l.checked_on.clone(),
    }
}

pub struct ContactView {
    pub name: String,
    pub phone: String,
    pub href: String,
}

fn contacts(c: &[Contact]) -> Vec<ContactView> {
    c.iter().map(|c| ContactView { name: c.name.clone(), phone: c.phone.clone(), href: format!("tel:{}", digits(&c.phone)) }).collect()
}

#[derive(Template)]
#[template(path = "safety_plan.html")]
pub struct SafetyPlanPage {
    pub t: crate::i18n::Messages,
    pub css: &'static str,
    pub person_id: i64,
    pub name: String,
    pub lines: Vec<LineView>,
    pub plan: Option<SafetyPlan>,
    pub ask: Vec<ContactView>,
    pub pros: Vec<ContactView>,
    pub version: i64,
    pub latest: i64,
    pub saved: String,
    pub versions: Vec<(i64, String)>,
    pub can_write: bool,
    pub back: String,
    pub notice: String,
    pub card: bool,
}

async fn fmt_ms(app: &AppState, org: i64, ms: i64) -> Result<String, AppError> {
    let org = app.store.org_cached(org).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default())
}

async fn read_page(app: &AppState, ctx: &Ctx, raw: &str, rq: Option<String>, card: bool) -> PageResult {
    let id = parse_id(raw)?;
    let facts = check_person(app, ctx, id, PersonAction::View).await?;
    let pairs: Vec<(String, String)> = rq.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    let asked: Option<i64> = pairs.iter().find(|(k, _)| k == "version").and_then(|(_, v)| v.parse().ok());
    let current = app.store.safety_plan(ctx.org(), id, asked).await?;
    if asked.is_some() && current.is_none() {
        return Err(AppError::NotFound);
    }
    let what = if card { "safety_plan.card" } else { "safety_plan.view" };
    let object = format!("{id}/{}", current.as_ref().map(|v| v.version).unwrap_or(0));
    app.store.record_view(ctx.entry(what, Some(id), "safety_plan", &object, "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    let infos = app.store.safety_plan_versions(ctx.org(), id).await?;
    let mut versions = Vec::new();
    for v in &infos {
        versions.push((v.version, format!("{} · {}", fmt_ms(app, ctx.org(), v.saved_ms).await?, v.saved_by)));
    }
    let saved = match &current {
        Some(v) => app.t.get_with(
            "safety-saved-by",
            &[("version", v.version.into()), ("when", fmt_ms(app, ctx.org(), v.saved_ms).await?.into()), ("who", v.saved_by.clone().into())],
        ),
        None => String::new(),
    };
    let lines = app.store.crisis_lines(ctx.org()).await?.iter().map(line_view).collect();
    let is_self = ctx.actor.person_id.is_some_and(|p| p.0 == id);
    let notice = if pairs.iter().any(|(k, v)| k == "saved" && v == "1") { app.t.get("safety-saved") } else { String::new() };
    let page = SafetyPlanPage {
        t: app.t.clone(),
        css: CSS,
        person_id: id,
        name: p.profile.display_name().to_string(),
        lines,
        ask: current.as_ref().map(|v| contacts(&v.plan.people_to_ask)).unwrap_or_default(),
        pros: current.as_ref().map(|v| contacts(&v.plan.professionals)).unwrap_or_default(),
        version: current.as_ref().map(|v| v.version).unwrap_or(0),
        latest: infos.first().map(|v| v.version).unwrap_or(0),
        plan: current.map(|v| v.plan),
        saved,
        versions,
        can_write: decide_person(&ctx.actor, PersonAction::WritePlan, &facts).is_allowed(),
        back: if is_self { "/me".into() } else { format!("/people/{id}") },
        notice,
        card,
    };
    Ok(light(page.render()?))
}

/// `GET /people/{id}/safety-plan` — the plan, with the crisis lines always on top.
pub async fn show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    read_page(&app, &ctx, &raw, rq, false).await
}

/// `GET /people/{id}/safety-plan/card` — the printable pocket card.
pub async fn card(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    read_page(&app, &ctx, &raw, rq, true).await
}

#[derive(Template)]
#[template(path = "safety_plan_form.html")]
pub struct SafetyPlanForm {
    pub c: Chrome,
    pub person_id: i64,
    pub name: String,
    pub f: FormValues,
    pub ask: Vec<(String, String, String, String)>,
    pub pros: Vec<(String, String, String, String)>,
    pub errors: FormErrors,
    pub conflict: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FormValues {
    #[serde(default)]
    pub warning_signs: String,
    #[serde(default)]
    pub on_my_own: String,
    #[serde(default)]
    pub people_places: String,
    #[serde(default)]
    pub safer_surroundings: String,
    #[serde(default)]
    pub matters_most: String,
    #[serde(default)]
    pub version: String,
}

/// Contact rows as (name field, name, phone field, phone), always `MAX_CONTACTS` of them.
fn rows(professional: bool, given: &[(String, String)]) -> Vec<(String, String, String, String)> {
    (0..MAX_CONTACTS)
        .map(|i| {
            let (nf, pf) = contact_fields(professional, i);
            let (n, p) = given.get(i).cloned().unwrap_or_default();
            (nf.to_string(), n, pf.to_string(), p)
        })
        .collect()
}

async fn form_page(app: &AppState, ctx: &Ctx, id: i64, f: FormValues, input: &SafetyPlanInput, errors: FormErrors, conflict: String) -> PageResult {
    let p = app.store.person(ctx.org(), id).await?;
    let status = if !conflict.is_empty() {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SafetyPlanForm {
        c: Chrome::new(app, Some(ctx), "safety-edit-title", if ctx.actor.person_id.is_some() { "portal" } else { "caseload" }),
        person_id: id,
        name: p.profile.display_name().to_string(),
        f,
        ask: rows(false, &input.people_to_ask),
        pros: rows(true, &input.professionals),
        errors,
        conflict,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn input_of(plan: &SafetyPlan) -> SafetyPlanInput {
    SafetyPlanInput {
        warning_signs: plan.warning_signs.clone(),
        on_my_own: plan.on_my_own.clone(),
        people_places: plan.people_places.clone(),
        people_to_ask: plan.people_to_ask.iter().map(|c| (c.name.clone(), c.phone.clone())).collect(),
        professionals: plan.professionals.iter().map(|c| (c.name.clone(), c.phone.clone())).collect(),
        safer_surroundings: plan.safer_surroundings.clone(),
        matters_most: plan.matters_most.clone(),
    }
}

/// `GET /people/{id}/safety-plan/edit` — the form, filled with the current version.
pub async fn edit(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let current = app.store.safety_plan(ctx.org(), id, None).await?;
    let input = current.as_ref().map(|v| input_of(&v.plan)).unwrap_or_default();
    let f = FormValues {
        warning_signs: input.warning_signs.clone(),
        on_my_own: input.on_my_own.clone(),
        people_places: input.people_places.clone(),
        safer_surroundings: input.safer_surroundings.clone(),
        matters_most: input.matters_most.clone(),
        version: current.map(|v| v.version).unwrap_or(0).to_string(),
    };
    form_page(&app, &ctx, id, f, &input, FormErrors::default(), String::new()).await
}

/// `POST /people/{id}/safety-plan` — saves a new version. A version saved by
/// someone else in the meantime is not overwritten: the form comes back with
/// the writer's text and a message.
pub async fn save(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let f = FormValues {
        warning_signs: get("warning_signs"),
        on_my_own: get("on_my_own"),
        people_places: get("people_places"),
        safer_surroundings: get("safer_surroundings"),
        matters_most: get("matters_most"),
        version: get("version"),
    };
    let list = |pro: bool| -> Vec<(String, String)> {
        (0..MAX_CONTACTS)
            .map(|i| {
                let (nf, pf) = contact_fields(pro, i);
                (get(nf), get(pf))
            })
            .collect()
    };
    let input = SafetyPlanInput {
        warning_signs: f.warning_signs.clone(),
        on_my_own: f.on_my_own.clone(),
        people_places: f.people_places.clone(),
        people_to_ask: list(false),
        professionals: list(true),
        safer_surroundings: f.safer_surroundings.clone(),
        matters_most: f.matters_most.clone(),
    };
    let expected: i64 = f.version.trim().parse().map_err(|_| AppError::BadRequest("the form is missing its version".into()))?;
    let plan = match parse(&input) {
        Ok(p) => p,
        Err(v) => return form_page(&app, &ctx, id, f, &input, FormErrors::from_validation(&app.t, &v), String::new()).await,
    };
    match app.store.save_safety_plan(ctx.org(), id, &plan, expected, &Who { actor_id: Some(ctx.user.id), ip: ctx.ip.clone() }).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}/safety-plan?saved=1")).into_response()),
        Err(lantern_store::StoreError::Conflict(_)) => {
            let latest = app.store.safety_plan(ctx.org(), id, None).await?.map(|v| v.version).unwrap_or(0);
            let f = FormValues { version: latest.to_string(), ..f };
            let msg = app.t.get("safety-conflict");
            form_page(&app, &ctx, id, f, &input, FormErrors::default(), msg).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- API ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactJson {
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// A safety plan as the API reads and writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SafetyPlanJson {
    /// The version this is (reading), or the version the change starts from (writing; 0 for the first).
    pub version: i64,
    #[serde(default)]
    pub warning_signs: String,
    #[serde(default)]
    pub on_my_own: String,
    #[serde(default)]
    pub people_places: String,
    #[serde(default)]
    pub people_to_ask: Vec<ContactJson>,
    #[serde(default)]
    pub professionals: Vec<ContactJson>,
    #[serde(default)]
    pub safer_surroundings: String,
    #[serde(default)]
    pub matters_most: String,
}

fn to_json(version: i64, p: &SafetyPlan) -> SafetyPlanJson {
    let c = |v: &[Contact]| v.iter().map(|c| ContactJson { name: c.name.clone(), phone: c.phone.clone() }).collect();
    SafetyPlanJson {
        version,
        warning_signs: p.warning_signs.clone(),
        on_my_own: p.on_my_own.clone(),
        people_places: p.people_places.clone(),
        people_to_ask: c(&p.people_to_ask),
        professionals: c(&p.professionals),
        safer_surroundings: p.safer_surroundings.clone(),
        matters_most: p.matters_most.clone(),
    }
}

/// The current safety plan of a person.
#[utoipa::path(get, path = "/api/v1/people/{id}/safety-plan", tag = "plans", operation_id = "get_safety_plan",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = SafetyPlanJson), (status = 404, description = "No such person in your scope, or no plan yet", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<SafetyPlanJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    let v = app.store.safety_plan(ctx.org(), id, None).await?.ok_or(AppError::NotFound)?;
    app.store.record_view(ctx.entry("safety_plan.view", Some(id), "safety_plan", &format!("{id}/{}", v.version), "ok", app.store.now_ms())).await;
    Ok(Json(to_json(v.version, &v.plan)))
}

/// Saves a new version of a person's safety plan. `version` must be the current
/// version (0 for the first plan); otherwise 409 and nothing is written.
#[utoipa::path(put, path = "/api/v1/people/{id}/safety-plan", tag = "plans", operation_id = "put_safety_plan",
    params(("id" = i64, Path, description = "Person id")),
    request_body = SafetyPlanJson,
    responses((status = 200, body = SafetyPlanJson), (status = 409, description = "Someone saved a newer version", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<SafetyPlanJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let j: SafetyPlanJson = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("the body is not a safety plan: {e}")))?;
    let pairs = |v: &[ContactJson]| v.iter().map(|c| (c.name.clone(), c.phone.clone())).collect();
    let input = SafetyPlanInput {
        warning_signs: j.warning_signs.clone(),
        on_my_own: j.on_my_own.clone(),
        people_places: j.people_places.clone(),
        people_to_ask: pairs(&j.people_to_ask),
        professionals: pairs(&j.professionals),
        safer_surroundings: j.safer_surroundings.clone(),
        matters_most: j.matters_most.clone(),
    };
    let plan = parse(&input).map_err(AppError::Invalid)?;
    let v = app.store.save_safety_plan(ctx.org(), id, &plan, j.version, &Who { actor_id: Some(ctx.user.id), ip: ctx.ip.clone() }).await?;
    Ok(Json(to_json(v, &plan)))
}
