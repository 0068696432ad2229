//! The contact plan: activities (planning, rescheduling, marking done with a next step,
//! weekly repeats), the week view with plan against done, contact-frequency rules, "whom to
//! contact now", and the calendar feed for the manager's phone.
//!
//! Who may do what:
//! - an activity is reached through its client (the client's scope), and its performer always
//!   reaches it;
//! - a user's plan (week, ranked list) is open to whoever reaches that user's records: the user,
//!   their head, directors, and a colleague standing in for them;
//! - planning or changing needs a role that edits clients; planning *for* someone else needs
//!   reach over that user (a head for the department, a stand-in for the absent colleague);
//! - contact-frequency rules are set by the head for the department, and by the commercial
//!   director or the administrator for any department or the company.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use prospekt_domain::FieldError;
use prospekt_domain::Role;
use prospekt_domain::activity::{
    ActivityKind, ActivityStatus, DealStage, PlanVsDone, Schedule, company_date, day_start, month_start,
    next_month_start, parse_subject, week_start, weekly_repeats,
};
use prospekt_domain::contact_plan::{
    Assessment, ClientFacts, ContactRule, ContactRules, Expiry, ExpiryKind, Intervals, OrderRhythm, Scorer, Selector,
};
use prospekt_domain::counterparty::{LifecycleStatus, Tier};
use prospekt_domain::ical::{CalendarEvent, EventStatus, write_calendar};
use prospekt_domain::ids::{ActivityId, ContactId, CounterpartyId, DealId, DepartmentId, UserId};
use prospekt_domain::money::Money;
use prospekt_storage::DbError;
use prospekt_storage::repo::activities::{self, ActivityEdit, ContactBrief, NewActivity, Outcome};
use prospekt_storage::repo::import::Cell;
use prospekt_storage::repo::plan::{self, ClientRow};
use prospekt_storage::repo::users::{self, UserRow};
use serde_json::json;
use uuid::Uuid;

pub use prospekt_storage::repo::activities::ActivityRow;

use crate::audit::{By, diff, record_tx};
use crate::group_write::PlannedWrite;
use crate::policy::{Access, may_edit_clients};
use crate::{Actor, App, AppError, now};

/// A new activity as typed.
#[derive(Debug, Clone)]
pub struct ActivityInput {
    pub counterparty: CounterpartyId,
    pub contact: Option<ContactId>,
    pub deal: Option<DealId>,
    /// Who performs it; the actor when absent.
    pub owner: Option<UserId>,
    pub kind: ActivityKind,
    pub subject: String,
    pub planned_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub duration_min: Option<i32>,
    /// `Planned` (the default) or `Done` to record a contact that already happened.
    pub status: ActivityStatus,
    pub result: Option<String>,
}

/// Changes to a planned activity: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct ActivityPatch {
    pub contact: Option<Option<ContactId>>,
    pub deal: Option<Option<DealId>>,
    pub owner: Option<UserId>,
    pub kind: Option<ActivityKind>,
    pub subject: Option<String>,
    pub planned_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub duration_min: Option<i32>,
}

/// The next step noted when an activity is marked: it becomes the next planned activity.
#[derive(Debug, Clone)]
pub struct NextStep {
    pub kind: ActivityKind,
    pub subject: String,
    pub planned_at: DateTime<Utc>,
    pub duration_min: Option<i32>,
}

/// Marking a planned activity done or not done.
#[derive(Debug, Clone)]
pub struct Completion {
    pub status: ActivityStatus,
    pub result: Option<String>,
    pub next: Option<NextStep>,
}

/// What completing an activity produced.
#[derive(Debug, Clone)]
pub struct Completed {
    pub activity: ActivityRow,
    pub next: Option<ActivityRow>,
}

/// A user's week: the activities and plan against done for the week and its month.
#[derive(Debug, Clone)]
pub struct WeekPlan {
    pub owner: UserRow,
    pub week_start: NaiveDate,
    pub activities: Vec<ActivityRow>,
    pub week: PlanVsDone,
    pub month: PlanVsDone,
}

/// One row of "whom to contact now".
#[derive(Debug, Clone)]
pub struct Priority {
    pub client: ClientRow,
    pub intervals: Intervals,
    pub assessment: Assessment,
    pub days_since_contact: Option<i64>,
}

