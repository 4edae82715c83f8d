//! Elections, votes of a program's own kinds and graduation through a board, through the
//! real router on every backend:
//! - Apache on the web: the IPMC's graduation vote recommends the podling; the resolution
//!   drafted from the project's data is edited, drafted again in Chinese, sent by a PPMC
//!   member; the board's decision is recorded by an owner and graduates the project; with
//!   the refusals (outsiders, committee members recording the board, a stale edit, an edit
//!   after sending, a decision before sending, a bad date, a second decision) and the
//!   `incubator_graduation` webhooks;
//! - CNCF through the API: the TOC's graduation vote needs the due-diligence link and
//!   graduates at once;
//! - LF AI & Data through the API: the TAC's vote recommends, the governing board decides
//!   without a resolution;
//! - elections and a custom vote: the PPMC elects a committer (who joins the roster),
//!   people outside the PPMC may not open one, a second election of the same person and an
//!   election of someone already in the role are refused; a custom vote is recorded;
//! - the roster and repositories after acceptance, on the web and through the API: adding,
//!   ending and removing entries, the mentor rule, linking (with the move into the
//!   organization) and unlinking repositories, and the refusals.
//!
//! Time: deadlines are reached by calling the closing job with a later `now`
//! (`Forge::close_due_votes`). Nothing sleeps.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::incubator::{
    CustomEffect, CustomVote, Preset, VoteConfig, VoteRule, Voters, preset,
};
use hatchery_store::testing::fixtures;
use hatchery_store::{
    NewProgram, NewProject, NewRosterEntry, Program, Project, ReportTemplate, Store, now_ms,
};
use serde_json::{Value, json};
use support::{TestApp, api, body, client, forge_of, id_from, main_of, status, uid};

const HOUR: i64 = 3_600_000;

/// Ada owns the organization `apache`; carl, dan and eve are the program's committee;
/// the project `widget` (in `stage`) has pat, quinn and ray on its PPMC, mia as mentor and
/// cy as committer; bob and newbie are outsiders. The program starts from `preset`.
async fn setup(app: &TestApp, p: Preset, stage: &str) -> (Program, Project) {
    for name in [
        "siteadmin",
        "ada",
        "bob",
        "carl",
        "dan",
        "eve",
        "pat",
        "quinn",
        "ray",
        "mia",
        "cy",
        "newbie",
    ] {
        let mut c = app.new_client();
        c.sign_up(name).await;
    }
    let s = app.store.store().clone();
    let ada = s.user_by_name("ada").await.unwrap().unwrap();
    let org = fixtures::org(&s, &ada, "apache").await;
    let committee = fixtures::team(&s, org.id, "ipmc", AccessLevel::Read).await;
    for name in ["carl", "dan", "eve"] {
        s.add_team_member(committee.id, uid(&s, name).await)
            .await
            .unwrap();
    }
    let now = now_ms();
    let mut template = preset(p);
    // A kind of the program's own: the project's PPMC decides it by lazy consensus, and a
    // passed one is written into the project's record.
    template.custom_votes.push(CustomVote {
        key: "logo".into(),
        name: "Adopt a logo".into(),
        config: VoteConfig {
            rule: VoteRule::LazyConsensus,
            min_duration_hours: 72,
            deadline_hours: 72,
            voters: Voters::ProjectPmc,
        },
        on_pass: CustomEffect::Record,
    });
    let program = s
        .create_program(NewProgram {
            org_id: org.id,
            slug: "incubator",
            name: "Apache Incubator",
            description: "",
            preset: p.as_str(),
            template: &template,
            report_template: &ReportTemplate::default(),
            actor_id: Some(ada.id),
            now,
        })
        .await
        .unwrap();
    let program = s
        .set_program_committee(program.id, Some(committee.id), None, now)
        .await
        .unwrap();
    let mut roster = Vec::new();
    for (name, role) in [
        ("pat", "ppmc"),
        ("quinn", "ppmc"),
        ("ray", "ppmc"),
        ("mia", "mentor"),
        ("cy", "committer"),
    ] {
        roster.push(NewRosterEntry {
            user_id: Some(uid(&s, name).await),
            name: format!("{}{}", name[..1].to_uppercase(), &name[1..]),
            role: role.into(),
            affiliation: String::new(),
        });
    }
    let project = s
        .create_project(
            &NewProject {
                program_id: program.id,
                proposal_id: None,
                slug: "widget".into(),
                name: "Widget".into(),
                description: "a toolkit for widgets.".into(),
                sponsor: "Incubator".into(),
                stage: stage.into(),
                started_at: now - HOUR,
                reporting_group: None,
                roster,
                repo_ids: Vec::new(),
            },
            Some(ada.id),
            now,
        )
        .await
        .unwrap();
    (program, project)
}

const W: &str = "/apache/-/incubator/incubator/projects/widget";
const API: &str = "/api/v1/orgs/apache/incubator/programs/incubator";

