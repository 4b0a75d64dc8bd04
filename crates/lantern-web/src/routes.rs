//! Every route, declared once with who may use it.
//!
//! `table()` is the single source of truth: the router is built from it
//! (each route wrapped in the gate with its declaration) and the role × route
//! test matrix iterates over it. Data-level checks (is this person on your
//! caseload?) happen in the handlers through `lantern_domain::policy`.

use axum::routing::{get, patch, post, put, MethodRouter};
use axum::Router;
use lantern_domain::Role;
use tower_http::limit::RequestBodyLimitLayer;

use crate::{api, appointments, billing, certifications, crisis, directory, growth, hsds, language, middleware, notes, pages, practice, recovery_plan, referrals, safety_plan, team, wellness, AppState};

/// Who may call a route (before any data-level check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    Signed,
    /// Signed-in users holding at least one of these roles.
    Roles(&'static [Role]),
    /// The HSDS API: any signed-in user, or anyone when the deployment's
    /// directory is public (`lantern directory settings --public on`).
    Directory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub allow: Allow,
    pub api: bool,
}

const STAFF: &[Role] = &[Role::Specialist, Role::Supervisor, Role::Admin];
const CASEWORK: &[Role] = &[Role::Specialist, Role::Supervisor];
const ADMIN: &[Role] = &[Role::Admin];
const LEADS: &[Role] = &[Role::Supervisor, Role::Admin];
const PEER: &[Role] = &[Role::Peer];
const SUPERVISOR: &[Role] = &[Role::Supervisor];
/// Who writes a person's plans: their team, or the person themself.
const PLAN_WRITERS: &[Role] = &[Role::Specialist, Role::Supervisor, Role::Peer];

fn page(method: &'static str, path: &'static str, allow: Allow) -> RouteSpec {
    RouteSpec { method, path, allow, api: false }
}
fn api(method: &'static str, path: &'static str, allow: Allow) -> RouteSpec {
    RouteSpec { method, path, allow, api: true }
}

