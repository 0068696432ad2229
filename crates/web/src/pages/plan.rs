//! The contact plan (C8) in HTML: the week view of a manager's calls and visits, the start
//! page's "today" and "whom to contact now", the contact-frequency rules, and the forms that
//! plan, move, repeat and mark activities (also used by the client card's timeline).
//!
//! Every activity form names the page it came from (`back`). After a save the browser goes
//! back there; when the app refuses, that page is rendered again with the message beside the
//! form that was sent and what was typed still in it.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use prospekt_app::AppError;
use prospekt_app::plan::{ActivityInput, ActivityPatch, ActivityRow, Completion, NextStep};
use prospekt_domain::FieldError;
use prospekt_domain::activity::{
    ActivityKind, ActivityStatus, PlanVsDone, company_date, company_offset, day_start, parse_moment,
};
use prospekt_domain::ids::{ActivityId, CounterpartyId, UserId};
use serde::Deserialize;

use super::{PageUser, page_error, ru};
use crate::AppState;
use crate::api::counterparties::parse_id;
use crate::error::ApiError;
use crate::i18n::{Lang, field_error_message};

mod home;
mod rules;
mod week;

pub(super) use home::render as render_home;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plan", axum::routing::get(week::page))
        .route("/activities", post(create))
        .route("/activities/{id}/complete", post(complete))
        .route("/activities/{id}/move", post(move_to))
        .route("/activities/{id}/repeat", post(repeat))
        .merge(rules::router())
}

// ---------------------------------------------------------------- what the templates show

/// An activity as the plan's templates show it, times in company time (Moscow).
pub(super) struct ActivityView {
    pub id: String,
    pub version: i64,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub icon: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    /// Still planned: it can be marked, moved and repeated.
    pub planned: bool,
    /// Planned and already past, not marked.
    pub overdue: bool,
    pub day: NaiveDate,
    /// `27.11.2026`
    pub date: String,
    /// `10:30`
    pub time: String,
    /// `2026-11-27T10:30`, for date-time inputs.
    pub local: String,
    pub minutes: i32,
    pub client_id: String,
    pub client: String,
    pub subject: String,
    pub contact: String,
    pub phone: String,
    pub owner: String,
    pub result: String,
    pub next_step: String,
    /// One of a weekly series.
    pub series: bool,
    /// Created as the next step of another activity.
    pub follows: bool,
}

/// The symbol shown for a kind of activity (the kind's name goes in its title).
pub(super) fn kind_icon(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Call => "☎",
        ActivityKind::Visit => "⌂",
        ActivityKind::Meeting => "◎",
        ActivityKind::Email => "@",
        ActivityKind::Letter => "✉",
        ActivityKind::Task => "☑",
        ActivityKind::Note => "✎",
    }
}

impl ActivityView {
    pub fn new(lang: Lang, r: ActivityRow, now: DateTime<Utc>) -> Self {
        let kind = ActivityKind::parse(&r.kind).unwrap_or(ActivityKind::Task);
        let status = ActivityStatus::parse(&r.status).unwrap_or(ActivityStatus::Planned);
        let local = r.planned_at.with_timezone(&company_offset());
        let planned = status == ActivityStatus::Planned;
        ActivityView {
            id: r.id.to_string(),
            version: r.version,
            kind: kind.as_str(),
            kind_label: lang.label(kind.as_str()),
            icon: kind_icon(kind),
            status: status.as_str(),
            status_label: lang.label(status.as_str()),
            planned,
            overdue: planned && r.planned_at < now,
            day: local.date_naive(),
            date: local.format("%d.%m.%Y").to_string(),
            time: local.format("%H:%M").to_string(),
            local: local.format("%Y-%m-%dT%H:%M").to_string(),
            minutes: r.duration_min,
            client_id: r.counterparty_id.to_string(),
            client: r.counterparty_name,
            subject: r.subject,
            contact: r.contact_name.unwrap_or_default(),
            phone: r.contact_phone.unwrap_or_default(),
            owner: r.owner_name.unwrap_or_default(),
            result: r.result.unwrap_or_default(),
            next_step: r.next_step.unwrap_or_default(),
            series: r.series_id.is_some(),
            follows: r.follows_id.is_some(),
        }
    }
}

