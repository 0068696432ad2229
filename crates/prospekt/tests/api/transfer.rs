//! Import of counterparties from CSV/XLSX and export of lists (CSV, XLSX, vCard).

use prospekt_storage::db_run;
use serde_json::Value;
use uuid::Uuid;

use crate::helpers::TestApp;

crate::on_both_databases!(
    a_dry_run_reports_and_writes_nothing_then_the_import_is_idempotent,
    files_that_are_not_tables_get_one_clear_message,
    an_xlsx_file_imports_like_a_csv,
    an_import_never_touches_records_out_of_reach,
    export_needs_the_permission_and_is_audited,
    a_large_batch_is_indexed_for_search_exactly_like_row_by_row_inserts,
    a_batch_split_across_cores_keeps_each_contact_with_its_client,
);

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>, query: &str, mapping: Option<&str>) -> reqwest::Response {
    let mut form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("clients.csv"));
    if let Some(m) = mapping {
        form = form.text("mapping", m.to_owned());
    }
    app.http
        .post(app.url(&format!("/api/v1/imports/counterparties{query}")))
        .bearer_auth(token)
        .header("Accept-Language", "en")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn cp1251(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::WINDOWS_1251.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

const FILE: &str = "Наименование;ИНН;КПП;Город;Телефон;Контактное лицо;Теги\r\n\
    ООО «Альфа»;7707083893;773601001;Москва;+7 495 111-22-33;Иванов Иван;опт\r\n\
    ООО «Бета»;7707083894;773601001;Москва;;;\r\n\
    ООО «Альфа-2»;7707083893;773601001;Москва;;;\r\n\
    ИП Соколов А. В.;770078984794;;Тверь;8 (4822) 55-66-77;;розница\r\n";

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    db_run!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

async fn a_dry_run_reports_and_writes_nothing_then_the_import_is_idempotent(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let (status, r) = json_of(upload(&app, &m.token, cp1251(FILE), "?dry_run=true", None).await).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["format"], "CSV (windows-1251, «;»)");
    assert_eq!(
        (r["rows"].as_u64(), r["created"].as_u64(), r["rejected"].as_u64()),
        (Some(4), Some(2), Some(2))
    );
    let problems = r["problems"].as_array().unwrap();
    assert_eq!(problems[0]["line"], 3);
    assert_eq!(problems[0]["field"], "inn");
    assert!(problems[0]["message"].as_str().unwrap().contains("check digit"), "{r}");
    assert_eq!(
        (problems[1]["line"].as_u64(), problems[1]["code"].as_str()),
        (Some(4), Some("duplicate_in_file"))
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM counterparties").await,
        0,
        "a dry run writes nothing"
    );

    // The per-row error report as a file.
    let res = upload(&app, &m.token, cp1251(FILE), "?report=csv", None).await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'), "BOM for Excel");
    assert!(csv.contains("3;ИНН;inn;") || csv.contains("3;ИНН;inn;\""), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("4;")), "{csv}");

    let (status, r) = json_of(upload(&app, &m.token, cp1251(FILE), "", None).await).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!((r["created"].as_u64(), r["rejected"].as_u64()), (Some(2), Some(2)));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM counterparties").await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contacts").await, 1);
    let (_, list) = json_of(app.get("/api/v1/counterparties", &m.token).await).await;
    let alpha = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ООО «Альфа»")
        .unwrap()
        .clone();
    assert_eq!(
        alpha["owner"]["id"],
        m.id.to_string(),
        "a manager's import is their own"
    );
    assert_eq!(alpha["phone"], "+74951112233");
    assert_eq!(alpha["tags"], serde_json::json!(["опт"]));
    let sole = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["inn"] == "770078984794")
        .unwrap()
        .clone();
    assert_eq!(sole["kind"], "sole_proprietor");

    // The same file again: nothing changes.
    let (_, r) = json_of(upload(&app, &m.token, cp1251(FILE), "", None).await).await;
    assert_eq!(
        (r["created"].as_u64(), r["updated"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(0), Some(2)),
        "{r}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM counterparties").await, 2);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM contacts").await, 1);

    // A changed cell updates the matched record and lands in its history.
    let changed = "Название,ИНН,КПП,Город\nООО «Альфа»,7707083893,773601001,Тула\n";
    let (_, r) = json_of(upload(&app, &m.token, changed.as_bytes().to_vec(), "", None).await).await;
    assert_eq!(
        (r["updated"].as_u64(), r["format"].as_str()),
        (Some(1), Some("CSV (utf-8, «,»)")),
        "{r}"
    );
    let id = alpha["id"].as_str().unwrap();
    let (_, c) = json_of(app.get(&format!("/api/v1/counterparties/{id}"), &m.token).await).await;
    assert_eq!(c["city"], "Тула");
    assert_eq!(c["phone"], "+74951112233", "an empty or missing cell never erases");
    let (_, history) = json_of(app.get(&format!("/api/v1/counterparties/{id}/history"), &m.token).await).await;
    assert_eq!(history[0]["action"], "import");
    assert_eq!(history[0]["changes"]["city"], serde_json::json!(["Москва", "Тула"]));

    // An explicit mapping.
    let odd = "Клиент;Налоговый номер;Код 1С\nГамма Трейд;;G-1\n";
    let (status, r) = json_of(
        upload(
            &app,
            &m.token,
            odd.as_bytes().to_vec(),
            "",
            Some(r#"[{"header":"Клиент","field":"name"},{"header":"Код 1С","field":"external_id"}]"#),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["created"], 1, "{r}");
}

async fn files_that_are_not_tables_get_one_clear_message(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let png = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
    ];
    for (bytes, code) in [
        (png, "file_not_table"),
        (b"\xef\xbb\xbf".to_vec(), "file_empty"),
        ("ИНН;Город\n7707083893;Москва\n".as_bytes().to_vec(), "column_required"),
    ] {
        let (status, body) = json_of(upload(&app, &m.token, bytes, "", None).await).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some(code)), "{body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM counterparties").await, 0);
}

