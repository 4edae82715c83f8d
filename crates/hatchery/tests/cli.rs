//! The `hatchery` binary as people and scripts use it: its commands with their exit codes
//! and messages, and a running `serve` process (start-up output, readiness, signing in,
//! restarts, signals, request logs). Every test runs on SQLite and, when
//! `HATCHERY_TEST_PG_URL` is set, on PostgreSQL too.
//!
//! Nothing here sleeps to synchronise or asserts on timing: the tests wait for what a
//! process prints or answers, and the deadlines below only keep a broken build from hanging
//! the test run.

use hatchery_store::Store;
use hatchery_store::testing::{self, TestStore};
use reqwest::header::{self, HeaderMap};
use reqwest::{RequestBuilder, StatusCode};
use sqlx::{Connection, Executor};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_hatchery");

/// How long a process or a request may take before the test gives up on it. A guard
/// against hangs, far above anything a working build needs; not a performance check.
const HANG_GUARD: Duration = Duration::from_secs(60);

const PASSWORD: &str = "correct horse battery";

// ---------------------------------------------------------------------------------------
// Sites: a data directory and a database.

/// One test's data directory and database on one backend.
struct Site {
    db: TestStore,
    data: TempDir,
}

impl Site {
    /// A site on SQLite, and one on PostgreSQL when `HATCHERY_TEST_PG_URL` is set.
    async fn all() -> Vec<Site> {
        let mut sites = Vec::new();
        for db in testing::stores().await {
            sites.push(Site {
                db,
                data: temp_dir(),
            });
        }
        sites
    }

    fn label(&self) -> &str {
        self.db.label()
    }

    fn store(&self) -> &Store {
        self.db.store()
    }

    /// The configuration pointing a `hatchery` process at this site.
    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "HATCHERY__DATA_DIR".into(),
                self.data.path().display().to_string(),
            ),
            ("HATCHERY__DATABASE__URL".into(), self.db.url()),
        ]
    }

    fn command(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut env = self.env();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        hatchery(args, &env, self.data.path())
    }

    /// Runs a command that exits by itself.
    fn run(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        run(self.command(args, extra))
    }

    /// Starts `serve` on a free port and waits until it is ready.
    async fn serve(&self, extra: &[(&str, &str)]) -> Server {
        Server::start(self.command(&["serve"], extra)).await
    }

    /// `hatchery admin user WORDS LAST`: the words split at spaces, then one argument that
    /// may contain spaces (a password or a path).
    fn admin(&self, words: &str, last: impl AsRef<std::ffi::OsStr>) -> Run {
        let mut args: Vec<&str> = vec!["admin", "user"];
        args.extend(words.split_whitespace());
        let mut cmd = self.command(&args, &[]);
        cmd.arg(last);
        run(cmd)
    }

    /// Creates an account with the CLI; asserts it worked.
    fn create_user(&self, name: &str, password: &str, admin: bool) {
        let role = if admin { "--admin" } else { "" };
        let r = self.admin(
            &format!("create --username {name} --email {name}@example.edu.cn {role} --password"),
            password,
        );
        r.assert_success(self.label());
    }

    /// A file holding `password` (and a line ending, as an editor would leave it).
    fn password_file(&self, tag: &str, password: &str) -> PathBuf {
        let path = self.data.path().join(format!("password-{tag}.txt"));
        std::fs::write(&path, format!("{password}\n")).expect("write the password file");
        path
    }
}

fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("hatchery-cli-test-")
        .tempdir()
        .expect("temporary directory")
}

/// `hatchery ARGS` with exactly the `HATCHERY__` configuration given: variables of that
/// kind in the test's own environment, and `RUST_LOG`, are not passed on.
fn hatchery(args: &[&str], env: &[(String, String)], cwd: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name
            .to_string_lossy()
            .to_ascii_uppercase()
            .starts_with("HATCHERY__")
        {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd.envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// Sends `signal` (a name such as TERM) to a process.
fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -s {signal} {pid} failed");
}

// ---------------------------------------------------------------------------------------
// One-shot commands.

/// How a command that ran to its end ended.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn assert_success(&self, label: &str) {
        assert!(
            self.status.success(),
            "[{label}] expected success, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }

    /// Asserts a failure exit (code 1, not a crash) whose message contains `needles`.
    #[track_caller]
    fn assert_failure(&self, label: &str, needles: &[&str]) {
        assert_eq!(
            self.status.code(),
            Some(1),
            "[{label}] expected exit code 1\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "[{label}] expected {needle:?} in stderr:\n{}",
                self.stderr
            );
        }
        assert!(
            self.stderr.lines().any(|l| l.starts_with("hatchery: ")),
            "[{label}] the message should say who is talking: {}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "[{label}] panic: {}",
            self.stderr
        );
    }
}