/// Plan against done for a period, with the widths of a stacked bar (percent of the plan).
pub(super) struct PvdView {
    pub planned: u32,
    pub done: u32,
    pub not_done: u32,
    pub overdue: u32,
    /// Planned and still ahead.
    pub ahead: u32,
    pub percent: u32,
    /// (css class, x, width) of each bar segment, as SVG coordinates out of 100.
    pub bars: Vec<(&'static str, String, String)>,
    pub summary: String,
}

impl PvdView {
    pub fn new(lang: Lang, p: PlanVsDone) -> Self {
        let ahead = p.planned.saturating_sub(p.done + p.not_done + p.overdue);
        let mut bars = Vec::new();
        let mut x = 0.0_f64;
        for (class, n) in [
            ("b-done", p.done),
            ("b-not", p.not_done),
            ("b-over", p.overdue),
            ("b-ahead", ahead),
        ] {
            if n == 0 || p.planned == 0 {
                continue;
            }
            let w = f64::from(n) * 100.0 / f64::from(p.planned);
            bars.push((class, format!("{x:.2}"), format!("{w:.2}")));
            x += w;
        }
        let summary = if lang == Lang::Ru {
            format!(
                "Выполнено {} из {} ({}%), не выполнено {}, просрочено {}",
                p.done,
                p.planned,
                p.percent_done(),
                p.not_done,
                p.overdue
            )
        } else {
            format!(
                "Done {} of {} ({}%), not done {}, overdue {}",
                p.done,
                p.planned,
                p.percent_done(),
                p.not_done,
                p.overdue
            )
        };
        PvdView {
            planned: p.planned,
            done: p.done,
            not_done: p.not_done,
            overdue: p.overdue,
            ahead,
            percent: p.percent_done(),
            bars,
            summary,
        }
    }
}

/// Words of the plan's forms and lists.
pub(super) struct PlanLabels {
    pub done: &'static str,
    pub not_done: &'static str,
    pub mark_done: &'static str,
    pub mark_not_done: &'static str,
    pub result: &'static str,
    pub result_ph: &'static str,
    pub next_step: &'static str,
    pub no_next: &'static str,
    pub kind: &'static str,
    pub when: &'static str,
    pub minutes: &'static str,
    pub minutes_ph: &'static str,
    pub subject: &'static str,
    pub subject_ph: &'static str,
    pub contact: &'static str,
    pub client: &'static str,
    pub client_ph: &'static str,
    pub performer: &'static str,
    pub plan: &'static str,
    pub plan_activity: &'static str,
    pub more_actions: &'static str,
    pub move_to: &'static str,
    pub move_btn: &'static str,
    pub repeat: &'static str,
    pub repeat_times: &'static str,
    pub repeat_btn: &'static str,
    pub overdue: &'static str,
    pub follows: &'static str,
    pub series: &'static str,
    pub nothing: &'static str,
    pub planned_n: &'static str,
    pub done_n: &'static str,
    pub not_done_n: &'static str,
    pub overdue_n: &'static str,
    pub ahead_n: &'static str,
    pub week: &'static str,
    pub month: &'static str,
    pub status: &'static str,
    pub when_col: &'static str,
    pub owner: &'static str,
    pub minutes_short: &'static str,
}

impl PlanLabels {
    pub fn new(lang: Lang) -> Self {
        let r = |a, b| ru(lang, a, b);
        PlanLabels {
            done: r("Выполнено", "Done"),
            not_done: r("Не состоялось", "Not done"),
            mark_done: r("Отметить выполненным", "Mark done"),
            mark_not_done: r("Отметить: не состоялось", "Mark not done"),
            result: r("Результат", "Result"),
            result_ph: r("Чем закончилось (необязательно)", "What came of it (optional)"),
            next_step: r("Следующий шаг", "Next step"),
            no_next: r("— без следующего шага —", "— no next step —"),
            kind: r("Вид", "Kind"),
            when: r("Дата и время (МСК)", "Date and time (Moscow)"),
            minutes: r("Минут", "Minutes"),
            minutes_ph: r("по виду", "by kind"),
            subject: r("Тема", "Subject"),
            subject_ph: r("по умолчанию — вид дела", "defaults to the kind"),
            contact: r("Контактное лицо", "Contact person"),
            client: r("Клиент", "Client"),
            client_ph: r("Название, ИНН или телефон", "Name, INN or phone"),
            performer: r("Исполнитель", "Performer"),
            plan: r("Запланировать", "Plan"),
            plan_activity: r("Запланировать дело", "Plan an activity"),
            more_actions: r("Перенести или повторить", "Move or repeat"),
            move_to: r("Перенести на", "Move to"),
            move_btn: r("Перенести", "Move"),
            repeat: r("Повторять каждую неделю", "Repeat every week"),
            repeat_times: r("ещё раз (1–52)", "more times (1–52)"),
            repeat_btn: r("Повторить", "Repeat"),
            overdue: r("просрочено", "overdue"),
            follows: r("следующий шаг", "follow-up"),
            series: r("повторяется", "recurring"),
            nothing: r("Ничего не запланировано", "Nothing planned"),
            planned_n: r("В плане", "Planned"),
            done_n: r("Выполнено", "Done"),
            not_done_n: r("Не состоялось", "Not done"),
            overdue_n: r("Просрочено", "Overdue"),
            ahead_n: r("Впереди", "Ahead"),
            week: r("Неделя", "Week"),
            month: r("Месяц", "Month"),
            status: r("Состояние", "Status"),
            when_col: r("Когда", "When"),
            owner: r("Исполнитель", "Performer"),
            minutes_short: r("мин", "min"),
        }
    }
}

/// Everything an activity form posts; each handler reads the fields it needs. Kept whole
/// so a refused form can be shown again as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(super) struct ActivityForm {
    /// The page the form is on (see [`Back`]).
    pub back: String,
    /// Which form of the page sent it, to put an error beside the right one.
    pub origin: String,
    pub version: String,
    pub status: String,
    pub counterparty_id: String,
    /// The client as typed, when no id was picked from the suggestions.
    pub client: String,
    pub contact_id: String,
    pub owner_id: String,
    pub kind: String,
    pub planned_at: String,
    pub duration_min: String,
    pub subject: String,
    pub result: String,
    pub next_kind: String,
    pub next_at: String,
    pub next_subject: String,
    pub count: String,
}

