//! Renders the demo reconciliation act:
//! `cargo run -p prospekt-docs --example reconciliation_pdf -- [ROWS] [OUT.pdf]`
//! (defaults: 40 rows, `reconciliation.pdf`). Prints render times.

use std::time::Instant;

use prospekt_docs::{DocEngine, sample_reconciliation};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(40);
    let out = args.next().unwrap_or_else(|| "reconciliation.pdf".to_owned());

    let started = Instant::now();
    let engine = DocEngine::new();
    println!("engine: {:?}", started.elapsed());

    let act = sample_reconciliation(rows);
    let mut pdf = Vec::new();
    for run in 1..=3 {
        let started = Instant::now();
        pdf = engine.reconciliation_pdf(&act)?;
        println!("render #{run} ({rows} rows): {:?}", started.elapsed());
    }
    std::fs::write(&out, &pdf)?;
    println!("{out}: {} KB", pdf.len() / 1024);
    Ok(())
}
