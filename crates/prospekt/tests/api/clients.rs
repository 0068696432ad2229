//! Creating counterparties with checked requisites, duplicates, and contact persons.

use chrono::{Duration, SubsecRound, Utc};
use prospekt_storage::db_run;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

crate::on_both_databases!(
    a_manager_creates_a_legal_entity_that_becomes_their_own_client,
    bad_requisites_are_refused_naming_the_field_and_reason,
    the_same_inn_and_kpp_twice_is_refused_and_a_shared_phone_is_flagged,
    contacts_are_added_normalized_and_protected_from_lost_updates,
    stale_clients_are_those_neither_updated_nor_contacted_for_n_days,
);

async fn post(app: &TestApp, token: &str, path: &str, body: Value, lang: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn a_manager_creates_a_legal_entity_that_becomes_their_own_client(app: TestApp) {
    let f = app.departments().await;
    let m = app.user("olga", "manager", Some(f.department_a)).await;
    let (status, body) = post(
        &app,
        &m.token,
        "/api/v1/counterparties",
        json!({
            "kind": "legal_entity", "name": "ООО «Ромашка»", "inn": " 7707083893 ", "kpp": "773601001",
            "ogrn": "1027700132195", "city": "Москва", "phone": "8 (495) 500-55-50", "email": "Info@Romashka.RU",
            "credit_limit": "250000.50", "payment_terms_days": 14
        }),
        "ru",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let c = &body["counterparty"];
    assert_eq!(c["inn"], "7707083893");
    assert_eq!(c["phone"], "+74955005550");
    assert_eq!(c["email"], "Info@romashka.ru");
    assert_eq!(c["credit_limit"], "250000.50");
    assert_eq!(
        c["owner"]["id"],
        m.id.to_string(),
        "a manager's new client is their own"
    );
    assert_eq!(c["status"], "prospect");
    let id = c["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/counterparties/{id}"), &m.token)
            .await
            .status(),
        200
    );
    let entries = prospekt_storage::repo::audit::recent(&app.db, Some(id.parse().unwrap()), 5)
        .await
        .unwrap();
    assert_eq!(entries[0].action, "create");
}

async fn bad_requisites_are_refused_naming_the_field_and_reason(app: TestApp) {
    let m = app.user("pavel", "manager", None).await;
    let cases = [
        (
            json!({"kind": "legal_entity", "name": "А", "inn": "7707083894", "kpp": "773601001"}),
            "inn",
            "invalid_inn",
            "check digit",
        ),
        (
            json!({"kind": "legal_entity", "name": "А", "inn": "7707083893"}),
            "kpp",
            "required",
            "kpp",
        ),
        (
            json!({"kind": "legal_entity", "name": "А", "inn": "7707083893", "kpp": "7736aa001"}),
            "kpp",
            "invalid_kpp",
            "KPP",
        ),
        (
            json!({"kind": "sole_proprietor", "name": "ИП Иванов", "inn": "123456789047", "kpp": "773601001"}),
            "kpp",
            "kpp_not_applicable",
            "KPP",
        ),
        (
            json!({"kind": "sole_proprietor", "name": "ИП Иванов", "inn": "7707083893"}),
            "inn",
            "invalid_inn",
            "length",
        ),
        (
            json!({"kind": "legal_entity", "name": "А", "inn": "7707083893", "kpp": "773601001", "ogrn": "1022500001328"}),
            "ogrn",
            "invalid_ogrn",
            "OGRN",
        ),
        (json!({"kind": "company", "name": "А"}), "kind", "invalid_kind", "Kind"),
        (
            json!({"kind": "person", "name": "Иванов", "phone": "12345"}),
            "phone",
            "invalid_phone",
            "phone",
        ),
        (
            json!({"kind": "person", "name": "Иванов", "email": "ivanov@"}),
            "email",
            "invalid_email",
            "e-mail",
        ),
        (
            json!({"kind": "person", "name": "Иванов", "credit_limit": "10.999"}),
            "credit_limit",
            "invalid_money",
            "Amount",
        ),
        (json!({"kind": "person", "name": "  "}), "name", "required", "name"),
    ];
    for (body, field, code, needle) in cases {
        let (status, answer) = post(&app, &m.token, "/api/v1/counterparties", body.clone(), "en").await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert_eq!(answer["error"]["field"], field, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], code, "{body} → {answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(needle),
            "{body} → {answer}"
        );
    }
    let (_, ru) = post(
        &app,
        &m.token,
        "/api/v1/counterparties",
        json!({"kind": "legal_entity", "name": "А", "inn": "7707083894", "kpp": "773601001"}),
        "ru",
    )
    .await;
    assert!(
        ru["error"]["message"].as_str().unwrap().contains("контрольное число"),
        "{ru}"
    );
}