/// A refused activity form: which one (the activity's id, or `new`, or a client's id for the
/// start page's quick call) and which of its forms, the message, and what was typed.
pub(super) struct ActError {
    pub id: String,
    pub form: &'static str,
    pub message: String,
    pub draft: ActivityForm,
}

/// What a page with activity forms needs besides the activities: words, kinds, where the
/// forms come back to, default times and the error of the last post, if any.
pub(super) struct ActivityUi {
    pub l: PlanLabels,
    /// (code, label) of the kinds one plans.
    pub kinds: Vec<(&'static str, &'static str)>,
    pub back: String,
    /// Default start of a new activity: the next working day at 10:00.
    pub new_at: String,
    pub error: Option<ActError>,
    /// The refused form is not on the page any more (the activity was marked meanwhile, say):
    /// its message goes above everything.
    orphan: bool,
    blank: ActivityForm,
}

impl ActivityUi {
    pub fn new(lang: Lang, back: String, error: Option<ActError>) -> Self {
        ActivityUi {
            l: PlanLabels::new(lang),
            kinds: ActivityKind::ALL
                .iter()
                .filter(|k| **k != ActivityKind::Note)
                .map(|k| (k.as_str(), lang.label(k.as_str())))
                .collect(),
            back,
            new_at: next_working_morning(Utc::now()),
            error,
            orphan: false,
            blank: ActivityForm::default(),
        }
    }

