//! Commercial offers over the API: build on a deal, re-price a draft, ask for and decide
//! approval, send (by e-mail with the PDF), record the client's answer, make a new revision,
//! download the PDF; and our company's requisites printed on them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use prospekt_app::offers::{Approval as ApprovalRow, Offer as OfferRow, OfferLine as OfferLineRow};
use prospekt_app::offers::{CompanyProfile, OfferEmail, OfferInput, OfferLineInput, OfferView};
use prospekt_domain::FieldError;
use prospekt_domain::ids::{ApprovalId, DealId, OfferId};
use prospekt_domain::money::Money;
use prospekt_domain::pricing::{ApprovalReason, Discount, Quantity, Rounding, VatMode};
use prospekt_domain::vat::VatRate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::catalog::{date, discount};
use super::counterparties::{Ref, parse_id};
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_offer))
        .routes(routes!(get_offer, update_offer))
        .routes(routes!(request_approval))
        .routes(routes!(send_offer))
        .routes(routes!(decide_offer))
        .routes(routes!(revise_offer))
        .routes(routes!(offer_pdf))
        .routes(routes!(list_approvals))
        .routes(routes!(decide_approval))
        .routes(routes!(get_company, put_company))
}

/// An offer in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferSummary {
    pub id: uuid::Uuid,
    pub number: String,
    pub revision: i32,
    /// draft | sent | accepted | rejected | superseded (stored; `expired` is shown on the offer itself)
    pub status: String,
    /// none | required | pending | approved | rejected
    pub approval: String,
    pub total_with_vat: String,
    pub valid_until: NaiveDate,
    pub created_at: DateTime<Utc>,
}

impl From<OfferRow> for OfferSummary {
    fn from(r: OfferRow) -> Self {
        Self {
            id: r.id,
            number: r.number,
            revision: r.revision,
            status: r.status,
            approval: r.approval,
            total_with_vat: Money::from_kopecks(r.total_with_vat).to_string(),
            valid_until: r.valid_until,
            created_at: r.created_at,
        }
    }
}

/// A priced line.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferLineDto {
    pub line_no: i32,
    pub product_id: uuid::Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: String,
    /// Unit price from the client's price column, in the offer's VAT mode.
    pub list_price: String,
    /// The manager's own discount, percent.
    pub discount: String,
    pub promotion: Option<Ref>,
    pub promotion_discount: String,
    pub bonus_percent: String,
    pub unit_price: String,
    /// "22", "10", "0" or "none"
    pub vat_rate: String,
    pub amount_without_vat: String,
    pub vat_amount: String,
    pub amount_with_vat: String,
    pub discount_amount: String,
    pub bonus: String,
}

fn pct(bp: i32) -> String {
    Discount::from_basis_points(bp.max(0) as u32)
        .map(|d| d.to_string())
        .unwrap_or_default()
}

fn m(k: i64) -> String {
    Money::from_kopecks(k).to_string()
}

impl From<OfferLineRow> for OfferLineDto {
    fn from(l: OfferLineRow) -> Self {
        Self {
            line_no: l.line_no,
            product_id: l.product_id,
            sku: l.sku,
            name: l.name,
            unit: l.unit,
            quantity: Quantity::from_thousandths(l.quantity)
                .map(|q| q.to_string())
                .unwrap_or_default(),
            list_price: m(l.list_price),
            discount: pct(l.manual_discount),
            promotion: l.promotion_id.map(|id| Ref {
                id,
                name: l.promotion_name.unwrap_or_default(),
            }),
            promotion_discount: pct(l.promotion_discount),
            bonus_percent: pct(l.bonus_rate),
            unit_price: m(l.unit_price),
            vat_rate: l.vat_rate,
            amount_without_vat: m(l.amount_without_vat),
            vat_amount: m(l.vat_amount),
            amount_with_vat: m(l.amount_with_vat),
            discount_amount: m(l.discount_amount),
            bonus: m(l.bonus),
        }
    }
}

/// Why the prices need approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalReasonDto {
    /// over_limit | below_minimum
    pub reason: String,
    /// 1-based line number.
    pub line: usize,
    pub discount: Option<String>,
    pub limit: Option<String>,
    pub price: Option<String>,
    pub minimum: Option<String>,
}

