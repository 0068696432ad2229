//! Invoice and contract references in the purpose of a payment (`НазначениеПлатежа`).
//!
//! The purpose is free text (≤ 210 characters) typed by the payer's accountant, and the only place a bank
//! payment says which invoices it pays: "Оплата по счету № ОЦ-1045 от 20.10.2026 за товар. Сумма 118000-00
//! В т.ч. НДС (22%) 21278-69". [`extract_refs`] reads it after normalising case, `ё`, non-breaking spaces
//! and the number sign (`№`, `N`, `No`, `#`), and takes a number only right after a keyword:
//!
//! * invoice: `сч`, `сч.`, `счет`, `счета`, `счету`, `счетов`, `счетам`, `сч-ф`, `с/ф`, `счет-фактура` (any
//!   case ending), optionally `№`, then one number or a list (`1039 и 1042`, `1039, 1042`, `1039,1042`),
//!   each optionally followed by `от dd.mm.yy(yy)`; a date after the last number of a list also dates the
//!   undated numbers before it ("счетов 1039 и 1042 от 15.10.2026");
//! * contract: `дог`, `дог.`, `договор(а/у/е)`, `д-р`, `контракт(а/у/е)`, optionally a few words
//!   ("договор поставки № 17/П"), `от <date>` and `№`, then the number;
//! * a payment made for someone else: `за ООО …`, `за ИП …` (and other legal forms).
//!
//! A number must contain a digit; dates, account numbers (long digit runs) and — inside a list — amounts
//! such as `118000-00` or `45081.97` and percentages are not taken. The VAT amount ("в т.ч. НДС 22% 3606-56")
//! is never after a keyword, so it is never read as an invoice.
//!
//! Payers often drop the seller's prefix (`1045` for `ОЦ-1045`, `123` for `С-2026-000123`), so references
//! are compared with invoices on their [`numeric_core`] ([`InvoiceRef::matches`]).

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// An invoice the payment purpose names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRef {
    /// The number as written in the purpose (original case), e.g. `ОЦ-1045` or `1045`.
    pub number: String,
    /// The invoice date after `от`, if given.
    pub date: Option<NaiveDate>,
}

impl InvoiceRef {
    /// Whether this reference designates our invoice `number` issued on `issued_on`: the numeric cores are
    /// equal and, when the reference carries a date, its year is the issue year.
    pub fn matches(&self, number: &str, issued_on: NaiveDate) -> bool {
        let Some(core) = numeric_core(&self.number) else {
            return false;
        };
        numeric_core(number).as_deref() == Some(core.as_str())
            && self.date.is_none_or(|date| date.year() == issued_on.year())
    }

    /// Whether the reference spells `number` in full (ignoring case, spaces and Latin look-alike letters):
    /// decides between invoices with the same numeric core.
    pub fn is_exactly(&self, number: &str) -> bool {
        let spell = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).map(fold).collect() };
        spell(&self.number) == spell(number)
    }
}

/// What a payment purpose refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurposeRefs {
    /// Invoices in the order written, without repeats.
    pub invoices: Vec<InvoiceRef>,
    /// Contract numbers as written, without repeats.
    pub contracts: Vec<String>,
    /// The purpose says the money is paid for somebody else ("за ООО …", "за ИП …"): allocation must be
    /// confirmed by a person.
    pub for_third_party: bool,
}

/// Reads invoice and contract references out of a payment purpose; see the module docs for the rules.
pub fn extract_refs(purpose: &str) -> PurposeRefs {
    let tokens = tokenize(purpose);
    let mut refs = PurposeRefs::default();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        if token.kind != Kind::Word {
            i += 1;
            continue;
        }
        let word = token.folded();
        if is_invoice_keyword(&word) {
            i = invoice_list(&tokens, i + 1, purpose, &mut refs.invoices);
        } else if is_contract_keyword(&word) {
            i = contract(&tokens, i + 1, purpose, &mut refs.contracts);
        } else {
            if word == "за"
                && tokens
                    .get(i + 1)
                    .is_some_and(|t| LEGAL_FORMS.contains(&t.folded().as_str()))
            {
                refs.for_third_party = true;
            }
            i += 1;
        }
    }
    refs
}

