//! Storage contract: migrations, the append-only audit log, version guard.

use prospekt_storage::repo::import::{Cell, insert_rows_progress_tx, insert_rows_tx};
use prospekt_storage::{Db, DbError, DbUrl, db_run};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, fresh_db_url};

crate::on_both_databases!(
    the_audit_log_refuses_updates_and_deletes,
    issuing_a_token_is_audited_in_the_same_transaction,
    a_batch_of_many_statements_reaches_its_table_whole_and_in_order,
    a_batch_with_one_dangling_reference_writes_nothing,
    a_bulk_transaction_writes_whole_or_not_at_all_and_holds_the_writer_gate,
);

async fn the_audit_log_refuses_updates_and_deletes(app: TestApp) {
    app.user("auditor", "administrator", None).await;
    let entries = prospekt_storage::repo::audit::recent(&app.db, None, 10).await.unwrap();
    assert!(
        entries.iter().any(|e| e.action == "create" && e.entity == "user"),
        "user creation is audited"
    );
    let update =
        db_run!(&app.db, pool => sqlx::query("UPDATE audit_log SET action = 'x'").execute(pool).await.map(|_| ()));
    assert!(update.is_err(), "UPDATE on the audit log must fail");
    let delete = db_run!(&app.db, pool => sqlx::query("DELETE FROM audit_log").execute(pool).await.map(|_| ()));
    assert!(delete.is_err(), "DELETE on the audit log must fail");
}

async fn issuing_a_token_is_audited_in_the_same_transaction(app: TestApp) {
    app.user("tok", "manager", None).await;
    let entries = prospekt_storage::repo::audit::recent(&app.db, None, 10).await.unwrap();
    let issue = entries
        .iter()
        .find(|e| e.action == "token_issue")
        .expect("token issue audited");
    assert!(issue.changes.contains("\"tok\""));
    assert!(
        !issue.changes.contains("pkt_"),
        "the secret never reaches the audit log"
    );
}

/// Contacts of `client` for a bulk insert, more than one SQLite statement holds (500 rows).
fn contact_rows(client: Uuid, n: usize) -> Vec<Vec<Cell>> {
    let at = chrono::Utc::now();
    (0..n)
        .map(|i| {
            vec![
                Cell::Uuid(Uuid::now_v7()),
                Cell::Uuid(client),
                Cell::Text(format!("Контакт {i:04}")),
                Cell::Text(format!("контакт {i:04}")),
                Cell::Ts(at),
                Cell::Ts(at),
            ]
        })
        .collect()
}

const CONTACT_COLUMNS: [&str; 6] = [
    "id",
    "counterparty_id",
    "full_name",
    "search_key",
    "created_at",
    "updated_at",
];