/// The rules in force for a department, and where they come from.
#[derive(Debug, Clone)]
pub struct RuleSetView {
    /// `None`: the company-wide set.
    pub department: Option<DepartmentId>,
    pub rules: ContactRules,
    /// The stored version of this scope's own set (0 when it has none yet).
    pub version: i64,
    /// Whether the rules come from a wider scope (the company set or the built-in defaults).
    pub inherited: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The longest week the view returns (a very busy manager plans ~300).
const WEEK_LIMIT: i64 = 2_000;

/// How far back order history is read for the order rhythm.
const ORDER_LOOKBACK_DAYS: i64 = 730;

/// What the calendar feed covers: recent history and the plan ahead.
const FEED_PAST_DAYS: i64 = 30;
const FEED_AHEAD_DAYS: i64 = 180;

fn scope_key(department: Option<DepartmentId>) -> String {
    department.map_or_else(|| "company".to_owned(), |d| d.as_uuid().to_string())
}

fn status_of(row: &ActivityRow) -> ActivityStatus {
    ActivityStatus::parse(&row.status).unwrap_or(ActivityStatus::Planned)
}

fn kind_of(row: &ActivityRow) -> ActivityKind {
    ActivityKind::parse(&row.kind).unwrap_or(ActivityKind::Task)
}

fn clean(text: Option<String>, field: &'static str, max: usize) -> Result<Option<String>, FieldError> {
    let t = text.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if t.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(FieldError::new(field, "too_long").with("max", max.to_string()));
    }
    Ok(t)
}

