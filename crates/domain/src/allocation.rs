//! Allocation of an incoming payment to a client's open invoices.
//!
//! Three ways to split a payment, all pure and exact (kopecks):
//! * [`allocate_oldest_first`]: the default, oldest due date first (FIFO);
//! * [`allocate_in_order`]: in the order the payer listed the invoices (e.g. the invoice
//!   numbers in the payment purpose), the rest stays unallocated;
//! * [`allocate_explicit`]: amounts chosen by a person, validated.
//!
//! Whatever is not allocated is returned as [`Allocation::rest`]: an advance (аванс) or a
//! credit balance of the client. An invoice is identified by its id; if `items` holds the
//! same id twice, the first occurrence counts and the others are ignored. Invoices with
//! `open <= 0` (paid, or credit notes) never receive money. A non-positive payment amount
//! allocates nothing and comes back whole as `rest`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{FieldError, Money};

/// The field name of every [`allocate_explicit`] error.
const FIELD: &str = "allocations";

/// An invoice with an unpaid balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    pub id: Uuid,
    pub due_on: NaiveDate,
    pub issued_on: NaiveDate,
    /// Unpaid balance of the invoice.
    pub open: Money,
}

/// How a payment is split.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Allocation {
    /// `(invoice id, amount)` in allocation order; every amount is positive, no id twice.
    pub lines: Vec<(Uuid, Money)>,
    /// The unallocated remainder (advance / credit balance).
    pub rest: Money,
}

impl Allocation {
    /// The allocated part, i.e. the sum of the lines.
    pub fn allocated(&self) -> Money {
        Money::from_kopecks(self.lines.iter().map(|(_, m)| m.kopecks()).sum())
    }
}

/// The first item with each id, in input order.
fn unique(items: &[OpenItem]) -> Vec<&OpenItem> {
    let mut out: Vec<&OpenItem> = Vec::with_capacity(items.len());
    for item in items {
        if !out.iter().any(|o| o.id == item.id) {
            out.push(item);
        }
    }
    out
}

/// Fills `order` greedily: each item gets `min(rest, open)`.
fn fill<'a>(amount: Money, order: impl IntoIterator<Item = &'a OpenItem>) -> Allocation {
    let mut rest = amount.kopecks();
    let mut lines = Vec::new();
    for item in order {
        if rest <= 0 {
            break;
        }
        let open = item.open.kopecks();
        if open <= 0 {
            continue;
        }
        let take = rest.min(open);
        lines.push((item.id, Money::from_kopecks(take)));
        rest -= take;
    }
    Allocation {
        lines,
        rest: Money::from_kopecks(rest),
    }
}

/// Allocates `amount` to the oldest invoices first: by due date, then issue date, then id
/// (so the result does not depend on the order of `items`).
pub fn allocate_oldest_first(amount: Money, items: &[OpenItem]) -> Allocation {
    let mut order = unique(items);
    order.sort_by_key(|i| (i.due_on, i.issued_on, i.id));
    fill(amount, order)
}

/// Allocates `amount` to the invoices in the order of `ids` (as written in the payment
/// purpose). Unknown ids are skipped, a repeated id counts once, invoices not listed get
/// nothing: the remainder stays in `rest`.
pub fn allocate_in_order(amount: Money, ids: &[Uuid], items: &[OpenItem]) -> Allocation {
    let items = unique(items);
    let mut seen: Vec<Uuid> = Vec::with_capacity(ids.len());
    let mut order = Vec::with_capacity(ids.len());
    for id in ids {
        if seen.contains(id) {
            continue;
        }
        seen.push(*id);
        if let Some(item) = items.iter().find(|i| i.id == *id) {
            order.push(*item);
        }
    }
    fill(amount, order)
}

