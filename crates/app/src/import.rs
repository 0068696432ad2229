//! Importing counterparties from a CSV or XLSX file: map columns, check every row, match
//! rows to existing records (external id, else INN + KPP), then create and update them all
//! in one transaction — or, on a dry run, only say what would happen.
//!
//! A row with any problem is not written; the others are. Re-importing the same file
//! changes nothing (every row matches and nothing differs). A failure while writing rolls
//! the whole batch back.

use std::collections::{HashMap, HashSet};

use prospekt_domain::FieldError;
use prospekt_domain::Role;
use prospekt_domain::counterparty::{name_key, parse_tags, search_key, tags_column};
use prospekt_domain::import::{
    BankDraft, ContactDraft, CounterpartyDraft, ImportField, Mapping, MatchKey, duplicates_in_file, is_blank_row,
    parse_row,
};
use prospekt_storage::DbError;
use prospekt_storage::repo::counterparties::CounterpartyRow;
use prospekt_storage::repo::import::{self as repo, Cell};
use serde_json::json;
use uuid::Uuid;

use crate::audit::{By, diff, record_tx};
use crate::policy::may_edit_clients;
use crate::{Actor, App, AppError, now};

/// Largest number of problems kept in a report; the counts stay exact.
pub const MAX_PROBLEMS: usize = 10_000;

/// What to import and how.
pub struct ImportRequest<'a> {
    pub bytes: &'a [u8],
    /// Explicit `(header as in the file, field name)` pairs; `None` guesses from the headers.
    pub mapping: Option<Vec<(String, String)>>,
    pub dry_run: bool,
}

