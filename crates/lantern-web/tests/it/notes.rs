//! Encounter notes over HTTP, on SQLite and PostgreSQL: signing locks a note,
//! co-signing needs the author's supervisor, returned notes come back, group
//! notes keep private lines private, stale drafts keep their text, and the
//! units report adds up.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use lantern_domain::billing::{allocate_day, CodeRule, Service};
use lantern_domain::{Role, Roles};
use lantern_store::encounters::NoteFilter;
use serde_json::json;

use crate::both;
use crate::support::*;

async fn yesterday(app: &TestApp) -> String {
    let today = app.store.today(app.demo_org).await.unwrap();
    today.checked_sub(jiff::Span::new().days(1)).unwrap().to_string()
}

async fn signed_in(app: &TestApp, email: &str) -> Client {
    let mut c = app.login(email).await;
    c.get("/account").await;
    c
}

async fn api(c: &mut Client, method: &str, path: &str, body: Option<serde_json::Value>, extra: &[(&str, &str)]) -> Resp {
    let token = c.csrf.clone();
    let mut h: Vec<(&str, &str)> = vec![("x-csrf-token", token.as_str())];
    h.extend_from_slice(extra);
    c.json(method, path, body, &h).await
}

fn full_note(date: &str, code: i64) -> serde_json::Value {
    json!({
        "kind": "individual", "modality": "in_person", "setting": "Recovery center", "date": date, "start": "10:00", "end": "10:50",
        "service_code_id": code, "activities": ["recovery_planning"],
        "what_we_did": "Went over the housing form together", "purpose": "Their housing goal",
        "how_it_went": "\"I can do the rest myself\"", "next_steps": "Call on Tuesday",
    })
}

async fn plain_code(app: &TestApp) -> i64 {
    app.store.service_codes(app.demo_org).await.unwrap().iter().find(|c| c.modifiers.is_empty()).unwrap().id
}

both!(note_options_list_codes_and_competencies, async |app: &TestApp| {
    let mut s1 = signed_in(app, "specialist@demo").await;
    let r = api(&mut s1, "GET", "/api/v1/note-options", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    let codes = v["service_codes"].as_array().unwrap();
    let labels: Vec<String> = codes.iter().map(|c| format!("{} {}", c["code"].as_str().unwrap(), c["modifiers"].as_str().unwrap()).trim().to_string()).collect();
    assert_eq!(labels, ["H0038", "H0038 HF", "H0038 HQ"]);
    assert!(codes.iter().all(|c| c["cap_units_per_person_per_day"] == 16 && c["unit_minutes"] == 15));
    let kinds = v["activity_types"].as_array().unwrap();
    let mut seen: Vec<String> = kinds.iter().flat_map(|k| k["competencies"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string())).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 12, "every competency category I-XII is reachable: {seen:?}");
});

