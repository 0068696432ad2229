//! The contact plan over the API: planning and recording activities, completing them with a
//! next step, moving and repeating them, the week view, "whom to contact now", the contact
//! rules, the calendar feed (read back with an independent iCalendar parser) and merges.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, SubsecRound, TimeZone, Utc};
use prospekt_storage::db_run;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Fixture, SeedUser, TestApp};

crate::on_both_databases!(
    a_planned_activity_comes_back_with_its_end_and_a_done_one_moves_the_last_contact,
    bad_activity_input_is_refused_naming_the_field_and_the_code,
    activities_out_of_scope_are_not_found_and_read_only_roles_are_forbidden,
    a_head_plans_for_a_manager_of_the_department_but_a_manager_not_for_a_colleague,
    completing_with_a_next_step_plans_the_next_activity_in_the_same_action,
    a_stale_version_is_refused_naming_who_changed_the_activity,
    moving_a_planned_activity_keeps_its_length_and_never_goes_into_the_past,
    a_weekly_repeat_creates_copies_a_week_apart_in_one_series,
    the_week_view_counts_plan_against_done_for_the_week_and_the_month,
    a_users_week_is_open_to_their_head_and_hidden_from_other_managers,
    an_overdue_client_ranks_above_a_recent_one_with_reasons_in_both_languages,
    a_planned_contact_moves_a_client_down_the_priorities,
    overdue_debt_counts_what_is_neither_paid_credited_nor_written_off,
    contact_rules_start_as_the_company_defaults_and_only_the_head_sets_them,
    invalid_contact_rules_are_refused_naming_the_rule,
    new_contact_rules_change_the_priorities,
    the_calendar_feed_reads_back_with_an_independent_icalendar_parser,
    a_revoked_or_replaced_calendar_feed_is_not_found,
    a_merge_moves_the_activities_and_keeps_the_later_last_contact,
);

// ---- time in the company calendar (Moscow, UTC+3 all year), computed independently ----

fn msk() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).unwrap()
}

fn today() -> NaiveDate {
    Utc::now().with_timezone(&msk()).date_naive()
}

fn days(n: i64) -> NaiveDate {
    today() + Duration::days(n)
}

/// A local time as a browser's date-time field sends it (read as Moscow time by the API).
fn local(d: NaiveDate, h: u32, m: u32) -> String {
    format!("{}T{h:02}:{m:02}", d.format("%Y-%m-%d"))
}

/// The instant of a Moscow wall-clock time.
fn moment(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    msk()
        .from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn time_of(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

// ---- HTTP ----

async fn send_in(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    lang: &str,
) -> (u16, Value) {
    let mut req = app
        .http
        .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(path))
        .bearer_auth(token)
        .header("Accept-Language", lang);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    send_in(app, token, method, path, body, "en").await
}

/// Plans (or records) an activity, expecting it to be accepted.
async fn plan(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, b) = send(app, token, "POST", "/api/v1/activities", Some(body)).await;
    assert_eq!(status, 201, "{b}");
    b
}

async fn complete(app: &TestApp, token: &str, activity: &Value, body: Value) -> (u16, Value) {
    let path = format!("/api/v1/activities/{}/complete", id_of(activity));
    send(app, token, "POST", &path, Some(body)).await
}

fn id_of(v: &Value) -> &str {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}"))
}

// ---- records ----

/// A sales desk: two departments, a manager and the head of the first.
struct Desk {
    f: Fixture,
    manager: SeedUser,
    head: SeedUser,
}

async fn desk(app: &TestApp) -> Desk {
    let f = app.departments().await;
    let manager = app.user("olga", "manager", Some(f.department_a)).await;
    let head = app.user("lena", "head_of_department", Some(f.department_a)).await;
    Desk { f, manager, head }
}

/// A client (status `client`) created through the API by `token`'s user, who owns it.
async fn client(app: &TestApp, token: &str, name: &str, extra: Value) -> Uuid {
    let mut body = json!({ "kind": "person", "name": name, "status": "client" });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let (status, b) = send(app, token, "POST", "/api/v1/counterparties", Some(body)).await;
    assert_eq!(status, 201, "{b}");
    b["counterparty"]["id"].as_str().unwrap().parse().unwrap()
}

async fn contact(app: &TestApp, token: &str, client: Uuid, name: &str, phone: &str) -> Uuid {
    let (status, b) = send(
        app,
        token,
        "POST",
        &format!("/api/v1/counterparties/{client}/contacts"),
        Some(json!({ "full_name": name, "phone": phone })),
    )
    .await;
    assert_eq!(status, 201, "{b}");
    b["id"].as_str().unwrap().parse().unwrap()
}

/// Moves a client's creation `n` days back (a client known for a while).
async fn known_for(app: &TestApp, client: Uuid, n: i64) {
    let at = (Utc::now() - Duration::days(n)).trunc_subsecs(6);
    db_run!(&app.db, pool => {
        sqlx::query("UPDATE counterparties SET created_at = $1 WHERE id = $2")
            .bind(at).bind(client).execute(pool).await.unwrap();
    });
}

/// The stored last contact and last visit of a counterparty.
async fn last_contact(app: &TestApp, client: Uuid) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    db_run!(&app.db, pool => {
        sqlx::query_as::<_, (Option<DateTime<Utc>>, Option<DateTime<Utc>>)>(
            "SELECT last_contact_at, last_visit_at FROM counterparties WHERE id = $1",
        )
        .bind(client).fetch_one(pool).await.unwrap()
    })
}

/// Records a contact that happened on day `d` at `h`:00 Moscow time.
async fn record(app: &TestApp, token: &str, client: Uuid, kind: &str, d: NaiveDate, h: u32) -> Value {
    plan(
        app,
        token,
        json!({ "counterparty_id": client, "kind": kind, "subject": "Был контакт", "planned_at": local(d, h, 0),
                "status": "done", "result": "Поговорили" }),
    )
    .await
}

// ---- planning and recording ----

async fn a_planned_activity_comes_back_with_its_end_and_a_done_one_moves_the_last_contact(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(
        &app,
        &m.token,
        "Сидоров Пётр Ильич",
        json!({ "actual_address": "Тверь, ул. Советская, 5" }),
    )
    .await;
    let person = contact(&app, &m.token, cp, "Сидорова Анна", "+7 916 123-45-67").await;
    let tomorrow = days(1);
    let visit = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "contact_id": person, "kind": "visit", "subject": "  Презентация линейки  ",
                "planned_at": local(tomorrow, 10, 0), "duration_min": 120 }),
    )
    .await;
    assert_eq!(time_of(&visit["planned_at"]), moment(tomorrow, 10, 0), "{visit}");
    assert_eq!(time_of(&visit["ends_at"]), moment(tomorrow, 12, 0));
    assert_eq!(visit["duration_min"], 120);
    assert_eq!(visit["kind"], "visit");
    assert_eq!(visit["status"], "planned");
    assert_eq!(visit["subject"], "Презентация линейки");
    assert_eq!(visit["counterparty"]["id"], cp.to_string());
    assert_eq!(visit["counterparty"]["name"], "Сидоров Пётр Ильич");
    assert_eq!(visit["contact"]["id"], person.to_string());
    assert_eq!(visit["contact_phone"], "+79161234567");
    assert_eq!(visit["address"], "Тверь, ул. Советская, 5");
    assert_eq!(
        visit["owner"]["id"],
        m.id.to_string(),
        "the caller performs it by default"
    );
    assert_eq!(visit["version"], 1);
    assert!(visit["done_at"].is_null() && visit["follows_id"].is_null() && visit["series_id"].is_null());
    let (status, read) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities/{}", id_of(&visit)),
        None,
    )
    .await;
    assert_eq!((status, &read), (200, &visit));

    // An end instead of a length: the length follows; an RFC 3339 time with an offset is read as such.
    let call = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "call", "subject": "Уточнить объём",
                "planned_at": rfc3339(moment(tomorrow, 13, 15)), "ends_at": local(tomorrow, 14, 0) }),
    )
    .await;
    assert_eq!(call["duration_min"], 45);
    assert_eq!(time_of(&call["ends_at"]), moment(tomorrow, 14, 0));
    let default_length = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "meeting", "subject": "Встреча", "planned_at": local(tomorrow, 16, 0) }),
    )
    .await;
    assert_eq!(default_length["duration_min"], 60, "a meeting's usual length");

    // Plans are not contacts yet.
    assert_eq!(last_contact(&app, cp).await, (None, None));
    let yesterday = days(-1);
    let done = record(&app, &m.token, cp, "call", yesterday, 11).await;
    let (status, read) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities/{}", id_of(&done)),
        None,
    )
    .await;
    assert_eq!((status, &read), (200, &done));
    assert_eq!(done["status"], "done");
    assert_eq!(done["result"], "Поговорили");
    assert_eq!(
        time_of(&done["done_at"]),
        moment(yesterday, 11, 15),
        "done when it ended: a call lasts 15 minutes"
    );
    assert_eq!(
        last_contact(&app, cp).await,
        (Some(moment(yesterday, 11, 15)), None),
        "a call is a contact, not a visit"
    );
    // An earlier visit counts as the last visit but not as the last contact; a task counts as neither.
    record(&app, &m.token, cp, "visit", days(-3), 10).await;
    record(&app, &m.token, cp, "task", today(), 0).await;
    assert_eq!(
        last_contact(&app, cp).await,
        (Some(moment(yesterday, 11, 15)), Some(moment(days(-3), 11, 30)))
    );
}