fn run(mut cmd: Command) -> Run {
    let what = format!("{cmd:?}");
    let child = cmd.spawn().expect("start hatchery");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(HANG_GUARD) {
        Ok(output) => {
            let output = output.expect("wait for hatchery");
            Run {
                status: output.status,
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }
        }
        Err(_) => {
            send_signal(pid, "KILL");
            panic!("{what} did not finish within {HANG_GUARD:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// A running server.

/// The lines a process writes to one of its pipes, collected by a thread.
#[derive(Default)]
struct Captured {
    state: Mutex<(Vec<String>, bool)>,
    changed: Condvar,
}

impl Captured {
    fn spawn(pipe: impl Read + Send + 'static) -> Arc<Captured> {
        let captured = Arc::new(Captured::default());
        let writer = captured.clone();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                writer.state.lock().expect("lock").0.push(line);
                writer.changed.notify_all();
            }
            writer.state.lock().expect("lock").1 = true;
            writer.changed.notify_all();
        });
        captured
    }

    /// The first line for which `wanted` holds, waiting for it; `None` when the pipe closes
    /// (the process ended) without one.
    fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + HANG_GUARD;
        let mut state = self.state.lock().expect("lock");
        loop {
            if let Some(line) = state.0.iter().find(|l| wanted(l)) {
                return Some(line.clone());
            }
            if state.1 {
                return None;
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .expect("no such output before the deadline");
            state = self.changed.wait_timeout(state, left).expect("lock").0;
        }
    }

    /// Everything, once the pipe has closed.
    fn all(&self) -> String {
        self.wait_for(|_| false);
        self.text()
    }

    /// Everything so far.
    fn text(&self) -> String {
        self.state.lock().expect("lock").0.join("\n")
    }
}

/// A `hatchery serve` process, killed when dropped unless it was stopped.
struct Server {
    pid: u32,
    exit: Receiver<ExitStatus>,
    stdout: Arc<Captured>,
    stderr: Arc<Captured>,
    addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, without the final slash.
    base: String,
    stopped: bool,
}

/// How a server ended.
struct Stopped {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Server {
    /// Starts `cmd` (a `serve` command) on a free port (unless it sets `server.listen`),
    /// reads the address from what it prints, and waits until `/api/healthz` answers 200.
    async fn start(cmd: Command) -> Server {
        let server = Server::spawn(cmd);
        server.wait_ready().await;
        server
    }

    /// As [`Server::start`], but returns as soon as the server has printed its address,
    /// without waiting for it to answer.
    fn spawn(mut cmd: Command) -> Server {
        if !cmd.get_envs().any(|(k, _)| k == "HATCHERY__SERVER__LISTEN") {
            cmd.env("HATCHERY__SERVER__LISTEN", "127.0.0.1:0");
        }
        let mut child = cmd.spawn().expect("start hatchery serve");
        let stdout = Captured::spawn(child.stdout.take().expect("stdout"));
        let stderr = Captured::spawn(child.stderr.take().expect("stderr"));
        let pid = child.id();
        let (tx, exit) = mpsc::channel();
        thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = tx.send(status);
            }
        });
        let mut server = Server {
            pid,
            exit,
            stdout,
            stderr,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            base: String::new(),
            stopped: false,
        };
        let Some(line) = server
            .stdout
            .wait_for(|l| l.contains(" is running at ") || l.contains(" is listening on "))
        else {
            panic!(
                "hatchery serve ended before it was ready\nstdout:\n{}\nstderr:\n{}",
                server.stdout.text(),
                server.stderr.all()
            );
        };
        // "... is running at http://ADDR/", or with a public URL of its own
        // "... is listening on ADDR; people reach it at URL".
        let addr = match line.split_once(" is running at http://") {
            Some((_, url)) => url.trim().trim_end_matches('/'),
            None => line
                .split_once(" is listening on ")
                .and_then(|(_, rest)| rest.split_once(';'))
                .map_or("", |(addr, _)| addr),
        };
        server.addr = addr
            .parse()
            .unwrap_or_else(|_| panic!("no IP:PORT in the start-up line: {line}"));
        server.base = format!("http://{}", server.addr);
        assert_ne!(server.addr.port(), 0, "the real port, not the configured 0");
        server
    }

    /// Polls `/api/healthz` until it answers 200.
    async fn wait_ready(&self) {
        let client = client();
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let answer = client
                .get(format!("{}/api/healthz", self.base))
                .send()
                .await;
            if let Ok(r) = &answer
                && r.status() == StatusCode::OK
            {
                return;
            }
            if let Ok(Some(status)) = self.exit.try_recv().map(Some).or_else(|e| match e {
                TryRecvError::Empty => Ok(None),
                TryRecvError::Disconnected => Err(()),
            }) {
                panic!(
                    "hatchery serve exited ({status}) before it was healthy\nstderr:\n{}",
                    self.stderr.all()
                );
            }
            assert!(
                Instant::now() < deadline,
                "/api/healthz never answered 200: {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn is_running(&self) -> bool {
        matches!(self.exit.try_recv(), Err(TryRecvError::Empty))
    }

    /// Sends `signal` and waits for the process to end.
    fn stop_with(mut self, signal: &str) -> Stopped {
        send_signal(self.pid, signal);
        self.wait_exit()
    }

    fn stop(self) -> Stopped {
        self.stop_with("TERM")
    }

    fn wait_exit(&mut self) -> Stopped {
        let status = self.exit.recv_timeout(HANG_GUARD).unwrap_or_else(|_| {
            panic!(
                "hatchery serve did not exit within {HANG_GUARD:?}\nstderr:\n{}",
                self.stderr.text()
            )
        });
        self.stopped = true;
        Stopped {
            status,
            stdout: self.stdout.all(),
            stderr: self.stderr.all(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.stopped && self.is_running() {
            let _ = Command::new("kill")
                .args(["-s", "KILL", &self.pid.to_string()])
                .status();
        }
    }
}

// ---------------------------------------------------------------------------------------
// A browser: cookies, CSRF tokens, no automatic redirects.

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(HANG_GUARD)
        .build()
        .expect("HTTP client")
}

struct Browser {
    http: reqwest::Client,
    base: String,
    jar: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Browser {
    fn new(server: &Server) -> Browser {
        Browser {
            http: client(),
            base: server.base.clone(),
            jar: BTreeMap::new(),
        }
    }

    /// Points this browser, cookies and all, at another server process.
    fn visit(&mut self, server: &Server) {
        self.base = server.base.clone();
        self.http = client();
    }

    async fn send(&mut self, mut req: RequestBuilder) -> Resp {
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header(header::COOKIE, cookies.join("; "));
        }
        let r = req.send().await.expect("HTTP request");
        let status = r.status();
        let headers = r.headers().clone();
        for raw in headers.get_all(header::SET_COOKIE) {
            let raw = raw.to_str().expect("ASCII cookie");
            let first = raw.split(';').next().unwrap_or("");
            let (name, value) = first.split_once('=').unwrap_or((first, ""));
            let lower = raw.to_ascii_lowercase();
            if value.is_empty()
                || lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970")
            {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = r.text().await.expect("response body");
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Resp {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    /// Submits a form as a browser would from a page of the site: with the CSRF token of
    /// the cookie (loading the sign-in page first when there is no token yet).
    async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        if !self.jar.contains_key("hatchery_csrf") {
            let page = self.get("/user/login").await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        }
        let token = self.jar.get("hatchery_csrf").cloned().expect("CSRF cookie");
        let mut form = vec![("_csrf", token.as_str())];
        form.extend_from_slice(fields);
        let req = self.http.post(format!("{}{path}", self.base)).form(&form);
        self.send(req).await
    }

    async fn sign_in(&mut self, login: &str, password: &str) -> Resp {
        self.post_form("/user/login", &[("login", login), ("password", password)])
            .await
    }

    /// Whether the settings page (only for signed-in users) opens.
    async fn signed_in_as(&mut self, name: &str) -> bool {
        let r = self.get("/user/settings").await;
        match r.status {
            StatusCode::OK => {
                assert!(
                    r.body.contains(name),
                    "settings of someone else: {}",
                    r.body
                );
                true
            }
            StatusCode::SEE_OTHER | StatusCode::FOUND | StatusCode::TEMPORARY_REDIRECT => {
                assert!(r.location().starts_with("/user/login"), "{r:?}");
                false
            }
            other => panic!("GET /user/settings answered {other}: {}", r.body),
        }
    }
}

// ---------------------------------------------------------------------------------------
// default-config and migrate.

#[tokio::test]
async fn default_config_prints_toml_that_loads_back() {
    let cwd = temp_dir();
    let printed = run(hatchery(&["default-config"], &[], cwd.path()));
    printed.assert_success("default-config");
    let table: toml::Table = printed.stdout.parse().expect("default-config prints TOML");
    assert_eq!(table["server"]["listen"].as_str(), Some("127.0.0.1:3000"));
    assert_eq!(table["auth"]["allow_signup"].as_bool(), Some(true));

    for site in Site::all().await {
        let label = site.label();
        // As DATA_DIR/hatchery.toml, found without --config.
        std::fs::write(site.data.path().join("hatchery.toml"), &printed.stdout).expect("write");
        let r = site.run(&["migrate"], &[]);
        r.assert_success(label);
        assert!(r.stdout.contains("is up to date"), "[{label}] {}", r.stdout);

        // Named with --config and edited: the server follows the file.
        let edited = printed
            .stdout
            .replace("allow_signup = true", "allow_signup = false");
        assert_ne!(edited, printed.stdout, "the example sets allow_signup");
        let path = site.data.path().join("edited.toml");
        std::fs::write(&path, edited).expect("write");
        let server =
            Server::start(site.command(&["--config", path.to_str().expect("UTF-8"), "serve"], &[]))
                .await;
        let out = server.stop();
        assert!(out.status.success(), "[{label}] {}", out.stderr);
        assert!(
            out.stdout.contains("sign-up is off"),
            "[{label}] {}",
            out.stdout
        );
    }
}

/// A database `hatchery migrate` has never seen: a new SQLite file, or a new PostgreSQL
/// schema (named so that `hatchery_store::testing` sweeps it up if this test dies).
enum FreshDb {
    Sqlite { data: TempDir },
    Postgres { base: String, schema: String },
}

impl FreshDb {
    async fn all() -> Vec<FreshDb> {
        let mut dbs = vec![FreshDb::Sqlite { data: temp_dir() }];
        if let Some(base) = testing::pg_url() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock");
            let schema = format!(
                "hatchery_test_{}_{:08x}{:08x}",
                now.as_millis(),
                std::process::id(),
                now.subsec_nanos()
            );
            let mut admin = sqlx::PgConnection::connect(&base)
                .await
                .expect("connect to HATCHERY_TEST_PG_URL");
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
                .await
                .expect("create a scratch schema");
            let _ = admin.close().await;
            dbs.push(FreshDb::Postgres { base, schema });
        }
        dbs
    }

    fn label(&self) -> &'static str {
        match self {
            FreshDb::Sqlite { .. } => "sqlite",
            FreshDb::Postgres { .. } => "postgres",
        }
    }

    /// The configuration for `hatchery`: SQLite is left at its default place in the
    /// data directory, the zero-configuration case.
    fn env(&self, data: &Path) -> Vec<(String, String)> {
        let mut env = vec![("HATCHERY__DATA_DIR".into(), data.display().to_string())];
        if let FreshDb::Postgres { .. } = self {
            env.push(("HATCHERY__DATABASE__URL".into(), self.url(data)));
        }
        env
    }

    fn url(&self, data: &Path) -> String {
        match self {
            FreshDb::Sqlite { .. } => format!("sqlite://{}", data.join("hatchery.db").display()),
            FreshDb::Postgres { base, schema } => {
                let separator = if base.contains('?') { '&' } else { '?' };
                format!("{base}{separator}options=-c%20search_path%3D{schema}")
            }
        }
    }

    /// The migrations recorded as applied (all successful).
    async fn applied(&self, data: &Path) -> i64 {
        let query = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        match self {
            FreshDb::Sqlite { .. } => {
                let mut c = sqlx::SqliteConnection::connect(&self.url(data))
                    .await
                    .expect("open the SQLite file");
                let n: i64 = sqlx::query_scalar(query)
                    .fetch_one(&mut c)
                    .await
                    .expect("count");
                let _ = c.close().await;
                n
            }
            FreshDb::Postgres { .. } => {
                let mut c = sqlx::PgConnection::connect(&self.url(data))
                    .await
                    .expect("connect");
                let n: i64 = sqlx::query_scalar(query)
                    .fetch_one(&mut c)
                    .await
                    .expect("count");
                let _ = c.close().await;
                n
            }
        }
    }

    async fn drop_schema(&self) {
        if let FreshDb::Postgres { base, schema } = self {
            let mut admin = sqlx::PgConnection::connect(base).await.expect("connect");
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                )))
                .await
                .expect("drop the scratch schema");
            let _ = admin.close().await;
        }
    }
}

