//! Group commit. Some writes come in floods — planning activities, submitting orders — and each
//! is one small change with one audit entry; written one transaction apiece, SQLite spends most
//! of a write in handing its single writer lock over and in statement round trips, PostgreSQL
//! in commits. Requests of one kind that arrive together are therefore written together: one
//! transaction, multi-row statements where the rows are independent, committed before any of
//! them is answered. A member that cannot be written (a stale version) gets its own answer
//! without failing the group; if the group itself fails, its members are retried one by one, so
//! one bad row never takes its neighbours down and each answer is the truth about its own write.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use prospekt_domain::money::Money;
use prospekt_domain::order::OrderStatus;
use prospekt_domain::receivables::{CreditBlock, CreditPosition, credit_check, days_past_due};
use prospekt_storage::repo::activities;
use prospekt_storage::repo::import::{Cell, insert_rows_tx};
use prospekt_storage::repo::ledger;
use prospekt_storage::{Db, DbError};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::audit::By;
use crate::catalog::company_today;
use crate::now;
use crate::orders::CreditFigures;

/// Most members one transaction takes.
const GROUP: usize = 64;

/// A kind of write that can be grouped.
pub(crate) trait GroupJob: Send + Sync + Sized + 'static {
    type Answer: Send + 'static;
    /// Writes `group` in one transaction and answers each member in order. `Err` means nothing
    /// was written.
    fn write_group(
        db: &Db,
        group: &[&Self],
    ) -> impl Future<Output = Result<Vec<Result<Self::Answer, DbError>>, DbError>> + Send;
}

/// One activity to insert with its audit entry.
#[derive(Debug)]
pub(crate) struct PlannedWrite {
    pub activity: Vec<Cell>,
    pub audit: Vec<Cell>,
    /// A done contact moves the client's last contact (and visit) date.
    pub touch: Option<(Uuid, DateTime<Utc>, bool)>,
}

pub(crate) const ACTIVITY_COLUMNS: [&str; 17] = [
    "id",
    "counterparty_id",
    "contact_id",
    "deal_id",
    "owner_id",
    "kind",
    "subject",
    "planned_at",
    "duration_min",
    "status",
    "done_at",
    "result",
    "follows_id",
    "series_id",
    "version",
    "created_at",
    "updated_at",
];

pub(crate) const AUDIT_COLUMNS: [&str; 9] = [
    "id",
    "at",
    "actor_id",
    "on_behalf_of_id",
    "action",
    "entity",
    "entity_id",
    "changes",
    "ip",
];

const APPROVAL_COLUMNS: [&str; 11] = [
    "id",
    "subject_kind",
    "subject_id",
    "counterparty_id",
    "department_id",
    "requested_by",
    "reason",
    "details",
    "status",
    "version",
    "created_at",
];

impl GroupJob for PlannedWrite {
    type Answer = ();

    async fn write_group(db: &Db, writes: &[&Self]) -> Result<Vec<Result<(), DbError>>, DbError> {
        let mut tx = db.begin().await?;
        let rows: Vec<Vec<Cell>> = writes.iter().map(|w| w.activity.clone()).collect();
        insert_rows_tx(&mut tx, "activities", &ACTIVITY_COLUMNS, &rows).await?;
        let audits: Vec<Vec<Cell>> = writes.iter().map(|w| w.audit.clone()).collect();
        insert_rows_tx(&mut tx, "audit_log", &AUDIT_COLUMNS, &audits).await?;
        for (client, at, visit) in writes.iter().filter_map(|w| w.touch) {
            activities::touch_counterparty_tx(&mut tx, client, at, visit).await?;
        }
        tx.commit().await?;
        Ok(writes.iter().map(|_| Ok(())).collect())
    }
}

/// A draft order to submit through the credit check, as the request read it.
#[derive(Debug)]
pub(crate) struct Submission {
    pub order: Uuid,
    pub version: i64,
    pub from: String,
    pub total: i64,
    pub counterparty: Uuid,
    pub department: Option<Uuid>,
    pub by: By,
}

impl GroupJob for Submission {
    /// The figures of the credit check, which decided between approved and held.
    type Answer = CreditFigures;

