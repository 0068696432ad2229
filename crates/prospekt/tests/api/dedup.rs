//! Keeping the base clean: bank accounts, archive, the duplicate report, merge, history.

use prospekt_storage::db_run;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

crate::on_both_databases!(
    bank_accounts_are_checked_against_the_bik,
    archived_records_leave_the_list_and_come_back,
    the_duplicate_report_groups_same_inn_name_in_city_and_phone,
    a_merge_moves_everything_and_keeps_both_histories,
    a_merge_with_a_stale_version_changes_nothing,
    every_field_of_c1_round_trips_through_the_api,
);

async fn send(app: &TestApp, method: &str, token: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app
        .http
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
        .bearer_auth(token)
        .header("Accept-Language", "en");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, b) = send(app, "POST", token, "/api/v1/counterparties", Some(body)).await;
    assert_eq!(status, 201, "{b}");
    b["counterparty"].clone()
}

async fn bank_accounts_are_checked_against_the_bik(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let cp = create(
        &app,
        &m.token,
        json!({"kind": "legal_entity", "name": "ООО «Вектор»", "inn": "7707083893", "kpp": "773601001"}),
    )
    .await;
    let path = format!("/api/v1/counterparties/{}/bank-accounts", cp["id"].as_str().unwrap());
    // A valid account of another bank: the key does not match this BIK.
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &path,
        Some(json!({
        "bik": "044525974", "account": "40702810834085231313", "bank_name": "АО «ТБанк»" })),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "account");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("check digit"),
        "{body}"
    );
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &path,
        Some(json!({
        "bik": "044525225", "account": "4070 2810 8340 8523 1313", "corr_account": "30101810400000000225",
        "bank_name": "ПАО Сбербанк" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["account"], "40702810834085231313");
    let (status, _) = send(
        &app,
        "POST",
        &m.token,
        &path,
        Some(json!({
        "bik": "044525225", "account": "40702810834085231313", "bank_name": "ПАО Сбербанк" })),
    )
    .await;
    assert_eq!(status, 409, "the same account twice");
    let (_, list) = send(&app, "GET", &m.token, &path, None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = send(
        &app,
        "DELETE",
        &m.token,
        &format!("/api/v1/bank-accounts/{}", body["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (_, list) = send(&app, "GET", &m.token, &path, None).await;
    assert!(list.as_array().unwrap().is_empty());
    let (_, history) = send(
        &app,
        "GET",
        &m.token,
        &format!("/api/v1/counterparties/{}/history", cp["id"].as_str().unwrap()),
        None,
    )
    .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["remove_bank_account", "add_bank_account", "create"]);
}

async fn archived_records_leave_the_list_and_come_back(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let cp = create(&app, &m.token, json!({"kind": "person", "name": "Сидоров Пётр"})).await;
    let id = cp["id"].as_str().unwrap();
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{id}/archive"),
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["archived_at"].is_string());
    let (_, live) = send(&app, "GET", &m.token, "/api/v1/counterparties", None).await;
    assert!(live["items"].as_array().unwrap().is_empty());
    let (_, archived) = send(&app, "GET", &m.token, "/api/v1/counterparties?archived=true", None).await;
    assert_eq!(archived["items"][0]["id"], id);
    let (status, _) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{id}/restore"),
        Some(json!({"version": 1})),
    )
    .await;
    assert_eq!(status, 409, "a stale version cannot restore");
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{id}/restore"),
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["archived_at"].is_null());
    let (_, live) = send(&app, "GET", &m.token, "/api/v1/counterparties", None).await;
    assert_eq!(live["items"][0]["id"], id);
}

async fn the_duplicate_report_groups_same_inn_name_in_city_and_phone(app: TestApp) {
    let f = app.departments().await;
    let m = app.user("olga", "manager", Some(f.department_a)).await;
    let other = app.user("ivan", "manager", Some(f.department_b)).await;
    let head = app.user("head", "head_of_department", Some(f.department_a)).await;
    let a = create(
        &app,
        &m.token,
        json!({"kind": "legal_entity", "name": "ООО «Ромашка-Трейд»", "inn": "7707083893",
        "kpp": "773601001", "city": "Тверь", "phone": "+7 4822 55-66-77"}),
    )
    .await;
    let b = create(
        &app,
        &m.token,
        json!({"kind": "legal_entity", "name": "Ромашка Трейд, ООО", "inn": "7707083893",
        "kpp": "773602001", "city": "Тверь"}),
    )
    .await;
    let c = create(
        &app,
        &m.token,
        json!({"kind": "person", "name": "Кузнецов Ильдар", "phone": "8 (4822) 55-66-77"}),
    )
    .await;
    // The same name in another city is another business; another department is out of reach.
    create(
        &app,
        &m.token,
        json!({"kind": "person", "name": "Ромашка Трейд", "city": "Казань"}),
    )
    .await;
    create(
        &app,
        &other.token,
        json!({"kind": "legal_entity",
        "name": "ООО «Ромашка-Трейд»", "inn": "7707083893", "kpp": "773603001", "city": "Тверь"}),
    )
    .await;
    let (status, groups) = send(&app, "GET", &head.token, "/api/v1/duplicates", None).await;
    assert_eq!(status, 200, "{groups}");
    let groups = groups.as_array().unwrap();
    let find = |reason: &str| groups.iter().find(|g| g["reason"] == reason).cloned();
    let ids = |g: &Value| {
        let mut v: Vec<String> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut ab = vec![
        a["id"].as_str().unwrap().to_owned(),
        b["id"].as_str().unwrap().to_owned(),
    ];
    ab.sort();
    assert_eq!(
        ids(&find("inn").expect("same INN")),
        ab,
        "the other department's record is out of the head's reach"
    );
    let by_name = find("name_city").expect("same name in one city");
    assert_eq!(ids(&by_name), ab);
    assert_eq!(by_name["key"], "ромашка трейд / Тверь");
    let mut ac = vec![
        a["id"].as_str().unwrap().to_owned(),
        c["id"].as_str().unwrap().to_owned(),
    ];
    ac.sort();
    assert_eq!(ids(&find("phone").expect("same phone")), ac);
    assert!(find("email").is_none());
    // The director sees the other department's record in the INN group too.
    let dir = app.user("dir", "commercial_director", None).await;
    let (_, all) = send(&app, "GET", &dir.token, "/api/v1/duplicates?reason=inn", None).await;
    assert_eq!(all[0]["members"].as_array().unwrap().len(), 3);
    let (status, body) = send(&app, "GET", &dir.token, "/api/v1/duplicates?reason=colour", None).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("reason")));
}

