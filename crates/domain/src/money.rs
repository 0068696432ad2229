//! Exact rouble amounts.
//!
//! [`Money`] stores kopecks in an `i64`, so sums are exact and never pass through binary
//! floating point (0.1 + 0.2 ≠ 0.3 is not an acceptable rounding error on an invoice).
//! `i64` kopecks cover ±92 quadrillion roubles, far beyond any amount a CRM sees;
//! arithmetic is checked so an overflow is an error, not a wrap.
//!
//! Two text forms exist:
//! * machine form (`Display`, JSON): `1234.56`, `-10.00` — always two decimals, `.`;
//! * Russian form ([`Money::format_ru`]): `1 234,56` with U+00A0 (no-break space) as the
//!   thousands separator so a number never wraps across lines.
//!
//! [`Money::parse`] accepts both, plus what people type: `1234`, `1234.5`, `1 234,56`.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::FieldError;

const FIELD: &str = "amount";
const CODE: &str = "invalid_money";

/// Non-breaking space used as the thousands separator of the Russian form.
const NBSP: char = '\u{a0}';

/// JSON floats at or above this many roubles are refused: with ≤ 15 significant digits
/// (13 before the point + 2 after) the shortest text of the `f64` is exactly the text
/// that was sent, so reading that text back is lossless; beyond it the number may
/// already have been rounded by the JSON parser. Such amounts must come as strings or
/// integers.
const MAX_EXACT_FLOAT_RUBLES: f64 = 1e13;

fn reject(reason: &'static str) -> FieldError {
    FieldError::new(FIELD, CODE).with("reason", reason)
}

/// An exact amount of Russian roubles, stored as kopecks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(i64);

impl Money {
    /// Zero roubles.
    pub const ZERO: Money = Money(0);

    /// An amount of `kopecks` (1/100 rouble).
    pub const fn from_kopecks(kopecks: i64) -> Self {
        Self(kopecks)
    }

    /// The amount in kopecks.
    pub const fn kopecks(self) -> i64 {
        self.0
    }

    /// `true` for amounts below zero (refunds, credit notes, overpayments).
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Parses `1234`, `1234.5`, `1234.56`, `1 234,56`, `-10.00`.
    ///
    /// Whitespace anywhere is ignored (thousands separators, incl. U+00A0 as produced by
    /// [`Money::format_ru`]); `.` or `,` is the decimal separator. More than two decimals
    /// are rejected rather than rounded — and `1.234` is rejected rather than read as
    /// 1234, because in Russian practice `.` is sometimes a thousands separator and
    /// guessing could be off by a factor of 1000.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if text.is_empty() {
            return Err(FieldError::new(FIELD, "required"));
        }
        if !text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-')) {
            return Err(reject("characters"));
        }
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (whole, fraction) = match body.split_once(['.', ',']) {
            Some((w, f)) => (w, f),
            None => (body, ""),
        };
        let has_separator = whole.len() != body.len();
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        // Both sides of the separator need digits: "1." and ".5" are more likely typos
        // than amounts. A second sign or separator also ends up here.
        if whole.is_empty() || !all_digits(whole) || (has_separator && fraction.is_empty()) || !all_digits(fraction) {
            return Err(reject("format"));
        }
        if fraction.len() > 2 {
            return Err(reject("decimals"));
        }

        let mut rubles: i128 = 0;
        for b in whole.bytes() {
            rubles = rubles * 10 + i128::from(b - b'0');
            // Stop early so absurdly long input cannot overflow the i128 accumulator.
            if rubles > i128::from(i64::MAX) {
                return Err(reject("overflow"));
            }
        }
        let mut cents: i128 = 0;
        for (i, b) in fraction.bytes().enumerate() {
            // "1234.5" means 50 kopecks: the first decimal digit is worth 10.
            let weight = if i == 0 { 10 } else { 1 };
            cents += i128::from(b - b'0') * weight;
        }
        let magnitude = rubles * 100 + cents;
        let signed = if negative { -magnitude } else { magnitude };
        i64::try_from(signed).map(Self).map_err(|_| reject("overflow"))
    }

    /// The amount as a `Decimal` with scale 2 (for SQL `NUMERIC` and reports).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Converts an exact decimal amount. Trailing zeros do not count as decimal places
    /// (`1.2300` from a `NUMERIC(18,4)` column is fine); a value with a non-zero third
    /// decimal is rejected, never rounded.
    pub fn from_decimal(d: Decimal) -> Result<Self, FieldError> {
        let d = d.normalize();
        let scale = d.scale();
        if scale > 2 {
            return Err(reject("decimals"));
        }
        let factor = if scale == 2 { 1 } else { 10i128.pow(2 - scale) };
        d.mantissa()
            .checked_mul(factor)
            .and_then(|k| i64::try_from(k).ok())
            .map(Self)
            .ok_or_else(|| reject("overflow"))
    }

    /// Sum, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Self)
    }

    /// Difference, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// Russian display form: `1 234,56`, `-10,00`, with U+00A0 between digit groups.
    pub fn format_ru(self) -> String {
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut out = String::with_capacity(whole.len() * 2 + 4);
        if self.0 < 0 {
            out.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(NBSP);
            }
            out.push(c);
        }
        out.push(',');
        out.push_str(&format!("{:02}", abs % 100));
        out
    }
}

