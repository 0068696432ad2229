//! Spreadsheets via calamine: every cell comes back as text the way a person would type it.

use std::fmt::Write as _;
use std::io::Cursor;

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsx, XlsxError};

use crate::read::{Format, ReadError, Row, Table, finish_headers, normalize_width};

pub(crate) fn read_xlsx(bytes: &[u8]) -> Result<Table, ReadError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|error| match error {
        // Any other ZIP (a .docx, an archive of scans) lacks the workbook parts.
        XlsxError::Zip(_) | XlsxError::FileNotFound(_) | XlsxError::RelationshipNotFound => ReadError::NotATable,
        other => malformed(other),
    })?;
    let range = first_sheet(&mut workbook)?.map_err(malformed)?;
    table_from_range(&range, Format::Xlsx)
}

pub(crate) fn read_xls(bytes: &[u8]) -> Result<Table, ReadError> {
    let mut workbook = Xls::new(Cursor::new(bytes)).map_err(|error| match error {
        XlsError::Password => ReadError::Malformed {
            line: 0,
            reason: "the workbook is password-protected".to_owned(),
        },
        // Other OLE files (.doc, .msg, encrypted OOXML) have no "Workbook" stream.
        _ => ReadError::NotATable,
    })?;
    let range = first_sheet(&mut workbook)?.map_err(malformed)?;
    table_from_range(&range, Format::Xls)
}

fn malformed(error: impl std::fmt::Display) -> ReadError {
    ReadError::Malformed {
        line: 0,
        reason: error.to_string(),
    }
}

/// The first visible worksheet: users keep lookup lists and drafts on hidden sheets, and a chart sheet
/// has no cells. Falls back to the very first sheet when nothing matches.
fn first_sheet<RS, R>(workbook: &mut R) -> Result<Result<Range<Data>, R::Error>, ReadError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
{
    let index = {
        let sheets = workbook.sheets_metadata();
        if sheets.is_empty() {
            return Err(ReadError::Empty);
        }
        sheets
            .iter()
            .position(|sheet| sheet.typ == SheetType::WorkSheet && sheet.visible == SheetVisible::Visible)
            .unwrap_or(0)
    };
    workbook.worksheet_range_at(index).ok_or(ReadError::Empty)
}

fn table_from_range(range: &Range<Data>, format: Format) -> Result<Table, ReadError> {
    let Some((first_row, _)) = range.start() else {
        return Err(ReadError::Empty);
    };
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (index, row) in range.rows().enumerate() {
        let width = headers.as_ref().map_or(row.len(), Vec::len);
        let mut cells = Vec::with_capacity(width.max(row.len()));
        cells.extend(row.iter().map(cell_text));
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match &headers {
            None => headers = Some(finish_headers(cells)),
            Some(_) => {
                normalize_width(&mut cells, width);
                rows.push(Row {
                    line: first_row as usize + index + 1,
                    cells,
                });
            }
        }
    }
    let headers = headers.ok_or(ReadError::Empty)?;
    if rows.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(Table { headers, rows, format })
}

/// Renders a cell as text. Integral numbers lose the ".0" (INNs, phones and account numbers are often
/// stored as numbers), fractions are cut to Excel's 15 significant digits so binary noise such as
/// 0.30000000000000004 does not leak into imports, and dates become ISO `YYYY-MM-DD[ HH:MM:SS]`.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.trim().to_owned(),
        Data::Int(value) => value.to_string(),
        Data::Float(value) => float_text(*value),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(value) if value.is_datetime() => {
            let (year, month, day, hour, minute, second, _) = value.to_ymd_hms_milli();
            let mut text = format!("{year:04}-{month:02}-{day:02}");
            if (hour, minute, second) != (0, 0, 0) {
                let _ = write!(text, " {hour:02}:{minute:02}:{second:02}");
            }
            text
        }
        Data::DateTime(value) => float_text(value.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.trim().to_owned(),
        Data::Error(error) => error.to_string(),
    }
}

fn float_text(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    // Rust prints integral floats without ".0" and never in exponent form, so 7707083893.0 -> "7707083893".
    if value.fract() == 0.0 {
        return value.to_string();
    }
    let magnitude = value.abs().log10().floor() as i32 + 1;
    let decimals = (15 - magnitude).clamp(0, 30) as usize;
    let text = format!("{value:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_like_excel_shows_them() {
        assert_eq!(float_text(7707083893.0), "7707083893");
        assert_eq!(float_text(500100732259.0), "500100732259");
        assert_eq!(float_text(79161234567.0), "79161234567");
        assert_eq!(float_text(-150.0), "-150");
        assert_eq!(float_text(1234.56), "1234.56");
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(-0.0), "0");
        assert_eq!(float_text(0.000125), "0.000125");
        assert_eq!(float_text(1e20), "100000000000000000000");
    }
}
