//! Absences (замещение): who is away, when, and who stands in.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::FieldError;

string_enum!(
    /// Why a manager is away.
    AbsenceKind, "kind", "invalid_absence_kind" {
        Leave => "leave",
        SickLeave => "sick_leave",
        BusinessTrip => "business_trip",
        Other => "other",
    }
);

/// An inclusive period of whole days with `starts_on <= ends_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    starts_on: NaiveDate,
    ends_on: NaiveDate,
}

impl Period {
    pub fn new(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<Self, FieldError> {
        if ends_on < starts_on {
            return Err(FieldError::new("ends_on", "ends_before_start"));
        }
        // A year is the longest absence the company plans; longer is almost surely a typo.
        if (ends_on - starts_on).num_days() > 366 {
            return Err(FieldError::new("ends_on", "period_too_long"));
        }
        Ok(Period { starts_on, ends_on })
    }

    pub fn starts_on(&self) -> NaiveDate {
        self.starts_on
    }

    pub fn ends_on(&self) -> NaiveDate {
        self.ends_on
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

/// Parses an ISO date (`YYYY-MM-DD`) of a named field.
pub fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| FieldError::new(field, "invalid_date").with("value", raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date("d", s).unwrap()
    }

    #[test]
    fn a_period_includes_both_ends_and_rejects_reversed_dates() {
        let p = Period::new(d("2026-12-01"), d("2026-12-14")).unwrap();
        assert!(p.contains(d("2026-12-01")) && p.contains(d("2026-12-14")));
        assert!(!p.contains(d("2026-11-30")) && !p.contains(d("2026-12-15")));
        assert_eq!(
            Period::new(d("2026-12-02"), d("2026-12-01")).unwrap_err().code,
            "ends_before_start"
        );
        assert_eq!(
            Period::new(d("2026-01-01"), d("2027-06-01")).unwrap_err().code,
            "period_too_long"
        );
    }

    #[test]
    fn dates_must_be_iso() {
        assert_eq!(parse_date("starts_on", "01.12.2026").unwrap_err().code, "invalid_date");
        assert!(AbsenceKind::parse("vacation").is_err());
        assert_eq!(AbsenceKind::parse("sick_leave"), Ok(AbsenceKind::SickLeave));
    }
}
