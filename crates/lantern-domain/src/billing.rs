//! Billing units as pure functions: minutes → units, per-day caps.
//!
//! A payer's rule says how minutes of service become billable units of a
//! service code (H0038 is "per 15 minutes"):
//! - `Whole`: only whole units count (29 minutes of a 15-minute code is 1 unit);
//! - `MoreThanHalf`: the "8-minute rule" per service: a unit is billed once more
//!   than half of it is delivered (8 minutes → 1 unit, 23 minutes → 2 units);
//! - `CmsCumulative`: the CMS cumulative rule: the minutes of one person's
//!   services under one code on one day are added up first, then the
//!   more-than-half rule is applied to the total.
//!
//! Caps (e.g. 16 units a day per person per code, or a number of units per
//! provider per day) never drop minutes silently: units beyond a cap are
//! recorded as over the cap, not billed. Allocation over a day is ordered by
//! the services' start times (then ids), never by the order notes were signed,
//! so a day's totals are the same whoever signs first.

use std::collections::BTreeMap;

/// How minutes become units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitRule {
    Whole,
    MoreThanHalf,
    CmsCumulative,
}

impl UnitRule {
    pub const ALL: [UnitRule; 3] = [UnitRule::Whole, UnitRule::MoreThanHalf, UnitRule::CmsCumulative];

    pub fn code(self) -> &'static str {
        match self {
            UnitRule::Whole => "whole",
            UnitRule::MoreThanHalf => "more_than_half",
            UnitRule::CmsCumulative => "cms_cumulative",
        }
    }

    pub fn parse(s: &str) -> Option<UnitRule> {
        UnitRule::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// Units for one service's minutes under a per-service rule. Under the
/// cumulative rule a single service is counted as if it were the day's only one.
pub fn units_for_minutes(minutes: i64, unit_minutes: i64, rule: UnitRule) -> i64 {
    if minutes <= 0 || unit_minutes <= 0 {
        return 0;
    }
    match rule {
        UnitRule::Whole => minutes / unit_minutes,
        // More than half a unit: 15-minute units bill from 8 minutes (8 > 7.5).
        UnitRule::MoreThanHalf | UnitRule::CmsCumulative => {
            let whole = minutes / unit_minutes;
            let rest = minutes % unit_minutes;
            whole + i64::from(2 * rest > unit_minutes)
        }
    }
}

/// Daily limits. `None` means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Caps {
    /// Units per person per service code per day (e.g. 16 for H0038).
    pub per_person_code_day: Option<i64>,
    /// Units per provider per day, across everyone they support.
    pub per_provider_day: Option<i64>,
}

/// One signed, billable service on a day, as the allocator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// A stable id (the note id), the last tie-breaker.
    pub id: i64,
    pub person: i64,
    pub provider: i64,
    /// The service code (with its payer, rule and caps) this is billed under.
    pub code: i64,
    pub start_ms: i64,
    pub minutes: i64,
}

/// The rule and caps of one service code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRule {
    pub unit_minutes: i64,
    pub rule: UnitRule,
    pub caps: Caps,
}

/// What one service comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Allocation {
    /// Units earned by the minutes, before caps.
    pub units: i64,
    pub billed: i64,
    pub over_cap: i64,
}

