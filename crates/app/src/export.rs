//! Bulk export of the client base: a separate permission (`can_export`, the base is a trade
//! secret), every export in the audit log with its filter and size.

use prospekt_domain::FieldError;
use prospekt_domain::ids::CounterpartyId;
use prospekt_storage::repo::contacts::ContactRow;
use prospekt_storage::repo::counterparties;
use serde_json::json;

use crate::audit::{By, record_tx};
use crate::counterparties::{CounterpartyQuery, CounterpartyRow};
use crate::{Actor, App, AppError};

/// Most rows one export may hold; a bigger base is exported in filtered parts.
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

impl App {
    async fn may_export(&self, actor: &Actor, what: &str) -> Result<(), AppError> {
        if actor.can_export {
            Ok(())
        } else {
            Err(self.deny(actor, what, None, AppError::Forbidden).await)
        }
    }

    async fn record_export(
        &self,
        actor: &Actor,
        what: &str,
        format: &str,
        rows: usize,
        filter: serde_json::Value,
    ) -> Result<(), AppError> {
        let mut tx = self.db().begin().await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "export",
            what,
            None,
            json!({ "format": format, "rows": rows, "filter": filter }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every counterparty of the filtered list within the actor's reach, in list order.
    pub async fn export_counterparties(
        &self,
        actor: &Actor,
        q: &CounterpartyQuery,
        format: &str,
    ) -> Result<Vec<CounterpartyRow>, AppError> {
        self.may_export(actor, "counterparty").await?;
        let access = self.access(actor).await?;
        let mut filter = q.filter(10_000);
        let mut out: Vec<CounterpartyRow> = Vec::new();
        loop {
            let page = counterparties::list(self.db(), &access.scope, &filter).await?;
            let full = page.len() as i64 == filter.limit;
            filter.after = page.last().map(|r| (r.name.clone(), r.id));
            out.extend(page);
            if out.len() > MAX_EXPORT_ROWS {
                return Err(FieldError::new("limit", "too_many_rows")
                    .with("max", MAX_EXPORT_ROWS.to_string())
                    .into());
            }
            if !full {
                break;
            }
        }
        let described = json!({
            "owner": q.owner.map(|o| o.as_uuid()), "status": q.status.map(|s| s.as_str()),
            "tier": q.tier.map(|t| t.as_str()), "territory": q.territory.map(|t| t.as_uuid()),
            "tag": q.tag, "archived": q.archived,
        });
        self.record_export(actor, "counterparty", format, out.len(), described)
            .await?;
        Ok(out)
    }

    /// Contacts of one counterparty as an address-book export (vCard).
    pub async fn export_contacts(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        format: &str,
    ) -> Result<(CounterpartyRow, Vec<ContactRow>), AppError> {
        self.may_export(actor, "contact").await?;
        let cp = self.counterparty(actor, id).await?;
        let contacts = self.contacts(actor, id).await?;
        self.record_export(
            actor,
            "contact",
            format,
            contacts.len(),
            json!({ "counterparty": id.as_uuid() }),
        )
        .await?;
        Ok((cp, contacts))
    }
}
