//! Orders (C10) and receivables (C11) in HTML: the order list and work queue, the order page
//! (lines by SKU, submission through the credit check, fulfilment, shipments, invoices,
//! returns and refusals), the aging report with its bars, bank statements with the manual
//! matching queue, collection cases, and the settlements panel of the client card.
//!
//! Every form posts to a page route; after a save the browser goes to the page that shows the
//! result; when the app refuses, the same page is rendered again with the message.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospekt_app::AppError;
use prospekt_app::orders::{OrderInput, OrderLineInput, OrderView, ReturnInput, ReturnLineInput, ShipLine};
use prospekt_app::receivables::AgingLine;
use prospekt_domain::FieldError;
use prospekt_domain::ids::{CollectionCaseId, CounterpartyId, OrderId, ShipmentId, StatementDocId, UserId};
use prospekt_domain::money::Money;
use prospekt_domain::order::{CollectionStage, OrderAction, OrderStatus, ReturnKind, ReturnReason};
use prospekt_domain::pricing::{Discount, Quantity};
use prospekt_domain::receivables::days_past_due;
use prospekt_storage::repo::ledger::{InvoiceRow, OrderFilter};
use serde::Deserialize;

use super::{PageUser, Shell, page_error};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::error::ApiError;
use crate::i18n::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders", get(orders_page).post(create_order))
        .route("/orders/new", get(new_order_page))
        .route("/orders/{id}", get(order_page).post(update_order))
        .route("/orders/{id}/submit", post(submit_order))
        .route("/orders/{id}/action", post(order_action))
        .route("/orders/{id}/ship", post(ship_order))
        .route("/orders/{id}/returns", post(create_return))
        .route("/shipments/{id}/deliver", post(deliver))
        .route("/shipments/{id}/invoice", post(invoice))
        .route("/shipments/{id}/acts", post(create_act))
        .route("/acts/{id}/decision", post(decide_act))
        .route("/returns", get(returns_page))
        .route("/clients/{id}/payments", post(record_payment))
        .route("/clients/{id}/credit-terms", post(set_credit_terms))
        .route("/invoices/{id}/write-off", post(request_write_off))
        .route("/invoices/{id}/interest", get(interest_page))
        .route("/receivables", get(receivables_page))
        .route("/bank", get(bank_page).post(upload_statement))
        .route("/bank/docs/{id}", post(resolve_doc))
        .route("/collections", get(collections_page))
        .route("/clients/{id}/collections", post(open_case))
        .route("/collections/{id}/stage", post(advance_case))
}

/// The message for a refused action, in the user's language; a refused permission is told on
/// the page too (sales support, managers and the credit controller share these screens).
#[allow(clippy::result_large_err)]
fn message(lang: Lang, e: AppError) -> Result<String, Response> {
    match e {
        AppError::Forbidden => Ok(lang.tr("Это действие вам недоступно", "You may not do this").to_owned()),
        other => super::deals::message(lang, other),
    }
}

fn rub(kopecks: i64) -> String {
    Money::from_kopecks(kopecks).format_ru()
}

fn ru_date(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

fn qty(t: i64) -> String {
    Quantity::from_thousandths(t).map(|q| q.format_ru()).unwrap_or_default()
}

pub fn status_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "draft" => lang.tr("Черновик", "Draft"),
        "submitted" => lang.tr("Передан", "Submitted"),
        "approved" => lang.tr("Одобрен", "Approved"),
        "in_fulfilment" => lang.tr("В работе", "In fulfilment"),
        "shipped" => lang.tr("Отгружен", "Shipped"),
        "delivered" => lang.tr("Доставлен", "Delivered"),
        "invoiced" => lang.tr("Выставлен счёт", "Invoiced"),
        "paid" => lang.tr("Оплачен", "Paid"),
        _ => lang.tr("Отменён", "Cancelled"),
    }
}

fn stage_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "reminder" => lang.tr("Напоминание", "Reminder"),
        "letter" => lang.tr("Письмо", "Letter"),
        "claim" => lang.tr("Претензия", "Claim"),
        "court" => lang.tr("Суд", "Court"),
        _ => lang.tr("Закрыто", "Closed"),
    }
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Lines typed as SKU / quantity / discount columns.
async fn lines_from_form(
    state: &AppState,
    u: &PageUser,
    form: &[(String, String)],
) -> Result<Vec<OrderLineInput>, AppError> {
    let skus: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "sku")
        .map(|(_, v)| v.split(" — ").next().unwrap_or(v).trim().to_owned())
        .collect();
    let qtys: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "qty")
        .map(|(_, v)| v.as_str())
        .collect();
    let discs: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "disc")
        .map(|(_, v)| v.as_str())
        .collect();
    let named: Vec<String> = skus.iter().filter(|s| !s.is_empty()).cloned().collect();
    let products = state.app.products_by_sku(&u.actor, &named).await?;
    let mut lines = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        if sku.is_empty() {
            continue;
        }
        let at = |e: FieldError| e.with("line", (lines.len() + 1).to_string());
        let product = products
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(sku))
            .map(|(_, id)| *id)
            .ok_or_else(|| at(FieldError::new("product_id", "unknown_product")))?;
        let q = qtys.get(i).copied().filter(|s| !s.trim().is_empty()).unwrap_or("1");
        lines.push(OrderLineInput {
            product: prospekt_domain::ids::ProductId::from_uuid(product),
            quantity: Quantity::parse(q).map_err(at)?,
            discount: match discs.get(i).copied().filter(|s| !s.trim().is_empty()) {
                Some(d) => Discount::parse(d).map_err(at)?,
                None => Discount::ZERO,
            },
        });
    }
    Ok(lines)
}

// ---------------------------------------------------------------- the order list

pub struct OrderRowView {
    pub id: String,
    pub number: String,
    pub client: String,
    pub client_id: String,
    pub status: String,
    pub status_label: &'static str,
    pub hold: bool,
    pub ordered_on: String,
    pub total: String,
    pub shipped: String,
    pub owner: String,
}

pub struct OrdersData {
    pub rows: Vec<OrderRowView>,
    pub tabs: Vec<(&'static str, &'static str)>,
    pub status: String,
    pub hold: bool,
}

page!(OrdersPage, "orders.html", OrdersData);

#[derive(Deserialize, Default)]
struct OrdersQuery {
    status: Option<String>,
    hold: Option<String>,
}

