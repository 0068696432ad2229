//! `cargo xtask bench`: load demo data into a fresh database and measure the HTTP API.
//!
//! For each chosen database (SQLite file, throwaway PostgreSQL cluster) it times
//! `prospekt demo`, creates an API token, starts `prospekt serve` on a free port and
//! points `wrk` at every row of [`ENDPOINTS`], sampling the server's memory meanwhile.
//! The result is a markdown block, printed and appended to `target/bench-results.md`
//! so it can be pasted into BENCHMARKS.md.
//!
//! The server runs with `RUST_LOG=warn` unless `RUST_LOG` is set: request logging to a
//! file would otherwise be part of what is measured.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::http;
use crate::pg::{PgBinaries, PgCluster};
use crate::util::{self, TempDir};

/// An endpoint to load-test. Placeholders in the path and body are replaced by ids
/// discovered from the demo data: `{id}` a counterparty, `{owner}` a manager who owns
/// counterparties, `{kam}` the key account manager `kam1` (the heaviest plan of the demo:
/// thousands of clients, ~100,000 activities in the large size), `{kam_client}` one of
/// kam1's clients.
struct Endpoint {
    path: &'static str,
    /// Whose `Authorization: Bearer TOKEN` the request carries.
    auth: Auth,
    /// A JSON body: the request is a POST (each one creates a record).
    post: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    None,
    /// The administrator: reads everything.
    Admin,
    /// kam1, for the contact plan (an administrator plans nothing).
    Kam,
}

/// What `bench` measures, one table row per entry and database. Add rows here.
const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/healthz",
        auth: Auth::None,
        post: None,
    },
    Endpoint {
        path: "/api/v1/counterparties/{id}",
        auth: Auth::Admin,
        post: None,
    },
    Endpoint {
        path: "/api/v1/counterparties?limit=50",
        auth: Auth::Admin,
        post: None,
    },
    // One manager's clients, sorted by name: the list a manager opens every morning.
    Endpoint {
        path: "/api/v1/counterparties?limit=50&owner={owner}",
        auth: Auth::Admin,
        post: None,
    },
    Endpoint {
        path: "/api/v1/me",
        auth: Auth::Admin,
        post: None,
    },
    // Search: a name fragment ("строй"), an INN prefix, a phone beginning ("8 495 23"),
    // a name with two typos ("строиресурз" for «Стройресурс").
    Endpoint {
        path: "/api/v1/search?q=%D1%81%D1%82%D1%80%D0%BE%D0%B9",
        auth: Auth::Admin,
        post: None,
    },
    Endpoint {
        path: "/api/v1/search?q=7710",
        auth: Auth::Admin,
        post: None,
    },
    Endpoint {
        path: "/api/v1/search?q=8%20495%2023",
        auth: Auth::Admin,
        post: None,
    },
    Endpoint {
        path: "/api/v1/search?q=%D1%81%D1%82%D1%80%D0%BE%D0%B8%D1%80%D0%B5%D1%81%D1%83%D1%80%D0%B7",
        auth: Auth::Admin,
        post: None,
    },
    // The contact plan of the heaviest manager: the week view, "whom to contact now", and
    // planning activities (each request plans one more).
    Endpoint {
        path: "/api/v1/plan/week?owner_id={kam}",
        auth: Auth::Kam,
        post: None,
    },
    Endpoint {
        path: "/api/v1/plan/priorities?owner_id={kam}",
        auth: Auth::Kam,
        post: None,
    },
    // The deal board (C6): the key account manager's open deals by stage.
    Endpoint {
        path: "/api/v1/deals/board",
        auth: Auth::Kam,
        post: None,
    },
    // Receivables (C11): the aging report of the company and of one manager, a client's
    // balance on the card.
    Endpoint {
        path: "/api/v1/receivables/aging",
        auth: Auth::Admin,
        post: None,
    },
    Endpoint {
        path: "/api/v1/receivables/aging?manager_id={kam}",
        auth: Auth::Kam,
        post: None,
    },
    Endpoint {
        path: "/api/v1/counterparties/{kam_client}/balance",
        auth: Auth::Kam,
        post: None,
    },
    // Submitting orders through the credit check (C10): each request submits another of the
    // draft orders prepared for kam1 (`{order}` cycles through them).
    Endpoint {
        path: "/api/v1/orders/{order}/submit",
        auth: Auth::Kam,
        post: Some(r#"{"version":1}"#),
    },
    Endpoint {
        path: "/api/v1/activities",
        auth: Auth::Kam,
        post: Some(
            r#"{"counterparty_id":"{kam_client}","kind":"call","subject":"Нагрузочный звонок","planned_at":"2027-06-01T10:00:00+03:00"}"#,
        ),
    },
];

