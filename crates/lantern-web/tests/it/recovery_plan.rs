//! Recovery plans: co-writing with a revision check, comments and agreement
//! from the portal, in-person agreement with a typed signature, versions that
//! never change (store and trigger level), exact comparison, milestones, the
//! review on the caseload, goals addressed by notes, who may see and write.

use axum::http::StatusCode;
use lantern_domain::recovery_plan::{DimensionSet, Goal, GoalStatus, PlanContent, Step, StepStatus};
use lantern_domain::{Role, Roles};
use lantern_store::recovery_plans::AgreedHow;
use lantern_store::users::Who;
use proptest::prelude::*;
use serde_json::json;

use crate::both;
use crate::support::*;

fn goal_fields<'a>(rev: &'a str, words: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("rev", rev),
        ("strengths", "Patient with my kids; I keep trying."),
        ("goal_0_dimension", "home"),
        ("goal_0_words", words),
        ("goal_0_summary", "Housing"),
        ("goal_0_status", "working"),
        ("step_0_0_what", "Call the housing office"),
        ("step_0_0_who", "me and Robin"),
        ("step_0_0_by", "2099-05-01"),
        ("step_0_0_status", "in_progress"),
        ("goal_1_dimension", "community"),
        ("goal_1_words", "Go to the Thursday group"),
        ("goal_1_status", "reached"),
    ]
}

async fn other_supervisor(app: &TestApp) -> Client {
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
    let mut c = app.login("othersup@demo").await;
    c.get("/account").await;
    c
}

