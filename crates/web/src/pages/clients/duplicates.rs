//! The duplicate report (`/clients/duplicates`): records that share an INN, a name in one
//! city, a phone or an e-mail, grouped, each group with a form that merges a member into the
//! one chosen to keep. Both versions travel with the form, so a record changed meanwhile is
//! never merged blind.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospekt_app::AppError;
use prospekt_app::dedup::{DuplicateGroup, Reason};
use prospekt_domain::FieldError;
use prospekt_domain::ids::CounterpartyId;
use serde::Deserialize;

use super::{PageUser, Shell, enc, page_error, ru};
use crate::AppState;
use crate::api::dedup::parse_reason;
use crate::error::ApiError;
use crate::i18n::{Lang, field_error_message, plural_ru};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clients/duplicates", get(report))
        .route("/clients/duplicates/merge", post(merge))
}

/// Groups shown per reason.
const GROUPS_PER_REASON: i64 = 50;

fn reason_label(lang: Lang, r: Reason) -> &'static str {
    match r {
        Reason::Inn => ru(lang, "Один ИНН", "Same INN"),
        Reason::NameCity => ru(lang, "Одно название в городе", "Same name in a city"),
        Reason::Phone => ru(lang, "Один телефон", "Same phone"),
        Reason::Email => ru(lang, "Одна эл. почта", "Same e-mail"),
    }
}

struct MemberView {
    id: String,
    /// "id:version", what the merge form sends for this member.
    token: String,
    name: String,
    inn: String,
    kpp: String,
    city: String,
    phone: String,
    email: String,
    owner: String,
    created: String,
}

struct GroupView {
    reason: &'static str,
    reason_label: &'static str,
    key: String,
    /// "3 записи" / "3 records".
    count: String,
    /// The record kept by default: the oldest (members come oldest first).
    default_survivor: String,
    members: Vec<MemberView>,
    /// The merge that failed in this group, shown next to it.
    error: Option<String>,
    /// Members carry different INNs: different businesses, which the app refuses to merge.
    inn_differs: bool,
}

struct ReportData {
    title: &'static str,
    /// (code, label, current) of the reason tabs; code "" is "all".
    tabs: Vec<(&'static str, &'static str, bool)>,
    reason: &'static str,
    groups: Vec<GroupView>,
    can_merge: bool,
    /// An error not tied to a group still on the page (e.g. the group is gone).
    error: Option<String>,
    l_keep: &'static str,
    l_merge: &'static str,
    l_merge_hint: &'static str,
    l_none: &'static str,
    l_inn_differs: &'static str,
    l_intro: &'static str,
}

page!(ReportPage, "client_duplicates.html", ReportData);

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportQuery {
    reason: String,
}

/// A failed merge to show on the refreshed report.
struct Failure {
    ids: [String; 2],
    message: String,
}

async fn render(
    state: &AppState,
    u: &PageUser,
    reason_raw: &str,
    failure: Option<Failure>,
    status: StatusCode,
) -> Response {
    let lang = u.lang;
    let (reason, mut error) = match parse_reason_opt(reason_raw) {
        Ok(r) => (r, None),
        Err(e) => (None, Some(field_error_message(lang, &e))),
    };
    let groups: Vec<DuplicateGroup> = match state.app.duplicate_groups(&u.actor, reason, GROUPS_PER_REASON).await {
        Ok(g) => g,
        Err(AppError::Invalid(e)) => {
            error = Some(field_error_message(lang, &e));
            Vec::new()
        }
        Err(e) => return page_error(lang, e),
    };
    let mut failure = failure;
    let groups: Vec<GroupView> = groups
        .into_iter()
        .map(|g| {
            let members: Vec<MemberView> = g
                .members
                .into_iter()
                .map(|m| MemberView {
                    id: m.id.to_string(),
                    token: format!("{}:{}", m.id, m.version),
                    name: m.name,
                    inn: m.inn.unwrap_or_default(),
                    kpp: m.kpp.unwrap_or_default(),
                    city: m.city.unwrap_or_default(),
                    phone: m.phone.unwrap_or_default(),
                    email: m.email.unwrap_or_default(),
                    owner: m.owner_name.unwrap_or_else(|| lang.strings().unassigned.to_owned()),
                    created: m.created_at.format("%d.%m.%Y").to_string(),
                })
                .collect();
            // The first group holding the records of a failed merge shows its message.
            let error = match &failure {
                Some(f) if members.iter().any(|m| f.ids.contains(&m.id)) => failure.take().map(|f| f.message),
                _ => None,
            };
            let mut inns: Vec<&str> = members
                .iter()
                .map(|m| m.inn.as_str())
                .filter(|i| !i.is_empty())
                .collect();
            inns.sort_unstable();
            inns.dedup();
            let inn_differs = inns.len() > 1;
            let n = members.len() as u64;
            let count = if lang == Lang::Ru {
                format!("{n} {}", plural_ru(n, "запись", "записи", "записей"))
            } else {
                format!("{n} records")
            };
            GroupView {
                count,
                reason: g.reason.as_str(),
                reason_label: reason_label(lang, g.reason),
                key: g.key,
                default_survivor: members.first().map(|m| m.token.clone()).unwrap_or_default(),
                members,
                error,
                inn_differs,
            }
        })
        .collect();
    if let Some(f) = failure {
        error = Some(f.message);
    }
    let mut tabs = vec![("", ru(lang, "Все", "All"), reason.is_none())];
    tabs.extend(
        Reason::ALL
            .into_iter()
            .map(|r| (r.as_str(), reason_label(lang, r), reason == Some(r))),
    );
    let status = if status == StatusCode::OK && error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    let page = ReportPage {
        shell: Shell::new(u, "clients"),
        x: ReportData {
            title: ru(lang, "Возможные дубли", "Possible duplicates"),
            tabs,
            reason: reason.map_or("", Reason::as_str),
            groups,
            can_merge: prospekt_app::policy::may_edit_clients(u.actor.role),
            error,
            l_keep: ru(lang, "Оставить", "Keep"),
            l_merge: ru(lang, "Влить в отмеченную", "Merge into the kept one"),
            l_merge_hint: ru(
                lang,
                "Отметьте запись, которую оставить, и нажмите «Влить в отмеченную» у лишней: её контакты, счета, сделки и заказы перейдут в отмеченную, пустые поля заполнятся, а сама она уйдёт в архив со ссылкой на основную. История обеих сохраняется.",
                "Mark the record to keep and press \"Merge into the kept one\" on the extra one: its contacts, accounts, deals and orders move over, empty fields are filled, and it is archived with a link to the kept record. Both histories stay.",
            ),
            l_none: ru(lang, "Дублей не найдено", "No duplicates found"),
            l_inn_differs: ru(
                lang,
                "У записей разные ИНН — скорее всего, это разные организации: объединить их нельзя.",
                "The records have different INNs, so they are most likely different businesses and cannot be merged.",
            ),
            l_intro: ru(
                lang,
                "Записи из вашей зоны ответственности, похожие на одну организацию. Архивные записи не показываются.",
                "Records within your reach that look like one business. Archived records are not shown.",
            ),
        },
    };
    (status, page).into_response()
}

