//! Imported bank statements, their payment documents and the manual matching queue.
//! A document's fingerprint is unique: a statement imported twice adds nothing the second time.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::{Db, DbError, Tx, db_run, tx_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatementRow {
    pub id: Uuid,
    pub file_name: String,
    pub account: Option<String>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub documents: i32,
    pub new_documents: i32,
    pub duplicates: i32,
    pub matched: i32,
    pub queued: i32,
    pub imported_by: Option<Uuid>,
    pub imported_by_name: Option<String>,
    pub imported_at: DateTime<Utc>,
}

const STATEMENT_SELECT: &str = "SELECT s.id, s.file_name, s.account, s.period_from, s.period_to, s.documents, \
    s.new_documents, s.duplicates, s.matched, s.queued, s.imported_by, u.display_name AS imported_by_name, \
    s.imported_at FROM bank_statements s LEFT JOIN users u ON u.id = s.imported_by";

pub async fn statement(db: &Db, id: Uuid) -> Result<Option<StatementRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{STATEMENT_SELECT} WHERE s.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, StatementRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn statements(db: &Db, limit: i64) -> Result<Vec<StatementRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{STATEMENT_SELECT} ORDER BY s.imported_at DESC LIMIT {limit}"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, StatementRow>(sql).fetch_all(pool).await?))
}

/// The statement's header as written.
pub struct NewStatement<'a> {
    pub id: Uuid,
    pub file_name: &'a str,
    pub account: Option<&'a str>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub documents: i32,
    pub imported_by: Uuid,
}

pub async fn insert_statement_tx(tx: &mut Tx, s: &NewStatement<'_>, now: DateTime<Utc>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO bank_statements (id, file_name, account, period_from, period_to, documents, new_documents, \
             duplicates, matched, queued, imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, $7, $8)",
        )
        .bind(s.id).bind(s.file_name).bind(s.account).bind(s.period_from).bind(s.period_to).bind(s.documents)
        .bind(s.imported_by).bind(now)
        .execute(conn).await?;
    });
    Ok(())
}

pub async fn finish_statement_tx(
    tx: &mut Tx,
    id: Uuid,
    new_documents: i32,
    duplicates: i32,
    matched: i32,
    queued: i32,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE bank_statements SET new_documents = $1, duplicates = $2, matched = $3, queued = $4 WHERE id = $5",
        )
        .bind(new_documents).bind(duplicates).bind(matched).bind(queued).bind(id)
        .execute(conn).await?;
    });
    Ok(())
}

/// Which of these fingerprints are stored already.
pub async fn known_fingerprints_tx(tx: &mut Tx, prints: &[String]) -> Result<Vec<String>, DbError> {
    let mut known = Vec::new();
    for chunk in prints.chunks(500) {
        let marks = marks(tx, 1, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT fingerprint FROM bank_statement_docs WHERE fingerprint IN ({})",
            marks
        ));
        let found: Vec<String> = tx_run!(tx, conn => {
            let mut q = sqlx::query_scalar::<_, String>(sql);
            for p in chunk { q = q.bind(p); }
            q.fetch_all(conn).await?
        });
        known.extend(found);
    }
    Ok(known)
}

/// Counterparties by INN (several when branches share one), for identifying payers.
pub async fn counterparties_by_inn_tx(tx: &mut Tx, inns: &[String]) -> Result<Vec<(String, Uuid)>, DbError> {
    let mut out = Vec::new();
    for chunk in inns.chunks(500) {
        let marks = marks(tx, 1, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT inn, id FROM counterparties WHERE inn IN ({}) AND archived_at IS NULL AND merged_into IS NULL",
            marks
        ));
        let found: Vec<(String, Uuid)> = tx_run!(tx, conn => {
            let mut q = sqlx::query_as::<_, (String, Uuid)>(sql);
            for p in chunk { q = q.bind(p); }
            q.fetch_all(conn).await?
        });
        out.extend(found);
    }
    Ok(out)
}

