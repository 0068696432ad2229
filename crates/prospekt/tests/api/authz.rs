//! The authorization matrix: every API route (taken from the OpenAPI document, so a new
//! route cannot be forgotten) × every role × a record of the actor's own department and one
//! of another department → the expected status. A route missing here fails the test.

use chrono::{SubsecRound, Utc};
use prospekt_storage::db_run;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Fixture, ProductSeed, TestApp};

crate::on_both_databases!(every_route_answers_every_role_as_the_matrix_says);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// No record involved (collections), or a record in the actor's own department.
    Own,
    /// A record of another department.
    Other,
}

const ROLES: [&str; 8] = [
    "manager",
    "key_account_manager",
    "head_of_department",
    "commercial_director",
    "sales_support",
    "credit_controller",
    "administrator",
    "general_director",
];

/// Routes without an id in the path that still act on a record, user or department of the
/// actor's own department or of another one (named in the body or the query).
const TARGETED: [&str; 12] = [
    "POST /api/v1/absences",
    "POST /api/v1/activities",
    "GET /api/v1/activities",
    "GET /api/v1/activities/overdue",
    "GET /api/v1/plan/week",
    "GET /api/v1/plan/priorities",
    "GET /api/v1/contact-rules",
    "PUT /api/v1/contact-rules",
    "POST /api/v1/deals",
    "GET /api/v1/deals/board",
    "POST /api/v1/orders",
    "POST /api/v1/payments",
];

/// Roles that take orders (crates/app/src/orders.rs).
fn takes_orders(role: &str) -> bool {
    matches!(
        role,
        "manager" | "key_account_manager" | "head_of_department" | "commercial_director" | "sales_support"
    )
}

/// Roles that enter payments and import bank statements (crates/app/src/receivables.rs).
fn handles_money(role: &str) -> bool {
    matches!(role, "credit_controller" | "sales_support" | "commercial_director")
}