    /// Locks every client of the group (in id order) and reads their positions once; the
    /// orders are then checked in arrival order, each one seeing the orders of its client
    /// submitted before it in the group, exactly as if they had come one transaction apiece.
    async fn write_group(db: &Db, group: &[&Self]) -> Result<Vec<Result<CreditFigures, DbError>>, DbError> {
        let today = company_today();
        let at = now();
        let mut clients: Vec<Uuid> = group.iter().map(|s| s.counterparty).collect();
        clients.sort_unstable();
        clients.dedup();
        let mut tx = db.begin().await?;
        let limits: HashMap<Uuid, i64> = ledger::lock_counterparties_tx(&mut tx, &clients)
            .await?
            .into_iter()
            .collect();
        let mut exposures = ledger::exposures_tx(&mut tx, &clients, today).await?;
        // Decide every order in arrival order, each one seeing its client's orders before it.
        struct Decided {
            to: OrderStatus,
            figures: CreditFigures,
            figures_json: String,
            reason: Option<String>,
        }
        let mut decided: Vec<Option<Decided>> = Vec::with_capacity(group.len());
        for s in group {
            let Some(&limit) = limits.get(&s.counterparty) else {
                decided.push(None);
                continue;
            };
            let e = exposures.entry(s.counterparty).or_default();
            let pos = CreditPosition {
                limit: Money::from_kopecks(limit),
                receivable: Money::from_kopecks(e.receivable),
                open_orders: Money::from_kopecks(e.open_orders),
                overdue: Money::from_kopecks(e.overdue),
                max_dpd: e.oldest_overdue.map_or(0, |d| days_past_due(d, today)),
            };
            let total = Money::from_kopecks(s.total);
            let blocks = credit_check(&pos, total);
            let figures = CreditFigures::new(&pos, total, &blocks, today);
            // Taken orders count against the limit whether released or held.
            e.open_orders += s.total;
            let reason = (!blocks.is_empty()).then(|| {
                blocks
                    .iter()
                    .map(|b| match b {
                        CreditBlock::OverLimit { .. } => "over_limit",
                        CreditBlock::Overdue { .. } => "overdue_debt",
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            });
            decided.push(Some(Decided {
                to: if reason.is_some() {
                    OrderStatus::Submitted
                } else {
                    OrderStatus::Approved
                },
                figures_json: serde_json::to_string(&figures).unwrap_or_default(),
                figures,
                reason,
            }));
        }
        // One statement for the whole group. An order changed meanwhile would make the
        // figures of the orders after it wrong: then nothing is written and the members are
        // retried one by one (a group of one answers its conflict).
        let rows: Vec<ledger::Submit<'_>> = group
            .iter()
            .zip(&decided)
            .filter_map(|(s, d)| {
                d.as_ref().map(|d| ledger::Submit {
                    id: s.order,
                    version: s.version,
                    from: &s.from,
                    to: d.to.as_str(),
                    credit_check: &d.figures_json,
                    credit_hold: d.reason.is_some(),
                })
            })
            .collect();
        let written = ledger::submit_orders_tx(&mut tx, &rows, at).await?;
        if written.len() < rows.len() {
            drop(tx);
            return if group.len() == 1 {
                Ok(vec![Err(DbError::Conflict)])
            } else {
                Err(DbError::Conflict)
            };
        }
        let mut approvals: Vec<Vec<Cell>> = Vec::new();
        let mut audits: Vec<Vec<Cell>> = Vec::with_capacity(group.len());
        let mut answers = Vec::with_capacity(group.len());
        for (s, d) in group.iter().zip(decided) {
            let Some(d) = d else {
                answers.push(Err(DbError::NotFound));
                continue;
            };
            if let Some(reason) = d.reason {
                approvals.push(vec![
                    Cell::Uuid(Uuid::now_v7()),
                    Cell::Text("order".to_owned()),
                    Cell::Uuid(s.order),
                    Cell::Uuid(s.counterparty),
                    Cell::OptUuid(s.department),
                    Cell::OptUuid(s.by.actor.map(|u| u.as_uuid())),
                    Cell::Text(reason),
                    Cell::Text(d.figures_json),
                    Cell::Text("pending".to_owned()),
                    Cell::Int(1),
                    Cell::Ts(at),
                ]);
            }
            let changes = serde_json::json!({ "status": [s.from, d.to], "credit": d.figures });
            audits.push(vec![
                Cell::Uuid(Uuid::now_v7()),
                Cell::Ts(at),
                Cell::OptUuid(s.by.actor.map(|u| u.as_uuid())),
                Cell::OptUuid(s.by.on_behalf_of.map(|u| u.as_uuid())),
                Cell::Text("submit".to_owned()),
                Cell::Text("order".to_owned()),
                Cell::OptUuid(Some(s.order)),
                Cell::Text(changes.to_string()),
                Cell::OptText(None),
            ]);
            answers.push(Ok(d.figures));
        }
        insert_rows_tx(&mut tx, "approvals", &APPROVAL_COLUMNS, &approvals).await?;
        insert_rows_tx(&mut tx, "audit_log", &AUDIT_COLUMNS, &audits).await?;
        tx.commit().await?;
        Ok(answers)
    }
}

type Job<J> = (J, oneshot::Sender<Result<<J as GroupJob>::Answer, DbError>>);

/// The queue in front of the writer task, started on first use (it needs a runtime).
pub(crate) struct GroupWriter<J: GroupJob> {
    queue: Arc<OnceLock<mpsc::Sender<Job<J>>>>,
}

impl<J: GroupJob> Default for GroupWriter<J> {
    fn default() -> Self {
        Self { queue: Arc::default() }
    }
}

impl<J: GroupJob> Clone for GroupWriter<J> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<J: GroupJob> GroupWriter<J> {
    /// Writes `w` in the next group; returns once that group has committed.
    pub async fn write(&self, db: &Db, w: J) -> Result<J::Answer, DbError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * GROUP);
            tokio::spawn(run(db.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.send((w, reply)).await.map_err(|_| DbError::WriterStopped)?;
        answer.await.map_err(|_| DbError::WriterStopped)?
    }
}

/// The writer task: takes what is queued (at most a group), writes it, answers, repeats. It
/// ends when the app (every sender) is gone.
async fn run<J: GroupJob>(db: Db, mut rx: mpsc::Receiver<Job<J>>) {
    let mut group: Vec<Job<J>> = Vec::with_capacity(GROUP);
    while let Some(first) = rx.recv().await {
        group.push(first);
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let members: Vec<&J> = group.iter().map(|(w, _)| w).collect();
        match J::write_group(&db, &members).await {
            Ok(answers) => {
                for ((_, reply), answer) in group.drain(..).zip(answers) {
                    let _ = reply.send(answer);
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some((_, reply)) = group.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(_) => {
                for (w, reply) in group.drain(..) {
                    let answer = match J::write_group(&db, &[&w]).await {
                        Ok(mut answers) => answers.pop().unwrap_or(Err(DbError::WriterStopped)),
                        Err(e) => Err(e),
                    };
                    let _ = reply.send(answer);
                }
            }
        }
    }
}
