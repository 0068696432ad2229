//! API tokens. Only a SHA-256 digest of the secret is stored: tokens are 256-bit random
//! values, so a fast hash is enough and keeps every API request cheap.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::users::UserRow;

const USER_BY_TOKEN: &str = "SELECT u.id, u.login, u.display_name, u.email, u.role, u.department_id, u.locale, \
    u.is_active, u.can_export, u.version, u.created_at, u.updated_at, t.id AS token_id, t.last_used_at, t.expires_at, \
    EXISTS (SELECT 1 FROM absences a WHERE a.substitute_id = u.id AND a.starts_on <= $3 AND a.ends_on >= $3) AS stands_in \
    FROM api_tokens t JOIN users u ON u.id = t.user_id \
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
    AND u.is_active = TRUE";
use crate::{Db, DbError, Tx, db_run, tx_run};

pub async fn insert_tx(
    tx: &mut Tx,
    id: Uuid,
    user_id: Uuid,
    token_hash: &str,
    name: &str,
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(user_id)
        .bind(token_hash)
        .bind(name)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// The active user behind a token digest (not revoked, not expired, user active), with the
/// token's id and when it was last marked as used.
/// The user behind a live token, with what authentication needs to know of the token.
#[derive(Debug, Clone)]
pub struct TokenUser {
    pub user: UserRow,
    pub token_id: Uuid,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the user stands in for an absent colleague on `today`.
    pub stands_in: bool,
}

pub async fn user_by_hash(
    db: &Db,
    token_hash: &str,
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Result<Option<TokenUser>, DbError> {
    Ok(db_run!(db, pool => {
        let row = sqlx::query(USER_BY_TOKEN).bind(token_hash).bind(now).bind(today).fetch_optional(pool).await?;
        match row {
            Some(row) => {
                use sqlx::{FromRow, Row};
                Some(TokenUser {
                    user: UserRow::from_row(&row)?,
                    token_id: row.try_get("token_id")?,
                    last_used_at: row.try_get("last_used_at")?,
                    expires_at: row.try_get("expires_at")?,
                    stands_in: row.try_get("stands_in")?,
                })
            }
            None => None,
        }
    }))
}

/// Records that a token was used (callers do it at most hourly, not on every request).
pub async fn touch(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    db_run!(db, pool => {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(pool).await?;
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn list_for_user(db: &Db, user_id: Uuid) -> Result<Vec<TokenRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, TokenRow>(
            "SELECT id, user_id, name, created_at, expires_at, revoked_at, last_used_at FROM api_tokens \
             WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
    }))
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<TokenRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, TokenRow>(
            "SELECT id, user_id, name, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    }))
}

pub async fn revoke_tx(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now).bind(id).execute(conn).await?;
    });
    Ok(())
}
