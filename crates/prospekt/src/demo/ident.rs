//! Check digits of Russian business identifiers, for generating valid demo requisites.
//!
//! The algorithms are those of `shared/domain/identifiers.md` (INN, OGRN, OGRNIP, the
//! settlement-account key against a BIK). They are written here on purpose, not taken
//! from the domain crate: demo data must stay valid even while that code changes, and the
//! tests below pin them to the worked examples of the document.

/// `(Σ digit·weight) mod 11 mod 10` — the INN check digit.
fn inn_check(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits.iter().zip(weights).map(|(&d, &w)| u32::from(d) * w).sum();
    (sum % 11 % 10) as u8
}

const INN10_WEIGHTS: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_1: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_WEIGHTS_2: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

fn digits_of(s: &str) -> Option<Vec<u8>> {
    s.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect()
}

fn push_digits(out: &mut Vec<u8>, mut value: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, 0);
    for i in (0..width).rev() {
        out[start + i] = (value % 10) as u8;
        value /= 10;
    }
}

fn to_string(digits: &[u8]) -> String {
    digits.iter().map(|&d| char::from(b'0' + d)).collect()
}

/// A legal entity's 10-digit INN: tax office `region`+`office` (2+2 digits), a 5-digit
/// record number and the check digit.
pub fn inn10(region: u32, office: u32, record: u32) -> String {
    let mut d = Vec::with_capacity(10);
    push_digits(&mut d, u64::from(region), 2);
    push_digits(&mut d, u64::from(office), 2);
    push_digits(&mut d, u64::from(record), 5);
    let c = inn_check(&d, &INN10_WEIGHTS);
    d.push(c);
    to_string(&d)
}

/// An individual's 12-digit INN: tax office (2+2 digits), 6-digit record, two check digits.
pub fn inn12(region: u32, office: u32, record: u32) -> String {
    let mut d = Vec::with_capacity(12);
    push_digits(&mut d, u64::from(region), 2);
    push_digits(&mut d, u64::from(office), 2);
    push_digits(&mut d, u64::from(record), 6);
    let c1 = inn_check(&d, &INN12_WEIGHTS_1);
    d.push(c1);
    let c2 = inn_check(&d, &INN12_WEIGHTS_2);
    d.push(c2);
    to_string(&d)
}

/// OGRN (13 digits): sign, 2-digit year, region, tax office, 5-digit record, check digit
/// = (first 12 digits) mod 11 mod 10.
pub fn ogrn(sign: u64, year2: u64, region: u64, office: u64, record: u64) -> String {
    let body = (((sign * 100 + year2) * 100 + region) * 100 + office) * 100_000 + record;
    format!("{body:012}{}", body % 11 % 10)
}

/// OGRNIP (15 digits): sign 3, 2-digit year, region, 9-digit record, check digit =
/// (first 14 digits) mod 13 mod 10.
pub fn ogrnip(year2: u64, region: u64, record: u64) -> String {
    let body = ((3 * 100 + year2) * 100 + region) * 1_000_000_000 + record;
    format!("{body:014}{}", body % 13 % 10)
}

const ACCOUNT_WEIGHTS: [u32; 3] = [7, 1, 3];

fn account_sum(control: &[u8]) -> u32 {
    control
        .iter()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * ACCOUNT_WEIGHTS[i % 3])
        .sum()
}

/// A 20-digit account held in a credit institution, with its key digit (position 9)
/// computed against `bik`: `prefix8` is balance account + currency (e.g. `40702810`),
/// `rest` the last 11 digits (branch + personal number).
pub fn settlement_account(bik: &str, prefix8: &str, rest: u64) -> String {
    let mut control = digits_of(&bik[bik.len().saturating_sub(3)..]).unwrap_or_default();
    let mut account = digits_of(prefix8).unwrap_or_default();
    account.push(0);
    push_digits(&mut account, rest, 11);
    control.extend_from_slice(&account);
    let key = ((account_sum(&control) % 10) * 3 % 10) as u8;
    account[8] = key;
    to_string(&account)
}

