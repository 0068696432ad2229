//! After the sale: returns and refusals, acts of shortage and mis-grading, debt collection cases
//! and their steps, write-offs, reconciliation acts issued, the key-rate table and the
//! working-day calendar.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::repo::Scope;
use crate::{Db, DbError, Tx, db_run, tx_run};

// --- returns and refusals -------------------------------------------------------------------

pub struct NewReturnLine {
    pub order_line_no: i32,
    pub product_id: Uuid,
    pub quantity: i64,
    pub amount: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_return_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    kind: &str,
    order: Uuid,
    shipment: Option<Uuid>,
    counterparty: Uuid,
    reason: &str,
    comment: &str,
    lines: &[NewReturnLine],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let amount: i64 = lines.iter().map(|l| l.amount).sum();
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO order_returns (id, number, kind, order_id, shipment_id, counterparty_id, reason, comment, amount, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(id).bind(number).bind(kind).bind(order).bind(shipment).bind(counterparty).bind(reason).bind(comment)
        .bind(amount).bind(by).bind(now)
        .execute(&mut *conn).await?;
        for (i, l) in lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO order_return_lines (return_id, line_no, order_line_no, product_id, quantity, amount) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id).bind(i as i32 + 1).bind(l.order_line_no).bind(l.product_id).bind(l.quantity).bind(l.amount)
            .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Quantity of a shipment's order line already returned.
pub async fn returned_of_shipment_tx(tx: &mut Tx, shipment: Uuid, order_line_no: i32) -> Result<i64, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_return_lines l \
         JOIN order_returns r ON r.id = l.return_id WHERE r.shipment_id = $1 AND l.order_line_no = $2",
    )
    .bind(shipment).bind(order_line_no).fetch_one(conn).await?))
}

/// What returns and accepted acts of a shipment take off its invoice, in kopecks.
pub async fn credits_of_shipment_tx(tx: &mut Tx, shipment: Uuid) -> Result<i64, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COALESCE((SELECT SUM(r.amount) FROM order_returns r WHERE r.shipment_id = $1 AND r.kind = 'return'), 0) \
         + COALESCE((SELECT SUM(a.amount) FROM discrepancy_acts a WHERE a.shipment_id = $1 AND a.status = 'accepted'), 0) \
         AS BIGINT)",
    )
    .bind(shipment).fetch_one(conn).await?))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReturnRow {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    pub order_id: Uuid,
    pub order_number: String,
    pub shipment_id: Option<Uuid>,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub reason: String,
    pub comment: String,
    pub amount: i64,
    pub created_at: DateTime<Utc>,
}

pub async fn returns_of_order(db: &Db, order: Uuid) -> Result<Vec<ReturnRow>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, ReturnRow>(
        "SELECT r.id, r.number, r.kind, r.order_id, o.number AS order_number, r.shipment_id, r.counterparty_id, \
         c.name AS counterparty_name, r.reason, r.comment, r.amount, r.created_at FROM order_returns r \
         JOIN orders o ON o.id = r.order_id JOIN counterparties c ON c.id = r.counterparty_id \
         WHERE r.order_id = $1 ORDER BY r.created_at",
    )
    .bind(order).fetch_all(pool).await?))
}

/// One group of the returns analysis: a reason, product, client or manager with its count,
/// quantity and amount.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReturnGroup {
    pub key: Option<String>,
    pub name: Option<String>,
    pub returns: i64,
    pub quantity: i64,
    pub amount: i64,
}

/// What the returns analysis groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnsBy {
    Reason,
    Product,
    Client,
    Manager,
}