async fn a_merge_moves_everything_and_keeps_both_histories(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let keep = create(
        &app,
        &m.token,
        json!({"kind": "legal_entity", "name": "ООО «Ромашка»", "inn": "7707083893",
        "kpp": "773601001", "city": "Тверь", "tags": ["опт"]}),
    )
    .await;
    let dup = create(
        &app,
        &m.token,
        json!({"kind": "legal_entity", "name": "Ромашка ООО", "city": "Тверь",
        "inn": "7707083893", "kpp": "773602001", "phone": "+74822556677", "email": "buh@romashka.ru",
        "needs": "упаковка, 2 т/мес", "tags": ["VIP", "опт"]}),
    )
    .await;
    let (keep_id, dup_id) = (keep["id"].as_str().unwrap(), dup["id"].as_str().unwrap());
    send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{dup_id}/contacts"),
        Some(json!({"full_name": "Петрова Мария", "phone": "+79161234567"})),
    )
    .await;
    send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{dup_id}/bank-accounts"),
        Some(json!({"bik": "044525225", "account": "40702810834085231313", "bank_name": "ПАО Сбербанк"})),
    )
    .await;
    let dup_uuid: Uuid = dup_id.parse().unwrap();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO activities (id, counterparty_id, owner_id, kind, subject, planned_at, created_at) \
                     VALUES ($1, $2, $3, 'call', 'Звонок', $4, $4)")
            .bind(Uuid::now_v7()).bind(dup_uuid).bind(m.id).bind(chrono::Utc::now().naive_utc().and_utc())
            .execute(pool).await.unwrap();
    });
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{keep_id}/merge"),
        Some(json!({"version": 1, "duplicate_id": dup_id, "duplicate_version": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["moved"]["contacts"], 1);
    assert_eq!(body["moved"]["bank_accounts"], 1);
    assert_eq!(body["moved"]["activities"], 1);
    let survivor = &body["counterparty"];
    assert_eq!(
        survivor["phone"], "+74822556677",
        "an empty field takes the duplicate's value"
    );
    assert_eq!(survivor["kpp"], "773601001", "the survivor's own requisites stay");
    assert_eq!(survivor["needs"], "упаковка, 2 т/мес");
    assert_eq!(survivor["tags"], json!(["опт", "vip"]));
    let (_, contacts) = send(
        &app,
        "GET",
        &m.token,
        &format!("/api/v1/counterparties/{keep_id}/contacts"),
        None,
    )
    .await;
    assert_eq!(contacts[0]["full_name"], "Петрова Мария");
    let (_, gone) = send(&app, "GET", &m.token, &format!("/api/v1/counterparties/{dup_id}"), None).await;
    assert_eq!(gone["merged_into"], keep_id);
    assert!(gone["archived_at"].is_string());
    let (_, history) = send(
        &app,
        "GET",
        &m.token,
        &format!("/api/v1/counterparties/{keep_id}/history"),
        None,
    )
    .await;
    let seen: Vec<(String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["entity_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for want in [
        ("merge", keep_id),
        ("merged_into", dup_id),
        ("create", dup_id),
        ("create", keep_id),
        ("add_bank_account", dup_id),
    ] {
        assert!(
            seen.iter().any(|(a, i)| a == want.0 && i == want.1),
            "history lacks {want:?}: {seen:?}"
        );
    }
    // A merged record cannot be restored or merged again.
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{dup_id}/restore"),
        Some(json!({"version": 2})),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("merged_record")));
    let (_, groups) = send(&app, "GET", &m.token, "/api/v1/duplicates", None).await;
    assert!(groups.as_array().unwrap().is_empty(), "{groups}");
}

