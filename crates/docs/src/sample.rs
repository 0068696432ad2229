//! Demo/benchmark data: a realistic offer, reconciliation act and claim with consistent arithmetic.

use crate::{
    ActRow, ClaimDebt, ClaimInterestRow, ClaimLetter, OfferDocument, OfferLine, Party, ReconciliationAct, TotalRow,
};
use prospekt_domain::money::Money;

/// (SKU, name, unit, list price in kopecks). Some names deliberately contain characters that are
/// special in typst markup (`#`, `$`, `*`, `_`, `[`, `]`, `\`, `@`, `<`, `/`): they must be printed
/// literally.
const CATALOG: &[(&str, &str, &str, i64)] = &[
    (
        "KBL-3x2.5",
        "Кабель ВВГнг(А)-LS 3×2,5 мм² «Экопром», ГОСТ 31996-2012",
        "м",
        12_450,
    ),
    (
        "AVT-C16",
        "Автоматический выключатель 1P C16 А 4,5 кА серии «ВА47-29»",
        "шт.",
        38_900,
    ),
    (
        "UZO-40",
        "Устройство защитного отключения 2P 40 А 30 мА, тип AC",
        "шт.",
        214_000,
    ),
    (
        "HOM-5",
        "Хомут нейлоновый №5 \"Стандарт\" 4,8×300 мм [упак. 100 шт.]",
        "упак.",
        41_500,
    ),
    (
        "SMZ-#2",
        "Смазка #2 *ВМ-1* $5 _x_ [a] \\b — универсальная, 400 г",
        "шт.",
        52_990,
    ),
    (
        "LMP-LED12",
        "Лампа светодиодная E27 12 Вт 4000 К (ёлочная гирлянда не входит)",
        "шт.",
        18_700,
    ),
    (
        "SHK-24",
        "Щит распределительный ЩРН-24 навесной, IP41, с DIN-рейкой",
        "шт.",
        356_000,
    ),
    (
        "GOF-20",
        "Труба гофрированная ПВХ d20 мм с зондом, бухта 100 м",
        "бухта",
        189_000,
    ),
    (
        "KLM-222",
        "Клемма соединительная 222-413 (3×0,08–4 мм²) WAGO-совместимая",
        "упак.",
        96_000,
    ),
    (
        "RZT-2",
        "Розетка двойная с заземлением, белая, серия @Home <Классик>",
        "шт.",
        27_450,
    ),
    (
        "VKL-1",
        "Выключатель одноклавишный скрытой установки // серия «Этюд»",
        "шт.",
        19_900,
    ),
    (
        "MNT-SVC",
        "Монтаж электроустановочных изделий /* выезд бригады */ = 1 точка",
        "усл.",
        65_000,
    ),
    ("IZL-19", "Изолента ПВХ 19 мм × 20 м, чёрная", "шт.", 8_900),
    (
        "DUB-6",
        "Дюбель-хомут 6–12 мм для круглого кабеля, упаковка 100 шт.",
        "упак.",
        45_600,
    ),
    (
        "SCH-1F",
        "Счётчик электроэнергии однофазный многотарифный 5(80) А, класс 1",
        "шт.",
        489_000,
    ),
];

const VAT_PERCENT: i64 = 22;