/// Counterparties by a bank account seen before.
pub async fn counterparties_by_account_tx(tx: &mut Tx, accounts: &[String]) -> Result<Vec<(String, Uuid)>, DbError> {
    let mut out = Vec::new();
    for chunk in accounts.chunks(500) {
        let marks = marks(tx, 1, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT account, counterparty_id FROM bank_accounts WHERE account IN ({})",
            marks
        ));
        let found: Vec<(String, Uuid)> = tx_run!(tx, conn => {
            let mut q = sqlx::query_as::<_, (String, Uuid)>(sql);
            for p in chunk { q = q.bind(p); }
            q.fetch_all(conn).await?
        });
        out.extend(found);
    }
    Ok(out)
}

/// Open invoices of many clients at once: (counterparty, id, number, issued, due, open).
pub async fn open_invoices_of_tx(
    tx: &mut Tx,
    counterparties: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, String, NaiveDate, NaiveDate, i64)>, DbError> {
    let mut out = Vec::new();
    for chunk in counterparties.chunks(500) {
        let marks = marks(tx, 1, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT i.counterparty_id, i.id, i.number, i.issued_on, i.due_on, \
             i.total - i.paid - i.credited - i.written_off FROM invoices i \
             WHERE i.counterparty_id IN ({}) AND i.paid + i.credited + i.written_off < i.total",
            marks
        ));
        let found: Vec<(Uuid, Uuid, String, NaiveDate, NaiveDate, i64)> = tx_run!(tx, conn => {
            let mut q = sqlx::query_as::<_, (Uuid, Uuid, String, NaiveDate, NaiveDate, i64)>(sql);
            for p in chunk { q = q.bind(*p); }
            q.fetch_all(conn).await?
        });
        out.extend(found);
    }
    Ok(out)
}

/// A statement document as written.
pub struct NewDoc<'a> {
    pub id: Uuid,
    pub statement_id: Uuid,
    pub fingerprint: &'a str,
    pub line_no: i32,
    pub direction: &'a str,
    pub number: &'a str,
    pub doc_date: NaiveDate,
    pub amount: i64,
    pub payer_inn: Option<&'a str>,
    pub payer_account: &'a str,
    pub payer_name: &'a str,
    pub payee_inn: Option<&'a str>,
    pub payee_account: &'a str,
    pub credited_on: Option<NaiveDate>,
    pub purpose: &'a str,
    pub raw: &'a str,
    pub state: &'a str,
    pub reason: &'a str,
    pub counterparty_id: Option<Uuid>,
    pub payment_id: Option<Uuid>,
    pub proposal: Option<&'a str>,
}

pub async fn insert_doc_tx(tx: &mut Tx, d: &NewDoc<'_>) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO bank_statement_docs (id, statement_id, fingerprint, line_no, direction, number, doc_date, \
             amount, payer_inn, payer_account, payer_name, payee_inn, payee_account, credited_on, purpose, raw, state, \
             reason, counterparty_id, payment_id, proposal, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 1)",
        )
        .bind(d.id).bind(d.statement_id).bind(d.fingerprint).bind(d.line_no).bind(d.direction).bind(d.number)
        .bind(d.doc_date).bind(d.amount).bind(d.payer_inn).bind(d.payer_account).bind(d.payer_name).bind(d.payee_inn)
        .bind(d.payee_account).bind(d.credited_on).bind(d.purpose).bind(d.raw).bind(d.state).bind(d.reason)
        .bind(d.counterparty_id).bind(d.payment_id).bind(d.proposal)
        .execute(conn).await?;
    });
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocRow {
    pub id: Uuid,
    pub statement_id: Uuid,
    pub line_no: i32,
    pub direction: String,
    pub number: String,
    pub doc_date: NaiveDate,
    pub amount: i64,
    pub payer_inn: Option<String>,
    pub payer_account: String,
    pub payer_name: String,
    pub credited_on: Option<NaiveDate>,
    pub purpose: String,
    pub state: String,
    pub reason: String,
    pub counterparty_id: Option<Uuid>,
    pub counterparty_name: Option<String>,
    pub payment_id: Option<Uuid>,
    pub proposal: Option<String>,
    pub version: i64,
}

