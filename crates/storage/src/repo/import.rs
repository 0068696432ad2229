//! What a counterparty import needs from the database: finding existing records by their
//! keys in bulk, and writing many rows per statement inside the caller's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

/// A value of a multi-row insert.
#[derive(Debug, Clone)]
pub enum Cell {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Bool(bool),
    Ts(DateTime<Utc>),
    OptDate(Option<NaiveDate>),
}

/// Rows per statement: as many as fit under both engines' parameter limits, capped so one
/// statement stays a reasonable size.
fn rows_per_statement(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 500)
}

/// Inserts `rows` (each `columns.len()` cells) with multi-row INSERT statements in `tx`.
/// SQLite gets anonymous `?` placeholders: numbered ones are resolved by name, which costs
/// time quadratic in the number of parameters of a statement.
pub async fn insert_rows_tx(tx: &mut Tx, table: &str, columns: &[&str], rows: &[Vec<Cell>]) -> Result<(), DbError> {
    let per = rows_per_statement(columns.len());
    let sqlite = matches!(tx, Tx::Sqlite(_));
    for chunk in rows.chunks(per) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if sqlite {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        let sql = sqlx::AssertSqlSafe(sql);
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for row in chunk {
                debug_assert_eq!(row.len(), columns.len());
                for cell in row {
                    q = match cell {
                        Cell::Uuid(v) => q.bind(*v),
                        Cell::OptUuid(v) => q.bind(*v),
                        Cell::Text(v) => q.bind(v.as_str()),
                        Cell::OptText(v) => q.bind(v.as_deref()),
                        Cell::Int(v) => q.bind(*v),
                        Cell::Bool(v) => q.bind(*v),
                        Cell::Ts(v) => q.bind(*v),
                        Cell::OptDate(v) => q.bind(*v),
                    };
                }
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// `n` bind placeholders for an `IN (…)` list: `?` on SQLite (see [`insert_rows_tx`]), `$i` on PostgreSQL.
fn placeholders(db: &Db, n: usize) -> String {
    match db {
        Db::Sqlite(_) => vec!["?"; n].join(", "),
        Db::Postgres(_) => (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    }
}

/// An existing counterparty as an import sees it: its keys, reach and importable fields.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Existing {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub owner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
}

const EXISTING: &str = "SELECT id, external_id, inn, kpp, owner_id, department_id FROM counterparties";

/// Live or archived (not merged) counterparties whose external id is among `ids`.
pub async fn by_external_ids(db: &Db, ids: &[String]) -> Result<Vec<Existing>, DbError> {
    by_column(db, "external_id", ids).await
}

/// Not-merged counterparties whose INN is among `inns` (the caller compares KPPs).
pub async fn by_inns(db: &Db, inns: &[String]) -> Result<Vec<Existing>, DbError> {
    by_column(db, "inn", inns).await
}

async fn by_column(db: &Db, column: &str, values: &[String]) -> Result<Vec<Existing>, DbError> {
    let mut out = Vec::new();
    for chunk in values.chunks(500) {
        let list = placeholders(db, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!("{EXISTING} WHERE {column} IN ({list}) AND merged_into IS NULL"));
        let rows = db_run!(db, pool => {
            let mut q = sqlx::query_as::<_, Existing>(sql);
            for v in chunk {
                q = q.bind(v.as_str());
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// Full rows of these counterparties, for computing what an update changes.
pub async fn rows_by_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<super::counterparties::CounterpartyRow>, DbError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let list = placeholders(db, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!("{} WHERE c.id IN ({list})", super::counterparties::SELECT));
        let rows = db_run!(db, pool => {
            let mut q = sqlx::query_as::<_, super::counterparties::CounterpartyRow>(sql);
            for v in chunk {
                q = q.bind(*v);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// `(counterparty, lower(full_name))` of existing contacts of these counterparties, so a
/// re-import does not add the same person twice.
pub async fn contact_names(db: &Db, counterparties: &[Uuid]) -> Result<Vec<(Uuid, String)>, DbError> {
    let mut out = Vec::new();
    for chunk in counterparties.chunks(500) {
        let list = placeholders(db, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT counterparty_id, search_key FROM contacts WHERE counterparty_id IN ({list})"
        ));
        let rows = db_run!(db, pool => {
            let mut q = sqlx::query_as::<_, (Uuid, String)>(sql);
            for v in chunk {
                q = q.bind(*v);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}

/// `(counterparty, bik, account)` of existing bank accounts of these counterparties.
pub async fn bank_account_keys(db: &Db, counterparties: &[Uuid]) -> Result<Vec<(Uuid, String, String)>, DbError> {
    let mut out = Vec::new();
    for chunk in counterparties.chunks(500) {
        let list = placeholders(db, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT counterparty_id, bik, account FROM bank_accounts WHERE counterparty_id IN ({list})"
        ));
        let rows = db_run!(db, pool => {
            let mut q = sqlx::query_as::<_, (Uuid, String, String)>(sql);
            for v in chunk {
                q = q.bind(*v);
            }
            q.fetch_all(pool).await?
        });
        out.extend(rows);
    }
    Ok(out)
}