/// Returns and refusals since `from`, grouped, in the scope, largest amount first.
pub async fn returns_analysis(
    db: &Db,
    scope: &Scope,
    by: ReturnsBy,
    kind: Option<&str>,
    from: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ReturnGroup>, DbError> {
    let (key, name, join) = match by {
        ReturnsBy::Reason => ("r.reason", "r.reason", ""),
        ReturnsBy::Product => ("p.sku", "MAX(p.name)", " JOIN products p ON p.id = l.product_id"),
        ReturnsBy::Client => ("c.inn", "MAX(c.name)", ""),
        ReturnsBy::Manager => (
            "u.login",
            "MAX(u.display_name)",
            " LEFT JOIN users u ON u.id = o.owner_id",
        ),
    };
    let mut sql = format!(
        "SELECT {key} AS key, {name} AS name, COUNT(DISTINCT r.id) AS returns, \
         CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) AS quantity, CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) AS amount \
         FROM order_returns r JOIN order_return_lines l ON l.return_id = r.id JOIN orders o ON o.id = r.order_id \
         JOIN counterparties c ON c.id = r.counterparty_id{join} WHERE r.created_at >= $1"
    );
    let mut n = 1;
    if kind.is_some() {
        n += 1;
        sql.push_str(&format!(" AND r.kind = ${n}"));
    }
    let scoped = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    sql.push_str(&format!(" GROUP BY {key} ORDER BY 5 DESC LIMIT {limit}"));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, ReturnGroup>(sql).bind(from);
        if let Some(k) = kind { q = q.bind(k); }
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    }))
}

// --- acts of shortage and mis-grading --------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActRow {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    pub shipment_id: Uuid,
    pub counterparty_id: Uuid,
    pub lines: String,
    pub amount: i64,
    pub comment: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

const ACT_SELECT: &str = "SELECT id, number, kind, shipment_id, counterparty_id, lines, amount, comment, status, \
    created_at FROM discrepancy_acts";

pub async fn act(db: &Db, id: Uuid) -> Result<Option<ActRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{ACT_SELECT} WHERE id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ActRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn acts_of_shipments(db: &Db, shipments: &[Uuid]) -> Result<Vec<ActRow>, DbError> {
    if shipments.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=shipments.len()).map(|i| format!("${i}")).collect();
    let sql = sqlx::AssertSqlSafe(format!(
        "{ACT_SELECT} WHERE shipment_id IN ({}) ORDER BY created_at",
        marks.join(", ")
    ));
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, ActRow>(sql);
        for s in shipments { q = q.bind(*s); }
        q.fetch_all(pool).await?
    }))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_act_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    kind: &str,
    shipment: Uuid,
    counterparty: Uuid,
    lines: &str,
    amount: i64,
    comment: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO discrepancy_acts (id, number, kind, shipment_id, counterparty_id, lines, amount, comment, status, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10)",
        )
        .bind(id).bind(number).bind(kind).bind(shipment).bind(counterparty).bind(lines).bind(amount).bind(comment)
        .bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

pub async fn decide_act_tx(tx: &mut Tx, id: Uuid, status: &str, by: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE discrepancy_acts SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'open'",
    )
    .bind(status).bind(by).bind(now).bind(id)
    .execute(conn).await?.rows_affected());
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

// --- collection cases -----------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub stage: String,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub debt: i64,
    pub claim_number: Option<String>,
    pub claim_sent_on: Option<NaiveDate>,
    pub claim_term_days: Option<i32>,
    pub suit_from: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

const CASE_SELECT: &str = "SELECT k.id, k.counterparty_id, c.name AS counterparty_name, c.owner_id AS counterparty_owner_id, \
    c.department_id AS counterparty_department_id, k.stage, k.assignee_id, u.display_name AS assignee_name, k.debt, \
    k.claim_number, k.claim_sent_on, k.claim_term_days, k.suit_from, k.outcome, k.version, k.created_at, k.updated_at, \
    k.closed_at FROM collection_cases k JOIN counterparties c ON c.id = k.counterparty_id \
    LEFT JOIN users u ON u.id = k.assignee_id";

pub async fn case(db: &Db, id: Uuid) -> Result<Option<CaseRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{CASE_SELECT} WHERE k.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, CaseRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn cases_of(db: &Db, counterparty: Uuid) -> Result<Vec<CaseRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{CASE_SELECT} WHERE k.counterparty_id = $1 ORDER BY k.created_at DESC"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, CaseRow>(sql).bind(counterparty).fetch_all(pool).await?))
}

