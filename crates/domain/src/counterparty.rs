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
    crate::search::fold(&joined)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Legal forms that say nothing about who the client is: dropped from [`name_key`].
const LEGAL_FORMS: &[&str] = &[
    "ооо", "оао", "зао", "пао", "ао", "нао", "ип", "нко", "ано", "гуп", "муп", "фгуп", "ук", "тд", "пк", "llc", "ltd",
    "inc", "jsc", "gmbh",
];

/// A name reduced to what identifies the business: lower case, ё → е, quotes, punctuation and
/// legal forms dropped, words sorted. "ООО «Ромашка-Трейд»" and "Ромашка Трейд, ООО" share it,
/// so the duplicate report finds them when they are in the same city.
pub fn name_key(name: &str) -> String {
    let folded: String = crate::search::fold(name)
        .chars()
        .map(|c| if crate::search::is_word_char(c) { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().filter(|w| !LEGAL_FORMS.contains(w)).collect();
    words.sort_unstable();
    words.join(" ")
}

/// Tags as typed ("VIP, Опт; опт") → distinct lower-case labels in first-seen order.
pub fn parse_tags(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.split([',', ';', '|']) {
        let t = crate::search::fold(t.trim());
        if !t.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Tags as stored: ",a,b," (so one tag matches `LIKE '%,a,%'`), or `None` for no tags.
pub fn tags_column(tags: &[String]) -> Option<String> {
    (!tags.is_empty()).then(|| format!(",{},", tags.join(",")))
}

/// The stored column back to a list.
pub fn tags_from_column(col: Option<&str>) -> Vec<String> {
    col.map(|c| c.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_key_ignores_legal_form_quotes_and_order() {
        assert_eq!(name_key("ООО «Ромашка-Трейд»"), "ромашка трейд");
        assert_eq!(name_key("Ромашка Трейд, ООО"), "ромашка трейд");
        assert_eq!(name_key("АО \"Ёлка\""), "елка");
        assert_ne!(name_key("ООО Ромашка"), name_key("ООО Лютик"));
    }

    #[test]
    fn tags_are_distinct_lower_case_and_round_trip() {
        let tags = parse_tags("VIP, Опт; опт | ,Ёлки");
        assert_eq!(tags, vec!["vip", "опт", "елки"]);
        let col = tags_column(&tags);
        assert_eq!(col.as_deref(), Some(",vip,опт,елки,"));
        assert_eq!(tags_from_column(col.as_deref()), tags);
        assert_eq!(tags_column(&[]), None);
    }

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

use crate::identifiers::{Inn, Kpp, Ogrn, Ogrnip};

/// Checked requisites of a counterparty, consistent with its kind:
/// - a legal entity has a 10-digit INN, a KPP and (optionally) a 13-digit OGRN;
/// - a sole proprietor has a 12-digit INN, no KPP and (optionally) a 15-digit OGRNIP;
/// - a person may have a 12-digit INN and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requisites {
    pub inn: Option<Inn>,
    pub kpp: Option<Kpp>,
    /// OGRN for a legal entity, OGRNIP for a sole proprietor.
    pub ogrn: Option<String>,
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

impl Requisites {
    pub fn parse(
        kind: CounterpartyKind,
        inn: Option<&str>,
        kpp: Option<&str>,
        ogrn: Option<&str>,
    ) -> Result<Self, FieldError> {
        let inn = non_empty(inn).map(Inn::parse).transpose()?;
        let kpp_raw = non_empty(kpp);
        let ogrn_raw = non_empty(ogrn);
        match kind {
            CounterpartyKind::LegalEntity => {
                let inn = inn.ok_or_else(|| FieldError::new("inn", "required"))?;
                if !inn.is_legal_entity() {
                    return Err(FieldError::new("inn", "invalid_inn").with("reason", "kind_mismatch"));
                }
                let kpp = Kpp::parse(kpp_raw.ok_or_else(|| FieldError::new("kpp", "required"))?)?;
                let ogrn = ogrn_raw.map(Ogrn::parse).transpose()?.map(|o| o.to_string());
                Ok(Requisites {
                    inn: Some(inn),
                    kpp: Some(kpp),
                    ogrn,
                })
            }
            CounterpartyKind::SoleProprietor => {
                let inn = inn.ok_or_else(|| FieldError::new("inn", "required"))?;
                if inn.is_legal_entity() {
                    return Err(FieldError::new("inn", "invalid_inn").with("reason", "kind_mismatch"));
                }
                if kpp_raw.is_some() {
                    return Err(FieldError::new("kpp", "kpp_not_applicable"));
                }
                let ogrn = ogrn_raw
                    .map(|o| Ogrnip::parse(o).map_err(|e| e.on("ogrn")))
                    .transpose()?
                    .map(|o| o.to_string());
                Ok(Requisites {
                    inn: Some(inn),
                    kpp: None,
                    ogrn,
                })
            }
            CounterpartyKind::Person => {
                if let Some(i) = &inn
                    && i.is_legal_entity()
                {
                    return Err(FieldError::new("inn", "invalid_inn").with("reason", "kind_mismatch"));
                }
                if kpp_raw.is_some() {
                    return Err(FieldError::new("kpp", "kpp_not_applicable"));
                }
                if ogrn_raw.is_some() {
                    return Err(FieldError::new("ogrn", "ogrn_not_applicable"));
                }
                Ok(Requisites {
                    inn,
                    kpp: None,
                    ogrn: None,
                })
            }
        }
    }
}

#[cfg(test)]
mod requisites_tests {
    use super::*;

    #[test]
    fn a_legal_entity_needs_a_ten_digit_inn_and_a_kpp() {
        let ok = Requisites::parse(
            CounterpartyKind::LegalEntity,
            Some("7707083893"),
            Some("773601001"),
            Some("1027700132195"),
        )
        .unwrap();
        assert_eq!(ok.inn.unwrap().as_ref(), "7707083893");
        let e = Requisites::parse(CounterpartyKind::LegalEntity, Some("7707083893"), None, None).unwrap_err();
        assert_eq!((e.field, e.code), ("kpp", "required"));
        let e = Requisites::parse(
            CounterpartyKind::LegalEntity,
            Some("7707083894"),
            Some("773601001"),
            None,
        )
        .unwrap_err();
        assert_eq!(
            (e.field, e.code, e.param("reason")),
            ("inn", "invalid_inn", Some("checksum"))
        );
        let e = Requisites::parse(
            CounterpartyKind::LegalEntity,
            Some("123456789047"),
            Some("773601001"),
            None,
        )
        .unwrap_err();
        assert_eq!(e.param("reason"), Some("kind_mismatch"));
    }

    #[test]
    fn a_sole_proprietor_has_a_twelve_digit_inn_no_kpp_and_an_ogrnip() {
        let ok = Requisites::parse(
            CounterpartyKind::SoleProprietor,
            Some("123456789047"),
            None,
            Some("321789192309241"),
        )
        .unwrap();
        assert_eq!(ok.ogrn.as_deref(), Some("321789192309241"));
        let e = Requisites::parse(
            CounterpartyKind::SoleProprietor,
            Some("123456789047"),
            Some("773601001"),
            None,
        )
        .unwrap_err();
        assert_eq!(e.code, "kpp_not_applicable");
        let e = Requisites::parse(
            CounterpartyKind::SoleProprietor,
            Some("123456789047"),
            None,
            Some("1027700132195"),
        )
        .unwrap_err();
        assert_eq!((e.field, e.code), ("ogrn", "invalid_ogrnip"));
    }

    #[test]
    fn a_person_may_have_only_a_personal_inn() {
        assert!(
            Requisites::parse(CounterpartyKind::Person, None, None, None)
                .unwrap()
                .inn
                .is_none()
        );
        assert_eq!(
            Requisites::parse(CounterpartyKind::Person, None, None, Some("1027700132195"))
                .unwrap_err()
                .code,
            "ogrn_not_applicable"
        );
    }
}
