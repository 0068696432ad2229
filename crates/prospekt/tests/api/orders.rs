//! Orders, receivables and bank statements over the API (issue 7): taking and re-pricing an
//! order, the credit check and its decision, shipments in parts with due dates from the
//! client's terms, payments and their allocation (concurrent ones too), the bank-statement
//! import in the 1C exchange format (a cp1251 file built here), aging, art. 395 interest and
//! penalties, collections, the reconciliation act, write-offs, returns, refusals and acts.
//! PDFs are read back with poppler's `pdftotext` when it is installed.

use std::process::{Command, Stdio};

use chrono::{Duration, FixedOffset, NaiveDate, Utc};
use prospekt_domain::calendar::{DeferralKind, WorkCalendar, claim_suit_date, due_date};
use prospekt_storage::db_run;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CounterpartySeed, Fixture, ProductSeed, SeedUser, TestApp};

crate::on_both_databases!(
    a_manager_takes_an_order_at_the_clients_column_and_reprices_the_draft,
    the_credit_check_holds_orders_over_the_limit_or_with_overdue_debt_for_the_head,
    orders_submitted_at_once_are_checked_one_after_another,
    credit_terms_are_set_by_the_credit_controller_and_never_by_the_seller,
    sales_support_ships_in_parts_and_invoices_with_due_dates_from_the_clients_terms,
    payments_go_oldest_first_or_as_told_and_an_overpayment_stays_as_an_advance,
    concurrent_allocations_of_one_payment_never_spend_it_twice,
    a_bank_statement_books_what_it_can_match_queues_the_rest_and_imports_once,
    a_malformed_statement_is_refused_naming_the_line_and_imports_nothing,
    statement_errors_are_told_in_the_callers_language,
    the_aging_report_buckets_open_invoices_within_the_callers_reach,
    interest_under_article_395_and_the_contract_penalty_match_the_reference,
    a_collection_case_goes_from_reminder_to_claim_and_waits_out_the_claim_term,
    the_reconciliation_act_shows_the_opening_the_documents_and_the_closing,
    a_write_off_waits_for_the_head_and_never_exceeds_the_open_amount,
    refusals_returns_and_acts_of_shortage_credit_what_the_client_owes,
    a_return_after_payment_leaves_a_credit_balance_that_the_next_invoice_takes,
);

// ---- dates in the company calendar (Moscow, UTC+3), computed independently ----

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive()
}

