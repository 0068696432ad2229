//! Russian business identifiers: INN, KPP, OGRN, OGRNIP, BIK, SNILS and the key checks
//! of settlement and correspondent accounts.
//!
//! Algorithms follow `shared/domain/identifiers.md` (Bank of Russia / FNS rules). Every
//! identifier is a newtype over its canonical text (digits only, KPP may contain A–Z),
//! kept as a string because identifiers may start with `0`. The only way to obtain a
//! value is [`Inn::parse`] & co., so holding an `Inn` proves it is well-formed. A checksum
//! only proves the number is well-formed, not that the company exists.
//!
//! Input is normalised before validation: whitespace (including the non-breaking spaces
//! that come with copy-paste from documents) and `-` are removed, because people write
//! `112-233-445 95` or `7707 083 893`. Anything else — letters, Cyrillic lookalikes such
//! as `О` for `0` — is rejected, never "fixed", because guessing would silently turn a
//! typo into somebody else's requisites.
//!
//! The `*_check_digit(s)` / [`account_key`] helpers are exposed for the demo-data
//! generator: build the leading digits, append the computed check digit(s) and the result
//! parses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::FieldError;

/// Parameter key under which the short reason of a rejection is stored.
const REASON: &str = "reason";

/// Why a value was rejected; the strings are the stable values of the `reason` param.
#[derive(Clone, Copy)]
enum Reason {
    Length,
    Checksum,
    Characters,
    AllZeros,
    Sign,
    WrongBank,
    Prefix,
}

impl Reason {
    fn key(self) -> &'static str {
        match self {
            Reason::Length => "length",
            Reason::Checksum => "checksum",
            Reason::Characters => "characters",
            Reason::AllZeros => "all_zeros",
            Reason::Sign => "sign",
            Reason::WrongBank => "wrong_bank",
            Reason::Prefix => "prefix",
        }
    }
}

/// Field name and error code of one kind of identifier, so every check of that kind
/// reports consistently.
#[derive(Clone, Copy)]
struct Kind {
    field: &'static str,
    code: &'static str,
}

impl Kind {
    fn reject(self, reason: Reason) -> FieldError {
        FieldError::new(self.field, self.code).with(REASON, reason.key())
    }
}

const INN: Kind = Kind {
    field: "inn",
    code: "invalid_inn",
};
const KPP: Kind = Kind {
    field: "kpp",
    code: "invalid_kpp",
};
const OGRN: Kind = Kind {
    field: "ogrn",
    code: "invalid_ogrn",
};
const OGRNIP: Kind = Kind {
    field: "ogrnip",
    code: "invalid_ogrnip",
};
const BIK: Kind = Kind {
    field: "bik",
    code: "invalid_bik",
};
const ACCOUNT: Kind = Kind {
    field: "account",
    code: "invalid_account",
};
const CORR_ACCOUNT: Kind = Kind {
    field: "corr_account",
    code: "invalid_corr_account",
};
const SNILS: Kind = Kind {
    field: "snils",
    code: "invalid_snils",
};

/// Removes the separators people legitimately type or paste (`-`, spaces of any kind);
/// everything else is left in place for the caller to accept or reject.
fn normalize(input: &str) -> String {
    input.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect()
}

/// Normalises `input` and checks it is non-empty, ASCII digits only, and one of the
/// allowed lengths. Returns the canonical text and its digit values.
fn digits(input: &str, kind: Kind, lengths: &[usize]) -> Result<(String, Vec<u8>), FieldError> {
    let text = normalize(input);
    if text.is_empty() {
        return Err(FieldError::new(kind.field, "required"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(kind.reject(Reason::Characters));
    }
    if !lengths.contains(&text.len()) {
        return Err(kind.reject(Reason::Length));
    }
    let values = text.bytes().map(|b| b - b'0').collect();
    Ok((text, values))
}

/// Reads digit values as one integer. Only called on ≤ 14 digits, which fit in `u64`.
fn as_number(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0u64, |acc, d| acc.wrapping_mul(10).wrapping_add(u64::from(*d)))
}

/// The INN check digit: weighted sum mod 11 mod 10 (a remainder of 10 gives 0).
fn inn_check(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| u32::from(*d) * w).sum();
    // Both moduli keep the value below 10, so the cast cannot truncate.
    (sum % 11 % 10) as u8
}