async fn bad_activity_input_is_refused_naming_the_field_and_the_code(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(&app, &m.token, "Клиент Один", json!({})).await;
    let other_cp = client(&app, &m.token, "Клиент Два", json!({})).await;
    let strangers = contact(&app, &m.token, other_cp, "Чужой Контакт", "+79160000001").await;
    let tomorrow = days(1);
    let base =
        json!({ "counterparty_id": cp, "kind": "call", "subject": "Звонок", "planned_at": local(tomorrow, 10, 0) });
    let with = |changes: Value| {
        let mut b = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let cases = [
        (
            with(json!({ "planned_at": rfc3339(Utc::now() - Duration::hours(2)) })),
            "planned_at",
            "planned_in_past",
        ),
        (
            with(json!({ "ends_at": local(tomorrow, 9, 30) })),
            "ends_at",
            "ends_before_start",
        ),
        (with(json!({ "kind": "lunch" })), "kind", "invalid_activity_kind"),
        (
            with(json!({ "planned_at": "завтра в 10" })),
            "planned_at",
            "invalid_datetime",
        ),
        (
            with(json!({ "contact_id": strangers })),
            "contact_id",
            "not_a_contact_of_client",
        ),
        (
            with(json!({ "status": "done", "planned_at": local(days(3), 10, 0) })),
            "planned_at",
            "done_in_future",
        ),
        (
            with(json!({ "duration_min": 0 })),
            "duration_min",
            "duration_out_of_range",
        ),
        (with(json!({ "subject": "   " })), "subject", "required"),
    ];
    for (body, field, code) in cases {
        let (status, b) = send(&app, &m.token, "POST", "/api/v1/activities", Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {b}");
        assert_eq!(
            (b["error"]["field"].as_str(), b["error"]["code"].as_str()),
            (Some(field), Some(code)),
            "{body} → {b}"
        );
        assert!(!b["error"]["message"].as_str().unwrap().is_empty());
    }
    // The messages are in the caller's language and name the bad value.
    let (_, b) = send_in(
        &app,
        &m.token,
        "POST",
        "/api/v1/activities",
        Some(with(json!({ "kind": "lunch" }))),
        "ru",
    )
    .await;
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Неизвестный вид дела «lunch»"),
        "{b}"
    );
    let (_, b) = send(
        &app,
        &m.token,
        "POST",
        "/api/v1/activities",
        Some(with(json!({ "planned_at": "завтра в 10" }))),
    )
    .await;
    assert!(b["error"]["message"].as_str().unwrap().contains("завтра в 10"), "{b}");
    // Nothing was written.
    let (status, timeline) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities?counterparty_id={cp}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(timeline["items"], json!([]));
}

async fn activities_out_of_scope_are_not_found_and_read_only_roles_are_forbidden(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let stranger = app.user("ivan", "manager", Some(d.f.department_b)).await;
    let gd = app.user("gendir", "general_director", None).await;
    let support = app.user("sveta", "sales_support", Some(d.f.department_a)).await;
    let theirs = client(&app, &stranger.token, "Клиент Урала", json!({})).await;
    let ours = client(&app, &m.token, "Клиент Москвы", json!({})).await;
    let body = |cp: Uuid| json!({ "counterparty_id": cp, "kind": "call", "subject": "Звонок", "planned_at": local(days(1), 10, 0) });
    let (status, b) = send(&app, &m.token, "POST", "/api/v1/activities", Some(body(theirs))).await;
    assert_eq!((status, b["error"]["code"].as_str()), (404, Some("not_found")), "{b}");
    // The general director and sales support reach the client but do not change client records.
    for who in [&gd, &support] {
        let (status, b) = send(&app, &who.token, "POST", "/api/v1/activities", Some(body(ours))).await;
        assert_eq!((status, b["error"]["code"].as_str()), (403, Some("forbidden")), "{b}");
    }
    let mine = plan(&app, &m.token, body(ours)).await;
    let path = format!("/api/v1/activities/{}", id_of(&mine));
    let (status, _) = send(&app, &stranger.token, "GET", &path, None).await;
    assert_eq!(status, 404, "another department's activity is not found");
    let (status, _) = send(&app, &gd.token, "GET", &path, None).await;
    assert_eq!(status, 200, "the general director reads everything");
    let (status, _) = send(
        &app,
        &gd.token,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "subject": "Иначе" })),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = complete(&app, &support.token, &mine, json!({ "version": 1 })).await;
    assert_eq!(status, 403);
    let (status, _) = complete(&app, &stranger.token, &mine, json!({ "version": 1 })).await;
    assert_eq!(status, 404);
    let (_, still) = send(&app, &m.token, "GET", &path, None).await;
    assert_eq!(
        (still["status"].as_str(), still["version"].as_i64()),
        (Some("planned"), Some(1))
    );
    // Each refusal is in the audit log.
    let dir = app.user("dir", "commercial_director", None).await;
    let (_, log) = send(
        &app,
        &dir.token,
        "GET",
        "/api/v1/audit-log?action=denied&limit=200",
        None,
    )
    .await;
    let denied_actors: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["actor"]["id"].as_str())
        .collect();
    for who in [&stranger, &gd, &support] {
        assert!(denied_actors.contains(&who.id.to_string().as_str()), "{log}");
    }
}

async fn a_head_plans_for_a_manager_of_the_department_but_a_manager_not_for_a_colleague(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let colleague = app.user("petr", "manager", Some(d.f.department_a)).await;
    let head_b = app.user("boris", "head_of_department", Some(d.f.department_b)).await;
    let cp = client(&app, &m.token, "Клиент Ольги", json!({})).await;
    let body = |owner: Uuid| {
        json!({ "counterparty_id": cp, "owner_id": owner, "kind": "visit", "subject": "Совместный визит",
                "planned_at": local(days(2), 11, 0) })
    };
    let planned = plan(&app, &d.head.token, body(m.id)).await;
    assert_eq!(planned["owner"]["id"], m.id.to_string());
    let path = format!("/api/v1/activities/{}", id_of(&planned));
    let (status, read) = send(&app, &m.token, "GET", &path, None).await;
    assert_eq!(
        (status, &read),
        (200, &planned),
        "the answer is the stored activity, with the performer's name"
    );
    let (_, week) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/plan/week?date={}", days(2)),
        None,
    )
    .await;
    assert!(
        week["activities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == planned["id"]),
        "the head's plan is in the manager's week: {week}"
    );
    let (status, b) = send(&app, &m.token, "POST", "/api/v1/activities", Some(body(colleague.id))).await;
    assert_eq!(status, 403, "a manager plans only for themselves: {b}");
    let (status, _) = send(
        &app,
        &colleague.token,
        "POST",
        "/api/v1/activities",
        Some(body(colleague.id)),
    )
    .await;
    assert_eq!(status, 404, "a colleague's client is out of a manager's reach");
    let (status, _) = send(&app, &head_b.token, "POST", "/api/v1/activities", Some(body(m.id))).await;
    assert_eq!(status, 404, "another department's head does not reach the client");
    let (status, b) = send(&app, &m.token, "POST", "/api/v1/activities", Some(body(Uuid::now_v7()))).await;
    assert_eq!((status, b["error"]["field"].as_str()), (422, Some("owner_id")), "{b}");
}

