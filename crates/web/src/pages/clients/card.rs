//! The client card: every C1 field, contact persons, bank accounts, the activity timeline (C8)
//! and the change history, with the forms that change them. Edits carry the version they were
//! read at; when a colleague saved in between, the card shows both versions side by side and
//! offers to re-apply.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospekt_app::AppError;
use prospekt_app::clients::ContactInput;
use prospekt_app::counterparties::{CounterpartyPatch, CounterpartyRow};
use prospekt_app::dedup::{BankAccountInput, BankAccountRow};
use prospekt_domain::FieldError;
use prospekt_domain::contact::DecisionRole;
use prospekt_domain::counterparty::{LifecycleStatus, Tier, parse_tags, tags_from_column};
use prospekt_domain::ids::{CounterpartyId, TerritoryId, UserId};
use prospekt_domain::money::Money;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PageUser, Shell, field_label, not_found, owner_options, page_error, ru, status_for, territory_options};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::error::ApiError;
use crate::i18n::{Lang, field_error_message};
use crate::pages::plan::{ActError, ActivityUi, ActivityView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clients/{id}", get(card))
        .route("/clients/{id}/edit", post(edit))
        .route("/clients/{id}/archive", post(archive))
        .route("/clients/{id}/restore", post(restore))
        .route("/clients/{id}/contacts", post(add_contact))
        .route("/clients/{id}/contacts/{contact}/edit", post(edit_contact))
        .route("/clients/{id}/bank-accounts", post(add_bank_account))
        .route(
            "/clients/{id}/bank-accounts/{account}/remove",
            post(remove_bank_account),
        )
}

/// Entries of the change history shown on the card.
const HISTORY_ROWS: i64 = 50;

/// Activities of the timeline shown at once (older ones page on).
const TIMELINE_ROWS: i64 = 20;

/// The editable fields of a card as the form shows them (all text, as typed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct EditValues {
    name: String,
    status: String,
    tier: String,
    owner: String,
    territory: String,
    industry: String,
    size: String,
    lead_source: String,
    city: String,
    phone: String,
    email: String,
    inn: String,
    kpp: String,
    ogrn: String,
    legal_address: String,
    actual_address: String,
    payment_terms_days: String,
    credit_limit: String,
    needs: String,
    tags: String,
    external_id: String,
    notes: String,
}

/// Field keys of [`EditValues`] in the order a conflict lists them.
const EDIT_FIELDS: [&str; 22] = [
    "name",
    "status",
    "tier",
    "owner",
    "territory",
    "industry",
    "size",
    "lead_source",
    "city",
    "phone",
    "email",
    "inn",
    "kpp",
    "ogrn",
    "legal_address",
    "actual_address",
    "payment_terms_days",
    "credit_limit",
    "needs",
    "tags",
    "external_id",
    "notes",
];

impl EditValues {
    fn from_row(c: &CounterpartyRow) -> Self {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        EditValues {
            name: c.name.clone(),
            status: c.status.clone(),
            tier: c.tier.clone(),
            owner: c.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            territory: c.territory_id.map(|t| t.to_string()).unwrap_or_default(),
            industry: s(&c.industry),
            size: s(&c.size),
            lead_source: s(&c.lead_source),
            city: s(&c.city),
            phone: s(&c.phone),
            email: s(&c.email),
            inn: s(&c.inn),
            kpp: s(&c.kpp),
            ogrn: s(&c.ogrn),
            legal_address: s(&c.legal_address),
            actual_address: s(&c.actual_address),
            payment_terms_days: c.payment_terms_days.to_string(),
            credit_limit: Money::from_kopecks(c.credit_limit).format_ru(),
            needs: s(&c.needs),
            tags: tags_from_column(c.tags.as_deref()).join(", "),
            external_id: s(&c.external_id),
            notes: s(&c.notes),
        }
    }

    fn get(&self, key: &str) -> &str {
        self.slot_ref(key).map_or("", String::as_str)
    }

    fn slot_ref(&self, key: &str) -> Option<&String> {
        Some(match key {
            "name" => &self.name,
            "status" => &self.status,
            "tier" => &self.tier,
            "owner" => &self.owner,
            "territory" => &self.territory,
            "industry" => &self.industry,
            "size" => &self.size,
            "lead_source" => &self.lead_source,
            "city" => &self.city,
            "phone" => &self.phone,
            "email" => &self.email,
            "inn" => &self.inn,
            "kpp" => &self.kpp,
            "ogrn" => &self.ogrn,
            "legal_address" => &self.legal_address,
            "actual_address" => &self.actual_address,
            "payment_terms_days" => &self.payment_terms_days,
            "credit_limit" => &self.credit_limit,
            "needs" => &self.needs,
            "tags" => &self.tags,
            "external_id" => &self.external_id,
            "notes" => &self.notes,
            _ => return None,
        })
    }

    fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "name" => &mut self.name,
            "status" => &mut self.status,
            "tier" => &mut self.tier,
            "owner" => &mut self.owner,
            "territory" => &mut self.territory,
            "industry" => &mut self.industry,
            "size" => &mut self.size,
            "lead_source" => &mut self.lead_source,
            "city" => &mut self.city,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            "inn" => &mut self.inn,
            "kpp" => &mut self.kpp,
            "ogrn" => &mut self.ogrn,
            "legal_address" => &mut self.legal_address,
            "actual_address" => &mut self.actual_address,
            "payment_terms_days" => &mut self.payment_terms_days,
            "credit_limit" => &mut self.credit_limit,
            "needs" => &mut self.needs,
            "tags" => &mut self.tags,
            "external_id" => &mut self.external_id,
            "notes" => &mut self.notes,
            _ => return,
        };
        *slot = value;
    }

    /// Two spellings of one value compare equal: spaces around text, tag order and case,
    /// "1 500,00" vs "1500".
    fn same(&self, other: &EditValues, key: &str) -> bool {
        let (a, b) = (self.get(key).trim(), other.get(key).trim());
        match key {
            "tags" => {
                let (mut x, mut y) = (parse_tags(a), parse_tags(b));
                x.sort();
                y.sort();
                x == y
            }
            "credit_limit" => match (Money::parse(a), Money::parse(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => a == b,
            },
            _ => a == b,
        }
    }

    /// The fields that differ from `current`, as a patch. Only what the user changed is sent,
    /// so a stored value that no longer passes today's checks does not block other edits.
    fn patch_against(&self, current: &EditValues, may_reassign: bool) -> Result<CounterpartyPatch, FieldError> {
        let changed = |key: &str| !self.same(current, key);
        let text = |key: &str| -> Option<Option<String>> {
            changed(key).then(|| Some(self.get(key).trim().to_owned()).filter(|s| !s.is_empty()))
        };
        let mut p = CounterpartyPatch {
            name: changed("name").then(|| self.name.trim().to_owned()),
            industry: text("industry"),
            size: text("size"),
            lead_source: text("lead_source"),
            city: text("city"),
            phone: text("phone"),
            email: text("email"),
            inn: text("inn"),
            kpp: text("kpp"),
            ogrn: text("ogrn"),
            legal_address: text("legal_address"),
            actual_address: text("actual_address"),
            needs: text("needs"),
            external_id: text("external_id"),
            notes: text("notes"),
            ..Default::default()
        };
        if changed("status") {
            p.status = Some(LifecycleStatus::parse(self.status.trim())?);
        }
        if changed("tier") {
            p.tier = Some(Tier::parse(self.tier.trim())?);
        }
        if may_reassign && changed("owner") {
            let o = self.owner.trim();
            p.owner = Some((!o.is_empty()).then(|| parse_id::<UserId>("owner_id", o)).transpose()?);
        }
        if changed("territory") {
            let t = self.territory.trim();
            p.territory = Some(
                (!t.is_empty())
                    .then(|| parse_id::<TerritoryId>("territory_id", t))
                    .transpose()?,
            );
        }
        if changed("payment_terms_days") {
            let raw = self.payment_terms_days.trim();
            let days = if raw.is_empty() {
                0
            } else {
                raw.parse::<i32>()
                    .map_err(|_| FieldError::new("payment_terms_days", "invalid_number"))?
            };
            p.payment_terms_days = Some(days);
        }
        if changed("credit_limit") {
            p.credit_limit = Some(self.credit_limit.trim().to_owned());
        }
        if changed("tags") {
            p.tags = Some(parse_tags(&self.tags));
        }
        Ok(p)
    }
}

/// What the edit form shows: the values, the version they stand on and the values as read
/// (so a conflict can tell the user's own changes from a colleague's).
pub(super) struct EditDraft {
    values: EditValues,
    version: i64,
    orig: String,
    error: Option<String>,
}

/// A save refused because a colleague saved first.
pub(super) struct ConflictInput {
    changed_by: Option<String>,
    yours: EditValues,
    orig: Option<EditValues>,
}

/// Everything a card can show besides the record itself: notes, errors, typed values.
#[derive(Default)]
pub(super) struct CardState {
    /// (id, name, reason) of possible duplicates, right after creation.
    pub(super) warnings: Vec<(String, String, String)>,
    pub(super) note: Option<String>,
    pub(super) contact_error: Option<String>,
    pub(super) bank_error: Option<String>,
    pub(super) action_error: Option<String>,
    pub(super) edit: Option<EditDraft>,
    pub(super) conflict: Option<ConflictInput>,
    /// An activity form of the timeline the app refused.
    pub(super) activity_error: Option<ActError>,
    /// The timeline's page: activities before this cursor (`<micros>_<id>`), newest when absent.
    pub(super) timeline_before: Option<String>,
}

struct ContactView {
    id: String,
    version: i64,
    /// The stored decision role code, for the edit form's select.
    role_code: String,
    consent_pd: bool,
    consent_ads: bool,
    /// `YYYY-MM-DD` for the edit form's date input.
    consent_at_iso: String,
    full_name: String,
    position: String,
    role: String,
    phone: String,
    email: String,
    messengers: String,
    /// "ПДн, реклама" or empty.
    consent: String,
    consent_at: String,
    consent_source: String,
}

struct HistoryView {
    at: String,
    who: String,
    action: String,
    action_label: &'static str,
    changes: String,
    /// The entry belongs to a record merged into this one.
    merged_from: bool,
}

/// One field of a version conflict: (label, your value, stored value, both sides changed it).
struct ConflictRow {
    label: String,
    yours: String,
    stored: String,
    both: bool,
}

struct ConflictView {
    changed_by: String,
    version: i64,
    rows: Vec<ConflictRow>,
}

