//! Printable Prospekt documents rendered to PDF with [typst](https://typst.app) used as a library:
//! the commercial offer ([`OfferDocument`]), the reconciliation act ([`ReconciliationAct`]) and the
//! claim letter ([`ClaimLetter`]).
//!
//! The crate knows nothing about the CRM: callers pass ready-formatted strings (money as
//! `"138 900,00"`, dates as `"27.11.2026"`, the amount in words, …) and get PDF bytes back.
//! The data reaches the template as JSON (`sys.inputs.offer`, `sys.inputs.act`,
//! `sys.inputs.claim`), so user text is never parsed as typst markup: `#`, `$`, `*`, `_`, `[`,
//! `]`, `\` and friends come out literally.
//!
//! Fonts (Liberation Sans 2, SIL OFL 1.1, see `fonts/LICENSE-Liberation.txt`) are embedded in the
//! binary; there is no system font scanning, no `@preview` packages and no network access.
//!
//! Rendering is CPU-bound (tens to hundreds of milliseconds): call it from `spawn_blocking` and
//! keep a single [`DocEngine`] (the font book is built once) in an `Arc` in application state.

use serde::Serialize;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Dict, IntoValue};
use typst::syntax::{DiagSpanKind, Source};
use typst_as_lib::{TypstAsLibError, TypstEngine, TypstTemplateCollection};
use typst_layout::PagedDocument;

mod sample;

pub use sample::{sample_claim, sample_offer, sample_reconciliation};

/// The templates, by the virtual path they are compiled/imported under.
const TEMPLATES: [(&str, &str); 4] = [
    ("common.typ", include_str!("../templates/common.typ")),
    ("offer.typ", include_str!("../templates/offer.typ")),
    ("reconciliation.typ", include_str!("../templates/reconciliation.typ")),
    ("claim.typ", include_str!("../templates/claim.typ")),
];

/// Liberation Sans 2.1.5 (Arial-metric). It has Cyrillic, «», „“, №, ×, ², —, but no ₽ (U+20BD) and
/// no ⌀ (U+2300): the template writes «руб.», callers should too.
const FONTS: [&[u8]; 2] = [
    include_bytes!("../fonts/LiberationSans-Regular.ttf"),
    include_bytes!("../fonts/LiberationSans-Bold.ttf"),
];

