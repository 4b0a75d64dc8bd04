//! Exam preparation: practice questions scheduled with FSRS (`/growth/practice`), timed mock exams
//! (`/growth/exams`), the question bank for admins (`/admin/questions`), and their JSON API.
//!
//! Practice answers and exam attempts are the learner's own: every lookup is by the caller's
//! user id, and an attempt of someone else answers 404 with a `denied` audit row
//! (`policy::decide_learning`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use lantern_domain::policy::{decide_learning, Decision, LearningAction};
use lantern_domain::UserId;
use lantern_learning::exam::{self, Blueprint};
use lantern_learning::item::{parse_category, roman};
use lantern_learning::srs::{self, Rating};
use lantern_learning::{moodle, Choice, Domain, Item, Status, Topic};
use lantern_store::practice::{CardKind, Exam, ExamAnswerOutcome, NextPractice};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::pages::query_pairs;
use crate::error::{ApiError, AppError};
use crate::middleware::Ctx;
use crate::views::{Chrome, FormErrors};
use crate::AppState;

type PageResult = Result<Response, AppError>;

fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("the form could not be read".into()))
}

fn field(pairs: &[(String, String)], k: &str) -> String {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

fn allow(app: &AppState, ctx: &Ctx, action: LearningAction) -> Result<(), AppError> {
    match decide_learning(&ctx.actor, action) {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(AppError::Forbidden),
        Decision::NotFound => {
            let _ = app;
            Err(AppError::NotFound)
        }
    }
}

async fn fmt_ms(app: &AppState, org: i64, ms: i64) -> Result<String, AppError> {
    let org = app.store.org_cached(org).await?;
    let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(jiff::Timestamp::from_millisecond(ms).map(|t| t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()).unwrap_or_default())
}

fn letter(i: usize) -> char {
    (b'A' + i as u8) as char
}

/// A question as a page shows it.
pub struct QuestionView {
    pub id: String,
    pub stem: String,
    pub multi: bool,
    pub answers: u8,
    pub choose_n: String,
    pub options: Vec<(usize, char, String)>,
    pub tags: String,
}

fn tags_of(t: &crate::i18n::Messages, item: &Item) -> String {
    let cats: Vec<String> = item.categories.iter().map(|c| roman(*c).to_string()).collect();
    let doms: Vec<String> = item.domains.iter().map(|d| t.get(&format!("practice-domain-{}", d.code()))).collect();
    format!("{} {} · {}", t.get("practice-competency"), cats.join(", "), doms.join(", "))
}

fn question_view(t: &crate::i18n::Messages, item: &Item) -> QuestionView {
    QuestionView {
        id: item.id.clone(),
        stem: item.stem.clone(),
        multi: item.answers > 1,
        answers: item.answers,
        choose_n: t.get_with("practice-choose-n", &[("n", (item.answers as i64).into())]),
        options: item.choices.iter().enumerate().map(|(i, c)| (i, letter(i), c.text.clone())).collect(),
        tags: tags_of(t, item),
    }
}

/// One option in a feedback or review list.
pub struct OptionResult {
    pub letter: char,
    pub text: String,
    pub correct: bool,
    pub chosen: bool,
}

fn option_results(item: &Item, chosen: &[usize]) -> Vec<OptionResult> {
    item.choices
        .iter()
        .enumerate()
        .map(|(i, c)| OptionResult { letter: letter(i), text: c.text.clone(), correct: c.correct, chosen: chosen.contains(&i) })
        .collect()
}

fn chosen_from(pairs: &[(String, String)]) -> Vec<usize> {
    pairs.iter().filter(|(k, _)| k == "choice").filter_map(|(_, v)| v.parse().ok()).collect()
}

// ---------------------------------------------------------------- practice

#[derive(Template)]
#[template(path = "practice.html")]
pub struct PracticePage {
    pub c: Chrome,
    pub question: Option<QuestionView>,
    pub reps: i64,
    pub is_new: bool,
    pub error: String,
    pub feedback: Option<Feedback>,
    pub done_text: String,
    pub status_line: String,
    pub domains: Vec<(String, String)>,
}

pub struct Feedback {
    pub correct: bool,
    pub stem: String,
    pub options: Vec<OptionResult>,
    pub rationale: String,
    pub tags: String,
    pub next_due: String,
}

async fn practice_page(app: &AppState, ctx: &Ctx, error: String, feedback: Option<Feedback>) -> PageResult {
    let (question, reps, is_new, done_text) = if feedback.is_some() {
        (None, 0, false, String::new())
    } else {
        match app.store.next_practice(ctx.org(), ctx.user.id, srs::DEFAULT_DAILY_NEW).await? {
            NextPractice::Question { item, kind, reps } => (Some(question_view(&app.t, &item)), reps, kind == CardKind::New, String::new()),
            NextPractice::Done { next_due_ms } => {
                let text = match next_due_ms {
                    Some(ms) => app.t.get_with("practice-done-next", &[("when", fmt_ms(app, ctx.org(), ms).await?.into())]),
                    None => app.t.get("practice-done"),
                };
                (None, 0, false, text)
            }
        }
    };
    let p = app.store.practice_progress(ctx.org(), ctx.user.id).await?;
    let status_line = app.t.get_with(
        "practice-status",
        &[
            ("due", p.due_now.into()),
            ("today", p.reviews_today.into()),
            ("new", p.new_today.into()),
            ("limit", (srs::DEFAULT_DAILY_NEW as i64).into()),
        ],
    );
    let domains = Domain::ALL
        .iter()
        .map(|d| {
            let a = p.domains.iter().find(|(x, _)| x == d).map(|(_, a)| *a).unwrap_or_default();
            let v = if a.total == 0 {
                app.t.get("practice-not-yet")
            } else {
                app.t.get_with("practice-accuracy", &[("correct", (a.correct as i64).into()), ("total", (a.total as i64).into())])
            };
            (app.t.get(&format!("practice-domain-{}", d.code())), v)
        })
        .collect();
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = PracticePage {
        c: Chrome::new(app, Some(ctx), "practice-title", "growth"),
        question,
        reps,
        is_new,
        error,
        feedback,
        done_text,
        status_line,
        domains,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /growth/practice` — the next question (due cards first, then new ones), or the feedback
/// on the answer just given (`?feedback=REVIEW_ID`, the caller's own only).
pub async fn practice(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    allow(&app, &ctx, LearningAction::Practice)?;
    let q = query_pairs(&rq);
    let feedback = match q.iter().find(|(k, _)| k == "feedback").and_then(|(_, v)| v.parse::<i64>().ok()) {
        Some(id) => {
            let r = app.store.practice_review(ctx.user.id, id).await?.ok_or(AppError::NotFound)?;
            let item = app.store.practice_question(ctx.org(), &r.question_id).await?.ok_or(AppError::NotFound)?.item;
            let card = app.store.practice_card(ctx.user.id, &r.question_id).await?;
            let next_due = match card {
                Some(c) if c.due_ms - c.last_review_ms >= srs::DAY_MS => {
                    app.t.get_with("practice-next-due", &[("days", ((c.due_ms - c.last_review_ms) / srs::DAY_MS).into())])
                }
                Some(_) => app.t.get("practice-again-soon"),
                None => String::new(),
            };
            Some(Feedback {
                correct: r.correct,
                stem: item.stem.clone(),
                options: option_results(&item, &r.chosen),
                rationale: item.rationale.clone(),
                tags: tags_of(&app.t, &item),
                next_due,
            })
        }
        None => None,
    };
    practice_page(&app, &ctx, String::new(), feedback).await
}

/// `POST /growth/practice` — records an answer, then shows its feedback.
pub async fn practice_answer(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    allow(&app, &ctx, LearningAction::Practice)?;
    let pairs = form_pairs(&body)?;
    let question = field(&pairs, "question");
    let reps: Option<i64> = field(&pairs, "reps").parse().ok();
    let felt = Rating::parse(&field(&pairs, "felt"));
    let chosen = chosen_from(&pairs);
    match app.store.answer_practice(ctx.org(), ctx.user.id, &question, &chosen, felt, reps, &ctx.who()).await {
        Ok(o) => Ok(Redirect::to(&format!("/growth/practice?feedback={}", o.review.id)).into_response()),
        Err(lantern_store::StoreError::Invalid(_)) => practice_page(&app, &ctx, app.t.get("practice-choose"), None).await,
        Err(lantern_store::StoreError::Conflict(_)) | Err(lantern_store::StoreError::NotFound) => {
            Ok(Redirect::to("/growth/practice").into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- exams

pub struct BlueprintView {
    pub id: String,
    pub name: String,
    pub about: String,
    pub source: String,
    pub placeholder: bool,
    pub weights: String,
}

pub struct AttemptView {
    pub id: i64,
    pub name: String,
    pub started: String,
    pub result: String,
}

#[derive(Template)]
#[template(path = "exams.html")]
pub struct ExamsPage {
    pub c: Chrome,
    pub blueprints: Vec<BlueprintView>,
    pub attempts: Vec<AttemptView>,
    pub error: String,
}

fn blueprint_name(id: &str) -> String {
    exam::blueprint(id).map(|b| b.name.clone()).unwrap_or_else(|| id.to_string())
}

async fn exams_page(app: &AppState, ctx: &Ctx, error: String) -> PageResult {
    let blueprints = exam::shipped_blueprints()
        .iter()
        .map(|b| BlueprintView {
            id: b.id.clone(),
            name: b.name.clone(),
            about: app.t.get_with(
                "practice-exam-about",
                &[("questions", (b.questions as i64).into()), ("minutes", (b.minutes as i64).into()), ("pass", (b.pass_percent as i64).into())],
            ),
            source: b.source.clone(),
            placeholder: b.has_placeholders(),
            weights: b
                .apportion()
                .iter()
                .map(|(d, n)| format!("{} {n}", app.t.get(&format!("practice-domain-{}", d.code()))))
                .collect::<Vec<_>>()
                .join(" · "),
        })
        .collect();
    let now = app.store.now_ms();
    let mut attempts = Vec::new();
    for a in app.store.exams_of(ctx.user.id).await? {
        let result = match (a.finished_ms, a.correct) {
            (Some(_), Some(c)) => app.t.get_with("practice-exam-result-short", &[("correct", c.into()), ("total", a.total.into())]),
            _ if now > a.deadline_ms => app.t.get("practice-exam-time-up"),
            _ => app.t.get("practice-exam-in-progress"),
        };
        attempts.push(AttemptView { id: a.id, name: blueprint_name(&a.blueprint), started: fmt_ms(app, ctx.org(), a.started_ms).await?, result });
    }
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ExamsPage { c: Chrome::new(app, Some(ctx), "practice-exams-title", "growth"), blueprints, attempts, error };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /growth/exams` — the blueprints to start from and the caller's own attempts.
pub async fn exams(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    allow(&app, &ctx, LearningAction::Practice)?;
    exams_page(&app, &ctx, String::new()).await
}

/// `POST /growth/exams` — starts an attempt (server-side start and deadline).
pub async fn start_exam(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    allow(&app, &ctx, LearningAction::Practice)?;
    let pairs = form_pairs(&body)?;
    let Some(bp) = exam::blueprint(&field(&pairs, "blueprint")) else {
        return exams_page(&app, &ctx, app.t.get("practice-exam-choose")).await;
    };
    let id = app.store.start_exam(ctx.org(), ctx.user.id, bp, &ctx.who()).await?;
    Ok(Redirect::to(&format!("/growth/exams/{id}")).into_response())
}

/// Loads an attempt the caller owns; anyone else's answers 404 and is audited as denied.
async fn own_exam(app: &AppState, ctx: &Ctx, raw: &str) -> Result<Exam, AppError> {
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    allow(app, ctx, LearningAction::Practice)?;
    let exam = app.store.exam(ctx.org(), id).await?.ok_or(AppError::NotFound)?;
    match decide_learning(&ctx.actor, LearningAction::ViewOwn(UserId(exam.user_id))) {
        Decision::Allow => Ok(exam),
        _ => {
            app.store.record_event(ctx.entry("practice.exam_view", None, "practice_exam", &id.to_string(), "denied", app.store.now_ms())).await?;
            Err(AppError::NotFound)
        }
    }
}

pub struct DomainRow {
    pub name: String,
    pub score: String,
    pub percent: u32,
}

pub struct ReviewRow {
    pub number: usize,
    pub stem: String,
    pub options: Vec<OptionResult>,
    pub correct: bool,
    pub answered: bool,
    pub rationale: String,
    pub domain: String,
}

#[derive(Template)]
#[template(path = "exam.html")]
pub struct ExamPage {
    pub c: Chrome,
    pub id: i64,
    pub name: String,
    pub notice: String,
    pub error: String,
    pub question: Option<QuestionView>,
    pub position: usize,
    pub progress: String,
    pub time_left: String,
    pub over: bool,
    pub summary: String,
    pub passed: bool,
    pub domains: Vec<DomainRow>,
    pub review: Vec<ReviewRow>,
    pub placeholder: bool,
}

async fn exam_page(app: &AppState, ctx: &Ctx, exam: &Exam, notice: String, error: String) -> PageResult {
    let now = app.store.now_ms();
    let bp: Option<&Blueprint> = exam::blueprint(&exam.blueprint);
    let items = app.store.exam_items(exam).await?;
    let over = exam.is_over(now) || exam.next_position().is_none();
    let mut page = ExamPage {
        c: Chrome::new(app, Some(ctx), "practice-exam-title", "growth"),
        id: exam.id,
        name: blueprint_name(&exam.blueprint),
        notice,
        error: error.clone(),
        question: None,
        position: 0,
        progress: String::new(),
        time_left: String::new(),
        over,
        summary: String::new(),
        passed: false,
        domains: Vec::new(),
        review: Vec::new(),
        placeholder: bp.is_some_and(|b| b.has_placeholders()),
    };
    if !over {
        let pos = exam.next_position().unwrap_or(0);
        let item = items.get(&exam.questions[pos]).ok_or(AppError::NotFound)?;
        page.question = Some(question_view(&app.t, item));
        page.position = pos;
        page.progress = app.t.get_with("practice-exam-progress", &[("n", ((pos + 1) as i64).into()), ("total", (exam.questions.len() as i64).into())]);
        let left_min = (exam.deadline_ms - now).max(0) / 60_000;
        page.time_left = app.t.get_with(
            "practice-exam-time-left",
            &[("minutes", left_min.into()), ("deadline", fmt_ms(app, ctx.org(), exam.deadline_ms).await?.into())],
        );
    } else {
        let score = app.store.exam_score(exam).await?;
        page.passed = score.passed;
        page.summary = app.t.get_with(
            "practice-exam-summary",
            &[("correct", (score.correct as i64).into()), ("total", (score.total as i64).into()), ("percent", (score.percent as i64).into())],
        );
        page.domains = score
            .domains
            .iter()
            .map(|d| DomainRow {
                name: app.t.get(&format!("practice-domain-{}", d.domain.code())),
                score: app.t.get_with("practice-exam-domain-score", &[("correct", (d.correct as i64).into()), ("total", (d.total as i64).into())]),
                percent: d.percent(),
            })
            .collect();
        for (p, qid) in exam.questions.iter().enumerate() {
            let Some(item) = items.get(qid) else { continue };
            let ans = exam.answers.iter().find(|a| a.position == p as i64 && exam::answer_counts(exam.deadline_ms, a.answered_ms));
            let chosen = ans.map(|a| a.chosen.clone()).unwrap_or_default();
            page.review.push(ReviewRow {
                number: p + 1,
                stem: item.stem.clone(),
                options: option_results(item, &chosen),
                correct: ans.is_some_and(|a| a.correct),
                answered: ans.is_some(),
                rationale: item.rationale.clone(),
                domain: app.t.get(&format!("practice-domain-{}", item.primary_domain().code())),
            });
        }
    }
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /growth/exams/{id}` — the next question while time is left; afterwards the per-domain
/// results and the review of every answer with its rationale.
pub async fn show_exam(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, RawQuery(rq): RawQuery) -> PageResult {
    let exam = own_exam(&app, &ctx, &raw).await?;
    let notice = if query_pairs(&rq).iter().any(|(k, v)| k == "late" && v == "1") { app.t.get("practice-exam-late") } else { String::new() };
    exam_page(&app, &ctx, &exam, notice, String::new()).await
}

/// `POST /growth/exams/{id}/answer` — answers the shown question; after the deadline the answer
/// is not counted and the attempt closes.
pub async fn answer_exam(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> PageResult {
    let exam = own_exam(&app, &ctx, &raw).await?;
    let pairs = form_pairs(&body)?;
    let position: usize = field(&pairs, "position").parse().map_err(|_| AppError::BadRequest("the form is missing its question number".into()))?;
    let chosen = chosen_from(&pairs);
    match app.store.answer_exam(&exam, position, &chosen, &ctx.who()).await {
        Ok(ExamAnswerOutcome::Late) => Ok(Redirect::to(&format!("/growth/exams/{}?late=1", exam.id)).into_response()),
        Ok(ExamAnswerOutcome::Counted) => {
            let fresh = app.store.exam(ctx.org(), exam.id).await?.ok_or(AppError::NotFound)?;
            if fresh.next_position().is_none() {
                app.store.finish_exam(&fresh, &ctx.who()).await?;
            }
            Ok(Redirect::to(&format!("/growth/exams/{}", exam.id)).into_response())
        }
        Err(lantern_store::StoreError::Invalid(_)) => exam_page(&app, &ctx, &exam, String::new(), app.t.get("practice-choose")).await,
        Err(lantern_store::StoreError::Conflict(_)) => Ok(Redirect::to(&format!("/growth/exams/{}", exam.id)).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// `POST /growth/exams/{id}/finish` — ends the attempt now (unanswered questions count as wrong).
pub async fn finish_exam(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> PageResult {
    let exam = own_exam(&app, &ctx, &raw).await?;
    app.store.finish_exam(&exam, &ctx.who()).await?;
    Ok(Redirect::to(&format!("/growth/exams/{}", exam.id)).into_response())
}

// ---------------------------------------------------------------- admin: the bank

pub struct QuestionRow {
    pub id: String,
    pub stem: String,
    pub categories: String,
    pub domain: String,
    pub status: String,
    pub draft: bool,
}

#[derive(Template)]
#[template(path = "admin_questions.html")]
pub struct AdminQuestionsPage {
    pub c: Chrome,
    pub rows: Vec<QuestionRow>,
    pub counts: String,
    pub notice: String,
    pub errors: Vec<String>,
    pub xml: String,
}

async fn admin_list(app: &AppState, ctx: &Ctx, notice: String, errors: Vec<String>, xml: String) -> PageResult {
    let qs = app.store.practice_questions(ctx.org()).await?;
    let bank = lantern_learning::Bank { items: qs.iter().map(|q| q.item.clone()).collect() };
    let counts = bank.category_counts().iter().enumerate().map(|(i, n)| format!("{} {n}", roman(i as u8 + 1))).collect::<Vec<_>>().join(" · ");
    let rows = qs
        .iter()
        .map(|q| QuestionRow {
            id: q.item.id.clone(),
            stem: q.item.stem.chars().take(110).collect::<String>() + if q.item.stem.chars().count() > 110 { "…" } else { "" },
            categories: q.item.categories.iter().map(|c| roman(*c)).collect::<Vec<_>>().join(", "),
            domain: app.t.get(&format!("practice-domain-{}", q.item.primary_domain().code())),
            status: app.t.get(&format!("practice-q-status-{}", q.item.status.code())),
            draft: q.item.status == Status::Draft,
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AdminQuestionsPage { c: Chrome::new(app, Some(ctx), "practice-qs-title", "admin"), rows, counts, notice, errors, xml };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /admin/questions` — the bank, import and export.
pub async fn admin_questions(State(app): State<AppState>, ctx: Ctx, RawQuery(rq): RawQuery) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    let q = query_pairs(&rq);
    let notice = if let Some((_, v)) = q.iter().find(|(k, _)| k == "saved") {
        app.t.get_with("practice-qs-saved", &[("id", v.clone().into())])
    } else if let Some((_, v)) = q.iter().find(|(k, _)| k == "imported") {
        app.t.get_with("practice-qs-imported", &[("counts", v.clone().into())])
    } else {
        String::new()
    };
    admin_list(&app, &ctx, notice, Vec::new(), String::new()).await
}

/// `GET /admin/questions/export` — the whole bank as Moodle XML (audited).
pub async fn admin_export(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    let qs = app.store.practice_questions(ctx.org()).await?;
    let bank = lantern_learning::Bank { items: qs.into_iter().map(|q| q.item).collect() };
    app.store.record_practice_export(ctx.org(), bank.items.len(), &ctx.who()).await?;
    let xml = moodle::export(&bank, "Lantern practice questions");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"lantern-questions.xml\"")],
        xml,
    )
        .into_response())
}

