//! `cargo xtask`: Prospekt's developer tasks.
//!
//! * `cargo xtask test [--require-all] [-- ARGS]` runs the whole test suite, with a
//!   throwaway PostgreSQL cluster and Chromium when they are installed (see [`test`]).
//! * `cargo xtask bench [OPTIONS]` builds the release binary, loads demo data and
//!   measures the HTTP API with `wrk` (see [`bench`]).
//! * `cargo xtask pg-check` starts a throwaway cluster, asks it for its version and
//!   stops it again: a quick way to see whether the PostgreSQL plumbing works here.
//!
//! The crate depends on nothing but std, so it builds in seconds even on a clean
//! checkout while the rest of the workspace is still compiling.

mod bench;
mod http;
mod import_file;
mod pg;
mod test;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  test [--require-all] [-- CARGO_TEST_ARGS...]
        run every test of the workspace; starts a throwaway PostgreSQL 15 cluster and
        hands Chromium to the browser tests when they are installed
        --require-all   fail instead of skipping when PostgreSQL or Chromium is missing
  bench [--size small|medium|large] [--db sqlite|postgres|both] [--seed N]
        [--duration SECS] [--connections N] [--threads N] [--keep] [--binary PATH]
        build the release binary, load demo data and load-test the API with wrk;
        results are printed and appended to target/bench-results.md
        (defaults: small, sqlite, seed 42, 10 s, 64 connections, 2 threads;
        --keep leaves the temp dirs, --binary measures a prebuilt binary instead)
  import-file [--rows N] [--out PATH]
        write a counterparty import CSV with valid INNs (default 1,000,000 rows to
        target/import-1m.csv) for measuring `prospekt import counterparties`
  pg-check
        start a throwaway PostgreSQL cluster, run `select version()`, stop it

environment:
  PROSPEKT_PG_BIN          PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
  PROSPEKT_CHROMIUM        Chromium binary (default /usr/bin/chromium)
  PROSPEKT_CHROMEDRIVER    chromedriver binary (default /usr/bin/chromedriver)
  PROSPEKT_TEST_PG_URL     if already set, `test` uses that server instead of starting one
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Every guard (PostgreSQL cluster, temp dir, server) lives inside `run`, so it is
    // dropped, and its resources released, before the process exits.
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("xtask: error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match command.as_str() {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "pg-check" => pg::check(rest),
        "import-file" => import_file::run(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    }
}
