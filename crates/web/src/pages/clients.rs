//! The client base (C1) in HTML: the filtered list, the form that creates a client, and the
//! "needing attention" list. The card lives in `card`, the duplicate report in `duplicates`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use prospekt_app::AppError;
use prospekt_app::clients::CounterpartyInput;
use prospekt_app::counterparties::CounterpartyRow;
use prospekt_domain::counterparty::{CounterpartyKind, LifecycleStatus, Tier};
use prospekt_domain::ids::CounterpartyId;
use serde::Deserialize;

use super::{NotFoundPage, PageUser, Shell, page_error, ru};
use crate::AppState;
use crate::api::counterparties::{ListParams, encode_cursor};
use crate::i18n::{Lang, field_error_message};

mod card;
mod duplicates;
mod import;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clients", get(list))
        .route("/clients/new", get(new_form).post(new_submit))
        .route("/clients/stale", get(stale))
        .merge(card::router())
        .merge(duplicates::router())
        .merge(import::router())
}

/// The card of `id` again, with the error of an activity form posted from its timeline.
pub(super) async fn card_with_activity_error(
    state: &AppState,
    u: &PageUser,
    id: CounterpartyId,
    error: super::plan::ActError,
) -> Response {
    let st = card::CardState {
        activity_error: Some(error),
        ..Default::default()
    };
    card::render(state, u, id, st).await
}

/// The card of `id` again, with the refusal of an action taken from one of its panels.
pub(super) async fn card_with_action_error(
    state: &AppState,
    u: &PageUser,
    id: CounterpartyId,
    error: String,
) -> Response {
    let st = card::CardState {
        action_error: Some(error),
        ..Default::default()
    };
    card::render(state, u, id, st).await
}

/// Rows per page of the client list.
const PAGE_ROWS: i64 = 50;

/// The shell's 404 page, for ids that do not parse or records out of reach.
pub(super) fn not_found(u: &PageUser) -> Response {
    (
        StatusCode::NOT_FOUND,
        NotFoundPage {
            shell: Shell::new(u, "clients"),
        },
    )
        .into_response()
}

/// 422 when the page carries a form error, 200 otherwise.
fn status_for(error: bool) -> StatusCode {
    if error {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// Percent-encodes a query-string value (RFC 3986 unreserved characters stay as they are).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The display name of a counterparty field, as named in audit entries and field errors.
fn field_label(lang: Lang, field: &str) -> &str {
    let t = lang.strings();
    match field {
        "name" => t.name,
        "full_name" => t.full_name,
        "kind" => t.kind,
        "status" => t.status,
        "tier" => t.tier,
        "owner_id" | "owner" => t.owner,
        "industry" => t.industry,
        "city" => t.city,
        "phone" => t.phone,
        "email" => t.email,
        "notes" => t.notes,
        "legal_address" => t.legal_address,
        "actual_address" => t.actual_address,
        "inn" => t.inn,
        "kpp" => t.kpp,
        "ogrn" => t.ogrn,
        "size" => t.size,
        "lead_source" => t.lead_source,
        "needs" => t.needs,
        "external_id" => t.external_id,
        "tags" => t.tags,
        "territory_id" | "territory" => t.territory,
        "department_id" => ru(lang, "Отдел", "Department"),
        "payment_terms_days" => t.payment_terms,
        "credit_limit" => t.credit_limit,
        "archived_at" => t.archived,
        "merged_into" => ru(lang, "Объединён с", "Merged into"),
        "name_city" => ru(lang, "то же название в том же городе", "the same name in the same city"),
        "bank_account" => t.bank_accounts,
        "bik" => t.bik,
        "account" => t.account,
        "corr_account" => t.corr_account,
        "bank_name" => t.bank_name,
        "contacts" => t.contacts,
        "bank_accounts" => t.bank_accounts,
        "activities" => ru(lang, "Активности", "Activities"),
        "deals" => ru(lang, "Сделки", "Deals"),
        "orders" => ru(lang, "Заказы", "Orders"),
        "invoices" => ru(lang, "Счета", "Invoices"),
        "payments" => ru(lang, "Платежи", "Payments"),
        "contact_name" => ru(lang, "Контакт: ФИО", "Contact: full name"),
        "contact_position" => ru(lang, "Контакт: должность", "Contact: position"),
        "contact_phone" => ru(lang, "Контакт: телефон", "Contact: phone"),
        "contact_email" => ru(lang, "Контакт: e-mail", "Contact: e-mail"),
        "row" => ru(lang, "Строка", "Row"),
        "file" => ru(lang, "Файл", "File"),
        other => other,
    }
}

/// Users a head or director may pick as a client's manager (their user directory); empty for
/// managers, whose portfolio is their own.
async fn owner_options(state: &AppState, u: &PageUser) -> Result<Vec<(String, String)>, AppError> {
    if u.actor.role.is_portfolio_bound() {
        return Ok(Vec::new());
    }
    let mut users: Vec<(String, String)> = state
        .app
        .users(&u.actor)
        .await?
        .into_iter()
        .filter(|r| r.is_active)
        .map(|r| (r.id.to_string(), r.display_name))
        .collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(users)
}

async fn territory_options(state: &AppState, u: &PageUser) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .app
        .territories(&u.actor)
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect())
}

/// The list's filters as they arrive in the query string; all optional.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListForm {
    status: String,
    tier: String,
    owner: String,
    territory: String,
    tag: String,
    archived: String,
    cursor: String,
}

