//! `/api/v1/counterparties`: clients and prospects visible to the caller.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use prospekt_app::counterparties::CounterpartyQuery;
use prospekt_app::counterparties::CounterpartyRow;
use prospekt_domain::FieldError;
use prospekt_domain::counterparty::{LifecycleStatus, Tier};
use prospekt_domain::ids::{CounterpartyId, TerritoryId, UserId};
use prospekt_domain::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

/// A reference to another record with its display name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ref {
    pub id: uuid::Uuid,
    pub name: String,
}

/// A client or prospect.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterpartyDto {
    pub id: uuid::Uuid,
    /// legal_entity | sole_proprietor | person
    pub kind: String,
    pub name: String,
    pub full_name: String,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    /// OGRN for legal entities, OGRNIP for sole proprietors.
    pub ogrn: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub territory: Option<Ref>,
    pub lead_source: Option<String>,
    /// suspect | prospect | qualified | client | key_client | dormant | lost
    pub status: String,
    /// regular | key | vip
    pub tier: String,
    pub owner: Option<Ref>,
    pub payment_terms_days: i32,
    /// Roubles with kopecks as a decimal string, e.g. "1500000.00".
    pub credit_limit: String,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    /// What the client needs: level and direction (free text).
    pub needs: Option<String>,
    /// Lower-case labels.
    pub tags: Vec<String>,
    /// The record's code in another system (1C, a spreadsheet): re-imports match on it.
    pub external_id: Option<String>,
    /// Set when the record is archived (merged records are archived too).
    pub archived_at: Option<DateTime<Utc>>,
    /// The record this one was merged into.
    pub merged_into: Option<uuid::Uuid>,
    /// Optimistic-locking version: send it back with updates.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CounterpartyRow> for CounterpartyDto {
    fn from(r: CounterpartyRow) -> Self {
        let reference = |id: Option<uuid::Uuid>, name: Option<String>| {
            id.map(|id| Ref {
                id,
                name: name.unwrap_or_default(),
            })
        };
        CounterpartyDto {
            id: r.id,
            kind: r.kind,
            name: r.name,
            full_name: r.full_name,
            inn: r.inn,
            kpp: r.kpp,
            ogrn: r.ogrn,
            industry: r.industry,
            size: r.size,
            territory: reference(r.territory_id, r.territory_name),
            lead_source: r.lead_source,
            status: r.status,
            tier: r.tier,
            owner: reference(r.owner_id, r.owner_name),
            payment_terms_days: r.payment_terms_days,
            credit_limit: Money::from_kopecks(r.credit_limit).to_string(),
            legal_address: r.legal_address,
            actual_address: r.actual_address,
            city: r.city,
            phone: r.phone,
            email: r.email,
            notes: r.notes,
            needs: r.needs,
            tags: prospekt_domain::counterparty::tags_from_column(r.tags.as_deref()),
            external_id: r.external_id,
            archived_at: r.archived_at,
            merged_into: r.merged_into,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A page of counterparties; pass `next_cursor` as `cursor` to get the next one.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterpartyPage {
    pub items: Vec<CounterpartyDto>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Only this manager's counterparties.
    pub owner: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub territory: Option<String>,
    /// One tag.
    pub tag: Option<String>,
    /// `true`: archived records instead of live ones.
    pub archived: Option<bool>,
    /// Opaque cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_counterparties, create_counterparty))
        .routes(routes!(get_counterparty, update_counterparty))
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(stale_counterparties))
        .routes(routes!(get_contact, update_contact))
}

/// Parses a typed id from a path or query value.
pub fn parse_id<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<T, FieldError> {
    raw.parse::<T>()
        .map_err(|_| FieldError::new(field, "invalid_id").with("value", raw))
}

/// The cursor is the hex of `name \x1f id`: opaque to clients, stable across servers.
pub fn encode_cursor(name: &str, id: uuid::Uuid) -> String {
    hex::encode(format!("{name}\u{1f}{id}"))
}

pub fn decode_cursor(raw: &str) -> Result<(String, CounterpartyId), FieldError> {
    let bad = || FieldError::new("cursor", "invalid_cursor");
    let bytes = hex::decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (name, id) = text.split_once('\u{1f}').ok_or_else(bad)?;
    Ok((name.to_owned(), id.parse().map_err(|_| bad())?))
}

impl ListParams {
    pub fn to_query(&self) -> Result<CounterpartyQuery, FieldError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=prospekt_app::counterparties::MAX_PAGE).contains(&limit) {
            return Err(FieldError::new("limit", "invalid_limit"));
        }
        let non_empty = |o: &Option<String>| o.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(CounterpartyQuery {
            owner: non_empty(&self.owner)
                .map(|o| parse_id::<UserId>("owner", &o))
                .transpose()?,
            status: non_empty(&self.status)
                .map(|s| LifecycleStatus::parse(&s))
                .transpose()?,
            tier: non_empty(&self.tier).map(|t| Tier::parse(&t)).transpose()?,
            territory: non_empty(&self.territory)
                .map(|t| parse_id::<TerritoryId>("territory", &t))
                .transpose()?,
            tag: non_empty(&self.tag),
            archived: self.archived.unwrap_or(false),
            after: non_empty(&self.cursor).map(|c| decode_cursor(&c)).transpose()?,
            limit,
        })
    }
}

