//! Crash leftovers: the upkeep removes receive quarantines of pushes that were killed and
//! half-built repositories once they are older than the longest push allowed, and never
//! touches a push that is still running.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use hatchery_git::{ReceiveOptions, Repository};
use hatchery_service::maintenance::Leftovers;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::testing::stores;
use hatchery_testkit::git;

/// `git.max_push_secs` for these tests.
const MAX_PUSH: Duration = Duration::from_secs(3600);

fn backdate(path: &Path, by: Duration) {
    let then = filetime::FileTime::from_system_time(SystemTime::now() - by);
    filetime::set_file_mtime(path, then).unwrap();
}

/// A leftover directory with a file in it, as a killed push or creation leaves it.
fn leftover(path: &Path) -> PathBuf {
    std::fs::create_dir_all(path.join("pack")).unwrap();
    std::fs::write(path.join("pack").join("tmp_pack_x"), b"PACK...").unwrap();
    path.to_owned()
}

/// A pack of one commit on `main`, made by git.
fn pack_of_one_commit(work: &Path) -> (Vec<u8>, String) {
    git::init_work(work);
    std::fs::write(work.join("a.txt"), "hello\n").unwrap();
    git::run(work, &["add", "a.txt"]);
    git::run(work, &["commit", "-q", "-m", "one"]);
    let head = git::run(work, &["rev-parse", "HEAD"]).trim().to_owned();
    let mut child = git::command(work)
        .args(["pack-objects", "--revs", "--stdout", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"main\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    (out.stdout, head)
}

/// Hands out the first bytes of a pack, says so, then waits for a go before the rest:
/// a push caught in the middle.
struct Paused {
    first: Vec<u8>,
    rest: Vec<u8>,
    started: Option<mpsc::Sender<()>>,
    go: mpsc::Receiver<()>,
}

impl Read for Paused {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.first.is_empty() {
            let n = buf.len().min(self.first.len());
            buf[..n].copy_from_slice(&self.first[..n]);
            self.first.drain(..n);
            return Ok(n);
        }
        if let Some(started) = self.started.take() {
            started.send(()).unwrap();
            self.go.recv().unwrap();
        }
        let n = buf.len().min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest.drain(..n);
        Ok(n)
    }
}

fn incoming(objects: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(objects)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("incoming-"))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn stale_leftovers_go_fresh_ones_and_running_pushes_stay() {
    for ts in stores().await {
        let l = ts.label().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repositories");
        let repo_dir = root.join("ann").join("parser.git");
        std::fs::create_dir_all(root.join("ann")).unwrap();
        let repo = Repository::init_bare(&repo_dir, "main").unwrap();
        let objects = repo_dir.join("objects");

        // What kill -9 left behind, long ago, and a moment ago.
        let stale = leftover(&objects.join("incoming-4242-0-1"));
        backdate(&stale, MAX_PUSH * 2);
        let fresh = leftover(&objects.join("incoming-4242-1-2"));
        let stale_new = leftover(&root.join(".trash").join("new-7-1000"));
        backdate(&stale_new, MAX_PUSH * 2);
        let fresh_new = leftover(&root.join(".trash").join("new-8-2000"));

        // A push in progress: its quarantine exists, and is made to look old.
        let (pack, head) = pack_of_one_commit(&dir.path().join("work"));
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let reader = Paused {
            first: pack[..pack.len() / 2].to_vec(),
            rest: pack[pack.len() / 2..].to_vec(),
            started: Some(started_tx),
            go: go_rx,
        };
        let pushing = repo.clone();
        let push = std::thread::spawn(move || {
            let mut reader = reader;
            pushing
                .receive_pack(&mut reader, &ReceiveOptions::default())
                .map(|q| {
                    let missing = q.check_connectivity(&[head.parse().unwrap()]).unwrap();
                    q.migrate().unwrap();
                    (missing, head)
                })
        });
        started.recv().unwrap();
        let running: Vec<String> = incoming(&objects)
            .into_iter()
            .filter(|n| n.starts_with(&format!("incoming-{}-", std::process::id())))
            .collect();
        assert_eq!(running.len(), 1, "[{l}] {:?}", incoming(&objects));
        backdate(&objects.join(&running[0]), MAX_PUSH * 2);

        let forge = Forge::new(ts.store().clone(), root.clone(), SignInPolicy::new(5, 15));
        let done =
            tokio::task::spawn_blocking(move || forge.remove_crash_leftovers_blocking(MAX_PUSH))
                .await
                .unwrap();
        assert_eq!(
            done,
            Leftovers {
                quarantines: 1,
                trash: 1
            },
            "[{l}]"
        );
        assert!(!stale.exists(), "[{l}] the stale quarantine is removed");
        assert!(fresh.exists(), "[{l}] a fresh one is kept");
        assert!(
            !stale_new.exists(),
            "[{l}] a stale half-built repository is removed"
        );
        assert!(fresh_new.exists(), "[{l}] one being built is kept");
        assert!(
            objects.join(&running[0]).exists(),
            "[{l}] the running push's quarantine is kept"
        );

        // The push goes on and lands.
        go.send(()).unwrap();
        let (missing, head) = push.join().unwrap().expect("the push completes");
        assert_eq!(missing, vec![None], "[{l}]");
        assert!(repo.has_object(head.parse().unwrap()), "[{l}]");
        assert_eq!(
            incoming(&objects),
            vec!["incoming-4242-1-2".to_owned()],
            "[{l}]"
        );
    }
}

/// A push still running at its deadline is aborted: an error, nothing left behind.
#[tokio::test]
async fn a_push_past_its_deadline_is_aborted_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let repo_dir = dir.path().join("r.git");
    let repo = Repository::init_bare(&repo_dir, "main").unwrap();
    let (pack, _) = pack_of_one_commit(&dir.path().join("work"));
    let r = repo.receive_pack(
        &mut pack.as_slice(),
        &ReceiveOptions {
            deadline: Some(std::time::Instant::now()),
            ..ReceiveOptions::default()
        },
    );
    assert!(
        matches!(r, Err(hatchery_git::Error::PushTimedOut)),
        "{:?}",
        r.as_ref().err()
    );
    assert!(incoming(&repo_dir.join("objects")).is_empty());
}