fn migration_files(backend: &str) -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(backend);
    let n = std::fs::read_dir(&dir)
        .expect("migrations directory")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    i64::try_from(n).expect("a few files")
}

#[tokio::test]
async fn migrate_creates_the_schema_and_is_idempotent() {
    for db in FreshDb::all().await {
        let label = db.label();
        let holder = temp_dir();
        // A data directory that does not exist yet: migrate creates it.
        let data = match &db {
            FreshDb::Sqlite { data } => data.path().join("data"),
            FreshDb::Postgres { .. } => holder.path().join("data"),
        };
        let env = db.env(&data);
        let first = run(hatchery(&["migrate"], &env, holder.path()));
        first.assert_success(label);
        assert!(
            first.stdout.contains("is up to date"),
            "[{label}] {}",
            first.stdout
        );
        if label == "sqlite" {
            assert!(data.join("hatchery.db").is_file(), "[{label}] no database");
        }
        let expected = migration_files(label);
        assert!(expected >= 1);
        assert_eq!(db.applied(&data).await, expected, "[{label}]");

        let again = run(hatchery(&["migrate"], &env, holder.path()));
        again.assert_success(label);
        assert_eq!(db.applied(&data).await, expected, "[{label}] applied twice");

        // The schema is the one the application uses.
        let store = Store::connect(&db.url(&data), 2).await.expect("connect");
        assert_eq!(
            store.count_users().await.expect("users table"),
            0,
            "[{label}]"
        );
        store.close().await;
        db.drop_schema().await;
    }
}

// ---------------------------------------------------------------------------------------
// admin user create / set-password.