/// The route table.
pub fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Allow::*;
    vec![
        (page("GET", "/healthz", Public), get(pages::healthz)),
        (page("GET", "/static/app.css", Public), get(pages::stylesheet)),
        (page("GET", "/static/app.js", Public), get(pages::script)),
        (page("GET", "/login", Public), get(pages::login_form)),
        (page("POST", "/login", Public), post(pages::login_submit)),
        (page("GET", "/invite/{token}", Public), get(pages::invite_form)),
        (page("POST", "/invite/{token}", Public), post(pages::invite_submit)),
        (page("GET", "/", Signed), get(pages::home)),
        (page("POST", "/logout", Signed), post(pages::logout)),
        (page("GET", "/account", Signed), get(pages::account)),
        (page("POST", "/account/password", Signed), post(pages::change_password)),
        (page("POST", "/account/tokens/{id}/revoke", Signed), post(pages::revoke_token)),
        (page("GET", "/caseload", Roles(STAFF)), get(pages::caseload)),
        (page("GET", "/people/new", Roles(STAFF)), get(pages::new_person_form)),
        (page("POST", "/people", Roles(STAFF)), post(pages::create_person)),
        (page("GET", "/people/{id}", Signed), get(pages::person)),
        (page("GET", "/people/{id}/edit", Roles(STAFF)), get(pages::edit_person_form)),
        (page("POST", "/people/{id}/edit", Roles(STAFF)), post(pages::edit_person)),
        (page("POST", "/people/{id}/enrollment", Roles(STAFF)), post(pages::change_enrollment)),
        (page("POST", "/people/{id}/team", Roles(LEADS)), post(pages::change_team)),
        (page("GET", "/people/{id}/access", Signed), get(pages::person_access)),
        (page("GET", "/people/{id}/crisis/new", Roles(STAFF)), get(crisis::new_crisis)),
        (page("POST", "/people/{id}/crisis", Roles(STAFF)), post(crisis::create_crisis)),
        (page("GET", "/people/{id}/crisis/prompt", Roles(STAFF)), get(crisis::prompt)),
        (page("POST", "/people/{id}/crisis/prompt", Roles(STAFF)), post(crisis::prompt_choice)),
        (page("GET", "/people/{id}/safety-plan", Signed), get(safety_plan::show)),
        (page("GET", "/people/{id}/safety-plan/card", Signed), get(safety_plan::card)),
        (page("GET", "/people/{id}/safety-plan/edit", Roles(PLAN_WRITERS)), get(safety_plan::edit)),
        (page("POST", "/people/{id}/safety-plan", Roles(PLAN_WRITERS)), post(safety_plan::save)),
        (page("GET", "/crisis", Roles(STAFF)), get(crisis::list)),
        (page("GET", "/directory", Roles(STAFF)), get(directory::page)),
        (page("GET", "/directory/services/{id}", Roles(STAFF)), get(directory::service)),
        (page("GET", "/directory/services/{id}/refer", Roles(CASEWORK)), get(directory::refer)),
        (page("POST", "/directory/services/{id}/verify", Roles(STAFF)), post(directory::verify)),
        (page("GET", "/admin/directory/stale", Roles(LEADS)), get(directory::stale)),
        (page("GET", "/admin/directory/listings", Roles(ADMIN)), get(directory::listings)),
        (page("POST", "/admin/directory/listings", Roles(ADMIN)), post(directory::add_listing)),
        (page("GET", "/crisis/{id}", Roles(STAFF)), get(crisis::show)),
        (page("POST", "/crisis/{id}/close", Roles(STAFF)), post(crisis::close)),
        (page("GET", "/people/{id}/notes/new", Roles(CASEWORK)), get(notes::new_note_form)),
        (page("POST", "/people/{id}/notes", Roles(CASEWORK)), post(notes::create_note)),
        (page("GET", "/notes/{id}", Roles(STAFF)), get(notes::view_note)),
        (page("POST", "/notes/{id}", Roles(CASEWORK)), post(notes::save_note)),
        (page("POST", "/notes/{id}/addenda", Roles(CASEWORK)), post(notes::add_addendum)),
        (page("POST", "/notes/{id}/cosign", Roles(SUPERVISOR)), post(notes::cosign_note)),
        (page("POST", "/notes/{id}/return", Roles(SUPERVISOR)), post(notes::return_note)),
        (page("GET", "/cosign", Roles(SUPERVISOR)), get(notes::cosign_queue)),
        (page("GET", "/group-notes/new", Roles(CASEWORK)), get(notes::new_group_form)),
        (page("POST", "/group-notes", Roles(CASEWORK)), post(notes::create_group)),
        (page("GET", "/reports/units", Roles(LEADS)), get(notes::units_report)),
        (page("GET", "/people/{id}/appointments/new", Roles(CASEWORK)), get(appointments::new_appointment)),
        (page("POST", "/people/{id}/appointments", Roles(CASEWORK)), post(appointments::create_appointment)),
        (page("POST", "/appointments/{id}/done", Roles(CASEWORK)), post(appointments::done)),
        (page("POST", "/appointments/{id}/no-show", Roles(CASEWORK)), post(appointments::no_show)),
        (page("POST", "/appointments/{id}/cancel", Roles(CASEWORK)), post(appointments::cancel)),
        // Serves `/appointments/{id}.ics` (the router cannot match a suffix after a parameter; the handler requires it).
        (page("GET", "/appointments/{id}", Signed), get(appointments::ics)),
        (page("GET", "/calendar.ics", Roles(CASEWORK)), get(appointments::feed)),
        (page("GET", "/people/{id}/referrals", Roles(STAFF)), get(referrals::person_page)),
        (page("GET", "/people/{id}/referrals/new", Roles(CASEWORK)), get(referrals::new_referral)),
        (page("POST", "/people/{id}/referrals", Roles(CASEWORK)), post(referrals::create_referral)),
        (page("POST", "/people/{id}/consents", Roles(STAFF)), post(referrals::create_consent)),
        (page("POST", "/consents/{id}/revoke", Signed), post(referrals::revoke_consent)),
        (page("GET", "/referrals/inbox", Roles(STAFF)), get(referrals::inbox)),
        (page("GET", "/referrals/open", Roles(LEADS)), get(referrals::open_loops)),
        (page("GET", "/referrals/{id}", Roles(STAFF)), get(referrals::show)),
        (page("POST", "/referrals/{id}/status", Roles(STAFF)), post(referrals::change_status)),
        (page("GET", "/referrals/{id}/fhir", Roles(STAFF)), get(referrals::fhir)),
        (page("GET", "/reports/referrals", Roles(LEADS)), get(referrals::report)),
        (page("GET", "/admin/referral-links", Roles(ADMIN)), get(referrals::admin_links)),
        (page("POST", "/admin/referral-links", Roles(ADMIN)), post(referrals::admin_links_save)),
        (page("GET", "/me", Roles(PEER)), get(pages::portal)),
        (page("GET", "/admin/users", Roles(ADMIN)), get(pages::admin_users)),
        (page("POST", "/admin/users", Roles(ADMIN)), post(pages::admin_invite)),
        (page("POST", "/admin/users/{id}/deactivate", Roles(ADMIN)), post(pages::admin_deactivate)),
        (page("POST", "/admin/users/{id}/reset", Roles(ADMIN)), post(pages::admin_reset)),
        (page("POST", "/admin/reassign", Roles(ADMIN)), post(pages::admin_reassign)),
        (page("GET", "/admin/audit", Roles(ADMIN)), get(pages::admin_audit)),
        (page("GET", "/admin/language", Roles(ADMIN)), get(language::admin_language)),
        (page("GET", "/admin/billing", Roles(ADMIN)), get(billing::admin_billing)),
        (page("POST", "/admin/billing", Roles(ADMIN)), post(billing::admin_billing_save)),
        (page("POST", "/admin/language", Roles(ADMIN)), post(language::admin_language_save)),
        (page("POST", "/admin/note-settings", Roles(ADMIN)), post(pages::admin_note_settings)),
        (api("GET", "/api/v1/openapi.json", Public), get(api::openapi_json)),
        (api("GET", "/api/v1/me", Signed), get(api::me)),
        (api("GET", "/api/v1/resources/search", Roles(STAFF)), get(directory::api_search)),
        (api("GET", "/hsds/", Directory), get(hsds::root)),
        (api("GET", "/hsds/services", Directory), get(hsds::services)),
        (api("GET", "/hsds/services/{id}", Directory), get(hsds::service)),
        (api("GET", "/hsds/organizations", Directory), get(hsds::organizations)),
        (api("GET", "/hsds/organizations/{id}", Directory), get(hsds::organization)),
        (api("GET", "/hsds/service_at_locations", Directory), get(hsds::service_at_locations)),
        (api("GET", "/hsds/service_at_locations/{id}", Directory), get(hsds::service_at_location)),
        (api("GET", "/hsds/taxonomies", Directory), get(hsds::taxonomies)),
        (api("GET", "/hsds/taxonomies/{id}", Directory), get(hsds::taxonomy)),
        (api("GET", "/hsds/taxonomy_terms", Directory), get(hsds::taxonomy_terms)),
        (api("GET", "/hsds/taxonomy_terms/{id}", Directory), get(hsds::taxonomy_term)),
        (api("POST", "/api/v1/language/check", Roles(STAFF)), post(api::language_check)),
        (api("POST", "/api/v1/language/dismissals", Roles(STAFF)), post(api::language_dismiss)),
        (api("GET", "/api/v1/language/settings", Roles(ADMIN)), get(language::get_settings)),
        (api("PUT", "/api/v1/language/settings", Roles(ADMIN)), put(language::put_settings)),
        (api("GET", "/api/v1/caseload", Roles(CASEWORK)), get(api::caseload)),
        (api("GET", "/api/v1/people", Roles(STAFF)), get(api::list_people)),
        (api("POST", "/api/v1/people", Roles(STAFF)), post(api::create_person)),
        (api("GET", "/api/v1/people/{id}", Signed), get(api::get_person)),
        (api("PATCH", "/api/v1/people/{id}", Roles(STAFF)), patch(api::update_person)),
        (api("POST", "/api/v1/people/{id}/enrollment", Roles(STAFF)), post(api::change_enrollment)),
        (api("GET", "/api/v1/note-options", Roles(STAFF)), get(api::note_options)),
        (api("GET", "/api/v1/people/{id}/safety-plan", Signed), get(safety_plan::api_get)),
        (api("PUT", "/api/v1/people/{id}/safety-plan", Roles(PLAN_WRITERS)), put(safety_plan::api_put)),
        (api("POST", "/api/v1/people/{id}/notes", Roles(CASEWORK)), post(api::create_note)),
        (api("GET", "/api/v1/notes", Roles(STAFF)), get(api::list_notes)),
        (api("GET", "/api/v1/notes/{id}", Roles(STAFF)), get(api::get_note)),
        (api("PATCH", "/api/v1/notes/{id}", Roles(CASEWORK)), patch(api::update_note)),
        (api("POST", "/api/v1/notes/{id}/sign", Roles(CASEWORK)), post(api::sign_note)),
        (api("POST", "/api/v1/notes/{id}/cosign", Roles(SUPERVISOR)), post(api::cosign_note)),
        (api("POST", "/api/v1/notes/{id}/return", Roles(SUPERVISOR)), post(api::return_note)),
        (api("POST", "/api/v1/notes/{id}/addenda", Roles(CASEWORK)), post(api::add_addendum)),
        (api("GET", "/api/v1/people/{id}/referrals", Roles(STAFF)), get(referrals::api_list)),
        (api("POST", "/api/v1/people/{id}/referrals", Roles(CASEWORK)), post(referrals::api_create)),
        (api("GET", "/api/v1/referrals/{id}", Roles(STAFF)), get(referrals::api_get)),
        (api("POST", "/api/v1/referrals/{id}/status", Roles(STAFF)), post(referrals::api_status)),
        (api("GET", "/api/v1/people/{id}/consents", Signed), get(referrals::api_consents)),
        (api("POST", "/api/v1/people/{id}/consents", Roles(STAFF)), post(referrals::api_create_consent)),
        (api("POST", "/api/v1/consents/{id}/revoke", Signed), post(referrals::api_revoke)),
        // Care team, tasks, handoffs; crisis follow-ups and the crisis API.
        (page("GET", "/people/{id}/team", Signed), get(team::page)),
        (page("POST", "/people/{id}/team/providers", Roles(CASEWORK)), post(team::add_provider)),
        (page("POST", "/people/{id}/team/providers/{provider}/remove", Roles(CASEWORK)), post(team::remove_provider)),
        (page("POST", "/people/{id}/team/providers/{provider}/share", Roles(CASEWORK)), post(team::share)),
        (page("POST", "/people/{id}/team/tasks", Roles(CASEWORK)), post(team::add_task)),
        (page("POST", "/people/{id}/team/tasks/{task}/done", Roles(CASEWORK)), post(team::task_done)),
        (page("POST", "/people/{id}/team/handoffs/{handoff}/ack", Roles(CASEWORK)), post(team::acknowledge)),
        (page("POST", "/crisis/{id}/follow-ups", Roles(STAFF)), post(team::crisis_follow_up)),
        (api("GET", "/api/v1/people/{id}/team", Signed), get(team::api_team)),
        (api("POST", "/api/v1/people/{id}/team/providers", Roles(CASEWORK)), post(team::api_add_provider)),
        (api("POST", "/api/v1/people/{id}/team/providers/{provider}/share", Roles(CASEWORK)), post(team::api_share)),
        (api("GET", "/api/v1/people/{id}/team/tasks", Roles(STAFF)), get(team::api_tasks)),
        (api("POST", "/api/v1/people/{id}/team/tasks", Roles(CASEWORK)), post(team::api_create_task)),
        (api("POST", "/api/v1/people/{id}/team/tasks/{task}/done", Roles(CASEWORK)), post(team::api_task_done)),
        (api("GET", "/api/v1/people/{id}/handoffs", Roles(STAFF)), get(team::api_handoffs)),
        (api("POST", "/api/v1/people/{id}/handoffs", Roles(LEADS)), post(team::api_hand_over)),
        (api("POST", "/api/v1/people/{id}/handoffs/{handoff}/acknowledge", Roles(CASEWORK)), post(team::api_acknowledge)),
        (api("GET", "/api/v1/crisis-events", Roles(STAFF)), get(crisis::api_list)),
        (api("POST", "/api/v1/people/{id}/crisis-events", Roles(STAFF)), post(crisis::api_create)),
        (api("GET", "/api/v1/crisis-events/{id}", Roles(STAFF)), get(crisis::api_get)),
        (api("POST", "/api/v1/crisis-events/{id}/close", Roles(STAFF)), post(crisis::api_close)),
        (api("POST", "/api/v1/crisis-events/{id}/follow-ups", Roles(STAFF)), post(crisis::api_follow_up)),
        // Growth: competency profile, supervision, boundary questions, private self-care.
        (page("GET", "/growth", Roles(STAFF)), get(growth::profile_page)),
        (page("POST", "/growth/assessments", Roles(STAFF)), post(growth::self_assess)),
        (page("POST", "/growth/goals", Roles(STAFF)), post(growth::add_goal)),
        (page("POST", "/growth/goals/{id}/done", Roles(STAFF)), post(growth::goal_done)),
        (page("GET", "/growth/staff/{id}", Roles(LEADS)), get(growth::staff_page)),
        (page("POST", "/growth/staff/{id}/ratings", Roles(SUPERVISOR)), post(growth::rate)),
        (page("GET", "/growth/self-care", Roles(STAFF)), get(growth::selfcare)),
        (page("POST", "/growth/self-care", Roles(STAFF)), post(growth::selfcare_save)),
        (page("GET", "/reports/self-care", Roles(LEADS)), get(growth::selfcare_report)),
        (page("GET", "/supervision", Roles(STAFF)), get(growth::supervision_list)),
        (page("POST", "/supervision", Roles(CASEWORK)), post(growth::create_session)),
        (page("GET", "/supervision/{id}", Roles(STAFF)), get(growth::session_show)),
        (page("POST", "/supervision/{id}/items", Roles(STAFF)), post(growth::add_item)),
        (page("POST", "/supervision/{id}/sign", Roles(STAFF)), post(growth::sign)),
        (page("GET", "/boundaries", Roles(CASEWORK)), get(growth::boundaries)),
        (page("GET", "/people/{id}/boundaries/new", Roles(CASEWORK)), get(growth::new_boundary)),
        (page("POST", "/people/{id}/boundaries", Roles(CASEWORK)), post(growth::create_boundary)),
        (api("GET", "/api/v1/growth/profile", Roles(STAFF)), get(growth::api_profile)),
        (api("GET", "/api/v1/growth/staff/{id}/profile", Roles(LEADS)), get(growth::api_staff_profile)),
        (api("POST", "/api/v1/growth/assessments", Roles(STAFF)), post(growth::api_self_assess)),
        (api("POST", "/api/v1/growth/staff/{id}/ratings", Roles(SUPERVISOR)), post(growth::api_rate)),
        (api("POST", "/api/v1/growth/goals", Roles(STAFF)), post(growth::api_add_goal)),
        (api("GET", "/api/v1/supervision/sessions", Roles(STAFF)), get(growth::api_sessions)),
        (api("POST", "/api/v1/supervision/sessions", Roles(CASEWORK)), post(growth::api_create_session)),
        (api("GET", "/api/v1/supervision/sessions/{id}", Roles(STAFF)), get(growth::api_session)),
        (api("POST", "/api/v1/supervision/sessions/{id}/items", Roles(STAFF)), post(growth::api_add_item)),
        (api("POST", "/api/v1/supervision/sessions/{id}/sign", Roles(STAFF)), post(growth::api_sign)),
        (api("GET", "/api/v1/boundaries", Roles(CASEWORK)), get(growth::api_boundaries)),
        (api("POST", "/api/v1/people/{id}/boundaries", Roles(CASEWORK)), post(growth::api_create_boundary)),
        (api("GET", "/api/v1/self-care/check-ins", Roles(STAFF)), get(growth::api_checkins)),
        (api("POST", "/api/v1/self-care/check-ins", Roles(STAFF)), post(growth::api_add_checkin)),
        (api("GET", "/api/v1/self-care/aggregate", Roles(LEADS)), get(growth::api_selfcare_aggregate)),
        // Certifications and CE hours, competency frameworks (issue 9, items 1, 5 and their API).
        (page("GET", "/growth/certifications", Roles(STAFF)), get(certifications::mine)),
        (page("POST", "/growth/certifications", Roles(STAFF)), post(certifications::create_credential)),
        (page("GET", "/growth/certifications/new", Roles(STAFF)), get(certifications::new_credential)),
        (page("GET", "/growth/certifications/staff/{id}", Roles(LEADS)), get(certifications::staff)),
        (page("GET", "/growth/trainings/new", Roles(STAFF)), get(certifications::new_training)),
        (page("POST", "/growth/trainings", Roles(STAFF)), post(certifications::create_training)),
        (page("GET", "/growth/trainings/{id}/certificate", Roles(STAFF)), get(certifications::certificate)),
        (page("GET", "/admin/certifications/expiring", Roles(ADMIN)), get(certifications::expiring)),
        (page("GET", "/admin/competencies", Roles(ADMIN)), get(certifications::frameworks)),
        (page("POST", "/admin/competencies", Roles(ADMIN)), post(certifications::add_framework)),
        (api("GET", "/api/v1/competency-frameworks", Roles(STAFF)), get(certifications::api_frameworks)),
        (api("GET", "/api/v1/certification-rules", Roles(STAFF)), get(certifications::api_rules)),
        (api("GET", "/api/v1/certifications", Roles(STAFF)), get(certifications::api_mine)),
        (api("GET", "/api/v1/certifications/expiring", Roles(ADMIN)), get(certifications::api_expiring)),
        (api("GET", "/api/v1/staff/{id}/certifications", Roles(LEADS)), get(certifications::api_staff)),
        (api("POST", "/api/v1/credentials", Roles(STAFF)), post(certifications::api_create_credential)),
        (api("POST", "/api/v1/trainings", Roles(STAFF)), post(certifications::api_create_training)),
        // Recovery plans and milestones (read: the person's team, admins, the person; write: their team or the person).
        (page("GET", "/people/{id}/recovery-plan", Signed), get(recovery_plan::show)),
        (page("GET", "/people/{id}/recovery-plan/edit", Roles(PLAN_WRITERS)), get(recovery_plan::edit)),
        (page("POST", "/people/{id}/recovery-plan", Roles(PLAN_WRITERS)), post(recovery_plan::save)),
        (page("POST", "/people/{id}/recovery-plan/agree", Roles(PLAN_WRITERS)), post(recovery_plan::agree)),
        (page("POST", "/people/{id}/recovery-plan/comments", Roles(PLAN_WRITERS)), post(recovery_plan::comment)),
        (page("GET", "/people/{id}/recovery-plan/compare", Signed), get(recovery_plan::compare_page)),
        (page("POST", "/people/{id}/milestones", Roles(PLAN_WRITERS)), post(recovery_plan::add_milestone)),
        (page("GET", "/admin/supervision", Roles(ADMIN)), get(growth::admin_supervision)),
        (page("POST", "/admin/supervision", Roles(ADMIN)), post(growth::admin_supervision_save)),
        (api("GET", "/api/v1/supervision/settings", Roles(ADMIN)), get(growth::api_supervision_settings)),
        (api("PUT", "/api/v1/supervision/settings", Roles(ADMIN)), put(growth::api_put_supervision_settings)),
        (page("GET", "/admin/recovery-plans", Roles(ADMIN)), get(recovery_plan::admin)),
        (page("POST", "/admin/recovery-plans", Roles(ADMIN)), post(recovery_plan::admin_save)),
        (api("GET", "/api/v1/people/{id}/recovery-plan", Signed), get(recovery_plan::api_get)),
        (api("PUT", "/api/v1/people/{id}/recovery-plan", Roles(PLAN_WRITERS)), put(recovery_plan::api_put)),
        (api("POST", "/api/v1/people/{id}/recovery-plan/agree", Roles(PLAN_WRITERS)), post(recovery_plan::api_agree)),
        (api("GET", "/api/v1/people/{id}/recovery-plan/versions", Signed), get(recovery_plan::api_versions)),
        (api("GET", "/api/v1/people/{id}/recovery-plan/compare", Signed), get(recovery_plan::api_compare)),
        (api("GET", "/api/v1/people/{id}/milestones", Signed), get(recovery_plan::api_milestones)),
        (api("POST", "/api/v1/people/{id}/milestones", Roles(PLAN_WRITERS)), post(recovery_plan::api_add_milestone)),
        // The person's own plans (wellness and action plan, advance directive record, self-advocacy) and rights pages.
        (page("GET", "/people/{id}/wellness-plan", Signed), get(wellness::wellness_show)),
        (page("GET", "/people/{id}/wellness-plan/edit", Roles(PLAN_WRITERS)), get(wellness::wellness_edit)),
        (page("POST", "/people/{id}/wellness-plan", Roles(PLAN_WRITERS)), post(wellness::wellness_save)),
        (page("GET", "/people/{id}/advance-directive", Signed), get(wellness::pad_show)),
        (page("GET", "/people/{id}/advance-directive/edit", Roles(PLAN_WRITERS)), get(wellness::pad_edit)),
        (page("POST", "/people/{id}/advance-directive", Roles(PLAN_WRITERS)), post(wellness::pad_save)),
        (page("POST", "/people/{id}/advance-directive/document", Roles(PLAN_WRITERS)), post(wellness::pad_upload)),
        (page("GET", "/people/{id}/advance-directive/document", Signed), get(wellness::pad_download)),
        (page("GET", "/people/{id}/advocacy-plan", Signed), get(wellness::advocacy_show)),
        (page("GET", "/people/{id}/advocacy-plan/edit", Roles(PLAN_WRITERS)), get(wellness::advocacy_edit)),
        (page("POST", "/people/{id}/advocacy-plan", Roles(PLAN_WRITERS)), post(wellness::advocacy_save)),
        (page("GET", "/rights", Signed), get(wellness::rights_index)),
        (page("GET", "/rights/{topic}", Signed), get(wellness::rights_topic)),
        (api("GET", "/api/v1/people/{id}/wellness-plan", Signed), get(wellness::api_get_wellness)),
        (api("PUT", "/api/v1/people/{id}/wellness-plan", Roles(PLAN_WRITERS)), put(wellness::api_put_wellness)),
        (api("GET", "/api/v1/people/{id}/advance-directive", Signed), get(wellness::api_get_pad)),
        (api("PUT", "/api/v1/people/{id}/advance-directive", Roles(PLAN_WRITERS)), put(wellness::api_put_pad)),
        (api("GET", "/api/v1/people/{id}/advance-directive/document", Signed), get(wellness::api_get_pad_document)),
        (api("PUT", "/api/v1/people/{id}/advance-directive/document", Roles(PLAN_WRITERS)), put(wellness::api_put_pad_document)),
        (api("GET", "/api/v1/people/{id}/advocacy-plan", Signed), get(wellness::api_get_advocacy)),
        (api("PUT", "/api/v1/people/{id}/advocacy-plan", Roles(PLAN_WRITERS)), put(wellness::api_put_advocacy)),
        // Exam preparation: practice questions (FSRS), mock exams, the question bank.
        (page("GET", "/growth/practice", Roles(STAFF)), get(practice::practice)),
        (page("POST", "/growth/practice", Roles(STAFF)), post(practice::practice_answer)),
        (page("GET", "/growth/exams", Roles(STAFF)), get(practice::exams)),
        (page("POST", "/growth/exams", Roles(STAFF)), post(practice::start_exam)),
        (page("GET", "/growth/exams/{id}", Roles(STAFF)), get(practice::show_exam)),
        (page("POST", "/growth/exams/{id}/answer", Roles(STAFF)), post(practice::answer_exam)),
        (page("POST", "/growth/exams/{id}/finish", Roles(STAFF)), post(practice::finish_exam)),
        (page("GET", "/admin/questions", Roles(ADMIN)), get(practice::admin_questions)),
        (page("POST", "/admin/questions", Roles(ADMIN)), post(practice::admin_create)),
        (page("GET", "/admin/questions/new", Roles(ADMIN)), get(practice::admin_new)),
        (page("GET", "/admin/questions/export", Roles(ADMIN)), get(practice::admin_export)),
        (page("POST", "/admin/questions/import", Roles(ADMIN)), post(practice::admin_import)),
        (page("GET", "/admin/questions/{id}/edit", Roles(ADMIN)), get(practice::admin_edit)),
        (page("POST", "/admin/questions/{id}", Roles(ADMIN)), post(practice::admin_update)),
        (api("GET", "/api/v1/practice/next", Roles(STAFF)), get(practice::api_next)),
        (api("POST", "/api/v1/practice/answers", Roles(STAFF)), post(practice::api_answer)),
        (api("GET", "/api/v1/practice/progress", Roles(STAFF)), get(practice::api_progress)),
        (api("GET", "/api/v1/exams/blueprints", Roles(STAFF)), get(practice::api_blueprints)),
        (api("POST", "/api/v1/exams", Roles(STAFF)), post(practice::api_start)),
        (api("GET", "/api/v1/exams/{id}", Roles(STAFF)), get(practice::api_exam)),
        (api("POST", "/api/v1/exams/{id}/answers", Roles(STAFF)), post(practice::api_exam_answer)),
        (api("POST", "/api/v1/exams/{id}/finish", Roles(STAFF)), post(practice::api_finish)),
        (api("GET", "/api/v1/questions", Roles(ADMIN)), get(practice::api_questions)),
    ]
}

/// The declarations alone, for tests and docs.
pub fn specs() -> Vec<RouteSpec> {
    table().into_iter().map(|(s, _)| s).collect()
}

/// The request body limit of every route but the uploads.

pub(crate) fn build(state: AppState) -> Router {
    let mut router = Router::new();
    for (spec, handler) in table() {
        // Bodies are limited per route: 1 MB, or more on the few upload routes.
        let limit = if crate::multipart::is_upload_route(spec.path) { crate::multipart::UPLOAD_LIMIT } else { 1024 * 1024 };
        let gated: MethodRouter<AppState> = handler
            .route_layer(axum::middleware::from_fn_with_state((state.clone(), spec), middleware::gate))
            .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(limit))
            .layer(RequestBodyLimitLayer::new(limit));
        // A signed document over the limit is answered with the same words as a file just over it.
        let gated = match (wellness::UPLOAD_PATHS.contains(&spec.path), spec.api) {
            (true, true) => gated.layer(axum::middleware::map_response(wellness::too_large_api)),
            (true, false) => gated.layer(axum::middleware::map_response(wellness::too_large_page)),
            (false, _) => gated,
        };
        router = router.route(spec.path, gated);
    }
    router
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::security_headers))
        .with_state(state)
}
