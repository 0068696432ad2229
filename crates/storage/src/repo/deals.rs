//! Deals and their stage history. A deal is reached through its client's scope, like every
//! record hanging off a counterparty.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::Scope;
use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealRow {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub title: String,
    pub stage: String,
    pub amount: i64,
    pub probability: i32,
    pub expected_close: Option<NaiveDate>,
    pub lost_reason: Option<String>,
    pub competitor: Option<String>,
    pub source_campaign: Option<String>,
    pub needs: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stage_changed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT d.id, d.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, d.owner_id, \
    u.display_name AS owner_name, d.title, d.stage, d.amount, d.probability, d.expected_close, d.lost_reason, \
    d.competitor, d.source_campaign, d.needs, d.version, d.created_at, d.updated_at, d.stage_changed_at, d.closed_at \
    FROM deals d JOIN counterparties c ON c.id = d.counterparty_id LEFT JOIN users u ON u.id = d.owner_id";

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<DealRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE d.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, DealRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Which deals a list or board shows.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    /// Deals performed by this user.
    pub owner: Option<Uuid>,
    pub counterparty: Option<Uuid>,
    /// Only deals still being worked on.
    pub open_only: bool,
    /// With `open_only`, also deals closed since then (the board's won/lost columns).
    pub closed_since: Option<DateTime<Utc>>,
    pub stage: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Deals in scope matching the filter, by expected close date.
pub async fn list(db: &Db, scope: &Scope, f: &DealFilter) -> Result<Vec<DealRow>, DbError> {
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    let mut n = 0usize;
    let mut uuids: Vec<Uuid> = Vec::new();
    let mut owner_bind = None;
    if let Some(o) = f.owner {
        n += 1;
        sql.push_str(&format!(" AND d.owner_id = ${n}"));
        owner_bind = Some(o);
    }
    let mut cp_bind = None;
    if let Some(c) = f.counterparty {
        n += 1;
        sql.push_str(&format!(" AND d.counterparty_id = ${n}"));
        cp_bind = Some(c);
    }
    let mut stage_bind = None;
    if let Some(s) = &f.stage {
        n += 1;
        sql.push_str(&format!(" AND d.stage = ${n}"));
        stage_bind = Some(s.clone());
    }
    let mut since_bind = None;
    if f.open_only {
        match f.closed_since {
            Some(since) => {
                n += 1;
                sql.push_str(&format!(" AND (d.stage NOT IN ('won', 'lost') OR d.closed_at >= ${n})"));
                since_bind = Some(since);
            }
            None => sql.push_str(" AND d.stage NOT IN ('won', 'lost')"),
        }
    }
    uuids.extend(scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id"));
    sql.push_str(&format!(
        " ORDER BY d.expected_close, d.id LIMIT {} OFFSET {}",
        f.limit.clamp(1, 5000),
        f.offset.max(0)
    ));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, DealRow>(sql);
        if let Some(o) = owner_bind { q = q.bind(o); }
        if let Some(c) = cp_bind { q = q.bind(c); }
        if let Some(s) = &stage_bind { q = q.bind(s); }
        if let Some(t) = since_bind { q = q.bind(t); }
        for u in &uuids { q = q.bind(*u); }
        q.fetch_all(pool).await?
    }))
}

pub struct NewDeal<'a> {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub title: &'a str,
    pub stage: &'a str,
    pub amount: i64,
    pub probability: i32,
    pub expected_close: Option<NaiveDate>,
    pub source_campaign: Option<&'a str>,
    pub needs: Option<&'a str>,
}

pub async fn insert_tx(tx: &mut Tx, d: &NewDeal<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO deals (id, counterparty_id, owner_id, title, stage, amount, probability, expected_close, \
             source_campaign, needs, version, created_at, updated_at, stage_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $11)",
        )
        .bind(d.id).bind(d.counterparty_id).bind(d.owner_id).bind(d.title).bind(d.stage).bind(d.amount)
        .bind(d.probability).bind(d.expected_close).bind(d.source_campaign).bind(d.needs).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

/// Everything about a deal that an edit may change, written whole with the version read.
pub struct DealState<'a> {
    pub owner_id: Option<Uuid>,
    pub title: &'a str,
    pub stage: &'a str,
    pub amount: i64,
    pub probability: i32,
    pub expected_close: Option<NaiveDate>,
    pub lost_reason: Option<&'a str>,
    pub competitor: Option<&'a str>,
    pub source_campaign: Option<&'a str>,
    pub needs: Option<&'a str>,
    pub stage_changed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

pub async fn update_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    d: &DealState<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE deals SET owner_id = $1, title = $2, stage = $3, amount = $4, probability = $5, expected_close = $6, \
         lost_reason = $7, competitor = $8, source_campaign = $9, needs = $10, stage_changed_at = $11, \
         closed_at = $12, updated_at = $13, version = version + 1 WHERE id = $14 AND version = $15",
    )
    .bind(d.owner_id).bind(d.title).bind(d.stage).bind(d.amount).bind(d.probability).bind(d.expected_close)
    .bind(d.lost_reason).bind(d.competitor).bind(d.source_campaign).bind(d.needs).bind(d.stage_changed_at)
    .bind(d.closed_at).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StageChangeRow {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_by: Option<Uuid>,
    pub changed_by_name: Option<String>,
    pub changed_at: DateTime<Utc>,
}