both!(a_plan_is_co_written_commented_agreed_in_the_portal_and_compared, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s = app.login("specialist@demo").await;
    // The demo already holds an agreed version and a newer draft.
    let page = s.get(&format!("/people/{id}/recovery-plan")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("A place of my own") && page.text.contains("Version 1"), "{}", page.text);
    let v1 = app.store.plan_version(app.demo_org, id, Some(1)).await.unwrap().unwrap();
    let form = s.get(&format!("/people/{id}/recovery-plan/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    let rev = hidden_field(&form.text, "rev").unwrap();
    assert!(form.text.contains("Fix bikes again"), "the form opens with the draft");
    // Bad input: a goal without a part of life, a step without what, a date that is not one, a review in the past.
    let r = s
        .post_form(&format!("/people/{id}/recovery-plan"), &[
            ("rev", &rev), ("goal_0_words", "Work again"), ("step_0_0_who", "me"), ("step_0_0_by", "next week"), ("review_on", "2001-01-01"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["goal_0_dimension", "step_0_0_what", "step_0_0_by", "review_on"] {
        assert!(r.text.contains(&format!("id=\"p-{f}-err\"")), "{f} named");
    }
    assert!(r.text.contains("Work again"), "what was typed is kept");
    assert_eq!(app.store.plan_draft(app.demo_org, id).await.unwrap().unwrap().rev.to_string(), rev, "nothing saved on error");
    assert_eq!(s.post_form(&format!("/people/{id}/recovery-plan"), &[("goal_0_words", "x")]).await.status, StatusCode::BAD_REQUEST, "no revision");
    // A good draft saves; a goal marked reached becomes a milestone on the timeline.
    let r = s.post_form(&format!("/people/{id}/recovery-plan"), &goal_fields(&rev, "My own apartment by summer")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let draft = app.store.plan_draft(app.demo_org, id).await.unwrap().unwrap();
    assert_eq!(draft.plan.goals.len(), 2);
    // Two writers from the same revision: the second keeps their words and is told.
    let r = s.post_form(&format!("/people/{id}/recovery-plan"), &goal_fields(&rev, "Late writer words")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("Late writer words"));
    assert!(app.store.plan_draft(app.demo_org, id).await.unwrap().unwrap().plan.goals[0].in_my_words.contains("My own apartment"));
    let person_page = s.get(&format!("/people/{id}")).await;
    assert!(person_page.text.contains("Goal reached"), "the reached goal is celebrated on the timeline");

    // The person reads it in the portal, comments and agrees.
    let mut peer = app.login("peer@demo").await;
    let me = peer.get("/me").await;
    assert!(me.text.contains(&format!("/people/{id}/recovery-plan")) && me.text.contains("new draft of your recovery plan"));
    assert!(me.text.contains("Recovery anniversary"), "the anniversary they chose to share is on their home");
    let mine = peer.get(&format!("/people/{id}/recovery-plan")).await;
    assert!(mine.text.contains("My own apartment by summer") && mine.text.contains("I agree to this plan"));
    let r = peer.post_form(&format!("/people/{id}/recovery-plan/comments"), &[("comment", "  ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-comment-err\""));
    let r = peer.post_form(&format!("/people/{id}/recovery-plan/comments"), &[("comment", "Can we say 'by the fall' instead?")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stale = (draft.rev - 1).to_string();
    let r = peer.post_form(&format!("/people/{id}/recovery-plan/agree"), &[("rev", &stale)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "agreeing to an older revision than the one saved is refused");
    let r = peer.post_form(&format!("/people/{id}/recovery-plan/agree"), &[("rev", &draft.rev.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let v2 = app.store.plan_version(app.demo_org, id, None).await.unwrap().unwrap();
    assert_eq!((v2.version, v2.how), (2, AgreedHow::Portal));
    assert_eq!(v2.plan, draft.plan);
    let again = peer.post_form(&format!("/people/{id}/recovery-plan/agree"), &[("rev", &(draft.rev + 1).to_string())]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "nothing open to agree to");

    // The specialist sees the agreed version and the comment, and compares.
    let page = s.get(&format!("/people/{id}/recovery-plan")).await;
    assert!(page.text.contains("Version 2, agreed by Jordan (peer) in their portal"), "{}", page.text);
    assert!(page.text.contains("by the fall"));
    let cmp = s.get(&format!("/people/{id}/recovery-plan/compare?a=1&b=2")).await;
    assert_eq!(cmp.status, StatusCode::OK);
    assert!(cmp.text.contains("My own apartment by summer") && cmp.text.contains("A place of my own where I can have my daughter over"));
    assert_eq!(s.get(&format!("/people/{id}/recovery-plan/compare?a=1&b=9")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&format!("/people/{id}/recovery-plan?version=9")).await.status, StatusCode::NOT_FOUND);
    let old = s.get(&format!("/people/{id}/recovery-plan?version=1")).await;
    assert!(old.text.contains("an earlier version") && old.text.contains("A place of my own"));
    assert_eq!(app.store.plan_version(app.demo_org, id, Some(1)).await.unwrap().unwrap(), v1, "version 1 never changed");

    // In-person agreement needs the person's typed signature.
    let form = s.get(&format!("/people/{id}/recovery-plan/edit")).await;
    let rev = hidden_field(&form.text, "rev").unwrap();
    let r = s.post_form(&format!("/people/{id}/recovery-plan"), &goal_fields(&rev, "My own apartment by the fall")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let rev = app.store.plan_draft(app.demo_org, id).await.unwrap().unwrap().rev.to_string();
    let r = s.post_form(&format!("/people/{id}/recovery-plan/agree"), &[("rev", &rev), ("signature", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-signature-err\""));
    let r = s.post_form(&format!("/people/{id}/recovery-plan/agree"), &[("rev", &rev), ("signature", "Jordan Rivers")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let v3 = app.store.plan_version(app.demo_org, id, None).await.unwrap().unwrap();
    assert_eq!((v3.version, v3.how, v3.signature.as_str()), (3, AgreedHow::InPerson, "Jordan Rivers"));

    // Everything audited.
    assert!(app.store.count_audit(app.demo_org, "recovery_plan.save", Some(id), Some("ok")).await.unwrap() >= 2);
    assert_eq!(app.store.count_audit(app.demo_org, "recovery_plan.agree", Some(id), Some("ok")).await.unwrap(), 3);
    assert!(app.store.count_audit(app.demo_org, "recovery_plan.comment", Some(id), Some("ok")).await.unwrap() >= 1);
    app.store.flush_audit().await.unwrap();
    assert!(app.store.count_audit(app.demo_org, "recovery_plan.view", Some(id), Some("ok")).await.unwrap() >= 4);
    assert!(app.store.count_audit(app.demo_org, "recovery_plan.compare", Some(id), Some("ok")).await.unwrap() >= 1);
    app.verify_audit().await.unwrap();
});

both!(who_may_see_and_write_a_plan, async |app: &TestApp| {
    let id = app.peer_person;
    let only_s1 = app.person_only_on_specialist1().await;
    let not_me = if only_s1 == id { id + 1 } else { only_s1 };
    let plan = format!("/people/{id}/recovery-plan");
    // The team's supervisor reads and may write; the admin reads but does not write.
    let mut sup = app.login("supervisor@demo").await;
    assert_eq!(sup.get(&plan).await.status, StatusCode::OK);
    assert_eq!(sup.get(&format!("{plan}/edit")).await.status, StatusCode::OK);
    let mut admin = app.login("admin@demo").await;
    admin.get("/account").await;
    let page = admin.get(&plan).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("/recovery-plan/agree"), "no agreement form for an administrator");
    assert_eq!(admin.post_form(&format!("{plan}/comments"), &[("comment", "hi")]).await.status, StatusCode::FORBIDDEN);
    // Another specialist, a supervisor of another team, another organization: 404, audited as denied.
    let mut s2 = app.login("specialist2@demo").await;
    s2.get("/account").await;
    let theirs = format!("/people/{only_s1}/recovery-plan");
    assert_eq!(s2.get(&theirs).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.post_form(&format!("{theirs}/comments"), &[("comment", "hi")]).await.status, StatusCode::NOT_FOUND);
    let mut other_sup = other_supervisor(app).await;
    assert_eq!(other_sup.get(&plan).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other_sup.get(&format!("{plan}/compare?a=1&b=draft")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other_sup.json("GET", &format!("/api/v1/people/{id}/recovery-plan"), None, &[]).await.status, StatusCode::NOT_FOUND);
    let mut o = app.login("specialist@other").await;
    o.get("/account").await;
    assert_eq!(o.get(&plan).await.status, StatusCode::NOT_FOUND);
    // The peer sees only their own plan.
    let mut peer = app.login("peer@demo").await;
    peer.get("/me").await;
    assert_eq!(peer.get(&plan).await.status, StatusCode::OK);
    assert_eq!(peer.get(&format!("/people/{not_me}/recovery-plan")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer.post_form(&format!("/people/{not_me}/recovery-plan/agree"), &[("rev", "1")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer.post_form(&format!("/people/{not_me}/recovery-plan/comments"), &[("comment", "x")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer.json("GET", &format!("/api/v1/people/{not_me}/milestones"), None, &[]).await.status, StatusCode::NOT_FOUND);
    assert!(app.store.count_audit(app.demo_org, "person.plan_write", Some(not_me), Some("denied")).await.unwrap() >= 2);
    assert!(app.store.count_audit(app.demo_org, "person.view", Some(id), Some("denied")).await.unwrap() >= 2);
});

/// A person on specialist@demo's caseload without a plan (not peer@demo, whose demo plan exists).
async fn person_without_plan(app: &TestApp) -> i64 {
    let s1 = app.user_id("specialist@demo").await;
    for id in 1..500 {
        let Ok(p) = app.store.person(app.demo_org, id).await else { continue };
        if id != app.peer_person && p.primary_specialist_id == Some(s1) {
            return id;
        }
    }
    panic!("no second person on specialist@demo's caseload");
}

both!(the_plan_api_reads_writes_agrees_and_compares_exactly, async |app: &TestApp| {
    let id = person_without_plan(app).await;
    let mut s = app.login("specialist@demo").await;
    s.get("/account").await;
    let csrf = s.csrf.clone();
    let h = [("x-csrf-token", csrf.as_str())];
    let path = format!("/api/v1/people/{id}/recovery-plan");
    let got = s.json("GET", &path, None, &[]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.json()["draft"].is_null() && got.json()["agreed"].is_null());
    let body = json!({"rev": 0, "strengths": "Steady", "goals": [{"dimension": "purpose", "in_my_words": "Finish my GED", "steps": [{"what": "Sign up", "by_when": "2099-01-10"}]}]});
    let r = s.json("PUT", &path, Some(body.clone()), &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["rev"], 1);
    assert_eq!(r.json()["plan"]["goals"][0]["key"], "g1");
    assert_eq!(r.json()["plan"]["dimensions"], "recovery");
    assert_eq!(s.json("PUT", &path, Some(body), &h).await.status, StatusCode::CONFLICT, "stale revision");
    let r = s.json("PUT", &path, Some(json!({"rev": 1, "goals": [{"dimension": "financial", "in_my_words": "Save"}]})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "financial is not one of the four dimensions");
    assert!(r.text.contains("goal_0_dimension"));
    assert_eq!(s.json("PUT", &path, Some(json!({"rev": "one"})), &h).await.status, StatusCode::BAD_REQUEST);
    let r = s.json("POST", &format!("{path}/agree"), Some(json!({"rev": 1})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "staff need the typed signature");
    let r = s.json("POST", &format!("{path}/agree"), Some(json!({"rev": 1, "signature": "Alex Doe"})), &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["version"], 1);
    // Round two: change the words, reach the goal, add a goal; agree; compare lists exactly those changes.
    let body = json!({"rev": 2, "strengths": "Steady", "goals": [
        {"key": "g1", "dimension": "purpose", "in_my_words": "Finish my GED this year", "status": "reached", "steps": [{"what": "Sign up", "by_when": "2099-01-10", "status": "done"}]},
        {"dimension": "community", "in_my_words": "Join the choir"}]});
    let r = s.json("PUT", &path, Some(body), &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["plan"]["goals"][1]["key"], "g2");
    s.json("POST", &format!("{path}/agree"), Some(json!({"rev": 3, "signature": "Alex Doe"})), &h).await;
    let c = s.json("GET", &format!("{path}/compare?a=1&b=2"), None, &[]).await;
    assert_eq!(c.status, StatusCode::OK);
    let fields: Vec<(String, String)> = c.json().as_array().unwrap().iter().map(|x| (x["goal"].as_str().unwrap().to_string(), x["field"].as_str().unwrap().to_string())).collect();
    let want: Vec<(String, String)> = [
        ("g1", "in_my_words"), ("g1", "status"), ("g1", "step 1 status"), ("g2", "added"), ("g2", "position"), ("g2", "dimension"), ("g2", "in_my_words"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(fields, want);
    assert_eq!(s.json("GET", &format!("{path}/compare?a=1&b=1"), None, &[]).await.json(), json!([]));
    assert_eq!(s.json("GET", &format!("{path}/compare?a=1"), None, &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(s.json("GET", &format!("{path}/compare?a=x&b=1"), None, &[]).await.status, StatusCode::BAD_REQUEST);
    let versions = s.json("GET", &format!("{path}/versions"), None, &[]).await.json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["plan"]["goals"][0]["in_my_words"], "Finish my GED");
    // Milestones: the reached goal is one; an anniversary says when the next one is; a future date is refused.
    let ms = format!("/api/v1/people/{id}/milestones");
    let list = s.json("GET", &ms, None, &[]).await.json();
    assert!(list.as_array().unwrap().iter().any(|m| m["kind"] == "goal_reached" && m["title"] == "Finish my GED this year"));
    let r = s.json("POST", &ms, Some(json!({"kind": "anniversary", "on_date": "2020-02-29", "show_in_portal": true})), &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let next = r.json()["next_anniversary"].as_str().unwrap().to_string();
    assert!(next.ends_with("-02-28") || next.ends_with("-02-29"), "{next}");
    let r = s.json("POST", &ms, Some(json!({"kind": "celebration", "title": "Moved in", "on_date": "2999-01-01"})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.json("POST", &ms, Some(json!({"kind": "goal_reached", "title": "x", "on_date": "2020-01-01"})), &h).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Reviews due show on the caseload.
    let r = s.json("GET", &path, None, &[]).await;
    assert!(r.json()["agreed"]["plan"]["review_on"].is_null());
});

both!(reviews_due_show_on_the_caseload_and_notes_link_plan_goals, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s = app.login("specialist@demo").await;
    // The demo's agreed version is due for review in 10 days: on the caseload.
    let home = s.get("/caseload").await;
    assert!(home.text.contains("Plan reviews due") && home.text.contains("Review due in 10 days"), "{}", home.text);
    // Twenty days later it is late.
    app.clock.advance_ms(20 * 86_400_000);
    let mut s = app.login("specialist@demo").await;
    let home = s.get("/caseload").await;
    assert!(home.text.contains("Review 10 days late"));
    // Another specialist does not see it.
    let mut s2 = app.login("specialist2@demo").await;
    assert!(!s2.get("/caseload").await.text.contains("Plan reviews due"));
    // A note records the plan goals it worked on; existing notes keep working; a signed note's links never change.
    let form = s.get(&format!("/people/{id}/notes/new")).await;
    assert!(form.text.contains("name=\"plan_goals\" value=\"g1\""), "the plan's goals are offered");
    let today = app.store.today(app.demo_org).await.unwrap().checked_sub(jiff::Span::new().days(1)).unwrap().to_string();
    let r = s
        .post_form(&format!("/people/{id}/notes"), &[
            ("kind", "individual"), ("modality", "in_person"), ("date", &today), ("start", "10:00"), ("end", "10:30"),
            ("what_we_did", "Went over the housing form"), ("purpose", "Housing"), ("plan_goals_shown", "1"), ("plan_goals", "g1"), ("plan_goals", "g4"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(2000).collect::<String>());
    let note_id: i64 = r.location().trim_start_matches("/notes/").split('?').next().unwrap().parse().unwrap();
    let goals = app.store.note_goals(app.demo_org, note_id).await.unwrap();
    assert_eq!(goals.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["g1", "g4"]);
    let view = s.get(&format!("/notes/{note_id}")).await;
    assert!(view.text.contains("Fix bikes again"), "the note shows the goals it worked on");
    let who = Who { actor_id: Some(app.user_id("specialist@demo").await), ip: String::new() };
    assert!(app.store.set_note_goals(app.demo_org, note_id, &["g99".into()], &who).await.is_err(), "unknown goals are refused");
    // Sign it; then its links cannot change.
    sqlx_sign(app, note_id).await;
    assert!(app.store.set_note_goals(app.demo_org, note_id, &[], &who).await.is_err());
});

/// Signs a draft note through the store (the signing rules are tested in `notes`).
async fn sqlx_sign(app: &TestApp, note_id: i64) {
    let s1 = app.user_id("specialist@demo").await;
    let _ = app.store.sign_note(app.demo_org, note_id, s1, None, &Who { actor_id: Some(s1), ip: String::new() }).await;
    let n = app.store.note(app.demo_org, note_id).await.unwrap();
    assert!(n.status.is_signed(), "{:?}", n.status);
}

fn arb_plan() -> impl Strategy<Value = PlanContent> {
    let step = ("[a-z ]{1,12}", 0usize..3).prop_map(|(w, s)| Step { what: w.trim().to_string() + "x", who: String::new(), by_when: None, status: StepStatus::ALL[s] });
    let goal = ("[a-z ]{1,20}", 0usize..4, 0usize..3, proptest::collection::vec(step, 0..3)).prop_map(|(w, d, st, steps)| Goal {
        key: String::new(),
        dimension: ["health", "home", "purpose", "community"][d].into(),
        in_my_words: w.trim().to_string() + "!",
        staff_summary: String::new(),
        status: GoalStatus::ALL[st],
        steps,
    });
    ("[a-z]{0,10}", proptest::collection::vec(goal, 0..4)).prop_map(|(s, goals)| PlanContent {
        dimensions: DimensionSet::Recovery,
        strengths: s,
        goals: goals.into_iter().enumerate().map(|(i, g)| Goal { key: format!("g{}", i + 1), ..g }).collect(),
        review_on: None,
    })
}

both!(an_agreed_version_never_changes_in_the_store_or_the_database, async |app: &TestApp| {
    let id = app.person_only_on_specialist1().await;
    let who = Who { actor_id: Some(app.user_id("specialist@demo").await), ip: String::new() };
    let url = match &app.config {
        lantern_store::DbConfig::DataDir(d) => format!("sqlite://{}", d.join("lantern.db").display()),
        lantern_store::DbConfig::Url(u) => u.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let handle = tokio::runtime::Handle::current();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 6, ..ProptestConfig::default() });
    // Each case: several drafts, some agreed, in any order; then every agreed
    // version reads back exactly as agreed, and the database refuses raw edits.
    let ops = proptest::collection::vec((arb_plan(), any::<bool>(), any::<bool>()), 1..6);
    runner
        .run(&ops, |ops| {
            tokio::task::block_in_place(|| {
                handle.block_on(async {
                    let mut agreed: Vec<(i64, PlanContent)> = app
                        .store
                        .plan_versions(app.demo_org, id)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|v| (v.version, v.plan))
                        .collect();
                    for (plan, agree, stale) in ops {
                        let rev = app.store.plan_draft(app.demo_org, id).await.unwrap().map(|d| d.rev).unwrap_or(0);
                        if plan.strengths.is_empty() && plan.goals.is_empty() {
                            continue;
                        }
                        if stale && rev > 0 {
                            assert!(app.store.save_plan_draft(app.demo_org, id, &plan, rev - 1, &who).await.is_err(), "stale save refused");
                            assert!(app.store.agree_plan(app.demo_org, id, rev - 1, AgreedHow::InPerson, "A", &who).await.is_err(), "stale agree refused");
                        }
                        let rev = app.store.save_plan_draft(app.demo_org, id, &plan, rev, &who).await.unwrap();
                        if agree {
                            let v = app.store.agree_plan(app.demo_org, id, rev, AgreedHow::InPerson, "Alex Doe", &who).await.unwrap();
                            agreed.push((v, plan.clone()));
                        }
                        for (v, p) in &agreed {
                            let got = app.store.plan_version(app.demo_org, id, Some(*v)).await.unwrap().unwrap();
                            assert_eq!(&got.plan, p, "version {v} changed");
                        }
                    }
                    // The database refuses to change or remove agreed versions.
                    if let Some((v, p)) = agreed.first() {
                        for sql in [
                            "UPDATE recovery_plan_versions SET content = '{}' WHERE person_id = $1 AND version = $2",
                            "UPDATE recovery_plan_versions SET signature = 'someone else' WHERE person_id = $1 AND version = $2",
                            "DELETE FROM recovery_plan_versions WHERE person_id = $1 AND version = $2",
                        ] {
                            assert!(sqlx::query(sql).bind(id).bind(*v).execute(&pool).await.is_err(), "refused: {sql}");
                        }
                        assert_eq!(&app.store.plan_version(app.demo_org, id, Some(*v)).await.unwrap().unwrap().plan, p);
                    }
                });
            });
            Ok(())
        })
        .unwrap();
    assert!(sqlx::query("DELETE FROM recovery_plan_comments").execute(&pool).await.is_err() || app.store.plan_comments(app.demo_org, id).await.unwrap().is_empty());
    app.verify_audit().await.unwrap();
});

both!(admins_reach_the_recovery_plan_settings_from_the_navigation, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    let home = admin.get("/admin/users").await;
    let nav = &home.text[home.text.find("<nav").unwrap()..home.text.find("</nav>").unwrap()];
    assert!(nav.contains("href=\"/admin/recovery-plans\""), "in the main navigation");
    let page = admin.get("/admin/recovery-plans").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("href=\"/admin/recovery-plans\" aria-current=\"page\""), "marked as the current page");
    let mut s = app.login("specialist@demo").await;
    assert!(!s.get("/caseload").await.text.contains("href=\"/admin/recovery-plans\""), "not for specialists");
});
