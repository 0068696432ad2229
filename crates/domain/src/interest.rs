//! Interest for the use of another's funds (art. 395 of the Civil Code) and contractual
//! penalties (неустойка, art. 330).
//!
//! Day counting, as courts and the common calculators do it:
//! * the first day is the day after the due date (art. 191), the last day is the payment day
//!   (or the calculation date), inclusive;
//! * a partial payment reduces the base from the **next** day;
//! * art. 395 interest is split at every key-rate change and at 1 January, and uses the actual
//!   number of days of the year (365 or 366);
//! * every row is rounded to the kopeck, half up, and the total is the sum of the rounded rows.
//!
//! All arithmetic is integer (`i128` intermediates), no floating point.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Money;

/// A key-rate value in force from `from` until the day before the next period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatePeriod {
    pub from: NaiveDate,
    /// Percent per annum in basis points: 16.00 % = 1600.
    pub rate_bp: u32,
}

/// Bank of Russia key rate from its introduction (13.09.2013) to 27.07.2026:
/// `(year, month, day, basis points)`. The rows from 22.12.2025 on are confirmed by secondary
/// sources only (see `receivables-and-claims.md`, section 6.1).
const KEY_RATES: [(i32, u32, u32, u32); 66] = [
    (2013, 9, 13, 550),
    (2014, 3, 3, 700),
    (2014, 4, 28, 750),
    (2014, 7, 28, 800),
    (2014, 11, 5, 950),
    (2014, 12, 12, 1050),
    (2014, 12, 16, 1700),
    (2015, 2, 2, 1500),
    (2015, 3, 16, 1400),
    (2015, 5, 5, 1250),
    (2015, 6, 16, 1150),
    (2015, 8, 3, 1100),
    (2016, 6, 14, 1050),
    (2016, 9, 19, 1000),
    (2017, 3, 27, 975),
    (2017, 5, 2, 925),
    (2017, 6, 19, 900),
    (2017, 9, 18, 850),
    (2017, 10, 30, 825),
    (2017, 12, 18, 775),
    (2018, 2, 12, 750),
    (2018, 3, 26, 725),
    (2018, 9, 17, 750),
    (2018, 12, 17, 775),
    (2019, 6, 17, 750),
    (2019, 7, 29, 725),
    (2019, 9, 9, 700),
    (2019, 10, 28, 650),
    (2019, 12, 16, 625),
    (2020, 2, 10, 600),
    (2020, 4, 27, 550),
    (2020, 6, 22, 450),
    (2020, 7, 27, 425),
    (2021, 3, 22, 450),
    (2021, 4, 26, 500),
    (2021, 6, 15, 550),
    (2021, 7, 26, 650),
    (2021, 9, 13, 675),
    (2021, 10, 25, 750),
    (2021, 12, 20, 850),
    (2022, 2, 14, 950),
    (2022, 2, 28, 2000),
    (2022, 4, 11, 1700),
    (2022, 5, 4, 1400),
    (2022, 5, 27, 1100),
    (2022, 6, 14, 950),
    (2022, 7, 25, 800),
    (2022, 9, 19, 750),
    (2023, 7, 24, 850),
    (2023, 8, 15, 1200),
    (2023, 9, 18, 1300),
    (2023, 10, 30, 1500),
    (2023, 12, 18, 1600),
    (2024, 7, 29, 1800),
    (2024, 9, 16, 1900),
    (2024, 10, 28, 2100),
    (2025, 6, 9, 2000),
    (2025, 7, 28, 1800),
    (2025, 9, 15, 1700),
    (2025, 10, 27, 1650),
    (2025, 12, 22, 1600),
    (2026, 2, 16, 1550),
    (2026, 3, 23, 1500),
    (2026, 4, 27, 1450),
    (2026, 6, 22, 1425),
    (2026, 7, 27, 1400),
];

/// The Bank of Russia key-rate history shipped as seed data (66 rows, 13.09.2013–27.07.2026),
/// in date order. Production should load and maintain the table, not rely on this copy.
pub fn key_rate_table() -> Vec<RatePeriod> {
    KEY_RATES
        .iter()
        .filter_map(|&(y, m, d, rate_bp)| NaiveDate::from_ymd_opt(y, m, d).map(|from| RatePeriod { from, rate_bp }))
        .collect()
}

