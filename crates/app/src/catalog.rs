//! The catalogue: price columns, products and their prices over time, VAT rates by date,
//! promotions, and each manager's discount limit.
//!
//! Who may do what: everyone who works with clients reads the catalogue; the commercial
//! director and the administrator change it (products, prices, columns, VAT, promotions). A
//! manager's discount limit is set by the head for the department and by the commercial
//! director or the administrator for anyone.

use chrono::{DateTime, NaiveDate, Utc};
use prospekt_domain::counterparty::{LifecycleStatus, Tier, search_key};
use prospekt_domain::ids::{PriceColumnId, ProductId, PromotionId, UserId};
use prospekt_domain::money::Money;
use prospekt_domain::pricing::{Discount, ProductScope, Promotion, PromotionKind, Segment};
use prospekt_domain::vat::{VatCategory, VatPeriod, VatRate, VatSchedule};
use prospekt_domain::{FieldError, Role};
use prospekt_storage::DbError;
use prospekt_storage::repo::catalog::{
    self, PriceColumnRow, PriceRow, ProductFields, ProductFilter, ProductRow, PromotionRow,
};
use prospekt_storage::repo::users;
use serde_json::json;
use uuid::Uuid;

pub use prospekt_storage::repo::catalog::{
    PriceColumnRow as PriceColumn, PriceRow as PriceChange, PromotionRow as StoredPromotion,
};

use crate::audit::{By, diff, record_tx};
use crate::{Actor, App, AppError, now};

/// Changing the catalogue, prices, VAT rates and promotions.
pub fn may_manage_catalog(role: Role) -> bool {
    matches!(role, Role::CommercialDirector | Role::Administrator)
}

/// Today in the company's time zone (prices and promotions change at Moscow midnight).
pub fn company_today() -> NaiveDate {
    prospekt_domain::activity::company_date(now())
}

fn text(value: &str, field: &'static str, max: usize) -> Result<String, FieldError> {
    let t = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(field, "too_long").with("max", max.to_string()));
    }
    Ok(t)
}

/// A product as typed.
#[derive(Debug, Clone)]
pub struct ProductInput {
    pub sku: String,
    pub name: String,
    pub group: String,
    pub unit: String,
    pub vat_category: VatCategory,
    pub cost_price: Money,
    pub min_price: Option<Money>,
}

impl ProductInput {
    /// The product's texts trimmed and checked, and its search key.
    fn clean(&self) -> Result<CleanProduct, AppError> {
        if self.cost_price.is_negative() {
            return Err(FieldError::new("cost_price", "negative").into());
        }
        if self.min_price.is_some_and(|m| m.is_negative()) {
            return Err(FieldError::new("min_price", "negative").into());
        }
        let sku = text(&self.sku, "sku", 64)?;
        let name = text(&self.name, "name", 300)?;
        Ok(CleanProduct {
            key: search_key(&[&sku, &name]),
            sku,
            name,
            group: text(&self.group, "group", 100)?,
            unit: text(&self.unit, "unit", 20)?,
            vat_category: self.vat_category,
            cost_price: self.cost_price,
            min_price: self.min_price,
        })
    }
}

/// A checked [`ProductInput`], ready to be written.
struct CleanProduct {
    sku: String,
    name: String,
    group: String,
    unit: String,
    key: String,
    vat_category: VatCategory,
    cost_price: Money,
    min_price: Option<Money>,
}

impl CleanProduct {
    fn fields(&self) -> ProductFields<'_> {
        ProductFields {
            sku: &self.sku,
            name: &self.name,
            group_name: &self.group,
            unit: &self.unit,
            vat_category: self.vat_category.as_str(),
            cost_price: self.cost_price.kopecks(),
            min_price: self.min_price.map(Money::kopecks),
            search_key: &self.key,
        }
    }
}

/// A product with its current price in every column.
#[derive(Debug, Clone)]
pub struct ProductView {
    pub product: ProductRow,
    /// (column, price) in force today.
    pub prices: Vec<(Uuid, i64)>,
}

/// A promotion as typed.
#[derive(Debug, Clone)]
pub struct PromotionInput {
    pub name: String,
    pub kind: PromotionKind,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub products: Vec<ProductId>,
    pub groups: Vec<String>,
    pub tiers: Vec<Tier>,
    pub statuses: Vec<LifecycleStatus>,
}