#[tokio::test]
async fn admin_commands_create_accounts_that_can_sign_in() {
    for site in Site::all().await {
        let label = site.label();
        let first = site.password_file("first", "first password 1");
        let r = site.admin(
            "create --username Alice --email alice@example.edu.cn --admin --password-file",
            &first,
        );
        r.assert_success(label);
        assert!(
            r.stdout.contains("Created site administrator Alice"),
            "[{label}] {}",
            r.stdout
        );
        let alice = site.store().user_by_name("alice").await.expect("query");
        assert!(alice.is_some_and(|u| u.is_admin), "[{label}] not an admin");
        let hash = site
            .store()
            .credentials_by_login("alice")
            .await
            .expect("query")
            .expect("credentials")
            .password_hash;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "[{label}] {hash}"
        );

        // --password works too; no --admin makes an ordinary user.
        let r = site.admin(
            "create --username bob --email bob@example.edu.cn --password",
            PASSWORD,
        );
        r.assert_success(label);
        assert!(
            r.stdout.contains("Created user bob"),
            "[{label}] {}",
            r.stdout
        );
        let bob = site.store().user_by_name("bob").await.expect("query");
        assert!(bob.is_some_and(|u| !u.is_admin), "[{label}] an admin");

        // Names are unique regardless of case, and so are email addresses.
        let r = site.admin(
            "create --username ALICE --email other@example.edu.cn --password",
            PASSWORD,
        );
        r.assert_failure(label, &["the name ALICE is already taken"]);
        let r = site.admin(
            "create --username carol --email Alice@Example.edu.cn --password",
            PASSWORD,
        );
        r.assert_failure(label, &["email address is already used"]);

        // Bad input, each with a message that says what to fix.
        let short = site.password_file("short", "short");
        let r = site.admin(
            "create --username dave --email dave@example.edu.cn --password-file",
            &short,
        );
        r.assert_failure(label, &["password is too short", "at least 8 characters"]);
        let r = site.admin(
            "create --username admin --email root@example.edu.cn --password",
            PASSWORD,
        );
        r.assert_failure(label, &["--username", "reserved"]);
        let r = site.admin(
            "create --username erin --email not-an-address --password",
            PASSWORD,
        );
        r.assert_failure(label, &["--email"]);
        let missing = site.data.path().join("no-such-file");
        let r = site.admin(
            "create --username erin --email erin@example.edu.cn --password-file",
            &missing,
        );
        r.assert_failure(label, &["cannot read the password file", "no-such-file"]);
        let r = site.admin("set-password --username nobody --password", PASSWORD);
        r.assert_failure(label, &["there is no user named nobody"]);
        let r = site.admin("set-password --username alice --password-file", &short);
        r.assert_failure(label, &["password is too short"]);
        let users = site.store().count_users().await.expect("count");
        assert_eq!(users, 2, "[{label}] only Alice and bob");

        // set-password replaces the password.
        let second = site.password_file("second", "second password 2");
        let r = site.admin("set-password --username alice --password-file", &second);
        r.assert_success(label);
        assert!(
            r.stdout.contains("The password of Alice has been changed"),
            "[{label}] {}",
            r.stdout
        );

        let server = site.serve(&[]).await;
        let mut browser = Browser::new(&server);
        let r = browser.sign_in("alice", "first password 1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "[{label}] old password");
        assert!(!browser.signed_in_as("Alice").await);
        let r = browser.sign_in("alice", "second password 2").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(browser.jar.contains_key("hatchery_session"), "[{label}]");
        assert!(browser.signed_in_as("Alice").await, "[{label}]");
        let mut other = Browser::new(&server);
        let r = other.sign_in("bob@example.edu.cn", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        let out = server.stop();
        assert!(out.status.success(), "[{label}] {}", out.stderr);
        assert!(
            !out.stdout.contains("No accounts yet"),
            "[{label}] the site has accounts: {}",
            out.stdout
        );
    }
}

/// `admin user create --access-token`: the account and a token with every scope, printed as
/// Gitea prints it so that scripts written for Gitea find it.
#[tokio::test]
async fn admin_auth_adds_sign_in_sources_with_secrets_from_files() {
    for site in Site::all().await {
        let label = site.label().to_owned();
        let secret = site.password_file("oidc", "client-s3cret");
        let mut cmd = site.command(
            &[
                "admin",
                "auth",
                "add-oidc",
                "--name",
                "Campus ID",
                "--issuer",
                "https://sso.uni.example/realms/uni",
                "--client-id",
                "hatchery",
                "--scopes",
                "profile email groups",
                "--client-secret-file",
            ],
            &[("HATCHERY__SERVER__PUBLIC_URL", "https://forge.uni.example/")],
        );
        cmd.arg(&secret);
        let r = run(cmd);
        r.assert_success(&label);
        assert!(
            r.stdout
                .contains("https://forge.uni.example/user/oauth2/1/callback"),
            "[{label}] the redirect URI to register: {}",
            r.stdout
        );
        assert!(!r.stdout.contains("client-s3cret"), "[{label}]");
        let stored = site
            .store()
            .auth_source_by_name("Campus ID")
            .await
            .unwrap()
            .expect("saved");
        assert!(
            stored
                .settings
                .contains("\"client_secret\":\"client-s3cret\""),
            "[{label}] the secret's first line is kept"
        );
        let r = site.run(&["admin", "auth", "list"], &[]);
        r.assert_success(&label);
        assert!(
            r.stdout.contains("oidc\tenabled\tCampus ID"),
            "[{label}] {}",
            r.stdout
        );

        let r = site.run(
            &[
                "admin",
                "auth",
                "add-oidc",
                "--name",
                "Broken",
                "--issuer",
                "sso.uni.example",
                "--client-id",
                "x",
            ],
            &[],
        );
        r.assert_failure(&label, &["--issuer"]);
        let r = site.run(
            &[
                "admin",
                "auth",
                "add-oidc",
                "--name",
                "campus id",
                "--issuer",
                "https://x.example",
                "--client-id",
                "x",
            ],
            &[],
        );
        r.assert_failure(&label, &["another sign-in source has that name"]);
    }
}

#[tokio::test]
async fn admin_user_create_can_print_an_access_token() {
    for site in Site::all().await {
        let label = site.label();
        let r = site.admin(
            "create --username ada --email ada@example.edu.cn --admin --access-token --password",
            PASSWORD,
        );
        r.assert_success(label);
        let prefix = "Access token was successfully created... ";
        let secret = r
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("[{label}] no token in {}", r.stdout))
            .trim()
            .to_owned();
        assert!(
            secret.len() == 40 && secret.bytes().all(|b| b.is_ascii_hexdigit()),
            "[{label}] {secret:?}"
        );
        let ada = site
            .store()
            .user_by_name("ada")
            .await
            .expect("query")
            .expect("ada");
        let tokens = site.store().tokens_of_user(ada.id).await.expect("tokens");
        assert_eq!(tokens.len(), 1, "[{label}]");
        assert_eq!(tokens[0].name, "hatchery-admin", "[{label}]");
        assert_eq!(
            tokens[0].scopes.len(),
            10,
            "[{label}] every scope: {:?}",
            tokens[0].scopes
        );

        // Named; and the name is only for a token being made.
        let r = site.admin(
            "create --username bob --email bob@example.edu.cn --access-token --access-token-name deploy --password",
            PASSWORD,
        );
        r.assert_success(label);
        assert!(r.stdout.contains(prefix), "[{label}] {}", r.stdout);
        let bob = site
            .store()
            .user_by_name("bob")
            .await
            .expect("query")
            .expect("bob");
        let tokens = site.store().tokens_of_user(bob.id).await.expect("tokens");
        assert_eq!(tokens[0].name, "deploy", "[{label}]");
        let r = site.admin(
            "create --username carol --email carol@example.edu.cn --access-token-name x --password",
            PASSWORD,
        );
        assert_eq!(
            r.status.code(),
            Some(2),
            "[{label}] a usage error: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("--access-token"),
            "[{label}] {}",
            r.stderr
        );
        let r = site.admin(
            "create --username dave --email dave@example.edu.cn --password",
            PASSWORD,
        );
        r.assert_success(label);
        assert!(!r.stdout.contains("Access token"), "[{label}] {}", r.stdout);

        // The token works against the running server.
        let server = site.serve(&[]).await;
        let resp = client()
            .get(format!("{}/api/v1/user", server.base))
            .header("authorization", format!("token {secret}"))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), StatusCode::OK, "[{label}]");
        let body: serde_json::Value =
            serde_json::from_str(&resp.text().await.expect("body")).expect("JSON");
        assert_eq!(body["login"], "ada", "[{label}] {body}");
        let out = server.stop();
        assert!(out.status.success(), "[{label}] {}", out.stderr);
    }
}

// ---------------------------------------------------------------------------------------
// Configuration and database errors.

/// Arguments, extra environment, and what the error message must contain.
type ConfigCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);

#[tokio::test]
async fn invalid_configuration_stops_before_anything_happens() {
    for site in Site::all().await {
        let label = site.label();
        // A data directory that does not exist: had anything run, it would.
        let untouched = site.data.path().join("untouched");
        let data_dir = untouched.to_str().expect("UTF-8");
        let unknown = site.data.path().join("unknown-key.toml");
        std::fs::write(&unknown, "[server]\nlisten_address = \"127.0.0.1:3000\"\n").expect("write");
        let bad_format = site.data.path().join("bad-format.toml");
        std::fs::write(&bad_format, "[log]\nformat = \"xml\"\n").expect("write");
        let cases: [ConfigCase; 5] = [
            (
                &["serve"],
                &[("HATCHERY__SERVER__LISTEN", "abc")],
                &[
                    "invalid configuration: server.listen",
                    "\"abc\"",
                    "HATCHERY__SERVER__LISTEN",
                ],
            ),
            (
                &["--config", unknown.to_str().expect("UTF-8"), "serve"],
                &[],
                &["server.listen_address", "unknown-key.toml"],
            ),
            (
                &["--config", bad_format.to_str().expect("UTF-8"), "migrate"],
                &[],
                &["log.format", "\"xml\"", "bad-format.toml"],
            ),
            (
                &["serve"],
                &[("HATCHERY__SERVR__LISTEN", "127.0.0.1:3000")],
                &["HATCHERY__SERVR__LISTEN"],
            ),
            (
                &[
                    "admin",
                    "user",
                    "create",
                    "--username",
                    "u1",
                    "--email",
                    "u1@example.org",
                    "--password",
                    PASSWORD,
                ],
                &[("HATCHERY__DATABASE__MAX_CONNECTIONS", "0")],
                &["database.max_connections", "between 1 and 1000"],
            ),
        ];
        for (args, env, needles) in cases {
            let mut env = env.to_vec();
            env.push(("HATCHERY__DATA_DIR", data_dir));
            let r = site.run(args, &env);
            r.assert_failure(label, needles);
            assert_eq!(r.stdout, "", "[{label}] {args:?}");
            assert!(
                !untouched.exists(),
                "[{label}] {args:?} created the data directory"
            );
        }
        assert_eq!(site.store().count_users().await.expect("count"), 0);

        // A port that is taken: named, with the key to change.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = taken.local_addr().expect("address").to_string();
        let r = site.run(&["serve"], &[("HATCHERY__SERVER__LISTEN", &addr)]);
        r.assert_failure(
            label,
            &[&format!("cannot listen on {addr} (server.listen)")],
        );
        assert!(!r.stdout.contains("running at"), "[{label}] {}", r.stdout);
    }
}

