use prospekt_files::{CsvWriter, Format, neutralize_formula, read_table};

fn export(headers: &[&str], rows: &[&[&str]]) -> Vec<u8> {
    let mut writer = CsvWriter::new(Vec::new(), headers).unwrap();
    for row in rows {
        writer.write_row(row).unwrap();
    }
    writer.finish().unwrap()
}

#[test]
fn csv_is_bom_semicolon_crlf_and_rectangular() {
    let bytes = export(
        &["ФИО", "Телефон", "Сумма"],
        &[&["Иванов", "+79161234567", "-150.00"], &["Петров"]],
    );
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(
        text,
        "\u{feff}ФИО;Телефон;Сумма\r\nИванов;+79161234567;-150.00\r\nПетров;;\r\n"
    );
}

#[test]
fn csv_quotes_separators_quotes_and_newlines() {
    let bytes = export(&["a", "b"], &[&["x;y", "ООО \"Ромашка\"\nвторая строка"]]);
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(
        text,
        "\u{feff}a;b\r\n\"x;y\";\"ООО \"\"Ромашка\"\"\nвторая строка\"\r\n"
    );
}

#[test]
fn csv_rejects_rows_wider_than_header() {
    let mut writer = CsvWriter::new(Vec::new(), &["a"]).unwrap();
    let error = writer.write_row(&["1", "2"]).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn csv_guards_against_formula_injection() {
    let bytes = export(
        &["=header", "b", "c", "d", "e", "f"],
        &[&[
            "=1+1",
            "@SUM(A1:A2)",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd",
            "+79161234567",
            "-150.00",
        ]],
    );
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(
        text,
        "\u{feff}'=header;b;c;d;e;f\r\n'=1+1;'@SUM(A1:A2);'+cmd|' /C calc'!A0;'-2+3+cmd;+79161234567;-150.00\r\n"
    );
}

#[test]
fn csv_export_reads_back() {
    let bytes = export(
        &["Название", "ИНН", "Заметка"],
        &[
            &["ООО «Ромашка»", "0123456789", "строка 1\r\nстрока 2"],
            &["ИП Петров", "500100732259", ""],
        ],
    );
    let table = read_table(&bytes).unwrap();
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ';'
        }
    );
    assert_eq!(table.headers, ["Название", "ИНН", "Заметка"]);
    assert_eq!(
        table.rows[0].cells,
        ["ООО «Ромашка»", "0123456789", "строка 1\r\nстрока 2"]
    );
    assert_eq!(table.rows[1].line, 4);
    assert_eq!(table.rows[1].cells, ["ИП Петров", "500100732259", ""]);
}

#[test]
fn guard_cases() {
    for (input, expected) in [
        ("=1+1", "'=1+1"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+1+A1", "'+1+A1"),
        ("-A1", "'-A1"),
        ("+79161234567", "+79161234567"),
        ("+7 (916) 123-45-67", "+7 (916) 123-45-67"),
        ("-150.00", "-150.00"),
        ("-", "-"),
        ("1=1", "1=1"),
        ("Иванов", "Иванов"),
    ] {
        assert_eq!(neutralize_formula(input), expected, "{input:?}");
    }
}