async fn an_xlsx_file_imports_like_a_csv(app: TestApp) {
    let m = app.user("olga", "manager", None).await;
    let bytes = prospekt_files::xlsx(
        "Клиенты",
        &["Наименование", "ИНН", "КПП", "БИК", "Р/с", "Банк"],
        [vec![
            "ООО «Дельта»".to_owned(),
            "7707083893".to_owned(),
            "773601001".to_owned(),
            "044525225".to_owned(),
            "40702810834085231313".to_owned(),
            "ПАО Сбербанк".to_owned(),
        ]],
    )
    .unwrap();
    let (status, r) = json_of(upload(&app, &m.token, bytes, "", None).await).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["format"].as_str(), r["created"].as_u64()),
        (Some("XLSX"), Some(1)),
        "{r}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bank_accounts").await, 1);
}

async fn an_import_never_touches_records_out_of_reach(app: TestApp) {
    let f = app.departments().await;
    let mine = app.user("olga", "manager", Some(f.department_a)).await;
    let other = app.user("ivan", "manager", Some(f.department_b)).await;
    let theirs = app
        .counterparty("Чужой клиент", Some(other.id), Some(f.department_b))
        .await;
    // The fixture has INN 7707083893 / KPP 773601001.
    let file = "Наименование;ИНН;КПП;Город\nЧужой клиент;7707083893;773601001;Самара\n";
    let (status, r) = json_of(upload(&app, &mine.token, file.as_bytes().to_vec(), "", None).await).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["rejected"].as_u64(), r["problems"][0]["code"].as_str()),
        (Some(1), Some("out_of_scope")),
        "{r}"
    );
    let (_, c) = json_of(app.get(&format!("/api/v1/counterparties/{theirs}"), &other.token).await).await;
    assert!(c["city"].is_null(), "{c}");
    // A manager may not hand rows to a colleague.
    let file = "Наименование;Ответственный\nНовый клиент;ivan\n";
    let (_, r) = json_of(upload(&app, &mine.token, file.as_bytes().to_vec(), "", None).await).await;
    assert_eq!(r["problems"][0]["field"], "owner", "{r}");
    // Roles that do not edit clients cannot import at all.
    let support = app.user("sup", "sales_support", Some(f.department_a)).await;
    let res = upload(&app, &support.token, FILE.as_bytes().to_vec(), "", None).await;
    assert_eq!(res.status(), 403);
}

