//! Search over counterparties and contacts (`GET /api/v1/search`, `/search`): names with
//! typos, ё/е and any word order, identifiers, phones, e-mails, contacts, and the caller's
//! scope — each on SQLite and on PostgreSQL.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CounterpartySeed, TestApp};

crate::on_both_databases!(
    a_name_is_found_whatever_the_case_yo_and_quotes,
    one_and_two_typos_are_forgiven_and_rank_below_the_exact_name,
    word_order_does_not_matter,
    an_exact_inn_ranks_first_and_its_beginning_finds_the_rest,
    an_ogrn_finds_its_counterparty,
    a_phone_is_found_however_it_is_typed,
    an_email_is_found_whole_or_by_its_beginning,
    contacts_are_found_by_name_phone_and_email_with_their_counterparty,
    a_renamed_client_is_found_by_the_new_name_only,
    a_manager_does_not_find_another_managers_clients_or_contacts,
    a_contact_follows_its_client_from_portfolio_to_portfolio,
    a_query_too_short_is_refused_with_field_q,
    the_search_page_lists_hits_linked_to_client_cards,
);

const ROMASHKA_INN: &str = "7707083893";
const ROMASHKA_OGRN: &str = "1027700132195";

/// `GET /api/v1/search?q=…` as `token`: the status and the body.
async fn search_raw(app: &TestApp, token: &str, q: &str) -> (u16, Value) {
    let url = reqwest::Url::parse_with_params(&app.url("/api/v1/search"), &[("q", q)]).expect("url");
    let res = app.http.get(url).bearer_auth(token).send().await.expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.expect("json"))
}

/// The hits for `q`, asserting the request succeeded.
async fn search(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let (status, body) = search_raw(app, token, q).await;
    assert_eq!(status, 200, "{q:?}: {body}");
    body["items"].as_array().expect("items").clone()
}

fn names(hits: &[Value]) -> Vec<&str> {
    hits.iter().map(|h| h["name"].as_str().unwrap_or("")).collect()
}

fn ids(hits: &[Value]) -> Vec<Uuid> {
    hits.iter()
        .map(|h| h["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
        .collect()
}

/// An administrator (sees everything) and a few counterparties with contacts.
struct World {
    token: String,
    romashka: Uuid,
}

async fn world(app: &TestApp) -> World {
    let admin = app.user("admin_search", "administrator", None).await;
    let romashka = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"Ромашка\"",
            inn: Some(ROMASHKA_INN),
            ogrn: Some(ROMASHKA_OGRN),
            phone: Some("+74951234567"),
            email: Some("Info@romashka.ru"),
            city: Some("Москва"),
            ..Default::default()
        })
        .await;
    for (name, inn, phone) in [
        ("ООО «Ёлка»", "5408123456", "+73832123456"),
        ("ООО \"АвтоТорг\"", "6658123457", "+73432123457"),
        ("ООО \"Стройресурс\"", "7804123458", "+78121234567"),
        ("АО \"Василёк\"", "7707999990", "+74957654321"),
        ("ИП Иванов Иван Иванович", "770712345678", "+79031234567"),
    ] {
        app.counterparty_with(CounterpartySeed {
            name,
            inn: Some(inn),
            phone: Some(phone),
            city: Some("Новосибирск"),
            ..Default::default()
        })
        .await;
    }
    World {
        token: admin.token,
        romashka,
    }
}

async fn a_name_is_found_whatever_the_case_yo_and_quotes(app: TestApp) {
    let w = world(&app).await;
    for q in ["ромашка", "РОМАШКА", "Ромашка", "ООО «Ромашка»", "\"ромашка\"", "ромаш"]
    {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(ids(&hits).first(), Some(&w.romashka), "{q:?}: {:?}", names(&hits));
        assert_eq!(hits[0]["kind"], "counterparty");
        assert_eq!(hits[0]["inn"], ROMASHKA_INN);
        assert_eq!(hits[0]["city"], "Москва");
    }
    for q in ["ёлка", "елка", "ЁЛКА", "Елка"] {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(names(&hits).first(), Some(&"ООО «Ёлка»"), "{q:?}");
    }
    for q in ["василек", "василёк"] {
        assert_eq!(
            names(&search(&app, &w.token, q).await).first(),
            Some(&"АО \"Василёк\""),
            "{q:?}"
        );
    }
    assert!(search(&app, &w.token, "одуванчик").await.is_empty());
}

