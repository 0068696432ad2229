//! The contact plan over the API: activities, the week view, "whom to contact now",
//! contact-frequency rules and the calendar feed.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use prospekt_app::plan::{
    ActivityInput, ActivityPatch, ActivityRow, Completion, NextStep, Priority, RuleSetView, WeekPlan,
};
use prospekt_domain::FieldError;
use prospekt_domain::activity::{ActivityKind, ActivityStatus, DealStage, PlanVsDone, company_date, parse_moment};
use prospekt_domain::contact_plan::ContactRule;
use prospekt_domain::counterparty::{LifecycleStatus, Tier};
use prospekt_domain::ids::{ActivityId, ContactId, CounterpartyId, DealId, DepartmentId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::{Ref, parse_id};
use super::json::ApiJson;
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::i18n::{Lang, reason_message};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_activities, create_activity))
        .routes(routes!(overdue_activities))
        .routes(routes!(get_activity, update_activity))
        .routes(routes!(complete_activity))
        .routes(routes!(repeat_activity))
        .routes(routes!(week_plan))
        .routes(routes!(priorities))
        .routes(routes!(get_contact_rules, put_contact_rules))
        .routes(routes!(feed_status, create_feed, revoke_feed))
}

/// An activity: a planned or done call, visit, meeting, letter, task or note.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityDto {
    pub id: uuid::Uuid,
    pub counterparty: Ref,
    pub contact: Option<Ref>,
    pub contact_phone: Option<String>,
    /// The client's address (where a visit goes).
    pub address: Option<String>,
    pub deal_id: Option<uuid::Uuid>,
    /// Who performs it.
    pub owner: Option<Ref>,
    /// call | visit | meeting | email | letter | task | note
    pub kind: String,
    pub subject: String,
    pub planned_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub duration_min: i32,
    /// planned | done | not_done
    pub status: String,
    pub done_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub next_step: Option<String>,
    /// The activity whose next step created this one.
    pub follows_id: Option<uuid::Uuid>,
    /// Shared by the copies of a recurring activity.
    pub series_id: Option<uuid::Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<ActivityRow> for ActivityDto {
    fn from(r: ActivityRow) -> Self {
        ActivityDto {
            id: r.id,
            counterparty: Ref {
                id: r.counterparty_id,
                name: r.counterparty_name,
            },
            contact: r.contact_id.map(|id| Ref {
                id,
                name: r.contact_name.unwrap_or_default(),
            }),
            contact_phone: r.contact_phone,
            address: r.address,
            deal_id: r.deal_id,
            owner: r.owner_id.map(|id| Ref {
                id,
                name: r.owner_name.unwrap_or_default(),
            }),
            kind: r.kind,
            subject: r.subject,
            ends_at: r.planned_at + Duration::minutes(i64::from(r.duration_min)),
            planned_at: r.planned_at,
            duration_min: r.duration_min,
            status: r.status,
            done_at: r.done_at,
            result: r.result,
            next_step: r.next_step,
            follows_id: r.follows_id,
            series_id: r.series_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn opt_id<T: std::str::FromStr>(field: &'static str, raw: &Option<String>) -> Result<Option<T>, FieldError> {
    raw.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_id(field, s.trim()))
        .transpose()
}

fn opt_moment(field: &'static str, raw: &Option<String>) -> Result<Option<DateTime<Utc>>, FieldError> {
    raw.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse_moment(field, s))
        .transpose()
}

/// A new activity.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActivityCreate {
    pub counterparty_id: String,
    pub contact_id: Option<String>,
    pub deal_id: Option<String>,
    /// Who performs it (default: the caller). A head may plan for the department's managers.
    pub owner_id: Option<String>,
    /// call | visit | meeting | email | letter | task | note
    pub kind: String,
    pub subject: String,
    /// RFC 3339, or local `YYYY-MM-DDTHH:MM` in company time (Moscow).
    pub planned_at: String,
    pub ends_at: Option<String>,
    /// 1–1440 minutes; default by kind.
    pub duration_min: Option<i32>,
    /// planned (default) | done — to record a contact that already happened.
    pub status: Option<String>,
    pub result: Option<String>,
}

