//! The git content routes of the REST API (branches, tags, commits, contents, raw files)
//! over real HTTP against a repository pushed with the stock git client, each field checked
//! against what the `git` CLI says, on every database.

mod apisupport;
mod gitsupport;

use std::path::{Path, PathBuf};

use apisupport::{ApiResponse, Auth, get, token};
use base64::Engine;
use gitsupport::{PASSWORD, Server, git, ok};
use hatchery_store::testing::stores;
use serde_json::Value;

/// `git` in `dir`, its output trimmed.
async fn sh(dir: &Path, args: &[&str]) -> String {
    ok(&git(dir, args).await).trim_end().to_owned()
}

/// The exact bytes `git` prints.
async fn bytes(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = git(dir, args).await;
    assert!(out.status.success(), "git {args:?} failed");
    out.stdout
}

/// A commit's message exactly as recorded.
async fn message(dir: &Path, rev: &str) -> String {
    let raw = ok(&git(dir, &["cat-file", "commit", rev]).await);
    raw.split_once("\n\n")
        .map(|(_, m)| m.to_owned())
        .unwrap_or_default()
}

/// `git log --format=%aI`-style dates as Gitea (and Go) write UTC: with `Z`.
fn iso(s: &str) -> String {
    s.replace("+00:00", "Z")
}

struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A GET whose body is kept as bytes.
async fn get_bytes(server: &Server, path: &str, auth: Auth<'_>) -> Raw {
    let mut req = reqwest::Client::new().get(format!("http://{}{path}", server.addr));
    if let Auth::Token(t) = auth {
        req = req.header("authorization", format!("token {t}"));
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("body").to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

fn binary_content() -> Vec<u8> {
    (0..300u32).flat_map(|_| 0..=255u8).collect()
}

/// Over 10 MiB: too big for base64 content, still served whole by `raw`.
fn big_content() -> Vec<u8> {
    let line = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n";
    let mut out: Vec<u8> = line.iter().copied().cycle().take((10 << 20) + 17).collect();
    out.extend_from_slice(b"the end\n");
    out
}

/// A working repository: `main` with four commits (a README, a file in a subdirectory, a
/// binary file, an executable, a symlink, a big file), `dev`, `feature/x` one commit ahead,
/// an annotated tag `v1.0` and a lightweight tag `light`.
async fn make_repo(root: &Path) -> PathBuf {
    let work = root.join("work");
    std::fs::create_dir_all(work.join("src/lib")).expect("mkdir");
    ok(&git(&work, &["init", "-q", "-b", "main"]).await);
    std::fs::write(work.join("README.md"), "# Engine\n").expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "initial"]).await);

    std::fs::write(
        work.join("src/lib/code.rs"),
        "pub fn answer() -> u32 {\n    42\n}\n",
    )
    .expect("write");
    std::fs::write(work.join("data.bin"), binary_content()).expect("write");
    std::fs::write(work.join("run.sh"), "#!/bin/sh\necho hi\n").expect("write");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(work.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    std::os::unix::fs::symlink("README.md", work.join("link")).expect("symlink");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(
        &work,
        &["commit", "-q", "-m", "add code\n\nwith a body line\n"],
    )
    .await);

    std::fs::write(work.join("README.md"), "# Engine\n\nIt runs.\n").expect("write");
    std::fs::remove_file(work.join("run.sh")).expect("rm");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "describe"]).await);
    ok(&git(&work, &["tag", "-a", "v1.0", "-m", "release 1.0"]).await);

    std::fs::write(work.join("big.txt"), big_content()).expect("write");
    std::fs::write(
        work.join("src/lib/code.rs"),
        "pub fn answer() -> u32 {\n    43\n}\n",
    )
    .expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "big"]).await);
    ok(&git(&work, &["tag", "light"]).await);
    ok(&git(&work, &["branch", "dev", "HEAD~1"]).await);

    ok(&git(&work, &["checkout", "-q", "-b", "feature/x"]).await);
    std::fs::write(work.join("only-on-feature.txt"), "feature\n").expect("write");
    ok(&git(&work, &["add", "-A"]).await);
    ok(&git(&work, &["commit", "-q", "-m", "feature work"]).await);
    ok(&git(&work, &["checkout", "-q", "main"]).await);
    work
}

