//! Group commit for planning activities. Each planned activity is one change with one audit
//! entry; written one transaction apiece, SQLite spends most of a write in handing the single
//! writer lock over and in statement round trips. Requests that arrive together are therefore
//! written together: one transaction, one multi-row INSERT per table, committed before any of
//! them is answered. If a group fails, its members are retried one by one, so one bad row
//! never takes its neighbours down and each answer is the truth about its own write.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use prospekt_storage::repo::activities;
use prospekt_storage::repo::import::{Cell, insert_rows_tx};
use prospekt_storage::{Db, DbError};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most activities one transaction takes.
const GROUP: usize = 64;

/// One activity to insert with its audit entry.
#[derive(Debug)]
pub(crate) struct PlannedWrite {
    pub activity: Vec<Cell>,
    pub audit: Vec<Cell>,
    /// A done contact moves the client's last contact (and visit) date.
    pub touch: Option<(Uuid, DateTime<Utc>, bool)>,
}

type Job = (PlannedWrite, oneshot::Sender<Result<(), DbError>>);

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

/// The queue in front of the writer task, started on first use (it needs a runtime).
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupWriter {
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl GroupWriter {
    /// Writes `w` in the next group; returns once that group has committed.
    pub async fn write(&self, db: &Db, w: PlannedWrite) -> Result<(), DbError> {
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
async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut group: Vec<Job> = Vec::with_capacity(GROUP);
    while let Some(first) = rx.recv().await {
        group.push(first);
        while group.len() < GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let writes: Vec<&PlannedWrite> = group.iter().map(|(w, _)| w).collect();
        match write_group(&db, &writes).await {
            Ok(()) => {
                for (_, reply) in group.drain(..) {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some((_, reply)) = group.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(_) => {
                for (w, reply) in group.drain(..) {
                    let result = write_group(&db, &[&w]).await;
                    let _ = reply.send(result);
                }
            }
        }
    }
}

async fn write_group(db: &Db, writes: &[&PlannedWrite]) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    let rows: Vec<Vec<Cell>> = writes.iter().map(|w| w.activity.clone()).collect();
    insert_rows_tx(&mut tx, "activities", &ACTIVITY_COLUMNS, &rows).await?;
    let audits: Vec<Vec<Cell>> = writes.iter().map(|w| w.audit.clone()).collect();
    insert_rows_tx(&mut tx, "audit_log", &AUDIT_COLUMNS, &audits).await?;
    for (client, at, visit) in writes.iter().filter_map(|w| w.touch) {
        activities::touch_counterparty_tx(&mut tx, client, at, visit).await?;
    }
    tx.commit().await
}
