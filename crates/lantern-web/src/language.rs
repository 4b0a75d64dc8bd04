//! The language assistant in the app: each organization's tuned checker, and
//! the admin page and API that tune it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lantern_domain::policy::{decide, OrgAction};
use lantern_language::{Checker, Overrides, Rule, RuleSet};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Problem;
use crate::error::{ApiError, AppError};
use crate::middleware::Ctx;
use crate::views::{Chrome, FormErrors};
use crate::AppState;

/// How long a server trusts its cached checker before asking the database
/// whether the organization's rules changed (several servers may share one).
const RECHECK_MS: i64 = 30_000;

struct Entry {
    version: i64,
    checked_at_ms: i64,
    checker: Arc<Checker>,
}

/// Per-organization checkers, rebuilt when an organization's overrides change.
#[derive(Default)]
pub struct OrgCheckers {
    map: RwLock<HashMap<i64, Entry>>,
}

impl OrgCheckers {
    /// Forgets an organization's checker so the next check rebuilds it (after its rules change here).
    pub fn invalidate(&self, org_id: i64) {
        if let Ok(mut map) = self.map.write() {
            map.remove(&org_id);
        }
    }
}

impl AppState {
    /// The checker with this organization's tuning applied.
    pub async fn checker_for(&self, org_id: i64) -> Arc<Checker> {
        let now = self.store.now_ms();
        if let Ok(map) = self.org_checkers.map.read() {
            if let Some(e) = map.get(&org_id) {
                if now - e.checked_at_ms < RECHECK_MS && now >= e.checked_at_ms {
                    return e.checker.clone();
                }
            }
        }
        let version = self.store.language_settings_version(org_id).await.unwrap_or(0);
        if let Ok(mut map) = self.org_checkers.map.write() {
            if let Some(e) = map.get_mut(&org_id) {
                if e.version == version {
                    e.checked_at_ms = now;
                    return e.checker.clone();
                }
            }
        }
        let checker = if version == 0 {
            self.checker.clone()
        } else {
            match self.store.language_settings(org_id).await {
                Ok(s) => {
                    let overrides: Overrides = serde_json::from_str(&s.overrides_json).unwrap_or_default();
                    let built = tokio::task::spawn_blocking(move || Checker::with_overrides(&RuleSet::builtin(), &overrides)).await;
                    match built {
                        Ok(Ok(c)) => Arc::new(c),
                        _ => {
                            tracing::error!(org_id, "stored language overrides no longer build; using the built-in rules");
                            self.checker.clone()
                        }
                    }
                }
                Err(_) => self.checker.clone(),
            }
        };
        if let Ok(mut map) = self.org_checkers.map.write() {
            map.insert(org_id, Entry { version, checked_at_ms: now, checker: checker.clone() });
        }
        checker
    }

    /// The organization's crisis protocol text (the default names 988 and 911).
    pub async fn crisis_protocol(&self, org_id: i64) -> String {
        match self.store.language_settings(org_id).await {
            Ok(s) if !s.crisis_protocol.trim().is_empty() => s.crisis_protocol,
            _ => self.t.get("crisis-protocol-default"),
        }
    }
}

pub struct RuleRow {
    pub id: String,
    pub category: String,
    pub severity: String,
    pub on: bool,
    pub suggestions: String,
    pub reason: String,
    pub dismissed: i64,
    pub own: bool,
}

#[derive(Template)]
#[template(path = "admin_language.html")]
pub struct AdminLanguagePage {
    pub c: Chrome,
    pub rules: Vec<RuleRow>,
    pub crisis_protocol: String,
    pub errors: FormErrors,
    pub notice: String,
    pub new_id: String,
    pub new_forms: String,
    pub new_suggestion: String,
    pub new_reason: String,
}

fn joined(s: &[String]) -> String {
    s.join(" | ")
}

