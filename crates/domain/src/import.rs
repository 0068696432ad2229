//! Import of counterparties from a spreadsheet: the pure half.
//!
//! Another crate reads a CSV/XLSX file into header strings and rows of cell strings; this
//! module decides which column feeds which field ([`Mapping`]), turns one row into a
//! checked [`CounterpartyDraft`] ([`parse_row`]) and finds rows that describe the same
//! counterparty twice ([`duplicates_in_file`]). Nothing here touches the database: whether
//! a draft updates an existing record or creates a new one is for the caller to decide
//! with [`MatchKey`].
//!
//! A row is checked completely: [`parse_row`] reports every problem of the row, each as a
//! [`FieldError`] whose `field` is the [`ImportField`] name, so a manager fixes the file
//! once instead of re-uploading it for every error. Values go through the same parsers as
//! the forms of the product (INN, phone, money, …), so the error codes are the same too.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::contact::{Email, Phone};
use crate::counterparty::{CounterpartyKind, LifecycleStatus, Requisites, Tier};
use crate::identifiers::{Bik, Inn, Kpp, Ogrn, Ogrnip, check_corr_account, check_settlement_account};
use crate::money::Money;

string_enum!(
    /// A target column of the counterparty import.
    ImportField, "column", "invalid_column" {
        ExternalId => "external_id",
        Kind => "kind",
        Name => "name",
        FullName => "full_name",
        Inn => "inn",
        Kpp => "kpp",
        Ogrn => "ogrn",
        Industry => "industry",
        Size => "size",
        LeadSource => "lead_source",
        Status => "status",
        Tier => "tier",
        Owner => "owner",
        Territory => "territory",
        PaymentTermsDays => "payment_terms_days",
        CreditLimit => "credit_limit",
        LegalAddress => "legal_address",
        ActualAddress => "actual_address",
        City => "city",
        Phone => "phone",
        Email => "email",
        Needs => "needs",
        Tags => "tags",
        Notes => "notes",
        Bik => "bik",
        Account => "account",
        CorrAccount => "corr_account",
        BankName => "bank_name",
        ContactName => "contact_name",
        ContactPosition => "contact_position",
        ContactPhone => "contact_phone",
        ContactEmail => "contact_email",
    }
);

/// Longest cell accepted, in characters. Longer cells are more likely a broken CSV
/// (a missing quote swallowing the rest of the file) than real data.
pub const MAX_CELL_CHARS: usize = 1000;

/// Longest payment delay, in days, accepted for `payment_terms_days`.
pub const MAX_PAYMENT_TERMS_DAYS: i32 = 365;

/// Field name of the errors about the mapping itself (not about a row).
const MAPPING_FIELD: &str = "column";

/// Folds a header or a word to a comparison key: lower case, `ё` → `е`, letters and
/// digits only. "E-mail", "e mail" and "EMAIL" all become `email`; "Р/с" becomes `рс`.
fn compact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match crate::search::fold_common(c) {
            Some(f) => out.push(f),
            None => out.extend(c.to_lowercase().map(|l| if l == 'ё' { 'е' } else { l })),
        }
    }
    out.retain(crate::search::is_word_char);
    out
}

/// Typical headers of Russian and English spreadsheets (1C exports, other CRMs, hand-made
/// lists), written readably; they are compared after [`compact`]. The snake_case field
/// names themselves are always recognised and need not be listed.
const HEADER_SYNONYMS: &[(ImportField, &[&str])] = &[
    (
        ImportField::ExternalId,
        &[
            "Внешний код",
            "Код",
            "Внешний ID",
            "Ид",
            "ID 1С",
            "ID 1C",
            "Код 1С",
            "Код 1C",
            "External ID",
            "ID",
            "GUID",
        ],
    ),
    (
        ImportField::Kind,
        &[
            "Вид",
            "Тип",
            "Тип контрагента",
            "Вид контрагента",
            "ОПФ",
            "Организационно-правовая форма",
            "Type",
            "Counterparty type",
        ],
    ),
    (
        ImportField::Name,
        &[
            "Наименование",
            "Название",
            "Краткое наименование",
            "Сокращённое наименование",
            "Компания",
            "Название компании",
            "Наименование организации",
            "Организация",
            "Контрагент",
            "Наименование контрагента",
            "Клиент",
            "Company",
            "Company name",
            "Short name",
            "Organization",
            "Organisation",
            "Account name",
        ],
    ),
    (
        ImportField::FullName,
        &[
            "Полное наименование",
            "Полное название",
            "Полное наименование организации",
            "Legal name",
        ],
    ),
    (ImportField::Inn, &["ИНН"]),
    (ImportField::Kpp, &["КПП"]),
    (ImportField::Ogrn, &["ОГРН", "ОГРНИП", "ОГРН/ОГРНИП", "OGRNIP"]),
    (
        ImportField::Industry,
        &["Отрасль", "Сфера деятельности", "Вид деятельности"],
    ),
    (
        ImportField::Size,
        &["Размер", "Размер компании", "Численность", "Company size"],
    ),
    (
        ImportField::LeadSource,
        &["Источник", "Источник лида", "Источник клиента", "Source"],
    ),
    (ImportField::Status, &["Статус", "Статус клиента", "Стадия"]),
    (
        ImportField::Tier,
        &["Категория", "Уровень", "Категория клиента", "Category", "Level"],
    ),
    (
        ImportField::Owner,
        &[
            "Ответственный",
            "Менеджер",
            "Ответственный менеджер",
            "Логин ответственного",
            "Manager",
            "Account manager",
        ],
    ),
    (ImportField::Territory, &["Территория", "Регион", "Region"]),
    (
        ImportField::PaymentTermsDays,
        &[
            "Отсрочка",
            "Отсрочка платежа",
            "Отсрочка платежа, дней",
            "Отсрочка, дней",
            "Отсрочка, дн.",
            "Payment terms",
            "Payment terms, days",
        ],
    ),
    (ImportField::CreditLimit, &["Кредитный лимит", "Лимит кредита", "Лимит"]),
    (
        ImportField::LegalAddress,
        &["Юридический адрес", "Юр. адрес", "Адрес регистрации"],
    ),
    (
        ImportField::ActualAddress,
        &["Фактический адрес", "Факт. адрес", "Адрес фактический"],
    ),
    (ImportField::City, &["Город", "Населённый пункт"]),
    (
        ImportField::Phone,
        &["Телефон", "Тел.", "Телефон организации", "Телефон компании"],
    ),
    (
        ImportField::Email,
        &[
            "E-mail",
            "Эл. почта",
            "Электронная почта",
            "Почта",
            "E-mail организации",
            "Mail",
        ],
    ),
    (ImportField::Needs, &["Потребности", "Потребность"]),
    (ImportField::Tags, &["Теги", "Тэги", "Метки", "Labels"]),
    (
        ImportField::Notes,
        &[
            "Примечание",
            "Примечания",
            "Комментарий",
            "Комментарии",
            "Note",
            "Comment",
            "Comments",
        ],
    ),
    (ImportField::Bik, &["БИК", "БИК банка", "BIC"]),
    (
        ImportField::Account,
        &["Расчётный счёт", "Р/с", "Р/сч", "Номер счёта", "Settlement account"],
    ),
    (
        ImportField::CorrAccount,
        &[
            "Корр. счёт",
            "Кор. счёт",
            "Корреспондентский счёт",
            "К/с",
            "К/сч",
            "Correspondent account",
        ],
    ),
    (ImportField::BankName, &["Банк", "Наименование банка", "Bank"]),
    (
        ImportField::ContactName,
        &[
            "Контактное лицо",
            "ФИО",
            "ФИО контакта",
            "ФИО контактного лица",
            "Контакт",
            "Contact",
            "Contact person",
        ],
    ),
    (
        ImportField::ContactPosition,
        &[
            "Должность",
            "Должность контакта",
            "Должность контактного лица",
            "Position",
            "Job title",
        ],
    ),
    (
        ImportField::ContactPhone,
        &["Телефон контакта", "Телефон контактного лица"],
    ),
    (
        ImportField::ContactEmail,
        &[
            "Email контакта",
            "E-mail контакта",
            "Почта контакта",
            "Эл. почта контакта",
            "Email контактного лица",
            "E-mail контактного лица",
        ],
    ),
];

