//! Times the hatchery-git calls behind the code pages, per simulated request, with a freshly
//! opened repository (as `pages::code::open` does for every request) and with a reused one.

use hatchery_git::Repository;
use std::path::Path;
use std::time::{Duration, Instant};

const N: u32 = 300;

fn time<T>(n: u32, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..5 {
        std::hint::black_box(f());
    }
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    t.elapsed() / n
}

fn us(d: Duration) -> String {
    format!("{:>8.1} µs", d.as_secs_f64() * 1e6)
}

/// `large REPO.git FILE...`: history (first page) and blame of each file, on a fresh
/// handle, before and after `Repository::write_commit_graph` (Hatchery's own writer, with
/// changed-path Bloom filters). Writes into REPO.git: give it a copy.
fn large(path: &Path, files: &[String]) {
    let report = |label: &str| {
        let repo = Repository::open(path).unwrap();
        let tip = repo.default_branch_commit().unwrap().unwrap().commit;
        for f in files {
            let t = Instant::now();
            let n = Repository::open(path).unwrap().log(tip, Some(f), 0, 51).unwrap().len();
            let log = t.elapsed();
            let t = Instant::now();
            let hunks = Repository::open(path).unwrap().blame(tip, f).unwrap().unwrap().hunks.len();
            let blame = t.elapsed();
            println!(
                "{label:<34} {f:<26} log -n 51 ({n}) {:>7.1} ms   blame ({hunks} hunks) {:>7.1} ms",
                log.as_secs_f64() * 1e3,
                blame.as_secs_f64() * 1e3
            );
        }
    };
    report("commit-graph as found");
    let t = Instant::now();
    let stats = Repository::open(path).unwrap().write_commit_graph().unwrap();
    println!(
        "write_commit_graph: {} commits, {} filters computed, {} bytes, {:.1} s",
        stats.commits,
        stats.filters_computed,
        stats.bytes,
        t.elapsed().as_secs_f64()
    );
    report("after write_commit_graph");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "large" {
        return large(Path::new(&args[2]), &args[3..]);
    }
    let (path, file, commit) = (Path::new(&args[1]), args[2].clone(), args[3].clone());
    let open = || Repository::open(path).unwrap();
    let shared = open();
    let tip = shared.default_branch_commit().unwrap().unwrap().commit;
    let blob_rest = format!("main/{file}");
    let dir = file.rsplit_once('/').unwrap().0.to_owned();

    println!("per call, mean of {N} (after 5 warm-up calls); 'fresh' opens the repository first and drops it after");
    let row = |name: &str, fresh: Duration, reused: Duration| {
        println!("{name:<52} fresh {}   reused handle {}", us(fresh), us(reused));
    };
    println!("{:<52} {}", "Repository::open + drop", us(time(N, open)));
    row(
        "default_branch_commit",
        time(N, || open().default_branch_commit().unwrap()),
        time(N, || shared.default_branch_commit().unwrap()),
    );
    row(
        "tree(root)",
        time(N, || open().tree(tip, "").unwrap()),
        time(N, || shared.tree(tip, "").unwrap()),
    );
    row(
        &format!("tree({dir})"),
        time(N, || open().tree(tip, &dir).unwrap()),
        time(N, || shared.tree(tip, &dir).unwrap()),
    );
    row(
        "branches() + tags() (ref picker)",
        time(N, || {
            let r = open();
            (r.branches().unwrap(), r.tags().unwrap())
        }),
        time(N, || (shared.branches().unwrap(), shared.tags().unwrap())),
    );
    row(
        "refs() (names only)",
        time(N, || open().refs().unwrap()),
        time(N, || shared.refs().unwrap()),
    );
    row(
        "resolve_tree_path(main)",
        time(N, || open().resolve_tree_path("main").unwrap()),
        time(N, || shared.resolve_tree_path("main").unwrap()),
    );
    row(
        "resolve_tree_path(main/<file>)",
        time(N, || open().resolve_tree_path(&blob_rest).unwrap()),
        time(N, || shared.resolve_tree_path(&blob_rest).unwrap()),
    );
    row(
        "resolve_tree_path(<40-hex commit id>)",
        time(N, || open().resolve_tree_path(&commit).unwrap()),
        time(N, || shared.resolve_tree_path(&commit).unwrap()),
    );
    row(
        "blob(<file>, 1 MiB)",
        time(N, || open().blob(tip, &file, 1 << 20).unwrap()),
        time(N, || shared.blob(tip, &file, 1 << 20).unwrap()),
    );
    row(
        "log(main, 51)",
        time(N, || open().log(tip, None, 0, 51).unwrap()),
        time(N, || shared.log(tip, None, 0, 51).unwrap()),
    );
    let cid = shared.resolve_tree_path(&commit).unwrap().unwrap().commit;
    row(
        "commit_detail(<commit>)",
        time(N, || open().commit_detail(cid).unwrap()),
        time(N, || shared.commit_detail(cid).unwrap()),
    );
    let commit_page = |r: &Repository| {
        let res = r.resolve_tree_path(&commit).unwrap().unwrap();
        r.commit_detail(res.commit).unwrap()
    };
    row(
        "commit page's git calls (diff HTML cached)",
        time(N, || commit_page(&open())),
        time(N, || commit_page(&shared)),
    );
    // What the pages call in git per request today (their HTML caches are warm), and the
    // same on one handle.
    let home = |r: &Repository| {
        let res = r.default_branch_commit().unwrap().unwrap();
        (r.tree(res.commit, "").unwrap(), r.branches().unwrap(), r.tags().unwrap())
    };
    row(
        "home page's git calls",
        time(N, || home(&open())),
        time(N, || home(&shared)),
    );
    let blob_page = |r: &Repository| {
        let res = r.resolve_tree_path(&blob_rest).unwrap().unwrap();
        (r.blob(res.commit, &res.path, 1 << 20).unwrap(), r.branches().unwrap(), r.tags().unwrap())
    };
    row(
        "file view's git calls",
        time(N, || blob_page(&open())),
        time(N, || blob_page(&shared)),
    );
    let log_page = |r: &Repository| {
        let res = r.resolve_tree_path("main").unwrap().unwrap();
        (r.log(res.commit, None, 0, 51).unwrap(), r.branches().unwrap(), r.tags().unwrap())
    };
    row(
        "history page's git calls",
        time(N, || log_page(&open())),
        time(N, || log_page(&shared)),
    );
}