impl From<&ApprovalReason> for ApprovalReasonDto {
    fn from(r: &ApprovalReason) -> Self {
        match r {
            ApprovalReason::OverLimit { line, discount, limit } => Self {
                reason: "over_limit".into(),
                line: line + 1,
                discount: Some(discount.to_string()),
                limit: Some(limit.to_string()),
                price: None,
                minimum: None,
            },
            ApprovalReason::BelowMinimum { line, price, minimum } => Self {
                reason: "below_minimum".into(),
                line: line + 1,
                discount: None,
                limit: None,
                price: Some(price.to_string()),
                minimum: Some(minimum.to_string()),
            },
        }
    }
}

/// A request for the head's permission.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalDto {
    pub id: uuid::Uuid,
    /// offer
    pub subject_kind: String,
    pub subject_id: uuid::Uuid,
    pub counterparty: Ref,
    pub requested_by: Option<String>,
    pub reason: String,
    /// The figures at the time of asking (offer number, total, reasons).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// pending | approved | rejected | withdrawn
    pub status: String,
    pub decided_by: Option<String>,
    pub comment: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<ApprovalRow> for ApprovalDto {
    fn from(a: ApprovalRow) -> Self {
        Self {
            id: a.id,
            subject_kind: a.subject_kind,
            subject_id: a.subject_id,
            counterparty: Ref {
                id: a.counterparty_id,
                name: a.counterparty_name,
            },
            requested_by: a.requested_by_name,
            reason: a.reason,
            details: serde_json::from_str(&a.details).unwrap_or(serde_json::Value::Null),
            status: a.status,
            decided_by: a.decided_by_name,
            comment: a.comment,
            version: a.version,
            created_at: a.created_at,
            decided_at: a.decided_at,
        }
    }
}

/// The VAT of one rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct VatLineDto {
    pub rate: String,
    pub base_without_vat: String,
    pub vat: String,
}

/// A commercial offer with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferDto {
    pub id: uuid::Uuid,
    pub number: String,
    pub revision: i32,
    pub deal: Ref,
    pub counterparty: Ref,
    pub owner: Option<Ref>,
    /// draft | sent | accepted | rejected | expired | superseded
    pub status: String,
    /// none | required | pending | approved | rejected
    pub approval: String,
    pub approval_reasons: Vec<ApprovalReasonDto>,
    pub price_column_id: Option<uuid::Uuid>,
    /// included | on_top
    pub vat_mode: String,
    /// per_line | per_document
    pub rounding: String,
    pub priced_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub intro: String,
    pub lines: Vec<OfferLineDto>,
    pub vat: Vec<VatLineDto>,
    pub total_without_vat: String,
    pub total_vat: String,
    pub total_with_vat: String,
    pub total_discount: String,
    pub total_bonus: String,
    /// The order draft made when the client accepted.
    pub order_id: Option<uuid::Uuid>,
    pub approvals: Vec<ApprovalDto>,
    pub revisions: Vec<RevisionDto>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionDto {
    pub id: uuid::Uuid,
    pub revision: i32,
    pub status: String,
}

impl From<OfferView> for OfferDto {
    fn from(v: OfferView) -> Self {
        let o = v.offer;
        Self {
            id: o.id,
            number: o.number,
            revision: o.revision,
            deal: Ref {
                id: o.deal_id,
                name: o.deal_title,
            },
            counterparty: Ref {
                id: o.counterparty_id,
                name: o.counterparty_name,
            },
            owner: o.owner_id.map(|id| Ref {
                id,
                name: o.owner_name.unwrap_or_default(),
            }),
            status: v.status.as_str().to_owned(),
            approval: v.approval.as_str().to_owned(),
            approval_reasons: v.reasons.iter().map(Into::into).collect(),
            price_column_id: o.price_column_id,
            vat_mode: o.vat_mode,
            rounding: o.rounding,
            priced_on: o.priced_on,
            valid_until: o.valid_until,
            intro: o.intro,
            lines: v.lines.into_iter().map(Into::into).collect(),
            vat: v
                .vat_breakdown
                .into_iter()
                .map(|(rate, base, vat)| VatLineDto {
                    rate,
                    base_without_vat: m(base),
                    vat: m(vat),
                })
                .collect(),
            total_without_vat: m(o.total_without_vat),
            total_vat: m(o.total_vat),
            total_with_vat: m(o.total_with_vat),
            total_discount: m(o.total_discount),
            total_bonus: m(o.total_bonus),
            order_id: o.order_id,
            approvals: v.approvals.into_iter().map(Into::into).collect(),
            revisions: v
                .revisions
                .into_iter()
                .map(|(id, revision, status)| RevisionDto { id, revision, status })
                .collect(),
            version: o.version,
            created_at: o.created_at,
            updated_at: o.updated_at,
            sent_at: o.sent_at,
            decided_at: o.decided_at,
        }
    }
}

