//! Orders and their lines, shipments, invoices, payments and their allocation, and the
//! receivables read from them (a client's balance, aging by client, manager and department).
//!
//! An invoice's open amount is `total - paid - credited - written_off`; the partial index
//! `invoices_open` holds only invoices where it is positive, so balances and aging read open
//! debt without touching the settled history. Amounts move only by guarded increments
//! (`paid + x <= total`, `allocated + x <= amount`), so two concurrent allocations can never
//! spend one payment twice or pay one invoice twice: the second finds no row to update.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::repo::Scope;
use crate::{Db, DbError, Tx, db_run, tx_run};

/// The open-invoice predicate, written exactly as in the partial index so both planners use it.
pub const OPEN: &str = "i.paid + i.credited + i.written_off < i.total";

// --- orders ---------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub number: String,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub status: String,
    pub ordered_on: NaiveDate,
    pub total: i64,
    pub total_vat: i64,
    pub price_column_id: Option<Uuid>,
    pub comment: String,
    pub credit_check: Option<String>,
    pub credit_hold: bool,
    pub shipped_amount: i64,
    pub invoiced_amount: i64,
    pub cancel_reason: Option<String>,
    pub offer_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

const ORDER_SELECT: &str = "SELECT o.id, o.number, o.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, o.owner_id, \
    u.display_name AS owner_name, o.status, o.ordered_on, o.total, o.total_vat, o.price_column_id, o.comment, \
    o.credit_check, o.credit_hold, o.shipped_amount, o.invoiced_amount, o.cancel_reason, o.offer_id, o.deal_id, \
    o.version, o.created_at, o.submitted_at \
    FROM orders o JOIN counterparties c ON c.id = o.counterparty_id LEFT JOIN users u ON u.id = o.owner_id";

pub async fn order(db: &Db, id: Uuid) -> Result<Option<OrderRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE o.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, OrderRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn order_tx(tx: &mut Tx, id: Uuid) -> Result<Option<OrderRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{ORDER_SELECT} WHERE o.id = $1"));
    Ok(tx_run!(tx, conn => sqlx::query_as::<_, OrderRow>(sql).bind(id).fetch_optional(conn).await?))
}

/// What an order list is filtered by.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub counterparty: Option<Uuid>,
    /// Orders held by the credit check and waiting for a decision.
    pub credit_hold: bool,
}

/// Orders in the scope, newest first.
pub async fn orders(
    db: &Db,
    scope: &Scope,
    filter: &OrderFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<OrderRow>, DbError> {
    let mut sql = format!("{ORDER_SELECT} WHERE 1 = 1");
    let mut n = 0;
    let mut texts = Vec::new();
    let mut ids = Vec::new();
    if let Some(s) = &filter.status {
        n += 1;
        sql.push_str(&format!(" AND o.status = ${n}"));
        texts.push(s.clone());
    }
    if let Some(c) = filter.counterparty {
        n += 1;
        sql.push_str(&format!(" AND o.counterparty_id = ${n}"));
        ids.push(c);
    }
    if filter.credit_hold {
        sql.push_str(" AND o.credit_hold = TRUE");
    }
    let scoped = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    sql.push_str(&format!(
        " ORDER BY o.created_at DESC, o.id DESC LIMIT {limit} OFFSET {offset}"
    ));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, OrderRow>(sql);
        for t in &texts { q = q.bind(t); }
        for i in &ids { q = q.bind(*i); }
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    }))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderLineRow {
    pub line_no: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub price: i64,
    pub discount: i32,
    pub vat_rate: String,
    pub amount: i64,
    pub vat_amount: i64,
    pub shipped_qty: i64,
    pub returned_qty: i64,
}

const LINE_SELECT: &str = "SELECT l.line_no, l.product_id, p.sku, p.name, p.unit, l.quantity, l.price, l.discount, \
    l.vat_rate, l.amount, l.vat_amount, l.shipped_qty, l.returned_qty FROM order_lines l \
    JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.line_no";

pub async fn order_lines(db: &Db, order: Uuid) -> Result<Vec<OrderLineRow>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, OrderLineRow>(LINE_SELECT).bind(order).fetch_all(pool).await?))
}

pub async fn order_lines_tx(tx: &mut Tx, order: Uuid) -> Result<Vec<OrderLineRow>, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query_as::<_, OrderLineRow>(LINE_SELECT).bind(order).fetch_all(conn).await?))
}

/// A priced order line as written.
pub struct NewLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub price: i64,
    pub discount: i32,
    pub vat_rate: String,
    pub amount: i64,
    pub vat_amount: i64,
}

/// A new order's header.
pub struct NewOrder<'a> {
    pub id: Uuid,
    pub number: &'a str,
    pub counterparty_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub ordered_on: NaiveDate,
    pub price_column_id: Option<Uuid>,
    pub comment: &'a str,
    pub total: i64,
    pub total_vat: i64,
    pub created_by: Uuid,
}

pub async fn insert_order_tx(
    tx: &mut Tx,
    o: &NewOrder<'_>,
    lines: &[NewLine],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO orders (id, number, counterparty_id, owner_id, status, ordered_on, total, total_vat, \
             price_column_id, comment, created_by, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $11, 1)",
        )
        .bind(o.id).bind(o.number).bind(o.counterparty_id).bind(o.owner_id).bind(o.ordered_on).bind(o.total)
        .bind(o.total_vat).bind(o.price_column_id).bind(o.comment).bind(o.created_by).bind(now)
        .execute(&mut *conn).await?;
    });
    insert_lines_tx(tx, o.id, lines).await
}

