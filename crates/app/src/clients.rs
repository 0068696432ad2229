//! Creating counterparties and keeping their contact persons (client base, C1).

use chrono::NaiveDate;
use prospekt_domain::FieldError;
use prospekt_domain::Role;
use prospekt_domain::contact::{DecisionRole, Email, Phone};
use prospekt_domain::counterparty::{
    CounterpartyKind, LifecycleStatus, Requisites, Tier, name_key, parse_tags, search_key, tags_column,
};
use prospekt_domain::ids::{ContactId, CounterpartyId, DepartmentId, TerritoryId, UserId};
use prospekt_domain::money::Money;
use prospekt_storage::DbError;
use prospekt_storage::repo::contacts::{self, ContactFields};
use prospekt_storage::repo::counterparties::{self, DuplicateHit, NewCounterparty};
use serde_json::json;

pub use prospekt_storage::repo::contacts::ContactRow;

use crate::audit::{By, diff, record_tx};
use crate::counterparties::CounterpartyRow;
use crate::policy::may_edit_clients;
use crate::{Actor, App, AppError, now};

/// A new counterparty as typed by a user, not yet checked.
#[derive(Debug, Default, Clone)]
pub struct CounterpartyInput {
    pub kind: String,
    pub name: String,
    pub full_name: Option<String>,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub ogrn: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub lead_source: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub owner_id: Option<UserId>,
    pub payment_terms_days: Option<i32>,
    pub credit_limit: Option<String>,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub external_id: Option<String>,
    pub needs: Option<String>,
    pub tags: Vec<String>,
    pub territory_id: Option<TerritoryId>,
}

