use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use super::*;

/// Text that would do damage if it were ever evaluated as typst markup/code.
const NASTY: &str = r#"#panic("INJECT") $x^2$ *b* _i_ [l] \ @ref <lab> // c /* d */ `raw` #set page(width: 1cm)"#;

fn write_tmp(name: &str, pdf: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("prospekt-docs-{name}-{}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("write PDF to temp dir");
    path
}

/// Text of a PDF as extracted by poppler's `pdftotext -raw` (content stream order, so a wrapped
/// table cell stays together).
struct PdfText {
    /// Whitespace (incl. NBSP and line breaks) collapsed to single spaces.
    plain: String,
    /// Like `plain`, but words broken at line ends joined back: typst marks its hyphenation points
    /// with a soft hyphen (`Эко\u{ad}\nпром` → `Экопром`), a break after a real hyphen keeps it
    /// (`ВВГнг(А)-\nLS` → `ВВГнг(А)-LS`).
    joined: String,
}

impl PdfText {
    fn assert_contains(&self, needle: &str) {
        let needle = normalize(needle);
        assert!(
            self.plain.contains(&needle) || self.joined.contains(&needle),
            "PDF text lacks {needle:?}"
        );
    }
}

/// `None` (with a "skipped" line) when pdftotext is missing, unless `PROSPEKT_TEST_REQUIRE_ALL=1`.
fn pdf_text(name: &str, pdf: &[u8]) -> Option<PdfText> {
    if Command::new("pdftotext").arg("-v").output().is_err() {
        assert!(
            std::env::var("PROSPEKT_TEST_REQUIRE_ALL").as_deref() != Ok("1"),
            "pdftotext (poppler-utils) is required when PROSPEKT_TEST_REQUIRE_ALL=1"
        );
        println!("skipped: pdftotext not installed (apt-get install poppler-utils)");
        return None;
    }
    let path = write_tmp(name, pdf);
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("run pdftotext");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = String::from_utf8(out.stdout).expect("pdftotext emits UTF-8");
    Some(PdfText {
        plain: normalize(&raw),
        joined: normalize(&raw.replace("\u{ad}\n", "").replace("-\n", "-")),
    })
}

fn normalize(s: &str) -> String {
    s.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn render_checked(engine: &DocEngine, doc: &OfferDocument) -> Vec<u8> {
    let (_, warnings) = engine.compile_offer(doc).expect("compile");
    assert!(warnings.is_empty(), "typst warnings: {warnings:#?}");
    let pdf = engine.offer_pdf(doc).expect("render");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    pdf
}

#[test]
fn engine_is_shareable() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<DocEngine>();
    assert_send_sync::<DocError>();
}

#[test]
fn renders_200_lines_with_special_characters() {
    let engine = DocEngine::new();
    let doc = sample_offer(200);

    let started = Instant::now();
    let (document, warnings) = engine.compile_offer(&doc).expect("compile");
    let compiled = started.elapsed();
    assert!(warnings.is_empty(), "typst warnings: {warnings:#?}");
    let pdf = typst_pdf::pdf(&document, &pdf_options()).expect("export");
    let first = started.elapsed();

    let started = Instant::now();
    let again = engine.offer_pdf(&doc).expect("render again");
    let second = started.elapsed();

    let pages = document.pages().len();
    // Kept for a look (`pdftoppm -png -r 60 …`); a fixed name so repeated runs don't pile up files.
    let path = std::env::temp_dir().join("prospekt-docs-offer-200.pdf");
    std::fs::write(&path, &pdf).expect("write PDF to temp dir");
    println!(
        "200 lines: {pages} pages, {} KB; first render {first:?} (compile {compiled:?}), second {second:?}; {}",
        pdf.len() / 1024,
        path.display()
    );
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(again.starts_with(b"%PDF-"));
    assert!(pages >= 4, "200 rows should span several pages, got {pages}");

    let Some(text) = pdf_text("offer-200-text", &pdf) else {
        return;
    };
    text.assert_contains(&doc.buyer.name);
    text.assert_contains(&doc.seller.name);
    text.assert_contains("Коммерческое предложение № КП-000042 от 27.11.2026 (версия 2)");
    text.assert_contains("Предложение действительно до 11.12.2026");
    for row in &doc.totals {
        text.assert_contains(&row.label);
        text.assert_contains(&row.value);
    }
    let total = &doc.totals.last().expect("totals").value;
    text.assert_contains(&format!("Всего наименований 200, на сумму {total} руб."));
    text.assert_contains(&doc.total_in_words);
    text.assert_contains("Цена с НДС");
    text.assert_contains(&format!("Стр. 1 из {pages}"));
    text.assert_contains(&format!("Стр. {pages} из {pages}"));
    // Markup characters in names and notes come out literally.
    for token in [
        "#2",
        "*ВМ-1*",
        "$5",
        "_x_",
        "[a]",
        "\\b",
        "\"Стандарт\"",
        "«Экопром»",
        "№5",
        "@Home",
        "<Классик>",
    ] {
        text.assert_contains(token);
    }
    text.assert_contains("Код купона: #SALE_2026 [*] $10 \\ 50%");
    text.assert_contains("М. П.");
}

#[test]
fn user_text_is_never_markup() {
    let engine = DocEngine::new();
    let mut doc = sample_offer(3);
    doc.number = NASTY.to_owned();
    doc.buyer.name = NASTY.to_owned();
    doc.seller.bank = NASTY.to_owned();
    doc.intro = format!("{NASTY}\n\n{NASTY}");
    doc.lines[0].name = NASTY.to_owned();
    doc.lines[1].sku = NASTY.to_owned();
    doc.totals[0].label = NASTY.to_owned();
    doc.total_in_words = NASTY.to_owned();
    doc.notes = vec![NASTY.to_owned()];
    doc.signer_name = NASTY.to_owned();

    let pdf = render_checked(&engine, &doc);
    let Some(text) = pdf_text("nasty", &pdf) else { return };
    for token in [
        "#panic(\"INJECT\")",
        "$x^2$",
        "*b*",
        "_i_",
        "[l]",
        "@ref",
        "<lab>",
        "/* d */",
        "`raw`",
    ] {
        assert!(
            text.plain.matches(token).count() >= 8,
            "{token:?} not printed literally everywhere"
        );
    }
    text.assert_contains(NASTY);
}

#[test]
fn minimal_offer_renders() {
    let engine = DocEngine::new();
    let mut doc = sample_offer(0);
    doc.version = 1;
    doc.totals.clear();
    doc.notes.clear();
    doc.intro.clear();
    doc.total_in_words.clear();
    doc.manager_contacts.clear();
    doc.vat_included = false;
    doc.buyer = Party {
        name: "ИП Сидоров Сидор Сидорович".to_owned(),
        inn: "500100732259".to_owned(),
        kpp: String::new(),
        ogrn: String::new(),
        address: String::new(),
        bank: String::new(),
        phone: String::new(),
        email: String::new(),
    };

    let pdf = render_checked(&engine, &doc);
    let Some(text) = pdf_text("minimal", &pdf) else { return };
    text.assert_contains("ИП Сидоров Сидор Сидорович");
    text.assert_contains("ИНН 500100732259");
    text.assert_contains("Цена без НДС");
    text.assert_contains("Всего наименований 0");
    text.assert_contains("Стр. 1 из 1");
    assert!(!text.plain.contains("версия"), "version 1 must not be shown");
    assert!(
        !text.plain.contains("Условия предложения"),
        "empty notes must not leave a heading"
    );
}