const INN10_WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_1: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_2: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/// Check digit (10th) of a legal entity's INN from its first 9 digits (values 0–9).
pub fn inn10_check_digit(first9: &[u8; 9]) -> u8 {
    inn_check(first9, &INN10_WEIGHTS)
}

/// Check digits (11th, 12th) of an individual's INN from its first 10 digits
/// (values 0–9). The second check digit covers the first one.
pub fn inn12_check_digits(first10: &[u8; 10]) -> (u8, u8) {
    let c1 = inn_check(first10, &INN12_WEIGHTS_1);
    let mut first11 = [0u8; 11];
    first11[..10].copy_from_slice(first10);
    first11[10] = c1;
    (c1, inn_check(&first11, &INN12_WEIGHTS_2))
}

/// Check digit of an OGRN from its first 12 digits read as an integer:
/// remainder mod 11, then its lowest digit (10 → 0).
pub fn ogrn_check_digit(first12: u64) -> u8 {
    // < 10 after the second modulus, so the cast cannot truncate.
    (first12 % 11 % 10) as u8
}

/// Check digit of an OGRNIP from its first 14 digits read as an integer:
/// remainder mod 13, then its lowest digit (10, 11, 12 → 0, 1, 2).
pub fn ogrnip_check_digit(first14: u64) -> u8 {
    (first14 % 13 % 10) as u8
}

