//! Receivables: days past due, aging buckets, the tax bad-debt reserve, DSO and the credit
//! check before an order is confirmed or shipped.
//!
//! Days past due are calendar days after the due date: the first overdue day is `due + 1`
//! and has DPD 1.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::calendar::DeferralKind;
use crate::interest::PenaltyTerms;
use crate::pricing::parse_scaled;
use crate::{FieldError, Money};

string_enum!(
    /// Management aging bucket of an open balance by days past due.
    AgingBucket, "bucket", "invalid_aging_bucket" {
        NotDue => "not_due",
        D1To30 => "1_30",
        D31To60 => "31_60",
        D61To90 => "61_90",
        Over90 => "over_90",
    }
);

/// Days past due on `on` of a balance due on `due_on`: `max(0, on − due_on)`.
pub fn days_past_due(due_on: NaiveDate, on: NaiveDate) -> i64 {
    (on - due_on).num_days().max(0)
}

impl AgingBucket {
    /// The bucket of `dpd` days past due (0 or less: not due).
    pub fn of(dpd: i64) -> Self {
        match dpd {
            ..=0 => Self::NotDue,
            1..=30 => Self::D1To30,
            31..=60 => Self::D31To60,
            61..=90 => Self::D61To90,
            _ => Self::Over90,
        }
    }

    /// Russian column title.
    pub fn label_ru(self) -> &'static str {
        match self {
            Self::NotDue => "Текущая",
            Self::D1To30 => "1–30 дн.",
            Self::D31To60 => "31–60 дн.",
            Self::D61To90 => "61–90 дн.",
            Self::Over90 => "Свыше 90 дн.",
        }
    }

    /// English column title.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::NotDue => "Not due",
            Self::D1To30 => "1–30 days",
            Self::D31To60 => "31–60 days",
            Self::D61To90 => "61–90 days",
            Self::Over90 => "Over 90 days",
        }
    }
}

/// Open balances by aging bucket. Sums saturate instead of overflowing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Aging {
    pub not_due: Money,
    pub d1_30: Money,
    pub d31_60: Money,
    pub d61_90: Money,
    pub over_90: Money,
}

fn plus(a: Money, b: Money) -> Money {
    Money::from_kopecks(a.kopecks().saturating_add(b.kopecks()))
}

impl Aging {
    fn slot(&mut self, bucket: AgingBucket) -> &mut Money {
        match bucket {
            AgingBucket::NotDue => &mut self.not_due,
            AgingBucket::D1To30 => &mut self.d1_30,
            AgingBucket::D31To60 => &mut self.d31_60,
            AgingBucket::D61To90 => &mut self.d61_90,
            AgingBucket::Over90 => &mut self.over_90,
        }
    }

    /// Adds an open balance to `bucket`.
    pub fn add(&mut self, bucket: AgingBucket, open: Money) {
        let slot = self.slot(bucket);
        *slot = plus(*slot, open);
    }

    /// The amount in `b`.
    pub fn get(&self, b: AgingBucket) -> Money {
        match b {
            AgingBucket::NotDue => self.not_due,
            AgingBucket::D1To30 => self.d1_30,
            AgingBucket::D31To60 => self.d31_60,
            AgingBucket::D61To90 => self.d61_90,
            AgingBucket::Over90 => self.over_90,
        }
    }

    /// All buckets together.
    pub fn total(&self) -> Money {
        plus(self.not_due, self.overdue())
    }

    /// Everything past due (all buckets but "not due").
    pub fn overdue(&self) -> Money {
        [self.d1_30, self.d31_60, self.d61_90, self.over_90]
            .into_iter()
            .fold(Money::ZERO, plus)
    }

    /// Adds every bucket of `other` (e.g. clients into a manager's total).
    pub fn merge(&mut self, other: &Aging) {
        for &b in AgingBucket::ALL {
            self.add(b, other.get(b));
        }
    }
}

/// Bad-debt reserve share for tax purposes (art. 266 of the Tax Code), in percent: below 45
/// days past due 0, 45 to 90 days 50, over 90 days 100.
pub fn tax_reserve_percent(dpd: i64) -> u32 {
    match dpd {
        ..45 => 0,
        45..=90 => 50,
        _ => 100,
    }
}

