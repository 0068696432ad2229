use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use super::*;
use typst_layout::PagedDocument;

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

/// Checks a compiled document (no warnings, every page A4 — an injected `#set page(…)` would
/// change that) and exports it; returns the page count and the PDF.
fn export_checked(compiled: Result<(PagedDocument, Vec<String>), DocError>) -> (usize, Vec<u8>) {
    let (document, warnings) = compiled.expect("compile");
    assert!(warnings.is_empty(), "typst warnings: {warnings:#?}");
    for (i, page) in document.pages().iter().enumerate() {
        let (w, h) = (page.frame.width().to_mm(), page.frame.height().to_mm());
        assert!(
            (w - 210.0).abs() < 0.1 && (h - 297.0).abs() < 0.1,
            "page {} is {w:.1}×{h:.1} mm, not A4",
            i + 1
        );
    }
    let pdf = export(&document).expect("export");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    (document.pages().len(), pdf)
}

/// Writes the PDF under a fixed name in the temp dir (kept for a look with `pdftoppm -png -r 60 …`;
/// a fixed name so repeated runs don't pile up files).
fn keep(name: &str, pdf: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("prospekt-docs-{name}.pdf"));
    std::fs::write(&path, pdf).expect("write PDF to temp dir");
    path
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

#[test]
fn reconciliation_act_of_120_rows_spans_pages_with_repeated_header() {
    let engine = DocEngine::new();
    let act = sample_reconciliation(120);

    let started = Instant::now();
    let (pages, pdf) = export_checked(engine.compile_reconciliation(&act));
    let first = started.elapsed();
    let again = engine.reconciliation_pdf(&act).expect("render via the public API");
    assert!(again.starts_with(b"%PDF-"));
    let path = keep("reconciliation-120", &pdf);
    println!(
        "reconciliation, 120 rows: {pages} pages, {} KB, {first:?}; {}",
        pdf.len() / 1024,
        path.display()
    );
    assert!(pages >= 3, "120 rows should span several pages, got {pages}");

    let Some(text) = pdf_text("reconciliation-120-text", &pdf) else {
        return;
    };
    let (seller, buyer) = (&act.seller.name, &act.buyer.name);
    text.assert_contains("Акт сверки взаимных расчётов за период с 01.10.2026 по 30.11.2026");
    text.assert_contains(&format!("между {seller} и {buyer}"));
    text.assert_contains("по договору поставки № 17/П от 01.02.2026");
    text.assert_contains("№ АС-2026-000012 от 01.12.2026");
    text.assert_contains("Мы, нижеподписавшиеся");
    // The two-level header is on every page.
    for half in [seller, buyer] {
        let header = normalize(&format!("По данным {half}, руб."));
        assert_eq!(text.plain.matches(&header).count(), pages, "{header:?} once per page");
    }
    assert!(text.plain.matches("Дата Документ Дебет Кредит").count() >= 2 * pages);
    // Summary rows on both halves.
    for label in ["Сальдо начальное", "Обороты за период", "Сальдо конечное"]
    {
        assert_eq!(text.plain.matches(label).count(), 2, "{label} on both halves");
    }
    for row in [&act.rows[0], &act.rows[60], &act.rows[119]] {
        text.assert_contains(&row.date);
        text.assert_contains(&row.document);
    }
    for value in [
        &act.opening_debit,
        &act.turnover_debit,
        &act.turnover_credit,
        &act.closing_debit,
    ] {
        text.assert_contains(value);
    }
    text.assert_contains(&act.conclusion);
    text.assert_contains(&format!("По данным {buyer} на 30.11.2026:"));
    text.assert_contains(&format!("От {seller}"));
    text.assert_contains(&format!("От {buyer}"));
    text.assert_contains("ИНН 5003012345, КПП 500301001");
    text.assert_contains("/ Петров П. П. /");
    text.assert_contains("/ Смирнова О. В. /");
    assert_eq!(text.plain.matches("Главный бухгалтер").count(), 2);
    assert_eq!(text.plain.matches("М. П.").count(), 2);
    text.assert_contains(&format!("Стр. 1 из {pages}"));
    text.assert_contains(&format!("Стр. {pages} из {pages}"));
}