// ---- completing, conflicts, moving, repeating ----

async fn completing_with_a_next_step_plans_the_next_activity_in_the_same_action(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(&app, &m.token, "Клиент с продолжением", json!({})).await;
    let person = contact(&app, &m.token, cp, "Иванов Иван", "+79161112233").await;
    let call = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "contact_id": person, "kind": "call", "subject": "Первый звонок",
                "planned_at": rfc3339((Utc::now() + Duration::minutes(30)).trunc_subsecs(0)) }),
    )
    .await;
    // A next step in the past is refused and nothing changes.
    let (status, b) = complete(
        &app,
        &m.token,
        &call,
        json!({ "version": 1, "result": "Интересно", "next": { "kind": "visit", "subject": "Визит",
                "planned_at": local(days(-2), 10, 0) } }),
    )
    .await;
    assert_eq!(
        (status, b["error"]["field"].as_str(), b["error"]["code"].as_str()),
        (422, Some("next_planned_at"), Some("planned_in_past")),
        "{b}"
    );
    let before = Utc::now().trunc_subsecs(6);
    let (status, done) = complete(
        &app,
        &m.token,
        &call,
        json!({ "version": 1, "status": "done", "result": "Интересуются поставкой",
                "next": { "kind": "visit", "subject": "Встреча на складе", "planned_at": local(days(3), 11, 0) } }),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let a = &done["activity"];
    assert_eq!(a["id"], call["id"]);
    assert_eq!(a["status"], "done");
    assert_eq!(a["result"], "Интересуются поставкой");
    assert_eq!(a["next_step"], "Встреча на складе");
    assert_eq!(a["version"], 2);
    let done_at = time_of(&a["done_at"]);
    assert!(
        done_at >= before && done_at <= Utc::now(),
        "marked early: counts from now ({done_at})"
    );
    let next = &done["next"];
    assert_eq!(next["follows_id"], call["id"]);
    assert_eq!(next["counterparty"]["id"], cp.to_string());
    assert_eq!(next["contact"]["id"], person.to_string(), "the same person");
    assert_eq!(next["owner"]["id"], m.id.to_string());
    assert_eq!(next["kind"], "visit");
    assert_eq!(next["subject"], "Встреча на складе");
    assert_eq!(next["status"], "planned");
    assert_eq!(time_of(&next["planned_at"]), moment(days(3), 11, 0));
    assert_eq!(next["duration_min"], 90, "a visit's usual length");
    assert_ne!(next["id"], call["id"]);
    // Both are in the client's timeline, and the call counts as the last contact.
    let (_, timeline) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities?counterparty_id={cp}"),
        None,
    )
    .await;
    let ids: Vec<&Value> = timeline["items"].as_array().unwrap().iter().map(|a| &a["id"]).collect();
    assert_eq!(ids, [&next["id"], &call["id"]], "newest first");
    assert_eq!(last_contact(&app, cp).await.0, Some(done_at));
    // Completing again: the activity is no longer planned (with the current version too).
    let (status, b) = complete(&app, &m.token, &call, json!({ "version": 2, "result": "ещё раз" })).await;
    assert_eq!(
        (status, b["error"]["field"].as_str(), b["error"]["code"].as_str()),
        (422, Some("status"), Some("activity_not_planned")),
        "{b}"
    );
    let (status, b) = send(
        &app,
        &m.token,
        "PATCH",
        &format!("/api/v1/activities/{}", id_of(&call)),
        Some(json!({ "version": 2, "subject": "Поправить" })),
    )
    .await;
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (422, Some("activity_not_planned"))
    );
    // Not done: no contact, no next step needed.
    let (_, not_done) = complete(
        &app,
        &m.token,
        next,
        json!({ "version": 1, "status": "not_done", "result": "Склад закрыт" }),
    )
    .await;
    assert_eq!(not_done["activity"]["status"], "not_done");
    assert!(not_done["next"].is_null());
    assert_eq!(
        last_contact(&app, cp).await,
        (Some(done_at), None),
        "a visit not made is no visit"
    );
}

async fn a_stale_version_is_refused_naming_who_changed_the_activity(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(&app, &m.token, "Клиент для конфликта", json!({})).await;
    let call = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "call", "subject": "Звонок", "planned_at": local(days(1), 10, 0) }),
    )
    .await;
    let path = format!("/api/v1/activities/{}", id_of(&call));
    let (status, b) = send(
        &app,
        &d.head.token,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "subject": "Звонок по договору" })),
    )
    .await;
    assert_eq!((status, b["version"].as_i64()), (200, Some(2)), "{b}");
    let (status, b) = complete(&app, &m.token, &call, json!({ "version": 1, "result": "ok" })).await;
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (409, Some("version_conflict")),
        "{b}"
    );
    assert!(b["error"]["message"].as_str().unwrap().contains("lena"), "{b}");
    let (status, b) = send(
        &app,
        &m.token,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "subject": "Моё" })),
    )
    .await;
    assert_eq!(status, 409, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("lena"), "{b}");
    let (_, now) = send(&app, &m.token, "GET", &path, None).await;
    assert_eq!(
        (now["subject"].as_str(), now["status"].as_str(), now["version"].as_i64()),
        (Some("Звонок по договору"), Some("planned"), Some(2))
    );
}

async fn moving_a_planned_activity_keeps_its_length_and_never_goes_into_the_past(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(&app, &m.token, "Клиент для переноса", json!({})).await;
    let visit = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "visit", "subject": "Визит", "planned_at": local(days(1), 10, 0),
                "ends_at": local(days(1), 12, 0) }),
    )
    .await;
    assert_eq!(visit["duration_min"], 120);
    let path = format!("/api/v1/activities/{}", id_of(&visit));
    let (status, moved) = send(
        &app,
        &m.token,
        "PATCH",
        &path,
        Some(json!({ "version": 1, "planned_at": local(days(2), 15, 30) })),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(time_of(&moved["planned_at"]), moment(days(2), 15, 30));
    assert_eq!(moved["duration_min"], 120, "moving keeps the length");
    assert_eq!(time_of(&moved["ends_at"]), moment(days(2), 17, 30));
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["subject"], "Визит", "untouched fields stay");
    let (status, b) = send(
        &app,
        &m.token,
        "PATCH",
        &path,
        Some(json!({ "version": 2, "planned_at": rfc3339(Utc::now() - Duration::hours(3)) })),
    )
    .await;
    assert_eq!(
        (status, b["error"]["field"].as_str(), b["error"]["code"].as_str()),
        (422, Some("planned_at"), Some("planned_in_past")),
        "{b}"
    );
    let (status, b) = send(
        &app,
        &m.token,
        "PATCH",
        &path,
        Some(json!({ "version": 2, "ends_at": local(days(2), 15, 0) })),
    )
    .await;
    assert_eq!(
        (status, b["error"]["code"].as_str()),
        (422, Some("ends_before_start")),
        "{b}"
    );
    let (_, same) = send(&app, &m.token, "GET", &path, None).await;
    assert_eq!(same, moved, "refused moves change nothing");
    // A new end changes the length.
    let (status, shorter) = send(
        &app,
        &m.token,
        "PATCH",
        &path,
        Some(json!({ "version": 2, "ends_at": local(days(2), 16, 0) })),
    )
    .await;
    assert_eq!(status, 200, "{shorter}");
    assert_eq!(shorter["duration_min"], 30);
    assert_eq!(time_of(&shorter["planned_at"]), moment(days(2), 15, 30));
}

