//! The life of a commercial offer: draft → sent → accepted / rejected (or expired, when its
//! validity date passes while it waits), and the head's approval a draft may need before it
//! can be sent.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::money::Money;
use crate::pricing::VatMode;
use crate::vat::VatRate;

string_enum!(
    /// Where an offer stands. `Superseded`: a later revision replaced it.
    OfferStatus, "status", "invalid_offer_status" {
        Draft => "draft",
        Sent => "sent",
        Accepted => "accepted",
        Rejected => "rejected",
        Expired => "expired",
        Superseded => "superseded",
    }
);

string_enum!(
    /// Whether the head of department has to allow the offer's prices.
    ApprovalState, "approval", "invalid_approval_state" {
        NotNeeded => "none",
        Required => "required",
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
    }
);

impl OfferStatus {
    /// The status a reader sees on `today`: a sent offer past its validity date has expired.
    pub fn effective(self, valid_until: NaiveDate, today: NaiveDate) -> OfferStatus {
        if self == OfferStatus::Sent && valid_until < today {
            OfferStatus::Expired
        } else {
            self
        }
    }

    /// Whether the lines and terms may still be changed in place.
    pub fn check_editable(self) -> Result<(), FieldError> {
        if self == OfferStatus::Draft {
            Ok(())
        } else {
            Err(FieldError::new("status", "offer_not_draft").with("status", self.as_str()))
        }
    }
}

/// Whether an offer may go to the client: a draft, within its validity, whose prices need no
/// approval or were approved.
pub fn check_sendable(
    status: OfferStatus,
    approval: ApprovalState,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> Result<(), FieldError> {
    status.check_editable()?;
    if valid_until < today {
        return Err(FieldError::new("valid_until", "offer_expired").with("valid_until", valid_until.to_string()));
    }
    match approval {
        ApprovalState::NotNeeded | ApprovalState::Approved => Ok(()),
        other => Err(FieldError::new("approval", "approval_required").with("approval", other.as_str())),
    }
}

/// Whether the client's answer may be recorded: only a sent offer, and acceptance only while
/// the offer is valid.
pub fn check_decidable(
    status: OfferStatus,
    accepted: bool,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> Result<(), FieldError> {
    match status.effective(valid_until, today) {
        OfferStatus::Sent => Ok(()),
        OfferStatus::Expired if accepted => {
            Err(FieldError::new("valid_until", "offer_expired").with("valid_until", valid_until.to_string()))
        }
        OfferStatus::Expired => Ok(()),
        other => Err(FieldError::new("status", "offer_not_sent").with("status", other.as_str())),
    }
}

/// The approval state of a draft after (re)pricing: any change asks again.
pub fn approval_after_pricing(needs_approval: bool) -> ApprovalState {
    if needs_approval {
        ApprovalState::Required
    } else {
        ApprovalState::NotNeeded
    }
}

/// An offer's validity: from the offer date up to a year ahead.
pub fn check_validity(valid_until: NaiveDate, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    if valid_until < today {
        return Err(FieldError::new("valid_until", "in_the_past"));
    }
    if valid_until > today + chrono::Duration::days(366) {
        return Err(FieldError::new("valid_until", "too_far").with("max_days", "366"));
    }
    Ok(valid_until)
}

/// A price-list price (price lists carry VAT-inclusive prices) in a document's VAT mode: as is
/// when VAT is included; without its VAT, rounded half away from zero, when VAT goes on top.
pub fn price_in_mode(price_with_vat: Money, vat: VatRate, mode: VatMode) -> Money {
    match (mode, vat.percent()) {
        (VatMode::OnTop, Some(r)) if r > 0 => {
            let (n, d) = (i128::from(price_with_vat.kopecks()) * 100, 100 + i128::from(r));
            let (q, rem) = (n / d, n % d);
            let q = if 2 * rem.abs() >= d { q + n.signum() } else { q };
            Money::from_kopecks(q as i64)
        }
        _ => price_with_vat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_top_documents_take_the_price_list_without_its_vat() {
        let p = Money::from_kopecks(12_200);
        assert_eq!(price_in_mode(p, VatRate::Percent(22), VatMode::Included), p);
        assert_eq!(
            price_in_mode(p, VatRate::Percent(22), VatMode::OnTop),
            Money::from_kopecks(10_000)
        );
        // 99.99 / 1.10 = 90.9000… → 90.90
        assert_eq!(
            price_in_mode(Money::from_kopecks(9_999), VatRate::Percent(10), VatMode::OnTop),
            Money::from_kopecks(9_090)
        );
        assert_eq!(price_in_mode(p, VatRate::Without, VatMode::OnTop), p);
        assert_eq!(price_in_mode(p, VatRate::Percent(0), VatMode::OnTop), p);
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_sent_offer_expires_the_day_after_its_validity() {
        let until = d("2026-12-10");
        assert_eq!(OfferStatus::Sent.effective(until, d("2026-12-10")), OfferStatus::Sent);
        assert_eq!(
            OfferStatus::Sent.effective(until, d("2026-12-11")),
            OfferStatus::Expired
        );
        assert_eq!(
            OfferStatus::Accepted.effective(until, d("2027-01-01")),
            OfferStatus::Accepted
        );
    }

    #[test]
    fn only_drafts_with_settled_prices_are_sent() {
        let (until, today) = (d("2026-12-10"), d("2026-12-01"));
        assert!(check_sendable(OfferStatus::Draft, ApprovalState::NotNeeded, until, today).is_ok());
        assert!(check_sendable(OfferStatus::Draft, ApprovalState::Approved, until, today).is_ok());
        for waiting in [ApprovalState::Required, ApprovalState::Pending, ApprovalState::Rejected] {
            let e = check_sendable(OfferStatus::Draft, waiting, until, today).unwrap_err();
            assert_eq!((e.field, e.code), ("approval", "approval_required"));
        }
        let e = check_sendable(OfferStatus::Sent, ApprovalState::NotNeeded, until, today).unwrap_err();
        assert_eq!(e.code, "offer_not_draft");
        let e = check_sendable(OfferStatus::Draft, ApprovalState::NotNeeded, until, d("2026-12-11")).unwrap_err();
        assert_eq!(e.code, "offer_expired");
    }

    #[test]
    fn an_expired_offer_can_be_rejected_but_not_accepted() {
        let (until, later) = (d("2026-12-10"), d("2026-12-20"));
        assert!(check_decidable(OfferStatus::Sent, true, until, d("2026-12-10")).is_ok());
        let e = check_decidable(OfferStatus::Sent, true, until, later).unwrap_err();
        assert_eq!((e.field, e.code), ("valid_until", "offer_expired"));
        assert!(check_decidable(OfferStatus::Sent, false, until, later).is_ok());
        assert_eq!(
            check_decidable(OfferStatus::Draft, true, until, d("2026-12-01"))
                .unwrap_err()
                .code,
            "offer_not_sent"
        );
    }

    #[test]
    fn repricing_asks_for_approval_again_only_when_needed() {
        assert_eq!(approval_after_pricing(true), ApprovalState::Required);
        assert_eq!(approval_after_pricing(false), ApprovalState::NotNeeded);
    }

    #[test]
    fn validity_is_today_to_a_year_ahead() {
        let today = d("2026-11-27");
        assert!(check_validity(today, today).is_ok());
        assert_eq!(check_validity(d("2026-11-26"), today).unwrap_err().code, "in_the_past");
        assert_eq!(check_validity(d("2027-12-01"), today).unwrap_err().code, "too_far");
    }
}