/// The rate in force on `d`: the latest period starting on or before it (`rates` in any
/// order), or `None` before the first period.
pub fn rate_on(rates: &[RatePeriod], d: NaiveDate) -> Option<u32> {
    rates
        .iter()
        .filter(|r| r.from <= d)
        .max_by_key(|r| r.from)
        .map(|r| r.rate_bp)
}

/// A (partial) payment of the debt; it reduces the base from the day after `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repayment {
    pub on: NaiveDate,
    pub amount: Money,
}

/// One sub-period of an art. 395 calculation (both dates inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterestRow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
    pub base: Money,
    pub rate_bp: u32,
    /// 365 or 366.
    pub year_days: u32,
    pub amount: Money,
}

/// An art. 395 calculation: rows and their sum.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InterestCalc {
    pub rows: Vec<InterestRow>,
    pub total: Money,
}

/// `num / den` rounded half up, for `num >= 0`, `den > 0`; saturates at `i64::MAX`.
fn div_round(num: i128, den: i128) -> Money {
    let q = (num * 2 + den) / (den * 2);
    Money::from_kopecks(i64::try_from(q).unwrap_or(i64::MAX))
}

fn sum(amounts: impl Iterator<Item = Money>) -> Money {
    Money::from_kopecks(amounts.fold(0i64, |acc, m| acc.saturating_add(m.kopecks())))
}

/// The unpaid debt on day `d`: repayments count from the day after they were made.
fn base_on(debt: Money, repayments: &[Repayment], d: NaiveDate) -> i64 {
    repayments
        .iter()
        .filter(|r| r.on < d)
        .fold(i128::from(debt.kopecks()), |acc, r| {
            acc - i128::from(r.amount.kopecks())
        })
        .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// Splits `[first, last]` into contiguous sub-periods starting at `first` and at every date
/// of `cuts` inside the interval.
fn segments(first: NaiveDate, last: NaiveDate, cuts: BTreeSet<NaiveDate>) -> Vec<(NaiveDate, NaiveDate)> {
    let starts: Vec<NaiveDate> = std::iter::once(first)
        .chain(cuts.into_iter().filter(|c| *c > first && *c <= last))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &from)| {
            let to = starts.get(i + 1).and_then(|next| next.pred_opt()).unwrap_or(last);
            (from, to)
        })
        .collect()
}

/// Inclusive day count of `[from, to]`.
fn days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    u32::try_from((to - from).num_days() + 1).unwrap_or(0)
}