async fn one_and_two_typos_are_forgiven_and_rank_below_the_exact_name(app: TestApp) {
    let w = world(&app).await;
    // One typo, a swap, a typo in a fragment, two typos (7 letters), two typos in a long word.
    for q in ["ромошка", "рамашка", "рмоашка", "ромош", "рамошка"] {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(ids(&hits).first(), Some(&w.romashka), "{q:?}: {:?}", names(&hits));
    }
    // Two typos in a long word, swapped last letters, a Latin "c" typed in a Cyrillic word.
    for q in ["строиресурз", "стройресуср", "cтройресурс"] {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(names(&hits).first(), Some(&"ООО \"Стройресурс\""), "{q:?}");
    }
    // Three typos are too many.
    assert!(search(&app, &w.token, "рамошко").await.is_empty());
    // A near namesake is found too, but the exact name ranks first.
    let near = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"Ромошка\"",
            inn: Some("7702000001"),
            ..Default::default()
        })
        .await;
    let hits = search(&app, &w.token, "ромашка").await;
    assert_eq!(ids(&hits)[..2], [w.romashka, near], "{:?}", names(&hits));
    assert!(hits[0]["score"].as_u64() > hits[1]["score"].as_u64());
}

async fn word_order_does_not_matter(app: TestApp) {
    let w = world(&app).await;
    for q in ["торг авто", "авто торг", "автоторг", "ООО АвтоТорг"] {
        assert_eq!(
            names(&search(&app, &w.token, q).await).first(),
            Some(&"ООО \"АвтоТорг\""),
            "{q:?}"
        );
    }
    for q in ["иван иванов", "иванович иванов ип", "ип иванов"] {
        assert_eq!(
            names(&search(&app, &w.token, q).await).first(),
            Some(&"ИП Иванов Иван Иванович"),
            "{q:?}"
        );
    }
    // Every word must match: an extra unknown word finds nothing.
    assert!(search(&app, &w.token, "авто молоко").await.is_empty());
}

async fn an_exact_inn_ranks_first_and_its_beginning_finds_the_rest(app: TestApp) {
    let w = world(&app).await;
    // A name that contains the same digits must not outrank the INN.
    let namesake = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"7707083893\"",
            inn: Some("7701000002"),
            ..Default::default()
        })
        .await;
    let hits = search(&app, &w.token, ROMASHKA_INN).await;
    assert_eq!(ids(&hits)[..2], [w.romashka, namesake], "{:?}", names(&hits));
    assert_eq!(hits[0]["score"], 1000);
    // An INN prefix: Ромашка, Василёк (7707999990) and the sole proprietor (770712345678).
    let hits = search(&app, &w.token, "7707").await;
    let mut found = names(&hits);
    found.sort_unstable();
    assert_eq!(
        found,
        vec!["АО \"Василёк\"", "ИП Иванов Иван Иванович", "ООО \"Ромашка\""]
    );
    assert!(hits.iter().all(|h| h["score"] == 500), "{hits:?}");
    assert_eq!(ids(&search(&app, &w.token, "770708").await), vec![w.romashka]);
    // A twelve-digit INN, exactly.
    assert_eq!(
        names(&search(&app, &w.token, "770712345678").await),
        vec!["ИП Иванов Иван Иванович"]
    );
}

async fn an_ogrn_finds_its_counterparty(app: TestApp) {
    let w = world(&app).await;
    let hits = search(&app, &w.token, ROMASHKA_OGRN).await;
    assert_eq!(ids(&hits), vec![w.romashka]);
    assert_eq!(hits[0]["score"], 950);
    assert_eq!(ids(&search(&app, &w.token, "102770013").await), vec![w.romashka]);
}

