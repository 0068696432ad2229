//! The organisation: departments and territories, and which territories a manager covers.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: Uuid,
    pub name: String,
    pub head_user_id: Option<Uuid>,
    pub head_name: Option<String>,
}

pub async fn departments(db: &Db) -> Result<Vec<DepartmentRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, DepartmentRow>(
            "SELECT d.id, d.name, d.head_user_id, u.display_name AS head_name FROM departments d \
             LEFT JOIN users u ON u.id = d.head_user_id ORDER BY d.name",
        )
        .fetch_all(pool)
        .await?
    }))
}

pub async fn department(db: &Db, id: Uuid) -> Result<Option<DepartmentRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, DepartmentRow>(
            "SELECT d.id, d.name, d.head_user_id, u.display_name AS head_name FROM departments d \
             LEFT JOIN users u ON u.id = d.head_user_id WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    }))
}

pub async fn insert_department_tx(
    tx: &mut Tx,
    id: Uuid,
    name: &str,
    head: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("INSERT INTO departments (id, name, head_user_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id).bind(name).bind(head).bind(now).execute(conn).await?;
    });
    Ok(())
}

pub async fn set_department_head_tx(tx: &mut Tx, id: Uuid, head: Option<Uuid>) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => {
        sqlx::query("UPDATE departments SET head_user_id = $1 WHERE id = $2").bind(head).bind(id).execute(conn).await?.rows_affected()
    });
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TerritoryRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

pub async fn territories(db: &Db) -> Result<Vec<TerritoryRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, TerritoryRow>("SELECT id, code, name FROM territories ORDER BY name").fetch_all(pool).await?
    }))
}

pub async fn insert_territory_tx(tx: &mut Tx, id: Uuid, code: &str, name: &str) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("INSERT INTO territories (id, code, name) VALUES ($1, $2, $3)")
            .bind(id).bind(code).bind(name).execute(conn).await?;
    });
    Ok(())
}

pub async fn user_territories(db: &Db, user: Uuid) -> Result<Vec<TerritoryRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, TerritoryRow>(
            "SELECT t.id, t.code, t.name FROM user_territories ut JOIN territories t ON t.id = ut.territory_id \
             WHERE ut.user_id = $1 ORDER BY t.name",
        )
        .bind(user)
        .fetch_all(pool)
        .await?
    }))
}

/// Replaces the territories a user covers.
pub async fn set_user_territories_tx(tx: &mut Tx, user: Uuid, territories: &[Uuid]) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM user_territories WHERE user_id = $1").bind(user).execute(&mut *conn).await?;
        for t in territories {
            sqlx::query("INSERT INTO user_territories (user_id, territory_id) VALUES ($1, $2)")
                .bind(user).bind(*t).execute(&mut *conn).await?;
        }
    });
    Ok(())
}