/// The expected status for a route, role and target. Every route of the API must be here.
fn expected(route: &str, role: &str, t: Target) -> u16 {
    let admin = role == "administrator";
    let all_seeing = matches!(
        role,
        "administrator" | "commercial_director" | "general_director" | "credit_controller"
    );
    let own = t == Target::Own;
    match route {
        "GET /api/v1/me"
        | "GET /api/v1/counterparties"
        | "GET /api/v1/users"
        | "GET /api/v1/departments"
        | "GET /api/v1/territories"
        | "GET /api/v1/absences"
        | "GET /api/v1/tokens"
        | "GET /api/v1/counterparties/stale"
        | "GET /api/v1/duplicates" => 200,
        "GET /api/v1/search" => 200,
        "POST /api/v1/session" => 200,
        "DELETE /api/v1/session" => 204,
        "POST /api/v1/me/password" => 204,
        "POST /api/v1/tokens" => 201,
        "DELETE /api/v1/tokens/{id}" => {
            if own || admin {
                204
            } else {
                404
            }
        }
        "GET /api/v1/counterparties/{id}"
        | "GET /api/v1/counterparties/{id}/contacts"
        | "GET /api/v1/counterparties/{id}/bank-accounts"
        | "GET /api/v1/counterparties/{id}/history"
        | "GET /api/v1/contacts/{id}" => {
            if own || all_seeing {
                200
            } else {
                404
            }
        }
        "POST /api/v1/counterparties" => {
            if matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            ) {
                201
            } else {
                403
            }
        }
        "POST /api/v1/counterparties/{id}/contacts" | "POST /api/v1/counterparties/{id}/bank-accounts" => {
            let editor = matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            );
            match (own || all_seeing, editor) {
                (false, _) => 404,
                (true, true) => 201,
                (true, false) => 403,
            }
        }
        "PATCH /api/v1/counterparties/{id}"
        | "PATCH /api/v1/contacts/{id}"
        | "POST /api/v1/counterparties/{id}/archive"
        | "POST /api/v1/counterparties/{id}/restore"
        | "POST /api/v1/counterparties/{id}/merge" => {
            let editor = matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            );
            match (own || all_seeing, editor) {
                (false, _) => 404,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        "DELETE /api/v1/bank-accounts/{id}" => {
            let editor = matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            );
            match (own || all_seeing, editor) {
                (false, _) => 404,
                (true, true) => 204,
                (true, false) => 403,
            }
        }
        "POST /api/v1/users" => {
            if admin {
                201
            } else {
                403
            }
        }
        "GET /api/v1/users/{id}" | "GET /api/v1/users/{id}/territories" => {
            if own || all_seeing {
                200
            } else {
                404
            }
        }
        "PATCH /api/v1/users/{id}" => match (own || all_seeing, admin) {
            (false, _) => 404,
            (true, true) => 200,
            (true, false) => 403,
        },
        "POST /api/v1/users/{id}/password" => match (own || all_seeing, admin) {
            (false, _) => 404,
            (true, true) => 204,
            (true, false) => 403,
        },
        "PUT /api/v1/users/{id}/territories" => {
            match (own || all_seeing, admin || (role == "head_of_department" && own)) {
                (false, _) => 404,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        "POST /api/v1/departments" | "POST /api/v1/territories" => {
            if admin {
                201
            } else {
                403
            }
        }
        "POST /api/v1/absences" => {
            if matches!(role, "administrator" | "commercial_director") || (role == "head_of_department" && own) {
                201
            } else {
                403
            }
        }
        "DELETE /api/v1/absences/{id}" => {
            let visible = matches!(role, "administrator" | "commercial_director" | "general_director")
                || (role == "head_of_department" && own);
            let manages =
                matches!(role, "administrator" | "commercial_director") || (role == "head_of_department" && own);
            match (visible, manages) {
                (false, _) => 404,
                (true, true) => 204,
                (true, false) => 403,
            }
        }
        // The export permission is per user (off for every user here), whatever the role.
        "GET /api/v1/counterparties/export" | "GET /api/v1/counterparties/{id}/contacts/vcard" => 403,
        "POST /api/v1/imports/counterparties" => {
            if matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            ) {
                200
            } else {
                403
            }
        }
        "GET /api/v1/audit-log" => {
            if matches!(role, "administrator" | "commercial_director" | "general_director") {
                200
            } else {
                403
            }
        }
        // The contact plan (crates/app/src/plan.rs). Everyone has their own calendar feed.
        "GET /api/v1/me/calendar-feed" => 200,
        "POST /api/v1/me/calendar-feed" => 201,
        "DELETE /api/v1/me/calendar-feed" => 204,
        // A user's plan is open to whoever reaches that user's records; the target is a manager
        // of the actor's department or of another one, so a fellow manager is out of reach.
        "GET /api/v1/activities"
        | "GET /api/v1/activities/overdue"
        | "GET /api/v1/plan/week"
        | "GET /api/v1/plan/priorities" => {
            if all_seeing || (own && matches!(role, "head_of_department" | "sales_support")) {
                200
            } else {
                404
            }
        }
        // An activity is reached through its client; planning and changing need a client editor.
        "GET /api/v1/activities/{id}" => {
            if own || all_seeing {
                200
            } else {
                404
            }
        }
        "POST /api/v1/activities"
        | "PATCH /api/v1/activities/{id}"
        | "POST /api/v1/activities/{id}/complete"
        | "POST /api/v1/activities/{id}/repeat" => {
            let editor = matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            );
            let created = matches!(route, "POST /api/v1/activities" | "POST /api/v1/activities/{id}/repeat");
            match (own || all_seeing, editor) {
                (false, _) => 404,
                (true, true) if created => 201,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Everyone reads the rules of their own department; other departments' only in reach.
        "GET /api/v1/contact-rules" => {
            if own || all_seeing {
                200
            } else {
                404
            }
        }
        // The head sets the department's rules; the commercial director and the administrator any.
        "PUT /api/v1/contact-rules" => {
            if matches!(role, "commercial_director" | "administrator") || (role == "head_of_department" && own) {
                200
            } else {
                403
            }
        }
        // The catalogue (crates/app/src/catalog.rs): everyone reads it; the commercial director
        // and the administrator change it. Catalogue records belong to no department.
        "GET /api/v1/price-columns"
        | "GET /api/v1/products"
        | "GET /api/v1/products/{id}"
        | "GET /api/v1/vat-rates"
        | "GET /api/v1/promotions"
        | "GET /api/v1/promotions/{id}" => 200,
        "POST /api/v1/price-columns" | "POST /api/v1/products" | "POST /api/v1/promotions" => {
            if matches!(role, "commercial_director" | "administrator") {
                201
            } else {
                403
            }
        }
        "PATCH /api/v1/price-columns/{id}"
        | "PUT /api/v1/products/{id}"
        | "POST /api/v1/products/{id}/prices"
        | "PUT /api/v1/vat-rates"
        | "PUT /api/v1/promotions/{id}" => {
            if matches!(role, "commercial_director" | "administrator") {
                200
            } else {
                403
            }
        }
        // A user's discount limit: the head for the department, the commercial director and the
        // administrator for anyone; a user outside the actor's directory is not found.
        "PUT /api/v1/users/{id}/discount-limit" => {
            let sets = matches!(role, "commercial_director" | "administrator") || (role == "head_of_department" && own);
            match (own || all_seeing, sets) {
                (false, _) => 404,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Deals and offers (crates/app/src/deals.rs, offers.rs) are reached through the client;
        // roles that edit clients change them.
        "GET /api/v1/deals" | "GET /api/v1/approvals" | "GET /api/v1/settings/company" => 200,
        // Whose board: a manager of the actor's department or of another one (like the plan).
        "GET /api/v1/deals/board" => {
            if all_seeing || (own && matches!(role, "head_of_department" | "sales_support")) {
                200
            } else {
                404
            }
        }
        "GET /api/v1/deals/{id}"
        | "GET /api/v1/deals/{id}/history"
        | "GET /api/v1/offers/{id}"
        | "GET /api/v1/offers/{id}/pdf" => {
            if own || all_seeing {
                200
            } else {
                404
            }
        }
        "POST /api/v1/deals"
        | "PATCH /api/v1/deals/{id}"
        | "POST /api/v1/deals/{id}/offers"
        | "PUT /api/v1/offers/{id}"
        | "POST /api/v1/offers/{id}/approval"
        | "POST /api/v1/offers/{id}/send"
        | "POST /api/v1/offers/{id}/decision"
        | "POST /api/v1/offers/{id}/revisions" => {
            let editor = matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "commercial_director"
            );
            let created = matches!(
                route,
                "POST /api/v1/deals" | "POST /api/v1/deals/{id}/offers" | "POST /api/v1/offers/{id}/revisions"
            );
            match (own || all_seeing, editor) {
                (false, _) => 404,
                (true, true) if created => 201,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Decided by the head of the client's department or the commercial director; the request
        // here is a colleague's (own department) or the other department's manager's.
        "POST /api/v1/approvals/{id}/decision" => {
            let decides = role == "commercial_director" || (role == "head_of_department" && own);
            match (own || all_seeing, decides) {
                (false, _) => 404,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        "PUT /api/v1/settings/company" => {
            if matches!(role, "administrator" | "commercial_director") {
                200
            } else {
                403
            }
        }
        // Orders, receivables and bank statements (crates/app/src/orders.rs, receivables.rs,
        // bank.rs) are reached through the client; lists are filtered by reach.
        "GET /api/v1/orders"
        | "GET /api/v1/returns/analysis"
        | "GET /api/v1/invoices"
        | "GET /api/v1/receivables/aging"
        | "GET /api/v1/collections"
        | "GET /api/v1/key-rates" => 200,
        "GET /api/v1/orders/{id}"
        | "GET /api/v1/invoices/{id}"
        | "GET /api/v1/invoices/{id}/interest"
        | "GET /api/v1/payments/{id}"
        | "GET /api/v1/counterparties/{id}/balance"
        | "GET /api/v1/counterparties/{id}/credit-terms"
        | "GET /api/v1/counterparties/{id}/payments"
        | "GET /api/v1/counterparties/{id}/reconciliation"
        | "GET /api/v1/counterparties/{id}/collections"
        | "GET /api/v1/collections/{id}"
        | "GET /api/v1/collections/{id}/claim" => {
            if own || all_seeing {
                200
            } else {
                404
            }
        }
        // Credit terms are set by whoever answers for the debt, never by the seller.
        "PUT /api/v1/counterparties/{id}/credit-terms" => {
            let sets_terms = matches!(role, "credit_controller" | "head_of_department" | "commercial_director");
            match (own || all_seeing, sets_terms) {
                (false, _) => 404,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Managers, heads, the commercial director and sales support take orders; the client
        // is named in the body, so one out of reach is not found.
        "POST /api/v1/orders" => match (takes_orders(role), own || all_seeing) {
            (false, _) => 403,
            (true, true) => 201,
            (true, false) => 404,
        },
        "PUT /api/v1/orders/{id}"
        | "POST /api/v1/orders/{id}/submit"
        | "POST /api/v1/orders/{id}/returns"
        | "POST /api/v1/shipments/{id}/acts" => {
            let created = matches!(
                route,
                "POST /api/v1/orders/{id}/returns" | "POST /api/v1/shipments/{id}/acts"
            );
            match (own || all_seeing, takes_orders(role)) {
                (false, _) => 404,
                (true, true) if created => 201,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Sales support, heads and the commercial director run fulfilment.
        "POST /api/v1/orders/{id}/actions"
        | "POST /api/v1/orders/{id}/shipments"
        | "POST /api/v1/shipments/{id}/delivery"
        | "POST /api/v1/shipments/{id}/invoice"
        | "POST /api/v1/acts/{id}/decision" => {
            let fulfils = matches!(role, "sales_support" | "head_of_department" | "commercial_director");
            let created = matches!(
                route,
                "POST /api/v1/orders/{id}/shipments" | "POST /api/v1/shipments/{id}/invoice"
            );
            match (own || all_seeing, fulfils) {
                (false, _) => 404,
                (true, true) if created => 201,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Collection steps and write-off requests: the client's managers, heads, the credit
        // controller and the commercial director.
        "POST /api/v1/invoices/{id}/write-offs"
        | "POST /api/v1/counterparties/{id}/collections"
        | "POST /api/v1/collections/{id}/stage" => {
            let collects = matches!(
                role,
                "manager" | "key_account_manager" | "head_of_department" | "credit_controller" | "commercial_director"
            );
            let created = route != "POST /api/v1/collections/{id}/stage";
            match (own || all_seeing, collects) {
                (false, _) => 404,
                (true, true) if created => 201,
                (true, true) => 200,
                (true, false) => 403,
            }
        }
        // Money: the credit controller, sales support and the commercial director.
        "POST /api/v1/payments" => match (handles_money(role), own || all_seeing) {
            (false, _) => 403,
            (true, true) => 201,
            (true, false) => 404,
        },
        "POST /api/v1/payments/{id}/allocations" => match (own || all_seeing, handles_money(role)) {
            (false, _) => 404,
            (true, true) => 200,
            (true, false) => 403,
        },
        // Bank statements belong to no department.
        "POST /api/v1/bank-statements" => {
            if handles_money(role) {
                201
            } else {
                403
            }
        }
        "GET /api/v1/bank-statements" | "GET /api/v1/bank-statements/queue" | "GET /api/v1/bank-statements/{id}" => {
            if handles_money(role) {
                200
            } else {
                403
            }
        }
        // Resolving a queued payment names the client: one out of reach is refused as unknown.
        "POST /api/v1/bank-statement-docs/{id}/resolution" => match (handles_money(role), own || all_seeing) {
            (false, _) => 403,
            (true, true) => 200,
            (true, false) => 422,
        },
        // The key-rate table and the working-day calendar: the credit controller and the
        // administrator.
        "PUT /api/v1/key-rates" => {
            if matches!(role, "credit_controller" | "administrator") {
                200
            } else {
                403
            }
        }
        "PUT /api/v1/work-calendar" => {
            if matches!(role, "credit_controller" | "administrator") {
                204
            } else {
                403
            }
        }
        other => panic!("route {other} is missing from the authorization matrix: add its expected statuses"),
    }
}

/// Routes from the OpenAPI document as "METHOD /path".
async fn api_routes(app: &TestApp) -> Vec<String> {
    let doc: Value = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                routes.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    // Changing the password last: the other checks of the role use the same user.
    routes.sort_by_key(|r| (r == "POST /api/v1/me/password", r.clone()));
    routes
}

struct World {
    f: Fixture,
    other_manager: Uuid,
    other_manager_token_id: Uuid,
    territory: Uuid,
    /// A price column and a product priced in it (1 000.00), for deals and offers.
    column: Uuid,
    product: Uuid,
    /// A commercial director who sets up orders, shipments and cases through the API.
    director: String,
    seq: u32,
}

async fn version_of(app: &TestApp, table: &str, id: Uuid) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT version FROM {table} WHERE id = $1"));
    db_run!(&app.db, pool => sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(pool).await.unwrap())
}

async fn absence_for(app: &TestApp, user: Uuid, substitute: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    let today = Utc::now().date_naive();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO absences (id, user_id, substitute_id, kind, starts_on, ends_on, created_at) \
                     VALUES ($1, $2, $3, 'leave', $4, $5, $6)")
            .bind(id).bind(user).bind(substitute).bind(today + chrono::Days::new(30)).bind(today + chrono::Days::new(40))
            .bind(Utc::now().trunc_subsecs(6)).execute(pool).await.unwrap();
    });
    id
}

/// A planned call tomorrow on a new client of `owner` in `department`, performed by `owner`.
async fn activity_for(app: &TestApp, owner: Uuid, department: Uuid, seq: u32) -> Uuid {
    let cp = app
        .counterparty(&format!("Клиент {seq}"), Some(owner), Some(department))
        .await;
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO activities (id, counterparty_id, owner_id, kind, subject, planned_at, duration_min, \
                     status, version, created_at, updated_at) VALUES ($1, $2, $3, 'call', 'Звонок', $4, 15, 'planned', 1, $5, $5)")
            .bind(id).bind(cp).bind(owner).bind(now + chrono::Duration::days(1)).bind(now)
            .execute(pool).await.unwrap();
    });
    id
}

/// A product of its own for a route that changes it.
async fn product_for(app: &TestApp, w: &World, seq: u32) -> Uuid {
    let (sku, name) = (format!("SKU-{seq}"), format!("Товар {seq}"));
    app.product(ProductSeed::standard(&sku, &name, "Матрица"), &[(w.column, 100_000)])
        .await
}

/// A 5 % promotion on a group no offer here uses.
async fn promotion(app: &TestApp, seq: u32) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    let today = Utc::now().date_naive();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO promotions (id, name, kind, rate, valid_from, valid_to, product_ids, product_groups, \
                     tiers, statuses, version, created_at, updated_at) \
                     VALUES ($1, $2, 'discount', 500, $3, $4, '[]', '[\"Нет такой\"]', '[]', '[]', 1, $5, $5)")
            .bind(id).bind(format!("Акция {seq}")).bind(today).bind(today + chrono::Days::new(30)).bind(now)
            .execute(pool).await.unwrap();
    });
    id
}

/// A deal at first contact with a new client of `owner` in `department`.
async fn deal_for(app: &TestApp, owner: Uuid, department: Uuid, seq: u32) -> Uuid {
    let cp = app
        .counterparty(&format!("Клиент {seq}"), Some(owner), Some(department))
        .await;
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO deals (id, counterparty_id, owner_id, title, stage, amount, probability, version, \
                     created_at, updated_at, stage_changed_at) VALUES ($1, $2, $3, 'Поставка', 'first_contact', 0, 10, 1, $4, $4, $4)")
            .bind(id).bind(cp).bind(owner).bind(now).execute(pool).await.unwrap();
    });
    id
}

/// An offer (one line: the world's product, 1 × 1 000.00) on a new deal of `owner` in
/// `department`, with the stored `status` and `approval`.
async fn offer_for(app: &TestApp, w: &World, owner: Uuid, department: Uuid, status: &str, approval: &str) -> Uuid {
    let deal = deal_for(app, owner, department, w.seq).await;
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    let today = Utc::now().date_naive();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO offers (id, number, revision, deal_id, counterparty_id, owner_id, status, approval, \
                     price_column_id, vat_mode, rounding, priced_on, valid_until, intro, total_without_vat, total_vat, \
                     total_with_vat, total_discount, total_bonus, version, created_by, created_at, updated_at) \
                     SELECT $1, $2, 1, d.id, d.counterparty_id, d.owner_id, $3, $4, $5, 'included', 'per_line', $6, $7, \
                     'Предлагаем', 81967, 18033, 100000, 0, 0, 1, d.owner_id, $8, $8 FROM deals d WHERE d.id = $9")
            .bind(id).bind(format!("М-{}", w.seq)).bind(status).bind(approval).bind(w.column).bind(today)
            .bind(today + chrono::Days::new(14)).bind(now).bind(deal)
            .execute(pool).await.unwrap();
        sqlx::query("INSERT INTO offer_lines (offer_id, line_no, product_id, quantity, list_price, manual_discount, \
                     promotion_discount, bonus_rate, unit_price, vat_rate, amount_without_vat, vat_amount, amount_with_vat, \
                     discount_amount, bonus) VALUES ($1, 1, $2, 1000, 100000, 0, 0, 0, 100000, '22', 81967, 18033, 100000, 0, 0)")
            .bind(id).bind(w.product).execute(pool).await.unwrap();
    });
    id
}

