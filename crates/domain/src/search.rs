//! Search rules: how a query is read, which words count as a match and how hits are ranked.
//!
//! The databases only *find candidates* through their indexes (a word index over the
//! records' `search_key`, a trigram index over the vocabulary of those words, B-tree
//! prefixes of identifiers). Everything that decides whether and how well a record matches
//! lives here, as pure functions, so SQLite and PostgreSQL rank identically and the rules
//! are unit-tested without a database.
//!
//! Matching is word by word, so word order does not matter; case and `ё`/`е` are folded;
//! a word may be found exactly, as a prefix or inside a longer word, or with typos
//! (Damerau–Levenshtein distance, 1 typo from 4 letters, 2 from 7). A query of digits is an
//! identifier (INN, OGRN, phone) and a query with `@` an e-mail address.

use crate::FieldError;

/// Shorter queries are refused: one letter matches half the database.
pub const MIN_QUERY_CHARS: usize = 2;
/// Words beyond this are ignored: each one costs index lookups, and nobody types more.
pub const MAX_QUERY_WORDS: usize = 8;
/// Longer words are cut: no name has them, and distances on them are expensive.
pub const MAX_WORD_CHARS: usize = 64;
/// A digit query needs this many digits to be an identifier prefix worth looking up.
pub const MIN_IDENTIFIER_DIGITS: usize = 4;

/// Lower case with `ё` folded to `е` — the same folding as the stored `search_key`.
///
/// Always exactly `s.to_lowercase().replace('ё', "е")`. Names are Russian or Latin, and
/// those letters are folded here directly: the general Unicode tables cost a search per
/// character, which an import of a million names felt. Text with any other letter takes
/// the general path as a whole (lower case can depend on context, as the Greek final
/// sigma does).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_common(c) {
            Some(f) => out.push(f),
            None => return s.to_lowercase().replace('ё', "е"),
        }
    }
    out
}

/// The folded form of a Latin or Russian letter, a digit, or a caseless sign common in
/// names (quotes, dashes, №, no-break space); `None` for anything else, which needs the
/// Unicode tables.
pub fn fold_common(c: char) -> Option<char> {
    match c {
        _ if c.is_ascii() => Some(c.to_ascii_lowercase()),
        // А–Я and а–я are one block apart.
        'А'..='Я' => char::from_u32(u32::from(c) + 0x20),
        'а'..='я' => Some(c),
        'Ё' | 'ё' => Some('е'),
        '«' | '»' | '„' | '“' | '”' | '‘' | '’' | '–' | '—' | '№' | '\u{a0}' | '\u{202f}' | '…' | '₽' => {
            Some(c)
        }
        _ => None,
    }
}

/// `c.is_alphanumeric()`, answered without the Unicode tables for Latin and Russian.
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё') || c.is_alphanumeric()
    }
}

/// The words of a text: folded, split at everything that is not a letter or a digit
/// (spaces, quotes «», hyphens, dots…), each cut to [`MAX_WORD_CHARS`].
pub fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

/// How a query is searched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Only digits and phone punctuation, at least [`MIN_IDENTIFIER_DIGITS`] digits: an INN,
    /// OGRN or phone number, whole or its beginning.
    Identifier(Identifier),
    /// Contains `@`: an e-mail address, whole or its beginning (folded to lower case).
    Email(String),
    /// Anything else: words matched against names.
    Words(Vec<String>),
}

/// The digits of an identifier query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub digits: String,
    /// The query began with `+`: it can only be a phone number in international form.
    pub international: bool,
}

impl Identifier {
    /// The digits as an INN prefix, if they can be one (INNs have 10 or 12 digits).
    pub fn inn_prefix(&self) -> Option<&str> {
        (!self.international && self.digits.len() <= 12).then_some(self.digits.as_str())
    }

    /// The digits as an OGRN/OGRNIP prefix (13 or 15 digits).
    pub fn ogrn_prefix(&self) -> Option<&str> {
        (!self.international && self.digits.len() <= 15).then_some(self.digits.as_str())
    }

