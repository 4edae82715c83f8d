//! Whole sessions on one stream (as over SSH): advertisement without smart HTTP's
//! preamble, then the client's requests on the same stream.

mod common;

use common::{Git, make_history};
use hatchery_protocol::git::Repository;
use hatchery_protocol::pktline::{write_flush, write_line};
use hatchery_protocol::{ProtocolVersion, UploadPackOptions, upload_pack_session};

fn served() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let git = Git::new(0);
    let src = dir.path().join("src");
    make_history(&git, &src, 3);
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
    (dir, repo)
}

#[test]
fn a_client_that_wants_nothing_gets_the_advertisement_only() {
    let (_dir, repo) = served();
    let mut input: &[u8] = b"0000";
    let mut out = Vec::new();
    upload_pack_session(
        &repo,
        ProtocolVersion::V0,
        &mut input,
        &mut out,
        &UploadPackOptions::default(),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains("# service="), "{text}");
    assert!(text.contains(" HEAD\0"), "{text}");
    assert!(text.ends_with("0000"), "{text}");

    let mut input: &[u8] = b"0000";
    let mut out = Vec::new();
    upload_pack_session(
        &repo,
        ProtocolVersion::V2,
        &mut input,
        &mut out,
        &UploadPackOptions::default(),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("000eversion 2\n"), "{text}");
}

#[test]
fn v0_negotiation_on_one_stream_sends_the_pack() {
    let (_dir, repo) = served();
    let head = repo.head().unwrap().target().unwrap();
    let mut request = Vec::new();
    write_line(
        &mut request,
        &format!("want {head} multi_ack_detailed side-band-64k ofs-delta"),
    )
    .unwrap();
    write_flush(&mut request).unwrap();
    write_line(&mut request, "done").unwrap();
    let mut input: &[u8] = &request;
    let mut out = Vec::new();
    let outcome = upload_pack_session(
        &repo,
        ProtocolVersion::V0,
        &mut input,
        &mut out,
        &UploadPackOptions::default(),
    )
    .unwrap();
    assert!(outcome.pack.is_some());
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.contains("NAK"),
        "no common commits: NAK before the pack"
    );
    assert!(out.windows(4).any(|w| w == b"PACK"));
}
