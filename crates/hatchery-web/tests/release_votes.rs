//! Release candidates and release votes through the real router, on every backend: a
//! candidate of a repository linked to an incubating project is missing (404, or left out
//! of lists) for an outsider and for anonymous visitors on every surface (release list and
//! page, `latest`, the API's list, get, by-tag and assets, the asset download and the
//! source archives), while the repository's writers and the program's committee see it; a
//! release vote opened from the release page (or the API) that fails keeps it hidden and
//! the page shows the failed vote; one that passes publishes it (then everyone sees it),
//! and the checklist's RE20 follows: no releases, approved, a release published without a
//! vote.
//!
//! Time: the votes' deadlines are reached by calling the closing job with a later `now`
//! (`Forge::close_due_votes`). Nothing sleeps.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::incubator::{BallotValue, Preset, preset};
use hatchery_store::testing::fixtures;
use hatchery_store::{
    ChecklistStatus, NewProgram, NewProject, Program, Project, ReportTemplate, Store, now_ms,
};
use serde_json::Value;
use support::{TestApp, api, api_bytes, body, forge_of, uid};

const HOUR: i64 = 3_600_000;

struct World {
    program: Program,
    project: Project,
    /// A `release` webhook of `tool` (never sent: no delivery worker runs here).
    hook: i64,
    /// Committee members besides carl, to reach Apache's three binding +1.
    voters: Vec<i64>,
}

/// Ada owns `tool` (linked to an incubating project) and `other` (not linked); cat writes
/// to `tool`; bob is an outsider; carl, dan and eve are the Apache-preset program's
/// committee.
async fn setup(app: &mut TestApp) -> World {
    for name in ["ada", "bob", "cat", "carl", "dan", "eve"] {
        let mut c = app.new_client();
        c.sign_up(name).await;
    }
    app.login("ada", support::PASSWORD).await;
    for repo in ["tool", "other"] {
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "ada"), ("name", repo), ("init_readme", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let s = app.store.store().clone();
    let tool = s.repo_by_name("ada", "tool").await.unwrap().unwrap();
    s.set_collaborator(tool.id, uid(&s, "cat").await, AccessLevel::Write)
        .await
        .unwrap();
    let ada = s.user_by_name("ada").await.unwrap().unwrap();
    let asf = fixtures::org(&s, &ada, "asf").await;
    let ipmc = fixtures::team(&s, asf.id, "ipmc", AccessLevel::Read).await;
    let mut voters = Vec::new();
    for name in ["carl", "dan", "eve"] {
        let id = uid(&s, name).await;
        s.add_team_member(ipmc.id, id).await.unwrap();
        if name != "carl" {
            voters.push(id);
        }
    }
    let now = now_ms();
    let program = s
        .create_program(NewProgram {
            org_id: asf.id,
            slug: "incubator",
            name: "Incubator",
            description: "",
            preset: "apache",
            template: &preset(Preset::Apache),
            report_template: &ReportTemplate::default(),
            actor_id: Some(ada.id),
            now,
        })
        .await
        .unwrap();
    let program = s
        .set_program_committee(program.id, Some(ipmc.id), None, now)
        .await
        .unwrap();
    let project = s
        .create_project(
            &NewProject {
                program_id: program.id,
                proposal_id: None,
                slug: "tool".into(),
                name: "Tool".into(),
                description: String::new(),
                sponsor: "Incubator".into(),
                stage: "current".into(),
                started_at: now - HOUR,
                reporting_group: None,
                roster: Vec::new(),
                repo_ids: vec![tool.id],
            },
            Some(ada.id),
            now,
        )
        .await
        .unwrap();
    let events = vec!["release".to_owned()];
    let hook = s
        .create_webhook(hatchery_store::NewWebhook {
            owner: hatchery_store::HookOwner::Repo(tool.id),
            url: "http://127.0.0.1:9/hook",
            content_type: "json",
            secret: "",
            events: &events,
            branch_filter: "",
            authorization_header: "",
            is_active: true,
        })
        .await
        .unwrap()
        .id;
    World {
        program,
        project,
        hook,
        voters,
    }
}

async fn client(app: &TestApp, name: Option<&str>) -> TestApp {
    let mut c = app.new_client();
    if let Some(n) = name {
        let r = c.login(n, support::PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login {n}");
    }
    c
}

const REL: &str = "/api/v1/repos/ada/tool/releases";

/// What `who` sees of the release `id` (tag `tag`, with the file `tool.tar.gz`) on every
/// surface: `true` when all of them show it, `false` when all of them hide it; any mix
/// fails the test.
async fn sees(app: &TestApp, who: Option<&str>, id: i64, tag: &str, latest: bool) -> bool {
    let l = app.label().to_owned();
    let mut c = client(app, who).await;
    let what = format!("[{l}] {who:?}");
    let mut seen = Vec::new();
    let list = c.get("/ada/tool/releases").await;
    assert_eq!(list.status, StatusCode::OK, "{what}");
    seen.push(("list", list.body.contains(&format!("release-{id}"))));
    // The tag itself is listed for everyone (git shows it anyway); its archives are not.
    let tags = c.get("/ada/tool/tags").await;
    assert!(tags.body.contains(tag), "{what} tags");
    seen.push((
        "tag archives",
        tags.body
            .contains(&format!("/ada/tool/archive/{tag}.tar.gz")),
    ));
    for (name, path) in [
        ("page", format!("/ada/tool/releases/tag/{tag}")),
        (
            "download",
            format!("/ada/tool/releases/download/{tag}/tool.tar.gz"),
        ),
        ("tar", format!("/ada/tool/archive/{tag}.tar.gz")),
        ("zip", format!("/ada/tool/archive/{tag}.zip")),
        ("api get", format!("{REL}/{id}")),
        ("api tag", format!("{REL}/tags/{tag}")),
        ("api assets", format!("{REL}/{id}/assets")),
    ] {
        let r = if name.starts_with("api") {
            api(&mut c, "GET", &path, who, None).await
        } else {
            c.get(&path).await
        };
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND,
            "{what} {name}: {}",
            r.status
        );
        seen.push((name, r.status == StatusCode::OK));
    }
    let r = api(&mut c, "GET", REL, who, None).await;
    assert_eq!(r.status, StatusCode::OK, "{what}");
    let listed = body(&r)
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["id"] == id));
    seen.push(("api list", listed));
    // `latest` names it only once it is published (a candidate is never the latest).
    let web_latest = c.get("/ada/tool/releases/latest").await;
    let api_latest = api(&mut c, "GET", &format!("{REL}/latest"), who, None).await;
    let is_latest =
        web_latest.location().ends_with(&format!("/tag/{tag}")) && body(&api_latest)["id"] == id;
    assert_eq!(
        is_latest, latest,
        "{what} latest: {} {}",
        web_latest.status, api_latest.status
    );
    let all = seen.iter().all(|(_, s)| *s);
    let none = seen.iter().all(|(_, s)| !*s);
    assert!(all || none, "{what}: {seen:?}");
    all
}