async fn the_same_inn_and_kpp_twice_is_refused_and_a_shared_phone_is_flagged(app: TestApp) {
    let m = app.user("irina", "manager", None).await;
    let first = json!({"kind": "legal_entity", "name": "АО «Вектор»", "inn": "7736050003", "kpp": "773601001", "phone": "+7 495 111-22-33"});
    assert_eq!(
        post(&app, &m.token, "/api/v1/counterparties", first.clone(), "en")
            .await
            .0,
        201
    );
    let (status, body) = post(&app, &m.token, "/api/v1/counterparties", first, "en").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["field"], "inn");
    // A branch (another KPP) is a new record; the shared phone is pointed out.
    let branch = json!({"kind": "legal_entity", "name": "АО «Вектор», филиал", "inn": "7736050003", "kpp": "773602001", "phone": "84951112233"});
    let (status, body) = post(&app, &m.token, "/api/v1/counterparties", branch, "en").await;
    assert_eq!(status, 201, "{body}");
    let dups = body["possible_duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1, "{body}");
    assert_eq!(dups[0]["reason"], "phone");
    assert_eq!(dups[0]["name"], "АО «Вектор»");
    // The same name in the same city, written another way, is pointed out too.
    let first = json!({"kind": "person", "name": "Ромашка Трейд", "city": "Тверь"});
    assert_eq!(post(&app, &m.token, "/api/v1/counterparties", first, "en").await.0, 201);
    let again = json!({"kind": "person", "name": "«Ромашка-Трейд»", "city": "Тверь"});
    let (status, body) = post(&app, &m.token, "/api/v1/counterparties", again, "en").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["possible_duplicates"][0]["reason"], "name_city", "{body}");
    let elsewhere = json!({"kind": "person", "name": "Ромашка Трейд", "city": "Казань"});
    let (_, body) = post(&app, &m.token, "/api/v1/counterparties", elsewhere, "en").await;
    assert!(body["possible_duplicates"].as_array().unwrap().is_empty(), "{body}");
}

async fn contacts_are_added_normalized_and_protected_from_lost_updates(app: TestApp) {
    let f = app.departments().await;
    let m = app.user("nina", "manager", Some(f.department_a)).await;
    let other = app.user("oleg", "manager", Some(f.department_a)).await;
    let cp = app.counterparty("Гранит", Some(m.id), Some(f.department_a)).await;
    let path = format!("/api/v1/counterparties/{cp}/contacts");
    let (status, c) = post(&app, &m.token, &path, json!({"full_name": "Соколова Анна Викторовна", "position": "Главный бухгалтер",
        "decision_role": "accountant", "phone": "8 916 123 45 67", "email": "A.Sokolova@Granit.ru", "birthday": "1985-03-08",
        "consent_pd": true}), "en").await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["phone"], "+79161234567");
    assert_eq!(c["email"], "A.Sokolova@granit.ru");
    assert_eq!(c["birthday"], "1985-03-08");
    let (status, bad) = post(
        &app,
        &m.token,
        &path,
        json!({"full_name": "X", "birthday": "2999-01-01"}),
        "en",
    )
    .await;
    assert_eq!((status, bad["error"]["code"].as_str()), (422, Some("in_future")));
    // Another manager cannot see the client, so not its contacts either.
    assert_eq!(app.get(&path, &other.token).await.status(), 404);
    let list: Value = app.get(&path, &m.token).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    let id = c["id"].as_str().unwrap();
    let patch = |version: i64, position: &str| {
        json!({"version": version, "full_name": "Соколова Анна Викторовна", "position": position,
        "phone": "+79161234567", "consent_pd": true})
    };
    let res = app
        .http
        .patch(app.url(&format!("/api/v1/contacts/{id}")))
        .bearer_auth(&m.token)
        .json(&patch(1, "Финансовый директор"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let stale = app
        .http
        .patch(app.url(&format!("/api/v1/contacts/{id}")))
        .bearer_auth(&m.token)
        .header("Accept-Language", "en")
        .json(&patch(1, "Бухгалтер"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("nina"), "{body}");
    let now: Value = app
        .get(&format!("/api/v1/contacts/{id}"), &m.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        now["position"], "Финансовый директор",
        "the stale write changed nothing"
    );
    assert_eq!(now["version"], 2);
}

async fn age(app: &TestApp, id: Uuid, days: i64) {
    let at = (Utc::now() - Duration::days(days)).trunc_subsecs(6);
    db_run!(&app.db, pool => {
        sqlx::query("UPDATE counterparties SET updated_at = $1 WHERE id = $2").bind(at).bind(id).execute(pool).await.unwrap();
    });
}

async fn stale_clients_are_those_neither_updated_nor_contacted_for_n_days(app: TestApp) {
    let f = app.departments().await;
    let m = app.user("stas", "manager", Some(f.department_a)).await;
    let forgotten = app.counterparty("Забытый", Some(m.id), Some(f.department_a)).await;
    let called = app
        .counterparty("Недавно звонили", Some(m.id), Some(f.department_a))
        .await;
    let fresh = app.counterparty("Свежий", Some(m.id), Some(f.department_a)).await;
    let older = app
        .counterparty("Совсем забытый", Some(m.id), Some(f.department_a))
        .await;
    age(&app, forgotten, 120).await;
    age(&app, called, 120).await;
    age(&app, older, 400).await;
    age(&app, fresh, 10).await;
    let done = (Utc::now() - Duration::days(5)).trunc_subsecs(6);
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO activities (id, counterparty_id, owner_id, kind, subject, planned_at, done_at, result, created_at) \
                     VALUES ($1, $2, $3, 'call', 'Звонок', $4, $4, 'Договорились о встрече', $4)")
            .bind(Uuid::now_v7()).bind(called).bind(m.id).bind(done).execute(pool).await.unwrap();
    });
    let list: Value = app
        .get("/api/v1/counterparties/stale?days=90", &m.token)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Совсем забытый", "Забытый"],
        "oldest first; a recent call or update keeps a client off the list"
    );
    let other = app.user("tanya", "manager", Some(f.department_a)).await;
    let theirs: Value = app
        .get("/api/v1/counterparties/stale?days=90", &other.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs.as_array().unwrap().len(), 0, "only within the caller's scope");
    assert_eq!(
        app.get("/api/v1/counterparties/stale?days=0", &m.token).await.status(),
        422
    );
}
