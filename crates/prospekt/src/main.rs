//! The `prospekt` binary: the CLI over the application (serve, migrate, demo, user, token, backup).
//!
//! Thin: it parses arguments and configuration, opens the database and calls the app or the web
//! layer. Every failure ends as one line on stderr naming the problem, and a non-zero exit.

mod cli;
mod demo;
mod measure;
mod measure_ledger;

use std::process::ExitCode;

/// mimalloc instead of the C library's allocator: a profile of the client list under load
/// spent over a third of the server's time in glibc's malloc and free (a JSON page of 50
/// clients is thousands of small strings, allocated on one thread and freed on another).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}
