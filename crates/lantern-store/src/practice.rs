//! Practice questions, spaced repetition and mock exams (migration 0016).
//!
//! - The bank is per organization: seeded from `lantern_learning::shipped_bank()` at first use,
//!   then authored by admins (every save is a new version; draft → reviewed).
//! - The review log `practice_reviews` is append-only; `practice_cards` holds each learner's FSRS
//!   state, which `recompute_practice_cards` can rebuild from the log at any time.
//! - Mock exams keep the server-side start and deadline; answers after the deadline are refused
//!   and never counted.
//!
//! Practice data is the learner's own: every query here is by user id, and nothing lists
//! another learner's answers (supervisors see no practice data at all; see ARCHITECTURE.md).

use std::collections::HashMap;

use lantern_domain::validate::{FieldError, ValidationErrors};
use lantern_learning::exam::{self, Blueprint, Score};
use lantern_learning::srs::{self, Accuracy, CardState, Rating, Review, Scheduler};
use lantern_learning::{shipped_bank, Domain, Item, Status};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, NewEntry};
use crate::people::today_in;
use crate::users::Who;
use crate::{row, Result, Store, StoreError};

/// A stored question and its version.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredQuestion {
    pub item: Item,
    pub version: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardKind {
    Due,
    New,
}

/// What the practice page shows next.
#[derive(Debug, Clone, PartialEq)]
pub enum NextPractice {
    Question { item: Item, kind: CardKind, reps: i64 },
    Done { next_due_ms: Option<i64> },
}

/// A recorded answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRecord {
    pub id: i64,
    pub question_id: String,
    pub chosen: Vec<usize>,
    pub correct: bool,
    pub rating: i64,
    pub reviewed_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AnswerOutcome {
    pub review: ReviewRecord,
    pub item: Item,
    pub state: CardState,
}

