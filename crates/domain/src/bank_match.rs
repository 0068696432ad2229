//! Proposing how an incoming bank payment settles a client's open invoices.
//!
//! The payer is already identified (INN, else a known account); [`propose`] gets that client's open invoices
//! and the references read from the payment purpose ([`crate::payment_purpose::extract_refs`]) and decides,
//! in this order:
//!
//! 1. **Invoices named in the purpose** (matched on the numeric core, and the year when the reference is
//!    dated): the money goes to them in the order written, each `min(rest, open)`; what remains is an
//!    advance. Applied without a click (`auto`), unless a named number fits several invoices (`ambiguous`,
//!    the oldest due of them is proposed) or money is left over while some named number was not found among
//!    the open invoices (perhaps a typo, or a paid invoice paid twice).
//! 2. **No usable reference, one open invoice of exactly the payment amount**: that invoice, automatically.
//!    Several invoices of that amount: the oldest due is proposed, `ambiguous`.
//! 3. **Otherwise**: oldest due first (Civil Code art. 319.1: when the debtor did not say which obligation it
//!    pays, the one that fell due first is paid), proposed for confirmation.
//! 4. **No open invoices**: everything is an advance, automatically.
//!
//! A payment made for a third party ("за ООО …") is never applied automatically. Amounts are exact kopecks:
//! domestic rouble transfers arrive without fees, so a difference is a real partial payment or overpayment.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::allocation::{Allocation, OpenItem, allocate_in_order, allocate_oldest_first};
use crate::payment_purpose::PurposeRefs;
use crate::{FieldError, Money};

/// An open invoice of the payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: Uuid,
    /// Our invoice number, e.g. `С-2026-000123`.
    pub number: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Unpaid balance; invoices with nothing open are ignored.
    pub open: Money,
}

string_enum!(
    /// How a payment relates to the payer's invoices.
    MatchOutcome, "outcome", "invalid_match_outcome" {
        MatchedFull => "matched_full",
        MatchedPartial => "matched_partial",
        Overpaid => "overpaid",
        Ambiguous => "ambiguous",
        Unmatched => "unmatched",
    }
);

/// What [`propose`] suggests doing with a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchProposal {
    /// `matched_full`: every target invoice is closed and nothing is left; `matched_partial`: the payment
    /// is smaller than the target invoices' open total; `overpaid`: money is left for an advance;
    /// `ambiguous`: several invoices fit equally; `unmatched`: nothing sensible (a non-positive amount).
    pub outcome: MatchOutcome,
    /// `(invoice id, amount)` in allocation order; every amount positive.
    pub allocations: Vec<(Uuid, Money)>,
    /// The unallocated remainder, to be booked as an advance (аванс) of the payer.
    pub advance: Money,
    /// `true`: apply without asking; `false`: show the proposal and wait for a click.
    pub auto: bool,
    /// Why this proposal: `invoice_number`, `amount`, `oldest_due`, `no_open_invoices`, `several_by_amount`,
    /// or `third_party` (the purpose says the money is paid for someone else; the allocation is still
    /// proposed, never automatic).
    pub reason: &'static str,
}

/// Proposes how `amount` (positive) paid by a client settles that client's `open_invoices`, given the
/// references in the payment purpose. See the module docs for the rules.
pub fn propose(amount: Money, refs: &PurposeRefs, open_invoices: &[Candidate]) -> MatchProposal {
    let mut open: Vec<&Candidate> = Vec::with_capacity(open_invoices.len());
    for candidate in open_invoices {
        if candidate.open > Money::ZERO && !open.iter().any(|c| c.id == candidate.id) {
            open.push(candidate);
        }
    }

    let mut proposal = if amount <= Money::ZERO {
        MatchProposal {
            outcome: MatchOutcome::Unmatched,
            allocations: Vec::new(),
            advance: Money::ZERO,
            auto: false,
            reason: "amount",
        }
    } else if open.is_empty() {
        MatchProposal {
            outcome: MatchOutcome::Overpaid,
            allocations: Vec::new(),
            advance: amount,
            auto: true,
            reason: "no_open_invoices",
        }
    } else {
        by_reference(amount, refs, &open).unwrap_or_else(|| by_amount_or_due(amount, &open))
    };
    if refs.for_third_party {
        proposal.auto = false;
        proposal.reason = "third_party";
    }
    proposal
}

fn item(candidate: &Candidate) -> OpenItem {
    OpenItem {
        id: candidate.id,
        due_on: candidate.due_on,
        issued_on: candidate.issued_on,
        open: candidate.open,
    }
}

