//! Throwaway PostgreSQL clusters for tests and benchmarks.
//!
//! A cluster lives in a fresh temp dir (data in `data/`, the Unix socket and the server
//! log next to it), listens on a free port of 127.0.0.1 with `trust` auth, and is tuned
//! for speed rather than durability (no fsync): it only ever holds data that is
//! thrown away. [`PgCluster`]'s Drop stops it and removes the directory, and a
//! watchdog does the same should xtask be killed (Ctrl-C).
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then the directory is
//! handed to the `postgres` user and every PostgreSQL command runs through
//! `runuser -u postgres --` (or `su postgres -c` where there is no runuser).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::util::{self, TempDir};

/// Where the PostgreSQL binaries are looked for unless `PROSPEKT_PG_BIN` says otherwise.
pub const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";
/// The environment variable that overrides [`DEFAULT_PG_BIN`].
pub const PG_BIN_VAR: &str = "PROSPEKT_PG_BIN";

/// The server settings: durability off (the data is thrown away), and enough
/// connections for the test suite, whose tests each open a pool of their own.
const SERVER_SETTINGS: &str = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
     -c full_page_writes=off -c max_connections=300";

/// A directory holding `initdb`, `pg_ctl` and `postgres`.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    dir: PathBuf,
}

impl PgBinaries {
    /// The directory that is looked at, and how it was chosen (for messages).
    pub fn location() -> (PathBuf, String) {
        match std::env::var_os(PG_BIN_VAR) {
            Some(dir) if !dir.is_empty() => {
                let dir = PathBuf::from(dir);
                let how = format!("{} (${PG_BIN_VAR})", dir.display());
                (dir, how)
            }
            _ => (PathBuf::from(DEFAULT_PG_BIN), DEFAULT_PG_BIN.to_owned()),
        }
    }

    /// Finds the binaries; the error says which one is missing where.
    pub fn detect() -> Result<Self, String> {
        let (dir, how) = Self::location();
        let missing: Vec<&str> = ["initdb", "pg_ctl", "postgres"]
            .into_iter()
            .filter(|name| !util::is_executable(&dir.join(name)))
            .collect();
        match missing.len() {
            0 => Ok(Self { dir }),
            3 => Err(format!("no PostgreSQL binaries at {how}")),
            _ => Err(format!(
                "no PostgreSQL binaries at {how} (missing {})",
                missing.join(", ")
            )),
        }
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `psql`: next to the server binaries if there, else from `$PATH`.
    pub fn psql(&self) -> Option<PathBuf> {
        let local = self.bin("psql");
        if util::is_executable(&local) {
            Some(local)
        } else {
            util::find_program("psql")
        }
    }
}

/// How PostgreSQL commands are run: as ourselves, or as `postgres` when we are root.
#[derive(Debug, Clone)]
enum Runner {
    Direct,
    Runuser(PathBuf),
    Su(PathBuf),
}

impl Runner {
    fn detect() -> Result<Self, String> {
        if !util::is_root() {
            return Ok(Self::Direct);
        }
        let has_postgres_user = Command::new("id")
            .args(["-u", "postgres"])
            .output()
            .is_ok_and(|out| out.status.success());
        if !has_postgres_user {
            return Err(
                "running as root, and PostgreSQL refuses to run as root, but there is no \
                 `postgres` user to run it as (the postgresql packages create one; or: \
                 useradd --system --home-dir /var/lib/postgresql postgres)"
                    .to_owned(),
            );
        }
        if let Some(runuser) = util::find_program("runuser") {
            Ok(Self::Runuser(runuser))
        } else if let Some(su) = util::find_program("su") {
            Ok(Self::Su(su))
        } else {
            Err(
                "running as root, but neither `runuser` nor `su` is there to run PostgreSQL as \
                 the `postgres` user"
                    .to_owned(),
            )
        }
    }