async fn a_weekly_repeat_creates_copies_a_week_apart_in_one_series(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(&app, &m.token, "Ключевой клиент", json!({})).await;
    let person = contact(&app, &m.token, cp, "Закупщик", "+79165554433").await;
    let first = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "contact_id": person, "kind": "visit", "subject": "Визит по вторникам",
                "planned_at": local(days(1), 10, 0), "duration_min": 60 }),
    )
    .await;
    let start = time_of(&first["planned_at"]);
    let path = format!("/api/v1/activities/{}/repeat", id_of(&first));
    let (status, copies) = send(&app, &m.token, "POST", &path, Some(json!({ "count": 3 }))).await;
    assert_eq!(status, 201, "{copies}");
    let copies = copies.as_array().unwrap();
    assert_eq!(copies.len(), 3);
    for (i, c) in copies.iter().enumerate() {
        assert_eq!(time_of(&c["planned_at"]), start + Duration::weeks(i as i64 + 1), "{c}");
        assert_eq!(c["series_id"], first["id"], "the original's id names the series");
        assert_eq!(c["status"], "planned");
        assert_eq!(c["kind"], "visit");
        assert_eq!(c["subject"], "Визит по вторникам");
        assert_eq!(c["duration_min"], 60);
        assert_eq!(c["contact"]["id"], person.to_string());
        assert_eq!(c["owner"]["id"], m.id.to_string());
        assert_ne!(c["id"], first["id"]);
    }
    let (_, original) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities/{}", id_of(&first)),
        None,
    )
    .await;
    assert_eq!(original["series_id"], first["id"], "the original joins its series");
    // Repeating a copy every other week stays in the same series.
    let (status, more) = send(
        &app,
        &m.token,
        "POST",
        &format!("/api/v1/activities/{}/repeat", id_of(&copies[2])),
        Some(json!({ "every_weeks": 2, "count": 1 })),
    )
    .await;
    assert_eq!(status, 201, "{more}");
    assert_eq!(time_of(&more[0]["planned_at"]), start + Duration::weeks(5));
    assert_eq!(more[0]["series_id"], first["id"]);
    let (status, b) = send(&app, &m.token, "POST", &path, Some(json!({ "count": 0 }))).await;
    assert_eq!((status, b["error"]["field"].as_str()), (422, Some("count")), "{b}");
    let (status, b) = send(
        &app,
        &m.token,
        "POST",
        &path,
        Some(json!({ "count": 2, "every_weeks": 5 })),
    )
    .await;
    assert_eq!(
        (status, b["error"]["field"].as_str()),
        (422, Some("every_weeks")),
        "{b}"
    );
    let (_, timeline) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities?counterparty_id={cp}"),
        None,
    )
    .await;
    assert_eq!(
        timeline["items"].as_array().unwrap().len(),
        5,
        "refused repeats added nothing"
    );
}

// ---- the week view ----

/// An activity the week test made, as the test knows it.
struct Made {
    id: String,
    kind: &'static str,
    status: &'static str,
    at: DateTime<Utc>,
}

impl Made {
    fn of(v: &Value, kind: &'static str, status: &'static str) -> Self {
        Made {
            id: id_of(v).to_owned(),
            kind,
            status,
            at: time_of(&v["planned_at"]),
        }
    }
}

fn week_of(d: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    (moment(monday, 0, 0), moment(monday + Duration::days(7), 0, 0))
}

fn month_of(d: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = d.with_day(1).unwrap();
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1).unwrap()
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1).unwrap()
    };
    (moment(first, 0, 0), moment(next, 0, 0))
}

/// Plan against done over `[from, to)` as the test expects it: notes are not counted.
fn expected_counts(made: &[Made], (from, to): (DateTime<Utc>, DateTime<Utc>), now: DateTime<Utc>) -> Value {
    let within: Vec<&Made> = made
        .iter()
        .filter(|m| m.kind != "note" && m.at >= from && m.at < to)
        .collect();
    let count = |f: &dyn Fn(&Made) -> bool| within.iter().filter(|m| f(m)).count() as u32;
    let planned = within.len() as u32;
    let done = count(&|m| m.status == "done");
    json!({
        "planned": planned,
        "done": done,
        "not_done": count(&|m| m.status == "not_done"),
        "overdue": count(&|m| m.status == "planned" && m.at < now),
        "percent_done": (done * 100).checked_div(planned).unwrap_or(0),
    })
}

async fn the_week_view_counts_plan_against_done_for_the_week_and_the_month(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let colleague = app.user("petr", "manager", Some(d.f.department_a)).await;
    let cp = client(&app, &m.token, "Клиент недели", json!({})).await;
    let theirs = client(&app, &colleague.token, "Клиент коллеги", json!({})).await;
    let tomorrow = days(1);
    let mut made = Vec::new();
    let body =
        |kind: &str, at: String| json!({ "counterparty_id": cp, "kind": kind, "subject": "Дело", "planned_at": at });
    let planned = plan(&app, &m.token, body("call", local(tomorrow, 10, 0))).await;
    made.push(Made::of(&planned, "call", "planned"));
    let to_do = plan(&app, &m.token, body("visit", local(tomorrow, 12, 0))).await;
    let (status, _) = complete(&app, &m.token, &to_do, json!({ "version": 1, "status": "done" })).await;
    assert_eq!(status, 200);
    made.push(Made::of(&to_do, "visit", "done"));
    let missed = plan(&app, &m.token, body("meeting", local(tomorrow, 14, 0))).await;
    let (status, _) = complete(&app, &m.token, &missed, json!({ "version": 1, "status": "not_done" })).await;
    assert_eq!(status, 200);
    made.push(Made::of(&missed, "meeting", "not_done"));
    // A plan nobody marked: it was made for an hour ago (time has passed since it was planned).
    let forgotten = plan(&app, &m.token, body("call", local(tomorrow, 16, 0))).await;
    let an_hour_ago = (Utc::now() - Duration::hours(1)).trunc_subsecs(0);
    let forgotten_id: Uuid = id_of(&forgotten).parse().unwrap();
    db_run!(&app.db, pool => {
        sqlx::query("UPDATE activities SET planned_at = $1 WHERE id = $2")
            .bind(an_hour_ago).bind(forgotten_id).execute(pool).await.unwrap();
    });
    made.push(Made {
        id: forgotten_id.to_string(),
        kind: "call",
        status: "planned",
        at: an_hour_ago,
    });
    let recorded = record(&app, &m.token, cp, "call", days(-1), 15).await;
    made.push(Made::of(&recorded, "call", "done"));
    let note = plan(&app, &m.token, body("note", local(tomorrow, 9, 0))).await;
    made.push(Made::of(&note, "note", "planned"));
    let next_week = plan(&app, &m.token, body("call", local(days(7), 10, 0))).await;
    made.push(Made::of(&next_week, "call", "planned"));
    let far = plan(&app, &m.token, body("call", local(days(40), 10, 0))).await;
    made.push(Made::of(&far, "call", "planned"));
    // A colleague's plan is not in this manager's week.
    plan(
        &app,
        &colleague.token,
        json!({ "counterparty_id": theirs, "kind": "call", "subject": "Чужое", "planned_at": local(tomorrow, 11, 0) }),
    )
    .await;

    let now = Utc::now();
    let mut weeks_seen = 0;
    for date in [days(-1), today(), tomorrow, days(7)] {
        let (status, w) = send(&app, &m.token, "GET", &format!("/api/v1/plan/week?date={date}"), None).await;
        assert_eq!(status, 200, "{w}");
        let (from, to) = week_of(date);
        assert_eq!(w["week_start"], from.with_timezone(&msk()).date_naive().to_string());
        assert_eq!(w["owner"]["id"], m.id.to_string());
        assert_eq!(
            w["week"],
            expected_counts(&made, (from, to), now),
            "week of {date}: {w}"
        );
        assert_eq!(
            w["month"],
            expected_counts(&made, month_of(date), now),
            "month of {date}: {w}"
        );
        let mut got: Vec<&str> = w["activities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = made
            .iter()
            .filter(|m| m.at >= from && m.at < to)
            .map(|m| m.id.as_str())
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "the week lists its activities, notes included: {w}");
        weeks_seen += w["week"]["planned"].as_u64().unwrap();
    }
    assert!(weeks_seen >= 5, "the weeks around today hold the test's plans");
    // The week of tomorrow has one done, one not done and the still planned call.
    let (_, w) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/plan/week?date={tomorrow}"),
        None,
    )
    .await;
    assert!(
        w["week"]["done"].as_u64().unwrap() >= 1 && w["week"]["not_done"].as_u64().unwrap() >= 1,
        "{w}"
    );
    let (status, b) = send(&app, &m.token, "GET", "/api/v1/plan/week?date=31.12.2026", None).await;
    assert_eq!((status, b["error"]["field"].as_str()), (422, Some("date")));
    // The overdue list has exactly the forgotten plan.
    let (status, overdue) = send(&app, &m.token, "GET", "/api/v1/activities/overdue", None).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [forgotten_id.to_string().as_str()]);
}

