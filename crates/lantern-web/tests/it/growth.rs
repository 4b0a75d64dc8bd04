//! "My growth": competency profile with evidence, supervision signed by both,
//! boundary questions never shown to the person, self-care private to its owner.

use axum::http::StatusCode;
use lantern_domain::{Role, Roles};
use lantern_web::routes::{self, Allow};
use serde_json::json;

use crate::both;
use crate::support::*;

async fn api(c: &mut Client, method: &str, path: &str, body: Option<serde_json::Value>) -> Resp {
    let token = c.csrf.clone();
    c.json(method, path, body, &[("x-csrf-token", &token)]).await
}

async fn signed_in(app: &TestApp, email: &str) -> Client {
    let mut c = app.login(email).await;
    c.get("/account").await;
    c
}

/// A supervisor in the demo organization who leads another team (nobody of the demo team).
async fn other_supervisor(app: &TestApp) -> i64 {
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    let u = app
        .store
        .create_user(
            &lantern_store::users::NewUser {
                org_id: app.demo_org, email: "othersup@demo".into(), display_name: "Other Supervisor".into(), credentials: String::new(),
                roles: Roles::empty().with(Role::Supervisor), password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()), person_id: None, active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap();
    let team = app.store.create_team(app.demo_org, "Eastside").await.unwrap();
    app.store.add_team_member(team, u.id, true).await.unwrap();
    u.id
}

async fn staff(app: &TestApp, email: &str, role: Role) -> i64 {
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    app.store
        .create_user(
            &lantern_store::users::NewUser {
                org_id: app.demo_org, email: email.into(), display_name: format!("Staff {email}"), credentials: String::new(),
                roles: Roles::empty().with(role), password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()), person_id: None, active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap()
        .id
}

/// Every GET route, with `{id}` replaced by each of `ids`.
fn get_paths(ids: &[i64]) -> Vec<String> {
    let mut out = vec![];
    for s in routes::specs().into_iter().filter(|s| s.method == "GET" && s.allow != Allow::Public) {
        if s.path.contains("{token}") {
            continue;
        }
        if s.path.contains("{id}") {
            for id in ids {
                out.push(s.path.replace("{id}", &id.to_string()));
                if s.path == "/appointments/{id}" {
                    out.push(format!("/appointments/{id}.ics"));
                }
            }
        } else {
            out.push(s.path.to_string());
        }
    }
    out
}

/// Each category's evidence over the last two quarters, as the API reports it.
async fn evidence_by_category(c: &mut Client) -> Vec<u64> {
    let r = api(c, "GET", "/api/v1/growth/profile?quarters=2", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = r.json();
    p["categories"].as_array().unwrap().iter().map(|c| c["trend"].as_array().unwrap().iter().map(|t| t["contacts"].as_u64().unwrap()).sum()).collect()
}

both!(the_profile_follows_notes_signed_and_returned_after_it_was_read, async |app: &TestApp| {
    // The profile keeps evidence counts in memory between views: signing and
    // returning a note must still show on the very next view.
    let person = app.person_only_on_specialist1().await;
    let today = app.store.today(app.demo_org).await.unwrap();
    let date = today.checked_sub(jiff::Span::new().days(1)).unwrap().to_string();
    let code = app.store.service_codes(app.demo_org).await.unwrap()[0].id;
    let mapping = app.store.competency_mapping(app.demo_org).await.unwrap();
    let bits = lantern_domain::growth::categories_of("recovery_planning", &mapping);
    assert_ne!(bits, 0, "recovery planning is evidence of some category");
    let mut me = signed_in(app, "specialist@demo").await;
    let before = evidence_by_category(&mut me).await;
    assert_eq!(evidence_by_category(&mut me).await, before, "read twice, the same");
    let note = json!({
        "kind": "individual", "modality": "in_person", "setting": "Recovery center", "date": date, "start": "10:00", "end": "10:50",
        "service_code_id": code, "activities": ["recovery_planning"],
        "what_we_did": "Went over the housing form together", "purpose": "Their housing goal",
        "how_it_went": "\"I can do the rest myself\"", "next_steps": "Call on Tuesday",
    });
    let r = api(&mut me, "POST", &format!("/api/v1/people/{person}/notes"), Some(note)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(evidence_by_category(&mut me).await, before, "a draft is not evidence");
    let r = api(&mut me, "POST", &format!("/api/v1/notes/{id}/sign"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let after = evidence_by_category(&mut me).await;
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        let expect = b + u64::from(bits & (1 << (i + 1)) != 0);
        assert_eq!(*a, expect, "category {} after signing", i + 1);
    }
    let mut sup = signed_in(app, "supervisor@demo").await;
    let r = sup.post_form(&format!("/notes/{id}/return"), &[("comment", "Please say how this ties to their housing goal.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(evidence_by_category(&mut me).await, before, "a returned note stops counting");
    // What the profile shows agrees with a recount from the notes themselves.
    let s1 = app.user_id("specialist@demo").await;
    let from = lantern_domain::growth::Quarter::of(today).last(2)[0].start();
    let cached = app.store.evidence_groups(app.demo_org, s1, from).await.unwrap();
    let mut fresh = app.store.evidence_groups_uncached(app.demo_org, s1, from).await.unwrap();
    let mut cached = cached.as_ref().clone();
    let key = |g: &lantern_domain::growth::EvidenceGroup| (g.activities.clone(), g.year, g.month);
    cached.sort_by_key(key);
    fresh.sort_by_key(key);
    assert_eq!(cached, fresh);
});

both!(the_profile_counts_evidence_and_takes_assessments_and_ratings, async |app: &TestApp| {
    let s1 = app.user_id("specialist@demo").await;
    let mut me = signed_in(app, "specialist@demo").await;
    let page = me.get("/growth").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("Feel ready to support someone through a crisis"), "the demo goal");
    assert!(page.text.contains("Robin shares with purpose"), "the demo rating");
    // Evidence: the API's counts equal a recount of the same signed notes, note by note.
    let r = api(&mut me, "GET", "/api/v1/growth/profile?quarters=12", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = r.json();
    let mapping = app.store.competency_mapping(app.demo_org).await.unwrap();
    let today = app.store.today(app.demo_org).await.unwrap();
    let q = lantern_domain::growth::Quarter::of(today);
    let notes = app.store.evidence_notes(app.demo_org, s1, q.start(), 1_000_000).await.unwrap();
    let mut total = 0;
    for c in p["categories"].as_array().unwrap() {
        let n = c["number"].as_u64().unwrap() as u8;
        let expect = notes.iter().filter(|e| lantern_domain::growth::categories_of(&e.activities, &mapping) & (1 << n) != 0).count() as u64;
        assert_eq!(c["contacts_this_quarter"].as_u64().unwrap(), expect, "category {n}");
        assert_eq!(c["trend"].as_array().unwrap().len(), 12);
        total += expect;
        for e in c["examples"].as_array().unwrap() {
            let r = me.get(&format!("/notes/{}", e["note_id"])).await;
            assert_eq!(r.status, StatusCode::OK, "an example link opens for its author");
        }
    }
    assert!(total > 0, "the demo's signed notes show up as evidence");
    assert_eq!(api(&mut me, "GET", "/api/v1/growth/profile?quarters=13", None).await.status, StatusCode::BAD_REQUEST);
    // Bad input names every field and saves nothing.
    let before = app.store.assessments(app.demo_org, s1).await.unwrap().len();
    let r = me.post_form("/growth/assessments", &[("category", "13"), ("level", "9")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"g-category-err\"") && r.text.contains("id=\"g-level-err\""));
    assert_eq!(app.store.assessments(app.demo_org, s1).await.unwrap().len(), before);
    let r = me.post_form("/growth/assessments", &[("category", "9"), ("level", "3"), ("comment", "I ask before I assume.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.assessments(app.demo_org, s1).await.unwrap().len(), before + 1, "history is kept");
    let r = me.post_form("/growth/goals", &[("category", "6"), ("title", ""), ("steps", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"g-title-err\""));
    let r = api(&mut me, "POST", "/api/v1/growth/goals", Some(json!({"category": 6, "title": "Know three housing programs well", "steps": ["Visit one", "Call two"]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // A specialist does not rate themself, nor read another's profile.
    assert_eq!(api(&mut me, "POST", &format!("/api/v1/growth/staff/{s1}/ratings"), Some(json!({"category": 1, "level": 4}))).await.status, StatusCode::FORBIDDEN);
    // Their supervisor reads and rates.
    let mut sup = signed_in(app, "supervisor@demo").await;
    let r = sup.get(&format!("/growth/staff/{s1}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("I ask before I assume."));
    let r = sup.post_form(&format!("/growth/staff/{s1}/ratings"), &[("category", "9"), ("level", "3"), ("comment", "Agreed.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = api(&mut sup, "POST", &format!("/api/v1/growth/staff/{s1}/ratings"), Some(json!({"category": 0, "level": 5}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A supervisor of another team: not found, and the refusal is audited.
    other_supervisor(app).await;
    let mut other = signed_in(app, "othersup@demo").await;
    assert_eq!(other.get(&format!("/growth/staff/{s1}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api(&mut other, "GET", &format!("/api/v1/growth/staff/{s1}/profile"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.post_form(&format!("/growth/staff/{s1}/ratings"), &[("category", "1"), ("level", "2")]).await.status, StatusCode::NOT_FOUND);
    // Someone in another organization does not exist here.
    let mut foreign = signed_in(app, "specialist@other").await;
    assert_eq!(foreign.get(&format!("/growth/staff/{s1}")).await.status, StatusCode::NOT_FOUND);
    assert!(app.verify_audit().await.is_ok());
});

both!(a_supervision_session_proposes_its_agenda_and_locks_when_both_sign, async |app: &TestApp| {
    let s1 = app.user_id("specialist@demo").await;
    let s2 = app.user_id("specialist2@demo").await;
    let sup_id = app.user_id("supervisor@demo").await;
    let today = app.store.today(app.demo_org).await.unwrap();
    let two_years = today.checked_sub(jiff::Span::new().years(2)).unwrap();
    let hours_before = app.store.supervision_hours(s1, two_years, today).await.unwrap();
    assert!((hours_before - 1.75).abs() < 1e-9, "the demo's two signed sessions: {hours_before}");
    let mut sup = signed_in(app, "supervisor@demo").await;
    // Bad input: a future date, an individual session with two people.
    let tomorrow = today.checked_add(jiff::Span::new().days(1)).unwrap().to_string();
    let r = api(&mut sup, "POST", "/api/v1/supervision/sessions", Some(json!({"kind": "individual", "on_date": tomorrow, "minutes": 60, "supervisees": [s1, s2]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["errors"].as_array().map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default();
    assert!(r.text.contains("on_date") && r.text.contains("supervisees"), "{fields:?} {}", r.text);
    // The form opens a session with the proposed agenda.
    let r = sup.post_form("/supervision", &[("kind", "individual"), ("on_date", &today.to_string()), ("minutes", "90"), ("supervisee", &s1.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let path = r.location();
    let id: i64 = path.trim_start_matches("/supervision/").parse().unwrap();
    let s = api(&mut sup, "GET", &format!("/api/v1/supervision/sessions/{id}"), None).await.json();
    let sources: Vec<String> = s["items"].as_array().unwrap().iter().map(|i| i["source"].as_str().unwrap().to_string()).collect();
    assert!(sources.iter().any(|s| s.starts_with("boundary:")), "the demo boundary question: {sources:?}");
    assert!(sources.iter().any(|s| s.starts_with("goal:")), "the demo growth goal: {sources:?}");
    let page = sup.get(&path).await;
    assert!(page.text.contains("Boundary question") && page.text.contains("Growth goal"));
    // An action item needs an owner; lines are added by both.
    let r = sup.post_form(&format!("{path}/items"), &[("kind", "action"), ("body", "Call the housing office")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"i-owner-err\""));
    let r = sup.post_form(&format!("{path}/items"), &[("kind", "action"), ("body", "Call the housing office"), ("owner", &s1.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut me = signed_in(app, "specialist@demo").await;
    let r = api(&mut me, "POST", &format!("/api/v1/supervision/sessions/{id}/items"), Some(json!({"kind": "reflection", "body": "I felt steadier this week."}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Someone outside the session, or a supervisor of another team: not found.
    let mut s2c = signed_in(app, "specialist2@demo").await;
    assert_eq!(s2c.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2c.post_form(&format!("{path}/sign"), &[]).await.status, StatusCode::NOT_FOUND);
    other_supervisor(app).await;
    let mut other = signed_in(app, "othersup@demo").await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api(&mut other, "GET", &format!("/api/v1/supervision/sessions/{id}"), None).await.status, StatusCode::NOT_FOUND);
    // Both sign; then the session is locked and the hours count.
    assert_eq!(me.post_form(&format!("{path}/sign"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(me.post_form(&format!("{path}/sign"), &[]).await.status, StatusCode::CONFLICT, "once each");
    assert!((app.store.supervision_hours(s1, two_years, today).await.unwrap() - hours_before).abs() < 1e-9, "not counted before everyone signed");
    let r = api(&mut sup, "POST", &format!("/api/v1/supervision/sessions/{id}/sign"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["locked"], json!(true));
    assert!((app.store.supervision_hours(s1, two_years, today).await.unwrap() - hours_before - 1.5).abs() < 1e-9);
    assert_eq!(app.store.supervision_hours(sup_id, two_years, today).await.unwrap(), 0.0, "hours count for the supervisee");
    let r = api(&mut me, "POST", &format!("/api/v1/supervision/sessions/{id}/items"), Some(json!({"kind": "reflection", "body": "Late."}))).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a signed session is locked");
    // The database refuses it too.
    assert!(app.store.add_session_item(app.demo_org, id, "reflection", "Sneaky", None, &Default::default()).await.is_err());
    // The boundary question was discussed, so it leaves the next agenda.
    let bs = app.store.boundaries_for(app.demo_org, s1, false).await.unwrap();
    assert!(bs.iter().all(|b| !b.open));
    // Under the default rule a specialist does not lead supervision.
    let r = api(&mut me, "POST", "/api/v1/supervision/sessions", Some(json!({"kind": "individual", "on_date": today.to_string(), "minutes": 30, "supervisees": [s2]}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Where the organization allows peer supervision, a teammate may.
    app.store.set_supervision_settings(app.demo_org, lantern_domain::growth::SupervisionRule::PeerAllowed, 25, &Default::default()).await.unwrap();
    let r = api(&mut me, "POST", "/api/v1/supervision/sessions", Some(json!({"kind": "individual", "on_date": today.to_string(), "minutes": 30, "supervisees": [s2]}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(app.verify_audit().await.is_ok());
});

both!(boundary_questions_are_never_shown_to_the_person, async |app: &TestApp| {
    let person = app.peer_person;
    let marker = "Asked to be friends on Instagram-BOUNDARY-7Q";
    let mut me = signed_in(app, "specialist@demo").await;
    let form = me.get(&format!("/people/{person}/boundaries/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    let r = me.post_form(&format!("/people/{person}/boundaries"), &[("kind", "nope"), ("what_happened", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"b-what_happened-err\""));
    let r = me.post_form(&format!("/people/{person}/boundaries"), &[("kind", "social_media"), ("what_happened", marker), ("what_i_did", "Said no kindly.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(me.get("/boundaries").await.text.contains(marker));
    let r = api(&mut me, "POST", &format!("/api/v1/people/{person}/boundaries"), Some(json!({"kind": "gift", "what_happened": format!("{marker} again")}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The supervisor sees it; a specialist who is not the author does not.
    let mut sup = signed_in(app, "supervisor@demo").await;
    assert!(sup.get("/boundaries").await.text.contains(marker));
    let mut s2 = signed_in(app, "specialist2@demo").await;
    assert!(!s2.get("/boundaries").await.text.contains(marker));
    assert!(!api(&mut s2, "GET", "/api/v1/boundaries", None).await.text.contains(marker));
    // Someone outside the caseload cannot write one about this person.
    let only = app.person_only_on_specialist1().await;
    assert_eq!(s2.post_form(&format!("/people/{only}/boundaries"), &[("kind", "gift"), ("what_happened", "x")]).await.status, StatusCode::NOT_FOUND);
    // The person: nothing, on any page or API they can reach (their record, access log, exports).
    let mut peer = app.login("peer@demo").await;
    peer.get("/me").await;
    let peer_user = app.user_id("peer@demo").await;
    for path in get_paths(&[person, peer_user]) {
        let r = peer.get(&path).await;
        assert!(!r.text.contains("BOUNDARY-7Q"), "{path} shows the boundary question to the person");
        assert!(!r.text.contains("Boundary question") && !r.text.contains("boundary_item"), "{path} hints at a boundary question");
    }
    assert!(app.verify_audit().await.is_ok());
});

both!(self_care_is_private_to_its_owner_and_shown_only_in_aggregate, async |app: &TestApp| {
    let marker = "SELFCARE-NOTE-51x";
    let mut me = signed_in(app, "specialist@demo").await;
    let r = me.post_form("/growth/self-care", &[("energy", "9"), ("note", marker)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"q-sleep-err\""));
    let r = me.post_form("/growth/self-care", &[("energy", "1"), ("sleep", "2"), ("connection", "4"), ("boundaries", "3"), ("joy", "5"), ("support", "4"), ("note", marker)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = me.get("/growth/self-care").await;
    assert!(page.text.contains("Plan one real break"), "a prompt for low energy");
    let r = api(&mut me, "GET", "/api/v1/self-care/check-ins", None).await;
    assert!(r.text.contains(marker));
    // The audit log records access, never the content.
    app.store.flush_audit().await.unwrap();
    let mut admin = signed_in(app, "admin@demo").await;
    // Supervisors and administrators: through every route, with every id we know of.
    let s1 = app.user_id("specialist@demo").await;
    let sessions = app.store.sessions_for(app.demo_org, s1).await.unwrap();
    let mut ids = vec![app.peer_person, s1, 1, 2, 3];
    ids.extend(sessions.iter().map(|s| s.id));
    let mut sup = signed_in(app, "supervisor@demo").await;
    for (who, c) in [("supervisor", &mut sup), ("admin", &mut admin)] {
        for path in get_paths(&ids) {
            let r = c.get(&path).await;
            assert!(!r.text.contains(marker), "{who} reads a self-care check-in at {path}");
        }
        let r = api(c, "GET", "/api/v1/self-care/check-ins", None).await;
        assert_eq!(r.json(), json!([]), "{who} sees only their own (none)");
    }
    let audit = admin.get("/admin/audit").await;
    assert!(audit.text.contains("selfcare"), "access is logged");
    // The organization's picture needs five people.
    let r = sup.get("/reports/self-care").await;
    assert!(r.text.contains("Not enough people to show"));
    for i in 0..4 {
        let email = format!("care{i}@demo");
        staff(app, &email, Role::Specialist).await;
        let mut c = signed_in(app, &email).await;
        let r = api(&mut c, "POST", "/api/v1/self-care/check-ins", Some(json!({"answers": [3, 3, 3, 3, 3, 5], "note": ""}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = api(&mut sup, "GET", "/api/v1/self-care/aggregate", None).await.json();
    assert_eq!(r["enough_people"], json!(true));
    assert_eq!(r["people"], json!(5));
    assert!((r["means"][0].as_f64().unwrap() - 2.6).abs() < 1e-9, "{r}");
    assert!(!sup.get("/reports/self-care").await.text.contains("Not enough people"));
    // A specialist never sees the aggregate either.
    assert_eq!(me.get("/reports/self-care").await.status, StatusCode::FORBIDDEN);
    assert!(app.verify_audit().await.is_ok());
});

both!(an_admin_sets_who_leads_supervision_and_the_hours_target, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    admin.get("/account").await;
    let page = admin.get("/admin/supervision").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("id=\"rule-supervisor\" name=\"lead_rule\" value=\"supervisor\" checked"), "supervisors only by default");
    assert!(page.text.contains("value=\"25\""), "IC&RC's 25 hours by default");
    // Bad input: each problem at its field, what was typed kept, nothing saved.
    let r = admin.post_form("/admin/supervision", &[("lead_rule", "anyone"), ("target_hours", "lots")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"s-lead_rule-err\"") && r.text.contains("id=\"s-target_hours-err\""), "{}", r.text);
    assert!(r.text.contains("value=\"lots\""));
    for hours in ["0", "501", "2.5", ""] {
        let r = admin.post_form("/admin/supervision", &[("lead_rule", "peer"), ("target_hours", hours)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{hours:?}");
    }
    let (rule, hours) = app.store.supervision_settings(app.demo_org).await.unwrap();
    assert_eq!((rule.code(), hours), ("supervisor", 25), "nothing was saved");
    // A good change is saved, audited, and shown on the specialist's growth page.
    let r = admin.post_form("/admin/supervision", &[("lead_rule", "peer"), ("target_hours", "30")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/admin/supervision?saved=1");
    let (rule, hours) = app.store.supervision_settings(app.demo_org).await.unwrap();
    assert_eq!((rule.code(), hours), ("peer", 30));
    assert_eq!(app.store.count_audit(app.demo_org, "supervision.settings", None, Some("ok")).await.unwrap(), 1);
    let mut s1 = app.login("specialist@demo").await;
    s1.get("/account").await;
    let growth = s1.get("/growth").await;
    assert!(growth.text.contains(" of 30.") || growth.text.contains(" of \u{2068}30\u{2069}."), "the target shows on the growth page");
    // Only admins reach the settings.
    assert_eq!(s1.get("/admin/supervision").await.status, StatusCode::FORBIDDEN);
    assert_eq!(s1.post_form("/admin/supervision", &[("lead_rule", "peer"), ("target_hours", "1")]).await.status, StatusCode::FORBIDDEN);
    // The same through the API.
    let h = admin.csrf.clone();
    let hdr = [("x-csrf-token", h.as_str())];
    let r = admin.json("GET", "/api/v1/supervision/settings", None, &hdr).await;
    assert_eq!(r.json(), json!({"lead_rule": "peer", "target_hours": 30}));
    let r = admin.json("PUT", "/api/v1/supervision/settings", Some(json!({"lead_rule": "boss", "target_hours": 0})), &hdr).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["lead_rule", "target_hours"]);
    let r = admin.json("PUT", "/api/v1/supervision/settings", Some(json!({"lead_rule": "supervisor", "target_hours": 40})), &hdr).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(app.store.supervision_settings(app.demo_org).await.unwrap().1, 40);
    let h1 = s1.csrf.clone();
    assert_eq!(s1.json("GET", "/api/v1/supervision/settings", None, &[("x-csrf-token", h1.as_str())]).await.status, StatusCode::FORBIDDEN);
});