/// List counterparties visible to the caller, sorted by name, keyset-paginated.
#[utoipa::path(get, path = "/api/v1/counterparties", tag = "counterparties", params(ListParams),
    responses((status = 200, body = CounterpartyPage), (status = 401, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn list_counterparties(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<ListParams>,
) -> Result<Json<CounterpartyPage>, ApiError> {
    let query = params.to_query().map_err(|e| ApiError::field(caller.lang, &e))?;
    let rows = state
        .app
        .counterparties(&caller.actor, &query)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    let next_cursor = (rows.len() as i64 == query.limit)
        .then(|| rows.last().map(|r| encode_cursor(&r.name, r.id)))
        .flatten();
    Ok(Json(CounterpartyPage {
        items: rows.into_iter().map(CounterpartyDto::from).collect(),
        next_cursor,
    }))
}

/// One counterparty. Records outside the caller's scope answer 404.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}", tag = "counterparties",
    params(("id" = uuid::Uuid, Path, description = "Counterparty id")),
    responses((status = 200, body = CounterpartyDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn get_counterparty(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CounterpartyDto>, ApiError> {
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    let row = state
        .app
        .counterparty(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(row.into()))
}

/// Fields to change; absent fields stay, `null` clears. `version` must be the one read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateCounterparty {
    pub version: i64,
    pub name: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub legal_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub actual_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub inn: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub kpp: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub ogrn: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub size: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub lead_source: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub needs: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub territory_id: Option<Option<String>>,
    /// Replaces all tags.
    pub tags: Option<Vec<String>>,
    pub payment_terms_days: Option<i32>,
    /// Decimal string; "" sets zero.
    pub credit_limit: Option<String>,
}

/// Change a counterparty. A stale `version` answers 409 naming who changed it last.
#[utoipa::path(patch, path = "/api/v1/counterparties/{id}", tag = "counterparties",
    params(("id" = uuid::Uuid, Path, description = "Counterparty id")), request_body = UpdateCounterparty,
    responses((status = 200, body = CounterpartyDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn update_counterparty(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    super::json::ApiJson(b): super::json::ApiJson<UpdateCounterparty>,
) -> Result<Json<CounterpartyDto>, ApiError> {
    let lang = caller.lang;
    let field = |e: FieldError| ApiError::field(lang, &e);
    let id: CounterpartyId = parse_id("id", &id).map_err(field)?;
    let owner = match b.owner_id {
        Some(Some(o)) => Some(Some(parse_id::<UserId>("owner_id", &o).map_err(field)?)),
        Some(None) => Some(None),
        None => None,
    };
    let territory = match &b.territory_id {
        Some(Some(t)) => Some(Some(parse_id::<TerritoryId>("territory_id", t).map_err(field)?)),
        Some(None) => Some(None),
        None => None,
    };
    let patch = prospekt_app::counterparties::CounterpartyPatch {
        name: b.name,
        status: b
            .status
            .as_deref()
            .map(LifecycleStatus::parse)
            .transpose()
            .map_err(field)?,
        tier: b.tier.as_deref().map(Tier::parse).transpose().map_err(field)?,
        owner,
        industry: b.industry,
        city: b.city,
        phone: b.phone,
        email: b.email,
        notes: b.notes,
        legal_address: b.legal_address,
        actual_address: b.actual_address,
        inn: b.inn,
        kpp: b.kpp,
        ogrn: b.ogrn,
        size: b.size,
        lead_source: b.lead_source,
        needs: b.needs,
        external_id: b.external_id,
        tags: b.tags,
        territory,
        payment_terms_days: b.payment_terms_days,
        credit_limit: b.credit_limit,
    };
    let row = state
        .app
        .update_counterparty(&caller.actor, id, b.version, patch)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// A new counterparty. Requisites are checked against the kind: a legal entity needs a
/// 10-digit INN and a KPP; a sole proprietor a 12-digit INN and no KPP (`ogrn` holds the OGRNIP).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCounterparty {
    /// legal_entity | sole_proprietor | person
    pub kind: String,
    pub name: String,
    pub full_name: Option<String>,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub ogrn: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub lead_source: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub owner_id: Option<String>,
    pub payment_terms_days: Option<i32>,
    /// Decimal string, e.g. "1500000.00".
    pub credit_limit: Option<String>,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub needs: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub external_id: Option<String>,
    pub territory_id: Option<String>,
}

/// A record that may be the same client.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateDto {
    pub id: uuid::Uuid,
    pub name: String,
    pub inn: Option<String>,
    /// phone | email | name_city (the same name in the same city)
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedCounterparty {
    pub counterparty: CounterpartyDto,
    /// Existing records sharing the phone, the e-mail, or the name in the same city: worth a look before going on.
    pub possible_duplicates: Vec<DuplicateDto>,
}

/// Create a counterparty. The same INN+KPP as an existing record answers 409.
#[utoipa::path(post, path = "/api/v1/counterparties", tag = "counterparties", request_body = CreateCounterparty,
    responses((status = 201, body = CreatedCounterparty), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_counterparty(
    State(state): State<AppState>,
    caller: Caller,
    super::json::ApiJson(b): super::json::ApiJson<CreateCounterparty>,
) -> Result<(axum::http::StatusCode, Json<CreatedCounterparty>), ApiError> {
    let lang = caller.lang;
    let owner_id = b
        .owner_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|o| parse_id::<UserId>("owner_id", o))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let territory_id = b
        .territory_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|t| parse_id::<TerritoryId>("territory_id", t))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let input = prospekt_app::clients::CounterpartyInput {
        kind: b.kind,
        name: b.name,
        full_name: b.full_name,
        inn: b.inn,
        kpp: b.kpp,
        ogrn: b.ogrn,
        industry: b.industry,
        size: b.size,
        lead_source: b.lead_source,
        status: b.status,
        tier: b.tier,
        owner_id,
        payment_terms_days: b.payment_terms_days,
        credit_limit: b.credit_limit,
        legal_address: b.legal_address,
        actual_address: b.actual_address,
        city: b.city,
        phone: b.phone,
        email: b.email,
        notes: b.notes,
        needs: b.needs,
        tags: b.tags,
        external_id: b.external_id,
        territory_id,
    };
    let created = state
        .app
        .create_counterparty(&caller.actor, &input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    let possible_duplicates = created
        .warnings
        .into_iter()
        .map(|d| DuplicateDto {
            id: d.id,
            name: d.name,
            inn: d.inn,
            reason: d.reason,
        })
        .collect();
    Ok((
        axum::http::StatusCode::CREATED,
        Json(CreatedCounterparty {
            counterparty: created.row.into(),
            possible_duplicates,
        }),
    ))
}

/// A contact person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactDto {
    pub id: uuid::Uuid,
    pub counterparty_id: uuid::Uuid,
    pub full_name: String,
    pub position: Option<String>,
    /// decision_maker | influencer | user | gatekeeper | accountant
    pub decision_role: Option<String>,
    /// E.164, e.g. "+74951234567".
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<chrono::NaiveDate>,
    /// Consent to advertising messages (152-FZ / 38-FZ).
    pub consent_ads: bool,
    /// Consent to personal-data processing.
    pub consent_pd: bool,
    /// Messengers as typed, e.g. "Telegram @ivanov".
    pub messengers: Option<String>,
    /// When consent was given.
    pub consent_at: Option<chrono::NaiveDate>,
    /// Where consent was given: a signed form, the website, a call recording.
    pub consent_source: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<prospekt_app::clients::ContactRow> for ContactDto {
    fn from(c: prospekt_app::clients::ContactRow) -> Self {
        ContactDto {
            id: c.id,
            counterparty_id: c.counterparty_id,
            full_name: c.full_name,
            position: c.position,
            decision_role: c.decision_role,
            phone: c.phone,
            email: c.email,
            birthday: c.birthday,
            consent_ads: c.consent_ads,
            consent_pd: c.consent_pd,
            messengers: c.messengers,
            consent_at: c.consent_at,
            consent_source: c.consent_source,
            version: c.version,
            updated_at: c.updated_at,
        }
    }
}

/// A contact person as sent; phones in any usual form, dates as YYYY-MM-DD.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactBody {
    /// Required for updates: the version read.
    pub version: Option<i64>,
    pub full_name: String,
    pub position: Option<String>,
    pub decision_role: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<String>,
    #[serde(default)]
    pub consent_ads: bool,
    #[serde(default)]
    pub consent_pd: bool,
    pub messengers: Option<String>,
    /// YYYY-MM-DD; today when consent is given without a date.
    pub consent_at: Option<String>,
    pub consent_source: Option<String>,
}

impl ContactBody {
    fn input(self) -> prospekt_app::clients::ContactInput {
        prospekt_app::clients::ContactInput {
            full_name: self.full_name,
            position: self.position,
            decision_role: self.decision_role,
            phone: self.phone,
            email: self.email,
            birthday: self.birthday,
            consent_ads: self.consent_ads,
            consent_pd: self.consent_pd,
            messengers: self.messengers,
            consent_at: self.consent_at,
            consent_source: self.consent_source,
        }
    }
}

/// Contact persons of a counterparty.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/contacts", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = Vec<ContactDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn list_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ContactDto>>, ApiError> {
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    let rows = state
        .app
        .contacts(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(rows.into_iter().map(ContactDto::from).collect()))
}

/// Add a contact person to a counterparty.
#[utoipa::path(post, path = "/api/v1/counterparties/{id}/contacts", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    request_body = ContactBody,
    responses((status = 201, body = ContactDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    super::json::ApiJson(b): super::json::ApiJson<ContactBody>,
) -> Result<(axum::http::StatusCode, Json<ContactDto>), ApiError> {
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    let row = state
        .app
        .create_contact(&caller.actor, id, &b.input())
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok((axum::http::StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ContactDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ContactDto>, ApiError> {
    let id: prospekt_domain::ids::ContactId = parse_id("id", &id).map_err(|e| ApiError::field(caller.lang, &e))?;
    let row = state
        .app
        .contact(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(row.into()))
}

/// Replace a contact's fields. A stale `version` answers 409.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = uuid::Uuid, Path)), request_body = ContactBody,
    responses((status = 200, body = ContactDto), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn update_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    super::json::ApiJson(b): super::json::ApiJson<ContactBody>,
) -> Result<Json<ContactDto>, ApiError> {
    let lang = caller.lang;
    let id: prospekt_domain::ids::ContactId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let version = b
        .version
        .ok_or_else(|| ApiError::field(lang, &FieldError::new("version", "invalid_version")))?;
    let row = state
        .app
        .update_contact(&caller.actor, id, version, &b.input())
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StaleParams {
    /// Not updated and not contacted for this many days (default 90).
    pub days: Option<u32>,
    /// Only this manager's clients.
    pub owner: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// Clients not updated or contacted for N days, least recently updated first.
#[utoipa::path(get, path = "/api/v1/counterparties/stale", tag = "counterparties", params(StaleParams),
    responses((status = 200, body = Vec<CounterpartyDto>), (status = 422, body = crate::error::ErrorBody)))]
async fn stale_counterparties(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<StaleParams>,
) -> Result<Json<Vec<CounterpartyDto>>, ApiError> {
    let lang = caller.lang;
    let owner = p
        .owner
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|o| parse_id::<UserId>("owner", o))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .stale_counterparties(&caller.actor, p.days.unwrap_or(90), owner, p.limit.unwrap_or(50))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(CounterpartyDto::from).collect()))
}