async fn ballots(app: &TestApp, vote: i64, voters: &[&str]) {
    for v in voters {
        let mut c = client(app, v).await;
        let r = c
            .post_form(
                &format!("/apache/-/incubator/incubator/votes/{vote}/ballot"),
                &[("value", "+1"), ("comment", "")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("ballot of {v}"));
    }
}

#[tokio::test]
async fn apache_graduation_goes_through_the_board() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let (program, project) = setup(&app, Preset::Apache, "current").await;
        let s = app.store.store().clone();
        let events = vec![
            "incubator_graduation".to_owned(),
            "incubator_stage".to_owned(),
        ];
        let hook = s
            .create_webhook(hatchery_store::NewWebhook {
                owner: hatchery_store::HookOwner::Org(program.org_id),
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

        // Only the committee opens the graduation vote.
        let mut bob = client(&app, "bob").await;
        let r = bob
            .post_form(&format!("{W}/vote"), &[("move", "graduate:graduated")])
            .await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider opens"));
        let mut carl = client(&app, "carl").await;
        let r = carl
            .post_form(&format!("{W}/vote"), &[("move", "graduate:graduated")])
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] committee opens"));
        let vote = id_from(r.location());
        ballots(&app, vote, &["carl", "dan", "eve"]).await;
        let closed = forge_of(&app)
            .close_due_votes(now_ms() + 73 * HOUR)
            .await
            .unwrap();
        assert_eq!(closed.len(), 1, "[{l}]");
        let gid = closed[0].graduation_id.expect("recommended");

        // Recommended: still in its stage, with a resolution drafted from its data.
        let page = carl.get(W).await;
        status(&page, StatusCode::OK, "project page");
        page.assert_contains("id=\"graduation-state\"");
        page.assert_contains("data-state=\"recommended\"");
        assert!(page.body.contains("data-stage=\"current\""), "[{l}]");
        let page = bob.get(&format!("{W}/graduation")).await;
        status(&page, StatusCode::OK, "graduation page");
        for needle in [
            "Establish the Apache Widget Project",
            "WHEREAS, the Board of Directors deems",
            "related to a toolkit for widgets.",
            "to be known as the &quot;Apache Widget Project&quot;",
            " * Pat (@pat)",
            " * Mia (@mia)",
            "that Pat be appointed to the office of Vice President, Apache Widget",
            "the Apache Incubator Widget podling",
            "are hereafter discharged.",
        ] {
            assert!(
                page.body.contains(needle),
                "[{l}] {needle}: {}",
                main_of(&page.body)
            );
        }
        assert!(
            !page.body.contains(" * Cy (@cy)"),
            "[{l}] committers are not the PMC"
        );
        // An outsider sees it but no form.
        assert!(!page.body.contains("resolution-form"), "[{l}]");
        let g_url = format!("{W}/graduation/{gid}");
        let r = bob
            .post_form(
                &format!("{g_url}/resolution"),
                &[("version", "1"), ("resolution", "mine"), ("chair", "")],
            )
            .await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider edits"));

        // The committee edits; an edit from an older version is refused.
        let page = carl.get(&format!("{W}/graduation")).await;
        page.assert_contains("id=\"resolution-form\"");
        let r = carl
            .post_form(
                &format!("{g_url}/resolution"),
                &[
                    ("version", "1"),
                    (
                        "resolution",
                        "Establish the Apache Widget Project\n\nEdited.",
                    ),
                    ("chair", "Quinn"),
                ],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] edit"));
        let r = carl
            .post_form(
                &format!("{g_url}/resolution"),
                &[("version", "1"), ("resolution", "stale"), ("chair", "")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] stale edit"),
        );
        // Drafted again in Chinese, naming the chair chosen.
        let r = carl
            .post_form(
                &format!("{g_url}/redraft"),
                &[("version", "2"), ("language", "zh-CN"), ("chair", "Quinn")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] redraft"));
        let g = forge_of(&app).graduation(&project, gid).await.unwrap();
        assert!(
            g.resolution.starts_with("设立 Apache Widget 项目"),
            "[{l}] {}",
            g.resolution
        );
        assert!(
            g.resolution.contains("任命 Quinn 为 Apache Widget 副总裁"),
            "[{l}]"
        );
        assert_eq!(g.version, 3, "[{l}]");

        // The board decides on a sent resolution only, and only an owner records it.
        let mut ada = client(&app, "ada").await;
        let decision = [
            ("outcome", "approved"),
            ("decision_date", "2025-03-19"),
            (
                "reference",
                "https://www.apache.org/foundation/records/minutes/2025/board_minutes_2025_03_19.txt",
            ),
        ];
        let r = ada.post_form(&format!("{g_url}/decision"), &decision).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] decision before sending"),
        );
        assert!(
            r.body.contains("Send the resolution to the board before"),
            "[{l}]"
        );
        let mut pat = client(&app, "pat").await;
        let r = pat
            .post_form(&format!("{g_url}/submit"), &[("version", "3")])
            .await;
        status(
            &r,
            StatusCode::SEE_OTHER,
            &format!("[{l}] PPMC member sends"),
        );
        let r = carl
            .post_form(
                &format!("{g_url}/resolution"),
                &[("version", "4"), ("resolution", "late"), ("chair", "")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] edit after sending"),
        );
        assert!(r.body.contains("its text is final"), "[{l}]");
        let r = carl
            .post_form(&format!("{g_url}/decision"), &decision)
            .await;
        status(
            &r,
            StatusCode::FORBIDDEN,
            &format!("[{l}] committee records the board"),
        );
        let r = ada
            .post_form(
                &format!("{g_url}/decision"),
                &[
                    ("outcome", "approved"),
                    ("decision_date", "2025-02-30"),
                    ("reference", "x"),
                ],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] bad date"),
        );
        assert!(r.body.contains("YYYY-MM-DD"), "[{l}]");
        let r = ada.post_form(&format!("{g_url}/decision"), &decision).await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] board approves"));
        let r = ada.post_form(&format!("{g_url}/decision"), &decision).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] second decision"),
        );
        assert!(r.body.contains("The board has decided already."), "[{l}]");

        // Graduated, with the minutes as its resolution.
        let after = s.project_by_id(project.id).await.unwrap().unwrap();
        assert_eq!(after.stage, "graduated", "[{l}]");
        assert!(after.ended_at.is_some(), "[{l}]");
        assert_eq!(after.resolution, decision[2].1, "[{l}]");
        let page = bob.get(&format!("{W}/graduation")).await;
        page.assert_contains("id=\"decision-date\"");
        page.assert_contains("2025-03-19");
        page.assert_contains("data-state=\"approved\"");

        // The API shows the same record.
        let r = api(
            &mut bob,
            "GET",
            &format!("{API}/projects/widget/graduations"),
            None,
            None,
        )
        .await;
        status(&r, StatusCode::OK, "api list");
        let list = body(&r);
        assert_eq!(list[0]["state"], "approved", "[{l}]");
        assert_eq!(list[0]["decision_date"], "2025-03-19", "[{l}]");
        assert_eq!(list[0]["chair"], "Quinn", "[{l}]");
        assert_eq!(list[0]["vote"], vote, "[{l}]");

        // Webhooks: recommended, resolution_submitted, approved, then the stage change.
        let (deliveries, _) = s.deliveries_of_hook(hook, 0, 100).await.unwrap();
        let mut seen: Vec<(String, String)> = deliveries
            .iter()
            .rev()
            .map(|d| (d.event.clone(), d.action.clone()))
            .collect();
        seen.dedup();
        assert_eq!(
            seen,
            [
                ("incubator_graduation".to_owned(), "recommended".to_owned()),
                (
                    "incubator_graduation".to_owned(),
                    "resolution_submitted".to_owned()
                ),
                ("incubator_graduation".to_owned(), "approved".to_owned()),
                ("incubator_stage".to_owned(), "changed".to_owned()),
            ],
            "[{l}]"
        );
        let approved = deliveries
            .iter()
            .find(|d| d.action == "approved")
            .expect("approved");
        let full = s.delivery(hook, approved.id).await.unwrap().unwrap();
        let payload: Value = serde_json::from_str(&full.payload).unwrap_or(Value::Null);
        assert_eq!(payload["graduation"]["state"], "approved", "[{l}]");
        assert_eq!(payload["project"]["slug"], "widget", "[{l}]");

        // The audit log says each step, in both languages.
        let audit = bob.get("/apache/-/incubator/incubator/audit").await;
        for needle in [
            "Recommended for graduation",
            "Board resolution edited",
            "Board resolution sent",
            "Board decision recorded",
        ] {
            assert!(audit.body.contains(needle), "[{l}] audit {needle}");
        }
        bob.set_cookie("hatchery_lang", "zh-CN");
        let page = bob.get(&format!("{W}/graduation")).await;
        assert!(page.body.contains("毕业"), "[{l}] zh page");
        assert!(page.body.contains("已批准"), "[{l}] zh state");
    }
}