async fn a_users_week_is_open_to_their_head_and_hidden_from_other_managers(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let colleague = app.user("petr", "manager", Some(d.f.department_a)).await;
    let stranger = app.user("ivan", "manager", Some(d.f.department_b)).await;
    let head_b = app.user("boris", "head_of_department", Some(d.f.department_b)).await;
    let dir = app.user("dir", "commercial_director", None).await;
    let cp = client(&app, &m.token, "Клиент", json!({})).await;
    let a = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "call", "subject": "Звонок", "planned_at": local(days(1), 10, 0) }),
    )
    .await;
    let path = format!("/api/v1/plan/week?owner_id={}&date={}", m.id, days(1));
    let (_, own) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/plan/week?date={}", days(1)),
        None,
    )
    .await;
    for who in [&d.head, &dir] {
        let (status, w) = send(&app, &who.token, "GET", &path, None).await;
        assert_eq!(status, 200, "{w}");
        assert_eq!(w, own, "the same week as the manager sees it");
        assert_eq!(w["activities"][0]["id"], a["id"]);
    }
    for who in [&colleague, &stranger, &head_b] {
        let (status, b) = send(&app, &who.token, "GET", &path, None).await;
        assert_eq!((status, b["error"]["code"].as_str()), (404, Some("not_found")), "{b}");
        let (status, _) = send(
            &app,
            &who.token,
            "GET",
            &format!("/api/v1/plan/priorities?owner_id={}", m.id),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = send(
            &app,
            &who.token,
            "GET",
            &format!("/api/v1/activities?owner_id={}", m.id),
            None,
        )
        .await;
        assert_eq!(status, 404);
    }
    let (status, _) = send(
        &app,
        &d.head.token,
        "GET",
        &format!("/api/v1/activities/overdue?owner_id={}", m.id),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

// ---- whom to contact now ----

/// Three clients of one manager, known for 100 days, none ever visited: contacted 45 days
/// ago, 40 days ago and yesterday.
struct Portfolio {
    overdue: Uuid,
    less_overdue: Uuid,
    recent: Uuid,
}

async fn portfolio(app: &TestApp, m: &SeedUser) -> Portfolio {
    let overdue = client(
        app,
        &m.token,
        "Ромашка",
        json!({ "phone": "+74951112233", "city": "Москва" }),
    )
    .await;
    let less_overdue = client(app, &m.token, "Лютик", json!({})).await;
    let recent = client(app, &m.token, "Василёк", json!({})).await;
    for (cp, ago) in [(overdue, 45), (less_overdue, 40), (recent, 1)] {
        known_for(app, cp, 100).await;
        record(app, &m.token, cp, "call", days(-ago), 10).await;
    }
    Portfolio {
        overdue,
        less_overdue,
        recent,
    }
}

fn ranked(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["counterparty"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn row(list: &Value, id: Uuid) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["counterparty"]["id"] == id.to_string())
        .cloned()
        .unwrap_or_else(|| panic!("{id} not on the list: {list}"))
}

fn reason(row: &Value, code: &str) -> Option<Value> {
    row["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .cloned()
}

async fn an_overdue_client_ranks_above_a_recent_one_with_reasons_in_both_languages(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let p = portfolio(&app, m).await;
    let (status, en) = send_in(&app, &m.token, "GET", "/api/v1/plan/priorities", None, "en").await;
    assert_eq!(status, 200, "{en}");
    assert_eq!(
        ranked(&en),
        [p.overdue, p.less_overdue, p.recent].map(|u| u.to_string()),
        "longest without contact first: {en}"
    );
    let top = row(&en, p.overdue);
    assert_eq!(top["counterparty"]["name"], "Ромашка");
    assert_eq!(top["phone"], "+74951112233");
    assert_eq!(top["city"], "Москва");
    assert_eq!(top["days_since_contact"], 45);
    assert_eq!(time_of(&top["last_contact_at"]), moment(days(-45), 10, 15));
    assert!(top["last_visit_at"].is_null());
    assert_eq!(
        (top["contact_every_days"].as_u64(), top["visit_every_days"].as_u64()),
        (Some(30), Some(90))
    );
    let contact = reason(&top, "contact_overdue").expect("contact overdue");
    assert_eq!(contact["params"], json!({ "days": "45", "every": "30" }));
    assert_eq!(contact["message"], "No contact for 45 days (rule: every 30)");
    let visit = reason(&top, "visit_overdue").expect("never visited in 100 days");
    assert_eq!(visit["message"], "No visit for 100 days (rule: every 90)");
    let points: i64 = top["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["points"].as_i64().unwrap())
        .sum();
    assert_eq!(
        top["score"].as_i64(),
        Some(points),
        "the score is the sum of the reasons"
    );
    let recent = row(&en, p.recent);
    assert!(
        reason(&recent, "contact_overdue").is_none(),
        "contacted yesterday: {recent}"
    );
    assert!(reason(&recent, "visit_overdue").is_some());
    assert_eq!(recent["days_since_contact"], 1);
    assert!(top["score"].as_i64() > recent["score"].as_i64());

    let (_, ru) = send_in(&app, &m.token, "GET", "/api/v1/plan/priorities", None, "ru").await;
    let top_ru = row(&ru, p.overdue);
    assert_eq!(
        reason(&top_ru, "contact_overdue").unwrap()["message"],
        "Не было контакта 45 дней (норма — раз в 30 дней)"
    );
    assert_eq!(
        reason(&top_ru, "visit_overdue").unwrap()["message"],
        "Не было визита 100 дней (норма — раз в 90 дней)"
    );
    assert_eq!(top_ru["score"], top["score"], "only the words differ");
    // Another department's manager has none of these clients.
    let stranger = app.user("ivan", "manager", Some(d.f.department_b)).await;
    let (_, theirs) = send(&app, &stranger.token, "GET", "/api/v1/plan/priorities", None).await;
    assert_eq!(theirs, json!([]));
    // The head sees the manager's list.
    let (status, by_head) = send(
        &app,
        &d.head.token,
        "GET",
        &format!("/api/v1/plan/priorities?owner_id={}", m.id),
        None,
    )
    .await;
    assert_eq!((status, ranked(&by_head)), (200, ranked(&en)));
}

/// An invoice of `total` kopecks written directly, due on `due`, with what already closed it.
async fn invoice(app: &TestApp, client: Uuid, number: &str, due: NaiveDate, total: i64, closed: [i64; 3]) {
    let [paid, credited, written_off] = closed;
    db_run!(&app.db, pool => {
        sqlx::query(
            "INSERT INTO invoices (id, number, counterparty_id, issued_on, due_on, total, paid, vat_amount, credited, \
             written_off, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, 1, $10)",
        )
        .bind(Uuid::now_v7()).bind(number).bind(client).bind(due - Duration::days(30)).bind(due).bind(total)
        .bind(paid).bind(credited).bind(written_off).bind(Utc::now())
        .execute(pool).await.unwrap();
    });
}

async fn overdue_debt_counts_what_is_neither_paid_credited_nor_written_off(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let p = portfolio(&app, m).await;
    // Overdue: 1 000,00 of which 200,00 paid, 100,00 credited by a return, 50,00 written off,
    // due 12 days ago; one closed by a write-off (older, but owed no more); one not yet due.
    invoice(&app, p.recent, "С-1", days(-12), 100_000, [20_000, 10_000, 5_000]).await;
    invoice(&app, p.recent, "С-2", days(-40), 30_000, [10_000, 0, 20_000]).await;
    invoice(&app, p.recent, "С-3", days(5), 70_000, [0, 0, 0]).await;
    invoice(&app, p.less_overdue, "С-4", days(-60), 50_000, [0, 50_000, 0]).await;
    let (status, list) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    assert_eq!(status, 200, "{list}");
    let debt = reason(&row(&list, p.recent), "overdue_debt").unwrap_or_else(|| panic!("owes 650,00: {list}"));
    assert_eq!(debt["params"]["amount"], "650.00", "{debt}");
    assert_eq!(debt["params"]["days"], "12", "the oldest invoice still open: {debt}");
    assert!(
        reason(&row(&list, p.less_overdue), "overdue_debt").is_none(),
        "a return credited the whole invoice: {list}"
    );
    assert!(reason(&row(&list, p.overdue), "overdue_debt").is_none());
}

async fn a_planned_contact_moves_a_client_down_the_priorities(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let p = portfolio(&app, m).await;
    let (_, before) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    assert_eq!(ranked(&before)[0], p.overdue.to_string());
    let score_before = row(&before, p.overdue)["score"].as_i64().unwrap();
    plan(
        &app,
        &m.token,
        json!({ "counterparty_id": p.overdue, "kind": "call", "subject": "Позвонить", "planned_at": local(days(1), 10, 0) }),
    )
    .await;
    let (_, after) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    assert_eq!(
        ranked(&after),
        [p.less_overdue, p.overdue, p.recent].map(|u| u.to_string()),
        "the planned client drops below the unplanned one: {after}"
    );
    let moved = row(&after, p.overdue);
    let planned = reason(&moved, "already_planned").expect("already planned");
    assert_eq!(planned["points"], -25);
    assert_eq!(planned["params"]["date"], days(1).to_string());
    assert_eq!(planned["message"], format!("Contact already planned for {}", days(1)));
    assert_eq!(moved["score"].as_i64(), Some(score_before - 25));
    assert!(reason(&moved, "contact_overdue").is_some(), "still overdue until done");
    // A task is not a contact: planning one does not move a client.
    plan(
        &app,
        &m.token,
        json!({ "counterparty_id": p.less_overdue, "kind": "task", "subject": "Подготовить КП",
                "planned_at": local(days(1), 12, 0) }),
    )
    .await;
    let (_, again) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    assert!(
        reason(&row(&again, p.less_overdue), "already_planned").is_none(),
        "{again}"
    );
}

// ---- contact rules ----

fn rule_set_body(department: impl ToString, version: i64, rules: Value) -> Value {
    json!({ "department_id": department.to_string(), "version": version, "rules": rules })
}

async fn contact_rules_start_as_the_company_defaults_and_only_the_head_sets_them(app: TestApp) {
    let d = desk(&app).await;
    let head_b = app.user("boris", "head_of_department", Some(d.f.department_b)).await;
    let dir = app.user("kirill", "commercial_director", None).await;
    let (status, defaults) = send(&app, &d.head.token, "GET", "/api/v1/contact-rules", None).await;
    assert_eq!(status, 200, "{defaults}");
    assert_eq!(defaults["department_id"], d.f.department_a.to_string());
    assert_eq!(defaults["inherited"], true);
    assert_eq!(defaults["version"], 0);
    let rules = defaults["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 10, "{defaults}");
    assert!(
        rules.contains(&json!({ "status": "client", "tier": null, "deal_stage": null,
        "contact_every_days": 30, "visit_every_days": 90 }))
    );
    assert!(
        rules.contains(&json!({ "status": null, "tier": null, "deal_stage": "negotiation",
        "contact_every_days": 3, "visit_every_days": null }))
    );
    let (_, seen_by_manager) = send(&app, &d.manager.token, "GET", "/api/v1/contact-rules", None).await;
    assert_eq!(seen_by_manager, defaults, "the manager reads the department's rules");
    let (status, _) = send(
        &app,
        &d.head.token,
        "GET",
        &format!("/api/v1/contact-rules?department_id={}", d.f.department_b),
        None,
    )
    .await;
    assert_eq!(status, 404, "another department's rules are out of the head's reach");

    let mine = json!([{ "status": "client", "contact_every_days": 14, "visit_every_days": 60 },
                      { "tier": "vip", "contact_every_days": 7 }]);
    for (who, department) in [
        (&d.manager, d.f.department_a),
        (&head_b, d.f.department_a),
        (&d.head, d.f.department_b),
    ] {
        let (status, b) = send(
            &app,
            &who.token,
            "PUT",
            "/api/v1/contact-rules",
            Some(rule_set_body(department, 0, mine.clone())),
        )
        .await;
        assert_eq!((status, b["error"]["code"].as_str()), (403, Some("forbidden")), "{b}");
    }
    let (status, set) = send(
        &app,
        &d.head.token,
        "PUT",
        "/api/v1/contact-rules",
        Some(rule_set_body(d.f.department_a, 0, mine.clone())),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["version"], 1);
    assert_eq!(set["inherited"], false);
    assert_eq!(set["department_id"], d.f.department_a.to_string());
    assert!(set["updated_at"].is_string());
    assert_eq!(
        set["rules"],
        json!([{ "status": "client", "tier": null, "deal_stage": null, "contact_every_days": 14, "visit_every_days": 60 },
               { "status": null, "tier": "vip", "deal_stage": null, "contact_every_days": 7, "visit_every_days": null }])
    );
    let (_, read) = send(&app, &d.manager.token, "GET", "/api/v1/contact-rules", None).await;
    assert_eq!(read, set);
    // The other department keeps the defaults.
    let (_, b_rules) = send(&app, &head_b.token, "GET", "/api/v1/contact-rules", None).await;
    assert_eq!(
        (b_rules["inherited"].as_bool(), b_rules["version"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(b_rules["rules"], defaults["rules"]);
    // The commercial director changes it; the head's stale copy is refused naming the director.
    let (status, b) = send(
        &app,
        &dir.token,
        "PUT",
        "/api/v1/contact-rules",
        Some(rule_set_body(
            d.f.department_a,
            1,
            json!([{ "status": "client", "contact_every_days": 21 }]),
        )),
    )
    .await;
    assert_eq!((status, b["version"].as_i64()), (200, Some(2)), "{b}");
    for stale in [1, 0] {
        let (status, b) = send(
            &app,
            &d.head.token,
            "PUT",
            "/api/v1/contact-rules",
            Some(rule_set_body(d.f.department_a, stale, mine.clone())),
        )
        .await;
        assert_eq!(
            (status, b["error"]["code"].as_str()),
            (409, Some("version_conflict")),
            "{b}"
        );
        assert!(b["error"]["message"].as_str().unwrap().contains("kirill"), "{b}");
    }
    let (_, now) = send(&app, &d.head.token, "GET", "/api/v1/contact-rules", None).await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["rules"][0]["contact_every_days"], 21);
    // The change is in the audit log.
    let (_, log) = send(&app, &dir.token, "GET", "/api/v1/audit-log?entity=contact_rules", None).await;
    let actors: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "update")
        .map(|e| e["actor"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(actors, [dir.id.to_string(), d.head.id.to_string()], "{log}");
}

async fn invalid_contact_rules_are_refused_naming_the_rule(app: TestApp) {
    let d = desk(&app).await;
    let good = json!({ "status": "client", "contact_every_days": 30 });
    let cases = [
        (
            json!([good, { "tier": "vip", "contact_every_days": 0 }]),
            "contact_every_days",
            "out_of_range",
            "2",
        ),
        (
            json!([{ "tier": "key", "visit_every_days": 400 }, good]),
            "visit_every_days",
            "out_of_range",
            "1",
        ),
        (
            json!([good, { "tier": "vip", "contact_every_days": 7 }, { "status": "client", "contact_every_days": 10 }]),
            "rules",
            "duplicate_rule",
            "3",
        ),
        (
            json!([good, { "status": "client" }]),
            "rules",
            "rule_without_interval",
            "2",
        ),
        (
            json!([good, { "deal_stage": "won", "contact_every_days": 3 }]),
            "deal_stage",
            "closed_deal_stage",
            "2",
        ),
        (
            json!([good, { "status": "friend", "contact_every_days": 3 }]),
            "status",
            "invalid_status",
            "2",
        ),
    ];
    for (rules, field, code, n) in cases {
        for (lang, word) in [("en", "Rule"), ("ru", "Правило")] {
            let (status, b) = send_in(
                &app,
                &d.head.token,
                "PUT",
                "/api/v1/contact-rules",
                Some(rule_set_body(d.f.department_a, 0, rules.clone())),
                lang,
            )
            .await;
            assert_eq!(status, 422, "{rules} → {b}");
            assert_eq!(
                (b["error"]["field"].as_str(), b["error"]["code"].as_str()),
                (Some(field), Some(code)),
                "{rules} → {b}"
            );
            let message = b["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("{word} {n}")),
                "the message names the rule ({word} {n}): {message}"
            );
        }
    }
    let (_, still) = send(&app, &d.head.token, "GET", "/api/v1/contact-rules", None).await;
    assert_eq!(
        (still["inherited"].as_bool(), still["version"].as_i64()),
        (Some(true), Some(0))
    );
}

async fn new_contact_rules_change_the_priorities(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let cp = client(&app, &m.token, "Клиент раз в три недели", json!({})).await;
    known_for(&app, cp, 25).await;
    record(&app, &m.token, cp, "call", days(-20), 10).await;
    let (_, before) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    assert_eq!(before, json!([]), "20 days without contact is within the default 30");
    let (status, b) = send(
        &app,
        &d.head.token,
        "PUT",
        "/api/v1/contact-rules",
        Some(rule_set_body(
            d.f.department_a,
            0,
            json!([{ "status": "client", "contact_every_days": 14, "visit_every_days": 60 }]),
        )),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (_, after) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    let r = row(&after, cp);
    assert_eq!(
        (r["contact_every_days"].as_u64(), r["visit_every_days"].as_u64()),
        (Some(14), Some(60))
    );
    let overdue = reason(&r, "contact_overdue").expect("overdue under the new rule");
    assert_eq!(overdue["params"], json!({ "days": "20", "every": "14" }));
    assert!(
        reason(&r, "visit_overdue").is_none(),
        "known for 25 days, visits every 60"
    );
    // Another department's manager keeps the defaults.
    let stranger = app.user("ivan", "manager", Some(d.f.department_b)).await;
    let theirs = client(&app, &stranger.token, "Клиент Урала", json!({})).await;
    known_for(&app, theirs, 25).await;
    record(&app, &stranger.token, theirs, "call", days(-20), 10).await;
    let (_, other) = send(&app, &stranger.token, "GET", "/api/v1/plan/priorities", None).await;
    assert_eq!(other, json!([]));
}

// ---- the calendar feed ----

/// One VEVENT as an independent reader (the `icalendar` crate) understood it.
#[derive(Debug)]
struct Event {
    uid: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    summary: String,
    location: Option<String>,
    description: String,
    status: String,
}

fn ical_time(v: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ")
        .unwrap_or_else(|e| panic!("not a UTC date-time {v:?}: {e}"))
        .and_utc()
}

/// Parses a feed with the `icalendar` crate's parser, after checking the RFC 5545 line form.
fn read_feed(text: &str) -> (Vec<(String, String)>, Vec<Event>) {
    assert!(text.ends_with("\r\n"), "content lines end with CRLF");
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "a line longer than 75 octets: {line:?}");
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "a bare line break: {line:?}"
        );
    }
    let unfolded = icalendar::parser::unfold(text);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let properties = calendar
        .properties
        .iter()
        .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
        .collect();
    let events = calendar
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .map(|c| {
            let prop = |name: &str| c.find_prop(name).map(|p| p.val.as_str().to_owned());
            let required = |name: &str| prop(name).unwrap_or_else(|| panic!("VEVENT without {name}"));
            Event {
                uid: required("UID"),
                start: ical_time(&required("DTSTART")),
                end: ical_time(&required("DTEND")),
                summary: required("SUMMARY"),
                location: prop("LOCATION"),
                description: required("DESCRIPTION"),
                status: required("STATUS"),
            }
        })
        .collect();
    (properties, events)
}

async fn create_feed(app: &TestApp, token: &str) -> String {
    let (status, b) = send(app, token, "POST", "/api/v1/me/calendar-feed", None).await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["active"], true);
    let url = b["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/calendar/", app.base)), "{url}");
    assert!(url.ends_with(".ics"), "{url}");
    url
}

/// Fetches a feed URL the way a phone's calendar does: no credentials but the URL.
async fn fetch(app: &TestApp, url: &str) -> (u16, Option<String>, String) {
    let res = app.http.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    (status, kind, res.text().await.unwrap())
}

async fn the_calendar_feed_reads_back_with_an_independent_icalendar_parser(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let colleague = app.user("petr", "manager", Some(d.f.department_a)).await;
    // Commas, semicolons and a backslash must survive the TEXT escaping; the long Cyrillic
    // address must survive folding at 75 octets.
    let name = r"Вектор, Север; Юг \ опт";
    let address = "170100, Тверская область, г. Тверь, ул. Советская, д. 5, строение 2; офис 12 (вход со двора)";
    let cp = client(&app, &m.token, name, json!({ "actual_address": address })).await;
    let person = contact(&app, &m.token, cp, "Смирнова Ольга Петровна", "+7 (916) 765-43-21").await;
    let bare = client(&app, &m.token, "ИП Без Адреса", json!({})).await;
    let visit = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "contact_id": person, "kind": "visit", "subject": "Договор, поставка; сроки",
                "planned_at": local(days(1), 10, 0) }),
    )
    .await;
    let call = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": bare, "kind": "call", "subject": "Звонок", "planned_at": local(days(2), 15, 30),
                "duration_min": 20 }),
    )
    .await;
    let done = record(&app, &m.token, cp, "meeting", days(-3), 9).await;
    let missed = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "contact_id": person, "kind": "call", "subject": "Не дозвонились",
                "planned_at": local(days(1), 17, 0) }),
    )
    .await;
    let (status, _) = complete(&app, &m.token, &missed, json!({ "version": 1, "status": "not_done" })).await;
    assert_eq!(status, 200);
    // Not in the feed: a note, a plan beyond half a year, a colleague's plan.
    plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "note", "subject": "Заметка", "planned_at": local(days(1), 8, 0) }),
    )
    .await;
    plan(
        &app,
        &m.token,
        json!({ "counterparty_id": cp, "kind": "call", "subject": "Через год", "planned_at": local(days(200), 10, 0) }),
    )
    .await;
    let theirs = client(&app, &colleague.token, "Клиент коллеги", json!({})).await;
    plan(
        &app,
        &colleague.token,
        json!({ "counterparty_id": theirs, "kind": "call", "subject": "Чужое", "planned_at": local(days(1), 10, 0) }),
    )
    .await;

    let url = create_feed(&app, &m.token).await;
    let (status, kind, text) = fetch(&app, &url).await;
    assert_eq!(status, 200, "{text}");
    assert!(kind.as_deref().unwrap_or("").starts_with("text/calendar"), "{kind:?}");
    let (properties, events) = read_feed(&text);
    assert!(
        properties.contains(&("VERSION".to_owned(), "2.0".to_owned())),
        "{properties:?}"
    );
    assert!(properties.iter().any(|(k, _)| k == "PRODID"));
    let mut uids: Vec<&str> = events.iter().map(|e| e.uid.as_str()).collect();
    uids.sort_unstable();
    let mut want: Vec<String> = [&visit, &call, &done, &missed]
        .iter()
        .map(|a| format!("{}@prospekt", id_of(a)))
        .collect();
    want.sort_unstable();
    assert_eq!(
        uids, want,
        "exactly the manager's activities of the feed's window, notes aside"
    );
    for e in &events {
        let id = e.uid.trim_end_matches("@prospekt");
        let (_, a) = send(&app, &m.token, "GET", &format!("/api/v1/activities/{id}"), None).await;
        assert_eq!(e.start, time_of(&a["planned_at"]), "{e:?}");
        assert_eq!(e.end, time_of(&a["ends_at"]), "{e:?}");
        let client_name = a["counterparty"]["name"].as_str().unwrap();
        assert!(e.summary.contains(client_name), "{e:?}");
        assert!(e.summary.contains(a["subject"].as_str().unwrap()), "{e:?}");
        assert_eq!(e.location.as_deref(), a["address"].as_str(), "{e:?}");
        assert!(e.description.contains(client_name), "{e:?}");
        if let Some(phone) = a["contact_phone"].as_str() {
            assert!(e.description.contains(phone), "{e:?}");
            assert!(e.description.contains(a["contact"]["name"].as_str().unwrap()), "{e:?}");
        }
        let status = if a["status"] == "not_done" {
            "CANCELLED"
        } else {
            "CONFIRMED"
        };
        assert_eq!(e.status, status, "{e:?}");
    }
    let v = events.iter().find(|e| e.uid.starts_with(id_of(&visit))).unwrap();
    assert_eq!(v.summary, format!("Визит: {name} — Договор, поставка; сроки"));
    assert_eq!(v.location.as_deref(), Some(address));
    assert!(v.description.contains("+79167654321"), "{v:?}");
    assert_eq!((v.start, v.end), (moment(days(1), 10, 0), moment(days(1), 11, 30)));
    let c = events.iter().find(|e| e.uid.starts_with(id_of(&call))).unwrap();
    assert_eq!(c.location, None, "no address, no LOCATION");
    assert_eq!(c.end - c.start, Duration::minutes(20));

    let (status, feed) = send(&app, &m.token, "GET", "/api/v1/me/calendar-feed", None).await;
    assert_eq!(status, 200);
    assert_eq!(feed["active"], true);
    assert!(feed["url"].is_null(), "the secret URL is shown only once");
    // Every fetch is an export in the audit log, by the feed's owner.
    let dir = app.user("dir", "commercial_director", None).await;
    let (_, log) = send(
        &app,
        &dir.token,
        "GET",
        "/api/v1/audit-log?entity=calendar_feed&action=export",
        None,
    )
    .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{log}");
    assert_eq!(items[0]["actor"]["id"], m.id.to_string());
    assert_eq!(items[0]["changes"]["events"], 4);
}

