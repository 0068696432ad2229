//! Delimited text: encoding detection, separator sniffing and parsing.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1251};

use crate::read::{Format, ReadError, Row, Table, finish_headers, normalize_width};

/// How much of the file the text heuristics look at: enough to judge, cheap for huge files.
const SAMPLE: usize = 64 * 1024;
/// How much of the file the windows-1251 plausibility check looks at.
const CP1251_SAMPLE: usize = 1024 * 1024;

pub(crate) fn read_csv(bytes: &[u8]) -> Result<Table, ReadError> {
    let (text, encoding) = decode(bytes)?;
    parse(&text, encoding)
}

/// Picks the encoding. Excel on Russian Windows saves "CSV" as windows-1251 and "CSV UTF-8" with a BOM;
/// 1C and most web services write UTF-8 without one; "Unicode text" from Excel is UTF-16LE with a BOM.
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), ReadError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        if rest.contains(&0) || !looks_like_text(&rest[..rest.len().min(SAMPLE)]) {
            return Err(ReadError::NotATable);
        }
        let text = std::str::from_utf8(rest).map_err(|_| ReadError::UnknownEncoding)?;
        return Ok((Cow::Borrowed(text), "utf-8"));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_utf16(rest, UTF_16LE);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_utf16(rest, UTF_16BE);
    }
    if bytes.contains(&0) {
        // NUL never occurs in 8-bit text; the only text that has them is BOM-less UTF-16.
        return match utf16_without_bom(bytes) {
            Some(encoding) => decode_utf16(bytes, encoding),
            None => Err(ReadError::NotATable),
        };
    }
    if !looks_like_text(&bytes[..bytes.len().min(SAMPLE)]) {
        return Err(ReadError::NotATable);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((Cow::Borrowed(text), "utf-8")),
        Err(_) if plausible_cp1251(&bytes[..bytes.len().min(CP1251_SAMPLE)]) => {
            let (text, _) = WINDOWS_1251.decode_without_bom_handling(bytes);
            Ok((text, "windows-1251"))
        }
        Err(_) => Err(ReadError::UnknownEncoding),
    }
}

fn decode_utf16<'a>(bytes: &'a [u8], encoding: &'static Encoding) -> Result<(Cow<'a, str>, &'static str), ReadError> {
    let text = encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .ok_or(ReadError::UnknownEncoding)?;
    let control = text
        .chars()
        .take(SAMPLE)
        .filter(|&c| c == '\0' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c')))
        .count();
    if text.contains('\0') || control * 100 > text.chars().take(SAMPLE).count() {
        return Err(ReadError::NotATable);
    }
    let name = if encoding == UTF_16LE { "utf-16le" } else { "utf-16be" };
    Ok((text, name))
}

/// BOM-less UTF-16 shows as NUL bytes on one side of every code unit (ASCII digits, separators, Latin),
/// and almost never on the other side.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(SAMPLE) & !1];
    let pairs = sample.len() / 2;
    if pairs == 0 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    if odd * 5 >= pairs && even * 50 <= pairs {
        Some(UTF_16LE)
    } else if even * 5 >= pairs && odd * 50 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Text has at most a handful of C0 control bytes besides tab, line breaks and form feed; binary data
/// has them everywhere.
fn looks_like_text(sample: &[u8]) -> bool {
    let control = sample
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    control * 100 <= sample.len()
}