fn split_list(s: &str) -> Vec<String> {
    s.split('|').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

async fn render_admin(app: &AppState, ctx: &Ctx, overrides: &Overrides, crisis: String, errors: FormErrors, notice: String, new: [String; 4]) -> Result<Response, AppError> {
    let base = RuleSet::builtin();
    let applied = base.apply(overrides).unwrap_or_else(|_| base.clone());
    let counts: HashMap<String, i64> = app.store.dismissal_counts(ctx.org()).await?.into_iter().collect();
    let own: Vec<&str> = overrides.added.iter().map(|r| r.id.as_str()).collect();
    let rules = applied
        .rules
        .iter()
        .map(|r| RuleRow {
            id: r.id.clone(),
            category: r.category.clone(),
            severity: match r.severity {
                lantern_language::Severity::Warn => "warn".into(),
                lantern_language::Severity::Info => "info".into(),
            },
            on: r.enabled,
            suggestions: joined(&r.suggestions),
            reason: r.reason.clone(),
            dismissed: counts.get(&r.id).copied().unwrap_or(0),
            own: own.contains(&r.id.as_str()),
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let [new_id, new_forms, new_suggestion, new_reason] = new;
    let page = AdminLanguagePage { c: Chrome::new(app, Some(ctx), "lang-admin-title", "language"), rules, crisis_protocol: crisis, errors, notice, new_id, new_forms, new_suggestion, new_reason };
    Ok((status, Html(page.render()?)).into_response())
}

async fn current(app: &AppState, org: i64) -> Result<(Overrides, String), AppError> {
    let s = app.store.language_settings(org).await?;
    Ok((serde_json::from_str(&s.overrides_json).unwrap_or_default(), s.crisis_protocol))
}

pub async fn admin_language(State(app): State<AppState>, ctx: Ctx, axum::extract::RawQuery(raw): axum::extract::RawQuery) -> Result<Response, AppError> {
    if !decide(&ctx.actor, OrgAction::ManageUsers).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let (o, crisis) = current(&app, ctx.org()).await?;
    let notice = if raw.as_deref() == Some("saved=1") { app.t.get("lang-admin-saved") } else { String::new() };
    render_admin(&app, &ctx, &o, crisis, FormErrors::default(), notice, Default::default()).await
}

/// Builds an organization's own rule from the admin form.
fn own_rule(id: &str, forms: &str, suggestion: &str, reason: &str) -> Result<Rule, String> {
    let forms: Vec<String> = forms.split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_string).collect();
    serde_json::from_value(serde_json::json!({
        "id": format!("org-{}", id.trim().to_lowercase().replace(' ', "-")),
        "category": "organization",
        "severity": "warn",
        "forms": forms,
        "suggestions": split_list(suggestion),
        "reason": reason.trim(),
        "sources": ["organization"],
    }))
    .map_err(|e| e.to_string())
}

pub async fn admin_language_save(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    if !decide(&ctx.actor, OrgAction::ManageUsers).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (mut o, _) = current(&app, ctx.org()).await?;
    let base = RuleSet::builtin();
    let on: Vec<&str> = pairs.iter().filter(|(k, _)| k == "on").map(|(_, v)| v.as_str()).collect();
    let remove: Vec<&str> = pairs.iter().filter(|(k, _)| k == "remove").map(|(_, v)| v.as_str()).collect();
    o.added.retain(|r| !remove.contains(&r.id.as_str()));
    for r in o.added.iter_mut() {
        r.enabled = on.contains(&r.id.as_str());
        let s = split_list(&get(&format!("sugg:{}", r.id)));
        if !s.is_empty() {
            r.suggestions = s;
        }
    }
    o.disabled = base.rules.iter().filter(|r| r.enabled && !on.contains(&r.id.as_str())).map(|r| r.id.clone()).collect();
    o.enabled = base.rules.iter().filter(|r| !r.enabled && on.contains(&r.id.as_str())).map(|r| r.id.clone()).collect();
    o.suggestions = base
        .rules
        .iter()
        .filter_map(|r| {
            let given = split_list(&get(&format!("sugg:{}", r.id)));
            (!given.is_empty() && given != r.suggestions).then(|| (r.id.clone(), given))
        })
        .collect();
    let mut errors = FormErrors::default();
    let new = [get("new_id"), get("new_forms"), get("new_suggestion"), get("new_reason")];
    if !new.iter().all(|v| v.trim().is_empty()) {
        if new[0].trim().is_empty() || new[1].trim().is_empty() || new[3].trim().is_empty() {
            errors.0.insert("new_id".into(), app.t.get("lang-admin-new-incomplete"));
        } else {
            match own_rule(&new[0], &new[1], &new[2], &new[3]) {
                Ok(rule) => o.added.push(rule),
                Err(e) => {
                    errors.0.insert("new_id".into(), e);
                }
            }
        }
    }
    let crisis: String = get("crisis_protocol").trim().chars().take(4000).collect();
    if errors.is_empty() {
        if let Err(e) = Checker::with_overrides(&base, &o) {
            errors.0.insert("new_id".into(), e.to_string());
        }
    }
    if !errors.is_empty() {
        return render_admin(&app, &ctx, &o, crisis, errors, String::new(), new).await;
    }
    let json = serde_json::to_string(&o).map_err(|e| AppError::Internal(e.to_string()))?;
    app.store.save_language_settings(ctx.org(), &json, &crisis, &ctx.who()).await?;
    app.org_checkers.invalidate(ctx.org());
    Ok(Redirect::to("/admin/language?saved=1").into_response())
}

/// An organization's language settings over the API.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageSettingsDto {
    /// `{"disabled": [rule ids], "enabled": [rule ids], "suggestions": [[rule id, [suggestions]]], "added": [rules]}`
    #[schema(value_type = Object)]
    pub overrides: serde_json::Value,
    /// Shown when a note signals risk; empty means the default (988 and 911).
    pub crisis_protocol: String,
}

#[utoipa::path(get, path = "/api/v1/language/settings", tag = "language",
    responses((status = 200, body = LanguageSettingsDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn get_settings(State(app): State<AppState>, ctx: Ctx) -> Result<Response, ApiError> {
    let s = app.store.language_settings(ctx.org()).await?;
    let overrides: serde_json::Value = serde_json::from_str(&s.overrides_json).unwrap_or_else(|_| serde_json::json!({}));
    Ok(axum::Json(LanguageSettingsDto { overrides, crisis_protocol: s.crisis_protocol }).into_response())
}

#[utoipa::path(put, path = "/api/v1/language/settings", tag = "language", request_body = LanguageSettingsDto,
    responses((status = 200, body = LanguageSettingsDto), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn put_settings(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> Result<Response, ApiError> {
    let invalid = |field: &'static str, detail: String| {
        ApiError(AppError::Invalid(lantern_domain::validate::ValidationErrors(vec![lantern_domain::validate::FieldError::new(field, "error-language", detail)])))
    };
    let dto: LanguageSettingsDto = serde_json::from_slice(&body).map_err(|e| invalid("body", e.to_string()))?;
    let overrides: Overrides = serde_json::from_value(dto.overrides.clone()).map_err(|e| invalid("overrides", e.to_string()))?;
    Checker::with_overrides(&RuleSet::builtin(), &overrides).map_err(|e| invalid("overrides", e.to_string()))?;
    if dto.crisis_protocol.chars().count() > 4000 {
        return Err(invalid("crisis_protocol", "must be at most 4,000 characters".into()));
    }
    let json = serde_json::to_string(&overrides).map_err(|e| ApiError(AppError::Internal(e.to_string())))?;
    app.store.save_language_settings(ctx.org(), &json, dto.crisis_protocol.trim(), &ctx.who()).await?;
    app.org_checkers.invalidate(ctx.org());
    Ok(axum::Json(LanguageSettingsDto { overrides: serde_json::to_value(&overrides).unwrap_or_default(), crisis_protocol: dto.crisis_protocol.trim().to_string() }).into_response())
}
