//! `cargo xtask test`: the project's single "run all tests" command.
//!
//! It runs `cargo test --workspace --locked` with what the integration tests need:
//!
//! * `PROSPEKT_TEST_PG_URL`: a throwaway PostgreSQL 15 cluster started for this run
//!   (tests create their own databases in it), or the server the variable already
//!   names when it is set in our environment;
//! * `PROSPEKT_TEST_CHROMIUM` / `PROSPEKT_TEST_CHROMEDRIVER`: browser binaries for
//!   the browser tests, which start chromedriver themselves;
//! * `PROSPEKT_TEST_REQUIRE_ALL=1` with `--require-all`: tests lacking PostgreSQL or
//!   Chromium then fail instead of skipping (CI uses this, so nothing is skipped
//!   silently there).
//!
//! Whatever is skipped is announced in a box before and after the run, because a
//! green run that silently skipped half the suite is worse than a red one.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::pg::{self, PgBinaries, PgCluster};
use crate::util;

pub const PG_URL_VAR: &str = "PROSPEKT_TEST_PG_URL";
pub const CHROMIUM_VAR: &str = "PROSPEKT_TEST_CHROMIUM";
pub const CHROMEDRIVER_VAR: &str = "PROSPEKT_TEST_CHROMEDRIVER";
pub const REQUIRE_ALL_VAR: &str = "PROSPEKT_TEST_REQUIRE_ALL";

struct Options {
    require_all: bool,
    /// Everything after `--`, handed to `cargo test` as is.
    cargo_args: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        require_all: false,
        cargo_args: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--require-all" => options.require_all = true,
            "--" => {
                options.cargo_args = args.cloned().collect();
                break;
            }
            other => {
                return Err(format!(
                    "unknown test option {other:?}; usage: cargo xtask test [--require-all] [-- CARGO_TEST_ARGS...]"
                ));
            }
        }
    }
    Ok(options)
}