/// Rendering engine: the templates plus the embedded fonts.
///
/// Build it once (it parses the fonts) and share it (`Send + Sync`, cheap to put in an `Arc`);
/// every render gets its own typst world, so concurrent renders are fine.
pub struct DocEngine {
    templates: TypstEngine<TypstTemplateCollection>,
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

/// An act of reconciliation of mutual settlements (акт сверки взаимных расчётов) from our side.
/// All values are display-ready strings; money values are plain numbers without a currency sign
/// (`"1 234,56"`, the table header says «руб.»), `""` for an empty cell.
///
/// The left half of the table («По данным ‹seller›») shows these figures; the right half
/// («По данным ‹buyer›») has the same columns and rows, left empty for the client to fill in.
/// From the seller's side shipments go to debit, payments and returns to credit.
#[derive(Debug, Clone, Serialize)]
pub struct ReconciliationAct {
    /// Act number, e.g. `"АС-2026-000012"`.
    pub number: String,
    /// Act date, e.g. `"01.12.2026"`.
    pub date: String,
    /// First day of the period, e.g. `"01.10.2026"`.
    pub period_from: String,
    /// Last day of the period, e.g. `"30.11.2026"`; also the date of the client's conclusion.
    pub period_to: String,
    /// Our company.
    pub seller: Party,
    /// The client.
    pub buyer: Party,
    /// Appended to the title and the intro when the act covers one contract:
    /// `"по договору № 17/П от 01.02.2026"`; `None` (or empty) for all settlements.
    pub contract: Option<String>,
    pub opening_debit: String,
    pub opening_credit: String,
    /// Documents in date order.
    pub rows: Vec<ActRow>,
    pub turnover_debit: String,
    pub turnover_credit: String,
    pub closing_debit: String,
    pub closing_credit: String,
    /// Our conclusion under the left half, e.g. «По данным ООО «…» на 30.11.2026 задолженность в
    /// пользу ООО «…» составляет 45 600,00 руб. (Сорок пять тысяч шестьсот рублей 00 копеек).»
    pub conclusion: String,
    /// Our director's name (`"Иванов И. И."`), printed as «/ Иванов И. И. /» after «Руководитель».
    pub seller_signatory: String,
    /// Our chief accountant's name, printed after «Главный бухгалтер».
    pub seller_accountant: String,
}

/// One document of the reconciliation act (our side).
#[derive(Debug, Clone, Serialize)]
pub struct ActRow {
    /// `"20.10.2026"`.
    pub date: String,
    /// `"Продажа (УПД № С-2026-000123 от 20.10.2026)"`, `"Оплата (п/п № 2231 от 02.11.2026)"`.
    pub document: String,
    /// `"45 600,00"` or `""`.
    pub debit: String,
    /// `"45 600,00"` or `""`.
    pub credit: String,
}

/// A pre-trial claim (претензия) for payment of overdue debt for delivered goods, with the
/// interest (art. 395 ГК РФ) or contractual penalty calculation. All values are display-ready
/// strings; money values are plain numbers without a currency sign (`"1 234,56"`; the template
/// adds «руб.»).
#[derive(Debug, Clone, Serialize)]
pub struct ClaimLetter {
    /// Claim number, e.g. `"П-2026-000007"`.
    pub number: String,
    /// Claim date (the debt is stated as of it), e.g. `"06.11.2026"`.
    pub date: String,
    /// Our company (letterhead, payee).
    pub seller: Party,
    /// The debtor («Кому:» block; its bank details are not printed).
    pub buyer: Party,
    /// `"по договору № 17/П от 01.02.2026"`: starts the facts sentence; `None` (or empty) when there
    /// is no written contract.
    pub contract: Option<String>,
    /// The unpaid shipment documents.
    pub debts: Vec<ClaimDebt>,
    /// Sum of [`ClaimDebt::open`].
    pub debt_total: String,
    /// The debt in words, e.g. `"Триста шесть тысяч триста пятьдесят рублей 40 копеек"`.
    pub debt_total_words: String,
    /// Caption of the calculation and its name in the demand (first letter lowered there):
    /// `"Проценты по ст. 395 ГК РФ"` or `"Неустойка по п. 7.2 договора"`.
    pub interest_title: String,
    /// The calculation; with no rows and an empty `interest_total` the claim is for the debt only
    /// (no calculation, no «в том числе», no calculation in the attachments).
    pub interest_rows: Vec<ClaimInterestRow>,
    pub interest_total: String,
    /// Debt plus interest/penalty: the amount demanded.
    pub claim_total: String,
    pub claim_total_words: String,
    /// Term to pay, in calendar days from receipt of the claim.
    pub pay_within_days: u32,
    /// First day the suit may be filed (end of the pre-trial term, ч. 5 ст. 4 АПК РФ), e.g.
    /// `"08.12.2026"`.
    pub suit_possible_from: String,
    /// Our account details, one or more lines (`\n`): `"р/с … в …, БИК …, к/с …"`. The template
    /// prints «Получатель: ‹seller name›, ИНН …, КПП …» above them.
    pub bank_details: String,
    /// Our director's name, e.g. `"Петров П. П."`.
    pub signatory: String,
}

/// One unpaid shipment document of a claim.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimDebt {
    /// `"УПД № С-2026-000123 от 22.09.2026"`.
    pub document: String,
    /// Payment due date, `"22.10.2026"`.
    pub due: String,
    /// Document amount, `"45 600,00"`.
    pub amount: String,
    /// Unpaid part of it, `"45 600,00"`.
    pub open: String,
}

