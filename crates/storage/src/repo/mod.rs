//! Repositories: one module per aggregate, each function written once for both backends.

pub mod audit;
pub mod counterparties;
pub mod sessions;
pub mod tokens;
pub mod users;

/// Which records a read may return. The application layer derives it from the actor's role
/// and absences; storage only turns it into a `WHERE` clause and never decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record (directors, administrators, credit control).
    All,
    /// Records of these departments.
    Departments(Vec<uuid::Uuid>),
    /// Records owned by these users (a manager and those they stand in for).
    Owners(Vec<uuid::Uuid>),
}
