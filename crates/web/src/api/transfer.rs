//! Files in and out of the client base: import of counterparties (CSV/XLSX, dry run, error
//! report), export of any filtered list (CSV/XLSX) and contacts as vCard.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prospekt_app::counterparties::CounterpartyRow;
use prospekt_app::import::{ImportReport, ImportRequest};
use prospekt_domain::FieldError;
use prospekt_domain::ids::CounterpartyId;
use prospekt_domain::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::counterparties::{ListParams, parse_id};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::i18n::{Lang, field_error_message};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_counterparties))
        .routes(routes!(export_counterparties))
        .routes(routes!(export_contacts))
}

/// One problem of an imported row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProblemDto {
    /// Line in the file (CSV line or sheet row; the header is line 1).
    pub line: usize,
    /// The field (import column name) or `row` / `file`.
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A column of the file and the field it feeds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnMapping {
    pub header: String,
    pub field: String,
}

/// What an import did, or on a dry run would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportDto {
    pub batch: uuid::Uuid,
    pub dry_run: bool,
    pub format: String,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub problems: Vec<ImportProblemDto>,
    pub problems_truncated: bool,
    pub mapping: Vec<ColumnMapping>,
    pub unmapped: Vec<String>,
}

pub fn report_dto(r: ImportReport, lang: Lang) -> ImportReportDto {
    ImportReportDto {
        batch: r.batch,
        dry_run: r.dry_run,
        format: r.format,
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        rejected: r.rejected,
        problems: r
            .problems
            .iter()
            .map(|p| ImportProblemDto {
                line: p.line,
                field: p.error.field.to_owned(),
                code: p.error.code.to_owned(),
                message: field_error_message(lang, &p.error),
            })
            .collect(),
        problems_truncated: r.problems_truncated,
        mapping: r
            .mapping
            .into_iter()
            .map(|(header, field)| ColumnMapping {
                header,
                field: field.to_owned(),
            })
            .collect(),
        unmapped: r.unmapped,
    }
}

/// The per-row error report as CSV (UTF-8 with BOM, `;`): line, column, field, message.
pub fn problems_csv(r: &ImportReport, lang: Lang) -> Vec<u8> {
    let headers: [&str; 4] = match lang {
        Lang::Ru => ["Строка", "Столбец", "Поле", "Ошибка"],
        Lang::En => ["Line", "Column", "Field", "Problem"],
    };
    let column_of = |field: &str| {
        r.mapping
            .iter()
            .find(|(_, f)| *f == field)
            .map(|(h, _)| h.clone())
            .unwrap_or_default()
    };
    let mut w = prospekt_files::CsvWriter::new(Vec::new(), &headers).expect("writing to memory");
    for p in &r.problems {
        let line = p.line.to_string();
        let column = column_of(p.error.field);
        let message = field_error_message(lang, &p.error);
        w.write_row(&[&line, &column, p.error.field, &message])
            .expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportParams {
    /// Only check and report; write nothing.
    pub dry_run: Option<bool>,
    /// `csv`: answer with the per-row error report as a CSV file instead of JSON.
    pub report: Option<String>,
}

/// The parts of an import upload, as read from a multipart form.
pub struct Upload {
    pub file: Vec<u8>,
    pub mapping: Option<Vec<(String, String)>>,
    pub dry_run: Option<bool>,
}

/// Reads `file` (the table), optional `mapping` (JSON `[{"header": "ИНН", "field": "inn"}]`
/// or form fields `map.<header>=<field>`) and optional `dry_run` parts.
pub async fn read_upload(mut form: Multipart) -> Result<Upload, FieldError> {
    let bad = |detail: String| {
        FieldError::new("file", "file_malformed")
            .with("line", "0")
            .with("detail", detail)
    };
    let mut up = Upload {
        file: Vec::new(),
        mapping: None,
        dry_run: None,
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| bad(e.body_text()))? {
        let name = field.name().unwrap_or("").to_owned();
        let data = field.bytes().await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                FieldError::new("body", "too_large").with("max_mib", (crate::IMPORT_LIMIT >> 20).to_string())
            } else {
                bad(e.body_text())
            }
        })?;
        match name.as_str() {
            "file" => up.file = data.to_vec(),
            "dry_run" => up.dry_run = Some(matches!(&data[..], b"true" | b"1" | b"on")),
            "mapping" if !data.is_empty() => {
                #[derive(Deserialize)]
                struct Pair {
                    header: String,
                    field: String,
                }
                let list: Vec<Pair> = serde_json::from_slice(&data)
                    .map_err(|e| FieldError::new("mapping", "invalid_json").with("detail", e.to_string()))?;
                pairs.extend(list.into_iter().map(|p| (p.header, p.field)));
            }
            other => {
                if let Some(header) = other.strip_prefix("map.") {
                    let field = String::from_utf8_lossy(&data).trim().to_owned();
                    if !field.is_empty() {
                        pairs.push((header.to_owned(), field));
                    }
                }
            }
        }
    }
    if up.file.is_empty() {
        return Err(FieldError::new("file", "file_empty"));
    }
    if !pairs.is_empty() {
        up.mapping = Some(pairs);
    }
    Ok(up)
}

