//! Counterparties within the actor's reach: reading, and editing with optimistic locking.

use prospekt_domain::FieldError;
use prospekt_domain::Role;
use prospekt_domain::contact::{Email, Phone};
use prospekt_domain::counterparty::{
    CounterpartyKind, LifecycleStatus, Requisites, Tier, name_key, parse_tags, search_key, tags_column,
};
use prospekt_domain::ids::{CounterpartyId, TerritoryId, UserId};
use prospekt_domain::money::Money;
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
    pub territory: Option<TerritoryId>,
    pub tag: Option<String>,
    pub archived: bool,
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
    pub inn: Option<Option<String>>,
    pub kpp: Option<Option<String>>,
    pub ogrn: Option<Option<String>>,
    pub size: Option<Option<String>>,
    pub lead_source: Option<Option<String>>,
    pub needs: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub territory: Option<Option<TerritoryId>>,
    pub payment_terms_days: Option<i32>,
    pub credit_limit: Option<String>,
}

impl CounterpartyQuery {
    /// The storage filter of this query with a page size (lists page by 200 at most, exports by more).
    pub(crate) fn filter(&self, limit: i64) -> ListFilter {
        ListFilter {
            owner_id: self.owner.map(|o| o.as_uuid()),
            status: self.status.map(|s| s.as_str().to_owned()),
            tier: self.tier.map(|t| t.as_str().to_owned()),
            territory_id: self.territory.map(|t| t.as_uuid()),
            // Folded exactly as stored tags are.
            tag: self.tag.as_deref().and_then(|t| parse_tags(t).into_iter().next()),
            archived: self.archived,
            after: self.after.as_ref().map(|(name, id)| (name.clone(), id.as_uuid())),
            limit,
        }
    }
}