async fn insert_lines_tx(tx: &mut Tx, order: Uuid, lines: &[NewLine]) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        for (i, l) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line_no, product_id, quantity, price, discount, vat_rate, amount, \
                 vat_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(order).bind(i as i32 + 1).bind(l.product_id).bind(l.quantity).bind(l.price).bind(l.discount)
            .bind(&l.vat_rate).bind(l.amount).bind(l.vat_amount)
            .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Replaces a draft's lines and totals; `Conflict` when someone changed it first.
#[allow(clippy::too_many_arguments)]
pub async fn update_draft_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    comment: &str,
    price_column_id: Option<Uuid>,
    total: i64,
    total_vat: i64,
    lines: &[NewLine],
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE orders SET comment = $1, price_column_id = $2, total = $3, total_vat = $4, updated_at = $5, \
         version = version + 1 WHERE id = $6 AND version = $7 AND status = 'draft'",
    )
    .bind(comment).bind(price_column_id).bind(total).bind(total_vat).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        return Err(DbError::Conflict);
    }
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM order_lines WHERE order_id = $1").bind(id).execute(conn).await?;
    });
    insert_lines_tx(tx, id, lines).await?;
    Ok(version + 1)
}

/// How an order's status changes.
pub struct StatusChange<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub credit_check: Option<&'a str>,
    pub credit_hold: bool,
    pub cancel_reason: Option<&'a str>,
}

/// Moves an order from one status to another; `Conflict` when its version or status moved.
pub async fn set_order_status_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    c: &StatusChange<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE orders SET status = $1, credit_check = COALESCE($2, credit_check), credit_hold = $3, \
         cancel_reason = COALESCE($4, cancel_reason), updated_at = $5, version = version + 1 \
         WHERE id = $6 AND version = $7 AND status = $8",
    )
    .bind(c.to).bind(c.credit_check).bind(c.credit_hold).bind(c.cancel_reason).bind(now)
    .bind(id).bind(version).bind(c.from)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Sets the status fulfilment progress implies and the shipped/invoiced amounts (no version check:
/// called inside the transaction that moved the goods or the money).
pub async fn set_progress_tx(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    shipped: i64,
    invoiced: i64,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE orders SET status = $1, shipped_amount = $2, invoiced_amount = $3, updated_at = $4, \
             version = version + 1 WHERE id = $5",
        )
        .bind(status).bind(shipped).bind(invoiced).bind(now).bind(id)
        .execute(conn).await?;
    });
    Ok(())
}

/// One order of a group submission: its new status and credit figures, written only if the
/// order is still at `version` and `from`.
#[derive(Debug, Clone)]
pub struct Submit<'a> {
    pub id: Uuid,
    pub version: i64,
    pub from: &'a str,
    pub to: &'a str,
    pub credit_check: &'a str,
    pub credit_hold: bool,
}

/// Submits many orders in one statement (the values picked per row by `CASE id`); returns the
/// ids written — an order another request changed meanwhile is left out.
pub async fn submit_orders_tx(tx: &mut Tx, orders: &[Submit<'_>], now: DateTime<Utc>) -> Result<Vec<Uuid>, DbError> {
    use crate::repo::import::{Cell, bind_cells};
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let mut m = Marks {
        sqlite: matches!(tx, Tx::Sqlite(_)),
        binds: Vec::with_capacity(orders.len() * 11 + 2),
    };
    let status = m.case(orders, |o| Cell::Text(o.to.to_owned()));
    let check = m.case(orders, |o| Cell::Text(o.credit_check.to_owned()));
    let hold = m.case(orders, |o| Cell::Bool(o.credit_hold));
    let (submitted, updated) = (m.mark(Cell::Ts(now)), m.mark(Cell::Ts(now)));
    let ids: Vec<String> = orders.iter().map(|o| m.mark(Cell::Uuid(o.id))).collect();
    let version = m.case(orders, |o| Cell::Int(o.version));
    let from = m.case(orders, |o| Cell::Text(o.from.to_owned()));
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET status = {status}, credit_check = {check}, credit_hold = {hold}, \
         submitted_at = {submitted}, updated_at = {updated}, version = version + 1 \
         WHERE id IN ({}) AND version = {version} AND status = {from} RETURNING id",
        ids.join(", ")
    ));
    let binds = m.binds;
    Ok(tx_run!(tx, conn => {
        let q = sqlx::query_scalar::<_, Uuid>(sql);
        bind_cells!(q, &binds).fetch_all(conn).await?
    }))
}

/// Bind marks of a statement built piece by piece, each value with a mark of its own in text
/// order: `?` on SQLite (which resolves numbered marks by name, in time quadratic in their
/// count), `$n` on PostgreSQL.
struct Marks {
    sqlite: bool,
    binds: Vec<crate::repo::import::Cell>,
}

impl Marks {
    fn mark(&mut self, cell: crate::repo::import::Cell) -> String {
        self.binds.push(cell);
        super::bind_marks(self.sqlite, self.binds.len(), 1)
    }

    /// `CASE id WHEN <id> THEN <value> … END` over `orders`.
    fn case(&mut self, orders: &[Submit<'_>], value: impl Fn(&Submit<'_>) -> crate::repo::import::Cell) -> String {
        let mut s = String::from("CASE id");
        for o in orders {
            let id = self.mark(crate::repo::import::Cell::Uuid(o.id));
            let v = self.mark(value(o));
            s.push_str(&format!(" WHEN {id} THEN {v}"));
        }
        s.push_str(" END");
        s
    }
}

