//! VAT (НДС): the category a product belongs to, the rate that category carries, and the
//! schedule of rates over time.
//!
//! A product stores its *category* (`products.vat_category`), never a percentage: when the
//! law changes a rate (the standard rate goes from 20 % to 22 % on 2026-01-01), the
//! catalogue stays as it is and [`VatSchedule::rate`] gives the rate on a document's date.
//!
//! [`VatRate::Without`] ("без НДС") is not the same as 0 %: a zero-rated sale (exports) is
//! taxable at 0 % and shows a VAT line of 0,00, an exempt one shows no VAT line at all.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::FieldError;

/// Non-breaking space between a number and `%`, so "22 %" never wraps.
const NBSP: char = '\u{a0}';

/// The VAT category of a product.
///
/// Written out instead of `string_enum!` because the stored name of [`VatCategory::Exempt`]
/// is `"none"`, and serde must use exactly the stored names (the macro derives snake_case
/// variant names, which would make it `"exempt"` in JSON and `"none"` in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VatCategory {
    /// The general rate (20 % until 2025, 22 % from 2026).
    Standard,
    /// The reduced rate for food, children's goods, medicines, books (10 %).
    Reduced,
    /// Taxable at 0 % (exports and the like).
    Zero,
    /// Not subject to VAT at all ("без НДС").
    Exempt,
}

impl VatCategory {
    pub const ALL: &'static [VatCategory] = &[
        VatCategory::Standard,
        VatCategory::Reduced,
        VatCategory::Zero,
        VatCategory::Exempt,
    ];

    /// The stored and serialized name.
    pub const fn as_str(self) -> &'static str {
        match self {
            VatCategory::Standard => "standard",
            VatCategory::Reduced => "reduced",
            VatCategory::Zero => "zero",
            VatCategory::Exempt => "none",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| FieldError::new("vat_category", "invalid_vat_category").with("value", s))
    }
}

impl fmt::Display for VatCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for VatCategory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for VatCategory {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        VatCategory::parse(&s).map_err(de::Error::custom)
    }
}

/// A VAT rate as printed on a document: a whole percentage, or no VAT at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VatRate {
    /// VAT at this many percent (22, 20, 10, 0).
    Percent(u8),
    /// Exempt ("без НДС"): the document has no VAT line for it.
    Without,
}

impl VatRate {
    /// The percentage, or `None` for [`VatRate::Without`].
    pub const fn percent(self) -> Option<u8> {
        match self {
            VatRate::Percent(p) => Some(p),
            VatRate::Without => None,
        }
    }

    /// Russian label for documents: `22 %` (with a no-break space), `0 %`, `Без НДС`.
    pub fn label_ru(self) -> String {
        match self {
            VatRate::Percent(p) => format!("{p}{NBSP}%"),
            VatRate::Without => "Без НДС".to_owned(),
        }
    }

    /// English label: `22%`, `0%`, `No VAT`.
    pub fn label_en(self) -> String {
        match self {
            VatRate::Percent(p) => format!("{p}%"),
            VatRate::Without => "No VAT".to_owned(),
        }
    }

    /// Machine code, as stored beside a document line: `"22"`, `"10"`, `"0"`, `"none"`.
    pub fn code(self) -> String {
        match self {
            VatRate::Percent(p) => p.to_string(),
            VatRate::Without => "none".to_owned(),
        }
    }

    /// Reads a [`code`](Self::code): `"none"` or a whole percentage 0–100 in plain digits.
    pub fn parse_code(s: &str) -> Result<Self, FieldError> {
        let reject = || FieldError::new("vat_rate", "invalid_vat_rate").with("value", s);
        if s == "none" {
            return Ok(VatRate::Without);
        }
        // Plain digits only: no sign, no spaces, no "%"; at most 3 so the parse cannot overflow.
        if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(reject());
        }
        match s.parse::<u8>() {
            Ok(p) if p <= 100 => Ok(VatRate::Percent(p)),
            _ => Err(reject()),
        }
    }
}

impl fmt::Display for VatRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// Serialized as its [`code`](VatRate::code): `"22"` or `"none"`.
impl Serialize for VatRate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VatRate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(VatRateVisitor)
    }
}

struct VatRateVisitor;

impl Visitor<'_> for VatRateVisitor {
    type Value = VatRate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a VAT rate code: \"22\", \"10\", \"0\" or \"none\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<VatRate, E> {
        VatRate::parse_code(v).map_err(E::custom)
    }
}

/// From `valid_from` on (until the next period of the same category), `category` carries `rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatPeriod {
    pub category: VatCategory,
    pub valid_from: NaiveDate,
    pub rate: VatRate,
}