const DOC_SELECT: &str = "SELECT d.id, d.statement_id, d.line_no, d.direction, d.number, d.doc_date, d.amount, \
    d.payer_inn, d.payer_account, d.payer_name, d.credited_on, d.purpose, d.state, d.reason, d.counterparty_id, \
    c.name AS counterparty_name, d.payment_id, d.proposal, d.version FROM bank_statement_docs d \
    LEFT JOIN counterparties c ON c.id = d.counterparty_id";

pub async fn doc(db: &Db, id: Uuid) -> Result<Option<DocRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{DOC_SELECT} WHERE d.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, DocRow>(sql).bind(id).fetch_optional(pool).await?))
}

pub async fn docs_of(db: &Db, statement: Uuid) -> Result<Vec<DocRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{DOC_SELECT} WHERE d.statement_id = $1 ORDER BY d.line_no"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, DocRow>(sql).bind(statement).fetch_all(pool).await?))
}

/// Documents waiting for a person: ambiguous or unmatched incoming payments, oldest first.
pub async fn queue(db: &Db, limit: i64) -> Result<Vec<DocRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "{DOC_SELECT} WHERE d.state IN ('ambiguous', 'unmatched') ORDER BY d.credited_on, d.line_no LIMIT {limit}"
    ));
    Ok(db_run!(db, pool => sqlx::query_as::<_, DocRow>(sql).fetch_all(pool).await?))
}

/// Marks a queued document resolved (matched by hand, or ignored); `Conflict` when it moved.
#[allow(clippy::too_many_arguments)]
pub async fn resolve_doc_tx(
    tx: &mut Tx,
    id: Uuid,
    version: i64,
    state: &str,
    counterparty: Option<Uuid>,
    payment: Option<Uuid>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let n = tx_run!(tx, conn => sqlx::query(
        "UPDATE bank_statement_docs SET state = $1, counterparty_id = COALESCE($2, counterparty_id), \
         payment_id = COALESCE($3, payment_id), resolved_by = $4, resolved_at = $5, version = version + 1 \
         WHERE id = $6 AND version = $7 AND state IN ('ambiguous', 'unmatched')",
    )
    .bind(state).bind(counterparty).bind(payment).bind(by).bind(now).bind(id).bind(version)
    .execute(conn).await?.rows_affected());
    if n == 0 { Err(DbError::Conflict) } else { Ok(()) }
}

/// Remembers a payer's account for the next statement (no duplicate per client).
pub async fn remember_account_tx(
    tx: &mut Tx,
    counterparty: Uuid,
    bik: &str,
    account: &str,
    bank_name: &str,
) -> Result<(), DbError> {
    tx_run!(tx, conn => {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM bank_accounts WHERE counterparty_id = $1 AND account = $2",
        )
        .bind(counterparty).bind(account).fetch_optional(&mut *conn).await?;
        if known.is_none() {
            sqlx::query(
                "INSERT INTO bank_accounts (id, counterparty_id, bik, account, bank_name) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(Uuid::now_v7()).bind(counterparty).bind(bik).bind(account).bind(bank_name)
            .execute(&mut *conn).await?;
        }
    });
    Ok(())
}

// --- batched writes of one import -----------------------------------------------------------

/// Bind marks for this transaction's engine (see [`super::bind_marks`]).
fn marks(tx: &Tx, first: usize, n: usize) -> String {
    super::bind_marks(matches!(tx, Tx::Sqlite(_)), first, n)
}

/// `($1, $2, …), (…)` (or `(?, ?, …)` on SQLite, see [`marks`]) for `rows` rows of `cols` columns.
fn value_lists(tx: &Tx, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push_str(&marks(tx, r * cols + c + 1, 1));
        }
        s.push(')');
    }
    s
}