/// Validators, used by the tests to check every generated row.
#[cfg(test)]
pub mod check {
    use super::*;

    pub fn inn(s: &str) -> bool {
        let Some(d) = digits_of(s) else { return false };
        match d.len() {
            10 => inn_check(&d[..9], &INN10_WEIGHTS) == d[9],
            12 => inn_check(&d[..10], &INN12_WEIGHTS_1) == d[10] && inn_check(&d[..11], &INN12_WEIGHTS_2) == d[11],
            _ => false,
        }
    }

    pub fn ogrn(s: &str) -> bool {
        if s.len() != 13 || !s.starts_with(['1', '5']) {
            return false;
        }
        match (s[..12].parse::<u64>(), s[12..].parse::<u64>()) {
            (Ok(body), Ok(c)) => body % 11 % 10 == c,
            _ => false,
        }
    }

    pub fn ogrnip(s: &str) -> bool {
        if s.len() != 15 || !s.starts_with('3') {
            return false;
        }
        match (s[..14].parse::<u64>(), s[14..].parse::<u64>()) {
            (Ok(body), Ok(c)) => body % 13 % 10 == c,
            _ => false,
        }
    }

    pub fn account(account: &str, bik: &str) -> bool {
        let (Some(a), Some(b)) = (digits_of(account), digits_of(bik)) else {
            return false;
        };
        if a.len() != 20 || b.len() != 9 {
            return false;
        }
        let mut control = b[6..].to_vec();
        control.extend_from_slice(&a);
        account_sum(&control).is_multiple_of(10)
    }

    pub fn corr_account(account: &str, bik: &str) -> bool {
        let (Some(a), Some(b)) = (digits_of(account), digits_of(bik)) else {
            return false;
        };
        if a.len() != 20 || b.len() != 9 || !account.starts_with("30101") || a[17..] != b[6..] {
            return false;
        }
        let mut control = vec![0, b[4], b[5]];
        control.extend_from_slice(&a);
        account_sum(&control).is_multiple_of(10)
    }

    pub fn kpp(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 9
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4..6].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            && b[6..].iter().all(u8::is_ascii_digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_examples_of_the_identifiers_document() {
        assert!(check::inn("7707083893"));
        assert!(!check::inn("7707083894"));
        assert!(check::inn("123456789047"));
        assert!(!check::inn("123456789037"));
        assert!(check::ogrn("1027700132195"));
        assert!(!check::ogrn("1022500001328"));
        assert!(check::ogrnip("321789192309241"));
        assert!(!check::ogrnip("321789192309242"));
        assert!(check::account("40702810834085231313", "044525225"));
        assert!(!check::account("40802810165326276774", "044525974"));
        assert!(check::corr_account("30101810400000000225", "044525225"));
        assert!(!check::corr_account("30101810145250000974", "044525225"));
        assert!(check::kpp("7736AA001"));
        assert!(!check::kpp("7736aa001"));
    }

    #[test]
    fn generated_identifiers_pass_their_checks() {
        assert_eq!(inn10(77, 7, 8389), "7707083893");
        assert_eq!(
            settlement_account("044525225", "40702810", 34085231313),
            "40702810834085231313"
        );
        for i in 0..2000u32 {
            assert!(check::inn(&inn10(i % 99 + 1, i % 90 + 10, i * 37 % 100_000)));
            assert!(check::inn(&inn12(i % 99 + 1, i % 90 + 10, i * 7919 % 1_000_000)));
            let i = u64::from(i);
            assert!(check::ogrn(&ogrn(
                1 + 4 * (i % 2),
                i % 25,
                i % 99,
                i % 90,
                i * 37 % 100_000
            )));
            assert!(check::ogrnip(&ogrnip(i % 25, i % 99, i * 104_729 % 1_000_000_000)));
            for (bik, _, corr, _) in super::super::words::BANKS {
                assert!(check::account(&settlement_account(bik, "40702810", i * 1_234_567), bik));
                assert!(check::account(&settlement_account(bik, "40802810", i * 7_654_321), bik));
                assert!(check::corr_account(corr, bik), "{corr} / {bik}");
            }
        }
    }
}