/// Open cases in the scope, oldest first.
pub async fn open_cases(db: &Db, scope: &Scope, limit: i64) -> Result<Vec<CaseRow>, DbError> {
    let mut sql = format!("{CASE_SELECT} WHERE k.closed_at IS NULL");
    let mut n = 0;
    let scoped = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    sql.push_str(&format!(" ORDER BY k.created_at LIMIT {limit}"));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, CaseRow>(sql);
        for i in &scoped { q = q.bind(*i); }
        q.fetch_all(pool).await?
    }))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_case_tx(
    tx: &mut Tx,
    id: Uuid,
    counterparty: Uuid,
    stage: &str,
    assignee: Option<Uuid>,
    debt: i64,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO collection_cases (id, counterparty_id, stage, assignee_id, debt, version, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)",
        )
        .bind(id).bind(counterparty).bind(stage).bind(assignee).bind(debt).bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

/// Moves a case to a stage, with the claim's details when it becomes a claim.
pub struct CaseMove<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub claim_number: Option<&'a str>,
    pub claim_sent_on: Option<NaiveDate>,
    pub claim_term_days: Option<i32>,
    pub suit_from: Option<NaiveDate>,
    pub outcome: Option<&'a str>,
    pub close: bool,
}

pub async fn move_case_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    m: &CaseMove<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE collection_cases SET stage = $1, claim_number = COALESCE($2, claim_number), \
         claim_sent_on = COALESCE($3, claim_sent_on), claim_term_days = COALESCE($4, claim_term_days), \
         suit_from = COALESCE($5, suit_from), outcome = COALESCE($6, outcome), \
         closed_at = CASE WHEN $7 THEN $8 ELSE closed_at END, updated_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10 AND stage = $11",
    )
    .bind(m.to).bind(m.claim_number).bind(m.claim_sent_on).bind(m.claim_term_days).bind(m.suit_from).bind(m.outcome)
    .bind(m.close).bind(now).bind(id).bind(version).bind(m.from)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepRow {
    pub id: Uuid,
    pub stage: String,
    pub note: String,
    pub activity_id: Option<Uuid>,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn steps(db: &Db, case: Uuid) -> Result<Vec<StepRow>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, StepRow>(
        "SELECT s.id, s.stage, s.note, s.activity_id, u.display_name AS created_by_name, s.created_at \
         FROM collection_steps s LEFT JOIN users u ON u.id = s.created_by WHERE s.case_id = $1 ORDER BY s.created_at",
    )
    .bind(case).fetch_all(pool).await?))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_step_tx(
    tx: &mut Tx,
    case: Uuid,
    stage: &str,
    note: &str,
    activity: Option<Uuid>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO collection_steps (id, case_id, stage, note, activity_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7()).bind(case).bind(stage).bind(note).bind(activity).bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

/// Opens a task for someone on a client (a collections step).
#[allow(clippy::too_many_arguments)]
pub async fn insert_task_tx(
    tx: &mut Tx,
    id: Uuid,
    counterparty: Uuid,
    owner: Option<Uuid>,
    subject: &str,
    planned_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO activities (id, counterparty_id, owner_id, kind, subject, planned_at, duration_min, created_at, \
             status) VALUES ($1, $2, $3, 'task', $4, $5, 30, $6, 'planned')",
        )
        .bind(id).bind(counterparty).bind(owner).bind(subject).bind(planned_at).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

// --- write-offs -----------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WriteOffRow {
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub invoice_number: String,
    pub counterparty_id: Uuid,
    pub amount: i64,
    pub reason: String,
    pub status: String,
    pub requested_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

const WRITE_OFF_SELECT: &str = "SELECT w.id, w.invoice_id, i.number AS invoice_number, w.counterparty_id, w.amount, \
    w.reason, w.status, w.requested_by, w.created_at, w.decided_at FROM write_offs w JOIN invoices i ON i.id = w.invoice_id";

pub async fn write_off(db: &Db, id: Uuid) -> Result<Option<WriteOffRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{WRITE_OFF_SELECT} WHERE w.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, WriteOffRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn write_offs_of(db: &Db, invoice: Uuid) -> Result<Vec<WriteOffRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{WRITE_OFF_SELECT} WHERE w.invoice_id = $1 ORDER BY w.created_at"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, WriteOffRow>(sql).bind(invoice).fetch_all(pool).await?))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_write_off_tx(
    tx: &mut Tx,
    id: Uuid,
    invoice: Uuid,
    counterparty: Uuid,
    amount: i64,
    reason: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO write_offs (id, invoice_id, counterparty_id, amount, reason, status, requested_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
        )
        .bind(id).bind(invoice).bind(counterparty).bind(amount).bind(reason).bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

pub async fn decide_write_off_tx(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE write_offs SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(status).bind(by).bind(now).bind(id)
    .execute(conn).await?.rows_affected());
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

// --- reconciliation acts --------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub async fn insert_reconciliation_tx(
    tx: &mut Tx,
    id: Uuid,
    number: &str,
    counterparty: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    closing: i64,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO reconciliation_acts (id, number, counterparty_id, period_from, period_to, closing_balance, \
             status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'issued', $7, $8)",
        )
        .bind(id).bind(number).bind(counterparty).bind(from).bind(to).bind(closing).bind(by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

// --- key rates and the working-day calendar -------------------------------------------------

pub async fn key_rates(db: &Db) -> Result<Vec<(NaiveDate, i32)>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, (NaiveDate, i32)>(
        "SELECT effective_from, rate_bp FROM key_rates ORDER BY effective_from",
    )
    .fetch_all(pool).await?))
}