    /// Notes which forms the page shows (activity ids, `new`, client ids of quick calls), so
    /// an error whose form is gone is still shown.
    pub fn shown<'a>(mut self, ids: impl IntoIterator<Item = &'a str>) -> Self {
        if let Some(e) = &self.error {
            let id = e.id.as_str();
            self.orphan = !ids.into_iter().any(|i| i == id);
        }
        self
    }

    /// The message of a refused form the page no longer shows.
    pub fn orphan_message(&self) -> Option<&str> {
        self.error.as_ref().filter(|_| self.orphan).map(|e| e.message.as_str())
    }

    /// The message for form `form` of `id`, if that is the one refused.
    pub fn error_for(&self, id: &str, form: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.id == id && e.form == form)
            .map(|e| e.message.as_str())
    }

    /// What form `form` of `id` shows: the refused values, or nothing typed.
    pub fn draft(&self, id: &str, form: &str) -> &ActivityForm {
        self.error
            .as_ref()
            .filter(|e| e.id == id && e.form == form)
            .map_or(&self.blank, |e| &e.draft)
    }
}

/// 10:00 of the next working day (Monday to Friday) in company time, for date-time inputs.
pub(super) fn next_working_morning(now: DateTime<Utc>) -> String {
    let mut day = company_date(now) + Duration::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    format!("{day}T10:00")
}

/// The next full hour if it falls in working hours today, else the next working morning:
/// when a call planned "now" from the start page happens.
pub(super) fn next_slot(now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&company_offset());
    let hour = local.hour() + 1;
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    if weekday && (9..=18).contains(&hour) {
        format!("{}T{hour:02}:00", local.date_naive())
    } else if weekday && hour < 9 {
        format!("{}T10:00", local.date_naive())
    } else {
        next_working_morning(now)
    }
}

// ---------------------------------------------------------------- where a form goes back to

/// The page an activity form was sent from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Back {
    Home,
    Plan {
        owner: Option<UserId>,
        date: Option<NaiveDate>,
    },
    Card(CounterpartyId),
}

impl Back {
    /// From the form's `back` path; anything unknown is the viewer's own week.
    pub fn parse(raw: &str) -> Back {
        let raw = raw.trim();
        if raw == "/" {
            return Back::Home;
        }
        if let Some(rest) = raw.strip_prefix("/clients/") {
            let id = rest.split(['#', '?', '/']).next().unwrap_or("");
            if let Ok(id) = parse_id::<CounterpartyId>("id", id) {
                return Back::Card(id);
            }
        }
        let (mut owner, mut date) = (None, None);
        if let Some(query) = raw.strip_prefix("/plan?") {
            for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
                match k {
                    "owner" => owner = parse_id::<UserId>("owner", v).ok(),
                    "date" => date = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok(),
                    _ => {}
                }
            }
        }
        Back::Plan { owner, date }
    }

    pub fn path(&self) -> String {
        match self {
            Back::Home => "/".to_owned(),
            Back::Card(id) => format!("/clients/{id}"),
            Back::Plan { owner, date } => week_path(*owner, *date),
        }
    }
}

/// The week page's address for an owner (absent: the viewer) and a day of the week.
pub(super) fn week_path(owner: Option<UserId>, date: Option<NaiveDate>) -> String {
    let mut q = Vec::new();
    if let Some(o) = owner {
        q.push(format!("owner={o}"));
    }
    if let Some(d) = date {
        q.push(format!("date={d}"));
    }
    if q.is_empty() {
        "/plan".to_owned()
    } else {
        format!("/plan?{}", q.join("&"))
    }
}

/// Shows the page a form came from again, with the form's error.
async fn show(state: &AppState, u: &PageUser, back: &Back, error: ActError) -> Response {
    match back {
        Back::Home => home::render(state, u, Some(error)).await,
        Back::Plan { owner, date } => week::render(state, u, *owner, *date, None, Some(error)).await,
        Back::Card(id) => super::clients::card_with_activity_error(state, u, *id, error).await,
    }
}