/// `POST /admin/questions/import` — Moodle XML pasted in; every item is checked first and
/// nothing is saved unless all are valid. Imported items are drafts until reviewed here.
pub async fn admin_import(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    let pairs = form_pairs(&body)?;
    let xml = field(&pairs, "xml");
    if xml.trim().is_empty() {
        return admin_list(&app, &ctx, String::new(), vec![app.t.get("practice-qs-import-empty")], xml).await;
    }
    let imported = match moodle::import(&xml) {
        Ok(i) => i,
        Err(e) => return admin_list(&app, &ctx, String::new(), vec![app.t.get_with("practice-qs-import-bad", &[("detail", e.to_string().into())])], xml).await,
    };
    let mut problems = imported.bank.problems();
    if problems.is_empty() {
        // The same question under another id already in this bank is a duplicate too.
        let existing = app.store.practice_questions(ctx.org()).await?;
        for (id, other) in stem_clashes(&existing, &imported.bank.items) {
            problems.push(lantern_learning::item::BankProblem { item: id, field: "stem", detail: format!("the same question as {other}") });
        }
    }
    if !problems.is_empty() || imported.bank.items.is_empty() {
        let mut errors: Vec<String> =
            problems.iter().take(50).map(|p| app.t.get_with("practice-qs-import-problem", &[("item", p.item.clone().into()), ("field", p.field.into()), ("detail", p.detail.clone().into())])).collect();
        if imported.bank.items.is_empty() {
            errors.push(app.t.get("practice-qs-import-none"));
        }
        return admin_list(&app, &ctx, String::new(), errors, xml).await;
    }
    let (added, updated) = app.store.import_practice_questions(ctx.org(), &imported.bank.items, &ctx.who()).await?;
    let counts = format!("{added} added, {updated} updated, {} skipped", imported.skipped.len());
    Ok(Redirect::to(&format!("/admin/questions?imported={}", urlencode(&counts))).into_response())
}

