//! The Open Referral HSDS 3.1 read API under `/hsds/`, following the
//! specification's `openapi.json`: `/`, `/services`, `/services/{id}`,
//! `/organizations`, `/service_at_locations`, `/taxonomies`,
//! `/taxonomy_terms` (each with `/{id}`), paged with the `Page` envelope.
//!
//! Who may read: any signed-in user (session or bearer token), or anyone when
//! the deployment's directory is public (`lantern directory settings --public on`).
//! Staff also see their own organization's private listings; everyone else
//! sees the community directory only. `search=` goes through the same engine
//! as the directory page (`crate::directory`).

use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use lantern_store::directory::{PageReq, Paged, ServiceFilter, TermFilter, Viewer};
use serde::Serialize;
use serde_json::{json, Value};

use crate::directory;
use crate::error::{ApiError, AppError};
use crate::middleware::{Ctx, MaybeCtx};
use crate::AppState;

type ApiResult = Result<Response, ApiError>;

/// Staff see their organization's private listings too; peers and the public do not.
pub fn viewer(ctx: Option<&Ctx>) -> Viewer {
    match ctx {
        Some(c) if c.user.roles.is_staff() => Viewer::Org(c.user.org_id),
        _ => Viewer::Public,
    }
}

fn ok_json(v: &impl Serialize) -> ApiResult {
    let body = serde_json::to_vec(v).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The query string as pairs, with the HSDS parameters checked.
struct Params(Vec<(String, String)>);

impl Params {
    fn read(rq: Option<String>) -> Result<Params, AppError> {
        let pairs: Vec<(String, String)> = match rq.as_deref() {
            None | Some("") => vec![],
            Some(q) => serde_urlencoded::from_str(q).map_err(|_| AppError::BadRequest("the query string could not be read".into()))?,
        };
        Ok(Params(pairs))
    }
    fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }
    fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect()
    }
    fn flag(&self, k: &str) -> Result<bool, AppError> {
        match self.get(k) {
            None => Ok(false),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(v) => Err(AppError::BadRequest(format!("`{k}` must be true or false, not {v:?}"))),
        }
    }
    fn int(&self, k: &str, default: i64, min: i64, max: i64) -> Result<i64, AppError> {
        match self.get(k) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(AppError::BadRequest(format!("`{k}` must be a whole number from {min} to {max}, not {v:?}"))),
            },
        }
    }
    fn page(&self) -> Result<PageReq, AppError> {
        if self.get("format").is_some_and(|f| f != "json") {
            return Err(AppError::BadRequest("only `format=json` is served".into()));
        }
        Ok(PageReq { page: self.int("page", 1, 1, 1_000_000)?, per_page: self.int("per_page", 50, 1, 1000)? })
    }
}