/// The rates of every category over time. Every category has at least one period, and no
/// category has two periods starting on the same day, so [`VatSchedule::rate`] always has
/// exactly one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VatSchedule {
    /// Sorted by category, then `valid_from`.
    periods: Vec<VatPeriod>,
}

impl VatSchedule {
    /// Checks and sorts the periods: two periods of one category starting the same day are
    /// ambiguous (`duplicate_vat_period`), a category without any period has no rate at all
    /// (`missing_vat_category`).
    pub fn new(mut periods: Vec<VatPeriod>) -> Result<Self, FieldError> {
        periods.sort_by_key(|p| (p.category, p.valid_from));
        if let Some(w) = periods
            .windows(2)
            .find(|w| (w[0].category, w[0].valid_from) == (w[1].category, w[1].valid_from))
        {
            return Err(FieldError::new("vat_periods", "duplicate_vat_period")
                .with("category", w[0].category.as_str())
                .with("valid_from", w[0].valid_from.to_string()));
        }
        if let Some(missing) = VatCategory::ALL
            .iter()
            .find(|c| !periods.iter().any(|p| p.category == **c))
        {
            return Err(FieldError::new("vat_periods", "missing_vat_category").with("category", missing.as_str()));
        }
        Ok(Self { periods })
    }

    /// The Russian rates since 2019: standard 20 %, and 22 % from 2026-01-01; reduced 10 %;
    /// zero 0 %; exempt without VAT.
    pub fn russian_default() -> Self {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a valid calendar date");
        let since_2019 = day(2019, 1, 1);
        let period = |category, valid_from, rate| VatPeriod {
            category,
            valid_from,
            rate,
        };
        // Built directly: the list is sorted and complete, which the tests check through `new`.
        Self {
            periods: vec![
                period(VatCategory::Standard, since_2019, VatRate::Percent(20)),
                period(VatCategory::Standard, day(2026, 1, 1), VatRate::Percent(22)),
                period(VatCategory::Reduced, since_2019, VatRate::Percent(10)),
                period(VatCategory::Zero, since_2019, VatRate::Percent(0)),
                period(VatCategory::Exempt, since_2019, VatRate::Without),
            ],
        }
    }

    /// The rate of `category` on day `on`: that of the latest period starting on or before
    /// `on`. A date before the category's first period gets the first period's rate (older
    /// documents are not this system's business, and "no rate" is never an answer).
    pub fn rate(&self, category: VatCategory, on: NaiveDate) -> VatRate {
        let mut of_category = self.periods.iter().filter(|p| p.category == category);
        let first = of_category
            .next()
            .expect("VatSchedule::new guarantees a period for every category");
        of_category
            .take_while(|p| p.valid_from <= on)
            .last()
            .unwrap_or(first)
            .rate
    }

    /// Every period, sorted by category, then start date.
    pub fn periods(&self) -> &[VatPeriod] {
        &self.periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn categories_use_the_stored_names_everywhere() {
        for c in VatCategory::ALL {
            assert_eq!(VatCategory::parse(c.as_str()), Ok(*c));
            let json = serde_json::to_string(c).expect("ser");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<VatCategory>(&json).expect("de"), *c);
        }
        assert_eq!(VatCategory::Exempt.to_string(), "none");
        let e = VatCategory::parse("exempt").expect_err("only the stored name");
        assert_eq!((e.field, e.code), ("vat_category", "invalid_vat_category"));
        assert!(serde_json::from_str::<VatCategory>("\"exempt\"").is_err());
    }

    #[test]
    fn rate_labels_and_codes() {
        let r22 = VatRate::Percent(22);
        assert_eq!(r22.percent(), Some(22));
        assert_eq!(r22.label_ru(), "22\u{a0}%");
        assert_eq!(r22.label_en(), "22%");
        assert_eq!(r22.code(), "22");
        assert_eq!(VatRate::Percent(0).label_ru(), "0\u{a0}%");
        assert_eq!(VatRate::Without.percent(), None);
        assert_eq!(VatRate::Without.label_ru(), "Без НДС");
        assert_eq!(VatRate::Without.label_en(), "No VAT");
        assert_eq!(VatRate::Without.code(), "none");
        for r in [
            VatRate::Percent(22),
            VatRate::Percent(20),
            VatRate::Percent(10),
            VatRate::Percent(0),
            VatRate::Without,
        ] {
            assert_eq!(VatRate::parse_code(&r.code()), Ok(r));
            let json = serde_json::to_string(&r).expect("ser");
            assert_eq!(serde_json::from_str::<VatRate>(&json).expect("de"), r);
        }
        assert_eq!(serde_json::to_string(&VatRate::Percent(10)).expect("ser"), "\"10\"");
    }