async fn a_revoked_or_replaced_calendar_feed_is_not_found(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    let (_, feed) = send(&app, &m.token, "GET", "/api/v1/me/calendar-feed", None).await;
    assert_eq!(feed["active"], false);
    let first = create_feed(&app, &m.token).await;
    assert_eq!(fetch(&app, &first).await.0, 200);
    let second = create_feed(&app, &m.token).await;
    assert_ne!(first, second);
    assert_eq!(fetch(&app, &first).await.0, 404, "a new feed revokes the old URL");
    let (status, _, text) = fetch(&app, &second).await;
    assert_eq!(status, 200);
    let (_, events) = read_feed(&text);
    assert!(events.is_empty(), "nothing planned yet");
    // Another user's feed is theirs alone.
    let other = app.user("petr", "manager", Some(d.f.department_a)).await;
    let theirs = create_feed(&app, &other.token).await;
    assert_eq!(
        fetch(&app, &second).await.0,
        200,
        "another user's new feed leaves this one alone"
    );
    let (status, _) = send(&app, &m.token, "DELETE", "/api/v1/me/calendar-feed", None).await;
    assert_eq!(status, 204);
    assert_eq!(fetch(&app, &second).await.0, 404, "a revoked feed is not found");
    assert_eq!(fetch(&app, &theirs).await.0, 200);
    let (_, feed) = send(&app, &m.token, "GET", "/api/v1/me/calendar-feed", None).await;
    assert_eq!(feed["active"], false);
    for wrong in [
        format!("{}/calendar/cal_{}.ics", app.base, "0".repeat(43)),
        format!("{}/calendar/.ics", app.base),
        second
            .trim_end_matches(".ics")
            .replace("/calendar/cal_", "/calendar/cal_x"),
    ] {
        let (status, _, _) = fetch(&app, &wrong).await;
        assert_eq!(status, 404, "{wrong}");
    }
}