impl App {
    /// The user whose plan is asked for, if the actor reaches that user's records.
    pub(crate) async fn plan_owner(
        &self,
        actor: &Actor,
        access: &Access,
        owner: Option<UserId>,
    ) -> Result<UserRow, AppError> {
        let id = owner.unwrap_or(actor.user_id);
        let user = users::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)?;
        if id == actor.user_id || access.reaches(Some(user.id), user.department_id) {
            Ok(user)
        } else {
            Err(self.deny(actor, "user", Some(id.as_uuid()), AppError::NotFound).await)
        }
    }

    fn reaches_activity(actor: &Actor, access: &Access, row: &ActivityRow) -> bool {
        row.owner_id == Some(actor.user_id.as_uuid())
            || access.reaches(row.counterparty_owner_id, row.counterparty_department_id)
            || row
                .owner_id
                .is_some_and(|o| access.standing_in_for.iter().any(|a| a.user_id.as_uuid() == o))
    }

    /// One activity, or not found when out of reach.
    pub async fn activity(&self, actor: &Actor, id: ActivityId) -> Result<ActivityRow, AppError> {
        let row = activities::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if Self::reaches_activity(actor, &access, &row) {
            Ok(row)
        } else {
            Err(self
                .deny(actor, "activity", Some(id.as_uuid()), AppError::NotFound)
                .await)
        }
    }

    async fn editable_activity(&self, actor: &Actor, id: ActivityId) -> Result<ActivityRow, AppError> {
        let row = self.activity(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(actor, "activity", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        Ok(row)
    }

    async fn activity_conflict(&self, id: ActivityId, current_version: i64) -> AppError {
        AppError::Conflict {
            current_version,
            changed_by: self.last_changed_by(id.as_uuid()).await,
        }
    }

    /// The performer of a new or moved activity: the actor, or a colleague the actor may plan
    /// for (a head for the department, a director for anyone, a stand-in for the absent one).
    pub(crate) async fn performer(
        &self,
        actor: &Actor,
        access: &Access,
        owner: Option<UserId>,
    ) -> Result<UserId, AppError> {
        Ok(self.named_performer(actor, access, owner).await?.0)
    }

    /// [`App::performer`] with the performer's display name.
    async fn named_performer(
        &self,
        actor: &Actor,
        access: &Access,
        owner: Option<UserId>,
    ) -> Result<(UserId, String), AppError> {
        let Some(id) = owner.filter(|o| *o != actor.user_id) else {
            return Ok((actor.user_id, actor.display_name.clone()));
        };
        let user = users::by_id(self.db(), id.as_uuid())
            .await?
            .filter(|u| u.is_active)
            .ok_or_else(|| AppError::from(FieldError::new("owner_id", "unknown_user")))?;
        let may = match actor.role {
            Role::CommercialDirector => true,
            Role::HeadOfDepartment => access.reaches(Some(user.id), user.department_id),
            _ => access.standing_in_for.iter().any(|a| a.user_id == id),
        };
        if may {
            Ok((id, user.display_name))
        } else {
            Err(self.deny(actor, "user", Some(id.as_uuid()), AppError::Forbidden).await)
        }
    }

    /// Checks that the contact and the deal belong to the client; answers the contact's name
    /// and phone, which the activity shows.
    async fn check_links(
        &self,
        counterparty: CounterpartyId,
        contact: Option<ContactId>,
        deal: Option<DealId>,
    ) -> Result<Option<ContactBrief>, AppError> {
        let contact = match contact {
            Some(c) => Some(
                activities::contact_of(self.db(), c.as_uuid(), counterparty.as_uuid())
                    .await?
                    .ok_or_else(|| FieldError::new("contact_id", "not_a_contact_of_client"))?,
            ),
            None => None,
        };
        if let Some(d) = deal
            && !activities::deal_belongs(self.db(), d.as_uuid(), counterparty.as_uuid()).await?
        {
            return Err(FieldError::new("deal_id", "not_a_deal_of_client").into());
        }
        Ok(contact)
    }

    /// Plans an activity, or records one that already happened (`status = done`).
    pub async fn create_activity(&self, actor: &Actor, input: ActivityInput) -> Result<ActivityRow, AppError> {
        let client = self.counterparty(actor, input.counterparty).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(
                    actor,
                    "activity",
                    Some(input.counterparty.as_uuid()),
                    AppError::Forbidden,
                )
                .await);
        }
        let access = self.access(actor).await?;
        let at = now();
        let schedule = Schedule::new(input.kind, input.planned_at, input.ends_at, input.duration_min)?;
        let subject = parse_subject(&input.subject)?;
        let result = clean(input.result, "result", 4000)?;
        let done_at = match input.status {
            ActivityStatus::Planned => {
                schedule.check_plannable(at)?;
                if result.is_some() {
                    return Err(FieldError::new("result", "result_of_planned").into());
                }
                None
            }
            ActivityStatus::Done => {
                schedule.check_happened(at)?;
                Some(schedule.ends_at().min(at))
            }
            ActivityStatus::NotDone => return Err(FieldError::new("status", "invalid_activity_status").into()),
        };
        let contact = self.check_links(input.counterparty, input.contact, input.deal).await?;
        let (owner, owner_name) = self.named_performer(actor, &access, input.owner).await?;
        let id = ActivityId::new();
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(client.owner_id, client.department_id),
        };
        let changes = json!({
            "counterparty_id": client.id, "kind": input.kind, "subject": subject,
            "planned_at": schedule.starts_at(), "duration_min": schedule.minutes(),
            "status": input.status, "owner_id": owner,
        });
        // Written with whatever else is being planned at this moment: one transaction, this
        // activity and its audit entry in it, committed before the answer.
        let write = PlannedWrite {
            activity: vec![
                Cell::Uuid(id.as_uuid()),
                Cell::Uuid(client.id),
                Cell::OptUuid(input.contact.map(|c| c.as_uuid())),
                Cell::OptUuid(input.deal.map(|d| d.as_uuid())),
                Cell::OptUuid(Some(owner.as_uuid())),
                Cell::Text(input.kind.as_str().to_owned()),
                Cell::Text(subject.clone()),
                Cell::Ts(schedule.starts_at()),
                Cell::Int(i64::from(schedule.minutes())),
                Cell::Text(input.status.as_str().to_owned()),
                Cell::OptTs(done_at),
                Cell::OptText(result.clone()),
                Cell::OptUuid(None),
                Cell::OptUuid(None),
                Cell::Int(1),
                Cell::Ts(at),
                Cell::OptTs(Some(at)),
            ],
            audit: vec![
                Cell::Uuid(Uuid::now_v7()),
                Cell::Ts(at),
                Cell::OptUuid(by.actor.map(|u| u.as_uuid())),
                Cell::OptUuid(by.on_behalf_of.map(|u| u.as_uuid())),
                Cell::Text("create".to_owned()),
                Cell::Text("activity".to_owned()),
                Cell::OptUuid(Some(id.as_uuid())),
                Cell::Text(changes.to_string()),
                Cell::OptText(None),
            ],
            touch: done_at
                .filter(|_| input.kind.is_contact())
                .map(|d| (client.id, d, input.kind.is_visit())),
        };
        self.group_writer.write(self.db(), write).await?;
        // The row as written, without reading it back: everything in it is known here (a
        // test compares it with the stored row).
        Ok(ActivityRow {
            id: id.as_uuid(),
            counterparty_id: client.id,
            address: client.actual_address.or(client.legal_address),
            counterparty_name: client.name,
            counterparty_owner_id: client.owner_id,
            counterparty_department_id: client.department_id,
            contact_id: input.contact.map(|c| c.as_uuid()),
            contact_phone: contact.as_ref().and_then(|c| c.phone.clone()),
            contact_name: contact.map(|c| c.full_name),
            deal_id: input.deal.map(|d| d.as_uuid()),
            owner_id: Some(owner.as_uuid()),
            owner_name: Some(owner_name),
            kind: input.kind.as_str().to_owned(),
            subject,
            planned_at: schedule.starts_at(),
            duration_min: schedule.minutes(),
            status: input.status.as_str().to_owned(),
            done_at,
            result,
            next_step: None,
            follows_id: None,
            series_id: None,
            version: 1,
            created_at: at,
            updated_at: Some(at),
        })
    }

    /// Changes a planned activity (moving it on the week view is a change of `planned_at`).
    pub async fn update_activity(
        &self,
        actor: &Actor,
        id: ActivityId,
        version: i64,
        patch: ActivityPatch,
    ) -> Result<ActivityRow, AppError> {
        let current = self.editable_activity(actor, id).await?;
        if current.version != version {
            return Err(self.activity_conflict(id, current.version).await);
        }
        if status_of(&current) != ActivityStatus::Planned {
            return Err(FieldError::new("status", "activity_not_planned").into());
        }
        let access = self.access(actor).await?;
        let kind = patch.kind.unwrap_or_else(|| kind_of(&current));
        let starts = patch.planned_at.unwrap_or(current.planned_at);
        // Moving the start keeps the length unless a new end or length is given.
        let minutes = match (patch.ends_at, patch.duration_min) {
            (None, None) => Some(current.duration_min),
            (_, m) => m,
        };
        let schedule = Schedule::new(kind, starts, patch.ends_at, minutes)?;
        if patch.planned_at.is_some() {
            schedule.check_plannable(now())?;
        }
        let subject = match &patch.subject {
            Some(s) => parse_subject(s)?,
            None => current.subject.clone(),
        };
        let counterparty = CounterpartyId::from_uuid(current.counterparty_id);
        let contact = patch.contact.unwrap_or(current.contact_id.map(ContactId::from_uuid));
        let deal = patch.deal.unwrap_or(current.deal_id.map(DealId::from_uuid));
        self.check_links(counterparty, contact, deal).await?;
        let owner = match patch.owner {
            Some(o) if Some(o.as_uuid()) != current.owner_id => {
                Some(self.performer(actor, &access, Some(o)).await?.as_uuid())
            }
            _ => current.owner_id,
        };
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(current.counterparty_owner_id, current.counterparty_department_id),
        };
        let at = now();
        let mut tx = self.db().begin().await?;
        let edit = ActivityEdit {
            contact_id: contact.map(|c| c.as_uuid()),
            deal_id: deal.map(|d| d.as_uuid()),
            owner_id: owner,
            kind: kind.as_str(),
            subject: &subject,
            planned_at: schedule.starts_at(),
            duration_min: schedule.minutes(),
        };
        match activities::update_tx(&mut tx, id.as_uuid(), version, &edit, at).await {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.activity_conflict(id, version + 1).await);
            }
            other => other?,
        };
        let changes = diff(&[
            ("kind", json!(current.kind), json!(kind)),
            ("subject", json!(current.subject), json!(subject)),
            ("planned_at", json!(current.planned_at), json!(schedule.starts_at())),
            ("duration_min", json!(current.duration_min), json!(schedule.minutes())),
            ("contact_id", json!(current.contact_id), json!(contact)),
            ("deal_id", json!(current.deal_id), json!(deal)),
            ("owner_id", json!(current.owner_id), json!(owner)),
        ]);
        record_tx(&mut tx, by, "update", "activity", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        activities::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Marks a planned activity done or not done, with its result; a next step given becomes
    /// the next planned activity with the same client, in the same transaction.
    pub async fn complete_activity(
        &self,
        actor: &Actor,
        id: ActivityId,
        version: i64,
        c: Completion,
    ) -> Result<Completed, AppError> {
        let current = self.editable_activity(actor, id).await?;
        if current.version != version {
            return Err(self.activity_conflict(id, current.version).await);
        }
        if status_of(&current) != ActivityStatus::Planned {
            return Err(FieldError::new("status", "activity_not_planned").into());
        }
        if c.status == ActivityStatus::Planned {
            return Err(FieldError::new("status", "invalid_activity_status").into());
        }
        let at = now();
        let kind = kind_of(&current);
        let result = clean(c.result, "result", 4000)?;
        let next = match c.next {
            Some(n) => {
                let s = Schedule::new(n.kind, n.planned_at, None, n.duration_min).map_err(|e| {
                    let field = if e.field == "duration_min" {
                        "next_duration_min"
                    } else {
                        "next_planned_at"
                    };
                    e.on(field)
                })?;
                s.check_plannable(at).map_err(|e| e.on("next_planned_at"))?;
                let subject = parse_subject(&n.subject).map_err(|e| e.on("next_subject"))?;
                Some((n.kind, s, subject))
            }
            None => None,
        };
        let access = self.access(actor).await?;
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(current.counterparty_owner_id, current.counterparty_department_id),
        };
        // Done when marked, but never before it started (a call marked early counts from now).
        let done_at = if c.status == ActivityStatus::Done {
            at.min(current.planned_at + Duration::minutes(i64::from(current.duration_min)))
                .max(current.planned_at.min(at))
        } else {
            at
        };
        let next_id = next.as_ref().map(|_| ActivityId::new());
        let mut tx = self.db().begin().await?;
        let outcome = Outcome {
            status: c.status.as_str(),
            done_at,
            result: result.as_deref(),
            next_step: next.as_ref().map(|(_, _, s)| s.as_str()),
        };
        match activities::complete_tx(&mut tx, id.as_uuid(), version, &outcome, at).await {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.activity_conflict(id, version + 1).await);
            }
            other => other?,
        };
        if c.status == ActivityStatus::Done && kind.is_contact() {
            activities::touch_counterparty_tx(&mut tx, current.counterparty_id, done_at, kind.is_visit()).await?;
        }
        let changes = json!({ "status": [current.status, c.status], "result": result });
        record_tx(&mut tx, by, "complete", "activity", Some(id.as_uuid()), changes).await?;
        if let (Some((kind, s, subject)), Some(nid)) = (&next, next_id) {
            activities::insert_tx(
                &mut tx,
                &NewActivity {
                    id: nid.as_uuid(),
                    counterparty_id: current.counterparty_id,
                    contact_id: current.contact_id,
                    deal_id: current.deal_id,
                    owner_id: current.owner_id,
                    kind: kind.as_str(),
                    subject,
                    planned_at: s.starts_at(),
                    duration_min: s.minutes(),
                    status: ActivityStatus::Planned.as_str(),
                    done_at: None,
                    result: None,
                    follows_id: Some(id.as_uuid()),
                    series_id: None,
                },
                at,
            )
            .await?;
            let changes = json!({
                "counterparty_id": current.counterparty_id, "kind": kind, "subject": subject,
                "planned_at": s.starts_at(), "follows_id": id,
            });
            record_tx(&mut tx, by, "create", "activity", Some(nid.as_uuid()), changes).await?;
        }
        tx.commit().await?;
        let activity = activities::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let next = match next_id {
            Some(n) => activities::by_id(self.db(), n.as_uuid()).await?,
            None => None,
        };
        Ok(Completed { activity, next })
    }

    /// Copies a planned activity every `every_weeks` weeks, `count` more times (a key client
    /// visited every Tuesday). The copies share a series id with the original.
    pub async fn repeat_activity(
        &self,
        actor: &Actor,
        id: ActivityId,
        every_weeks: u32,
        count: u32,
    ) -> Result<Vec<ActivityRow>, AppError> {
        let current = self.editable_activity(actor, id).await?;
        if status_of(&current) != ActivityStatus::Planned {
            return Err(FieldError::new("status", "activity_not_planned").into());
        }
        let dates = weekly_repeats(current.planned_at, every_weeks, count)?;
        let access = self.access(actor).await?;
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(current.counterparty_owner_id, current.counterparty_department_id),
        };
        let series = current.series_id.unwrap_or(current.id);
        let at = now();
        let mut tx = self.db().begin().await?;
        let mut ids = Vec::with_capacity(dates.len());
        for planned_at in dates {
            let nid = ActivityId::new().as_uuid();
            activities::insert_tx(
                &mut tx,
                &NewActivity {
                    id: nid,
                    counterparty_id: current.counterparty_id,
                    contact_id: current.contact_id,
                    deal_id: current.deal_id,
                    owner_id: current.owner_id,
                    kind: &current.kind,
                    subject: &current.subject,
                    planned_at,
                    duration_min: current.duration_min,
                    status: ActivityStatus::Planned.as_str(),
                    done_at: None,
                    result: None,
                    follows_id: None,
                    series_id: Some(series),
                },
                at,
            )
            .await?;
            ids.push(nid);
        }
        if current.series_id.is_none() {
            activities::set_series_tx(&mut tx, current.id, series).await?;
        }
        let changes = json!({ "every_weeks": every_weeks, "count": count, "series_id": series, "created": ids });
        record_tx(&mut tx, by, "repeat", "activity", Some(id.as_uuid()), changes).await?;
        let rows = activities::by_ids_tx(&mut tx, &ids).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// A client's timeline, newest first.
    pub async fn client_activities(
        &self,
        actor: &Actor,
        counterparty: CounterpartyId,
        before: Option<(DateTime<Utc>, ActivityId)>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, AppError> {
        self.counterparty(actor, counterparty).await?;
        Ok(activities::for_counterparty(
            self.db(),
            counterparty.as_uuid(),
            before.map(|(t, id)| (t, id.as_uuid())),
            limit.clamp(1, 200),
        )
        .await?)
    }

    /// A user's activities in a period (the actor's own by default).
    pub async fn user_activities(
        &self,
        actor: &Actor,
        owner: Option<UserId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ActivityRow>, AppError> {
        if to <= from {
            return Err(FieldError::new("to", "ends_before_start").into());
        }
        if to - from > Duration::days(92) {
            return Err(FieldError::new("to", "period_too_long").with("max_days", "92").into());
        }
        let access = self.access(actor).await?;
        let user = self.plan_owner(actor, &access, owner).await?;
        Ok(activities::for_owner_between(self.db(), user.id, from, to, WEEK_LIMIT).await?)
    }

    /// Plans past and not yet marked, of the actor or a user in reach.
    pub async fn overdue_activities(
        &self,
        actor: &Actor,
        owner: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, AppError> {
        let access = self.access(actor).await?;
        let user = self.plan_owner(actor, &access, owner).await?;
        Ok(activities::overdue_for_owner(self.db(), user.id, now(), limit.clamp(1, 200)).await?)
    }

    /// The week (Monday to Sunday, company time) containing `day` for a user in reach, with
    /// plan against done for the week and the month.
    pub async fn week_plan(&self, actor: &Actor, owner: Option<UserId>, day: NaiveDate) -> Result<WeekPlan, AppError> {
        let access = self.access(actor).await?;
        let user = self.plan_owner(actor, &access, owner).await?;
        let monday = week_start(day);
        let (from, to) = (day_start(monday), day_start(monday + Duration::days(7)));
        let at = now();
        let rows = activities::for_owner_between(self.db(), user.id, from, to, WEEK_LIMIT).await?;
        let mut week = PlanVsDone::default();
        for r in rows.iter().filter(|r| r.kind != "note") {
            week.add(status_of(r), r.planned_at, at);
        }
        let month_from = day_start(month_start(day));
        let month_to = day_start(next_month_start(day));
        let mut month = PlanVsDone::default();
        for (status, past, n) in activities::status_counts(self.db(), user.id, month_from, month_to, at).await? {
            let status = ActivityStatus::parse(&status).unwrap_or(ActivityStatus::Planned);
            month.add_many(status, past, u32::try_from(n).unwrap_or(u32::MAX));
        }
        Ok(WeekPlan {
            owner: user,
            week_start: monday,
            activities: rows,
            week,
            month,
        })
    }

    /// The rules in force for a department (`None`: the company-wide set).
    pub async fn contact_rules(
        &self,
        actor: &Actor,
        department: Option<DepartmentId>,
    ) -> Result<RuleSetView, AppError> {
        if let Some(d) = department {
            let access = self.access(actor).await?;
            if !access.reaches(None, Some(d.as_uuid())) && actor.department_id != Some(d) {
                return Err(self
                    .deny(actor, "department", Some(d.as_uuid()), AppError::NotFound)
                    .await);
            }
        }
        self.rules_in_force(department).await
    }

    async fn rules_in_force(&self, department: Option<DepartmentId>) -> Result<RuleSetView, AppError> {
        let own = plan::rule_set(self.db(), &scope_key(department)).await?;
        let (stored, inherited) = match (own, department) {
            (Some(s), _) => (Some(s), false),
            (None, Some(_)) => (plan::rule_set(self.db(), "company").await?, true),
            (None, None) => (None, true),
        };
        let rules = match &stored {
            Some(s) => {
                let list: Vec<ContactRule> = serde_json::from_str(&s.rules)
                    .map_err(|e| AppError::Internal(format!("stored contact rules unreadable: {e}")))?;
                ContactRules::parse(list)?
            }
            None => ContactRules::company_defaults(),
        };
        let version = if inherited {
            0
        } else {
            stored.as_ref().map_or(0, |s| s.version)
        };
        Ok(RuleSetView {
            department,
            rules,
            version,
            inherited,
            updated_at: stored.map(|s| s.updated_at),
        })
    }

    /// Replaces the rule set of a department (or the company's, `None`) if `version` is the one
    /// read (0 when the scope had no set of its own).
    pub async fn set_contact_rules(
        &self,
        actor: &Actor,
        department: Option<DepartmentId>,
        version: i64,
        rules: Vec<ContactRule>,
    ) -> Result<RuleSetView, AppError> {
        let may = match actor.role {
            Role::CommercialDirector | Role::Administrator => true,
            Role::HeadOfDepartment => department.is_some() && department == actor.department_id,
            _ => false,
        };
        if !may {
            return Err(self
                .deny(
                    actor,
                    "contact_rules",
                    department.map(|d| d.as_uuid()),
                    AppError::Forbidden,
                )
                .await);
        }
        let rules = ContactRules::parse(rules)?;
        let key = scope_key(department);
        let before = plan::rule_set(self.db(), &key).await?;
        let text = serde_json::to_string(rules.rules()).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db().begin().await?;
        match plan::put_rule_set_tx(&mut tx, &key, &text, version, actor.user_id.as_uuid(), now()).await {
            Err(DbError::Conflict) => {
                drop(tx);
                let changed_by = match before.as_ref().and_then(|b| b.updated_by) {
                    Some(u) => users::by_id(self.db(), u).await?.map(|u| u.display_name),
                    None => None,
                };
                return Err(AppError::Conflict {
                    current_version: before.map_or(0, |b| b.version),
                    changed_by,
                });
            }
            other => other?,
        };
        let changes = json!({
            "scope": key,
            "rules": [before.map(|b| serde_json::from_str::<serde_json::Value>(&b.rules).unwrap_or_default()), rules.rules()],
        });
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "contact_rules",
            department.map(|d| d.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        self.rules_in_force(department).await
    }

    /// "Whom to contact now" for a user in reach: their clients that need contact, strongest
    /// reason first, each with the reasons.
    pub async fn priorities(
        &self,
        actor: &Actor,
        owner: Option<UserId>,
        limit: usize,
    ) -> Result<Vec<Priority>, AppError> {
        let access = self.access(actor).await?;
        let user = self.plan_owner(actor, &access, owner).await?;
        let rules = self
            .rules_in_force(user.department_id.map(DepartmentId::from_uuid))
            .await?
            .rules;
        let at = now();
        let today = company_date(at);
        let db = self.db();
        let o = user.id;
        let (clients, orders, debts, deals, planned) = tokio::try_join!(
            plan::clients_of(db, o),
            plan::order_stats(
                db,
                o,
                today - Duration::days(ORDER_LOOKBACK_DAYS),
                today - Duration::days(365)
            ),
            plan::overdue_debts(db, o, today),
            plan::open_deals(db, o),
            plan::next_planned(db, o, at),
        )?;
        let orders: HashMap<Uuid, _> = orders.into_iter().map(|s| (s.counterparty_id, s)).collect();
        let debts: HashMap<Uuid, _> = debts.into_iter().map(|d| (d.counterparty_id, d)).collect();
        let planned: HashMap<Uuid, DateTime<Utc>> = planned.into_iter().collect();
        let mut stages: HashMap<Uuid, (Option<DealStage>, Vec<Expiry>)> = HashMap::new();
        for d in deals {
            let e = stages.entry(d.counterparty_id).or_default();
            let stage = DealStage::parse(&d.stage).ok();
            if stage.map(DealStage::rank) > e.0.map(DealStage::rank) {
                e.0 = stage;
            }
            if let Some(on) = d.expected_close {
                e.1.push(Expiry {
                    kind: ExpiryKind::Deal,
                    on,
                });
            }
        }
        let scorer = Scorer::standard();
        let mut out: Vec<Priority> = Vec::new();
        for client in clients {
            let (deal_stage, expiring) = stages.remove(&client.id).unwrap_or_default();
            let selector = Selector {
                status: LifecycleStatus::parse(&client.status).unwrap_or(LifecycleStatus::Prospect),
                tier: Tier::parse(&client.tier).unwrap_or(Tier::Regular),
                deal_stage,
            };
            let intervals = rules.intervals(&selector);
            let order = orders.get(&client.id);
            let debt = debts.get(&client.id);
            let facts = ClientFacts {
                selector,
                known_since: company_date(client.created_at),
                last_contact: client.last_contact_at.map(company_date),
                last_visit: client.last_visit_at.map(company_date),
                next_planned: planned.get(&client.id).map(|t| company_date(*t)),
                turnover_12m: Money::from_kopecks(order.map_or(0, |o| o.turnover)),
                overdue_debt: Money::from_kopecks(debt.map_or(0, |d| d.amount)),
                oldest_overdue: debt.map(|d| d.oldest_due),
                expiring,
                orders: OrderRhythm {
                    count: order.map_or(0, |o| o.count.max(0) as u32),
                    first: order.and_then(|o| o.first),
                    last: order.and_then(|o| o.last),
                },
            };
            let assessment = scorer.assess(&facts, &intervals, today);
            if assessment.needs_contact() {
                out.push(Priority {
                    days_since_contact: facts.last_contact.map(|d| (today - d).num_days()),
                    client,
                    intervals,
                    assessment,
                });
            }
        }
        out.sort_by(|a, b| {
            b.assessment
                .score
                .cmp(&a.assessment.score)
                .then_with(|| a.client.name.cmp(&b.client.name))
        });
        out.truncate(limit.clamp(1, 500));
        Ok(out)
    }

    /// Issues a new calendar-feed secret for the actor (revoking the previous one). The secret
    /// is returned once; only its hash is kept.
    pub async fn create_calendar_feed(&self, actor: &Actor) -> Result<String, AppError> {
        let secret = format!("cal_{}", crate::auth::random_secret());
        let at = now();
        let id = Uuid::now_v7();
        let mut tx = self.db().begin().await?;
        let revoked = plan::revoke_feeds_tx(&mut tx, actor.user_id.as_uuid(), at).await?;
        plan::insert_feed_tx(&mut tx, id, actor.user_id.as_uuid(), &crate::auth::digest(&secret), at).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "calendar_feed",
            Some(id),
            json!({ "revoked_previous": revoked }),
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Revokes the actor's calendar feed; its URL answers 404 from now on.
    pub async fn revoke_calendar_feed(&self, actor: &Actor) -> Result<bool, AppError> {
        let mut tx = self.db().begin().await?;
        let n = plan::revoke_feeds_tx(&mut tx, actor.user_id.as_uuid(), now()).await?;
        if n > 0 {
            record_tx(
                &mut tx,
                By::actor(actor),
                "revoke",
                "calendar_feed",
                None,
                json!({ "revoked": n }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// When the actor's live calendar feed was created, if there is one.
    pub async fn calendar_feed_status(&self, actor: &Actor) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(plan::live_feed(self.db(), actor.user_id.as_uuid()).await?)
    }

    /// The iCalendar document behind a feed secret: the owner's activities from a month back
    /// to half a year ahead (notes excepted). Unknown or revoked secrets are not found. Every
    /// fetch is an export of client data and lands in the audit log.
    pub async fn calendar_feed(&self, secret: &str) -> Result<String, AppError> {
        let owner = plan::feed_owner(self.db(), &crate::auth::digest(secret))
            .await?
            .ok_or(AppError::NotFound)?;
        let at = now();
        let rows = activities::for_owner_between(
            self.db(),
            owner,
            at - Duration::days(FEED_PAST_DAYS),
            at + Duration::days(FEED_AHEAD_DAYS),
            5_000,
        )
        .await?;
        let events: Vec<CalendarEvent> = rows.iter().filter(|r| r.kind != "note").map(feed_event).collect();
        let name = users::by_id(self.db(), owner)
            .await?
            .map_or_else(|| "Prospekt".to_owned(), |u| format!("Prospekt — {}", u.display_name));
        self.record(
            By {
                actor: Some(UserId::from_uuid(owner)),
                on_behalf_of: None,
            },
            "export",
            "calendar_feed",
            None,
            json!({ "events": events.len() }),
            None,
        )
        .await?;
        Ok(write_calendar(&name, &events, at))
    }
}

/// Russian words for the kinds, as a phone calendar shows them.
fn kind_word(kind: &str) -> &'static str {
    match kind {
        "call" => "Звонок",
        "visit" => "Визит",
        "meeting" => "Встреча",
        "email" => "Письмо (e-mail)",
        "letter" => "Письмо",
        "task" => "Задача",
        _ => "Заметка",
    }
}

fn feed_event(r: &ActivityRow) -> CalendarEvent {
    let mut description = format!("Клиент: {}", r.counterparty_name);
    if let Some(name) = &r.contact_name {
        description.push_str(&format!("\nКонтакт: {name}"));
    }
    if let Some(phone) = &r.contact_phone {
        description.push_str(&format!("\nТелефон: {phone}"));
    }
    if let Some(result) = &r.result {
        description.push_str(&format!("\nРезультат: {result}"));
    }
    let status = match r.status.as_str() {
        "not_done" => EventStatus::Cancelled,
        _ => EventStatus::Confirmed,
    };
    CalendarEvent {
        uid: format!("{}@prospekt", r.id),
        starts_at: r.planned_at,
        ends_at: r.planned_at + Duration::minutes(i64::from(r.duration_min)),
        summary: format!("{}: {} — {}", kind_word(&r.kind), r.counterparty_name, r.subject),
        description,
        location: r.address.clone(),
        status,
        last_modified: r.updated_at.unwrap_or(r.created_at),
        sequence: u32::try_from(r.version - 1).unwrap_or(0),
        categories: vec![kind_word(&r.kind).to_owned()],
    }
}
