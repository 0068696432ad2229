//! Commercial offers (one row per revision, with their priced lines), approval requests,
//! document numbering, company settings, and the order draft an accepted offer becomes.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferRow {
    pub id: Uuid,
    pub number: String,
    pub revision: i32,
    pub deal_id: Uuid,
    pub deal_title: String,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub status: String,
    pub approval: String,
    pub price_column_id: Option<Uuid>,
    pub vat_mode: String,
    pub rounding: String,
    pub priced_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub intro: String,
    pub total_without_vat: i64,
    pub total_vat: i64,
    pub total_with_vat: i64,
    pub total_discount: i64,
    pub total_bonus: i64,
    pub order_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT o.id, o.number, o.revision, o.deal_id, d.title AS deal_title, o.counterparty_id, \
    c.name AS counterparty_name, c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, \
    o.owner_id, u.display_name AS owner_name, o.status, o.approval, o.price_column_id, o.vat_mode, o.rounding, \
    o.priced_on, o.valid_until, o.intro, o.total_without_vat, o.total_vat, o.total_with_vat, o.total_discount, \
    o.total_bonus, o.order_id, o.version, o.created_at, o.updated_at, o.sent_at, o.decided_at \
    FROM offers o JOIN deals d ON d.id = o.deal_id JOIN counterparties c ON c.id = o.counterparty_id \
    LEFT JOIN users u ON u.id = o.owner_id";

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<OfferRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE o.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, OfferRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Every revision of every offer of a deal, newest first.
pub async fn of_deal(db: &Db, deal: Uuid) -> Result<Vec<OfferRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE o.deal_id = $1 ORDER BY o.number DESC, o.revision DESC"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, OfferRow>(sql).bind(deal).fetch_all(pool).await?))
}

/// Every revision of one offer number, oldest first.
pub async fn revisions(db: &Db, number: &str) -> Result<Vec<OfferRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE o.number = $1 ORDER BY o.revision"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, OfferRow>(sql).bind(number).fetch_all(pool).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferLineRow {
    pub line_no: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub list_price: i64,
    pub manual_discount: i32,
    pub promotion_id: Option<Uuid>,
    pub promotion_name: Option<String>,
    pub promotion_discount: i32,
    pub bonus_promotion_id: Option<Uuid>,
    pub bonus_rate: i32,
    pub unit_price: i64,
    pub vat_rate: String,
    pub amount_without_vat: i64,
    pub vat_amount: i64,
    pub amount_with_vat: i64,
    pub discount_amount: i64,
    pub bonus: i64,
}

pub async fn lines(db: &Db, offer: Uuid) -> Result<Vec<OfferLineRow>, DbError> {
    let sql = "SELECT l.line_no, l.product_id, p.sku, p.name, p.unit, l.quantity, l.list_price, l.manual_discount, \
               l.promotion_id, pr.name AS promotion_name, l.promotion_discount, l.bonus_promotion_id, l.bonus_rate, \
               l.unit_price, l.vat_rate, l.amount_without_vat, l.vat_amount, l.amount_with_vat, l.discount_amount, \
               l.bonus FROM offer_lines l JOIN products p ON p.id = l.product_id \
               LEFT JOIN promotions pr ON pr.id = l.promotion_id WHERE l.offer_id = $1 ORDER BY l.line_no";
    Ok(db_run!(db, pool => sqlx::query_as::<_, OfferLineRow>(sql).bind(offer).fetch_all(pool).await?))
}

/// An offer's header as written (totals included).
pub struct OfferHeader<'a> {
    pub status: &'a str,
    pub approval: &'a str,
    pub price_column_id: Option<Uuid>,
    pub vat_mode: &'a str,
    pub rounding: &'a str,
    pub priced_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub intro: &'a str,
    pub total_without_vat: i64,
    pub total_vat: i64,
    pub total_with_vat: i64,
    pub total_discount: i64,
    pub total_bonus: i64,
}

