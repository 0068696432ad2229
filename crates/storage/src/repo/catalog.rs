//! The catalogue: price columns, products with their price history, VAT rates by date, and
//! promotions (discount and bonus programmes).
//!
//! A price is never overwritten: setting a price adds a row valid from a date, so the price of
//! any product in any column on any day can be read back (`valid_from <= day`, newest first).

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

fn list(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// --- price columns -----------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PriceColumnRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub sort_order: i32,
    pub version: i64,
}

pub async fn price_columns(db: &Db) -> Result<Vec<PriceColumnRow>, DbError> {
    let sql = "SELECT id, code, name, sort_order, version FROM price_columns ORDER BY sort_order, name";
    Ok(db_run!(db, pool => sqlx::query_as::<_, PriceColumnRow>(sql).fetch_all(pool).await?))
}

pub async fn price_column(db: &Db, id: Uuid) -> Result<Option<PriceColumnRow>, DbError> {
    let sql = "SELECT id, code, name, sort_order, version FROM price_columns WHERE id = $1";
    Ok(db_run!(db, pool => sqlx::query_as::<_, PriceColumnRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn insert_price_column_tx(tx: &mut Tx, c: &PriceColumnRow) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("INSERT INTO price_columns (id, code, name, sort_order, version) VALUES ($1, $2, $3, $4, 1)")
            .bind(c.id).bind(&c.code).bind(&c.name).bind(c.sort_order)
            .execute(conn).await?;
    });
    Ok(())
}

/// Renames / reorders a column if `version` is current.
pub async fn update_price_column_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    name: &str,
    sort_order: i32,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE price_columns SET name = $1, sort_order = $2, version = version + 1 WHERE id = $3 AND version = $4",
    )
    .bind(name).bind(sort_order).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

// --- products ------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub group_name: String,
    pub unit: String,
    pub vat_category: String,
    pub cost_price: i64,
    pub min_price: Option<i64>,
    pub archived_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

const PRODUCT: &str = "SELECT id, sku, name, group_name, unit, vat_category, cost_price, min_price, archived_at, \
    version, created_at, updated_at FROM products";

/// A product with its price in one column on one day (for pricing lines).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PricedProductRow {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub group_name: String,
    pub unit: String,
    pub vat_category: String,
    pub min_price: Option<i64>,
    pub archived_at: Option<DateTime<Utc>>,
    pub price: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    /// Normalized words that must all occur in the SKU or name.
    pub words: Vec<String>,
    pub group: Option<String>,
    pub include_archived: bool,
    pub limit: i64,
    pub offset: i64,
}

fn product_where(f: &ProductFilter, sql: &mut String, binds: &mut Vec<String>) {
    sql.push_str(" WHERE 1 = 1");
    if !f.include_archived {
        sql.push_str(" AND archived_at IS NULL");
    }
    if let Some(g) = &f.group {
        binds.push(g.clone());
        sql.push_str(&format!(" AND group_name = ${}", binds.len()));
    }
    for w in &f.words {
        binds.push(format!(
            "%{}%",
            w.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
        ));
        sql.push_str(&format!(" AND search_key LIKE ${} ESCAPE '\\'", binds.len()));
    }
}

/// One page of products by group and name, and how many match in all.
pub async fn products(db: &Db, f: &ProductFilter) -> Result<(Vec<ProductRow>, i64), DbError> {
    let mut where_ = String::new();
    let mut binds = Vec::new();
    product_where(f, &mut where_, &mut binds);
    let page = sqlx::AssertSqlSafe(format!(
        "{PRODUCT}{where_} ORDER BY group_name, name, id LIMIT {} OFFSET {}",
        f.limit.clamp(1, 1000),
        f.offset.max(0)
    ));
    let count = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM products{where_}"));
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, ProductRow>(page);
        let mut c = sqlx::query_scalar::<_, i64>(count);
        for b in &binds {
            q = q.bind(b);
            c = c.bind(b);
        }
        (q.fetch_all(pool).await?, c.fetch_one(pool).await?)
    }))
}

pub async fn product(db: &Db, id: Uuid) -> Result<Option<ProductRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{PRODUCT} WHERE id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ProductRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Assortment groups with their product counts.
pub async fn groups(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    let sql =
        "SELECT group_name, COUNT(*) FROM products WHERE archived_at IS NULL GROUP BY group_name ORDER BY group_name";
    Ok(db_run!(db, pool => sqlx::query_as::<_, (String, i64)>(sql).fetch_all(pool).await?))
}

