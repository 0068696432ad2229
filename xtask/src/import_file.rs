//! `cargo xtask import-file`: writes a realistic counterparty import file (CSV, `;`, UTF-8)
//! for measuring `prospekt import counterparties`. INNs carry valid check digits in region
//! 99 (unused by the demo data), so every row is new on a demo database.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

const WORDS: &[&str] = &[
    "Альфа",
    "Вектор",
    "Гранит",
    "Дельта",
    "Ермак",
    "Заря",
    "Идеал",
    "Кедр",
    "Лидер",
    "Меридиан",
    "Нева",
    "Омега",
    "Прогресс",
    "Ресурс",
    "Сигма",
    "Титан",
    "Урал",
    "Факел",
    "Хронос",
    "Штиль",
];
const CITIES: &[&str] = &[
    "Москва",
    "Санкт-Петербург",
    "Тверь",
    "Казань",
    "Самара",
    "Екатеринбург",
    "Новосибирск",
];
const INDUSTRIES: &[&str] = &["Розница", "Строительство", "Логистика", "Производство", "HoReCa"];

fn inn10(body: u64) -> String {
    let digits: Vec<u32> = format!("{body:09}")
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let weights = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    format!("{body:09}{}", sum % 11 % 10)
}

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let mut rows: u64 = 1_000_000;
    let mut out = String::from("target/import-1m.csv");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rows" => rows = it.next().and_then(|v| v.parse().ok()).ok_or("--rows N")?,
            "--out" => out = it.next().cloned().ok_or("--out PATH")?,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let file = std::fs::File::create(&out).map_err(|e| format!("{out}: {e}"))?;
    let mut w = BufWriter::new(file);
    let write = |w: &mut BufWriter<std::fs::File>, s: &str| w.write_all(s.as_bytes()).map_err(|e| e.to_string());
    write(
        &mut w,
        "Внешний код;Наименование;ИНН;КПП;Город;Телефон;E-mail;Отрасль;Статус;Теги;Контактное лицо\r\n",
    )?;
    for i in 0..rows {
        let inn = inn10(990_000_000 + i);
        let a = WORDS[(i % 20) as usize];
        let b = WORDS[((i / 20) % 20) as usize];
        let city = CITIES[(i % 7) as usize];
        let line = format!(
            "IMP-{i:07};ООО «{a}-{b} {i}»;{inn};990101001;{city};+7 9{:02} {:03}-{:02}-{:02};info{i}@firm{}.ru;{};{};импорт;{}\r\n",
            10 + i % 90,
            (i / 90) % 1000,
            (i / 90_000) % 100,
            i % 100,
            i % 1000,
            INDUSTRIES[(i % 5) as usize],
            if i % 3 == 0 {
                "клиент"
            } else {
                "потенциальный"
            },
            if i % 4 == 0 {
                "Иванов Иван Иванович"
            } else {
                ""
            },
        );
        write(&mut w, &line)?;
    }
    w.flush().map_err(|e| e.to_string())?;
    eprintln!("{rows} rows written to {out}");
    Ok(ExitCode::SUCCESS)
}
