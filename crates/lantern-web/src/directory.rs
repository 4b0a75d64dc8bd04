//! The community resource directory in the app: the search index the web
//! process keeps in memory, the directory pages (search, a service, confirm a
//! listing, stale listings), and `GET /api/v1/resources/search`.
//!
//! The index (`lantern-search`) is built from the store's search records and
//! rebuilt when the directory's fingerprint changes (an import by the CLI
//! while the server runs, a confirmation, a private listing). A check costs
//! one small query and runs at most every few seconds; the request that
//! notices a change rebuilds, and requests meanwhile keep the previous index. Changes made by this
//! process drop the index at once, so the next search sees them.

use std::sync::{Arc, RwLock};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use lantern_hsds::{Directory, Service};
use lantern_search::{CostFilter, Filter, Hit, Index, Near, Query, Sort, Via, Why};
use lantern_store::directory::{PageReq, SearchRecord, Viewer};
use lantern_store::users::Who;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, AppError};
use crate::hsds::viewer;
use crate::middleware::Ctx;
use crate::views::Chrome;
use crate::AppState;

type PageResult = Result<Response, AppError>;

/// How often (ms) a search checks whether the directory changed.
const CHECK_EVERY_MS: i64 = 3_000;

/// One built index with the services it was built from (same order).
pub struct Built {
    pub index: Index,
    pub services: Vec<Service>,
    pub last_verified: Vec<Option<String>>,
    pub generation: String,
    pub stale_after_days: i64,
    pub time_zone: String,
}

/// The web process's search index.
#[derive(Default)]
pub struct SearchState {
    built: RwLock<Option<Arc<Built>>>,
    checked_ms: AtomicI64,
    rebuilding: AtomicBool,
    /// Serializes synchronous builds (the first search after start or after a change).
    build_lock: tokio::sync::Mutex<()>,
}