/// Products by id with their price in `column` on `day` (missing ids are simply absent).
pub async fn priced_products(
    db: &Db,
    ids: &[Uuid],
    column: Uuid,
    day: NaiveDate,
) -> Result<Vec<PricedProductRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT p.id, p.sku, p.name, p.group_name, p.unit, p.vat_category, p.min_price, p.archived_at, \
         (SELECT pp.price FROM product_prices pp WHERE pp.product_id = p.id AND pp.price_column_id = $1 \
          AND pp.valid_from <= $2 ORDER BY pp.valid_from DESC LIMIT 1) AS price \
         FROM products p WHERE p.id IN ({})",
        list(3, ids.len())
    ));
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, PricedProductRow>(sql).bind(column).bind(day);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await?
    }))
}

/// The price in force on `day` for every column of the given products: (product, column, price).
pub async fn current_prices(db: &Db, ids: &[Uuid], day: NaiveDate) -> Result<Vec<(Uuid, Uuid, i64)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT pp.product_id, pp.price_column_id, pp.price FROM product_prices pp \
         WHERE pp.product_id IN ({}) AND pp.valid_from = (SELECT MAX(q.valid_from) FROM product_prices q \
         WHERE q.product_id = pp.product_id AND q.price_column_id = pp.price_column_id AND q.valid_from <= $1)",
        list(2, ids.len())
    ));
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, (Uuid, Uuid, i64)>(sql).bind(day);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await?
    }))
}

/// One row of a product's price history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PriceRow {
    pub price_column_id: Uuid,
    pub valid_from: NaiveDate,
    pub price: i64,
    pub set_by: Option<Uuid>,
    pub set_by_name: Option<String>,
    pub set_at: Option<DateTime<Utc>>,
}

pub async fn price_history(db: &Db, product: Uuid) -> Result<Vec<PriceRow>, DbError> {
    let sql = "SELECT pp.price_column_id, pp.valid_from, pp.price, pp.set_by, u.display_name AS set_by_name, pp.set_at \
               FROM product_prices pp LEFT JOIN users u ON u.id = pp.set_by \
               WHERE pp.product_id = $1 ORDER BY pp.valid_from DESC, pp.price_column_id";
    Ok(db_run!(db, pool => sqlx::query_as::<_, PriceRow>(sql).bind(product).fetch_all(pool).await?))
}

/// A product's fields as written.
pub struct ProductFields<'a> {
    pub sku: &'a str,
    pub name: &'a str,
    pub group_name: &'a str,
    pub unit: &'a str,
    pub vat_category: &'a str,
    pub cost_price: i64,
    pub min_price: Option<i64>,
    pub search_key: &'a str,
}

pub async fn insert_product_tx(
    tx: &mut Tx,
    id: Uuid,
    p: &ProductFields<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO products (id, sku, name, group_name, unit, vat_category, cost_price, min_price, search_key, \
             version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
        )
        .bind(id).bind(p.sku).bind(p.name).bind(p.group_name).bind(p.unit).bind(p.vat_category).bind(p.cost_price)
        .bind(p.min_price).bind(p.search_key).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

pub async fn update_product_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    p: &ProductFields<'_>,
    archived_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE products SET sku = $1, name = $2, group_name = $3, unit = $4, vat_category = $5, cost_price = $6, \
         min_price = $7, search_key = $8, archived_at = $9, updated_at = $10, version = version + 1 \
         WHERE id = $11 AND version = $12",
    )
    .bind(p.sku).bind(p.name).bind(p.group_name).bind(p.unit).bind(p.vat_category).bind(p.cost_price)
    .bind(p.min_price).bind(p.search_key).bind(archived_at).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Sets a product's price in a column from a date (a second price for the same day replaces