impl ActivityCreate {
    fn parse(self) -> Result<ActivityInput, FieldError> {
        Ok(ActivityInput {
            counterparty: parse_id("counterparty_id", self.counterparty_id.trim())?,
            contact: opt_id("contact_id", &self.contact_id)?,
            deal: opt_id("deal_id", &self.deal_id)?,
            owner: opt_id("owner_id", &self.owner_id)?,
            kind: ActivityKind::parse(self.kind.trim())?,
            subject: self.subject,
            planned_at: parse_moment("planned_at", &self.planned_at)?,
            ends_at: opt_moment("ends_at", &self.ends_at)?,
            duration_min: self.duration_min,
            status: match self.status.as_deref() {
                None | Some("") => ActivityStatus::Planned,
                Some(s) => ActivityStatus::parse(s)?,
            },
            result: self.result,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ActivityListParams {
    /// A client's timeline (newest first).
    pub counterparty_id: Option<String>,
    /// A user's activities in `[from, to)` (default: the caller's).
    pub owner_id: Option<String>,
    /// Start of the period (RFC 3339 or a date); default: today.
    pub from: Option<String>,
    /// End of the period; default: seven days after `from`. At most 92 days.
    pub to: Option<String>,
    /// Timeline paging: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50 (timeline only).
    pub limit: Option<i64>,
}

/// A page of activities.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityPage {
    pub items: Vec<ActivityDto>,
    /// For the next page of a timeline; absent on the last page.
    pub next_cursor: Option<String>,
}

fn moment_or_date(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
        Ok(d) => Ok(prospekt_domain::activity::day_start(d)),
        Err(_) => parse_moment(field, raw),
    }
}

fn decode_cursor(raw: &str) -> Result<(DateTime<Utc>, ActivityId), FieldError> {
    let bad = || FieldError::new("cursor", "invalid_cursor");
    let (t, id) = raw.split_once('_').ok_or_else(bad)?;
    let micros: i64 = t.parse().map_err(|_| bad())?;
    let t = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    Ok((t, id.parse().map_err(|_| bad())?))
}

/// Activities of a client (timeline) or of a user over a period (at most 92 days).
#[utoipa::path(get, path = "/api/v1/activities", tag = "plan", params(ActivityListParams),
    responses((status = 200, body = ActivityPage), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn list_activities(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ActivityListParams>,
) -> Result<Json<ActivityPage>, ApiError> {
    let lang = caller.lang;
    let fe = |e: FieldError| ApiError::field(lang, &e);
    let app = |e| ApiError::from_app(lang, e);
    if let Some(cp) = opt_id::<CounterpartyId>("counterparty_id", &p.counterparty_id).map_err(fe)? {
        let limit = p.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(fe(FieldError::new("limit", "invalid_limit")));
        }
        let before = p.cursor.as_deref().map(decode_cursor).transpose().map_err(fe)?;
        let rows = state
            .app
            .client_activities(&caller.actor, cp, before, limit)
            .await
            .map_err(app)?;
        let next_cursor = (rows.len() as i64 == limit)
            .then(|| {
                rows.last()
                    .map(|r| format!("{}_{}", r.planned_at.timestamp_micros(), r.id))
            })
            .flatten();
        return Ok(Json(ActivityPage {
            items: rows.into_iter().map(ActivityDto::from).collect(),
            next_cursor,
        }));
    }
    let owner = opt_id::<UserId>("owner_id", &p.owner_id).map_err(fe)?;
    let from = match p.from.as_deref() {
        Some(f) if !f.trim().is_empty() => moment_or_date("from", f).map_err(fe)?,
        _ => prospekt_domain::activity::day_start(company_date(Utc::now())),
    };
    let to = match p.to.as_deref() {
        Some(t) if !t.trim().is_empty() => moment_or_date("to", t).map_err(fe)?,
        _ => from + Duration::days(7),
    };
    let rows = state
        .app
        .user_activities(&caller.actor, owner, from, to)
        .await
        .map_err(app)?;
    Ok(Json(ActivityPage {
        items: rows.into_iter().map(ActivityDto::from).collect(),
        next_cursor: None,
    }))
}

/// Plan an activity (or record one that happened, with `status: done`).
#[utoipa::path(post, path = "/api/v1/activities", tag = "plan", request_body = ActivityCreate,
    responses((status = 201, body = ActivityDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn create_activity(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ActivityCreate>,
) -> Result<(StatusCode, Json<ActivityDto>), ApiError> {
    let lang = caller.lang;
    let input = b.parse().map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .create_activity(&caller.actor, input)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OwnerParams {
    /// A user in the caller's reach (default: the caller).
    pub owner_id: Option<String>,
    /// 1–200 (default 50).
    pub limit: Option<i64>,
}

/// Plans already past and not yet marked done or not done, most recent first.
#[utoipa::path(get, path = "/api/v1/activities/overdue", tag = "plan", params(OwnerParams),
    responses((status = 200, body = Vec<ActivityDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn overdue_activities(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<OwnerParams>,
) -> Result<Json<Vec<ActivityDto>>, ApiError> {
    let lang = caller.lang;
    let owner = opt_id::<UserId>("owner_id", &p.owner_id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .overdue_activities(&caller.actor, owner, p.limit.unwrap_or(50))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(ActivityDto::from).collect()))
}

/// One activity.
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "plan", params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = ActivityDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_activity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ActivityDto>, ApiError> {
    let lang = caller.lang;
    let id: ActivityId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .activity(&caller.actor, id)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// Changes to a planned activity; absent fields stay. `version` as read.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ActivityPatchBody {
    pub version: i64,
    #[serde(default, deserialize_with = "super::double_option")]
    pub contact_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::double_option")]
    pub deal_id: Option<Option<String>>,
    pub owner_id: Option<String>,
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub planned_at: Option<String>,
    pub ends_at: Option<String>,
    pub duration_min: Option<i32>,
}

impl ActivityPatchBody {
    fn parse(self) -> Result<(i64, ActivityPatch), FieldError> {
        let contact = match &self.contact_id {
            Some(v) => Some(opt_id::<ContactId>("contact_id", v)?),
            None => None,
        };
        let deal = match &self.deal_id {
            Some(v) => Some(opt_id::<DealId>("deal_id", v)?),
            None => None,
        };
        Ok((
            self.version,
            ActivityPatch {
                contact,
                deal,
                owner: opt_id("owner_id", &self.owner_id)?,
                kind: self.kind.as_deref().map(ActivityKind::parse).transpose()?,
                subject: self.subject,
                planned_at: opt_moment("planned_at", &self.planned_at)?,
                ends_at: opt_moment("ends_at", &self.ends_at)?,
                duration_min: self.duration_min,
            },
        ))
    }
}

/// Change a planned activity: move it (the week view's drag), retitle, reassign.
#[utoipa::path(patch, path = "/api/v1/activities/{id}", tag = "plan", params(("id" = uuid::Uuid, Path)),
    request_body = ActivityPatchBody,
    responses((status = 200, body = ActivityDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn update_activity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ActivityPatchBody>,
) -> Result<Json<ActivityDto>, ApiError> {
    let lang = caller.lang;
    let id: ActivityId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (version, patch) = b.parse().map_err(|e| ApiError::field(lang, &e))?;
    let row = state
        .app
        .update_activity(&caller.actor, id, version, patch)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(row.into()))
}

/// The next step, planned in the same action.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NextStepBody {
    pub kind: String,
    pub subject: String,
    pub planned_at: String,
    pub duration_min: Option<i32>,
}

/// Marking a planned activity.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CompleteBody {
    pub version: i64,
    /// done (default) | not_done
    pub status: Option<String>,
    pub result: Option<String>,
    pub next: Option<NextStepBody>,
}

/// The marked activity and the next one it created.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletedDto {
    pub activity: ActivityDto,
    pub next: Option<ActivityDto>,
}

/// Mark a planned activity done or not done, with the result; a `next` step becomes the next
/// planned activity with the same client in the same transaction.
#[utoipa::path(post, path = "/api/v1/activities/{id}/complete", tag = "plan", params(("id" = uuid::Uuid, Path)),
    request_body = CompleteBody,
    responses((status = 200, body = CompletedDto), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn complete_activity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CompleteBody>,
) -> Result<Json<CompletedDto>, ApiError> {
    let lang = caller.lang;
    let fe = |e: FieldError| ApiError::field(lang, &e);
    let id: ActivityId = parse_id("id", &id).map_err(fe)?;
    let status = match b.status.as_deref() {
        None | Some("") => ActivityStatus::Done,
        Some(s) => ActivityStatus::parse(s).map_err(fe)?,
    };
    let next = match b.next {
        Some(n) => Some(NextStep {
            kind: ActivityKind::parse(n.kind.trim()).map_err(|e| fe(e.on("next_kind")))?,
            subject: n.subject,
            planned_at: parse_moment("next_planned_at", &n.planned_at).map_err(fe)?,
            duration_min: n.duration_min,
        }),
        None => None,
    };
    let done = state
        .app
        .complete_activity(
            &caller.actor,
            id,
            b.version,
            Completion {
                status,
                result: b.result,
                next,
            },
        )
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(CompletedDto {
        activity: done.activity.into(),
        next: done.next.map(ActivityDto::from),
    }))
}

/// Weekly repeat of a planned activity.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RepeatBody {
    /// 1–4 (default 1: every week).
    pub every_weeks: Option<u32>,
    /// How many more times, 1–52.
    pub count: u32,
}

/// Copy a planned activity every N weeks (a key client visited every Tuesday).
#[utoipa::path(post, path = "/api/v1/activities/{id}/repeat", tag = "plan", params(("id" = uuid::Uuid, Path)),
    request_body = RepeatBody,
    responses((status = 201, body = Vec<ActivityDto>), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn repeat_activity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RepeatBody>,
) -> Result<(StatusCode, Json<Vec<ActivityDto>>), ApiError> {
    let lang = caller.lang;
    let id: ActivityId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .repeat_activity(&caller.actor, id, b.every_weeks.unwrap_or(1), b.count)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok((
        StatusCode::CREATED,
        Json(rows.into_iter().map(ActivityDto::from).collect()),
    ))
}

/// Plan against done over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanVsDoneDto {
    /// Everything scheduled (notes excepted).
    pub planned: u32,
    pub done: u32,
    pub not_done: u32,
    /// Past and not yet marked.
    pub overdue: u32,
    pub percent_done: u32,
}

