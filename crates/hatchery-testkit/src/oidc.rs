//! A real OpenID Connect provider for sign-in tests: `tests/oidc/provider.mjs` (the
//! certified `oidc-provider` package from npm) run with Node.js on a free port. `.ci/run`
//! installs Node.js and runs `npm ci --prefix tests/oidc`; without them the test fails and
//! says what to do. Stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::free_port;

pub struct OidcProvider {
    child: Child,
    pub port: u16,
    setup: Setup,
}

/// What the provider is started with, kept for restarts.
struct Setup {
    client_id: String,
    client_secret: String,
    redirect_uris: Vec<String>,
    accounts: String,
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

impl OidcProvider {
    /// Starts the provider with one confidential client and `accounts` (a JSON object of
    /// account id -> claims). The first account signs in until [`Self::sign_in_as`].
    pub fn start(
        client_id: &str,
        client_secret: &str,
        redirect_uris: &[String],
        accounts: &str,
    ) -> OidcProvider {
        let setup = Setup {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris: redirect_uris.to_vec(),
            accounts: accounts.to_owned(),
        };
        let port = free_port();
        OidcProvider {
            child: spawn(port, &setup),
            port,
            setup,
        }
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops and starts again on the same port: new signing keys (a key rotation), and
    /// every code and session it had is forgotten.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(self.port, &self.setup);
    }

    /// Stops the provider now (a provider that is down).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The next sign-in at the provider is as `account`.
    pub fn sign_in_as(&self, account: &str) {
        let status = self.control(&format!("/test/sign-in-as?account={account}"));
        assert_eq!(status, 204, "no account {account} at the provider");
    }

    /// The next sign-in at the provider is refused by the person (`access_denied`).
    pub fn deny_next(&self) {
        assert_eq!(self.control("/test/deny"), 204);
    }

    fn control(&self, path: &str) -> u16 {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the provider");
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0)
    }
}

fn spawn(port: u16, setup: &Setup) -> Child {
    let dir = provider_dir();
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "the test OpenID Connect provider is not installed: run `npm ci --prefix tests/oidc` (Node.js >= 20)"
    );
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(&dir)
        .env("OIDC_PORT", port.to_string())
        .env("OIDC_CLIENT_ID", &setup.client_id)
        .env("OIDC_CLIENT_SECRET", &setup.client_secret)
        .env("OIDC_REDIRECT_URIS", setup.redirect_uris.join(" "))
        .env("OIDC_ACCOUNTS", &setup.accounts)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node (install Node.js >= 20)");
    // Ready when it says so; the reader thread keeps draining stdout afterwards.
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            match line {
                Ok(l) if l.starts_with("ready ") => {
                    let _ = tx.send(());
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the OpenID Connect provider did not start");
    child
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
