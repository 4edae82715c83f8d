//! The incubator through the real router, on every backend: a committee runs a whole
//! cycle (program from the Apache preset, proposals discussed and voted in by their
//! deadline, projects created with their repositories moved into the organization, a
//! report prefilled, submitted and signed off, the checklist judging pushed repositories,
//! a graduation by vote, a retirement that makes a repository read-only, the exports), with
//! the permission and bad-input refusals along the way, and both languages.
//!
//! Time: the web uses the real clock; the vote deadlines are reached by calling the closing
//! job with a later `now` (`Forge::close_due_votes`), and report periods by creating them
//! as of a later day (`Forge::ensure_reports`). Nothing sleeps.

mod support;

use std::path::Path;

use axum::http::StatusCode;
use hatchery_core::incubator::{Preset, preset};
use hatchery_store::now_ms;
use support::{Resp, TestApp, forge_of, id_from, main_of, status};

const P: &str = "/asf/-/incubator/incubator";

fn git(dir: &Path, args: &[&str]) {
    let mut cmd = hatchery_testkit::git::command(dir);
    hatchery_testkit::git::identity(&mut cmd, "Pat Lee", "pat@example.com");
    hatchery_testkit::git::run_bytes(&mut cmd, args);
}

fn license(name: &str) -> String {
    let path = format!(
        "{}/../hatchery-license/licenses/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Creates `owner/name` through the web and pushes `files` into it with the git client.
async fn repo_with(
    app: &mut TestApp,
    owner: &str,
    name: &str,
    private: bool,
    files: &[(&str, String)],
) {
    let mut fields = vec![("owner", owner), ("name", name)];
    if private {
        fields.push(("private", "on"));
    }
    let r = app.post_form("/repo/create", &fields).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "create {owner}/{name}: {}",
        r.body
    );
    let bare = app.repos_dir.path().join(owner).join(format!("{name}.git"));
    let work = tempfile::tempdir().expect("tempdir");
    let w = work.path();
    git(w, &["init", "-q", "-b", "main"]);
    for (path, text) in files {
        std::fs::write(w.join(path), text).expect("write");
    }
    git(w, &["add", "-A"]);
    git(w, &["commit", "-q", "-m", "Initial import"]);
    git(
        w,
        &["push", "-q", bare.to_str().expect("utf-8 path"), "main"],
    );
}

async fn user(app: &TestApp, name: &str) -> TestApp {
    let mut c = app.new_client();
    c.sign_up(name).await;
    c
}

/// The fields of a proposal with every section of the Apache form filled in.
fn proposal_fields(name: &str, slug: &str, repos: &str, mentor_aff: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("name".into(), name.into()),
        ("slug".into(), slug.into()),
        ("repos".into(), repos.into()),
    ];
    // The People table: each person once, with a role.
    for (username, person, affiliation, role) in [
        ("cara", "", "Apache Software Foundation", "champion"),
        ("mona", "Mona Wang", mentor_aff, "mentor"),
        ("", "Max Outside", "Example University", "mentor"),
        ("pat", "Pat Lee", "Example Corp", "committer"),
    ] {
        f.push(("person_username".into(), username.into()));
        f.push(("person_name".into(), person.into()));
        f.push(("person_affiliation".into(), affiliation.into()));
        f.push(("person_role".into(), role.into()));
    }
    for s in preset(Preset::Apache).proposal_sections {
        f.push((
            format!("section_{}", s.key),
            format!("{} of {name}.", s.title.en()),
        ));
    }
    f
}

async fn post_owned(c: &mut TestApp, path: &str, fields: &[(String, String)]) -> Resp {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &borrowed).await
}