/// Writes every editable field of `row` (search and name keys derived from it) if the stored
/// version is still `version`: for changes computed as a whole row (merge, import).
pub(crate) async fn write_row_tx(
    tx: &mut prospekt_storage::Tx,
    row: &CounterpartyRow,
    version: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<i64, DbError> {
    let key = search_key(&[&row.name, row.inn.as_deref().unwrap_or("")]);
    let nkey = name_key(&row.name);
    counterparties::update_tx(
        tx,
        row.id,
        version,
        &CounterpartyEdit {
            name: &row.name,
            status: &row.status,
            tier: &row.tier,
            owner_id: row.owner_id,
            industry: row.industry.as_deref(),
            city: row.city.as_deref(),
            phone: row.phone.as_deref(),
            email: row.email.as_deref(),
            notes: row.notes.as_deref(),
            legal_address: row.legal_address.as_deref(),
            actual_address: row.actual_address.as_deref(),
            search_key: &key,
            inn: row.inn.as_deref(),
            kpp: row.kpp.as_deref(),
            ogrn: row.ogrn.as_deref(),
            size: row.size.as_deref(),
            lead_source: row.lead_source.as_deref(),
            territory_id: row.territory_id,
            department_id: row.department_id,
            payment_terms_days: row.payment_terms_days,
            credit_limit: row.credit_limit,
            external_id: row.external_id.as_deref(),
            needs: row.needs.as_deref(),
            tags: row.tags.as_deref(),
            name_key: &nkey,
        },
        at,
    )
    .await
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
        let filter = q.filter(q.limit.clamp(1, MAX_PAGE));
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
            return Err(self.version_conflict(id, current.version).await);
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
        // The client moves with its owner: a new owner's department takes it over.
        let department_id = match owner_id {
            Some(o) if Some(o) != current.owner_id => {
                let user = prospekt_storage::repo::users::by_id(self.db(), o)
                    .await?
                    .ok_or_else(|| FieldError::new("owner_id", "unknown_user"))?;
                if actor.role == Role::HeadOfDepartment
                    && user.department_id != actor.department_id.map(|d| d.as_uuid())
                {
                    return Err(FieldError::new("owner_id", "owner_outside_department").into());
                }
                user.department_id.or(current.department_id)
            }
            _ => current.department_id,
        };
        // Requisites are re-checked (together, against the kind) only when the patch touches
        // them: a stored value is trusted as it is.
        let touches_requisites = patch.inn.is_some() || patch.kpp.is_some() || patch.ogrn.is_some();
        let (inn, kpp, ogrn) = if touches_requisites {
            let kind = CounterpartyKind::parse(&current.kind)?;
            let req = Requisites::parse(
                kind,
                pick(&patch.inn, &current.inn).as_deref(),
                pick(&patch.kpp, &current.kpp).as_deref(),
                pick(&patch.ogrn, &current.ogrn).as_deref(),
            )?;
            (
                req.inn.as_ref().map(|i| i.to_string()),
                req.kpp.as_ref().map(|k| k.to_string()),
                req.ogrn,
            )
        } else {
            (current.inn.clone(), current.kpp.clone(), current.ogrn.clone())
        };
        if (inn != current.inn || kpp != current.kpp)
            && let Some(inn) = &inn
        {
            let found = counterparties::duplicates(self.db(), Some(inn), kpp.as_deref(), None, None, None).await?;
            if found.iter().any(|d| d.id != current.id) {
                return Err(AppError::Duplicate { field: "inn" });
            }
        }
        let size = pick(&patch.size, &current.size);
        let lead_source = pick(&patch.lead_source, &current.lead_source);
        let needs = pick(&patch.needs, &current.needs);
        let external_id = pick(&patch.external_id, &current.external_id);
        let tags = match &patch.tags {
            Some(t) => tags_column(&parse_tags(&t.join(","))),
            None => current.tags.clone(),
        };
        let territory_id = match patch.territory {
            Some(t) => t.map(|t| t.as_uuid()),
            None => current.territory_id,
        };
        let terms = patch.payment_terms_days.unwrap_or(current.payment_terms_days);
        if !(0..=365).contains(&terms) {
            return Err(FieldError::new("payment_terms_days", "out_of_range")
                .with("max", "365")
                .into());
        }
        let credit_limit = match patch.credit_limit.as_deref().map(str::trim) {
            Some("") => 0,
            Some(m) => {
                let m = Money::parse(m).map_err(|e| e.on("credit_limit"))?;
                if m.is_negative() {
                    return Err(FieldError::new("credit_limit", "negative").into());
                }
                m.kopecks()
            }
            None => current.credit_limit,
        };
        // The limit and the deferral are the credit controller's, a head's or the commercial
        // director's to set, never the seller's (see `may_set_credit_terms`).
        if !crate::receivables::may_set_credit_terms(actor.role) {
            if credit_limit != current.credit_limit {
                return Err(FieldError::new("credit_limit", "credit_terms_reserved").into());
            }
            if terms != current.payment_terms_days {
                return Err(FieldError::new("payment_terms_days", "credit_terms_reserved").into());
            }
        }
        let (industry, city) = (
            pick(&patch.industry, &current.industry),
            pick(&patch.city, &current.city),
        );
        let (phone, email) = (pick(&patch.phone, &current.phone), pick(&patch.email, &current.email));
        // Only what the patch brings is re-checked: a stored value is trusted as it is.
        let phone = match patch.phone {
            Some(_) => phone
                .map(|p| Phone::parse(&p))
                .transpose()?
                .map(|p| p.as_str().to_owned()),
            None => phone,
        };
        let email = match patch.email {
            Some(_) => email
                .map(|e| Email::parse(&e))
                .transpose()?
                .map(|e| e.as_str().to_owned()),
            None => email,
        };
        let notes = pick(&patch.notes, &current.notes);
        let legal = pick(&patch.legal_address, &current.legal_address);
        let actual = pick(&patch.actual_address, &current.actual_address);
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
            ("inn", json!(current.inn), json!(inn)),
            ("kpp", json!(current.kpp), json!(kpp)),
            ("ogrn", json!(current.ogrn), json!(ogrn)),
            ("size", json!(current.size), json!(size)),
            ("lead_source", json!(current.lead_source), json!(lead_source)),
            ("needs", json!(current.needs), json!(needs)),
            ("external_id", json!(current.external_id), json!(external_id)),
            ("tags", json!(current.tags), json!(tags)),
            ("territory_id", json!(current.territory_id), json!(territory_id)),
            ("department_id", json!(current.department_id), json!(department_id)),
            ("payment_terms_days", json!(current.payment_terms_days), json!(terms)),
            ("credit_limit", json!(current.credit_limit), json!(credit_limit)),
        ]);
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(current.owner_id, current.department_id),
        };
        let mut tx = self.db().begin().await?;
        let next = CounterpartyRow {
            name,
            status,
            tier,
            owner_id,
            industry,
            city,
            phone,
            email,
            notes,
            legal_address: legal,
            actual_address: actual,
            inn,
            kpp,
            ogrn,
            size,
            lead_source,
            territory_id,
            department_id,
            payment_terms_days: terms,
            credit_limit,
            external_id,
            needs,
            tags,
            ..current
        };
        let written = write_row_tx(&mut tx, &next, version, now()).await;
        match written {
            Ok(_) => {}
            // Someone committed between our read and our write.
            Err(DbError::Conflict) => {
                drop(tx);
                let latest = counterparties::by_id(self.db(), id.as_uuid())
                    .await?
                    .map_or(version, |r| r.version);
                return Err(self.version_conflict(id, latest).await);
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
    pub(crate) async fn version_conflict(&self, id: CounterpartyId, current_version: i64) -> AppError {
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
