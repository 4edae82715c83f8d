//! An accepted incubator project's repository moves into the program's organization:
//! its old web and clone addresses redirect to the new ones, and pushes to it re-evaluate
//! the project's maturity checklist — through the real server and the real git client.

mod gitsupport;

use std::time::Duration;

use gitsupport::{PASSWORD, Server, git, ok};
use hatchery_core::incubator::{BallotValue, Preset};
use hatchery_core::{AccessLevel, Actor, Name, NameKind};
use hatchery_service::incubator::{PersonInput, VoteOn};
use hatchery_store::testing::stores;
use hatchery_store::{ChecklistStatus, User, now_ms};

const DAY: i64 = 24 * 3_600_000;

fn actor(u: &User) -> Actor {
    Actor::User {
        id: u.id,
        site_admin: false,
    }
}

fn person(username: &str) -> PersonInput {
    PersonInput {
        username: username.into(),
        name: String::new(),
        affiliation: "ACME".into(),
    }
}

#[tokio::test]
async fn moved_repositories_redirect_and_pushes_reevaluate_the_checklist() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let s = &server.state.store;
        let f = &server.state.forge;
        let _sysop = server.user("sysop").await;
        let olive = server.user("olive").await;
        let pat = server.user("pat").await;
        let mut committee = Vec::new();
        for name in ["ann", "bob", "cy"] {
            committee.push(server.user(name).await);
        }
        let asf = s
            .create_org(
                olive.id,
                &Name::parse(NameKind::Account, "asf").unwrap(),
                "ASF",
                "",
            )
            .await
            .unwrap();
        let ipmc = s
            .create_team(
                asf.id,
                &Name::parse(NameKind::Team, "ipmc").unwrap(),
                "",
                AccessLevel::Read,
            )
            .await
            .unwrap();
        for m in &committee {
            s.add_team_member(ipmc.id, m.id).await.unwrap();
        }

        // Pat's repository, with an Apache-2.0 license and no security policy yet.
        server.repo(&pat, "engine", false).await;
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        ok(&git(dir, &["init", "-q", "-b", "main"]).await);
        let apache = include_str!("../../crates/hatchery-license/licenses/Apache-2.0.txt");
        std::fs::write(dir.join("LICENSE"), apache).unwrap();
        std::fs::write(dir.join("README.md"), "# Engine\n").unwrap();
        ok(&git(dir, &["add", "."]).await);
        ok(&git(dir, &["commit", "-q", "-m", "Start"]).await);
        let old_url = server.url("pat/engine.git", Some(("pat", PASSWORD)));
        ok(&git(dir, &["push", "-q", &old_url, "main"]).await);

        // The program accepts a proposal bringing it.
        let now = now_ms();
        let program = f
            .create_program(
                actor(&olive),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                now,
            )
            .await
            .unwrap();
        let program = f
            .set_committee(actor(&olive), &program, Some("ipmc"), now)
            .await
            .unwrap();
        let mut input = f.proposal_form(&program);
        for (key, value) in input.sections.iter_mut() {
            *value = format!("{key} of engine");
        }
        input.slug = "engine".into();
        input.name = "Engine".into();
        input.champion = Some(person("ann"));
        input.mentors = vec![person("ann"), person("bob")];
        input.committers = vec![person("pat")];
        input.repos = vec!["pat/engine".into()];
        let proposal = f
            .draft_proposal(actor(&pat), &program, &input, now)
            .await
            .unwrap();
        let proposal = f
            .start_discussion(actor(&pat), &program, &proposal, now)
            .await
            .unwrap();
        let opened = now + 7 * DAY;
        let vote = f
            .open_vote(
                actor(&committee[0]),
                &program,
                VoteOn::Proposal(&proposal),
                opened,
            )
            .await
            .unwrap();
        for m in &committee {
            f.cast_ballot(
                actor(m),
                &program,
                &vote,
                BallotValue::Plus1,
                "",
                opened + 1,
            )
            .await
            .unwrap();
        }
        f.close_due_votes(vote.deadline_at + 1).await.unwrap();
        let moved = s.repo_by_name("asf", "engine").await.unwrap();
        assert!(
            moved.is_some(),
            "[{l}] the repository moved into the organization"
        );
        assert!(
            s.repo_by_name("pat", "engine").await.unwrap().is_none(),
            "[{l}]"
        );
        let project = s
            .project_by_slug(program.id, "engine")
            .await
            .unwrap()
            .expect("project");

        // Old web addresses redirect, keeping the rest of the path.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = client
            .get(format!(
                "http://{}/pat/engine/commits/main?page=1",
                server.addr
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 301, "[{l}]");
        assert_eq!(
            r.headers()["location"],
            "/asf/engine/commits/main?page=1",
            "[{l}]"
        );
        // Names that never existed stay 404.
        let r = client
            .get(format!("http://{}/pat/nothing", server.addr))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "[{l}]");

        // A clone from the old address follows the redirect.
        let clone = tempfile::tempdir().unwrap();
        let anon_old = server.url("pat/engine.git", None);
        ok(&git(clone.path(), &["clone", "-q", &anon_old, "c"]).await);
        assert!(clone.path().join("c/LICENSE").exists(), "[{l}]");

        // A push to the project's repository re-evaluates its checklist: QU30 (a private
        // security reporting channel) passes once SECURITY.md is there.
        let before = s.checklist_results(project.id).await.unwrap();
        assert!(
            !before
                .iter()
                .any(|e| e.item_code == "QU30" && e.status == ChecklistStatus::Pass),
            "[{l}]"
        );
        std::fs::write(dir.join("SECURITY.md"), "Report to security@example.org\n").unwrap();
        ok(&git(dir, &["add", "."]).await);
        ok(&git(dir, &["commit", "-q", "-m", "Security policy"]).await);
        // Pat, who owned it before, still administers it (as a collaborator now).
        let new_url = server.url("asf/engine.git", Some(("pat", PASSWORD)));
        ok(&git(dir, &["push", "-q", &new_url, "main"]).await);
        // The evaluation runs after the push's response: wait for its result, bounded.
        let mut passed = false;
        for _ in 0..300 {
            let results = s.checklist_results(project.id).await.unwrap();
            if results
                .iter()
                .any(|e| e.item_code == "QU30" && e.status == ChecklistStatus::Pass)
            {
                let cd10 = results
                    .iter()
                    .find(|e| e.item_code == "CD10")
                    .expect("CD10");
                assert_eq!(
                    cd10.status,
                    ChecklistStatus::Pass,
                    "[{l}] Apache-2.0 passes"
                );
                passed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(passed, "[{l}] the push re-evaluated the checklist");
        server.stop().await;
    }
}