/// Checks a manual split of `amount` and returns it as an [`Allocation`] (lines in the
/// requested order, the remainder in `rest`).
///
/// Errors (field `allocations`, parameter `invoice` = the id, plus `index` = position in
/// `requested`): `allocation_duplicate` (the same invoice twice), `allocation_not_positive`,
/// `allocation_unknown_invoice` (not in `items`, or nothing open on it),
/// `allocation_exceeds_invoice` (more than its open balance, parameter `open`) and
/// `allocation_exceeds_payment` (the lines together exceed `amount`, parameters `total`
/// and `payment`). The first problem in `requested` order is reported.
pub fn allocate_explicit(
    amount: Money,
    requested: &[(Uuid, Money)],
    items: &[OpenItem],
) -> Result<Allocation, FieldError> {
    let items = unique(items);
    let mut lines: Vec<(Uuid, Money)> = Vec::with_capacity(requested.len());
    let mut total: i128 = 0;
    for (index, &(id, money)) in requested.iter().enumerate() {
        let err = |code: &'static str| {
            FieldError::new(FIELD, code)
                .with("invoice", id.to_string())
                .with("index", index.to_string())
        };
        if lines.iter().any(|(seen, _)| *seen == id) {
            return Err(err("allocation_duplicate"));
        }
        if money.kopecks() <= 0 {
            return Err(err("allocation_not_positive"));
        }
        let Some(item) = items.iter().find(|i| i.id == id && i.open.kopecks() > 0) else {
            return Err(err("allocation_unknown_invoice"));
        };
        if money > item.open {
            return Err(err("allocation_exceeds_invoice").with("open", item.open.to_string()));
        }
        total += i128::from(money.kopecks());
        if total > i128::from(amount.kopecks()) {
            let total = Money::from_kopecks(i64::try_from(total).unwrap_or(i64::MAX));
            return Err(err("allocation_exceeds_payment")
                .with("total", total.to_string())
                .with("payment", amount.to_string()));
        }
        lines.push((id, money));
    }
    // total <= amount, so the subtraction cannot overflow.
    let rest = amount.kopecks() - i64::try_from(total).unwrap_or(0);
    Ok(Allocation {
        lines,
        rest: Money::from_kopecks(rest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rub(r: i64) -> Money {
        Money::from_kopecks(r * 100)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn item(n: u128, due: NaiveDate, issued: NaiveDate, open: Money) -> OpenItem {
        OpenItem {
            id: id(n),
            due_on: due,
            issued_on: issued,
            open,
        }
    }

    /// Three invoices, listed newest first: #3 due 10.11, #1 due 20.10, #2 due 20.10 but
    /// issued later, and a paid #4.
    fn sample() -> Vec<OpenItem> {
        vec![
            item(3, date(2026, 11, 10), date(2026, 10, 27), rub(50_000)),
            item(2, date(2026, 10, 20), date(2026, 10, 6), rub(30_000)),
            item(1, date(2026, 10, 20), date(2026, 10, 1), rub(120_000)),
            item(4, date(2026, 9, 1), date(2026, 8, 18), Money::ZERO),
        ]
    }

    #[test]
    fn oldest_first_by_due_then_issued() {
        // 150 000 pays #1 (120 000) in full, 30 000 of #2 closes it, nothing for #3.
        let a = allocate_oldest_first(rub(150_000), &sample());
        assert_eq!(a.lines, vec![(id(1), rub(120_000)), (id(2), rub(30_000))]);
        assert_eq!(a.rest, Money::ZERO);

        // 130 000.50: #1 in full, 10 000.50 of #2.
        let a = allocate_oldest_first(Money::from_kopecks(13_000_050), &sample());
        assert_eq!(
            a.lines,
            vec![(id(1), rub(120_000)), (id(2), Money::from_kopecks(1_000_050))]
        );
        assert_eq!(a.rest, Money::ZERO);
    }

    #[test]
    fn oldest_first_overpayment_is_rest() {
        // All open: 200 000; 250 000 paid → 50 000 advance.
        let a = allocate_oldest_first(rub(250_000), &sample());
        assert_eq!(
            a.lines,
            vec![(id(1), rub(120_000)), (id(2), rub(30_000)), (id(3), rub(50_000))]
        );
        assert_eq!(a.rest, rub(50_000));
        assert_eq!(a.allocated(), rub(200_000));
    }

    #[test]
    fn oldest_first_ties_broken_by_id() {
        let d = date(2026, 1, 15);
        let items = [item(9, d, d, rub(10)), item(5, d, d, rub(10))];
        let a = allocate_oldest_first(rub(15), &items);
        assert_eq!(a.lines, vec![(id(5), rub(10)), (id(9), rub(5))]);
    }

    #[test]
    fn nothing_to_allocate() {
        let a = allocate_oldest_first(Money::ZERO, &sample());
        assert!(a.lines.is_empty());
        assert_eq!(a.rest, Money::ZERO);
        let a = allocate_oldest_first(rub(-5), &sample());
        assert!(a.lines.is_empty());
        assert_eq!(a.rest, rub(-5));
        let a = allocate_oldest_first(rub(100), &[]);
        assert_eq!(a.rest, rub(100));
    }

    #[test]
    fn duplicate_items_count_once() {
        let d = date(2026, 3, 1);
        let items = [item(1, d, d, rub(100)), item(1, d, d, rub(100))];
        let a = allocate_oldest_first(rub(300), &items);
        assert_eq!(a.lines, vec![(id(1), rub(100))]);
        assert_eq!(a.rest, rub(200));
    }

    #[test]
    fn in_order_follows_payment_purpose() {
        // Purpose "оплата по сч. №3, №1, №3, №77": #3 first, then #1; the repeat and the
        // unknown invoice are ignored; #2 is not named and gets nothing.
        let ids = [id(3), id(1), id(3), id(77)];
        let a = allocate_in_order(rub(100_000), &ids, &sample());
        assert_eq!(a.lines, vec![(id(3), rub(50_000)), (id(1), rub(50_000))]);
        assert_eq!(a.rest, Money::ZERO);

        let a = allocate_in_order(rub(200_000), &ids, &sample());
        assert_eq!(a.lines, vec![(id(3), rub(50_000)), (id(1), rub(120_000))]);
        assert_eq!(a.rest, rub(30_000));

        // A paid invoice named in the purpose is skipped.
        let a = allocate_in_order(rub(10), &[id(4), id(2)], &sample());
        assert_eq!(a.lines, vec![(id(2), rub(10))]);
    }

    #[test]
    fn explicit_ok() {
        let a = allocate_explicit(
            rub(100_000),
            &[(id(3), rub(50_000)), (id(2), Money::from_kopecks(2_000_050))],
            &sample(),
        )
        .expect("valid");
        assert_eq!(
            a.lines,
            vec![(id(3), rub(50_000)), (id(2), Money::from_kopecks(2_000_050))]
        );
        assert_eq!(a.rest, Money::from_kopecks(2_999_950));

        let a = allocate_explicit(rub(100), &[], &sample()).expect("empty split");
        assert!(a.lines.is_empty());
        assert_eq!(a.rest, rub(100));
    }

    #[test]
    fn explicit_errors() {
        let code = |amount: Money, req: &[(Uuid, Money)]| {
            let e = allocate_explicit(amount, req, &sample()).expect_err("must fail");
            assert_eq!(e.field, "allocations");
            e
        };
        let e = code(rub(100), &[(id(1), Money::ZERO)]);
        assert_eq!(e.code, "allocation_not_positive");
        assert_eq!(e.param("invoice"), Some(id(1).to_string().as_str()));
        assert_eq!(e.param("index"), Some("0"));
        assert_eq!(code(rub(100), &[(id(1), rub(-1))]).code, "allocation_not_positive");
        assert_eq!(code(rub(100), &[(id(99), rub(1))]).code, "allocation_unknown_invoice");
        // #4 is paid: nothing open.
        assert_eq!(code(rub(100), &[(id(4), rub(1))]).code, "allocation_unknown_invoice");
        let e = code(rub(100_000), &[(id(2), Money::from_kopecks(3_000_001))]);
        assert_eq!(e.code, "allocation_exceeds_invoice");
        assert_eq!(e.param("open"), Some("30000.00"));
        let e = code(
            rub(60_000),
            &[(id(3), rub(50_000)), (id(2), Money::from_kopecks(1_000_001))],
        );
        assert_eq!(e.code, "allocation_exceeds_payment");
        assert_eq!(e.param("index"), Some("1"));
        assert_eq!(e.param("total"), Some("60000.01"));
        assert_eq!(e.param("payment"), Some("60000.00"));
        let e = code(rub(60_000), &[(id(2), rub(1)), (id(2), rub(1))]);
        assert_eq!(e.code, "allocation_duplicate");
        assert_eq!(code(Money::ZERO, &[(id(2), rub(1))]).code, "allocation_exceeds_payment");
    }

    fn items_strategy() -> impl Strategy<Value = Vec<OpenItem>> {
        prop::collection::vec((0u16..400, 0u16..40, -1_000i64..5_000_000), 0..12).prop_map(|rows| {
            let base = date(2025, 1, 1);
            rows.into_iter()
                .enumerate()
                .map(|(n, (due, lag, open))| {
                    let due_on = base + chrono::Days::new(u64::from(due));
                    OpenItem {
                        id: Uuid::from_u128(n as u128 + 1),
                        due_on,
                        issued_on: due_on - chrono::Days::new(u64::from(lag)),
                        open: Money::from_kopecks(open),
                    }
                })
                .collect()
        })
    }

    fn check(amount: Money, items: &[OpenItem], a: &Allocation) -> Result<(), TestCaseError> {
        prop_assert_eq!(a.allocated().kopecks() + a.rest.kopecks(), amount.kopecks());
        prop_assert!(a.rest.kopecks() >= 0);
        for (n, (line_id, money)) in a.lines.iter().enumerate() {
            prop_assert!(money.kopecks() > 0);
            let item = items.iter().find(|i| i.id == *line_id).expect("known id");
            prop_assert!(*money <= item.open);
            prop_assert!(a.lines[..n].iter().all(|(other, _)| other != line_id));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn oldest_first_invariants(amount in 0i64..30_000_000, items in items_strategy()) {
            let amount = Money::from_kopecks(amount);
            let a = allocate_oldest_first(amount, &items);
            check(amount, &items, &a)?;
            // Money is left over only when every open invoice is closed.
            if a.rest.kopecks() > 0 {
                let open: i64 = items.iter().map(|i| i.open.kopecks().max(0)).sum();
                prop_assert_eq!(a.allocated().kopecks(), open);
            }
        }

        #[test]
        fn in_order_invariants(
            amount in 0i64..30_000_000,
            items in items_strategy(),
            ids in prop::collection::vec(0u128..15, 0..20),
        ) {
            let amount = Money::from_kopecks(amount);
            let ids: Vec<Uuid> = ids.into_iter().map(Uuid::from_u128).collect();
            let a = allocate_in_order(amount, &ids, &items);
            check(amount, &items, &a)?;
            prop_assert!(a.lines.iter().all(|(line_id, _)| ids.contains(line_id)));
        }

        #[test]
        fn explicit_invariants(
            amount in 0i64..30_000_000,
            items in items_strategy(),
            req in prop::collection::vec((0u128..15, -100i64..3_000_000), 0..8),
        ) {
            let amount = Money::from_kopecks(amount);
            let req: Vec<(Uuid, Money)> =
                req.into_iter().map(|(n, k)| (Uuid::from_u128(n), Money::from_kopecks(k))).collect();
            if let Ok(a) = allocate_explicit(amount, &req, &items) {
                check(amount, &items, &a)?;
                prop_assert_eq!(a.lines, req);
            }
        }

        #[test]
        fn explicit_accepts_valid_splits(
            items in items_strategy(),
            share in 1i64..=100,
            extra in 0i64..1_000_000,
        ) {
            // Part of every open invoice, the payment covering it plus `extra`.
            let req: Vec<(Uuid, Money)> = items
                .iter()
                .filter(|i| i.open.kopecks() > 0)
                .map(|i| (i.id, Money::from_kopecks((i.open.kopecks() * share / 100).max(1))))
                .collect();
            let sum: i64 = req.iter().map(|(_, m)| m.kopecks()).sum();
            let amount = Money::from_kopecks(sum + extra);
            let a = allocate_explicit(amount, &req, &items).expect("valid split");
            check(amount, &items, &a)?;
            prop_assert_eq!(a.rest.kopecks(), extra);
            if extra > 0 && !req.is_empty() {
                let short = Money::from_kopecks(sum - 1);
                let e = allocate_explicit(short, &req, &items).expect_err("over payment");
                prop_assert_eq!(e.code, "allocation_exceeds_payment");
            }
        }
    }
}