fn year_days(year: i32) -> u32 {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// Art. 395 interest on `debt` due on `due_on`, from the day after `due_on` to `until`
/// inclusive.
///
/// `rates` (any order) give the rate by date; days before the first period accrue nothing.
/// `no_accrual` are inclusive `(from, to)` periods without interest (e.g. the moratorium of
/// 01.04.2022–01.10.2022); they produce no rows. Repayments reduce the base from the next day;
/// once the base is zero or less nothing accrues. Contiguous days with the same base, rate
/// and year form one row.
pub fn interest_395(
    debt: Money,
    due_on: NaiveDate,
    repayments: &[Repayment],
    until: NaiveDate,
    rates: &[RatePeriod],
    no_accrual: &[(NaiveDate, NaiveDate)],
) -> InterestCalc {
    let Some(first) = due_on.succ_opt() else {
        return InterestCalc::default();
    };
    if until < first {
        return InterestCalc::default();
    }
    let mut cuts: BTreeSet<NaiveDate> = rates.iter().map(|r| r.from).collect();
    cuts.extend((first.year() + 1..=until.year()).filter_map(|y| NaiveDate::from_ymd_opt(y, 1, 1)));
    cuts.extend(repayments.iter().filter_map(|r| r.on.succ_opt()));
    for &(from, to) in no_accrual {
        cuts.insert(from);
        cuts.extend(to.succ_opt());
    }

    let mut rows: Vec<InterestRow> = Vec::new();
    for (from, to) in segments(first, until, cuts) {
        if no_accrual.iter().any(|&(a, b)| a <= from && from <= b) {
            continue;
        }
        let base = base_on(debt, repayments, from);
        let Some(rate_bp) = rate_on(rates, from) else {
            continue;
        };
        if base <= 0 || rate_bp == 0 {
            continue;
        }
        let year_days = year_days(from.year());
        if let Some(prev) = rows.last_mut()
            && prev.to.succ_opt() == Some(from)
            && (prev.base.kopecks(), prev.rate_bp, prev.to.year()) == (base, rate_bp, from.year())
        {
            prev.to = to;
            prev.days = days_between(prev.from, to);
            continue;
        }
        rows.push(InterestRow {
            from,
            to,
            days: days_between(from, to),
            base: Money::from_kopecks(base),
            rate_bp,
            year_days,
            amount: Money::ZERO,
        });
    }
    for row in &mut rows {
        // kopecks × (bp / 10 000) × days / year_days
        let num = i128::from(row.base.kopecks()) * i128::from(row.rate_bp) * i128::from(row.days);
        row.amount = div_round(num, 10_000 * i128::from(row.year_days));
    }
    let total = sum(rows.iter().map(|r| r.amount));
    InterestCalc { rows, total }
}

/// Contract penalty terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyTerms {
    /// Daily rate in millionths of the unpaid amount: 0.1 % per day = 1000.
    pub daily_ppm: u32,
    /// Cap as basis points of the original debt: 10 % = 1000; `None` = no cap.
    pub cap_bp: Option<u32>,
}

/// One sub-period of a penalty calculation (both dates inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PenaltyRow {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
    pub base: Money,
    pub amount: Money,
}

/// A penalty calculation: rows, their sum, and the sum after the cap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PenaltyCalc {
    pub rows: Vec<PenaltyRow>,
    /// Sum of the rows.
    pub uncapped: Money,
    /// `uncapped`, limited by the cap.
    pub total: Money,
    /// Whether the cap reduced the total.
    pub capped: bool,
}