/// Locks the given clients' rows for the rest of the transaction (so that two credit checks of
/// one client take turns) and returns their credit limits. PostgreSQL takes row locks in id
/// order (`FOR UPDATE`, no new row versions); a SQLite write transaction holds the database's
/// write lock from its start (`BEGIN IMMEDIATE`), so a plain read is enough there.
pub async fn lock_counterparties_tx(tx: &mut Tx, clients: &[Uuid]) -> Result<Vec<(Uuid, i64)>, DbError> {
    let mut out = Vec::with_capacity(clients.len());
    let lock = if matches!(tx, Tx::Sqlite(_)) {
        ""
    } else {
        " ORDER BY id FOR UPDATE"
    };
    for chunk in clients.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT id, credit_limit FROM counterparties WHERE id IN ({}){lock}",
            marks.join(", ")
        ));
        let found: Vec<(Uuid, i64)> = tx_run!(tx, conn => {
            let mut q = sqlx::query_as::<_, (Uuid, i64)>(sql);
            for c in chunk { q = q.bind(*c); }
            q.fetch_all(conn).await?
        });
        out.extend(found);
    }
    Ok(out)
}

/// A client's credit position: open debt, its overdue part and oldest due date, and orders
/// taken but not invoiced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    pub receivable: i64,
    pub overdue: i64,
    pub oldest_overdue: Option<NaiveDate>,
    pub open_orders: i64,
}

/// The credit positions of several clients in two statements (open invoices, open orders);
/// a client with neither is absent from the answer.
pub async fn exposures_tx(
    tx: &mut Tx,
    clients: &[Uuid],
    today: NaiveDate,
) -> Result<std::collections::HashMap<Uuid, Exposure>, DbError> {
    let mut out: std::collections::HashMap<Uuid, Exposure> = std::collections::HashMap::new();
    for chunk in clients.chunks(500) {
        let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("${i}")).collect();
        let debt_sql = sqlx::AssertSqlSafe(format!(
            "SELECT i.counterparty_id, \
             CAST(COALESCE(SUM(i.total - i.paid - i.credited - i.written_off), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN i.due_on < $1 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT), \
             MIN(CASE WHEN i.due_on < $1 THEN i.due_on END) \
             FROM invoices i WHERE i.counterparty_id IN ({}) AND {OPEN} \
             GROUP BY i.counterparty_id",
            marks.join(", ")
        ));
        let debts: Vec<(Uuid, i64, i64, Option<NaiveDate>)> = tx_run!(tx, conn => {
            let mut q = sqlx::query_as::<_, (Uuid, i64, i64, Option<NaiveDate>)>(debt_sql).bind(today);
            for c in chunk { q = q.bind(*c); }
            q.fetch_all(conn).await?
        });
        for (client, receivable, overdue, oldest_overdue) in debts {
            let e = out.entry(client).or_default();
            e.receivable = receivable;
            e.overdue = overdue;
            e.oldest_overdue = oldest_overdue;
        }
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let orders_sql = sqlx::AssertSqlSafe(format!(
            "SELECT o.counterparty_id, CAST(COALESCE(SUM(o.total - o.invoiced_amount), 0) AS BIGINT) FROM orders o \
             WHERE o.counterparty_id IN ({}) \
             AND o.status IN ('submitted', 'approved', 'in_fulfilment', 'shipped', 'delivered') \
             GROUP BY o.counterparty_id",
            marks.join(", ")
        ));
        let orders: Vec<(Uuid, i64)> = tx_run!(tx, conn => {
            let mut q = sqlx::query_as::<_, (Uuid, i64)>(orders_sql);
            for c in chunk { q = q.bind(*c); }
            q.fetch_all(conn).await?
        });
        for (client, open) in orders {
            out.entry(client).or_default().open_orders = open;
        }
    }
    Ok(out)
}

// --- credit position and balance ------------------------------------------------------------

/// A client's debt as of a day: everything open, the overdue part, the oldest overdue due date.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Debt {
    pub receivable: i64,
    pub overdue: i64,
    pub oldest_overdue: Option<NaiveDate>,
    pub open_invoices: i64,
}

const DEBT_SQL: &str = "SELECT CAST(COALESCE(SUM(i.total - i.paid - i.credited - i.written_off), 0) AS BIGINT) AS receivable, \
    CAST(COALESCE(SUM(CASE WHEN i.due_on < $2 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT) AS overdue, \
    MIN(CASE WHEN i.due_on < $2 THEN i.due_on END) AS oldest_overdue, COUNT(*) AS open_invoices \
    FROM invoices i WHERE i.counterparty_id = $1 AND i.paid + i.credited + i.written_off < i.total";

const OPEN_ORDERS_SQL: &str = "SELECT CAST(COALESCE(SUM(o.total - o.invoiced_amount), 0) AS BIGINT) FROM orders o \
    WHERE o.counterparty_id = $1 AND o.status IN ('submitted', 'approved', 'in_fulfilment', 'shipped', 'delivered')";

const ADVANCE_SQL: &str = "SELECT CAST(COALESCE(SUM(p.amount - p.allocated), 0) AS BIGINT) FROM payments p \
    WHERE p.counterparty_id = $1 AND p.allocated < p.amount";

pub async fn debt(db: &Db, counterparty: Uuid, today: NaiveDate) -> Result<Debt, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, Debt>(DEBT_SQL).bind(counterparty).bind(today).fetch_one(pool).await?))
}

pub async fn open_orders(db: &Db, counterparty: Uuid) -> Result<i64, DbError> {
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, i64>(OPEN_ORDERS_SQL).bind(counterparty).fetch_one(pool).await?))
}

/// Money received and not allocated to any invoice (the client's advance / credit balance).
pub async fn advance(db: &Db, counterparty: Uuid) -> Result<i64, DbError> {
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, i64>(ADVANCE_SQL).bind(counterparty).fetch_one(pool).await?))
}

/// A client's terms: credit limit, deferral, penalty and claim terms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Terms {
    pub credit_limit: i64,
    pub payment_terms_days: i32,
    pub deferral_kind: String,
    pub penalty_daily_ppm: Option<i32>,
    pub penalty_cap_bp: Option<i32>,
    pub claim_term_days: i32,
}

