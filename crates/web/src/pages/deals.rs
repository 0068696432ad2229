//! Deals (C6) and commercial offers in HTML: the board with drag-and-drop between stages, the
//! list, the deal page with its offers, the offer editor (lines by SKU, discounts, approval,
//! sending, the client's answer, revisions), the approval queue and the catalogue (C9).
//!
//! Every form posts to a page route; after a save the browser goes to the page that shows the
//! result; when the app refuses, the same page is rendered again with the message.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use prospekt_app::AppError;
use prospekt_app::deals::{DealFilter, DealInput, DealPatch, DealRow};
use prospekt_app::offers::{OfferEmail, OfferInput, OfferLineInput, OfferView};
use prospekt_domain::FieldError;
use prospekt_domain::activity::DealStage;
use prospekt_domain::ids::{ApprovalId, CounterpartyId, DealId, OfferId, UserId};
use prospekt_domain::money::Money;
use prospekt_domain::pricing::{ApprovalReason, Discount, Quantity};
use serde::Deserialize;

use super::{PageUser, Shell, page_error};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::api::offers::vat_label;
use crate::error::ApiError;
use crate::i18n::{Lang, field_error_message};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/deals", get(board).post(create_deal))
        .route("/deals/{id}", get(deal_page))
        .route("/deals/{id}/stage", post(move_deal))
        .route("/deals/{id}/offers", post(create_offer))
        .route("/offers/{id}", get(offer_page).post(update_offer))
        .route("/offers/{id}/approval", post(request_approval))
        .route("/offers/{id}/send", post(send_offer))
        .route("/offers/{id}/decision", post(decide_offer))
        .route("/offers/{id}/revise", post(revise_offer))
        .route("/approvals", get(approvals_page))
        .route("/approvals/{id}", post(decide_approval))
        .route("/catalog", get(catalog_page))
        .route("/catalog/prices", post(set_price))
        .route("/catalog/promotions", post(create_promotion))
        .route("/catalog/promotions/{id}/end", post(end_promotion))
        .route("/catalog/options", get(product_options))
}

/// The message for a refused action, in the user's language.
#[allow(clippy::result_large_err)]
pub(crate) fn message(lang: Lang, e: AppError) -> Result<String, Response> {
    match e {
        AppError::Invalid(fe) => Ok(field_error_message(lang, &fe)),
        AppError::Conflict { changed_by, .. } => Ok(match (lang, changed_by) {
            (Lang::Ru, Some(who)) => format!("Запись только что изменил(а) {who}: обновите страницу и повторите"),
            (Lang::Ru, None) => "Запись только что изменили: обновите страницу и повторите".into(),
            (Lang::En, Some(who)) => format!("{who} has just changed this record: reload and try again"),
            (Lang::En, None) => "Someone has just changed this record: reload and try again".into(),
        }),
        AppError::Unavailable { .. } => Ok(ApiError::from_app(lang, e).message),
        other => Err(page_error(lang, other)),
    }
}

fn stage_label(lang: Lang, stage: &str) -> &'static str {
    match stage {
        "first_contact" => lang.tr("Первый контакт", "First contact"),
        "needs_identified" => lang.tr("Потребность выявлена", "Needs identified"),
        "offer_sent" => lang.tr("КП отправлено", "Offer sent"),
        "negotiation" => lang.tr("Переговоры", "Negotiation"),
        "contract" => lang.tr("Договор", "Contract"),
        "won" => lang.tr("Выиграна", "Won"),
        _ => lang.tr("Проиграна", "Lost"),
    }
}

fn rub(kopecks: i64) -> String {
    Money::from_kopecks(kopecks).format_ru()
}

/// `1,2 млн` / `350 тыс.` for the board's column sums.
fn short_rub(lang: Lang, kopecks: i64) -> String {
    let rub = kopecks / 100;
    if rub >= 1_000_000 {
        let m = rub as f64 / 1_000_000.0;
        format!("{:.1}{}", m, lang.tr(" млн", "M")).replace('.', if lang == Lang::Ru { "," } else { "." })
    } else if rub >= 1_000 {
        format!("{}{}", rub / 1_000, lang.tr(" тыс.", "k"))
    } else {
        rub.to_string()
    }
}

// ---------------------------------------------------------------- the board and the list

pub struct DealCard {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub client: String,
    pub client_id: String,
    pub amount: String,
    pub probability: i32,
    pub close: String,
    pub overdue: bool,
    pub stage: String,
    pub stage_label: &'static str,
    pub owner: String,
}

fn card(lang: Lang, d: DealRow, today: NaiveDate) -> DealCard {
    DealCard {
        id: d.id.to_string(),
        version: d.version,
        client: d.counterparty_name,
        client_id: d.counterparty_id.to_string(),
        amount: rub(d.amount),
        probability: d.probability,
        overdue: d.expected_close.is_some_and(|c| c < today) && !matches!(d.stage.as_str(), "won" | "lost"),
        close: d
            .expected_close
            .map(|c| c.format("%d.%m.%Y").to_string())
            .unwrap_or_default(),
        stage_label: stage_label(lang, &d.stage),
        stage: d.stage,
        title: d.title,
        owner: d.owner_name.unwrap_or_default(),
    }
}

pub struct BoardCol {
    pub stage: &'static str,
    pub label: &'static str,
    pub count: i64,
    /// Deals of the stage not shown as cards.
    pub more: i64,
    pub sum_k: i64,
    pub weighted_k: i64,
    pub sum: String,
    pub weighted: String,
    pub cards: Vec<DealCard>,
    pub closed: bool,
}