/// Words that identify a requisite column even with a qualifier around them ("ИНН
/// организации", "КПП (для ЮЛ)"). A header naming two different requisites ("ИНН/КПП")
/// is left unmapped rather than guessed.
const REQUISITE_WORDS: &[(&str, ImportField)] = &[
    ("инн", ImportField::Inn),
    ("inn", ImportField::Inn),
    ("кпп", ImportField::Kpp),
    ("kpp", ImportField::Kpp),
    ("огрн", ImportField::Ogrn),
    ("огрнип", ImportField::Ogrn),
    ("ogrn", ImportField::Ogrn),
    ("ogrnip", ImportField::Ogrn),
    ("бик", ImportField::Bik),
    ("bik", ImportField::Bik),
];

/// The field a header most likely means, if any.
fn guess_field(header: &str) -> Option<ImportField> {
    let key = compact(header);
    if key.is_empty() {
        return None;
    }
    let by_name = ImportField::ALL.iter().copied().find(|f| compact(f.as_str()) == key);
    let by_synonym = || {
        HEADER_SYNONYMS
            .iter()
            .find(|(_, names)| names.iter().any(|n| compact(n) == key))
            .map(|(f, _)| *f)
    };
    by_name.or_else(by_synonym).or_else(|| {
        let found: HashSet<ImportField> = header
            .split(|c: char| !c.is_alphanumeric())
            .filter_map(|word| {
                let word = compact(word);
                REQUISITE_WORDS.iter().find(|(w, _)| *w == word).map(|(_, f)| *f)
            })
            .collect();
        if found.len() == 1 {
            found.into_iter().next()
        } else {
            None
        }
    })
}

/// Which column (0-based index into the header row) feeds which field. A field is fed by
/// at most one column; one column may feed several fields (e.g. `name` and `full_name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// Sorted by column index, then by field order.
    columns: Vec<(usize, ImportField)>,
}

impl Mapping {
    /// Recognises typical Russian and English headers, case-insensitively and ignoring
    /// `ё`/`е`, punctuation and spaces. When two columns mean the same field the first
    /// one wins; the other and every unknown column stay unmapped (see
    /// [`Mapping::unmapped`]) so the UI can show them.
    pub fn guess(headers: &[String]) -> Mapping {
        let mut mapping = Mapping::default();
        for (index, header) in headers.iter().enumerate() {
            if let Some(field) = guess_field(header)
                && mapping.column(field).is_none()
            {
                mapping.columns.push((index, field));
            }
        }
        mapping
    }

    /// An explicit mapping chosen by the user: pairs of (header text as in the file,
    /// field name). Errors name the offending header (`unknown_header`, param `header`),
    /// field (`invalid_column`, param `value`) or repeated field (`duplicate_column`,
    /// param `column`). With repeated header texts the first such column is used.
    pub fn from_names(headers: &[String], pairs: &[(String, String)]) -> Result<Mapping, FieldError> {
        let mut mapping = Mapping::default();
        for (header, field_name) in pairs {
            let index = headers
                .iter()
                .position(|h| h.trim() == header.trim())
                .ok_or_else(|| FieldError::new(MAPPING_FIELD, "unknown_header").with("header", header.as_str()))?;
            let field = ImportField::parse(field_name.trim()).map_err(|e| e.with("header", header.as_str()))?;
            if mapping.column(field).is_some() {
                return Err(FieldError::new(MAPPING_FIELD, "duplicate_column").with("column", field.as_str()));
            }
            mapping.columns.push((index, field));
        }
        // Stable: fields fed by one column keep the order the user gave them.
        mapping.columns.sort_by_key(|(index, _)| *index);
        Ok(mapping)
    }

    /// The (column index, field) pairs, ordered by column.
    pub fn fields(&self) -> impl Iterator<Item = (usize, ImportField)> + '_ {
        self.columns.iter().copied()
    }

    /// The column feeding `field`, if mapped.
    pub fn column(&self, field: ImportField) -> Option<usize> {
        self.columns.iter().find(|(_, f)| *f == field).map(|(i, _)| *i)
    }

    /// Headers of the columns no field reads, in file order; blank headers are skipped.
    pub fn unmapped(&self, headers: &[String]) -> Vec<String> {
        headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.trim().is_empty() && !self.columns.iter().any(|(c, _)| c == i))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// A mapping is usable when it feeds `name`: every other field may be absent.
    pub fn check(&self) -> Result<(), FieldError> {
        match self.column(ImportField::Name) {
            Some(_) => Ok(()),
            None => Err(FieldError::new(MAPPING_FIELD, "column_required").with("column", ImportField::Name.as_str())),
        }
    }
}

/// A bank account of the counterparty, checked against its BIK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDraft {
    pub bik: Bik,
    /// Settlement account, 20 digits without separators.
    pub account: String,
    /// Correspondent account, 20 digits without separators.
    pub corr_account: Option<String>,
    pub bank_name: Option<String>,
}

/// The contact person given on the counterparty's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDraft {
    pub full_name: String,
    pub position: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
}

/// One spreadsheet row turned into checked values, ready to create or update a
/// counterparty. Owner and territory are still names: resolving them to ids needs the
/// database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterpartyDraft {
    pub external_id: Option<String>,
    pub kind: CounterpartyKind,
    pub name: String,
    pub full_name: Option<String>,
    pub requisites: Requisites,
    pub industry: Option<String>,
    pub size: Option<String>,
    pub lead_source: Option<String>,
    pub status: Option<LifecycleStatus>,
    pub tier: Option<Tier>,
    /// Login of the responsible user.
    pub owner_login: Option<String>,
    /// Name of the territory.
    pub territory: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub credit_limit: Option<Money>,
    pub legal_address: Option<String>,
    pub actual_address: Option<String>,
    pub city: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub needs: Option<String>,
    /// Lower-cased, deduplicated, in file order.
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub bank: Option<BankDraft>,
    pub contact: Option<ContactDraft>,
}

/// What identifies an imported row against existing counterparties and other rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MatchKey {
    /// The id of the record in the source system (1C, another CRM).
    ExternalId(String),
    /// INN and KPP: a branch of a company has the company's INN and its own KPP.
    InnKpp(String, Option<String>),
}

impl CounterpartyDraft {
    /// The external id if given, else INN + KPP; `None` for rows without either, which
    /// are always created.
    pub fn match_key(&self) -> Option<MatchKey> {
        if let Some(id) = &self.external_id {
            return Some(MatchKey::ExternalId(id.clone()));
        }
        let inn = self.requisites.inn.as_ref()?;
        Some(MatchKey::InnKpp(
            inn.to_string(),
            self.requisites.kpp.as_ref().map(ToString::to_string),
        ))
    }
}

