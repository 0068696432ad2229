//! Prospekt's domain: value types that cannot hold invalid values, and pure business rules.
//!
//! This crate does no I/O and knows nothing about databases, HTTP or async runtimes
//! (`cargo tree -p prospekt-domain -i sqlx` is empty, and CI checks it).

pub mod counterparty;
pub mod error;
pub mod identifiers;
pub mod ids;
pub mod money;
pub mod role;

pub use error::FieldError;
pub use money::Money;
pub use role::Role;