/// A line as sent in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OfferLineBody {
    pub product_id: String,
    /// Decimal string, > 0, up to 3 decimals.
    pub quantity: String,
    /// The manager's own discount, percent (default 0).
    pub discount: Option<String>,
}

/// Lines and terms of an offer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OfferBody {
    /// Update only: the version read.
    pub version: Option<i64>,
    pub lines: Vec<OfferLineBody>,
    /// Default: 14 days from today.
    pub valid_until: Option<String>,
    pub intro: Option<String>,
    /// included (default) | on_top
    pub vat_mode: Option<String>,
    /// per_line (default) | per_document
    pub rounding: Option<String>,
    /// Another column than the client's: heads and directors only.
    pub price_column_id: Option<String>,
}

impl OfferBody {
    fn input(&self) -> Result<OfferInput, FieldError> {
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let at = |e: FieldError| e.with("line", (i + 1).to_string());
                Ok(OfferLineInput {
                    product: parse_id("product_id", &l.product_id).map_err(at)?,
                    quantity: Quantity::parse(&l.quantity).map_err(at)?,
                    discount: match l.discount.as_deref().filter(|s| !s.trim().is_empty()) {
                        Some(d) => discount("discount", d).map_err(at)?,
                        None => Discount::ZERO,
                    },
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok(OfferInput {
            lines,
            valid_until: self
                .valid_until
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| date("valid_until", s))
                .transpose()?,
            intro: self.intro.clone(),
            vat_mode: self.vat_mode.as_deref().map(VatMode::parse).transpose()?,
            rounding: self.rounding.as_deref().map(Rounding::parse).transpose()?,
            price_column: self
                .price_column_id
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_id("price_column_id", s))
                .transpose()?,
        })
    }
}

