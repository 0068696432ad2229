use prospekt_files::{Format, ReadError, read_table};

fn cells(table: &prospekt_files::Table) -> Vec<(usize, Vec<&str>)> {
    table
        .rows
        .iter()
        .map(|row| (row.line, row.cells.iter().map(String::as_str).collect()))
        .collect()
}

#[test]
fn utf8_without_bom() {
    let table = read_table("Название;ИНН\nООО Ромашка;7707083893\n".as_bytes()).unwrap();
    assert_eq!(table.headers, ["Название", "ИНН"]);
    assert_eq!(cells(&table), [(2, vec!["ООО Ромашка", "7707083893"])]);
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ';'
        }
    );
}

#[test]
fn utf8_with_bom_does_not_leak_into_first_header() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice("ИНН,Название\r\n7707083893,Сбербанк\r\n".as_bytes());
    let table = read_table(&bytes).unwrap();
    assert_eq!(table.headers, ["ИНН", "Название"]);
    assert_eq!(cells(&table), [(2, vec!["7707083893", "Сбербанк"])]);
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ','
        }
    );
}

#[test]
fn windows_1251_cyrillic() {
    let text = "ФИО;Телефон;Компания\r\nИванов Иван Петрович;+7 916 123-45-67;ООО «Ромашка» №1\r\nЁлкина Пётр;;\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the sample must not be valid UTF-8"
    );
    let table = read_table(&bytes).unwrap();
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "windows-1251",
            separator: ';'
        }
    );
    assert_eq!(table.headers, ["ФИО", "Телефон", "Компания"]);
    assert_eq!(
        cells(&table),
        [
            (2, vec!["Иванов Иван Петрович", "+7 916 123-45-67", "ООО «Ромашка» №1"]),
            (3, vec!["Ёлкина Пётр", "", ""]),
        ]
    );
}

#[test]
fn utf16_with_bom_is_decoded() {
    let text = "ФИО\tИНН\r\nИванов\t7707083893\r\n";
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let table = read_table(&le).unwrap();
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "utf-16le",
            separator: '\t'
        }
    );
    assert_eq!(cells(&table), [(2, vec!["Иванов", "7707083893"])]);

    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(
        read_table(&be).unwrap().format,
        Format::Csv {
            encoding: "utf-16be",
            separator: '\t'
        }
    );
}

#[test]
fn utf16_without_bom_is_detected() {
    let text = "Name;INN\r\nIvanov;7707083893\r\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let table = read_table(&le).unwrap();
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "utf-16le",
            separator: ';'
        }
    );
    assert_eq!(cells(&table), [(2, vec!["Ivanov", "7707083893"])]);
}

#[test]
fn cp866_is_an_unknown_encoding() {
    let (bytes, _, _) = encoding_rs::IBM866.encode("ФИО;Город\nИванов Иван Петрович;Москва\nСидорова Анна;Тверь\n");
    let error = read_table(&bytes).unwrap_err();
    assert_eq!(error, ReadError::UnknownEncoding);
    assert_eq!(error.code(), "file_encoding");
}

#[test]
fn separator_sniffing() {
    let semicolon = read_table(b"a;b;c\n1;2,5;3\n").unwrap();
    assert_eq!(
        semicolon.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ';'
        }
    );
    assert_eq!(semicolon.rows[0].cells, ["1", "2,5", "3"]);

    let comma = read_table(b"a,b,c\n1,2;5,3\n").unwrap();
    assert_eq!(
        comma.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ','
        }
    );
    assert_eq!(comma.rows[0].cells, ["1", "2;5", "3"]);

    let tab = read_table(b"a\tb\tc\n1\t2, 5\t3\n").unwrap();
    assert_eq!(
        tab.format,
        Format::Csv {
            encoding: "utf-8",
            separator: '\t'
        }
    );
    assert_eq!(tab.rows[0].cells, ["1", "2, 5", "3"]);

    // Tie between `;` and `,` goes to `;`.
    let tie = read_table(b"a;b,c\n1;2,3\n").unwrap();
    assert_eq!(
        tie.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ';'
        }
    );
    assert_eq!(tie.headers, ["a", "b,c"]);

    // Separators inside quotes do not count: three commas are quoted, two semicolons are real.
    let quoted = read_table(b"\"x,y,z,w\";b;c\n1;2;3\n").unwrap();
    assert_eq!(
        quoted.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ';'
        }
    );
    assert_eq!(quoted.headers, ["x,y,z,w", "b", "c"]);

    // A single column is not split on commas in the data.
    let single = read_table("Название\nООО Ромашка, филиал\n".as_bytes()).unwrap();
    assert_eq!(single.rows[0].cells, ["ООО Ромашка, филиал"]);
}

