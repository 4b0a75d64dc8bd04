//! Synthetic practice history: learners who practised every day with FSRS, for the demo
//! (`specialist@demo` and `specialist2@demo`, the last six weeks) and for the benchmark
//! (`Store::generate_practice_history`, e.g. 100 learners × 2 years). Answers are simulated
//! (right about 80% of the time, less in one weak domain) and scheduled by the real scheduler,
//! so the review log and the card states agree exactly. Written with multi-row inserts.

use std::collections::HashMap;

use lantern_learning::srs::{CardState, Rating, Scheduler, DAY_MS};
use lantern_learning::{shipped_bank, Domain};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Result, Store};

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PracticeSummary {
    pub learners: usize,
    pub reviews: usize,
    pub cards: usize,
}

struct Row {
    user: i64,
    q: String,
    domain: &'static str,
    rating: i64,
    correct: i64,
    chosen: String,
    first: i64,
    at: i64,
}

async fn flush_reviews(tx: &mut sqlx::AnyConnection, org_id: i64, rows: &mut Vec<Row>) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO practice_reviews (org_id, user_id, question_id, domain, rating, correct, chosen, first_review, reviewed_ms) VALUES ");
    for i in 0..rows.len() {
        let b = i * 9;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${},${},${},${},${},${},${},${},${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9));
    }
    let mut q = sqlx::query(&sql);
    for r in rows.iter() {
        q = q.bind(org_id).bind(r.user).bind(r.q.clone()).bind(r.domain).bind(r.rating).bind(r.correct).bind(r.chosen.clone()).bind(r.first).bind(r.at);
    }
    q.execute(&mut *tx).await?;
    rows.clear();
    Ok(())
}

impl Store {
    /// Simulates `days` of daily practice (up to `per_day` answers a day, new questions as the
    /// daily limit allows) for each learner, ending `end_ms`, and stores the log and the cards.
    pub async fn generate_practice_history(&self, org_id: i64, learners: &[i64], days: i64, per_day: usize, end_ms: i64, seed: u64) -> Result<PracticeSummary> {
        self.ensure_practice_bank(org_id).await?;
        let bank = shipped_bank();
        let sched = Scheduler::default();
        let mut out = PracticeSummary { learners: learners.len(), ..Default::default() };
        for (li, &user) in learners.iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (li as u64).wrapping_mul(0x9E37_79B9));
            let weak = Domain::ALL[li % 4];
            let mut cards: HashMap<usize, CardState> = HashMap::new();
            let mut order: Vec<usize> = (0..bank.items.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.gen_range(0..=i));
            }
            let mut next_new = 0;
            let mut rows = Vec::new();
            let mut tx = self.begin_write().await?;
            let start = end_ms - days * DAY_MS;
            for d in 0..days {
                let mut at = start + d * DAY_MS + rng.gen_range(0..4 * 3_600_000);
                let mut due: Vec<usize> = cards.iter().filter(|(_, c)| c.due_ms <= at).map(|(i, _)| *i).collect();
                due.sort_by_key(|i| cards[i].due_ms);
                let mut todo: Vec<(usize, bool)> = due.into_iter().take(per_day).map(|i| (i, false)).collect();
                let mut new_today = 0;
                while todo.len() < per_day && new_today < 15 && next_new < order.len() {
                    todo.push((order[next_new], true));
                    next_new += 1;
                    new_today += 1;
                }
                for (i, first) in todo {
                    let item = &bank.items[i];
                    let p = if item.primary_domain() == weak { 0.6 } else { 0.85 };
                    let correct = rng.gen_bool(p);
                    let right = item.correct_indexes()[0];
                    let chosen = if correct { right } else { (right + 1 + rng.gen_range(0..3)) % 4 };
                    let rating = Rating::for_answer(correct, None);
                    let state = sched.review(cards.get(&i), rating, at);
                    cards.insert(i, state);
                    rows.push(Row { user, q: item.id.clone(), domain: item.primary_domain().code(), rating: rating as i64, correct: i64::from(correct), chosen: chosen.to_string(), first: i64::from(first), at });
                    at += rng.gen_range(20_000..90_000);
                    if rows.len() >= 400 {
                        out.reviews += rows.len();
                        flush_reviews(&mut tx, org_id, &mut rows).await?;
                    }
                }
            }
            out.reviews += rows.len();
            flush_reviews(&mut tx, org_id, &mut rows).await?;
            let list: Vec<(&usize, &CardState)> = cards.iter().collect();
            for chunk in list.chunks(300) {
                let mut sql = String::from("INSERT INTO practice_cards (user_id, question_id, org_id, domain, stability, difficulty, last_review_ms, due_ms, reps, lapses) VALUES ");
                for k in 0..chunk.len() {
                    let b = k * 10;
                    if k > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!("(${},${},${},${},${},${},${},${},${},${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10));
                }
                let mut q = sqlx::query(&sql);
                for (i, c) in chunk {
                    let item = &bank.items[**i];
                    q = q.bind(user).bind(item.id.clone()).bind(org_id).bind(item.primary_domain().code()).bind(c.stability as f64).bind(c.difficulty as f64).bind(c.last_review_ms).bind(c.due_ms).bind(c.reps as i64).bind(c.lapses as i64);
                }
                q.execute(&mut *tx).await?;
            }
            out.cards += cards.len();
            tx.commit().await?;
        }
        Ok(out)
    }
}