async fn a_batch_of_many_statements_reaches_its_table_whole_and_in_order(app: TestApp) {
    let client = app.counterparty("ООО «Пакет»", None, None).await;
    let rows = contact_rows(client, 1_234);
    let sent = std::sync::Mutex::new(Vec::new());
    let mut tx = app.db.begin().await.unwrap();
    insert_rows_progress_tx(&mut tx, "contacts", &CONTACT_COLUMNS, &rows, &|n| {
        sent.lock().unwrap().push(n)
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let sent = sent.into_inner().unwrap();
    assert_eq!(sent.last(), Some(&1_234), "progress ends at the last row: {sent:?}");
    assert!(sent.windows(2).all(|w| w[0] < w[1]), "progress only grows: {sent:?}");
    let names: Vec<String> = db_run!(&app.db, pool => {
        sqlx::query_scalar("SELECT full_name FROM contacts WHERE counterparty_id = $1 ORDER BY id")
            .bind(client)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    let expected: Vec<String> = (0..1_234).map(|i| format!("Контакт {i:04}")).collect();
    // Ids are time-ordered, so id order is the order the rows were given in.
    assert_eq!(names, expected);
    if let Db::Sqlite(_) = &app.db {
        let staging: i64 = db_run!(&app.db, pool => {
            sqlx::query_scalar("SELECT count(*) FROM temp.sqlite_master WHERE name = 'prospekt_stage'")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(staging, 0, "the staging table is dropped after the copy");
    }
}

async fn a_batch_with_one_dangling_reference_writes_nothing(app: TestApp) {
    let client = app.counterparty("ООО «Пакет»", None, None).await;
    let mut rows = contact_rows(client, 1_234);
    // Row 1,000 points at a client that does not exist: the foreign key must refuse the batch.
    rows[1_000][1] = Cell::Uuid(Uuid::now_v7());
    let mut tx = app.db.begin().await.unwrap();
    let err = insert_rows_tx(&mut tx, "contacts", &CONTACT_COLUMNS, &rows)
        .await
        .expect_err("a dangling reference is refused");
    assert!(matches!(err, DbError::Sql(_)), "{err:?}");
    tx.rollback().await.unwrap();
    let count: i64 = db_run!(&app.db, pool => {
        sqlx::query_scalar("SELECT count(*) FROM contacts WHERE counterparty_id = $1")
            .bind(client)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(count, 0);
}

async fn a_bulk_transaction_writes_whole_or_not_at_all_and_holds_the_writer_gate(app: TestApp) {
    let client = app.counterparty("ООО «Пакет»", None, None).await;
    let contacts = |db: Db| async move {
        db_run!(&db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM contacts WHERE counterparty_id = $1")
                .bind(client)
                .fetch_one(pool)
                .await
                .unwrap()
        })
    };
    let mut tx = app.db.begin_bulk(128).await.unwrap();
    insert_rows_tx(&mut tx, "contacts", &CONTACT_COLUMNS, &contact_rows(client, 700))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        contacts(app.db.clone()).await,
        0,
        "a rolled back bulk write leaves nothing"
    );

    let mut tx = app.db.begin_bulk(128).await.unwrap();
    insert_rows_tx(&mut tx, "contacts", &CONTACT_COLUMNS, &contact_rows(client, 700))
        .await
        .unwrap();
    if let Db::Sqlite(_) = &app.db {
        // SQLite has one writer: another write waits for the bulk one to end.
        let db = app.db.clone();
        let mut other = tokio::spawn(async move { db.begin().await.map(drop) });
        let waited = tokio::time::timeout(std::time::Duration::from_millis(300), &mut other).await;
        assert!(waited.is_err(), "a second writer got in during a bulk write");
        tx.commit().await.unwrap();
        other.await.unwrap().unwrap();
    } else {
        tx.commit().await.unwrap();
    }
    assert_eq!(
        contacts(app.db.clone()).await,
        700,
        "committed rows are seen by the pool"
    );
    // Closing waits for the background checkpoint of the bulk write.
    app.db.close().await;
}

async fn newer_schema_is_refused(backend: Backend) {
    let Some((url, dir)) = fresh_db_url(backend).await else {
        return;
    };
    let parsed = DbUrl::parse(&url).unwrap();
    let db = Db::open(&parsed).await.unwrap();
    db_run!(&db, pool => {
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                     VALUES (9999, 'from the future', TRUE, $1, 0)")
            .bind(vec![0u8; 48]).execute(pool).await.unwrap();
    });
    db.close().await;
    match Db::open(&parsed).await {
        Err(DbError::SchemaTooNew { db_version, .. }) => assert_eq!(db_version, 9999),
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn a_database_from_a_newer_prospekt_is_refused_on_sqlite() {
    newer_schema_is_refused(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_database_from_a_newer_prospekt_is_refused_on_postgres() {
    newer_schema_is_refused(Backend::Postgres).await;
}

/// A SQLite database with planner statistics gets them for an index a migration added
/// (here: one whose statistics were removed), so that index is not judged by defaults next
/// to its measured neighbours. A database never analyzed stays so.
#[tokio::test]
async fn statistics_cover_every_index_after_migrations_on_sqlite() {
    let Some((url, dir)) = fresh_db_url(Backend::Sqlite).await else {
        return;
    };
    let db = Db::open(&DbUrl::parse(&url).unwrap()).await.unwrap();
    let Db::Sqlite(sqlite) = &db else {
        panic!("a SQLite URL opens SQLite")
    };
    let pool = &sqlite.pool;
    let stats = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'";
    db.refresh_statistics().await.unwrap();
    let created: i64 = sqlx::query_scalar(stats).fetch_one(pool).await.unwrap();
    assert_eq!(created, 0, "a database never analyzed is left so");

    let now = chrono::Utc::now();
    for i in 0..50 {
        sqlx::query(
            "INSERT INTO counterparties (id, kind, name, full_name, inn, search_key, status, tier, \
             payment_terms_days, credit_limit, version, created_at, updated_at) \
             VALUES (?, 'legal_entity', ?, ?, ?, ?, 'client', 'regular', 0, 0, 1, ?, ?)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(format!("Клиент {i}"))
        .bind(format!("ООО Клиент {i}"))
        .bind(format!("77{i:08}"))
        .bind(format!("клиент {i}"))
        .bind(now)
        .bind(now)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::raw_sql("ANALYZE; DELETE FROM sqlite_stat1 WHERE idx = 'counterparties_owner_inn'")
        .execute(pool)
        .await
        .unwrap();
    let owner_inn = "SELECT COUNT(*) FROM sqlite_stat1 WHERE idx = 'counterparties_owner_inn'";
    let before: i64 = sqlx::query_scalar(owner_inn).fetch_one(pool).await.unwrap();
    assert_eq!(before, 0);
    db.refresh_statistics().await.unwrap();
    let after: i64 = sqlx::query_scalar(owner_inn).fetch_one(pool).await.unwrap();
    assert_eq!(after, 1, "the index without statistics was analyzed");
    db.close().await;
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
