//! Orders over the API: take and re-price a draft, submit it through the credit check, start
//! fulfilment, ship (partly or in full), mark delivered, invoice a shipment, register returns,
//! refusals and acts of shortage or mis-grading; the returns analysis.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use prospekt_app::orders::{
    ActLine, CreditFigures, OrderInput, OrderLineInput, OrderView, ReturnInput, ReturnLineInput, ShipLine, ShipmentView,
};
use prospekt_domain::FieldError;
use prospekt_domain::ids::{CounterpartyId, DiscrepancyActId, OrderId, ShipmentId};
use prospekt_domain::money::Money;
use prospekt_domain::order::{DiscrepancyKind, OrderAction, ReturnKind, ReturnReason};
use prospekt_domain::pricing::{Discount, Quantity};
use prospekt_storage::repo::collections::{ActRow, ReturnGroup, ReturnRow, ReturnsBy};
use prospekt_storage::repo::ledger::{InvoiceRow, OrderFilter, OrderRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::catalog::{date, discount};
use super::counterparties::parse_id;
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order, update_order))
        .routes(routes!(submit_order))
        .routes(routes!(order_action))
        .routes(routes!(ship_order))
        .routes(routes!(deliver_shipment))
        .routes(routes!(invoice_shipment))
        .routes(routes!(create_act))
        .routes(routes!(decide_act))
        .routes(routes!(create_return))
        .routes(routes!(returns_analysis))
}

fn money(k: i64) -> String {
    Money::from_kopecks(k).to_string()
}