/// Import counterparties from a CSV (UTF-8 or windows-1251, `;` `,` or tab) or XLSX file sent
/// as multipart `file`. Rows match existing records by `external_id`, else INN + KPP, and
/// update them; other rows create records. Rows with problems are skipped and reported by
/// line; the rest are written in one transaction. `dry_run=true` writes nothing.
#[utoipa::path(post, path = "/api/v1/imports/counterparties", tag = "import-export", params(ImportParams),
    request_body(content_type = "multipart/form-data", description = "`file`: the table; optional `mapping`: JSON [{header, field}]; optional `dry_run`"),
    responses((status = 200, body = ImportReportDto), (status = 403, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
              (status = 422, body = crate::error::ErrorBody)))]
async fn import_counterparties(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ImportParams>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let form = form.map_err(|e| {
        ApiError::field(
            lang,
            &FieldError::new("body", "multipart_expected").with("detail", e.body_text()),
        )
    })?;
    let up = read_upload(form).await.map_err(|e| {
        let mut err = ApiError::field(lang, &e);
        if e.code == "too_large" {
            err.status = axum::http::StatusCode::PAYLOAD_TOO_LARGE;
        }
        err
    })?;
    let want_csv = p.report.as_deref() == Some("csv");
    let dry_run = want_csv || p.dry_run.or(up.dry_run).unwrap_or(false);
    let report = state
        .app
        .import_counterparties(
            &caller.actor,
            ImportRequest {
                bytes: &up.file,
                mapping: up.mapping,
                dry_run,
            },
            &|_, _, _| {},
        )
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    if want_csv {
        return Ok(download(
            problems_csv(&report, lang),
            "text/csv; charset=utf-8",
            "import-errors.csv",
        ));
    }
    Ok(Json(report_dto(report, lang)).into_response())
}

fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportParams {
    /// csv | xlsx
    pub format: Option<String>,
    /// The list's filters.
    pub owner: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub territory: Option<String>,
    pub tag: Option<String>,
    pub archived: Option<bool>,
}

impl ExportParams {
    pub fn list_params(&self) -> ListParams {
        ListParams {
            owner: self.owner.clone(),
            status: self.status.clone(),
            tier: self.tier.clone(),
            territory: self.territory.clone(),
            tag: self.tag.clone(),
            archived: self.archived,
            cursor: None,
            limit: None,
        }
    }
}

/// Column titles of the counterparty export, in order.
fn export_headers(lang: Lang) -> Vec<&'static str> {
    match lang {
        Lang::Ru => vec![
            "ID",
            "Вид",
            "Наименование",
            "Полное наименование",
            "ИНН",
            "КПП",
            "ОГРН",
            "Статус",
            "Категория",
            "Ответственный",
            "Территория",
            "Отрасль",
            "Размер",
            "Источник",
            "Город",
            "Юридический адрес",
            "Фактический адрес",
            "Телефон",
            "E-mail",
            "Отсрочка, дней",
            "Кредитный лимит",
            "Потребности",
            "Теги",
            "Примечание",
            "Внешний код",
            "Изменён",
        ],
        Lang::En => vec![
            "ID",
            "Kind",
            "Name",
            "Full name",
            "INN",
            "KPP",
            "OGRN",
            "Status",
            "Tier",
            "Owner",
            "Territory",
            "Industry",
            "Size",
            "Lead source",
            "City",
            "Legal address",
            "Actual address",
            "Phone",
            "E-mail",
            "Payment terms, days",
            "Credit limit",
            "Needs",
            "Tags",
            "Notes",
            "External ID",
            "Updated",
        ],
    }
}