impl SearchState {
    /// Drops the index: the next search rebuilds it from the store.
    pub fn invalidate(&self) {
        *self.built.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
    fn get(&self) -> Option<Arc<Built>> {
        self.built.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Turns the store's search records into the engine's documents.
pub fn docs_of(records: &[SearchRecord], time_zone: &str) -> Vec<lantern_search::ServiceDoc> {
    records
        .iter()
        .map(|r| {
            let dir = Directory { services: vec![r.service.clone()], ..Default::default() };
            let mut doc = lantern_search::from_hsds(&dir, time_zone, r.owner_org_id).into_iter().next().unwrap_or_default();
            doc.organization_name = r.organization_name.clone();
            if doc.taxonomy.is_empty() {
                doc.taxonomy = r
                    .terms
                    .iter()
                    .map(|t| lantern_search::TaxonomyTerm { code: t.code.clone().unwrap_or_else(|| t.id.clone()), name: t.name.clone() })
                    .collect();
            }
            if let Some(d) = r.last_verified.as_deref().and_then(|d| d.get(..10)?.parse().ok()) {
                doc.last_verified = Some(d);
            }
            doc
        })
        .collect()
}

async fn build(app: &AppState) -> Result<Arc<Built>, AppError> {
    let generation = app.store.directory_generation().await?;
    let settings = app.store.directory_settings().await?;
    let records = app.store.directory_search_records().await?;
    let tz = settings.time_zone.clone();
    let built = tokio::task::spawn_blocking(move || -> Result<Built, String> {
        let docs = docs_of(&records, &tz);
        let index = Index::build(docs).map_err(|e| e.to_string())?;
        let last_verified = records.iter().map(|r| r.last_verified.clone()).collect();
        let services = records.into_iter().map(|r| r.service).collect();
        Ok(Built { index, services, last_verified, generation, stale_after_days: settings.stale_after_days, time_zone: tz })
    })
    .await
    .map_err(|e| AppError::Internal(format!("index build: {e}")))?
    .map_err(|e| AppError::Internal(format!("index build: {e}")))?;
    Ok(Arc::new(built))
}

/// The current index, built or refreshed as needed.
pub async fn current(app: &AppState) -> Result<Arc<Built>, AppError> {
    let s = &app.directory;
    let now = app.store.now_ms();
    if let Some(b) = s.get() {
        if now - s.checked_ms.load(Ordering::Relaxed) < CHECK_EVERY_MS {
            return Ok(b);
        }
        s.checked_ms.store(now, Ordering::Relaxed);
        let generation = app.store.directory_generation().await?;
        // The request that notices the change rebuilds (0.2–0.5 s for a city's
        // directory); requests meanwhile keep the previous index.
        if generation != b.generation && !s.rebuilding.swap(true, Ordering::AcqRel) {
            let result = build(app).await;
            s.rebuilding.store(false, Ordering::Release);
            match result {
                Ok(nb) => {
                    *s.built.write().unwrap_or_else(|e| e.into_inner()) = Some(nb.clone());
                    return Ok(nb);
                }
                // Keep answering from the previous index; the next check tries again.
                Err(e) => tracing::warn!("directory index rebuild failed: {e}"),
            }
        }
        return Ok(b);
    }
    let _guard = s.build_lock.lock().await;
    if let Some(b) = s.get() {
        return Ok(b);
    }
    let b = build(app).await?;
    *s.built.write().unwrap_or_else(|e| e.into_inner()) = Some(b.clone());
    s.checked_ms.store(now, Ordering::Relaxed);
    Ok(b)
}

fn org_of(v: Viewer) -> Option<i64> {
    match v {
        Viewer::Org(o) => Some(o),
        Viewer::Public => None,
    }
}

fn now_ts(app: &AppState) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn search_error(e: lantern_search::SearchError) -> AppError {
    AppError::BadRequest(e.to_string())
}

/// `/hsds/services?search=`: the engine's ranking, as HSDS services. HSDS
/// defines `search` as plain full-text search, so words are not turned into
/// filters here ("free" stays a word); the directory page and
/// `/api/v1/resources/search` understand "open now", languages, "free" and "near".
pub async fn hsds_search(app: &AppState, v: Viewer, text: &str, page: PageReq) -> Result<(Vec<Service>, usize), AppError> {
    let b = current(app).await?;
    let mut q = Query::new(text.trim(), now_ts(app));
    q.viewer_org = org_of(v);
    q.stale_after_days = b.stale_after_days;
    let per = page.per_page.clamp(1, 1000) as usize;
    q.offset = (page.page.max(1) as usize - 1).saturating_mul(per);
    q.limit = per;
    let r = b.index.search(&q).map_err(search_error)?;
    Ok((r.hits.iter().map(|h| b.services[h.doc].clone()).collect(), r.total))
}

// ---------------------------------------------------------------- the search form

/// What the directory page and the search API read from the query string.
#[derive(Debug, Clone, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to look for; may include "open now", a language, "free", "near 33125".
    #[serde(default)]
    pub q: String,
    /// Only services open at this moment (in the listing's time zone).
    #[serde(default)]
    pub open_now: Option<String>,
    /// A language the service offers, e.g. Spanish.
    #[serde(default)]
    pub language: Option<String>,
    /// `free` or `low` (free or sliding scale).
    #[serde(default)]
    pub cost: Option<String>,
    /// Only listings that describe wheelchair or other accessibility.
    #[serde(default)]
    pub accessible: Option<String>,
    /// A ZIP code, or `lat,lon`.
    #[serde(default)]
    pub near: Option<String>,
    /// Only services within this many miles of `near`.
    #[serde(default)]
    pub within_miles: Option<String>,
    /// `relevance` (default) or `distance`.
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
    /// A person to refer (the directory page offers "Refer" buttons for them).
    #[serde(default, rename = "for")]
    pub for_person: Option<String>,
}

fn on(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| matches!(s, "1" | "on" | "true" | "yes"))
}

/// Builds the engine query from the form, naming the field of any problem.
fn query_of(p: &SearchParams, now: jiff::Timestamp, per_page: usize) -> Result<(Query, Vec<lantern_search::Recognized>), AppError> {
    let parsed = lantern_search::parse(p.q.trim(), now);
    let mut q = parsed.query;
    let recognized = parsed.recognized;
    if on(&p.open_now) {
        q.open_now = true;
    }
    if let Some(l) = p.language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        if l.chars().count() > 40 {
            return Err(AppError::BadRequest("`language` is too long".into()));
        }
        q.languages.push(l.to_lowercase());
    }
    match p.cost.as_deref().map(str::trim) {
        None | Some("") | Some("any") => {}
        Some("free") => q.cost = Some(CostFilter::Free),
        Some("low") => q.cost = Some(CostFilter::LowCost),
        Some(other) => return Err(AppError::BadRequest(format!("`cost` must be free or low, not {other:?}"))),
    }
    if on(&p.accessible) {
        q.accessibility.push("wheelchair".into());
    }
    if let Some(n) = p.near.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        if let Some((a, b)) = n.split_once(',') {
            let (lat, lon) = (a.trim().parse::<f64>(), b.trim().parse::<f64>());
            match (lat, lon) {
                (Ok(lat), Ok(lon)) if lantern_search::geo::valid_point(lat, lon) => q.near = Some(Near::Point { lat, lon }),
                _ => return Err(AppError::BadRequest(format!("`near` must be a ZIP code or latitude,longitude, not {n:?}"))),
            }
        } else if let Some(z) = lantern_search::geo::zip5(n) {
            q.near = Some(Near::Zip(z));
        } else {
            return Err(AppError::BadRequest(format!("`near` must be a five-digit ZIP code or latitude,longitude, not {n:?}")));
        }
    }
    if let Some(m) = p.within_miles.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        match m.parse::<f64>() {
            Ok(v) if v > 0.0 && v <= 500.0 => q.max_distance_km = Some(v * 1.609_344),
            _ => return Err(AppError::BadRequest(format!("`within_miles` must be a number of miles from 0 to 500, not {m:?}"))),
        }
    }
    match p.sort.as_deref().map(str::trim) {
        None | Some("") | Some("relevance") => {}
        Some("distance") => q.sort = Sort::Distance,
        Some(other) => return Err(AppError::BadRequest(format!("`sort` must be relevance or distance, not {other:?}"))),
    }
    if q.max_distance_km.is_some() && q.near.is_none() {
        return Err(AppError::BadRequest("`within_miles` needs `near` (a ZIP code or latitude,longitude)".into()));
    }
    if q.sort == Sort::Distance && q.near.is_none() {
        q.sort = Sort::Relevance;
    }
    let page: usize = match p.page.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 1,
        Some(s) => s.parse().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| AppError::BadRequest(format!("`page` must be a page number, not {s:?}")))?,
    };
    q.offset = (page - 1) * per_page;
    q.limit = per_page;
    Ok((q, recognized))
}