/// The outcome of a create: the record, and likely duplicates worth a look (same phone or
/// e-mail). An exact INN+KPP match is not a warning but a refusal.
pub struct Created {
    pub row: CounterpartyRow,
    pub warnings: Vec<DuplicateHit>,
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

impl App {
    /// Creates a counterparty. A manager's new client is their own; a head or director may
    /// name another owner. The department follows the owner (or the creator).
    pub async fn create_counterparty(&self, actor: &Actor, input: &CounterpartyInput) -> Result<Created, AppError> {
        if !may_edit_clients(actor.role) {
            return Err(self.deny(actor, "counterparty", None, AppError::Forbidden).await);
        }
        let kind = CounterpartyKind::parse(input.kind.trim())?;
        let name = input.name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "required").into());
        }
        let req = Requisites::parse(kind, input.inn.as_deref(), input.kpp.as_deref(), input.ogrn.as_deref())?;
        let status = opt(&input.status)
            .map(|s| LifecycleStatus::parse(&s))
            .transpose()?
            .unwrap_or(LifecycleStatus::Prospect);
        let tier = opt(&input.tier)
            .map(|s| Tier::parse(&s))
            .transpose()?
            .unwrap_or(Tier::Regular);
        let phone = opt(&input.phone).map(|p| Phone::parse(&p)).transpose()?;
        let email = opt(&input.email).map(|e| Email::parse(&e)).transpose()?;
        let credit_limit = opt(&input.credit_limit)
            .map(|m| Money::parse(&m).map_err(|e| e.on("credit_limit")))
            .transpose()?;
        if credit_limit.is_some_and(Money::is_negative) {
            return Err(FieldError::new("credit_limit", "negative").into());
        }
        let terms = input.payment_terms_days.unwrap_or(0);
        if !(0..=365).contains(&terms) {
            return Err(FieldError::new("payment_terms_days", "out_of_range")
                .with("max", "365")
                .into());
        }
        let owner = match input.owner_id {
            Some(o) if actor.role.is_portfolio_bound() && o != actor.user_id => {
                return Err(self.deny(actor, "counterparty", None, AppError::Forbidden).await);
            }
            Some(o) => Some(o),
            None if actor.role.is_portfolio_bound() => Some(actor.user_id),
            None => None,
        };
        let department = match owner {
            Some(o) => {
                let row = prospekt_storage::repo::users::by_id(self.db(), o.as_uuid())
                    .await?
                    .ok_or_else(|| FieldError::new("owner_id", "unknown_user"))?;
                // A head assigns within the department only.
                if actor.role == Role::HeadOfDepartment && row.department_id != actor.department_id.map(|d| d.as_uuid())
                {
                    return Err(FieldError::new("owner_id", "owner_outside_department").into());
                }
                row.department_id.map(DepartmentId::from_uuid)
            }
            None => actor.department_id,
        };
        let inn = req.inn.as_ref().map(|i| i.to_string());
        let kpp = req.kpp.as_ref().map(|k| k.to_string());
        let typed_city = opt(&input.city);
        let typed_key = name_key(name);
        let found = counterparties::duplicates(
            self.db(),
            inn.as_deref(),
            kpp.as_deref(),
            phone.as_ref().map(Phone::as_str),
            email.as_ref().map(Email::as_str),
            typed_city
                .as_deref()
                .filter(|_| !typed_key.is_empty())
                .map(|c| (typed_key.as_str(), c)),
        )
        .await?;
        if found.iter().any(|d| d.reason == "inn_kpp") {
            return Err(AppError::Duplicate { field: "inn" });
        }
        let id = CounterpartyId::new();
        let full_name = opt(&input.full_name).unwrap_or_else(|| name.to_owned());
        let key = search_key(&[name, inn.as_deref().unwrap_or("")]);
        let (industry, size, lead_source) = (opt(&input.industry), opt(&input.size), opt(&input.lead_source));
        let (legal, actual, city, notes) = (
            opt(&input.legal_address),
            opt(&input.actual_address),
            opt(&input.city),
            opt(&input.notes),
        );
        let external_id = opt(&input.external_id);
        let needs = opt(&input.needs);
        let tags = tags_column(&parse_tags(&input.tags.join(",")));
        let nkey = name_key(name);
        let mut tx = self.db().begin().await?;
        counterparties::insert_tx(
            &mut tx,
            &NewCounterparty {
                id: id.as_uuid(),
                kind: kind.as_str(),
                name,
                full_name: &full_name,
                inn: inn.as_deref(),
                kpp: kpp.as_deref(),
                ogrn: req.ogrn.as_deref(),
                search_key: &key,
                industry: industry.as_deref(),
                size: size.as_deref(),
                territory_id: input.territory_id.map(|t| t.as_uuid()),
                lead_source: lead_source.as_deref(),
                status: status.as_str(),
                tier: tier.as_str(),
                owner_id: owner.map(|o| o.as_uuid()),
                department_id: department.map(|d| d.as_uuid()),
                payment_terms_days: terms,
                credit_limit: credit_limit.map_or(0, Money::kopecks),
                legal_address: legal.as_deref(),
                actual_address: actual.as_deref(),
                city: city.as_deref(),
                phone: phone.as_ref().map(Phone::as_str),
                email: email.as_ref().map(Email::as_str),
                notes: notes.as_deref(),
                external_id: external_id.as_deref(),
                needs: needs.as_deref(),
                tags: tags.as_deref(),
                name_key: &nkey,
                now: now(),
            },
        )
        .await?;
        record_tx(&mut tx, By::actor(actor), "create", "counterparty", Some(id.as_uuid()), json!({
            "kind": [null, kind.as_str()], "name": [null, name], "inn": [null, inn], "kpp": [null, kpp],
            "ogrn": [null, req.ogrn], "status": [null, status.as_str()], "owner_id": [null, owner.map(|o| o.as_uuid())],
        }))
        .await?;
        tx.commit().await?;
        let row = counterparties::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Created { row, warnings: found })
    }

    /// Contacts of a counterparty within the actor's reach.
    pub async fn contacts(&self, actor: &Actor, counterparty: CounterpartyId) -> Result<Vec<ContactRow>, AppError> {
        self.counterparty(actor, counterparty).await?;
        Ok(contacts::for_counterparty(self.db(), counterparty.as_uuid()).await?)
    }

    pub async fn contact(&self, actor: &Actor, id: ContactId) -> Result<ContactRow, AppError> {
        let row = contacts::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        self.counterparty(actor, CounterpartyId::from_uuid(row.counterparty_id))
            .await?;
        Ok(row)
    }

    pub async fn create_contact(
        &self,
        actor: &Actor,
        counterparty: CounterpartyId,
        input: &ContactInput,
    ) -> Result<ContactRow, AppError> {
        let parent = self.counterparty(actor, counterparty).await?;
        if !may_edit_clients(actor.role) {
            return Err(self.deny(actor, "contact", None, AppError::Forbidden).await);
        }
        let checked = input.check()?;
        let id = ContactId::new();
        let access = self.access(actor).await?;
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(parent.owner_id, parent.department_id),
        };
        let mut tx = self.db().begin().await?;
        contacts::insert_tx(&mut tx, id.as_uuid(), counterparty.as_uuid(), &checked.fields(), now()).await?;
        record_tx(
            &mut tx,
            by,
            "create",
            "contact",
            Some(id.as_uuid()),
            checked.audit_created(counterparty),
        )
        .await?;
        tx.commit().await?;
        contacts::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn update_contact(
        &self,
        actor: &Actor,
        id: ContactId,
        version: i64,
        input: &ContactInput,
    ) -> Result<ContactRow, AppError> {
        let current = self.contact(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(actor, "contact", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        if current.version != version {
            return Err(AppError::Conflict {
                current_version: current.version,
                changed_by: self.last_changed_by(id.as_uuid()).await,
            });
        }
        // Consent given earlier keeps its original date unless a new one is typed.
        let mut input = input.clone();
        if input.consent_at.as_deref().is_none_or(|d| d.trim().is_empty()) {
            input.consent_at = current.consent_at.map(|d| d.to_string());
        }
        if input.consent_source.is_none() {
            input.consent_source = current.consent_source.clone();
        }
        let c = input.check()?;
        let parent = counterparties::by_id(self.db(), current.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(parent.owner_id, parent.department_id),
        };
        let changes = diff(&[
            ("full_name", json!(current.full_name), json!(c.full_name)),
            ("position", json!(current.position), json!(c.position)),
            (
                "decision_role",
                json!(current.decision_role),
                json!(c.decision_role.map(|r| r.as_str())),
            ),
            (
                "phone",
                json!(current.phone),
                json!(c.phone.as_ref().map(Phone::as_str)),
            ),
            (
                "email",
                json!(current.email),
                json!(c.email.as_ref().map(Email::as_str)),
            ),
            ("birthday", json!(current.birthday), json!(c.birthday)),
            ("consent_ads", json!(current.consent_ads), json!(c.consent_ads)),
            ("consent_pd", json!(current.consent_pd), json!(c.consent_pd)),
            ("messengers", json!(current.messengers), json!(c.messengers)),
            ("consent_at", json!(current.consent_at), json!(c.consent_at)),
            ("consent_source", json!(current.consent_source), json!(c.consent_source)),
        ]);
        let mut tx = self.db().begin().await?;
        match contacts::update_tx(&mut tx, id.as_uuid(), version, &c.fields(), now()).await {
            Err(DbError::Conflict) => {
                return Err(AppError::Conflict {
                    current_version: version + 1,
                    changed_by: self.last_changed_by(id.as_uuid()).await,
                });
            }
            other => other?,
        }
        record_tx(&mut tx, by, "update", "contact", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        contacts::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub(crate) async fn last_changed_by(&self, id: uuid::Uuid) -> Option<String> {
        prospekt_storage::repo::audit::recent(self.db(), Some(id), 1)
            .await
            .ok()
            .and_then(|rows| rows.into_iter().next())
            .and_then(|r| r.actor_name)
    }
}

/// A contact person as typed.
#[derive(Debug, Default, Clone)]
pub struct ContactInput {
    pub full_name: String,
    pub position: Option<String>,
    pub decision_role: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<String>,
    pub consent_ads: bool,
    pub consent_pd: bool,
    pub messengers: Option<String>,
    /// When consent was given (`YYYY-MM-DD`); today when consent is given without a date.
    pub consent_at: Option<String>,
    /// Where consent was given: "signed form", "website", "call recording", …
    pub consent_source: Option<String>,
}

struct CheckedContact {
    full_name: String,
    position: Option<String>,
    decision_role: Option<DecisionRole>,
    phone: Option<Phone>,
    email: Option<Email>,
    birthday: Option<NaiveDate>,
    consent_ads: bool,
    consent_pd: bool,
    messengers: Option<String>,
    consent_at: Option<NaiveDate>,
    consent_source: Option<String>,
    key: String,
}

impl ContactInput {
    fn check(&self) -> Result<CheckedContact, FieldError> {
        let full_name = self.full_name.trim().to_owned();
        if full_name.is_empty() {
            return Err(FieldError::new("full_name", "required"));
        }
        let birthday = opt(&self.birthday)
            .map(|b| prospekt_domain::absence::parse_date("birthday", &b))
            .transpose()?;
        if birthday.is_some_and(|b| b > now().date_naive()) {
            return Err(FieldError::new("birthday", "in_future"));
        }
        let consent_at = opt(&self.consent_at)
            .map(|d| prospekt_domain::absence::parse_date("consent_at", &d))
            .transpose()?;
        if consent_at.is_some_and(|d| d > now().date_naive()) {
            return Err(FieldError::new("consent_at", "in_future"));
        }
        let consented = self.consent_ads || self.consent_pd;
        Ok(CheckedContact {
            key: search_key(&[&full_name]),
            messengers: opt(&self.messengers),
            consent_at: if consented {
                consent_at.or_else(|| Some(now().date_naive()))
            } else {
                None
            },
            consent_source: if consented { opt(&self.consent_source) } else { None },
            position: opt(&self.position),
            decision_role: opt(&self.decision_role).map(|r| DecisionRole::parse(&r)).transpose()?,
            phone: opt(&self.phone).map(|p| Phone::parse(&p)).transpose()?,
            email: opt(&self.email).map(|e| Email::parse(&e)).transpose()?,
            birthday,
            consent_ads: self.consent_ads,
            consent_pd: self.consent_pd,
            full_name,
        })
    }
}

impl CheckedContact {
    fn fields(&self) -> ContactFields<'_> {
        ContactFields {
            full_name: &self.full_name,
            position: self.position.as_deref(),
            decision_role: self.decision_role.map(|r| r.as_str()),
            phone: self.phone.as_ref().map(Phone::as_str),
            email: self.email.as_ref().map(Email::as_str),
            birthday: self.birthday,
            consent_ads: self.consent_ads,
            consent_pd: self.consent_pd,
            messengers: self.messengers.as_deref(),
            consent_at: self.consent_at,
            consent_source: self.consent_source.as_deref(),
            search_key: &self.key,
        }
    }

    fn audit_created(&self, counterparty: CounterpartyId) -> serde_json::Value {
        json!({ "counterparty_id": [null, counterparty.as_uuid()], "full_name": [null, self.full_name],
                "phone": [null, self.phone.as_ref().map(Phone::as_str)], "email": [null, self.email.as_ref().map(Email::as_str)],
                "consent_ads": [null, self.consent_ads], "consent_pd": [null, self.consent_pd],
                "consent_at": [null, self.consent_at], "consent_source": [null, self.consent_source] })
    }
}

impl App {
    /// The change history of a counterparty, for anyone who can see the counterparty:
    /// the card shows who changed what and when without opening the whole audit log.
    pub async fn counterparty_history(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        limit: i64,
    ) -> Result<Vec<prospekt_storage::repo::audit::AuditRow>, AppError> {
        self.counterparty(actor, id).await?;
        // A merged record's own history stays visible on the card it was merged into.
        let mut ids = vec![id.as_uuid()];
        ids.extend(counterparties::merged_from(self.db(), id.as_uuid()).await?);
        let mut rows = Vec::new();
        for entity_id in ids {
            rows.extend(
                prospekt_storage::repo::audit::list(
                    self.db(),
                    &prospekt_storage::repo::audit::AuditFilter {
                        entity_id: Some(entity_id),
                        limit,
                        ..Default::default()
                    },
                )
                .await?,
            );
        }
        rows.sort_by_key(|r| std::cmp::Reverse((r.at, r.id)));
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(rows)
    }
}