#[test]
fn unreachable_postgresql_is_a_clear_error() {
    let data = temp_dir();
    let env = vec![
        (
            "HATCHERY__DATA_DIR".to_owned(),
            data.path().display().to_string(),
        ),
        (
            "HATCHERY__DATABASE__URL".to_owned(),
            "postgres://postgres:hunter2@127.0.0.1:1/x".to_owned(),
        ),
    ];
    let commands: [&[&str]; 3] = [
        &["serve"],
        &["migrate"],
        &[
            "admin",
            "user",
            "set-password",
            "--username",
            "u",
            "--password",
            PASSWORD,
        ],
    ];
    // Side by side: each waits out the connection attempts.
    let runs: Vec<_> = commands
        .iter()
        .map(|args| {
            let cmd = hatchery(args, &env, data.path());
            thread::spawn(move || run(cmd))
        })
        .collect();
    for (args, r) in commands.iter().zip(runs) {
        let r = r.join().expect("runner");
        let label = format!("{args:?}");
        r.assert_failure(
            &label,
            &["cannot open the database at postgres://postgres:[redacted]@127.0.0.1:1/x"],
        );
        assert!(
            !r.stderr.contains("hunter2"),
            "[{label}] password shown: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("running at"), "[{label}] {}", r.stdout);
    }
}

// ---------------------------------------------------------------------------------------
// serve: start-up, signals, restarts, logs.

#[tokio::test]
async fn start_up_output_names_the_url_and_how_the_first_admin_gets_in() {
    for site in Site::all().await {
        let label = site.label();
        let server = site.serve(&[]).await;
        let base = server.base.clone();
        let out = server.stop();
        let expected = [
            format!(
                "Hatchery {} is running at {base}/",
                env!("CARGO_PKG_VERSION")
            ),
            format!(
                "No accounts yet: the first account to sign up at {base}/user/sign_up becomes the site administrator."
            ),
        ];
        assert_eq!(
            out.stdout.lines().collect::<Vec<_>>(),
            expected,
            "[{label}]"
        );

        let server = site
            .serve(&[("HATCHERY__AUTH__ALLOW_SIGNUP", "false")])
            .await;
        let out = server.stop();
        assert!(
            out.stdout.contains("sign-up is off"),
            "[{label}] {}",
            out.stdout
        );
        assert!(
            out.stdout.contains(
                "hatchery admin user create --admin --username NAME --email EMAIL --password-file FILE"
            ),
            "[{label}] {}",
            out.stdout
        );

        // Behind a proxy: the public URL is shown, and the address actually bound.
        let server = site
            .serve(&[("HATCHERY__SERVER__PUBLIC_URL", "https://git.example.com")])
            .await;
        let addr = server.addr;
        let out = server.stop();
        let expected = [
            format!(
                "Hatchery {} is listening on {addr}; people reach it at https://git.example.com/",
                env!("CARGO_PKG_VERSION")
            ),
            "No accounts yet: the first account to sign up at https://git.example.com/user/sign_up becomes the site administrator.".to_owned(),
        ];
        assert_eq!(
            out.stdout.lines().collect::<Vec<_>>(),
            expected,
            "[{label}]"
        );

        // On all addresses and any free port: the bound port, at localhost.
        let server = site
            .serve(&[("HATCHERY__SERVER__LISTEN", "0.0.0.0:0")])
            .await;
        let port = server.addr.port();
        let out = server.stop();
        let expected = [
            format!(
                "Hatchery {} is listening on 0.0.0.0:{port}; people reach it at http://localhost:{port}/",
                env!("CARGO_PKG_VERSION")
            ),
            format!(
                "No accounts yet: the first account to sign up at http://localhost:{port}/user/sign_up becomes the site administrator."
            ),
        ];
        assert_eq!(
            out.stdout.lines().collect::<Vec<_>>(),
            expected,
            "[{label}]"
        );
    }
}

#[tokio::test]
async fn sigterm_and_sigint_end_the_server_cleanly() {
    for site in Site::all().await {
        let label = site.label();
        for signal in ["TERM", "INT"] {
            let server = site.serve(&[]).await;
            // An idle keep-alive connection must not hold the shutdown up.
            let mut browser = Browser::new(&server);
            assert_eq!(browser.get("/").await.status, StatusCode::OK);
            let out = server.stop_with(signal);
            assert!(
                out.status.success(),
                "[{label}] SIG{signal}: {}\n{}",
                out.status,
                out.stderr
            );
            assert!(
                out.stderr
                    .contains("shutting down: finishing requests in flight"),
                "[{label}] SIG{signal}: {}",
                out.stderr
            );
            assert!(!out.stderr.contains("panicked"), "[{label}] {}", out.stderr);
        }
    }
}

#[tokio::test]
async fn a_signal_as_soon_as_the_address_is_printed_still_shuts_down_cleanly() {
    for site in Site::all().await {
        let label = site.label();
        for signal in ["TERM", "INT"] {
            // The address is printed once the server is about to serve: from then on a
            // signal must go through the graceful path, not kill the process.
            let out = Server::spawn(site.command(&["serve"], &[])).stop_with(signal);
            assert!(
                out.status.success(),
                "[{label}] SIG{signal}: {}\n{}",
                out.status,
                out.stderr
            );
            assert!(
                out.stderr.contains("shutting down"),
                "[{label}] SIG{signal}: {}",
                out.stderr
            );
        }
    }
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_gets_its_whole_answer() {
    for site in Site::all().await {
        let label = site.label();
        site.create_user("alice", PASSWORD, true);
        let server = site.serve(&[]).await;
        let mut browser = Browser::new(&server);
        assert_eq!(browser.get("/user/login").await.status, StatusCode::OK);
        let token = browser.jar["hatchery_csrf"].clone();
        let body = format!("_csrf={token}&login=alice&password=correct+horse+battery");

        // Send the head of a sign-in and wait for "100 Continue": the server has taken the
        // request and its handler is waiting for the body.
        let mut conn = TcpStream::connect(server.addr).expect("connect");
        conn.set_read_timeout(Some(HANG_GUARD)).expect("timeout");
        write!(
            conn,
            "POST /user/login HTTP/1.1\r\nHost: {}\r\nCookie: hatchery_csrf={token}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Expect: 100-continue\r\nConnection: close\r\n\r\n",
            server.addr,
            body.len()
        )
        .expect("send the head");
        let mut reader = BufReader::new(conn.try_clone().expect("clone"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("read");
        assert_eq!(line, "HTTP/1.1 100 Continue\r\n", "[{label}]");
        line.clear();
        reader.read_line(&mut line).expect("read");
        assert_eq!(line, "\r\n", "[{label}]");

        // Shut down, and wait until the server has stopped taking connections.
        send_signal(server.pid, "TERM");
        server
            .stderr
            .wait_for(|l| l.contains("shutting down"))
            .unwrap_or_else(|| panic!("[{label}] no shutdown log: {}", server.stderr.text()));
        let deadline = Instant::now() + HANG_GUARD;
        while TcpStream::connect(server.addr).is_ok() {
            assert!(
                Instant::now() < deadline,
                "[{label}] still accepting connections"
            );
            thread::yield_now();
        }
        assert!(
            server.is_running(),
            "[{label}] exited with a request in flight"
        );

        // The rest of the request, and the whole answer.
        conn.write_all(body.as_bytes()).expect("send the body");
        let mut answer = String::new();
        reader.read_to_string(&mut answer).expect("read the answer");
        let (head, rest) = answer
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("[{label}] incomplete answer: {answer:?}"));
        assert!(head.starts_with("HTTP/1.1 303 "), "[{label}] {head}");
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("set-cookie: hatchery_session="),
            "[{label}] {head}"
        );
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("[{label}] no content-length: {head}"));
        assert_eq!(rest.len(), length, "[{label}] truncated body");

        let mut server = server;
        let out = server.wait_exit();
        assert!(
            out.status.success(),
            "[{label}] {}\n{}",
            out.status,
            out.stderr
        );
        assert!(out.stderr.contains("signed in"), "[{label}] {}", out.stderr);
    }
}

#[tokio::test]
async fn healthcheck_asks_the_configured_server() {
    for site in Site::all().await {
        let label = site.label();
        let server = site.serve(&[]).await;
        let port = server.addr.port();
        // The address the server listens on, and a wildcard one (as in the container
        // image, 0.0.0.0:3000), which is checked on the loopback.
        for listen in [server.addr.to_string(), format!("0.0.0.0:{port}")] {
            let r = site.run(&["healthcheck"], &[("HATCHERY__SERVER__LISTEN", &listen)]);
            r.assert_success(label);
            assert!(
                r.stdout.starts_with("healthy: {") && r.stdout.contains("\"status\":\"pass\""),
                "[{label}] {listen}: {}",
                r.stdout
            );
        }
        let out = server.stop();
        assert!(out.status.success(), "[{label}] {}", out.stderr);

        let listen = format!("127.0.0.1:{port}");
        let r = site.run(&["healthcheck"], &[("HATCHERY__SERVER__LISTEN", &listen)]);
        r.assert_failure(
            label,
            &[&format!(
                "cannot connect to 127.0.0.1:{port} (server.listen)"
            )],
        );
        let r = site.run(
            &["healthcheck"],
            &[("HATCHERY__SERVER__LISTEN", "127.0.0.1:0")],
        );
        r.assert_failure(label, &["server.listen is 127.0.0.1:0", "port 0"]);
    }
}

#[test]
fn healthcheck_fails_on_an_unhealthy_answer_or_none() {
    let data = temp_dir();
    // A server whose database is down answers 503 with the failing check.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let answering = thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut head = String::new();
        let mut reader = BufReader::new(conn.try_clone().expect("clone"));
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        conn.write_all(
            b"HTTP/1.0 503 Service Unavailable\r\ncontent-type: application/json\r\n\r\n{\"status\":\"fail\"}",
        )
        .expect("answer");
        head
    });
    let env = [("HATCHERY__SERVER__LISTEN".to_owned(), addr.to_string())];
    let r = run(hatchery(&["healthcheck"], &env, data.path()));
    r.assert_failure(
        "503",
        &[&format!(
            "unhealthy: http://{addr}/api/healthz answered 503: {{\"status\":\"fail\"}}"
        )],
    );
    let head = answering.join().expect("fake server");
    assert!(head.starts_with("GET /api/healthz HTTP/1.0\r\n"), "{head}");

    // One that takes the connection and never answers: the timeout ends the check.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("address");
    let env = [("HATCHERY__SERVER__LISTEN".to_owned(), addr.to_string())];
    let r = run(hatchery(
        &["healthcheck", "--timeout", "1"],
        &env,
        data.path(),
    ));
    r.assert_failure(
        "silent",
        &[&format!(
            "no answer from http://{addr}/api/healthz within 1s"
        )],
    );
    drop(silent);
}

