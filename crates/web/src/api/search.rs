//! `/api/v1/search`: one box over counterparties and contacts visible to the caller.

use axum::Json;
use axum::extract::{Query, State};
use prospekt_app::search::{DEFAULT_LIMIT, MAX_LIMIT, SearchHit};
use prospekt_domain::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// What to look for: a name or part of it (typos, word order and ё/е do not matter),
    /// an INN or OGRN or their beginning, a phone number in any usual format, an e-mail.
    /// At least 2 characters.
    pub q: Option<String>,
    /// How many hits, 1–200 (default 20).
    pub limit: Option<i64>,
}

impl SearchParams {
    /// The query text and the limit, or the field that is wrong.
    pub fn parse(&self) -> Result<(&str, i64), FieldError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(FieldError::new("limit", "invalid_limit"));
        }
        Ok((self.q.as_deref().unwrap_or(""), limit))
    }
}

/// A counterparty or a contact person that matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHitDto {
    /// counterparty | contact
    pub kind: String,
    pub id: uuid::Uuid,
    /// Short name of the counterparty or full name of the contact.
    pub name: String,
    /// The counterparty's INN (for a contact: of its counterparty).
    pub inn: Option<String>,
    /// The counterparty to open: the hit itself, or the contact's counterparty.
    pub counterparty_id: uuid::Uuid,
    /// For a contact: its counterparty's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterparty_name: Option<String>,
    /// E.164, e.g. "+74951234567".
    pub phone: Option<String>,
    pub email: Option<String>,
    pub city: Option<String>,
    /// Relevance, higher is better: an exact INN 1000, an exact OGRN 950, an exact phone or
    /// e-mail 900, identifier beginnings 400–500, names up to about 115.
    pub score: u32,
}

impl From<SearchHit> for SearchHitDto {
    fn from(h: SearchHit) -> Self {
        SearchHitDto {
            kind: h.kind.as_str().to_owned(),
            id: h.id,
            name: h.name,
            inn: h.inn,
            counterparty_id: h.counterparty_id,
            counterparty_name: h.counterparty_name,
            phone: h.phone,
            email: h.email,
            city: h.city,
            score: h.score,
        }
    }
}

/// Hits, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<SearchHitDto>,
}

/// Search counterparties and contacts by name, INN, OGRN, phone or e-mail, within the
/// caller's scope. Case, ё/е, word order and one or two typos do not matter; an exact INN
/// ranks first. A query shorter than 2 characters answers 422 with field `q`.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 401, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let (q, limit) = params.parse().map_err(|e| ApiError::field(caller.lang, &e))?;
    let hits = state
        .app
        .search(&caller.actor, q, limit)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(SearchResults {
        items: hits.into_iter().map(SearchHitDto::from).collect(),
    }))
}