impl From<PlanVsDone> for PlanVsDoneDto {
    fn from(p: PlanVsDone) -> Self {
        PlanVsDoneDto {
            planned: p.planned,
            done: p.done,
            not_done: p.not_done,
            overdue: p.overdue,
            percent_done: p.percent_done(),
        }
    }
}

/// A user's week, Monday to Sunday in company time.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekDto {
    pub owner: Ref,
    pub week_start: NaiveDate,
    pub activities: Vec<ActivityDto>,
    pub week: PlanVsDoneDto,
    pub month: PlanVsDoneDto,
}

impl From<WeekPlan> for WeekDto {
    fn from(w: WeekPlan) -> Self {
        WeekDto {
            owner: Ref {
                id: w.owner.id,
                name: w.owner.display_name,
            },
            week_start: w.week_start,
            activities: w.activities.into_iter().map(ActivityDto::from).collect(),
            week: w.week.into(),
            month: w.month.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct WeekParams {
    /// A user in the caller's reach (default: the caller).
    pub owner_id: Option<String>,
    /// Any day of the week wanted, `YYYY-MM-DD` (default: today).
    pub date: Option<String>,
}

/// The week view: a user's activities of one week, with plan against done for the week and
/// the month.
#[utoipa::path(get, path = "/api/v1/plan/week", tag = "plan", params(WeekParams),
    responses((status = 200, body = WeekDto), (status = 404, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn week_plan(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<WeekParams>,
) -> Result<Json<WeekDto>, ApiError> {
    let lang = caller.lang;
    let fe = |e: FieldError| ApiError::field(lang, &e);
    let owner = opt_id::<UserId>("owner_id", &p.owner_id).map_err(fe)?;
    let day = match p.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| fe(FieldError::new("date", "invalid_date").with("value", d)))?,
        None => company_date(Utc::now()),
    };
    let week = state
        .app
        .week_plan(&caller.actor, owner, day)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(week.into()))
}

/// Why a client is on the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonDto {
    /// contact_overdue | never_contacted | contact_due_soon | visit_overdue | valuable |
    /// overdue_debt | deal_closing | offer_expiring | contract_expiring | order_drop | already_planned
    pub code: String,
    pub points: i32,
    pub params: BTreeMap<String, String>,
    /// The reason in words, in the caller's language.
    pub message: String,
}

/// One row of "whom to contact now".
#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityDto {
    pub counterparty: Ref,
    pub status: String,
    pub tier: String,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub score: i32,
    pub reasons: Vec<ReasonDto>,
    pub last_contact_at: Option<DateTime<Utc>>,
    pub last_visit_at: Option<DateTime<Utc>>,
    pub days_since_contact: Option<i64>,
    pub contact_every_days: Option<u16>,
    pub visit_every_days: Option<u16>,
}

