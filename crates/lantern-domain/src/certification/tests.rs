//! Renewal rules: every shipped rule with worked examples, and properties over generated records.

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

fn t(id: i64, on: Date, hours: f64, cats: &[(&str, f64)], course: &str) -> Training {
    Training {
        id,
        title: format!("Course {id}"),
        provider: "Provider".into(),
        completed_on: Some(on),
        minutes: (hours * 60.0).round() as i64,
        category_minutes: cats.iter().map(|(k, h)| (k.to_string(), (h * 60.0).round() as i64)).collect(),
        course_id: course.into(),
        has_certificate: true,
        ..Default::default()
    }
}

fn h(hours: f64) -> i64 {
    (hours * 60.0).round() as i64
}

#[test]
fn every_shipped_rule_is_valid_names_its_source_and_is_unique() {
    let rules = shipped_rules();
    assert!(rules.len() >= 5, "IC&RC PR and at least four state rules");
    assert!(rule("icrc-pr").is_some());
    let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rules.len());
    for r in rules {
        assert!(r.source.url.starts_with("https://"), "{}", r.id);
        assert!(!r.jurisdiction.is_empty());
        // A rule that leaves anything to assumption says so.
        assert!(!r.unknowns.is_empty(), "{} lists what its source leaves open", r.id);
    }
}

#[test]
fn icrc_pr_eight_of_twenty_hours_two_of_six_ethics() {
    let r = rule("icrc-pr").unwrap();
    let cert = date(2024, 3, 15);
    let exp = r.expiry_for(cert, date(2025, 10, 26));
    assert_eq!(exp, date(2026, 3, 15), "two years after certification");
    let trainings = vec![
        t(1, date(2024, 5, 1), 6.0, &[], "A"),
        t(2, date(2025, 1, 10), 2.0, &[("ethics", 2.0)], "B"),
        t(3, date(2024, 3, 14), 3.0, &[("ethics", 3.0)], "C"), // the day before certification: not this period
    ];
    let p = progress(r, cert, exp, &trainings, date(2025, 10, 26));
    assert_eq!(p.period, Period { start: cert, end: exp });
    assert_eq!(p.earned_minutes, h(8.0));
    assert_eq!(p.required_minutes, Some(h(20.0)));
    assert_eq!(p.minimums[0].earned_minutes, h(2.0));
    assert_eq!(p.minimums[0].required_minutes, h(6.0));
    assert_eq!(p.missing_total_minutes(), h(12.0));
    assert_eq!(p.days_left, 140);
    assert_eq!(p.reminder, Reminder::None);
    assert!(!p.complete());
    assert_eq!(p.trainings.len(), 2, "the out-of-period course is not listed");
}

#[test]
fn period_boundaries_include_both_ends() {
    let r = rule("icrc-pr").unwrap();
    let cert = date(2022, 6, 1);
    let exp = date(2026, 6, 1); // second period
    let p = progress(
        r,
        cert,
        exp,
        &[
            t(1, date(2024, 6, 1), 1.0, &[], ""), // last day of the first period
            t(2, date(2024, 6, 2), 2.0, &[], ""), // first day of this period
            t(3, date(2026, 6, 1), 4.0, &[], ""), // last day of this period
            t(4, date(2026, 6, 2), 8.0, &[], ""), // after
        ],
        date(2026, 1, 1),
    );
    assert_eq!(p.period, Period { start: date(2024, 6, 2), end: date(2026, 6, 1) });
    assert_eq!(p.earned_minutes, h(6.0));
}

#[test]
fn leap_day_certification() {
    let r = rule("icrc-pr").unwrap();
    let cert = date(2024, 2, 29);
    assert_eq!(r.expiry_for(cert, date(2024, 3, 1)), date(2026, 2, 28));
    assert_eq!(r.expiry_for(cert, date(2026, 3, 1)), date(2028, 2, 29));
    let second = r.period_ending(date(2028, 2, 29), cert);
    assert_eq!(second.start, date(2026, 3, 1), "the day after the first period's end");
    // Nebraska's 1 September is every year's day; Georgia's 31 December too.
    let ne = rule("ne-peer").unwrap();
    assert_eq!(ne.period_ending(date(2025, 9, 1), date(2020, 1, 1)).start, date(2023, 9, 2));
}

