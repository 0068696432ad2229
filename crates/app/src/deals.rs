//! Deals: the pipeline from first contact to won or lost, as a board and a list, with every
//! stage change kept for funnel analytics.
//!
//! A deal is reached through its client's scope; changing one needs a role that edits clients.
//! Losing a deal needs the reason (and names the competitor when there is one).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use prospekt_domain::FieldError;
use prospekt_domain::activity::DealStage;
use prospekt_domain::ids::{CounterpartyId, DealId, UserId};
use prospekt_domain::money::Money;
use prospekt_storage::DbError;
use prospekt_storage::repo::deals::{self, DealState, NewDeal};
use serde_json::json;

pub use prospekt_storage::repo::deals::{DealFilter, DealRow, StageChangeRow};

use crate::audit::{By, diff, record_tx};
use crate::policy::may_edit_clients;
use crate::{Actor, App, AppError, now};

/// The probability a stage suggests when none is given.
pub fn default_probability(stage: DealStage) -> i32 {
    match stage {
        DealStage::FirstContact => 10,
        DealStage::NeedsIdentified => 20,
        DealStage::OfferSent => 40,
        DealStage::Negotiation => 60,
        DealStage::Contract => 80,
        DealStage::Won => 100,
        DealStage::Lost => 0,
    }
}

/// A new deal as typed.
#[derive(Debug, Clone)]
pub struct DealInput {
    pub counterparty: CounterpartyId,
    pub title: String,
    pub stage: Option<DealStage>,
    pub amount: Money,
    pub probability: Option<i32>,
    pub expected_close: Option<NaiveDate>,
    pub source_campaign: Option<String>,
    pub needs: Option<String>,
    pub owner: Option<UserId>,
}

/// Changes to a deal: `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct DealPatch {
    pub title: Option<String>,
    pub stage: Option<DealStage>,
    pub amount: Option<Money>,
    pub probability: Option<i32>,
    pub expected_close: Option<Option<NaiveDate>>,
    pub lost_reason: Option<String>,
    pub competitor: Option<String>,
    pub source_campaign: Option<Option<String>>,
    pub needs: Option<Option<String>>,
    pub owner: Option<UserId>,
}

/// One column of the board: the totals of all its deals and the first of them by expected close.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    pub stage: DealStage,
    /// How many deals the stage holds (more than `deals` shows when it is long).
    pub count: i64,
    pub deals: Vec<DealRow>,
    pub amount: Money,
    /// Σ amount × probability.
    pub weighted: Money,
}

/// How long closed deals stay on the board.
const BOARD_CLOSED_DAYS: i64 = 30;

/// Cards shown per stage; the column's totals count every deal (the list shows them all).
pub const BOARD_CARDS_PER_STAGE: i64 = 50;

fn stage_of(row: &DealRow) -> DealStage {
    DealStage::parse(&row.stage).unwrap_or(DealStage::FirstContact)
}

fn opt_text(value: Option<String>, field: &'static str, max: usize) -> Result<Option<String>, FieldError> {
    let t = value.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if t.as_ref().is_some_and(|s| s.chars().count() > max) {
        return Err(FieldError::new(field, "too_long").with("max", max.to_string()));
    }
    Ok(t)
}

fn check_probability(p: i32) -> Result<i32, FieldError> {
    if (0..=100).contains(&p) {
        Ok(p)
    } else {
        Err(FieldError::new("probability", "out_of_range")
            .with("min", "0")
            .with("max", "100"))
    }
}

fn check_amount(m: Money) -> Result<Money, FieldError> {
    if m.is_negative() {
        Err(FieldError::new("amount", "negative"))
    } else {
        Ok(m)
    }
}

impl App {
    /// A deal, or not found when its client is out of reach.
    pub async fn deal(&self, actor: &Actor, id: DealId) -> Result<DealRow, AppError> {
        let row = deals::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if access.reaches(row.counterparty_owner_id, row.counterparty_department_id)
            || row.owner_id == Some(actor.user_id.as_uuid())
        {
            Ok(row)
        } else {
            Err(self.deny(actor, "deal", Some(id.as_uuid()), AppError::NotFound).await)
        }
    }

