//! Measures `read_table` on a generated 1,000,000-row × 12-column CSV (UTF-8, Cyrillic, some quoted fields).
//!
//! Run with `cargo run --release -p prospekt-files --example read_speed [rows]`.

use std::fmt::Write as _;
use std::time::Instant;

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    let mut csv = String::with_capacity(rows * 160);
    csv.push_str("ФИО;Компания;ИНН;КПП;Телефон;Email;Город;Адрес;Сумма;Дата;Статус;Заметка\r\n");
    for i in 0..rows {
        let _ = write!(
            csv,
            "Иванов Иван {i};\"ООО \"\"Ромашка {i}\"\"\";77{:08};773601001;+7916{:07};user{i}@example.ru;Москва;\
             \"ул. Ленина, д. {}\";{}.{:02};2025-03-{:02};Новый;{}\r\n",
            i % 100_000_000,
            i % 10_000_000,
            i % 200,
            i * 7 % 100_000,
            i % 100,
            i % 28 + 1,
            if i % 10 == 0 {
                "\"перезвонить\r\nпосле обеда\""
            } else {
                ""
            },
        );
    }
    let bytes = csv.into_bytes();
    let megabytes = bytes.len() as f64 / 1_048_576.0;

    let started = Instant::now();
    let table = prospekt_files::read_table(&bytes).expect("generated CSV must parse");
    let elapsed = started.elapsed().as_secs_f64();

    assert_eq!(table.rows.len(), rows);
    assert_eq!(table.headers.len(), 12);
    println!(
        "{rows} rows × 12 columns ({megabytes:.1} MiB) in {elapsed:.3} s: {:.0} rows/s, {:.0} MiB/s (last row at line {})",
        rows as f64 / elapsed,
        megabytes / elapsed,
        table.rows.last().map_or(0, |row| row.line),
    );
}
