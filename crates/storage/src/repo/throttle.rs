//! Failed-login counters, shared by all app servers through the database.

use chrono::{DateTime, Utc};

use crate::{Db, DbError, db_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThrottleRow {
    pub key: String,
    pub failures: i32,
    pub window_start: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

pub async fn get(db: &Db, key: &str) -> Result<Option<ThrottleRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, ThrottleRow>("SELECT key, failures, window_start, locked_until FROM login_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(pool)
            .await?
    }))
}

/// Stores the counter as decided by the caller (the rule lives in the app layer).
pub async fn put(db: &Db, row: &ThrottleRow) -> Result<(), DbError> {
    db_run!(db, pool => {
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, \
             locked_until = excluded.locked_until",
        )
        .bind(&row.key)
        .bind(row.failures)
        .bind(row.window_start)
        .bind(row.locked_until)
        .execute(pool)
        .await?;
    });
    Ok(())
}

pub async fn clear(db: &Db, key: &str) -> Result<(), DbError> {
    db_run!(db, pool => {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(pool).await?;
    });
    Ok(())
}