#[test]
fn oregon_counts_ethics_boundaries_and_self_care_together() {
    let r = rule("or-mhacbo-prc").unwrap();
    let cert = date(2024, 1, 10);
    let exp = r.expiry_for(cert, date(2024, 6, 1));
    let tr = vec![
        t(1, date(2024, 2, 1), 2.0, &[("ethics", 2.0)], ""),
        t(2, date(2024, 3, 1), 3.0, &[("boundaries", 1.0), ("self_care", 2.0)], ""),
        t(3, date(2024, 4, 1), 15.0, &[("peer", 15.0)], ""),
    ];
    let p = progress(r, cert, exp, &tr, date(2025, 1, 1));
    assert_eq!(p.minimums[0].earned_minutes, h(5.0));
    assert_eq!(p.minimums[0].missing_minutes(), h(1.0));
    assert_eq!(p.earned_minutes, h(20.0));
    assert!(!p.complete(), "20 hours are not enough without the 6 in ethics, boundaries or self-care");
}

#[test]
fn nebraska_odd_year_expiry_waiver_and_same_course_once() {
    let r = rule("ne-peer").unwrap();
    // Certified less than 12 months before 1 Sept 2025: that renewal needs no hours.
    let cert = date(2024, 10, 1);
    let exp = r.expiry_for(cert, date(2024, 11, 1));
    assert_eq!(exp, date(2025, 9, 1));
    let p = progress(r, cert, exp, &[], date(2025, 3, 1));
    assert_eq!(p.waived, Some(WaiverReason::CertifiedWithin { months: 12 }));
    assert!(p.complete());
    assert_eq!(p.missing_total_minutes(), 0);
    // Certified 13 months before: hours are due; the period starts on certification.
    let cert = date(2024, 8, 1);
    assert_eq!(r.waiver_for(date(2025, 9, 1), cert), None);
    // The next period ends in 2027 (odd years only).
    assert_eq!(r.expiry_for(cert, date(2025, 9, 2)), date(2027, 9, 1));
    // The same course twice in one period counts once (the first completion); in the next period again.
    let tr = vec![
        t(1, date(2025, 10, 1), 6.0, &[("ethics", 6.0)], "NE-ETH-101"),
        t(2, date(2026, 4, 1), 6.0, &[("ethics", 6.0)], " ne-eth-101 "),
        t(3, date(2027, 10, 1), 6.0, &[("ethics", 6.0)], "NE-ETH-101"),
    ];
    let p = progress(r, cert, date(2027, 9, 1), &tr, date(2026, 5, 1));
    assert_eq!(p.earned_minutes, h(6.0));
    assert_eq!(p.minimums[0].earned_minutes, h(6.0));
    let second = p.trainings.iter().find(|s| s.id == 2).unwrap();
    assert_eq!(second.not_counted, Some(NotCounted::SameCourse { counted_id: 1 }));
    let next = progress(r, cert, date(2029, 9, 1), &tr, date(2028, 1, 1));
    assert_eq!(next.earned_minutes, h(6.0), "a new period counts the course again");
}

#[test]
fn texas_three_hours_of_ethics_and_twenty_in_all() {
    let r = rule("tx-peer").unwrap();
    let cert = date(2023, 5, 5);
    let exp = date(2025, 5, 5);
    let tr = vec![t(1, date(2024, 1, 1), 17.0, &[("peer", 17.0)], ""), t(2, date(2025, 5, 5), 3.0, &[("ethics", 3.0)], "")];
    let p = progress(r, cert, exp, &tr, date(2025, 4, 20));
    assert!(p.complete());
    assert_eq!(p.reminder, Reminder::Within30);
    // A record without how it was delivered lacks evidence Texas asks for.
    assert!(p.trainings[0].missing_evidence.contains(&"delivery".to_string()));
}

