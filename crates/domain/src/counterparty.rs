//! Counterparty classification: kind, lifecycle status, tier. Each is a closed set; the
//! database stores the snake_case name and parsing rejects anything else.

use serde::{Deserialize, Serialize};

use crate::FieldError;

string_enum!(
    /// Legal form of a counterparty: it decides which identifiers are required.
    CounterpartyKind, "kind", "invalid_kind" {
        LegalEntity => "legal_entity",
        SoleProprietor => "sole_proprietor",
        Person => "person",
    }
);

string_enum!(
    /// Lifecycle: suspect → prospect → qualified → client → key client; dormant and lost on the side.
    LifecycleStatus, "status", "invalid_status" {
        Suspect => "suspect",
        Prospect => "prospect",
        Qualified => "qualified",
        Client => "client",
        KeyClient => "key_client",
        Dormant => "dormant",
        Lost => "lost",
    }
);

string_enum!(
    /// Service tier: key and VIP clients get special schemes.
    Tier, "tier", "invalid_tier" {
        Regular => "regular",
        Key => "key",
        Vip => "vip",
    }
);

/// The normalized text every search runs against: lower case, `ё` folded to `е`, single
/// spaces. Stored beside the record so SQLite and PostgreSQL compare the same bytes.
pub fn search_key(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    joined
        .to_lowercase()
        .replace('ё', "е")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_only_known_names() {
        for s in LifecycleStatus::ALL {
            assert_eq!(LifecycleStatus::parse(s.as_str()), Ok(*s));
        }
        let err = LifecycleStatus::parse("winner").unwrap_err();
        assert_eq!((err.field, err.code), ("status", "invalid_status"));
    }

    #[test]
    fn search_key_folds_case_yo_and_spaces() {
        assert_eq!(search_key(&["ООО  «Ёлка»", "", "7707083893"]), "ооо «елка» 7707083893");
    }
}