    #[test]
    fn rate_codes_reject_anything_else() {
        for bad in ["", "22%", " 22", "-1", "+5", "101", "1000", "2.5", "None", "без"] {
            let e = VatRate::parse_code(bad).expect_err(bad);
            assert_eq!((e.field, e.code), ("vat_rate", "invalid_vat_rate"), "{bad:?}");
        }
        assert_eq!(VatRate::parse_code("100"), Ok(VatRate::Percent(100)));
        assert_eq!(VatRate::parse_code("007"), Ok(VatRate::Percent(7)));
    }

    #[test]
    fn default_schedule_switches_standard_rate_in_2026() {
        let s = VatSchedule::russian_default();
        assert_eq!(
            VatSchedule::new(s.periods().to_vec()),
            Ok(s.clone()),
            "sorted and complete"
        );
        assert_eq!(s.rate(VatCategory::Standard, day(2025, 12, 31)), VatRate::Percent(20));
        assert_eq!(s.rate(VatCategory::Standard, day(2026, 1, 1)), VatRate::Percent(22));
        assert_eq!(s.rate(VatCategory::Standard, day(2030, 6, 1)), VatRate::Percent(22));
        assert_eq!(s.rate(VatCategory::Reduced, day(2026, 3, 1)), VatRate::Percent(10));
        assert_eq!(s.rate(VatCategory::Zero, day(2026, 3, 1)), VatRate::Percent(0));
        assert_eq!(s.rate(VatCategory::Exempt, day(2026, 3, 1)), VatRate::Without);
        // Before the first period: the first period's rate.
        assert_eq!(s.rate(VatCategory::Standard, day(2010, 1, 1)), VatRate::Percent(20));
        assert_eq!(s.rate(VatCategory::Exempt, day(2010, 1, 1)), VatRate::Without);
    }

    #[test]
    fn schedule_picks_the_latest_started_period_whatever_the_input_order() {
        let p = |category, valid_from, rate| VatPeriod {
            category,
            valid_from,
            rate,
        };
        let s = VatSchedule::new(vec![
            p(VatCategory::Standard, day(2026, 1, 1), VatRate::Percent(22)),
            p(VatCategory::Exempt, day(2019, 1, 1), VatRate::Without),
            p(VatCategory::Standard, day(2004, 1, 1), VatRate::Percent(18)),
            p(VatCategory::Zero, day(2019, 1, 1), VatRate::Percent(0)),
            p(VatCategory::Standard, day(2019, 1, 1), VatRate::Percent(20)),
            p(VatCategory::Reduced, day(2019, 1, 1), VatRate::Percent(10)),
        ])
        .expect("valid");
        assert_eq!(s.rate(VatCategory::Standard, day(2018, 12, 31)), VatRate::Percent(18));
        assert_eq!(s.rate(VatCategory::Standard, day(2019, 1, 1)), VatRate::Percent(20));
        assert_eq!(s.rate(VatCategory::Standard, day(2026, 1, 1)), VatRate::Percent(22));
        let starts: Vec<_> = s.periods().iter().map(|p| (p.category, p.valid_from)).collect();
        assert_eq!(
            starts[..3],
            [
                (VatCategory::Standard, day(2004, 1, 1)),
                (VatCategory::Standard, day(2019, 1, 1)),
                (VatCategory::Standard, day(2026, 1, 1)),
            ]
        );
    }

    #[test]
    fn schedule_rejects_duplicates_and_missing_categories() {
        let mut periods = VatSchedule::russian_default().periods().to_vec();
        periods.push(VatPeriod {
            category: VatCategory::Reduced,
            valid_from: day(2019, 1, 1),
            rate: VatRate::Percent(12),
        });
        let e = VatSchedule::new(periods).expect_err("duplicate");
        assert_eq!((e.field, e.code), ("vat_periods", "duplicate_vat_period"));
        assert_eq!(e.param("category"), Some("reduced"));
        assert_eq!(e.param("valid_from"), Some("2019-01-01"));

        let without_zero: Vec<_> = VatSchedule::russian_default()
            .periods()
            .iter()
            .filter(|p| p.category != VatCategory::Zero)
            .copied()
            .collect();
        let e = VatSchedule::new(without_zero).expect_err("missing");
        assert_eq!((e.field, e.code), ("vat_periods", "missing_vat_category"));
        assert_eq!(e.param("category"), Some("zero"));
        assert!(VatSchedule::new(Vec::new()).is_err());
    }
}
