//! The person's own plans (wellness and action plan, advance directive record
//! with its signed copy, self-advocacy plan) and the rights pages: who may see
//! and write each, versions, upload limits, downloads, the API and the audit.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use lantern_domain::wellness::{PlanKind, MAX_DOCUMENT_BYTES};
use lantern_domain::{Role, Roles};

use crate::both;
use crate::support::*;

/// A supervisor who leads a team of their own, with nobody from the demo caseloads on it.
async fn other_team_supervisor(app: &TestApp) -> Client {
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    let sup = app
        .store
        .create_user(
            &lantern_store::users::NewUser {
                org_id: app.demo_org,
                email: "supervisor-east@demo".into(),
                display_name: "Eastside Supervisor".into(),
                credentials: String::new(),
                roles: Roles::empty().with(Role::Supervisor),
                password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()),
                person_id: None,
                active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap();
    let team = app.store.create_team(app.demo_org, "Eastside peer team").await.unwrap();
    app.store.add_team_member(team, sup.id, true).await.unwrap();
    let mut c = app.login("supervisor-east@demo").await;
    c.get("/account").await;
    c
}

/// A multipart upload of one file in the `document` field, with the CSRF token
/// as a form field before it (as the browser sends the form).
async fn upload(c: &mut Client, person: i64, file_name: &str, bytes: &[u8]) -> Resp {
    let csrf = c.csrf.clone();
    upload_to(c, &format!("/people/{person}/advance-directive/document"), &csrf, file_name, bytes).await
}

async fn upload_to(c: &mut Client, uri: &str, csrf: &str, file_name: &str, bytes: &[u8]) -> Resp {
    let boundary = "----lanternTestBoundary7MA4YWxk";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n").into_bytes();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"document\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    c.send(req).await
}

fn wellness_fields<'a>(version: &'a str, routine: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("version", version), ("daily_routine", routine), ("early_signs", "I stop cooking.")]
}