/// Checks that the non-ASCII bytes read as Russian text in windows-1251, so CP866 or random 8-bit data
/// is reported as an unknown encoding instead of being imported as garbage.
fn plausible_cp1251(sample: &[u8]) -> bool {
    let (mut high, mut letters, mut odd) = (0usize, 0usize, 0usize);
    // Case transitions inside words: KOI8-R read as windows-1251 swaps the case of every letter, which
    // turns "Иванов" into "йЧАОПЧ" — lower-to-upper inside a word is otherwise rare.
    let (mut lower_upper, mut upper_lower) = (0usize, 0usize);
    let mut prev_case = None;
    for &b in sample {
        let case = match b {
            0xC0..=0xDF | 0xA8 => Some(true),
            0xE0..=0xFF | 0xB8 => Some(false),
            _ => None,
        };
        if b >= 0x80 {
            high += 1;
            if case.is_some() {
                letters += 1;
            } else if !matches!(
                b,
                0xA0 | 0xAB
                    | 0xBB
                    | 0xB9
                    | 0x96
                    | 0x97
                    | 0x93
                    | 0x94
                    | 0x84
                    | 0x85
                    | 0x91
                    | 0x92
                    | 0xB0
                    | 0xA7
                    | 0xA9
                    | 0xAE
                    | 0x99
                    | 0xB1
                    | 0x95
                    | 0x88
                    | 0x8B
                    | 0x9B
                    | 0xB2
                    | 0xB3
                    | 0xB4
            ) {
                odd += 1;
            }
        }
        match (prev_case, case) {
            (Some(false), Some(true)) => lower_upper += 1,
            (Some(true), Some(false)) => upper_lower += 1,
            _ => {}
        }
        prev_case = case;
    }
    let mostly_letters = letters * 2 >= high && odd * 20 <= high;
    let koi8_like = lower_upper >= 3 && lower_upper > upper_lower;
    high > 0 && mostly_letters && !koi8_like
}

/// Excel understands a first line `sep=;` and so do we; returns the rest of the text, how many lines
/// were skipped, and the declared separator.
fn separator_hint(text: &str) -> (&str, usize, Option<u8>) {
    let first_line_end = text.find('\n').unwrap_or(text.len());
    let first = text[..first_line_end].trim_end_matches('\r');
    if let Some(sep) = first.strip_prefix("sep=").or_else(|| first.strip_prefix("SEP="))
        && sep.len() == 1
        && matches!(sep.as_bytes()[0], b';' | b',' | b'\t' | b'|')
    {
        let rest = text.get(first_line_end + 1..).unwrap_or("");
        return (rest, 1, Some(sep.as_bytes()[0]));
    }
    (text, 0, None)
}

/// Counts candidate separators on the header line, outside quotes; ties and zero counts go to `;`
/// (then `,`), since `;` is what Russian Excel writes and a single-column file must not be split on commas.
fn sniff_separator(text: &str) -> u8 {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        if !line.trim().is_empty() {
            break;
        }
        start += line.len();
    }
    let header = &text.as_bytes()[start..text.len().min(start + SAMPLE)];
    let (mut semicolons, mut commas, mut tabs) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b';' if !quoted => semicolons += 1,
            b',' if !quoted => commas += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if semicolons >= commas && semicolons >= tabs {
        b';'
    } else if commas >= tabs {
        b','
    } else {
        b'\t'
    }
}

fn parse(text: &str, encoding: &'static str) -> Result<Table, ReadError> {
    let (body, skipped_lines, hint) = separator_hint(text);
    let separator = hint.unwrap_or_else(|| sniff_separator(body));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator)
        .buffer_capacity(256 * 1024)
        .from_reader(body.as_bytes());

    let mut lines = LineCounter::new(body.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut last_record: Option<(usize, usize)> = None;
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize + skipped_lines);
                return Err(ReadError::Malformed {
                    line,
                    reason: error.to_string(),
                });
            }
        }
        let byte = record.position().map_or(0, |p| p.byte() as usize);
        let (byte, line) = lines.record_start(byte);
        last_record = Some((byte, line));
        let width = headers.as_ref().map_or(record.len(), Vec::len);
        let mut cells = Vec::with_capacity(width.max(record.len()));
        cells.extend(record.iter().map(|field| field.trim().to_owned()));
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match &headers {
            None => headers = Some(finish_headers(cells)),
            Some(_) => {
                normalize_width(&mut cells, width);
                rows.push(Row {
                    line: line + skipped_lines,
                    cells,
                });
            }
        }
    }

    if let Some((byte, line)) = last_record
        && let Some(open_line) = unclosed_quote(&body.as_bytes()[byte..], separator)
    {
        return Err(ReadError::Malformed {
            line: line + open_line + skipped_lines,
            reason: "a quoted field is never closed".to_owned(),
        });
    }

    let headers = headers.ok_or(ReadError::Empty)?;
    if rows.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(Table {
        headers,
        rows,
        format: Format::Csv {
            encoding,
            separator: char::from(separator),
        },
    })
}