/// A pending request by `requester` to allow an offer's prices, on a client of `owner`.
async fn approval_for(app: &TestApp, w: &World, owner: Uuid, department: Uuid, requester: Uuid) -> Uuid {
    let offer = offer_for(app, w, owner, department, "draft", "pending").await;
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO approvals (id, subject_kind, subject_id, counterparty_id, department_id, requested_by, \
                     reason, details, status, version, created_at) \
                     SELECT $1, 'offer', o.id, o.counterparty_id, $2, $3, 'Крупный заказ', '{}', 'pending', 1, $4 \
                     FROM offers o WHERE o.id = $5")
            .bind(id).bind(department).bind(requester).bind(now).bind(offer)
            .execute(pool).await.unwrap();
    });
    id
}

/// The stored version of a company setting (0 while never set).
async fn setting_version(app: &TestApp, key: &str) -> i64 {
    db_run!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT version FROM settings WHERE key = $1")
        .bind(key).fetch_optional(pool).await.unwrap())
    .unwrap_or(0)
}

/// The stored version of a contact-rule scope (0 while it has no set of its own).
async fn rule_set_version(app: &TestApp, scope: Uuid) -> i64 {
    db_run!(&app.db, pool => sqlx::query_scalar::<_, i64>("SELECT version FROM contact_rule_sets WHERE scope = $1")
        .bind(scope.to_string()).fetch_optional(pool).await.unwrap())
    .unwrap_or(0)
}

