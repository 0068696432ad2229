//! Contact-frequency rules (`/settings/contact-rules`): how often each kind of client must be
//! contacted and visited, edited as a table. The head edits the department's set, the
//! commercial director and the administrator any department's or the company's; everyone
//! else reads the rules they work under. A save names the version it read, so two editors
//! cannot overwrite each other unknowingly.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use prospekt_app::AppError;
use prospekt_app::plan::RuleSetView;
use prospekt_domain::activity::{DealStage, company_offset};
use prospekt_domain::contact_plan::ContactRule;
use prospekt_domain::counterparty::{LifecycleStatus, Tier};
use prospekt_domain::ids::DepartmentId;
use prospekt_domain::{FieldError, Role};
use serde::Deserialize;

use super::{error_page, field_message, form_message};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::i18n::Lang;
use crate::pages::{PageUser, Shell, page_error, ru};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/settings/contact-rules", get(page).post(save))
}

/// Blank rows offered under the rules for new ones (a script adds more).
const SPARE_ROWS: usize = 2;

/// Where a rule set applies: a department, or the whole company.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scope {
    Company,
    Department(DepartmentId),
}

impl Scope {
    fn parse(raw: &str) -> Option<Scope> {
        match raw.trim() {
            "company" => Some(Scope::Company),
            s => parse_id::<DepartmentId>("scope", s).ok().map(Scope::Department),
        }
    }

    fn key(self) -> String {
        match self {
            Scope::Company => "company".to_owned(),
            Scope::Department(d) => d.to_string(),
        }
    }

    fn department(self) -> Option<DepartmentId> {
        match self {
            Scope::Company => None,
            Scope::Department(d) => Some(d),
        }
    }
}

/// Whether the actor may change the rules of `scope` (the app decides again on save).
fn may_edit(u: &PageUser, scope: Scope) -> bool {
    match u.actor.role {
        Role::CommercialDirector | Role::Administrator => true,
        Role::HeadOfDepartment => matches!(scope, Scope::Department(d) if Some(d) == u.actor.department_id),
        _ => false,
    }
}

/// The scope shown when none is asked for: the user's department, else the company.
fn default_scope(u: &PageUser) -> Scope {
    u.actor.department_id.map_or(Scope::Company, Scope::Department)
}

/// Deal stages by name; only open ones can carry a rule.
fn stage_label(lang: Lang, s: DealStage) -> &'static str {
    let (r, e) = match s {
        DealStage::FirstContact => ("Первый контакт", "First contact"),
        DealStage::NeedsIdentified => ("Потребность выявлена", "Needs identified"),
        DealStage::OfferSent => ("КП отправлено", "Offer sent"),
        DealStage::Negotiation => ("Переговоры", "Negotiation"),
        DealStage::Contract => ("Договор", "Contract"),
        DealStage::Won => ("Выиграна", "Won"),
        DealStage::Lost => ("Проиграна", "Lost"),
    };
    ru(lang, r, e)
}

/// One row of the table as typed.
#[derive(Debug, Clone, Default)]
struct RuleRow {
    status: String,
    tier: String,
    stage: String,
    contact: String,
    visit: String,
    remove: bool,
    /// The row the error is about.
    bad: bool,
}

impl RuleRow {
    fn from_rule(r: &ContactRule) -> Self {
        let days = |d: Option<u16>| d.map(|d| d.to_string()).unwrap_or_default();
        RuleRow {
            status: r.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            tier: r.tier.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            stage: r.deal_stage.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            contact: days(r.contact_every_days),
            visit: days(r.visit_every_days),
            ..Default::default()
        }
    }

    fn is_blank(&self) -> bool {
        [&self.status, &self.tier, &self.stage, &self.contact, &self.visit]
            .iter()
            .all(|v| v.trim().is_empty())
    }

    fn parse(&self) -> Result<ContactRule, FieldError> {
        let text = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let days = |field: &'static str, v: &str| -> Result<Option<u16>, FieldError> {
            text(v)
                .map(|v| v.parse::<u16>().map_err(|_| FieldError::new(field, "invalid_number")))
                .transpose()
        };
        Ok(ContactRule {
            status: text(&self.status).map(|v| LifecycleStatus::parse(&v)).transpose()?,
            tier: text(&self.tier).map(|v| Tier::parse(&v)).transpose()?,
            deal_stage: text(&self.stage)
                .map(|v| DealStage::parse(&v))
                .transpose()
                .map_err(|e| e.on("deal_stage"))?,
            contact_every_days: days("contact_every_days", &self.contact)?,
            visit_every_days: days("visit_every_days", &self.visit)?,
        })
    }
}