const TERMS_SQL: &str = "SELECT credit_limit, payment_terms_days, deferral_kind, penalty_daily_ppm, penalty_cap_bp, \
    claim_term_days FROM counterparties WHERE id = $1";

pub async fn terms(db: &Db, counterparty: Uuid) -> Result<Option<Terms>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, Terms>(TERMS_SQL).bind(counterparty).fetch_optional(pool).await?))
}

/// Writes a client's terms if its record is still at `version`; returns the new version.
pub async fn set_terms_tx(
    tx: &mut Tx,
    counterparty: Uuid,
    version: i64,
    t: &Terms,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE counterparties SET credit_limit = $1, payment_terms_days = $2, deferral_kind = $3, \
         penalty_daily_ppm = $4, penalty_cap_bp = $5, claim_term_days = $6, updated_at = $7, version = version + 1 \
         WHERE id = $8 AND version = $9",
    )
    .bind(t.credit_limit).bind(t.payment_terms_days).bind(&t.deferral_kind).bind(t.penalty_daily_ppm)
    .bind(t.penalty_cap_bp).bind(t.claim_term_days).bind(now).bind(counterparty).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

// --- shipments ------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShipmentRow {
    pub id: Uuid,
    pub number: String,
    pub order_id: Uuid,
    pub counterparty_id: Uuid,
    pub shipped_on: NaiveDate,
    pub delivered_on: Option<NaiveDate>,
    pub amount: i64,
    pub vat_amount: i64,
    pub invoice_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

const SHIPMENT_SELECT: &str = "SELECT id, number, order_id, counterparty_id, shipped_on, delivered_on, amount, \
    vat_amount, invoice_id, created_at FROM shipments";

pub async fn shipment(db: &Db, id: Uuid) -> Result<Option<ShipmentRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SHIPMENT_SELECT} WHERE id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ShipmentRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn shipments_of(db: &Db, order: Uuid) -> Result<Vec<ShipmentRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SHIPMENT_SELECT} WHERE order_id = $1 ORDER BY shipped_on, number"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ShipmentRow>(sql).bind(order).fetch_all(pool).await?))
}

pub async fn shipments_of_tx(tx: &mut Tx, order: Uuid) -> Result<Vec<ShipmentRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SHIPMENT_SELECT} WHERE order_id = $1 ORDER BY shipped_on, number"
    ));
    Ok(tx_run!(tx, conn => sqlx::query_as::<_, ShipmentRow>(sql).bind(order).fetch_all(conn).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShipmentLineRow {
    pub line_no: i32,
    pub order_line_no: i32,
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: i64,
    pub price: i64,
    pub amount: i64,
    pub vat_amount: i64,
}

const SHIPMENT_LINES_SQL: &str = "SELECT l.line_no, l.order_line_no, l.product_id, p.sku, p.name, p.unit, l.quantity, \
    l.price, l.amount, l.vat_amount FROM shipment_lines l JOIN products p ON p.id = l.product_id \
    WHERE l.shipment_id = $1 ORDER BY l.line_no";

pub async fn shipment_lines(db: &Db, shipment: Uuid) -> Result<Vec<ShipmentLineRow>, DbError> {
    Ok(
        db_run!(db, pool => sqlx::query_as::<_, ShipmentLineRow>(SHIPMENT_LINES_SQL).bind(shipment).fetch_all(pool).await?),
    )
}

pub async fn shipment_lines_tx(tx: &mut Tx, shipment: Uuid) -> Result<Vec<ShipmentLineRow>, DbError> {
    Ok(
        tx_run!(tx, conn => sqlx::query_as::<_, ShipmentLineRow>(SHIPMENT_LINES_SQL).bind(shipment).fetch_all(conn).await?),
    )
}

/// A shipped line: which order line, how much, at what money.
pub struct NewShipmentLine {
    pub order_line_no: i32,
    pub product_id: Uuid,
    pub quantity: i64,
    pub price: i64,
    pub amount: i64,
    pub vat_amount: i64,
}

/// Writes a shipment and adds its quantities to the order lines; `Conflict` when a line would
/// ship more than was ordered (someone shipped it meanwhile).
#[allow(clippy::too_many_arguments)]
pub async fn insert_shipment_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    order: Uuid,
    counterparty: Uuid,
    shipped_on: NaiveDate,
    lines: &[NewShipmentLine],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let amount: i64 = lines.iter().map(|l| l.amount).sum();
    let vat: i64 = lines.iter().map(|l| l.vat_amount).sum();
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO shipments (id, number, order_id, counterparty_id, shipped_on, amount, vat_amount, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id).bind(number).bind(order).bind(counterparty).bind(shipped_on).bind(amount).bind(vat).bind(by).bind(now)
        .execute(&mut *conn).await?;
        for (i, l) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO shipment_lines (shipment_id, line_no, order_line_no, product_id, quantity, price, amount, \
                 vat_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id).bind(i as i32 + 1).bind(l.order_line_no).bind(l.product_id).bind(l.quantity).bind(l.price)
            .bind(l.amount).bind(l.vat_amount)
            .execute(&mut *conn).await?;
            let n = sqlx::query(
                "UPDATE order_lines SET shipped_qty = shipped_qty + $1 WHERE order_id = $2 AND line_no = $3 \
                 AND shipped_qty + returned_qty + $1 <= quantity",
            )
            .bind(l.quantity).bind(order).bind(l.order_line_no)
            .execute(&mut *conn).await?.rows_affected();
            if n == 0 {
                return Err(DbError::Conflict);
            }
        }
    });
    Ok(())
}

