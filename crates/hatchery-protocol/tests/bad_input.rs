//! Malformed and hostile requests: each is refused with a message, nothing changes, no panic.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::{Git, make_history};
use hatchery_protocol::git::{Oid, Repository};
use hatchery_protocol::pktline::{
    Packet, PktReader, write_data, write_delim, write_flush, write_line,
};
use hatchery_protocol::{ProtocolVersion, ReceivePackOptions, UploadPackOptions};

struct Fixture {
    _dir: tempfile::TempDir,
    git: Git,
    src: std::path::PathBuf,
    repo: Repository,
}

/// A served repository with history pushed from a work tree (through the library).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let git = Git::new(0);
    let src = dir.path().join("src");
    make_history(&git, &src, 4);
    let bare = dir.path().join("served.git");
    git.run(
        dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            src.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let repo = Repository::open(&bare).unwrap();
    Fixture {
        _dir: dir,
        git,
        src,
        repo,
    }
}

fn snapshot(path: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&path.join("objects"), path, &mut out);
    walk(&path.join("refs"), path, &mut out);
    if path.join("packed-refs").exists() {
        out.push(std::fs::read_to_string(path.join("packed-refs")).unwrap());
    }
    out.sort();
    out
}

fn lines(input: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in input {
        match *l {
            "0000" => write_flush(&mut out).unwrap(),
            "0001" => write_delim(&mut out).unwrap(),
            l => write_line(&mut out, l).unwrap(),
        }
    }
    out
}

fn response_lines(out: &[u8]) -> Vec<String> {
    let mut r = PktReader::new(out);
    let mut v = Vec::new();
    while let Ok(Some(p)) = r.read_packet() {
        match p {
            Packet::Data(d) => v.push(String::from_utf8_lossy(d).trim_end().to_owned()),
            Packet::Flush => v.push("0000".into()),
            Packet::Delim => v.push("0001".into()),
            Packet::ResponseEnd => v.push("0002".into()),
        }
    }
    v
}

fn upload(repo: &Repository, version: ProtocolVersion, input: &[u8]) -> (bool, Vec<String>) {
    let mut out = Vec::new();
    let ok = hatchery_protocol::upload_pack(
        repo,
        version,
        &mut &input[..],
        &mut out,
        &UploadPackOptions::default(),
    )
    .is_ok();
    (ok, response_lines(&out))
}