async fn a_phone_is_found_however_it_is_typed(app: TestApp) {
    let w = world(&app).await;
    for q in [
        "8 (495) 123-45-67",
        "+7 495 123 45 67",
        "+74951234567",
        "74951234567",
        "4951234567",
        "(495) 123-45-67",
    ] {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(ids(&hits).first(), Some(&w.romashka), "{q:?}: {:?}", names(&hits));
        assert_eq!(hits[0]["score"], 900, "{q:?}");
        assert_eq!(hits[0]["phone"], "+74951234567");
    }
    // The beginning of a number finds every number that begins so.
    let hits = search(&app, &w.token, "8 495 ").await;
    let mut found = names(&hits);
    found.sort_unstable();
    assert_eq!(found, vec!["АО \"Василёк\"", "ООО \"Ромашка\""], "{hits:?}");
    assert!(search(&app, &w.token, "8 (499) 000-00-00").await.is_empty());
}

async fn an_email_is_found_whole_or_by_its_beginning(app: TestApp) {
    let w = world(&app).await;
    for q in [
        "info@romashka.ru",
        "INFO@Romashka.RU",
        " info@romashka.ru ",
        "info@rom",
        "info@",
    ] {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(ids(&hits), vec![w.romashka], "{q:?}");
    }
    assert_eq!(search(&app, &w.token, "info@romashka.ru").await[0]["score"], 900);
    assert!(search(&app, &w.token, "sales@romashka.ru").await.is_empty());
}

async fn contacts_are_found_by_name_phone_and_email_with_their_counterparty(app: TestApp) {
    let w = world(&app).await;
    let petrov = app
        .contact_with(
            w.romashka,
            "Петров Пётр Сергеевич",
            Some("+79161234567"),
            Some("p.petrov@romashka.ru"),
        )
        .await;
    let ivanova = app
        .contact_with(w.romashka, "Иванова Ирина Сергеевна", None, None)
        .await;
    for q in [
        "петров",
        "Пётр Петров",
        "петр петров",
        "петров петр сергеевич",
        "петорв",
    ] {
        let hits = search(&app, &w.token, q).await;
        assert_eq!(ids(&hits).first(), Some(&petrov), "{q:?}: {:?}", names(&hits));
        assert_eq!(hits[0]["kind"], "contact");
        assert_eq!(hits[0]["counterparty_id"], w.romashka.to_string());
        assert_eq!(hits[0]["counterparty_name"], "ООО \"Ромашка\"");
        assert_eq!(hits[0]["inn"], ROMASHKA_INN);
    }
    for q in [
        "8 916 123-45-67",
        "+7 (916) 1234567",
        "p.petrov@romashka.ru",
        "P.Petrov@",
    ] {
        assert_eq!(ids(&search(&app, &w.token, q).await), vec![petrov], "{q:?}");
    }
    assert_eq!(
        ids(&search(&app, &w.token, "ирина иванова").await).first(),
        Some(&ivanova)
    );
    // A contact is not found by its company's INN, the company is.
    assert_eq!(ids(&search(&app, &w.token, ROMASHKA_INN).await), vec![w.romashka]);
    // Counterparties and contacts come in one list: "иван" is a sole proprietor's and a
    // contact's name; the exact word ranks above the beginning of "Иванова".
    let hits = search(&app, &w.token, "иван").await;
    assert_eq!(
        names(&hits).first(),
        Some(&"ИП Иванов Иван Иванович"),
        "{:?}",
        names(&hits)
    );
    assert!(ids(&hits).contains(&ivanova));
}

async fn a_renamed_client_is_found_by_the_new_name_only(app: TestApp) {
    let w = world(&app).await;
    let director = app.user("cd_search", "commercial_director", None).await;
    let version = app
        .get(&format!("/api/v1/counterparties/{}", w.romashka), &director.token)
        .await;
    let version = version.json::<Value>().await.expect("json")["version"].clone();
    let res = app
        .http
        .patch(app.url(&format!("/api/v1/counterparties/{}", w.romashka)))
        .bearer_auth(&director.token)
        .json(&json!({ "version": version, "name": "ООО \"Незабудка\"" }))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap_or_default());
    assert_eq!(ids(&search(&app, &w.token, "незабудка").await), vec![w.romashka]);
    assert_eq!(ids(&search(&app, &w.token, "незабутка").await), vec![w.romashka]);
    assert!(search(&app, &w.token, "ромашка").await.is_empty());
}