/// Days sales outstanding, simple method: `avg_receivables / credit_sales × period_days`,
/// rounded half up to 0.1 day. `None` when there were no sales (or negative sales).
///
/// Average AR 4 600 000, sales 13 800 000 in a 92-day quarter: 30.7 days.
pub fn dso(avg_receivables: Money, credit_sales: Money, period_days: u32) -> Option<Decimal> {
    if credit_sales.kopecks() <= 0 {
        return None;
    }
    let ar = Decimal::from(avg_receivables.kopecks());
    let sales = Decimal::from(credit_sales.kopecks());
    let value = ar.checked_mul(Decimal::from(period_days))?.checked_div(sales)?;
    Some(value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero))
}

/// What a client owes and has ordered, for the credit check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPosition {
    /// Credit limit; 0 = no limit set, the over-limit rule does not apply.
    pub limit: Money,
    /// Total receivable, due and not yet due.
    pub receivable: Money,
    /// Confirmed orders not yet shipped.
    pub open_orders: Money,
    /// The overdue part of `receivable`.
    pub overdue: Money,
    /// The largest days past due among the open invoices.
    pub max_dpd: i64,
}

/// A reason to stop a new order or shipment (стоп-отгрузка).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CreditBlock {
    /// Receivable + open orders + this order would exceed the credit limit.
    OverLimit {
        limit: Money,
        exposure_after: Money,
        excess: Money,
    },
    /// The client has overdue debt.
    Overdue { amount: Money, max_dpd: i64 },
}

/// Reasons to block an order of `order_total` for a client in position `pos`; empty = OK.
///
/// Exposure after the order is `receivable + open_orders + order_total`; it is over the
/// limit when a limit is set (`limit > 0`) and the exposure exceeds it. Any overdue debt
/// blocks as well. Both reasons can apply at once (over limit first).
pub fn credit_check(pos: &CreditPosition, order_total: Money) -> Vec<CreditBlock> {
    let mut blocks = Vec::new();
    let exposure_after = plus(plus(pos.receivable, pos.open_orders), order_total);
    if pos.limit.kopecks() > 0 && exposure_after > pos.limit {
        blocks.push(CreditBlock::OverLimit {
            limit: pos.limit,
            exposure_after,
            excess: Money::from_kopecks(exposure_after.kopecks().saturating_sub(pos.limit.kopecks())),
        });
    }
    if pos.overdue.kopecks() > 0 {
        blocks.push(CreditBlock::Overdue {
            amount: pos.overdue,
            max_dpd: pos.max_dpd,
        });
    }
    blocks
}

/// Over-limit debt: `max(0, receivable − limit)`, and 0 when no limit is set (`limit == 0`).
pub fn over_limit(limit: Money, receivable: Money) -> Money {
    if limit.kopecks() == 0 {
        return Money::ZERO;
    }
    Money::from_kopecks(receivable.kopecks().saturating_sub(limit.kopecks()).max(0))
}

/// A client's credit terms: how much it may owe, when its invoices fall due, the contract
/// penalty for paying late and the pre-trial claim term. Set by the credit controller, a head
/// or the commercial director; every value in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CreditTerms {
    /// 0 means no limit is set (the credit check then looks at overdue debt only).
    pub credit_limit: Money,
    /// Deferral after shipment, 0..=365 days.
    pub payment_terms_days: u16,
    pub deferral: DeferralKind,
    pub penalty: Option<PenaltyTerms>,
    /// Days a claim must wait for an answer before a suit, 1..=365 (30 by law unless the
    /// contract says otherwise).
    pub claim_term_days: u16,
}

/// Credit terms as typed: money and percents as text, as a form or JSON carries them.
#[derive(Debug, Clone, Default)]
pub struct CreditTermsInput<'a> {
    pub credit_limit: &'a str,
    pub payment_terms_days: i64,
    pub deferral_kind: &'a str,
    /// Percent of the unpaid amount per day, e.g. `"0.1"`; empty: no contract penalty.
    pub penalty_percent_per_day: &'a str,
    /// Percent of the debt the penalty may reach, e.g. `"10"`; empty: no cap.
    pub penalty_cap_percent: &'a str,
    pub claim_term_days: i64,
}

/// The highest daily penalty accepted, in millionths: 5 % a day.
const MAX_DAILY_PPM: u64 = 50_000;

