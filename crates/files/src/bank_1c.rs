//! Bank statements in the 1C "Client–Bank" exchange format (`1CClientBankExchange`, versions 1.02/1.03).
//!
//! Every Russian business bank exports account statements in this `Key=Value` text format; the CRM imports
//! them to see incoming payments. [`parse_statement`] turns the bytes of such a file into a [`Statement`]:
//! the header, the balance sections (`СекцияРасчСчет`) and one [`StatementDoc`] per payment
//! (`СекцияДокумент`), with amounts in kopecks and dates as [`NaiveDate`].
//!
//! Parsing is strict about structure and values and stops at the first problem with a [`StatementError`]
//! naming the 1-based line: a half-read statement would silently lose payments. It is lenient where banks
//! differ: CRLF or LF, spaces around keys and values, unknown keys (ignored), `Key=` (same as absent), a
//! comma instead of the decimal dot, `ПлательщикРасчСчет` instead of `ПлательщикСчет`,
//! `НазначениеПлатежа1..N` instead of `НазначениеПлатежа`.
//!
//! Deciding the direction of a document, deduplicating ([`StatementDoc::fingerprint`]) and matching payments
//! to invoices is the importer's job; this module knows nothing about "our" accounts.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDate;
use encoding_rs::{Encoding, IBM866, UTF_8, WINDOWS_1251};

/// The first line of every exchange file.
const MARKER: &str = "1CClientBankExchange";
/// The header key that declares the encoding.
const ENCODING_KEY: &str = "Кодировка";
/// How far into the file the `Кодировка=` header is looked for; the header is a dozen short lines.
const HEADER_SCAN: usize = 64 * 1024;

const BALANCE_START: &str = "СекцияРасчСчет";
const BALANCE_END: &str = "КонецРасчСчет";
const DOCUMENT_START: &str = "СекцияДокумент";
const DOCUMENT_END: &str = "КонецДокумента";
const FILE_END: &str = "КонецФайла";
const PURPOSE: &str = "НазначениеПлатежа";

/// The text encoding the file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceEncoding {
    /// `Кодировка=Windows`: windows-1251, what nearly every bank writes.
    Windows1251,
    /// `Кодировка=DOS`: cp866, from old bank systems.
    Dos866,
    /// UTF-8, written by some modern banks whatever the header says.
    Utf8,
}

impl SourceEncoding {
    /// The usual name of the encoding, for showing what was detected.
    pub const fn as_str(self) -> &'static str {
        match self {
            SourceEncoding::Windows1251 => "windows-1251",
            SourceEncoding::Dos866 => "cp866",
            SourceEncoding::Utf8 => "utf-8",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            SourceEncoding::Windows1251 => WINDOWS_1251,
            SourceEncoding::Dos866 => IBM866,
            SourceEncoding::Utf8 => UTF_8,
        }
    }
}

/// A parsed statement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// `ВерсияФормата`, e.g. `1.03`.
    pub version: Option<String>,
    /// The encoding the file was actually read in.
    pub encoding: SourceEncoding,
    /// `Отправитель`: the bank system that wrote the file.
    pub sender: Option<String>,
    /// `ДатаСоздания`.
    pub created_on: Option<NaiveDate>,
    /// `ДатаНачала` of the header: first day covered.
    pub period_from: Option<NaiveDate>,
    /// `ДатаКонца` of the header: last day covered.
    pub period_to: Option<NaiveDate>,
    /// The header's `РасчСчет` values (the accounts the statement covers), in file order, without repeats.
    pub accounts: Vec<String>,
    /// One entry per `СекцияРасчСчет`, in file order (some banks write one per day).
    pub balances: Vec<AccountSection>,
    /// One entry per `СекцияДокумент`, in file order, incoming and outgoing alike.
    pub documents: Vec<StatementDoc>,
}

/// A `СекцияРасчСчет`: balances of one account over a period, in kopecks.
///
/// `opening + credited - debited == closing` is checked while parsing. Missing amounts count as zero;
/// balances (unlike document amounts) may be zero or negative (an overdraft).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSection {
    /// 1-based line of `СекцияРасчСчет`.
    pub line: usize,
    /// `РасчСчет`.
    pub account: String,
    /// `ДатаНачала`.
    pub period_from: Option<NaiveDate>,
    /// `ДатаКонца`.
    pub period_to: Option<NaiveDate>,
    /// `НачальныйОстаток`.
    pub opening: i64,
    /// `ВсегоПоступило`: total incoming.
    pub credited: i64,
    /// `ВсегоСписано`: total outgoing.
    pub debited: i64,
    /// `КонечныйОстаток`.
    pub closing: i64,
}

/// A `СекцияДокумент`: one payment, incoming or outgoing.
///
/// Optional identifiers are `None` when absent, empty or all zeros (`ПлательщикИНН=0` is what banks write for
/// individuals and foreign payers). Accounts and names are empty strings when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementDoc {
    /// 1-based line of `СекцияДокумент`.
    pub line: usize,
    /// The document kind after `СекцияДокумент=`, e.g. `Платежное поручение`.
    pub kind: String,
    /// `Номер`: set by the payer, not unique.
    pub number: String,
    /// `Дата`: the payer's document date (not the crediting date).
    pub date: NaiveDate,
    /// `Сумма` in kopecks, always positive.
    pub amount: i64,
    /// `ПлательщикСчет`, or `ПлательщикРасчСчет` when the former is absent.
    pub payer_account: String,
    /// `ПлательщикИНН`.
    pub payer_inn: Option<String>,
    /// `ПлательщикКПП`.
    pub payer_kpp: Option<String>,
    /// `Плательщик1`, or `Плательщик` without its leading `ИНН …`.
    pub payer_name: String,
    /// `ПлательщикБИК`.
    pub payer_bik: Option<String>,
    /// `ПолучательСчет`, or `ПолучательРасчСчет` when the former is absent.
    pub payee_account: String,
    /// `ПолучательИНН`.
    pub payee_inn: Option<String>,
    /// `Получатель1`, or `Получатель` without its leading `ИНН …`.
    pub payee_name: String,
    /// `ДатаПоступило`: credited to the payee (set for incoming payments); the value date for receivables.
    pub credited_on: Option<NaiveDate>,
    /// `ДатаСписано`: debited from the payer (set for outgoing payments).
    pub debited_on: Option<NaiveDate>,
    /// `НазначениеПлатежа`, or `НазначениеПлатежа1..N` joined with spaces; empty when absent.
    pub purpose: String,
    /// The section's lines from `СекцияДокумент` to `КонецДокумента` as decoded text, joined with `\n`,
    /// kept for audit.
    pub raw: String,
}