struct RulesData {
    scope: String,
    /// (key, name) of the scopes the user may switch between; empty: no choice.
    scopes: Vec<(String, String)>,
    scope_name: String,
    can_edit: bool,
    version: i64,
    inherited: bool,
    source: String,
    rows: Vec<RuleRow>,
    statuses: Vec<(&'static str, &'static str)>,
    tiers: Vec<(&'static str, &'static str)>,
    stages: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    conflict: Option<String>,
    saved: bool,
    l_title: &'static str,
    l_scope: &'static str,
    l_show: &'static str,
    l_status: &'static str,
    l_tier: &'static str,
    l_stage: &'static str,
    l_contact: &'static str,
    l_visit: &'static str,
    l_any: &'static str,
    l_remove: &'static str,
    l_add: &'static str,
    l_save: &'static str,
    l_saved: &'static str,
    l_reload: &'static str,
    l_hint: &'static str,
    l_readonly: &'static str,
    l_plan: &'static str,
}

page!(RulesPage, "contact_rules.html", RulesData);

#[derive(Deserialize, Default)]
#[serde(default)]
struct RulesQuery {
    scope: String,
    saved: String,
}

/// What a re-shown table carries besides the stored rules: the rows as typed, an error, a
/// conflict, the version to save over.
#[derive(Default)]
struct Shown {
    rows: Option<Vec<RuleRow>>,
    version: Option<i64>,
    error: Option<String>,
    conflict: Option<String>,
    saved: bool,
}

async fn scopes(state: &AppState, u: &PageUser) -> Result<Vec<(String, String)>, AppError> {
    if !matches!(u.actor.role, Role::CommercialDirector | Role::Administrator) {
        return Ok(Vec::new());
    }
    let mut out = vec![(
        "company".to_owned(),
        ru(u.lang, "Вся компания", "The whole company").to_owned(),
    )];
    out.extend(
        state
            .app
            .departments(&u.actor)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), d.name)),
    );
    Ok(out)
}

fn source_text(lang: Lang, scope: Scope, v: &RuleSetView) -> String {
    let when = v
        .updated_at
        .map(|t| t.with_timezone(&company_offset()).format("%d.%m.%Y %H:%M").to_string());
    match (v.inherited, scope, when) {
        (false, _, when) => {
            let when = when.unwrap_or_default();
            if lang == Lang::Ru {
                format!("Собственные правила · изменены {when} (МСК) · версия {}", v.version)
            } else {
                format!("Own rules · changed {when} (Moscow) · version {}", v.version)
            }
        }
        (true, Scope::Department(_), Some(_)) => ru(
            lang,
            "Своих правил у отдела нет: действуют правила компании. Сохранение создаст правила отдела.",
            "The department has no rules of its own: the company's apply. Saving creates the department's own.",
        )
        .to_owned(),
        (true, _, _) => ru(
            lang,
            "Своих правил нет: действуют стандартные правила Проспекта. Сохранение запишет их как собственные.",
            "No rules of its own: Prospekt's defaults apply. Saving stores them as this scope's own.",
        )
        .to_owned(),
    }
}

