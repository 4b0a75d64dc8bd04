use axum::http::StatusCode;
use serde_json::json;

use crate::both;
use crate::support::*;

both!(caseload_shows_my_people_with_filters, async |app: &TestApp| {
    let mut c = app.login("specialist@demo").await;
    let r = c.get("/caseload").await;
    assert_eq!(r.status, StatusCode::OK);
    let s1 = app.user_id("specialist@demo").await;
    let (mine, total) = app
        .store
        .caseload(app.demo_org, lantern_store::people::Scope::Mine(s1), &lantern_store::people::CaseloadFilter { limit: 500, ..Default::default() })
        .await
        .unwrap();
    assert!(total > 0);
    for p in &mine {
        assert!(r.text.contains(&format!("href=\"/people/{}\"", p.id)), "caseload links to /people/{}", p.id);
    }
    // Search by name narrows the list.
    let first = &mine[0];
    let word = first.legal_name.split(' ').next_back().unwrap();
    let r = c.get(&format!("/caseload?q={}", urlenc(word))).await;
    assert!(r.text.contains(&format!("href=\"/people/{}\"", first.id)));
    // "Not contacted in 30 days" shows only those, never-contacted included.
    let r = c.get("/caseload?not_contacted=30&sort=last_contact").await;
    assert_eq!(r.status, StatusCode::OK);
    let today = app.store.today(app.demo_org).await.unwrap();
    for p in &mine {
        let stale = p.last_contact_on.map(|d| d < today.checked_sub(jiff::Span::new().days(30)).unwrap()).unwrap_or(true);
        let shown = r.text.contains(&format!("href=\"/people/{}\"", p.id));
        assert_eq!(stale, shown, "person {} last contact {:?}", p.id, p.last_contact_on);
    }
    // Bad query values fall back to defaults rather than failing.
    assert_eq!(c.get("/caseload?sort=%27;drop&not_contacted=-1&page=abc").await.status, StatusCode::OK);
    // One audit row for the list.
    app.store.flush_audit().await.unwrap();
    assert!(app.store.count_audit(app.demo_org, "caseload.view", None, Some("ok")).await.unwrap() >= 4);
});

pub fn urlenc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_string()
}