impl StatementDoc {
    /// The idempotency key of a payment, the same in every statement that contains it (daily and monthly
    /// exports overlap): `payer account|payee account|number|date|amount|value date`, dates as ISO
    /// `YYYY-MM-DD`, the amount in kopecks and the value date being `ДатаПоступило`, else `ДатаСписано`,
    /// else empty. It does not depend on which side is "ours"; the direction follows from the accounts.
    pub fn fingerprint(&self) -> String {
        let value_date = self
            .credited_on
            .or(self.debited_on)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.payer_account,
            self.payee_account,
            self.number,
            self.date.format("%Y-%m-%d"),
            self.amount,
            value_date
        )
    }
}

/// Why a statement was rejected.
///
/// `code` is stable and localised by the UI: `not_1c_exchange`, `missing_end_of_file`, `section_not_closed`,
/// `bad_date`, `bad_amount`, `bad_encoding`, `missing_field`, `unexpected_line`, `balance_mismatch`.
/// `detail` is English text for developers and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    /// 1-based line of the problem (for an unclosed section, the line that opened it).
    pub line: usize,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What exactly is wrong, in English.
    pub detail: String,
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bank statement line {}: {} ({})", self.line, self.detail, self.code)
    }
}

impl std::error::Error for StatementError {}

fn error(line: usize, code: &'static str, detail: impl Into<String>) -> StatementError {
    StatementError {
        line,
        code,
        detail: detail.into(),
    }
}

/// Parses a statement file in the 1C exchange format.
///
/// The encoding is detected: a file that is valid UTF-8 and contains Cyrillic is UTF-8 (so is one with a
/// UTF-8 BOM); otherwise the `Кодировка=` header line decides, recognised in whichever of UTF-8,
/// windows-1251 and cp866 its key is spelled — the spelling of the key is the file's real encoding, and in
/// well-formed files it agrees with the value (`Windows`, `DOS`, `UTF-8`). Without that header the file is
/// read as windows-1251.
///
/// Blank lines are skipped anywhere; a non-blank line that is neither a section marker nor `Key=Value` is an
/// `unexpected_line` (in the header too); anything after `КонецФайла` is ignored.
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, StatementError> {
    let (text, encoding) = decode(bytes);
    let lines = split_lines(&text);

    let first = lines.iter().position(|l| !l.trim().is_empty());
    let Some(first) = first.filter(|&i| lines[i].trim() == MARKER) else {
        return Err(error(
            1,
            "not_1c_exchange",
            format!("the file does not start with {MARKER}"),
        ));
    };

    let mut statement = Statement {
        version: None,
        encoding,
        sender: None,
        created_on: None,
        period_from: None,
        period_to: None,
        accounts: Vec::new(),
        balances: Vec::new(),
        documents: Vec::new(),
    };
    let mut open: Option<Section<'_>> = None;
    let mut ended = false;

    for (index, raw) in lines.iter().enumerate().skip(first + 1) {
        let line = index + 1;
        check_characters(raw, line)?;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (key, value) = match trimmed.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value.trim())),
            None => (trimmed, None),
        };
        match key {
            BALANCE_START | DOCUMENT_START => {
                if let Some(section) = &open {
                    return Err(section.not_closed(format!("before another section opens at line {line}")));
                }
                let kind = match key {
                    BALANCE_START => SectionKind::Balance,
                    _ => SectionKind::Document(value.unwrap_or("")),
                };
                open = Some(Section {
                    line,
                    start: index,
                    kind,
                    fields: Vec::new(),
                });
            }
            BALANCE_END | DOCUMENT_END => {
                let Some(section) = open.take() else {
                    return Err(error(line, "unexpected_line", format!("{key} without an open section")));
                };
                match (section.kind, key) {
                    (SectionKind::Balance, BALANCE_END) => statement.balances.push(section.balance()?),
                    (SectionKind::Document(kind), DOCUMENT_END) => {
                        let raw = lines[section.start..=index].join("\n");
                        statement.documents.push(section.document(kind, raw)?);
                    }
                    _ => return Err(section.not_closed(format!("{key} at line {line} closes another kind"))),
                }
            }
            FILE_END => {
                if let Some(section) = &open {
                    return Err(section.not_closed(format!("before {FILE_END} at line {line}")));
                }
                ended = true;
                break;
            }
            _ => {
                let Some(value) = value.filter(|_| !key.is_empty()) else {
                    return Err(error(line, "unexpected_line", "the line is not a Key=Value pair"));
                };
                if value.is_empty() {
                    continue;
                }
                let field = Field { line, key, value };
                match &mut open {
                    Some(section) => section.fields.push(field),
                    None => header_field(&mut statement, &field)?,
                }
            }
        }
    }

    if let Some(section) = &open {
        return Err(section.not_closed("before the end of the file".to_owned()));
    }
    if !ended {
        let last = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(1, |i| i + 1);
        return Err(error(
            last,
            "missing_end_of_file",
            format!("the file does not end with {FILE_END}"),
        ));
    }
    Ok(statement)
}

/// Decodes the whole file; see [`parse_statement`] for the rules.
fn decode(bytes: &[u8]) -> (Cow<'_, str>, SourceEncoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        // Invalid sequences become U+FFFD and are reported with their line.
        return (UTF_8.decode_without_bom_handling(rest).0, SourceEncoding::Utf8);
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.chars().any(|c| ('\u{400}'..='\u{4FF}').contains(&c))
    {
        return (Cow::Borrowed(text), SourceEncoding::Utf8);
    }
    let source = declared_encoding(bytes).unwrap_or(SourceEncoding::Windows1251);
    (source.encoding().decode_without_bom_handling(bytes).0, source)
}

/// Finds the `Кодировка=` header line in the raw bytes and returns the encoding its key is spelled in.
fn declared_encoding(bytes: &[u8]) -> Option<SourceEncoding> {
    let head = &bytes[..bytes.len().min(HEADER_SCAN)];
    head.split(|&b| b == b'\n' || b == b'\r').find_map(|line| {
        let eq = line.iter().position(|&b| b == b'=')?;
        let key = line[..eq].trim_ascii();
        [
            SourceEncoding::Windows1251,
            SourceEncoding::Dos866,
            SourceEncoding::Utf8,
        ]
        .into_iter()
        .find(|source| {
            source
                .encoding()
                .decode_without_bom_handling_and_without_replacement(key)
                .as_deref()
                == Some(ENCODING_KEY)
        })
    })
}

/// Splits on LF (dropping the CR of CRLF); a file without any LF is split on CR (old Mac line ends).
fn split_lines(text: &str) -> Vec<&str> {
    if text.contains('\n') {
        text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect()
    } else {
        text.split('\r').collect()
    }
}

/// Rejects undecodable bytes (U+FFFD) and control characters other than tab: they mean a wrong encoding, a
/// binary or a damaged file, and must not reach the database.
fn check_characters(line: &str, number: usize) -> Result<(), StatementError> {
    match line.chars().find(|&c| c == '\u{FFFD}' || (c.is_control() && c != '\t')) {
        None => Ok(()),
        Some('\u{FFFD}') => Err(error(
            number,
            "bad_encoding",
            "bytes that are not valid in the file's encoding",
        )),
        Some(c) => Err(error(
            number,
            "bad_encoding",
            format!("control character U+{:04X}", u32::from(c)),
        )),
    }
}