    async fn editable_deal(&self, actor: &Actor, id: DealId) -> Result<DealRow, AppError> {
        let row = self.deal(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self.deny(actor, "deal", Some(id.as_uuid()), AppError::Forbidden).await);
        }
        Ok(row)
    }

    pub async fn deal_history(&self, actor: &Actor, id: DealId) -> Result<Vec<StageChangeRow>, AppError> {
        self.deal(actor, id).await?;
        Ok(deals::stage_history(self.db(), id.as_uuid()).await?)
    }

    /// Deals in the actor's scope.
    pub async fn deals(&self, actor: &Actor, filter: DealFilter) -> Result<Vec<DealRow>, AppError> {
        let access = self.access(actor).await?;
        Ok(deals::list(self.db(), &access.scope, &filter).await?)
    }

    /// The board of one manager (the actor by default): open deals by stage, and deals won or
    /// lost in the last 30 days.
    pub async fn deal_board(&self, actor: &Actor, owner: Option<UserId>) -> Result<Vec<BoardColumn>, AppError> {
        let access = self.access(actor).await?;
        let owner = UserId::from_uuid(self.plan_owner(actor, &access, owner).await?.id);
        let since = now() - Duration::days(BOARD_CLOSED_DAYS);
        let (rows, totals) =
            deals::board(self.db(), &access.scope, owner.as_uuid(), since, BOARD_CARDS_PER_STAGE).await?;
        let mut columns: Vec<BoardColumn> = DealStage::ALL
            .iter()
            .map(|s| BoardColumn {
                stage: *s,
                count: 0,
                deals: Vec::new(),
                amount: Money::ZERO,
                weighted: Money::ZERO,
            })
            .collect();
        for t in totals {
            if let Ok(stage) = DealStage::parse(&t.stage) {
                let col = &mut columns[stage as usize];
                col.count = t.count;
                col.amount = Money::from_kopecks(t.amount);
                col.weighted = Money::from_kopecks(t.weighted);
            }
        }
        for row in rows {
            columns[stage_of(&row) as usize].deals.push(row);
        }
        Ok(columns)
    }

    pub async fn create_deal(&self, actor: &Actor, input: DealInput) -> Result<DealRow, AppError> {
        let client = self.counterparty(actor, input.counterparty).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(actor, "counterparty", Some(client.id), AppError::Forbidden)
                .await);
        }
        let access = self.access(actor).await?;
        let owner = self.performer(actor, &access, input.owner).await?;
        let title = opt_text(Some(input.title), "title", 200)?.ok_or_else(|| FieldError::new("title", "required"))?;
        let stage = input.stage.unwrap_or(DealStage::FirstContact);
        if !stage.is_open() {
            return Err(FieldError::new("stage", "deal_must_start_open").into());
        }
        let probability = check_probability(input.probability.unwrap_or_else(|| default_probability(stage)))?;
        let amount = check_amount(input.amount)?;
        let source = opt_text(input.source_campaign, "source_campaign", 200)?;
        let needs = opt_text(input.needs, "needs", 4000)?;
        let id = DealId::new();
        let at = now();
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(client.owner_id, client.department_id),
        };
        let mut tx = self.db().begin().await?;
        let new = NewDeal {
            id: id.as_uuid(),
            counterparty_id: client.id,
            owner_id: Some(owner.as_uuid()),
            title: &title,
            stage: stage.as_str(),
            amount: amount.kopecks(),
            probability,
            expected_close: input.expected_close,
            source_campaign: source.as_deref(),
            needs: needs.as_deref(),
        };
        deals::insert_tx(&mut tx, &new, at).await?;
        deals::insert_stage_change_tx(
            &mut tx,
            id.as_uuid(),
            None,
            stage.as_str(),
            Some(actor.user_id.as_uuid()),
            at,
        )
        .await?;
        let changes = json!({
            "counterparty_id": client.id, "title": title, "stage": stage, "amount": amount,
            "probability": probability, "expected_close": input.expected_close, "source_campaign": source,
            "needs": needs, "owner_id": owner,
        });
        record_tx(&mut tx, by, "create", "deal", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        deals::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)
    }

    /// Edits a deal, moving it between stages when `stage` is given (the move is kept in the
    /// stage history; losing needs a reason).
    pub async fn update_deal(
        &self,
        actor: &Actor,
        id: DealId,
        version: i64,
        patch: DealPatch,
    ) -> Result<DealRow, AppError> {
        let current = self.editable_deal(actor, id).await?;
        if current.version != version {
            return Err(self.conflict_of(id.as_uuid(), current.version).await);
        }
        let access = self.access(actor).await?;
        let from = stage_of(&current);
        let stage = patch.stage.unwrap_or(from);
        let moved = stage != from;
        let title = match patch.title {
            Some(t) => opt_text(Some(t), "title", 200)?.ok_or_else(|| FieldError::new("title", "required"))?,
            None => current.title.clone(),
        };
        let amount = check_amount(patch.amount.unwrap_or(Money::from_kopecks(current.amount)))?;
        let probability = match (patch.probability, moved) {
            (Some(p), _) => check_probability(p)?,
            (None, true) => default_probability(stage),
            (None, false) => current.probability,
        };
        let lost_reason = match stage {
            DealStage::Lost => Some(
                opt_text(patch.lost_reason, "lost_reason", 500)?
                    .or_else(|| current.lost_reason.clone())
                    .ok_or_else(|| FieldError::new("lost_reason", "required_when_lost"))?,
            ),
            _ => None,
        };
        let competitor = opt_text(patch.competitor, "competitor", 200)?.or_else(|| current.competitor.clone());
        let source = match patch.source_campaign {
            Some(s) => opt_text(s, "source_campaign", 200)?,
            None => current.source_campaign.clone(),
        };
        let needs = match patch.needs {
            Some(n) => opt_text(n, "needs", 4000)?,
            None => current.needs.clone(),
        };
        let expected_close = patch.expected_close.unwrap_or(current.expected_close);
        let owner = match patch.owner {
            Some(o) if Some(o.as_uuid()) != current.owner_id => {
                Some(self.performer(actor, &access, Some(o)).await?.as_uuid())
            }
            _ => current.owner_id,
        };
        let at = now();
        let (stage_changed_at, closed_at): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = if moved {
            (Some(at), (!stage.is_open()).then_some(at))
        } else {
            (current.stage_changed_at, current.closed_at)
        };
        let state = DealState {
            owner_id: owner,
            title: &title,
            stage: stage.as_str(),
            amount: amount.kopecks(),
            probability,
            expected_close,
            lost_reason: lost_reason.as_deref(),
            competitor: competitor.as_deref(),
            source_campaign: source.as_deref(),
            needs: needs.as_deref(),
            stage_changed_at,
            closed_at,
        };
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(current.counterparty_owner_id, current.counterparty_department_id),
        };
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = deals::update_tx(&mut tx, id.as_uuid(), version, &state, at).await {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), version + 1).await);
        }
        if moved {
            deals::insert_stage_change_tx(
                &mut tx,
                id.as_uuid(),
                Some(from.as_str()),
                stage.as_str(),
                Some(actor.user_id.as_uuid()),
                at,
            )
            .await?;
        }
        let changes = diff(&[
            ("title", json!(current.title), json!(title)),
            ("stage", json!(current.stage), json!(stage)),
            ("amount", json!(Money::from_kopecks(current.amount)), json!(amount)),
            ("probability", json!(current.probability), json!(probability)),
            ("expected_close", json!(current.expected_close), json!(expected_close)),
            ("lost_reason", json!(current.lost_reason), json!(lost_reason)),
            ("competitor", json!(current.competitor), json!(competitor)),
            ("source_campaign", json!(current.source_campaign), json!(source)),
            ("needs", json!(current.needs), json!(needs)),
            ("owner_id", json!(current.owner_id), json!(owner)),
        ]);
        record_tx(&mut tx, by, "update", "deal", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        deals::by_id(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)
    }
}
