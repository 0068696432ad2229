//! Commercial offers: built on a deal from catalogue lines at the client's price column, with
//! promotions and the manager's discounts applied by the domain's pricing; approval by the head
//! when a discount is over the manager's limit or a price below the minimum; revisions;
//! sending (PDF by e-mail); the client's answer, and the order draft an accepted offer becomes.
//!
//! Who may do what: an offer is reached through its client, like the deal it belongs to;
//! roles that edit clients build, send and record answers. A request for approval is decided
//! by the head of the client's department or by the commercial director — never by the one
//! who asked.

use chrono::{Duration, NaiveDate};
use prospekt_domain::counterparty::{LifecycleStatus, Tier};
use prospekt_domain::ids::{ApprovalId, DealId, OfferId, OrderId, PriceColumnId, ProductId};
use prospekt_domain::money::Money;
use prospekt_domain::offer::{
    ApprovalState, OfferStatus, approval_after_pricing, check_decidable, check_sendable, check_validity, price_in_mode,
};
use prospekt_domain::pricing::{
    ApprovalReason, ClientSegment, Discount, LineInput, PricedDocument, PricingInput, Quantity, Rounding, VatMode,
    price,
};
use prospekt_domain::vat::{VatCategory, VatRate};
use prospekt_domain::{FieldError, Role};
use prospekt_storage::DbError;
use prospekt_storage::repo::catalog::{self, PricedProductRow};
use prospekt_storage::repo::counterparties::{self, CounterpartyRow};
use prospekt_storage::repo::deals::{self, DealState};
use prospekt_storage::repo::offers::{
    self, ApprovalRow, NewOfferLine, NewOrderLine, OfferHeader, OfferLineRow, OfferRow,
};
use serde_json::json;
use uuid::Uuid;

pub use prospekt_storage::repo::offers::{ApprovalRow as Approval, OfferLineRow as OfferLine, OfferRow as Offer};

use crate::audit::{By, record_tx};
use crate::catalog::{company_today, promotion_of};
use crate::policy::may_edit_clients;
use crate::{Actor, App, AppError, now};

/// How long an offer is valid when no date is given.
pub const DEFAULT_VALIDITY_DAYS: i64 = 14;

/// The most lines one offer may carry.
pub const MAX_LINES: usize = 1_000;

/// One line as typed: a product, a quantity and the manager's own discount.
#[derive(Debug, Clone)]
pub struct OfferLineInput {
    pub product: ProductId,
    pub quantity: Quantity,
    pub discount: Discount,
}

/// An offer's lines and terms as typed.
#[derive(Debug, Clone, Default)]
pub struct OfferInput {
    pub lines: Vec<OfferLineInput>,
    pub valid_until: Option<NaiveDate>,
    pub intro: Option<String>,
    pub vat_mode: Option<VatMode>,
    pub rounding: Option<Rounding>,
    /// Another column than the client's: heads and directors only.
    pub price_column: Option<PriceColumnId>,
}

/// An offer with everything its screen shows.
#[derive(Debug, Clone)]
pub struct OfferView {
    pub offer: OfferRow,
    /// The status as of today (a sent offer past its date reads `expired`).
    pub status: OfferStatus,
    pub approval: ApprovalState,
    pub lines: Vec<OfferLineRow>,
    /// Why the prices need approval (empty when they do not).
    pub reasons: Vec<ApprovalReason>,
    pub approvals: Vec<ApprovalRow>,
    /// Every revision of this offer's number (id, revision, stored status).
    pub revisions: Vec<(Uuid, i32, String)>,
    pub vat_breakdown: Vec<(String, i64, i64)>,
}

/// The client's e-mail answer: recipients, subject and text (a template fills the defaults).
#[derive(Debug, Clone)]
pub struct OfferEmail {
    pub to: Vec<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

/// Our company's requisites, printed on documents (setting `company`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct CompanyProfile {
    pub name: String,
    #[serde(default)]
    pub inn: String,
    #[serde(default)]
    pub kpp: String,
    #[serde(default)]
    pub ogrn: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub bank: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

fn status_of(row: &OfferRow) -> OfferStatus {
    OfferStatus::parse(&row.status).unwrap_or(OfferStatus::Draft)
}

fn approval_of(row: &OfferRow) -> ApprovalState {
    ApprovalState::parse(&row.approval).unwrap_or(ApprovalState::Required)
}

pub(crate) fn may_approve(actor: &Actor, department: Option<Uuid>) -> bool {
    match actor.role {
        Role::CommercialDirector => true,
        Role::HeadOfDepartment => {
            actor.department_id.is_some() && actor.department_id.map(|d| d.as_uuid()) == department
        }
        _ => false,
    }
}

/// The email template's placeholders, filled.
fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .fold(template.to_owned(), |acc, (k, v)| acc.replace(&format!("{{{k}}}"), v))
}

