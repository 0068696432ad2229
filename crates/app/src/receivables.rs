//! Receivables: payments and their allocation to invoices, a client's balance and history,
//! aging by client, manager and department, DSO, interest under art. 395 of the Civil Code or
//! the contractual penalty, write-offs with approval, debt collection cases and reconciliation
//! acts.
//!
//! Who may do what: everyone reads the receivables of the clients in their scope. Payments are
//! entered and allocated by the credit controller, sales support and the commercial director.
//! Collection steps are taken by the client's managers, heads, the credit controller and the
//! commercial director. Write-offs are requested by the same people and approved by the head of
//! the client's department, the credit controller or the commercial director — never by the one
//! who asked.

use chrono::{Datelike, Duration, NaiveDate};
use prospekt_domain::allocation::{OpenItem, allocate_explicit, allocate_oldest_first};
use prospekt_domain::calendar::{DeferralKind, claim_suit_date};
use prospekt_domain::ids::{CollectionCaseId, CounterpartyId, InvoiceId, PaymentId, UserId, WriteOffId};
use prospekt_domain::interest::{
    InterestCalc, PenaltyCalc, PenaltyTerms, RatePeriod, Repayment, interest_395, penalty,
};
use prospekt_domain::money::Money;
use prospekt_domain::order::CollectionStage;
use prospekt_domain::receivables::{Aging, CreditTerms, CreditTermsInput, days_past_due, over_limit};
use prospekt_domain::{FieldError, Role};
use prospekt_storage::DbError;
use prospekt_storage::repo::collections::{self as coll, CaseMove, CaseRow, StepRow, WriteOffRow};
use prospekt_storage::repo::ledger::{self, AgingRow, InvoiceRow, NewPayment, PaymentRow, Settlement};
use prospekt_storage::repo::offers::{self as offer_repo, ApprovalRow};
use prospekt_storage::repo::{Scope, counterparties};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, record_tx};
use crate::catalog::company_today;
use crate::{Actor, App, AppError, now};

/// Roles that enter and allocate money received and import bank statements.
pub fn may_handle_payments(role: Role) -> bool {
    matches!(
        role,
        Role::CreditController | Role::SalesSupport | Role::CommercialDirector
    )
}

/// Roles that take collection steps and ask for write-offs.
pub fn may_collect(role: Role) -> bool {
    matches!(
        role,
        Role::Manager
            | Role::KeyAccountManager
            | Role::HeadOfDepartment
            | Role::CreditController
            | Role::CommercialDirector
    )
}

/// Roles that set a client's credit terms (limit, deferral, penalty, claim term): whoever
/// answers for the debt, never the manager who sells against the limit.
pub fn may_set_credit_terms(role: Role) -> bool {
    matches!(
        role,
        Role::CreditController | Role::HeadOfDepartment | Role::CommercialDirector
    )
}

/// A client's credit terms with the record version an edit must name.
#[derive(Debug, Clone, Serialize)]
pub struct CreditTermsView {
    pub counterparty_id: Uuid,
    pub version: i64,
    pub terms: CreditTerms,
    /// Whether the caller may change them.
    pub editable: bool,
}

/// Roles that keep the key-rate table and the working-day calendar.
pub fn may_keep_reference(role: Role) -> bool {
    matches!(role, Role::CreditController | Role::Administrator)
}

/// A client's position as the card shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Balance {
    pub counterparty_id: Uuid,
    /// Everything invoiced and not settled.
    pub receivable: Money,
    pub overdue: Money,
    /// Days past due of the oldest overdue invoice.
    pub max_days_overdue: i64,
    /// Money received and not allocated (a credit balance).
    pub advance: Money,
    /// Receivable minus advance: what the client owes net (negative: we owe them).
    pub net: Money,
    pub credit_limit: Money,
    pub over_limit: Money,
    /// Orders taken and not yet invoiced.
    pub open_orders: Money,
    pub open_invoices: i64,
    pub as_of: NaiveDate,
}

/// A payment as typed.
#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub counterparty: CounterpartyId,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub doc_number: String,
    pub purpose: String,
    /// Explicit allocation; `None` allocates oldest due first.
    pub allocations: Option<Vec<(InvoiceId, Money)>>,
}

/// A payment with where its money went.
#[derive(Debug, Clone)]
pub struct PaymentView {
    pub payment: PaymentRow,
    pub allocations: Vec<ledger::AllocationRow>,
}

/// One row of an aging report, with its buckets.
#[derive(Debug, Clone, Serialize)]
pub struct AgingLine {
    pub id: Option<Uuid>,
    pub name: String,
    pub aging: Aging,
    pub total: Money,
    pub overdue: Money,
    pub invoices: i64,
    pub credit_limit: Money,
    pub over_limit: Money,
}

/// The aging report: totals, and the same split by department, manager and the clients most
/// overdue.
#[derive(Debug, Clone, Serialize)]
pub struct AgingReport {
    pub as_of: NaiveDate,
    pub total: AgingLine,
    pub departments: Vec<AgingLine>,
    pub managers: Vec<AgingLine>,
    pub clients: Vec<AgingLine>,
    /// Days sales outstanding by the countback method (None without sales).
    pub dso: Option<Decimal>,
}