#[test]
fn sample_reconciliation_adds_up() {
    let act = sample_reconciliation(50);
    let kopecks = |s: &str| -> i64 {
        if s.is_empty() {
            return 0;
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        digits.parse().expect("money")
    };
    let debit: i64 = act.rows.iter().map(|r| kopecks(&r.debit)).sum();
    let credit: i64 = act.rows.iter().map(|r| kopecks(&r.credit)).sum();
    assert_eq!(kopecks(&act.turnover_debit), debit);
    assert_eq!(kopecks(&act.turnover_credit), credit);
    let closing = kopecks(&act.opening_debit) - kopecks(&act.opening_credit) + debit - credit;
    assert_eq!(kopecks(&act.closing_debit) - kopecks(&act.closing_credit), closing);
    assert!(act.conclusion.contains(&act.closing_debit), "{}", act.conclusion);
    assert!(act.rows.iter().all(|r| r.debit.is_empty() != r.credit.is_empty()));
    assert!(act.rows.iter().all(|r| r.debit != "0,00" && r.credit != "0,00"));
}

#[test]
fn minimal_reconciliation_act_renders() {
    let engine = DocEngine::new();
    let mut act = sample_reconciliation(0);
    act.contract = None;
    act.opening_debit.clear();
    act.turnover_debit.clear();
    act.turnover_credit.clear();
    act.closing_debit.clear();
    act.conclusion = "По данным ООО «Проспект-Электро» на 30.11.2026 задолженность отсутствует.".to_owned();
    act.buyer = Party {
        name: "ИП Сидоров Сидор Сидорович".to_owned(),
        inn: "500100732259".to_owned(),
        kpp: String::new(),
        ogrn: String::new(),
        address: String::new(),
        bank: String::new(),
        phone: String::new(),
        email: String::new(),
    };

    let (pages, pdf) = export_checked(engine.compile_reconciliation(&act));
    assert_eq!(pages, 1);
    let Some(text) = pdf_text("reconciliation-minimal", &pdf) else {
        return;
    };
    text.assert_contains("между ООО «Проспект-Электро» и ИП Сидоров Сидор Сидорович");
    text.assert_contains("провели сверку взаимных расчётов за период с 01.10.2026 по 30.11.2026");
    text.assert_contains("ИНН 500100732259");
    text.assert_contains("задолженность отсутствует");
    text.assert_contains("Стр. 1 из 1");
    assert!(!text.plain.contains("договор"), "no contract, no «по договору»");
}

#[test]
fn claim_renders_on_one_page() {
    let engine = DocEngine::new();
    let claim = sample_claim();

    let (pages, pdf) = export_checked(engine.compile_claim(&claim));
    let again = engine.claim_pdf(&claim).expect("render via the public API");
    assert!(again.starts_with(b"%PDF-"));
    let path = keep("claim", &pdf);
    println!("claim: {pages} pages, {} KB; {}", pdf.len() / 1024, path.display());
    assert_eq!(pages, 1, "the sample claim fits one page");

    let Some(text) = pdf_text("claim-text", &pdf) else {
        return;
    };
    text.assert_contains("ООО «Проспект-Электро» ИНН 7701234567, КПП 770101001, ОГРН 1187746123456");
    text.assert_contains("Кому: ООО «Торговый дом „Ёлка“ #1»");
    text.assert_contains("ПРЕТЕНЗИЯ");
    text.assert_contains("№ П-2026-000007 от 06.11.2026");
    text.assert_contains(
        "По договору поставки № 17/П от 01.02.2026 мы, ООО «Проспект-Электро» (далее — Поставщик), \
         поставили в адрес ООО «Торговый дом „Ёлка“ #1» (далее — Покупатель) товар",
    );
    text.assert_contains(&format!(
        "задолженность Покупателя перед Поставщиком составляет {} руб. ({}):",
        claim.debt_total, claim.debt_total_words
    ));
    for debt in &claim.debts {
        text.assert_contains(&format!("{} {} {} {}", debt.document, debt.due, debt.amount, debt.open));
    }
    text.assert_contains(&format!("Итого задолженность: {}", claim.debt_total));
    text.assert_contains("Проценты по ст. 395 ГК РФ");
    for row in &claim.interest_rows {
        text.assert_contains(&format!(
            "{} {} {} {} {} {}",
            row.base, row.from, row.to, row.days, row.rate, row.amount
        ));
    }
    text.assert_contains(&format!("Итого: {}", claim.interest_total));
    text.assert_contains(&format!(
        "требуем в течение 10 календарных дней с даты получения настоящей претензии перечислить на расчётный \
         счёт Поставщика денежные средства в сумме {} руб. ({}), в том числе основной долг — {} руб., \
         проценты по ст. 395 ГК РФ — {} руб., по следующим реквизитам:",
        claim.claim_total, claim.claim_total_words, claim.debt_total, claim.interest_total
    ));
    text.assert_contains("Получатель: ООО «Проспект-Электро», ИНН 7701234567, КПП 770101001");
    text.assert_contains(&claim.bank_details);
    text.assert_contains("то есть начиная с 08.12.2026");
    text.assert_contains("обратиться в арбитражный суд");
    text.assert_contains("судебных расходов");
    text.assert_contains("Приложения:");
    text.assert_contains("Копии универсальных передаточных документов (УПД) — 3 шт.");
    text.assert_contains("Акт сверки взаимных расчётов.");
    text.assert_contains("Расчёт суммы требований (проценты по ст. 395 ГК РФ).");
    text.assert_contains("Руководитель ООО «Проспект-Электро»");
    text.assert_contains("Петров П. П.");
    text.assert_contains("Стр. 1 из 1");
}

#[test]
fn sample_claim_adds_up() {
    let claim = sample_claim();
    let kopecks = |s: &str| -> i64 {
        s.chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .expect("money")
    };
    let debt: i64 = claim.debts.iter().map(|d| kopecks(&d.open)).sum();
    let interest: i64 = claim.interest_rows.iter().map(|r| kopecks(&r.amount)).sum();
    assert_eq!(kopecks(&claim.debt_total), debt);
    assert_eq!(kopecks(&claim.interest_total), interest);
    assert_eq!(kopecks(&claim.claim_total), debt + interest);
    // 128 400,00 × 14 % × 12 / 365 (09.10–20.10.2026) = 590,99 (art. 395, day after due date to the
    // payment day inclusive).
    assert_eq!(claim.interest_rows[0].amount, "590,99");
    assert_eq!(claim.interest_rows[1].from, "21.10.2026");
    assert_eq!(claim.interest_rows[1].base, "48\u{a0}400,00");
}

#[test]
fn claim_without_contract_or_interest_and_with_a_penalty() {
    let engine = DocEngine::new();

    // Debt only, no contract: no calculation, no «в том числе», no calculation attachment.
    let mut claim = sample_claim();
    claim.contract = None;
    claim.interest_rows.clear();
    claim.interest_total.clear();
    claim.claim_total = claim.debt_total.clone();
    claim.claim_total_words = claim.debt_total_words.clone();
    claim.pay_within_days = 21;
    claim.buyer.kpp.clear();
    claim.buyer.address.clear();
    let (pages, pdf) = export_checked(engine.compile_claim(&claim));
    assert_eq!(pages, 1);
    if let Some(text) = pdf_text("claim-debt-only", &pdf) {
        text.assert_contains("Мы, ООО «Проспект-Электро» (далее — Поставщик), поставили в адрес");
        text.assert_contains("требуем в течение 21 календарного дня с даты получения");
        text.assert_contains(&format!(
            "в сумме {} руб. ({}), по следующим реквизитам:",
            claim.debt_total, claim.debt_total_words
        ));
        for absent in ["договор", "в том числе", "Проценты", "проценты", "Расчёт", "Итого:"]
        {
            assert!(!text.plain.contains(absent), "{absent:?} must not be printed");
        }
    }

    // Contractual penalty instead of art. 395 interest.
    let mut claim = sample_claim();
    claim.interest_title = "Неустойка по п. 7.2 договора".to_owned();
    for row in &mut claim.interest_rows {
        row.rate = "0,1 % в день".to_owned();
    }
    claim.pay_within_days = 11;
    let (_, pdf) = export_checked(engine.compile_claim(&claim));
    if let Some(text) = pdf_text("claim-penalty", &pdf) {
        text.assert_contains("Неустойка по п. 7.2 договора");
        text.assert_contains(&format!("неустойка по п. 7.2 договора — {} руб.", claim.interest_total));
        text.assert_contains("Расчёт суммы требований (неустойка по п. 7.2 договора).");
        text.assert_contains("в течение 11 календарных дней");
        text.assert_contains("0,1 % в день");
    }
}

/// Markup-like text in every kind of field of the act and the claim: printed literally, pages stay
/// A4 (`#set page(width: 1cm)` is not executed), lone `]`, `[`, `$` do not break the template.
#[test]
fn act_and_claim_text_is_never_markup() {
    let engine = DocEngine::new();
    let tokens = [
        "#panic(\"INJECT\")",
        "$x^2$",
        "*b*",
        "_i_",
        "[l]",
        "@ref",
        "<lab>",
        "/* d */",
        "`raw`",
        "#set page(width: 1cm)",
    ];

    let mut act = sample_reconciliation(6);
    act.number = NASTY.to_owned();
    act.seller.name = NASTY.to_owned();
    act.buyer.name = NASTY.to_owned();
    act.contract = Some(NASTY.to_owned());
    act.rows[0].document = NASTY.to_owned();
    act.rows[1].document = "#set page(width: 1cm)".to_owned();
    act.rows[2].document = "]".to_owned();
    act.rows[3].document = "$".to_owned();
    act.rows[4].document = "[".to_owned();
    act.rows[5].document = "\\".to_owned();
    act.opening_credit = "$".to_owned();
    act.conclusion = NASTY.to_owned();
    act.seller_signatory = NASTY.to_owned();
    act.seller_accountant = NASTY.to_owned();
    let (_, pdf) = export_checked(engine.compile_reconciliation(&act));
    if let Some(text) = pdf_text("act-nasty", &pdf) {
        for token in tokens {
            assert!(
                text.joined.matches(&normalize(token)).count() >= 8,
                "act: {token:?} not printed literally everywhere"
            );
        }
        text.assert_contains(NASTY);
    }

    let mut claim = sample_claim();
    claim.number = NASTY.to_owned();
    claim.seller.name = NASTY.to_owned();
    claim.buyer.name = NASTY.to_owned();
    claim.contract = Some(NASTY.to_owned());
    claim.debts[0].document = NASTY.to_owned();
    claim.debts[1].document = "]".to_owned();
    claim.debts[2].document = "$".to_owned();
    claim.debt_total_words = NASTY.to_owned();
    claim.interest_title = NASTY.to_owned();
    claim.interest_rows[0].rate = "#set page(width: 1cm)".to_owned();
    claim.bank_details = format!("{NASTY}\n]\n$");
    claim.suit_possible_from = "[".to_owned();
    claim.signatory = NASTY.to_owned();
    let (_, pdf) = export_checked(engine.compile_claim(&claim));
    if let Some(text) = pdf_text("claim-nasty", &pdf) {
        for token in tokens {
            assert!(
                text.joined.matches(&normalize(token)).count() >= 10,
                "claim: {token:?} not printed literally everywhere"
            );
        }
        text.assert_contains(NASTY);
    }
}