/// How long the server gets to answer `/healthz` after it was started.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the server's memory is sampled while wrk runs.
const RSS_SAMPLE_INTERVAL: Duration = Duration::from_millis(200);

const USAGE: &str = "usage: cargo xtask bench [--size small|medium|large] [--db sqlite|postgres|both] \
                     [--seed N] [--duration SECS] [--connections N] [--threads N] [--keep] [--measure] [--binary PATH]";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug)]
struct Options {
    size: String,
    dbs: Vec<Db>,
    seed: u64,
    duration: u32,
    connections: u32,
    threads: u32,
    keep: bool,
    /// Also run `prospekt measure` on each database before the load test.
    measure: bool,
    /// A prebuilt binary to measure instead of building one (e.g. an older build, to
    /// compare against).
    binary: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        size: "small".to_owned(),
        dbs: vec![Db::Sqlite],
        seed: 42,
        duration: 10,
        connections: 64,
        threads: 2,
        keep: false,
        measure: false,
        binary: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        // Both `--opt value` and `--opt=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match name {
            "--size" => {
                let size = value()?;
                if !["small", "medium", "large"].contains(&size.as_str()) {
                    return Err(format!("--size must be small, medium or large, not {size:?}"));
                }
                options.size = size;
            }
            "--db" => {
                options.dbs = match value()?.as_str() {
                    "sqlite" => vec![Db::Sqlite],
                    "postgres" => vec![Db::Postgres],
                    "both" => vec![Db::Sqlite, Db::Postgres],
                    other => {
                        return Err(format!("--db must be sqlite, postgres or both, not {other:?}"));
                    }
                }
            }
            "--seed" => options.seed = number(name, &value()?)?,
            "--duration" => options.duration = number(name, &value()?)?,
            "--connections" => options.connections = number(name, &value()?)?,
            "--threads" => options.threads = number(name, &value()?)?,
            "--keep" if inline.is_none() => options.keep = true,
            "--measure" if inline.is_none() => options.measure = true,
            "--binary" => options.binary = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown bench option {arg:?}\n{USAGE}")),
        }
    }
    if options.duration == 0 || options.threads == 0 {
        return Err("--duration and --threads must be at least 1".to_owned());
    }
    // wrk gives every thread at least one connection and refuses otherwise.
    if options.connections < options.threads {
        return Err(format!(
            "--connections ({}) must be at least --threads ({})",
            options.connections, options.threads
        ));
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name} needs a non-negative number, not {value:?}"))
}

