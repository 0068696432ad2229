//! The append-only audit log. Writes go through the same transaction as the change they
//! describe; the schema refuses UPDATE and DELETE on this table.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

pub struct AuditEntry<'a> {
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub on_behalf_of_id: Option<Uuid>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    /// JSON: `{"field": [before, after], …}` or action details.
    pub changes: &'a str,
    pub ip: Option<&'a str>,
}

const INSERT: &str = "INSERT INTO audit_log (id, at, actor_id, on_behalf_of_id, action, entity, entity_id, changes, ip) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

macro_rules! bind_entry {
    ($e:expr) => {
        sqlx::query(INSERT)
            .bind(Uuid::now_v7())
            .bind($e.at)
            .bind($e.actor_id)
            .bind($e.on_behalf_of_id)
            .bind($e.action)
            .bind($e.entity)
            .bind($e.entity_id)
            .bind($e.changes)
            .bind($e.ip)
    };
}

/// Records an event that has no other write (login, export, denial).
pub async fn append(db: &Db, e: &AuditEntry<'_>) -> Result<(), DbError> {
    db_run!(db, pool => { bind_entry!(e).execute(pool).await?; });
    Ok(())
}

/// Records a change inside the transaction that makes it.
pub async fn append_tx(tx: &mut Tx, e: &AuditEntry<'_>) -> Result<(), DbError> {
    tx_run!(tx, conn => { bind_entry!(e).execute(conn).await?; });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub on_behalf_of_id: Option<Uuid>,
    pub on_behalf_of_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub changes: String,
    pub ip: Option<String>,
}

/// Filters of the audit log view; all optional.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset cursor: (at, id) of the last row seen; the next page is older.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Newest entries first.
pub async fn list(db: &Db, f: &AuditFilter) -> Result<Vec<AuditRow>, DbError> {
    let (before_at, before_id) = f.before.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, AuditRow>(
            "SELECT l.id, l.at, l.actor_id, a.display_name AS actor_name, l.on_behalf_of_id, \
             b.display_name AS on_behalf_of_name, l.action, l.entity, l.entity_id, l.changes, l.ip \
             FROM audit_log l LEFT JOIN users a ON a.id = l.actor_id LEFT JOIN users b ON b.id = l.on_behalf_of_id \
             WHERE ($1 IS NULL OR l.entity = $1) AND ($2 IS NULL OR l.entity_id = $2) AND ($3 IS NULL OR l.actor_id = $3) \
             AND ($4 IS NULL OR l.action = $4) AND ($5 IS NULL OR l.at >= $5) AND ($6 IS NULL OR l.at < $6) \
             AND ($7 IS NULL OR l.at < $7 OR (l.at = $7 AND l.id < $8)) \
             ORDER BY l.at DESC, l.id DESC LIMIT $9",
        )
        .bind(f.entity.as_deref()).bind(f.entity_id).bind(f.actor_id).bind(f.action.as_deref())
        .bind(f.from).bind(f.to).bind(before_at).bind(before_id).bind(f.limit)
        .fetch_all(pool)
        .await?
    }))
}

/// Newest entries first, optionally for one record.
pub async fn recent(db: &Db, entity_id: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    list(
        db,
        &AuditFilter {
            entity_id,
            limit,
            ..Default::default()
        },
    )
    .await
}