/// Chromium and chromedriver, where `$PROSPEKT_CHROMIUM` / `$PROSPEKT_CHROMEDRIVER` or Debian put them.
struct Browser {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

impl Browser {
    fn detect() -> Result<Self, String> {
        let find = |var: &str, default: &str| {
            let path = std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map_or_else(|| PathBuf::from(default), PathBuf::from);
            if util::is_executable(&path) {
                Ok(path)
            } else {
                Err(format!("{} missing", path.display()))
            }
        };
        let chromium = find("PROSPEKT_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = find("PROSPEKT_CHROMEDRIVER", "/usr/bin/chromedriver");
        match (chromium, chromedriver) {
            (Ok(chromium), Ok(chromedriver)) => Ok(Self { chromium, chromedriver }),
            (Err(a), Err(b)) => Err(format!("{a}, {b}")),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }
}

/// Where the test database comes from.
enum Postgres {
    /// Started by us; stopped when this is dropped.
    Cluster(PgCluster),
    /// `PROSPEKT_TEST_PG_URL` was already set: the developer brings their own server.
    External(String),
    /// No PostgreSQL: the reason, for the banner.
    Skipped(String),
}

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let options = parse(args)?;

    let external_url = std::env::var(PG_URL_VAR).ok().filter(|url| !url.is_empty());
    let pg_bins = PgBinaries::detect();
    let browser = Browser::detect();

    if options.require_all {
        let mut missing = Vec::new();
        if let (None, Err(e)) = (&external_url, &pg_bins) {
            missing.push(format!(
                "PostgreSQL: {e} -> apt-get install postgresql-15, or set ${}",
                pg::PG_BIN_VAR
            ));
        }
        if let Err(e) = &browser {
            missing.push(format!(
                "Chromium: {e} -> apt-get install chromium chromium-driver, \
                 or set $PROSPEKT_CHROMIUM and $PROSPEKT_CHROMEDRIVER"
            ));
        }
        if !missing.is_empty() {
            return Err(format!(
                "--require-all, but some test dependencies are missing:\n  {}",
                missing.join("\n  ")
            ));
        }
    }

    let postgres = match (external_url, pg_bins) {
        (Some(url), _) => Postgres::External(url),
        (None, Err(reason)) => Postgres::Skipped(reason),
        (None, Ok(bins)) => {
            eprintln!("xtask: starting a throwaway PostgreSQL cluster...");
            match PgCluster::start(&bins, false) {
                Ok(cluster) => Postgres::Cluster(cluster),
                Err(e) if options.require_all => return Err(e),
                Err(e) => Postgres::Skipped(format!(
                    "PostgreSQL binaries found, but the cluster failed to start: {e}"
                )),
            }
        }
    };

    let mut cmd = util::cargo();
    cmd.arg("test");
    // `--workspace` would override a `-p` among the extra arguments; the caller asking
    // for some packages wins.
    if !selects_packages(&options.cargo_args) {
        cmd.arg("--workspace");
    }
    cmd.arg("--locked").arg("--no-fail-fast").args(&options.cargo_args);

    let mut skipped = Vec::new();
    match &postgres {
        Postgres::Cluster(cluster) => {
            eprintln!("xtask: PostgreSQL at {} ({})", cluster.url(), cluster.dir().display());
            cmd.env(PG_URL_VAR, cluster.url());
        }
        Postgres::External(url) => {
            eprintln!("xtask: PostgreSQL from ${PG_URL_VAR}: {url}");
        }
        Postgres::Skipped(reason) => {
            cmd.env_remove(PG_URL_VAR);
            skipped.push(format!(
                "PostgreSQL tests (every test named *_on_postgres / in module postgres) SKIPPED: {reason}"
            ));
            skipped.push(format!(
                "    to enable: apt-get install postgresql-15, or set ${}=/path/to/postgresql/bin,",
                pg::PG_BIN_VAR
            ));
            skipped.push(format!("               or point ${PG_URL_VAR} at a running server"));
        }
    }
    match &browser {
        Ok(browser) => {
            eprintln!(
                "xtask: browser tests use {} + {}",
                browser.chromium.display(),
                browser.chromedriver.display()
            );
            cmd.env(CHROMIUM_VAR, &browser.chromium)
                .env(CHROMEDRIVER_VAR, &browser.chromedriver);
        }
        Err(reason) => {
            cmd.env_remove(CHROMIUM_VAR).env_remove(CHROMEDRIVER_VAR);
            skipped.push(format!(
                "browser tests SKIPPED: chromium/chromedriver not found ({reason})"
            ));
            skipped.push(
                "    to enable: apt-get install chromium chromium-driver, or set $PROSPEKT_CHROMIUM and $PROSPEKT_CHROMEDRIVER"
                    .to_owned(),
            );
        }
    }
    if options.require_all {
        cmd.env(REQUIRE_ALL_VAR, "1");
    } else {
        // The flag is the interface; an inherited variable would contradict the banner.
        cmd.env_remove(REQUIRE_ALL_VAR);
    }
    if !skipped.is_empty() {
        skipped.insert(0, "NOT EVERYTHING IS TESTED IN THIS RUN".to_owned());
        skipped.push("(`cargo xtask test --require-all` fails instead of skipping)".to_owned());
        util::banner(&skipped);
    }
    eprintln!("xtask: running {}", util::describe(&cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", util::describe(&cmd)))?;
    if !skipped.is_empty() {
        util::banner(&skipped);
    }
    // Stop the cluster before exiting (ExitCode is returned, so Drop runs anyway; this
    // just makes the order explicit).
    drop(postgres);
    Ok(util::exit_code(status))
}

/// Whether cargo arguments (before any `--` meant for the test binaries) pick packages.
fn selects_packages(cargo_args: &[String]) -> bool {
    cargo_args
        .iter()
        .take_while(|arg| *arg != "--")
        .any(|arg| arg == "-p" || arg.starts_with("--package") || (arg.starts_with("-p") && arg.len() > 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_flags_and_passes_the_rest_through() {
        let options = parse(&strings(&["--require-all", "--", "-p", "x", "--", "--nocapture"])).unwrap();
        assert!(options.require_all);
        assert_eq!(options.cargo_args, strings(&["-p", "x", "--", "--nocapture"]));
        assert!(parse(&strings(&["--bogus"])).is_err());
    }

    #[test]
    fn package_selection_is_detected_before_the_test_binary_args() {
        assert!(selects_packages(&strings(&["-p", "prospekt-domain"])));
        assert!(selects_packages(&strings(&["--package=prospekt-web"])));
        assert!(selects_packages(&strings(&["-pprospekt-web"])));
        assert!(!selects_packages(&strings(&["--", "-p"])));
        assert!(!selects_packages(&strings(&["--lib"])));
    }
}