/// Writes and signs a note through the API as `c`; returns its id.
async fn write_and_sign(app: &TestApp, c: &mut Client, person: i64, date: &str) -> i64 {
    let code = plain_code(app).await;
    let r = api(c, "POST", &format!("/api/v1/people/{person}/notes"), Some(full_note(date, code)), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].as_i64().unwrap();
    let r = api(c, "POST", &format!("/api/v1/notes/{id}/sign"), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    id
}

both!(an_addendum_corrects_the_times_and_units_follow, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let d: jiff::civil::Date = date.parse().unwrap();
    // The day's totals (minutes, billed units) over the other notes of that day, and with this one.
    let report = |app: &TestApp| {
        let store = app.store.clone();
        let org = app.demo_org;
        async move { store.units_report(org, d, d, false).await.unwrap().iter().map(|r| (r.minutes, r.billed_units)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)) }
    };
    let (m0, u0) = report(app).await;
    let id = write_and_sign(app, &mut s1, person, &date).await;
    let before = app.store.note(app.demo_org, id).await.unwrap();
    assert_eq!((before.content.minutes, before.billed_units), (Some(50), 3), "10:00–10:50 under the 8-minute rule");
    assert_eq!(report(app).await, (m0 + 50, u0 + 3));

    // Bad corrections are named and change nothing: one time only, end before start, not a time.
    for (start, end, field) in [("10:00", "", "corrected_end"), ("11:00", "10:00", "corrected_end"), ("ten", "10:30", "corrected_start")] {
        let r = s1.post_form(&format!("/notes/{id}/addenda"), &[("addendum", "The meeting was shorter."), ("corrected_start", start), ("corrected_end", end)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{start}–{end}");
        assert!(r.text.contains(&format!("id=\"f-{field}-err\"")), "{start}–{end}: the error is at {field}");
        assert!(r.text.contains("The meeting was shorter."), "what was typed is kept");
    }
    let r = api(&mut s1, "POST", &format!("/api/v1/notes/{id}/addenda"), Some(json!({"body": "x", "corrected_start": "10:00", "corrected_end": "23:30"})), &[]).await;
    assert_eq!((r.status, r.json()["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("corrected_end")), "more than 12 hours");
    assert!(app.store.addenda(id).await.unwrap().is_empty(), "nothing was added");

    // The form: the meeting really ran 10:00–10:20. The note keeps what was signed; units follow the correction.
    let r = s1.post_form(&format!("/notes/{id}/addenda"), &[("addendum", "The meeting ended at 10:20, not 10:50."), ("corrected_start", "10:00"), ("corrected_end", "10:20")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let after = app.store.note(app.demo_org, id).await.unwrap();
    assert_eq!((after.content.minutes, after.content_hash.as_str()), (Some(50), before.content_hash.as_str()), "the signed content is unchanged");
    assert_eq!(after.billed_units, 1, "20 minutes: one unit under the 8-minute rule");
    assert_eq!(report(app).await, (m0 + 20, u0 + 1), "the units report uses the corrected times");
    let page = s1.get(&format!("/notes/{id}")).await;
    assert!(page.text.contains("Times corrected to 10:00–10:20 (20 minutes)."), "{}", page.text);
    // The API: a later correction wins, and shows on the addendum.
    let r = api(&mut s1, "POST", &format!("/api/v1/notes/{id}/addenda"), Some(json!({"body": "Checked the sign-in sheet: 10:00 to 10:38.", "corrected_start": "10:00", "corrected_end": "10:38"})), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let adds = r.json()["addenda"].as_array().unwrap().clone();
    assert_eq!((adds[1]["corrected_start"].as_str(), adds[1]["corrected_end"].as_str(), adds[1]["corrected_minutes"].as_i64()), (Some("10:00"), Some("10:38"), Some(38)));
    assert_eq!(r.json()["billed_units"], 3, "38 minutes: three units under the 8-minute rule");
    assert_eq!(report(app).await, (m0 + 38, u0 + 3));
    // A plain addendum leaves the correction as it is.
    api(&mut s1, "POST", &format!("/api/v1/notes/{id}/addenda"), Some(json!({"body": "They called back."})), &[]).await;
    assert_eq!(report(app).await, (m0 + 38, u0 + 3));
});

both!(signed_note_is_locked_only_addenda, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let code = plain_code(app).await;
    // An incomplete billable note cannot be signed; the answer lists what is missing per field.
    let mut partial = full_note(&date, code);
    partial["purpose"] = json!("");
    partial["end"] = json!("");
    let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(partial), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let draft = r.json();
    assert_eq!(draft["missing"], json!(["start", "purpose"]));
    let r = api(&mut s1, "POST", &format!("/api/v1/notes/{}/sign", draft["id"]), None, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields: Vec<String> = r.json()["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_string()).collect();
    assert_eq!(fields, ["start", "purpose"]);
    // End before start, and the form's errors.
    let mut bad = full_note(&date, code);
    bad["end"] = json!("09:00");
    let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(bad), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "end");

    let id = write_and_sign(app, &mut s1, person, &date).await;
    let r = api(&mut s1, "GET", &format!("/api/v1/notes/{id}"), None, &[]).await;
    let note = r.json();
    assert_eq!(note["status"], "awaiting_cosign", "new specialists need a co-signature by default");
    assert_eq!(note["content_hash"].as_str().unwrap().len(), 64);
    assert_eq!(note["billed_units"], 3, "50 minutes under the 8-minute rule");
    let etag = r.header("etag");
    // The API refuses an edit of a signed note, even with the right version.
    let r = api(&mut s1, "PATCH", &format!("/api/v1/notes/{id}"), Some(json!({"what_we_did": "changed"})), &[("if-match", &etag)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.header("content-type"), "application/problem+json");
    // So does the form.
    let version = note["version"].as_i64().unwrap().to_string();
    let r = s1.post_form(&format!("/notes/{id}"), &[("what_we_did", "changed"), ("version", &version), ("action", "save"), ("date", &date)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = s1.post_form(&format!("/notes/{id}"), &[("what_we_did", "changed"), ("version", &version), ("action", "sign"), ("date", &date)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let stored = app.store.note(app.demo_org, id).await.unwrap();
    assert_eq!(stored.content.narrative.what_we_did, "Went over the housing form together");
    // Signing again is refused too.
    assert_eq!(api(&mut s1, "POST", &format!("/api/v1/notes/{id}/sign"), None, &[]).await.status, StatusCode::CONFLICT);
    // The signed note shows (and prints) with its signature; the edit form is gone.
    let r = s1.get(&format!("/notes/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(&stored.content_hash));
    assert!(!r.text.contains("name=\"what_we_did\""));
    // Addenda: by form and by API, signed, appended.
    let r = s1.post_form(&format!("/notes/{id}/addenda"), &[("addendum", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("aria-describedby=\"f-addendum-hint f-addendum-err\""));
    let r = s1.post_form(&format!("/notes/{id}/addenda"), &[("addendum", "They called back: the form went in.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = api(&mut s1, "POST", &format!("/api/v1/notes/{id}/addenda"), Some(json!({"body": "Second thought, added later."})), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let adds = r.json()["addenda"].as_array().unwrap().clone();
    assert_eq!(adds.len(), 2);
    assert_eq!(adds[0]["credentials"], "CPRS");
    assert_eq!(app.store.note(app.demo_org, id).await.unwrap().content_hash, stored.content_hash, "addenda do not touch the signed note");
    // The person's last contact moved to the note's date, and the timeline says so.
    let p = app.store.person(app.demo_org, person).await.unwrap();
    assert!(p.last_contact_on.unwrap().to_string() >= date);
    // Someone without the person on their caseload does not see the note.
    let mut s2 = signed_in(app, "specialist2@demo").await;
    assert_eq!(s2.get(&format!("/notes/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(api(&mut s2, "GET", &format!("/api/v1/notes/{id}"), None, &[]).await.status, StatusCode::NOT_FOUND);
    assert!(app.verify_audit().await.is_ok());
});

both!(only_the_authors_supervisor_cosigns, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let id = write_and_sign(app, &mut s1, person, &date).await;
    // A supervisor in the same organization who does not lead the author's team.
    let hasher = lantern_web::Hasher::new(lantern_web::HashCost::cheap());
    app.store
        .create_user(
            &lantern_store::users::NewUser {
                org_id: app.demo_org,
                email: "othersup@demo".into(),
                display_name: "Other Supervisor".into(),
                credentials: "CPRS".into(),
                roles: Roles::empty().with(Role::Supervisor).with(Role::Specialist),
                password_hash: Some(hasher.hash_blocking(PASSWORD).unwrap()),
                person_id: None,
                active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap();
    for (who, expected) in [("specialist@demo", StatusCode::FORBIDDEN), ("specialist2@demo", StatusCode::FORBIDDEN), ("admin@demo", StatusCode::FORBIDDEN), ("othersup@demo", StatusCode::NOT_FOUND), ("specialist@other", StatusCode::NOT_FOUND)] {
        let mut c = signed_in(app, who).await;
        let r = api(&mut c, "POST", &format!("/api/v1/notes/{id}/cosign"), None, &[]).await;
        assert_eq!(r.status, expected, "{who}: {}", r.text);
        let r = c.post_form(&format!("/notes/{id}/cosign"), &[]).await;
        assert_eq!(r.status, expected, "{who} (form)");
    }
    assert_eq!(app.store.note(app.demo_org, id).await.unwrap().status.code(), "awaiting_cosign");
    // The queue of the other supervisor does not list it; the author's supervisor's does.
    let mut other = signed_in(app, "othersup@demo").await;
    assert!(!other.get("/cosign").await.text.contains(&format!("/notes/{id}\"")));
    let mut sup = signed_in(app, "supervisor@demo").await;
    let q = sup.get("/cosign").await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(q.text.contains(&format!("href=\"/notes/{id}\"")));
    let r = api(&mut sup, "POST", &format!("/api/v1/notes/{id}/cosign"), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "cosigned");
    let kinds: Vec<String> = r.json()["signatures"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["sign", "cosign"]);
    // Co-signing twice is a conflict, not a second signature.
    assert_eq!(api(&mut sup, "POST", &format!("/api/v1/notes/{id}/cosign"), None, &[]).await.status, StatusCode::CONFLICT);
    assert!(app.verify_audit().await.is_ok());
});

both!(returned_note_is_fixed_and_signed_again, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let id = write_and_sign(app, &mut s1, person, &date).await;
    let mut sup = signed_in(app, "supervisor@demo").await;
    // Returning needs a comment, shown next to the field.
    let r = sup.post_form(&format!("/notes/{id}/return"), &[("comment", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"f-comment-err\""));
    let r = sup.post_form(&format!("/notes/{id}/return"), &[("comment", "Please say how this ties to their housing goal.")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let n = app.store.note(app.demo_org, id).await.unwrap();
    assert_eq!(n.status.code(), "returned");
    assert_eq!(n.billed_units, 0, "a returned note does not count until signed again");
    // The specialist sees it on their home page, with the comment on the form.
    let home = s1.get("/caseload").await;
    assert!(home.text.contains(&format!("href=\"/notes/{id}\"")), "returned notes are listed on the caseload page");
    let form = s1.get(&format!("/notes/{id}")).await;
    assert!(form.text.contains("Please say how this ties to their housing goal."));
    assert!(form.text.contains("data-language-check=\"narrative\""));
    let version = hidden_field(&form.text, "version").unwrap();
    let code = plain_code(app).await.to_string();
    let r = s1
        .post_form(
            &format!("/notes/{id}"),
            &[
                ("version", &version), ("action", "sign"), ("kind", "individual"), ("modality", "in_person"), ("setting", "Recovery center"), ("date", &date),
                ("start", "10:00"), ("end", "10:50"), ("service_code", &code), ("activities", "recovery_planning"),
                ("what_we_did", "Went over the housing form together"), ("purpose", "Their goal of a place of their own by spring"),
                ("how_it_went", "\"I can do the rest myself\""), ("next_steps", "Call on Tuesday"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), format!("/notes/{id}?signed=1"));
    let n = app.store.note(app.demo_org, id).await.unwrap();
    assert_eq!(n.status.code(), "awaiting_cosign");
    assert_eq!(n.content.narrative.purpose, "Their goal of a place of their own by spring");
    let kinds: Vec<String> = app.store.signatures(id).await.unwrap().into_iter().map(|s| s.kind).collect();
    assert_eq!(kinds, ["sign", "return", "sign"]);
    let r = sup.post_form(&format!("/notes/{id}/cosign"), &[("from", "queue")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/cosign?done=1");
    assert_eq!(app.store.note(app.demo_org, id).await.unwrap().status.code(), "cosigned");
    assert!(!s1.get("/caseload").await.text.contains(&format!("href=\"/notes/{id}\"")));
});

both!(group_note_makes_one_private_record_each, async |app: &TestApp| {
    let s1id = app.user_id("specialist@demo").await;
    let (mine, _) = app.store.caseload(app.demo_org, lantern_store::people::Scope::Mine(s1id), &lantern_store::people::CaseloadFilter { limit: 10, ..Default::default() }).await.unwrap();
    let (a, b, c) = (mine[0].id, mine[1].id, mine[2].id);
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let form = s1.get("/group-notes/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let code = hidden_select(&form.text);
    let (sa, sb, sc) = (a.to_string(), b.to_string(), c.to_string());
    let s = |k: &str, v: &str| (k.to_string(), v.to_string());
    let fields = vec![
        s("modality", "in_person"), s("setting", "Recovery center"), s("date", &date), s("start", "18:00"), s("end", "19:30"), s("service_code", &code),
        s("activities", "group_support"), s("what_we_did", "Mutual support group on staying connected"), s("purpose", "Connection goals"),
        s("how_it_went", "Lively; several people shared"), s("next_steps", "Same time next week"),
        s("attendee", &sa), s(&format!("private_{sa}"), "Alpha line: spoke up for the first time"),
        s("attendee", &sb), s(&format!("minutes_{sb}"), "45"), s(&format!("private_{sb}"), "Bravo line: left early for work"),
        s("attendee", &sc), s(&format!("attended_{sc}"), "no"),
        s("action", "sign"),
    ];
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = s1.post_form("/group-notes", &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let notes_of = |p: i64| async move { app.store.notes(app.demo_org, &NoteFilter { person_id: Some(p), limit: 100, ..Default::default() }).await.unwrap() };
    let na: Vec<_> = notes_of(a).await.into_iter().filter(|n| n.group_id.is_some() && n.content.narrative.what_we_did == "Mutual support group on staying connected").collect();
    let nb: Vec<_> = notes_of(b).await.into_iter().filter(|n| n.group_id.is_some() && n.content.narrative.what_we_did == "Mutual support group on staying connected").collect();
    let nc: Vec<_> = notes_of(c).await.into_iter().filter(|n| n.group_id.is_some() && n.content.narrative.what_we_did == "Mutual support group on staying connected").collect();
    assert_eq!((na.len(), nb.len(), nc.len()), (1, 1, 1), "one note per attendee");
    assert_eq!(na[0].group_id, nb[0].group_id);
    assert_eq!(na[0].content.minutes, Some(90));
    assert_eq!(nb[0].content.minutes, Some(45));
    assert_eq!(na[0].billed_units, 6);
    assert_eq!(nb[0].billed_units, 3);
    assert_eq!(nc[0].content.kind.code(), "attempted_contact");
    assert_eq!(nc[0].billed_units, 0);
    assert!(na[0].status.is_signed() && nb[0].status.is_signed());
    // Each record carries only its own line.
    let page_a = s1.get(&format!("/notes/{}", na[0].id)).await.text;
    assert!(page_a.contains("Alpha line") && !page_a.contains("Bravo line"));
    let page_b = s1.get(&format!("/notes/{}", nb[0].id)).await.text;
    assert!(page_b.contains("Bravo line") && !page_b.contains("Alpha line"));
    let list = api(&mut s1, "GET", &format!("/api/v1/notes?person_id={a}"), None, &[]).await;
    assert!(list.text.contains("Alpha line") && !list.text.contains("Bravo line"));
    let pa = s1.get(&format!("/people/{a}")).await.text;
    assert!(!pa.contains("Bravo line"));
});

/// The first non-empty option of the service code select on the group page (the group code).
fn hidden_select(html: &str) -> String {
    let start = html.find("name=\"service_code\"").unwrap();
    let sel = &html[start..];
    let i = sel.find(" selected").unwrap();
    let before = &sel[..i];
    let v = before.rfind("value=\"").unwrap() + 7;
    before[v..].split('"').next().unwrap().to_string()
}

both!(concurrent_draft_edits_one_wins, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(json!({"date": date, "what_we_did": "first words"})), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.json()["id"].as_i64().unwrap();
    let etag = r.header("etag");
    assert_eq!(etag, "\"v1\"");
    let r = api(&mut s1, "PATCH", &format!("/api/v1/notes/{id}"), Some(json!({"what_we_did": "no version"})), &[]).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    // Two sessions save the same version at the same moment: exactly one wins.
    let mut other = signed_in(app, "specialist@demo").await;
    let path = format!("/api/v1/notes/{id}");
    let hdr = [("if-match", etag.as_str())];
    let (first, second) = tokio::join!(
        api(&mut s1, "PATCH", &path, Some(json!({"what_we_did": "tab one"})), &hdr),
        api(&mut other, "PATCH", &path, Some(json!({"what_we_did": "tab two"})), &hdr),
    );
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::PRECONDITION_FAILED], "{} / {}", first.text, second.text);
    let loser = if first.status == StatusCode::OK { &second } else { &first };
    assert_eq!(loser.header("content-type"), "application/problem+json");
    let winner_text = if first.status == StatusCode::OK { "tab one" } else { "tab two" };
    assert_eq!(app.store.note(app.demo_org, id).await.unwrap().content.narrative.what_we_did, winner_text);
    // Two browser tabs on the same draft: the stale save answers 409 and keeps the text.
    let r = s1.post_form(&format!("/notes/{id}"), &[("version", "2"), ("action", "save"), ("date", &date), ("what_we_did", "tab A text")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = s1.post_form(&format!("/notes/{id}"), &[("version", "2"), ("action", "save"), ("date", &date), ("what_we_did", "tab B text, kept")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains("tab B text, kept"));
    assert!(r.text.contains("Someone saved this note"));
    assert_eq!(hidden_field(&r.text, "version").unwrap(), "3", "the form now carries the current version, to save deliberately");
    assert_eq!(app.store.note(app.demo_org, id).await.unwrap().content.narrative.what_we_did, "tab A text");
    // A supervisor of the author may read the draft; another specialist cannot touch it.
    let mut sup = signed_in(app, "supervisor@demo").await;
    let r = api(&mut sup, "GET", &format!("/api/v1/notes/{id}"), None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "a supervisor of the author may read drafts");
    let mut s2 = signed_in(app, "specialist2@demo").await;
    assert_eq!(api(&mut s2, "PATCH", &format!("/api/v1/notes/{id}"), Some(json!({"what_we_did": "x"})), &[("if-match", "\"v3\"")]).await.status, StatusCode::NOT_FOUND);
});

both!(units_report_equals_a_recount, async |app: &TestApp| {
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    // A new person, so no demo note shares their days.
    let r = api(&mut s1, "POST", "/api/v1/people", Some(json!({"legal_name": "Sam Newcomer"})), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let person = r.json()["id"].as_i64().unwrap();
    let code = plain_code(app).await;
    // Five hours in one day for one person: 20 units earned, 16 billed, 4 over the cap.
    for (start, end) in [("08:00", "11:00"), ("13:00", "15:00")] {
        let mut body = full_note(&date, code);
        body["start"] = json!(start);
        body["end"] = json!(end);
        let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(body), &[]).await;
        let id = r.json()["id"].as_i64().unwrap();
        // The form warns about the cap before signing the second one.
        if start == "13:00" {
            let page = s1.get(&format!("/notes/{id}")).await;
            assert!(page.text.contains("over the daily limit of 16"), "cap warning shown");
        }
        assert_eq!(api(&mut s1, "POST", &format!("/api/v1/notes/{id}/sign"), None, &[]).await.status, StatusCode::OK);
    }
    let day = app.store.notes(app.demo_org, &NoteFilter { person_id: Some(person), from: Some(date.parse().unwrap()), to: Some(date.parse().unwrap()), ..Default::default() }).await.unwrap();
    assert_eq!(day.iter().map(|n| n.billed_units).sum::<i64>(), 16);
    assert_eq!(day.iter().map(|n| n.over_cap_units).sum::<i64>(), 4);

    // The same three overlapping-cap services on two days, signed in opposite orders, come to the same units.
    let today = app.store.today(app.demo_org).await.unwrap();
    let (d1, d2) = (today.checked_sub(jiff::Span::new().days(3)).unwrap().to_string(), today.checked_sub(jiff::Span::new().days(2)).unwrap().to_string());
    let mut ids: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for d in [&d1, &d2] {
        for (start, end) in [("08:00", "10:00"), ("11:00", "13:00"), ("14:00", "16:00")] {
            let mut body = full_note(d, code);
            body["start"] = json!(start);
            body["end"] = json!(end);
            let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(body), &[]).await;
            ids.entry(d.clone()).or_default().push(r.json()["id"].as_i64().unwrap());
        }
    }
    for id in ids[&d1].iter().chain(ids[&d2].iter().rev()) {
        assert_eq!(api(&mut s1, "POST", &format!("/api/v1/notes/{id}/sign"), None, &[]).await.status, StatusCode::OK);
    }
    let units = |day: &str| {
        let v = ids[day].clone();
        async move {
            let mut out = vec![];
            for id in v {
                let n = app.store.note(app.demo_org, id).await.unwrap();
                out.push((n.billed_units, n.over_cap_units));
            }
            out
        }
    };
    let (u1, u2) = (units(&d1).await, units(&d2).await);
    assert_eq!(u1, u2, "signing order does not change who gets the units");
    assert_eq!(u1, vec![(8, 0), (8, 0), (0, 8)], "the cap falls on the latest service of the day");

    let from: jiff::civil::Date = "2000-01-01".parse().unwrap();
    let to = app.store.today(app.demo_org).await.unwrap();
    let report = app.store.units_report(app.demo_org, from, to, false).await.unwrap();
    assert!(!report.is_empty());
    // Brute force: re-allocate every day from the signed notes, then add up by month × code × payer.
    let codes = app.store.service_codes(app.demo_org).await.unwrap();
    let rules: BTreeMap<i64, CodeRule> = codes.iter().map(|c| (c.id, CodeRule { unit_minutes: c.unit_minutes, rule: c.rule, caps: c.caps })).collect();
    let all = app.store.notes(app.demo_org, &NoteFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let signed: Vec<_> = all.iter().filter(|n| n.status.is_signed() && n.content.service_code.is_some() && n.content.kind.code() != "attempted_contact").collect();
    assert!(signed.len() < 1000);
    let mut by_day: BTreeMap<String, Vec<Service>> = BTreeMap::new();
    for n in &signed {
        by_day.entry(n.content.date.unwrap().to_string()).or_default().push(Service {
            id: n.id, person: n.person_id, provider: n.author_id, code: n.content.service_code.unwrap(), start_ms: n.content.start_ms.unwrap(), minutes: n.content.minutes.unwrap(),
        });
    }
    let mut expect: BTreeMap<(String, i64), (i64, i64, i64)> = BTreeMap::new();
    for (d, services) in &by_day {
        let alloc = allocate_day(services, &rules);
        for s in services {
            let e = expect.entry((d[..7].to_string(), s.code)).or_default();
            e.0 += 1;
            e.1 += alloc[&s.id].billed;
            e.2 += alloc[&s.id].over_cap;
        }
    }
    let mut got: BTreeMap<(String, i64), (i64, i64, i64)> = BTreeMap::new();
    for r in &report {
        let c = codes.iter().find(|c| (if c.modifiers.is_empty() { c.code.clone() } else { format!("{} {}", c.code, c.modifiers) }) == r.code && c.payer == r.payer).unwrap();
        got.insert((r.month.clone(), c.id), (r.notes, r.billed_units, r.over_cap_units));
    }
    assert_eq!(got, expect);
    // The page and the CSV.
    let mut sup = signed_in(app, "supervisor@demo").await;
    let page = sup.get(&format!("/reports/units?from=2000-01-01&to={to}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Units over limit"));
    let csv = sup.get(&format!("/reports/units?from=2000-01-01&to={to}&format=csv&by=specialist")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let header = csv.text.lines().next().unwrap();
    assert!(header.contains("billed_units") && header.contains("over_cap_units") && header.contains("specialist"));
    let total: i64 = csv.text.lines().skip(1).map(|l| l.split(',').nth_back(1).unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(total, expect.values().map(|v| v.1).sum::<i64>());
    // An inverted range is refused, next to the field.
    let r = sup.get("/reports/units?from=2026-05-01&to=2026-04-01").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"f-to-err\""));
    assert!(app.verify_audit().await.is_ok());
});

both!(times_are_local_and_dst_safe, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    // The demo organization is in America/New_York.
    for (date, start, end, minutes) in [("2026-03-08", "01:30", "03:30", 60), ("2026-11-01", "00:30", "02:30", 180), ("2026-06-01", "09:00", "10:15", 75)] {
        let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(json!({"date": date, "start": start, "end": end, "what_we_did": "Talked"})), &[]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        assert_eq!(r.json()["minutes"], minutes, "{date} {start}-{end}");
    }
    // Implausible (over 12 hours) and backwards spans are refused on the end field.
    for (start, end) in [("06:00", "19:00"), ("15:00", "14:00")] {
        let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(json!({"date": "2026-06-01", "start": start, "end": end})), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.json()["errors"][0]["field"], "end");
    }
    // The form says so next to the field, and keeps what was typed.
    let r = s1.post_form(&format!("/people/{person}/notes"), &[("date", "2026-06-01"), ("start", "06:00"), ("end", "19:00"), ("what_we_did", "kept words"), ("action", "save")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"f-end-err\"") && r.text.contains("kept words"));
    // A date in the future is refused.
    let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(json!({"date": "2999-01-01"})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
});

both!(the_database_refuses_changes_to_signed_notes, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let id = write_and_sign(app, &mut s1, person, &date).await;
    api(&mut s1, "POST", &format!("/api/v1/notes/{id}/addenda"), Some(json!({"body": "Later: all good."})), &[]).await;
    let url = match &app.config {
        lantern_store::DbConfig::DataDir(d) => format!("sqlite://{}", d.join("lantern.db").display()),
        lantern_store::DbConfig::Url(u) => u.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for sql in [
        "UPDATE encounters SET what_we_did = 'rewritten' WHERE id = $1",
        "UPDATE encounters SET start_ms = start_ms + 60000 WHERE id = $1",
        "UPDATE encounter_addenda SET body = 'rewritten' WHERE encounter_id = $1",
        "DELETE FROM encounter_addenda WHERE encounter_id = $1",
        "UPDATE encounter_signatures SET name = 'someone else' WHERE encounter_id = $1",
        "DELETE FROM encounter_signatures WHERE encounter_id = $1",
    ] {
        assert!(sqlx::query(sql).bind(id).execute(&pool).await.is_err(), "refused: {sql}");
    }
    // Billing columns are computed and may be recomputed.
    sqlx::query("UPDATE encounters SET billed_units = billed_units WHERE id = $1").bind(id).execute(&pool).await.unwrap();
    pool.close().await;
    let n = app.store.note(app.demo_org, id).await.unwrap();
    assert_eq!(n.content.narrative.what_we_did, "Went over the housing form together");
});

both!(upgrading_a_foundation_database_seeds_note_defaults, async |app: &TestApp| {
    // Take the database back to schema 1, as a server from before notes left it.
    let url = match &app.config {
        lantern_store::DbConfig::DataDir(d) => format!("sqlite://{}", d.join("lantern.db").display()),
        lantern_store::DbConfig::Url(u) => u.clone(),
    };
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    for t in ["appointments", "encounter_addenda", "encounter_signatures", "encounters", "encounter_groups", "activity_competencies", "activity_types", "service_codes", "payers", "org_note_settings"] {
        sqlx::query(&format!("DROP TABLE {t}")).execute(&pool).await.unwrap();
    }
    if app.backend == Backend::Postgres {
        sqlx::query("DROP FUNCTION lantern_append_only()").execute(&pool).await.unwrap();
        sqlx::query("DROP FUNCTION lantern_note_locked()").execute(&pool).await.unwrap();
    }
    // Appointments (0006) link to notes, so they go too.
    sqlx::query("DELETE FROM lantern_schema WHERE version IN (2, 6)").execute(&pool).await.unwrap();
    pool.close().await;
    // A new server upgrades it and gives every existing organization its defaults.
    let upgraded = lantern_store::Store::open(&app.config, app.clock.clone(), lantern_store::OpenOptions::default()).await.unwrap();
    for org in [app.demo_org, app.other_org] {
        assert_eq!(upgraded.service_codes(org).await.unwrap().len(), 3);
        assert_eq!(upgraded.activity_types(org).await.unwrap().len(), 9);
        assert_eq!(upgraded.note_settings(org).await.unwrap(), lantern_store::encounters::NoteSettings::default());
    }
    upgraded.close().await;
});

both!(admins_keep_payers_codes_and_activities, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    let page = admin.get("/admin/billing").await;
    assert_eq!(page.status, StatusCode::OK);
    let payers = app.store.payers(app.demo_org).await.unwrap();
    let p = &payers[0];
    // A cap that is not a number is refused by its field; nothing changes.
    let r = admin.post_form("/admin/billing", &[("what", "payer"), ("payer_id", &p.id.to_string()), ("name", &p.name), ("rule", "whole"), ("cap_person", "lots")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.payers(app.demo_org).await.unwrap()[0], *p);
    admin.get("/admin/billing").await;
    let r = admin.post_form("/admin/billing", &[("what", "payer"), ("payer_id", &p.id.to_string()), ("name", &p.name), ("rule", "cms_cumulative"), ("cap_person", "12"), ("cap_provider", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let changed = app.store.payers(app.demo_org).await.unwrap().into_iter().find(|x| x.id == p.id).unwrap();
    assert_eq!(changed.rule.code(), "cms_cumulative");
    assert_eq!(changed.cap_person_code_day, Some(12));
    assert_eq!(changed.cap_provider_day, None);
    // A new code shows up where notes are written; retiring it hides it again.
    admin.get("/admin/billing").await;
    let r = admin.post_form("/admin/billing", &[("what", "code"), ("code", "H2015"), ("modifiers", ""), ("description", "Community support, per 15 minutes"), ("unit_minutes", "15"), ("payer", &p.id.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let codes = app.store.service_codes(app.demo_org).await.unwrap();
    let new = codes.iter().find(|c| c.code == "H2015").expect("new code available for notes");
    admin.get("/admin/billing").await;
    admin.post_form("/admin/billing", &[("what", "code_active"), ("code_id", &new.id.to_string()), ("active", "0")]).await;
    assert!(!app.store.service_codes(app.demo_org).await.unwrap().iter().any(|c| c.code == "H2015"));
    // An activity with its competencies.
    admin.get("/admin/billing").await;
    let r = admin.post_form("/admin/billing", &[("what", "activity"), ("activity_name", "Walking group"), ("activity_code", "walking group"), ("competency", "4"), ("competency", "9")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let acts = app.store.activity_types(app.demo_org).await.unwrap();
    assert!(acts.iter().any(|a| a.code == "walking_group" && a.competencies == vec![4, 9]));
    assert!(app.store.count_audit(app.demo_org, "billing.payer_save", None, Some("ok")).await.unwrap() >= 1);
    // Specialists cannot change billing data.
    let mut s = app.login("specialist@demo").await;
    assert_eq!(s.get("/admin/billing").await.status, StatusCode::FORBIDDEN);
});

both!(the_person_page_pages_notes_and_keeps_drafts_with_their_author, async |app: &TestApp| {
    let person = app.person_only_on_specialist1().await;
    let date = yesterday(app).await;
    let mut s1 = signed_in(app, "specialist@demo").await;
    let note_links = |html: &str| -> Vec<i64> {
        let section = &html[html.find("id=\"notes-h\"").expect("the notes section")..];
        let section = &section[..section.find("</section>").unwrap()];
        section.match_indices("href=\"/notes/").map(|(i, _)| section[i + 13..].split('"').next().unwrap().parse().unwrap()).collect()
    };
    // The demo person's notes so far (fewer than a page).
    let before = note_links(&s1.get(&format!("/people/{person}")).await.text);
    assert!(before.len() < 10, "{before:?}");
    let mut signed = before.clone();
    for _ in 0..22 {
        signed.push(write_and_sign(app, &mut s1, person, &date).await);
    }
    let code = plain_code(app).await;
    let r = api(&mut s1, "POST", &format!("/api/v1/people/{person}/notes"), Some(full_note(&date, code)), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let draft = r.json()["id"].as_i64().unwrap();
    // The author sees 20 notes, their draft among them, and a link to older ones.
    let page1 = s1.get(&format!("/people/{person}")).await;
    assert_eq!(page1.status, StatusCode::OK);
    let first = note_links(&page1.text);
    assert_eq!(first.len(), 20, "{first:?}");
    assert!(first.contains(&draft), "the author sees their own draft");
    assert!(page1.text.contains(&format!("href=\"/people/{person}?notes=2#notes-h\"")), "a link to older notes");
    let page2 = s1.get(&format!("/people/{person}?notes=2")).await;
    let second = note_links(&page2.text);
    assert_eq!(second.len(), before.len() + 23 - 20, "{second:?}");
    assert!(page2.text.contains(&format!("href=\"/people/{person}#notes-h\"")), "a link back to the newest notes");
    let mut all: Vec<i64> = first.iter().chain(second.iter()).copied().collect();
    all.sort();
    let mut expected = signed.clone();
    expected.push(draft);
    expected.sort();
    assert_eq!(all, expected, "every note appears once across the pages");
    // Someone else who may read the notes sees only the signed ones: the draft stays its author's.
    let mut lead = signed_in(app, "supervisor@demo").await;
    let seen: Vec<i64> = {
        let a = note_links(&lead.get(&format!("/people/{person}")).await.text);
        let b = note_links(&lead.get(&format!("/people/{person}?notes=2")).await.text);
        a.into_iter().chain(b).collect()
    };
    assert!(signed[before.len()..].iter().all(|n| seen.contains(n)), "the lead sees every signed note: {seen:?}");
    assert!(!seen.contains(&draft));
    // Paging past the end or with nonsense shows no notes or the first page, never an error.
    assert_eq!(note_links(&s1.get(&format!("/people/{person}?notes=99")).await.text).len(), 0);
    assert_eq!(note_links(&s1.get(&format!("/people/{person}?notes=abc")).await.text).len(), 20);
});
