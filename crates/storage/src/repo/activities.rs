//! Activities: planned and done calls, visits, meetings, letters, tasks and notes.
//!
//! Rows are read joined with the names a screen shows beside them (client, contact, owner), so
//! a week of plans or a client's timeline is one query.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    /// The client's owner and department: the activity is reached through its client.
    pub counterparty_owner_id: Option<Uuid>,
    pub counterparty_department_id: Option<Uuid>,
    pub address: Option<String>,
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub deal_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub kind: String,
    pub subject: String,
    pub planned_at: DateTime<Utc>,
    pub duration_min: i32,
    pub status: String,
    pub done_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub next_step: Option<String>,
    pub follows_id: Option<Uuid>,
    pub series_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT a.id, a.counterparty_id, c.name AS counterparty_name, \
    c.owner_id AS counterparty_owner_id, c.department_id AS counterparty_department_id, \
    COALESCE(c.actual_address, c.legal_address) AS address, a.contact_id, p.full_name AS contact_name, \
    p.phone AS contact_phone, a.deal_id, a.owner_id, u.display_name AS owner_name, a.kind, a.subject, \
    a.planned_at, a.duration_min, a.status, a.done_at, a.result, a.next_step, a.follows_id, a.series_id, \
    a.version, a.created_at, a.updated_at \
    FROM activities a JOIN counterparties c ON c.id = a.counterparty_id \
    LEFT JOIN contacts p ON p.id = a.contact_id LEFT JOIN users u ON u.id = a.owner_id";

/// A new activity, written whole.
pub struct NewActivity<'a> {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub kind: &'a str,
    pub subject: &'a str,
    pub planned_at: DateTime<Utc>,
    pub duration_min: i32,
    pub status: &'a str,
    pub done_at: Option<DateTime<Utc>>,
    pub result: Option<&'a str>,
    pub follows_id: Option<Uuid>,
    pub series_id: Option<Uuid>,
}

/// The editable fields of a planned activity.
pub struct ActivityEdit<'a> {
    pub contact_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub kind: &'a str,
    pub subject: &'a str,
    pub planned_at: DateTime<Utc>,
    pub duration_min: i32,
}

/// How an activity ended.
pub struct Outcome<'a> {
    pub status: &'a str,
    pub done_at: DateTime<Utc>,
    pub result: Option<&'a str>,
    pub next_step: Option<&'a str>,
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<ActivityRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ActivityRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Activities whose id is in `ids`, in plan order (one query).
pub async fn by_ids_tx(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<ActivityRow>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id IN ({list}) ORDER BY a.planned_at, a.id"));
    Ok(tx_run!(tx, conn => {
        let mut q = sqlx::query_as::<_, ActivityRow>(sql);
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(conn).await?
    }))
}

pub async fn insert_tx(tx: &mut Tx, a: &NewActivity<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO activities (id, counterparty_id, contact_id, deal_id, owner_id, kind, subject, planned_at, \
             duration_min, status, done_at, result, follows_id, series_id, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15)",
        )
        .bind(a.id).bind(a.counterparty_id).bind(a.contact_id).bind(a.deal_id).bind(a.owner_id).bind(a.kind)
        .bind(a.subject).bind(a.planned_at).bind(a.duration_min).bind(a.status).bind(a.done_at).bind(a.result)
        .bind(a.follows_id).bind(a.series_id).bind(now)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Rewrites a planned activity if `version` is current; otherwise [`DbError::Conflict`].
pub async fn update_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    e: &ActivityEdit<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE activities SET contact_id = $1, deal_id = $2, owner_id = $3, kind = $4, subject = $5, \
             planned_at = $6, duration_min = $7, updated_at = $8, version = version + 1 \
             WHERE id = $9 AND version = $10",
        )
        .bind(e.contact_id).bind(e.deal_id).bind(e.owner_id).bind(e.kind).bind(e.subject).bind(e.planned_at)
        .bind(e.duration_min).bind(now).bind(id).bind(version)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Marks a planned activity done or not done if `version` is current and it is still planned.
pub async fn complete_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    o: &Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE activities SET status = $1, done_at = $2, result = $3, next_step = $4, updated_at = $5, \
             version = version + 1 WHERE id = $6 AND version = $7 AND status = 'planned'",
        )
        .bind(o.status).bind(o.done_at).bind(o.result).bind(o.next_step).bind(now).bind(id).bind(version)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Records that the client was contacted at `at` (and seen, when `visit`): the later of the