/// Records a refusal of goods not shipped: the refused quantity can no longer be shipped.
pub async fn refuse_qty_tx(tx: &mut Tx, order: Uuid, line_no: i32, qty: i64) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE order_lines SET returned_qty = returned_qty + $1 WHERE order_id = $2 AND line_no = $3 \
         AND shipped_qty + returned_qty + $1 <= quantity",
    )
    .bind(qty).bind(order).bind(line_no)
    .execute(conn).await?.rows_affected());
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

pub async fn set_delivered_tx(tx: &mut Tx, shipment: Uuid, on: NaiveDate) -> Result<bool, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE shipments SET delivered_on = $1 WHERE id = $2 AND delivered_on IS NULL",
    )
    .bind(on).bind(shipment)
    .execute(conn).await?.rows_affected());
    Ok(n == 1)
}

// --- invoices -------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: Uuid,
    pub number: String,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub order_number: Option<String>,
    pub shipment_id: Option<Uuid>,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub total: i64,
    pub vat_amount: i64,
    pub paid: i64,
    pub credited: i64,
    pub written_off: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl InvoiceRow {
    pub fn open(&self) -> i64 {
        self.total - self.paid - self.credited - self.written_off
    }
}

const INVOICE_SELECT: &str = "SELECT i.id, i.number, i.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, i.order_id, \
    o.number AS order_number, i.shipment_id, i.issued_on, i.due_on, i.total, i.vat_amount, i.paid, i.credited, \
    i.written_off, i.version, i.created_at FROM invoices i JOIN counterparties c ON c.id = i.counterparty_id \
    LEFT JOIN orders o ON o.id = i.order_id";

pub async fn invoice(db: &Db, id: Uuid) -> Result<Option<InvoiceRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{INVOICE_SELECT} WHERE i.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, InvoiceRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn invoice_tx(tx: &mut Tx, id: Uuid) -> Result<Option<InvoiceRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{INVOICE_SELECT} WHERE i.id = $1"));
    Ok(tx_run!(tx, conn => sqlx::query_as::<_, InvoiceRow>(sql).bind(id).fetch_optional(conn).await?))
}

/// A client's invoices: open ones only, or all, newest first.
pub async fn invoices_of(db: &Db, counterparty: Uuid, open_only: bool, limit: i64) -> Result<Vec<InvoiceRow>, DbError> {
    let open = if open_only {
        format!(" AND {OPEN}")
    } else {
        String::new()
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "{INVOICE_SELECT} WHERE i.counterparty_id = $1{open} ORDER BY i.due_on DESC, i.number DESC LIMIT {limit}"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, InvoiceRow>(sql).bind(counterparty).fetch_all(pool).await?))
}

/// Invoices of an order.
pub async fn invoices_of_order(db: &Db, order: Uuid) -> Result<Vec<InvoiceRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{INVOICE_SELECT} WHERE i.order_id = $1 ORDER BY i.issued_on, i.number"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, InvoiceRow>(sql).bind(order).fetch_all(pool).await?))
}

/// Open invoices in the scope, most overdue first.
pub async fn open_invoices(
    db: &Db,
    scope: &Scope,
    counterparty: Option<Uuid>,
    limit: i64,
) -> Result<Vec<InvoiceRow>, DbError> {
    let mut sql = format!("{INVOICE_SELECT} WHERE {OPEN}");
    let mut n = 0;
    if counterparty.is_some() {
        n += 1;
        sql.push_str(" AND i.counterparty_id = $1");
    }
    let scoped = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    sql.push_str(&format!(" ORDER BY i.due_on, i.number LIMIT {limit}"));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, InvoiceRow>(sql);
        if let Some(c) = counterparty { q = q.bind(c); }
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    }))
}

/// A client's open invoices for allocating money, read inside the writing transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenInvoice {
    pub id: Uuid,
    pub number: String,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub open: i64,
}

pub async fn open_items_tx(tx: &mut Tx, counterparty: Uuid) -> Result<Vec<OpenInvoice>, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query_as::<_, OpenInvoice>(
        "SELECT i.id, i.number, i.issued_on, i.due_on, i.total - i.paid - i.credited - i.written_off AS open \
         FROM invoices i WHERE i.counterparty_id = $1 AND i.paid + i.credited + i.written_off < i.total \
         ORDER BY i.due_on, i.issued_on, i.id",
    )
    .bind(counterparty).fetch_all(conn).await?))
}

/// Writes an invoice for a shipment (its lines copied) and links the shipment to it;
/// `Conflict` when the shipment was invoiced meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn insert_invoice_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    shipment: &ShipmentRow,
    lines: &[ShipmentLineRow],
    issued_on: NaiveDate,
    due_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO invoices (id, number, counterparty_id, order_id, shipment_id, issued_on, due_on, total, \
             vat_amount, paid, credited, written_off, version, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, 0, 1, $10)",
        )
        .bind(id).bind(number).bind(shipment.counterparty_id).bind(shipment.order_id).bind(shipment.id)
        .bind(issued_on).bind(due_on).bind(shipment.amount).bind(shipment.vat_amount).bind(now)
        .execute(&mut *conn).await?;
        for l in lines {
            sqlx::query(
                "INSERT INTO invoice_lines (invoice_id, line_no, product_id, quantity, price, amount, vat_amount) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id).bind(l.line_no).bind(l.product_id).bind(l.quantity).bind(l.price).bind(l.amount)
            .bind(l.vat_amount)
            .execute(&mut *conn).await?;
        }
        let n = sqlx::query("UPDATE shipments SET invoice_id = $1 WHERE id = $2 AND invoice_id IS NULL")
            .bind(id).bind(shipment.id)
            .execute(&mut *conn).await?.rows_affected();
        if n == 0 {
            return Err(DbError::Conflict);
        }
    });
    Ok(())
}

