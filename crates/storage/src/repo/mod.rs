//! Repositories: one module per aggregate, each function written once for both backends.

pub mod absences;
pub mod activities;
pub mod audit;
pub mod bank;
pub mod bank_accounts;
pub mod catalog;
pub mod collections;
pub mod contacts;
pub mod counterparties;
pub mod deals;
pub mod import;
pub mod ledger;
pub mod offers;
pub mod org;
pub mod plan;
pub mod search;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod users;

/// Bind marks for `n` values numbered from `first`: `$first, …` on PostgreSQL, anonymous `?` on
/// SQLite, which looks a numbered parameter up by name in a list — time quadratic in the number
/// of parameters, seconds for a statement of thousands. A statement built with these binds its
/// values in the order they appear in the text, and uses no numbered marks on SQLite.
pub(crate) fn bind_marks(sqlite: bool, first: usize, n: usize) -> String {
    if sqlite {
        vec!["?"; n].join(", ")
    } else {
        (first..first + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which records a read may return. The application layer derives it from the actor's role
/// and absences; storage only turns it into a `WHERE` clause and never decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record (directors, administrators, credit control).
    All,
    /// Records of these departments, plus records owned by these users (a manager, and
    /// whoever they stand in for during an absence).
    Limited {
        departments: Vec<uuid::Uuid>,
        owners: Vec<uuid::Uuid>,
    },
}

impl Scope {
    /// Whether a record with this owner and department is inside the scope.
    pub fn contains(&self, owner_id: Option<uuid::Uuid>, department_id: Option<uuid::Uuid>) -> bool {
        match self {
            Scope::All => true,
            Scope::Limited { departments, owners } => {
                department_id.is_some_and(|d| departments.contains(&d)) || owner_id.is_some_and(|o| owners.contains(&o))
            }
        }
    }

    /// Appends `AND (<dept_col> IN (...) OR <owner_col> IN (...))` with numbered placeholders
    /// starting after `*n`, and returns the ids to bind in order. Empty scope matches nothing.
    pub fn push_filter(&self, sql: &mut String, n: &mut usize, dept_col: &str, owner_col: &str) -> Vec<uuid::Uuid> {
        let Scope::Limited { departments, owners } = self else {
            return Vec::new();
        };
        let mut list = |ids: &[uuid::Uuid]| -> String {
            ids.iter()
                .map(|_| {
                    *n += 1;
                    format!("${n}")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        if !departments.is_empty() {
            parts.push(format!("{dept_col} IN ({})", list(departments)));
        }
        if !owners.is_empty() {
            parts.push(format!("{owner_col} IN ({})", list(owners)));
        }
        if parts.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
        }
        departments.iter().chain(owners.iter()).copied().collect()
    }
}
