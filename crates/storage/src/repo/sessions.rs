//! Browser sessions, kept in the database so any app server can serve any request.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::UserRow;
use crate::{Db, DbError, Tx, db_run, tx_run};

pub async fn insert(
    db: &Db,
    id_hash: &str,
    user_id: Uuid,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    db_run!(db, pool => {
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(id_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The session's user, and whether they stand in for an absent colleague on `today`.
pub async fn user_by_hash(
    db: &Db,
    id_hash: &str,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Result<Option<(UserRow, bool)>, DbError> {
    Ok(db_run!(db, pool => {
        let row = sqlx::query(
            "SELECT u.id, u.login, u.display_name, u.email, u.role, u.department_id, u.locale, u.is_active, \
             u.can_export, u.version, u.created_at, u.updated_at, \
             EXISTS (SELECT 1 FROM absences a WHERE a.substitute_id = u.id AND a.starts_on <= $3 AND a.ends_on >= $3) AS stands_in \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.is_active = TRUE",
        )
        .bind(id_hash)
        .bind(now)
        .bind(today)
        .fetch_optional(pool)
        .await?;
        match row {
            Some(row) => {
                use sqlx::{FromRow, Row};
                Some((UserRow::from_row(&row)?, row.try_get("stands_in")?))
            }
            None => None,
        }
    }))
}

pub async fn delete(db: &Db, id_hash: &str) -> Result<(), DbError> {
    db_run!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(pool).await?;
    });
    Ok(())
}

pub async fn delete_for_user_tx(tx: &mut Tx, user_id: Uuid) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await?;
    });
    Ok(())
}