#[tokio::test]
async fn a_committee_runs_a_full_cycle() {
    for app in TestApp::all().await {
        let label = app.label().to_owned();
        let forge = forge_of(&app);
        // The first account of a site is its administrator: a throwaway one.
        let _root = user(&app, "siteadmin").await;
        let mut olivia = user(&app, "olivia").await;
        let mut cara = user(&app, "cara").await;
        let mut cole = user(&app, "cole").await;
        let mut cyd = user(&app, "cyd").await;
        let mut pat = user(&app, "pat").await;
        let mut mona = user(&app, "mona").await;
        let mut eve = user(&app, "eve").await;
        let mut anon = app.new_client();

        // ---- the organization, its committee team ----
        status(
            &olivia.post_form("/org/create", &[("name", "asf")]).await,
            StatusCode::SEE_OTHER,
            "org",
        );
        for n in ["cara", "cole", "cyd"] {
            let r = olivia
                .post_form("/org/asf/members", &[("username", n), ("role", "member")])
                .await;
            status(&r, StatusCode::SEE_OTHER, "member");
        }
        let r = olivia
            .post_form(
                "/org/asf/teams/new",
                &[("name", "ipmc"), ("permission", "read")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "team");
        for n in ["cara", "cole", "cyd"] {
            let r = olivia
                .post_form("/org/asf/teams/ipmc/members", &[("username", n)])
                .await;
            status(&r, StatusCode::SEE_OTHER, "team member");
        }

        // ---- a program from the Apache preset, by an owner only ----
        let program_form = [
            ("name", "ASF Incubator"),
            ("slug", "incubator"),
            ("preset", "apache"),
        ];
        status(
            &eve.get("/asf/-/incubator/new").await,
            StatusCode::FORBIDDEN,
            "non-owner form",
        );
        status(
            &eve.post_form("/asf/-/incubator/new", &program_form).await,
            StatusCode::FORBIDDEN,
            "non-owner create",
        );
        status(
            &cara.post_form("/asf/-/incubator/new", &program_form).await,
            StatusCode::FORBIDDEN,
            "member create",
        );
        olivia
            .get("/asf")
            .await
            .assert_contains("id=\"org-new-program\"");
        let r = olivia
            .post_form("/asf/-/incubator/new", &program_form)
            .await;
        status(&r, StatusCode::SEE_OTHER, "create program");
        assert_eq!(r.location(), P, "[{label}]");
        let r = olivia
            .post_form("/asf/-/incubator/new", &program_form)
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "same slug");
        r.assert_contains("This short name is already taken");
        // The organization's pages link to it now.
        anon.get("/asf")
            .await
            .assert_contains("href=\"/asf/-/incubator\"");
        anon.get("/asf/-/incubator")
            .await
            .assert_contains("ASF Incubator");
        let dash = anon.get(P).await;
        status(&dash, StatusCode::OK, "dashboard");
        dash.assert_contains("id=\"no-committee\"");

        status(
            &cara.get(&format!("{P}/settings")).await,
            StatusCode::FORBIDDEN,
            "settings by member",
        );
        let r = olivia
            .post_form(&format!("{P}/settings/committee"), &[("team", "ipmc")])
            .await;
        status(&r, StatusCode::SEE_OTHER, "committee");

        // An invalid template is refused with every problem listed.
        let mut bad = preset(Preset::Apache);
        bad.stages.clear();
        bad.proposal_sections.clear();
        let r = olivia
            .post_form(
                &format!("{P}/settings/template"),
                &[("template", &serde_json::to_string(&bad).unwrap())],
            )
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid template");
        r.assert_contains("id=\"problems\"");
        r.assert_contains("The program needs at least one stage that is not terminal.");
        r.assert_contains("The program needs at least one terminal stage.");
        r.assert_contains("The program needs a proposal form with at least one section.");
        let r = olivia
            .post_form(
                &format!("{P}/settings/template"),
                &[("template", "{ \"stages\": ")],
            )
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "unparsable template");
        r.assert_contains("This is not a valid document");
        // The test does not wait a week of discussion: the owners shorten it.
        let mut template = preset(Preset::Apache);
        template.discussion_min_days = 0;
        let r = olivia
            .post_form(
                &format!("{P}/settings/template"),
                &[("template", &serde_json::to_string(&template).unwrap())],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "valid template");

        // ---- the proposer's repositories ----
        let readme = |t: &str| format!("# {t}\n");
        repo_with(
            &mut pat,
            "pat",
            "engine",
            false,
            &[
                ("LICENSE", license("Apache-2.0.txt")),
                ("README.md", readme("Engine")),
                ("CODE_OF_CONDUCT.md", "Be kind.\n".into()),
                ("SECURITY.md", "Write to security@example.com.\n".into()),
            ],
        )
        .await;
        repo_with(
            &mut pat,
            "pat",
            "secret",
            true,
            &[
                ("LICENSE", license("Apache-2.0.txt")),
                ("README.md", readme("Secret")),
            ],
        )
        .await;
        repo_with(
            &mut pat,
            "pat",
            "gplthing",
            false,
            &[
                ("LICENSE", license("GPL-3.0.txt")),
                ("README.md", readme("GPL thing")),
            ],
        )
        .await;
        repo_with(
            &mut pat,
            "pat",
            "mulan",
            false,
            &[
                ("LICENSE", license("MulanPSL-2.0.txt")),
                ("README.md", readme("木兰")),
            ],
        )
        .await;

        // A proposal cannot name a private repository its proposer cannot read.
        let spy = proposal_fields("Spy", "spy", "pat/secret", "Nowhere");
        let r = post_owned(&mut eve, &format!("{P}/proposals/new"), &spy).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable repository",
        );
        r.assert_contains("Repository pat/secret does not exist or you cannot read it.");
        let r = post_owned(&mut anon, &format!("{P}/proposals/new"), &spy).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{label}] anonymous is sent to sign in"
        );
        assert!(
            r.location().starts_with("/user/login"),
            "[{label}] {}",
            r.location()
        );

        // ---- proposal 1: drafted, edited (revisions kept), discussed ----
        let p1 = proposal_fields(
            "Engine",
            "engine",
            "pat/engine\npat/secret",
            "Tsinghua University",
        );
        let r = post_owned(&mut pat, &format!("{P}/proposals/new"), &p1).await;
        status(&r, StatusCode::SEE_OTHER, "draft proposal 1");
        assert_eq!(r.location(), format!("{P}/proposals/1"));
        let page = pat.get(&format!("{P}/proposals/1")).await;
        page.assert_contains("id=\"draft-notice\"");
        page.assert_contains("Tsinghua University");
        page.assert_contains("pat/secret");
        // A draft is work in progress: missing to others, and not listed to them.
        let page = eve.get(&format!("{P}/proposals/1")).await;
        status(&page, StatusCode::NOT_FOUND, "draft for another");
        let list = eve.get(&format!("{P}/proposals")).await;
        assert!(!list.body.contains("id=\"proposal-1\""), "[{label}]");
        let mut edited = p1.clone();
        edited.push(("version".into(), "1".into()));
        for (k, v) in edited.iter_mut() {
            if k == "section_abstract" {
                *v = "A faster engine, now with a better abstract.".into();
            }
        }
        status(
            &eve.get(&format!("{P}/proposals/1/edit")).await,
            StatusCode::NOT_FOUND,
            "edit of a draft by another",
        );
        let r = post_owned(&mut pat, &format!("{P}/proposals/1/edit"), &edited).await;
        status(&r, StatusCode::SEE_OTHER, "edit proposal");
        // Saving from a stale version is refused.
        let r = post_owned(&mut pat, &format!("{P}/proposals/1/edit"), &edited).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "stale edit");
        r.assert_contains("Someone changed this since you loaded the page");
        status(
            &anon.get(&format!("{P}/proposals/1/revisions")).await,
            StatusCode::NOT_FOUND,
            "a draft's revisions",
        );
        let revs = pat.get(&format!("{P}/proposals/1/revisions")).await;
        revs.assert_contains("id=\"revision-1\"");
        revs.assert_contains("id=\"revision-2\"");
        revs.assert_contains("A faster engine, now with a better abstract.");
        let r = pat
            .post_form(&format!("{P}/proposals/1/discussion"), &[])
            .await;
        status(&r, StatusCode::SEE_OTHER, "start discussion");
        let r = eve
            .post_form(
                &format!("{P}/proposals/1/comments"),
                &[("body", "Who else uses it?")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "comment");
        anon.get(&format!("{P}/proposals/1"))
            .await
            .assert_contains("Who else uses it?");
        let page = eve.get(&format!("{P}/proposals/1")).await;
        status(&page, StatusCode::OK, "proposal for another");
        assert!(
            !page.body.contains("pat/secret"),
            "[{label}] a private repository leaked"
        );

        // Only the committee opens a vote.
        status(
            &pat.post_form(&format!("{P}/proposals/1/vote"), &[]).await,
            StatusCode::FORBIDDEN,
            "vote by proposer",
        );
        status(
            &olivia
                .post_form(&format!("{P}/proposals/1/vote"), &[])
                .await,
            StatusCode::FORBIDDEN,
            "vote by owner outside the committee",
        );
        let r = cara.post_form(&format!("{P}/proposals/1/vote"), &[]).await;
        status(&r, StatusCode::SEE_OTHER, "open vote 1");
        let vote1 = r.location().to_owned();
        assert!(
            vote1.starts_with(&format!("{P}/votes/")),
            "[{label}] {vote1}"
        );

        // ---- proposal 2 ----
        let p2 = proposal_fields(
            "GPL Thing",
            "gplthing",
            "pat/gplthing, pat/mulan",
            "Peking University",
        );
        let r = post_owned(&mut pat, &format!("{P}/proposals/new"), &p2).await;
        status(&r, StatusCode::SEE_OTHER, "draft proposal 2");
        status(
            &pat.post_form(&format!("{P}/proposals/2/discussion"), &[])
                .await,
            StatusCode::SEE_OTHER,
            "discussion 2",
        );
        // The committee asks for more; the authors answer and return it to discussion.
        let r = pat
            .post_form(
                &format!("{P}/proposals/2/request_info"),
                &[("note", "Add your adopters.")],
            )
            .await;
        status(&r, StatusCode::FORBIDDEN, "request info by the proposer");
        let r = cole
            .post_form(
                &format!("{P}/proposals/2/request_info"),
                &[("note", "Add your adopters.")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "request info");
        let page = anon.get(&format!("{P}/proposals/2")).await;
        page.assert_contains("id=\"needs-info-notice\"");
        page.assert_contains("Add your adopters.");
        let r = cole.post_form(&format!("{P}/proposals/2/vote"), &[]).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "vote on a proposal that needs information",
        );
        r.assert_contains("The proposal's current state does not allow this.");
        status(
            &pat.post_form(&format!("{P}/proposals/2/discussion"), &[])
                .await,
            StatusCode::SEE_OTHER,
            "resubmit 2",
        );
        let r = cole.post_form(&format!("{P}/proposals/2/vote"), &[]).await;
        status(&r, StatusCode::SEE_OTHER, "open vote 2");
        let vote2 = r.location().to_owned();
        let list = anon.get(&format!("{P}/proposals?state=voting")).await;
        list.assert_contains("id=\"proposal-1\"");
        list.assert_contains("id=\"proposal-2\"");

        // ---- ballots: binding for the committee, not for others ----
        let page = eve.get(&vote1).await;
        page.assert_contains("id=\"binding-note\" data-binding=\"false\"");
        let r = eve
            .post_form(
                &format!("{vote1}/ballot"),
                &[("value", "-1"), ("comment", "Not convinced.")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "non-binding ballot");
        cara.get(&vote1)
            .await
            .assert_contains("id=\"binding-note\" data-binding=\"true\"");
        let r = cara
            .post_form(&format!("{vote1}/ballot"), &[("value", "7")])
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad ballot value");
        r.assert_contains("Choose +1, 0 or -1.");
        for c in [&mut cara, &mut cole, &mut cyd] {
            for v in [&vote1, &vote2] {
                let r = c
                    .post_form(
                        &format!("{v}/ballot"),
                        &[("value", "+1"), ("comment", "Welcome!")],
                    )
                    .await;
                status(&r, StatusCode::SEE_OTHER, "binding ballot");
            }
        }
        // Voting twice replaces the earlier ballot; it is never counted twice.
        let r = cara
            .post_form(&format!("{vote1}/ballot"), &[("value", "0")])
            .await;
        status(&r, StatusCode::SEE_OTHER, "changed ballot");
        let r = cara
            .post_form(
                &format!("{vote1}/ballot"),
                &[("value", "+1"), ("comment", "Yes, really.")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "changed back");
        cara.get(&vote1)
            .await
            .assert_contains("replaces your earlier one");
        let page = anon.get(&vote1).await;
        page.assert_contains("id=\"tally-binding\"");
        page.assert_contains("data-plus=\"3\"");
        page.assert_contains("id=\"ballot-eve\" data-binding=\"false\" data-value=\"-1\"");
        page.assert_contains("id=\"ballot-cara\" data-binding=\"true\" data-value=\"+1\"");
        page.assert_contains("data-outcome=\"pending\"");
        assert_eq!(
            page.body.matches("id=\"ballot-cara\"").count(),
            1,
            "[{label}] one ballot per voter"
        );

        // ---- the votes close by their deadline ----
        let v1 = forge
            .store
            .vote_by_id(id_from(&vote1))
            .await
            .unwrap()
            .unwrap();
        let v2 = forge
            .store
            .vote_by_id(id_from(&vote2))
            .await
            .unwrap()
            .unwrap();
        let deadline = v1.deadline_at.max(v2.deadline_at);
        assert!(
            deadline > now_ms() + 71 * 3_600_000,
            "[{label}] Apache votes run 72 hours"
        );
        assert!(
            forge
                .close_due_votes(deadline - 3_600_000)
                .await
                .unwrap()
                .is_empty(),
            "[{label}] nothing closes early"
        );
        let closed = forge.close_due_votes(deadline).await.unwrap();
        assert_eq!(closed.len(), 2, "[{label}] both votes closed");
        for c in &closed {
            assert!(
                c.project.is_some(),
                "[{label}] a project per accepted proposal"
            );
            assert_eq!(c.transfers.len(), 2, "[{label}] {:?}", c.transfers);
        }
        // A vote after the close is refused, and the result stays as frozen.
        let r = mona
            .post_form(&format!("{vote1}/ballot"), &[("value", "-1")])
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "ballot after close");
        r.assert_contains("This vote is closed: it takes no more ballots.");
        let page = anon.get(&vote1).await;
        page.assert_contains("id=\"frozen\"");
        page.assert_contains("data-outcome=\"passed\"");
        assert!(
            !page.body.contains("id=\"ballot-form\""),
            "[{label}] no ballot form once closed"
        );
        anon.get(&format!("{P}/proposals/1"))
            .await
            .assert_contains("id=\"accepted-notice\"");

        // ---- the projects, their repositories moved into the organization ----
        let program = forge.program("asf", "incubator").await.unwrap();
        let engine = forge.project(&program, "engine").await.unwrap();
        let gpl = forge.project(&program, "gplthing").await.unwrap();
        let page = olivia.get(&format!("{P}/projects/engine")).await;
        status(&page, StatusCode::OK, "status page");
        page.assert_contains("data-stage=\"current\"");
        page.assert_contains("href=\"/asf/engine\"");
        page.assert_contains("href=\"/asf/secret\"");
        page.assert_contains("Tsinghua University");
        page.assert_contains("Example Corp");
        page.assert_contains("data-role=\"mentor\"");
        let page = eve.get(&format!("{P}/projects/engine")).await;
        page.assert_contains("href=\"/asf/engine\"");
        assert!(
            !page.body.contains("asf/secret"),
            "[{label}] private repository shown to an outsider"
        );
        status(
            &anon.get(&format!("{P}/projects/engine")).await,
            StatusCode::OK,
            "public status page",
        );
        // The vote that accepted the proposal is on the project's page, with its result.
        let page = anon.get(&format!("{P}/projects/engine")).await;
        page.assert_contains(&format!("id=\"acceptance-vote\" data-vote=\"{}\"", v1.id));
        page.assert_contains(&format!("href=\"{vote1}\""));
        page.assert_contains("3 for, 0 abstaining, 0 against (binding)");
        // The new projects' checklists were judged when the vote closed: no one had to ask.
        let page = anon.get(&format!("{P}/projects/engine")).await;
        assert!(
            !page.body.contains("<span class=\"score\">0 / "),
            "[{label}] a new project's checklist is judged at creation"
        );
        let page = olivia.get(&format!("{P}/projects/engine/checklist")).await;
        page.assert_contains("id=\"item-CD10\" data-status=\"pass\"");
        let page = anon.get(&format!("{P}/projects/gplthing/checklist")).await;
        page.assert_contains("id=\"item-CD10\" data-status=\"fail\"");

        // ---- the checklist judges the pushed repositories ----
        status(
            &eve.post_form(&format!("{P}/projects/engine/checklist/evaluate"), &[])
                .await,
            StatusCode::FORBIDDEN,
            "evaluate by outsider",
        );
        for project in ["engine", "gplthing"] {
            let r = olivia
                .post_form(&format!("{P}/projects/{project}/checklist/evaluate"), &[])
                .await;
            status(&r, StatusCode::SEE_OTHER, "evaluate");
        }
        let page = olivia.get(&format!("{P}/projects/engine/checklist")).await;
        page.assert_contains("id=\"item-CD10\" data-status=\"pass\"");
        page.assert_contains("id=\"item-CO10\" data-status=\"pass\"");
        page.assert_contains("id=\"item-QU30\" data-status=\"pass\"");
        page.assert_contains("Apache-2.0");
        page.assert_contains("asf/secret");
        // Evidence in words, with links: no evaluator names, no JSON.
        page.assert_contains("href=\"/asf/engine/blob/");
        page.assert_contains("every repository has a README at its root");
        page.assert_contains("(allowed)");
        for raw in [
            "license_file",
            "readme_present",
            "security_policy",
            "{&quot;",
            "&quot;repo&quot;",
        ] {
            assert!(
                !page.body.contains(raw),
                "[{label}] the checklist shows {raw:?}"
            );
        }
        let page = olivia
            .get_with(
                &format!("{P}/projects/engine/checklist"),
                &[("accept-language", "zh-CN")],
            )
            .await;
        page.assert_contains("每个仓库的根目录都有 README");
        page.assert_contains("允许");
        // The preset's texts in the viewer's language: checklist items, stage names,
        // proposal sections; English for an English viewer.
        page.assert_contains(">开源许可证<");
        page.assert_contains("私密的安全问题报告渠道");
        let zh = [("accept-language", "zh-CN")];
        olivia
            .get_with(&format!("{P}/projects/engine"), &zh)
            .await
            .assert_contains("孵化中");
        let form = olivia.get_with(&format!("{P}/proposals/new"), &zh).await;
        form.assert_contains("摘要");
        form.assert_contains("已知风险");
        form.assert_contains("对 Apache 品牌的过度追捧");
        let page = olivia.get(&format!("{P}/projects/engine/checklist")).await;
        page.assert_contains(">Open source license<");
        assert!(
            !page.body.contains("开源许可证"),
            "[{label}] English for English"
        );
        let form = olivia.get(&format!("{P}/proposals/new")).await;
        form.assert_contains("Known Risks");
        assert!(
            !form.body.contains("已知风险"),
            "[{label}] English for English"
        );
        let page = eve.get(&format!("{P}/projects/engine/checklist")).await;
        page.assert_contains("id=\"evidence-hidden\"");
        page.assert_contains("id=\"item-CD10\" data-status=\"pass\"");
        assert!(
            !page.body.contains("asf/secret"),
            "[{label}] private evidence shown to an outsider"
        );
        let page = anon.get(&format!("{P}/projects/gplthing/checklist")).await;
        page.assert_contains("id=\"item-CD10\" data-status=\"fail\"");
        page.assert_contains("GPL-3.0-only");
        page.assert_contains("A license file holds a license the program's policy forbids.");
        page.assert_contains("MulanPSL-2.0");
        // Items a person judges: the project's mentors and the committee only.
        let judged = [
            ("code", "CD20"),
            ("status", "pass"),
            ("reason", ""),
            ("evidence", "https://example.com/engine"),
        ];
        status(
            &eve.post_form(&format!("{P}/projects/engine/checklist"), &judged)
                .await,
            StatusCode::FORBIDDEN,
            "judge by outsider",
        );
        status(
            &pat.post_form(&format!("{P}/projects/engine/checklist"), &judged)
                .await,
            StatusCode::FORBIDDEN,
            "judge by committer",
        );
        let r = mona
            .post_form(&format!("{P}/projects/engine/checklist"), &judged)
            .await;
        status(&r, StatusCode::SEE_OTHER, "judge by mentor");
        let page = anon.get(&format!("{P}/projects/engine/checklist")).await;
        page.assert_contains("id=\"item-CD20\" data-status=\"pass\"");
        page.assert_contains("href=\"https://example.com/engine\"");
        let r = mona
            .post_form(
                &format!("{P}/projects/engine/checklist"),
                &[("code", "CD10"), ("status", "pass")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a person passing an automatic item",
        );
        r.assert_contains("This item is evaluated automatically");
        let r = cara
            .post_form(
                &format!("{P}/projects/engine/checklist"),
                &[("code", "RE10"), ("status", "exempt")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "exempt without a reason",
        );
        r.assert_contains("Exempt and not applicable need a reason.");

        // ---- a report: prefilled, submitted, signed off ----
        let reports = forge
            .ensure_reports(&program, &engine, engine.started_at + 1)
            .await
            .unwrap();
        assert_eq!(reports.len(), 1, "[{label}] the first month's report");
        let report = format!("{P}/projects/engine/reports/{}", reports[0].id);
        anon.get(&format!("{P}/projects/engine"))
            .await
            .assert_contains(&format!("id=\"report-{}\"", reports[0].id));
        status(
            &eve.post_form(&format!("{report}/prefill"), &[]).await,
            StatusCode::FORBIDDEN,
            "prefill by outsider",
        );
        let r = pat.post_form(&format!("{report}/prefill"), &[]).await;
        status(&r, StatusCode::SEE_OTHER, "prefill");
        let page = olivia.get(&report).await;
        page.assert_contains("id=\"figures-total\"");
        page.assert_contains("asf/secret");
        page.assert_contains("In this period:");
        let page = eve.get(&report).await;
        page.assert_contains("id=\"figures-total\"");
        assert!(
            !page.body.contains("asf/secret"),
            "[{label}] private figures shown to an outsider"
        );
        let version = reports[0].version + 1;
        let r = pat
            .post_form(
                &report,
                &[
                    ("version", &version.to_string()),
                    ("section_three_issues", "Releases, community, independence."),
                    ("section_development", "In this period: a lot."),
                    ("action", "submit"),
                ],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "submit report");
        let page = anon.get(&report).await;
        page.assert_contains("data-state=\"submitted\"");
        page.assert_contains("Releases, community, independence.");
        let signoff = [("comment", "Accurate.")];
        status(
            &pat.post_form(&format!("{report}/signoff"), &signoff).await,
            StatusCode::FORBIDDEN,
            "sign-off by committer",
        );
        status(
            &eve.post_form(&format!("{report}/signoff"), &signoff).await,
            StatusCode::FORBIDDEN,
            "sign-off by outsider",
        );
        let r = mona.post_form(&format!("{report}/signoff"), &signoff).await;
        status(&r, StatusCode::SEE_OTHER, "sign-off by mentor");
        let page = anon.get(&report).await;
        page.assert_contains("data-state=\"signed_off\"");
        page.assert_contains("id=\"signoff-mona\"");

        // ---- graduation by vote ----
        let graduate = [("move", "graduate:graduated")];
        status(
            &pat.post_form(&format!("{P}/projects/engine/vote"), &graduate)
                .await,
            StatusCode::FORBIDDEN,
            "stage vote by committer",
        );
        let r = cara
            .post_form(
                &format!("{P}/projects/engine/vote"),
                &[("move", "advance_stage:graduated")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a transition the program does not allow",
        );
        let r = cara
            .post_form(&format!("{P}/projects/engine/vote"), &graduate)
            .await;
        status(&r, StatusCode::SEE_OTHER, "open graduation vote");
        let vote3 = r.location().to_owned();
        let r = cole
            .post_form(&format!("{P}/projects/engine/vote"), &graduate)
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "second vote on the same project",
        );
        r.assert_contains("A vote on this project is already open.");
        for c in [&mut cara, &mut cole, &mut cyd] {
            let r = c
                .post_form(&format!("{vote3}/ballot"), &[("value", "+1")])
                .await;
            status(&r, StatusCode::SEE_OTHER, "graduation ballot");
        }
        let v3 = forge
            .store
            .vote_by_id(id_from(&vote3))
            .await
            .unwrap()
            .unwrap();
        let closed = forge.close_due_votes(v3.deadline_at).await.unwrap();
        assert_eq!(closed.len(), 1, "[{label}]");
        // The IPMC's vote recommends; the board's decision graduates (the whole path is
        // tests/incubator_board.rs).
        let gid = closed[0].graduation_id.expect("recommended");
        let g_url = format!("{P}/projects/engine/graduation/{gid}");
        let r = cara
            .post_form(&format!("{g_url}/submit"), &[("version", "1")])
            .await;
        status(&r, StatusCode::SEE_OTHER, "resolution sent");
        let r = olivia
            .post_form(
                &format!("{g_url}/decision"),
                &[
                    ("outcome", "approved"),
                    ("decision_date", "2024-05-15"),
                    ("reference", "https://example.org/board/minutes/2024-05"),
                ],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "board decision");
        let page = anon.get(&format!("{P}/projects/engine")).await;
        page.assert_contains("data-stage=\"graduated\"");
        page.assert_contains("id=\"ended\"");

        // ---- retirement recorded by an owner, with a reference ----
        let reference = "https://lists.example.org/thread/retire-gplthing";
        let retire = [("to_stage", "retired"), ("reference", reference)];
        status(
            &cara
                .post_form(&format!("{P}/projects/gplthing/decision"), &retire)
                .await,
            StatusCode::FORBIDDEN,
            "decision by committee member",
        );
        let r = olivia
            .post_form(
                &format!("{P}/projects/gplthing/decision"),
                &[("to_stage", "retired"), ("reference", "")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "decision without a reference",
        );
        r.assert_contains("This field is required.");
        let r = olivia
            .post_form(&format!("{P}/projects/gplthing/decision"), &retire)
            .await;
        status(&r, StatusCode::SEE_OTHER, "record retirement");
        let page = anon.get(&format!("{P}/projects/gplthing")).await;
        page.assert_contains("data-stage=\"retired\"");
        page.assert_contains(&format!("href=\"{reference}\""));
        // Its repositories are read-only, and every page of them says why.
        for repo in ["gplthing", "mulan"] {
            let r = forge
                .store
                .repo_by_name("asf", repo)
                .await
                .unwrap()
                .unwrap();
            assert!(r.read_only, "[{label}] asf/{repo} read-only");
        }
        for path in [
            "/asf/gplthing",
            "/asf/gplthing/issues",
            "/asf/mulan/commits/main",
        ] {
            let page = eve.get(path).await;
            status(&page, StatusCode::OK, path);
            page.assert_contains("data-retired=\"true\"");
            page.assert_contains("GPL Thing");
            page.assert_contains(&format!("href=\"{P}/projects/gplthing\""));
        }
        assert!(
            !anon.get("/asf/engine").await.body.contains("data-retired"),
            "[{label}] graduated is not retired"
        );

        // ---- the dashboard and the audit log ----
        let dash = anon.get(P).await;
        dash.assert_contains("id=\"project-engine\"");
        dash.assert_contains("id=\"project-gplthing\"");
        dash.assert_contains("id=\"project-table\"");
        let audit = anon.get(&format!("{P}/audit")).await;
        for action in [
            "program.created",
            "program.template",
            "program.committee",
            "proposal.created",
            "proposal.edited",
            "vote.opened",
            "vote.closed",
            "project.created",
            "repo.transferred",
            "checklist.evaluated",
            "checklist.set",
            "report.submitted",
            "report.signed_off",
            "project.stage",
        ] {
            audit.assert_contains(&format!("data-action=\"{action}\""));
        }
        audit.assert_contains(&format!("href=\"{reference}\""));
        // Details in words: counts of an evaluation, a tally; never the stored JSON.
        audit.assert_contains("passed,");
        audit.assert_contains("3 for, 0 abstaining, 0 against (binding)");
        assert!(
            !audit.body.contains("{&quot;"),
            "[{label}] the audit log shows JSON"
        );
        anon.get(&format!("{P}/audit?project=gplthing"))
            .await
            .assert_contains("data-action=\"project.stage\"");
        let entries = forge
            .store
            .audit_log(program.id, Default::default(), 10_000)
            .await
            .unwrap();
        assert!(entries.len() >= 20, "[{label}] {} entries", entries.len());

        // ---- the exports reflect all of it ----
        let r = anon.get(&format!("{P}/projects.json")).await;
        status(&r, StatusCode::OK, "json");
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        let projects = json["projects"].as_array().expect("projects");
        assert_eq!(projects.len(), 2, "[{label}]");
        let find = |slug: &str| {
            projects
                .iter()
                .find(|p| p["slug"] == slug)
                .expect(slug)
                .clone()
        };
        let e = find("engine");
        assert_eq!(e["status"], "graduated");
        assert_eq!(
            e["repositories"],
            serde_json::json!(["asf/engine"]),
            "[{label}] private ones only to readers"
        );
        assert_eq!(e["mentors"][0]["affiliation"], "Tsinghua University");
        let g = find("gplthing");
        assert_eq!(g["status"], "retired");
        assert_eq!(g["resolution"], reference);
        let r = olivia.get(&format!("{P}/projects.json")).await;
        let json: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        let e = json["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["slug"] == "engine")
            .unwrap()
            .clone();
        assert_eq!(
            e["repositories"],
            serde_json::json!(["asf/engine", "asf/secret"])
        );
        let r = anon.get(&format!("{P}/podlings.xml")).await;
        status(&r, StatusCode::OK, "xml");
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/xml")
        );
        r.assert_contains("<podlings>");
        r.assert_contains("<podling name=\"Engine\" status=\"graduated\" resource=\"engine\"");
        r.assert_contains("<podling name=\"GPL Thing\" status=\"retired\" resource=\"gplthing\"");
        r.assert_contains(&format!("<resolution url=\"{reference}\"/>"));
        r.assert_contains("<champion availid=\"cara\">");
        r.assert_contains("<mentor username=\"mona\">Mona Wang</mentor>");
        r.assert_contains("enddate=");
        let _ = gpl;

        // ---- every kind of page, in both languages, with no message key left raw ----
        let report_path = report.clone();
        let pages = [
            "/asf/-/incubator".to_owned(),
            P.to_owned(),
            format!("{P}/proposals"),
            format!("{P}/proposals/new"),
            format!("{P}/proposals/1"),
            format!("{P}/proposals/1/edit"),
            format!("{P}/proposals/1/revisions"),
            vote1.clone(),
            vote3.clone(),
            format!("{P}/projects/engine"),
            format!("{P}/projects/gplthing"),
            format!("{P}/projects/engine/checklist"),
            report_path,
            format!("{P}/audit"),
            format!("{P}/settings"),
            "/asf/-/incubator/new".to_owned(),
        ];
        for lang in ["en", "zh-CN"] {
            for path in &pages {
                let r = olivia.get_with(path, &[("accept-language", lang)]).await;
                status(&r, StatusCode::OK, path);
                r.assert_contains(&format!("<html lang=\"{lang}\">"));
                for raw in [">incubator.", ">error.", "\"incubator.", ": incubator."] {
                    assert!(
                        !r.body.contains(raw),
                        "[{label}] {path} ({lang}) shows a raw key: {}",
                        main_of(&r.body)
                    );
                }
                if lang == "zh-CN" {
                    r.assert_contains("孵化器");
                }
            }
        }
    }
}

#[tokio::test]
async fn pages_speak_both_languages() {
    for app in TestApp::all().await {
        let _root = user(&app, "siteadmin").await;
        let mut olivia = user(&app, "olivia").await;
        status(
            &olivia.post_form("/org/create", &[("name", "lab")]).await,
            StatusCode::SEE_OTHER,
            "org",
        );
        let r = olivia
            .post_form(
                "/lab/-/incubator/new",
                &[("name", "开源孵化"), ("slug", "open"), ("preset", "cncf")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "program");
        let mut visitor = app.new_client();
        let zh = [("accept-language", "zh-CN,zh;q=0.9")];
        for path in [
            "/lab/-/incubator",
            "/lab/-/incubator/open",
            "/lab/-/incubator/open/proposals",
            "/lab/-/incubator/open/audit",
        ] {
            let en = visitor.get(path).await;
            status(&en, StatusCode::OK, path);
            en.assert_contains("<html lang=\"en\">");
            en.assert_contains("Incubator");
            let r = visitor.get_with(path, &zh).await;
            status(&r, StatusCode::OK, path);
            r.assert_contains("<html lang=\"zh-CN\">");
            r.assert_contains("孵化器");
            r.assert_contains("开源孵化");
        }
        let r = olivia
            .get_with(
                "/lab/-/incubator/open/settings",
                &[("accept-language", "zh-CN")],
            )
            .await;
        status(&r, StatusCode::OK, "settings");
        r.assert_contains("计划模板");
        let r = olivia
            .get_with(
                "/lab/-/incubator/open/proposals/new",
                &[("accept-language", "zh-CN")],
            )
            .await;
        status(&r, StatusCode::OK, "new proposal");
        r.assert_contains("每人填写一次并注明角色");
        // A refusal in Chinese too.
        let r = olivia
            .post_form(
                "/lab/-/incubator/open/settings/template",
                &[("template", "{}")],
            )
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad template");
        olivia.set_cookie("hatchery_lang", "zh-CN");
        let mut bad = preset(Preset::Cncf);
        bad.stages.clear();
        let r = olivia
            .post_form(
                "/lab/-/incubator/open/settings/template",
                &[("template", &serde_json::to_string(&bad).unwrap())],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad template in Chinese",
        );
        r.assert_contains("计划至少需要一个非终止阶段。");
    }
}

#[tokio::test]
async fn incubator_paths_do_not_clash_with_repositories() {
    for app in TestApp::all().await {
        let _root = user(&app, "siteadmin").await;
        let mut olivia = user(&app, "olivia").await;
        status(
            &olivia.post_form("/org/create", &[("name", "lab")]).await,
            StatusCode::SEE_OTHER,
            "org",
        );
        let r = olivia
            .post_form("/repo/create", &[("owner", "lab"), ("name", "incubator")])
            .await;
        status(&r, StatusCode::SEE_OTHER, "a repository named incubator");
        // `-` is reserved: no repository can take it.
        let r = olivia
            .post_form("/repo/create", &[("owner", "lab"), ("name", "-")])
            .await;
        assert_ne!(r.status, StatusCode::SEE_OTHER, "'-' must stay reserved");
        status(
            &olivia.get("/lab/incubator").await,
            StatusCode::OK,
            "repository page",
        );
        status(
            &olivia.get("/lab/incubator/issues").await,
            StatusCode::OK,
            "repository issues",
        );
        status(
            &olivia.get("/lab/-/incubator").await,
            StatusCode::OK,
            "programs",
        );
        status(
            &olivia.get("/lab/-/incubator/nothing").await,
            StatusCode::NOT_FOUND,
            "missing program",
        );
        status(
            &olivia.get("/nobody/-/incubator").await,
            StatusCode::NOT_FOUND,
            "missing organization",
        );
        status(
            &olivia.get("/lab/-/incubator/nothing/projects/x").await,
            StatusCode::NOT_FOUND,
            "missing project",
        );
    }
}

/// Every message key the incubator's errors name exists in both catalogs.
#[test]
fn error_messages_are_in_both_catalogs() {
    use hatchery_core::incubator::program::Part;
    use hatchery_core::incubator::{TemplateError, TransitionError, VoteKind};
    use hatchery_service::incubator::IncubatorError;
    use hatchery_web::i18n::Lang;
    let s = String::new;
    let mut keys: Vec<&'static str> = vec![
        TemplateError::NoActiveStage,
        TemplateError::NoTerminalStage,
        TemplateError::ActiveAfterTerminal(s()),
        TemplateError::InvalidKey {
            part: Part::Stage,
            key: s(),
        },
        TemplateError::InvalidCode(s()),
        TemplateError::InvalidSpdxId(s()),
        TemplateError::Duplicate {
            part: Part::Stage,
            key: s(),
        },
        TemplateError::MissingText {
            part: Part::Stage,
            key: s(),
        },
        TemplateError::TextTooLong {
            part: Part::Stage,
            key: s(),
            max: 1,
        },
        TemplateError::TooMany {
            part: Part::Stage,
            max: 1,
        },
        TemplateError::NoProposalSections,
        TemplateError::MissingVoteRule(VoteKind::Retire),
        TemplateError::InvalidVoteDuration(VoteKind::Retire),
        TemplateError::ExcessiveMinimum(VoteKind::Retire),
        TemplateError::InvalidEvaluator(s()),
        TemplateError::InvalidCadence("x"),
        TemplateError::DiscussionTooLong,
        TemplateError::InvalidSponsor,
    ]
    .iter()
    .map(TemplateError::message_key)
    .collect();
    keys.extend(
        [
            TransitionError::UnknownStage(s()),
            TransitionError::FromTerminal(s()),
            TransitionError::SameStage,
            TransitionError::Backward,
            TransitionError::SkipsStage,
            TransitionError::NotFinalStage,
            TransitionError::WrongKind {
                kind: VoteKind::Retire,
                to: s(),
            },
            TransitionError::NotAStageChange,
        ]
        .iter()
        .map(TransitionError::message_key),
    );
    keys.extend(
        [
            IncubatorError::Field {
                field: "x",
                message: s(),
            },
            IncubatorError::Template(vec![]),
            IncubatorError::DiscussionRunning { until_ms: 0 },
            IncubatorError::NoCommittee,
            IncubatorError::VoteAlreadyOpen,
            IncubatorError::VoteClosed,
            IncubatorError::UnreadableRepo(s()),
            IncubatorError::NameTaken("slug"),
            IncubatorError::Denied(hatchery_core::Denial::Forbidden),
            IncubatorError::NotFound,
            IncubatorError::Stale,
        ]
        .iter()
        .map(IncubatorError::message_key),
    );
    for lang in Lang::ALL {
        for k in &keys {
            assert!(lang.lookup(k).is_some(), "{} lacks {k}", lang.tag());
        }
    }
}

#[tokio::test]
async fn overdue_reports_are_marked() {
    for app in TestApp::all().await {
        let label = app.label().to_owned();
        let forge = forge_of(&app);
        let _root = user(&app, "siteadmin").await;
        let mut olivia = user(&app, "olivia").await;
        status(
            &olivia.post_form("/org/create", &[("name", "asf")]).await,
            StatusCode::SEE_OTHER,
            "org",
        );
        let r = olivia
            .post_form(
                "/asf/-/incubator/new",
                &[
                    ("name", "Incubator"),
                    ("slug", "incubator"),
                    ("preset", "apache"),
                ],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "program");
        let program = forge.program("asf", "incubator").await.unwrap();
        // A podling that started four months ago (set up directly: only a vote creates one).
        let day = 86_400_000;
        forge
            .store
            .create_project(
                &hatchery_store::NewProject {
                    program_id: program.id,
                    proposal_id: None,
                    slug: "oldie".into(),
                    name: "Oldie".into(),
                    description: String::new(),
                    sponsor: "Incubator".into(),
                    stage: "current".into(),
                    started_at: now_ms() - 120 * day,
                    reporting_group: None,
                    roster: Vec::new(),
                    repo_ids: Vec::new(),
                },
                None,
                now_ms(),
            )
            .await
            .unwrap();
        let mut anon = app.new_client();
        let dash = anon.get(P).await;
        status(&dash, StatusCode::OK, "dashboard");
        // Monthly for three months, each due a week after its month: all three are late.
        dash.assert_contains("data-overdue=\"3\"");
        dash.assert_contains("id=\"overdue-reports\"");
        let page = anon.get(&format!("{P}/projects/oldie")).await;
        assert_eq!(
            page.body.matches("class=\"overdue\"").count(),
            3,
            "[{label}] {}",
            main_of(&page.body)
        );
        let project = forge.project(&program, "oldie").await.unwrap();
        let reports = forge
            .ensure_reports(&program, &project, now_ms())
            .await
            .unwrap();
        assert_eq!(
            reports.len(),
            4,
            "[{label}] three past periods and the current one"
        );
        let page = anon
            .get(&format!("{P}/projects/oldie/reports/{}", reports[0].id))
            .await;
        page.assert_contains("id=\"report-overdue\"");
        let page = anon
            .get(&format!("{P}/projects/oldie/reports/{}", reports[3].id))
            .await;
        assert!(
            !page.body.contains("id=\"report-overdue\""),
            "[{label}] the current period is not late"
        );
    }
}
