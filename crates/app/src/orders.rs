//! Orders: taken by a manager (or made from an accepted offer), priced like offers, submitted
//! through the credit check, processed by sales support — shipments (partial ones too),
//! delivery, invoices with due dates from the client's terms — and returns, refusals and acts
//! of shortage or mis-grading.
//!
//! Who may do what: orders are reached through their client. Managers, heads and directors take
//! and submit orders; sales support does too, and runs fulfilment (shipping, delivery,
//! invoicing) with heads and the commercial director. An order held by the credit check is
//! released by the head of the client's department, the credit controller or the commercial
//! director — never by the one who submitted it.

use chrono::NaiveDate;
use prospekt_domain::calendar::{DeferralKind, WorkCalendar, due_date};
use prospekt_domain::ids::{CounterpartyId, DiscrepancyActId, OrderId, PriceColumnId, ProductId, ReturnId, ShipmentId};
use prospekt_domain::money::Money;
use prospekt_domain::order::{
    DiscrepancyKind, OrderAction, OrderStatus, Progress, ReturnKind, ReturnReason, status_from_progress,
};
use prospekt_domain::pricing::{Discount, Quantity};
use prospekt_domain::receivables::{CreditBlock, CreditPosition};
use prospekt_domain::{FieldError, Role};
use prospekt_storage::DbError;
use prospekt_storage::repo::collections::{self as coll, ActRow, NewReturnLine, ReturnRow};
use prospekt_storage::repo::counterparties;
use prospekt_storage::repo::ledger::{
    self, InvoiceRow, NewLine, NewOrder, NewShipmentLine, OrderFilter, OrderLineRow, OrderRow, Settlement,
    ShipmentLineRow, ShipmentRow, StatusChange,
};
use prospekt_storage::repo::offers::{self as offer_repo, ApprovalRow};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, record_tx};
use crate::catalog::company_today;
use crate::group_write::Submission;
use crate::offers::{OfferInput, OfferLineInput};
use crate::{Actor, App, AppError, now};

/// The most orders one list page shows.
pub const MAX_PAGE: i64 = 500;

/// Roles that take orders for clients in their scope.
pub fn may_take_orders(role: Role) -> bool {
    matches!(
        role,
        Role::Manager
            | Role::KeyAccountManager
            | Role::HeadOfDepartment
            | Role::CommercialDirector
            | Role::SalesSupport
    )
}

/// Roles that ship, deliver and invoice.
pub fn may_fulfil(role: Role) -> bool {
    matches!(
        role,
        Role::SalesSupport | Role::HeadOfDepartment | Role::CommercialDirector
    )
}

/// Whether the actor may release an order held by the credit check (or approve a write-off) of a
/// client in `department`.
pub fn may_decide_credit(actor: &Actor, department: Option<Uuid>) -> bool {
    match actor.role {
        Role::CommercialDirector | Role::CreditController => true,
        Role::HeadOfDepartment => actor.department_id.is_some_and(|d| Some(d.as_uuid()) == department),
        _ => false,
    }
}

/// One line as typed.
#[derive(Debug, Clone)]
pub struct OrderLineInput {
    pub product: ProductId,
    pub quantity: Quantity,
    pub discount: Discount,
}

/// An order as typed.
#[derive(Debug, Clone)]
pub struct OrderInput {
    pub counterparty: CounterpartyId,
    pub lines: Vec<OrderLineInput>,
    pub comment: Option<String>,
    pub price_column: Option<PriceColumnId>,
}

/// The credit check's figures, kept on the order and shown to whoever decides.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CreditFigures {
    pub limit: Money,
    pub receivable: Money,
    pub overdue: Money,
    pub max_dpd: i64,
    pub open_orders: Money,
    pub order_total: Money,
    pub exposure_after: Money,
    pub blocks: Vec<serde_json::Value>,
    pub checked_on: NaiveDate,
}

impl CreditFigures {
    /// The figures of a credit check of an order of `total` against `pos` on `today`.
    pub fn new(pos: &CreditPosition, total: Money, blocks: &[CreditBlock], today: NaiveDate) -> Self {
        Self {
            limit: pos.limit,
            receivable: pos.receivable,
            overdue: pos.overdue,
            max_dpd: pos.max_dpd,
            open_orders: pos.open_orders,
            order_total: total,
            exposure_after: Money::from_kopecks(pos.receivable.kopecks() + pos.open_orders.kopecks() + total.kopecks()),
            blocks: blocks
                .iter()
                .map(|b| serde_json::to_value(b).unwrap_or_default())
                .collect(),
            checked_on: today,
        }
    }
}

/// A shipment with its lines.
#[derive(Debug, Clone)]
pub struct ShipmentView {
    pub shipment: ShipmentRow,
    pub lines: Vec<ShipmentLineRow>,
}

