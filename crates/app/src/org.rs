//! Departments, territories and who covers which territory.

use prospekt_domain::FieldError;
use prospekt_domain::ids::{DepartmentId, TerritoryId, UserId};
use prospekt_storage::repo::org;

pub use prospekt_storage::repo::org::{DepartmentRow, TerritoryRow};
use prospekt_storage::repo::users;
use serde_json::json;

use crate::audit::{By, record_tx};
use crate::policy::{may_assign_territories, may_manage_org};
use crate::{Actor, App, AppError, now};

impl App {
    pub async fn departments(&self, _actor: &Actor) -> Result<Vec<DepartmentRow>, AppError> {
        Ok(org::departments(self.db()).await?)
    }

    pub async fn create_department(
        &self,
        actor: &Actor,
        name: &str,
        head: Option<UserId>,
    ) -> Result<DepartmentRow, AppError> {
        if !may_manage_org(actor.role) {
            return Err(self.deny(actor, "department", None, AppError::Forbidden).await);
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "required").into());
        }
        if let Some(h) = head
            && users::by_id(self.db(), h.as_uuid()).await?.is_none()
        {
            return Err(FieldError::new("head_user_id", "unknown_user").into());
        }
        let id = DepartmentId::new();
        let mut tx = self.db().begin().await?;
        match org::insert_department_tx(&mut tx, id.as_uuid(), name, head.map(|h| h.as_uuid()), now()).await {
            Err(e) if e.is_unique_violation() => return Err(AppError::Duplicate { field: "name" }),
            other => other?,
        }
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "department",
            Some(id.as_uuid()),
            json!({ "name": [null, name], "head_user_id": [null, head.map(|h| h.as_uuid())] }),
        )
        .await?;
        tx.commit().await?;
        org::department(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn territories(&self, _actor: &Actor) -> Result<Vec<TerritoryRow>, AppError> {
        Ok(org::territories(self.db()).await?)
    }

    pub async fn create_territory(&self, actor: &Actor, code: &str, name: &str) -> Result<TerritoryRow, AppError> {
        if !may_manage_org(actor.role) {
            return Err(self.deny(actor, "territory", None, AppError::Forbidden).await);
        }
        let (code, name) = (code.trim(), name.trim());
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(FieldError::new("code", "invalid_code").into());
        }
        if name.is_empty() {
            return Err(FieldError::new("name", "required").into());
        }
        let id = TerritoryId::new();
        let mut tx = self.db().begin().await?;
        match org::insert_territory_tx(&mut tx, id.as_uuid(), code, name).await {
            Err(e) if e.is_unique_violation() => return Err(AppError::Duplicate { field: "code" }),
            other => other?,
        }
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "territory",
            Some(id.as_uuid()),
            json!({ "code": [null, code], "name": [null, name] }),
        )
        .await?;
        tx.commit().await?;
        Ok(TerritoryRow {
            id: id.as_uuid(),
            code: code.to_owned(),
            name: name.to_owned(),
        })
    }

    pub async fn user_territories(&self, actor: &Actor, user: UserId) -> Result<Vec<TerritoryRow>, AppError> {
        self.user(actor, user).await?;
        Ok(org::user_territories(self.db(), user.as_uuid()).await?)
    }

    /// Sets which territories a manager covers: the administrator, or the head of the manager's department.
    pub async fn set_user_territories(
        &self,
        actor: &Actor,
        user: UserId,
        territories: &[TerritoryId],
    ) -> Result<Vec<TerritoryRow>, AppError> {
        let target = self.user(actor, user).await?;
        if !may_assign_territories(actor, target.department_id.map(DepartmentId::from_uuid)) {
            return Err(self
                .deny(actor, "user", Some(user.as_uuid()), AppError::Forbidden)
                .await);
        }
        let known = org::territories(self.db()).await?;
        let ids: Vec<uuid::Uuid> = territories.iter().map(|t| t.as_uuid()).collect();
        if let Some(bad) = ids.iter().find(|id| !known.iter().any(|k| k.id == **id)) {
            return Err(FieldError::new("territory_ids", "unknown_territory")
                .with("value", bad.to_string())
                .into());
        }
        let before: Vec<uuid::Uuid> = org::user_territories(self.db(), user.as_uuid())
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let mut tx = self.db().begin().await?;
        org::set_user_territories_tx(&mut tx, user.as_uuid(), &ids).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "user_territories",
            Some(user.as_uuid()),
            json!({ "territory_ids": [before, ids] }),
        )
        .await?;
        tx.commit().await?;
        Ok(org::user_territories(self.db(), user.as_uuid()).await?)
    }
}