/// The HSDS `Page` envelope around `contents`.
fn page_of<T: Serialize>(p: &Paged<T>, contents: Vec<Value>) -> Value {
    let total_pages = p.total_pages();
    json!({
        "total_items": p.total_items,
        "total_pages": total_pages,
        "page_number": p.page,
        "size": contents.len(),
        "first_page": p.page <= 1,
        "last_page": p.page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

fn to_value<T: Serialize>(t: &T) -> Result<Value, AppError> {
    serde_json::to_value(t).map_err(|e| AppError::Internal(e.to_string()))
}

/// A service as the list endpoints show it (`compiled/service_list.json`):
/// its own fields plus its organization and program, without the nested lists.
fn service_list_item(s: &lantern_hsds::Service) -> Result<Value, AppError> {
    let mut v = to_value(s)?;
    if let Value::Object(m) = &mut v {
        m.retain(|_, val| !val.is_array());
        if let Some(Value::Object(o)) = m.get_mut("organization") {
            o.retain(|_, val| !val.is_array());
        }
    }
    Ok(v)
}

/// `GET /hsds/` — what this API is.
pub async fn root(State(app): State<AppState>) -> ApiResult {
    let base = app.config.public_url.trim_end_matches('/').to_string();
    let openapi = if base.is_empty() { "https://raw.githubusercontent.com/openreferral/specification/3.1/schema/openapi.json".to_string() } else { format!("{base}/api/v1/openapi.json") };
    ok_json(&json!({
        "version": "3.1",
        "profile": "https://docs.openreferral.org/en/latest/hsds/",
        "openapi_url": openapi,
    }))
}

/// `GET /hsds/services` — paged; `search=` ranks with the resource search engine.
pub async fn services(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, RawQuery(rq): RawQuery) -> ApiResult {
    let p = Params::read(rq)?;
    let page = p.page()?;
    let viewer = viewer(ctx.as_ref());
    let full = p.flag("full")?;
    let minimal = p.flag("minimal")?;
    let item = |s: &lantern_hsds::Service| -> Result<Value, AppError> {
        if minimal {
            Ok(json!({"id": s.id, "name": s.name, "status": s.status, "last_modified": s.last_modified}))
        } else if full {
            to_value(s)
        } else {
            service_list_item(s)
        }
    };
    if let Some(text) = p.get("search") {
        let (found, total) = directory::hsds_search(&app, viewer, text, page).await?;
        let contents = found.iter().map(item).collect::<Result<Vec<_>, _>>()?;
        let paged = Paged { items: Vec::<()>::new(), total_items: total as i64, page: page.page, per_page: page.per_page };
        return ok_json(&page_of(&paged, contents));
    }
    let modified_after_ms = match p.get("modified_after") {
        None => None,
        Some(v) => Some(parse_instant(v).ok_or_else(|| AppError::BadRequest(format!("`modified_after` must be a date-time like 2024-05-01T00:00:00Z, not {v:?}")))?),
    };
    let f = ServiceFilter {
        taxonomy_term_ids: p.all("taxonomy_term_id"),
        taxonomy_id: p.get("taxonomy_id").map(str::to_string),
        organization_id: p.get("organization_id").map(str::to_string),
        modified_after_ms,
        postcode: p.get("postcode").map(str::to_string),
    };
    let paged = app.store.directory_services(viewer, &f, page).await?;
    let contents = paged.items.iter().map(item).collect::<Result<Vec<_>, _>>()?;
    ok_json(&page_of(&paged, contents))
}

/// An RFC 3339 instant or a plain date (midnight UTC), as UTC milliseconds.
fn parse_instant(v: &str) -> Option<i64> {
    if let Ok(t) = v.trim().parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    let d: jiff::civil::Date = v.trim().parse().ok()?;
    d.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp().as_millisecond())
}

/// `GET /hsds/services/{id}` — the fully nested service.
pub async fn service(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, Path(id): Path<String>) -> ApiResult {
    let s = app.store.directory_service(viewer(ctx.as_ref()), &id).await?;
    ok_json(&s)
}

pub async fn organizations(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, RawQuery(rq): RawQuery) -> ApiResult {
    let p = Params::read(rq)?;
    let paged = app.store.directory_organizations(viewer(ctx.as_ref()), p.page()?).await?;
    let contents = paged
        .items
        .iter()
        .map(|o| {
            let mut v = to_value(o)?;
            if let Value::Object(m) = &mut v {
                m.retain(|_, val| !val.is_array());
            }
            Ok(v)
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    ok_json(&page_of(&paged, contents))
}

pub async fn organization(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, Path(id): Path<String>) -> ApiResult {
    ok_json(&app.store.directory_organization(viewer(ctx.as_ref()), &id).await?)
}

pub async fn service_at_locations(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, RawQuery(rq): RawQuery) -> ApiResult {
    let p = Params::read(rq)?;
    let f = ServiceFilter {
        taxonomy_term_ids: p.all("taxonomy_term_id"),
        taxonomy_id: p.get("taxonomy_id").map(str::to_string),
        organization_id: p.get("organization_id").map(str::to_string),
        modified_after_ms: None,
        postcode: p.get("postcode").map(str::to_string),
    };
    let paged = app.store.directory_service_at_locations(viewer(ctx.as_ref()), &f, p.page()?).await?;
    let contents = paged.items.iter().map(to_value).collect::<Result<Vec<_>, _>>()?;
    ok_json(&page_of(&paged, contents))
}

pub async fn service_at_location(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, Path(id): Path<String>) -> ApiResult {
    ok_json(&app.store.directory_service_at_location(viewer(ctx.as_ref()), &id).await?)
}

pub async fn taxonomies(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, RawQuery(rq): RawQuery) -> ApiResult {
    let p = Params::read(rq)?;
    let paged = app.store.directory_taxonomies(viewer(ctx.as_ref()), p.page()?).await?;
    let contents = paged.items.iter().map(to_value).collect::<Result<Vec<_>, _>>()?;
    ok_json(&page_of(&paged, contents))
}

pub async fn taxonomy(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, Path(id): Path<String>) -> ApiResult {
    ok_json(&app.store.directory_taxonomy(viewer(ctx.as_ref()), &id).await?)
}

pub async fn taxonomy_terms(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, RawQuery(rq): RawQuery) -> ApiResult {
    let p = Params::read(rq)?;
    let f = TermFilter {
        taxonomy_id: p.get("taxonomy_id").map(str::to_string),
        parent_id: p.get("parent_id").map(str::to_string),
        top_only: p.flag("top_only")?,
    };
    let paged = app.store.directory_taxonomy_terms(viewer(ctx.as_ref()), &f, p.page()?).await?;
    let contents = paged.items.iter().map(to_value).collect::<Result<Vec<_>, _>>()?;
    ok_json(&page_of(&paged, contents))
}

pub async fn taxonomy_term(State(app): State<AppState>, MaybeCtx(ctx): MaybeCtx, Path(id): Path<String>) -> ApiResult {
    ok_json(&app.store.directory_taxonomy_term(viewer(ctx.as_ref()), &id).await?)
}
