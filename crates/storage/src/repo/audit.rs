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
    pub on_behalf_of_id: Option<Uuid>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub changes: String,
}

/// Newest entries first, optionally for one record.
pub async fn recent(db: &Db, entity_id: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_id, on_behalf_of_id, action, entity, entity_id, changes FROM audit_log \
             WHERE ($1 IS NULL OR entity_id = $1) ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(entity_id)
        .bind(limit)
        .fetch_all(pool)
        .await?
    }))
}
