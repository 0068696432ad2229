//! Amounts in Russian words (сумма прописью), as invoices, acts and contracts print them:
//! «Сто тридцать восемь тысяч девятьсот рублей 00 копеек».
//!
//! Rules: roubles in words, kopecks as two digits; the first letter capitalised; the noun
//! agrees with the number (1 рубль, 2–4 рубля, 5–20 рублей; 11–14 always рублей; 21 рубль);
//! «тысяча» is feminine (одна тысяча, две тысячи), «рубль», «миллион», «миллиард» and the
//! larger scales are masculine (один рубль, два миллиона).

use crate::Money;

const ONES_MASCULINE: [&str; 10] = [
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
const ONES_FEMININE: [&str; 10] = [
    "",
    "одна",
    "две",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
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

/// Grammatical gender of the noun counted by a group of three digits.
#[derive(Clone, Copy)]
enum Gender {
    Masculine,
    Feminine,
}

/// Scales above the units, lowest first: (gender, one, few, many). Quadrillions cover the
/// whole `i64` range of [`Money`] (about 92 quadrillion roubles), so no amount is refused.
const SCALES: [(Gender, &str, &str, &str); 5] = [
    (Gender::Feminine, "тысяча", "тысячи", "тысяч"),
    (Gender::Masculine, "миллион", "миллиона", "миллионов"),
    (Gender::Masculine, "миллиард", "миллиарда", "миллиардов"),
    (Gender::Masculine, "триллион", "триллиона", "триллионов"),
    (Gender::Masculine, "квадриллион", "квадриллиона", "квадриллионов"),
];

/// The Russian plural form for `n`: `one` for 1, 21, 101…; `few` for 2–4, 22–24…; `many`
/// for 0, 5–20, 25–30… and for every number ending in 11–14.
pub fn plural_ru<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    if (11..=14).contains(&(n % 100)) {
        return many;
    }
    match n % 10 {
        1 => one,
        2..=4 => few,
        _ => many,
    }
}

/// Appends the words of `n` (0 < n < 1000) to `out`.
fn push_triad(out: &mut Vec<&'static str>, n: u64, gender: Gender) {
    let (hundreds, rest) = ((n / 100) as usize, n % 100);
    if hundreds > 0 {
        out.push(HUNDREDS[hundreds]);
    }
    if (10..20).contains(&rest) {
        out.push(TEENS[(rest - 10) as usize]);
        return;
    }
    let (tens, ones) = ((rest / 10) as usize, (rest % 10) as usize);
    if tens > 0 {
        out.push(TENS[tens]);
    }
    if ones > 0 {
        let table = match gender {
            Gender::Masculine => &ONES_MASCULINE,
            Gender::Feminine => &ONES_FEMININE,
        };
        out.push(table[ones]);
    }
}

/// Whole roubles in words, lower case, without the currency noun; `ноль` for 0.
fn number_in_words(n: u64) -> Vec<&'static str> {
    if n == 0 {
        return vec!["ноль"];
    }
    // Groups of three digits, lowest first: units, thousands, millions, …
    let mut groups = Vec::new();
    let mut rest = n;
    while rest > 0 {
        groups.push(rest % 1000);
        rest /= 1000;
    }
    let mut words = Vec::new();
    for (i, &group) in groups.iter().enumerate().rev() {
        if group == 0 {
            continue;
        }
        if i == 0 {
            // Units count roubles: masculine.
            push_triad(&mut words, group, Gender::Masculine);
        } else {
            let (gender, one, few, many) = SCALES[i - 1];
            push_triad(&mut words, group, gender);
            words.push(plural_ru(group, one, few, many));
        }
    }
    words
}