async fn a_manager_does_not_find_another_managers_clients_or_contacts(app: TestApp) {
    let f = app.departments().await;
    let mine = app.user("mgr_a", "manager", Some(f.department_a)).await;
    let theirs = app.user("mgr_b", "manager", Some(f.department_b)).await;
    let head_b = app.user("head_b", "head_of_department", Some(f.department_b)).await;
    let own = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"Ромашка\"",
            inn: Some(ROMASHKA_INN),
            phone: Some("+74951234567"),
            owner: Some(mine.id),
            department: Some(f.department_a),
            ..Default::default()
        })
        .await;
    let other = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"Ромашка Урал\"",
            inn: Some("6658000003"),
            phone: Some("+73432000003"),
            email: Some("info@romashka-ural.ru"),
            owner: Some(theirs.id),
            department: Some(f.department_b),
            ..Default::default()
        })
        .await;
    let other_contact = app
        .contact_with(
            other,
            "Сидоров Семён Ильич",
            Some("+79220000003"),
            Some("s.sidorov@romashka-ural.ru"),
        )
        .await;
    assert_eq!(ids(&search(&app, &mine.token, "ромашка").await), vec![own]);
    assert_eq!(ids(&search(&app, &mine.token, "ромошка").await), vec![own]);
    for q in [
        "урал",
        "сидоров",
        "сидаров",
        "6658000003",
        "6658",
        "+7 343 200-00-03",
        "8 922 000-00-03",
        "info@romashka-ural.ru",
        "s.sidorov@",
    ] {
        assert!(
            search(&app, &mine.token, q).await.is_empty(),
            "{q:?} leaked to another manager"
        );
    }
    // The other manager and their head of department do find them.
    assert_eq!(ids(&search(&app, &theirs.token, "ромашка").await), vec![other]);
    assert_eq!(ids(&search(&app, &head_b.token, "сидоров").await), vec![other_contact]);
    assert_eq!(ids(&search(&app, &head_b.token, "6658000003").await), vec![other]);
    assert!(search(&app, &head_b.token, ROMASHKA_INN).await.is_empty());
}

