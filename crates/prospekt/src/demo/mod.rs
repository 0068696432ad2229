//! `prospekt demo`: fills an empty database with realistic, deterministic Russian demo data.
//!
//! What comes out: users of every role (password hash supplied by the caller), territories,
//! departments, price columns, a catalogue, and counterparties (ООО/АО/ПАО, ИП, private
//! persons) with valid INN/KPP/OGRN/OGRNIP and bank requisites, contacts, activities,
//! deals, orders, invoices with lines, payments and allocations — including overdue
//! unpaid debt, so receivables reports have something to show.
//!
//! Determinism: counts, names, identifiers and amounts are a function of the seed (see
//! `generate.rs` for how the RNG streams are laid out). Dates are offsets from the day the
//! generator runs, so ids (UUID v7) and the year inside document numbers shift with it.
//!
//! Speed: rows are generated on a blocking thread and handed over in groups through a
//! bounded channel while the async side writes them with [`prospekt_storage::bulk`]
//! (multi-row INSERT on SQLite, COPY on PostgreSQL) in one transaction, with secondary
//! indexes and foreign-key checks deferred to the end. On 2 cores generation and the
//! database engine overlap.

mod commerce;
mod generate;
mod ident;
mod words;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{SubsecRound as _, Utc};
use prospekt_storage::Db;
use prospekt_storage::bulk::{BulkOptions, BulkWriter, verify};

use generate::{ALL_TABLES, CHUNK, Counters, Plan};

/// Tables loaded on SQLite's second connection, in parallel with the rest: the two
/// biggest ones (about half of all values), so both connections carry similar work.
static PARALLEL: [&prospekt_storage::bulk::BulkTable; 2] = [&generate::ACTIVITIES, &generate::INVOICE_LINES];

/// How much demo data to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSize {
    /// ≈1,000 counterparties, one department: a quick look around.
    Small,
    /// ≈100,000 counterparties, four departments.
    Medium,
    /// ≈1,000,000 counterparties, ten departments, over 10 million invoice lines: ~25 million
    /// rows, for load tests.
    Large,
}

impl DemoSize {
    fn plan(self) -> Plan {
        match self {
            DemoSize::Small => Plan {
                counterparties: 1_000,
                departments: 1,
                managers_per_department: 8,
                kams_per_department: 2,
                kam_clients: 2_000,
                products: 300,
                invoice_line_factor: 1,
            },
            DemoSize::Medium => Plan {
                counterparties: 100_000,
                departments: 4,
                managers_per_department: 12,
                kams_per_department: 2,
                kam_clients: 2_000,
                products: 2_000,
                invoice_line_factor: 1,
            },
            DemoSize::Large => Plan {
                counterparties: 1_000_000,
                departments: 10,
                managers_per_department: 20,
                kams_per_department: 2,
                kam_clients: 2_000,
                products: 5_000,
                // Twice the lines per invoice: ≈10.5 million invoice lines (≈5.26 million
                // with the base ranges), so the database holds over 10 million of them.
                invoice_line_factor: 2,
            },
        }
    }
}

impl FromStr for DemoSize {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(DemoSize::Small),
            "medium" => Ok(DemoSize::Medium),
            "large" => Ok(DemoSize::Large),
            other => bail!("unknown demo size {other:?}: expected small, medium or large"),
        }
    }
}

impl fmt::Display for DemoSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DemoSize::Small => "small",
            DemoSize::Medium => "medium",
            DemoSize::Large => "large",
        })
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub counterparties: u64,
    pub contacts: u64,
    pub activities: u64,
    pub invoice_lines: u64,
    /// `(login, role)` of every demo user, in creation order.
    pub users: Vec<(String, String)>,
    pub departments: u64,
    pub products: u64,
    pub bank_accounts: u64,
    pub deals: u64,
    pub orders: u64,
    pub invoices: u64,
    pub payments: u64,
    /// All rows of all tables.
    pub rows: u64,
    pub elapsed: Duration,
}

/// Counterparty chunks per group handed from the generator thread to the writer: big
/// enough for full multi-row statements, small enough for frequent progress calls.
const CHUNKS_PER_GROUP: u64 = 5;