/// Rows repeating the key of an earlier row: `(line, first line with that key)` for the
/// second and later occurrences, in input order. Rows without a key are never duplicates.
pub fn duplicates_in_file(keys: &[(usize, Option<MatchKey>)]) -> Vec<(usize, usize)> {
    let mut first: HashMap<&MatchKey, usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for (line, key) in keys {
        if let Some(key) = key {
            match first.get(key) {
                Some(first_line) => duplicates.push((*line, *first_line)),
                None => {
                    first.insert(key, *line);
                }
            }
        }
    }
    duplicates
}

/// `true` when every cell is blank: such rows (trailing lines of a sheet) are skipped
/// rather than reported as missing a name.
pub fn is_blank_row(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// The cells of one row by field, plus the errors found so far.
struct Row<'a> {
    values: HashMap<ImportField, &'a str>,
    too_long: HashSet<ImportField>,
    errors: Vec<FieldError>,
}

impl<'a> Row<'a> {
    fn read(mapping: &Mapping, cells: &'a [String]) -> Self {
        let mut row = Row {
            values: HashMap::new(),
            too_long: HashSet::new(),
            errors: Vec::new(),
        };
        for (index, field) in mapping.fields() {
            let Some(cell) = cells.get(index).map(|c| c.trim()).filter(|c| !c.is_empty()) else {
                continue;
            };
            if cell.chars().count() > MAX_CELL_CHARS {
                row.too_long.insert(field);
                row.push(FieldError::new(field.as_str(), "too_long").with("max", MAX_CELL_CHARS.to_string()));
            } else {
                row.values.insert(field, cell);
            }
        }
        row
    }

    /// The trimmed, non-empty cell of `field`.
    fn get(&self, field: ImportField) -> Option<&'a str> {
        self.values.get(&field).copied()
    }

    fn text(&self, field: ImportField) -> Option<String> {
        self.get(field).map(str::to_string)
    }

    /// `true` if the cell has content, even content rejected as too long.
    fn present(&self, field: ImportField) -> bool {
        self.values.contains_key(&field) || self.too_long.contains(&field)
    }

    fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// The cell of `field`, or a `required` error unless the cell was already rejected.
    fn require(&mut self, field: ImportField) -> Option<&'a str> {
        let value = self.get(field);
        if value.is_none() && !self.too_long.contains(&field) {
            self.push(FieldError::new(field.as_str(), "required"));
        }
        value
    }

    /// Keeps an `Ok`, records an `Err` under `field`'s name.
    fn check<T>(&mut self, field: ImportField, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.push(e.on(field.as_str()))).ok()
    }

    /// Parses the cell of `field` if there is one.
    fn parse<T>(&mut self, field: ImportField, parse: impl FnOnce(&str) -> Result<T, FieldError>) -> Option<T> {
        let cell = self.get(field)?;
        self.check(field, parse(cell))
    }
}

/// Turns one row into a draft, reporting every problem of the row, not just the first.
/// Cells beyond the end of `cells` count as empty.
pub fn parse_row(mapping: &Mapping, cells: &[String]) -> Result<CounterpartyDraft, Vec<FieldError>> {
    use ImportField as F;
    let mut row = Row::read(mapping, cells);

    let name = row.require(F::Name).map(str::to_string);
    let kind = match row.get(F::Kind) {
        Some(cell) => {
            let kind = parse_kind(cell);
            if kind.is_none() {
                row.push(FieldError::new(F::Kind.as_str(), "invalid_kind"));
            }
            kind
        }
        None => Some(infer_kind(row.get(F::Inn), row.get(F::Ogrn), row.get(F::Name))),
    };
    let requisites = parse_requisites(&mut row, kind);

    let status = row.parse(F::Status, |s| {
        parse_status(s).ok_or_else(|| FieldError::new("status", "invalid_status"))
    });
    let tier = row.parse(F::Tier, |s| {
        parse_tier(s).ok_or_else(|| FieldError::new("tier", "invalid_tier"))
    });
    let payment_terms_days = row.parse(F::PaymentTermsDays, |s| {
        s.parse::<i32>()
            .ok()
            .filter(|d| (0..=MAX_PAYMENT_TERMS_DAYS).contains(d))
            .ok_or_else(|| {
                FieldError::new("payment_terms_days", "invalid_number")
                    .with("min", "0")
                    .with("max", MAX_PAYMENT_TERMS_DAYS.to_string())
            })
    });
    let credit_limit = row.parse(F::CreditLimit, parse_amount);
    let phone = row.parse(F::Phone, |s| Phone::parse(strip_apostrophe(s)));
    let email = row.parse(F::Email, Email::parse);
    let tags = row.get(F::Tags).map(parse_tags).unwrap_or_default();
    let bank = parse_bank(&mut row);
    let contact = parse_contact(&mut row);

    // Every `None` among kind, name and requisites was reported above, so an empty error
    // list means all three are present.
    match (kind, name, requisites) {
        (Some(kind), Some(name), Some(requisites)) if row.errors.is_empty() => Ok(CounterpartyDraft {
            external_id: row.text(F::ExternalId),
            kind,
            name,
            full_name: row.text(F::FullName),
            requisites,
            industry: row.text(F::Industry),
            size: row.text(F::Size),
            lead_source: row.text(F::LeadSource),
            status,
            tier,
            owner_login: row.text(F::Owner),
            territory: row.text(F::Territory),
            payment_terms_days,
            credit_limit,
            legal_address: row.text(F::LegalAddress),
            actual_address: row.text(F::ActualAddress),
            city: row.text(F::City),
            phone,
            email,
            needs: row.text(F::Needs),
            tags,
            notes: row.text(F::Notes),
            bank,
            contact,
        }),
        _ => Err(row.errors),
    }
}

/// Spreadsheets force a number to stay text with a leading apostrophe (`'0401…`).
fn strip_apostrophe(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell).trim()
}