async fn a_merge_with_a_stale_version_changes_nothing(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let keep = create(&app, &m.token, json!({"kind": "person", "name": "Сидоров Пётр"})).await;
    let dup = create(
        &app,
        &m.token,
        json!({"kind": "person", "name": "Сидоров Петр", "phone": "+79161234567"}),
    )
    .await;
    let (keep_id, dup_id) = (keep["id"].as_str().unwrap(), dup["id"].as_str().unwrap());
    send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{dup_id}/contacts"),
        Some(json!({"full_name": "Жена"})),
    )
    .await;
    let (status, _) = send(
        &app,
        "PATCH",
        &m.token,
        &format!("/api/v1/counterparties/{dup_id}"),
        Some(json!({"version": 1, "notes": "x"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{keep_id}/merge"),
        Some(json!({"version": 1, "duplicate_id": dup_id, "duplicate_version": 1})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (_, contacts) = send(
        &app,
        "GET",
        &m.token,
        &format!("/api/v1/counterparties/{dup_id}/contacts"),
        None,
    )
    .await;
    assert_eq!(contacts.as_array().unwrap().len(), 1, "nothing moved");
    let (_, d) = send(&app, "GET", &m.token, &format!("/api/v1/counterparties/{dup_id}"), None).await;
    assert!(d["archived_at"].is_null());
    let (status, body) = send(
        &app,
        "POST",
        &m.token,
        &format!("/api/v1/counterparties/{keep_id}/merge"),
        Some(json!({"version": 1, "duplicate_id": keep_id, "duplicate_version": 1})),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("same_record")));
}

async fn every_field_of_c1_round_trips_through_the_api(app: TestApp) {
    let f = app.departments().await;
    let head = app.user("head", "head_of_department", Some(f.department_a)).await;
    let t = app.territory("tver", "Тверь и область").await;
    let cp = create(
        &app,
        &head.token,
        json!({"kind": "sole_proprietor", "name": "ИП Соколов А. В.",
        "inn": "770078984794", "size": "micro", "lead_source": "exhibition", "industry": "Розница",
        "needs": "холодильное оборудование", "tags": ["Выставка 2026", "опт"], "external_id": "1C-000123",
        "territory_id": t, "payment_terms_days": 30, "credit_limit": "500000"}),
    )
    .await;
    let id = cp["id"].as_str().unwrap();
    assert_eq!(cp["external_id"], "1C-000123");
    assert_eq!(cp["territory"]["name"], "Тверь и область");
    assert_eq!(cp["tags"], json!(["выставка 2026", "опт"]));
    let (status, body) = send(
        &app,
        "PATCH",
        &head.token,
        &format!("/api/v1/counterparties/{id}"),
        Some(json!({
        "version": 1, "needs": null, "tags": ["опт"], "credit_limit": "750000.00", "payment_terms_days": 45,
        "ogrn": "304662843387110", "territory_id": null })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["needs"].is_null());
    assert_eq!(body["tags"], json!(["опт"]));
    assert_eq!(body["credit_limit"], "750000.00");
    assert_eq!(body["payment_terms_days"], 45);
    assert!(body["territory"].is_null());
    let (status, body) = send(
        &app,
        "PATCH",
        &head.token,
        &format!("/api/v1/counterparties/{id}"),
        Some(json!({
        "version": 2, "inn": "770078984795" })),
    )
    .await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("inn")));
    let (status, body) = send(
        &app,
        "POST",
        &head.token,
        &format!("/api/v1/counterparties/{id}/contacts"),
        Some(json!({
        "full_name": "Соколов Андрей Викторович", "messengers": "Telegram @sokolov", "consent_ads": true,
        "consent_at": "2026-03-01", "consent_source": "анкета на выставке" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["messengers"], "Telegram @sokolov");
    assert_eq!(body["consent_at"], "2026-03-01");
    let cid = body["id"].as_str().unwrap();
    let (status, body) = send(
        &app,
        "PATCH",
        &head.token,
        &format!("/api/v1/contacts/{cid}"),
        Some(json!({
        "version": 1, "full_name": "Соколов Андрей Викторович", "position": "владелец", "consent_ads": true })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["consent_at"], "2026-03-01", "an earlier consent keeps its date");
    assert_eq!(body["consent_source"], "анкета на выставке");
}
