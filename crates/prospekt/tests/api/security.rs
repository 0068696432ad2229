//! Login throttling and lockout, no user enumeration, session invalidation, delegation.

use chrono::{Days, SubsecRound, Utc};
use prospekt_storage::db_run;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

crate::on_both_databases!(
    five_failed_logins_lock_the_login_with_retry_after,
    an_unknown_login_is_locked_exactly_like_a_real_one,
    changing_the_password_ends_every_session,
    a_substitute_acts_on_the_absent_managers_clients_only_during_the_absence,
    the_audit_log_is_filterable_and_closed_to_managers,
    a_token_just_used_is_refused_at_once_when_revoked_or_its_user_deactivated,
);

async fn login(app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/session"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn five_failed_logins_lock_the_login_with_retry_after(app: TestApp) {
    app.user("vera", "manager", None).await;
    for attempt in 1..=5 {
        assert_eq!(
            login(&app, "vera", "wrong-password").await.status(),
            401,
            "attempt {attempt}"
        );
    }
    let locked = login(&app, "vera", "password1").await;
    assert_eq!(locked.status(), 429, "even the right password waits out the lock");
    let retry: i64 = locked
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
    let body: Value = locked.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts");
    // Other logins from elsewhere are unaffected by this login's lock (per-login key), and
    // the events are in the audit log.
    app.user("gleb", "manager", None).await;
    let entries = prospekt_storage::repo::audit::recent(&app.db, None, 50).await.unwrap();
    assert_eq!(entries.iter().filter(|e| e.action == "login_failed").count(), 5);
    assert!(entries.iter().any(|e| e.action == "login_throttled"));
}

async fn an_unknown_login_is_locked_exactly_like_a_real_one(app: TestApp) {
    app.user("real", "manager", None).await;
    let mut real = Vec::new();
    let mut ghost = Vec::new();
    for _ in 0..6 {
        let r = login(&app, "real", "nope-nope").await;
        real.push((r.status().as_u16(), r.text().await.unwrap()));
        let g = login(&app, "ghost", "nope-nope").await;
        ghost.push((g.status().as_u16(), g.text().await.unwrap()));
    }
    assert_eq!(real, ghost, "a stranger learns nothing about which logins exist");
    assert_eq!(real.last().unwrap().0, 429);
}

