use std::io::Read;

use prospekt_files::{Format, ReadError, read_table, xlsx};

fn part(xlsx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut text = String::new();
    archive.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

fn sample() -> Vec<u8> {
    let rows = vec![
        vec![
            "ООО «Ромашка»".to_owned(),
            "7707083893".to_owned(),
            "773601001".to_owned(),
            "40702810900000012345".to_owned(),
            "+79161234567".to_owned(),
            "=HYPERLINK(\"http://evil\")".to_owned(),
        ],
        vec![
            "ИП Иванов Иван Петрович".to_owned(),
            "500100732259".to_owned(),
            String::new(),
            "0012345".to_owned(),
            "-150.00".to_owned(),
            "многострочная\nзаметка".to_owned(),
        ],
    ];
    xlsx(
        "Контрагенты",
        &["Название", "ИНН", "КПП", "Счёт", "Телефон", "Заметка"],
        rows,
    )
    .unwrap()
}

#[test]
fn round_trip_keeps_identifiers_and_cyrillic_as_text() {
    let bytes = sample();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let table = read_table(&bytes).unwrap();
    assert_eq!(table.format, Format::Xlsx);
    assert_eq!(table.headers, ["Название", "ИНН", "КПП", "Счёт", "Телефон", "Заметка"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[0].line, 2);
    assert_eq!(
        table.rows[0].cells,
        [
            "ООО «Ромашка»",
            "7707083893",
            "773601001",
            "40702810900000012345",
            "+79161234567",
            "'=HYPERLINK(\"http://evil\")"
        ]
    );
    assert_eq!(table.rows[1].line, 3);
    assert_eq!(
        table.rows[1].cells,
        [
            "ИП Иванов Иван Петрович",
            "500100732259",
            "",
            "0012345",
            "-150.00",
            "многострочная\nзаметка"
        ]
    );
}

#[test]
fn workbook_has_string_cells_bold_frozen_header_autofilter_and_widths() {
    let bytes = sample();
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    // Every cell is a string: no numeric <v> values that Excel could reformat.
    assert!(!sheet.contains("<v>"), "{sheet}");
    assert!(
        sheet.contains("t=\"inlineStr\"") || sheet.contains("t=\"s\""),
        "{sheet}"
    );
    assert!(sheet.contains("state=\"frozen\""), "{sheet}");
    assert!(sheet.contains("<autoFilter ref=\"A1:F3\""), "{sheet}");
    assert!(sheet.contains("<cols>"), "{sheet}");
    assert!(sheet.contains("customWidth=\"1\""), "{sheet}");
    assert!(part(&bytes, "xl/styles.xml").contains("<b/>"));
    assert!(part(&bytes, "xl/workbook.xml").contains("name=\"Контрагенты\""));
}

#[test]
fn column_widths_are_capped() {
    let rows = vec![vec!["x".repeat(500), "y".to_owned()]];
    let bytes = xlsx("Лист", &["Длинная", "Б"], rows).unwrap();
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    let widths: Vec<f64> = sheet
        .split("width=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect();
    assert_eq!(widths.len(), 2, "{sheet}");
    assert!(widths[0] > 55.0 && widths[0] <= 61.0, "{widths:?}");
    assert!(widths[1] >= 8.0 && widths[1] < 15.0, "{widths:?}");
}

#[test]
fn export_without_rows_reads_back_as_empty() {
    let bytes = xlsx("Пусто", &["a", "b"], Vec::new()).unwrap();
    assert_eq!(read_table(&bytes).unwrap_err(), ReadError::Empty);
}

#[test]
fn invalid_sheet_names_still_produce_a_file() {
    let bytes = xlsx("Сделки 01.01/31.03 [черновик]", &["a"], vec![vec!["1".to_owned()]]).unwrap();
    assert_eq!(read_table(&bytes).unwrap().rows[0].cells, ["1"]);
}