/// A stored promotion read back into the domain type.
pub fn promotion_of(row: &PromotionRow) -> Result<Promotion, AppError> {
    let bad = |e: serde_json::Error| AppError::Internal(format!("promotion {}: {e}", row.id));
    let share = Discount::from_basis_points(row.rate.max(0) as u32)?;
    let kind = if row.kind == "bonus" {
        PromotionKind::Bonus(share)
    } else {
        PromotionKind::Discount(share)
    };
    Ok(Promotion::new(
        PromotionId::from_uuid(row.id),
        row.name.clone(),
        kind,
        row.valid_from,
        row.valid_to,
        ProductScope {
            products: serde_json::from_str(&row.product_ids).map_err(bad)?,
            groups: serde_json::from_str(&row.product_groups).map_err(bad)?,
        },
        Segment {
            tiers: serde_json::from_str(&row.tiers).map_err(bad)?,
            statuses: serde_json::from_str(&row.statuses).map_err(bad)?,
        },
    )?)
}

impl App {
    async fn catalog_manager(&self, actor: &Actor, entity: &str, id: Option<Uuid>) -> Result<(), AppError> {
        if may_manage_catalog(actor.role) {
            Ok(())
        } else {
            Err(self.deny(actor, entity, id, AppError::Forbidden).await)
        }
    }

    // --- price columns -------------------------------------------------------------------

    pub async fn price_columns(&self, _actor: &Actor) -> Result<Vec<PriceColumnRow>, AppError> {
        Ok(catalog::price_columns(self.db()).await?)
    }