/// Replaces the key-rate table.
pub async fn replace_key_rates_tx(tx: &mut Tx, rows: &[(NaiveDate, i32)]) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM key_rates").execute(&mut *conn).await?;
        for (d, r) in rows {
            sqlx::query("INSERT INTO key_rates (effective_from, rate_bp) VALUES ($1, $2)")
                .bind(*d).bind(*r).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

pub async fn calendar(db: &Db) -> Result<Vec<(NaiveDate, bool)>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_as::<_, (NaiveDate, bool)>(
        "SELECT day, working FROM work_calendar ORDER BY day",
    )
    .fetch_all(pool).await?))
}

/// Sets days of the calendar (a working Saturday, a holiday); other days stay as they are.
pub async fn put_calendar_tx(tx: &mut Tx, days: &[(NaiveDate, bool)]) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        for (d, w) in days {
            sqlx::query(
                "INSERT INTO work_calendar (day, working) VALUES ($1, $2) ON CONFLICT (day) DO UPDATE SET working = excluded.working",
            )
            .bind(*d).bind(*w).execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Fills the key-rate table and the working-day calendar from the domain's reference data when
/// they are empty (a new database); edited tables are left alone.
pub async fn seed_reference(db: &Db) -> Result<(), DbError> {
    let (rates, days): (i64, i64) = db_run!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT (SELECT COUNT(*) FROM key_rates), (SELECT COUNT(*) FROM work_calendar)",
    )
    .fetch_one(pool).await?);
    if rates > 0 && days > 0 {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    if rates == 0 {
        let rows: Vec<(NaiveDate, i32)> = prospekt_domain::interest::key_rate_table()
            .iter()
            .map(|r| (r.from, r.rate_bp as i32))
            .collect();
        replace_key_rates_tx(&mut tx, &rows).await?;
    }
    if days == 0 {
        let rows: Vec<(NaiveDate, bool)> = prospekt_domain::calendar::WorkCalendar::russian_default()
            .overrides()
            .collect();
        put_calendar_tx(&mut tx, &rows).await?;
    }
    tx.commit().await
}