async fn orders_page(State(state): State<AppState>, u: PageUser, Query(q): Query<OrdersQuery>) -> Response {
    let lang = u.lang;
    let status = q.status.clone().filter(|s| OrderStatus::parse(s).is_ok());
    let hold = q.hold.as_deref() == Some("1");
    let filter = OrderFilter {
        status: status.clone(),
        counterparty: None,
        credit_hold: hold,
    };
    let rows = match state.app.orders(&u.actor, &filter, 300, 0).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e),
    };
    let mut tabs = vec![("", lang.tr("Все", "All"))];
    tabs.extend(
        OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), status_label(lang, s.as_str()))),
    );
    OrdersPage {
        shell: Shell::new(&u, "orders"),
        x: OrdersData {
            rows: rows
                .into_iter()
                .map(|o| OrderRowView {
                    id: o.id.to_string(),
                    number: o.number,
                    client: o.counterparty_name,
                    client_id: o.counterparty_id.to_string(),
                    status_label: status_label(lang, &o.status),
                    status: o.status,
                    hold: o.credit_hold,
                    ordered_on: ru_date(o.ordered_on),
                    total: rub(o.total),
                    shipped: rub(o.shipped_amount),
                    owner: o.owner_name.unwrap_or_default(),
                })
                .collect(),
            tabs,
            status: status.unwrap_or_default(),
            hold,
        },
    }
    .into_response()
}

// ---------------------------------------------------------------- a new order

pub struct NewOrderData {
    pub client_id: String,
    pub client: String,
    pub blank_rows: Vec<u32>,
    pub comment: String,
    pub error: Option<String>,
}

page!(NewOrderPage, "order_new.html", NewOrderData);

#[derive(Deserialize, Default)]
struct NewQuery {
    client: Option<String>,
}

async fn new_order_page(State(state): State<AppState>, u: PageUser, Query(q): Query<NewQuery>) -> Response {
    render_new(&state, &u, q.client.as_deref().unwrap_or(""), String::new(), None).await
}

async fn render_new(state: &AppState, u: &PageUser, client: &str, comment: String, error: Option<String>) -> Response {
    let lang = u.lang;
    let id: CounterpartyId = match parse_id("client", client) {
        Ok(id) => id,
        Err(e) => return ApiError::field(lang, &e).into_response(),
    };
    let c = match state.app.counterparty(&u.actor, id).await {
        Ok(c) => c,
        Err(e) => return page_error(lang, e),
    };
    NewOrderPage {
        shell: Shell::new(u, "orders"),
        x: NewOrderData {
            client_id: c.id.to_string(),
            client: c.name,
            blank_rows: (1..=8).collect(),
            comment,
            error,
        },
    }
    .into_response()
}

