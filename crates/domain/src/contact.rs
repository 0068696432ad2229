//! Contact details: phone numbers normalized to E.164 and e-mail addresses.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A phone number in E.164 (`+74951234567`). Russian numbers written the usual ways —
/// `8 (495) 123-45-67`, `+7 495 123 45 67`, `4951234567` — all become the same value, so
/// duplicates are found however they were typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("phone", "required"));
        }
        if trimmed.chars().any(|c| !(c.is_ascii_digit() || " +-().".contains(c))) {
            return Err(FieldError::new("phone", "invalid_phone").with("reason", "characters"));
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let international = trimmed.starts_with('+');
        let e164 = match digits.len() {
            // A Russian number without the country code.
            10 if !international => format!("7{digits}"),
            // Russian trunk prefix 8 stands for +7.
            11 if !international && digits.starts_with('8') => format!("7{}", &digits[1..]),
            11 if digits.starts_with('7') => digits,
            // Other countries: as given with +, 8–15 digits per E.164.
            8..=15 if international => digits,
            _ => return Err(FieldError::new("phone", "invalid_phone").with("reason", "length")),
        };
        Ok(Phone(format!("+{e164}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, trimmed and with the domain lower-cased. Checks the shape only
/// (one `@`, a dotted domain, no spaces); whether it exists is for the mail server to say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let bad = || FieldError::new("email", "invalid_email");
        if s.is_empty() {
            return Err(FieldError::new("email", "required"));
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let valid = !local.is_empty()
            && local.len() <= 64
            && domain.len() <= 253
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';');
        if !valid {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_numbers_in_every_usual_form_become_one_e164_value() {
        for raw in [
            "8 (495) 123-45-67",
            "+7 495 123 45 67",
            "74951234567",
            "4951234567",
            "+7(495)123-45-67",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "+74951234567", "{raw}");
        }
        assert_eq!(Phone::parse("+49 30 1234567").unwrap().as_str(), "+49301234567");
    }

    #[test]
    fn bad_phones_name_the_reason() {
        assert_eq!(Phone::parse("12345").unwrap_err().param("reason"), Some("length"));
        assert_eq!(
            Phone::parse("8-800-ЗВОНИ").unwrap_err().param("reason"),
            Some("characters")
        );
        assert_eq!(Phone::parse(" ").unwrap_err().code, "required");
    }

    #[test]
    fn emails_keep_the_local_part_and_lowercase_the_domain() {
        assert_eq!(
            Email::parse(" Ivan.Petrov@Romashka.RU ").unwrap().as_str(),
            "Ivan.Petrov@romashka.ru"
        );
        for bad in ["ivan", "ivan@", "@x.ru", "ivan@ru", "a b@x.ru", "a@x..", "a@@x.ru"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}

string_enum!(
    /// A contact's part in the client's buying decision.
    DecisionRole, "decision_role", "invalid_decision_role" {
        DecisionMaker => "decision_maker",
        Influencer => "influencer",
        User => "user",
        Gatekeeper => "gatekeeper",
        Accountant => "accountant",
    }
);