/// A learner's own progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Accuracy in the last 30 days per domain.
    pub domains: Vec<(Domain, Accuracy)>,
    pub cards: i64,
    pub due_now: i64,
    pub reviews_today: i64,
    pub new_today: i64,
    pub reviews_total: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExamAnswer {
    pub position: i64,
    pub question_id: String,
    pub chosen: Vec<usize>,
    pub correct: bool,
    pub answered_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Exam {
    pub id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub blueprint: String,
    pub questions: Vec<String>,
    pub started_ms: i64,
    pub deadline_ms: i64,
    pub finished_ms: Option<i64>,
    pub answers: Vec<ExamAnswer>,
}

impl Exam {
    /// Finished by the learner, or out of time.
    pub fn is_over(&self, now_ms: i64) -> bool {
        self.finished_ms.is_some() || now_ms > self.deadline_ms
    }
    /// The first question not yet answered (None when all are).
    pub fn next_position(&self) -> Option<usize> {
        (0..self.questions.len()).find(|p| !self.answers.iter().any(|a| a.position == *p as i64))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExamSummary {
    pub id: i64,
    pub blueprint: String,
    pub started_ms: i64,
    pub deadline_ms: i64,
    pub finished_ms: Option<i64>,
    pub correct: Option<i64>,
    pub total: i64,
}

/// Whether a late answer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExamAnswerOutcome {
    Counted,
    Late,
}

pub const ACCURACY_WINDOW_MS: i64 = 30 * srs::DAY_MS;

fn chosen_text(chosen: &[usize]) -> String {
    chosen.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
}

fn chosen_parse(s: &str) -> Vec<usize> {
    s.split(',').filter_map(|x| x.trim().parse().ok()).collect()
}

fn item_from_json(s: &str) -> Result<Item> {
    serde_json::from_str(s).map_err(|e| StoreError::Refused(format!("a stored practice question cannot be read: {e}")))
}

fn item_json(item: &Item) -> String {
    serde_json::to_string(item).unwrap_or_default()
}

/// The learning crate's problems as the domain's field errors.
pub fn validation_of(problems: &[lantern_learning::Problem]) -> ValidationErrors {
    ValidationErrors(problems.iter().map(|p| FieldError::new(p.field, "practice-invalid", p.detail.clone())).collect())
}

fn check_chosen(chosen: &[usize]) -> Result<()> {
    if chosen.is_empty() || chosen.iter().any(|c| *c >= lantern_learning::item::OPTION_COUNT) {
        let mut v = ValidationErrors::default();
        v.push(FieldError::new("choice", "practice-choose", "choose one of the options"));
        return Err(StoreError::Invalid(v));
    }
    Ok(())
}

fn card_from(r: &AnyRow) -> Result<CardState> {
    Ok(CardState {
        stability: r.try_get::<f64, _>("stability")? as f32,
        difficulty: r.try_get::<f64, _>("difficulty")? as f32,
        last_review_ms: row::i(r, "last_review_ms")?,
        due_ms: row::i(r, "due_ms")?,
        reps: row::i(r, "reps")? as u32,
        lapses: row::i(r, "lapses")? as u32,
    })
}

fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

async fn upsert_card(conn: &mut sqlx::AnyConnection, org_id: i64, user_id: i64, question: &str, domain: Domain, s: &CardState) -> Result<()> {
    sqlx::query(
        "INSERT INTO practice_cards (user_id, question_id, org_id, domain, stability, difficulty, last_review_ms, due_ms, reps, lapses)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (user_id, question_id) DO UPDATE SET domain = excluded.domain, stability = excluded.stability,
           difficulty = excluded.difficulty, last_review_ms = excluded.last_review_ms, due_ms = excluded.due_ms,
           reps = excluded.reps, lapses = excluded.lapses",
    )
    .bind(user_id)
    .bind(question)
    .bind(org_id)
    .bind(domain.code())
    .bind(s.stability as f64)
    .bind(s.difficulty as f64)
    .bind(s.last_review_ms)
    .bind(s.due_ms)
    .bind(s.reps as i64)
    .bind(s.lapses as i64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Seeds an organization's bank from the shipped bank the first time it is used.
    pub async fn ensure_practice_bank(&self, org_id: i64) -> Result<()> {
        let seeded: Option<i64> =
            sqlx::query_scalar("SELECT items FROM practice_bank_seeded WHERE org_id = $1").bind(org_id).fetch_optional(self.pool()).await?;
        if seeded.is_some() {
            return Ok(());
        }
        let now = self.now_ms();
        let bank = shipped_bank();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query("INSERT INTO practice_bank_seeded (org_id, seeded_ms, items) VALUES ($1, $2, $3) ON CONFLICT (org_id) DO NOTHING")
            .bind(org_id)
            .bind(now)
            .bind(bank.items.len() as i64)
            .execute(&mut *tx)
            .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(());
        }
        for item in &bank.items {
            sqlx::query(
                "INSERT INTO practice_questions (org_id, id, status, domain, item_json, version, updated_by, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, 1, NULL, $6) ON CONFLICT (org_id, id) DO NOTHING",
            )
            .bind(org_id)
            .bind(&item.id)
            .bind(item.status.code())
            .bind(item.primary_domain().code())
            .bind(item_json(item))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: None, action: "practice.bank_seed".into(), person_id: None,
            object_type: "practice_bank".into(), object_id: org_id.to_string(), outcome: "ok".into(), ip: String::new(),
            reason: format!("{} shipped item(s)", bank.items.len()),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every question of an organization's bank, by id.
    pub async fn practice_questions(&self, org_id: i64) -> Result<Vec<StoredQuestion>> {
        self.ensure_practice_bank(org_id).await?;
        let rows = sqlx::query("SELECT item_json, version, updated_ms FROM practice_questions WHERE org_id = $1 ORDER BY id")
            .bind(org_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok(StoredQuestion { item: item_from_json(&row::s(r, "item_json")?)?, version: row::i(r, "version")?, updated_ms: row::i(r, "updated_ms")? }))
            .collect()
    }

    pub async fn practice_question(&self, org_id: i64, id: &str) -> Result<Option<StoredQuestion>> {
        self.ensure_practice_bank(org_id).await?;
        let r = sqlx::query("SELECT item_json, version, updated_ms FROM practice_questions WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| Ok(StoredQuestion { item: item_from_json(&row::s(&r, "item_json")?)?, version: row::i(&r, "version")?, updated_ms: row::i(&r, "updated_ms")? }))
            .transpose()
    }

    async fn items_by_id(&self, org_id: i64, ids: &[String]) -> Result<HashMap<String, Item>> {
        let mut out = HashMap::new();
        // Small sets (an exam is at most 200 questions): one query for the bank is simplest.
        let rows = sqlx::query("SELECT id, item_json FROM practice_questions WHERE org_id = $1").bind(org_id).fetch_all(self.pool()).await?;
        for r in rows {
            let id = row::s(&r, "id")?;
            if ids.contains(&id) {
                out.insert(id, item_from_json(&row::s(&r, "item_json")?)?);
            }
        }
        Ok(out)
    }

    /// Creates (`expected_version` None) or updates a question (audited). A changed version in
    /// between is a conflict; an invalid item is refused with every problem named.
    pub async fn save_practice_question(&self, org_id: i64, item: &Item, expected_version: Option<i64>, who: &Who) -> Result<i64> {
        let problems = item.problems();
        if !problems.is_empty() {
            return Err(StoreError::Invalid(validation_of(&problems)));
        }
        self.ensure_practice_bank(org_id).await?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let current: Option<i64> = sqlx::query_scalar("SELECT version FROM practice_questions WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(&item.id)
            .fetch_optional(&mut *tx)
            .await?;
        let version = match (current, expected_version) {
            (None, None) => {
                sqlx::query(
                    "INSERT INTO practice_questions (org_id, id, status, domain, item_json, version, updated_by, updated_ms)
                     VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
                )
                .bind(org_id)
                .bind(&item.id)
                .bind(item.status.code())
                .bind(item.primary_domain().code())
                .bind(item_json(item))
                .bind(who.actor_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                1
            }
            (Some(_), None) => return Err(StoreError::Conflict(format!("a question with the id {} already exists", item.id))),
            (None, Some(_)) => return Err(StoreError::NotFound),
            (Some(cur), Some(exp)) if cur != exp => {
                return Err(StoreError::Conflict(format!("the question was changed by someone else (now version {cur})")))
            }
            (Some(cur), Some(_)) => {
                sqlx::query(
                    "UPDATE practice_questions SET status = $3, domain = $4, item_json = $5, version = $6, updated_by = $7, updated_ms = $8
                     WHERE org_id = $1 AND id = $2",
                )
                .bind(org_id)
                .bind(&item.id)
                .bind(item.status.code())
                .bind(item.primary_domain().code())
                .bind(item_json(item))
                .bind(cur + 1)
                .bind(who.actor_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                cur + 1
            }
        };
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "practice.question_save".into(), person_id: None,
            object_type: "practice_question".into(), object_id: format!("{}/{version}", item.id), outcome: "ok".into(), ip: who.ip.clone(),
            reason: item.status.code().into(),
        })
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Imports items (already validated by the caller) as drafts: new ids are added, existing ones
    /// get a new version. All or nothing, one audit row. Returns (added, updated).
    pub async fn import_practice_questions(&self, org_id: i64, items: &[Item], who: &Who) -> Result<(usize, usize)> {
        let problems: Vec<_> = items.iter().flat_map(|i| i.problems()).collect();
        if !problems.is_empty() {
            return Err(StoreError::Invalid(validation_of(&problems)));
        }
        self.ensure_practice_bank(org_id).await?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let (mut added, mut updated) = (0, 0);
        for item in items {
            let item = Item { status: Status::Draft, ..item.clone() };
            let current: Option<i64> = sqlx::query_scalar("SELECT version FROM practice_questions WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(&item.id)
                .fetch_optional(&mut *tx)
                .await?;
            let sql = if current.is_some() {
                updated += 1;
                "UPDATE practice_questions SET status = $3, domain = $4, item_json = $5, version = $6, updated_by = $7, updated_ms = $8
                 WHERE org_id = $1 AND id = $2"
            } else {
                added += 1;
                "INSERT INTO practice_questions (org_id, id, status, domain, item_json, version, updated_by, updated_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            };
            sqlx::query(sql)
                .bind(org_id)
                .bind(&item.id)
                .bind(item.status.code())
                .bind(item.primary_domain().code())
                .bind(item_json(&item))
                .bind(current.unwrap_or(0) + 1)
                .bind(who.actor_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "practice.import".into(), person_id: None,
            object_type: "practice_bank".into(), object_id: org_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("{added} added, {updated} updated (as drafts)"),
        })
        .await?;
        tx.commit().await?;
        Ok((added, updated))
    }

    /// Records that the bank was exported (the export itself is built by the caller).
    pub async fn record_practice_export(&self, org_id: i64, count: usize, who: &Who) -> Result<()> {
        self.record_event(NewEntry {
            org_id, ts_ms: self.now_ms(), actor_id: who.actor_id, action: "practice.export".into(), person_id: None,
            object_type: "practice_bank".into(), object_id: org_id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("{count} item(s), Moodle XML"),
        })
        .await
    }

    async fn start_of_day(&self, org_id: i64, now: i64) -> Result<i64> {
        let org = self.org_cached(org_id).await?;
        let tz = jiff::tz::TimeZone::get(&org.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let day = today_in(&org.time_zone, now);
        Ok(day.to_zoned(tz).map(|z| z.timestamp().as_millisecond()).unwrap_or(now - now.rem_euclid(srs::DAY_MS)))
    }

    /// Accuracy per domain over the last 30 days.
    pub async fn practice_accuracy(&self, user_id: i64, now: i64) -> Result<Vec<(Domain, Accuracy)>> {
        let rows = sqlx::query(
            "SELECT domain, CAST(SUM(correct) AS BIGINT) AS c, COUNT(*) AS n FROM practice_reviews
             WHERE user_id = $1 AND reviewed_ms >= $2 GROUP BY domain",
        )
        .bind(user_id)
        .bind(now - ACCURACY_WINDOW_MS)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(d) = Domain::parse(&row::s(&r, "domain")?) {
                out.push((d, Accuracy { correct: row::i(&r, "c")? as u32, total: row::i(&r, "n")? as u32 }));
            }
        }
        Ok(out)
    }

    /// The daily queue: the earliest due card, else a new question from a weak domain while
    /// today's new questions are under `daily_new`, else done.
    pub async fn next_practice(&self, org_id: i64, user_id: i64, daily_new: u32) -> Result<NextPractice> {
        self.ensure_practice_bank(org_id).await?;
        let now = self.now_ms();
        let due = sqlx::query(
            "SELECT c.question_id, c.due_ms, c.reps FROM practice_cards c
             JOIN practice_questions q ON q.org_id = c.org_id AND q.id = c.question_id AND q.status = 'reviewed'
             WHERE c.user_id = $1 ORDER BY c.due_ms LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        let earliest = match &due {
            Some(r) => Some((row::s(r, "question_id")?, row::i(r, "due_ms")?, row::i(r, "reps")?)),
            None => None,
        };
        if let Some((id, due_ms, reps)) = &earliest {
            if *due_ms <= now {
                if let Some(q) = self.practice_question(org_id, id).await? {
                    return Ok(NextPractice::Question { item: q.item, kind: CardKind::Due, reps: *reps });
                }
            }
        }
        let day_start = self.start_of_day(org_id, now).await?;
        let new_today: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM practice_reviews WHERE user_id = $1 AND reviewed_ms >= $2 AND first_review = 1",
        )
        .bind(user_id)
        .bind(day_start)
        .fetch_one(self.pool())
        .await?;
        if new_today < daily_new as i64 {
            let accuracy = self.practice_accuracy(user_id, now).await?;
            let seed = mix((user_id as u64) << 20 ^ (day_start as u64 / 1000) ^ new_today as u64);
            for d in srs::weak_domain_order(&accuracy, seed) {
                let ids: Vec<String> = sqlx::query_scalar(
                    "SELECT q.id FROM practice_questions q WHERE q.org_id = $1 AND q.status = 'reviewed' AND q.domain = $2
                     AND NOT EXISTS (SELECT 1 FROM practice_cards c WHERE c.user_id = $3 AND c.question_id = q.id) ORDER BY q.id",
                )
                .bind(org_id)
                .bind(d.code())
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
                if !ids.is_empty() {
                    let pick = &ids[(mix(seed ^ 0x5eed) % ids.len() as u64) as usize];
                    if let Some(q) = self.practice_question(org_id, pick).await? {
                        return Ok(NextPractice::Question { item: q.item, kind: CardKind::New, reps: 0 });
                    }
                }
            }
        }
        Ok(NextPractice::Done { next_due_ms: earliest.map(|e| e.1) })
    }

    /// Records an answer: the review row (append-only), the new FSRS card state and the audit row,
    /// in one transaction. `expect_reps` (the card's answer count when the question was shown)
    /// turns a repeated submit of the same page into a conflict instead of a second review.
    pub async fn answer_practice(
        &self,
        org_id: i64,
        user_id: i64,
        question_id: &str,
        chosen: &[usize],
        felt: Option<Rating>,
        expect_reps: Option<i64>,
        who: &Who,
    ) -> Result<AnswerOutcome> {
        check_chosen(chosen)?;
        self.ensure_practice_bank(org_id).await?;
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let q = sqlx::query("SELECT item_json, status FROM practice_questions WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(question_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if row::s(&q, "status")? != Status::Reviewed.code() {
            return Err(StoreError::NotFound);
        }
        let item = item_from_json(&row::s(&q, "item_json")?)?;
        let prev = sqlx::query(
            "SELECT stability, difficulty, last_review_ms, due_ms, reps, lapses FROM practice_cards WHERE user_id = $1 AND question_id = $2",
        )
        .bind(user_id)
        .bind(question_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| card_from(&r))
        .transpose()?;
        let reps = prev.map_or(0, |p| p.reps as i64);
        if let Some(e) = expect_reps {
            if e != reps {
                return Err(StoreError::Conflict("this question was already answered".into()));
            }
        }
        let correct = item.is_correct(chosen);
        let rating = Rating::for_answer(correct, felt);
        let state = Scheduler::default().review(prev.as_ref(), rating, now);
        let domain = item.primary_domain();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO practice_reviews (org_id, user_id, question_id, domain, rating, correct, chosen, first_review, reviewed_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(question_id)
        .bind(domain.code())
        .bind(rating as i64)
        .bind(i64::from(correct))
        .bind(chosen_text(chosen))
        .bind(i64::from(prev.is_none()))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        upsert_card(&mut tx, org_id, user_id, question_id, domain, &state).await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "practice.answer".into(), person_id: None,
            object_type: "practice_question".into(), object_id: question_id.into(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        let mut chosen = chosen.to_vec();
        chosen.sort_unstable();
        chosen.dedup();
        Ok(AnswerOutcome {
            review: ReviewRecord { id, question_id: question_id.into(), chosen, correct, rating: rating as i64, reviewed_ms: now },
            item,
            state,
        })
    }

    /// One of the learner's own answers (None if it is not theirs).
    pub async fn practice_review(&self, user_id: i64, review_id: i64) -> Result<Option<ReviewRecord>> {
        let r = sqlx::query("SELECT id, question_id, chosen, correct, rating, reviewed_ms FROM practice_reviews WHERE id = $1 AND user_id = $2")
            .bind(review_id)
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| {
            Ok(ReviewRecord {
                id: row::i(&r, "id")?,
                question_id: row::s(&r, "question_id")?,
                chosen: chosen_parse(&row::s(&r, "chosen")?),
                correct: row::i(&r, "correct")? == 1,
                rating: row::i(&r, "rating")?,
                reviewed_ms: row::i(&r, "reviewed_ms")?,
            })
        })
        .transpose()
    }

    /// A card's stored state.
    pub async fn practice_card(&self, user_id: i64, question_id: &str) -> Result<Option<CardState>> {
        let r = sqlx::query(
            "SELECT stability, difficulty, last_review_ms, due_ms, reps, lapses FROM practice_cards WHERE user_id = $1 AND question_id = $2",
        )
        .bind(user_id)
        .bind(question_id)
        .fetch_optional(self.pool())
        .await?;
        r.map(|r| card_from(&r)).transpose()
    }

    /// A card's review log, in order.
    pub async fn practice_log(&self, user_id: i64, question_id: &str) -> Result<Vec<Review>> {
        let rows = sqlx::query("SELECT rating, reviewed_ms FROM practice_reviews WHERE user_id = $1 AND question_id = $2 ORDER BY id")
            .bind(user_id)
            .bind(question_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let rating = Rating::from_u8(row::i(r, "rating")? as u8).unwrap_or(Rating::Again);
                Ok(Review { rating, at_ms: row::i(r, "reviewed_ms")? })
            })
            .collect()
    }

    /// Rebuilds every card of a learner from the review log (e.g. after an FSRS upgrade) and
    /// returns how many cards it wrote.
    pub async fn recompute_practice_cards(&self, org_id: i64, user_id: i64) -> Result<usize> {
        let rows = sqlx::query("SELECT question_id, domain, rating, reviewed_ms FROM practice_reviews WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        let mut logs: HashMap<String, (Domain, Vec<Review>)> = HashMap::new();
        for r in &rows {
            let d = Domain::parse(&row::s(r, "domain")?).unwrap_or(Domain::EthicalResponsibility);
            let rating = Rating::from_u8(row::i(r, "rating")? as u8).unwrap_or(Rating::Again);
            logs.entry(row::s(r, "question_id")?).or_insert_with(|| (d, Vec::new())).1.push(Review { rating, at_ms: row::i(r, "reviewed_ms")? });
        }
        let s = Scheduler::default();
        let mut tx = self.begin_write().await?;
        for (q, (d, log)) in &logs {
            if let Some(state) = s.replay(log) {
                upsert_card(&mut tx, org_id, user_id, q, *d, &state).await?;
            }
        }
        tx.commit().await?;
        Ok(logs.len())
    }

    /// The learner's own progress.
    pub async fn practice_progress(&self, org_id: i64, user_id: i64) -> Result<Progress> {
        let now = self.now_ms();
        let day_start = self.start_of_day(org_id, now).await?;
        let cards: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practice_cards WHERE user_id = $1").bind(user_id).fetch_one(self.pool()).await?;
        let due_now: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practice_cards WHERE user_id = $1 AND due_ms <= $2")
            .bind(user_id)
            .bind(now)
            .fetch_one(self.pool())
            .await?;
        let today = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(first_review), 0) AS BIGINT) AS f FROM practice_reviews WHERE user_id = $1 AND reviewed_ms >= $2",
        )
        .bind(user_id)
        .bind(day_start)
        .fetch_one(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM practice_reviews WHERE user_id = $1").bind(user_id).fetch_one(self.pool()).await?;
        Ok(Progress {
            domains: self.practice_accuracy(user_id, now).await?,
            cards,
            due_now,
            reviews_today: row::i(&today, "n")?,
            new_today: row::i(&today, "f")?,
            reviews_total: total,
        })
    }

    /// Starts a mock exam from a shipped blueprint (audited) and returns its id.
    pub async fn start_exam(&self, org_id: i64, user_id: i64, bp: &Blueprint, who: &Who) -> Result<i64> {
        let now = self.now_ms();
        let items: Vec<Item> = self.practice_questions(org_id).await?.into_iter().map(|q| q.item).collect();
        let seed = mix(now as u64 ^ (user_id as u64) << 32);
        let ids = exam::assemble(&items, bp, seed).map_err(|e| StoreError::Refused(e.to_string()))?;
        let deadline = now + bp.minutes as i64 * 60_000;
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO practice_exams (org_id, user_id, blueprint, question_ids, started_ms, deadline_ms, finished_ms, correct, total)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, $7) RETURNING id",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(&bp.id)
        .bind(ids.join("\n"))
        .bind(now)
        .bind(deadline)
        .bind(ids.len() as i64)
        .fetch_one(&mut *tx)
        .await?;
        append(&mut tx, &NewEntry {
            org_id, ts_ms: now, actor_id: who.actor_id, action: "practice.exam_start".into(), person_id: None,
            object_type: "practice_exam".into(), object_id: id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: bp.id.clone(),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An exam attempt with its answers (the caller decides who may see it, via the policy).
    pub async fn exam(&self, org_id: i64, exam_id: i64) -> Result<Option<Exam>> {
        let Some(r) = sqlx::query(
            "SELECT id, org_id, user_id, blueprint, question_ids, started_ms, deadline_ms, finished_ms FROM practice_exams WHERE id = $1 AND org_id = $2",
        )
        .bind(exam_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let answers = sqlx::query("SELECT position, question_id, chosen, correct, answered_ms FROM practice_exam_answers WHERE exam_id = $1 ORDER BY position")
            .bind(exam_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|a| {
                Ok(ExamAnswer {
                    position: row::i(a, "position")?,
                    question_id: row::s(a, "question_id")?,
                    chosen: chosen_parse(&row::s(a, "chosen")?),
                    correct: row::i(a, "correct")? == 1,
                    answered_ms: row::i(a, "answered_ms")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Exam {
            id: row::i(&r, "id")?,
            org_id: row::i(&r, "org_id")?,
            user_id: row::i(&r, "user_id")?,
            blueprint: row::s(&r, "blueprint")?,
            questions: row::s(&r, "question_ids")?.lines().map(str::to_string).collect(),
            started_ms: row::i(&r, "started_ms")?,
            deadline_ms: row::i(&r, "deadline_ms")?,
            finished_ms: row::oi(&r, "finished_ms")?,
            answers,
        }))
    }

    /// The questions of an exam, by id.
    pub async fn exam_items(&self, exam: &Exam) -> Result<HashMap<String, Item>> {
        self.items_by_id(exam.org_id, &exam.questions).await
    }

    /// Per-domain score of an attempt: only answers given by the deadline count.
    pub async fn exam_score(&self, exam: &Exam) -> Result<Score> {
        let items = self.exam_items(exam).await?;
        let pass = exam::blueprint(&exam.blueprint).map_or(70, |b| b.pass_percent);
        let qs: Vec<(Domain, bool)> = exam
            .questions
            .iter()
            .enumerate()
            .map(|(p, id)| {
                let d = items.get(id).map_or(Domain::EthicalResponsibility, |i| i.primary_domain());
                let ok = exam
                    .answers
                    .iter()
                    .any(|a| a.position == p as i64 && a.correct && exam::answer_counts(exam.deadline_ms, a.answered_ms));
                (d, ok)
            })
            .collect();
        Ok(exam::score(&qs, pass))
    }

    /// Answers one question of an attempt. After the deadline nothing is stored and the attempt
    /// is closed (`Late`); an already answered position is a conflict.
    pub async fn answer_exam(&self, exam: &Exam, position: usize, chosen: &[usize], who: &Who) -> Result<ExamAnswerOutcome> {
        check_chosen(chosen)?;
        let now = self.now_ms();
        let qid = exam.questions.get(position).ok_or(StoreError::NotFound)?;
        if exam.finished_ms.is_some() {
            return Err(StoreError::Conflict("this exam is finished".into()));
        }
        if !exam::answer_counts(exam.deadline_ms, now) {
            self.finish_exam(exam, who).await?;
            return Ok(ExamAnswerOutcome::Late);
        }
        let items = self.items_by_id(exam.org_id, std::slice::from_ref(qid)).await?;
        let correct = items.get(qid).is_some_and(|i| i.is_correct(chosen));
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO practice_exam_answers (exam_id, position, question_id, chosen, correct, answered_ms) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (exam_id, position) DO NOTHING",
        )
        .bind(exam.id)
        .bind(position as i64)
        .bind(qid)
        .bind(chosen_text(chosen))
        .bind(i64::from(correct))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("this question was already answered".into()));
        }
        append(&mut tx, &NewEntry {
            org_id: exam.org_id, ts_ms: now, actor_id: who.actor_id, action: "practice.exam_answer".into(), person_id: None,
            object_type: "practice_exam".into(), object_id: format!("{}/{position}", exam.id), outcome: "ok".into(), ip: who.ip.clone(),
            reason: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(ExamAnswerOutcome::Counted)
    }

    /// Closes an attempt and stores its score (idempotent).
    pub async fn finish_exam(&self, exam: &Exam, who: &Who) -> Result<()> {
        if exam.finished_ms.is_some() {
            return Ok(());
        }
        let now = self.now_ms();
        let score = self.exam_score(exam).await?;
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE practice_exams SET finished_ms = $2, correct = $3 WHERE id = $1 AND finished_ms IS NULL")
            .bind(exam.id)
            .bind(now.min(exam.deadline_ms))
            .bind(score.correct as i64)
            .execute(&mut *tx)
            .await?;
        append(&mut tx, &NewEntry {
            org_id: exam.org_id, ts_ms: now, actor_id: who.actor_id, action: "practice.exam_finish".into(), person_id: None,
            object_type: "practice_exam".into(), object_id: exam.id.to_string(), outcome: "ok".into(), ip: who.ip.clone(),
            reason: format!("{}/{}", score.correct, score.total),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A learner's own attempts, newest first.
    pub async fn exams_of(&self, user_id: i64) -> Result<Vec<ExamSummary>> {
        let rows = sqlx::query(
            "SELECT id, blueprint, started_ms, deadline_ms, finished_ms, correct, total FROM practice_exams WHERE user_id = $1 ORDER BY started_ms DESC, id DESC LIMIT 50",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExamSummary {
                    id: row::i(r, "id")?,
                    blueprint: row::s(r, "blueprint")?,
                    started_ms: row::i(r, "started_ms")?,
                    deadline_ms: row::i(r, "deadline_ms")?,
                    finished_ms: row::oi(r, "finished_ms")?,
                    correct: row::oi(r, "correct")?,
                    total: row::i(r, "total")?,
                })
            })
            .collect()
    }
}