/// An identifier or account cell without the apostrophe and separators.
fn clean_code(cell: &str) -> String {
    strip_apostrophe(cell)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Checks INN, KPP and OGRN one by one, so that each bad cell is reported, applying the
/// same rules as [`Requisites::parse`]; the value itself is then built by
/// `Requisites::parse` so a draft can never hold requisites it would reject.
fn parse_requisites(row: &mut Row<'_>, kind: Option<CounterpartyKind>) -> Option<Requisites> {
    use CounterpartyKind as K;
    use ImportField as F;
    let inn_raw = row.get(F::Inn).map(clean_code);
    let kpp_raw = row.get(F::Kpp).map(clean_code);
    let ogrn_raw = row.get(F::Ogrn).map(clean_code);
    let kind_mismatch = || FieldError::new("inn", "invalid_inn").with("reason", "kind_mismatch");

    let inn = inn_raw.as_deref().and_then(|s| row.check(F::Inn, Inn::parse(s)));
    match (kind, &inn) {
        (Some(K::LegalEntity), Some(inn)) if !inn.is_legal_entity() => row.push(kind_mismatch()),
        (Some(K::SoleProprietor | K::Person), Some(inn)) if inn.is_legal_entity() => row.push(kind_mismatch()),
        (Some(K::LegalEntity | K::SoleProprietor), None) => {
            row.require(F::Inn);
        }
        _ => {}
    }

    match (kind, kpp_raw.as_deref()) {
        (Some(K::LegalEntity), None) => {
            row.require(F::Kpp);
        }
        (Some(K::LegalEntity) | None, Some(kpp)) => {
            row.check(F::Kpp, Kpp::parse(kpp));
        }
        (Some(K::SoleProprietor | K::Person), Some(_)) => row.push(FieldError::new("kpp", "kpp_not_applicable")),
        (_, None) => {}
    }

    if let Some(ogrn) = ogrn_raw.as_deref() {
        match kind {
            Some(K::LegalEntity) => {
                row.check(F::Ogrn, Ogrn::parse(ogrn));
            }
            Some(K::SoleProprietor) => {
                row.check(F::Ogrn, Ogrnip::parse(ogrn));
            }
            Some(K::Person) => row.push(FieldError::new("ogrn", "ogrn_not_applicable")),
            // Unknown kind: check the number as whichever register its length suggests.
            None if ogrn.len() == 15 => {
                row.check(F::Ogrn, Ogrnip::parse(ogrn));
            }
            None => {
                row.check(F::Ogrn, Ogrn::parse(ogrn));
            }
        }
    }

    let requisite_fields = [F::Inn.as_str(), F::Kpp.as_str(), F::Ogrn.as_str()];
    // Includes `too_long` errors from reading the row: a rejected cell is not "missing".
    if row.errors.iter().any(|e| requisite_fields.contains(&e.field)) {
        return None;
    }
    let kind = kind?;
    let built = Requisites::parse(kind, inn_raw.as_deref(), kpp_raw.as_deref(), ogrn_raw.as_deref());
    built.map_err(|e| row.push(e)).ok()
}

fn parse_bank(row: &mut Row<'_>) -> Option<BankDraft> {
    use ImportField as F;
    if ![F::Bik, F::Account, F::CorrAccount, F::BankName]
        .iter()
        .any(|f| row.present(*f))
    {
        return None;
    }
    let bik = row
        .require(F::Bik)
        .and_then(|s| row.check(F::Bik, Bik::parse(&clean_code(s))));
    let account = row.require(F::Account).map(clean_code);
    let corr_account = row.get(F::CorrAccount).map(clean_code);
    // Both accounts are checked against the BIK; without a valid BIK the BIK error is
    // the one to fix first.
    let bik = bik?;
    if let Some(account) = &account {
        row.check(F::Account, check_settlement_account(account, &bik));
    }
    if let Some(corr) = &corr_account {
        row.check(F::CorrAccount, check_corr_account(corr, &bik));
    }
    Some(BankDraft {
        bik,
        account: account?,
        corr_account,
        bank_name: row.text(F::BankName),
    })
}

fn parse_contact(row: &mut Row<'_>) -> Option<ContactDraft> {
    use ImportField as F;
    let fields = [F::ContactName, F::ContactPosition, F::ContactPhone, F::ContactEmail];
    if !fields.iter().any(|f| row.present(*f)) {
        return None;
    }
    let full_name = row.require(F::ContactName).map(str::to_string);
    let phone = row.parse(F::ContactPhone, |s| Phone::parse(strip_apostrophe(s)));
    let email = row.parse(F::ContactEmail, Email::parse);
    Some(ContactDraft {
        full_name: full_name?,
        position: row.text(F::ContactPosition),
        phone,
        email,
    })
}

/// Reads a kind written the snake_case way, in Russian or in English, or as a legal form.
fn parse_kind(cell: &str) -> Option<CounterpartyKind> {
    use CounterpartyKind as K;
    const WORDS: &[(&str, CounterpartyKind)] = &[
        ("legal entity", K::LegalEntity),
        ("юл", K::LegalEntity),
        ("юр. лицо", K::LegalEntity),
        ("юрлицо", K::LegalEntity),
        ("юридическое лицо", K::LegalEntity),
        ("организация", K::LegalEntity),
        ("компания", K::LegalEntity),
        ("company", K::LegalEntity),
        ("organization", K::LegalEntity),
        ("organisation", K::LegalEntity),
        ("sole proprietor", K::SoleProprietor),
        ("ип", K::SoleProprietor),
        ("индивидуальный предприниматель", K::SoleProprietor),
        ("предприниматель", K::SoleProprietor),
        ("individual entrepreneur", K::SoleProprietor),
        ("person", K::Person),
        ("фл", K::Person),
        ("физ. лицо", K::Person),
        ("физлицо", K::Person),
        ("физическое лицо", K::Person),
        ("частное лицо", K::Person),
        ("individual", K::Person),
    ];
    static KEYS: LazyLock<Vec<(String, CounterpartyKind)>> = LazyLock::new(|| {
        let forms = LEGAL_FORMS.iter().map(|f| (*f, K::LegalEntity));
        let names = K::ALL.iter().map(|k| (k.as_str(), *k));
        compacted(forms.chain(names).chain(WORDS.iter().copied()))
    });
    find_compacted(&KEYS, cell)
}

/// `(compact(word), value)` for each pair, in order (built once per table).
fn compacted<'w, T>(words: impl Iterator<Item = (&'w str, T)>) -> Vec<(String, T)> {
    words.map(|(w, v)| (compact(w), v)).collect()
}

