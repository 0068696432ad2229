use std::fmt;

use crate::{csv_read, xlsx_read};

/// A table read from a file: a header row and data rows, each with its 1-based line (CSV line of the row
/// start, or XLSX row number), so import errors can point the user at the place to fix in their own file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Header cells, trimmed; trailing empty headers (from trailing separators) are dropped.
    pub headers: Vec<String>,
    /// Non-empty data rows in file order.
    pub rows: Vec<Row>,
    /// What the file turned out to be, to show the user what was detected.
    pub format: Format,
}

/// One data row. Cells are trimmed; short rows are padded with empty strings so that
/// `cells.len() == headers.len()`, and only non-empty surplus cells are kept so import can flag them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line (CSV: line where the record starts) or row number (spreadsheets).
    pub line: usize,
    /// Cell texts.
    pub cells: Vec<String>,
}

/// The detected file format, reported back so the UI can say "read as windows-1251, `;`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text. `encoding` is `"utf-8"`, `"windows-1251"`, `"utf-16le"` or `"utf-16be"`.
    Csv { encoding: &'static str, separator: char },
    /// Office Open XML workbook (first visible worksheet).
    Xlsx,
    /// Legacy binary Excel 97-2003 workbook (first visible worksheet).
    Xls,
}

/// Why a file could not be read; [`ReadError::code`] gives a stable key for UI messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Nothing to import: no rows at all, or a header row only.
    Empty,
    /// Not a spreadsheet or delimited text (an image, a PDF, an arbitrary archive, binary data).
    NotATable,
    /// Looks like text, but in an encoding we cannot tell apart reliably (e.g. CP866, KOI8-R).
    UnknownEncoding,
    /// The file is a table but broken at `line` (0 when the position is unknown, e.g. a damaged workbook).
    Malformed { line: usize, reason: String },
}

impl ReadError {
    /// Stable machine-readable code, so the web layer can translate messages without matching on text.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "file_empty",
            ReadError::NotATable => "file_not_table",
            ReadError::UnknownEncoding => "file_encoding",
            ReadError::Malformed { .. } => "file_malformed",
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Empty => f.write_str("the file has no data rows"),
            ReadError::NotATable => f.write_str("the file is not a CSV or Excel table"),
            ReadError::UnknownEncoding => f.write_str("the text encoding of the file is not supported"),
            ReadError::Malformed { line: 0, reason } => write!(f, "the file is damaged: {reason}"),
            ReadError::Malformed { line, reason } => write!(f, "the file is damaged at line {line}: {reason}"),
        }
    }
}

impl std::error::Error for ReadError {}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Signatures of common non-table uploads that could otherwise slip through the text heuristics
/// (a PDF header, for one, is plain ASCII).
const BINARY_MAGICS: &[&[u8]] = &[
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"\xFF\xD8\xFF",
    b"GIF87a",
    b"GIF89a",
    b"\x1F\x8B",
    b"7z\xBC\xAF\x27\x1C",
    b"Rar!\x1A\x07",
    b"\x7FELF",
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"{\\rtf",
    b"%!PS",
];

/// Reads an uploaded table, detecting the format by content because file names and MIME types from
/// browsers are unreliable (a `.csv` saved by Excel may be windows-1251, a `.xls` may really be XLSX).
pub fn read_table(bytes: &[u8]) -> Result<Table, ReadError> {
    if bytes.starts_with(ZIP_MAGIC) {
        return xlsx_read::read_xlsx(bytes);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return xlsx_read::read_xls(bytes);
    }
    if BINARY_MAGICS.iter().any(|magic| bytes.starts_with(magic)) {
        return Err(ReadError::NotATable);
    }
    csv_read::read_csv(bytes)
}

/// Turns parsed cells into a [`Row`] shape: pads to the header width, drops empty surplus cells.
pub(crate) fn normalize_width(cells: &mut Vec<String>, width: usize) {
    if cells.len() < width {
        cells.resize(width, String::new());
    } else {
        while cells.len() > width && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
    }
}

/// Builds the header row: trimmed already, trailing empty headers removed (Excel leaves trailing separators).
pub(crate) fn finish_headers(mut headers: Vec<String>) -> Vec<String> {
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    if let Some(first) = headers.first_mut()
        && let Some(rest) = first.strip_prefix('\u{feff}')
    {
        // A second BOM (file concatenated or re-saved by a naive tool) must not become part of a header name.
        *first = rest.trim().to_owned();
    }
    headers
}
