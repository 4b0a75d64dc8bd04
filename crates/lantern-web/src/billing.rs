//! The admin page for billing data: payers (units rule and daily caps),
//! service codes, and activity types with the competencies they show.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lantern_domain::billing::UnitRule;
use lantern_domain::policy::{decide, OrgAction};
use lantern_store::billing_admin::{CodeRow, PayerInput, PayerRow, ServiceCodeInput};
use lantern_store::StoreError;

use crate::error::AppError;
use crate::middleware::Ctx;
use crate::views::{Chrome, FormErrors, SelectOption};
use crate::AppState;

pub struct ActivityView {
    pub code: String,
    pub name: String,
    pub competencies: String,
}

#[derive(Template)]
#[template(path = "admin_billing.html")]
pub struct AdminBillingPage {
    pub c: Chrome,
    pub payers: Vec<PayerRow>,
    pub rules: Vec<SelectOption>,
    pub codes: Vec<CodeRow>,
    pub payer_options: Vec<SelectOption>,
    pub activities: Vec<ActivityView>,
    pub errors: FormErrors,
    pub notice: String,
}

fn rule_options(t: &crate::i18n::Catalog, chosen: Option<UnitRule>) -> Vec<SelectOption> {
    UnitRule::ALL.iter().map(|r| SelectOption { value: r.code().into(), label: t.get(&format!("billing-rule-{}", r.code())), selected: Some(*r) == chosen }).collect()
}

async fn page(app: &AppState, ctx: &Ctx, errors: FormErrors, notice: String) -> Result<Response, AppError> {
    let payers = app.store.payers(ctx.org()).await?;
    let codes = app.store.all_service_codes(ctx.org()).await?;
    let activities = app
        .store
        .activity_types(ctx.org())
        .await?
        .into_iter()
        .map(|a| ActivityView { code: a.code, name: a.name, competencies: a.competencies.iter().map(|c| lantern_domain::encounter::roman(*c).to_string()).collect::<Vec<_>>().join(", ") })
        .collect();
    let payer_options = payers.iter().map(|p| SelectOption { value: p.id.to_string(), label: p.name.clone(), selected: p.is_default }).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let p = AdminBillingPage { c: Chrome::new(app, Some(ctx), "billing-title", "billing"), rules: rule_options(&app.t, None), payers, codes, payer_options, activities, errors, notice };
    Ok((status, Html(p.render()?)).into_response())
}

pub async fn admin_billing(State(app): State<AppState>, ctx: Ctx, RawQuery(q): RawQuery) -> Result<Response, AppError> {
    if !decide(&ctx.actor, OrgAction::ManageUsers).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let notice = if q.as_deref() == Some("saved=1") { app.t.get("billing-saved") } else { String::new() };
    page(&app, &ctx, FormErrors::default(), notice).await
}

fn cap(value: &str, field: &str, errors: &mut FormErrors, t: &crate::i18n::Catalog) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) if (1..=96).contains(&n) => Some(n),
        _ => {
            errors.0.insert(field.to_string(), t.get("billing-error-cap"));
            None
        }
    }
}

/// One form handler for the page's forms (`what` says which).
pub async fn admin_billing_save(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Response, AppError> {
    if !decide(&ctx.actor, OrgAction::ManageUsers).is_allowed() {
        return Err(AppError::Forbidden);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let t = &app.t;
    let mut errors = FormErrors::default();
    let who = ctx.who();
    let result: Result<(), StoreError> = match get("what").as_str() {
        "payer" => {
            let id = get("payer_id").parse::<i64>().ok();
            let prefix = id.map(|i| format!("p{i}-")).unwrap_or_else(|| "new-".into());
            let name = get("name");
            if name.is_empty() || name.chars().count() > 200 {
                errors.0.insert(format!("{prefix}name"), t.get("error-required"));
            }
            let rule = UnitRule::parse(&get("rule"));
            if rule.is_none() {
                errors.0.insert(format!("{prefix}rule"), t.get("error-choice"));
            }
            let person = cap(&get("cap_person"), &format!("{prefix}cap_person"), &mut errors, t);
            let provider = cap(&get("cap_provider"), &format!("{prefix}cap_provider"), &mut errors, t);
            match (errors.is_empty(), rule) {
                (true, Some(rule)) => app.store.save_payer(ctx.org(), id, &PayerInput { name, rule, cap_person_code_day: person, cap_provider_day: provider }, &who).await.map(|_| ()),
                _ => Ok(()),
            }
        }
        "code" => {
            let code = get("code").to_uppercase();
            if code.is_empty() || code.len() > 10 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                errors.0.insert("code".into(), t.get("billing-error-code"));
            }
            let modifiers = get("modifiers").to_uppercase();
            if modifiers.len() > 20 || !modifiers.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ') {
                errors.0.insert("modifiers".into(), t.get("billing-error-code"));
            }
            let description = get("description");
            if description.is_empty() || description.chars().count() > 300 {
                errors.0.insert("description".into(), t.get("error-required"));
            }
            let unit_minutes = match get("unit_minutes").parse::<i64>() {
                Ok(m) if (1..=240).contains(&m) => m,
                _ => {
                    errors.0.insert("unit_minutes".into(), t.get("billing-error-minutes"));
                    15
                }
            };
            let payer_id = get("payer").parse::<i64>().unwrap_or(0);
            if errors.is_empty() {
                let input = ServiceCodeInput { payer_id, code, modifiers, description, unit_minutes, for_groups: get("for_groups") == "1" };
                app.store.add_service_code(ctx.org(), &input, &who).await.map(|_| ())
            } else {
                Ok(())
            }
        }
        "code_active" => {
            let id = get("code_id").parse::<i64>().map_err(|_| AppError::NotFound)?;
            app.store.set_service_code_active(ctx.org(), id, get("active") == "1", &who).await
        }
        "activity" => {
            let code = get("activity_code").to_lowercase().replace(' ', "_");
            if code.is_empty() || code.len() > 60 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                errors.0.insert("activity_code".into(), t.get("billing-error-activity-code"));
            }
            let name = get("activity_name");
            if name.is_empty() || name.chars().count() > 200 {
                errors.0.insert("activity_name".into(), t.get("error-required"));
            }
            let cats: Vec<i64> = pairs.iter().filter(|(k, _)| k == "competency").filter_map(|(_, v)| v.parse::<i64>().ok()).filter(|c| (1..=12).contains(c)).collect();
            if cats.is_empty() {
                errors.0.insert("competency".into(), t.get("billing-error-competency"));
            }
            if errors.is_empty() {
                app.store.add_activity_type(ctx.org(), &code, &name, &cats, &who).await.map(|_| ())
            } else {
                Ok(())
            }
        }
        _ => return Err(AppError::BadRequest(t.get("crisis-choose"))),
    };
    match result {
        Ok(()) if errors.is_empty() => Ok(Redirect::to("/admin/billing?saved=1").into_response()),
        Ok(()) => page(&app, &ctx, errors, String::new()).await,
        Err(StoreError::Conflict(m)) | Err(StoreError::Refused(m)) => {
            errors.0.insert("form".into(), m);
            page(&app, &ctx, errors, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}
