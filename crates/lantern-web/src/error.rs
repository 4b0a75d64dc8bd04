//! Errors mapped to HTTP once: HTML pages for the browser, RFC 9457
//! problem+json for the API. Internal details are logged with an id and
//! never shown.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use lantern_domain::validate::ValidationErrors;
use lantern_store::StoreError;

use crate::i18n::Catalog;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("csrf token missing or wrong")]
    CsrfRejected,
    #[error("sign-in required")]
    Unauthorized,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid: {0}")]
    Invalid(ValidationErrors),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("too many requests")]
    TooMany,
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(v) => AppError::Invalid(v),
            StoreError::Refused(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            AppError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn public_detail(&self) -> String {
        match self {
            AppError::NotFound => "There is nothing here, or it is not yours to see.".into(),
            AppError::Forbidden => "Your role does not allow this.".into(),
            AppError::CsrfRejected => "This request did not carry this session's CSRF token (form field `csrf` or header `X-CSRF-Token`); reload the page and try again.".into(),
            AppError::Unauthorized => "Sign in first (a session cookie or an `Authorization: Bearer` token).".into(),
            AppError::BadRequest(m) | AppError::Conflict(m) | AppError::PreconditionFailed(m) | AppError::PreconditionRequired(m) => m.clone(),
            AppError::Invalid(v) => v.summary(),
            AppError::TooMany => "Too many attempts; wait a little and try again.".into(),
            AppError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }

    fn log_if_internal(&self) -> String {
        let id = crate::auth::new_secret().chars().take(10).collect::<String>();
        if let AppError::Internal(m) = self {
            tracing::error!(error_id = %id, error = %m, "internal error");
        }
        id
    }
}

/// The API form of an error: `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let id = e.log_if_internal();
        let status = e.status();
        let mut body = serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": e.public_detail(),
        });
        if let AppError::Invalid(v) = &e {
            body["errors"] = serde_json::Value::Array(
                v.0.iter().map(|f| serde_json::json!({"field": f.field, "reason": f.detail})).collect(),
            );
        }
        if matches!(e, AppError::Internal(_)) {
            body["instance"] = serde_json::Value::String(format!("urn:lantern:error:{id}"));
        }
        let mut resp = (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();

pub(crate) fn init_error_catalog() {
    if CATALOG.get().is_none() {
        if let Ok(c) = Catalog::english() {
            let _ = CATALOG.set(c);
        }
    }
}

fn t(key: &str) -> String {
    CATALOG.get().map(|c| c.get(key)).unwrap_or_else(|| key.to_string())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page form of an error: a small, self-contained, accessible page.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::Unauthorized) {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response();
        }
        let id = self.log_if_internal();
        let status = self.status();
        let (title, text) = match &self {
            AppError::NotFound => (t("error-404-title"), t("error-404-text")),
            AppError::Forbidden => (t("error-403-title"), t("error-403-text")),
            AppError::Internal(_) => (t("error-500-title"), format!("{} ({id})", t("error-500-text"))),
            AppError::TooMany => (t("error-429-title"), t("error-429-text")),
            AppError::CsrfRejected => (t("error-400-title"), t("error-csrf")),
            other => (t("error-400-title"), other.public_detail()),
        };
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · Lantern</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>\
             <header><div class=\"top\"><a class=\"brand\" href=\"/\">Lantern</a></div></header><main id=\"main\" class=\"narrow\"><h1>{title}</h1><p>{text}</p><p><a href=\"/\">{home}</a></p></main></body></html>",
            title = esc(&title),
            text = esc(&text),
            home = esc(&t("error-go-home")),
        );
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
    }
}