fn parse_reason_opt(raw: &str) -> Result<Option<Reason>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        Ok(None)
    } else {
        parse_reason(raw).map(Some)
    }
}

async fn report(State(state): State<AppState>, u: PageUser, Query(q): Query<ReportQuery>) -> Response {
    render(&state, &u, &q.reason, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct MergeForm {
    /// "id:version" of the record to keep.
    #[serde(default)]
    survivor: String,
    /// "id:version" of the record to fold into it.
    #[serde(default)]
    duplicate: String,
    #[serde(default)]
    reason: String,
}

fn parse_token(field: &'static str, raw: &str) -> Result<(CounterpartyId, i64), FieldError> {
    let bad = || FieldError::new(field, "invalid_id").with("value", raw);
    let (id, version) = raw.split_once(':').ok_or_else(bad)?;
    Ok((
        id.parse().map_err(|_| bad())?,
        version.parse().map_err(|_| FieldError::new(field, "invalid_version"))?,
    ))
}

/// Merges one record into another, then opens the survivor's card with a note of what moved.
async fn merge(State(state): State<AppState>, u: PageUser, Form(f): Form<MergeForm>) -> Response {
    let lang = u.lang;
    let ids = [
        f.survivor.split(':').next().unwrap_or_default().to_owned(),
        f.duplicate.split(':').next().unwrap_or_default().to_owned(),
    ];
    let parsed =
        parse_token("survivor_id", &f.survivor).and_then(|s| parse_token("duplicate_id", &f.duplicate).map(|d| (s, d)));
    let ((survivor, sv), (duplicate, dv)) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let failure = Failure {
                ids,
                message: field_error_message(lang, &e),
            };
            return render(&state, &u, &f.reason, Some(failure), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (message, status) = match state
        .app
        .merge_counterparties(&u.actor, survivor, sv, duplicate, dv)
        .await
    {
        Ok(out) => {
            let moved = out
                .moved
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(t, n)| format!("{t}:{n}"))
                .collect::<Vec<_>>()
                .join(",");
            let filled = out.filled.join(",");
            let to = format!(
                "/clients/{survivor}?merged={duplicate}&moved={}&filled={}",
                enc(&moved),
                enc(&filled)
            );
            return Redirect::to(&to).into_response();
        }
        Err(AppError::Conflict {
            current_version,
            changed_by,
        }) => {
            let who = changed_by.unwrap_or_else(|| ru(lang, "другой пользователь", "another user").to_owned());
            let msg = if lang == Lang::Ru {
                format!(
                    "Не объединено: пока вы смотрели отчёт, {who} изменил одну из записей (теперь версия {current_version}). Группа ниже обновлена — проверьте её и повторите."
                )
            } else {
                format!(
                    "Not merged: {who} changed one of the records while you were looking (now version {current_version}). The group below is refreshed; check it and try again."
                )
            };
            (msg, StatusCode::CONFLICT)
        }
        Err(AppError::Invalid(e)) => (field_error_message(lang, &e), StatusCode::UNPROCESSABLE_ENTITY),
        Err(e @ (AppError::Forbidden | AppError::NotFound)) => {
            let e = ApiError::from_app(lang, e);
            (e.message, e.status)
        }
        Err(e) => return page_error(lang, e),
    };
    render(&state, &u, &f.reason, Some(Failure { ids, message }), status).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_token_is_id_and_version() {
        let id = CounterpartyId::new();
        assert_eq!(parse_token("survivor_id", &format!("{id}:7")).unwrap(), (id, 7));
        assert_eq!(parse_token("survivor_id", "nope").unwrap_err().code, "invalid_id");
        assert_eq!(
            parse_token("survivor_id", &format!("{id}:x")).unwrap_err().code,
            "invalid_version"
        );
    }
}
