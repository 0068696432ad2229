//! Counterparties (clients and prospects): point reads and keyset-paginated lists.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Scope;
use crate::{Db, DbError, db_run};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CounterpartyRow {
    pub id: Uuid,
    pub kind: String,
    pub name: String,
    pub full_name: String,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub ogrn: Option<String>,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub territory_id: Option<Uuid>,
    pub territory_name: Option<String>,
    pub lead_source: Option<String>,
    pub status: String,
    pub tier: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub department_id: Option<Uuid>,
    pub payment_terms_days: i32,
    pub credit_limit: i64,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub external_id: Option<String>,
    pub needs: Option<String>,
    /// Stored as ",a,b,"; see `prospekt_domain::counterparty::tags_from_column`.
    pub tags: Option<String>,
    pub price_column_id: Option<Uuid>,
    pub merged_into: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

pub(crate) const SELECT: &str = "SELECT c.id, c.kind, c.name, c.full_name, c.inn, c.kpp, c.ogrn, c.industry, c.size, \
    c.territory_id, t.name AS territory_name, c.lead_source, c.status, c.tier, c.owner_id, \
    u.display_name AS owner_name, c.department_id, c.payment_terms_days, c.credit_limit, c.legal_address, \
    c.actual_address, c.city, c.phone, c.email, c.notes, c.external_id, c.needs, c.tags, c.price_column_id, \
    c.merged_into, c.version, c.created_at, c.updated_at, c.archived_at \
    FROM counterparties c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN territories t ON t.id = c.territory_id";

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<CounterpartyRow>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1"));
    Ok(db_run!(db, pool => sqlx::query_as::<_, CounterpartyRow>(sql).bind(id).fetch_optional(pool).await?))
}

/// Filters of the counterparty list. All optional; combined with AND.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub owner_id: Option<Uuid>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub territory_id: Option<Uuid>,
    /// One tag, lower case.
    pub tag: Option<String>,
    /// Archived records instead of live ones.
    pub archived: bool,
    /// Keyset cursor: the (name, id) of the last row of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

/// A page of counterparties in `scope`, ordered by name then id. Keyset pagination keeps
/// page 10 000 as fast as page 1.
pub async fn list(db: &Db, scope: &Scope, f: &ListFilter) -> Result<Vec<CounterpartyRow>, DbError> {
    let mut sql = format!(
        "{SELECT} WHERE c.archived_at IS {} NULL",
        if f.archived { "NOT" } else { "" }
    );
    let mut n = 0;
    // Scope lists are short (a department, a manager and whom they stand in for), so they
    // are inlined as bound parameters rather than joined.
    let scope_ids = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if f.owner_id.is_some() {
        sql.push_str(&format!(" AND c.owner_id = {}", next()));
    }
    if f.status.is_some() {
        sql.push_str(&format!(" AND c.status = {}", next()));
    }
    if f.tier.is_some() {
        sql.push_str(&format!(" AND c.tier = {}", next()));
    }
    if f.territory_id.is_some() {
        sql.push_str(&format!(" AND c.territory_id = {}", next()));
    }
    if f.tag.is_some() {
        sql.push_str(&format!(" AND c.tags LIKE {}", next()));
    }
    if f.after.is_some() {
        let (a, b) = (next(), next());
        sql.push_str(&format!(" AND (c.name > {a} OR (c.name = {a} AND c.id > {b}))"));
    }
    sql.push_str(&format!(" ORDER BY c.name, c.id LIMIT {}", next()));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, CounterpartyRow>(sql);
        for id in &scope_ids {
            q = q.bind(*id);
        }
        if let Some(o) = f.owner_id {
            q = q.bind(o);
        }
        if let Some(s) = &f.status {
            q = q.bind(s.clone());
        }
        if let Some(t) = &f.tier {
            q = q.bind(t.clone());
        }
        if let Some(t) = f.territory_id {
            q = q.bind(t);
        }
        if let Some(t) = &f.tag {
            q = q.bind(format!("%,{t},%"));
        }
        if let Some((name, id)) = &f.after {
            q = q.bind(name.clone()).bind(*id);
        }
        q.bind(f.limit).fetch_all(pool).await?
    }))
}