impl CreditTerms {
    pub fn parse(input: &CreditTermsInput<'_>) -> Result<Self, FieldError> {
        let credit_limit = match input.credit_limit.trim() {
            "" => Money::ZERO,
            raw => Money::parse(raw).map_err(|e| e.on("credit_limit"))?,
        };
        if credit_limit.is_negative() {
            return Err(FieldError::new("credit_limit", "negative"));
        }
        let payment_terms_days = u16::try_from(input.payment_terms_days)
            .ok()
            .filter(|d| *d <= 365)
            .ok_or_else(|| FieldError::new("payment_terms_days", "out_of_range").with("max", "365"))?;
        let deferral = DeferralKind::parse(input.deferral_kind.trim())?;
        let percent = |field: &'static str, raw: &str, scale: u32, max: u64| -> Result<Option<u32>, FieldError> {
            let top = || (max / 10u64.pow(scale)).to_string();
            let raw = raw.trim();
            let raw = raw.strip_suffix('%').unwrap_or(raw).trim();
            if raw.is_empty() {
                return Ok(None);
            }
            match parse_scaled(raw, scale, max) {
                Ok((false, v)) => Ok(Some(v as u32)),
                Ok((true, 0)) => Ok(Some(0)),
                Ok((true, _)) => Err(FieldError::new(field, "negative")),
                Err("too_large") => Err(FieldError::new(field, "out_of_range").with("max", top())),
                Err(reason) => Err(FieldError::new(field, "invalid_percent").with("reason", reason)),
            }
        };
        // 0.1 % a day = 1 000 millionths (four decimals of a percent); the cap in hundredths.
        let daily_ppm = percent(
            "penalty_percent_per_day",
            input.penalty_percent_per_day,
            4,
            MAX_DAILY_PPM,
        )?;
        let cap_bp = percent("penalty_cap_percent", input.penalty_cap_percent, 2, 10_000)?;
        let penalty = match (daily_ppm, cap_bp) {
            (Some(daily_ppm), cap_bp) if daily_ppm > 0 => Some(PenaltyTerms { daily_ppm, cap_bp }),
            (_, Some(cap)) if cap > 0 => {
                return Err(FieldError::new("penalty_cap_percent", "cap_without_penalty"));
            }
            _ => None,
        };
        let claim_term_days = u16::try_from(input.claim_term_days)
            .ok()
            .filter(|d| (1..=365).contains(d))
            .ok_or_else(|| FieldError::new("claim_term_days", "out_of_range").with("max", "365"))?;
        Ok(Self {
            credit_limit,
            payment_terms_days,
            deferral,
            penalty,
            claim_term_days,
        })
    }
}

/// A per-day penalty in millionths as the percent people type: 1 000 → "0.1".
pub fn ppm_as_percent(ppm: u32) -> String {
    trim_decimal(format!("{}.{:04}", ppm / 10_000, ppm % 10_000))
}

/// Basis points as a percent: 1 050 → "10.5".
pub fn bp_as_percent(bp: u32) -> String {
    trim_decimal(format!("{}.{:02}", bp / 100, bp % 100))
}

