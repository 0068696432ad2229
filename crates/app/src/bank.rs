//! Bank statements: a 1CClientBankExchange file is parsed whole (a malformed file imports
//! nothing and names the line), each incoming payment is tied to the payer by INN (or by an
//! account seen before) and to its invoices by the numbers in the purpose or by the amount.
//! Clear cases are booked at once; the rest wait in the manual matching queue with a proposal.
//! Importing the same statement again adds nothing: every document has a unique fingerprint.
//!
//! The whole import is one transaction, written in batches (multi-row inserts and one guarded
//! update per group of invoices), so a 10,000-document statement takes a few dozen statements.

use std::collections::{HashMap, HashSet};

use prospekt_domain::FieldError;
use prospekt_domain::bank_match::{Candidate, MatchOutcome, MatchProposal, propose};
use prospekt_domain::ids::{CounterpartyId, InvoiceId, PaymentId, StatementDocId, StatementId};
use prospekt_domain::money::Money;
use prospekt_domain::payment_purpose::extract_refs;
use prospekt_files::bank_1c::{StatementDoc, parse_statement};
use prospekt_storage::DbError;
use prospekt_storage::repo::bank::{self, BankPayment, DocRow, NewDoc, NewStatement, StatementRow};
use prospekt_storage::repo::ledger::{self, NewPayment};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, record_tx};
use crate::receivables::{PaymentView, may_handle_payments};
use crate::{Actor, App, AppError, now};

/// The largest statement accepted, in documents.
pub const MAX_DOCUMENTS: usize = 200_000;

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub statement_id: Uuid,
    pub documents: usize,
    pub new_documents: usize,
    pub duplicates: usize,
    /// Incoming payments booked and allocated without a person.
    pub matched: usize,
    /// Incoming payments waiting in the manual queue.
    pub queued: usize,
    pub outgoing: usize,
    /// Money booked as payments, and the part of it allocated to invoices.
    pub received: Money,
    pub allocated: Money,
}

/// Which way money moved, seen from our accounts.
fn direction(doc: &StatementDoc, ours: &HashSet<&str>) -> &'static str {
    let to_us = ours.contains(doc.payee_account.as_str());
    let from_us = ours.contains(doc.payer_account.as_str());
    match (to_us, from_us) {
        (true, true) => "internal",
        (true, false) => "incoming",
        (false, true) => "outgoing",
        (false, false) => "foreign",
    }
}

