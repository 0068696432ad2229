//! The binary's command line: bad input ends in one clear line and a non-zero exit; the
//! user, token, migrate and backup commands work end to end on SQLite.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn prospekt(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_prospekt"))
        .args(args)
        .env_remove("PROSPEKT_DB")
        .env_remove("PROSPEKT_BIND")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run prospekt");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("wait prospekt")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("prospekt-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One line, naming the problem, and a failure exit code.
fn assert_one_line_failure(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure, got {:?}", o.status);
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected exactly one line, got: {err}");
    assert!(lines[0].contains(needle), "expected {needle:?} in {:?}", lines[0]);
    assert!(!err.contains("panicked") && !err.contains("stack backtrace"), "{err}");
}

#[test]
fn an_unknown_flag_is_named_in_one_line() {
    let o = prospekt(&["serve", "--frobnicate"], None);
    assert_eq!(o.status.code(), Some(2));
    assert_one_line_failure(&o, "--frobnicate");
}

#[test]
fn a_malformed_database_url_is_named_in_one_line() {
    assert_one_line_failure(
        &prospekt(&["migrate", "--db", "mysql://x/y"], None),
        "unsupported database URL",
    );
    assert_one_line_failure(
        &prospekt(&["migrate", "--db", "postgres://u:pw@127.0.0.1:notaport/db"], None),
        "malformed",
    );
}

#[test]
fn an_unreachable_database_is_named_in_one_line_without_the_password() {
    // Port 1 on loopback refuses connections at once.
    let o = prospekt(&["migrate", "--db", "postgres://crm:hunter2@127.0.0.1:1/crm"], None);
    assert_one_line_failure(&o, "cannot open the database");
    assert!(!stderr(&o).contains("hunter2"), "the password must not be printed");
}

#[test]
fn a_port_in_use_is_named_in_one_line() {
    let dir = temp_dir();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let db = format!("sqlite://{}", dir.join("p.db").display());
    let o = prospekt(&["serve", "--db", &db, "--bind", &addr], None);
    assert_one_line_failure(&o, "already in use");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn user_add_token_create_migrate_and_backup_work_end_to_end() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.join("cli.db").display());
    let m = prospekt(&["migrate", "--db", &db], None);
    assert!(m.status.success(), "{}", stderr(&m));
    assert!(String::from_utf8_lossy(&m.stdout).contains("schema is at version"));

    let add = prospekt(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--login",
            "admin",
            "--role",
            "administrator",
            "--password-stdin",
        ],
        Some("s3cret-pass\n"),
    );
    assert!(add.status.success(), "{}", stderr(&add));
    let again = prospekt(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--login",
            "admin",
            "--role",
            "administrator",
            "--password-stdin",
        ],
        Some("s3cret-pass\n"),
    );
    assert_one_line_failure(&again, "already exists");
    let bad_role = prospekt(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--login",
            "x1",
            "--role",
            "boss",
            "--password-stdin",
        ],
        Some("s3cret-pass\n"),
    );
    assert_one_line_failure(&bad_role, "unknown role");
    let short = prospekt(
        &[
            "user",
            "add",
            "--db",
            &db,
            "--login",
            "x2",
            "--role",
            "manager",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert_one_line_failure(&short, "too short");

    let token = prospekt(&["token", "create", "--db", &db, "--login", "admin"], None);
    assert!(token.status.success(), "{}", stderr(&token));
    let secret = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    assert!(secret.starts_with("pkt_") && secret.len() > 40, "{secret}");
    assert_one_line_failure(
        &prospekt(&["token", "create", "--db", &db, "--login", "ghost"], None),
        "no user",
    );

    let backup = dir.join("copy.db");
    let b = prospekt(&["backup", "--db", &db, "--to", backup.to_str().unwrap()], None);
    assert!(b.status.success(), "{}", stderr(&b));
    // The copy is a complete database: the token issued before works against it.
    let copy = format!("sqlite://{}", backup.display());
    let t2 = prospekt(&["token", "create", "--db", &copy, "--login", "admin"], None);
    assert!(t2.status.success(), "the backup must contain the user: {}", stderr(&t2));
    assert_one_line_failure(
        &prospekt(&["backup", "--db", &db, "--to", backup.to_str().unwrap()], None),
        "already exists",
    );
    let _ = std::fs::remove_dir_all(dir);
}
