//! Certifications and CE hours over HTTP, on both databases: the holder,
//! their team lead, an administrator, another specialist and another
//! organization; certificate uploads and their limits; the expiry report; the
//! API; organizations' own competency frameworks.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::both;
use crate::support::*;

const PDF: &[u8] = b"%PDF-1.4\n% test certificate\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

/// Posts the training form as a browser does (multipart, with the CSRF token as a field).
async fn post_training(c: &mut Client, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Resp {
    let b = "----LanternTestBoundary7";
    let mut body = Vec::new();
    let mut all: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    all.push(("csrf".into(), c.csrf.clone()));
    for (k, v) in &all {
        body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    let (name, data) = file.unwrap_or(("", b""));
    body.extend_from_slice(format!("--{b}\r\nContent-Disposition: form-data; name=\"certificate\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    c.send(Request::post("/growth/trainings").header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={b}")).body(Body::from(body)).unwrap()).await
}

fn training_fields<'a>(title: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("title", title), ("provider", "Harbor Training Co-op"), ("completed_on", "2025-01-15"), ("hours", "3"), ("hours_ethics", "2"), ("course_id", "HTC-ETH-9"), ("delivery", "in_person")]
}

both!(certifications_belong_to_their_holder_their_team_lead_and_admins, async |app: &TestApp| {
    let s1 = app.user_id("specialist@demo").await;
    let mut s = app.login("specialist@demo").await;
    // The demo credential expires in about 80 days: progress and a reminder on the home page.
    let page = s.get("/growth/certifications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Peer Recovery (PR)") && page.text.contains("of 20 hours") && page.text.contains("Ethics") && page.text.contains("days left"), "{}", page.text);
    let home = s.get("/caseload").await;
    assert!(home.text.contains("Certification renewals coming up") && home.text.contains("Peer Recovery (PR) expires in"), "reminder at 90 days");

    // A credential: every problem named, nothing saved; then saved.
    s.get("/growth/certifications/new").await;
    let r = s.post_form("/growth/certifications", &[("rule_id", "made-up"), ("certified_on", "someday"), ("expires_on", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"k-rule_id-err\"") && r.text.contains("id=\"k-certified_on-err\""));
    assert_eq!(app.store.credentials(app.demo_org, s1).await.unwrap().len(), 1);
    let r = s.post_form("/growth/certifications", &[("rule_id", "ga-cps"), ("credential_number", "GA-1"), ("certified_on", "2024-05-01")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(app.store.credentials(app.demo_org, s1).await.unwrap().len(), 2);

    // A training with its certificate; the upload limits.
    s.get("/growth/trainings/new").await;
    let before = app.store.trainings(app.demo_org, s1).await.unwrap().len();
    let r = post_training(&mut s, &training_fields("Empty file"), Some(("cert.pdf", b""))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("The file is empty"));
    let r = post_training(&mut s, &training_fields("Program file"), Some(("cert.pdf", b"MZ\x90\0 not a pdf"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("must be a PDF, PNG or JPEG"));
    let mut big = PDF.to_vec();
    big.resize(2 * 1024 * 1024 + 10, b' ');
    let r = post_training(&mut s, &training_fields("Big file"), Some(("big.pdf", &big))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("larger than 2 MB"));
    let mut huge = PDF.to_vec();
    huge.resize(5 * 1024 * 1024, b' ');
    let r = post_training(&mut s, &training_fields("Huge body"), Some(("huge.pdf", &huge))).await;
    assert!(r.status == StatusCode::PAYLOAD_TOO_LARGE || r.status == StatusCode::BAD_REQUEST, "{}", r.status);
    // Bad fields with a good file: every field named, the file asked for again, nothing saved.
    s.get("/growth/trainings/new").await;
    let r = post_training(&mut s, &[("title", ""), ("completed_on", "2099-01-01"), ("hours", "1"), ("hours_ethics", "4")], Some(("c.pdf", PDF))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["title", "completed_on", "hours", "certificate"] {
        assert!(r.text.contains(&format!("id=\"k-{f}-err\"")), "{f}");
    }
    assert_eq!(app.store.trainings(app.demo_org, s1).await.unwrap().len(), before, "nothing saved");
    let r = post_training(&mut s, &training_fields("Ethics refresher"), Some(("my cert.pdf", PDF))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let list = app.store.trainings(app.demo_org, s1).await.unwrap();
    let mine = list.iter().find(|t| t.title == "Ethics refresher").unwrap();
    assert_eq!(mine.category_minutes, vec![("ethics".to_string(), 120)]);
    let cert_path = format!("/growth/trainings/{}/certificate", mine.id);
    let file = s.get(&cert_path).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), "application/pdf");
    assert!(file.header("content-disposition").starts_with("attachment"));
    assert_eq!(file.text.as_bytes(), PDF);

    // Their team lead sees progress and records, not the file.
    let mut sup = app.login("supervisor@demo").await;
    let own = sup.get("/growth/certifications").await;
    assert!(own.text.contains(&format!("/growth/certifications/staff/{s1}")), "the team is listed");
    let team = sup.get(&format!("/growth/certifications/staff/{s1}")).await;
    assert_eq!(team.status, StatusCode::OK);
    assert!(team.text.contains("Ethics refresher") && team.text.contains("of 20 hours"));
    assert!(!team.text.contains(&cert_path), "no link to the file");
    assert_eq!(sup.get(&cert_path).await.status, StatusCode::NOT_FOUND);
    // Another specialist: not even a hint.
    let mut s2 = app.login("specialist2@demo").await;
    assert_eq!(s2.get(&cert_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.get(&format!("/growth/certifications/staff/{s1}")).await.status, StatusCode::FORBIDDEN, "the route is for leads and admins");
    assert!(!s2.get("/growth/certifications").await.text.contains("Ethics refresher"));
    // An administrator sees records and the file, and the expiry report.
    let mut a = app.login("admin@demo").await;
    assert_eq!(a.get(&format!("/growth/certifications/staff/{s1}")).await.status, StatusCode::OK);
    assert_eq!(a.get(&cert_path).await.status, StatusCode::OK);
    let report = a.get("/admin/certifications/expiring?days=90").await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.text.contains("Robin Specialist") && !report.text.contains("Kai Specialist"), "80 days in, 420 days out");
    assert!(!a.get("/admin/certifications/expiring?days=30").await.text.contains("Robin Specialist"));
    let csv = a.get("/admin/certifications/expiring?days=90&format=csv").await;
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.text.starts_with("name,email,credential") && csv.text.contains("\"specialist@demo\""));
    // Another organization: 404 everywhere.
    let mut o = app.login("specialist@other").await;
    o.get("/account").await;
    assert_eq!(o.get(&format!("/growth/certifications/staff/{s1}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(o.get(&cert_path).await.status, StatusCode::NOT_FOUND);

    // Audited: changes, views of certificates, refusals.
    app.store.flush_audit().await.unwrap();
    assert_eq!(app.store.count_audit(app.demo_org, "credential.add", None, Some("ok")).await.unwrap(), 3, "two demo credentials and one added");
    assert!(app.store.count_audit(app.demo_org, "training.add", None, Some("ok")).await.unwrap() >= 7);
    assert_eq!(app.store.count_audit(app.demo_org, "training.certificate.view", None, Some("ok")).await.unwrap(), 2);
    assert!(app.store.count_audit(app.demo_org, "training.certificate.view", None, Some("denied")).await.unwrap() >= 2);
    app.verify_audit().await.unwrap();
});

both!(certifications_api_and_competency_frameworks, async |app: &TestApp| {
    let s1 = app.user_id("specialist@demo").await;
    let mut s = app.login("specialist@demo").await;
    s.get("/account").await;
    let tok = s.csrf.clone();
    let h = [("x-csrf-token", tok.as_str())];
    let rules = s.json("GET", "/api/v1/certification-rules", None, &[]).await.json();
    let rules = rules.as_array().unwrap();
    assert!(rules.len() >= 6);
    assert!(rules.iter().all(|r| r["source_url"].as_str().unwrap().starts_with("https://")));
    let fw = s.json("GET", "/api/v1/competency-frameworks", None, &[]).await.json();
    assert_eq!(fw[0]["key"], "samhsa");
    assert_eq!(fw[0]["categories"].as_array().unwrap().len(), 12);
    assert_eq!(fw[0]["categories"][7]["roman"], "VIII");

    let bad = s.json("POST", "/api/v1/credentials", Some(serde_json::json!({"rule_id": "x", "certified_on": "2024-13-01"})), &h).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = bad.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert!(fields.contains(&"rule_id".to_string()) && fields.contains(&"certified_on".to_string()));
    let made = s.json("POST", "/api/v1/credentials", Some(serde_json::json!({"rule_id": "ne-peer", "certified_on": "2024-01-10", "credential_number": "NE-42"})), &h).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let made = made.json();
    assert!(made["expires_on"].as_str().unwrap().ends_with("-09-01"), "Nebraska: 1 September");
    assert!(made["progress"]["summary"].as_str().unwrap().contains("of 20 hours"));

    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.encode(PNG);
    let t = s.json("POST", "/api/v1/trainings", Some(serde_json::json!({"title": "Boundaries", "completed_on": "2025-02-01", "hours": 1.5, "category_hours": {"boundaries": 1.5}, "certificate": {"file_name": "b.png", "content_base64": png}})), &h).await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    assert_eq!(t.json()["has_certificate"], true);
    assert_eq!(t.json()["hours"], 1.5);
    let t = s.json("POST", "/api/v1/trainings", Some(serde_json::json!({"title": "x", "completed_on": "2025-02-01", "hours": 1, "category_hours": {"astrology": 1}, "certificate": {"file_name": "b.png", "content_base64": "***"}})), &h).await;
    assert_eq!(t.status, StatusCode::UNPROCESSABLE_ENTITY);
    let t = s.json("POST", "/api/v1/trainings", Some(serde_json::json!({"title": "x", "completed_on": "2025-02-01", "hours": 1, "category_hours": {"astrology": 1}})), &h).await;
    assert_eq!(t.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(t.text.contains("category_hours"));

    let mine = s.json("GET", "/api/v1/certifications", None, &[]).await.json();
    assert_eq!(mine["user_id"], s1);
    assert_eq!(mine["credentials"].as_array().unwrap().len(), 2);
    assert!(mine["trainings"].as_array().unwrap().iter().any(|t| t["title"] == "Boundaries"));
    let icrc = mine["credentials"].as_array().unwrap().iter().find(|c| c["rule_id"] == "icrc-pr").unwrap();
    assert_eq!(icrc["progress"]["reminder"], "within_90");

    let mut sup = app.login("supervisor@demo").await;
    let team = sup.json("GET", &format!("/api/v1/staff/{s1}/certifications"), None, &[]).await;
    assert_eq!(team.status, StatusCode::OK);
    let s2 = app.user_id("specialist2@demo").await;
    let admin_id = app.user_id("admin@demo").await;
    assert_eq!(sup.json("GET", &format!("/api/v1/staff/{admin_id}/certifications"), None, &[]).await.status, StatusCode::NOT_FOUND, "not on their team");
    let mut spec2 = app.login("specialist2@demo").await;
    assert_eq!(spec2.json("GET", &format!("/api/v1/staff/{s1}/certifications"), None, &[]).await.status, StatusCode::FORBIDDEN);
    let mut a = app.login("admin@demo").await;
    assert_eq!(a.json("GET", &format!("/api/v1/staff/{s2}/certifications"), None, &[]).await.status, StatusCode::OK);
    let soon = a.json("GET", "/api/v1/certifications/expiring?days=120", None, &[]).await.json();
    assert!(soon.as_array().unwrap().iter().any(|r| r["email"] == "specialist@demo"));
    assert_eq!(a.json("GET", "/api/v1/certifications/expiring?days=0", None, &[]).await.status, StatusCode::BAD_REQUEST);

    // An organization adds its own framework; bad ones are refused with every reason.
    a.get("/admin/competencies").await;
    let r = a.post_form("/admin/competencies", &[("framework", "{\"key\":\"Bad Key\",\"version\":1,\"title\":\"\",\"source\":{\"name\":\"\"},\"categories\":[]}")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("key:") && r.text.contains("source.name"));
    let good = r#"{"key":"de-cprs","version":1,"title":"Delaware CPRS domains","source":{"name":"Delaware Certification Board","url":"https://www.decertboard.org/"},
      "categories":[{"number":1,"title":"Advocacy","maps_to":[11]},{"number":2,"title":"Harm reduction","statements":[{"id":"DE.HR.1","text":"Offers harm-reduction information without judgment"}]}]}"#;
    let r = a.post_form("/admin/competencies", &[("framework", good)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = a.get("/admin/competencies").await;
    assert!(page.text.contains("Delaware CPRS domains") && page.text.contains("Harm reduction"));
    a.get("/admin/competencies").await;
    assert_eq!(a.post_form("/admin/competencies", &[("framework", good)]).await.status, StatusCode::UNPROCESSABLE_ENTITY, "a version never changes");
    let fw = s.json("GET", "/api/v1/competency-frameworks", None, &[]).await.json();
    assert_eq!(fw.as_array().unwrap().len(), 2);
    assert_eq!(fw[1]["categories"][0]["maps_to"][0], 11);
    app.verify_audit().await.unwrap();
});
