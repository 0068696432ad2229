use std::borrow::Cow;

/// Defuses spreadsheet formula injection (CSV injection): a CRM exports text that outsiders typed in
/// (web forms, e-mails), and Excel would execute `=HYPERLINK(...)` or `+cmd|...` when the export is opened.
///
/// A cell starting with `=`, `@`, tab or CR gets a leading `'`; so does one starting with `+` or `-`
/// unless the rest is number-like (digits with spaces, `.`, `,`, `(`, `)`, `-`), which keeps phone numbers
/// such as "+7 (916) 123-45-67", amounts such as "-150.00" and a lone "-" placeholder intact — without
/// letters such a cell cannot call a function or reference another cell.
pub fn neutralize_formula(cell: &str) -> Cow<'_, str> {
    let dangerous = match cell.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        // A lone "-" is the usual "no value" placeholder and is not a formula.
        Some(b'+' | b'-') => cell.len() > 1 && !number_like(&cell[1..]),
        _ => false,
    };
    if dangerous {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn number_like(rest: &str) -> bool {
    rest.bytes().any(|b| b.is_ascii_digit())
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'.' | b',' | b'(' | b')' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::neutralize_formula as guard;

    #[test]
    fn formulas_are_prefixed_numbers_are_not() {
        assert_eq!(guard("=1+1"), "'=1+1");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("\rx"), "'\rx");
        assert_eq!(guard("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
        assert_eq!(guard("-2+3+cmd|' /C calc'!A0"), "'-2+3+cmd|' /C calc'!A0");
        assert_eq!(guard("-A1"), "'-A1");
        assert_eq!(guard("+ x"), "'+ x");
        assert_eq!(guard("-"), "-");
        assert_eq!(guard("+79161234567"), "+79161234567");
        assert_eq!(guard("+7 (916) 123-45-67"), "+7 (916) 123-45-67");
        assert_eq!(guard("-150.00"), "-150.00");
        assert_eq!(guard("-1 234,56"), "-1 234,56");
        assert_eq!(guard("ООО «Ромашка» = лучшие"), "ООО «Ромашка» = лучшие");
        assert_eq!(guard(""), "");
        assert_eq!(guard("7707083893"), "7707083893");
    }
}
