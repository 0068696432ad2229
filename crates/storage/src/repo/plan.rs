//! What the contact plan reads besides activities: the facts "whom to contact now" ranks a
//! manager's clients by (each gathered for all of the manager's clients in one grouped query),
//! the contact-frequency rule sets, and calendar-feed tokens.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::ledger::OPEN;
use crate::{Db, DbError, Tx, db_run, tx_run};

/// A client of the manager, with when it last heard from us.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: Uuid,
    pub name: String,
    pub status: String,
    pub tier: String,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub last_visit_at: Option<DateTime<Utc>>,
}

/// Live (not archived) clients owned by `owner`.
pub async fn clients_of(db: &Db, owner: Uuid) -> Result<Vec<ClientRow>, DbError> {
    let sql = "SELECT id, name, status, tier, city, phone, created_at, last_contact_at, last_visit_at \
               FROM counterparties WHERE owner_id = $1 AND archived_at IS NULL";
    Ok(db_run!(db, pool => sqlx::query_as::<_, ClientRow>(sql).bind(owner).fetch_all(pool).await?))
}

// The grouped queries below read only the owner index of counterparties (no row visits):
// archived clients' figures come back too and are ignored, as `clients_of` leaves them out.

/// Orders of one client since the look-back date: how many, first and last date, and the
/// turnover since `year_ago` (cancelled orders do not count).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderStats {
    pub counterparty_id: Uuid,
    pub count: i64,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    pub turnover: i64,
}

pub async fn order_stats(
    db: &Db,
    owner: Uuid,
    since: NaiveDate,
    year_ago: NaiveDate,
) -> Result<Vec<OrderStats>, DbError> {
    let sql = "SELECT o.counterparty_id, COUNT(*) AS count, MIN(o.ordered_on) AS first, MAX(o.ordered_on) AS last, \
               CAST(COALESCE(SUM(CASE WHEN o.ordered_on >= $3 THEN o.total ELSE 0 END), 0) AS BIGINT) AS turnover \
               FROM counterparties c JOIN orders o ON o.counterparty_id = c.id \
               WHERE c.owner_id = $1 AND o.ordered_on >= $2 AND o.status <> 'cancelled' \
               GROUP BY o.counterparty_id";
    Ok(db_run!(db, pool => sqlx::query_as::<_, OrderStats>(sql)
        .bind(owner).bind(since).bind(year_ago).fetch_all(pool).await?))
}

/// Overdue open invoices of one client (what is neither paid, credited by a return nor
/// written off): the sum owed and the oldest due date.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverdueDebt {
    pub counterparty_id: Uuid,
    pub amount: i64,
    pub oldest_due: NaiveDate,
}

pub async fn overdue_debts(db: &Db, owner: Uuid, today: NaiveDate) -> Result<Vec<OverdueDebt>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT i.counterparty_id, CAST(SUM(i.total - i.paid - i.credited - i.written_off) AS BIGINT) AS amount, \
         MIN(i.due_on) AS oldest_due \
         FROM counterparties c JOIN invoices i ON i.counterparty_id = c.id \
         WHERE c.owner_id = $1 AND i.due_on < $2 AND {OPEN} \
         GROUP BY i.counterparty_id"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, OverdueDebt>(sql).bind(owner).bind(today).fetch_all(pool).await?))
}

/// An open deal of one client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenDeal {
    pub counterparty_id: Uuid,
    pub stage: String,
    pub expected_close: Option<NaiveDate>,
}

pub async fn open_deals(db: &Db, owner: Uuid) -> Result<Vec<OpenDeal>, DbError> {
    let sql = "SELECT d.counterparty_id, d.stage, d.expected_close \
               FROM counterparties c JOIN deals d ON d.counterparty_id = c.id \
               WHERE c.owner_id = $1 AND d.stage NOT IN ('won', 'lost')";
    Ok(db_run!(db, pool => sqlx::query_as::<_, OpenDeal>(sql).bind(owner).fetch_all(pool).await?))
}

