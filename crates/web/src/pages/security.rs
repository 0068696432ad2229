//! Pages of the security issue: the audit log, absences and substitutes, personal settings
//! (password, API tokens) and the user directory. Every decision is the app's; these handlers
//! turn forms into calls and results into HTML.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospekt_app::AppError;
use prospekt_app::absences::NewAbsenceInput;
use prospekt_app::users::NewUserInput;
use prospekt_domain::Role;
use prospekt_domain::absence::{AbsenceKind, Period, parse_date};
use prospekt_domain::ids::{DepartmentId, TokenId, UserId};
use serde::Deserialize;

use super::{PageUser, Shell, ru};
use crate::AppState;
use crate::api::audit::{AuditParams, audit_cursor};
use crate::api::counterparties::parse_id;
use crate::error::ApiError;
use crate::i18n::{Lang, field_error_message};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(audit_page))
        .route("/absences", get(absences_page).post(absences_create))
        .route("/absences/{id}/delete", post(absences_delete))
        .route("/settings", get(settings_page))
        .route("/settings/password", post(settings_password))
        .route("/settings/tokens", post(settings_token_create))
        .route("/settings/tokens/{id}/revoke", post(settings_token_revoke))
        .route("/settings/calendar-feed", post(settings_feed_create))
        .route("/settings/calendar-feed/revoke", post(settings_feed_revoke))
        .route("/users", get(users_page).post(users_create))
}

/// The message to show in a form for an application error.
fn form_error(lang: Lang, e: AppError) -> Result<String, ApiError> {
    match e {
        AppError::Invalid(f) => Ok(field_error_message(lang, &f)),
        AppError::Internal(_) => Err(ApiError::from_app(lang, e)),
        other => Ok(ApiError::from_app(lang, other).message),
    }
}

// ---------------------------------------------------------------- audit log

struct AuditRowView {
    at: String,
    actor: String,
    on_behalf_of: String,
    action: String,
    entity: String,
    entity_id: String,
    changes: String,
}

struct AuditData {
    title: &'static str,
    l_entity: &'static str,
    l_action: &'static str,
    l_from: &'static str,
    l_to: &'static str,
    l_at: &'static str,
    l_who: &'static str,
    l_changes: &'static str,
    l_on_behalf: &'static str,
    l_older: &'static str,
    actions: Vec<&'static str>,
    entity: String,
    action: String,
    from: String,
    to: String,
    error: Option<String>,
    rows: Vec<AuditRowView>,
    next: Option<String>,
}

page!(AuditTpl, "audit.html", AuditData);