/// One sub-period of the interest/penalty calculation (constant base and rate).
#[derive(Debug, Clone, Serialize)]
pub struct ClaimInterestRow {
    /// First day, `"23.10.2026"`.
    pub from: String,
    /// Last day (inclusive), `"06.11.2026"`.
    pub to: String,
    /// Number of days, `"15"`.
    pub days: String,
    /// Debt the interest runs on, `"45 600,00"`.
    pub base: String,
    /// `"14,00 %"` (annual, art. 395) or `"0,1 % в день"` (penalty).
    pub rate: String,
    /// Accrued for the sub-period, `"262,36"`.
    pub amount: String,
}

impl Default for DocEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl DocEngine {
    /// Parses the embedded fonts and the templates. Do this once per process.
    pub fn new() -> Self {
        let templates = TypstEngine::builder()
            .with_static_source_file_resolver(TEMPLATES)
            .fonts(FONTS)
            .build();
        Self { templates }
    }

    /// Renders the offer to PDF bytes.
    pub fn offer_pdf(&self, doc: &OfferDocument) -> Result<Vec<u8>, DocError> {
        export(&self.compile_offer(doc)?.0)
    }

    /// Renders the reconciliation act to PDF bytes.
    pub fn reconciliation_pdf(&self, act: &ReconciliationAct) -> Result<Vec<u8>, DocError> {
        export(&self.compile_reconciliation(act)?.0)
    }

    /// Renders the claim letter to PDF bytes.
    pub fn claim_pdf(&self, c: &ClaimLetter) -> Result<Vec<u8>, DocError> {
        export(&self.compile_claim(c)?.0)
    }

    fn compile_offer(&self, doc: &OfferDocument) -> Result<(PagedDocument, Vec<String>), DocError> {
        self.compile("offer.typ", "offer", doc)
    }

    fn compile_reconciliation(&self, act: &ReconciliationAct) -> Result<(PagedDocument, Vec<String>), DocError> {
        self.compile("reconciliation.typ", "act", act)
    }

    fn compile_claim(&self, c: &ClaimLetter) -> Result<(PagedDocument, Vec<String>), DocError> {
        self.compile("claim.typ", "claim", c)
    }

    /// Compiles `template` with `data` as JSON bytes in `sys.inputs.<key>`; returns the laid-out
    /// document and typst's warnings (rendered).
    fn compile(
        &self,
        template: &str,
        key: &str,
        data: &impl Serialize,
    ) -> Result<(PagedDocument, Vec<String>), DocError> {
        let json = serde_json::to_vec(data)?;
        let mut inputs = Dict::new();
        inputs.insert(key.into(), Bytes::new(json).into_value());
        let warned = self
            .templates
            .compile_with_input::<_, _, PagedDocument>(template, inputs);
        let warnings = warned.warnings.iter().map(diagnostic).collect();
        let document = warned.output.map_err(|e| match e {
            TypstAsLibError::TypstSource(d) => DocError::Compile(diagnostics(&d)),
            other => DocError::Compile(other.to_string()),
        })?;
        Ok((document, warnings))
    }
}

fn export(document: &PagedDocument) -> Result<Vec<u8>, DocError> {
    typst_pdf::pdf(document, &pdf_options()).map_err(|d| DocError::Pdf(diagnostics(&d)))
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
    if let Some(at) = location(d) {
        s.push_str(" at ");
        s.push_str(&at);
    }
    for hint in &d.hints {
        s.push_str("; hint: ");
        s.push_str(&hint.v);
    }
    s
}

/// `"claim.typ:42"` when the diagnostic points into one of the templates (the diagnostic only has
/// a span number; re-parsing the embedded text numbers the nodes the same way).
fn location(d: &SourceDiagnostic) -> Option<String> {
    let DiagSpanKind::Number { id, num, sub_range } = d.span.get() else {
        return None;
    };
    let path = id.get().vpath().get_without_slash();
    let (name, text) = TEMPLATES.iter().find(|(name, _)| *name == path)?;
    let source = Source::new(id, (*text).to_owned());
    let line = source.lines().byte_to_line(source.range(num, sub_range)?.start)?;
    Some(format!("{name}:{}", line + 1))
}

fn diagnostics(ds: &[SourceDiagnostic]) -> String {
    ds.iter().map(diagnostic).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests;
