//! Small helpers shared by the commands: paths, processes, temp dirs, banners.
//!
//! Errors are plain `String`s: every one of them ends up in front of a developer as
//! `xtask: error: ...`, so what matters is that the message says what to do.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The workspace root: xtask lives in `<root>/xtask`.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR` like cargo does.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// The cargo that started us (`cargo run` sets `$CARGO`), so a toolchain picked by
/// rustup for this invocation is also the one that runs the tests.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(workspace_root());
    cmd
}

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Looks `name` up in `$PATH`, then in the sbin directories, which a non-login root
/// shell (`su`, CI runners) does not always have on its `$PATH`.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether we run as root, asked through `id -u` (std has no getuid without `unsafe`).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A TCP port on 127.0.0.1 that is free right now. The listener is dropped before the
/// port is used, so another process could grab it in between; on a developer machine
/// that race is rare enough, and the failure it causes is loud (address in use).
pub fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot read the address of a bound socket: {e}"))
}

/// The machine's memory in MiB, from `/proc/meminfo` (Linux).
pub fn memory_mib() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Quotes `s` for `sh`, for the few places where a command line has to go through a
/// shell (`su -c`, the watchdog script).
pub fn shell_quote(s: impl AsRef<OsStr>) -> String {
    let s = s.as_ref().to_string_lossy();
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)) {
        return s.into_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A command line for messages: `program arg arg`.
pub fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `cmd` to completion with captured output; an error message (with the output)
/// if it cannot start or exits non-zero.
pub fn run_captured(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", describe(cmd)))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "`{}` failed ({}):\n{}{}",
            describe(cmd),
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The exit code to hand on for a child's status; a child killed by a signal maps to
/// 128 + signal like a shell does.
pub fn exit_code(status: ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(1)),
        (None, None) => ExitCode::FAILURE,
    }
}

/// The last `lines` lines of a (log) file, for error messages.
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// Prints `lines` in a box on stderr, so that it stands out of cargo's output.
pub fn banner(lines: &[String]) {
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let rule = format!("+{}+", "-".repeat(width + 2));
    let mut text = format!("\n{rule}\n");
    for line in lines {
        let pad = width - line.chars().count();
        let _ = writeln!(text, "| {line}{} |", " ".repeat(pad));
    }
    let _ = writeln!(text, "{rule}\n");
    eprint!("{text}");
}

/// A directory under `std::env::temp_dir()`, removed on drop unless `keep` is set.
///
/// Drop does not run when the process dies from a signal (Ctrl-C sends SIGINT to the
/// whole foreground process group, and std cannot install a handler without `unsafe`
/// or a crate). So a temp dir can also arm a [`Watchdog`]: a tiny shell process
/// outside our process group that waits for xtask to die and then cleans up itself.
pub struct TempDir {
    path: PathBuf,
    keep: bool,
    watchdog: Option<Watchdog>,
}

impl TempDir {
    /// Creates `<tmp>/<prefix>-<pid>[-<n>]`, picking a fresh name if one is taken (a
    /// leftover of an earlier run whose pid got reused).
    pub fn create(prefix: &str, keep: bool) -> Result<Self, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        let pid = std::process::id();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = if n == 0 {
                format!("{prefix}-{pid}")
            } else {
                format!("{prefix}-{pid}-{n}")
            };
            let path = base.join(name);
            match std::fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(Self {
                        path,
                        keep,
                        watchdog: None,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
                Err(e) => return Err(format!("cannot create temp dir {}: {e}", path.display())),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Arms the watchdog: should xtask die without running Drop, the shell snippet
    /// `before_removal` runs (e.g. stopping PostgreSQL) and then the directory goes,
    /// unless it is to be kept.
    pub fn arm_watchdog(&mut self, before_removal: &str) {
        let removal = if self.keep {
            String::from(":")
        } else {
            format!("rm -rf -- {}", shell_quote(&self.path))
        };
        let cleanup = if before_removal.is_empty() {
            removal
        } else {
            format!("{before_removal}; {removal}")
        };
        self.watchdog = Watchdog::spawn(&cleanup);
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("xtask: kept {}", self.path.display());
        } else if let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("xtask: warning: cannot remove {}: {e}", self.path.display());
        }
        // Only now: the watchdog is the fallback for everything above.
        drop(self.watchdog.take());
    }
}

/// A `sh` process that polls whether xtask is still alive and, once it is not, runs a
/// cleanup script. It lives in its own process group so that the Ctrl-C which kills
/// xtask does not kill it too. On the normal path it is simply killed.
pub struct Watchdog {
    child: Child,
}

impl Watchdog {
    /// Starts the watchdog; `None` (with a warning) if that fails, since it is only a
    /// fallback and the normal cleanup path does not need it.
    pub fn spawn(cleanup: &str) -> Option<Self> {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {cleanup}",
            pid = std::process::id()
        );
        let spawned = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        match spawned {
            Ok(child) => Some(Self { child }),
            Err(e) => {
                eprintln!("xtask: warning: cannot start the cleanup watchdog ({e}); after Ctrl-C, clean up by hand");
                None
            }
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // SIGKILL, so the cleanup script certainly does not run; its `sleep` child is
        // orphaned and ends within a second.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("/tmp/prospekt-pg-1"), "/tmp/prospekt-pg-1");
        assert_eq!(shell_quote("-p 5432 -k /x"), "'-p 5432 -k /x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
