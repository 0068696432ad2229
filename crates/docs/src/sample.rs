//! Demo/benchmark data: a realistic offer with consistent arithmetic.

use crate::{OfferDocument, OfferLine, Party, TotalRow};

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

/// `1234567` → `"1 234 567"` (non-breaking spaces between groups).
fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// Kopecks → `"1 234,56"`.
fn money(kopecks: i64) -> String {
    let sign = if kopecks < 0 { "-" } else { "" };
    let k = kopecks.abs();
    format!("{sign}{},{:02}", group_digits(k / 100), k % 100)
}

fn plural<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (_, 11..=14) => many,
        (1, _) => one,
        (2..=4, _) => few,
        _ => many,
    }
}

/// Numbers below 1000 in words; `feminine` for thousands («одна», «две»).
fn triple_in_words(n: i64, feminine: bool, out: &mut Vec<&'static str>) {
    const HUNDREDS: [&str; 10] = [
        "",
        "сто",
        "двести",
        "триста",
        "четыреста",
        "пятьсот",
        "шестьсот",
        "семьсот",
        "восемьсот",
        "девятьсот",
    ];
    const TENS: [&str; 10] = [
        "",
        "",
        "двадцать",
        "тридцать",
        "сорок",
        "пятьдесят",
        "шестьдесят",
        "семьдесят",
        "восемьдесят",
        "девяносто",
    ];
    const TEENS: [&str; 10] = [
        "десять",
        "одиннадцать",
        "двенадцать",
        "тринадцать",
        "четырнадцать",
        "пятнадцать",
        "шестнадцать",
        "семнадцать",
        "восемнадцать",
        "девятнадцать",
    ];
    const ONES: [&str; 10] = [
        "",
        "один",
        "два",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ];
    let (h, t, o) = ((n / 100) as usize, (n / 10 % 10) as usize, (n % 10) as usize);
    out.push(HUNDREDS[h]);
    if t == 1 {
        out.push(TEENS[o]);
        return;
    }
    out.push(TENS[t]);
    out.push(match (o, feminine) {
        (1, true) => "одна",
        (2, true) => "две",
        _ => ONES[o],
    });
}

/// `13890000` kopecks → «Сто тридцать восемь тысяч девятьсот рублей 00 копеек».
fn rubles_in_words(kopecks: i64) -> String {
    let (rub, kop) = (kopecks / 100, kopecks % 100);
    let mut words: Vec<&'static str> = Vec::new();
    if rub == 0 {
        words.push("ноль");
    }
    let scales: [(i64, bool, [&str; 3]); 3] = [
        (1_000_000_000, false, ["миллиард", "миллиарда", "миллиардов"]),
        (1_000_000, false, ["миллион", "миллиона", "миллионов"]),
        (1_000, true, ["тысяча", "тысячи", "тысяч"]),
    ];
    for (scale, feminine, [one, few, many]) in scales {
        let group = rub / scale % 1000;
        if group > 0 {
            triple_in_words(group, feminine, &mut words);
            words.push(plural(group, one, few, many));
        }
    }
    triple_in_words(rub % 1000, false, &mut words);
    let text = words
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut chars = text.chars();
    let capitalized = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect::<String>())
        .unwrap_or_default();
    format!(
        "{capitalized} {} {kop:02} {}",
        plural(rub, "рубль", "рубля", "рублей"),
        plural(kop, "копейка", "копейки", "копеек")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_words() {
        assert_eq!(
            rubles_in_words(13_890_000),
            "Сто тридцать восемь тысяч девятьсот рублей 00 копеек"
        );
        assert_eq!(rubles_in_words(2_101), "Двадцать один рубль 01 копейка");
        assert_eq!(rubles_in_words(0), "Ноль рублей 00 копеек");
        assert_eq!(rubles_in_words(20_000_000_042), "Двести миллионов рублей 42 копейки");
        assert_eq!(
            rubles_in_words(1_212_011_400),
            "Двенадцать миллионов сто двадцать тысяч сто четырнадцать рублей 00 копеек"
        );
        assert_eq!(rubles_in_words(100_100), "Одна тысяча один рубль 00 копеек");
    }

    #[test]
    fn money_format() {
        assert_eq!(money(13_890_000), "138\u{a0}900,00");
        assert_eq!(money(5), "0,05");
        assert_eq!(money(-123_456_789), "-1\u{a0}234\u{a0}567,89");
    }
}