/// The two SNILS checksum digits (as a number 0–99) from its first 9 digits (values
/// 0–9): weights 9…1; sums of 100 and 101 give 00, larger sums are taken mod 101 (a
/// remainder of 100 also gives 00).
pub fn snils_checksum(first9: &[u8; 9]) -> u8 {
    let sum: u32 = first9
        .iter()
        .zip((1..=9u32).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let checksum = match sum {
        0..=99 => sum,
        100 | 101 => 0,
        _ => match sum % 101 {
            100 => 0,
            r => r,
        },
    };
    // Every branch yields a value below 100.
    checksum as u8
}

/// Key (control digit, position 9) that a 20-digit account (digit values 0–9; the
/// current 9th digit is ignored) must have to pass [`check_settlement_account`] with
/// `bik`. Used to generate accounts for demo data and test fixtures.
pub fn account_key(account: &[u8; 20], bik: &Bik) -> u8 {
    let mut zeroed = *account;
    zeroed[8] = 0;
    let sum = account_control_sum(&bik.settlement_prefix(), &zeroed);
    // The key sits under weight 3 and 3·7 ≡ 1 (mod 10), so multiplying by 3 undoes it.
    ((sum % 10) * 3 % 10) as u8
}

/// Weights `7 1 3` repeated over the 23-digit control string.
const ACCOUNT_WEIGHTS: [u32; 3] = [7, 1, 3];

/// Weighted sum of the control string `prefix (3 digits) + account (20 digits)`.
fn account_control_sum(prefix: &[u8; 3], account: &[u8]) -> u32 {
    prefix
        .iter()
        .chain(account)
        .zip(ACCOUNT_WEIGHTS.iter().cycle())
        .map(|(d, w)| u32::from(*d) * w)
        .sum()
}

/// Checks a client's settlement account (расчётный счёт) against the bank's BIK with the
/// Bank of Russia key algorithm. Spaces and `-` in `account` are ignored.
///
/// The most common error this catches is a correct account typed with another bank's
/// BIK. For treasury BIKs (not starting with `04`, see [`Bik::is_credit_institution`])
/// treasury accounts follow their own rules: callers should only warn on a failure.
pub fn check_settlement_account(account: &str, bik: &Bik) -> Result<(), FieldError> {
    let (_, digits) = digits(account, ACCOUNT, &[20])?;
    if !account_control_sum(&bik.settlement_prefix(), &digits).is_multiple_of(10) {
        return Err(ACCOUNT.reject(Reason::Checksum));
    }
    Ok(())
}

/// Checks a bank's correspondent account (корреспондентский счёт, `30101…`) against its
/// BIK: prefix `30101`, last three digits equal to the BIK's, and the key computed as for
/// an account held in a Bank of Russia division. Spaces and `-` are ignored.
pub fn check_corr_account(account: &str, bik: &Bik) -> Result<(), FieldError> {
    let (text, digits) = digits(account, CORR_ACCOUNT, &[20])?;
    if !text.starts_with("30101") {
        return Err(CORR_ACCOUNT.reject(Reason::Prefix));
    }
    // The key check only sees BIK digits 5–6 (the Bank of Russia division), so every bank
    // of that division would pass it; the last three digits pin the account to one bank.
    if text[17..] != bik.0[6..] {
        return Err(CORR_ACCOUNT.reject(Reason::WrongBank));
    }
    if !account_control_sum(&bik.division_prefix(), &digits).is_multiple_of(10) {
        return Err(CORR_ACCOUNT.reject(Reason::Checksum));
    }
    Ok(())
}

/// Implements the common traits of an identifier newtype whose inner field is its
/// canonical text and which has `fn parse(&str) -> Result<Self, FieldError>`.
macro_rules! identifier_traits {
    ($name:ident) => {
        impl FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = FieldError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = FieldError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

/// INN (ИНН): 10 digits for a legal entity, 12 for an individual or sole proprietor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Inn(String);

impl Inn {
    /// Parses and validates an INN (both check digits for 12-digit INNs).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let (text, d) = digits(input, INN, &[10, 12])?;
        // "0000000000" satisfies the arithmetic but is never issued.
        if d.iter().all(|x| *x == 0) {
            return Err(INN.reject(Reason::AllZeros));
        }
        // `digits` guarantees the length is 10 or 12.
        let ok = if d.len() == 10 {
            let mut first9 = [0u8; 9];
            first9.copy_from_slice(&d[..9]);
            inn10_check_digit(&first9) == d[9]
        } else {
            let mut first10 = [0u8; 10];
            first10.copy_from_slice(&d[..10]);
            inn12_check_digits(&first10) == (d[10], d[11])
        };
        if !ok {
            return Err(INN.reject(Reason::Checksum));
        }
        Ok(Self(text))
    }

    /// `true` for a 10-digit INN (legal entity, incl. foreign organisations `9909…`),
    /// `false` for a 12-digit one (individual / sole proprietor, personal data).
    pub fn is_legal_entity(&self) -> bool {
        self.0.len() == 10
    }
}

identifier_traits!(Inn);

/// KPP (КПП): `NNNN PP XXX`, no checksum; the reason code `PP` may be `0-9A-Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Kpp(String);

impl Kpp {
    /// Parses a KPP by format (`^\d{4}[0-9A-Z]{2}\d{3}$` after normalisation).
    /// Lowercase letters are rejected rather than upper-cased: KPP letters are rare, and
    /// a lowercase one more likely means a mistyped field than a real reason code.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let text = normalize(input);
        if text.is_empty() {
            return Err(FieldError::new(KPP.field, "required"));
        }
        let b = text.as_bytes();
        let digit_or_upper = |c: &u8| c.is_ascii_digit() || c.is_ascii_uppercase();
        if !b.iter().all(digit_or_upper) {
            return Err(KPP.reject(Reason::Characters));
        }
        if b.len() != 9 {
            return Err(KPP.reject(Reason::Length));
        }
        let digits_at = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if !(digits_at(0..4) && digits_at(6..9)) {
            return Err(KPP.reject(Reason::Characters));
        }
        Ok(Self(text))
    }
}

identifier_traits!(Kpp);

/// OGRN (ОГРН) of a legal entity: 13 digits, sign `1` or `5`, check digit mod 11.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Ogrn(String);

impl Ogrn {
    /// Parses and validates an OGRN.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let (text, d) = digits(input, OGRN, &[13])?;
        // Other leading digits start ГРН numbers of later register entries, not OGRNs;
        // 3 is the OGRNIP sign.
        if !matches!(d[0], 1 | 5) {
            return Err(OGRN.reject(Reason::Sign));
        }
        if ogrn_check_digit(as_number(&d[..12])) != d[12] {
            return Err(OGRN.reject(Reason::Checksum));
        }
        Ok(Self(text))
    }
}

