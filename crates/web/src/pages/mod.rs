//! Server-rendered HTML pages. Handlers only translate between HTTP and the app's services;
//! what a user may see is decided by the app.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path, State};
use axum::http::header::{REFERER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use prospekt_app::{Actor, AppError};
use serde::Deserialize;

use crate::AppState;
use crate::api::session::{clear_session_cookie, session_cookie};
use crate::extract::{Caller, LANG_COOKIE, ReqLang};
use crate::i18n::{Lang, Strings};

/// A page template gets the shell (`t`, `lang`, navigation) through `Deref` and its own data as `x`.
macro_rules! page {
    ($name:ident, $path:literal, $data:ty) => {
        #[derive(Template, WebTemplate)]
        #[template(path = $path)]
        struct $name {
            shell: Shell,
            x: $data,
        }
        impl std::ops::Deref for $name {
            type Target = Shell;
            fn deref(&self) -> &Shell {
                &self.shell
            }
        }
    };
}

mod clients;
mod deals;
pub(crate) mod orders;
mod plan;
mod search;
mod security;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(security::router())
        .merge(clients::router())
        .merge(plan::router())
        .merge(deals::router())
        .merge(orders::router())
        .merge(search::router())
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
}

/// Picks the Russian or English text of a page label.
fn ru(lang: Lang, r: &'static str, e: &'static str) -> &'static str {
    if lang == Lang::Ru { r } else { e }
}

/// Capabilities of SPEC.md not yet open, shown greyed in the navigation: (group, label).
fn nav_pending(lang: Lang) -> Vec<(&'static str, &'static str)> {
    let ru = lang == Lang::Ru;
    let l = |r: &'static str, e: &'static str| if ru { r } else { e };
    vec![
        ("work", l("C3 · Кампании", "C3 · Campaigns")),
        ("work", l("C4 · Мероприятия", "C4 · Events")),
        ("sales", l("C7 · Договоры", "C7 · Contracts")),
        ("money", l("C5 · Надёжность", "C5 · Reliability")),
        ("analysis", l("C2 · Анализ аудитории", "C2 · Audience analysis")),
        ("analysis", l("C13 · Конкуренты", "C13 · Competitors")),
        ("analysis", l("C14 · План и KPI", "C14 · Plans and KPI")),
        ("analysis", l("C16 · Отчёты", "C16 · Reports")),
        ("analysis", l("C17 · Обмен данными", "C17 · Data exchange")),
    ]
}

/// A signed-in user of the HTML interface; anyone else is sent to the login page.
pub struct PageUser {
    actor: Actor,
    lang: Lang,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match <Caller as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(Some(c)) => Ok(PageUser {
                actor: c.actor,
                lang: c.lang,
            }),
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}

/// What every page of the shell needs.
struct Shell {
    t: &'static Strings,
    lang: Lang,
    user_name: String,
    role: &'static str,
    active: &'static str,
    nav_pending: Vec<(&'static str, &'static str)>,
    /// Show the audit log link (the app decides access; this only avoids a dead link).
    can_audit: bool,
    /// Show the contact-frequency rules among the settings (heads, directors, administrators).
    can_rules: bool,
}

impl Shell {
    fn new(u: &PageUser, active: &'static str) -> Self {
        Shell {
            t: u.lang.strings(),
            lang: u.lang,
            user_name: u.actor.display_name.clone(),
            role: u.actor.role.as_str(),
            active,
            nav_pending: nav_pending(u.lang),
            can_audit: prospekt_app::policy::may_read_audit(u.actor.role),
            can_rules: matches!(
                u.actor.role,
                prospekt_domain::Role::HeadOfDepartment
                    | prospekt_domain::Role::CommercialDirector
                    | prospekt_domain::Role::Administrator
            ),
        }
    }
}

fn page_error(lang: Lang, e: AppError) -> Response {
    crate::error::ApiError::from_app(lang, e).into_response()
}

/// The start page: the user's day (see `plan::home`).
async fn home(State(state): State<AppState>, u: PageUser) -> Response {
    plan::render_home(&state, &u, None).await
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    t: &'static Strings,
    lang: Lang,
    error: Option<&'static str>,
    login: String,
}

async fn login_form(ReqLang(lang): ReqLang, user: Option<Caller>) -> Response {
    if user.is_some() {
        return Redirect::to("/").into_response();
    }
    LoginPage {
        t: lang.strings(),
        lang,
        error: None,
        login: String::new(),
    }
    .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    crate::extract::PeerIp(ip): crate::extract::PeerIp,
    Form(f): Form<LoginForm>,
) -> Response {
    match state.app.login(&f.login, &f.password, ip.as_deref()).await {
        Ok((_, secret)) => (
            AppendHeaders([(SET_COOKIE, session_cookie(&state, &secret))]),
            Redirect::to("/"),
        )
            .into_response(),
        Err(AppError::BadCredentials) => (
            StatusCode::UNAUTHORIZED,
            LoginPage {
                t: lang.strings(),
                lang,
                error: Some(lang.strings().bad_credentials),
                login: f.login,
            },
        )
            .into_response(),
        Err(e) => page_error(lang, e),
    }
}

async fn logout(State(state): State<AppState>, caller: Option<Caller>) -> Response {
    if let Some(caller) = &caller
        && let Some(secret) = &caller.session
        && let Err(e) = state.app.logout(secret).await
    {
        return page_error(caller.lang, e);
    }
    (
        AppendHeaders([(SET_COOKIE, clear_session_cookie())]),
        Redirect::to("/login"),
    )
        .into_response()
}

/// Switches the interface language and returns to the page the user came from.
async fn set_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::Ru);
    // Only same-site paths are followed back, never an absolute URL from the Referer.
    let back = headers
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or("/")
        .to_owned();
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code());
    (AppendHeaders([(SET_COOKIE, cookie)]), Redirect::to(&back)).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    shell: Shell,
}

impl std::ops::Deref for NotFoundPage {
    type Target = Shell;
    fn deref(&self) -> &Shell {
        &self.shell
    }
}