/// Interest on one invoice: art. 395 and, when the client's contract sets one, the penalty.
#[derive(Debug, Clone, Serialize)]
pub struct InvoiceInterest {
    pub invoice_id: Uuid,
    pub number: String,
    pub due_on: NaiveDate,
    pub until: NaiveDate,
    pub debt: Money,
    pub interest: InterestCalc,
    pub penalty: Option<PenaltyCalc>,
}

/// A collection case with its steps.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: CaseRow,
    pub steps: Vec<StepRow>,
}

fn aging_line(r: &AgingRow, fallback: &str) -> AgingLine {
    let aging = Aging {
        not_due: Money::from_kopecks(r.not_due),
        d1_30: Money::from_kopecks(r.d1_30),
        d31_60: Money::from_kopecks(r.d31_60),
        d61_90: Money::from_kopecks(r.d61_90),
        over_90: Money::from_kopecks(r.over_90),
    };
    let total = aging.total();
    AgingLine {
        id: r.key_id,
        name: r.key_name.clone().unwrap_or_else(|| fallback.to_owned()),
        total,
        overdue: aging.overdue(),
        invoices: r.invoices,
        credit_limit: Money::from_kopecks(r.credit_limit),
        over_limit: over_limit(Money::from_kopecks(r.credit_limit), total),
        aging,
    }
}

/// DSO by the countback method: walk back month by month from today, taking each month's sales
/// out of today's receivable until it is used up.
pub fn dso_countback(receivable: i64, months: &[(NaiveDate, i64)], today: NaiveDate) -> Option<Decimal> {
    if receivable <= 0 {
        return Some(Decimal::ZERO);
    }
    let mut left = receivable;
    let mut days = Decimal::ZERO;
    let mut month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?;
    let mut first = true;
    for _ in 0..24 {
        let sales = months.iter().find(|(m, _)| *m == month).map_or(0, |(_, s)| *s);
        let month_days = if first {
            (today - month).num_days() + 1
        } else {
            let next = month.checked_add_months(chrono::Months::new(1))?;
            (next - month).num_days()
        };
        if sales > 0 && left <= sales {
            days += Decimal::from(month_days) * Decimal::from(left) / Decimal::from(sales);
            return Some(days.round_dp(1));
        }
        left -= sales;
        days += Decimal::from(month_days);
        first = false;
        month = month.checked_sub_months(chrono::Months::new(1))?;
    }
    Some(days.round_dp(1))
}

impl App {
    /// A client in the actor's reach (the same rule as the card).
    async fn client_in_scope(&self, actor: &Actor, id: Uuid) -> Result<counterparties::CounterpartyRow, AppError> {
        self.counterparty(actor, CounterpartyId::from(id)).await
    }

    /// A client's balance: debt, overdue part, advance, limit and orders in the pipeline.
    pub async fn balance(&self, actor: &Actor, id: CounterpartyId) -> Result<Balance, AppError> {
        let client = self.client_in_scope(actor, id.as_uuid()).await?;
        self.balance_of(client.id, client.credit_limit).await
    }

    /// A client's credit terms as stored.
    pub async fn credit_terms(&self, actor: &Actor, id: CounterpartyId) -> Result<CreditTermsView, AppError> {
        let client = self.client_in_scope(actor, id.as_uuid()).await?;
        let terms = ledger::terms(self.db(), client.id).await?.ok_or(AppError::NotFound)?;
        Ok(CreditTermsView {
            counterparty_id: client.id,
            version: client.version,
            terms: terms_of(&terms),
            editable: may_set_credit_terms(actor.role),
        })
    }