struct Labels {
    account: &'static str,
    contacts: &'static str,
    full_name: &'static str,
    position: &'static str,
    decision_role: &'static str,
    consent: &'static str,
    consent_pd: &'static str,
    consent_ads: &'static str,
    consent_at: &'static str,
    consent_source: &'static str,
    add_contact: &'static str,
    edit_contact: &'static str,
    add_account: &'static str,
    remove: &'static str,
    history: &'static str,
    possible_dup: &'static str,
    edit_card: &'static str,
    merged_banner: &'static str,
    archived_banner: &'static str,
    conflict_title: &'static str,
    conflict_field: &'static str,
    conflict_yours: &'static str,
    conflict_stored: &'static str,
    conflict_hint: &'static str,
    conflict_same: &'static str,
    conflict_both: &'static str,
    reapply: &'static str,
    discard: &'static str,
    from_merged: &'static str,
    requisites_addresses: &'static str,
    needs_notes: &'static str,
    contacts_terms: &'static str,
    tags_hint: &'static str,
    slots: &'static str,
    version: &'static str,
    days_short: &'static str,
    rub: &'static str,
}

impl Labels {
    fn new(lang: Lang) -> Self {
        let r = |a, b| ru(lang, a, b);
        Labels {
            account: r("Работа с клиентом", "Account"),
            contacts: r("Контактные лица", "Contact persons"),
            full_name: r("ФИО", "Full name"),
            position: r("Должность", "Position"),
            decision_role: r("Роль в решении", "Decision role"),
            consent: r("Согласие", "Consent"),
            consent_pd: r("Согласие на обработку ПДн", "Personal-data consent"),
            consent_ads: r("Согласие на рассылки", "Marketing consent"),
            consent_at: r("Дата согласия", "Consent date"),
            consent_source: r("Источник согласия", "Consent source"),
            add_contact: r("Добавить контакт", "Add contact"),
            edit_contact: r("Изменить", "Edit"),
            add_account: r("Добавить счёт", "Add account"),
            remove: r("Удалить", "Remove"),
            history: r("История изменений", "Change history"),
            possible_dup: r("Возможный дубль:", "Possible duplicate:"),
            edit_card: r("Изменить карточку", "Edit the card"),
            merged_banner: r(
                "Эта запись объединена с другой и хранится в архиве. Работайте с основной карточкой:",
                "This record was merged into another one and is archived. Work with the surviving card:",
            ),
            archived_banner: r("Запись в архиве с", "Archived since"),
            conflict_title: r("Карточку уже изменили", "The card was changed meanwhile"),
            conflict_field: r("Поле", "Field"),
            conflict_yours: r("Ваша версия", "Your version"),
            conflict_stored: r("Сохранённая версия", "Stored version"),
            conflict_hint: r(
                "Ваши изменения не сохранены. Ниже в форме — сохранённая версия с вашими правками поверх; проверьте и сохраните ещё раз.",
                "Your changes were not saved. The form below holds the stored version with your edits on top; check it and save again.",
            ),
            conflict_same: r(
                "Поля, которые вы меняли, совпадают с сохранённой версией.",
                "The fields you changed match the stored version.",
            ),
            conflict_both: r("изменили оба", "changed by both"),
            reapply: r("Сохранить мою версию", "Save my version"),
            discard: r("Оставить сохранённую", "Keep the stored one"),
            from_merged: r("из присоединённой записи", "from a merged record"),
            requisites_addresses: r("Реквизиты и адреса", "Requisites and addresses"),
            needs_notes: r("Потребности и заметки", "Needs and notes"),
            contacts_terms: r("Связь и условия", "Contacts and terms"),
            tags_hint: r("через запятую: опт, юг", "comma-separated: wholesale, south"),
            slots: r("Связанные разделы", "Related"),
            version: r("версия", "version"),
            days_short: r("дн.", "days"),
            rub: "₽",
        }
    }
}

struct CardData {
    c: CounterpartyRow,
    credit_limit: String,
    tags: Vec<String>,
    contacts: Vec<ContactView>,
    banks: Vec<BankAccountRow>,
    history: Vec<HistoryView>,
    warnings: Vec<(String, String, String)>,
    /// (id, name) of the record this one was merged into.
    merged_into: Option<(String, String)>,
    note: Option<String>,
    can_edit: bool,
    may_reassign: bool,
    contact_error: Option<String>,
    bank_error: Option<String>,
    action_error: Option<String>,
    edit: EditValues,
    edit_version: i64,
    edit_orig: String,
    edit_error: Option<String>,
    edit_open: bool,
    conflict: Option<ConflictView>,
    statuses: Vec<(&'static str, &'static str)>,
    tiers: Vec<(&'static str, &'static str)>,
    owners: Vec<(String, String)>,
    territories: Vec<(String, String)>,
    decision_roles: Vec<(&'static str, &'static str)>,
    /// (capability, label) of sections that will hold the client's orders, …
    slots: Vec<(&'static str, &'static str)>,
    /// The client's deals: (id, title, stage label, amount, expected close, stage).
    deals: Vec<(String, String, String, String, String, String)>,
    /// Orders, debt and payments (none when the user may not read them).
    money: Option<crate::pages::orders::ClientMoney>,
    l: Labels,
    /// The activity timeline, newest first, and the cursor of the next (older) page.
    acts: Vec<ActivityView>,
    acts_older: Option<String>,
    /// The timeline shows an older page (offer the way back to the newest).
    acts_paged: bool,
    ui: ActivityUi,
    /// Who a new activity is planned for, preselected: the client's manager for heads and
    /// directors (who pick from `owners`), the user otherwise.
    act_owner: String,
    l_timeline: &'static str,
    l_older: &'static str,
    l_newest: &'static str,
}

page!(CardPage, "client.html", CardData);

