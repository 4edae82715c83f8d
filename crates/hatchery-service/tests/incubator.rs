//! The incubator's use cases end to end, on every store from `testing::stores()` (SQLite
//! always, PostgreSQL too when `HATCHERY_TEST_PG_URL` is set). Time is passed explicitly,
//! so weeks of a program's life run without waiting.

use std::sync::Arc;

use hatchery_core::incubator::{
    BallotValue, GraduationState, Preset, ProposalState, VoteKind, VoteState,
};
use hatchery_core::{AccessLevel, Action, Actor, Denial, Name, NameKind};
use hatchery_git::Signature;
use hatchery_service::access::RepoLookup;
use hatchery_service::incubator::export;
use hatchery_service::incubator::health::Status;
use hatchery_service::incubator::{
    IncubatorError, ItemResult, PeriodMetrics, PersonInput, ProposalInput, TransferOutcome, VoteOn,
    run_vote_closer,
};
use hatchery_service::repos::CreateRepo;
use hatchery_service::{Forge, SignInPolicy};
use hatchery_store::testing::fixtures::{self, org};
use hatchery_store::testing::{TestStore, stores};
use hatchery_store::{
    AuditFilter, ChecklistStatus, Org, Program, Proposal, Repo, ReportState, SlugHolder, Store,
    Team, User,
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

struct World {
    forge: Forge,
    _dir: tempfile::TempDir,
    // Dropped last: the forge's pool goes first.
    s: TestStore,
}

fn world(s: TestStore) -> World {
    let dir = tempfile::tempdir().expect("temporary directory");
    let forge = Forge::new(
        (*s).clone(),
        dir.path().join("repositories"),
        SignInPolicy::new(5, 15),
    );
    World {
        forge,
        _dir: dir,
        s,
    }
}

fn actor(u: &User) -> Actor {
    Actor::User {
        id: u.id,
        site_admin: false,
    }
}

/// A user whose address names an organization of their own (`ann@ann.example.org`), so
/// affiliations differ, and whose display name is `ANN Display`.
async fn user(s: &Store, name: &str) -> User {
    let mut new = fixtures::new_user(name, &format!("{name}@{name}.example.org"));
    new.display_name = format!("{} Display", name.to_uppercase());
    s.create_user(new).await.expect("create user")
}

async fn team(s: &Store, org: &Org, name: &str, members: &[&User]) -> Team {
    let t = fixtures::team(s, org.id, name, AccessLevel::Read).await;
    for m in members {
        s.add_team_member(t.id, m.id).await.unwrap();
    }
    t
}

/// A repository with one commit authored at `commit_at`.
async fn repo(
    f: &Forge,
    owner_id: i64,
    owner: &str,
    name: &str,
    private: bool,
    commit_at: i64,
) -> Repo {
    f.create_repo(CreateRepo {
        owner_id,
        owner_name: owner,
        name: &Name::parse(NameKind::Repository, name).unwrap(),
        description: "",
        is_private: private,
        init_readme: Some(Signature {
            name: owner.into(),
            email: format!("{owner}@{owner}.example.org"),
            time: commit_at / 1000,
            offset_seconds: 0,
        }),
    })
    .await
    .expect("create repo")
}

fn person(username: &str, affiliation: &str) -> PersonInput {
    PersonInput {
        username: username.into(),
        name: String::new(),
        affiliation: affiliation.into(),
    }
}

/// A complete Apache-style proposal for `slug` bringing `repos`.
fn proposal_input(f: &Forge, p: &Program, slug: &str, name: &str, repos: &[&str]) -> ProposalInput {
    let mut input = f.proposal_form(p);
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
    input.mentors = vec![person("ann", "ASF"), person("mo", "Uni")];
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

fn is_denied<T: std::fmt::Debug>(r: &Result<T, IncubatorError>) -> bool {
    matches!(r, Err(IncubatorError::Denied(_)))
}

async fn reload(f: &Forge, p: &Program) -> Program {
    f.store.program_by_id(p.id).await.unwrap().unwrap()
}

async fn proposal(f: &Forge, p: &Proposal) -> Proposal {
    f.store.proposal_by_id(p.id).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_program_from_proposal_to_graduation_and_retirement() {
    for s in stores().await {
        let w = world(s);
        let f = &w.forge;
        let s = &w.s;
        let l = s.label().to_owned();

        // ---- People, organization, committee ----
        let olive = user(s, "olive").await;
        let ann = user(s, "ann").await;
        let bob = user(s, "bob").await;
        let cy = user(s, "cy").await;
        let mo = user(s, "mo").await;
        let pat = user(s, "pat").await;
        let zed = user(s, "zed").await;
        let asf = org(s, &olive, "asf").await;
        team(s, &asf, "ipmc", &[&ann, &bob, &cy]).await;

        // ---- Program ----
        let refused = f
            .create_program(
                actor(&pat),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                T0,
            )
            .await;
        assert!(
            matches!(refused, Err(IncubatorError::Denied(Denial::Forbidden))),
            "{l}: only owners create programs"
        );
        let p = f
            .create_program(
                actor(&olive),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                T0,
            )
            .await
            .unwrap();
        assert!(matches!(
            f.create_program(actor(&olive), "asf", "INCUBATOR", "x", Preset::Blank, T0)
                .await,
            Err(IncubatorError::NameTaken("slug"))
        ));
        assert!(p.report_template.signoff_required, "{l}");
        assert!(matches!(
            f.set_committee(actor(&olive), &p, Some("nope"), T0).await,
            Err(IncubatorError::Field { field: "team", .. })
        ));
        assert!(is_denied(
            &f.set_committee(actor(&ann), &p, Some("ipmc"), T0).await
        ));
        let p = f
            .set_committee(actor(&olive), &p, Some("ipmc"), T0)
            .await
            .unwrap();
        assert_eq!(f.program("asf", "incubator").await.unwrap(), p, "{l}");

        // Invalid templates are refused with every problem named.
        let mut broken = p.template.clone();
        broken.stages.clear();
        broken.proposal_sections.clear();
        match f
            .update_program_template(actor(&olive), &p, broken, T0)
            .await
        {
            Err(IncubatorError::Template(errors)) => {
                assert!(errors.len() >= 3, "{l}: {errors:?}")
            }
            other => panic!("{l}: {other:?}"),
        }
        assert!(matches!(
            f.update_program_template_json(actor(&olive), &p, "{\"stages\": 3}", T0)
                .await,
            Err(IncubatorError::Field {
                field: "template",
                ..
            })
        ));
        let mut tweaked = p.template.clone();
        tweaked.discussion_min_days = 7;
        let p = f
            .update_program_template(actor(&olive), &p, tweaked, T0)
            .await
            .unwrap();

        // ---- Repositories ----
        let widget = repo(f, pat.id, "pat", "widget", false, T0 + 12 * DAY).await;
        let secret = repo(f, pat.id, "pat", "secret", true, T0 + 12 * DAY).await;
        repo(f, pat.id, "pat", "gadget", false, T0).await;
        repo(f, pat.id, "pat", "dup", false, T0).await;
        repo(f, asf.id, "asf", "dup", false, T0).await;

        // ---- Proposals ----
        // Naming a repository the proposer cannot read is refused, as a missing one is.
        for hidden in ["pat/secret", "pat/nope", "nonsense"] {
            let r = f
                .draft_proposal(
                    actor(&zed),
                    &p,
                    &proposal_input(f, &p, "sneaky", "Sneaky", &[hidden]),
                    T0,
                )
                .await;
            assert!(
                matches!(&r, Err(IncubatorError::UnreadableRepo(n)) if n == hidden),
                "{l}: {hidden}: {r:?}"
            );
        }
        let mut bad = proposal_input(f, &p, "x", "X", &[]);
        bad.sections.insert("no_such_section".into(), "x".into());
        assert!(matches!(
            f.draft_proposal(actor(&pat), &p, &bad, T0).await,
            Err(IncubatorError::Field {
                field: "sections",
                ..
            })
        ));
        assert!(matches!(
            f.draft_proposal(
                Actor::Anonymous,
                &p,
                &proposal_input(f, &p, "x", "X", &[]),
                T0
            )
            .await,
            Err(IncubatorError::Denied(Denial::SignInRequired))
        ));

        let w_input = proposal_input(f, &p, "widget", "Widget", &["pat/widget", "pat/secret"]);
        let wp = f
            .draft_proposal(actor(&pat), &p, &w_input, T0)
            .await
            .unwrap();
        assert_eq!((wp.number, wp.state), (1, ProposalState::Draft), "{l}");
        assert_eq!(wp.repo_ids, [widget.id, secret.id], "{l}");
        let champion = wp.people.champion.clone().unwrap();
        assert_eq!(
            (champion.user_id, champion.name.as_str()),
            (Some(ann.id), "ANN Display")
        );
        assert_eq!(wp.people.committers[1].user_id, None, "{l}");
        // A draft is work in progress: hidden from those who may not edit it.
        assert!(matches!(
            f.visible_proposal(actor(&zed), &p, wp.number).await,
            Err(IncubatorError::NotFound)
        ));
        assert!(
            f.program_proposals(actor(&zed), &p, None)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            f.visible_proposal(actor(&pat), &p, wp.number)
                .await
                .unwrap(),
            wp
        );
        assert_eq!(
            f.visible_proposal(actor(&bob), &p, wp.number)
                .await
                .unwrap(),
            wp
        );
        // Others see only the repositories they may read.
        let seen: Vec<i64> = f
            .proposal_repos(actor(&zed), &wp.repo_ids)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(seen, [widget.id], "{l}");

        // A draft cannot go to a vote; a required section must be filled before discussion.
        assert!(matches!(
            f.open_vote(actor(&bob), &p, VoteOn::Proposal(&wp), T0)
                .await,
            Err(IncubatorError::ProposalState(_))
        ));
        let mut empty = w_input.clone();
        empty.sections.insert("rationale".into(), " ".into());
        let emptied = f
            .edit_proposal(actor(&pat), &p, &wp, wp.version, &empty, T0)
            .await
            .unwrap();
        assert!(matches!(
            f.start_discussion(actor(&pat), &p, &emptied, T0).await,
            Err(IncubatorError::Field {
                field: "sections",
                ..
            })
        ));
        let wp = f
            .edit_proposal(actor(&pat), &p, &emptied, emptied.version, &w_input, T0)
            .await
            .unwrap();
        assert_eq!(wp.version, 3, "{l}");
        assert!(matches!(
            f.edit_proposal(actor(&pat), &p, &wp, 1, &w_input, T0).await,
            Err(IncubatorError::Stale)
        ));
        assert!(is_denied(
            &f.edit_proposal(actor(&zed), &p, &wp, wp.version, &w_input, T0)
                .await
        ));
        let wp = f.start_discussion(actor(&pat), &p, &wp, T0).await.unwrap();
        assert_eq!(wp.state, ProposalState::Discussion, "{l}");
        f.comment_on_proposal(actor(&zed), &p, &wp, "Looks useful.", T0 + HOUR)
            .await
            .unwrap();
        assert_eq!(f.proposal_revisions(&wp).await.unwrap().len(), 3, "{l}");

        let gp = f
            .draft_proposal(
                actor(&pat),
                &p,
                &proposal_input(f, &p, "gadget", "Gadget & Co <beta>", &["pat/gadget"]),
                T0,
            )
            .await
            .unwrap();
        let gp = f.start_discussion(actor(&pat), &p, &gp, T0).await.unwrap();
        let dp = f
            .draft_proposal(
                actor(&pat),
                &p,
                &proposal_input(f, &p, "dup", "Dup", &["pat/dup"]),
                T0,
            )
            .await
            .unwrap();
        let dp = f.start_discussion(actor(&pat), &p, &dp, T0).await.unwrap();

        // ---- Votes ----
        // Too early: the program asks for a week of discussion.
        match f
            .open_vote(actor(&bob), &p, VoteOn::Proposal(&wp), T0 + DAY)
            .await
        {
            Err(IncubatorError::DiscussionRunning { until_ms }) => {
                assert_eq!(until_ms, T0 + 7 * DAY, "{l}")
            }
            other => panic!("{l}: {other:?}"),
        }
        assert!(is_denied(
            &f.open_vote(actor(&pat), &p, VoteOn::Proposal(&wp), T0 + 7 * DAY)
                .await
        ));
        let open_at = T0 + 7 * DAY;
        let wv = f
            .open_vote(actor(&bob), &p, VoteOn::Proposal(&wp), open_at)
            .await
            .unwrap();
        assert_eq!(wv.electorate_size, 3, "{l}");
        assert_eq!(wv.deadline_at, open_at + 72 * HOUR, "{l}");
        assert_eq!(proposal(f, &wp).await.state, ProposalState::Voting, "{l}");
        let gv = f
            .open_vote(actor(&bob), &p, VoteOn::Proposal(&gp), open_at)
            .await
            .unwrap();
        let dv = f
            .open_vote(actor(&bob), &p, VoteOn::Proposal(&dp), open_at)
            .await
            .unwrap();

        // The committee changing now does not change who votes bindingly.
        let ipmc = s.team_by_name(asf.id, "ipmc").await.unwrap().unwrap();
        s.add_team_member(ipmc.id, olive.id).await.unwrap();

        let b = f
            .cast_ballot(
                actor(&cy),
                &p,
                &wv,
                BallotValue::Minus1,
                "not yet",
                open_at + HOUR,
            )
            .await
            .unwrap();
        assert!(b.binding, "{l}");
        // A second ballot by the same voter replaces the first.
        let b = f
            .cast_ballot(
                actor(&cy),
                &p,
                &wv,
                BallotValue::Plus1,
                "convinced",
                open_at + 2 * HOUR,
            )
            .await
            .unwrap();
        assert_eq!(
            (b.value, b.comment.as_str()),
            (BallotValue::Plus1, "convinced")
        );
        for u in [&ann, &bob] {
            f.cast_ballot(
                actor(u),
                &p,
                &wv,
                BallotValue::Plus1,
                "",
                open_at + 3 * HOUR,
            )
            .await
            .unwrap();
        }
        // Outside the frozen electorate: counted, not binding.
        for u in [&zed, &olive] {
            let b = f
                .cast_ballot(
                    actor(u),
                    &p,
                    &wv,
                    BallotValue::Minus1,
                    "",
                    open_at + 3 * HOUR,
                )
                .await
                .unwrap();
            assert!(!b.binding, "{l}: {}", u.name);
        }
        assert!(!f.is_binding_voter(actor(&olive), &wv).await.unwrap());
        assert!(f.is_binding_voter(actor(&cy), &wv).await.unwrap());
        assert!(matches!(
            f.cast_ballot(Actor::Anonymous, &p, &wv, BallotValue::Plus1, "", open_at)
                .await,
            Err(IncubatorError::Denied(Denial::SignInRequired))
        ));
        let status = f.vote_status(&wv, open_at + 4 * HOUR).await.unwrap();
        assert_eq!(status.ballots.len(), 5, "{l}");
        assert_eq!(
            (
                status.tally.binding_plus,
                status.tally.binding_minus,
                status.tally.nonbinding_minus
            ),
            (3, 0, 2),
            "{l}"
        );
        assert_eq!(status.tally.outcome, "pending", "{l}");
        assert_eq!(status.electorate.len(), 3, "{l}");

        // Editing during the vote cancels it and returns the proposal to discussion.
        let gp = proposal(f, &gp).await;
        let mut g_input = proposal_input(f, &p, "gadget", "Gadget & Co <beta>", &["pat/gadget"]);
        g_input
            .sections
            .insert("background".into(), "More background.".into());
        let gp = f
            .edit_proposal(actor(&pat), &p, &gp, gp.version, &g_input, open_at + DAY)
            .await
            .unwrap();
        assert_eq!(gp.state, ProposalState::Discussion, "{l}");
        let gv = f.store.vote_by_id(gv.id).await.unwrap().unwrap();
        assert_eq!(gv.state, VoteState::Cancelled, "{l}");
        assert!(matches!(
            f.cast_ballot(actor(&ann), &p, &gv, BallotValue::Plus1, "", open_at + DAY)
                .await,
            Err(IncubatorError::VoteClosed)
        ));
        let gv = f
            .open_vote(actor(&bob), &p, VoteOn::Proposal(&gp), open_at + DAY)
            .await
            .unwrap();
        assert_eq!(gv.proposal_version, Some(gp.version), "{l}");
        for u in [&ann, &bob, &cy] {
            f.cast_ballot(
                actor(u),
                &p,
                &gv,
                BallotValue::Plus1,
                "",
                open_at + DAY + HOUR,
            )
            .await
            .unwrap();
            f.cast_ballot(actor(u), &p, &dv, BallotValue::Plus1, "", open_at + HOUR)
                .await
                .unwrap();
        }

        // Nothing is decided before the 72 hours are over.
        assert!(
            f.close_due_votes(open_at + 71 * HOUR)
                .await
                .unwrap()
                .is_empty(),
            "{l}"
        );
        let closed_at = open_at + 72 * HOUR;
        let closed = f.close_due_votes(closed_at).await.unwrap();
        assert_eq!(closed.len(), 2, "{l}: the widget and dup votes");
        let w_closed = closed.iter().find(|c| c.vote.id == wv.id).unwrap();
        assert_eq!(w_closed.vote.state, VoteState::Passed, "{l}");
        let frozen = w_closed.vote.tally.clone().unwrap();
        assert_eq!((frozen.binding_plus, frozen.electorate), (3, 3), "{l}");
        // A closed vote takes no ballot and shows its frozen tally.
        assert!(matches!(
            f.cast_ballot(
                actor(&ann),
                &p,
                &w_closed.vote,
                BallotValue::Minus1,
                "",
                closed_at
            )
            .await,
            Err(IncubatorError::VoteClosed)
        ));
        assert!(matches!(
            f.cast_ballot(
                actor(&ann),
                &p,
                &wv,
                BallotValue::Minus1,
                "",
                closed_at + HOUR
            )
            .await,
            Err(IncubatorError::VoteClosed)
        ));
        let st = f
            .vote_status(&w_closed.vote, closed_at + 100 * DAY)
            .await
            .unwrap();
        assert_eq!(st.tally, frozen, "{l}");
        assert_eq!(st.phase, None, "{l}");

        // ---- The accepted project and its repositories ----
        assert_eq!(proposal(f, &wp).await.state, ProposalState::Accepted, "{l}");
        let wproj = w_closed.project.clone().expect("project created");
        assert_eq!(
            (
                wproj.slug.as_str(),
                wproj.stage.as_str(),
                wproj.sponsor.as_str(),
                p.sponsor_of(&wproj),
                wproj.reporting_group,
            ),
            ("widget", "current", "", "Incubator", Some(1)),
            "{l}"
        );
        assert_eq!(wproj.description, "Widget does things.", "{l}");
        assert_eq!(wproj.started_at, closed_at, "{l}");
        let roster = f.project_roster(&wproj).await.unwrap();
        let roles: Vec<(&str, &str, &str)> = roster
            .iter()
            .map(|r| (r.role.as_str(), r.name.as_str(), r.affiliation.as_str()))
            .collect();
        assert_eq!(
            roles,
            [
                ("champion", "ANN Display", "ASF"),
                ("committer", "PAT Display", "ACME"),
                ("committer", "Quinn Offline", "Self"),
                ("mentor", "ANN Display", "ASF"),
                ("mentor", "MO Display", "Uni"),
            ],
            "{l}"
        );
        assert_eq!(w_closed.transfers.len(), 2, "{l}");
        assert!(
            w_closed
                .transfers
                .iter()
                .all(|t| matches!(t, TransferOutcome::Moved { .. })),
            "{l}: {:?}",
            w_closed.transfers
        );
        let moved = s.repo_by_name("asf", "widget").await.unwrap().unwrap();
        assert_eq!(moved.id, widget.id, "{l}");
        let root = f.repos.root().to_owned();
        assert!(root.join("asf/widget.git").is_dir(), "{l}");
        assert!(!root.join("pat/widget.git").exists(), "{l}");
        assert_eq!(
            f.repo_redirect(actor(&zed), "pat", "widget")
                .await
                .unwrap()
                .map(|r| r.id),
            Some(widget.id),
            "{l}"
        );
        // A redirect to a private repository is not revealed.
        assert_eq!(
            f.repo_redirect(actor(&zed), "pat", "secret").await.unwrap(),
            None,
            "{l}"
        );
        assert!(
            f.repo_redirect(actor(&olive), "pat", "secret")
                .await
                .unwrap()
                .is_some(),
            "{l}"
        );
        // The moved repository still opens.
        let git = f.open_git_blocking(&moved).unwrap();
        assert!(!git.is_empty().unwrap(), "{l}");

        // A project's slug is not proposed again; the refusal names the project.
        let again = f
            .draft_proposal(
                actor(&zed),
                &p,
                &proposal_input(f, &p, "widget", "Widget again", &[]),
                closed_at,
            )
            .await;
        assert!(
            matches!(
                &again,
                Err(IncubatorError::SlugTaken {
                    holder: SlugHolder::Project { slug },
                    ..
                }) if slug == "widget"
            ),
            "{l}: {again:?}"
        );
        assert_eq!(
            f.program_proposals(actor(&zed), &p, Some(ProposalState::Accepted))
                .await
                .unwrap()
                .len(),
            2,
            "{l}"
        );

        // The name was taken in the organization: refused and recorded.
        let d_closed = closed.iter().find(|c| c.vote.id == dv.id).unwrap();
        let dproj = d_closed.project.clone().unwrap();
        assert!(
            matches!(&d_closed.transfers[..], [TransferOutcome::Refused { reason, .. }] if reason.contains("already has")),
            "{l}: {:?}",
            d_closed.transfers
        );
        assert_eq!(
            s.repo_by_name("pat", "dup")
                .await
                .unwrap()
                .map(|r| r.owner_id),
            Some(pat.id),
            "{l}"
        );

        // The re-opened gadget vote closes a day later.
        let g_closed = f.close_due_votes(open_at + DAY + 72 * HOUR).await.unwrap();
        assert_eq!(g_closed.len(), 1, "{l}");
        assert!(g_closed[0].project.is_some(), "{l}");

        // ---- Reports ----
        let reports = f
            .ensure_reports(&p, &wproj, closed_at + 35 * DAY)
            .await
            .unwrap();
        assert_eq!(reports.len(), 2, "{l}: one due, one current");
        let again = f
            .ensure_reports(&p, &wproj, closed_at + 35 * DAY)
            .await
            .unwrap();
        assert_eq!(again, reports, "{l}: idempotent");
        let r1 = reports[0].clone();
        assert_eq!(r1.period_start, wproj.started_at, "{l}");
        // Apache's board calendar: the period ends on the first of the report's month,
        // and the report is due on the 7th.
        assert_eq!(r1.period_end % DAY, 0, "{l}");
        assert_eq!(export::date(r1.period_end).get(8..), Some("01"), "{l}");
        assert_eq!(r1.due_at, r1.period_end + 6 * DAY, "{l}");
        assert!(r1.sections.contains_key("three_issues"), "{l}");
        // The words are the caller's (the web's catalogs); here, the figures they are given.
        let words = |m: &PeriodMetrics| {
            format!(
                "commits {}, contributors {} ({} new), issues {}/{}, pulls {}/{}, tags {}",
                m.commits,
                m.contributors,
                m.new_contributors,
                m.issues_opened,
                m.issues_closed,
                m.pulls_opened,
                m.pulls_merged,
                m.tags
            )
        };
        assert!(is_denied(
            &f.prefill_report(actor(&zed), &p, &wproj, &r1, &words, closed_at + 35 * DAY)
                .await
        ));
        let r1 = f
            .prefill_report(actor(&pat), &p, &wproj, &r1, &words, closed_at + 35 * DAY)
            .await
            .unwrap();
        // The prefilled text counts the public repository only.
        assert_eq!(
            r1.sections["development"],
            "commits 1, contributors 1 (1 new), issues 0/0, pulls 0/0, tags 0",
            "{l}"
        );
        // Figures of the private repository only for those who may read it.
        let public = f.report_figures(actor(&zed), &r1).await.unwrap().unwrap();
        let all = f.report_figures(actor(&olive), &r1).await.unwrap().unwrap();
        assert_eq!((public.commits, public.repos.len()), (1, 1), "{l}");
        assert_eq!((all.commits, all.repos.len()), (2, 2), "{l}");
        // Live figures, issues included.
        let moved_widget = s.repo_by_id(widget.id).await.unwrap().unwrap();
        let view = f.repo_view_of(actor(&olive), moved_widget).await.unwrap();
        f.open_issue(
            &view,
            hatchery_service::issues::IssueInput {
                title: "First issue".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let now = hatchery_store::now_ms();
        let live = f
            .project_figures(actor(&zed), &wproj, now - HOUR, now + HOUR)
            .await
            .unwrap();
        assert_eq!(live.issues_opened, 1, "{l}");

        let mut sections = r1.sections.clone();
        sections.insert("three_issues".into(), "1. Release 2. Grow 3. Docs".into());
        let r1 = f
            .edit_report(
                actor(&pat),
                &p,
                &wproj,
                &r1,
                r1.version,
                &sections,
                closed_at + 36 * DAY,
            )
            .await
            .unwrap();
        assert!(matches!(
            f.sign_off_report(actor(&mo), &p, &wproj, &r1, "", closed_at + 36 * DAY)
                .await,
            Err(IncubatorError::Field { field: "state", .. })
        ));
        let r1 = f
            .submit_report(actor(&pat), &p, &wproj, &r1, closed_at + 36 * DAY)
            .await
            .unwrap();
        assert_eq!(r1.state, ReportState::Submitted, "{l}");
        // Sign-off: mentors and the committee, not committers or outsiders.
        for who in [&pat, &zed] {
            assert!(
                is_denied(
                    &f.sign_off_report(actor(who), &p, &wproj, &r1, "", closed_at + 37 * DAY)
                        .await
                ),
                "{l}: {}",
                who.name
            );
        }
        let r1 = f
            .sign_off_report(
                actor(&mo),
                &p,
                &wproj,
                &r1,
                "Good progress.",
                closed_at + 37 * DAY,
            )
            .await
            .unwrap();
        assert_eq!(r1.state, ReportState::SignedOff, "{l}");
        assert_eq!(f.report_signoffs(&r1).await.unwrap().len(), 1, "{l}");

        // ---- Checklist ----
        assert!(is_denied(
            &f.set_manual_item(
                actor(&zed),
                &p,
                &wproj,
                "CD20",
                ChecklistStatus::Pass,
                "",
                serde_json::json!({}),
                closed_at
            )
            .await
        ));
        f.set_manual_item(
            actor(&mo),
            &p,
            &wproj,
            "CD20",
            ChecklistStatus::Pass,
            "",
            serde_json::json!({"url": "https://example.org"}),
            closed_at,
        )
        .await
        .unwrap();
        assert!(matches!(
            f.set_manual_item(
                actor(&mo),
                &p,
                &wproj,
                "CD30",
                ChecklistStatus::Exempt,
                " ",
                serde_json::json!({}),
                closed_at
            )
            .await,
            Err(IncubatorError::Field {
                field: "reason",
                ..
            })
        ));
        assert!(matches!(
            f.set_manual_item(
                actor(&ann),
                &p,
                &wproj,
                "CD10",
                ChecklistStatus::Pass,
                "",
                serde_json::json!({}),
                closed_at
            )
            .await,
            Err(IncubatorError::Field {
                field: "status",
                ..
            })
        ));
        f.set_manual_item(
            actor(&ann),
            &p,
            &wproj,
            "CD10",
            ChecklistStatus::Exempt,
            "Dual licensed; judged by the IPMC.",
            serde_json::json!({}),
            closed_at,
        )
        .await
        .unwrap();
        let written = f
            .record_checklist_results(
                &p,
                &wproj,
                vec![
                    ItemResult {
                        code: "CD10".into(),
                        status: Status::Fail,
                        reason: "missing",
                        evidence: serde_json::json!({"path": "LICENSE"}),
                        evaluator: "license_file",
                    },
                    ItemResult {
                        code: "QU30".into(),
                        status: Status::Pass,
                        reason: "",
                        evidence: serde_json::json!({"path": "SECURITY.md"}),
                        evaluator: "security_policy",
                    },
                ],
                closed_at + DAY,
            )
            .await
            .unwrap();
        assert_eq!(written, 1, "{l}: the exemption stands");
        assert!(matches!(
            f.record_checklist_results(
                &p,
                &wproj,
                vec![ItemResult {
                    code: "XX99".into(),
                    status: Status::Pass,
                    reason: "",
                    evidence: serde_json::Value::Null,
                    evaluator: "",
                }],
                closed_at,
            )
            .await,
            Err(IncubatorError::Field { field: "code", .. })
        ));
        let checklist = f.project_checklist(&p, &wproj).await.unwrap();
        let status_of = |code: &str| {
            checklist
                .iter()
                .find(|r| r.item.code == code)
                .and_then(|r| r.result.as_ref())
                .map(|r| (r.status, r.evaluator.clone()))
        };
        assert_eq!(
            status_of("CD10"),
            Some((ChecklistStatus::Exempt, String::new()))
        );
        assert_eq!(
            status_of("QU30"),
            Some((ChecklistStatus::Pass, "security_policy".into()))
        );
        assert_eq!(
            status_of("CD20"),
            Some((ChecklistStatus::Pass, String::new()))
        );
        // Judged when the acceptance created the project: no release yet.
        assert_eq!(
            status_of("RE20"),
            Some((ChecklistStatus::Fail, "releases_approved_by_vote".into())),
            "{l}: the new project's checklist is judged at creation"
        );
        // The health checks on the repositories themselves: a README is there, no license
        // file; the exemption still stands.
        let evaluated = f
            .evaluate_checklist(&p, &wproj, closed_at + 2 * DAY)
            .await
            .unwrap();
        assert!(evaluated > 0, "{l}");
        let checklist = f.project_checklist(&p, &wproj).await.unwrap();
        let result = |code: &str| {
            checklist
                .iter()
                .find(|r| r.item.code == code)
                .and_then(|r| r.result.clone())
                .map(|r| r.status)
        };
        assert_eq!(result("CO10"), Some(ChecklistStatus::Pass), "{l}");
        assert_eq!(result("LC10"), Some(ChecklistStatus::Fail), "{l}");
        assert_eq!(result("CD10"), Some(ChecklistStatus::Exempt), "{l}");
        // RE10 and RE30 read the project's real releases: none yet; a published release
        // with a file passes both (its checksums are the forge's), evaluated again as soon
        // as the file is stored.
        assert_eq!(result("RE30"), Some(ChecklistStatus::Fail), "{l}");
        let admin = Actor::User {
            id: olive.id,
            site_admin: true,
        };
        let widget_now = s.repo_by_id(widget.id).await.unwrap().unwrap();
        let view = f.repo_view_of(admin, widget_now).await.unwrap();
        let release = f
            .create_release(
                &view,
                hatchery_service::releases::ReleaseInput {
                    tag_name: "v1.0".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut upload = f
            .begin_asset(&view, release.id, "widget-1.0.tar.gz", "", None)
            .await
            .unwrap();
        upload.write(b"widget 1.0").await.unwrap();
        f.finish_asset(upload).await.unwrap();
        let checklist = f.project_checklist(&p, &wproj).await.unwrap();
        let result = |code: &str| {
            checklist
                .iter()
                .find(|r| r.item.code == code)
                .and_then(|r| r.result.clone())
        };
        let re30 = result("RE30").expect("RE30 evaluated");
        assert_eq!(
            re30.status,
            ChecklistStatus::Pass,
            "{l} {:?}",
            re30.evidence
        );
        assert_eq!(
            result("RE10").map(|r| r.status),
            Some(ChecklistStatus::Pass),
            "{l}"
        );

        // ---- Graduation by vote ----
        assert!(matches!(
            f.open_vote(
                actor(&bob),
                &p,
                VoteOn::Project {
                    project: &wproj,
                    kind: VoteKind::AdvanceStage,
                    to_stage: "graduated",
                    document_url: ""
                },
                closed_at + 40 * DAY
            )
            .await,
            Err(IncubatorError::Transition(_))
        ));
        let grad_at = closed_at + 40 * DAY;
        let grad = f
            .open_vote(
                actor(&bob),
                &p,
                VoteOn::Project {
                    project: &wproj,
                    kind: VoteKind::Graduate,
                    to_stage: "graduated",
                    document_url: "",
                },
                grad_at,
            )
            .await
            .unwrap();
        // One vote on a project at a time, and no decision by hand meanwhile.
        assert!(matches!(
            f.open_vote(
                actor(&bob),
                &p,
                VoteOn::Project {
                    project: &wproj,
                    kind: VoteKind::Retire,
                    to_stage: "retired",
                    document_url: ""
                },
                grad_at
            )
            .await,
            Err(IncubatorError::VoteAlreadyOpen)
        ));
        assert!(matches!(
            f.record_decision(actor(&olive), &p, &wproj, "retired", "board", grad_at)
                .await,
            Err(IncubatorError::VoteAlreadyOpen)
        ));
        for u in [&ann, &bob, &cy, &olive] {
            f.cast_ballot(
                actor(u),
                &p,
                &grad,
                BallotValue::Plus1,
                "+1",
                grad_at + HOUR,
            )
            .await
            .unwrap();
        }
        let closed = f.close_due_votes(grad_at + 72 * HOUR).await.unwrap();
        assert_eq!(closed.len(), 1, "{l}");
        // Apache: the IPMC's vote recommends the podling to the board; nothing moves yet.
        assert!(!closed[0].stage_changed, "{l}");
        let grad_id = closed[0].graduation_id.expect("recommended");
        let wproj = f.project(&p, "widget").await.unwrap();
        assert_eq!(wproj.stage, "current", "{l}");
        let g = f.graduation(&wproj, grad_id).await.unwrap();
        assert_eq!(g.state, GraduationState::Recommended, "{l}");
        assert!(
            g.resolution.starts_with("Establish the Asf Widget Project"),
            "{l}: {}",
            g.resolution
        );
        // Waiting for the board: no other stage change.
        assert!(matches!(
            f.record_decision(
                actor(&olive),
                &p,
                &wproj,
                "retired",
                "board",
                grad_at + 80 * HOUR
            )
            .await,
            Err(IncubatorError::GraduationPending)
        ));
        let decided_at = grad_at + 72 * HOUR;
        let g = f
            .submit_resolution(actor(&bob), &p, &wproj, &g, g.version, decided_at)
            .await
            .unwrap();
        assert!(is_denied(
            &f.record_board_decision(
                actor(&bob),
                &p,
                &wproj,
                &g,
                true,
                "2024-05-15",
                "minutes",
                decided_at
            )
            .await
        ));
        f.record_board_decision(
            actor(&olive),
            &p,
            &wproj,
            &g,
            true,
            "2024-05-15",
            "https://example.org/board/minutes/2024-05",
            decided_at,
        )
        .await
        .unwrap();
        let wproj = f.project(&p, "widget").await.unwrap();
        assert_eq!(wproj.stage, "graduated", "{l}");
        assert_eq!(wproj.ended_at, Some(decided_at), "{l}");
        assert_eq!(
            wproj.resolution, "https://example.org/board/minutes/2024-05",
            "{l}"
        );
        assert!(!s.repo_by_id(widget.id).await.unwrap().unwrap().read_only);

        // ---- Retirement recorded by hand ----
        let gproj = f.project(&p, "gadget").await.unwrap();
        assert_eq!(gproj.name, "Gadget & Co <beta>", "{l}");
        assert!(is_denied(
            &f.record_decision(actor(&bob), &p, &gproj, "retired", "minutes", grad_at)
                .await
        ));
        assert!(matches!(
            f.record_decision(actor(&olive), &p, &gproj, "retired", "  ", grad_at)
                .await,
            Err(IncubatorError::Field {
                field: "reference",
                ..
            })
        ));
        let gproj = f
            .record_decision(
                actor(&olive),
                &p,
                &gproj,
                "retired",
                "https://example.org/board/2024-03",
                grad_at,
            )
            .await
            .unwrap();
        assert_eq!(gproj.stage, "retired", "{l}");
        assert!(matches!(
            f.record_decision(actor(&olive), &p, &gproj, "graduated", "x", grad_at)
                .await,
            Err(IncubatorError::Transition(_))
        ));
        let gadget = s.repo_by_name("asf", "gadget").await.unwrap().unwrap();
        assert!(gadget.read_only, "{l}");
        // Pushes are refused, reads are not.
        match f
            .find_repo(actor(&olive), "asf", "gadget", Action::Write)
            .await
            .unwrap()
        {
            RepoLookup::Denied { denial, .. } => assert_eq!(denial, Denial::ReadOnly, "{l}"),
            other => panic!("{l}: {other:?}"),
        }
        assert_eq!(
            f.projects_of_repo(&gadget)
                .await
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>(),
            [gproj.id],
            "{l}"
        );

        // ---- Overdue reports: active projects only ----
        let overdue = f.overdue_reports(&p, closed_at + 70 * DAY).await.unwrap();
        assert!(!overdue.is_empty(), "{l}");
        assert!(
            overdue.iter().all(|o| o.project.id == dproj.id),
            "{l}: {overdue:?}"
        );

        // ---- Roster changes: the committee, owners and the PPMC, not committers ----
        assert!(is_denied(
            &f.add_roster_member(
                actor(&pat),
                &p,
                &dproj,
                "committer",
                &person("zed", ""),
                grad_at
            )
            .await
        ));
        let entry = f
            .add_roster_member(
                actor(&bob),
                &p,
                &dproj,
                "committer",
                &person("zed", "Zed Corp"),
                grad_at,
            )
            .await
            .unwrap()
            .entry;
        assert_eq!(
            (
                entry.role.as_str(),
                entry.affiliation.as_str(),
                entry.started_at
            ),
            ("committer", "Zed Corp", grad_at),
            "{l}"
        );
        f.end_roster_member(actor(&olive), &p, &dproj, entry.id, grad_at + DAY)
            .await
            .unwrap();
        assert!(matches!(
            f.end_roster_member(actor(&olive), &p, &dproj, entry.id, grad_at + DAY)
                .await,
            Err(IncubatorError::NotFound)
        ));

        // ---- Exports ----
        let p = reload(f, &p).await;
        let json = f
            .export_json(actor(&zed), &p, closed_at + 70 * DAY)
            .await
            .unwrap();
        let projects = json["projects"].as_array().unwrap();
        assert_eq!(projects.len(), 3, "{l}");
        let wj = projects.iter().find(|j| j["slug"] == "widget").unwrap();
        assert_eq!(wj["status"], "graduated", "{l}");
        assert_eq!(wj["startdate"], "2024-01-11", "{l}");
        assert_eq!(wj["repositories"], serde_json::json!(["asf/widget"]), "{l}");
        assert_eq!(wj["mentors"].as_array().unwrap().len(), 2, "{l}");
        assert_eq!(wj["champion"]["username"], "ann", "{l}");
        let olive_json = f
            .export_json(actor(&olive), &p, closed_at + 70 * DAY)
            .await
            .unwrap();
        let wo = olive_json["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["slug"] == "widget")
            .unwrap()
            .clone();
        assert_eq!(wo["repositories"].as_array().unwrap().len(), 2, "{l}");

        let xml = f
            .export_podlings_xml(&p, closed_at + 70 * DAY)
            .await
            .unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<podlings>\n"));
        assert!(
            xml.contains(
                "<podling name=\"Widget\" status=\"graduated\" resource=\"widget\" sponsor=\"Incubator\" startdate=\"2024-01-11\" enddate=\"2024-02-23\">"
            ),
            "{l}: {xml}"
        );
        assert!(
            xml.contains("<podling name=\"Gadget &amp; Co &lt;beta&gt;\" status=\"retired\""),
            "{l}: {xml}"
        );
        assert!(
            xml.contains("<resolution url=\"https://example.org/board/2024-03\"/>"),
            "{l}"
        );
        assert!(
            xml.contains("<champion availid=\"ann\">ANN Display</champion>"),
            "{l}"
        );
        assert!(
            xml.contains("<mentor username=\"mo\">MO Display</mentor>"),
            "{l}"
        );
        assert!(
            xml.contains("<podling name=\"Dup\" status=\"current\""),
            "{l}"
        );
        // Widget took group 1 when it was accepted, so the next project got group 2,
        // the least loaded; still in its first three (monthly) months.
        assert!(
            xml.contains("<reporting group=\"2\" monthly=\"true\"/>"),
            "{l}: {xml}"
        );
        assert!(xml.trim_end().ends_with("</podlings>"), "{l}");
        // Well-formed enough: every podling opens and closes.
        assert_eq!(
            xml.matches("<podling ").count(),
            xml.matches("</podling>").count()
        );

        // ---- The audit log has every decision ----
        let log = f
            .program_audit_log(&p, AuditFilter::default(), 1_000)
            .await
            .unwrap();
        let actions: std::collections::BTreeSet<&str> =
            log.iter().map(|e| e.action.as_str()).collect();
        for a in [
            "program.created",
            "program.committee",
            "program.template",
            "proposal.created",
            "proposal.edited",
            "proposal.state",
            "vote.opened",
            "vote.cancelled",
            "vote.closed",
            "project.created",
            "repo.transferred",
            "repo.transfer_refused",
            "report.submitted",
            "report.signed_off",
            "checklist.set",
            "checklist.evaluated",
            "project.stage",
            "graduation.recommended",
            "graduation.submitted",
            "graduation.decided",
        ] {
            assert!(actions.contains(a), "{l}: {a} missing from {actions:?}");
        }
        let decision = log
            .iter()
            .find(|e| e.action == "project.stage" && e.project_id == Some(gproj.id))
            .unwrap();
        assert_eq!(decision.reference, "https://example.org/board/2024-03");
        assert_eq!(decision.actor.as_ref().map(|a| a.id), Some(olive.id), "{l}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_closing_job_closes_due_votes_once_across_servers() {
    for s in stores().await {
        let w = world(s);
        let f = &w.forge;
        let s = &w.s;
        let l = s.label().to_owned();
        let olive = user(s, "olive").await;
        let ann = user(s, "ann").await;
        let asf = org(s, &olive, "asf").await;
        team(s, &asf, "toc", &[&ann]).await;
        let p = f
            .create_program(actor(&olive), "asf", "cncf", "CNCF", Preset::Cncf, T0)
            .await
            .unwrap();
        let p = f
            .set_committee(actor(&olive), &p, Some("toc"), T0)
            .await
            .unwrap();
        let mut input = f.proposal_form(&p);
        for v in input.sections.values_mut() {
            *v = "text".into();
        }
        input.slug = "thing".into();
        input.name = "Thing".into();
        // The CNCF's form needs its maintainers.
        input.committers = vec![person("ann", "ACME")];
        // Opened long ago by the real clock: due now.
        let long_ago = hatchery_store::now_ms() - 400 * DAY;
        let prop = f
            .draft_proposal(actor(&ann), &p, &input, long_ago)
            .await
            .unwrap();
        let prop = f
            .start_discussion(actor(&ann), &p, &prop, long_ago)
            .await
            .unwrap();
        let vote = f
            .open_vote(
                actor(&ann),
                &p,
                VoteOn::Proposal(&prop),
                long_ago + 30 * DAY,
            )
            .await
            .unwrap();
        f.cast_ballot(
            actor(&ann),
            &p,
            &vote,
            BallotValue::Plus1,
            "",
            long_ago + 31 * DAY,
        )
        .await
        .unwrap();

        // Two servers on one database close it once.
        let other = Arc::new(Forge::new(
            (**s).clone(),
            f.repos.root().to_owned(),
            SignInPolicy::new(5, 15),
        ));
        let mine = Arc::new(Forge::new(
            (**s).clone(),
            f.repos.root().to_owned(),
            SignInPolicy::new(5, 15),
        ));
        let now = hatchery_store::now_ms();
        let (a, b) = tokio::join!(
            {
                let f = Arc::clone(&other);
                tokio::spawn(async move { f.close_due_votes(now).await.unwrap().len() })
            },
            {
                let f = Arc::clone(&mine);
                tokio::spawn(async move { f.close_due_votes(now).await.unwrap().len() })
            }
        );
        assert_eq!(a.unwrap() + b.unwrap(), 1, "{l}");
        assert_eq!(
            f.store.projects_of_program(p.id).await.unwrap().len(),
            1,
            "{l}"
        );

        // The background job: a second vote, due already, is closed by the running loop.
        input.slug = "other".into();
        let prop2 = f
            .draft_proposal(actor(&ann), &p, &input, long_ago)
            .await
            .unwrap();
        let prop2 = f
            .start_discussion(actor(&ann), &p, &prop2, long_ago)
            .await
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let job = {
            let f = Arc::clone(&mine);
            tokio::spawn(async move {
                run_vote_closer(&f, async move {
                    let _ = stopped.await;
                })
                .await;
            })
        };
        let v2 = mine
            .open_vote(
                actor(&ann),
                &p,
                VoteOn::Proposal(&prop2),
                long_ago + 30 * DAY,
            )
            .await
            .unwrap();
        let mut state = VoteState::Open;
        for _ in 0..100 {
            state = f.store.vote_by_id(v2.id).await.unwrap().unwrap().state;
            if state != VoteState::Open {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        // No ballots: the CNCF rule (two thirds of the electorate) fails it.
        assert_eq!(state, VoteState::Failed, "{l}");
        assert_eq!(
            proposal(f, &prop2).await.state,
            ProposalState::Rejected,
            "{l}"
        );
        let _ = stop.send(());
        job.await.unwrap();
    }
}

/// Withdrawing (its author) and closing (the committee, the organization's owners) end a
/// proposal with a reason and free its slug; an open vote is cancelled. A slug is held
/// once per program, and the refusal names what holds it.
#[tokio::test]
async fn proposals_are_withdrawn_or_closed_and_hold_their_slug() {
    for s in stores().await {
        let w = world(s);
        let f = &w.forge;
        let s = &w.s;
        let l = s.label().to_owned();
        let olive = user(s, "olive").await;
        let ann = user(s, "ann").await;
        let pat = user(s, "pat").await;
        let zed = user(s, "zed").await;
        user(s, "mo").await;
        let asf = org(s, &olive, "asf").await;
        team(s, &asf, "ipmc", &[&ann]).await;
        let p = f
            .create_program(
                actor(&olive),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                T0,
            )
            .await
            .unwrap();
        let p = f
            .set_committee(actor(&olive), &p, Some("ipmc"), T0)
            .await
            .unwrap();

        let wp = f
            .draft_proposal(
                actor(&pat),
                &p,
                &proposal_input(f, &p, "widget", "Widget", &[]),
                T0,
            )
            .await
            .unwrap();
        // Another proposal cannot take the slug, in any case; the refusal names both.
        let dup = f
            .draft_proposal(
                actor(&zed),
                &p,
                &proposal_input(f, &p, "Widget", "W2", &[]),
                T0,
            )
            .await;
        match &dup {
            Err(e @ IncubatorError::SlugTaken { slug, holder }) => {
                assert_eq!(slug, "Widget", "{l}");
                assert_eq!(*holder, SlugHolder::Proposal { number: wp.number }, "{l}");
                let m = e.to_string();
                assert!(m.contains("\"Widget\"") && m.contains("#1"), "{l}: {m}");
                assert_eq!(e.message_key(), "error.incubator.slug_taken_proposal");
            }
            other => panic!("{l}: {other:?}"),
        }
        let zp = f
            .draft_proposal(
                actor(&zed),
                &p,
                &proposal_input(f, &p, "zed", "Zed", &[]),
                T0,
            )
            .await
            .unwrap();
        let taking = f
            .edit_proposal(
                actor(&zed),
                &p,
                &zp,
                zp.version,
                &proposal_input(f, &p, "WIDGET", "Zed", &[]),
                T0,
            )
            .await;
        assert!(
            matches!(taking, Err(IncubatorError::SlugTaken { .. })),
            "{l}: {taking:?}"
        );
        // Keeping one's own slug is fine.
        f.edit_proposal(
            actor(&pat),
            &p,
            &wp,
            wp.version,
            &proposal_input(f, &p, "Widget", "Widget", &[]),
            T0,
        )
        .await
        .unwrap();
        let wp = proposal(f, &wp).await;

        // Only the author withdraws, and only with a reason.
        for who in [&zed, &ann, &olive] {
            let r = f.withdraw_proposal(actor(who), &p, &wp, "no", T0).await;
            assert!(is_denied(&r), "{l}: {}: {r:?}", who.name);
        }
        let r = f
            .withdraw_proposal(Actor::Anonymous, &p, &wp, "no", T0)
            .await;
        assert!(
            matches!(r, Err(IncubatorError::Denied(Denial::SignInRequired))),
            "{l}"
        );
        let r = f.withdraw_proposal(actor(&pat), &p, &wp, "  ", T0).await;
        assert!(
            matches!(
                r,
                Err(IncubatorError::Field {
                    field: "reason",
                    ..
                })
            ),
            "{l}: {r:?}"
        );
        let long = "x".repeat(2_001);
        let r = f.withdraw_proposal(actor(&pat), &p, &wp, &long, T0).await;
        assert!(
            matches!(
                r,
                Err(IncubatorError::Field {
                    field: "reason",
                    ..
                })
            ),
            "{l}: {r:?}"
        );

        // Withdrawn during its vote: the vote is cancelled.
        let wp = f.start_discussion(actor(&pat), &p, &wp, T0).await.unwrap();
        let v = f
            .open_vote(actor(&ann), &p, VoteOn::Proposal(&wp), T0 + 7 * DAY)
            .await
            .unwrap();
        let wp = proposal(f, &wp).await;
        let gone = f
            .withdraw_proposal(
                actor(&pat),
                &p,
                &wp,
                "We found a home elsewhere.",
                T0 + 8 * DAY,
            )
            .await
            .unwrap();
        assert_eq!(gone.state, ProposalState::Withdrawn, "{l}");
        assert_eq!(gone.close_reason, "We found a home elsewhere.", "{l}");
        assert_eq!(gone.closed_by.as_ref().map(|u| u.id), Some(pat.id), "{l}");
        assert_eq!(
            f.vote(&p, v.id).await.unwrap().state,
            VoteState::Cancelled,
            "{l}"
        );
        // It is history now: no edit, vote, second withdrawal or closing.
        assert!(matches!(
            f.withdraw_proposal(actor(&pat), &p, &gone, "again", T0 + 8 * DAY)
                .await,
            Err(IncubatorError::ProposalState(_))
        ));
        assert!(matches!(
            f.close_proposal(actor(&ann), &p, &gone, "too", T0 + 8 * DAY)
                .await,
            Err(IncubatorError::ProposalState(_))
        ));
        assert!(matches!(
            f.edit_proposal(
                actor(&pat),
                &p,
                &gone,
                gone.version,
                &proposal_input(f, &p, "widget", "Widget", &[]),
                T0 + 8 * DAY
            )
            .await,
            Err(IncubatorError::ProposalState(_))
        ));
        assert!(matches!(
            f.open_vote(actor(&ann), &p, VoteOn::Proposal(&gone), T0 + 9 * DAY)
                .await,
            Err(IncubatorError::ProposalState(_))
        ));
        // Its slug is free again.
        let again = f
            .draft_proposal(
                actor(&zed),
                &p,
                &proposal_input(f, &p, "widget", "Widget again", &[]),
                T0 + 9 * DAY,
            )
            .await
            .unwrap();

        // The committee and the organization's owners close, with a reason; not the
        // author, not others.
        for who in [&pat, &zed] {
            let r = f.close_proposal(actor(who), &p, &zp, "no", T0).await;
            assert!(is_denied(&r), "{l}: {}: {r:?}", who.name);
        }
        let r = f.close_proposal(actor(&ann), &p, &zp, "", T0).await;
        assert!(
            matches!(
                r,
                Err(IncubatorError::Field {
                    field: "reason",
                    ..
                })
            ),
            "{l}: {r:?}"
        );
        let zp = proposal(f, &zp).await;
        let closed = f
            .close_proposal(actor(&ann), &p, &zp, "Out of scope.", T0 + 9 * DAY)
            .await
            .unwrap();
        assert_eq!(
            (closed.state, closed.close_reason.as_str()),
            (ProposalState::Closed, "Out of scope."),
            "{l}"
        );
        let closed = f
            .close_proposal(actor(&olive), &p, &again, "A duplicate.", T0 + 9 * DAY)
            .await
            .unwrap();
        assert_eq!(
            closed.closed_by.as_ref().map(|u| u.id),
            Some(olive.id),
            "{l}"
        );
        // A closed draft is still the author's to see, not everyone's.
        assert!(matches!(
            f.visible_proposal(actor(&pat), &p, closed.number).await,
            Err(IncubatorError::NotFound)
        ));
        let states: Vec<ProposalState> = f
            .program_proposals(actor(&zed), &p, None)
            .await
            .unwrap()
            .iter()
            .map(|p| p.state)
            .collect();
        assert!(
            states.contains(&ProposalState::Withdrawn),
            "{l}: {states:?}"
        );

        // Every ending is in the audit log with its reason.
        let log = f
            .program_audit_log(&p, AuditFilter::default(), 100)
            .await
            .unwrap();
        let notes: Vec<(&str, &str)> = log
            .iter()
            .filter(|e| e.action == "proposal.state")
            .filter_map(|e| Some((e.detail["to"].as_str()?, e.detail["note"].as_str()?)))
            .filter(|(to, _)| matches!(*to, "withdrawn" | "closed"))
            .collect();
        assert_eq!(
            notes,
            [
                ("closed", "A duplicate."),
                ("closed", "Out of scope."),
                ("withdrawn", "We found a home elsewhere.")
            ],
            "{l}"
        );
    }
}

/// The People table, entered once, fills the champion, mentor and committer lists (and so
/// Apache's people sections); the roles the program's form does not offer, a second
/// champion and a typed people section are refused; a required people section without
/// people keeps the proposal from discussion.
#[tokio::test]
async fn the_people_table_fills_the_people_sections() {
    use hatchery_service::incubator::PersonRow;
    for s in stores().await {
        let w = world(s);
        let f = &w.forge;
        let s = &w.s;
        let l = s.label().to_owned();
        let olive = user(s, "olive").await;
        let ann = user(s, "ann").await;
        let pat = user(s, "pat").await;
        let asf = org(s, &olive, "asf").await;
        team(s, &asf, "ipmc", &[&ann]).await;
        let p = f
            .create_program(
                actor(&olive),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                T0,
            )
            .await
            .unwrap();
        let cncf = f
            .create_program(actor(&olive), "asf", "cncf", "CNCF", Preset::Cncf, T0)
            .await
            .unwrap();
        let row = |role: &str, username: &str, name: &str| PersonRow {
            role: role.into(),
            person: PersonInput {
                username: username.into(),
                name: name.into(),
                affiliation: "ACME".into(),
            },
        };
        let form = f.proposal_form(&p);
        assert!(!form.sections.contains_key("initial_committers"), "{l}");
        assert!(
            form.sections.contains_key("fascination_with_apache_brand"),
            "{l}"
        );
        let mut input = proposal_input(f, &p, "widget", "Widget", &[]);
        input.champion = None;
        input.mentors.clear();
        input.committers.clear();
        input.people = vec![
            row("committer", "pat", ""),
            row("champion", "ann", ""),
            row("mentor", "ann", ""),
            row("committer", "", "Quinn Offline"),
            row("mentor", "", ""),
        ];
        let wp = f.draft_proposal(actor(&pat), &p, &input, T0).await.unwrap();
        let people = &wp.people;
        assert_eq!(
            people.champion.as_ref().and_then(|c| c.user_id),
            Some(ann.id),
            "{l}"
        );
        assert_eq!(people.mentors.len(), 1, "{l}: the blank row is left out");
        let committers: Vec<&str> = people.committers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(committers, ["PAT Display", "Quinn Offline"], "{l}");
        f.start_discussion(actor(&pat), &p, &wp, T0).await.unwrap();

        let mut two = input.clone();
        two.slug = "two".into();
        two.people.push(row("champion", "pat", ""));
        let r = f.draft_proposal(actor(&pat), &p, &two, T0).await;
        assert!(
            matches!(&r, Err(IncubatorError::Field { field: "people", message }) if message.contains("one champion")),
            "{l}: {r:?}"
        );
        let mut typed = input.clone();
        typed.slug = "typed".into();
        typed
            .sections
            .insert("initial_committers".into(), "Pat, Quinn".into());
        let r = f.draft_proposal(actor(&pat), &p, &typed, T0).await;
        assert!(
            matches!(
                &r,
                Err(IncubatorError::Field {
                    field: "sections",
                    ..
                })
            ),
            "{l}: {r:?}"
        );
        // Without mentors, Apache's Nominated Mentors keep it from discussion.
        let mut lonely = input.clone();
        lonely.slug = "lonely".into();
        lonely.people.retain(|r| r.role != "mentor");
        let lp = f
            .draft_proposal(actor(&pat), &p, &lonely, T0)
            .await
            .unwrap();
        let r = f.start_discussion(actor(&pat), &p, &lp, T0).await;
        assert!(
            matches!(&r, Err(IncubatorError::Field { field: "sections", message }) if message.contains("Nominated Mentors")),
            "{l}: {r:?}"
        );

        // The CNCF offers maintainers and a sponsor, no mentors.
        let mut c = f.proposal_form(&cncf);
        for v in c.sections.values_mut() {
            *v = "Yes.".into();
        }
        c.slug = "kube".into();
        c.name = "Kube".into();
        c.people = vec![row("committer", "pat", ""), row("mentor", "ann", "")];
        let r = f.draft_proposal(actor(&pat), &cncf, &c, T0).await;
        assert!(
            matches!(&r, Err(IncubatorError::Field { field: "people", message }) if message.contains("\"mentor\"")),
            "{l}: {r:?}"
        );
        c.people.pop();
        let kp = f.draft_proposal(actor(&pat), &cncf, &c, T0).await.unwrap();
        f.start_discussion(actor(&pat), &cncf, &kp, T0)
            .await
            .unwrap();
    }
}

/// `owner/name` of the project's repositories `who` may read.
async fn linked_names(f: &Forge, who: &User, project: &hatchery_store::Project) -> Vec<String> {
    f.project_repos(actor(who), project)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{}/{}", r.owner_name, r.name))
        .collect()
}

/// The roster and repositories of a project after acceptance: who may change them, the
/// program's rule for mentors, duplicates, ending and removing entries, linking and
/// unlinking repositories (moving one into the organization as acceptance does), and
/// every open role ending with the date incubation ends.
#[tokio::test]
async fn the_roster_and_repositories_after_acceptance() {
    use hatchery_core::incubator::MentorRule;
    use hatchery_service::incubator::RosterWarning;
    use hatchery_store::{NewProject, NewRosterEntry};

    for s in stores().await {
        let w = world(s);
        let f = &w.forge;
        let s = &w.s;
        let l = s.label().to_owned();
        let olive = user(s, "olive").await;
        let ann = user(s, "ann").await;
        let bob = user(s, "bob").await;
        let pat = user(s, "pat").await;
        let cy = user(s, "cy").await;
        let mo = user(s, "mo").await;
        let zed = user(s, "zed").await;
        let asf = org(s, &olive, "asf").await;
        team(s, &asf, "ipmc", &[&ann, &bob]).await;
        let p = f
            .create_program(
                actor(&olive),
                "asf",
                "incubator",
                "Incubator",
                Preset::Apache,
                T0,
            )
            .await
            .unwrap();
        let p = f
            .set_committee(actor(&olive), &p, Some("ipmc"), T0)
            .await
            .unwrap();
        let entry = |user: &User, role: &str| NewRosterEntry {
            user_id: Some(user.id),
            name: user.name.clone(),
            role: role.into(),
            affiliation: String::new(),
        };
        let new_project = |slug: &str, program: &Program| NewProject {
            program_id: program.id,
            proposal_id: None,
            slug: slug.into(),
            name: slug.to_uppercase(),
            description: String::new(),
            sponsor: String::new(),
            stage: program.template.stages[0].key.clone(),
            started_at: T0,
            reporting_group: None,
            roster: vec![
                entry(&pat, "ppmc"),
                entry(&cy, "committer"),
                entry(&ann, "mentor"),
            ],
            repo_ids: Vec::new(),
        };
        let proj = s
            .create_project(&new_project("gadget", &p), Some(olive.id), T0)
            .await
            .unwrap();
        let at = T0 + DAY;

        // ---- Who may: the committee, owners, the project's PPMC ----
        for who in [&zed, &cy] {
            assert!(
                is_denied(
                    &f.add_roster_member(
                        actor(who),
                        &p,
                        &proj,
                        "committer",
                        &person("zed", ""),
                        at
                    )
                    .await
                ),
                "{l}: {}",
                who.name
            );
        }
        for (who, role) in [(&pat, "committer"), (&bob, "champion"), (&olive, "ppmc")] {
            let added = f
                .add_roster_member(actor(who), &p, &proj, role, &person("zed", "Zed Corp"), at)
                .await
                .unwrap();
            assert_eq!(
                (
                    added.entry.role.as_str(),
                    added.entry.affiliation.as_str(),
                    added.entry.started_at
                ),
                (role, "Zed Corp", at),
                "{l}"
            );
            assert!(added.warnings.is_empty(), "{l}");
        }
        // ---- Duplicates and invalid input ----
        assert!(
            matches!(
                f.add_roster_member(actor(&pat), &p, &proj, "committer", &person("cy", ""), at)
                    .await,
                Err(IncubatorError::AlreadyOnRoster)
            ),
            "{l}"
        );
        assert!(matches!(
            f.add_roster_member(actor(&pat), &p, &proj, "Bad Role", &person("mo", ""), at)
                .await,
            Err(IncubatorError::Field { field: "role", .. })
        ));
        assert!(matches!(
            f.add_roster_member(
                actor(&pat),
                &p,
                &proj,
                "committer",
                &person("nobody", ""),
                at
            )
            .await,
            Err(IncubatorError::Field {
                field: "person",
                ..
            })
        ));

        // ---- Mentors and the committee: refuse (Apache), warn, allow ----
        let offline = PersonInput {
            username: String::new(),
            name: "Offline Mentor".into(),
            affiliation: String::new(),
        };
        for who in [person("mo", ""), offline.clone()] {
            assert!(
                matches!(
                    f.add_roster_member(actor(&pat), &p, &proj, "mentor", &who, at)
                        .await,
                    Err(IncubatorError::MentorNotOnCommittee)
                ),
                "{l}"
            );
        }
        let bob_mentor = f
            .add_roster_member(actor(&pat), &p, &proj, "mentor", &person("bob", ""), at)
            .await
            .unwrap();
        assert!(bob_mentor.warnings.is_empty(), "{l}");
        let mut t = p.template.clone();
        t.roster.mentors_on_committee = MentorRule::Warn;
        let p = f
            .update_program_template(actor(&olive), &p, t, at)
            .await
            .unwrap();
        let mo_mentor = f
            .add_roster_member(actor(&pat), &p, &proj, "mentor", &person("mo", "Uni"), at)
            .await
            .unwrap();
        assert_eq!(
            mo_mentor.warnings,
            [RosterWarning::MentorNotOnCommittee],
            "{l}"
        );
        let mut t = p.template.clone();
        t.roster.mentors_on_committee = MentorRule::Allow;
        let p = f
            .update_program_template(actor(&olive), &p, t, at)
            .await
            .unwrap();
        let offline_mentor = f
            .add_roster_member(actor(&pat), &p, &proj, "mentor", &offline, at)
            .await
            .unwrap();
        assert!(offline_mentor.warnings.is_empty(), "{l}");

        // ---- Ending and removing ----
        let cy_entry = f
            .project_roster(&proj)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.role == "committer" && e.user.as_ref().is_some_and(|u| u.id == cy.id))
            .unwrap();
        assert!(is_denied(
            &f.end_roster_member(actor(&cy), &p, &proj, cy_entry.id, at)
                .await
        ));
        let ended = f
            .end_roster_member(actor(&pat), &p, &proj, cy_entry.id, at + HOUR)
            .await
            .unwrap();
        assert_eq!(ended.ended_at, Some(at + HOUR), "{l}");
        assert!(matches!(
            f.end_roster_member(actor(&pat), &p, &proj, cy_entry.id, at + HOUR)
                .await,
            Err(IncubatorError::NotFound)
        ));
        // Ended, they may hold the role again.
        f.add_roster_member(
            actor(&pat),
            &p,
            &proj,
            "committer",
            &person("cy", ""),
            at + 2 * HOUR,
        )
        .await
        .unwrap();
        assert!(is_denied(
            &f.remove_roster_member(actor(&cy), &p, &proj, offline_mentor.entry.id, at)
                .await
        ));
        f.remove_roster_member(actor(&bob), &p, &proj, offline_mentor.entry.id, at)
            .await
            .unwrap();
        assert!(matches!(
            f.remove_roster_member(actor(&bob), &p, &proj, offline_mentor.entry.id, at)
                .await,
            Err(IncubatorError::NotFound)
        ));
        let roster = f.project_roster(&proj).await.unwrap();
        assert!(
            roster.iter().all(|e| e.id != offline_mentor.entry.id),
            "{l}"
        );
        assert!(
            roster
                .iter()
                .any(|e| e.id == cy_entry.id && e.ended_at == Some(at + HOUR))
        );
        // An entry of another project is not this one's.
        let other = s
            .create_project(&new_project("other", &p), Some(olive.id), T0)
            .await
            .unwrap();
        let foreign = f.project_roster(&other).await.unwrap()[0].id;
        assert!(matches!(
            f.end_roster_member(actor(&pat), &p, &proj, foreign, at)
                .await,
            Err(IncubatorError::NotFound)
        ));
        assert!(matches!(
            f.remove_roster_member(actor(&pat), &p, &proj, foreign, at)
                .await,
            Err(IncubatorError::NotFound)
        ));

        // ---- Linking repositories ----
        let gizmo = repo(f, pat.id, "pat", "gizmo", false, at).await;
        let tool = repo(f, asf.id, "asf", "tool", false, at).await;
        repo(f, zed.id, "zed", "secret", true, at).await;
        repo(f, mo.id, "mo", "tool", false, at).await;
        assert!(is_denied(
            &f.link_project_repo(actor(&zed), &p, &proj, "pat/gizmo", at)
                .await
        ));
        assert!(matches!(
            f.link_project_repo(actor(&pat), &p, &proj, "zed/secret", at)
                .await,
            Err(IncubatorError::UnreadableRepo(_))
        ));
        assert!(matches!(
            f.link_project_repo(actor(&pat), &p, &proj, "gizmo", at)
                .await,
            Err(IncubatorError::Field { field: "repo", .. })
        ));
        // The committee may link, but only what they administer.
        assert!(
            matches!(
                f.link_project_repo(actor(&bob), &p, &proj, "asf/tool", at)
                    .await,
                Err(IncubatorError::Denied(Denial::Forbidden))
            ),
            "{l}"
        );
        // A repository from elsewhere moves into the organization, as at acceptance.
        let linked = f
            .link_project_repo(actor(&pat), &p, &proj, "pat/gizmo", at)
            .await
            .unwrap();
        assert_eq!(
            linked.outcome,
            TransferOutcome::Moved {
                repo_id: gizmo.id,
                from: "pat/gizmo".into(),
                to: "asf/gizmo".into()
            },
            "{l}"
        );
        assert_eq!(linked.repo.owner_name, "asf", "{l}");
        assert!(matches!(
            f.repo_redirect(actor(&zed), "pat", "gizmo").await.unwrap(),
            Some(r) if r.id == gizmo.id
        ));
        match f
            .find_repo(actor(&pat), "asf", "gizmo", Action::Administer)
            .await
            .unwrap()
        {
            RepoLookup::Found { .. } => {}
            other => panic!("{l}: the former owner administers it: {other:?}"),
        }
        assert!(matches!(
            f.link_project_repo(actor(&pat), &p, &proj, "asf/gizmo", at)
                .await,
            Err(IncubatorError::AlreadyLinked)
        ));
        // A name taken in the organization: not moved, not linked (mo is a mentor now).
        assert!(matches!(
            f.link_project_repo(actor(&mo), &p, &proj, "mo/tool", at)
                .await,
            Err(IncubatorError::NameTaken(_))
        ));
        assert_eq!(
            s.repo_by_name("mo", "tool")
                .await
                .unwrap()
                .map(|r| r.owner_name),
            Some("mo".to_owned())
        );
        let in_org = f
            .link_project_repo(actor(&olive), &p, &proj, "asf/tool", at)
            .await
            .unwrap();
        assert_eq!(
            in_org.outcome,
            TransferOutcome::AlreadyInOrg { repo_id: tool.id },
            "{l}"
        );
        assert_eq!(
            linked_names(f, &olive, &proj).await,
            ["asf/gizmo", "asf/tool"],
            "{l}"
        );
        // The checklist was evaluated on them.
        let evidence = |rows: &[hatchery_service::incubator::ChecklistRow]| {
            rows.iter()
                .filter_map(|r| r.result.as_ref())
                .map(|r| r.evidence.to_string())
                .collect::<String>()
        };
        let rows = f.project_checklist(&p, &proj).await.unwrap();
        assert!(evidence(&rows).contains("asf/tool"), "{l}");
        assert!(evidence(&rows).contains("asf/gizmo"), "{l}");

        // ---- Unlinking ----
        assert!(is_denied(
            &f.unlink_project_repo(actor(&cy), &p, &proj, "asf", "tool", at)
                .await
        ));
        let gone = f
            .unlink_project_repo(actor(&pat), &p, &proj, "asf", "tool", at + HOUR)
            .await
            .unwrap();
        assert_eq!(gone.id, tool.id, "{l}");
        assert!(matches!(
            f.unlink_project_repo(actor(&pat), &p, &proj, "asf", "tool", at)
                .await,
            Err(IncubatorError::NotFound)
        ));
        assert!(matches!(
            f.unlink_project_repo(actor(&pat), &p, &proj, "zed", "secret", at)
                .await,
            Err(IncubatorError::NotFound)
        ));
        assert_eq!(linked_names(f, &olive, &proj).await, ["asf/gizmo"], "{l}");
        let rows = f.project_checklist(&p, &proj).await.unwrap();
        assert!(!evidence(&rows).contains("asf/tool"), "{l}");
        assert!(!s.repo_by_id(tool.id).await.unwrap().unwrap().read_only);

        let actions: Vec<String> = s
            .audit_log(
                p.id,
                AuditFilter {
                    project_id: Some(proj.id),
                    ..AuditFilter::default()
                },
                500,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        for want in [
            "roster.added",
            "roster.ended",
            "roster.removed",
            "repo.linked",
            "repo.transferred",
            "repo.unlinked",
        ] {
            assert!(
                actions.iter().any(|a| a == want),
                "{l}: {want} in {actions:?}"
            );
        }

        // ---- Retirement ends every open role with its date ----
        let retired_at = at + 3 * DAY;
        let proj = f
            .record_decision(
                actor(&olive),
                &p,
                &proj,
                "retired",
                "https://example.org/r",
                retired_at,
            )
            .await
            .unwrap();
        let roster = f.project_roster(&proj).await.unwrap();
        assert!(
            roster
                .iter()
                .all(|e| e.ended_at == Some(retired_at) || e.id == cy_entry.id),
            "{l}: {roster:?}"
        );
        assert!(
            roster
                .iter()
                .any(|e| e.id == cy_entry.id && e.ended_at == Some(at + HOUR))
        );
        assert!(matches!(
            f.add_roster_member(
                actor(&olive),
                &p,
                &proj,
                "committer",
                &person("zed", ""),
                retired_at
            )
            .await,
            Err(IncubatorError::ProjectEnded)
        ));
        assert!(matches!(
            f.remove_roster_member(actor(&olive), &p, &proj, roster[0].id, retired_at)
                .await,
            Err(IncubatorError::ProjectEnded)
        ));
        assert!(matches!(
            f.link_project_repo(actor(&olive), &p, &proj, "asf/tool", retired_at)
                .await,
            Err(IncubatorError::ProjectEnded)
        ));
        assert!(matches!(
            f.unlink_project_repo(actor(&olive), &p, &proj, "asf", "gizmo", retired_at)
                .await,
            Err(IncubatorError::ProjectEnded)
        ));

        // ---- So does graduation ----
        let blank = f
            .create_program(actor(&olive), "asf", "lab", "Lab", Preset::Blank, T0)
            .await
            .unwrap();
        let lab = s
            .create_project(&new_project("lab-one", &blank), Some(olive.id), T0)
            .await
            .unwrap();
        let grad_at = at + 5 * DAY;
        let lab = f
            .record_decision(
                actor(&olive),
                &blank,
                &lab,
                "graduated",
                "https://example.org/g",
                grad_at,
            )
            .await
            .unwrap();
        assert_eq!(lab.ended_at, Some(grad_at), "{l}");
        let roster = f.project_roster(&lab).await.unwrap();
        assert_eq!(roster.len(), 3, "{l}");
        assert!(
            roster.iter().all(|e| e.ended_at == Some(grad_at)),
            "{l}: {roster:?}"
        );
    }
}