#[test]
fn pennsylvania_peer_and_ethics_minimums_of_thirty_six() {
    let r = rule("pa-cps").unwrap();
    let cert = date(2024, 7, 1);
    let exp = r.expiry_for(cert, date(2024, 7, 1));
    assert_eq!(exp, date(2026, 7, 1));
    let tr = vec![t(1, date(2024, 9, 1), 20.0, &[("peer", 20.0)], ""), t(2, date(2025, 9, 1), 16.0, &[("ethics", 3.0), ("peer", 2.0)], "")];
    let p = progress(r, cert, exp, &tr, date(2026, 4, 10));
    assert_eq!(p.earned_minutes, h(36.0));
    let peer = p.minimums.iter().find(|m| m.key == "peer").unwrap();
    assert_eq!(peer.missing_minutes(), h(2.0));
    assert!(!p.complete());
    assert_eq!(p.reminder, Reminder::Within90);
}

#[test]
fn georgia_calendar_year_first_year_waived_and_no_carry_over() {
    let r = rule("ga-cps").unwrap();
    let cert = date(2025, 6, 10);
    let exp = r.expiry_for(cert, date(2025, 6, 10));
    assert_eq!(exp, date(2025, 12, 31));
    let tr = vec![t(1, date(2025, 8, 1), 20.0, &[], "")];
    let first = progress(r, cert, exp, &tr, date(2025, 7, 1));
    assert_eq!(first.waived, Some(WaiverReason::FirstPeriod), "counting starts the year after the exam");
    assert_eq!(first.period.start, cert);
    let exp2 = r.expiry_for(cert, date(2026, 1, 1));
    assert_eq!(exp2, date(2026, 12, 31));
    let second = progress(r, cert, exp2, &tr, date(2026, 1, 1));
    assert_eq!(second.waived, None);
    assert_eq!(second.period.start, date(2026, 1, 1));
    assert_eq!(second.earned_minutes, 0, "the 2025 surplus does not carry over");
    assert_eq!(second.carried_in_minutes, 0);
    // 2028 is a leap year: the period is still 1 Jan – 31 Dec.
    assert_eq!(r.period_ending(date(2028, 12, 31), cert).start, date(2028, 1, 1));
}

#[test]
fn carry_over_moves_surplus_up_to_the_limit_into_the_total_only() {
    let mut r = rule("icrc-pr").unwrap().clone();
    r.carry_over = Some(CarryOver { max_hours: 10.0 });
    let cert = date(2020, 1, 1);
    let exp = date(2024, 1, 1);
    let prev = |hours: f64| vec![t(1, date(2021, 1, 1), hours, &[("ethics", 6.0)], "X"), t(2, date(2023, 1, 1), 1.0, &[], "")];
    let p = progress(&r, cert, exp, &prev(30.0), date(2023, 6, 1));
    assert_eq!(p.carried_in_minutes, h(10.0), "30 earned, 20 needed: 10 carried (the limit)");
    assert_eq!(p.earned_minutes, h(11.0));
    assert_eq!(p.minimums[0].earned_minutes, 0, "carry-over never fills a category minimum");
    let p = progress(&r, cert, exp, &prev(25.0), date(2023, 6, 1));
    assert_eq!(p.carried_in_minutes, h(5.0));
    let p = progress(&r, cert, exp, &prev(12.0), date(2023, 6, 1));
    assert_eq!(p.carried_in_minutes, 0);
    // The first period has nothing to carry from.
    let p = progress(&r, cert, date(2022, 1, 1), &prev(30.0), date(2021, 6, 1));
    assert_eq!(p.carried_in_minutes, 0);
}

#[test]
fn reminders_at_ninety_and_thirty_days() {
    assert_eq!(Reminder::for_days_left(91), Reminder::None);
    assert_eq!(Reminder::for_days_left(90), Reminder::Within90);
    assert_eq!(Reminder::for_days_left(31), Reminder::Within90);
    assert_eq!(Reminder::for_days_left(30), Reminder::Within30);
    assert_eq!(Reminder::for_days_left(0), Reminder::Within30);
    assert_eq!(Reminder::for_days_left(-1), Reminder::Expired);
}

#[test]
fn hours_are_read_and_shown_plainly() {
    assert_eq!(parse_hours("1.5"), Some(90));
    assert_eq!(parse_hours(" 2 "), Some(120));
    assert_eq!(parse_hours("0,25"), Some(15));
    assert_eq!(parse_hours("-1"), None);
    assert_eq!(parse_hours("many"), None);
    assert_eq!(parse_hours("NaN"), None);
    assert_eq!(hours_text(90), "1.5");
    assert_eq!(hours_text(1200), "20");
    assert_eq!(hours_text(20), "0.33");
}