/// A realistic commercial offer with `lines` table rows, consistent totals and the amount in
/// words. Public for demos, manual checks and rendering benchmarks; not business logic (money
/// formatting and amounts in words for real documents come from the domain crate).
pub fn sample_offer(lines: usize) -> OfferDocument {
    let mut rows = Vec::with_capacity(lines);
    let (mut list_total, mut total) = (0_i64, 0_i64);
    for i in 0..lines {
        let (sku, name, unit, list_price) = CATALOG[i % CATALOG.len()];
        let quantity = match unit {
            "м" => 50 * (1 + (i as i64 % 4)),
            _ => 1 + (i as i64 * 7) % 24,
        };
        let discount = [0, 5, 0, 3, 10, 0][i % 6];
        let price = round_div(list_price * (100 - discount), 100);
        let amount = price * quantity;
        list_total += list_price * quantity;
        total += amount;
        let no = i + 1;
        rows.push(OfferLine {
            no: u32::try_from(no).unwrap_or(u32::MAX),
            sku: if i < CATALOG.len() {
                sku.to_owned()
            } else {
                format!("{sku}/{}", i / CATALOG.len())
            },
            name: name.to_owned(),
            unit: unit.to_owned(),
            quantity: group_digits(quantity),
            list_price: money(list_price),
            discount: if discount == 0 {
                String::new()
            } else {
                format!("{discount}\u{a0}%")
            },
            price: money(price),
            vat: format!("{VAT_PERCENT}\u{a0}%"),
            amount: money(amount),
        });
    }
    let vat = round_div(total * VAT_PERCENT, 100 + VAT_PERCENT);
    let bonus = total / 100 / 100;

    OfferDocument {
        number: "КП-000042".to_owned(),
        version: 2,
        date: "27.11.2026".to_owned(),
        valid_until: "11.12.2026".to_owned(),
        seller: sample_seller(),
        buyer: sample_buyer(),
        intro: "Уважаемый Пётр Сергеевич!\n\nБлагодарим Вас за интерес к продукции ООО «Проспект-Электро». \
                По Вашему запросу № 17/11 от 20.11.2026 предлагаем поставку электротехнической продукции \
                на перечисленных ниже условиях. Цены указаны в рублях с учётом персональной скидки \
                и действующих акций; товар сертифицирован, на всю продукцию предоставляется гарантия \
                производителя не менее 12 месяцев."
            .to_owned(),
        vat_included: true,
        lines: rows,
        totals: vec![
            TotalRow {
                label: "Итого по прайсу".to_owned(),
                value: money(list_total),
                bold: false,
            },
            TotalRow {
                label: "Скидка".to_owned(),
                value: money(list_total - total),
                bold: false,
            },
            TotalRow {
                label: "Итого без НДС".to_owned(),
                value: money(total - vat),
                bold: false,
            },
            TotalRow {
                label: format!("в т. ч. НДС {VAT_PERCENT}\u{a0}%"),
                value: money(vat),
                bold: false,
            },
            TotalRow {
                label: "Всего к оплате".to_owned(),
                value: money(total),
                bold: true,
            },
        ],
        total_in_words: rubles_in_words(total),
        notes: vec![
            "Применена акция «Чёрная пятница»: скидка 5 % на кабельно-проводниковую продукцию.".to_owned(),
            format!(
                "За заказ будет начислено {} бонусных баллов (1 % от суммы).",
                group_digits(bonus)
            ),
            "Условия оплаты: предоплата 50 % в течение 3 банковских дней с даты счёта, остаток — \
             в течение 5 банковских дней после отгрузки."
                .to_owned(),
            "Доставка: бесплатно по Москве в пределах МКАД при заказе от 30 000 руб., срок поставки — \
             3–5 рабочих дней с момента оплаты."
                .to_owned(),
            "Код купона: #SALE_2026 [*] $10 \\ 50% — не суммируется с другими акциями.".to_owned(),
        ],
        signer_position: "Менеджер по работе с ключевыми клиентами".to_owned(),
        signer_name: "Иванов И. И.".to_owned(),
        manager_contacts: "+7 495 123-45-67, доб. 204, ivanov@prospekt-electro.ru".to_owned(),
    }
}

fn sample_seller() -> Party {
    Party {
        name: "ООО «Проспект-Электро»".to_owned(),
        inn: "7701234567".to_owned(),
        kpp: "770101001".to_owned(),
        ogrn: "1187746123456".to_owned(),
        address: "123456, г. Москва, ул. Большая Полянка, д. 7/10, стр. 3, офис 12".to_owned(),
        bank: "р/с 40702810938000012345 в ПАО Сбербанк г. Москва, БИК 044525225, к/с 30101810400000000225".to_owned(),
        phone: "+7 495 123-45-67".to_owned(),
        email: "sales@prospekt-electro.ru".to_owned(),
    }
}

fn sample_buyer() -> Party {
    Party {
        name: "ООО «Торговый дом „Ёлка“ #1»".to_owned(),
        inn: "5003012345".to_owned(),
        kpp: "500301001".to_owned(),
        ogrn: "1025000123456".to_owned(),
        address: "142700, Московская обл., г. Видное, Белокаменное ш., д. 1, корп. 2".to_owned(),
        bank: String::new(),
        phone: "+7 495 765-43-21".to_owned(),
        email: "zakupki@elka-td.ru".to_owned(),
    }
}

