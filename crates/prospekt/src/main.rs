//! The `prospekt` binary: the CLI over the application (serve, migrate, demo, user, token, backup).
//!
//! Thin: it parses arguments and configuration, opens the database and calls the app or the web
//! layer. Every failure ends as one line on stderr naming the problem, and a non-zero exit.

mod cli;
mod demo;
mod measure;
mod measure_ledger;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
