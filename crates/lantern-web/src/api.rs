//! The JSON API, `/api/v1`. Wire types live here only (the domain does not
//! derive Serialize); the OpenAPI 3.1 document is generated from these types
//! and the `#[utoipa::path]` annotations, never written by hand.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lantern_domain::enrollment::{self, Stage, TransitionRequest};
use lantern_domain::person::{parse_profile, ProfileInput};
use lantern_domain::encounter;
use lantern_domain::policy::{decide, decide_note, decide_person, NoteAction, NoteFacts, OrgAction, PersonAction};
use lantern_store::encounters::NoteFilter;
use lantern_domain::validate::{FieldError, ValidationErrors};
use lantern_domain::Role;
use lantern_store::people::{CaseloadFilter, CaseloadRow, CaseloadSort, NewPerson, Person, Scope};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::error::{ApiError, AppError};
use crate::middleware::Ctx;
use crate::pages::{check_person, parse_id};
use crate::AppState;

type ApiResult = Result<Response, ApiError>;

/// RFC 9457 problem details.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Present on validation errors: one entry per field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

/// A person's record as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct PersonOut {
    pub id: i64,
    pub legal_name: String,
    pub preferred_name: String,
    pub pronouns: String,
    /// ISO date (YYYY-MM-DD).
    pub date_of_birth: Option<String>,
    pub languages: Vec<String>,
    /// Any of phone, text, email, mail, in_person.
    pub contact_methods: Vec<String>,
    pub phone: String,
    pub email: String,
    pub voicemail_ok: bool,
    pub contact_times: String,
    pub safe_contact_notes: String,
    pub strengths: String,
    pub cultural_preferences: String,
    pub what_helps: String,
    pub what_doesnt_help: String,
    /// outreach, engaged, active, maintenance, discharged or re_engagement.
    pub stage: String,
    pub stage_since: String,
    pub primary_specialist_id: Option<i64>,
    pub last_contact_on: Option<String>,
    /// Optimistic-concurrency version; also sent as the ETag.
    pub version: i64,
}

impl PersonOut {
    fn from(p: &Person) -> PersonOut {
        let pr = &p.profile;
        PersonOut {
            id: p.id,
            legal_name: pr.legal_name.clone(),
            preferred_name: pr.preferred_name.clone(),
            pronouns: pr.pronouns.clone(),
            date_of_birth: pr.date_of_birth.map(|d| d.to_string()),
            languages: pr.languages.clone(),
            contact_methods: pr.contact_methods.iter().map(|m| m.code().to_string()).collect(),
            phone: pr.phone.clone(),
            email: pr.email.clone(),
            voicemail_ok: pr.voicemail_ok,
            contact_times: pr.contact_times.clone(),
            safe_contact_notes: pr.safe_contact_notes.clone(),
            strengths: pr.strengths.clone(),
            cultural_preferences: pr.cultural_preferences.clone(),
            what_helps: pr.what_helps.clone(),
            what_doesnt_help: pr.what_doesnt_help.clone(),
            stage: p.stage.code().into(),
            stage_since: p.stage_since.to_string(),
            primary_specialist_id: p.primary_specialist_id,
            last_contact_on: p.last_contact_on.map(|d| d.to_string()),
            version: p.version,
        }
    }
}

/// Fields of a person that can be written. On PATCH, absent fields keep their value.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PersonIn {
    pub legal_name: Option<String>,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    /// ISO date (YYYY-MM-DD) or empty.
    pub date_of_birth: Option<String>,
    pub languages: Option<Vec<String>>,
    pub contact_methods: Option<Vec<String>>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub voicemail_ok: Option<bool>,
    pub contact_times: Option<String>,
    pub safe_contact_notes: Option<String>,
    pub strengths: Option<String>,
    pub cultural_preferences: Option<String>,
    pub what_helps: Option<String>,
    pub what_doesnt_help: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseloadItem {
    pub id: i64,
    /// The name the person goes by.
    pub name: String,
    pub legal_name: String,
    pub pronouns: String,
    pub stage: String,
    pub stage_since: String,
    pub last_contact_on: Option<String>,
    pub specialist_name: Option<String>,
}