/// The order [`allocate_oldest_first`] uses.
fn oldest_first_key(candidate: &Candidate) -> (NaiveDate, NaiveDate, Uuid) {
    (candidate.due_on, candidate.issued_on, candidate.id)
}

/// Rule 1; `None` when no reference names an open invoice.
fn by_reference(amount: Money, refs: &PurposeRefs, open: &[&Candidate]) -> Option<MatchProposal> {
    let mut targets: Vec<&Candidate> = Vec::new();
    let (mut ambiguous, mut unresolved) = (false, false);
    for reference in &refs.invoices {
        let fitting: Vec<&Candidate> = open
            .iter()
            .copied()
            .filter(|c| reference.matches(&c.number, c.issued_on))
            .collect();
        let exact: Vec<&Candidate> = fitting
            .iter()
            .copied()
            .filter(|c| reference.is_exactly(&c.number))
            .collect();
        let chosen = match (fitting.as_slice(), exact.as_slice()) {
            ([], _) => {
                unresolved = true;
                continue;
            }
            ([one], _) | (_, [one]) => *one,
            (several, _) => {
                ambiguous = true;
                several.iter().copied().min_by_key(|c| oldest_first_key(c))?
            }
        };
        if !targets.iter().any(|t| t.id == chosen.id) {
            targets.push(chosen);
        }
    }
    if targets.is_empty() {
        return None;
    }
    let items: Vec<OpenItem> = targets.iter().map(|c| item(c)).collect();
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let allocation = allocate_in_order(amount, &ids, &items);
    let outcome = if ambiguous {
        MatchOutcome::Ambiguous
    } else {
        outcome(&allocation, &items)
    };
    // Money left while a named number was not found: perhaps a typo, or an invoice paid twice.
    let money_unexplained = unresolved && allocation.rest > Money::ZERO;
    let auto = !ambiguous && !money_unexplained;
    Some(proposal(outcome, allocation, auto, "invoice_number"))
}

/// Rules 2 and 3.
fn by_amount_or_due(amount: Money, open: &[&Candidate]) -> MatchProposal {
    let items: Vec<OpenItem> = open.iter().map(|c| item(c)).collect();
    let same_amount: Vec<OpenItem> = items.iter().copied().filter(|i| i.open == amount).collect();
    match same_amount.as_slice() {
        [one] => proposal(
            MatchOutcome::MatchedFull,
            allocate_in_order(amount, &[one.id], &same_amount),
            true,
            "amount",
        ),
        [] => {
            let allocation = allocate_oldest_first(amount, &items);
            let touched: Vec<OpenItem> = items
                .iter()
                .copied()
                .filter(|i| allocation.lines.iter().any(|(id, _)| *id == i.id))
                .collect();
            proposal(outcome(&allocation, &touched), allocation, false, "oldest_due")
        }
        several => proposal(
            MatchOutcome::Ambiguous,
            allocate_oldest_first(amount, several),
            false,
            "several_by_amount",
        ),
    }
}

/// `overpaid` if money is left, `matched_full` if every target got its whole open balance, else
/// `matched_partial`.
fn outcome(allocation: &Allocation, targets: &[OpenItem]) -> MatchOutcome {
    let paid = |id: Uuid| {
        allocation
            .lines
            .iter()
            .find(|(line, _)| *line == id)
            .map_or(Money::ZERO, |(_, m)| *m)
    };
    if allocation.rest > Money::ZERO {
        MatchOutcome::Overpaid
    } else if targets.iter().all(|t| paid(t.id) == t.open) {
        MatchOutcome::MatchedFull
    } else {
        MatchOutcome::MatchedPartial
    }
}