fn trim_decimal(s: String) -> String {
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn rub(r: i64) -> Money {
        Money::from_kopecks(r * 100)
    }

    #[test]
    fn dpd_and_buckets() {
        let due = date(2026, 10, 20);
        assert_eq!(days_past_due(due, date(2026, 10, 1)), 0);
        assert_eq!(days_past_due(due, due), 0);
        assert_eq!(days_past_due(due, date(2026, 10, 21)), 1);
        assert_eq!(days_past_due(due, date(2027, 1, 18)), 90);
        let cases = [
            (-5, AgingBucket::NotDue),
            (0, AgingBucket::NotDue),
            (1, AgingBucket::D1To30),
            (30, AgingBucket::D1To30),
            (31, AgingBucket::D31To60),
            (60, AgingBucket::D31To60),
            (61, AgingBucket::D61To90),
            (90, AgingBucket::D61To90),
            (91, AgingBucket::Over90),
            (i64::MAX, AgingBucket::Over90),
        ];
        for (dpd, bucket) in cases {
            assert_eq!(AgingBucket::of(dpd), bucket, "{dpd}");
        }
    }

    #[test]
    fn bucket_strings_and_labels() {
        assert_eq!(AgingBucket::parse("1_30"), Ok(AgingBucket::D1To30));
        assert_eq!(AgingBucket::Over90.to_string(), "over_90");
        let e = AgingBucket::parse("91_180").expect_err("unknown");
        assert_eq!((e.field, e.code), ("bucket", "invalid_aging_bucket"));
        assert_eq!(AgingBucket::NotDue.label_ru(), "Текущая");
        assert_eq!(AgingBucket::Over90.label_en(), "Over 90 days");
        for &b in AgingBucket::ALL {
            assert!(!b.label_ru().is_empty() && !b.label_en().is_empty());
        }
    }

    #[test]
    fn aging_sums() {
        let on = date(2026, 12, 1);
        let invoices = [
            (date(2026, 12, 10), rub(100_000)),
            (date(2026, 11, 20), rub(50_000)),
            (date(2026, 10, 31), rub(20_000)),
            (date(2026, 10, 1), rub(7_000)),
            (date(2026, 8, 1), rub(3_000)),
            (date(2026, 11, 25), rub(1_000)),
        ];
        let mut aging = Aging::default();
        for (due, open) in invoices {
            aging.add(AgingBucket::of(days_past_due(due, on)), open);
        }
        assert_eq!(aging.not_due, rub(100_000));
        assert_eq!(aging.d1_30, rub(51_000));
        assert_eq!(aging.d31_60, rub(20_000));
        assert_eq!(aging.d61_90, rub(7_000));
        assert_eq!(aging.over_90, rub(3_000));
        assert_eq!(aging.total(), rub(181_000));
        assert_eq!(aging.overdue(), rub(81_000));
        assert_eq!(aging.get(AgingBucket::D31To60), rub(20_000));

        let mut sum = aging;
        sum.merge(&aging);
        assert_eq!(sum.total(), rub(362_000));
        assert_eq!(sum.over_90, rub(6_000));

        let json = serde_json::to_value(aging).expect("json");
        assert_eq!(json["d1_30"], "51000.00");
    }

    #[test]
    fn tax_reserve() {
        assert_eq!(tax_reserve_percent(0), 0);
        assert_eq!(tax_reserve_percent(44), 0);
        assert_eq!(tax_reserve_percent(45), 50);
        assert_eq!(tax_reserve_percent(90), 50);
        assert_eq!(tax_reserve_percent(91), 100);
    }

    #[test]
    fn dso_example() {
        assert_eq!(dso(rub(4_600_000), rub(13_800_000), 92), Some(Decimal::new(307, 1)));
        assert_eq!(dso(rub(4_600_000), Money::ZERO, 92), None);
        assert_eq!(dso(Money::ZERO, rub(1), 30), Some(Decimal::ZERO));
        // 1/8 × 30 = 3.75 → 3.8 (half up).
        assert_eq!(dso(rub(1), rub(8), 30), Some(Decimal::new(38, 1)));
    }

    #[test]
    fn credit_checks() {
        let pos = CreditPosition {
            limit: rub(1_000_000),
            receivable: rub(700_000),
            open_orders: rub(200_000),
            overdue: Money::ZERO,
            max_dpd: 0,
        };
        assert!(
            credit_check(&pos, rub(100_000)).is_empty(),
            "exactly at the limit is fine"
        );
        assert_eq!(
            credit_check(&pos, rub(150_000)),
            vec![CreditBlock::OverLimit {
                limit: rub(1_000_000),
                exposure_after: rub(1_050_000),
                excess: rub(50_000),
            }]
        );
        let overdue = CreditPosition {
            overdue: rub(30_000),
            max_dpd: 12,
            ..pos
        };
        let blocks = credit_check(&overdue, rub(150_000));
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[1],
            CreditBlock::Overdue {
                amount: rub(30_000),
                max_dpd: 12
            }
        );
        let json = serde_json::to_value(&blocks).expect("json");
        assert_eq!(json[0]["kind"], "over_limit");
        assert_eq!(json[0]["excess"], "50000.00");
        assert_eq!(json[1]["kind"], "overdue");
        assert_eq!(json[1]["max_dpd"], 12);

        let no_limit = CreditPosition {
            limit: Money::ZERO,
            ..pos
        };
        assert!(credit_check(&no_limit, rub(10_000_000)).is_empty());
    }

    #[test]
    fn over_limit_amounts() {
        assert_eq!(over_limit(rub(1_000), rub(1_500)), rub(500));
        assert_eq!(over_limit(rub(1_000), rub(900)), Money::ZERO);
        assert_eq!(over_limit(Money::ZERO, rub(1_500)), Money::ZERO);
    }

    proptest! {
        #[test]
        fn aging_total_is_sum(entries in prop::collection::vec((-100i64..400, 0i64..1_000_000_000), 0..30)) {
            let mut aging = Aging::default();
            let mut total = 0i64;
            let mut overdue = 0i64;
            for (dpd, k) in entries {
                aging.add(AgingBucket::of(dpd), Money::from_kopecks(k));
                total += k;
                if dpd > 0 {
                    overdue += k;
                }
            }
            prop_assert_eq!(aging.total().kopecks(), total);
            prop_assert_eq!(aging.overdue().kopecks(), overdue);
        }
    }

    fn terms(
        limit: &str,
        days: i64,
        kind: &str,
        daily: &str,
        cap: &str,
        claim: i64,
    ) -> Result<CreditTerms, FieldError> {
        CreditTerms::parse(&CreditTermsInput {
            credit_limit: limit,
            payment_terms_days: days,
            deferral_kind: kind,
            penalty_percent_per_day: daily,
            penalty_cap_percent: cap,
            claim_term_days: claim,
        })
    }

    #[test]
    fn credit_terms_read_money_days_and_percents() {
        let t = terms("1 500 000,00", 30, "banking", "0,1 %", "10", 30).unwrap();
        assert_eq!(t.credit_limit, Money::from_kopecks(150_000_000));
        assert_eq!((t.payment_terms_days, t.deferral), (30, DeferralKind::Banking));
        assert_eq!(
            t.penalty,
            Some(PenaltyTerms {
                daily_ppm: 1000,
                cap_bp: Some(1000)
            })
        );
        assert_eq!(t.claim_term_days, 30);
        let t = terms("", 0, "calendar", "0.0125", "", 10).unwrap();
        assert_eq!(t.credit_limit, Money::ZERO);
        assert_eq!(
            t.penalty,
            Some(PenaltyTerms {
                daily_ppm: 125,
                cap_bp: None
            })
        );
        // No rate, or a zero rate: no contract penalty.
        assert_eq!(terms("0", 5, "calendar", "", "", 30).unwrap().penalty, None);
        assert_eq!(terms("0", 5, "calendar", "0", "", 30).unwrap().penalty, None);
        assert_eq!(
            (ppm_as_percent(1000), ppm_as_percent(125), ppm_as_percent(50_000)),
            ("0.1".into(), "0.0125".into(), "5".into())
        );
        assert_eq!(
            (bp_as_percent(1000), bp_as_percent(1050), bp_as_percent(5)),
            ("10".into(), "10.5".into(), "0.05".into())
        );
    }

    #[test]
    fn credit_terms_out_of_range_name_their_field() {
        let field = |r: Result<CreditTerms, FieldError>| {
            let e = r.unwrap_err();
            (e.field, e.code)
        };
        assert_eq!(
            field(terms("-1", 0, "calendar", "", "", 30)),
            ("credit_limit", "negative")
        );
        assert_eq!(field(terms("1x", 0, "calendar", "", "", 30)).0, "credit_limit");
        assert_eq!(
            field(terms("0", 366, "calendar", "", "", 30)),
            ("payment_terms_days", "out_of_range")
        );
        assert_eq!(
            field(terms("0", -1, "calendar", "", "", 30)),
            ("payment_terms_days", "out_of_range")
        );
        assert_eq!(field(terms("0", 10, "lunar", "", "", 30)).0, "deferral_kind");
        assert_eq!(
            field(terms("0", 10, "calendar", "6", "", 30)),
            ("penalty_percent_per_day", "out_of_range")
        );
        assert_eq!(
            field(terms("0", 10, "calendar", "0.00001", "", 30)),
            ("penalty_percent_per_day", "invalid_percent")
        );
        assert_eq!(
            field(terms("0", 10, "calendar", "-0.1", "", 30)),
            ("penalty_percent_per_day", "negative")
        );
        assert_eq!(
            field(terms("0", 10, "calendar", "0.1", "101", 30)),
            ("penalty_cap_percent", "out_of_range")
        );
        assert_eq!(
            field(terms("0", 10, "calendar", "", "10", 30)),
            ("penalty_cap_percent", "cap_without_penalty")
        );
        assert_eq!(
            field(terms("0", 10, "calendar", "", "", 0)),
            ("claim_term_days", "out_of_range")
        );
        assert_eq!(
            field(terms("0", 10, "calendar", "", "", 366)),
            ("claim_term_days", "out_of_range")
        );
    }
}
