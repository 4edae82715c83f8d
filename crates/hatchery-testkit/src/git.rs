//! The `git` client from `PATH`, run without system or global configuration, without
//! prompts, and with a fixed identity, so tests give the same result on every machine.

use std::path::Path;
use std::process::{Command, Output};

/// The identity of commits and tags made through [`command`], unless a test sets its own.
pub const NAME: &str = "Test Author";
pub const EMAIL: &str = "author@example.org";

/// Variables that would point git at another repository or ask someone for a password.
const CLEARED: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
];

/// `git` in `dir`, ready for arguments: no system or global configuration, no prompts,
/// no signing, author and committer [`NAME`] <[`EMAIL`]> (override with `.env`).
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", NAME)
        .env("GIT_AUTHOR_EMAIL", EMAIL)
        .env("GIT_COMMITTER_NAME", NAME)
        .env("GIT_COMMITTER_EMAIL", EMAIL)
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]);
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd
}

/// Sets author and committer to one person.
pub fn identity<'a>(cmd: &'a mut Command, name: &str, email: &str) -> &'a mut Command {
    cmd.env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email)
}

/// Dates author and committer at `unix_seconds` (UTC).
pub fn dated(cmd: &mut Command, unix_seconds: i64) -> &mut Command {
    let date = format!("@{unix_seconds} +0000");
    cmd.env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
}

/// Standard output of a finished git; panics with its output when it failed.
#[track_caller]
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "git failed ({}): {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd` with `args`; its standard output as bytes, panicking when it failed.
#[track_caller]
pub fn run_bytes(cmd: &mut Command, args: &[&str]) -> Vec<u8> {
    let out = cmd.args(args).output().expect("git runs (is it on PATH?)");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs [`command`]`(dir)` with `args`; its standard output, panicking when it failed.
#[track_caller]
pub fn run(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&run_bytes(&mut command(dir), args)).into_owned()
}

/// A working repository in `dir` (created if missing) on branch `main`.
pub fn init_work(dir: &Path) {
    std::fs::create_dir_all(dir).expect("create work directory");
    run(dir, &["init", "-q", "-b", "main"]);
}