#[tokio::test]
async fn cncf_graduates_by_toc_vote_on_the_due_diligence() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let (_, project) = setup(&app, Preset::Cncf, "incubating").await;
        let mut carl = app.new_client();
        let path = format!("{API}/projects/widget/votes");
        for (doc, what) in [
            (None, "no link"),
            (Some("ftp://example.org/dd"), "not http"),
        ] {
            let mut b = json!({"kind": "graduate", "to_stage": "graduated"});
            if let Some(d) = doc {
                b["document_url"] = json!(d);
            }
            let r = api(&mut carl, "POST", &path, Some("carl"), Some(&b.to_string())).await;
            status(
                &r,
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("[{l}] {what}"),
            );
        }
        let dd = "https://github.com/cncf/toc/issues/1234";
        let b = json!({"kind": "graduate", "to_stage": "graduated", "document_url": dd});
        let r = api(&mut carl, "POST", &path, Some("bob"), Some(&b.to_string())).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider"));
        let r = api(&mut carl, "POST", &path, Some("carl"), Some(&b.to_string())).await;
        status(&r, StatusCode::CREATED, &format!("[{l}] TOC member opens"));
        let v = body(&r);
        assert_eq!(v["document_url"], dd, "[{l}]");
        assert_eq!(v["voters"], "committee", "[{l}]");
        let vote = v["id"].as_i64().unwrap();
        let r = api(&mut carl, "POST", &path, Some("carl"), Some(&b.to_string())).await;
        status(&r, StatusCode::CONFLICT, &format!("[{l}] second vote"));
        let page = carl
            .get(&format!("/apache/-/incubator/incubator/votes/{vote}"))
            .await;
        page.assert_contains("id=\"vote-document\"");
        for who in ["carl", "dan", "eve"] {
            let r = api(
                &mut carl,
                "POST",
                &format!("{API}/votes/{vote}/ballots"),
                Some(who),
                Some(r#"{"value": "+1"}"#),
            )
            .await;
            status(&r, StatusCode::CREATED, &format!("[{l}] ballot {who}"));
        }
        forge_of(&app)
            .close_due_votes(now_ms() + 73 * HOUR)
            .await
            .unwrap();
        // The TOC's vote graduates at once: no board step.
        let s = app.store.store();
        assert_eq!(
            s.project_by_id(project.id).await.unwrap().unwrap().stage,
            "graduated",
            "[{l}]"
        );
        let r = api(
            &mut carl,
            "GET",
            &format!("{API}/projects/widget/graduations"),
            None,
            None,
        )
        .await;
        assert_eq!(body(&r), json!([]), "[{l}]");
    }
}

