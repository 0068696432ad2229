//! Settlement accounts of counterparties (requisites for invoices and bank-statement matching).

use uuid::Uuid;

use crate::{Db, DbError, db_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BankAccountRow {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub bik: String,
    pub account: String,
    pub corr_account: Option<String>,
    pub bank_name: String,
}

pub async fn for_counterparty(db: &Db, counterparty: Uuid) -> Result<Vec<BankAccountRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, BankAccountRow>(
            "SELECT id, counterparty_id, bik, account, corr_account, bank_name FROM bank_accounts \
             WHERE counterparty_id = $1 ORDER BY bank_name, account",
        )
        .bind(counterparty)
        .fetch_all(pool)
        .await?
    }))
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<BankAccountRow>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, BankAccountRow>(
            "SELECT id, counterparty_id, bik, account, corr_account, bank_name FROM bank_accounts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
    }))
}

/// The account with this BIK and number on this counterparty, if any (no double entry).
pub async fn find(db: &Db, counterparty: Uuid, bik: &str, account: &str) -> Result<Option<Uuid>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT id FROM bank_accounts WHERE counterparty_id = $1 AND bik = $2 AND account = $3",
        )
        .bind(counterparty).bind(bik).bind(account)
        .fetch_optional(pool)
        .await?
    }))
}

pub async fn insert_tx(tx: &mut crate::Tx, row: &BankAccountRow) -> Result<(), DbError> {
    crate::tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO bank_accounts (id, counterparty_id, bik, account, corr_account, bank_name) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(row.id).bind(row.counterparty_id).bind(&row.bik).bind(&row.account)
        .bind(&row.corr_account).bind(&row.bank_name)
        .execute(conn)
        .await?;
    });
    Ok(())
}

pub async fn delete_tx(tx: &mut crate::Tx, id: Uuid) -> Result<u64, DbError> {
    Ok(crate::tx_run!(tx, conn => {
        sqlx::query("DELETE FROM bank_accounts WHERE id = $1").bind(id).execute(conn).await?.rows_affected()
    }))
}