identifier_traits!(Ogrn);

/// OGRNIP (ОГРНИП) of a sole proprietor: 15 digits, sign `3`, check digit mod 13.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Ogrnip(String);

impl Ogrnip {
    /// Parses and validates an OGRNIP. Remainders 10, 11, 12 give check digits 0, 1, 2
    /// (some public libraries only handle 10 and reject valid numbers).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let (text, d) = digits(input, OGRNIP, &[15])?;
        if d[0] != 3 {
            return Err(OGRNIP.reject(Reason::Sign));
        }
        if ogrnip_check_digit(as_number(&d[..14])) != d[14] {
            return Err(OGRNIP.reject(Reason::Checksum));
        }
        Ok(Self(text))
    }
}

identifier_traits!(Ogrnip);

/// BIK (БИК) of a bank or treasury body: 9 digits `CC RR DD NNN`, no checksum. The real
/// validation is a lookup in the Bank of Russia BIK directory, which is not done here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Bik(String);

impl Bik {
    /// Parses a BIK by format (9 digits after normalisation).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let (text, _) = digits(input, BIK, &[9])?;
        Ok(Self(text))
    }

    /// `true` if the BIK starts with `04` (a credit institution or Bank of Russia
    /// division in Russia). Other BIKs starting with `0` belong to treasury bodies
    /// (ТОФК); the UI should warn about them unless the payment is a budget one.
    pub fn is_credit_institution(&self) -> bool {
        self.0.starts_with("04")
    }

    /// `NNN` of `000`, `001`, `002` is reserved for Bank of Russia divisions themselves.
    fn is_bank_of_russia_division(&self) -> bool {
        matches!(&self.0[6..], "000" | "001" | "002")
    }

    /// Value of the digit at 0-based position `i` (the text is 9 ASCII digits by
    /// construction).
    fn digit(&self, i: usize) -> u8 {
        self.0.as_bytes()[i] - b'0'
    }

    /// Control prefix for an account held in a Bank of Russia division:
    /// `0` + BIK digits 5–6 (1-based).
    fn division_prefix(&self) -> [u8; 3] {
        [0, self.digit(4), self.digit(5)]
    }

    /// Control prefix for a client account at this BIK: the last three BIK digits for a
    /// credit institution, the division prefix if the BIK is a Bank of Russia division
    /// (accounts there are "held in a Bank of Russia division").
    fn settlement_prefix(&self) -> [u8; 3] {
        if self.is_bank_of_russia_division() {
            self.division_prefix()
        } else {
            [self.digit(6), self.digit(7), self.digit(8)]
        }
    }
}

identifier_traits!(Bik);

/// SNILS (СНИЛС): 11 digits, 9-digit number + 2-digit checksum. Personal data: its
/// `Debug` output is redacted so it cannot leak into logs via `{:?}`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct Snils(String);

/// Numbers up to 001-001-998 were issued before the checksum was defined.
const SNILS_LAST_UNCHECKED: u64 = 1_001_998;

impl Snils {
    /// Parses and validates a SNILS (`112-233-445 95` and `11223344595` both accepted).
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let (text, d) = digits(input, SNILS, &[11])?;
        let mut first9 = [0u8; 9];
        first9.copy_from_slice(&d[..9]);
        let checksum = d[9] * 10 + d[10];
        if as_number(&first9) > SNILS_LAST_UNCHECKED && snils_checksum(&first9) != checksum {
            return Err(SNILS.reject(Reason::Checksum));
        }
        Ok(Self(text))
    }

    /// The conventional written form `XXX-XXX-XXX YY`.
    pub fn formatted(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{} {}", &s[0..3], &s[3..6], &s[6..9], &s[9..11])
    }
}

