//! Keeping the client base clean: archive and restore, bank accounts, the duplicate report
//! and merging one counterparty into another without losing anything.

use prospekt_domain::FieldError;
use prospekt_domain::counterparty::{parse_tags, tags_column, tags_from_column};
use prospekt_domain::identifiers::{Bik, check_corr_account, check_settlement_account};
use prospekt_domain::ids::CounterpartyId;
use prospekt_storage::DbError;
use prospekt_storage::repo::bank_accounts;
use prospekt_storage::repo::counterparties::{self, DuplicateMember, DuplicateReason};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, record_tx};
use crate::counterparties::CounterpartyRow;
use crate::policy::may_edit_clients;
use crate::{Actor, App, AppError, now};

pub use prospekt_storage::repo::bank_accounts::BankAccountRow;
pub use prospekt_storage::repo::counterparties::DuplicateReason as Reason;

/// A group of counterparties that look like one business.
#[derive(Debug, Clone)]
pub struct DuplicateGroup {
    pub reason: DuplicateReason,
    pub key: String,
    pub members: Vec<DuplicateMember>,
}

/// A bank account as typed.
#[derive(Debug, Clone, Default)]
pub struct BankAccountInput {
    pub bik: String,
    pub account: String,
    pub corr_account: Option<String>,
    pub bank_name: String,
}

/// What a merge did, for the answer and the audit log.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    pub survivor: CounterpartyRow,
    pub moved: Vec<(&'static str, u64)>,
    pub filled: Vec<&'static str>,
}

