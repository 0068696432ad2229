use chrono::NaiveDate;
use prospekt_files::{VCard, vcards};

#[test]
fn full_card_is_vcard_3_with_crlf_and_russian_n() {
    let card = VCard {
        full_name: "Иванов Иван Петрович",
        organization: Some("ООО \"Ромашка\""),
        title: Some("Директор"),
        phones: vec!["+7 (916) 123-45-67", " ", "+7 495 123-45-67"],
        emails: vec!["ivanov@romashka.ru"],
        birthday: NaiveDate::from_ymd_opt(1980, 5, 1),
        note: Some("Звонить после 10:00"),
    };
    assert_eq!(
        vcards(&[card]),
        "BEGIN:VCARD\r\n\
         VERSION:3.0\r\n\
         N:Иванов;Иван;Петрович;;\r\n\
         FN:Иванов Иван Петрович\r\n\
         ORG:ООО \"Ромашка\"\r\n\
         TITLE:Директор\r\n\
         TEL;TYPE=CELL,VOICE:+7 (916) 123-45-67\r\n\
         TEL;TYPE=WORK,VOICE:+7 495 123-45-67\r\n\
         EMAIL;TYPE=INTERNET:ivanov@romashka.ru\r\n\
         BDAY:1980-05-01\r\n\
         NOTE:Звонить после 10:00\r\n\
         END:VCARD\r\n"
    );
}

#[test]
fn special_characters_are_escaped() {
    let card = VCard {
        full_name: "Петров Пётр",
        organization: Some("Рога, копыта; и К\\о"),
        note: Some("строка 1\r\nстрока 2\nстрока 3\rконец"),
        ..VCard::default()
    };
    let out = vcards(&[card]);
    assert!(out.contains("\r\nN:Петров;Пётр;;;\r\n"), "{out}");
    assert!(out.contains("\r\nORG:Рога\\, копыта\\; и К\\\\о\r\n"), "{out}");
    assert!(
        out.contains("\r\nNOTE:строка 1\\nстрока 2\\nстрока 3\\nконец\r\n"),
        "{out}"
    );
    // No bare line breaks anywhere: every line ends with CRLF.
    assert_eq!(out.matches('\n').count(), out.matches("\r\n").count());
}

#[test]
fn long_lines_fold_at_75_octets_on_char_boundaries() {
    let note = "Очень длинная заметка о клиенте, которая точно не поместится в одну строку vCard. ".repeat(5);
    let card = VCard {
        full_name: "Сидорова Анна",
        note: Some(&note),
        ..VCard::default()
    };
    let out = vcards(&[card]);
    let lines: Vec<&str> = out.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines.iter().all(|line| line.len() <= 75), "{lines:#?}");
    let continuation = lines.iter().filter(|line| line.starts_with(' ')).count();
    assert!(continuation >= 8, "{continuation}");
    // Unfolding (RFC 2425: remove CRLF followed by one space) restores the escaped note exactly.
    let unfolded = out.replace("\r\n ", "");
    let expected = format!("NOTE:{}\r\n", note.trim().replace(',', "\\,"));
    assert!(unfolded.contains(&expected), "{unfolded}");
}

#[test]
fn n_is_derived_from_russian_name_order() {
    let n_of = |full_name: &str| {
        let out = vcards(&[VCard {
            full_name,
            ..VCard::default()
        }]);
        out.lines().find(|l| l.starts_with("N:")).unwrap().trim_end().to_owned()
    };
    assert_eq!(n_of("Иванов Иван Петрович"), "N:Иванов;Иван;Петрович;;");
    assert_eq!(n_of("Иванов Иван"), "N:Иванов;Иван;;;");
    assert_eq!(n_of("Алиев Рашид Гейдар оглы"), "N:Алиев;Рашид;Гейдар оглы;;");
    assert_eq!(n_of("Иван"), "N:;Иван;;;");
}

#[test]
fn nameless_contact_falls_back_to_organization_for_fn() {
    let card = VCard {
        organization: Some("АО «Вектор»"),
        ..VCard::default()
    };
    let out = vcards(&[card]);
    assert!(out.contains("\r\nFN:АО «Вектор»\r\n"), "{out}");
    assert!(out.contains("\r\nN:;;;;\r\n"), "{out}");
}

#[test]
fn several_cards_are_concatenated() {
    let cards = [
        VCard {
            full_name: "А Б",
            ..VCard::default()
        },
        VCard {
            full_name: "В Г",
            ..VCard::default()
        },
    ];
    let out = vcards(&cards);
    assert_eq!(out.matches("BEGIN:VCARD\r\n").count(), 2);
    assert_eq!(out.matches("END:VCARD\r\n").count(), 2);
}