#[tokio::test]
async fn the_signing_secret_is_generated_once_and_sign_ins_survive_a_restart() {
    for site in Site::all().await {
        let label = site.label();
        site.create_user("alice", PASSWORD, false);
        let server = site.serve(&[]).await;
        let mut browser = Browser::new(&server);
        let r = browser.sign_in("alice", PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(browser.signed_in_as("alice").await, "[{label}]");
        let first = server.stop();
        assert!(first.status.success(), "[{label}]");

        // Same database, new process: the cookies of the first one still hold.
        let server = site.serve(&[]).await;
        browser.visit(&server);
        assert!(
            browser.signed_in_as("alice").await,
            "[{label}] signed out by a restart"
        );
        let second = server.stop();
        assert!(second.status.success(), "[{label}]");

        // The cookies are signed with the secret: another one refuses them.
        let other = "another-secret-another-secret-0123456789";
        let server = site.serve(&[("HATCHERY__AUTH__SECRET", other)]).await;
        let mut stranger = Browser::new(&server);
        stranger.jar = browser.jar.clone();
        assert!(
            !stranger.signed_in_as("alice").await,
            "[{label}] secret not checked"
        );
        let third = server.stop();
        assert!(third.status.success(), "[{label}]");

        // And the stored one is back when the setting goes; the CSRF cookie of the first
        // process still signs a form.
        let server = site.serve(&[]).await;
        browser.visit(&server);
        assert!(browser.signed_in_as("alice").await, "[{label}]");
        let r = browser.post_form("/user/logout", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{label}] {}", r.body);
        assert!(!browser.signed_in_as("alice").await, "[{label}]");
        let last = server.stop();
        for out in [first, second, third, last] {
            assert!(
                !out.stdout.contains(other) && !out.stderr.contains(other),
                "[{label}] the secret was printed"
            );
        }
        let stored = site
            .store()
            .setting("auth.secret")
            .await
            .expect("query")
            .expect("a stored secret");
        assert!(stored.len() >= 32, "[{label}] {} characters", stored.len());
    }
}

#[tokio::test]
async fn json_logs_give_method_route_status_and_latency() {
    for site in Site::all().await {
        let label = site.label();
        let server = site.serve(&[("HATCHERY__LOG__FORMAT", "json")]).await;
        let mut browser = Browser::new(&server);
        assert_eq!(
            browser.get("/user/login?next=%2Fsecret-path").await.status,
            StatusCode::OK
        );
        assert_eq!(
            browser.get("/no/such/page").await.status,
            StatusCode::NOT_FOUND
        );
        let out = server.stop();
        assert!(out.status.success(), "[{label}]");

        let events: Vec<serde_json::Value> = out
            .stderr
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("[{label}] not a JSON line ({e}): {l}"))
            })
            .collect();
        let requests: Vec<&serde_json::Value> = events
            .iter()
            .filter(|e| e["target"] == "hatchery::http")
            .collect();
        let find = |route: &str| {
            requests
                .iter()
                .find(|e| e["route"] == route)
                .unwrap_or_else(|| panic!("[{label}] no log of {route}: {}", out.stderr))
        };
        for (route, status) in [("/api/healthz", 200), ("/user/login", 200)] {
            let event = find(route);
            assert_eq!(event["method"], "GET", "[{label}] {event}");
            assert_eq!(event["status"], status, "[{label}] {event}");
            assert_eq!(event["level"], "INFO", "[{label}] {event}");
            assert!(event["timestamp"].is_string(), "[{label}] {event}");
            assert!(
                event["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
                "[{label}] {event}"
            );
        }
        let missing = requests
            .iter()
            .find(|e| e["status"] == 404)
            .unwrap_or_else(|| panic!("[{label}] no 404 logged: {}", out.stderr));
        assert_eq!(missing["method"], "GET", "[{label}] {missing}");
        assert!(missing["route"].is_string(), "[{label}] {missing}");
        // Routes, never raw paths or queries.
        assert!(
            !out.stderr.contains("secret-path"),
            "[{label}] {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("/no/such/page"),
            "[{label}] {}",
            out.stderr
        );
        let messages: Vec<&str> = events
            .iter()
            .filter_map(|e| e["message"].as_str())
            .collect();
        assert!(
            messages.contains(&"server started"),
            "[{label}] {messages:?}"
        );
    }
}

