use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::support::*;

both!(language_check_api_and_dismissals, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    c.get("/account").await;
    let token = c.csrf.clone();
    let text = "Zoë said he is an addict and his UA came back dirty.";
    let r = c.json("POST", "/api/v1/language/check", Some(json!({"text": text})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    let flags = v["flags"].as_array().unwrap();
    let addict = flags.iter().find(|f| f["rule"] == "addict").expect("addict flagged");
    let (s, e) = (addict["start"].as_u64().unwrap() as usize, addict["end"].as_u64().unwrap() as usize);
    assert_eq!(&text[s..e], "addict");
    // 'ë' is two bytes in UTF-8 but one unit in UTF-16.
    assert_eq!(addict["start_utf16"].as_u64().unwrap() as usize, s - 1);
    assert!(addict["suggestions"][0].as_str().unwrap().contains("substance use disorder"));
    assert_eq!(v["distress"]["flagged"], false);
    let r = c.json("POST", "/api/v1/language/check", Some(json!({"text": "She told me she has a plan to take all her pills tonight."})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.json()["distress"]["level"], "urgent");
    let r = c.json("POST", "/api/v1/language/check", Some(json!({"text": "He denies SI and is dying to see his daughter."})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.json()["distress"]["flagged"], false);
    // Bad bodies name the field.
    let r = c.json("POST", "/api/v1/language/check", Some(json!({"txt": "x"})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Dismissals are recorded for rule tuning.
    let r = c.json("POST", "/api/v1/language/dismissals", Some(json!({"rule": "addict", "text": "addict", "reason": "quoting a song title"})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.store.dismissal_counts(app.demo_org).await.unwrap(), vec![("addict".to_string(), 1)]);
    // Peers do not use the staff editor API.
    let mut peer = app.login("peer@demo").await;
    peer.get("/me").await;
    let t = peer.csrf.clone();
    assert_eq!(peer.json("POST", "/api/v1/language/check", Some(json!({"text": "x"})), &[("x-csrf-token", &t)]).await.status, StatusCode::FORBIDDEN);
});

both!(saved_text_shows_suggestions_without_javascript, async |app: &TestApp| {
    let id = app.peer_person;
    let mut c = app.login("specialist@demo").await;
    let page = c.get(&format!("/people/{id}/edit")).await;
    assert!(page.text.contains("data-language-check"), "textareas are wired to the assistant");
    let version = hidden_field(&page.text, "version").unwrap();
    let r = c
        .post_form(&format!("/people/{id}/edit"), &[("legal_name", "Jordan Example"), ("strengths", "Funny, and honest that he was an addict for years"), ("version", &version)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "suggestions never block saving");
    let page = c.get(&format!("/people/{id}")).await;
    assert!(page.text.contains("Wording suggestions"), "shown after saving");
    assert!(page.text.contains("person with a substance use disorder"));
});

both!(admins_tune_the_rules_for_their_organization, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    let page = admin.get("/admin/language").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"on\" value=\"addict\" checked"));
    // Switch off "addict", add an organization term, set the crisis protocol.
    let base = lantern_language::RuleSet::builtin();
    let mut fields: Vec<(String, String)> = base.rules.iter().filter(|r| r.enabled && r.id != "addict").map(|r| ("on".to_string(), r.id.clone())).collect();
    fields.push(("new_id".into(), "program dropout".into()));
    fields.push(("new_forms".into(), "program dropout, program dropouts".into()));
    fields.push(("new_suggestion".into(), "person who visits often".into()));
    fields.push(("new_reason".into(), "Our members asked us to stop using it.".into()));
    fields.push(("crisis_protocol".into(), "Call the Riverbend crisis team at 555-0100, or 988.".into()));
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = admin.post_form("/admin/language", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(2000).collect::<String>());
    let mut spec = app.login("specialist@demo").await;
    spec.get("/account").await;
    let t = spec.csrf.clone();
    let r = spec.json("POST", "/api/v1/language/check", Some(json!({"text": "He is an addict and a program dropout."})), &[("x-csrf-token", &t)]).await;
    let rules: Vec<String> = r.json()["flags"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    assert!(!rules.contains(&"addict".to_string()), "{rules:?}");
    assert!(rules.contains(&"org-program-dropout".to_string()), "{rules:?}");
    // The other organization is untouched.
    let mut other = app.login("specialist@other").await;
    other.get("/account").await;
    let t2 = other.csrf.clone();
    let r = other.json("POST", "/api/v1/language/check", Some(json!({"text": "He is an addict."})), &[("x-csrf-token", &t2)]).await;
    assert_eq!(r.json()["flags"][0]["rule"], "addict");
    // The API refuses overrides that name rules that do not exist, and changes nothing.
    admin.get("/account").await;
    let ta = admin.csrf.clone();
    let r = admin.json("PUT", "/api/v1/language/settings", Some(json!({"overrides": {"disabled": ["no-such-rule"]}, "crisis_protocol": ""})), &[("x-csrf-token", &ta)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin.json("GET", "/api/v1/language/settings", None, &[]).await;
    assert!(r.json()["crisis_protocol"].as_str().unwrap().contains("555-0100"));
    assert_eq!(app.store.count_audit(app.demo_org, "language.settings_update", None, Some("ok")).await.unwrap(), 1);
});
