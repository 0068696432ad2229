//! Reading counterparties within the actor's scope.

use prospekt_domain::ids::{CounterpartyId, UserId};
use prospekt_storage::repo::counterparties::{self, ListFilter};

pub use prospekt_storage::repo::counterparties::CounterpartyRow;

use crate::policy::{counterparty_scope, in_scope};
use crate::{Actor, App, AppError};

/// Largest page a list request may ask for.
pub const MAX_PAGE: i64 = 200;

/// A list request after parsing at the edge.
#[derive(Debug, Default, Clone)]
pub struct CounterpartyQuery {
    pub owner: Option<UserId>,
    pub status: Option<prospekt_domain::counterparty::LifecycleStatus>,
    pub tier: Option<prospekt_domain::counterparty::Tier>,
    pub after: Option<(String, CounterpartyId)>,
    pub limit: i64,
}

impl App {
    /// One counterparty, or not found when it is outside the actor's scope.
    pub async fn counterparty(
        &self,
        actor: &Actor,
        id: CounterpartyId,
    ) -> Result<CounterpartyRow, AppError> {
        let row = counterparties::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        if !in_scope(&counterparty_scope(actor), row.owner_id, row.department_id) {
            return Err(AppError::NotFound);
        }
        Ok(row)
    }

    /// A page of counterparties visible to the actor.
    pub async fn counterparties(
        &self,
        actor: &Actor,
        q: &CounterpartyQuery,
    ) -> Result<Vec<CounterpartyRow>, AppError> {
        let filter = ListFilter {
            owner_id: q.owner.map(|o| o.as_uuid()),
            status: q.status.map(|s| s.as_str().to_owned()),
            tier: q.tier.map(|t| t.as_str().to_owned()),
            after: q
                .after
                .as_ref()
                .map(|(name, id)| (name.clone(), id.as_uuid())),
            limit: q.limit.clamp(1, MAX_PAGE),
        };
        Ok(counterparties::list(self.db(), &counterparty_scope(actor), &filter).await?)
    }
}