/// `method path` with a JSON body as `token`: the status and the body.
async fn send(app: &TestApp, method: &str, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res = app
        .http
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            app.url(path),
        )
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A contact is found in a portfolio through the owner it carries (a copy of its
/// counterparty's): handing the client to another manager, or merging it into another
/// manager's client, takes its contacts along at once, whichever way they were found.
async fn a_contact_follows_its_client_from_portfolio_to_portfolio(app: TestApp) {
    let f = app.departments().await;
    let anna = app.user("mgr_anna", "manager", Some(f.department_a)).await;
    let boris = app.user("mgr_boris", "manager", Some(f.department_a)).await;
    let head = app.user("head_owner", "head_of_department", Some(f.department_a)).await;
    let client = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"Незабудка\"",
            inn: Some(ROMASHKA_INN),
            ogrn: Some(ROMASHKA_OGRN),
            phone: Some("+74951110011"),
            owner: Some(anna.id),
            department: Some(f.department_a),
            ..Default::default()
        })
        .await;
    let petrov = app
        .contact_with(client, "Петров Пётр Петрович", Some("+79220000011"), None)
        .await;
    let by_name = "петров";
    let by_phone = "8 922 000-00-11";
    let by_inn = &ROMASHKA_INN[..4];
    for q in [by_name, by_phone] {
        assert_eq!(ids(&search(&app, &anna.token, q).await), vec![petrov], "{q:?} as Anna");
        assert!(search(&app, &boris.token, q).await.is_empty(), "{q:?} as Boris");
    }
    for q in [by_inn, ROMASHKA_OGRN, "8 495 111-00-11"] {
        assert_eq!(ids(&search(&app, &anna.token, q).await), vec![client], "{q:?} as Anna");
        assert!(search(&app, &boris.token, q).await.is_empty(), "{q:?} as Boris");
    }

    // Handed to Boris: the client and its contact are his, by every kind of lookup.
    let (status, body) = send(
        &app,
        "PATCH",
        &head.token,
        &format!("/api/v1/counterparties/{client}"),
        json!({"version": 1, "owner_id": boris.id}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for q in [by_name, by_phone] {
        assert_eq!(
            ids(&search(&app, &boris.token, q).await),
            vec![petrov],
            "{q:?} as Boris"
        );
        assert!(search(&app, &anna.token, q).await.is_empty(), "{q:?} as Anna");
    }
    assert_eq!(ids(&search(&app, &boris.token, by_inn).await), vec![client]);
    assert!(search(&app, &anna.token, by_inn).await.is_empty());

    // Merged into Anna's other client: the moved contact is Anna's again.
    let keep = app
        .counterparty_with(CounterpartySeed {
            name: "ООО \"Незабудка Плюс\"",
            owner: Some(anna.id),
            department: Some(f.department_a),
            ..Default::default()
        })
        .await;
    let (status, body) = send(
        &app,
        "POST",
        &head.token,
        &format!("/api/v1/counterparties/{keep}/merge"),
        json!({"version": 1, "duplicate_id": client, "duplicate_version": 2}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for q in [by_name, by_phone] {
        assert_eq!(ids(&search(&app, &anna.token, q).await), vec![petrov], "{q:?} as Anna");
        assert!(search(&app, &boris.token, q).await.is_empty(), "{q:?} as Boris");
    }
}

async fn a_query_too_short_is_refused_with_field_q(app: TestApp) {
    let w = world(&app).await;
    for q in ["", " ", "р", " я "] {
        let (status, body) = search_raw(&app, &w.token, q).await;
        assert_eq!(status, 422, "{q:?}: {body}");
        assert_eq!(body["error"]["field"], "q", "{body}");
        assert_eq!(body["error"]["code"], "query_too_short", "{body}");
    }
    let res = app
        .http
        .get(app.url("/api/v1/search?q=%D1%80"))
        .bearer_auth(&w.token)
        .header("Accept-Language", "en")
        .send()
        .await
        .expect("request");
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["error"]["message"],
        "The query is too short: at least 2 characters"
    );
    let (status, body) = search_raw(&app, &w.token, "ип").await;
    assert_eq!(status, 200, "{body}");
    let res = app.get("/api/v1/search?q=%D1%80%D0%BE&limit=0", &w.token).await;
    assert_eq!(res.status().as_u16(), 422);
    let res = app
        .http
        .get(app.url("/api/v1/search?q=ромашка"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 401);
}

async fn the_search_page_lists_hits_linked_to_client_cards(app: TestApp) {
    let w = world(&app).await;
    let petrov = app.contact_with(w.romashka, "Петров Пётр Сергеевич", None, None).await;
    let page = |q: &str| {
        let url = reqwest::Url::parse_with_params(&app.url("/search"), &[("q", q)]).expect("url");
        let req = app.http.get(url).bearer_auth(&w.token);
        async move {
            let res = req.send().await.expect("request");
            assert_eq!(res.status().as_u16(), 200);
            res.text().await.expect("html")
        }
    };
    let html = page("ромашка").await;
    assert!(html.contains("data-testid=\"search-results\""), "{html}");
    assert!(html.contains(&format!("href=\"/clients/{}\"", w.romashka)));
    assert!(html.contains(ROMASHKA_INN));
    // A contact links to its counterparty's card and names it.
    let html = page("петров").await;
    assert!(html.contains("Петров Пётр Сергеевич") && html.contains(&format!("/clients/{}", w.romashka)));
    assert!(!html.contains(&petrov.to_string()));
    // Too short: the page explains instead of failing.
    let html = page("р").await;
    assert!(html.contains("data-testid=\"search-error\""), "{html}");
    // The header's search box is enabled and points here.
    let html = page("").await;
    assert!(
        html.contains("action=\"/search\"") && !html.contains("disabled title"),
        "{html}"
    );
}
