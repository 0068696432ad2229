//! Storage contract: migrations, the append-only audit log, version guard.

use prospekt_storage::{Db, DbError, DbUrl, db_run};

use crate::helpers::{Backend, TestApp, fresh_db_url};

crate::on_both_databases!(
    the_audit_log_refuses_updates_and_deletes,
    issuing_a_token_is_audited_in_the_same_transaction,
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