both!(wellness_plan_is_written_by_the_team_and_the_person_and_kept_from_others, async |app: &TestApp| {
    let id = app.peer_person;
    // The demo gives peer@demo a plan with two versions.
    let start = app.store.person_plan(app.demo_org, id, PlanKind::Wellness, None).await.unwrap().unwrap().version;
    assert_eq!(start, 2);
    let mut s = app.login("specialist@demo").await;
    let page = s.get(&format!("/people/{id}/wellness-plan")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("What I&#39;m like when I&#39;m well") || page.text.contains("What I'm like when I'm well"), "our own labels");
    assert!(!page.text.contains("WRAP"), "no trademarked names");
    // Bad input: nothing written; a section too long; the form keeps the words.
    let form = s.get(&format!("/people/{id}/wellness-plan/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(hidden_field(&form.text, "version").as_deref(), Some("2"));
    let blank: Vec<(&str, &str)> = vec![("version", "2")];
    let r = s.post_form(&format!("/people/{id}/wellness-plan"), &blank).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-when_well-err\""), "the error names the first section");
    let long = "x".repeat(4001);
    let r = s.post_form(&format!("/people/{id}/wellness-plan"), &[("version", "2"), ("triggers", &long), ("after_crisis", "Kept words.")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-triggers-err\"") && r.text.contains("Kept words."));
    assert_eq!(app.store.person_plan(app.demo_org, id, PlanKind::Wellness, None).await.unwrap().unwrap().version, 2, "nothing saved on error");
    // The specialist saves version 3; a late writer from version 2 gets a conflict and keeps their words.
    let r = s.post_form(&format!("/people/{id}/wellness-plan"), &wellness_fields("2", "Walk to the bay every morning.")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), format!("/people/{id}/wellness-plan?saved=1"));
    let r = s.post_form(&format!("/people/{id}/wellness-plan"), &wellness_fields("2", "Late writer words.")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("Late writer words."));
    // Earlier versions stay as they were.
    let v1 = s.get(&format!("/people/{id}/wellness-plan?version=1")).await;
    assert!(v1.text.contains("coffee on the porch") && !v1.text.contains("Walk to the bay every morning."));
    assert_eq!(s.get(&format!("/people/{id}/wellness-plan?version=99")).await.status, StatusCode::NOT_FOUND);
    // The person reads and writes their own plan in the portal.
    let mut peer = app.login("peer@demo").await;
    let me = peer.get("/me").await;
    assert!(me.text.contains(&format!("/people/{id}/wellness-plan")) && me.text.contains("/rights"));
    assert!(peer.get(&format!("/people/{id}/wellness-plan")).await.text.contains("Walk to the bay every morning."));
    peer.get(&format!("/people/{id}/wellness-plan/edit")).await;
    let r = peer.post_form(&format!("/people/{id}/wellness-plan"), &wellness_fields("3", "In my words: slow mornings.")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Who may not: a supervisor of another team, another peer's record, another organization.
    let mut east = other_team_supervisor(app).await;
    assert_eq!(east.get(&format!("/people/{id}/wellness-plan")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(east.get(&format!("/people/{id}/wellness-plan/edit")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(east.post_form(&format!("/people/{id}/wellness-plan"), &wellness_fields("4", "x")).await.status, StatusCode::NOT_FOUND);
    let other = app.person_only_on_specialist1().await;
    let not_me = if other == id { id + 1 } else { other };
    assert_eq!(peer.get(&format!("/people/{not_me}/wellness-plan")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer.post_form(&format!("/people/{not_me}/wellness-plan"), &wellness_fields("0", "x")).await.status, StatusCode::NOT_FOUND);
    let mut o = app.login("specialist@other").await;
    o.get("/account").await;
    assert_eq!(o.get(&format!("/people/{id}/wellness-plan")).await.status, StatusCode::NOT_FOUND);
    // The team's supervisor may read it.
    let mut sup = app.login("supervisor@demo").await;
    assert_eq!(sup.get(&format!("/people/{id}/wellness-plan")).await.status, StatusCode::OK);
    // Audited: saves (2 demo + 2 here) and views; refusals as denied.
    assert_eq!(app.store.count_audit(app.demo_org, "wellness_plan.save", Some(id), Some("ok")).await.unwrap(), 4);
    app.store.flush_audit().await.unwrap();
    assert!(app.store.count_audit(app.demo_org, "wellness_plan.view", Some(id), Some("ok")).await.unwrap() >= 4);
    assert!(app.store.count_audit(app.demo_org, "person.view", Some(id), Some("denied")).await.unwrap() >= 1);
    assert!(app.store.count_audit(app.demo_org, "person.plan_write", Some(id), Some("denied")).await.unwrap() >= 2);
    app.verify_audit().await.unwrap();
});

both!(advance_directive_record_and_its_signed_copy, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s = app.login("specialist@demo").await;
    let page = s.get(&format!("/people/{id}/advance-directive")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("record of your wishes") && page.text.contains("not itself a legal document"), "never presented as legally executed");
    assert!(page.text.contains("advance-directive-demo.pdf"), "the demo copy is listed");
    // The record: jurisdiction required, dates checked.
    let r = s.post_form(&format!("/people/{id}/advance-directive"), &[("version", "1"), ("signed_on", "March 3rd"), ("agent", "Rosa")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-jurisdiction-err\"") && r.text.contains("id=\"p-signed_on-err\""));
    let r = s.post_form(&format!("/people/{id}/advance-directive"), &[("version", "1"), ("jurisdiction", "Florida"), ("signed_on", "2025-03-14"), ("medication_preferences", "No haloperidol.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);

    // Uploads: a text file renamed .pdf, an empty file, a file over the limit,
    // a name that is not allowed — each a clear error on the field, nothing saved.
    let before = app.store.pad_document_count(app.demo_org, id).await.unwrap();
    let r = upload(&mut s, id, "my-directive.pdf", b"This is just a text file.\n").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-document-err\"") && r.text.contains("is not a PDF, PNG or JPEG as its name says"), "{}", r.text);
    let r = upload(&mut s, id, "empty.pdf", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("The file you chose is empty"));
    let r = upload(&mut s, id, "notes.txt", b"%PDF-1.4 but named .txt").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Only PDF, PNG or JPEG files"));
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(MAX_DOCUMENT_BYTES + 1, b'0');
    let r = upload(&mut s, id, "big.pdf", &big).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("larger than 3 MB"));
    big.resize(lantern_web::multipart::UPLOAD_LIMIT + 10, b'0');
    let r = upload(&mut s, id, "huge.pdf", &big).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "a body over the upload limit goes back to the form");
    assert_eq!(r.location(), format!("/people/{id}/advance-directive?upload=too-large"));
    let r = s.get(&r.location()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-document-err\"") && r.text.contains("larger than 3 MB"), "{}", r.text);
    // Through the API, a body over the limit is a 413 naming the field.
    let req = Request::put(format!("/api/v1/people/{id}/advance-directive/document"))
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::CONTENT_LENGTH, big.len())
        .header("x-csrf-token", s.csrf.clone())
        .body(Body::from(big.clone()))
        .unwrap();
    let r = s.send(req).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["errors"][0]["field"], "document");
    // Without the CSRF token, refused; a token in the query string does not count.
    let r = upload_to(&mut s, &format!("/people/{id}/advance-directive/document"), "", "pad.pdf", b"%PDF-1.4 x").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let token = s.csrf.clone();
    let r = upload_to(&mut s, &format!("/people/{id}/advance-directive/document?csrf={token}"), "", "pad.pdf", b"%PDF-1.4 x").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // No file chosen: asked for one at the field.
    let r = upload(&mut s, id, "", b"").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-document-err\""), "{}", r.text);
    assert_eq!(app.store.pad_document_count(app.demo_org, id).await.unwrap(), before, "nothing saved by a refused upload");

    // A good PNG is stored and served back exactly, with safe headers.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRsynthetic".to_vec();
    let r = upload(&mut s, id, "scan \"page 1\".png", &png).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(app.store.pad_document_count(app.demo_org, id).await.unwrap(), before + 1);
    let d = s.get(&format!("/people/{id}/advance-directive/document")).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.header("content-type"), "image/png");
    assert_eq!(d.header("content-disposition"), "attachment; filename=\"scan__page_1_.png\"");
    assert_eq!(d.header("x-content-type-options"), "nosniff");
    assert_eq!(d.header("cache-control"), "no-store");
    assert_eq!(d.header("content-length"), png.len().to_string());
    assert!(d.text.ends_with("IHDRsynthetic"), "the bytes come back as stored");

    // The person downloads their own copy; another team's supervisor and another peer cannot.
    let mut peer = app.login("peer@demo").await;
    peer.get("/me").await;
    assert_eq!(peer.get(&format!("/people/{id}/advance-directive/document")).await.status, StatusCode::OK);
    let mut east = other_team_supervisor(app).await;
    assert_eq!(east.get(&format!("/people/{id}/advance-directive/document")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(east.get(&format!("/people/{id}/advance-directive")).await.status, StatusCode::NOT_FOUND);
    let other = app.person_only_on_specialist1().await;
    let other = if other == id { id + 1 } else { other };
    assert_eq!(peer.get(&format!("/people/{other}/advance-directive/document")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(upload(&mut peer, other, "pad.pdf", b"%PDF-1.4 x").await.status, StatusCode::NOT_FOUND);
    // An administrator may download it (audited) but not replace it.
    let mut admin = app.login("admin@demo").await;
    let d = admin.get(&format!("/people/{id}/advance-directive/document")).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.header("x-content-type-options"), "nosniff");
    assert_eq!(upload(&mut admin, id, "pad.pdf", b"%PDF-1.4 x").await.status, StatusCode::FORBIDDEN);
    // The peer may upload their own copy.
    assert_eq!(upload(&mut peer, id, "mine.pdf", b"%PDF-1.4 mine").await.status, StatusCode::SEE_OTHER);
    // Downloads are audited, allowed and denied.
    assert_eq!(app.store.count_audit(app.demo_org, "pad.document.download", Some(id), Some("ok")).await.unwrap(), 3);
    assert!(app.store.count_audit(app.demo_org, "person.view", Some(id), Some("denied")).await.unwrap() >= 2);
    assert_eq!(app.store.count_audit(app.demo_org, "pad.document.upload", Some(id), Some("ok")).await.unwrap(), 3, "demo, specialist, peer");
    app.verify_audit().await.unwrap();
});

both!(advocacy_plan_links_directory_services_and_rights_pages_are_for_everyone, async |app: &TestApp| {
    let id = app.peer_person;
    let mut peer = app.login("peer@demo").await;
    let page = peer.get(&format!("/people/{id}/advocacy-plan")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Keep my job at the bakery") && page.text.contains("Disability Rights (demo listing)"));
    let form = peer.get(&format!("/people/{id}/advocacy-plan/edit")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("value=\"keep:0\" checked"), "the linked service stays ticked");
    // Goal required; a made-up service is refused by name.
    let r = peer.post_form(&format!("/people/{id}/advocacy-plan"), &[("version", "1"), ("ask_for", "A quiet desk")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-goal-err\"") && r.text.contains("A quiet desk"));
    let r = peer.post_form(&format!("/people/{id}/advocacy-plan"), &[("version", "1"), ("goal", "Keep my job"), ("service", "svc:no-such-service")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"p-services-err\""));
    // Unticking the linked service drops it from the new version.
    let r = peer.post_form(&format!("/people/{id}/advocacy-plan"), &[("version", "1"), ("goal", "Keep my job")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let v = app.store.person_plan(app.demo_org, id, PlanKind::Advocacy, None).await.unwrap().unwrap();
    assert_eq!((v.version, v.plan.links.len()), (2, 0));
    // Rights pages: any signed-in user; an unknown topic is 404; not signed in goes to sign-in.
    for who in ["peer@demo", "specialist@demo", "admin@demo"] {
        let mut c = app.login(who).await;
        let index = c.get("/rights").await;
        assert_eq!(index.status, StatusCode::OK);
        for topic in lantern_web::wellness::RIGHTS_TOPICS {
            let p = c.get(&format!("/rights/{topic}")).await;
            assert_eq!(p.status, StatusCode::OK, "{topic}");
            assert!(p.text.contains("Where to learn more") && p.text.contains("not legal advice"), "{topic}");
        }
        assert_eq!(c.get("/rights/nope").await.status, StatusCode::NOT_FOUND);
    }
    let olmstead = peer.get("/rights/olmstead").await;
    assert!(olmstead.text.contains("Olmstead v. L.C.") && olmstead.text.contains(&format!("/people/{id}/advocacy-plan")));
    assert_eq!(app.client().get("/rights").await.status, StatusCode::SEE_OTHER);
    app.verify_audit().await.unwrap();
});

both!(plans_api_reads_and_writes_with_version_checks, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s = app.login("specialist@demo").await;
    s.get("/account").await;
    let h = s.csrf.clone();
    let hdr = [("x-csrf-token", h.as_str())];
    let r = s.json("GET", &format!("/api/v1/people/{id}/wellness-plan"), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["version"], 2);
    let r = s.json("PUT", &format!("/api/v1/people/{id}/wellness-plan"), Some(serde_json::json!({"version": 2, "after_crisis": "Half days for a week."})), &hdr).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["version"], 3);
    let r = s.json("PUT", &format!("/api/v1/people/{id}/wellness-plan"), Some(serde_json::json!({"version": 2, "after_crisis": "late"})), &hdr).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = s.json("PUT", &format!("/api/v1/people/{id}/wellness-plan"), Some(serde_json::json!({"version": 3, "after_crisis": 5})), &hdr).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a number where text goes");
    // PAD: the field is named when it is missing; the document is listed and downloadable.
    let r = s.json("PUT", &format!("/api/v1/people/{id}/advance-directive"), Some(serde_json::json!({"version": 1, "agent": "Rosa"})), &hdr).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "jurisdiction");
    let r = s.json("GET", &format!("/api/v1/people/{id}/advance-directive"), None, &[]).await;
    assert_eq!(r.json()["document"]["content_type"], "application/pdf");
    let pdf = s.get(&format!("/api/v1/people/{id}/advance-directive/document")).await;
    assert!(pdf.text.starts_with("%PDF-1.4"));
    // Uploading through the API: the content type must match the bytes.
    let put = |ct: &'static str, body: &'static [u8]| {
        Request::put(format!("/api/v1/people/{id}/advance-directive/document?file_name=scan.jpg")).header(header::CONTENT_TYPE, ct).header("x-csrf-token", h.clone()).body(Body::from(body)).unwrap()
    };
    let r = s.send(put("text/plain", b"hello")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "document");
    let r = s.send(put("image/jpeg", b"not a jpeg")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.send(put("image/jpeg", b"")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = s.send(put("image/jpeg", b"\xFF\xD8\xFF\xE0synthetic")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["file_name"], "scan.jpg");
    // A generic binary body takes its type from its bytes: a PNG named .png is accepted, text is not.
    let generic = |name: &str, body: &'static [u8]| {
        Request::put(format!("/api/v1/people/{id}/advance-directive/document?file_name={name}"))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .header("x-csrf-token", h.clone())
            .body(Body::from(body))
            .unwrap()
    };
    let r = s.send(generic("scan.png", b"\x89PNG\r\n\x1a\nsynthetic")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["content_type"], "image/png");
    for (name, body) in [("notes.txt", &b"hello"[..]), ("scan.png", &b""[..]), ("scan.pdf", &b"\x89PNG\r\n\x1a\nsynthetic"[..])] {
        let r = s.send(generic(name, body)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", r.text);
        assert_eq!(r.json()["errors"][0]["field"], "document");
    }
    let r = s.json("GET", &format!("/api/v1/people/{id}/advance-directive"), None, &[]).await;
    assert_eq!(r.json()["document"]["content_type"], "image/png", "a refused upload leaves the last good copy in place");
    // Advocacy through the API; another organization's caller gets 404.
    let r = s.json("PUT", &format!("/api/v1/people/{id}/advocacy-plan"), Some(serde_json::json!({"version": 1, "goal": "Get my records", "services": [{"service_id": "nope"}]})), &hdr).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "services");
    let r = s.json("PUT", &format!("/api/v1/people/{id}/advocacy-plan"), Some(serde_json::json!({"version": 1, "goal": "Get my records"})), &hdr).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut o = app.login("specialist@other").await;
    o.get("/account").await;
    assert_eq!(o.json("GET", &format!("/api/v1/people/{id}/advocacy-plan"), None, &[]).await.status, StatusCode::NOT_FOUND);
    app.verify_audit().await.unwrap();
});

#[test]
fn every_plan_section_has_a_label_and_help_text() {
    let cat = lantern_web::i18n::Catalog::english().unwrap();
    for kind in PlanKind::ALL {
        for f in kind.fields() {
            let key = lantern_web::wellness::label_key(kind, f.name);
            assert!(cat.has(&key) && cat.has(&format!("{key}-hint")), "{key} is missing from the catalogue");
        }
    }
    for topic in lantern_web::wellness::RIGHTS_TOPICS {
        for part in ["title", "summary", "p1", "p2", "p3", "p4", "source1", "source2"] {
            assert!(cat.has(&format!("rights-{topic}-{part}")), "rights-{topic}-{part}");
        }
    }
}
