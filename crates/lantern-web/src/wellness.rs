//! The person's own plans: the wellness and action plan, the psychiatric
//! advance directive record (with a copy of the signed document) and the
//! self-advocacy plan; and the plain-language rights pages.
//!
//! The three plans share one shape (named sections in the person's words,
//! saved as versions with a version check), so one set of handlers serves
//! them, parameterized by `PlanKind`. Written by the person's team or by the
//! person in their portal (`PersonAction::WritePlan`), read by whoever may see
//! the record (`PersonAction::View`), printable from the browser.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use lantern_domain::policy::{decide_person, PersonAction};
use lantern_domain::wellness::{check_document, parse, safe_file_name, DocumentProblem, DocumentType, Link, Plan, PlanKind, MAX_DOCUMENT_BYTES};
use lantern_store::directory::{PageReq, Viewer};
use lantern_store::users::Who;
use lantern_store::wellness::NewDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, AppError};
use crate::i18n::Messages;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id, query_pairs};
use crate::views::{Chrome, FormErrors};
use crate::AppState;

type PageResult = Result<Response, AppError>;

/// The upload paths (their body limit is `crate::multipart::UPLOAD_LIMIT`,
/// which leaves room above `MAX_DOCUMENT_BYTES` for the multipart framing, so
/// a file just over the limit gets a message at its field).
pub const UPLOAD_PATHS: [&str; 2] = ["/people/{id}/advance-directive/document", "/api/v1/people/{id}/advance-directive/document"];

/// The path segment of each plan's pages.
pub fn segment(kind: PlanKind) -> &'static str {
    match kind {
        PlanKind::Wellness => "wellness-plan",
        PlanKind::AdvanceDirective => "advance-directive",
        PlanKind::Advocacy => "advocacy-plan",
    }
}

/// The message-key prefix of each plan.
fn prefix(kind: PlanKind) -> &'static str {
    match kind {
        PlanKind::Wellness => "wellness",
        PlanKind::AdvanceDirective => "pad",
        PlanKind::Advocacy => "advocacy",
    }
}

/// The catalogue key of a section's label (`-hint` appended for its help text).
pub fn label_key(kind: PlanKind, field: &str) -> String {
    format!("{}-f-{}", prefix(kind), field.replace('_', "-"))
}

pub struct SectionView {
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub long: bool,
    pub date: bool,
}

fn section_views(t: &Messages, kind: PlanKind, plan: Option<&Plan>, values: Option<&(dyn Fn(&str) -> String + Sync)>) -> Vec<SectionView> {
    kind.fields()
        .iter()
        .map(|f| {
            let key = label_key(kind, f.name);
            SectionView {
                name: f.name,
                label: t.get(&key),
                hint: t.get(&format!("{key}-hint")),
                value: match (values, plan) {
                    (Some(get), _) => get(f.name),
                    (None, Some(p)) => p.get(f.name).to_string(),
                    (None, None) => String::new(),
                },
                long: f.long,
                date: f.name == "signed_on",
            }
        })
        .collect()
}

async fn fmt_ms(app: &AppState, org: i64, ms: i64) -> Result<String, AppError> {
    let org = app.store.org_cached(org).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default())
}

fn who(ctx: &Ctx) -> Who {
    Who { actor_id: Some(ctx.user.id), ip: ctx.ip.clone() }
}

pub struct DocumentView {
    pub file_name: String,
    pub size: String,
    pub uploaded: String,
}