#[tokio::test]
async fn text_logs_give_method_route_status_and_latency() {
    let site = Site {
        db: testing::sqlite().await,
        data: temp_dir(),
    };
    let server = site.serve(&[]).await;
    let out = server.stop();
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("hatchery::http"))
        .unwrap_or_else(|| panic!("no request log: {}", out.stderr));
    for part in [
        "INFO",
        "method=GET",
        "route=/api/healthz",
        "status=200",
        "latency_ms=",
    ] {
        assert!(line.contains(part), "{part:?} missing: {line}");
    }
}

// ---------------------------------------------------------------------------------------
// Git over SSH: the built-in server of `serve`, and `keys`/`serv` behind OpenSSH.

/// git (hermetic, from `hatchery_testkit`) in `dir` with this site's configuration in its
/// environment, so that a `hatchery serv` it starts finds the site.
fn site_git(site: &Site, dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = hatchery_testkit::git::command(dir);
    cmd.envs(site.env()).envs(envs.iter().copied()).args(args);
    cmd.output().expect("run git")
}

/// A site with user ada (her SSH key registered) and her private repository ada/engine.
async fn ssh_site(site: &Site) -> (hatchery_testkit::ssh::KeyPair, i64) {
    site.create_user("ada", PASSWORD, false);
    site.run(&["admin", "repo", "create", "ada/engine", "--private"], &[])
        .assert_success(site.label());
    let key = hatchery_testkit::ssh::key_pair(site.data.path(), "ada-key");
    let ada = site
        .store()
        .user_by_name("ada")
        .await
        .expect("query")
        .expect("ada");
    let parsed = hatchery_core::ssh::parse_public_key(&key.public).expect("key");
    let stored = site
        .store()
        .add_user_key(
            ada.id,
            hatchery_store::NewSshKey {
                title: "laptop",
                algorithm: &parsed.algorithm,
                public_key: &parsed.openssh,
                fingerprint: &parsed.fingerprint,
            },
        )
        .await
        .expect("add key");
    (key, stored.id)
}