/// A rejected row: its line in the file and one reason (a row may have several).
#[derive(Debug, Clone)]
pub struct Problem {
    pub line: usize,
    pub error: FieldError,
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub batch: Uuid,
    pub dry_run: bool,
    /// "CSV (UTF-8, «;»)", "XLSX".
    pub format: String,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub problems: Vec<Problem>,
    /// Whether `problems` was cut at [`MAX_PROBLEMS`].
    pub problems_truncated: bool,
    pub mapping: Vec<(String, &'static str)>,
    pub unmapped: Vec<String>,
    pub headers: Vec<String>,
}

/// Progress of a long import: `(done, total, step)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64, &str) + Send + Sync);

enum Plan {
    Create(Box<CounterpartyDraft>, Uuid),
    Update(Box<CounterpartyDraft>, Uuid),
}

const CP_COLUMNS: [&str; 31] = [
    "id",
    "kind",
    "name",
    "full_name",
    "inn",
    "kpp",
    "ogrn",
    "search_key",
    "industry",
    "size",
    "territory_id",
    "lead_source",
    "status",
    "tier",
    "owner_id",
    "department_id",
    "payment_terms_days",
    "credit_limit",
    "legal_address",
    "actual_address",
    "city",
    "phone",
    "email",
    "notes",
    "external_id",
    "needs",
    "tags",
    "name_key",
    "version",
    "created_at",
    "updated_at",
];
/// Batches this big suspend the per-row search triggers (SQLite) and index at the end.
const BULK_SEARCH_ROWS: usize = 1_000;
/// Position of `search_key` in [`CP_COLUMNS`] and [`CONTACT_COLUMNS`].
const CP_SEARCH_KEY: usize = 7;
const CONTACT_SEARCH_KEY: usize = 8;

const CONTACT_COLUMNS: [&str; 14] = [
    "id",
    "counterparty_id",
    "full_name",
    "position",
    "phone",
    "email",
    "consent_ads",
    "consent_pd",
    "search_key",
    "version",
    "created_at",
    "updated_at",
    "decision_role",
    "owner_id",
];
const BANK_COLUMNS: [&str; 6] = ["id", "counterparty_id", "bik", "account", "corr_account", "bank_name"];
const AUDIT_COLUMNS: [&str; 8] = [
    "id",
    "at",
    "actor_id",
    "on_behalf_of_id",
    "action",
    "entity",
    "entity_id",
    "changes",
];

fn file_error(e: &prospekt_files::ReadError) -> FieldError {
    let mut f = FieldError::new("file", e.code());
    if let prospekt_files::ReadError::Malformed { line, reason } = e {
        f = f.with("line", line.to_string()).with("detail", reason.clone());
    }
    f
}

/// A row's plan: line, what to do, owner, department, territory.
type Planned = (usize, Plan, Option<Uuid>, Option<Uuid>, Option<Uuid>);

/// Reads the file, settles the column mapping and parses every row: the CPU-bound half of
/// an import, run on a blocking thread. `table.rows` comes back empty (consumed).
fn read_and_parse(
    bytes: &[u8],
    pairs: Option<Vec<(String, String)>>,
) -> Result<(prospekt_files::Table, String, Mapping, Vec<Parsed>), FieldError> {
    let mut table = prospekt_files::read_table(bytes).map_err(|e| file_error(&e))?;
    let format = match table.format {
        prospekt_files::Format::Xlsx => "XLSX".to_owned(),
        prospekt_files::Format::Xls => "XLS".to_owned(),
        prospekt_files::Format::Csv { encoding, separator } => {
            let sep = if separator == '\t' {
                "TAB".to_owned()
            } else {
                separator.to_string()
            };
            format!("CSV ({encoding}, «{sep}»)")
        }
    };
    let mapping = match &pairs {
        Some(pairs) if !pairs.is_empty() => Mapping::from_names(&table.headers, pairs)?,
        _ => Mapping::guess(&table.headers),
    };
    mapping.check()?;
    // Independent per row: parsed on every core, results kept in file order.
    let parsed = parse_parallel(&mapping, &table.rows);
    table.rows = Vec::new();
    Ok((table, format, mapping, parsed))
}

type Parsed = (usize, Result<CounterpartyDraft, Vec<FieldError>>);

/// Parses the non-blank rows on up to all available cores; the result keeps file order.
fn parse_parallel(mapping: &Mapping, rows: &[prospekt_files::Row]) -> Vec<Parsed> {
    on_all_cores(rows, |chunk| {
        chunk
            .iter()
            .filter(|r| !is_blank_row(&r.cells))
            .map(|r| (r.line, parse_row(mapping, &r.cells)))
            .collect::<Vec<Parsed>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `work` over consecutive chunks of `items`, one chunk per core (at most eight), results in
/// the order of the chunks. Fewer than 20,000 items are one chunk: threads would cost more
/// than they save.
fn on_all_cores<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || items.len() < 20_000 {
        return vec![work(items)];
    }
    let size = items.len().div_ceil(threads);
    let work = &work;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(size).map(|c| s.spawn(move || work(c))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// The text cells at column `i` of `rows` (the search keys of a batch).
fn keys_at(rows: &[Vec<Cell>], i: usize) -> Vec<&str> {
    rows.iter()
        .filter_map(|r| match r.get(i) {
            Some(Cell::Text(k)) => Some(k.as_str()),
            _ => None,
        })
        .collect()
}

fn text(s: &Option<String>) -> Cell {
    Cell::OptText(s.clone())
}

/// What every new row of one import carries: when, by whom, which batch.
#[derive(Clone, Copy)]
struct Stamp {
    at: chrono::DateTime<chrono::Utc>,
    actor: Uuid,
    batch: Uuid,
}

/// The batch's `import` audit entry about counterparty `id`.
fn audit_cells(stamp: Stamp, id: Uuid, changes: String) -> Vec<Cell> {
    vec![
        Cell::Uuid(Uuid::now_v7()),
        Cell::Ts(stamp.at),
        Cell::OptUuid(Some(stamp.actor)),
        Cell::OptUuid(None),
        Cell::Text("import".to_owned()),
        Cell::Text("counterparty".to_owned()),
        Cell::Uuid(id),
        Cell::Text(changes),
    ]
}

/// A contact row ([`CONTACT_COLUMNS`]); `key` is its search key, `owner` its counterparty's
/// owner as it stands after the batch.
fn contact_cells(c: &ContactDraft, counterparty: Uuid, owner: Option<Uuid>, key: String, stamp: Stamp) -> Vec<Cell> {
    vec![
        Cell::Uuid(Uuid::now_v7()),
        Cell::Uuid(counterparty),
        Cell::Text(c.full_name.clone()),
        text(&c.position),
        Cell::OptText(c.phone.as_ref().map(|p| p.as_str().to_owned())),
        Cell::OptText(c.email.as_ref().map(|e| e.as_str().to_owned())),
        Cell::Bool(false),
        Cell::Bool(false),
        Cell::Text(key),
        Cell::Int(1),
        Cell::Ts(stamp.at),
        Cell::Ts(stamp.at),
        Cell::OptText(None),
        Cell::OptUuid(owner),
    ]
}

/// A bank account row ([`BANK_COLUMNS`]).
fn bank_cells(b: &BankDraft, counterparty: Uuid) -> Vec<Cell> {
    vec![
        Cell::Uuid(Uuid::now_v7()),
        Cell::Uuid(counterparty),
        Cell::Text(b.bik.to_string()),
        Cell::Text(b.account.clone()),
        text(&b.corr_account),
        Cell::Text(b.bank_name.clone().unwrap_or_default()),
    ]
}

/// A row decided on: the counterparty it creates or updates, with owner, department and
/// territory resolved.
struct Decided {
    draft: Box<CounterpartyDraft>,
    id: Uuid,
    owner_id: Option<Uuid>,
    department: Option<Uuid>,
    territory: Option<Uuid>,
}

/// The rows new counterparties write, in the order of the records.
#[derive(Default)]
struct NewRows {
    counterparties: Vec<Vec<Cell>>,
    contacts: Vec<Vec<Cell>>,
    banks: Vec<Vec<Cell>>,
    audits: Vec<Vec<Cell>>,
}

impl NewRows {
    fn append(&mut self, mut other: NewRows) {
        self.counterparties.append(&mut other.counterparties);
        self.contacts.append(&mut other.contacts);
        self.banks.append(&mut other.banks);
        self.audits.append(&mut other.audits);
    }
}

/// Rows of new counterparties. A new record has nothing stored to compare with, so each is
/// built on its own: large batches are split across the cores, and the parts joined in order.
fn new_rows(records: Vec<Decided>, stamp: Stamp) -> NewRows {
    let build = |records: &[Decided]| -> NewRows {
        let mut out = NewRows::default();
        for r in records {
            let d = &r.draft;
            if let Some(c) = &d.contact {
                out.contacts
                    .push(contact_cells(c, r.id, r.owner_id, search_key(&[&c.full_name]), stamp));
            }
            if let Some(b) = &d.bank {
                out.banks.push(bank_cells(b, r.id));
            }
            let inn = d.requisites.inn.as_ref().map(|i| i.to_string());
            let kpp = d.requisites.kpp.as_ref().map(|k| k.to_string());
            out.audits.push(audit_cells(
                stamp,
                r.id,
                json!({ "batch": [null, stamp.batch], "name": [null, d.name], "inn": [null, inn], "kpp": [null, kpp] })
                    .to_string(),
            ));
            out.counterparties.push(vec![
                Cell::Uuid(r.id),
                Cell::Text(d.kind.as_str().to_owned()),
                Cell::Text(d.name.clone()),
                Cell::Text(d.full_name.clone().unwrap_or_else(|| d.name.clone())),
                Cell::OptText(inn.clone()),
                Cell::OptText(kpp),
                text(&d.requisites.ogrn),
                Cell::Text(search_key(&[&d.name, inn.as_deref().unwrap_or("")])),
                text(&d.industry),
                text(&d.size),
                Cell::OptUuid(r.territory),
                text(&d.lead_source),
                Cell::Text(d.status.map_or("prospect", |s| s.as_str()).to_owned()),
                Cell::Text(d.tier.map_or("regular", |t| t.as_str()).to_owned()),
                Cell::OptUuid(r.owner_id),
                Cell::OptUuid(r.department),
                Cell::Int(i64::from(d.payment_terms_days.unwrap_or(0))),
                Cell::Int(d.credit_limit.map_or(0, |m| m.kopecks())),
                text(&d.legal_address),
                text(&d.actual_address),
                text(&d.city),
                Cell::OptText(d.phone.as_ref().map(|p| p.as_str().to_owned())),
                Cell::OptText(d.email.as_ref().map(|e| e.as_str().to_owned())),
                text(&d.notes),
                text(&d.external_id),
                text(&d.needs),
                Cell::OptText(tags_column(&d.tags)),
                Cell::Text(name_key(&d.name)),
                Cell::Int(1),
                Cell::Ts(stamp.at),
                Cell::Ts(stamp.at),
            ]);
        }
        out
    };
    let mut out = NewRows::default();
    for part in on_all_cores(&records, build) {
        out.append(part);
    }
    out
}

impl App {
    /// Imports counterparties. See the module docs for the rules.
    pub async fn import_counterparties(
        &self,
        actor: &Actor,
        req: ImportRequest<'_>,
        progress: Progress<'_>,
    ) -> Result<ImportReport, AppError> {
        if !may_edit_clients(actor.role) {
            return Err(self.deny(actor, "import", None, AppError::Forbidden).await);
        }
        progress(0, 0, "reading");
        // Reading and parsing are CPU work (seconds for a big file): off the async workers, so
        // the server keeps answering everyone else meanwhile.
        let bytes = req.bytes.to_vec();
        let pairs = req.mapping.clone();
        let (table, format, mapping, parsed) = tokio::task::spawn_blocking(move || read_and_parse(&bytes, pairs))
            .await
            .map_err(|e| AppError::Internal(format!("import worker: {e}")))??;
        // Credit terms are not the seller's to set: a file that carries them is refused whole
        // for anyone else (see `may_set_credit_terms`).
        if !crate::receivables::may_set_credit_terms(actor.role)
            && let Some((i, f)) = mapping
                .fields()
                .find(|(_, f)| matches!(f, ImportField::CreditLimit | ImportField::PaymentTermsDays))
        {
            return Err(FieldError::new(f.as_str(), "credit_terms_reserved")
                .with("column", table.headers[i].clone())
                .into());
        }
        let total = parsed.len() as u64;
        let mut report = ImportReport {
            batch: Uuid::now_v7(),
            dry_run: req.dry_run,
            format,
            rows: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            problems: Vec::new(),
            problems_truncated: false,
            mapping: mapping
                .fields()
                .map(|(i, f)| (table.headers[i].clone(), f.as_str()))
                .collect(),
            unmapped: mapping.unmapped(&table.headers),
            headers: table.headers.clone(),
        };
        let reject = |report: &mut ImportReport, line: usize, errors: Vec<FieldError>| {
            report.rejected += 1;
            for error in errors {
                if report.problems.len() < MAX_PROBLEMS {
                    report.problems.push(Problem { line, error });
                } else {
                    report.problems_truncated = true;
                }
            }
        };

        // 1. Every row on its own (pure).
        progress(0, total, "checking");
        let mut drafts: Vec<(usize, CounterpartyDraft)> = Vec::with_capacity(parsed.len());
        for (line, result) in parsed {
            report.rows += 1;
            match result {
                Ok(d) => drafts.push((line, d)),
                Err(errors) => reject(&mut report, line, errors),
            }
        }
        // 2. The same record twice in the file: the first row wins.
        let keys: Vec<(usize, Option<MatchKey>)> = drafts.iter().map(|(l, d)| (*l, d.match_key())).collect();
        let repeats: HashMap<usize, usize> = duplicates_in_file(&keys).into_iter().collect();
        progress(0, total, "matching");
        // 3. Owners and territories by name.
        let users = prospekt_storage::repo::users::list(self.db(), None).await?;
        let by_login: HashMap<String, (Uuid, Option<Uuid>, bool)> = users
            .iter()
            .map(|u| (u.login.to_lowercase(), (u.id, u.department_id, u.is_active)))
            .collect();
        let territories = prospekt_storage::repo::org::territories(self.db()).await?;
        let territory_by_name: HashMap<String, Uuid> = territories
            .iter()
            .flat_map(|t| [(t.name.to_lowercase(), t.id), (t.code.to_lowercase(), t.id)])
            .collect();
        // 4. Existing records by key, in bulk.
        let ext_ids: Vec<String> = keys
            .iter()
            .filter_map(|(_, k)| match k {
                Some(MatchKey::ExternalId(e)) => Some(e.clone()),
                _ => None,
            })
            .collect();
        let inns: Vec<String> = keys
            .iter()
            .filter_map(|(_, k)| match k {
                Some(MatchKey::InnKpp(i, _)) => Some(i.clone()),
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let by_ext: HashMap<String, repo::Existing> = repo::by_external_ids(self.db(), &ext_ids)
            .await?
            .into_iter()
            .filter_map(|e| e.external_id.clone().map(|k| (k, e)))
            .collect();
        let mut by_inn_kpp: HashMap<(String, Option<String>), repo::Existing> = HashMap::new();
        for e in repo::by_inns(self.db(), &inns).await? {
            if let Some(inn) = e.inn.clone() {
                // Oldest first would be nicer, but any one match is a match: keep the first.
                by_inn_kpp.entry((inn, e.kpp.clone())).or_insert(e);
            }
        }
        progress(0, total, "deciding");
        let access = self.access(actor).await?;
        let portfolio = actor.role.is_portfolio_bound();
        let my_department = actor.department_id.map(|d| d.as_uuid());

        let mut plans: Vec<Planned> = Vec::new();
        for (i, (line, draft)) in drafts.into_iter().enumerate() {
            if let Some(first) = repeats.get(&line) {
                reject(
                    &mut report,
                    line,
                    vec![FieldError::new("row", "duplicate_in_file").with("line", first.to_string())],
                );
                continue;
            }
            let mut errors = Vec::new();
            let owner = match draft.owner_login.as_deref().map(str::to_lowercase) {
                None => None,
                Some(login) => match by_login.get(&login) {
                    Some((id, dept, true)) => Some((*id, *dept)),
                    _ => {
                        errors.push(FieldError::new(ImportField::Owner.as_str(), "unknown_owner").with("value", login));
                        None
                    }
                },
            };
            if let Some((o, dept)) = owner {
                let foreign = (portfolio && o != actor.user_id.as_uuid())
                    || (actor.role == Role::HeadOfDepartment && dept != my_department);
                if foreign {
                    errors.push(FieldError::new(ImportField::Owner.as_str(), "owner_outside_department"));
                }
            }
            let territory = match draft.territory.as_deref().map(str::to_lowercase) {
                None => None,
                Some(t) => match territory_by_name.get(&t) {
                    Some(id) => Some(*id),
                    None => {
                        errors.push(
                            FieldError::new(ImportField::Territory.as_str(), "unknown_territory").with("value", t),
                        );
                        None
                    }
                },
            };
            let existing = match &keys[i].1 {
                Some(MatchKey::ExternalId(e)) => by_ext.get(e),
                Some(MatchKey::InnKpp(inn, kpp)) => by_inn_kpp.get(&(inn.clone(), kpp.clone())),
                None => None,
            };
            if let Some(e) = existing
                && !access.reaches(e.owner_id, e.department_id)
            {
                let field = if e.external_id.is_some() && draft.external_id.is_some() {
                    ImportField::ExternalId
                } else {
                    ImportField::Inn
                };
                errors.push(FieldError::new(field.as_str(), "out_of_scope"));
            }
            // A new external id must not collide with another record's INN+KPP match.
            if existing.is_none()
                && let (Some(_), Some(inn)) = (&draft.external_id, draft.requisites.inn.as_ref())
                && by_inn_kpp.contains_key(&(inn.to_string(), draft.requisites.kpp.as_ref().map(|k| k.to_string())))
            {
                // Matched by external id first; the INN+KPP of another record would duplicate it.
                errors.push(FieldError::new(ImportField::Inn.as_str(), "duplicate"));
            }
            if !errors.is_empty() {
                reject(&mut report, line, errors);
                continue;
            }
            let owner_id = owner
                .map(|(o, _)| o)
                .or_else(|| portfolio.then(|| actor.user_id.as_uuid()));
            let department = owner.and_then(|(_, d)| d).or(my_department);
            let plan = match existing {
                Some(e) => Plan::Update(Box::new(draft), e.id),
                None => Plan::Create(Box::new(draft), Uuid::now_v7()),
            };
            plans.push((line, plan, owner_id, department, territory));
            if i % 10_000 == 0 {
                progress(i as u64, total, "deciding");
            }
        }

        progress(0, total, "comparing");
        // 5. Updates: compare with what is stored.
        let update_ids: Vec<Uuid> = plans
            .iter()
            .filter_map(|(_, p, ..)| match p {
                Plan::Update(_, id) => Some(*id),
                Plan::Create(..) => None,
            })
            .collect();
        let current: HashMap<Uuid, CounterpartyRow> = repo::rows_by_ids(self.db(), &update_ids)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut contact_names: HashSet<(Uuid, String)> =
            repo::contact_names(self.db(), &update_ids).await?.into_iter().collect();
        let mut bank_keys: HashSet<(Uuid, String, String)> = repo::bank_account_keys(self.db(), &update_ids)
            .await?
            .into_iter()
            .collect();

        progress(0, total, "preparing");
        let at = now();
        let by = By::actor(actor);
        let stamp = Stamp {
            at,
            actor: actor.user_id.as_uuid(),
            batch: report.batch,
        };
        let mut creates: Vec<Decided> = Vec::new();
        let mut changes_of: Vec<Decided> = Vec::new();
        for (_line, plan, owner_id, department, territory) in plans {
            let (list, draft, id) = match plan {
                Plan::Create(draft, id) => (&mut creates, draft, id),
                Plan::Update(draft, id) => (&mut changes_of, draft, id),
            };
            list.push(Decided {
                draft,
                id,
                owner_id,
                department,
                territory,
            });
        }
        report.created += creates.len();
        // Building the rows of new records is CPU work: off the async workers, like parsing.
        let NewRows {
            counterparties: cp_rows,
            contacts: mut contact_rows,
            banks: mut bank_rows,
            audits: mut audit_rows,
        } = tokio::task::spawn_blocking(move || new_rows(creates, stamp))
            .await
            .map_err(|e| AppError::Internal(format!("import worker: {e}")))?;
        struct Update {
            id: Uuid,
            version: i64,
            row: CounterpartyRow,
        }
        let mut updates: Vec<(Update, serde_json::Value)> = Vec::new();

        for Decided {
            draft,
            id,
            owner_id,
            department,
            territory,
        } in changes_of
        {
            let mut child_added = false;
            // A contact carries its counterparty's owner as it will stand after this batch
            // (the database would correct it, at the cost of a second write).
            let contact_owner = match current.get(&id) {
                Some(_) if draft.owner_login.is_some() => owner_id,
                Some(cur) => cur.owner_id,
                None => None,
            };
            if let Some(c) = &draft.contact {
                let key = search_key(&[&c.full_name]);
                if contact_names.insert((id, key.clone())) {
                    child_added = true;
                    contact_rows.push(contact_cells(c, id, contact_owner, key, stamp));
                }
            }
            if let Some(b) = &draft.bank
                && bank_keys.insert((id, b.bik.to_string(), b.account.clone()))
            {
                child_added = true;
                bank_rows.push(bank_cells(b, id));
            }
            let inn = draft.requisites.inn.as_ref().map(|i| i.to_string());
            let Some(cur) = current.get(&id) else {
                // Merged or deleted between the lookups: treat as unchanged rather than guess.
                report.unchanged += 1;
                continue;
            };
            // Non-empty cells overwrite; empty cells never erase what is stored.
            let mut next = cur.clone();
            let set = |slot: &mut Option<String>, v: &Option<String>| {
                if v.is_some() {
                    slot.clone_from(v);
                }
            };
            next.name.clone_from(&draft.name);
            if let Some(f) = &draft.full_name {
                next.full_name.clone_from(f);
            }
            if inn.is_some() {
                next.inn.clone_from(&inn);
                next.kpp = draft.requisites.kpp.as_ref().map(|k| k.to_string());
            }
            set(&mut next.ogrn, &draft.requisites.ogrn);
            set(&mut next.industry, &draft.industry);
            set(&mut next.size, &draft.size);
            set(&mut next.lead_source, &draft.lead_source);
            set(&mut next.legal_address, &draft.legal_address);
            set(&mut next.actual_address, &draft.actual_address);
            set(&mut next.city, &draft.city);
            set(&mut next.notes, &draft.notes);
            set(&mut next.needs, &draft.needs);
            set(&mut next.external_id, &draft.external_id);
            set(&mut next.phone, &draft.phone.as_ref().map(|p| p.as_str().to_owned()));
            set(&mut next.email, &draft.email.as_ref().map(|e| e.as_str().to_owned()));
            if let Some(s) = draft.status {
                next.status = s.as_str().to_owned();
            }
            if let Some(t) = draft.tier {
                next.tier = t.as_str().to_owned();
            }
            if let Some(d) = draft.payment_terms_days {
                next.payment_terms_days = d;
            }
            if let Some(m) = draft.credit_limit {
                next.credit_limit = m.kopecks();
            }
            if !draft.tags.is_empty() {
                let mut all = prospekt_domain::counterparty::tags_from_column(cur.tags.as_deref());
                all.extend(draft.tags.iter().cloned());
                next.tags = tags_column(&parse_tags(&all.join(",")));
            }
            if draft.owner_login.is_some() && owner_id != cur.owner_id {
                next.owner_id = owner_id;
                next.department_id = department;
            }
            if territory.is_some() {
                next.territory_id = territory;
            }
            let changes = diff(&[
                ("name", json!(cur.name), json!(next.name)),
                ("full_name", json!(cur.full_name), json!(next.full_name)),
                ("inn", json!(cur.inn), json!(next.inn)),
                ("kpp", json!(cur.kpp), json!(next.kpp)),
                ("ogrn", json!(cur.ogrn), json!(next.ogrn)),
                ("industry", json!(cur.industry), json!(next.industry)),
                ("size", json!(cur.size), json!(next.size)),
                ("lead_source", json!(cur.lead_source), json!(next.lead_source)),
                ("legal_address", json!(cur.legal_address), json!(next.legal_address)),
                ("actual_address", json!(cur.actual_address), json!(next.actual_address)),
                ("city", json!(cur.city), json!(next.city)),
                ("notes", json!(cur.notes), json!(next.notes)),
                ("needs", json!(cur.needs), json!(next.needs)),
                ("external_id", json!(cur.external_id), json!(next.external_id)),
                ("phone", json!(cur.phone), json!(next.phone)),
                ("email", json!(cur.email), json!(next.email)),
                ("status", json!(cur.status), json!(next.status)),
                ("tier", json!(cur.tier), json!(next.tier)),
                (
                    "payment_terms_days",
                    json!(cur.payment_terms_days),
                    json!(next.payment_terms_days),
                ),
                ("credit_limit", json!(cur.credit_limit), json!(next.credit_limit)),
                ("tags", json!(cur.tags), json!(next.tags)),
                ("owner_id", json!(cur.owner_id), json!(next.owner_id)),
                ("territory_id", json!(cur.territory_id), json!(next.territory_id)),
            ]);
            let changed = changes.as_object().is_some_and(|m| !m.is_empty());
            if changed {
                let mut changes = changes;
                changes["batch"] = json!([null, report.batch]);
                updates.push((
                    Update {
                        id,
                        version: cur.version,
                        row: next,
                    },
                    changes,
                ));
                report.updated += 1;
            } else if child_added {
                report.updated += 1;
                audit_rows.push(audit_cells(
                    stamp,
                    id,
                    json!({ "batch": [null, report.batch] }).to_string(),
                ));
            } else {
                report.unchanged += 1;
            }
        }
        progress(total, total, "prepared");
        if req.dry_run {
            return Ok(report);
        }

        // 6. One transaction for the whole batch.
        let write_total = (cp_rows.len() + updates.len() + contact_rows.len() + bank_rows.len()) as u64;
        progress(0, write_total, "writing");
        // Pages for a large batch in memory (see `Db::begin_bulk`): about 2 MiB per thousand
        // rows, at most 2 GiB (a million new counterparties dirty about 1.5 GiB of pages);
        // below 32,000 rows the pool's usual 64 MiB do.
        let cache_mib = u32::try_from(write_total / 500).unwrap_or(u32::MAX).min(2_048);
        let mut tx = if cache_mib > 64 {
            self.db().begin_bulk(cache_mib).await?
        } else {
            self.db().begin().await?
        };
        let written: Result<(), AppError> = async {
            // Big batches index search words set-based at the end instead of row by row.
            let search = if cp_rows.len() + contact_rows.len() >= BULK_SEARCH_ROWS {
                Some(repo::SearchBatch::begin(&mut tx).await?)
            } else {
                None
            };
            // One call per table: on SQLite a large batch then reaches the table in one
            // statement (see `insert_rows_tx`).
            repo::insert_rows_progress_tx(&mut tx, "counterparties", &CP_COLUMNS, &cp_rows, &|n| {
                progress(n as u64, write_total, "writing")
            })
            .await?;
            let mut done = cp_rows.len() as u64;
            for (u, changes) in &updates {
                let written = crate::counterparties::write_row_tx(&mut tx, &u.row, u.version, at).await;
                match written {
                    Ok(_) => {}
                    Err(DbError::Conflict) => {
                        return Err(AppError::Conflict {
                            current_version: u.version + 1,
                            changed_by: self.last_changed_by(u.id).await,
                        });
                    }
                    Err(e) => return Err(e.into()),
                }
                audit_rows.push(audit_cells(stamp, u.id, changes.to_string()));
                done += 1;
                if done.is_multiple_of(1_000) {
                    progress(done, write_total, "writing");
                }
            }
            let before_contacts = done;
            repo::insert_rows_progress_tx(&mut tx, "contacts", &CONTACT_COLUMNS, &contact_rows, &|n| {
                progress(before_contacts + n as u64, write_total, "writing")
            })
            .await?;
            done += contact_rows.len() as u64;
            repo::insert_rows_tx(&mut tx, "bank_accounts", &BANK_COLUMNS, &bank_rows).await?;
            done += bank_rows.len() as u64;
            progress(done, write_total, "writing");
            if let Some(search) = search {
                progress(done, write_total, "indexing");
                let (cp_keys, contact_keys) = (
                    keys_at(&cp_rows, CP_SEARCH_KEY),
                    keys_at(&contact_rows, CONTACT_SEARCH_KEY),
                );
                search
                    .finish(&mut tx, |kind| {
                        if kind == "contact" {
                            contact_keys.clone()
                        } else {
                            cp_keys.clone()
                        }
                    })
                    .await?;
            }
            repo::insert_rows_tx(&mut tx, "audit_log", &AUDIT_COLUMNS, &audit_rows).await?;
            record_tx(
                &mut tx,
                by,
                "import",
                "import_batch",
                Some(report.batch),
                json!({ "format": report.format, "rows": report.rows, "created": report.created,
                        "updated": report.updated, "unchanged": report.unchanged, "rejected": report.rejected }),
            )
            .await?;
            Ok(())
        }
        .await;
        if let Err(e) = written {
            // Best effort: the error being reported matters more than a failed rollback,
            // which the dropped connection would do anyway.
            let _ = tx.rollback().await;
            return Err(e);
        }
        progress(write_total, write_total, "committing");
        tx.commit().await?;
        Ok(report)
    }
}
