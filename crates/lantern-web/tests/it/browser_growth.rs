//! Browser test for supervision (keyboard only, every page axe-clean): the
//! supervisor opens a session from the proposed agenda, adds a reflection and
//! signs; the specialist signs in, signs too, and the session is locked.
//! Tools (start, keyboard, axe-core) come from `browser_kit`.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser_kit::*;
use crate::support::*;

async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

async fn wait_for_text(c: &Client, text: &str) -> String {
    let mut body = String::new();
    for _ in 0..50 {
        body = main_text(c).await;
        if body.contains(text) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {text:?} on the page: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervision_session_is_opened_and_signed_by_both_by_keyboard() {
    let app = TestApp::new(Backend::Sqlite).await;
    let s1 = app.user_id("specialist@demo").await;
    let browser = Browser::start(&app).await;
    let (c, base, axe) = (&browser.c, browser.base.clone(), browser.axe.clone());

    // The supervisor opens a session for Robin from "My growth" → Supervision.
    c.goto(&format!("{base}/login")).await.unwrap();
    sign_in(&c, "supervisor@demo").await;
    wait_for_path(&c, "/caseload").await;
    tab_to(&c, "nav a[href='/growth']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/growth").await;
    axe_clean(&c, &axe, "/growth (supervisor)").await;
    tab_to(&c, "main a[href='/supervision']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/supervision").await;
    axe_clean(&c, &axe, "/supervision").await;
    tab_to(&c, &format!("#s-p-{s1}")).await;
    type_here(&c, " ").await;
    tab_to(&c, "form[action='/supervision'] button[type='submit']").await;
    press_enter(&c).await;
    let path = {
        let mut p = String::new();
        for _ in 0..50 {
            p = c.current_url().await.unwrap().path().to_string();
            if p.starts_with("/supervision/") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        p
    };
    assert!(path.starts_with("/supervision/"), "the session opened: {path}");
    let body = wait_for_text(&c, "Agenda").await;
    assert!(body.contains("Boundary question") && body.contains("Growth goal"), "the proposed agenda: {body}");
    axe_clean(&c, &axe, "/supervision/{id}").await;
    // A reflection, then the supervisor signs.
    tab_to(&c, "#i-body").await;
    type_here(&c, "We talked about meeting people at our own recovery meetings.").await;
    tab_to(&c, "form[action$='/items'] button[type='submit']").await;
    press_enter(&c).await;
    wait_for_text(&c, "Added to the session.").await;
    axe_clean(&c, &axe, "/supervision/{id} after adding").await;
    tab_to(&c, "form[action$='/sign'] button[type='submit']").await;
    press_enter(&c).await;
    let body = wait_for_text(&c, "Your signature is saved.").await;
    assert!(body.contains("Still to sign: Robin Specialist"), "{body}");

    // Robin signs in, finds the session, and signs: it is locked.
    tab_to(&c, "form[action='/logout'] button").await;
    press_enter(&c).await;
    wait_for_path(&c, "/login").await;
    sign_in(&c, "specialist@demo").await;
    wait_for_path(&c, "/caseload").await;
    tab_to(&c, "nav a[href='/growth']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/growth").await;
    axe_clean(&c, &axe, "/growth (specialist)").await;
    tab_to(&c, "main a[href='/supervision']").await;
    press_enter(&c).await;
    wait_for_path(&c, "/supervision").await;
    tab_to(&c, &format!("a[href='{path}']")).await;
    press_enter(&c).await;
    wait_for_path(&c, &path).await;
    wait_for_text(&c, "We talked about meeting people").await;
    tab_to(&c, "form[action$='/sign'] button[type='submit']").await;
    press_enter(&c).await;
    let body = wait_for_text(&c, "this session is locked").await;
    assert!(body.contains("Sam Supervisor") && body.contains("Robin Specialist"), "{body}");
    axe_clean(&c, &axe, "/supervision/{id} locked").await;
    // Robin's self-care check-in page is reachable and clean too.
    c.goto(&format!("{base}/growth/self-care")).await.unwrap();
    axe_clean(&c, &axe, "/growth/self-care").await;

    browser.close().await;
    app.close().await;
}
