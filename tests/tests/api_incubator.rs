//! The incubator's REST API over real HTTP, on every database: an Apache-style program set
//! up through the service (organization, committee team, program, proposals and votes with
//! explicit times), then read through `/api/v1/orgs/{org}/incubator/...`: programs,
//! proposals (drafts hidden), votes with live and frozen tallies, ballots cast through the
//! API (binding for the committee, not for others, changed, refused once closed), the
//! project an accepted proposal became (roster, stage, checklist, private repositories
//! hidden), reports, the exports, token scopes; and the incubator's webhook events queued
//! for the organization's hooks.

mod apisupport;
mod gitsupport;

use apisupport::{ApiResponse, Auth, call, get, token};
use gitsupport::Server;
use hatchery_core::incubator::{Preset, ProposalState, VoteState};
use hatchery_core::{AccessLevel, Actor, Name, NameKind};
use hatchery_service::incubator::{PersonInput, ProposalInput, VoteOn};
use hatchery_service::webhooks::HookInput;
use hatchery_store::testing::stores;
use hatchery_store::{HookOwner, Program, User, now_ms};
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const BASE: &str = "/api/v1/orgs/asf/incubator/programs";

fn actor(u: &User) -> Actor {
    Actor::User {
        id: u.id,
        site_admin: false,
    }
}

fn person(username: &str, affiliation: &str) -> PersonInput {
    PersonInput {
        username: username.into(),
        name: String::new(),
        affiliation: affiliation.into(),
    }
}

/// A complete Apache-style proposal for `slug` bringing `repos`.
fn proposal_input(
    server: &Server,
    p: &Program,
    slug: &str,
    name: &str,
    repos: &[&str],
) -> ProposalInput {
    let mut input = server.state.forge.proposal_form(p);
    for (key, value) in input.sections.iter_mut() {
        *value = format!("{key} of {slug}");
    }
    input
        .sections
        .insert("abstract".into(), format!("{name} does things."));
    input
        .sections
        .insert("sponsoring_entity".into(), "Incubator".into());
    input.slug = slug.into();
    input.name = name.into();
    input.champion = Some(person("ann", "ASF"));
    input.mentors = vec![person("ann", "ASF"), person("bob", "Uni")];
    input.committers = vec![
        person("pat", "ACME"),
        PersonInput {
            username: String::new(),
            name: "Quinn Offline".into(),
            affiliation: "Self".into(),
        },
    ];
    input.repos = repos.iter().map(|r| (*r).to_owned()).collect();
    input
}