/// A working repository with two commits on main.
fn ssh_work_repo(site: &Site, name: &str) -> PathBuf {
    let work = site.data.path().join(name);
    std::fs::create_dir_all(&work).expect("mkdir");
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["commit", "-q", "--allow-empty", "-m", "one"],
        &["commit", "-q", "--allow-empty", "-m", "two"],
    ] {
        hatchery_testkit::git::ok(&site_git(site, &work, &[], args));
    }
    work
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_the_ssh_server_with_lasting_host_keys() {
    for site in Site::all().await {
        let l = site.label().to_owned();
        let (key, _) = ssh_site(&site).await;
        let work = ssh_work_repo(&site, "work");
        let extra = [
            ("HATCHERY__SSH__ENABLED", "true"),
            ("HATCHERY__SSH__LISTEN", "127.0.0.1:0"),
        ];
        let mut known: Option<String> = None;
        for round in 0..2 {
            let server = site.serve(&extra).await;
            let line = server
                .stdout
                .wait_for(|l| l.contains("SSH is listening on "))
                .unwrap_or_else(|| panic!("[{l}] no SSH line:\n{}", server.stdout.text()));
            let addr: SocketAddr = line
                .split_once("SSH is listening on ")
                .and_then(|(_, rest)| rest.split_once(';'))
                .and_then(|(a, _)| a.parse().ok())
                .unwrap_or_else(|| panic!("[{l}] {line}"));
            // Clone URLs name the port actually bound.
            assert!(
                line.contains(&format!(
                    "ssh://git@127.0.0.1:{}/OWNER/REPO.git",
                    addr.port()
                )),
                "[{l}] {line}"
            );
            let host_key = site.data.path().join("ssh/ssh_host_ed25519_key");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&host_key)
                    .expect("host key")
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "[{l}]");
            }
            // The second start must present the key the first one made: the client knows
            // only that one and checks strictly.
            let public = known.get_or_insert_with(|| {
                std::fs::read_to_string(host_key.with_extension("pub")).expect("public host key")
            });
            let known_hosts = site.data.path().join(format!("known_hosts-{round}"));
            std::fs::write(
                &known_hosts,
                format!("[127.0.0.1]:{} {public}", addr.port()),
            )
            .expect("known_hosts");
            let ssh_command = format!(
                "ssh -F /dev/null -i {} -o IdentitiesOnly=yes -o IdentityAgent=none -o StrictHostKeyChecking=yes -o UserKnownHostsFile={} -o BatchMode=yes -o LogLevel=ERROR -p {}",
                key.private.display(),
                known_hosts.display(),
                addr.port()
            );
            let envs = [("GIT_SSH_COMMAND", ssh_command.as_str())];
            let url = format!("ssh://git@127.0.0.1:{}/ada/engine.git", addr.port());
            if round == 0 {
                hatchery_testkit::git::ok(&site_git(
                    &site,
                    &work,
                    &envs,
                    &["push", "-q", &url, "main"],
                ));
            }
            let clone = site.data.path().join(format!("clone-{round}"));
            hatchery_testkit::git::ok(&site_git(
                &site,
                site.data.path(),
                &envs,
                &["clone", "-q", &url, clone.to_str().unwrap_or_default()],
            ));
            let log =
                hatchery_testkit::git::ok(&site_git(&site, &clone, &[], &["log", "--format=%s"]));
            assert_eq!(log, "two\none\n", "[{l}]");
            let stopped = server.stop();
            assert!(stopped.status.success(), "[{l}] {}", stopped.stderr);
        }
        // The host keys travel in a dump only with the secrets, private still.
        let entries = |archive: &Path| -> Vec<(String, u32)> {
            let file = std::fs::File::open(archive).expect("archive");
            let mut tar = tar::Archive::new(file);
            tar.entries()
                .expect("entries")
                .map(|e| {
                    let e = e.expect("entry");
                    let path = e.path().expect("path").to_string_lossy().into_owned();
                    (path, e.header().mode().expect("mode"))
                })
                .collect()
        };
        let with = site.data.path().join("with-secrets.tar");
        let without = site.data.path().join("without.tar");
        site.run(
            &[
                "dump",
                "--include-secrets",
                "-o",
                with.to_str().unwrap_or_default(),
            ],
            &[],
        )
        .assert_success(&l);
        site.run(&["dump", "-o", without.to_str().unwrap_or_default()], &[])
            .assert_success(&l);
        let listed = entries(&with);
        assert!(
            listed.contains(&("ssh/ssh_host_ed25519_key".to_owned(), 0o600)),
            "[{l}] {listed:?}"
        );
        assert!(
            listed.iter().any(|(p, _)| p == "ssh/ssh_host_rsa_key"),
            "[{l}] {listed:?}"
        );
        assert!(
            !entries(&without).iter().any(|(p, _)| p.starts_with("ssh/")),
            "[{l}]"
        );
        // Restored, a new site answers with the same host key.
        let target = temp_dir();
        let env = vec![
            (
                "HATCHERY__DATA_DIR".to_owned(),
                target.path().display().to_string(),
            ),
            (
                "HATCHERY__DATABASE__URL".to_owned(),
                format!("sqlite://{}", target.path().join("hatchery.db").display()),
            ),
        ];
        run(hatchery(
            &["restore", with.to_str().unwrap_or_default()],
            &env,
            target.path(),
        ))
        .assert_success(&l);
        let restored = target.path().join("ssh/ssh_host_ed25519_key");
        assert_eq!(
            std::fs::read_to_string(restored.with_extension("pub")).ok(),
            known,
            "[{l}]"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&restored)
                .expect("restored key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "[{l}]");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_serv_put_git_behind_openssh() {
    for site in Site::all().await {
        let l = site.label().to_owned();
        let (key, key_id) = ssh_site(&site).await;
        let (kind, body) = key
            .public
            .split_once(' ')
            .map(|(k, rest)| (k, rest.split(' ').next().unwrap_or_default()))
            .expect("key text");

        // sshd's AuthorizedKeysCommand: the line for the git account, nothing for others.
        let r = site.run(
            &["keys", "-e", "git", "-u", "git", "-t", kind, "-k", body],
            &[],
        );
        r.assert_success(&l);
        let expected = format!(
            "command=\"{BIN} serv key-{key_id}\",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict {kind} {body}\n"
        );
        assert_eq!(r.stdout, expected, "[{l}]");
        let r = site.run(
            &["keys", "-e", "git", "-u", "root", "-t", kind, "-k", body],
            &[],
        );
        r.assert_success(&l);
        assert_eq!(r.stdout, "", "[{l}]");
        let other = hatchery_testkit::ssh::key_pair(site.data.path(), "other");
        let other_body = other.public.split(' ').nth(1).unwrap_or_default();
        let r = site.run(
            &["keys", "-u", "git", "-t", "ssh-ed25519", "-k", other_body],
            &[],
        );
        r.assert_success(&l);
        assert_eq!(r.stdout, "", "[{l}]");

        // sshd then runs the forced command with the client's command in
        // SSH_ORIGINAL_COMMAND: here a stand-in for ssh that does just that.
        let fake_ssh = site.data.path().join("fake-ssh");
        std::fs::write(
            &fake_ssh,
            format!(
                "#!/bin/sh\n# git runs: fake-ssh [options] HOST COMMAND\nfor last; do :; done\nSSH_ORIGINAL_COMMAND=\"$last\" exec {BIN} serv key-{key_id}\n"
            ),
        )
        .expect("write fake ssh");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake_ssh, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        let envs = [
            ("GIT_SSH_COMMAND", fake_ssh.to_str().unwrap_or_default()),
            ("GIT_SSH_VARIANT", "simple"),
        ];
        let work = ssh_work_repo(&site, "work");
        let url = "git@localhost:ada/engine.git";
        hatchery_testkit::git::ok(&site_git(&site, &work, &envs, &["push", "-q", url, "main"]));
        for version in ["0", "2"] {
            let clone = site.data.path().join(format!("clone-v{version}"));
            hatchery_testkit::git::ok(&site_git(
                &site,
                site.data.path(),
                &envs,
                &[
                    "-c",
                    &format!("protocol.version={version}"),
                    "clone",
                    "-q",
                    url,
                    clone.to_str().unwrap_or_default(),
                ],
            ));
            let log =
                hatchery_testkit::git::ok(&site_git(&site, &clone, &[], &["log", "--format=%s"]));
            assert_eq!(log, "two\none\n", "[{l}]");
        }
        // The push went through the forge: the repository knows it was pushed to.
        let repo = site
            .store()
            .repo_by_name("ada", "engine")
            .await
            .expect("query")
            .expect("repo");
        assert!(repo.pushed_at.is_some(), "[{l}]");
        // The upkeep after the push ran before `serv` ended (it would die with the process).
        let graph = site
            .data
            .path()
            .join("repositories/ada/engine.git/objects/info/commit-graph");
        assert!(
            graph.exists(),
            "[{l}] no commit-graph after a push over serv"
        );

        // Refusals: one line on stderr, exit status 1.
        let serv = |key: &str, command: Option<&str>| {
            let mut cmd = site.command(&["serv", key], &[]);
            if let Some(c) = command {
                cmd.env("SSH_ORIGINAL_COMMAND", c);
            }
            run(cmd)
        };
        let r = serv(&format!("key-{key_id}"), None);
        assert_eq!(r.status.code(), Some(1), "[{l}] {}", r.stderr);
        assert!(r.stderr.contains("Hi ada!"), "[{l}] {}", r.stderr);
        let r = serv(&format!("key-{key_id}"), Some("ls /"));
        assert_eq!(r.status.code(), Some(1), "[{l}]");
        assert!(
            r.stderr.contains("Only git-upload-pack"),
            "[{l}] {}",
            r.stderr
        );
        let r = serv(
            &format!("key-{key_id}"),
            Some("git-upload-pack 'ada/nothing.git'"),
        );
        assert_eq!(r.status.code(), Some(1), "[{l}]");
        assert!(
            r.stderr.contains("Repository not found"),
            "[{l}] {}",
            r.stderr
        );
        let r = serv("key-999999", Some("git-upload-pack 'ada/engine.git'"));
        assert_eq!(r.status.code(), Some(1), "[{l}]");
        assert!(
            r.stderr.contains("This key is not registered"),
            "[{l}] {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "[{l}]");
    }
}

// ---------------------------------------------------------------------------------------
// admin migrate: an import run by the CLI, from another running server.

#[tokio::test]
async fn admin_migrate_imports_a_private_repository_from_another_server() {
    for (a, b) in Site::all().await.into_iter().zip(Site::all().await) {
        let l = a.label().to_owned();
        a.create_user("ada", PASSWORD, false);
        a.run(&["admin", "repo", "create", "ada/engine", "--private"], &[])
            .assert_success(&l);
        let server = a.serve(&[]).await;
        let work = ssh_work_repo(&a, "engine-work");
        let authority = server.base.trim_start_matches("http://");
        let push = format!(
            "http://ada:{}@{authority}/ada/engine.git",
            PASSWORD.replace(' ', "%20")
        );
        hatchery_testkit::git::ok(&site_git(&a, &work, &[], &["push", "-q", &push, "main"]));
        hatchery_testkit::git::ok(&site_git(&a, &work, &[], &["tag", "v1", "HEAD~1"]));
        hatchery_testkit::git::ok(&site_git(&a, &work, &[], &["push", "-q", &push, "v1"]));

        b.create_user("bob", PASSWORD, false);
        let secret = b.password_file("source", PASSWORD);
        let allow = [("HATCHERY__MIGRATIONS__ALLOWED_HOSTS", "loopback")];
        let from = format!("{}/ada/engine.git", server.base);
        let secret_arg = secret.display().to_string();
        let migrate = |to: &str, extra: &[&str]| {
            let mut args = vec![
                "admin",
                "migrate",
                "--from",
                &from,
                "--to",
                to,
                "--service",
                "gitea",
            ];
            args.extend_from_slice(extra);
            b.run(&args, &allow)
        };
        // Without the password the private source looks missing: the import stops.
        let r = migrate("bob/nothing", &[]);
        r.assert_failure(&l, &["the import stopped", "--resume"]);

        let r = migrate(
            "bob/engine",
            &[
                "--username",
                "ada",
                "--password-file",
                &secret_arg,
                "--private",
            ],
        );
        r.assert_success(&l);
        assert!(r.stdout.contains("Imported"), "[{l}] {}", r.stdout);
        assert!(
            !r.stdout.contains(PASSWORD) && !r.stderr.contains(PASSWORD),
            "[{l}]"
        );
        let refs = |url: &str| {
            let out = site_git(&a, a.data.path(), &[], &["ls-remote", url]);
            hatchery_testkit::git::ok(&out);
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let copy = b.data.path().join("repositories/bob/engine.git");
        let copied = refs(copy.to_str().expect("utf-8"));
        assert_eq!(copied, refs(&push), "[{l}] the same branches and tags");
        assert!(copied.contains("refs/tags/v1"), "[{l}] {copied}");
        let repo = b
            .store()
            .repo_by_name("bob", "engine")
            .await
            .expect("query")
            .expect("imported");
        assert!(repo.is_private, "[{l}]");
        // Once more: the name is taken, a clear error.
        let r = migrate(
            "bob/engine",
            &["--username", "ada", "--password-file", &secret_arg],
        );
        r.assert_failure(&l, &["already exists"]);
        server.stop();
    }
}