/// Rows per multi-row statement: well under both engines' bind-parameter limits.
const ROWS_PER_STATEMENT: usize = 200;

/// Writes many statement documents at once.
pub async fn insert_docs_tx(tx: &mut Tx, docs: &[NewDoc<'_>]) -> Result<(), DbError> {
    for chunk in docs.chunks(ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO bank_statement_docs (id, statement_id, fingerprint, line_no, direction, number, doc_date, \
             amount, payer_inn, payer_account, payer_name, payee_inn, payee_account, credited_on, purpose, raw, state, \
             reason, counterparty_id, payment_id, proposal) VALUES {}",
            value_lists(tx, chunk.len(), 21)
        ));
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for d in chunk {
                q = q.bind(d.id).bind(d.statement_id).bind(d.fingerprint).bind(d.line_no).bind(d.direction)
                    .bind(d.number).bind(d.doc_date).bind(d.amount).bind(d.payer_inn).bind(d.payer_account)
                    .bind(d.payer_name).bind(d.payee_inn).bind(d.payee_account).bind(d.credited_on).bind(d.purpose)
                    .bind(d.raw).bind(d.state).bind(d.reason).bind(d.counterparty_id).bind(d.payment_id)
                    .bind(d.proposal);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// A payment an import creates, its allocated part already known.
pub struct BankPayment<'a> {
    pub id: Uuid,
    pub counterparty_id: Uuid,
    pub paid_on: NaiveDate,
    pub amount: i64,
    pub allocated: i64,
    pub doc_number: &'a str,
    pub purpose: &'a str,
    pub payer_inn: Option<&'a str>,
}

pub async fn insert_payments_tx(
    tx: &mut Tx,
    payments: &[BankPayment<'_>],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for chunk in payments.chunks(ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO payments (id, counterparty_id, paid_on, amount, allocated, doc_number, purpose, payer_inn, \
             source, created_by, created_at) VALUES {}",
            value_lists(tx, chunk.len(), 11)
        ));
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for p in chunk {
                q = q.bind(p.id).bind(p.counterparty_id).bind(p.paid_on).bind(p.amount).bind(p.allocated)
                    .bind(p.doc_number).bind(p.purpose).bind(p.payer_inn).bind("bank").bind(by).bind(now);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Writes allocations of new payments and adds them to their invoices' paid amounts, guarded:
/// `Conflict` when an invoice no longer has the open amount the import saw.
pub async fn apply_allocations_tx(
    tx: &mut Tx,
    allocations: &[(Uuid, Uuid, i64)],
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    for chunk in allocations.chunks(ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO payment_allocations (payment_id, invoice_id, amount, created_by, created_at) VALUES {}",
            value_lists(tx, chunk.len(), 5)
        ));
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for (p, i, a) in chunk {
                q = q.bind(*p).bind(*i).bind(*a).bind(by).bind(now);
            }
            q.execute(conn).await?;
        });
    }
    // One paid increment per invoice.
    let mut per_invoice: Vec<(Uuid, i64)> = Vec::new();
    let mut index: std::collections::HashMap<Uuid, usize> = std::collections::HashMap::new();
    for (_, i, a) in allocations {
        match index.get(i) {
            Some(&k) => per_invoice[k].1 += *a,
            None => {
                index.insert(*i, per_invoice.len());
                per_invoice.push((*i, *a));
            }
        }
    }
    // By primary key (`id IN (…)`), the increment picked by a CASE: both engines look each
    // invoice up by its key, whatever the size of the table.
    for chunk in per_invoice.chunks(ROWS_PER_STATEMENT) {
        // SQLite takes anonymous marks (see [`marks`]), bound in text order: the CASE pairs,
        // the ids, the CASE pairs again. PostgreSQL refers to the same numbered marks twice.
        let sqlite = matches!(tx, Tx::Sqlite(_));
        let mut case = String::from("CASE id");
        for k in 0..chunk.len() {
            case.push_str(&format!(
                " WHEN {} THEN {}",
                marks(tx, 2 * k + 1, 1),
                marks(tx, 2 * k + 2, 1)
            ));
        }
        case.push_str(" END");
        let ids = if sqlite {
            marks(tx, 1, chunk.len())
        } else {
            (0..chunk.len())
                .map(|k| format!("${}", 2 * k + 1))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE invoices SET paid = paid + {case}, version = version + 1 WHERE id IN ({ids}) \
             AND paid + credited + written_off + {case} <= total"
        ));
        let n = tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for (i, a) in chunk {
                q = q.bind(*i).bind(*a);
            }
            if sqlite {
                for (i, _) in chunk {
                    q = q.bind(*i);
                }
                for (i, a) in chunk {
                    q = q.bind(*i).bind(*a);
                }
            }
            q.execute(conn).await?.rows_affected()
        });
        if n != chunk.len() as u64 {
            return Err(DbError::Conflict);
        }
    }
    Ok(())
}