/// One result as the page and the API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResultOut {
    pub id: String,
    pub name: String,
    pub organization: String,
    pub description: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// Today's hours in the listing's own words, e.g. "09:00–17:00".
    pub hours_today: Option<String>,
    /// `true` open, `false` closed, absent when the listing gives no hours.
    pub open_now: Option<bool>,
    pub eligibility: Option<String>,
    pub fees: Option<String>,
    pub languages: Vec<String>,
    pub distance_miles: Option<f64>,
    pub last_verified: Option<String>,
    /// Not confirmed within the directory's freshness window.
    pub stale: bool,
    /// Why this result is here, in plain words.
    pub why: Vec<String>,
}

fn first_phone(s: &Service) -> Option<String> {
    s.phone_numbers().first().map(|n| n.to_string())
}

fn first_address(s: &Service) -> Option<String> {
    let mut all: Vec<&lantern_hsds::Address> = s.addresses().collect();
    all.sort_by_key(|a| a.address_type != "physical");
    all.first().map(|a| a.one_line()).filter(|l| !l.is_empty())
}

fn hours_today(b: &Built, h: &Hit, now: jiff::Timestamp) -> Option<String> {
    let doc = b.index.doc(h.doc);
    if doc.schedule.is_empty() {
        return None;
    }
    let tz = jiff::tz::TimeZone::get(&doc.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = now.to_zoned(tz).date().weekday();
    let parts: Vec<String> = doc
        .schedule
        .iter()
        .filter(|i| i.weekday == today)
        .map(|i| format!("{}–{}", i.opens.strftime("%H:%M"), i.closes.strftime("%H:%M")))
        .collect();
    Some(parts.join(", "))
}

fn field_name(t: &crate::i18n::Catalog, f: &lantern_search::Field) -> String {
    let key = match f {
        lantern_search::Field::Name => "dir-field-name",
        lantern_search::Field::AlternateName => "dir-field-alternate",
        lantern_search::Field::Taxonomy => "dir-field-taxonomy",
        lantern_search::Field::Description => "dir-field-description",
        lantern_search::Field::Organization => "dir-field-organization",
    };
    t.get(key)
}

/// A reason in the catalogue's words.
fn why_text(t: &crate::i18n::Catalog, w: &Why) -> String {
    match w {
        Why::Matched { words, matched, fields, via } => {
            let fields = fields.iter().map(|f| field_name(t, f)).collect::<Vec<_>>().join(", ");
            match via {
                Via::Exact => t.get_with("dir-why-exact", &[("words", words.clone().into()), ("fields", fields.into())]),
                Via::Synonym { of } => t.get_with("dir-why-synonym", &[("matched", matched.clone().into()), ("of", of.clone().into()), ("fields", fields.into())]),
                Via::Typo { typed, .. } => t.get_with("dir-why-typo", &[("matched", matched.clone().into()), ("typed", typed.clone().into()), ("fields", fields.into())]),
                Via::Prefix { typed } => t.get_with("dir-why-prefix", &[("matched", matched.clone().into()), ("typed", typed.clone().into()), ("fields", fields.into())]),
            }
        }
        Why::OpenNow { until: Some(u) } => t.get_with("dir-why-open-until", &[("until", u.clone().into())]),
        Why::OpenNow { until: None } => t.get("dir-why-open-all-day"),
        Why::Distance { miles, .. } => t.get_with("dir-why-distance", &[("miles", format!("{miles:.1}").into())]),
        Why::Language { language } => t.get_with("dir-why-language", &[("language", language.clone().into())]),
        Why::Cost { cost } => t.get(match cost {
            lantern_search::Cost::Free => "dir-why-free",
            lantern_search::Cost::SlidingScale => "dir-why-sliding",
            _ => "dir-why-fee",
        }),
        Why::Accessible { tag } => t.get_with("dir-why-accessible", &[("tag", tag.clone().into())]),
        Why::Taxonomy { name, .. } => t.get_with("dir-why-category", &[("name", name.clone().into())]),
    }
}

fn result_out(app: &AppState, b: &Built, h: &Hit, now: jiff::Timestamp) -> ResultOut {
    let s = &b.services[h.doc];
    let doc = b.index.doc(h.doc);
    ResultOut {
        id: s.id.clone(),
        name: s.name.clone(),
        organization: doc.organization_name.clone(),
        description: s.description.clone().unwrap_or_default(),
        phone: first_phone(s),
        address: first_address(s),
        hours_today: hours_today(b, h, now),
        open_now: h.open_now,
        eligibility: s.eligibility_description.clone().filter(|e| !e.trim().is_empty()),
        fees: s.fees_description.clone().or_else(|| s.fees.clone()).filter(|e| !e.trim().is_empty()),
        languages: doc.languages.clone(),
        distance_miles: h.distance_km.map(|k| (lantern_search::geo::km_to_miles(k) * 10.0).round() / 10.0),
        last_verified: b.last_verified[h.doc].clone(),
        stale: h.stale,
        why: h.why.iter().map(|w| why_text(&app.t, w)).collect(),
    }
}

/// A search's answer for the API.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchOut {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    /// Words of the query that became filters (e.g. "open now", "spanish").
    pub understood: Vec<String>,
    /// Words that matched nothing in the directory.
    pub unmatched_words: Vec<String>,
    pub results: Vec<ResultOut>,
}

