//! Reading counterparties: scope by role, 404 outside it, keyset pagination, bad parameters.

use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

crate::on_both_databases!(
    a_manager_reads_own_counterparty_and_gets_404_for_anothers,
    a_head_lists_the_department_only,
    the_list_pages_by_cursor_without_gaps_or_repeats,
    bad_list_parameters_get_422_naming_the_field,
);

async fn a_manager_reads_own_counterparty_and_gets_404_for_anothers(app: TestApp) {
    let f = app.departments().await;
    let anna = app.user("anna", "manager", Some(f.department_a)).await;
    let boris = app.user("boris", "manager", Some(f.department_a)).await;
    let own = app.counterparty("Ромашка", Some(anna.id), Some(f.department_a)).await;
    let other = app.counterparty("Василёк", Some(boris.id), Some(f.department_a)).await;

    let res = app.get(&format!("/api/v1/counterparties/{own}"), &anna.token).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["name"], "Ромашка");
    assert_eq!(body["inn"], "7707083893");
    assert_eq!(body["credit_limit"], "1500000.00", "money is an exact decimal string");
    assert_eq!(body["owner"]["id"], anna.id.to_string());
    assert_eq!(body["version"], 1);

    let res = app.get(&format!("/api/v1/counterparties/{other}"), &anna.token).await;
    assert_eq!(res.status(), 404, "another manager's client must not leak");
    let missing = app
        .get(&format!("/api/v1/counterparties/{}", Uuid::now_v7()), &anna.token)
        .await;
    assert_eq!(
        missing.text().await.unwrap(),
        res.text().await.unwrap(),
        "out of scope looks exactly like missing"
    );

    let bad = app.get("/api/v1/counterparties/not-a-uuid", &anna.token).await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["field"].as_str()),
        (Some("invalid_id"), Some("id"))
    );
}

async fn a_head_lists_the_department_only(app: TestApp) {
    let f = app.departments().await;
    let head = app.user("head", "head_of_department", Some(f.department_a)).await;
    let director = app.user("director", "commercial_director", None).await;
    let m = app.user("mgr", "manager", Some(f.department_a)).await;
    app.counterparty("Альфа", Some(m.id), Some(f.department_a)).await;
    app.counterparty("Бета", None, Some(f.department_a)).await;
    app.counterparty("Гамма", None, Some(f.department_b)).await;

    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let head_view: Value = app
        .get("/api/v1/counterparties", &head.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(head_view), ["Альфа", "Бета"]);
    let director_view: Value = app
        .get("/api/v1/counterparties", &director.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(director_view), ["Альфа", "Бета", "Гамма"]);
    let manager_view: Value = app.get("/api/v1/counterparties", &m.token).await.json().await.unwrap();
    assert_eq!(names(manager_view), ["Альфа"]);
}

async fn the_list_pages_by_cursor_without_gaps_or_repeats(app: TestApp) {
    let director = app.user("director", "commercial_director", None).await;
    // Two records share a name: the id breaks the tie so neither is skipped.
    for name in ["Дельта", "Альфа", "Вега", "Бета", "Вега", "Гамма", "Ежевика"] {
        app.counterparty(name, None, None).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/counterparties?limit=2&cursor={c}"),
            None => "/api/v1/counterparties?limit=2".to_owned(),
        };
        let page: Value = app.get(&path, &director.token).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push((
                item["name"].as_str().unwrap().to_owned(),
                item["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Альфа", "Бета", "Вега", "Вега", "Гамма", "Дельта", "Ежевика"]);
    let mut ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 7);
}

async fn bad_list_parameters_get_422_naming_the_field(app: TestApp) {
    let u = app.user("u1", "commercial_director", None).await;
    for (query, field, code) in [
        ("limit=0", "limit", "invalid_limit"),
        ("limit=500", "limit", "invalid_limit"),
        ("tier=gold", "tier", "invalid_tier"),
        ("cursor=zz", "cursor", "invalid_cursor"),
        ("owner=123", "owner", "invalid_id"),
    ] {
        let res = app.get(&format!("/api/v1/counterparties?{query}"), &u.token).await;
        assert_eq!(res.status(), 422, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{query}");
        assert_eq!(body["error"]["code"], code, "{query}");
    }
}
