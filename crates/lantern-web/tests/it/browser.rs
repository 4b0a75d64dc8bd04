//! Key flows in headless Chromium, keyboard only, each page checked with
//! axe-core for serious or critical WCAG violations (tools in `browser_kit`).

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::Locator;

use crate::browser_kit::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specialist_keyboard_flow_in_chromium() {
    let app = TestApp::new(Backend::Sqlite).await;
    let browser = Browser::start(&app).await;
    let (c, base, axe) = (&browser.c, browser.base.clone(), browser.axe.clone());

    // Sign in with the keyboard.
    c.goto(&format!("{base}/login")).await.unwrap();
    axe_clean(&c, &axe, "/login").await;
    sign_in(&c, "specialist@demo").await;
    wait_for_path(&c, "/caseload").await;
    axe_clean(&c, &axe, "/caseload").await;

    // Open a person from the caseload.
    let person = app.peer_person;
    tab_to(&c, &format!("a[href='/people/{person}']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}")).await;
    axe_clean(&c, &axe, "/people/{id}").await;
    let body = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(body.contains("Strengths"));

    // Edit preferences: one validation error on the way.
    tab_to(&c, &format!("a[href='/people/{person}/edit']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}/edit")).await;
    axe_clean(&c, &axe, "/people/{id}/edit").await;
    // The language assistant suggests wording as you type; apply one with the keyboard.
    tab_to(&c, "#f-strengths").await;
    type_here(&c, " Proud that he is an addict in recovery no more.").await;
    let mut suggestion = None;
    for _ in 0..50 {
        if let Ok(b) = c.find(Locator::Css("#f-strengths-lang button.secondary")).await {
            suggestion = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    suggestion.expect("a wording suggestion appears as you type");
    axe_clean(&c, &axe, "/people/{id}/edit with suggestions").await;
    tab_to(&c, "#f-strengths-lang button.secondary").await;
    press_enter(&c).await;
    let mut applied = String::new();
    for _ in 0..30 {
        applied = c.find(Locator::Css("#f-strengths")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
        if !applied.contains("an addict") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!applied.contains("an addict") && applied.contains("substance use disorder"), "suggestion applied: {applied}");
    tab_to(&c, "#f-email").await;
    type_here(&c, "not-an-email").await;
    press_enter(&c).await;
    for _ in 0..50 {
        if c.find(Locator::Css("#f-email-err")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let err = c.find(Locator::Css("#f-email-err")).await.expect("the error shows next to the e-mail field");
    assert!(err.text().await.unwrap().contains("e-mail address"));
    let kept = c.find(Locator::Css("#f-email")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(kept, "not-an-email", "what the user typed is kept");
    axe_clean(&c, &axe, "/people/{id}/edit with errors").await;
    tab_to(&c, "#f-email").await;
    type_here(&c, &format!("{}a{}", Key::Control, Key::Null)).await;
    type_here(&c, "jo@example.org").await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}")).await;
    let body = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(body.contains("Saved"), "{body}");
    assert_eq!(app.store.person(app.demo_org, person).await.unwrap().profile.email, "jo@example.org");

    // Write a note with the keyboard: signing without "what we did" shows the error by the field.
    tab_to(&c, &format!("a[href='/people/{person}/notes/new']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}/notes/new")).await;
    axe_clean(&c, &axe, "/people/{id}/notes/new").await;
    tab_to(&c, "#f-setting").await;
    type_here(&c, "Recovery center").await;
    tab_to(&c, "button[value='sign']").await;
    press_enter(&c).await;
    for _ in 0..50 {
        if c.find(Locator::Css("#f-what_we_did-err")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.find(Locator::Css("#f-what_we_did-err")).await.expect("the missing section is named next to its field");
    let kept = c.find(Locator::Css("#f-setting")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(kept, "Recovery center", "what the user typed is kept");
    axe_clean(&c, &axe, "note form with errors").await;
    tab_to(&c, "#f-what_we_did").await;
    type_here(&c, "Walked to the library and talked about the week").await;
    tab_to(&c, "button[value='sign']").await;
    press_enter(&c).await;
    let path = wait_for_path(&c, "/notes/").await;
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains("signed=1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    axe_clean(&c, &axe, "/notes/{id} signed").await;
    let body = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(body.contains("Note signed"), "{body}");
    let note_id: i64 = path.trim_start_matches("/notes/").parse().unwrap();
    assert!(app.store.note(app.demo_org, note_id).await.unwrap().status.is_signed());
    // An addendum, with the keyboard.
    tab_to(&c, "#f-addendum").await;
    type_here(&c, "They called later to say the library card came through.").await;
    tab_to(&c, "form[action$='/addenda'] button").await;
    press_enter(&c).await;
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains("saved=addendum") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.store.addenda(note_id).await.unwrap().len(), 1);
    axe_clean(&c, &axe, "/notes/{id} with an addendum").await;
    c.goto(&format!("{base}/group-notes/new")).await.unwrap();
    axe_clean(&c, &axe, "/group-notes/new").await;

    // Plan a meeting: a missing time is named by its field; the home page lists planned meetings.
    c.goto(&format!("{base}/people/{person}/appointments/new")).await.unwrap();
    axe_clean(&c, &axe, "/people/{id}/appointments/new").await;
    tab_to(&c, "form[action$='/appointments'] button[type='submit']").await;
    press_enter(&c).await;
    for _ in 0..50 {
        if c.find(Locator::Css("#a-start-err")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    c.find(Locator::Css("#a-start-err")).await.expect("the missing time is named next to its field");
    axe_clean(&c, &axe, "appointment form with errors").await;
    let org = app.store.org(app.demo_org).await.unwrap();
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap();
    let now = jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap();
    let tomorrow = app.store.today(app.demo_org).await.unwrap().checked_add(jiff::Span::new().days(1)).unwrap().to_string();
    let input = lantern_domain::appointment::AppointmentInput { date: tomorrow, start: "10:00".into(), end: "11:00".into(), modality: "video".into(), place: String::new() };
    let planned = lantern_domain::appointment::parse_appointment(&input, &tz, now).unwrap();
    let specialist = app.user_id("specialist@demo").await;
    app.store.create_appointment(app.demo_org, person, specialist, &planned, &Default::default()).await.unwrap();
    c.goto(&format!("{base}/caseload")).await.unwrap();
    axe_clean(&c, &axe, "/caseload with planned meetings").await;

    // Sign out.
    tab_to(&c, "header form button").await;
    press_enter(&c).await;
    wait_for_path(&c, "/login").await;
    axe_clean(&c, &axe, "/login after sign-out").await;
    c.goto(&format!("{base}/caseload")).await.unwrap();
    wait_for_path(&c, "/login").await;

    // The peer's portal is clean too.
    c.goto(&format!("{base}/login")).await.unwrap();
    sign_in(&c, "peer@demo").await;
    wait_for_path(&c, "/me").await;
    axe_clean(&c, &axe, "/me").await;
    tab_to(&c, "header form button").await;
    press_enter(&c).await;
    wait_for_path(&c, "/login").await;

    // The supervisor co-signs from the queue, with the keyboard; the queue and the units report are clean.
    sign_in(&c, "supervisor@demo").await;
    wait_for_path(&c, "/caseload").await;
    c.goto(&format!("{base}/cosign")).await.unwrap();
    axe_clean(&c, &axe, "/cosign").await;
    tab_to(&c, &format!("form[action='/notes/{note_id}/cosign'] button")).await;
    press_enter(&c).await;
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains("done=1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.store.note(app.demo_org, note_id).await.unwrap().status.code(), "cosigned");
    c.goto(&format!("{base}/reports/units?from=2000-01-01")).await.unwrap();
    axe_clean(&c, &axe, "/reports/units").await;

    // The supervisor finds a resource: plain words with a typo, the keyboard only.
    let dir = lantern_search::synth::hsds_directory(30, 3);
    app.store.directory_import(&dir, "test", "synthetic", 0, None, &lantern_store::users::Who::default(), &mut |_, _| {}).await.unwrap();
    c.goto(&format!("{base}/directory")).await.unwrap();
    axe_clean(&c, &axe, "/directory").await;
    tab_to(&c, "#d-q").await;
    type_here(&c, "fod pantry").await;
    press_enter(&c).await;
    wait_for_path(&c, "/directory").await;
    let mut found = String::new();
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Css("ol.results li h3 a")).await {
            found = e.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found.contains("Food Pantry"), "first result: {found:?}");
    axe_clean(&c, &axe, "/directory with results").await;
    tab_to(&c, "ol.results li h3 a").await;
    press_enter(&c).await;
    wait_for_path(&c, "/directory/services/").await;
    axe_clean(&c, &axe, "/directory/services/{id}").await;

    // Sign out; the person signs in and writes their safety plan in the portal, then opens the pocket card.
    tab_to(&c, "form[action='/logout'] button").await;
    press_enter(&c).await;
    wait_for_path(&c, "/login").await;
    sign_in(&c, "peer@demo").await;
    wait_for_path(&c, "/me").await;
    tab_to(&c, &format!("a[href='/people/{person}/safety-plan']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}/safety-plan")).await;
    axe_clean(&c, &axe, "/people/{id}/safety-plan (empty)").await;
    tab_to(&c, &format!("a[href='/people/{person}/safety-plan/edit']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}/safety-plan/edit")).await;
    axe_clean(&c, &axe, "/people/{id}/safety-plan/edit").await;
    tab_to(&c, "#s-warning_signs").await;
    type_here(&c, "I stop answering my phone.").await;
    tab_to(&c, "#s-ask_name_0").await;
    type_here(&c, "Rosa").await;
    tab_to(&c, "#s-ask_phone_0").await;
    type_here(&c, "305-555-0134").await;
    press_enter(&c).await;
    let mut saved = false;
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains("saved=1") {
            saved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved, "the plan was saved");
    let body = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(body.contains("I stop answering my phone.") && body.contains("988"), "{body}");
    axe_clean(&c, &axe, "/people/{id}/safety-plan").await;
    tab_to(&c, &format!("a[href='/people/{person}/safety-plan/card']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &format!("/people/{person}/safety-plan/card")).await;
    axe_clean(&c, &axe, "/people/{id}/safety-plan/card").await;

    browser.close().await;
    app.close().await;
}
