//! Absences and substitutes. The head of department sets them for the department; a manager
//! sees the absences that involve them (their own, and those where they stand in).

use chrono::NaiveDate;
use prospekt_domain::FieldError;
use prospekt_domain::Role;
use prospekt_domain::absence::{AbsenceKind, Period};
use prospekt_domain::ids::{DepartmentId, UserId};
use prospekt_storage::repo::absences::{self, NewAbsence};

pub use prospekt_storage::repo::absences::AbsenceRow;
use prospekt_storage::repo::users;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, record_tx};
use crate::policy::may_manage_absence_of;
use crate::{Actor, App, AppError, now};

pub struct NewAbsenceInput<'a> {
    pub user: UserId,
    pub substitute: UserId,
    pub kind: AbsenceKind,
    pub period: Period,
    pub note: Option<&'a str>,
}

impl App {
    /// Current and future absences visible to the actor.
    pub async fn absences(&self, actor: &Actor, from: NaiveDate) -> Result<Vec<AbsenceRow>, AppError> {
        let me = actor.user_id.as_uuid();
        Ok(match actor.role {
            Role::Administrator | Role::CommercialDirector | Role::GeneralDirector => {
                absences::list(self.db(), from, None, None).await?
            }
            Role::HeadOfDepartment => match actor.department_id {
                Some(d) => absences::list(self.db(), from, None, Some(d.as_uuid())).await?,
                None => absences::list(self.db(), from, Some(me), None).await?,
            },
            _ => absences::list(self.db(), from, Some(me), None).await?,
        })
    }

    pub async fn create_absence(&self, actor: &Actor, input: &NewAbsenceInput<'_>) -> Result<AbsenceRow, AppError> {
        let absent = users::by_id(self.db(), input.user.as_uuid()).await?;
        let Some(absent) = absent else {
            return Err(FieldError::new("user_id", "unknown_user").into());
        };
        if !may_manage_absence_of(actor, absent.department_id.map(DepartmentId::from_uuid)) {
            return Err(self.deny(actor, "absence", None, AppError::Forbidden).await);
        }
        if input.user == input.substitute {
            return Err(FieldError::new("substitute_id", "substitute_is_absent_user").into());
        }
        let Some(sub) = users::by_id(self.db(), input.substitute.as_uuid()).await? else {
            return Err(FieldError::new("substitute_id", "unknown_user").into());
        };
        if !sub.is_active {
            return Err(FieldError::new("substitute_id", "inactive_user").into());
        }
        let id = Uuid::now_v7();
        let mut tx = self.db().begin().await?;
        absences::insert_tx(
            &mut tx,
            &NewAbsence {
                id,
                user_id: input.user.as_uuid(),
                substitute_id: input.substitute.as_uuid(),
                kind: input.kind.as_str(),
                starts_on: input.period.starts_on(),
                ends_on: input.period.ends_on(),
                note: input.note,
                created_by: actor.user_id.as_uuid(),
                now: now(),
            },
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "absence",
            Some(id),
            json!({
                "user_id": [null, input.user.as_uuid()], "substitute_id": [null, input.substitute.as_uuid()],
                "kind": [null, input.kind.as_str()], "starts_on": [null, input.period.starts_on()],
                "ends_on": [null, input.period.ends_on()],
            }),
        )
        .await?;
        tx.commit().await?;
        // Who the user is and for whom they stand in: tokens checked before are re-read.
        self.token_cache.forget_all();
        absences::by_id(self.db(), id).await?.ok_or(AppError::NotFound)
    }

    pub async fn delete_absence(&self, actor: &Actor, id: Uuid) -> Result<(), AppError> {
        let row = absences::by_id(self.db(), id).await?.ok_or(AppError::NotFound)?;
        // Who may see it (the same rule as the list); anyone else must not learn it exists.
        let me = actor.user_id.as_uuid();
        let visible = match actor.role {
            Role::Administrator | Role::CommercialDirector | Role::GeneralDirector => true,
            Role::HeadOfDepartment if actor.department_id.is_some() => {
                row.user_department_id == actor.department_id.map(|d| d.as_uuid())
            }
            _ => row.user_id == me || row.substitute_id == me,
        };
        if !visible {
            return Err(self.deny(actor, "absence", Some(id), AppError::NotFound).await);
        }
        if !may_manage_absence_of(actor, row.user_department_id.map(DepartmentId::from_uuid)) {
            return Err(self.deny(actor, "absence", Some(id), AppError::Forbidden).await);
        }
        let mut tx = self.db().begin().await?;
        absences::delete_tx(&mut tx, id).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "delete",
            "absence",
            Some(id),
            json!({
                "user_id": [row.user_id, null], "substitute_id": [row.substitute_id, null],
                "starts_on": [row.starts_on, null], "ends_on": [row.ends_on, null],
            }),
        )
        .await?;
        tx.commit().await?;
        // Who the user is and for whom they stand in: tokens checked before are re-read.
        self.token_cache.forget_all();
        Ok(())
    }
}