/// Which column of an invoice a settlement adds to.
#[derive(Debug, Clone, Copy)]
pub enum Settlement {
    Paid,
    Credited,
    WrittenOff,
}

/// Adds to an invoice's paid / credited / written-off amount, never past its total; `Conflict`
/// when the invoice no longer has that much open.
pub async fn settle_tx(tx: &mut Tx, invoice: Uuid, how: Settlement, amount: i64) -> Result<(), DbError> {
    let col = match how {
        Settlement::Paid => "paid",
        Settlement::Credited => "credited",
        Settlement::WrittenOff => "written_off",
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE invoices SET {col} = {col} + $1, version = version + 1 WHERE id = $2 \
         AND paid + credited + written_off + $1 <= total"
    ));
    let n = tx_run!(tx, conn => sqlx::query(sql).bind(amount).bind(invoice).execute(conn).await?.rows_affected());
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

// --- payments -------------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub paid_on: NaiveDate,
    pub amount: i64,
    pub allocated: i64,
    pub doc_number: String,
    pub purpose: String,
    pub source: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

const PAYMENT_SELECT: &str = "SELECT p.id, p.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, p.paid_on, p.amount, \
    p.allocated, p.doc_number, p.purpose, p.source, p.version, p.created_at \
    FROM payments p JOIN counterparties c ON c.id = p.counterparty_id";

pub async fn payment(db: &Db, id: Uuid) -> Result<Option<PaymentRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{PAYMENT_SELECT} WHERE p.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, PaymentRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn payments_of(db: &Db, counterparty: Uuid, limit: i64) -> Result<Vec<PaymentRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{PAYMENT_SELECT} WHERE p.counterparty_id = $1 ORDER BY p.paid_on DESC, p.created_at DESC LIMIT {limit}"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, PaymentRow>(sql).bind(counterparty).fetch_all(pool).await?))
}

/// A new payment received.
pub struct NewPayment<'a> {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub paid_on: NaiveDate,
    pub amount: i64,
    pub doc_number: &'a str,
    pub purpose: &'a str,
    pub source: &'a str,
    pub payer_inn: Option<&'a str>,
    pub created_by: Option<Uuid>,
}

pub async fn insert_payment_tx(tx: &mut Tx, p: &NewPayment<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO payments (id, counterparty_id, paid_on, amount, doc_number, purpose, created_at, allocated, \
             source, payer_inn, created_by, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, 1)",
        )
        .bind(p.id).bind(p.counterparty_id).bind(p.paid_on).bind(p.amount).bind(p.doc_number).bind(p.purpose)
        .bind(now).bind(p.source).bind(p.payer_inn).bind(p.created_by)
        .execute(conn).await?;
    });
    Ok(())
}

/// Takes a payment at the version the caller saw, for the rest of the transaction (the version
/// moves on); `Conflict` when someone changed the payment first. Two allocations made against
/// the same version thus never both go through, even when each would fit.
pub async fn claim_payment_tx(tx: &mut Tx, payment: Uuid, version: i64) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE payments SET version = version + 1 WHERE id = $1 AND version = $2",
    )
    .bind(payment).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

/// Allocates part of a payment to an invoice: the payment's allocated amount and the invoice's
/// paid amount grow together, each guarded; `Conflict` when either has no room left.
pub async fn allocate_tx(
    tx: &mut Tx,
    payment: Uuid,
    invoice: Uuid,
    amount: i64,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE payments SET allocated = allocated + $1, version = version + 1 WHERE id = $2 AND allocated + $1 <= amount",
    )
    .bind(amount).bind(payment)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        return Err(DbError::Conflict);
    }
    settle_tx(tx, invoice, Settlement::Paid, amount).await?;
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO payment_allocations (payment_id, invoice_id, amount, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (payment_id, invoice_id) \
             DO UPDATE SET amount = payment_allocations.amount + excluded.amount",
        )
        .bind(payment).bind(invoice).bind(amount).bind(now).bind(by)
        .execute(conn).await?;
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AllocationRow {
    pub payment_id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: String,
    pub paid_on: NaiveDate,
    pub doc_number: String,
    pub amount: i64,
}

const ALLOC_SELECT: &str = "SELECT a.payment_id, a.invoice_id, i.number AS invoice_number, p.paid_on, p.doc_number, \
    a.amount FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id JOIN payments p ON p.id = a.payment_id";

pub async fn allocations_of_payment(db: &Db, payment: Uuid) -> Result<Vec<AllocationRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{ALLOC_SELECT} WHERE a.payment_id = $1 ORDER BY i.due_on, i.number"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, AllocationRow>(sql).bind(payment).fetch_all(pool).await?))
}

pub async fn allocations_of_invoice(db: &Db, invoice: Uuid) -> Result<Vec<AllocationRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{ALLOC_SELECT} WHERE a.invoice_id = $1 ORDER BY p.paid_on, p.doc_number"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, AllocationRow>(sql).bind(invoice).fetch_all(pool).await?))
}

/// Payments of a client not fully allocated (its advances), oldest first.
pub async fn unallocated_payments_tx(tx: &mut Tx, counterparty: Uuid) -> Result<Vec<(Uuid, i64)>, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT p.id, p.amount - p.allocated FROM payments p WHERE p.counterparty_id = $1 AND p.allocated < p.amount \
         ORDER BY p.paid_on, p.created_at",
    )
    .bind(counterparty).fetch_all(conn).await?))
}

// --- receivables ----------------------------------------------------------------------------