/// The last run of ASCII digits without leading zeros: `ОЦ-1045` → `1045`, `С-2026-000123` → `123`,
/// `1051` → `1051`, `000` → `0`; `None` when there is no digit.
pub fn numeric_core(number: &str) -> Option<String> {
    let bytes = number.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let digits = number[start..end].trim_start_matches('0');
    Some(if digits.is_empty() { "0" } else { digits }.to_owned())
}

/// Legal forms after "за" that mark a payment for a third party.
const LEGAL_FORMS: &[&str] = &[
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "нао",
    "ип",
    "ано",
    "нко",
    "гуп",
    "муп",
    "фгуп",
    "кфх",
    "индивидуального",
    "индивидуальный",
];

/// Words skipped between a contract keyword and its number are letters-only words of 3+ letters, except
/// these (they start another part of the purpose).
const CONTRACT_STOP_WORDS: &[&str] = &["ндс", "том", "числе", "без", "сумма", "сумму", "оплата", "оплату"];

/// Longer digit runs are account numbers (20 digits), card or bank references, not invoice numbers.
const MAX_DIGIT_RUN: usize = 12;

fn is_invoice_keyword(word: &str) -> bool {
    matches!(
        word,
        "сч" | "счет"
            | "счета"
            | "счету"
            | "счетов"
            | "счетам"
            | "сч-ф"
            | "с/ф"
            | "с-ф"
            | "сф"
            | "инвойс"
            | "инвойсу"
    ) || [
        "счет-фактур",
        "счета-фактур",
        "счету-фактур",
        "счетов-фактур",
        "счетам-фактур",
    ]
    .iter()
    .any(|prefix| word.starts_with(prefix))
}

fn is_contract_keyword(word: &str) -> bool {
    matches!(
        word,
        "дог"
            | "договор"
            | "договора"
            | "договору"
            | "договоре"
            | "д-р"
            | "дог-р"
            | "контракт"
            | "контракта"
            | "контракту"
            | "контракте"
    )
}

/// Parses `[.] [words №] [№] number [от date] {(,|;|и|+) [№] number [от date]}` from `j`; returns the index
/// of the first token not consumed.
fn invoice_list(tokens: &[Token], j: usize, text: &str, out: &mut Vec<InvoiceRef>) -> usize {
    let mut j = skip_sign(tokens, j);
    let mut list: Vec<InvoiceRef> = Vec::new();
    while let Some(token) = tokens.get(j).filter(|t| is_number(t, list.is_empty())) {
        if !list.is_empty() && tokens.get(j + 1).is_some_and(|t| t.kind == Kind::Punct('%')) {
            break;
        }
        list.push(InvoiceRef {
            number: token.original(text).to_owned(),
            date: None,
        });
        j += 1;
        if let Some((date, next)) = date_at(tokens, j) {
            for item in list.iter_mut().rev().take_while(|item| item.date.is_none()) {
                item.date = Some(date);
            }
            j = next;
        }
        let separated = tokens.get(j).is_some_and(|t| {
            matches!(t.kind, Kind::Punct(',' | ';' | '+' | '&')) || (t.kind == Kind::Word && t.norm == "и")
        });
        if !separated {
            break;
        }
        let next = skip_sign(tokens, j + 1);
        if !tokens.get(next).is_some_and(|t| is_number(t, false)) {
            break;
        }
        j = next;
    }
    for item in list {
        match out
            .iter_mut()
            .find(|seen| seen.number.to_lowercase() == item.number.to_lowercase())
        {
            Some(seen) => seen.date = seen.date.or(item.date),
            None => out.push(item),
        }
    }
    j
}

/// Parses `[.] {word | № | от date} number` after a contract keyword (at most three words).
fn contract(tokens: &[Token], mut j: usize, text: &str, out: &mut Vec<String>) -> usize {
    if tokens.get(j).is_some_and(|t| t.kind == Kind::Punct('.')) {
        j += 1;
    }
    let mut words = 0;
    while let Some(token) = tokens.get(j) {
        if matches!(token.kind, Kind::Sign | Kind::Punct(':')) {
            j += 1;
        } else if let Some((_, next)) = date_at(tokens, j) {
            j = next;
        } else if words < 3 && token.is_skippable_word() {
            words += 1;
            j += 1;
        } else {
            break;
        }
    }
    if let Some(token) = tokens.get(j).filter(|t| is_number(t, true)) {
        let number = token.original(text);
        if !out.iter().any(|seen| seen.to_lowercase() == number.to_lowercase()) {
            out.push(number.to_owned());
        }
        j += 1;
    }
    j
}