pub async fn count(db: &Db) -> Result<i64, DbError> {
    Ok(db_run!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM counterparties").fetch_one(pool).await?))
}

/// The editable fields of a counterparty (the whole set is written; callers merge a patch
/// onto the current row first).
pub struct CounterpartyEdit<'a> {
    pub name: &'a str,
    pub inn: Option<&'a str>,
    pub kpp: Option<&'a str>,
    pub ogrn: Option<&'a str>,
    pub size: Option<&'a str>,
    pub lead_source: Option<&'a str>,
    pub territory_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub payment_terms_days: i32,
    pub credit_limit: i64,
    pub external_id: Option<&'a str>,
    pub needs: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub name_key: &'a str,
    pub status: &'a str,
    pub tier: &'a str,
    pub owner_id: Option<Uuid>,
    pub industry: Option<&'a str>,
    pub city: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub legal_address: Option<&'a str>,
    pub actual_address: Option<&'a str>,
    pub search_key: &'a str,
}

/// Writes the edit if the stored version is still `version`; otherwise [`DbError::Conflict`].
pub async fn update_tx(
    tx: &mut crate::Tx,
    id: Uuid,
    version: i64,
    e: &CounterpartyEdit<'_>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = crate::tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE counterparties SET name = $1, status = $2, tier = $3, owner_id = $4, industry = $5, city = $6, \
             phone = $7, email = $8, notes = $9, legal_address = $10, actual_address = $11, search_key = $12, \
             updated_at = $13, inn = $16, kpp = $17, ogrn = $18, size = $19, lead_source = $20, territory_id = $21, \
             department_id = $22, payment_terms_days = $23, credit_limit = $24, external_id = $25, needs = $26, \
             tags = $27, name_key = $28, version = version + 1 WHERE id = $14 AND version = $15",
        )
        .bind(e.name).bind(e.status).bind(e.tier).bind(e.owner_id).bind(e.industry).bind(e.city)
        .bind(e.phone).bind(e.email).bind(e.notes).bind(e.legal_address).bind(e.actual_address).bind(e.search_key)
        .bind(now).bind(id).bind(version)
        .bind(e.inn).bind(e.kpp).bind(e.ogrn).bind(e.size).bind(e.lead_source).bind(e.territory_id)
        .bind(e.department_id).bind(e.payment_terms_days).bind(e.credit_limit).bind(e.external_id).bind(e.needs)
        .bind(e.tags).bind(e.name_key)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Some counterparty that has an owner, as (owner, id): a fixture for measurements.
pub async fn sample_owned(db: &Db) -> Result<Option<(Uuid, Uuid)>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, (Uuid, Uuid)>("SELECT owner_id, id FROM counterparties WHERE owner_id IS NOT NULL ORDER BY id LIMIT 1")
            .fetch_optional(pool)
            .await?
    }))
}

