//! Demo/benchmark data: a realistic offer with consistent arithmetic.

use crate::{OfferDocument, OfferLine, Party, TotalRow};
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
        seller: Party {
            name: "ООО «Проспект-Электро»".to_owned(),
            inn: "7701234567".to_owned(),
            kpp: "770101001".to_owned(),
            ogrn: "1187746123456".to_owned(),
            address: "123456, г. Москва, ул. Большая Полянка, д. 7/10, стр. 3, офис 12".to_owned(),
            bank: "р/с 40702810938000012345 в ПАО Сбербанк г. Москва, БИК 044525225, к/с 30101810400000000225"
                .to_owned(),
            phone: "+7 495 123-45-67".to_owned(),
            email: "sales@prospekt-electro.ru".to_owned(),
        },
        buyer: Party {
            name: "ООО «Торговый дом „Ёлка“ #1»".to_owned(),
            inn: "5003012345".to_owned(),
            kpp: "500301001".to_owned(),
            ogrn: "1025000123456".to_owned(),
            address: "142700, Московская обл., г. Видное, Белокаменное ш., д. 1, корп. 2".to_owned(),
            bank: String::new(),
            phone: "+7 495 765-43-21".to_owned(),
            email: "zakupki@elka-td.ru".to_owned(),
        },
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
