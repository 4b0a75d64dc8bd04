//! Lantern's web app: server-rendered pages, the JSON API under `/api/v1`,
//! its OpenAPI document, sign-in and sessions.
//!
//! Architecture invariants:
//! - every route is declared in `routes::table()` with the roles that may use
//!   it; the router is built from that table, so a route cannot exist without
//!   a declaration, and the role × route test matrix is generated from it;
//! - handlers never touch SQL: they call `lantern_store::Store` and ask
//!   `lantern_domain::policy` before showing or changing a person's record;
//! - errors are mapped to HTTP once, in `error`.
#![forbid(unsafe_code)]

pub mod api;
mod appointments;
pub mod auth;
pub mod billing;
pub mod certifications;
pub mod crisis;
pub mod directory;
pub mod error;
pub mod growth;
pub mod hsds;
pub mod i18n;
pub mod language;
pub mod mail;
mod middleware;
pub mod multipart;
mod notes;
mod pages;
pub mod practice;
pub mod referrals;
pub mod routes;
pub mod recovery_plan;
pub mod safety_plan;
pub mod team;
pub mod wellness;
mod views;

use std::sync::Arc;

use axum::Router;
use lantern_store::Store;

pub use auth::{HashCost, Hasher, SessionLimits};

/// Settings the web app runs with.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` and use the `__Host-` prefix (TLS or an HTTPS proxy in front).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Show the demo banner on every page.
    pub demo: bool,
    pub session: SessionLimits,
    /// Sign-in attempts per IP per minute.
    pub ip_attempts_per_minute: i64,
    /// Base URL used in invite links (e.g. https://lantern.example.org).
    pub public_url: String,
    /// Outgoing mail for invitations and resets; None shows the link to the admin only.
    pub mailer: Option<mail::Mailer>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            trust_proxy: false,
            demo: false,
            session: SessionLimits::default(),
            ip_attempts_per_minute: 20,
            public_url: "http://127.0.0.1:8080".into(),
            mailer: None,
        }
    }
}

impl WebConfig {
    pub fn session_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-lantern_session"
        } else {
            "lantern_session"
        }
    }
    pub fn login_cookie(&self) -> &'static str {
        if self.secure_cookies {
            "__Host-lantern_login"
        } else {
            "lantern_login"
        }
    }
}

/// Shared state of the app: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub hasher: Hasher,
    pub t: i18n::Messages,
    pub config: Arc<WebConfig>,
    /// The language and distress checker, built once (see `lantern-language`).
    pub checker: Arc<lantern_language::Checker>,
    /// Each organization's tuned checker (see `language`).
    pub org_checkers: Arc<language::OrgCheckers>,
    /// The resource directory's search index (see `directory`).
    pub directory: Arc<directory::SearchState>,
}

impl AppState {
    pub fn new(store: Store, hasher: Hasher, config: WebConfig) -> Result<AppState, i18n::CatalogError> {
        error::init_error_catalog();
        Ok(AppState {
            store,
            hasher,
            t: Arc::new(i18n::Catalog::english()?),
            config: Arc::new(config),
            checker: Arc::new(lantern_language::Checker::builtin()),
            org_checkers: Arc::default(),
            directory: Arc::default(),
        })
    }
}

/// The whole app as one router.
pub fn app(state: AppState) -> Router {
    routes::build(state)
}