#[test]
fn upload_pack_refuses_bad_requests() {
    let f = fixture();
    let missing = "1234567890123456789012345678901234567890";
    let head = f.git.rev(&f.src, "main");
    let cases: Vec<(ProtocolVersion, Vec<u8>, &str)> = vec![
        (
            ProtocolVersion::V2,
            lines(&[
                "command=fetch",
                "0001",
                &format!("want {missing}"),
                "done",
                "0000",
            ]),
            "not our ref",
        ),
        (
            ProtocolVersion::V0,
            lines(&[&format!("want {missing} side-band-64k"), "0000", "done"]),
            "not our ref",
        ),
        (
            ProtocolVersion::V2,
            lines(&["command=frobnicate", "0000"]),
            "unknown command",
        ),
        (
            ProtocolVersion::V2,
            lines(&["command=fetch", "0001", "want-ref refs/heads/main", "0000"]),
            "unexpected fetch argument",
        ),
        (
            ProtocolVersion::V0,
            lines(&[&format!("want {head} bogus-cap"), "0000", "done"]),
            "unknown capability",
        ),
        (
            ProtocolVersion::V0,
            b"00zzwant".to_vec(),
            "malformed pkt-line",
        ),
        (
            ProtocolVersion::V2,
            b"0032command=fetch\n".to_vec(),
            "malformed pkt-line",
        ),
        (
            ProtocolVersion::V2,
            lines(&[
                "command=fetch",
                "0001",
                &format!("want {head}"),
                "filter sparse:oid=abc",
                "0000",
            ]),
            "unsupported filter",
        ),
        (
            ProtocolVersion::V2,
            lines(&[
                "command=fetch",
                "0001",
                &format!("want {head}"),
                "deepen 1",
                "deepen-since 5",
                "done",
                "0000",
            ]),
            "cannot be used together",
        ),
        (
            ProtocolVersion::V2,
            lines(&[
                "command=fetch",
                "0001",
                &format!("want {head}"),
                "deepen-not refs/heads/nope",
                "done",
                "0000",
            ]),
            "deepen-not",
        ),
    ];
    for (version, input, expected) in cases {
        let (ok, out) = upload(&f.repo, version, &input);
        assert!(!ok, "{expected}: {out:?}");
        let err = out
            .iter()
            .find(|l| l.starts_with("ERR "))
            .unwrap_or_else(|| panic!("no ERR for {expected}: {out:?}"));
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[test]
fn unreachable_commits_are_not_served() {
    let f = fixture();
    // A commit that exists in the repository but no ref reaches.
    let tree = f.git.rev(&f.src, "main^{tree}");
    let out = f
        .git
        .cmd(f.repo.path())
        .args(["commit-tree", &tree, "-m", "dangling"])
        .output()
        .unwrap();
    let dangling = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        dangling.len(),
        40,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ok, out) = upload(
        &f.repo,
        ProtocolVersion::V2,
        &lines(&[
            "command=fetch",
            "0001",
            &format!("want {dangling}"),
            "done",
            "0000",
        ]),
    );
    assert!(!ok);
    assert!(out.iter().any(|l| l.contains("not our ref")), "{out:?}");
    // An old commit reachable from a ref is fine (v0 clients fetch those after a ref moved).
    let old = f.git.rev(&f.src, "main~2");
    let (ok, out) = upload(
        &f.repo,
        ProtocolVersion::V2,
        &lines(&[
            "command=fetch",
            "0001",
            &format!("want {old}"),
            "no-progress",
            "done",
            "0000",
        ]),
    );
    assert!(ok, "{out:?}");
    assert!(out.iter().any(|l| l == "packfile"), "{out:?}");
}

#[test]
fn empty_and_ls_refs_requests() {
    let f = fixture();
    let (ok, out) = upload(&f.repo, ProtocolVersion::V2, b"0000");
    assert!(ok && out.is_empty());
    let (ok, out) = upload(
        &f.repo,
        ProtocolVersion::V2,
        &lines(&[
            "command=ls-refs",
            "0001",
            "symrefs",
            "peel",
            "ref-prefix refs/tags/",
            "ref-prefix HEAD",
            "0000",
        ]),
    );
    assert!(ok);
    assert!(
        out[0].ends_with("HEAD symref-target:refs/heads/main"),
        "{out:?}"
    );
    assert!(
        out.iter().any(|l| l.contains("refs/tags/v1.0 peeled:")),
        "{out:?}"
    );
    assert!(!out.iter().any(|l| l.contains("refs/heads/")) || out[0].contains("symref-target"));
    // Unborn HEAD in an empty repository.
    let dir = tempfile::tempdir().unwrap();
    let empty = Repository::init_bare(&dir.path().join("e.git"), "main").unwrap();
    let (ok, out) = upload(
        &empty,
        ProtocolVersion::V2,
        &lines(&["command=ls-refs", "0001", "symrefs", "unborn", "0000"]),
    );
    assert!(ok);
    assert_eq!(
        out,
        vec![
            "unborn HEAD symref-target:refs/heads/main".to_owned(),
            "0000".to_owned()
        ]
    );
}

#[test]
fn sideband_all_multiplexes_every_line() {
    let f = fixture();
    let head = f.git.rev(&f.src, "main");
    let (ok, out) = upload(
        &f.repo,
        ProtocolVersion::V2,
        &lines(&[
            "command=fetch",
            "0001",
            &format!("want {head}"),
            "sideband-all",
            "no-progress",
            "done",
            "0000",
        ]),
    );
    assert!(ok);
    assert_eq!(out[0], "\u{1}packfile");
    assert!(out[1].starts_with("\u{1}PACK"));
}

fn push_request(commands: &[String], caps: &str, pack: &[u8]) -> Vec<u8> {
    let mut input = Vec::new();
    for (i, c) in commands.iter().enumerate() {
        if i == 0 {
            write_data(&mut input, format!("{c}\0{caps}\n").as_bytes()).unwrap();
        } else {
            write_line(&mut input, c).unwrap();
        }
    }
    write_flush(&mut input).unwrap();
    input.extend_from_slice(pack);
    input
}

fn receive(repo: &Repository, input: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let _ = hatchery_protocol::receive_pack(
        repo,
        &mut &input[..],
        &mut out,
        &mut (),
        &ReceivePackOptions::default(),
    );
    response_lines(&out)
}

/// `git pack-objects --stdout` of the given objects in `dir`.
fn pack_of(git: &Git, dir: &Path, objects: &[String]) -> Vec<u8> {
    let mut child = git
        .cmd(dir)
        .args(["pack-objects", "--stdout", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for o in objects {
            writeln!(stdin, "{o}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn receive_pack_refuses_bad_pushes_and_changes_nothing() {
    let f = fixture();
    let before = snapshot(f.repo.path());
    let head = f.git.rev(&f.src, "main");
    let zero = Oid::ZERO.to_string();
    // A new commit whose pack lacks its tree and blob.
    f.git
        .commit(&f.src, &[("new.txt", "brand new\n")], "new", 1_700_000_000);
    let new = f.git.rev(&f.src, "main");
    let commit_only = pack_of(&f.git, &f.src, std::slice::from_ref(&new));
    let new_tree = f.git.rev(&f.src, "main^{tree}");
    let blob = f.git.rev(&f.src, "main:new.txt");
    let full = pack_of(&f.git, &f.src, &[new.clone(), new_tree, blob]);

    let caps = "report-status side-band-64k ofs-delta";
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // Missing objects.
        (
            push_request(
                &[format!("{head} {new} refs/heads/main")],
                caps,
                &commit_only,
            ),
            "missing necessary objects",
        ),
        // Truncated pack.
        (
            push_request(
                &[format!("{head} {new} refs/heads/main")],
                caps,
                &full[..full.len() / 2],
            ),
            "unpack",
        ),
        // Corrupt pack (checksum).
        (
            push_request(&[format!("{head} {new} refs/heads/main")], caps, &{
                let mut p = full.clone();
                let n = p.len();
                p[n - 3] ^= 0xff;
                p
            }),
            "unpack",
        ),
        // No pack at all.
        (
            push_request(&[format!("{head} {new} refs/heads/main")], caps, b""),
            "unpack",
        ),
        // Garbage instead of a pack.
        (
            push_request(
                &[format!("{head} {new} refs/heads/main")],
                caps,
                b"PACK\0\0\0\x02\0\0\0\x05garbage",
            ),
            "unpack",
        ),
        // Invalid ref names.
        (
            push_request(&[format!("{zero} {new} refs/heads/a..b")], caps, &full),
            "invalid reference name",
        ),
        (
            push_request(&[format!("{zero} {new} HEAD")], caps, &full),
            "invalid reference name",
        ),
        // Stale old value.
        (
            push_request(&[format!("{new} {new} refs/heads/main")], caps, &full),
            "stale info",
        ),
        // Creating an existing ref.
        (
            push_request(&[format!("{zero} {new} refs/heads/main")], caps, &full),
            "already exists",
        ),
        // Branch pointing at a blob.
        (
            push_request(
                &[format!(
                    "{zero} {} refs/heads/blob",
                    f.git.rev(&f.src, "main:new.txt")
                )],
                caps,
                &full,
            ),
            "must point at commits",
        ),
        // Shallow push.
        (
            {
                let mut input = Vec::new();
                write_line(&mut input, &format!("shallow {head}")).unwrap();
                input.extend(push_request(
                    &[format!("{head} {new} refs/heads/main")],
                    caps,
                    &full,
                ));
                input
            },
            "shallow update not allowed",
        ),
    ];
    for (input, expected) in cases {
        let out = receive(&f.repo, &input);
        let joined = out.join("\n");
        assert!(
            joined.contains(expected),
            "expected {expected:?} in {out:?}"
        );
        assert!(
            joined.contains("ng refs/") || joined.contains("ng HEAD"),
            "{out:?}"
        );
        assert_eq!(
            snapshot(f.repo.path()),
            before,
            "repository changed after: {expected}"
        );
    }
    // Malformed command lists get an ERR packet.
    for bad in [
        lines(&["garbage", "0000"]),
        b"00".to_vec(),
        lines(&[&format!("{head} {new}"), "0000"]),
    ] {
        let mut out = Vec::new();
        let r = hatchery_protocol::receive_pack(
            &f.repo,
            &mut &bad[..],
            &mut out,
            &mut (),
            &ReceivePackOptions::default(),
        );
        assert!(r.is_err());
        assert!(
            response_lines(&out).iter().any(|l| l.starts_with("ERR ")),
            "{:?}",
            response_lines(&out)
        );
        assert_eq!(snapshot(f.repo.path()), before);
    }
    // Finally the complete pack is accepted.
    let out = receive(
        &f.repo,
        &push_request(&[format!("{head} {new} refs/heads/main")], caps, &full),
    );
    assert!(out.join("\n").contains("ok refs/heads/main"), "{out:?}");
    assert_eq!(
        f.repo.find_ref("refs/heads/main").unwrap(),
        Some(new.parse().unwrap())
    );
    f.git.fsck(f.repo.path());
}

#[test]
fn atomic_push_is_all_or_nothing() {
    let f = fixture();
    let before = snapshot(f.repo.path());
    let head = f.git.rev(&f.src, "main");
    let zero = Oid::ZERO.to_string();
    f.git
        .commit(&f.src, &[("a.txt", "a\n")], "a", 1_700_000_000);
    let new = f.git.rev(&f.src, "main");
    let pack = pack_of(
        &f.git,
        &f.src,
        &[
            new.clone(),
            f.git.rev(&f.src, "main^{tree}"),
            f.git.rev(&f.src, "main:a.txt"),
        ],
    );
    let input = push_request(
        &[
            format!("{head} {new} refs/heads/main"),
            format!("{zero} {new} refs/heads/bad..name"),
        ],
        "report-status atomic",
        &pack,
    );
    let out = receive(&f.repo, &input);
    assert!(
        out.contains(&"ng refs/heads/main atomic push failure".to_owned()),
        "{out:?}"
    );
    assert_eq!(snapshot(f.repo.path()), before);
}

#[test]
fn a_failure_on_the_servers_side_is_reported_per_ref_not_cut_off() {
    let f = fixture();
    let head = f.git.rev(&f.src, "main");
    f.git
        .commit(&f.src, &[("new.txt", "brand new\n")], "new", 1_700_000_000);
    let new = f.git.rev(&f.src, "main");
    let tree = f.git.rev(&f.src, "main^{tree}");
    let blob = f.git.rev(&f.src, "main:new.txt");
    let pack = pack_of(&f.git, &f.src, &[new.clone(), tree, blob]);
    // A HEAD the server cannot read: reading it fails inside the push.
    std::fs::write(f.repo.path().join("HEAD"), "not a reference\n").unwrap();
    let mut out = Vec::new();
    let r = hatchery_protocol::receive_pack(
        &f.repo,
        &mut &push_request(
            &[format!("{head} {new} refs/heads/main")],
            "report-status side-band-64k ofs-delta",
            &pack,
        )[..],
        &mut out,
        &mut (),
        &ReceivePackOptions::default(),
    );
    assert!(r.is_err(), "the caller still learns of the failure");
    let lines = response_lines(&out);
    assert!(
        lines
            .join("\n")
            .contains("ng refs/heads/main internal server error (details in the server's log)"),
        "{lines:?}"
    );
}