    /// A command running `program args` as the cluster's owner.
    fn command(&self, program: &Path, args: &[OsString]) -> Command {
        match self {
            Self::Direct => {
                let mut cmd = Command::new(program);
                cmd.args(args);
                cmd
            }
            Self::Runuser(runuser) => {
                let mut cmd = Command::new(runuser);
                cmd.args(["-u", "postgres", "--"]).arg(program).args(args);
                cmd
            }
            Self::Su(su) => {
                let line = std::iter::once(program.as_os_str())
                    .chain(args.iter().map(OsString::as_os_str))
                    .map(util::shell_quote)
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut cmd = Command::new(su);
                cmd.args(["postgres", "-s", "/bin/sh", "-c", &line]);
                cmd
            }
        }
    }

    /// The same as a line for `sh`, for the watchdog.
    fn shell_line(&self, program: &Path, args: &[OsString]) -> String {
        util::describe(&self.command(program, args))
    }
}

/// A running throwaway cluster; dropping it stops the server and removes its files.
pub struct PgCluster {
    bins: PgBinaries,
    runner: Runner,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    running: bool,
    // Declared last so it is dropped after `Drop for PgCluster` has stopped the server.
    dir: TempDir,
    /// Settings beyond [`SERVER_SETTINGS`], as `-c name=value` options.
    extra: String,
}

/// Settings a production server on this machine would have, for benchmarks: PostgreSQL's own
/// defaults (128 MB of shared buffers, planner costs for spinning disks, JIT for any query the
/// planner thinks costly) are made for a small shared host. A quarter of the memory as shared
/// buffers and half as the expected OS cache is the usual advice for a dedicated database
/// host; JIT is off because its compile time outweighs its gain on the millisecond queries of
/// a CRM; random page cost 1.1 for SSDs.
pub fn bench_settings() -> String {
    let mib = util::memory_mib().unwrap_or(4096);
    format!(
        "-c shared_buffers={}MB -c effective_cache_size={}MB -c work_mem=64MB -c maintenance_work_mem=1GB \
         -c max_wal_size=8GB -c random_page_cost=1.1 -c jit=off",
        mib / 4,
        mib / 2
    )
}

impl PgCluster {
    /// initdb + pg_ctl start. `keep` leaves the directory (data and server log) behind.
    pub fn start(bins: &PgBinaries, keep: bool) -> Result<Self, String> {
        Self::start_with(bins, keep, String::new())
    }

    /// [`PgCluster::start`] with more server settings (`-c name=value …`).
    pub fn start_with(bins: &PgBinaries, keep: bool, extra: String) -> Result<Self, String> {
        let runner = Runner::detect()?;
        let mut dir = TempDir::create("prospekt-pg", keep)?;
        let root = dir.path().to_path_buf();
        if !matches!(runner, Runner::Direct) {
            util::run_captured(Command::new("chown").arg("postgres:").arg(&root))?;
        }
        let data = root.join("data");
        let log = root.join("postgres.log");
        let port = util::free_port()?;
        let stop_args = stop_args(&data);
        // Armed before initdb, so that even an interrupted start is cleaned up.
        dir.arm_watchdog(&format!(
            "{} >/dev/null 2>&1",
            runner.shell_line(&bins.bin("pg_ctl"), &stop_args)
        ));
        let mut cluster = Self {
            bins: bins.clone(),
            runner,
            data,
            log,
            port,
            running: false,
            dir,
            extra,
        };
        cluster.initdb()?;
        cluster.pg_ctl_start()?;
        Ok(cluster)
    }