fn msg(r: &ApiResponse) -> &str {
    r.json["message"].as_str().unwrap_or("")
}

#[tokio::test]
async fn git_content_routes_agree_with_git() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _admin = server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        server.repo(&ada, "engine", false).await;
        let work = make_repo(server.dir.path()).await;
        let url = server.url("ada/engine.git", Some(("ada", PASSWORD)));
        ok(&git(
            &work,
            &[
                "push",
                "-q",
                &url,
                "main",
                "dev",
                "feature/x",
                "v1.0",
                "light",
            ],
        )
        .await);
        let ada_t = token(&server, ada.id, "read", &["read:repository"]).await;
        let bob_t = token(&server, bob.id, "read", &["read:repository"]).await;
        let me = Auth::Token(&ada_t);
        let api = "/api/v1/repos/ada/engine";

        // ---- branches ----
        let r = get(&server, &format!("{api}/branches"), me).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        let list = r.json.as_array().expect("array");
        let mut names: Vec<&str> = list.iter().map(|b| b["name"].as_str().unwrap()).collect();
        names.sort_unstable();
        let git_names = sh(
            &work,
            &["for-each-ref", "refs/heads", "--format=%(refname:short)"],
        )
        .await;
        let mut git_names: Vec<&str> = git_names.lines().collect();
        git_names.sort_unstable();
        assert_eq!(names, git_names, "[{l}]");
        for b in list {
            let name = b["name"].as_str().unwrap();
            let sha = sh(&work, &["rev-parse", name]).await;
            let c = &b["commit"];
            assert_eq!(c["id"], sha.as_str(), "[{l}] {name}");
            assert_eq!(
                c["message"],
                message(&work, &sha).await.as_str(),
                "[{l}] {name}"
            );
            assert_eq!(c["author"]["name"], "Test Author", "[{l}]");
            assert_eq!(c["author"]["email"], "author@example.org", "[{l}]");
            assert_eq!(c["committer"]["email"], "author@example.org", "[{l}]");
            let date = iso(&sh(&work, &["log", "-1", "--format=%aI", &sha]).await);
            assert_eq!(c["timestamp"], date.as_str(), "[{l}]");
            assert!(
                c["url"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/ada/engine/commit/{sha}")),
                "[{l}]"
            );
            assert!(c["added"].is_null(), "[{l}]");
            assert_eq!(b["protected"], false, "[{l}]");
            assert_eq!(b["user_can_push"], true, "[{l}] the owner may push");
            assert_eq!(b["status_check_contexts"], Value::Array(vec![]), "[{l}]");
        }
        let r = get(&server, &format!("{api}/branches?limit=1&page=2"), me).await;
        assert_eq!(r.json.as_array().map(Vec::len), Some(1), "[{l}]");
        assert!(
            r.header("link").contains("rel=\"next\""),
            "[{l}] {}",
            r.header("link")
        );
        assert!(
            r.header("link")
                .contains("/api/v1/repos/ada/engine/branches?"),
            "[{l}]"
        );
        let r = get(&server, &format!("{api}/branches"), Auth::Token(&bob_t)).await;
        assert_eq!(r.status, 200, "[{l}]");
        assert_eq!(
            r.json[0]["user_can_push"], false,
            "[{l}] a reader may not push"
        );

        let r = get(&server, &format!("{api}/branches/feature/x"), me).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["name"], "feature/x", "[{l}]");
        assert_eq!(
            r.json["commit"]["id"],
            sh(&work, &["rev-parse", "feature/x"]).await.as_str(),
            "[{l}]"
        );
        let r = get(&server, &format!("{api}/branches/main"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] anonymous reads a public repository");
        assert_eq!(r.json["user_can_push"], false, "[{l}]");
        for missing in ["nope", "feature", "feature/x/y", "main~1"] {
            let r = get(&server, &format!("{api}/branches/{missing}"), me).await;
            assert_eq!(r.status, 404, "[{l}] {missing}: {}", r.text);
            assert!(msg(&r).contains("does not exist"), "[{l}] {}", r.text);
        }

        // ---- tags ----
        let r = get(&server, &format!("{api}/tags"), me).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.header("x-total-count"), "2", "[{l}]");
        let tags = r.json.as_array().expect("array");
        let tag = |n: &str| tags.iter().find(|t| t["name"] == n).cloned().expect(n);
        let v1 = tag("v1.0");
        assert_eq!(
            v1["id"],
            sh(&work, &["rev-parse", "v1.0"]).await.as_str(),
            "[{l}] tag object"
        );
        let v1_commit = sh(&work, &["rev-parse", "v1.0^{commit}"]).await;
        assert_eq!(v1["commit"]["sha"], v1_commit.as_str(), "[{l}]");
        assert!(
            v1["commit"]["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/v1/repos/ada/engine/git/commits/{v1_commit}")),
            "[{l}]"
        );
        let contents = sh(&work, &["tag", "-l", "--format=%(contents)", "v1.0"]).await;
        assert_eq!(
            v1["message"].as_str().unwrap().trim_end(),
            contents,
            "[{l}]"
        );
        assert_eq!(
            v1["commit"]["created"],
            iso(&sh(
                &work,
                &["tag", "-l", "--format=%(taggerdate:iso-strict)", "v1.0"]
            )
            .await)
            .as_str(),
            "[{l}]"
        );
        let zip = v1["zipball_url"].as_str().unwrap();
        assert!(zip.ends_with("/ada/engine/archive/v1.0.zip"), "[{l}] {zip}");
        assert!(
            v1["tarball_url"]
                .as_str()
                .unwrap()
                .ends_with("/ada/engine/archive/v1.0.tar.gz"),
            "[{l}]"
        );
        let path = zip
            .split_once(&server.addr.to_string())
            .map(|(_, p)| p)
            .unwrap();
        assert_eq!(
            get_bytes(&server, path, Auth::None).await.status,
            200,
            "[{l}] the zipball downloads"
        );
        let light = tag("light");
        let main = sh(&work, &["rev-parse", "main"]).await;
        assert_eq!(
            light["id"],
            main.as_str(),
            "[{l}] a lightweight tag's id is its commit"
        );
        assert_eq!(light["commit"]["sha"], main.as_str(), "[{l}]");
        assert_eq!(
            light["message"],
            message(&work, &main).await.as_str(),
            "[{l}]"
        );

        // ---- commits ----
        let all = sh(&work, &["rev-list", "main"]).await;
        let all: Vec<&str> = all.lines().collect();
        assert_eq!(all.len(), 4);
        let r = get(&server, &format!("{api}/commits?limit=3"), me).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let shas: Vec<&str> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha"].as_str().unwrap())
            .collect();
        assert_eq!(shas, all[..3], "[{l}]");
        assert_eq!(r.header("x-total-count"), "4", "[{l}]");
        assert_eq!(r.header("x-total"), "4", "[{l}]");
        assert_eq!(r.header("x-pagecount"), "2", "[{l}]");
        assert_eq!(r.header("x-hasmore"), "true", "[{l}]");
        assert_eq!(r.header("x-page"), "1", "[{l}]");
        assert_eq!(r.header("x-perpage"), "3", "[{l}]");
        assert!(
            r.header("link").contains("page=2&limit=3>; rel=\"next\""),
            "[{l}] {}",
            r.header("link")
        );
        let r2 = get(&server, &format!("{api}/commits?limit=3&page=2"), me).await;
        let shas: Vec<&str> = r2
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha"].as_str().unwrap())
            .collect();
        assert_eq!(shas, all[3..], "[{l}]");
        assert_eq!(r2.header("x-hasmore"), "false", "[{l}]");
        assert!(!r2.header("link").contains("rel=\"next\""), "[{l}]");

        // Every field of one commit.
        let second = all[2];
        let c = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["sha"] == second)
            .cloned()
            .unwrap();
        assert!(
            c["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/v1/repos/ada/engine/git/commits/{second}")),
            "[{l}]"
        );
        assert!(
            c["html_url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/ada/engine/commit/{second}")),
            "[{l}]"
        );
        assert_eq!(
            c["commit"]["message"],
            message(&work, second).await.as_str(),
            "[{l}]"
        );
        assert_eq!(
            c["commit"]["message"], "add code\n\nwith a body line\n",
            "[{l}]"
        );
        assert_eq!(c["commit"]["author"]["name"], "Test Author", "[{l}]");
        assert_eq!(
            c["commit"]["author"]["date"],
            iso(&sh(&work, &["log", "-1", "--format=%aI", second]).await).as_str(),
            "[{l}]"
        );
        assert_eq!(
            c["commit"]["committer"]["date"],
            iso(&sh(&work, &["log", "-1", "--format=%cI", second]).await).as_str(),
            "[{l}]"
        );
        assert_eq!(c["created"], c["commit"]["committer"]["date"], "[{l}]");
        let tree = format!("{second}^{{tree}}");
        assert_eq!(
            c["commit"]["tree"]["sha"],
            sh(&work, &["rev-parse", &tree]).await.as_str(),
            "[{l}]"
        );
        assert_eq!(c["parents"][0]["sha"], all[3], "[{l}]");
        assert_eq!(c["parents"].as_array().map(Vec::len), Some(1), "[{l}]");
        assert!(c["author"].is_null() && c["committer"].is_null(), "[{l}]");
        let numstat = sh(
            &work,
            &["show", "--numstat", "--no-renames", "--format=", second],
        )
        .await;
        let (mut adds, mut dels) = (0u64, 0u64);
        for line in numstat.lines() {
            let mut it = line.split('\t');
            adds += it.next().unwrap().parse::<u64>().unwrap_or(0);
            dels += it.next().unwrap().parse::<u64>().unwrap_or(0);
        }
        assert_eq!(c["stats"]["additions"], adds, "[{l}] {numstat}");
        assert_eq!(c["stats"]["deletions"], dels, "[{l}]");
        assert_eq!(c["stats"]["total"], adds + dels, "[{l}]");
        let status = sh(
            &work,
            &["show", "--name-status", "--no-renames", "--format=", second],
        )
        .await;
        let mut want: Vec<(String, String)> = status
            .lines()
            .map(|line| {
                let (s, f) = line.split_once('\t').unwrap();
                let s = match s {
                    "A" => "added",
                    "D" => "removed",
                    _ => "modified",
                };
                (f.to_owned(), s.to_owned())
            })
            .collect();
        want.sort();
        let mut got: Vec<(String, String)> = c["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["filename"].as_str().unwrap().to_owned(),
                    f["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(got, want, "[{l}]");
        let r = get(
            &server,
            &format!("{api}/commits?limit=1&stat=false&files=0"),
            me,
        )
        .await;
        assert!(
            r.json[0]["stats"].is_null() && r.json[0]["files"].is_null(),
            "[{l}] {}",
            r.text
        );

        // A path, another start, unknown starts.
        let src = sh(&work, &["rev-list", "main", "--", "src"]).await;
        let r = get(&server, &format!("{api}/commits?path=src&stat=false"), me).await;
        let shas: Vec<&str> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha"].as_str().unwrap())
            .collect();
        assert_eq!(shas, src.lines().collect::<Vec<_>>(), "[{l}]");
        assert_eq!(r.header("x-total-count"), "2", "[{l}]");
        let feature = sh(&work, &["rev-list", "feature/x"]).await;
        for sha in ["feature/x", "refs/heads/feature/x"] {
            let r = get(&server, &format!("{api}/commits?sha={sha}&stat=false"), me).await;
            let shas: Vec<&str> = r
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["sha"].as_str().unwrap())
                .collect();
            assert_eq!(shas, feature.lines().collect::<Vec<_>>(), "[{l}] {sha}");
        }
        let r = get(&server, &format!("{api}/commits?sha=v1.0&stat=false"), me).await;
        assert_eq!(r.json[0]["sha"], v1_commit.as_str(), "[{l}]");
        let r = get(
            &server,
            &format!("{api}/commits?sha={}&stat=false", &second[..8]),
            me,
        )
        .await;
        assert_eq!(r.json[0]["sha"], second, "[{l}]");
        for bad in ["sha=nope", "path=nowhere"] {
            let r = get(&server, &format!("{api}/commits?{bad}"), me).await;
            assert_eq!(r.status, 404, "[{l}] {bad}: {}", r.text);
            assert!(!msg(&r).is_empty(), "[{l}]");
        }

        // ---- one commit ----
        let r = get(&server, &format!("{api}/git/commits/{second}"), me).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["sha"], second, "[{l}]");
        assert_eq!(r.json["commit"]["message"], c["commit"]["message"], "[{l}]");
        assert_eq!(r.json["stats"], c["stats"], "[{l}]");
        for id in [&second[..7], "feature", "v1.0"] {
            let r = get(&server, &format!("{api}/git/commits/{id}"), me).await;
            if id == "feature" {
                assert_eq!(r.status, 404, "[{l}] no branch is called feature");
                continue;
            }
            assert_eq!(r.status, 200, "[{l}] {id}: {}", r.text);
        }
        let r = get(
            &server,
            &format!("{api}/git/commits/{}", "0".repeat(40)),
            me,
        )
        .await;
        assert_eq!(r.status, 404, "[{l}]");
        assert!(msg(&r).contains("does not exist"), "[{l}] {}", r.text);
        let r = get(&server, &format!("{api}/git/commits/a..b"), me).await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);

        // ---- contents ----
        let r = get(&server, &format!("{api}/contents"), me).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let root = r.json.as_array().expect("a directory is an array");
        let ls = sh(&work, &["ls-tree", "main"]).await;
        assert_eq!(root.len(), ls.lines().count(), "[{l}]");
        for (entry, line) in root.iter().zip(ls.lines()) {
            let (meta, name) = line.split_once('\t').unwrap();
            let mut meta = meta.split(' ');
            let (mode, _kind, sha) = (
                meta.next().unwrap(),
                meta.next().unwrap(),
                meta.next().unwrap(),
            );
            assert_eq!(entry["name"], name, "[{l}] git's order");
            assert_eq!(entry["path"], name, "[{l}]");
            assert_eq!(entry["sha"], sha, "[{l}]");
            let want = match mode {
                "040000" => "dir",
                "120000" => "symlink",
                _ => "file",
            };
            assert_eq!(entry["type"], want, "[{l}] {name}");
            assert!(
                entry["content"].is_null(),
                "[{l}] listings carry no content"
            );
            assert!(entry["last_commit_sha"].is_string(), "[{l}] {name}");
        }
        let readme_last = sh(
            &work,
            &["log", "-1", "--format=%H", "main", "--", "README.md"],
        )
        .await;
        let readme = root.iter().find(|e| e["name"] == "README.md").unwrap();
        assert_eq!(readme["last_commit_sha"], readme_last.as_str(), "[{l}]");
        let link = root.iter().find(|e| e["name"] == "link").unwrap();
        assert_eq!(link["target"], "README.md", "[{l}]");
        assert_eq!(
            get(&server, &format!("{api}/contents/"), me).await.json,
            r.json,
            "[{l}]"
        );

        let decode = |v: &Value| {
            base64::engine::general_purpose::STANDARD
                .decode(v["content"].as_str().expect("content"))
                .expect("base64")
        };
        for file in ["README.md", "data.bin", "src/lib/code.rs"] {
            let r = get(&server, &format!("{api}/contents/{file}"), me).await;
            assert_eq!(r.status, 200, "[{l}] {file}: {}", r.text);
            let want = bytes(&work, &["show", &format!("main:{file}")]).await;
            assert_eq!(r.json["type"], "file", "[{l}]");
            assert_eq!(r.json["encoding"], "base64", "[{l}]");
            assert_eq!(decode(&r.json), want, "[{l}] {file}");
            assert_eq!(r.json["size"], want.len(), "[{l}]");
            assert_eq!(r.json["path"], file, "[{l}]");
            assert_eq!(
                r.json["sha"],
                sh(&work, &["rev-parse", &format!("main:{file}")])
                    .await
                    .as_str(),
                "[{l}]"
            );
            let dl = r.json["download_url"].as_str().unwrap();
            assert!(
                dl.ends_with(&format!("/ada/engine/raw/main/{file}")),
                "[{l}] {dl}"
            );
            assert_eq!(r.json["_links"]["self"], r.json["url"], "[{l}]");
            assert!(
                r.json["url"].as_str().unwrap().ends_with(&format!(
                    "/api/v1/repos/ada/engine/contents/{file}?ref=main"
                )),
                "[{l}]"
            );
        }
        let r = get(&server, &format!("{api}/contents/big.txt"), me).await;
        assert_eq!(r.status, 200, "[{l}]");
        assert!(
            r.json["content"].is_null() && r.json["encoding"].is_null(),
            "[{l}] over 10 MiB"
        );
        assert_eq!(r.json["size"], big_content().len(), "[{l}]");
        let r = get(&server, &format!("{api}/contents/src/lib"), me).await;
        assert_eq!(r.json[0]["name"], "code.rs", "[{l}] {}", r.text);
        assert_eq!(r.json[0]["path"], "src/lib/code.rs", "[{l}]");
        let r = get(&server, &format!("{api}/contents/src"), me).await;
        assert_eq!(r.json[0]["type"], "dir", "[{l}]");
        assert_eq!(
            r.json[0]["sha"],
            sh(&work, &["rev-parse", "main:src/lib"]).await.as_str(),
            "[{l}]"
        );
        for (rev, want) in [
            ("v1.0", "v1.0"),
            ("feature/x", "feature/x"),
            (&second[..10], second),
        ] {
            let r = get(
                &server,
                &format!("{api}/contents/src/lib/code.rs?ref={rev}"),
                me,
            )
            .await;
            assert_eq!(r.status, 200, "[{l}] {rev}: {}", r.text);
            assert_eq!(
                decode(&r.json),
                bytes(&work, &["show", &format!("{want}:src/lib/code.rs")]).await,
                "[{l}] {rev}"
            );
        }
        let r = get(
            &server,
            &format!("{api}/contents/only-on-feature.txt?ref=feature/x"),
            me,
        )
        .await;
        assert_eq!(decode(&r.json), b"feature\n", "[{l}]");
        for missing in [
            "contents/only-on-feature.txt",
            "contents/README.md?ref=nope",
            "contents/nope/deeper",
            "contents?ref=nope",
        ] {
            let r = get(&server, &format!("{api}/{missing}"), me).await;
            assert_eq!(r.status, 404, "[{l}] {missing}: {}", r.text);
            assert!(!msg(&r).is_empty(), "[{l}] {}", r.text);
        }

        // ---- raw ----
        for (path, rev) in [
            ("data.bin", "main"),
            ("big.txt", "main"),
            ("README.md?ref=v1.0", "v1.0"),
            ("main/README.md", "main"),
            ("feature/x/only-on-feature.txt", "feature/x"),
            ("src/lib/code.rs", "main"),
            ("src/lib/code.rs?ref=dev", "dev"),
        ] {
            let file = path.split('?').next().unwrap();
            let file = file.strip_prefix(&format!("{rev}/")).unwrap_or(file);
            let r = get_bytes(&server, &format!("{api}/raw/{path}"), me).await;
            assert_eq!(r.status, 200, "[{l}] {path}");
            let want = bytes(&work, &["show", &format!("{rev}:{file}")]).await;
            assert!(
                r.body == want,
                "[{l}] {path}: {} bytes, want {}",
                r.body.len(),
                want.len()
            );
            assert_eq!(r.header("x-content-type-options"), "nosniff", "[{l}]");
            assert_eq!(r.header("x-gitea-object-type"), "file", "[{l}]");
            let ct = if file == "data.bin" {
                "application/octet-stream"
            } else {
                "text/plain; charset=utf-8"
            };
            assert_eq!(r.header("content-type"), ct, "[{l}] {path}");
        }
        let r = get_bytes(&server, &format!("{api}/raw/link"), me).await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"README.md"[..]),
            "[{l}]"
        );
        assert_eq!(r.header("x-gitea-object-type"), "symlink", "[{l}]");
        for missing in [
            "raw/nope.txt",
            "raw/src",
            "raw/README.md?ref=nope",
            "raw/main/nope",
        ] {
            let r = get(&server, &format!("{api}/{missing}"), me).await;
            assert_eq!(r.status, 404, "[{l}] {missing}");
            assert!(!msg(&r).is_empty(), "[{l}] {}", r.text);
        }
        server.stop().await;
    }
}