pub fn priority_dto(lang: Lang, p: Priority) -> PriorityDto {
    PriorityDto {
        counterparty: Ref {
            id: p.client.id,
            name: p.client.name,
        },
        status: p.client.status,
        tier: p.client.tier,
        city: p.client.city,
        phone: p.client.phone,
        score: p.assessment.score,
        reasons: p
            .assessment
            .reasons
            .iter()
            .map(|r| ReasonDto {
                code: r.code.to_owned(),
                points: r.points,
                params: r.params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
                message: reason_message(lang, r),
            })
            .collect(),
        last_contact_at: p.client.last_contact_at,
        last_visit_at: p.client.last_visit_at,
        days_since_contact: p.days_since_contact,
        contact_every_days: p.intervals.contact_every_days,
        visit_every_days: p.intervals.visit_every_days,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PriorityParams {
    /// A user in the caller's reach (default: the caller).
    pub owner_id: Option<String>,
    /// 1–500 (default 50).
    pub limit: Option<usize>,
}

/// "Whom to contact now": the user's clients that need contact, ranked, each with its reasons.
#[utoipa::path(get, path = "/api/v1/plan/priorities", tag = "plan", params(PriorityParams),
    responses((status = 200, body = Vec<PriorityDto>), (status = 404, body = crate::error::ErrorBody)))]