#[test]
fn excel_sep_hint_is_honoured_and_counted_as_a_line() {
    let table = read_table(b"sep=,\r\na;b,c\r\n1;2,3\r\n").unwrap();
    assert_eq!(
        table.format,
        Format::Csv {
            encoding: "utf-8",
            separator: ','
        }
    );
    assert_eq!(table.headers, ["a;b", "c"]);
    assert_eq!(cells(&table), [(3, vec!["1;2", "3"])]);
}

#[test]
fn quoted_separators_and_embedded_newlines_keep_line_numbers() {
    let text = "Название;Заметка;Телефон\r\n\
                \"ООО \"\"Ромашка\"\"; филиал\";\"строка 1\r\nстрока 2\nстрока 3\";+7 916\r\n\
                Второй;x;y\r\n\
                \r\n\
                Третий;\"a;b\";z\r\n";
    let table = read_table(text.as_bytes()).unwrap();
    assert_eq!(table.headers, ["Название", "Заметка", "Телефон"]);
    assert_eq!(
        cells(&table),
        [
            (
                2,
                vec!["ООО \"Ромашка\"; филиал", "строка 1\r\nстрока 2\nстрока 3", "+7 916"]
            ),
            (5, vec!["Второй", "x", "y"]),
            (7, vec!["Третий", "a;b", "z"]),
        ]
    );
}

#[test]
fn cells_are_trimmed_padded_and_empty_rows_skipped() {
    let text = "\n\n  a ; b ;c;;\n;;\n 1 ;\u{a0}2\u{a0}\n3;4;5;;\n6;7;8;extra;\n";
    let table = read_table(text.as_bytes()).unwrap();
    assert_eq!(table.headers, ["a", "b", "c"]);
    assert_eq!(
        cells(&table),
        [
            (5, vec!["1", "2", ""]),
            (6, vec!["3", "4", "5"]),
            (7, vec!["6", "7", "8", "extra"])
        ]
    );
}

#[test]
fn unquoted_quotes_in_1c_style_names_are_literal() {
    let table = read_table("Название;ИНН\nООО \"Ромашка\";7707083893\n".as_bytes()).unwrap();
    assert_eq!(table.rows[0].cells, ["ООО \"Ромашка\"", "7707083893"]);
}

#[test]
fn unclosed_quote_is_malformed_with_its_line() {
    let error = read_table(b"a;b\n1;2\n3;\"never closed\n4;5\n6;7\n").unwrap_err();
    assert_eq!(
        error,
        ReadError::Malformed {
            line: 3,
            reason: "a quoted field is never closed".to_owned()
        }
    );
    assert_eq!(error.code(), "file_malformed");
}

#[test]
fn empty_and_header_only_files() {
    for bytes in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b"   \r\n\n",
        b"a;b;c",
        b"a;b;c\r\n",
        b"a;b\n;\n  ; \n",
        b";;;\n",
    ] {
        let error = read_table(bytes).unwrap_err();
        assert_eq!(error, ReadError::Empty, "{bytes:?}");
        assert_eq!(error.code(), "file_empty");
    }
}

#[test]
fn binary_files_are_not_tables() {
    let png =
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
    let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01";
    let gzip = b"\x1F\x8B\x08\x00\x00\x00\x00\x00";
    let noise: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let controls: Vec<u8> = (0..1000).map(|i| if i % 10 == 0 { 0x07 } else { b'a' }).collect();
    for bytes in [&png[..], pdf, jpeg, gzip, &noise, &controls] {
        let error = read_table(bytes).unwrap_err();
        assert_eq!(error, ReadError::NotATable, "{:?}", &bytes[..8]);
        assert_eq!(error.code(), "file_not_table");
    }
}

#[test]
fn zip_that_is_not_a_workbook_is_not_a_table() {
    use std::io::Write;
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    archive
        .start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    archive.write_all(b"hello").unwrap();
    let bytes = archive.finish().unwrap().into_inner();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    assert_eq!(read_table(&bytes).unwrap_err(), ReadError::NotATable);

    assert_eq!(read_table(b"PK\x03\x04garbage").unwrap_err(), ReadError::NotATable);
}

#[test]
fn ole_file_that_is_not_a_workbook_is_not_a_table() {
    let mut bytes = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    bytes.resize(1024, 0);
    assert_eq!(read_table(&bytes).unwrap_err(), ReadError::NotATable);
}