/// Open debt in aging buckets for one group (a client, or a manager within a department).
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct AgingRow {
    /// The client (client rows) or the manager (group rows).
    pub key_id: Option<Uuid>,
    pub key_name: Option<String>,
    /// The department of the group (group rows).
    pub department_id: Option<Uuid>,
    pub not_due: i64,
    pub d1_30: i64,
    pub d31_60: i64,
    pub d61_90: i64,
    pub over_90: i64,
    pub invoices: i64,
    pub credit_limit: i64,
}

/// The five bucket sums of open invoices as of `$1` (today) with `$2..$4` = today − 30/60/90.
const BUCKETS: &str = "\
    CAST(COALESCE(SUM(CASE WHEN i.due_on >= $1 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT) AS not_due, \
    CAST(COALESCE(SUM(CASE WHEN i.due_on < $1 AND i.due_on >= $2 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT) AS d1_30, \
    CAST(COALESCE(SUM(CASE WHEN i.due_on < $2 AND i.due_on >= $3 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT) AS d31_60, \
    CAST(COALESCE(SUM(CASE WHEN i.due_on < $3 AND i.due_on >= $4 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT) AS d61_90, \
    CAST(COALESCE(SUM(CASE WHEN i.due_on < $4 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END), 0) AS BIGINT) AS over_90, \
    COUNT(*) AS invoices";

/// Where an aging query starts: for one manager or a department, from their clients (owner or
/// department index); for everyone, from the open invoices. SQLite joins a `CROSS JOIN` in the
/// order written (so it neither walks every client in owner order to save a sort, nor every
/// invoice of a period for one manager); PostgreSQL plans it as an ordinary join.
fn aging_from(clients_first: bool) -> &'static str {
    if clients_first {
        "FROM counterparties c CROSS JOIN invoices i"
    } else {
        "FROM invoices i CROSS JOIN counterparties c"
    }
}

/// Open debt by manager and department as of `today`, in the scope (`owner`: one manager's
/// clients). One scan of the open invoices.
pub async fn aging_groups(
    db: &Db,
    scope: &Scope,
    owner: Option<Uuid>,
    today: NaiveDate,
) -> Result<Vec<AgingRow>, DbError> {
    let d = |days: i64| today - chrono::Duration::days(days);
    let mut sql = format!(
        "SELECT c.owner_id AS key_id, CAST(NULL AS TEXT) AS key_name, c.department_id, {BUCKETS}, \
         CAST(0 AS BIGINT) AS credit_limit {} WHERE c.id = i.counterparty_id AND {OPEN}",
        aging_from(owner.is_some() || !matches!(scope, Scope::All))
    );
    let mut n = 4;
    if owner.is_some() {
        n += 1;
        sql.push_str(&format!(" AND c.owner_id = ${n}"));
    }
    let scoped = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    sql.push_str(" GROUP BY c.owner_id, c.department_id");
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, AgingRow>(sql).bind(today).bind(d(30)).bind(d(60)).bind(d(90));
        if let Some(o) = owner { q = q.bind(o); }
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    }))
}

/// The `limit` clients most overdue (then most owed) as of `today`, in the scope.
pub async fn aging_clients(
    db: &Db,
    scope: &Scope,
    owner: Option<Uuid>,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<AgingRow>, DbError> {
    let d = |days: i64| today - chrono::Duration::days(days);
    let overdue = "SUM(CASE WHEN i.due_on < $1 THEN i.total - i.paid - i.credited - i.written_off ELSE 0 END)";
    let mut n = 4;
    let (inner, scoped) = if owner.is_none() && matches!(scope, Scope::All) {
        // Everyone's: group the open invoices alone, name only the few clients kept.
        (
            format!(
                "SELECT i.counterparty_id AS key_id, {BUCKETS} FROM invoices i WHERE {OPEN} \
                 GROUP BY i.counterparty_id ORDER BY {overdue} DESC, SUM(i.total - i.paid - i.credited - i.written_off) DESC \
                 LIMIT {limit}"
            ),
            Vec::new(),
        )
    } else {
        let mut sql = format!(
            "SELECT c.id AS key_id, {BUCKETS} {} WHERE c.id = i.counterparty_id AND {OPEN}",
            aging_from(true)
        );
        if owner.is_some() {
            n += 1;
            sql.push_str(&format!(" AND c.owner_id = ${n}"));
        }
        let scoped = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
        sql.push_str(&format!(
            " GROUP BY c.id ORDER BY {overdue} DESC, SUM(i.total - i.paid - i.credited - i.written_off) DESC LIMIT {limit}"
        ));
        (sql, scoped)
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT t.key_id, c.name AS key_name, c.department_id, t.not_due, t.d1_30, t.d31_60, t.d61_90, t.over_90, \
         t.invoices, c.credit_limit FROM ({inner}) t JOIN counterparties c ON c.id = t.key_id \
         ORDER BY t.d1_30 + t.d31_60 + t.d61_90 + t.over_90 DESC, t.not_due DESC"
    ));
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, AgingRow>(sql).bind(today).bind(d(30)).bind(d(60)).bind(d(90));
        if let Some(o) = owner { q = q.bind(o); }
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    }))
}

/// Display names of users and of departments, by id.
pub async fn names(db: &Db, users: &[Uuid], departments: &[Uuid]) -> Result<Vec<(Uuid, String)>, DbError> {
    let mut out = Vec::new();
    for (table, col, ids) in [("users", "display_name", users), ("departments", "name", departments)] {
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT id, {col} FROM {table} WHERE id IN ({})",
                marks.join(", ")
            ));
            let found: Vec<(Uuid, String)> = db_run!(db, pool => {
                let mut q = sqlx::query_as::<_, (Uuid, String)>(sql);
                for i in chunk { q = q.bind(*i); }
                q.fetch_all(pool).await?
            });
            out.extend(found);
        }
    }
    Ok(out)
}