impl CaseloadItem {
    fn from(r: &CaseloadRow) -> CaseloadItem {
        CaseloadItem {
            id: r.id,
            name: if r.preferred_name.is_empty() { r.legal_name.clone() } else { r.preferred_name.clone() },
            legal_name: r.legal_name.clone(),
            pronouns: r.pronouns.clone(),
            stage: r.stage.code().into(),
            stage_since: r.stage_since.to_string(),
            last_contact_on: r.last_contact_on.map(|d| d.to_string()),
            specialist_name: r.specialist_name.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseloadPage {
    pub items: Vec<CaseloadItem>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentIn {
    /// The stage to move to.
    pub to: String,
    /// ISO date of the change; today (organization time zone) when absent.
    pub on: Option<String>,
    /// Needed for discharge and re-engagement.
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub person_id: Option<i64>,
    pub organization_id: i64,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Lantern API", version = "1", description = "Peer support records: people, enrollment, caseloads, encounter notes and the language assistant. Authenticate with `Authorization: Bearer TOKEN` (`lantern token create --user EMAIL`). Errors are RFC 9457 problem+json."),
    paths(me, caseload, list_people, create_person, get_person, update_person, change_enrollment, language_check, language_dismiss, crate::language::get_settings, crate::language::put_settings, note_options, create_note, list_notes, get_note, update_note, sign_note, cosign_note, return_note, add_addendum, crate::safety_plan::api_get, crate::safety_plan::api_put, crate::directory::api_search,
        crate::referrals::api_list, crate::referrals::api_create, crate::referrals::api_get, crate::referrals::api_status, crate::referrals::api_consents, crate::referrals::api_create_consent, crate::referrals::api_revoke,
        crate::team::api_team, crate::team::api_add_provider, crate::team::api_share, crate::team::api_tasks, crate::team::api_create_task, crate::team::api_task_done,
        crate::team::api_handoffs, crate::team::api_hand_over, crate::team::api_acknowledge,
        crate::crisis::api_list, crate::crisis::api_create, crate::crisis::api_get, crate::crisis::api_close, crate::crisis::api_follow_up,
        crate::growth::api_profile, crate::growth::api_staff_profile, crate::growth::api_self_assess, crate::growth::api_rate, crate::growth::api_add_goal, crate::growth::api_sessions, crate::growth::api_create_session, crate::growth::api_session, crate::growth::api_add_item, crate::growth::api_sign, crate::growth::api_boundaries, crate::growth::api_create_boundary, crate::growth::api_checkins, crate::growth::api_add_checkin, crate::growth::api_selfcare_aggregate,
        crate::certifications::api_frameworks, crate::certifications::api_rules, crate::certifications::api_mine, crate::certifications::api_staff, crate::certifications::api_create_credential, crate::certifications::api_create_training, crate::certifications::api_expiring,
        crate::recovery_plan::api_get, crate::recovery_plan::api_put, crate::recovery_plan::api_agree, crate::recovery_plan::api_versions, crate::recovery_plan::api_compare, crate::recovery_plan::api_milestones, crate::recovery_plan::api_add_milestone,
        crate::wellness::api_get_wellness, crate::wellness::api_put_wellness, crate::wellness::api_get_pad, crate::wellness::api_put_pad, crate::wellness::api_get_pad_document, crate::wellness::api_put_pad_document, crate::wellness::api_get_advocacy, crate::wellness::api_put_advocacy,
        crate::practice::api_next, crate::practice::api_answer, crate::practice::api_progress, crate::practice::api_blueprints, crate::practice::api_start, crate::practice::api_exam, crate::practice::api_exam_answer, crate::practice::api_finish, crate::practice::api_questions,
        crate::growth::api_supervision_settings, crate::growth::api_put_supervision_settings),
    components(schemas(Problem, FieldProblem, PersonOut, PersonIn, CaseloadItem, CaseloadPage, EnrollmentIn, MeOut, LanguageIn, LanguageOut, LanguageFlag, DistressOut, DistressCue, DismissalIn, crate::language::LanguageSettingsDto, NoteIn, NoteOut, NoteList, SignatureOut, AddendumOut, ReturnIn, AddendumIn, NoteOptions, ServiceCodeOut, ActivityTypeOut, crate::safety_plan::SafetyPlanJson, crate::safety_plan::ContactJson, crate::directory::SearchOut, crate::directory::ResultOut,
        crate::referrals::ReferralOut, crate::referrals::ReferralIn, crate::referrals::StatusIn, crate::referrals::ConsentOut, crate::referrals::ConsentIn, crate::referrals::RevokeIn,
        crate::team::MemberOut, crate::team::ProviderOut, crate::team::TeamOut, crate::team::ProviderIn, crate::team::ShareIn, crate::team::ShareOut, crate::team::TaskIn, crate::team::TaskOut,
        crate::team::HandoffOut, crate::team::HandoffIn, crate::team::HandoffResult, crate::crisis::CrisisOut, crate::crisis::CrisisIn, crate::crisis::CrisisCreated, crate::crisis::CloseIn,
        crate::growth::TrendPoint, crate::growth::ExampleNote, crate::growth::RatingOut, crate::growth::ProfileCategoryOut, crate::growth::GoalOut, crate::growth::HistoryOut, crate::growth::ProfileOut, crate::growth::AssessmentIn, crate::growth::CreatedOut, crate::growth::GoalIn, crate::growth::SessionSummaryOut, crate::growth::SessionsOut, crate::growth::SessionIn, crate::growth::ItemOut, crate::growth::SessionSignatureOut, crate::growth::SessionOut, crate::growth::ItemIn, crate::growth::BoundaryOut, crate::growth::BoundaryIn, crate::growth::CheckInOut, crate::growth::CheckInIn, crate::growth::AggregateOut,
        crate::certifications::FrameworkOut, crate::certifications::CategoryOut, crate::certifications::StatementOut, crate::certifications::RuleOut, crate::certifications::MinimumOut, crate::certifications::CertificationsOut, crate::certifications::CredentialOut, crate::certifications::ProgressOut, crate::certifications::MinimumProgressOut, crate::certifications::TrainingStatusOut, crate::certifications::TrainingOut, crate::certifications::CredentialIn, crate::certifications::TrainingIn, crate::certifications::CertificateIn, crate::certifications::ExpiringOut,
        crate::recovery_plan::StepJson, crate::recovery_plan::GoalJson, crate::recovery_plan::PlanJson, crate::recovery_plan::DraftJson, crate::recovery_plan::VersionJson, crate::recovery_plan::RecoveryPlanJson, crate::recovery_plan::PutDraftJson, crate::recovery_plan::AgreeJson, crate::recovery_plan::AgreedJson, crate::recovery_plan::ChangeJson, crate::recovery_plan::MilestoneJson,
        crate::wellness::WellnessPlanJson, crate::wellness::AdvanceDirectiveJson, crate::wellness::DocumentJson, crate::wellness::AdvocacyPlanJson, crate::wellness::LinkJson,
        crate::practice::PracticeQuestionOut, crate::practice::PracticeNextOut, crate::practice::PracticeAnswerIn, crate::practice::PracticeAnswerOut, crate::practice::PracticeDomainAccuracyOut, crate::practice::PracticeProgressOut, crate::practice::ExamBlueprintOut, crate::practice::ExamStartIn, crate::practice::ExamQuestionOut, crate::practice::ExamDomainScoreOut, crate::practice::ExamAttemptOut, crate::practice::ExamAnswerIn, crate::practice::BankQuestionOut,
        crate::growth::SupervisionSettingsJson)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The generated OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Response {
    match openapi().to_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => ApiError(AppError::Internal(e.to_string())).into_response(),
    }
}

fn json_ok<T: Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("body").to_string();
        ApiError(AppError::Invalid(ValidationErrors(vec![FieldError { field: leak_field(&field), key: "error-body", detail: msg }])))
    })
}

/// Field names in errors are `&'static str`; body fields come from a fixed set, so map them.
fn leak_field(name: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "text",
        "rule",
        "reason",
        "legal_name", "preferred_name", "pronouns", "date_of_birth", "languages", "contact_methods", "phone", "email", "voicemail_ok",
        "contact_times", "safe_contact_notes", "strengths", "cultural_preferences", "what_helps", "what_doesnt_help", "to", "on", "reason",
        "kind", "modality", "setting", "date", "start", "end", "service_code_id", "activities", "what_we_did", "purpose", "how_it_went", "next_steps", "comment", "body",
    ];
    KNOWN.iter().find(|k| **k == name).copied().unwrap_or("body")
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

fn with_etag(mut r: Response, version: i64) -> Response {
    if let Ok(v) = header::HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

fn query_pairs(raw: &Option<String>) -> Result<Vec<(String, String)>, ApiError> {
    match raw.as_deref() {
        None | Some("") => Ok(vec![]),
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| ApiError(AppError::BadRequest("the query string could not be read".into()))),
    }
}

fn invalid(field: &'static str, detail: &str) -> ApiError {
    ApiError(AppError::Invalid(ValidationErrors(vec![FieldError::new(field, "error-query", detail)])))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = MeOut), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn me(ctx: Ctx) -> ApiResult {
    Ok(json_ok(StatusCode::OK, &MeOut {
        id: ctx.user.id,
        email: ctx.user.email.clone(),
        display_name: ctx.user.display_name.clone(),
        roles: ctx.user.roles.iter().map(|r| r.as_str().to_string()).collect(),
        person_id: ctx.user.person_id,
        organization_id: ctx.user.org_id,
    }))
}

async fn list(app: &AppState, ctx: &Ctx, raw: &Option<String>, default_scope: Scope) -> ApiResult {
    let pairs = query_pairs(raw)?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let stage = match get("stage") {
        None | Some("") => None,
        Some(s) => Some(Stage::parse(s).ok_or_else(|| invalid("stage", "must be one of outreach, engaged, active, maintenance, discharged, re_engagement"))?),
    };
    let sort = CaseloadSort::parse(get("sort").unwrap_or("")).ok_or_else(|| invalid("sort", "must be name, last_contact or stage"))?;
    let num = |k: &'static str, default: i64, max: i64| -> Result<i64, ApiError> {
        match get(k) {
            None | Some("") => Ok(default),
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0 && *n <= max).ok_or_else(|| invalid(k, &format!("must be a whole number from 0 to {max}"))),
        }
    };
    let limit = num("limit", 100, 500)?;
    let offset = num("offset", 0, 10_000_000)?;
    let days = match get("not_contacted_days") {
        None | Some("") => None,
        Some(_) => Some(num("not_contacted_days", 0, 3650)?),
    };
    let today = app.store.today(ctx.org()).await?;
    let q: String = get("q").unwrap_or("").chars().take(100).collect();
    let filter = CaseloadFilter {
        q,
        stage,
        not_contacted_since: days.and_then(|d| today.checked_sub(jiff::Span::new().days(d)).ok()),
        include_discharged: get("include_discharged") == Some("true") || stage == Some(Stage::Discharged),
        sort,
        limit: limit.max(1),
        offset,
    };
    let (rows, total) = app.store.caseload(ctx.org(), default_scope, &filter).await?;
    app.store.record_view(ctx.entry("caseload.view", None, "caseload", "api", "ok", app.store.now_ms())).await;
    Ok(json_ok(StatusCode::OK, &CaseloadPage { items: rows.iter().map(CaseloadItem::from).collect(), total, limit: filter.limit, offset }))
}

