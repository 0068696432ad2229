//! Command-line parsing and the subcommands.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use prospekt_app::App;
use prospekt_app::users::AddUser;
use prospekt_domain::Role;
use prospekt_storage::{Backend, Db, DbUrl};

use crate::demo::{self, DemoSize};

/// The password of every demo user (printed by `serve --demo` and `demo`).
pub const DEMO_PASSWORD: &str = "prospekt";

#[derive(Parser, Debug)]
#[command(
    name = "prospekt",
    version,
    about = "Prospekt — B2B sales CRM",
    propagate_version = true
)]
struct Cli {
    /// Database URL: sqlite://FILE (created on first run) or postgres://USER:PASS@HOST:PORT/DB.
    #[arg(long, global = true, env = "PROSPEKT_DB", default_value = "sqlite://prospekt.db")]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web interface and the API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PROSPEKT_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Fill an empty database with demo data first (small size) and print how to log in.
        #[arg(long)]
        demo: bool,
        /// Mark session cookies Secure (set when served behind TLS).
        #[arg(long, env = "PROSPEKT_SECURE_COOKIES")]
        secure_cookies: bool,
        /// SMTP server for sending offers: smtp://host:25, smtp://user:pass@host:587?tls=required
        /// (STARTTLS) or smtps://user:pass@host:465. Without it, offers are not e-mailed.
        #[arg(long, env = "PROSPEKT_SMTP_URL")]
        smtp_url: Option<String>,
        /// Sender of outgoing mail, e.g. "Отдел продаж <sales@example.ru>".
        #[arg(long, env = "PROSPEKT_MAIL_FROM", default_value = "Prospekt <prospekt@localhost>")]
        mail_from: String,
    },
    /// Apply pending schema migrations and exit.
    Migrate,
    /// Fill an empty database with realistic, deterministic Russian demo data.
    Demo {
        #[arg(long, value_enum, default_value = "small")]
        size: SizeArg,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import records from a file.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Measure in-process costs that load tests cannot isolate (for BENCHMARKS.md):
    /// login latency (argon2id) and the authorization overhead on a point read.
    #[command(hide = true)]
    Measure {
        /// Point reads per variant.
        #[arg(long, default_value_t = 20000)]
        reads: u32,
        /// Logins to time.
        #[arg(long, default_value_t = 20)]
        logins: u32,
        /// Instead of measuring: create this many draft orders of kam1 for the load test of
        /// order submission and write their ids to `--out`.
        #[arg(long, requires = "out")]
        prepare_orders: Option<usize>,
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Write a consistent copy of the live database to a file.
    Backup {
        /// Target file (must not exist).
        #[arg(long)]
        to: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user.
    Add {
        #[arg(long)]
        login: String,
        /// manager, key_account_manager, head_of_department, commercial_director, sales_support,
        /// credit_controller, administrator, general_director.
        #[arg(long)]
        role: String,
        /// Display name (defaults to the login).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (first line) instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Import counterparties from CSV (UTF-8 or windows-1251, `;` `,` or tab) or XLSX.
    /// Rows match existing records by external id, else INN+KPP, and update them; the rest
    /// are created. Rows with problems are skipped and listed; the others are written in one
    /// transaction. Running the same file again changes nothing.
    Counterparties {
        /// The file.
        file: std::path::PathBuf,
        /// Act as this user: their scope and permissions apply, and the audit log names them.
        #[arg(long = "as", value_name = "LOGIN")]
        as_login: String,
        /// Only check and report; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Map a column to a field, e.g. --map "ИНН=inn" (repeatable); default: guessed from the headers.
        #[arg(long = "map", value_name = "HEADER=FIELD")]
        map: Vec<String>,
        /// Write the per-row error report (CSV) here.
        #[arg(long, value_name = "FILE")]
        report: Option<std::path::PathBuf>,
        /// Language of messages: ru or en.
        #[arg(long, default_value = "ru")]
        lang: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create an API token for a user and print it once.
    Create {
        #[arg(long)]
        login: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Expire after this many days (default: never).
        #[arg(long)]
        expires_days: Option<u32>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SizeArg {
    Small,
    Medium,
    Large,
}

impl From<SizeArg> for DemoSize {
    fn from(s: SizeArg) -> Self {
        match s {
            SizeArg::Small => DemoSize::Small,
            SizeArg::Medium => DemoSize::Medium,
            SizeArg::Large => DemoSize::Large,
        }
    }
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // One line naming the problem, not clap's multi-line usage block.
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("prospekt: {first} (see prospekt --help)");
            return ExitCode::from(2);
        }
    };
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("prospekt: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prospekt: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROSPEKT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sqlx::query=error,tower_http=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

async fn open(db: &str) -> anyhow::Result<(Db, DbUrl)> {
    let url = DbUrl::parse(db)?;
    let db = Db::open(&url).await?;
    Ok((db, url))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            demo,
            secure_cookies,
            smtp_url,
            mail_from,
        } => {
            let mailer = match smtp_url {
                Some(url) => Some(
                    prospekt_app::mail::Mailer::new(&url, &mail_from)
                        .map_err(|e| anyhow::anyhow!("--smtp-url / --mail-from: {e}"))?,
                ),
                None => None,
            };
            serve(&cli.db, &bind, demo, secure_cookies, mailer).await
        }
        Command::Migrate => {
            let (db, url) = open(&cli.db).await?;
            let version = db.schema_version().await?;
            println!("{}: schema is at version {version}", url.redacted());
            Ok(())
        }
        Command::Demo { size, seed } => {
            let (db, _) = open(&cli.db).await?;
            run_demo(&db, size.into(), seed).await
        }
        Command::User {
            command:
                UserCommand::Add {
                    login,
                    role,
                    name,
                    password_stdin,
                },
        } => {
            let role: Role = role.parse().map_err(|_| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                anyhow::anyhow!("unknown role {role:?}: expected one of {}", names.join(", "))
            })?;
            let password = read_password(password_stdin)?;
            let (db, _) = open(&cli.db).await?;
            let app = App::new(db);
            let added = app
                .add_user(&AddUser {
                    login: &login,
                    display_name: name.as_deref(),
                    role,
                    password: Some(&password),
                })
                .await;
            match added {
                Ok(id) => {
                    println!("user {login} ({role}) created, id {id}");
                    Ok(())
                }
                Err(prospekt_app::AppError::Duplicate { .. }) => bail!("user {login:?} already exists"),
                Err(prospekt_app::AppError::Invalid(e)) if e.code == "password_too_short" => {
                    bail!(
                        "the password is too short: at least {} characters",
                        prospekt_app::auth::MIN_PASSWORD_LEN
                    )
                }
                Err(prospekt_app::AppError::Invalid(e)) if e.field == "login" => {
                    bail!("invalid login {login:?}: 2–64 Latin letters, digits, '.', '_' or '-'")
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    login,
                    name,
                    expires_days,
                },
        } => {
            let (db, _) = open(&cli.db).await?;
            let app = App::new(db);
            let valid_for = expires_days.map(|d| chrono::Duration::days(i64::from(d)));
            match app.create_token(&login, &name, valid_for).await {
                Ok(token) => {
                    eprintln!("API token {} for {login} (shown once; store it now):", token.id);
                    println!("{}", token.secret);
                    Ok(())
                }
                Err(prospekt_app::AppError::Invalid(e)) if e.code == "unknown_login" => {
                    bail!("no user with login {login:?}")
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Import {
            command:
                ImportCommand::Counterparties {
                    file,
                    as_login,
                    dry_run,
                    map,
                    report,
                    lang,
                },
        } => import_counterparties(&cli.db, &file, &as_login, dry_run, &map, report.as_deref(), &lang).await,
        Command::Backup { to } => backup(&cli.db, &to).await,
        Command::Measure {
            reads,
            logins,
            prepare_orders,
            out,
        } => crate::measure::run(&cli.db, reads, logins, prepare_orders.zip(out)).await,
    }
}

async fn import_counterparties(
    db: &str,
    file: &std::path::Path,
    as_login: &str,
    dry_run: bool,
    map: &[String],
    report_to: Option<&std::path::Path>,
    lang: &str,
) -> anyhow::Result<()> {
    use prospekt_web::i18n::{Lang, field_error_message};
    let lang = Lang::from_code(lang).ok_or_else(|| anyhow::anyhow!("--lang: ru or en"))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let mut mapping = Vec::new();
    for m in map {
        let (h, f) = m
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--map {m:?}: expected HEADER=FIELD"))?;
        mapping.push((h.trim().to_owned(), f.trim().to_owned()));
    }
    let (db, _) = open(db).await?;
    let app = App::new(db.clone());
    let explain = |e: prospekt_app::AppError| -> anyhow::Error {
        match e {
            prospekt_app::AppError::Invalid(f) => anyhow::anyhow!("{}", field_error_message(lang, &f)),
            prospekt_app::AppError::Forbidden => anyhow::anyhow!("{as_login} may not import counterparties"),
            other => other.into(),
        }
    };
    let actor = app.console_actor(as_login).await.map_err(explain)?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<10} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress_bar = bar.clone();
    let started = Instant::now();
    // PROSPEKT_IMPORT_TIMING=1 prints when each step starts (for BENCHMARKS.md).
    let timing = std::env::var_os("PROSPEKT_IMPORT_TIMING").is_some();
    let last_stage = std::sync::Mutex::new(String::new());
    let progress = move |done: u64, total: u64, stage: &str| {
        if timing
            && let Ok(mut last) = last_stage.lock()
            && *last != stage
        {
            eprintln!("  {:>7.2} s  {stage}", started.elapsed().as_secs_f64());
            *last = stage.to_owned();
        }
        if progress_bar.length() != Some(total) {
            progress_bar.set_length(total);
        }
        progress_bar.set_position(done);
        progress_bar.set_message(stage.to_owned());
    };
    let report = app
        .import_counterparties(
            &actor,
            prospekt_app::import::ImportRequest {
                bytes: &bytes,
                mapping: (!mapping.is_empty()).then_some(mapping),
                dry_run,
            },
            &progress,
        )
        .await
        .map_err(explain)?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{}{}: {} rows in {secs:.1} s ({:.0} rows/s): {} created, {} updated, {} unchanged, {} rejected",
        if dry_run { "dry run, nothing written — " } else { "" },
        report.format,
        report.rows,
        report.rows as f64 / secs.max(1e-9),
        report.created,
        report.updated,
        report.unchanged,
        report.rejected
    );
    for (header, field) in &report.mapping {
        eprintln!("  column {header:?} → {field}");
    }
    for header in &report.unmapped {
        eprintln!("  column {header:?} ignored");
    }
    for p in report.problems.iter().take(20) {
        eprintln!("  line {}: {}", p.line, field_error_message(lang, &p.error));
    }
    if report.problems.len() > 20 {
        eprintln!("  … {} more problems", report.problems.len() - 20);
    }
    if let Some(path) = report_to {
        std::fs::write(path, prospekt_web::api::transfer::problems_csv(&report, lang))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("error report: {}", path.display());
    }
    // A large SQLite import leaves the copy of its pages into the database file to a
    // background checkpoint; closing waits for it.
    let closing = Instant::now();
    db.close().await;
    if timing {
        eprintln!("  closed in {:.2} s", closing.elapsed().as_secs_f64());
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !from_stdin && stdin.is_terminal() {
        bail!(
            "pass the password on standard input with --password-stdin (e.g. printf '%s' \"$PW\" | prospekt user add … --password-stdin)"
        );
    }
    let mut input = String::new();
    stdin
        .lock()
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn run_demo(db: &Db, size: DemoSize, seed: u64) -> anyhow::Result<()> {
    let hash = tokio::task::spawn_blocking(|| prospekt_app::auth::hash_password(DEMO_PASSWORD)).await??;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:<22} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let progress_bar = bar.clone();
    let progress = move |done: u64, total: u64, stage: &str| {
        if progress_bar.length() != Some(total) {
            progress_bar.set_length(total);
        }
        progress_bar.set_position(done);
        progress_bar.set_message(stage.to_owned());
    };
    let report = demo::generate(db, size, seed, &hash, &progress).await?;
    bar.finish_and_clear();
    eprintln!(
        "demo data ({size}, seed {seed}) in {:.1} s: {} counterparties, {} contacts, {} activities, {} invoice lines",
        started.elapsed().as_secs_f64(),
        report.counterparties,
        report.contacts,
        report.activities,
        report.invoice_lines
    );
    print_demo_logins(&report);
    Ok(())
}

fn print_demo_logins(report: &demo::DemoReport) {
    let mut shown = Vec::new();
    for (login, role) in &report.users {
        if !shown.iter().any(|(_, r): &(&String, &String)| *r == role) {
            shown.push((login, role));
        }
    }
    eprintln!("sign in with password {DEMO_PASSWORD:?} as any of:");
    for (login, role) in shown {
        eprintln!("  {login:<12} {role}");
    }
}

async fn serve(
    db: &str,
    bind: &str,
    with_demo: bool,
    secure_cookies: bool,
    mailer: Option<prospekt_app::mail::Mailer>,
) -> anyhow::Result<()> {
    let addr: SocketAddr = bind
        .parse()
        .map_err(|_| anyhow::anyhow!("invalid bind address {bind:?}: expected HOST:PORT, e.g. 127.0.0.1:8080"))?;
    let (db, url) = open(db).await?;
    if with_demo {
        if prospekt_storage::repo::users::count(&db).await? == 0 {
            run_demo(&db, DemoSize::Small, 42).await?;
        } else {
            eprintln!("the database already has users: demo data not added (sign in with your existing accounts)");
        }
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!("cannot listen on {addr}: the port is already in use (choose another with --bind)")
        } else {
            anyhow::anyhow!("cannot listen on {addr}: {e}")
        }
    })?;
    let local = listener.local_addr()?;
    eprintln!("Prospekt is serving http://{local} (database {})", url.redacted());
    let mut app = App::new(db.clone());
    if let Some(m) = mailer {
        eprintln!("Offers are e-mailed from {}", m.from_address());
        app = app.with_mailer(m);
    }
    prospekt_web::serve(listener, app, secure_cookies, shutdown_signal()).await?;
    db.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn backup(db: &str, to: &std::path::Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!("{} already exists: choose a new file name", to.display());
    }
    let url = DbUrl::parse(db)?;
    let started = Instant::now();
    match url.backend() {
        Backend::Sqlite => {
            let db = Db::open(&url).await?;
            let target = to.to_str().context("the backup path is not valid UTF-8")?;
            prospekt_storage::backup_sqlite(&db, target).await?;
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .arg("--format=custom")
                .arg("--no-owner")
                .arg(format!("--file={}", to.display()))
                .arg(format!("--dbname={}", url.as_str()))
                .status()
                .map_err(|e| anyhow::anyhow!("cannot run pg_dump ({e}): install the PostgreSQL client tools"))?;
            if !status.success() {
                bail!("pg_dump failed with {status}");
            }
        }
    }
    let size = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "backup written to {} ({} bytes) in {:.1} s",
        to.display(),
        size,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