async fn create_order(State(state): State<AppState>, u: PageUser, Form(form): Form<Vec<(String, String)>>) -> Response {
    let client = field(&form, "counterparty_id").unwrap_or("").to_owned();
    let comment = field(&form, "comment").unwrap_or("").to_owned();
    let result = async {
        let input = OrderInput {
            counterparty: parse_id("counterparty_id", &client)?,
            lines: lines_from_form(&state, &u, &form).await?,
            comment: Some(comment.clone()),
            price_column: None,
        };
        state.app.create_order(&u.actor, input).await
    }
    .await;
    match result {
        Ok(v) => Redirect::to(&format!("/orders/{}", v.order.id)).into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_new(&state, &u, &client, comment, Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- the order page

pub struct LineView {
    pub line_no: i32,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub qty: String,
    pub qty_plain: String,
    pub price: String,
    pub disc: String,
    pub amount: String,
    pub shipped: String,
    pub refused: String,
    pub left: String,
    pub has_left: bool,
}

pub struct CreditView {
    pub limit: String,
    pub receivable: String,
    pub overdue: String,
    pub max_dpd: i64,
    pub open_orders: String,
    pub order_total: String,
    pub exposure_after: String,
    pub blocks: Vec<String>,
}

pub struct ShipView {
    pub id: String,
    pub number: String,
    pub shipped_on: String,
    pub delivered_on: String,
    pub amount: String,
    pub invoice: String,
    pub invoiced: bool,
}

pub struct InvView {
    pub id: String,
    pub number: String,
    pub issued_on: String,
    pub due_on: String,
    pub total: String,
    pub paid: String,
    pub open: String,
    pub overdue_days: i64,
}

fn inv_view(i: &InvoiceRow, today: chrono::NaiveDate) -> InvView {
    let open = i.open();
    InvView {
        id: i.id.to_string(),
        number: i.number.clone(),
        issued_on: ru_date(i.issued_on),
        due_on: ru_date(i.due_on),
        total: rub(i.total),
        paid: rub(i.paid + i.credited + i.written_off),
        open: rub(open),
        overdue_days: if open > 0 { days_past_due(i.due_on, today) } else { 0 },
    }
}

pub struct ActView {
    pub id: String,
    pub number: String,
    pub kind: &'static str,
    pub shipment: String,
    pub amount: String,
    pub comment: String,
    pub status: String,
    pub status_label: &'static str,
}

pub struct OrderData {
    pub id: String,
    pub number: String,
    pub version: i64,
    pub client: String,
    pub client_id: String,
    pub status: String,
    pub status_label: &'static str,
    pub hold: bool,
    pub draft: bool,
    pub owner: String,
    pub comment: String,
    pub cancel_reason: String,
    pub lines: Vec<LineView>,
    pub blank_rows: Vec<u32>,
    pub total: String,
    pub total_vat: String,
    pub total_words: String,
    pub credit: Option<CreditView>,
    pub approvals: Vec<(String, String, String)>,
    pub shipments: Vec<ShipView>,
    pub invoices: Vec<InvView>,
    pub returns: Vec<(String, String, String, String, String)>,
    pub acts: Vec<ActView>,
    pub can_take: bool,
    pub can_fulfil: bool,
    pub can_start: bool,
    pub can_ship: bool,
    pub can_cancel: bool,
    pub can_refuse: bool,
    pub reasons: Vec<(&'static str, &'static str)>,
    pub error: Option<String>,
}

page!(OrderPage, "order.html", OrderData);

fn block_text(lang: Lang, b: &serde_json::Value) -> String {
    let m = |k: &str| {
        b[k].as_str()
            .and_then(|s| Money::parse(s).ok())
            .map(|m| m.format_ru())
            .unwrap_or_default()
    };
    match b["kind"].as_str() {
        Some("over_limit") => format!(
            "{} {} ₽ {} {} ₽ ({} {} ₽)",
            lang.tr("Сумма долга с заказом", "Exposure with the order"),
            m("exposure_after"),
            lang.tr("больше лимита", "is over the limit of"),
            m("limit"),
            lang.tr("превышение", "excess"),
            m("excess")
        ),
        _ => format!(
            "{} {} ₽, {} {}",
            lang.tr("Просроченный долг", "Overdue debt"),
            m("amount"),
            lang.tr("дней просрочки:", "days past due:"),
            b["max_dpd"]
        ),
    }
}

fn order_data(lang: Lang, u: &PageUser, v: OrderView, error: Option<String>) -> OrderData {
    let o = &v.order;
    let role = u.actor.role;
    let today = prospekt_app::catalog::company_today();
    let status = v.status;
    let can_take = prospekt_app::orders::may_take_orders(role);
    let can_fulfil = prospekt_app::orders::may_fulfil(role);
    let lines: Vec<LineView> = v
        .lines
        .iter()
        .map(|l| {
            let left = l.quantity - l.shipped_qty - l.returned_qty;
            LineView {
                line_no: l.line_no,
                sku: l.sku.clone(),
                name: l.name.clone(),
                unit: l.unit.clone(),
                qty: qty(l.quantity),
                qty_plain: Quantity::from_thousandths(l.quantity)
                    .map(|q| q.to_string())
                    .unwrap_or_default(),
                price: rub(l.price),
                disc: Discount::from_basis_points(l.discount.max(0) as u32)
                    .map(|d| if d.is_zero() { String::new() } else { d.to_string() })
                    .unwrap_or_default(),
                amount: rub(l.amount),
                shipped: qty(l.shipped_qty),
                refused: qty(l.returned_qty),
                left: Quantity::from_thousandths(left.max(0))
                    .map(|q| q.to_string())
                    .unwrap_or_default(),
                has_left: left > 0,
            }
        })
        .collect();
    let any_left = lines.iter().any(|l| l.has_left);
    let credit = v.credit.as_ref().map(|c| CreditView {
        limit: if c.limit.kopecks() == 0 {
            lang.tr("не установлен", "not set").to_owned()
        } else {
            c.limit.format_ru()
        },
        receivable: c.receivable.format_ru(),
        overdue: c.overdue.format_ru(),
        max_dpd: c.max_dpd,
        open_orders: c.open_orders.format_ru(),
        order_total: c.order_total.format_ru(),
        exposure_after: c.exposure_after.format_ru(),
        blocks: c.blocks.iter().map(|b| block_text(lang, b)).collect(),
    });
    OrderData {
        id: o.id.to_string(),
        number: o.number.clone(),
        version: o.version,
        client: o.counterparty_name.clone(),
        client_id: o.counterparty_id.to_string(),
        status: status.as_str().to_owned(),
        status_label: status_label(lang, status.as_str()),
        hold: o.credit_hold,
        draft: status == OrderStatus::Draft && can_take,
        owner: o.owner_name.clone().unwrap_or_default(),
        comment: o.comment.clone(),
        cancel_reason: o.cancel_reason.clone().unwrap_or_default(),
        lines,
        blank_rows: if status == OrderStatus::Draft {
            (1..=3).collect()
        } else {
            Vec::new()
        },
        total: rub(o.total),
        total_vat: rub(o.total_vat),
        total_words: prospekt_domain::words::rubles_in_words(Money::from_kopecks(o.total)),
        credit,
        approvals: v
            .approvals
            .iter()
            .map(|a| {
                (
                    a.status.clone(),
                    a.decided_by_name.clone().unwrap_or_default(),
                    a.comment.clone().unwrap_or_default(),
                )
            })
            .collect(),
        shipments: v
            .shipments
            .iter()
            .map(|s| {
                let inv = v.invoices.iter().find(|i| Some(i.id) == s.shipment.invoice_id);
                ShipView {
                    id: s.shipment.id.to_string(),
                    number: s.shipment.number.clone(),
                    shipped_on: ru_date(s.shipment.shipped_on),
                    delivered_on: s.shipment.delivered_on.map(ru_date).unwrap_or_default(),
                    amount: rub(s.shipment.amount),
                    invoice: inv.map(|i| i.number.clone()).unwrap_or_default(),
                    invoiced: s.shipment.invoice_id.is_some(),
                }
            })
            .collect(),
        invoices: v.invoices.iter().map(|i| inv_view(i, today)).collect(),
        returns: v
            .returns
            .iter()
            .map(|r| {
                (
                    r.number.clone(),
                    if r.kind == "return" {
                        lang.tr("Возврат", "Return").to_owned()
                    } else {
                        lang.tr("Отказ", "Refusal").to_owned()
                    },
                    ReturnReason::parse(&r.reason)
                        .map(|x| x.label(lang == Lang::Ru).to_owned())
                        .unwrap_or_default(),
                    rub(r.amount),
                    r.comment.clone(),
                )
            })
            .collect(),
        acts: v
            .acts
            .iter()
            .map(|a| ActView {
                id: a.id.to_string(),
                number: a.number.clone(),
                kind: if a.kind == "shortage" {
                    lang.tr("Недостача", "Shortage")
                } else {
                    lang.tr("Пересортица", "Mis-grading")
                },
                shipment: v
                    .shipments
                    .iter()
                    .find(|s| s.shipment.id == a.shipment_id)
                    .map(|s| s.shipment.number.clone())
                    .unwrap_or_default(),
                amount: rub(a.amount),
                comment: a.comment.clone(),
                status: a.status.clone(),
                status_label: match a.status.as_str() {
                    "accepted" => lang.tr("принят, счёт уменьшен", "accepted, invoice credited"),
                    "rejected" => lang.tr("отклонён", "rejected"),
                    _ => lang.tr("на рассмотрении", "open"),
                },
            })
            .collect(),
        can_take,
        can_fulfil,
        can_start: can_fulfil && status == OrderStatus::Approved,
        can_ship: can_fulfil && status.may_ship() && any_left,
        can_cancel: can_take
            && matches!(
                status,
                OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::Approved | OrderStatus::InFulfilment
            )
            && o.shipped_amount == 0,
        can_refuse: can_take && status.may_ship() && any_left,
        reasons: ReturnReason::ALL
            .iter()
            .map(|r| (r.as_str(), r.label(lang == Lang::Ru)))
            .collect(),
        error,
    }
}

async fn order_page(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    render_order(&state, &u, &id, None).await
}

async fn render_order(state: &AppState, u: &PageUser, id: &str, error: Option<String>) -> Response {
    let lang = u.lang;
    let id: OrderId = match parse_id("id", id) {
        Ok(id) => id,
        Err(e) => return ApiError::field(lang, &e).into_response(),
    };
    let view = match state.app.order(&u.actor, id).await {
        Ok(v) => v,
        Err(e) => return page_error(lang, e),
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (
        status,
        OrderPage {
            shell: Shell::new(u, "orders"),
            x: order_data(lang, u, view, error),
        },
    )
        .into_response()
}

async fn after_order(state: &AppState, u: &PageUser, id: &str, result: Result<(), AppError>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/orders/{id}")).into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_order(state, u, id, Some(msg)).await,
            Err(r) => r,
        },
    }
}

fn version_of(form: &[(String, String)]) -> i64 {
    field(form, "version").and_then(|v| v.parse().ok()).unwrap_or(0)
}

async fn update_order(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let order: OrderId = parse_id("id", &id)?;
        let lines = lines_from_form(&state, &u, &form).await?;
        state
            .app
            .update_order(
                &u.actor,
                order,
                version_of(&form),
                lines,
                field(&form, "comment").map(str::to_owned),
            )
            .await
            .map(|_| ())
    }
    .await;
    after_order(&state, &u, &id, result).await
}

async fn submit_order(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let order: OrderId = parse_id("id", &id)?;
        state
            .app
            .submit_order(&u.actor, order, version_of(&form))
            .await
            .map(|_| ())
    }
    .await;
    after_order(&state, &u, &id, result).await
}

