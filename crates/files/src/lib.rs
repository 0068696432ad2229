//! Prospekt file formats.
//!
//! Import reads whatever table a user uploads (CSV from 1C or Excel in UTF-8 or windows-1251, XLSX, old XLS)
//! into one neutral [`Table`] of trimmed strings, so the import code validates values itself instead of
//! trusting a spreadsheet's guesses about types. Export writes CSV/XLSX that Russian Excel opens without
//! mangling (UTF-8 BOM, `;`, identifiers kept as text, formula injection neutralised) and vCard 3.0 for phones.
//!
//! The crate knows nothing about the database or async: callers hand it bytes and rows.

pub mod bank_1c;
mod csv_read;
mod csv_write;
mod guard;
mod read;
mod vcard;
mod xlsx_read;
mod xlsx_write;

pub use csv_write::CsvWriter;
pub use guard::neutralize_formula;
pub use read::{Format, ReadError, Row, Table, read_table};
pub use vcard::{VCard, vcards};
pub use xlsx_write::{WriteError, xlsx};