async fn render(state: &AppState, u: &PageUser, scope: Scope, shown: Shown) -> Response {
    let lang = u.lang;
    let view = match state.app.contact_rules(&u.actor, scope.department()).await {
        Ok(v) => v,
        Err(AppError::NotFound) => return crate::pages::clients::not_found(u),
        Err(e) => return page_error(lang, e),
    };
    let scopes = match scopes(state, u).await {
        Ok(s) => s,
        Err(e) => return page_error(lang, e),
    };
    let scope_name = match scope {
        Scope::Company => ru(lang, "Вся компания", "The whole company").to_owned(),
        Scope::Department(d) => match state.app.departments(&u.actor).await {
            Ok(list) => list
                .into_iter()
                .find(|x| x.id == d.as_uuid())
                .map(|x| x.name)
                .unwrap_or_default(),
            Err(e) => return page_error(lang, e),
        },
    };
    let can_edit = may_edit(u, scope);
    let mut rows = shown
        .rows
        .unwrap_or_else(|| view.rules.rules().iter().map(RuleRow::from_rule).collect());
    if can_edit {
        let blanks = rows.iter().rev().take_while(|r| r.is_blank()).count();
        rows.extend((blanks..SPARE_ROWS).map(|_| RuleRow::default()));
    }
    let status = if shown.conflict.is_some() {
        StatusCode::CONFLICT
    } else if shown.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RulesPage {
        shell: Shell::new(u, "rules"),
        x: RulesData {
            scope: scope.key(),
            scopes,
            scope_name,
            can_edit,
            version: shown.version.unwrap_or(view.version),
            inherited: view.inherited,
            source: source_text(lang, scope, &view),
            rows,
            statuses: LifecycleStatus::ALL
                .iter()
                .map(|s| (s.as_str(), lang.label(s.as_str())))
                .collect(),
            tiers: Tier::ALL.iter().map(|s| (s.as_str(), lang.label(s.as_str()))).collect(),
            stages: DealStage::ALL
                .iter()
                .filter(|s| s.is_open())
                .map(|s| (s.as_str(), stage_label(lang, *s)))
                .collect(),
            error: shown.error,
            conflict: shown.conflict,
            saved: shown.saved,
            l_title: ru(lang, "Правила частоты контактов", "Contact-frequency rules"),
            l_scope: ru(lang, "Для кого", "Applies to"),
            l_show: ru(lang, "Открыть", "Open"),
            l_status: ru(lang, "Статус клиента", "Client status"),
            l_tier: ru(lang, "Категория", "Tier"),
            l_stage: ru(lang, "Стадия открытой сделки", "Open deal stage"),
            l_contact: ru(lang, "Контакт не реже, дней", "Contact at least every, days"),
            l_visit: ru(lang, "Визит не реже, дней", "Visit at least every, days"),
            l_any: ru(lang, "любой", "any"),
            l_remove: ru(lang, "Удалить", "Remove"),
            l_add: ru(lang, "+ Правило", "+ Rule"),
            l_save: ru(lang, "Сохранить правила", "Save the rules"),
            l_saved: ru(lang, "Правила сохранены.", "The rules are saved."),
            l_reload: ru(lang, "Открыть текущие правила", "Open the current rules"),
            l_hint: ru(
                lang,
                "Пустое условие подходит любому клиенту. Из подходящих правил действует самое конкретное (больше заполненных условий), из равных — более частое. Интервалы — от 1 до 365 дней; пустой интервал правило не задаёт.",
                "An empty condition matches every client. Of the matching rules the most specific (more conditions set) applies; between equals, the more frequent. Intervals are 1 to 365 days; an empty one is not set by the rule.",
            ),
            l_readonly: ru(
                lang,
                "Правила меняет начальник отдела или коммерческий директор.",
                "The head of department or the commercial director changes the rules.",
            ),
            l_plan: ru(lang, "← План контактов", "← Contact plan"),
        },
    };
    (status, page).into_response()
}

async fn page(State(state): State<AppState>, u: PageUser, Query(q): Query<RulesQuery>) -> Response {
    let scope = match q.scope.trim() {
        "" => default_scope(&u),
        raw => match Scope::parse(raw) {
            Some(s) => s,
            None => return crate::pages::clients::not_found(&u),
        },
    };
    let shown = Shown {
        saved: q.saved == "1",
        ..Default::default()
    };
    render(&state, &u, scope, shown).await
}

/// The table's rows from the posted fields `r{i}_status`, `r{i}_tier`, `r{i}_stage`,
/// `r{i}_contact`, `r{i}_visit`, `r{i}_remove`, in row order.
fn rows_of(fields: &[(String, String)]) -> Vec<RuleRow> {
    let mut rows: BTreeMap<usize, RuleRow> = BTreeMap::new();
    for (k, v) in fields {
        let Some((i, name)) = k.strip_prefix('r').and_then(|k| k.split_once('_')) else {
            continue;
        };
        let Ok(i) = i.parse::<usize>() else { continue };
        let row = rows.entry(i).or_default();
        match name {
            "status" => row.status = v.clone(),
            "tier" => row.tier = v.clone(),
            "stage" => row.stage = v.clone(),
            "contact" => row.contact = v.clone(),
            "visit" => row.visit = v.clone(),
            "remove" => row.remove = true,
            _ => {}
        }
    }
    rows.into_values().collect()
}