async fn order_action(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let order: OrderId = parse_id("id", &id)?;
        let action = OrderAction::parse(field(&form, "action").unwrap_or(""))?;
        state
            .app
            .order_action(&u.actor, order, version_of(&form), action, field(&form, "reason"))
            .await
            .map(|_| ())
    }
    .await;
    after_order(&state, &u, &id, result).await
}

/// Ships what the form lists (`ship.<line_no>` quantities), or everything left.
async fn ship_order(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let order: OrderId = parse_id("id", &id)?;
        let mut lines = Vec::new();
        if field(&form, "all").is_none() {
            for (k, v) in &form {
                if let Some(no) = k.strip_prefix("ship.")
                    && !v.trim().is_empty()
                {
                    let q = Quantity::parse(v)?;
                    if q.thousandths() > 0 {
                        lines.push(ShipLine {
                            line_no: no.parse().unwrap_or(0),
                            quantity: q,
                        });
                    }
                }
            }
            if lines.is_empty() {
                return Err(FieldError::new("lines", "nothing_to_ship").into());
            }
        }
        let on = field(&form, "shipped_on")
            .filter(|s| !s.trim().is_empty())
            .map(|s| crate::api::catalog::date("shipped_on", s))
            .transpose()?;
        state
            .app
            .ship_order(&u.actor, order, version_of(&form), on, lines)
            .await
            .map(|_| ())
    }
    .await;
    after_order(&state, &u, &id, result).await
}

async fn create_return(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let order: OrderId = parse_id("id", &id)?;
        let kind = ReturnKind::parse(field(&form, "kind").unwrap_or("refusal"))?;
        let mut lines = Vec::new();
        for (k, v) in &form {
            if let Some(no) = k.strip_prefix("qty.")
                && !v.trim().is_empty()
            {
                lines.push(ReturnLineInput {
                    line_no: no.parse().unwrap_or(0),
                    quantity: Quantity::parse(v)?,
                });
            }
        }
        let shipment = field(&form, "shipment_id")
            .filter(|s| !s.is_empty())
            .map(|s| parse_id::<ShipmentId>("shipment_id", s))
            .transpose()?;
        let input = ReturnInput {
            kind,
            reason: ReturnReason::parse(field(&form, "reason").unwrap_or(""))?,
            comment: field(&form, "comment").map(str::to_owned),
            shipment,
            lines,
        };
        state.app.register_return(&u.actor, order, input).await.map(|_| ())
    }
    .await;
    after_order(&state, &u, &id, result).await
}

async fn deliver(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let order = field(&form, "order").unwrap_or("").to_owned();
    let result = async {
        let s: ShipmentId = parse_id("id", &id)?;
        state.app.deliver_shipment(&u.actor, s, None).await.map(|_| ())
    }
    .await;
    after_order(&state, &u, &order, result).await
}

async fn invoice(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let order = field(&form, "order").unwrap_or("").to_owned();
    let result = async {
        let s: ShipmentId = parse_id("id", &id)?;
        state.app.invoice_shipment(&u.actor, s, None).await.map(|_| ())
    }
    .await;
    after_order(&state, &u, &order, result).await
}

// ---------------------------------------------------------------- receivables

pub struct AgingBar {
    pub id: String,
    pub name: String,
    pub total: String,
    pub overdue: String,
    pub cells: Vec<String>,
    /// Widths of the five buckets in percent of the largest row's total.
    pub widths: Vec<u32>,
    pub over_limit: String,
    pub invoices: i64,
}

fn bars(lines: &[AgingLine]) -> Vec<AgingBar> {
    let max = lines.iter().map(|l| l.total.kopecks()).max().unwrap_or(0).max(1);
    lines
        .iter()
        .map(|l| {
            let parts = [
                l.aging.not_due,
                l.aging.d1_30,
                l.aging.d31_60,
                l.aging.d61_90,
                l.aging.over_90,
            ];
            AgingBar {
                id: l.id.map(|i| i.to_string()).unwrap_or_default(),
                name: l.name.clone(),
                total: l.total.format_ru(),
                overdue: l.overdue.format_ru(),
                cells: parts
                    .iter()
                    .map(|m| if m.kopecks() == 0 { String::new() } else { m.format_ru() })
                    .collect(),
                widths: parts
                    .iter()
                    .map(|m| ((m.kopecks() as i128 * 1000 / max as i128) as u32).div_ceil(10))
                    .collect(),
                over_limit: if l.over_limit.kopecks() > 0 {
                    l.over_limit.format_ru()
                } else {
                    String::new()
                },
                invoices: l.invoices,
            }
        })
        .collect()
}

pub struct ReceivablesData {
    pub as_of: String,
    pub dso: String,
    pub total: Vec<AgingBar>,
    pub departments: Vec<AgingBar>,
    pub managers: Vec<AgingBar>,
    pub clients: Vec<AgingBar>,
    pub manager: String,
    pub people: Vec<(String, String)>,
    pub buckets: Vec<&'static str>,
}

page!(ReceivablesPage, "receivables.html", ReceivablesData);

#[derive(Deserialize, Default)]
struct AgingQuery {
    manager: Option<String>,
}