fn qty(t: i64) -> String {
    Quantity::from_thousandths(t)
        .map(|q| q.to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// An order in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: uuid::Uuid,
    pub number: String,
    pub counterparty_id: uuid::Uuid,
    pub counterparty_name: String,
    /// draft | submitted | approved | in_fulfilment | shipped | delivered | invoiced | paid | cancelled
    pub status: String,
    /// Held by the credit check, waiting for a decision.
    pub credit_hold: bool,
    pub ordered_on: NaiveDate,
    pub total: String,
    pub shipped: String,
    pub invoiced: String,
    pub owner_name: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl From<OrderRow> for OrderSummary {
    fn from(r: OrderRow) -> Self {
        Self {
            id: r.id,
            number: r.number,
            counterparty_id: r.counterparty_id,
            counterparty_name: r.counterparty_name,
            status: r.status,
            credit_hold: r.credit_hold,
            ordered_on: r.ordered_on,
            total: money(r.total),
            shipped: money(r.shipped_amount),
            invoiced: money(r.invoiced_amount),
            owner_name: r.owner_name,
            version: r.version,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineDto {
    pub line_no: i32,
    pub product_id: uuid::Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: String,
    pub price: String,
    pub discount: String,
    pub vat_rate: String,
    pub amount: String,
    pub vat_amount: String,
    pub shipped: String,
    /// Returned or refused.
    pub returned: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentLineDto {
    pub line_no: i32,
    pub order_line_no: i32,
    pub sku: String,
    pub name: String,
    pub quantity: String,
    pub price: String,
    pub amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShipmentDto {
    pub id: uuid::Uuid,
    pub number: String,
    pub order_id: uuid::Uuid,
    pub shipped_on: NaiveDate,
    pub delivered_on: Option<NaiveDate>,
    pub amount: String,
    pub vat_amount: String,
    pub invoice_id: Option<uuid::Uuid>,
    pub lines: Vec<ShipmentLineDto>,
}

impl From<ShipmentView> for ShipmentDto {
    fn from(v: ShipmentView) -> Self {
        let s = v.shipment;
        Self {
            id: s.id,
            number: s.number,
            order_id: s.order_id,
            shipped_on: s.shipped_on,
            delivered_on: s.delivered_on,
            amount: money(s.amount),
            vat_amount: money(s.vat_amount),
            invoice_id: s.invoice_id,
            lines: v
                .lines
                .into_iter()
                .map(|l| ShipmentLineDto {
                    line_no: l.line_no,
                    order_line_no: l.order_line_no,
                    sku: l.sku,
                    name: l.name,
                    quantity: qty(l.quantity),
                    price: money(l.price),
                    amount: money(l.amount),
                })
                .collect(),
        }
    }
}

/// An invoice: total, what is paid, credited (returns, acts) and written off, what is open.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDto {
    pub id: uuid::Uuid,
    pub number: String,
    pub counterparty_id: uuid::Uuid,
    pub counterparty_name: String,
    pub order_id: Option<uuid::Uuid>,
    pub order_number: Option<String>,
    pub shipment_id: Option<uuid::Uuid>,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub total: String,
    pub vat_amount: String,
    pub paid: String,
    pub credited: String,
    pub written_off: String,
    pub open: String,
    pub days_overdue: i64,
    pub version: i64,
}

impl From<InvoiceRow> for InvoiceDto {
    fn from(i: InvoiceRow) -> Self {
        let today = prospekt_app::catalog::company_today();
        let open = i.open();
        Self {
            days_overdue: if open > 0 {
                prospekt_domain::receivables::days_past_due(i.due_on, today)
            } else {
                0
            },
            open: money(open),
            id: i.id,
            number: i.number,
            counterparty_id: i.counterparty_id,
            counterparty_name: i.counterparty_name,
            order_id: i.order_id,
            order_number: i.order_number,
            shipment_id: i.shipment_id,
            issued_on: i.issued_on,
            due_on: i.due_on,
            total: money(i.total),
            vat_amount: money(i.vat_amount),
            paid: money(i.paid),
            credited: money(i.credited),
            written_off: money(i.written_off),
            version: i.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnDto {
    pub id: uuid::Uuid,
    pub number: String,
    /// return | refusal
    pub kind: String,
    pub reason: String,
    pub comment: String,
    pub shipment_id: Option<uuid::Uuid>,
    pub amount: String,
    pub created_at: DateTime<Utc>,
}

impl From<ReturnRow> for ReturnDto {
    fn from(r: ReturnRow) -> Self {
        Self {
            id: r.id,
            number: r.number,
            kind: r.kind,
            reason: r.reason,
            comment: r.comment,
            shipment_id: r.shipment_id,
            amount: money(r.amount),
            created_at: r.created_at,
        }
    }
}

/// An act of shortage or mis-grading.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActDto {
    pub id: uuid::Uuid,
    pub number: String,
    /// shortage | misgrading
    pub kind: String,
    pub shipment_id: uuid::Uuid,
    /// [{line_no, quantity (thousandths), received_instead}]
    #[schema(value_type = Object)]
    pub lines: serde_json::Value,
    pub amount: String,
    pub comment: String,
    /// open | accepted | rejected
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<ActRow> for ActDto {
    fn from(a: ActRow) -> Self {
        Self {
            id: a.id,
            number: a.number,
            kind: a.kind,
            shipment_id: a.shipment_id,
            lines: serde_json::from_str(&a.lines).unwrap_or_default(),
            amount: money(a.amount),
            comment: a.comment,
            status: a.status,
            created_at: a.created_at,
        }
    }
}

/// An order with its lines, shipments, invoices, returns, acts and the credit check's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    #[serde(flatten)]
    pub order: OrderSummary,
    pub total_vat: String,
    pub comment: String,
    pub cancel_reason: Option<String>,
    pub offer_id: Option<uuid::Uuid>,
    pub deal_id: Option<uuid::Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub lines: Vec<OrderLineDto>,
    pub shipments: Vec<ShipmentDto>,
    pub invoices: Vec<InvoiceDto>,
    pub returns: Vec<ReturnDto>,
    pub acts: Vec<ActDto>,
    /// The credit check at submission: limit, receivable, overdue, open orders, exposure, blocks.
    #[schema(value_type = Option<Object>)]
    pub credit: Option<CreditFigures>,
    /// Requests for the credit decision (id, status, decided_by, comment).
    #[schema(value_type = Vec<Object>)]
    pub approvals: Vec<serde_json::Value>,
}

impl From<OrderView> for OrderDto {
    fn from(v: OrderView) -> Self {
        let o = v.order;
        Self {
            total_vat: money(o.total_vat),
            comment: o.comment.clone(),
            cancel_reason: o.cancel_reason.clone(),
            offer_id: o.offer_id,
            deal_id: o.deal_id,
            submitted_at: o.submitted_at,
            lines: v
                .lines
                .into_iter()
                .map(|l| OrderLineDto {
                    line_no: l.line_no,
                    product_id: l.product_id,
                    sku: l.sku,
                    name: l.name,
                    unit: l.unit,
                    quantity: qty(l.quantity),
                    price: money(l.price),
                    discount: Discount::from_basis_points(l.discount.max(0) as u32)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    vat_rate: l.vat_rate,
                    amount: money(l.amount),
                    vat_amount: money(l.vat_amount),
                    shipped: qty(l.shipped_qty),
                    returned: qty(l.returned_qty),
                })
                .collect(),
            shipments: v.shipments.into_iter().map(Into::into).collect(),
            invoices: v.invoices.into_iter().map(Into::into).collect(),
            returns: v.returns.into_iter().map(Into::into).collect(),
            acts: v.acts.into_iter().map(Into::into).collect(),
            credit: v.credit,
            approvals: v
                .approvals
                .into_iter()
                .map(|a| {
                    serde_json::json!({ "id": a.id, "status": a.status, "reason": a.reason, "version": a.version,
                                        "decided_by": a.decided_by_name, "comment": a.comment })
                })
                .collect(),
            order: o.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderQuery {
    pub status: Option<String>,
    pub counterparty_id: Option<String>,
    /// true: only orders held by the credit check.
    pub hold: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = Vec<OrderSummary>), (status = 422, body = crate::error::ErrorBody)))]
async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<OrderQuery>,
) -> Result<Json<Vec<OrderSummary>>, ApiError> {
    let lang = caller.lang;
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(prospekt_domain::order::OrderStatus::parse)
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let counterparty = q
        .counterparty_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id::<CounterpartyId>("counterparty_id", s))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let filter = OrderFilter {
        status: status.map(|s| s.as_str().to_owned()),
        counterparty: counterparty.map(|c| c.as_uuid()),
        credit_hold: q.hold.unwrap_or(false),
    };
    let rows = state
        .app
        .orders(&caller.actor, &filter, q.limit.unwrap_or(100), q.offset.unwrap_or(0))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OrderLineBody {
    pub product_id: String,
    /// Up to 3 decimals ("12.5").
    pub quantity: String,
    /// The manager's discount, percent ("5" or "2.5").
    pub discount: Option<String>,
}

fn lines_of(lines: &[OrderLineBody]) -> Result<Vec<OrderLineInput>, FieldError> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = |e: FieldError| e.with("line", (i + 1).to_string());
            Ok(OrderLineInput {
                product: parse_id("product_id", &l.product_id).map_err(at)?,
                quantity: Quantity::parse(&l.quantity).map_err(at)?,
                discount: match l.discount.as_deref().filter(|s| !s.trim().is_empty()) {
                    Some(d) => discount("discount", d).map_err(at)?,
                    None => Discount::ZERO,
                },
            })
        })
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrderBody {
    pub counterparty_id: String,
    pub lines: Vec<OrderLineBody>,
    pub comment: Option<String>,
    /// Another column than the client's: heads and directors only.
    pub price_column_id: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrderBody,
    responses((status = 201, body = OrderDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewOrderBody>,
) -> Result<(StatusCode, Json<OrderDto>), ApiError> {
    let lang = caller.lang;
    let input = (|| -> Result<OrderInput, FieldError> {
        Ok(OrderInput {
            counterparty: parse_id("counterparty_id", &b.counterparty_id)?,
            lines: lines_of(&b.lines)?,
            comment: b.comment.clone(),
            price_column: b
                .price_column_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| parse_id("price_column_id", s))
                .transpose()?,
        })
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .create_order(&caller.actor, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OrderDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderDto>, ApiError> {
    let lang = caller.lang;
    let id: OrderId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .order(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateOrderBody {
    pub version: i64,
    pub lines: Vec<OrderLineBody>,
    pub comment: Option<String>,
}

/// Re-price a draft with new lines.
#[utoipa::path(put, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = UpdateOrderBody,
    responses((status = 200, body = OrderDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateOrderBody>,
) -> Result<Json<OrderDto>, ApiError> {
    let lang = caller.lang;
    let id: OrderId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let lines = lines_of(&b.lines).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .update_order(&caller.actor, id, b.version, lines, b.comment)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VersionBody {
    pub version: i64,
}

/// Submit a draft: the credit check approves it, or holds it for the head / credit controller.
#[utoipa::path(post, path = "/api/v1/orders/{id}/submit", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = VersionBody,
    responses((status = 200, body = OrderDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn submit_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VersionBody>,
) -> Result<Json<OrderDto>, ApiError> {
    let lang = caller.lang;
    let id: OrderId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .submit_order(&caller.actor, id, b.version)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    pub version: i64,
    /// start_fulfilment | cancel | reopen
    pub action: String,
    /// Required to cancel.
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/actions", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = ActionBody,
    responses((status = 200, body = OrderDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn order_action(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActionBody>,
) -> Result<Json<OrderDto>, ApiError> {
    let lang = caller.lang;
    let id: OrderId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let action = OrderAction::parse(&b.action).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .order_action(&caller.actor, id, b.version, action, b.reason.as_deref())
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShipLineBody {
    pub line_no: i32,
    pub quantity: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShipBody {
    pub version: i64,
    /// Default: today.
    pub shipped_on: Option<String>,
    /// Default: everything not yet shipped.
    #[serde(default)]
    pub lines: Vec<ShipLineBody>,
}

/// Ship goods against an approved order (partly or in full).
#[utoipa::path(post, path = "/api/v1/orders/{id}/shipments", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = ShipBody,
    responses((status = 201, body = ShipmentDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn ship_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ShipBody>,
) -> Result<(StatusCode, Json<ShipmentDto>), ApiError> {
    let lang = caller.lang;
    let id: OrderId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let parsed = (|| -> Result<(Option<NaiveDate>, Vec<ShipLine>), FieldError> {
        let on = b
            .shipped_on
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| date("shipped_on", s))
            .transpose()?;
        let lines = b
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(ShipLine {
                    line_no: l.line_no,
                    quantity: Quantity::parse(&l.quantity).map_err(|e| e.with("line", (i + 1).to_string()))?,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok((on, lines))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .ship_order(&caller.actor, id, b.version, parsed.0, parsed.1)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeliveryBody {
    /// Default: today.
    pub delivered_on: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/shipments/{id}/delivery", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = DeliveryBody,
    responses((status = 200, body = ShipmentDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn deliver_shipment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DeliveryBody>,
) -> Result<Json<ShipmentDto>, ApiError> {
    let lang = caller.lang;
    let id: ShipmentId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let on = b
        .delivered_on
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| date("delivered_on", s))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .deliver_shipment(&caller.actor, id, on)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvoiceBody {
    /// Default: the shipment date.
    pub issued_on: Option<String>,
}

/// Invoice a shipment; the due date follows the client's deferral (calendar or banking days).
#[utoipa::path(post, path = "/api/v1/shipments/{id}/invoice", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = InvoiceBody,
    responses((status = 201, body = InvoiceDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn invoice_shipment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<InvoiceBody>,
) -> Result<(StatusCode, Json<InvoiceDto>), ApiError> {
    let lang = caller.lang;
    let id: ShipmentId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let on = b
        .issued_on
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| date("issued_on", s))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let inv = state
        .app
        .invoice_shipment(&caller.actor, id, on)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(inv.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActLineBody {
    pub line_no: i32,
    pub quantity: String,
    /// Mis-grading: what came instead.
    pub received_instead: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActBody {
    /// shortage | misgrading
    pub kind: String,
    pub lines: Vec<ActLineBody>,
    pub comment: Option<String>,
}

/// Draw up an act of shortage or mis-grading on a shipment.
#[utoipa::path(post, path = "/api/v1/shipments/{id}/acts", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = ActBody,
    responses((status = 201, body = ActDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn create_act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActBody>,
) -> Result<(StatusCode, Json<ActDto>), ApiError> {
    let lang = caller.lang;
    let parsed = (|| -> Result<(ShipmentId, DiscrepancyKind, Vec<ActLine>), FieldError> {
        let lines = b
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(ActLine {
                    line_no: l.line_no,
                    quantity: Quantity::parse(&l.quantity)
                        .map_err(|e| e.with("line", (i + 1).to_string()))?
                        .thousandths(),
                    received_instead: l.received_instead.clone(),
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok((parse_id("id", &id)?, DiscrepancyKind::parse(&b.kind)?, lines))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let act = state
        .app
        .register_act(&caller.actor, parsed.0, parsed.1, parsed.2, b.comment)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(act.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActDecisionBody {
    pub accept: bool,
}

/// Accept an act (the shipment's invoice is credited by its amount) or reject it.
#[utoipa::path(post, path = "/api/v1/acts/{id}/decision", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = ActDecisionBody,
    responses((status = 200, body = ActDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn decide_act(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActDecisionBody>,
) -> Result<Json<ActDto>, ApiError> {
    let lang = caller.lang;
    let id: DiscrepancyActId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let act = state
        .app
        .decide_act(&caller.actor, id, b.accept)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(act.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnBody {
    /// return | refusal
    pub kind: String,
    /// defect | wrong_goods | damaged | late_delivery | not_needed | price_dispute | expired | other
    pub reason: String,
    pub comment: Option<String>,
    /// Returns: the shipment the goods came with.
    pub shipment_id: Option<String>,
    pub lines: Vec<ShipLineBody>,
}

/// Register a return of shipped goods (credits the invoice) or a refusal of unshipped ones.
#[utoipa::path(post, path = "/api/v1/orders/{id}/returns", tag = "orders", params(("id" = uuid::Uuid, Path)),
    request_body = ReturnBody,
    responses((status = 201, body = OrderDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_return(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReturnBody>,
) -> Result<(StatusCode, Json<OrderDto>), ApiError> {
    let lang = caller.lang;
    let parsed = (|| -> Result<(OrderId, ReturnInput), FieldError> {
        let lines = b
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(ReturnLineInput {
                    line_no: l.line_no,
                    quantity: Quantity::parse(&l.quantity).map_err(|e| e.with("line", (i + 1).to_string()))?,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok((
            parse_id("id", &id)?,
            ReturnInput {
                kind: ReturnKind::parse(&b.kind)?,
                reason: ReturnReason::parse(&b.reason)?,
                comment: b.comment.clone(),
                shipment: b
                    .shipment_id
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(|s| parse_id("shipment_id", s))
                    .transpose()?,
                lines,
            },
        ))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .register_return(&caller.actor, parsed.0, parsed.1)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AnalysisQuery {
    /// reason (default) | product | client | manager
    pub by: Option<String>,
    /// return | refusal (default both)
    pub kind: Option<String>,
    /// Look-back in days (default 365).
    pub days: Option<i64>,
}

/// One group of the returns analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnGroupDto {
    pub key: Option<String>,
    pub name: Option<String>,
    pub returns: i64,
    pub quantity: String,
    pub amount: String,
}

impl From<ReturnGroup> for ReturnGroupDto {
    fn from(g: ReturnGroup) -> Self {
        Self {
            key: g.key,
            name: g.name,
            returns: g.returns,
            quantity: qty(g.quantity),
            amount: money(g.amount),
        }
    }
}

pub fn returns_by(raw: Option<&str>) -> Result<ReturnsBy, FieldError> {
    Ok(match raw.unwrap_or("reason") {
        "reason" | "" => ReturnsBy::Reason,
        "product" => ReturnsBy::Product,
        "client" => ReturnsBy::Client,
        "manager" => ReturnsBy::Manager,
        other => return Err(FieldError::new("by", "invalid_value").with("value", other)),
    })
}

#[utoipa::path(get, path = "/api/v1/returns/analysis", tag = "orders", params(AnalysisQuery),
    responses((status = 200, body = Vec<ReturnGroupDto>), (status = 422, body = crate::error::ErrorBody)))]
async fn returns_analysis(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AnalysisQuery>,
) -> Result<Json<Vec<ReturnGroupDto>>, ApiError> {
    let lang = caller.lang;
    let by = returns_by(q.by.as_deref()).map_err(|e| ApiError::field(lang, &e))?;
    let kind = q
        .kind
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(ReturnKind::parse)
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .returns_analysis(&caller.actor, by, kind, q.days.unwrap_or(365))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