#[test]
fn bad_rule_files_are_refused_with_every_reason() {
    let bad = r#"{"id":"Bad","version":1,"board":"b","credential":"c","jurisdiction":"j","period_months":0,
      "anchor":{"kind":"fixed_date","month":2,"day":30,"parity":"odd"},"total_hours":5,
      "minimums":[{"key":"e","label":"E","hours":6,"counts":["astrology"]}],"waiver":{"kind":"none"},
      "same_course_once_per_period":true,"evidence_fields":["shoe_size"],"source":{"name":"","url":""}}"#;
    let e = parse_rule(bad).unwrap_err().0;
    for needle in ["id:", "period_months", "anchor: month/day", "minimums.e: more hours", "unknown category astrology", "shoe_size", "source:"] {
        assert!(e.iter().any(|m| m.contains(needle)), "{needle} in {e:?}");
    }
    assert!(parse_rule("{").is_err());
}

fn any_date() -> impl Strategy<Value = Date> {
    // 2019-01-01 .. about 2031, leap years 2020, 2024, 2028 included.
    (0i32..4500).prop_map(|d| date(2019, 1, 1).checked_add(Span::new().days(d)).unwrap())
}

fn any_training() -> impl Strategy<Value = Training> {
    (1i64..10_000, any_date(), 0i64..1200, 0i64..600, prop::sample::select(vec!["", "A", "B", "c"]))
        .prop_map(|(id, on, minutes, ethics, course)| Training {
            id,
            completed_on: Some(on),
            minutes,
            category_minutes: vec![("ethics".into(), ethics.min(minutes))],
            course_id: course.into(),
            title: "x".into(),
            ..Default::default()
        })
}

proptest! {
    /// The period the anchor gives contains the day asked about, is at most one period long,
    /// and never starts before certification — for every shipped rule, across leap years.
    #[test]
    fn expiry_and_period_agree(cert in any_date(), later in 0i32..3000, idx in 0usize..6) {
        let r = &shipped_rules()[idx % shipped_rules().len()];
        let as_of = cert.checked_add(Span::new().days(later)).unwrap();
        let exp = r.expiry_for(cert, as_of);
        prop_assert!(exp >= as_of);
        let p = r.period_ending(exp, cert);
        prop_assert!(p.contains(as_of), "{:?} contains {}", p, as_of);
        prop_assert!(p.start >= cert);
        prop_assert!(p.start <= p.end);
        let longest = cert.checked_add(Span::new().months(r.period_months)).unwrap();
        prop_assert!((p.end - p.start).get_days() <= (longest - cert).get_days() + 1);
        // Consecutive periods touch: the next one starts the day after this one ends.
        let next = r.expiry_for(cert, exp.checked_add(Span::new().days(1)).unwrap());
        prop_assert_eq!(r.period_ending(next, cert).start, exp.checked_add(Span::new().days(1)).unwrap());
    }

    /// Progress does not depend on the order records come in, never counts more than the
    /// period's records, and a new course in the period never lowers it.
    #[test]
    fn progress_is_order_free_bounded_and_monotone(mut ts in prop::collection::vec(any_training(), 0..25), cert in any_date(), idx in 0usize..6, extra in 1i64..600) {
        for (i, x) in ts.iter_mut().enumerate() { x.id = i as i64 + 1; }
        let r = &shipped_rules()[idx % shipped_rules().len()];
        let exp = r.expiry_for(cert, cert.checked_add(Span::new().days(400)).unwrap());
        let as_of = exp;
        let a = progress(r, cert, exp, &ts, as_of);
        let mut rev = ts.clone();
        rev.reverse();
        let b = progress(r, cert, exp, &rev, as_of);
        prop_assert_eq!(a.earned_minutes, b.earned_minutes);
        prop_assert_eq!(&a.minimums, &b.minimums);
        let in_period: i64 = ts.iter().filter(|x| a.period.contains(x.completed_on.unwrap())).map(|x| x.minutes).sum();
        prop_assert!(a.earned_minutes - a.carried_in_minutes <= in_period);
        for m in &a.minimums { prop_assert!(m.earned_minutes <= a.earned_minutes); }
        let mut more = ts.clone();
        more.push(Training { id: 99_999, completed_on: Some(a.period.end), minutes: extra, course_id: "fresh".into(), ..Default::default() });
        let c = progress(r, cert, exp, &more, as_of);
        prop_assert_eq!(c.earned_minutes, a.earned_minutes + extra);
    }
}