async fn receivables_page(State(state): State<AppState>, u: PageUser, Query(q): Query<AgingQuery>) -> Response {
    let lang = u.lang;
    let manager = match q
        .manager
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id::<UserId>("manager", s))
    {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => return ApiError::field(lang, &e).into_response(),
        None => None,
    };
    let report = match state.app.aging_report(&u.actor, manager, 30).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e),
    };
    let people = report
        .managers
        .iter()
        .filter_map(|m| m.id.map(|id| (id.to_string(), m.name.clone())))
        .collect();
    ReceivablesPage {
        shell: Shell::new(&u, "receivables"),
        x: ReceivablesData {
            as_of: ru_date(report.as_of),
            dso: report
                .dso
                .map(|d| d.to_string().replace('.', ","))
                .unwrap_or_else(|| "—".into()),
            total: bars(std::slice::from_ref(&report.total)),
            departments: bars(&report.departments),
            managers: bars(&report.managers),
            clients: bars(&report.clients),
            manager: manager.map(|m| m.to_string()).unwrap_or_default(),
            people,
            buckets: vec![
                lang.tr("Не просрочено", "Not due"),
                lang.tr("1–30 дн.", "1–30 d"),
                lang.tr("31–60 дн.", "31–60 d"),
                lang.tr("61–90 дн.", "61–90 d"),
                lang.tr("Более 90 дн.", "Over 90 d"),
            ],
        },
    }
    .into_response()
}

// ---------------------------------------------------------------- bank statements

pub struct QueueView {
    pub id: String,
    pub version: i64,
    pub credited_on: String,
    pub number: String,
    pub amount: String,
    pub payer: String,
    pub payer_inn: String,
    pub purpose: String,
    pub reason: String,
    pub client: String,
    pub client_id: String,
    pub proposal: String,
}

/// An imported statement in the history table.
pub struct StatementView {
    pub at: String,
    pub file: String,
    pub period: String,
    pub documents: i32,
    pub new_documents: i32,
    pub duplicates: i32,
    pub matched: i32,
    pub queued: i32,
}

pub struct BankData {
    pub statements: Vec<StatementView>,
    pub queue: Vec<QueueView>,
    pub report: Option<String>,
    pub error: Option<String>,
}

page!(BankPage, "bank.html", BankData);

fn reason_label(lang: Lang, r: &str) -> &'static str {
    match r {
        "unknown_payer" => lang.tr("Плательщик не найден среди клиентов", "The payer is not a known client"),
        "several_counterparties" => lang.tr("Этот ИНН у нескольких клиентов", "Several clients have this INN"),
        "oldest_due" => lang.tr(
            "В назначении нет счёта: предложены самые старые",
            "No invoice in the purpose: oldest proposed",
        ),
        "several_by_amount" => lang.tr(
            "Сумма совпадает с несколькими счетами",
            "The amount matches several invoices",
        ),
        "third_party" => lang.tr("Оплата за третье лицо", "Paid for a third party"),
        "invoice_number" => lang.tr(
            "Номер счёта неоднозначен или не найден",
            "The invoice number is ambiguous or unknown",
        ),
        "duplicate_in_file" => lang.tr("Повтор документа в файле", "The document repeats in the file"),
        "no_credit_date" => lang.tr("Нет даты поступления", "No crediting date"),
        _ => lang.tr("Требует проверки", "Needs a check"),
    }
}

async fn bank_page(State(state): State<AppState>, u: PageUser) -> Response {
    render_bank(&state, &u, None, None).await
}

