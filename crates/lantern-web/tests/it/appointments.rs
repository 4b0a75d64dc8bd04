use axum::http::StatusCode;
use lantern_domain::encounter::{Kind, Modality, Status};

use crate::both;
use crate::support::*;

async fn day(app: &TestApp, days: i64) -> String {
    app.store.today(app.demo_org).await.unwrap().checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

/// Plans a meeting through the form and returns its id (from the specialist's home page).
async fn plan(c: &mut Client, person: i64, date: &str, start: &str, end: &str) -> i64 {
    c.get(&format!("/people/{person}/appointments/new")).await;
    let r = c.post_form(&format!("/people/{person}/appointments"), &[("date", date), ("start", start), ("end", end), ("modality", "in_person"), ("place", "Riverside Library, room 2")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text.chars().take(1500).collect::<String>());
    assert_eq!(r.location(), format!("/people/{person}?saved=appointment"));
    let home = c.get("/caseload").await;
    let marker = "/appointments/";
    let ids: Vec<i64> = home.text.match_indices(marker).filter_map(|(i, _)| home.text[i + marker.len()..].split(".ics").next()?.parse().ok()).collect();
    *ids.iter().max().expect("the meeting is listed on the specialist's home page")
}

both!(planning_a_meeting_checks_fields_and_keeps_input, async |app: &TestApp| {
    let id = app.peer_person;
    let mut s1 = app.login("specialist@demo").await;
    let person = s1.get(&format!("/people/{id}")).await;
    assert!(person.text.contains(&format!("/people/{id}/appointments/new")) && person.text.contains("Plan our next meeting"));
    let form = s1.get(&format!("/people/{id}/appointments/new")).await;
    assert_eq!(form.status, StatusCode::OK);
    let tomorrow = day(app, 1).await;
    let r = s1.post_form(&format!("/people/{id}/appointments"), &[("date", &tomorrow), ("start", "11:00"), ("end", "10:00"), ("modality", "phone"), ("place", "Call her cell")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"a-end-err\""), "the error is shown by the end field");
    assert!(!r.text.contains("id=\"a-start-err\""));
    assert!(r.text.contains("value=\"Call her cell\"") && r.text.contains("value=\"11:00\""), "what was typed is kept");
    let yesterday = day(app, -1).await;
    let r = s1.post_form(&format!("/people/{id}/appointments"), &[("date", &yesterday), ("start", "10:00"), ("end", "11:00"), ("modality", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("id=\"a-date-err\"") && r.text.contains("id=\"a-modality-err\""));
    // The peer cannot plan meetings; nothing was saved.
    let mut peer = app.login("peer@demo").await;
    assert_eq!(peer.get(&format!("/people/{id}/appointments/new")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.count_audit(app.demo_org, "appointment.create", Some(id), Some("ok")).await.unwrap(), 0);
});

both!(meetings_show_to_their_specialist_and_their_peer_only, async |app: &TestApp| {
    let mut s1 = app.login("specialist@demo").await;
    let tomorrow = day(app, 1).await;
    let own = plan(&mut s1, app.peer_person, &tomorrow, "10:00", "11:00").await;
    let other_person = other_than_peer(app).await;
    let other = plan(&mut s1, other_person, &tomorrow, "13:00", "13:45").await;
    let home = s1.get("/caseload").await;
    // Not started yet: it can be cancelled, not marked.
    assert!(home.text.contains("Not yet") && home.text.contains(&format!("/appointments/{own}/cancel")));
    assert!(!home.text.contains(&format!("/appointments/{own}/done")));
    assert!(home.text.contains("Riverside Library, room 2"));
    assert!(home.text.contains(&format!("{tomorrow}, 10:00–11:00")));
    assert_eq!(app.store.count_audit(app.demo_org, "appointment.create", Some(app.peer_person), Some("ok")).await.unwrap(), 1);

    // The peer's portal shows their own next meeting and nobody else's.
    let mut peer = app.login("peer@demo").await;
    let me = peer.get("/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.text.contains("Our next meeting") && me.text.contains(&format!("/appointments/{own}.ics")) && me.text.contains("10:00–11:00"));
    assert!(!me.text.contains(&format!("/appointments/{other}.ics")));
    assert_eq!(peer.get(&format!("/appointments/{own}.ics")).await.status, StatusCode::OK);
    assert_eq!(peer.get(&format!("/appointments/{other}.ics")).await.status, StatusCode::NOT_FOUND);

    // Another specialist sees neither the meeting nor its calendar file, and cannot act on it.
    let mut s2 = app.login("specialist2@demo").await;
    assert!(!s2.get("/caseload").await.text.contains(&format!("/appointments/{other}")));
    assert_eq!(s2.get(&format!("/appointments/{other}.ics")).await.status, StatusCode::NOT_FOUND);
    s2.get("/account").await;
    assert_eq!(s2.post_form(&format!("/appointments/{other}/done"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s2.post_form(&format!("/appointments/{other}/no-show"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s1.get(&format!("/appointments/{other}")).await.status, StatusCode::NOT_FOUND, "only the .ics form is served");
    assert!(app.verify_audit().await.is_ok());
});

/// Someone on specialist@demo's caseload, not the peer, whom specialist2 cannot see.
async fn other_than_peer(app: &TestApp) -> i64 {
    let s1 = app.user_id("specialist@demo").await;
    let s2 = app.user_id("specialist2@demo").await;
    let actor = lantern_domain::policy::Actor {
        user_id: lantern_domain::UserId(s2),
        org_id: lantern_domain::OrgId(app.demo_org),
        roles: lantern_domain::Roles::empty().with(lantern_domain::Role::Specialist),
        person_id: None,
    };
    for id in 1..500 {
        let Ok(p) = app.store.person(app.demo_org, id).await else { continue };
        if id != app.peer_person && p.primary_specialist_id == Some(s1) {
            let f = app.store.person_facts(&actor, id).await.unwrap();
            if !f.on_care_team && !f.is_primary {
                return id;
            }
        }
    }
    panic!("no such person");
}

fn unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(String::from).collect()
}

both!(calendar_files_are_valid_and_discreet, async |app: &TestApp| {
    let mut s1 = app.login("specialist@demo").await;
    let tomorrow = day(app, 1).await;
    let id = plan(&mut s1, app.peer_person, &tomorrow, "10:00", "11:30").await;
    let a = app.store.appointment(app.demo_org, id).await.unwrap();
    let r = s1.get(&format!("/appointments/{id}.ics")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/calendar"));
    assert!(r.text.ends_with("\r\n") && !r.text.replace("\r\n", "").contains('\n'), "CRLF line endings only");
    assert!(r.text.split("\r\n").all(|l| l.len() <= 75), "lines folded at 75 octets");
    let lines = unfold(&r.text);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    for must in ["VERSION:2.0", "BEGIN:VEVENT", "END:VEVENT"] {
        assert!(lines.iter().any(|l| l == must), "{must}");
    }
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")));
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 1);
    let get = |k: &str| lines.iter().find_map(|l| l.strip_prefix(&format!("{k}:")).map(String::from)).unwrap_or_else(|| panic!("{k} missing"));
    assert!(get("UID").starts_with(&format!("appointment-{id}@")));
    let utc = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().strftime("%Y%m%dT%H%M%SZ").to_string();
    assert_eq!(get("DTSTART"), utc(a.starts_ms));
    assert_eq!(get("DTEND"), utc(a.ends_ms));
    assert_eq!(a.ends_ms - a.starts_ms, 90 * 60_000);
    assert!(get("DTSTAMP").ends_with('Z') && get("DTSTAMP").len() == 16);
    let summary = get("SUMMARY");
    assert!(!summary.contains(&a.legal_name), "the full legal name never goes into a calendar: {summary}");
    assert!(get("LOCATION").contains("Riverside Library\\, room 2"), "commas are escaped");
    // The specialist's feed carries their upcoming meetings.
    let feed = s1.get("/calendar.ics").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.header("content-type").starts_with("text/calendar"));
    assert!(unfold(&feed.text).iter().any(|l| *l == format!("UID:{}", get("UID"))));
    let mut s2 = app.login("specialist2@demo").await;
    assert!(!s2.get("/calendar.ics").await.text.contains(&get("UID")));
    app.store.flush_audit().await.unwrap();
    assert_eq!(app.store.count_audit(app.demo_org, "appointment.ics", Some(app.peer_person), Some("ok")).await.unwrap(), 1);
});

both!(it_happened_opens_a_linked_draft_and_no_show_an_attempted_contact, async |app: &TestApp| {
    let mut s1 = app.login("specialist@demo").await;
    let today = day(app, 0).await;
    let person = app.peer_person;
    let met = plan(&mut s1, person, &day(app, 3).await, "09:00", "10:15").await;
    let missed = plan(&mut s1, person, &today, "23:00", "23:30").await;
    // Before it starts it cannot be marked (a note is never dated in the future).
    assert_eq!(s1.post_form(&format!("/appointments/{met}/done"), &[]).await.status, StatusCode::CONFLICT);
    // Four days later both have started; the buttons are there.
    app.clock.advance_ms(4 * 24 * 3_600_000);
    let mut s1 = app.login("specialist@demo").await;
    let home = s1.get("/caseload").await;
    assert!(home.text.contains("It happened — write the note") && home.text.contains("They did not come"));
    assert!(home.text.contains(&format!("/appointments/{met}/done")) && home.text.contains(&format!("/appointments/{missed}/no-show")));
    let r = s1.post_form(&format!("/appointments/{met}/done"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.location();
    assert!(to.starts_with("/notes/"), "{to}");
    let note_id: i64 = to.trim_start_matches("/notes/").parse().unwrap();
    let a = app.store.appointment(app.demo_org, met).await.unwrap();
    assert_eq!(a.status, lantern_domain::appointment::Status::Done);
    assert_eq!(a.encounter_id, Some(note_id));
    let n = app.store.note(app.demo_org, note_id).await.unwrap();
    assert_eq!(n.status, Status::Draft);
    assert_eq!(n.person_id, person);
    assert_eq!(n.content.kind, Kind::Individual);
    assert_eq!(n.content.modality, Some(Modality::InPerson));
    assert_eq!(n.content.minutes, Some(75));
    assert_eq!((n.content.start_ms, n.content.end_ms), (Some(a.starts_ms), Some(a.ends_ms)));
    assert_eq!(s1.get(&to).await.status, StatusCode::OK, "the draft opens");
    // Marking it again is refused.
    assert_eq!(s1.post_form(&format!("/appointments/{met}/done"), &[]).await.status, StatusCode::CONFLICT);
    assert!(!s1.get("/caseload").await.text.contains(&format!("/appointments/{met}/done")));

    let r = s1.post_form(&format!("/appointments/{missed}/no-show"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let nid: i64 = r.location().trim_start_matches("/notes/").parse().unwrap();
    let n = app.store.note(app.demo_org, nid).await.unwrap();
    assert_eq!(n.content.kind, Kind::AttemptedContact);
    assert_eq!(n.status, Status::Draft);
    let a = app.store.appointment(app.demo_org, missed).await.unwrap();
    assert_eq!((a.status, a.encounter_id), (lantern_domain::appointment::Status::NoShow, Some(nid)));
    assert_eq!(app.store.count_audit(app.demo_org, "appointment.done", Some(person), Some("ok")).await.unwrap(), 1);
    assert_eq!(app.store.count_audit(app.demo_org, "appointment.no_show", Some(person), Some("ok")).await.unwrap(), 1);
    // A meeting called off is cancelled without a note, and leaves the lists.
    let off = plan(&mut s1, person, &day(app, 5).await, "15:00", "16:00").await;
    let page = s1.get(&format!("/people/{person}")).await;
    assert!(page.text.contains("Our next meeting") && page.text.contains(&format!("/appointments/{off}.ics")), "the person page shows the next meeting");
    let r = s1.post_form(&format!("/appointments/{off}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let home = s1.get(&r.location()).await;
    assert!(home.text.contains("The meeting was cancelled.") && !home.text.contains(&format!("/appointments/{off}.ics")));
    let a = app.store.appointment(app.demo_org, off).await.unwrap();
    assert_eq!((a.status, a.encounter_id), (lantern_domain::appointment::Status::Cancelled, None));
    assert_eq!(app.store.count_audit(app.demo_org, "appointment.cancelled", Some(person), Some("ok")).await.unwrap(), 1);
    // Nothing left planned: the portal says so.
    let mut peer = app.login("peer@demo").await;
    assert!(peer.get("/me").await.text.contains("No meeting is planned yet"));
    assert!(app.verify_audit().await.is_ok());
});
