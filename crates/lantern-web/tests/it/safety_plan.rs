use axum::http::StatusCode;

use crate::both;
use crate::support::*;

fn plan_fields<'a>(version: &'a str, warning: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("version", version),
        ("warning_signs", warning),
        ("on_my_own", "Walk to the bay, put on my headphones."),
        ("ask_name_0", "Rosa (my sister)"),
        ("ask_phone_0", "305-555-0134"),
        ("pro_name_0", "My peer specialist"),
        ("pro_phone_0", "305-555-0100"),
        ("matters_most", "My daughter's graduation in June."),
    ]
}

both!(a_safety_plan_is_written_together_versioned_and_read_by_the_person, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s = app.login("specialist@demo").await;
    // Before any plan, the crisis lines are already there.
    let empty = s.get(&format!("/people/{id}/safety-plan")).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("href=\"tel:988\"") && empty.text.contains("href=\"tel:911\""), "988 and 911 by default");
    // Bad input: nothing written, a row with a number but no name, a number that is not one.
    let form = s.get(&format!("/people/{id}/safety-plan/edit")).await;
    assert_eq!(hidden_field(&form.text, "version").as_deref(), Some("0"));
    let r = s.post_form(&format!("/people/{id}/safety-plan"), &[("version", "0")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"s-warning_signs-err\""));
    let r = s.post_form(&format!("/people/{id}/safety-plan"), &[("version", "0"), ("warning_signs", "I stop sleeping"), ("ask_phone_1", "555-0100"), ("pro_name_0", "Clinic"), ("pro_phone_0", "soon")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"s-ask_name_1-err\"") && r.text.contains("id=\"s-pro_phone_0-err\""));
    assert!(r.text.contains("I stop sleeping"), "what was typed is kept");
    assert!(app.store.safety_plan(app.demo_org, id, None).await.unwrap().is_none(), "nothing saved on error");
    // A good plan saves as version 1.
    let r = s.post_form(&format!("/people/{id}/safety-plan"), &plan_fields("0", "I stop answering texts and skip meals.")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = s.get(&r.location()).await;
    assert!(page.text.contains("I stop answering texts") && page.text.contains("href=\"tel:3055550134\""));
    assert!(page.header("content-security-policy").contains("default-src 'none'"), "the light page allows no other requests");
    assert!(!page.text.contains("<script") && !page.text.contains("<link") && !page.text.contains("<img"), "self-contained");
    assert!(page.text.len() < 15 * 1024, "under 15 KB: {} bytes", page.text.len());
    // Two writers from version 1: the first wins, the second keeps their words and is told.
    let r = s.post_form(&format!("/people/{id}/safety-plan"), &plan_fields("1", "Version two words.")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = s.post_form(&format!("/people/{id}/safety-plan"), &plan_fields("1", "Late writer words.")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("Late writer words."), "the losing writer keeps their text");
    assert_eq!(app.store.safety_plan(app.demo_org, id, None).await.unwrap().unwrap().version, 2);
    // Version 1 is still there, unchanged.
    let v1 = s.get(&format!("/people/{id}/safety-plan?version=1")).await;
    assert!(v1.text.contains("I stop answering texts") && !v1.text.contains("Version two words."));
    assert_eq!(s.get(&format!("/people/{id}/safety-plan?version=9")).await.status, StatusCode::NOT_FOUND);
    // The card prints the current version with the lines.
    let card = s.get(&format!("/people/{id}/safety-plan/card")).await;
    assert!(card.text.contains("Version two words.") && card.text.contains("tel:988"));
    // The person reads it in their portal and may update it themself.
    let mut peer = app.login("peer@demo").await;
    assert!(peer.get("/me").await.text.contains(&format!("/people/{id}/safety-plan")));
    assert!(peer.get(&format!("/people/{id}/safety-plan")).await.text.contains("Version two words."));
    let r = peer.post_form(&format!("/people/{id}/safety-plan"), &plan_fields("2", "In my words: I get very quiet.")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Another specialist, another organization, and another person's peer login get 404.
    let mut s2 = app.login("specialist2@demo").await;
    let other = app.person_only_on_specialist1().await;
    assert_eq!(s2.get(&format!("/people/{other}/safety-plan")).await.status, StatusCode::NOT_FOUND);
    let not_me = if other == id { id + 1 } else { other };
    assert_eq!(peer.get(&format!("/people/{not_me}/safety-plan")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer.post_form(&format!("/people/{not_me}/safety-plan"), &plan_fields("0", "x")).await.status, StatusCode::NOT_FOUND);
    let mut o = app.login("specialist@other").await;
    o.get("/account").await;
    assert_eq!(o.get(&format!("/people/{id}/safety-plan")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(o.post_form(&format!("/people/{id}/safety-plan"), &plan_fields("3", "x")).await.status, StatusCode::NOT_FOUND);
    // Every save and view is audited.
    assert_eq!(app.store.count_audit(app.demo_org, "safety_plan.save", Some(id), Some("ok")).await.unwrap(), 3);
    app.store.flush_audit().await.unwrap();
    assert!(app.store.count_audit(app.demo_org, "safety_plan.view", Some(id), Some("ok")).await.unwrap() >= 4);
    app.verify_audit().await.unwrap();
});

both!(the_safety_plan_api_reads_and_writes_with_a_version_check, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s = app.login("specialist@demo").await;
    let path = format!("/api/v1/people/{id}/safety-plan");
    s.get("/account").await;
    let csrf = s.csrf.clone();
    let h = [("x-csrf-token", csrf.as_str())];
    assert_eq!(s.json("GET", &path, None, &[]).await.status, StatusCode::NOT_FOUND, "no plan yet");
    let body = serde_json::json!({"version": 0, "warning_signs": "Pacing at night", "people_to_ask": [{"name": "Rosa", "phone": "305-555-0134"}]});
    let r = s.json("PUT", &path, Some(body.clone()), &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["version"], 1);
    let r = s.json("PUT", &path, Some(body), &h).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a stale version is refused");
    assert!(r.header("content-type").contains("problem+json"));
    let r = s.json("PUT", &path, Some(serde_json::json!({"version": 1, "professionals": [{"name": "", "phone": "12"}]})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.json("PUT", &path, Some(serde_json::json!({"warning_signs": 5})), &h).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let got = s.json("GET", &path, None, &[]).await.json();
    assert_eq!(got["people_to_ask"][0]["name"], "Rosa");
    assert_eq!(got["version"], 1);
});
