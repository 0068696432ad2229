//! Deals over the API: the list, the board, create and edit (moving between stages), the
//! stage history and a deal's offers.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use prospekt_app::deals::{BoardColumn, DealInput, DealPatch};
use prospekt_app::deals::{DealFilter, DealRow, StageChangeRow};
use prospekt_domain::FieldError;
use prospekt_domain::activity::DealStage;
use prospekt_domain::ids::{CounterpartyId, DealId, UserId};
use prospekt_domain::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::catalog::{date, money};
use super::counterparties::{Ref, parse_id};
use super::json::ApiJson;
use super::offers::OfferSummary;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deals, create_deal))
        .routes(routes!(deal_board))
        .routes(routes!(get_deal, update_deal))
        .routes(routes!(deal_history))
}

/// A deal in the pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealDto {
    pub id: uuid::Uuid,
    pub counterparty: Ref,
    pub owner: Option<Ref>,
    pub title: String,
    /// first_contact | needs_identified | offer_sent | negotiation | contract | won | lost
    pub stage: String,
    pub amount: String,
    pub probability: i32,
    pub expected_close: Option<NaiveDate>,
    pub lost_reason: Option<String>,
    pub competitor: Option<String>,
    pub source_campaign: Option<String>,
    pub needs: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stage_changed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<DealRow> for DealDto {
    fn from(r: DealRow) -> Self {
        Self {
            id: r.id,
            counterparty: Ref {
                id: r.counterparty_id,
                name: r.counterparty_name,
            },
            owner: r.owner_id.map(|id| Ref {
                id,
                name: r.owner_name.unwrap_or_default(),
            }),
            title: r.title,
            stage: r.stage,
            amount: Money::from_kopecks(r.amount).to_string(),
            probability: r.probability,
            expected_close: r.expected_close,
            lost_reason: r.lost_reason,
            competitor: r.competitor,
            source_campaign: r.source_campaign,
            needs: r.needs,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            stage_changed_at: r.stage_changed_at,
            closed_at: r.closed_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DealQuery {
    pub owner_id: Option<String>,
    pub counterparty_id: Option<String>,
    pub stage: Option<String>,
    /// Only deals still being worked on.
    #[serde(default)]
    pub open: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Deals in the caller's scope, by expected close date.
#[utoipa::path(get, path = "/api/v1/deals", tag = "deals", params(DealQuery),
    responses((status = 200, body = [DealDto]), (status = 422, body = crate::error::ErrorBody)))]
async fn list_deals(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<DealQuery>,
) -> Result<Json<Vec<DealDto>>, ApiError> {
    let lang = caller.lang;
    let parse = || -> Result<DealFilter, FieldError> {
        Ok(DealFilter {
            owner: q
                .owner_id
                .as_deref()
                .map(|s| parse_id::<uuid::Uuid>("owner_id", s))
                .transpose()?,
            counterparty: q
                .counterparty_id
                .as_deref()
                .map(|s| parse_id::<uuid::Uuid>("counterparty_id", s))
                .transpose()?,
            stage: q
                .stage
                .as_deref()
                .map(|s| DealStage::parse(s).map(|s| s.as_str().to_owned()))
                .transpose()?,
            open_only: q.open,
            closed_since: None,
            limit: q.limit.unwrap_or(100),
            offset: q.offset.unwrap_or(0),
        })
    };
    let filter = parse().map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .deals(&caller.actor, filter)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DealCreate {
    pub counterparty_id: String,
    pub title: String,
    /// Default first_contact.
    pub stage: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    /// 0–100; default by stage.
    pub probability: Option<i32>,
    pub expected_close: Option<String>,
    pub source_campaign: Option<String>,
    pub needs: Option<String>,
    /// Default: the caller.
    pub owner_id: Option<String>,
}

/// Open a deal with a client.
#[utoipa::path(post, path = "/api/v1/deals", tag = "deals", request_body = DealCreate,
    responses((status = 201, body = DealDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_deal(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DealCreate>,
) -> Result<(StatusCode, Json<DealDto>), ApiError> {
    let lang = caller.lang;
    let parse = || -> Result<DealInput, FieldError> {
        Ok(DealInput {
            counterparty: parse_id::<CounterpartyId>("counterparty_id", &b.counterparty_id)?,
            title: b.title.clone(),
            stage: b.stage.as_deref().map(DealStage::parse).transpose()?,
            amount: match b.amount.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(a) => money("amount", a)?,
                None => Money::ZERO,
            },
            probability: b.probability,
            expected_close: b
                .expected_close
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| date("expected_close", s))
                .transpose()?,
            source_campaign: b.source_campaign.clone(),
            needs: b.needs.clone(),
            owner: b
                .owner_id
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(|s| parse_id::<UserId>("owner_id", s))
                .transpose()?,
        })
    };
    let input = parse().map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .create_deal(&caller.actor, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// One column of the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardColumnDto {
    pub stage: String,
    /// Every deal of the stage (the first 50 by expected close are in `deals`).
    pub count: i64,
    pub amount: String,
    /// Σ amount × probability.
    pub weighted: String,
    pub deals: Vec<DealDto>,
}

impl From<BoardColumn> for BoardColumnDto {
    fn from(c: BoardColumn) -> Self {
        Self {
            stage: c.stage.as_str().to_owned(),
            count: c.count,
            amount: c.amount.to_string(),
            weighted: c.weighted.to_string(),
            deals: c.deals.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BoardQuery {
    /// Whose board (default: the caller's); heads see their managers'.
    pub owner_id: Option<String>,
}

/// A manager's board: open deals by stage, plus deals won or lost in the last 30 days.
#[utoipa::path(get, path = "/api/v1/deals/board", tag = "deals", params(BoardQuery),
    responses((status = 200, body = [BoardColumnDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn deal_board(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<BoardQuery>,
) -> Result<Json<Vec<BoardColumnDto>>, ApiError> {
    let lang = caller.lang;
    let owner = q
        .owner_id
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_id::<UserId>("owner_id", s))
        .transpose()
        .map_err(|e| ApiError::field(lang, &e))?;
    let columns = state
        .app
        .deal_board(&caller.actor, owner)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(columns.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DealDetail {
    #[serde(flatten)]
    pub deal: DealDto,
    pub offers: Vec<OfferSummary>,
}

/// A deal with its offers.
#[utoipa::path(get, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = DealDetail), (status = 404, body = crate::error::ErrorBody)))]
async fn get_deal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DealDetail>, ApiError> {
    let lang = caller.lang;
    let id: DealId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let app = &state.app;
    let deal = app
        .deal(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    let offers = app
        .deal_offers(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(DealDetail {
        deal: deal.into(),
        offers: offers.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DealPatchBody {
    pub version: i64,
    pub title: Option<String>,
    /// Moving between stages; `lost` needs `lost_reason`.
    pub stage: Option<String>,
    pub amount: Option<String>,
    pub probability: Option<i32>,
    #[serde(default, deserialize_with = "super::double_option")]
    pub expected_close: Option<Option<String>>,
    pub lost_reason: Option<String>,
    pub competitor: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    pub source_campaign: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    pub needs: Option<Option<String>>,
    pub owner_id: Option<String>,
}

impl DealPatchBody {
    pub fn parse(self) -> Result<(i64, DealPatch), FieldError> {
        let expected_close = match self.expected_close {
            Some(Some(s)) if !s.trim().is_empty() => Some(Some(date("expected_close", &s)?)),
            Some(_) => Some(None),
            None => None,
        };
        Ok((
            self.version,
            DealPatch {
                title: self.title,
                stage: self.stage.as_deref().map(DealStage::parse).transpose()?,
                amount: self.amount.as_deref().map(|a| money("amount", a)).transpose()?,
                probability: self.probability,
                expected_close,
                lost_reason: self.lost_reason,
                competitor: self.competitor,
                source_campaign: self.source_campaign,
                needs: self.needs,
                owner: self
                    .owner_id
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| parse_id::<UserId>("owner_id", s))
                    .transpose()?,
            },
        ))
    }
}

/// Edit a deal or move it to another stage (the board's drag).
#[utoipa::path(patch, path = "/api/v1/deals/{id}", tag = "deals", params(("id" = uuid::Uuid, Path)),
    request_body = DealPatchBody,
    responses((status = 200, body = DealDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn update_deal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DealPatchBody>,
) -> Result<Json<DealDto>, ApiError> {
    let lang = caller.lang;
    let id: DealId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (version, patch) = b.parse().map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .update_deal(&caller.actor, id, version, patch)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// A stage change.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageChangeDto {
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

impl From<StageChangeRow> for StageChangeDto {
    fn from(r: StageChangeRow) -> Self {
        Self {
            from_stage: r.from_stage,
            to_stage: r.to_stage,
            changed_by: r.changed_by_name,
            changed_at: r.changed_at,
        }
    }
}

/// Every stage the deal went through, oldest first.
#[utoipa::path(get, path = "/api/v1/deals/{id}/history", tag = "deals", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = [StageChangeDto]), (status = 404, body = crate::error::ErrorBody)))]
async fn deal_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<StageChangeDto>>, ApiError> {
    let lang = caller.lang;
    let id: DealId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .deal_history(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