async fn audit_page(State(state): State<AppState>, u: PageUser, Query(p): Query<AuditParams>) -> Response {
    let lang = u.lang;
    let mut error = None;
    let mut rows = Vec::new();
    let mut next = None;
    match p.to_filter() {
        Err(e) => error = Some(field_error_message(lang, &e)),
        Ok(filter) => match state.app.audit_log(&u.actor, &filter).await {
            Ok(found) => {
                if found.len() as i64 == filter.limit
                    && let Some(last) = found.last()
                {
                    let keep = |k: &str, v: &Option<String>| {
                        v.as_deref().filter(|s| !s.is_empty()).map(|v| format!("{k}={v}&"))
                    };
                    let q: String = [
                        keep("entity", &p.entity),
                        keep("action", &p.action),
                        keep("from", &p.from),
                        keep("to", &p.to),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    next = Some(format!("{q}cursor={}", audit_cursor(last)));
                }
                rows = found
                    .into_iter()
                    .map(|r| AuditRowView {
                        at: r.at.format("%d.%m.%Y %H:%M:%S").to_string(),
                        actor: r.actor_name.unwrap_or_else(|| ru(lang, "система", "system").to_owned()),
                        on_behalf_of: r.on_behalf_of_name.unwrap_or_default(),
                        action: r.action,
                        entity: r.entity,
                        entity_id: r.entity_id.map(|i| i.to_string()).unwrap_or_default(),
                        changes: if r.changes == "{}" { String::new() } else { r.changes },
                    })
                    .collect();
            }
            Err(AppError::Forbidden) => return forbidden(&u),
            Err(e) => return ApiError::from_app(lang, e).into_response(),
        },
    }
    AuditTpl {
        shell: Shell::new(&u, "audit"),
        x: AuditData {
            title: ru(lang, "Журнал аудита", "Audit log"),
            l_entity: ru(lang, "Объект", "Entity"),
            l_action: ru(lang, "Действие", "Action"),
            l_from: ru(lang, "С", "From"),
            l_to: ru(lang, "По", "To"),
            l_at: ru(lang, "Время (UTC)", "Time (UTC)"),
            l_who: ru(lang, "Кто", "Who"),
            l_changes: ru(lang, "Изменения: было → стало", "Changes: before → after"),
            l_on_behalf: ru(lang, "за", "for"),
            l_older: ru(lang, "Раньше →", "Older →"),
            actions: vec![
                "create",
                "update",
                "delete",
                "export",
                "login",
                "login_failed",
                "login_throttled",
                "denied",
                "token_issue",
                "token_revoke",
                "password_change",
                "password_reset",
            ],
            entity: p.entity.unwrap_or_default(),
            action: p.action.unwrap_or_default(),
            from: p.from.unwrap_or_default(),
            to: p.to.unwrap_or_default(),
            error,
            rows,
            next,
        },
    }
    .into_response()
}

fn forbidden(u: &PageUser) -> Response {
    let e = ApiError::from_app(u.lang, AppError::Forbidden);
    (StatusCode::FORBIDDEN, e.message).into_response()
}

// ---------------------------------------------------------------- absences

struct AbsenceView {
    id: String,
    user: String,
    substitute: String,
    kind: &'static str,
    starts_on: String,
    ends_on: String,
    note: String,
    current: bool,
}

struct AbsencesData {
    title: &'static str,
    l_absent: &'static str,
    l_substitute: &'static str,
    l_kind: &'static str,
    l_from: &'static str,
    l_to: &'static str,
    l_note: &'static str,
    l_add: &'static str,
    l_cancel: &'static str,
    can_manage: bool,
    people: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<AbsenceView>,
    error: Option<String>,
}

page!(AbsencesTpl, "absences.html", AbsencesData);

fn kind_label(lang: Lang, k: &str) -> &'static str {
    match k {
        "leave" => ru(lang, "Отпуск", "Leave"),
        "sick_leave" => ru(lang, "Больничный", "Sick leave"),
        "business_trip" => ru(lang, "Командировка", "Business trip"),
        _ => ru(lang, "Другое", "Other"),
    }
}

async fn render_absences(state: &AppState, u: &PageUser, error: Option<String>, status: StatusCode) -> Response {
    let lang = u.lang;
    let today = prospekt_app::access::company_today();
    let rows = match state.app.absences(&u.actor, today).await {
        Ok(r) => r,
        Err(e) => return ApiError::from_app(lang, e).into_response(),
    };
    let people = match state.app.users(&u.actor).await {
        Ok(p) => p
            .into_iter()
            .filter(|p| p.is_active)
            .map(|p| (p.id.to_string(), p.display_name))
            .collect(),
        Err(e) => return ApiError::from_app(lang, e).into_response(),
    };
    let can_manage = matches!(
        u.actor.role,
        Role::Administrator | Role::CommercialDirector | Role::HeadOfDepartment
    );
    let rows = rows
        .into_iter()
        .map(|a| AbsenceView {
            id: a.id.to_string(),
            user: a.user_name,
            substitute: a.substitute_name,
            kind: kind_label(lang, &a.kind),
            starts_on: a.starts_on.format("%d.%m.%Y").to_string(),
            ends_on: a.ends_on.format("%d.%m.%Y").to_string(),
            note: a.note.unwrap_or_default(),
            current: a.starts_on <= today && today <= a.ends_on,
        })
        .collect();
    let page = AbsencesTpl {
        shell: Shell::new(u, "absences"),
        x: AbsencesData {
            title: ru(lang, "Замещение на время отсутствия", "Absences and substitutes"),
            l_absent: ru(lang, "Отсутствует", "Away"),
            l_substitute: ru(lang, "Замещает", "Stands in"),
            l_kind: ru(lang, "Причина", "Reason"),
            l_from: ru(lang, "С", "From"),
            l_to: ru(lang, "По", "To"),
            l_note: ru(lang, "Комментарий", "Note"),
            l_add: ru(lang, "Назначить", "Assign"),
            l_cancel: ru(lang, "Отменить", "Cancel"),
            can_manage,
            people,
            kinds: AbsenceKind::ALL
                .iter()
                .map(|k| (k.as_str(), kind_label(lang, k.as_str())))
                .collect(),
            rows,
            error,
        },
    };
    (status, page).into_response()
}