    /// Beginnings of E.164 numbers (`+7…`) the digits may stand for. Phones are stored in
    /// E.164, but people type `8 (495) …`, `495 …` or `7495…`; every reading that fits is tried.
    pub fn phone_prefixes(&self) -> Vec<String> {
        let d = self.digits.as_str();
        if self.international {
            return vec![format!("+{d}")];
        }
        let mut out: Vec<String> = Vec::new();
        let mut push = |p: String| {
            if !out.contains(&p) {
                out.push(p);
            }
        };
        // The Russian trunk prefix 8 stands for +7: 8 (495) 123-45-67.
        if let Some(rest) = d.strip_prefix('8')
            && d.len() <= 11
        {
            push(format!("+7{rest}"));
        }
        // The country code typed without the plus: 7 495 123-45-67.
        if d.starts_with('7') && d.len() <= 11 {
            push(format!("+{d}"));
        }
        // A number without the country code: 495 123-45-67 (or 812…, which starts with 8).
        if d.len() <= 10 {
            push(format!("+7{d}"));
        }
        out
    }
}

/// Reads a query. Refuses one shorter than [`MIN_QUERY_CHARS`] (not counting spaces).
pub fn parse_query(raw: &str) -> Result<Query, FieldError> {
    let trimmed = raw.trim();
    if trimmed.chars().filter(|c| !c.is_whitespace()).count() < MIN_QUERY_CHARS {
        return Err(FieldError::new("q", "query_too_short").with("min", MIN_QUERY_CHARS.to_string()));
    }
    if trimmed.contains('@') {
        let email: String = fold(trimmed).chars().filter(|c| !c.is_whitespace()).collect();
        return Ok(Query::Email(email));
    }
    let phone_like = trimmed
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-().".contains(c));
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if phone_like && digits.len() >= MIN_IDENTIFIER_DIGITS {
        return Ok(Query::Identifier(Identifier {
            digits,
            international: trimmed.starts_with('+'),
        }));
    }
    let mut ws = words(trimmed);
    ws.truncate(MAX_QUERY_WORDS);
    Ok(Query::Words(ws))
}

/// Whether a word is all digits (part of an INN, a number in a name): such words are
/// matched exactly or as identifier prefixes, never with typos.
pub fn is_number(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit())
}

/// How many typos a query word of `len` letters may contain. Short words get none:
/// with one typo allowed, "ООО" would match every "ОАО" and "ИП" every "АП".
pub fn max_typos(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }
}