#[tokio::test]
async fn git_content_access_scopes_and_empty_repositories() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _admin = server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        server.repo(&ada, "secret", true).await;
        server.repo(&ada, "void", false).await;
        let work = server.dir.path().join("work");
        std::fs::create_dir_all(&work).expect("mkdir");
        ok(&git(&work, &["init", "-q", "-b", "main"]).await);
        std::fs::write(work.join("a.txt"), "a\n").expect("write");
        ok(&git(&work, &["add", "-A"]).await);
        ok(&git(&work, &["commit", "-q", "-m", "a"]).await);
        let url = server.url("ada/secret.git", Some(("ada", PASSWORD)));
        ok(&git(&work, &["push", "-q", &url, "main"]).await);

        let ada_read = token(&server, ada.id, "read", &["read:repository"]).await;
        let ada_user = token(&server, ada.id, "user", &["read:user"]).await;
        let bob_read = token(&server, bob.id, "read", &["read:repository"]).await;
        let sha = sh(&work, &["rev-parse", "main"]).await;
        let routes = [
            "branches".to_owned(),
            "branches/main".to_owned(),
            "tags".to_owned(),
            "commits".to_owned(),
            format!("git/commits/{sha}"),
            "contents".to_owned(),
            "contents/a.txt".to_owned(),
            "raw/a.txt".to_owned(),
        ];
        for route in &routes {
            let path = format!("/api/v1/repos/ada/secret/{route}");
            let r = get(&server, &path, Auth::Token(&ada_read)).await;
            assert_eq!(r.status, 200, "[{l}] {route}: {}", r.text);
            for auth in [Auth::Token(&bob_read), Auth::None] {
                let r = get(&server, &path, auth).await;
                assert_eq!(
                    r.status, 404,
                    "[{l}] {route} {auth:?}: a private repository is hidden"
                );
                assert!(!msg(&r).is_empty(), "[{l}]");
            }
            let r = get(&server, &path, Auth::Token(&ada_user)).await;
            assert_eq!(
                r.status, 403,
                "[{l}] {route}: the token lacks read:repository"
            );
            assert!(msg(&r).contains("read:repository"), "[{l}] {}", r.text);
        }

        let void = "/api/v1/repos/ada/void";
        let r = get(&server, &format!("{void}/commits"), Auth::None).await;
        assert_eq!(r.status, 409, "[{l}] {}", r.text);
        assert_eq!(msg(&r), "Git Repository is empty.", "[{l}]");
        for route in ["branches", "tags", "contents"] {
            let r = get(&server, &format!("{void}/{route}"), Auth::None).await;
            assert_eq!(r.status, 200, "[{l}] {route}: {}", r.text);
            assert_eq!(r.json, Value::Array(vec![]), "[{l}] {route}");
        }
        for route in [
            "branches/main",
            "contents/a.txt",
            "raw/a.txt",
            "git/commits/main",
        ] {
            let r = get(&server, &format!("{void}/{route}"), Auth::None).await;
            assert_eq!(r.status, 404, "[{l}] {route}: {}", r.text);
        }
        server.stop().await;
    }
}