/// Remembers payers' accounts for the next statements (pairs the caller knows to be new).
pub async fn remember_accounts_tx(tx: &mut Tx, rows: &[(Uuid, &str, &str)]) -> Result<(), DbError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = sqlx::AssertSqlSafe(format!(
            "INSERT INTO bank_accounts (id, counterparty_id, bik, account, bank_name) VALUES {}",
            value_lists(tx, chunk.len(), 5)
        ));
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql);
            for (cp, bik, account) in chunk {
                q = q.bind(Uuid::now_v7()).bind(*cp).bind(*bik).bind(*account).bind("");
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Orders fully invoiced whose invoices are all settled now become paid.
pub async fn mark_orders_paid_tx(tx: &mut Tx, orders: &[Uuid], now: DateTime<Utc>) -> Result<(), DbError> {
    for chunk in orders.chunks(500) {
        let first = marks(tx, 1, 1);
        let marks = marks(tx, 2, chunk.len());
        // SQLite's planner, given a long id list, may rather walk every invoiced order by the
        // status index (seconds on a large base); the unary plus keeps it on the primary key.
        let status = if matches!(tx, Tx::Sqlite(_)) {
            "+status"
        } else {
            "status"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE orders SET status = 'paid', updated_at = {first}, version = version + 1 WHERE id IN ({}) \
             AND {status} = 'invoiced' AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = orders.id \
             AND i.paid + i.credited + i.written_off < i.total)",
            marks
        ));
        tx_run!(tx, conn => {
            let mut q = sqlx::query(sql).bind(now);
            for o in chunk {
                q = q.bind(*o);
            }
            q.execute(conn).await?;
        });
    }
    Ok(())
}

/// Orders of these invoices.
pub async fn orders_of_invoices_tx(tx: &mut Tx, invoices: &[Uuid]) -> Result<Vec<Uuid>, DbError> {
    let mut out = Vec::new();
    for chunk in invoices.chunks(500) {
        let marks = marks(tx, 1, chunk.len());
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT order_id FROM invoices WHERE id IN ({}) AND order_id IS NOT NULL",
            marks
        ));
        let found: Vec<Uuid> = tx_run!(tx, conn => {
            let mut q = sqlx::query_scalar::<_, Uuid>(sql);
            for i in chunk { q = q.bind(*i); }
            q.fetch_all(conn).await?
        });
        out.extend(found);
    }
    Ok(out)
}

/// Active counterparties with this INN.
pub async fn counterparties_by_inn(db: &Db, inn: &str) -> Result<Vec<Uuid>, DbError> {
    Ok(db_run!(db, pool => sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM counterparties WHERE inn = $1 AND archived_at IS NULL AND merged_into IS NULL ORDER BY name",
    )
    .bind(inn).fetch_all(pool).await?))
}
