//! The life of an order: draft → submitted → approved → in fulfilment → shipped → delivered →
//! invoiced → paid, with partial shipments and payments counted in amounts rather than in
//! extra states; returns and refusals with reason codes; acts of shortage and mis-grading;
//! the steps of collecting a debt.

use serde::{Deserialize, Serialize};

use crate::FieldError;

string_enum!(
    /// Where an order stands. A submitted order waits for the credit decision when it failed the
    /// credit check (`credit_hold` on the order); otherwise submission approves it at once.
    OrderStatus, "status", "invalid_order_status" {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        InFulfilment => "in_fulfilment",
        Shipped => "shipped",
        Delivered => "delivered",
        Invoiced => "invoiced",
        Paid => "paid",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// What a person can ask an order to do; shipments, invoices and payments move it too.
    OrderAction, "action", "invalid_order_action" {
        Submit => "submit",
        StartFulfilment => "start_fulfilment",
        Cancel => "cancel",
        Reopen => "reopen",
    }
);

impl OrderStatus {
    /// Whether the order's lines may still be edited.
    pub fn editable(self) -> bool {
        self == OrderStatus::Draft
    }

    /// Whether the order counts in the client's credit exposure (taken, not yet invoiced).
    pub fn is_open_exposure(self) -> bool {
        matches!(
            self,
            OrderStatus::Submitted
                | OrderStatus::Approved
                | OrderStatus::InFulfilment
                | OrderStatus::Shipped
                | OrderStatus::Delivered
        )
    }

    /// Whether goods may be shipped against the order.
    pub fn may_ship(self) -> bool {
        matches!(
            self,
            OrderStatus::Approved | OrderStatus::InFulfilment | OrderStatus::Shipped
        )
    }

    /// The status after `action`, or the reason it is not allowed.
    pub fn after(self, action: OrderAction) -> Result<OrderStatus, FieldError> {
        use OrderAction as A;
        use OrderStatus as S;
        let next = match (self, action) {
            (S::Draft, A::Submit) => S::Submitted,
            (S::Approved, A::StartFulfilment) => S::InFulfilment,
            (S::Draft | S::Submitted | S::Approved | S::InFulfilment, A::Cancel) => S::Cancelled,
            (S::Submitted | S::Cancelled, A::Reopen) => S::Draft,
            _ => {
                return Err(FieldError::new("status", "order_transition_not_allowed")
                    .with("from", self.as_str())
                    .with("action", action.as_str()));
            }
        };
        Ok(next)
    }
}

/// Fulfilment progress in amounts (kopecks, with VAT) — the status a reader sees once goods move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub total: i64,
    pub shipped: i64,
    pub all_lines_shipped: bool,
    pub all_shipments_delivered: bool,
    pub invoiced: i64,
    pub all_shipments_invoiced: bool,
    pub invoices_open: i64,
}

/// The status implied by what was shipped, delivered, invoiced and paid. Orders that never
/// shipped keep their own status.
pub fn status_from_progress(current: OrderStatus, p: &Progress) -> OrderStatus {
    if matches!(
        current,
        OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::Cancelled
    ) || p.shipped == 0
    {
        return current;
    }
    if !p.all_lines_shipped {
        // Partly shipped: still being fulfilled.
        return OrderStatus::InFulfilment;
    }
    if p.all_shipments_invoiced && p.invoiced > 0 {
        return if p.invoices_open == 0 {
            OrderStatus::Paid
        } else {
            OrderStatus::Invoiced
        };
    }
    if p.all_shipments_delivered {
        OrderStatus::Delivered
    } else {
        OrderStatus::Shipped
    }
}

string_enum!(
    /// A return of shipped goods, or a refusal of goods not yet shipped.
    ReturnKind, "kind", "invalid_return_kind" {
        Return => "return",
        Refusal => "refusal",
    }
);

string_enum!(
    /// Why goods came back or were refused.
    ReturnReason, "reason", "invalid_return_reason" {
        Defect => "defect",
        WrongGoods => "wrong_goods",
        Damaged => "damaged",
        LateDelivery => "late_delivery",
        NotNeeded => "not_needed",
        PriceDispute => "price_dispute",
        Expired => "expired",
        Other => "other",
    }
);

impl ReturnReason {
    pub fn label(self, ru: bool) -> &'static str {
        use ReturnReason as R;
        match (self, ru) {
            (R::Defect, true) => "Брак",
            (R::Defect, false) => "Defect",
            (R::WrongGoods, true) => "Не тот товар",
            (R::WrongGoods, false) => "Wrong goods",
            (R::Damaged, true) => "Повреждён при доставке",
            (R::Damaged, false) => "Damaged in transit",
            (R::LateDelivery, true) => "Опоздание поставки",
            (R::LateDelivery, false) => "Late delivery",
            (R::NotNeeded, true) => "Клиенту не нужен",
            (R::NotNeeded, false) => "No longer needed",
            (R::PriceDispute, true) => "Спор о цене",
            (R::PriceDispute, false) => "Price dispute",
            (R::Expired, true) => "Истёк срок годности",
            (R::Expired, false) => "Expired",
            (R::Other, true) => "Другое",
            (R::Other, false) => "Other",
        }
    }
}

