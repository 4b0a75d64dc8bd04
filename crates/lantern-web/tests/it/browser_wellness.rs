//! The person's own plans in headless Chromium, keyboard only, every page
//! axe-clean: peer@demo opens their wellness and action plan in the portal,
//! writes two sections and saves, adds a copy of their signed advance
//! directive (a file refused at the field, then a good one), then opens the
//! rights pages.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::browser_kit::*;
use crate::support::*;

/// Presses Tab on the keyboard itself. (Keys sent to a file field's element
/// are read as file names, so `tab_to` cannot leave one.)
async fn press_tab(c: &Client) {
    let k: char = Key::Tab.into();
    let keys = KeyActions::new("keyboard".into()).then(KeyAction::Down { value: k }).then(KeyAction::Up { value: k });
    c.perform_actions(keys).await.unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_writes_their_wellness_plan_and_reads_their_rights_in_chromium() {
    let app = TestApp::new(Backend::Sqlite).await;
    let id = app.peer_person;
    let b = Browser::start(&app).await;
    let c = &b.c;
    b.visit_clean("/login").await;
    sign_in(c, "peer@demo").await;
    wait_for_path(c, "/me").await;
    axe_clean(c, &b.axe, "/me").await;

    // From the portal to the wellness plan, then to its form.
    tab_to(c, &format!("a[href='/people/{id}/wellness-plan']")).await;
    press_enter(c).await;
    wait_for_path(c, &format!("/people/{id}/wellness-plan")).await;
    axe_clean(c, &b.axe, "wellness plan").await;
    tab_to(c, &format!("a[href='/people/{id}/wellness-plan/edit']")).await;
    press_enter(c).await;
    wait_for_path(c, &format!("/people/{id}/wellness-plan/edit")).await;
    axe_clean(c, &b.axe, "wellness plan form").await;

    // Two sections in the person's words, then save with the keyboard.
    tab_to(c, "#p-breaking_down").await;
    type_here(c, "I stay in bed all day and stop eating.").await;
    tab_to(c, "#p-breaking_down_plan").await;
    type_here(c, "Call Rosa and Robin the same day; go to the drop-in center.").await;
    tab_to(c, &format!("form[action='/people/{id}/wellness-plan'] button[type=submit]")).await;
    press_enter(c).await;
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains("saved=1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = main_text(c).await;
    assert!(text.contains("Call Rosa and Robin the same day") && text.contains("I stay in bed all day"), "{text}");
    axe_clean(c, &b.axe, "saved wellness plan").await;
    let saved = app.store.person_plan(app.demo_org, id, lantern_domain::wellness::PlanKind::Wellness, None).await.unwrap().unwrap();
    assert_eq!(saved.plan.get("breaking_down"), "I stay in bed all day and stop eating.");

    // The advance directive record: the note that it is not itself a legal
    // document, then the signed copy, chosen from the keyboard.
    tab_to(c, "a[href='/me']").await;
    press_enter(c).await;
    wait_for_path(c, "/me").await;
    axe_rules_clean(c, &b.axe, &["landmark-unique", "landmark-one-main"], "/me").await;
    tab_to(c, &format!("a[href='/people/{id}/advance-directive']")).await;
    press_enter(c).await;
    wait_for_path(c, &format!("/people/{id}/advance-directive")).await;
    axe_clean(c, &b.axe, "advance directive record").await;
    axe_rules_clean(c, &b.axe, &["landmark-unique", "landmark-one-main"], "advance directive record").await;
    let text = main_text(c).await;
    assert!(text.contains("It is not itself a legal document"), "{text}");
    let dir = std::env::temp_dir().join(format!("lantern-pad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wrong = dir.join("directive.pdf");
    std::fs::write(&wrong, b"just text, not a PDF").unwrap();
    let good = dir.join("signed-directive.pdf");
    std::fs::write(&good, b"%PDF-1.4\n% synthetic signed copy\n").unwrap();
    let before = app.store.pad_document_count(app.demo_org, id).await.unwrap();
    tab_to(c, "#p-document").await;
    type_here(c, wrong.to_str().unwrap()).await;
    press_tab(c).await;
    tab_to(c, "form[action$='/advance-directive/document'] button[type=submit]").await;
    press_enter(c).await;
    for _ in 0..50 {
        if c.find(Locator::Css("#p-document-err")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let err = c.find(Locator::Css("#p-document-err")).await.expect("the error is shown at the field").text().await.unwrap();
    assert!(err.contains("not a PDF, PNG or JPEG"), "{err}");
    axe_clean(c, &b.axe, "advance directive record (upload refused)").await;
    assert_eq!(app.store.pad_document_count(app.demo_org, id).await.unwrap(), before, "nothing saved");
    tab_to(c, "#p-document").await;
    type_here(c, good.to_str().unwrap()).await;
    press_tab(c).await;
    tab_to(c, "form[action$='/advance-directive/document'] button[type=submit]").await;
    press_enter(c).await;
    for _ in 0..50 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains("saved=document") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(main_text(c).await.contains("signed-directive.pdf"));
    axe_clean(c, &b.axe, "advance directive record (copy added)").await;
    assert_eq!(app.store.pad_document_count(app.demo_org, id).await.unwrap(), before + 1);
    let _ = std::fs::remove_dir_all(&dir);

    // Back to the portal, then the rights pages.
    tab_to(c, "a[href='/me']").await;
    press_enter(c).await;
    wait_for_path(c, "/me").await;
    tab_to(c, "main a[href='/rights']").await;
    press_enter(c).await;
    wait_for_path(c, "/rights").await;
    axe_clean(c, &b.axe, "/rights").await;
    tab_to(c, "a[href='/rights/ada']").await;
    press_enter(c).await;
    wait_for_path(c, "/rights/ada").await;
    let text = main_text(c).await;
    assert!(text.contains("reasonable accommodation") && text.contains("Where to learn more"), "{text}");
    axe_clean(c, &b.axe, "/rights/ada").await;
    b.close().await;
    app.close().await;
}