/// Allocates one day's services: units per service (per the code's rule),
/// then the person/code cap, then the provider cap, in start-time order.
/// `rules` maps a code id to its rule; services under unknown codes earn nothing.
pub fn allocate_day(services: &[Service], rules: &BTreeMap<i64, CodeRule>) -> BTreeMap<i64, Allocation> {
    let mut ordered: Vec<&Service> = services.iter().collect();
    ordered.sort_by_key(|s| (s.start_ms, s.id));
    // Units earned, before caps. The cumulative rule hands each service the
    // increase it brings to its (person, code) running total.
    let mut running: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut earned: Vec<(&Service, i64)> = Vec::with_capacity(ordered.len());
    for s in &ordered {
        let Some(r) = rules.get(&s.code) else {
            earned.push((s, 0));
            continue;
        };
        let minutes = s.minutes.max(0);
        let units = match r.rule {
            UnitRule::CmsCumulative => {
                let before = running.entry((s.person, s.code)).or_insert(0);
                let u = units_for_minutes(*before + minutes, r.unit_minutes, r.rule) - units_for_minutes(*before, r.unit_minutes, r.rule);
                *before += minutes;
                u
            }
            rule => units_for_minutes(minutes, r.unit_minutes, rule),
        };
        earned.push((s, units));
    }
    let mut person_used: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut provider_used: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (s, units) in earned {
        let caps = rules.get(&s.code).map(|r| r.caps).unwrap_or_default();
        let p_used = person_used.entry((s.person, s.code)).or_insert(0);
        let room_person = caps.per_person_code_day.map(|c| (c - *p_used).max(0)).unwrap_or(i64::MAX);
        // Provider caps apply per code (each code's payer sets its own).
        let v_used = provider_used.entry((s.provider, s.code)).or_insert(0);
        let room_provider = caps.per_provider_day.map(|c| (c - *v_used).max(0)).unwrap_or(i64::MAX);
        let billed = units.min(room_person).min(room_provider);
        *p_used += billed;
        *v_used += billed;
        out.insert(s.id, Allocation { units, billed, over_cap: units - billed });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn boundary_minutes_per_rule() {
        use UnitRule::*;
        // minutes: 7, 8, 22, 23 — and the exact 15/30.
        let table = [
            (Whole, [(7, 0), (8, 0), (15, 1), (22, 1), (23, 1), (30, 2)]),
            (MoreThanHalf, [(7, 0), (8, 1), (15, 1), (22, 1), (23, 2), (30, 2)]),
            (CmsCumulative, [(7, 0), (8, 1), (15, 1), (22, 1), (23, 2), (30, 2)]),
        ];
        for (rule, cases) in table {
            for (m, u) in cases {
                assert_eq!(units_for_minutes(m, 15, rule), u, "{rule:?} {m} minutes");
            }
        }
        assert_eq!(units_for_minutes(0, 15, MoreThanHalf), 0);
        assert_eq!(units_for_minutes(-5, 15, MoreThanHalf), 0);
    }

    fn svc(id: i64, person: i64, provider: i64, start: i64, minutes: i64) -> Service {
        Service { id, person, provider, code: 1, start_ms: start, minutes }
    }

    fn rules(rule: UnitRule, caps: Caps) -> BTreeMap<i64, CodeRule> {
        BTreeMap::from([(1, CodeRule { unit_minutes: 15, rule, caps })])
    }

    #[test]
    fn cumulative_rule_adds_minutes_over_the_day() {
        // Two 7-minute contacts: nothing each under the per-service rule, one unit cumulatively.
        let s = [svc(1, 9, 5, 0, 7), svc(2, 9, 5, 10, 7)];
        let per = allocate_day(&s, &rules(UnitRule::MoreThanHalf, Caps::default()));
        assert_eq!(per.values().map(|a| a.billed).sum::<i64>(), 0);
        let cum = allocate_day(&s, &rules(UnitRule::CmsCumulative, Caps::default()));
        assert_eq!(cum.values().map(|a| a.billed).sum::<i64>(), 1);
        assert_eq!(cum[&2].billed, 1);
    }

    #[test]
    fn excess_over_the_daily_cap_is_recorded_not_billed() {
        let caps = Caps { per_person_code_day: Some(16), per_provider_day: None };
        // 5 hours = 20 units; 16 billed, 4 over.
        let s = [svc(1, 9, 5, 0, 180), svc(2, 9, 5, 1, 120)];
        let a = allocate_day(&s, &rules(UnitRule::Whole, caps));
        assert_eq!(a[&1], Allocation { units: 12, billed: 12, over_cap: 0 });
        assert_eq!(a[&2], Allocation { units: 8, billed: 4, over_cap: 4 });
    }

    fn arb_services() -> impl Strategy<Value = Vec<Service>> {
        prop::collection::vec((1i64..4, 1i64..3, 0i64..1000, 0i64..400), 0..25).prop_map(|v| {
            v.into_iter().enumerate().map(|(i, (person, provider, start, minutes))| svc(i as i64 + 1, person, provider, start, minutes)).collect()
        })
    }

    fn arb_rule() -> impl Strategy<Value = UnitRule> {
        prop_oneof![Just(UnitRule::Whole), Just(UnitRule::MoreThanHalf), Just(UnitRule::CmsCumulative)]
    }

    proptest! {
        /// Billed units never exceed either cap, and nothing is lost: billed + over = earned.
        #[test]
        fn units_never_exceed_caps(services in arb_services(), rule in arb_rule(), pc in prop::option::of(0i64..20), vc in prop::option::of(0i64..40)) {
            let caps = Caps { per_person_code_day: pc, per_provider_day: vc };
            let a = allocate_day(&services, &rules(rule, caps));
            let mut per_person: BTreeMap<i64, i64> = BTreeMap::new();
            let mut per_provider: BTreeMap<i64, i64> = BTreeMap::new();
            for s in &services {
                let x = a[&s.id];
                prop_assert!(x.billed >= 0 && x.over_cap >= 0);
                prop_assert_eq!(x.billed + x.over_cap, x.units);
                *per_person.entry(s.person).or_default() += x.billed;
                *per_provider.entry(s.provider).or_default() += x.billed;
            }
            if let Some(c) = pc { for v in per_person.values() { prop_assert!(*v <= c); } }
            if let Some(c) = vc { for v in per_provider.values() { prop_assert!(*v <= c); } }
        }

        /// A day's totals do not depend on the order the notes were signed (given to the allocator).
        #[test]
        fn totals_do_not_depend_on_signing_order(services in arb_services(), rule in arb_rule(), pc in prop::option::of(0i64..20), seed in any::<u64>()) {
            let r = rules(rule, Caps { per_person_code_day: pc, per_provider_day: Some(30) });
            let a = allocate_day(&services, &r);
            let mut shuffled = services.clone();
            // A deterministic shuffle from the seed.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let b = allocate_day(&shuffled, &r);
            prop_assert_eq!(&a, &b);
            let total = |m: &BTreeMap<i64, Allocation>| (m.values().map(|v| v.billed).sum::<i64>(), m.values().map(|v| v.over_cap).sum::<i64>());
            prop_assert_eq!(total(&a), total(&b));
        }

        /// Under the cumulative rule, a person's day under one code bills exactly the rule applied to the summed minutes (before caps).
        #[test]
        fn cumulative_equals_rule_on_total(services in arb_services()) {
            let a = allocate_day(&services, &rules(UnitRule::CmsCumulative, Caps::default()));
            let mut minutes: BTreeMap<i64, i64> = BTreeMap::new();
            let mut units: BTreeMap<i64, i64> = BTreeMap::new();
            for s in &services {
                *minutes.entry(s.person).or_default() += s.minutes;
                *units.entry(s.person).or_default() += a[&s.id].units;
            }
            for (p, m) in minutes {
                prop_assert_eq!(units[&p], units_for_minutes(m, 15, UnitRule::MoreThanHalf));
            }
        }

        /// Whole units never bill a partial unit; the 8-minute rule bills at most one more unit than whole units.
        #[test]
        fn per_service_rules_are_ordered(m in 0i64..2000) {
            let w = units_for_minutes(m, 15, UnitRule::Whole);
            let h = units_for_minutes(m, 15, UnitRule::MoreThanHalf);
            prop_assert!(w * 15 <= m);
            prop_assert!(h == w || h == w + 1);
        }
    }
}