/// A priced line as written.
pub struct NewOfferLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub list_price: i64,
    pub manual_discount: i32,
    pub promotion_id: Option<Uuid>,
    pub promotion_discount: i32,
    pub bonus_promotion_id: Option<Uuid>,
    pub bonus_rate: i32,
    pub unit_price: i64,
    pub vat_rate: String,
    pub amount_without_vat: i64,
    pub vat_amount: i64,
    pub amount_with_vat: i64,
    pub discount_amount: i64,
    pub bonus: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    revision: i32,
    deal: Uuid,
    counterparty: Uuid,
    owner: Option<Uuid>,
    h: &OfferHeader<'_>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO offers (id, number, revision, deal_id, counterparty_id, owner_id, status, approval, \
             price_column_id, vat_mode, rounding, priced_on, valid_until, intro, total_without_vat, total_vat, \
             total_with_vat, total_discount, total_bonus, version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $21, $21)",
        )
        .bind(id).bind(number).bind(revision).bind(deal).bind(counterparty).bind(owner).bind(h.status)
        .bind(h.approval).bind(h.price_column_id).bind(h.vat_mode).bind(h.rounding).bind(h.priced_on)
        .bind(h.valid_until).bind(h.intro).bind(h.total_without_vat).bind(h.total_vat).bind(h.total_with_vat)
        .bind(h.total_discount).bind(h.total_bonus).bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

/// Rewrites a draft's header if `version` is current.
pub async fn update_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    h: &OfferHeader<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE offers SET status = $1, approval = $2, price_column_id = $3, vat_mode = $4, rounding = $5, \
         priced_on = $6, valid_until = $7, intro = $8, total_without_vat = $9, total_vat = $10, total_with_vat = $11, \
         total_discount = $12, total_bonus = $13, updated_at = $14, version = version + 1 \
         WHERE id = $15 AND version = $16",
    )
    .bind(h.status).bind(h.approval).bind(h.price_column_id).bind(h.vat_mode).bind(h.rounding).bind(h.priced_on)
    .bind(h.valid_until).bind(h.intro).bind(h.total_without_vat).bind(h.total_vat).bind(h.total_with_vat)
    .bind(h.total_discount).bind(h.total_bonus).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Moves an offer to another status (and approval state) if `version` is current, stamping
/// `sent_at` or `decided_at` as the status asks.
#[allow(clippy::too_many_arguments)]
pub async fn set_status_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    status: &str,
    approval: &str,
    sent_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE offers SET status = $1, approval = $2, sent_at = COALESCE($3, sent_at), \
         decided_at = COALESCE($4, decided_at), updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(status).bind(approval).bind(sent_at).bind(decided_at).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

pub async fn set_order_tx(tx: &mut Tx, id: Uuid, order: Uuid) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("UPDATE offers SET order_id = $1 WHERE id = $2").bind(order).bind(id).execute(conn).await?;
    });
    Ok(())
}