/// Skips the `.` of an abbreviation, words before a number sign ("счет на оплату № 5"), the sign itself and a
/// `.` or `:` after it.
fn skip_sign(tokens: &[Token], mut j: usize) -> usize {
    if tokens.get(j).is_some_and(|t| t.kind == Kind::Punct('.')) {
        j += 1;
    }
    let words = tokens[j.min(tokens.len())..]
        .iter()
        .take(2)
        .take_while(|t| t.is_letters() && !is_invoice_keyword(&t.folded()) && !is_contract_keyword(&t.folded()))
        .count();
    if words > 0 && tokens.get(j + words).is_some_and(|t| t.kind == Kind::Sign) {
        j += words;
    }
    let mut signed = false;
    while tokens.get(j).is_some_and(|t| t.kind == Kind::Sign) {
        j += 1;
        signed = true;
    }
    if signed && tokens.get(j).is_some_and(|t| matches!(t.kind, Kind::Punct('.' | ':'))) {
        j += 1;
    }
    j
}

/// `от dd.mm.yyyy` or a bare date at `j`: the date and the index after it.
fn date_at(tokens: &[Token], j: usize) -> Option<(NaiveDate, usize)> {
    let token = tokens.get(j)?;
    if token.kind == Kind::Word && token.norm == "от" {
        let date = tokens.get(j + 1).and_then(Token::date)?;
        return Some((date, j + 2));
    }
    token.date().map(|date| (date, j + 1))
}

/// A token that can be an invoice or contract number. The first number after a keyword only has to contain
/// a digit and not be a date or an account; later numbers of a list must not look like amounts either.
fn is_number(token: &Token, first: bool) -> bool {
    if token.kind != Kind::Word || !token.norm.chars().any(|c| c.is_ascii_digit()) || token.date().is_some() {
        return false;
    }
    let longest_run = token
        .norm
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    longest_run <= MAX_DIGIT_RUN && (first || !looks_like_amount(&token.norm))
}

/// `118000-00`, `3606-56`, `45081.97`: roubles (3+ digits), a separator and two kopeck digits.
fn looks_like_amount(word: &str) -> bool {
    word.split_once(['-', '.']).is_some_and(|(rubles, kopecks)| {
        rubles.len() >= 3
            && kopecks.len() == 2
            && rubles.bytes().all(|b| b.is_ascii_digit())
            && kopecks.bytes().all(|b| b.is_ascii_digit())
    })
}

/// `dd.mm.yy`, `dd.mm.yyyy`, optionally followed by `г`/`года` (two-digit years are 20yy).
fn parse_date(word: &str) -> Option<NaiveDate> {
    let word = word
        .strip_suffix("года")
        .or_else(|| word.strip_suffix('г'))
        .unwrap_or(word);
    let mut parts = word.split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    let digits =
        |s: &str, min: usize, max: usize| (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if parts.next().is_some()
        || !digits(day, 1, 2)
        || !digits(month, 1, 2)
        || !(digits(year, 2, 2) || digits(year, 4, 4))
    {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let year = if year < 100 { 2000 + year } else { year };
    NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)
}

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..='\u{4FF}').contains(&c)
}