pub fn run(args: &[String]) -> Result<ExitCode, String> {
    let options = parse(args)?;
    // Everything that can be missing is checked before the (long) release build.
    let wrk = util::find_program("wrk").ok_or("wrk not found: apt-get install -y wrk")?;
    let pg_bins = if options.dbs.contains(&Db::Postgres) {
        Some(PgBinaries::detect().map_err(|e| format!("{e}: apt-get install postgresql-15, or set $PROSPEKT_PG_BIN"))?)
    } else {
        None
    };

    let binary = match &options.binary {
        Some(binary) if util::is_executable(binary) => binary.clone(),
        Some(binary) => {
            return Err(format!("--binary {}: not an executable file", binary.display()));
        }
        None => build_release()?,
    };
    let mut work = TempDir::create("prospekt-bench", options.keep)?;
    work.arm_watchdog("");

    let mut runs = Vec::new();
    for &db in &options.dbs {
        eprintln!("\nxtask: === {} ===", db.name());
        runs.push(bench_db(db, &options, &binary, work.path(), &wrk, pg_bins.as_ref())?);
    }

    let report = report(&options, args, &runs);
    println!("\n{report}");
    let results = util::target_dir().join("bench-results.md");
    append(&results, &report)?;
    eprintln!("xtask: appended to {}", results.display());
    Ok(ExitCode::SUCCESS)
}