/// The `release` deliveries of the hook, oldest first, as (action, payload).
async fn release_deliveries(app: &TestApp, w: &World) -> Vec<(String, Value)> {
    let s = app.store.store();
    let (list, _) = s.deliveries_of_hook(w.hook, 0, 100).await.unwrap();
    let mut out = Vec::new();
    for d in list.iter().rev().filter(|d| d.event == "release") {
        let full = s.delivery(w.hook, d.id).await.unwrap().unwrap();
        out.push((
            d.action.clone(),
            serde_json::from_str(&full.payload).unwrap_or(Value::Null),
        ));
    }
    out
}

async fn re20(app: &TestApp, w: &World) -> (ChecklistStatus, String) {
    let forge = forge_of(app);
    forge
        .evaluate_checklist(&w.program, &w.project, now_ms())
        .await
        .unwrap();
    let rows = app
        .store
        .store()
        .checklist_results(w.project.id)
        .await
        .unwrap();
    let row = rows
        .into_iter()
        .find(|r| r.item_code == "RE20")
        .expect("RE20 evaluated");
    (row.status, row.reason)
}

#[tokio::test]
async fn release_candidates_are_hidden_until_their_vote_passes() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let w = setup(&mut app).await;
        assert_eq!(
            re20(&app, &w).await,
            (ChecklistStatus::Fail, "no_releases".to_owned()),
            "[{l}]"
        );

        // The form offers the choice only in a repository of an incubating project.
        let mut cat = client(&app, Some("cat")).await;
        let form = cat.get("/ada/tool/releases/new").await;
        assert!(form.body.contains("name=\"candidate\""), "[{l}]");
        let form = app.get("/ada/other/releases/new").await;
        assert!(!form.body.contains("name=\"candidate\""), "[{l}]");
        let r = app
            .post_form(
                "/ada/other/releases/new",
                &[("tag_name", "v1.0-rc1"), ("candidate", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        let r = api(
            &mut app,
            "POST",
            "/api/v1/repos/ada/other/releases",
            Some("ada"),
            Some(r#"{"tag_name": "v1.0-rc1", "is_candidate": true}"#),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );

        // A writer makes a candidate with the web form and uploads its file.
        let r = cat
            .post_form(
                "/ada/tool/releases/new",
                &[
                    ("tag_name", "v1.0-rc1"),
                    ("title", "Tool 1.0 RC1"),
                    ("candidate", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let s = app.store.store().clone();
        let tool = s.repo_by_name("ada", "tool").await.unwrap().unwrap();
        let rc1 = s
            .release_by_tag(tool.id, "v1.0-rc1")
            .await
            .unwrap()
            .unwrap();
        assert!(rc1.is_candidate && rc1.published_at.is_none(), "[{l}]");
        let r = api_bytes(
            &mut cat,
            "POST",
            &format!("{REL}/{}/assets?name=tool.tar.gz", rc1.id),
            "cat",
            "application/octet-stream",
            b"source".to_vec(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);

        for who in [None, Some("bob")] {
            assert!(
                !sees(&app, who, rc1.id, "v1.0-rc1", false).await,
                "[{l}] {who:?}"
            );
        }
        assert!(
            release_deliveries(&app, &w).await.is_empty(),
            "[{l}] a candidate is not announced"
        );
        for who in ["cat", "carl", "ada"] {
            assert!(
                sees(&app, Some(who), rc1.id, "v1.0-rc1", false).await,
                "[{l}] {who}"
            );
        }
        let r = api(
            &mut cat,
            "GET",
            &format!("{REL}/{}", rc1.id),
            Some("cat"),
            None,
        )
        .await;
        assert_eq!(body(&r)["is_candidate"], true, "[{l}]");

        // An outsider cannot open the vote (the candidate is missing to them); the
        // committee opens it from the release page, which then links to it.
        let mut bob = client(&app, Some("bob")).await;
        let r = bob
            .post_form(&format!("/ada/tool/releases/{}/vote", rc1.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}]");
        let mut carl = client(&app, Some("carl")).await;
        let page = carl.get("/ada/tool/releases/tag/v1.0-rc1").await;
        assert!(page.body.contains("id=\"open-release-vote\""), "[{l}]");
        let r = carl
            .post_form(&format!("/ada/tool/releases/{}/vote", rc1.id), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let votes = s.votes_of_release(rc1.id).await.unwrap();
        assert_eq!(votes.len(), 1, "[{l}]");
        let first = votes[0].clone();
        let vote_path = format!("/asf/-/incubator/incubator/votes/{}", first.id);
        let page = carl.get("/ada/tool/releases/tag/v1.0-rc1").await;
        assert!(
            page.body.contains(&vote_path),
            "[{l}] the release links to its vote"
        );
        assert!(!page.body.contains("id=\"open-release-vote\""), "[{l}]");
        let vote_page = carl.get(&vote_path).await;
        assert_eq!(vote_page.status, StatusCode::OK, "[{l}]");
        assert!(vote_page.body.contains("v1.0-rc1"), "[{l}]");
        let r = api(
            &mut cat,
            "POST",
            &format!("{REL}/{}/vote", rc1.id),
            Some("cat"),
            None,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] one open at a time"
        );

        // Only carl votes: Apache needs three binding +1, so at the deadline it fails and
        // the candidate stays hidden; its page shows the failed vote.
        let forge = forge_of(&app);
        forge
            .cast_ballot(
                carl_actor(&s).await,
                &w.program,
                &first,
                BallotValue::Plus1,
                "",
                now_ms(),
            )
            .await
            .unwrap();
        let closed = forge.close_due_votes(first.deadline_at + 1).await.unwrap();
        assert_eq!(closed.len(), 1, "[{l}]");
        assert!(!closed[0].release_published, "[{l}]");
        for who in [None, Some("bob")] {
            assert!(
                !sees(&app, who, rc1.id, "v1.0-rc1", false).await,
                "[{l}] {who:?}"
            );
        }
        let page = carl.get("/ada/tool/releases/tag/v1.0-rc1").await;
        assert!(
            page.body.contains(&format!(
                "id=\"release-vote-{}\" data-state=\"failed\"",
                first.id
            )),
            "[{l}]"
        );
        assert!(
            page.body.contains("id=\"open-release-vote\""),
            "[{l}] a new vote may follow"
        );

        // A writer opens the next vote through the API; three binding +1 pass it at the
        // deadline, which publishes the candidate: everyone sees it, it is the latest.
        let r = api(
            &mut cat,
            "POST",
            &format!("{REL}/{}/vote", rc1.id),
            Some("cat"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);
        assert_eq!(body(&r)["kind"], "release", "[{l}]");
        assert_eq!(body(&r)["release_id"], rc1.id, "[{l}]");
        let second = s
            .vote_by_id(body(&r)["id"].as_i64().unwrap())
            .await
            .unwrap()
            .unwrap();
        // Under the vote the candidate keeps its tag, state and files; its notes may change.
        for patch in [
            r#"{"tag_name": "v1.0-rc2"}"#,
            r#"{"is_candidate": false}"#,
            r#"{"draft": true}"#,
        ] {
            let r = api(
                &mut cat,
                "PATCH",
                &format!("{REL}/{}", rc1.id),
                Some("cat"),
                Some(patch),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{l}] {patch}: {}",
                r.body
            );
        }
        let r = api(
            &mut cat,
            "PATCH",
            &format!("{REL}/{}", rc1.id),
            Some("cat"),
            Some(r#"{"body": "Vote on general@."}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        let r = api_bytes(
            &mut cat,
            "POST",
            &format!("{REL}/{}/assets?name=extra.zip", rc1.id),
            "cat",
            "application/octet-stream",
            b"more".to_vec(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let r = api(
            &mut cat,
            "DELETE",
            &format!("{REL}/{}", rc1.id),
            Some("cat"),
            None,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] no deleting under a vote: {}",
            r.body
        );
        let mut ballots = w.voters.clone();
        ballots.push(uid(&s, "carl").await);
        for voter in ballots {
            s.cast_ballot(second.id, voter, BallotValue::Plus1, "", now_ms())
                .await
                .unwrap();
        }
        let closed = forge.close_due_votes(second.deadline_at + 1).await.unwrap();
        assert_eq!(closed.len(), 1, "[{l}]");
        assert!(closed[0].release_published, "[{l}]");
        let published = s.release_by_id(tool.id, rc1.id).await.unwrap().unwrap();
        assert!(!published.is_candidate && !published.is_draft, "[{l}]");
        assert_eq!(
            published.published_at,
            Some(second.deadline_at + 1),
            "[{l}]"
        );
        let sent = release_deliveries(&app, &w).await;
        assert_eq!(sent.len(), 1, "[{l}] {sent:?}");
        assert_eq!(sent[0].0, "published", "[{l}]");
        assert_eq!(sent[0].1["release"]["id"], rc1.id, "[{l}]");
        assert_eq!(sent[0].1["release"]["is_candidate"], false, "[{l}]");
        for who in [None, Some("bob"), Some("carl")] {
            assert!(
                sees(&app, who, rc1.id, "v1.0-rc1", true).await,
                "[{l}] {who:?}"
            );
        }
        assert_eq!(
            re20(&app, &w).await,
            (ChecklistStatus::Pass, String::new()),
            "[{l}]"
        );

        // A release published without a vote: RE20 fails again.
        let r = app
            .post_form("/ada/tool/releases/new", &[("tag_name", "v1.0.1")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(
            re20(&app, &w).await,
            (ChecklistStatus::Fail, "unapproved_release".to_owned()),
            "[{l}]"
        );
    }
}

async fn carl_actor(s: &Store) -> hatchery_core::Actor {
    hatchery_core::Actor::User {
        id: uid(s, "carl").await,
        site_admin: false,
    }
}