async fn priorities(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<PriorityParams>,
) -> Result<Json<Vec<PriorityDto>>, ApiError> {
    let lang = caller.lang;
    let owner = opt_id::<UserId>("owner_id", &p.owner_id).map_err(|e| ApiError::field(lang, &e))?;
    let rows = state
        .app
        .priorities(&caller.actor, owner, p.limit.unwrap_or(50))
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(rows.into_iter().map(|p| priority_dto(lang, p)).collect()))
}

/// One contact-frequency rule: selectors (absent = any) and intervals in days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactRuleDto {
    pub status: Option<String>,
    pub tier: Option<String>,
    /// The client's furthest open deal is at this stage.
    pub deal_stage: Option<String>,
    pub contact_every_days: Option<u16>,
    pub visit_every_days: Option<u16>,
}

impl ContactRuleDto {
    fn parse(self) -> Result<ContactRule, FieldError> {
        let s = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
        Ok(ContactRule {
            status: s(self.status).map(|v| LifecycleStatus::parse(v.trim())).transpose()?,
            tier: s(self.tier).map(|v| Tier::parse(v.trim())).transpose()?,
            deal_stage: s(self.deal_stage).map(|v| DealStage::parse(v.trim())).transpose()?,
            contact_every_days: self.contact_every_days,
            visit_every_days: self.visit_every_days,
        })
    }
}

impl From<&ContactRule> for ContactRuleDto {
    fn from(r: &ContactRule) -> Self {
        ContactRuleDto {
            status: r.status.map(|v| v.as_str().to_owned()),
            tier: r.tier.map(|v| v.as_str().to_owned()),
            deal_stage: r.deal_stage.map(|v| v.as_str().to_owned()),
            contact_every_days: r.contact_every_days,
            visit_every_days: r.visit_every_days,
        }
    }
}

/// The rules in force for a department or the company.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSetDto {
    /// Absent: the company-wide set.
    pub department_id: Option<uuid::Uuid>,
    pub rules: Vec<ContactRuleDto>,
    /// Send it back with a change; 0 when this scope has no set of its own yet.
    pub version: i64,
    /// The rules come from the company set or the built-in defaults.
    pub inherited: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<RuleSetView> for RuleSetDto {
    fn from(v: RuleSetView) -> Self {
        RuleSetDto {
            department_id: v.department.map(|d| d.as_uuid()),
            rules: v.rules.rules().iter().map(ContactRuleDto::from).collect(),
            version: v.version,
            inherited: v.inherited,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RuleParams {
    /// A department (default: the caller's; `company` for the company-wide set).
    pub department_id: Option<String>,
}

fn rule_scope(raw: &Option<String>) -> Result<Option<Option<DepartmentId>>, FieldError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some("company") => Ok(Some(None)),
        Some(s) => Ok(Some(Some(parse_id("department_id", s)?))),
    }
}

/// Contact-frequency rules in force for a department.
#[utoipa::path(get, path = "/api/v1/contact-rules", tag = "plan", params(RuleParams),
    responses((status = 200, body = RuleSetDto), (status = 404, body = crate::error::ErrorBody)))]
