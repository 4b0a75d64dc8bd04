//! The gate every declared route passes through, and the security headers.
//!
//! The gate resolves who is calling (session cookie or bearer token), applies
//! the session limits, checks the route's declared roles, enforces CSRF on
//! state-changing requests made with a session, and hands the handler a
//! `Ctx`. Handlers cannot run without one.

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{header, request::Parts, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lantern_domain::policy::{route_allows, Actor};
use lantern_domain::{OrgId, PersonId, UserId};
use lantern_store::audit::NewEntry;
use lantern_store::users::{User, Who};

use crate::auth::{same, secret_hash};
use crate::error::{ApiError, AppError};
use crate::routes::{Allow, RouteSpec};
use crate::AppState;

/// Who is calling, established by the gate.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: User,
    pub actor: Actor,
    pub csrf: String,
    pub session_hash: Option<String>,
    pub ip: String,
}

impl Ctx {
    pub fn who(&self) -> Who {
        Who { actor_id: Some(self.user.id), ip: self.ip.clone() }
    }
    pub fn org(&self) -> i64 {
        self.user.org_id
    }
    /// An audit row about this caller.
    pub fn entry(&self, action: &str, person_id: Option<i64>, object_type: &str, object_id: &str, outcome: &str, ts_ms: i64) -> NewEntry {
        NewEntry {
            org_id: self.user.org_id,
            ts_ms,
            actor_id: Some(self.user.id),
            action: action.into(),
            person_id,
            object_type: object_type.into(),
            object_id: object_id.into(),
            outcome: outcome.into(),
            ip: self.ip.clone(),
            reason: String::new(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Ctx>().cloned().ok_or(AppError::Unauthorized)
    }
}

/// For public routes that adapt to a signed-in caller (e.g. /login).
#[derive(Debug, Clone)]
pub struct MaybeCtx(pub Option<Ctx>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCtx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeCtx(parts.extensions.get::<Ctx>().cloned()))
    }
}

pub fn client_ip(req_headers: &axum::http::HeaderMap, ext: &axum::http::Extensions, trust_proxy: bool) -> String {
    if trust_proxy {
        // One trusted proxy appends the address it saw last; anything before it came from the client.
        if let Some(xff) = req_headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            if let Some(last) = xff.split(',').map(str::trim).rfind(|s| !s.is_empty()) {
                return last.to_string();
            }
        }
    }
    ext.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "local".into())
}

pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

enum Identity {
    None { expired: bool },
    Found(Ctx),
}

async fn identify(app: &AppState, headers: &axum::http::HeaderMap, ip: &str) -> Result<Identity, AppError> {
    let store = &app.store;
    if let Some(auth) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let Some(token) = auth.strip_prefix("Bearer ") else { return Ok(Identity::None { expired: false }) };
        let Some(user) = store.user_by_token(&secret_hash(token.trim())).await? else { return Ok(Identity::None { expired: false }) };
        return Ok(Identity::Found(ctx_for(user, String::new(), None, ip)));
    }
    let Some(raw) = cookie(headers, app.config.session_cookie()) else { return Ok(Identity::None { expired: false }) };
    let hash = secret_hash(raw);
    let Some(s) = store.session(&hash).await? else { return Ok(Identity::None { expired: true }) };
    let now = store.now_ms();
    let limits = app.config.session;
    if !s.user.active || now - s.last_seen_ms > limits.idle_ms || now - s.created_ms > limits.absolute_ms {
        store.end_session(&hash, Some(&s.user), "session expired", ip).await?;
        return Ok(Identity::None { expired: true });
    }
    if now - s.last_seen_ms > limits.touch_every_ms {
        store.touch_session(&hash).await?;
    }
    Ok(Identity::Found(ctx_for(s.user, s.csrf, Some(hash), ip)))
}

fn ctx_for(user: User, csrf: String, session_hash: Option<String>, ip: &str) -> Ctx {
    let actor = Actor {
        user_id: UserId(user.id),
        org_id: OrgId(user.org_id),
        roles: user.roles,
        person_id: user.person_id.map(PersonId),
    };
    Ctx { user, actor, csrf, session_hash, ip: ip.to_string() }
}

fn deny(spec: &RouteSpec, err: AppError) -> Response {
    if spec.api {
        ApiError(err).into_response()
    } else {
        err.into_response()
    }
}