/// Latin letters that look like Cyrillic ones, as typed by people switching layouts ("cчет", "OOO").
fn fold(c: char) -> char {
    match c.to_lowercase().next().unwrap_or(c) {
        'a' => 'а',
        'b' => 'в',
        'c' => 'с',
        'e' => 'е',
        'h' => 'н',
        'k' => 'к',
        'm' => 'м',
        'o' => 'о',
        'p' => 'р',
        't' => 'т',
        'x' => 'х',
        'y' => 'у',
        'ё' => 'е',
        other => other,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Letters and digits, with `-`, `/`, `_` between them and `.` between digits (`ОЦ-1045`, `с/ф`,
    /// `20.10.2026`, `118000-00`).
    Word,
    /// A number sign: `№`, `#`, or Latin `N`/`No` before a number.
    Sign,
    /// Any other single non-space character.
    Punct(char),
}

#[derive(Debug)]
struct Token {
    kind: Kind,
    /// Normalised text: lower case, `ё` → `е`.
    norm: String,
    /// Byte range in the original purpose.
    start: usize,
    end: usize,
}

impl Token {
    fn original<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }

    /// The word with Latin look-alikes read as Cyrillic, for keyword comparison.
    fn folded(&self) -> String {
        self.norm.chars().map(fold).collect()
    }

    fn is_letters(&self) -> bool {
        self.kind == Kind::Word && self.norm.chars().all(char::is_alphabetic)
    }

    fn is_skippable_word(&self) -> bool {
        let folded = self.folded();
        self.is_letters()
            && self.norm.chars().count() >= 3
            && !CONTRACT_STOP_WORDS.contains(&folded.as_str())
            && !is_invoice_keyword(&folded)
            && !is_contract_keyword(&folded)
    }

    fn date(&self) -> Option<NaiveDate> {
        if self.kind == Kind::Word {
            parse_date(&self.norm)
        } else {
            None
        }
    }
}

/// Normalises and splits the purpose; see [`Kind`].
fn tokenize(text: &str) -> Vec<Token> {
    // (normalised char, byte range of the original char it came from)
    let mut chars: Vec<(char, usize, usize)> = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        for lower in c.to_lowercase() {
            let normal = match lower {
                'ё' => 'е',
                '#' | '№' => '№',
                c if c.is_whitespace() => ' ',
                c => c,
            };
            chars.push((normal, at, end));
        }
    }

    let mut tokens: Vec<Token> = Vec::new();
    let token = |kind, from: usize, to: usize| Token {
        kind,
        norm: chars[from..to].iter().map(|&(c, _, _)| c).collect(),
        start: chars[from].1,
        end: chars[to - 1].2,
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].0;
        if c == ' ' {
            i += 1;
        } else if c.is_alphanumeric() {
            let start = i;
            i += 1;
            loop {
                if chars.get(i).is_some_and(|&(c, _, _)| c.is_alphanumeric()) {
                    i += 1;
                } else if let (Some(&(joiner, _, _)), Some(&(next, _, _))) = (chars.get(i), chars.get(i + 1))
                    && match joiner {
                        '-' | '/' | '_' => next.is_alphanumeric(),
                        '.' => chars[i - 1].0.is_ascii_digit() && next.is_ascii_digit(),
                        _ => false,
                    }
                {
                    i += 2;
                } else {
                    break;
                }
            }
            // "N123", "No123", "NС-12": a Latin number sign glued to a number (or to a Cyrillic prefix).
            let word: String = chars[start..i].iter().map(|&(c, _, _)| c).collect();
            let sign = ["no", "n"].into_iter().find(|sign| {
                word.strip_prefix(sign)
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit() || is_cyrillic(c)))
            });
            match sign {
                Some(sign) => {
                    tokens.push(token(Kind::Sign, start, start + sign.len()));
                    tokens.push(token(Kind::Word, start + sign.len(), i));
                }
                None => tokens.push(token(Kind::Word, start, i)),
            }
        } else if c == '№' {
            tokens.push(token(Kind::Sign, i, i + 1));
            i += 1;
        } else {
            tokens.push(token(Kind::Punct(c), i, i + 1));
            i += 1;
        }
    }

    // A standalone Latin "N" / "No" before a number (or its "." / "°") is a number sign.
    for k in 0..tokens.len() {
        let is_latin_sign = tokens[k].kind == Kind::Word && matches!(tokens[k].norm.as_str(), "n" | "no");
        let before_number = tokens.get(k + 1).is_some_and(|next| {
            matches!(next.kind, Kind::Punct('.' | '°'))
                || (next.kind == Kind::Word && next.norm.chars().any(|c| c.is_ascii_digit()))
        });
        if is_latin_sign && before_number {
            tokens[k].kind = Kind::Sign;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(d: u32, m: u32, y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn inv(number: &str, date: Option<NaiveDate>) -> InvoiceRef {
        InvoiceRef {
            number: number.to_owned(),
            date,
        }
    }

    fn invoices(purpose: &str) -> Vec<(String, Option<NaiveDate>)> {
        extract_refs(purpose)
            .invoices
            .into_iter()
            .map(|r| (r.number, r.date))
            .collect()
    }

    fn numbers(purpose: &str) -> Vec<String> {
        extract_refs(purpose).invoices.into_iter().map(|r| r.number).collect()
    }

    #[test]
    fn sample_statement_purposes() {
        let refs =
            extract_refs("Оплата по счету № ОЦ-1045 от 20.10.2026 за товар. Сумма 118000-00 В т.ч. НДС (22%) 21278-69");
        assert_eq!(refs.invoices, [inv("ОЦ-1045", Some(date(20, 10, 2026)))]);
        assert!(refs.contracts.is_empty());
        assert!(!refs.for_third_party);

        let refs = extract_refs(
            "Частичная оплата по сч. 1051 от 28.10.2026, договор поставки № 17/П от 01.09.2026. В том числе НДС 22 % - \
             45081.97 рублей",
        );
        assert_eq!(refs.invoices, [inv("1051", Some(date(28, 10, 2026)))]);
        assert_eq!(refs.contracts, ["17/П"]);

        let refs = extract_refs("Оплата счетов 1039 и 1042 от 15.10.2026 за товар. НДС не облагается");
        let dated = Some(date(15, 10, 2026));
        assert_eq!(refs.invoices, [inv("1039", dated), inv("1042", dated)]);

        assert_eq!(
            invoices("Оплата по счету 88 от 25.10.2026 за транспортные услуги. В т.ч. НДС 22% 6491.80"),
            [("88".to_owned(), Some(date(25, 10, 2026)))]
        );

        let refs = extract_refs("Оплата за товар по договору № 12-ОПТ от 15.01.2026. В т.ч. НДС 10819.67");
        assert!(refs.invoices.is_empty());
        assert_eq!(refs.contracts, ["12-ОПТ"]);
    }

    #[test]
    fn list_with_a_shared_date_and_vat() {
        let refs = extract_refs("Оплата по сч.№ 123, 124 от 01.11.2026 в т.ч. НДС 22% 3606-56");
        let dated = Some(date(1, 11, 2026));
        assert_eq!(refs.invoices, [inv("123", dated), inv("124", dated)]);
        assert!(refs.contracts.is_empty());
    }

    #[test]
    fn list_forms() {
        for purpose in [
            "Оплата счетов 1039 и 1042",
            "Оплата счетов 1039, 1042",
            "Оплата счетов 1039,1042",
            "Оплата счетов №1039; №1042",
            "Оплата по сч. 1039 и сч. 1042",
            "Оплата по счетам № 1039 и № 1042. Без НДС",
            "оплата по счету 1039 и по счету 1042, 1039",
        ] {
            assert_eq!(numbers(purpose), ["1039", "1042"], "{purpose}");
        }
        // Each number with its own date.
        assert_eq!(
            invoices("Оплата сч. 5 от 01.10.2026, 6 от 02.10.2026"),
            [
                ("5".to_owned(), Some(date(1, 10, 2026))),
                ("6".to_owned(), Some(date(2, 10, 2026)))
            ]
        );
    }

    #[test]
    fn number_sign_and_keyword_variants() {
        for purpose in [
            "Опл. с/ф N С-2026-000777",
            "Опл. с/ф No. С-2026-000777",
            "Опл. с/ф #С-2026-000777",
            "Опл. с/ф NС-2026-000777",
            "ОПЛАТА СЧ-Ф №С-2026-000777",
            "Оплата по счету-фактуре № С-2026-000777",
            "Оплата по счёту на оплату № С-2026-000777",
            "Оплата по счету\u{a0}№\u{a0}С-2026-000777",
            "Оплата по сч.№С-2026-000777",
            "Оплата по cчету С-2026-000777",
        ] {
            assert_eq!(numbers(purpose), ["С-2026-000777"], "{purpose}");
        }
        assert_eq!(numbers("Оплата по счету N123"), ["123"]);
        assert_eq!(numbers("Оплата по счету No 123"), ["123"]);
        assert_eq!(numbers("Оплата по счету 15/1"), ["15/1"]);
        // Two-digit year and "г." after the date.
        assert_eq!(
            invoices("Оплата по счету №1045 от 20.10.26г. Сумма 118000-00"),
            [("1045".to_owned(), Some(date(20, 10, 2026)))]
        );
    }

    #[test]
    fn third_party() {
        let refs = extract_refs("за ООО \"Ромашка\" по счету 5");
        assert!(refs.for_third_party);
        assert_eq!(numbers("за ООО \"Ромашка\" по счету 5"), ["5"]);
        assert!(extract_refs("Оплата по сч. 5 за ИП Иванов И.И.").for_third_party);
        assert!(extract_refs("Оплата по сч. 5 за OOO Ромашка").for_third_party);
        assert!(!extract_refs("Оплата по сч. 5 за товар, ООО Ромашка").for_third_party);
        assert!(!extract_refs("Оплата за товар").for_third_party);
    }

    #[test]
    fn contracts() {
        let refs = extract_refs("Оплата по договору 12-ОПТ");
        assert!(refs.invoices.is_empty());
        assert_eq!(refs.contracts, ["12-ОПТ"]);
        assert_eq!(extract_refs("Предоплата по дог. №45/2026").contracts, ["45/2026"]);
        assert_eq!(extract_refs("Оплата по д-р 7 от 01.02.2026").contracts, ["7"]);
        assert_eq!(extract_refs("По договору от 01.02.2026 № 7").contracts, ["7"]);
        assert_eq!(extract_refs("по договору поставки товаров № 17/П").contracts, ["17/П"]);
        // A contract without a number is none.
        assert!(
            extract_refs("Оплата по договору. В т.ч. НДС 22% 1000-00")
                .contracts
                .is_empty()
        );
        assert!(extract_refs("Оплата по договору б/н").contracts.is_empty());
    }

    #[test]
    fn no_invoice_in_sums_dates_accounts_or_prose() {
        for purpose in [
            "Оплата 45600-00, НДС не облагается",
            "Сумма 118000-00 В т.ч. НДС 22% 21278-69",
            "Оплата за товар 15.10.2026",
            "Перевод собственных средств на счет 40702810938000012345",
            "Возврат со счета 40702810938000012345",
            "В счет оплаты по договору 7",
            "За счет средств клиента",
            "Оплата по счету от 20.10.2026",
            "",
        ] {
            assert!(numbers(purpose).is_empty(), "{purpose}");
        }
        // The sum after a list is not a list item.
        assert_eq!(numbers("Оплата сч. 1039, 118000-00"), ["1039"]);
        assert_eq!(numbers("Оплата сч. 1039, 22% НДС"), ["1039"]);
    }

    #[test]
    fn numeric_cores() {
        assert_eq!(numeric_core("ОЦ-1045").as_deref(), Some("1045"));
        assert_eq!(numeric_core("С-2026-000123").as_deref(), Some("123"));
        assert_eq!(numeric_core("1051").as_deref(), Some("1051"));
        assert_eq!(numeric_core("0001051").as_deref(), Some("1051"));
        assert_eq!(numeric_core("17/П").as_deref(), Some("17"));
        assert_eq!(numeric_core("000").as_deref(), Some("0"));
        assert_eq!(numeric_core("б/н"), None);
        assert_eq!(numeric_core(""), None);
    }

    #[test]
    fn references_match_on_numeric_core_and_year() {
        let issued = date(20, 10, 2026);
        assert!(inv("1045", None).matches("ОЦ-1045", issued));
        assert!(inv("ОЦ-1045", Some(date(20, 10, 2026))).matches("ОЦ-1045", issued));
        assert!(inv("123", Some(date(1, 1, 2026))).matches("С-2026-000123", issued));
        assert!(!inv("123", Some(date(1, 1, 2025))).matches("С-2026-000123", issued));
        assert!(!inv("1045", None).matches("ОЦ-10450", issued));
        assert!(!inv("б/н", None).matches("б/н", issued));
        assert!(inv("C-2026-000123", None).is_exactly("С-2026-000123"));
        assert!(!inv("123", None).is_exactly("С-2026-000123"));
    }
}