/// A request the fixture director makes to set records up; its body.
async fn setup(app: &TestApp, w: &World, method: &str, path: &str, body: Value) -> Value {
    let res = app
        .http
        .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
        .bearer_auth(&w.director)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "setting up {method} {path}: {status} {v}");
    v
}

/// A new client of `owner` in `department`, priced at the world's column.
async fn order_client(app: &TestApp, w: &World, owner: Uuid, department: Uuid, seq: u32) -> Uuid {
    let cp = app
        .counterparty(&format!("Клиент {seq}"), Some(owner), Some(department))
        .await;
    app.client_price_column(cp, w.column).await;
    cp
}

/// How far [`order_for`] takes an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Draft,
    Approved,
    Shipped,
}

/// An order of 2 × the world's product for a new client of `owner` in `department`, set up
/// through the API as far as `stage`: (order, its version, the shipment).
async fn order_for(
    app: &TestApp,
    w: &World,
    owner: Uuid,
    department: Uuid,
    seq: u32,
    stage: Stage,
) -> (Uuid, i64, Option<Uuid>) {
    let cp = order_client(app, w, owner, department, seq).await;
    let mut o = setup(
        app,
        w,
        "POST",
        "/api/v1/orders",
        json!({ "counterparty_id": cp, "lines": [{ "product_id": w.product, "quantity": "2" }] }),
    )
    .await;
    let id: Uuid = o["id"].as_str().unwrap().parse().unwrap();
    if stage >= Stage::Approved {
        o = setup(
            app,
            w,
            "POST",
            &format!("/api/v1/orders/{id}/submit"),
            json!({ "version": o["version"] }),
        )
        .await;
        assert_eq!(o["status"], "approved", "{o}");
    }
    let mut shipment = None;
    if stage == Stage::Shipped {
        let s = setup(
            app,
            w,
            "POST",
            &format!("/api/v1/orders/{id}/shipments"),
            json!({ "version": o["version"] }),
        )
        .await;
        shipment = Some(s["id"].as_str().unwrap().parse().unwrap());
    }
    (id, o["version"].as_i64().unwrap(), shipment)
}

/// An open invoice of 1 000.00 of `client` due on `due`, written directly.
async fn invoice_for(app: &TestApp, client: Uuid, seq: u32, due: chrono::NaiveDate) -> Uuid {
    let id = Uuid::now_v7();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO invoices (id, number, counterparty_id, issued_on, due_on, total, paid, vat_amount, \
                     credited, written_off, version, created_at) VALUES ($1, $2, $3, $4, $5, 100000, 0, 0, 0, 0, 1, $6)")
            .bind(id).bind(format!("СФ-{seq}")).bind(client).bind(due - chrono::Days::new(14)).bind(due)
            .bind(Utc::now().trunc_subsecs(6)).execute(pool).await.unwrap();
    });
    id
}