    /// Sets a client's credit terms if the record is still at `version`; audited with what
    /// changed.
    pub async fn set_credit_terms(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        version: i64,
        input: &CreditTermsInput<'_>,
    ) -> Result<CreditTermsView, AppError> {
        let client = self.client_in_scope(actor, id.as_uuid()).await?;
        if !may_set_credit_terms(actor.role) {
            return Err(self
                .deny(actor, "counterparty", Some(client.id), AppError::Forbidden)
                .await);
        }
        let terms = CreditTerms::parse(input)?;
        if client.version != version {
            return Err(self.version_conflict(id, client.version).await);
        }
        let before = ledger::terms(self.db(), client.id).await?.ok_or(AppError::NotFound)?;
        let after = ledger::Terms {
            credit_limit: terms.credit_limit.kopecks(),
            payment_terms_days: i32::from(terms.payment_terms_days),
            deferral_kind: terms.deferral.as_str().to_owned(),
            penalty_daily_ppm: terms.penalty.map(|p| p.daily_ppm as i32),
            penalty_cap_bp: terms.penalty.and_then(|p| p.cap_bp).map(|c| c as i32),
            claim_term_days: i32::from(terms.claim_term_days),
        };
        let changes = crate::audit::diff(&[
            ("credit_limit", json!(before.credit_limit), json!(after.credit_limit)),
            (
                "payment_terms_days",
                json!(before.payment_terms_days),
                json!(after.payment_terms_days),
            ),
            ("deferral_kind", json!(before.deferral_kind), json!(after.deferral_kind)),
            (
                "penalty_daily_ppm",
                json!(before.penalty_daily_ppm),
                json!(after.penalty_daily_ppm),
            ),
            (
                "penalty_cap_bp",
                json!(before.penalty_cap_bp),
                json!(after.penalty_cap_bp),
            ),
            (
                "claim_term_days",
                json!(before.claim_term_days),
                json!(after.claim_term_days),
            ),
        ]);
        let mut tx = self.db().begin().await?;
        let next = match ledger::set_terms_tx(&mut tx, client.id, version, &after, now()).await {
            Ok(v) => v,
            Err(DbError::Conflict) => {
                drop(tx);
                let latest = counterparties::by_id(self.db(), client.id)
                    .await?
                    .map_or(version, |r| r.version);
                return Err(self.version_conflict(id, latest).await);
            }
            Err(e) => return Err(e.into()),
        };
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "counterparty",
            Some(client.id),
            changes,
        )
        .await?;
        tx.commit().await?;
        Ok(CreditTermsView {
            counterparty_id: client.id,
            version: next,
            terms: terms_of(&after),
            editable: true,
        })
    }

    pub(crate) async fn balance_of(&self, id: Uuid, credit_limit: i64) -> Result<Balance, AppError> {
        let today = company_today();
        let db = self.db();
        let debt = ledger::debt(db, id, today).await?;
        let advance = ledger::advance(db, id).await?;
        let open_orders = ledger::open_orders(db, id).await?;
        Ok(Balance {
            counterparty_id: id,
            receivable: Money::from_kopecks(debt.receivable),
            overdue: Money::from_kopecks(debt.overdue),
            max_days_overdue: debt.oldest_overdue.map_or(0, |d| days_past_due(d, today)),
            advance: Money::from_kopecks(advance),
            net: Money::from_kopecks(debt.receivable - advance),
            credit_limit: Money::from_kopecks(credit_limit),
            over_limit: over_limit(Money::from_kopecks(credit_limit), Money::from_kopecks(debt.receivable)),
            open_orders: Money::from_kopecks(open_orders),
            open_invoices: debt.open_invoices,
            as_of: today,
        })
    }

    /// A client's invoices (open only, or all) and payments, newest first.
    pub async fn client_invoices(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<InvoiceRow>, AppError> {
        self.client_in_scope(actor, id.as_uuid()).await?;
        Ok(ledger::invoices_of(self.db(), id.as_uuid(), open_only, limit.clamp(1, 1000)).await?)
    }

    pub async fn client_payments(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, AppError> {
        self.client_in_scope(actor, id.as_uuid()).await?;
        Ok(ledger::payments_of(self.db(), id.as_uuid(), limit.clamp(1, 1000)).await?)
    }

    /// Open invoices in the actor's scope (optionally one client's), most overdue first.
    pub async fn open_invoices(
        &self,
        actor: &Actor,
        counterparty: Option<CounterpartyId>,
        limit: i64,
    ) -> Result<Vec<InvoiceRow>, AppError> {
        let access = self.access(actor).await?;
        Ok(ledger::open_invoices(
            self.db(),
            &access.scope,
            counterparty.map(|c| c.as_uuid()),
            limit.clamp(1, 1000),
        )
        .await?)
    }

    pub async fn invoice(&self, actor: &Actor, id: InvoiceId) -> Result<InvoiceRow, AppError> {
        let inv = ledger::invoice(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if access.reaches(inv.counterparty_owner_id, inv.counterparty_department_id) {
            Ok(inv)
        } else {
            Err(self.deny(actor, "invoice", Some(inv.id), AppError::NotFound).await)
        }
    }

    pub async fn invoice_payments(&self, actor: &Actor, id: InvoiceId) -> Result<Vec<ledger::AllocationRow>, AppError> {
        self.invoice(actor, id).await?;
        Ok(ledger::allocations_of_invoice(self.db(), id.as_uuid()).await?)
    }

    /// Records money received from a client and allocates it (explicitly, or oldest due first);
    /// what is left stays as the client's advance.
    pub async fn record_payment(&self, actor: &Actor, input: PaymentInput) -> Result<PaymentView, AppError> {
        if !may_handle_payments(actor.role) {
            return Err(self.deny(actor, "payment", None, AppError::Forbidden).await);
        }
        let client = self.client_in_scope(actor, input.counterparty.as_uuid()).await?;
        if input.amount.kopecks() <= 0 {
            return Err(FieldError::new("amount", "must_be_positive").into());
        }
        if input.paid_on > company_today() {
            return Err(FieldError::new("paid_on", "date_in_future").into());
        }
        let doc = input.doc_number.trim();
        if doc.is_empty() {
            return Err(FieldError::new("doc_number", "required").into());
        }
        if doc.chars().count() > 50 || input.purpose.chars().count() > 1000 {
            return Err(FieldError::new(
                if doc.chars().count() > 50 {
                    "doc_number"
                } else {
                    "purpose"
                },
                "too_long",
            )
            .into());
        }
        let id = PaymentId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        ledger::insert_payment_tx(
            &mut tx,
            &NewPayment {
                id: id.as_uuid(),
                counterparty_id: client.id,
                paid_on: input.paid_on,
                amount: input.amount.kopecks(),
                doc_number: doc,
                purpose: input.purpose.trim(),
                source: "manual",
                payer_inn: client.inn.as_deref(),
                created_by: Some(actor.user_id.as_uuid()),
            },
            at,
        )
        .await?;
        let allocated = self
            .allocate_tx(
                &mut tx,
                actor,
                id.as_uuid(),
                client.id,
                input.amount,
                input.allocations.as_deref(),
            )
            .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "payment",
            Some(id.as_uuid()),
            json!({ "counterparty_id": client.id, "amount": input.amount, "paid_on": input.paid_on,
                    "doc_number": doc, "allocated": allocated }),
        )
        .await?;
        tx.commit().await?;
        self.payment(actor, id).await
    }

    /// Allocates up to `amount` of a payment inside the caller's transaction; returns the
    /// allocation lines. Orders whose invoices got paid move on.
    pub(crate) async fn allocate_tx(
        &self,
        tx: &mut prospekt_storage::Tx,
        actor: &Actor,
        payment: Uuid,
        counterparty: Uuid,
        amount: Money,
        explicit: Option<&[(InvoiceId, Money)]>,
    ) -> Result<Vec<(Uuid, Money)>, AppError> {
        let open = ledger::open_items_tx(tx, counterparty).await?;
        let items: Vec<OpenItem> = open
            .iter()
            .map(|o| OpenItem {
                id: o.id,
                due_on: o.due_on,
                issued_on: o.issued_on,
                open: Money::from_kopecks(o.open),
            })
            .collect();
        let plan = match explicit {
            Some(req) => {
                let req: Vec<(Uuid, Money)> = req.iter().map(|(i, m)| (i.as_uuid(), *m)).collect();
                allocate_explicit(amount, &req, &items)?
            }
            None => allocate_oldest_first(amount, &items),
        };
        let at = now();
        let mut orders = Vec::new();
        for (invoice, m) in &plan.lines {
            match ledger::allocate_tx(tx, payment, *invoice, m.kopecks(), Some(actor.user_id.as_uuid()), at).await {
                Err(DbError::Conflict) => return Err(FieldError::new("allocations", "allocation_conflict").into()),
                r => r?,
            }
            if let Some(inv) = ledger::invoice_tx(tx, *invoice).await?
                && let Some(o) = inv.order_id
                && !orders.contains(&o)
            {
                orders.push(o);
            }
        }
        for o in orders {
            self.refresh_order_tx(tx, o, at).await?;
        }
        Ok(plan.lines)
    }

    pub async fn payment(&self, actor: &Actor, id: PaymentId) -> Result<PaymentView, AppError> {
        let p = ledger::payment(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if !access.reaches(p.counterparty_owner_id, p.counterparty_department_id) {
            return Err(self.deny(actor, "payment", Some(p.id), AppError::NotFound).await);
        }
        let allocations = ledger::allocations_of_payment(self.db(), p.id).await?;
        Ok(PaymentView {
            payment: p,
            allocations,
        })
    }

    /// Allocates what is left of a payment: explicitly, or oldest due first.
    pub async fn allocate_payment(
        &self,
        actor: &Actor,
        id: PaymentId,
        version: i64,
        explicit: Option<Vec<(InvoiceId, Money)>>,
    ) -> Result<PaymentView, AppError> {
        let view = self.payment(actor, id).await?;
        if !may_handle_payments(actor.role) {
            return Err(self
                .deny(actor, "payment", Some(view.payment.id), AppError::Forbidden)
                .await);
        }
        if view.payment.version != version {
            return Err(self.conflict_of(view.payment.id, view.payment.version).await);
        }
        let free = view.payment.amount - view.payment.allocated;
        if free <= 0 {
            return Err(FieldError::new("allocations", "payment_fully_allocated").into());
        }
        let mut tx = self.db().begin().await?;
        // The version is checked again under the write lock: a concurrent allocation of the same
        // version that committed first makes this one a conflict.
        match ledger::claim_payment_tx(&mut tx, view.payment.id, version).await {
            Err(DbError::Conflict) => {
                drop(tx);
                return Err(self.conflict_of(view.payment.id, version + 1).await);
            }
            r => r?,
        }
        let lines = self
            .allocate_tx(
                &mut tx,
                actor,
                view.payment.id,
                view.payment.counterparty_id,
                Money::from_kopecks(free),
                explicit.as_deref(),
            )
            .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "allocate",
            "payment",
            Some(view.payment.id),
            json!({ "allocated": lines }),
        )
        .await?;
        tx.commit().await?;
        self.payment(actor, id).await
    }

    /// The aging report in the actor's scope, or of one manager's clients.
    pub async fn aging_report(
        &self,
        actor: &Actor,
        manager: Option<UserId>,
        clients: i64,
    ) -> Result<AgingReport, AppError> {
        let access = self.access(actor).await?;
        let today = company_today();
        let db = self.db();
        let owner = manager.map(|m| m.as_uuid());
        let scope = &access.scope;
        let ru = actor.locale != "en";
        let none = if ru { "Без менеджера" } else { "No manager" };
        // One scan gives every (manager, department) pair; managers and departments are sums of them.
        // The three reads are independent: run them side by side (two cores, two connections).
        let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        let recent_from = this_month - chrono::Months::new(2);
        let (groups, client_rows, recent) = tokio::try_join!(
            ledger::aging_groups(db, scope, owner, today),
            ledger::aging_clients(db, scope, owner, today, clients.clamp(1, 1000)),
            ledger::monthly_sales(db, scope, owner, None, recent_from, None),
        )?;
        let mut total = Aging::default();
        let mut invoices = 0;
        let mut by_owner: Vec<AgingRow> = Vec::new();
        let mut by_department: Vec<AgingRow> = Vec::new();
        let add = |list: &mut Vec<AgingRow>, key: Option<Uuid>, r: &AgingRow| {
            let row = match list.iter_mut().find(|x| x.key_id == key) {
                Some(x) => x,
                None => {
                    list.push(AgingRow {
                        key_id: key,
                        ..AgingRow::default()
                    });
                    list.last_mut().expect("just pushed")
                }
            };
            row.not_due += r.not_due;
            row.d1_30 += r.d1_30;
            row.d31_60 += r.d31_60;
            row.d61_90 += r.d61_90;
            row.over_90 += r.over_90;
            row.invoices += r.invoices;
        };
        for g in &groups {
            add(&mut by_owner, g.key_id, g);
            add(&mut by_department, g.department_id, g);
        }
        let users: Vec<Uuid> = by_owner.iter().filter_map(|r| r.key_id).collect();
        let depts: Vec<Uuid> = by_department.iter().filter_map(|r| r.key_id).collect();
        let names = ledger::names(db, &users, &depts).await?;
        let name_of = |id: Option<Uuid>| id.and_then(|i| names.iter().find(|(k, _)| *k == i).map(|(_, n)| n.clone()));
        let mut managers: Vec<AgingLine> = by_owner
            .iter_mut()
            .map(|r| {
                r.key_name = name_of(r.key_id);
                aging_line(r, none)
            })
            .collect();
        for m in &managers {
            total.merge(&m.aging);
            invoices += m.invoices;
        }
        managers.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(b.total.cmp(&a.total)));
        let departments = if owner.is_some() {
            Vec::new()
        } else {
            let mut d: Vec<AgingLine> = by_department
                .iter_mut()
                .map(|r| {
                    r.key_name = name_of(r.key_id);
                    aging_line(r, if ru { "Без отдела" } else { "No department" })
                })
                .collect();
            d.sort_by_key(|b| std::cmp::Reverse(b.overdue));
            d
        };
        let clients: Vec<AgingLine> = client_rows.iter().map(|r| aging_line(r, "")).collect();
        let months = self
            .older_sales_if_needed(scope, owner, None, today, recent, total.total().kopecks())
            .await?;
        let tsum = total.total();
        Ok(AgingReport {
            as_of: today,
            dso: dso_countback(tsum.kopecks(), &months, today),
            total: AgingLine {
                id: None,
                name: if ru { "Итого".into() } else { "Total".into() },
                total: tsum,
                overdue: total.overdue(),
                invoices,
                credit_limit: Money::ZERO,
                over_limit: Money::ZERO,
                aging: total,
            },
            departments,
            managers,
            clients,
        })
    }

    /// `recent` (the last three months' sales) extended by the nine months before them when
    /// they do not cover the receivable.
    async fn older_sales_if_needed(
        &self,
        scope: &Scope,
        owner: Option<Uuid>,
        client: Option<Uuid>,
        today: NaiveDate,
        mut recent: Vec<(NaiveDate, i64)>,
        receivable: i64,
    ) -> Result<Vec<(NaiveDate, i64)>, AppError> {
        if recent.iter().map(|(_, s)| *s).sum::<i64>() >= receivable {
            return Ok(recent);
        }
        let month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
        let recent_from = month - chrono::Months::new(2);
        let mut months = ledger::monthly_sales(
            self.db(),
            scope,
            owner,
            client,
            month - chrono::Months::new(11),
            Some(recent_from),
        )
        .await?;
        months.append(&mut recent);
        Ok(months)
    }

    /// The key-rate table as stored (seeded from the domain's table on first start).
    pub async fn key_rates(&self) -> Result<Vec<RatePeriod>, AppError> {
        Ok(coll::key_rates(self.db())
            .await?
            .into_iter()
            .map(|(from, bp)| RatePeriod {
                from,
                rate_bp: bp.max(0) as u32,
            })
            .collect())
    }

    /// Replaces the key-rate table (credit controller, administrator).
    pub async fn set_key_rates(&self, actor: &Actor, rows: Vec<RatePeriod>) -> Result<Vec<RatePeriod>, AppError> {
        if !may_keep_reference(actor.role) {
            return Err(self.deny(actor, "key_rates", None, AppError::Forbidden).await);
        }
        if rows.is_empty() {
            return Err(FieldError::new("rates", "required").into());
        }
        let mut rows = rows;
        rows.sort_by_key(|r| r.from);
        if rows.windows(2).any(|w| w[0].from == w[1].from) {
            return Err(FieldError::new("rates", "duplicate_date").into());
        }
        if rows.iter().any(|r| r.rate_bp > 10_000) {
            return Err(FieldError::new("rates", "rate_out_of_range").into());
        }
        let mut tx = self.db().begin().await?;
        let stored: Vec<(NaiveDate, i32)> = rows.iter().map(|r| (r.from, r.rate_bp as i32)).collect();
        coll::replace_key_rates_tx(&mut tx, &stored).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "key_rates",
            None,
            json!({ "rows": rows.len() }),
        )
        .await?;
        tx.commit().await?;
        self.key_rates().await
    }

    /// Sets days of the working-day calendar.
    pub async fn set_calendar_days(&self, actor: &Actor, days: Vec<(NaiveDate, bool)>) -> Result<(), AppError> {
        if !may_keep_reference(actor.role) {
            return Err(self.deny(actor, "work_calendar", None, AppError::Forbidden).await);
        }
        let mut tx = self.db().begin().await?;
        coll::put_calendar_tx(&mut tx, &days).await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "work_calendar",
            None,
            json!({ "days": days }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Interest on an invoice up to `until` (default today): art. 395 by the key-rate periods,
    /// and the contractual penalty when the client's terms set one.
    pub async fn invoice_interest(
        &self,
        actor: &Actor,
        id: InvoiceId,
        until: Option<NaiveDate>,
    ) -> Result<InvoiceInterest, AppError> {
        let inv = self.invoice(actor, id).await?;
        let until = until.unwrap_or_else(company_today);
        if until < inv.issued_on {
            return Err(FieldError::new("until", "before_invoice").into());
        }
        let payments = ledger::allocations_of_invoice(self.db(), inv.id).await?;
        let repayments: Vec<Repayment> = payments
            .iter()
            .map(|a| Repayment {
                on: a.paid_on,
                amount: Money::from_kopecks(a.amount),
            })
            .collect();
        let debt = Money::from_kopecks(inv.total - inv.credited - inv.written_off);
        let rates = self.key_rates().await?;
        let interest = interest_395(debt, inv.due_on, &repayments, until, &rates, &[]);
        let terms = ledger::terms(self.db(), inv.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let penalty = terms.penalty_daily_ppm.filter(|p| *p > 0).map(|ppm| {
            penalty(
                debt,
                inv.due_on,
                &repayments,
                until,
                PenaltyTerms {
                    daily_ppm: ppm as u32,
                    cap_bp: terms.penalty_cap_bp.map(|c| c.max(0) as u32),
                },
            )
        });
        Ok(InvoiceInterest {
            invoice_id: inv.id,
            number: inv.number,
            due_on: inv.due_on,
            until,
            debt,
            interest,
            penalty,
        })
    }

    // --- write-offs -------------------------------------------------------------------------

    /// Asks to write off (part of) an invoice's open amount as bad debt.
    pub async fn request_write_off(
        &self,
        actor: &Actor,
        invoice: InvoiceId,
        amount: Money,
        reason: &str,
    ) -> Result<WriteOffRow, AppError> {
        let inv = self.invoice(actor, invoice).await?;
        if !may_collect(actor.role) {
            return Err(self.deny(actor, "invoice", Some(inv.id), AppError::Forbidden).await);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "required").into());
        }
        if amount.kopecks() <= 0 {
            return Err(FieldError::new("amount", "must_be_positive").into());
        }
        if amount.kopecks() > inv.open() {
            return Err(FieldError::new("amount", "over_open_amount")
                .with("open", Money::from_kopecks(inv.open()).to_string())
                .into());
        }
        let id = WriteOffId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        coll::insert_write_off_tx(
            &mut tx,
            id.as_uuid(),
            inv.id,
            inv.counterparty_id,
            amount.kopecks(),
            reason,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        offer_repo::insert_approval_tx(
            &mut tx,
            Uuid::now_v7(),
            "write_off",
            id.as_uuid(),
            inv.counterparty_id,
            inv.counterparty_department_id,
            actor.user_id.as_uuid(),
            "write_off",
            &json!({ "invoice": inv.number, "amount": amount, "reason": reason }).to_string(),
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "request",
            "write_off",
            Some(id.as_uuid()),
            json!({ "invoice_id": inv.id, "amount": amount, "reason": reason }),
        )
        .await?;
        tx.commit().await?;
        coll::write_off(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Decides an approval that is not an offer's: an order held by the credit check, a write-off.
    pub(crate) async fn decide_other_approval(
        &self,
        actor: &Actor,
        row: &ApprovalRow,
        version: i64,
        approve: bool,
        comment: Option<&str>,
    ) -> Result<ApprovalRow, AppError> {
        let at = now();
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = offer_repo::decide_tx(
            &mut tx,
            row.id,
            version,
            if approve { "approved" } else { "rejected" },
            actor.user_id.as_uuid(),
            comment,
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(row.id, version + 1).await);
        }
        let by = By::actor(actor);
        match row.subject_kind.as_str() {
            "order" => {
                let (order, from, to) = self.decide_credit_tx(&mut tx, row.subject_id, approve, at).await?;
                record_tx(
                    &mut tx,
                    by,
                    "update",
                    "order",
                    Some(order),
                    json!({ "status": [from, to], "credit_decision": approve }),
                )
                .await?;
            }
            "write_off" => {
                let w = coll::write_off(self.db(), row.subject_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                match coll::decide_write_off_tx(
                    &mut tx,
                    w.id,
                    if approve { "approved" } else { "rejected" },
                    actor.user_id.as_uuid(),
                    at,
                )
                .await
                {
                    Err(DbError::Conflict) => return Err(FieldError::new("status", "approval_decided").into()),
                    r => r?,
                }
                if approve {
                    match ledger::settle_tx(&mut tx, w.invoice_id, Settlement::WrittenOff, w.amount).await {
                        Err(DbError::Conflict) => return Err(FieldError::new("amount", "over_open_amount").into()),
                        r => r?,
                    }
                    if let Some(inv) = ledger::invoice_tx(&mut tx, w.invoice_id).await?
                        && let Some(o) = inv.order_id
                    {
                        self.refresh_order_tx(&mut tx, o, at).await?;
                    }
                }
                record_tx(
                    &mut tx,
                    by,
                    if approve { "approve" } else { "reject" },
                    "write_off",
                    Some(w.id),
                    json!({ "invoice_id": w.invoice_id, "amount": Money::from_kopecks(w.amount) }),
                )
                .await?;
            }
            _ => return Err(AppError::NotFound),
        }
        record_tx(
            &mut tx,
            by,
            if approve { "approve" } else { "reject" },
            "approval",
            Some(row.id),
            json!({ "subject_kind": row.subject_kind, "subject_id": row.subject_id, "comment": comment }),
        )
        .await?;
        tx.commit().await?;
        offer_repo::approval(self.db(), row.id).await?.ok_or(AppError::NotFound)
    }

    // --- collections ------------------------------------------------------------------------

    /// Opens a collection case on a client with overdue debt, starting with a reminder task.
    pub async fn open_case(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        assignee: Option<UserId>,
    ) -> Result<CaseView, AppError> {
        let client = self.client_in_scope(actor, id.as_uuid()).await?;
        if !may_collect(actor.role) {
            return Err(self.deny(actor, "collection_case", None, AppError::Forbidden).await);
        }
        let today = company_today();
        let debt = ledger::debt(self.db(), client.id, today).await?;
        if debt.overdue <= 0 {
            return Err(FieldError::new("counterparty_id", "no_overdue_debt").into());
        }
        if coll::cases_of(self.db(), client.id)
            .await?
            .iter()
            .any(|c| c.closed_at.is_none())
        {
            return Err(FieldError::new("counterparty_id", "case_already_open").into());
        }
        let assignee = assignee
            .map(|u| u.as_uuid())
            .or(client.owner_id)
            .unwrap_or(actor.user_id.as_uuid());
        let case = CollectionCaseId::new();
        let at = now();
        let mut tx = self.db().begin().await?;
        coll::insert_case_tx(
            &mut tx,
            case.as_uuid(),
            client.id,
            CollectionStage::Reminder.as_str(),
            Some(assignee),
            debt.overdue,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        let task = self
            .collection_task_tx(
                &mut tx,
                client.id,
                assignee,
                CollectionStage::Reminder,
                debt.overdue,
                None,
            )
            .await?;
        coll::insert_step_tx(
            &mut tx,
            case.as_uuid(),
            CollectionStage::Reminder.as_str(),
            "",
            Some(task),
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "create",
            "collection_case",
            Some(case.as_uuid()),
            json!({ "counterparty_id": client.id, "overdue": Money::from_kopecks(debt.overdue), "assignee": assignee }),
        )
        .await?;
        tx.commit().await?;
        self.case(actor, case).await
    }

    async fn collection_task_tx(
        &self,
        tx: &mut prospekt_storage::Tx,
        client: Uuid,
        assignee: Uuid,
        stage: CollectionStage,
        debt: i64,
        due: Option<NaiveDate>,
    ) -> Result<Uuid, AppError> {
        let what = match stage {
            CollectionStage::Reminder => "Напомнить клиенту о просроченной задолженности",
            CollectionStage::Letter => "Направить письмо о погашении задолженности",
            CollectionStage::Claim => "Направить претензию (досудебный порядок)",
            CollectionStage::Court => "Подготовить иск в арбитражный суд",
            CollectionStage::Closed => "Закрыть дело о взыскании",
        };
        let subject = format!("{what}: {} руб.", Money::from_kopecks(debt).format_ru());
        let id = Uuid::now_v7();
        let day = due.unwrap_or_else(company_today);
        let planned = day.and_hms_opt(7, 0, 0).map(|d| d.and_utc()).unwrap_or_else(now);
        coll::insert_task_tx(tx, id, client, Some(assignee), &subject, planned, now()).await?;
        Ok(id)
    }

    pub async fn case(&self, actor: &Actor, id: CollectionCaseId) -> Result<CaseView, AppError> {
        let case = coll::case(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)?;
        let access = self.access(actor).await?;
        if !access.reaches(case.counterparty_owner_id, case.counterparty_department_id) {
            return Err(self
                .deny(actor, "collection_case", Some(case.id), AppError::NotFound)
                .await);
        }
        let steps = coll::steps(self.db(), case.id).await?;
        Ok(CaseView { case, steps })
    }

    pub async fn open_cases(&self, actor: &Actor) -> Result<Vec<CaseRow>, AppError> {
        let access = self.access(actor).await?;
        Ok(coll::open_cases(self.db(), &access.scope, 500).await?)
    }

    pub async fn client_cases(&self, actor: &Actor, id: CounterpartyId) -> Result<Vec<CaseRow>, AppError> {
        self.client_in_scope(actor, id.as_uuid()).await?;
        Ok(coll::cases_of(self.db(), id.as_uuid()).await?)
    }

    /// Moves a case one step on (or closes it). A claim records its number and sending date; the
    /// date from which a suit may be filed follows the client's pre-trial term (30 days unless
    /// the contract says otherwise), moved off days off.
    #[allow(clippy::too_many_arguments)]
    pub async fn advance_case(
        &self,
        actor: &Actor,
        id: CollectionCaseId,
        version: i64,
        to: CollectionStage,
        note: Option<&str>,
        claim_number: Option<&str>,
        claim_sent_on: Option<NaiveDate>,
    ) -> Result<CaseView, AppError> {
        let view = self.case(actor, id).await?;
        if !may_collect(actor.role) {
            return Err(self
                .deny(actor, "collection_case", Some(view.case.id), AppError::Forbidden)
                .await);
        }
        let from = CollectionStage::parse(&view.case.stage)?;
        if !from.may_move_to(to) {
            return Err(FieldError::new("stage", "stage_not_allowed")
                .with("from", from.as_str())
                .with("to", to.as_str())
                .into());
        }
        if view.case.version != version {
            return Err(self.conflict_of(view.case.id, view.case.version).await);
        }
        let note = note.map(str::trim).unwrap_or("");
        let today = company_today();
        let terms = ledger::terms(self.db(), view.case.counterparty_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let (mut number, mut sent, mut term, mut suit) = (None, None, None, None);
        if to == CollectionStage::Claim {
            let n = claim_number.map(str::trim).filter(|s| !s.is_empty());
            number = Some(n.ok_or_else(|| FieldError::new("claim_number", "required"))?.to_owned());
            let s = claim_sent_on.unwrap_or(today);
            if s > today {
                return Err(FieldError::new("claim_sent_on", "date_in_future").into());
            }
            let days = terms.claim_term_days.clamp(1, 365);
            let (_, from_date) = claim_suit_date(s, days as u32, &self.work_calendar().await?);
            sent = Some(s);
            term = Some(days);
            suit = Some(from_date);
        }
        if to == CollectionStage::Court
            && let Some(s) = view.case.suit_from
            && today < s
        {
            return Err(FieldError::new("stage", "claim_term_running")
                .with("suit_from", s.to_string())
                .into());
        }
        if to == CollectionStage::Closed && note.is_empty() {
            return Err(FieldError::new("note", "required_to_close").into());
        }
        let at = now();
        let mut tx = self.db().begin().await?;
        if let Err(DbError::Conflict) = coll::move_case_tx(
            &mut tx,
            view.case.id,
            version,
            &CaseMove {
                from: &view.case.stage,
                to: to.as_str(),
                claim_number: number.as_deref(),
                claim_sent_on: sent,
                claim_term_days: term,
                suit_from: suit,
                outcome: (to == CollectionStage::Closed).then_some(note),
                close: to == CollectionStage::Closed,
            },
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(view.case.id, version + 1).await);
        }
        let task = if to == CollectionStage::Closed {
            None
        } else {
            let debt = ledger::debt(self.db(), view.case.counterparty_id, today).await?;
            let assignee = view.case.assignee_id.unwrap_or(actor.user_id.as_uuid());
            // The court step's task falls on the day a suit becomes possible.
            let due = if to == CollectionStage::Court {
                view.case.suit_from
            } else {
                None
            };
            Some(
                self.collection_task_tx(&mut tx, view.case.counterparty_id, assignee, to, debt.overdue, due)
                    .await?,
            )
        };
        coll::insert_step_tx(
            &mut tx,
            view.case.id,
            to.as_str(),
            note,
            task,
            actor.user_id.as_uuid(),
            at,
        )
        .await?;
        record_tx(
            &mut tx,
            By::actor(actor),
            "update",
            "collection_case",
            Some(view.case.id),
            json!({ "stage": [from, to], "claim_number": number, "claim_sent_on": sent, "suit_from": suit, "note": note }),
        )
        .await?;
        tx.commit().await?;
        self.case(actor, id).await
    }

    /// A client's settlements for a period: opening balance, documents, turnovers, closing
    /// balance (positive: the client owes us).
    pub async fn reconciliation(
        &self,
        actor: &Actor,
        id: CounterpartyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Reconciliation, AppError> {
        let client = self.client_in_scope(actor, id.as_uuid()).await?;
        if from > to {
            return Err(FieldError::new("from", "after_to").into());
        }
        if (to - from) > Duration::days(366 * 3) {
            return Err(FieldError::new("to", "period_too_long").with("max_days", "1098").into());
        }
        let entries = ledger::ledger(self.db(), client.id, to).await?;
        let mut opening = 0i64;
        let mut rows = Vec::new();
        let (mut debit, mut credit) = (0i64, 0i64);
        for e in entries {
            if e.on_date < from {
                opening += e.debit - e.credit;
            } else if e.on_date <= to {
                debit += e.debit;
                credit += e.credit;
                rows.push(e);
            }
        }
        Ok(Reconciliation {
            counterparty_id: client.id,
            counterparty_name: client.name,
            from,
            to,
            opening: Money::from_kopecks(opening),
            rows,
            debit: Money::from_kopecks(debit),
            credit: Money::from_kopecks(credit),
            closing: Money::from_kopecks(opening + debit - credit),
        })
    }
}

/// A client's settlements for a period (the reconciliation act's left half).
#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub counterparty_id: Uuid,
    pub counterparty_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub opening: Money,
    pub rows: Vec<ledger::LedgerEntry>,
    pub debit: Money,
    pub credit: Money,
    pub closing: Money,
}

/// Stored terms as the domain type; out-of-range stored values are clamped, never refused.
fn terms_of(t: &ledger::Terms) -> CreditTerms {
    CreditTerms {
        credit_limit: Money::from_kopecks(t.credit_limit.max(0)),
        payment_terms_days: t.payment_terms_days.clamp(0, 365) as u16,
        deferral: DeferralKind::parse(&t.deferral_kind).unwrap_or(DeferralKind::Calendar),
        penalty: t.penalty_daily_ppm.filter(|p| *p > 0).map(|p| PenaltyTerms {
            daily_ppm: p as u32,
            cap_bp: t.penalty_cap_bp.filter(|c| *c > 0).map(|c| c as u32),
        }),
        claim_term_days: t.claim_term_days.clamp(1, 365) as u16,
    }
}
