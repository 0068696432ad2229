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
    OptTs(Option<DateTime<Utc>>),
    OptDate(Option<NaiveDate>),
}

/// Binds cells to a query, in order (a macro: each engine's query is its own type).
macro_rules! bind_cells {
    ($q:expr, $cells:expr) => {{
        let mut q = $q;
        for cell in $cells {
            q = match cell {
                Cell::Uuid(v) => q.bind(*v),
                Cell::OptUuid(v) => q.bind(*v),
                Cell::Text(v) => q.bind(v.as_str()),
                Cell::OptText(v) => q.bind(v.as_deref()),
                Cell::Int(v) => q.bind(*v),
                Cell::Bool(v) => q.bind(*v),
                Cell::Ts(v) => q.bind(*v),
                Cell::OptTs(v) => q.bind(*v),
                Cell::OptDate(v) => q.bind(*v),
            };
        }
        q
    }};
}
pub(crate) use bind_cells;

/// Rows per SQLite statement: as many as fit under its parameter limit, capped so one
/// statement stays a reasonable size.
fn rows_per_statement(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 500)
}

/// Inserts `rows` (each `columns.len()` cells) in `tx`.
///
/// SQLite gets multi-row INSERT statements with anonymous `?` placeholders: numbered ones are
/// resolved by name, which costs time quadratic in the number of parameters of a statement.
/// A batch that needs more than one statement is first written to a staging table and then
/// copied into `table` by one `INSERT … SELECT`. The target tables have foreign keys (and
/// some an expression index), so SQLite keeps a statement journal for every statement that
/// writes them: a copy of each page the statement changes, so that the statement alone can
/// be undone. Hundreds of statements of a large batch copy the same index pages over and
/// over (on a million counterparties, half of the time of writing them); one statement
/// copies each page once. The staging table has no constraints, so filling it journals
/// nothing. Constraints and foreign keys are still checked, by the final statement.
///
/// PostgreSQL gets one array per column instead (`INSERT … SELECT * FROM UNNEST($1, $2, …)`):
/// the statement's text no longer depends on the number of rows, so it is parsed and planned
/// once per connection rather than once per batch size, and a batch is not limited by the
/// protocol's 65,535 parameters.
pub async fn insert_rows_tx(tx: &mut Tx, table: &str, columns: &[&str], rows: &[Vec<Cell>]) -> Result<(), DbError> {
    insert_rows_progress_tx(tx, table, columns, rows, &|_| {}).await
}

/// [`insert_rows_tx`], calling `sent(n)` after each statement with the number of rows sent
/// so far (on SQLite, a staged batch then waits for its final copy).
pub async fn insert_rows_progress_tx(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    sent: &(dyn Fn(usize) + Send + Sync),
) -> Result<(), DbError> {
    if let Tx::Postgres(conn) = tx {
        return insert_unnest(conn, table, columns, rows, sent).await;
    }
    let per = rows_per_statement(columns.len());
    let column_list = columns.join(", ");
    let staged = rows.len() > per;
    let target = if staged {
        tx_run!(tx, conn => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP TABLE IF EXISTS temp.{STAGE}; \
                 CREATE TEMP TABLE {STAGE} AS SELECT {column_list} FROM main.{table} WHERE 0"
            )))
            .execute(conn)
            .await?;
        });
        format!("temp.{STAGE}")
    } else {
        table.to_owned()
    };
    let row_marks = format!("({})", vec!["?"; columns.len()].join(", "));
    let mut done = 0;
    for chunk in rows.chunks(per) {
        let sql = format!(
            "INSERT INTO {target} ({column_list}) VALUES {}",
            vec![row_marks.as_str(); chunk.len()].join(", ")
        );
        let sql = sqlx::AssertSqlSafe(sql);
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for row in chunk {
                debug_assert_eq!(row.len(), columns.len());
                q = bind_cells!(q, row);
            }
            q.execute(conn).await?;
        });
        done += chunk.len();
        sent(done);
    }
    if staged {
        tx_run!(tx, conn => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "INSERT INTO main.{table} ({column_list}) SELECT {column_list} FROM temp.{STAGE} ORDER BY rowid; \
                 DROP TABLE temp.{STAGE}"
            )))
            .execute(conn)
            .await?;
        });
    }
    Ok(())
}

/// The staging table of a large SQLite batch (see [`insert_rows_tx`]); temporary, so private
/// to the connection, and dropped when the batch is copied or its transaction rolls back.
const STAGE: &str = "prospekt_stage";

