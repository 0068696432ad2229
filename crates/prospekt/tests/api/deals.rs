//! The catalogue, deals and commercial offers over the API (issue 6): price columns and
//! products with price history, VAT by date, the deal pipeline, offer pricing with promotions
//! and discounts, the head's approval, revisions and the client's answer, the PDF (read back
//! with poppler's `pdftotext`) and sending it by e-mail to a real SMTP server (Python's
//! `aiosmtpd`, the message parsed back with Python's `email` package).

use std::process::{Command, Stdio};

use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use prospekt_storage::db_run;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, Fixture, ProductSeed, SeedUser, SmtpServer, TestApp, python_has_aiosmtpd};

crate::on_both_databases!(
    the_commercial_director_keeps_the_catalogue_and_a_manager_may_not,
    bad_catalogue_input_is_refused_naming_the_field,
    a_future_price_joins_the_history_and_leaves_todays_price_alone,
    the_catalogue_search_ignores_the_case_of_cyrillic_words,
    the_standard_vat_rate_is_22_from_2026_and_offers_carry_it_inside_the_price,
    a_deal_moves_through_the_stages_and_is_lost_only_with_a_reason,
    a_stale_deal_version_is_refused_and_another_departments_manager_sees_no_deal,
    the_board_groups_the_managers_deals_by_stage_with_sums,
    an_offer_applies_the_clients_promotion_and_the_managers_discount_on_top,
    bad_offer_lines_are_refused_naming_the_field_and_the_code,
    only_heads_and_directors_price_at_another_column_than_the_clients,
    a_manager_reprices_and_revises_an_offer_at_the_column_it_was_priced_at,
    a_discount_over_the_limit_waits_for_the_head_of_the_clients_department,
    the_head_sets_the_limits_of_the_department_and_a_raised_limit_needs_no_approval,
    a_revision_supersedes_the_sent_offer_which_is_no_longer_editable,
    an_accepted_offer_becomes_an_order_draft_but_an_expired_one_cannot_be_accepted,
    the_offer_pdf_shows_the_client_the_total_and_the_vat,
    sending_by_email_without_a_mail_server_is_refused_and_changes_nothing,
);

/// Sending by e-mail needs an SMTP server started before the application, so these tests
/// build their own app instead of taking one from `on_both_databases!`.
mod by_email {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_offer_sent_by_email_arrives_with_its_pdf_on_sqlite() {
        super::an_offer_sent_by_email_arrives_with_its_pdf(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_offer_sent_by_email_arrives_with_its_pdf_on_postgres() {
        super::an_offer_sent_by_email_arrives_with_its_pdf(Backend::Postgres).await;
    }
}

// ---- dates in the company calendar (Moscow, UTC+3), computed independently ----

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive()
}

fn day(n: i64) -> String {
    (today() + Duration::days(n)).format("%Y-%m-%d").to_string()
}

// ---- HTTP ----

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
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

/// The (field, code) of an error body.
fn error_of(b: &Value) -> (&str, &str) {
    (
        b["error"]["field"].as_str().unwrap_or(""),
        b["error"]["code"].as_str().unwrap_or(""),
    )
}

fn id_of(v: &Value) -> &str {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}"))
}

fn uuid_of(v: &Value) -> Uuid {
    id_of(v).parse().unwrap()
}

// ---- records ----

/// A sales organisation: two departments, each with a head and a manager, and the commercial
/// director over both.
struct Desk {
    f: Fixture,
    director: SeedUser,
    head: SeedUser,
    manager: SeedUser,
    /// A second manager of the first department.
    colleague: SeedUser,
    other_head: SeedUser,
    other_manager: SeedUser,
}

async fn desk(app: &TestApp) -> Desk {
    let f = app.departments().await;
    let director = app.user("kd", "commercial_director", None).await;
    let head = app.user("lena", "head_of_department", Some(f.department_a)).await;
    let manager = app.user("olga", "manager", Some(f.department_a)).await;
    let colleague = app.user("igor", "manager", Some(f.department_a)).await;
    let other_head = app.user("ural_head", "head_of_department", Some(f.department_b)).await;
    let other_manager = app.user("ural_mgr", "manager", Some(f.department_b)).await;
    Desk {
        f,
        director,
        head,
        manager,
        colleague,
        other_head,
        other_manager,
    }
}

/// What offers are priced from: a wholesale and a VIP column, a standard-rate product of the
/// group «Бакалея» at 1 000.00 wholesale / 800.00 VIP, and the manager's client at wholesale.
struct Shop {
    wholesale: Uuid,
    vip: Uuid,
    product: Uuid,
    client: Uuid,
}

async fn shop(app: &TestApp, d: &Desk) -> Shop {
    let wholesale = app.price_column("wholesale", "Оптовая", 1).await;
    let vip = app.price_column("vip", "VIP", 2).await;
    let product = app
        .product(
            ProductSeed::standard("MK-001", "Мука пшеничная в/с, 50 кг", "Бакалея"),
            &[(wholesale, 100_000), (vip, 80_000)],
        )
        .await;
    let client = app
        .counterparty("Зерноторг", Some(d.manager.id), Some(d.f.department_a))
        .await;
    app.client_price_column(client, wholesale).await;
    Shop {
        wholesale,
        vip,
        product,
        client,
    }
}

/// A deal opened through the API, expecting it to be accepted.
async fn deal(app: &TestApp, token: &str, client: Uuid, body: Value) -> Value {
    let mut b = json!({ "counterparty_id": client, "title": "Поставка муки на 2027 год" });
    for (k, v) in body.as_object().unwrap() {
        b[k] = v.clone();
    }
    let (status, v) = send(app, token, "POST", "/api/v1/deals", Some(b)).await;
    assert_eq!(status, 201, "{v}");
    v
}

/// An offer on a deal through the API: (status, body).
async fn offer(app: &TestApp, token: &str, deal: &Value, body: Value) -> (u16, Value) {
    send(
        app,
        token,
        "POST",
        &format!("/api/v1/deals/{}/offers", id_of(deal)),
        Some(body),
    )
    .await
}

/// A deal with an offer of `lines`, expecting the offer to be accepted.
async fn deal_with_offer(app: &TestApp, token: &str, client: Uuid, lines: Value) -> (Value, Value) {
    let d = deal(app, token, client, json!({})).await;
    let (status, o) = offer(app, token, &d, json!({ "lines": lines })).await;
    assert_eq!(status, 201, "{o}");
    (d, o)
}

async fn get_offer(app: &TestApp, token: &str, offer: &Value) -> Value {
    let (status, o) = send(app, token, "GET", &format!("/api/v1/offers/{}", id_of(offer)), None).await;
    assert_eq!(status, 200, "{o}");
    o
}

/// Marks a draft sent (handed over in person), expecting success.
async fn mark_sent(app: &TestApp, token: &str, offer: &Value) -> Value {
    let (status, o) = send(
        app,
        token,
        "POST",
        &format!("/api/v1/offers/{}/send", id_of(offer)),
        Some(json!({ "version": offer["version"] })),
    )
    .await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["status"], "sent", "{o}");
    o
}

fn line(offer: &Value, i: usize) -> &Value {
    &offer["lines"][i]
}

// ---- the catalogue ----

