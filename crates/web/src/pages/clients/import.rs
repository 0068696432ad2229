//! `/clients/import`: upload a CSV/XLSX file, see what would happen (dry run), adjust the
//! column mapping, import, and download the per-row error report.
//!
//! With htmx the form posts in place (the chosen file stays selected, so "check", "import"
//! and a changed mapping re-send it); without JavaScript it posts as a normal form.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use prospekt_app::AppError;
use prospekt_app::import::ImportRequest;
use prospekt_domain::import::ImportField;

use super::super::{PageUser, Shell, page_error, ru};
use super::{field_label, status_for};
use crate::AppState;
use crate::api::transfer::{problems_csv, read_upload};
use crate::i18n::field_error_message;

pub fn router() -> Router<AppState> {
    Router::new().route("/clients/import", get(form).post(submit))
}

/// Problems shown on the page; the downloadable report has them all.
const SHOWN_PROBLEMS: usize = 200;

struct Outcome {
    dry_run: bool,
    format: String,
    rows: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
    /// (line, field, message)
    problems: Vec<(usize, String, String)>,
    more_problems: usize,
    /// (header, mapped field or "")
    columns: Vec<(String, String)>,
    report_href: Option<String>,
}

struct ImportData {
    title: &'static str,
    l_file: &'static str,
    l_hint: &'static str,
    l_check: &'static str,
    l_import: &'static str,
    l_mapping: &'static str,
    l_column: &'static str,
    l_field: &'static str,
    l_ignore: &'static str,
    l_rows: &'static str,
    l_created: &'static str,
    l_updated: &'static str,
    l_unchanged: &'static str,
    l_rejected: &'static str,
    l_line: &'static str,
    l_problem: &'static str,
    l_report: &'static str,
    l_dry: &'static str,
    l_done: &'static str,
    l_more: &'static str,
    /// (field, label)
    fields: Vec<(&'static str, String)>,
    error: Option<String>,
    outcome: Option<Outcome>,
    partial: bool,
}

page!(ImportPage, "client_import.html", ImportData);

fn data(u: &PageUser) -> ImportData {
    let l = |r, e| ru(u.lang, r, e);
    ImportData {
        title: l("Импорт клиентов", "Import clients"),
        l_file: l("Файл CSV или XLSX", "CSV or XLSX file"),
        l_hint: l(
            "Строки сопоставляются с базой по внешнему коду, иначе по ИНН и КПП: найденные обновляются, остальные создаются. Пустые ячейки ничего не стирают; повторный импорт того же файла ничего не меняет.",
            "Rows match the base by external ID, else by INN and KPP: matches are updated, the rest created. Empty cells erase nothing; importing the same file again changes nothing.",
        ),
        l_check: l("Проверить", "Check"),
        l_import: l("Импортировать", "Import"),
        l_mapping: l("Столбцы файла", "File columns"),
        l_column: l("Столбец", "Column"),
        l_field: l("Поле", "Field"),
        l_ignore: l("— не загружать —", "— skip —"),
        l_rows: l("Строк", "Rows"),
        l_created: l("Будут созданы / созданы", "To create / created"),
        l_updated: l("Обновятся / обновлены", "To update / updated"),
        l_unchanged: l("Без изменений", "Unchanged"),
        l_rejected: l("Отклонены", "Rejected"),
        l_line: l("Строка", "Line"),
        l_problem: l("Ошибка", "Problem"),
        l_report: l("Скачать отчёт об ошибках (CSV)", "Download the error report (CSV)"),
        l_dry: l("Проверка: ничего не записано.", "Check only: nothing was written."),
        l_done: l("Импорт выполнен.", "Import done."),
        l_more: l("ещё ошибок — в отчёте", "more problems — see the report"),
        fields: ImportField::ALL
            .iter()
            .map(|f| (f.as_str(), field_label(u.lang, f.as_str()).to_owned()))
            .collect(),
        error: None,
        outcome: None,
        partial: false,
    }
}

async fn form(u: PageUser) -> Response {
    ImportPage {
        shell: Shell::new(&u, "clients"),
        x: data(&u),
    }
    .into_response()
}

async fn submit(
    State(state): State<AppState>,
    u: PageUser,
    headers: axum::http::HeaderMap,
    form: Multipart,
) -> Response {
    let lang = u.lang;
    let mut x = data(&u);
    x.partial = headers.contains_key("HX-Request");
    let up = match read_upload(form).await {
        Ok(up) => up,
        Err(e) => {
            x.error = Some(field_error_message(lang, &e));
            return respond(&u, x, true);
        }
    };
    let dry_run = up.dry_run.unwrap_or(true);
    let result = state
        .app
        .import_counterparties(
            &u.actor,
            ImportRequest {
                bytes: &up.file,
                mapping: up.mapping,
                dry_run,
            },
            &|_, _, _| {},
        )
        .await;
    let report = match result {
        Ok(r) => r,
        Err(AppError::Invalid(e)) => {
            x.error = Some(field_error_message(lang, &e));
            return respond(&u, x, true);
        }
        Err(e) => return page_error(lang, e),
    };
    let report_href = (!report.problems.is_empty()).then(|| {
        format!(
            "data:text/csv;charset=utf-8;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(problems_csv(&report, lang))
        )
    });
    let mapped: std::collections::HashMap<&str, &str> = report.mapping.iter().map(|(h, f)| (h.as_str(), *f)).collect();
    let columns = report
        .headers
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| (h.clone(), mapped.get(h.as_str()).copied().unwrap_or("").to_owned()))
        .collect();
    x.outcome = Some(Outcome {
        dry_run: report.dry_run,
        format: report.format.clone(),
        rows: report.rows,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        rejected: report.rejected,
        more_problems: report.problems.len().saturating_sub(SHOWN_PROBLEMS),
        problems: report
            .problems
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|p| {
                (
                    p.line,
                    field_label(lang, p.error.field).to_owned(),
                    field_error_message(lang, &p.error),
                )
            })
            .collect(),
        columns,
        report_href,
    });
    respond(&u, x, false)
}

fn respond(u: &PageUser, x: ImportData, error: bool) -> Response {
    (
        status_for(error),
        ImportPage {
            shell: Shell::new(u, "clients"),
            x,
        },
    )
        .into_response()
}
