//! The week view (`/plan?owner=&date=`): a manager's activities Monday to Sunday in company
//! time, plan against done for the week and the month, and the form that plans a new one.
//! Heads and directors pick whose week to see.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use prospekt_app::AppError;
use prospekt_domain::Role;
use prospekt_domain::activity::{company_date, day_start, week_start};
use prospekt_domain::ids::UserId;
use serde::Deserialize;

use super::{ActError, ActivityUi, ActivityView, PvdView, month_name, week_path, weekday_short};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::i18n::{Lang, field_error_message};
use crate::pages::{PageUser, Shell, page_error, ru};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WeekQuery {
    owner: String,
    date: String,
    /// A day whose "+" was clicked: the new-activity form starts on it.
    day: String,
}

struct DayView {
    iso: String,
    /// "Пн 23.11"
    label: String,
    today: bool,
    /// Before today: nothing can be planned or moved there.
    past: bool,
    weekend: bool,
    acts: Vec<ActivityView>,
}

struct WeekData {
    ui: ActivityUi,
    /// The viewer plans and marks activities (others only read the plan).
    can_edit: bool,
    owner_name: String,
    /// The viewed user's id when it is not the viewer (new activities are planned for them).
    owner_param: String,
    range: String,
    week_no: u32,
    prev: String,
    next: String,
    current: String,
    is_current: bool,
    days: Vec<DayView>,
    week: PvdView,
    month: PvdView,
    month_label: String,
    /// (department, [(user id, name)]) for heads and directors; empty for managers.
    people: Vec<(String, Vec<(String, String)>)>,
    selected: String,
    earlier_overdue: usize,
    /// The new-activity form's start.
    new_at: String,
    error: Option<String>,
    l_title: &'static str,
    l_prev: &'static str,
    l_next: &'static str,
    l_today: &'static str,
    l_week_no: &'static str,
    l_manager: &'static str,
    l_show: &'static str,
    l_rules: &'static str,
    l_earlier: &'static str,
    l_to_home: &'static str,
    l_drag: &'static str,
    l_add_day: &'static str,
}

page!(WeekPage, "plan.html", WeekData);

/// "23–29 ноября 2026", "30 ноября – 6 декабря 2026", "29 декабря 2025 – 4 января 2026".
fn range_label(lang: Lang, monday: NaiveDate) -> String {
    let sunday = monday + Duration::days(6);
    let (m1, m2) = (month_name(lang, monday.month()), month_name(lang, sunday.month()));
    if monday.year() != sunday.year() {
        format!(
            "{} {m1} {} – {} {m2} {}",
            monday.day(),
            monday.year(),
            sunday.day(),
            sunday.year()
        )
    } else if monday.month() != sunday.month() {
        format!("{} {m1} – {} {m2} {}", monday.day(), sunday.day(), sunday.year())
    } else {
        format!("{}–{} {m1} {}", monday.day(), sunday.day(), sunday.year())
    }
}

/// The month's name as a heading ("Ноябрь", "November").
fn month_heading(lang: Lang, month: u32) -> String {
    const RU: [&str; 12] = [
        "Январь",
        "Февраль",
        "Март",
        "Апрель",
        "Май",
        "Июнь",
        "Июль",
        "Август",
        "Сентябрь",
        "Октябрь",
        "Ноябрь",
        "Декабрь",
    ];
    match lang {
        Lang::Ru => RU[(month.clamp(1, 12) - 1) as usize].to_owned(),
        Lang::En => month_name(lang, month).to_owned(),
    }
}

/// Whose plans a head or director may open: the sellers of their user directory, grouped by
/// department. Managers see only their own week.
async fn people(state: &AppState, u: &PageUser) -> Result<Vec<(String, Vec<(String, String)>)>, AppError> {
    if u.actor.role.is_portfolio_bound() {
        return Ok(Vec::new());
    }
    let (users, departments) = (state.app.users(&u.actor).await?, state.app.departments(&u.actor).await?);
    let sells = |r: &str| {
        matches!(
            r.parse::<Role>(),
            Ok(Role::Manager | Role::KeyAccountManager | Role::HeadOfDepartment)
        )
    };
    let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for user in users.into_iter().filter(|r| r.is_active && sells(&r.role)) {
        let dept = user
            .department_id
            .and_then(|d| departments.iter().find(|x| x.id == d))
            .map_or_else(
                || ru(u.lang, "Без отдела", "No department").to_owned(),
                |d| d.name.clone(),
            );
        match groups.iter_mut().find(|(g, _)| *g == dept) {
            Some((_, list)) => list.push((user.id.to_string(), user.display_name)),
            None => groups.push((dept, vec![(user.id.to_string(), user.display_name)])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, list) in &mut groups {
        list.sort_by(|a, b| a.1.cmp(&b.1));
    }
    Ok(groups)
}

pub(super) async fn page(State(state): State<AppState>, u: PageUser, Query(q): Query<WeekQuery>) -> Response {
    let lang = u.lang;
    let owner = match q.owner.trim() {
        "" => None,
        raw => match parse_id::<UserId>("owner", raw) {
            Ok(id) => Some(id),
            Err(_) => return crate::pages::clients::not_found(&u),
        },
    };
    let mut error = None;
    let date = match q.date.trim() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let e = prospekt_domain::FieldError::new("date", "invalid_date").with("value", raw);
                error = Some(field_error_message(lang, &e));
                None
            }
        },
    };
    let day = NaiveDate::parse_from_str(q.day.trim(), "%Y-%m-%d").ok();
    render_page(&state, &u, owner, date, day, None, error).await
}