async fn the_commercial_director_keeps_the_catalogue_and_a_manager_may_not(app: TestApp) {
    let d = desk(&app).await;
    let (status, col) = send(
        &app,
        &d.director.token,
        "POST",
        "/api/v1/price-columns",
        Some(json!({ "code": "Wholesale", "name": "  Оптовая  ", "sort_order": 1 })),
    )
    .await;
    assert_eq!(status, 201, "{col}");
    assert_eq!(
        (col["code"].as_str(), col["name"].as_str()),
        (Some("wholesale"), Some("Оптовая"))
    );
    let (status, b) = send(
        &app,
        &d.manager.token,
        "POST",
        "/api/v1/price-columns",
        Some(json!({ "code": "retail", "name": "Розница" })),
    )
    .await;
    assert_eq!((status, error_of(&b).1), (403, "forbidden"), "{b}");

    let body = json!({ "sku": "MK-001", "name": "Мука пшеничная", "group": "Бакалея", "unit": "кг",
                       "vat_category": "reduced", "cost_price": "40.00", "min_price": "50.00",
                       "prices": [{ "price_column_id": col["id"], "price": "65.50" }] });
    let (status, p) = send(&app, &d.director.token, "POST", "/api/v1/products", Some(body.clone())).await;
    assert_eq!(status, 201, "{p}");
    assert_eq!(p["sku"], "MK-001");
    assert_eq!(p["vat_category"], "reduced");
    assert_eq!(p["cost_price"], "40.00");
    assert_eq!(p["min_price"], "50.00");
    assert_eq!(
        p["prices"],
        json!([{ "price_column_id": col["id"], "price": "65.50" }]),
        "{p}"
    );
    // Everyone reads the catalogue, and the manager sees the same product.
    let (status, read) = send(
        &app,
        &d.manager.token,
        "GET",
        &format!("/api/v1/products/{}", id_of(&p)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["name"], "Мука пшеничная");
    let mut other = body.clone();
    other["sku"] = json!("MK-002");
    let (status, b) = send(&app, &d.manager.token, "POST", "/api/v1/products", Some(other)).await;
    assert_eq!((status, error_of(&b).1), (403, "forbidden"), "{b}");
    let (status, b) = send(&app, &d.manager.token, "GET", "/api/v1/products?q=MK-002", None).await;
    assert_eq!(
        (status, b["total"].as_i64()),
        (200, Some(0)),
        "the refused product was not stored: {b}"
    );

    // A second product with the same SKU is a duplicate.
    let (status, b) = send(&app, &d.director.token, "POST", "/api/v1/products", Some(body)).await;
    assert_eq!(status, 409, "{b}");
    assert_eq!(error_of(&b), ("sku", "duplicate"), "{b}");
    // And so is a second column with the same code.
    let (status, b) = send(
        &app,
        &d.director.token,
        "POST",
        "/api/v1/price-columns",
        Some(json!({ "code": "wholesale", "name": "Опт-2" })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (409, ("code", "duplicate")), "{b}");
}

async fn bad_catalogue_input_is_refused_naming_the_field(app: TestApp) {
    let d = desk(&app).await;
    let col = app.price_column("wholesale", "Оптовая", 1).await;
    let valid = json!({ "sku": "SG-001", "name": "Сахар", "group": "Бакалея", "unit": "кг",
                        "vat_category": "standard", "cost_price": "50.00",
                        "prices": [{ "price_column_id": col, "price": "80.00" }] });
    let cases: [(&str, Value, &str, &str); 5] = [
        ("vat_category", json!("twenty"), "vat_category", "invalid_vat_category"),
        ("vat_category", json!("22"), "vat_category", "invalid_vat_category"),
        (
            "prices",
            json!([{ "price_column_id": col, "price": "-1.00" }]),
            "price",
            "negative",
        ),
        ("cost_price", json!("-0.01"), "cost_price", "negative"),
        (
            "prices",
            json!([{ "price_column_id": Uuid::now_v7(), "price": "1.00" }]),
            "price_column_id",
            "unknown_price_column",
        ),
    ];
    for (key, value, field, code) in cases {
        let mut body = valid.clone();
        body[key] = value.clone();
        let (status, b) = send(&app, &d.director.token, "POST", "/api/v1/products", Some(body)).await;
        assert_eq!(status, 422, "{key} = {value}: {b}");
        assert_eq!(error_of(&b), (field, code), "{key} = {value}: {b}");
    }
    let (_, page) = send(&app, &d.director.token, "GET", "/api/v1/products", None).await;
    assert_eq!(page["total"], 0, "nothing was stored: {page}");
    // The valid body is accepted, so the refusals above were about the one field each.
    let (status, b) = send(&app, &d.director.token, "POST", "/api/v1/products", Some(valid)).await;
    assert_eq!(status, 201, "{b}");
    // A negative price set later is refused the same way.
    let (status, b) = send(
        &app,
        &d.director.token,
        "POST",
        &format!("/api/v1/products/{}/prices", id_of(&b)),
        Some(json!({ "valid_from": day(3), "prices": [{ "price_column_id": col, "price": "-5.00" }] })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("price", "negative")), "{b}");
}

async fn a_future_price_joins_the_history_and_leaves_todays_price_alone(app: TestApp) {
    let d = desk(&app).await;
    let col = app.price_column("wholesale", "Оптовая", 1).await;
    let (status, p) = send(
        &app,
        &d.director.token,
        "POST",
        "/api/v1/products",
        Some(
            json!({ "sku": "MK-001", "name": "Мука пшеничная", "group": "Бакалея", "unit": "кг",
                     "vat_category": "reduced", "cost_price": "40.00",
                     "prices": [{ "price_column_id": col, "price": "65.50" }] }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let path = format!("/api/v1/products/{}", id_of(&p));
    let future = day(10);
    let (status, b) = send(
        &app,
        &d.director.token,
        "POST",
        &format!("{path}/prices"),
        Some(json!({ "valid_from": future, "prices": [{ "price_column_id": col, "price": "70.00" }] })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    // The manager may not set prices, and the past is history, not edited.
    let (status, b) = send(
        &app,
        &d.manager.token,
        "POST",
        &format!("{path}/prices"),
        Some(json!({ "valid_from": day(1), "prices": [{ "price_column_id": col, "price": "1.00" }] })),
    )
    .await;
    assert_eq!(status, 403, "{b}");
    let (status, b) = send(
        &app,
        &d.director.token,
        "POST",
        &format!("{path}/prices"),
        Some(json!({ "valid_from": day(-1), "prices": [{ "price_column_id": col, "price": "1.00" }] })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("valid_from", "in_the_past")), "{b}");

    let (status, p) = send(&app, &d.manager.token, "GET", &path, None).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        p["prices"],
        json!([{ "price_column_id": col, "price": "65.50" }]),
        "today's price is unchanged: {p}"
    );
    let history: Vec<(String, String, String)> = p["price_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            assert_eq!(h["price_column_id"], json!(col));
            (
                h["valid_from"].as_str().unwrap().to_owned(),
                h["price"].as_str().unwrap().to_owned(),
                h["set_by"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        vec![
            (future, "70.00".to_owned(), "kd".to_owned()),
            (today().to_string(), "65.50".to_owned(), "kd".to_owned()),
        ],
        "{p}"
    );
    // The list shows today's price too.
    let (_, page) = send(&app, &d.manager.token, "GET", "/api/v1/products", None).await;
    assert_eq!(page["items"][0]["prices"][0]["price"], "65.50", "{page}");
}

async fn the_catalogue_search_ignores_the_case_of_cyrillic_words(app: TestApp) {
    let d = desk(&app).await;
    let col = app.price_column("wholesale", "Оптовая", 1).await;
    for (sku, name) in [
        ("MK-001", "Мука пшеничная"),
        ("MK-002", "МУКА РЖАНАЯ обдирная"),
        ("SG-001", "Сахар-песок"),
    ] {
        let (status, b) = send(
            &app,
            &d.director.token,
            "POST",
            "/api/v1/products",
            Some(
                json!({ "sku": sku, "name": name, "group": "Бакалея", "unit": "кг", "vat_category": "reduced",
                         "cost_price": "10.00", "prices": [{ "price_column_id": col, "price": "20.00" }] }),
            ),
        )
        .await;
        assert_eq!(status, 201, "{b}");
    }
    let names = |page: &Value| -> Vec<String> {
        let mut n: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    for q in ["мука", "МУКА", "Мука"] {
        let (status, page) = send(&app, &d.manager.token, "GET", &format!("/api/v1/products?q={q}"), None).await;
        assert_eq!(status, 200, "{page}");
        // Sorted by code point: upper-case Cyrillic comes first.
        assert_eq!(
            names(&page),
            vec!["МУКА РЖАНАЯ обдирная".to_owned(), "Мука пшеничная".to_owned()],
            "q={q}: {page}"
        );
        assert_eq!(page["total"], 2, "q={q}: {page}");
    }
    let (_, page) = send(
        &app,
        &d.manager.token,
        "GET",
        "/api/v1/products?q=пшеничная%20МУКА",
        None,
    )
    .await;
    assert_eq!(names(&page), vec!["Мука пшеничная".to_owned()], "{page}");
    let (_, page) = send(&app, &d.manager.token, "GET", "/api/v1/products?q=mk-00", None).await;
    assert_eq!(page["total"], 2, "the SKU is searched too: {page}");
}

// ---- VAT ----

async fn the_standard_vat_rate_is_22_from_2026_and_offers_carry_it_inside_the_price(app: TestApp) {
    let d = desk(&app).await;
    let (status, rates) = send(&app, &d.manager.token, "GET", "/api/v1/vat-rates", None).await;
    assert_eq!(status, 200, "{rates}");
    let standard: Vec<(&str, &str)> = rates
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "standard")
        .map(|r| (r["valid_from"].as_str().unwrap(), r["rate"].as_str().unwrap()))
        .collect();
    assert_eq!(standard, vec![("2019-01-01", "20"), ("2026-01-01", "22")], "{rates}");
    assert!(
        today() >= NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        "the figures below assume the 22 % rate is in force"
    );

    let col = app.price_column("wholesale", "Оптовая", 1).await;
    let oil = app
        .product(
            ProductSeed::standard("OIL-5", "Масло подсолнечное, 5 л", "Масла"),
            &[(col, 122_000)],
        )
        .await;
    let salt = app
        .product(
            ProductSeed::standard("SALT-1", "Соль поваренная", "Бакалея"),
            &[(col, 9_999)],
        )
        .await;
    let client = app
        .counterparty("Зерноторг", Some(d.manager.id), Some(d.f.department_a))
        .await;
    app.client_price_column(client, col).await;
    let (_, o) = deal_with_offer(
        &app,
        &d.manager.token,
        client,
        json!([{ "product_id": oil, "quantity": "2" }, { "product_id": salt, "quantity": "1" }]),
    )
    .await;
    // Prices include VAT; VAT inside an amount = amount × 22 / 122, rounded to kopecks:
    //   oil:  2 × 1 220.00 = 2 440.00; 2 440.00 × 22 / 122 = 440.00 exactly; without VAT 2 000.00
    //   salt: 1 ×    99.99 =    99.99;    99.99 × 22 / 122 = 18.0309… → 18.03; without VAT 81.96
    //   total 2 539.99, VAT 458.03, without VAT 2 081.96.
    assert_eq!(o["vat_mode"], "included");
    let figures = |l: &Value| {
        (
            l["vat_rate"].as_str().unwrap().to_owned(),
            l["unit_price"].as_str().unwrap().to_owned(),
            l["amount_with_vat"].as_str().unwrap().to_owned(),
            l["vat_amount"].as_str().unwrap().to_owned(),
            l["amount_without_vat"].as_str().unwrap().to_owned(),
        )
    };
    let s = |v: &str| v.to_owned();
    assert_eq!(
        figures(line(&o, 0)),
        (s("22"), s("1220.00"), s("2440.00"), s("440.00"), s("2000.00")),
        "{o}"
    );
    assert_eq!(
        figures(line(&o, 1)),
        (s("22"), s("99.99"), s("99.99"), s("18.03"), s("81.96")),
        "{o}"
    );
    assert_eq!(
        (&o["total_with_vat"], &o["total_vat"], &o["total_without_vat"]),
        (&json!("2539.99"), &json!("458.03"), &json!("2081.96")),
        "{o}"
    );
    assert_eq!(
        o["vat"],
        json!([{ "rate": "22", "base_without_vat": "2081.96", "vat": "458.03" }]),
        "{o}"
    );
    // The same figures are stored, not only computed for the answer.
    let stored = db_run!(&app.db, pool => sqlx::query_as::<_, (String, i64)>(
        "SELECT vat_rate, vat_amount FROM offer_lines WHERE offer_id = $1 ORDER BY line_no")
        .bind(uuid_of(&o)).fetch_all(pool).await.unwrap());
    assert_eq!(stored, vec![(s("22"), 44_000), (s("22"), 1_803)], "VAT in kopecks");
}

// ---- deals ----

async fn stage_history(app: &TestApp, token: &str, deal: &Value) -> Vec<(Option<String>, String)> {
    let (status, h) = send(
        app,
        token,
        "GET",
        &format!("/api/v1/deals/{}/history", id_of(deal)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{h}");
    h.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from_stage"].as_str().map(str::to_owned),
                r["to_stage"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_deal_moves_through_the_stages_and_is_lost_only_with_a_reason(app: TestApp) {
    let d = desk(&app).await;
    let client = app
        .counterparty("Зерноторг", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let m = &d.manager.token;
    let created = deal(&app, m, client, json!({ "amount": "150000.00" })).await;
    assert_eq!(created["stage"], "first_contact", "{created}");
    assert_eq!(created["probability"], 10, "{created}");
    assert_eq!(created["amount"], "150000.00");
    assert_eq!(created["owner"]["id"], json!(d.manager.id));
    assert_eq!(created["counterparty"]["name"], "Зерноторг");
    assert_eq!(created["version"], 1);
    let path = format!("/api/v1/deals/{}", id_of(&created));

    let (status, moved) = send(
        &app,
        m,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "stage": "negotiation" })),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (&moved["stage"], &moved["probability"]),
        (&json!("negotiation"), &json!(60))
    );
    assert_eq!(moved["version"], 2);
    assert_eq!(
        stage_history(&app, m, &created).await,
        vec![
            (None, "first_contact".to_owned()),
            (Some("first_contact".to_owned()), "negotiation".to_owned())
        ]
    );

    let (status, b) = send(&app, m, "PATCH", &path, Some(json!({ "version": 2, "stage": "lost" }))).await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(error_of(&b), ("lost_reason", "required_when_lost"), "{b}");
    let (status, b) = send(
        &app,
        m,
        "PATCH",
        &path,
        Some(json!({ "version": 2, "stage": "lost", "lost_reason": "   " })),
    )
    .await;
    assert_eq!(
        (status, error_of(&b)),
        (422, ("lost_reason", "required_when_lost")),
        "a blank reason is none: {b}"
    );
    let (_, still) = send(&app, m, "GET", &path, None).await;
    assert_eq!(still["stage"], "negotiation", "a refused move changes nothing: {still}");

    let (status, lost) = send(
        &app,
        m,
        "PATCH",
        &path,
        Some(
            json!({ "version": 2, "stage": "lost", "lost_reason": "Цена выше, чем у конкурента",
                     "competitor": "ООО «Мельник»" }),
        ),
    )
    .await;
    assert_eq!(status, 200, "{lost}");
    assert_eq!(lost["stage"], "lost");
    assert_eq!(lost["probability"], 0);
    assert_eq!(lost["lost_reason"], "Цена выше, чем у конкурента");
    assert_eq!(lost["competitor"], "ООО «Мельник»");
    assert!(lost["closed_at"].is_string(), "{lost}");
    assert_eq!(stage_history(&app, m, &created).await.len(), 3);
    // A closed deal takes no offers.
    let shop_col = app.price_column("wholesale", "Оптовая", 1).await;
    let p = app
        .product(ProductSeed::standard("X-1", "Товар", "Разное"), &[(shop_col, 10_000)])
        .await;
    let (status, b) = offer(
        &app,
        m,
        &lost,
        json!({ "lines": [{ "product_id": p, "quantity": "1" }] }),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("deal_id", "deal_closed")), "{b}");
}

async fn a_stale_deal_version_is_refused_and_another_departments_manager_sees_no_deal(app: TestApp) {
    let d = desk(&app).await;
    let client = app
        .counterparty("Зерноторг", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let created = deal(&app, &d.manager.token, client, json!({})).await;
    let path = format!("/api/v1/deals/{}", id_of(&created));
    // The head of the department moves it first.
    let (status, b) = send(
        &app,
        &d.head.token,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "stage": "needs_identified" })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (status, b) = send(
        &app,
        &d.manager.token,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "title": "Старое название" })),
    )
    .await;
    assert_eq!(status, 409, "{b}");
    assert_eq!(error_of(&b).1, "version_conflict", "{b}");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("lena"),
        "names who changed it: {b}"
    );
    let (_, now) = send(&app, &d.manager.token, "GET", &path, None).await;
    assert_eq!(
        (&now["stage"], &now["version"]),
        (&json!("needs_identified"), &json!(2)),
        "{now}"
    );

    let o = &d.other_manager.token;
    for (method, p, body) in [
        ("GET", path.clone(), None),
        ("GET", format!("{path}/history"), None),
        (
            "PATCH",
            path.clone(),
            Some(json!({ "version": 2, "title": "Чужая сделка" })),
        ),
    ] {
        let (status, b) = send(&app, o, method, &p, body).await;
        assert_eq!((status, error_of(&b).1), (404, "not_found"), "{method} {p}: {b}");
    }
    let (status, list) = send(&app, o, "GET", "/api/v1/deals", None).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(0)), "{list}");
    let (status, b) = send(
        &app,
        o,
        "GET",
        &format!("/api/v1/deals/board?owner_id={}", d.manager.id),
        None,
    )
    .await;
    assert_eq!(status, 404, "{b}");
    // Nor can they open a deal with the client.
    let (status, b) = send(
        &app,
        o,
        "POST",
        "/api/v1/deals",
        Some(json!({ "counterparty_id": client, "title": "Перехват" })),
    )
    .await;
    assert_eq!(status, 404, "{b}");
    // A colleague in the same department is no closer: managers reach their own clients.
    let (status, _) = send(&app, &d.colleague.token, "GET", &path, None).await;
    assert_eq!(status, 404);
    // The head of the other department neither.
    let (status, _) = send(&app, &d.other_head.token, "GET", &path, None).await;
    assert_eq!(status, 404);
}

async fn the_board_groups_the_managers_deals_by_stage_with_sums(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager.token;
    let a = app
        .counterparty("Зерноторг", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let b = app
        .counterparty("Хлебозавод №3", Some(d.manager.id), Some(d.f.department_a))
        .await;
    deal(&app, m, a, json!({ "amount": "50000.00" })).await;
    deal(&app, m, b, json!({ "amount": "12345.67" })).await;
    deal(&app, m, b, json!({ "amount": "30000.00", "stage": "needs_identified" })).await;
    let lost = deal(&app, m, a, json!({ "amount": "70000.00" })).await;
    let (status, _) = send(
        &app,
        m,
        "PATCH",
        &format!("/api/v1/deals/{}", id_of(&lost)),
        Some(json!({ "version": 1, "stage": "lost", "lost_reason": "Отказ от закупки" })),
    )
    .await;
    assert_eq!(status, 200);
    // A colleague's deal is not on this manager's board.
    let c = app
        .counterparty("Пекарня", Some(d.colleague.id), Some(d.f.department_a))
        .await;
    deal(&app, &d.colleague.token, c, json!({ "amount": "99999.00" })).await;

    let (status, board) = send(&app, m, "GET", "/api/v1/deals/board", None).await;
    assert_eq!(status, 200, "{board}");
    let columns: Vec<(String, u64, String, String)> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(
                c["count"].as_u64().unwrap() as usize,
                c["deals"].as_array().unwrap().len()
            );
            (
                c["stage"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
                c["amount"].as_str().unwrap().to_owned(),
                c["weighted"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let col = |stage: &str, count: u64, amount: &str, weighted: &str| {
        (stage.to_owned(), count, amount.to_owned(), weighted.to_owned())
    };
    // first_contact: 50 000.00 + 12 345.67 = 62 345.67, weighted at 10 % = 5 000.00 + 1 234.567
    // (kopecks truncated per deal: 1 234.56) = 6 234.56; needs_identified: 30 000.00 at 20 %.
    assert_eq!(
        columns,
        vec![
            col("first_contact", 2, "62345.67", "6234.56"),
            col("needs_identified", 1, "30000.00", "6000.00"),
            col("offer_sent", 0, "0.00", "0.00"),
            col("negotiation", 0, "0.00", "0.00"),
            col("contract", 0, "0.00", "0.00"),
            col("won", 0, "0.00", "0.00"),
            col("lost", 1, "70000.00", "0.00"),
        ],
        "{board}"
    );
    // The head opens the manager's board; the colleague may not.
    let path = format!("/api/v1/deals/board?owner_id={}", d.manager.id);
    let (status, head_view) = send(&app, &d.head.token, "GET", &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(head_view, board);
    let (status, _) = send(&app, &d.colleague.token, "GET", &path, None).await;
    assert_eq!(status, 404);
}

// ---- offers: pricing ----

async fn an_offer_applies_the_clients_promotion_and_the_managers_discount_on_top(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let unrelated = app
        .product(
            ProductSeed::standard("OIL-5", "Масло подсолнечное", "Масла"),
            &[(s.wholesale, 50_000)],
        )
        .await;
    let promo = |name: &str, percent: &str, tiers: Value| {
        json!({ "name": name, "kind": "discount", "percent": percent, "valid_from": day(-1), "valid_to": day(30),
                "groups": ["Бакалея"], "tiers": tiers })
    };
    let (status, autumn) = send(
        &app,
        &d.director.token,
        "POST",
        "/api/v1/promotions",
        Some(promo("Осенняя бакалея", "10", json!(["regular"]))),
    )
    .await;
    assert_eq!(status, 201, "{autumn}");
    // A bigger promotion for key clients only: the client (tier regular) does not get it.
    let (status, b) = send(
        &app,
        &d.director.token,
        "POST",
        "/api/v1/promotions",
        Some(promo("Ключевым клиентам", "20", json!(["key"]))),
    )
    .await;
    assert_eq!(status, 201, "{b}");
    let (status, b) = send(
        &app,
        &d.manager.token,
        "POST",
        "/api/v1/promotions",
        Some(promo("Своя акция", "50", json!([]))),
    )
    .await;
    assert_eq!(status, 403, "a manager starts no promotions: {b}");

    let (_, o) = deal_with_offer(
        &app,
        &d.manager.token,
        s.client,
        json!([{ "product_id": s.product, "quantity": "2", "discount": "5" },
               { "product_id": unrelated, "quantity": "1" }]),
    )
    .await;
    assert_eq!(o["price_column_id"], json!(s.wholesale), "the client's column: {o}");
    assert_eq!(o["status"], "draft");
    assert_eq!(o["approval"], "none", "5 % is within the manager's limit: {o}");
    assert_eq!(o["revision"], 1);
    assert!(o["number"].as_str().unwrap().starts_with("КП-"), "{o}");
    let l = line(&o, 0);
    // 1 000.00 − 10 % (promotion) = 900.00; − 5 % (manager) = 855.00 a unit; × 2 = 1 710.00;
    // VAT inside: 1 710.00 × 22 / 122 = 308.3606… → 308.36; without VAT 1 401.64;
    // discount against the list: 2 000.00 − 1 710.00 = 290.00.
    assert_eq!(l["list_price"], "1000.00", "{l}");
    assert_eq!(l["promotion"]["id"], autumn["id"], "{l}");
    assert_eq!(l["promotion"]["name"], "Осенняя бакалея");
    assert_eq!(l["promotion_discount"], "10");
    assert_eq!(l["discount"], "5");
    assert_eq!(l["unit_price"], "855.00", "{l}");
    assert_eq!(l["quantity"], "2");
    assert_eq!(l["amount_with_vat"], "1710.00");
    assert_eq!(l["vat_amount"], "308.36");
    assert_eq!(l["amount_without_vat"], "1401.64");
    assert_eq!(l["discount_amount"], "290.00");
    // The other group gets no promotion: 500.00, VAT 500.00 × 22 / 122 = 90.1639… → 90.16.
    let l2 = line(&o, 1);
    assert!(l2["promotion"].is_null(), "{l2}");
    assert_eq!(
        (&l2["unit_price"], &l2["vat_amount"]),
        (&json!("500.00"), &json!("90.16"))
    );
    // Totals: 1 710.00 + 500.00 = 2 210.00; VAT 308.36 + 90.16 = 398.52; without 1 811.48.
    assert_eq!(o["total_with_vat"], "2210.00", "{o}");
    assert_eq!(o["total_vat"], "398.52", "{o}");
    assert_eq!(o["total_without_vat"], "1811.48", "{o}");
    assert_eq!(o["total_discount"], "290.00", "{o}");

    // Re-pricing the draft without the manual discount keeps the promotion: 900.00 a unit.
    let (status, o2) = send(
        &app,
        &d.manager.token,
        "PUT",
        &format!("/api/v1/offers/{}", id_of(&o)),
        Some(json!({ "version": o["version"], "lines": [{ "product_id": s.product, "quantity": "1" }] })),
    )
    .await;
    assert_eq!(status, 200, "{o2}");
    assert_eq!(
        (&line(&o2, 0)["unit_price"], &o2["total_with_vat"]),
        (&json!("900.00"), &json!("900.00"))
    );
    assert_eq!(o2["lines"].as_array().unwrap().len(), 1);
}

async fn bad_offer_lines_are_refused_naming_the_field_and_the_code(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let dl = deal(&app, &d.manager.token, s.client, json!({})).await;
    let cases = [
        (
            json!([{ "product_id": s.product, "quantity": "0" }]),
            "quantity",
            "quantity_not_positive",
        ),
        (
            json!([{ "product_id": s.product, "quantity": "-1" }]),
            "quantity",
            "quantity_not_positive",
        ),
        (
            json!([{ "product_id": s.product, "quantity": "-0.5" }]),
            "quantity",
            "quantity_not_positive",
        ),
        (
            json!([{ "product_id": s.product, "quantity": "1.0005" }]),
            "quantity",
            "invalid_quantity",
        ),
        (
            json!([{ "product_id": Uuid::now_v7(), "quantity": "1" }]),
            "product_id",
            "unknown_product",
        ),
        (
            json!([{ "product_id": s.product, "quantity": "1" }, { "product_id": Uuid::now_v7(), "quantity": "1" }]),
            "product_id",
            "unknown_product",
        ),
        (
            json!([{ "product_id": "мука", "quantity": "1" }]),
            "product_id",
            "invalid_id",
        ),
        (
            json!([{ "product_id": s.product, "quantity": "1", "discount": "101" }]),
            "discount",
            "invalid_discount",
        ),
        (json!([]), "lines", "required"),
    ];
    for (lines, field, code) in cases {
        let (status, b) = offer(&app, &d.manager.token, &dl, json!({ "lines": lines })).await;
        assert_eq!(status, 422, "{lines}: {b}");
        assert_eq!(error_of(&b), (field, code), "{lines}: {b}");
    }
    let (_, detail) = send(
        &app,
        &d.manager.token,
        "GET",
        &format!("/api/v1/deals/{}", id_of(&dl)),
        None,
    )
    .await;
    assert_eq!(detail["offers"], json!([]), "no offer was stored: {detail}");
    let (status, b) = offer(
        &app,
        &d.manager.token,
        &dl,
        json!({ "lines": [{ "product_id": s.product, "quantity": "1,5" }] }),
    )
    .await;
    assert_eq!(status, 201, "a decimal comma is a quantity: {b}");
    assert_eq!(line(&b, 0)["quantity"], "1.5");
}

async fn only_heads_and_directors_price_at_another_column_than_the_clients(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let dl = deal(&app, &d.manager.token, s.client, json!({})).await;
    let lines = json!([{ "product_id": s.product, "quantity": "1" }]);
    let (status, b) = offer(
        &app,
        &d.manager.token,
        &dl,
        json!({ "lines": lines, "price_column_id": s.vip }),
    )
    .await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(error_of(&b), ("price_column_id", "price_column_not_allowed"), "{b}");
    // Naming the client's own column is fine.
    let (status, b) = offer(
        &app,
        &d.manager.token,
        &dl,
        json!({ "lines": lines, "price_column_id": s.wholesale }),
    )
    .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(line(&b, 0)["list_price"], "1000.00");
    // The head of the department may give the VIP column.
    let (status, b) = offer(
        &app,
        &d.head.token,
        &dl,
        json!({ "lines": lines, "price_column_id": s.vip }),
    )
    .await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["price_column_id"], json!(s.vip));
    assert_eq!(line(&b, 0)["list_price"], "800.00", "{b}");
    // A column that does not exist is named as such (for those allowed to choose).
    let (status, b) = offer(
        &app,
        &d.head.token,
        &dl,
        json!({ "lines": lines, "price_column_id": Uuid::now_v7() }),
    )
    .await;
    assert_eq!(
        (status, error_of(&b)),
        (422, ("price_column_id", "unknown_price_column")),
        "{b}"
    );
}

async fn a_manager_reprices_and_revises_an_offer_at_the_column_it_was_priced_at(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    let lines = |q: &str| json!([{ "product_id": s.product, "quantity": q }]);
    // A client without a column of its own is priced at the first column (wholesale)…
    let plain = app
        .counterparty("Без колонки", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let (_, o) = deal_with_offer(&app, m, plain, lines("1")).await;
    assert_eq!(o["price_column_id"], json!(s.wholesale), "{o}");
    // …and the manager re-prices that draft and revises it once sent, at the same column.
    let path = format!("/api/v1/offers/{}", id_of(&o));
    let (status, o) = send(
        &app,
        m,
        "PUT",
        &path,
        Some(json!({ "version": o["version"], "lines": lines("2") })),
    )
    .await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["total_with_vat"], "2000.00", "{o}");
    mark_sent(&app, m, &o).await;
    let (status, r2) = send(&app, m, "POST", &format!("{path}/revisions"), None).await;
    assert_eq!(status, 201, "{r2}");
    assert_eq!(r2["price_column_id"], json!(s.wholesale), "{r2}");

    // An offer the head priced at VIP stays at VIP when the manager changes the quantity.
    let dl = deal(&app, m, s.client, json!({})).await;
    let (status, vip) = offer(
        &app,
        &d.head.token,
        &dl,
        json!({ "lines": lines("1"), "price_column_id": s.vip }),
    )
    .await;
    assert_eq!(status, 201, "{vip}");
    let path = format!("/api/v1/offers/{}", id_of(&vip));
    let (status, o) = send(
        &app,
        m,
        "PUT",
        &path,
        Some(json!({ "version": vip["version"], "lines": lines("3") })),
    )
    .await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(
        (&o["price_column_id"], &o["total_with_vat"]),
        (&json!(s.vip), &json!("2400.00")),
        "{o}"
    );
    // But the manager still chooses no other column than the client's.
    let third = app.price_column("retail", "Розница", 3).await;
    let (status, b) = send(
        &app,
        m,
        "PUT",
        &path,
        Some(json!({ "version": o["version"], "lines": lines("3"), "price_column_id": third })),
    )
    .await;
    assert_eq!(
        (status, error_of(&b)),
        (422, ("price_column_id", "price_column_not_allowed")),
        "{b}"
    );
}

// ---- offers: approval ----

async fn a_discount_over_the_limit_waits_for_the_head_of_the_clients_department(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let limit = db_run!(&app.db, pool => sqlx::query_scalar::<_, i32>("SELECT discount_limit FROM users WHERE id = $1")
        .bind(d.manager.id).fetch_one(pool).await.unwrap());
    assert_eq!(limit, 500, "a manager's own limit is 5 % by default");
    let m = &d.manager.token;
    let (dl, o) = deal_with_offer(
        &app,
        m,
        s.client,
        json!([{ "product_id": s.product, "quantity": "10", "discount": "12" }]),
    )
    .await;
    let path = format!("/api/v1/offers/{}", id_of(&o));
    assert_eq!(o["approval"], "required", "{o}");
    assert_eq!(
        o["approval_reasons"],
        json!([{ "reason": "over_limit", "line": 1, "discount": "12", "limit": "5",
                 "price": null, "minimum": null }]),
        "{o}"
    );
    let (status, b) = send(
        &app,
        m,
        "POST",
        &format!("{path}/send"),
        Some(json!({ "version": o["version"] })),
    )
    .await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(error_of(&b), ("approval", "approval_required"), "{b}");

    let (status, b) = send(
        &app,
        m,
        "POST",
        &format!("{path}/approval"),
        Some(json!({ "version": o["version"], "reason": "  " })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("reason", "required")), "{b}");
    let (status, o) = send(
        &app,
        m,
        "POST",
        &format!("{path}/approval"),
        Some(json!({ "version": o["version"], "reason": "Годовой контракт, объём 120 т" })),
    )
    .await;
    assert_eq!(status, 200, "{o}");
    assert_eq!(o["approval"], "pending", "{o}");
    let approvals = o["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 1, "{o}");
    let request = &approvals[0];
    assert_eq!(request["status"], "pending");
    assert_eq!(request["reason"], "Годовой контракт, объём 120 т");
    assert_eq!(request["requested_by"], "olga");
    let decide = format!("/api/v1/approvals/{}/decision", id_of(request));
    // Still not sendable while it waits.
    let (status, b) = send(
        &app,
        m,
        "POST",
        &format!("{path}/send"),
        Some(json!({ "version": o["version"] })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("approval", "approval_required")), "{b}");

    // The head's inbox has it; the other head's does not.
    let (_, inbox) = send(&app, &d.head.token, "GET", "/api/v1/approvals", None).await;
    assert_eq!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].clone())
            .collect::<Vec<_>>(),
        vec![request["id"].clone()],
        "{inbox}"
    );
    let (_, other_inbox) = send(&app, &d.other_head.token, "GET", "/api/v1/approvals", None).await;
    assert_eq!(other_inbox, json!([]));

    let approve = json!({ "version": request["version"], "approve": true, "comment": "Согласовано" });
    // The requester cannot decide it, nor a colleague without the right.
    let (status, b) = send(&app, m, "POST", &decide, Some(approve.clone())).await;
    assert_eq!((status, error_of(&b).1), (403, "forbidden"), "{b}");
    // The head of another department does not even see it.
    let (status, b) = send(&app, &d.other_head.token, "POST", &decide, Some(approve.clone())).await;
    assert_eq!((status, error_of(&b).1), (404, "not_found"), "{b}");
    let (status, b) = send(&app, &d.other_manager.token, "POST", &decide, Some(approve.clone())).await;
    assert_eq!(status, 404, "{b}");

    // Rejecting needs a comment.
    let (status, b) = send(
        &app,
        &d.head.token,
        "POST",
        &decide,
        Some(json!({ "version": request["version"], "approve": false, "comment": " " })),
    )
    .await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(error_of(&b), ("comment", "required_to_reject"), "{b}");
    let (_, waiting) = send(&app, m, "GET", &path, None).await;
    assert_eq!(
        waiting["approval"], "pending",
        "the refused rejection changed nothing: {waiting}"
    );

    let (status, decided) = send(&app, &d.head.token, "POST", &decide, Some(approve.clone())).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], "lena");
    assert_eq!(decided["comment"], "Согласовано");
    // Decided once only.
    let (status, b) = send(&app, &d.director.token, "POST", &decide, Some(approve)).await;
    assert_eq!((status, error_of(&b)), (422, ("status", "approval_decided")), "{b}");

    let o = get_offer(&app, m, &o).await;
    assert_eq!(o["approval"], "approved", "{o}");
    assert_eq!(o["deal"]["id"], dl["id"]);
    let sent = mark_sent(&app, m, &o).await;
    assert!(sent["sent_at"].is_string(), "{sent}");
    let (_, deal_now) = send(&app, m, "GET", &format!("/api/v1/deals/{}", id_of(&dl)), None).await;
    assert_eq!(deal_now["stage"], "offer_sent", "{deal_now}");
    assert_eq!(deal_now["probability"], 40, "{deal_now}");
    assert_eq!(
        deal_now["offers"].as_array().unwrap()[0]["status"],
        "sent",
        "the deal lists its offer: {deal_now}"
    );
    assert_eq!(
        stage_history(&app, m, &dl).await.last().unwrap(),
        &(Some("first_contact".to_owned()), "offer_sent".to_owned())
    );

    // The audit log keeps the request and the decision, each by whom it was made.
    let admin = app.user("admin", "administrator", None).await;
    let (status, log) = send(
        &app,
        &admin.token,
        "GET",
        &format!("/api/v1/audit-log?entity=approval&entity_id={}", id_of(request)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{log}");
    let mut entries: Vec<(String, String)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"]["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    entries.sort();
    let mut want = vec![
        ("approve".to_owned(), d.head.id.to_string()),
        ("request".to_owned(), d.manager.id.to_string()),
    ];
    // The refused attempts are audited as denials of the same approval.
    want.extend([
        ("denied".to_owned(), d.manager.id.to_string()),
        ("denied".to_owned(), d.other_head.id.to_string()),
        ("denied".to_owned(), d.other_manager.id.to_string()),
    ]);
    want.sort();
    assert_eq!(entries, want, "{log}");
    let approved = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "approve")
        .unwrap();
    assert_eq!(approved["changes"]["comment"], "Согласовано", "{approved}");
}

async fn the_head_sets_the_limits_of_the_department_and_a_raised_limit_needs_no_approval(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let limit_of = |user: Uuid| format!("/api/v1/users/{user}/discount-limit");
    let raise = json!({ "discount_limit": "15" });
    let (status, b) = send(&app, &d.head.token, "PUT", &limit_of(d.manager.id), Some(raise.clone())).await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b, json!({ "discount_limit": "15" }));
    // Not their own, nor another department's, nor as a manager.
    let (status, _) = send(&app, &d.head.token, "PUT", &limit_of(d.head.id), Some(raise.clone())).await;
    assert_eq!(status, 403);
    let (status, b) = send(
        &app,
        &d.other_head.token,
        "PUT",
        &limit_of(d.manager.id),
        Some(raise.clone()),
    )
    .await;
    assert_eq!((status, error_of(&b).1), (404, "not_found"), "{b}");
    let (status, _) = send(
        &app,
        &d.manager.token,
        "PUT",
        &limit_of(d.colleague.id),
        Some(raise.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, b) = send(
        &app,
        &d.director.token,
        "PUT",
        &limit_of(d.other_manager.id),
        Some(json!({ "discount_limit": "120" })),
    )
    .await;
    assert_eq!(
        (status, error_of(&b)),
        (422, ("discount_limit", "invalid_discount")),
        "{b}"
    );
    let limits = db_run!(&app.db, pool => sqlx::query_as::<_, (Uuid, i32)>(
        "SELECT id, discount_limit FROM users WHERE id IN ($1, $2, $3) ORDER BY login")
        .bind(d.manager.id).bind(d.colleague.id).bind(d.head.id).fetch_all(pool).await.unwrap());
    assert_eq!(
        limits,
        vec![(d.colleague.id, 500), (d.head.id, 500), (d.manager.id, 1500)],
        "only the manager's limit changed"
    );
    // 12 % is now within the manager's own limit; the colleague still needs the head.
    let (_, o) = deal_with_offer(
        &app,
        &d.manager.token,
        s.client,
        json!([{ "product_id": s.product, "quantity": "1", "discount": "12" }]),
    )
    .await;
    assert_eq!(
        (&o["approval"], &o["approval_reasons"]),
        (&json!("none"), &json!([])),
        "{o}"
    );
    mark_sent(&app, &d.manager.token, &o).await;
    let theirs = app
        .counterparty("Пекарня", Some(d.colleague.id), Some(d.f.department_a))
        .await;
    let (_, o) = deal_with_offer(
        &app,
        &d.colleague.token,
        theirs,
        json!([{ "product_id": s.product, "quantity": "1", "discount": "12" }]),
    )
    .await;
    assert_eq!(o["approval"], "required", "{o}");
}

// ---- offers: revisions and answers ----

async fn a_revision_supersedes_the_sent_offer_which_is_no_longer_editable(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    let (_, o) = deal_with_offer(&app, m, s.client, json!([{ "product_id": s.product, "quantity": "3" }])).await;
    let path = format!("/api/v1/offers/{}", id_of(&o));
    // A draft cannot be revised: it is edited in place.
    let (status, b) = send(&app, m, "POST", &format!("{path}/revisions"), None).await;
    assert_eq!((status, error_of(&b)), (422, ("status", "offer_not_revisable")), "{b}");
    let sent = mark_sent(&app, m, &o).await;

    let edit = json!({ "version": sent["version"], "lines": [{ "product_id": s.product, "quantity": "5" }] });
    let (status, b) = send(&app, m, "PUT", &path, Some(edit)).await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(error_of(&b), ("status", "offer_not_draft"), "{b}");
    // Nor is it sent twice.
    let (status, b) = send(
        &app,
        m,
        "POST",
        &format!("{path}/send"),
        Some(json!({ "version": sent["version"] })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("status", "offer_not_draft")), "{b}");

    let (status, r2) = send(&app, m, "POST", &format!("{path}/revisions"), None).await;
    assert_eq!(status, 201, "{r2}");
    assert_ne!(r2["id"], o["id"]);
    assert_eq!(r2["number"], o["number"], "the same offer number: {r2}");
    assert_eq!((&r2["revision"], &r2["status"]), (&json!(2), &json!("draft")), "{r2}");
    assert_eq!(line(&r2, 0)["quantity"], "3", "the lines are carried over: {r2}");
    assert_eq!(r2["total_with_vat"], "3000.00");
    let revisions: Vec<(i64, String)> = r2["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        revisions,
        vec![(1, "superseded".to_owned()), (2, "draft".to_owned())],
        "{r2}"
    );
    let r1 = get_offer(&app, m, &o).await;
    assert_eq!(r1["status"], "superseded", "{r1}");
    // Only the latest revision is revised again, and the new draft is edited in place.
    let (status, b) = send(&app, m, "POST", &format!("{path}/revisions"), None).await;
    assert_eq!(status, 422, "{b}");
    let (status, r2b) = send(
        &app,
        m,
        "PUT",
        &format!("/api/v1/offers/{}", id_of(&r2)),
        Some(json!({ "version": r2["version"], "lines": [{ "product_id": s.product, "quantity": "5" }] })),
    )
    .await;
    assert_eq!(status, 200, "{r2b}");
    assert_eq!(r2b["total_with_vat"], "5000.00");
}

async fn an_accepted_offer_becomes_an_order_draft_but_an_expired_one_cannot_be_accepted(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    let (_, o) = deal_with_offer(
        &app,
        m,
        s.client,
        json!([{ "product_id": s.product, "quantity": "4", "discount": "2.5" }]),
    )
    .await;
    // 1 000.00 − 2.5 % = 975.00 a unit; × 4 = 3 900.00.
    assert_eq!(o["total_with_vat"], "3900.00", "{o}");
    let path = format!("/api/v1/offers/{}/decision", id_of(&o));
    // A draft has no answer yet.
    let (status, b) = send(
        &app,
        m,
        "POST",
        &path,
        Some(json!({ "version": o["version"], "accepted": true })),
    )
    .await;
    assert_eq!((status, error_of(&b)), (422, ("status", "offer_not_sent")), "{b}");
    let sent = mark_sent(&app, m, &o).await;
    let (status, b) = send(
        &app,
        m,
        "POST",
        &path,
        Some(json!({ "version": sent["version"], "accepted": true, "note": "Подписали по почте" })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["offer"]["status"], "accepted", "{b}");
    let order: Uuid = b["order_id"].as_str().expect("an order draft id").parse().unwrap();
    assert_eq!(b["offer"]["order_id"], json!(order));
    let (status, total, offer_id, client, lines) = db_run!(&app.db, pool => {
        let row = sqlx::query_as::<_, (String, i64, Option<Uuid>, Uuid)>(
            "SELECT status, total, offer_id, counterparty_id FROM orders WHERE id = $1")
            .bind(order).fetch_one(pool).await.unwrap();
        let lines = sqlx::query_as::<_, (i64, i64, i64)>(
            "SELECT quantity, price, amount FROM order_lines WHERE order_id = $1 ORDER BY line_no")
            .bind(order).fetch_all(pool).await.unwrap();
        (row.0, row.1, row.2, row.3, lines)
    });
    assert_eq!(status, "draft");
    assert_eq!(total, 390_000, "the offer's total with VAT, in kopecks");
    assert_eq!(offer_id, Some(uuid_of(&o)));
    assert_eq!(client, s.client);
    assert_eq!(
        lines,
        vec![(4_000, 97_500, 390_000)],
        "thousandths of a unit, kopecks, kopecks"
    );

    // Another offer, sent and then past its date: it reads expired and cannot be accepted.
    let (_, late) = deal_with_offer(&app, m, s.client, json!([{ "product_id": s.product, "quantity": "1" }])).await;
    let late = mark_sent(&app, m, &late).await;
    let yesterday = today() - Duration::days(1);
    db_run!(&app.db, pool => {
        sqlx::query("UPDATE offers SET valid_until = $1 WHERE id = $2")
            .bind(yesterday).bind(uuid_of(&late)).execute(pool).await.unwrap();
    });
    let seen = get_offer(&app, m, &late).await;
    assert_eq!(seen["status"], "expired", "{seen}");
    let (status, b) = send(
        &app,
        m,
        "POST",
        &format!("/api/v1/offers/{}/decision", id_of(&late)),
        Some(json!({ "version": seen["version"], "accepted": true })),
    )
    .await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(error_of(&b), ("valid_until", "offer_expired"), "{b}");
    let orders = db_run!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orders WHERE offer_id = $1")
        .bind(uuid_of(&late)).fetch_one(pool).await.unwrap());
    assert_eq!(orders, 0, "no order from an expired offer");
    // A new revision of the expired offer is valid again.
    let (status, r2) = send(
        &app,
        m,
        "POST",
        &format!("/api/v1/offers/{}/revisions", id_of(&late)),
        None,
    )
    .await;
    assert_eq!((status, &r2["status"]), (201, &json!("draft")), "{r2}");
    assert_eq!(r2["valid_until"], json!(day(14)), "{r2}");
}

// ---- the PDF ----

/// Whether an optional test tool is present; absent, the caller skips with a notice, unless
/// `PROSPEKT_TEST_REQUIRE_ALL=1`, which fails instead.
fn tool_present(what: &str, present: bool) -> bool {
    if !present {
        assert!(
            std::env::var("PROSPEKT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
            "{what} is required (PROSPEKT_TEST_REQUIRE_ALL=1) but missing"
        );
        eprintln!("SKIPPED: {what} is missing");
    }
    present
}

/// The text of a PDF by poppler's `pdftotext`, or `None` when it is not installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    use std::io::Write;
    let mut child = match Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("pdftotext: {e}"),
    };
    let mut stdin = child.stdin.take().unwrap();
    let bytes = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Text without any spaces (the PDF groups thousands with no-break spaces and may wrap lines).
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

async fn the_offer_pdf_shows_the_client_the_total_and_the_vat(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let (status, b) = send(
        &app,
        &d.director.token,
        "PUT",
        "/api/v1/settings/company",
        Some(json!({ "name": "ООО «Проспект-Трейд»", "inn": "7707083893", "version": 0 })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (_, o) = deal_with_offer(
        &app,
        &d.manager.token,
        s.client,
        json!([{ "product_id": s.product, "quantity": "2", "discount": "3" }]),
    )
    .await;
    // 1 000.00 − 3 % = 970.00 × 2 = 1 940.00; VAT 1 940.00 × 22 / 122 = 349.8360… → 349.84.
    assert_eq!(
        (&o["total_with_vat"], &o["total_vat"]),
        (&json!("1940.00"), &json!("349.84"))
    );
    let res = app
        .http
        .get(app.url(&format!("/api/v1/offers/{}/pdf", id_of(&o))))
        .bearer_auth(&d.manager.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains("-v1.pdf"), "{disposition}");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "not a PDF: {:?}", &pdf[..pdf.len().min(16)]);
    // Out of reach, no PDF.
    let (status, _) = send(
        &app,
        &d.other_manager.token,
        "GET",
        &format!("/api/v1/offers/{}/pdf", id_of(&o)),
        None,
    )
    .await;
    assert_eq!(status, 404);

    let text = pdf_text(&pdf);
    if !tool_present("pdftotext (poppler-utils) for reading the offer PDF", text.is_some()) {
        return;
    }
    let text = squeeze(&text.unwrap());
    for want in [
        "Зерноторг",
        "ООО«Проспект-Трейд»",
        "Мукапшеничная",
        o["number"].as_str().unwrap(),
        "1940,00",
        "349,84",
        "НДС",
        "22%",
    ] {
        assert!(
            text.contains(&squeeze(want)),
            "{want:?} is not in the PDF text:\n{text}"
        );
    }
}

// ---- e-mail ----

async fn sending_by_email_without_a_mail_server_is_refused_and_changes_nothing(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let (dl, o) = deal_with_offer(
        &app,
        &d.manager.token,
        s.client,
        json!([{ "product_id": s.product, "quantity": "1" }]),
    )
    .await;
    let path = format!("/api/v1/offers/{}/send", id_of(&o));
    let (status, b) = send(
        &app,
        &d.manager.token,
        "POST",
        &path,
        Some(json!({ "version": o["version"], "email": { "to": ["buyer@client.ru"] } })),
    )
    .await;
    assert_eq!(status, 502, "{b}");
    assert_eq!(error_of(&b).1, "mail_not_configured", "{b}");
    // A bad address is the caller's mistake, whatever the server.
    let (status, b) = send(
        &app,
        &d.manager.token,
        "POST",
        &path,
        Some(json!({ "version": o["version"], "email": { "to": ["не адрес"] } })),
    )
    .await;
    assert_eq!(status, 422, "{b}");
    let o2 = get_offer(&app, &d.manager.token, &o).await;
    assert_eq!(
        (&o2["status"], &o2["version"]),
        (&json!("draft"), &o["version"]),
        "{o2}"
    );
    let (_, deal_now) = send(
        &app,
        &d.manager.token,
        "GET",
        &format!("/api/v1/deals/{}", id_of(&dl)),
        None,
    )
    .await;
    assert_eq!(deal_now["stage"], "first_contact", "{deal_now}");
}

async fn an_offer_sent_by_email_arrives_with_its_pdf(backend: Backend) {
    if !tool_present(
        "Python's aiosmtpd (pip install aiosmtpd) for the SMTP test",
        python_has_aiosmtpd(),
    ) {
        return;
    }
    let smtp = SmtpServer::start().await;
    let mailer =
        prospekt_app::mail::Mailer::new(&format!("smtp://127.0.0.1:{}", smtp.port), "Prospekt <crm@example.ru>")
            .unwrap();
    let Some(app) = crate::helpers::spawn_app_with_mailer(backend, Some(mailer)).await else {
        return;
    };
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let (status, b) = send(
        &app,
        &d.director.token,
        "PUT",
        "/api/v1/settings/company",
        Some(json!({ "name": "ООО «Проспект-Трейд»", "version": 0 })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (dl, o) = deal_with_offer(
        &app,
        &d.manager.token,
        s.client,
        json!([{ "product_id": s.product, "quantity": "2" }]),
    )
    .await;
    assert!(smtp.messages().is_empty());
    let (status, sent) = send(
        &app,
        &d.manager.token,
        "POST",
        &format!("/api/v1/offers/{}/send", id_of(&o)),
        Some(json!({ "version": o["version"], "email": { "to": ["buyer@client.ru"] } })),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["status"], "sent");
    let (_, deal_now) = send(
        &app,
        &d.manager.token,
        "GET",
        &format!("/api/v1/deals/{}", id_of(&dl)),
        None,
    )
    .await;
    assert_eq!(deal_now["stage"], "offer_sent");

    // The server answered the message before the API did, so it is on disk by now.
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let rcpt = std::fs::read_to_string(messages[0].with_extension("rcpt")).unwrap();
    assert_eq!(rcpt, "buyer@client.ru");
    let m = smtp.parse(&messages[0]);
    let number = o["number"].as_str().unwrap();
    assert_eq!(m["to"], "buyer@client.ru", "{m}");
    assert!(m["from"].as_str().unwrap().contains("crm@example.ru"), "{m}");
    let subject = m["subject"].as_str().unwrap();
    assert!(subject.contains(number), "the subject names the offer {number}: {m}");
    assert!(subject.contains("ООО «Проспект-Трейд»"), "{m}");
    let body = m["body"].as_str().unwrap();
    assert!(body.contains("Зерноторг") && body.contains("2\u{a0}000,00"), "{m}");
    let attachments = m["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{m}");
    assert_eq!(attachments[0]["content_type"], "application/pdf", "{m}");
    assert_eq!(attachments[0]["head"], "%PDF-", "{m}");
    assert_eq!(attachments[0]["filename"], format!("{number}-v1.pdf"), "{m}");
}