/// An order with everything its screen shows.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: OrderRow,
    pub status: OrderStatus,
    pub lines: Vec<OrderLineRow>,
    pub shipments: Vec<ShipmentView>,
    pub invoices: Vec<InvoiceRow>,
    pub returns: Vec<ReturnRow>,
    pub acts: Vec<ActRow>,
    pub approvals: Vec<ApprovalRow>,
    pub credit: Option<CreditFigures>,
}

/// A shipped quantity of one order line.
#[derive(Debug, Clone, Copy)]
pub struct ShipLine {
    pub line_no: i32,
    pub quantity: Quantity,
}

/// A returned or refused quantity of one order line.
#[derive(Debug, Clone, Copy)]
pub struct ReturnLineInput {
    pub line_no: i32,
    pub quantity: Quantity,
}

/// A return or refusal as typed.
#[derive(Debug, Clone)]
pub struct ReturnInput {
    pub kind: ReturnKind,
    pub reason: ReturnReason,
    pub comment: Option<String>,
    /// Returns name the shipment the goods came with; refusals do not.
    pub shipment: Option<ShipmentId>,
    pub lines: Vec<ReturnLineInput>,
}

/// A line of an act: the shipped line, the quantity missing (or received as other goods), and
/// the goods received instead (mis-grading).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ActLine {
    pub line_no: i32,
    pub quantity: i64,
    #[serde(default)]
    pub received_instead: Option<String>,
}

fn status_of(row: &OrderRow) -> OrderStatus {
    OrderStatus::parse(&row.status).unwrap_or(OrderStatus::Draft)
}

/// `amount × part / whole`, rounded half away from zero (shares of a line's money).
fn share(amount: i64, part: i64, whole: i64) -> i64 {
    if whole == 0 {
        return 0;
    }
    let n = amount as i128 * part as i128;
    let w = whole as i128;
    ((2 * n + w.signum() * w) / (2 * w)) as i64
}

fn lines_input(lines: &[OrderLineInput]) -> OfferInput {
    OfferInput {
        lines: lines
            .iter()
            .map(|l| OfferLineInput {
                product: l.product,
                quantity: l.quantity,
                discount: l.discount,
            })
            .collect(),
        ..OfferInput::default()
    }
}