pub struct BoardData {
    pub list: bool,
    pub columns: Vec<BoardCol>,
    pub rows: Vec<DealCard>,
    pub people: Vec<(String, String)>,
    pub selected: String,
    pub total_open: String,
    pub total_weighted: String,
    pub error: Option<String>,
}

page!(BoardPage, "deals.html", BoardData);

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    view: Option<String>,
    owner: Option<String>,
    /// The list of one stage (a long column's "more").
    stage: Option<String>,
}

async fn board(State(state): State<AppState>, u: PageUser, Query(q): Query<BoardQuery>) -> Response {
    render_board(&state, &u, q, None).await
}

async fn render_board(state: &AppState, u: &PageUser, q: BoardQuery, error: Option<String>) -> Response {
    let lang = u.lang;
    let app = &state.app;
    let owner = match q
        .owner
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| parse_id::<UserId>("owner", s))
    {
        Some(Ok(o)) => Some(o),
        Some(Err(e)) => return ApiError::field(lang, &e).into_response(),
        None => None,
    };
    let today = prospekt_app::catalog::company_today();
    let list = q.view.as_deref() == Some("list");
    let people = match app.users(&u.actor).await {
        Ok(us)
            if !matches!(
                u.actor.role,
                prospekt_domain::Role::Manager | prospekt_domain::Role::KeyAccountManager
            ) =>
        {
            us.into_iter()
                .filter(|x| {
                    matches!(
                        x.role.as_str(),
                        "manager" | "key_account_manager" | "head_of_department"
                    )
                })
                .map(|x| (x.id.to_string(), x.display_name))
                .collect()
        }
        _ => Vec::new(),
    };
    let (columns, rows) = if list {
        let filter = DealFilter {
            owner: owner.map(|o| o.as_uuid()),
            stage: q
                .stage
                .as_deref()
                .and_then(|s| DealStage::parse(s).ok())
                .map(|s| s.as_str().to_owned()),
            limit: 500,
            ..DealFilter::default()
        };
        match app.deals(&u.actor, filter).await {
            Ok(rows) => (Vec::new(), rows.into_iter().map(|d| card(lang, d, today)).collect()),
            Err(e) => return page_error(lang, e),
        }
    } else {
        match app.deal_board(&u.actor, owner).await {
            Ok(cols) => (
                cols.into_iter()
                    .map(|c| BoardCol {
                        stage: c.stage.as_str(),
                        label: stage_label(lang, c.stage.as_str()),
                        count: c.count,
                        more: c.count - c.deals.len() as i64,
                        sum_k: c.amount.kopecks(),
                        weighted_k: c.weighted.kopecks(),
                        sum: short_rub(lang, c.amount.kopecks()),
                        weighted: short_rub(lang, c.weighted.kopecks()),
                        closed: !c.stage.is_open(),
                        cards: c.deals.into_iter().map(|d| card(lang, d, today)).collect(),
                    })
                    .collect::<Vec<_>>(),
                Vec::new(),
            ),
            Err(e) => return page_error(lang, e),
        }
    };
    let open: i64 = columns.iter().filter(|c| !c.closed).map(|c| c.sum_k).sum();
    let weighted: i64 = columns.iter().filter(|c| !c.closed).map(|c| c.weighted_k).sum();
    BoardPage {
        shell: Shell::new(u, "deals"),
        x: BoardData {
            list,
            columns,
            rows,
            people,
            selected: owner
                .map(|o| o.to_string())
                .unwrap_or_else(|| u.actor.user_id.to_string()),
            total_open: rub(open),
            total_weighted: rub(weighted),
            error,
        },
    }
    .into_response()
}

#[derive(Deserialize)]
struct DealForm {
    counterparty_id: String,
    title: String,
    amount: Option<String>,
    expected_close: Option<String>,
    needs: Option<String>,
    source_campaign: Option<String>,
}