pub async fn insert_stage_change_tx(
    tx: &mut Tx,
    deal: Uuid,
    from: Option<&str>,
    to: &str,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO deal_stage_history (id, deal_id, from_stage, to_stage, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::now_v7()).bind(deal).bind(from).bind(to).bind(by).bind(at)
        .execute(conn).await?;
    });
    Ok(())
}

pub async fn stage_history(db: &Db, deal: Uuid) -> Result<Vec<StageChangeRow>, DbError> {
    let sql = "SELECT h.from_stage, h.to_stage, h.changed_by, u.display_name AS changed_by_name, h.changed_at \
               FROM deal_stage_history h LEFT JOIN users u ON u.id = h.changed_by \
               WHERE h.deal_id = $1 ORDER BY h.changed_at, h.id";
    Ok(db_run!(db, pool => sqlx::query_as::<_, StageChangeRow>(sql).bind(deal).fetch_all(pool).await?))
}

/// The user with the most open deals and how many (for benchmark reports).
pub async fn busiest_owner(db: &Db) -> Result<Option<(Uuid, i64)>, DbError> {
    let sql = "SELECT owner_id, COUNT(*) AS n FROM deals WHERE owner_id IS NOT NULL AND stage NOT IN ('won', 'lost') \
               GROUP BY owner_id ORDER BY n DESC LIMIT 1";
    Ok(db_run!(db, pool => sqlx::query_as::<_, (Uuid, i64)>(sql).fetch_optional(pool).await?))
}

/// One stage of a board: how many deals, their sum and their probability-weighted sum.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StageTotals {
    pub stage: String,
    pub count: i64,
    pub amount: i64,
    pub weighted: i64,
}

/// A manager's board: per stage the totals of every deal (open, or closed since `closed_since`)
/// and the first `per_stage` deals by expected close date. Reads the owner index range only.
pub async fn board(
    db: &Db,
    scope: &Scope,
    owner: Uuid,
    closed_since: DateTime<Utc>,
    per_stage: i64,
) -> Result<(Vec<DealRow>, Vec<StageTotals>), DbError> {
    let mut filter = String::from(" WHERE d.owner_id = $1 AND (d.stage NOT IN ('won', 'lost') OR d.closed_at >= $2)");
    let mut n = 2usize;
    let scope_ids = scope.push_filter(&mut filter, &mut n, "c.department_id", "c.owner_id");
    let from = "FROM deals d JOIN counterparties c ON c.id = d.counterparty_id";
    let totals = sqlx::AssertSqlSafe(format!(
        "SELECT d.stage, COUNT(*) AS count, CAST(COALESCE(SUM(d.amount), 0) AS BIGINT) AS amount, \
         CAST(COALESCE(SUM(d.amount * d.probability / 100), 0) AS BIGINT) AS weighted {from}{filter} GROUP BY d.stage"
    ));
    let rows = sqlx::AssertSqlSafe(format!(
        "SELECT * FROM ({SELECT_RANKED}{filter}) ranked WHERE rn <= {} ORDER BY stage, rn",
        per_stage.clamp(1, 1000)
    ));
    Ok(db_run!(db, pool => {
        let mut t = sqlx::query_as::<_, StageTotals>(totals).bind(owner).bind(closed_since);
        let mut r = sqlx::query_as::<_, DealRow>(rows).bind(owner).bind(closed_since);
        for id in &scope_ids {
            t = t.bind(*id);
            r = r.bind(*id);
        }
        (r.fetch_all(pool).await?, t.fetch_all(pool).await?)
    }))
}

/// [`SELECT`] with each deal's place in its stage by expected close date (`rn`).
const SELECT_RANKED: &str = "SELECT d.id, d.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, d.owner_id, \
    u.display_name AS owner_name, d.title, d.stage, d.amount, d.probability, d.expected_close, d.lost_reason, \
    d.competitor, d.source_campaign, d.needs, d.version, d.created_at, d.updated_at, d.stage_changed_at, d.closed_at, \
    ROW_NUMBER() OVER (PARTITION BY d.stage ORDER BY d.expected_close IS NULL, d.expected_close, d.id) AS rn \
    FROM deals d JOIN counterparties c ON c.id = d.counterparty_id LEFT JOIN users u ON u.id = d.owner_id";

/// The user whose number of open deals is nearest to `target` (for benchmark reports).
pub async fn owner_with_open_deals_near(db: &Db, target: i64) -> Result<Option<(Uuid, i64)>, DbError> {
    let sql = "SELECT owner_id, COUNT(*) AS n FROM deals WHERE owner_id IS NOT NULL AND stage NOT IN ('won', 'lost') \
               GROUP BY owner_id ORDER BY ABS(COUNT(*) - $1), owner_id LIMIT 1";
    Ok(db_run!(db, pool => sqlx::query_as::<_, (Uuid, i64)>(sql).bind(target).fetch_optional(pool).await?))
}