/// A reconciliation act for 01.10.2026–30.11.2026 with `rows` documents: shipments (debit),
/// payments of the two oldest unpaid shipments (credit) and now and then a return (credit); turnovers,
/// closing balance and the conclusion add up. Public for demos, manual checks and rendering
/// benchmarks.
pub fn sample_reconciliation(rows: usize) -> ReconciliationAct {
    let seller = sample_seller();
    let buyer = sample_buyer();
    let (first, last) = (day_2026(1, 10), day_2026(30, 11));
    let opening = 9_600_000_i64;
    // Unpaid amounts, oldest first (the opening balance is the oldest).
    let mut unpaid = std::collections::VecDeque::from([opening]);
    let (mut debit, mut credit) = (0_i64, 0_i64);
    let (mut shipment_no, mut payment_no, mut return_no) = (1040, 2231, 17);
    let span = usize::try_from(last - first + 1).unwrap_or(1);
    let mut act_rows = Vec::with_capacity(rows);
    for i in 0..rows {
        let date = date_2026(first + i64::try_from(i * span / rows).unwrap_or(0));
        let (document, amount, is_debit) = if i % 11 == 10
            && let Some(open) = unpaid.back_mut().filter(|open| **open > 0)
        {
            // A return of part of the latest unpaid shipment.
            return_no += 1;
            let amount = (150_000 + (i as i64 * 7_919) % 1_200_000).min(*open);
            *open -= amount;
            let doc = format!("Возврат (корректировочный УПД № В-2026-{return_no:06} от {date})");
            (doc, amount, false)
        } else if i % 3 == 2 && !unpaid.is_empty() {
            // One payment order for the two oldest unpaid amounts.
            payment_no += 1;
            let amount = unpaid.pop_front().unwrap_or(0) + unpaid.pop_front().unwrap_or(0);
            (format!("Оплата (п/п № {payment_no} от {date})"), amount, false)
        } else {
            shipment_no += 1;
            let amount = 500_000 + (i as i64 * 3_790_121) % 14_000_000;
            unpaid.push_back(amount);
            (
                format!("Продажа (УПД № С-2026-{shipment_no:06} от {date})"),
                amount,
                true,
            )
        };
        if is_debit {
            debit += amount;
        } else {
            credit += amount;
        }
        act_rows.push(ActRow {
            date,
            document,
            debit: if is_debit { money(amount) } else { String::new() },
            credit: if is_debit { String::new() } else { money(amount) },
        });
    }
    let closing = opening + debit - credit;
    let period_to = date_2026(last);
    let conclusion = match closing {
        0 => format!("По данным {} на {period_to} задолженность отсутствует.", seller.name),
        _ => format!(
            "По данным {} на {period_to} задолженность в пользу {} составляет {} руб. ({}).",
            seller.name,
            if closing > 0 { &seller.name } else { &buyer.name },
            money(closing.abs()),
            rubles_in_words(closing.abs()),
        ),
    };
    ReconciliationAct {
        number: "АС-2026-000012".to_owned(),
        date: "01.12.2026".to_owned(),
        period_from: date_2026(first),
        period_to,
        seller,
        buyer,
        contract: Some("по договору поставки № 17/П от 01.02.2026".to_owned()),
        opening_debit: money(opening),
        opening_credit: String::new(),
        rows: act_rows,
        turnover_debit: money(debit),
        turnover_credit: money(credit),
        closing_debit: if closing > 0 { money(closing) } else { String::new() },
        closing_credit: if closing < 0 { money(-closing) } else { String::new() },
        conclusion,
        seller_signatory: "Петров П. П.".to_owned(),
        seller_accountant: "Смирнова О. В.".to_owned(),
    }
}

/// Key rate used by the sample claim (in force from 27.07.2026 by the unverified table in
/// `receivables-and-claims.md`; illustrative only).
const SAMPLE_KEY_RATE: i64 = 14;

/// `(day of the year, kopecks)`.
type LatePayment = (i64, i64);