/// The distinct three-letter sequences of a word, in order (empty for shorter words).
/// The vocabulary's trigram index finds words that share them: typo candidates.
pub fn trigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = Vec::new();
    for w in chars.windows(3) {
        let t: String = w.iter().collect();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Damerau–Levenshtein distance (optimal string alignment: insertions, deletions,
/// substitutions and swaps of neighbours each count 1), on characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    osa(&a, &b)
}

fn osa(a: &[char], b: &[char]) -> usize {
    let (n, m) = (a.len(), b.len());
    // Three rolling rows: the swap rule looks two rows back.
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// How a query word matched a word of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordMatch {
    /// The same word.
    Exact,
    /// The record's word begins with the query word ("ромаш" → "ромашка").
    Prefix,
    /// The query word is inside the record's word ("торг" → "автоторг").
    Infix,
    /// The whole word with this many typos ("ромошка" → "ромашка").
    Typo(u8),
    /// The beginning of the word with this many typos ("ромош" → "ромашка").
    TypoPrefix(u8),
}

impl WordMatch {
    /// Points out of 100 for this kind of match of a `q`-letter query word against a
    /// `w`-letter word. Exact beats prefix beats one typo beats infix beats two typos; a
    /// prefix or infix covering more of the word, or a typo in a longer word, scores higher.
    pub fn points(self, q: usize, w: usize) -> u32 {
        let (q, w) = (q.max(1) as u32, w.max(1) as u32);
        let cover = |span: u32| span * q.min(w) / w;
        let typo = |d: u8| 80u32.saturating_sub(40 * u32::from(d) / q);
        match self {
            WordMatch::Exact => 100,
            WordMatch::Prefix => 70 + cover(25),
            WordMatch::Infix => 50 + cover(20),
            WordMatch::Typo(d) => typo(d),
            WordMatch::TypoPrefix(d) => typo(d).saturating_sub(20),
        }
    }

    /// The search round in which records with this match are first looked up: exact words
    /// first, then prefixes, then everything else (see [`Expansion::for_round`]).
    pub fn round(self) -> u8 {
        match self {
            WordMatch::Exact => 0,
            WordMatch::Prefix => 1,
            _ => 2,
        }
    }
}

/// The best way the query word `q` matches the word `w`, if any. Both must already be
/// folded ([`words`]). Numbers match only exactly or as a prefix.
pub fn match_word(q: &str, w: &str) -> Option<WordMatch> {
    if q == w {
        return Some(WordMatch::Exact);
    }
    if w.starts_with(q) {
        return Some(WordMatch::Prefix);
    }
    if is_number(q) {
        return None;
    }
    let qc: Vec<char> = q.chars().collect();
    let wc: Vec<char> = w.chars().collect();
    let k = max_typos(qc.len());
    let mut best: Option<WordMatch> = None;
    let mut consider = |m: WordMatch| {
        let better = best.is_none_or(|b| m.points(qc.len(), wc.len()) > b.points(qc.len(), wc.len()));
        if better {
            best = Some(m);
        }
    };
    if qc.len() >= 3 && w.contains(q) {
        consider(WordMatch::Infix);
    }
    if k > 0 {
        if qc.len().abs_diff(wc.len()) <= k {
            let d = osa(&qc, &wc);
            if (1..=k).contains(&d) {
                consider(WordMatch::Typo(d as u8));
            }
        }
        // A typo in what is still only the beginning of a word: compare with the word's
        // prefixes of about the query's length.
        if wc.len() > qc.len() {
            let lo = qc.len().saturating_sub(k).max(1);
            let hi = (qc.len() + k).min(wc.len() - 1);
            let d = (lo..=hi).map(|j| osa(&qc, &wc[..j])).min();
            if let Some(d) = d.filter(|d| (1..=k).contains(d)) {
                consider(WordMatch::TypoPrefix(d as u8));
            }
        }
    }
    best
}

/// The vocabulary words one query word may stand for, best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub word: String,
    pub alternatives: Vec<(String, WordMatch)>,
}

/// At most this many words stand for one query word in a database lookup. Generous, because
/// in the last round a group holds the prefixes tried before and the new inner parts and
/// typos: "торг авто" finds «Автоторг» through the inner part of one word and the prefix of
/// the other, and both must be in their groups.
pub const MAX_ALTERNATIVES: usize = 96;

impl Expansion {
    /// Classifies candidate words from the vocabulary (any order, duplicates allowed)
    /// against the query word and keeps those that match, best first.
    pub fn new(word: &str, candidates: impl IntoIterator<Item = String>) -> Self {
        let q = word.chars().count();
        let mut alternatives: Vec<(String, WordMatch)> = Vec::new();
        for w in candidates {
            if alternatives.iter().any(|(a, _)| *a == w) {
                continue;
            }
            if let Some(m) = match_word(word, &w) {
                alternatives.push((w, m));
            }
        }
        alternatives.sort_by(|(a, ma), (b, mb)| {
            let (pa, pb) = (ma.points(q, a.chars().count()), mb.points(q, b.chars().count()));
            pb.cmp(&pa)
                .then_with(|| a.chars().count().cmp(&b.chars().count()))
                .then_with(|| a.cmp(b))
        });
        Expansion {
            word: word.to_owned(),
            alternatives,
        }
    }

    /// The words to look records up by in search round `round` (0: exact words, 1: and
    /// prefixes, 2: and inner parts and typos), at most [`MAX_ALTERNATIVES`]. Rounds run in
    /// order until enough records are found, so a common prefix cannot crowd exact hits
    /// out of the candidate limit.
    pub fn for_round(&self, round: u8) -> Vec<String> {
        self.alternatives
            .iter()
            .filter(|(_, m)| m.round() <= round)
            .take(MAX_ALTERNATIVES)
            .map(|(w, _)| w.clone())
            .collect()
    }
}

/// Whether a search hit is a counterparty or a contact person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HitKind {
    Counterparty,
    Contact,
}