/// Saves the table. An error marks its row; a conflict keeps the typed rows and says who
/// saved in between, and the next save goes over their version.
async fn save(State(state): State<AppState>, u: PageUser, Form(fields): Form<Vec<(String, String)>>) -> Response {
    let lang = u.lang;
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let Some(scope) = Scope::parse(get("scope")) else {
        return crate::pages::clients::not_found(&u);
    };
    let mut rows = rows_of(&fields);
    // The posted rows that make the set: not removed, not left blank; `kept[n]` is the
    // table row of the set's rule n.
    let kept: Vec<usize> = (0..rows.len())
        .filter(|i| !rows[*i].remove && !rows[*i].is_blank())
        .collect();
    let rows_shown = |rows: Vec<RuleRow>| rows.into_iter().filter(|r| !r.remove).collect::<Vec<_>>();
    let version = get("version").trim().parse::<i64>().unwrap_or(0);
    let parsed: Result<Vec<ContactRule>, FieldError> = kept
        .iter()
        .enumerate()
        .map(|(n, i)| rows[*i].parse().map_err(|e| e.with("rule", (n + 1).to_string())))
        .collect();
    let result = match parsed {
        Ok(list) => {
            state
                .app
                .set_contact_rules(&u.actor, scope.department(), version, list)
                .await
        }
        Err(e) => Err(AppError::Invalid(e)),
    };
    let mut shown = Shown {
        version: Some(version),
        ..Default::default()
    };
    match result {
        Ok(_) => {
            return Redirect::to(&format!("/settings/contact-rules?scope={}&saved=1", scope.key())).into_response();
        }
        Err(AppError::Conflict {
            current_version,
            changed_by,
        }) => {
            let who = changed_by.unwrap_or_else(|| ru(lang, "другой пользователь", "another user").to_owned());
            shown.conflict = Some(if lang == Lang::Ru {
                format!(
                    "Пока вы редактировали, правила сохранил {who} (версия {current_version}). Ваши правки ниже не сохранены: сохраните ещё раз, чтобы записать их поверх, или откройте текущие правила."
                )
            } else {
                format!(
                    "While you were editing, {who} saved the rules (version {current_version}). Your edits below are not saved: save again to write them over, or open the current rules."
                )
            });
            shown.version = Some(current_version);
        }
        Err(AppError::Invalid(mut e)) => {
            // "Rule n" of the set is a row of the table: name it by the row's number.
            let row = e
                .param("rule")
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| kept.get(n.wrapping_sub(1)).copied());
            if let Some(i) = row {
                rows[i].bad = true;
                for p in e.params.iter_mut().filter(|p| p.0 == "rule") {
                    p.1 = (i + 1).to_string();
                }
            }
            let names_rule = matches!(e.code, "rule_without_interval" | "duplicate_rule");
            let message = field_message(lang, e);
            shown.error = Some(match row {
                Some(i) if !names_rule => format!("{} {}: {message}", ru(lang, "Строка", "Row"), i + 1),
                _ => message,
            });
        }
        Err(e) => match form_message(lang, e) {
            Ok(message) => shown.error = Some(message),
            Err(e) => return error_page(&u, e),
        },
    }
    shown.rows = Some(rows_shown(rows));
    render(&state, &u, scope, shown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn posted_rows_are_read_in_order_and_blank_ones_are_recognised() {
        let rows = rows_of(&[
            field("scope", "company"),
            field("r1_tier", "key"),
            field("r1_contact", "7"),
            field("r0_status", "client"),
            field("r0_contact", "30"),
            field("r0_visit", "90"),
            field("r2_contact", ""),
            field("r1_remove", "on"),
        ]);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].status.as_str(), rows[0].visit.as_str()), ("client", "90"));
        assert!(rows[1].remove && rows[1].tier == "key");
        assert!(rows[2].is_blank());
        let rule = rows[0].parse().unwrap();
        assert_eq!(rule.status, Some(LifecycleStatus::Client));
        assert_eq!((rule.contact_every_days, rule.visit_every_days), (Some(30), Some(90)));
    }

    #[test]
    fn a_day_count_that_is_not_a_number_names_its_column() {
        let row = RuleRow {
            contact: "неделя".into(),
            ..Default::default()
        };
        let e = row.parse().unwrap_err();
        assert_eq!((e.field, e.code), ("contact_every_days", "invalid_number"));
    }
}
