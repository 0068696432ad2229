//! Contact persons of counterparties.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub full_name: String,
    pub position: Option<String>,
    pub decision_role: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub consent_ads: bool,
    pub consent_pd: bool,
    pub messengers: Option<String>,
    pub consent_at: Option<NaiveDate>,
    pub consent_source: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT id, counterparty_id, full_name, position, decision_role, phone, email, birthday, \
    consent_ads, consent_pd, messengers, consent_at, consent_source, version, created_at, updated_at FROM contacts";

/// The fields of a contact, written whole.
pub struct ContactFields<'a> {
    pub full_name: &'a str,
    pub position: Option<&'a str>,
    pub decision_role: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub birthday: Option<NaiveDate>,
    pub consent_ads: bool,
    pub consent_pd: bool,
    pub messengers: Option<&'a str>,
    pub consent_at: Option<NaiveDate>,
    pub consent_source: Option<&'a str>,
    pub search_key: &'a str,
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<ContactRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ContactRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn for_counterparty(db: &Db, counterparty: Uuid) -> Result<Vec<ContactRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE counterparty_id = $1 ORDER BY full_name, id LIMIT 500"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, ContactRow>(sql).bind(counterparty).fetch_all(pool).await?))
}

pub async fn insert_tx(
    tx: &mut Tx,
    id: Uuid,
    counterparty: Uuid,
    c: &ContactFields<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO contacts (id, counterparty_id, full_name, position, decision_role, phone, email, birthday, \
             consent_ads, consent_pd, search_key, version, created_at, updated_at, messengers, consent_at, consent_source) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12, $13, $14, $15)",
        )
        .bind(id).bind(counterparty).bind(c.full_name).bind(c.position).bind(c.decision_role).bind(c.phone)
        .bind(c.email).bind(c.birthday).bind(c.consent_ads).bind(c.consent_pd).bind(c.search_key).bind(now)
        .bind(c.messengers).bind(c.consent_at).bind(c.consent_source)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Writes the fields if the stored version is still `version`; otherwise [`DbError::Conflict`].
pub async fn update_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    c: &ContactFields<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE contacts SET full_name = $1, position = $2, decision_role = $3, phone = $4, email = $5, \
             birthday = $6, consent_ads = $7, consent_pd = $8, search_key = $9, updated_at = $10, version = version + 1, \
             messengers = $13, consent_at = $14, consent_source = $15 WHERE id = $11 AND version = $12",
        )
        .bind(c.full_name).bind(c.position).bind(c.decision_role).bind(c.phone).bind(c.email).bind(c.birthday)
        .bind(c.consent_ads).bind(c.consent_pd).bind(c.search_key).bind(now).bind(id).bind(version)
        .bind(c.messengers).bind(c.consent_at).bind(c.consent_source)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}