impl HitKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            HitKind::Counterparty => "counterparty",
            HitKind::Contact => "contact",
        }
    }

    /// The kind named by [`HitKind::as_str`].
    pub fn parse(s: &str) -> Option<HitKind> {
        [HitKind::Counterparty, HitKind::Contact]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What the ranking looks at in a candidate record.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub kind: HitKind,
    /// The counterparty's short name or the contact's full name.
    pub name: &'a str,
    /// Only counterparties' own identifiers count (a contact is not found by its company's INN).
    pub inn: Option<&'a str>,
    pub ogrn: Option<&'a str>,
    /// E.164.
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub archived: bool,
}

/// Scores of identifier matches: always above any name match (a name scores at most ~115).
pub mod points {
    pub const INN_EXACT: u32 = 1000;
    pub const OGRN_EXACT: u32 = 950;
    pub const PHONE_EXACT: u32 = 900;
    pub const EMAIL_EXACT: u32 = 900;
    pub const INN_PREFIX: u32 = 500;
    pub const OGRN_PREFIX: u32 = 450;
    pub const PHONE_PREFIX: u32 = 400;
    pub const EMAIL_PREFIX: u32 = 400;
}

/// How well `c` answers `q`; `None` when it does not match at all. Higher is better.
pub fn score(q: &Query, c: &Candidate<'_>) -> Option<u32> {
    match q {
        Query::Identifier(id) => score_identifier(id, c),
        Query::Email(e) => score_email(e, c),
        Query::Words(ws) => score_words(ws, c),
    }
}

fn score_identifier(id: &Identifier, c: &Candidate<'_>) -> Option<u32> {
    let d = id.digits.as_str();
    let mut best: Option<u32> = None;
    let mut take = |p: u32| best = Some(best.map_or(p, |b| b.max(p)));
    if c.kind == HitKind::Counterparty {
        if let (Some(inn), Some(_)) = (c.inn, id.inn_prefix()) {
            if inn == d {
                take(points::INN_EXACT);
            } else if inn.starts_with(d) {
                take(points::INN_PREFIX);
            }
        }
        if let (Some(ogrn), Some(_)) = (c.ogrn, id.ogrn_prefix()) {
            if ogrn == d {
                take(points::OGRN_EXACT);
            } else if ogrn.starts_with(d) {
                take(points::OGRN_PREFIX);
            }
        }
    }
    if let Some(phone) = c.phone {
        for p in id.phone_prefixes() {
            if phone == p {
                take(points::PHONE_EXACT);
            } else if phone.starts_with(&p) {
                take(points::PHONE_PREFIX);
            }
        }
    }
    // A number inside a name ("Стройресурс-2000") is found too, below any identifier.
    if let Some(s) = score_words(std::slice::from_ref(&id.digits), c) {
        take(s);
    }
    best
}

fn score_email(e: &str, c: &Candidate<'_>) -> Option<u32> {
    let email = fold(c.email?);
    if email == e {
        Some(points::EMAIL_EXACT)
    } else if email.starts_with(e) {
        Some(points::EMAIL_PREFIX)
    } else {
        None
    }
}

fn score_words(query: &[String], c: &Candidate<'_>) -> Option<u32> {
    if query.is_empty() {
        return None;
    }
    let row = words(c.name);
    let row_lens: Vec<usize> = row.iter().map(|w| w.chars().count()).collect();
    let mut total = 0u32;
    let mut positions: Vec<usize> = Vec::with_capacity(query.len());
    for q in query {
        let qn = q.chars().count();
        let mut best: Option<(u32, usize)> = None;
        for (i, w) in row.iter().enumerate() {
            let p = if qn == 1 {
                // A single letter is an initial ("Иванов И"), never a typo or an inner part.
                w.starts_with(q.as_str()).then_some(60)
            } else {
                match_word(q, w).map(|m| m.points(qn, row_lens[i]))
            };
            if let Some(p) = p
                && best.is_none_or(|(b, _)| p > b)
            {
                best = Some((p, i));
            }
        }
        // A number may also be the beginning of the record's INN, OGRN or phone.
        if is_number(q) {
            let ident = identifier_word_points(q, c);
            if ident > best.map_or(0, |(b, _)| b) {
                best = Some((ident, usize::MAX));
            }
        }
        let (p, i) = best?;
        total += p;
        positions.push(i);
    }
    let n = query.len() as u32;
    let mut score = total / n;
    // Words typed in the order of the name rank a little higher than the same words shuffled.
    let named: Vec<usize> = positions.iter().copied().filter(|&i| i != usize::MAX).collect();
    if named.len() > 1 && named.windows(2).all(|p| p[0] < p[1]) {
        score += 5;
    }
    // The more of the name the query covers, the better ("Ромашка" over "Ромашка Плюс Регион").
    let mut covered = named.clone();
    covered.sort_unstable();
    covered.dedup();
    if !row.is_empty() {
        score += (10 * covered.len() / row.len()) as u32;
    }
    if c.archived {
        score = score.saturating_sub(10);
    }
    Some(score)
}

