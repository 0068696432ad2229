use std::fmt;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::guard::neutralize_formula;

/// Excel's hard limit on rows per sheet, header included.
const MAX_ROWS: usize = 1_048_576;
/// Excel's hard limit on characters in a cell.
const MAX_CELL_CHARS: usize = 32_767;
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

/// Why an XLSX export failed; [`WriteError::code`] gives a stable key for UI messages.
#[derive(Debug)]
pub enum WriteError {
    /// More data rows than fit on one Excel sheet (1,048,575); the caller should filter or use CSV.
    TooManyRows,
    /// The workbook could not be assembled (e.g. no writable temp directory for a large export).
    Xlsx(String),
}

impl WriteError {
    /// Stable machine-readable code, so the web layer can translate messages without matching on text.
    pub fn code(&self) -> &'static str {
        match self {
            WriteError::TooManyRows => "export_too_many_rows",
            WriteError::Xlsx(_) => "export_failed",
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::TooManyRows => write!(f, "more than {} rows do not fit on an Excel sheet", MAX_ROWS - 1),
            WriteError::Xlsx(message) => write!(f, "cannot build the XLSX file: {message}"),
        }
    }
}

impl std::error::Error for WriteError {}

impl From<XlsxError> for WriteError {
    fn from(error: XlsxError) -> Self {
        WriteError::Xlsx(error.to_string())
    }
}

/// Builds a one-sheet workbook ready to work with: bold frozen header, autofilter, column widths from the
/// content (capped at 60). Every cell is written as a string, so INNs, KPPs, account numbers and phones keep
/// their leading zeros and all digits instead of becoming 7.7E+9; formula injection is neutralised.
///
/// Rows are streamed to a temp file (rust_xlsxwriter's constant-memory mode), so a 1,000,000-row export
/// needs memory for the compressed result only; without a writable temp dir it falls back to memory.
pub fn xlsx(sheet: &str, headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let header_format = Format::new().set_bold();
    let worksheet = if workbook.add_worksheet_with_constant_memory().is_ok() {
        workbook.worksheet_from_index(0)?
    } else {
        workbook.add_worksheet()
    };
    worksheet.set_name(sheet_name(sheet))?;

    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count() + 3).collect();
    for (col, header) in headers.iter().enumerate() {
        write_cell(worksheet, 0, col, header, Some(&header_format))?;
    }
    let mut last_row = 0;
    for (index, row) in rows.into_iter().enumerate() {
        let row_number = index + 1;
        if row_number >= MAX_ROWS {
            return Err(WriteError::TooManyRows);
        }
        for (col, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            let chars = cell.chars().count();
            if col >= widths.len() {
                widths.resize(col + 1, 0);
            }
            widths[col] = widths[col].max(chars.min(MAX_WIDTH));
            write_cell(worksheet, row_number, col, cell, None)?;
        }
        last_row = row_number;
    }

    // Column metadata is emitted when the sheet is assembled, so setting it after streaming is fine.
    for (col, width) in widths.iter().enumerate() {
        let width = (width + 1).clamp(MIN_WIDTH, MAX_WIDTH);
        worksheet.set_column_width(col as u16, width as f64)?;
    }
    if !headers.is_empty() {
        worksheet.set_freeze_panes(1, 0)?;
        worksheet.autofilter(0, 0, last_row as u32, (headers.len() - 1) as u16)?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn write_cell(
    worksheet: &mut Worksheet,
    row: usize,
    col: usize,
    text: &str,
    format: Option<&Format>,
) -> Result<(), WriteError> {
    let col = u16::try_from(col).map_err(|_| WriteError::Xlsx(format!("too many columns: {}", col + 1)))?;
    let text = neutralize_formula(text);
    let text = truncate_chars(&text, MAX_CELL_CHARS);
    match format {
        Some(format) => worksheet.write_string_with_format(row as u32, col, text, format)?,
        None => worksheet.write_string(row as u32, col, text)?,
    };
    Ok(())
}

fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Excel rejects sheet names over 31 characters, with `[]:*?/\`, or wrapped in apostrophes; a caller's
/// title ("Сделки 01.01–31.03/2025") should still produce a file rather than an error.
fn sheet_name(requested: &str) -> String {
    let cleaned: String = requested
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned: String = cleaned.trim().trim_matches('\'').chars().take(31).collect();
    let cleaned = cleaned.trim_end_matches('\'').trim();
    if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("history") {
        "Sheet1".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_made_valid() {
        assert_eq!(sheet_name("Контрагенты"), "Контрагенты");
        assert_eq!(sheet_name("Сделки 01.01/31.03"), "Сделки 01.01_31.03");
        assert_eq!(sheet_name("  "), "Sheet1");
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name("History"), "Sheet1");
        assert_eq!(sheet_name(&"я".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("Привет", 3), "При");
        assert_eq!(truncate_chars("abc", 5), "abc");
    }
}