/// Contract penalty on `debt` due on `due_on`, from the day after `due_on` to `until`
/// inclusive: `base × daily rate × days` per period of constant base (repayments reduce the
/// base from the next day), each row rounded half up; the total is limited to
/// `debt × cap_bp / 10 000` (rounded half up) when a cap is set.
pub fn penalty(
    debt: Money,
    due_on: NaiveDate,
    repayments: &[Repayment],
    until: NaiveDate,
    terms: PenaltyTerms,
) -> PenaltyCalc {
    let mut rows: Vec<PenaltyRow> = Vec::new();
    if let Some(first) = due_on.succ_opt()
        && first <= until
    {
        let cuts: BTreeSet<NaiveDate> = repayments.iter().filter_map(|r| r.on.succ_opt()).collect();
        for (from, to) in segments(first, until, cuts) {
            let base = base_on(debt, repayments, from);
            if base <= 0 {
                continue;
            }
            if let Some(prev) = rows.last_mut()
                && prev.base.kopecks() == base
                && prev.to.succ_opt() == Some(from)
            {
                prev.to = to;
                prev.days = days_between(prev.from, to);
                continue;
            }
            rows.push(PenaltyRow {
                from,
                to,
                days: days_between(from, to),
                base: Money::from_kopecks(base),
                amount: Money::ZERO,
            });
        }
    }
    for row in &mut rows {
        let num = i128::from(row.base.kopecks()) * i128::from(terms.daily_ppm) * i128::from(row.days);
        row.amount = div_round(num, 1_000_000);
    }
    let uncapped = sum(rows.iter().map(|r| r.amount));
    let cap = terms
        .cap_bp
        .map(|bp| div_round(i128::from(debt.kopecks().max(0)) * i128::from(bp), 10_000));
    let (total, capped) = match cap {
        Some(cap) if uncapped > cap => (cap, true),
        _ => (uncapped, false),
    };
    PenaltyCalc {
        rows,
        uncapped,
        total,
        capped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn rub(s: &str) -> Money {
        Money::parse(s).expect("amount")
    }

    /// `(from, to, days, base, rate_bp, year_days, amount)` of every row.
    fn rows(calc: &InterestCalc) -> Vec<(NaiveDate, NaiveDate, u32, Money, u32, u32, Money)> {
        calc.rows
            .iter()
            .map(|r| (r.from, r.to, r.days, r.base, r.rate_bp, r.year_days, r.amount))
            .collect()
    }

    #[test]
    fn key_rate_table_is_complete_and_ordered() {
        let table = key_rate_table();
        assert_eq!(table.len(), 66);
        assert!(table.windows(2).all(|w| w[0].from < w[1].from));
        assert_eq!(
            table[0],
            RatePeriod {
                from: date(2013, 9, 13),
                rate_bp: 550
            }
        );
        assert_eq!(
            table[6],
            RatePeriod {
                from: date(2014, 12, 16),
                rate_bp: 1700
            }
        );
        assert_eq!(
            table[41],
            RatePeriod {
                from: date(2022, 2, 28),
                rate_bp: 2000
            }
        );
        assert_eq!(
            table[65],
            RatePeriod {
                from: date(2026, 7, 27),
                rate_bp: 1400
            }
        );
        assert_eq!(rate_on(&table, date(2013, 9, 12)), None);
        assert_eq!(rate_on(&table, date(2024, 10, 27)), Some(1900));
        assert_eq!(rate_on(&table, date(2024, 10, 28)), Some(2100));
        assert_eq!(rate_on(&table, date(2030, 1, 1)), Some(1400));
    }

    #[test]
    fn example_1_five_rate_changes() {
        let calc = interest_395(
            rub("1000000"),
            date(2023, 7, 17),
            &[],
            date(2023, 12, 20),
            &key_rate_table(),
            &[],
        );
        let base = rub("1000000");
        assert_eq!(
            rows(&calc),
            vec![
                (date(2023, 7, 18), date(2023, 7, 23), 6, base, 750, 365, rub("1232.88")),
                (date(2023, 7, 24), date(2023, 8, 14), 22, base, 850, 365, rub("5123.29")),
                (
                    date(2023, 8, 15),
                    date(2023, 9, 17),
                    34,
                    base,
                    1200,
                    365,
                    rub("11178.08")
                ),
                (
                    date(2023, 9, 18),
                    date(2023, 10, 29),
                    42,
                    base,
                    1300,
                    365,
                    rub("14958.90")
                ),
                (
                    date(2023, 10, 30),
                    date(2023, 12, 17),
                    49,
                    base,
                    1500,
                    365,
                    rub("20136.99")
                ),
                (
                    date(2023, 12, 18),
                    date(2023, 12, 20),
                    3,
                    base,
                    1600,
                    365,
                    rub("1315.07")
                ),
            ]
        );
        assert_eq!(calc.total, rub("53945.21"));
    }

    #[test]
    fn example_2_leap_year_boundary() {
        let calc = interest_395(
            rub("500000"),
            date(2023, 12, 15),
            &[],
            date(2024, 2, 15),
            &key_rate_table(),
            &[],
        );
        let base = rub("500000");
        assert_eq!(
            rows(&calc),
            vec![
                (
                    date(2023, 12, 16),
                    date(2023, 12, 17),
                    2,
                    base,
                    1500,
                    365,
                    rub("410.96")
                ),
                (
                    date(2023, 12, 18),
                    date(2023, 12, 31),
                    14,
                    base,
                    1600,
                    365,
                    rub("3068.49")
                ),
                (
                    date(2024, 1, 1),
                    date(2024, 2, 15),
                    46,
                    base,
                    1600,
                    366,
                    rub("10054.64")
                ),
            ]
        );
        // Per-row rounding: 13 534.09 (rounding the exact sum once would give 13 534.10).
        assert_eq!(calc.total, rub("13534.09"));
    }

    #[test]
    fn example_3_partial_payment() {
        let calc = interest_395(
            rub("2400000"),
            date(2024, 8, 30),
            &[
                Repayment {
                    on: date(2024, 10, 15),
                    amount: rub("1000000"),
                },
                Repayment {
                    on: date(2025, 6, 16),
                    amount: rub("1400000"),
                },
            ],
            date(2025, 6, 16),
            &key_rate_table(),
            &[],
        );
        let (full, rest) = (rub("2400000"), rub("1400000"));
        assert_eq!(
            rows(&calc),
            vec![
                (
                    date(2024, 8, 31),
                    date(2024, 9, 15),
                    16,
                    full,
                    1800,
                    366,
                    rub("18885.25")
                ),
                (
                    date(2024, 9, 16),
                    date(2024, 10, 15),
                    30,
                    full,
                    1900,
                    366,
                    rub("37377.05")
                ),
                (
                    date(2024, 10, 16),
                    date(2024, 10, 27),
                    12,
                    rest,
                    1900,
                    366,
                    rub("8721.31")
                ),
                (
                    date(2024, 10, 28),
                    date(2024, 12, 31),
                    65,
                    rest,
                    2100,
                    366,
                    rub("52213.11")
                ),
                (
                    date(2025, 1, 1),
                    date(2025, 6, 8),
                    159,
                    rest,
                    2100,
                    365,
                    rub("128071.23")
                ),
                (date(2025, 6, 9), date(2025, 6, 16), 8, rest, 2000, 365, rub("6136.99")),
            ]
        );
        assert_eq!(calc.total, rub("251404.94"));
        // Calculating further changes nothing: the debt is paid.
        let later = interest_395(
            rub("2400000"),
            date(2024, 8, 30),
            &[
                Repayment {
                    on: date(2024, 10, 15),
                    amount: rub("1000000"),
                },
                Repayment {
                    on: date(2025, 6, 16),
                    amount: rub("1400000"),
                },
            ],
            date(2026, 3, 1),
            &key_rate_table(),
            &[],
        );
        assert_eq!(later, calc);
    }

    #[test]
    fn moratorium_is_skipped() {
        let calc = interest_395(
            rub("1000000"),
            date(2022, 3, 15),
            &[],
            date(2022, 10, 31),
            &key_rate_table(),
            &[(date(2022, 4, 1), date(2022, 10, 1))],
        );
        let base = rub("1000000");
        assert_eq!(
            rows(&calc),
            vec![
                (
                    date(2022, 3, 16),
                    date(2022, 3, 31),
                    16,
                    base,
                    2000,
                    365,
                    rub("8767.12")
                ),
                (
                    date(2022, 10, 2),
                    date(2022, 10, 31),
                    30,
                    base,
                    750,
                    365,
                    rub("6164.38")
                ),
            ]
        );
        assert_eq!(calc.total, rub("14931.50"));
    }

    #[test]
    fn interest_edge_cases() {
        let rates = key_rate_table();
        // Paid on the due date or earlier than the first overdue day: nothing.
        let none = interest_395(rub("1000"), date(2024, 1, 10), &[], date(2024, 1, 10), &rates, &[]);
        assert_eq!(none, InterestCalc::default());
        // Before the key rate existed nothing accrues.
        let early = interest_395(rub("1000"), date(2013, 9, 1), &[], date(2013, 9, 12), &rates, &[]);
        assert!(early.rows.is_empty());
        // Equal-rate neighbours are merged; a year boundary splits even with 365 days both sides.
        let flat = [
            RatePeriod {
                from: date(2020, 1, 1),
                rate_bp: 1000,
            },
            RatePeriod {
                from: date(2025, 6, 1),
                rate_bp: 1000,
            },
        ];
        let calc = interest_395(rub("365000"), date(2025, 5, 1), &[], date(2026, 1, 31), &flat, &[]);
        assert_eq!(calc.rows.len(), 2);
        assert_eq!((calc.rows[0].days, calc.rows[0].amount), (244, rub("24400")));
        assert_eq!((calc.rows[1].days, calc.rows[1].amount), (31, rub("3100")));
        // A repayment of 0 does not split the row.
        let zero = [Repayment {
            on: date(2025, 6, 10),
            amount: Money::ZERO,
        }];
        let same = interest_395(rub("365000"), date(2025, 5, 1), &zero, date(2026, 1, 31), &flat, &[]);
        assert_eq!(same, calc);
        // Half a kopeck rounds up: 1.00 × 18.25 % × 1 / 365 = 0.0005 → 0.00; 10.00 → 0.005 → 0.01.
        let tiny = [RatePeriod {
            from: date(2025, 1, 1),
            rate_bp: 1825,
        }];
        let c = interest_395(rub("10"), date(2025, 3, 1), &[], date(2025, 3, 2), &tiny, &[]);
        assert_eq!(c.total, rub("0.01"));
    }

    #[test]
    fn penalty_example_not_capped() {
        let terms = PenaltyTerms {
            daily_ppm: 1000,
            cap_bp: Some(1000),
        };
        let calc = penalty(rub("350000"), date(2026, 10, 9), &[], date(2026, 11, 19), terms);
        assert_eq!(calc.rows.len(), 1);
        let row = &calc.rows[0];
        assert_eq!(
            (row.from, row.to, row.days),
            (date(2026, 10, 10), date(2026, 11, 19), 41)
        );
        assert_eq!((row.base, row.amount), (rub("350000"), rub("14350")));
        assert_eq!(
            (calc.uncapped, calc.total, calc.capped),
            (rub("14350"), rub("14350"), false)
        );
    }

    #[test]
    fn penalty_capped() {
        // 10.10.2026–31.03.2027 = 173 days: 60 550.00 uncapped, cap 35 000.00.
        let terms = PenaltyTerms {
            daily_ppm: 1000,
            cap_bp: Some(1000),
        };
        let calc = penalty(rub("350000"), date(2026, 10, 9), &[], date(2027, 3, 31), terms);
        assert_eq!(calc.rows[0].days, 173);
        assert_eq!(
            (calc.uncapped, calc.total, calc.capped),
            (rub("60550"), rub("35000"), true)
        );
        let uncapped = penalty(
            rub("350000"),
            date(2026, 10, 9),
            &[],
            date(2027, 3, 31),
            PenaltyTerms {
                daily_ppm: 1000,
                cap_bp: None,
            },
        );
        assert_eq!((uncapped.total, uncapped.capped), (rub("60550"), false));
    }

    #[test]
    fn penalty_partial_payment() {
        // 150 000 paid on 20.10.2026: 350 000 × 0.1 % × 11 + 200 000 × 0.1 % × 30.
        let terms = PenaltyTerms {
            daily_ppm: 1000,
            cap_bp: Some(1000),
        };
        let pays = [
            Repayment {
                on: date(2026, 10, 20),
                amount: rub("150000"),
            },
            Repayment {
                on: date(2026, 11, 19),
                amount: rub("200000"),
            },
        ];
        let calc = penalty(rub("350000"), date(2026, 10, 9), &pays, date(2026, 12, 31), terms);
        let got: Vec<_> = calc
            .rows
            .iter()
            .map(|r| (r.from, r.to, r.days, r.base, r.amount))
            .collect();
        assert_eq!(
            got,
            vec![
                (date(2026, 10, 10), date(2026, 10, 20), 11, rub("350000"), rub("3850")),
                (date(2026, 10, 21), date(2026, 11, 19), 30, rub("200000"), rub("6000")),
            ]
        );
        assert_eq!((calc.total, calc.capped), (rub("9850"), false));
        let none = penalty(rub("350000"), date(2026, 10, 9), &[], date(2026, 10, 9), terms);
        assert_eq!(none, PenaltyCalc::default());
    }

    #[test]
    fn calc_serializes() {
        let calc = penalty(
            rub("100"),
            date(2026, 1, 1),
            &[],
            date(2026, 1, 2),
            PenaltyTerms {
                daily_ppm: 1000,
                cap_bp: None,
            },
        );
        let json = serde_json::to_value(&calc).expect("json");
        assert_eq!(json["total"], "0.10");
        assert_eq!(json["rows"][0]["from"], "2026-01-02");
    }
}
