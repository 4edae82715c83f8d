//! Merge timings against the git CLI, run by `bench/merge.sh`:
//!
//! `merge_bench REPO.git BASE_BRANCH PR_BRANCH... [--runs N]`
//!
//! For each pull request branch: mergeability (ours vs `git merge-tree --write-tree`), then
//! each style (ours vs the git plumbing a forge would run: merge-tree + commit-tree +
//! update-ref, `git replay` for rebase). The base ref is put back after every run. Prints
//! the median of each, in milliseconds, and the ratio.

#![allow(clippy::print_stdout)] // a benchmark report is its output

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use hatchery_git::{MergeSpec, MergeStyle, Oid, RefUpdate, Repository, Signature};

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .args(args)
        .output()
        .expect("running git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        f();
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    median(samples)
}

fn reset(repo: &Repository, name: &str, to: Oid) {
    let current = repo.find_ref(name).unwrap();
    if current != Some(to) {
        let r = repo.update_refs(
            &[RefUpdate {
                name: name.into(),
                old: current,
                new: Some(to),
            }],
            true,
        );
        r.into_iter().for_each(|r| {
            r.unwrap();
        });
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 9;
    let mut fork_dest = None;
    if let Some(i) = args.iter().position(|a| a == "--fork") {
        fork_dest = Some(std::path::PathBuf::from(&args[i + 1]));
        args.drain(i..i + 2);
    }
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        runs = args[i + 1].parse().expect("--runs N");
        args.drain(i..i + 2);
    }
    if args.len() < 3 {
        eprintln!("usage: merge_bench REPO.git BASE_BRANCH PR_BRANCH... [--runs N]");
        std::process::exit(2);
    }
    let path = Path::new(&args[0]);
    let repo = Repository::open(path).expect("opening the repository");
    let base_ref = format!("refs/heads/{}", args[1]);
    let base = repo.find_ref(&base_ref).unwrap().expect("base branch");
    let sig = Signature {
        name: "Bench".into(),
        email: "bench@example.com".into(),
        time: 1_700_000_000,
        offset_seconds: 0,
    };
    println!("| pull request | operation | Hatchery ms | git CLI ms | ratio |");
    println!("|---|---|---:|---:|---:|");
    for pr in &args[2..] {
        let head = repo
            .find_ref(&format!("refs/heads/{pr}"))
            .unwrap()
            .expect("pr branch");
        let b = base.to_string();
        let h = head.to_string();
        let row = |op: &str, ours: f64, theirs: f64| {
            println!(
                "| {pr} | {op} | {ours:.1} | {theirs:.1} | {:.2} |",
                ours / theirs
            );
        };
        let ours = time(runs, || {
            repo.mergeability(base, head).unwrap();
        });
        let theirs = time(runs, || {
            git(path, &["merge-tree", "--write-tree", &b, &h]);
        });
        row("mergeability", ours, theirs);
        for style in [MergeStyle::Merge, MergeStyle::Squash, MergeStyle::Rebase] {
            let spec = MergeSpec {
                base_ref: base_ref.clone(),
                expected_base_oid: base,
                head_oid: head,
                style,
                message: "Merge".into(),
                author: sig.clone(),
                committer: sig.clone(),
            };
            let ours = time(runs, || {
                repo.merge(&spec).unwrap();
                reset(&repo, &base_ref, base);
            });
            let theirs = time(runs, || {
                let new = match style {
                    MergeStyle::Rebase => {
                        // `git replay` prints the ref update only for a named branch.
                        let range = format!("{}..{pr}", args[1]);
                        let out = git(path, &["replay", "--onto", &b, &range]);
                        out.split_whitespace().nth(2).unwrap().to_owned()
                    }
                    _ => {
                        let tree = git(path, &["merge-tree", "--write-tree", &b, &h]);
                        let mut a = vec!["commit-tree", tree.as_str(), "-p", &b];
                        if style == MergeStyle::Merge {
                            a.extend(["-p", &h]);
                        }
                        a.extend(["-m", "Merge"]);
                        git(path, &a)
                    }
                };
                git(path, &["update-ref", &base_ref, &new, &b]);
                reset(&repo, &base_ref, base);
            });
            row(&format!("{style:?}"), ours, theirs);
        }
    }
    if let Some(dest) = fork_dest {
        let start = Instant::now();
        let (_, stats) = repo.fork_to(&dest).expect("forking");
        println!(
            "\nfork_to: {:.1} ms, {} files linked, {} copied ({} bytes), {} refs",
            start.elapsed().as_secs_f64() * 1000.0,
            stats.linked_files,
            stats.copied_files,
            stats.copied_bytes,
            stats.refs
        );
    }
}
