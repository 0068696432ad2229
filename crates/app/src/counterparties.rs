//! Counterparties within the actor's reach: reading, and editing with optimistic locking.

use prospekt_domain::FieldError;
use prospekt_domain::counterparty::{LifecycleStatus, Tier, search_key};
use prospekt_domain::ids::{CounterpartyId, UserId};
use prospekt_storage::DbError;
use prospekt_storage::repo::counterparties::{self, CounterpartyEdit, ListFilter};
use serde_json::json;

pub use prospekt_storage::repo::counterparties::CounterpartyRow;

use crate::audit::{By, diff, record_tx};
use crate::policy::may_edit_clients;
use crate::{Actor, App, AppError, now};

/// Largest page a list request may ask for.
pub const MAX_PAGE: i64 = 200;

/// A list request after parsing at the edge.
#[derive(Debug, Default, Clone)]
pub struct CounterpartyQuery {
    pub owner: Option<UserId>,
    pub status: Option<LifecycleStatus>,
    pub tier: Option<Tier>,
    pub after: Option<(String, CounterpartyId)>,
    pub limit: i64,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears an optional field.
#[derive(Debug, Default, Clone)]
pub struct CounterpartyPatch {
    pub name: Option<String>,
    pub status: Option<LifecycleStatus>,
    pub tier: Option<Tier>,
    pub owner: Option<Option<UserId>>,
    pub industry: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub legal_address: Option<Option<String>>,
    pub actual_address: Option<Option<String>>,
}

impl App {
    /// One counterparty, or not found when it is outside the actor's reach.
    pub async fn counterparty(&self, actor: &Actor, id: CounterpartyId) -> Result<CounterpartyRow, AppError> {
        let row = counterparties::by_id(self.db(), id.as_uuid()).await?;
        let access = self.access(actor).await?;
        match row {
            Some(row) if access.reaches(row.owner_id, row.department_id) => Ok(row),
            Some(_) => Err(self
                .deny(actor, "counterparty", Some(id.as_uuid()), AppError::NotFound)
                .await),
            None => Err(AppError::NotFound),
        }
    }

    /// A page of counterparties within the actor's reach.
    pub async fn counterparties(&self, actor: &Actor, q: &CounterpartyQuery) -> Result<Vec<CounterpartyRow>, AppError> {
        let filter = ListFilter {
            owner_id: q.owner.map(|o| o.as_uuid()),
            status: q.status.map(|s| s.as_str().to_owned()),
            tier: q.tier.map(|t| t.as_str().to_owned()),
            after: q.after.as_ref().map(|(name, id)| (name.clone(), id.as_uuid())),
            limit: q.limit.clamp(1, MAX_PAGE),
        };
        let access = self.access(actor).await?;
        Ok(counterparties::list(self.db(), &access.scope, &filter).await?)
    }

    /// Applies a patch if `version` is still current. A stale version is refused with the name
    /// of whoever changed the record, so nobody silently overwrites a colleague.
    pub async fn update_counterparty(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        version: i64,
        patch: CounterpartyPatch,
    ) -> Result<CounterpartyRow, AppError> {
        let current = self.counterparty(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(actor, "counterparty", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        let access = self.access(actor).await?;
        // Reassigning a client is the head's decision (or the director's), not a manager's.
        if patch.owner.is_some() && actor.role.is_portfolio_bound() {
            return Err(self
                .deny(actor, "counterparty", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        if current.version != version {
            return Err(self.conflict(id, current.version).await);
        }
        let name = match &patch.name {
            Some(n) if n.trim().is_empty() => return Err(FieldError::new("name", "required").into()),
            Some(n) => n.trim().to_owned(),
            None => current.name.clone(),
        };
        let pick = |p: &Option<Option<String>>, cur: &Option<String>| -> Option<String> {
            match p {
                Some(v) => v.as_ref().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
                None => cur.clone(),
            }
        };
        let status = patch
            .status
            .map(|s| s.as_str().to_owned())
            .unwrap_or_else(|| current.status.clone());
        let tier = patch
            .tier
            .map(|t| t.as_str().to_owned())
            .unwrap_or_else(|| current.tier.clone());
        let owner_id = match patch.owner {
            Some(o) => o.map(|u| u.as_uuid()),
            None => current.owner_id,
        };
        let (industry, city) = (
            pick(&patch.industry, &current.industry),
            pick(&patch.city, &current.city),
        );
        let (phone, email) = (pick(&patch.phone, &current.phone), pick(&patch.email, &current.email));
        let notes = pick(&patch.notes, &current.notes);
        let legal = pick(&patch.legal_address, &current.legal_address);
        let actual = pick(&patch.actual_address, &current.actual_address);
        let key = search_key(&[&name, current.inn.as_deref().unwrap_or("")]);
        let changes = diff(&[
            ("name", json!(current.name), json!(name)),
            ("status", json!(current.status), json!(status)),
            ("tier", json!(current.tier), json!(tier)),
            ("owner_id", json!(current.owner_id), json!(owner_id)),
            ("industry", json!(current.industry), json!(industry)),
            ("city", json!(current.city), json!(city)),
            ("phone", json!(current.phone), json!(phone)),
            ("email", json!(current.email), json!(email)),
            ("notes", json!(current.notes), json!(notes)),
            ("legal_address", json!(current.legal_address), json!(legal)),
            ("actual_address", json!(current.actual_address), json!(actual)),
        ]);
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(current.owner_id, current.department_id),
        };
        let mut tx = self.db().begin().await?;
        let written = counterparties::update_tx(
            &mut tx,
            id.as_uuid(),
            version,
            &CounterpartyEdit {
                name: &name,
                status: &status,
                tier: &tier,
                owner_id,
                industry: industry.as_deref(),
                city: city.as_deref(),
                phone: phone.as_deref(),
                email: email.as_deref(),
                notes: notes.as_deref(),
                legal_address: legal.as_deref(),
                actual_address: actual.as_deref(),
                search_key: &key,
            },
            now(),
        )
        .await;
        match written {
            Ok(_) => {}
            // Someone committed between our read and our write.
            Err(DbError::Conflict) => {
                drop(tx);
                let latest = counterparties::by_id(self.db(), id.as_uuid())
                    .await?
                    .map_or(version, |r| r.version);
                return Err(self.conflict(id, latest).await);
            }
            Err(e) => return Err(e.into()),
        }
        record_tx(&mut tx, by, "update", "counterparty", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        counterparties::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A version conflict naming who made the latest change.
    async fn conflict(&self, id: CounterpartyId, current_version: i64) -> AppError {
        AppError::Conflict {
            current_version,
            changed_by: self.last_changed_by(id.as_uuid()).await,
        }
    }
}

impl App {
    /// Clients not updated or contacted for `days` days, optionally of one manager.
    pub async fn stale_counterparties(
        &self,
        actor: &Actor,
        days: u32,
        owner: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<CounterpartyRow>, AppError> {
        if !(1..=3650).contains(&days) {
            return Err(FieldError::new("days", "out_of_range").with("max", "3650").into());
        }
        let access = self.access(actor).await?;
        let cutoff = now() - chrono::Duration::days(i64::from(days));
        Ok(counterparties::stale(
            self.db(),
            &access.scope,
            owner.map(|o| o.as_uuid()),
            cutoff,
            limit.clamp(1, MAX_PAGE),
        )
        .await?)
    }
}