async fn changing_the_password_ends_every_session(app: TestApp) {
    let u = app.user("zoya", "manager", None).await;
    let cookie = |r: &reqwest::Response| {
        r.headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let first = cookie(&login(&app, "zoya", "password1").await);
    let second = cookie(&login(&app, "zoya", "password1").await);
    let wrong = app
        .http
        .post(app.url("/api/v1/me/password"))
        .header("Cookie", &first)
        .json(&json!({"current_password": "bad-guess", "new_password": "password2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    let short = app
        .http
        .post(app.url("/api/v1/me/password"))
        .header("Cookie", &first)
        .json(&json!({"current_password": "password1", "new_password": "short"}))
        .send()
        .await
        .unwrap();
    let body: Value = short.json().await.unwrap();
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (Some("password_too_short"), Some("new_password"))
    );
    let ok = app
        .http
        .post(app.url("/api/v1/me/password"))
        .header("Cookie", &first)
        .json(&json!({"current_password": "password1", "new_password": "password2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    for s in [&first, &second] {
        let me = app
            .http
            .get(app.url("/api/v1/me"))
            .header("Cookie", s)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 401, "every session ends at a password change");
    }
    assert_eq!(login(&app, "zoya", "password1").await.status(), 401);
    assert_eq!(login(&app, "zoya", "password2").await.status(), 200);
    // API tokens are separate credentials and stay valid.
    assert_eq!(app.get("/api/v1/me", &u.token).await.status(), 200);
}

async fn absence(app: &TestApp, user: Uuid, sub: Uuid, from_days: i64, to_days: i64) {
    let today = Utc::now().date_naive();
    let day = |d: i64| {
        if d >= 0 {
            today + Days::new(d as u64)
        } else {
            today - Days::new((-d) as u64)
        }
    };
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO absences (id, user_id, substitute_id, kind, starts_on, ends_on, created_at) VALUES ($1, $2, $3, 'leave', $4, $5, $6)")
            .bind(Uuid::now_v7()).bind(user).bind(sub).bind(day(from_days)).bind(day(to_days))
            .bind(Utc::now().trunc_subsecs(6)).execute(pool).await.unwrap();
    });
}

async fn a_substitute_acts_on_the_absent_managers_clients_only_during_the_absence(app: TestApp) {
    let f = app.departments().await;
    let anna = app.user("anna", "manager", Some(f.department_a)).await;
    let boris = app.user("boris", "manager", Some(f.department_a)).await;
    let client = app.counterparty("Ромашка", Some(anna.id), Some(f.department_a)).await;
    let path = format!("/api/v1/counterparties/{client}");

    // Before: a leave that starts next week gives nothing yet; one that ended gives nothing either.
    absence(&app, anna.id, boris.id, 7, 14).await;
    absence(&app, anna.id, boris.id, -14, -2).await;
    assert_eq!(app.get(&path, &boris.token).await.status(), 404);
    let list: Value = app
        .get("/api/v1/counterparties", &boris.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    // During: (yesterday .. tomorrow, so the test does not depend on the time zone), entered by
    // the head: Boris's token, checked a moment ago, carries the substitution from now on.
    let head = app.user("lena", "head_of_department", Some(f.department_a)).await;
    let day = |d: i64| (Utc::now().date_naive() + chrono::Duration::days(d)).to_string();
    let res = app
        .http
        .post(app.url("/api/v1/absences"))
        .bearer_auth(&head.token)
        .json(&json!({ "user_id": anna.id, "substitute_id": boris.id, "kind": "leave",
                       "starts_on": day(-1), "ends_on": day(1) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let current: Value = res.json().await.unwrap();
    assert_eq!(app.get(&path, &boris.token).await.status(), 200);
    let list: Value = app
        .get("/api/v1/counterparties", &boris.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"][0]["name"], "Ромашка");
    let res = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&boris.token)
        .json(&json!({"version": 1, "notes": "Позвонил вместо Анны"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let entries = prospekt_storage::repo::audit::recent(&app.db, Some(client), 5)
        .await
        .unwrap();
    let update = entries.iter().find(|e| e.action == "update").expect("update audited");
    assert_eq!(update.actor_id, Some(boris.id));
    assert_eq!(
        update.on_behalf_of_id,
        Some(anna.id),
        "the change is marked as done on Anna's behalf"
    );
    assert!(update.changes.contains("Позвонил вместо Анны"));
    // Anna's own edit in her own right carries no on-behalf-of.
    let res = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&anna.token)
        .json(&json!({"version": 2, "city": "Москва"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let entries = prospekt_storage::repo::audit::recent(&app.db, Some(client), 1)
        .await
        .unwrap();
    assert_eq!(entries[0].on_behalf_of_id, None);

    // After: the head removes the current absence (as the period ending would) and access is gone.
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/absences/{}", current["id"].as_str().unwrap())))
        .bearer_auth(&head.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.get(&path, &boris.token).await.status(), 404);
}

async fn the_audit_log_is_filterable_and_closed_to_managers(app: TestApp) {
    let f = app.departments().await;
    let admin = app.user("root", "administrator", None).await;
    let m = app.user("mila", "manager", Some(f.department_a)).await;
    let client = app.counterparty("Вектор", Some(m.id), Some(f.department_a)).await;
    let res = app
        .http
        .patch(app.url(&format!("/api/v1/counterparties/{client}")))
        .bearer_auth(&m.token)
        .json(&json!({"version": 1, "status": "key_client"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // A stale version is refused, naming who changed the record.
    let stale = app
        .http
        .patch(app.url(&format!("/api/v1/counterparties/{client}")))
        .bearer_auth(&m.token)
        .json(&json!({"version": 1, "status": "lost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["error"]["code"], "version_conflict");
    assert!(body["error"]["message"].as_str().unwrap().contains("mila"), "{body}");

    assert_eq!(app.get("/api/v1/audit-log", &m.token).await.status(), 403);
    let page: Value = app
        .get(
            &format!("/api/v1/audit-log?entity=counterparty&entity_id={client}"),
            &admin.token,
        )
        .await
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["action"], "update");
    assert_eq!(items[0]["actor"]["id"], m.id.to_string());
    assert_eq!(items[0]["changes"]["status"], json!(["client", "key_client"]));
    // The manager's refused read of the audit log is itself recorded.
    let denied: Value = app
        .get("/api/v1/audit-log?action=denied", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        denied["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"]["id"] == m.id.to_string())
    );
    // Paging by cursor walks back through older entries without repeats.
    let first: Value = app
        .get("/api/v1/audit-log?limit=2", &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value = app
        .get(&format!("/api/v1/audit-log?limit=2&cursor={cursor}"), &admin.token)
        .await
        .json()
        .await
        .unwrap();
    let ids = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(ids(&first).iter().all(|id| !ids(&second).contains(id)));
    let bad = app.get("/api/v1/audit-log?from=yesterday", &admin.token).await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn one_address_sweeping_many_logins_is_throttled_on_sqlite() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    // 30 failures from one address over different logins (none reaching its own limit).
    for i in 0..30 {
        assert_eq!(
            login(&app, &format!("sweep{}", i % 10), "nope-nope").await.status(),
            401,
            "attempt {i}"
        );
    }
    let res = login(&app, "someone-else", "nope-nope").await;
    assert_eq!(res.status(), 429, "the address itself is now locked");
}

/// Tokens are remembered for a moment after a check; revoking one or deactivating its user
/// must still take effect on the very next request.
async fn a_token_just_used_is_refused_at_once_when_revoked_or_its_user_deactivated(app: TestApp) {
    let admin = app.user("root", "administrator", None).await;
    let zoya = app.user("zoya", "manager", None).await;
    let ivan = app.user("ivan", "manager", None).await;
    assert_eq!(app.get("/api/v1/me", &zoya.token).await.status(), 200);
    let tokens: Value = app.get("/api/v1/tokens", &zoya.token).await.json().await.unwrap();
    let id = tokens[0]["id"].as_str().unwrap().to_owned();
    let revoked = app
        .http
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&zoya.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(app.get("/api/v1/me", &zoya.token).await.status(), 401, "revoked");

    let me: Value = app.get("/api/v1/me", &ivan.token).await.json().await.unwrap();
    assert_eq!(me["role"], "manager", "{me}");
    let patch = |body: Value| {
        app.http
            .patch(app.url(&format!("/api/v1/users/{}", ivan.id)))
            .bearer_auth(&admin.token)
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(json!({ "version": 1, "role": "sales_support" }))
            .await
            .unwrap()
            .status(),
        200
    );
    let me: Value = app.get("/api/v1/me", &ivan.token).await.json().await.unwrap();
    assert_eq!(me["role"], "sales_support", "the new role at once: {me}");
    assert_eq!(
        patch(json!({ "version": 2, "is_active": false }))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(app.get("/api/v1/me", &ivan.token).await.status(), 401, "deactivated");
}
