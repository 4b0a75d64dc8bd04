//! Spaced repetition with FSRS (the `fsrs` crate, pinned to 6.6.2, its default FSRS-6
//! parameters, desired retention 0.9; only its scheduler is used, no training).
//!
//! A practice answer is a review: wrong = Again, right = Good (or the learner's own Hard / Easy).
//! The review log (card, rating, time) is the source of truth: [`Scheduler::replay`] recomputes a
//! card's state from it, and that must equal the state stored after each answer.

use crate::item::Domain;
use serde::{Deserialize, Serialize};

pub const DESIRED_RETENTION: f32 = 0.9;
pub const DAY_MS: i64 = 86_400_000;
/// A card answered wrongly comes back in the same session after this long.
pub const RELEARN_MS: i64 = 10 * 60 * 1000;
/// New questions introduced per day unless the learner chooses otherwise.
pub const DEFAULT_DAILY_NEW: u32 = 15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rating {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Rating {
    pub fn from_u8(n: u8) -> Option<Rating> {
        match n {
            1 => Some(Rating::Again),
            2 => Some(Rating::Hard),
            3 => Some(Rating::Good),
            4 => Some(Rating::Easy),
            _ => None,
        }
    }
    pub fn parse(s: &str) -> Option<Rating> {
        match s {
            "again" => Some(Rating::Again),
            "hard" => Some(Rating::Hard),
            "good" => Some(Rating::Good),
            "easy" => Some(Rating::Easy),
            _ => None,
        }
    }
    /// The rating of an answer: wrong is always Again; right is Good unless the learner said
    /// it was hard or easy.
    pub fn for_answer(correct: bool, felt: Option<Rating>) -> Rating {
        match (correct, felt) {
            (false, _) => Rating::Again,
            (true, Some(r @ (Rating::Hard | Rating::Easy))) => r,
            (true, _) => Rating::Good,
        }
    }
}

/// One entry of the review log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub rating: Rating,
    pub at_ms: i64,
}

/// A learner's state for one question.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CardState {
    pub stability: f32,
    pub difficulty: f32,
    pub last_review_ms: i64,
    pub due_ms: i64,
    pub reps: u32,
    pub lapses: u32,
}

#[derive(Debug, Clone)]
pub struct Scheduler {
    fsrs: fsrs::FSRS,
    retention: f32,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler { fsrs: fsrs::FSRS::default(), retention: DESIRED_RETENTION }
    }
}

/// Whole days between two instants (FSRS counts days; same-day reviews are 0).
pub fn elapsed_days(from_ms: i64, to_ms: i64) -> u32 {
    ((to_ms - from_ms).max(0) / DAY_MS) as u32
}

impl Scheduler {
    pub fn fsrs(&self) -> &fsrs::FSRS {
        &self.fsrs
    }

    /// The state after answering, from the state before (None for a new card).
    pub fn review(&self, prev: Option<&CardState>, rating: Rating, at_ms: i64) -> CardState {
        let days = prev.map(|p| elapsed_days(p.last_review_ms, at_ms)).unwrap_or(0);
        let memory = prev.map(|p| fsrs::MemoryState { stability: p.stability, difficulty: p.difficulty });
        let (stability, difficulty, interval) = match self.fsrs.next_states(memory, self.retention, days) {
            Ok(next) => {
                let s = match rating {
                    Rating::Again => next.again,
                    Rating::Hard => next.hard,
                    Rating::Good => next.good,
                    Rating::Easy => next.easy,
                };
                (s.memory.stability, s.memory.difficulty, s.interval)
            }
            // Only reachable with a corrupted stored state: start the card again.
            Err(_) => (0.5, 5.0, 1.0),
        };
        CardState {
            stability,
            difficulty,
            last_review_ms: at_ms,
            due_ms: at_ms + interval_ms(rating, interval),
            reps: prev.map_or(0, |p| p.reps) + 1,
            lapses: prev.map_or(0, |p| p.lapses) + u32::from(rating == Rating::Again && prev.is_some()),
        }
    }

    /// Recomputes a card's state from its review log (in time order).
    pub fn replay(&self, reviews: &[Review]) -> Option<CardState> {
        let mut state: Option<CardState> = None;
        for r in reviews {
            state = Some(self.review(state.as_ref(), r.rating, r.at_ms));
        }
        state
    }

    /// The FSRS interval in days for a stability (what the crate itself would schedule).
    pub fn interval_days(&self, stability: f32) -> f32 {
        self.fsrs.next_interval(Some(stability), self.retention, 3)
    }
}

/// Wrong answers come back in this session; otherwise the FSRS interval rounded to whole days, at
/// least one.
pub fn interval_ms(rating: Rating, interval_days: f32) -> i64 {
    if rating == Rating::Again {
        RELEARN_MS
    } else {
        (interval_days.round().max(1.0) as i64) * DAY_MS
    }
}

/// Recent accuracy in one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Accuracy {
    pub correct: u32,
    pub total: u32,
}

impl Accuracy {
    /// Smoothed so that an untried domain counts as 50% rather than 0% or 100%.
    pub fn smoothed(self) -> f64 {
        (self.correct as f64 + 1.0) / (self.total as f64 + 2.0)
    }
}

/// How much more often new questions come from each domain: 0.1 + (1 − smoothed accuracy), so a
/// domain at 20% is drawn about twice as often as one at 70%.
pub fn domain_weights(accuracy: &[(Domain, Accuracy)]) -> Vec<(Domain, f64)> {
    Domain::ALL
        .iter()
        .map(|&d| {
            let a = accuracy.iter().find(|(x, _)| *x == d).map(|(_, a)| *a).unwrap_or_default();
            (d, 0.1 + (1.0 - a.smoothed()))
        })
        .collect()
}

/// The domain order for the next new question: a weighted draw (by [`domain_weights`]) decided by
/// `seed`, then the other domains from weakest to strongest (used when the drawn domain has no
/// new questions left).
pub fn weak_domain_order(accuracy: &[(Domain, Accuracy)], seed: u64) -> Vec<Domain> {
    let weights = domain_weights(accuracy);
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    // SplitMix64 step: a well-spread number from a small seed.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let mut x = (z >> 11) as f64 / (1u64 << 53) as f64 * total;
    let mut first = weights[weights.len() - 1].0;
    for (d, w) in &weights {
        if x < *w {
            first = *d;
            break;
        }
        x -= w;
    }
    let mut rest = weights.clone();
    rest.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
    let mut order = vec![first];
    order.extend(rest.into_iter().map(|(d, _)| d).filter(|d| *d != first));
    order
}

/// What to practise next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A card that is due (the earliest first).
    Due(String),
    /// A new question, from the weakest domain that has one.
    New(String),
    /// Nothing due and today's new questions are done; the next card falls due then (if any).
    Done { next_due_ms: Option<i64> },
}

/// The daily queue: due cards first, then new ones up to the daily limit. `new_by_domain` gives,
/// per domain, the first question the learner has never seen (if any).
pub fn next_question(
    earliest_due: Option<(String, i64)>,
    now_ms: i64,
    new_today: u32,
    daily_new: u32,
    domain_order: &[Domain],
    new_by_domain: impl Fn(Domain) -> Option<String>,
) -> Next {
    if let Some((id, due)) = &earliest_due {
        if *due <= now_ms {
            return Next::Due(id.clone());
        }
    }
    if new_today < daily_new {
        for d in domain_order {
            if let Some(id) = new_by_domain(*d) {
                return Next::New(id);
            }
        }
    }
    Next::Done { next_due_ms: earliest_due.map(|(_, d)| d) }
}