fn export_row(r: &CounterpartyRow, lang: Lang) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        r.id.to_string(),
        crate::i18n::label(lang, &r.kind).to_owned(),
        r.name.clone(),
        r.full_name.clone(),
        o(&r.inn),
        o(&r.kpp),
        o(&r.ogrn),
        crate::i18n::label(lang, &r.status).to_owned(),
        crate::i18n::label(lang, &r.tier).to_owned(),
        o(&r.owner_name),
        o(&r.territory_name),
        o(&r.industry),
        o(&r.size),
        o(&r.lead_source),
        o(&r.city),
        o(&r.legal_address),
        o(&r.actual_address),
        o(&r.phone),
        o(&r.email),
        r.payment_terms_days.to_string(),
        Money::from_kopecks(r.credit_limit).to_string(),
        o(&r.needs),
        prospekt_domain::counterparty::tags_from_column(r.tags.as_deref()).join(", "),
        o(&r.notes),
        o(&r.external_id),
        r.updated_at.format("%Y-%m-%d %H:%M").to_string(),
    ]
}

/// Builds the export file of `rows` in `format` (`csv` or `xlsx`).
pub fn export_file(rows: &[CounterpartyRow], format: &str, lang: Lang) -> Result<Response, FieldError> {
    let headers = export_headers(lang);
    match format {
        "csv" => {
            let mut w = prospekt_files::CsvWriter::new(Vec::new(), &headers).expect("writing to memory");
            for r in rows {
                let cells = export_row(r, lang);
                let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                w.write_row(&refs).expect("writing to memory");
            }
            Ok(download(
                w.finish().expect("writing to memory"),
                "text/csv; charset=utf-8",
                "counterparties.csv",
            ))
        }
        "xlsx" => {
            let sheet = if lang == Lang::Ru {
                "Контрагенты"
            } else {
                "Counterparties"
            };
            let bytes = prospekt_files::xlsx(sheet, &headers, rows.iter().map(|r| export_row(r, lang)))
                .map_err(|e| FieldError::new("format", e.code()))?;
            Ok(download(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "counterparties.xlsx",
            ))
        }
        other => Err(FieldError::new("format", "invalid_format").with("value", other)),
    }
}

/// Export the filtered counterparty list (the same filters as the list) as CSV or XLSX.
/// Needs the export permission; every export is recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/counterparties/export", tag = "import-export", params(ExportParams),
    responses((status = 200, description = "The file", content_type = "text/csv"),
              (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
async fn export_counterparties(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let field = |e: FieldError| ApiError::field(lang, &e);
    let format = p.format.as_deref().unwrap_or("csv").to_owned();
    if !matches!(format.as_str(), "csv" | "xlsx") {
        return Err(field(FieldError::new("format", "invalid_format").with("value", format)));
    }
    let query = p.list_params().to_query().map_err(field)?;
    let rows = state
        .app
        .export_counterparties(&caller.actor, &query, &format)
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    export_file(&rows, &format, lang).map_err(field)
}

/// Contacts of a counterparty as vCard 3.0 (for phones and mail clients). Needs the export
/// permission; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/counterparties/{id}/contacts/vcard", tag = "import-export",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, description = "text/vcard", content_type = "text/vcard"),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
async fn export_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let lang = caller.lang;
    let id: CounterpartyId = parse_id("id", &id).map_err(|e| ApiError::field(lang, &e))?;
    let (cp, contacts) = state
        .app
        .export_contacts(&caller.actor, id, "vcard")
        .await
        .map_err(|e| ApiError::from_app(lang, e))?;
    Ok(download(
        vcard_text(&cp, &contacts).into_bytes(),
        "text/vcard; charset=utf-8",
        "contacts.vcf",
    ))
}

/// The vCard file of these contacts of `cp`.
pub fn vcard_text(cp: &CounterpartyRow, contacts: &[prospekt_app::clients::ContactRow]) -> String {
    let cards: Vec<prospekt_files::VCard<'_>> = contacts
        .iter()
        .map(|c| prospekt_files::VCard {
            full_name: &c.full_name,
            organization: Some(&cp.name),
            title: c.position.as_deref(),
            phones: c.phone.as_deref().into_iter().collect(),
            emails: c.email.as_deref().into_iter().collect(),
            birthday: c.birthday,
            note: c.messengers.as_deref(),
        })
        .collect();
    prospekt_files::vcards(&cards)
}