fn header_field(statement: &mut Statement, field: &Field<'_>) -> Result<(), StatementError> {
    match field.key {
        "ВерсияФормата" => statement.version = Some(field.value.to_owned()),
        "Отправитель" => statement.sender = Some(field.value.to_owned()),
        "ДатаСоздания" => statement.created_on = Some(field.date()?),
        "ДатаНачала" => statement.period_from = Some(field.date()?),
        "ДатаКонца" => statement.period_to = Some(field.date()?),
        "РасчСчет" if !statement.accounts.iter().any(|a| a == field.value) => {
            statement.accounts.push(field.value.to_owned());
        }
        _ => {}
    }
    Ok(())
}

/// A non-empty `Key=Value` line, both trimmed.
struct Field<'a> {
    line: usize,
    key: &'a str,
    value: &'a str,
}

impl Field<'_> {
    fn date(&self) -> Result<NaiveDate, StatementError> {
        parse_date(self.value).ok_or_else(|| {
            let detail = format!("{} \"{}\" is not a date DD.MM.YYYY", self.key, self.value);
            error(self.line, "bad_date", detail)
        })
    }

    fn amount(&self, signed: bool) -> Result<i64, StatementError> {
        parse_kopecks(self.value, signed).ok_or_else(|| {
            let what = if signed { "an amount" } else { "a positive amount" };
            let detail = format!(
                "{} \"{}\" is not {what} with at most two decimals",
                self.key, self.value
            );
            error(self.line, "bad_amount", detail)
        })
    }
}

#[derive(Clone, Copy)]
enum SectionKind<'a> {
    Balance,
    Document(&'a str),
}

/// An open section and its non-empty fields.
struct Section<'a> {
    /// 1-based line of the opening marker.
    line: usize,
    /// Index of the opening marker in the line list.
    start: usize,
    kind: SectionKind<'a>,
    fields: Vec<Field<'a>>,
}

impl<'a> Section<'a> {
    /// The last non-empty value of `key` (a repeated key overrides).
    fn get(&self, key: &str) -> Option<&Field<'a>> {
        self.fields.iter().rev().find(|f| f.key == key)
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(|f| f.value.to_owned())
    }

    fn date(&self, key: &str) -> Result<Option<NaiveDate>, StatementError> {
        self.get(key).map(Field::date).transpose()
    }

    fn required(&self, key: &str) -> Result<&Field<'a>, StatementError> {
        self.get(key)
            .ok_or_else(|| error(self.line, "missing_field", format!("the section has no {key}")))
    }

    /// An identifier (INN, KPP, BIK); all zeros means "none".
    fn identifier(&self, key: &str) -> Option<String> {
        self.get(key)
            .filter(|f| !f.value.bytes().all(|b| b == b'0'))
            .map(|f| f.value.to_owned())
    }

    /// `<prefix>Счет`, falling back to `<prefix>РасчСчет`.
    fn account(&self, prefix: &str) -> String {
        self.text(&format!("{prefix}Счет"))
            .or_else(|| self.text(&format!("{prefix}РасчСчет")))
            .unwrap_or_default()
    }

    /// `<prefix>1` (the name line), else `<prefix>` without the leading `ИНН …`/`КПП …` banks print there.
    fn name(&self, prefix: &str) -> String {
        if let Some(name) = self.text(&format!("{prefix}1")) {
            return name;
        }
        let Some(printed) = self.get(prefix) else {
            return String::new();
        };
        let mut rest = printed.value;
        while let Some(after) = rest.strip_prefix("ИНН").or_else(|| rest.strip_prefix("КПП")) {
            let after = after.trim_start();
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits == 0 {
                break;
            }
            rest = after[digits..].trim_start();
        }
        rest.to_owned()
    }

    /// `НазначениеПлатежа`, else `НазначениеПлатежа1..N` in numeric order, joined with spaces.
    fn purpose(&self) -> String {
        if let Some(purpose) = self.text(PURPOSE) {
            return purpose;
        }
        let mut parts: Vec<(u32, &str)> = self
            .fields
            .iter()
            .filter_map(|f| {
                let n = f.key.strip_prefix(PURPOSE)?;
                let n = n.parse().ok().filter(|_| n.bytes().all(|b| b.is_ascii_digit()))?;
                Some((n, f.value))
            })
            .collect();
        // Stable: a repeated number keeps file order.
        parts.sort_by_key(|&(n, _)| n);
        parts.iter().map(|&(_, v)| v).collect::<Vec<_>>().join(" ")
    }

    fn not_closed(&self, when: String) -> StatementError {
        let name = match self.kind {
            SectionKind::Balance => BALANCE_START,
            SectionKind::Document(_) => DOCUMENT_START,
        };
        error(self.line, "section_not_closed", format!("{name} is not closed {when}"))
    }

    fn balance(&self) -> Result<AccountSection, StatementError> {
        let amount = |key: &str| self.get(key).map_or(Ok(0), |f| f.amount(true));
        let section = AccountSection {
            line: self.line,
            account: self.required("РасчСчет")?.value.to_owned(),
            period_from: self.date("ДатаНачала")?,
            period_to: self.date("ДатаКонца")?,
            opening: amount("НачальныйОстаток")?,
            credited: amount("ВсегоПоступило")?,
            debited: amount("ВсегоСписано")?,
            closing: amount("КонечныйОстаток")?,
        };
        // i128: four i64 amounts cannot overflow it.
        let expected = i128::from(section.opening) + i128::from(section.credited) - i128::from(section.debited);
        if expected != i128::from(section.closing) {
            let detail = format!(
                "opening {} + credited {} - debited {} = {} kopecks, but the closing balance is {}",
                section.opening, section.credited, section.debited, expected, section.closing
            );
            return Err(error(self.line, "balance_mismatch", detail));
        }
        Ok(section)
    }

    fn document(&self, kind: &str, raw: String) -> Result<StatementDoc, StatementError> {
        let number = self.required("Номер")?.value.to_owned();
        let date = self.required("Дата")?.date()?;
        let amount_field = self.required("Сумма")?;
        let amount = amount_field.amount(false)?;
        if amount == 0 {
            let detail = format!("{} \"{}\" is zero", amount_field.key, amount_field.value);
            return Err(error(amount_field.line, "bad_amount", detail));
        }
        Ok(StatementDoc {
            line: self.line,
            kind: kind.to_owned(),
            number,
            date,
            amount,
            payer_account: self.account("Плательщик"),
            payer_inn: self.identifier("ПлательщикИНН"),
            payer_kpp: self.identifier("ПлательщикКПП"),
            payer_name: self.name("Плательщик"),
            payer_bik: self.identifier("ПлательщикБИК"),
            payee_account: self.account("Получатель"),
            payee_inn: self.identifier("ПолучательИНН"),
            payee_name: self.name("Получатель"),
            credited_on: self.date("ДатаПоступило")?,
            debited_on: self.date("ДатаСписано")?,
            purpose: self.purpose(),
            raw,
        })
    }
}