string_enum!(
    /// An act drawn up on receiving a shipment: goods missing, or other goods (grade, size) than shipped.
    DiscrepancyKind, "kind", "invalid_discrepancy_kind" {
        Shortage => "shortage",
        Misgrading => "misgrading",
    }
);

string_enum!(
    /// Whether the act's claim was accepted (the invoice is credited) or rejected.
    DiscrepancyStatus, "status", "invalid_discrepancy_status" {
        Open => "open",
        Accepted => "accepted",
        Rejected => "rejected",
    }
);

string_enum!(
    /// Steps of collecting a debt; each opens a task for the manager or the credit controller.
    CollectionStage, "stage", "invalid_collection_stage" {
        Reminder => "reminder",
        Letter => "letter",
        Claim => "claim",
        Court => "court",
        Closed => "closed",
    }
);

impl CollectionStage {
    /// The next step of the escalation, if any.
    pub fn next(self) -> Option<CollectionStage> {
        use CollectionStage as C;
        match self {
            C::Reminder => Some(C::Letter),
            C::Letter => Some(C::Claim),
            C::Claim => Some(C::Court),
            C::Court => Some(C::Closed),
            C::Closed => None,
        }
    }

    /// Whether `to` is a step this case may move to from `self` (forward by one, or closing).
    pub fn may_move_to(self, to: CollectionStage) -> bool {
        self != CollectionStage::Closed && (Some(to) == self.next() || to == CollectionStage::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> Progress {
        Progress {
            total: 1000,
            shipped: 0,
            all_lines_shipped: false,
            all_shipments_delivered: false,
            invoiced: 0,
            all_shipments_invoiced: false,
            invoices_open: 0,
        }
    }

    #[test]
    fn transitions_follow_the_lifecycle() {
        assert_eq!(
            OrderStatus::Draft.after(OrderAction::Submit).unwrap(),
            OrderStatus::Submitted
        );
        assert_eq!(
            OrderStatus::Approved.after(OrderAction::StartFulfilment).unwrap(),
            OrderStatus::InFulfilment
        );
        assert_eq!(
            OrderStatus::Submitted.after(OrderAction::Reopen).unwrap(),
            OrderStatus::Draft
        );
        let err = OrderStatus::Shipped.after(OrderAction::Cancel).unwrap_err();
        assert_eq!(err.code, "order_transition_not_allowed");
        assert!(OrderStatus::Paid.after(OrderAction::Submit).is_err());
        assert!(OrderStatus::Draft.after(OrderAction::StartFulfilment).is_err());
    }

    #[test]
    fn exposure_counts_taken_orders_not_yet_invoiced() {
        assert!(!OrderStatus::Draft.is_open_exposure());
        assert!(OrderStatus::Submitted.is_open_exposure());
        assert!(OrderStatus::Delivered.is_open_exposure());
        assert!(!OrderStatus::Invoiced.is_open_exposure());
        assert!(!OrderStatus::Cancelled.is_open_exposure());
    }

    #[test]
    fn progress_moves_the_status() {
        let mut p = progress();
        assert_eq!(status_from_progress(OrderStatus::Approved, &p), OrderStatus::Approved);
        p.shipped = 400;
        assert_eq!(
            status_from_progress(OrderStatus::Approved, &p),
            OrderStatus::InFulfilment
        );
        p.shipped = 1000;
        p.all_lines_shipped = true;
        assert_eq!(
            status_from_progress(OrderStatus::InFulfilment, &p),
            OrderStatus::Shipped
        );
        p.all_shipments_delivered = true;
        assert_eq!(status_from_progress(OrderStatus::Shipped, &p), OrderStatus::Delivered);
        p.invoiced = 1000;
        p.all_shipments_invoiced = true;
        p.invoices_open = 300;
        assert_eq!(status_from_progress(OrderStatus::Delivered, &p), OrderStatus::Invoiced);
        p.invoices_open = 0;
        assert_eq!(status_from_progress(OrderStatus::Invoiced, &p), OrderStatus::Paid);
        // Cancelled stays cancelled whatever the numbers say.
        assert_eq!(status_from_progress(OrderStatus::Cancelled, &p), OrderStatus::Cancelled);
    }

    #[test]
    fn collections_escalate_one_step_at_a_time() {
        assert!(CollectionStage::Reminder.may_move_to(CollectionStage::Letter));
        assert!(!CollectionStage::Reminder.may_move_to(CollectionStage::Court));
        assert!(CollectionStage::Letter.may_move_to(CollectionStage::Closed));
        assert!(!CollectionStage::Closed.may_move_to(CollectionStage::Reminder));
        assert_eq!(CollectionStage::Claim.next(), Some(CollectionStage::Court));
    }
}
