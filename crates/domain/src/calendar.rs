//! Working days and due dates.
//!
//! A [`WorkCalendar`] says whether a date is a working day: an explicit override if there is
//! one (a holiday, a transferred day off, a working Saturday), otherwise Monday–Friday. A
//! calendar built with the Russian rules ([`WorkCalendar::russian`],
//! [`WorkCalendar::russian_default`]) also treats the fixed public holidays of art. 112 of the
//! Labour Code as days off on dates without an override.
//!
//! Due dates follow art. 193 of the Civil Code: a term that ends on a day off ends on the next
//! working day. Deferrals are counted either in calendar days or in banking (working) days,
//! see [`DeferralKind`].

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// The fixed non-working public holidays of art. 112 of the Labour Code, as (month, day):
/// 1–6 and 8 January (New Year holidays), 7 January (Christmas), 23 February, 8 March,
/// 1 May, 9 May, 12 June, 4 November.
const FIXED_HOLIDAYS: [(u32, u32); 14] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
];

/// 2025, Government Resolution No. 1335 of 04.10.2024: the holidays of art. 112 plus the
/// transferred days off (4 Jan → 2 May, 5 Jan → 31 Dec, 23 Feb → 8 May, 8 Mar → 13 Jun,
/// Saturday 1 Nov → Monday 3 Nov). Holidays that fall on a weekend are listed too.
const DAYS_OFF_2025: [(u32, u32); 19] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 2),
    (5, 8),
    (5, 9),
    (6, 12),
    (6, 13),
    (11, 3),
    (11, 4),
    (12, 31),
];

/// Working Saturdays of 2025 (the day off moved to Monday 3 November).
const WORKING_2025: [(u32, u32); 1] = [(11, 1)];

/// 2026, Government Resolution No. 1466 of 24.09.2025: the holidays of art. 112, the
/// transferred January days (3 Jan → 9 Jan, 4 Jan → 31 Dec) and the Mondays after holidays
/// that fall on a weekend (art. 112 part 2: 8 Mar → 9 Mar, 9 May → 11 May). No working
/// Saturdays.
const DAYS_OFF_2026: [(u32, u32); 18] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (1, 9),
    (2, 23),
    (3, 8),
    (3, 9),
    (5, 1),
    (5, 9),
    (5, 11),
    (6, 12),
    (11, 4),
    (12, 31),
];

/// Which days are working days: explicit overrides, else Monday–Friday (and, with the
/// Russian rules, the fixed holidays of art. 112 of the Labour Code are days off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    /// `true` = working day, `false` = day off.
    overrides: BTreeMap<NaiveDate, bool>,
    /// Dates without an override that are fixed art. 112 holidays are days off.
    statutory_holidays: bool,
}

impl WorkCalendar {
    /// A calendar with the given overrides (`true` = working, `false` = day off; a later
    /// entry for the same date wins) and Monday–Friday elsewhere.
    pub fn new(overrides: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Self {
            overrides: overrides.into_iter().collect(),
            statutory_holidays: false,
        }
    }

    /// Like [`WorkCalendar::new`], but dates without an override that are fixed holidays of
    /// art. 112 of the Labour Code are days off too. Use it for a calendar loaded from
    /// storage, so years nobody has entered still get the public holidays.
    pub fn russian(overrides: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Self {
            statutory_holidays: true,
            ..Self::new(overrides)
        }
    }

    /// The Russian calendar as shipped (seed data).
    ///
    /// Encoded exactly:
    /// * **2025** (Government Resolution No. 1335 of 04.10.2024): days off 1–8 January,
    ///   22–23 February, 8–9 March, 1–4 and 8–11 May, 12–15 June, 2–4 November, 31 December;
    ///   Saturday 1 November is a working day. 247 working days.
    /// * **2026** (Government Resolution No. 1466 of 24.09.2025): days off 1–11 January,
    ///   21–23 February, 7–9 March, 1–3 and 9–11 May, 12–14 June, 4 November, 31 December;
    ///   no working Saturdays. 247 working days.
    /// * **Every other year**: Monday–Friday, minus the fixed holidays of art. 112 (1–8 January,
    ///   23 February, 8 March, 1 May, 9 May, 12 June, 4 November).
    ///
    /// Uncertain / not encoded: for other years neither the automatic transfer of a holiday
    /// that falls on a weekend to the next working day (art. 112 part 2) nor the Government's
    /// yearly transfers (long weekends, working Saturdays) are known, so such years may show a
    /// working day where the official calendar has a day off (typically a Monday after a
    /// weekend holiday). Regional holidays (Tatarstan, Bashkortostan, …) and shortened
    /// pre-holiday days are not modelled. The 2025–2026 data was written from the published
    /// resolutions as reported in the news, not read from the official text; enter later years
    /// as overrides.
    pub fn russian_default() -> Self {
        let days = |year: i32, list: &'static [(u32, u32)], working: bool| {
            list.iter().map(move |&(m, d)| {
                let date = NaiveDate::from_ymd_opt(year, m, d).unwrap_or(NaiveDate::MIN);
                (date, working)
            })
        };
        Self::russian(
            days(2025, &DAYS_OFF_2025, false)
                .chain(days(2025, &WORKING_2025, true))
                .chain(days(2026, &DAYS_OFF_2026, false)),
        )
    }

    /// The explicit overrides in date order (`true` = working, `false` = day off).
    pub fn overrides(&self) -> impl Iterator<Item = (NaiveDate, bool)> + '_ {
        self.overrides.iter().map(|(d, w)| (*d, *w))
    }

    /// Whether dates without an override that are fixed art. 112 holidays are days off.
    pub fn statutory_holidays(&self) -> bool {
        self.statutory_holidays
    }

    /// Whether `d` is a working day: its override if any, else Monday–Friday (and not a fixed
    /// public holiday when [`WorkCalendar::statutory_holidays`] is on).
    pub fn is_working(&self, d: NaiveDate) -> bool {
        if let Some(&working) = self.overrides.get(&d) {
            return working;
        }
        if self.statutory_holidays && FIXED_HOLIDAYS.contains(&(d.month(), d.day())) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// `d` itself if it is a working day, else the first working day after it.
    pub fn next_working_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut cur = d;
        while !self.is_working(cur) {
            match cur.succ_opt() {
                Some(next) => cur = next,
                None => break,
            }
        }
        cur
    }

    /// The `n`-th working day after `d` (`d` itself does not count); for `n = 0`,
    /// [`WorkCalendar::next_working_on_or_after`]`(d)`.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return self.next_working_on_or_after(d);
        }
        let mut cur = d;
        let mut left = n;
        while left > 0 {
            match cur.succ_opt() {
                Some(next) => cur = next,
                None => break,
            }
            if self.is_working(cur) {
                left -= 1;
            }
        }
        cur
    }
}

