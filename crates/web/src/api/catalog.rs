//! The catalogue over the API: price columns, products with prices and price history, VAT
//! rates, promotions, and managers' discount limits.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use prospekt_app::catalog::{PriceChange as PriceRow, PriceColumn as PriceColumnRow, StoredPromotion as PromotionRow};
use prospekt_app::catalog::{ProductInput, ProductView, PromotionInput};
use prospekt_domain::FieldError;
use prospekt_domain::counterparty::{LifecycleStatus, Tier};
use prospekt_domain::ids::{PriceColumnId, ProductId, PromotionId, UserId};
use prospekt_domain::money::Money;
use prospekt_domain::pricing::{Discount, PromotionKind};
use prospekt_domain::vat::{VatCategory, VatPeriod, VatRate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::parse_id;
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_price_columns, create_price_column))
        .routes(routes!(update_price_column))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product))
        .routes(routes!(set_prices))
        .routes(routes!(get_vat_rates, put_vat_rates))
        .routes(routes!(list_promotions, create_promotion))
        .routes(routes!(get_promotion, update_promotion))
        .routes(routes!(put_discount_limit))
}

/// Money from a decimal string, the error naming `field`.
pub fn money(field: &'static str, raw: &str) -> Result<Money, FieldError> {
    Money::parse(raw).map_err(|mut e| {
        e.field = field;
        e
    })
}

fn opt_money(field: &'static str, raw: &Option<String>) -> Result<Option<Money>, FieldError> {
    raw.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| money(field, s))
        .transpose()
}

pub fn date(field: &'static str, raw: &str) -> Result<NaiveDate, FieldError> {
    raw.trim()
        .parse::<NaiveDate>()
        .map_err(|_| FieldError::new(field, "invalid_date").with("value", raw))
}

pub fn discount(field: &'static str, raw: &str) -> Result<Discount, FieldError> {
    Discount::parse(raw).map_err(|mut e| {
        e.field = field;
        e
    })
}

// --- price columns ---------------------------------------------------------------------

/// A price-list column (retail, wholesale, VIP…).
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceColumnDto {
    pub id: uuid::Uuid,
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub version: i64,
}

impl From<PriceColumnRow> for PriceColumnDto {
    fn from(r: PriceColumnRow) -> Self {
        Self {
            id: r.id,
            code: r.code,
            name: r.name,
            sort_order: r.sort_order,
            version: r.version,
        }
    }
}

/// Price columns in their order.
#[utoipa::path(get, path = "/api/v1/price-columns", tag = "catalog",
    responses((status = 200, body = [PriceColumnDto])))]
