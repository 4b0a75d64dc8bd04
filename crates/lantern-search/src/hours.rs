//! "Open now": an instant turned into the listing's wall-clock time with
//! jiff (so daylight-saving changes are handled by the time-zone database),
//! then compared with the weekly intervals.

use crate::doc::Interval;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    /// Open; closes at this local time (`None`: open all day).
    Open { until: Option<Time> },
    Closed,
    /// The listing gives no hours.
    Unknown,
}

pub fn open_state(tz: &TimeZone, schedule: &[Interval], closed_dates: &[Date], at: Timestamp) -> OpenState {
    let local = at.to_zoned(tz.clone());
    open_state_local(schedule, closed_dates, local.date(), local.time())
}

/// [`open_state`] for a wall-clock date and time already computed in the
/// listing's zone (the index computes them once per zone and query).
pub fn open_state_local(schedule: &[Interval], closed_dates: &[Date], date: Date, time: Time) -> OpenState {
    if schedule.is_empty() {
        return OpenState::Unknown;
    }
    let today = date.weekday();
    let yesterday = today.wrapping_sub(1);
    let midnight = Time::midnight();
    if !closed_dates.contains(&date) {
        for iv in schedule.iter().filter(|iv| iv.weekday == today) {
            let all_day = iv.opens == midnight && iv.closes == midnight;
            if all_day {
                return OpenState::Open { until: None };
            }
            if iv.closes > iv.opens {
                if time >= iv.opens && time < iv.closes {
                    return OpenState::Open { until: Some(iv.closes) };
                }
            } else if time >= iv.opens {
                return OpenState::Open { until: Some(iv.closes) };
            }
        }
    }
    // An overnight interval that started yesterday (and yesterday was not a closed date).
    let yesterday_date = date.yesterday().ok();
    if yesterday_date.is_some_and(|d| !closed_dates.contains(&d)) {
        for iv in schedule.iter().filter(|iv| iv.weekday == yesterday) {
            if iv.closes < iv.opens && time < iv.closes {
                return OpenState::Open { until: Some(iv.closes) };
            }
        }
    }
    OpenState::Closed
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{time, Weekday};

    fn ny() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }
    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
    fn nine_to_five_but_saturday() -> Vec<Interval> {
        use Weekday::*;
        [Monday, Tuesday, Wednesday, Thursday, Friday, Sunday]
            .into_iter()
            .map(|d| Interval { weekday: d, opens: time(9, 0, 0, 0), closes: time(17, 0, 0, 0) })
            .collect()
    }

    #[test]
    fn dst_start_in_new_york() {
        // 2026-03-08 (Sunday): clocks go from 02:00 EST to 03:00 EDT.
        let s = nine_to_five_but_saturday();
        // Saturday 2026-03-07 13:30Z = 08:30 EST: Saturday is closed anyway.
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-03-07T13:30:00Z")), OpenState::Closed);
        // Sunday 2026-03-08 13:30Z = 09:30 EDT (UTC−4): open. Under EST it would be 08:30, closed.
        assert_eq!(
            open_state(&ny(), &s, &[], ts("2026-03-08T13:30:00Z")),
            OpenState::Open { until: Some(time(17, 0, 0, 0)) }
        );
        // Friday 2026-03-06 13:30Z = 08:30 EST: not yet open.
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-03-06T13:30:00Z")), OpenState::Closed);
        // Friday 2026-03-06 14:00Z = 09:00 EST: opens exactly now.
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-03-06T14:00:00Z")), OpenState::Open { .. }));
        // Monday 2026-03-09 20:59Z = 16:59 EDT open; 21:00Z = 17:00 EDT closed.
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-03-09T20:59:00Z")), OpenState::Open { .. }));
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-03-09T21:00:00Z")), OpenState::Closed);
    }

    #[test]
    fn dst_end_in_new_york() {
        // 2026-11-01 (Sunday): clocks go from 02:00 EDT back to 01:00 EST.
        let s = nine_to_five_but_saturday();
        // Sunday 2026-11-01 13:30Z = 08:30 EST (UTC−5): closed (under EDT it would be 09:30).
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-11-01T13:30:00Z")), OpenState::Closed);
        // Sunday 2026-11-01 14:00Z = 09:00 EST: open.
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-11-01T14:00:00Z")), OpenState::Open { .. }));
        // Saturday 2026-10-31 21:30Z = 17:30 EDT; Friday 2026-10-30 20:30Z = 16:30 EDT open.
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-10-31T21:30:00Z")), OpenState::Closed);
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-10-30T20:30:00Z")), OpenState::Open { .. }));
        // Monday 2026-11-02 21:30Z = 16:30 EST: open; under EDT it would be 17:30.
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-11-02T21:30:00Z")), OpenState::Open { .. }));
    }

    #[test]
    fn overnight_and_repeated_fall_back_hour() {
        // A shelter intake open Saturday 22:00 → Sunday 02:00.
        let s = vec![Interval { weekday: Weekday::Saturday, opens: time(22, 0, 0, 0), closes: time(2, 0, 0, 0) }];
        // Sunday 2026-11-01 05:30Z = 01:30 EDT (first 01:30): open.
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-11-01T05:30:00Z")), OpenState::Open { .. }));
        // 06:30Z = 01:30 EST (the repeated hour): still open by the wall clock.
        assert!(matches!(open_state(&ny(), &s, &[], ts("2026-11-01T06:30:00Z")), OpenState::Open { .. }));
        // 07:30Z = 02:30 EST: closed.
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-11-01T07:30:00Z")), OpenState::Closed);
        // Saturday 2026-10-31 23:00Z = 19:00 EDT: not yet.
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-10-31T23:00:00Z")), OpenState::Closed);
    }

    #[test]
    fn several_intervals_closed_dates_all_day_and_unknown() {
        let d = Weekday::Wednesday;
        let s = vec![
            Interval { weekday: d, opens: time(8, 0, 0, 0), closes: time(12, 0, 0, 0) },
            Interval { weekday: d, opens: time(13, 0, 0, 0), closes: time(17, 0, 0, 0) },
        ];
        // Wednesday 2026-07-15, EDT: 16:30Z = 12:30 lunch closed, 17:30Z = 13:30 open.
        assert_eq!(open_state(&ny(), &s, &[], ts("2026-07-15T16:30:00Z")), OpenState::Closed);
        assert_eq!(
            open_state(&ny(), &s, &[], ts("2026-07-15T17:30:00Z")),
            OpenState::Open { until: Some(time(17, 0, 0, 0)) }
        );
        let holiday = [jiff::civil::date(2026, 7, 15)];
        assert_eq!(open_state(&ny(), &s, &holiday, ts("2026-07-15T17:30:00Z")), OpenState::Closed);
        let all_day = vec![Interval { weekday: d, opens: Time::midnight(), closes: Time::midnight() }];
        assert_eq!(open_state(&ny(), &all_day, &[], ts("2026-07-15T03:59:00Z")), OpenState::Closed); // Tue 23:59
        assert_eq!(open_state(&ny(), &all_day, &[], ts("2026-07-15T04:00:00Z")), OpenState::Open { until: None });
        assert_eq!(open_state(&ny(), &[], &[], ts("2026-07-15T17:30:00Z")), OpenState::Unknown);
    }
}
