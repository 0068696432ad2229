//! Receivables over the API: invoices and payments, allocation, a client's balance, the aging
//! report, interest and penalties, write-offs, collection cases, reconciliation acts and claims
//! as PDF, the key-rate table and the working-day calendar; bank statements and the manual
//! matching queue.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use prospekt_app::bank::ImportReport;
use prospekt_app::receivables::{
    AgingReport, Balance, CaseView, CreditTermsView, InvoiceInterest, PaymentInput, PaymentView,
};
use prospekt_domain::FieldError;
use prospekt_domain::ids::{
    CollectionCaseId, CounterpartyId, InvoiceId, PaymentId, StatementDocId, StatementId, UserId,
};
use prospekt_domain::interest::RatePeriod;
use prospekt_domain::money::Money;
use prospekt_domain::order::CollectionStage;
use prospekt_domain::receivables::{CreditTermsInput, bp_as_percent, ppm_as_percent};
use prospekt_storage::repo::bank::{DocRow, StatementRow};
use prospekt_storage::repo::collections::{CaseRow, WriteOffRow};
use prospekt_storage::repo::ledger::{AllocationRow, PaymentRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::catalog::date;
use super::counterparties::parse_id;
use super::json::ApiJson;
use super::offers::pdf_response;
use super::orders::InvoiceDto;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(invoice_interest))
        .routes(routes!(request_write_off))
        .routes(routes!(create_payment))
        .routes(routes!(get_payment))
        .routes(routes!(allocate_payment))
        .routes(routes!(client_balance))
        .routes(routes!(get_credit_terms, put_credit_terms))
        .routes(routes!(client_payments))
        .routes(routes!(aging))
        .routes(routes!(reconciliation))
        .routes(routes!(open_case, client_cases))
        .routes(routes!(list_cases))
        .routes(routes!(get_case))
        .routes(routes!(advance_case))
        .routes(routes!(claim_pdf))
        .routes(routes!(get_key_rates, put_key_rates))
        .routes(routes!(put_calendar))
        .routes(routes!(import_statement, list_statements))
        .routes(routes!(get_statement))
        .routes(routes!(matching_queue))
        .routes(routes!(resolve_doc))
}

fn money_field(field: &'static str, raw: &str) -> Result<Money, FieldError> {
    Money::parse(raw).map_err(|mut e| {
        e.field = field;
        e
    })
}

fn opt_date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    raw.filter(|s| !s.trim().is_empty()).map(|s| date(field, s)).transpose()
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InvoiceQuery {
    pub counterparty_id: Option<String>,
    /// true (default): only invoices with something left to pay.
    pub open: Option<bool>,
    pub limit: Option<i64>,
}