string_enum!(
    /// How a payment deferral (отсрочка) is counted.
    DeferralKind, "deferral_kind", "invalid_deferral_kind" {
        Calendar => "calendar",
        Banking => "banking",
    }
);

/// `date + days`, saturating at the last date chrono can represent.
fn plus_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// The payment due date of a shipment with a deferral of `days`.
///
/// Calendar days: `shipped_on + days`, moved to the next working day if that is a day off
/// (art. 193 of the Civil Code). Banking days: the `days`-th working day after `shipped_on`.
pub fn due_date(shipped_on: NaiveDate, days: u32, kind: DeferralKind, cal: &WorkCalendar) -> NaiveDate {
    match kind {
        DeferralKind::Calendar => cal.next_working_on_or_after(plus_days(shipped_on, days)),
        DeferralKind::Banking => cal.add_working_days(shipped_on, days),
    }
}

/// The pre-trial claim term (art. 4 part 5 of the Arbitration Procedure Code): returns the
/// last day of the `term_days` calendar-day term counted from the day after `sent_on`
/// (moved to a working day), and the conservative date from which a suit may be filed: the
/// day after that.
///
/// Claim sent 06.11.2026, 30 days: the term ends on Sunday 06.12.2026, so its last day is
/// Monday 07.12.2026 and a suit is possible from 08.12.2026.
pub fn claim_suit_date(sent_on: NaiveDate, term_days: u32, cal: &WorkCalendar) -> (NaiveDate, NaiveDate) {
    let last = cal.next_working_on_or_after(plus_days(sent_on, term_days));
    (last, last.succ_opt().unwrap_or(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn working_days(cal: &WorkCalendar, year: i32, month: Option<u32>) -> usize {
        date(year, 1, 1)
            .iter_days()
            .take_while(|d| d.year() == year)
            .filter(|d| month.is_none_or(|m| d.month() == m))
            .filter(|d| cal.is_working(*d))
            .count()
    }

    #[test]
    fn russian_2025_and_2026_totals() {
        let cal = WorkCalendar::russian_default();
        assert_eq!(working_days(&cal, 2025, None), 247);
        assert_eq!(working_days(&cal, 2026, None), 247);
        let months_2025 = [17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22];
        let months_2026 = [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22];
        for m in 1..=12u32 {
            assert_eq!(
                working_days(&cal, 2025, Some(m)),
                months_2025[m as usize - 1],
                "2025-{m}"
            );
            assert_eq!(
                working_days(&cal, 2026, Some(m)),
                months_2026[m as usize - 1],
                "2026-{m}"
            );
        }
    }

    #[test]
    fn russian_specific_days() {
        let cal = WorkCalendar::russian_default();
        assert!(cal.is_working(date(2025, 11, 1)), "working Saturday");
        assert!(!cal.is_working(date(2025, 11, 3)));
        assert!(!cal.is_working(date(2025, 5, 8)));
        assert!(!cal.is_working(date(2025, 6, 13)));
        assert!(
            cal.is_working(date(2025, 2, 24)),
            "23 Feb 2025 moved to 8 May, not to Monday"
        );
        assert!(!cal.is_working(date(2026, 1, 9)));
        assert!(cal.is_working(date(2026, 1, 12)));
        assert!(!cal.is_working(date(2026, 3, 9)));
        assert!(!cal.is_working(date(2026, 5, 11)));
        assert!(!cal.is_working(date(2026, 12, 31)));
        // Other years: fixed holidays only.
        assert!(!cal.is_working(date(2027, 1, 1)));
        assert!(!cal.is_working(date(2027, 1, 8)));
        assert!(cal.is_working(date(2027, 1, 11)));
        assert!(!cal.is_working(date(2027, 2, 23)));
        assert!(!cal.is_working(date(2024, 6, 12)));
        assert!(cal.is_working(date(2024, 6, 13)));
        assert_eq!(cal.overrides().count(), 38);
        assert!(cal.overrides().any(|o| o == (date(2025, 11, 1), true)));
    }

    #[test]
    fn plain_calendar_is_monday_to_friday() {
        let cal = WorkCalendar::new([(date(2027, 1, 4), false), (date(2027, 1, 9), true)]);
        assert!(
            cal.is_working(date(2027, 1, 1)),
            "no statutory holidays in a plain calendar"
        );
        assert!(!cal.is_working(date(2027, 1, 2)));
        assert!(!cal.is_working(date(2027, 1, 4)));
        assert!(cal.is_working(date(2027, 1, 9)));
        assert!(!cal.statutory_holidays());
        // A later entry wins; the Russian constructor keeps fixed holidays on free dates.
        let cal = WorkCalendar::russian([(date(2027, 1, 5), false), (date(2027, 1, 5), true)]);
        assert!(cal.is_working(date(2027, 1, 5)));
        assert!(!cal.is_working(date(2027, 1, 6)));
    }

    #[test]
    fn stepping_over_days_off() {
        let cal = WorkCalendar::russian_default();
        assert_eq!(cal.next_working_on_or_after(date(2025, 12, 31)), date(2026, 1, 12));
        assert_eq!(cal.next_working_on_or_after(date(2026, 1, 12)), date(2026, 1, 12));
        // Friday 26.12.2025: Mon 29, Tue 30, then 31.12–11.01 off.
        assert_eq!(cal.add_working_days(date(2025, 12, 26), 0), date(2025, 12, 26));
        assert_eq!(cal.add_working_days(date(2025, 12, 26), 1), date(2025, 12, 29));
        assert_eq!(cal.add_working_days(date(2025, 12, 26), 3), date(2026, 1, 12));
        assert_eq!(cal.add_working_days(date(2025, 12, 27), 0), date(2025, 12, 29));
        // Saturday 1.11.2025 is a working day.
        assert_eq!(cal.add_working_days(date(2025, 10, 31), 1), date(2025, 11, 1));
        assert_eq!(cal.add_working_days(date(2025, 10, 31), 2), date(2025, 11, 5));
        assert_eq!(cal.add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn due_dates() {
        let cal = WorkCalendar::russian_default();
        // 20.04.2026 + 11 days = Friday 01.05.2026, a holiday; 1–3 May off → Monday 4 May.
        assert_eq!(
            due_date(date(2026, 4, 20), 11, DeferralKind::Calendar, &cal),
            date(2026, 5, 4)
        );
        // 10.09.2026 + 21 days = Thursday 01.10.2026, a working day.
        assert_eq!(
            due_date(date(2026, 9, 10), 21, DeferralKind::Calendar, &cal),
            date(2026, 10, 1)
        );
        // Thursday 30.04.2026 + 3 banking days: 4, 5, 6 May.
        assert_eq!(
            due_date(date(2026, 4, 30), 3, DeferralKind::Banking, &cal),
            date(2026, 5, 6)
        );
        // 5 banking days from Friday 05.06.2026: 8, 9, 10, 11, 15 June (12–14 off).
        assert_eq!(
            due_date(date(2026, 6, 5), 5, DeferralKind::Banking, &cal),
            date(2026, 6, 15)
        );
        assert_eq!(
            due_date(date(2026, 6, 13), 0, DeferralKind::Calendar, &cal),
            date(2026, 6, 15)
        );
        assert_eq!(
            due_date(date(2026, 6, 13), 0, DeferralKind::Banking, &cal),
            date(2026, 6, 15)
        );
    }

    #[test]
    fn claim_term() {
        let cal = WorkCalendar::russian_default();
        assert_eq!(
            claim_suit_date(date(2026, 11, 6), 30, &cal),
            (date(2026, 12, 7), date(2026, 12, 8))
        );
        // 10-day contractual term ending on a working day.
        assert_eq!(
            claim_suit_date(date(2026, 10, 5), 10, &cal),
            (date(2026, 10, 15), date(2026, 10, 16))
        );
        // Term ending on 31.12.2025 runs into the New Year holidays.
        assert_eq!(
            claim_suit_date(date(2025, 12, 1), 30, &cal),
            (date(2026, 1, 12), date(2026, 1, 13))
        );
    }

    #[test]
    fn deferral_kind_strings() {
        assert_eq!(DeferralKind::parse("banking"), Ok(DeferralKind::Banking));
        assert_eq!(DeferralKind::Calendar.as_str(), "calendar");
        let e = DeferralKind::parse("working").expect_err("unknown");
        assert_eq!((e.field, e.code), ("deferral_kind", "invalid_deferral_kind"));
    }
}