/// Field names as the plan's forms label them, for error messages.
pub(super) fn field_name(lang: Lang, field: &'static str) -> &'static str {
    let r = |a, b| ru(lang, a, b);
    match field {
        "counterparty_id" | "q" => r("Клиент", "Client"),
        "contact_id" => r("Контактное лицо", "Contact person"),
        "owner_id" => r("Исполнитель", "Performer"),
        "kind" => r("Вид", "Kind"),
        "subject" => r("Тема", "Subject"),
        "planned_at" => r("Дата и время", "Date and time"),
        "duration_min" => r("Минут", "Minutes"),
        "result" => r("Результат", "Result"),
        "next_kind" => r("Следующий шаг: вид", "Next step: kind"),
        "next_planned_at" => r("Следующий шаг: дата и время", "Next step: date and time"),
        "next_subject" => r("Следующий шаг: тема", "Next step: subject"),
        "count" => r("Сколько раз", "How many times"),
        "every_weeks" => r("Через сколько недель", "Every N weeks"),
        "contact_every_days" => r("Контакт раз в N дней", "Contact every N days"),
        "visit_every_days" => r("Визит раз в N дней", "Visit every N days"),
        "status" => r("Состояние", "Status"),
        "tier" => r("Категория", "Tier"),
        "deal_stage" => r("Стадия сделки", "Deal stage"),
        other => other,
    }
}

/// A field error in words, the field named as the form labels it. An error about the next
/// step says so even when its words do not name the field ("cannot be planned in the past").
pub(super) fn field_message(lang: Lang, e: FieldError) -> String {
    let next_step = e.field.starts_with("next_");
    let names_field = matches!(
        e.code,
        "required" | "too_long" | "invalid_number" | "out_of_range" | "negative" | "in_future"
    );
    let name = field_name(lang, e.field);
    let message = field_error_message(lang, &e.on(name));
    if next_step && !names_field {
        format!("{}: {message}", ru(lang, "Следующий шаг", "Next step"))
    } else {
        message
    }
}

/// The words for an error the app returned to a form, or the error itself when it is not
/// the form's (a record out of reach, an internal failure): see [`error_page`].
pub(super) fn form_message(lang: Lang, e: AppError) -> Result<String, AppError> {
    match e {
        AppError::Invalid(f) => Ok(field_message(lang, f)),
        e @ (AppError::Conflict { .. } | AppError::Forbidden | AppError::Duplicate { .. }) => {
            Ok(ApiError::from_app(lang, e).message)
        }
        e => Err(e),
    }
}

/// The page for an error that is not a form's: not found, or the error's own answer.
pub(super) fn error_page(u: &PageUser, e: AppError) -> Response {
    match e {
        AppError::NotFound => super::clients::not_found(u),
        e => page_error(u.lang, e),
    }
}

/// After a post: back to the page, or the page again with the error beside the form. A week
/// page follows an activity planned or moved to another week (`Ok(Some(start))`).
async fn finish(
    state: &AppState,
    u: &PageUser,
    f: ActivityForm,
    id: String,
    form: &'static str,
    result: Result<Option<DateTime<Utc>>, AppError>,
) -> Response {
    let back = Back::parse(&f.back);
    let e = match result {
        Ok(follow) => {
            let back = match (back, follow) {
                (Back::Plan { owner, .. }, Some(at)) => Back::Plan {
                    owner,
                    date: Some(company_date(at)),
                },
                (back, _) => back,
            };
            let anchor = if matches!(back, Back::Card(_)) {
                "#activities"
            } else {
                ""
            };
            return Redirect::to(&format!("{}{anchor}", back.path())).into_response();
        }
        Err(e) => e,
    };
    match form_message(u.lang, e) {
        Ok(message) => {
            let error = ActError {
                id,
                form,
                message,
                draft: f,
            };
            show(state, u, &back, error).await
        }
        Err(e) => error_page(u, e),
    }
}

// ---------------------------------------------------------------- the forms' handlers

fn some_text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn opt_id<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<Option<T>, FieldError> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| parse_id(field, raw)).transpose()
}

fn version_of(raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse()
        .map_err(|_| FieldError::new("version", "invalid_version"))
}

fn minutes_of(raw: &str) -> Result<Option<i32>, FieldError> {
    let raw = raw.trim();
    (!raw.is_empty())
        .then(|| {
            raw.parse()
                .map_err(|_| FieldError::new("duration_min", "invalid_number"))
        })
        .transpose()
}

fn moment(field: &'static str, raw: &str) -> Result<DateTime<Utc>, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    parse_moment(field, raw)
}

