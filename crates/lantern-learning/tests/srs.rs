//! FSRS: our scheduling agrees with the `fsrs` crate's own results for recorded review histories,
//! and replaying the review log reproduces the states stored after each answer.

use lantern_learning::srs::{self, Accuracy, CardState, Next, Rating, Review, Scheduler, DAY_MS};
use lantern_learning::Domain;
use proptest::prelude::*;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// Recorded histories: (days since the first review, rating).
fn histories() -> Vec<Vec<(i64, Rating)>> {
    use Rating::*;
    vec![
        vec![(0, Good)],
        vec![(0, Good), (2, Good), (10, Good), (35, Good)],
        vec![(0, Again), (0, Good), (1, Good), (5, Hard), (12, Easy)],
        vec![(0, Easy), (9, Again), (9, Good), (11, Good), (30, Good), (90, Good)],
        vec![(0, Hard), (1, Hard), (3, Again), (3, Again), (4, Good), (400, Good)],
    ]
}

fn log(h: &[(i64, Rating)]) -> Vec<Review> {
    h.iter().map(|&(d, r)| Review { rating: r, at_ms: T0 + d * DAY_MS + 3_600_000 }).collect()
}

#[test]
fn memory_states_agree_with_the_crates_own_history_computation() {
    let s = Scheduler::default();
    for h in histories() {
        let reviews = log(&h);
        // Our state after each review, one answer at a time (as the app stores them).
        let mut ours = Vec::new();
        let mut state: Option<CardState> = None;
        for r in &reviews {
            let next = s.review(state.as_ref(), r.rating, r.at_ms);
            ours.push(next);
            state = Some(next);
        }
        // The crate's own: FSRSItem with delta_t in whole days between reviews.
        let mut items = Vec::new();
        let mut prev: Option<i64> = None;
        for r in &reviews {
            let delta_t = prev.map_or(0, |p| srs::elapsed_days(p, r.at_ms));
            items.push(fsrs::FSRSReview { rating: r.rating as u32, delta_t });
            prev = Some(r.at_ms);
        }
        let theirs = s.fsrs().historical_memory_states(fsrs::FSRSItem { reviews: items.clone() }, None).unwrap();
        assert_eq!(ours.len(), theirs.len());
        for (o, t) in ours.iter().zip(&theirs) {
            assert!((o.stability - t.stability).abs() < 1e-4, "{h:?}: {o:?} vs {t:?}");
            assert!((o.difficulty - t.difficulty).abs() < 1e-4, "{h:?}: {o:?} vs {t:?}");
        }
        let last = s.fsrs().memory_state(fsrs::FSRSItem { reviews: items }, None).unwrap();
        assert!((ours.last().unwrap().stability - last.stability).abs() < 1e-4);
        // Intervals: what the crate schedules for the final stability, rounded to whole days.
        let o = ours.last().unwrap();
        let r = h.last().unwrap().1;
        let want = srs::interval_ms(r, s.fsrs().next_interval(Some(o.stability), srs::DESIRED_RETENTION, r as u32));
        assert_eq!(o.due_ms - o.last_review_ms, want, "{h:?}");
    }
}

#[test]
fn first_review_matches_the_documented_default_intervals() {
    // fsrs 6.6.2's documented first-review states with default parameters: good 2.3065 days.
    let s = Scheduler::default();
    let good = s.review(None, Rating::Good, T0);
    assert!((good.stability - 2.3065).abs() < 1e-3, "{good:?}");
    assert_eq!(good.due_ms, T0 + 2 * DAY_MS);
    let easy = s.review(None, Rating::Easy, T0);
    assert_eq!(easy.due_ms, T0 + 8 * DAY_MS);
    let again = s.review(None, Rating::Again, T0);
    assert_eq!(again.due_ms, T0 + srs::RELEARN_MS);
}

fn rating() -> impl Strategy<Value = Rating> {
    prop_oneof![Just(Rating::Again), Just(Rating::Hard), Just(Rating::Good), Just(Rating::Easy)]
}

proptest! {
    #[test]
    fn replaying_the_log_reproduces_the_stored_state(steps in proptest::collection::vec((0i64..40 * DAY_MS, rating()), 1..25)) {
        let s = Scheduler::default();
        let mut at = T0;
        let mut stored: Option<CardState> = None;
        let mut reviews = Vec::new();
        for (gap, r) in steps {
            at += gap;
            stored = Some(s.review(stored.as_ref(), r, at));
            reviews.push(Review { rating: r, at_ms: at });
        }
        prop_assert_eq!(s.replay(&reviews), stored);
        let st = stored.unwrap();
        prop_assert!(st.due_ms > st.last_review_ms);
        prop_assert_eq!(st.reps as usize, reviews.len());
    }
}

#[test]
fn answer_ratings() {
    assert_eq!(Rating::for_answer(false, Some(Rating::Easy)), Rating::Again);
    assert_eq!(Rating::for_answer(true, None), Rating::Good);
    assert_eq!(Rating::for_answer(true, Some(Rating::Hard)), Rating::Hard);
    assert_eq!(Rating::for_answer(true, Some(Rating::Again)), Rating::Good);
}

#[test]
fn queue_due_first_then_new_up_to_the_daily_limit() {
    let order = [Domain::Advocacy, Domain::EthicalResponsibility];
    let new = |d: Domain| (d == Domain::EthicalResponsibility).then(|| "pq-12-01".to_string());
    assert_eq!(srs::next_question(Some(("a".into(), T0)), T0, 0, 10, &order, new), Next::Due("a".into()));
    assert_eq!(srs::next_question(Some(("a".into(), T0 + 1)), T0, 0, 10, &order, new), Next::New("pq-12-01".into()));
    assert_eq!(
        srs::next_question(Some(("a".into(), T0 + 1)), T0, 10, 10, &order, new),
        Next::Done { next_due_ms: Some(T0 + 1) }
    );
    assert_eq!(srs::next_question(None, T0, 0, 10, &order, |_| None), Next::Done { next_due_ms: None });
}

#[test]
fn weak_domains_are_drawn_more_often() {
    let acc = [
        (Domain::Advocacy, Accuracy { correct: 2, total: 10 }),
        (Domain::MentoringEducation, Accuracy { correct: 9, total: 10 }),
        (Domain::RecoveryWellness, Accuracy { correct: 9, total: 10 }),
        (Domain::EthicalResponsibility, Accuracy { correct: 9, total: 10 }),
    ];
    let mut first = std::collections::HashMap::new();
    for seed in 0..4000u64 {
        let order = srs::weak_domain_order(&acc, seed);
        assert_eq!(order.len(), 4);
        *first.entry(order[0]).or_insert(0) += 1;
    }
    let weak = first[&Domain::Advocacy];
    for d in [Domain::MentoringEducation, Domain::RecoveryWellness, Domain::EthicalResponsibility] {
        assert!(weak > 2 * first[&d], "{first:?}");
        assert!(first[&d] > 0, "strong domains still come up: {first:?}");
    }
    // The fallback order after the draw is weakest first.
    let order = srs::weak_domain_order(&acc, 1);
    if order[0] != Domain::Advocacy {
        assert_eq!(order[1], Domain::Advocacy);
    }
}
