//! Closed-loop referrals in the app: a person's referrals, consents and
//! "who received what"; making a referral (information goes to the program
//! only under a consent that covers it); the receiving organization's inbox,
//! where its staff see only what the consent allows and update the status;
//! open loops and overdue follow-ups for supervisors; the referral report
//! (page and CSV); the FHIR R4 export of one referral; the JSON API.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use lantern_domain::consent::{parse_consent, ConsentInput, InfoKind, NotCovered, Purpose, PART2_NOTICE};
use lantern_domain::policy::{decide, OrgAction, PersonAction, PersonFacts};
use lantern_domain::referral::{decide_referral, parse_referral, Access, MoveInput, Outcome, ReferralInput, Side, Status};
use lantern_domain::validate::{FieldError, ValidationErrors};
use lantern_domain::{OrgId, Role};
use lantern_store::people::Scope;
use lantern_store::referrals::{ConsentRow, DisclosureRow, NewReferral, ReferralRow, ServiceSnapshot};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, AppError};
use crate::i18n::Catalog;
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::views::{Chrome, FormErrors, SelectOption};
use crate::AppState;

type PageResult = Result<Response, AppError>;
type ApiResult = Result<Response, ApiError>;

// ----- shared helpers ----------------------------------------------------------------

async fn tz(app: &AppState, org: i64) -> Result<jiff::tz::TimeZone, AppError> {
    let org = app.store.org_cached(org).await?;
    Ok(jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC))
}

fn fmt_ms(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

fn status_label(t: &Catalog, s: Status) -> String {
    t.get(&format!("referral-status-{}", s.code()))
}

fn kind_label(t: &Catalog, k: InfoKind) -> String {
    t.get(&format!("consent-kind-{}", k.code().replace('_', "-")))
}

fn kinds_label(t: &Catalog, kinds: &[InfoKind]) -> String {
    if kinds.is_empty() {
        return t.get("referral-nothing-shared");
    }
    kinds.iter().map(|k| kind_label(t, *k)).collect::<Vec<_>>().join(", ")
}

fn purpose_label(t: &Catalog, p: &str) -> String {
    t.get(&format!("consent-purpose-{}", p.replace('_', "-")))
}

fn outcome_label(t: &Catalog, o: Option<Outcome>) -> String {
    o.map(|o| t.get(&format!("referral-outcome-{}", o.code().replace('_', "-")))).unwrap_or_default()
}

/// The reason a disclosure is refused, in plain words.
pub fn refusal_text(t: &Catalog, nc: &NotCovered) -> String {
    let arg = match nc {
        NotCovered::NoConsent(s) | NotCovered::WrongRecipient(s) => s.clone(),
        NotCovered::NotYetStarted(d) | NotCovered::Expired(d) => d.to_string(),
        NotCovered::KindNotCovered(k) => kind_label(t, *k),
        NotCovered::PurposeNotCovered(p) => purpose_label(t, p.code()),
        NotCovered::OtherPerson | NotCovered::Revoked | NotCovered::Part2NoticeMissing => String::new(),
    };
    t.get_with(nc.key(), &[("what", arg.into())])
}

fn refusal_errors(nc: &NotCovered) -> ValidationErrors {
    ValidationErrors(vec![FieldError::new("share", nc.key(), format!("nothing was shared: {nc} ({})", nc.code()))])
}

/// One referral in a list.
pub struct ReferralView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub program: String,
    pub service: String,
    pub from_org: String,
    pub status: String,
    pub status_code: String,
    pub closed: bool,
    pub follow_up: String,
    pub overdue: bool,
    pub made: String,
    pub outcome: String,
    pub sender: String,
}

impl ReferralView {
    pub fn from_row(r: &ReferralRow, t: &Catalog, today: jiff::civil::Date, tz: &jiff::tz::TimeZone) -> ReferralView {
        ReferralView {
            id: r.id,
            person_id: r.person_id,
            person_name: r.person_name.clone(),
            program: r.service.organization_name.clone(),
            service: r.service.service_name.clone(),
            from_org: r.org_name.clone(),
            status: status_label(t, r.status),
            status_code: r.status.code().to_string(),
            closed: r.status.is_closed(),
            follow_up: r.follow_up_on.map(|d| d.to_string()).unwrap_or_default(),
            overdue: r.is_overdue(today),
            made: fmt_ms(r.created_ms, tz).chars().take(10).collect(),
            outcome: outcome_label(t, r.outcome),
            sender: r.sender_name.clone(),
        }
    }
}

pub struct ConsentView {
    pub id: i64,
    pub recipient: String,
    pub purposes: String,
    pub kinds: String,
    pub period: String,
    pub state: String,
    pub active: bool,
    pub part2: bool,
    pub recorded: String,
}

fn consent_view(c: &ConsentRow, t: &Catalog, today: jiff::civil::Date, tz: &jiff::tz::TimeZone) -> ConsentView {
    let k = &c.consent;
    let (state, active) = if let Some(ms) = k.revoked_ms {
        (t.get_with("consent-state-revoked", &[("when", fmt_ms(ms, tz).into())]), false)
    } else if today > k.expires_on {
        (t.get("consent-state-expired"), false)
    } else if today < k.starts_on {
        (t.get("consent-state-not-started"), true)
    } else {
        (t.get("consent-state-active"), true)
    };
    ConsentView {
        id: k.id,
        recipient: k.recipient_name.clone(),
        purposes: k.purposes.iter().map(|p| purpose_label(t, p.code())).collect::<Vec<_>>().join(", "),
        kinds: kinds_label(t, &k.kinds),
        period: t.get_with("consent-period", &[("from", k.starts_on.to_string().into()), ("to", k.expires_on.to_string().into())]),
        state,
        active,
        part2: k.kinds.contains(&InfoKind::SubstanceUse),
        recorded: format!("{} · {}", fmt_ms(c.recorded_ms, tz), c.recorded_by),
    }
}

pub struct DisclosureView {
    pub when: String,
    pub recipient: String,
    pub kinds: String,
    pub purpose: String,
    pub by: String,
    pub consent_id: i64,
}

fn disclosure_view(d: &DisclosureRow, t: &Catalog, tz: &jiff::tz::TimeZone) -> DisclosureView {
    DisclosureView {
        when: fmt_ms(d.disclosed_ms, tz),
        recipient: d.recipient_name.clone(),
        kinds: kinds_label(t, &d.kinds),
        purpose: purpose_label(t, &d.purpose),
        by: d.disclosed_by.clone(),
        consent_id: d.consent_id,
    }
}

/// Referrals, consents and disclosures of one person, for the person page and the portal.
pub struct PersonReferrals {
    pub referrals: Vec<ReferralView>,
    pub consents: Vec<ConsentView>,
    pub disclosures: Vec<DisclosureView>,
}

pub async fn person_referrals(app: &AppState, org: i64, person_id: i64) -> Result<PersonReferrals, AppError> {
    let zone = tz(app, org).await?;
    let today = app.store.today(org).await?;
    let t = &app.t;
    Ok(PersonReferrals {
        referrals: app.store.referrals_for_person(org, person_id).await?.iter().map(|r| ReferralView::from_row(r, t, today, &zone)).collect(),
        consents: app.store.consents(org, person_id).await?.iter().map(|c| consent_view(c, t, today, &zone)).collect(),
        disclosures: app.store.disclosures_for_person(org, person_id).await?.iter().map(|d| disclosure_view(d, t, &zone)).collect(),
    })
}