/// Incoming items whose question (stem) is already in the bank under another id that the incoming
/// items do not replace: (incoming id, existing id).
fn stem_clashes(existing: &[lantern_store::practice::StoredQuestion], incoming: &[Item]) -> Vec<(String, String)> {
    let replaced: std::collections::HashSet<&str> = incoming.iter().map(|i| i.id.as_str()).collect();
    let keys: HashMap<String, &str> = existing
        .iter()
        .filter(|q| !replaced.contains(q.item.id.as_str()))
        .map(|q| (lantern_learning::item::stem_key(&q.item.stem), q.item.id.as_str()))
        .collect();
    incoming
        .iter()
        .filter_map(|i| keys.get(&lantern_learning::item::stem_key(&i.stem)).map(|other| (i.id.clone(), other.to_string())))
        .collect()
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap_or_default().trim_start_matches("x=").to_string()
}

/// The authoring form's values, as typed.
#[derive(Debug, Clone, Default)]
pub struct QuestionForm {
    pub id: String,
    pub version: String,
    pub stem: String,
    pub options: [String; 4],
    pub correct: String,
    pub rationale: String,
    pub categories: Vec<u8>,
    pub main_domain: String,
    pub also: Vec<String>,
    pub topics: Vec<String>,
    pub difficulty: String,
    pub status: String,
}