/// Line numbers of record starts. csv's own `Position::line` lags by one after a CRLF (the LF is only
/// consumed when the next record is read), so lines are counted here from byte offsets, incrementally.
struct LineCounter<'a> {
    bytes: &'a [u8],
    newline: u8,
    counted_to: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        // Classic Mac files break lines with a lone CR.
        let newline = if !bytes.contains(&b'\n') && bytes.contains(&b'\r') {
            b'\r'
        } else {
            b'\n'
        };
        LineCounter {
            bytes,
            newline,
            counted_to: 0,
            line: 1,
        }
    }

    /// Returns the byte offset and 1-based line of the record whose position csv reported as `byte`
    /// (which may point at the line break before it). Offsets must not decrease.
    fn record_start(&mut self, byte: usize) -> (usize, usize) {
        let mut start = byte.clamp(self.counted_to, self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let newline = self.newline;
        self.line += self.bytes[self.counted_to..start]
            .iter()
            .filter(|&&b| b == newline)
            .count();
        self.counted_to = start;
        (start, self.line)
    }
}

/// The csv crate silently reads an unterminated quoted field up to the end of the file, which would
/// glue the rest of an upload into one cell. Such a field can only be in the last record, so re-scan that
/// record with the same state machine; returns the 0-based line offset (within it) where the quote opened.
fn unclosed_quote(tail: &[u8], separator: u8) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let (mut line, mut open_line) = (0, 0);
    for &b in tail {
        let boundary = b == separator || b == b'\n' || b == b'\r';
        state = match state {
            State::FieldStart if b == b'"' => {
                open_line = line;
                State::Quoted
            }
            State::FieldStart | State::Unquoted => {
                if boundary {
                    State::FieldStart
                } else {
                    State::Unquoted
                }
            }
            State::Quoted if b == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if b == b'"' => State::Quoted,
            State::QuoteInQuoted if boundary => State::FieldStart,
            State::QuoteInQuoted => State::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    (state == State::Quoted).then_some(open_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_ignores_quoted_separators_and_leading_blank_lines() {
        assert_eq!(sniff_separator("\n  \n\"a;b;c\",d,e\n"), b',');
        assert_eq!(sniff_separator("\"a;b;c\",d,e;f\n1;2;3;4;5"), b',');
        assert_eq!(sniff_separator("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_separator("a,b;c\n"), b';');
        assert_eq!(sniff_separator("Название\n"), b';');
    }

    #[test]
    fn unclosed_quote_is_found_only_when_open_at_the_end() {
        assert_eq!(unclosed_quote(b"a;\"b\nc;d\n", b';'), Some(0));
        assert_eq!(unclosed_quote(b"a;\"b\"\"c\"\n", b';'), None);
        assert_eq!(unclosed_quote(b"a;OOO \"Roga\";c\n", b';'), None);
        assert_eq!(unclosed_quote(b"a;b\nc;\"d\n", b';'), Some(1));
    }

    #[test]
    fn cp1251_plausibility() {
        let (russian, _, _) = WINDOWS_1251.encode("Иванов Иван Петрович; ООО «Ромашка» № 5");
        assert!(plausible_cp1251(&russian));
        let (koi8, _, _) = encoding_rs::KOI8_R.encode("Иванов Иван Петрович; Сидоров Пётр Ильич; Москва");
        assert!(!plausible_cp1251(&koi8));
        let (cp866, _, _) = encoding_rs::IBM866.encode("Иванов Иван Петрович; Сидоров Пётр Ильич");
        assert!(!plausible_cp1251(&cp866));
        assert!(plausible_cp1251(&WINDOWS_1251.encode("ИВАНОВ ИВАН;ООО РОМАШКА").0));
    }
}
