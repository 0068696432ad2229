//! Users and departments.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub login: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub department_id: Option<Uuid>,
    pub locale: String,
    pub is_active: bool,
    pub can_export: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewUser<'a> {
    pub id: Uuid,
    pub login: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: &'a str,
    pub department_id: Option<Uuid>,
    pub password_hash: Option<&'a str>,
    pub locale: &'a str,
    pub now: DateTime<Utc>,
}

/// Columns of [`UserRow`], for queries that alias `users` as `u`.
pub const USER_COLUMNS: &str = "u.id, u.login, u.display_name, u.email, u.role, u.department_id, u.locale, u.is_active, \
     u.can_export, u.version, u.created_at, u.updated_at";

pub async fn insert_tx(tx: &mut Tx, u: &NewUser<'_>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO users (id, login, display_name, email, role, department_id, password_hash, locale, \
             is_active, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, 1, $9, $9)",
        )
        .bind(u.id)
        .bind(u.login)
        .bind(u.display_name)
        .bind(u.email)
        .bind(u.role)
        .bind(u.department_id)
        .bind(u.password_hash)
        .bind(u.locale)
        .bind(u.now)
        .execute(conn)
        .await?;
    });
    Ok(())
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<UserRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, UserRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// The user and their password hash, for login. The hash never leaves storage otherwise.
pub async fn credentials(db: &Db, login: &str) -> Result<Option<(UserRow, Option<String>)>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.login = $1"
    ));
    Ok(db_run!(db, pool => {
        let row = sqlx::query(sql).bind(login).fetch_optional(pool).await?;
        match row {
            Some(row) => {
                use sqlx::{FromRow, Row};
                let user = UserRow::from_row(&row)?;
                let hash: Option<String> = row.try_get("password_hash")?;
                Some((user, hash))
            }
            None => None,
        }
    }))
}

pub async fn set_password_hash_tx(tx: &mut Tx, id: Uuid, hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
    let n = tx_run!(tx, pool => {
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

pub async fn count(db: &Db) -> Result<i64, DbError> {
    Ok(db_run!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await?))
}

/// Users, optionally of one department, by display name.
pub async fn list(db: &Db, department: Option<Uuid>) -> Result<Vec<UserRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE ($1 IS NULL OR u.department_id = $1) ORDER BY u.display_name, u.id"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, UserRow>(sql).bind(department).fetch_all(pool).await?))
}

/// The administrable fields of a user, written only if `version` still matches.
pub struct UserUpdate<'a> {
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: &'a str,
    pub department_id: Option<Uuid>,
    pub is_active: bool,
    pub can_export: bool,
    pub locale: &'a str,
}

pub async fn update_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    u: &UserUpdate<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE users SET display_name = $1, email = $2, role = $3, department_id = $4, is_active = $5, \
             can_export = $6, locale = $7, updated_at = $8, version = version + 1 WHERE id = $9 AND version = $10",
        )
        .bind(u.display_name).bind(u.email).bind(u.role).bind(u.department_id).bind(u.is_active)
        .bind(u.can_export).bind(u.locale).bind(now).bind(id).bind(version)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

/// A user's own discount limit in basis points (`None`: no such user).
pub async fn discount_limit(db: &Db, id: Uuid) -> Result<Option<i32>, DbError> {
    let sql = "SELECT discount_limit FROM users WHERE id = $1";
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, i32>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn set_discount_limit_tx(tx: &mut Tx, id: Uuid, basis_points: i32) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("UPDATE users SET discount_limit = $1 WHERE id = $2").bind(basis_points).bind(id).execute(conn).await?;
    });
    Ok(())
}

/// Sets the discount limit of every user with `role` (demo data).
pub async fn set_discount_limit_of_role_tx(tx: &mut Tx, role: &str, basis_points: i32) -> Result<u64, DbError> {
    Ok(
        tx_run!(tx, conn => sqlx::query("UPDATE users SET discount_limit = $1 WHERE role = $2")
        .bind(basis_points).bind(role).execute(conn).await?.rows_affected()),
    )
}
