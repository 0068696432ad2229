//! Runs every row of `vectors/identifiers.json` (a copy of
//! `shared/domain/identifiers.json`, 205 rows generated and self-checked by the script
//! that wrote `identifiers.md`) through the parsers of `prospekt_domain::identifiers`.
//!
//! The vectors judge the *exact string*: `" 7707083893"` or `"044 525 225"` are marked
//! invalid ("normalise before validating, then valid"). Our parsers deliberately
//! normalise (strip spaces and `-`) because that is what users type, so the verdict
//! compared with `valid` is "parses, and the input already is the canonical text".
//! A second test pins down that normalisation is the only leniency: for those rows the
//! separator-free text is valid by the same parser.

use prospekt_domain::error::FieldError;
use prospekt_domain::identifiers::{Bik, Inn, Kpp, Ogrn, Ogrnip, Snils, check_corr_account, check_settlement_account};
use serde::Deserialize;

const VECTORS: &str = include_str!("vectors/identifiers.json");

#[derive(Debug, Deserialize)]
struct Row {
    kind: String,
    value: String,
    valid: bool,
    note: String,
    bik: Option<String>,
}

fn rows() -> Vec<Row> {
    serde_json::from_str(VECTORS).expect("identifiers.json parses")
}

/// What the parsers make of a row: `Ok(canonical text)` or the error. Panics only on a
/// malformed vector file (unknown kind, account row without a BIK).
fn lenient_verdict(row: &Row) -> Result<String, FieldError> {
    let v = row.value.as_str();
    let account_bik = || {
        let bik = row.bik.as_deref().expect("account rows carry a bik");
        Bik::parse(bik)
    };
    let canonical_account = || v.chars().filter(|c| *c != '-' && !c.is_whitespace()).collect();
    match row.kind.as_str() {
        "inn10" | "inn12" => {
            let inn = Inn::parse(v)?;
            // A 12-digit INN in a 10-digit row (or vice versa) is the wrong kind.
            if inn.is_legal_entity() != (row.kind == "inn10") {
                return Err(FieldError::new("inn", "invalid_inn").with("reason", "length"));
            }
            Ok(inn.to_string())
        }
        "kpp" => Kpp::parse(v).map(|x| x.to_string()),
        "ogrn" => Ogrn::parse(v).map(|x| x.to_string()),
        "ogrnip" => Ogrnip::parse(v).map(|x| x.to_string()),
        "bik" => Bik::parse(v).map(|x| x.to_string()),
        "snils" => Snils::parse(v).map(|x| x.to_string()),
        "settlement_account" => check_settlement_account(v, &account_bik()?).map(|()| canonical_account()),
        "corr_account" => check_corr_account(v, &account_bik()?).map(|()| canonical_account()),
        other => panic!("unknown kind {other:?} in identifiers.json"),
    }
}

/// The vectors' notion of validity: accepted, and no normalisation was needed.
fn strict_verdict(row: &Row) -> bool {
    matches!(lenient_verdict(row), Ok(canonical) if canonical == row.value)
}

fn expected_code(kind: &str) -> &'static str {
    match kind {
        "inn10" | "inn12" => "invalid_inn",
        "kpp" => "invalid_kpp",
        "ogrn" => "invalid_ogrn",
        "ogrnip" => "invalid_ogrnip",
        "bik" => "invalid_bik",
        "settlement_account" => "invalid_account",
        "corr_account" => "invalid_corr_account",
        "snils" => "invalid_snils",
        _ => "?",
    }
}

#[test]
fn every_vector_row_gets_the_expected_verdict() {
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        let verdict = strict_verdict(row);
        if verdict != row.valid {
            failures.push(format!(
                "{} {:?} (bik {:?}, note {:?}): expected valid={}, got {} ({:?})",
                row.kind,
                row.value,
                row.bik,
                row.note,
                row.valid,
                verdict,
                lenient_verdict(row),
            ));
        }
        // Rejections carry the code of their kind (or "required" for empty input) and a
        // reason for the UI.
        if let Err(e) = lenient_verdict(row) {
            let code_ok = e.code == expected_code(&row.kind) || e.code == "required";
            let reason_ok = e.code == "required" || e.param("reason").is_some();
            if !code_ok || !reason_ok {
                failures.push(format!(
                    "{} {:?} (note {:?}): unexpected error {e:?}",
                    row.kind, row.value, row.note
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows disagree:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

#[test]
fn normalisation_is_the_only_leniency() {
    let rows = rows();
    let mut normalised_rows = Vec::new();
    for row in &rows {
        let lenient = lenient_verdict(row);
        if lenient.is_ok() && !strict_verdict(row) {
            // Accepted only thanks to normalisation: the cleaned-up text must be valid
            // by itself (so the leniency is exactly "strip separators").
            let canonical = lenient.clone().unwrap_or_default();
            let cleaned = Row {
                kind: row.kind.clone(),
                value: canonical.clone(),
                valid: true,
                note: String::new(),
                bik: row.bik.clone(),
            };
            assert!(
                strict_verdict(&cleaned),
                "{} {:?} (note {:?}) normalises to {canonical:?}, which is not valid",
                row.kind,
                row.value,
                row.note
            );
            normalised_rows.push(row.value.as_str());
        }
    }
    // These rows are marked invalid in the vectors only because of separators.
    assert_eq!(
        normalised_rows,
        [
            " 7707083893",
            "7736-01-001",
            "773601 001",
            "044 525 225",
            "0445-25225",
            "044525225 ",
        ],
        "set of rows accepted only after normalisation changed"
    );
}

#[test]
fn vector_file_is_complete() {
    let rows = rows();
    assert_eq!(rows.len(), 205);
    // (kind, valid rows, invalid rows) from the table in identifiers.md §8.
    let expected = [
        ("inn10", 15, 11),
        ("inn12", 11, 11),
        ("kpp", 11, 10),
        ("ogrn", 15, 10),
        ("ogrnip", 14, 10),
        ("bik", 11, 10),
        ("corr_account", 10, 10),
        ("settlement_account", 11, 10),
        ("snils", 14, 11),
    ];
    for (kind, valid, invalid) in expected {
        let of_kind = || rows.iter().filter(move |r| r.kind == kind);
        assert_eq!(of_kind().filter(|r| r.valid).count(), valid, "{kind} valid");
        assert_eq!(of_kind().filter(|r| !r.valid).count(), invalid, "{kind} invalid");
    }
}

#[test]
fn ogrnip_vectors_cover_every_remainder() {
    // The implementation trap of identifiers.md §3: remainders 11 and 12.
    let mut seen = [false; 13];
    for row in rows().iter().filter(|r| r.kind == "ogrnip" && r.valid) {
        let first14: u64 = row.value[..14].parse().expect("digits");
        seen[(first14 % 13) as usize] = true;
        assert!(Ogrnip::parse(&row.value).is_ok(), "{} ({})", row.value, row.note);
    }
    assert!(seen.iter().all(|s| *s), "remainders seen: {seen:?}");
}
