//! The results page behind the header's search box (`/search?q=`): the same search as
//! `GET /api/v1/search`, rendered as a table that links every hit to its client card.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prospekt_app::AppError;
use prospekt_domain::search::HitKind;
use serde::Deserialize;

use super::{PageUser, Shell, page_error, ru};
use crate::AppState;
use crate::i18n::field_error_message;

/// Hits shown on the page.
const PAGE_HITS: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search_page))
}

#[derive(Deserialize)]
struct SearchForm {
    q: Option<String>,
}

struct HitView {
    kind: &'static str,
    name: String,
    counterparty_id: String,
    counterparty_name: Option<String>,
    inn: String,
    city: String,
    phone: String,
    email: String,
}

struct SearchData {
    title: &'static str,
    l_find: &'static str,
    l_hint: &'static str,
    q: String,
    error: Option<String>,
    /// A query was run (an empty box shows only the hint).
    searched: bool,
    hits: Vec<HitView>,
}

page!(SearchPage, "search.html", SearchData);

async fn search_page(State(state): State<AppState>, u: PageUser, Query(f): Query<SearchForm>) -> Response {
    let lang = u.lang;
    let q = f.q.unwrap_or_default().trim().to_owned();
    let mut data = SearchData {
        title: ru(lang, "Поиск", "Search"),
        l_find: ru(lang, "Найти", "Find"),
        l_hint: ru(
            lang,
            "Название (можно с опечатками и в любом порядке слов), ИНН, ОГРН, телефон или e-mail клиента или контактного лица.",
            "A name (typos and any word order are fine), INN, OGRN, phone or e-mail of a client or a contact person.",
        ),
        q: q.clone(),
        error: None,
        searched: false,
        hits: Vec::new(),
    };
    if !q.is_empty() {
        match state.app.search(&u.actor, &q, PAGE_HITS).await {
            Ok(hits) => {
                data.searched = true;
                data.hits = hits
                    .into_iter()
                    .map(|h| HitView {
                        kind: match h.kind {
                            HitKind::Counterparty => ru(lang, "Клиент", "Client"),
                            HitKind::Contact => ru(lang, "Контакт", "Contact"),
                        },
                        name: h.name,
                        counterparty_id: h.counterparty_id.to_string(),
                        counterparty_name: h.counterparty_name,
                        inn: h.inn.unwrap_or_default(),
                        city: h.city.unwrap_or_default(),
                        phone: h.phone.unwrap_or_default(),
                        email: h.email.unwrap_or_default(),
                    })
                    .collect();
            }
            Err(AppError::Invalid(e)) => data.error = Some(field_error_message(lang, &e)),
            Err(e) => return page_error(lang, e),
        }
    }
    SearchPage {
        shell: Shell::new(&u, "search"),
        x: data,
    }
    .into_response()
}