async fn get_contact_rules(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<RuleParams>,
) -> Result<Json<RuleSetDto>, ApiError> {
    let lang = caller.lang;
    let scope = rule_scope(&p.department_id).map_err(|e| ApiError::field(lang, &e))?;
    let view = match scope {
        Some(None) => state.app.contact_rules(&caller.actor, None).await,
        Some(Some(d)) => state.app.contact_rules(&caller.actor, Some(d)).await,
        None => state.app.contact_rules(&caller.actor, caller.actor.department_id).await,
    }
    .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(Json(view.into()))
}

/// A whole rule set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleSetBody {
    /// A department id, or `company`.
    pub department_id: String,
    /// As read (0 when the scope had no set of its own).
    pub version: i64,
    pub rules: Vec<ContactRuleDto>,
}

/// Replace a department's (or the company's) contact-frequency rules: the head for the
/// department, the commercial director or the administrator for any.
#[utoipa::path(put, path = "/api/v1/contact-rules", tag = "plan", request_body = RuleSetBody,
    responses((status = 200, body = RuleSetDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn put_contact_rules(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<RuleSetBody>,
) -> Result<Json<RuleSetDto>, ApiError> {
    let lang = caller.lang;
    let fe = |e: FieldError| rule_error(lang, &e);
    let department = rule_scope(&Some(b.department_id))
        .map_err(fe)?
        .ok_or_else(|| fe(FieldError::new("department_id", "required")))?;
    let rules = b
        .rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.parse().map_err(|e| e.with("rule", (i + 1).to_string())))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fe)?;
    let view = state
        .app
        .set_contact_rules(&caller.actor, department, b.version, rules)
        .await
        .map_err(|e| match e {
            prospekt_app::AppError::Invalid(e) => rule_error(lang, &e),
            e => ApiError::from_app(lang, e),
        })?;
    Ok(Json(view.into()))
}

/// An error in one rule of a set names the rule: its field alone does not say which rule of
/// the list is wrong. (`rule_without_interval` and `duplicate_rule` name it in their own words.)
fn rule_error(lang: Lang, e: &FieldError) -> ApiError {
    let mut err = ApiError::field(lang, e);
    if let Some(n) = e.param("rule")
        && !matches!(e.code, "rule_without_interval" | "duplicate_rule")
    {
        err.message = match lang {
            Lang::Ru => format!("Правило {n}: {}", err.message),
            Lang::En => format!("Rule {n}: {}", err.message),
        };
    }
    err
}

/// The caller's calendar feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedDto {
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
    /// Only in the answer that creates the feed: the secret URL, shown once.
    pub url: Option<String>,
}

/// Whether the caller has a live calendar feed.
#[utoipa::path(get, path = "/api/v1/me/calendar-feed", tag = "plan",
    responses((status = 200, body = FeedDto)))]
async fn feed_status(State(state): State<AppState>, caller: Caller) -> Result<Json<FeedDto>, ApiError> {
    let created_at = state
        .app
        .calendar_feed_status(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(Json(FeedDto {
        active: created_at.is_some(),
        created_at,
        url: None,
    }))
}

/// Create (or replace) the caller's calendar feed: a secret iCalendar URL for a phone's
/// calendar. The previous URL stops working.
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", tag = "plan",
    responses((status = 201, body = FeedDto)))]
async fn create_feed(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
) -> Result<(StatusCode, Json<FeedDto>), ApiError> {
    let secret = state
        .app
        .create_calendar_feed(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    let created_at = state.app.calendar_feed_status(&caller.actor).await.ok().flatten();
    Ok((
        StatusCode::CREATED,
        Json(FeedDto {
            active: true,
            created_at,
            url: Some(feed_url(&headers, &secret)),
        }),
    ))
}

/// The absolute URL of a feed, from the Host the caller used.
pub fn feed_url(headers: &axum::http::HeaderMap, secret: &str) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}/calendar/{secret}.ics")
}

/// Revoke the caller's calendar feed: its URL answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/me/calendar-feed", tag = "plan",
    responses((status = 204)))]
async fn revoke_feed(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state
        .app
        .revoke_calendar_feed(&caller.actor)
        .await
        .map_err(|e| ApiError::from_app(caller.lang, e))?;
    Ok(StatusCode::NO_CONTENT)
}
