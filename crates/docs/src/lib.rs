//! Printable Prospekt documents rendered to PDF with [typst](https://typst.app) used as a library.
//!
//! The crate knows nothing about the CRM: callers pass ready-formatted strings (money as
//! `"138 900,00"`, dates as `"27.11.2026"`, the amount in words, …) and get PDF bytes back.
//! The data reaches the template as JSON (`sys.inputs.offer`), so user text is never parsed as
//! typst markup: `#`, `$`, `*`, `_`, `[`, `]`, `\` and friends come out literally.
//!
//! Fonts (Liberation Sans 2, SIL OFL 1.1, see `fonts/LICENSE-Liberation.txt`) are embedded in the
//! binary; there is no system font scanning, no `@preview` packages and no network access.
//!
//! Rendering is CPU-bound (tens to hundreds of milliseconds): call it from `spawn_blocking` and
//! keep a single [`DocEngine`] (the font book is built once) in an `Arc` in application state.

use serde::Serialize;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Dict, IntoValue};
use typst_as_lib::{TypstAsLibError, TypstEngine, TypstTemplateMainFile};
use typst_layout::PagedDocument;

mod sample;

pub use sample::sample_offer;

const OFFER_TEMPLATE: &str = include_str!("../templates/offer.typ");

/// Liberation Sans 2.1.5 (Arial-metric). It has Cyrillic, «», „“, №, ×, ², —, but no ₽ (U+20BD) and
/// no ⌀ (U+2300): the template writes «руб.», callers should too.
const FONTS: [&[u8]; 2] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
];

/// Rendering engine: parsed template plus the embedded fonts.
///
/// Build it once (it parses the fonts) and share it (`Send + Sync`, cheap to put in an `Arc`);
/// every render gets its own typst world, so concurrent renders are fine.
pub struct DocEngine {
    offer: TypstEngine<TypstTemplateMainFile>,
}

/// Why a document could not be rendered. These are bugs (template/engine), not user errors:
/// any user text is passed as data and cannot break the template.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The document data could not be serialized for the template.
    #[error("cannot serialize document data: {0}")]
    Data(#[from] serde_json::Error),
    /// Typst failed to compile/lay out the template.
    #[error("typst compilation failed: {0}")]
    Compile(String),
    /// Typst failed to export the laid-out document to PDF.
    #[error("PDF export failed: {0}")]
    Pdf(String),
}

/// A commercial offer (коммерческое предложение). All values are display-ready strings;
/// money values are plain numbers without a currency sign (`"1 234,56"`; the template adds «руб.»).
#[derive(Debug, Clone, Serialize)]
pub struct OfferDocument {
    /// Offer number, e.g. `"КП-000042"`.
    pub number: String,
    /// Revision of the offer; shown as «(версия 2)» when greater than 1.
    pub version: u32,
    /// Offer date, e.g. `"27.11.2026"`.
    pub date: String,
    /// Last day the offer is valid, e.g. `"11.12.2026"`.
    pub valid_until: String,
    /// Our company (letterhead).
    pub seller: Party,
    /// The client («Кому:» block).
    pub buyer: Party,
    /// Paragraph addressed to the client; blank lines separate paragraphs.
    pub intro: String,
    /// Whether prices include VAT: the price column header reads «Цена с НДС» or «Цена без НДС».
    pub vat_included: bool,
    /// Table rows.
    pub lines: Vec<OfferLine>,
    /// Totals under the table, e.g. «Итого без НДС», «в т. ч. НДС 22 %», «Всего к оплате»;
    /// the last row's value is also used in «Всего наименований N, на сумму … руб.».
    pub totals: Vec<TotalRow>,
    /// The amount to pay in words, e.g. `"Сто тридцать восемь тысяч девятьсот рублей 00 копеек"`.
    pub total_in_words: String,
    /// Applied promotions, accrued bonus, payment terms, delivery — one list item each.
    pub notes: Vec<String>,
    /// Signer's position, e.g. `"Менеджер по работе с ключевыми клиентами"`.
    pub signer_position: String,
    /// Signer's name, e.g. `"Иванов И. И."`.
    pub signer_name: String,
    /// Manager's contacts, e.g. `"+7 495 123-45-67, ivanov@example.ru"`.
    pub manager_contacts: String,
}

/// A company with its requisites. Empty strings are simply omitted from the document.
#[derive(Debug, Clone, Serialize)]
pub struct Party {
    pub name: String,
    pub inn: String,
    pub kpp: String,
    pub ogrn: String,
    pub address: String,
    /// Bank details in one line: `"р/с … в … БИК …, к/с …"`, or empty.
    pub bank: String,
    pub phone: String,
    pub email: String,
}

/// One row of the offer table.
#[derive(Debug, Clone, Serialize)]
pub struct OfferLine {
    pub no: u32,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity: String,
    pub list_price: String,
    /// `"5 %"`, or empty when there is no discount (shown as a dash).
    pub discount: String,
    pub price: String,
    /// `"22 %"` or `"Без НДС"`.
    pub vat: String,
    pub amount: String,
}

/// One line of the totals block.
#[derive(Debug, Clone, Serialize)]
pub struct TotalRow {
    pub label: String,
    pub value: String,
    pub bold: bool,
}

impl Default for DocEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl DocEngine {
    /// Parses the embedded fonts and the template. Do this once per process.
    pub fn new() -> Self {
        let offer = TypstEngine::builder()
            .main_file(("offer.typ", OFFER_TEMPLATE))
            .fonts(FONTS)
            .build();
        Self { offer }
    }

    /// Renders the offer to PDF bytes.
    pub fn offer_pdf(&self, doc: &OfferDocument) -> Result<Vec<u8>, DocError> {
        let (document, _warnings) = self.compile_offer(doc)?;
        typst_pdf::pdf(&document, &pdf_options()).map_err(|d| DocError::Pdf(diagnostics(&d)))
    }

    /// Compiles the offer and returns the laid-out document and typst's warnings (rendered).
    fn compile_offer(&self, doc: &OfferDocument) -> Result<(PagedDocument, Vec<String>), DocError> {
        let json = serde_json::to_vec(doc)?;
        let mut inputs = Dict::new();
        inputs.insert("offer".into(), Bytes::new(json).into_value());
        let warned = self.offer.compile_with_input::<_, PagedDocument>(inputs);
        let warnings = warned.warnings.iter().map(diagnostic).collect();
        let document = warned.output.map_err(|e| match e {
            TypstAsLibError::TypstSource(d) => DocError::Compile(diagnostics(&d)),
            other => DocError::Compile(other.to_string()),
        })?;
        Ok((document, warnings))
    }
}

/// Untagged PDF: a 200-line offer is 80 KB instead of 475 KB (the structure tree of a big table
/// dominates) and renders ~10 % faster; text stays searchable/copyable (fonts carry ToUnicode).
/// Switch `tagged` on if accessibility (PDF/UA-style structure) becomes a requirement.
fn pdf_options() -> typst_pdf::PdfOptions {
    typst_pdf::PdfOptions {
        tagged: false,
        ..Default::default()
    }
}

fn diagnostic(d: &SourceDiagnostic) -> String {
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!("{kind}: {}", d.message);
    for hint in &d.hints {
        s.push_str("; hint: ");
        s.push_str(&hint.v);
    }
    s
}

fn diagnostics(ds: &[SourceDiagnostic]) -> String {
    ds.iter().map(diagnostic).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests;