#[tokio::test]
async fn lf_ai_data_graduation_waits_for_the_governing_board() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let (_, project) = setup(&app, Preset::LfAiData, "incubation").await;
        let mut c = app.new_client();
        let b = json!({"kind": "graduate", "to_stage": "graduation"});
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/projects/widget/votes"),
            Some("carl"),
            Some(&b.to_string()),
        )
        .await;
        status(&r, StatusCode::CREATED, &format!("[{l}] TAC vote"));
        let vote = body(&r)["id"].as_i64().unwrap();
        for who in ["carl", "dan"] {
            let r = api(
                &mut c,
                "POST",
                &format!("{API}/votes/{vote}/ballots"),
                Some(who),
                Some(r#"{"value": 1}"#),
            )
            .await;
            status(&r, StatusCode::CREATED, &format!("[{l}] ballot"));
        }
        forge_of(&app)
            .close_due_votes(now_ms() + 73 * HOUR)
            .await
            .unwrap();
        let r = api(
            &mut c,
            "GET",
            &format!("{API}/projects/widget/graduations"),
            None,
            None,
        )
        .await;
        let g = body(&r)[0].clone();
        assert_eq!(
            (
                g["state"].as_str(),
                g["board"].as_str(),
                g["resolution"].as_str()
            ),
            (Some("recommended"), Some("governing_board"), Some("")),
            "[{l}]"
        );
        let g_path = format!("{API}/projects/widget/graduations/{}", g["id"]);
        // No resolution to send in this program.
        let r = api(
            &mut c,
            "POST",
            &format!("{g_path}/submit"),
            Some("carl"),
            Some(r#"{"version": 1}"#),
        )
        .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] submit"),
        );
        let decision = json!({"approved": true, "decision_date": "2025-06-05", "reference": "GB minutes, June 2025"});
        let r = api(
            &mut c,
            "POST",
            &format!("{g_path}/decision"),
            Some("carl"),
            Some(&decision.to_string()),
        )
        .await;
        status(
            &r,
            StatusCode::FORBIDDEN,
            &format!("[{l}] TAC member records the board"),
        );
        let r = api(
            &mut c,
            "POST",
            &format!("{g_path}/decision"),
            Some("ada"),
            Some(&decision.to_string()),
        )
        .await;
        status(&r, StatusCode::OK, &format!("[{l}] owner records"));
        assert_eq!(body(&r)["state"], "approved", "[{l}]");
        let r = api(
            &mut c,
            "POST",
            &format!("{g_path}/decision"),
            Some("ada"),
            Some(&decision.to_string()),
        )
        .await;
        status(&r, StatusCode::CONFLICT, &format!("[{l}] twice"));
        let s = app.store.store();
        assert_eq!(
            s.project_by_id(project.id).await.unwrap().unwrap().stage,
            "graduation",
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn the_ppmc_elects_committers_and_decides_its_own_kinds() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let (program, project) = setup(&app, Preset::Apache, "current").await;
        let s = app.store.store().clone();
        let new = format!("{W}/votes/new");
        let elect = |who: &'static str| {
            vec![
                ("kind", "committer"),
                ("username", who),
                ("name", ""),
                ("affiliation", "Example Corp"),
            ]
        };
        // People outside the PPMC (a committer, an outsider) may not open an election.
        for who in ["cy", "bob"] {
            let mut c = client(&app, who).await;
            let page = c.get(&new).await;
            status(&page, StatusCode::OK, "form page");
            assert!(!page.body.contains("id=\"election-form\""), "[{l}] {who}");
            let r = c.post_form(&new, &elect("newbie")).await;
            status(&r, StatusCode::FORBIDDEN, &format!("[{l}] {who} opens"));
        }
        let mut pat = client(&app, "pat").await;
        let page = pat.get(&new).await;
        page.assert_contains("id=\"election-form\"");
        page.assert_contains("id=\"custom-vote-form\"");
        let r = pat.post_form(&new, &elect("newbie")).await;
        status(
            &r,
            StatusCode::SEE_OTHER,
            &format!("[{l}] PPMC member opens"),
        );
        let vote = id_from(r.location());
        let page = pat.get(r.location()).await;
        page.assert_contains("id=\"vote-nominee\"");
        page.assert_contains("@newbie");
        // The PPMC and the mentor vote; the committee's ballots do not count here.
        let electorate = s.electorate(vote).await.unwrap();
        let mut names: Vec<&str> = electorate.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["mia", "pat", "quinn", "ray"], "[{l}]");
        // One election of a person to a role at a time; none of someone already in it.
        let r = pat.post_form(&new, &elect("newbie")).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] twice"),
        );
        assert!(r.body.contains("already open"), "[{l}]");
        let mut c = app.new_client();
        let b = json!({"kind": "committer", "person": {"username": "newbie"}}).to_string();
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/projects/widget/votes"),
            Some("pat"),
            Some(&b),
        )
        .await;
        status(
            &r,
            StatusCode::CONFLICT,
            &format!("[{l}] twice over the API"),
        );
        let r = pat.post_form(&new, &elect("cy")).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] already a committer"),
        );
        assert!(r.body.contains("already holds this role"), "[{l}]");
        let r = pat
            .post_form(&new, &[("kind", "custom:nothing"), ("title", "x")])
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] unknown kind"),
        );

        ballots(&app, vote, &["pat", "quinn", "mia", "carl"]).await;
        let ballots_of = s.ballots(vote).await.unwrap();
        let carl_ballot = ballots_of.iter().find(|b| b.voter.name == "carl").unwrap();
        assert!(
            !carl_ballot.binding,
            "[{l}] the committee is not the electorate"
        );
        // A vote of the program's own kind, on the same project.
        let r = pat
            .post_form(
                &new,
                &[
                    ("kind", "custom:logo"),
                    ("title", "Adopt the blue widget logo"),
                    ("document_url", "https://example.org/logo.svg"),
                ],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] custom vote"));
        let custom = id_from(r.location());
        let page = pat.get(r.location()).await;
        page.assert_contains("Adopt a logo: Adopt the blue widget logo");

        let closed = forge_of(&app)
            .close_due_votes(now_ms() + 73 * HOUR)
            .await
            .unwrap();
        assert_eq!(closed.len(), 2, "[{l}]");
        assert!(
            closed.iter().any(|c| c.vote.id == vote && c.roster_added),
            "[{l}]"
        );
        let roster = s.project_roster(project.id).await.unwrap();
        let newbie = roster
            .iter()
            .find(|e| e.user.as_ref().is_some_and(|u| u.name == "newbie"))
            .expect("elected");
        assert_eq!(
            (newbie.role.as_str(), newbie.affiliation.as_str()),
            ("committer", "Example Corp"),
            "[{l}]"
        );
        let page = pat.get(W).await;
        page.assert_contains("@newbie");
        let log = s
            .audit_log(program.id, hatchery_store::AuditFilter::default(), 100)
            .await
            .unwrap();
        assert!(
            log.iter()
                .any(|a| a.action == "project.decision" && a.vote_id == Some(custom)),
            "[{l}]"
        );
        let r = api(&mut c, "GET", &format!("{API}/votes/{vote}"), None, None).await;
        let v = body(&r);
        assert_eq!(v["kind"], "committer", "[{l}]");
        assert_eq!(v["nominee"]["username"], "newbie", "[{l}]");
        assert_eq!(v["voters"], "project_pmc", "[{l}]");
        assert_eq!(v["state"], "passed", "[{l}]");
    }
}