    pub async fn create_price_column(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        sort_order: i32,
    ) -> Result<PriceColumnRow, AppError> {
        self.catalog_manager(actor, "price_column", None).await?;
        let code = code.trim().to_lowercase();
        if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(FieldError::new("code", "invalid_code").into());
        }
        let row = PriceColumnRow {
            id: PriceColumnId::new().as_uuid(),
            code,
            name: text(name, "name", 100)?,
            sort_order,
            version: 1,
        };
        let mut tx = self.db().begin().await?;
        match catalog::insert_price_column_tx(&mut tx, &row).await {
            Err(e) if e.is_unique_violation() => return Err(AppError::Duplicate { field: "code" }),
            other => other?,
        }
        let changes = json!({ "code": row.code, "name": row.name, "sort_order": sort_order });
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "price_column",
            Some(row.id),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn update_price_column(
        &self,
        actor: &Actor,
        id: PriceColumnId,
        version: i64,
        name: &str,
        sort_order: i32,
    ) -> Result<PriceColumnRow, AppError> {
        self.catalog_manager(actor, "price_column", Some(id.as_uuid())).await?;
        let current = catalog::price_column(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let name = text(name, "name", 100)?;
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) =
            catalog::update_price_column_tx(&mut tx, id.as_uuid(), version, &name, sort_order).await
        {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), current.version).await);
        }
        let changes = diff(&[
            ("name", json!(current.name), json!(name)),
            ("sort_order", json!(current.sort_order), json!(sort_order)),
        ]);
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "price_column",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        catalog::price_column(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A 409 naming who changed the record last.
    pub(crate) async fn conflict_of(&self, id: Uuid, current_version: i64) -> AppError {
        AppError::Conflict {
            current_version,
            changed_by: self.last_changed_by(id).await,
        }
    }

    // --- products --------------------------------------------------------------------------

    /// One page of the catalogue with today's prices in every column.
    pub async fn products(
        &self,
        _actor: &Actor,
        query: Option<&str>,
        group: Option<&str>,
        include_archived: bool,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ProductView>, i64), AppError> {
        let words = query
            .map(|q| {
                search_key(&[q])
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let filter = ProductFilter {
            words,
            group: group.map(str::to_owned).filter(|g| !g.is_empty()),
            include_archived,
            limit,
            offset,
        };
        let (rows, total) = catalog::products(self.db(), &filter).await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let prices = catalog::current_prices(self.db(), &ids, company_today()).await?;
        let views = rows
            .into_iter()
            .map(|product| {
                let prices = prices
                    .iter()
                    .filter(|(p, _, _)| *p == product.id)
                    .map(|(_, c, v)| (*c, *v))
                    .collect();
                ProductView { product, prices }
            })
            .collect();
        Ok((views, total))
    }

    /// (SKU, id) of the products with these SKUs (for forms that name products by SKU).
    pub async fn products_by_sku(&self, _actor: &Actor, skus: &[String]) -> Result<Vec<(String, Uuid)>, AppError> {
        Ok(catalog::ids_by_sku(self.db(), skus).await?)
    }

    pub async fn product_groups(&self, _actor: &Actor) -> Result<Vec<(String, i64)>, AppError> {
        Ok(catalog::groups(self.db()).await?)
    }

    /// A product with today's prices and its whole price history.
    pub async fn product(&self, _actor: &Actor, id: ProductId) -> Result<(ProductView, Vec<PriceRow>), AppError> {
        let product = catalog::product(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let prices = catalog::current_prices(self.db(), &[product.id], company_today())
            .await?
            .into_iter()
            .map(|(_, c, v)| (c, v))
            .collect();
        let history = catalog::price_history(self.db(), id.as_uuid()).await?;
        Ok((ProductView { product, prices }, history))
    }

    /// Every price names a known column and is not negative.
    async fn check_prices(&self, prices: &[(PriceColumnId, Money)]) -> Result<(), AppError> {
        let columns = catalog::price_columns(self.db()).await?;
        for (c, p) in prices {
            if !columns.iter().any(|col| col.id == c.as_uuid()) {
                return Err(FieldError::new("price_column_id", "unknown_price_column").into());
            }
            if p.is_negative() {
                return Err(FieldError::new("price", "negative").into());
            }
        }
        Ok(())
    }

    /// Adds a product with its first prices (valid from today).
    pub async fn create_product(
        &self,
        actor: &Actor,
        input: ProductInput,
        prices: Vec<(PriceColumnId, Money)>,
    ) -> Result<ProductId, AppError> {
        self.catalog_manager(actor, "product", None).await?;
        let clean = input.clean()?;
        self.check_prices(&prices).await?;
        let id = ProductId::new();
        let at = now();
        let today = company_today();
        let fields = clean.fields();
        let mut tx = self.db().begin().await?;
        match catalog::insert_product_tx(&mut tx, id.as_uuid(), &fields, at).await {
            Err(e) if e.is_unique_violation() => return Err(AppError::Duplicate { field: "sku" }),
            other => other?,
        }
        for (c, p) in &prices {
            catalog::set_price_tx(
                &mut tx,
                id.as_uuid(),
                c.as_uuid(),
                today,
                p.kopecks(),
                actor.user_id.as_uuid(),
                at,
            )
            .await?;
        }
        let changes = json!({
            "sku": clean.sku, "name": clean.name, "group": clean.group, "unit": clean.unit, "vat_category": input.vat_category,
            "cost_price": input.cost_price, "min_price": input.min_price,
            "prices": prices.iter().map(|(c, p)| json!({"price_column_id": c, "price": p})).collect::<Vec<_>>(),
        });
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "product",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_product(
        &self,
        actor: &Actor,
        id: ProductId,
        version: i64,
        input: ProductInput,
        archived: bool,
    ) -> Result<(), AppError> {
        self.catalog_manager(actor, "product", Some(id.as_uuid())).await?;
        let current = catalog::product(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let clean = input.clean()?;
        let at = now();
        let archived_at = match (archived, current.archived_at) {
            (true, Some(t)) => Some(t),
            (true, None) => Some(at),
            (false, _) => None,
        };
        let fields = clean.fields();
        let mut tx = self.db().begin().await?;
        match catalog::update_product_tx(&mut tx, id.as_uuid(), version, &fields, archived_at, at).await {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.conflict_of(id.as_uuid(), current.version).await);
            }
            Err(e) if e.is_unique_violation() => return Err(AppError::Duplicate { field: "sku" }),
            other => other?,
        };
        let changes = diff(&[
            ("sku", json!(current.sku), json!(clean.sku)),
            ("name", json!(current.name), json!(clean.name)),
            ("group", json!(current.group_name), json!(clean.group)),
            ("unit", json!(current.unit), json!(clean.unit)),
            ("vat_category", json!(current.vat_category), json!(input.vat_category)),
            (
                "cost_price",
                json!(Money::from_kopecks(current.cost_price)),
                json!(input.cost_price),
            ),
            (
                "min_price",
                json!(current.min_price.map(Money::from_kopecks)),
                json!(input.min_price),
            ),
            ("archived", json!(current.archived_at.is_some()), json!(archived)),
        ]);
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "product",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets prices of a product from a date (today or later: the past is history, not edited).
    pub async fn set_prices(
        &self,
        actor: &Actor,
        id: ProductId,
        valid_from: NaiveDate,
        prices: Vec<(PriceColumnId, Money)>,
    ) -> Result<(), AppError> {
        self.catalog_manager(actor, "product", Some(id.as_uuid())).await?;
        catalog::product(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        if valid_from < company_today() {
            return Err(FieldError::new("valid_from", "in_the_past").into());
        }
        if prices.is_empty() {
            return Err(FieldError::new("prices", "required").into());
        }
        self.check_prices(&prices).await?;
        let at = now();
        let mut tx = self.db().begin().await?;
        for (c, p) in &prices {
            catalog::set_price_tx(
                &mut tx,
                id.as_uuid(),
                c.as_uuid(),
                valid_from,
                p.kopecks(),
                actor.user_id.as_uuid(),
                at,
            )
            .await?;
        }
        let changes = json!({
            "valid_from": valid_from,
            "prices": prices.iter().map(|(c, p)| json!({"price_column_id": c, "price": p})).collect::<Vec<_>>(),
        });
        record_tx(
            &mut tx,
            By::actor(actor),
            "set_prices",
            "product",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // --- VAT -----------------------------------------------------------------------------------

    /// The VAT schedule in force (the stored table; the Russian defaults if it is empty).
    pub async fn vat_schedule(&self) -> Result<VatSchedule, AppError> {
        let rows = catalog::vat_rates(self.db()).await?;
        if rows.is_empty() {
            return Ok(VatSchedule::russian_default());
        }
        let periods = rows
            .iter()
            .map(|(c, from, r)| {
                Ok(VatPeriod {
                    category: VatCategory::parse(c)?,
                    valid_from: *from,
                    rate: VatRate::parse_code(r)?,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()?;
        Ok(VatSchedule::new(periods)?)
    }

    pub async fn set_vat_rates(&self, actor: &Actor, periods: Vec<VatPeriod>) -> Result<VatSchedule, AppError> {
        self.catalog_manager(actor, "vat_rates", None).await?;
        let before = self.vat_schedule().await?;
        let schedule = VatSchedule::new(periods)?;
        let codes: Vec<(String, NaiveDate, String)> = schedule
            .periods()
            .iter()
            .map(|p| (p.category.as_str().to_owned(), p.valid_from, p.rate.code()))
            .collect();
        let rows: Vec<(&str, NaiveDate, &str)> = codes.iter().map(|(c, d, r)| (c.as_str(), *d, r.as_str())).collect();
        let mut tx = self.db().begin().await?;
        catalog::replace_vat_rates_tx(&mut tx, &rows).await?;
        let changes = json!({ "periods": [before.periods(), schedule.periods()] });
        record_tx(&mut tx, By::actor(actor), "update", "vat_rates", None, changes).await?;
        tx.commit().await?;
        Ok(schedule)
    }

    // --- promotions ----------------------------------------------------------------------------

    pub async fn promotions(
        &self,
        _actor: &Actor,
        active_on: Option<NaiveDate>,
    ) -> Result<Vec<PromotionRow>, AppError> {
        Ok(catalog::promotions(self.db(), active_on).await?)
    }

    pub async fn promotion(&self, _actor: &Actor, id: PromotionId) -> Result<PromotionRow, AppError> {
        catalog::promotion(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    fn promotion_row(
        id: PromotionId,
        input: &PromotionInput,
        version: i64,
        created_by: Option<Uuid>,
        created_at: DateTime<Utc>,
        archived_at: Option<DateTime<Utc>>,
    ) -> Result<PromotionRow, AppError> {
        // Checked by the domain type first: period, share, name.
        let promo = Promotion::new(
            id,
            input.name.clone(),
            input.kind,
            input.valid_from,
            input.valid_to,
            ProductScope {
                products: input.products.clone(),
                groups: input.groups.clone(),
            },
            Segment {
                tiers: input.tiers.clone(),
                statuses: input.statuses.clone(),
            },
        )?;
        let to_json = |v: serde_json::Value| v.to_string();
        Ok(PromotionRow {
            id: id.as_uuid(),
            name: text(promo.name(), "name", 200)?,
            kind: match promo.kind() {
                PromotionKind::Discount(_) => "discount".into(),
                PromotionKind::Bonus(_) => "bonus".into(),
            },
            rate: promo.kind().share().basis_points() as i32,
            valid_from: promo.valid_from(),
            valid_to: promo.valid_to(),
            product_ids: to_json(json!(input.products)),
            product_groups: to_json(json!(input.groups)),
            tiers: to_json(json!(input.tiers)),
            statuses: to_json(json!(input.statuses)),
            archived_at,
            version,
            created_by,
            created_at,
            updated_at: now(),
        })
    }

    pub async fn create_promotion(&self, actor: &Actor, input: PromotionInput) -> Result<PromotionRow, AppError> {
        self.catalog_manager(actor, "promotion", None).await?;
        let at = now();
        let row = Self::promotion_row(PromotionId::new(), &input, 1, Some(actor.user_id.as_uuid()), at, None)?;
        let mut tx = self.db().begin().await?;
        catalog::insert_promotion_tx(&mut tx, &row).await?;
        let changes = json!({
            "name": row.name, "kind": row.kind, "rate": row.rate, "valid_from": row.valid_from,
            "valid_to": row.valid_to, "products": input.products, "groups": input.groups,
            "tiers": input.tiers, "statuses": input.statuses,
        });
        record_tx(&mut tx, By::actor(actor), "create", "promotion", Some(row.id), changes).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn update_promotion(
        &self,
        actor: &Actor,
        id: PromotionId,
        version: i64,
        input: PromotionInput,
        archived: bool,
    ) -> Result<PromotionRow, AppError> {
        self.catalog_manager(actor, "promotion", Some(id.as_uuid())).await?;
        let current = self.promotion(actor, id).await?;
        let archived_at = match (archived, current.archived_at) {
            (true, Some(t)) => Some(t),
            (true, None) => Some(now()),
            (false, _) => None,
        };
        let row = Self::promotion_row(id, &input, version, current.created_by, current.created_at, archived_at)?;
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = catalog::update_promotion_tx(&mut tx, &row).await {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), current.version).await);
        }
        let changes = diff(&[
            ("name", json!(current.name), json!(row.name)),
            ("kind", json!(current.kind), json!(row.kind)),
            ("rate", json!(current.rate), json!(row.rate)),
            ("valid_from", json!(current.valid_from), json!(row.valid_from)),
            ("valid_to", json!(current.valid_to), json!(row.valid_to)),
            ("products", json!(current.product_ids), json!(row.product_ids)),
            ("groups", json!(current.product_groups), json!(row.product_groups)),
            ("tiers", json!(current.tiers), json!(row.tiers)),
            ("statuses", json!(current.statuses), json!(row.statuses)),
            ("archived", json!(current.archived_at.is_some()), json!(archived)),
        ]);
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "promotion",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        self.promotion(actor, id).await
    }

    // --- discount limits -------------------------------------------------------------------------

    /// A user's own discount limit.
    pub async fn discount_limit(&self, user: UserId) -> Result<Discount, AppError> {
        let bp = users::discount_limit(self.db(), user.as_uuid()).await?.unwrap_or(0);
        Ok(Discount::from_basis_points(bp.clamp(0, 10_000) as u32)?)
    }

    /// Sets a user's discount limit: the head for the department, the commercial director or
    /// the administrator for anyone.
    pub async fn set_discount_limit(&self, actor: &Actor, user: UserId, limit: Discount) -> Result<(), AppError> {
        // A user outside the actor's directory is not found (like everywhere else), so the
        // answer does not tell whether the id exists.
        let target = self.user(actor, user).await?;
        let may = match actor.role {
            Role::CommercialDirector | Role::Administrator => true,
            Role::HeadOfDepartment => {
                actor.department_id.is_some()
                    && actor.department_id.map(|d| d.as_uuid()) == target.department_id
                    && target.id != actor.user_id.as_uuid()
            }
            _ => false,
        };
        if !may {
            return Err(self
                .deny(actor, "user", Some(user.as_uuid()), AppError::Forbidden)
                .await);
        }
        let before = self.discount_limit(user).await?;
        let mut tx = self.db().begin().await?;
        users::set_discount_limit_tx(&mut tx, user.as_uuid(), limit.basis_points() as i32).await?;
        let changes = diff(&[("discount_limit", json!(before), json!(limit))]);
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "user",
            Some(user.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
