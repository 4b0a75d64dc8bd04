//! Exam preparation in headless Chromium, keyboard only, every page axe-clean: a practice
//! session of ten questions (feedback and rationale after each), then a mock exam with per-domain
//! results and the review of answers.

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser_kit::*;
use crate::support::*;

async fn hidden(c: &Client, name: &str) -> String {
    for _ in 0..50 {
        if let Ok(v) = c.execute("var e = document.querySelector('input[name=\"' + arguments[0] + '\"]'); return e ? e.value : null;", vec![json!(name)]).await {
            if let Some(s) = v.as_str() {
                return s.to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {name} field on {}", c.current_url().await.unwrap());
}

/// Picks option `pick` of a radio group as a keyboard user does: Tab reaches the group once (its
/// first option while none is chosen), Space chooses it, the arrow keys move the choice.
async fn choose(c: &Client, pick: usize) {
    tab_to(c, "#opt-0").await;
    if pick == 0 {
        type_here(c, " ").await;
    } else {
        for _ in 0..pick {
            type_here(c, &Key::Down.to_string()).await;
        }
    }
    let checked = c
        .execute("var e = document.getElementById('opt-' + arguments[0]); return !!(e && e.checked);", vec![json!(pick)])
        .await
        .ok()
        .and_then(|v| v.as_bool());
    assert_eq!(checked, Some(true), "option {pick} is chosen");
}

async fn wait_for_text(c: &Client, marker: &str) -> String {
    for _ in 0..50 {
        if let Ok(e) = c.find(Locator::Css("main")).await {
            if let Ok(t) = e.text().await {
                if t.contains(marker) {
                    return t;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {marker:?} on {}", c.current_url().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_session_of_ten_and_a_mock_exam_in_chromium() {
    let app = TestApp::new(Backend::Sqlite).await;
    let browser = Browser::start(&app).await;
    let c = &browser.c;
    browser.visit_clean("/login").await;
    sign_in(c, "specialist@demo").await;
    wait_for_path(c, "/caseload").await;

    let me = app.user_id("specialist@demo").await;
    let before = app.store.practice_progress(app.demo_org, me).await.unwrap().reviews_total;
    browser.visit_clean("/growth/practice").await;
    for i in 0..10 {
        let q = hidden(c, "question").await;
        let item = app.store.practice_question(app.demo_org, &q).await.unwrap().unwrap().item;
        let right = item.correct_indexes()[0];
        let pick = if i == 3 { (right + 1) % 4 } else { right };
        choose(c, pick).await;
        tab_to(c, "form[action='/growth/practice'] button[type=submit]").await;
        press_enter(c).await;
        let text = wait_for_text(c, "Why").await;
        assert!(text.contains(if i == 3 { "Not quite." } else { "That's right." }), "{text}");
        if i == 0 {
            axe_clean(c, &browser.axe, "/growth/practice?feedback").await;
        }
        tab_to(c, "#next").await;
        press_enter(c).await;
        wait_for_text(c, "Check my answer").await;
        if i == 0 {
            axe_clean(c, &browser.axe, "/growth/practice").await;
        }
    }
    assert_eq!(app.store.practice_progress(app.demo_org, me).await.unwrap().reviews_total, before + 10);

    // A quick mock exam: start it, answer every question by keyboard, read the results.
    browser.visit_clean("/growth/exams").await;
    tab_to(c, "form[action='/growth/exams'] input[value='quick-check'] ~ button").await;
    press_enter(c).await;
    wait_for_path(c, "/growth/exams/").await;
    axe_clean(c, &browser.axe, "/growth/exams/{id}").await;
    for _ in 0..12 {
        wait_for_text(c, "Question").await;
        choose(c, 0).await;
        tab_to(c, "form[action$='/answer'] button[type=submit]").await;
        press_enter(c).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let text = wait_for_text(c, "Score per domain").await;
    for d in ["Advocacy", "Mentoring and education", "Recovery and wellness support", "Ethical responsibility"] {
        assert!(text.contains(d), "{d} missing from the results");
    }
    assert!(text.contains("Review your answers"));
    axe_clean(c, &browser.axe, "/growth/exams/{id} results").await;
}