fn day(n: i64) -> NaiveDate {
    today() + Duration::days(n)
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn ru_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

// ---- money ----

/// Kopecks of an API amount ("1234.56", "-500.00").
fn kop(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not an amount: {v}"));
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (r, k) = s.split_once('.').unwrap_or((s, "00"));
    let k: i64 = format!("{k:0<2}")[..2].parse().unwrap();
    let v = r.parse::<i64>().unwrap() * 100 + k;
    if neg { -v } else { v }
}

/// Roubles as the 1C format writes them: "118000.00".
fn rub(k: i64) -> String {
    format!("{}.{:02}", k / 100, k % 100)
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

/// A request expected to answer `want`; its body.
async fn ok(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>, want: u16) -> Value {
    let (status, v) = send(app, token, method, path, body).await;
    assert_eq!(status, want, "{method} {path}: {v}");
    v
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

/// A GET returning raw bytes: (status, content type, body).
async fn get_bytes(app: &TestApp, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let res = app.http.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, res.bytes().await.unwrap().to_vec())
}

// ---- records ----

/// Two departments, each with a head and a manager, a colleague of the first manager, sales
/// support of the first department, the credit controller and the commercial director.
struct Desk {
    f: Fixture,
    director: SeedUser,
    head: SeedUser,
    manager: SeedUser,
    colleague: SeedUser,
    other_head: SeedUser,
    other_manager: SeedUser,
    support: SeedUser,
    cc: SeedUser,
}

async fn desk(app: &TestApp) -> Desk {
    let f = app.departments().await;
    let director = app.user("kd", "commercial_director", None).await;
    let head = app.user("lena", "head_of_department", Some(f.department_a)).await;
    let manager = app.user("olga", "manager", Some(f.department_a)).await;
    let colleague = app.user("igor", "manager", Some(f.department_a)).await;
    let other_head = app.user("ural_head", "head_of_department", Some(f.department_b)).await;
    let other_manager = app.user("ural_mgr", "manager", Some(f.department_b)).await;
    let support = app.user("sveta", "sales_support", Some(f.department_a)).await;
    let cc = app.user("nina", "credit_controller", None).await;
    Desk {
        f,
        director,
        head,
        manager,
        colleague,
        other_head,
        other_manager,
        support,
        cc,
    }
}

/// The catalogue: a wholesale and a VIP column, flour (standard VAT) at 1 000.00 / 800.00 and
/// sugar (reduced VAT) at 55.50 / 50.00; the manager's client at wholesale.
struct Shop {
    wholesale: Uuid,
    vip: Uuid,
    flour: Uuid,
    sugar: Uuid,
    client: Uuid,
}

async fn shop(app: &TestApp, d: &Desk) -> Shop {
    let wholesale = app.price_column("wholesale", "Оптовая", 1).await;
    let vip = app.price_column("vip", "VIP", 2).await;
    let flour = app
        .product(
            ProductSeed::standard("MK-001", "Мука пшеничная в/с, 50 кг", "Бакалея"),
            &[(wholesale, 100_000), (vip, 80_000)],
        )
        .await;
    let sugar = app
        .product(
            ProductSeed {
                unit: "кг",
                vat_category: "reduced",
                ..ProductSeed::standard("SG-001", "Сахар-песок", "Бакалея")
            },
            &[(wholesale, 5_550), (vip, 5_000)],
        )
        .await;
    let client = client_of(app, "Зерноторг", d.manager.id, d.f.department_a, wholesale).await;
    Shop {
        wholesale,
        vip,
        flour,
        sugar,
        client,
    }
}

/// A client of `owner` at a price column (credit limit 1 500 000.00, 14 days' deferral).
async fn client_of(app: &TestApp, name: &str, owner: Uuid, department: Uuid, column: Uuid) -> Uuid {
    let id = app.counterparty(name, Some(owner), Some(department)).await;
    app.client_price_column(id, column).await;
    id
}

/// Changes a client's terms directly (no API sets them yet): `set` is an SQL SET list.
async fn set_client(app: &TestApp, id: Uuid, set: &str) {
    let sql = sqlx::AssertSqlSafe(format!("UPDATE counterparties SET {set} WHERE id = $1"));
    db_run!(&app.db, pool => { sqlx::query(sql).bind(id).execute(pool).await.unwrap(); });
}

/// An invoice written directly (not from a shipment), nothing paid.
async fn invoice_row(
    app: &TestApp,
    client: Uuid,
    number: &str,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    total: i64,
) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    db_run!(&app.db, pool => {
        sqlx::query(
            "INSERT INTO invoices (id, number, counterparty_id, issued_on, due_on, total, paid, vat_amount, credited, \
             written_off, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 1, $7)",
        )
        .bind(id).bind(number).bind(client).bind(issued_on).bind(due_on).bind(total).bind(now)
        .execute(pool).await.unwrap();
    });
    id
}

/// A payment written directly and allocated whole to `invoice` (when given).
async fn paid_row(app: &TestApp, client: Uuid, invoice: Option<Uuid>, paid_on: NaiveDate, amount: i64, doc: &str) {
    let id = Uuid::now_v7();
    let now = Utc::now();
    db_run!(&app.db, pool => {
        sqlx::query(
            "INSERT INTO payments (id, counterparty_id, paid_on, amount, allocated, doc_number, purpose, source, \
             version, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'Оплата', 'manual', 1, $7)",
        )
        .bind(id).bind(client).bind(paid_on).bind(amount).bind(if invoice.is_some() { amount } else { 0 })
        .bind(doc).bind(now)
        .execute(pool).await.unwrap();
        if let Some(inv) = invoice {
            sqlx::query("INSERT INTO payment_allocations (payment_id, invoice_id, amount, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id).bind(inv).bind(amount).bind(now).execute(pool).await.unwrap();
            sqlx::query("UPDATE invoices SET paid = paid + $1 WHERE id = $2")
                .bind(amount).bind(inv).execute(pool).await.unwrap();
        }
    });
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    db_run!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

/// Every payment's allocated amount is the sum of its allocations and within the payment;
/// every invoice's paid amount is the sum of the allocations to it and within the invoice.
async fn assert_ledger_consistent(app: &TestApp) {
    let payments = count(
        app,
        "SELECT COUNT(*) FROM payments p WHERE p.allocated > p.amount OR p.allocated <> \
         (SELECT CAST(COALESCE(SUM(a.amount), 0) AS BIGINT) FROM payment_allocations a WHERE a.payment_id = p.id)",
    )
    .await;
    let invoices = count(
        app,
        "SELECT COUNT(*) FROM invoices i WHERE i.paid + i.credited + i.written_off > i.total OR i.paid <> \
         (SELECT CAST(COALESCE(SUM(a.amount), 0) AS BIGINT) FROM payment_allocations a WHERE a.invoice_id = i.id)",
    )
    .await;
    assert_eq!(
        (payments, invoices),
        (0, 0),
        "payments and invoices disagree with their allocations"
    );
}

// ---- orders ----

async fn take_order(app: &TestApp, token: &str, client: Uuid, lines: Value) -> Value {
    ok(
        app,
        token,
        "POST",
        "/api/v1/orders",
        Some(json!({ "counterparty_id": client, "lines": lines })),
        201,
    )
    .await
}

async fn order_of(app: &TestApp, token: &str, id: &str) -> Value {
    ok(app, token, "GET", &format!("/api/v1/orders/{id}"), None, 200).await
}

async fn submit(app: &TestApp, token: &str, order: &Value) -> Value {
    ok(
        app,
        token,
        "POST",
        &format!("/api/v1/orders/{}/submit", id_of(order)),
        Some(json!({ "version": order["version"] })),
        200,
    )
    .await
}

/// Ships against an order at its current version: (status, body).
async fn ship(app: &TestApp, d: &Desk, token: &str, order: &str, on: NaiveDate, lines: Value) -> (u16, Value) {
    let current = order_of(app, &d.director.token, order).await;
    send(
        app,
        token,
        "POST",
        &format!("/api/v1/orders/{order}/shipments"),
        Some(json!({ "version": current["version"], "shipped_on": iso(on), "lines": lines })),
    )
    .await
}

async fn invoice_shipment(app: &TestApp, token: &str, shipment: &Value) -> Value {
    ok(
        app,
        token,
        "POST",
        &format!("/api/v1/shipments/{}/invoice", id_of(shipment)),
        Some(json!({})),
        201,
    )
    .await
}

async fn invoice_of(app: &TestApp, token: &str, id: &str) -> Value {
    ok(app, token, "GET", &format!("/api/v1/invoices/{id}"), None, 200).await
}

async fn balance_of(app: &TestApp, token: &str, client: Uuid) -> Value {
    ok(
        app,
        token,
        "GET",
        &format!("/api/v1/counterparties/{client}/balance"),
        None,
        200,
    )
    .await
}

/// An approval decision: (status, body).
async fn decide(app: &TestApp, token: &str, approval: &Value, approve: bool, comment: Option<&str>) -> (u16, Value) {
    send(
        app,
        token,
        "POST",
        &format!("/api/v1/approvals/{}/decision", id_of(approval)),
        Some(json!({ "version": approval["version"], "approve": approve, "comment": comment })),
    )
    .await
}

/// The pending approval of an order.
fn pending(order: &Value) -> &Value {
    order["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "pending")
        .unwrap_or_else(|| panic!("no pending approval: {order}"))
}

/// An order of `flour` units taken by the manager, approved by the credit check, shipped in two
/// parts (`first` units on `on1`, the rest on `on2`) and both shipments invoiced.
async fn invoiced_in_two(
    app: &TestApp,
    d: &Desk,
    s: &Shop,
    client: Uuid,
    flour: &str,
    first: &str,
    on: (NaiveDate, NaiveDate),
) -> (String, Value, Value) {
    let o = take_order(
        app,
        &d.manager.token,
        client,
        json!([{ "product_id": s.flour, "quantity": flour }]),
    )
    .await;
    let o = submit(app, &d.manager.token, &o).await;
    assert_eq!(o["status"], "approved", "{o}");
    let id = id_of(&o).to_owned();
    let (status, s1) = ship(
        app,
        d,
        &d.support.token,
        &id,
        on.0,
        json!([{ "line_no": 1, "quantity": first }]),
    )
    .await;
    assert_eq!(status, 201, "{s1}");
    let (status, s2) = ship(app, d, &d.support.token, &id, on.1, json!([])).await;
    assert_eq!(status, 201, "{s2}");
    let i1 = invoice_shipment(app, &d.support.token, &s1).await;
    let i2 = invoice_shipment(app, &d.support.token, &s2).await;
    (id, i1, i2)
}

// ---- 1. taking an order ----

async fn a_manager_takes_an_order_at_the_clients_column_and_reprices_the_draft(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    let o = take_order(
        &app,
        m,
        s.client,
        json!([{ "product_id": s.flour, "quantity": "3" }, { "product_id": s.sugar, "quantity": "10" }]),
    )
    .await;
    assert_eq!(o["status"], "draft", "{o}");
    assert_eq!(o["credit_hold"], false);
    let priced: Vec<(&str, &str, &str, &str)> = o["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["price"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
                l["vat_rate"].as_str().unwrap(),
                l["vat_amount"].as_str().unwrap(),
            )
        })
        .collect();
    // Wholesale prices with VAT inside: 3 000.00 × 22/122 = 540.98; 555.00 × 10/110 = 50.45.
    assert_eq!(
        priced,
        vec![
            ("1000.00", "3000.00", "22", "540.98"),
            ("55.50", "555.00", "10", "50.45")
        ],
        "{o}"
    );
    assert_eq!(
        (&o["total"], &o["total_vat"]),
        (&json!("3555.00"), &json!("591.43")),
        "{o}"
    );

    // A VIP client gets the VIP column.
    let vip = client_of(&app, "Пекарня", d.manager.id, d.f.department_a, s.vip).await;
    let ov = take_order(&app, m, vip, json!([{ "product_id": s.flour, "quantity": "3" }])).await;
    assert_eq!(
        (&ov["lines"][0]["price"], &ov["total"]),
        (&json!("800.00"), &json!("2400.00")),
        "{ov}"
    );

    // Out of another department's reach, and no orders for its clients.
    let path = format!("/api/v1/orders/{}", id_of(&o));
    let (status, _) = send(&app, &d.other_manager.token, "GET", &path, None).await;
    assert_eq!(status, 404);
    let (status, b) = send(
        &app,
        &d.other_manager.token,
        "POST",
        "/api/v1/orders",
        Some(json!({ "counterparty_id": s.client, "lines": [{ "product_id": s.flour, "quantity": "1" }] })),
    )
    .await;
    assert_eq!(status, 404, "{b}");
    // The credit controller takes no orders.
    let (status, b) = send(
        &app,
        &d.cc.token,
        "POST",
        "/api/v1/orders",
        Some(json!({ "counterparty_id": s.client, "lines": [{ "product_id": s.flour, "quantity": "1" }] })),
    )
    .await;
    assert_eq!((status, error_of(&b).1), (403, "forbidden"), "{b}");

    // Re-pricing the draft: 5 000.00 (VAT 901.64) + 555.00 (VAT 50.45).
    let body = |version: &Value| {
        json!({ "version": version, "lines": [{ "product_id": s.flour, "quantity": "5" },
                                              { "product_id": s.sugar, "quantity": "10" }] })
    };
    let o2 = ok(&app, m, "PUT", &path, Some(body(&o["version"])), 200).await;
    assert_eq!(
        (&o2["total"], &o2["total_vat"]),
        (&json!("5555.00"), &json!("952.09")),
        "{o2}"
    );
    assert_eq!(o2["lines"][0]["quantity"], "5");
    assert!(o2["version"].as_i64() > o["version"].as_i64(), "{o2}");
    // The old version is stale.
    let (status, b) = send(&app, m, "PUT", &path, Some(body(&o["version"]))).await;
    assert_eq!((status, error_of(&b).1), (409, "version_conflict"), "{b}");
    let (status, b) = send(
        &app,
        m,
        "PUT",
        &path,
        Some(json!({ "version": o2["version"], "lines": [{ "product_id": s.flour, "quantity": "0" }] })),
    )
    .await;
    assert_eq!(status, 422, "a zero quantity is refused: {b}");
    let now = order_of(&app, m, id_of(&o)).await;
    assert_eq!(
        (&now["total"], &now["version"]),
        (&json!("5555.00"), &o2["version"]),
        "{now}"
    );
    // Once submitted, the lines are fixed.
    let now = submit(&app, m, &now).await;
    assert_eq!(now["status"], "approved", "{now}");
    let (status, b) = send(&app, m, "PUT", &path, Some(body(&now["version"]))).await;
    assert_eq!((status, error_of(&b)), (422, ("status", "order_not_editable")), "{b}");
}

// ---- 2. the credit check ----

async fn the_credit_check_holds_orders_over_the_limit_or_with_overdue_debt_for_the_head(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    set_client(&app, s.client, "credit_limit = 1000000").await;

    let a = take_order(&app, m, s.client, json!([{ "product_id": s.flour, "quantity": "3" }])).await;
    let a = submit(&app, m, &a).await;
    assert_eq!(
        (&a["status"], &a["credit_hold"]),
        (&json!("approved"), &json!(false)),
        "within the limit: {a}"
    );
    assert_eq!(
        (
            &a["credit"]["limit"],
            &a["credit"]["exposure_after"],
            &a["credit"]["blocks"]
        ),
        (&json!("10000.00"), &json!("3000.00"), &json!([])),
        "{a}"
    );

    // 3 000.00 approved and not invoiced + 8 000.00 = 11 000.00 > 10 000.00.
    let b = take_order(&app, m, s.client, json!([{ "product_id": s.flour, "quantity": "8" }])).await;
    let b = submit(&app, m, &b).await;
    assert_eq!(
        (&b["status"], &b["credit_hold"]),
        (&json!("submitted"), &json!(true)),
        "{b}"
    );
    let c = &b["credit"];
    assert_eq!(
        (
            &c["limit"],
            &c["receivable"],
            &c["open_orders"],
            &c["order_total"],
            &c["exposure_after"]
        ),
        (
            &json!("10000.00"),
            &json!("0.00"),
            &json!("3000.00"),
            &json!("8000.00"),
            &json!("11000.00")
        ),
        "{b}"
    );
    assert_eq!(
        c["blocks"],
        json!([{ "kind": "over_limit", "limit": "10000.00", "exposure_after": "11000.00", "excess": "1000.00" }]),
        "{b}"
    );
    let (_, held) = send(&app, &d.head.token, "GET", "/api/v1/orders?hold=true", None).await;
    let held: Vec<&str> = held.as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(held, vec![id_of(&b)], "only the held order is on hold");
    // A held order is not shipped.
    let (status, e) = ship(&app, &d, &d.support.token, id_of(&b), today(), json!([])).await;
    assert_eq!((status, error_of(&e)), (422, ("status", "order_not_shippable")), "{e}");

    let request = pending(&b);
    // Not by whoever asked, nor a fellow manager (the client is out of his reach), nor another
    // department's head.
    let (status, e) = decide(&app, m, request, true, None).await;
    assert_eq!((status, error_of(&e).1), (403, "forbidden"), "{e}");
    let (status, e) = decide(&app, &d.colleague.token, request, true, None).await;
    assert_eq!(status, 404, "{e}");
    let (status, e) = decide(&app, &d.other_head.token, request, true, None).await;
    assert!(matches!(status, 403 | 404), "{status} {e}");
    let (status, e) = decide(&app, &d.head.token, request, true, Some("Клиент платит вовремя")).await;
    assert_eq!(status, 200, "{e}");
    let b = order_of(&app, m, id_of(&b)).await;
    assert_eq!(
        (&b["status"], &b["credit_hold"], &b["approvals"][0]["status"]),
        (&json!("approved"), &json!(false), &json!("approved")),
        "{b}"
    );
    let (status, e) = decide(&app, &d.head.token, request, true, None).await;
    assert_eq!((status, error_of(&e)), (422, ("status", "approval_decided")), "{e}");

    // Overdue debt blocks even without a limit.
    let late = client_of(&app, "Хлебозавод", d.manager.id, d.f.department_a, s.wholesale).await;
    set_client(&app, late, "credit_limit = 0").await;
    invoice_row(&app, late, "С-900001", day(-20), day(-3), 10_000).await;
    let o = take_order(&app, m, late, json!([{ "product_id": s.flour, "quantity": "1" }])).await;
    let o = submit(&app, m, &o).await;
    assert_eq!(
        (&o["status"], &o["credit_hold"]),
        (&json!("submitted"), &json!(true)),
        "{o}"
    );
    assert_eq!(
        o["credit"]["blocks"],
        json!([{ "kind": "overdue", "amount": "100.00", "max_dpd": 3 }]),
        "{o}"
    );
    assert_eq!(
        (&o["credit"]["overdue"], &o["credit"]["max_dpd"]),
        (&json!("100.00"), &json!(3))
    );
    // The credit controller refuses it, with a reason: back to draft.
    let (status, e) = decide(&app, &d.cc.token, pending(&o), false, None).await;
    assert_eq!((status, error_of(&e)), (422, ("comment", "required_to_reject")), "{e}");
    let (status, e) = decide(&app, &d.cc.token, pending(&o), false, Some("Сначала погасить долг")).await;
    assert_eq!(status, 200, "{e}");
    let o = order_of(&app, m, id_of(&o)).await;
    assert_eq!(
        (&o["status"], &o["credit_hold"]),
        (&json!("draft"), &json!(false)),
        "{o}"
    );
    // Submitted again, held again; this time the credit controller lets it through.
    let o = submit(&app, m, &o).await;
    assert_eq!(o["status"], "submitted", "{o}");
    let (status, e) = decide(&app, &d.cc.token, pending(&o), true, None).await;
    assert_eq!(status, 200, "{e}");
    let o = order_of(&app, m, id_of(&o)).await;
    assert_eq!(o["status"], "approved", "{o}");
}

/// Submissions that arrive together are written together (group commit); each must still see
/// the orders of its client submitted before it, or a burst of orders would slip past the limit.
async fn orders_submitted_at_once_are_checked_one_after_another(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    set_client(&app, s.client, "credit_limit = 1000000").await;
    let other = client_of(&app, "Кондитерская", d.manager.id, d.f.department_a, s.wholesale).await;
    // Six orders of 3 000.00 against a limit of 10 000.00, and one for a client without a limit.
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(take_order(&app, m, s.client, json!([{ "product_id": s.flour, "quantity": "3" }])).await);
    }
    let free = take_order(&app, m, other, json!([{ "product_id": s.flour, "quantity": "50" }])).await;
    let submit_all = |orders: Vec<Value>| {
        let mut burst = tokio::task::JoinSet::new();
        for order in orders {
            let (http, url, token) = (
                app.http.clone(),
                app.url(&format!("/api/v1/orders/{}/submit", id_of(&order))),
                m.clone(),
            );
            let body = json!({ "version": order["version"] });
            burst.spawn(async move {
                let res = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            });
        }
        burst
    };
    let mut burst = submit_all(orders.iter().chain([&free]).cloned().collect());
    let mut answers = Vec::new();
    while let Some(r) = burst.join_next().await {
        answers.push(r.unwrap());
    }
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    let done: Vec<&Value> = answers.iter().map(|(_, v)| v).collect();
    let free = done.iter().find(|v| id_of(v) == id_of(&free)).unwrap();
    assert_eq!(free["status"], "approved", "{free}");
    // Whatever the order they were checked in, exposures grow by 3 000.00 each: the first three
    // fit the limit, the next three are held.
    let mut seen: Vec<(i64, String)> = done
        .iter()
        .filter(|v| id_of(v) != id_of(free))
        .map(|v| {
            (
                kop(&v["credit"]["exposure_after"]),
                v["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let want: Vec<(i64, String)> = (1..=6)
        .map(|k| (k * 300_000, if k <= 3 { "approved" } else { "submitted" }.to_owned()))
        .collect();
    assert_eq!(seen, want, "{answers:?}");

    // One order sent twice at once: one of the two is refused — a conflict when both were read
    // as drafts, a refused transition when one read the other's result.
    let twin = take_order(&app, m, other, json!([{ "product_id": s.flour, "quantity": "1" }])).await;
    let mut burst = submit_all(vec![twin.clone(), twin]);
    let mut answers = Vec::new();
    while let Some(r) = burst.join_next().await {
        answers.push(r.unwrap());
    }
    let refused: Vec<&(u16, Value)> = answers.iter().filter(|(status, _)| *status != 200).collect();
    assert_eq!(refused.len(), 1, "{answers:?}");
    let (status, e) = refused[0];
    assert!(
        *status == 409 || (*status == 422 && error_of(e).1 == "order_transition_not_allowed"),
        "{status} {e}"
    );
    let (_, held) = send(&app, &d.head.token, "GET", "/api/v1/orders?hold=true", None).await;
    assert_eq!(held.as_array().map(Vec::len), Some(3), "{held}");
}

async fn credit_terms_are_set_by_the_credit_controller_and_never_by_the_seller(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let (m, cc) = (&d.manager.token, &d.cc.token);
    let path = format!("/api/v1/counterparties/{}/credit-terms", s.client);
    let t = ok(&app, m, "GET", &path, None, 200).await;
    assert_eq!(
        (&t["editable"], &t["deferral_kind"], &t["claim_term_days"]),
        (&json!(false), &json!("calendar"), &json!(30)),
        "{t}"
    );
    let terms = |version: &Value, daily: &str, cap: &str, claim: i64| {
        json!({ "version": version, "credit_limit": "500 000,00", "payment_terms_days": 20,
                "deferral_kind": "banking", "penalty_percent_per_day": daily, "penalty_cap_percent": cap,
                "claim_term_days": claim })
    };
    // The seller may neither set them here nor slip a limit into the client's record.
    let (status, e) = send(&app, m, "PUT", &path, Some(terms(&t["version"], "0,1", "10", 15))).await;
    assert_eq!((status, error_of(&e).1), (403, "forbidden"), "{e}");
    let record = format!("/api/v1/counterparties/{}", s.client);
    let (status, e) = send(
        &app,
        m,
        "PATCH",
        &record,
        Some(json!({ "version": t["version"], "credit_limit": "9999999.00" })),
    )
    .await;
    assert_eq!(
        (status, error_of(&e)),
        (422, ("credit_limit", "credit_terms_reserved")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("credit controller"),
        "{e}"
    );
    let (status, e) = send(
        &app,
        m,
        "PATCH",
        &record,
        Some(json!({ "version": t["version"], "payment_terms_days": 90 })),
    )
    .await;
    assert_eq!(
        (status, error_of(&e)),
        (422, ("payment_terms_days", "credit_terms_reserved")),
        "{e}"
    );
    // Anything else of the record stays the seller's to edit.
    let edited = ok(
        &app,
        m,
        "PATCH",
        &record,
        Some(json!({ "version": t["version"], "notes": "звонили" })),
        200,
    )
    .await;

    // The credit controller: a stale version, bad figures, then the terms.
    let (status, e) = send(&app, cc, "PUT", &path, Some(terms(&t["version"], "0,1", "10", 15))).await;
    assert_eq!(status, 409, "the record moved on with the note: {e}");
    for (daily, cap, claim, field, code) in [
        ("6", "", 30, "penalty_percent_per_day", "out_of_range"),
        ("0.1", "101", 30, "penalty_cap_percent", "out_of_range"),
        ("", "10", 30, "penalty_cap_percent", "cap_without_penalty"),
        ("0,1", "", 0, "claim_term_days", "out_of_range"),
    ] {
        let (status, e) = send(
            &app,
            cc,
            "PUT",
            &path,
            Some(terms(&edited["version"], daily, cap, claim)),
        )
        .await;
        assert_eq!(
            (status, error_of(&e)),
            (422, (field, code)),
            "{daily} {cap} {claim}: {e}"
        );
    }
    let set = ok(
        &app,
        cc,
        "PUT",
        &path,
        Some(terms(&edited["version"], "0,1", "10", 15)),
        200,
    )
    .await;
    assert_eq!(
        (
            &set["credit_limit"],
            &set["payment_terms_days"],
            &set["deferral_kind"],
            &set["penalty_percent_per_day"],
            &set["penalty_cap_percent"],
            &set["claim_term_days"],
            &set["editable"]
        ),
        (
            &json!("500000.00"),
            &json!(20),
            &json!("banking"),
            &json!("0.1"),
            &json!("10"),
            &json!(15),
            &json!(true)
        ),
        "{set}"
    );
    assert_eq!(
        set["version"].as_i64(),
        edited["version"].as_i64().map(|v| v + 1),
        "{set}"
    );
    let seen = ok(&app, m, "GET", &path, None, 200).await;
    assert_eq!(
        (&seen["credit_limit"], &seen["version"]),
        (&set["credit_limit"], &set["version"]),
        "{seen}"
    );
    // The penalty now runs on an overdue invoice: 1 000.00 × 0.1 % × 10 days.
    let inv = invoice_row(&app, s.client, "С-770001", day(-40), day(-10), 100_000).await;
    let calc = ok(&app, m, "GET", &format!("/api/v1/invoices/{inv}/interest"), None, 200).await;
    assert_eq!(calc["penalty"]["total"], "10.00", "{calc}");
    // Another department's head cannot reach the client at all.
    let (status, _) = send(
        &app,
        &d.other_head.token,
        "PUT",
        &path,
        Some(terms(&set["version"], "", "", 30)),
    )
    .await;
    assert_eq!(status, 404);
}

// ---- 3. fulfilment ----

async fn sales_support_ships_in_parts_and_invoices_with_due_dates_from_the_clients_terms(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    set_client(&app, s.client, "payment_terms_days = 10, deferral_kind = 'calendar'").await;
    let o = take_order(
        &app,
        &d.manager.token,
        s.client,
        json!([{ "product_id": s.flour, "quantity": "5" }, { "product_id": s.sugar, "quantity": "10" }]),
    )
    .await;
    let o = submit(&app, &d.manager.token, &o).await;
    assert_eq!(o["status"], "approved");
    let id = id_of(&o).to_owned();
    // Sunday 25.10.2026 + 10 days = Wednesday 04.11.2026, a public holiday.
    let (on1, on2) = (date("2026-10-25"), date("2026-10-30"));

    let (status, e) = ship(
        &app,
        &d,
        &d.manager.token,
        &id,
        on1,
        json!([{ "line_no": 1, "quantity": "2" }]),
    )
    .await;
    assert_eq!(
        (status, error_of(&e).1),
        (403, "forbidden"),
        "a manager does not ship: {e}"
    );
    let (status, s1) = ship(
        &app,
        &d,
        &d.support.token,
        &id,
        on1,
        json!([{ "line_no": 1, "quantity": "2" }]),
    )
    .await;
    assert_eq!(status, 201, "{s1}");
    assert_eq!(
        (&s1["amount"], &s1["shipped_on"]),
        (&json!("2000.00"), &json!("2026-10-25")),
        "{s1}"
    );
    let now = order_of(&app, &d.manager.token, &id).await;
    assert_eq!(
        (&now["status"], &now["shipped"], &now["lines"][0]["shipped"]),
        (&json!("in_fulfilment"), &json!("2000.00"), &json!("2")),
        "{now}"
    );
    // 3 units of flour are left.
    let (status, e) = ship(
        &app,
        &d,
        &d.support.token,
        &id,
        on2,
        json!([{ "line_no": 1, "quantity": "4" }]),
    )
    .await;
    assert_eq!((status, error_of(&e)), (422, ("quantity", "over_ordered")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("3 left"), "{e}");
    // The rest: 3 000.00 of flour and 555.00 of sugar.
    let (status, s2) = ship(&app, &d, &d.support.token, &id, on2, json!([])).await;
    assert_eq!(status, 201, "{s2}");
    assert_eq!(s2["amount"], "3555.00", "{s2}");
    let now = order_of(&app, &d.manager.token, &id).await;
    assert_eq!(now["status"], "shipped", "{now}");
    let (status, e) = ship(&app, &d, &d.support.token, &id, on2, json!([])).await;
    assert_eq!(status, 422, "nothing left to ship: {e}");

    for sh in [&s1, &s2] {
        let v = ok(
            &app,
            &d.support.token,
            "POST",
            &format!("/api/v1/shipments/{}/delivery", id_of(sh)),
            Some(json!({ "delivered_on": "2026-11-02" })),
            200,
        )
        .await;
        assert_eq!(v["delivered_on"], "2026-11-02");
    }
    let now = order_of(&app, &d.manager.token, &id).await;
    assert_eq!(now["status"], "delivered", "{now}");

    let cal = WorkCalendar::russian_default();
    let i1 = invoice_shipment(&app, &d.support.token, &s1).await;
    let due1 = due_date(on1, 10, DeferralKind::Calendar, &cal);
    assert_eq!(due1, date("2026-11-05"), "the holiday moves the due date");
    assert_eq!(
        (&i1["due_on"], &i1["issued_on"], &i1["total"], &i1["open"]),
        (
            &json!(iso(due1)),
            &json!("2026-10-25"),
            &json!("2000.00"),
            &json!("2000.00")
        ),
        "{i1}"
    );
    let now = order_of(&app, &d.manager.token, &id).await;
    assert_eq!(now["status"], "delivered", "one shipment is not invoiced yet: {now}");
    let (status, e) = send(
        &app,
        &d.support.token,
        "POST",
        &format!("/api/v1/shipments/{}/invoice", id_of(&s1)),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, error_of(&e)),
        (422, ("shipment_id", "already_invoiced")),
        "{e}"
    );

    // Ten banking days from Friday 30.10.2026 skip weekends and the 4 November holiday.
    set_client(&app, s.client, "deferral_kind = 'banking'").await;
    let i2 = invoice_shipment(&app, &d.support.token, &s2).await;
    let due2 = due_date(on2, 10, DeferralKind::Banking, &cal);
    assert_ne!(due2, due_date(on2, 10, DeferralKind::Calendar, &cal));
    assert_eq!(
        (&i2["due_on"], &i2["total"]),
        (&json!(iso(due2)), &json!("3555.00")),
        "{i2}"
    );
    let now = order_of(&app, &d.manager.token, &id).await;
    assert_eq!(
        (&now["status"], &now["invoiced"]),
        (&json!("invoiced"), &json!("5555.00")),
        "{now}"
    );
    assert_eq!(now["invoices"].as_array().unwrap().len(), 2, "{now}");
}

// ---- 4. payments ----

async fn payments_go_oldest_first_or_as_told_and_an_overpayment_stays_as_an_advance(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    // 14 calendar days: due 15.10.2026 and 29.10.2026.
    let (order, i1, i2) = invoiced_in_two(
        &app,
        &d,
        &s,
        s.client,
        "5",
        "2",
        (date("2026-10-01"), date("2026-10-15")),
    )
    .await;
    assert_eq!((&i1["total"], &i2["total"]), (&json!("2000.00"), &json!("3000.00")));
    assert_eq!(
        (&i1["due_on"], &i2["due_on"]),
        (&json!("2026-10-15"), &json!("2026-10-29"))
    );
    let cc = &d.cc.token;
    let pay = |amount: &str, doc: &str, allocations: Option<Value>| {
        let mut b = json!({ "counterparty_id": s.client, "paid_on": iso(today()), "amount": amount,
                            "doc_number": doc, "purpose": "Оплата за муку" });
        if let Some(a) = allocations {
            b["allocations"] = a;
        }
        b
    };

    let (status, e) = send(
        &app,
        &d.manager.token,
        "POST",
        "/api/v1/payments",
        Some(pay("1.00", "1", None)),
    )
    .await;
    assert_eq!((status, error_of(&e).1), (403, "forbidden"), "{e}");

    // Oldest due first.
    let p1 = ok(
        &app,
        cc,
        "POST",
        "/api/v1/payments",
        Some(pay("2500.00", "101", None)),
        201,
    )
    .await;
    let lines: Vec<(&str, &str)> = p1["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["invoice_id"].as_str().unwrap(), a["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, vec![(id_of(&i1), "2000.00"), (id_of(&i2), "500.00")], "{p1}");
    assert_eq!(
        (&p1["allocated"], &p1["unallocated"]),
        (&json!("2500.00"), &json!("0.00"))
    );

    // As told.
    let p2 = ok(
        &app,
        cc,
        "POST",
        "/api/v1/payments",
        Some(pay(
            "1000.00",
            "102",
            Some(json!([{ "invoice_id": id_of(&i2), "amount": "1000.00" }])),
        )),
        201,
    )
    .await;
    assert_eq!(p2["allocated"], "1000.00", "{p2}");
    assert_eq!(invoice_of(&app, cc, id_of(&i2)).await["paid"], "1500.00");
    // Impossible splits are refused and book nothing.
    let before = count(&app, "SELECT COUNT(*) FROM payments").await;
    for (allocations, code) in [
        (
            json!([{ "invoice_id": id_of(&i1), "amount": "100.00" }]),
            "allocation_unknown_invoice",
        ),
        (
            json!([{ "invoice_id": id_of(&i2), "amount": "200.00" }]),
            "allocation_exceeds_payment",
        ),
        (
            json!([{ "invoice_id": id_of(&i2), "amount": "60.00" }, { "invoice_id": id_of(&i2), "amount": "40.00" }]),
            "allocation_duplicate",
        ),
    ] {
        let (status, e) = send(
            &app,
            cc,
            "POST",
            "/api/v1/payments",
            Some(pay("100.00", "103", Some(allocations))),
        )
        .await;
        assert_eq!((status, error_of(&e)), (422, ("allocations", code)), "{e}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, before);

    // More than is owed: the rest is the client's advance, and not a kopeck is lost.
    let p3 = ok(
        &app,
        cc,
        "POST",
        "/api/v1/payments",
        Some(pay("2000.01", "104", None)),
        201,
    )
    .await;
    assert_eq!(
        (&p3["allocated"], &p3["unallocated"]),
        (&json!("1500.00"), &json!("500.01")),
        "{p3}"
    );
    for p in [&p1, &p2, &p3] {
        let p = ok(&app, cc, "GET", &format!("/api/v1/payments/{}", id_of(p)), None, 200).await;
        let lines: i64 = p["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| kop(&a["amount"]))
            .sum();
        assert_eq!(lines, kop(&p["allocated"]), "{p}");
        assert_eq!(lines + kop(&p["unallocated"]), kop(&p["amount"]), "{p}");
    }
    let b = balance_of(&app, &d.manager.token, s.client).await;
    assert_eq!(
        (
            &b["receivable"],
            &b["advance"],
            &b["net"],
            &b["overdue"],
            &b["open_invoices"]
        ),
        (
            &json!("0.00"),
            &json!("500.01"),
            &json!("-500.01"),
            &json!("0.00"),
            &json!(0)
        ),
        "{b}"
    );
    let o = order_of(&app, &d.manager.token, &order).await;
    assert_eq!(o["status"], "paid", "{o}");
    let history = ok(
        &app,
        &d.manager.token,
        "GET",
        &format!("/api/v1/counterparties/{}/payments", s.client),
        None,
        200,
    )
    .await;
    assert_eq!(history.as_array().unwrap().len(), 3, "{history}");
    // A fully allocated payment has nothing left to allocate.
    let (status, e) = send(
        &app,
        cc,
        "POST",
        &format!("/api/v1/payments/{}/allocations", id_of(&p1)),
        Some(json!({ "version": ok(&app, cc, "GET", &format!("/api/v1/payments/{}", id_of(&p1)), None, 200).await["version"] })),
    )
    .await;
    assert_eq!((status, error_of(&e).1), (422, "payment_fully_allocated"), "{e}");
    assert_ledger_consistent(&app).await;
}

async fn concurrent_allocations_of_one_payment_never_spend_it_twice(app: TestApp) {
    let d = desk(&app).await;
    let cc = &d.cc.token;
    // Even rounds: two allocations that cannot both fit; odd rounds: two that could, but were
    // made against the same version of the payment.
    for round in 0..4i64 {
        let client = app
            .counterparty(&format!("Клиент {round}"), Some(d.manager.id), Some(d.f.department_a))
            .await;
        let p = ok(
            &app,
            cc,
            "POST",
            "/api/v1/payments",
            Some(
                json!({ "counterparty_id": client, "paid_on": iso(today()), "amount": "1000.00",
                         "doc_number": format!("50{round}") }),
            ),
            201,
        )
        .await;
        assert_eq!(p["unallocated"], "1000.00", "no invoices yet: {p}");
        let each = if round % 2 == 0 { 80_000 } else { 30_000 };
        let a = invoice_row(&app, client, &format!("С-8{round}1"), day(-5), day(10), each).await;
        let b = invoice_row(&app, client, &format!("С-8{round}2"), day(-5), day(10), each).await;
        let path = format!("/api/v1/payments/{}/allocations", id_of(&p));
        let body =
            |inv: Uuid| json!({ "version": p["version"], "allocations": [{ "invoice_id": inv, "amount": rub(each) }] });
        let (ra, rb) = tokio::join!(
            send(&app, cc, "POST", &path, Some(body(a))),
            send(&app, cc, "POST", &path, Some(body(b)))
        );
        let statuses = [ra.0, rb.0];
        let won = statuses.iter().filter(|s| **s == 200).count();
        assert!(
            won <= 1,
            "round {round}: both allocations of one version went through: {ra:?} {rb:?}"
        );
        for (status, body) in [&ra, &rb] {
            assert!(matches!(status, 200 | 409 | 422), "round {round}: {status} {body}");
        }
        let now = ok(&app, cc, "GET", &format!("/api/v1/payments/{}", id_of(&p)), None, 200).await;
        assert_eq!(kop(&now["allocated"]), each * won as i64, "round {round}: {now}");
        assert_eq!(
            kop(&now["allocated"]) + kop(&now["unallocated"]),
            100_000,
            "round {round}: {now}"
        );
        assert_ledger_consistent(&app).await;
    }
}

// ---- 5. bank statements ----

const OUR_ACCOUNT: &str = "40702810938000012345";
const OUR_INN: &str = "7728123459";
const OUR_NAME: &str = "ООО \"ОПТОВИК-ЦЕНТР\"";

/// A payment document of a test statement: incoming (the other side pays us) or outgoing (we
/// pay the other side).
struct Doc<'a> {
    number: &'a str,
    on: NaiveDate,
    amount: i64,
    inn: &'a str,
    name: &'a str,
    account: &'a str,
    bik: &'a str,
    purpose: String,
    incoming: bool,
}

/// The lines of a statement in the 1CClientBankExchange format, shaped like
/// `shared/domain/sample-statement.txt`: our account in the header, a balance section whose
/// turnovers are those of the documents, then the documents.
fn statement_lines(from: NaiveDate, to: NaiveDate, docs: &[Doc<'_>]) -> Vec<String> {
    let credited: i64 = docs.iter().filter(|d| d.incoming).map(|d| d.amount).sum();
    let debited: i64 = docs.iter().filter(|d| !d.incoming).map(|d| d.amount).sum();
    let opening = 125_000_000;
    let mut l: Vec<String> = [
        "1CClientBankExchange".to_owned(),
        "ВерсияФормата=1.03".to_owned(),
        "Кодировка=Windows".to_owned(),
        "Отправитель=СберБизнес".to_owned(),
        "Получатель=Бухгалтерия предприятия, редакция 3.0".to_owned(),
        format!("ДатаСоздания={}", ru_date(to)),
        "ВремяСоздания=09:12:45".to_owned(),
        format!("ДатаНачала={}", ru_date(from)),
        format!("ДатаКонца={}", ru_date(to)),
        format!("РасчСчет={OUR_ACCOUNT}"),
        "Документ=Платежное поручение".to_owned(),
        "СекцияРасчСчет".to_owned(),
        format!("ДатаНачала={}", ru_date(from)),
        format!("ДатаКонца={}", ru_date(to)),
        format!("РасчСчет={OUR_ACCOUNT}"),
        format!("НачальныйОстаток={}", rub(opening)),
        format!("ВсегоПоступило={}", rub(credited)),
        format!("ВсегоСписано={}", rub(debited)),
        format!("КонечныйОстаток={}", rub(opening + credited - debited)),
        "КонецРасчСчет".to_owned(),
    ]
    .into();
    for d in docs {
        let them = (d.inn, d.name, d.account, d.bik);
        let us = (OUR_INN, OUR_NAME, OUR_ACCOUNT, "044525225");
        let (payer, payee) = if d.incoming { (them, us) } else { (us, them) };
        l.push("СекцияДокумент=Платежное поручение".to_owned());
        l.push(format!("Номер={}", d.number));
        l.push(format!("Дата={}", ru_date(d.on)));
        l.push(format!("Сумма={}", rub(d.amount)));
        l.push(format!("ПлательщикСчет={}", payer.2));
        if !d.incoming {
            l.push(format!("ДатаСписано={}", ru_date(d.on)));
        }
        l.push(format!("Плательщик=ИНН {} {}", payer.0, payer.1));
        l.push(format!("ПлательщикИНН={}", payer.0));
        l.push(format!("Плательщик1={}", payer.1));
        l.push(format!("ПлательщикРасчСчет={}", payer.2));
        l.push("ПлательщикБанк1=ПАО СБЕРБАНК".to_owned());
        l.push("ПлательщикБанк2=г. Москва".to_owned());
        l.push(format!("ПлательщикБИК={}", payer.3));
        l.push(format!("ПолучательСчет={}", payee.2));
        if d.incoming {
            l.push(format!("ДатаПоступило={}", ru_date(d.on)));
        }
        l.push(format!("Получатель=ИНН {} {}", payee.0, payee.1));
        l.push(format!("ПолучательИНН={}", payee.0));
        l.push(format!("Получатель1={}", payee.1));
        l.push(format!("ПолучательРасчСчет={}", payee.2));
        l.push(format!("ПолучательБИК={}", payee.3));
        l.push("ВидОплаты=01".to_owned());
        l.push("ВидПлатежа=".to_owned());
        l.push("Код=0".to_owned());
        l.push("Очередность=5".to_owned());
        l.push(format!("НазначениеПлатежа={}", d.purpose));
        l.push("КонецДокумента".to_owned());
    }
    l.push("КонецФайла".to_owned());
    l
}

/// The statement as a bank writes it: windows-1251, CRLF.
fn cp1251(lines: &[String]) -> Vec<u8> {
    let text = lines.join("\r\n") + "\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&text);
    assert!(!unmappable, "the test statement has characters cp1251 lacks");
    bytes.into_owned()
}

/// The 1-based number of the `nth` (0-based) line equal to `text`.
fn line_no(lines: &[String], text: &str, nth: usize) -> usize {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.as_str() == text)
        .nth(nth)
        .unwrap_or_else(|| panic!("no line {text:?} #{nth}"))
        .0
        + 1
}

async fn import(app: &TestApp, token: &str, lang: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("kl_to_1c.txt"));
    let res = app
        .http
        .post(app.url("/api/v1/bank-statements"))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Two paying clients with invoices, and a statement of five documents: one invoice paid by
/// its number, two invoices in one payment, one paid by the amount alone, a payer nobody
/// knows, and a payment of ours.
struct BankCase {
    romashka: Uuid,
    alfa: Uuid,
    /// С-000101 and С-000104 of Ромашка; С-000102, С-000103 and С-000105 of Альфа.
    invoices: [Uuid; 5],
    lines: Vec<String>,
}

async fn bank_case(app: &TestApp, d: &Desk) -> BankCase {
    let seed = |name, inn| CounterpartySeed {
        name,
        inn: Some(inn),
        owner: Some(d.manager.id),
        department: Some(d.f.department_a),
        ..CounterpartySeed::default()
    };
    let romashka = app.counterparty_with(seed("Ромашка-Трейд", "5031987650")).await;
    let alfa = app.counterparty_with(seed("Альфа-Снаб", "7710991119")).await;
    let (issued, due) = (day(-25), day(5));
    let i101 = invoice_row(app, romashka, "С-000101", issued, due, 11_800_000).await;
    let i104 = invoice_row(app, romashka, "С-000104", day(-15), day(15), 4_560_000).await;
    let i102 = invoice_row(app, alfa, "С-000102", issued, due, 2_000_000).await;
    let i103 = invoice_row(app, alfa, "С-000103", issued, due, 3_000_000).await;
    let i105 = invoice_row(app, alfa, "С-000105", day(-10), day(20), 1_234_567).await;
    let on = day(-1);
    let docs = [
        Doc {
            number: "2231",
            on,
            amount: 11_800_000,
            inn: "5031987650",
            name: "ООО \"РОМАШКА-ТРЕЙД\"",
            account: "40702810210000123456",
            bik: "044525974",
            purpose: format!(
                "Оплата по счету № С-000101 от {} за товар. Сумма 118000-00 В т.ч. НДС (22%) 21278-69",
                ru_date(issued)
            ),
            incoming: true,
        },
        Doc {
            number: "905",
            on,
            amount: 5_000_000,
            inn: "7710991119",
            name: "ООО \"АЛЬФА-СНАБ\"",
            account: "40702810302860004321",
            bik: "044525593",
            purpose: format!(
                "Оплата счетов 102 и 103 от {} за товар. НДС не облагается",
                ru_date(issued)
            ),
            incoming: true,
        },
        Doc {
            number: "2240",
            on,
            amount: 4_560_000,
            inn: "5031987650",
            name: "ООО \"РОМАШКА-ТРЕЙД\"",
            account: "40702810210000123456",
            bik: "044525974",
            purpose: "Оплата за товар по договору № 12-ОПТ от 15.01.2026. В т.ч. НДС 8222-95".to_owned(),
            incoming: true,
        },
        Doc {
            number: "57",
            on,
            amount: 1_234_567,
            inn: "501234567802",
            name: "Индивидуальный предприниматель Сидоров Пётр Ильич",
            account: "40802810438000054321",
            bik: "044525225",
            purpose: "Оплата по счету 105 за товар. НДС не облагается".to_owned(),
            incoming: true,
        },
        Doc {
            number: "1480",
            on,
            amount: 3_600_000,
            inn: "7704112232",
            name: "ООО \"ТРАНСЛОГИСТИК\"",
            account: "40702810300000077777",
            bik: "044525187",
            purpose: "Оплата по счету 88 за транспортные услуги. В т.ч. НДС 22% 6491.80".to_owned(),
            incoming: false,
        },
    ];
    BankCase {
        romashka,
        alfa,
        invoices: [i101, i102, i103, i104, i105],
        lines: statement_lines(day(-2), day(-1), &docs),
    }
}

/// What the receivables look like: both balances, the number of payments, allocations,
/// statement documents, and the sum of money received.
async fn books(app: &TestApp, d: &Desk, c: &BankCase) -> (Value, Value, i64, i64, i64, i64) {
    (
        balance_of(app, &d.cc.token, c.romashka).await,
        balance_of(app, &d.cc.token, c.alfa).await,
        count(app, "SELECT COUNT(*) FROM payments").await,
        count(app, "SELECT COUNT(*) FROM payment_allocations").await,
        count(app, "SELECT COUNT(*) FROM bank_statement_docs").await,
        count(app, "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments").await,
    )
}

async fn a_bank_statement_books_what_it_can_match_queues_the_rest_and_imports_once(app: TestApp) {
    let d = desk(&app).await;
    let c = bank_case(&app, &d).await;
    let file = cp1251(&c.lines);
    let cc = &d.cc.token;

    let (status, e) = import(&app, &d.manager.token, "en", file.clone()).await;
    assert_eq!((status, error_of(&e).1), (403, "forbidden"), "{e}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bank_statements").await, 0);

    let (status, report) = import(&app, cc, "en", file.clone()).await;
    assert_eq!(status, 201, "{report}");
    assert_eq!(
        (
            &report["documents"],
            &report["new_documents"],
            &report["duplicates"],
            &report["matched"],
            &report["queued"],
            &report["outgoing"]
        ),
        (&json!(5), &json!(5), &json!(0), &json!(3), &json!(1), &json!(1)),
        "{report}"
    );
    // 118 000.00 + 50 000.00 + 45 600.00, all of it allocated.
    assert_eq!(
        (&report["received"], &report["allocated"]),
        (&json!("213600.00"), &json!("213600.00")),
        "{report}"
    );
    for (i, inv) in c.invoices.iter().enumerate() {
        let v = invoice_of(&app, cc, &inv.to_string()).await;
        let want = if i == 4 { "12345.67" } else { "0.00" };
        assert_eq!(v["open"], want, "{v}");
    }
    let detail = ok(
        &app,
        cc,
        "GET",
        &format!("/api/v1/bank-statements/{}", report["statement_id"].as_str().unwrap()),
        None,
        200,
    )
    .await;
    let states: Vec<(&str, &str, &str)> = detail["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["number"].as_str().unwrap(),
                d["direction"].as_str().unwrap(),
                d["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("2231", "incoming", "matched_full"),
            ("905", "incoming", "matched_full"),
            ("2240", "incoming", "matched_full"),
            ("57", "incoming", "unmatched"),
            ("1480", "outgoing", "ignored"),
        ],
        "{detail}"
    );
    assert_eq!(detail["account"], OUR_ACCOUNT);

    // The unknown payer waits for a person.
    let queue = ok(&app, cc, "GET", "/api/v1/bank-statements/queue", None, 200).await;
    let queue = queue.as_array().unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");
    let q = &queue[0];
    assert_eq!(
        (
            &q["payer_inn"],
            &q["amount"],
            &q["state"],
            &q["reason"],
            &q["counterparty_id"]
        ),
        (
            &json!("501234567802"),
            &json!("12345.67"),
            &json!("unmatched"),
            &json!("unknown_payer"),
            &Value::Null
        ),
        "{q}"
    );
    let resolve = format!("/api/v1/bank-statement-docs/{}/resolution", id_of(q));
    let (status, e) = send(&app, cc, "POST", &resolve, Some(json!({ "version": q["version"] }))).await;
    assert_eq!((status, error_of(&e)), (422, ("counterparty_id", "required")), "{e}");
    let paid = ok(
        &app,
        cc,
        "POST",
        &resolve,
        Some(json!({ "version": q["version"], "counterparty_id": c.alfa })),
        200,
    )
    .await;
    assert_eq!(
        (
            &paid["amount"],
            &paid["allocated"],
            &paid["unallocated"],
            &paid["source"]
        ),
        (&json!("12345.67"), &json!("12345.67"), &json!("0.00"), &json!("bank")),
        "{paid}"
    );
    assert_eq!(paid["allocations"][0]["invoice_id"], json!(c.invoices[4]), "{paid}");
    assert_eq!(invoice_of(&app, cc, &c.invoices[4].to_string()).await["open"], "0.00");
    let (status, e) = send(
        &app,
        cc,
        "POST",
        &resolve,
        Some(json!({ "version": q["version"], "counterparty_id": c.alfa })),
    )
    .await;
    assert_eq!(status, 422, "resolved once: {e}");
    let queue = ok(&app, cc, "GET", "/api/v1/bank-statements/queue", None, 200).await;
    assert_eq!(queue, json!([]));
    assert_ledger_consistent(&app).await;

    // The same file again changes nothing.
    let before = books(&app, &d, &c).await;
    assert_eq!(before.0["receivable"], "0.00", "{}", before.0);
    assert_eq!(before.1["receivable"], "0.00", "{}", before.1);
    let (status, again) = import(&app, cc, "ru", file).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(
        (
            &again["documents"],
            &again["new_documents"],
            &again["duplicates"],
            &again["matched"],
            &again["queued"],
            &again["received"]
        ),
        (&json!(5), &json!(0), &json!(5), &json!(0), &json!(0), &json!("0.00")),
        "{again}"
    );
    assert_eq!(books(&app, &d, &c).await, before);
    assert_ledger_consistent(&app).await;
}

async fn a_malformed_statement_is_refused_naming_the_line_and_imports_nothing(app: TestApp) {
    let d = desk(&app).await;
    let c = bank_case(&app, &d).await;
    let good = &c.lines;
    let doc = |nth| line_no(good, "СекцияДокумент=Платежное поручение", nth);
    let find = |prefix: &str, nth: usize| -> usize {
        good.iter()
            .enumerate()
            .filter(|(_, l)| l.starts_with(prefix))
            .nth(nth)
            .unwrap()
            .0
    };
    let mut cases: Vec<(&str, Vec<u8>, &str, usize)> = Vec::new();
    // Not the exchange format at all.
    let mut l = good.clone();
    l[0] = "1CClientBank".to_owned();
    cases.push(("wrong first line", cp1251(&l), "not_1c_exchange", 1));
    // The second document is not closed before the third opens.
    let mut l = good.clone();
    let end = l
        .iter()
        .enumerate()
        .filter(|(_, x)| x.as_str() == "КонецДокумента")
        .nth(1)
        .unwrap()
        .0;
    l.remove(end);
    cases.push(("section not closed", cp1251(&l), "section_not_closed", doc(1)));
    // 31 February.
    let mut l = good.clone();
    let at = find("Дата=", 2);
    l[at] = "Дата=31.02.2026".to_owned();
    cases.push(("bad date", cp1251(&l), "bad_date", at + 1));
    // Thousands separated by a space.
    let mut l = good.clone();
    let at = find("Сумма=", 0);
    l[at] = "Сумма=118 000.00".to_owned();
    cases.push(("bad amount", cp1251(&l), "bad_amount", at + 1));
    // A byte windows-1251 has no letter for, in the fourth document's purpose.
    let at = find("НазначениеПлатежа=", 3);
    let mut bytes = Vec::new();
    for (i, line) in good.iter().enumerate() {
        bytes.extend(cp1251(std::slice::from_ref(line)));
        if i == at {
            let n = bytes.len();
            bytes.insert(n - 2, 0x98);
        }
    }
    cases.push(("invalid byte", bytes, "bad_encoding", at + 1));
    // A UTF-8 file with one broken sequence.
    let mut utf8 = good.join("\n").into_bytes();
    let text_at: usize = good[..at].iter().map(|l| l.len() + 1).sum::<usize>() + 10;
    utf8.insert(text_at, 0xD0);
    utf8.insert(text_at + 1, 0x28);
    cases.push(("broken UTF-8", utf8, "bad_encoding", at + 1));

    let counts = async || {
        (
            count(&app, "SELECT COUNT(*) FROM bank_statements").await,
            count(&app, "SELECT COUNT(*) FROM bank_statement_docs").await,
            count(&app, "SELECT COUNT(*) FROM payments").await,
            count(&app, "SELECT COUNT(*) FROM payment_allocations").await,
            count(&app, "SELECT CAST(COALESCE(SUM(paid), 0) AS BIGINT) FROM invoices").await,
        )
    };
    let before = counts().await;
    assert_eq!(before, (0, 0, 0, 0, 0));
    for (what, bytes, code, line) in cases {
        let (status, e) = import(&app, &d.cc.token, "en", bytes).await;
        assert_eq!((status, error_of(&e)), (422, ("file", code)), "{what}: {e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("Line {line}:")),
            "{what}: the message names line {line}: {message}"
        );
        assert_eq!(counts().await, before, "{what}: nothing was written");
    }
    // The good file goes in, so the refusals were about the damage alone.
    let (status, r) = import(&app, &d.cc.token, "en", cp1251(good)).await;
    assert_eq!((status, &r["matched"]), (201, &json!(3)), "{r}");
}

async fn statement_errors_are_told_in_the_callers_language(app: TestApp) {
    let d = desk(&app).await;
    let c = bank_case(&app, &d).await;
    let mut l = c.lines.clone();
    let at = l.iter().position(|x| x.starts_with("Дата=")).unwrap();
    l[at] = "Дата=2026-11-02".to_owned();
    let file = cp1251(&l);
    let (status, en) = import(&app, &d.cc.token, "en", file.clone()).await;
    assert_eq!((status, error_of(&en)), (422, ("file", "bad_date")), "{en}");
    let (status, ru) = import(&app, &d.cc.token, "ru", file).await;
    assert_eq!((status, error_of(&ru)), (422, ("file", "bad_date")), "{ru}");
    let (en, ru) = (
        en["error"]["message"].as_str().unwrap(),
        ru["error"]["message"].as_str().unwrap(),
    );
    assert!(en.starts_with(&format!("Line {}:", at + 1)), "{en}");
    assert!(ru.starts_with(&format!("Строка {}:", at + 1)), "{ru}");
    assert!(ru.contains("ДД.ММ.ГГГГ") && en.contains("DD.MM.YYYY"), "{en} / {ru}");
}

// ---- 6. receivables ----

async fn the_aging_report_buckets_open_invoices_within_the_callers_reach(app: TestApp) {
    let d = desk(&app).await;
    let x = app
        .counterparty("Клиент Ольги", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let y = app
        .counterparty("Клиент Игоря", Some(d.colleague.id), Some(d.f.department_a))
        .await;
    let z = app
        .counterparty("Уральский клиент", Some(d.other_manager.id), Some(d.f.department_b))
        .await;
    let mut n = 0;
    let mut inv = async |client: Uuid, due: i64, total: i64| {
        n += 1;
        invoice_row(&app, client, &format!("С-7{n:05}"), day(due - 14), day(due), total).await
    };
    for (due, total) in [(5, 10_000), (-10, 20_000), (-45, 30_000), (-75, 40_000), (-120, 50_000)] {
        inv(x, due, total).await;
    }
    // Bucket edges: 30 and 31, 90 and 91 days past due.
    for (due, total) in [(-10, 100_000), (-30, 300), (-31, 500), (-90, 700), (-91, 1_100)] {
        inv(y, due, total).await;
    }
    inv(z, -45, 700_000).await;
    // A settled invoice counts nowhere.
    let settled = inv(x, -200, 99_999).await;
    db_run!(&app.db, pool => {
        sqlx::query("UPDATE invoices SET paid = total WHERE id = $1").bind(settled).execute(pool).await.unwrap();
    });

    let buckets = |line: &Value| -> [String; 5] {
        ["not_due", "d1_30", "d31_60", "d61_90", "over_90"].map(|k| {
            line["aging"][k]
                .as_str()
                .unwrap_or_else(|| panic!("{k} in {line}"))
                .to_owned()
        })
    };
    let aging = |token: &str, query: &str| {
        let path = format!("/api/v1/receivables/aging{query}");
        let token = token.to_owned();
        let app = &app;
        async move { ok(app, &token, "GET", &path, None, 200).await }
    };

    let all = aging(&d.director.token, "").await;
    assert_eq!(
        buckets(&all["total"]),
        ["100.00", "1203.00", "7305.00", "407.00", "511.00"],
        "{all}"
    );
    assert_eq!(
        (
            &all["total"]["total"],
            &all["total"]["overdue"],
            &all["total"]["invoices"]
        ),
        (&json!("9526.00"), &json!("9426.00"), &json!(11)),
        "{all}"
    );
    let by_id = |list: &Value, id: Uuid| -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == json!(id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} not in {list}"))
    };
    assert_eq!(by_id(&all["departments"], d.f.department_a)["total"], "2526.00");
    assert_eq!(by_id(&all["departments"], d.f.department_b)["total"], "7000.00");
    assert_eq!(
        buckets(&by_id(&all["managers"], d.manager.id)),
        ["100.00", "200.00", "300.00", "400.00", "500.00"]
    );
    assert_eq!(
        all["clients"][0]["id"],
        json!(z),
        "the most overdue client first: {all}"
    );

    // One manager's clients.
    let olga = aging(&d.director.token, &format!("?manager_id={}", d.manager.id)).await;
    assert_eq!(
        buckets(&olga["total"]),
        ["100.00", "200.00", "300.00", "400.00", "500.00"],
        "{olga}"
    );
    let clients: Vec<&Value> = olga["clients"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(clients, vec![&json!(x)], "{olga}");
    // A manager sees his own clients, whoever he asks about.
    let own = aging(&d.manager.token, "").await;
    assert_eq!(own["total"]["total"], "1500.00", "{own}");
    let theirs = aging(&d.manager.token, &format!("?manager_id={}", d.other_manager.id)).await;
    assert_eq!(
        (&theirs["total"]["total"], &theirs["clients"]),
        (&json!("0.00"), &json!([])),
        "{theirs}"
    );
    // The head sees the department.
    let dept = aging(&d.head.token, "").await;
    assert_eq!(
        buckets(&dept["total"]),
        ["100.00", "1203.00", "305.00", "407.00", "511.00"],
        "{dept}"
    );
    assert!(
        !dept["clients"].as_array().unwrap().iter().any(|c| c["id"] == json!(z)),
        "{dept}"
    );

    // The balance on the card.
    let b = balance_of(&app, &d.manager.token, x).await;
    assert_eq!(
        (
            &b["receivable"],
            &b["overdue"],
            &b["max_days_overdue"],
            &b["advance"],
            &b["net"],
            &b["open_invoices"],
            &b["credit_limit"],
            &b["over_limit"]
        ),
        (
            &json!("1500.00"),
            &json!("1400.00"),
            &json!(120),
            &json!("0.00"),
            &json!("1500.00"),
            &json!(5),
            &json!("1500000.00"),
            &json!("0.00")
        ),
        "{b}"
    );
    let (status, _) = send(
        &app,
        &d.manager.token,
        "GET",
        &format!("/api/v1/counterparties/{z}/balance"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Over the limit: a limit of 1 000.00 against 1 500.00 owed.
    set_client(&app, x, "credit_limit = 100000").await;
    let b = balance_of(&app, &d.manager.token, x).await;
    assert_eq!(b["over_limit"], "500.00", "{b}");
}

async fn interest_under_article_395_and_the_contract_penalty_match_the_reference(app: TestApp) {
    let d = desk(&app).await;
    let c = app
        .counterparty("Должник", Some(d.manager.id), Some(d.f.department_a))
        .await;
    // The domain reference, example 1: 1 000 000.00 due 17.07.2023, paid 20.12.2023.
    let inv = invoice_row(
        &app,
        c,
        "С-2023-0457",
        date("2023-07-03"),
        date("2023-07-17"),
        100_000_000,
    )
    .await;
    paid_row(&app, c, Some(inv), date("2023-12-20"), 100_000_000, "311").await;
    let path = format!("/api/v1/invoices/{inv}/interest");
    let calc = ok(
        &app,
        &d.manager.token,
        "GET",
        &format!("{path}?until=2023-12-20"),
        None,
        200,
    )
    .await;
    let rows: Vec<(String, String, i64, i64, String)> = calc["interest"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_owned(),
                r["to"].as_str().unwrap().to_owned(),
                r["days"].as_i64().unwrap(),
                r["rate_bp"].as_i64().unwrap(),
                r["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("2023-07-18", "2023-07-23", 6, 750, "1232.88"),
        ("2023-07-24", "2023-08-14", 22, 850, "5123.29"),
        ("2023-08-15", "2023-09-17", 34, 1200, "11178.08"),
        ("2023-09-18", "2023-10-29", 42, 1300, "14958.90"),
        ("2023-10-30", "2023-12-17", 49, 1500, "20136.99"),
        ("2023-12-18", "2023-12-20", 3, 1600, "1315.07"),
    ]
    .map(|(a, b, d, r, m)| (a.to_owned(), b.to_owned(), d, r, m.to_owned()));
    assert_eq!(rows, want.to_vec(), "{calc}");
    assert_eq!(
        (&calc["interest"]["total"], &calc["debt"], &calc["penalty"]),
        (&json!("53945.21"), &json!("1000000.00"), &Value::Null),
        "{calc}"
    );
    // Paid in full: nothing more accrues after the payment day.
    let today_calc = ok(&app, &d.manager.token, "GET", &path, None, 200).await;
    assert_eq!(today_calc["interest"]["total"], "53945.21", "{today_calc}");
    // A contract penalty of 0.1 % a day: 1 000 000.00 × 0.001 × 156 days.
    set_client(&app, c, "penalty_daily_ppm = 1000").await;
    let calc = ok(&app, &d.manager.token, "GET", &path, None, 200).await;
    assert_eq!(
        (&calc["penalty"]["total"], &calc["penalty"]["capped"]),
        (&json!("156000.00"), &json!(false)),
        "{calc}"
    );
    assert_eq!(calc["interest"]["total"], "53945.21", "art. 395 is shown next to it");
    // Capped at 10 % of the debt.
    set_client(&app, c, "penalty_cap_bp = 1000").await;
    let calc = ok(&app, &d.manager.token, "GET", &path, None, 200).await;
    assert_eq!(
        (
            &calc["penalty"]["uncapped"],
            &calc["penalty"]["total"],
            &calc["penalty"]["capped"]
        ),
        (&json!("156000.00"), &json!("100000.00"), &json!(true)),
        "{calc}"
    );
    let (status, _) = send(&app, &d.other_manager.token, "GET", &path, None).await;
    assert_eq!(status, 404);
    let (status, e) = send(&app, &d.manager.token, "GET", &format!("{path}?until=2023-01-01"), None).await;
    assert_eq!((status, error_of(&e)), (422, ("until", "before_invoice")), "{e}");
}

// ---- 7. collections and the reconciliation act ----

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

async fn a_collection_case_goes_from_reminder_to_claim_and_waits_out_the_claim_term(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager.token;
    let c = app
        .counterparty("Должник", Some(d.manager.id), Some(d.f.department_a))
        .await;
    invoice_row(&app, c, "С-600001", day(-70), day(-40), 5_000_000).await;
    invoice_row(&app, c, "С-600002", day(-5), day(25), 1_000_000).await;
    let good = app
        .counterparty("Платит вовремя", Some(d.manager.id), Some(d.f.department_a))
        .await;
    invoice_row(&app, good, "С-600003", day(-5), day(25), 1_000_000).await;

    let open = |client: Uuid| format!("/api/v1/counterparties/{client}/collections");
    let (status, e) = send(&app, m, "POST", &open(good), Some(json!({}))).await;
    assert_eq!(
        (status, error_of(&e)),
        (422, ("counterparty_id", "no_overdue_debt")),
        "{e}"
    );
    let (status, e) = send(&app, &d.support.token, "POST", &open(c), Some(json!({}))).await;
    assert_eq!(status, 403, "sales support does not collect: {e}");
    let (status, e) = send(&app, &d.other_manager.token, "POST", &open(c), Some(json!({}))).await;
    assert_eq!(status, 404, "{e}");

    let case = ok(&app, m, "POST", &open(c), Some(json!({})), 201).await;
    assert_eq!(
        (&case["stage"], &case["debt"], &case["assignee_id"]),
        (&json!("reminder"), &json!("50000.00"), &json!(d.manager.id)),
        "only the overdue part: {case}"
    );
    let task: Uuid = case["steps"][0]["task_id"].as_str().expect("a task").parse().unwrap();
    let (kind, owner, client): (String, Uuid, Uuid) = db_run!(&app.db, pool => sqlx::query_as(
        "SELECT kind, owner_id, counterparty_id FROM activities WHERE id = $1")
        .bind(task).fetch_one(pool).await.unwrap());
    assert_eq!((kind.as_str(), owner, client), ("task", d.manager.id, c));
    let activity = ok(&app, m, "GET", &format!("/api/v1/activities/{task}"), None, 200).await;
    assert!(
        squeeze(activity["subject"].as_str().unwrap()).contains("50000,00"),
        "the task names the overdue debt: {activity}"
    );
    let (status, e) = send(&app, m, "POST", &open(c), Some(json!({}))).await;
    assert_eq!((status, error_of(&e).1), (422, "case_already_open"), "{e}");

    let stage = format!("/api/v1/collections/{}/stage", id_of(&case));
    let step = async |version: &Value, body: Value| {
        let mut b = body;
        b["version"] = version.clone();
        send(&app, m, "POST", &stage, Some(b)).await
    };
    let (status, e) = step(&case["version"], json!({ "stage": "claim", "claim_number": "П-1" })).await;
    assert_eq!(
        (status, error_of(&e)),
        (422, ("stage", "stage_not_allowed")),
        "one step at a time: {e}"
    );
    let (status, letter) = step(
        &case["version"],
        json!({ "stage": "letter", "note": "Письмо отправлено" }),
    )
    .await;
    assert_eq!(status, 200, "{letter}");
    assert_eq!(
        (&letter["stage"], letter["steps"].as_array().unwrap().len()),
        (&json!("letter"), 2),
        "{letter}"
    );
    let (status, e) = step(&case["version"], json!({ "stage": "claim", "claim_number": "П-17" })).await;
    assert_eq!((status, error_of(&e).1), (409, "version_conflict"), "{e}");
    let (status, e) = step(&letter["version"], json!({ "stage": "claim" })).await;
    assert_eq!((status, error_of(&e)), (422, ("claim_number", "required")), "{e}");
    let sent = day(-2);
    let (status, claim) = step(
        &letter["version"],
        json!({ "stage": "claim", "claim_number": "П-17", "claim_sent_on": iso(sent) }),
    )
    .await;
    assert_eq!(status, 200, "{claim}");
    let suit_from = claim_suit_date(sent, 30, &WorkCalendar::russian_default()).1;
    assert_eq!(
        (
            &claim["stage"],
            &claim["claim_number"],
            &claim["claim_sent_on"],
            &claim["claim_term_days"],
            &claim["suit_from"]
        ),
        (
            &json!("claim"),
            &json!("П-17"),
            &json!(iso(sent)),
            &json!(30),
            &json!(iso(suit_from))
        ),
        "{claim}"
    );
    let tasks = count(&app, "SELECT COUNT(*) FROM activities WHERE kind = 'task'").await;
    assert_eq!(tasks, 3, "a task for each step");
    let (status, e) = step(&claim["version"], json!({ "stage": "court" })).await;
    assert_eq!((status, error_of(&e)), (422, ("stage", "claim_term_running")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&iso(suit_from)), "{e}");

    let (status, ct, pdf) = get_bytes(&app, m, &format!("/api/v1/collections/{}/claim", id_of(&case))).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    if let Some(text) = pdf_text(&pdf) {
        let text = squeeze(&text);
        for want in ["П-17", "Должник", "С-600001", "50000,00"] {
            assert!(text.contains(want), "{want:?} is not in the claim:\n{text}");
        }
        assert!(
            !text.contains("С-600002"),
            "an invoice not yet due is not claimed:\n{text}"
        );
    } else {
        tool_present("pdftotext (poppler-utils) for reading the claim PDF", false);
    }
    let (status, _, _) = get_bytes(
        &app,
        &d.other_manager.token,
        &format!("/api/v1/collections/{}/claim", id_of(&case)),
    )
    .await;
    assert_eq!(status, 404);

    let (status, e) = step(&claim["version"], json!({ "stage": "closed" })).await;
    assert_eq!((status, error_of(&e)), (422, ("note", "required_to_close")), "{e}");
    let (status, closed) = step(&claim["version"], json!({ "stage": "closed", "note": "Долг погашен" })).await;
    assert_eq!((status, &closed["stage"]), (200, &json!("closed")), "{closed}");
    let list = ok(&app, m, "GET", "/api/v1/collections", None, 200).await;
    assert_eq!(list, json!([]), "no open cases");
}

async fn the_reconciliation_act_shows_the_opening_the_documents_and_the_closing(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager.token;
    let c = app
        .counterparty("Сверка", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let i1 = invoice_row(&app, c, "С-500001", date("2026-01-12"), date("2026-01-26"), 1_000_000).await;
    paid_row(&app, c, Some(i1), date("2026-02-05"), 400_000, "77").await;
    invoice_row(&app, c, "С-500002", date("2026-02-10"), date("2026-02-24"), 600_000).await;
    invoice_row(&app, c, "С-500003", date("2026-03-05"), date("2026-03-19"), 200_000).await;
    let path = format!("/api/v1/counterparties/{c}/reconciliation?from=2026-02-01&to=2026-02-28");
    let act = ok(&app, m, "GET", &format!("{path}&format=json"), None, 200).await;
    assert_eq!(
        (&act["opening"], &act["debit"], &act["credit"], &act["closing"]),
        (
            &json!("10000.00"),
            &json!("6000.00"),
            &json!("4000.00"),
            &json!("12000.00")
        ),
        "{act}"
    );
    let rows: Vec<(&str, &str, &str, &str, &str)> = act["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["number"].as_str().unwrap(),
                r["debit"].as_str().unwrap(),
                r["credit"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2026-02-05", "payment", "77", "0.00", "4000.00"),
            ("2026-02-10", "invoice", "С-500002", "6000.00", "0.00"),
        ],
        "{act}"
    );
    let (status, ct, pdf) = get_bytes(&app, m, &path).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    if let Some(text) = pdf_text(&pdf) {
        let text = squeeze(&text);
        for want in ["Сверка", "С-500002", "10000,00", "12000,00"] {
            assert!(text.contains(want), "{want:?} is not in the act:\n{text}");
        }
        assert!(
            !text.contains("С-500003"),
            "a later invoice is not in the period:\n{text}"
        );
    } else {
        tool_present("pdftotext (poppler-utils) for reading the reconciliation act", false);
    }
    let (status, e) = send(
        &app,
        m,
        "GET",
        &format!("/api/v1/counterparties/{c}/reconciliation?from=2026-03-01&to=2026-02-01&format=json"),
        None,
    )
    .await;
    assert_eq!((status, error_of(&e)), (422, ("from", "after_to")), "{e}");
    let (status, _) = send(
        &app,
        &d.other_manager.token,
        "GET",
        &format!("{path}&format=json"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

// ---- 8. write-offs ----

async fn a_write_off_waits_for_the_head_and_never_exceeds_the_open_amount(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager.token;
    let c = app
        .counterparty("Банкрот", Some(d.manager.id), Some(d.f.department_a))
        .await;
    let inv = invoice_row(&app, c, "С-400001", day(-300), day(-280), 3_000_000).await;
    let path = format!("/api/v1/invoices/{inv}/write-offs");
    let ask = |amount: &str, reason: &str| json!({ "amount": amount, "reason": reason });
    let (status, e) = send(&app, m, "POST", &path, Some(ask("30000.01", "Ликвидация"))).await;
    assert_eq!((status, error_of(&e)), (422, ("amount", "over_open_amount")), "{e}");
    let (status, e) = send(&app, m, "POST", &path, Some(ask("100.00", "  "))).await;
    assert_eq!((status, error_of(&e)), (422, ("reason", "required")), "{e}");
    let (status, e) = send(&app, &d.support.token, "POST", &path, Some(ask("100.00", "Ликвидация"))).await;
    assert_eq!(status, 403, "{e}");

    let w = ok(
        &app,
        m,
        "POST",
        &path,
        Some(ask("10000.00", "Клиент ликвидирован")),
        201,
    )
    .await;
    assert_eq!(
        (&w["status"], &w["amount"]),
        (&json!("pending"), &json!("10000.00")),
        "{w}"
    );
    let inbox = ok(&app, &d.head.token, "GET", "/api/v1/approvals", None, 200).await;
    let request = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["subject_id"] == w["id"])
        .cloned()
        .unwrap_or_else(|| panic!("the head's inbox has the write-off: {inbox}"));
    assert_eq!(request["subject_kind"], "write_off");
    assert_eq!(
        invoice_of(&app, m, &inv.to_string()).await["open"],
        "30000.00",
        "nothing yet"
    );
    let (status, e) = decide(&app, m, &request, true, None).await;
    assert_eq!(status, 403, "not by whoever asked: {e}");
    let (status, e) = decide(&app, &d.colleague.token, &request, true, None).await;
    assert_eq!(status, 404, "a fellow manager does not reach the client: {e}");
    let (status, e) = decide(&app, &d.support.token, &request, true, None).await;
    assert_eq!(status, 403, "sales support reaches the client but does not decide: {e}");
    let (status, e) = decide(&app, &d.head.token, &request, true, None).await;
    assert_eq!(status, 200, "{e}");
    let v = invoice_of(&app, m, &inv.to_string()).await;
    assert_eq!(
        (&v["written_off"], &v["open"]),
        (&json!("10000.00"), &json!("20000.00")),
        "{v}"
    );
    assert_eq!(balance_of(&app, m, c).await["receivable"], "20000.00");

    // Two requests that each fit but not together: the second approval is refused.
    let a = ok(&app, m, "POST", &path, Some(ask("15000.00", "Суд отказал")), 201).await;
    let b = ok(&app, m, "POST", &path, Some(ask("15000.00", "Суд отказал")), 201).await;
    let inbox = ok(&app, &d.cc.token, "GET", "/api/v1/approvals", None, 200).await;
    let find = |w: &Value| {
        inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["subject_id"] == w["id"])
            .cloned()
            .unwrap()
    };
    let (ra, rb) = (find(&a), find(&b));
    let (status, e) = decide(&app, &d.cc.token, &ra, true, None).await;
    assert_eq!(status, 200, "{e}");
    let (status, e) = decide(&app, &d.cc.token, &rb, true, None).await;
    assert_eq!((status, error_of(&e)), (422, ("amount", "over_open_amount")), "{e}");
    let v = invoice_of(&app, m, &inv.to_string()).await;
    assert_eq!(
        (&v["written_off"], &v["open"]),
        (&json!("25000.00"), &json!("5000.00")),
        "{v}"
    );
}

// ---- 9. returns, refusals and acts ----

async fn refusals_returns_and_acts_of_shortage_credit_what_the_client_owes(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    let o = take_order(
        &app,
        m,
        s.client,
        json!([{ "product_id": s.flour, "quantity": "10" }, { "product_id": s.sugar, "quantity": "4" }]),
    )
    .await;
    assert_eq!(o["total"], "10222.00");
    let o = submit(&app, m, &o).await;
    let id = id_of(&o).to_owned();
    let returns = format!("/api/v1/orders/{id}/returns");

    // The client no longer wants 3 of the 10 sacks.
    let refusal = json!({ "kind": "refusal", "reason": "not_needed", "lines": [{ "line_no": 1, "quantity": "3" }] });
    let o = ok(&app, m, "POST", &returns, Some(refusal), 201).await;
    assert_eq!(o["lines"][0]["returned"], "3", "{o}");
    assert_eq!(
        (&o["returns"][0]["kind"], &o["returns"][0]["amount"]),
        (&json!("refusal"), &json!("3000.00")),
        "{o}"
    );
    let (status, e) = ship(
        &app,
        &d,
        &d.support.token,
        &id,
        today(),
        json!([{ "line_no": 1, "quantity": "8" }]),
    )
    .await;
    assert_eq!((status, error_of(&e)), (422, ("quantity", "over_ordered")), "{e}");
    let (status, sh) = ship(&app, &d, &d.support.token, &id, today(), json!([])).await;
    assert_eq!(status, 201, "{sh}");
    let shipped: Vec<(i64, &str, &str)> = sh["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["order_line_no"].as_i64().unwrap(),
                l["quantity"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(shipped, vec![(1, "7", "7000.00"), (2, "4", "222.00")], "{sh}");
    assert_eq!(order_of(&app, m, &id).await["status"], "shipped");
    let inv = invoice_shipment(&app, &d.support.token, &sh).await;
    assert_eq!(inv["total"], "7222.00", "{inv}");
    let inv_id = id_of(&inv).to_owned();

    // Two sacks come back with a defect.
    let back = |qty: &str, shipment: Option<&str>| {
        json!({ "kind": "return", "reason": "defect", "comment": "Мука с жучком",
                "shipment_id": shipment, "lines": [{ "line_no": 1, "quantity": qty }] })
    };
    let (status, e) = send(&app, m, "POST", &returns, Some(back("2", None))).await;
    assert_eq!((status, error_of(&e)), (422, ("shipment_id", "required")), "{e}");
    let (status, e) = send(&app, m, "POST", &returns, Some(back("8", Some(id_of(&sh))))).await;
    assert_eq!((status, error_of(&e)), (422, ("quantity", "over_shipped")), "{e}");
    ok(&app, m, "POST", &returns, Some(back("2", Some(id_of(&sh)))), 201).await;
    let v = invoice_of(&app, m, &inv_id).await;
    assert_eq!(
        (&v["credited"], &v["open"]),
        (&json!("2000.00"), &json!("5222.00")),
        "{v}"
    );

    let analysis = ok(&app, m, "GET", "/api/v1/returns/analysis?by=reason", None, 200).await;
    let mut groups: Vec<(&str, i64, &str, &str)> = analysis
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap(),
                g["returns"].as_i64().unwrap(),
                g["quantity"].as_str().unwrap(),
                g["amount"].as_str().unwrap(),
            )
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![("defect", 1, "2", "2000.00"), ("not_needed", 1, "3", "3000.00")],
        "{analysis}"
    );
    let only = ok(
        &app,
        m,
        "GET",
        "/api/v1/returns/analysis?by=reason&kind=return",
        None,
        200,
    )
    .await;
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    let (_, theirs) = send(&app, &d.other_manager.token, "GET", "/api/v1/returns/analysis", None).await;
    assert_eq!(theirs, json!([]), "another department sees none of it");

    // One kilogram of sugar was missing on arrival.
    let act = ok(
        &app,
        m,
        "POST",
        &format!("/api/v1/shipments/{}/acts", id_of(&sh)),
        Some(json!({ "kind": "shortage", "lines": [{ "line_no": 2, "quantity": "1" }], "comment": "Недовес" })),
        201,
    )
    .await;
    assert_eq!(
        (&act["status"], &act["amount"], &act["kind"]),
        (&json!("open"), &json!("55.50"), &json!("shortage")),
        "{act}"
    );
    assert_eq!(
        invoice_of(&app, m, &inv_id).await["open"],
        "5222.00",
        "an open act credits nothing"
    );
    let decision = format!("/api/v1/acts/{}/decision", id_of(&act));
    let (status, e) = send(&app, m, "POST", &decision, Some(json!({ "accept": true }))).await;
    assert_eq!(status, 403, "{e}");
    let accepted = ok(
        &app,
        &d.support.token,
        "POST",
        &decision,
        Some(json!({ "accept": true })),
        200,
    )
    .await;
    assert_eq!(accepted["status"], "accepted", "{accepted}");
    let (status, e) = send(
        &app,
        &d.support.token,
        "POST",
        &decision,
        Some(json!({ "accept": false })),
    )
    .await;
    assert_eq!((status, error_of(&e)), (422, ("status", "act_decided")), "{e}");
    let v = invoice_of(&app, m, &inv_id).await;
    assert_eq!(
        (&v["credited"], &v["open"]),
        (&json!("2055.50"), &json!("5166.50")),
        "{v}"
    );
    assert_eq!(balance_of(&app, m, s.client).await["receivable"], "5166.50");

    // Goods returned and found short before the shipment is invoiced: the invoice comes out
    // credited by both.
    let o2 = take_order(
        &app,
        m,
        s.client,
        json!([{ "product_id": s.flour, "quantity": "2" }, { "product_id": s.sugar, "quantity": "2" }]),
    )
    .await;
    let o2 = submit(&app, m, &o2).await;
    let id2 = id_of(&o2).to_owned();
    let (status, sh2) = ship(&app, &d, &d.support.token, &id2, today(), json!([])).await;
    assert_eq!((status, &sh2["amount"]), (201, &json!("2111.00")), "{sh2}");
    ok(
        &app,
        m,
        "POST",
        &format!("/api/v1/orders/{id2}/returns"),
        Some(
            json!({ "kind": "return", "reason": "damaged", "shipment_id": id_of(&sh2),
                     "lines": [{ "line_no": 1, "quantity": "1" }] }),
        ),
        201,
    )
    .await;
    let act2 = ok(
        &app,
        m,
        "POST",
        &format!("/api/v1/shipments/{}/acts", id_of(&sh2)),
        Some(json!({ "kind": "shortage", "lines": [{ "line_no": 2, "quantity": "1" }] })),
        201,
    )
    .await;
    ok(
        &app,
        &d.support.token,
        "POST",
        &format!("/api/v1/acts/{}/decision", id_of(&act2)),
        Some(json!({ "accept": true })),
        200,
    )
    .await;
    let inv2 = invoice_shipment(&app, &d.support.token, &sh2).await;
    assert_eq!(
        (&inv2["total"], &inv2["credited"], &inv2["open"]),
        (&json!("2111.00"), &json!("1055.50"), &json!("1055.50")),
        "{inv2}"
    );
    let b = balance_of(&app, m, s.client).await;
    assert_eq!(b["receivable"], "6222.00", "{b}");
    // The reconciliation act agrees with the balance.
    let act = ok(
        &app,
        m,
        "GET",
        &format!(
            "/api/v1/counterparties/{}/reconciliation?from={}&to={}&format=json",
            s.client,
            iso(day(-3)),
            iso(today())
        ),
        None,
        200,
    )
    .await;
    assert_eq!(act["closing"], b["net"], "{act}");
}

/// A return of goods already paid for: the invoice cannot owe less than nothing, so the money
/// becomes the client's credit balance (never lost), shown as an advance, in the reconciliation
/// act once, and taken by the next invoice.
async fn a_return_after_payment_leaves_a_credit_balance_that_the_next_invoice_takes(app: TestApp) {
    let d = desk(&app).await;
    let s = shop(&app, &d).await;
    let m = &d.manager.token;
    let o = take_order(&app, m, s.client, json!([{ "product_id": s.flour, "quantity": "3" }])).await;
    let o = submit(&app, m, &o).await;
    let id = id_of(&o).to_owned();
    let (status, sh) = ship(&app, &d, &d.support.token, &id, today(), json!([])).await;
    assert_eq!(status, 201, "{sh}");
    let inv = invoice_shipment(&app, &d.support.token, &sh).await;
    let pay = json!({ "counterparty_id": s.client, "paid_on": today().to_string(), "amount": "3000.00",
                      "doc_number": "77", "purpose": "Оплата" });
    ok(&app, &d.cc.token, "POST", "/api/v1/payments", Some(pay), 201).await;
    assert_eq!(order_of(&app, m, &id).await["status"], "paid");

    let back = json!({ "kind": "return", "reason": "defect", "shipment_id": id_of(&sh),
                       "lines": [{ "line_no": 1, "quantity": "1" }] });
    ok(
        &app,
        m,
        "POST",
        &format!("/api/v1/orders/{id}/returns"),
        Some(back),
        201,
    )
    .await;
    let v = invoice_of(&app, m, id_of(&inv)).await;
    assert_eq!((&v["credited"], &v["open"]), (&json!("0.00"), &json!("0.00")), "{v}");
    let b = balance_of(&app, m, s.client).await;
    assert_eq!(
        (&b["receivable"], &b["advance"], &b["net"]),
        (&json!("0.00"), &json!("1000.00"), &json!("-1000.00")),
        "{b}"
    );
    let from = (today() - chrono::Duration::days(30)).to_string();
    let rec = ok(
        &app,
        m,
        "GET",
        &format!(
            "/api/v1/counterparties/{}/reconciliation?from={from}&to={}&format=json",
            s.client,
            today()
        ),
        None,
        200,
    )
    .await;
    assert_eq!(rec["closing"], "-1000.00", "the return counts once: {rec}");
    assert_ledger_consistent(&app).await;

    // The next order's invoice takes the credit first.
    let o2 = take_order(&app, m, s.client, json!([{ "product_id": s.flour, "quantity": "2" }])).await;
    let o2 = submit(&app, m, &o2).await;
    let id2 = id_of(&o2).to_owned();
    let (status, sh2) = ship(&app, &d, &d.support.token, &id2, today(), json!([])).await;
    assert_eq!(status, 201, "{sh2}");
    let inv2 = invoice_shipment(&app, &d.support.token, &sh2).await;
    assert_eq!(
        (&inv2["paid"], &inv2["open"]),
        (&json!("1000.00"), &json!("1000.00")),
        "{inv2}"
    );
    let b = balance_of(&app, m, s.client).await;
    assert_eq!(
        (&b["receivable"], &b["advance"]),
        (&json!("1000.00"), &json!("0.00")),
        "{b}"
    );
}