/// A new counterparty as checked by the app (identifiers already validated).
pub struct NewCounterparty<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub name: &'a str,
    pub full_name: &'a str,
    pub inn: Option<&'a str>,
    pub kpp: Option<&'a str>,
    pub ogrn: Option<&'a str>,
    pub search_key: &'a str,
    pub industry: Option<&'a str>,
    pub size: Option<&'a str>,
    pub territory_id: Option<Uuid>,
    pub lead_source: Option<&'a str>,
    pub status: &'a str,
    pub tier: &'a str,
    pub owner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub payment_terms_days: i32,
    pub credit_limit: i64,
    pub legal_address: Option<&'a str>,
    pub actual_address: Option<&'a str>,
    pub city: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub needs: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub name_key: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_tx(tx: &mut crate::Tx, c: &NewCounterparty<'_>) -> Result<(), DbError> {
    crate::tx_run!(tx, conn => {
        sqlx::query(
            "INSERT INTO counterparties (id, kind, name, full_name, inn, kpp, ogrn, search_key, industry, size, \
             territory_id, lead_source, status, tier, owner_id, department_id, payment_terms_days, credit_limit, \
             legal_address, actual_address, city, phone, email, notes, external_id, needs, tags, name_key, version, \
             created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $24, $26, $27, $28, $29, 1, $25, $25)",
        )
        .bind(c.id).bind(c.kind).bind(c.name).bind(c.full_name).bind(c.inn).bind(c.kpp).bind(c.ogrn)
        .bind(c.search_key).bind(c.industry).bind(c.size).bind(c.territory_id).bind(c.lead_source)
        .bind(c.status).bind(c.tier).bind(c.owner_id).bind(c.department_id).bind(c.payment_terms_days)
        .bind(c.credit_limit).bind(c.legal_address).bind(c.actual_address).bind(c.city).bind(c.phone)
        .bind(c.email).bind(c.notes).bind(c.now).bind(c.external_id).bind(c.needs).bind(c.tags).bind(c.name_key)
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// A possible duplicate of a record being created, and why it matched.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuplicateHit {
    pub id: Uuid,
    pub name: String,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub reason: String,
}

/// Counterparties sharing the INN (and KPP, if given), the phone, the e-mail or the name (as
/// [`name_key`](prospekt_domain) reduces it) in the same city — whether
/// or not the caller can see them: a duplicate check that hides matches would let two
/// managers create the same client twice. Callers decide what to reveal.
pub async fn duplicates(
    db: &Db,
    inn: Option<&str>,
    kpp: Option<&str>,
    phone: Option<&str>,
    email: Option<&str>,
    name_city: Option<(&str, &str)>,
) -> Result<Vec<DuplicateHit>, DbError> {
    let (name_key, city) = name_city.unzip();
    Ok(db_run!(db, pool => {
        sqlx::query_as::<_, DuplicateHit>(
            "SELECT id, name, inn, kpp, 'inn_kpp' AS reason FROM counterparties \
               WHERE $1 IS NOT NULL AND inn = $1 AND (kpp = $2 OR ($2 IS NULL AND kpp IS NULL)) AND archived_at IS NULL \
             UNION ALL SELECT id, name, inn, kpp, 'phone' AS reason FROM counterparties \
               WHERE $3 IS NOT NULL AND phone = $3 AND archived_at IS NULL \
             UNION ALL SELECT id, name, inn, kpp, 'email' AS reason FROM counterparties \
               WHERE $4 IS NOT NULL AND email = $4 AND archived_at IS NULL \
             UNION ALL SELECT id, name, inn, kpp, 'name_city' AS reason FROM counterparties \
               WHERE $5 IS NOT NULL AND name_key = $5 AND city = $6 AND archived_at IS NULL \
             LIMIT 20",
        )
        .bind(inn).bind(kpp).bind(phone).bind(email).bind(name_key).bind(city)
        .fetch_all(pool)
        .await?
    }))
}

/// Counterparties in `scope` not updated since `cutoff` and with no activity done since then,
/// least recently updated first (the ones most at risk of being forgotten).
pub async fn stale(
    db: &Db,
    scope: &Scope,
    owner: Option<Uuid>,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<CounterpartyRow>, DbError> {
    let mut sql = format!("{SELECT} WHERE c.archived_at IS NULL AND c.updated_at < $1");
    let mut n = 1;
    let scope_ids = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    let owner_param = owner.map(|_| {
        n += 1;
        format!("${n}")
    });
    if let Some(p) = &owner_param {
        sql.push_str(&format!(" AND c.owner_id = {p}"));
    }
    sql.push_str(
        " AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.counterparty_id = c.id AND a.done_at IS NOT NULL \
         AND a.planned_at >= $1)",
    );
    n += 1;
    sql.push_str(&format!(" ORDER BY c.updated_at, c.id LIMIT ${n}"));
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, CounterpartyRow>(sql).bind(cutoff);
        for id in &scope_ids {
            q = q.bind(*id);
        }
        if let Some(o) = owner {
            q = q.bind(o);
        }
        q.bind(limit).fetch_all(pool).await?
    }))
}

/// Archives (`archived_at = Some`) or restores (`None`) a record if `version` is current;
/// `merged_into` marks a record folded into another by a merge.
pub async fn set_archived_tx(
    tx: &mut crate::Tx,
    id: Uuid,
    version: i64,
    archived_at: Option<DateTime<Utc>>,
    merged_into: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let n = crate::tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE counterparties SET archived_at = $1, merged_into = $2, updated_at = $3, version = version + 1 \
             WHERE id = $4 AND version = $5",
        )
        .bind(archived_at).bind(merged_into).bind(now).bind(id).bind(version)
        .execute(conn)
        .await?
        .rows_affected()
    });
    if n == 0 {
        Err(DbError::Conflict)
    } else {
        Ok(version + 1)
    }
}

/// Why records were grouped as likely duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateReason {
    Inn,
    NameCity,
    Phone,
    Email,
}

impl DuplicateReason {
    pub const ALL: [DuplicateReason; 4] = [Self::Inn, Self::NameCity, Self::Phone, Self::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inn => "inn",
            Self::NameCity => "name_city",
            Self::Phone => "phone",
            Self::Email => "email",
        }
    }

    /// The grouping key as columns (row value) of `counterparties c`.
    fn key(self) -> (&'static str, &'static str) {
        match self {
            Self::Inn => ("c.inn", "c.inn IS NOT NULL"),
            Self::NameCity => ("c.name_key, c.city", "c.name_key IS NOT NULL AND c.name_key <> ''"),
            Self::Phone => ("c.phone", "c.phone IS NOT NULL"),
            Self::Email => ("c.email", "c.email IS NOT NULL"),
        }
    }
}