/// The localized name of an audit action.
fn action_label(lang: Lang, action: &str) -> &'static str {
    let (r, e) = match action {
        "create" => ("Создание", "Created"),
        "update" => ("Изменение", "Updated"),
        "merge" => ("Слияние", "Merge"),
        "merged_into" => ("Присоединена к другой", "Merged into another"),
        "archive" => ("В архив", "Archived"),
        "restore" => ("Восстановлена", "Restored"),
        "add_bank_account" => ("Новый счёт", "Account added"),
        "remove_bank_account" => ("Счёт удалён", "Account removed"),
        "denied" => ("Отказ в доступе", "Access denied"),
        "import" => ("Загрузка", "Import"),
        _ => ("Действие", "Action"),
    };
    ru(lang, r, e)
}

/// A JSON value from an audit entry as text a person reads.
fn show_value(lang: Lang, field: &str, v: &Value) -> String {
    match (field, v) {
        (_, Value::Null) => "—".to_owned(),
        ("credit_limit", Value::Number(n)) => n.as_i64().map_or_else(
            || n.to_string(),
            |k| format!("{} ₽", Money::from_kopecks(k).format_ru()),
        ),
        ("tags", Value::String(s)) => tags_from_column(Some(s)).join(", "),
        ("status" | "tier" | "kind", Value::String(s)) => lang.label(s).to_owned(),
        ("owner_id" | "territory_id" | "department_id" | "merged_into", Value::String(_)) => {
            ru(lang, "другое значение", "another value").to_owned()
        }
        ("archived_at", Value::String(s)) => s.get(..10).unwrap_or(s).to_owned(),
        // The record folded in by a merge: "Name (INN …, KPP …)".
        ("merged", Value::Object(m)) => {
            let name = m.get("name").and_then(Value::as_str).unwrap_or("—");
            let ids: Vec<String> = [("inn", "inn"), ("kpp", "kpp")]
                .iter()
                .filter_map(|(k, f)| {
                    m.get(*k)
                        .and_then(Value::as_str)
                        .map(|v| format!("{} {v}", field_label(lang, f)))
                })
                .collect();
            if ids.is_empty() {
                format!("«{name}»")
            } else {
                format!("«{name}» ({})", ids.join(", "))
            }
        }
        (_, Value::String(s)) => s.clone(),
        (_, Value::Bool(b)) => ru(lang, if *b { "да" } else { "нет" }, if *b { "yes" } else { "no" }).to_owned(),
        (_, Value::Number(n)) => n.to_string(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => field_label(lang, s).to_owned(),
                other => show_value(lang, "", other),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Object(map)) => map
            .iter()
            .filter(|(_, v)| !v.is_null() && v.as_u64() != Some(0))
            .map(|(k, v)| format!("{}: {}", field_label(lang, k), show_value(lang, k, v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// An audit entry's `{"field": [before, after]}` as "Field: before → after; …".
fn describe_changes(lang: Lang, raw: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
        return raw.to_owned();
    };
    // A merge reads best in this order; other fields come alphabetically (the map's order).
    let rank = |f: &str| ["merged", "moved", "filled"].iter().position(|k| *k == f).unwrap_or(3);
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(f, _)| rank(f));
    let mut parts = Vec::new();
    for (field, change) in entries {
        let label = match field.as_str() {
            "merged" => ru(lang, "Присоединена запись", "Merged record"),
            "moved" => ru(lang, "Перенесено", "Moved"),
            "filled" => ru(lang, "Заполнено из неё", "Filled from it"),
            other => field_label(lang, other),
        };
        let text = match change {
            Value::Array(pair) if pair.len() == 2 => {
                let (before, after) = (&pair[0], &pair[1]);
                let after_text = show_value(lang, field, after);
                if before.is_null() {
                    if after_text.is_empty() {
                        continue;
                    }
                    after_text
                } else {
                    format!("{} → {}", show_value(lang, field, before), after_text)
                }
            }
            other => show_value(lang, field, other),
        };
        parts.push(format!("{label}: {text}"));
    }
    parts.join("; ")
}

/// The note shown on the survivor's card after a merge, from the redirect's query string.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CardQuery {
    merged: String,
    moved: String,
    filled: String,
    /// The timeline's older page.
    before: String,
}

async fn merge_note(state: &AppState, u: &PageUser, q: &CardQuery) -> Option<String> {
    let lang = u.lang;
    let dup = parse_id::<CounterpartyId>("merged", &q.merged).ok()?;
    // The merged record stays reachable (archived); without it the note names no one.
    let name = match state.app.counterparty(&u.actor, dup).await {
        Ok(row) => format!(" «{}»", row.name),
        Err(_) => String::new(),
    };
    let moved: Vec<String> = q
        .moved
        .split(',')
        .filter_map(|p| p.split_once(':'))
        .filter_map(|(k, n)| n.parse::<u64>().ok().filter(|n| *n > 0).map(|n| (k, n)))
        .map(|(k, n)| format!("{} — {n}", field_label(lang, k)))
        .collect();
    let filled: Vec<&str> = q
        .filled
        .split(',')
        .filter(|f| !f.is_empty())
        .map(|f| field_label(lang, f))
        .collect();
    let mut note = if lang == Lang::Ru {
        format!("Объединено: запись{name} присоединена к этой карточке.")
    } else {
        format!("Merged: the record{name} was folded into this card.")
    };
    note.push(' ');
    note.push_str(ru(lang, "Перенесено: ", "Moved: "));
    if moved.is_empty() {
        note.push_str(ru(lang, "ничего", "nothing"));
    } else {
        note.push_str(&moved.join(", "));
    }
    note.push('.');
    if !filled.is_empty() {
        note.push_str(ru(lang, " Заполнено из неё: ", " Filled from it: "));
        note.push_str(&filled.join(", "));
        note.push('.');
    }
    Some(note)
}

/// Renders the card of `id` with whatever `st` adds (errors, a conflict, typed values).
pub(super) async fn render(state: &AppState, u: &PageUser, id: CounterpartyId, st: CardState) -> Response {
    let lang = u.lang;
    let c = match state.app.counterparty(&u.actor, id).await {
        Ok(c) => c,
        Err(AppError::NotFound) => return not_found(u),
        Err(e) => return page_error(lang, e),
    };
    let (contacts, banks, history) = match (
        state.app.contacts(&u.actor, id).await,
        state.app.bank_accounts(&u.actor, id).await,
        state.app.counterparty_history(&u.actor, id, HISTORY_ROWS).await,
    ) {
        (Ok(a), Ok(b), Ok(h)) => (a, b, h),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return page_error(lang, e),
    };
    // A damaged cursor shows the newest page rather than an error.
    let before = st.timeline_before.as_deref().and_then(decode_cursor);
    let mut timeline = match state
        .app
        .client_activities(&u.actor, id, before, TIMELINE_ROWS + 1)
        .await
    {
        Ok(rows) => rows,
        Err(e) => return page_error(lang, e),
    };
    let acts_older = (timeline.len() as i64 > TIMELINE_ROWS)
        .then(|| {
            timeline.truncate(TIMELINE_ROWS as usize);
            timeline
                .last()
                .map(|r| format!("{}_{}", r.planned_at.timestamp_micros(), r.id))
        })
        .flatten();
    let deals = state
        .app
        .deals(
            &u.actor,
            prospekt_app::deals::DealFilter {
                counterparty: Some(id.as_uuid()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            (
                d.id.to_string(),
                d.title,
                lang.label(&d.stage).to_owned(),
                Money::from_kopecks(d.amount).format_ru(),
                d.expected_close
                    .map(|c| c.format("%d.%m.%Y").to_string())
                    .unwrap_or_default(),
                d.stage,
            )
        })
        .collect();
    let money = crate::pages::orders::client_money(state, u, CounterpartyId::from_uuid(c.id)).await;
    let now = chrono::Utc::now();
    let acts: Vec<ActivityView> = timeline.into_iter().map(|r| ActivityView::new(lang, r, now)).collect();
    let can_edit = prospekt_app::policy::may_edit_clients(u.actor.role) && c.merged_into.is_none();
    let may_reassign = can_edit && !u.actor.role.is_portfolio_bound();
    let owners = if may_reassign {
        match owner_options(state, u).await {
            Ok(mut o) => {
                // The current owner stays selectable even when outside the directory.
                if let (Some(id), Some(name)) = (c.owner_id, &c.owner_name)
                    && !o.iter().any(|(oid, _)| *oid == id.to_string())
                {
                    o.push((id.to_string(), name.clone()));
                }
                o
            }
            Err(e) => return page_error(lang, e),
        }
    } else {
        Vec::new()
    };
    let territories = match territory_options(state, u).await {
        Ok(t) => t,
        Err(e) => return page_error(lang, e),
    };
    let merged_into = match c.merged_into {
        Some(sid) => {
            let name = match state.app.counterparty(&u.actor, CounterpartyId::from_uuid(sid)).await {
                Ok(s) => s.name,
                Err(_) => ru(lang, "основная запись", "the surviving record").to_owned(),
            };
            Some((sid.to_string(), name))
        }
        None => None,
    };

    let stored = EditValues::from_row(&c);
    let stored_json = serde_json::to_string(&stored).unwrap_or_default();
    // What the edit form shows, and whether a conflict table goes above it.
    let (draft, conflict, http_status) = match (st.conflict, st.edit) {
        (Some(k), _) => {
            let mut proposal = stored.clone();
            let mut rows = Vec::new();
            for key in EDIT_FIELDS {
                let yours_changed = k.orig.as_ref().is_none_or(|o| !k.yours.same(o, key));
                if yours_changed {
                    proposal.set(key, k.yours.get(key).to_owned());
                }
                if key == "owner" && !may_reassign {
                    continue;
                }
                if yours_changed && !k.yours.same(&stored, key) {
                    let theirs_changed = k.orig.as_ref().is_some_and(|o| !stored.same(o, key));
                    rows.push(ConflictRow {
                        label: field_label(lang, key).to_owned(),
                        yours: display_field(lang, key, k.yours.get(key), &owners, &territories, &c),
                        stored: display_field(lang, key, stored.get(key), &owners, &territories, &c),
                        both: theirs_changed,
                    });
                }
            }
            let view = ConflictView {
                changed_by: k
                    .changed_by
                    .unwrap_or_else(|| ru(lang, "другой пользователь", "another user").to_owned()),
                version: c.version,
                rows,
            };
            let draft = EditDraft {
                values: proposal,
                version: c.version,
                orig: stored_json.clone(),
                error: None,
            };
            (draft, Some(view), StatusCode::CONFLICT)
        }
        (None, Some(d)) => {
            let s = status_for(d.error.is_some());
            (d, None, s)
        }
        (None, None) => (
            EditDraft {
                values: stored,
                version: c.version,
                orig: stored_json,
                error: None,
            },
            None,
            StatusCode::OK,
        ),
    };
    let any_error = st.contact_error.is_some()
        || st.bank_error.is_some()
        || st.action_error.is_some()
        || st.activity_error.is_some();
    let http_status = if http_status == StatusCode::OK && any_error {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        http_status
    };
    let edit_open = conflict.is_some() || draft.error.is_some();

    let contacts = contacts
        .into_iter()
        .map(|p| {
            let mut consent = Vec::new();
            if p.consent_pd {
                consent.push(ru(lang, "ПДн", "personal data"));
            }
            if p.consent_ads {
                consent.push(ru(lang, "рассылки", "marketing"));
            }
            ContactView {
                id: p.id.to_string(),
                version: p.version,
                role_code: p.decision_role.clone().unwrap_or_default(),
                consent_pd: p.consent_pd,
                consent_ads: p.consent_ads,
                consent_at_iso: p.consent_at.map(|d| d.to_string()).unwrap_or_default(),
                full_name: p.full_name,
                position: p.position.unwrap_or_default(),
                role: p
                    .decision_role
                    .as_deref()
                    .map(|r| lang.label(r).to_owned())
                    .unwrap_or_default(),
                phone: p.phone.unwrap_or_default(),
                email: p.email.unwrap_or_default(),
                messengers: p.messengers.unwrap_or_default(),
                consent: consent.join(", "),
                consent_at: p
                    .consent_at
                    .map(|d| d.format("%d.%m.%Y").to_string())
                    .unwrap_or_default(),
                consent_source: p.consent_source.unwrap_or_default(),
            }
        })
        .collect();
    let history = history
        .into_iter()
        .map(|h| {
            let who = match (h.actor_name, h.on_behalf_of_name) {
                (Some(a), Some(b)) => format!("{a} ({} {b})", ru(lang, "за", "for")),
                (Some(a), None) => a,
                _ => ru(lang, "система", "system").to_owned(),
            };
            HistoryView {
                at: h.at.format("%d.%m.%Y %H:%M").to_string(),
                who,
                action_label: action_label(lang, &h.action),
                changes: describe_changes(lang, &h.changes),
                merged_from: h.entity_id.is_some_and(|e| e != c.id),
                action: h.action,
            }
        })
        .collect();
    let ui = ActivityUi::new(lang, format!("/clients/{}", c.id), st.activity_error)
        .shown(acts.iter().map(|a| a.id.as_str()).chain(["new"]));
    let page = CardPage {
        shell: Shell::new(u, "clients"),
        x: CardData {
            credit_limit: Money::from_kopecks(c.credit_limit).format_ru(),
            tags: tags_from_column(c.tags.as_deref()),
            contacts,
            banks,
            history,
            warnings: st.warnings,
            merged_into,
            note: st.note,
            can_edit,
            may_reassign,
            contact_error: st.contact_error,
            bank_error: st.bank_error,
            action_error: st.action_error,
            edit: draft.values,
            edit_version: draft.version,
            edit_orig: draft.orig,
            edit_error: draft.error,
            edit_open,
            conflict,
            statuses: LifecycleStatus::ALL
                .iter()
                .map(|s| (s.as_str(), lang.label(s.as_str())))
                .collect(),
            tiers: Tier::ALL.iter().map(|s| (s.as_str(), lang.label(s.as_str()))).collect(),
            owners,
            territories,
            decision_roles: DecisionRole::ALL
                .iter()
                .map(|r| (r.as_str(), lang.label(r.as_str())))
                .collect(),
            deals,
            money,
            slots: Vec::new(),
            l: Labels::new(lang),
            act_owner: c
                .owner_id
                .filter(|_| may_reassign)
                .unwrap_or(u.actor.user_id.as_uuid())
                .to_string(),
            acts,
            acts_older,
            acts_paged: before.is_some(),
            ui,
            l_timeline: ru(lang, "Дела и контакты", "Activities and contacts"),
            l_older: ru(lang, "Раньше →", "Older →"),
            l_newest: ru(lang, "← К последним", "← Newest"),
            c,
        },
    };
    (http_status, page).into_response()
}

/// A field's value for the conflict table: codes become names.
fn display_field(
    lang: Lang,
    key: &str,
    value: &str,
    owners: &[(String, String)],
    territories: &[(String, String)],
    c: &CounterpartyRow,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        return "—".to_owned();
    }
    let named = |list: &[(String, String)]| {
        list.iter()
            .find(|(id, _)| id == value)
            .map_or_else(|| value.to_owned(), |(_, n)| n.clone())
    };
    match key {
        "status" | "tier" => lang.label(value).to_owned(),
        "owner" if c.owner_id.is_some_and(|o| o.to_string() == value) => {
            c.owner_name.clone().unwrap_or_else(|| named(owners))
        }
        "owner" => named(owners),
        "territory" => named(territories),
        _ => value.to_owned(),
    }
}

/// A timeline cursor: the last shown activity's start (microseconds) and id.
fn decode_cursor(raw: &str) -> Option<(chrono::DateTime<chrono::Utc>, prospekt_domain::ids::ActivityId)> {
    let (t, id) = raw.split_once('_')?;
    Some((
        chrono::DateTime::from_timestamp_micros(t.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

fn parse_card_id(raw: &str) -> Option<CounterpartyId> {
    parse_id::<CounterpartyId>("id", raw).ok()
}

async fn card(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
) -> Response {
    let Some(id) = parse_card_id(&id) else {
        return not_found(&u);
    };
    let note = merge_note(&state, &u, &q).await;
    render(
        &state,
        &u,
        id,
        CardState {
            note,
            timeline_before: Some(q.before).filter(|b| !b.is_empty()),
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize)]
struct EditForm {
    version: String,
    #[serde(default)]
    orig: String,
    #[serde(flatten)]
    values: EditValues,
}

/// Saves the edit form. A stale version shows both versions; a bad value keeps what was typed.
async fn edit(State(state): State<AppState>, u: PageUser, Path(id): Path<String>, Form(f): Form<EditForm>) -> Response {
    let lang = u.lang;
    let Some(id) = parse_card_id(&id) else {
        return not_found(&u);
    };
    let current = match state.app.counterparty(&u.actor, id).await {
        Ok(c) => c,
        Err(AppError::NotFound) => return not_found(&u),
        Err(e) => return page_error(lang, e),
    };
    let orig: Option<EditValues> = serde_json::from_str(&f.orig).ok();
    let Ok(version) = f.version.trim().parse::<i64>() else {
        let e = FieldError::new("version", "invalid_version");
        return edit_error(&state, &u, id, f, 0, field_error_message(lang, &e)).await;
    };
    let may_reassign = !u.actor.role.is_portfolio_bound();
    // Compared with what the user read, so the patch holds exactly their changes; on a stale
    // version the app refuses before looking at it.
    let base = orig.clone().unwrap_or_else(|| EditValues::from_row(&current));
    let patch = match f.values.patch_against(&base, may_reassign) {
        Ok(p) => p,
        Err(e) => return edit_error(&state, &u, id, f, version, field_error_message(lang, &e)).await,
    };
    match state.app.update_counterparty(&u.actor, id, version, patch).await {
        Ok(_) => Redirect::to(&format!("/clients/{id}")).into_response(),
        Err(AppError::Conflict { changed_by, .. }) => {
            let st = CardState {
                conflict: Some(ConflictInput {
                    changed_by,
                    yours: f.values,
                    orig,
                }),
                ..Default::default()
            };
            render(&state, &u, id, st).await
        }
        Err(AppError::Invalid(e)) => edit_error(&state, &u, id, f, version, field_error_message(lang, &e)).await,
        Err(e @ (AppError::Duplicate { .. } | AppError::Forbidden)) => {
            let msg = ApiError::from_app(lang, e).message;
            edit_error(&state, &u, id, f, version, msg).await
        }
        Err(e) => page_error(lang, e),
    }
}

async fn edit_error(
    state: &AppState,
    u: &PageUser,
    id: CounterpartyId,
    f: EditForm,
    version: i64,
    msg: String,
) -> Response {
    let st = CardState {
        edit: Some(EditDraft {
            values: f.values,
            version,
            orig: f.orig,
            error: Some(msg),
        }),
        ..Default::default()
    };
    render(state, u, id, st).await
}

#[derive(Deserialize)]
struct VersionForm {
    version: i64,
}

async fn set_archived(state: AppState, u: PageUser, id: String, version: i64, archive: bool) -> Response {
    let lang = u.lang;
    let Some(id) = parse_card_id(&id) else {
        return not_found(&u);
    };
    match state
        .app
        .set_counterparty_archived(&u.actor, id, version, archive)
        .await
    {
        Ok(_) => Redirect::to(&format!("/clients/{id}")).into_response(),
        Err(AppError::Invalid(e)) => {
            let st = CardState {
                action_error: Some(field_error_message(lang, &e)),
                ..Default::default()
            };
            render(&state, &u, id, st).await
        }
        Err(e @ (AppError::Conflict { .. } | AppError::Forbidden)) => {
            let st = CardState {
                action_error: Some(ApiError::from_app(lang, e).message),
                ..Default::default()
            };
            render(&state, &u, id, st).await
        }
        Err(AppError::NotFound) => not_found(&u),
        Err(e) => page_error(lang, e),
    }
}

async fn archive(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    set_archived(state, u, id, f.version, true).await
}

async fn restore(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Response {
    set_archived(state, u, id, f.version, false).await
}

#[derive(Deserialize)]
struct ContactForm {
    /// The version read (edits only).
    version: Option<i64>,
    full_name: String,
    position: Option<String>,
    decision_role: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    messengers: Option<String>,
    consent_pd: Option<String>,
    consent_ads: Option<String>,
    consent_at: Option<String>,
    consent_source: Option<String>,
}

async fn add_contact(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ContactForm>,
) -> Response {
    let Some(id) = parse_card_id(&id) else {
        return not_found(&u);
    };
    let saved = state.app.create_contact(&u.actor, id, &f.input()).await;
    after_contact_save(&state, &u, id, saved).await
}

/// Back to the card's contacts after a save; the card with the form's error otherwise.
async fn after_contact_save<T>(
    state: &AppState,
    u: &PageUser,
    id: CounterpartyId,
    saved: Result<T, AppError>,
) -> Response {
    let lang = u.lang;
    let error = match saved {
        Ok(_) => return Redirect::to(&format!("/clients/{id}#contacts")).into_response(),
        Err(AppError::Invalid(e)) => field_error_message(lang, &e),
        Err(e @ (AppError::Forbidden | AppError::Conflict { .. })) => ApiError::from_app(lang, e).message,
        Err(AppError::NotFound) => return not_found(u),
        Err(e) => return page_error(lang, e),
    };
    let st = CardState {
        contact_error: Some(error),
        ..Default::default()
    };
    render(state, u, id, st).await
}

impl ContactForm {
    fn input(self) -> ContactInput {
        ContactInput {
            full_name: self.full_name,
            position: self.position,
            decision_role: self.decision_role,
            phone: self.phone,
            email: self.email,
            messengers: self.messengers,
            consent_pd: self.consent_pd.is_some(),
            consent_ads: self.consent_ads.is_some(),
            consent_at: self.consent_at,
            consent_source: self.consent_source,
            ..Default::default()
        }
    }
}

/// Saves an edited contact person; a stale version says who changed it.
async fn edit_contact(
    State(state): State<AppState>,
    u: PageUser,
    Path((id, contact)): Path<(String, String)>,
    Form(f): Form<ContactForm>,
) -> Response {
    let lang = u.lang;
    let (Some(id), Ok(contact)) = (parse_card_id(&id), contact.parse::<prospekt_domain::ids::ContactId>()) else {
        return not_found(&u);
    };
    let Some(version) = f.version else {
        return not_found(&u);
    };
    // The contact must belong to the card it was edited on.
    match state.app.contact(&u.actor, contact).await {
        Ok(c) if c.counterparty_id == id.as_uuid() => {}
        Ok(_) | Err(AppError::NotFound) => return not_found(&u),
        Err(e) => return page_error(lang, e),
    }
    let saved = state.app.update_contact(&u.actor, contact, version, &f.input()).await;
    after_contact_save(&state, &u, id, saved).await
}

#[derive(Deserialize)]
struct BankForm {
    bik: String,
    account: String,
    corr_account: Option<String>,
    bank_name: String,
}

async fn add_bank_account(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<BankForm>,
) -> Response {
    let lang = u.lang;
    let Some(id) = parse_card_id(&id) else {
        return not_found(&u);
    };
    let input = BankAccountInput {
        bik: f.bik,
        account: f.account,
        corr_account: f.corr_account,
        bank_name: f.bank_name,
    };
    let error = match state.app.add_bank_account(&u.actor, id, &input).await {
        Ok(_) => return Redirect::to(&format!("/clients/{id}#bank")).into_response(),
        Err(AppError::Invalid(e)) => field_error_message(lang, &e),
        Err(e @ (AppError::Duplicate { .. } | AppError::Forbidden)) => ApiError::from_app(lang, e).message,
        Err(AppError::NotFound) => return not_found(&u),
        Err(e) => return page_error(lang, e),
    };
    let st = CardState {
        bank_error: Some(error),
        ..Default::default()
    };
    render(&state, &u, id, st).await
}

async fn remove_bank_account(
    State(state): State<AppState>,
    u: PageUser,
    Path((id, account)): Path<(String, String)>,
) -> Response {
    let lang = u.lang;
    let (Some(id), Ok(account)) = (parse_card_id(&id), account.parse::<uuid::Uuid>()) else {
        return not_found(&u);
    };
    // The account must belong to this card: a form posted with another card's id is refused.
    match state.app.bank_accounts(&u.actor, id).await {
        Ok(list) if list.iter().any(|a| a.id == account) => {}
        Ok(_) | Err(AppError::NotFound) => return not_found(&u),
        Err(e) => return page_error(lang, e),
    }
    match state.app.remove_bank_account(&u.actor, account).await {
        Ok(()) => Redirect::to(&format!("/clients/{id}#bank")).into_response(),
        Err(e @ AppError::Forbidden) => {
            let st = CardState {
                bank_error: Some(ApiError::from_app(lang, e).message),
                ..Default::default()
            };
            render(&state, &u, id, st).await
        }
        Err(AppError::NotFound) => not_found(&u),
        Err(e) => page_error(lang, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> EditValues {
        EditValues {
            name: "Ромашка".into(),
            status: "client".into(),
            tier: "regular".into(),
            city: "Тверь".into(),
            payment_terms_days: "14".into(),
            credit_limit: "1\u{a0}500\u{a0}000,00".into(),
            tags: "опт, юг".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_patch_holds_only_the_changed_fields() {
        let read = values();
        let mut typed = read.clone();
        typed.city = " Тула ".into();
        typed.credit_limit = "1500000".into();
        typed.tags = "Юг,опт".into();
        typed.phone = String::new();
        let p = typed.patch_against(&read, false).unwrap();
        assert_eq!(p.city, Some(Some("Тула".into())));
        assert!(p.credit_limit.is_none() && p.tags.is_none() && p.phone.is_none() && p.name.is_none());
    }

    #[test]
    fn a_manager_cannot_send_an_owner_change() {
        let read = values();
        let mut typed = read.clone();
        typed.owner = "0190a000-0000-7000-8000-000000000000".into();
        assert!(typed.patch_against(&read, false).unwrap().owner.is_none());
        assert!(typed.patch_against(&read, true).unwrap().owner.is_some());
    }

    #[test]
    fn audit_changes_read_as_before_and_after() {
        let text = describe_changes(Lang::Ru, r#"{"city":["Тверь","Тула"],"credit_limit":[0,150000000]}"#);
        assert_eq!(
            text,
            "Город: Тверь → Тула; Кредитный лимит: 0,00 ₽ → 1\u{a0}500\u{a0}000,00 ₽"
        );
        let merge = describe_changes(
            Lang::En,
            r#"{"merged":[null,{"name":"Ромашка","inn":"7707083893"}],"moved":[null,{"contacts":1,"deals":0}],"filled":[null,["phone"]]}"#,
        );
        assert_eq!(
            merge,
            "Merged record: «Ромашка» (INN 7707083893); Moved: Contact persons: 1; Filled from it: Phone"
        );
    }
}