// ---- merge ----

async fn merge(app: &TestApp, token: &str, keep: Uuid, dup: Uuid) -> Value {
    let version = |id: Uuid| async move {
        let (_, c) = send(app, token, "GET", &format!("/api/v1/counterparties/{id}"), None).await;
        c["version"].as_i64().unwrap()
    };
    let (kv, dv) = (version(keep).await, version(dup).await);
    let (status, b) = send(
        app,
        token,
        "POST",
        &format!("/api/v1/counterparties/{keep}/merge"),
        Some(json!({ "version": kv, "duplicate_id": dup, "duplicate_version": dv })),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    b
}

async fn a_merge_moves_the_activities_and_keeps_the_later_last_contact(app: TestApp) {
    let d = desk(&app).await;
    let m = &d.manager;
    // The duplicate was contacted later: its contact and visit win.
    let keep = client(&app, &m.token, "Сидоров Пётр", json!({})).await;
    let dup = client(&app, &m.token, "Сидоров Петр", json!({})).await;
    record(&app, &m.token, keep, "call", days(-10), 10).await;
    record(&app, &m.token, dup, "visit", days(-3), 10).await;
    let upcoming = plan(
        &app,
        &m.token,
        json!({ "counterparty_id": dup, "kind": "call", "subject": "Звонок", "planned_at": local(days(1), 10, 0) }),
    )
    .await;
    let b = merge(&app, &m.token, keep, dup).await;
    assert_eq!(b["moved"]["activities"], 2, "{b}");
    let (_, timeline) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities?counterparty_id={keep}"),
        None,
    )
    .await;
    assert_eq!(timeline["items"].as_array().unwrap().len(), 3, "{timeline}");
    let (_, moved) = send(
        &app,
        &m.token,
        "GET",
        &format!("/api/v1/activities/{}", id_of(&upcoming)),
        None,
    )
    .await;
    assert_eq!(moved["counterparty"]["id"], keep.to_string());
    assert_eq!(
        last_contact(&app, keep).await,
        (Some(moment(days(-3), 11, 30)), Some(moment(days(-3), 11, 30)))
    );
    // The survivor was contacted later, the duplicate visited: each column keeps the later one.
    let keep2 = client(&app, &m.token, "Кузнецов Ильдар", json!({})).await;
    let dup2 = client(&app, &m.token, "Кузнецов Ильдар Р.", json!({})).await;
    record(&app, &m.token, keep2, "call", days(-2), 10).await;
    record(&app, &m.token, dup2, "visit", days(-20), 10).await;
    record(&app, &m.token, dup2, "call", days(-5), 10).await;
    merge(&app, &m.token, keep2, dup2).await;
    assert_eq!(
        last_contact(&app, keep2).await,
        (Some(moment(days(-2), 10, 15)), Some(moment(days(-20), 11, 30)))
    );
    let (_, p) = send(&app, &m.token, "GET", "/api/v1/plan/priorities", None).await;
    assert!(
        p.as_array()
            .unwrap()
            .iter()
            .all(|r| r["counterparty"]["id"] != dup.to_string()),
        "a merged record is no longer a client to call: {p}"
    );
}
