//! The JSON API under `/api/v1`, described by an OpenAPI 3.1 document generated from the
//! handlers and DTOs (`/api/openapi.json`, viewer at `/api/docs`).

pub mod absences;
pub mod audit;
pub mod catalog;
pub mod counterparties;
pub mod deals;
pub mod dedup;
pub mod json;
pub mod me;
pub mod offers;
pub mod orders;
pub mod org;
pub mod plan;
pub mod receivables;
pub mod search;
pub mod session;
pub mod tokens;
pub mod transfer;
pub mod users;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Prospekt API", description = "B2B sales CRM. Authenticate with `Authorization: Bearer TOKEN` \
        (create one with `prospekt token create --login LOGIN`). Errors have one shape: \
        `{\"error\": {\"code\", \"message\", \"field\"}}`; messages follow `Accept-Language` (ru, en)."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pkt_…")
                    .build(),
            ),
        );
    }
}

/// Every API route with its OpenAPI description. Each module owns its routes; this only merges.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(me::router())
        .merge(session::router())
        .merge(counterparties::router())
        .merge(dedup::router())
        .merge(transfer::router())
        .merge(users::router())
        .merge(org::router())
        .merge(absences::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(search::router())
        .merge(plan::router())
        .merge(catalog::router())
        .merge(deals::router())
        .merge(offers::router())
        .merge(orders::router())
        .merge(receivables::router())
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}