/// One column of a batch, as a PostgreSQL array.
enum ArrayColumn {
    Uuid(Vec<Option<Uuid>>),
    Text(Vec<Option<String>>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Ts(Vec<Option<DateTime<Utc>>>),
    Date(Vec<Option<NaiveDate>>),
}

impl ArrayColumn {
    fn for_cell(cell: &Cell, n: usize) -> Self {
        match cell {
            Cell::Uuid(_) | Cell::OptUuid(_) => ArrayColumn::Uuid(Vec::with_capacity(n)),
            Cell::Text(_) | Cell::OptText(_) => ArrayColumn::Text(Vec::with_capacity(n)),
            Cell::Int(_) => ArrayColumn::Int(Vec::with_capacity(n)),
            Cell::Bool(_) => ArrayColumn::Bool(Vec::with_capacity(n)),
            Cell::Ts(_) | Cell::OptTs(_) => ArrayColumn::Ts(Vec::with_capacity(n)),
            Cell::OptDate(_) => ArrayColumn::Date(Vec::with_capacity(n)),
        }
    }

    fn pg_type(&self) -> &'static str {
        match self {
            ArrayColumn::Uuid(_) => "uuid[]",
            ArrayColumn::Text(_) => "text[]",
            ArrayColumn::Int(_) => "int8[]",
            ArrayColumn::Bool(_) => "bool[]",
            ArrayColumn::Ts(_) => "timestamptz[]",
            ArrayColumn::Date(_) => "date[]",
        }
    }

    /// Appends a cell; `false` if it is not of this column's kind.
    fn push(&mut self, cell: &Cell) -> bool {
        match (self, cell) {
            (ArrayColumn::Uuid(v), Cell::Uuid(x)) => v.push(Some(*x)),
            (ArrayColumn::Uuid(v), Cell::OptUuid(x)) => v.push(*x),
            (ArrayColumn::Text(v), Cell::Text(x)) => v.push(Some(x.clone())),
            (ArrayColumn::Text(v), Cell::OptText(x)) => v.push(x.clone()),
            (ArrayColumn::Int(v), Cell::Int(x)) => v.push(*x),
            (ArrayColumn::Bool(v), Cell::Bool(x)) => v.push(*x),
            (ArrayColumn::Ts(v), Cell::Ts(x)) => v.push(Some(*x)),
            (ArrayColumn::Ts(v), Cell::OptTs(x)) => v.push(*x),
            (ArrayColumn::Date(v), Cell::OptDate(x)) => v.push(*x),
            _ => return false,
        }
        true
    }
}

/// Most rows one UNNEST statement takes (bounds the memory of one message).
const UNNEST_ROWS: usize = 10_000;

async fn insert_unnest(
    conn: &mut sqlx::PgConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    sent: &(dyn Fn(usize) + Send + Sync),
) -> Result<(), DbError> {
    let mut done = 0;
    for chunk in rows.chunks(UNNEST_ROWS) {
        let Some(first) = chunk.first() else {
            continue;
        };
        let mut arrays: Vec<ArrayColumn> = first.iter().map(|c| ArrayColumn::for_cell(c, chunk.len())).collect();
        for row in chunk {
            if row.len() != columns.len() || !arrays.iter_mut().zip(row).all(|(a, c)| a.push(c)) {
                return Err(DbError::Sql(sqlx::Error::Encode(
                    format!("a row for {table} does not match the batch's columns").into(),
                )));
            }
        }
        let marks = arrays
            .iter()
            .enumerate()
            .map(|(i, a)| format!("${}::{}", i + 1, a.pg_type()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} ({}) SELECT * FROM UNNEST({marks})",
            columns.join(", ")
        ));
        let mut q = sqlx::query(sql);
        for a in arrays {
            q = match a {
                ArrayColumn::Uuid(v) => q.bind(v),
                ArrayColumn::Text(v) => q.bind(v),
                ArrayColumn::Int(v) => q.bind(v),
                ArrayColumn::Bool(v) => q.bind(v),
                ArrayColumn::Ts(v) => q.bind(v),
                ArrayColumn::Date(v) => q.bind(v),
            };
        }
        q.execute(&mut *conn).await?;
        done += chunk.len();
        sent(done);
    }
    Ok(())
}