async fn list_price_columns(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PriceColumnDto>>, ApiError> {
    let rows = state
        .app
        .price_columns(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceColumnCreate {
    /// Latin letters, digits and `_`, unique.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub sort_order: i32,
}

/// Add a price column (commercial director, administrator).
#[utoipa::path(post, path = "/api/v1/price-columns", tag = "catalog", request_body = PriceColumnCreate,
    responses((status = 201, body = PriceColumnDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_price_column(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PriceColumnCreate>,
) -> Result<(StatusCode, Json<PriceColumnDto>), ApiError> {
    let row = state
        .app
        .create_price_column(&caller.actor, &b.code, &b.name, b.sort_order)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceColumnPatch {
    pub version: i64,
    pub name: String,
    pub sort_order: i32,
}

/// Rename or reorder a price column.
#[utoipa::path(patch, path = "/api/v1/price-columns/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    request_body = PriceColumnPatch,
    responses((status = 200, body = PriceColumnDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
async fn update_price_column(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PriceColumnPatch>,
) -> Result<Json<PriceColumnDto>, ApiError> {
    let lang = caller.lang;
    let id: PriceColumnId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .update_price_column(&caller.actor, id, b.version, &b.name, b.sort_order)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

// --- products ----------------------------------------------------------------------------

/// A product's price in one column.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnPrice {
    pub price_column_id: uuid::Uuid,
    /// Decimal string, VAT included.
    pub price: String,
}

/// A catalogue product with today's prices.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDto {
    pub id: uuid::Uuid,
    pub sku: String,
    pub name: String,
    pub group: String,
    pub unit: String,
    /// standard | reduced | zero | none
    pub vat_category: String,
    pub cost_price: String,
    /// Selling below this needs the head's approval.
    pub min_price: Option<String>,
    pub archived: bool,
    pub prices: Vec<ColumnPrice>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<ProductView> for ProductDto {
    fn from(v: ProductView) -> Self {
        let p = v.product;
        Self {
            id: p.id,
            sku: p.sku,
            name: p.name,
            group: p.group_name,
            unit: p.unit,
            vat_category: p.vat_category,
            cost_price: Money::from_kopecks(p.cost_price).to_string(),
            min_price: p.min_price.map(|m| Money::from_kopecks(m).to_string()),
            archived: p.archived_at.is_some(),
            prices: v
                .prices
                .into_iter()
                .map(|(c, price)| ColumnPrice {
                    price_column_id: c,
                    price: Money::from_kopecks(price).to_string(),
                })
                .collect(),
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductDto>,
    pub total: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductQuery {
    /// Words of the SKU or name (case-insensitive, ё = е).
    pub q: Option<String>,
    pub group: Option<String>,
    #[serde(default)]
    pub include_archived: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The catalogue, by group and name.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ProductQuery),
    responses((status = 200, body = ProductPage)))]
async fn list_products(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ProductQuery>,
) -> Result<Json<ProductPage>, ApiError> {
    let (items, total) = state
        .app
        .products(
            &caller.actor,
            q.q.as_deref(),
            q.group.as_deref(),
            q.include_archived,
            q.limit.unwrap_or(50),
            q.offset.unwrap_or(0),
        )
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(ProductPage {
        items: items.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// A price as sent in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PriceInput {
    pub price_column_id: String,
    pub price: String,
}

fn parse_prices(prices: &[PriceInput]) -> Result<Vec<(PriceColumnId, Money)>, FieldError> {
    prices
        .iter()
        .map(|p| {
            Ok((
                parse_id("price_column_id", &p.price_column_id)?,
                money("price", &p.price)?,
            ))
        })
        .collect()
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductBody {
    pub sku: String,
    pub name: String,
    pub group: String,
    pub unit: String,
    /// standard | reduced | zero | none
    pub vat_category: String,
    pub cost_price: String,
    pub min_price: Option<String>,
    /// Create only: first prices, valid from today.
    #[serde(default)]
    pub prices: Vec<PriceInput>,
    /// Update only.
    pub version: Option<i64>,
    #[serde(default)]
    pub archived: bool,
}

impl ProductBody {
    fn input(&self) -> Result<ProductInput, FieldError> {
        Ok(ProductInput {
            sku: self.sku.clone(),
            name: self.name.clone(),
            group: self.group.clone(),
            unit: self.unit.clone(),
            vat_category: VatCategory::parse(&self.vat_category)?,
            cost_price: money("cost_price", &self.cost_price)?,
            min_price: opt_money("min_price", &self.min_price)?,
        })
    }
}

/// Add a product with its first prices.
#[utoipa::path(post, path = "/api/v1/products", tag = "catalog", request_body = ProductBody,
    responses((status = 201, body = ProductDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_product(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ProductBody>,
) -> Result<(StatusCode, Json<ProductDto>), ApiError> {
    let lang = caller.lang;
    let input = b.input().map_err(|e| ApiError::field(lang, &e))?;
    let prices = parse_prices(&b.prices).map_err(|e| ApiError::field(lang, &e))?;
    let app = &state.app;
    let id = app
        .create_product(&caller.actor, input, prices)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    let (view, _) = app
        .product(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// One row of price history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceHistoryDto {
    pub price_column_id: uuid::Uuid,
    pub valid_from: NaiveDate,
    pub price: String,
    pub set_by: Option<String>,
    pub set_at: Option<DateTime<Utc>>,
}

impl From<PriceRow> for PriceHistoryDto {
    fn from(r: PriceRow) -> Self {
        Self {
            price_column_id: r.price_column_id,
            valid_from: r.valid_from,
            price: Money::from_kopecks(r.price).to_string(),
            set_by: r.set_by_name,
            set_at: r.set_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub product: ProductDto,
    pub price_history: Vec<PriceHistoryDto>,
}

/// A product with its whole price history.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ProductDetail), (status = 404, body = crate::error::ErrorBody)))]
async fn get_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProductDetail>, ApiError> {
    let lang = caller.lang;
    let id: ProductId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (view, history) = state
        .app
        .product(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(ProductDetail {
        product: view.into(),
        price_history: history.into_iter().map(Into::into).collect(),
    }))
}

/// Change a product (its fields; prices go through `/prices`).
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    request_body = ProductBody,
    responses((status = 200, body = ProductDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn update_product(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ProductBody>,
) -> Result<Json<ProductDto>, ApiError> {
    let lang = caller.lang;
    let id: ProductId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let input = b.input().map_err(|e| ApiError::field(lang, &e))?;
    let version = b
        .version
        .ok_or_else(|| ApiError::field(lang, &FieldError::new("version", "required")))?;
    let app = &state.app;
    app.update_product(&caller.actor, id, version, input, b.archived)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    let (view, _) = app
        .product(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PricesBody {
    /// From this day (today or later); default today.
    pub valid_from: Option<String>,
    pub prices: Vec<PriceInput>,
}

/// Set prices from a date; earlier prices stay in the history.
#[utoipa::path(post, path = "/api/v1/products/{id}/prices", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    request_body = PricesBody,
    responses((status = 200, body = ProductDetail), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn set_prices(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PricesBody>,
) -> Result<Json<ProductDetail>, ApiError> {
    let lang = caller.lang;
    let id: ProductId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let valid_from = match b.valid_from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(d) => date("valid_from", d).map_err(|e| ApiError::field(lang, &e))?,
        None => prospekt_app::catalog::company_today(),
    };
    let prices = parse_prices(&b.prices).map_err(|e| ApiError::field(lang, &e))?;
    let app = &state.app;
    app.set_prices(&caller.actor, id, valid_from, prices)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    let (view, history) = app
        .product(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(ProductDetail {
        product: view.into(),
        price_history: history.into_iter().map(Into::into).collect(),
    }))
}

// --- VAT ----------------------------------------------------------------------------------

/// From `valid_from`, products of `category` carry `rate`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VatPeriodDto {
    /// standard | reduced | zero | none
    pub category: String,
    pub valid_from: String,
    /// "22", "10", "0" or "none"
    pub rate: String,
}

/// VAT rates by category and date.
#[utoipa::path(get, path = "/api/v1/vat-rates", tag = "catalog", responses((status = 200, body = [VatPeriodDto])))]
async fn get_vat_rates(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<VatPeriodDto>>, ApiError> {
    let schedule = state
        .app
        .vat_schedule()
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(
        schedule
            .periods()
            .iter()
            .map(|p| VatPeriodDto {
                category: p.category.as_str().to_owned(),
                valid_from: p.valid_from.to_string(),
                rate: p.rate.code(),
            })
            .collect(),
    ))
}

/// Replace the VAT table (commercial director, administrator).
#[utoipa::path(put, path = "/api/v1/vat-rates", tag = "catalog", request_body = [VatPeriodDto],
    responses((status = 200, body = [VatPeriodDto]), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn put_vat_rates(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<Vec<VatPeriodDto>>,
) -> Result<Json<Vec<VatPeriodDto>>, ApiError> {
    let lang = caller.lang;
    let periods = b
        .iter()
        .map(|p| {
            Ok(VatPeriod {
                category: VatCategory::parse(&p.category)?,
                valid_from: date("valid_from", &p.valid_from)?,
                rate: VatRate::parse_code(&p.rate)?,
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()
        .map_err(|e| ApiError::field(lang, &e))?;
    let schedule = state
        .app
        .set_vat_rates(&caller.actor, periods)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(
        schedule
            .periods()
            .iter()
            .map(|p| VatPeriodDto {
                category: p.category.as_str().to_owned(),
                valid_from: p.valid_from.to_string(),
                rate: p.rate.code(),
            })
            .collect(),
    ))
}

// --- promotions ---------------------------------------------------------------------------

/// A discount or bonus programme.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionDto {
    pub id: uuid::Uuid,
    pub name: String,
    /// discount | bonus
    pub kind: String,
    /// Percent as a decimal string ("10", "2.5").
    pub percent: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub product_ids: Vec<uuid::Uuid>,
    pub groups: Vec<String>,
    pub tiers: Vec<String>,
    pub statuses: Vec<String>,
    pub archived: bool,
    pub version: i64,
}

impl From<PromotionRow> for PromotionDto {
    fn from(r: PromotionRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            kind: r.kind,
            percent: Discount::from_basis_points(r.rate.max(0) as u32)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            product_ids: serde_json::from_str(&r.product_ids).unwrap_or_default(),
            groups: serde_json::from_str(&r.product_groups).unwrap_or_default(),
            tiers: serde_json::from_str(&r.tiers).unwrap_or_default(),
            statuses: serde_json::from_str(&r.statuses).unwrap_or_default(),
            archived: r.archived_at.is_some(),
            version: r.version,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PromotionQuery {
    /// Only the promotions running today.
    #[serde(default)]
    pub active: bool,
}

/// Promotions (all, or those running today).
#[utoipa::path(get, path = "/api/v1/promotions", tag = "catalog", params(PromotionQuery),
    responses((status = 200, body = [PromotionDto])))]
async fn list_promotions(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<PromotionQuery>,
) -> Result<Json<Vec<PromotionDto>>, ApiError> {
    let day = q.active.then(prospekt_app::catalog::company_today);
    let rows = state
        .app
        .promotions(&caller.actor, day)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PromotionBody {
    pub name: String,
    /// discount | bonus
    pub kind: String,
    pub percent: String,
    pub valid_from: String,
    pub valid_to: String,
    #[serde(default)]
    pub product_ids: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub statuses: Vec<String>,
    /// Update only.
    pub version: Option<i64>,
    #[serde(default)]
    pub archived: bool,
}

impl PromotionBody {
    fn input(&self) -> Result<PromotionInput, FieldError> {
        let share = discount("percent", &self.percent)?;
        let kind = match self.kind.as_str() {
            "discount" => PromotionKind::Discount(share),
            "bonus" => PromotionKind::Bonus(share),
            other => return Err(FieldError::new("kind", "invalid_promotion_kind").with("value", other)),
        };
        Ok(PromotionInput {
            name: self.name.clone(),
            kind,
            valid_from: date("valid_from", &self.valid_from)?,
            valid_to: date("valid_to", &self.valid_to)?,
            products: self
                .product_ids
                .iter()
                .map(|p| parse_id("product_ids", p))
                .collect::<Result<_, _>>()?,
            groups: self
                .groups
                .iter()
                .map(|g| g.trim().to_owned())
                .filter(|g| !g.is_empty())
                .collect(),
            tiers: self.tiers.iter().map(|t| Tier::parse(t)).collect::<Result<_, _>>()?,
            statuses: self
                .statuses
                .iter()
                .map(|s| LifecycleStatus::parse(s))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// Start a promotion.
#[utoipa::path(post, path = "/api/v1/promotions", tag = "catalog", request_body = PromotionBody,
    responses((status = 201, body = PromotionDto), (status = 403, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn create_promotion(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PromotionBody>,
) -> Result<(StatusCode, Json<PromotionDto>), ApiError> {
    let lang = caller.lang;
    let input = b.input().map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .create_promotion(&caller.actor, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/promotions/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = PromotionDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_promotion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PromotionDto>, ApiError> {
    let lang = caller.lang;
    let id: PromotionId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .promotion(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// Change or end (archive) a promotion.
#[utoipa::path(put, path = "/api/v1/promotions/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    request_body = PromotionBody,
    responses((status = 200, body = PromotionDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn update_promotion(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PromotionBody>,
) -> Result<Json<PromotionDto>, ApiError> {
    let lang = caller.lang;
    let id: PromotionId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let input = b.input().map_err(|e| ApiError::field(lang, &e))?;
    let version = b
        .version
        .ok_or_else(|| ApiError::field(lang, &FieldError::new("version", "required")))?;
    let row = state
        .app
        .update_promotion(&caller.actor, id, version, input, b.archived)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

// --- discount limits ------------------------------------------------------------------------

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DiscountLimitBody {
    /// Percent as a decimal string ("5", "7.5").
    pub discount_limit: String,
}

/// Set a manager's own discount limit (head for the department; commercial director, administrator).
#[utoipa::path(put, path = "/api/v1/users/{id}/discount-limit", tag = "catalog", params(("id" = uuid::Uuid, Path)),
    request_body = DiscountLimitBody,
    responses((status = 200, body = DiscountLimitBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn put_discount_limit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DiscountLimitBody>,
) -> Result<Json<DiscountLimitBody>, ApiError> {
    let lang = caller.lang;
    let id: UserId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let limit = discount("discount_limit", &b.discount_limit).map_err(|e| ApiError::field(lang, &e))?;
    state
        .app
        .set_discount_limit(&caller.actor, id, limit)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(DiscountLimitBody {
        discount_limit: limit.to_string(),
    }))
}