impl App {
    async fn editable(&self, actor: &Actor, id: CounterpartyId) -> Result<CounterpartyRow, AppError> {
        let row = self.counterparty(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(actor, "counterparty", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        Ok(row)
    }

    async fn by_for(&self, actor: &Actor, row: &CounterpartyRow) -> Result<By, AppError> {
        let access = self.access(actor).await?;
        Ok(By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(row.owner_id, row.department_id),
        })
    }

    /// Archives (`archive = true`) or restores a counterparty. Archived records leave the lists
    /// and duplicate checks but keep everything, and can be restored.
    pub async fn set_counterparty_archived(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        version: i64,
        archive: bool,
    ) -> Result<CounterpartyRow, AppError> {
        let current = self.editable(actor, id).await?;
        if current.version != version {
            return Err(self.version_conflict(id, current.version).await);
        }
        if current.merged_into.is_some() && !archive {
            return Err(FieldError::new("id", "merged_record").into());
        }
        let by = self.by_for(actor, &current).await?;
        let at = archive.then(now);
        let mut tx = self.db().begin().await?;
        match counterparties::set_archived_tx(&mut tx, id.as_uuid(), version, at, None, now()).await {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.version_conflict(id, version + 1).await);
            }
            other => other?,
        };
        let action = if archive { "archive" } else { "restore" };
        let changes = json!({ "archived_at": [current.archived_at, at] });
        record_tx(&mut tx, by, action, "counterparty", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        counterparties::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn bank_accounts(&self, actor: &Actor, id: CounterpartyId) -> Result<Vec<BankAccountRow>, AppError> {
        self.counterparty(actor, id).await?;
        Ok(bank_accounts::for_counterparty(self.db(), id.as_uuid()).await?)
    }

    /// Adds a settlement account, checked against the BIK (control key of the account and
    /// of the correspondent account).
    pub async fn add_bank_account(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        input: &BankAccountInput,
    ) -> Result<BankAccountRow, AppError> {
        let parent = self.editable(actor, id).await?;
        let bik = Bik::parse(input.bik.trim())?;
        let account: String = input.account.chars().filter(|c| !c.is_whitespace()).collect();
        check_settlement_account(&account, &bik)?;
        let corr: Option<String> = input
            .corr_account
            .as_deref()
            .map(|c| c.chars().filter(|c| !c.is_whitespace()).collect::<String>())
            .filter(|c| !c.is_empty());
        if let Some(c) = &corr {
            check_corr_account(c, &bik)?;
        }
        let bank_name = input.bank_name.trim();
        if bank_name.is_empty() {
            return Err(FieldError::new("bank_name", "required").into());
        }
        if bank_accounts::find(self.db(), id.as_uuid(), bik.as_ref(), &account)
            .await?
            .is_some()
        {
            return Err(AppError::Duplicate { field: "account" });
        }
        let row = BankAccountRow {
            id: Uuid::now_v7(),
            counterparty_id: id.as_uuid(),
            bik: bik.to_string(),
            account,
            corr_account: corr,
            bank_name: bank_name.to_owned(),
        };
        let by = self.by_for(actor, &parent).await?;
        let mut tx = self.db().begin().await?;
        bank_accounts::insert_tx(&mut tx, &row).await?;
        let changes =
            json!({ "bank_account": [null, { "bik": row.bik, "account": row.account, "bank_name": row.bank_name }] });
        record_tx(
            &mut tx,
            by,
            "add_bank_account",
            "counterparty",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn remove_bank_account(&self, actor: &Actor, account_id: Uuid) -> Result<(), AppError> {
        let row = bank_accounts::by_id(self.db(), account_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let cp = CounterpartyId::from_uuid(row.counterparty_id);
        let parent = self.editable(actor, cp).await?;
        let by = self.by_for(actor, &parent).await?;
        let mut tx = self.db().begin().await?;
        bank_accounts::delete_tx(&mut tx, account_id).await?;
        let changes =
            json!({ "bank_account": [{ "bik": row.bik, "account": row.account, "bank_name": row.bank_name }, null] });
        record_tx(
            &mut tx,
            by,
            "remove_bank_account",
            "counterparty",
            Some(cp.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Likely duplicates within the actor's reach, grouped by what they share.
    pub async fn duplicate_groups(
        &self,
        actor: &Actor,
        reason: Option<DuplicateReason>,
        groups: i64,
    ) -> Result<Vec<DuplicateGroup>, AppError> {
        let access = self.access(actor).await?;
        let reasons: Vec<DuplicateReason> = match reason {
            Some(r) => vec![r],
            None => DuplicateReason::ALL.to_vec(),
        };
        let mut out: Vec<DuplicateGroup> = Vec::new();
        for r in reasons {
            let rows = counterparties::duplicate_groups(self.db(), &access.scope, r, groups.clamp(1, 200)).await?;
            for m in rows {
                match out.last_mut() {
                    Some(g) if g.reason == r && g.key == m.group_key => g.members.push(m),
                    _ => out.push(DuplicateGroup {
                        reason: r,
                        key: m.group_key.clone(),
                        members: vec![m],
                    }),
                }
            }
        }
        // A scope filter on the outer query can leave a lone member: not a group for this actor.
        out.retain(|g| g.members.len() > 1);
        Ok(out)
    }

    /// Folds `duplicate` into `survivor`: contacts, bank accounts, activities, deals, orders,
    /// invoices and payments move over; the survivor's empty fields take the duplicate's
    /// values; tags are united; the duplicate stays archived with `merged_into` and its own
    /// history. Both versions must be current. One transaction; both records get an audit entry.
    pub async fn merge_counterparties(
        &self,
        actor: &Actor,
        survivor_id: CounterpartyId,
        survivor_version: i64,
        duplicate_id: CounterpartyId,
        duplicate_version: i64,
    ) -> Result<MergeOutcome, AppError> {
        if survivor_id == duplicate_id {
            return Err(FieldError::new("duplicate_id", "same_record").into());
        }
        let keep = self.editable(actor, survivor_id).await?;
        let dup = self.editable(actor, duplicate_id).await?;
        if keep.version != survivor_version {
            return Err(self.version_conflict(survivor_id, keep.version).await);
        }
        if dup.version != duplicate_version {
            return Err(self.version_conflict(duplicate_id, dup.version).await);
        }
        if dup.merged_into.is_some() || keep.merged_into.is_some() {
            return Err(FieldError::new("duplicate_id", "merged_record").into());
        }
        if keep.kind != dup.kind {
            return Err(FieldError::new("duplicate_id", "kind_mismatch").into());
        }
        if let (Some(a), Some(b)) = (&keep.inn, &dup.inn)
            && a != b
        {
            return Err(FieldError::new("duplicate_id", "inn_mismatch").into());
        }
        let mut filled = Vec::new();
        let mut next = keep.clone();
        // Requisites travel together so a KPP never pairs with another record's INN.
        if keep.inn.is_none() && dup.inn.is_some() {
            filled.extend(["inn", "kpp", "ogrn"]);
            (next.inn, next.kpp, next.ogrn) = (dup.inn.clone(), dup.kpp.clone(), dup.ogrn.clone());
        }
        let mut fill = |field: &'static str, slot: &mut Option<String>, other: &Option<String>| {
            if slot.is_none() && other.is_some() {
                slot.clone_from(other);
                filled.push(field);
            }
        };
        fill("industry", &mut next.industry, &dup.industry);
        fill("size", &mut next.size, &dup.size);
        fill("lead_source", &mut next.lead_source, &dup.lead_source);
        fill("city", &mut next.city, &dup.city);
        fill("phone", &mut next.phone, &dup.phone);
        fill("email", &mut next.email, &dup.email);
        fill("legal_address", &mut next.legal_address, &dup.legal_address);
        fill("actual_address", &mut next.actual_address, &dup.actual_address);
        fill("needs", &mut next.needs, &dup.needs);
        match (&keep.notes, &dup.notes) {
            (Some(a), Some(b)) if a != b => next.notes = Some(format!("{a}\n{b}")),
            _ => fill("notes", &mut next.notes, &dup.notes),
        }
        let mut tags = tags_from_column(keep.tags.as_deref());
        tags.extend(tags_from_column(dup.tags.as_deref()));
        next.tags = tags_column(&parse_tags(&tags.join(",")));
        next.territory_id = keep.territory_id.or(dup.territory_id);
        let by = self.by_for(actor, &keep).await?;
        let now = now();

        let mut tx = self.db().begin().await?;
        // The duplicate first: it frees its external id and leaves the duplicate checks.
        let dup_written =
            counterparties::set_archived_tx(&mut tx, dup.id, duplicate_version, Some(now), Some(keep.id), now).await;
        if let Err(DbError::Conflict) = dup_written {
            drop(tx);
            return Err(self.version_conflict(duplicate_id, duplicate_version + 1).await);
        }
        dup_written?;
        let moved = counterparties::move_children_tx(&mut tx, dup.id, keep.id).await?;
        let written = crate::counterparties::write_row_tx(&mut tx, &next, survivor_version, now).await;
        if let Err(DbError::Conflict) = written {
            drop(tx);
            return Err(self.version_conflict(survivor_id, survivor_version + 1).await);
        }
        written?;
        let moved_json: serde_json::Map<String, serde_json::Value> =
            moved.iter().map(|(t, n)| ((*t).to_owned(), json!(n))).collect();
        record_tx(
            &mut tx,
            by,
            "merge",
            "counterparty",
            Some(keep.id),
            json!({
                "merged": [null, { "id": dup.id, "name": dup.name, "inn": dup.inn, "kpp": dup.kpp }],
                "moved": [null, moved_json],
                "filled": [null, filled],
            }),
        )
        .await?;
        record_tx(
            &mut tx,
            by,
            "merged_into",
            "counterparty",
            Some(dup.id),
            json!({ "merged_into": [null, keep.id], "archived_at": [dup.archived_at, now] }),
        )
        .await?;
        tx.commit().await?;
        let survivor = counterparties::by_id(self.db(), keep.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(MergeOutcome {
            survivor,
            moved,
            filled,
        })
    }
}