/// The amount in words for documents: «Сто тридцать восемь тысяч девятьсот рублей 00 копеек»,
/// «Ноль рублей 00 копеек», «Минус один рубль 50 копеек».
pub fn rubles_in_words(amount: Money) -> String {
    let kopecks = amount.kopecks();
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let abs = kopecks.unsigned_abs();
    let (rubles, kop) = (abs / 100, abs % 100);

    let mut words: Vec<&str> = Vec::new();
    if kopecks < 0 {
        words.push("минус");
    }
    words.extend(number_in_words(rubles));
    words.push(plural_ru(rubles, "рубль", "рубля", "рублей"));
    let text = format!(
        "{} {kop:02} {}",
        words.join(" "),
        plural_ru(kop, "копейка", "копейки", "копеек")
    );

    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rubles` roubles and `kop` kopecks.
    fn words(rubles: i64, kop: i64) -> String {
        rubles_in_words(Money::from_kopecks(rubles * 100 + kop))
    }

    #[test]
    fn plural_forms() {
        let f = |n| plural_ru(n, "рубль", "рубля", "рублей");
        for (n, form) in [
            (0, "рублей"),
            (1, "рубль"),
            (2, "рубля"),
            (4, "рубля"),
            (5, "рублей"),
            (11, "рублей"),
            (12, "рублей"),
            (14, "рублей"),
            (20, "рублей"),
            (21, "рубль"),
            (22, "рубля"),
            (101, "рубль"),
            (111, "рублей"),
            (112, "рублей"),
            (1000, "рублей"),
            (1_000_001, "рубль"),
        ] {
            assert_eq!(f(n), form, "{n}");
        }
    }

    #[test]
    fn small_amounts() {
        assert_eq!(words(0, 0), "Ноль рублей 00 копеек");
        assert_eq!(words(1, 0), "Один рубль 00 копеек");
        assert_eq!(words(2, 0), "Два рубля 00 копеек");
        assert_eq!(words(5, 0), "Пять рублей 00 копеек");
        assert_eq!(words(11, 0), "Одиннадцать рублей 00 копеек");
        assert_eq!(words(12, 0), "Двенадцать рублей 00 копеек");
        assert_eq!(words(21, 0), "Двадцать один рубль 00 копеек");
        assert_eq!(words(101, 0), "Сто один рубль 00 копеек");
        assert_eq!(words(111, 0), "Сто одиннадцать рублей 00 копеек");
        assert_eq!(words(40, 0), "Сорок рублей 00 копеек");
        assert_eq!(words(999, 0), "Девятьсот девяносто девять рублей 00 копеек");
    }

    #[test]
    fn thousands_are_feminine() {
        assert_eq!(words(1000, 0), "Одна тысяча рублей 00 копеек");
        assert_eq!(words(2000, 0), "Две тысячи рублей 00 копеек");
        assert_eq!(words(5000, 0), "Пять тысяч рублей 00 копеек");
        assert_eq!(words(21_000, 0), "Двадцать одна тысяча рублей 00 копеек");
        assert_eq!(words(12_000, 0), "Двенадцать тысяч рублей 00 копеек");
        assert_eq!(
            words(138_900, 0),
            "Сто тридцать восемь тысяч девятьсот рублей 00 копеек"
        );
    }

    #[test]
    fn millions_and_beyond_are_masculine() {
        assert_eq!(words(1_000_000, 0), "Один миллион рублей 00 копеек");
        assert_eq!(words(2_500_000, 0), "Два миллиона пятьсот тысяч рублей 00 копеек");
        assert_eq!(words(1_001_001, 0), "Один миллион одна тысяча один рубль 00 копеек");
        assert_eq!(words(5_000_002, 0), "Пять миллионов два рубля 00 копеек");
        assert_eq!(
            words(1_234_567_890, 12),
            "Один миллиард двести тридцать четыре миллиона пятьсот шестьдесят семь тысяч \
             восемьсот девяносто рублей 12 копеек"
        );
        assert_eq!(words(1_000_000_000_000, 0), "Один триллион рублей 00 копеек");
        assert_eq!(
            words(2_000_003_000_000, 0),
            "Два триллиона три миллиона рублей 00 копеек"
        );
    }

    #[test]
    fn kopecks_are_two_digits_with_their_form() {
        assert_eq!(words(0, 1), "Ноль рублей 01 копейка");
        assert_eq!(words(0, 2), "Ноль рублей 02 копейки");
        assert_eq!(words(0, 5), "Ноль рублей 05 копеек");
        assert_eq!(words(0, 11), "Ноль рублей 11 копеек");
        assert_eq!(words(0, 21), "Ноль рублей 21 копейка");
        assert_eq!(words(3, 99), "Три рубля 99 копеек");
    }

    #[test]
    fn negative_amounts_start_with_minus() {
        assert_eq!(words(-1, -50), "Минус один рубль 50 копеек");
        assert_eq!(rubles_in_words(Money::from_kopecks(-5)), "Минус ноль рублей 05 копеек");
        assert_eq!(words(-21_000, 0), "Минус двадцать одна тысяча рублей 00 копеек");
    }

    #[test]
    fn the_extremes_of_money_have_words() {
        // i64::MAX kopecks = 92 233 720 368 547 758,07 roubles.
        assert_eq!(
            rubles_in_words(Money::from_kopecks(i64::MAX)),
            "Девяносто два квадриллиона двести тридцать три триллиона семьсот двадцать миллиардов \
             триста шестьдесят восемь миллионов пятьсот сорок семь тысяч семьсот пятьдесят восемь \
             рублей 07 копеек"
        );
        assert!(rubles_in_words(Money::from_kopecks(i64::MIN)).starts_with("Минус девяносто два квадриллиона"));
        assert!(rubles_in_words(Money::from_kopecks(i64::MIN)).ends_with("рублей 08 копеек"));
    }
}
