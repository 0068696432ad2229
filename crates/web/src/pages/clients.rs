//! The client card and the forms that create clients and their contact persons.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospekt_app::AppError;
use prospekt_app::clients::{ContactInput, ContactRow, CounterpartyInput};
use prospekt_app::counterparties::CounterpartyRow;
use prospekt_domain::counterparty::CounterpartyKind;
use prospekt_domain::ids::CounterpartyId;
use prospekt_domain::money::Money;
use serde::Deserialize;

use super::{NotFoundPage, PageUser, Shell, page_error, ru};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::i18n::field_error_message;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clients/new", get(new_form).post(new_submit))
        .route("/clients/stale", get(stale))
        .route("/clients/{id}", get(card))
        .route("/clients/{id}/contacts", post(add_contact))
}

struct CardData {
    c: CounterpartyRow,
    credit_limit: String,
    contacts: Vec<ContactRow>,
    /// (time, who, action, changes)
    history: Vec<(String, String, String, String)>,
    /// (id, name, reason) of possible duplicates, right after creation.
    warnings: Vec<(String, String, String)>,
    can_edit: bool,
    contact_error: Option<String>,
    l_terms: &'static str,
    l_contacts: &'static str,
    l_full_name: &'static str,
    l_position: &'static str,
    l_consent: &'static str,
    l_add_contact: &'static str,
    l_history: &'static str,
    l_possible_dup: &'static str,
}

page!(CardPage, "client.html", CardData);

async fn render_card(
    state: &AppState,
    u: &PageUser,
    id: CounterpartyId,
    contact_error: Option<String>,
    warnings: Vec<(String, String, String)>,
) -> Response {
    let lang = u.lang;
    let shell = Shell::new(u, "clients");
    let c = match state.app.counterparty(&u.actor, id).await {
        Ok(c) => c,
        Err(AppError::NotFound) => return (StatusCode::NOT_FOUND, NotFoundPage { shell }).into_response(),
        Err(e) => return page_error(lang, e),
    };
    let (contacts, history) = match (
        state.app.contacts(&u.actor, id).await,
        state.app.counterparty_history(&u.actor, id, 30).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return page_error(lang, e),
    };
    let history = history
        .into_iter()
        .map(|h| {
            let who = match (h.actor_name, h.on_behalf_of_name) {
                (Some(a), Some(b)) => format!("{a} ({} {b})", ru(lang, "за", "for")),
                (Some(a), None) => a,
                _ => ru(lang, "система", "system").to_owned(),
            };
            (h.at.format("%d.%m.%Y %H:%M").to_string(), who, h.action, h.changes)
        })
        .collect();
    let status = if contact_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = CardPage {
        shell,
        x: CardData {
            credit_limit: Money::from_kopecks(c.credit_limit).format_ru(),
            c,
            contacts,
            history,
            warnings,
            can_edit: prospekt_app::policy::may_edit_clients(u.actor.role),
            contact_error,
            l_terms: ru(lang, "Работа с клиентом", "Account"),
            l_contacts: ru(lang, "Контактные лица", "Contact persons"),
            l_full_name: ru(lang, "ФИО", "Full name"),
            l_position: ru(lang, "Должность", "Position"),
            l_consent: ru(lang, "Согласие на обработку ПДн", "Personal-data consent"),
            l_add_contact: ru(lang, "Добавить контакт", "Add contact"),
            l_history: ru(lang, "История изменений", "Change history"),
            l_possible_dup: ru(lang, "Возможный дубль:", "Possible duplicate:"),
        },
    };
    (status, page).into_response()
}