async fn render_bank(state: &AppState, u: &PageUser, report: Option<String>, error: Option<String>) -> Response {
    let lang = u.lang;
    let statements = match state.app.statements(&u.actor).await {
        Ok(s) => s,
        Err(e) => return page_error(lang, e),
    };
    let queue = match state.app.matching_queue(&u.actor).await {
        Ok(q) => q,
        Err(e) => return page_error(lang, e),
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (
        status,
        BankPage {
            shell: Shell::new(u, "bank"),
            x: BankData {
                statements: statements
                    .into_iter()
                    .map(|s| StatementView {
                        at: s
                            .imported_at
                            .with_timezone(&prospekt_domain::activity::company_offset())
                            .format("%d.%m.%Y %H:%M")
                            .to_string(),
                        file: s.file_name,
                        period: match (s.period_from, s.period_to) {
                            (Some(a), Some(b)) => format!("{} – {}", ru_date(a), ru_date(b)),
                            _ => String::new(),
                        },
                        documents: s.documents,
                        new_documents: s.new_documents,
                        duplicates: s.duplicates,
                        matched: s.matched,
                        queued: s.queued,
                    })
                    .collect(),
                queue: queue
                    .into_iter()
                    .map(|d| {
                        let proposal: serde_json::Value = d
                            .proposal
                            .as_deref()
                            .and_then(|p| serde_json::from_str(p).ok())
                            .unwrap_or_default();
                        let reason = proposal["reason"].as_str().unwrap_or(&d.reason).to_owned();
                        let allocated = proposal["allocations"].as_array().map_or(0, |a| a.len());
                        QueueView {
                            id: d.id.to_string(),
                            version: d.version,
                            credited_on: d.credited_on.map(ru_date).unwrap_or_default(),
                            number: d.number,
                            amount: rub(d.amount),
                            payer: d.payer_name,
                            payer_inn: d.payer_inn.unwrap_or_default(),
                            purpose: d.purpose,
                            reason: reason_label(lang, &reason).to_owned(),
                            client: d.counterparty_name.unwrap_or_default(),
                            client_id: d.counterparty_id.map(|c| c.to_string()).unwrap_or_default(),
                            proposal: if allocated > 0 {
                                format!("{} {}", lang.tr("Предложено счетов:", "Invoices proposed:"), allocated)
                            } else {
                                String::new()
                            },
                        }
                    })
                    .collect(),
                report,
                error,
            },
        },
    )
        .into_response()
}

async fn upload_statement(State(state): State<AppState>, u: PageUser, form: Multipart) -> Response {
    let lang = u.lang;
    let result = async {
        let (name, bytes) = crate::api::receivables::read_file_part(form).await?;
        state.app.import_statement(&u.actor, &name, &bytes).await
    }
    .await;
    match result {
        Ok(r) => {
            let text = format!(
                "{}: {} · {}: {} · {}: {} · {}: {} · {}: {} ₽",
                lang.tr("Документов", "Documents"),
                r.documents,
                lang.tr("новых", "new"),
                r.new_documents,
                lang.tr("разнесено автоматически", "matched automatically"),
                r.matched,
                lang.tr("на ручной разбор", "to the queue"),
                r.queued,
                lang.tr("поступило", "received"),
                r.received.format_ru()
            );
            render_bank(&state, &u, Some(text), None).await
        }
        Err(e) => match message(lang, e) {
            Ok(msg) => render_bank(&state, &u, None, Some(msg)).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
struct ResolveForm {
    version: i64,
    /// A client's INN or id, when the payer was not recognised.
    client: Option<String>,
    how: String,
}

async fn resolve_doc(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Response {
    let result = async {
        let doc: StatementDocId = parse_id("id", &id)?;
        let client = match f.client.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => match parse_id::<CounterpartyId>("counterparty_id", raw) {
                Ok(id) => Some(id),
                Err(_) => {
                    let found = state.app.counterparty_by_inn(&u.actor, raw).await?;
                    Some(found.ok_or_else(|| FieldError::new("counterparty_id", "unknown_counterparty"))?)
                }
            },
        };
        state
            .app
            .resolve_statement_doc(&u.actor, doc, f.version, client, None, f.how == "ignore")
            .await
            .map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/bank").into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_bank(&state, &u, None, Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- collections

pub struct CaseView {
    pub id: String,
    pub version: i64,
    pub client: String,
    pub client_id: String,
    pub stage: String,
    pub stage_label: &'static str,
    pub debt: String,
    pub claim: String,
    pub suit_from: String,
    pub assignee: String,
    pub next: Option<(&'static str, &'static str)>,
    pub opened: String,
}

pub struct CollectionsData {
    pub cases: Vec<CaseView>,
    pub error: Option<String>,
}

page!(CollectionsPage, "collections.html", CollectionsData);

async fn collections_page(State(state): State<AppState>, u: PageUser) -> Response {
    render_collections(&state, &u, None).await
}

async fn render_collections(state: &AppState, u: &PageUser, error: Option<String>) -> Response {
    let lang = u.lang;
    let cases = match state.app.open_cases(&u.actor).await {
        Ok(c) => c,
        Err(e) => return page_error(lang, e),
    };
    CollectionsPage {
        shell: Shell::new(u, "collections"),
        x: CollectionsData {
            cases: cases
                .into_iter()
                .map(|c| {
                    let stage = CollectionStage::parse(&c.stage).unwrap_or(CollectionStage::Reminder);
                    CaseView {
                        id: c.id.to_string(),
                        version: c.version,
                        client: c.counterparty_name,
                        client_id: c.counterparty_id.to_string(),
                        stage_label: stage_label(lang, &c.stage),
                        stage: c.stage,
                        debt: rub(c.debt),
                        claim: match (c.claim_number, c.claim_sent_on) {
                            (Some(n), Some(d)) => format!("№ {n} {} {}", lang.tr("от", "of"), ru_date(d)),
                            _ => String::new(),
                        },
                        suit_from: c.suit_from.map(ru_date).unwrap_or_default(),
                        assignee: c.assignee_name.unwrap_or_default(),
                        next: stage
                            .next()
                            .filter(|n| *n != CollectionStage::Closed)
                            .map(|n| (n.as_str(), stage_label(lang, n.as_str()))),
                        opened: c
                            .created_at
                            .with_timezone(&prospekt_domain::activity::company_offset())
                            .format("%d.%m.%Y")
                            .to_string(),
                    }
                })
                .collect(),
            error,
        },
    }
    .into_response()
}

async fn open_case(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    let result = async {
        let client: CounterpartyId = parse_id("id", &id)?;
        state.app.open_case(&u.actor, client, None).await.map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/collections").into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_collections(&state, &u, Some(msg)).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
struct StageForm {
    version: i64,
    stage: String,
    note: Option<String>,
    claim_number: Option<String>,
    claim_sent_on: Option<String>,
}

async fn advance_case(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<StageForm>,
) -> Response {
    let result = async {
        let case: CollectionCaseId = parse_id("id", &id)?;
        let stage = CollectionStage::parse(&f.stage)?;
        let sent = f
            .claim_sent_on
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| crate::api::catalog::date("claim_sent_on", s))
            .transpose()?;
        state
            .app
            .advance_case(
                &u.actor,
                case,
                f.version,
                stage,
                f.note.as_deref(),
                f.claim_number.as_deref(),
                sent,
            )
            .await
            .map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/collections").into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_collections(&state, &u, Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- the client card's panel

/// The settlements panel of the client card.
pub struct ClientMoney {
    pub receivable: String,
    pub overdue: String,
    pub max_dpd: i64,
    pub advance: String,
    pub net: String,
    pub limit: String,
    pub over_limit: String,
    pub open_orders: String,
    pub has_overdue: bool,
    pub used_pct: u32,
    pub invoices: Vec<InvView>,
    pub payments: Vec<(String, String, String, String)>,
    pub orders: Vec<(String, String, &'static str, String, String)>,
    pub cases: Vec<(String, &'static str)>,
    pub can_order: bool,
    pub can_collect: bool,
    pub can_pay: bool,
    pub terms: Option<TermsView>,
    pub today: String,
    pub period_from: String,
    pub period_to: String,
}

/// A client's credit terms on the card, as text and as the edit form's values.
pub struct TermsView {
    pub version: i64,
    pub editable: bool,
    /// The limit as typed into the form (`1500000.00`; empty when none is set).
    pub limit_input: String,
    pub days: u16,
    pub banking: bool,
    pub summary: String,
    pub penalty: String,
    pub cap: String,
    pub claim_days: u16,
}

fn terms_view(lang: Lang, v: prospekt_app::receivables::CreditTermsView) -> TermsView {
    use prospekt_domain::receivables::{bp_as_percent, ppm_as_percent};
    let t = v.terms;
    let banking = t.deferral == prospekt_domain::calendar::DeferralKind::Banking;
    let deferral = match (lang, banking) {
        (Lang::Ru, false) => format!("отсрочка {} календ. дн.", t.payment_terms_days),
        (Lang::Ru, true) => format!("отсрочка {} банк. дн.", t.payment_terms_days),
        (Lang::En, false) => format!("{} calendar days to pay", t.payment_terms_days),
        (Lang::En, true) => format!("{} banking days to pay", t.payment_terms_days),
    };
    let penalty = match t.penalty {
        None => lang.tr("неустойки нет", "no contract penalty").to_owned(),
        Some(p) => {
            // Russian writes a decimal comma.
            let local = |s: String| if lang == Lang::Ru { s.replace('.', ",") } else { s };
            let rate = local(ppm_as_percent(p.daily_ppm));
            match (lang, p.cap_bp.map(|c| local(bp_as_percent(c)))) {
                (Lang::Ru, None) => format!("неустойка {rate} % в день"),
                (Lang::Ru, Some(cap)) => format!("неустойка {rate} % в день, не более {cap} %"),
                (Lang::En, None) => format!("penalty {rate} % a day"),
                (Lang::En, Some(cap)) => format!("penalty {rate} % a day, at most {cap} %"),
            }
        }
    };
    let claim = match lang {
        Lang::Ru => format!("срок ответа на претензию {} дн.", t.claim_term_days),
        Lang::En => format!("{} days to answer a claim", t.claim_term_days),
    };
    TermsView {
        version: v.version,
        editable: v.editable,
        limit_input: if t.credit_limit.kopecks() == 0 {
            String::new()
        } else {
            t.credit_limit.to_string()
        },
        days: t.payment_terms_days,
        banking,
        summary: format!("{deferral} · {penalty} · {claim}"),
        penalty: t.penalty.map(|p| ppm_as_percent(p.daily_ppm)).unwrap_or_default(),
        cap: t.penalty.and_then(|p| p.cap_bp).map(bp_as_percent).unwrap_or_default(),
        claim_days: t.claim_term_days,
    }
}

/// The settlements of a client as its card shows them; `None` when they cannot be read.
pub async fn client_money(state: &AppState, u: &PageUser, id: CounterpartyId) -> Option<ClientMoney> {
    let lang = u.lang;
    let app = &state.app;
    let b = app.balance(&u.actor, id).await.ok()?;
    let today = b.as_of;
    let invoices = app.client_invoices(&u.actor, id, true, 10).await.unwrap_or_default();
    let payments = app.client_payments(&u.actor, id, 5).await.unwrap_or_default();
    let filter = OrderFilter {
        status: None,
        counterparty: Some(id.as_uuid()),
        credit_hold: false,
    };
    let orders = app.orders(&u.actor, &filter, 5, 0).await.unwrap_or_default();
    let cases = app.client_cases(&u.actor, id).await.unwrap_or_default();
    let terms = app.credit_terms(&u.actor, id).await.ok().map(|v| terms_view(lang, v));
    let limit = b.credit_limit.kopecks();
    Some(ClientMoney {
        receivable: b.receivable.format_ru(),
        overdue: b.overdue.format_ru(),
        max_dpd: b.max_days_overdue,
        advance: b.advance.format_ru(),
        net: b.net.format_ru(),
        limit: if limit == 0 {
            lang.tr("не установлен", "not set").to_owned()
        } else {
            b.credit_limit.format_ru()
        },
        over_limit: if b.over_limit.kopecks() > 0 {
            b.over_limit.format_ru()
        } else {
            String::new()
        },
        open_orders: b.open_orders.format_ru(),
        has_overdue: b.overdue.kopecks() > 0,
        used_pct: if limit > 0 {
            ((b.receivable.kopecks() + b.open_orders.kopecks()) as i128 * 100 / limit as i128).clamp(0, 100) as u32
        } else {
            0
        },
        invoices: invoices.iter().map(|i| inv_view(i, today)).collect(),
        payments: payments
            .into_iter()
            .map(|p| {
                (
                    ru_date(p.paid_on),
                    p.doc_number,
                    rub(p.amount),
                    if p.allocated < p.amount {
                        rub(p.amount - p.allocated)
                    } else {
                        String::new()
                    },
                )
            })
            .collect(),
        orders: orders
            .into_iter()
            .map(|o| {
                (
                    o.id.to_string(),
                    o.number,
                    status_label(lang, &o.status),
                    rub(o.total),
                    o.status,
                )
            })
            .collect(),
        cases: cases
            .into_iter()
            .filter(|c| c.closed_at.is_none())
            .map(|c| (c.id.to_string(), stage_label(lang, &c.stage)))
            .collect(),
        can_order: prospekt_app::orders::may_take_orders(u.actor.role),
        can_collect: prospekt_app::receivables::may_collect(u.actor.role),
        can_pay: prospekt_app::receivables::may_handle_payments(u.actor.role),
        terms,
        today: today.format("%Y-%m-%d").to_string(),
        period_from: (today - chrono::Duration::days(90)).format("%Y-%m-%d").to_string(),
        period_to: today.format("%Y-%m-%d").to_string(),
    })
}

// ---------------------------------------------------------------- acts of shortage and mis-grading

async fn create_act(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let order = field(&form, "order").unwrap_or("").to_owned();
    let result = async {
        let shipment: ShipmentId = parse_id("id", &id)?;
        let kind = prospekt_domain::order::DiscrepancyKind::parse(field(&form, "kind").unwrap_or(""))?;
        let quantity = Quantity::parse(field(&form, "quantity").unwrap_or(""))?;
        let line = prospekt_app::orders::ActLine {
            line_no: field(&form, "line_no").and_then(|l| l.parse().ok()).unwrap_or(0),
            quantity: quantity.thousandths(),
            received_instead: field(&form, "received_instead").map(str::to_owned),
        };
        state
            .app
            .register_act(
                &u.actor,
                shipment,
                kind,
                vec![line],
                field(&form, "comment").map(str::to_owned),
            )
            .await
            .map(|_| ())
    }
    .await;
    after_order(&state, &u, &order, result).await
}

async fn decide_act(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let order = field(&form, "order").unwrap_or("").to_owned();
    let result = async {
        let act: prospekt_domain::ids::DiscrepancyActId = parse_id("id", &id)?;
        state
            .app
            .decide_act(&u.actor, act, field(&form, "accept") == Some("yes"))
            .await
            .map(|_| ())
    }
    .await;
    after_order(&state, &u, &order, result).await
}

// ---------------------------------------------------------------- returns analysis

pub struct ReturnsData {
    pub by: String,
    pub kind: String,
    pub days: i64,
    pub rows: Vec<(String, i64, String, String, u32)>,
    pub total: String,
    pub tabs: Vec<(&'static str, &'static str)>,
}

page!(ReturnsPage, "returns.html", ReturnsData);

#[derive(Deserialize, Default)]
struct ReturnsQuery {
    by: Option<String>,
    kind: Option<String>,
    days: Option<i64>,
}

async fn returns_page(State(state): State<AppState>, u: PageUser, Query(q): Query<ReturnsQuery>) -> Response {
    let lang = u.lang;
    let by = match crate::api::orders::returns_by(q.by.as_deref()) {
        Ok(b) => b,
        Err(e) => return ApiError::field(lang, &e).into_response(),
    };
    let kind = q
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .and_then(|k| ReturnKind::parse(k).ok());
    let days = q.days.unwrap_or(365).clamp(1, 3660);
    let rows = match state.app.returns_analysis(&u.actor, by, kind, days).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e),
    };
    let max = rows.iter().map(|r| r.amount).max().unwrap_or(0).max(1);
    let total: i64 = rows.iter().map(|r| r.amount).sum();
    let by_name =
        q.by.clone()
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "reason".into());
    ReturnsPage {
        shell: Shell::new(&u, "returns"),
        x: ReturnsData {
            rows: rows
                .into_iter()
                .map(|r| {
                    let name = match by_name.as_str() {
                        "reason" => ReturnReason::parse(r.key.as_deref().unwrap_or(""))
                            .map(|x| x.label(lang == Lang::Ru).to_owned())
                            .unwrap_or_default(),
                        "product" => format!("{} · {}", r.key.unwrap_or_default(), r.name.unwrap_or_default()),
                        _ => r.name.unwrap_or_default(),
                    };
                    (
                        name,
                        r.returns,
                        qty(r.quantity),
                        rub(r.amount),
                        ((r.amount as i128 * 100 / max as i128) as u32).max(1),
                    )
                })
                .collect(),
            total: rub(total),
            by: by_name,
            kind: q.kind.unwrap_or_default(),
            days,
            tabs: vec![
                ("reason", lang.tr("По причинам", "By reason")),
                ("product", lang.tr("По товарам", "By product")),
                ("client", lang.tr("По клиентам", "By client")),
                ("manager", lang.tr("По менеджерам", "By manager")),
            ],
        },
    }
    .into_response()
}

// ---------------------------------------------------------------- payments, write-offs, interest

async fn record_payment(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = u.lang;
    let Ok(client) = parse_id::<CounterpartyId>("id", &id) else {
        return crate::pages::clients::not_found(&u);
    };
    let result = async {
        let input = prospekt_app::receivables::PaymentInput {
            counterparty: client,
            paid_on: crate::api::catalog::date("paid_on", field(&form, "paid_on").unwrap_or(""))?,
            amount: crate::api::catalog::money("amount", field(&form, "amount").unwrap_or(""))?,
            doc_number: field(&form, "doc_number").unwrap_or("").to_owned(),
            purpose: field(&form, "purpose").unwrap_or("").to_owned(),
            allocations: None,
        };
        state.app.record_payment(&u.actor, input).await.map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/clients/{id}#settlements")).into_response(),
        Err(e) => match message(lang, e) {
            Ok(msg) => crate::pages::clients::card_with_action_error(&state, &u, client, msg).await,
            Err(r) => r,
        },
    }
}

async fn set_credit_terms(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = u.lang;
    let Ok(client) = parse_id::<CounterpartyId>("id", &id) else {
        return crate::pages::clients::not_found(&u);
    };
    let number = |name: &str| field(&form, name).unwrap_or("").trim().parse::<i64>().unwrap_or(-1);
    let input = prospekt_domain::receivables::CreditTermsInput {
        credit_limit: field(&form, "credit_limit").unwrap_or(""),
        payment_terms_days: number("payment_terms_days"),
        deferral_kind: field(&form, "deferral_kind").unwrap_or(""),
        penalty_percent_per_day: field(&form, "penalty_percent_per_day").unwrap_or(""),
        penalty_cap_percent: field(&form, "penalty_cap_percent").unwrap_or(""),
        claim_term_days: number("claim_term_days"),
    };
    let result = state
        .app
        .set_credit_terms(&u.actor, client, number("version"), &input)
        .await;
    match result {
        Ok(_) => Redirect::to(&format!("/clients/{id}#settlements")).into_response(),
        Err(e) => match message(lang, e) {
            Ok(msg) => crate::pages::clients::card_with_action_error(&state, &u, client, msg).await,
            Err(r) => r,
        },
    }
}

async fn request_write_off(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = u.lang;
    let client = field(&form, "client").unwrap_or("").to_owned();
    let result = async {
        let invoice: prospekt_domain::ids::InvoiceId = parse_id("id", &id)?;
        let amount = crate::api::catalog::money("amount", field(&form, "amount").unwrap_or(""))?;
        state
            .app
            .request_write_off(&u.actor, invoice, amount, field(&form, "reason").unwrap_or(""))
            .await
            .map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/invoices/{id}/interest")).into_response(),
        Err(e) => match message(lang, e) {
            Ok(msg) => render_interest(&state, &u, &id, Some(msg), &client).await,
            Err(r) => r,
        },
    }
}

pub struct InterestData {
    pub id: String,
    pub number: String,
    pub client: String,
    pub client_id: String,
    pub due_on: String,
    pub until: String,
    pub debt: String,
    pub open: String,
    pub open_plain: String,
    pub rows: Vec<(String, String, u32, String, String, u32, String)>,
    pub total: String,
    pub penalty: Vec<(String, String, u32, String, String)>,
    pub penalty_total: String,
    pub penalty_capped: bool,
    pub can_write_off: bool,
    pub error: Option<String>,
}

page!(InterestPage, "interest.html", InterestData);

async fn interest_page(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    render_interest(&state, &u, &id, None, "").await
}

async fn render_interest(state: &AppState, u: &PageUser, id: &str, error: Option<String>, _client: &str) -> Response {
    let lang = u.lang;
    let invoice: prospekt_domain::ids::InvoiceId = match parse_id("id", id) {
        Ok(i) => i,
        Err(e) => return ApiError::field(lang, &e).into_response(),
    };
    let inv = match state.app.invoice(&u.actor, invoice).await {
        Ok(i) => i,
        Err(e) => return page_error(lang, e),
    };
    let calc = match state.app.invoice_interest(&u.actor, invoice, None).await {
        Ok(c) => c,
        Err(e) => return page_error(lang, e),
    };
    let rate = |bp: u32| format!("{},{:02}", bp / 100, bp % 100);
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let open = inv.open();
    (
        status,
        InterestPage {
            shell: Shell::new(u, "receivables"),
            x: InterestData {
                id: inv.id.to_string(),
                number: inv.number.clone(),
                client: inv.counterparty_name.clone(),
                client_id: inv.counterparty_id.to_string(),
                due_on: ru_date(inv.due_on),
                until: ru_date(calc.until),
                debt: calc.debt.format_ru(),
                open: rub(open),
                open_plain: Money::from_kopecks(open).to_string(),
                rows: calc
                    .interest
                    .rows
                    .iter()
                    .map(|r| {
                        (
                            ru_date(r.from),
                            ru_date(r.to),
                            r.days,
                            r.base.format_ru(),
                            rate(r.rate_bp),
                            r.year_days,
                            r.amount.format_ru(),
                        )
                    })
                    .collect(),
                total: calc.interest.total.format_ru(),
                penalty: calc
                    .penalty
                    .as_ref()
                    .map(|p| {
                        p.rows
                            .iter()
                            .map(|r| {
                                (
                                    ru_date(r.from),
                                    ru_date(r.to),
                                    r.days,
                                    r.base.format_ru(),
                                    r.amount.format_ru(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                penalty_total: calc.penalty.as_ref().map(|p| p.total.format_ru()).unwrap_or_default(),
                penalty_capped: calc.penalty.as_ref().is_some_and(|p| p.capped),
                can_write_off: prospekt_app::receivables::may_collect(u.actor.role) && open > 0,
                error,
            },
        },
    )
        .into_response()
}