/// Sales invoiced per month from `from` (first day of a month), in the scope: (first day, sum).
/// Grouped in SQL on the text of the date (`YYYY-MM`), the same on both databases.
pub async fn monthly_sales(
    db: &Db,
    scope: &Scope,
    owner: Option<Uuid>,
    counterparty: Option<Uuid>,
    from: NaiveDate,
    to: Option<NaiveDate>,
) -> Result<Vec<(NaiveDate, i64)>, DbError> {
    let month = "substr(CAST(i.issued_on AS TEXT), 1, 7)";
    let everyone = owner.is_none() && counterparty.is_none() && matches!(scope, Scope::All);
    let mut sql = if everyone {
        format!("SELECT {month} AS m, CAST(SUM(i.total) AS BIGINT) FROM invoices i WHERE i.issued_on >= $1")
    } else {
        // From the clients (owner, department or one client), then their invoices.
        format!(
            "SELECT {month} AS m, CAST(SUM(i.total) AS BIGINT) FROM counterparties c \
             CROSS JOIN invoices i WHERE i.counterparty_id = c.id AND i.issued_on >= $1"
        )
    };
    let mut n = 1;
    if to.is_some() {
        n += 1;
        sql.push_str(&format!(" AND i.issued_on < ${n}"));
    }
    if owner.is_some() {
        n += 1;
        sql.push_str(&format!(" AND c.owner_id = ${n}"));
    }
    if counterparty.is_some() {
        n += 1;
        sql.push_str(&format!(" AND c.id = ${n}"));
    }
    let scoped = if everyone {
        Vec::new()
    } else {
        scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id")
    };
    sql.push_str(&format!(" GROUP BY {month}"));
    let sql = sqlx::AssertSqlSafe(sql);
    let rows: Vec<(String, i64)> = db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, (String, i64)>(sql).bind(from);
        if let Some(t) = to { q = q.bind(t); }
        if let Some(o) = owner { q = q.bind(o); }
        if let Some(c) = counterparty { q = q.bind(c); }
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    });
    let mut months: Vec<(NaiveDate, i64)> = rows
        .into_iter()
        .filter_map(|(m, s)| {
            NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .ok()
                .map(|d| (d, s))
        })
        .collect();
    months.sort();
    Ok(months)
}

/// One line of a client's settlement history: a shipment invoiced (debit) or money in / a return /
/// an accepted act of shortage or mis-grading / a write-off (credit).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerEntry {
    pub on_date: NaiveDate,
    pub kind: String,
    pub number: String,
    pub debit: i64,
    pub credit: i64,
}

/// A client's invoices and payments up to `to` (inclusive), in date order; the caller splits
/// them into the opening balance and the period.
pub async fn ledger(db: &Db, counterparty: Uuid, to: NaiveDate) -> Result<Vec<LedgerEntry>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, LedgerEntry>(
        "SELECT issued_on AS on_date, 'invoice' AS kind, number, total AS debit, CAST(0 AS BIGINT) AS credit \
         FROM invoices WHERE counterparty_id = $1 AND issued_on <= $2 \
         UNION ALL SELECT paid_on AS on_date, 'payment' AS kind, doc_number AS number, CAST(0 AS BIGINT) AS debit, \
         amount AS credit FROM payments WHERE counterparty_id = $1 AND paid_on <= $2 AND source <> 'credit_note' \
         UNION ALL SELECT date(r.created_at) AS on_date, 'return' AS kind, r.number, CAST(0 AS BIGINT) AS debit, \
         r.amount AS credit FROM order_returns r WHERE r.counterparty_id = $1 AND r.kind = 'return' \
         UNION ALL SELECT date(w.decided_at) AS on_date, 'write_off' AS kind, i.number, CAST(0 AS BIGINT) AS debit, \
         w.amount AS credit FROM write_offs w JOIN invoices i ON i.id = w.invoice_id \
         WHERE w.counterparty_id = $1 AND w.status = 'approved' \
         UNION ALL SELECT date(a.decided_at) AS on_date, 'act' AS kind, a.number, CAST(0 AS BIGINT) AS debit, \
         a.amount AS credit FROM discrepancy_acts a WHERE a.counterparty_id = $1 AND a.status = 'accepted' \
         ORDER BY 1, 2, 3",
    )
    .bind(counterparty).bind(to).fetch_all(pool).await?))
}

// --- benchmark sampling ---------------------------------------------------------------------

/// Clients of an owner, in id order (benchmarks and measurements).
pub async fn clients_of_owner(db: &Db, owner: Uuid, limit: i64) -> Result<Vec<Uuid>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM counterparties WHERE owner_id = $1 AND archived_at IS NULL ORDER BY id LIMIT $2",
    )
    .bind(owner).bind(limit).fetch_all(pool).await?))
}

/// Open invoices with their payer's INN and a known account, for building a test statement:
/// (number, issued_on, open, inn, account).
pub async fn open_invoices_with_payers(
    db: &Db,
    limit: i64,
) -> Result<Vec<(String, NaiveDate, i64, String, Option<String>)>, DbError> {
    Ok(
        db_run!(db, pool => sqlx::query_as::<_, (String, NaiveDate, i64, String, Option<String>)>(
        "SELECT i.number, i.issued_on, i.total - i.paid - i.credited - i.written_off, c.inn, \
         (SELECT b.account FROM bank_accounts b WHERE b.counterparty_id = c.id ORDER BY b.account LIMIT 1) \
         FROM invoices i JOIN counterparties c ON c.id = i.counterparty_id \
         WHERE i.paid + i.credited + i.written_off < i.total AND c.inn IS NOT NULL AND c.merged_into IS NULL \
         AND c.archived_at IS NULL ORDER BY i.due_on DESC LIMIT $1",
    )
    .bind(limit).fetch_all(pool).await?),
    )
}