async fn create_deal(State(state): State<AppState>, u: PageUser, Form(f): Form<DealForm>) -> Response {
    let lang = u.lang;
    let parse = || -> Result<DealInput, FieldError> {
        Ok(DealInput {
            counterparty: parse_id::<CounterpartyId>("counterparty_id", &f.counterparty_id)?,
            title: f.title.clone(),
            stage: None,
            amount: match f.amount.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(a) => crate::api::catalog::money("amount", a)?,
                None => Money::ZERO,
            },
            probability: None,
            expected_close: f
                .expected_close
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| crate::api::catalog::date("expected_close", s))
                .transpose()?,
            source_campaign: f.source_campaign.clone(),
            needs: f.needs.clone(),
            owner: None,
        })
    };
    let result = match parse() {
        Ok(input) => state.app.create_deal(&u.actor, input).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(d) => Redirect::to(&format!("/deals/{}", d.id)).into_response(),
        Err(e) => match message(lang, e) {
            Ok(msg) => render_board(&state, &u, BoardQuery::default(), Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- the deal page

pub struct OfferRowView {
    pub id: String,
    pub number: String,
    pub revision: i32,
    pub status: String,
    pub status_label: String,
    pub total: String,
    pub valid_until: String,
}

pub struct StageStep {
    pub label: &'static str,
    pub by: String,
    pub at: String,
}

pub struct DealData {
    pub d: DealCard,
    pub needs: String,
    pub lost_reason: String,
    pub competitor: String,
    pub source: String,
    pub stages: Vec<(&'static str, &'static str)>,
    pub history: Vec<StageStep>,
    pub offers: Vec<OfferRowView>,
    pub open: bool,
    pub error: Option<String>,
}

page!(DealPage, "deal.html", DealData);

async fn deal_page(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    render_deal(&state, &u, &id, None).await
}

async fn render_deal(state: &AppState, u: &PageUser, id: &str, error: Option<String>) -> Response {
    let lang = u.lang;
    let id: DealId = match parse_id("id", id) {
        Ok(i) => i,
        Err(e) => return ApiError::field(lang, &e).into_response(),
    };
    let app = &state.app;
    let d = match app.deal(&u.actor, id).await {
        Ok(d) => d,
        Err(e) => return page_error(lang, e),
    };
    let history = app.deal_history(&u.actor, id).await.unwrap_or_default();
    let offers = app.deal_offers(&u.actor, id).await.unwrap_or_default();
    let today = prospekt_app::catalog::company_today();
    DealPage {
        shell: Shell::new(u, "deals"),
        x: DealData {
            needs: d.needs.clone().unwrap_or_default(),
            lost_reason: d.lost_reason.clone().unwrap_or_default(),
            competitor: d.competitor.clone().unwrap_or_default(),
            source: d.source_campaign.clone().unwrap_or_default(),
            open: !matches!(d.stage.as_str(), "won" | "lost"),
            stages: DealStage::ALL
                .iter()
                .map(|s| (s.as_str(), stage_label(lang, s.as_str())))
                .collect(),
            history: history
                .into_iter()
                .map(|h| StageStep {
                    label: stage_label(lang, &h.to_stage),
                    by: h.changed_by_name.unwrap_or_default(),
                    at: h
                        .changed_at
                        .with_timezone(&prospekt_domain::activity::company_offset())
                        .format("%d.%m.%Y %H:%M")
                        .to_string(),
                })
                .collect(),
            offers: offers
                .into_iter()
                .map(|o| {
                    let status = prospekt_domain::offer::OfferStatus::parse(&o.status)
                        .map(|s| s.effective(o.valid_until, today).as_str().to_owned())
                        .unwrap_or(o.status.clone());
                    OfferRowView {
                        id: o.id.to_string(),
                        number: o.number,
                        revision: o.revision,
                        status_label: lang.label(&status).to_owned(),
                        status,
                        total: rub(o.total_with_vat),
                        valid_until: o.valid_until.format("%d.%m.%Y").to_string(),
                    }
                })
                .collect(),
            d: card(lang, d, today),
            error,
        },
    }
    .into_response()
}

#[derive(Deserialize)]
struct StageForm {
    version: i64,
    stage: String,
    lost_reason: Option<String>,
    competitor: Option<String>,
    /// Where to go after the move: the board (drag without script) or the deal.
    back: Option<String>,
}

async fn move_deal(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<StageForm>,
) -> Response {
    let lang = u.lang;
    let result = async {
        let deal: DealId = parse_id("id", &id)?;
        let stage = DealStage::parse(&f.stage)?;
        let patch = DealPatch {
            stage: Some(stage),
            lost_reason: f.lost_reason.clone(),
            competitor: f.competitor.clone(),
            ..DealPatch::default()
        };
        state.app.update_deal(&u.actor, deal, f.version, patch).await
    }
    .await;
    match result {
        Ok(_) if f.back.as_deref() == Some("board") => Redirect::to("/deals").into_response(),
        Ok(d) => Redirect::to(&format!("/deals/{}", d.id)).into_response(),
        Err(e) => match message(lang, e) {
            Ok(msg) => render_deal(&state, &u, &id, Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- offers

/// Lines as typed: parallel `sku`, `qty`, `disc` fields, blank rows skipped.
fn lines_of(
    state_products: &[(String, uuid::Uuid)],
    form: &[(String, String)],
) -> Result<Vec<OfferLineInput>, FieldError> {
    let pick = |k: &str| {
        form.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let (skus, qtys, discs) = (pick("sku"), pick("qty"), pick("disc"));
    let mut lines = Vec::new();
    for (i, sku) in skus.iter().enumerate() {
        if sku.is_empty() {
            continue;
        }
        let line = (lines.len() + 1).to_string();
        let at = |e: FieldError| e.with("line", line.clone());
        // The SKU may come with the name the picker showed after it ("SKU — name").
        let code = sku.split(" — ").next().unwrap_or(sku).trim();
        let product = state_products
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(code))
            .map(|(_, id)| *id)
            .ok_or_else(|| at(FieldError::new("product_id", "unknown_product")))?;
        let qty = qtys.get(i).map(String::as_str).filter(|s| !s.is_empty()).unwrap_or("1");
        lines.push(OfferLineInput {
            product: prospekt_domain::ids::ProductId::from_uuid(product),
            quantity: Quantity::parse(qty).map_err(at)?,
            discount: match discs.get(i).map(String::as_str).filter(|s| !s.is_empty()) {
                Some(d) => Discount::parse(d).map_err(at)?,
                None => Discount::ZERO,
            },
        });
    }
    Ok(lines)
}

/// The products named by SKU in a form.
async fn skus_in(
    state: &AppState,
    u: &PageUser,
    form: &[(String, String)],
) -> Result<Vec<(String, uuid::Uuid)>, AppError> {
    let skus: Vec<String> = form
        .iter()
        .filter(|(k, v)| k == "sku" && !v.trim().is_empty())
        .map(|(_, v)| v.split(" — ").next().unwrap_or(v).trim().to_owned())
        .collect();
    state.app.products_by_sku(&u.actor, &skus).await
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn offer_input(state: &AppState, u: &PageUser, form: &[(String, String)]) -> Result<OfferInput, AppError> {
    let products = skus_in(state, u, form).await?;
    let lines = lines_of(&products, form)?;
    Ok(OfferInput {
        lines,
        valid_until: field(form, "valid_until")
            .filter(|s| !s.trim().is_empty())
            .map(|s| crate::api::catalog::date("valid_until", s))
            .transpose()?,
        intro: field(form, "intro").map(str::to_owned),
        vat_mode: field(form, "vat_mode")
            .filter(|s| !s.is_empty())
            .map(prospekt_domain::pricing::VatMode::parse)
            .transpose()?,
        rounding: None,
        price_column: None,
    })
}

async fn create_offer(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = u.lang;
    let result = async {
        let deal: DealId = parse_id("id", &id)?;
        let input = offer_input(&state, &u, &form).await?;
        state.app.create_offer(&u.actor, deal, input).await
    }
    .await;
    match result {
        Ok(v) => Redirect::to(&format!("/offers/{}", v.offer.id)).into_response(),
        Err(e) => match message(lang, e) {
            Ok(msg) => render_deal(&state, &u, &id, Some(msg)).await,
            Err(r) => r,
        },
    }
}

pub struct LineView {
    pub no: i32,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub qty: String,
    pub list_price: String,
    pub disc: String,
    pub promo: String,
    pub price: String,
    pub vat: String,
    pub amount: String,
    pub flagged: bool,
}

pub struct OfferData {
    pub id: String,
    pub version: i64,
    pub number: String,
    pub revision: i32,
    pub deal_id: String,
    pub deal_title: String,
    pub client: String,
    pub client_id: String,
    pub status: &'static str,
    pub status_label: String,
    pub approval: &'static str,
    pub approval_label: String,
    pub draft: bool,
    pub sendable: bool,
    pub decidable: bool,
    pub revisable: bool,
    pub vat_included: bool,
    pub valid_until: String,
    pub valid_until_iso: String,
    pub intro: String,
    pub lines: Vec<LineView>,
    pub blank_rows: Vec<usize>,
    pub totals: Vec<(String, String, bool)>,
    pub total_words: String,
    pub reasons: Vec<String>,
    pub approvals: Vec<(String, String, String, String, String)>,
    pub revisions: Vec<(String, i32, String, bool)>,
    pub order_id: String,
    pub can_mail: bool,
    pub mail_to: String,
    pub error: Option<String>,
}

page!(OfferPage, "offer.html", OfferData);

async fn offer_page(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    render_offer(&state, &u, &id, None).await
}

fn reason_text(lang: Lang, r: &ApprovalReason) -> String {
    match r {
        ApprovalReason::OverLimit { line, discount, limit } => match lang {
            Lang::Ru => format!(
                "Строка {}: скидка {} выше вашего лимита {}",
                line + 1,
                discount.percent_label(),
                limit.percent_label()
            ),
            Lang::En => format!("Line {}: discount {} is over your limit {}", line + 1, discount, limit),
        },
        ApprovalReason::BelowMinimum { line, price, minimum } => match lang {
            Lang::Ru => format!(
                "Строка {}: цена {} ниже минимальной {}",
                line + 1,
                price.format_ru(),
                minimum.format_ru()
            ),
            Lang::En => format!("Line {}: price {} is below the minimum {}", line + 1, price, minimum),
        },
    }
}

async fn render_offer(state: &AppState, u: &PageUser, id: &str, error: Option<String>) -> Response {
    let lang = u.lang;
    let id: OfferId = match parse_id("id", id) {
        Ok(i) => i,
        Err(e) => return ApiError::field(lang, &e).into_response(),
    };
    let v: OfferView = match state.app.offer(&u.actor, id).await {
        Ok(v) => v,
        Err(e) => return page_error(lang, e),
    };
    let client_email = state
        .app
        .counterparty(&u.actor, CounterpartyId::from_uuid(v.offer.counterparty_id))
        .await
        .ok()
        .and_then(|c| c.email)
        .unwrap_or_default();
    let flagged: Vec<usize> = v
        .reasons
        .iter()
        .map(|r| match r {
            ApprovalReason::OverLimit { line, .. } | ApprovalReason::BelowMinimum { line, .. } => *line,
        })
        .collect();
    let o = &v.offer;
    let included = o.vat_mode != "on_top";
    let lines: Vec<LineView> = v
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineView {
            no: l.line_no,
            sku: l.sku.clone(),
            name: l.name.clone(),
            unit: l.unit.clone(),
            qty: Quantity::from_thousandths(l.quantity)
                .map(|q| q.format_ru())
                .unwrap_or_default(),
            list_price: rub(l.list_price),
            disc: if l.manual_discount == 0 {
                String::new()
            } else {
                Discount::from_basis_points(l.manual_discount as u32)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            },
            promo: l
                .promotion_name
                .as_ref()
                .map(|n| {
                    format!(
                        "{} −{}",
                        n,
                        Discount::from_basis_points(l.promotion_discount.max(0) as u32)
                            .map(|d| d.percent_label())
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_default(),
            price: rub(l.unit_price),
            vat: vat_label(&l.vat_rate, lang == Lang::Ru),
            amount: rub(if included {
                l.amount_with_vat
            } else {
                l.amount_without_vat
            }),
            flagged: flagged.contains(&i),
        })
        .collect();
    let mut totals = Vec::new();
    if included {
        totals.push((lang.tr("Итого", "Total").to_owned(), rub(o.total_with_vat), false));
        totals.push((lang.tr("в т. ч. НДС", "incl. VAT").to_owned(), rub(o.total_vat), false));
    } else {
        totals.push((
            lang.tr("Итого без НДС", "Total before VAT").to_owned(),
            rub(o.total_without_vat),
            false,
        ));
        totals.push((lang.tr("НДС", "VAT").to_owned(), rub(o.total_vat), false));
    }
    if o.total_discount > 0 {
        totals.push((
            lang.tr("Скидка клиенту", "Client's discount").to_owned(),
            rub(o.total_discount),
            false,
        ));
    }
    if o.total_bonus > 0 {
        totals.push((
            lang.tr("Начислится бонусов", "Bonus accrued").to_owned(),
            rub(o.total_bonus),
            false,
        ));
    }
    totals.push((
        lang.tr("Всего к оплате", "Total to pay").to_owned(),
        rub(o.total_with_vat),
        true,
    ));
    let draft = v.status == prospekt_domain::offer::OfferStatus::Draft;
    let approved = matches!(
        v.approval,
        prospekt_domain::offer::ApprovalState::NotNeeded | prospekt_domain::offer::ApprovalState::Approved
    );
    let status = v.status.as_str();
    let approval = v.approval.as_str();
    let latest = v.revisions.last().map(|r| r.1) == Some(o.revision);
    OfferPage {
        shell: Shell::new(u, "deals"),
        x: OfferData {
            id: o.id.to_string(),
            version: o.version,
            number: o.number.clone(),
            revision: o.revision,
            deal_id: o.deal_id.to_string(),
            deal_title: o.deal_title.clone(),
            client: o.counterparty_name.clone(),
            client_id: o.counterparty_id.to_string(),
            status,
            status_label: lang.label(status).to_owned(),
            approval,
            approval_label: lang.label(approval).to_owned(),
            draft,
            sendable: draft && approved,
            decidable: matches!(status, "sent" | "expired"),
            revisable: latest && matches!(status, "sent" | "rejected" | "expired"),
            vat_included: included,
            valid_until: o.valid_until.format("%d.%m.%Y").to_string(),
            valid_until_iso: o.valid_until.to_string(),
            intro: o.intro.clone(),
            blank_rows: if draft { (0..3).collect() } else { Vec::new() },
            lines,
            totals,
            total_words: prospekt_domain::words::rubles_in_words(Money::from_kopecks(o.total_with_vat)),
            reasons: v.reasons.iter().map(|r| reason_text(lang, r)).collect(),
            approvals: v
                .approvals
                .iter()
                .map(|a| {
                    (
                        lang.label(&a.status).to_owned(),
                        a.requested_by_name.clone().unwrap_or_default(),
                        a.reason.clone(),
                        a.decided_by_name.clone().unwrap_or_default(),
                        a.comment.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            revisions: v
                .revisions
                .iter()
                .map(|(rid, rev, st)| (rid.to_string(), *rev, lang.label(st).to_owned(), *rid == o.id))
                .collect(),
            order_id: o.order_id.map(|x| x.to_string()).unwrap_or_default(),
            can_mail: state.app.mailer().is_some(),
            mail_to: client_email,
            error,
        },
    }
    .into_response()
}

async fn update_offer(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let offer: OfferId = parse_id("id", &id)?;
        let version: i64 = field(&form, "version").and_then(|v| v.parse().ok()).unwrap_or(0);
        let input = offer_input(&state, &u, &form).await?;
        state.app.update_offer(&u.actor, offer, version, input).await
    }
    .await;
    after_offer(&state, &u, &id, result.map(|_| ())).await
}

async fn after_offer(state: &AppState, u: &PageUser, id: &str, result: Result<(), AppError>) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/offers/{id}")).into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_offer(state, u, id, Some(msg)).await,
            Err(r) => r,
        },
    }
}

#[derive(Deserialize)]
struct ApprovalForm {
    version: i64,
    reason: String,
}

async fn request_approval(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ApprovalForm>,
) -> Response {
    let result = async {
        let offer: OfferId = parse_id("id", &id)?;
        state
            .app
            .request_approval(&u.actor, offer, f.version, &f.reason)
            .await
            .map(|_| ())
    }
    .await;
    after_offer(&state, &u, &id, result).await
}

#[derive(Deserialize)]
struct SendForm {
    version: i64,
    /// `email` or `mark`.
    how: String,
    to: Option<String>,
    subject: Option<String>,
    body: Option<String>,
}

async fn send_offer(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<SendForm>,
) -> Response {
    let result = async {
        let offer: OfferId = parse_id("id", &id)?;
        let email = (f.how == "email").then(|| OfferEmail {
            to: f
                .to
                .as_deref()
                .unwrap_or("")
                .split([',', ';', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            subject: f.subject.clone(),
            body: f.body.clone(),
        });
        state
            .app
            .send_offer(&u.actor, offer, f.version, email)
            .await
            .map(|_| ())
    }
    .await;
    after_offer(&state, &u, &id, result).await
}

#[derive(Deserialize)]
struct DecisionForm {
    version: i64,
    accepted: String,
    note: Option<String>,
}

async fn decide_offer(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let result = async {
        let offer: OfferId = parse_id("id", &id)?;
        state
            .app
            .decide_offer(&u.actor, offer, f.version, f.accepted == "yes", f.note.as_deref())
            .await
            .map(|_| ())
    }
    .await;
    after_offer(&state, &u, &id, result).await
}

async fn revise_offer(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    let result = async {
        let offer: OfferId = parse_id("id", &id)?;
        state.app.revise_offer(&u.actor, offer).await
    }
    .await;
    match result {
        Ok(v) => Redirect::to(&format!("/offers/{}", v.offer.id)).into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_offer(&state, &u, &id, Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- approvals

pub struct ApprovalView {
    pub id: String,
    pub version: i64,
    pub client: String,
    /// Where the subject is shown (`/offers/…`, `/orders/…`).
    pub link: String,
    pub offer: String,
    pub total: String,
    pub requested_by: String,
    pub reason: String,
    pub reasons: Vec<String>,
    pub at: String,
    pub can_decide: bool,
}

pub struct ApprovalsData {
    pub items: Vec<ApprovalView>,
    pub error: Option<String>,
}

page!(ApprovalsPage, "approvals.html", ApprovalsData);

async fn approvals_page(State(state): State<AppState>, u: PageUser) -> Response {
    render_approvals(&state, &u, None).await
}

async fn render_approvals(state: &AppState, u: &PageUser, error: Option<String>) -> Response {
    let lang = u.lang;
    let rows = match state.app.pending_approvals(&u.actor).await {
        Ok(r) => r,
        Err(e) => return page_error(lang, e),
    };
    let decider = matches!(
        u.actor.role,
        prospekt_domain::Role::HeadOfDepartment | prospekt_domain::Role::CommercialDirector
    );
    let items = rows
        .into_iter()
        .map(|a| {
            let details: serde_json::Value = serde_json::from_str(&a.details).unwrap_or_default();
            if a.subject_kind != "offer" {
                return other_approval(lang, u, a, &details);
            }
            let reasons = details["reasons"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .map(|r| {
                            let line = r["line"].as_u64().unwrap_or(0) + 1;
                            match r["reason"].as_str() {
                                Some("over_limit") => format!(
                                    "{} {line}: {} {} % > {} %",
                                    lang.tr("Строка", "Line"),
                                    lang.tr("скидка", "discount"),
                                    r["discount"].as_str().unwrap_or(""),
                                    r["limit"].as_str().unwrap_or("")
                                ),
                                _ => format!(
                                    "{} {line}: {} {} < {}",
                                    lang.tr("Строка", "Line"),
                                    lang.tr("цена", "price"),
                                    r["price"].as_str().unwrap_or(""),
                                    r["minimum"].as_str().unwrap_or("")
                                ),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            ApprovalView {
                id: a.id.to_string(),
                version: a.version,
                client: a.counterparty_name.clone(),
                link: format!("/offers/{}", a.subject_id),
                offer: format!(
                    "{} ({} {})",
                    details["offer_number"].as_str().unwrap_or(""),
                    lang.tr("версия", "rev."),
                    details["revision"]
                ),
                total: details["total_with_vat"]
                    .as_str()
                    .and_then(|t| Money::parse(t).ok())
                    .map(|m| m.format_ru())
                    .unwrap_or_default(),
                requested_by: a.requested_by_name.clone().unwrap_or_default(),
                reason: a.reason.clone(),
                reasons,
                at: a
                    .created_at
                    .with_timezone(&prospekt_domain::activity::company_offset())
                    .format("%d.%m.%Y %H:%M")
                    .to_string(),
                can_decide: decider && a.requested_by != Some(u.actor.user_id.as_uuid()),
            }
        })
        .collect();
    ApprovalsPage {
        shell: Shell::new(u, "approvals"),
        x: ApprovalsData { items, error },
    }
    .into_response()
}

/// An order held by the credit check, or a write-off, as the approval queue shows it.
fn other_approval(
    lang: Lang,
    u: &PageUser,
    a: prospekt_app::offers::Approval,
    details: &serde_json::Value,
) -> ApprovalView {
    let m = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|t| Money::parse(t).ok())
            .map(|m| m.format_ru())
            .unwrap_or_default()
    };
    let order = a.subject_kind == "order";
    let reasons = if order {
        let mut r = vec![format!(
            "{} {} ₽ · {} {} ₽ · {} {} ₽",
            lang.tr("Лимит", "Limit"),
            m(&details["limit"]),
            lang.tr("долг", "receivable"),
            m(&details["receivable"]),
            lang.tr("с заказом", "with the order"),
            m(&details["exposure_after"])
        )];
        if details["max_dpd"].as_i64().unwrap_or(0) > 0 {
            r.push(format!(
                "{} {} ₽, {} {}",
                lang.tr("Просрочено", "Overdue"),
                m(&details["overdue"]),
                lang.tr("дней просрочки:", "days past due:"),
                details["max_dpd"]
            ));
        }
        r
    } else {
        vec![format!(
            "{} {}: {} ₽ · «{}»",
            lang.tr("Списание по счёту", "Write-off of invoice"),
            details["invoice"].as_str().unwrap_or(""),
            m(&details["amount"]),
            details["reason"].as_str().unwrap_or("")
        )]
    };
    ApprovalView {
        id: a.id.to_string(),
        version: a.version,
        client: a.counterparty_name.clone(),
        link: if order {
            format!("/orders/{}", a.subject_id)
        } else {
            format!("/clients/{}", a.counterparty_id)
        },
        offer: if order {
            lang.tr("Заказ на кредитном стопе", "Order on credit hold").to_owned()
        } else {
            lang.tr("Списание долга", "Bad-debt write-off").to_owned()
        },
        total: if order {
            m(&details["order_total"])
        } else {
            m(&details["amount"])
        },
        requested_by: a.requested_by_name.clone().unwrap_or_default(),
        reason: a.reason.clone(),
        reasons,
        at: a
            .created_at
            .with_timezone(&prospekt_domain::activity::company_offset())
            .format("%d.%m.%Y %H:%M")
            .to_string(),
        can_decide: prospekt_app::orders::may_decide_credit(&u.actor, a.department_id)
            && a.requested_by != Some(u.actor.user_id.as_uuid()),
    }
}

#[derive(Deserialize)]
struct DecideForm {
    version: i64,
    decision: String,
    comment: Option<String>,
}

async fn decide_approval(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecideForm>,
) -> Response {
    let result = async {
        let approval: ApprovalId = parse_id("id", &id)?;
        state
            .app
            .decide_approval(
                &u.actor,
                approval,
                f.version,
                f.decision == "approve",
                f.comment.as_deref(),
            )
            .await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/approvals").into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => render_approvals(&state, &u, Some(msg)).await,
            Err(r) => r,
        },
    }
}

// ---------------------------------------------------------------- catalogue

pub struct ProductLine {
    pub sku: String,
    pub name: String,
    pub group: String,
    pub unit: String,
    pub vat: String,
    pub prices: Vec<String>,
    pub min_price: String,
}

pub struct CatalogData {
    /// The user changes prices and promotions (commercial director, administrator).
    pub can_manage: bool,
    pub column_ids: Vec<(String, String)>,
    pub tiers: Vec<(&'static str, &'static str)>,
    pub today: String,
    pub error: Option<String>,
    pub q: String,
    pub group: String,
    pub groups: Vec<(String, i64)>,
    pub columns: Vec<String>,
    pub products: Vec<ProductLine>,
    pub total: i64,
    pub next: Option<i64>,
    pub prev: Option<i64>,
    /// (name, gives, products, clients, period, id)
    pub promotions: Vec<(String, String, String, String, String, String)>,
}

page!(CatalogPage, "catalog.html", CatalogData);

#[derive(Deserialize)]
struct CatalogQuery {
    q: Option<String>,
    group: Option<String>,
    offset: Option<i64>,
}

const CATALOG_PAGE: i64 = 100;

async fn catalog_page(State(state): State<AppState>, u: PageUser, Query(q): Query<CatalogQuery>) -> Response {
    render_catalog(&state, &u, q, None).await
}

async fn render_catalog(state: &AppState, u: &PageUser, q: CatalogQuery, error: Option<String>) -> Response {
    let lang = u.lang;
    let app = &state.app;
    let offset = q.offset.unwrap_or(0).max(0);
    let columns = match app.price_columns(&u.actor).await {
        Ok(c) => c,
        Err(e) => return page_error(lang, e),
    };
    let (products, total) = match app
        .products(
            &u.actor,
            q.q.as_deref(),
            q.group.as_deref(),
            false,
            CATALOG_PAGE,
            offset,
        )
        .await
    {
        Ok(p) => p,
        Err(e) => return page_error(lang, e),
    };
    let groups = app.product_groups(&u.actor).await.unwrap_or_default();
    let schedule = app.vat_schedule().await.ok();
    let today = prospekt_app::catalog::company_today();
    let promotions = app
        .promotions(&u.actor, Some(today))
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let pct = Discount::from_basis_points(p.rate.max(0) as u32)
                .map(|d| d.percent_label())
                .unwrap_or_default();
            let scope: Vec<String> = serde_json::from_str(&p.product_groups).unwrap_or_default();
            let tiers: Vec<String> = serde_json::from_str(&p.tiers).unwrap_or_default();
            (
                p.name,
                format!("{} {pct}", lang.label(&p.kind)),
                if scope.is_empty() {
                    lang.tr("все товары", "all products").to_owned()
                } else {
                    scope.join(", ")
                },
                if tiers.is_empty() {
                    lang.tr("все клиенты", "all clients").to_owned()
                } else {
                    tiers.iter().map(|t| lang.label(t)).collect::<Vec<_>>().join(", ")
                },
                format!(
                    "{} – {}",
                    p.valid_from.format("%d.%m.%Y"),
                    p.valid_to.format("%d.%m.%Y")
                ),
                p.id.to_string(),
            )
        })
        .collect();
    let products = products
        .into_iter()
        .map(|v| {
            let p = v.product;
            let vat = prospekt_domain::vat::VatCategory::parse(&p.vat_category)
                .ok()
                .zip(schedule.as_ref())
                .map(|(c, s)| {
                    let r = s.rate(c, today);
                    if lang == Lang::Ru { r.label_ru() } else { r.label_en() }
                })
                .unwrap_or_default();
            ProductLine {
                prices: columns
                    .iter()
                    .map(|c| {
                        v.prices
                            .iter()
                            .find(|(col, _)| *col == c.id)
                            .map(|(_, price)| rub(*price))
                            .unwrap_or_default()
                    })
                    .collect(),
                min_price: p.min_price.map(rub).unwrap_or_default(),
                sku: p.sku,
                name: p.name,
                group: p.group_name,
                unit: p.unit,
                vat,
            }
        })
        .collect();
    CatalogPage {
        shell: Shell::new(u, "catalog"),
        x: CatalogData {
            can_manage: prospekt_app::catalog::may_manage_catalog(u.actor.role),
            column_ids: columns.iter().map(|c| (c.id.to_string(), c.name.clone())).collect(),
            tiers: prospekt_domain::counterparty::Tier::ALL
                .iter()
                .map(|t| (t.as_str(), lang.label(t.as_str())))
                .collect(),
            today: today.to_string(),
            error,
            q: q.q.unwrap_or_default(),
            group: q.group.unwrap_or_default(),
            groups,
            columns: columns.into_iter().map(|c| c.name).collect(),
            products,
            total,
            next: (offset + CATALOG_PAGE < total).then_some(offset + CATALOG_PAGE),
            prev: (offset > 0).then(|| (offset - CATALOG_PAGE).max(0)),
            promotions,
        },
    }
    .into_response()
}

#[derive(Deserialize)]
struct OptionsQuery {
    q: Option<String>,
    /// The editor's SKU input sends its own name.
    sku: Option<String>,
}

/// `<option>`s for the offer editor's SKU picker (htmx swaps them into the datalist).
async fn product_options(State(state): State<AppState>, u: PageUser, Query(q): Query<OptionsQuery>) -> Response {
    let text = q.q.or(q.sku).unwrap_or_default();
    let query = text.split(" — ").next().unwrap_or("").trim().to_owned();
    if query.chars().count() < 2 {
        return axum::response::Html(String::new()).into_response();
    }
    let rows = state
        .app
        .products(&u.actor, Some(&query), None, false, 20, 0)
        .await
        .map(|r| r.0)
        .unwrap_or_default();
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html: String = rows
        .iter()
        .map(|v| {
            format!(
                "<option value=\"{}\">{}</option>",
                esc(&v.product.sku),
                esc(&format!("{} · {}", v.product.name, v.product.unit))
            )
        })
        .collect();
    axum::response::Html(html).into_response()
}

#[derive(Deserialize)]
struct PriceForm {
    sku: String,
    price_column_id: String,
    price: String,
    valid_from: Option<String>,
}

async fn set_price(State(state): State<AppState>, u: PageUser, Form(f): Form<PriceForm>) -> Response {
    let result = async {
        let sku = f.sku.split(" — ").next().unwrap_or("").trim().to_owned();
        let found = state.app.products_by_sku(&u.actor, std::slice::from_ref(&sku)).await?;
        let (_, product) = found
            .first()
            .ok_or_else(|| FieldError::new("product_id", "unknown_product").with("line", "1"))?;
        let column = parse_id("price_column_id", &f.price_column_id)?;
        let price = crate::api::catalog::money("price", &f.price)?;
        let from = match f.valid_from.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(d) => crate::api::catalog::date("valid_from", d)?,
            None => prospekt_app::catalog::company_today(),
        };
        state
            .app
            .set_prices(
                &u.actor,
                prospekt_domain::ids::ProductId::from_uuid(*product),
                from,
                vec![(column, price)],
            )
            .await
    }
    .await;
    after_catalog(&state, &u, result).await
}

async fn after_catalog(state: &AppState, u: &PageUser, result: Result<(), AppError>) -> Response {
    match result {
        Ok(()) => Redirect::to("/catalog").into_response(),
        Err(e) => match message(u.lang, e) {
            Ok(msg) => {
                let q = CatalogQuery {
                    q: None,
                    group: None,
                    offset: None,
                };
                render_catalog(state, u, q, Some(msg)).await
            }
            Err(r) => r,
        },
    }
}

async fn create_promotion(
    State(state): State<AppState>,
    u: PageUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let all = |k: &str| -> Vec<String> {
            form.iter()
                .filter(|(n, v)| n == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
                .collect()
        };
        let share = crate::api::catalog::discount("percent", field(&form, "percent").unwrap_or(""))?;
        let kind = match field(&form, "kind") {
            Some("bonus") => prospekt_domain::pricing::PromotionKind::Bonus(share),
            _ => prospekt_domain::pricing::PromotionKind::Discount(share),
        };
        let input = prospekt_app::catalog::PromotionInput {
            name: field(&form, "name").unwrap_or("").to_owned(),
            kind,
            valid_from: crate::api::catalog::date("valid_from", field(&form, "valid_from").unwrap_or(""))?,
            valid_to: crate::api::catalog::date("valid_to", field(&form, "valid_to").unwrap_or(""))?,
            products: Vec::new(),
            groups: all("group"),
            tiers: all("tier")
                .iter()
                .map(|t| prospekt_domain::counterparty::Tier::parse(t))
                .collect::<Result<_, _>>()?,
            statuses: Vec::new(),
        };
        state.app.create_promotion(&u.actor, input).await.map(|_| ())
    }
    .await;
    after_catalog(&state, &u, result).await
}

/// Ends a promotion: it is archived and no longer applies to new offers.
async fn end_promotion(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    let result = async {
        let id: prospekt_domain::ids::PromotionId = parse_id("id", &id)?;
        let row = state.app.promotion(&u.actor, id).await?;
        let p = prospekt_app::catalog::promotion_of(&row)?;
        let input = prospekt_app::catalog::PromotionInput {
            name: p.name().to_owned(),
            kind: p.kind(),
            valid_from: p.valid_from(),
            valid_to: p.valid_to(),
            products: p.products().products.clone(),
            groups: p.products().groups.clone(),
            tiers: p.segment().tiers.clone(),
            statuses: p.segment().statuses.clone(),
        };
        state
            .app
            .update_promotion(&u.actor, id, row.version, input, true)
            .await
            .map(|_| ())
    }
    .await;
    after_catalog(&state, &u, result).await
}
