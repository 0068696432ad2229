//! Renders the demo claim letter: `cargo run -p prospekt-docs --example claim_pdf -- [OUT.pdf]`
//! (default `claim.pdf`). Prints render times.

use std::time::Instant;

use prospekt_docs::{DocEngine, sample_claim};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "claim.pdf".to_owned());

    let started = Instant::now();
    let engine = DocEngine::new();
    println!("engine: {:?}", started.elapsed());

    let claim = sample_claim();
    let mut pdf = Vec::new();
    for run in 1..=3 {
        let started = Instant::now();
        pdf = engine.claim_pdf(&claim)?;
        println!("render #{run}: {:?}", started.elapsed());
    }
    std::fs::write(&out, &pdf)?;
    println!("{out}: {} KB", pdf.len() / 1024);
    Ok(())
}