impl App {
    /// Imports a statement file. Nothing is written when the file is malformed.
    pub async fn import_statement(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportReport, AppError> {
        if !may_handle_payments(actor.role) {
            return Err(self.deny(actor, "bank_statement", None, AppError::Forbidden).await);
        }
        let statement = parse_statement(bytes).map_err(|e| {
            FieldError::new("file", e.code)
                .with("line", e.line.to_string())
                .with("detail", e.detail)
        })?;
        if statement.documents.len() > MAX_DOCUMENTS {
            return Err(FieldError::new("file", "too_many_documents")
                .with("max", MAX_DOCUMENTS.to_string())
                .into());
        }
        let mut ours: HashSet<&str> = statement.accounts.iter().map(String::as_str).collect();
        ours.extend(statement.balances.iter().map(|b| b.account.as_str()));
        if ours.is_empty() {
            return Err(FieldError::new("file", "no_account").with("line", "1").into());
        }
        if let Some(doc) = statement.documents.iter().find(|d| direction(d, &ours) == "foreign") {
            return Err(FieldError::new("file", "document_of_another_account")
                .with("line", doc.line.to_string())
                .into());
        }
        let at = now();
        let by = actor.user_id.as_uuid();
        let statement_id = StatementId::new().as_uuid();
        let mut clock = PhaseClock::start();
        let mut tx = self.db().begin().await?;
        clock.lap("begin");
        bank::insert_statement_tx(
            &mut tx,
            &NewStatement {
                id: statement_id,
                file_name,
                account: statement.accounts.first().map(String::as_str),
                period_from: statement.period_from,
                period_to: statement.period_to,
                documents: statement.documents.len() as i32,
                imported_by: by,
            },
            at,
        )
        .await?;

        // Fingerprints: a repeat inside the file gets a suffix so that it waits for a person
        // instead of vanishing.
        let mut prints = Vec::with_capacity(statement.documents.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for d in &statement.documents {
            let base = d.fingerprint();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            prints.push(if *n == 1 { base } else { format!("{base}#{n}") });
        }
        let known: HashSet<String> = bank::known_fingerprints_tx(&mut tx, &prints)
            .await?
            .into_iter()
            .collect();

        // Payers: by INN first, then by an account seen before.
        let fresh: Vec<usize> = (0..prints.len()).filter(|&i| !known.contains(&prints[i])).collect();
        let incoming: Vec<usize> = fresh
            .iter()
            .copied()
            .filter(|&i| direction(&statement.documents[i], &ours) == "incoming")
            .collect();
        let inns: Vec<String> = incoming
            .iter()
            .filter_map(|&i| statement.documents[i].payer_inn.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut by_inn: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (inn, id) in bank::counterparties_by_inn_tx(&mut tx, &inns).await? {
            by_inn.entry(inn).or_default().push(id);
        }
        let accounts: Vec<String> = incoming
            .iter()
            .map(|&i| statement.documents[i].payer_account.clone())
            .filter(|a| !a.is_empty())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut by_account: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (account, id) in bank::counterparties_by_account_tx(&mut tx, &accounts).await? {
            let list = by_account.entry(account).or_default();
            if !list.contains(&id) {
                list.push(id);
            }
        }
        let payer_of = |d: &StatementDoc| -> Result<Uuid, &'static str> {
            let list = d
                .payer_inn
                .as_ref()
                .and_then(|inn| by_inn.get(inn))
                .or_else(|| by_account.get(&d.payer_account));
            match list.map(Vec::as_slice) {
                Some([one]) => Ok(*one),
                Some([_, _, ..]) => Err("several_counterparties"),
                _ => Err("unknown_payer"),
            }
        };
        let payers: Vec<Uuid> = incoming
            .iter()
            .filter_map(|&i| payer_of(&statement.documents[i]).ok())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        clock.lap("payers");
        let mut open: HashMap<Uuid, Vec<Candidate>> = HashMap::new();
        for (cp, id, number, issued_on, due_on, amount) in bank::open_invoices_of_tx(&mut tx, &payers).await? {
            open.entry(cp).or_default().push(Candidate {
                id,
                number,
                issued_on,
                due_on,
                open: Money::from_kopecks(amount),
            });
        }

        clock.lap("open_invoices");
        // Decide every new document in file order; booked money lowers the open amounts the next
        // document of the same payer sees.
        let mut payments: Vec<BankPayment> = Vec::new();
        let mut allocations: Vec<(Uuid, Uuid, i64)> = Vec::new();
        // (document, direction, state, reason, payer, payment, proposal)
        type DocDecision = (
            usize,
            &'static str,
            &'static str,
            &'static str,
            Option<Uuid>,
            Option<Uuid>,
            Option<String>,
        );
        let mut doc_rows: Vec<DocDecision> = Vec::new();
        let mut new_accounts: Vec<(Uuid, &StatementDoc)> = Vec::new();
        let mut remembered: HashSet<(Uuid, &str)> = HashSet::new();
        let (mut matched, mut queued, mut outgoing) = (0, 0, 0);
        let (mut received, mut allocated) = (0i64, 0i64);
        for &i in &fresh {
            let d = &statement.documents[i];
            let dir = direction(d, &ours);
            if dir != "incoming" {
                outgoing += 1;
                doc_rows.push((i, dir, "ignored", "", None, None, None));
                continue;
            }
            if d.credited_on.is_none() {
                queued += 1;
                doc_rows.push((i, dir, "unmatched", "no_credit_date", None, None, None));
                continue;
            }
            let payer = match payer_of(d) {
                Ok(p) => p,
                Err(reason) => {
                    queued += 1;
                    doc_rows.push((i, dir, "unmatched", reason, None, None, None));
                    continue;
                }
            };
            if !d.payer_account.is_empty()
                && !by_account.get(&d.payer_account).is_some_and(|l| l.contains(&payer))
                && remembered.insert((payer, d.payer_account.as_str()))
            {
                new_accounts.push((payer, d));
            }
            let candidates = open.entry(payer).or_default();
            let refs = extract_refs(&d.purpose);
            let proposal: MatchProposal = propose(Money::from_kopecks(d.amount), &refs, candidates);
            let duplicate_in_file = prints[i].contains('#');
            let auto = proposal.auto && !duplicate_in_file;
            let payment = PaymentId::new().as_uuid();
            let mut booked = 0;
            if auto {
                for (invoice, m) in &proposal.allocations {
                    allocations.push((payment, *invoice, m.kopecks()));
                    booked += m.kopecks();
                    if let Some(c) = candidates.iter_mut().find(|c| c.id == *invoice) {
                        c.open = Money::from_kopecks(c.open.kopecks() - m.kopecks());
                    }
                }
                candidates.retain(|c| c.open.kopecks() > 0);
                matched += 1;
            } else {
                queued += 1;
            }
            received += d.amount;
            allocated += booked;
            payments.push(BankPayment {
                id: payment,
                counterparty_id: payer,
                paid_on: d.credited_on.unwrap_or(d.date),
                amount: d.amount,
                allocated: booked,
                doc_number: &d.number,
                purpose: &d.purpose,
                payer_inn: d.payer_inn.as_deref(),
            });
            let state = if auto {
                proposal.outcome.as_str()
            } else {
                MatchOutcome::Ambiguous.as_str()
            };
            let reason = if duplicate_in_file {
                "duplicate_in_file"
            } else {
                proposal.reason
            };
            let plan = json!({ "outcome": proposal.outcome, "allocations": proposal.allocations,
                               "advance": proposal.advance, "reason": reason });
            doc_rows.push((
                i,
                dir,
                state,
                reason,
                Some(payer),
                Some(payment),
                Some(plan.to_string()),
            ));
        }

        let docs: Vec<NewDoc> = doc_rows
            .iter()
            .map(|(i, dir, state, reason, cp, payment, proposal)| {
                let d = &statement.documents[*i];
                NewDoc {
                    id: StatementDocId::new().as_uuid(),
                    statement_id,
                    fingerprint: &prints[*i],
                    line_no: d.line as i32,
                    direction: dir,
                    number: &d.number,
                    doc_date: d.date,
                    amount: d.amount,
                    payer_inn: d.payer_inn.as_deref(),
                    payer_account: &d.payer_account,
                    payer_name: &d.payer_name,
                    payee_inn: d.payee_inn.as_deref(),
                    payee_account: &d.payee_account,
                    credited_on: d.credited_on,
                    purpose: &d.purpose,
                    raw: &d.raw,
                    state,
                    reason,
                    counterparty_id: *cp,
                    payment_id: *payment,
                    proposal: proposal.as_deref(),
                }
            })
            .collect();
        clock.lap("decide");
        bank::insert_payments_tx(&mut tx, &payments, by, at).await?;
        clock.lap("insert_payments");
        if let Err(DbError::Conflict) = bank::apply_allocations_tx(&mut tx, &allocations, by, at).await {
            drop(tx);
            return Err(FieldError::new("file", "statement_conflict").into());
        }
        clock.lap("allocations");
        bank::insert_docs_tx(&mut tx, &docs).await?;
        clock.lap("insert_docs");
        let accounts: Vec<(Uuid, &str, &str)> = new_accounts
            .iter()
            .map(|(payer, d)| (*payer, d.payer_bik.as_deref().unwrap_or(""), d.payer_account.as_str()))
            .collect();
        bank::remember_accounts_tx(&mut tx, &accounts).await?;
        clock.lap("accounts");
        let invoices: Vec<Uuid> = allocations
            .iter()
            .map(|(_, i, _)| *i)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let orders = bank::orders_of_invoices_tx(&mut tx, &invoices).await?;
        bank::mark_orders_paid_tx(&mut tx, &orders, at).await?;
        clock.lap("orders_paid");
        let duplicates = prints.len() - fresh.len();
        bank::finish_statement_tx(
            &mut tx,
            statement_id,
            fresh.len() as i32,
            duplicates as i32,
            matched as i32,
            queued as i32,
        )
        .await?;
        let report = ImportReport {
            statement_id,
            documents: prints.len(),
            new_documents: fresh.len(),
            duplicates,
            matched,
            queued,
            outgoing,
            received: Money::from_kopecks(received),
            allocated: Money::from_kopecks(allocated),
        };
        record_tx(
            &mut tx,
            By::actor(actor),
            "import",
            "bank_statement",
            Some(statement_id),
            json!({ "file_name": file_name, "report": report }),
        )
        .await?;
        clock.lap("finish");
        tx.commit().await?;
        clock.lap("commit");
        tracing::debug!(documents = prints.len(), phases = %clock, "bank statement imported");
        Ok(report)
    }

    pub async fn statements(&self, actor: &Actor) -> Result<Vec<StatementRow>, AppError> {
        if !may_handle_payments(actor.role) {
            return Err(self.deny(actor, "bank_statement", None, AppError::Forbidden).await);
        }
        Ok(bank::statements(self.db(), 200).await?)
    }

    pub async fn statement(&self, actor: &Actor, id: StatementId) -> Result<(StatementRow, Vec<DocRow>), AppError> {
        if !may_handle_payments(actor.role) {
            return Err(self
                .deny(actor, "bank_statement", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        let s = bank::statement(self.db(), id.as_uuid())
            .await?
            .ok_or(AppError::NotFound)?;
        let docs = bank::docs_of(self.db(), s.id).await?;
        Ok((s, docs))
    }

    /// Incoming payments waiting for a person.
    pub async fn matching_queue(&self, actor: &Actor) -> Result<Vec<DocRow>, AppError> {
        if !may_handle_payments(actor.role) {
            return Err(self.deny(actor, "bank_statement", None, AppError::Forbidden).await);
        }
        Ok(bank::queue(self.db(), 500).await?)
    }

    /// Resolves a queued document: ties it to a client (when the payer was unknown) and
    /// allocates the money — as proposed, explicitly, or oldest due first; or marks it not ours
    /// to book (`ignore`, e.g. a refund or a loan).
    pub async fn resolve_statement_doc(
        &self,
        actor: &Actor,
        id: StatementDocId,
        version: i64,
        counterparty: Option<CounterpartyId>,
        allocations: Option<Vec<(InvoiceId, Money)>>,
        ignore: bool,
    ) -> Result<Option<PaymentView>, AppError> {
        if !may_handle_payments(actor.role) {
            return Err(self
                .deny(actor, "bank_statement", Some(id.as_uuid()), AppError::Forbidden)
                .await);
        }
        let doc = bank::doc(self.db(), id.as_uuid()).await?.ok_or(AppError::NotFound)?;
        if doc.state != "ambiguous" && doc.state != "unmatched" {
            return Err(FieldError::new("state", "doc_already_resolved")
                .with("state", doc.state.clone())
                .into());
        }
        if doc.version != version {
            return Err(self.conflict_of(doc.id, doc.version).await);
        }
        let at = now();
        let by = actor.user_id.as_uuid();
        let mut tx = self.db().begin().await?;
        if ignore {
            if doc.payment_id.is_some() {
                return Err(FieldError::new("ignore", "payment_already_booked").into());
            }
            if let Err(DbError::Conflict) =
                bank::resolve_doc_tx(&mut tx, doc.id, version, "ignored", None, None, by, at).await
            {
                drop(tx);
                return Err(self.conflict_of(doc.id, version + 1).await);
            }
            record_tx(
                &mut tx,
                By::actor(actor),
                "ignore",
                "bank_statement_doc",
                Some(doc.id),
                json!({}),
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        }
        // The payment: the one the import booked, or a new one for the client named now.
        let (payment, client) = match (doc.payment_id, doc.counterparty_id) {
            (Some(p), Some(c)) => (p, c),
            _ => {
                let client = counterparty.ok_or_else(|| FieldError::new("counterparty_id", "required"))?;
                let row = self.client_for_payment(actor, client).await?;
                let p = PaymentId::new().as_uuid();
                ledger::insert_payment_tx(
                    &mut tx,
                    &NewPayment {
                        id: p,
                        counterparty_id: row,
                        paid_on: doc.credited_on.unwrap_or(doc.doc_date),
                        amount: doc.amount,
                        doc_number: &doc.number,
                        purpose: &doc.purpose,
                        source: "bank",
                        payer_inn: doc.payer_inn.as_deref(),
                        created_by: Some(by),
                    },
                    at,
                )
                .await?;
                if !doc.payer_account.is_empty() {
                    bank::remember_account_tx(&mut tx, row, "", &doc.payer_account, "").await?;
                }
                (p, row)
            }
        };
        let free = match ledger::payment(self.db(), payment).await? {
            Some(p) => p.amount - p.allocated,
            None => doc.amount,
        };
        let explicit = match allocations {
            Some(a) => Some(a),
            None => doc
                .proposal
                .as_deref()
                .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
                .and_then(|v| {
                    v.get("allocations").and_then(|a| a.as_array()).map(|a| {
                        a.iter()
                            .filter_map(|pair| {
                                let id = pair.get(0)?.as_str()?.parse::<Uuid>().ok()?;
                                let m = Money::parse(pair.get(1)?.as_str()?).ok()?;
                                Some((InvoiceId::from(id), m))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .filter(|a| !a.is_empty() && doc.counterparty_id == Some(client)),
        };
        let lines = if free > 0 {
            self.allocate_tx(
                &mut tx,
                actor,
                payment,
                client,
                Money::from_kopecks(free),
                explicit.as_deref(),
            )
            .await?
        } else {
            Vec::new()
        };
        if let Err(DbError::Conflict) = bank::resolve_doc_tx(
            &mut tx,
            doc.id,
            version,
            "resolved",
            Some(client),
            Some(payment),
            by,
            at,
        )
        .await
        {
            drop(tx);
            return Err(self.conflict_of(doc.id, version + 1).await);
        }
        record_tx(
            &mut tx,
            By::actor(actor),
            "resolve",
            "bank_statement_doc",
            Some(doc.id),
            json!({ "counterparty_id": client, "payment_id": payment, "allocated": lines }),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(self.payment(actor, PaymentId::from(payment)).await?))
    }

    /// The client named for an unmatched payment. Called inside the resolving transaction, so it
    /// must not write (a refusal is only reported, not audited here: on SQLite the audit write
    /// would wait for the writer this transaction holds).
    async fn client_for_payment(&self, actor: &Actor, id: CounterpartyId) -> Result<Uuid, AppError> {
        let c = prospekt_storage::repo::counterparties::by_id(self.db(), id.as_uuid())
            .await?
            .ok_or_else(|| FieldError::new("counterparty_id", "unknown_counterparty"))?;
        let access = self.access(actor).await?;
        if !access.reaches(c.owner_id, c.department_id) {
            return Err(FieldError::new("counterparty_id", "unknown_counterparty").into());
        }
        Ok(c.id)
    }
}

impl App {
    /// The one client in reach with this INN (`None` when there is none or several).
    pub async fn counterparty_by_inn(&self, actor: &Actor, inn: &str) -> Result<Option<CounterpartyId>, AppError> {
        let access = self.access(actor).await?;
        let mut found = Vec::new();
        for id in bank::counterparties_by_inn(self.db(), inn.trim()).await? {
            if let Some(c) = prospekt_storage::repo::counterparties::by_id(self.db(), id).await?
                && access.reaches(c.owner_id, c.department_id)
            {
                found.push(CounterpartyId::from(c.id));
            }
        }
        Ok(if found.len() == 1 { found.pop() } else { None })
    }
}

/// Time spent in each phase of a long operation, for the debug log.
struct PhaseClock {
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl PhaseClock {
    fn start() -> Self {
        Self {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((phase, now - self.last));
        self.last = now;
    }
}

impl std::fmt::Display for PhaseClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (phase, took)) in self.laps.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{phase} {:.1} ms", took.as_secs_f64() * 1000.0)?;
        }
        Ok(())
    }
}