#[test]
fn credentials_and_trainings_are_checked_field_by_field() {
    let today = date(2025, 6, 1);
    let c = parse_credential(&CredentialInput { rule_id: "ne-peer".into(), certified_on: "2024-08-01".into(), ..Default::default() }, today).unwrap();
    assert_eq!(c.expires_on, date(2025, 9, 1), "derived from the rule when not given");
    let e = parse_credential(&CredentialInput { rule_id: "nope".into(), certified_on: "2030-01-01".into(), expires_on: "2020-01-01".into(), ..Default::default() }, today).unwrap_err();
    for f in ["rule_id", "certified_on", "expires_on"] {
        assert!(e.for_field(f).is_some(), "{f}: {e:?}");
    }
    let ok = parse_training(
        &TrainingInput { title: "Ethics in peer work".into(), completed_on: "2025-05-01".into(), hours: "3".into(), category_hours: vec![("ethics".into(), "2.5".into()), ("peer".into(), "".into())], ..Default::default() },
        today,
    )
    .unwrap();
    assert_eq!(ok.minutes, 180);
    assert_eq!(ok.category_minutes, vec![("ethics".to_string(), 150)]);
    let e = parse_training(
        &TrainingInput { title: " ".into(), completed_on: "yesterday".into(), hours: "0".into(), category_hours: vec![("ethics".into(), "x".into())], delivery: "carrier pigeon".into(), ..Default::default() },
        today,
    )
    .unwrap_err();
    for f in ["title", "completed_on", "hours", "hours_ethics", "delivery"] {
        assert!(e.for_field(f).is_some(), "{f}: {e:?}");
    }
    let e = parse_training(&TrainingInput { title: "T".into(), completed_on: "2025-05-01".into(), hours: "1".into(), category_hours: vec![("ethics".into(), "2".into())], ..Default::default() }, today).unwrap_err();
    assert_eq!(e.for_field("hours").unwrap().key, "certs-error-split");
    assert_eq!(decode_categories(&encode_categories(&ok.category_minutes)), ok.category_minutes);
}

#[test]
fn certificates_are_known_by_their_first_bytes() {
    assert_eq!(check_certificate(b"%PDF-1.7\n...").unwrap(), "application/pdf");
    assert_eq!(check_certificate(b"\x89PNG\r\n\x1a\n....").unwrap(), "image/png");
    assert_eq!(check_certificate(&[0xFF, 0xD8, 0xFF, 0xE0, 1]).unwrap(), "image/jpeg");
    assert_eq!(check_certificate(b"").unwrap_err().key, "certs-error-file-empty");
    assert_eq!(check_certificate(b"MZ\x90\x00 an exe named cert.pdf").unwrap_err().key, "certs-error-file-type");
    let mut big = b"%PDF-".to_vec();
    big.resize(MAX_CERTIFICATE_BYTES + 1, b' ');
    assert_eq!(check_certificate(&big).unwrap_err().key, "certs-error-file-large");
}

/// Found by `expiry_and_period_agree`: two-year periods from a leap-day certification touch.
#[test]
fn leap_day_certification_periods_touch() {
    for r in shipped_rules().iter().filter(|r| r.anchor == Anchor::CertificationDate) {
        let cert = date(2024, 2, 29);
        let exp = r.expiry_for(cert, cert.checked_add(Span::new().days(731)).unwrap());
        let next = r.expiry_for(cert, exp.checked_add(Span::new().days(1)).unwrap());
        assert_eq!(r.period_ending(next, cert).start, exp.checked_add(Span::new().days(1)).unwrap(), "{}", r.id);
    }
}