#[utoipa::path(get, path = "/api/v1/caseload", tag = "people",
    params(("q" = Option<String>, Query, description = "Name contains"), ("stage" = Option<String>, Query), ("not_contacted_days" = Option<i64>, Query, minimum = 0, maximum = 3650),
           ("sort" = Option<String>, Query, description = "name, last_contact or stage"), ("include_discharged" = Option<bool>, Query),
           ("limit" = Option<i64>, Query, minimum = 0, maximum = 500), ("offset" = Option<i64>, Query, minimum = 0, maximum = 10000000)),
    responses((status = 200, body = CaseloadPage), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn caseload(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> ApiResult {
    list(&app, &ctx, &raw, Scope::Mine(ctx.user.id)).await
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    params(("q" = Option<String>, Query, description = "Name contains"), ("stage" = Option<String>, Query), ("not_contacted_days" = Option<i64>, Query, minimum = 0, maximum = 3650),
           ("sort" = Option<String>, Query, description = "name, last_contact or stage"), ("include_discharged" = Option<bool>, Query),
           ("limit" = Option<i64>, Query, minimum = 0, maximum = 500), ("offset" = Option<i64>, Query, minimum = 0, maximum = 10000000)),
    responses((status = 200, description = "Everyone the caller may see: admins the organization, supervisors their team, specialists their caseload", body = CaseloadPage),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_people(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> ApiResult {
    let scope = if decide(&ctx.actor, OrgAction::ViewAllPeople).is_allowed() {
        Scope::Org
    } else if decide(&ctx.actor, OrgAction::ViewTeamCaseloads).is_allowed() {
        Scope::Team(ctx.user.id)
    } else {
        Scope::Mine(ctx.user.id)
    };
    list(&app, &ctx, &raw, scope).await
}

fn merge(base: ProfileInput, p: PersonIn) -> ProfileInput {
    ProfileInput {
        legal_name: p.legal_name.unwrap_or(base.legal_name),
        preferred_name: p.preferred_name.unwrap_or(base.preferred_name),
        pronouns: p.pronouns.unwrap_or(base.pronouns),
        date_of_birth: p.date_of_birth.unwrap_or(base.date_of_birth),
        languages: p.languages.map(|l| l.join(",")).unwrap_or(base.languages),
        contact_methods: p.contact_methods.unwrap_or(base.contact_methods),
        phone: p.phone.unwrap_or(base.phone),
        email: p.email.unwrap_or(base.email),
        voicemail_ok: p.voicemail_ok.unwrap_or(base.voicemail_ok),
        contact_times: p.contact_times.unwrap_or(base.contact_times),
        safe_contact_notes: p.safe_contact_notes.unwrap_or(base.safe_contact_notes),
        strengths: p.strengths.unwrap_or(base.strengths),
        cultural_preferences: p.cultural_preferences.unwrap_or(base.cultural_preferences),
        what_helps: p.what_helps.unwrap_or(base.what_helps),
        what_doesnt_help: p.what_doesnt_help.unwrap_or(base.what_doesnt_help),
    }
}

fn input_of(p: &Person) -> ProfileInput {
    let pr = &p.profile;
    ProfileInput {
        legal_name: pr.legal_name.clone(),
        preferred_name: pr.preferred_name.clone(),
        pronouns: pr.pronouns.clone(),
        date_of_birth: pr.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        languages: pr.languages.join(","),
        contact_methods: pr.contact_methods.iter().map(|m| m.code().to_string()).collect(),
        phone: pr.phone.clone(),
        email: pr.email.clone(),
        voicemail_ok: pr.voicemail_ok,
        contact_times: pr.contact_times.clone(),
        safe_contact_notes: pr.safe_contact_notes.clone(),
        strengths: pr.strengths.clone(),
        cultural_preferences: pr.cultural_preferences.clone(),
        what_helps: pr.what_helps.clone(),
        what_doesnt_help: pr.what_doesnt_help.clone(),
    }
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = PersonIn,
    responses((status = 201, body = PersonOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_person(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> ApiResult {
    if !decide(&ctx.actor, OrgAction::CreatePerson).is_allowed() {
        return Err(ApiError(AppError::Forbidden));
    }
    let input: PersonIn = parse_body(&body)?;
    let today = app.store.today(ctx.org()).await?;
    let profile = parse_profile(&merge(ProfileInput::default(), input), today).map_err(AppError::Invalid)?;
    let primary = ctx.user.roles.has(Role::Specialist).then_some(ctx.user.id);
    let care_team = if primary.is_none() { vec![(ctx.user.id, lantern_domain::care_team::TeamRole::Other.code().to_string())] } else { vec![] };
    let id = app.store.create_person(&NewPerson { org_id: ctx.org(), profile, stage: Stage::Outreach, since: today, primary_specialist_id: primary, care_team }, &ctx.who()).await?;
    let p = app.store.person(ctx.org(), id).await?;
    let mut r = with_etag(json_ok(StatusCode::CREATED, &PersonOut::from(&p)), p.version);
    if let Ok(v) = header::HeaderValue::from_str(&format!("/api/v1/people/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = PersonOut, headers(("ETag" = String))), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_person(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::View).await?;
    app.store.record_view(ctx.entry("person.view", Some(id), "person", &id.to_string(), "ok", app.store.now_ms())).await;
    let p = app.store.person(ctx.org(), id).await?;
    Ok(with_etag(json_ok(StatusCode::OK, &PersonOut::from(&p)), p.version))
}

#[utoipa::path(patch, path = "/api/v1/people/{id}", tag = "people", params(("id" = i64, Path, minimum = 1), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body = PersonIn,
    responses((status = 200, body = PersonOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 428, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_person(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::EditProfile).await?;
    let input: PersonIn = parse_body(&body)?;
    let Some(if_match) = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) else {
        return Err(ApiError(AppError::PreconditionRequired("send If-Match with the ETag from your last read, so nobody's changes are overwritten".into())));
    };
    let current = app.store.person(ctx.org(), id).await?;
    let expected = if if_match.trim() == "*" { Some(current.version) } else { if_match.trim().trim_start_matches("W/").trim_matches('"').trim_start_matches('v').parse::<i64>().ok() };
    if expected != Some(current.version) {
        return Err(ApiError(AppError::PreconditionFailed(format!("the record changed since you read it (now {})", etag(current.version)))));
    }
    let today = app.store.today(ctx.org()).await?;
    let profile = parse_profile(&merge(input_of(&current), input), today).map_err(AppError::Invalid)?;
    match app.store.update_profile(ctx.org(), id, &profile, current.version, &ctx.who()).await {
        Ok(_) => {}
        Err(lantern_store::StoreError::Conflict(m)) => return Err(ApiError(AppError::PreconditionFailed(m))),
        Err(e) => return Err(e.into()),
    }
    let p = app.store.person(ctx.org(), id).await?;
    Ok(with_etag(json_ok(StatusCode::OK, &PersonOut::from(&p)), p.version))
}

#[utoipa::path(post, path = "/api/v1/people/{id}/enrollment", tag = "people", params(("id" = i64, Path, minimum = 1)), request_body = EnrollmentIn,
    responses((status = 200, body = PersonOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 400, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn change_enrollment(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    check_person(&app, &ctx, id, PersonAction::ChangeEnrollment).await?;
    let input: EnrollmentIn = parse_body(&body)?;
    let p = app.store.person(ctx.org(), id).await?;
    let today = app.store.today(ctx.org()).await?;
    let to = Stage::parse(&input.to).ok_or_else(|| invalid("to", "must be one of outreach, engaged, active, maintenance, discharged, re_engagement"))?;
    let on = match input.on.as_deref() {
        None | Some("") => today,
        Some(s) => s.parse().map_err(|_| invalid("on", "must be a date like 2026-03-01"))?,
    };
    let t = enrollment::transition(p.stage, p.stage_since, TransitionRequest { to, on, reason: input.reason.unwrap_or_default() }, today)
        .map_err(|e| ApiError(AppError::Invalid(ValidationErrors(vec![FieldError::new(e.field(), "error-enrollment", e.to_string())]))))?;
    app.store.change_enrollment(ctx.org(), id, &t, &ctx.who()).await?;
    let p = app.store.person(ctx.org(), id).await?;
    Ok(with_etag(json_ok(StatusCode::OK, &PersonOut::from(&p)), p.version))
}

/// Text to check.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageIn {
    /// Up to 100,000 characters.
    #[schema(max_length = 100000)]
    pub text: String,
}

/// One wording suggestion. `start`/`end` are UTF-8 byte offsets; `start_utf16`/`end_utf16` are for browsers.
#[derive(Serialize, ToSchema)]
pub struct LanguageFlag {
    pub start: usize,
    pub end: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub text: String,
    pub rule: String,
    pub category: String,
    /// warn or info
    pub severity: String,
    pub suggestions: Vec<String>,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct DistressCue {
    pub start: usize,
    pub end: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    pub text: String,
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct DistressOut {
    pub flagged: bool,
    /// concern, urgent, or null
    pub level: Option<String>,
    pub cues: Vec<DistressCue>,
}

#[derive(Serialize, ToSchema)]
pub struct LanguageOut {
    pub flags: Vec<LanguageFlag>,
    pub distress: DistressOut,
}

/// Converts a checker report to the wire form, with UTF-16 offsets for the browser.
pub fn language_out(text: &str, report: &lantern_language::Report) -> LanguageOut {
    let idx = lantern_language::Utf16Index::new(text);
    LanguageOut {
        flags: report
            .flags
            .iter()
            .map(|f| LanguageFlag {
                start: f.start,
                end: f.end,
                start_utf16: idx.get(f.start),
                end_utf16: idx.get(f.end),
                text: f.text.clone(),
                rule: f.rule.clone(),
                category: f.category.clone(),
                severity: match f.severity {
                    lantern_language::Severity::Warn => "warn".into(),
                    lantern_language::Severity::Info => "info".into(),
                },
                suggestions: f.suggestions.clone(),
                reason: f.reason.clone(),
            })
            .collect(),
        distress: DistressOut {
            flagged: report.distress.flagged,
            level: report.distress.level.map(|l| l.as_str().to_string()),
            cues: report
                .distress
                .cues
                .iter()
                .map(|c| DistressCue { start: c.start, end: c.end, start_utf16: idx.get(c.start), end_utf16: idx.get(c.end), text: c.text.clone(), kind: c.kind.clone() })
                .collect(),
        },
    }
}

// ----- encounter notes -------------------------------------------------------

/// A note's content as sent by the API. On PATCH, absent fields keep their value.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// individual or attempted_contact (group notes are written from the group page).
    pub kind: Option<String>,
    /// in_person, phone, video or text.
    pub modality: Option<String>,
    pub setting: Option<String>,
    /// ISO date (YYYY-MM-DD) of the encounter.
    pub date: Option<String>,
    /// Local start time (HH:MM) in the organization's time zone.
    pub start: Option<String>,
    /// Local end time (HH:MM).
    pub end: Option<String>,
    /// A service code id (see GET /api/v1/note-options); null for a note that is not billed.
    pub service_code_id: Option<Option<i64>>,
    /// Activity type codes.
    pub activities: Option<Vec<String>>,
    pub what_we_did: Option<String>,
    pub purpose: Option<String>,
    pub how_it_went: Option<String>,
    pub next_steps: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignatureOut {
    /// sign, cosign or return.
    pub kind: String,
    pub name: String,
    pub credentials: String,
    pub at_ms: i64,
    /// SHA-256 (hex) of the signed content.
    pub content_hash: String,
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct AddendumOut {
    pub id: i64,
    pub author_name: String,
    pub credentials: String,
    pub body: String,
    pub at_ms: i64,
    pub content_hash: String,
    /// The corrected times, when this addendum corrects them; units and reports use them.
    pub corrected_start: Option<String>,
    pub corrected_end: Option<String>,
    pub corrected_minutes: Option<i64>,
}

/// A note as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct NoteOut {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub author_id: i64,
    pub author_name: String,
    pub group_id: Option<i64>,
    pub kind: String,
    pub modality: Option<String>,
    pub setting: String,
    pub date: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub minutes: Option<i64>,
    pub service_code_id: Option<i64>,
    pub activities: Vec<String>,
    pub what_we_did: String,
    pub purpose: String,
    pub how_it_went: String,
    pub next_steps: String,
    /// For group notes: a line only this person's record carries.
    pub private_line: String,
    /// draft, signed, awaiting_cosign, cosigned or returned.
    pub status: String,
    pub returned_comment: String,
    pub late_entry: bool,
    pub content_hash: String,
    pub units: i64,
    pub billed_units: i64,
    pub over_cap_units: i64,
    /// Optimistic-concurrency version; also sent as the ETag.
    pub version: i64,
    /// What a billable note still needs before it can be signed.
    pub missing: Vec<String>,
    pub signatures: Vec<SignatureOut>,
    pub addenda: Vec<AddendumOut>,
}

fn note_out(n: &lantern_store::encounters::Note, credentials: &str, sigs: Vec<SignatureOut>, adds: Vec<AddendumOut>) -> NoteOut {
    let c = &n.content;
    NoteOut {
        id: n.id,
        person_id: n.person_id,
        person_name: n.person_name.clone(),
        author_id: n.author_id,
        author_name: n.author_name.clone(),
        group_id: n.group_id,
        kind: c.kind.code().into(),
        modality: c.modality.map(|m| m.code().into()),
        setting: c.setting.clone(),
        date: c.date.map(|d| d.to_string()),
        start: c.start.map(|t| t.strftime("%H:%M").to_string()),
        end: c.end.map(|t| t.strftime("%H:%M").to_string()),
        minutes: c.minutes,
        service_code_id: c.service_code,
        activities: c.activities.clone(),
        what_we_did: c.narrative.what_we_did.clone(),
        purpose: c.narrative.purpose.clone(),
        how_it_went: c.narrative.how_it_went.clone(),
        next_steps: c.narrative.next_steps.clone(),
        private_line: n.private_line.clone(),
        status: n.status.code().into(),
        returned_comment: n.returned_comment.clone(),
        late_entry: n.late_entry,
        content_hash: n.content_hash.clone(),
        units: n.units,
        billed_units: n.billed_units,
        over_cap_units: n.over_cap_units,
        version: n.version,
        missing: if n.status.editable() { encounter::completeness(c, true, credentials).iter().map(|m| m.field().to_string()).collect() } else { vec![] },
        signatures: sigs,
        addenda: adds,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnIn {
    /// What should change.
    pub comment: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddendumIn {
    pub body: String,
    /// Corrected start time ("14:00") on the note's date; give both or neither.
    #[serde(default)]
    pub corrected_start: String,
    /// Corrected end time ("14:45").
    #[serde(default)]
    pub corrected_end: String,
}

#[derive(Serialize, ToSchema)]
pub struct NoteList {
    pub items: Vec<NoteOut>,
}

fn note_input(base: Option<&lantern_store::encounters::Note>, p: NoteIn) -> encounter::NoteInput {
    let b = base.map(|n| {
        let c = &n.content;
        encounter::NoteInput {
            kind: c.kind.code().into(),
            modality: c.modality.map(|m| m.code().to_string()).unwrap_or_default(),
            setting: c.setting.clone(),
            date: c.date.map(|d| d.to_string()).unwrap_or_default(),
            start: c.start.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default(),
            end: c.end.map(|t| t.strftime("%H:%M").to_string()).unwrap_or_default(),
            service_code: c.service_code,
            activities: c.activities.clone(),
            narrative: c.narrative.clone(),
        }
    });
    let b = b.unwrap_or_default();
    encounter::NoteInput {
        kind: p.kind.unwrap_or(b.kind),
        modality: p.modality.unwrap_or(b.modality),
        setting: p.setting.unwrap_or(b.setting),
        date: p.date.unwrap_or(b.date),
        start: p.start.unwrap_or(b.start),
        end: p.end.unwrap_or(b.end),
        service_code: p.service_code_id.unwrap_or(b.service_code),
        activities: p.activities.unwrap_or(b.activities),
        narrative: encounter::Narrative {
            what_we_did: p.what_we_did.unwrap_or(b.narrative.what_we_did),
            purpose: p.purpose.unwrap_or(b.narrative.purpose),
            how_it_went: p.how_it_went.unwrap_or(b.narrative.how_it_went),
            next_steps: p.next_steps.unwrap_or(b.narrative.next_steps),
        },
    }
}

#[utoipa::path(post, path = "/api/v1/language/check", tag = "language", request_body = LanguageIn,
    responses((status = 200, body = LanguageOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn language_check(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> ApiResult {
    let input: LanguageIn = parse_body(&body)?;
    if input.text.chars().count() > 100_000 {
        return Err(invalid("text", "must be at most 100,000 characters"));
    }
    let report = app.checker_for(ctx.org()).await.check(&input.text);
    Ok(json_ok(StatusCode::OK, &language_out(&input.text, &report)))
}

/// A suggestion someone chose not to take, recorded to tune the rules.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissalIn {
    #[schema(max_length = 100)]
    pub rule: String,
    #[schema(max_length = 500)]
    pub text: String,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/language/dismissals", tag = "language", request_body = DismissalIn,
    responses((status = 204, description = "Recorded"), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn language_dismiss(State(app): State<AppState>, ctx: Ctx, body: Bytes) -> ApiResult {
    let input: DismissalIn = parse_body(&body)?;
    let rule = input.rule.trim();
    if rule.is_empty() || rule.chars().count() > 100 {
        return Err(invalid("rule", "must be a rule id (1 to 100 characters)"));
    }
    if input.text.chars().count() > 500 {
        return Err(invalid("text", "must be at most 500 characters"));
    }
    let reason: String = input.reason.unwrap_or_default().chars().take(500).collect();
    app.store.record_dismissal(ctx.org(), ctx.user.id, rule, &input.text, &reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn parse_note_in(app: &AppState, ctx: &Ctx, input: &encounter::NoteInput, creating: bool) -> Result<encounter::NoteContent, ApiError> {
    let org = app.store.org_cached(ctx.org()).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = app.store.today(ctx.org()).await?;
    let c = encounter::parse_note(input, &tz, today).map_err(AppError::Invalid)?;
    if creating && c.kind == encounter::Kind::Group {
        return Err(invalid("kind", "group notes are written for all attendees at once on the group note page"));
    }
    Ok(c)
}

async fn note_response(app: &AppState, ctx: &Ctx, id: i64, status: StatusCode) -> ApiResult {
    let n = app.store.note(ctx.org(), id).await?;
    let sigs = app.store.signatures(id).await?.into_iter().map(|s| SignatureOut { kind: s.kind, name: s.name, credentials: s.credentials, at_ms: s.at_ms, content_hash: s.content_hash, comment: s.comment }).collect();
    let adds = app.store.addenda(id).await?.into_iter().map(|a| {
        let (corrected_start, corrected_end, corrected_minutes) = match a.corrected {
            Some((s, e, m)) => (Some(s), Some(e), Some(m)),
            None => (None, None, None),
        };
        AddendumOut { id: a.id, author_name: a.author_name, credentials: a.credentials, body: a.body, at_ms: a.at_ms, content_hash: a.content_hash, corrected_start, corrected_end, corrected_minutes }
    }).collect();
    let out = note_out(&n, &ctx.user.credentials, sigs, adds);
    Ok(with_etag(json_ok(status, &out), n.version))
}

/// Loads a note and asks the policy; a refusal is "not found" (and audited).
async fn note_for(app: &AppState, ctx: &Ctx, id: i64, action: NoteAction) -> Result<lantern_store::encounters::Note, ApiError> {
    let n = app.store.note(ctx.org(), id).await?;
    let person = app.store.person_facts(&ctx.actor, n.person_id).await?;
    let facts = app.store.note_facts(ctx.org(), ctx.user.id, &n).await?;
    if decide_note(&ctx.actor, action, &person, &facts).is_allowed() && (action != NoteAction::View || n.status.is_signed() || facts.is_author || facts.supervises_author) {
        Ok(n)
    } else {
        app.store.record_event(ctx.entry("encounter.access", Some(n.person_id), "encounter", &id.to_string(), "denied", app.store.now_ms())).await?;
        Err(ApiError(AppError::NotFound))
    }
}

fn expected_version(headers: &HeaderMap) -> Option<Option<i64>> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).map(|s| s.trim().trim_start_matches("W/").trim_matches('"').trim_start_matches('v').parse::<i64>().ok())
}

#[utoipa::path(post, path = "/api/v1/people/{id}/notes", tag = "notes", params(("id" = i64, Path, minimum = 1)), request_body = NoteIn,
    responses((status = 201, body = NoteOut, headers(("ETag" = String))), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn create_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let person_id = parse_id(&raw)?;
    let facts = check_person(&app, &ctx, person_id, PersonAction::View).await?;
    if !decide_note(&ctx.actor, NoteAction::Write, &facts, &NoteFacts::default()).is_allowed() {
        return Err(ApiError(AppError::NotFound));
    }
    let input: NoteIn = parse_body(&body)?;
    let content = parse_note_in(&app, &ctx, &note_input(None, input), true).await?;
    let id = app.store.create_note(ctx.org(), person_id, ctx.user.id, &content, &ctx.who()).await?;
    let mut r = note_response(&app, &ctx, id, StatusCode::CREATED).await?;
    if let Ok(v) = header::HeaderValue::from_str(&format!("/api/v1/notes/{id}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

#[utoipa::path(get, path = "/api/v1/notes", tag = "notes",
    params(("person_id" = Option<i64>, Query), ("author_id" = Option<i64>, Query, description = "Defaults to the caller unless person_id is given"),
           ("from" = Option<String>, Query, description = "ISO date, inclusive"), ("to" = Option<String>, Query, description = "ISO date, inclusive"),
           ("status" = Option<String>, Query)),
    responses((status = 200, body = NoteList), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_notes(State(app): State<AppState>, ctx: Ctx, RawQuery(raw): RawQuery) -> ApiResult {
    let pairs = query_pairs(&raw)?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let id_of = |k: &'static str| -> Result<Option<i64>, ApiError> { get(k).map(|v| v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| invalid(k, "must be a positive whole number"))).transpose() };
    let date_of = |k: &'static str| -> Result<Option<jiff::civil::Date>, ApiError> { get(k).map(|v| v.parse().map_err(|_| invalid(k, "must be a date like 2026-03-01"))).transpose() };
    let person_id = id_of("person_id")?;
    let mut author_id = id_of("author_id")?;
    let (from, to) = (date_of("from")?, date_of("to")?);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(invalid("to", "the end of the range is before its start"));
        }
    }
    let status = get("status").map(|s| encounter::Status::parse(s).ok_or_else(|| invalid("status", "must be draft, signed, awaiting_cosign, cosigned or returned"))).transpose()?;
    match person_id {
        Some(p) => {
            check_person(&app, &ctx, p, PersonAction::View).await?;
        }
        None => {
            let a = *author_id.get_or_insert(ctx.user.id);
            let admin = ctx.user.roles.has(Role::Admin);
            if a != ctx.user.id && !admin && !app.store.supervisees(ctx.user.id).await?.iter().any(|u| u.id == a) {
                return Err(ApiError(AppError::NotFound));
            }
        }
    }
    let notes = app.store.notes(ctx.org(), &NoteFilter { person_id, author_id, from, to, status, statuses: vec![], limit: 1000, offset: 0, unsigned_only_by: None }).await?;
    let mut items = Vec::new();
    for n in &notes {
        // Within a visible record, drafts belong to their author.
        if !(n.status.is_signed() || n.author_id == ctx.user.id) {
            continue;
        }
        if person_id.is_none() {
            let facts = app.store.person_facts(&ctx.actor, n.person_id).await?;
            if !decide_person(&ctx.actor, PersonAction::View, &facts).is_allowed() && n.author_id != ctx.user.id {
                continue;
            }
        }
        items.push(note_out(n, &ctx.user.credentials, vec![], vec![]));
    }
    app.store.record_view(ctx.entry("encounter.list", person_id, "encounter", "list", "ok", app.store.now_ms())).await;
    Ok(json_ok(StatusCode::OK, &NoteList { items }))
}

#[utoipa::path(get, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = NoteOut, headers(("ETag" = String))), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    let id = parse_id(&raw)?;
    let n = note_for(&app, &ctx, id, NoteAction::View).await?;
    app.store.record_view(ctx.entry("encounter.view", Some(n.person_id), "encounter", &id.to_string(), "ok", app.store.now_ms())).await;
    note_response(&app, &ctx, id, StatusCode::OK).await
}

#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "notes", params(("id" = i64, Path, minimum = 1), ("If-Match" = String, Header, description = "The ETag from the last read")),
    request_body = NoteIn,
    responses((status = 200, body = NoteOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The note is signed; add an addendum instead", body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"), (status = 428, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    let n = note_for(&app, &ctx, id, NoteAction::EditOwn).await?;
    if !n.status.editable() {
        return Err(ApiError(AppError::Conflict("this note is signed and locked; add an addendum instead".into())));
    }
    let Some(expected) = expected_version(&headers) else {
        return Err(ApiError(AppError::PreconditionRequired("send If-Match with the ETag from your last read, so nobody's changes are overwritten".into())));
    };
    if expected != Some(n.version) {
        return Err(ApiError(AppError::PreconditionFailed(format!("the note changed since you read it (now {})", etag(n.version)))));
    }
    let input: NoteIn = parse_body(&body)?;
    let content = parse_note_in(&app, &ctx, &note_input(Some(&n), input), false).await?;
    match app.store.update_note(ctx.org(), id, &content, None, n.version, &ctx.who()).await {
        Ok(_) => {}
        Err(lantern_store::StoreError::Conflict(m)) => return Err(ApiError(AppError::PreconditionFailed(m))),
        Err(e) => return Err(e.into()),
    }
    note_response(&app, &ctx, id, StatusCode::OK).await
}

#[utoipa::path(post, path = "/api/v1/notes/{id}/sign", tag = "notes", params(("id" = i64, Path, minimum = 1), ("If-Match" = Option<String>, Header, description = "Sign only this version")),
    responses((status = 200, body = NoteOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Billable elements are missing (listed per field)", body = Problem, content_type = "application/problem+json")))]
pub async fn sign_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, headers: HeaderMap) -> ApiResult {
    let id = parse_id(&raw)?;
    let n = note_for(&app, &ctx, id, NoteAction::EditOwn).await?;
    let expected = match expected_version(&headers) {
        None => None,
        Some(Some(v)) if v == n.version => Some(v),
        Some(_) => return Err(ApiError(AppError::PreconditionFailed(format!("the note changed since you read it (now {})", etag(n.version))))),
    };
    app.store.sign_note(ctx.org(), id, ctx.user.id, expected, &ctx.who()).await?;
    note_response(&app, &ctx, id, StatusCode::OK).await
}

async fn api_review(app: AppState, ctx: Ctx, raw: String, approve: bool, comment: String) -> ApiResult {
    let id = parse_id(&raw)?;
    note_for(&app, &ctx, id, NoteAction::Cosign).await?;
    app.store.review_note(ctx.org(), id, ctx.user.id, approve, &comment, &ctx.who()).await?;
    note_response(&app, &ctx, id, StatusCode::OK).await
}

#[utoipa::path(post, path = "/api/v1/notes/{id}/cosign", tag = "notes", params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = NoteOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, description = "Not a note by someone you supervise", body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cosign_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> ApiResult {
    api_review(app, ctx, raw, true, String::new()).await
}

#[utoipa::path(post, path = "/api/v1/notes/{id}/return", tag = "notes", params(("id" = i64, Path, minimum = 1)), request_body = ReturnIn,
    responses((status = 200, body = NoteOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn return_note(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let input: ReturnIn = parse_body(&body)?;
    api_review(app, ctx, raw, false, input.comment).await
}

#[utoipa::path(post, path = "/api/v1/notes/{id}/addenda", tag = "notes", params(("id" = i64, Path, minimum = 1)), request_body = AddendumIn,
    responses((status = 201, body = NoteOut), (status = 401, body = Problem, content_type = "application/problem+json"),
              (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn add_addendum(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: Bytes) -> ApiResult {
    let id = parse_id(&raw)?;
    note_for(&app, &ctx, id, NoteAction::Addendum).await?;
    let input: AddendumIn = parse_body(&body)?;
    app.store.add_addendum_correcting(ctx.org(), id, ctx.user.id, &input.body, &input.corrected_start, &input.corrected_end, &ctx.who()).await?;
    note_response(&app, &ctx, id, StatusCode::CREATED).await
}

#[derive(Serialize, ToSchema)]
pub struct ServiceCodeOut {
    pub id: i64,
    pub code: String,
    pub modifiers: String,
    pub description: String,
    pub payer: String,
    pub unit_minutes: i64,
    /// whole, more_than_half or cms_cumulative.
    pub unit_rule: String,
    pub cap_units_per_person_per_day: Option<i64>,
    pub cap_units_per_provider_per_day: Option<i64>,
    pub for_groups: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityTypeOut {
    pub code: String,
    pub name: String,
    /// SAMHSA peer competency categories, as roman numerals (I-XII).
    pub competencies: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NoteOptions {
    pub service_codes: Vec<ServiceCodeOut>,
    pub activity_types: Vec<ActivityTypeOut>,
}

#[utoipa::path(get, path = "/api/v1/note-options", tag = "notes",
    responses((status = 200, description = "The organization's service codes (with payer rules and caps) and activity types", body = NoteOptions),
              (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn note_options(State(app): State<AppState>, ctx: Ctx) -> ApiResult {
    let codes = app.store.service_codes(ctx.org()).await?;
    let kinds = app.store.activity_types(ctx.org()).await?;
    Ok(json_ok(StatusCode::OK, &NoteOptions {
        service_codes: codes
            .into_iter()
            .map(|c| ServiceCodeOut {
                id: c.id,
                code: c.code,
                modifiers: c.modifiers,
                description: c.description,
                payer: c.payer,
                unit_minutes: c.unit_minutes,
                unit_rule: c.rule.code().into(),
                cap_units_per_person_per_day: c.caps.per_person_code_day,
                cap_units_per_provider_per_day: c.caps.per_provider_day,
                for_groups: c.for_groups,
            })
            .collect(),
        activity_types: kinds.into_iter().map(|a| ActivityTypeOut { code: a.code, name: a.name, competencies: a.competencies.iter().map(|c| encounter::roman(*c).to_string()).collect() }).collect(),
    }))
}