/// Groups buffered between generator and writer (each ~100k rows at most).
const CHANNEL_GROUPS: usize = 3;

const NOT_EMPTY: &str = "the database already has data: demo fills only an empty database";

/// Non-zero when `counterparties` or `users` has a row. Portable SQL (aliases are
/// required by PostgreSQL; `COUNT` is BIGINT on both).
const HAS_DATA_SQL: &str = "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM counterparties LIMIT 1) c) \
     + (SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) u)";

/// Fills an empty database with demo data.
///
/// `password_hash` is the argon2 hash stored for every demo user (the caller computes it
/// from the demo password). `progress(done, total, stage)` is called often — after every
/// table batch while counterparties are written, then once per finishing step — so the
/// CLI can drive a progress bar; `done`/`total` count counterparties in the main stage and
/// steps in the others.
pub async fn generate(
    db: &Db,
    size: DemoSize,
    seed: u64,
    password_hash: &str,
    progress: &(dyn Fn(u64, u64, &str) + Send + Sync),
) -> anyhow::Result<DemoReport> {
    let started = Instant::now();
    let plan = size.plan();

    // A cheap check before anything is locked or dropped; repeated inside the load
    // transaction, where it is race-free.
    if verify::query_i64(db, HAS_DATA_SQL)
        .await
        .context("checking that the database is empty")?
        > 0
    {
        bail!(NOT_EMPTY);
    }
    progress(0, plan.counterparties, "reference data");
    let options = BulkOptions {
        defer_indexes: true,
        defer_foreign_keys: true,
        sqlite_cache_kib: None,
        sqlite_parallel: &PARALLEL,
    };
    let mut writer = BulkWriter::begin(db, &ALL_TABLES, options)
        .await
        .context("starting the demo load")?;
    if writer
        .query_i64(HAS_DATA_SQL)
        .await
        .context("checking that the database is empty")?
        > 0
    {
        bail!(NOT_EMPTY);
    }
    // Territories and price columns may have been seeded by a migration: reuse them.
    let existing_territories: HashMap<String, uuid::Uuid> = writer
        .query_id_text("SELECT id, code FROM territories")
        .await?
        .into_iter()
        .map(|(id, c)| (c, id))
        .collect();
    let existing_price_columns: HashMap<String, uuid::Uuid> = writer
        .query_id_text("SELECT id, code FROM price_columns")
        .await?
        .into_iter()
        .map(|(id, c)| (c, id))
        .collect();

    let now = Utc::now().trunc_subsecs(0);
    let (refs, ref_out) = generate::reference_data(
        seed,
        now,
        plan,
        password_hash,
        &existing_territories,
        &existing_price_columns,
    );
    let mut report = DemoReport {
        users: ref_out.users,
        ..DemoReport::default()
    };
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    for batch in ref_out.batches {
        let table = batch.table().name;
        let n = writer.write(batch).await.with_context(|| format!("writing {table}"))?;
        *counts.entry(table).or_default() += n;
    }

    // Counterparties and everything under them: generated on a blocking thread, written here.
    let refs = Arc::new(refs);
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHANNEL_GROUPS);
    let generator = {
        let refs = Arc::clone(&refs);
        tokio::task::spawn_blocking(move || {
            let mut counters = Counters::default();
            let chunks = refs.plan.counterparties.div_ceil(CHUNK);
            let mut next = 0;
            while next < chunks {
                let end = (next + CHUNKS_PER_GROUP).min(chunks);
                let group = generate::generate_group(&refs, &mut counters, next..end);
                if tx.blocking_send(group).is_err() {
                    // The writer stopped on an error; it reports it.
                    return;
                }
                next = end;
            }
        })
    };
    let total = plan.counterparties;
    let mut done = 0;
    while let Some(group) = rx.recv().await {
        let batches = group.batches.len() as u64;
        for (k, batch) in group.batches.into_iter().enumerate() {
            let table = batch.table().name;
            let n = writer.write(batch).await.with_context(|| format!("writing {table}"))?;
            *counts.entry(table).or_default() += n;
            progress(
                done + group.counterparties * (k as u64 + 1) / batches.max(1),
                total,
                "counterparties",
            );
        }
        done += group.counterparties;
    }
    generator.await.context("the demo data generator failed")?;
    if done != total {
        bail!("the demo data generator stopped after {done} of {total} counterparties");
    }

    report.rows = writer.rows_written();
    writer.finish(progress).await.context("finishing the demo load")?;
    commerce::seed(db, prospekt_domain::activity::company_date(Utc::now()))
        .await
        .context("demo settings and promotions")?;

    let count = |t: &str| counts.get(t).copied().unwrap_or(0);
    report.counterparties = count("counterparties");
    report.contacts = count("contacts");
    report.activities = count("activities");
    report.invoice_lines = count("invoice_lines");
    report.departments = count("departments");
    report.products = count("products");
    report.bank_accounts = count("bank_accounts");
    report.deals = count("deals");
    report.orders = count("orders");
    report.invoices = count("invoices");
    report.payments = count("payments");
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prospekt_storage::DbUrl;

    fn unique_suffix() -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!("{}_{nanos}", std::process::id())
    }

    /// A fresh SQLite file in the temp dir, removed (with its WAL) on drop.
    struct TempSqlite {
        path: std::path::PathBuf,
    }

    impl TempSqlite {
        fn new(tag: &str) -> Self {
            Self {
                path: std::env::temp_dir().join(format!("prospekt-demo-{tag}-{}.db", unique_suffix())),
            }
        }

        fn url(&self) -> DbUrl {
            DbUrl::parse(&format!("sqlite://{}", self.path.display())).expect("valid sqlite url")
        }

        fn size_bytes(&self) -> u64 {
            ["", "-wal"]
                .iter()
                .filter_map(|ext| std::fs::metadata(format!("{}{ext}", self.path.display())).ok())
                .map(|m| m.len())
                .sum()
        }
    }

    impl Drop for TempSqlite {
        fn drop(&mut self) {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", self.path.display()));
            }
        }
    }

    /// A fresh database on the PostgreSQL server of `PROSPEKT_TEST_PG_URL`, dropped by
    /// [`TempPg::drop_db`].
    struct TempPg {
        admin: Db,
        name: String,
        url: DbUrl,
    }

    impl TempPg {
        async fn create(admin_url: &str) -> anyhow::Result<Self> {
            let admin = Db::connect(&DbUrl::parse(admin_url)?).await?;
            let name = format!("demo_test_{}", unique_suffix());
            verify::execute(&admin, &format!("CREATE DATABASE {name}")).await?;
            // Replace the database part of the URL, keeping any query string.
            let (base, query) = admin_url
                .split_once('?')
                .map_or((admin_url, None), |(b, q)| (b, Some(q)));
            let scheme_end = base.find("://").map_or(0, |i| i + 3);
            let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
            let mut url = format!("{}/{name}", &base[..host_end]);
            if let Some(q) = query {
                url.push('?');
                url.push_str(q);
            }
            Ok(Self {
                admin,
                name,
                url: DbUrl::parse(&url)?,
            })
        }

        async fn drop_db(self) {
            let _ = verify::execute(
                &self.admin,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            )
            .await;
            self.admin.close().await;
        }
    }

    async fn count(db: &Db, table: &str) -> i64 {
        verify::query_i64(db, &format!("SELECT COUNT(*) FROM {table}"))
            .await
            .expect("count")
    }

    async fn text_rows(db: &Db, sql: &str) -> Vec<Vec<Option<String>>> {
        verify::query_text_rows(db, sql).await.expect(sql)
    }

    /// The schema objects a load must leave exactly as the migrations made them.
    async fn schema_fingerprint(db: &Db) -> Vec<Vec<Option<String>>> {
        match db {
            Db::Sqlite(_) => {
                // ANALYZE adds its sqlite_stat tables: not part of the comparison.
                text_rows(
                    db,
                    "SELECT type, name, sql FROM sqlite_master \
                     WHERE type IN ('index', 'table') AND name NOT LIKE 'sqlite_stat%' ORDER BY name",
                )
                .await
            }
            Db::Postgres(_) => {
                let mut rows = text_rows(
                    db,
                    "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
                )
                .await;
                rows.extend(
                    text_rows(
                        db,
                        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
                         WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
                    )
                    .await,
                );
                rows
            }
        }
    }

    /// Everything the brief promises about a generated database, checked in SQL.
    async fn check_demo_database(db: &Db, report: &DemoReport, size: DemoSize) {
        let plan = size.plan();
        assert_eq!(report.counterparties, plan.counterparties);
        for (table, expected) in [
            ("counterparties", report.counterparties),
            ("contacts", report.contacts),
            ("activities", report.activities),
            ("invoice_lines", report.invoice_lines),
            ("bank_accounts", report.bank_accounts),
            ("deals", report.deals),
            ("orders", report.orders),
            ("invoices", report.invoices),
            ("payments", report.payments),
            ("products", report.products),
            ("departments", report.departments),
            ("users", report.users.len() as u64),
        ] {
            assert_eq!(count(db, table).await, expected as i64, "rows in {table}");
        }
        let n = report.counterparties as f64;
        assert!(
            report.contacts as f64 >= 3.0 * n,
            "≈3 contacts per counterparty: {}",
            report.contacts
        );
        assert!(
            (report.activities + report.invoice_lines) as f64 >= 10.0 * n,
            "activities + lines ≥ 10 per counterparty"
        );
        assert_eq!(count(db, "price_columns").await, 4);
        assert_eq!(count(db, "territories").await, 10);

        // Users: fixed logins, roles, department heads.
        let logins: Vec<&str> = report.users.iter().map(|(l, _)| l.as_str()).collect();
        for login in [
            "admin", "gendir", "director", "credit", "head1", "support1", "manager1", "kam1",
        ] {
            assert!(logins.contains(&login), "user {login}");
        }
        let managers = report.users.iter().filter(|(_, r)| r == "manager").count();
        assert_eq!(managers, plan.departments * plan.managers_per_department);
        let headless = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM departments d WHERE NOT EXISTS \
             (SELECT 1 FROM users u WHERE u.id = d.head_user_id AND u.role = 'head_of_department')",
        )
        .await
        .expect("heads");
        assert_eq!(headless, 0);

        // Identifiers: checksums, presence by kind, uniqueness of INN.
        let rows = text_rows(db, "SELECT kind, inn, kpp, ogrn, name, search_key FROM counterparties").await;
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for r in &rows {
            let kind = r[0].clone().unwrap_or_default();
            let (inn, kpp, ogrn) = (r[1].as_deref(), r[2].as_deref(), r[3].as_deref());
            match kind.as_str() {
                "legal_entity" => {
                    let inn = inn.expect("legal entity INN");
                    assert!(inn.len() == 10 && ident::check::inn(inn), "INN {inn}");
                    assert!(ident::check::kpp(kpp.expect("KPP")), "KPP {kpp:?}");
                    assert!(ident::check::ogrn(ogrn.expect("OGRN")), "OGRN {ogrn:?}");
                    assert_eq!(&kpp.unwrap_or_default()[..4], &inn[..4]);
                }
                "sole_proprietor" => {
                    let inn = inn.expect("ИП INN");
                    assert!(inn.len() == 12 && ident::check::inn(inn), "INN {inn}");
                    assert!(kpp.is_none());
                    assert!(ident::check::ogrnip(ogrn.expect("OGRNIP")), "OGRNIP {ogrn:?}");
                }
                "person" => {
                    assert!(inn.is_none_or(|i| i.len() == 12 && ident::check::inn(i)), "INN {inn:?}");
                    assert!(kpp.is_none() && ogrn.is_none());
                }
                other => panic!("unexpected kind {other}"),
            }
            let name = r[4].as_deref().unwrap_or_default();
            let expected_key = format!("{} {}", name.to_lowercase().replace('ё', "е"), inn.unwrap_or_default());
            assert_eq!(r[5].as_deref(), Some(expected_key.trim()));
            *kinds.entry(kind).or_default() += 1;
        }
        let share = |k: &str| kinds.get(k).copied().unwrap_or(0) as f64 / rows.len() as f64;
        assert!((0.7..0.9).contains(&share("legal_entity")), "{kinds:?}");
        assert!((0.08..0.22).contains(&share("sole_proprietor")), "{kinds:?}");
        assert!(share("person") > 0.0, "{kinds:?}");
        let duplicate_inns = verify::query_i64(
            db,
            "SELECT COUNT(*) - COUNT(DISTINCT inn) FROM counterparties WHERE inn IS NOT NULL",
        )
        .await
        .expect("inn uniqueness");
        assert_eq!(duplicate_inns, 0);
        for r in text_rows(db, "SELECT bik, account, corr_account FROM bank_accounts").await {
            let (bik, account, corr) = (
                r[0].as_deref().unwrap_or(""),
                r[1].as_deref().unwrap_or(""),
                r[2].as_deref(),
            );
            assert!(ident::check::account(account, bik), "account {account} / {bik}");
            assert!(
                ident::check::corr_account(corr.unwrap_or(""), bik),
                "corr {corr:?} / {bik}"
            );
        }

        // Money: invoice totals are their lines, paid is its allocations, VAT is sane.
        let bad_totals = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM invoices i WHERE i.total <> \
             (SELECT SUM(l.amount) FROM invoice_lines l WHERE l.invoice_id = i.id)",
        )
        .await
        .expect("totals");
        assert_eq!(bad_totals, 0);
        let bad_paid = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM invoices i WHERE i.paid <> \
             COALESCE((SELECT SUM(a.amount) FROM payment_allocations a WHERE a.invoice_id = i.id), 0)",
        )
        .await
        .expect("paid");
        assert_eq!(bad_paid, 0);
        let overpaid = verify::query_i64(db, "SELECT COUNT(*) FROM invoices WHERE paid > total OR paid < 0")
            .await
            .expect("overpaid");
        assert_eq!(overpaid, 0);
        let bad_vat = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM invoice_lines l JOIN products p ON p.id = l.product_id WHERE \
             (p.vat_category IN ('zero', 'none') AND l.vat_amount <> 0) OR \
             (p.vat_category = 'standard' AND ABS(l.vat_amount * 122 - l.amount * 22) > 61) OR \
             (p.vat_category = 'reduced' AND ABS(l.vat_amount * 110 - l.amount * 10) > 55)",
        )
        .await
        .expect("vat");
        assert_eq!(bad_vat, 0);
        let bad_amounts = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM invoice_lines WHERE ABS(amount * 1000 - quantity * price) > 500",
        )
        .await
        .expect("amounts");
        assert_eq!(bad_amounts, 0);

        let bad_invoice_vat = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM invoices i WHERE i.vat_amount <> \
             (SELECT SUM(l.vat_amount) FROM invoice_lines l WHERE l.invoice_id = i.id)",
        )
        .await
        .expect("invoice VAT");
        assert_eq!(bad_invoice_vat, 0);

        // Orders follow the application's lifecycle: an invoiced order is shipped and invoiced
        // in full and paid when its invoice is; the others are waiting or cancelled.
        for r in text_rows(db, "SELECT DISTINCT status FROM orders").await {
            let status = r[0].as_deref().unwrap_or_default();
            assert!(
                ["submitted", "approved", "invoiced", "paid", "cancelled"].contains(&status)
                    && prospekt_domain::order::OrderStatus::parse(status).is_ok(),
                "order status {status}"
            );
        }
        let bad_orders = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM orders o LEFT JOIN invoices i ON i.order_id = o.id WHERE \
             (i.id IS NULL AND (o.status NOT IN ('submitted', 'approved', 'cancelled') \
               OR o.shipped_amount <> 0 OR o.invoiced_amount <> 0 \
               OR o.total_vat < 0 OR o.total_vat * 122 > o.total * 22 + 61 * 30)) OR \
             (i.id IS NOT NULL AND (o.status <> CASE WHEN i.paid = i.total THEN 'paid' ELSE 'invoiced' END \
               OR o.total <> i.total OR o.total_vat <> i.vat_amount \
               OR o.shipped_amount <> o.total OR o.invoiced_amount <> o.total))",
        )
        .await
        .expect("orders");
        assert_eq!(bad_orders, 0);
        let bad_order_times = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM orders WHERE submitted_at IS NULL OR submitted_at <> created_at \
             OR updated_at IS NULL OR updated_at <> created_at",
        )
        .await
        .expect("order times");
        assert_eq!(bad_order_times, 0);

        // Payments: bank transfers, each allocated in full to its invoice.
        let bad_payments = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM payments p WHERE p.source <> 'bank' OR p.allocated <> p.amount OR p.allocated <> \
             COALESCE((SELECT SUM(a.amount) FROM payment_allocations a WHERE a.payment_id = p.id), 0)",
        )
        .await
        .expect("payments");
        assert_eq!(bad_payments, 0);
        let bad_allocations = verify::query_i64(
            db,
            "SELECT COUNT(*) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id \
             WHERE a.created_at IS NULL OR a.created_at <> p.created_at",
        )
        .await
        .expect("allocations");
        assert_eq!(bad_allocations, 0);

        // Contract terms: banking-day deferrals, penalties and short claim terms only where
        // there is a deferral, in about the promised shares.
        let terms = text_rows(
            db,
            "SELECT CAST(payment_terms_days AS TEXT), deferral_kind, CAST(penalty_daily_ppm AS TEXT), \
             CAST(penalty_cap_bp AS TEXT), CAST(claim_term_days AS TEXT) FROM counterparties",
        )
        .await;
        let (mut deferred, mut banking, mut penalties, mut short_claims) = (0usize, 0usize, 0usize, 0usize);
        for r in &terms {
            let days: i64 = r[0].as_deref().and_then(|d| d.parse().ok()).expect("payment terms");
            let kind = r[1].as_deref().unwrap_or_default();
            let penalty = (r[2].as_deref(), r[3].as_deref());
            let claim = r[4].as_deref().unwrap_or_default();
            assert!(
                kind == "calendar" || (kind == "banking" && days > 0),
                "deferral {kind} of {days} days"
            );
            assert!(
                penalty == (None, None) || (penalty == (Some("1000"), Some("1000")) && days > 0),
                "penalty {penalty:?} with {days} days"
            );
            assert!(claim == "30" || (claim == "10" && days > 0), "claim term {claim}");
            deferred += usize::from(days > 0);
            banking += usize::from(kind == "banking");
            penalties += usize::from(penalty.0.is_some());
            short_claims += usize::from(claim == "10");
        }
        let of_deferred = |k: usize| k as f64 / deferred.max(1) as f64;
        assert!(
            (0.12..0.28).contains(&of_deferred(banking)),
            "banking {banking} of {deferred}"
        );
        assert!(
            (0.08..0.22).contains(&of_deferred(penalties)),
            "penalties {penalties} of {deferred}"
        );
        assert!(
            short_claims > 0 && of_deferred(short_claims) < 0.1,
            "short claim terms {short_claims} of {deferred}"
        );
        // Due dates as the application computes them from the client's terms.
        let calendar = prospekt_domain::calendar::WorkCalendar::russian_default();
        let date =
            |s: Option<&str>| chrono::NaiveDate::parse_from_str(s.unwrap_or_default(), "%Y-%m-%d").expect("a date");
        for r in text_rows(
            db,
            "SELECT CAST(i.issued_on AS TEXT), CAST(i.due_on AS TEXT), CAST(c.payment_terms_days AS TEXT), \
             c.deferral_kind FROM invoices i JOIN counterparties c ON c.id = i.counterparty_id",
        )
        .await
        {
            let days: u32 = r[2].as_deref().and_then(|d| d.parse().ok()).expect("payment terms");
            let kind = prospekt_domain::calendar::DeferralKind::parse(r[3].as_deref().unwrap_or_default())
                .expect("deferral kind");
            let expected = prospekt_domain::calendar::due_date(date(r[0].as_deref()), days, kind, &calendar);
            assert_eq!(date(r[1].as_deref()), expected, "due date of {r:?}");
        }

        // Receivables: real overdue unpaid debt, but most invoices paid.
        let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
        let invoices = count(db, "invoices").await;
        let unpaid_overdue = verify::query_i64(
            db,
            &format!("SELECT COUNT(*) FROM invoices WHERE paid = 0 AND due_on < '{today}'"),
        )
        .await
        .expect("overdue");
        let share = unpaid_overdue as f64 / invoices as f64;
        assert!(
            (0.06..0.2).contains(&share),
            "unpaid overdue share {share:.3} ({unpaid_overdue} of {invoices})"
        );
        let partial = verify::query_i64(db, "SELECT COUNT(*) FROM invoices WHERE paid > 0 AND paid < total")
            .await
            .expect("partial");
        assert!(partial > 0);
        let purposes = text_rows(db, "SELECT purpose FROM payments").await;
        assert!(
            purposes
                .iter()
                .all(|r| r[0].as_deref().is_some_and(|p| p.contains("по счёту № С-")))
        );

        // Future activities are not done; every past one is planned after its counterparty appeared.
        let future_done = verify::query_i64(
            db,
            &format!("SELECT COUNT(*) FROM activities WHERE planned_at > '{today}T23:59:59' AND done_at IS NOT NULL"),
        )
        .await;
        if let Ok(n) = future_done {
            assert_eq!(n, 0);
        }
        let unique_numbers = verify::query_i64(db, "SELECT COUNT(DISTINCT number) - COUNT(*) FROM invoices")
            .await
            .expect("numbers");
        assert_eq!(unique_numbers, 0);
    }

    async fn run_on(db: &Db, size: DemoSize, seed: u64) -> DemoReport {
        let before = schema_fingerprint(db).await;
        let report = generate(
            db,
            size,
            seed,
            "$argon2id$v=19$m=19456,t=2,p=1$demo$demo",
            &|_, _, _| {},
        )
        .await
        .expect("demo generation");
        assert_eq!(
            schema_fingerprint(db).await,
            before,
            "indexes and constraints must be restored exactly"
        );
        report
    }

    #[tokio::test]
    async fn small_demo_on_sqlite_is_complete_valid_and_deterministic() {
        let file = TempSqlite::new("small");
        let db = Db::open(&file.url()).await.expect("open sqlite");
        let report = run_on(&db, DemoSize::Small, 42).await;
        check_demo_database(&db, &report, DemoSize::Small).await;
        // Foreign keys were not checked row by row during the load: check them all now.
        let violations = text_rows(&db, "SELECT \"table\" FROM pragma_foreign_key_check").await;
        assert!(violations.is_empty(), "foreign key violations: {violations:?}");

        let again = generate(&db, DemoSize::Small, 42, "x", &|_, _, _| {}).await;
        let err = again.expect_err("a second run must refuse");
        assert!(err.to_string().contains("already has data"), "{err:#}");

        // Same seed, fresh database: same counterparties and counts.
        let other = TempSqlite::new("small-again");
        let db2 = Db::open(&other.url()).await.expect("open sqlite");
        let report2 = run_on(&db2, DemoSize::Small, 42).await;
        assert_eq!(
            (
                report.contacts,
                report.activities,
                report.invoice_lines,
                report.payments,
                report.rows
            ),
            (
                report2.contacts,
                report2.activities,
                report2.invoice_lines,
                report2.payments,
                report2.rows
            )
        );
        let names = "SELECT name, inn, email FROM counterparties ORDER BY name, inn, email";
        assert_eq!(text_rows(&db, names).await, text_rows(&db2, names).await);
        db.close().await;
        db2.close().await;
    }

    #[tokio::test]
    async fn small_demo_on_postgres_when_available() {
        let Ok(admin_url) = std::env::var("PROSPEKT_TEST_PG_URL") else {
            println!("skipped: PROSPEKT_TEST_PG_URL is not set (a postgres://…/postgres admin URL)");
            return;
        };
        let pg = TempPg::create(&admin_url).await.expect("create test database");
        let db = Db::open(&pg.url).await.expect("open postgres");
        let report = run_on(&db, DemoSize::Small, 42).await;
        check_demo_database(&db, &report, DemoSize::Small).await;
        let again = generate(&db, DemoSize::Small, 42, "x", &|_, _, _| {}).await;
        assert!(again.is_err_and(|e| e.to_string().contains("already has data")));
        db.close().await;
        pg.drop_db().await;
    }

    /// Measurement hook, not a check: `PROSPEKT_DEMO_TIMING=small|medium|large cargo test
    /// --release -p prospekt measure_demo -- --nocapture` times a generation into a fresh
    /// SQLite file (or, with `PROSPEKT_DEMO_TIMING_PG=1`, a fresh database on
    /// `PROSPEKT_TEST_PG_URL`) and prints rows, time and size. Returns at once when unset.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn measure_demo_generation_when_requested() {
        let Ok(size) = std::env::var("PROSPEKT_DEMO_TIMING") else {
            println!("skipped: set PROSPEKT_DEMO_TIMING=small|medium|large to time demo generation");
            return;
        };
        let size: DemoSize = size.parse().expect("demo size");
        if std::env::var("PROSPEKT_DEMO_TIMING_GEN").is_ok_and(|v| v == "1") {
            // Generation alone, no database: how much of the time the generator thread needs.
            let started = Instant::now();
            let now = Utc::now().trunc_subsecs(0);
            let (refs, _) = generate::reference_data(1, now, size.plan(), "x", &HashMap::new(), &HashMap::new());
            let mut counters = Counters::default();
            let chunks = refs.plan.counterparties.div_ceil(CHUNK);
            let mut per_table: Vec<(&str, u64)> = Vec::new();
            for c in (0..chunks).step_by(CHUNKS_PER_GROUP as usize) {
                let group = generate::generate_group(&refs, &mut counters, c..(c + CHUNKS_PER_GROUP).min(chunks));
                for b in &group.batches {
                    let name = b.table().name;
                    match per_table.iter_mut().find(|(t, _)| *t == name) {
                        Some((_, n)) => *n += b.rows() as u64,
                        None => per_table.push((name, b.rows() as u64)),
                    }
                }
            }
            let rows: u64 = per_table.iter().map(|(_, n)| n).sum();
            let tables: Vec<String> = per_table.iter().map(|(t, n)| format!("{t} {n}")).collect();
            println!(
                "generation only ({size}): {rows} rows in {:.1} s\n  {}",
                started.elapsed().as_secs_f64(),
                tables.join(", ")
            );
            return;
        }
        let started = Instant::now();
        let last = std::sync::Mutex::new((Instant::now(), String::new()));
        let progress = |done: u64, total: u64, stage: &str| {
            if let Ok(mut last) = last.lock()
                && (last.0.elapsed() > Duration::from_secs(10) || last.1 != stage)
            {
                println!("  {:6.1} s  {stage}: {done}/{total}", started.elapsed().as_secs_f64());
                *last = (Instant::now(), stage.to_owned());
            }
        };
        let on_pg = std::env::var("PROSPEKT_DEMO_TIMING_PG").is_ok_and(|v| v == "1");
        if on_pg {
            let admin_url = std::env::var("PROSPEKT_TEST_PG_URL").expect("PROSPEKT_TEST_PG_URL");
            let pg = TempPg::create(&admin_url).await.expect("create database");
            let db = Db::open(&pg.url).await.expect("open postgres");
            let report = generate(&db, size, 1, "x", &progress).await.expect("generate");
            let bytes = verify::query_i64(&db, "SELECT pg_database_size(current_database())")
                .await
                .unwrap_or(0);
            print_report("postgres", size, &report, bytes as u64);
            db.close().await;
            pg.drop_db().await;
        } else {
            let file = TempSqlite::new(&format!("timing-{size}"));
            let db = Db::open(&file.url()).await.expect("open sqlite");
            let report = generate(&db, size, 1, "x", &progress).await.expect("generate");
            db.close().await;
            print_report("sqlite", size, &report, file.size_bytes());
        }
    }

    fn print_report(backend: &str, size: DemoSize, r: &DemoReport, bytes: u64) {
        println!(
            "demo {size} on {backend}: {:.1} s, {} rows ({:.0} rows/s), {:.2} GiB\n  counterparties {}, contacts {}, \
             activities {}, invoice lines {}, deals {}, orders {}, invoices {}, payments {}, users {}",
            r.elapsed.as_secs_f64(),
            r.rows,
            r.rows as f64 / r.elapsed.as_secs_f64(),
            bytes as f64 / f64::from(1u32 << 30),
            r.counterparties,
            r.contacts,
            r.activities,
            r.invoice_lines,
            r.deals,
            r.orders,
            r.invoices,
            r.payments,
            r.users.len()
        );
    }
}
