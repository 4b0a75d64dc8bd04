//! Issue 7's key flow in headless Chromium, keyboard only, every page
//! axe-clean: a specialist searches the directory, opens a service, refers a
//! person there — refused until the person's consent is on record, then sent
//! — and closes the loop with an outcome.

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser_kit::*;
use crate::support::*;

/// Waits until the current URL's query contains `marker`.
async fn wait_for_query(c: &Client, marker: &str) {
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains(marker) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {marker:?} in the address, at {}", c.current_url().await.unwrap());
}

/// The text of `main`, once the page has it.
async fn main_text(c: &Client) -> String {
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Css("main")).await {
            if let Ok(t) = e.text().await {
                return t;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no <main> on {}", c.current_url().await.unwrap());
}

/// A value of a form control, read the way a screen reader would find it.
async fn value_of(c: &Client, css: &str) -> String {
    c.execute("return document.querySelector(arguments[0]).value;", vec![json!(css)]).await.unwrap().as_str().unwrap_or("").to_string()
}

/// Fills in the referral form (it comes pre-filled with the service) and sends it.
async fn fill_referral(c: &Client) {
    tab_to(c, "#r-person_choice").await;
    type_here(c, "Close to my bus line, and they speak Spanish").await;
    tab_to(c, "#r-reason").await;
    type_here(c, "Groceries for the week").await;
    tab_to(c, "#rs-referral_reason").await;
    type_here(c, " ").await; // Space ticks the box
    tab_to(c, "form[action$='/referrals'] button[type=submit]").await;
    press_enter(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refer_with_consent_and_close_the_loop_in_chromium() {
    let app = TestApp::new(Backend::Sqlite).await;
    let dir = lantern_search::synth::hsds_directory(30, 3);
    app.store.directory_import(&dir, "test", "synthetic", 0, None, &lantern_store::users::Who::default(), &mut |_, _| {}).await.unwrap();
    let browser = Browser::start(&app).await;
    let c = &browser.c;
    let person = app.peer_person;
    let person_name = app.store.person(app.demo_org, person).await.unwrap().profile.preferred_name;

    browser.visit_clean("/login").await;
    sign_in(c, "specialist@demo").await;
    wait_for_path(c, "/caseload").await;

    // Search, with the keyboard, and open the first result.
    browser.visit_clean("/directory").await;
    tab_to(c, "#d-q").await;
    type_here(c, "food pantry").await;
    press_enter(c).await;
    wait_for_query(c, "q=").await;
    tab_to(c, "ol.results li h3 a").await;
    press_enter(c).await;
    let service_path = wait_for_path(c, "/directory/services/").await;
    axe_clean(c, &browser.axe, "/directory/services/{id}").await;

    // "Refer someone here": choose the person (type-ahead in the list) and go on.
    tab_to(c, "#r-person").await;
    type_here(c, &person_name).await;
    assert_eq!(value_of(c, "#r-person").await, person.to_string(), "the person is chosen");
    tab_to(c, "form[action$='/refer'] button").await;
    press_enter(c).await;
    wait_for_path(c, &format!("/people/{person}/referrals/new")).await;
    axe_clean(c, &browser.axe, "/people/{id}/referrals/new").await;
    let service_id = service_path.trim_start_matches("/directory/services/").to_string();
    let snapshot = app.store.referral_service_snapshot(app.demo_org, &service_id).await.unwrap().expect("a directory service");
    let program = snapshot.organization_name.clone();
    let shown = c.find(Locator::Css("#r-service")).await.unwrap().text().await.unwrap();
    assert!(shown.contains(&snapshot.service_name) && shown.contains(&program), "the form shows the chosen service: {shown}");

    // Without the person's consent nothing is sent, and the page says why and where to go.
    fill_referral(c).await;
    let text = main_text(c).await;
    assert!(text.contains(&format!("There is no consent on record for sharing with {program}. Nothing was shared.")), "{text}");
    axe_clean(c, &browser.axe, "/people/{id}/referrals (refused)").await;
    assert!(app.store.referrals_for_person(app.demo_org, person).await.unwrap().is_empty(), "nothing was saved");

    // Record the consent the person gives, from the link on the refusal.
    tab_to(c, "a[href$='#consent-new-h']").await;
    press_enter(c).await;
    wait_for_path(c, &format!("/people/{person}/referrals")).await;
    axe_clean(c, &browser.axe, "/people/{id}/referrals").await;
    assert_eq!(value_of(c, "#k-recipient_name").await, program, "the consent form names the program already");
    assert_eq!(c.execute("return document.getElementById('kp-referral').checked;", vec![]).await.unwrap(), json!(true), "referral is the purpose already");
    tab_to(c, "#kk-referral_reason").await;
    type_here(c, " ").await;
    let expires = lantern_store::people::today_in("America/New_York", app.clock.now_ms_pub()).checked_add(jiff::Span::new().days(90)).unwrap();
    tab_to(c, "#k-expires_on").await;
    // A date field takes the digits of month, day and year (Chromium's en-US order).
    type_here(c, &format!("{:02}{:02}{}", expires.month(), expires.day(), expires.year())).await;
    assert_eq!(value_of(c, "#k-expires_on").await, expires.to_string());
    tab_to(c, "#k-signature").await;
    type_here(c, &person_name).await;
    press_enter(c).await;
    wait_for_query(c, "saved=consent").await;
    axe_clean(c, &browser.axe, "/people/{id}/referrals (consent saved)").await;

    // Back to the service, and the referral goes this time.
    c.goto(&format!("{}{service_path}", browser.base)).await.unwrap();
    tab_to(c, "#r-person").await;
    type_here(c, &person_name).await;
    tab_to(c, "form[action$='/refer'] button").await;
    press_enter(c).await;
    wait_for_path(c, &format!("/people/{person}/referrals/new")).await;
    fill_referral(c).await;
    let path = wait_for_path(c, "/referrals/").await;
    let rid: i64 = path.trim_start_matches("/referrals/").parse().expect("at the new referral's page");
    axe_clean(c, &browser.axe, "/referrals/{id}").await;
    let sent = main_text(c).await;
    assert!(sent.contains(&program) && sent.contains("Groceries for the week"), "{sent}");

    // The program (not on Lantern) said yes on the phone: the specialist records it.
    tab_to(c, "#m-to").await;
    type_here(c, "Accepted").await;
    assert_eq!(value_of(c, "#m-to").await, "accepted");
    tab_to(c, "form[action$='/status'] button[type=submit]").await;
    press_enter(c).await;
    wait_for_query(c, "saved=").await;

    // A week later: the person got what they went for. Closing needs an outcome and a reason.
    tab_to(c, "#m-to").await;
    type_here(c, "Completed").await;
    tab_to(c, "form[action$='/status'] button[type=submit]").await;
    press_enter(c).await;
    let text = main_text(c).await;
    assert!(text.contains("Please check these and try again"), "closing without an outcome is refused: {text}");
    axe_clean(c, &browser.axe, "/referrals/{id} (missing outcome)").await;
    tab_to(c, "#m-to").await;
    type_here(c, "Completed").await;
    tab_to(c, "#m-outcome").await;
    type_here(c, "Got the service").await;
    assert_eq!(value_of(c, "#m-outcome").await, "service_provided");
    tab_to(c, "#m-reason").await;
    type_here(c, "Picked up groceries on Tuesday and plans to go back").await;
    tab_to(c, "form[action$='/status'] button[type=submit]").await;
    press_enter(c).await;
    wait_for_query(c, "saved=").await;
    axe_clean(c, &browser.axe, "/referrals/{id} (closed)").await;

    let r = app.store.referral(rid).await.unwrap();
    assert_eq!(r.status.code(), "completed");
    assert_eq!(r.outcome_reason, "Picked up groceries on Tuesday and plans to go back");
    browser.close().await;
    app.close().await;
}