fn understood(t: &crate::i18n::Catalog, r: &[lantern_search::Recognized]) -> Vec<String> {
    r.iter()
        .map(|x| {
            let what = match &x.became {
                Filter::OpenNow => t.get("dir-f-open-now"),
                Filter::Language { language } => t.get_with("dir-f-language", &[("language", language.clone().into())]),
                Filter::Cost { cost: CostFilter::Free } => t.get("dir-f-free"),
                Filter::Cost { .. } => t.get("dir-f-low-cost"),
                Filter::Accessibility { tag } => t.get_with("dir-f-accessible", &[("tag", tag.clone().into())]),
                Filter::NearZip { zip } => t.get_with("dir-f-near", &[("zip", zip.clone().into())]),
                Filter::NearMe => t.get("dir-f-near-me"),
                Filter::MaxDistance { km } => t.get_with("dir-f-within", &[("miles", format!("{:.0}", lantern_search::geo::km_to_miles(*km)).into())]),
                Filter::NearestFirst => t.get("dir-f-nearest"),
                Filter::Taxonomy { term } => t.get_with("dir-f-category", &[("term", term.clone().into())]),
            };
            format!("“{}” → {}", x.words, what)
        })
        .collect()
}

const PER_PAGE: usize = 20;

async fn run(app: &AppState, ctx: &Ctx, p: &SearchParams) -> Result<(SearchOut, Arc<Built>), AppError> {
    let b = current(app).await?;
    let now = now_ts(app);
    let (mut q, recognized) = query_of(p, now, PER_PAGE)?;
    q.viewer_org = org_of(viewer(Some(ctx)));
    q.stale_after_days = b.stale_after_days;
    let r = b.index.search(&q).map_err(|e| match e {
        lantern_search::SearchError::UnknownZip(z) => AppError::BadRequest(app.t.get_with("dir-unknown-zip", &[("zip", z.into())])),
        other => search_error(other),
    })?;
    let out = SearchOut {
        total: r.total,
        page: q.offset / PER_PAGE + 1,
        per_page: PER_PAGE,
        understood: understood(&app.t, &recognized),
        unmatched_words: r.unmatched_words.clone(),
        results: r.hits.iter().map(|h| result_out(app, &b, h, now)).collect(),
    };
    Ok((out, b))
}

