//! Practice questions, mock exams and the question bank over HTTP, on both databases.

use axum::http::StatusCode;

use crate::both;
use crate::support::*;

/// The question id and the right option of the practice page's current question.
async fn current_question(app: &TestApp, html: &str) -> (String, String, usize) {
    let id = hidden_field(html, "question").expect("a question on the page");
    let reps = hidden_field(html, "reps").unwrap();
    let item = app.store.practice_question(app.demo_org, &id).await.unwrap().unwrap().item;
    (id, reps, item.correct_indexes()[0])
}

both!(a_specialist_practises_gets_feedback_and_the_cards_replay_from_the_log, async |app: &TestApp| {
    let me = app.user_id("specialist@demo").await;
    let mut s = app.login("specialist@demo").await;
    let before = app.store.practice_progress(app.demo_org, me).await.unwrap().reviews_total;
    let page = s.get("/growth/practice").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    // No choice: the question comes back with an error, nothing recorded.
    let (q, reps, right) = current_question(app, &page.text).await;
    let r = s.post_form("/growth/practice", &[("question", &q), ("reps", &reps)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("Please choose an answer"));
    assert_eq!(app.store.practice_progress(app.demo_org, me).await.unwrap().reviews_total, before);
    // A right answer: feedback with the rationale, the card scheduled days ahead.
    let r = s.post_form("/growth/practice", &[("question", &q), ("reps", &reps), ("choice", &right.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let fb = s.get(&r.location()).await;
    assert!(fb.text.contains("That&#39;s right.") || fb.text.contains("That's right."), "{}", fb.text);
    let item = app.store.practice_question(app.demo_org, &q).await.unwrap().unwrap().item;
    assert!(fb.text.contains(&askama_escape(&item.rationale)));
    // The same form sent twice is not a second review.
    let again = s.post_form("/growth/practice", &[("question", &q), ("reps", &reps), ("choice", &right.to_string())]).await;
    assert_eq!(again.location(), "/growth/practice");
    // Ten answers, some wrong; wrong ones come back within the session.
    for i in 0..10 {
        let page = s.get("/growth/practice").await;
        let (q, reps, right) = current_question(app, &page.text).await;
        let pick = if i % 3 == 0 { (right + 1) % 4 } else { right };
        let r = s.post_form("/growth/practice", &[("question", &q), ("reps", &reps), ("choice", &pick.to_string())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.clock.advance_ms(60_000);
    }
    app.clock.advance_ms(11 * 60_000);
    let p = app.store.practice_progress(app.demo_org, me).await.unwrap();
    assert_eq!(p.reviews_total, before + 11);
    assert!(p.due_now >= 1, "wrong answers are due again after ten minutes");
    let due_page = s.get("/growth/practice").await;
    assert!(due_page.text.contains("A question to review"));
    // Recomputing every card from the review log reproduces the stored states.
    let ids: Vec<String> = app.store.practice_questions(app.demo_org).await.unwrap().into_iter().map(|q| q.item.id).collect();
    let mut before = Vec::new();
    for id in &ids {
        if let Some(c) = app.store.practice_card(me, id).await.unwrap() {
            let log = app.store.practice_log(me, id).await.unwrap();
            assert_eq!(lantern_learning::srs::Scheduler::default().replay(&log), Some(c));
            before.push((id.clone(), c));
        }
    }
    assert_eq!(app.store.recompute_practice_cards(app.demo_org, me).await.unwrap(), before.len());
    for (id, c) in before {
        assert_eq!(app.store.practice_card(me, &id).await.unwrap(), Some(c));
    }
    // Another learner does not see this one's feedback.
    let mut other = app.login("specialist2@demo").await;
    let review_id = r.location().rsplit('=').next().unwrap().to_string();
    assert_eq!(other.get(&format!("/growth/practice?feedback={review_id}")).await.status, StatusCode::NOT_FOUND);
    assert!(app.verify_audit().await.is_ok());
});

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&#34;").replace('\'', "&#39;")
}

both!(a_mock_exam_is_timed_scored_per_domain_and_private, async |app: &TestApp| {
    let mut s = app.login("specialist@demo").await;
    let list = s.get("/growth/exams").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("placeholders"), "the IC&RC weights are labelled placeholders");
    let r = s.post_form("/growth/exams", &[("blueprint", "quick-check")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let exam_path = r.location();
    let exam_id: i64 = exam_path.rsplit('/').next().unwrap().parse().unwrap();
    // Answer six questions correctly, then let the time run out.
    for _ in 0..6 {
        let page = s.get(&exam_path).await;
        assert_eq!(page.status, StatusCode::OK);
        let pos = hidden_field(&page.text, "position").unwrap();
        let exam = app.store.exam(app.demo_org, exam_id).await.unwrap().unwrap();
        let qid = &exam.questions[pos.parse::<usize>().unwrap()];
        let right = app.store.practice_question(app.demo_org, qid).await.unwrap().unwrap().item.correct_indexes()[0];
        let r = s.post_form(&format!("{exam_path}/answer"), &[("position", &pos), ("choice", &right.to_string())]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    // Someone else cannot open it (404, audited as denied), through the page or the API.
    let mut other = app.login("supervisor@demo").await;
    assert_eq!(other.get(&exam_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(other.json("GET", &format!("/api/v1/exams/{exam_id}"), None, &[]).await.status, StatusCode::NOT_FOUND);
    let mut admin = app.login("admin@demo").await;
    assert_eq!(admin.get(&exam_path).await.status, StatusCode::NOT_FOUND);
    let mut peer2 = app.login("specialist2@demo").await;
    assert_eq!(peer2.get(&exam_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(peer2.json("GET", &format!("/api/v1/exams/{exam_id}"), None, &[]).await.status, StatusCode::NOT_FOUND);
    peer2.get("/account").await;
    let token = peer2.csrf.clone();
    let r = peer2.json("POST", &format!("/api/v1/exams/{exam_id}/answers"), Some(serde_json::json!({"position": 7, "chosen": [0]})), &[("x-csrf-token", &token)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "nobody answers someone else's exam");
    assert!(!peer2.get("/growth/exams").await.text.contains(&format!("/growth/exams/{exam_id}\"")), "nor sees it listed");
    assert!(app.store.count_audit(app.demo_org, "practice.exam_view", None, Some("denied")).await.unwrap() >= 5);
    // After the deadline an answer is not counted.
    // (In two steps with a request between them: 16 idle minutes would end the session.)
    app.clock.advance_ms(8 * 60_000);
    assert_eq!(s.get(&exam_path).await.status, StatusCode::OK);
    app.clock.advance_ms(8 * 60_000);
    let page = s.get(&exam_path).await;
    assert!(page.text.contains("Score per domain"), "{}", page.text);
    let late = s.post_form(&format!("{exam_path}/answer"), &[("position", "6"), ("choice", "0")]).await;
    assert!(late.location().contains("late=1") || late.status == StatusCode::SEE_OTHER);
    let exam = app.store.exam(app.demo_org, exam_id).await.unwrap().unwrap();
    assert_eq!(exam.answers.len(), 6);
    let score = app.store.exam_score(&exam).await.unwrap();
    assert_eq!((score.correct, score.total), (6, 12));
    assert_eq!(score.domains.iter().map(|d| d.total).sum::<u32>(), 12);
    assert!(score.domains.iter().all(|d| d.total == 3));
    let results = s.get(&exam_path).await;
    assert!(results.text.contains("6 of 12 right"), "{}", results.text);
    assert!(results.text.contains("Review your answers"));
    // The API agrees, for the owner.
    let j = s.json("GET", &format!("/api/v1/exams/{exam_id}"), None, &[]).await.json();
    assert_eq!(j["correct"], 6);
    assert_eq!(j["domains"].as_array().unwrap().len(), 4);
    assert!(j["questions"][0]["rationale"].is_string());
    assert!(app.verify_audit().await.is_ok());
});

both!(the_api_practises_and_refuses_bad_bodies, async |app: &TestApp| {
    let mut s = app.login("specialist2@demo").await;
    s.get("/account").await;
    let csrf = s.csrf.clone();
    let next = s.json("GET", "/api/v1/practice/next", None, &[]).await;
    assert_eq!(next.status, StatusCode::OK);
    let q = next.json()["question"]["id"].as_str().unwrap().to_string();
    let reps = next.json()["reps"].as_i64().unwrap();
    let me = app.user_id("specialist2@demo").await;
    let before = app.store.practice_progress(app.demo_org, me).await.unwrap().reviews_total;
    let bad = s.json("POST", "/api/v1/practice/answers", Some(serde_json::json!({"question_id": q, "chosen": [7]})), &[("x-csrf-token", &csrf)]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    let garbage = s.json("POST", "/api/v1/practice/answers", Some(serde_json::json!({"nope": 1})), &[("x-csrf-token", &csrf)]).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let ok = s.json("POST", "/api/v1/practice/answers", Some(serde_json::json!({"question_id": q, "chosen": [0], "expect_reps": reps})), &[("x-csrf-token", &csrf)]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert!(ok.json()["rationale"].as_str().unwrap().len() > 40);
    let twice = s.json("POST", "/api/v1/practice/answers", Some(serde_json::json!({"question_id": q, "chosen": [0], "expect_reps": reps})), &[("x-csrf-token", &csrf)]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let p = s.json("GET", "/api/v1/practice/progress", None, &[]).await.json();
    assert_eq!(p["reviews_total"].as_i64().unwrap(), before + 1);
    // Nobody else's progress is visible: the supervisor's own progress is empty.
    let mut sup = app.login("supervisor@demo").await;
    assert_eq!(sup.json("GET", "/api/v1/practice/progress", None, &[]).await.json()["reviews_total"], 0);
    // Another specialist's practice state is never theirs to see: their own progress is their own.
    let mut s1 = app.login("specialist@demo").await;
    let me1 = app.user_id("specialist@demo").await;
    let p1 = s1.json("GET", "/api/v1/practice/progress", None, &[]).await.json();
    assert_eq!(p1["reviews_total"].as_i64().unwrap(), app.store.practice_progress(app.demo_org, me1).await.unwrap().reviews_total);
    assert_ne!(p1["reviews_total"], p["reviews_total"]);
    let review_id = ok.json()["review_id"].as_i64().unwrap();
    assert_eq!(app.store.practice_review(me1, review_id).await.unwrap(), None);
    assert_eq!(s1.get(&format!("/growth/practice?feedback={review_id}")).await.status, StatusCode::NOT_FOUND);
    // The OpenAPI document keeps practice's schemas apart from others with similar names.
    let doc = serde_json::to_value(lantern_web::api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["PracticeProgressOut"]["properties"]["due_now"].is_object());
    assert!(schemas["ProgressOut"]["properties"]["due_now"].is_null(), "certifications' ProgressOut is not replaced");
    for p in ["/api/v1/practice/next", "/api/v1/practice/answers", "/api/v1/practice/progress", "/api/v1/exams", "/api/v1/exams/{id}", "/api/v1/exams/{id}/answers", "/api/v1/exams/{id}/finish", "/api/v1/exams/blueprints", "/api/v1/questions"] {
        assert!(doc["paths"][p].is_object(), "{p} documented");
    }
    let bps = s.json("GET", "/api/v1/exams/blueprints", None, &[]).await.json();
    assert!(bps.as_array().unwrap().iter().any(|b| b["placeholder_weights"] == true));
});

both!(admins_author_review_import_and_export_the_bank, async |app: &TestApp| {
    let mut a = app.login("admin@demo").await;
    let list = a.get("/admin/questions").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("pq-01-01"));
    // A new question with problems: every field named, nothing saved.
    a.get("/admin/questions/new").await;
    let r = a.post_form("/admin/questions", &[("id", "Bad Id"), ("stem", "short"), ("option_1", "x"), ("option_2", "x"), ("version", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["q-id-err", "q-stem-err", "q-correct-err", "q-rationale-err", "q-categories-err", "q-domains-err", "q-option_3-err"] {
        assert!(r.text.contains(f), "{f} missing");
    }
    let fields = [
        ("id", "local-01"),
        ("stem", "A person you support asks you to keep a secret from their treatment team. What is the first thing to do?"),
        ("option_1", "Promise to keep the secret"),
        ("option_2", "Explain honestly what you can and cannot keep private, then listen"),
        ("option_3", "Tell the team right away"),
        ("option_4", "Change the subject"),
        ("correct", "1"),
        ("rationale", "Being clear about the limits of confidentiality before someone shares protects trust and lets the person choose what to say."),
        ("category", "IX"),
        ("main_domain", "ethical-responsibility"),
        ("topic", "ethics"),
        ("difficulty", "2"),
        ("status", "draft"),
        ("version", ""),
    ];
    let r = a.post_form("/admin/questions", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let q = app.store.practice_question(app.demo_org, "local-01").await.unwrap().unwrap();
    assert_eq!(q.item.status, lantern_learning::Status::Draft);
    // Reviewed: a new version.
    let edit = a.get("/admin/questions/local-01/edit").await;
    assert_eq!(hidden_field(&edit.text, "version").as_deref(), Some("1"));
    let mut upd: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "status" && *k != "version").copied().collect();
    upd.push(("status", "reviewed"));
    upd.push(("version", "1"));
    assert_eq!(a.post_form("/admin/questions/local-01", &upd).await.status, StatusCode::SEE_OTHER);
    // A stale version is a conflict.
    assert_eq!(a.post_form("/admin/questions/local-01", &upd).await.status, StatusCode::CONFLICT);
    // Export, then import: every item comes back (as drafts, for local review).
    let xml = a.get("/admin/questions/export").await;
    assert_eq!(xml.status, StatusCode::OK);
    assert!(xml.header("content-type").starts_with("application/xml"));
    let parsed = lantern_learning::moodle::import(&xml.text).unwrap();
    assert_eq!(parsed.bank.items.len(), 241);
    a.get("/admin/questions").await;
    let bad = a.post_form("/admin/questions/import", &[("xml", "<quiz><question type=\"multichoice\"><name><text>x</text></name></question></quiz>")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.store.practice_question(app.demo_org, "x").await.unwrap(), None, "nothing half-imported");
    // The same question under a new id is a duplicate; a new question is added as a draft.
    let same = lantern_learning::Bank { items: vec![lantern_learning::Item { id: "shared-01".into(), ..parsed.bank.items[0].clone() }] };
    let dup = a.post_form("/admin/questions/import", &[("xml", &lantern_learning::moodle::export(&same, "shared"))]).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text.contains(&format!("the same question as {}", parsed.bank.items[0].id)), "{}", dup.text);
    let stem = format!("{} (A variation written by another program.)", parsed.bank.items[0].stem);
    let one = lantern_learning::Bank { items: vec![lantern_learning::Item { id: "shared-01".into(), stem, ..parsed.bank.items[0].clone() }] };
    let r = a.post_form("/admin/questions/import", &[("xml", &lantern_learning::moodle::export(&one, "shared"))]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(app.store.practice_question(app.demo_org, "shared-01").await.unwrap().unwrap().item.status, lantern_learning::Status::Draft);
    // Specialists cannot touch the bank.
    let mut s = app.login("specialist@demo").await;
    assert_eq!(s.get("/admin/questions").await.status, StatusCode::FORBIDDEN);
    assert!(app.verify_audit().await.is_ok());
});