fn identifier_word_points(q: &str, c: &Candidate<'_>) -> u32 {
    let starts = |v: Option<&str>| v.is_some_and(|v| v.starts_with(q));
    let mut p = 0;
    if c.kind == HitKind::Counterparty && (starts(c.inn) || starts(c.ogrn)) {
        p = 90;
    }
    let phone_digits: String = c.phone.unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    if q.len() >= 3 && phone_digits.contains(q) {
        p = p.max(70);
    }
    p
}

/// Orders scored hits: best score first, then counterparties before contacts, then by name.
pub fn rank_order(a: (u32, HitKind, &str), b: (u32, HitKind, &str)) -> std::cmp::Ordering {
    let kind_rank = |k: HitKind| u8::from(k == HitKind::Contact);
    b.0.cmp(&a.0)
        .then_with(|| kind_rank(a.1).cmp(&kind_rank(b.1)))
        .then_with(|| a.2.cmp(b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_is_the_general_lower_case_with_yo_folded() {
        let samples = [
            "ООО «Ёлка-Трейд» Ltd.",
            "ИВАНОВ Пётр ёЁ",
            "ΣΑΣ ΟΔΟΣ",
            "İstanbul Straße",
            "Ⅻ ǅ ＡＢＣ",
            "",
            "7707083893 +7 (495) 123-45-67",
            "Ґанок Її Єва",
            "ООО «Рога и Копыта» — №\u{a0}1…",
        ];
        for s in samples {
            assert_eq!(fold(s), s.to_lowercase().replace('ё', "е"), "{s:?}");
        }
        for c in ['a', 'Z', '7', 'ж', 'Ж', 'ё', 'Ї', 'ß', 'Σ', '_', '«', ' ', '²', 'Ⅻ'] {
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    fn words_query(q: &str) -> Query {
        parse_query(q).expect("valid query")
    }

    fn company(name: &str) -> Candidate<'_> {
        Candidate {
            kind: HitKind::Counterparty,
            name,
            inn: Some("7707083893"),
            ogrn: Some("1027700132195"),
            phone: Some("+74951234567"),
            email: Some("info@romashka.ru"),
            archived: false,
        }
    }

    fn found(q: &str, name: &str) -> Option<u32> {
        score(&words_query(q), &company(name))
    }

    #[test]
    fn queries_are_classified() {
        assert_eq!(parse_query(" ромашка ").unwrap(), Query::Words(vec!["ромашка".into()]));
        assert_eq!(
            parse_query("ООО «Ромашка-Юг»").unwrap(),
            Query::Words(vec!["ооо".into(), "ромашка".into(), "юг".into()])
        );
        assert!(matches!(parse_query("7707083893"), Ok(Query::Identifier(i)) if i.digits == "7707083893"));
        assert!(matches!(parse_query("8 (495) 123-45-67"), Ok(Query::Identifier(i)) if i.digits == "84951234567"));
        assert_eq!(
            parse_query(" Info@Romashka.RU ").unwrap(),
            Query::Email("info@romashka.ru".into())
        );
        // Three digits are too few for an identifier: a word.
        assert_eq!(parse_query("777").unwrap(), Query::Words(vec!["777".into()]));
        assert_eq!(
            parse_query("ромашка 2000").unwrap(),
            Query::Words(vec!["ромашка".into(), "2000".into()])
        );
    }

    #[test]
    fn too_short_queries_are_refused_with_field_q() {
        for q in ["", " ", "р", " ж  "] {
            let e = parse_query(q).unwrap_err();
            assert_eq!((e.field, e.code), ("q", "query_too_short"), "{q:?}");
        }
        assert!(parse_query("ип").is_ok());
    }

    #[test]
    fn words_fold_case_yo_and_punctuation() {
        assert_eq!(words("ООО \"Ёлка\" (СПб)"), vec!["ооо", "елка", "спб"]);
        assert_eq!(words("«АвтоТорг»,  ЗАО"), vec!["автоторг", "зао"]);
        assert_eq!(fold("ЁЛКА Ёж"), "елка еж");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("ромашка", "ромашка"), 0);
        assert_eq!(edit_distance("ромошка", "ромашка"), 1);
        assert_eq!(edit_distance("рмоашка", "ромашка"), 1);
        assert_eq!(edit_distance("ромашк", "ромашка"), 1);
        assert_eq!(edit_distance("рамошка", "ромашка"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn trigrams_are_distinct_and_ordered() {
        assert_eq!(trigrams("ромашка"), vec!["ром", "ома", "маш", "ашк", "шка"]);
        assert_eq!(trigrams("ааааа"), vec!["ааа"]);
        assert!(trigrams("ип").is_empty());
    }

    #[test]
    fn a_name_is_found_exactly_and_by_its_beginning() {
        assert!(found("ромашка", "ООО \"Ромашка\"").is_some());
        assert!(found("РОМАШКА", "ООО \"Ромашка\"").is_some());
        assert!(found("ромаш", "ООО \"Ромашка\"").is_some());
        assert!(found("ромашка", "ООО \"Василёк\"").is_none());
        assert!(found("ромашка", "ООО \"Ромашка\"") > found("ромаш", "ООО \"Ромашка\""));
    }

    #[test]
    fn one_and_two_typos_are_forgiven_in_long_enough_words() {
        assert!(found("ромошка", "ООО \"Ромашка\"").is_some());
        assert!(found("рамашка", "ООО \"Ромашка\"").is_some());
        assert!(
            found("рамошка", "ООО \"Ромашка\"").is_some(),
            "two typos in seven letters"
        );
        assert!(found("рмоашка", "ООО \"Ромашка\"").is_some(), "swapped letters");
        assert!(found("строиресурз", "ООО \"Стройресурс\"").is_some());
        // Three typos are too many, and short words must be exact.
        assert!(found("рамошко", "ООО \"Ромашка\"").is_none());
        assert!(found("ооа", "ООО \"Ромашка\"").is_none());
        assert!(found("ромашка", "ООО \"Ромашка\"") > found("ромошка", "ООО \"Ромашка\""));
        assert!(found("ромошка", "ООО \"Ромашка\"") > found("рамошка", "ООО \"Ромашка\""));
    }

    #[test]
    fn a_typo_in_the_beginning_of_a_word_is_forgiven() {
        assert!(found("ромош", "ООО \"Ромашка\"").is_some());
        assert_eq!(match_word("ромош", "ромашка"), Some(WordMatch::TypoPrefix(1)));
    }

    #[test]
    fn yo_and_ye_are_the_same_letter() {
        assert!(found("ёлка", "ИП \"Елка\"").is_some());
        assert!(found("елка", "ООО «Ёлка»").is_some());
        assert_eq!(found("ёлка", "ООО «Ёлка»"), found("елка", "ООО «Елка»"));
    }

    #[test]
    fn word_order_does_not_matter_and_inner_parts_match() {
        assert!(found("торг авто", "ООО \"АвтоТорг\"").is_some());
        assert!(found("авто торг", "ООО \"АвтоТорг\"").is_some());
        assert!(found("ирина иванова", "Иванова Ирина Сергеевна").is_some());
        // Every word must match something.
        assert!(found("торг молоко", "ООО \"АвтоТорг\"").is_none());
        // Typed in the name's order ranks a little higher.
        assert!(found("иванова ирина", "Иванова Ирина Сергеевна") > found("ирина иванова", "Иванова Ирина Сергеевна"));
    }

    #[test]
    fn a_shorter_name_covering_the_query_ranks_higher() {
        assert!(found("ромашка", "ООО \"Ромашка\"") > found("ромашка", "ООО \"Ромашка Плюс Регион Центр\""));
    }

    #[test]
    fn exact_inn_ranks_above_a_name_containing_those_digits() {
        let q = words_query("7707083893");
        let by_inn = score(&q, &company("ООО \"Ромашка\"")).unwrap();
        let by_name = score(
            &q,
            &Candidate {
                inn: Some("5408123456"),
                ogrn: None,
                ..company("ООО \"7707083893\"")
            },
        )
        .unwrap();
        assert_eq!(by_inn, points::INN_EXACT);
        assert!(by_inn > by_name);
        let prefix = score(&words_query("77070"), &company("ООО \"Ромашка\"")).unwrap();
        assert_eq!(prefix, points::INN_PREFIX);
        assert!(by_inn > prefix);
    }

    #[test]
    fn ogrn_is_found_by_its_beginning_and_exactly() {
        assert_eq!(
            score(&words_query("1027700132195"), &company("x")),
            Some(points::OGRN_EXACT)
        );
        assert_eq!(score(&words_query("1027700"), &company("x")), Some(points::OGRN_PREFIX));
    }

    #[test]
    fn phone_in_any_usual_format_matches_e164() {
        for q in [
            "8 (495) 123-45-67",
            "+7 495 123-45-67",
            "74951234567",
            "4951234567",
            "(495) 123 45 67",
        ] {
            assert_eq!(score(&words_query(q), &company("x")), Some(points::PHONE_EXACT), "{q}");
        }
        assert_eq!(
            score(&words_query("8 495 123"), &company("x")),
            Some(points::PHONE_PREFIX)
        );
        assert_eq!(score(&words_query("+7 812 123"), &company("x")), None);
        // A contact is found by its own phone but never by its company's INN.
        let contact = Candidate {
            kind: HitKind::Contact,
            ..company("Иванов Иван")
        };
        assert_eq!(
            score(&words_query("8 495 123-45-67"), &contact),
            Some(points::PHONE_EXACT)
        );
        assert_eq!(score(&words_query("7707083893"), &contact), None);
    }

    #[test]
    fn phone_prefixes_cover_the_usual_ways_of_typing() {
        let p = |q: &str| match parse_query(q).unwrap() {
            Query::Identifier(i) => i.phone_prefixes(),
            other => panic!("{other:?}"),
        };
        assert_eq!(p("8 (495) 123-45-67"), vec!["+74951234567"]);
        assert_eq!(p("+7 495"), vec!["+7495"]);
        assert_eq!(p("8123"), vec!["+7123", "+78123"]);
        assert_eq!(p("7495"), vec!["+7495", "+77495"]);
    }

    #[test]
    fn email_matches_whole_or_its_beginning_case_insensitively() {
        let c = Candidate {
            email: Some("Ivan.Petrov@romashka.ru"),
            ..company("x")
        };
        assert_eq!(
            score(&words_query("ivan.petrov@romashka.ru"), &c),
            Some(points::EMAIL_EXACT)
        );
        assert_eq!(score(&words_query("Ivan.Petrov@rom"), &c), Some(points::EMAIL_PREFIX));
        assert_eq!(score(&words_query("petrov@romashka.ru"), &c), None);
    }

    #[test]
    fn expansion_keeps_matching_vocabulary_words_best_first() {
        let vocab = ["ромашкаплюс", "ромашка", "василек", "ромашка", "громашка", "рамашка"].map(String::from);
        let e = Expansion::new("ромашка", vocab);
        let ws: Vec<&str> = e.alternatives.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(ws, vec!["ромашка", "ромашкаплюс", "рамашка", "громашка"]);
        assert_eq!(e.for_round(0), vec!["ромашка"]);
        assert_eq!(e.for_round(1), vec!["ромашка", "ромашкаплюс"]);
        assert_eq!(e.for_round(2).len(), 4);
    }

    #[test]
    fn scores_order_hits_and_ties_put_counterparties_first() {
        use std::cmp::Ordering;
        assert_eq!(
            rank_order((90, HitKind::Contact, "а"), (100, HitKind::Counterparty, "я")),
            Ordering::Greater
        );
        assert_eq!(
            rank_order((90, HitKind::Counterparty, "я"), (90, HitKind::Contact, "а")),
            Ordering::Less
        );
    }
}