/// Machine form `1234.56` / `-10.00`; honours width/alignment flags for tables.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        // unsigned_abs: `-i64::MIN` does not exist as an i64.
        let abs = self.0.unsigned_abs();
        f.pad(&format!("{sign}{}.{:02}", abs / 100, abs % 100))
    }
}

impl std::str::FromStr for Money {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Serialized as the machine-form string, so no JSON consumer reads it as a float.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Accepts a string (anything [`Money::parse`] takes) or a JSON number in roubles.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

struct MoneyVisitor;

impl Visitor<'_> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount in roubles with at most 2 decimals, as a string or number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        Money::parse(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        v.checked_mul(100)
            .map(Money)
            .ok_or_else(|| E::custom(reject("overflow")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        i64::try_from(v)
            .ok()
            .and_then(|r| r.checked_mul(100))
            .map(Money)
            .ok_or_else(|| E::custom(reject("overflow")))
    }

    /// serde_json (without `arbitrary_precision`) hands us an `f64`. Its `Display` is
    /// the shortest text that reads back as the same `f64`, i.e. the sender's text for
    /// any amount within [`MAX_EXACT_FLOAT_RUBLES`]; that text goes through the exact
    /// decimal parser, so `0.1` is 10 kopecks and `0.125` is an error, not a rounding.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        if !v.is_finite() {
            return Err(E::custom(reject("characters")));
        }
        if v.abs() >= MAX_EXACT_FLOAT_RUBLES {
            return Err(E::custom(reject("precision")));
        }
        Money::parse(&format!("{v}")).map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn kop(s: &str) -> i64 {
        Money::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}")).kopecks()
    }

    fn reason(s: &str) -> String {
        let e = Money::parse(s).expect_err(s);
        assert_eq!((e.field, e.code), ("amount", "invalid_money"), "{s:?}");
        e.param("reason").unwrap_or("-").to_string()
    }

    #[test]
    fn parses_accepted_forms() {
        assert_eq!(kop("1234"), 123_400);
        assert_eq!(kop("1234.5"), 123_450);
        assert_eq!(kop("1234,5"), 123_450);
        assert_eq!(kop("1 234,56"), 123_456);
        assert_eq!(kop("1\u{a0}234,56"), 123_456);
        assert_eq!(kop("1234.56"), 123_456);
        assert_eq!(kop("-10.00"), -1000);
        assert_eq!(kop("-0.05"), -5);
        assert_eq!(kop("  0 "), 0);
        assert_eq!(kop("007.10"), 710);
        assert_eq!(kop("-92233720368547758.08"), i64::MIN);
        assert_eq!(kop("92233720368547758.07"), i64::MAX);
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(reason("1.234"), "decimals");
        assert_eq!(reason("1234.567"), "decimals");
        assert_eq!(reason("12a"), "characters");
        assert_eq!(reason("1е3"), "characters"); // Cyrillic "е"
        assert_eq!(reason("+5"), "characters");
        assert_eq!(reason("1e3"), "characters");
        assert_eq!(reason("1."), "format");
        assert_eq!(reason(".5"), "format");
        assert_eq!(reason("-"), "format");
        assert_eq!(reason("--5"), "format");
        assert_eq!(reason("5-"), "format");
        assert_eq!(reason("1.234,56"), "format");
        assert_eq!(reason("92233720368547758.08"), "overflow");
        assert_eq!(reason("-92233720368547758.09"), "overflow");
        assert_eq!(reason(&"9".repeat(100)), "overflow");
        let e = Money::parse(" ").expect_err("empty");
        assert_eq!((e.field, e.code), ("amount", "required"));
    }

    #[test]
    fn display_and_format_ru() {
        let m = Money::from_kopecks(123_456);
        assert_eq!(m.to_string(), "1234.56");
        assert_eq!(m.format_ru(), "1\u{a0}234,56");
        assert_eq!(Money::from_kopecks(-1000).to_string(), "-10.00");
        assert_eq!(Money::from_kopecks(-5).to_string(), "-0.05");
        assert_eq!(Money::from_kopecks(-5).format_ru(), "-0,05");
        assert_eq!(Money::ZERO.format_ru(), "0,00");
        assert_eq!(Money::from_kopecks(99_999).format_ru(), "999,99");
        assert_eq!(
            Money::from_kopecks(12_345_678_900).format_ru(),
            "123\u{a0}456\u{a0}789,00"
        );
        assert_eq!(
            Money::from_kopecks(i64::MIN).format_ru(),
            "-92\u{a0}233\u{a0}720\u{a0}368\u{a0}547\u{a0}758,08"
        );
        assert_eq!(format!("{:>10}", Money::from_kopecks(150)), "      1.50");
        assert_eq!(Money::from_str("5").expect("ok"), Money::from_kopecks(500));
    }

    #[test]
    fn decimal_conversion() {
        let m = Money::from_kopecks(-123_456);
        assert_eq!(m.to_decimal().to_string(), "-1234.56");
        assert_eq!(Money::from_decimal(m.to_decimal()), Ok(m));
        assert_eq!(
            Money::from_decimal(Decimal::new(12_300, 4)),
            Ok(Money::from_kopecks(123))
        );
        assert_eq!(Money::from_decimal(Decimal::new(15, 0)), Ok(Money::from_kopecks(1500)));
        let e = Money::from_decimal(Decimal::new(1_001, 3)).expect_err("3 decimals");
        assert_eq!(e.param("reason"), Some("decimals"));
        let e = Money::from_decimal(Decimal::MAX).expect_err("too big");
        assert_eq!(e.param("reason"), Some("overflow"));
    }

    #[test]
    fn checked_arithmetic() {
        let a = Money::from_kopecks(150);
        let b = Money::from_kopecks(275);
        assert_eq!(a.checked_add(b), Some(Money::from_kopecks(425)));
        assert_eq!(a.checked_sub(b), Some(Money::from_kopecks(-125)));
        assert!(a.checked_sub(b).is_some_and(Money::is_negative));
        assert_eq!(Money::from_kopecks(i64::MAX).checked_add(a), None);
        assert_eq!(Money::from_kopecks(i64::MIN).checked_sub(a), None);
    }

    #[test]
    fn serde_json_forms() {
        let m = Money::from_kopecks(123_456);
        assert_eq!(serde_json::to_string(&m).expect("ser"), "\"1234.56\"");
        let de = |s: &str| serde_json::from_str::<Money>(s);
        assert_eq!(de("\"1234.56\"").expect("str"), m);
        assert_eq!(de("\"1 234,56\"").expect("ru str"), m);
        assert_eq!(de("1234.56").expect("float"), m);
        assert_eq!(de("1234").expect("int"), Money::from_kopecks(123_400));
        assert_eq!(de("-7").expect("neg int"), Money::from_kopecks(-700));
        assert_eq!(de("0.1").expect("0.1"), Money::from_kopecks(10));
        assert_eq!(de("-0.29").expect("-0.29"), Money::from_kopecks(-29));
        assert_eq!(de("1e3").expect("exponent"), Money::from_kopecks(100_000));
        assert_eq!(
            de("9999999999999.99").expect("13+2 digits"),
            Money::from_kopecks(999_999_999_999_999)
        );
        assert!(de("0.125").is_err(), "3 decimals");
        assert!(de("1e-7").is_err(), "tiny float");
        assert!(de("10000000000000.5").is_err(), "float beyond exact range");
        assert_eq!(
            de("92233720368547758").expect("max whole"),
            Money::from_kopecks(9_223_372_036_854_775_800)
        );
        assert!(de("92233720368547759").is_err(), "integer roubles overflow kopecks");
        assert!(de("-92233720368547759").is_err(), "negative overflow");
        assert!(de("18446744073709551615").is_err(), "u64 overflow");
        assert!(de("\"abc\"").is_err());
        assert!(de("null").is_err());
        assert!(de("true").is_err());
        let big = Money::from_kopecks(i64::MAX);
        let text = serde_json::to_string(&big).expect("ser");
        assert_eq!(de(&text).expect("max via string"), big);
    }

    proptest! {
        #[test]
        fn display_round_trips(k in any::<i64>()) {
            let m = Money::from_kopecks(k);
            prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        }

        #[test]
        fn format_ru_round_trips(k in any::<i64>()) {
            let m = Money::from_kopecks(k);
            prop_assert_eq!(Money::parse(&m.format_ru()), Ok(m));
        }

        #[test]
        fn decimal_round_trips(k in any::<i64>()) {
            let m = Money::from_kopecks(k);
            prop_assert_eq!(Money::from_decimal(m.to_decimal()), Ok(m));
        }

        #[test]
        fn json_string_round_trips(k in any::<i64>()) {
            let m = Money::from_kopecks(k);
            let json = serde_json::to_string(&m).expect("ser");
            prop_assert_eq!(serde_json::from_str::<Money>(&json).expect("de"), m);
        }

        /// Amounts sent as JSON floats with ≤ 2 decimals (up to 10^13 roubles) arrive
        /// exactly, without f64 rounding.
        #[test]
        fn json_float_is_exact(k in -999_999_999_999_999i64..=999_999_999_999_999) {
            let m = Money::from_kopecks(k);
            prop_assert_eq!(serde_json::from_str::<Money>(&m.to_string()).expect("de"), m);
        }
    }
}