/// Replaces every line of an offer.
pub async fn replace_lines_tx(tx: &mut Tx, offer: Uuid, lines: &[NewOfferLine]) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM offer_lines WHERE offer_id = $1").bind(offer).execute(&mut *conn).await?;
    });
    // Multi-row INSERT in chunks (17 columns; both databases allow far more parameters).
    for (chunk_no, chunk) in lines.chunks(500).enumerate() {
        let mut sql = String::from(
            "INSERT INTO offer_lines (offer_id, line_no, product_id, quantity, list_price, manual_discount, \
             promotion_id, promotion_discount, bonus_promotion_id, bonus_rate, unit_price, vat_rate, \
             amount_without_vat, vat_amount, amount_with_vat, discount_amount, bonus) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 17;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&(1..=17).map(|k| format!("${}", b + k)).collect::<Vec<_>>().join(", "));
            sql.push(')');
        }
        let sql = sqlx::AssertSqlSafe(sql);
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for (i, l) in chunk.iter().enumerate() {
                let line_no = (chunk_no * 500 + i + 1) as i32;
                q = q.bind(offer).bind(line_no).bind(l.product_id).bind(l.quantity).bind(l.list_price)
                    .bind(l.manual_discount).bind(l.promotion_id).bind(l.promotion_discount).bind(l.bonus_promotion_id)
                    .bind(l.bonus_rate).bind(l.unit_price).bind(&l.vat_rate).bind(l.amount_without_vat)
                    .bind(l.vat_amount).bind(l.amount_with_vat).bind(l.discount_amount).bind(l.bonus);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Marks every other live revision of `number` superseded.
pub async fn supersede_tx(tx: &mut Tx, number: &str, keep: Uuid, now: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query(
        "UPDATE offers SET status = 'superseded', updated_at = $1, version = version + 1 \
         WHERE number = $2 AND id <> $3 AND status IN ('draft', 'sent')",
    )
    .bind(now).bind(number).bind(keep)
    .execute(conn).await?.rows_affected()))
}

/// The next number of a document kind (1, 2, …), taken inside the writing transaction.
pub async fn next_number_tx(tx: &mut Tx, name: &str) -> Result<i64, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query_scalar::<_, i64>(
        "INSERT INTO number_sequences (name, last_value) VALUES ($1, 1) \
         ON CONFLICT (name) DO UPDATE SET last_value = number_sequences.last_value + 1 RETURNING last_value",
    )
    .bind(name)
    .fetch_one(conn).await?))
}

// --- approvals ------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApprovalRow {
    pub id: Uuid,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub requested_by: Option<Uuid>,
    pub requested_by_name: Option<String>,
    pub reason: String,
    pub details: String,
    pub status: String,
    pub decided_by: Option<Uuid>,
    pub decided_by_name: Option<String>,
    pub comment: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

const APPROVAL: &str = "SELECT a.id, a.subject_kind, a.subject_id, a.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, a.department_id, a.requested_by, r.display_name AS requested_by_name, \
    a.reason, a.details, a.status, a.decided_by, d.display_name AS decided_by_name, a.comment, a.version, \
    a.created_at, a.decided_at FROM approvals a JOIN counterparties c ON c.id = a.counterparty_id \
    LEFT JOIN users r ON r.id = a.requested_by LEFT JOIN users d ON d.id = a.decided_by";

pub async fn approval(db: &Db, id: Uuid) -> Result<Option<ApprovalRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{APPROVAL} WHERE a.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ApprovalRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Approval requests of one subject, newest first.
pub async fn approvals_of(db: &Db, kind: &str, subject: Uuid) -> Result<Vec<ApprovalRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{APPROVAL} WHERE a.subject_kind = $1 AND a.subject_id = $2 ORDER BY a.created_at DESC"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ApprovalRow>(sql).bind(kind).bind(subject).fetch_all(pool).await?))
}

/// Requests in `status` for these departments (`None`: every department), oldest first.
pub async fn approvals(
    db: &Db,
    departments: Option<&[Uuid]>,
    status: &str,
    limit: i64,
) -> Result<Vec<ApprovalRow>, DbError> {
    let mut sql = format!("{APPROVAL} WHERE a.status = $1");
    let ids = departments.unwrap_or(&[]);
    if let Some(d) = departments {
        if d.is_empty() {
            return Ok(Vec::new());
        }
        sql.push_str(&format!(
            " AND a.department_id IN ({})",
            (2..2 + d.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
        ));
    }
    let order = if status == "pending" { "ASC" } else { "DESC" };
    sql.push_str(&format!(
        " ORDER BY a.created_at {order} LIMIT {}",
        limit.clamp(1, 1000)
    ));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, ApprovalRow>(sql).bind(status);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await?
    }))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_approval_tx(
    tx: &mut Tx,
    id: Uuid,
    kind: &str,
    subject: Uuid,
    counterparty: Uuid,
    department: Option<Uuid>,
    requested_by: Uuid,
    reason: &str,
    details: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO approvals (id, subject_kind, subject_id, counterparty_id, department_id, requested_by, reason, \
             details, status, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 1, $9)",
        )
        .bind(id).bind(kind).bind(subject).bind(counterparty).bind(department).bind(requested_by).bind(reason)
        .bind(details).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