async fn export_needs_the_permission_and_is_audited(app: TestApp) {
    let f = app.departments().await;
    let m = app.user("olga", "manager", Some(f.department_a)).await;
    let cp = app
        .counterparty("ООО «Экспорт»", Some(m.id), Some(f.department_a))
        .await;
    app.contact(cp, "Петрова Мария Сергеевна").await;
    app.counterparty("Чужой", None, Some(f.department_b)).await;
    let res = app.get("/api/v1/counterparties/export?format=csv", &m.token).await;
    assert_eq!(res.status(), 403, "no export permission by default");
    // The administrator grants it; the manager's token carries it from the next request on.
    let admin = app.user("root", "administrator", None).await;
    let granted = app
        .http
        .patch(app.url(&format!("/api/v1/users/{}", m.id)))
        .bearer_auth(&admin.token)
        .json(&serde_json::json!({ "version": 1, "can_export": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 200);
    let res = app.get("/api/v1/counterparties/export?format=csv", &m.token).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("counterparties.csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "header and the one record in reach: {csv}");
    assert!(lines[1].contains("ООО «Экспорт»") && lines[1].contains("7707083893"));
    let res = app.get("/api/v1/counterparties/export?format=xlsx", &m.token).await;
    assert_eq!(res.status(), 200);
    let table = prospekt_files::read_table(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(table.rows.len(), 1);
    assert!(table.rows[0].cells.iter().any(|c| c == "7707083893"), "INN stays text");
    let res = app
        .get(&format!("/api/v1/counterparties/{cp}/contacts/vcard"), &m.token)
        .await;
    assert_eq!(res.status(), 200);
    let vcf = res.text().await.unwrap();
    assert!(
        vcf.starts_with("BEGIN:VCARD") && vcf.contains("Петрова") && vcf.contains("ORG:ООО «Экспорт»"),
        "{vcf}"
    );
    let res = app.get("/api/v1/counterparties/export?format=pdf", &m.token).await;
    assert_eq!(res.status(), 422);
    let exports = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'export'").await;
    assert_eq!(exports, 3, "csv, xlsx and vcard exports are audited");
    let denied = count(&app, "SELECT COUNT(*) FROM audit_log WHERE action = 'denied'").await;
    assert!(denied >= 1, "the refused export is audited too");
    let _ = Uuid::nil();
}

/// 1,200 rows with punctuation-rich names: one file (the set-based search indexing of large
/// batches) against the same rows in files of 300 (the per-row triggers), on fresh databases.
async fn a_large_batch_is_indexed_for_search_exactly_like_row_by_row_inserts(app: TestApp) {
    let backend = match app.db {
        prospekt_storage::Db::Sqlite(_) => crate::helpers::Backend::Sqlite,
        prospekt_storage::Db::Postgres(_) => crate::helpers::Backend::Postgres,
    };
    let other = crate::helpers::spawn_app(backend).await.expect("second app");
    // No legal forms: persons need no INN, so every row is valid.
    let forms = [
        "«{}-Трейд № {}»",
        "{} (Тверь) {}",
        "\"{}\"/{} — опт; Ёлки!",
        "{}_{}.ру, д/к",
    ];
    let words = [
        "Альфа",
        "Бета",
        "Гамма",
        "Дельта",
        "Ёж",
        "Щука",
        "Ясень",
        "Omega",
        "K2",
        "Ж",
    ];
    let mut rows = vec!["Наименование;Город;Контактное лицо".to_owned()];
    for i in 0..1200 {
        let name = forms[i % 4]
            .replacen("{}", words[i % 10], 1)
            .replacen("{}", &(i / 10).to_string(), 1);
        let contact = format!("{} Ива́н-{} О'Нил", words[(i / 3) % 10], words[i % 7]);
        rows.push(format!("{name} {i};Город {};{contact}", i % 13));
    }
    let big = rows.join("\n");
    let a = app.user("olga", "manager", None).await;
    let (status, r) = json_of(upload(&app, &a.token, big.into_bytes(), "", None).await).await;
    assert_eq!(
        (status, r["created"].as_u64()),
        (200, Some(1200)),
        "{}",
        r["problems"][0]
    );
    let b = other.user("olga", "manager", None).await;
    for part in rows[1..].chunks(300) {
        let file = format!("{}\n{}", rows[0], part.join("\n"));
        let (status, r) = json_of(upload(&other, &b.token, file.into_bytes(), "", None).await).await;
        assert_eq!(
            (status, r["created"].as_u64()),
            (200, Some(300)),
            "{}",
            r["problems"][0]
        );
    }
    let vocabulary = |db: &prospekt_storage::Db| {
        let db = db.clone();
        async move {
            db_run!(&db, pool => sqlx::query_as::<_, (String, String)>(
                "SELECT word, kind FROM search_vocabulary ORDER BY kind, word").fetch_all(pool).await.unwrap())
        }
    };
    let (va, vb) = (vocabulary(&app.db).await, vocabulary(&other.db).await);
    assert!(va.len() > 20, "{va:?}");
    assert_eq!(va, vb, "the vocabulary of a large batch equals the per-row triggers'");
    for q in ["гамма", "гама", "трейд", "тверь", "ива", "omega"] {
        let hits = |t: &TestApp, token: String| {
            let url = t.url(&format!("/api/v1/search?q={q}"));
            let http = t.http.clone();
            async move {
                let v: Value = http
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let mut names: Vec<String> = v["items"]
                    .as_array()
                    .map(|a| a.iter().map(|h| h["name"].as_str().unwrap_or("").to_owned()).collect())
                    .unwrap_or_default();
                names.sort();
                names
            }
        };
        let (ha, hb) = (hits(&app, a.token.clone()).await, hits(&other, b.token.clone()).await);
        assert_eq!(ha, hb, "{q}: the same hits either way");
        assert!(!ha.is_empty() || q == "ива", "{q}: nothing found");
    }
    // The triggers are back: a record created afterwards is indexed by them.
    let (status, _) = json_of(
        app.http
            .post(app.url("/api/v1/counterparties"))
            .bearer_auth(&a.token)
            .json(&serde_json::json!({"kind": "person", "name": "Зюзюкин Пафнутий"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let v: Value = app
        .http
        .get(app.url("/api/v1/search?q=зюзюкин"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["items"][0]["name"], "Зюзюкин Пафнутий", "{v}");
}

/// 20,000 new records or more are built on several threads and written through SQLite's
/// staging table: every record must arrive once, with its own contact and audit entry.
async fn a_batch_split_across_cores_keeps_each_contact_with_its_client(app: TestApp) {
    const ROWS: usize = 20_400;
    let mut file = String::from("Внешний код;Наименование;Контактное лицо;Должность\n");
    for i in 0..ROWS {
        // Every third record has a contact; its position names the record it belongs to.
        let (contact, position) = if i % 3 == 0 {
            (format!("Контакт {i}"), format!("PK-{i}"))
        } else {
            (String::new(), String::new())
        };
        file.push_str(&format!("PK-{i};Покупатель {i};{contact};{position}\n"));
    }
    let head = app.user("irina", "commercial_director", None).await;
    let (status, r) = json_of(upload(&app, &head.token, file.into_bytes(), "", None).await).await;
    assert_eq!(
        (status, r["created"].as_u64()),
        (200, Some(ROWS as u64)),
        "{}",
        r["problems"][0]
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM counterparties WHERE external_id LIKE 'PK-%'"
        )
        .await,
        ROWS as i64
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM contacts WHERE position LIKE 'PK-%'").await,
        ROWS.div_ceil(3) as i64
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM contacts ct JOIN counterparties c ON c.id = ct.counterparty_id \
             WHERE ct.position <> c.external_id OR ct.full_name <> 'Контакт ' || substr(c.external_id, 4)"
        )
        .await,
        0,
        "a contact belongs to the record of its own row"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log a JOIN counterparties c ON c.id = a.entity_id \
             WHERE a.action = 'import' AND a.entity = 'counterparty' AND c.external_id LIKE 'PK-%'"
        )
        .await,
        ROWS as i64,
        "one audit entry per new record"
    );
}