/// The week of `owner` (the viewer when absent) containing `date` (today when absent).
pub(super) async fn render(
    state: &AppState,
    u: &PageUser,
    owner: Option<UserId>,
    date: Option<NaiveDate>,
    day: Option<NaiveDate>,
    act_error: Option<ActError>,
) -> Response {
    render_page(state, u, owner, date, day, act_error, None).await
}

async fn render_page(
    state: &AppState,
    u: &PageUser,
    owner: Option<UserId>,
    date: Option<NaiveDate>,
    day: Option<NaiveDate>,
    act_error: Option<ActError>,
    error: Option<String>,
) -> Response {
    let lang = u.lang;
    let now = Utc::now();
    let today = company_date(now);
    let plan = match state.app.week_plan(&u.actor, owner, date.unwrap_or(today)).await {
        Ok(p) => p,
        Err(AppError::NotFound) => return crate::pages::clients::not_found(u),
        Err(e) => return page_error(lang, e),
    };
    let monday = plan.week_start;
    // The viewer's own week carries no owner in its links.
    let own = plan.owner.id == u.actor.user_id.as_uuid();
    let owner_link = (!own).then(|| UserId::from_uuid(plan.owner.id));
    let overdue = match state.app.overdue_activities(&u.actor, owner_link, 200).await {
        Ok(rows) => rows,
        Err(e) => return page_error(lang, e),
    };
    let this_monday = week_start(today);
    let earlier_overdue = if monday >= this_monday {
        overdue.iter().filter(|r| r.planned_at < day_start(monday)).count()
    } else {
        0
    };
    let people = match people(state, u).await {
        Ok(p) => p,
        Err(e) => return page_error(lang, e),
    };
    let mut days: Vec<DayView> = (0..7)
        .map(|i| {
            let d = monday + Duration::days(i);
            DayView {
                iso: d.to_string(),
                label: format!("{} {}", weekday_short(lang, d), d.format("%d.%m")),
                today: d == today,
                past: d < today,
                weekend: i >= 5,
                acts: Vec::new(),
            }
        })
        .collect();
    for row in plan.activities {
        let view = ActivityView::new(lang, row, now);
        let i = (view.day - monday).num_days();
        if let Some(d) = usize::try_from(i).ok().and_then(|i| days.get_mut(i)) {
            d.acts.push(view);
        }
    }
    let new_at = match day.filter(|d| *d >= today) {
        Some(d) => format!("{d}T10:00"),
        None => super::next_working_morning(now),
    };
    let back = week_path(owner_link, Some(monday));
    let status = if act_error.is_some() || error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = WeekPage {
        shell: Shell::new(u, "plan"),
        x: WeekData {
            ui: ActivityUi::new(lang, back, act_error).shown(
                days.iter()
                    .flat_map(|d| d.acts.iter().map(|a| a.id.as_str()))
                    .chain(["new"]),
            ),
            can_edit: prospekt_app::policy::may_edit_clients(u.actor.role),
            owner_name: plan.owner.display_name,
            owner_param: owner_link.map(|o| o.to_string()).unwrap_or_default(),
            range: range_label(lang, monday),
            week_no: monday.iso_week().week(),
            prev: week_path(owner_link, Some(monday - Duration::days(7))),
            next: week_path(owner_link, Some(monday + Duration::days(7))),
            current: week_path(owner_link, None),
            is_current: monday == this_monday,
            days,
            week: PvdView::new(lang, plan.week),
            month: PvdView::new(lang, plan.month),
            month_label: month_heading(lang, date.unwrap_or(today).month()),
            people,
            selected: plan.owner.id.to_string(),
            earlier_overdue,
            new_at,
            error,
            l_title: ru(lang, "План контактов", "Contact plan"),
            l_prev: ru(lang, "Предыдущая неделя", "Previous week"),
            l_next: ru(lang, "Следующая неделя", "Next week"),
            l_today: ru(lang, "Сегодня", "Today"),
            l_week_no: ru(lang, "неделя", "week"),
            l_manager: ru(lang, "Чей план", "Whose plan"),
            l_show: ru(lang, "Показать", "Show"),
            l_rules: ru(lang, "Правила частоты контактов", "Contact-frequency rules"),
            l_earlier: ru(
                lang,
                "Не отмечены дела с прошлых недель:",
                "Activities from earlier weeks not marked:",
            ),
            l_to_home: ru(lang, "отметить на главной", "mark them on the start page"),
            l_drag: ru(
                lang,
                "Перетащите карточку на другой день, чтобы перенести её (время сохранится).",
                "Drag a card to another day to move it (the time stays).",
            ),
            l_add_day: ru(lang, "Запланировать на этот день", "Plan on this day"),
        },
    };
    (status, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn week_ranges_name_months_and_years_only_when_they_change() {
        assert_eq!(range_label(Lang::Ru, d("2026-11-23")), "23–29 ноября 2026");
        assert_eq!(range_label(Lang::Ru, d("2026-11-30")), "30 ноября – 6 декабря 2026");
        assert_eq!(
            range_label(Lang::En, d("2025-12-29")),
            "29 December 2025 – 4 January 2026"
        );
    }
}
