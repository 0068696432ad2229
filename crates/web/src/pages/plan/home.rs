//! The start page: for a user with a plan, today's activities (each marked done in one
//! click), earlier plans not yet marked, "whom to contact now" with a quick "plan a call",
//! and the week's plan against done; below, the user's clients as before.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Utc};
use prospekt_app::counterparties::{CounterpartyQuery, CounterpartyRow};
use prospekt_app::plan::Priority;
use prospekt_domain::activity::{company_date, day_start};

use super::{ActError, ActivityUi, ActivityView, PvdView, day_end, month_name, next_slot};
use crate::AppState;
use crate::i18n::{Lang, plural_ru, reason_message};
use crate::pages::{PageUser, Shell, page_error, ru};

/// Rows of "whom to contact now" on the start page.
const PRIORITY_ROWS: usize = 15;

/// Earlier plans not marked, shown at most.
const OVERDUE_ROWS: i64 = 30;

struct ReasonView {
    text: String,
    /// Puts the client on the list by itself (value or an existing plan only reorder).
    trigger: bool,
    code: &'static str,
}

struct PriorityView {
    id: String,
    name: String,
    status: String,
    tier: String,
    city: String,
    phone: String,
    reasons: Vec<ReasonView>,
    last_contact: String,
}

impl PriorityView {
    fn new(lang: Lang, p: Priority) -> Self {
        let last_contact = match p.days_since_contact {
            None => ru(lang, "не было", "never").to_owned(),
            Some(0) => ru(lang, "сегодня", "today").to_owned(),
            Some(n) if lang == Lang::Ru => {
                let n = n.unsigned_abs();
                format!("{n} {} назад", plural_ru(n, "день", "дня", "дней"))
            }
            Some(n) => format!("{n} days ago"),
        };
        PriorityView {
            id: p.client.id.to_string(),
            name: p.client.name,
            status: p.client.status,
            tier: p.client.tier,
            city: p.client.city.unwrap_or_default(),
            phone: p.client.phone.unwrap_or_default(),
            reasons: p
                .assessment
                .reasons
                .iter()
                .map(|r| ReasonView {
                    text: reason_message(lang, r),
                    trigger: r.trigger,
                    code: r.code,
                })
                .collect(),
            last_contact,
        }
    }
}

struct HomeData {
    ui: ActivityUi,
    /// Requests for the head's approval waiting for this user (heads, the commercial director)
    /// or the user's own requests still waiting (everyone else).
    approvals: usize,
    /// The user decides approval requests.
    approver: bool,
    /// The user plans calls and visits (the plan's sections are shown).
    has_plan: bool,
    today_label: String,
    today: Vec<ActivityView>,
    overdue: Vec<ActivityView>,
    week: Option<PvdView>,
    priorities: Vec<PriorityView>,
    /// When a quick call from "whom to contact now" is planned by default.
    call_at: String,
    rows: Vec<CounterpartyRow>,
    l_today: &'static str,
    l_overdue: &'static str,
    l_overdue_hint: &'static str,
    l_none_today: &'static str,
    l_none_overdue: &'static str,
    l_whom: &'static str,
    l_whom_hint: &'static str,
    l_none_whom: &'static str,
    l_reasons: &'static str,
    l_last_contact: &'static str,
    l_plan_call: &'static str,
    l_this_week: &'static str,
    l_open_plan: &'static str,
    l_rules: &'static str,
}

page!(HomePage, "home.html", HomeData);

/// "пятница, 27 ноября" / "Friday, 27 November".
fn today_label(lang: Lang, day: chrono::NaiveDate) -> String {
    const RU: [&str; 7] = [
        "понедельник",
        "вторник",
        "среда",
        "четверг",
        "пятница",
        "суббота",
        "воскресенье",
    ];
    const EN: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let i = day.weekday().num_days_from_monday() as usize;
    let name = if lang == Lang::Ru { RU[i] } else { EN[i] };
    format!("{name}, {} {}", day.day(), month_name(lang, day.month()))
}