async fn post(server: &Server, path: &str, auth: Auth<'_>, body: Value) -> ApiResponse {
    call(server, "POST", path, auth, Some(body)).await
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[key].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_incubator_through_the_api() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let forge = &server.state.forge;
        let s = &server.state.store;

        // ---- People, organization, committee, program (through the service) ----
        let _sysop = server.user("sysop").await;
        let olive = server.user("olive").await;
        let ann = server.user("ann").await;
        let bob = server.user("bob").await;
        let cy = server.user("cy").await;
        let pat = server.user("pat").await;
        let zed = server.user("zed").await;
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
        for m in [&ann, &bob, &cy] {
            s.add_team_member(ipmc.id, m.id).await.unwrap();
        }
        let n = now_ms();
        let program = forge
            .create_program(
                actor(&olive),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                n - 30 * DAY,
            )
            .await
            .unwrap();
        let program = forge
            .set_committee(actor(&olive), &program, Some("ipmc"), n - 30 * DAY)
            .await
            .unwrap();
        let hook = forge
            .create_webhook(
                HookOwner::Org(asf.id),
                HookInput {
                    url: "http://hooks.example.invalid/incubator".into(),
                    events: vec![
                        "incubator_proposal".into(),
                        "incubator_vote".into(),
                        "incubator_stage".into(),
                    ],
                    active: true,
                    ..HookInput::default()
                },
            )
            .await
            .unwrap();
        server.repo(&pat, "lib", false).await;
        server.repo(&pat, "secret", true).await;

        // Widget: discussed for 10 days, its vote opened an hour ago (open for 71 more).
        let widget = forge
            .draft_proposal(
                actor(&pat),
                &program,
                &proposal_input(
                    &server,
                    &program,
                    "widget",
                    "Widget",
                    &["pat/lib", "pat/secret"],
                ),
                n - 10 * DAY,
            )
            .await
            .unwrap();
        let widget = forge
            .start_discussion(actor(&pat), &program, &widget, n - 10 * DAY + HOUR)
            .await
            .unwrap();
        let vote1 = forge
            .open_vote(actor(&ann), &program, VoteOn::Proposal(&widget), n - HOUR)
            .await
            .unwrap();
        // Gadget: its vote, opened two hours ago, is closed through the service at its
        // deadline without ballots, and fails (the server's closing job, on the real clock,
        // leaves both votes alone for days).
        let gadget = forge
            .draft_proposal(
                actor(&pat),
                &program,
                &proposal_input(&server, &program, "gadget", "Gadget", &[]),
                n - 20 * DAY,
            )
            .await
            .unwrap();
        let gadget = forge
            .start_discussion(actor(&pat), &program, &gadget, n - 20 * DAY + HOUR)
            .await
            .unwrap();
        let vote2 = forge
            .open_vote(
                actor(&bob),
                &program,
                VoteOn::Proposal(&gadget),
                n - 2 * HOUR,
            )
            .await
            .unwrap();
        let vote2 = forge
            .close_vote_if_decided(&vote2, n + 71 * HOUR)
            .await
            .unwrap()
            .expect("decided at its deadline")
            .vote;
        assert_eq!(vote2.state, VoteState::Failed, "[{l}]");
        // A draft nobody else may see.
        forge
            .draft_proposal(
                actor(&pat),
                &program,
                &proposal_input(&server, &program, "hidden", "Hidden", &[]),
                n - DAY,
            )
            .await
            .unwrap();
        // Gizmo: edited during its vote, which that cancels.
        let gizmo = forge
            .draft_proposal(
                actor(&pat),
                &program,
                &proposal_input(&server, &program, "gizmo", "Gizmo", &[]),
                n - 20 * DAY,
            )
            .await
            .unwrap();
        let gizmo = forge
            .start_discussion(actor(&pat), &program, &gizmo, n - 20 * DAY + HOUR)
            .await
            .unwrap();
        let vote3 = forge
            .open_vote(actor(&cy), &program, VoteOn::Proposal(&gizmo), n - 3 * HOUR)
            .await
            .unwrap();
        let gizmo = forge.proposal(&program, gizmo.number).await.unwrap();
        assert_eq!(gizmo.state, ProposalState::Voting, "[{l}]");
        let gizmo = forge
            .edit_proposal(
                actor(&pat),
                &program,
                &gizmo,
                gizmo.version,
                &proposal_input(&server, &program, "gizmo", "Gizmo 2", &[]),
                n - 2 * HOUR,
            )
            .await
            .unwrap();
        assert_eq!(gizmo.state, ProposalState::Discussion, "[{l}]");

        let read_zed = token(&server, zed.id, "r", &["read:organization"]).await;
        let user_zed = token(&server, zed.id, "u", &["read:user"]).await;
        let write_zed = token(&server, zed.id, "w", &["write:organization"]).await;
        let read_pat = token(&server, pat.id, "r", &["read:organization"]).await;
        let write_pat = token(&server, pat.id, "w", &["write:organization"]).await;
        let read_olive = token(&server, olive.id, "r", &["read:organization"]).await;
        let write_ann = token(&server, ann.id, "w", &["write:organization"]).await;
        let write_bob = token(&server, bob.id, "w", &["write:organization"]).await;
        let write_cy = token(&server, cy.id, "w", &["write:organization"]).await;

        // ---- Programs ----
        let r = get(&server, BASE, Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.header("x-total-count"), "1", "[{l}]");
        let p = &r.json[0];
        assert_eq!(p["slug"], "incubator", "[{l}] {}", r.text);
        assert_eq!(p["organization"], "asf", "[{l}]");
        assert_eq!(p["preset"], "apache", "[{l}]");
        assert_eq!(p["committee"], "ipmc", "[{l}]");
        assert_eq!(
            strings(&p["stages"], "key"),
            ["current", "graduated", "retired"],
            "[{l}]"
        );
        assert_eq!(p["stages"][1]["terminal"], "graduated", "[{l}]");
        assert!(
            p.get("template").is_none(),
            "[{l}] lists leave the template out"
        );
        assert!(
            p["html_url"]
                .as_str()
                .unwrap()
                .ends_with("/asf/-/incubator/incubator"),
            "[{l}]"
        );

        let r = get(
            &server,
            &format!("{BASE}/incubator"),
            Auth::Token(&read_zed),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let t = &r.json["template"];
        assert_eq!(t["discussion_min_days"], 7, "[{l}]");
        assert_eq!(
            t["vote_rules"]["accept_proposal"]["rule"]["method"], "majority",
            "[{l}]"
        );
        assert!(
            t["checklist"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["code"] == "CD10"),
            "[{l}]"
        );
        assert_eq!(r.json["report_template"]["signoff_required"], true, "[{l}]");
        assert!(
            r.json["created_at"].as_str().unwrap().ends_with('Z'),
            "[{l}]"
        );

        for path in [
            "/api/v1/orgs/nope/incubator/programs".to_owned(),
            format!("{BASE}/nope"),
            format!("{BASE}/incubator/proposals/99"),
            format!("{BASE}/incubator/proposals/x"),
            format!("{BASE}/incubator/projects/nope"),
            format!("{BASE}/incubator/votes/999999"),
        ] {
            let r = get(&server, &path, Auth::None).await;
            assert_eq!(r.status, 404, "[{l}] {path}: {}", r.text);
            assert!(r.json["message"].is_string(), "[{l}] {path}");
        }

        // A token without read:organization reads nothing here.
        for path in [
            BASE.to_owned(),
            format!("{BASE}/incubator"),
            format!("{BASE}/incubator/proposals"),
            format!("{BASE}/incubator/votes/{}", vote1.id),
            format!("{BASE}/incubator/export.json"),
            format!("{BASE}/incubator/podlings.xml"),
        ] {
            let r = get(&server, &path, Auth::Token(&user_zed)).await;
            assert_eq!(r.status, 403, "[{l}] {path}: {}", r.text);
        }

        // ---- Proposals ----
        let r = get(&server, &format!("{BASE}/incubator/proposals"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(
            strings(&r.json, "slug"),
            ["gizmo", "gadget", "widget"],
            "[{l}] drafts are hidden"
        );
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals"),
            Auth::Token(&read_pat),
        )
        .await;
        assert_eq!(
            strings(&r.json, "slug"),
            ["gizmo", "hidden", "gadget", "widget"],
            "[{l}]"
        );
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals?limit=1"),
            Auth::Token(&read_pat),
        )
        .await;
        assert_eq!(r.json.as_array().unwrap().len(), 1, "[{l}]");
        assert_eq!(r.header("x-total-count"), "4", "[{l}]");
        assert!(
            r.header("link").contains("rel=\"next\""),
            "[{l}] {:?}",
            r.headers
        );
        assert!(
            r.header("link")
                .contains("/api/v1/orgs/asf/incubator/programs/incubator/proposals?"),
            "[{l}]"
        );
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals?state=voting"),
            Auth::None,
        )
        .await;
        assert_eq!(strings(&r.json, "slug"), ["widget"], "[{l}]");
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals?state=rejected"),
            Auth::None,
        )
        .await;
        assert_eq!(strings(&r.json, "slug"), ["gadget"], "[{l}]");
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals?state=draft"),
            Auth::None,
        )
        .await;
        assert_eq!(r.json, json!([]), "[{l}]");
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals?state=bogus"),
            Auth::None,
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);

        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals/3"),
            Auth::None,
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] a draft is not shown to others");
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals/3"),
            Auth::Token(&read_pat),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["state"], "draft", "[{l}]");

        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals/1"),
            Auth::None,
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let w = &r.json;
        assert_eq!(w["number"], 1, "[{l}]");
        assert_eq!(w["state"], "voting", "[{l}]");
        assert_eq!(w["version"], widget.version, "[{l}]");
        assert_eq!(w["author"]["login"], "pat", "[{l}]");
        assert_eq!(w["sections"]["abstract"], "Widget does things.", "[{l}]");
        assert_eq!(w["champion"]["username"], "ann", "[{l}]");
        assert_eq!(strings(&w["mentors"], "username"), ["ann", "bob"], "[{l}]");
        assert_eq!(w["committers"][1]["username"], Value::Null, "[{l}]");
        assert_eq!(w["committers"][1]["name"], "Quinn Offline", "[{l}]");
        assert_eq!(
            strings(&w["repositories"], "full_name"),
            ["pat/lib"],
            "[{l}] private hidden"
        );
        assert!(!r.text.contains("secret"), "[{l}] {}", r.text);
        assert!(w["discussion_started_at"].is_string(), "[{l}]");
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals/1"),
            Auth::Token(&read_pat),
        )
        .await;
        assert_eq!(
            strings(&r.json["repositories"], "full_name"),
            ["pat/lib", "pat/secret"],
            "[{l}] the owner sees both"
        );
        assert_eq!(r.json["repositories"][1]["private"], true, "[{l}]");

        // ---- Votes ----
        let votes = format!("{BASE}/incubator/votes");
        let r = get(&server, &votes, Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.header("x-total-count"), "3", "[{l}]");
        let r = get(&server, &format!("{votes}?state=open"), Auth::None).await;
        assert_eq!(r.json.as_array().unwrap().len(), 1, "[{l}] {}", r.text);
        assert_eq!(r.json[0]["id"], vote1.id, "[{l}]");
        assert!(r.json[0].get("ballots").is_none(), "[{l}]");
        let r = get(&server, &format!("{votes}?state=closed"), Auth::None).await;
        let ids: Vec<i64> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [vote3.id, vote2.id], "[{l}] newest first: {}", r.text);
        let r = get(&server, &format!("{votes}?state=failed"), Auth::None).await;
        assert_eq!(r.json[0]["id"], vote2.id, "[{l}] {}", r.text);
        let r = get(&server, &format!("{votes}/{}", vote3.id), Auth::None).await;
        assert_eq!(r.json["state"], "cancelled", "[{l}] {}", r.text);
        assert_eq!(r.json["proposal"], 4, "[{l}]");
        assert_eq!(r.json["tally"]["outcome"], "cancelled", "[{l}]");
        assert_eq!(r.json["tally"]["frozen"], true, "[{l}]");
        let r = get(&server, &format!("{votes}?state=nope"), Auth::None).await;
        assert_eq!(r.status, 422, "[{l}]");

        let v1 = format!("{votes}/{}", vote1.id);
        let r = get(&server, &v1, Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(r.json["kind"], "accept_proposal", "[{l}]");
        assert_eq!(r.json["state"], "open", "[{l}]");
        assert_eq!(r.json["proposal"], 1, "[{l}]");
        assert_eq!(r.json["proposal_version"], widget.version, "[{l}]");
        assert_eq!(r.json["phase"], "before_minimum", "[{l}]");
        assert_eq!(r.json["rule"]["min_binding_plus"], 3, "[{l}]");
        assert_eq!(r.json["tally"]["electorate"], 3, "[{l}]");
        assert_eq!(r.json["tally"]["frozen"], false, "[{l}]");
        assert_eq!(
            strings(&r.json["electorate"], "login"),
            ["ann", "bob", "cy"],
            "[{l}]"
        );
        assert_eq!(r.json["ballots"], json!([]), "[{l}]");

        // Ballots: anonymous 401, a token without write:organization 403, a bad value 422.
        let ballots = format!("{v1}/ballots");
        let r = post(&server, &ballots, Auth::None, json!({"value": "+1"})).await;
        assert_eq!(r.status, 401, "[{l}] {}", r.text);
        let r = post(
            &server,
            &ballots,
            Auth::Token(&read_zed),
            json!({"value": "+1"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_ann),
            json!({"value": "+2"}),
        )
        .await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = post(
            &server,
            &format!("{votes}/999999/ballots"),
            Auth::Token(&write_ann),
            json!({"value": "+1"}),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);

        // The committee's ballots bind; others' do not; a ballot can be changed.
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_ann),
            json!({"value": "+1", "comment": "Good fit."}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["value"], "+1", "[{l}]");
        assert_eq!(r.json["binding"], true, "[{l}]");
        assert_eq!(r.json["comment"], "Good fit.", "[{l}]");
        assert_eq!(r.json["voter"]["login"], "ann", "[{l}]");
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_zed),
            json!({"value": "+1"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(
            r.json["binding"], false,
            "[{l}] an outsider's ballot does not bind"
        );
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_pat),
            json!({"value": "0", "comment": "Mine."}),
        )
        .await;
        assert_eq!(r.json["binding"], false, "[{l}] {}", r.text);
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_bob),
            json!({"value": "-1", "comment": "Not yet."}),
        )
        .await;
        assert_eq!(
            (r.status, r.json["value"].as_str()),
            (201, Some("-1")),
            "[{l}] {}",
            r.text
        );
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_bob),
            json!({"value": "+1", "comment": "Convinced."}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        assert_eq!(r.json["value"], "+1", "[{l}]");
        assert_eq!(r.json["binding"], true, "[{l}]");
        let r = post(
            &server,
            &ballots,
            Auth::Basic("cy", gitsupport::PASSWORD),
            json!({"value": 1}),
        )
        .await;
        assert_eq!(
            (r.status, r.json["value"].as_str()),
            (201, Some("+1")),
            "[{l}] {}",
            r.text
        );

        let r = get(&server, &v1, Auth::Token(&write_cy)).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let t = &r.json["tally"];
        assert_eq!(
            (
                t["binding_plus"].as_u64(),
                t["binding_minus"].as_u64(),
                t["nonbinding_plus"].as_u64(),
                t["nonbinding_zero"].as_u64()
            ),
            (Some(3), Some(0), Some(1), Some(1)),
            "[{l}] {}",
            r.text
        );
        assert_eq!(
            t["outcome"], "pending",
            "[{l}] nothing is decided before 72 hours"
        );
        assert_eq!(t["frozen"], false, "[{l}]");
        let ballots_json = r.json["ballots"].as_array().unwrap();
        assert_eq!(
            ballots_json.len(),
            5,
            "[{l}] one ballot per voter: {}",
            r.text
        );
        let bob_ballot = ballots_json
            .iter()
            .find(|b| b["voter"]["login"] == "bob")
            .unwrap();
        assert_eq!(bob_ballot["value"], "+1", "[{l}]");
        assert_eq!(bob_ballot["comment"], "Convinced.", "[{l}]");

        // The closed vote: frozen, refusing ballots.
        let v2 = format!("{votes}/{}", vote2.id);
        let r = get(&server, &v2, Auth::None).await;
        assert_eq!(r.json["state"], "failed", "[{l}] {}", r.text);
        assert_eq!(r.json["phase"], Value::Null, "[{l}]");
        assert_eq!(r.json["tally"]["frozen"], true, "[{l}]");
        assert_eq!(r.json["tally"]["outcome"], "failed", "[{l}]");
        assert!(r.json["closed_at"].is_string(), "[{l}]");
        let r = post(
            &server,
            &format!("{v2}/ballots"),
            Auth::Token(&write_ann),
            json!({"value": "+1"}),
        )
        .await;
        assert_eq!(r.status, 409, "[{l}] {}", r.text);
        assert!(
            r.json["message"].as_str().unwrap().contains("closed"),
            "[{l}] {}",
            r.text
        );

        // ---- The vote closes (through the service, after its 72 hours) ----
        let closed_at = n + 72 * HOUR;
        let report = forge
            .close_vote_if_decided(&forge.vote(&program, vote1.id).await.unwrap(), closed_at)
            .await
            .unwrap()
            .expect("decided");
        assert_eq!(report.vote.state, VoteState::Passed, "[{l}]");
        let project = report.project.expect("a project");
        let r = get(&server, &v1, Auth::None).await;
        assert_eq!(r.json["state"], "passed", "[{l}] {}", r.text);
        assert_eq!(r.json["tally"]["frozen"], true, "[{l}]");
        assert_eq!(r.json["tally"]["outcome"], "passed", "[{l}]");
        assert_eq!(r.json["tally"]["binding_plus"], 3, "[{l}]");
        let r = post(
            &server,
            &ballots,
            Auth::Token(&write_ann),
            json!({"value": "-1"}),
        )
        .await;
        assert_eq!(r.status, 409, "[{l}] after close: {}", r.text);
        let r = get(
            &server,
            &format!("{BASE}/incubator/proposals/1"),
            Auth::None,
        )
        .await;
        assert_eq!(r.json["state"], "accepted", "[{l}]");
        assert_eq!(
            forge.proposal(&program, 1).await.unwrap().state,
            ProposalState::Accepted,
            "[{l}]"
        );

        // ---- Projects ----
        let r = get(&server, &format!("{BASE}/incubator/projects"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(strings(&r.json, "slug"), ["widget"], "[{l}]");
        assert_eq!(r.header("x-total-count"), "1", "[{l}]");
        assert_eq!(r.json[0]["proposal"], 1, "[{l}]");
        assert!(r.json[0].get("roster").is_none(), "[{l}]");

        forge
            .evaluate_checklist(&program, &project, closed_at + HOUR)
            .await
            .unwrap();
        let pj = format!("{BASE}/incubator/projects/widget");
        let r = get(&server, &pj, Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        let j = &r.json;
        assert_eq!(j["stage"], "current", "[{l}]");
        assert_eq!(j["stage_name"], "Current", "[{l}]");
        assert_eq!(j["terminal"], Value::Null, "[{l}]");
        assert!(j["stage_since"].as_str().unwrap().ends_with('Z'), "[{l}]");
        assert_eq!(j["sponsor"], "Incubator", "[{l}]");
        let roster = j["roster"].as_array().unwrap();
        let roles: Vec<(String, String)> = roster
            .iter()
            .map(|e| {
                // People with an account are named by it; the shown name is their display name.
                let who = e["username"].as_str().or(e["name"].as_str());
                (
                    e["role"].as_str().unwrap().to_owned(),
                    who.unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            roles.contains(&("champion".into(), "ann".into())),
            "[{l}] {roles:?}"
        );
        assert!(
            roles.contains(&("mentor".into(), "bob".into())),
            "[{l}] {roles:?}"
        );
        assert!(
            roles.contains(&("committer".into(), "Quinn Offline".into())),
            "[{l}] {roles:?}"
        );
        // The repositories moved into the organization; the private one stays hidden.
        assert_eq!(
            strings(&j["repositories"], "full_name"),
            ["asf/lib"],
            "[{l}] {}",
            r.text
        );
        assert!(
            !r.text.contains("secret"),
            "[{l}] nothing about the private repository: {}",
            r.text
        );
        let checklist = j["checklist"].as_array().unwrap();
        assert_eq!(checklist.len(), program.template.checklist.len(), "[{l}]");
        let cd10 = checklist.iter().find(|c| c["code"] == "CD10").unwrap();
        assert_eq!(cd10["evaluation"], "automatic", "[{l}]");
        assert_eq!(cd10["evaluator"]["kind"], "license_file", "[{l}]");
        assert_eq!(cd10["status"], "fail", "[{l}] {cd10}");
        assert_eq!(
            strings(&cd10["evidence"]["repos"], "repo"),
            ["asf/lib"],
            "[{l}] {cd10}"
        );
        let manual = checklist
            .iter()
            .find(|c| c["evaluation"] == "manual")
            .unwrap();
        assert_eq!(manual["status"], Value::Null, "[{l}]");
        let r = get(&server, &pj, Auth::Token(&read_olive)).await;
        assert_eq!(
            strings(&r.json["repositories"], "full_name"),
            ["asf/lib", "asf/secret"],
            "[{l}] the organization's owner reads both"
        );
        let cd10 = r.json["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "CD10")
            .unwrap()
            .clone();
        assert_eq!(
            strings(&cd10["evidence"]["repos"], "repo"),
            ["asf/lib", "asf/secret"],
            "[{l}]"
        );

        // ---- Reports ----
        let reports = forge
            .ensure_reports(&program, &project, closed_at + 40 * DAY)
            .await
            .unwrap();
        assert!(!reports.is_empty(), "[{l}]");
        forge
            .prefill_report(
                actor(&ann),
                &program,
                &project,
                &reports[0],
                &|m| format!("{} commits", m.commits),
                closed_at + 40 * DAY,
            )
            .await
            .unwrap();
        let r = get(&server, &format!("{pj}/reports"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(
            r.header("x-total-count"),
            reports.len().to_string(),
            "[{l}]"
        );
        let first = &r.json[0];
        assert_eq!(first["id"], reports[0].id, "[{l}]");
        assert_eq!(first["project"], "widget", "[{l}]");
        assert_eq!(first["state"], "draft", "[{l}]");
        assert!(
            first["sections"].get("three_issues").is_some(),
            "[{l}] {first}"
        );
        assert_eq!(first["signoffs"], json!([]), "[{l}]");
        let rid = reports[0].id;
        let r = get(&server, &format!("{pj}/reports/{rid}"), Auth::None).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(
            strings(&r.json["figures"]["repos"], "repo"),
            ["asf/lib"],
            "[{l}] {}",
            r.text
        );
        assert!(!r.text.contains("secret"), "[{l}] {}", r.text);
        let r = get(
            &server,
            &format!("{pj}/reports/{rid}"),
            Auth::Token(&read_olive),
        )
        .await;
        assert_eq!(
            strings(&r.json["figures"]["repos"], "repo"),
            ["asf/lib", "asf/secret"],
            "[{l}]"
        );
        let r = get(&server, &format!("{pj}/reports/999999"), Auth::None).await;
        assert_eq!(r.status, 404, "[{l}]");

        // ---- Exports: the service's documents ----
        let r = get(
            &server,
            &format!("{BASE}/incubator/export.json"),
            Auth::None,
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert!(
            r.header("content-type").starts_with("application/json"),
            "[{l}]"
        );
        let mut expected = forge
            .export_json(Actor::Anonymous, &program, 0)
            .await
            .unwrap();
        let mut got = r.json.clone();
        got["generated_at"] = Value::Null;
        expected["generated_at"] = Value::Null;
        // The API adds where the document's JSON Schema is served.
        let schema = got
            .as_object_mut()
            .and_then(|o| o.remove("$schema"))
            .unwrap_or(Value::Null);
        assert!(
            schema
                .as_str()
                .is_some_and(|s| s.ends_with("/api/v1/incubator/export.schema.json")),
            "[{l}] {schema}"
        );
        assert_eq!(got, expected, "[{l}]");
        assert_eq!(
            got["projects"][0]["repositories"],
            json!(["asf/lib"]),
            "[{l}]"
        );
        let r = get(
            &server,
            &format!("{BASE}/incubator/export.json"),
            Auth::Token(&read_olive),
        )
        .await;
        assert_eq!(
            r.json["projects"][0]["repositories"],
            json!(["asf/lib", "asf/secret"]),
            "[{l}]"
        );

        let r = get(
            &server,
            &format!("{BASE}/incubator/podlings.xml"),
            Auth::None,
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert!(
            r.header("content-type").starts_with("application/xml"),
            "[{l}] {:?}",
            r.headers
        );
        assert_eq!(
            r.text,
            forge.export_podlings_xml(&program, now_ms()).await.unwrap(),
            "[{l}]"
        );
        assert!(
            r.text
                .contains("<podling name=\"Widget\" status=\"current\" resource=\"widget\""),
            "[{l}] {}",
            r.text
        );

        // ---- A decision recorded by hand: the project graduates ----
        forge
            .record_decision(
                actor(&olive),
                &program,
                &project,
                "graduated",
                "https://example.org/board/minutes",
                closed_at + 50 * DAY,
            )
            .await
            .unwrap();
        let r = get(&server, &pj, Auth::None).await;
        assert_eq!(
            (r.json["stage"].as_str(), r.json["terminal"].as_str()),
            (Some("graduated"), Some("graduated")),
            "[{l}]"
        );
        assert!(r.json["ended_at"].is_string(), "[{l}]");

        // ---- Webhooks: the incubator's events reached the organization's hook ----
        let (page, _) = s.deliveries_of_hook(hook.id, 0, 100).await.unwrap();
        let mut events: Vec<(String, String, Value)> = Vec::new();
        for d in page.iter().rev() {
            let full = s.delivery(hook.id, d.id).await.unwrap().unwrap();
            assert!(
                !full.payload.contains("pat/secret") && !full.payload.contains("asf/secret"),
                "[{l}] payloads list public repositories only: {}",
                full.payload
            );
            events.push((
                d.event.clone(),
                d.action.clone(),
                serde_json::from_str(&full.payload).unwrap(),
            ));
        }
        let count = |e: &str, a: &str| events.iter().filter(|(x, y, _)| x == e && y == a).count();
        let summary: Vec<(&str, &str)> = events
            .iter()
            .map(|(e, a, _)| (e.as_str(), a.as_str()))
            .collect();
        assert_eq!(
            count("incubator_proposal", "created"),
            4,
            "[{l}] {summary:?}"
        );
        assert_eq!(count("incubator_vote", "opened"), 3, "[{l}] {summary:?}");
        assert_eq!(count("incubator_vote", "closed"), 3, "[{l}] {summary:?}");
        assert_eq!(
            count("incubator_proposal", "edited"),
            1,
            "[{l}] {summary:?}"
        );
        assert_eq!(count("incubator_stage", "changed"), 1, "[{l}] {summary:?}");
        // Widget: to discussion, to voting, accepted; gadget: to discussion, to voting,
        // rejected; gizmo: to discussion, to voting (then edited back to discussion).
        assert_eq!(
            count("incubator_proposal", "state_changed"),
            8,
            "[{l}] {summary:?}"
        );
        let accepted = events
            .iter()
            .find(|(e, _, p)| e == "incubator_proposal" && p["proposal"]["state"] == "accepted")
            .map(|(_, _, p)| p)
            .expect("acceptance");
        assert_eq!(
            accepted["changes"]["state"]["from"], "voting",
            "[{l}] {accepted}"
        );
        assert_eq!(accepted["project"]["slug"], "widget", "[{l}]");
        assert_eq!(accepted["program"]["slug"], "incubator", "[{l}]");
        assert_eq!(accepted["organization"]["login"], "asf", "[{l}]");
        let passed = events
            .iter()
            .find(|(e, a, p)| e == "incubator_vote" && a == "closed" && p["vote"]["id"] == vote1.id)
            .map(|(_, _, p)| p)
            .expect("vote closed");
        assert_eq!(passed["vote"]["state"], "passed", "[{l}] {passed}");
        assert_eq!(passed["vote"]["tally"]["frozen"], true, "[{l}]");
        assert_eq!(passed["vote"]["tally"]["binding_plus"], 3, "[{l}]");
        let opened = events
            .iter()
            .find(|(e, a, p)| e == "incubator_vote" && a == "opened" && p["vote"]["id"] == vote1.id)
            .map(|(_, _, p)| p)
            .expect("vote opened");
        assert_eq!(opened["sender"]["login"], "ann", "[{l}]");
        let stage = &events
            .iter()
            .find(|(e, _, _)| e == "incubator_stage")
            .unwrap()
            .2;
        assert_eq!(
            (stage["from_stage"].as_str(), stage["to_stage"].as_str()),
            (Some("current"), Some("graduated")),
            "[{l}] {stage}"
        );
        assert_eq!(
            stage["reference"], "https://example.org/board/minutes",
            "[{l}]"
        );
        assert_eq!(stage["sender"]["login"], "olive", "[{l}]");
        assert_eq!(stage["project"]["terminal"], "graduated", "[{l}]");

        let edited = events
            .iter()
            .find(|(e, a, _)| e == "incubator_proposal" && a == "edited")
            .map(|(_, _, p)| p)
            .unwrap();
        assert_eq!(edited["proposal"]["name"], "Gizmo 2", "[{l}] {edited}");
        assert_eq!(edited["changes"]["name"]["from"], "Gizmo", "[{l}]");
        assert_eq!(edited["changes"]["state"]["from"], "voting", "[{l}]");
        assert_eq!(edited["proposal"]["state"], "discussion", "[{l}]");
        let cancelled = events
            .iter()
            .find(|(e, a, p)| e == "incubator_vote" && a == "closed" && p["vote"]["id"] == vote3.id)
            .map(|(_, _, p)| p)
            .expect("the cancelled vote");
        assert_eq!(cancelled["vote"]["state"], "cancelled", "[{l}]");
        assert_eq!(cancelled["sender"]["login"], "pat", "[{l}]");

        // ---- The document lists the routes ----
        let r = get(&server, "/swagger.v1.json", Auth::None).await;
        let paths = &r.json["paths"];
        assert!(
            paths["/orgs/{org}/incubator/programs/{program}/votes/{id}/ballots"]["post"]
                .is_object(),
            "[{l}]"
        );
        assert!(
            paths["/orgs/{org}/incubator/programs/{program}/podlings.xml"]["get"].is_object(),
            "[{l}]"
        );
        assert!(
            r.json["components"]["schemas"]["IncubatorVote"].is_object(),
            "[{l}]"
        );

        server.stop().await;
    }
}