async fn absences_page(State(state): State<AppState>, u: PageUser) -> Response {
    render_absences(&state, &u, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct AbsenceForm {
    user_id: String,
    substitute_id: String,
    kind: String,
    starts_on: String,
    ends_on: String,
    note: Option<String>,
}

async fn absences_create(State(state): State<AppState>, u: PageUser, Form(f): Form<AbsenceForm>) -> Response {
    let lang = u.lang;
    let parsed = (|| {
        let user: UserId = parse_id("user_id", &f.user_id)?;
        let substitute: UserId = parse_id("substitute_id", &f.substitute_id)?;
        let kind = AbsenceKind::parse(&f.kind)?;
        let period = Period::new(
            parse_date("starts_on", &f.starts_on)?,
            parse_date("ends_on", &f.ends_on)?,
        )?;
        Ok::<_, prospekt_domain::FieldError>((user, substitute, kind, period))
    })();
    let result = match parsed {
        Err(e) => Err(AppError::Invalid(e)),
        Ok((user, substitute, kind, period)) => {
            let note = f.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            state
                .app
                .create_absence(
                    &u.actor,
                    &NewAbsenceInput {
                        user,
                        substitute,
                        kind,
                        period,
                        note,
                    },
                )
                .await
                .map(|_| ())
        }
    };
    match result {
        Ok(()) => Redirect::to("/absences").into_response(),
        Err(e) => match form_error(lang, e) {
            Ok(msg) => render_absences(&state, &u, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(e) => e.into_response(),
        },
    }
}

async fn absences_delete(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    let result = match parse_id::<uuid::Uuid>("id", &id) {
        Ok(id) => state.app.delete_absence(&u.actor, id).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Redirect::to("/absences").into_response(),
        Err(e) => match form_error(u.lang, e) {
            Ok(msg) => render_absences(&state, &u, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await,
            Err(e) => e.into_response(),
        },
    }
}

// ---------------------------------------------------------------- settings

struct TokenView {
    id: String,
    name: String,
    created: String,
    state: &'static str,
    active: bool,
}

struct SettingsData {
    title: &'static str,
    l_password: &'static str,
    l_current: &'static str,
    l_new: &'static str,
    l_change: &'static str,
    l_tokens: &'static str,
    l_token_name: &'static str,
    l_token_once: &'static str,
    l_create: &'static str,
    l_created: &'static str,
    l_state: &'static str,
    l_revoke: &'static str,
    notice: Option<&'static str>,
    error: Option<String>,
    new_token: Option<String>,
    tokens: Vec<TokenView>,
    /// When the live calendar feed was created (Moscow time), if there is one.
    feed_since: Option<String>,
    /// The feed's address, right after it was created (shown once).
    feed_url: Option<String>,
    l_feed: &'static str,
    l_feed_about: &'static str,
    l_feed_on: &'static str,
    l_feed_off: &'static str,
    l_feed_create: &'static str,
    l_feed_replace: &'static str,
    l_feed_revoke: &'static str,
    l_feed_once: &'static str,
    l_copy: &'static str,
    l_copied: &'static str,
    l_iphone: &'static str,
    l_android: &'static str,
}

page!(SettingsTpl, "settings.html", SettingsData);

/// What the settings page shows beyond its stored state: an error, a secret shown once.
#[derive(Default)]
struct SettingsExtra {
    error: Option<String>,
    new_token: Option<String>,
    feed_url: Option<String>,
    notice: Option<&'static str>,
}

async fn render_settings(state: &AppState, u: &PageUser, extra: SettingsExtra) -> Response {
    let lang = u.lang;
    let now = chrono::Utc::now();
    let SettingsExtra {
        error,
        new_token,
        feed_url,
        notice,
    } = extra;
    let (tokens, feed) = match (
        state.app.my_tokens(&u.actor).await,
        state.app.calendar_feed_status(&u.actor).await,
    ) {
        (Ok(t), Ok(f)) => (t, f),
        (Err(e), _) | (_, Err(e)) => return ApiError::from_app(lang, e).into_response(),
    };
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let (state, active) = if t.revoked_at.is_some() {
                (ru(lang, "отозван", "revoked"), false)
            } else if t.expires_at.is_some_and(|e| e <= now) {
                (ru(lang, "истёк", "expired"), false)
            } else {
                (ru(lang, "действует", "active"), true)
            };
            TokenView {
                id: t.id.to_string(),
                name: t.name,
                created: t.created_at.format("%d.%m.%Y %H:%M").to_string(),
                state,
                active,
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = SettingsTpl {
        shell: Shell::new(u, "settings"),
        x: SettingsData {
            title: ru(lang, "Настройки", "Settings"),
            l_password: ru(lang, "Смена пароля", "Change password"),
            l_current: ru(lang, "Текущий пароль", "Current password"),
            l_new: ru(
                lang,
                "Новый пароль (не короче 8 символов)",
                "New password (at least 8 characters)",
            ),
            l_change: ru(lang, "Сменить пароль", "Change password"),
            l_tokens: ru(lang, "Токены API", "API tokens"),
            l_token_name: ru(lang, "Название", "Name"),
            l_token_once: ru(
                lang,
                "Новый токен показан один раз — сохраните его сейчас:",
                "The new token is shown once; store it now:",
            ),
            l_create: ru(lang, "Создать токен", "Create token"),
            l_created: ru(lang, "Создан", "Created"),
            l_state: ru(lang, "Состояние", "State"),
            l_revoke: ru(lang, "Отозвать", "Revoke"),
            notice,
            error,
            new_token,
            tokens,
            feed_since: feed.map(|t| {
                t.with_timezone(&prospekt_domain::activity::company_offset())
                    .format("%d.%m.%Y %H:%M")
                    .to_string()
            }),
            feed_url,
            l_feed: ru(lang, "Календарь на телефоне", "Calendar on your phone"),
            l_feed_about: ru(
                lang,
                "Ваш план контактов (месяц назад и полгода вперёд) в календаре телефона: календарь сам обновляет его по секретной ссылке.",
                "Your contact plan (a month back, half a year ahead) in your phone's calendar, which refreshes it from a secret link.",
            ),
            l_feed_on: ru(lang, "Подключён с", "Connected since"),
            l_feed_off: ru(lang, "Не подключён.", "Not connected."),
            l_feed_create: ru(lang, "Подключить календарь", "Connect a calendar"),
            l_feed_replace: ru(lang, "Выдать новую ссылку", "Issue a new link"),
            l_feed_revoke: ru(lang, "Отключить", "Disconnect"),
            l_feed_once: ru(
                lang,
                "Ссылка показана один раз — добавьте её в календарь сейчас. Не пересылайте её: по ней виден ваш план. Старая ссылка больше не работает.",
                "The link is shown once; add it to your calendar now. Do not share it: it shows your plan. Any previous link stops working.",
            ),
            l_copy: ru(lang, "Копировать", "Copy"),
            l_copied: ru(lang, "Скопировано", "Copied"),
            l_iphone: ru(
                lang,
                "iPhone: Настройки → Календарь → Учётные записи → Добавить учётную запись → Другое → Подписной календарь, вставьте ссылку.",
                "iPhone: Settings → Calendar → Accounts → Add Account → Other → Add Subscribed Calendar, paste the link.",
            ),
            l_android: ru(
                lang,
                "Android: откройте Google Календарь в браузере компьютера → «Другие календари» → «+» → «Добавить по URL», вставьте ссылку; на телефоне он появится сам.",
                "Android: open Google Calendar on the web → Other calendars → + → From URL, paste the link; it then appears on the phone.",
            ),
        },
    };
    (status, page).into_response()
}

async fn settings_page(State(state): State<AppState>, u: PageUser) -> Response {
    render_settings(&state, &u, SettingsExtra::default()).await
}

/// The settings page with a form's error.
async fn settings_error(state: &AppState, u: &PageUser, e: AppError) -> Response {
    match form_error(u.lang, e) {
        Ok(msg) => {
            let extra = SettingsExtra {
                error: Some(msg),
                ..Default::default()
            };
            render_settings(state, u, extra).await
        }
        Err(e) => e.into_response(),
    }
}

/// Issues a calendar-feed link (replacing any previous one) and shows it once.
async fn settings_feed_create(State(state): State<AppState>, u: PageUser, headers: axum::http::HeaderMap) -> Response {
    match state.app.create_calendar_feed(&u.actor).await {
        Ok(secret) => {
            let extra = SettingsExtra {
                feed_url: Some(crate::api::plan::feed_url(&headers, &secret)),
                ..Default::default()
            };
            render_settings(&state, &u, extra).await
        }
        Err(e) => settings_error(&state, &u, e).await,
    }
}

/// Revokes the calendar feed: its link answers "not found" from now on.
async fn settings_feed_revoke(State(state): State<AppState>, u: PageUser) -> Response {
    match state.app.revoke_calendar_feed(&u.actor).await {
        Ok(_) => {
            let extra = SettingsExtra {
                notice: Some(ru(u.lang, "Календарь отключён.", "The calendar is disconnected.")),
                ..Default::default()
            };
            render_settings(&state, &u, extra).await
        }
        Err(e) => settings_error(&state, &u, e).await,
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn settings_password(State(state): State<AppState>, u: PageUser, Form(f): Form<PasswordForm>) -> Response {
    match state
        .app
        .change_password(&u.actor, &f.current_password, &f.new_password)
        .await
    {
        // Every session ended, this one too: sign in again with the new password.
        Ok(()) => (
            AppendHeaders([(SET_COOKIE, crate::api::session::clear_session_cookie())]),
            Redirect::to("/login"),
        )
            .into_response(),
        Err(e) => settings_error(&state, &u, e).await,
    }
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
}

async fn settings_token_create(State(state): State<AppState>, u: PageUser, Form(f): Form<TokenForm>) -> Response {
    match state.app.issue_my_token(&u.actor, &f.name, None).await {
        Ok(t) => {
            let extra = SettingsExtra {
                new_token: Some(t.secret),
                ..Default::default()
            };
            render_settings(&state, &u, extra).await
        }
        Err(e) => settings_error(&state, &u, e).await,
    }
}

async fn settings_token_revoke(State(state): State<AppState>, u: PageUser, Path(id): Path<String>) -> Response {
    let result = match parse_id::<TokenId>("id", &id) {
        Ok(id) => state.app.revoke_token(&u.actor, id).await,
        Err(e) => Err(AppError::Invalid(e)),
    };
    match result {
        Ok(()) => Redirect::to("/settings").into_response(),
        Err(e) => settings_error(&state, &u, e).await,
    }
}

// ---------------------------------------------------------------- users

struct UserView {
    name: String,
    login: String,
    role: String,
    department: String,
    active: bool,
}

struct UsersData {
    title: &'static str,
    l_name: &'static str,
    l_department: &'static str,
    l_active: &'static str,
    l_add: &'static str,
    can_admin: bool,
    roles: Vec<(&'static str, String)>,
    departments: Vec<(String, String)>,
    rows: Vec<UserView>,
    error: Option<String>,
}

page!(UsersTpl, "users.html", UsersData);

async fn render_users(state: &AppState, u: &PageUser, error: Option<String>) -> Response {
    let lang = u.lang;
    let (users, departments) = match (state.app.users(&u.actor).await, state.app.departments(&u.actor).await) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return ApiError::from_app(lang, e).into_response(),
    };
    let dept_name = |id: Option<uuid::Uuid>| {
        id.and_then(|id| departments.iter().find(|d| d.id == id))
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let rows = users
        .into_iter()
        .map(|r| UserView {
            department: dept_name(r.department_id),
            role: lang.label(&r.role).to_owned(),
            name: r.display_name,
            login: r.login,
            active: r.is_active,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = UsersTpl {
        shell: Shell::new(u, "users"),
        x: UsersData {
            title: ru(lang, "Пользователи", "Users"),
            l_name: ru(lang, "Имя", "Name"),
            l_department: ru(lang, "Отдел", "Department"),
            l_active: ru(lang, "Активен", "Active"),
            l_add: ru(lang, "Добавить", "Add"),
            can_admin: u.actor.role == Role::Administrator,
            roles: Role::ALL
                .iter()
                .map(|r| (r.as_str(), lang.label(r.as_str()).to_owned()))
                .collect(),
            departments: departments.iter().map(|d| (d.id.to_string(), d.name.clone())).collect(),
            rows,
            error,
        },
    };
    (status, page).into_response()
}

async fn users_page(State(state): State<AppState>, u: PageUser) -> Response {
    render_users(&state, &u, None).await
}

#[derive(Deserialize)]
struct UserForm {
    login: String,
    display_name: String,
    role: String,
    department_id: Option<String>,
    password: String,
}

async fn users_create(State(state): State<AppState>, u: PageUser, Form(f): Form<UserForm>) -> Response {
    let parsed = (|| {
        let role: Role = f.role.parse()?;
        let dept = f
            .department_id
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(|d| parse_id::<DepartmentId>("department_id", d))
            .transpose()?;
        Ok::<_, prospekt_domain::FieldError>((role, dept))
    })();
    let result = match parsed {
        Err(e) => Err(AppError::Invalid(e)),
        Ok((role, department_id)) => state
            .app
            .create_user(
                &u.actor,
                &NewUserInput {
                    login: &f.login,
                    display_name: &f.display_name,
                    email: None,
                    role,
                    department_id,
                    password: &f.password,
                },
            )
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => Redirect::to("/users").into_response(),
        Err(e) => match form_error(u.lang, e) {
            Ok(msg) => render_users(&state, &u, Some(msg)).await,
            Err(e) => e.into_response(),
        },
    }
}
