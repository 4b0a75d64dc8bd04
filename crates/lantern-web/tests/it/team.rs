//! Care team, shared tasks, handoff notes and sharing with outside providers;
//! crisis follow-ups and the crisis API. Every test runs on both databases.
//!
//! Who sees what: the person's team (their specialist, care-team members and
//! the supervisors of their specialist) reads and changes everything; an
//! administrator reads; the person sees their team's names and roles and the
//! outside providers, never internal tasks or handoff notes; anyone else gets 404.

use axum::http::StatusCode;
use lantern_domain::{Role, Roles};
use serde_json::json;

use crate::both;
use crate::support::*;

async fn day(app: &TestApp, days: i64) -> String {
    let today = app.store.today(app.demo_org).await.unwrap();
    today.checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

async fn make_user(app: &TestApp, email: &str, name: &str, roles: Roles, person_id: Option<i64>) -> i64 {
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    app.store
        .create_user(
            &lantern_store::users::NewUser {
                org_id: app.demo_org, email: email.into(), display_name: name.into(), credentials: String::new(), roles,
                password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()), person_id, active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap()
        .id
}

/// Someone on specialist@demo's caseload other than peer@demo's record (which has
/// the demo care team), whom specialist2 cannot see.
async fn quiet_person(app: &TestApp) -> i64 {
    let s1 = app.user_id("specialist@demo").await;
    for id in 1..500 {
        if id == app.peer_person {
            continue;
        }
        let Ok(p) = app.store.person(app.demo_org, id).await else { continue };
        if p.primary_specialist_id == Some(s1) && app.store.care_team(app.demo_org, id).await.unwrap().is_empty() {
            return id;
        }
    }
    panic!("no person found");
}

/// A supervisor who leads another team in the same organization.
async fn other_supervisor(app: &TestApp) {
    let id = make_user(app, "othersup@demo", "Other Supervisor", Roles::empty().with(Role::Supervisor), None).await;
    let team = app.store.create_team(app.demo_org, "Eastside").await.unwrap();
    app.store.add_team_member(team, id, true).await.unwrap();
}

/// Another person in the organization with their own portal login.
async fn other_peer(app: &TestApp) {
    let as_of = app.store.today(app.demo_org).await.unwrap();
    let profile = lantern_domain::person::parse_profile(&lantern_domain::person::ProfileInput { legal_name: "Sky Otherperson".into(), ..Default::default() }, as_of).unwrap();
    let s2 = app.user_id("specialist2@demo").await;
    let pid = app
        .store
        .create_person(&lantern_store::people::NewPerson { org_id: app.demo_org, profile, stage: lantern_domain::enrollment::Stage::Engaged, since: as_of, primary_specialist_id: Some(s2), care_team: vec![] }, &Default::default())
        .await
        .unwrap();
    make_user(app, "peer2@demo", "Sky (peer)", Roles::empty().with(Role::Peer), Some(pid)).await;
}

both!(who_sees_and_changes_the_care_team, async |app: &TestApp| {
    let id = app.peer_person;
    let team_path = format!("/people/{id}/team");
    let s1 = app.user_id("specialist@demo").await;
    let s2 = app.user_id("specialist2@demo").await;
    other_supervisor(app).await;
    other_peer(app).await;

    // The specialist sees the demo team: the outside provider with their consent, the tasks, the handoff note.
    let mut spec = app.login("specialist@demo").await;
    let page = spec.get(&team_path).await;
    assert_eq!(page.status, StatusCode::OK);
    for want in ["Robin Specialist", "Sam Supervisor", "Harbor Family Clinic", "Consent on file for care coordination", "Call Harbor Family Clinic", "Jordan does best with a text"] {
        assert!(page.text.contains(want), "{want} on the team page");
    }
    assert!(spec.get(&format!("/people/{id}")).await.text.contains(&team_path), "the person page links to the team page");

    // Bad input: every problem named, nothing saved.
    let before = app.store.tasks(app.demo_org, id, true).await.unwrap().len();
    let r = spec.post_form(&format!("{team_path}/tasks"), &[("title", " "), ("owner", ""), ("due_on", "2001-01-01")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["tk-title-err", "tk-owner-err", "tk-due_on-err"] {
        assert!(r.text.contains(&format!("id=\"{field}\"")), "{field} shown");
    }
    assert!(r.text.contains("The due date cannot be in the past."));
    spec.get(&team_path).await;
    let r = spec.post_form(&format!("{team_path}/tasks"), &[("title", "Drop off the ID letter"), ("owner", &s2.to_string()), ("due_on", &day(app, 2).await)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("The person doing it must be on this person&#x27;s team.") || r.text.contains("must be on this person"), "{}", r.text);
    assert!(r.text.contains("value=\"Drop off the ID letter\""), "what was typed is kept");
    assert_eq!(app.store.tasks(app.demo_org, id, true).await.unwrap().len(), before);

    // The specialist and the supervisor of the team add tasks; the owner sees theirs on the home page.
    spec.get(&team_path).await;
    let r = spec.post_form(&format!("{team_path}/tasks"), &[("title", "Bring the bus map"), ("owner", &s1.to_string()), ("due_on", &day(app, 0).await)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(800).collect::<String>());
    let mut sup = app.login("supervisor@demo").await;
    sup.get(&team_path).await;
    let r = sup.post_form(&format!("{team_path}/tasks"), &[("title", "Ask the clinic about evening hours"), ("owner", &s1.to_string()), ("due_on", &day(app, 3).await)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let home = spec.get("/caseload").await;
    assert!(home.text.contains("Your tasks due this week") && home.text.contains("Bring the bus map") && home.text.contains("Ask the clinic about evening hours"));
    assert!(home.text.contains("Handoff notes to read"), "the demo handoff note waits for specialist@demo");
    // Marking done from the home page.
    let task = app.store.tasks(app.demo_org, id, false).await.unwrap().into_iter().find(|t| t.title == "Bring the bus map").unwrap();
    let r = spec.post_form(&format!("{team_path}/tasks/{}/done", task.id), &[("back", "caseload")]).await;
    assert_eq!((r.status, r.location().as_str()), (StatusCode::SEE_OTHER, "/caseload?task=done"));
    spec.get("/caseload").await;
    assert_eq!(spec.post_form(&format!("{team_path}/tasks/{}/done", task.id), &[]).await.status, StatusCode::CONFLICT);

    // A supervisor of another team: not found, and the refusal is audited.
    let mut other = app.login("othersup@demo").await;
    assert_eq!(other.get(&team_path).await.status, StatusCode::NOT_FOUND);
    other.get("/account").await;
    assert_eq!(other.post_form(&format!("{team_path}/tasks"), &[("title", "x"), ("owner", &s1.to_string()), ("due_on", &day(app, 1).await)]).await.status, StatusCode::NOT_FOUND);
    assert!(app.store.count_audit(app.demo_org, "person.team_view", Some(id), Some("denied")).await.unwrap() >= 1);

    // The person sees their team's names and roles and the outside provider, not the internal tasks or handoff notes.
    let mut peer = app.login("peer@demo").await;
    let mine = peer.get(&team_path).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.text.contains("Robin Specialist") && mine.text.contains("Peer specialist") && mine.text.contains("Harbor Family Clinic"));
    for hidden in ["Call Harbor Family Clinic", "Bring the bus map", "Jordan does best with a text", "Consent on file"] {
        assert!(!mine.text.contains(hidden), "the person does not see {hidden}");
    }
    assert_eq!(peer.post_form(&format!("{team_path}/tasks"), &[("title", "x")]).await.status, StatusCode::FORBIDDEN);
    let j = peer.json("GET", &format!("/api/v1/people/{id}/team"), None, &[]).await;
    assert_eq!(j.status, StatusCode::OK);
    assert_eq!(j.json()["members"][0]["role"], "primary_specialist");
    assert_eq!(peer.json("GET", &format!("/api/v1/people/{id}/team/tasks"), None, &[]).await.status, StatusCode::FORBIDDEN);
    // Another person's login: not found.
    let mut peer2 = app.login("peer2@demo").await;
    assert_eq!(peer2.get(&team_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer2.json("GET", &format!("/api/v1/people/{id}/team"), None, &[]).await.status, StatusCode::NOT_FOUND);
    // An administrator reads the working side but does not change it.
    let mut admin = app.login("admin@demo").await;
    assert!(admin.get(&team_path).await.text.contains("Ask the clinic about evening hours"));

    // The API: list, add, finish.
    spec.get("/account").await;
    let token = spec.csrf.clone();
    let h = [("x-csrf-token", token.as_str())];
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/tasks"), Some(json!({"title": "Send the voucher form", "owner_id": s1, "due_on": day(app, 1).await})), &h).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let tid = r.json()["id"].as_i64().unwrap();
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/tasks"), Some(json!({"title": "", "owner_id": s1, "due_on": "soon"})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.header("content-type"), "application/problem+json");
    let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["title", "due_on"]);
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/tasks"), Some(json!({"title": "x"})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a body without its fields names what is missing");
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/tasks/{tid}/done"), None, &h).await;
    assert_eq!((r.status, r.json()["status"].as_str().unwrap()), (StatusCode::OK, "done"));
    let list = spec.json("GET", &format!("/api/v1/people/{id}/team/tasks"), None, &[]).await.json();
    assert!(list.as_array().unwrap().len() >= 5);
    assert_eq!(app.store.count_audit(app.demo_org, "team.task_create", Some(id), Some("ok")).await.unwrap(), 5);
    assert_eq!(app.store.count_audit(app.demo_org, "team.task_done", Some(id), Some("ok")).await.unwrap(), 2);
    assert!(app.verify_audit().await.is_ok());
});

both!(nothing_is_shared_with_an_outside_provider_without_consent, async |app: &TestApp| {
    let id = quiet_person(app).await;
    let team_path = format!("/people/{id}/team");
    let mut spec = app.login("specialist@demo").await;
    spec.get(&team_path).await;
    // Bad input first: a provider needs a name.
    let r = spec.post_form(&format!("{team_path}/providers"), &[("name", ""), ("organization", "Eastside Counseling")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"pr-name-err\"") && r.text.contains("value=\"Eastside Counseling\""));
    let r = spec.post_form(&format!("{team_path}/providers"), &[("name", "Dr. Ana Ruiz"), ("organization", "Eastside Counseling"), ("role", "Counselor"), ("contact", "555-0199")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let provider = app.store.providers(app.demo_org, id).await.unwrap()[0].id;
    let page = spec.get(&team_path).await;
    assert!(page.text.contains("No consent for care coordination: nothing can be shared with them."));

    // No consent: refused with a clear message; nothing disclosed; a denied audit row.
    let share = format!("{team_path}/providers/{provider}/share");
    let r = spec.post_form(&share, &[("kinds", "contact"), ("what", "Phone number")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("There is no consent on record for sharing with Eastside Counseling. Nothing was shared."), "{}", r.text);
    assert!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().is_empty());
    assert_eq!(app.store.count_audit(app.demo_org, "disclosure.create", Some(id), Some("denied")).await.unwrap(), 1);
    // Choosing nothing to share is its own error.
    spec.get(&team_path).await;
    let r = spec.post_form(&share, &[("what", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A consent for care coordination that names the counselor covers contact details, not substance use.
    let expires = day(app, 30).await;
    spec.get(&format!("/people/{id}/referrals")).await;
    let r = spec
        .post_form(&format!("/people/{id}/consents"), &[("recipient_name", "Dr. Ana Ruiz"), ("purposes", "care_coordination"), ("kinds", "contact"), ("expires_on", &expires), ("signature", "Signed in person")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(1500).collect::<String>());
    assert!(spec.get(&team_path).await.text.contains("Consent on file for care coordination: Name and contact details"));
    let r = spec.post_form(&share, &[("kinds", "contact"), ("kinds", "substance_use")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Nothing was shared."));
    spec.get(&team_path).await;
    let r = spec.post_form(&share, &[("kinds", "contact"), ("what", "Phone number for the intake call")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(1500).collect::<String>());
    let d = app.store.disclosures_for_person(app.demo_org, id).await.unwrap();
    assert_eq!((d.len(), d[0].purpose.as_str(), d[0].recipient_name.as_str()), (1, "care_coordination", "Dr. Ana Ruiz"));
    assert!(spec.get(&team_path).await.text.contains("Phone number for the intake call"));

    // The API refuses the same way, naming the reason.
    spec.get("/account").await;
    let token = spec.csrf.clone();
    let h = [("x-csrf-token", token.as_str())];
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/providers/{provider}/share"), Some(json!({"kinds": ["recovery_goals"]})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "share");
    assert!(r.json()["detail"].as_str().unwrap().contains("kind_not_covered"), "{}", r.text);
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/providers/{provider}/share"), Some(json!({"kinds": ["contact"], "what": "Phone"})), &h).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = spec.json("POST", &format!("/api/v1/people/{id}/team/providers"), Some(json!({"name": "Ms. Lee", "organization": "Northside Housing"})), &h).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().len(), 2);
    // Removing a provider keeps what was shared in the accounting.
    spec.get(&team_path).await;
    assert_eq!(spec.post_form(&format!("{team_path}/providers/{provider}/remove"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().len(), 2);
    assert!(app.verify_audit().await.is_ok());
});

both!(the_new_specialist_reads_the_handoff_note_first, async |app: &TestApp| {
    let id = quiet_person(app).await;
    let s1 = app.user_id("specialist@demo").await;
    let s2 = app.user_id("specialist2@demo").await;
    let mut sup = app.login("supervisor@demo").await;
    sup.get(&format!("/people/{id}")).await;
    let note = "Likes to meet at the library. The housing application is with the county; call them Friday.";
    let r = sup.post_form(&format!("/people/{id}/team"), &[("action", "primary"), ("user", &s2.to_string()), ("handoff_note", note)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap().primary_specialist_id, Some(s2));
    // The new specialist sees it first, on the person page and on their home page.
    let mut new = app.login("specialist2@demo").await;
    assert!(new.get("/caseload").await.text.contains("Handoff notes to read"));
    let page = new.get(&format!("/people/{id}")).await;
    let banner = page.text.find("Handoff note: please read this first").expect("the handoff note is shown");
    assert!(banner < page.text.find("Strengths").unwrap() && page.text.contains("Likes to meet at the library"));
    // Only they can mark it read; the previous specialist no longer sees the person.
    let hid = app.store.handoffs(app.demo_org, id).await.unwrap()[0].id;
    let mut old = app.login("specialist@demo").await;
    old.get("/account").await;
    assert_eq!(old.post_form(&format!("/people/{id}/team/handoffs/{hid}/ack"), &[]).await.status, StatusCode::NOT_FOUND);
    sup.get(&format!("/people/{id}")).await;
    assert_eq!(sup.post_form(&format!("/people/{id}/team/handoffs/{hid}/ack"), &[]).await.status, StatusCode::NOT_FOUND, "not theirs to acknowledge");
    new.get(&format!("/people/{id}")).await;
    let r = new.post_form(&format!("/people/{id}/team/handoffs/{hid}/ack"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = new.get(&format!("/people/{id}")).await;
    assert!(!page.text.contains("Handoff note: please read this first"));
    assert!(new.get(&format!("/people/{id}/team")).await.text.contains("Likes to meet at the library"), "kept in the team's history");
    assert_eq!(new.post_form(&format!("/people/{id}/team/handoffs/{hid}/ack"), &[]).await.status, StatusCode::CONFLICT);
    // An over-long note is refused and nothing changes.
    sup.get(&format!("/people/{id}")).await;
    let long = "x".repeat(8001);
    assert_eq!(sup.post_form(&format!("/people/{id}/team"), &[("action", "primary"), ("user", &s1.to_string()), ("handoff_note", &long)]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap().primary_specialist_id, Some(s2));

    // The API: a supervisor hands back with a note; the specialist reads and acknowledges it.
    sup.get("/account").await;
    let token = sup.csrf.clone();
    let r = sup.json("POST", &format!("/api/v1/people/{id}/handoffs"), Some(json!({"to_user_id": s1, "note": "Back to Robin while Kai is away."})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let hid2 = r.json()["handoff"]["id"].as_i64().unwrap();
    let r = sup.json("POST", &format!("/api/v1/people/{id}/handoffs"), Some(json!({"to_user_id": s1, "note": "again"})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "already their specialist");
    let mut s1c = app.login("specialist@demo").await;
    s1c.get("/account").await;
    let t1 = s1c.csrf.clone();
    let list = s1c.json("GET", &format!("/api/v1/people/{id}/handoffs"), None, &[]).await;
    assert_eq!(list.json().as_array().unwrap().len(), 2);
    let r = s1c.json("POST", &format!("/api/v1/people/{id}/handoffs/{hid2}/acknowledge"), None, &[("x-csrf-token", &t1)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["acknowledged_ms"].is_i64());
    assert_eq!(app.store.count_audit(app.demo_org, "handoff.create", Some(id), Some("ok")).await.unwrap(), 2);
    assert_eq!(app.store.count_audit(app.demo_org, "handoff.acknowledge", Some(id), Some("ok")).await.unwrap(), 2);
    assert!(app.verify_audit().await.is_ok());
});

both!(crisis_events_over_the_api_with_follow_ups, async |app: &TestApp| {
    let id = quiet_person(app).await;
    let s1 = app.user_id("specialist@demo").await;
    other_supervisor(app).await;
    let mut spec = app.login("specialist@demo").await;
    spec.get("/account").await;
    let token = spec.csrf.clone();
    let h = [("x-csrf-token", token.as_str())];
    let yesterday = day(app, -1).await;
    let r = spec.json("POST", &format!("/api/v1/people/{id}/crisis-events"), Some(json!({"occurred_on": "2999-01-01", "what_happened": ""})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert!(fields.contains(&"what_happened".to_string()) && fields.contains(&"occurred_on".to_string()), "{fields:?}");
    let r = spec
        .json("POST", &format!("/api/v1/people/{id}/crisis-events"), Some(json!({"occurred_on": yesterday, "occurred_time": "21:10", "what_happened": "Called late at night, very low; stayed on the line and called 988 together.", "contacted": "988"})), &h)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let body = r.json();
    let eid = body["event"]["id"].as_i64().unwrap();
    assert_eq!(body["escalated_to"], json!(["Sam Supervisor"]));
    assert_eq!(r.location(), format!("/api/v1/crisis-events/{eid}"));

    // The team's supervisor lists it; the other team's supervisor and the peer do not.
    let mut sup = app.login("supervisor@demo").await;
    sup.get("/account").await;
    let st = sup.csrf.clone();
    let list = sup.json("GET", "/api/v1/crisis-events", None, &[]).await.json();
    assert!(list.as_array().unwrap().iter().any(|e| e["id"] == eid && e["status"] == "open"));
    let mut other = app.login("othersup@demo").await;
    assert!(!other.json("GET", "/api/v1/crisis-events", None, &[]).await.text.contains(&format!("\"id\":{eid},")));
    assert_eq!(other.json("GET", &format!("/api/v1/crisis-events/{eid}"), None, &[]).await.status, StatusCode::NOT_FOUND);
    let mut peer = app.login("peer@demo").await;
    assert_eq!(peer.json("GET", "/api/v1/crisis-events", None, &[]).await.status, StatusCode::FORBIDDEN);

    // Follow-ups with owners and due dates: on the event, and on the owner's home page.
    let r = sup.json("POST", &format!("/api/v1/crisis-events/{eid}/follow-ups"), Some(json!({"title": "Check in by phone", "owner_id": s1, "due_on": day(app, 1).await})), &[("x-csrf-token", &st)]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["crisis_event_id"], eid);
    sup.get(&format!("/crisis/{eid}")).await;
    let r = sup.post_form(&format!("/crisis/{eid}/follow-ups"), &[("title", ""), ("owner", &s1.to_string()), ("due_on", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"fu-title-err\"") && r.text.contains("id=\"fu-due_on-err\""));
    let r = sup.post_form(&format!("/crisis/{eid}/follow-ups"), &[("title", "Visit with the sister's consent"), ("owner", &s1.to_string()), ("due_on", &day(app, 2).await)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let event_page = sup.get(&format!("/crisis/{eid}")).await;
    assert!(event_page.text.contains("Check in by phone") && event_page.text.contains("Visit with the sister"));
    assert!(spec.get("/caseload").await.text.contains("Check in by phone"));
    let got = sup.json("GET", &format!("/api/v1/crisis-events/{eid}"), None, &[]).await.json();
    assert_eq!(got["follow_ups"].as_array().unwrap().len(), 2);

    // Closing needs a follow-up note; closing twice is a conflict.
    let r = sup.json("POST", &format!("/api/v1/crisis-events/{eid}/close"), Some(json!({"closing_note": "  "})), &[("x-csrf-token", &st)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "closing_note");
    let r = sup.json("POST", &format!("/api/v1/crisis-events/{eid}/close"), Some(json!({"closing_note": "Safe at his sister's; follow-ups planned."})), &[("x-csrf-token", &st)]).await;
    assert_eq!((r.status, r.json()["status"].as_str().unwrap()), (StatusCode::OK, "closed"));
    assert_eq!(sup.json("POST", &format!("/api/v1/crisis-events/{eid}/close"), Some(json!({"closing_note": "again"})), &[("x-csrf-token", &st)]).await.status, StatusCode::CONFLICT);
    assert!(!sup.json("GET", "/api/v1/crisis-events", None, &[]).await.text.contains(&format!("\"id\":{eid},")));
    assert_eq!(app.store.count_audit(app.demo_org, "crisis.follow_up_create", Some(id), Some("ok")).await.unwrap(), 2);
    let doc = serde_json::to_value(lantern_web::api::openapi()).unwrap();
    for p in ["/api/v1/crisis-events", "/api/v1/people/{id}/crisis-events", "/api/v1/crisis-events/{id}/close", "/api/v1/people/{id}/team", "/api/v1/people/{id}/handoffs"] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
    assert!(app.verify_audit().await.is_ok());
});