async fn card(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    match parse_id::<CounterpartyId>("id", &id) {
        Ok(id) => render_card(&state, &u, id, None, Vec::new()).await,
        Err(_) => (
            StatusCode::NOT_FOUND,
            NotFoundPage {
                shell: Shell::new(&u, "clients"),
            },
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct ContactForm {
    full_name: String,
    position: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    consent_pd: Option<String>,
}

async fn add_contact(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
) -> Response {
    let Ok(id) = parse_id::<CounterpartyId>("id", &id) else {
        return (
            StatusCode::NOT_FOUND,
            NotFoundPage {
                shell: Shell::new(&u, "clients"),
            },
        )
            .into_response();
    };
    let input = ContactInput {
        full_name: f.full_name,
        position: f.position,
        phone: f.phone,
        email: f.email,
        consent_pd: f.consent_pd.is_some(),
        ..Default::default()
    };
    match state.app.create_contact(&u.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/clients/{id}")).into_response(),
        Err(AppError::Invalid(e)) => {
            render_card(&state, &u, id, Some(field_error_message(u.lang, &e)), Vec::new()).await
        }
        Err(e) => page_error(u.lang, e),
    }
}

#[derive(Deserialize, Default)]
struct NewForm {
    kind: String,
    name: String,
    inn: String,
    kpp: String,
    ogrn: String,
    city: String,
    phone: String,
    email: String,
}

struct NewData {
    title: &'static str,
    l_create: &'static str,
    kinds: Vec<(&'static str, &'static str)>,
    f: NewForm,
    error: Option<String>,
}

page!(NewPage, "client_new.html", NewData);

fn new_page(u: &PageUser, f: NewForm, error: Option<String>) -> Response {
    let lang = u.lang;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = NewPage {
        shell: Shell::new(u, "clients"),
        x: NewData {
            title: ru(lang, "Новый клиент", "New client"),
            l_create: ru(lang, "Создать", "Create"),
            kinds: CounterpartyKind::ALL
                .iter()
                .map(|k| (k.as_str(), lang.label(k.as_str())))
                .collect(),
            f,
            error,
        },
    };
    (status, page).into_response()
}

async fn new_form(u: PageUser) -> Response {
    new_page(
        &u,
        NewForm {
            kind: "legal_entity".into(),
            ..Default::default()
        },
        None,
    )
}

async fn new_submit(State(state): State<AppState>, u: PageUser, Form(f): Form<NewForm>) -> Response {
    let some = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let input = CounterpartyInput {
        kind: f.kind.clone(),
        name: f.name.clone(),
        inn: some(&f.inn),
        kpp: some(&f.kpp),
        ogrn: some(&f.ogrn),
        city: some(&f.city),
        phone: some(&f.phone),
        email: some(&f.email),
        ..Default::default()
    };
    match state.app.create_counterparty(&u.actor, &input).await {
        Ok(created) => {
            let id = CounterpartyId::from_uuid(created.row.id);
            if created.warnings.is_empty() {
                return Redirect::to(&format!("/clients/{id}")).into_response();
            }
            let warnings = created
                .warnings
                .into_iter()
                .map(|w| (w.id.to_string(), w.name, w.reason))
                .collect();
            render_card(&state, &u, id, None, warnings).await
        }
        Err(AppError::Invalid(e)) => {
            let msg = field_error_message(u.lang, &e);
            new_page(&u, f, Some(msg))
        }
        Err(e @ (AppError::Duplicate { .. } | AppError::Forbidden)) => {
            let msg = crate::error::ApiError::from_app(u.lang, e).message;
            new_page(&u, f, Some(msg))
        }
        Err(e) => page_error(u.lang, e),
    }
}

#[derive(Deserialize)]
struct StaleQuery {
    days: Option<u32>,
}

struct StaleData {
    title: &'static str,
    l_days: &'static str,
    l_idle: &'static str,
    days: u32,
    error: Option<String>,
    /// (id, name, status, owner, updated, days idle)
    rows: Vec<(String, String, String, String, String, i64)>,
}

page!(StalePage, "stale.html", StaleData);

/// Clients nobody has touched or contacted for N days (90 by default).
async fn stale(
    State(state): State<AppState>,
    u: PageUser,
    axum::extract::Query(q): axum::extract::Query<StaleQuery>,
) -> Response {
    let lang = u.lang;
    let days = q.days.unwrap_or(90);
    let now = chrono::Utc::now();
    let (rows, error) = match state.app.stale_counterparties(&u.actor, days, None, 200).await {
        Ok(rows) => (rows, None),
        Err(AppError::Invalid(e)) => (Vec::new(), Some(field_error_message(lang, &e))),
        Err(e) => return page_error(lang, e),
    };
    let rows = rows
        .into_iter()
        .map(|r| {
            let idle = (now - r.updated_at).num_days();
            let owner = r
                .owner_name
                .clone()
                .unwrap_or_else(|| lang.strings().unassigned.to_owned());
            (
                r.id.to_string(),
                r.name,
                r.status,
                owner,
                r.updated_at.format("%d.%m.%Y").to_string(),
                idle,
            )
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = StalePage {
        shell: Shell::new(&u, "stale"),
        x: StaleData {
            title: ru(lang, "Давно без внимания", "Needing attention"),
            l_days: ru(
                lang,
                "Не обновлялись и без контактов, дней",
                "Not updated or contacted for, days",
            ),
            l_idle: ru(lang, "Дней без изменений", "Days idle"),
            days,
            error,
            rows,
        },
    };
    (status, page).into_response()
}
