//! Absences and who stands in. Delegated scope is computed from these rows at request time.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AbsenceRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_name: String,
    pub user_department_id: Option<Uuid>,
    pub substitute_id: Uuid,
    pub substitute_name: String,
    pub kind: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT a.id, a.user_id, u.display_name AS user_name, u.department_id AS user_department_id, \
    a.substitute_id, s.display_name AS substitute_name, a.kind, a.starts_on, a.ends_on, a.note, a.created_at \
    FROM absences a JOIN users u ON u.id = a.user_id JOIN users s ON s.id = a.substitute_id";

pub struct NewAbsence<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub substitute_id: Uuid,
    pub kind: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub note: Option<&'a str>,
    pub created_by: Uuid,
    pub now: DateTime<Utc>,
}

pub async fn insert_tx(tx: &mut Tx, a: &NewAbsence<'_>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO absences (id, user_id, substitute_id, kind, starts_on, ends_on, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(a.id).bind(a.user_id).bind(a.substitute_id).bind(a.kind).bind(a.starts_on).bind(a.ends_on)
        .bind(a.note).bind(a.created_by).bind(a.now)
        .execute(conn)
        .await?;
    });
    Ok(())
}

pub async fn delete_tx(tx: &mut Tx, id: Uuid) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query("DELETE FROM absences WHERE id = $1").bind(id).execute(conn).await?;
    });
    Ok(())
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<AbsenceRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, AbsenceRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Absences that end on or after `from`, newest first; optionally only those involving a user
/// (as the absent one or the substitute) or a department's members.
pub async fn list(
    db: &Db,
    from: NaiveDate,
    involving: Option<Uuid>,
    department: Option<Uuid>,
) -> Result<Vec<AbsenceRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE a.ends_on >= $1 AND ($2 IS NULL OR a.user_id = $2 OR a.substitute_id = $2) \
         AND ($3 IS NULL OR u.department_id = $3) ORDER BY a.starts_on DESC, a.id LIMIT 500"
    ));
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, AbsenceRow>(sql).bind(from).bind(involving).bind(department).fetch_all(pool).await?
    }))
}

/// Who `substitute` stands in for on `day`, with each absent user's department.
pub async fn standing_in_for(
    db: &Db,
    substitute: Uuid,
    day: NaiveDate,
) -> Result<Vec<(Uuid, String, Option<Uuid>)>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, (Uuid, String, Option<Uuid>)>(
            "SELECT u.id, u.role, u.department_id FROM absences a JOIN users u ON u.id = a.user_id \
             WHERE a.substitute_id = $1 AND a.starts_on <= $2 AND a.ends_on >= $2",
        )
        .bind(substitute)
        .bind(day)
        .fetch_all(pool)
        .await?
    }))
}