/// Search the community resource directory (and your organization's private listings).
#[utoipa::path(get, path = "/api/v1/resources/search", tag = "directory", operation_id = "search_resources", params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 400, description = "A parameter is not valid", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_search(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> Result<Json<SearchOut>, ApiError> {
    let p: SearchParams = serde_urlencoded::from_str(rq.as_deref().unwrap_or("")).map_err(|e| AppError::BadRequest(format!("the query string could not be read: {e}")))?;
    let (out, _) = run(&app, &ctx, &p).await?;
    Ok(Json(out))
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "directory.html")]
pub struct DirectoryPage {
    pub c: Chrome,
    pub p: SearchParams,
    pub searched: bool,
    pub error: String,
    pub out: Option<SearchOut>,
    pub for_person: Option<(i64, String)>,
    pub prev: String,
    pub next: String,
    pub count: usize,
    pub results_label: String,
    pub refer_label: String,
    /// Links to the directory's upkeep pages for those who may use them.
    pub upkeep: Vec<(&'static str, String)>,
}

async fn person_for(app: &AppState, ctx: &Ctx, raw: Option<&str>) -> Result<Option<(i64, String)>, AppError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let id = crate::pages::parse_id(raw)?;
    crate::pages::check_person(app, ctx, id, lantern_domain::policy::PersonAction::View).await?;
    let p = app.store.person(ctx.org(), id).await?;
    Ok(Some((id, p.profile.display_name().to_string())))
}

fn page_link(p: &SearchParams, page: usize) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("q", p.q.clone())];
    for (k, v) in [("open_now", &p.open_now), ("language", &p.language), ("cost", &p.cost), ("accessible", &p.accessible), ("near", &p.near), ("within_miles", &p.within_miles), ("sort", &p.sort), ("for", &p.for_person)] {
        if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
            pairs.push((k, v.clone()));
        }
    }
    pairs.push(("page", page.to_string()));
    format!("/directory?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

/// `GET /directory` — search the directory.
pub async fn page(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let p: SearchParams = serde_urlencoded::from_str(rq.as_deref().unwrap_or("")).unwrap_or_default();
    let for_person = person_for(&app, &ctx, p.for_person.as_deref()).await?;
    let searched = !p.q.trim().is_empty() || on(&p.open_now) || p.near.as_deref().is_some_and(|n| !n.trim().is_empty());
    let (mut out, mut error) = (None, String::new());
    if searched {
        match run(&app, &ctx, &p).await {
            Ok((o, _)) => out = Some(o),
            Err(AppError::BadRequest(m)) => error = m,
            Err(e) => return Err(e),
        }
    }
    let (prev, next, count) = match &out {
        Some(o) => (
            if o.page > 1 { page_link(&p, o.page - 1) } else { String::new() },
            if o.page * o.per_page < o.total { page_link(&p, o.page + 1) } else { String::new() },
            o.results.len(),
        ),
        None => (String::new(), String::new(), 0),
    };
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let results_label = out.as_ref().map(|o| app.t.get_with("dir-results", &[("total", (o.total as i64).into())])).unwrap_or_default();
    let refer_label = for_person.as_ref().map(|(_, n)| app.t.get_with("dir-refer-person", &[("name", n.clone().into())])).unwrap_or_default();
    let mut upkeep = Vec::new();
    if ctx.user.roles.has(lantern_domain::Role::Supervisor) || ctx.user.roles.has(lantern_domain::Role::Admin) {
        upkeep.push(("/admin/directory/stale", app.t.get("dir-stale-title")));
    }
    if ctx.user.roles.has(lantern_domain::Role::Admin) {
        upkeep.push(("/admin/directory/listings", app.t.get("dir-listing-title")));
    }
    let page = DirectoryPage { c: Chrome::new(&app, Some(&ctx), "dir-title", "directory"), p, searched, error, out, for_person, prev, next, count, results_label, refer_label, upkeep };
    Ok((status, Html(page.render()?)).into_response())
}

pub struct ScheduleRow {
    pub day: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "directory_service.html")]
pub struct ServicePage {
    pub c: Chrome,
    pub s: Service,
    pub organization: String,
    pub phones: Vec<(String, String)>,
    pub addresses: Vec<String>,
    pub hours: Vec<ScheduleRow>,
    pub languages: Vec<String>,
    pub last_verified: String,
    pub stale: bool,
    pub private: bool,
    pub verifications: Vec<(String, String, String, String)>,
    pub people: Vec<(i64, String)>,
    pub notice: String,
    pub today: String,
    pub kinds: Vec<(&'static str, String)>,
}

fn weekday_key(w: jiff::civil::Weekday) -> &'static str {
    use jiff::civil::Weekday::*;
    match w {
        Monday => "day-mon",
        Tuesday => "day-tue",
        Wednesday => "day-wed",
        Thursday => "day-thu",
        Friday => "day-fri",
        Saturday => "day-sat",
        Sunday => "day-sun",
    }
}