pub(in crate::pages) async fn render(state: &AppState, u: &PageUser, error: Option<ActError>) -> Response {
    let lang = u.lang;
    let query = CounterpartyQuery {
        limit: 15,
        ..Default::default()
    };
    let rows = match state.app.counterparties(&u.actor, &query).await {
        Ok(rows) => rows,
        Err(e) => return page_error(lang, e),
    };
    let now = Utc::now();
    let today = company_date(now);
    let has_plan = prospekt_app::policy::may_edit_clients(u.actor.role);
    let (mut today_acts, mut overdue, mut week, mut priorities) = (Vec::new(), Vec::new(), None, Vec::new());
    if has_plan {
        let (plan, late, whom) = match tokio::join!(
            state.app.week_plan(&u.actor, None, today),
            state.app.overdue_activities(&u.actor, None, OVERDUE_ROWS),
            state.app.priorities(&u.actor, None, PRIORITY_ROWS),
        ) {
            (Ok(a), Ok(b), Ok(c)) => (a, b, c),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return page_error(lang, e),
        };
        let (from, to) = (day_start(today), day_end(today));
        today_acts = plan
            .activities
            .into_iter()
            .filter(|r| r.kind != "note" && r.planned_at >= from && r.planned_at < to)
            .map(|r| ActivityView::new(lang, r, now))
            .collect();
        // Today's late ones are already in today's list.
        overdue = late
            .into_iter()
            .filter(|r| r.planned_at < from)
            .map(|r| ActivityView::new(lang, r, now))
            .collect();
        week = Some(PvdView::new(lang, plan.week));
        priorities = whom.into_iter().map(|p| PriorityView::new(lang, p)).collect();
    }
    let approvals = state
        .app
        .pending_approvals(&u.actor)
        .await
        .map(|a| a.len())
        .unwrap_or(0);
    let approver = matches!(
        u.actor.role,
        prospekt_domain::Role::HeadOfDepartment | prospekt_domain::Role::CommercialDirector
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = HomePage {
        shell: Shell::new(u, "home"),
        x: HomeData {
            approvals,
            approver,
            ui: ActivityUi::new(lang, "/".to_owned(), error).shown(
                today_acts
                    .iter()
                    .chain(&overdue)
                    .map(|a| a.id.as_str())
                    .chain(priorities.iter().map(|p| p.id.as_str())),
            ),
            has_plan,
            today_label: today_label(lang, today),
            today: today_acts,
            overdue,
            week,
            priorities,
            call_at: next_slot(now),
            rows,
            l_today: ru(lang, "Сегодня", "Today"),
            l_overdue: ru(lang, "Просрочено", "Overdue"),
            l_overdue_hint: ru(
                lang,
                "Прошедшие дела без отметки: отметьте результат или перенесите в плане недели.",
                "Past activities not marked: record the result or move them on the week plan.",
            ),
            l_none_today: ru(
                lang,
                "На сегодня ничего не запланировано.",
                "Nothing planned for today.",
            ),
            l_none_overdue: ru(lang, "Просроченных дел нет.", "Nothing overdue."),
            l_whom: ru(lang, "Кому позвонить сейчас", "Whom to contact now"),
            l_whom_hint: ru(
                lang,
                "Клиенты, которым пора позвонить: по правилам частоты контактов, ценности, долгу и срокам.",
                "Clients due for contact: by the contact-frequency rules, value, debt and deadlines.",
            ),
            l_none_whom: ru(
                lang,
                "Все клиенты в норме: никому не пора звонить.",
                "Every client is within the rules: nobody is due.",
            ),
            l_reasons: ru(lang, "Почему", "Why"),
            l_last_contact: ru(lang, "Последний контакт", "Last contact"),
            l_plan_call: ru(lang, "Запланировать звонок", "Plan a call"),
            l_this_week: ru(lang, "Эта неделя: план и факт", "This week: plan vs done"),
            l_open_plan: ru(lang, "План недели →", "Week plan →"),
            l_rules: ru(lang, "Правила частоты контактов", "Contact-frequency rules"),
        },
    };
    (status, page).into_response()
}