#[test]
fn refusals_are_in_both_catalogs() {
    use hatchery_core::incubator::program::Part;
    use hatchery_core::incubator::{ElectionError, GraduationError, TemplateError, VoteKind};
    use hatchery_service::incubator::IncubatorError;
    use hatchery_web::i18n::Lang;
    let mut keys: Vec<&'static str> = [
        TemplateError::InvalidCustomVote(String::new()),
        TemplateError::CustomInVoteRules,
        TemplateError::ProjectVotersOnProposal(VoteKind::AcceptProposal),
        TemplateError::ResolutionWithoutBoard,
        TemplateError::TooManyCustomVotes { max: 1 },
        TemplateError::Duplicate {
            part: Part::CustomVote,
            key: String::new(),
        },
    ]
    .iter()
    .map(TemplateError::message_key)
    .collect();
    keys.extend(
        [
            IncubatorError::Election(ElectionError::NotIncubating),
            IncubatorError::Election(ElectionError::AlreadyInRole),
            IncubatorError::Election(ElectionError::AlreadyOpen),
            IncubatorError::Graduation(GraduationError::AlreadyDecided),
            IncubatorError::Graduation(GraduationError::AlreadySubmitted),
            IncubatorError::Graduation(GraduationError::NotSubmitted),
            IncubatorError::Graduation(GraduationError::NoResolution),
            IncubatorError::GraduationPending,
            IncubatorError::EmptyElectorate,
            IncubatorError::DocumentRequired,
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

/// The roster entries of `project` for `name` in `role`: (id, ended_at).
async fn entries(s: &Store, project: &Project, name: &str, role: &str) -> Vec<(i64, Option<i64>)> {
    s.project_roster(project.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.role == role && e.user.as_ref().is_some_and(|u| u.name == name))
        .map(|e| (e.id, e.ended_at))
        .collect()
}

/// An empty repository `owner/name` owned by the user `owner`.
async fn user_repo(app: &TestApp, owner: &str, name: &str) -> hatchery_store::Repo {
    let s = app.store.store().clone();
    forge_of(app)
        .create_repo(hatchery_service::repos::CreateRepo {
            owner_id: uid(&s, owner).await,
            owner_name: owner,
            name: &hatchery_core::Name::parse(hatchery_core::NameKind::Repository, name).unwrap(),
            description: "",
            is_private: false,
            init_readme: None,
        })
        .await
        .unwrap()
}

/// The roster and repositories after acceptance on the web: the project's PPMC and the
/// committee add, end and remove entries and link and unlink repositories (CSRF forms);
/// outsiders and committers get 403, a second addition, an invalid role and a mentor off
/// the committee (Apache) 422, missing entries 404; a form without its token 403.
#[tokio::test]
async fn roster_and_repositories_on_the_web() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let (_, project) = setup(&app, Preset::Apache, "current").await;
        let s = app.store.store().clone();

        // Outsiders and committers see no forms and may not post them.
        let mut bob = client(&app, "bob").await;
        let page = bob.get(W).await;
        status(&page, StatusCode::OK, "project page");
        assert!(!page.body.contains("roster-form"), "[{l}]");
        assert!(!page.body.contains("repo-link-form"), "[{l}]");
        let add = [
            ("role", "committer"),
            ("username", "newbie"),
            ("name", ""),
            ("affiliation", "Newco"),
        ];
        let r = bob.post_form(&format!("{W}/roster"), &add).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider adds"));
        let mut cy = client(&app, "cy").await;
        let r = cy.post_form(&format!("{W}/roster"), &add).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] committer adds"));

        // A PPMC member adds; the page shows the forms and the program's mentor rule.
        let mut pat = client(&app, "pat").await;
        let page = pat.get(W).await;
        page.assert_contains("id=\"roster-form\"");
        page.assert_contains("id=\"repo-link-form\"");
        page.assert_contains("id=\"mentor-rule\"");
        let r = pat
            .post_raw(&format!("{W}/roster"), &support::encode(&add))
            .await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] no CSRF token"));
        assert!(
            entries(&s, &project, "newbie", "committer")
                .await
                .is_empty()
        );
        let r = pat.post_form(&format!("{W}/roster"), &add).await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] PPMC adds"));
        let added = entries(&s, &project, "newbie", "committer").await;
        assert_eq!(added.len(), 1, "[{l}]");
        let (newbie, _) = added[0];
        let r = pat.post_form(&format!("{W}/roster"), &add).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] twice"),
        );
        r.assert_contains("already holds this role");
        let r = pat
            .post_form(
                &format!("{W}/roster"),
                &[
                    ("role", "mentor"),
                    ("username", "bob"),
                    ("name", ""),
                    ("affiliation", ""),
                ],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] mentor off the committee"),
        );
        r.assert_contains("mentors must be members of its committee");
        assert!(
            entries(&s, &project, "bob", "mentor").await.is_empty(),
            "[{l}]"
        );
        let r = pat
            .post_form(
                &format!("{W}/roster"),
                &[("role", "Chief Wizard"), ("username", "bob")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] bad role"),
        );
        let r = pat
            .post_form(
                &format!("{W}/roster"),
                &[("role", "committer"), ("username", "nobody-here")],
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] unknown user"),
        );
        // The committee adds a mentor from the committee.
        let mut carl = client(&app, "carl").await;
        let r = carl
            .post_form(
                &format!("{W}/roster"),
                &[
                    ("role", "mentor"),
                    ("username", "dan"),
                    ("name", ""),
                    ("affiliation", ""),
                ],
            )
            .await;
        status(
            &r,
            StatusCode::SEE_OTHER,
            &format!("[{l}] committee adds a mentor"),
        );
        let (dan_mentor, _) = entries(&s, &project, "dan", "mentor").await[0];

        // Ending a role keeps the entry, shown as ended.
        let end = format!("{W}/roster/{newbie}/end");
        let r = bob.post_form(&end, &[]).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider ends"));
        let r = pat.post_form(&end, &[]).await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] end"));
        assert!(
            entries(&s, &project, "newbie", "committer").await[0]
                .1
                .is_some(),
            "[{l}]"
        );
        let page = pat.get(W).await;
        page.assert_contains("roster-ended");
        assert!(
            !page.body.contains(&format!("roster-end-{newbie}\"")),
            "[{l}]"
        );
        let r = pat.post_form(&end, &[]).await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] end twice"));
        let r = pat.post_form(&format!("{W}/roster/abc/end"), &[]).await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] bad id"));
        let r = pat
            .post_form(&format!("{W}/roster/999999/remove"), &[])
            .await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] missing entry"));

        // Removing an entry made by mistake.
        let remove = format!("{W}/roster/{dan_mentor}/remove");
        let r = cy.post_form(&remove, &[]).await;
        status(
            &r,
            StatusCode::FORBIDDEN,
            &format!("[{l}] committer removes"),
        );
        let r = carl.post_form(&remove, &[]).await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] remove"));
        assert!(
            entries(&s, &project, "dan", "mentor").await.is_empty(),
            "[{l}]"
        );

        // Linking a repository moves it into the organization; unlinking leaves it there.
        let gizmo = user_repo(&app, "pat", "gizmo").await;
        let r = bob
            .post_form(&format!("{W}/repos"), &[("repo", "pat/gizmo")])
            .await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider links"));
        let r = pat
            .post_form(&format!("{W}/repos"), &[("repo", "gizmo")])
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] no owner"),
        );
        let r = pat
            .post_form(&format!("{W}/repos"), &[("repo", "pat/gizmo")])
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] link"));
        let moved = s.repo_by_id(gizmo.id).await.unwrap().unwrap();
        assert_eq!(moved.owner_name, "apache", "[{l}]");
        let page = bob.get(W).await;
        page.assert_contains("apache/gizmo");
        let r = pat
            .post_form(&format!("{W}/repos"), &[("repo", "apache/gizmo")])
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] linked twice"),
        );
        r.assert_contains("linked to the project already");
        let r = bob
            .post_form(&format!("{W}/repos/unlink"), &[("repo", "apache/gizmo")])
            .await;
        status(
            &r,
            StatusCode::FORBIDDEN,
            &format!("[{l}] outsider unlinks"),
        );
        let r = pat
            .post_form(&format!("{W}/repos/unlink"), &[("repo", "apache/gizmo")])
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] unlink"));
        assert!(
            s.project_repo_ids(project.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        let r = pat
            .post_form(&format!("{W}/repos/unlink"), &[("repo", "apache/gizmo")])
            .await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] unlink twice"));
    }
}