fn proposal(outcome: MatchOutcome, allocation: Allocation, auto: bool, reason: &'static str) -> MatchProposal {
    MatchProposal {
        outcome,
        allocations: allocation.lines,
        advance: allocation.rest,
        auto,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment_purpose::{InvoiceRef, extract_refs};

    fn rub(r: i64) -> Money {
        Money::from_kopecks(r * 100)
    }

    fn date(d: u32, m: u32, y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The open invoices of the worked example (§4 of the bank statement notes); the id is the numeric core.
    fn invoice(number: &str, issued: NaiveDate, due: NaiveDate, open: Money) -> Candidate {
        let core: u128 = number.trim_start_matches("ОЦ-").parse().unwrap();
        Candidate {
            id: Uuid::from_u128(core),
            number: number.to_owned(),
            issued_on: issued,
            due_on: due,
            open,
        }
    }

    fn id(core: u128) -> Uuid {
        Uuid::from_u128(core)
    }

    fn sidorov() -> Vec<Candidate> {
        vec![
            invoice("ОЦ-1039", date(15, 10, 2026), date(25, 10, 2026), rub(20_600)),
            invoice("ОЦ-1042", date(15, 10, 2026), date(25, 10, 2026), rub(25_000)),
        ]
    }

    fn romashka() -> Vec<Candidate> {
        vec![
            invoice("ОЦ-1045", date(20, 10, 2026), date(30, 10, 2026), rub(118_000)),
            invoice("ОЦ-1048", date(22, 10, 2026), date(5, 11, 2026), rub(40_000)),
            invoice("ОЦ-1049", date(24, 10, 2026), date(7, 11, 2026), rub(35_000)),
        ]
    }

    fn alfa() -> Vec<Candidate> {
        vec![invoice("ОЦ-1051", date(28, 10, 2026), date(11, 11, 2026), rub(300_000))]
    }

    fn refs(invoices: &[&str]) -> PurposeRefs {
        PurposeRefs {
            invoices: invoices
                .iter()
                .map(|n| InvoiceRef {
                    number: (*n).to_owned(),
                    date: None,
                })
                .collect(),
            ..PurposeRefs::default()
        }
    }

    #[test]
    fn worked_example_2231_full_by_invoice_number() {
        let purpose = "Оплата по счету № ОЦ-1045 от 20.10.2026 за товар. Сумма 118000-00 В т.ч. НДС (22%) 21278-69";
        let p = propose(rub(118_000), &extract_refs(purpose), &romashka());
        assert_eq!(p.outcome, MatchOutcome::MatchedFull);
        assert_eq!(p.allocations, [(id(1045), rub(118_000))]);
        assert_eq!(p.advance, Money::ZERO);
        assert!(p.auto);
        assert_eq!(p.reason, "invoice_number");
    }

    #[test]
    fn worked_example_905_partial() {
        let purpose = "Частичная оплата по сч. 1051 от 28.10.2026, договор поставки № 17/П от 01.09.2026. В том числе \
                       НДС 22 % - 45081.97 рублей";
        let p = propose(rub(250_000), &extract_refs(purpose), &alfa());
        assert_eq!(p.outcome, MatchOutcome::MatchedPartial);
        assert_eq!(p.allocations, [(id(1051), rub(250_000))]);
        assert_eq!(alfa()[0].open.checked_sub(p.allocations[0].1), Some(rub(50_000)));
        assert_eq!(p.advance, Money::ZERO);
        assert!(p.auto);
    }

    #[test]
    fn worked_example_57_two_invoices_in_order() {
        let purpose = "Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается";
        let p = propose(rub(45_600), &extract_refs(purpose), &sidorov());
        assert_eq!(p.outcome, MatchOutcome::MatchedFull);
        assert_eq!(p.allocations, [(id(1039), rub(20_600)), (id(1042), rub(25_000))]);
        assert!(p.auto);

        // Written the other way round, the money goes the other way round.
        let p = propose(rub(30_000), &refs(&["1042", "1039"]), &sidorov());
        assert_eq!(p.outcome, MatchOutcome::MatchedPartial);
        assert_eq!(p.allocations, [(id(1042), rub(25_000)), (id(1039), rub(5_000))]);

        // Paying more than both: the rest is an advance, still automatic.
        let p = propose(rub(50_000), &extract_refs(purpose), &sidorov());
        assert_eq!(p.outcome, MatchOutcome::Overpaid);
        assert_eq!(p.advance, rub(4_400));
        assert!(p.auto);
    }

    #[test]
    fn worked_example_2240_oldest_due_needs_confirmation() {
        let purpose = "Оплата за товар по договору № 12-ОПТ от 15.01.2026. В т.ч. НДС 10819.67";
        // ОЦ-1045 was closed by payment 2231 the day before.
        let mut open = romashka();
        open[0].open = Money::ZERO;
        let p = propose(rub(60_000), &extract_refs(purpose), &open);
        assert_eq!(p.outcome, MatchOutcome::MatchedPartial);
        assert_eq!(p.allocations, [(id(1048), rub(40_000)), (id(1049), rub(20_000))]);
        assert_eq!(p.advance, Money::ZERO);
        assert!(!p.auto);
        assert_eq!(p.reason, "oldest_due");

        // Without 2231 applied, the oldest due invoice ОЦ-1045 would come first.
        let p = propose(rub(60_000), &extract_refs(purpose), &romashka());
        assert_eq!(p.allocations, [(id(1045), rub(60_000))]);
        assert_eq!(p.outcome, MatchOutcome::MatchedPartial);
    }

    #[test]
    fn worked_example_all_five_documents() {
        // (amount, purpose, the payer's invoices, expected allocations, outcome, auto); 1480 is outgoing.
        let mut romashka_after_2231 = romashka();
        romashka_after_2231[0].open = Money::ZERO;
        let cases = [
            (
                rub(118_000),
                "Оплата по счету № ОЦ-1045 от 20.10.2026 за товар. Сумма 118000-00 В т.ч. НДС (22%) 21278-69",
                romashka(),
                vec![(id(1045), rub(118_000))],
                MatchOutcome::MatchedFull,
                true,
            ),
            (
                rub(250_000),
                "Частичная оплата по сч. 1051 от 28.10.2026, договор поставки № 17/П от 01.09.2026.",
                alfa(),
                vec![(id(1051), rub(250_000))],
                MatchOutcome::MatchedPartial,
                true,
            ),
            (
                rub(45_600),
                "Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается",
                sidorov(),
                vec![(id(1039), rub(20_600)), (id(1042), rub(25_000))],
                MatchOutcome::MatchedFull,
                true,
            ),
            (
                rub(60_000),
                "Оплата за товар по договору № 12-ОПТ от 15.01.2026. В т.ч. НДС 10819.67",
                romashka_after_2231,
                vec![(id(1048), rub(40_000)), (id(1049), rub(20_000))],
                MatchOutcome::MatchedPartial,
                false,
            ),
        ];
        for (amount, purpose, open, allocations, outcome, auto) in cases {
            let p = propose(amount, &extract_refs(purpose), &open);
            assert_eq!(
                (p.allocations, p.outcome, p.auto),
                (allocations, outcome, auto),
                "{purpose}"
            );
        }
    }

    #[test]
    fn exact_amount_without_reference() {
        let p = propose(rub(40_000), &extract_refs("Оплата за товар"), &romashka());
        assert_eq!(p.outcome, MatchOutcome::MatchedFull);
        assert_eq!(p.allocations, [(id(1048), rub(40_000))]);
        assert!(p.auto);
        assert_eq!(p.reason, "amount");

        // A reference to an invoice that is not open does not block the amount rule.
        let p = propose(rub(40_000), &refs(&["999"]), &romashka());
        assert_eq!((p.reason, p.auto), ("amount", true));
    }

    #[test]
    fn several_invoices_of_the_payment_amount_are_ambiguous() {
        let mut open = romashka();
        open.push(invoice("ОЦ-1050", date(25, 10, 2026), date(1, 11, 2026), rub(40_000)));
        let p = propose(rub(40_000), &extract_refs("Оплата 40000-00 без НДС"), &open);
        assert_eq!(p.outcome, MatchOutcome::Ambiguous);
        assert_eq!(p.allocations, [(id(1050), rub(40_000))]);
        assert!(!p.auto);
        assert_eq!(p.reason, "several_by_amount");
    }

    #[test]
    fn oldest_due_outcomes() {
        // Exactly the two oldest invoices: full, but still a proposal.
        let p = propose(rub(158_000), &PurposeRefs::default(), &romashka());
        assert_eq!(p.outcome, MatchOutcome::MatchedFull);
        assert_eq!(p.allocations, [(id(1045), rub(118_000)), (id(1048), rub(40_000))]);
        assert!(!p.auto);
        // More than everything: overpaid.
        let p = propose(rub(200_000), &PurposeRefs::default(), &romashka());
        assert_eq!(p.outcome, MatchOutcome::Overpaid);
        assert_eq!(p.advance, rub(7_000));
        assert_eq!(p.allocations.len(), 3);
        assert!(!p.auto);
    }

    #[test]
    fn no_open_invoices_is_an_advance() {
        let p = propose(rub(1_000), &refs(&["1045"]), &[]);
        assert_eq!(p.outcome, MatchOutcome::Overpaid);
        assert!(p.allocations.is_empty());
        assert_eq!(p.advance, rub(1_000));
        assert!(p.auto);
        assert_eq!(p.reason, "no_open_invoices");

        let mut paid = sidorov();
        paid.iter_mut().for_each(|c| c.open = Money::ZERO);
        assert_eq!(
            propose(rub(1_000), &PurposeRefs::default(), &paid).reason,
            "no_open_invoices"
        );
    }

    #[test]
    fn third_party_is_never_automatic() {
        let refs = extract_refs("за ООО \"Ромашка\" по счету 1045");
        assert!(refs.for_third_party);
        let p = propose(rub(118_000), &refs, &romashka());
        assert_eq!(p.allocations, [(id(1045), rub(118_000))]);
        assert_eq!(p.outcome, MatchOutcome::MatchedFull);
        assert!(!p.auto);
        assert_eq!(p.reason, "third_party");

        let p = propose(rub(10), &extract_refs("Оплата за ИП Сидоров"), &[]);
        assert_eq!(
            (p.outcome, p.auto, p.reason),
            (MatchOutcome::Overpaid, false, "third_party")
        );
    }

    #[test]
    fn our_own_numbers_and_years() {
        let ours = |n: u128, number: &str, issued: NaiveDate| Candidate {
            id: id(n),
            number: number.to_owned(),
            issued_on: issued,
            due_on: issued + chrono::Days::new(10),
            open: rub(1_000),
        };
        let open = [
            ours(1, "С-2025-000123", date(20, 12, 2025)),
            ours(2, "С-2026-000123", date(15, 1, 2026)),
            ours(3, "С-2026-000777", date(1, 2, 2026)),
        ];
        // Prefix dropped, Latin letters: matched on the numeric core.
        let p = propose(rub(1_000), &extract_refs("Опл. с/ф N C-2026-000777"), &open);
        assert_eq!((p.allocations.clone(), p.auto), (vec![(id(3), rub(1_000))], true));

        // "сч. 123" fits two invoices: the oldest due is proposed, ambiguous.
        let p = propose(rub(1_000), &extract_refs("Оплата по сч. 123"), &open);
        assert_eq!(p.outcome, MatchOutcome::Ambiguous);
        assert_eq!(p.allocations, [(id(1), rub(1_000))]);
        assert!(!p.auto);
        // The date's year or the full number decides.
        let p = propose(rub(1_000), &extract_refs("Оплата по сч. 123 от 15.01.2026"), &open);
        assert_eq!(
            (p.outcome, p.allocations[0].0, p.auto),
            (MatchOutcome::MatchedFull, id(2), true)
        );
        let p = propose(rub(1_000), &extract_refs("Оплата по сч. С-2026-000123"), &open);
        assert_eq!(
            (p.outcome, p.allocations[0].0, p.auto),
            (MatchOutcome::MatchedFull, id(2), true)
        );
        // A dated reference of another year matches nothing: oldest due proposal.
        let p = propose(rub(1_000), &extract_refs("Оплата по сч. 777 от 01.02.2025"), &open);
        assert_eq!((p.reason, p.auto), ("several_by_amount", false));
    }

    #[test]
    fn unresolved_reference_with_money_left_needs_a_click() {
        // 1042 is named but not open (paid already): the extra 25 000 may be a double payment.
        let open = &sidorov()[..1];
        let p = propose(rub(45_600), &refs(&["1039", "1042"]), open);
        assert_eq!(p.outcome, MatchOutcome::Overpaid);
        assert_eq!(p.allocations, [(id(1039), rub(20_600))]);
        assert_eq!(p.advance, rub(25_000));
        assert!(!p.auto);
        // Without money left, the found invoice is enough.
        let p = propose(rub(20_600), &refs(&["1039", "1042"]), open);
        assert_eq!((p.outcome, p.auto), (MatchOutcome::MatchedFull, true));
    }

    #[test]
    fn non_positive_amount_is_unmatched() {
        let p = propose(Money::ZERO, &refs(&["1039"]), &sidorov());
        assert_eq!(
            (p.outcome, p.auto, p.allocations.len()),
            (MatchOutcome::Unmatched, false, 0)
        );
    }

    #[test]
    fn outcome_names() {
        for outcome in MatchOutcome::ALL {
            assert_eq!(MatchOutcome::parse(outcome.as_str()).unwrap(), *outcome);
        }
        assert_eq!(MatchOutcome::MatchedPartial.to_string(), "matched_partial");
        assert_eq!(MatchOutcome::parse("paid").unwrap_err().code, "invalid_match_outcome");
        let json = serde_json::to_string(&MatchOutcome::Overpaid).unwrap();
        assert_eq!(json, "\"overpaid\"");
    }
}