impl ListForm {
    fn archived(&self) -> bool {
        matches!(self.archived.as_str(), "1" | "true" | "on")
    }

    /// The filters (not the cursor) as a query string, for the pager and the export links.
    fn query_string(&self) -> String {
        let archived = if self.archived() { "1" } else { "" };
        [
            ("status", self.status.as_str()),
            ("tier", self.tier.as_str()),
            ("owner", self.owner.as_str()),
            ("territory", self.territory.as_str()),
            ("tag", self.tag.trim()),
            ("archived", archived),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
    }
}

struct ListData {
    rows: Vec<CounterpartyRow>,
    f: ListForm,
    statuses: Vec<(&'static str, &'static str)>,
    tiers: Vec<(&'static str, &'static str)>,
    /// Empty for managers: they see their own portfolio only.
    owners: Vec<(String, String)>,
    territories: Vec<(String, String)>,
    /// `&`-prefixed filters for links that already carry a parameter ("" without filters).
    amp_filters: String,
    has_cursor: bool,
    next_cursor: Option<String>,
    filtered: bool,
    can_edit: bool,
    can_export: bool,
    error: Option<String>,
    l_tag_hint: &'static str,
    l_reset: &'static str,
    l_on_page: &'static str,
    l_sorted: &'static str,
}

page!(ListPage, "clients.html", ListData);

/// The client list: filters in the query string (plain GET form, htmx swaps only the results),
/// keyset pages by name.
async fn list(State(state): State<AppState>, u: PageUser, Query(f): Query<ListForm>) -> Response {
    let lang = u.lang;
    let params = ListParams {
        owner: Some(f.owner.clone()),
        status: Some(f.status.clone()),
        tier: Some(f.tier.clone()),
        territory: Some(f.territory.clone()),
        tag: Some(f.tag.trim().to_owned()),
        archived: Some(f.archived()),
        cursor: Some(f.cursor.clone()),
        limit: Some(PAGE_ROWS),
    };
    let (mut rows, error) = match params.to_query() {
        Ok(query) => match state.app.counterparties(&u.actor, &query).await {
            Ok(rows) => (rows, None),
            Err(AppError::Invalid(e)) => (Vec::new(), Some(field_error_message(lang, &e))),
            Err(e) => return page_error(lang, e),
        },
        Err(e) => (Vec::new(), Some(field_error_message(lang, &e))),
    };
    let (owners, territories) = match (owner_options(&state, &u).await, territory_options(&state, &u).await) {
        (Ok(o), Ok(t)) => (o, t),
        (Err(e), _) | (_, Err(e)) => return page_error(lang, e),
    };
    let next_cursor = (rows.len() as i64 == PAGE_ROWS)
        .then(|| rows.last().map(|r| encode_cursor(&r.name, r.id)))
        .flatten();
    // The viewer's own clients say "you" rather than repeating their full name on every row.
    let me = u.actor.user_id.as_uuid();
    for r in rows.iter_mut().filter(|r| r.owner_id == Some(me)) {
        r.owner_name = Some(ru(lang, "Вы", "You").to_owned());
    }
    let qs = f.query_string();
    let page = ListPage {
        shell: Shell::new(&u, "clients"),
        x: ListData {
            rows,
            statuses: LifecycleStatus::ALL
                .iter()
                .map(|s| (s.as_str(), lang.label(s.as_str())))
                .collect(),
            tiers: Tier::ALL.iter().map(|s| (s.as_str(), lang.label(s.as_str()))).collect(),
            owners,
            territories,
            amp_filters: if qs.is_empty() { qs.clone() } else { format!("&{qs}") },
            has_cursor: !f.cursor.is_empty(),
            next_cursor,
            filtered: !qs.is_empty(),
            f,
            can_edit: prospekt_app::policy::may_edit_clients(u.actor.role),
            can_export: u.actor.can_export,
            error: error.clone(),
            l_tag_hint: ru(lang, "одна метка", "one tag"),
            l_reset: ru(lang, "Сбросить", "Reset"),
            l_on_page: ru(lang, "на странице", "on this page"),
            l_sorted: ru(lang, "По алфавиту", "Sorted by name"),
        },
    };
    (status_for(error.is_some()), page).into_response()
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
    let status = status_for(error.is_some());
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
                .map(|w| (w.id.to_string(), w.name, field_label(u.lang, &w.reason).to_owned()))
                .collect();
            card::render(
                &state,
                &u,
                id,
                card::CardState {
                    warnings,
                    ..Default::default()
                },
            )
            .await
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
async fn stale(State(state): State<AppState>, u: PageUser, Query(q): Query<StaleQuery>) -> Response {
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
    let status = status_for(error.is_some());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            enc("опт & розница"),
            "%D0%BE%D0%BF%D1%82%20%26%20%D1%80%D0%BE%D0%B7%D0%BD%D0%B8%D1%86%D0%B0"
        );
        assert_eq!(enc("a-b_c.d~1"), "a-b_c.d~1");
    }

    #[test]
    fn the_filter_query_string_keeps_only_set_filters() {
        let f = ListForm {
            status: "client".into(),
            tag: " опт ".into(),
            archived: "on".into(),
            cursor: "abc".into(),
            ..Default::default()
        };
        assert_eq!(f.query_string(), "status=client&tag=%D0%BE%D0%BF%D1%82&archived=1");
        assert_eq!(ListForm::default().query_string(), "");
    }
}