/// A payment of 1 000.00 from `client`, not allocated, written directly.
async fn payment_for(app: &TestApp, client: Uuid, seq: u32) -> Uuid {
    let id = Uuid::now_v7();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO payments (id, counterparty_id, paid_on, amount, allocated, doc_number, purpose, source, \
                     version, created_at) VALUES ($1, $2, $3, 100000, 0, $4, 'Оплата', 'manual', 1, $5)")
            .bind(id).bind(client).bind(Utc::now().date_naive()).bind(seq.to_string())
            .bind(Utc::now().trunc_subsecs(6)).execute(pool).await.unwrap();
    });
    id
}

/// An imported statement with one incoming payment from a payer nobody knows, waiting in the
/// matching queue: (statement, document).
async fn statement_for(app: &TestApp, seq: u32) -> (Uuid, Uuid) {
    let (statement, doc) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now().trunc_subsecs(6);
    let on = Utc::now().date_naive();
    db_run!(&app.db, pool => {
        sqlx::query("INSERT INTO bank_statements (id, file_name, account, documents, new_documents, duplicates, matched, \
                     queued, imported_at) VALUES ($1, 'kl_to_1c.txt', '40702810938000012345', 1, 1, 0, 0, 1, $2)")
            .bind(statement).bind(now).execute(pool).await.unwrap();
        sqlx::query("INSERT INTO bank_statement_docs (id, statement_id, fingerprint, line_no, direction, number, doc_date, \
                     amount, payer_inn, payer_account, payer_name, payee_inn, payee_account, credited_on, purpose, raw, \
                     state, reason, version) VALUES ($1, $2, $3, 12, 'incoming', $4, $5, 100000, '501234567802', \
                     '40802810438000054321', 'ИП Сидоров', '7728123459', '40702810938000012345', $5, 'Оплата', '', \
                     'unmatched', 'unknown_payer', 1)")
            .bind(doc).bind(statement).bind(format!("fixture|{seq}")).bind(seq.to_string()).bind(on)
            .execute(pool).await.unwrap();
    });
    (statement, doc)
}

/// A statement file (UTF-8) with one incoming payment from a payer nobody knows.
fn statement_file(seq: u32) -> Vec<u8> {
    format!(
        "1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nРасчСчет=40702810938000012345\n\
         СекцияДокумент=Платежное поручение\nНомер={seq}\nДата=02.11.2026\nСумма=100.00\n\
         ПлательщикСчет=40802810438000054321\nПлательщикИНН=501234567802\nПлательщик1=ИП Сидоров\n\
         ПолучательСчет=40702810938000012345\nДатаПоступило=02.11.2026\nПолучательИНН=7728123459\n\
         НазначениеПлатежа=Оплата\nКонецДокумента\nКонецФайла\n"
    )
    .into_bytes()
}