/// The value of the first word equal to the cell once both are compacted: one [`compact`]
/// per cell instead of one per word of the table (a million rows ask each table).
fn find_compacted<T: Copy>(keys: &[(String, T)], cell: &str) -> Option<T> {
    let key = compact(cell);
    keys.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Abbreviations of the legal forms of organisations that may start a name.
const LEGAL_FORMS: &[&str] = &["ООО", "АО", "ПАО", "ЗАО", "ОАО", "НКО", "ГУП", "МУП", "ФГУП", "АНО"];

/// `true` if `name` starts with `prefix` (case-insensitively) as a whole word:
/// "ООО «Ромашка»" and "ООО«Ромашка»" do, "Аорта" does not start with "АО".
fn starts_with_word(name: &str, prefix: &str) -> bool {
    let name = name.trim_start_matches(|c: char| !c.is_alphanumeric()).to_uppercase();
    let prefix = prefix.to_uppercase();
    name.strip_prefix(prefix.as_str())
        .is_some_and(|rest| !rest.starts_with(char::is_alphanumeric))
}

fn is_sole_proprietor_name(name: &str) -> bool {
    starts_with_word(name, "ИП") || starts_with_word(name, "Индивидуальный предприниматель")
}

/// The kind of a row without an explicit one, from the INN length, the OGRN length and
/// the name. A guess only has to be good enough for [`Requisites`] to report the right
/// error: a name "ООО …" without an INN becomes a legal entity, which then demands its INN.
fn infer_kind(inn: Option<&str>, ogrn: Option<&str>, name: Option<&str>) -> CounterpartyKind {
    use CounterpartyKind as K;
    let inn_len = inn.map(|s| clean_code(s).len());
    let ogrn_len = ogrn.map(|s| clean_code(s).len());
    let name = name.unwrap_or("");
    match inn_len {
        Some(10) => K::LegalEntity,
        Some(12) if ogrn_len == Some(15) || is_sole_proprietor_name(name) => K::SoleProprietor,
        Some(12) => K::Person,
        // No INN, or one of a wrong length that `Inn::parse` will reject anyway.
        _ if LEGAL_FORMS.iter().any(|f| starts_with_word(name, f)) => K::LegalEntity,
        // "ИП …" without an INN is still a sole proprietor, so the missing INN is reported.
        _ if is_sole_proprietor_name(name) => K::SoleProprietor,
        _ => K::Person,
    }
}

fn parse_status(cell: &str) -> Option<LifecycleStatus> {
    use LifecycleStatus as S;
    const WORDS: &[(&str, LifecycleStatus)] = &[
        ("подозреваемый", S::Suspect),
        ("холодный", S::Suspect),
        ("холодный клиент", S::Suspect),
        ("потенциальный", S::Prospect),
        ("потенциальный клиент", S::Prospect),
        ("квалифицирован", S::Qualified),
        ("квалифицированный", S::Qualified),
        ("клиент", S::Client),
        ("ключевой клиент", S::KeyClient),
        ("спящий", S::Dormant),
        ("спящий клиент", S::Dormant),
        ("потерян", S::Lost),
        ("потерянный", S::Lost),
    ];
    static KEYS: LazyLock<Vec<(String, LifecycleStatus)>> =
        LazyLock::new(|| compacted(S::ALL.iter().map(|s| (s.as_str(), *s)).chain(WORDS.iter().copied())));
    find_compacted(&KEYS, cell)
}

fn parse_tier(cell: &str) -> Option<Tier> {
    const WORDS: &[(&str, Tier)] = &[
        ("обычный", Tier::Regular),
        ("стандартный", Tier::Regular),
        ("ключевой", Tier::Key),
        ("вип", Tier::Vip),
    ];
    static KEYS: LazyLock<Vec<(String, Tier)>> =
        LazyLock::new(|| compacted(Tier::ALL.iter().map(|t| (t.as_str(), *t)).chain(WORDS.iter().copied())));
    find_compacted(&KEYS, cell)
}

/// Currency marks people append to amounts, longest first so "руб." is not cut to "руб".
const CURRENCY_MARKS: &[&str] = &[
    "рублей",
    "рубля",
    "рубль",
    "руб.",
    "руб",
    "р.",
    "р",
    "₽",
    "rub.",
    "rub",
    "rur",
];

/// A non-negative rouble amount as written in spreadsheets: `1 500 000,50`, `1500000.50`,
/// `1 500 000 ₽`, `1500000 руб.`. The number itself goes through [`Money::parse`].
fn parse_amount(cell: &str) -> Result<Money, FieldError> {
    // `char::is_whitespace` covers the no-break spaces (U+00A0, U+202F) of Excel's
    // thousands separators.
    let mut text: String = cell
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    if let Some(rest) = text.strip_prefix('₽') {
        text = rest.to_string();
    }
    if let Some(mark) = CURRENCY_MARKS.iter().find(|m| text.ends_with(*m)) {
        text.truncate(text.len() - mark.len());
    }
    let money = Money::parse(&text)?;
    if money.is_negative() {
        return Err(FieldError::new("credit_limit", "invalid_money").with("reason", "negative"));
    }
    Ok(money)
}

/// Tags separated by `,`, `;` or `|`: trimmed, lower-cased, without empties and repeats.
fn parse_tags(cell: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in cell.split([',', ';', '|']) {
        let tag = tag.trim().to_lowercase();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// A mapping and a row built from (field, cell) pairs, one column per pair.
    fn row(pairs: &[(ImportField, &str)]) -> (Mapping, Vec<String>) {
        let mapping = Mapping {
            columns: pairs.iter().enumerate().map(|(i, (f, _))| (i, *f)).collect(),
        };
        let cells = pairs.iter().map(|(_, c)| c.to_string()).collect();
        (mapping, cells)
    }

    fn parse(pairs: &[(ImportField, &str)]) -> Result<CounterpartyDraft, Vec<FieldError>> {
        let (mapping, cells) = row(pairs);
        parse_row(&mapping, &cells)
    }

    fn ok(pairs: &[(ImportField, &str)]) -> CounterpartyDraft {
        parse(pairs).unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"))
    }

    /// (field, code) of every error of a rejected row.
    fn errors(pairs: &[(ImportField, &str)]) -> Vec<(&'static str, &'static str)> {
        parse(pairs)
            .expect_err("row must be rejected")
            .iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    const SBER: &[(ImportField, &str)] = &[
        (ImportField::Name, "ПАО Сбербанк"),
        (ImportField::Inn, "7707083893"),
        (ImportField::Kpp, "773601001"),
        (ImportField::Ogrn, "1027700132195"),
    ];

    fn with(
        base: &[(ImportField, &'static str)],
        extra: &[(ImportField, &'static str)],
    ) -> Vec<(ImportField, &'static str)> {
        base.iter().chain(extra).copied().collect()
    }

    #[test]
    fn field_names_round_trip_and_are_snake_case() {
        assert_eq!(ImportField::ALL.len(), 32);
        for f in ImportField::ALL {
            assert_eq!(ImportField::parse(f.as_str()), Ok(*f));
            assert!(f.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{f}");
        }
        let e = ImportField::parse("website").unwrap_err();
        assert_eq!(
            (e.field, e.code, e.param("value")),
            ("column", "invalid_column", Some("website"))
        );
    }

    #[test]
    fn no_header_synonym_points_to_two_fields() {
        let mut seen: HashMap<String, ImportField> = HashMap::new();
        let names = ImportField::ALL.iter().map(|f| (*f, f.as_str()));
        let synonyms = HEADER_SYNONYMS
            .iter()
            .flat_map(|(f, names)| names.iter().map(move |n| (*f, *n)));
        for (field, header) in names.chain(synonyms) {
            let key = compact(header);
            assert!(!key.is_empty(), "{header}");
            if let Some(other) = seen.insert(key, field) {
                assert_eq!(other, field, "{header:?} means both {other} and {field}");
            }
            assert_eq!(guess_field(header), Some(field), "{header:?}");
        }
    }

    #[test]
    fn guesses_a_russian_header_row() {
        let headers = strings(&[
            "№",
            "ID 1С",
            "Наименование",
            "Полное наименование",
            "Тип контрагента",
            "ИНН",
            "КПП",
            "ОГРН/ОГРНИП",
            "Отрасль",
            "Источник",
            "Статус",
            "Категория",
            "Ответственный",
            "Регион",
            "Отсрочка платежа, дней",
            "Кредитный лимит",
            "Юридический адрес",
            "Фактический адрес",
            "Город",
            "Телефон",
            "Эл. почта",
            "Потребности",
            "Метки",
            "Комментарий",
            "БИК",
            "Расчётный счёт",
            "Корр. счет",
            "Банк",
            "Контактное лицо",
            "Должность",
            "Телефон контакта",
            "Email контакта",
            "Дата создания",
            "  НАИМЕНОВАНИЕ ",
        ]);
        let mapping = Mapping::guess(&headers);
        use ImportField as F;
        let expected = [
            (1, F::ExternalId),
            (2, F::Name),
            (3, F::FullName),
            (4, F::Kind),
            (5, F::Inn),
            (6, F::Kpp),
            (7, F::Ogrn),
            (8, F::Industry),
            (9, F::LeadSource),
            (10, F::Status),
            (11, F::Tier),
            (12, F::Owner),
            (13, F::Territory),
            (14, F::PaymentTermsDays),
            (15, F::CreditLimit),
            (16, F::LegalAddress),
            (17, F::ActualAddress),
            (18, F::City),
            (19, F::Phone),
            (20, F::Email),
            (21, F::Needs),
            (22, F::Tags),
            (23, F::Notes),
            (24, F::Bik),
            (25, F::Account),
            (26, F::CorrAccount),
            (27, F::BankName),
            (28, F::ContactName),
            (29, F::ContactPosition),
            (30, F::ContactPhone),
            (31, F::ContactEmail),
        ];
        assert_eq!(mapping.fields().collect::<Vec<_>>(), expected);
        // The second "name" column loses to the first; "№" and the date are unknown.
        assert_eq!(
            mapping.unmapped(&headers),
            strings(&["№", "Дата создания", "  НАИМЕНОВАНИЕ "])
        );
        assert_eq!(mapping.check(), Ok(()));
    }

    #[test]
    fn guesses_an_english_header_row_and_variants() {
        let headers = strings(&[
            "External ID",
            "Type",
            "Company",
            "Full name",
            "INN",
            "KPP",
            "OGRN",
            "Industry",
            "Size",
            "Lead source",
            "Status",
            "Tier",
            "Owner",
            "Territory",
            "Payment terms",
            "Credit limit",
            "Legal address",
            "Actual address",
            "City",
            "Phone",
            "E-mail",
            "Needs",
            "Tags",
            "Notes",
            "BIK",
            "Account",
            "Corr. account",
            "Bank",
            "Contact name",
            "Position",
            "Contact phone",
            "Contact email",
            "Website",
        ]);
        let mapping = Mapping::guess(&headers);
        let fields: Vec<ImportField> = mapping.fields().map(|(_, f)| f).collect();
        assert_eq!(fields, ImportField::ALL, "every field in declaration order");
        assert!(mapping.fields().all(|(i, f)| ImportField::ALL[i] == f));
        assert_eq!(mapping.unmapped(&headers), strings(&["Website"]));

        // Case, ё, punctuation, spacing, snake_case names and qualified requisite headers.
        use ImportField as F;
        for (header, field) in [
            ("инн", F::Inn),
            ("ИНН организации", F::Inn),
            ("КПП (для ЮЛ)", F::Kpp),
            ("ОГРНИП", F::Ogrn),
            ("Расчетный  счет", F::Account),
            ("Р/с", F::Account),
            ("К/с", F::CorrAccount),
            ("EMAIL", F::Email),
            ("Email", F::Email),
            ("Теги", F::Tags),
            ("Примечание", F::Notes),
            ("Менеджер", F::Owner),
            ("ФИО", F::ContactName),
            ("Вид", F::Kind),
            ("Тип", F::Kind),
            ("Уровень", F::Tier),
            ("Отсрочка", F::PaymentTermsDays),
            ("Код", F::ExternalId),
            ("Название", F::Name),
            ("Краткое наименование", F::Name),
            ("payment_terms_days", F::PaymentTermsDays),
            ("contact_email", F::ContactEmail),
        ] {
            assert_eq!(guess_field(header), Some(field), "{header:?}");
        }
        assert_eq!(
            guess_field("ИНН/КПП"),
            None,
            "two requisites in one column are not guessed"
        );
        assert_eq!(guess_field("Дата"), None);
        assert_eq!(guess_field(""), None);
    }

    #[test]
    fn a_mapping_without_name_fails_check() {
        let mapping = Mapping::guess(&strings(&["ИНН", "КПП"]));
        let e = mapping.check().unwrap_err();
        assert_eq!((e.code, e.param("column")), ("column_required", Some("name")));
    }

    #[test]
    fn explicit_mapping_reports_unknown_headers_fields_and_repeats() {
        let headers = strings(&["Клиент", "ИНН клиента", "Заметки"]);
        let pair = |h: &str, f: &str| (h.to_string(), f.to_string());

        let mapping = Mapping::from_names(
            &headers,
            &[
                pair("ИНН клиента", "inn"),
                pair("Клиент", "name"),
                pair("Клиент", "full_name"),
            ],
        )
        .unwrap();
        use ImportField as F;
        assert_eq!(
            mapping.fields().collect::<Vec<_>>(),
            [(0, F::Name), (0, F::FullName), (1, F::Inn)]
        );
        assert_eq!(mapping.unmapped(&headers), strings(&["Заметки"]));

        let e = Mapping::from_names(&headers, &[pair("Телефон", "phone")]).unwrap_err();
        assert_eq!((e.code, e.param("header")), ("unknown_header", Some("Телефон")));

        let e = Mapping::from_names(&headers, &[pair("Заметки", "remarks")]).unwrap_err();
        assert_eq!((e.code, e.param("value")), ("invalid_column", Some("remarks")));

        let e = Mapping::from_names(&headers, &[pair("Клиент", "name"), pair("Заметки", "name")]).unwrap_err();
        assert_eq!((e.code, e.param("column")), ("duplicate_column", Some("name")));
    }

    #[test]
    fn a_valid_legal_entity_row_becomes_a_full_draft() {
        use ImportField as F;
        let draft = ok(&with(
            SBER,
            &[
                (F::ExternalId, "000123"),
                (F::FullName, "Публичное акционерное общество «Сбербанк России»"),
                (F::Industry, "Банки"),
                (F::Status, "Клиент"),
                (F::Tier, "VIP"),
                (F::Owner, "ivanov"),
                (F::Territory, "Москва"),
                (F::PaymentTermsDays, "30"),
                (F::CreditLimit, "1 500 000,50"),
                (F::City, "Москва"),
                (F::Phone, "8 (495) 500-55-50"),
                (F::Email, "Info@Sberbank.RU"),
                (F::Tags, "банк, партнёр"),
                (F::Bik, "044525225"),
                (F::Account, "40702810834085231313"),
                (F::CorrAccount, "30101 810 4 0000 0000225"),
                (F::BankName, "ПАО Сбербанк"),
            ],
        ));
        assert_eq!(
            draft.kind,
            CounterpartyKind::LegalEntity,
            "inferred from the 10-digit INN"
        );
        assert_eq!(draft.name, "ПАО Сбербанк");
        assert_eq!(draft.external_id.as_deref(), Some("000123"));
        assert_eq!(draft.requisites.inn.as_ref().map(|i| i.as_ref()), Some("7707083893"));
        assert_eq!(draft.requisites.kpp.as_ref().map(|k| k.as_ref()), Some("773601001"));
        assert_eq!(draft.requisites.ogrn.as_deref(), Some("1027700132195"));
        assert_eq!(draft.status, Some(LifecycleStatus::Client));
        assert_eq!(draft.tier, Some(Tier::Vip));
        assert_eq!(draft.owner_login.as_deref(), Some("ivanov"));
        assert_eq!(draft.payment_terms_days, Some(30));
        assert_eq!(draft.credit_limit, Some(Money::from_kopecks(150_000_050)));
        assert_eq!(draft.phone.as_ref().map(Phone::as_str), Some("+74955005550"));
        assert_eq!(draft.email.as_ref().map(Email::as_str), Some("Info@sberbank.ru"));
        assert_eq!(draft.tags, ["банк", "партнёр"]);
        let bank = draft.bank.as_ref().expect("bank");
        assert_eq!(bank.bik.as_ref(), "044525225");
        assert_eq!(bank.account, "40702810834085231313");
        assert_eq!(bank.corr_account.as_deref(), Some("30101810400000000225"));
        assert_eq!(bank.bank_name.as_deref(), Some("ПАО Сбербанк"));
        assert!(draft.contact.is_none());
        assert_eq!(draft.match_key(), Some(MatchKey::ExternalId("000123".to_string())));
    }

    #[test]
    fn the_account_suggested_in_the_brief_is_valid_for_sberbank_too() {
        let bik = Bik::parse("044525225").unwrap();
        assert!(check_settlement_account("40702810938000000001", &bik).is_ok());
        // …and the wrong-bank vector from identifiers.json is rejected on import.
        use ImportField as F;
        let errs = errors(&with(
            SBER,
            &[(F::Bik, "044525974"), (F::Account, "40802810165326276774")],
        ));
        assert_eq!(errs, [("account", "invalid_account")]);
    }

    #[test]
    fn a_row_with_three_problems_reports_all_three() {
        use ImportField as F;
        let e = parse(&[
            (F::Name, "ООО «Ромашка»"),
            (F::Inn, "7707083894"),
            (F::Kpp, "773601001"),
            (F::Phone, "12345"),
            (F::Email, "info@romashka"),
        ])
        .unwrap_err();
        let got: Vec<_> = e.iter().map(|e| (e.field, e.code, e.param("reason"))).collect();
        assert_eq!(
            got,
            [
                ("inn", "invalid_inn", Some("checksum")),
                ("phone", "invalid_phone", Some("length")),
                ("email", "invalid_email", None),
            ]
        );
    }

    #[test]
    fn every_problem_is_named_by_its_import_field() {
        use ImportField as F;
        let long = "x".repeat(MAX_CELL_CHARS + 1);
        let errs = errors(&[
            (F::Name, ""),
            (F::Kind, "юр. лицо"),
            (F::Inn, "123456789047"),
            (F::Status, "победитель"),
            (F::Tier, "золотой"),
            (F::PaymentTermsDays, "400"),
            (F::CreditLimit, "-5"),
            (F::Notes, long.as_str()),
            (F::ContactPhone, "8-800-ЗВОНИ"),
            (F::ContactEmail, "a b@x.ru"),
            (F::Account, "40702810834085231313"),
        ]);
        assert_eq!(
            errs,
            [
                ("notes", "too_long"),
                ("name", "required"),
                ("inn", "invalid_inn"),
                ("kpp", "required"),
                ("status", "invalid_status"),
                ("tier", "invalid_tier"),
                ("payment_terms_days", "invalid_number"),
                ("credit_limit", "invalid_money"),
                ("bik", "required"),
                ("contact_name", "required"),
                ("contact_phone", "invalid_phone"),
                ("contact_email", "invalid_email"),
            ]
        );
        // A too-long name is reported once, as too long, not also as missing.
        let long_name = "Я".repeat(MAX_CELL_CHARS + 1);
        let e = parse(&[(F::Name, long_name.as_str())]).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].field, e[0].code, e[0].param("max")),
            ("name", "too_long", Some("1000"))
        );
        let exactly_max = "Я".repeat(MAX_CELL_CHARS);
        assert!(
            parse(&[(F::Name, exactly_max.as_str())]).is_ok(),
            "the limit counts characters, not bytes"
        );
    }

    #[test]
    fn requisite_rules_follow_the_kind() {
        use ImportField as F;
        // A 12-digit INN declared as a legal entity.
        assert_eq!(
            errors(&[(F::Name, "Ромашка"), (F::Kind, "ООО"), (F::Inn, "123456789047")]),
            [("inn", "invalid_inn"), ("kpp", "required")]
        );
        // A sole proprietor with a KPP and an OGRN instead of an OGRNIP: both reported.
        assert_eq!(
            errors(&[
                (F::Name, "ИП Иванов"),
                (F::Inn, "123456789047"),
                (F::Kpp, "773601001"),
                (F::Ogrn, "1027700132195"),
                (F::Kind, "ИП"),
            ]),
            [("kpp", "kpp_not_applicable"), ("ogrn", "invalid_ogrnip")]
        );
        assert_eq!(
            errors(&[(F::Name, "Иванов И. И."), (F::Kind, "ФЛ"), (F::Ogrn, "1027700132195")]),
            [("ogrn", "ogrn_not_applicable")]
        );
        // An unknown kind still gets its identifiers checked.
        assert_eq!(
            errors(&[(F::Name, "Ромашка"), (F::Kind, "кооператив"), (F::Inn, "7707083894")]),
            [("kind", "invalid_kind"), ("inn", "invalid_inn")]
        );
        let sp = ok(&[
            (F::Name, "Иванов Иван"),
            (F::Kind, "Индивидуальный предприниматель"),
            (F::Inn, "770078984794"),
            (F::Ogrn, "321789192309241"),
        ]);
        assert_eq!(sp.kind, CounterpartyKind::SoleProprietor);
        assert_eq!(sp.requisites.ogrn.as_deref(), Some("321789192309241"));
    }

    #[test]
    fn kind_words_in_russian_and_english() {
        use CounterpartyKind as K;
        for (word, kind) in [
            ("legal_entity", K::LegalEntity),
            ("ЮЛ", K::LegalEntity),
            ("юр. лицо", K::LegalEntity),
            ("Юридическое лицо", K::LegalEntity),
            ("организация", K::LegalEntity),
            ("ООО", K::LegalEntity),
            ("пао", K::LegalEntity),
            ("sole_proprietor", K::SoleProprietor),
            ("ИП", K::SoleProprietor),
            ("индивидуальный предприниматель", K::SoleProprietor),
            ("person", K::Person),
            ("ФЛ", K::Person),
            ("физ. лицо", K::Person),
            ("Физическое лицо", K::Person),
        ] {
            assert_eq!(parse_kind(word), Some(kind), "{word:?}");
        }
        assert_eq!(parse_kind("кооператив"), None);
    }

    #[test]
    fn kind_is_inferred_when_not_given() {
        use CounterpartyKind as K;
        let cases = [
            (Some("7707083893"), None, "Сбербанк", K::LegalEntity),
            (
                Some("770078984794"),
                Some("321789192309241"),
                "Иванов",
                K::SoleProprietor,
            ),
            (Some("770078984794"), None, "ИП Иванов И. И.", K::SoleProprietor),
            (
                Some("770078984794"),
                None,
                "Индивидуальный предприниматель Иванов",
                K::SoleProprietor,
            ),
            (Some("770078984794"), None, "Иванов Иван", K::Person),
            (Some("770078984794"), None, "ИПатов Пётр", K::Person),
            (None, None, "Иванов Иван", K::Person),
            (None, None, "ООО «Ромашка»", K::LegalEntity),
            (None, None, "ООО«Ромашка»", K::LegalEntity),
            (None, None, "«ФГУП» Почта", K::LegalEntity),
            (None, None, "АНО Развитие", K::LegalEntity),
            (None, None, "Аорта", K::Person),
        ];
        for (inn, ogrn, name, kind) in cases {
            assert_eq!(infer_kind(inn, ogrn, Some(name)), kind, "{inn:?} {ogrn:?} {name:?}");
        }

        // Through parse_row: an "ООО" without an INN is a legal entity that lacks its INN.
        use ImportField as F;
        assert_eq!(
            errors(&[(F::Name, "ООО Ромашка"), (F::Phone, "+7 495 123 45 67")]),
            [("inn", "required"), ("kpp", "required")]
        );
        // An empty kind cell is inferred too.
        let person = ok(&[(F::Name, "Петров Пётр"), (F::Kind, " "), (F::Inn, "'7700 7898 4794")]);
        assert_eq!(person.kind, K::Person);
        assert_eq!(
            person.match_key(),
            Some(MatchKey::InnKpp("770078984794".to_string(), None))
        );
        let sp = ok(&[
            (F::Name, "Петров"),
            (F::Inn, "770078984794"),
            (F::Ogrn, "321789192309241"),
        ]);
        assert_eq!(sp.kind, K::SoleProprietor);
    }

    #[test]
    fn status_and_tier_accept_russian_words() {
        use LifecycleStatus as S;
        for (word, status) in [
            ("key_client", S::KeyClient),
            ("Подозреваемый", S::Suspect),
            ("холодный", S::Suspect),
            ("потенциальный", S::Prospect),
            ("квалифицирован", S::Qualified),
            ("Квалифицированный", S::Qualified),
            ("КЛИЕНТ", S::Client),
            ("Ключевой клиент", S::KeyClient),
            ("спящий", S::Dormant),
            ("потерян", S::Lost),
            ("Потерянный", S::Lost),
        ] {
            assert_eq!(parse_status(word), Some(status), "{word:?}");
        }
        assert_eq!(parse_status("победитель"), None);
        for (word, tier) in [
            ("regular", Tier::Regular),
            ("Обычный", Tier::Regular),
            ("ключевой", Tier::Key),
            ("VIP", Tier::Vip),
            ("вип", Tier::Vip),
        ] {
            assert_eq!(parse_tier(word), Some(tier), "{word:?}");
        }
        assert_eq!(parse_tier("золотой"), None);
    }

    #[test]
    fn money_in_spreadsheet_formats() {
        let kop = |s: &str| parse_amount(s).unwrap_or_else(|e| panic!("{s:?}: {e:?}")).kopecks();
        assert_eq!(kop("1 500 000,50"), 150_000_050);
        assert_eq!(kop("1500000.50"), 150_000_050);
        assert_eq!(kop("1 500 000 ₽"), 150_000_000);
        assert_eq!(kop("1500000 руб."), 150_000_000);
        assert_eq!(kop("1\u{a0}500\u{a0}000,00 руб"), 150_000_000);
        assert_eq!(kop("1\u{202f}500 р."), 150_000);
        assert_eq!(kop("0"), 0);
        let reason = |s: &str| parse_amount(s).unwrap_err().param("reason").map(str::to_string);
        assert_eq!(reason("-5"), Some("negative".to_string()));
        assert_eq!(reason("1.234"), Some("decimals".to_string()));
        assert_eq!(reason("$100"), Some("characters".to_string()));
        let e = parse(&[(ImportField::Name, "Иванов"), (ImportField::CreditLimit, "много")]).unwrap_err();
        assert_eq!((e[0].field, e[0].code), ("credit_limit", "invalid_money"));
    }

    #[test]
    fn payment_terms_are_whole_days_up_to_a_year() {
        use ImportField as F;
        let days = |s: &'static str| parse(&[(F::Name, "Иванов"), (F::PaymentTermsDays, s)]);
        assert_eq!(days("0").unwrap().payment_terms_days, Some(0));
        assert_eq!(days("365").unwrap().payment_terms_days, Some(365));
        for bad in ["366", "-1", "30.5", "тридцать"] {
            let e = days(bad).unwrap_err();
            assert_eq!(
                (e[0].field, e[0].code, e[0].param("max")),
                ("payment_terms_days", "invalid_number", Some("365"))
            );
        }
    }

    #[test]
    fn tags_are_split_trimmed_lowercased_and_deduplicated() {
        assert_eq!(parse_tags("Опт, Москва; опт | | VIP ;москва"), ["опт", "москва", "vip"]);
        assert!(parse_tags(" ; , |").is_empty());
        let draft = ok(&[(ImportField::Name, "Иванов")]);
        assert!(draft.tags.is_empty());
    }

    #[test]
    fn contact_is_present_only_with_contact_cells_and_then_needs_a_name() {
        use ImportField as F;
        let none = ok(&[(F::Name, "Иванов"), (F::ContactName, " "), (F::ContactPhone, "")]);
        assert_eq!(none.contact, None);

        let full = ok(&[
            (F::Name, "Иванов"),
            (F::ContactName, "Петров Пётр"),
            (F::ContactPosition, "Главный бухгалтер"),
            (F::ContactPhone, "'+7 (916) 123-45-67"),
            (F::ContactEmail, "P.Petrov@Mail.RU"),
        ]);
        let contact = full.contact.expect("contact");
        assert_eq!(contact.full_name, "Петров Пётр");
        assert_eq!(contact.position.as_deref(), Some("Главный бухгалтер"));
        assert_eq!(contact.phone.as_ref().map(Phone::as_str), Some("+79161234567"));
        assert_eq!(contact.email.as_ref().map(Email::as_str), Some("P.Petrov@mail.ru"));

        let name_only = ok(&[(F::Name, "Иванов"), (F::ContactName, "Петров")])
            .contact
            .expect("contact");
        assert_eq!(
            (name_only.position, name_only.phone, name_only.email),
            (None, None, None)
        );

        assert_eq!(
            errors(&[(F::Name, "Иванов"), (F::ContactPosition, "Директор")]),
            [("contact_name", "required")]
        );
    }

    #[test]
    fn bank_cells_need_bik_and_account_that_match() {
        use ImportField as F;
        let base = [(F::Name, "Иванов")];
        assert_eq!(
            errors(&with(&base, &[(F::Account, "40702810834085231313")])),
            [("bik", "required")]
        );
        assert_eq!(
            errors(&with(&base, &[(F::Bik, "044525225")])),
            [("account", "required")]
        );
        assert_eq!(
            errors(&with(
                &base,
                &[
                    (F::Bik, "044525225"),
                    (F::Account, "40702810934085231313"),
                    (F::CorrAccount, "30101810145250000974")
                ]
            )),
            [("account", "invalid_account"), ("corr_account", "invalid_corr_account")]
        );
        assert_eq!(
            errors(&with(
                &base,
                &[(F::Bik, "O44525225"), (F::Account, "40702810834085231313")]
            )),
            [("bik", "invalid_bik")]
        );
        let draft = ok(&with(
            &base,
            &[(F::Bik, "'044525974"), (F::Account, "4070 2810 5845 6990 9575")],
        ));
        let bank = draft.bank.expect("bank");
        assert_eq!(
            (bank.bik.as_ref(), bank.account.as_str()),
            ("044525974", "40702810584569909575")
        );
        assert_eq!((bank.corr_account, bank.bank_name), (None, None));
    }

    #[test]
    fn short_rows_and_blank_rows() {
        let mapping = Mapping::guess(&strings(&["Наименование", "ИНН", "Телефон"]));
        let draft = parse_row(&mapping, &strings(&["Иванов"])).expect("missing cells are empty");
        assert_eq!(draft.kind, CounterpartyKind::Person);
        assert_eq!(draft.match_key(), None);
        assert!(is_blank_row(&strings(&["", " ", "\u{a0}"])));
        assert!(!is_blank_row(&strings(&["", "x"])));
    }

    #[test]
    fn match_keys_and_duplicates_in_file() {
        use ImportField as F;
        let sber = ok(SBER);
        assert_eq!(
            sber.match_key(),
            Some(MatchKey::InnKpp(
                "7707083893".to_string(),
                Some("773601001".to_string())
            ))
        );
        let branch = ok(&[
            (F::Name, "Сбербанк, филиал"),
            (F::Inn, "7707083893"),
            (F::Kpp, "773602001"),
        ]);
        let inn_kpp = |inn: &str, kpp: &str| Some(MatchKey::InnKpp(inn.to_string(), Some(kpp.to_string())));
        let ext = |id: &str| Some(MatchKey::ExternalId(id.to_string()));
        let keys = vec![
            (2, sber.match_key()),
            (3, branch.match_key()),
            (4, None),
            (5, ext("A-1")),
            (6, inn_kpp("7707083893", "773601001")),
            (7, None),
            (8, ext("A-1")),
            (9, ext("a-1")),
            (10, sber.match_key()),
        ];
        assert_eq!(duplicates_in_file(&keys), [(6, 2), (8, 5), (10, 2)]);
        assert!(duplicates_in_file(&[]).is_empty());
    }
}