/// `cargo build --release --locked -p prospekt`; the path of the binary.
fn build_release() -> Result<PathBuf, String> {
    let mut cmd = util::cargo();
    cmd.args(["build", "--release", "--locked", "-p", "prospekt"]);
    eprintln!("xtask: {}", util::describe(&cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", util::describe(&cmd)))?;
    if !status.success() {
        return Err(format!("`{}` failed ({status})", util::describe(&cmd)));
    }
    let binary = util::target_dir().join("release").join("prospekt");
    if util::is_executable(&binary) {
        Ok(binary)
    } else {
        Err(format!("the build succeeded, but there is no {}", binary.display()))
    }
}

/// Everything measured on one database.
struct DbRun {
    db: Db,
    demo: Duration,
    db_size: Result<u64, String>,
    idle_rss_kb: Option<u64>,
    /// VmHWM at the end: the server's peak over its whole life.
    final_hwm_kb: Option<u64>,
    rows: Vec<Row>,
}

struct Row {
    endpoint: &'static Endpoint,
    wrk: Result<WrkResult, String>,
    /// The largest VmRSS sampled while wrk ran.
    peak_rss_kb: Option<u64>,
}

fn bench_db(
    db: Db,
    options: &Options,
    binary: &Path,
    work: &Path,
    wrk: &Path,
    pg_bins: Option<&PgBinaries>,
) -> Result<DbRun, String> {
    // The cluster (if any) is dropped, i.e. stopped, when this function returns.
    let mut cluster = None;
    let url = match (db, pg_bins) {
        (Db::Sqlite, _) => {
            let dir = work.join("sqlite");
            std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            format!("sqlite://{}", dir.join("bench.db").display())
        }
        (Db::Postgres, Some(bins)) => {
            let settings = crate::pg::bench_settings();
            eprintln!("xtask: starting a throwaway PostgreSQL cluster ({settings})...");
            let started = PgCluster::start_with(bins, options.keep, settings)?;
            let url = started.url();
            cluster = Some(started);
            url
        }
        (Db::Postgres, None) => {
            return Err("internal: PostgreSQL binaries were not detected".to_owned());
        }
    };
    eprintln!("xtask: database {url}");

    let mut demo = Command::new(binary);
    demo.args([
        "demo",
        "--size",
        &options.size,
        "--seed",
        &options.seed.to_string(),
        "--db",
        &url,
    ]);
    eprintln!("xtask: {}", util::describe(&demo));
    let started = Instant::now();
    let status = demo
        .status()
        .map_err(|e| format!("cannot run `{}`: {e}", util::describe(&demo)))?;
    let demo_time = started.elapsed();
    if !status.success() {
        // The cluster's directory goes with it: say what the server logged first.
        if let Some(c) = &cluster {
            eprintln!("xtask: the end of the PostgreSQL server log:\n{}", c.log_tail(40));
        }
        return Err(format!("`{}` failed ({status})", util::describe(&demo)));
    }
    eprintln!("xtask: demo data loaded in {:.1} s", demo_time.as_secs_f64());
    // After a bulk load PostgreSQL's autovacuum spends minutes of the two cores on the new
    // tables (and until then index-only scans still visit the heap), which would land in
    // whatever is measured next. A production database is measured in its steady state, so
    // the vacuum a DBA runs after a bulk load comes first, timed on its own.
    if let Some(cluster) = &cluster {
        let vacuum = Instant::now();
        match cluster.psql("VACUUM (ANALYZE)") {
            Ok(_) => eprintln!(
                "xtask: VACUUM (ANALYZE) after the load: {:.1} s",
                vacuum.elapsed().as_secs_f64()
            ),
            Err(e) => eprintln!("xtask: warning: VACUUM failed: {e}"),
        }
    }

    let db_size = match &cluster {
        None => sqlite_size(&work.join("sqlite").join("bench.db")),
        Some(cluster) => cluster
            .psql("SELECT pg_database_size('postgres')")
            .and_then(|out| out.parse().map_err(|_| format!("unexpected pg_database_size {out:?}"))),
    };

    let token = create_token(binary, &url, "admin")?;
    let kam_token = create_token(binary, &url, "kam1")?;
    let log = work.join(format!("server-{}.log", db.name()));
    let mut server = Server::start(binary, &url, &log)?;
    eprintln!(
        "xtask: server pid {} on {} (log: {})",
        server.pid(),
        server.addr,
        log.display()
    );
    server.wait_healthy()?;
    let idle_rss_kb = proc_status_kb(server.pid(), "VmRSS");

    let auth = format!("Bearer {token}");
    let kam_auth = format!("Bearer {kam_token}");
    let id = discover_counterparty(server.addr, &auth, "")?;
    let owner = discover_owner(server.addr, &auth)?;
    let kam = discover_me(server.addr, &kam_auth)?;
    let kam_client = discover_counterparty(server.addr, &kam_auth, &format!("&owner={kam}"))?;
    eprintln!("xtask: counterparty id {id}, kam1 {kam}, kam1's client {kam_client}");

    // Server time of single requests (no queueing): `prospekt measure` on the same database,
    // before the load test (whose writes — tens of thousands of planned activities and
    // submitted orders for kam1 — would change what the reads find).
    if options.measure {
        let mut cmd = Command::new(binary);
        cmd.args(["measure", "--db", &url, "--reads", "200", "--logins", "5"])
            .stderr(Stdio::inherit());
        eprintln!("xtask: {}", util::describe(&cmd));
        match util::run_captured(&mut cmd) {
            Ok(out) => eprintln!("xtask: measure ({}):\n{out}", db.name()),
            Err(e) => eprintln!("xtask: warning: measure failed: {e}"),
        }
    }
    let mut rows = Vec::new();
    for endpoint in ENDPOINTS {
        let fill = |text: &str| {
            text.replace("{id}", &id)
                .replace("{owner}", &owner)
                .replace("{kam_client}", &kam_client)
                .replace("{kam}", &kam)
        };
        let path = fill(endpoint.path);
        let auth = match endpoint.auth {
            Auth::None => None,
            Auth::Admin => Some(auth.as_str()),
            Auth::Kam => Some(kam_auth.as_str()),
        };
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", *a)).collect();
        let script = match endpoint.post {
            Some(body) if endpoint.path.contains("{order}") => {
                let count = (options.duration as usize * 6_000).max(10_000);
                Some(submit_script(binary, &url, work, count, options.threads, body)?)
            }
            Some(body) => Some(post_script(work, &fill(body))?),
            None => {
                // A quick look first, so that a 404 or 401 is named instead of only counted.
                match http::get(server.addr, &path, &headers, Duration::from_secs(10)) {
                    Ok(resp) if (200..300).contains(&resp.status) => {}
                    Ok(resp) => eprintln!(
                        "xtask: warning: GET {path} answered {}: {}",
                        resp.status,
                        resp.body.chars().take(200).collect::<String>()
                    ),
                    Err(e) => eprintln!("xtask: warning: {e}"),
                }
                None
            }
        };
        let method = if endpoint.post.is_some() { "POST" } else { "GET" };
        eprintln!("xtask: wrk {method} {path} ({} s)...", options.duration);
        let url = format!("http://{}{path}", server.addr);
        let (wrk, peak_rss_kb) = run_wrk(wrk, options, &url, auth, script.as_deref(), server.pid());
        match &wrk {
            Ok(result) => eprintln!(
                "xtask:   {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                result.req_per_sec,
                result.p50_ms,
                result.p99_ms,
                result.errors.total()
            ),
            Err(e) => eprintln!("xtask: warning: wrk failed: {e}"),
        }
        rows.push(Row {
            endpoint,
            wrk,
            peak_rss_kb,
        });
    }
    // The kernel updates VmHWM lazily, so a sample can exceed it; take the larger.
    let final_hwm_kb = rows
        .iter()
        .filter_map(|row| row.peak_rss_kb)
        .chain(proc_status_kb(server.pid(), "VmHWM"))
        .max();
    drop(server);
    drop(cluster);
    Ok(DbRun {
        db,
        demo: demo_time,
        db_size,
        idle_rss_kb,
        final_hwm_kb,
        rows,
    })
}

/// The database file plus its write-ahead log, which holds recent writes until the
/// next checkpoint and so is part of what the demo data takes.
fn sqlite_size(db: &Path) -> Result<u64, String> {
    let main = std::fs::metadata(db)
        .map_err(|e| format!("cannot stat {}: {e}", db.display()))?
        .len();
    let wal = std::fs::metadata(db.with_extension("db-wal")).map_or(0, |m| m.len());
    Ok(main + wal)
}

/// A wrk script that POSTs `body` as JSON.
fn post_script(work: &Path, body: &str) -> Result<PathBuf, String> {
    let path = work.join("post.lua");
    let script =
        format!("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{body}]]\n");
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Prepares `count` draft orders of kam1 (`prospekt measure --prepare-orders`) and writes a
/// wrk script whose threads submit them in turn, each order once while they last.
fn submit_script(
    binary: &Path,
    url: &str,
    work: &Path,
    count: usize,
    threads: u32,
    body: &str,
) -> Result<PathBuf, String> {
    let ids = work.join("orders.txt");
    let mut cmd = Command::new(binary);
    cmd.args(["measure", "--db", url, "--prepare-orders", &count.to_string(), "--out"])
        .arg(&ids)
        .stderr(Stdio::inherit());
    eprintln!("xtask: {}", util::describe(&cmd));
    util::run_captured(&mut cmd)?;
    let path = work.join("submit.lua");
    let script = format!(
        "local ids = {{}}\nfor line in io.lines(\"{}\") do ids[#ids + 1] = line end\n\
         local counter = 0\nfunction setup(thread)\n  thread:set(\"offset\", counter)\n  counter = counter + 1\nend\n\
         function init(args)\n  i = offset\nend\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         function request()\n  local id = ids[(i % #ids) + 1]\n  i = i + {threads}\n  \
         return wrk.format(\"POST\", \"/api/v1/orders/\" .. id .. \"/submit\", nil, [[{body}]])\nend\n",
        ids.display()
    );
    std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// `prospekt token create --login LOGIN`: the token is the last line of its stdout.
fn create_token(binary: &Path, url: &str, login: &str) -> Result<String, String> {
    let mut cmd = Command::new(binary);
    cmd.args(["token", "create", "--login", login, "--db", url])
        .stderr(Stdio::inherit());
    let out = util::run_captured(&mut cmd)?;
    match out.lines().map(str::trim).rfind(|line| !line.is_empty()) {
        Some(token) if !token.contains(char::is_whitespace) => Ok(token.to_owned()),
        _ => Err(format!(
            "`{}` printed no token as its last line:\n{out}",
            util::describe(&cmd)
        )),
    }
}

/// The first counterparty the token reaches (with extra list filters), for the `{id}` endpoints.
fn discover_counterparty(addr: SocketAddr, auth: &str, filter: &str) -> Result<String, String> {
    let path = &format!("/api/v1/counterparties?limit=1{filter}");
    let resp = http::get(addr, path, &[("Authorization", auth)], Duration::from_secs(10))?;
    if resp.status != 200 {
        return Err(format!("GET {path} answered {}: {}", resp.status, resp.body));
    }
    http::first_json_string(&resp.body, "id")
        .ok_or_else(|| format!("GET {path} returned no counterparty id: {}", resp.body))
}

/// The id of the token's user.
fn discover_me(addr: SocketAddr, auth: &str) -> Result<String, String> {
    let resp = http::get(addr, "/api/v1/me", &[("Authorization", auth)], Duration::from_secs(10))?;
    if resp.status != 200 {
        return Err(format!("GET /api/v1/me answered {}: {}", resp.status, resp.body));
    }
    http::first_json_string(&resp.body, "id").ok_or_else(|| format!("GET /api/v1/me returned no id: {}", resp.body))
}

/// Some manager who owns counterparties, for the `{owner}` endpoints.
fn discover_owner(addr: SocketAddr, auth: &str) -> Result<String, String> {
    let path = "/api/v1/counterparties?limit=50";
    let resp = http::get(addr, path, &[("Authorization", auth)], Duration::from_secs(10))?;
    let marker = "\"owner\":{\"id\":\"";
    resp.body
        .find(marker)
        .and_then(|i| resp.body.get(i + marker.len()..i + marker.len() + 36))
        .map(str::to_owned)
        .ok_or_else(|| format!("GET {path} returned no owned counterparty: {}", resp.body))
}

/// `prospekt serve`, stopped with SIGTERM (the graceful path) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, url: &str, log: &Path) -> Result<Self, String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], util::free_port()?));
        let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot reopen {}: {e}", log.display()))?;
        let mut cmd = Command::new(binary);
        cmd.args(["serve", "--db", url, "--bind", &addr.to_string()])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", util::describe(&cmd)))?;
        Ok(Self {
            child,
            addr,
            log: log.to_path_buf(),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /healthz` until it answers 200, the server dies, or time runs out.
    fn wait_healthy(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            match http::get(self.addr, "/healthz", &[], Duration::from_secs(2)) {
                Ok(resp) if resp.status == 200 => return Ok(()),
                Ok(resp) => last = format!("answered {}", resp.status),
                Err(e) => last = e,
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "the server exited during startup ({status}); last lines of {}:\n{}",
                    self.log.display(),
                    util::tail(&self.log, 30)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "the server did not answer GET /healthz with 200 within {} s ({last}); last lines of {}:\n{}",
            STARTUP_TIMEOUT.as_secs(),
            self.log.display(),
            util::tail(&self.log, 30)
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("xtask: warning: the server ignored SIGTERM for 10 s; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kB` field (VmRSS, VmHWM) of `/proc/PID/status`.
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Runs wrk against `url` while a second thread samples the server's resident memory;
/// wrk's result and the largest sample.
fn run_wrk(
    wrk: &Path,
    options: &Options,
    url: &str,
    auth: Option<&str>,
    script: Option<&Path>,
    pid: u32,
) -> (Result<WrkResult, String>, Option<u64>) {
    let mut cmd = Command::new(wrk);
    cmd.arg("-t")
        .arg(options.threads.to_string())
        .arg("-c")
        .arg(options.connections.to_string())
        .arg("-d")
        .arg(format!("{}s", options.duration))
        .arg("--latency");
    if let Some(auth) = auth {
        cmd.arg("-H").arg(format!("Authorization: {auth}"));
    }
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    cmd.arg(url);

    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = None;
            while !done.load(Ordering::Relaxed) {
                // VmHWM is the peak since the process started, so it cannot tell this
                // endpoint from the ones before; sampled VmRSS can.
                if let Some(rss) = proc_status_kb(pid, "VmRSS") {
                    peak = peak.max(Some(rss));
                }
                std::thread::sleep(RSS_SAMPLE_INTERVAL);
            }
            peak
        });
        let result = util::run_captured(&mut cmd).and_then(|out| parse_wrk(&out));
        done.store(true, Ordering::Relaxed);
        let peak = sampler.join().unwrap_or(None);
        (result, peak)
    })
}

#[derive(Debug, Default, PartialEq)]
struct WrkErrors {
    non_2xx: u64,
    connect: u64,
    read: u64,
    write: u64,
    timeout: u64,
}

impl WrkErrors {
    fn total(&self) -> u64 {
        self.non_2xx + self.connect + self.read + self.write + self.timeout
    }

    /// `0`, or the total with its non-zero parts: `12 (non-2xx 10, timeout 2)`.
    fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("non-2xx", self.non_2xx),
            ("connect", self.connect),
            ("read", self.read),
            ("write", self.write),
            ("timeout", self.timeout),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
        if parts.is_empty() {
            "0".to_owned()
        } else {
            format!("{} ({})", self.total(), parts.join(", "))
        }
    }
}

#[derive(Debug, PartialEq)]
struct WrkResult {
    req_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: WrkErrors,
}

/// Picks the numbers out of `wrk --latency` output.
fn parse_wrk(out: &str) -> Result<WrkResult, String> {
    let mut req_per_sec = None;
    let mut p50_ms = None;
    let mut p99_ms = None;
    let mut errors = WrkErrors::default();
    for line in out.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            req_per_sec = rest.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix("50%") {
            p50_ms = duration_ms(rest.trim());
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99_ms = duration_ms(rest.trim());
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            errors.non_2xx = rest.trim().parse().unwrap_or(0);
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            for part in rest.split(',') {
                let mut words = part.split_whitespace();
                let (Some(name), Some(n)) = (words.next(), words.next().and_then(|n| n.parse().ok())) else {
                    continue;
                };
                match name {
                    "connect" => errors.connect = n,
                    "read" => errors.read = n,
                    "write" => errors.write = n,
                    "timeout" => errors.timeout = n,
                    _ => {}
                }
            }
        }
    }
    match (req_per_sec, p50_ms, p99_ms) {
        (Some(req_per_sec), Some(p50_ms), Some(p99_ms)) => Ok(WrkResult {
            req_per_sec,
            p50_ms,
            p99_ms,
            errors,
        }),
        _ => Err(format!(
            "cannot find Requests/sec and the 50%/99% latencies in wrk's output:\n{out}"
        )),
    }
}