/// Decides a pending request if `version` is current.
pub async fn decide_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    status: &str,
    by: Uuid,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE approvals SET status = $1, decided_by = $2, comment = $3, decided_at = $4, version = version + 1 \
         WHERE id = $5 AND version = $6 AND status = 'pending'",
    )
    .bind(status).bind(by).bind(comment).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Withdraws the pending requests of a subject (its draft changed or a new revision replaced it).
pub async fn withdraw_pending_tx(tx: &mut Tx, kind: &str, subject: Uuid, now: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query(
        "UPDATE approvals SET status = 'withdrawn', decided_at = $1, version = version + 1 \
         WHERE subject_kind = $2 AND subject_id = $3 AND status = 'pending'",
    )
    .bind(now).bind(kind).bind(subject)
    .execute(conn).await?.rows_affected()))
}

// --- settings ------------------------------------------------------------------------------

/// A stored setting (JSON) and its version.
pub async fn setting(db: &Db, key: &str) -> Result<Option<(String, i64)>, DbError> {
    let sql = "SELECT value, version FROM settings WHERE key = $1";
    Ok(db_run!(db, pool => sqlx::query_as::<_, (String, i64)>(sql).bind(key).fetch_optional(pool).await?))
}

/// Stores a setting if `version` is the one read (0: none stored yet).
pub async fn put_setting_tx(
    tx: &mut Tx,
    key: &str,
    value: &str,
    version: i64,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = if version == 0 {
        tx_run!(tx, conn => sqlx::query(
            "INSERT INTO settings (key, value, version, updated_by, updated_at) VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(key).bind(value).bind(by).bind(now)
        .execute(conn).await?.rows_affected())
    } else {
        tx_run!(tx, conn => sqlx::query(
            "UPDATE settings SET value = $1, version = version + 1, updated_by = $2, updated_at = $3 \
             WHERE key = $4 AND version = $5",
        )
        .bind(value).bind(by).bind(now).bind(key).bind(version)
        .execute(conn).await?.rows_affected())
    };
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

// --- order drafts ---------------------------------------------------------------------------

/// A line of an order draft.
pub struct NewOrderLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub price: i64,
    pub discount: i32,
    pub vat_rate: String,
    pub amount: i64,
    pub vat_amount: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_order_draft_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    counterparty: Uuid,
    owner: Option<Uuid>,
    offer: Uuid,
    deal: Uuid,
    ordered_on: NaiveDate,
    total: i64,
    lines: &[NewOrderLine],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO orders (id, number, counterparty_id, owner_id, status, ordered_on, total, created_at, offer_id, \
             deal_id, version) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, 1)",
        )
        .bind(id).bind(number).bind(counterparty).bind(owner).bind(ordered_on).bind(total).bind(now).bind(offer)
        .bind(deal)
        .execute(&mut *conn).await?;
        for (i, l) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line_no, product_id, quantity, price, discount, vat_rate, amount, \
                 vat_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(id).bind(i as i32 + 1).bind(l.product_id).bind(l.quantity).bind(l.price).bind(l.discount)
            .bind(&l.vat_rate).bind(l.amount).bind(l.vat_amount)
            .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Stores a setting unless one is stored already (demo data, first start).
pub async fn put_setting_if_absent_tx(tx: &mut Tx, key: &str, value: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO settings (key, value, version, updated_at) VALUES ($1, $2, 1, $3) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key).bind(value).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}