/// stored and the new moment wins. Derived data: the counterparty's version does not change,
/// so a contact never makes a colleague's open edit of the card stale.
pub async fn touch_counterparty_tx(
    tx: &mut Tx,
    counterparty: Uuid,
    at: DateTime<Utc>,
    visit: bool,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE counterparties SET \
             last_contact_at = CASE WHEN last_contact_at IS NULL OR last_contact_at < $1 THEN $1 ELSE last_contact_at END, \
             last_visit_at = CASE WHEN $2 AND (last_visit_at IS NULL OR last_visit_at < $1) THEN $1 ELSE last_visit_at END \
             WHERE id = $3",
        )
        .bind(at).bind(visit).bind(counterparty)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// A client's activities, newest first (the card's timeline), before `before` when paging.
pub async fn for_counterparty(
    db: &Db,
    counterparty: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ActivityRow>, DbError> {
    // A far-future bound that sorts after every stored time as text (SQLite) and as a timestamp.
    let end = DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z").map_or(DateTime::<Utc>::MAX_UTC, |d| d.to_utc());
    let (t, id) = before.unwrap_or((end, Uuid::max()));
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.counterparty_id = $1 AND (a.planned_at < $2 OR (a.planned_at = $2 AND a.id < $3)) \
         ORDER BY a.planned_at DESC, a.id DESC LIMIT $4"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ActivityRow>(sql)
        .bind(counterparty).bind(t).bind(id).bind(limit).fetch_all(pool).await?))
}

/// A user's activities starting in `[from, to)`, in time order (the week view, the feed).
pub async fn for_owner_between(
    db: &Db,
    owner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ActivityRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.owner_id = $1 AND a.planned_at >= $2 AND a.planned_at < $3 \
         ORDER BY a.planned_at, a.id LIMIT $4"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ActivityRow>(sql)
        .bind(owner).bind(from).bind(to).bind(limit).fetch_all(pool).await?))
}

/// A user's plans that are past and still not marked, most recent first.
pub async fn overdue_for_owner(
    db: &Db,
    owner: Uuid,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ActivityRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.owner_id = $1 AND a.status = 'planned' AND a.planned_at < $2 \
         ORDER BY a.planned_at DESC, a.id DESC LIMIT $3"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ActivityRow>(sql)
        .bind(owner).bind(now).bind(limit).fetch_all(pool).await?))
}

/// Counts of a user's activities (notes excepted: they record, they do not plan) starting in
/// `[from, to)` by status, with planned ones split by whether they are already past.
pub async fn status_counts(
    db: &Db,
    owner: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<(String, bool, i64)>, DbError> {
    let sql = "SELECT status, planned_at < $4 AS past, COUNT(*) FROM activities \
               WHERE owner_id = $1 AND planned_at >= $2 AND planned_at < $3 AND kind <> 'note' GROUP BY status, past";
    Ok(db_run!(db, pool => sqlx::query_as::<_, (String, bool, i64)>(sql)
        .bind(owner).bind(from).bind(to).bind(now).fetch_all(pool).await?))
}

/// `contact`'s name and phone, if it is a contact person of `counterparty`.
pub async fn contact_of(db: &Db, contact: Uuid, counterparty: Uuid) -> Result<Option<ContactBrief>, DbError> {
    let sql = "SELECT full_name, phone FROM contacts WHERE id = $1 AND counterparty_id = $2";
    Ok(db_run!(db, pool => sqlx::query_as::<_, ContactBrief>(sql)
        .bind(contact).bind(counterparty).fetch_optional(pool).await?))
}

/// What an activity shows of its contact.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactBrief {
    pub full_name: String,
    pub phone: Option<String>,
}

/// Whether `deal` is a deal with `counterparty`.
pub async fn deal_belongs(db: &Db, deal: Uuid, counterparty: Uuid) -> Result<bool, DbError> {
    let sql = "SELECT COUNT(*) FROM deals WHERE id = $1 AND counterparty_id = $2";
    let n: i64 = db_run!(db, pool => sqlx::query_scalar(sql).bind(deal).bind(counterparty).fetch_one(pool).await?);
    Ok(n > 0)
}

/// Puts an activity into a recurring series (when it is first repeated).
pub async fn set_series_tx(tx: &mut Tx, id: Uuid, series: Uuid) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("UPDATE activities SET series_id = $1 WHERE id = $2")
            .bind(series).bind(id)
            .execute(conn).await?;
    });
    Ok(())
}