/// wrk's durations (`539.00us`, `1.75ms`, `2.00s`, `1.00m`) in milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let value: f64 = text[..split].parse().ok()?;
    let factor = match &text[split..] {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(value * factor)
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(|| "n/a".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0))
}

/// The markdown block: a heading with the circumstances, the table, the summary lines.
fn report(options: &Options, args: &[String], runs: &[DbRun]) -> String {
    let date = util::run_captured(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M:%S UTC"]))
        .map(|d| d.trim().to_owned())
        .unwrap_or_else(|_| "unknown date".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut text = String::new();
    let _ = writeln!(
        text,
        "## {date}: size {}, `cargo xtask bench{}{}`\n",
        options.size,
        if args.is_empty() { "" } else { " " },
        args.join(" ")
    );
    let _ = writeln!(
        text,
        "commit {}, {cores} cores, seed {}, wrk -t{} -c{} -d{}s\n",
        git_revision(),
        options.seed,
        options.threads,
        options.connections,
        options.duration
    );
    text.push_str("| db | endpoint | req/s | p50 ms | p99 ms | errors | peak RSS MB |\n");
    text.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for run in runs {
        for row in &run.rows {
            let (rps, p50, p99, errors) = match &row.wrk {
                Ok(r) => (
                    format!("{:.0}", r.req_per_sec),
                    format!("{:.2}", r.p50_ms),
                    format!("{:.2}", r.p99_ms),
                    r.errors.describe(),
                ),
                Err(_) => ("wrk failed".to_owned(), "-".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            let _ = writeln!(
                text,
                "| {} | {} {} | {rps} | {p50} | {p99} | {errors} | {} |",
                run.db.name(),
                if row.endpoint.post.is_some() { "POST" } else { "GET" },
                row.endpoint.path,
                mb(row.peak_rss_kb)
            );
        }
    }
    text.push('\n');
    for run in runs {
        let size = match &run.db_size {
            Ok(bytes) => format!("{:.1} MB", *bytes as f64 / 1_048_576.0),
            Err(e) => format!("n/a ({})", e.lines().next().unwrap_or_default()),
        };
        let _ = writeln!(
            text,
            "- {}: demo load {:.1} s, db size {size}, idle RSS {} MB, peak RSS over the run (VmHWM) {} MB",
            run.db.name(),
            run.demo.as_secs_f64(),
            mb(run.idle_rss_kb),
            mb(run.final_hwm_kb)
        );
    }
    text
}

/// `abc1234` or `abc1234+dirty`; `unknown` outside a git checkout or before the first commit.
fn git_revision() -> String {
    let root = util::workspace_root();
    let Ok(rev) = util::run_captured(
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["rev-parse", "--short", "HEAD"]),
    ) else {
        return "unknown".to_owned();
    };
    let dirty = util::run_captured(Command::new("git").arg("-C").arg(&root).args(["status", "--porcelain"]))
        .is_ok_and(|status| !status.trim().is_empty());
    format!("{}{}", rev.trim(), if dirty { "+dirty" } else { "" })
}

fn append(path: &Path, block: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| writeln!(file, "{block}"))
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK_OUTPUT: &str = "\
Running 10s test @ http://127.0.0.1:8080/healthz
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   606.09us  339.41us  10.91ms   83.87%
    Req/Sec    51.97k     4.03k   59.39k    70.50%
  Latency Distribution
     50%  539.00us
     75%  718.00us
     90%    0.96ms
     99%    1.75ms
  1034228 requests in 10.00s, 100.63MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 12
Requests/sec: 103411.30
Transfer/sec:     10.06MB
";

    #[test]
    fn parses_wrk_output() {
        let result = parse_wrk(WRK_OUTPUT).unwrap();
        assert!((result.req_per_sec - 103_411.30).abs() < 1e-6);
        assert!((result.p50_ms - 0.539).abs() < 1e-9);
        assert!((result.p99_ms - 1.75).abs() < 1e-9);
        assert_eq!(
            result.errors,
            WrkErrors {
                non_2xx: 12,
                connect: 0,
                read: 3,
                write: 0,
                timeout: 2
            }
        );
        assert_eq!(result.errors.describe(), "17 (non-2xx 12, read 3, timeout 2)");
        assert!(parse_wrk("garbage").is_err());
    }

    #[test]
    fn converts_wrk_durations() {
        assert_eq!(duration_ms("2.00s"), Some(2000.0));
        assert_eq!(duration_ms("1.00m"), Some(60_000.0));
        assert_eq!(duration_ms("12"), None);
    }

    #[test]
    fn parses_options() {
        let args: Vec<String> = ["--db=both", "--size", "large", "--threads", "4", "--keep"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let options = parse(&args).unwrap();
        assert_eq!(options.dbs, vec![Db::Sqlite, Db::Postgres]);
        assert_eq!(
            (options.size.as_str(), options.threads, options.connections),
            ("large", 4, 64)
        );
        assert!(options.keep);
        assert!(parse(&["--size".to_owned(), "huge".to_owned()]).is_err());
        assert!(parse(&["--connections".to_owned(), "1".to_owned()]).is_err());
        assert!(parse(&["--seed".to_owned()]).is_err());
    }
}