fn human_size(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

#[derive(Template)]
#[template(path = "person_plan.html")]
pub struct PlanPage {
    pub c: Chrome,
    pub kind: &'static str,
    pub seg: &'static str,
    pub title: String,
    pub intro: String,
    pub person_id: i64,
    pub name: String,
    pub sections: Vec<SectionView>,
    pub links: Vec<Link>,
    pub has_shorts: bool,
    pub has_plan: bool,
    pub version: i64,
    pub latest: i64,
    pub saved: String,
    pub versions: Vec<(i64, String)>,
    pub can_write: bool,
    pub back: String,
    pub notice: String,
    pub document: Option<DocumentView>,
    pub upload_errors: FormErrors,
    pub upload_limit: String,
}

async fn plan_page(app: &AppState, ctx: &Ctx, id: i64, kind: PlanKind, asked: Option<i64>, notice: String, upload_errors: FormErrors) -> PageResult {
    let facts = check_person(app, ctx, id, PersonAction::View).await?;
    let current = app.store.person_plan(ctx.org(), id, kind, asked).await?;
    if asked.is_some() && current.is_none() {
        return Err(AppError::NotFound);
    }
    let object = format!("{id}/{}", current.as_ref().map(|v| v.version).unwrap_or(0));
    app.store.record_view(ctx.entry(&format!("{}.view", kind.code()), Some(id), kind.code(), &object, "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    let infos = app.store.person_plan_versions(ctx.org(), id, kind).await?;
    let mut versions = Vec::new();
    for v in &infos {
        versions.push((v.version, format!("{} · {}", fmt_ms(app, ctx.org(), v.saved_ms).await?, v.saved_by)));
    }
    let saved = match &current {
        Some(v) => app.t.get_with(
            "myplans-saved-by",
            &[("version", v.version.into()), ("when", fmt_ms(app, ctx.org(), v.saved_ms).await?.into()), ("who", v.saved_by.clone().into())],
        ),
        None => String::new(),
    };
    let document = if kind == PlanKind::AdvanceDirective {
        match app.store.pad_document(ctx.org(), id).await? {
            Some(d) => Some(DocumentView {
                file_name: d.file_name.clone(),
                size: human_size(d.byte_size),
                uploaded: format!("{} · {}", fmt_ms(app, ctx.org(), d.uploaded_ms).await?, d.uploaded_by),
            }),
            None => None,
        }
    } else {
        None
    };
    let is_self = ctx.actor.person_id.is_some_and(|p| p.0 == id);
    let status = if upload_errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let pre = prefix(kind);
    let page = PlanPage {
        c: Chrome::new(app, Some(ctx), &format!("{pre}-title"), if is_self { "portal" } else { "caseload" }),
        kind: pre,
        seg: segment(kind),
        title: app.t.get(&format!("{pre}-title")),
        intro: app.t.get(&format!("{pre}-intro")),
        person_id: id,
        name: p.profile.display_name().to_string(),
        has_shorts: kind.fields().iter().any(|f| !f.long && current.as_ref().is_some_and(|v| !v.plan.get(f.name).is_empty())),
        sections: section_views(&app.t, kind, current.as_ref().map(|v| &v.plan), None),
        links: current.as_ref().map(|v| v.plan.links.clone()).unwrap_or_default(),
        has_plan: current.is_some(),
        version: current.as_ref().map(|v| v.version).unwrap_or(0),
        latest: infos.first().map(|v| v.version).unwrap_or(0),
        saved,
        versions,
        can_write: decide_person(&ctx.actor, PersonAction::WritePlan, &facts).is_allowed(),
        back: if is_self { "/me".into() } else { format!("/people/{id}") },
        notice,
        document,
        upload_errors,
        upload_limit: format!("{} MB", MAX_DOCUMENT_BYTES / (1024 * 1024)),
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(app: AppState, ctx: Ctx, raw: String, rq: Option<String>, kind: PlanKind) -> PageResult {
    let id = parse_id(&raw)?;
    let pairs = query_pairs(&rq);
    let asked = match pairs.iter().find(|(k, _)| k == "version") {
        Some((_, v)) => Some(v.parse::<i64>().map_err(|_| AppError::NotFound)?),
        None => None,
    };
    let notice = match pairs.iter().find(|(k, _)| k == "saved").map(|(_, v)| v.as_str()) {
        Some("1") => app.t.get("myplans-saved"),
        Some("document") => app.t.get("pad-doc-saved"),
        _ => String::new(),
    };
    let errors = match pairs.iter().find(|(k, _)| k == "upload").map(|(_, v)| v.as_str()) {
        Some("too-large") if kind == PlanKind::AdvanceDirective => upload_errors(&app.t, DocumentProblem::TooLarge),
        _ => FormErrors::default(),
    };
    plan_page(&app, &ctx, id, kind, asked, notice, errors).await
}

/// A directory service offered on the advocacy form.
pub struct ServiceChoice {
    pub value: String,
    pub name: String,
    pub phone: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "person_plan_form.html")]
pub struct PlanForm {
    pub c: Chrome,
    pub seg: &'static str,
    pub title: String,
    pub intro: String,
    pub person_id: i64,
    pub name: String,
    pub version: String,
    pub sections: Vec<SectionView>,
    pub advocacy: bool,
    pub services: Vec<ServiceChoice>,
    pub errors: FormErrors,
    pub conflict: String,
}

/// Legal-aid and advocacy services from the directory, as the engine ranks
/// them for "legal aid" and "advocacy" (the organization's private listings
/// included). A directory that cannot be searched suggests nothing.
async fn suggestions(app: &AppState, org: i64) -> Vec<Link> {
    let mut out: Vec<Link> = Vec::new();
    for q in ["legal aid", "advocacy"] {
        let Ok((found, _)) = crate::directory::hsds_search(app, Viewer::Org(org), q, PageReq { page: 1, per_page: 4 }).await else { continue };
        for s in found {
            if out.iter().all(|l| l.service_id != s.id) {
                let phone = s.phone_numbers().first().map(|p| p.to_string()).unwrap_or_default();
                out.push(Link { service_id: s.id.clone(), name: s.name.clone(), phone });
            }
        }
    }
    out
}

/// The choices on the advocacy form: links already in the plan (`keep:N`),
/// then suggestions from the directory (`svc:ID`) not already linked.
async fn service_choices(app: &AppState, org: i64, current: &[Link], chosen: Option<&[String]>) -> Vec<ServiceChoice> {
    let mut out = Vec::new();
    for (i, l) in current.iter().enumerate() {
        let value = format!("keep:{i}");
        let checked = chosen.is_none_or(|c| c.contains(&value));
        out.push(ServiceChoice { value, name: l.name.clone(), phone: l.phone.clone(), checked });
    }
    for s in suggestions(app, org).await {
        if current.iter().any(|l| !l.service_id.is_empty() && l.service_id == s.service_id) {
            continue;
        }
        let value = format!("svc:{}", s.service_id);
        let checked = chosen.is_some_and(|c| c.contains(&value));
        out.push(ServiceChoice { value, name: s.name, phone: s.phone, checked });
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    app: &AppState,
    ctx: &Ctx,
    id: i64,
    kind: PlanKind,
    version: i64,
    values: &(dyn Fn(&str) -> String + Sync),
    services: Vec<ServiceChoice>,
    errors: FormErrors,
    conflict: String,
) -> PageResult {
    let p = app.store.person(ctx.org(), id).await?;
    let status = if !conflict.is_empty() {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let pre = prefix(kind);
    let page = PlanForm {
        c: Chrome::new(app, Some(ctx), &format!("{pre}-edit-title"), if ctx.actor.person_id.is_some() { "portal" } else { "caseload" }),
        seg: segment(kind),
        title: app.t.get(&format!("{pre}-edit-title")),
        intro: app.t.get(&format!("{pre}-edit-intro")),
        person_id: id,
        name: p.profile.display_name().to_string(),
        version: version.to_string(),
        sections: section_views(&app.t, kind, None, Some(values)),
        advocacy: kind == PlanKind::Advocacy,
        services,
        errors,
        conflict,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn edit(app: AppState, ctx: Ctx, raw: String, kind: PlanKind) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let current = app.store.person_plan(ctx.org(), id, kind, None).await?;
    let version = current.as_ref().map(|v| v.version).unwrap_or(0);
    // The form shows the current plan: a view of the record like any other.
    app.store.record_view(ctx.entry(&format!("{}.view", kind.code()), Some(id), kind.code(), &format!("{id}/{version}"), "ok", app.store.now_ms())).await;
    let plan = current.map(|v| v.plan);
    let services = if kind == PlanKind::Advocacy {
        service_choices(&app, ctx.org(), plan.as_ref().map(|p| p.links.as_slice()).unwrap_or(&[]), None).await
    } else {
        Vec::new()
    };
    let get = |k: &str| plan.as_ref().map(|p| p.get(k).to_string()).unwrap_or_default();
    form_page(&app, &ctx, id, kind, version, &get, services, FormErrors::default(), String::new()).await
}

/// Turns the chosen checkbox values into links: `keep:N` keeps the current
/// version's link N; `svc:ID` takes a snapshot of that directory service.
async fn chosen_links(app: &AppState, current: &[Link], chosen: &[String]) -> Result<Vec<Link>, lantern_domain::validate::ValidationErrors> {
    let bad = || lantern_domain::validate::ValidationErrors(vec![lantern_domain::validate::FieldError::new("services", "advocacy-error-service", "a chosen service is not in the directory")]);
    let mut out = Vec::new();
    let mut built = None;
    for c in chosen {
        if let Some(i) = c.strip_prefix("keep:") {
            let l = i.parse::<usize>().ok().and_then(|i| current.get(i)).ok_or_else(bad)?;
            out.push(l.clone());
        } else if let Some(sid) = c.strip_prefix("svc:") {
            if built.is_none() {
                built = crate::directory::current(app).await.ok();
            }
            let b = built.as_ref().ok_or_else(bad)?;
            let s = b.services.iter().find(|s| s.id == sid).ok_or_else(bad)?;
            let phone = s.phone_numbers().first().map(|p| p.to_string()).unwrap_or_default();
            out.push(Link { service_id: s.id.clone(), name: s.name.clone(), phone });
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

async fn save(app: AppState, ctx: Ctx, raw: String, body: axum::body::Bytes, kind: PlanKind) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let expected: i64 = get("version").trim().parse().map_err(|_| AppError::BadRequest("the form is missing its version".into()))?;
    let chosen: Vec<String> = pairs.iter().filter(|(k, _)| k == "service").map(|(_, v)| v.clone()).collect();
    let current_links = if kind == PlanKind::Advocacy {
        app.store.person_plan(ctx.org(), id, kind, Some(expected)).await?.map(|v| v.plan.links).unwrap_or_default()
    } else {
        Vec::new()
    };
    let org = ctx.org();
    let services = |app: AppState, chosen: Vec<String>, links: Vec<Link>| async move {
        if kind == PlanKind::Advocacy {
            service_choices(&app, org, &links, Some(&chosen)).await
        } else {
            Vec::new()
        }
    };
    let links = match chosen_links(&app, &current_links, &chosen).await {
        Ok(l) => l,
        Err(v) => {
            let s = services(app.clone(), chosen.clone(), current_links.clone()).await;
            return form_page(&app, &ctx, id, kind, expected, &get, s, FormErrors::from_validation(&app.t, &v), String::new()).await;
        }
    };
    let plan = match parse(kind, get, links) {
        Ok(p) => p,
        Err(v) => {
            let s = services(app.clone(), chosen.clone(), current_links.clone()).await;
            return form_page(&app, &ctx, id, kind, expected, &get, s, FormErrors::from_validation(&app.t, &v), String::new()).await;
        }
    };
    match app.store.save_person_plan(ctx.org(), id, &plan, expected, &who(&ctx)).await {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}/{}?saved=1", segment(kind))).into_response()),
        Err(lantern_store::StoreError::Conflict(_)) => {
            let latest = app.store.person_plan(ctx.org(), id, kind, None).await?;
            let latest_links = latest.as_ref().map(|v| v.plan.links.clone()).unwrap_or_default();
            let s = services(app.clone(), Vec::new(), latest_links).await;
            let msg = app.t.get("myplans-conflict");
            form_page(&app, &ctx, id, kind, latest.map(|v| v.version).unwrap_or(0), &get, s, FormErrors::default(), msg).await
        }
        Err(e) => Err(e.into()),
    }
}

macro_rules! plan_handlers {
    ($show:ident, $edit:ident, $save:ident, $kind:expr) => {
        pub async fn $show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
            show(app, ctx, raw, rq, $kind).await
        }
        pub async fn $edit(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
            edit(app, ctx, raw, $kind).await
        }
        pub async fn $save(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
            save(app, ctx, raw, body, $kind).await
        }
    };
}

plan_handlers!(wellness_show, wellness_edit, wellness_save, PlanKind::Wellness);
plan_handlers!(pad_show, pad_edit, pad_save, PlanKind::AdvanceDirective);
plan_handlers!(advocacy_show, advocacy_edit, advocacy_save, PlanKind::Advocacy);

// ---- the signed document ----

/// Checks and stores an uploaded document; a refusal (the inner error) names
/// the `document` field and stores nothing.
async fn store_document(app: &AppState, ctx: &Ctx, id: i64, file_name: &str, bytes: &[u8]) -> Result<Result<DocumentType, DocumentProblem>, AppError> {
    let t = match check_document(file_name, bytes, MAX_DOCUMENT_BYTES) {
        Ok(t) => t,
        Err(p) => return Ok(Err(p)),
    };
    let name = safe_file_name(file_name, t);
    app.store.save_pad_document(ctx.org(), id, &NewDocument { file_name: &name, content_type: t.content_type(), bytes }, &who(ctx)).await?;
    Ok(Ok(t))
}

fn upload_errors(t: &Messages, p: DocumentProblem) -> FormErrors {
    FormErrors::from_validation(t, &p.to_errors())
}

/// `POST /people/{id}/advance-directive/document` — a `multipart/form-data`
/// upload of the signed document (field `document`), read by
/// `crate::multipart`; the gate checks the form's `csrf` field. A refusal
/// names the field and stores nothing.
pub async fn pad_upload(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parts = crate::multipart::parse(ct, &body).map_err(|_| AppError::BadRequest(app.t.get("pad-doc-error-unreadable")))?;
    let (name, bytes) = parts.into_iter().find(|p| p.name == "document" && p.file_name.is_some()).map(|p| (p.file_name.unwrap_or_default(), p.data)).unwrap_or_default();
    match store_document(&app, &ctx, id, &name, &bytes).await? {
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}/advance-directive?saved=document")).into_response()),
        Err(p) => plan_page(&app, &ctx, id, PlanKind::AdvanceDirective, None, String::new(), upload_errors(&app.t, p)).await,
    }
}

/// Answers a body over the upload routes' hard limit with the same clear
/// message as a file just over the document limit (problem+json for the API).
pub async fn too_large_api(resp: Response) -> Response {
    if resp.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return resp;
    }
    let detail = DocumentProblem::TooLarge.detail();
    let body = serde_json::json!({"type": "about:blank", "title": "Payload Too Large", "status": 413, "detail": detail,
        "errors": [{"field": "document", "reason": detail}]});
    (StatusCode::PAYLOAD_TOO_LARGE, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

/// The same for the upload form: back to the advance directive page, which
/// shows the message at the file field (the body was never read, so nothing
/// was stored).
pub async fn too_large_page(uri: axum::http::Uri, resp: Response) -> Response {
    if resp.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return resp;
    }
    let page = uri.path().trim_end_matches("/document");
    Redirect::to(&format!("{page}?upload=too-large")).into_response()
}

async fn download(app: &AppState, ctx: &Ctx, raw: &str) -> Result<Response, AppError> {
    let id = parse_id(raw)?;
    check_person(app, ctx, id, PersonAction::View).await?;
    let entry = ctx.entry("pad.document.download", Some(id), "pad_document", "", "ok", app.store.now_ms());
    let (info, bytes) = app.store.pad_document_download(ctx.org(), id, entry).await?.ok_or(AppError::NotFound)?;
    let ct = DocumentType::from_content_type(&info.content_type).map(|t| t.content_type()).unwrap_or("application/octet-stream");
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    let disposition = format!("attachment; filename=\"{}\"", info.file_name.replace(['"', '\\', '\r', '\n'], "_"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    Ok(r)
}

/// `GET /people/{id}/advance-directive/document` — the signed copy, to those
/// who may see the record; every download is audited.
pub async fn pad_download(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    download(&app, &ctx, &raw).await
}

// ---- rights pages ----

/// The rights pages, in the order listed.
pub const RIGHTS_TOPICS: [&str; 4] = ["ada", "hipaa", "olmstead", "part2"];
/// Paragraphs and sources each rights page has in the catalogue.
const RIGHTS_PARAGRAPHS: usize = 4;
const RIGHTS_SOURCES: usize = 2;

pub struct TopicView {
    pub slug: &'static str,
    pub title: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "rights.html")]
pub struct RightsPage {
    pub c: Chrome,
    pub topics: Vec<TopicView>,
    pub current: Option<TopicView>,
    pub paragraphs: Vec<String>,
    pub sources: Vec<String>,
    pub advocacy_link: String,
}

fn topic_view(t: &Messages, slug: &'static str) -> TopicView {
    TopicView { slug, title: t.get(&format!("rights-{slug}-title")), summary: t.get(&format!("rights-{slug}-summary")) }
}

fn rights_page(app: &AppState, ctx: &Ctx, topic: Option<&'static str>) -> PageResult {
    let t = &app.t;
    let current = topic.map(|s| topic_view(t, s));
    let c = Chrome::new(app, Some(ctx), "rights-title", "rights");
    let c = match &current {
        Some(v) => c.titled(v.title.clone()),
        None => c,
    };
    let page = RightsPage {
        c,
        topics: RIGHTS_TOPICS.iter().map(|s| topic_view(t, s)).collect(),
        paragraphs: topic.map(|s| (1..=RIGHTS_PARAGRAPHS).map(|i| t.get(&format!("rights-{s}-p{i}"))).collect()).unwrap_or_default(),
        sources: topic.map(|s| (1..=RIGHTS_SOURCES).map(|i| t.get(&format!("rights-{s}-source{i}"))).collect()).unwrap_or_default(),
        current,
        advocacy_link: ctx.user.person_id.filter(|_| ctx.user.roles.has(lantern_domain::Role::Peer)).map(|p| format!("/people/{p}/advocacy-plan")).unwrap_or_default(),
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /rights` — plain-language pages on rights, for every signed-in user.
pub async fn rights_index(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    rights_page(&app, &ctx, None)
}

/// `GET /rights/{topic}` — one rights page.
pub async fn rights_topic(State(app): State<AppState>, ctx: Ctx, Path(topic): Path<String>) -> PageResult {
    let slug = RIGHTS_TOPICS.iter().find(|s| **s == topic).ok_or(AppError::NotFound)?;
    rights_page(&app, &ctx, Some(slug))
}

// ---- API ----

/// A wellness and action plan as the API reads and writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct WellnessPlanJson {
    /// The version this is (reading), or the version the change starts from (writing; 0 for the first).
    pub version: i64,
    #[serde(default)]
    pub when_well: String,
    #[serde(default)]
    pub daily_routine: String,
    #[serde(default)]
    pub triggers: String,
    #[serde(default)]
    pub triggers_plan: String,
    #[serde(default)]
    pub early_signs: String,
    #[serde(default)]
    pub early_signs_plan: String,
    #[serde(default)]
    pub breaking_down: String,
    #[serde(default)]
    pub breaking_down_plan: String,
    #[serde(default)]
    pub crisis_supporters: String,
    #[serde(default)]
    pub after_crisis: String,
}

/// A psychiatric advance directive record: the person's wishes and a note of
/// what they signed. Not itself a legally executed document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AdvanceDirectiveJson {
    pub version: i64,
    /// The state or country whose law the signed directive follows (required).
    #[serde(default)]
    pub jurisdiction: String,
    #[serde(default)]
    pub form_version: String,
    /// ISO date (YYYY-MM-DD) the person signed, if known.
    #[serde(default)]
    pub signed_on: String,
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub alternate_agent: String,
    #[serde(default)]
    pub agent_authority: String,
    #[serde(default)]
    pub excluded_people: String,
    #[serde(default)]
    pub takes_effect: String,
    #[serde(default)]
    pub health_information: String,
    #[serde(default)]
    pub medication_preferences: String,
    #[serde(default)]
    pub facility_preferences: String,
    #[serde(default)]
    pub ect_and_research: String,
    #[serde(default)]
    pub emergency_interventions: String,
    #[serde(default)]
    pub crisis_what_helps: String,
    #[serde(default)]
    pub people_to_notify: String,
    #[serde(default)]
    pub care_of_dependents: String,
    #[serde(default)]
    pub release_of_information: String,
    #[serde(default)]
    pub copies_held_by: String,
    /// The signed copy on file, if any (read only).
    #[serde(default)]
    pub document: Option<DocumentJson>,
}

/// The signed copy kept with an advance directive record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentJson {
    pub file_name: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    /// Where to download it (audited).
    pub href: String,
}

/// A directory service linked to an advocacy plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkJson {
    /// The HSDS service id (empty for a snapshot without one).
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

/// A self-advocacy plan.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct AdvocacyPlanJson {
    pub version: i64,
    /// What I want to change or protect (required).
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub ask_for: String,
    #[serde(default)]
    pub who_can_help: String,
    #[serde(default)]
    pub rights_involved: String,
    #[serde(default)]
    pub next_steps: String,
    /// Directory services that can help. Writing: only `service_id` is read,
    /// and it must be a service in the directory; the name and phone are
    /// taken from there.
    #[serde(default)]
    pub services: Vec<LinkJson>,
}

fn to_value<T: Serialize>(j: &T) -> serde_json::Value {
    serde_json::to_value(j).unwrap_or_default()
}

fn plan_json(kind: PlanKind, version: i64, plan: &Plan) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("version".into(), version.into());
    for (k, v) in &plan.sections {
        m.insert((*k).into(), v.clone().into());
    }
    if kind == PlanKind::Advocacy {
        let links: Vec<serde_json::Value> = plan.links.iter().map(|l| serde_json::json!({"service_id": l.service_id, "name": l.name, "phone": l.phone})).collect();
        m.insert("services".into(), links.into());
    }
    serde_json::Value::Object(m)
}

async fn api_get_plan(app: &AppState, ctx: &Ctx, raw: &str, kind: PlanKind) -> Result<(i64, serde_json::Value), AppError> {
    let id = parse_id(raw)?;
    check_person(app, ctx, id, PersonAction::View).await?;
    let v = app.store.person_plan(ctx.org(), id, kind, None).await?.ok_or(AppError::NotFound)?;
    app.store.record_view(ctx.entry(&format!("{}.view", kind.code()), Some(id), kind.code(), &format!("{id}/{}", v.version), "ok", app.store.now_ms())).await;
    Ok((id, plan_json(kind, v.version, &v.plan)))
}

async fn api_put_plan(app: &AppState, ctx: &Ctx, raw: &str, body: &[u8], kind: PlanKind) -> Result<(i64, serde_json::Value), AppError> {
    let id = parse_id(raw)?;
    check_person(app, ctx, id, PersonAction::WritePlan).await?;
    // Read into the typed body first, so unknown types are refused with the field named.
    let v: serde_json::Value = match kind {
        PlanKind::Wellness => serde_json::from_slice::<WellnessPlanJson>(body).map(|j| to_value(&j)),
        PlanKind::AdvanceDirective => serde_json::from_slice::<AdvanceDirectiveJson>(body).map(|j| to_value(&j)),
        PlanKind::Advocacy => serde_json::from_slice::<AdvocacyPlanJson>(body).map(|j| to_value(&j)),
    }
    .map_err(|e| AppError::BadRequest(format!("the body is not a {}: {e}", kind.code().replace('_', " "))))?;
    let expected = v["version"].as_i64().unwrap_or(0);
    let links = if kind == PlanKind::Advocacy {
        let chosen: Vec<String> = v["services"].as_array().map(|a| a.iter().map(|l| format!("svc:{}", l["service_id"].as_str().unwrap_or(""))).collect()).unwrap_or_default();
        chosen_links(app, &[], &chosen).await.map_err(AppError::Invalid)?
    } else {
        Vec::new()
    };
    let plan = parse(kind, |k| v[k].as_str().unwrap_or("").to_string(), links).map_err(AppError::Invalid)?;
    let version = app.store.save_person_plan(ctx.org(), id, &plan, expected, &who(ctx)).await?;
    Ok((id, plan_json(kind, version, &plan)))
}

fn typed<T: serde::de::DeserializeOwned + Default>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap_or_default()
}

/// The current wellness and action plan of a person.
#[utoipa::path(get, path = "/api/v1/people/{id}/wellness-plan", tag = "plans", operation_id = "get_wellness_plan",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = WellnessPlanJson), (status = 404, description = "No such person in your scope, or no plan yet", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get_wellness(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<WellnessPlanJson>, ApiError> {
    let (_, v) = api_get_plan(&app, &ctx, &raw, PlanKind::Wellness).await?;
    Ok(Json(typed(v)))
}

/// Saves a new version of a person's wellness and action plan. `version` must
/// be the current version (0 for the first); otherwise 409 and nothing is written.
#[utoipa::path(put, path = "/api/v1/people/{id}/wellness-plan", tag = "plans", operation_id = "put_wellness_plan",
    params(("id" = i64, Path, description = "Person id")),
    request_body = WellnessPlanJson,
    responses((status = 200, body = WellnessPlanJson), (status = 409, description = "Someone saved a newer version", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put_wellness(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<WellnessPlanJson>, ApiError> {
    let (_, v) = api_put_plan(&app, &ctx, &raw, &body, PlanKind::Wellness).await?;
    Ok(Json(typed(v)))
}

async fn with_document(app: &AppState, ctx: &Ctx, id: i64, mut j: AdvanceDirectiveJson) -> Result<AdvanceDirectiveJson, AppError> {
    j.document = app.store.pad_document(ctx.org(), id).await?.map(|d| DocumentJson {
        file_name: d.file_name,
        content_type: d.content_type,
        byte_size: d.byte_size,
        sha256: d.sha256,
        href: format!("/api/v1/people/{id}/advance-directive/document"),
    });
    Ok(j)
}

/// The current advance directive record of a person.
#[utoipa::path(get, path = "/api/v1/people/{id}/advance-directive", tag = "plans", operation_id = "get_advance_directive",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = AdvanceDirectiveJson), (status = 404, description = "No such person in your scope, or no record yet", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get_pad(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<AdvanceDirectiveJson>, ApiError> {
    let (id, v) = api_get_plan(&app, &ctx, &raw, PlanKind::AdvanceDirective).await?;
    Ok(Json(with_document(&app, &ctx, id, typed(v)).await?))
}

/// Saves a new version of a person's advance directive record (`jurisdiction`
/// required). `version` must be the current version (0 for the first).
#[utoipa::path(put, path = "/api/v1/people/{id}/advance-directive", tag = "plans", operation_id = "put_advance_directive",
    params(("id" = i64, Path, description = "Person id")),
    request_body = AdvanceDirectiveJson,
    responses((status = 200, body = AdvanceDirectiveJson), (status = 409, description = "Someone saved a newer version", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put_pad(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<AdvanceDirectiveJson>, ApiError> {
    let (id, v) = api_put_plan(&app, &ctx, &raw, &body, PlanKind::AdvanceDirective).await?;
    Ok(Json(with_document(&app, &ctx, id, typed(v)).await?))
}

/// Downloads the signed copy of a person's advance directive (audited).
#[utoipa::path(get, path = "/api/v1/people/{id}/advance-directive/document", tag = "plans", operation_id = "get_advance_directive_document",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, description = "The document (PDF, PNG or JPEG), as an attachment", content_type = "application/octet-stream"),
        (status = 404, description = "No such person in your scope, or no document", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get_pad_document(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Response, ApiError> {
    Ok(download(&app, &ctx, &raw).await?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name, e.g. `advance-directive.pdf` (defaults from the content type).
    #[serde(default)]
    pub file_name: Option<String>,
}

/// Stores a copy of the signed advance directive: the request body is the
/// file, with `Content-Type` application/pdf, image/png or image/jpeg; at most
/// 3 MB; the content must match the type.
#[utoipa::path(put, path = "/api/v1/people/{id}/advance-directive/document", tag = "plans", operation_id = "put_advance_directive_document",
    params(("id" = i64, Path, description = "Person id"), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The signed document: a PDF, PNG or JPEG file's bytes. Sent as application/octet-stream, its type is read from its first bytes; sent as application/pdf, image/png or image/jpeg, the bytes must be of that type."),
    responses((status = 200, body = DocumentJson), (status = 422, description = "Empty, not an allowed type, or content not matching", content_type = "application/problem+json"),
        (status = 413, description = "The request body is larger than the upload limit", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put_pad_document(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery, headers: HeaderMap, body: axum::body::Bytes) -> Result<Json<DocumentJson>, ApiError> {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::WritePlan).await?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    // A generic binary body takes its type from its first bytes; a declared type must match them.
    let t = match DocumentType::from_content_type(&ct) {
        Some(t) => t,
        None if ct == "application/octet-stream" => match DocumentType::sniff(&body) {
            Some(t) => t,
            None if body.is_empty() => return Err(ApiError(AppError::Invalid(DocumentProblem::Empty.to_errors()))),
            None => return Err(ApiError(AppError::Invalid(DocumentProblem::ContentMismatch.to_errors()))),
        },
        None => return Err(ApiError(AppError::Invalid(DocumentProblem::NameNotAllowed.to_errors()))),
    };
    let given = query_pairs(&rq).into_iter().find(|(k, _)| k == "file_name").map(|(_, v)| v);
    let name = given.unwrap_or_else(|| safe_file_name("", t));
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(ApiError(AppError::Invalid(DocumentProblem::TooLarge.to_errors())));
    }
    let got = store_document(&app, &ctx, id, &name, &body).await?.map_err(|p| AppError::Invalid(p.to_errors()))?;
    if got != t {
        // The file's name and content agree, but the declared Content-Type says otherwise.
        return Err(ApiError(AppError::Invalid(DocumentProblem::ContentMismatch.to_errors())));
    }
    let d = app.store.pad_document(ctx.org(), id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(DocumentJson { file_name: d.file_name, content_type: d.content_type, byte_size: d.byte_size, sha256: d.sha256, href: format!("/api/v1/people/{id}/advance-directive/document") }))
}

/// The current self-advocacy plan of a person.
#[utoipa::path(get, path = "/api/v1/people/{id}/advocacy-plan", tag = "plans", operation_id = "get_advocacy_plan",
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = AdvocacyPlanJson), (status = 404, description = "No such person in your scope, or no plan yet", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_get_advocacy(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<AdvocacyPlanJson>, ApiError> {
    let (_, v) = api_get_plan(&app, &ctx, &raw, PlanKind::Advocacy).await?;
    Ok(Json(typed(v)))
}

/// Saves a new version of a person's self-advocacy plan (`goal` required).
#[utoipa::path(put, path = "/api/v1/people/{id}/advocacy-plan", tag = "plans", operation_id = "put_advocacy_plan",
    params(("id" = i64, Path, description = "Person id")),
    request_body = AdvocacyPlanJson,
    responses((status = 200, body = AdvocacyPlanJson), (status = 409, description = "Someone saved a newer version", content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", content_type = "application/problem+json"),
        (status = 404, description = "No such person in your scope", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_put_advocacy(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<AdvocacyPlanJson>, ApiError> {
    let (_, v) = api_put_plan(&app, &ctx, &raw, &body, PlanKind::Advocacy).await?;
    Ok(Json(typed(v)))
}