/// A claim dated 06.11.2026 (suit possible from 08.12.2026, see `receivables-and-claims.md` §5)
/// for three overdue shipments, one of them partly paid after its due date, with art. 395
/// interest split where the base changes. Public for demos and manual checks.
pub fn sample_claim() -> ClaimLetter {
    let seller = sample_seller();
    let claim_day = day_2026(6, 11);
    // (document, due date, amount, payments after the due date).
    let shipments: [(&str, i64, i64, &[LatePayment]); 3] = [
        (
            "УПД № С-2026-000987 от 08.09.2026",
            day_2026(8, 10),
            12_840_000,
            &[(day_2026(20, 10), 8_000_000)],
        ),
        ("УПД № С-2026-001012 от 22.09.2026", day_2026(22, 10), 4_560_000, &[]),
        ("УПД № С-2026-001031 от 29.09.2026", day_2026(29, 10), 21_235_040, &[]),
    ];
    let (mut debts, mut interest_rows) = (Vec::new(), Vec::new());
    let (mut debt_total, mut interest_total) = (0_i64, 0_i64);
    for (document, due, amount, payments) in shipments {
        // Interest runs from the day after the due date to the claim date inclusive; a payment
        // reduces the base from the next day.
        let (mut base, mut from) = (amount, due + 1);
        let periods = payments.iter().copied().chain([(claim_day, 0)]);
        for (to, paid) in periods {
            let days = to - from + 1;
            let interest = round_div(base * SAMPLE_KEY_RATE * days, 100 * 365);
            interest_rows.push(ClaimInterestRow {
                from: date_2026(from),
                to: date_2026(to),
                days: days.to_string(),
                base: money(base),
                rate: format!("{SAMPLE_KEY_RATE},00\u{a0}%"),
                amount: money(interest),
            });
            interest_total += interest;
            base -= paid;
            from = to + 1;
        }
        debt_total += base;
        debts.push(ClaimDebt {
            document: document.to_owned(),
            due: date_2026(due),
            amount: money(amount),
            open: money(base),
        });
    }
    let claim_total = debt_total + interest_total;
    ClaimLetter {
        number: "П-2026-000007".to_owned(),
        date: date_2026(claim_day),
        bank_details: seller.bank.clone(),
        seller,
        buyer: sample_buyer(),
        contract: Some("по договору поставки № 17/П от 01.02.2026".to_owned()),
        debts,
        debt_total: money(debt_total),
        debt_total_words: rubles_in_words(debt_total),
        interest_title: "Проценты по ст. 395 ГК РФ".to_owned(),
        interest_rows,
        interest_total: money(interest_total),
        claim_total: money(claim_total),
        claim_total_words: rubles_in_words(claim_total),
        pay_within_days: 10,
        suit_possible_from: "08.12.2026".to_owned(),
        signatory: "Петров П. П.".to_owned(),
    }
}

/// Day of the year 2026 (not a leap year) → `"dd.mm.2026"`.
fn date_2026(day: i64) -> String {
    let mut day = day;
    for (month, len) in MONTHS_2026.iter().enumerate() {
        if day <= *len {
            return format!("{day:02}.{:02}.2026", month + 1);
        }
        day -= len;
    }
    format!("{day}.??.2026")
}

/// `(day, month)` → day of the year 2026 (1 January = 1).
fn day_2026(day: i64, month: usize) -> i64 {
    MONTHS_2026[..month - 1].iter().sum::<i64>() + day
}

const MONTHS_2026: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

fn round_div(a: i64, b: i64) -> i64 {
    (a + b / 2).div_euclid(b)
}

/// A whole number with thousands grouped by no-break spaces (`"1 234"`).
fn group_digits(n: i64) -> String {
    prospekt_domain::pricing::Quantity::from_thousandths(n * 1000)
        .map(|q| q.format_ru())
        .unwrap_or_else(|_| n.to_string())
}

/// Kopecks → `"1 234,56"`, as on real documents.
fn money(kopecks: i64) -> String {
    Money::from_kopecks(kopecks).format_ru()
}

/// Kopecks → «Сто тридцать восемь тысяч девятьсот рублей 00 копеек».
fn rubles_in_words(kopecks: i64) -> String {
    prospekt_domain::words::rubles_in_words(Money::from_kopecks(kopecks))
}
