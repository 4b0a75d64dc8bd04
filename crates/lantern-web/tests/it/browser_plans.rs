//! Issue 8's recovery-plan flow in headless Chromium, keyboard only, every
//! page axe-clean: the specialist co-writes the plan (nothing agreed yet),
//! the person signs in, reads it in their portal, comments and agrees; then
//! the specialist sees the agreed version.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser_kit::*;
use crate::support::*;

async fn wait_for_query(c: &Client, marker: &str) {
    for _ in 0..80 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains(marker) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {marker:?} in the address, at {}", c.current_url().await.unwrap());
}

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

async fn sign_out(c: &Client) {
    tab_to(c, "form[action='/logout'] button").await;
    press_enter(c).await;
    wait_for_path(c, "/login").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn co_write_and_agree_a_recovery_plan_in_chromium() {
    let app = TestApp::new(Backend::Sqlite).await;
    let browser = Browser::start(&app).await;
    let c = &browser.c;
    let id = app.peer_person;
    let plan = format!("/people/{id}/recovery-plan");

    // The specialist opens the plan and keeps writing the draft with the person.
    browser.visit_clean("/login").await;
    sign_in(c, "specialist@demo").await;
    wait_for_path(c, "/caseload").await;
    axe_clean(c, &browser.axe, "/caseload (plan reviews due)").await;
    browser.visit_clean(&plan).await;
    tab_to(c, "a[href$='/recovery-plan/edit']").await;
    press_enter(c).await;
    wait_for_path(c, &format!("{plan}/edit")).await;
    axe_clean(c, &browser.axe, "/people/{id}/recovery-plan/edit").await;
    tab_to(c, "a[href='#goal-new']").await;
    press_enter(c).await;
    tab_to(c, "#p-goal_4_words").await;
    type_here(c, "Cook a real dinner for my daughter").await;
    tab_to(c, "#p-goal_4_dimension").await;
    type_here(c, "Home").await;
    tab_to(c, "#p-step_4_0_what").await;
    type_here(c, "Plan the menu with Rosa").await;
    tab_to(c, "form[action$='/recovery-plan'] button[type=submit]").await;
    press_enter(c).await;
    wait_for_query(c, "done=saved").await;
    axe_clean(c, &browser.axe, "/people/{id}/recovery-plan (draft saved)").await;
    // The draft and the agreed version each have their own labels for the same parts.
    axe_rules_clean(c, &browser.axe, &["landmark-unique", "landmark-one-main"], "/people/{id}/recovery-plan (draft and agreed)").await;
    assert!(main_text(c).await.contains("Cook a real dinner for my daughter"));
    assert_eq!(app.store.plan_versions(app.demo_org, id).await.unwrap().len(), 1, "saving agrees to nothing");
    sign_out(c).await;

    // The person reads the draft in their portal, comments, and agrees.
    sign_in(c, "peer@demo").await;
    wait_for_path(c, "/me").await;
    axe_clean(c, &browser.axe, "/me").await;
    tab_to(c, &format!("a.button[href='{plan}']")).await;
    press_enter(c).await;
    wait_for_path(c, &plan).await;
    axe_clean(c, &browser.axe, "/people/{id}/recovery-plan (portal)").await;
    assert!(main_text(c).await.contains("Cook a real dinner for my daughter"));
    tab_to(c, "#p-comment").await;
    type_here(c, "Yes! And Rosa wants to help.").await;
    tab_to(c, "form[action$='/comments'] button").await;
    press_enter(c).await;
    wait_for_query(c, "done=comment").await;
    axe_clean(c, &browser.axe, "/people/{id}/recovery-plan (comment saved)").await;
    tab_to(c, "form[action$='/agree'] button").await;
    press_enter(c).await;
    wait_for_query(c, "done=agreed").await;
    axe_clean(c, &browser.axe, "/people/{id}/recovery-plan (agreed)").await;
    let v = app.store.plan_version(app.demo_org, id, None).await.unwrap().unwrap();
    assert_eq!(v.version, 2);
    assert!(v.plan.goals.iter().any(|g| g.in_my_words == "Cook a real dinner for my daughter"));
    sign_out(c).await;

    // The specialist sees the agreed version, the comment, and what changed.
    sign_in(c, "specialist@demo").await;
    wait_for_path(c, "/caseload").await;
    browser.visit_clean(&plan).await;
    let text = main_text(c).await;
    assert!(text.contains("Version 2, agreed by Jordan (peer) in their portal"), "{text}");
    assert!(text.contains("Rosa wants to help"));
    tab_to(c, "a[href$='/recovery-plan/compare']").await;
    press_enter(c).await;
    wait_for_path(c, &format!("{plan}/compare")).await;
    axe_clean(c, &browser.axe, "/people/{id}/recovery-plan/compare").await;
    assert!(main_text(c).await.contains("Cook a real dinner for my daughter"));
    browser.close().await;
    app.close().await;
}