impl App {
    /// An order, or not found when its client is out of reach.
    pub(crate) async fn order_row(&self, actor: &Actor, id: OrderId) -> Result<OrderRow, AppError> {
        let row = ledger::order(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if access.reaches(row.counterparty_owner_id, row.counterparty_department_id)
            || row.owner_id == Some(actor.user_id.as_uuid())
        {
            Ok(row)
        } else {
            Err(self.deny(actor, "order", Some(id.as_uuid()), AppError::NotFound).await)
        }
    }

    /// The working-day calendar as stored (official days off and transfers), statutory
    /// holidays for years not entered.
    pub async fn work_calendar(&self) -> Result<WorkCalendar, AppError> {
        Ok(WorkCalendar::russian(coll::calendar(self.db()).await?))
    }

    pub async fn orders(
        &self,
        actor: &Actor,
        filter: &OrderFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<OrderRow>, AppError> {
        let access = self.access(actor).await?;
        Ok(ledger::orders(
            self.db(),
            &access.scope,
            filter,
            limit.clamp(1, MAX_PAGE),
            offset.max(0),
        )
        .await?)
    }

    pub async fn order(&self, actor: &Actor, id: OrderId) -> Result<OrderView, AppError> {
        let order = self.order_row(actor, id).await?;
        let db = self.db();
        let lines = ledger::order_lines(db, order.id).await?;
        let mut shipments = Vec::new();
        for s in ledger::shipments_of(db, order.id).await? {
            let lines = ledger::shipment_lines(db, s.id).await?;
            shipments.push(ShipmentView { shipment: s, lines });
        }
        let ids: Vec<Uuid> = shipments.iter().map(|s| s.shipment.id).collect();
        let credit = order
            .credit_check
            .as_deref()
            .and_then(|c| serde_json::from_str::<CreditFigures>(c).ok());
        Ok(OrderView {
            status: status_of(&order),
            lines,
            shipments,
            invoices: ledger::invoices_of_order(db, order.id).await?,
            returns: coll::returns_of_order(db, order.id).await?,
            acts: coll::acts_of_shipments(db, &ids).await?,
            approvals: offer_repo::approvals_of(db, "order", order.id).await?,
            credit,
            order,
        })
    }

    /// Takes an order: lines priced at the client's column today, like an offer.
    pub async fn create_order(&self, actor: &Actor, input: OrderInput) -> Result<OrderView, AppError> {
        if !may_take_orders(actor.role) {
            return Err(self.deny(actor, "order", None, AppError::Forbidden).await);
        }
        let client = counterparties::by_id(self.db(), input.counterparty.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if !access.reaches(client.owner_id, client.department_id) {
            return Err(self
                .deny(actor, "counterparty", Some(client.id), AppError::NotFound)
                .await);
        }
        if client.archived_at.is_some() {
            return Err(FieldError::new("counterparty_id", "counterparty_archived").into());
        }
        let comment = Self::order_comment(input.comment)?;
        let today = company_today();
        let mut offer_input = lines_input(&input.lines);
        offer_input.price_column = input.price_column;
        let (pricing, _) = self.price_offer(actor, &client, &offer_input, today, None).await?;
        let lines = Self::order_lines_of(&pricing);
        let id = OrderId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let number = format!("З-{:06}", offer_repo::next_number_tx(&mut tx, "order").await?);
        ledger::insert_order_tx(
            &mut tx,
            &NewOrder {
                id: id.as_uuid(),
                number: &number,
                counterparty_id: client.id,
                owner_id: client.owner_id.or(Some(actor.user_id.as_uuid())),
                ordered_on: today,
                price_column_id: pricing.column,
                comment: &comment,
                total: pricing.priced.total_with_vat.kopecks(),
                total_vat: pricing.priced.total_vat.kopecks(),
                created_by: actor.user_id.as_uuid(),
            },
            &lines,
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "order",
            Some(id.as_uuid()),
            json!({ "number": number, "counterparty_id": client.id, "total": pricing.priced.total_with_vat,
                    "lines": lines.len() }),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, id).await
    }

    fn order_comment(comment: Option<String>) -> Result<String, FieldError> {
        let c = comment.map(|c| c.trim().to_owned()).unwrap_or_default();
        if c.chars().count() > 2000 {
            return Err(FieldError::new("comment", "too_long").with("max", "2000"));
        }
        Ok(c)
    }

    fn order_lines_of(p: &crate::offers::Pricing) -> Vec<NewLine> {
        p.priced
            .lines
            .iter()
            .map(|l| NewLine {
                product_id: l.product.as_uuid(),
                quantity: l.quantity.thousandths(),
                price: l.unit_price.kopecks(),
                discount: l.manual_discount.basis_points() as i32,
                vat_rate: l.vat.code(),
                amount: l.amount_with_vat.kopecks(),
                vat_amount: l.vat_amount.kopecks(),
            })
            .collect()
    }

    /// Re-prices a draft with new lines.
    pub async fn update_order(
        &self,
        actor: &Actor,
        id: OrderId,
        version: i64,
        lines: Vec<OrderLineInput>,
        comment: Option<String>,
    ) -> Result<OrderView, AppError> {
        let order = self.order_row(actor, id).await?;
        if !may_take_orders(actor.role) {
            return Err(self.deny(actor, "order", Some(order.id), AppError::Forbidden).await);
        }
        if !status_of(&order).editable() {
            return Err(FieldError::new("status", "order_not_editable")
                .with("status", order.status.clone())
                .into());
        }
        if order.version != version {
            return Err(self.conflict_of(order.id, order.version).await);
        }
        let client = counterparties::by_id(self.db(), order.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let comment = Self::order_comment(comment.or(Some(order.comment.clone())))?;
        let mut input = lines_input(&lines);
        input.price_column = order.price_column_id.map(PriceColumnId::from);
        let (pricing, _) = self
            .price_offer(actor, &client, &input, company_today(), order.price_column_id)
            .await?;
        let new_lines = Self::order_lines_of(&pricing);
        let mut tx = self.db().begin().await?;
        match ledger::update_draft_tx(
            &mut tx,
            order.id,
            version,
            &comment,
            pricing.column,
            pricing.priced.total_with_vat.kopecks(),
            pricing.priced.total_vat.kopecks(),
            &new_lines,
            now(),
        )
        .await
        {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.conflict_of(order.id, version + 1).await);
            }
            r => r?,
        };
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "order",
            Some(order.id),
            json!({ "total": [Money::from_kopecks(order.total), pricing.priced.total_with_vat],
                    "lines": new_lines.len() }),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, id).await
    }

    /// Submits a draft through the credit check. A client over its limit or with overdue debt
    /// gets the order held (status submitted, `credit_hold`) with a request to the head of its
    /// department and the credit controller; otherwise the order is approved for fulfilment.
    pub async fn submit_order(&self, actor: &Actor, id: OrderId, version: i64) -> Result<OrderView, AppError> {
        let order = self.order_row(actor, id).await?;
        if !may_take_orders(actor.role) {
            return Err(self.deny(actor, "order", Some(order.id), AppError::Forbidden).await);
        }
        let status = status_of(&order);
        status.after(OrderAction::Submit)?;
        if order.version != version {
            return Err(self.conflict_of(order.id, order.version).await);
        }
        if order.total <= 0 {
            return Err(FieldError::new("lines", "required").into());
        }
        // Written in a group with whatever else is being submitted at this moment: the credit
        // check runs inside that transaction under the client's row lock.
        let submitted = self
            .submit_writer
            .write(
                self.db(),
                Submission {
                    order: order.id,
                    version,
                    from: order.status.clone(),
                    total: order.total,
                    counterparty: order.counterparty_id,
                    department: order.counterparty_department_id,
                    by: By::actor(actor),
                },
            )
            .await;
        let figures = match submitted {
            Ok(figures) => figures,
            Err(DbError::Conflict) => return Err(self.conflict_of(order.id, version + 1).await),
            Err(e) => return Err(e.into()),
        };
        // A draft has no shipments, invoices, returns or acts yet: read only what changed.
        let db = self.db();
        let row = ledger::order(db, order.id).await?.ok_or(AppError::NotFound)?;
        let approvals = offer_repo::approvals_of(db, "order", order.id).await?;
        Ok(OrderView {
            status: status_of(&row),
            lines: ledger::order_lines(db, order.id).await?,
            shipments: Vec::new(),
            invoices: Vec::new(),
            returns: Vec::new(),
            acts: Vec::new(),
            approvals,
            credit: Some(figures),
            order: row,
        })
    }

    /// Releases (approve) or refuses (back to draft) an order held by the credit check; called
    /// from the approval decision, inside its transaction.
    pub(crate) async fn decide_credit_tx(
        &self,
        tx: &mut prospekt_storage::Tx,
        order_id: Uuid,
        approve: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Uuid, String, String), AppError> {
        let order = ledger::order_tx(tx, order_id).await?.ok_or(AppError::NotFound)?;
        if order.status != OrderStatus::Submitted.as_str() || !order.credit_hold {
            return Err(FieldError::new("status", "order_not_on_hold")
                .with("status", order.status.clone())
                .into());
        }
        let to = if approve {
            OrderStatus::Approved
        } else {
            OrderStatus::Draft
        };
        ledger::set_order_status_tx(
            tx,
            order.id,
            order.version,
            &StatusChange {
                from: &order.status,
                to: to.as_str(),
                credit_check: None,
                credit_hold: false,
                cancel_reason: None,
            },
            at,
        )
        .await?;
        Ok((order.id, order.status, to.as_str().to_owned()))
    }

    /// Starts fulfilment, cancels (with a reason) or takes an order back to draft.
    pub async fn order_action(
        &self,
        actor: &Actor,
        id: OrderId,
        version: i64,
        action: OrderAction,
        reason: Option<&str>,
    ) -> Result<OrderView, AppError> {
        let order = self.order_row(actor, id).await?;
        let allowed = match action {
            OrderAction::StartFulfilment => may_fulfil(actor.role),
            OrderAction::Submit => may_take_orders(actor.role),
            OrderAction::Cancel | OrderAction::Reopen => may_take_orders(actor.role),
        };
        if !allowed {
            return Err(self.deny(actor, "order", Some(order.id), AppError::Forbidden).await);
        }
        if action == OrderAction::Submit {
            return self.submit_order(actor, id, version).await;
        }
        let from = status_of(&order);
        let to = from.after(action)?;
        if order.version != version {
            return Err(self.conflict_of(order.id, order.version).await);
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if action == OrderAction::Cancel && reason.is_none() {
            return Err(FieldError::new("reason", "required").into());
        }
        if action == OrderAction::Cancel && order.shipped_amount > 0 {
            return Err(FieldError::new("status", "order_partly_shipped").into());
        }
        let at = now();
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = ledger::set_order_status_tx(
            &mut tx,
            order.id,
            version,
            &StatusChange {
                from: &order.status,
                to: to.as_str(),
                credit_check: None,
                credit_hold: false,
                cancel_reason: reason,
            },
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(order.id, version + 1).await);
        }
        if matches!(action, OrderAction::Cancel | OrderAction::Reopen) && order.credit_hold {
            offer_repo::withdraw_pending_tx(&mut tx, "order", order.id, at).await?;
        }
        record_tx(
            &mut tx,
            By::actor(actor),
            action.as_str(),
            "order",
            Some(order.id),
            json!({ "status": [order.status, to], "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, id).await
    }

    /// Recomputes an order's fulfilment status from its shipments, invoices and payments.
    pub(crate) async fn refresh_order_tx(
        &self,
        tx: &mut prospekt_storage::Tx,
        order_id: Uuid,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), AppError> {
        let Some(order) = ledger::order_tx(tx, order_id).await? else {
            return Ok(());
        };
        let lines = ledger::order_lines_tx(tx, order_id).await?;
        let shipments = ledger::shipments_of_tx(tx, order_id).await?;
        let mut invoiced = 0;
        let mut open = 0;
        for s in &shipments {
            if let Some(inv) = s.invoice_id
                && let Some(i) = ledger::invoice_tx(tx, inv).await?
            {
                invoiced += i.total;
                open += i.open();
            }
        }
        let p = Progress {
            total: order.total,
            shipped: shipments.iter().map(|s| s.amount).sum(),
            all_lines_shipped: lines.iter().all(|l| l.shipped_qty + l.returned_qty >= l.quantity),
            all_shipments_delivered: shipments.iter().all(|s| s.delivered_on.is_some()),
            invoiced,
            all_shipments_invoiced: shipments.iter().all(|s| s.invoice_id.is_some()),
            invoices_open: open,
        };
        let status = status_from_progress(status_of(&order), &p);
        ledger::set_progress_tx(tx, order_id, status.as_str(), p.shipped, invoiced, at).await?;
        Ok(())
    }

    /// Ships goods against an approved order: the given quantities, or everything not yet
    /// shipped when `lines` is empty.
    pub async fn ship_order(
        &self,
        actor: &Actor,
        id: OrderId,
        version: i64,
        shipped_on: Option<NaiveDate>,
        lines: Vec<ShipLine>,
    ) -> Result<ShipmentView, AppError> {
        let order = self.order_row(actor, id).await?;
        if !may_fulfil(actor.role) {
            return Err(self.deny(actor, "order", Some(order.id), AppError::Forbidden).await);
        }
        let status = status_of(&order);
        if !status.may_ship() {
            return Err(FieldError::new("status", "order_not_shippable")
                .with("status", order.status.clone())
                .into());
        }
        if order.version != version {
            return Err(self.conflict_of(order.id, order.version).await);
        }
        let today = company_today();
        let shipped_on = shipped_on.unwrap_or(today);
        if shipped_on > today {
            return Err(FieldError::new("shipped_on", "date_in_future").into());
        }
        let order_lines = ledger::order_lines(self.db(), order.id).await?;
        let wanted: Vec<(i32, i64)> = if lines.is_empty() {
            order_lines
                .iter()
                .map(|l| (l.line_no, l.quantity - l.shipped_qty - l.returned_qty))
                .filter(|(_, q)| *q > 0)
                .collect()
        } else {
            lines.iter().map(|l| (l.line_no, l.quantity.thousandths())).collect()
        };
        if wanted.is_empty() {
            return Err(FieldError::new("lines", "nothing_to_ship").into());
        }
        let mut new_lines = Vec::with_capacity(wanted.len());
        for (i, (line_no, qty)) in wanted.iter().enumerate() {
            let at = |e: FieldError| e.with("line", (i + 1).to_string());
            let l = order_lines
                .iter()
                .find(|l| l.line_no == *line_no)
                .ok_or_else(|| at(FieldError::new("line_no", "unknown_order_line")))?;
            let left = l.quantity - l.shipped_qty - l.returned_qty;
            if *qty <= 0 {
                return Err(at(FieldError::new("quantity", "must_be_positive")).into());
            }
            if *qty > left {
                return Err(at(FieldError::new("quantity", "over_ordered").with(
                    "left",
                    Quantity::from_thousandths(left)
                        .map(|q| q.to_string())
                        .unwrap_or_default(),
                ))
                .into());
            }
            // The last part of a line takes what is left of its money, so parts add up exactly.
            let (amount, vat) = if *qty == left {
                let shipped_amount = share(l.amount, l.shipped_qty + l.returned_qty, l.quantity);
                let shipped_vat = share(l.vat_amount, l.shipped_qty + l.returned_qty, l.quantity);
                (l.amount - shipped_amount, l.vat_amount - shipped_vat)
            } else {
                (share(l.amount, *qty, l.quantity), share(l.vat_amount, *qty, l.quantity))
            };
            new_lines.push(NewShipmentLine {
                order_line_no: l.line_no,
                product_id: l.product_id,
                quantity: *qty,
                price: l.price,
                amount,
                vat_amount: vat,
            });
        }
        let shipment = ShipmentId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let number = format!("РН-{:06}", offer_repo::next_number_tx(&mut tx, "shipment").await?);
        match ledger::insert_shipment_tx(
            &mut tx,
            shipment.as_uuid(),
            &number,
            order.id,
            order.counterparty_id,
            shipped_on,
            &new_lines,
            actor.user_id.as_uuid(),
            at,
        )
        .await
        {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.conflict_of(order.id, order.version + 1).await);
            }
            r => r?,
        }
        if status == OrderStatus::Approved {
            ledger::set_order_status_tx(
                &mut tx,
                order.id,
                version,
                &StatusChange {
                    from: &order.status,
                    to: OrderStatus::InFulfilment.as_str(),
                    credit_check: None,
                    credit_hold: false,
                    cancel_reason: None,
                },
                at,
            )
            .await?;
        }
        self.refresh_order_tx(&mut tx, order.id, at).await?;
        let amount: i64 = new_lines.iter().map(|l| l.amount).sum();
        record_tx(
            &mut tx,
            By::actor(actor),
            "ship",
            "order",
            Some(order.id),
            json!({ "shipment_id": shipment, "number": number, "shipped_on": shipped_on,
                    "amount": Money::from_kopecks(amount), "lines": new_lines.len() }),
        )
        .await?;
        tx.commit().await?;
        self.shipment_view(actor, shipment).await
    }

    pub async fn shipment_view(&self, actor: &Actor, id: ShipmentId) -> Result<ShipmentView, AppError> {
        let s = ledger::shipment(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        self.order_row(actor, OrderId::from(s.order_id)).await?;
        let lines = ledger::shipment_lines(self.db(), s.id).await?;
        Ok(ShipmentView { shipment: s, lines })
    }

    /// Marks a shipment delivered to the client.
    pub async fn deliver_shipment(
        &self,
        actor: &Actor,
        id: ShipmentId,
        on: Option<NaiveDate>,
    ) -> Result<ShipmentView, AppError> {
        let view = self.shipment_view(actor, id).await?;
        if !may_fulfil(actor.role) {
            return Err(self
                .deny(actor, "shipment", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        let on = on.unwrap_or_else(company_today);
        if on < view.shipment.shipped_on {
            return Err(FieldError::new("delivered_on", "before_shipment").into());
        }
        let at = now();
        let mut tx = self.db().begin().await?;
        if !ledger::set_delivered_tx(&mut tx, id.as_uuid(), on).await? {
            return Err(FieldError::new("delivered_on", "already_delivered").into());
        }
        self.refresh_order_tx(&mut tx, view.shipment.order_id, at).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "deliver",
            "shipment",
            Some(id.as_uuid()),
            json!({ "delivered_on": on, "order_id": view.shipment.order_id }),
        )
        .await?;
        tx.commit().await?;
        self.shipment_view(actor, id).await
    }

    /// Invoices a shipment: the due date is the shipment date plus the client's deferral, in
    /// calendar or banking days, moved off days off. Advances the client paid are allocated to
    /// the new invoice at once, oldest first.
    pub async fn invoice_shipment(
        &self,
        actor: &Actor,
        id: ShipmentId,
        issued_on: Option<NaiveDate>,
    ) -> Result<InvoiceRow, AppError> {
        let view = self.shipment_view(actor, id).await?;
        if !may_fulfil(actor.role) {
            return Err(self
                .deny(actor, "shipment", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        if view.shipment.invoice_id.is_some() {
            return Err(FieldError::new("shipment_id", "already_invoiced").into());
        }
        let terms = ledger::terms(self.db(), view.shipment.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let issued_on = issued_on.unwrap_or(view.shipment.shipped_on);
        if issued_on < view.shipment.shipped_on {
            return Err(FieldError::new("issued_on", "before_shipment").into());
        }
        let calendar = self.work_calendar().await?;
        let kind = DeferralKind::parse(&terms.deferral_kind).unwrap_or(DeferralKind::Calendar);
        let due_on = due_date(
            view.shipment.shipped_on,
            terms.payment_terms_days.max(0) as u32,
            kind,
            &calendar,
        );
        let invoice = Uuid::now_v7();
        let at = now();
        let mut tx = self.db().begin().await?;
        let number = format!("С-{:06}", offer_repo::next_number_tx(&mut tx, "invoice").await?);
        match ledger::insert_invoice_tx(
            &mut tx,
            invoice,
            &number,
            &view.shipment,
            &view.lines,
            issued_on,
            due_on,
            at,
        )
        .await
        {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(FieldError::new("shipment_id", "already_invoiced").into());
            }
            r => r?,
        }
        // Returns and accepted acts registered before the invoice reduce it at once.
        let before = coll::credits_of_shipment_tx(&mut tx, view.shipment.id).await?;
        let credited = if before > 0 {
            before
                - self
                    .credit_invoice_tx(&mut tx, invoice, before, &number, actor.user_id.as_uuid())
                    .await?
        } else {
            0
        };
        // Advances go to the new invoice.
        let mut open = view.shipment.amount - credited;
        for (payment, free) in ledger::unallocated_payments_tx(&mut tx, view.shipment.counterparty_id).await? {
            if open == 0 {
                break;
            }
            let amount = free.min(open);
            ledger::allocate_tx(&mut tx, payment, invoice, amount, Some(actor.user_id.as_uuid()), at).await?;
            open -= amount;
        }
        self.refresh_order_tx(&mut tx, view.shipment.order_id, at).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "invoice",
            Some(invoice),
            json!({ "number": number, "shipment_id": id, "order_id": view.shipment.order_id,
                    "total": Money::from_kopecks(view.shipment.amount), "issued_on": issued_on, "due_on": due_on,
                    "credited": Money::from_kopecks(credited),
                    "advance_applied": Money::from_kopecks(view.shipment.amount - credited - open) }),
        )
        .await?;
        tx.commit().await?;
        ledger::invoice(self.db(), invoice).await?.ok_or(AppError::NotFound)
    }

    /// Registers a return of shipped goods (credits the shipment's invoice) or a refusal of
    /// goods not yet shipped (they will not be shipped).
    pub async fn register_return(&self, actor: &Actor, id: OrderId, input: ReturnInput) -> Result<OrderView, AppError> {
        let order = self.order_row(actor, id).await?;
        if !may_take_orders(actor.role) {
            return Err(self.deny(actor, "order", Some(order.id), AppError::Forbidden).await);
        }
        if input.lines.is_empty() {
            return Err(FieldError::new("lines", "required").into());
        }
        let comment = Self::order_comment(input.comment.clone())?;
        if input.reason == ReturnReason::Other && comment.is_empty() {
            return Err(FieldError::new("comment", "required_for_other").into());
        }
        let order_lines = ledger::order_lines(self.db(), order.id).await?;
        let shipment = match (input.kind, input.shipment) {
            (ReturnKind::Return, None) => return Err(FieldError::new("shipment_id", "required").into()),
            (ReturnKind::Refusal, Some(_)) => {
                return Err(FieldError::new("shipment_id", "not_for_refusal").into());
            }
            (ReturnKind::Return, Some(s)) => {
                let view = self.shipment_view(actor, s).await?;
                if view.shipment.order_id != order.id {
                    return Err(FieldError::new("shipment_id", "not_of_this_order").into());
                }
                Some(view)
            }
            (ReturnKind::Refusal, None) => {
                if matches!(status_of(&order), OrderStatus::Draft | OrderStatus::Cancelled) {
                    return Err(FieldError::new("status", "order_not_taken").into());
                }
                None
            }
        };
        let at = now();
        let rid = ReturnId::new();
        let mut tx = self.db().begin().await?;
        let mut new_lines = Vec::new();
        for (i, l) in input.lines.iter().enumerate() {
            let err = |e: FieldError| e.with("line", (i + 1).to_string());
            let ol = order_lines
                .iter()
                .find(|o| o.line_no == l.line_no)
                .ok_or_else(|| err(FieldError::new("line_no", "unknown_order_line")))?;
            let qty = l.quantity.thousandths();
            if qty <= 0 {
                return Err(err(FieldError::new("quantity", "must_be_positive")).into());
            }
            let amount = match &shipment {
                Some(view) => {
                    let sl = view
                        .lines
                        .iter()
                        .find(|s| s.order_line_no == l.line_no)
                        .ok_or_else(|| err(FieldError::new("line_no", "not_in_shipment")))?;
                    let returned = coll::returned_of_shipment_tx(&mut tx, view.shipment.id, l.line_no).await?;
                    if qty + returned > sl.quantity {
                        return Err(err(FieldError::new("quantity", "over_shipped")).into());
                    }
                    share(sl.amount, qty, sl.quantity)
                }
                None => {
                    match ledger::refuse_qty_tx(&mut tx, order.id, l.line_no, qty).await {
                        Err(DbError::Conflict) => {
                            return Err(err(FieldError::new("quantity", "over_unshipped")).into());
                        }
                        r => r?,
                    }
                    share(ol.amount, qty, ol.quantity)
                }
            };
            new_lines.push(NewReturnLine {
                order_line_no: l.line_no,
                product_id: ol.product_id,
                quantity: qty,
                amount,
            });
        }
        let amount: i64 = new_lines.iter().map(|l| l.amount).sum();
        let number = format!("ВЗ-{:06}", offer_repo::next_number_tx(&mut tx, "return").await?);
        coll::insert_return_tx(
            &mut tx,
            rid.as_uuid(),
            &number,
            input.kind.as_str(),
            order.id,
            shipment.as_ref().map(|s| s.shipment.id),
            order.counterparty_id,
            input.reason.as_str(),
            &comment,
            &new_lines,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        if let Some(view) = &shipment
            && let Some(invoice) = view.shipment.invoice_id
        {
            self.credit_invoice_tx(&mut tx, invoice, amount, &number, actor.user_id.as_uuid())
                .await?;
        }
        self.refresh_order_tx(&mut tx, order.id, at).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "return",
            Some(rid.as_uuid()),
            json!({ "number": number, "kind": input.kind, "reason": input.reason, "order_id": order.id,
                    "amount": Money::from_kopecks(amount) }),
        )
        .await?;
        tx.commit().await?;
        self.order(actor, id).await
    }

    /// Credits an invoice by `amount` (a return, an accepted act). What the invoice no longer owes
    /// (it was paid already) becomes the client's credit balance: a credit note, kept as an
    /// unallocated payment, so no kopeck is lost and the next invoice takes it first. Returns the
    /// part that went to the credit balance.
    async fn credit_invoice_tx(
        &self,
        tx: &mut prospekt_storage::Tx,
        invoice: Uuid,
        amount: i64,
        reference: &str,
        by: Uuid,
    ) -> Result<i64, AppError> {
        let inv = ledger::invoice_tx(tx, invoice).await?.ok_or(AppError::NotFound)?;
        let credit = amount.min(inv.open()).max(0);
        if credit > 0 {
            ledger::settle_tx(tx, invoice, Settlement::Credited, credit).await?;
        }
        let excess = amount - credit;
        if excess > 0 {
            let purpose = format!("Кредит по документу {reference}: сверх долга по счёту {}", inv.number);
            ledger::insert_payment_tx(
                tx,
                &ledger::NewPayment {
                    id: Uuid::now_v7(),
                    counterparty_id: inv.counterparty_id,
                    paid_on: company_today(),
                    amount: excess,
                    doc_number: reference,
                    purpose: &purpose,
                    source: "credit_note",
                    payer_inn: None,
                    created_by: Some(by),
                },
                now(),
            )
            .await?;
        }
        Ok(excess)
    }

    /// Draws up an act of shortage or mis-grading on a shipment.
    pub async fn register_act(
        &self,
        actor: &Actor,
        shipment: ShipmentId,
        kind: DiscrepancyKind,
        lines: Vec<ActLine>,
        comment: Option<String>,
    ) -> Result<ActRow, AppError> {
        let view = self.shipment_view(actor, shipment).await?;
        if !may_take_orders(actor.role) {
            return Err(self
                .deny(actor, "shipment", Some(shipment.as_uuid()), AppError::Forbidden)
                .await);
        }
        if lines.is_empty() {
            return Err(FieldError::new("lines", "required").into());
        }
        let comment = Self::order_comment(comment)?;
        let mut amount = 0;
        for (i, l) in lines.iter().enumerate() {
            let err = |e: FieldError| e.with("line", (i + 1).to_string());
            let sl = view
                .lines
                .iter()
                .find(|s| s.order_line_no == l.line_no)
                .ok_or_else(|| err(FieldError::new("line_no", "not_in_shipment")))?;
            if l.quantity <= 0 || l.quantity > sl.quantity {
                return Err(err(FieldError::new("quantity", "over_shipped")).into());
            }
            if kind == DiscrepancyKind::Misgrading && l.received_instead.as_deref().is_none_or(|s| s.trim().is_empty())
            {
                return Err(err(FieldError::new("received_instead", "required")).into());
            }
            amount += share(sl.amount, l.quantity, sl.quantity);
        }
        let id = DiscrepancyActId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let number = format!("АР-{:06}", offer_repo::next_number_tx(&mut tx, "act").await?);
        coll::insert_act_tx(
            &mut tx,
            id.as_uuid(),
            &number,
            kind.as_str(),
            shipment.as_uuid(),
            view.shipment.counterparty_id,
            &serde_json::to_string(&lines).unwrap_or_default(),
            amount,
            &comment,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "discrepancy_act",
            Some(id.as_uuid()),
            json!({ "number": number, "kind": kind, "shipment_id": shipment, "amount": Money::from_kopecks(amount) }),
        )
        .await?;
        tx.commit().await?;
        coll::act(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)
    }

    /// Accepts an act (the shipment's invoice is credited by its amount) or rejects it.
    pub async fn decide_act(&self, actor: &Actor, id: DiscrepancyActId, accept: bool) -> Result<ActRow, AppError> {
        let act = coll::act(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)?;
        let view = self.shipment_view(actor, ShipmentId::from(act.shipment_id)).await?;
        if !may_fulfil(actor.role) {
            return Err(self
                .deny(actor, "discrepancy_act", Some(act.id), AppError::Forbidden)
                .await);
        }
        let at = now();
        let mut tx = self.db().begin().await?;
        let status = if accept { "accepted" } else { "rejected" };
        match coll::decide_act_tx(&mut tx, act.id, status, actor.user_id.as_uuid(), at).await {
            Err(DbError::Conflict) => {
                return Err(FieldError::new("status", "act_decided")
                    .with("status", act.status.clone())
                    .into());
            }
            r => r?,
        }
        let mut credited = 0;
        if accept && let Some(invoice) = view.shipment.invoice_id {
            credited = act.amount
                - self
                    .credit_invoice_tx(&mut tx, invoice, act.amount, &act.number, actor.user_id.as_uuid())
                    .await?;
            self.refresh_order_tx(&mut tx, view.shipment.order_id, at).await?;
        }
        record_tx(
            &mut tx,
            By::actor(actor),
            if accept { "accept" } else { "reject" },
            "discrepancy_act",
            Some(act.id),
            json!({ "status": [act.status, status], "credited": Money::from_kopecks(credited) }),
        )
        .await?;
        tx.commit().await?;
        coll::act(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)
    }
}

impl App {
    /// Returns and refusals of the last `days`, grouped by reason, product, client or manager,
    /// in the actor's scope.
    pub async fn returns_analysis(
        &self,
        actor: &Actor,
        by: coll::ReturnsBy,
        kind: Option<ReturnKind>,
        days: i64,
    ) -> Result<Vec<coll::ReturnGroup>, AppError> {
        let access = self.access(actor).await?;
        let from = now() - chrono::Duration::days(days.clamp(1, 3660));
        Ok(coll::returns_analysis(self.db(), &access.scope, by, kind.map(|k| k.as_str()), from, 200).await?)
    }
}