/// the first: a correction, not a change of price).
pub async fn set_price_tx(
    tx: &mut Tx,
    product: Uuid,
    column: Uuid,
    valid_from: NaiveDate,
    price: i64,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO product_prices (product_id, price_column_id, valid_from, price, set_by, set_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (product_id, price_column_id, valid_from) \
             DO UPDATE SET price = excluded.price, set_by = excluded.set_by, set_at = excluded.set_at",
        )
        .bind(product).bind(column).bind(valid_from).bind(price).bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

// --- VAT --------------------------------------------------------------------------------

/// (category, valid_from, rate code)
pub async fn vat_rates(db: &Db) -> Result<Vec<(String, NaiveDate, String)>, DbError> {
    let sql = "SELECT category, valid_from, rate FROM vat_rates ORDER BY category, valid_from";
    Ok(db_run!(db, pool => sqlx::query_as::<_, (String, NaiveDate, String)>(sql).fetch_all(pool).await?))
}

/// Replaces the whole VAT table.
pub async fn replace_vat_rates_tx(tx: &mut Tx, rows: &[(&str, NaiveDate, &str)]) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM vat_rates").execute(&mut *conn).await?;
        for (category, from, rate) in rows {
            sqlx::query("INSERT INTO vat_rates (category, valid_from, rate) VALUES ($1, $2, $3)")
                .bind(*category).bind(*from).bind(*rate)
                .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

// --- promotions --------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PromotionRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub rate: i32,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// JSON lists.
    pub product_ids: String,
    pub product_groups: String,
    pub tiers: String,
    pub statuses: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const PROMOTION: &str = "SELECT id, name, kind, rate, valid_from, valid_to, product_ids, product_groups, tiers, \
    statuses, archived_at, version, created_by, created_at, updated_at FROM promotions";

/// Promotions, newest first; with `active_on`, only those live on that day.
pub async fn promotions(db: &Db, active_on: Option<NaiveDate>) -> Result<Vec<PromotionRow>, DbError> {
    Ok(match active_on {
        Some(day) => {
            let sql = sqlx::AssertSqlSafe(format!(
                "{PROMOTION} WHERE archived_at IS NULL AND valid_from <= $1 AND valid_to >= $1 ORDER BY valid_from DESC"
            ));
            db_run!(db, pool => sqlx::query_as::<_, PromotionRow>(sql).bind(day).fetch_all(pool).await?)
        }
        None => {
            let sql = sqlx::AssertSqlSafe(format!("{PROMOTION} ORDER BY valid_to DESC, name"));
            db_run!(db, pool => sqlx::query_as::<_, PromotionRow>(sql).fetch_all(pool).await?)
        }
    })
}

pub async fn promotion(db: &Db, id: Uuid) -> Result<Option<PromotionRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{PROMOTION} WHERE id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, PromotionRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn insert_promotion_tx(tx: &mut Tx, p: &PromotionRow) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO promotions (id, name, kind, rate, valid_from, valid_to, product_ids, product_groups, tiers, \
             statuses, archived_at, version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, $13)",
        )
        .bind(p.id).bind(&p.name).bind(&p.kind).bind(p.rate).bind(p.valid_from).bind(p.valid_to)
        .bind(&p.product_ids).bind(&p.product_groups).bind(&p.tiers).bind(&p.statuses).bind(p.archived_at)
        .bind(p.created_by).bind(p.created_at)
        .execute(conn).await?;
    });
    Ok(())
}

pub async fn update_promotion_tx(tx: &mut Tx, p: &PromotionRow) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE promotions SET name = $1, kind = $2, rate = $3, valid_from = $4, valid_to = $5, product_ids = $6, \
         product_groups = $7, tiers = $8, statuses = $9, archived_at = $10, updated_at = $11, version = version + 1 \
         WHERE id = $12 AND version = $13",
    )
    .bind(&p.name).bind(&p.kind).bind(p.rate).bind(p.valid_from).bind(p.valid_to).bind(&p.product_ids)
    .bind(&p.product_groups).bind(&p.tiers).bind(&p.statuses).bind(p.archived_at).bind(p.updated_at)
    .bind(p.id).bind(p.version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(p.version + 1)
    }
}

/// (SKU, id) of the products with these SKUs (compared case-insensitively).
pub async fn ids_by_sku(db: &Db, skus: &[String]) -> Result<Vec<(String, Uuid)>, DbError> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT sku, id FROM products WHERE UPPER(sku) IN ({})",
        list(1, skus.len())
    ));
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, (String, Uuid)>(sql);
        for s in skus {
            q = q.bind(s.to_ascii_uppercase());
        }
        q.fetch_all(pool).await?
    }))
}