async fn every_route_answers_every_role_as_the_matrix_says(app: TestApp) {
    let f = app.departments().await;
    let other = app.user("other_mgr", "manager", Some(f.department_b)).await;
    let other_token_id = db_run!(&app.db, pool => sqlx::query_scalar::<_, Uuid>("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(other.id).fetch_one(pool).await.unwrap());
    let territory = app.territory("msk", "Москва и Московская область").await;
    let column = app.price_column("wholesale", "Оптовая", 1).await;
    let product = app
        .product(
            ProductSeed::standard("MK-001", "Мука пшеничная", "Бакалея"),
            &[(column, 100_000)],
        )
        .await;
    let mut w = World {
        f,
        other_manager: other.id,
        other_manager_token_id: other_token_id,
        territory,
        column,
        product,
        director: app.user("fixture_kd", "commercial_director", None).await.token,
        seq: 0,
    };
    let routes = api_routes(&app).await;
    assert!(routes.len() >= 20, "suspiciously few routes: {routes:?}");
    let mut failures = Vec::new();
    for role in ROLES {
        let login = format!("actor_{role}");
        let actor = app.user(&login, role, Some(w.f.department_a)).await;
        let colleague = app
            .user(&format!("colleague_of_{role}"), "manager", Some(w.f.department_a))
            .await;
        for route in &routes {
            let targets: &[Target] = if route.contains("{id}") || TARGETED.contains(&route.as_str()) {
                &[Target::Own, Target::Other]
            } else {
                &[Target::Own]
            };
            for &t in targets {
                let want = expected(route, role, t);
                let got = call(&app, &mut w, route, &login, actor.id, &actor.token, colleague.id, t).await;
                if got != want {
                    failures.push(format!("{route} as {role} on {t:?}: expected {want}, got {got}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[allow(clippy::too_many_arguments)]
async fn call(
    app: &TestApp,
    w: &mut World,
    route: &str,
    login: &str,
    me: Uuid,
    token: &str,
    colleague: Uuid,
    t: Target,
) -> u16 {
    w.seq += 1;
    let seq = w.seq;
    let (method, path) = route.split_once(' ').unwrap();
    let own = t == Target::Own;
    let (dept, other_user) = if own {
        (w.f.department_a, colleague)
    } else {
        (w.f.department_b, w.other_manager)
    };
    let (id, body): (Option<Uuid>, Option<Value>) = match route {
        "GET /api/v1/counterparties/{id}" => {
            let owner = if own { me } else { w.other_manager };
            (
                Some(
                    app.counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                        .await,
                ),
                None,
            )
        }
        "PATCH /api/v1/counterparties/{id}" => {
            let owner = if own { me } else { w.other_manager };
            let id = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let v = version_of(app, "counterparties", id).await;
            (Some(id), Some(json!({ "version": v, "notes": "звонили" })))
        }
        "GET /api/v1/counterparties/{id}/bank-accounts"
        | "GET /api/v1/counterparties/{id}/history"
        | "GET /api/v1/counterparties/{id}/contacts/vcard"
        | "POST /api/v1/counterparties/{id}/bank-accounts" => {
            let owner = if own { me } else { w.other_manager };
            let id = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (
                Some(id),
                Some(json!({ "bik": "044525225", "account": "40702810834085231313", "bank_name": "ПАО Сбербанк" })),
            )
        }
        "POST /api/v1/counterparties/{id}/archive" | "POST /api/v1/counterparties/{id}/restore" => {
            let owner = if own { me } else { w.other_manager };
            let id = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let v = version_of(app, "counterparties", id).await;
            (Some(id), Some(json!({ "version": v })))
        }
        "POST /api/v1/counterparties/{id}/merge" => {
            let owner = if own { me } else { w.other_manager };
            let id = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let dup = app
                .counterparty(&format!("Клиент {seq} (дубль)"), Some(owner), Some(dept))
                .await;
            (
                Some(id),
                Some(json!({ "version": version_of(app, "counterparties", id).await,
                             "duplicate_id": dup, "duplicate_version": version_of(app, "counterparties", dup).await })),
            )
        }
        "DELETE /api/v1/bank-accounts/{id}" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let id = Uuid::now_v7();
            db_run!(&app.db, pool => {
                sqlx::query("INSERT INTO bank_accounts (id, counterparty_id, bik, account, bank_name) \
                             VALUES ($1, $2, '044525225', '40702810834085231313', 'ПАО Сбербанк')")
                    .bind(id).bind(cp).execute(pool).await.unwrap();
            });
            (Some(id), None)
        }
        "GET /api/v1/counterparties/{id}/contacts" | "POST /api/v1/counterparties/{id}/contacts" => {
            let owner = if own { me } else { w.other_manager };
            let id = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (
                Some(id),
                Some(json!({ "full_name": "Иванов Иван Иванович", "phone": "8 (495) 123-45-67", "consent_pd": true })),
            )
        }
        "GET /api/v1/contacts/{id}" | "PATCH /api/v1/contacts/{id}" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let id = app.contact(cp, "Петрова Мария Сергеевна").await;
            (
                Some(id),
                Some(json!({ "version": 1, "full_name": "Петрова Мария Сергеевна", "position": "Главный бухгалтер" })),
            )
        }
        "POST /api/v1/counterparties" => (
            None,
            Some(json!({ "kind": "legal_entity", "name": format!("Новый {seq}"),
            "inn": "7707083893", "kpp": format!("7736{:05}", seq) })),
        ),
        "GET /api/v1/users/{id}" | "GET /api/v1/users/{id}/territories" => (Some(other_user), None),
        "PATCH /api/v1/users/{id}" => {
            let v = version_of(app, "users", other_user).await;
            (
                Some(other_user),
                Some(json!({ "version": v, "email": format!("u{seq}@prospekt.example") })),
            )
        }
        "POST /api/v1/users/{id}/password" => (Some(other_user), Some(json!({ "new_password": "password1" }))),
        "PUT /api/v1/users/{id}/territories" => (Some(other_user), Some(json!({ "territory_ids": [w.territory] }))),
        "POST /api/v1/users" => (
            None,
            Some(
                json!({ "login": format!("new{seq}"), "display_name": "Новый", "role": "manager",
                                                     "department_id": w.f.department_a, "password": "password1" }),
            ),
        ),
        "POST /api/v1/departments" => (None, Some(json!({ "name": format!("Отдел {seq}") }))),
        "POST /api/v1/territories" => (
            None,
            Some(json!({ "code": format!("t{seq}"), "name": format!("Территория {seq}") })),
        ),
        "POST /api/v1/absences" => {
            let (absent, sub) = if own {
                (colleague, me)
            } else {
                (
                    app.user(&format!("absent{seq}"), "manager", Some(w.f.department_b))
                        .await
                        .id,
                    w.other_manager,
                )
            };
            (
                None,
                Some(json!({ "user_id": absent, "substitute_id": sub,
                                "kind": "leave", "starts_on": "2031-01-10", "ends_on": "2031-01-20" })),
            )
        }
        "DELETE /api/v1/absences/{id}" => {
            let absent = if own { colleague } else { w.other_manager };
            let sub = app.user(&format!("sub{seq}"), "manager", Some(dept)).await.id;
            (Some(absence_for(app, absent, sub).await), None)
        }
        "DELETE /api/v1/tokens/{id}" => {
            if own {
                let v: Value = app
                    .http
                    .post(app.url("/api/v1/tokens"))
                    .bearer_auth(token)
                    .json(&json!({"name": "tmp"}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                (Some(v["id"].as_str().unwrap().parse().unwrap()), None)
            } else {
                (Some(w.other_manager_token_id), None)
            }
        }
        "POST /api/v1/session" => (None, Some(json!({ "login": login, "password": "password1" }))),
        "POST /api/v1/me/password" => (
            None,
            Some(json!({ "current_password": "password1", "new_password": "password2" })),
        ),
        "POST /api/v1/tokens" => (None, Some(json!({ "name": format!("t{seq}") }))),
        "POST /api/v1/activities" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (
                None,
                Some(json!({ "counterparty_id": cp, "kind": "call", "subject": "Звонок",
                             "planned_at": (Utc::now() + chrono::Duration::days(1)).to_rfc3339() })),
            )
        }
        "GET /api/v1/activities/{id}"
        | "PATCH /api/v1/activities/{id}"
        | "POST /api/v1/activities/{id}/complete"
        | "POST /api/v1/activities/{id}/repeat" => {
            let owner = if own { me } else { w.other_manager };
            let id = activity_for(app, owner, dept, seq).await;
            let body = match route {
                "PATCH /api/v1/activities/{id}" => json!({ "version": 1, "subject": "Перезвонить" }),
                "POST /api/v1/activities/{id}/complete" => json!({ "version": 1, "result": "Договорились" }),
                _ => json!({ "count": 1 }),
            };
            (Some(id), Some(body))
        }
        "PUT /api/v1/contact-rules" => (
            None,
            Some(
                json!({ "department_id": dept, "version": rule_set_version(app, dept).await,
                         "rules": [{ "status": "client", "contact_every_days": 14 }] }),
            ),
        ),
        // The catalogue.
        "POST /api/v1/price-columns" => (
            None,
            Some(json!({ "code": format!("col{seq}"), "name": format!("Колонка {seq}") })),
        ),
        "PATCH /api/v1/price-columns/{id}" => {
            let id = app
                .price_column(&format!("col{seq}"), &format!("Колонка {seq}"), 5)
                .await;
            (
                Some(id),
                Some(json!({ "version": 1, "name": "Переименована", "sort_order": 6 })),
            )
        }
        "POST /api/v1/products" => (
            None,
            Some(
                json!({ "sku": format!("NEW-{seq}"), "name": "Новый товар", "group": "Матрица", "unit": "шт",
                         "vat_category": "standard", "cost_price": "10.00",
                         "prices": [{ "price_column_id": w.column, "price": "20.00" }] }),
            ),
        ),
        "GET /api/v1/products/{id}" => (Some(w.product), None),
        "PUT /api/v1/products/{id}" => (
            Some(product_for(app, w, seq).await),
            Some(
                json!({ "version": 1, "sku": format!("SKU-{seq}"), "name": "Товар переименован", "group": "Матрица",
                         "unit": "шт", "vat_category": "standard", "cost_price": "10.00" }),
            ),
        ),
        "POST /api/v1/products/{id}/prices" => (
            Some(product_for(app, w, seq).await),
            Some(json!({ "prices": [{ "price_column_id": w.column, "price": "1100.00" }] })),
        ),
        "PUT /api/v1/vat-rates" => (
            None,
            Some(json!([
                { "category": "standard", "valid_from": "2019-01-01", "rate": "20" },
                { "category": "standard", "valid_from": "2026-01-01", "rate": "22" },
                { "category": "reduced", "valid_from": "2019-01-01", "rate": "10" },
                { "category": "zero", "valid_from": "2019-01-01", "rate": "0" },
                { "category": "none", "valid_from": "2019-01-01", "rate": "none" },
            ])),
        ),
        "POST /api/v1/promotions" => {
            let today = Utc::now().date_naive();
            (
                None,
                Some(
                    json!({ "name": format!("Акция {seq}"), "kind": "discount", "percent": "5",
                             "valid_from": today.to_string(), "valid_to": (today + chrono::Days::new(30)).to_string(),
                             "groups": ["Нет такой"] }),
                ),
            )
        }
        "GET /api/v1/promotions/{id}" => (Some(promotion(app, seq).await), None),
        "PUT /api/v1/promotions/{id}" => {
            let today = Utc::now().date_naive();
            (
                Some(promotion(app, seq).await),
                Some(
                    json!({ "version": 1, "name": format!("Акция {seq}"), "kind": "discount", "percent": "7",
                             "valid_from": today.to_string(), "valid_to": (today + chrono::Days::new(30)).to_string(),
                             "groups": ["Нет такой"] }),
                ),
            )
        }
        "PUT /api/v1/users/{id}/discount-limit" => (Some(other_user), Some(json!({ "discount_limit": "7.5" }))),
        // Deals and offers.
        "POST /api/v1/deals" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (None, Some(json!({ "counterparty_id": cp, "title": "Поставка" })))
        }
        "GET /api/v1/deals/{id}" | "PATCH /api/v1/deals/{id}" | "GET /api/v1/deals/{id}/history" => {
            let owner = if own { me } else { w.other_manager };
            (
                Some(deal_for(app, owner, dept, seq).await),
                Some(json!({ "version": 1, "stage": "negotiation" })),
            )
        }
        "POST /api/v1/deals/{id}/offers" => {
            let owner = if own { me } else { w.other_manager };
            (
                Some(deal_for(app, owner, dept, seq).await),
                Some(json!({ "lines": [{ "product_id": w.product, "quantity": "1" }] })),
            )
        }
        "GET /api/v1/offers/{id}"
        | "PUT /api/v1/offers/{id}"
        | "GET /api/v1/offers/{id}/pdf"
        | "POST /api/v1/offers/{id}/approval"
        | "POST /api/v1/offers/{id}/send"
        | "POST /api/v1/offers/{id}/decision"
        | "POST /api/v1/offers/{id}/revisions" => {
            let owner = if own { me } else { w.other_manager };
            let (status, approval, body) = match route {
                "PUT /api/v1/offers/{id}" => (
                    "draft",
                    "none",
                    json!({ "version": 1, "lines": [{ "product_id": w.product, "quantity": "2" }] }),
                ),
                "POST /api/v1/offers/{id}/approval" => {
                    ("draft", "required", json!({ "version": 1, "reason": "Крупный заказ" }))
                }
                "POST /api/v1/offers/{id}/decision" => ("sent", "none", json!({ "version": 1, "accepted": true })),
                "POST /api/v1/offers/{id}/revisions" => ("sent", "none", json!({})),
                _ => ("draft", "none", json!({ "version": 1 })),
            };
            let id = offer_for(app, w, owner, dept, status, approval).await;
            let body = (route != "POST /api/v1/offers/{id}/revisions").then_some(body);
            (Some(id), body)
        }
        "POST /api/v1/approvals/{id}/decision" => {
            let owner = if own { me } else { w.other_manager };
            let requester = if own { colleague } else { w.other_manager };
            (
                Some(approval_for(app, w, owner, dept, requester).await),
                Some(json!({ "version": 1, "approve": true, "comment": "Согласовано" })),
            )
        }
        "PUT /api/v1/settings/company" => (
            None,
            Some(json!({ "name": "ООО «Проспект»", "inn": "7707083893",
                         "version": setting_version(app, "company").await })),
        ),
        // Orders (crates/app/src/orders.rs).
        "POST /api/v1/orders" => {
            let owner = if own { me } else { w.other_manager };
            let cp = order_client(app, w, owner, dept, seq).await;
            (
                None,
                Some(json!({ "counterparty_id": cp, "lines": [{ "product_id": w.product, "quantity": "2" }] })),
            )
        }
        "GET /api/v1/orders/{id}" | "PUT /api/v1/orders/{id}" | "POST /api/v1/orders/{id}/submit" => {
            let owner = if own { me } else { w.other_manager };
            let (id, version, _) = order_for(app, w, owner, dept, seq, Stage::Draft).await;
            (
                Some(id),
                Some(json!({ "version": version, "lines": [{ "product_id": w.product, "quantity": "3" }] })),
            )
        }
        "POST /api/v1/orders/{id}/actions"
        | "POST /api/v1/orders/{id}/shipments"
        | "POST /api/v1/orders/{id}/returns" => {
            let owner = if own { me } else { w.other_manager };
            let (id, version, _) = order_for(app, w, owner, dept, seq, Stage::Approved).await;
            let body = match route {
                "POST /api/v1/orders/{id}/actions" => json!({ "version": version, "action": "start_fulfilment" }),
                "POST /api/v1/orders/{id}/shipments" => json!({ "version": version }),
                _ => json!({ "kind": "refusal", "reason": "not_needed", "lines": [{ "line_no": 1, "quantity": "1" }] }),
            };
            (Some(id), Some(body))
        }
        "POST /api/v1/shipments/{id}/delivery"
        | "POST /api/v1/shipments/{id}/invoice"
        | "POST /api/v1/shipments/{id}/acts" => {
            let owner = if own { me } else { w.other_manager };
            let (_, _, shipment) = order_for(app, w, owner, dept, seq, Stage::Shipped).await;
            let body = if route == "POST /api/v1/shipments/{id}/acts" {
                json!({ "kind": "shortage", "lines": [{ "line_no": 1, "quantity": "1" }] })
            } else {
                json!({})
            };
            (shipment, Some(body))
        }
        "POST /api/v1/acts/{id}/decision" => {
            let owner = if own { me } else { w.other_manager };
            let (_, _, shipment) = order_for(app, w, owner, dept, seq, Stage::Shipped).await;
            let act = setup(
                app,
                w,
                "POST",
                &format!("/api/v1/shipments/{}/acts", shipment.unwrap()),
                json!({ "kind": "shortage", "lines": [{ "line_no": 1, "quantity": "1" }] }),
            )
            .await;
            (
                Some(act["id"].as_str().unwrap().parse().unwrap()),
                Some(json!({ "accept": true })),
            )
        }
        // Receivables (crates/app/src/receivables.rs, bank.rs).
        "GET /api/v1/invoices/{id}"
        | "GET /api/v1/invoices/{id}/interest"
        | "POST /api/v1/invoices/{id}/write-offs" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let due = Utc::now().date_naive() - chrono::Days::new(30);
            (
                Some(invoice_for(app, cp, seq, due).await),
                Some(json!({ "amount": "1.00", "reason": "Безнадёжный долг" })),
            )
        }
        "POST /api/v1/payments" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (
                None,
                Some(
                    json!({ "counterparty_id": cp, "paid_on": Utc::now().date_naive(), "amount": "100.00",
                             "doc_number": seq.to_string() }),
                ),
            )
        }
        "GET /api/v1/payments/{id}" | "POST /api/v1/payments/{id}/allocations" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (Some(payment_for(app, cp, seq).await), Some(json!({ "version": 1 })))
        }
        "PUT /api/v1/counterparties/{id}/credit-terms" | "GET /api/v1/counterparties/{id}/credit-terms" => {
            let owner = if own { me } else { w.other_manager };
            let id = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            let v = version_of(app, "counterparties", id).await;
            (
                Some(id),
                Some(
                    json!({ "version": v, "credit_limit": "250000.00", "payment_terms_days": 14,
                             "deferral_kind": "banking", "penalty_percent_per_day": "0.1",
                             "penalty_cap_percent": "10", "claim_term_days": 30 }),
                ),
            )
        }
        "GET /api/v1/counterparties/{id}/balance"
        | "GET /api/v1/counterparties/{id}/payments"
        | "GET /api/v1/counterparties/{id}/reconciliation"
        | "GET /api/v1/counterparties/{id}/collections"
        | "POST /api/v1/counterparties/{id}/collections" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            invoice_for(app, cp, seq, Utc::now().date_naive() - chrono::Days::new(30)).await;
            (Some(cp), Some(json!({})))
        }
        "GET /api/v1/collections/{id}"
        | "POST /api/v1/collections/{id}/stage"
        | "GET /api/v1/collections/{id}/claim" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            invoice_for(app, cp, seq, Utc::now().date_naive() - chrono::Days::new(30)).await;
            let case = setup(
                app,
                w,
                "POST",
                &format!("/api/v1/counterparties/{cp}/collections"),
                json!({}),
            )
            .await;
            (
                Some(case["id"].as_str().unwrap().parse().unwrap()),
                Some(json!({ "version": case["version"], "stage": "letter" })),
            )
        }
        "PUT /api/v1/key-rates" => (
            None,
            Some(Value::Array(
                prospekt_domain::interest::key_rate_table()
                    .iter()
                    .map(|r| {
                        json!({ "effective_from": r.from,
                                "rate": format!("{}.{:02}", r.rate_bp / 100, r.rate_bp % 100) })
                    })
                    .collect(),
            )),
        ),
        "PUT /api/v1/work-calendar" => (None, Some(json!([{ "day": "2031-01-10", "working": false }]))),
        "GET /api/v1/bank-statements/{id}" => (Some(statement_for(app, seq).await.0), None),
        "POST /api/v1/bank-statement-docs/{id}/resolution" => {
            let owner = if own { me } else { w.other_manager };
            let cp = app
                .counterparty(&format!("Клиент {seq}"), Some(owner), Some(dept))
                .await;
            (
                Some(statement_for(app, seq).await.1),
                Some(json!({ "version": 1, "counterparty_id": cp })),
            )
        }
        _ => (None, None),
    };
    let path = match id {
        Some(id) => path.replace("{id}", &id.to_string()),
        None => path.to_owned(),
    };
    let path = match route {
        // The search needs a query; its scope is covered by tests/api/search.rs.
        "GET /api/v1/search" => format!("{path}?q=ромашка"),
        // A user's plan: a manager of the actor's department, or of another one.
        "GET /api/v1/activities"
        | "GET /api/v1/activities/overdue"
        | "GET /api/v1/plan/week"
        | "GET /api/v1/plan/priorities" => format!("{path}?owner_id={other_user}"),
        "GET /api/v1/contact-rules" => format!("{path}?department_id={dept}"),
        "GET /api/v1/deals/board" => format!("{path}?owner_id={other_user}"),
        "GET /api/v1/counterparties/{id}/reconciliation" => format!("{path}?from=2026-01-01&to=2026-12-31&format=json"),
        _ => path,
    };
    let mut req = app
        .http
        .request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(&path))
        .bearer_auth(token);
    if route == "POST /api/v1/imports/counterparties" {
        let csv = format!("Наименование;Город\nКлиент из файла {seq};Тверь\n");
        req = req
            .multipart(reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(csv.into_bytes())));
    } else if route == "POST /api/v1/bank-statements" {
        let file = reqwest::multipart::Part::bytes(statement_file(seq)).file_name("kl_to_1c.txt");
        req = req.multipart(reqwest::multipart::Form::new().part("file", file));
    } else if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    // Revoking another user's token as administrator must not break later rows of the matrix.
    if route == "DELETE /api/v1/tokens/{id}" && !own && status == 204 {
        let fresh = app.app.create_token("other_mgr", "again", None).await.unwrap();
        w.other_manager_token_id = fresh.id.as_uuid();
    }
    status
}
