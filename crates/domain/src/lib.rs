//! Prospekt's domain: value types that cannot hold invalid values, and pure business rules.
//!
//! This crate does no I/O and knows nothing about databases, HTTP or async runtimes
//! (`cargo tree -p prospekt-domain -i sqlx` is empty, and CI checks it).

// Declared before the modules so that every module can use it.
/// Declares a closed string enum with `as_str`, `parse`, `ALL` and serde in snake_case.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, $code:literal { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Result<Self, FieldError> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err(FieldError::new($field, $code).with("value", other)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod absence;
pub mod activity;
pub mod allocation;
pub mod bank_match;
pub mod calendar;
pub mod contact;
pub mod contact_plan;
pub mod counterparty;
pub mod error;
pub mod ical;
pub mod identifiers;
pub mod ids;
pub mod import;
pub mod interest;
pub mod money;
pub mod offer;
pub mod order;
pub mod payment_purpose;
pub mod pricing;
pub mod receivables;
pub mod role;
pub mod search;
pub mod vat;
pub mod words;

pub use error::FieldError;
pub use money::Money;
pub use role::Role;