/// `DD.MM.YYYY` (a one-digit day or month is tolerated, the year must have four digits).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(day, 1..=2) || !digits(month, 1..=2) || !digits(year, 4..=4) {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Roubles with an optional `.` or `,` and at most two decimals (`118000.00`, `118000,5`, `118000`) to
/// kopecks. No thousands separators, no `+`; a leading `-` only when `signed`.
fn parse_kopecks(text: &str, signed: bool) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) if signed => (true, rest),
        _ => (false, text),
    };
    let (whole, fraction) = match body.split_once(['.', ',']) {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return None,
        None => (body, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // 16 digits of roubles times 100 still fits in an i64.
    if whole.is_empty() || whole.len() > 16 || !all_digits(whole) || fraction.len() > 2 || !all_digits(fraction) {
        return None;
    }
    let rubles: i64 = whole.parse().ok()?;
    let kopecks: i64 = format!("{fraction:0<2}").parse().ok()?;
    let magnitude = rubles * 100 + kopecks;
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sample-statement.txt` from the domain notes (5 invented documents), with LF line ends.
    const SAMPLE: &str = r#"1CClientBankExchange
ВерсияФормата=1.03
Кодировка=Windows
Отправитель=СберБизнес
Получатель=Бухгалтерия предприятия, редакция 3.0
ДатаСоздания=04.11.2026
ВремяСоздания=09:12:45
ДатаНачала=02.11.2026
ДатаКонца=03.11.2026
РасчСчет=40702810938000012345
Документ=Платежное поручение
СекцияРасчСчет
ДатаНачала=02.11.2026
ДатаКонца=03.11.2026
РасчСчет=40702810938000012345
НачальныйОстаток=1250000.00
ВсегоПоступило=473600.00
ВсегоСписано=36000.00
КонечныйОстаток=1687600.00
КонецРасчСчет
СекцияДокумент=Платежное поручение
Номер=2231
Дата=02.11.2026
Сумма=118000.00
ПлательщикСчет=40702810210000123456
Плательщик=ИНН 5031987650 ООО "РОМАШКА-ТРЕЙД"
ПлательщикИНН=5031987650
Плательщик1=ООО "РОМАШКА-ТРЕЙД"
ПлательщикРасчСчет=40702810210000123456
ПлательщикБанк1=АО "ТБАНК"
ПлательщикБанк2=г. Москва
ПлательщикБИК=044525974
ПлательщикКорсчет=30101810145250000974
ПолучательСчет=40702810938000012345
ДатаПоступило=02.11.2026
Получатель=ИНН 7728123459 ООО "ОПТОВИК-ЦЕНТР"
ПолучательИНН=7728123459
Получатель1=ООО "ОПТОВИК-ЦЕНТР"
ПолучательРасчСчет=40702810938000012345
ПолучательБанк1=ПАО СБЕРБАНК
ПолучательБанк2=г. Москва
ПолучательБИК=044525225
ПолучательКорсчет=30101810400000000225
ВидОплаты=01
ВидПлатежа=
Код=0
СтатусСоставителя=
ПлательщикКПП=503101001
ПолучательКПП=772801001
ПоказательКБК=
ОКАТО=
ПоказательОснования=
ПоказательПериода=
ПоказательНомера=
ПоказательДаты=
ПоказательТипа=
Очередность=5
НазначениеПлатежа=Оплата по счету № ОЦ-1045 от 20.10.2026 за товар. Сумма 118000-00 В т.ч. НДС (22%) 21278-69
КонецДокумента
СекцияДокумент=Платежное поручение
Номер=905
Дата=02.11.2026
Сумма=250000.00
ПлательщикСчет=40702810302860004321
Плательщик=ИНН 7710991119 ООО "АЛЬФА-СНАБ"
ПлательщикИНН=7710991119
Плательщик1=ООО "АЛЬФА-СНАБ"
ПлательщикРасчСчет=40702810302860004321
ПлательщикБанк1=АО "АЛЬФА-БАНК"
ПлательщикБанк2=г. Москва
ПлательщикБИК=044525593
ПлательщикКорсчет=30101810200000000593
ПолучательСчет=40702810938000012345
ДатаПоступило=03.11.2026
Получатель=ИНН 7728123459 ООО "ОПТОВИК-ЦЕНТР"
ПолучательИНН=7728123459
Получатель1=ООО "ОПТОВИК-ЦЕНТР"
ПолучательРасчСчет=40702810938000012345
ПолучательБанк1=ПАО СБЕРБАНК
ПолучательБанк2=г. Москва
ПолучательБИК=044525225
ПолучательКорсчет=30101810400000000225
ВидОплаты=01
ВидПлатежа=
Код=0
СтатусСоставителя=
ПлательщикКПП=771001001
ПолучательКПП=772801001
ПоказательКБК=
ОКАТО=
ПоказательОснования=
ПоказательПериода=
ПоказательНомера=
ПоказательДаты=
ПоказательТипа=
Очередность=5
НазначениеПлатежа=Частичная оплата по сч. 1051 от 28.10.2026, договор поставки № 17/П от 01.09.2026. В том числе НДС 22 % - 45081.97 рублей
КонецДокумента
СекцияДокумент=Платежное поручение
Номер=57
Дата=03.11.2026
Сумма=45600.00
ПлательщикСчет=40802810438000054321
Плательщик=ИНН 501234567802 Индивидуальный предприниматель Сидоров Пётр Ильич
ПлательщикИНН=501234567802
Плательщик1=Индивидуальный предприниматель Сидоров Пётр Ильич
ПлательщикРасчСчет=40802810438000054321
ПлательщикБанк1=ПАО СБЕРБАНК
ПлательщикБанк2=г. Москва
ПлательщикБИК=044525225
ПлательщикКорсчет=30101810400000000225
ПолучательСчет=40702810938000012345
ДатаПоступило=03.11.2026
Получатель=ИНН 7728123459 ООО "ОПТОВИК-ЦЕНТР"
ПолучательИНН=7728123459
Получатель1=ООО "ОПТОВИК-ЦЕНТР"
ПолучательРасчСчет=40702810938000012345
ПолучательБанк1=ПАО СБЕРБАНК
ПолучательБанк2=г. Москва
ПолучательБИК=044525225
ПолучательКорсчет=30101810400000000225
ВидОплаты=01
ВидПлатежа=
Код=0
СтатусСоставителя=
ПлательщикКПП=
ПолучательКПП=772801001
ПоказательКБК=
ОКАТО=
ПоказательОснования=
ПоказательПериода=
ПоказательНомера=
ПоказательДаты=
ПоказательТипа=
Очередность=5
НазначениеПлатежа=Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается
КонецДокумента
СекцияДокумент=Платежное поручение
Номер=1480
Дата=03.11.2026
Сумма=36000.00
ПлательщикСчет=40702810938000012345
ДатаСписано=03.11.2026
Плательщик=ИНН 7728123459 ООО "ОПТОВИК-ЦЕНТР"
ПлательщикИНН=7728123459
Плательщик1=ООО "ОПТОВИК-ЦЕНТР"
ПлательщикРасчСчет=40702810938000012345
ПлательщикБанк1=ПАО СБЕРБАНК
ПлательщикБанк2=г. Москва
ПлательщикБИК=044525225
ПлательщикКорсчет=30101810400000000225
ПолучательСчет=40702810300000077777
Получатель=ИНН 7704112232 ООО "ТРАНСЛОГИСТИК"
ПолучательИНН=7704112232
Получатель1=ООО "ТРАНСЛОГИСТИК"
ПолучательРасчСчет=40702810300000077777
ПолучательБанк1=Банк ВТБ (ПАО)
ПолучательБанк2=г. Москва
ПолучательБИК=044525187
ПолучательКорсчет=30101810700000000187
ВидОплаты=01
ВидПлатежа=
Код=0
СтатусСоставителя=
ПлательщикКПП=772801001
ПолучательКПП=770401001
ПоказательКБК=
ОКАТО=
ПоказательОснования=
ПоказательПериода=
ПоказательНомера=
ПоказательДаты=
ПоказательТипа=
Очередность=5
НазначениеПлатежа=Оплата по счету 88 от 25.10.2026 за транспортные услуги. В т.ч. НДС 22% 6491.80
КонецДокумента
СекцияДокумент=Платежное поручение
Номер=2240
Дата=03.11.2026
Сумма=60000.00
ПлательщикСчет=40702810210000123456
Плательщик=ИНН 5031987650 ООО "РОМАШКА-ТРЕЙД"
ПлательщикИНН=5031987650
Плательщик1=ООО "РОМАШКА-ТРЕЙД"
ПлательщикРасчСчет=40702810210000123456
ПлательщикБанк1=АО "ТБАНК"
ПлательщикБанк2=г. Москва
ПлательщикБИК=044525974
ПлательщикКорсчет=30101810145250000974
ПолучательСчет=40702810938000012345
ДатаПоступило=03.11.2026
Получатель=ИНН 7728123459 ООО "ОПТОВИК-ЦЕНТР"
ПолучательИНН=7728123459
Получатель1=ООО "ОПТОВИК-ЦЕНТР"
ПолучательРасчСчет=40702810938000012345
ПолучательБанк1=ПАО СБЕРБАНК
ПолучательБанк2=г. Москва
ПолучательБИК=044525225
ПолучательКорсчет=30101810400000000225
ВидОплаты=01
ВидПлатежа=
Код=0
СтатусСоставителя=
ПлательщикКПП=503101001
ПолучательКПП=772801001
ПоказательКБК=
ОКАТО=
ПоказательОснования=
ПоказательПериода=
ПоказательНомера=
ПоказательДаты=
ПоказательТипа=
Очередность=5
НазначениеПлатежа=Оплата за товар по договору № 12-ОПТ от 15.01.2026. В т.ч. НДС 10819.67
КонецДокумента
КонецФайла
"#;

    fn cp1251(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = WINDOWS_1251.encode(text);
        assert!(!unmappable, "test text must be representable in windows-1251");
        bytes.into_owned()
    }

    fn cp866(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = IBM866.encode(text);
        assert!(!unmappable, "test text must be representable in cp866");
        bytes.into_owned()
    }

    fn crlf(text: &str) -> String {
        text.replace('\n', "\r\n")
    }

    /// A real-looking file: windows-1251 with CRLF.
    fn real_file(text: &str) -> Vec<u8> {
        cp1251(&crlf(text))
    }

    /// 1-based line of the first line of `text` that equals `needle`, or of the `nth` (0-based) such line.
    fn line_of(text: &str, needle: &str, nth: usize) -> usize {
        text.lines()
            .enumerate()
            .filter(|(_, l)| *l == needle)
            .nth(nth)
            .map(|(i, _)| i + 1)
            .unwrap_or_else(|| panic!("{needle:?} not in the test text"))
    }

    fn date(d: u32, m: u32, y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn parse_err(bytes: &[u8]) -> StatementError {
        parse_statement(bytes).expect_err("the file must be rejected")
    }

    fn assert_err(bytes: &[u8], code: &str, line: usize) -> StatementError {
        let e = parse_err(bytes);
        assert_eq!((e.code, e.line), (code, line), "{e}");
        e
    }

    /// Replaces exactly one occurrence of `from` in the sample.
    fn sample_with(from: &str, to: &str) -> String {
        assert_eq!(
            SAMPLE.matches(from).count(),
            1,
            "{from:?} must occur once in the sample"
        );
        SAMPLE.replacen(from, to, 1)
    }

    fn check_sample(statement: &Statement) {
        assert_eq!(statement.version.as_deref(), Some("1.03"));
        assert_eq!(statement.sender.as_deref(), Some("СберБизнес"));
        assert_eq!(statement.created_on, Some(date(4, 11, 2026)));
        assert_eq!(statement.period_from, Some(date(2, 11, 2026)));
        assert_eq!(statement.period_to, Some(date(3, 11, 2026)));
        assert_eq!(statement.accounts, ["40702810938000012345"]);
        assert_eq!(
            statement.balances,
            [AccountSection {
                line: 12,
                account: "40702810938000012345".into(),
                period_from: Some(date(2, 11, 2026)),
                period_to: Some(date(3, 11, 2026)),
                opening: 125_000_000,
                credited: 47_360_000,
                debited: 3_600_000,
                closing: 168_760_000,
            }]
        );

        let docs = &statement.documents;
        assert_eq!(docs.len(), 5);
        let summary: Vec<_> = docs.iter().map(|d| (d.number.as_str(), d.amount, d.date)).collect();
        assert_eq!(
            summary,
            [
                ("2231", 11_800_000, date(2, 11, 2026)),
                ("905", 25_000_000, date(2, 11, 2026)),
                ("57", 4_560_000, date(3, 11, 2026)),
                ("1480", 3_600_000, date(3, 11, 2026)),
                ("2240", 6_000_000, date(3, 11, 2026)),
            ]
        );
        let payer_inns: Vec<_> = docs.iter().map(|d| d.payer_inn.as_deref().unwrap()).collect();
        assert_eq!(
            payer_inns,
            ["5031987650", "7710991119", "501234567802", "7728123459", "5031987650"]
        );
        let payee_inns: Vec<_> = docs.iter().map(|d| d.payee_inn.as_deref().unwrap()).collect();
        assert_eq!(
            payee_inns,
            ["7728123459", "7728123459", "7728123459", "7704112232", "7728123459"]
        );

        // Incoming payments are credited; the outgoing one is debited. The balance section agrees.
        let incoming: i64 = docs.iter().filter(|d| d.credited_on.is_some()).map(|d| d.amount).sum();
        let outgoing: i64 = docs.iter().filter(|d| d.debited_on.is_some()).map(|d| d.amount).sum();
        assert_eq!((incoming, outgoing), (47_360_000, 3_600_000));

        let first = &docs[0];
        assert_eq!(first.line, 21);
        assert_eq!(first.kind, "Платежное поручение");
        assert_eq!(first.payer_account, "40702810210000123456");
        assert_eq!(first.payer_kpp.as_deref(), Some("503101001"));
        assert_eq!(first.payer_name, "ООО \"РОМАШКА-ТРЕЙД\"");
        assert_eq!(first.payer_bik.as_deref(), Some("044525974"));
        assert_eq!(first.payee_account, "40702810938000012345");
        assert_eq!(first.payee_name, "ООО \"ОПТОВИК-ЦЕНТР\"");
        assert_eq!((first.credited_on, first.debited_on), (Some(date(2, 11, 2026)), None));
        assert_eq!(
            first.purpose,
            "Оплата по счету № ОЦ-1045 от 20.10.2026 за товар. Сумма 118000-00 В т.ч. НДС (22%) 21278-69"
        );
        assert!(
            first
                .raw
                .starts_with("СекцияДокумент=Платежное поручение\nНомер=2231\n")
        );
        assert!(first.raw.ends_with("\nКонецДокумента"));
        assert_eq!(first.raw.lines().count(), line_of(SAMPLE, "КонецДокумента", 0) - 20);

        assert_eq!(docs[1].line, line_of(SAMPLE, "Номер=905", 0) - 1);
        assert!(
            docs[1]
                .purpose
                .starts_with("Частичная оплата по сч. 1051 от 28.10.2026, договор поставки № 17/П")
        );
        // ИП: 12-digit INN, empty KPP is absent, "ё" survives every encoding.
        assert_eq!(docs[2].payer_kpp, None);
        assert_eq!(docs[2].payer_name, "Индивидуальный предприниматель Сидоров Пётр Ильич");
        assert_eq!(
            docs[2].purpose,
            "Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается"
        );
        assert_eq!(
            (docs[3].credited_on, docs[3].debited_on),
            (None, Some(date(3, 11, 2026)))
        );
        assert_eq!(
            docs[4].purpose,
            "Оплата за товар по договору № 12-ОПТ от 15.01.2026. В т.ч. НДС 10819.67"
        );
    }

    #[test]
    fn sample_in_windows_1251_with_crlf() {
        let statement = parse_statement(&real_file(SAMPLE)).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Windows1251);
        check_sample(&statement);
    }

    #[test]
    fn sample_in_utf8_even_when_the_header_says_windows() {
        let statement = parse_statement(crlf(SAMPLE).as_bytes()).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Utf8);
        check_sample(&statement);

        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(SAMPLE.as_bytes());
        let statement = parse_statement(&with_bom).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Utf8);
        check_sample(&statement);
    }

    #[test]
    fn sample_in_cp866_declared_as_dos() {
        let text = sample_with("Кодировка=Windows", "Кодировка=DOS");
        let statement = parse_statement(&cp866(&crlf(&text))).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Dos866);
        check_sample(&statement);
    }

    #[test]
    fn lf_only_and_cr_only_files() {
        let statement = parse_statement(&cp1251(SAMPLE)).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Windows1251);
        check_sample(&statement);

        let statement = parse_statement(&cp1251(&SAMPLE.replace('\n', "\r"))).unwrap();
        check_sample(&statement);
    }

    #[test]
    fn without_an_encoding_header_windows_1251_is_assumed() {
        let text = sample_with("Кодировка=Windows\n", "");
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Windows1251);
        assert_eq!(statement.documents.len(), 5);
    }

    #[test]
    fn the_spelling_of_the_encoding_key_beats_a_wrong_value() {
        // A cp866 file whose header wrongly says Windows is still read as cp866.
        let statement = parse_statement(&cp866(&crlf(SAMPLE))).unwrap();
        assert_eq!(statement.encoding, SourceEncoding::Dos866);
        check_sample(&statement);
    }

    #[test]
    fn fingerprint_is_the_direction_independent_key() {
        let statement = parse_statement(&real_file(SAMPLE)).unwrap();
        let docs = &statement.documents;
        assert_eq!(
            docs[0].fingerprint(),
            "40702810210000123456|40702810938000012345|2231|2026-11-02|11800000|2026-11-02"
        );
        assert_eq!(
            docs[3].fingerprint(),
            "40702810938000012345|40702810300000077777|1480|2026-11-03|3600000|2026-11-03"
        );
        // The same payment re-read from a UTF-8 export has the same key.
        let again = parse_statement(SAMPLE.as_bytes()).unwrap();
        assert_eq!(again.documents[0].fingerprint(), docs[0].fingerprint());
    }

    #[test]
    fn leading_blank_lines_and_text_after_the_end_are_tolerated() {
        let text = format!("\n  \n{SAMPLE}\n\n");
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert_eq!(statement.documents[0].line, 23);
    }

    #[test]
    fn not_an_exchange_file() {
        assert_err(b"", "not_1c_exchange", 1);
        assert_err(b"\r\n\r\n", "not_1c_exchange", 1);
        assert_err(&cp1251("Номер;Дата;Сумма\n1;02.11.2026;100.00\n"), "not_1c_exchange", 1);
        assert_err(b"%PDF-1.7\n\x00\x01\x02", "not_1c_exchange", 1);
        // UTF-16 is not an encoding of this format.
        let utf16: Vec<u8> = SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_err(&utf16, "not_1c_exchange", 1);
    }

    #[test]
    fn missing_end_of_file() {
        let text = sample_with("КонецФайла\n", "");
        let last = text.lines().count();
        assert_err(&real_file(&text), "missing_end_of_file", last);
        assert_err(b"1CClientBankExchange\r\n", "missing_end_of_file", 1);
    }

    #[test]
    fn unclosed_sections() {
        // A document that runs into the next one.
        let text = sample_with(
            "КонецДокумента\nСекцияДокумент=Платежное поручение\nНомер=905",
            "СекцияДокумент=Платежное поручение\nНомер=905",
        );
        let e = assert_err(&real_file(&text), "section_not_closed", 21);
        assert!(e.detail.contains("СекцияДокумент"), "{e}");

        // The balance section runs into a document.
        let text = sample_with("КонецРасчСчет\n", "");
        assert_err(&real_file(&text), "section_not_closed", 12);

        // A truncated download: the last document is cut off before КонецФайла, or the file just stops.
        let text = sample_with("КонецДокумента\nКонецФайла\n", "КонецФайла\n");
        let last_doc = line_of(&text, "Номер=2240", 0) - 1;
        assert_err(&real_file(&text), "section_not_closed", last_doc);
        let cut = &SAMPLE[..SAMPLE.rfind("ВидОплаты=01").unwrap()];
        assert_err(&real_file(cut), "section_not_closed", last_doc);

        // A closer of the wrong kind.
        let text = sample_with("КонецРасчСчет\n", "КонецДокумента\n");
        assert_err(&real_file(&text), "section_not_closed", 12);
    }

    #[test]
    fn unexpected_lines() {
        let text = sample_with(
            "Код=0\nСтатусСоставителя=\nПлательщикКПП=771001001",
            "Код=0\nпродолжение назначения\nПлательщикКПП=771001001",
        );
        let line = line_of(&text, "продолжение назначения", 0);
        let e = assert_err(&real_file(&text), "unexpected_line", line);
        assert!(e.detail.contains("Key=Value"));

        let text = sample_with(
            "\nДокумент=Платежное поручение\n",
            "\nДокумент=Платежное поручение\nКонецДокумента\n",
        );
        assert_err(&real_file(&text), "unexpected_line", 12);

        let text = sample_with("Номер=57\n", "Номер=57\n=57\n");
        assert_err(&real_file(&text), "unexpected_line", line_of(&text, "=57", 0));
    }

    #[test]
    fn bad_dates_point_at_their_line() {
        for bad in [
            "32.10.2026",
            "2026-11-02",
            "02.11.26",
            "02.11.2026г",
            "29.02.2027",
            "02/11/2026",
        ] {
            let text = sample_with(
                "Дата=03.11.2026\nСумма=45600.00",
                &format!("Дата={bad}\nСумма=45600.00"),
            );
            let line = line_of(&text, "Номер=57", 0) + 1;
            let e = assert_err(&real_file(&text), "bad_date", line);
            assert!(e.detail.contains("Дата"), "{e}");
        }
        // Header and value dates too.
        let text = sample_with("ДатаСоздания=04.11.2026", "ДатаСоздания=4 ноября");
        assert_err(&real_file(&text), "bad_date", 6);
        let text = sample_with("ДатаСписано=03.11.2026", "ДатаСписано=03.13.2026");
        assert_err(
            &real_file(&text),
            "bad_date",
            line_of(&text, "ДатаСписано=03.13.2026", 0),
        );
        // A one-digit day is tolerated, an empty value is absent.
        let text = sample_with("Дата=03.11.2026\nСумма=45600.00", "Дата=3.11.2026\nСумма=45600.00");
        assert_eq!(
            parse_statement(&real_file(&text)).unwrap().documents[2].date,
            date(3, 11, 2026)
        );
        let text = sample_with("ДатаСписано=03.11.2026", "ДатаСписано=");
        assert_eq!(
            parse_statement(&real_file(&text)).unwrap().documents[3].debited_on,
            None
        );
    }

    #[test]
    fn bad_amounts_point_at_their_line() {
        for bad in [
            "118000.001",
            "-118000.00",
            "+118000.00",
            "0.00",
            "0",
            "118 000.00",
            "118000.",
            ".5",
            "1e5",
            "118,000.00",
            "abc",
            "99999999999999999.00",
        ] {
            let text = sample_with("Сумма=118000.00", &format!("Сумма={bad}"));
            let e = assert_err(&real_file(&text), "bad_amount", 24);
            assert!(e.detail.contains("Сумма"), "{bad}: {e}");
        }
        let text = sample_with("НачальныйОстаток=1250000.00", "НачальныйОстаток=1 250 000.00");
        assert_err(&real_file(&text), "bad_amount", 16);
    }

    #[test]
    fn comma_and_short_amounts() {
        assert_eq!(parse_kopecks("118000,00", false), Some(11_800_000));
        assert_eq!(parse_kopecks("118000,5", false), Some(11_800_050));
        assert_eq!(parse_kopecks("118000.05", false), Some(11_800_005));
        assert_eq!(parse_kopecks("118000", false), Some(11_800_000));
        assert_eq!(parse_kopecks("0,01", false), Some(1));
        assert_eq!(parse_kopecks("-5.00", false), None);
        assert_eq!(parse_kopecks("-5.00", true), Some(-500));

        let text = sample_with("Сумма=45600.00", "Сумма=45600,5")
            .replace("ВсегоПоступило=473600.00", "ВсегоПоступило=473600,50")
            .replace("КонечныйОстаток=1687600.00", "КонечныйОстаток=1687600,50");
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert_eq!(statement.documents[2].amount, 4_560_050);
        assert_eq!(statement.balances[0].closing, 168_760_050);
    }

    #[test]
    fn balance_must_add_up() {
        let text = sample_with("КонечныйОстаток=1687600.00", "КонечныйОстаток=1687600.01");
        let e = assert_err(&real_file(&text), "balance_mismatch", 12);
        assert!(e.detail.contains("168760001"), "{e}");

        // An overdraft balance and missing totals (zero) are fine.
        let text = sample_with("НачальныйОстаток=1250000.00", "НачальныйОстаток=-36000.00")
            .replace("ВсегоПоступило=473600.00\n", "")
            .replace("КонечныйОстаток=1687600.00", "КонечныйОстаток=-72000.00");
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert_eq!(
            (statement.balances[0].opening, statement.balances[0].credited),
            (-3_600_000, 0)
        );

        let text = sample_with("РасчСчет=40702810938000012345\nНачальныйОстаток", "НачальныйОстаток");
        let e = assert_err(&real_file(&text), "missing_field", 12);
        assert!(e.detail.contains("РасчСчет"));
    }

    #[test]
    fn missing_required_fields() {
        let section = line_of(SAMPLE, "Номер=905", 0) - 1;
        for (from, to, key) in [
            ("Номер=905\n", "", "Номер"),
            ("Дата=02.11.2026\nСумма=250000.00", "Сумма=250000.00", "Дата"),
            ("Сумма=250000.00\n", "", "Сумма"),
            ("Номер=905\n", "Номер=\n", "Номер"),
        ] {
            let e = assert_err(&real_file(&sample_with(from, to)), "missing_field", section);
            assert!(e.detail.contains(key), "{e}");
        }
    }

    #[test]
    fn bad_encoding_points_at_the_line() {
        // A NUL byte in the middle of a cp1251 file.
        let mut bytes = real_file(SAMPLE);
        let at = bytes.windows(4).position(|w| w == b"=905").unwrap() + 2;
        bytes[at] = 0;
        assert_err(&bytes, "bad_encoding", line_of(SAMPLE, "Номер=905", 0));

        // 0x98 has no letter in windows-1251 (it decodes to a C1 control).
        let mut bytes = real_file(SAMPLE);
        let at = bytes.windows(5).position(|w| w == b"=2240").unwrap() + 1;
        bytes[at] = 0x98;
        assert_err(&bytes, "bad_encoding", line_of(SAMPLE, "Номер=2240", 0));

        // A UTF-8 file (BOM) with a broken byte.
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(SAMPLE.as_bytes());
        let at = bytes.windows(4).position(|w| w == b"=57\n").unwrap() + 1;
        bytes[at] = 0xFF;
        assert_err(&bytes, "bad_encoding", line_of(SAMPLE, "Номер=57", 0));

        // A UTF-8 file (header spelled in UTF-8) that is not valid UTF-8 further down.
        let mut bytes = SAMPLE.as_bytes().to_vec();
        let at = bytes.windows(5).position(|w| w == b"=1480").unwrap() + 1;
        bytes[at] = 0xC0;
        assert_err(&bytes, "bad_encoding", line_of(SAMPLE, "Номер=1480", 0));

        // A stray escape in the purpose.
        let text = sample_with("за транспортные услуги", "за транспортные\x1bуслуги");
        assert_err(
            &real_file(&text),
            "bad_encoding",
            line_of(&text, "КонецДокумента", 3) - 1,
        );
    }

    /// The sample with `edit` applied to the text of the document numbered `number` only.
    fn sample_with_doc(number: &str, edit: impl FnOnce(&str) -> String) -> String {
        let start = SAMPLE
            .find(&format!("\nНомер={number}\n"))
            .expect("document in the sample")
            + 1;
        let end = start + SAMPLE[start..].find(DOCUMENT_END).unwrap();
        format!("{}{}{}", &SAMPLE[..start], edit(&SAMPLE[start..end]), &SAMPLE[end..])
    }

    #[test]
    fn fallbacks_and_lenience() {
        let text = sample_with_doc("905", |doc| {
            doc.replace("ПлательщикСчет=40702810302860004321\n", "")
                .replace("ПолучательСчет=40702810938000012345\n", "ПолучательСчет=\n")
                .replace("Плательщик1=ООО \"АЛЬФА-СНАБ\"\n", "")
                .replace("ПлательщикИНН=7710991119", "ПлательщикИНН=0\nНовыйКлючБанка=что-то")
                .replace("Номер=905", "  Номер = 905  ")
        });
        let statement = parse_statement(&real_file(&text)).unwrap();
        let doc = &statement.documents[1];
        assert_eq!(doc.number, "905");
        assert_eq!(doc.payer_account, "40702810302860004321");
        assert_eq!(doc.payee_account, "40702810938000012345");
        assert_eq!(doc.payer_inn, None);
        assert_eq!(doc.payer_name, "ООО \"АЛЬФА-СНАБ\"");
        assert!(doc.raw.contains("НовыйКлючБанка=что-то"));
    }

    #[test]
    fn purpose_lines_are_joined_in_numeric_order() {
        let text = sample_with(
            "НазначениеПлатежа=Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается\n",
            concat!(
                "НазначениеПлатежа2=и 1042 от 15.10.2026\n",
                "НазначениеПлатежа1=Оплата счетов 1039\n",
                "НазначениеПлатежа3=\n",
                "НазначениеПлатежа10=облагается\n",
                "НазначениеПлатежа4=за товар. НДС не\n",
            ),
        );
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert_eq!(
            statement.documents[2].purpose,
            "Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается"
        );

        // The single field wins over the split one.
        let text = sample_with(
            "Очередность=5\nНазначениеПлатежа=Оплата за товар",
            "НазначениеПлатежа1=старое\nОчередность=5\nНазначениеПлатежа=Оплата за товар",
        );
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert!(
            statement.documents[4]
                .purpose
                .starts_with("Оплата за товар по договору")
        );

        // No purpose at all is an empty string, not an error.
        let text = sample_with(
            "НазначениеПлатежа=Оплата по счету 88 от 25.10.2026 за транспортные услуги. В т.ч. НДС 22% 6491.80\n",
            "",
        );
        assert_eq!(parse_statement(&real_file(&text)).unwrap().documents[3].purpose, "");
    }

    #[test]
    fn name_falls_back_to_the_printed_field_without_inn() {
        let text = sample_with("Плательщик1=ООО \"АЛЬФА-СНАБ\"\n", "").replace(
            "Плательщик=ИНН 7710991119 ООО",
            "Плательщик=ИНН 7710991119 КПП 771001001 ООО",
        );
        let statement = parse_statement(&real_file(&text)).unwrap();
        assert_eq!(statement.documents[1].payer_name, "ООО \"АЛЬФА-СНАБ\"");
    }

    /// Writes a statement with `count` incoming payments in the minimal form many banks use.
    fn synthetic(count: usize) -> String {
        let mut body = String::new();
        let mut total = 0i64;
        for i in 0..count {
            let kopecks = 100_000 + (i as i64) * 101;
            total += kopecks;
            let day = 1 + i % 28;
            body.push_str(&format!(
                "СекцияДокумент=Платежное поручение\nНомер={n}\nДата={day:02}.11.2026\nСумма={r}.{k:02}\n\
                 ПлательщикСчет=40702810{acc:012}\nПлательщикИНН=7707083893\nПлательщик1=ООО \"Клиент {n}\"\n\
                 ПолучательСчет=40702810938000012345\nПолучательИНН=7728123459\nПолучатель1=ООО \"ОПТОВИК-ЦЕНТР\"\n\
                 ДатаПоступило={day:02}.11.2026\nНазначениеПлатежа=Оплата по счету № {n} от 01.11.2026\n\
                 КонецДокумента\n",
                n = i + 1,
                r = kopecks / 100,
                k = kopecks % 100,
                acc = i,
            ));
        }
        format!(
            "1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nДатаНачала=01.11.2026\n\
             ДатаКонца=28.11.2026\nРасчСчет=40702810938000012345\nСекцияРасчСчет\nРасчСчет=40702810938000012345\n\
             НачальныйОстаток=0.00\nВсегоПоступило={}.{:02}\nВсегоСписано=0.00\nКонечныйОстаток={}.{:02}\n\
             КонецРасчСчет\n{body}КонецФайла\n",
            total / 100,
            total % 100,
            total / 100,
            total % 100
        )
    }

    #[test]
    fn ten_thousand_documents() {
        let bytes = real_file(&synthetic(10_000));
        let statement = parse_statement(&bytes).unwrap();
        assert_eq!(statement.documents.len(), 10_000);
        let sum: i64 = statement.documents.iter().map(|d| d.amount).sum();
        assert_eq!(sum, statement.balances[0].credited);
        let last = statement.documents.last().unwrap();
        assert_eq!((last.number.as_str(), last.line), ("10000", 14 + 9_999 * 13));
        assert_eq!(last.purpose, "Оплата по счету № 10000 от 01.11.2026");
        let fingerprints: std::collections::HashSet<_> = statement.documents.iter().map(|d| d.fingerprint()).collect();
        assert_eq!(fingerprints.len(), 10_000);
    }

    #[test]
    fn error_display_names_line_and_code() {
        let e = assert_err(b"1CClientBankExchange\r\n", "missing_end_of_file", 1);
        assert_eq!(
            e.to_string(),
            "bank statement line 1: the file does not end with КонецФайла (missing_end_of_file)"
        );
    }
}
