//! Renders the demo offer: `cargo run -p prospekt-docs --example offer_pdf -- [LINES] [OUT.pdf]`
//! (defaults: 200 lines, `offer.pdf`). Prints render times, handy for quick benchmarks.

use std::time::Instant;

use prospekt_docs::{DocEngine, sample_offer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let lines: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(200);
    let out = args.next().unwrap_or_else(|| "offer.pdf".to_owned());

    let started = Instant::now();
    let engine = DocEngine::new();
    println!("engine: {:?}", started.elapsed());

    let doc = sample_offer(lines);
    let mut pdf = Vec::new();
    for run in 1..=3 {
        let started = Instant::now();
        pdf = engine.offer_pdf(&doc)?;
        println!("render #{run} ({lines} lines): {:?}", started.elapsed());
    }
    std::fs::write(&out, &pdf)?;
    println!("{out}: {} KB", pdf.len() / 1024);
    Ok(())
}