/// One member of a group of likely duplicates.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuplicateMember {
    pub id: Uuid,
    pub name: String,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub owner_name: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub group_key: String,
}

/// Live counterparties in `scope` that share `reason`'s key with another live one in scope:
/// up to `groups` groups in key order, members oldest first (the usual survivor of a merge).
pub async fn duplicate_groups(
    db: &Db,
    scope: &Scope,
    reason: DuplicateReason,
    groups: i64,
) -> Result<Vec<DuplicateMember>, DbError> {
    let (cols, present) = reason.key();
    let label = match reason {
        DuplicateReason::NameCity => "c.name_key || ' / ' || COALESCE(c.city, '')",
        _ => cols,
    };
    let mut n = 0;
    let mut inner = format!("SELECT {cols} FROM counterparties c WHERE c.archived_at IS NULL AND {present}");
    let inner_ids = scope.push_filter(&mut inner, &mut n, "c.department_id", "c.owner_id");
    n += 1;
    inner.push_str(&format!(
        " GROUP BY {cols} HAVING COUNT(*) > 1 ORDER BY {cols} LIMIT ${n}"
    ));
    let mut sql = format!(
        "SELECT c.id, c.name, c.inn, c.kpp, c.city, c.phone, c.email, u.display_name AS owner_name, c.version, \
         c.created_at, {label} AS group_key \
         FROM counterparties c LEFT JOIN users u ON u.id = c.owner_id \
         WHERE c.archived_at IS NULL AND ({cols}) IN ({inner})"
    );
    let outer_ids = scope.push_filter(&mut sql, &mut n, "c.department_id", "c.owner_id");
    sql.push_str(" ORDER BY group_key, c.created_at, c.id");
    let sql = sqlx::AssertSqlSafe(sql);
    Ok(db_run!(db, pool => {
        let mut q = sqlx::query_as::<_, DuplicateMember>(sql);
        for id in &inner_ids {
            q = q.bind(*id);
        }
        q = q.bind(groups);
        for id in &outer_ids {
            q = q.bind(*id);
        }
        q.fetch_all(pool).await?
    }))
}

/// Tables whose rows belong to a counterparty and follow it in a merge.
pub const CHILD_TABLES: [&str; 16] = [
    "contacts",
    "bank_accounts",
    "activities",
    "deals",
    "offers",
    "approvals",
    "orders",
    "invoices",
    "payments",
    "shipments",
    "order_returns",
    "discrepancy_acts",
    "collection_cases",
    "write_offs",
    "reconciliation_acts",
    "bank_statement_docs",
];

/// Moves every child row of `from` to `into`; returns the count moved per table.
pub async fn move_children_tx(tx: &mut crate::Tx, from: Uuid, into: Uuid) -> Result<Vec<(&'static str, u64)>, DbError> {
    let mut moved = Vec::new();
    for table in CHILD_TABLES {
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET counterparty_id = $1 WHERE counterparty_id = $2"
        ));
        let n = crate::tx_run!(tx, conn => {
            sqlx::query(sql).bind(into).bind(from).execute(conn).await?.rows_affected()
        });
        moved.push((table, n));
    }
    // The survivor was last contacted when either of the two was.
    crate::tx_run!(tx, conn => {
        sqlx::query(
            "UPDATE counterparties SET \
             last_contact_at = (SELECT MAX(a.done_at) FROM activities a WHERE a.counterparty_id = $1 AND a.status = 'done' \
                 AND a.kind IN ('call', 'visit', 'meeting', 'email', 'letter')), \
             last_visit_at = (SELECT MAX(a.done_at) FROM activities a WHERE a.counterparty_id = $1 AND a.status = 'done' \
                 AND a.kind IN ('visit', 'meeting')) \
             WHERE id = $1",
        )
        .bind(into)
        .execute(conn)
        .await?;
    });
    Ok(moved)
}

/// Ids of records merged into `id` (directly), for the card's history.
pub async fn merged_from(db: &Db, id: Uuid) -> Result<Vec<Uuid>, DbError> {
    Ok(db_run!(db, pool => {
        sqlx::query_scalar::<_, Uuid>("SELECT id FROM counterparties WHERE merged_into = $1 ORDER BY id")
            .bind(id)
            .fetch_all(pool)
            .await?
    }))
}