/// The next planned contact per client in `owner`'s plan (from `now` on).
pub async fn next_planned(db: &Db, owner: Uuid, now: DateTime<Utc>) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbError> {
    let sql = "SELECT counterparty_id, MIN(planned_at) FROM activities \
               WHERE owner_id = $1 AND status = 'planned' AND planned_at >= $2 AND kind NOT IN ('task', 'note') \
               GROUP BY counterparty_id";
    Ok(
        db_run!(db, pool => sqlx::query_as::<_, (Uuid, DateTime<Utc>)>(sql).bind(owner).bind(now).fetch_all(pool).await?),
    )
}

/// A stored rule set (JSON list of rules) with its version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleSetRow {
    pub scope: String,
    pub rules: String,
    pub version: i64,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

/// The rule set stored for `scope` (a department id, or `company`).
pub async fn rule_set(db: &Db, scope: &str) -> Result<Option<RuleSetRow>, DbError> {
    let sql = "SELECT scope, rules, version, updated_by, updated_at FROM contact_rule_sets WHERE scope = $1";
    Ok(db_run!(db, pool => sqlx::query_as::<_, RuleSetRow>(sql).bind(scope).fetch_optional(pool).await?))
}

/// Stores a rule set if `version` is the one read (0: none was stored yet); otherwise
/// [`DbError::Conflict`]. Returns the new version.
pub async fn put_rule_set_tx(
    tx: &mut Tx,
    scope: &str,
    rules: &str,
    version: i64,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = if version == 0 {
        tx_run!(tx, conn => sqlx::query(
            "INSERT INTO contact_rule_sets (scope, rules, version, updated_by, updated_at) VALUES ($1, $2, 1, $3, $4) \
             ON CONFLICT (scope) DO NOTHING",
        )
        .bind(scope).bind(rules).bind(by).bind(now)
        .execute(conn).await?.rows_affected())
    } else {
        tx_run!(tx, conn => sqlx::query(
            "UPDATE contact_rule_sets SET rules = $1, version = version + 1, updated_by = $2, updated_at = $3 \
             WHERE scope = $4 AND version = $5",
        )
        .bind(rules).bind(by).bind(now).bind(scope).bind(version)
        .execute(conn).await?.rows_affected())
    };
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Revokes every live calendar feed of `user`; returns how many there were.
pub async fn revoke_feeds_tx(tx: &mut Tx, user: Uuid, now: DateTime<Utc>) -> Result<u64, DbError> {
    Ok(tx_run!(tx, conn => sqlx::query(
        "UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(now).bind(user)
    .execute(conn).await?.rows_affected()))
}

pub async fn insert_feed_tx(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("INSERT INTO calendar_feeds (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(user).bind(token_hash).bind(now)
            .execute(conn).await?;
    });
    Ok(())
}

/// The user a live feed token (by its hash) belongs to, if the user is active.
pub async fn feed_owner(db: &Db, token_hash: &str) -> Result<Option<Uuid>, DbError> {
    let sql = "SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
               WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND u.is_active";
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, Uuid>(sql).bind(token_hash).fetch_optional(pool).await?))
}

/// When the user's live feed was created, if there is one.
pub async fn live_feed(db: &Db, user: Uuid) -> Result<Option<DateTime<Utc>>, DbError> {
    let sql = "SELECT created_at FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL";
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, DateTime<Utc>>(sql).bind(user).fetch_optional(pool).await?))
}

/// How many clients and activities a user has (for benchmark reports).
pub async fn plan_size(db: &Db, owner: Uuid) -> Result<(i64, i64), DbError> {
    Ok(db_run!(db, pool => {
        let c = sqlx::query_scalar("SELECT COUNT(*) FROM counterparties WHERE owner_id = $1")
            .bind(owner).fetch_one(pool).await?;
        let a = sqlx::query_scalar("SELECT COUNT(*) FROM activities WHERE owner_id = $1")
            .bind(owner).fetch_one(pool).await?;
        (c, a)
    }))
}