/// Invoices: a client's (open or all), or every open one in reach, most overdue first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "receivables", params(InvoiceQuery),
    responses((status = 200, body = Vec<InvoiceDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn list_invoices(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<InvoiceQuery>,
) -> Result<Json<Vec<InvoiceDto>>, ApiError> {
    let lang = caller.lang;
    let client = q
        .counterparty_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id::<CounterpartyId>("counterparty_id", s))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let open = q.open.unwrap_or(true);
    let limit = q.limit.unwrap_or(200);
    let rows = match (client, open) {
        (Some(c), open) => state.app.client_invoices(&caller.actor, c, open, limit).await,
        (None, _) => state.app.open_invoices(&caller.actor, None, limit).await,
    }
    .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A payment's allocation to an invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationDto {
    pub payment_id: uuid::Uuid,
    pub invoice_id: uuid::Uuid,
    pub invoice_number: String,
    pub paid_on: NaiveDate,
    pub doc_number: String,
    pub amount: String,
}

impl From<AllocationRow> for AllocationDto {
    fn from(a: AllocationRow) -> Self {
        Self {
            payment_id: a.payment_id,
            invoice_id: a.invoice_id,
            invoice_number: a.invoice_number,
            paid_on: a.paid_on,
            doc_number: a.doc_number,
            amount: Money::from_kopecks(a.amount).to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceDetailDto {
    #[serde(flatten)]
    pub invoice: InvoiceDto,
    pub payments: Vec<AllocationDto>,
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = InvoiceDetailDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InvoiceDetailDto>, ApiError> {
    let lang = caller.lang;
    let id: InvoiceId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let inv = state
        .app
        .invoice(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    let payments = state
        .app
        .invoice_payments(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(InvoiceDetailDto {
        invoice: inv.into(),
        payments: payments.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UntilQuery {
    /// Last day of accrual, inclusive (default today).
    pub until: Option<String>,
}

/// Interest on an invoice under art. 395 of the Civil Code by key-rate periods (table of
/// periods included) and, when the client's contract sets one, the contractual penalty.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/interest", tag = "receivables",
    params(("id" = uuid::Uuid, Path), UntilQuery),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn invoice_interest(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<UntilQuery>,
) -> Result<Json<InvoiceInterest>, ApiError> {
    let lang = caller.lang;
    let id: InvoiceId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let until = opt_date("until", q.until.as_deref()).map_err(|e| ApiError::field(lang, &e))?;
    let calc = state
        .app
        .invoice_interest(&caller.actor, id, until)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(calc))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct WriteOffBody {
    pub amount: String,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WriteOffDto {
    pub id: uuid::Uuid,
    pub invoice_id: uuid::Uuid,
    pub invoice_number: String,
    pub amount: String,
    pub reason: String,
    /// pending | approved | rejected
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<WriteOffRow> for WriteOffDto {
    fn from(w: WriteOffRow) -> Self {
        Self {
            id: w.id,
            invoice_id: w.invoice_id,
            invoice_number: w.invoice_number,
            amount: Money::from_kopecks(w.amount).to_string(),
            reason: w.reason,
            status: w.status,
            created_at: w.created_at,
        }
    }
}

/// Ask to write off bad debt; the head, the credit controller or the director approves it
/// (`/api/v1/approvals/{id}/decision`).
#[utoipa::path(post, path = "/api/v1/invoices/{id}/write-offs", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    request_body = WriteOffBody,
    responses((status = 201, body = WriteOffDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn request_write_off(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<WriteOffBody>,
) -> Result<(StatusCode, Json<WriteOffDto>), ApiError> {
    let lang = caller.lang;
    let id: InvoiceId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let amount = money_field("amount", &b.amount).map_err(|e| ApiError::field(lang, &e))?;
    let w = state
        .app
        .request_write_off(&caller.actor, id, amount, &b.reason)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AllocationBody {
    pub invoice_id: String,
    pub amount: String,
}

fn allocations_of(list: Option<&[AllocationBody]>) -> Result<Option<Vec<(InvoiceId, Money)>>, FieldError> {
    list.map(|l| {
        l.iter()
            .enumerate()
            .map(|(i, a)| {
                let at = |e: FieldError| e.with("index", i.to_string());
                Ok((
                    parse_id("invoice_id", &a.invoice_id).map_err(at)?,
                    money_field("amount", &a.amount).map_err(at)?,
                ))
            })
            .collect()
    })
    .transpose()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PaymentBody {
    pub counterparty_id: String,
    /// The day the money was credited to our account.
    pub paid_on: String,
    pub amount: String,
    pub doc_number: String,
    #[serde(default)]
    pub purpose: String,
    /// Explicit allocation; absent: oldest due first. The rest stays as an advance.
    pub allocations: Option<Vec<AllocationBody>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    pub id: uuid::Uuid,
    pub counterparty_id: uuid::Uuid,
    pub counterparty_name: String,
    pub paid_on: NaiveDate,
    pub amount: String,
    pub allocated: String,
    /// Not allocated: the client's credit balance.
    pub unallocated: String,
    pub doc_number: String,
    pub purpose: String,
    /// manual | bank
    pub source: String,
    pub version: i64,
    pub allocations: Vec<AllocationDto>,
}

fn payment_dto(p: PaymentRow, allocations: Vec<AllocationRow>) -> PaymentDto {
    PaymentDto {
        id: p.id,
        counterparty_id: p.counterparty_id,
        counterparty_name: p.counterparty_name,
        paid_on: p.paid_on,
        amount: Money::from_kopecks(p.amount).to_string(),
        allocated: Money::from_kopecks(p.allocated).to_string(),
        unallocated: Money::from_kopecks(p.amount - p.allocated).to_string(),
        doc_number: p.doc_number,
        purpose: p.purpose,
        source: p.source,
        version: p.version,
        allocations: allocations.into_iter().map(Into::into).collect(),
    }
}

impl From<PaymentView> for PaymentDto {
    fn from(v: PaymentView) -> Self {
        payment_dto(v.payment, v.allocations)
    }
}

/// Record money received and allocate it.
#[utoipa::path(post, path = "/api/v1/payments", tag = "receivables", request_body = PaymentBody,
    responses((status = 201, body = PaymentDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_payment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PaymentBody>,
) -> Result<(StatusCode, Json<PaymentDto>), ApiError> {
    let lang = caller.lang;
    let input = (|| -> Result<PaymentInput, FieldError> {
        Ok(PaymentInput {
            counterparty: parse_id("counterparty_id", &b.counterparty_id)?,
            paid_on: date("paid_on", &b.paid_on)?,
            amount: money_field("amount", &b.amount)?,
            doc_number: b.doc_number.clone(),
            purpose: b.purpose.clone(),
            allocations: allocations_of(b.allocations.as_deref())?,
        })
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .record_payment(&caller.actor, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PaymentDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_payment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PaymentDto>, ApiError> {
    let lang = caller.lang;
    let id: PaymentId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .payment(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AllocateBody {
    pub version: i64,
    /// Absent: oldest due first.
    pub allocations: Option<Vec<AllocationBody>>,
}

/// Allocate what is left of a payment.
#[utoipa::path(post, path = "/api/v1/payments/{id}/allocations", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    request_body = AllocateBody,
    responses((status = 200, body = PaymentDto), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn allocate_payment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AllocateBody>,
) -> Result<Json<PaymentDto>, ApiError> {
    let lang = caller.lang;
    let id: PaymentId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let allocations = allocations_of(b.allocations.as_deref()).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .allocate_payment(&caller.actor, id, b.version, allocations)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

/// A client's balance: debt, overdue part and days, advance, limit and use, orders in progress.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/balance", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
async fn client_balance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Balance>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let b = state
        .app
        .balance(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(b))
}

/// A client's credit terms. Percents as text: `"0.1"` is 0.1 % of the unpaid amount a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditTermsDto {
    pub counterparty_id: uuid::Uuid,
    /// The client record's version: an edit names it.
    pub version: i64,
    /// 0.00: no limit set (then only overdue debt holds an order).
    pub credit_limit: String,
    pub payment_terms_days: u16,
    /// calendar | banking
    pub deferral_kind: String,
    pub penalty_percent_per_day: Option<String>,
    pub penalty_cap_percent: Option<String>,
    pub claim_term_days: u16,
    /// Whether the caller may change them (credit controller, head, commercial director).
    pub editable: bool,
}

impl From<CreditTermsView> for CreditTermsDto {
    fn from(v: CreditTermsView) -> Self {
        let t = v.terms;
        Self {
            counterparty_id: v.counterparty_id,
            version: v.version,
            credit_limit: t.credit_limit.to_string(),
            payment_terms_days: t.payment_terms_days,
            deferral_kind: t.deferral.as_str().to_owned(),
            penalty_percent_per_day: t.penalty.map(|p| ppm_as_percent(p.daily_ppm)),
            penalty_cap_percent: t.penalty.and_then(|p| p.cap_bp).map(bp_as_percent),
            claim_term_days: t.claim_term_days,
            editable: v.editable,
        }
    }
}

/// New credit terms, all of them (a PUT replaces the set).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreditTermsBody {
    pub version: i64,
    pub credit_limit: String,
    pub payment_terms_days: i64,
    pub deferral_kind: String,
    /// Absent or empty: no contract penalty.
    #[serde(default)]
    pub penalty_percent_per_day: Option<String>,
    /// Absent or empty: no cap.
    #[serde(default)]
    pub penalty_cap_percent: Option<String>,
    pub claim_term_days: i64,
}

#[utoipa::path(get, path = "/api/v1/counterparties/{id}/credit-terms", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CreditTermsDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_credit_terms(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CreditTermsDto>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let v = state
        .app
        .credit_terms(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(v.into()))
}

/// Sets a client's credit limit, deferral, contract penalty and claim term (credit controller,
/// head of department, commercial director).
#[utoipa::path(put, path = "/api/v1/counterparties/{id}/credit-terms", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    request_body = CreditTermsBody,
    responses((status = 200, body = CreditTermsDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn put_credit_terms(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CreditTermsBody>,
) -> Result<Json<CreditTermsDto>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let input = CreditTermsInput {
        credit_limit: &b.credit_limit,
        payment_terms_days: b.payment_terms_days,
        deferral_kind: &b.deferral_kind,
        penalty_percent_per_day: b.penalty_percent_per_day.as_deref().unwrap_or(""),
        penalty_cap_percent: b.penalty_cap_percent.as_deref().unwrap_or(""),
        claim_term_days: b.claim_term_days,
    };
    let v = state
        .app
        .set_credit_terms(&caller.actor, id, b.version, &input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(v.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LimitQuery {
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/counterparties/{id}/payments", tag = "receivables",
    params(("id" = uuid::Uuid, Path), LimitQuery),
    responses((status = 200, body = Vec<PaymentDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn client_payments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Vec<PaymentDto>>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .client_payments(&caller.actor, id, q.limit.unwrap_or(100))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(|p| payment_dto(p, Vec::new())).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AgingQuery {
    /// One manager's clients.
    pub manager_id: Option<String>,
    /// How many clients (most overdue first); default 50.
    pub clients: Option<i64>,
}

/// Aging of open invoices (not due, 1–30, 31–60, 61–90, over 90 days) for the company, by
/// department, by manager and for the most overdue clients, with DSO.
#[utoipa::path(get, path = "/api/v1/receivables/aging", tag = "receivables", params(AgingQuery),
    responses((status = 200, body = Object), (status = 422, body = crate::error::ErrorBody)))]
async fn aging(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AgingQuery>,
) -> Result<Json<AgingReport>, ApiError> {
    let lang = caller.lang;
    let manager = q
        .manager_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id::<UserId>("manager_id", s))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let report = state
        .app
        .aging_report(&caller.actor, manager, q.clients.unwrap_or(50))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodQuery {
    pub from: String,
    pub to: String,
    /// pdf (default) | json
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerRowDto {
    pub date: NaiveDate,
    /// invoice | payment | return | act | write_off
    pub kind: String,
    pub number: String,
    pub debit: String,
    pub credit: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconciliationDto {
    pub counterparty_id: uuid::Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub opening: String,
    pub rows: Vec<LedgerRowDto>,
    pub debit: String,
    pub credit: String,
    /// Positive: the client owes us.
    pub closing: String,
}

/// The reconciliation act (акт сверки) of a client for a period: PDF, or its figures as JSON.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/reconciliation", tag = "receivables",
    params(("id" = uuid::Uuid, Path), PeriodQuery),
    responses((status = 200, description = "application/pdf or JSON"), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn reconciliation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, ApiError> {
    use axum::response::IntoResponse;
    let lang = caller.lang;
    let (id, from, to) = (|| -> Result<(CounterpartyId, NaiveDate, NaiveDate), FieldError> {
        Ok((parse_id("id", &id)?, date("from", &q.from)?, date("to", &q.to)?))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    if q.format.as_deref() == Some("json") {
        let r = state
            .app
            .reconciliation(&caller.actor, id, from, to)
            .await
            .map_err(|e| ApiError::from_app(lang, e))?;
        let money = |m: Money| m.to_string();
        return Ok(Json(ReconciliationDto {
            counterparty_id: r.counterparty_id,
            from: r.from,
            to: r.to,
            opening: money(r.opening),
            rows: r
                .rows
                .into_iter()
                .map(|e| LedgerRowDto {
                    date: e.on_date,
                    kind: e.kind,
                    number: e.number,
                    debit: Money::from_kopecks(e.debit).to_string(),
                    credit: Money::from_kopecks(e.credit).to_string(),
                })
                .collect(),
            debit: money(r.debit),
            credit: money(r.credit),
            closing: money(r.closing),
        })
        .into_response());
    }
    let (file, bytes) = state
        .app
        .reconciliation_pdf(&caller.actor, id, from, to)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(pdf_response(&file, bytes))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDto {
    pub id: uuid::Uuid,
    pub counterparty_id: uuid::Uuid,
    pub counterparty_name: String,
    /// reminder | letter | claim | court | closed
    pub stage: String,
    pub assignee_id: Option<uuid::Uuid>,
    pub assignee_name: Option<String>,
    /// Overdue debt when the case was opened.
    pub debt: String,
    pub claim_number: Option<String>,
    pub claim_sent_on: Option<NaiveDate>,
    pub claim_term_days: Option<i32>,
    /// The first day a suit may be filed (after the pre-trial term).
    pub suit_from: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Steps taken: stage, note, task id, who, when.
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<serde_json::Value>,
}

fn case_dto(c: CaseRow, steps: Vec<serde_json::Value>) -> CaseDto {
    CaseDto {
        id: c.id,
        counterparty_id: c.counterparty_id,
        counterparty_name: c.counterparty_name,
        stage: c.stage,
        assignee_id: c.assignee_id,
        assignee_name: c.assignee_name,
        debt: Money::from_kopecks(c.debt).to_string(),
        claim_number: c.claim_number,
        claim_sent_on: c.claim_sent_on,
        claim_term_days: c.claim_term_days,
        suit_from: c.suit_from,
        outcome: c.outcome,
        version: c.version,
        created_at: c.created_at,
        closed_at: c.closed_at,
        steps,
    }
}

impl From<CaseView> for CaseDto {
    fn from(v: CaseView) -> Self {
        let steps = v
            .steps
            .into_iter()
            .map(|s| {
                serde_json::json!({ "stage": s.stage, "note": s.note, "task_id": s.activity_id,
                                    "by": s.created_by_name, "at": s.created_at })
            })
            .collect();
        case_dto(v.case, steps)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenCaseBody {
    /// Who works the case (default: the client's manager).
    pub assignee_id: Option<String>,
}

/// Open a collection case (starts with a reminder task).
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/collections", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    request_body = OpenCaseBody,
    responses((status = 201, body = CaseDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn open_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<OpenCaseBody>,
) -> Result<(StatusCode, Json<CaseDto>), ApiError> {
    let lang = caller.lang;
    let (id, assignee) = (|| -> Result<(CounterpartyId, Option<UserId>), FieldError> {
        Ok((
            parse_id("id", &id)?,
            b.assignee_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| parse_id("assignee_id", s))
                .transpose()?,
        ))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .open_case(&caller.actor, id, assignee)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/api/v1/counterparties/{id}/collections", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<CaseDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn client_cases(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<CaseDto>>, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .client_cases(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(|c| case_dto(c, Vec::new())).collect()))
}

/// Open collection cases in reach, oldest first.
#[utoipa::path(get, path = "/api/v1/collections", tag = "receivables",
    responses((status = 200, body = Vec<CaseDto>)))]
async fn list_cases(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<CaseDto>>, ApiError> {
    let lang = caller.lang;
    let rows = state
        .app
        .open_cases(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(|c| case_dto(c, Vec::new())).collect()))
}

#[utoipa::path(get, path = "/api/v1/collections/{id}", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = CaseDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseDto>, ApiError> {
    let lang = caller.lang;
    let id: CollectionCaseId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .case(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StageBody {
    pub version: i64,
    /// letter | claim | court | closed (one step on, or closed)
    pub stage: String,
    /// Required to close.
    pub note: Option<String>,
    /// Claim: its number and the day it was sent.
    pub claim_number: Option<String>,
    pub claim_sent_on: Option<String>,
}

/// Move a collection case one step on; each step opens a task.
#[utoipa::path(post, path = "/api/v1/collections/{id}/stage", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    request_body = StageBody,
    responses((status = 200, body = CaseDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn advance_case(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StageBody>,
) -> Result<Json<CaseDto>, ApiError> {
    let lang = caller.lang;
    let (id, stage, sent) = (|| -> Result<(CollectionCaseId, CollectionStage, Option<NaiveDate>), FieldError> {
        Ok((
            parse_id("id", &id)?,
            CollectionStage::parse(&b.stage)?,
            opt_date("claim_sent_on", b.claim_sent_on.as_deref())?,
        ))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .advance_case(
            &caller.actor,
            id,
            b.version,
            stage,
            b.note.as_deref(),
            b.claim_number.as_deref(),
            sent,
        )
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

/// The claim (претензия) of a case as PDF: overdue invoices, interest or penalty to today.
#[utoipa::path(get, path = "/api/v1/collections/{id}/claim", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "application/pdf"), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn claim_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let id: CollectionCaseId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (file, bytes) = state
        .app
        .claim_pdf(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(pdf_response(&file, bytes))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyRateDto {
    pub effective_from: NaiveDate,
    /// Percent per annum ("16.5").
    pub rate: String,
}

fn rate_dto(r: &RatePeriod) -> KeyRateDto {
    KeyRateDto {
        effective_from: r.from,
        rate: format!("{}.{:02}", r.rate_bp / 100, r.rate_bp % 100),
    }
}

/// The Bank of Russia key rate by effective date, used for art. 395 interest.
#[utoipa::path(get, path = "/api/v1/key-rates", tag = "receivables", responses((status = 200, body = Vec<KeyRateDto>)))]
async fn get_key_rates(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<KeyRateDto>>, ApiError> {
    let lang = caller.lang;
    let rows = state.app.key_rates().await.map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.iter().map(rate_dto).collect()))
}

/// Replace the key-rate table (credit controller, administrator).
#[utoipa::path(put, path = "/api/v1/key-rates", tag = "receivables", request_body = Vec<KeyRateDto>,
    responses((status = 200, body = Vec<KeyRateDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn put_key_rates(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<Vec<KeyRateDto>>,
) -> Result<Json<Vec<KeyRateDto>>, ApiError> {
    let lang = caller.lang;
    let rows = b
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let d = rust_decimal::Decimal::from_str_exact(r.rate.trim().replace(',', ".").as_str())
                .map_err(|_| FieldError::new("rate", "invalid_number").with("index", i.to_string()))?;
            let bp = (d * rust_decimal::Decimal::from(100)).trunc();
            let bp: u32 = bp
                .to_string()
                .parse()
                .map_err(|_| FieldError::new("rate", "rate_out_of_range").with("index", i.to_string()))?;
            Ok(RatePeriod {
                from: r.effective_from,
                rate_bp: bp,
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()
        .map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .set_key_rates(&caller.actor, rows)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.iter().map(rate_dto).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub working: bool,
}

/// Set days of the working-day calendar (holidays, transferred days off, working Saturdays).
#[utoipa::path(put, path = "/api/v1/work-calendar", tag = "receivables", request_body = Vec<CalendarDay>,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody)))]
async fn put_calendar(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<Vec<CalendarDay>>,
) -> Result<StatusCode, ApiError> {
    let lang = caller.lang;
    state
        .app
        .set_calendar_days(&caller.actor, b.into_iter().map(|d| (d.day, d.working)).collect())
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(StatusCode::NO_CONTENT)
}

// --- bank statements ------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub statement_id: uuid::Uuid,
    pub documents: usize,
    pub new_documents: usize,
    pub duplicates: usize,
    pub matched: usize,
    pub queued: usize,
    pub outgoing: usize,
    pub received: String,
    pub allocated: String,
}

impl From<ImportReport> for ImportReportDto {
    fn from(r: ImportReport) -> Self {
        Self {
            statement_id: r.statement_id,
            documents: r.documents,
            new_documents: r.new_documents,
            duplicates: r.duplicates,
            matched: r.matched,
            queued: r.queued,
            outgoing: r.outgoing,
            received: r.received.to_string(),
            allocated: r.allocated.to_string(),
        }
    }
}

/// Reads the `file` part of a multipart upload: (file name, bytes).
pub async fn read_file_part(mut form: Multipart) -> Result<(String, Vec<u8>), FieldError> {
    while let Some(field) = form.next_field().await.map_err(|e| {
        FieldError::new("file", "file_malformed")
            .with("line", "0")
            .with("detail", e.body_text())
    })? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("statement.txt").to_owned();
            let data = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    FieldError::new("body", "too_large").with("max_mib", (crate::IMPORT_LIMIT >> 20).to_string())
                } else {
                    FieldError::new("file", "file_malformed")
                        .with("line", "0")
                        .with("detail", e.body_text())
                }
            })?;
            if data.is_empty() {
                return Err(FieldError::new("file", "file_empty"));
            }
            return Ok((name, data.to_vec()));
        }
    }
    Err(FieldError::new("file", "file_empty"))
}

/// Import a bank statement in the 1CClientBankExchange format (multipart `file`). A malformed
/// file is rejected with the line and reason and imports nothing; a statement imported again
/// adds nothing.
#[utoipa::path(post, path = "/api/v1/bank-statements", tag = "receivables",
    request_body(content_type = "multipart/form-data", description = "`file`: the statement (windows-1251, cp866 or UTF-8)"),
    responses((status = 201, body = ImportReportDto), (status = 403, body = crate::error::ErrorBody),
              (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn import_statement(
    State(state): State<AppState>,
    caller: Caller,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ImportReportDto>), ApiError> {
    let lang = caller.lang;
    let form = form.map_err(|e| {
        ApiError::field(
            lang,
            &FieldError::new("body", "multipart_expected").with("detail", e.body_text()),
        )
    })?;
    let (name, bytes) = read_file_part(form).await.map_err(|e| {
        let mut err = ApiError::field(lang, &e);
        if e.code == "too_large" {
            err.status = StatusCode::PAYLOAD_TOO_LARGE;
        }
        err
    })?;
    let report = state
        .app
        .import_statement(&caller.actor, &name, &bytes)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(report.into())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDto {
    pub id: uuid::Uuid,
    pub file_name: String,
    pub account: Option<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub documents: i32,
    pub new_documents: i32,
    pub duplicates: i32,
    pub matched: i32,
    pub queued: i32,
    pub imported_by: Option<String>,
    pub imported_at: DateTime<Utc>,
}

impl From<StatementRow> for StatementDto {
    fn from(s: StatementRow) -> Self {
        Self {
            id: s.id,
            file_name: s.file_name,
            account: s.account,
            period_from: s.period_from,
            period_to: s.period_to,
            documents: s.documents,
            new_documents: s.new_documents,
            duplicates: s.duplicates,
            matched: s.matched,
            queued: s.queued,
            imported_by: s.imported_by_name,
            imported_at: s.imported_at,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/bank-statements", tag = "receivables",
    responses((status = 200, body = Vec<StatementDto>), (status = 403, body = crate::error::ErrorBody)))]
async fn list_statements(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<StatementDto>>, ApiError> {
    let lang = caller.lang;
    let rows = state
        .app
        .statements(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A payment document of a statement and what became of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDocDto {
    pub id: uuid::Uuid,
    pub line_no: i32,
    /// incoming | outgoing | internal
    pub direction: String,
    pub number: String,
    pub doc_date: NaiveDate,
    pub credited_on: Option<NaiveDate>,
    pub amount: String,
    pub payer_inn: Option<String>,
    pub payer_account: String,
    pub payer_name: String,
    pub purpose: String,
    /// matched_full | matched_partial | overpaid | ambiguous | unmatched | resolved | ignored
    pub state: String,
    pub reason: String,
    pub counterparty_id: Option<uuid::Uuid>,
    pub counterparty_name: Option<String>,
    pub payment_id: Option<uuid::Uuid>,
    /// The proposed allocation: {outcome, allocations: [[invoice_id, amount]], advance, reason}.
    #[schema(value_type = Option<Object>)]
    pub proposal: Option<serde_json::Value>,
    pub version: i64,
}

impl From<DocRow> for StatementDocDto {
    fn from(d: DocRow) -> Self {
        Self {
            id: d.id,
            line_no: d.line_no,
            direction: d.direction,
            number: d.number,
            doc_date: d.doc_date,
            credited_on: d.credited_on,
            amount: Money::from_kopecks(d.amount).to_string(),
            payer_inn: d.payer_inn,
            payer_account: d.payer_account,
            payer_name: d.payer_name,
            purpose: d.purpose,
            state: d.state,
            reason: d.reason,
            counterparty_id: d.counterparty_id,
            counterparty_name: d.counterparty_name,
            payment_id: d.payment_id,
            proposal: d.proposal.as_deref().and_then(|p| serde_json::from_str(p).ok()),
            version: d.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementDetailDto {
    #[serde(flatten)]
    pub statement: StatementDto,
    pub docs: Vec<StatementDocDto>,
}

#[utoipa::path(get, path = "/api/v1/bank-statements/{id}", tag = "receivables", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = StatementDetailDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_statement(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<StatementDetailDto>, ApiError> {
    let lang = caller.lang;
    let id: StatementId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (s, docs) = state
        .app
        .statement(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(StatementDetailDto {
        statement: s.into(),
        docs: docs.into_iter().map(Into::into).collect(),
    }))
}

/// Incoming payments waiting for manual matching.
#[utoipa::path(get, path = "/api/v1/bank-statements/queue", tag = "receivables",
    responses((status = 200, body = Vec<StatementDocDto>), (status = 403, body = crate::error::ErrorBody)))]
async fn matching_queue(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<StatementDocDto>>, ApiError> {
    let lang = caller.lang;
    let rows = state
        .app
        .matching_queue(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveBody {
    pub version: i64,
    /// The client, when the payer was not recognised.
    pub counterparty_id: Option<String>,
    /// Explicit allocation; absent: the proposal, else oldest due first.
    pub allocations: Option<Vec<AllocationBody>>,
    /// Not a client's payment (a refund, a loan): book nothing.
    #[serde(default)]
    pub ignore: bool,
}

/// Resolve a queued statement document.
#[utoipa::path(post, path = "/api/v1/bank-statement-docs/{id}/resolution", tag = "receivables",
    params(("id" = uuid::Uuid, Path)), request_body = ResolveBody,
    responses((status = 200, body = Option<PaymentDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn resolve_doc(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResolveBody>,
) -> Result<Json<Option<PaymentDto>>, ApiError> {
    let lang = caller.lang;
    let (id, client, allocations) = (|| -> Result<_, FieldError> {
        Ok((
            parse_id::<StatementDocId>("id", &id)?,
            b.counterparty_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| parse_id::<CounterpartyId>("counterparty_id", s))
                .transpose()?,
            allocations_of(b.allocations.as_deref())?,
        ))
    })()
    .map_err(|e| ApiError::field(lang, &e))?;
    let view = state
        .app
        .resolve_statement_doc(&caller.actor, id, b.version, client, allocations, b.ignore)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.map(Into::into)))
}