    /// The URL tests and the app connect with.
    /// The last `lines` lines of the server's log (empty if it cannot be read): what a
    /// failed load prints before the cluster and its log are removed.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one SQL statement through `psql` over TCP and returns its unaligned output.
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        let psql = self
            .bins
            .psql()
            .ok_or("psql not found (apt-get install postgresql-client-15)")?;
        let out = util::run_captured(
            Command::new(psql)
                .args(["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
                .arg(self.port.to_string())
                .args(["-U", "postgres", "-d", "postgres", "-Atc", sql])
                .env("PGCONNECT_TIMEOUT", "10"),
        )?;
        Ok(out.trim().to_owned())
    }

    /// A PostgreSQL command as the cluster owner, run in the cluster's directory (the
    /// `postgres` user may not be allowed into our working directory).
    fn pg_command(&self, name: &str, args: &[OsString]) -> Command {
        let mut cmd = self.runner.command(&self.bins.bin(name), args);
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn initdb(&self) -> Result<(), String> {
        // C.UTF-8 gives UTF-8 aware ctype with byte-order collation, which keeps ORDER
        // BY deterministic across machines; older systems lack it, hence the fallback.
        let mut last_error = String::new();
        for locale in ["C.UTF-8", "C"] {
            let args: Vec<OsString> = vec![
                "-D".into(),
                self.data.clone().into(),
                "-U".into(),
                "postgres".into(),
                "--auth=trust".into(),
                "-E".into(),
                "UTF8".into(),
                format!("--locale={locale}").into(),
            ];
            match util::run_captured(&mut self.pg_command("initdb", &args)) {
                Ok(_) => return Ok(()),
                Err(e) => {
                    last_error = e;
                    // initdb removes what it created on failure; make sure anyway, since
                    // the retry needs an empty data directory.
                    let _ = std::fs::remove_dir_all(&self.data);
                }
            }
        }
        Err(format!("initdb failed: {last_error}"))
    }

    fn pg_ctl_start(&mut self) -> Result<(), String> {
        // pg_ctl hands these options to the server through `sh`, hence the quoting.
        let options = format!(
            "-p {} -k {} {SERVER_SETTINGS} {}",
            self.port,
            util::shell_quote(self.dir.path()),
            self.extra
        );
        let args: Vec<OsString> = vec![
            "-D".into(),
            self.data.clone().into(),
            // The server's output goes to a file: otherwise it would inherit (and hold
            // open) the pipe we read pg_ctl's output from, and we would wait forever.
            "-l".into(),
            self.log.clone().into(),
            "-o".into(),
            options.into(),
            "-w".into(),
            "-t".into(),
            "60".into(),
            "start".into(),
        ];
        // Set before starting: a timed-out start may still leave a server behind.
        self.running = true;
        util::run_captured(&mut self.pg_command("pg_ctl", &args)).map_err(|e| {
            format!(
                "PostgreSQL did not start: {e}\nlast lines of {}:\n{}",
                self.log.display(),
                util::tail(&self.log, 20)
            )
        })?;
        Ok(())
    }

    fn stop(&mut self) -> Result<(), String> {
        if !std::mem::take(&mut self.running) {
            return Ok(());
        }
        util::run_captured(&mut self.pg_command("pg_ctl", &stop_args(&self.data))).map(drop)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("xtask: warning: stopping PostgreSQL failed: {e}");
        }
    }
}

/// `pg_ctl` arguments for a fast stop: immediate mode skips the shutdown checkpoint,
/// nothing in the cluster is worth keeping.
fn stop_args(data: &Path) -> Vec<OsString> {
    vec!["-D".into(), data.into(), "-m".into(), "immediate".into(), "stop".into()]
}

/// `cargo xtask pg-check`: start a cluster, ask it something, stop it, and check that
/// nothing is left behind.
pub fn check(args: &[String]) -> Result<ExitCode, String> {
    if let Some(arg) = args.first() {
        return Err(format!("pg-check takes no arguments, got {arg:?}"));
    }
    let bins = PgBinaries::detect()?;
    let started = Instant::now();
    let cluster = PgCluster::start(&bins, false)?;
    let dir = cluster.dir().to_path_buf();
    println!(
        "started PostgreSQL in {:.1?} at {} ({})",
        started.elapsed(),
        cluster.url(),
        dir.display()
    );
    println!("{}", cluster.psql("select version()")?);
    cluster.psql("create database xtask_check")?;
    println!(
        "create database: ok ({})",
        cluster.psql("select count(*) from pg_database where datname = 'xtask_check'")?
    );
    let stopping = Instant::now();
    drop(cluster);
    if dir.exists() {
        return Err(format!("{} is still there after stopping the cluster", dir.display()));
    }
    println!("stopped and removed in {:.1?}", stopping.elapsed());
    Ok(ExitCode::SUCCESS)
}
