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