/// `n` bind placeholders for an `IN (…)` list (see [`super::bind_marks`]).
fn placeholders(db: &Db, n: usize) -> String {
    super::bind_marks(matches!(db, Db::Sqlite(_)), 1, n)
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

/// The per-row search triggers of a table (SQLite): the FTS5 insert and the vocabulary
/// update of `0003_search.sql`.
const SEARCH_INSERT_TRIGGERS: [(&str, &str, &str); 2] = [
    ("counterparties", "counterparties_search_insert", "counterparty"),
    ("contacts", "contacts_search_insert", "contact"),
];

/// Characters the SQLite vocabulary trigger turns into spaces before splitting at spaces
/// (`0003_search.sql`, kept in the same order).
const VOCABULARY_SEPARATORS: &[char] = &[
    '\t', '\n', '\r', '"', '\'', '«', '»', '„', '“', '”', '‘', '’', '(', ')', '[', ']', ',', '.', '/', '\\', '&', '+',
    '№', ':', ';', '!', '?', '*', '#', '_', '|', '–', '—', '-',
];

/// Vocabulary words of a `search_key`, exactly as the SQLite trigger picks them: split at the
/// separators and spaces, 2–64 characters, no ASCII digit.
pub fn vocabulary_words(search_key: &str) -> impl Iterator<Item = &str> {
    search_key
        .split(|c: char| c == ' ' || VOCABULARY_SEPARATORS.contains(&c))
        .filter(|w| (2..=64).contains(&w.chars().count()) && !w.bytes().any(|b| b.is_ascii_digit()))
}

/// Search indexing of a large SQLite batch done set-based instead of by per-row triggers.
/// [`SearchBatch::begin`] drops the two insert triggers inside the caller's transaction
/// and remembers where the tables' rowids stand; [`SearchBatch::finish`] indexes the rows
/// added since (FTS5 from the stored `search_key`, vocabulary from the given keys) and
/// recreates the triggers from their stored SQL. SQLite holds the write lock for the
/// whole transaction, so no other writer can slip a row past the missing triggers, and a
/// rollback restores them. On PostgreSQL (statement-level triggers already) it does nothing.
pub struct SearchBatch {
    /// (table, trigger SQL, kind, rowid before the batch)
    suspended: Vec<(&'static str, String, &'static str, i64)>,
}

impl SearchBatch {
    pub async fn begin(tx: &mut Tx) -> Result<Self, DbError> {
        let Tx::Sqlite(t) = tx else {
            return Ok(Self { suspended: Vec::new() });
        };
        let mut suspended = Vec::new();
        for (table, trigger, kind) in SEARCH_INSERT_TRIGGERS {
            let sql: Option<String> =
                sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?")
                    .bind(trigger)
                    .fetch_optional(&mut **t)
                    .await?;
            let Some(sql) = sql else { continue };
            let base: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COALESCE(MAX(rowid), 0) FROM {table}"
            )))
            .fetch_one(&mut **t)
            .await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TRIGGER {trigger}")))
                .execute(&mut **t)
                .await?;
            suspended.push((table, sql, kind, base));
        }
        Ok(Self { suspended })
    }

    /// Indexes the batch: `keys(kind)` yields the `search_key`s inserted into that kind's table.
    pub async fn finish<'k>(self, tx: &mut Tx, keys: impl Fn(&str) -> Vec<&'k str>) -> Result<(), DbError> {
        let Tx::Sqlite(t) = tx else { return Ok(()) };
        for (table, sql, kind, base) in self.suspended {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO {table}_fts (rowid, search_key) SELECT rowid, search_key FROM {table} WHERE rowid > ?"
            )))
            .bind(base)
            .execute(&mut **t)
            .await?;
            let mut words: Vec<&str> = keys(kind).into_iter().flat_map(vocabulary_words).collect();
            words.sort_unstable();
            words.dedup();
            for chunk in words.chunks(10_000) {
                let values = vec!["(?, ?)"; chunk.len()].join(", ");
                let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT OR IGNORE INTO search_vocabulary (word, kind) VALUES {values}"
                )));
                for w in chunk {
                    q = q.bind(*w).bind(kind);
                }
                q.execute(&mut **t).await?;
            }
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut **t).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::vocabulary_words;

    #[test]
    fn vocabulary_words_split_like_the_sqlite_trigger() {
        let key = "ооо «альфа-трейд № 5» info@firm.ru k2 ж o'нил\tтверь";
        let words: Vec<&str> = vocabulary_words(key).collect();
        // Digits disqualify a word, single letters are too short, '@' is not a separator.
        assert_eq!(
            words,
            ["ооо", "альфа", "трейд", "info@firm", "ru", "o", "нил", "тверь"]
                .iter()
                .filter(|w| w.chars().count() >= 2)
                .copied()
                .collect::<Vec<_>>()
        );
    }
}