const FORM_LIMIT: usize = 256 * 1024;

/// The gate. See the module docs.
pub async fn gate(State((app, spec)): State<(AppState, RouteSpec)>, req: Request, next: Next) -> Response {
    let ip = client_ip(req.headers(), req.extensions(), app.config.trust_proxy);
    let mut req = req;
    let headers = req.headers().clone();
    let identity = match identify(&app, &headers, &ip).await {
        Ok(i) => i,
        Err(e) => return deny(&spec, e),
    };
    match (&spec.allow, identity) {
        (Allow::Public, Identity::Found(ctx)) => {
            req.extensions_mut().insert(ctx);
        }
        (Allow::Public, Identity::None { .. }) => {}
        (Allow::Directory, Identity::Found(ctx)) => {
            req.extensions_mut().insert(ctx);
        }
        (Allow::Directory, Identity::None { .. }) => match app.store.directory_settings().await {
            Ok(s) if s.public_read => {}
            Ok(_) => return ApiError(AppError::Unauthorized).into_response(),
            Err(e) => return deny(&spec, e.into()),
        },
        (_, Identity::None { expired }) => {
            if spec.api {
                return ApiError(AppError::Unauthorized).into_response();
            }
            // Come back here after signing in — but only to pages, never to a form's target.
            let next_path = if req.method() == Method::GET { req.uri().path().to_string() } else { String::new() };
            let mut loc = String::from("/login?");
            if expired {
                loc.push_str("expired=1&");
            }
            if !next_path.is_empty() {
                loc.push_str(&format!("next={}", urlencode(&next_path)));
            }
            return (StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response();
        }
        (allow, Identity::Found(ctx)) => {
            let roles: &[lantern_domain::Role] = match allow {
                Allow::Signed => &[],
                Allow::Roles(r) => r,
                Allow::Public | Allow::Directory => &[],
            };
            if !route_allows(roles, ctx.user.roles) {
                let e = ctx.entry("route.denied", None, "route", spec.path, "denied", app.store.now_ms());
                app.store.record_view(NewEntry { reason: format!("{} {}", spec.method, req.uri().path()), ..e }).await;
                return deny(&spec, AppError::Forbidden);
            }
            req.extensions_mut().insert(ctx);
        }
    }
    // CSRF: only for state changes made with a browser session.
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let session_ctx = req.extensions().get::<Ctx>().filter(|c| c.session_hash.is_some()).cloned();
    if unsafe_method {
        if req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
            return deny(&spec, AppError::BadRequest("cross-site requests are refused".into()));
        }
        let login_form = matches!(spec.allow, Allow::Public | Allow::Directory);
        if let Some(ctx) = session_ctx.as_ref().filter(|_| !login_form) {
            let header_token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
            let ok = if let Some(t) = header_token {
                same(&t, &ctx.csrf)
            } else {
                // Upload forms (multipart) carry the token as a text field too.
                let multipart = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).filter(|ct| ct.starts_with("multipart/form-data")).map(str::to_string);
                let limit = if multipart.is_some() && crate::multipart::is_upload_route(spec.path) { crate::multipart::UPLOAD_LIMIT } else { FORM_LIMIT };
                let (parts, body) = req.into_parts();
                let bytes = match to_bytes(body, limit).await {
                    Ok(b) => b,
                    Err(_) => return deny(&spec, AppError::BadRequest("the form is too large".into())),
                };
                let token = match &multipart {
                    Some(ct) => crate::multipart::text_field(ct, &bytes, "csrf"),
                    None => form_field(&bytes, "csrf"),
                };
                req = Request::from_parts(parts, Body::from(bytes));
                token.is_some_and(|t| same(&t, &ctx.csrf))
            };
            if !ok {
                let e = ctx.entry("csrf.rejected", None, "route", spec.path, "denied", app.store.now_ms());
                app.store.record_view(e).await;
                return csrf_rejected(&spec);
            }
        }
    }
    next.run(req).await
}

fn csrf_rejected(spec: &RouteSpec) -> Response {
    if spec.api {
        return ApiError(AppError::CsrfRejected).into_response();
    }
    AppError::CsrfRejected.into_response()
}

/// Reads one field from an urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// Security headers on every response.
pub async fn security_headers(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    // A handler may set a tighter policy of its own (the light safety-plan pages do).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
        );
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if app.config.secure_cookies {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