/// The client of a new activity: the id picked from the suggestions, or the one client the
/// typed text names (exactly, or as the only match).
async fn pick_client(state: &AppState, u: &PageUser, f: &ActivityForm) -> Result<CounterpartyId, AppError> {
    if let Some(id) = opt_id("counterparty_id", &f.counterparty_id)? {
        return Ok(id);
    }
    let typed = f.client.trim();
    if typed.is_empty() {
        return Err(FieldError::new("counterparty_id", "required").into());
    }
    let hits = state.app.search(&u.actor, typed, 20).await?;
    let mut clients: Vec<(uuid::Uuid, String)> = Vec::new();
    for h in hits {
        let name = h.counterparty_name.unwrap_or(h.name);
        if !clients.iter().any(|(id, _)| *id == h.counterparty_id) {
            clients.push((h.counterparty_id, name));
        }
    }
    let folded = typed.to_lowercase();
    let exact: Vec<_> = clients.iter().filter(|(_, n)| n.to_lowercase() == folded).collect();
    match (exact.as_slice(), clients.as_slice()) {
        ([(id, _)], _) | (_, [(id, _)]) => Ok(CounterpartyId::from_uuid(*id)),
        (_, []) => Err(FieldError::new("counterparty_id", "client_not_found").into()),
        (_, many) => Err(FieldError::new("counterparty_id", "client_ambiguous")
            .with("count", many.len().to_string())
            .into()),
    }
}

/// Plans an activity (the week's form, the card's form, the start page's "plan a call").
async fn create(State(state): State<AppState>, u: PageUser, Form(f): Form<ActivityForm>) -> Response {
    let lang = u.lang;
    // The start page's quick call is refused beside its client's row.
    let (id, form) = if f.origin == "call" {
        (f.counterparty_id.clone(), "call")
    } else {
        ("new".to_owned(), "new")
    };
    let result = async {
        let counterparty = pick_client(&state, &u, &f).await?;
        let kind = ActivityKind::parse(f.kind.trim())?;
        let input = ActivityInput {
            counterparty,
            contact: opt_id("contact_id", &f.contact_id)?,
            deal: None,
            owner: opt_id("owner_id", &f.owner_id)?,
            kind,
            // A plan without a subject is named after its kind ("Call").
            subject: some_text(&f.subject).unwrap_or_else(|| lang.label(kind.as_str()).to_owned()),
            planned_at: moment("planned_at", &f.planned_at)?,
            ends_at: None,
            duration_min: minutes_of(&f.duration_min)?,
            status: ActivityStatus::Planned,
            result: None,
        };
        state.app.create_activity(&u.actor, input).await
    }
    .await
    .map(|row| Some(row.planned_at));
    finish(&state, &u, f, id, form, result).await
}

/// Marks a planned activity done or not done, with the result and an optional next step.
async fn complete(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActivityForm>,
) -> Response {
    let lang = u.lang;
    let Ok(aid) = id.parse::<ActivityId>() else {
        return super::clients::not_found(&u);
    };
    let status = if f.status == "not_done" {
        ActivityStatus::NotDone
    } else {
        ActivityStatus::Done
    };
    let form = if f.origin == "not_done" { "not_done" } else { "done" };
    let result = async {
        let version = version_of(&f.version)?;
        let next = match f.next_kind.trim() {
            "" => None,
            k => {
                let kind = ActivityKind::parse(k).map_err(|e| e.on("next_kind"))?;
                Some(NextStep {
                    kind,
                    subject: some_text(&f.next_subject).unwrap_or_else(|| lang.label(kind.as_str()).to_owned()),
                    planned_at: moment("next_planned_at", &f.next_at)?,
                    duration_min: None,
                })
            }
        };
        let c = Completion {
            status,
            result: some_text(&f.result),
            next,
        };
        state.app.complete_activity(&u.actor, aid, version, c).await
    }
    .await
    .map(|_| None);
    finish(&state, &u, f, id, form, result).await
}

/// Moves a planned activity to another date and time (the week view's drag does the same
/// through the API; this is the form for keyboards and browsers without scripts).
async fn move_to(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActivityForm>,
) -> Response {
    let Ok(aid) = id.parse::<ActivityId>() else {
        return super::clients::not_found(&u);
    };
    let result = async {
        let version = version_of(&f.version)?;
        let patch = ActivityPatch {
            planned_at: Some(moment("planned_at", &f.planned_at)?),
            ..Default::default()
        };
        state.app.update_activity(&u.actor, aid, version, patch).await
    }
    .await
    .map(|row| Some(row.planned_at));
    finish(&state, &u, f, id, "move", result).await
}