impl QuestionForm {
    fn of(item: &Item, version: i64) -> QuestionForm {
        QuestionForm {
            id: item.id.clone(),
            version: version.to_string(),
            stem: item.stem.clone(),
            options: std::array::from_fn(|i| item.choices.get(i).map(|c| c.text.clone()).unwrap_or_default()),
            correct: item.correct_indexes().first().map(|i| i.to_string()).unwrap_or_default(),
            rationale: item.rationale.clone(),
            categories: item.categories.clone(),
            main_domain: item.primary_domain().code().into(),
            also: item.domains.iter().skip(1).map(|d| d.code().to_string()).collect(),
            topics: item.topics.iter().map(|t| t.code().to_string()).collect(),
            difficulty: item.difficulty.to_string(),
            status: item.status.code().into(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> QuestionForm {
        let all = |k: &str| pairs.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        QuestionForm {
            id: field(pairs, "id").trim().to_string(),
            version: field(pairs, "version"),
            stem: field(pairs, "stem").trim().to_string(),
            options: std::array::from_fn(|i| field(pairs, &format!("option_{}", i + 1)).trim().to_string()),
            correct: field(pairs, "correct"),
            rationale: field(pairs, "rationale").trim().to_string(),
            categories: all("category").iter().filter_map(|c| parse_category(c)).collect(),
            main_domain: field(pairs, "main_domain"),
            also: all("domain"),
            topics: all("topic"),
            difficulty: field(pairs, "difficulty"),
            status: field(pairs, "status"),
        }
    }

    fn to_item(&self) -> (Item, Vec<(String, String)>) {
        let mut extra = Vec::new();
        let correct: Option<usize> = self.correct.parse().ok().filter(|c: &usize| *c < 4);
        if correct.is_none() {
            extra.push(("correct".to_string(), "practice-pick-correct".to_string()));
        }
        let mut domains: Vec<Domain> = Domain::parse(&self.main_domain).into_iter().collect();
        for d in &self.also {
            if let Some(d) = Domain::parse(d) {
                if !domains.contains(&d) {
                    domains.push(d);
                }
            }
        }
        let item = Item {
            id: self.id.clone(),
            stem: self.stem.clone(),
            choices: self.options.iter().enumerate().map(|(i, t)| Choice { text: t.clone(), correct: Some(i) == correct }).collect(),
            answers: 1,
            rationale: self.rationale.clone(),
            categories: self.categories.clone(),
            domains,
            topics: self.topics.iter().filter_map(|t| Topic::parse(t)).collect(),
            difficulty: self.difficulty.parse().unwrap_or(0),
            status: Status::parse(&self.status).unwrap_or(Status::Draft),
        };
        (item, extra)
    }
}

#[derive(Template)]
#[template(path = "admin_question_form.html")]
pub struct QuestionFormPage {
    pub c: Chrome,
    pub f: QuestionForm,
    pub new: bool,
    pub errors: FormErrors,
    pub conflict: String,
    pub categories: Vec<(u8, &'static str, bool)>,
    pub domains: Vec<(&'static str, String, bool, bool)>,
    pub topics: Vec<(&'static str, &'static str, bool)>,
    pub options: Vec<(usize, String, String)>,
    pub correct: Vec<(usize, usize, bool)>,
    pub difficulties: Vec<(&'static str, String, bool)>,
}

fn form_page(app: &AppState, ctx: &Ctx, f: QuestionForm, new: bool, errors: FormErrors, conflict: String) -> PageResult {
    let status = if !conflict.is_empty() {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = QuestionFormPage {
        c: Chrome::new(app, Some(ctx), if new { "practice-q-new-title" } else { "practice-q-edit-title" }, "admin"),
        categories: (1..=12u8).map(|c| (c, roman(c), f.categories.contains(&c))).collect(),
        domains: Domain::ALL
            .iter()
            .map(|d| (d.code(), app.t.get(&format!("practice-domain-{}", d.code())), f.main_domain == d.code(), f.also.iter().any(|a| a == d.code())))
            .collect(),
        topics: Topic::ALL.iter().map(|t| (t.code(), t.label(), f.topics.iter().any(|x| x == t.code()))).collect(),
        options: (0..4).map(|i| (i + 1, format!("option_{}", i + 1), f.options[i].clone())).collect(),
        correct: (0..4).map(|i| (i, i + 1, f.correct == i.to_string())).collect(),
        difficulties: [("1", "practice-q-difficulty-1"), ("2", "practice-q-difficulty-2"), ("3", "practice-q-difficulty-3")]
            .into_iter()
            .map(|(v, k)| (v, app.t.get(k), f.difficulty == v))
            .collect(),
        f,
        new,
        errors,
        conflict,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /admin/questions/new`
pub async fn admin_new(State(app): State<AppState>, ctx: Ctx) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    let f = QuestionForm { status: "draft".into(), difficulty: "2".into(), ..QuestionForm::default() };
    form_page(&app, &ctx, f, true, FormErrors::default(), String::new())
}

/// `GET /admin/questions/{id}/edit`
pub async fn admin_edit(State(app): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    let q = app.store.practice_question(ctx.org(), &id).await?.ok_or(AppError::NotFound)?;
    form_page(&app, &ctx, QuestionForm::of(&q.item, q.version), false, FormErrors::default(), String::new())
}

async fn save_form(app: &AppState, ctx: &Ctx, pairs: Vec<(String, String)>, existing: Option<String>) -> PageResult {
    let mut f = QuestionForm::from_pairs(&pairs);
    if let Some(id) = &existing {
        f.id = id.clone();
    }
    let (item, extra) = f.to_item();
    let mut errors = std::collections::BTreeMap::new();
    for p in item.problems() {
        let key = match p.field {
            "choice_1" => "option_1",
            "choice_2" => "option_2",
            "choice_3" => "option_3",
            "choice_4" => "option_4",
            "answers" | "choices" if !extra.is_empty() => "correct",
            other => other,
        };
        errors.entry(key.to_string()).or_insert(p.detail);
    }
    for (k, msg) in extra {
        errors.insert(k, app.t.get(&msg));
    }
    if errors.is_empty() {
        let bank = app.store.practice_questions(ctx.org()).await?;
        if let Some((_, other)) = stem_clashes(&bank, std::slice::from_ref(&item)).into_iter().next() {
            errors.insert("stem".into(), app.t.get_with("practice-q-same-stem", &[("id", other.into())]));
        }
    }
    if !errors.is_empty() {
        return form_page(app, ctx, f, existing.is_none(), FormErrors(errors), String::new());
    }
    let expected = if existing.is_some() { Some(f.version.parse::<i64>().map_err(|_| AppError::BadRequest("the form is missing its version".into()))?) } else { None };
    match app.store.save_practice_question(ctx.org(), &item, expected, &ctx.who()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/questions?saved={}", item.id)).into_response()),
        Err(lantern_store::StoreError::Conflict(m)) => form_page(app, ctx, f, existing.is_none(), FormErrors::default(), m),
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/questions` — a new item.
pub async fn admin_create(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    save_form(&app, &ctx, form_pairs(&body)?, None).await
}

/// `POST /admin/questions/{id}` — a new version of an item (review status included).
pub async fn admin_update(State(app): State<AppState>, ctx: Ctx, Path(id): Path<String>, body: axum::body::Bytes) -> PageResult {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    app.store.practice_question(ctx.org(), &id).await?.ok_or(AppError::NotFound)?;
    save_form(&app, &ctx, form_pairs(&body)?, Some(id)).await
}

// ---------------------------------------------------------------- API

/// A question as the API shows it to a learner (without the answer).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeQuestionOut {
    pub id: String,
    pub stem: String,
    pub options: Vec<String>,
    /// How many options are correct (1 = choose one).
    pub answers: u8,
    /// Competency categories as roman numerals.
    pub categories: Vec<String>,
    /// IC&RC PR domains (the first is the main one).
    pub domains: Vec<String>,
    pub difficulty: u8,
}

fn question_out(item: &Item) -> PracticeQuestionOut {
    PracticeQuestionOut {
        id: item.id.clone(),
        stem: item.stem.clone(),
        options: item.choices.iter().map(|c| c.text.clone()).collect(),
        answers: item.answers,
        categories: item.categories.iter().map(|c| roman(*c).to_string()).collect(),
        domains: item.domains.iter().map(|d| d.code().to_string()).collect(),
        difficulty: item.difficulty,
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeNextOut {
    /// The next question, or none when today's practice is done.
    pub question: Option<PracticeQuestionOut>,
    /// "due" (a review) or "new".
    pub kind: Option<String>,
    /// Send back as `expect_reps` with the answer.
    pub reps: i64,
    /// When the next card falls due (UTC ms), if practice is done for now.
    pub next_due_ms: Option<i64>,
}

/// The next practice question of the caller (due reviews first, then new questions up to the daily limit, weak domains first).
#[utoipa::path(get, path = "/api/v1/practice/next", tag = "learning", operation_id = "practice_next",
    responses((status = 200, body = PracticeNextOut)), security(("bearer" = [])))]
pub async fn api_next(State(app): State<AppState>, ctx: Ctx) -> Result<Json<PracticeNextOut>, ApiError> {
    allow(&app, &ctx, LearningAction::Practice)?;
    Ok(Json(match app.store.next_practice(ctx.org(), ctx.user.id, srs::DEFAULT_DAILY_NEW).await? {
        NextPractice::Question { item, kind, reps } => PracticeNextOut {
            question: Some(question_out(&item)),
            kind: Some(if kind == CardKind::Due { "due" } else { "new" }.into()),
            reps,
            next_due_ms: None,
        },
        NextPractice::Done { next_due_ms } => PracticeNextOut { question: None, kind: None, reps: 0, next_due_ms },
    }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PracticeAnswerIn {
    pub question_id: String,
    /// Chosen option indexes (0-based).
    pub chosen: Vec<usize>,
    /// How it felt when right: "hard" or "easy" (default good). Wrong answers are always "again".
    #[serde(default)]
    pub felt: Option<String>,
    /// The `reps` the question was shown with; a repeated submit answers 409.
    #[serde(default)]
    pub expect_reps: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeAnswerOut {
    pub review_id: i64,
    pub correct: bool,
    pub correct_options: Vec<usize>,
    pub rationale: String,
    /// FSRS rating recorded: 1 again, 2 hard, 3 good, 4 easy.
    pub rating: i64,
    pub due_ms: i64,
    pub stability: f32,
    pub difficulty: f32,
}

/// Answers a practice question: records the review, schedules the card with FSRS, returns the rationale.
#[utoipa::path(post, path = "/api/v1/practice/answers", tag = "learning", operation_id = "practice_answer",
    request_body = PracticeAnswerIn,
    responses((status = 200, body = PracticeAnswerOut), (status = 409, description = "Already answered", content_type = "application/problem+json"),
        (status = 422, description = "No valid option chosen", content_type = "application/problem+json"),
        (status = 404, description = "No such reviewed question", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_answer(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<PracticeAnswerOut>, ApiError> {
    allow(&app, &ctx, LearningAction::Practice)?;
    let a: PracticeAnswerIn = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("the body is not an answer: {e}")))?;
    let felt = a.felt.as_deref().and_then(Rating::parse);
    let o = app.store.answer_practice(ctx.org(), ctx.user.id, &a.question_id, &a.chosen, felt, a.expect_reps, &ctx.who()).await?;
    Ok(Json(PracticeAnswerOut {
        review_id: o.review.id,
        correct: o.review.correct,
        correct_options: o.item.correct_indexes(),
        rationale: o.item.rationale.clone(),
        rating: o.review.rating,
        due_ms: o.state.due_ms,
        stability: o.state.stability,
        difficulty: o.state.difficulty,
    }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeDomainAccuracyOut {
    pub domain: String,
    pub correct: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeProgressOut {
    /// The last 30 days, per IC&RC PR domain.
    pub domains: Vec<PracticeDomainAccuracyOut>,
    pub cards: i64,
    pub due_now: i64,
    pub reviews_today: i64,
    pub new_today: i64,
    pub reviews_total: i64,
}

/// The caller's own practice progress.
#[utoipa::path(get, path = "/api/v1/practice/progress", tag = "learning", operation_id = "practice_progress",
    responses((status = 200, body = PracticeProgressOut)), security(("bearer" = [])))]
pub async fn api_progress(State(app): State<AppState>, ctx: Ctx) -> Result<Json<PracticeProgressOut>, ApiError> {
    allow(&app, &ctx, LearningAction::Practice)?;
    let p = app.store.practice_progress(ctx.org(), ctx.user.id).await?;
    Ok(Json(PracticeProgressOut {
        domains: p.domains.iter().map(|(d, a)| PracticeDomainAccuracyOut { domain: d.code().into(), correct: a.correct, total: a.total }).collect(),
        cards: p.cards,
        due_now: p.due_now,
        reviews_today: p.reviews_today,
        new_today: p.new_today,
        reviews_total: p.reviews_total,
    }))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamBlueprintOut {
    pub id: String,
    pub name: String,
    pub source: String,
    pub questions: u32,
    pub minutes: u32,
    pub pass_percent: u32,
    /// Domain code → questions in one attempt.
    pub domains: HashMap<String, u32>,
    /// Some weights are assumptions, not published figures.
    pub placeholder_weights: bool,
}

/// The mock-exam blueprints (domain weights are data; placeholders are labelled).
#[utoipa::path(get, path = "/api/v1/exams/blueprints", tag = "learning", operation_id = "exam_blueprints",
    responses((status = 200, body = [ExamBlueprintOut])), security(("bearer" = [])))]
pub async fn api_blueprints(State(app): State<AppState>, ctx: Ctx) -> Result<Json<Vec<ExamBlueprintOut>>, ApiError> {
    allow(&app, &ctx, LearningAction::Practice)?;
    Ok(Json(
        exam::shipped_blueprints()
            .iter()
            .map(|b| ExamBlueprintOut {
                id: b.id.clone(),
                name: b.name.clone(),
                source: b.source.clone(),
                questions: b.questions,
                minutes: b.minutes,
                pass_percent: b.pass_percent,
                domains: b.apportion().into_iter().map(|(d, n)| (d.code().to_string(), n)).collect(),
                placeholder_weights: b.has_placeholders(),
            })
            .collect(),
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExamStartIn {
    pub blueprint: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamQuestionOut {
    pub position: usize,
    pub question: PracticeQuestionOut,
    /// Only once the attempt is over: what was chosen, what was right, and why.
    pub chosen: Option<Vec<usize>>,
    pub correct_options: Option<Vec<usize>>,
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamDomainScoreOut {
    pub domain: String,
    pub correct: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamAttemptOut {
    pub id: i64,
    pub blueprint: String,
    pub started_ms: i64,
    pub deadline_ms: i64,
    pub finished_ms: Option<i64>,
    pub over: bool,
    /// The position to answer next while the attempt runs.
    pub next_position: Option<usize>,
    pub questions: Vec<ExamQuestionOut>,
    pub correct: Option<u32>,
    pub total: u32,
    pub passed: Option<bool>,
    pub domains: Vec<ExamDomainScoreOut>,
}

async fn exam_out(app: &AppState, exam: &Exam) -> Result<ExamAttemptOut, AppError> {
    let now = app.store.now_ms();
    let over = exam.is_over(now) || exam.next_position().is_none();
    let items = app.store.exam_items(exam).await?;
    let score = if over { Some(app.store.exam_score(exam).await?) } else { None };
    let questions = exam
        .questions
        .iter()
        .enumerate()
        .filter_map(|(p, id)| {
            let item = items.get(id)?;
            let ans = exam.answers.iter().find(|a| a.position == p as i64 && exam::answer_counts(exam.deadline_ms, a.answered_ms));
            Some(ExamQuestionOut {
                position: p,
                question: question_out(item),
                chosen: if over { Some(ans.map(|a| a.chosen.clone()).unwrap_or_default()) } else { None },
                correct_options: over.then(|| item.correct_indexes()),
                rationale: over.then(|| item.rationale.clone()),
            })
        })
        .collect();
    Ok(ExamAttemptOut {
        id: exam.id,
        blueprint: exam.blueprint.clone(),
        started_ms: exam.started_ms,
        deadline_ms: exam.deadline_ms,
        finished_ms: exam.finished_ms,
        over,
        next_position: if over { None } else { exam.next_position() },
        questions,
        correct: score.as_ref().map(|s| s.correct),
        total: exam.questions.len() as u32,
        passed: score.as_ref().map(|s| s.passed),
        domains: score
            .map(|s| s.domains.iter().map(|d| ExamDomainScoreOut { domain: d.domain.code().into(), correct: d.correct, total: d.total }).collect())
            .unwrap_or_default(),
    })
}

/// Starts a timed mock exam for the caller.
#[utoipa::path(post, path = "/api/v1/exams", tag = "learning", operation_id = "exam_start",
    request_body = ExamStartIn,
    responses((status = 200, body = ExamAttemptOut), (status = 400, description = "Unknown blueprint", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_start(State(app): State<AppState>, ctx: Ctx, body: axum::body::Bytes) -> Result<Json<ExamAttemptOut>, ApiError> {
    allow(&app, &ctx, LearningAction::Practice)?;
    let j: ExamStartIn = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("the body needs a blueprint: {e}")))?;
    let bp = exam::blueprint(&j.blueprint).ok_or_else(|| AppError::BadRequest(format!("unknown blueprint {}", j.blueprint)))?;
    let id = app.store.start_exam(ctx.org(), ctx.user.id, bp, &ctx.who()).await?;
    let exam = app.store.exam(ctx.org(), id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(exam_out(&app, &exam).await?))
}

/// One of the caller's own mock exams: questions while it runs; scores per domain, answers and rationales once it is over.
#[utoipa::path(get, path = "/api/v1/exams/{id}", tag = "learning", operation_id = "exam_get",
    params(("id" = i64, Path, description = "Attempt id")),
    responses((status = 200, body = ExamAttemptOut), (status = 404, description = "No such attempt of yours", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_exam(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<ExamAttemptOut>, ApiError> {
    let exam = own_exam(&app, &ctx, &raw).await?;
    Ok(Json(exam_out(&app, &exam).await?))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExamAnswerIn {
    pub position: usize,
    pub chosen: Vec<usize>,
}

/// Answers one question of a running attempt. After the deadline the answer is not counted (409) and the attempt closes.
#[utoipa::path(post, path = "/api/v1/exams/{id}/answers", tag = "learning", operation_id = "exam_answer",
    params(("id" = i64, Path, description = "Attempt id")),
    request_body = ExamAnswerIn,
    responses((status = 200, body = ExamAttemptOut), (status = 409, description = "Too late, or already answered", content_type = "application/problem+json"),
        (status = 404, description = "No such attempt of yours", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_exam_answer(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>, body: axum::body::Bytes) -> Result<Json<ExamAttemptOut>, ApiError> {
    let exam = own_exam(&app, &ctx, &raw).await?;
    let j: ExamAnswerIn = serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("the body is not an answer: {e}")))?;
    if app.store.answer_exam(&exam, j.position, &j.chosen, &ctx.who()).await? == ExamAnswerOutcome::Late {
        return Err(AppError::Conflict("the time for this exam is up; the answer was not counted".into()).into());
    }
    let fresh = app.store.exam(ctx.org(), exam.id).await?.ok_or(AppError::NotFound)?;
    if fresh.next_position().is_none() {
        app.store.finish_exam(&fresh, &ctx.who()).await?;
    }
    let fresh = app.store.exam(ctx.org(), exam.id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(exam_out(&app, &fresh).await?))
}

/// Finishes an attempt now.
#[utoipa::path(post, path = "/api/v1/exams/{id}/finish", tag = "learning", operation_id = "exam_finish",
    params(("id" = i64, Path, description = "Attempt id")),
    responses((status = 200, body = ExamAttemptOut), (status = 404, description = "No such attempt of yours", content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn api_finish(State(app): State<AppState>, ctx: Ctx, Path(raw): Path<String>) -> Result<Json<ExamAttemptOut>, ApiError> {
    let exam = own_exam(&app, &ctx, &raw).await?;
    app.store.finish_exam(&exam, &ctx.who()).await?;
    let fresh = app.store.exam(ctx.org(), exam.id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(exam_out(&app, &fresh).await?))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankQuestionOut {
    pub id: String,
    pub version: i64,
    pub status: String,
    pub question: PracticeQuestionOut,
    pub correct_options: Vec<usize>,
    pub rationale: String,
    pub topics: Vec<String>,
}

/// The organization's question bank with answers (admins).
#[utoipa::path(get, path = "/api/v1/questions", tag = "learning", operation_id = "questions_list",
    responses((status = 200, body = [BankQuestionOut])), security(("bearer" = [])))]
pub async fn api_questions(State(app): State<AppState>, ctx: Ctx) -> Result<Json<Vec<BankQuestionOut>>, ApiError> {
    allow(&app, &ctx, LearningAction::ManageBank)?;
    let qs = app.store.practice_questions(ctx.org()).await?;
    Ok(Json(
        qs.iter()
            .map(|q| BankQuestionOut {
                id: q.item.id.clone(),
                version: q.version,
                status: q.item.status.code().into(),
                question: question_out(&q.item),
                correct_options: q.item.correct_indexes(),
                rationale: q.item.rationale.clone(),
                topics: q.item.topics.iter().map(|t| t.code().to_string()).collect(),
            })
            .collect(),
    ))
}