/// Follow-ups due within a week on referrals of the specialist's people, for their home page.
pub async fn follow_ups_due(app: &AppState, ctx: &Ctx) -> Result<Vec<ReferralView>, AppError> {
    if !(ctx.user.roles.has(Role::Specialist) || ctx.user.roles.has(Role::Supervisor)) {
        return Ok(vec![]);
    }
    let today = app.store.today(ctx.org()).await?;
    let zone = tz(app, ctx.org()).await?;
    let through = today.checked_add(jiff::Span::new().days(7)).unwrap_or(today);
    Ok(app.store.referral_follow_ups_due(ctx.org(), ctx.user.id, through).await?.iter().map(|r| ReferralView::from_row(r, &app.t, today, &zone)).collect())
}

/// Reads a form with repeated checkbox fields.
fn read_form(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))
}

fn one(pairs: &[(String, String)], key: &str) -> String {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn many(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
}

fn query(raw: &Option<String>) -> Vec<(String, String)> {
    raw.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
}

/// Staff who may change the person's record (their team, or an admin).
async fn check_casework(app: &AppState, ctx: &Ctx, person_id: i64) -> Result<PersonFacts, AppError> {
    let facts = check_person(app, ctx, person_id, PersonAction::View).await?;
    if !ctx.user.roles.is_staff() {
        return Err(AppError::NotFound);
    }
    check_person(app, ctx, person_id, PersonAction::EditProfile).await?;
    Ok(facts)
}

/// Loads a referral and decides the caller's access; a refusal is audited and answers 404.
async fn load_referral(app: &AppState, ctx: &Ctx, id: i64) -> Result<(ReferralRow, Access), AppError> {
    let r = match app.store.referral(id).await {
        Ok(r) => r,
        Err(lantern_store::StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let facts = if r.org_id == ctx.org() { app.store.person_facts(&ctx.actor, r.person_id).await? } else { PersonFacts::default() };
    let access = decide_referral(&ctx.actor, &facts, r.receiving_org_id.map(OrgId));
    if access == Access::None {
        // Recorded in the caller's own chain; a referral of another organization is not named there.
        let same_org = r.org_id == ctx.org();
        let object = if same_org { r.id.to_string() } else { String::new() };
        let e = ctx.entry("referral.view", same_org.then_some(r.person_id), "referral", &object, "denied", app.store.now_ms());
        app.store.record_event(e).await?;
        return Err(AppError::NotFound);
    }
    Ok((r, access))
}

/// An audit row about a referral, in the person's organization's chain (whoever acts).
fn referral_entry(app: &AppState, ctx: &Ctx, r: &ReferralRow, action: &str) -> lantern_store::audit::NewEntry {
    let mut e = ctx.entry(action, Some(r.person_id), "referral", &r.id.to_string(), "ok", app.store.now_ms());
    e.org_id = r.org_id;
    if r.org_id != ctx.org() {
        e.reason = format!("receiving organization {}", ctx.org());
    }
    e
}

// ----- a person's referrals and consents ----------------------------------------------

#[derive(Template)]
#[template(path = "referrals_person.html")]
pub struct PersonReferralsPage {
    pub c: Chrome,
    pub person_id: i64,
    pub person_name: String,
    pub can_change: bool,
    pub notice: String,
    pub s: PersonReferrals,
    pub f: ConsentFormValues,
    pub purposes: Vec<SelectOption>,
    pub kinds: Vec<SelectOption>,
    pub links: Vec<SelectOption>,
    pub errors: FormErrors,
    pub part2_notice: String,
}

#[derive(Debug, Clone, Default)]
pub struct ConsentFormValues {
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub starts_on: String,
    pub expires_on: String,
    pub signature: String,
    pub part2_notice: bool,
    pub purposes: Vec<String>,
    pub kinds: Vec<String>,
}

fn checkbox_options(codes: &[&str], chosen: &[String], label: impl Fn(&str) -> String) -> Vec<SelectOption> {
    codes.iter().map(|c| SelectOption { value: c.to_string(), label: label(c), selected: chosen.iter().any(|x| x == c) }).collect()
}

async fn link_options(app: &AppState, chosen: &str) -> Result<Vec<SelectOption>, AppError> {
    Ok(app
        .store
        .directory_links()
        .await?
        .into_iter()
        .map(|l| SelectOption { selected: l.directory_org_id == chosen, label: l.directory_org_name, value: l.directory_org_id })
        .collect())
}

async fn render_person_referrals(app: &AppState, ctx: &Ctx, person_id: i64, f: ConsentFormValues, errors: FormErrors, notice: String) -> PageResult {
    let p = app.store.person(ctx.org(), person_id).await?;
    let can_change = check_person(app, ctx, person_id, PersonAction::EditProfile).await.is_ok();
    let t = &app.t;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let purpose_codes: Vec<&str> = Purpose::ALL.iter().map(|p| p.code()).collect();
    let kind_codes: Vec<&str> = InfoKind::ALL.iter().map(|k| k.code()).collect();
    let page = PersonReferralsPage {
        c: Chrome::new(app, Some(ctx), "referrals-title", "caseload"),
        person_id,
        person_name: p.profile.display_name().to_string(),
        can_change,
        notice,
        s: person_referrals(app, ctx.org(), person_id).await?,
        purposes: checkbox_options(&purpose_codes, &f.purposes, |c| purpose_label(t, c)),
        kinds: checkbox_options(&kind_codes, &f.kinds, |c| kind_label(t, InfoKind::parse(c).unwrap_or(InfoKind::Contact))),
        links: link_options(app, &f.recipient_org_id).await?,
        f,
        errors,
        part2_notice: PART2_NOTICE.to_string(),
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn notice_for(t: &Catalog, raw: &Option<String>) -> String {
    match one(&query(raw), "saved").as_str() {
        "consent" => t.get("consent-saved"),
        "revoked" => t.get("consent-revoked-notice"),
        "status" => t.get("referral-status-saved"),
        "referral" => t.get("referral-saved"),
        _ => String::new(),
    }
}

/// `GET /people/{id}/referrals`: referrals, consents and who received what.
pub async fn person_page(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    app.store.record_view(ctx.entry("referral.list", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let today = app.store.today(ctx.org()).await?;
    // "Record the person's consent" from a refused referral names the program already.
    let recipient: String = one(&query(&rq), "recipient").chars().take(200).collect();
    let f = ConsentFormValues { starts_on: today.to_string(), purposes: vec!["referral".into()], recipient_name: recipient, ..Default::default() };
    render_person_referrals(&app, &ctx, id, f, FormErrors::default(), notice_for(&app.t, &rq)).await
}

fn consent_input(pairs: &[(String, String)]) -> (ConsentFormValues, ConsentInput) {
    let f = ConsentFormValues {
        recipient_org_id: one(pairs, "recipient_org_id"),
        recipient_name: one(pairs, "recipient_name"),
        starts_on: one(pairs, "starts_on"),
        expires_on: one(pairs, "expires_on"),
        signature: one(pairs, "signature"),
        part2_notice: !one(pairs, "part2_notice").is_empty(),
        purposes: many(pairs, "purposes"),
        kinds: many(pairs, "kinds"),
    };
    let input = ConsentInput {
        recipient_org_id: f.recipient_org_id.clone(),
        recipient_name: f.recipient_name.clone(),
        purposes: f.purposes.clone(),
        kinds: f.kinds.clone(),
        starts_on: f.starts_on.clone(),
        expires_on: f.expires_on.clone(),
        signature: f.signature.clone(),
        part2_notice: f.part2_notice,
    };
    (f, input)
}

/// A linked program chosen as the recipient: its name comes from the link, not the form.
async fn resolve_recipient(app: &AppState, input: &mut ConsentInput) -> Result<(), ValidationErrors> {
    if input.recipient_org_id.trim().is_empty() {
        return Ok(());
    }
    match app.store.directory_link(input.recipient_org_id.trim()).await {
        Ok(Some(l)) => {
            if input.recipient_name.trim().is_empty() {
                input.recipient_name = l.directory_org_name;
            }
            Ok(())
        }
        _ => Err(ValidationErrors(vec![FieldError::new("recipient_org_id", "error-referral-program", "this program is not on the list of programs that use Lantern")])),
    }
}

/// `POST /people/{id}/consents`: records a consent (the person's team or an admin).
pub async fn create_consent(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_casework(&app, &ctx, id).await?;
    let pairs = read_form(&body)?;
    let (f, mut input) = consent_input(&pairs);
    let today = app.store.today(ctx.org()).await?;
    let parsed = match resolve_recipient(&app, &mut input).await {
        Err(v) => Err(v),
        Ok(()) => parse_consent(&input, today),
    };
    match parsed {
        Err(v) => render_person_referrals(&app, &ctx, id, f, FormErrors::from_validation(&app.t, &v), String::new()).await,
        Ok(c) => {
            app.store.record_consent(ctx.org(), id, &c, &ctx.who()).await?;
            Ok(Redirect::to(&format!("/people/{id}/referrals?saved=consent#consents-h")).into_response())
        }
    }
}

/// `POST /consents/{id}/revoke`: the person themself (from their portal), or their team.
pub async fn revoke_consent(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let c = app.store.consent_row(ctx.org(), id).await.map_err(|_| AppError::NotFound)?;
    let person = c.consent.person_id;
    let own = ctx.user.roles.has(Role::Peer) && ctx.user.person_id == Some(person);
    if !own {
        check_casework(&app, &ctx, person).await?;
    }
    let pairs = read_form(&body)?;
    app.store.revoke_consent(ctx.org(), person, id, &one(&pairs, "reason"), &ctx.who()).await?;
    Ok(Redirect::to(&if own { "/me?saved=revoked#consents-h".to_string() } else { format!("/people/{person}/referrals?saved=revoked#consents-h") }).into_response())
}

// ----- making a referral ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "referral_form.html")]
pub struct ReferralFormPage {
    pub c: Chrome,
    pub person_id: i64,
    pub person_name: String,
    pub f: ReferralFormValues,
    pub links: Vec<SelectOption>,
    pub kinds: Vec<SelectOption>,
    pub errors: FormErrors,
    pub refusal: String,
    /// The directory service the referral is for, when it came from the directory.
    pub service: Option<lantern_store::referrals::ServiceSnapshot>,
    /// Where "record the person's consent" leads, with the program filled in.
    pub consent_link: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReferralFormValues {
    pub service_id: String,
    pub program: String,
    pub service_name: String,
    pub organization_name: String,
    pub phone: String,
    pub person_choice: String,
    pub reason: String,
    pub goals: String,
    pub substance_use: String,
    pub follow_up_on: String,
    pub share: Vec<String>,
}

async fn referral_form(app: &AppState, ctx: &Ctx, person_id: i64, f: ReferralFormValues, errors: FormErrors, refusal: String) -> PageResult {
    let p = app.store.person(ctx.org(), person_id).await?;
    let t = &app.t;
    let status = if errors.is_empty() && refusal.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let kind_codes: Vec<&str> = InfoKind::ALL.iter().map(|k| k.code()).collect();
    // A service chosen in the directory is shown as it is there (the snapshot is taken
    // from the directory when the referral is saved, never from the form).
    let service = if f.service_id.trim().is_empty() { None } else { app.store.referral_service_snapshot(ctx.org(), f.service_id.trim()).await? };
    let consent_link = {
        let recipient = service.as_ref().map(|s| s.organization_name.clone()).unwrap_or_else(|| f.organization_name.trim().to_string());
        let q = serde_urlencoded::to_string([("recipient", recipient.as_str())]).unwrap_or_default();
        format!("/people/{person_id}/referrals?{q}#consent-new-h")
    };
    let page = ReferralFormPage {
        service,
        consent_link,
        c: Chrome::new(app, Some(ctx), "referral-new-title", "caseload"),
        person_id,
        person_name: p.profile.display_name().to_string(),
        links: link_options(app, &f.program).await?,
        kinds: checkbox_options(&kind_codes, &f.share, |c| kind_label(t, InfoKind::parse(c).unwrap_or(InfoKind::Contact))),
        f,
        errors,
        refusal,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn new_referral(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    check_casework(&app, &ctx, id).await?;
    let q = query(&rq);
    let today = app.store.today(ctx.org()).await?;
    let f = ReferralFormValues {
        service_id: one(&q, "service"),
        follow_up_on: today.checked_add(jiff::Span::new().days(7)).map(|d| d.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    referral_form(&app, &ctx, id, f, FormErrors::default(), String::new()).await
}

/// What the caller asked for, turned into a service snapshot: a directory service
/// (read from the directory, never from the form), a linked program, or a program typed in.
async fn snapshot(app: &AppState, ctx: &Ctx, service_id: &str, program: &str, service_name: &str, organization_name: &str, phone: &str) -> Result<(ServiceSnapshot, bool), ValidationErrors> {
    let service_id = service_id.trim();
    if !service_id.is_empty() {
        return match app.store.referral_service_snapshot(ctx.org(), service_id).await {
            Ok(Some(s)) => Ok((s, true)),
            _ => Err(ValidationErrors(vec![FieldError::new("service_id", "error-referral-service", "this service is not in the directory")])),
        };
    }
    let program = program.trim();
    if !program.is_empty() {
        return match app.store.directory_link(program).await {
            Ok(Some(l)) => Ok((
                ServiceSnapshot { service_id: String::new(), service_name: service_name.trim().into(), organization_id: l.directory_org_id, organization_name: l.directory_org_name, phone: phone.trim().into() },
                true,
            )),
            _ => Err(ValidationErrors(vec![FieldError::new("program", "error-referral-program", "this program is not on the list of programs that use Lantern")])),
        };
    }
    Ok((ServiceSnapshot { service_id: String::new(), service_name: service_name.trim().into(), organization_id: String::new(), organization_name: organization_name.trim().into(), phone: phone.trim().into() }, false))
}

/// Checks and saves a referral: `Ok(Ok(id))`, or the consent refusal.
async fn make_referral(app: &AppState, ctx: &Ctx, person_id: i64, f: &ReferralFormValues) -> Result<Result<i64, NotCovered>, AppError> {
    let (snap, known) = snapshot(app, ctx, &f.service_id, &f.program, &f.service_name, &f.organization_name, &f.phone).await.map_err(AppError::Invalid)?;
    let today = app.store.today(ctx.org()).await?;
    let input = ReferralInput {
        service_name: snap.service_name.clone(),
        organization_name: snap.organization_name.clone(),
        phone: snap.phone.clone(),
        person_choice: f.person_choice.clone(),
        reason: f.reason.clone(),
        goals: f.goals.clone(),
        substance_use: f.substance_use.clone(),
        follow_up_on: f.follow_up_on.clone(),
        share: f.share.clone(),
    };
    let draft = parse_referral(&input, today, known).map_err(AppError::Invalid)?;
    let service = ServiceSnapshot { service_name: draft.service_name.clone(), organization_name: draft.organization_name.clone(), phone: draft.phone.clone(), ..snap };
    Ok(app.store.create_referral(ctx.org(), person_id, ctx.user.id, &NewReferral { draft, service }, &ctx.who()).await?)
}

pub async fn create_referral(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    check_casework(&app, &ctx, id).await?;
    let pairs = read_form(&body)?;
    let f = ReferralFormValues {
        service_id: one(&pairs, "service_id"),
        program: one(&pairs, "program"),
        service_name: one(&pairs, "service_name"),
        organization_name: one(&pairs, "organization_name"),
        phone: one(&pairs, "phone"),
        person_choice: one(&pairs, "person_choice"),
        reason: one(&pairs, "reason"),
        goals: one(&pairs, "goals"),
        substance_use: one(&pairs, "substance_use"),
        follow_up_on: one(&pairs, "follow_up_on"),
        share: many(&pairs, "share"),
    };
    match make_referral(&app, &ctx, id, &f).await {
        Ok(Ok(rid)) => Ok(Redirect::to(&format!("/referrals/{rid}?saved=referral")).into_response()),
        Ok(Err(nc)) => {
            let text = refusal_text(&app.t, &nc);
            referral_form(&app, &ctx, id, f, FormErrors::default(), text).await
        }
        Err(AppError::Invalid(v)) => referral_form(&app, &ctx, id, f, FormErrors::from_validation(&app.t, &v), String::new()).await,
        Err(e) => Err(e),
    }
}

// ----- one referral --------------------------------------------------------------------

pub struct EventView {
    pub when: String,
    pub status: String,
    pub by: String,
    pub outcome: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "referral.html")]
pub struct ReferralPage {
    pub c: Chrome,
    pub r: ReferralView,
    pub receiver: bool,
    pub can_update: bool,
    /// The receiving program is an organization on this deployment.
    pub on_lantern: bool,
    pub receiving_org: String,
    pub phone: String,
    pub service_id: String,
    /// What the viewer may see of the person and the referral.
    pub show_name: bool,
    pub contact: Vec<(String, String)>,
    pub person_choice: String,
    pub reason: String,
    pub goals: String,
    pub substance_use: String,
    pub part2_notice: String,
    pub shared: String,
    pub withheld: String,
    pub outcome_reason: String,
    pub moves: Vec<SelectOption>,
    pub outcomes: Vec<SelectOption>,
    pub events: Vec<EventView>,
    pub errors: FormErrors,
    pub m: MoveInput,
    pub notice: String,
}

async fn render_referral(app: &AppState, ctx: &Ctx, r: &ReferralRow, access: Access, errors: FormErrors, m: MoveInput, notice: String) -> PageResult {
    let t = &app.t;
    let zone = tz(app, r.org_id).await?;
    let today = app.store.today(r.org_id).await?;
    let receiver = access == Access::Receiver;
    let can_update = matches!(access, Access::Receiver | Access::Sender { can_update: true });
    let side = if receiver { Side::Receiver } else { Side::Sender };
    let (visible, withheld) = if receiver { app.store.receiver_visible_kinds(r).await? } else { (InfoKind::ALL.to_vec(), None) };
    let sees = |k: InfoKind| visible.contains(&k) && (!receiver || r.shared.contains(&k));
    let mut contact = vec![];
    if sees(InfoKind::Contact) {
        let p = app.store.person(r.org_id, r.person_id).await?;
        let pr = &p.profile;
        contact.push((t.get("field-pronouns"), pr.pronouns.clone()));
        contact.push((t.get("field-phone"), pr.phone.clone()));
        contact.push((t.get("field-email"), pr.email.clone()));
        contact.push((t.get("portal-contact-times"), pr.contact_times.clone()));
        contact.push((t.get("field-languages"), pr.languages.join(", ")));
        contact.retain(|(_, v)| !v.is_empty());
    }
    let receiving_org = match r.receiving_org_id {
        Some(o) => app.store.org_cached(o).await.map(|o| o.name).unwrap_or_default(),
        None => String::new(),
    };
    let moves = if can_update { r.status.next_for(side, r.receiving_org_id.is_some()) } else { vec![] };
    let outcome_codes: Vec<Outcome> = Outcome::ALL.to_vec();
    let page = ReferralPage {
        c: Chrome::new(app, Some(ctx), "referral-title", if receiver { "inbox" } else { "caseload" }),
        r: ReferralView::from_row(r, t, today, &zone),
        receiver,
        can_update,
        on_lantern: r.receiving_org_id.is_some(),
        receiving_org,
        phone: r.service.phone.clone(),
        service_id: r.service.service_id.clone(),
        show_name: sees(InfoKind::Contact),
        contact,
        person_choice: if sees(InfoKind::ReferralReason) { r.person_choice.clone() } else { String::new() },
        reason: if sees(InfoKind::ReferralReason) { r.reason.clone() } else { String::new() },
        goals: if sees(InfoKind::RecoveryGoals) { r.goals.clone() } else { String::new() },
        substance_use: if sees(InfoKind::SubstanceUse) { r.substance_use.clone() } else { String::new() },
        part2_notice: if sees(InfoKind::SubstanceUse) && !r.substance_use.is_empty() { PART2_NOTICE.to_string() } else { String::new() },
        shared: kinds_label(t, &r.shared),
        withheld: withheld.map(|nc| refusal_text(t, &nc)).unwrap_or_default(),
        outcome_reason: r.outcome_reason.clone(),
        moves: moves.iter().map(|s| SelectOption { value: s.code().into(), label: status_label(t, *s), selected: m.to == s.code() }).collect(),
        outcomes: outcome_codes.iter().map(|o| SelectOption { value: o.code().into(), label: outcome_label(t, Some(*o)), selected: m.outcome == o.code() }).collect(),
        events: app
            .store
            .referral_events(r.id)
            .await?
            .iter()
            .map(|e| EventView {
                when: fmt_ms(e.at_ms, &zone),
                status: status_label(t, e.status_to),
                by: format!("{} ({})", e.actor_name, e.actor_org_name),
                outcome: outcome_label(t, Outcome::parse(&e.outcome)),
                note: e.note.clone(),
            })
            .collect(),
        errors,
        m,
        notice,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let id = parse_id(&raw)?;
    let (r, access) = load_referral(&app, &ctx, id).await?;
    let action = if access == Access::Receiver { "referral.receiver_view" } else { "referral.view" };
    app.store.record_view(referral_entry(&app, &ctx, &r, action)).await;
    render_referral(&app, &ctx, &r, access, FormErrors::default(), MoveInput::default(), notice_for(&app.t, &rq)).await
}

fn side_of(access: Access) -> Result<Side, AppError> {
    match access {
        Access::Receiver => Ok(Side::Receiver),
        Access::Sender { can_update: true } => Ok(Side::Sender),
        _ => Err(AppError::NotFound),
    }
}

pub async fn change_status(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> PageResult {
    let id = parse_id(&raw)?;
    let (r, access) = load_referral(&app, &ctx, id).await?;
    let side = side_of(access)?;
    let pairs = read_form(&body)?;
    let m = MoveInput { to: one(&pairs, "to"), outcome: one(&pairs, "outcome"), reason: one(&pairs, "reason"), note: one(&pairs, "note"), follow_up_on: one(&pairs, "follow_up_on") };
    match app.store.change_referral_status(id, side, ctx.org(), &m, &ctx.who()).await {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}?saved=status")).into_response()),
        Err(lantern_store::StoreError::Invalid(v)) => render_referral(&app, &ctx, &r, access, FormErrors::from_validation(&app.t, &v), m, String::new()).await,
        Err(e) => Err(e.into()),
    }
}

// ----- lists: the inbox and open loops -------------------------------------------------

#[derive(Template)]
#[template(path = "referral_list.html")]
pub struct ReferralListPage {
    pub c: Chrome,
    pub heading: String,
    pub intro: String,
    pub inbox: bool,
    pub rows: Vec<ReferralView>,
    pub overdue_only: bool,
    pub overdue_link: String,
}

/// `GET /referrals/inbox`: referrals other organizations sent to this one.
pub async fn inbox(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    let rows = app.store.referral_inbox(ctx.org()).await?;
    let t = &app.t;
    let zone = tz(&app, ctx.org()).await?;
    let today = app.store.today(ctx.org()).await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in &rows {
        let (visible, _) = app.store.receiver_visible_kinds(r).await?;
        let mut v = ReferralView::from_row(r, t, today, &zone);
        if visible.contains(&InfoKind::Contact) {
            app.store.record_view(referral_entry(&app, &ctx, r, "referral.inbox")).await;
        } else {
            v.person_name = t.get_with("referral-person-withheld", &[("id", r.id.into())]);
        }
        views.push(v);
    }
    let page = ReferralListPage {
        c: Chrome::new(&app, Some(&ctx), "referral-inbox-title", "inbox"),
        heading: t.get("referral-inbox-title"),
        intro: t.get("referral-inbox-intro"),
        inbox: true,
        overdue_link: String::new(),
        rows: views,
        overdue_only: false,
    };
    Ok(Html(page.render()?).into_response())
}

fn scope_for(ctx: &Ctx) -> Scope {
    if decide(&ctx.actor, OrgAction::ViewAllPeople).is_allowed() {
        Scope::Org
    } else if ctx.user.roles.has(Role::Supervisor) {
        Scope::Team(ctx.user.id)
    } else {
        Scope::Mine(ctx.user.id)
    }
}

/// `GET /referrals/open`: open loops in the supervisor's team (all, for admins), overdue follow-ups first.
pub async fn open_loops(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let overdue_only = one(&query(&rq), "overdue") == "1";
    let rows = app.store.open_referrals(ctx.org(), scope_for(&ctx)).await?;
    app.store.record_view(ctx.entry("referral.open_list", None, "referral", "open", "ok", app.store.now_ms())).await;
    let t = &app.t;
    let zone = tz(&app, ctx.org()).await?;
    let today = app.store.today(ctx.org()).await?;
    let mut views: Vec<ReferralView> = rows.iter().map(|r| ReferralView::from_row(r, t, today, &zone)).collect();
    let overdue_count = views.iter().filter(|v| v.overdue).count();
    views.sort_by_key(|v| !v.overdue);
    if overdue_only {
        views.retain(|v| v.overdue);
    }
    let page = ReferralListPage {
        c: Chrome::new(&app, Some(&ctx), "referral-open-title", "reports"),
        heading: t.get("referral-open-title"),
        intro: t.get("referral-open-intro"),
        inbox: false,
        rows: views,
        overdue_only,
        overdue_link: t.get_with("referral-show-overdue", &[("count", (overdue_count as i64).into())]),
    };
    Ok(Html(page.render()?).into_response())
}

// ----- report --------------------------------------------------------------------------

pub struct ReportView {
    pub month: String,
    pub program: String,
    pub made: i64,
    pub open: i64,
    pub overdue: i64,
    pub closed: i64,
    pub completed: i64,
    pub rate: String,
    pub median: String,
}

#[derive(Template)]
#[template(path = "referral_report.html")]
pub struct ReportPage {
    pub c: Chrome,
    pub from: String,
    pub to: String,
    pub rows: Vec<ReportView>,
    pub csv_link: String,
    pub caption: String,
    pub errors: FormErrors,
    pub total_made: i64,
    pub total_closed: i64,
    pub total_open: i64,
    pub total_overdue: i64,
}

/// `GET /reports/referrals`: open loops, overdue follow-ups, loop-closure rate and median days to close, by program and month.
pub async fn report(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    let pairs = query(&rq);
    let today = app.store.today(ctx.org()).await?;
    let (from_s, to_s) = (one(&pairs, "from"), one(&pairs, "to"));
    let default_from = today.checked_sub(jiff::Span::new().months(11)).map(|d| d.first_of_month()).unwrap_or(today);
    let mut errors = FormErrors::default();
    let range = match crate::notes::date_range(if from_s.is_empty() { "" } else { &from_s }, &to_s, today) {
        Ok((f, t)) => Some((if from_s.is_empty() { default_from } else { f }, t)),
        Err((f, key)) => {
            errors.0.insert(f.into(), app.t.get(key));
            None
        }
    };
    let rows = match range {
        Some((from, to)) => {
            let rows = app.store.referral_report(ctx.org(), from, to).await?;
            app.store.record_view(ctx.entry("report.referrals", None, "report", &format!("{from}..{to}"), "ok", app.store.now_ms())).await;
            if one(&pairs, "format") == "csv" {
                return Ok((
                    [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"referrals-{from}-{to}.csv\""))],
                    lantern_store::referrals::referral_report_csv(&rows),
                )
                    .into_response());
            }
            rows
        }
        None => vec![],
    };
    let (from_shown, to_shown) = match range {
        Some((f, t)) => (f.to_string(), t.to_string()),
        None => (from_s.clone(), to_s.clone()),
    };
    let page = ReportPage {
        caption: app.t.get_with("units-caption", &[("from", from_shown.clone().into()), ("to", to_shown.clone().into())]),
        c: Chrome::new(&app, Some(&ctx), "referral-report-title", "reports"),
        csv_link: format!("/reports/referrals?{}", serde_urlencoded::to_string([("from", from_shown.as_str()), ("to", to_shown.as_str()), ("format", "csv")]).unwrap_or_default()),
        from: from_shown,
        to: to_shown,
        total_made: rows.iter().map(|r| r.made).sum(),
        total_closed: rows.iter().map(|r| r.closed).sum(),
        total_open: rows.iter().map(|r| r.open).sum(),
        total_overdue: rows.iter().map(|r| r.overdue).sum(),
        rows: rows
            .iter()
            .map(|r| ReportView {
                month: r.month.clone(),
                program: r.program.clone(),
                made: r.made,
                open: r.open,
                overdue: r.overdue,
                closed: r.closed,
                completed: r.completed,
                rate: format!("{:.1} %", r.closure_rate),
                median: r.median_days_to_close.map(|m| format!("{m:.1}")).unwrap_or_else(|| "—".into()),
            })
            .collect(),
        errors,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Html(page.render()?)).into_response())
}

// ----- admin: programs that use Lantern ------------------------------------------------

#[derive(Template)]
#[template(path = "admin_referral_links.html")]
pub struct LinksPage {
    pub c: Chrome,
    pub links: Vec<(String, String, String, bool)>,
    pub errors: FormErrors,
    pub directory_org_id: String,
    pub directory_org_name: String,
}

async fn links_page(app: &AppState, ctx: &Ctx, errors: FormErrors, id: String, name: String) -> PageResult {
    let links = app.store.directory_links().await?.into_iter().map(|l| (l.directory_org_id, l.directory_org_name, l.lantern_org_name, l.lantern_org_id == ctx.org())).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = LinksPage { c: Chrome::new(app, Some(ctx), "referral-links-title", "links"), links, errors, directory_org_id: id, directory_org_name: name };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn admin_links(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    links_page(&app, &ctx, FormErrors::default(), String::new(), String::new()).await
}

pub async fn admin_links_save(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> PageResult {
    let pairs = read_form(&body)?;
    let (id, name) = (one(&pairs, "directory_org_id"), one(&pairs, "directory_org_name"));
    let result = if one(&pairs, "action") == "remove" {
        app.store.unlink_directory_org(ctx.org(), &id, &ctx.who()).await
    } else {
        app.store.link_directory_org(ctx.org(), &id, &name, &ctx.who()).await
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/referral-links").into_response()),
        Err(lantern_store::StoreError::Invalid(v)) => links_page(&app, &ctx, FormErrors::from_validation(&app.t, &v), id, name).await,
        Err(lantern_store::StoreError::Conflict(m)) => {
            let mut e = FormErrors::default();
            e.0.insert("directory_org_id".into(), m);
            links_page(&app, &ctx, e, id, name).await
        }
        Err(e) => Err(e.into()),
    }
}

// ----- FHIR R4 export ------------------------------------------------------------------

const SDOHCC: &str = "http://hl7.org/fhir/us/sdoh-clinicalcare";
const TEMP_CODES: &str = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes";

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

/// A FHIR R4 Bundle (collection) of one referral: the SDOHCC ServiceRequest,
/// the SDOHCC TaskForReferralManagement (intent=order, code=fulfill,
/// focus=the ServiceRequest), and the Consent it relies on. It carries only
/// the information the referral shared under that consent.
pub fn fhir_bundle(r: &ReferralRow, consent: Option<&ConsentRow>, person_display: &str, now_ms: i64) -> serde_json::Value {
    use serde_json::json;
    let patient = format!("Patient/{}", r.person_id);
    let shared = |k: InfoKind| r.shared.contains(&k);
    let mut subject = json!({ "reference": patient });
    if shared(InfoKind::Contact) && !person_display.is_empty() {
        subject["display"] = json!(person_display);
    }
    let sr_status = match r.status {
        Status::Draft => "draft",
        Status::OnHold => "on-hold",
        Status::Completed => "completed",
        Status::Cancelled | Status::Rejected | Status::Failed => "revoked",
        _ => "active",
    };
    let program = if r.service.service_name.is_empty() { r.service.organization_name.clone() } else { format!("{} — {}", r.service.service_name, r.service.organization_name) };
    let mut sr = json!({
        "resourceType": "ServiceRequest",
        "id": format!("referral-{}", r.id),
        "meta": { "profile": [format!("{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest")] },
        "status": sr_status,
        "intent": "order",
        "category": [{ "coding": [{ "system": TEMP_CODES, "code": "sdoh-category-unspecified", "display": "SDOH Category Unspecified" }] }],
        "code": { "text": program },
        "subject": subject.clone(),
        "authoredOn": iso(r.created_ms),
        "requester": { "display": r.org_name },
        "performer": [{ "display": r.service.organization_name }],
    });
    if !r.service.service_id.is_empty() {
        sr["identifier"] = json!([{ "system": "urn:openreferral:hsds:service", "value": r.service.service_id }]);
    }
    if let Some(f) = r.follow_up_on {
        sr["occurrencePeriod"] = json!({ "start": iso(r.created_ms), "end": f.to_string() });
    }
    let mut notes = vec![];
    if shared(InfoKind::ReferralReason) {
        sr["reasonCode"] = json!([{ "text": r.reason }]);
        notes.push(json!({ "text": format!("In their words: {}", r.person_choice) }));
    }
    if shared(InfoKind::RecoveryGoals) && !r.goals.is_empty() {
        notes.push(json!({ "text": format!("Goals: {}", r.goals) }));
    }
    if shared(InfoKind::SubstanceUse) && !r.substance_use.is_empty() {
        notes.push(json!({ "text": format!("{} {}", r.substance_use, PART2_NOTICE) }));
        sr["meta"]["security"] = json!([{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2" }]);
    }
    if !notes.is_empty() {
        sr["note"] = json!(notes);
    }
    if let Some(c) = consent {
        sr["supportingInfo"] = json!([{ "reference": format!("Consent/consent-{}", c.consent.id) }]);
    }
    let mut task = json!({
        "resourceType": "Task",
        "id": format!("referral-task-{}", r.id),
        "meta": { "profile": [format!("{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement")] },
        "status": r.status.code(),
        "intent": "order",
        "code": { "coding": [{ "system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill", "display": "Fulfill the focal request" }] },
        "focus": { "reference": format!("ServiceRequest/referral-{}", r.id) },
        "for": subject,
        "authoredOn": iso(r.created_ms),
        "lastModified": iso(r.updated_ms),
        "requester": { "display": r.org_name },
        "owner": { "display": r.service.organization_name },
    });
    if r.status.is_closed() {
        let reason = if r.outcome_reason.is_empty() { r.outcome.map(|o| o.code().to_string()).unwrap_or_default() } else { r.outcome_reason.clone() };
        task["statusReason"] = json!({ "text": reason });
        if let Some(o) = r.outcome {
            task["output"] = json!([{
                "type": { "coding": [{ "system": TEMP_CODES, "code": "resulting-activity", "display": "Resulting Activity" }] },
                "valueCodeableConcept": { "coding": [{ "system": "urn:lantern:referral-outcome", "code": o.code() }], "text": o.code().replace('_', " ") }
            }]);
        }
    }
    let mut entries = vec![json!({ "resource": sr }), json!({ "resource": task })];
    if let Some(c) = consent {
        let k = &c.consent;
        let active = k.revoked_ms.is_none_or(|ms| ms > now_ms);
        let mut actor = json!({ "display": k.recipient_name });
        if !k.recipient_org_id.is_empty() {
            actor["identifier"] = json!({ "system": "urn:openreferral:hsds:organization", "value": k.recipient_org_id });
        }
        let mut consent_json = json!({
            "resourceType": "Consent",
            "id": format!("consent-{}", k.id),
            "status": if active { "active" } else { "inactive" },
            "scope": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" }] },
            "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent" }] }],
            "patient": { "reference": patient },
            "dateTime": iso(c.recorded_ms),
            "policyRule": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN" }] },
            "provision": {
                "type": "permit",
                "period": { "start": k.starts_on.to_string(), "end": k.expires_on.to_string() },
                "actor": [{ "role": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient" }] }, "reference": actor }],
                "purpose": k.purposes.iter().map(|p| json!({ "system": "urn:lantern:consent-purpose", "code": p.code() })).collect::<Vec<_>>(),
                "class": k.kinds.iter().map(|kind| json!({ "system": "urn:lantern:information-kind", "code": kind.code() })).collect::<Vec<_>>(),
            },
        });
        if k.part2_notice {
            consent_json["policy"] = json!([{ "authority": "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2", "uri": "https://www.ecfr.gov/current/title-42/section-2.32" }]);
        }
        entries.push(json!({ "resource": consent_json }));
    }
    json!({
        "resourceType": "Bundle",
        "id": format!("referral-bundle-{}", r.id),
        "type": "collection",
        "timestamp": iso(now_ms),
        "entry": entries,
    })
}

async fn bundle_for(app: &AppState, r: &ReferralRow) -> Result<serde_json::Value, AppError> {
    let consent = match r.consent_id {
        Some(c) => Some(app.store.consent_row(r.org_id, c).await?),
        None => None,
    };
    let person = app.store.person(r.org_id, r.person_id).await?;
    Ok(fhir_bundle(r, consent.as_ref(), person.profile.display_name(), app.store.now_ms()))
}

/// `GET /referrals/{id}/fhir`: the referral as a FHIR R4 Bundle (sending side).
pub async fn fhir(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let id = parse_id(&raw)?;
    let (r, access) = load_referral(&app, &ctx, id).await?;
    if access == Access::Receiver {
        return Err(AppError::NotFound);
    }
    let bundle = bundle_for(&app, &r).await?;
    app.store.record_view(referral_entry(&app, &ctx, &r, "referral.fhir_export")).await;
    Ok((
        [
            (header::CONTENT_TYPE, "application/fhir+json".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"referral-{id}.fhir.json\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bundle.to_string(),
    )
        .into_response())
}

// ----- JSON API ------------------------------------------------------------------------

/// A referral as the API shows it. Receivers get only what the consent allows
/// (the other fields are empty and `person_id` is null).
#[derive(Serialize, ToSchema)]
pub struct ReferralOut {
    pub id: i64,
    pub person_id: Option<i64>,
    /// HSDS service id, when the referral came from the directory.
    pub service_id: String,
    pub service_name: String,
    /// HSDS organization id of the program.
    pub organization_id: String,
    pub organization_name: String,
    pub phone: String,
    /// The receiving program's organization on this deployment, if any.
    pub receiving_organization_id: Option<i64>,
    pub person_choice: String,
    pub reason: String,
    pub goals: String,
    pub substance_use: String,
    /// Kinds of information shared with the program: contact, referral_reason, recovery_goals, substance_use.
    pub shared: Vec<String>,
    pub consent_id: Option<i64>,
    /// FHIR TaskStatus: requested, accepted, rejected, in-progress, on-hold, completed, failed, cancelled.
    pub status: String,
    pub follow_up_on: Option<String>,
    pub outcome: Option<String>,
    pub outcome_reason: String,
    pub created_ms: i64,
    pub closed_ms: Option<i64>,
    pub version: i64,
}

async fn referral_out(app: &AppState, r: &ReferralRow, access: Access) -> Result<ReferralOut, AppError> {
    let visible = if access == Access::Receiver { app.store.receiver_visible_kinds(r).await?.0 } else { InfoKind::ALL.to_vec() };
    let sees = |k: InfoKind| visible.contains(&k);
    let rr = sees(InfoKind::ReferralReason);
    Ok(ReferralOut {
        id: r.id,
        person_id: (access != Access::Receiver).then_some(r.person_id),
        service_id: r.service.service_id.clone(),
        service_name: r.service.service_name.clone(),
        organization_id: r.service.organization_id.clone(),
        organization_name: r.service.organization_name.clone(),
        phone: r.service.phone.clone(),
        receiving_organization_id: r.receiving_org_id,
        person_choice: if rr { r.person_choice.clone() } else { String::new() },
        reason: if rr { r.reason.clone() } else { String::new() },
        goals: if sees(InfoKind::RecoveryGoals) { r.goals.clone() } else { String::new() },
        substance_use: if sees(InfoKind::SubstanceUse) { r.substance_use.clone() } else { String::new() },
        shared: r.shared.iter().map(|k| k.code().to_string()).collect(),
        consent_id: if access == Access::Receiver { None } else { r.consent_id },
        status: r.status.code().into(),
        follow_up_on: r.follow_up_on.map(|d| d.to_string()),
        outcome: r.outcome.map(|o| o.code().to_string()),
        outcome_reason: r.outcome_reason.clone(),
        created_ms: r.created_ms,
        closed_ms: r.closed_ms,
        version: r.version,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralIn {
    /// HSDS service id from the directory (its name, organization and phone are read from the directory).
    #[serde(default)]
    pub service_id: String,
    /// A program that uses Lantern: its directory organization id (see the admin's list).
    #[serde(default)]
    pub program: String,
    #[serde(default)]
    pub service_name: String,
    /// The program's name, when it is neither in the directory nor a linked program.
    #[serde(default)]
    pub organization_name: String,
    #[serde(default)]
    pub phone: String,
    /// Where the person chose to go and why, in their words.
    pub person_choice: String,
    pub reason: String,
    #[serde(default)]
    pub goals: String,
    #[serde(default)]
    pub substance_use: String,
    /// ISO date.
    #[serde(default)]
    pub follow_up_on: String,
    /// Kinds of information to share: contact, referral_reason, recovery_goals, substance_use. A consent must cover them.
    #[serde(default)]
    pub share: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// requested, accepted, rejected, in-progress, on-hold, completed, failed or cancelled.
    pub to: String,
    /// Needed when closing: service_provided, partly_provided, person_declined, not_eligible, no_capacity, could_not_reach, no_longer_needed, other.
    #[serde(default)]
    pub outcome: String,
    /// Needed when closing.
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    /// New follow-up date (ISO).
    #[serde(default)]
    pub follow_up_on: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentOut {
    pub id: i64,
    pub person_id: i64,
    pub recipient_org_id: String,
    pub recipient_name: String,
    pub purposes: Vec<String>,
    pub kinds: Vec<String>,
    pub starts_on: String,
    pub expires_on: String,
    pub part2_notice: bool,
    pub recorded_ms: i64,
    pub revoked_ms: Option<i64>,
    /// active, not_started, expired or revoked (now).
    pub state: String,
}

fn consent_out(c: &ConsentRow, today: jiff::civil::Date, now_ms: i64) -> ConsentOut {
    let k = &c.consent;
    let state = if k.revoked_ms.is_some_and(|ms| ms <= now_ms) {
        "revoked"
    } else if today > k.expires_on {
        "expired"
    } else if today < k.starts_on {
        "not_started"
    } else {
        "active"
    };
    ConsentOut {
        id: k.id,
        person_id: k.person_id,
        recipient_org_id: k.recipient_org_id.clone(),
        recipient_name: k.recipient_name.clone(),
        purposes: k.purposes.iter().map(|p| p.code().to_string()).collect(),
        kinds: k.kinds.iter().map(|p| p.code().to_string()).collect(),
        starts_on: k.starts_on.to_string(),
        expires_on: k.expires_on.to_string(),
        part2_notice: k.part2_notice,
        recorded_ms: c.recorded_ms,
        revoked_ms: k.revoked_ms,
        state: state.into(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    /// The recipient's directory organization id (optional).
    #[serde(default)]
    pub recipient_org_id: String,
    pub recipient_name: String,
    /// referral, care_coordination.
    pub purposes: Vec<String>,
    /// contact, referral_reason, recovery_goals, substance_use.
    pub kinds: Vec<String>,
    /// ISO date; today when empty.
    #[serde(default)]
    pub starts_on: String,
    pub expires_on: String,
    /// The person's typed name as their signature.
    pub signature: String,
    /// The 42 CFR Part 2 redisclosure notice was read with the person (needed for substance_use).
    #[serde(default)]
    pub part2_notice: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeIn {
    #[serde(default)]
    pub reason: String,
}

const BODY_FIELDS: &[&str] = &[
    "service_id", "program", "service_name", "organization_name", "phone", "person_choice", "reason", "goals", "substance_use", "follow_up_on", "share", "to", "outcome", "note",
    "recipient_org_id", "recipient_name", "purposes", "kinds", "starts_on", "expires_on", "signature", "part2_notice",
];

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        let name = msg.split('`').nth(1).unwrap_or("body");
        let field = BODY_FIELDS.iter().find(|k| **k == name).copied().unwrap_or("body");
        ApiError(AppError::Invalid(ValidationErrors(vec![FieldError::new(field, "error-body", msg)])))
    })
}

fn json_ok<T: Serialize>(status: StatusCode, v: &T) -> Response {
    (status, axum::Json(v)).into_response()
}

#[utoipa::path(get, path = "/api/v1/people/{id}/referrals", tag = "referrals", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Vec<ReferralOut>), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_list(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    if !ctx.user.roles.is_staff() {
        return Err(ApiError(AppError::NotFound));
    }
    app.store.record_view(ctx.entry("referral.list", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let mut out = vec![];
    for r in app.store.referrals_for_person(ctx.org(), id).await? {
        out.push(referral_out(&app, &r, Access::Sender { can_update: false }).await?);
    }
    Ok(json_ok(StatusCode::OK, &out))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/referrals", tag = "referrals", params(("id" = i64, Path, minimum = 1)), request_body = ReferralIn,
    responses((status = 201, body = ReferralOut), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Invalid, or no consent covers the information to share (field `share`; nothing was shared)", body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_casework(&app, &ctx, id).await?;
    let i: ReferralIn = parse_body(&body)?;
    let f = ReferralFormValues {
        service_id: i.service_id,
        program: i.program,
        service_name: i.service_name,
        organization_name: i.organization_name,
        phone: i.phone,
        person_choice: i.person_choice,
        reason: i.reason,
        goals: i.goals,
        substance_use: i.substance_use,
        follow_up_on: i.follow_up_on,
        share: i.share,
    };
    match make_referral(&app, &ctx, id, &f).await? {
        Ok(rid) => {
            let r = app.store.referral(rid).await?;
            let mut resp = json_ok(StatusCode::CREATED, &referral_out(&app, &r, Access::Sender { can_update: true }).await?);
            if let Ok(v) = header::HeaderValue::from_str(&format!("/api/v1/referrals/{rid}")) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        Err(nc) => Err(ApiError(AppError::Invalid(refusal_errors(&nc)))),
    }
}

#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "referrals", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = ReferralOut), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_get(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    let (r, access) = load_referral(&app, &ctx, id).await?;
    let action = if access == Access::Receiver { "referral.receiver_view" } else { "referral.view" };
    app.store.record_view(referral_entry(&app, &ctx, &r, action)).await;
    Ok(json_ok(StatusCode::OK, &referral_out(&app, &r, access).await?))
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/status", tag = "referrals", params(("id" = i64, Path, minimum = 1)), request_body = StatusIn,
    responses((status = 200, body = ReferralOut), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 409, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 422, description = "Not a move this side may make from the current status, or a closing without outcome and reason", body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_status(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    let (_, access) = load_referral(&app, &ctx, id).await?;
    let side = side_of(access)?;
    let i: StatusIn = parse_body(&body)?;
    let m = MoveInput { to: i.to, outcome: i.outcome, reason: i.reason, note: i.note, follow_up_on: i.follow_up_on };
    app.store.change_referral_status(id, side, ctx.org(), &m, &ctx.who()).await?;
    let r = app.store.referral(id).await?;
    Ok(json_ok(StatusCode::OK, &referral_out(&app, &r, access).await?))
}

#[utoipa::path(get, path = "/api/v1/people/{id}/consents", tag = "referrals", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = Vec<ConsentOut>), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 404, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_consents(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    app.store.record_view(ctx.entry("consent.list", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let at = app.store.consent_moment(ctx.org()).await?;
    let out: Vec<ConsentOut> = app.store.consents(ctx.org(), id).await?.iter().map(|c| consent_out(c, at.today, at.now_ms)).collect();
    Ok(json_ok(StatusCode::OK, &out))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/consents", tag = "referrals", params(("id" = i64, Path, minimum = 1)), request_body = ConsentIn,
    responses((status = 201, body = ConsentOut), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 403, body = crate::api::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 422, body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_create_consent(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_casework(&app, &ctx, id).await?;
    let i: ConsentIn = parse_body(&body)?;
    let mut input = ConsentInput {
        recipient_org_id: i.recipient_org_id,
        recipient_name: i.recipient_name,
        purposes: i.purposes,
        kinds: i.kinds,
        starts_on: i.starts_on,
        expires_on: i.expires_on,
        signature: i.signature,
        part2_notice: i.part2_notice,
    };
    resolve_recipient(&app, &mut input).await.map_err(AppError::Invalid)?;
    let at = app.store.consent_moment(ctx.org()).await?;
    let c = parse_consent(&input, at.today).map_err(AppError::Invalid)?;
    let cid = app.store.record_consent(ctx.org(), id, &c, &ctx.who()).await?;
    let row = app.store.consent_row(ctx.org(), cid).await?;
    Ok(json_ok(StatusCode::CREATED, &consent_out(&row, at.today, app.store.now_ms())))
}

#[utoipa::path(post, path = "/api/v1/consents/{id}/revoke", tag = "referrals", params(("id" = i64, Path, minimum = 1)), request_body = RevokeIn,
    responses((status = 200, body = ConsentOut), (status = 401, body = crate::api::Problem, content_type = "application/problem+json"),
              (status = 404, body = crate::api::Problem, content_type = "application/problem+json"), (status = 409, description = "Already revoked", body = crate::api::Problem, content_type = "application/problem+json")))]
pub async fn api_revoke(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    let c = app.store.consent_row(ctx.org(), id).await.map_err(|_| AppError::NotFound)?;
    let person = c.consent.person_id;
    let own = ctx.user.roles.has(Role::Peer) && ctx.user.person_id == Some(person);
    if !own {
        check_casework(&app, &ctx, person).await?;
    }
    let i: RevokeIn = if body.is_empty() { RevokeIn { reason: String::new() } } else { parse_body(&body)? };
    app.store.revoke_consent(ctx.org(), person, id, &i.reason, &ctx.who()).await?;
    let at = app.store.consent_moment(ctx.org()).await?;
    let row = app.store.consent_row(ctx.org(), id).await?;
    Ok(json_ok(StatusCode::OK, &consent_out(&row, at.today, at.now_ms)))
}