both!(person_page_is_audited_and_outsiders_get_404, async |app: &TestApp| {
    let mut s1 = app.login("specialist@demo").await;
    let id = app.person_only_on_specialist1().await;
    let r = s1.get(&format!("/people/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.find("Strengths").unwrap() < r.text.find("Preferences").unwrap(), "strengths come first");
    app.store.flush_audit().await.unwrap();
    assert_eq!(app.store.count_audit(app.demo_org, "person.view", Some(id), Some("ok")).await.unwrap(), 1);
    // Another specialist in the same organization: not on their caseload.
    let mut s2 = app.login("specialist2@demo").await;
    assert_eq!(s2.get(&format!("/people/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.get(&format!("/people/{id}/edit")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.store.count_audit(app.demo_org, "person.view", Some(id), Some("denied")).await.unwrap(), 1);
    // Someone from another organization, with every staff role there.
    let mut other = app.login("specialist@other").await;
    assert_eq!(other.get(&format!("/people/{id}")).await.status, StatusCode::NOT_FOUND);
    let r = other.json("GET", &format!("/api/v1/people/{id}"), None, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.store.count_audit(app.other_org, "person.view", None, Some("denied")).await.unwrap(), 2);
    // The supervisor of specialist@demo's team sees the person; the peer sees only themself.
    let mut sup = app.login("supervisor@demo").await;
    assert_eq!(sup.get(&format!("/people/{id}")).await.status, StatusCode::OK);
    let mut peer = app.login("peer@demo").await;
    assert_eq!(peer.get(&format!("/people/{}", app.peer_person)).await.status, StatusCode::OK);
    if id != app.peer_person {
        assert_eq!(peer.get(&format!("/people/{id}")).await.status, StatusCode::NOT_FOUND);
    }
    // And the other way round: the demo admin cannot reach the other organization's person.
    let mut admin = app.login("admin@demo").await;
    assert_eq!(admin.get(&format!("/people/{}", app.other_person)).await.status, StatusCode::NOT_FOUND);
    // Ids that are not numbers are simply not found.
    assert_eq!(s1.get("/people/abc").await.status, StatusCode::NOT_FOUND);
    assert_eq!(s1.get("/people/-1").await.status, StatusCode::NOT_FOUND);
    // "Who viewed my record" answers from the audit trail.
    app.store.flush_audit().await.unwrap();
    let r = peer.get("/me").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("Who has looked at my record"));
    assert!(app.verify_audit().await.is_ok());
});

both!(edit_preferences_with_validation_and_version_check, async |app: &TestApp| {
    let id = app.peer_person;
    let mut c = app.login("specialist@demo").await;
    let page = c.get(&format!("/people/{id}/edit")).await;
    assert_eq!(page.status, StatusCode::OK);
    let version = hidden_field(&page.text, "version").unwrap();
    let before = app.store.person(app.demo_org, id).await.unwrap();
    // Errors: each next to its field, input kept, nothing saved.
    let r = c
        .post_form(&format!("/people/{id}/edit"), &[("legal_name", ""), ("preferred_name", "Jo Kept"), ("email", "nope"), ("date_of_birth", "2999-01-01"), ("version", &version)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("value=\"Jo Kept\""));
    for f in ["legal_name", "email", "date_of_birth"] {
        assert!(r.text.contains(&format!("id=\"f-{f}-err\"")), "error shown by {f}");
        assert!(r.text.contains(&format!("aria-describedby=\"f-{f}-hint f-{f}-err\"")) || r.text.contains(&format!("aria-describedby=\"f-{f}-err\"")), "{f} described by its error");
    }
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap(), before);
    // A good save.
    let r = c
        .post_form(
            &format!("/people/{id}/edit"),
            &[("legal_name", "Jordan Example"), ("preferred_name", "Jo"), ("pronouns", "they/them"), ("contact_methods", "text"), ("contact_methods", "in_person"),
              ("phone", "555-0100-1234"), ("contact_times", "Text only after 5pm"), ("safe_contact_notes", "No voicemail"), ("strengths", "Great cook"), ("version", &version)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let after = app.store.person(app.demo_org, id).await.unwrap();
    assert_eq!(after.profile.preferred_name, "Jo");
    assert_eq!(after.profile.contact_methods.len(), 2);
    assert!(!after.profile.voicemail_ok);
    // The same (now stale) version again: the user keeps their text and is told.
    let r = c.post_form(&format!("/people/{id}/edit"), &[("legal_name", "Stale Edit"), ("version", &version)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("value=\"Stale Edit\""));
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap().profile.legal_name, "Jordan Example");
    assert_eq!(app.store.count_audit(app.demo_org, "person.update", Some(id), Some("ok")).await.unwrap(), 1);
});

both!(enrollment_changes_follow_the_lifecycle, async |app: &TestApp| {
    let id = app.peer_person;
    let mut c = app.login("specialist@demo").await;
    let p = app.store.person(app.demo_org, id).await.unwrap();
    c.get(&format!("/people/{id}")).await;
    // Discharge without a reason: refused, shown by the field.
    let r = c.post_form(&format!("/people/{id}/enrollment"), &[("to", "discharged"), ("on", &p.stage_since.to_string()), ("reason", ""), ("from", p.stage.code())]).await;
    if p.stage.can_move_to(lantern_domain::enrollment::Stage::Discharged) {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("id=\"reason-err\""));
    }
    let r = c.post_form(&format!("/people/{id}/enrollment"), &[("to", "discharged"), ("on", "2999-01-01"), ("reason", "moved"), ("from", p.stage.code())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap().stage, p.stage);
    // Through the API: an impossible move is a 422 naming the field.
    let token = lantern_web::auth::new_api_token();
    let u = app.store.user_by_email("specialist@demo").await.unwrap().unwrap();
    app.store.create_api_token(&u, &lantern_web::auth::secret_hash(&token), "t").await.unwrap();
    let mut t = app.client();
    t.bearer = Some(token);
    let r = t.json("POST", &format!("/api/v1/people/{id}/enrollment"), Some(json!({"to": "nowhere"})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "to");
    let next = p.stage.next_stages()[0];
    let r = t.json("POST", &format!("/api/v1/people/{id}/enrollment"), Some(json!({"to": next.code(), "reason": "Ready for the next step"})), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["stage"], next.code());
    let tl = app.store.timeline(app.demo_org, id, 5, 0).await.unwrap();
    assert_eq!(tl[0].kind, "stage");
});

both!(api_people_crud_with_problem_json, async |app: &TestApp| {
    let token = lantern_web::auth::new_api_token();
    let u = app.store.user_by_email("specialist@demo").await.unwrap().unwrap();
    app.store.create_api_token(&u, &lantern_web::auth::secret_hash(&token), "t").await.unwrap();
    let mut t = app.client();
    // No token: 401 problem+json.
    let r = t.json("GET", "/api/v1/people", None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("content-type"), "application/problem+json");
    t.bearer = Some(token);
    // Create: validation errors name fields.
    let r = t.json("POST", "/api/v1/people", Some(json!({"legal_name": "", "email": "x"})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert!(fields.contains(&"legal_name".to_string()) && fields.contains(&"email".to_string()), "{fields:?}");
    // Mass assignment is refused.
    let r = t.json("POST", "/api/v1/people", Some(json!({"legal_name": "A B", "primary_specialist_id": 1})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Broken JSON.
    let r = t.send(axum::http::Request::post("/api/v1/people").header("content-type", "application/json").body(axum::body::Body::from("{\"legal_name\": ")).unwrap()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = t.json("POST", "/api/v1/people", Some(json!({"legal_name": "Avery Testperson", "pronouns": "they/them", "languages": ["Spanish", "English"]})), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    let etag = r.header("etag");
    // PATCH without If-Match: 428; with a stale one: 412; with the current one: 200.
    let r = t.json("PATCH", &format!("/api/v1/people/{id}"), Some(json!({"preferred_name": "Ave"})), &[]).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = t.json("PATCH", &format!("/api/v1/people/{id}"), Some(json!({"preferred_name": "Ave"})), &[("if-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r2 = t.json("PATCH", &format!("/api/v1/people/{id}"), Some(json!({"preferred_name": "Stale"})), &[("if-match", &etag)]).await;
    assert_eq!(r2.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap().profile.preferred_name, "Ave");
    // Lists and query validation.
    let r = t.json("GET", "/api/v1/caseload?limit=5", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["items"].as_array().unwrap().len() <= 5);
    let r = t.json("GET", "/api/v1/caseload?limit=nine", None, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "limit");
    // The OpenAPI document is generated and 3.1.
    let r = app.client().json("GET", "/api/v1/openapi.json", None, &[]).await;
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in ["/api/v1/people", "/api/v1/people/{id}", "/api/v1/people/{id}/enrollment", "/api/v1/caseload", "/api/v1/me"] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
    // Every parameter said to be in the path is in the path's template, and every template
    // variable is declared (a query parameter declared "in: path" makes the document invalid).
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let declared: Vec<&str> = op["parameters"].as_array().map(|ps| ps.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect()).unwrap_or_default();
            for name in &declared {
                assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: path parameter {name:?} is not in the path (a query parameter?)");
            }
            for var in path.split('{').skip(1).filter_map(|x| x.split('}').next()) {
                assert!(declared.contains(&var), "{method} {path}: {{{var}}} is not declared as a path parameter");
            }
        }
    }
});

both!(admin_reassigns_a_departing_specialists_caseload, async |app: &TestApp| {
    let s1 = app.user_id("specialist@demo").await;
    let s2 = app.user_id("specialist2@demo").await;
    let open = |id| lantern_store::people::Scope::Mine(id);
    let f = lantern_store::people::CaseloadFilter { limit: 500, ..Default::default() };
    let (_, n1) = app.store.caseload(app.demo_org, open(s1), &f).await.unwrap();
    let mut admin = app.login("admin@demo").await;
    admin.get("/admin/users").await;
    let r = admin.post_form("/admin/reassign", &[("from", &s1.to_string()), ("to", &s2.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (left, _) = app.store.caseload(app.demo_org, open(s1), &f).await.unwrap();
    let s1_primary = left.iter().filter(|r| r.specialist_name.as_deref() == Some("Robin Specialist")).count();
    assert_eq!(s1_primary, 0, "none of the people are still primarily with specialist@demo");
    assert!(n1 > 0);
    assert_eq!(app.store.count_audit(app.demo_org, "person.reassign", None, Some("ok")).await.unwrap(), n1);
    // Each person moved has a handoff note for the new specialist, in plain words naming who they were with.
    let waiting = app.store.handoffs_waiting(app.demo_org, s2, None).await.unwrap();
    let moved: Vec<_> = waiting.iter().filter(|h| h.note.contains("Robin Specialist")).collect();
    assert_eq!(moved.len() as i64, n1, "one handoff note per person moved");
    assert!(moved.iter().all(|h| h.from_name.as_deref() == Some("Robin Specialist") && h.written_by != ""));
    assert!(app.store.count_audit(app.demo_org, "handoff.create", None, Some("ok")).await.unwrap() >= n1, "each note audited");
    // The new specialist sees the note first on the person page, and can mark it read.
    let first = moved[0].person_id;
    let mut s2c = app.login("specialist2@demo").await;
    let page = s2c.get(&format!("/people/{first}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let banner = page.text.find("Handoff note: please read this first").expect("the handoff note is shown");
    assert!(banner < page.text.find("id=\"strengths-h\"").unwrap(), "before the rest of the record");
    // Back, with the admin's own words this time.
    let mut admin = app.login("admin@demo").await;
    assert!(admin.get("/admin/users").await.text.contains("name=\"note\""));
    let r = admin.post_form("/admin/reassign", &[("from", &s2.to_string()), ("to", &s1.to_string()), ("note", "Robin is back from leave; welcome them back.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = app.store.handoffs_waiting(app.demo_org, s1, Some(first)).await.unwrap();
    assert!(back.iter().any(|h| h.note == "Robin is back from leave; welcome them back."));
    app.verify_audit().await.unwrap();
});

both!(supervisor_changes_the_care_team, async |app: &TestApp| {
    let id = app.person_only_on_specialist1().await;
    let s2 = app.user_id("specialist2@demo").await;
    // A specialist cannot change assignments (the route is for supervisors and admins).
    let mut spec = app.login("specialist@demo").await;
    spec.get(&format!("/people/{id}")).await;
    assert_eq!(spec.post_form(&format!("/people/{id}/team"), &[("action", "add"), ("user", &s2.to_string())]).await.status, StatusCode::FORBIDDEN);
    let mut sup = app.login("supervisor@demo").await;
    let page = sup.get(&format!("/people/{id}")).await;
    assert!(page.text.contains("Care team"));
    let r = sup.post_form(&format!("/people/{id}/team"), &[("action", "add"), ("user", &s2.to_string()), ("role", "backup specialist")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Now specialist2 can see the person.
    let mut other = app.login("specialist2@demo").await;
    assert_eq!(other.get(&format!("/people/{id}")).await.status, StatusCode::OK);
    sup.get(&format!("/people/{id}")).await;
    let r = sup.post_form(&format!("/people/{id}/team"), &[("action", "remove"), ("user", &s2.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(other.get(&format!("/people/{id}")).await.status, StatusCode::NOT_FOUND);
    // Making them primary moves the person to their caseload, with a timeline entry.
    sup.get(&format!("/people/{id}")).await;
    let r = sup.post_form(&format!("/people/{id}/team"), &[("action", "primary"), ("user", &s2.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.store.person(app.demo_org, id).await.unwrap().primary_specialist_id, Some(s2));
    assert_eq!(app.store.timeline(app.demo_org, id, 1, 0).await.unwrap()[0].kind, "handoff");
    // A supervisor cannot make a non-specialist primary, or reach into another organization.
    let admin = app.user_id("admin@demo").await;
    sup.get(&format!("/people/{id}")).await;
    assert_eq!(sup.post_form(&format!("/people/{id}/team"), &[("action", "primary"), ("user", &admin.to_string())]).await.status, StatusCode::BAD_REQUEST);
    let mut other_org = app.login("specialist@other").await;
    other_org.get("/account").await;
    assert_eq!(other_org.post_form(&format!("/people/{id}/team"), &[("action", "add"), ("user", "1")]).await.status, StatusCode::NOT_FOUND);
});