/// The same through the API: lists for anyone, changes for the committee, owners and the
/// PPMC with `write:organization`; 403 for outsiders, 404 for what is missing, 409 for
/// duplicates, 422 for invalid input; a mentor off the committee is saved with a warning
/// where the program says `warn`.
#[tokio::test]
async fn roster_and_repositories_through_the_api() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let (program, project) = setup(&app, Preset::Apache, "current").await;
        let s = app.store.store().clone();
        let mut c = app.new_client();
        let roster = format!("{API}/projects/widget/roster");
        let repos = format!("{API}/projects/widget/repos");

        let r = api(&mut c, "GET", &roster, None, None).await;
        status(&r, StatusCode::OK, "roster");
        assert_eq!(body(&r).as_array().map(Vec::len), Some(5), "[{l}]");
        let r = api(
            &mut c,
            "GET",
            &format!("{API}/projects/nope/roster"),
            None,
            None,
        )
        .await;
        status(&r, StatusCode::NOT_FOUND, "unknown project");

        let add = json!({ "role": "committer", "username": "newbie", "affiliation": "Newco" });
        let r = api(&mut c, "POST", &roster, None, Some(&add.to_string())).await;
        status(
            &r,
            StatusCode::UNAUTHORIZED,
            &format!("[{l}] anonymous adds"),
        );
        let r = api(&mut c, "POST", &roster, Some("bob"), Some(&add.to_string())).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider adds"));
        let r = api(&mut c, "POST", &roster, Some("pat"), Some(&add.to_string())).await;
        status(&r, StatusCode::CREATED, &format!("[{l}] PPMC adds"));
        let entry = body(&r);
        assert_eq!(entry["role"], "committer", "[{l}]");
        assert_eq!(entry["username"], "newbie", "[{l}]");
        assert_eq!(entry["ended_at"], Value::Null, "[{l}]");
        assert!(entry.get("warnings").is_none(), "[{l}]");
        let id = entry["id"].as_i64().unwrap();
        let r = api(&mut c, "POST", &roster, Some("pat"), Some(&add.to_string())).await;
        status(&r, StatusCode::CONFLICT, &format!("[{l}] twice"));
        for bad in [
            json!({ "role": "Chief Wizard", "username": "newbie" }),
            json!({ "role": "committer" }),
            json!({ "role": "committer", "username": "nobody-here" }),
            json!({ "username": "newbie" }),
            json!({ "role": "mentor", "name": "Someone Offline" }),
        ] {
            let r = api(&mut c, "POST", &roster, Some("pat"), Some(&bad.to_string())).await;
            status(
                &r,
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("[{l}] {bad}"),
            );
        }
        // Where the program only warns, the mentor is saved with the warning.
        let mut t = program.template.clone();
        t.roster.mentors_on_committee = hatchery_core::incubator::MentorRule::Warn;
        let ada = hatchery_core::Actor::User {
            id: uid(&s, "ada").await,
            site_admin: false,
        };
        forge_of(&app)
            .update_program_template(ada, &program, t, now_ms())
            .await
            .unwrap();
        let mentor = json!({ "role": "mentor", "name": "Someone Offline" });
        let r = api(
            &mut c,
            "POST",
            &roster,
            Some("carl"),
            Some(&mentor.to_string()),
        )
        .await;
        status(&r, StatusCode::CREATED, &format!("[{l}] warned mentor"));
        assert_eq!(
            body(&r)["warnings"],
            json!(["mentor_not_on_committee"]),
            "[{l}]"
        );
        let offline = body(&r)["id"].as_i64().unwrap();

        // Ending and removing.
        let one = format!("{roster}/{id}");
        let ended = json!({ "ended": true }).to_string();
        let r = api(&mut c, "PATCH", &one, Some("bob"), Some(&ended)).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider ends"));
        let r = api(
            &mut c,
            "PATCH",
            &one,
            Some("pat"),
            Some(&json!({ "ended": false }).to_string()),
        )
        .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] ended false"),
        );
        let r = api(&mut c, "PATCH", &one, Some("pat"), Some("{}")).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] no ended"),
        );
        let r = api(&mut c, "PATCH", &one, Some("pat"), Some(&ended)).await;
        status(&r, StatusCode::OK, &format!("[{l}] end"));
        assert!(body(&r)["ended_at"].is_string(), "[{l}]");
        let r = api(&mut c, "PATCH", &one, Some("pat"), Some(&ended)).await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] end twice"));
        let r = api(
            &mut c,
            "PATCH",
            &format!("{roster}/abc"),
            Some("pat"),
            Some(&ended),
        )
        .await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] bad id"));
        let gone = format!("{roster}/{offline}");
        let r = api(&mut c, "DELETE", &gone, Some("cy"), None).await;
        status(
            &r,
            StatusCode::FORBIDDEN,
            &format!("[{l}] committer removes"),
        );
        let r = api(&mut c, "DELETE", &gone, Some("ada"), None).await;
        status(&r, StatusCode::NO_CONTENT, &format!("[{l}] owner removes"));
        let r = api(&mut c, "DELETE", &gone, Some("ada"), None).await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] removed twice"));
        let r = api(&mut c, "GET", &roster, None, None).await;
        let list = body(&r);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 6, "[{l}]");
        assert!(
            list.iter()
                .any(|e| e["id"] == id && e["ended_at"].is_string()),
            "[{l}]"
        );

        // Repositories.
        let tool = user_repo(&app, "pat", "tool").await;
        let link = json!({ "repository": "pat/tool" }).to_string();
        let r = api(&mut c, "POST", &repos, Some("bob"), Some(&link)).await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] outsider links"));
        let r = api(
            &mut c,
            "POST",
            &repos,
            Some("pat"),
            Some(&json!({ "repository": "nope/nope" }).to_string()),
        )
        .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] missing repository"),
        );
        let r = api(
            &mut c,
            "POST",
            &repos,
            Some("pat"),
            Some(&json!({ "repo": "pat/tool" }).to_string()),
        )
        .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] no repository"),
        );
        let r = api(&mut c, "POST", &repos, Some("pat"), Some(&link)).await;
        status(&r, StatusCode::CREATED, &format!("[{l}] link"));
        assert_eq!(body(&r)["full_name"], "apache/tool", "[{l}]");
        let r = api(
            &mut c,
            "POST",
            &repos,
            Some("pat"),
            Some(&json!({ "repository": "apache/tool" }).to_string()),
        )
        .await;
        status(&r, StatusCode::CONFLICT, &format!("[{l}] linked twice"));
        let r = api(&mut c, "GET", &repos, None, None).await;
        status(&r, StatusCode::OK, "repos");
        assert_eq!(body(&r)[0]["id"], tool.id, "[{l}]");
        let unlink = format!("{repos}/apache/tool");
        let r = api(&mut c, "DELETE", &unlink, Some("bob"), None).await;
        status(
            &r,
            StatusCode::FORBIDDEN,
            &format!("[{l}] outsider unlinks"),
        );
        let r = api(&mut c, "DELETE", &unlink, Some("pat"), None).await;
        status(&r, StatusCode::NO_CONTENT, &format!("[{l}] unlink"));
        let r = api(&mut c, "DELETE", &unlink, Some("pat"), None).await;
        status(&r, StatusCode::NOT_FOUND, &format!("[{l}] unlink twice"));
        assert!(
            s.project_repo_ids(project.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        let r = api(&mut c, "GET", &repos, None, None).await;
        assert_eq!(body(&r).as_array().map(Vec::len), Some(0), "[{l}]");
    }
}