/// Repeats a planned activity every week, `count` more times.
async fn repeat(
    State(state): State<AppState>,
    u: PageUser,
    Path(id): Path<String>,
    Form(f): Form<ActivityForm>,
) -> Response {
    let Ok(aid) = id.parse::<ActivityId>() else {
        return super::clients::not_found(&u);
    };
    let result = async {
        let count = f
            .count
            .trim()
            .parse::<u32>()
            .map_err(|_| FieldError::new("count", "invalid_number"))?;
        state.app.repeat_activity(&u.actor, aid, 1, count).await
    }
    .await
    .map(|_| None);
    finish(&state, &u, f, id, "repeat", result).await
}

/// Russian month names in the genitive ("23 ноября") and English ones.
pub(super) fn month_name(lang: Lang, month: u32) -> &'static str {
    const RU: [&str; 12] = [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let i = (month.clamp(1, 12) - 1) as usize;
    if lang == Lang::Ru { RU[i] } else { EN[i] }
}

/// Short weekday names, Monday first.
pub(super) fn weekday_short(lang: Lang, day: NaiveDate) -> &'static str {
    const RU: [&str; 7] = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = day.weekday().num_days_from_monday() as usize;
    if lang == Lang::Ru { RU[i] } else { EN[i] }
}

/// The instant the company day `date` ends (the next one starts).
pub(super) fn day_end(date: NaiveDate) -> DateTime<Utc> {
    day_start(date + Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_form_goes_back_to_the_page_it_came_from() {
        assert_eq!(Back::parse("/"), Back::Home);
        let card = "/clients/0190a000-0000-7000-8000-000000000001";
        assert!(matches!(Back::parse(card), Back::Card(_)));
        assert_eq!(Back::parse(card).path(), card);
        let plan = "/plan?owner=0190a000-0000-7000-8000-000000000002&date=2026-11-30";
        assert_eq!(Back::parse(plan).path(), plan);
        assert_eq!(Back::parse("https://evil.example/").path(), "/plan");
        assert_eq!(Back::parse("/plan?date=junk").path(), "/plan");
    }

    #[test]
    fn errors_name_the_forms_fields_and_the_next_step() {
        let e = FieldError::new("subject", "required");
        assert_eq!(field_message(Lang::Ru, e), "Поле «Тема» обязательно");
        let e = FieldError::new("next_planned_at", "planned_in_past");
        assert!(field_message(Lang::En, e).starts_with("Next step: An activity cannot be planned in the past"));
    }

    #[test]
    fn default_times_skip_evenings_and_weekends() {
        // Friday 27 November 2026, 19:04 UTC = 22:04 in Moscow: Monday morning.
        assert_eq!(next_slot(at("2026-11-27T19:04:00Z")), "2026-11-30T10:00");
        assert_eq!(next_working_morning(at("2026-11-27T19:04:00Z")), "2026-11-30T10:00");
        // Thursday 11:20 in Moscow: noon the same day.
        assert_eq!(next_slot(at("2026-11-26T08:20:00Z")), "2026-11-26T12:00");
        // Thursday 06:30 in Moscow: 10:00 the same day.
        assert_eq!(next_slot(at("2026-11-26T03:30:00Z")), "2026-11-26T10:00");
    }

    #[test]
    fn the_bar_splits_the_plan_by_outcome() {
        let p = PlanVsDone {
            planned: 10,
            done: 5,
            not_done: 1,
            overdue: 2,
        };
        let v = PvdView::new(Lang::En, p);
        assert_eq!(v.ahead, 2);
        let widths: Vec<&str> = v.bars.iter().map(|b| b.2.as_str()).collect();
        assert_eq!(widths, ["50.00", "10.00", "20.00", "20.00"]);
        assert_eq!(v.bars[3].1, "80.00");
        assert!(PvdView::new(Lang::Ru, PlanVsDone::default()).bars.is_empty());
    }
}