/// Build an offer on a deal, priced at the client's price column with promotions applied.
#[utoipa::path(post, path = "/api/v1/deals/{id}/offers", tag = "offers", params(("id" = uuid::Uuid, Path)),
    request_body = OfferBody,
    responses((status = 201, body = OfferDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OfferBody>,
) -> Result<(StatusCode, Json<OfferDto>), ApiError> {
    let lang = caller.lang;
    let deal: DealId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let input = b.input().map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .create_offer(&caller.actor, deal, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/api/v1/offers/{id}", tag = "offers", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = OfferDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OfferDto>, ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .offer(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

/// Re-price a draft with new lines or terms (a pending approval request is withdrawn).
#[utoipa::path(put, path = "/api/v1/offers/{id}", tag = "offers", params(("id" = uuid::Uuid, Path)),
    request_body = OfferBody,
    responses((status = 200, body = OfferDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn update_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OfferBody>,
) -> Result<Json<OfferDto>, ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let version = b
        .version
        .ok_or_else(|| ApiError::field(lang, &FieldError::new("version", "required")))?;
    let input = b.input().map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .update_offer(&caller.actor, id, version, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApprovalRequestBody {
    pub version: i64,
    /// Why the client should get these prices.
    pub reason: String,
}

/// Ask the head to allow a discount over the limit or a price below the minimum.
#[utoipa::path(post, path = "/api/v1/offers/{id}/approval", tag = "offers", params(("id" = uuid::Uuid, Path)),
    request_body = ApprovalRequestBody,
    responses((status = 200, body = OfferDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn request_approval(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ApprovalRequestBody>,
) -> Result<Json<OfferDto>, ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .request_approval(&caller.actor, id, b.version, &b.reason)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailBody {
    pub to: Vec<String>,
    /// Default from the template.
    pub subject: Option<String>,
    pub body: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendBody {
    pub version: i64,
    /// Send by e-mail with the PDF attached; without it the offer is only marked sent.
    pub email: Option<EmailBody>,
}

/// Send a draft to the client (refused while approval is required or pending).
#[utoipa::path(post, path = "/api/v1/offers/{id}/send", tag = "offers", params(("id" = uuid::Uuid, Path)),
    request_body = SendBody,
    responses((status = 200, body = OfferDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
              (status = 502, body = crate::error::ErrorBody)))]
async fn send_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SendBody>,
) -> Result<Json<OfferDto>, ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let email = b.email.map(|e| OfferEmail {
        to: e.to,
        subject: e.subject,
        body: e.body,
    });
    let view = state
        .app
        .send_offer(&caller.actor, id, b.version, email)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    pub version: i64,
    /// true: the client accepted (an order draft is made); false: rejected.
    pub accepted: bool,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionDto {
    pub offer: OfferDto,
    /// The order draft made from an accepted offer.
    pub order_id: Option<uuid::Uuid>,
}

/// Record the client's answer to a sent offer.
#[utoipa::path(post, path = "/api/v1/offers/{id}/decision", tag = "offers", params(("id" = uuid::Uuid, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = DecisionDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn decide_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<Json<DecisionDto>, ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (view, order) = state
        .app
        .decide_offer(&caller.actor, id, b.version, b.accepted, b.note.as_deref())
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(DecisionDto {
        offer: view.into(),
        order_id: order.map(|o| o.as_uuid()),
    }))
}

/// Make the next revision of a sent, rejected or expired offer (re-priced today).
#[utoipa::path(post, path = "/api/v1/offers/{id}/revisions", tag = "offers", params(("id" = uuid::Uuid, Path)),
    responses((status = 201, body = OfferDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn revise_offer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<OfferDto>), ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .revise_offer(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The offer as a PDF document.
#[utoipa::path(get, path = "/api/v1/offers/{id}/pdf", tag = "offers", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 404, body = crate::error::ErrorBody)))]
async fn offer_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let id: OfferId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (file, bytes) = state
        .app
        .offer_pdf(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(pdf_response(&file, bytes))
}

/// A PDF download with a UTF-8 file name (RFC 6266).
pub fn pdf_response(file: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("inline; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Approval requests waiting for the caller (heads: the department; the commercial director:
/// all), or the caller's own pending requests.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "offers", responses((status = 200, body = [ApprovalDto])))]
async fn list_approvals(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<ApprovalDto>>, ApiError> {
    let rows = state
        .app
        .pending_approvals(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ApprovalDecisionBody {
    pub version: i64,
    pub approve: bool,
    /// Required to reject.
    pub comment: Option<String>,
}

/// Approve or reject a request (the head of the client's department or the commercial director).
#[utoipa::path(post, path = "/api/v1/approvals/{id}/decision", tag = "offers", params(("id" = uuid::Uuid, Path)),
    request_body = ApprovalDecisionBody,
    responses((status = 200, body = ApprovalDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn decide_approval(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ApprovalDecisionBody>,
) -> Result<Json<ApprovalDto>, ApiError> {
    let lang = caller.lang;
    let id: ApprovalId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .decide_approval(&caller.actor, id, b.version, b.approve, b.comment.as_deref())
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// Our company's requisites, printed on offers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CompanyDto {
    pub name: String,
    #[serde(default)]
    pub inn: String,
    #[serde(default)]
    pub kpp: String,
    #[serde(default)]
    pub ogrn: String,
    #[serde(default)]
    pub address: String,
    /// Bank details in one line.
    #[serde(default)]
    pub bank: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    /// The version read (0 when never set).
    #[serde(default)]
    pub version: i64,
}

fn company_dto(p: CompanyProfile, version: i64) -> CompanyDto {
    CompanyDto {
        name: p.name,
        inn: p.inn,
        kpp: p.kpp,
        ogrn: p.ogrn,
        address: p.address,
        bank: p.bank,
        phone: p.phone,
        email: p.email,
        version,
    }
}

#[utoipa::path(get, path = "/api/v1/settings/company", tag = "offers", responses((status = 200, body = CompanyDto)))]
async fn get_company(State(state): State<AppState>, caller: Caller) -> Result<Json<CompanyDto>, ApiError> {
    let (p, v) = state
        .app
        .company_profile()
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(company_dto(p, v)))
}

/// Set our requisites (administrator, commercial director).
#[utoipa::path(put, path = "/api/v1/settings/company", tag = "offers", request_body = CompanyDto,
    responses((status = 200, body = CompanyDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn put_company(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CompanyDto>,
) -> Result<Json<CompanyDto>, ApiError> {
    let profile = CompanyProfile {
        name: b.name,
        inn: b.inn,
        kpp: b.kpp,
        ogrn: b.ogrn,
        address: b.address,
        bank: b.bank,
        phone: b.phone,
        email: b.email,
    };
    let (p, v) = state
        .app
        .set_company_profile(&caller.actor, profile, b.version)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(company_dto(p, v)))
}

/// A VAT rate's label in the caller's language (for pages).
pub fn vat_label(code: &str, ru: bool) -> String {
    match VatRate::parse_code(code) {
        Ok(r) if ru => r.label_ru(),
        Ok(r) => r.label_en(),
        Err(_) => code.to_owned(),
    }
}