const DEFAULT_SUBJECT: &str = "Коммерческое предложение {number} от {company}";
const DEFAULT_BODY: &str = "Здравствуйте!\n\nНаправляем коммерческое предложение {number} для {client} \
на сумму {total} руб. Предложение действительно до {valid_until}.\n\nС уважением,\n{manager}\n{company}";

/// A priced document ready to store: the domain's result plus the product rows it used.
pub(crate) struct Pricing {
    pub(crate) priced: PricedDocument,
    pub(crate) column: Option<Uuid>,
    vat_mode: VatMode,
    rounding: Rounding,
    date: NaiveDate,
}

impl App {
    /// An offer, or not found when its client is out of reach.
    async fn offer_row(&self, actor: &Actor, id: OfferId) -> Result<OfferRow, AppError> {
        let row = offers::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if access.reaches(row.counterparty_owner_id, row.counterparty_department_id)
            || row.owner_id == Some(actor.user_id.as_uuid())
        {
            Ok(row)
        } else {
            Err(self.deny(actor, "offer", Some(id.as_uuid()), AppError::NotFound).await)
        }
    }

    async fn editable_offer(&self, actor: &Actor, id: OfferId, version: i64) -> Result<OfferRow, AppError> {
        let row = self.offer_row(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self.deny(actor, "offer", Some(id.as_uuid()), AppError::Forbidden).await);
        }
        if row.version != version {
            return Err(self.conflict_of(id.as_uuid(), row.version).await);
        }
        Ok(row)
    }

    /// Prices lines for a client on a day: the client's price column (or another one, for
    /// heads and directors), today's VAT rates, the promotions running, the actor's limit.
    /// `kept`: the column the offer is already priced at (re-pricing a draft, revising), which
    /// stays allowed: it was the client's default or a head's choice when the offer was made.
    pub(crate) async fn price_offer(
        &self,
        actor: &Actor,
        client: &CounterpartyRow,
        input: &OfferInput,
        date: NaiveDate,
        kept: Option<Uuid>,
    ) -> Result<(Pricing, Vec<PricedProductRow>), AppError> {
        if input.lines.is_empty() {
            return Err(FieldError::new("lines", "required").into());
        }
        if input.lines.len() > MAX_LINES {
            return Err(FieldError::new("lines", "too_many")
                .with("max", MAX_LINES.to_string())
                .into());
        }
        let column = match input.price_column.map(|c| c.as_uuid()) {
            Some(c) if Some(c) != client.price_column_id && Some(c) != kept => {
                if !matches!(actor.role, Role::HeadOfDepartment | Role::CommercialDirector) {
                    return Err(FieldError::new("price_column_id", "price_column_not_allowed").into());
                }
                catalog::price_column(self.db(), c)
                    .await?
                    .ok_or_else(|| FieldError::new("price_column_id", "unknown_price_column"))?;
                c
            }
            Some(c) => c,
            None => match client.price_column_id {
                Some(c) => c,
                None => catalog::price_columns(self.db())
                    .await?
                    .first()
                    .map(|c| c.id)
                    .ok_or_else(|| FieldError::new("price_column_id", "no_price_columns"))?,
            },
        };
        let ids: Vec<Uuid> = input.lines.iter().map(|l| l.product.as_uuid()).collect();
        let products = catalog::priced_products(self.db(), &ids, column, date).await?;
        let vat_mode = input.vat_mode.unwrap_or(VatMode::Included);
        let rounding = input.rounding.unwrap_or(Rounding::PerLine);
        let schedule = self.vat_schedule().await?;
        let mut lines = Vec::with_capacity(input.lines.len());
        for (i, l) in input.lines.iter().enumerate() {
            let at = |e: FieldError| e.with("line", (i + 1).to_string());
            let p = products
                .iter()
                .find(|p| p.id == l.product.as_uuid())
                .ok_or_else(|| at(FieldError::new("product_id", "unknown_product")))?;
            if p.archived_at.is_some() {
                return Err(at(FieldError::new("product_id", "product_archived").with("sku", p.sku.clone())).into());
            }
            let list = p
                .price
                .ok_or_else(|| at(FieldError::new("product_id", "no_price_in_column").with("sku", p.sku.clone())))?;
            let category = VatCategory::parse(&p.vat_category).unwrap_or(VatCategory::Standard);
            let vat = schedule.rate(category, date);
            lines.push(LineInput {
                product: l.product,
                group: p.group_name.clone(),
                quantity: l.quantity,
                list_price: price_in_mode(Money::from_kopecks(list), vat, vat_mode),
                min_price: p
                    .min_price
                    .map(|m| price_in_mode(Money::from_kopecks(m), vat, vat_mode)),
                vat,
                manual_discount: l.discount,
            });
        }
        let promotions = catalog::promotions(self.db(), Some(date))
            .await?
            .iter()
            .map(promotion_of)
            .collect::<Result<Vec<_>, _>>()?;
        let limit = self.discount_limit(actor.user_id).await?;
        let segment = ClientSegment {
            tier: Tier::parse(&client.tier).unwrap_or(Tier::Regular),
            status: LifecycleStatus::parse(&client.status).unwrap_or(LifecycleStatus::Prospect),
        };
        let priced = price(&PricingInput {
            date,
            vat_mode,
            rounding,
            client: segment,
            manager_limit: limit,
            lines: &lines,
            promotions: &promotions,
        })?;
        Ok((
            Pricing {
                priced,
                column: Some(column),
                vat_mode,
                rounding,
                date,
            },
            products,
        ))
    }

    fn header<'a>(
        p: &'a Pricing,
        status: OfferStatus,
        approval: ApprovalState,
        valid_until: NaiveDate,
        intro: &'a str,
    ) -> OfferHeader<'a> {
        OfferHeader {
            status: status.as_str(),
            approval: approval.as_str(),
            price_column_id: p.column,
            vat_mode: p.vat_mode.as_str(),
            rounding: p.rounding.as_str(),
            priced_on: p.date,
            valid_until,
            intro,
            total_without_vat: p.priced.total_without_vat.kopecks(),
            total_vat: p.priced.total_vat.kopecks(),
            total_with_vat: p.priced.total_with_vat.kopecks(),
            total_discount: p.priced.total_discount.kopecks(),
            total_bonus: p.priced.total_bonus.kopecks(),
        }
    }

    fn stored_lines(p: &Pricing) -> Vec<NewOfferLine> {
        p.priced
            .lines
            .iter()
            .map(|l| NewOfferLine {
                product_id: l.product.as_uuid(),
                quantity: l.quantity.thousandths(),
                list_price: l.list_price.kopecks(),
                manual_discount: l.manual_discount.basis_points() as i32,
                promotion_id: l.promotion.map(|(id, _)| id.as_uuid()),
                promotion_discount: l.promotion.map_or(0, |(_, d)| d.basis_points() as i32),
                bonus_promotion_id: l.bonus_promotion.map(|(id, _)| id.as_uuid()),
                bonus_rate: l.bonus_promotion.map_or(0, |(_, d)| d.basis_points() as i32),
                unit_price: l.unit_price.kopecks(),
                vat_rate: l.vat.code(),
                amount_without_vat: l.amount_without_vat.kopecks(),
                vat_amount: l.vat_amount.kopecks(),
                amount_with_vat: l.amount_with_vat.kopecks(),
                discount_amount: l.discount_amount.kopecks(),
                bonus: l.bonus.kopecks(),
            })
            .collect()
    }

    fn intro_text(intro: Option<String>, client: &CounterpartyRow) -> Result<String, FieldError> {
        let t = intro
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                format!(
                    "Благодарим за интерес к нашей продукции. По вашему запросу предлагаем {} следующие позиции \
                 на условиях, указанных ниже.",
                    client.name
                )
            });
        if t.chars().count() > 4000 {
            return Err(FieldError::new("intro", "too_long").with("max", "4000"));
        }
        Ok(t)
    }

    /// Builds a new offer on a deal.
    pub async fn create_offer(&self, actor: &Actor, deal: DealId, input: OfferInput) -> Result<OfferView, AppError> {
        let d = self.deal(actor, deal).await?;
        if !may_edit_clients(actor.role) {
            return Err(self
                .deny(actor, "deal", Some(deal.as_uuid()), AppError::Forbidden)
                .await);
        }
        if matches!(d.stage.as_str(), "won" | "lost") {
            return Err(FieldError::new("deal_id", "deal_closed").into());
        }
        let client = counterparties::by_id(self.db(), d.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let today = company_today();
        let valid_until = check_validity(
            input
                .valid_until
                .unwrap_or(today + Duration::days(DEFAULT_VALIDITY_DAYS)),
            today,
        )?;
        let intro = Self::intro_text(input.intro.clone(), &client)?;
        let (pricing, _) = self.price_offer(actor, &client, &input, today, None).await?;
        let approval = approval_after_pricing(pricing.priced.needs_approval());
        let access = self.access(actor).await?;
        let by = By {
            actor: Some(actor.user_id),
            on_behalf_of: access.on_behalf_of(client.owner_id, client.department_id),
        };
        let id = OfferId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let number = format!("КП-{:06}", offers::next_number_tx(&mut tx, "offer").await?);
        let header = Self::header(&pricing, OfferStatus::Draft, approval, valid_until, &intro);
        offers::insert_tx(
            &mut tx,
            id.as_uuid(),
            &number,
            1,
            d.id,
            d.counterparty_id,
            d.owner_id.or(Some(actor.user_id.as_uuid())),
            &header,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        offers::replace_lines_tx(&mut tx, id.as_uuid(), &Self::stored_lines(&pricing)).await?;
        let changes = json!({
            "number": number, "deal_id": d.id, "lines": pricing.priced.lines.len(),
            "total_with_vat": pricing.priced.total_with_vat, "approval": approval, "valid_until": valid_until,
        });
        record_tx(&mut tx, by, "create", "offer", Some(id.as_uuid()), changes).await?;
        tx.commit().await?;
        self.offer(actor, id).await
    }

    /// Re-prices a draft with new lines or terms; any pending approval request is withdrawn.
    pub async fn update_offer(
        &self,
        actor: &Actor,
        id: OfferId,
        version: i64,
        input: OfferInput,
    ) -> Result<OfferView, AppError> {
        let current = self.editable_offer(actor, id, version).await?;
        status_of(&current).check_editable()?;
        let client = counterparties::by_id(self.db(), current.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let today = company_today();
        let valid_until = check_validity(input.valid_until.unwrap_or(current.valid_until), today)?;
        let intro = Self::intro_text(input.intro.clone().or(Some(current.intro.clone())), &client)?;
        let mut input = input;
        if input.vat_mode.is_none() {
            input.vat_mode = VatMode::parse(&current.vat_mode).ok();
        }
        if input.rounding.is_none() {
            input.rounding = Rounding::parse(&current.rounding).ok();
        }
        if input.price_column.is_none() {
            input.price_column = current.price_column_id.map(PriceColumnId::from_uuid);
        }
        let (pricing, _) = self
            .price_offer(actor, &client, &input, today, current.price_column_id)
            .await?;
        let approval = approval_after_pricing(pricing.priced.needs_approval());
        let at = now();
        let mut tx = self.db().begin().await?;
        let header = Self::header(&pricing, OfferStatus::Draft, approval, valid_until, &intro);
        if let Err(DbError::Conflict) = offers::update_tx(&mut tx, id.as_uuid(), version, &header, at).await {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), version + 1).await);
        }
        offers::replace_lines_tx(&mut tx, id.as_uuid(), &Self::stored_lines(&pricing)).await?;
        let withdrawn = offers::withdraw_pending_tx(&mut tx, "offer", id.as_uuid(), at).await?;
        let changes = json!({
            "lines": pricing.priced.lines.len(),
            "total_with_vat": [Money::from_kopecks(current.total_with_vat), pricing.priced.total_with_vat],
            "approval": [current.approval, approval], "valid_until": [current.valid_until, valid_until],
            "approvals_withdrawn": withdrawn,
        });
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "offer",
            Some(id.as_uuid()),
            changes,
        )
        .await?;
        tx.commit().await?;
        self.offer(actor, id).await
    }

    /// Why a stored offer needs approval, from its stored lines against the limit of its manager
    /// and the products' minimum prices (in the offer's VAT mode).
    async fn stored_reasons(&self, row: &OfferRow) -> Result<Vec<ApprovalReason>, AppError> {
        if approval_of(row) == ApprovalState::NotNeeded {
            return Ok(Vec::new());
        }
        let lines = offers::lines(self.db(), row.id).await?;
        // The limit of the offer's manager: the one whose discount it is.
        let limit = match row.owner_id {
            Some(u) => self.discount_limit(prospekt_domain::ids::UserId::from_uuid(u)).await?,
            None => Discount::ZERO,
        };
        let ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
        let column = row.price_column_id.unwrap_or_default();
        let products = catalog::priced_products(self.db(), &ids, column, row.priced_on).await?;
        let mut reasons = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let discount = Discount::from_basis_points(l.manual_discount.max(0) as u32)?;
            if discount > limit {
                reasons.push(ApprovalReason::OverLimit {
                    line: i,
                    discount,
                    limit,
                });
            }
            let vat = VatRate::parse_code(&l.vat_rate).unwrap_or(VatRate::Without);
            let mode = VatMode::parse(&row.vat_mode).unwrap_or(VatMode::Included);
            if let Some(min) = products.iter().find(|p| p.id == l.product_id).and_then(|p| p.min_price) {
                let min = price_in_mode(Money::from_kopecks(min), vat, mode);
                if l.unit_price < min.kopecks() {
                    reasons.push(ApprovalReason::BelowMinimum {
                        line: i,
                        price: Money::from_kopecks(l.unit_price),
                        minimum: min,
                    });
                }
            }
        }
        Ok(reasons)
    }

    /// An offer with its lines, approval requests and revisions.
    pub async fn offer(&self, actor: &Actor, id: OfferId) -> Result<OfferView, AppError> {
        let offer = self.offer_row(actor, id).await?;
        let lines = offers::lines(self.db(), offer.id).await?;
        let approvals = offers::approvals_of(self.db(), "offer", offer.id).await?;
        let revisions = offers::revisions(self.db(), &offer.number)
            .await?
            .into_iter()
            .map(|r| (r.id, r.revision, r.status))
            .collect();
        let reasons = self.stored_reasons(&offer).await?;
        let mut breakdown: Vec<(String, i64, i64)> = Vec::new();
        for l in &lines {
            match breakdown.iter_mut().find(|(r, _, _)| *r == l.vat_rate) {
                Some(b) => {
                    b.1 += l.amount_without_vat;
                    b.2 += l.vat_amount;
                }
                None => breakdown.push((l.vat_rate.clone(), l.amount_without_vat, l.vat_amount)),
            }
        }
        Ok(OfferView {
            status: status_of(&offer).effective(offer.valid_until, company_today()),
            approval: approval_of(&offer),
            offer,
            lines,
            reasons,
            approvals,
            revisions,
            vat_breakdown: breakdown,
        })
    }

    /// The offers of a deal, newest first.
    pub async fn deal_offers(&self, actor: &Actor, deal: DealId) -> Result<Vec<OfferRow>, AppError> {
        self.deal(actor, deal).await?;
        Ok(offers::of_deal(self.db(), deal.as_uuid()).await?)
    }

    /// Asks the head to allow the draft's prices.
    pub async fn request_approval(
        &self,
        actor: &Actor,
        id: OfferId,
        version: i64,
        reason: &str,
    ) -> Result<OfferView, AppError> {
        let current = self.editable_offer(actor, id, version).await?;
        status_of(&current).check_editable()?;
        match approval_of(&current) {
            ApprovalState::Required | ApprovalState::Rejected => {}
            ApprovalState::Pending => return Err(FieldError::new("approval", "approval_already_pending").into()),
            _ => return Err(FieldError::new("approval", "approval_not_needed").into()),
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "required").into());
        }
        if reason.chars().count() > 2000 {
            return Err(FieldError::new("reason", "too_long").with("max", "2000").into());
        }
        let reasons = self.stored_reasons(&current).await?;
        let at = now();
        let approval_id = ApprovalId::new();
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = offers::set_status_tx(
            &mut tx,
            id.as_uuid(),
            version,
            OfferStatus::Draft.as_str(),
            ApprovalState::Pending.as_str(),
            None,
            None,
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), version + 1).await);
        }
        let details = json!({
            "offer_number": current.number, "revision": current.revision,
            "total_with_vat": Money::from_kopecks(current.total_with_vat), "reasons": reasons,
        });
        offers::insert_approval_tx(
            &mut tx,
            approval_id.as_uuid(),
            "offer",
            id.as_uuid(),
            current.counterparty_id,
            current.counterparty_department_id,
            actor.user_id.as_uuid(),
            reason,
            &details.to_string(),
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "request",
            "approval",
            Some(approval_id.as_uuid()),
            json!({ "offer_id": id, "reason": reason, "details": details }),
        )
        .await?;
        tx.commit().await?;
        self.offer(actor, id).await
    }

    /// Approval requests waiting for the actor (heads: their department; the commercial
    /// director: all), or, for anyone else, the ones they asked for.
    pub async fn pending_approvals(&self, actor: &Actor) -> Result<Vec<ApprovalRow>, AppError> {
        Ok(match actor.role {
            Role::CommercialDirector => offers::approvals(self.db(), None, "pending", 200).await?,
            Role::HeadOfDepartment => {
                let d: Vec<Uuid> = actor.department_id.map(|d| d.as_uuid()).into_iter().collect();
                offers::approvals(self.db(), Some(&d), "pending", 200).await?
            }
            _ => {
                let access = self.access(actor).await?;
                offers::approvals(self.db(), None, "pending", 1000)
                    .await?
                    .into_iter()
                    .filter(|a| {
                        a.requested_by == Some(actor.user_id.as_uuid())
                            || access.reaches(a.counterparty_owner_id, a.department_id)
                    })
                    .collect()
            }
        })
    }

    pub async fn approval(&self, actor: &Actor, id: ApprovalId) -> Result<ApprovalRow, AppError> {
        let row = offers::approval(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if access.reaches(row.counterparty_owner_id, row.department_id)
            || row.requested_by == Some(actor.user_id.as_uuid())
        {
            Ok(row)
        } else {
            Err(self
                .deny(actor, "approval", Some(id.as_uuid()), AppError::NotFound)
                .await)
        }
    }

    /// Approves or rejects a request, with a comment (required to reject).
    pub async fn decide_approval(
        &self,
        actor: &Actor,
        id: ApprovalId,
        version: i64,
        approve: bool,
        comment: Option<&str>,
    ) -> Result<ApprovalRow, AppError> {
        let row = self.approval(actor, id).await?;
        let allowed = match row.subject_kind.as_str() {
            "order" | "write_off" => crate::orders::may_decide_credit(actor, row.department_id),
            _ => may_approve(actor, row.department_id),
        };
        if !allowed || row.requested_by == Some(actor.user_id.as_uuid()) {
            return Err(self
                .deny(actor, "approval", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        if row.status != "pending" {
            return Err(FieldError::new("status", "approval_decided")
                .with("status", row.status.clone())
                .into());
        }
        if row.version != version {
            return Err(self.conflict_of(id.as_uuid(), row.version).await);
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if !approve && comment.is_none() {
            return Err(FieldError::new("comment", "required_to_reject").into());
        }
        if comment.is_some_and(|c| c.chars().count() > 2000) {
            return Err(FieldError::new("comment", "too_long").with("max", "2000").into());
        }
        if row.subject_kind != "offer" {
            return self.decide_other_approval(actor, &row, version, approve, comment).await;
        }
        let offer = offers::by_id(self.db(), row.subject_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let state = if approve {
            ApprovalState::Approved
        } else {
            ApprovalState::Rejected
        };
        let at = now();
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = offers::decide_tx(
            &mut tx,
            id.as_uuid(),
            version,
            if approve { "approved" } else { "rejected" },
            actor.user_id.as_uuid(),
            comment,
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), version + 1).await);
        }
        if offers::set_status_tx(
            &mut tx,
            offer.id,
            offer.version,
            &offer.status,
            state.as_str(),
            None,
            None,
            at,
        )
        .await
        .is_err()
        {
            drop(tx);
            return Err(self.conflict_of(offer.id, offer.version + 1).await);
        }
        let by = By::actor(actor);
        record_tx(
            &mut tx,
            by,
            if approve { "approve" } else { "reject" },
            "approval",
            Some(id.as_uuid()),
            json!({ "offer_id": offer.id, "comment": comment }),
        )
        .await?;
        record_tx(
            &mut tx,
            by,
            "update",
            "offer",
            Some(offer.id),
            json!({ "approval": [offer.approval, state] }),
        )
        .await?;
        tx.commit().await?;
        offers::approval(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Sends a draft to the client: by e-mail with the PDF attached when recipients are given,
    /// otherwise only marks it sent (handed over in person). The deal moves to "offer sent"
    /// when it was at an earlier stage.
    pub async fn send_offer(
        &self,
        actor: &Actor,
        id: OfferId,
        version: i64,
        email: Option<OfferEmail>,
    ) -> Result<OfferView, AppError> {
        let current = self.editable_offer(actor, id, version).await?;
        let today = company_today();
        check_sendable(status_of(&current), approval_of(&current), current.valid_until, today)?;
        let mut recipients = Vec::new();
        if let Some(mail) = &email {
            if mail.to.is_empty() {
                return Err(FieldError::new("to", "required").into());
            }
            for to in &mail.to {
                recipients.push(prospekt_domain::contact::Email::parse(to)?.as_str().to_owned());
            }
            let mailer = self.mailer().ok_or(AppError::Unavailable {
                service: "mail",
                reason: "not_configured".into(),
            })?;
            let (file, pdf) = self.render_offer_pdf(&current).await?;
            let company = self.company_profile().await?.0;
            let total = Money::from_kopecks(current.total_with_vat).format_ru();
            let valid = current.valid_until.format("%d.%m.%Y").to_string();
            let pairs = [
                ("number", current.number.as_str()),
                ("client", current.counterparty_name.as_str()),
                ("total", total.as_str()),
                ("valid_until", valid.as_str()),
                ("manager", actor.display_name.as_str()),
                ("company", company.name.as_str()),
            ];
            let (subject_t, body_t) = self.offer_email_template().await?;
            let subject = fill(
                mail.subject
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .unwrap_or(&subject_t),
                &pairs,
            );
            let body = fill(
                mail.body.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or(&body_t),
                &pairs,
            );
            let reply_to = prospekt_storage::repo::users::by_id(self.db(), actor.user_id.as_uuid())
                .await?
                .and_then(|u| u.email);
            mailer
                .send(crate::mail::Outgoing {
                    to: &recipients,
                    reply_to: reply_to.as_deref(),
                    subject: &subject,
                    body: &body,
                    attachment_name: &file,
                    attachment: pdf,
                    content_type: "application/pdf",
                })
                .await?;
        }
        let at = now();
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = offers::set_status_tx(
            &mut tx,
            id.as_uuid(),
            version,
            OfferStatus::Sent.as_str(),
            &current.approval,
            Some(at),
            None,
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), version + 1).await);
        }
        self.advance_deal_tx(
            &mut tx,
            actor,
            current.deal_id,
            prospekt_domain::activity::DealStage::OfferSent,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "send",
            "offer",
            Some(id.as_uuid()),
            json!({ "to": recipients, "by_email": email.is_some() }),
        )
        .await?;
        tx.commit().await?;
        self.offer(actor, id).await
    }

    /// Moves a deal forward to `stage` when it stands earlier (never backwards), in `tx`.
    async fn advance_deal_tx(
        &self,
        tx: &mut prospekt_storage::Tx,
        actor: &Actor,
        deal: Uuid,
        stage: prospekt_domain::activity::DealStage,
    ) -> Result<(), AppError> {
        let Some(d) = deals::by_id(self.db(), deal).await? else {
            return Ok(());
        };
        let from = prospekt_domain::activity::DealStage::parse(&d.stage)
            .unwrap_or(prospekt_domain::activity::DealStage::FirstContact);
        if !from.is_open() || from.rank() >= stage.rank() {
            return Ok(());
        }
        let at = now();
        let state = DealState {
            owner_id: d.owner_id,
            title: &d.title,
            stage: stage.as_str(),
            amount: d.amount,
            probability: crate::deals::default_probability(stage).max(d.probability),
            expected_close: d.expected_close,
            lost_reason: None,
            competitor: d.competitor.as_deref(),
            source_campaign: d.source_campaign.as_deref(),
            needs: d.needs.as_deref(),
            stage_changed_at: Some(at),
            closed_at: None,
        };
        deals::update_tx(tx, d.id, d.version, &state, at).await?;
        deals::insert_stage_change_tx(
            tx,
            d.id,
            Some(&d.stage),
            stage.as_str(),
            Some(actor.user_id.as_uuid()),
            at,
        )
        .await?;
        record_tx(
            tx,
            By::actor(actor),
            "update",
            "deal",
            Some(d.id),
            json!({ "stage": [d.stage, stage] }),
        )
        .await?;
        Ok(())
    }

    /// Makes the next revision of a sent, rejected or expired offer: a draft with the same
    /// lines re-priced today; the earlier revision is superseded.
    pub async fn revise_offer(&self, actor: &Actor, id: OfferId) -> Result<OfferView, AppError> {
        let current = self.offer_row(actor, id).await?;
        if !may_edit_clients(actor.role) {
            return Err(self.deny(actor, "offer", Some(id.as_uuid()), AppError::Forbidden).await);
        }
        let status = status_of(&current).effective(current.valid_until, company_today());
        if !matches!(status, OfferStatus::Sent | OfferStatus::Rejected | OfferStatus::Expired) {
            return Err(FieldError::new("status", "offer_not_revisable")
                .with("status", status.as_str())
                .into());
        }
        let latest = offers::revisions(self.db(), &current.number)
            .await?
            .last()
            .map_or(current.revision, |r| r.revision);
        if latest != current.revision {
            return Err(FieldError::new("revision", "not_the_latest_revision").into());
        }
        let client = counterparties::by_id(self.db(), current.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let lines = offers::lines(self.db(), current.id).await?;
        let input = OfferInput {
            lines: lines
                .iter()
                .map(|l| {
                    Ok(OfferLineInput {
                        product: ProductId::from_uuid(l.product_id),
                        quantity: Quantity::from_thousandths(l.quantity)?,
                        discount: Discount::from_basis_points(l.manual_discount.max(0) as u32)?,
                    })
                })
                .collect::<Result<Vec<_>, FieldError>>()?,
            valid_until: None,
            intro: Some(current.intro.clone()),
            vat_mode: VatMode::parse(&current.vat_mode).ok(),
            rounding: Rounding::parse(&current.rounding).ok(),
            price_column: current.price_column_id.map(PriceColumnId::from_uuid),
        };
        let today = company_today();
        let valid_until = today + Duration::days(DEFAULT_VALIDITY_DAYS);
        let (pricing, _) = self
            .price_offer(actor, &client, &input, today, current.price_column_id)
            .await?;
        let approval = approval_after_pricing(pricing.priced.needs_approval());
        let new_id = OfferId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        let header = Self::header(&pricing, OfferStatus::Draft, approval, valid_until, &current.intro);
        let revision = current.revision + 1;
        match offers::insert_tx(
            &mut tx,
            new_id.as_uuid(),
            &current.number,
            revision,
            current.deal_id,
            current.counterparty_id,
            current.owner_id,
            &header,
            actor.user_id.as_uuid(),
            at,
        )
        .await
        {
            // Someone made this revision a moment ago.
            Err(e) if e.is_unique_violation() => {
                drop(tx);
                return Err(self.conflict_of(id.as_uuid(), current.version).await);
            }
            other => other?,
        }
        offers::replace_lines_tx(&mut tx, new_id.as_uuid(), &Self::stored_lines(&pricing)).await?;
        offers::supersede_tx(&mut tx, &current.number, new_id.as_uuid(), at).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "offer",
            Some(new_id.as_uuid()),
            json!({ "number": current.number, "revision": revision, "previous": current.id,
                    "total_with_vat": pricing.priced.total_with_vat, "approval": approval }),
        )
        .await?;
        tx.commit().await?;
        self.offer(actor, new_id).await
    }

    /// Records the client's answer. Acceptance (only while the offer is valid) makes an order
    /// draft with the offer's lines and prices.
    pub async fn decide_offer(
        &self,
        actor: &Actor,
        id: OfferId,
        version: i64,
        accepted: bool,
        note: Option<&str>,
    ) -> Result<(OfferView, Option<OrderId>), AppError> {
        let current = self.editable_offer(actor, id, version).await?;
        let today = company_today();
        check_decidable(status_of(&current), accepted, current.valid_until, today)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let at = now();
        let status = if accepted {
            OfferStatus::Accepted
        } else {
            OfferStatus::Rejected
        };
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = offers::set_status_tx(
            &mut tx,
            id.as_uuid(),
            version,
            status.as_str(),
            &current.approval,
            None,
            Some(at),
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(id.as_uuid(), version + 1).await);
        }
        let mut order = None;
        if accepted {
            let lines = offers::lines(self.db(), id.as_uuid()).await?;
            let order_id = OrderId::new();
            let number = format!("З-{:06}", offers::next_number_tx(&mut tx, "order").await?);
            let order_lines: Vec<NewOrderLine> = lines
                .iter()
                .map(|l| NewOrderLine {
                    product_id: l.product_id,
                    quantity: l.quantity,
                    price: l.unit_price,
                    discount: l.manual_discount + l.promotion_discount,
                    vat_rate: l.vat_rate.clone(),
                    amount: l.amount_with_vat,
                    vat_amount: l.vat_amount,
                })
                .collect();
            offers::insert_order_draft_tx(
                &mut tx,
                order_id.as_uuid(),
                &number,
                current.counterparty_id,
                current.owner_id,
                id.as_uuid(),
                current.deal_id,
                today,
                current.total_with_vat,
                &order_lines,
                at,
            )
            .await?;
            offers::set_order_tx(&mut tx, id.as_uuid(), order_id.as_uuid()).await?;
            record_tx(
                &mut tx,
                By::actor(actor),
                "create",
                "order",
                Some(order_id.as_uuid()),
                json!({ "number": number, "offer_id": id, "status": "draft",
                        "total": Money::from_kopecks(current.total_with_vat), "lines": order_lines.len() }),
            )
            .await?;
            order = Some(order_id);
        }
        record_tx(
            &mut tx,
            By::actor(actor),
            if accepted { "accept" } else { "reject" },
            "offer",
            Some(id.as_uuid()),
            json!({ "status": [current.status, status], "note": note }),
        )
        .await?;
        tx.commit().await?;
        Ok((self.offer(actor, id).await?, order))
    }

    // --- documents and settings -----------------------------------------------------------

    /// Our requisites (and the stored version; 0 when never set).
    pub async fn company_profile(&self) -> Result<(CompanyProfile, i64), AppError> {
        match offers::setting(self.db(), "company").await? {
            Some((v, version)) => Ok((
                serde_json::from_str(&v).map_err(|e| AppError::Internal(format!("company setting: {e}")))?,
                version,
            )),
            None => Ok((CompanyProfile::default(), 0)),
        }
    }

    /// Sets our requisites: the administrator and the commercial director.
    pub async fn set_company_profile(
        &self,
        actor: &Actor,
        profile: CompanyProfile,
        version: i64,
    ) -> Result<(CompanyProfile, i64), AppError> {
        if !matches!(actor.role, Role::Administrator | Role::CommercialDirector) {
            return Err(self.deny(actor, "settings", None, AppError::Forbidden).await);
        }
        if profile.name.trim().is_empty() {
            return Err(FieldError::new("name", "required").into());
        }
        if !profile.inn.is_empty() {
            prospekt_domain::identifiers::Inn::parse(&profile.inn)?;
        }
        let (before, _) = self.company_profile().await?;
        let value = serde_json::to_string(&profile).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db().begin().await?;
        let new_version = match offers::put_setting_tx(
            &mut tx,
            "company",
            &value,
            version,
            Some(actor.user_id.as_uuid()),
            now(),
        )
        .await
        {
            Err(DbError::Conflict) => {
                drop(tx);
                let (_, v) = self.company_profile().await?;
                return Err(AppError::Conflict {
                    current_version: v,
                    changed_by: None,
                });
            }
            other => other?,
        };
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "settings",
            None,
            json!({ "company": [before, profile] }),
        )
        .await?;
        tx.commit().await?;
        Ok((profile, new_version))
    }

    /// The offer e-mail's subject and text templates (placeholders: {number}, {client},
    /// {total}, {valid_until}, {manager}, {company}).
    pub async fn offer_email_template(&self) -> Result<(String, String), AppError> {
        #[derive(serde::Deserialize)]
        struct T {
            subject: String,
            body: String,
        }
        Ok(match offers::setting(self.db(), "offer_email").await? {
            Some((v, _)) => match serde_json::from_str::<T>(&v) {
                Ok(t) => (t.subject, t.body),
                Err(_) => (DEFAULT_SUBJECT.into(), DEFAULT_BODY.into()),
            },
            None => (DEFAULT_SUBJECT.into(), DEFAULT_BODY.into()),
        })
    }

    /// The offer as a PDF (file name, bytes); audited as an export.
    pub async fn offer_pdf(&self, actor: &Actor, id: OfferId) -> Result<(String, Vec<u8>), AppError> {
        let row = self.offer_row(actor, id).await?;
        let pdf = self.render_offer_pdf(&row).await?;
        self.record(
            By::actor(actor),
            "export",
            "offer",
            Some(id.as_uuid()),
            json!({ "format": "pdf", "number": row.number, "revision": row.revision }),
            None,
        )
        .await?;
        Ok(pdf)
    }
}
