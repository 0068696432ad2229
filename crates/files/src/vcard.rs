use chrono::{Datelike, NaiveDate};

/// One contact for export to phones and mail clients. Borrowed fields, because exports are built straight
/// from rows the caller already holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VCard<'a> {
    /// "Фамилия Имя Отчество" as stored in the CRM; `N:` is derived from it.
    pub full_name: &'a str,
    /// Also used as the display name when the contact has no name.
    pub organization: Option<&'a str>,
    pub title: Option<&'a str>,
    /// Blank entries are skipped; Russian mobiles (+7 9xx) are typed CELL, others WORK.
    pub phones: Vec<&'a str>,
    /// Blank entries are skipped.
    pub emails: Vec<&'a str>,
    /// chrono, because the rest of Prospekt already carries dates as `NaiveDate`.
    pub birthday: Option<NaiveDate>,
    /// Free text; line breaks are kept (escaped), long notes are folded.
    pub note: Option<&'a str>,
}

/// Writes contacts as one vCard 3.0 file (the version iOS, Android and Outlook all import): UTF-8, CRLF,
/// RFC 2426 escaping and 75-octet folding on character boundaries, so long Cyrillic notes survive intact.
pub fn vcards(cards: &[VCard<'_>]) -> String {
    let mut out = String::with_capacity(cards.len() * 256);
    for card in cards {
        write_card(&mut out, card);
    }
    out
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn write_card(out: &mut String, card: &VCard<'_>) {
    let full_name = card.full_name.trim();
    let phones: Vec<&str> = card.phones.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    let emails: Vec<&str> = card.emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()).collect();
    let organization = non_empty(card.organization);

    // FN is mandatory and is what the phone shows; fall back to whatever identifies the contact.
    let display = [
        Some(full_name).filter(|n| !n.is_empty()),
        organization,
        emails.first().copied(),
        phones.first().copied(),
    ]
    .into_iter()
    .flatten()
    .next()
    .unwrap_or("-");
    let (family, given, additional) = split_russian_name(full_name);

    push_folded(out, "BEGIN:VCARD");
    push_folded(out, "VERSION:3.0");
    push_folded(
        out,
        &format!("N:{};{};{};;", escape(family), escape(given), escape(&additional)),
    );
    push_folded(out, &format!("FN:{}", escape(display)));
    if let Some(organization) = organization {
        push_folded(out, &format!("ORG:{}", escape(organization)));
    }
    if let Some(title) = non_empty(card.title) {
        push_folded(out, &format!("TITLE:{}", escape(title)));
    }
    for phone in phones {
        let kind = if is_russian_mobile(phone) { "CELL" } else { "WORK" };
        push_folded(out, &format!("TEL;TYPE={kind},VOICE:{}", escape(phone)));
    }
    for email in emails {
        push_folded(out, &format!("EMAIL;TYPE=INTERNET:{}", escape(email)));
    }
    if let Some(date) = card.birthday {
        push_folded(
            out,
            &format!("BDAY:{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
        );
    }
    if let Some(note) = non_empty(card.note) {
        push_folded(out, &format!("NOTE:{}", escape(note)));
    }
    push_folded(out, "END:VCARD");
}

/// Russian names are stored family-first ("Иванов Иван Петрович"); a single word is taken as the given
/// name, and anything after the given name (patronymic, "оглы", "кызы") is the additional name.
fn split_russian_name(full_name: &str) -> (&str, &str, String) {
    let mut parts = full_name.split_whitespace();
    match (parts.next(), parts.next()) {
        (None, _) => ("", "", String::new()),
        (Some(given), None) => ("", given, String::new()),
        (Some(family), Some(given)) => (family, given, parts.collect::<Vec<_>>().join(" ")),
    }
}

/// +7 9xx / 8 9xx with 11 digits: lets the phone label it "mobile" rather than "work".
fn is_russian_mobile(phone: &str) -> bool {
    let digits: Vec<u8> = phone.bytes().filter(u8::is_ascii_digit).collect();
    digits.len() == 11 && matches!(digits[0], b'7' | b'8') && digits[1] == b'9'
}

/// RFC 2426 text escaping; line breaks of any style become `\n` so a note cannot break the card.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (continuation lines start with a space, so 74 octets of content),
/// never splitting a UTF-8 character — a split "я" would turn into two replacement characters.
fn push_folded(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = 74;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_family_first() {
        assert_eq!(
            split_russian_name("Иванов Иван Петрович"),
            ("Иванов", "Иван", "Петрович".to_owned())
        );
        assert_eq!(
            split_russian_name("  Иванов   Иван "),
            ("Иванов", "Иван", String::new())
        );
        assert_eq!(
            split_russian_name("Мамедов Рашид Гейдар оглы"),
            ("Мамедов", "Рашид", "Гейдар оглы".to_owned())
        );
        assert_eq!(split_russian_name("Мадонна"), ("", "Мадонна", String::new()));
        assert_eq!(split_russian_name(""), ("", "", String::new()));
    }

    #[test]
    fn mobiles_are_recognised() {
        assert!(is_russian_mobile("+7 (916) 123-45-67"));
        assert!(is_russian_mobile("89161234567"));
        assert!(!is_russian_mobile("+7 495 123-45-67"));
        assert!(!is_russian_mobile("123"));
    }
}