/// `GET /directory/services/{id}` — one listing, its freshness and who confirmed it.
pub async fn service(State(app): State<AppState>, ctx: Ctx, Path(id): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let v = viewer(Some(&ctx));
    let s = app.store.directory_service(v, &id).await?;
    let b = current(&app).await?;
    let pos = b.services.iter().position(|x| x.id == s.id);
    let doc = pos.map(|i| b.index.doc(i).clone());
    let settings = app.store.directory_settings().await?;
    let last_verified = app.store.service_last_verified(v, &id).await?;
    let today = app.store.directory_today().await?;
    let stale = match last_verified.as_deref().and_then(|d| d.get(..10)?.parse::<jiff::civil::Date>().ok()) {
        Some(d) => d.until(today).map(|sp| i64::from(sp.get_days()) > settings.stale_after_days).unwrap_or(false),
        None => true,
    };
    let phones: Vec<(String, String)> = s
        .phone_numbers()
        .into_iter()
        .map(|n| (n.to_string(), format!("tel:{}", n.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>())))
        .collect();
    let addresses = s.addresses().map(|a| a.one_line()).filter(|l| !l.is_empty()).collect();
    let mut hours = Vec::new();
    if let Some(d) = &doc {
        use jiff::civil::Weekday::*;
        for w in [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday] {
            let parts: Vec<String> = d.schedule.iter().filter(|i| i.weekday == w).map(|i| format!("{}–{}", i.opens.strftime("%H:%M"), i.closes.strftime("%H:%M"))).collect();
            let text = if d.schedule.is_empty() { continue } else if parts.is_empty() { app.t.get("dir-closed") } else { parts.join(", ") };
            hours.push(ScheduleRow { day: app.t.get(weekday_key(w)), hours: text });
        }
    }
    let verifications = app
        .store
        .service_verifications(v, &id)
        .await?
        .into_iter()
        .map(|x| (x.verified_on, x.user_name.unwrap_or_default(), x.confirmed, x.note))
        .collect();
    let people = if ctx.user.roles.has(lantern_domain::Role::Specialist) || ctx.user.roles.has(lantern_domain::Role::Supervisor) {
        let f = lantern_store::people::CaseloadFilter { limit: 200, ..Default::default() };
        app.store
            .caseload(ctx.org(), lantern_store::people::Scope::Mine(ctx.user.id), &f)
            .await?
            .0
            .into_iter()
            .map(|r| (r.id, if r.preferred_name.is_empty() { r.legal_name } else { r.preferred_name }))
            .collect()
    } else {
        vec![]
    };
    let notice = if rq.as_deref().is_some_and(|q| q.contains("verified=1")) { app.t.get("dir-verified-thanks") } else { String::new() };
    let page = ServicePage {
        c: Chrome::new(&app, Some(&ctx), "dir-service-title", "directory").titled(s.name.clone()),
        organization: doc.as_ref().map(|d| d.organization_name.clone()).unwrap_or_default(),
        languages: doc.as_ref().map(|d| d.languages.clone()).unwrap_or_default(),
        private: doc.as_ref().is_some_and(|d| d.owner_org.is_some()),
        phones,
        addresses,
        hours,
        last_verified: last_verified.unwrap_or_default(),
        stale,
        verifications,
        people,
        notice,
        today: today.to_string(),
        kinds: VERIFY_KINDS.iter().map(|k| (*k, app.t.get(&format!("dir-v-{k}")))).collect(),
        s,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /directory/services/{id}/refer?person=N` — on to the referral form for that person.
pub async fn refer(State(app): State<AppState>, ctx: Ctx, Path(id): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    app.store.directory_service(viewer(Some(&ctx)), &id).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(rq.as_deref().unwrap_or("")).unwrap_or_default();
    let person = pairs.iter().find(|(k, _)| k == "person").map(|(_, v)| v.clone()).unwrap_or_default();
    let pid = crate::pages::parse_id(&person)?;
    crate::pages::check_person(&app, &ctx, pid, lantern_domain::policy::PersonAction::View).await?;
    let q = serde_urlencoded::to_string([("service", id.as_str())]).unwrap_or_default();
    Ok(Redirect::to(&format!("/people/{pid}/referrals/new?{q}")).into_response())
}

/// What a person checking a listing can confirm.
const VERIFY_KINDS: [&str; 5] = ["phone", "hours", "address", "eligibility", "open"];

/// `POST /directory/services/{id}/verify` — "I checked this listing": who, when, what.
pub async fn verify(State(app): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: axum::body::Bytes) -> PageResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let confirmed: Vec<String> = pairs.iter().filter(|(k, _)| k == "confirmed").map(|(_, v)| v.clone()).collect();
    let note = pairs.iter().find(|(k, _)| k == "note").map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    if confirmed.is_empty() || confirmed.iter().any(|c| !VERIFY_KINDS.contains(&c.as_str())) {
        return Err(AppError::BadRequest(app.t.get("dir-verify-choose")));
    }
    if note.chars().count() > 2000 {
        return Err(AppError::BadRequest("the note is longer than 2,000 characters".into()));
    }
    app.store.verify_service(ctx.org(), &id, &confirmed.join(","), &note, &Who { actor_id: Some(ctx.user.id), ip: ctx.ip.clone() }).await?;
    app.directory.invalidate();
    Ok(Redirect::to(&format!("/directory/services/{id}?verified=1")).into_response())
}

#[derive(Template)]
#[template(path = "directory_stale.html")]
pub struct StalePage {
    pub c: Chrome,
    pub rows: Vec<lantern_store::directory::StaleService>,
    pub intro: String,
    pub caption: String,
}

/// `GET /admin/directory/stale` — listings nobody has confirmed within the window.
pub async fn stale(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    let settings = app.store.directory_settings().await?;
    let mut rows = app.store.stale_services(viewer(Some(&ctx)), settings.stale_after_days).await?;
    let total = rows.len();
    rows.truncate(500);
    let intro = app.t.get_with("dir-stale-intro", &[("days", settings.stale_after_days.into()), ("total", (total as i64).into())]);
    let caption = app.t.get_with("dir-stale-caption", &[("shown", (rows.len() as i64).into()), ("total", (total as i64).into())]);
    let page = StalePage { c: Chrome::new(&app, Some(&ctx), "dir-stale-title", "directory"), rows, intro, caption };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------- private listings

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListingForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address_1: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub opens: String,
    #[serde(default)]
    pub closes: String,
    #[serde(default)]
    pub languages: String,
    #[serde(default)]
    pub eligibility: String,
    #[serde(default)]
    pub fees: String,
}

#[derive(Template)]
#[template(path = "directory_listing_form.html")]
pub struct ListingPage {
    pub c: Chrome,
    pub f: ListingForm,
    pub errors: crate::views::FormErrors,
    pub mine: Vec<(String, String)>,
}

async fn listing_page(app: &AppState, ctx: &Ctx, f: ListingForm, errors: crate::views::FormErrors) -> PageResult {
    let b = current(app).await?;
    let mine = (0..b.index.len())
        .filter(|&i| b.index.doc(i).owner_org == Some(ctx.org()))
        .map(|i| (b.services[i].id.clone(), b.services[i].name.clone()))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ListingPage { c: Chrome::new(app, Some(ctx), "dir-listing-title", "directory"), f, errors, mine };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /admin/directory/listings` — this organization's private listings, and a form to add one.
pub async fn listings(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    let f = ListingForm { days: "MO,TU,WE,TH,FR".into(), opens: "09:00".into(), closes: "17:00".into(), state: "FL".into(), ..Default::default() };
    listing_page(&app, &ctx, f, crate::views::FormErrors::default()).await
}

/// Turns the form into an HSDS service owned by the caller's organization, naming every problem.
fn listing_service(f: &ListingForm, key: &str) -> Result<Service, lantern_domain::validate::ValidationErrors> {
    use lantern_domain::validate::{text, FieldError, ValidationErrors};
    let mut e = ValidationErrors::default();
    let name = text(&mut e, "name", &f.name, true, 200);
    let organization = text(&mut e, "organization", &f.organization, true, 200);
    let description = text(&mut e, "description", &f.description, false, 4000);
    let phone = text(&mut e, "phone", &f.phone, false, 40);
    if !phone.is_empty() && !lantern_domain::safety_plan::valid_phone(&phone) {
        e.push(FieldError::new("phone", "error-plan-phone", "must be a phone number, like 305-555-0134"));
    }
    let address_1 = text(&mut e, "address_1", &f.address_1, false, 200);
    let city = text(&mut e, "city", &f.city, false, 100);
    let state = text(&mut e, "state", &f.state, false, 40);
    let postal = text(&mut e, "postal_code", &f.postal_code, false, 10);
    if !postal.is_empty() && lantern_search::geo::zip5(&postal).is_none() {
        e.push(FieldError::new("postal_code", "error-zip", "must be a five-digit ZIP code"));
    }
    let languages = text(&mut e, "languages", &f.languages, false, 300);
    let eligibility = text(&mut e, "eligibility", &f.eligibility, false, 2000);
    let fees = text(&mut e, "fees", &f.fees, false, 500);
    const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    let days: Vec<String> = f.days.split(',').map(|d| d.trim().to_uppercase()).filter(|d| !d.is_empty()).collect();
    if days.iter().any(|d| !DAYS.contains(&d.as_str())) {
        e.push(FieldError::new("days", "error-days", "days are two-letter codes like MO,TU,WE"));
    }
    let time = |field: &'static str, v: &str, e: &mut ValidationErrors| -> Option<jiff::civil::Time> {
        if v.trim().is_empty() {
            return None;
        }
        match v.trim().parse::<jiff::civil::Time>() {
            Ok(t) => Some(t),
            Err(_) => {
                e.push(FieldError::new(field, "error-time-format", "must be a time like 14:30"));
                None
            }
        }
    };
    let opens = time("opens", &f.opens, &mut e);
    let closes = time("closes", &f.closes, &mut e);
    if let (Some(o), Some(c)) = (opens, closes) {
        if c <= o {
            e.push(FieldError::new("closes", "error-closes-before", "must be after the opening time"));
        }
    }
    if (opens.is_some() || closes.is_some()) && days.is_empty() {
        e.push(FieldError::new("days", "error-days", "say on which days these hours apply"));
    }
    if !e.is_empty() {
        return Err(e);
    }
    let id = |table: &str| lantern_hsds::map_id(table, &format!("private-{key}"));
    let sid = id("services");
    let org_id = id("organizations");
    let lid = id("locations");
    let schedules = match (opens, closes) {
        (Some(o), Some(c)) => vec![lantern_hsds::Schedule {
            id: id("schedules"),
            service_id: Some(sid.clone()),
            freq: Some("WEEKLY".into()),
            byday: Some(days.join(",")),
            opens_at: Some(o.strftime("%H:%M").to_string()),
            closes_at: Some(c.strftime("%H:%M").to_string()),
            ..Default::default()
        }],
        _ => vec![],
    };
    let has_place = !address_1.is_empty() || !postal.is_empty();
    Ok(Service {
        id: sid.clone(),
        organization_id: Some(org_id.clone()),
        name,
        description: (!description.is_empty()).then_some(description),
        status: "active".into(),
        eligibility_description: (!eligibility.is_empty()).then_some(eligibility),
        fees_description: (!fees.is_empty()).then_some(fees),
        phones: if phone.is_empty() { vec![] } else { vec![lantern_hsds::Phone { id: id("phones"), service_id: Some(sid.clone()), number: phone, ..Default::default() }] },
        schedules,
        languages: languages
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, l)| lantern_hsds::Language { id: id(&format!("languages{i}")), service_id: Some(sid.clone()), name: Some(l.to_string()), ..Default::default() })
            .collect(),
        organization: Some(Box::new(lantern_hsds::Organization { id: org_id.clone(), name: organization.clone(), description: organization, ..Default::default() })),
        service_at_locations: if has_place {
            vec![lantern_hsds::ServiceAtLocation {
                id: id("service_at_locations"),
                service_id: Some(sid.clone()),
                location_id: Some(lid.clone()),
                location: Some(Box::new(lantern_hsds::Location {
                    id: lid.clone(),
                    location_type: "physical".into(),
                    organization_id: Some(org_id),
                    addresses: vec![lantern_hsds::Address {
                        id: id("addresses"),
                        location_id: Some(lid),
                        address_1,
                        city,
                        state_province: state,
                        postal_code: postal,
                        country: "US".into(),
                        address_type: "physical".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                })),
                ..Default::default()
            }]
        } else {
            vec![]
        },
        ..Default::default()
    })
}

/// `POST /admin/directory/listings` — adds a private listing only this organization's staff see.
pub async fn add_listing(State(app): State<AppState>, ctx: Ctx, axum::Form(f): axum::Form<ListingForm>) -> PageResult {
    let key = format!("{}-{}", ctx.org(), hex::encode(rand::random::<[u8; 12]>()));
    let service = match listing_service(&f, &key) {
        Ok(s) => s,
        Err(v) => return listing_page(&app, &ctx, f, crate::views::FormErrors::from_validation(&app.t, &v)).await,
    };
    let id = app.store.directory_save_private(ctx.org(), &service, &Who { actor_id: Some(ctx.user.id), ip: ctx.ip.clone() }).await?;
    app.directory.invalidate();
    Ok(Redirect::to(&format!("/directory/services/{id}")).into_response())
}