impl fmt::Debug for Snils {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Snils(<redacted>)")
    }
}

identifier_traits!(Snils);

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(e: &FieldError) -> &str {
        e.param("reason").unwrap_or("-")
    }

    fn digit_array<const N: usize>(s: &str) -> [u8; N] {
        let v: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        v.try_into().expect("length")
    }

    fn bik(s: &str) -> Bik {
        Bik::parse(s).expect("valid BIK")
    }

    // --- worked examples of identifiers.md ---

    #[test]
    fn inn10_sberbank_worked_example() {
        assert_eq!(inn10_check_digit(&digit_array("770708389")), 3);
        let inn = Inn::parse("7707083893").expect("valid");
        assert!(inn.is_legal_entity());
        let e = Inn::parse("7707083894").expect_err("bad check digit");
        assert_eq!((e.field, e.code, reason(&e)), ("inn", "invalid_inn", "checksum"));
    }

    #[test]
    fn inn12_worked_example() {
        assert_eq!(inn12_check_digits(&digit_array("7700789847")), (9, 4));
        let inn = Inn::parse("770078984794").expect("valid");
        assert!(!inn.is_legal_entity());
        assert!(Inn::parse("123456789047").is_ok());
        assert!(Inn::parse("123456789037").is_err());
    }

    #[test]
    fn inn_rejections_have_reasons() {
        let r = |s: &str| reason(&Inn::parse(s).expect_err(s)).to_string();
        assert_eq!(r("0000000000"), "all_zeros");
        assert_eq!(r("000000000000"), "all_zeros");
        assert_eq!(r("770708389"), "length");
        assert_eq!(r("77070838A3"), "characters");
        // Cyrillic "О" instead of zero.
        assert_eq!(r("77О7083893"), "characters");
        let e = Inn::parse("  ").expect_err("empty");
        assert_eq!((e.field, e.code), ("inn", "required"));
    }

    #[test]
    fn normalisation_strips_spaces_and_dashes_only() {
        assert_eq!(Inn::parse(" 7707 083-893\t").expect("valid").as_ref(), "7707083893");
        assert_eq!(Inn::parse("7707\u{a0}083893").expect("nbsp").as_ref(), "7707083893");
        assert!(Inn::parse("7707_083893").is_err());
        assert!(Inn::parse("7707.083893").is_err());
    }

    #[test]
    fn kpp_format() {
        assert!(Kpp::parse("773601001").is_ok());
        assert!(Kpp::parse("7736AA001").is_ok());
        let r = |s: &str| reason(&Kpp::parse(s).expect_err(s)).to_string();
        assert_eq!(r("7736aa001"), "characters");
        assert_eq!(r("7736ЖЖ001"), "characters");
        assert_eq!(r("A73601001"), "characters");
        assert_eq!(r("77360100A"), "characters");
        assert_eq!(r("77360100"), "length");
        assert_eq!(Kpp::parse("").expect_err("empty").code, "required");
    }

    #[test]
    fn ogrn_worked_examples() {
        assert_eq!(ogrn_check_digit(102_770_013_219), 5);
        assert!(Ogrn::parse("1027700132195").is_ok());
        // Remainder 10 → check digit 0.
        assert_eq!(125_772_952_777u64 % 11, 10);
        assert_eq!(ogrn_check_digit(125_772_952_777), 0);
        assert!(Ogrn::parse("1257729527770").is_ok());
        let r = |s: &str| reason(&Ogrn::parse(s).expect_err(s)).to_string();
        assert_eq!(r("1022500001328"), "checksum");
        assert_eq!(r("3027700132195"), "sign");
        assert_eq!(r("102770013219"), "length");
    }

    #[test]
    fn ogrnip_worked_example_remainder_11() {
        assert_eq!(32_178_919_230_924u64 % 13, 11);
        assert_eq!(ogrnip_check_digit(32_178_919_230_924), 1);
        assert!(Ogrnip::parse("321789192309241").is_ok());
        let e = Ogrnip::parse("321789192309242").expect_err("bad");
        assert_eq!((e.code, reason(&e)), ("invalid_ogrnip", "checksum"));
        let e = Ogrnip::parse("110502181772543").expect_err("sign");
        assert_eq!(reason(&e), "sign");
    }

    #[test]
    fn settlement_account_worked_example() {
        let sber = bik("044525225");
        assert!(check_settlement_account("40702810834085231313", &sber).is_ok());
        assert!(check_settlement_account("4070 2810 8340 8523 1313", &sber).is_ok());
        assert_eq!(account_key(&digit_array("40702810834085231313"), &sber), 8);
        let e = check_settlement_account("40702810934085231313", &sber).expect_err("key");
        assert_eq!(
            (e.field, e.code, reason(&e)),
            ("account", "invalid_account", "checksum")
        );
        let e = check_settlement_account("4070281083408523131", &sber).expect_err("19");
        assert_eq!(reason(&e), "length");
        // Valid for Sber, typed with T-Bank's BIK.
        assert!(check_settlement_account("40802810165326276774", &bik("044525974")).is_err());
    }

    #[test]
    fn corr_account_worked_example() {
        let sber = bik("044525225");
        assert!(check_corr_account("30101810400000000225", &sber).is_ok());
        let r = |a: &str, b: &Bik| reason(&check_corr_account(a, b).expect_err(a)).to_string();
        // T-Bank's account passes the key check against Sber's BIK (same division 25);
        // only the last-three-digits rule catches it.
        let tbank = "30101810145250000974";
        assert_eq!(
            account_control_sum(&sber.division_prefix(), &digit_array::<20>(tbank)) % 10,
            0
        );
        assert_eq!(r(tbank, &sber), "wrong_bank");
        assert_eq!(r("40702810400000000225", &sber), "prefix");
        assert_eq!(r("30101810500000000225", &sber), "checksum");
    }

    #[test]
    fn snils_worked_examples() {
        assert_eq!(snils_checksum(&digit_array("112233445")), 95);
        assert_eq!(snils_checksum(&digit_array("548693573")), 56);
        assert_eq!(snils_checksum(&digit_array("200119851")), 0);
        let s = Snils::parse("112-233-445 95").expect("valid");
        assert_eq!(s.as_ref(), "11223344595");
        assert_eq!(s.formatted(), "112-233-445 95");
        assert_eq!(format!("{s:?}"), "Snils(<redacted>)");
        assert!(Snils::parse("548-693-573 56").is_ok());
        assert!(Snils::parse("200-119-851 00").is_ok());
        assert!(
            Snils::parse("001-001-998 00").is_ok(),
            "not checked below the threshold"
        );
        let e = Snils::parse("01024236800").expect_err("bad");
        assert_eq!((e.field, e.code, reason(&e)), ("snils", "invalid_snils", "checksum"));
    }

    // --- generator helpers: a computed check digit makes parse succeed ---

    /// Deterministic pseudo-random digits (xorshift) so the tests need no RNG crate.
    fn pseudo_digits<const N: usize>(seed: &mut u64) -> [u8; N] {
        let mut out = [0u8; N];
        for d in &mut out {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *d = (*seed % 10) as u8;
        }
        out
    }

    fn text(d: &[u8]) -> String {
        d.iter().map(|x| char::from(b'0' + x)).collect()
    }

    #[test]
    fn generated_inns_parse() {
        let mut seed = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..500 {
            let mut first9: [u8; 9] = pseudo_digits(&mut seed);
            first9[0] = 7;
            let mut inn = first9.to_vec();
            inn.push(inn10_check_digit(&first9));
            assert!(Inn::parse(&text(&inn)).is_ok(), "{}", text(&inn));

            let mut first10: [u8; 10] = pseudo_digits(&mut seed);
            first10[0] = 5;
            let (c1, c2) = inn12_check_digits(&first10);
            let mut inn = first10.to_vec();
            inn.extend([c1, c2]);
            assert!(Inn::parse(&text(&inn)).is_ok(), "{}", text(&inn));
        }
    }

    #[test]
    fn generated_ogrns_and_ogrnips_parse() {
        let mut seed = 42;
        for _ in 0..500 {
            let mut first12: [u8; 12] = pseudo_digits(&mut seed);
            first12[0] = 1;
            let c = ogrn_check_digit(as_number(&first12));
            assert!(Ogrn::parse(&format!("{}{c}", text(&first12))).is_ok());

            let mut first14: [u8; 14] = pseudo_digits(&mut seed);
            first14[0] = 3;
            let c = ogrnip_check_digit(as_number(&first14));
            assert!(Ogrnip::parse(&format!("{}{c}", text(&first14))).is_ok());
        }
    }

    #[test]
    fn generated_snils_parse() {
        let mut seed = 7;
        for _ in 0..500 {
            let mut first9: [u8; 9] = pseudo_digits(&mut seed);
            first9[0] = 1 + first9[0] % 9;
            let c = snils_checksum(&first9);
            assert!(Snils::parse(&format!("{}{c:02}", text(&first9))).is_ok());
        }
    }

    #[test]
    fn generated_accounts_pass_for_their_bik_only() {
        let mut seed = 2024;
        let biks = ["044525225", "044525974", "045004641", "823397286", "044525000"];
        for b in biks {
            let b = bik(b);
            for _ in 0..200 {
                let mut account: [u8; 20] = pseudo_digits(&mut seed);
                account[..8].copy_from_slice(&[4, 0, 7, 0, 2, 8, 1, 0]);
                account[8] = account_key(&account, &b);
                let s = text(&account);
                assert!(check_settlement_account(&s, &b).is_ok(), "{s} / {b}");
                // Any other key digit must fail: the key is unique.
                account[8] = (account[8] + 1) % 10;
                assert!(check_settlement_account(&text(&account), &b).is_err());
            }
        }
    }

    #[test]
    fn bank_of_russia_division_bik_uses_division_prefix() {
        // For BIK 044525000 (a Bank of Russia division) the control string starts with
        // "0" + "25", not "000".
        let division = bik("044525000");
        assert_eq!(division.settlement_prefix(), [0, 2, 5]);
        assert_eq!(bik("044525225").settlement_prefix(), [2, 2, 5]);
        assert!(division.is_credit_institution());
        assert!(!bik("004525988").is_credit_institution());
    }

    // --- traits and serde ---

    #[test]
    fn traits_and_serde() {
        let inn: Inn = "7707083893".parse().expect("valid");
        assert_eq!(inn.to_string(), "7707083893");
        assert_eq!(String::from(inn.clone()), "7707083893");
        assert_eq!(serde_json::to_string(&inn).expect("ser"), "\"7707083893\"");
        let back: Inn = serde_json::from_str("\"7707 083 893\"").expect("de");
        assert_eq!(back, inn);
        let err = serde_json::from_str::<Inn>("\"7707083894\"").expect_err("checksum");
        assert!(err.to_string().contains("invalid_inn"), "{err}");
        assert!(
            serde_json::from_str::<Inn>("7707083893").is_err(),
            "numbers are not INNs"
        );

        let kpp: Kpp = serde_json::from_str("\"7736AA001\"").expect("kpp");
        assert_eq!(serde_json::to_string(&kpp).expect("ser"), "\"7736AA001\"");
        assert!(serde_json::from_str::<Bik>("\"O44525225\"").is_err());
        let snils: Snils = serde_json::from_str("\"112-233-445 95\"").expect("snils");
        assert_eq!(serde_json::to_string(&snils).expect("ser"), "\"11223344595\"");
    }
}
