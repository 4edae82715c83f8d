//! Conformance suite for the incubator's storage: every test runs against every store from
//! `testing::stores()` (SQLite always, PostgreSQL too when `HATCHERY_TEST_PG_URL` is set).

use std::collections::BTreeMap;

use hatchery_core::AccessLevel;
use hatchery_core::incubator::{BallotValue, Preset, ProposalState, VoteKind, VoteState, preset};
use hatchery_store::testing::fixtures::{self, org, repo, user};
use hatchery_store::testing::stores;
use hatchery_store::{
    AuditFilter, BallotCast, ChecklistStatus, Closing, ConflictField, NamedPerson,
    NewChecklistEntry, NewProgram, NewProject, NewRosterEntry, NewVote, Org, Program, Proposal,
    ProposalContent, ProposalEdit, ProposalPeople, ProposalStateChange, ReportState,
    ReportTemplate, SlugHolder, StageChange, StageMove, Store, StoreError, TallyRecord, Team, User,
    Vote, VoteEffect, VoteSubject,
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// A fixed clock for the tests: 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

/// A read team of `org` with `members`.
async fn team(s: &Store, org: &Org, name: &str, members: &[&User]) -> Team {
    let t = fixtures::team(s, org.id, name, AccessLevel::Read).await;
    for m in members {
        s.add_team_member(t.id, m.id).await.expect("add member");
    }
    t
}

async fn program(s: &Store, org: &Org, slug: &str, actor: &User) -> Program {
    s.create_program(NewProgram {
        org_id: org.id,
        slug,
        name: "Incubator",
        description: "",
        preset: "apache",
        template: &preset(Preset::Apache),
        report_template: &ReportTemplate::default(),
        actor_id: Some(actor.id),
        now: T0,
    })
    .await
    .expect("create program")
}

fn content(slug: &str, repo_ids: Vec<i64>) -> ProposalContent {
    ProposalContent {
        slug: slug.into(),
        name: slug.to_uppercase(),
        sections: BTreeMap::from([("abstract".to_owned(), format!("{slug} abstract"))]),
        people: ProposalPeople {
            champion: Some(NamedPerson {
                name: "Cham Pion".into(),
                ..NamedPerson::default()
            }),
            mentors: vec![NamedPerson {
                user_id: None,
                username: String::new(),
                name: "Men Tor".into(),
                affiliation: "ACME".into(),
            }],
            committers: Vec::new(),
        },
        repo_ids,
    }
}

/// A proposal taken to discussion.
async fn discussed(s: &Store, p: &Program, author: &User, slug: &str, repos: Vec<i64>) -> Proposal {
    let draft = s
        .create_proposal(p.id, author.id, &content(slug, repos), T0)
        .await
        .unwrap();
    s.set_proposal_state(ProposalStateChange {
        id: draft.id,
        from: ProposalState::Draft,
        to: ProposalState::Discussion,
        cancel_vote: false,
        discussion_started_at: Some(T0),
        actor_id: Some(author.id),
        note: "",
        now: T0,
    })
    .await
    .unwrap()
}

fn accept_vote<'a>(p: &Program, proposal: &Proposal, by: &User, at: i64) -> NewVote<'a> {
    let config = p.template.vote_rules[&VoteKind::AcceptProposal];
    NewVote {
        program_id: p.id,
        kind: VoteKind::AcceptProposal,
        subject: VoteSubject::Proposal {
            id: proposal.id,
            version: proposal.version,
        },
        title: "Accept",
        config,
        document_url: "",
        opened_by: by.id,
        opened_at: at,
        min_close_at: at + 72 * HOUR,
        deadline_at: at + 72 * HOUR,
    }
}

fn closing(state: VoteState, effect: VoteEffect) -> Closing {
    Closing {
        state,
        tally: TallyRecord {
            outcome: if state == VoteState::Passed {
                "passed".into()
            } else {
                "failed".into()
            },
            ..TallyRecord::default()
        },
        effect,
    }
}

// ---- Programs ----

#[tokio::test]
async fn programs_are_per_organization_with_committees() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let asf = org(&s, &ann, "asf").await;
        let other = org(&s, &ann, "other").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann]).await;
        let foreign = team(&s, &other, "toc", &[&ann]).await;

        let p = program(&s, &asf, "Incubator", &ann).await;
        assert_eq!(p.org_name, "asf", "{l}");
        assert_eq!(p.template, preset(Preset::Apache), "{l}");
        assert_eq!(p.committee_team_id, None, "{l}");
        let dup = s
            .create_program(NewProgram {
                org_id: asf.id,
                slug: "INCUBATOR",
                name: "x",
                description: "",
                preset: "blank",
                template: &preset(Preset::Blank),
                report_template: &ReportTemplate::default(),
                actor_id: None,
                now: T0,
            })
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(ConflictField::Name))),
            "{l}: {dup:?}"
        );
        let not_an_org = s
            .create_program(NewProgram {
                org_id: ann.id,
                slug: "x",
                name: "x",
                description: "",
                preset: "blank",
                template: &preset(Preset::Blank),
                report_template: &ReportTemplate::default(),
                actor_id: None,
                now: T0,
            })
            .await;
        assert!(matches!(not_an_org, Err(StoreError::NotFound)), "{l}");
        let same_slug_elsewhere = program(&s, &other, "incubator", &ann).await;

        assert_eq!(
            s.program_by_slug(asf.id, "incubator").await.unwrap(),
            Some(p.clone()),
            "{l}"
        );
        assert_eq!(
            s.programs_of_org(other.id).await.unwrap(),
            [same_slug_elsewhere]
        );

        // Only a team of the program's own organization can be its committee.
        let refused = s
            .set_program_committee(p.id, Some(foreign.id), Some(ann.id), T0)
            .await;
        assert!(matches!(refused, Err(StoreError::NotFound)), "{l}");
        let p = s
            .set_program_committee(p.id, Some(ipmc.id), Some(ann.id), T0)
            .await
            .unwrap();
        assert_eq!(p.committee_team_id, Some(ipmc.id), "{l}");
        assert!(s.is_committee_member(p.id, ann.id).await.unwrap(), "{l}");

        let mut t = preset(Preset::Cncf);
        t.discussion_min_days = 3;
        let rt = ReportTemplate {
            sections: Vec::new(),
            signoff_required: true,
        };
        s.update_program_template(p.id, &t, Some(ann.id), T0 + 1)
            .await
            .unwrap();
        let p = s
            .update_report_template(p.id, &rt, Some(ann.id), T0 + 2)
            .await
            .unwrap();
        let p = s
            .update_program(p.id, "The Incubator", "d", T0 + 3)
            .await
            .unwrap();
        assert_eq!(
            (p.template.clone(), p.report_template.clone()),
            (t, rt),
            "{l}"
        );
        assert_eq!((p.name.as_str(), p.updated_at), ("The Incubator", T0 + 3));

        let log = s
            .audit_log(p.id, AuditFilter::default(), 100)
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "program.created",
                "program.committee",
                "program.template",
                "program.report_template"
            ],
            "{l}"
        );
        assert!(
            log.iter()
                .all(|e| e.actor.as_ref().map(|a| a.id) == Some(ann.id))
        );
    }
}

// ---- Proposals ----

#[tokio::test]
async fn proposals_keep_every_revision_and_refuse_stale_edits() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let bob = user(&s, "bob").await;
        let asf = org(&s, &ann, "asf").await;
        let p = program(&s, &asf, "incubator", &ann).await;
        let r = repo(&s, bob.id, "thing").await;

        let a = s
            .create_proposal(p.id, bob.id, &content("thing", vec![r.id]), T0)
            .await
            .unwrap();
        let b = s
            .create_proposal(p.id, ann.id, &content("other", vec![]), T0)
            .await
            .unwrap();
        assert_eq!((a.number, b.number), (1, 2), "{l}");
        assert_eq!(a.state, ProposalState::Draft, "{l}");
        assert_eq!(a.version, 1, "{l}");
        assert_eq!(a.repo_ids, [r.id], "{l}");
        assert_eq!(a.content(), content("thing", vec![r.id]), "{l}");
        assert_eq!(a.author.as_ref().map(|p| p.id), Some(bob.id), "{l}");
        assert_eq!(
            s.proposal_by_number(p.id, 2).await.unwrap(),
            Some(b.clone())
        );

        let mut c2 = content("thing", vec![r.id]);
        c2.name = "Thing Two".into();
        let edit = |version, from, content| ProposalEdit {
            id: a.id,
            version,
            from,
            to: from,
            cancel_vote: false,
            editor_id: bob.id,
            content,
            now: T0 + 10,
        };
        let a2 = s
            .edit_proposal(edit(1, ProposalState::Draft, &c2))
            .await
            .unwrap();
        assert_eq!((a2.version, a2.name.as_str()), (2, "Thing Two"), "{l}");
        let stale = s.edit_proposal(edit(1, ProposalState::Draft, &c2)).await;
        assert!(matches!(stale, Err(StoreError::Stale)), "{l}: {stale:?}");
        let wrong_state = s
            .edit_proposal(edit(2, ProposalState::Discussion, &c2))
            .await;
        assert!(matches!(wrong_state, Err(StoreError::Stale)), "{l}");

        let revs = s.proposal_revisions(a.id).await.unwrap();
        assert_eq!(
            revs.iter()
                .map(|r| (r.version, r.name.as_str()))
                .collect::<Vec<_>>(),
            [(1, "THING"), (2, "Thing Two")],
            "{l}"
        );

        let change = |from, to| ProposalStateChange {
            id: a.id,
            from,
            to,
            cancel_vote: false,
            discussion_started_at: Some(T0 + 20),
            actor_id: Some(bob.id),
            note: "",
            now: T0 + 20,
        };
        let a3 = s
            .set_proposal_state(change(ProposalState::Draft, ProposalState::Discussion))
            .await
            .unwrap();
        assert_eq!(a3.state, ProposalState::Discussion, "{l}");
        assert_eq!(a3.discussion_started_at, Some(T0 + 20), "{l}");
        let again = s
            .set_proposal_state(change(ProposalState::Draft, ProposalState::Discussion))
            .await;
        assert!(matches!(again, Err(StoreError::Stale)), "{l}");

        s.add_proposal_comment(a.id, ann.id, "first", T0 + 30)
            .await
            .unwrap();
        let c = s
            .add_proposal_comment(a.id, bob.id, "second", T0 + 31)
            .await
            .unwrap();
        assert_eq!(c.body, "second", "{l}");
        let comments = s.proposal_comments(a.id).await.unwrap();
        assert_eq!(comments.len(), 2, "{l}");

        assert_eq!(
            s.proposals_of_program(p.id, Some(ProposalState::Discussion))
                .await
                .unwrap()
                .iter()
                .map(|p| p.number)
                .collect::<Vec<_>>(),
            [1],
            "{l}"
        );
        assert_eq!(s.proposals_of_program(p.id, None).await.unwrap().len(), 2);
        let log = s
            .audit_log(
                p.id,
                AuditFilter {
                    proposal_id: Some(a.id),
                    ..AuditFilter::default()
                },
                100,
            )
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["proposal.created", "proposal.edited", "proposal.state"],
            "{l}"
        );
    }
}

/// A slug is held once per program: by a project, or by a proposal until it is rejected,
/// withdrawn or closed. Withdrawing and closing keep why and by whom, and cancel an open
/// vote in the same transaction.
#[tokio::test]
async fn slugs_are_held_once_and_closed_proposals_keep_their_reason() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let bob = user(&s, "bob").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann]).await;
        let p = program(&s, &asf, "incubator", &ann).await;
        let other = program(&s, &asf, "other", &ann).await;
        s.set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        let conflict = |r: &Result<Proposal, StoreError>| {
            matches!(r, Err(StoreError::Conflict(ConflictField::Name)))
        };

        let a = s
            .create_proposal(p.id, bob.id, &content("alpha", vec![]), T0)
            .await
            .unwrap();
        // Any case; another program is another namespace.
        let dup = s
            .create_proposal(p.id, ann.id, &content("ALPHA", vec![]), T0)
            .await;
        assert!(conflict(&dup), "{l}: {dup:?}");
        s.create_proposal(other.id, ann.id, &content("alpha", vec![]), T0)
            .await
            .unwrap();
        assert_eq!(
            s.slug_holder(p.id, "Alpha", None).await.unwrap(),
            Some(SlugHolder::Proposal { number: a.number }),
            "{l}"
        );
        assert_eq!(
            s.slug_holder(p.id, "alpha", Some(a.id)).await.unwrap(),
            None
        );

        // An edit may keep its own slug but not take another's.
        let b = s
            .create_proposal(p.id, ann.id, &content("beta", vec![]), T0)
            .await
            .unwrap();
        fn edit(id: i64, editor_id: i64, content: &ProposalContent) -> ProposalEdit<'_> {
            ProposalEdit {
                id,
                version: 1,
                from: ProposalState::Draft,
                to: ProposalState::Draft,
                cancel_vote: false,
                editor_id,
                content,
                now: T0,
            }
        }
        let (to_alpha, to_beta) = (content("alpha", vec![]), content("beta", vec![]));
        let r = s.edit_proposal(edit(b.id, ann.id, &to_alpha)).await;
        assert!(conflict(&r), "{l}: {r:?}");
        let b = s.edit_proposal(edit(b.id, ann.id, &to_beta)).await.unwrap();

        // A project cannot take a slug a proposal holds.
        let project = |slug: &str, proposal_id| NewProject {
            program_id: p.id,
            proposal_id,
            slug: slug.into(),
            name: "X".into(),
            description: String::new(),
            sponsor: String::new(),
            stage: "current".into(),
            started_at: T0,
            reporting_group: None,
            roster: Vec::new(),
            repo_ids: Vec::new(),
        };
        let r = s
            .create_project(&project("Beta", None), Some(ann.id), T0)
            .await;
        assert!(
            matches!(r, Err(StoreError::Conflict(ConflictField::Name))),
            "{l}: {r:?}"
        );

        // Withdrawn by its author during a vote: the vote is cancelled, the reason kept,
        // and the slug is free again.
        let a = s
            .set_proposal_state(ProposalStateChange {
                id: a.id,
                from: ProposalState::Draft,
                to: ProposalState::Discussion,
                cancel_vote: false,
                discussion_started_at: Some(T0),
                actor_id: Some(bob.id),
                note: "",
                now: T0,
            })
            .await
            .unwrap();
        let v = s.open_vote(accept_vote(&p, &a, &ann, T0)).await.unwrap();
        let w = s
            .set_proposal_state(ProposalStateChange {
                id: a.id,
                from: ProposalState::Voting,
                to: ProposalState::Withdrawn,
                cancel_vote: true,
                discussion_started_at: None,
                actor_id: Some(bob.id),
                note: "We joined another foundation.",
                now: T0 + HOUR,
            })
            .await
            .unwrap();
        assert_eq!(w.state, ProposalState::Withdrawn, "{l}");
        assert_eq!(w.close_reason, "We joined another foundation.", "{l}");
        assert_eq!(w.closed_by.as_ref().map(|p| p.id), Some(bob.id), "{l}");
        assert_eq!(w.decided_at, Some(T0 + HOUR), "{l}");
        let v = s.vote_by_id(v.id).await.unwrap().unwrap();
        assert_eq!(v.state, VoteState::Cancelled, "{l}");
        assert_eq!(s.slug_holder(p.id, "alpha", None).await.unwrap(), None);
        let c = s
            .create_proposal(p.id, ann.id, &content("alpha", vec![]), T0 + 2 * HOUR)
            .await
            .unwrap();

        // Closed by the committee from a draft; a request for more information keeps no
        // reason.
        let closed = s
            .set_proposal_state(ProposalStateChange {
                id: b.id,
                from: ProposalState::Draft,
                to: ProposalState::Closed,
                cancel_vote: false,
                discussion_started_at: None,
                actor_id: Some(ann.id),
                note: "Out of scope.",
                now: T0 + 3 * HOUR,
            })
            .await
            .unwrap();
        assert_eq!(
            (closed.state, closed.close_reason.as_str()),
            (ProposalState::Closed, "Out of scope."),
            "{l}"
        );
        assert_eq!(
            s.proposals_of_program(p.id, Some(ProposalState::Closed))
                .await
                .unwrap()
                .len(),
            1,
            "{l}"
        );
        let log = s
            .audit_log(
                p.id,
                AuditFilter {
                    proposal_id: Some(a.id),
                    ..AuditFilter::default()
                },
                100,
            )
            .await
            .unwrap();
        let withdrawn = log
            .iter()
            .find(|e| e.action == "proposal.state" && e.detail["to"] == "withdrawn")
            .expect("audit entry");
        assert_eq!(
            withdrawn.detail["note"], "We joined another foundation.",
            "{l}"
        );
        assert!(log.iter().any(|e| e.action == "vote.cancelled"), "{l}");

        // The project a proposal becomes may take the proposal's own slug; opening a vote
        // on a proposal whose slug a project holds is refused.
        let c = s
            .set_proposal_state(ProposalStateChange {
                id: c.id,
                from: ProposalState::Draft,
                to: ProposalState::Discussion,
                cancel_vote: false,
                discussion_started_at: Some(T0),
                actor_id: Some(ann.id),
                note: "",
                now: T0,
            })
            .await
            .unwrap();
        s.create_project(&project("alpha", Some(c.id)), Some(ann.id), T0)
            .await
            .unwrap();
        let r = s.open_vote(accept_vote(&p, &c, &ann, T0)).await;
        assert!(
            matches!(r, Err(StoreError::Conflict(ConflictField::Name))),
            "{l}: {r:?}"
        );
        assert_eq!(
            s.proposal_by_id(c.id).await.unwrap().unwrap().state,
            ProposalState::Discussion,
            "{l}: nothing changed"
        );
    }
}

// ---- Votes ----

#[tokio::test]
async fn votes_freeze_their_electorate_and_take_ballots_until_closed() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let bob = user(&s, "bob").await;
        let cy = user(&s, "cy").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann, &bob]).await;
        let p = program(&s, &asf, "incubator", &ann).await;
        s.set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        let prop = discussed(&s, &p, &cy, "thing", vec![]).await;

        // A vote on a stale version or a proposal not in discussion is refused.
        let mut stale = accept_vote(&p, &prop, &ann, T0);
        stale.subject = VoteSubject::Proposal {
            id: prop.id,
            version: prop.version + 1,
        };
        assert!(matches!(s.open_vote(stale).await, Err(StoreError::Stale)));

        let v = s.open_vote(accept_vote(&p, &prop, &ann, T0)).await.unwrap();
        assert_eq!(v.state, VoteState::Open, "{l}");
        assert_eq!(v.electorate_size, 2, "{l}");
        assert_eq!(v.proposal_version, Some(prop.version), "{l}");
        let prop = s.proposal_by_id(prop.id).await.unwrap().unwrap();
        assert_eq!(prop.state, ProposalState::Voting, "{l}");
        assert!(
            matches!(
                s.open_vote(accept_vote(&p, &prop, &ann, T0)).await,
                Err(StoreError::Stale)
            ),
            "{l}: a second vote on the same proposal"
        );

        // The committee changing after the vote opened does not change its electorate.
        s.add_team_member(ipmc.id, cy.id).await.unwrap();
        s.remove_team_member(ipmc.id, bob.id).await.unwrap();
        let names: Vec<String> = s
            .electorate(v.id)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["ann", "bob"], "{l}");
        assert!(s.in_electorate(v.id, bob.id).await.unwrap(), "{l}");
        assert!(!s.in_electorate(v.id, cy.id).await.unwrap(), "{l}");

        let cast = |who: i64, value, at| s.cast_ballot(v.id, who, value, "why", at);
        let BallotCast::Recorded { ballot, changed } =
            cast(bob.id, BallotValue::Minus1, T0 + HOUR).await.unwrap()
        else {
            panic!("{l}: ballot refused")
        };
        assert!(ballot.binding && !changed, "{l}");
        // Changing a ballot replaces it.
        let BallotCast::Recorded { ballot, changed } =
            cast(bob.id, BallotValue::Plus1, T0 + 2 * HOUR)
                .await
                .unwrap()
        else {
            panic!("{l}: ballot refused")
        };
        assert!(changed && ballot.value == BallotValue::Plus1, "{l}");
        assert_eq!(ballot.cast_at, T0 + HOUR, "{l}");
        assert_eq!(ballot.updated_at, T0 + 2 * HOUR, "{l}");
        // Not in the snapshot: non-binding, although a committee member now.
        let BallotCast::Recorded { ballot, .. } = cast(cy.id, BallotValue::Plus1, T0 + 3 * HOUR)
            .await
            .unwrap()
        else {
            panic!("{l}: ballot refused")
        };
        assert!(!ballot.binding, "{l}");
        // At the deadline ballots are refused, even before the job closes the vote.
        assert_eq!(
            cast(ann.id, BallotValue::Plus1, T0 + 72 * HOUR)
                .await
                .unwrap(),
            BallotCast::VoteClosed,
            "{l}"
        );
        let ballots = s.ballots(v.id).await.unwrap();
        assert_eq!(ballots.len(), 2, "{l}");

        // Undecided: nothing happens.
        assert_eq!(s.close_vote(v.id, T0, |_, _| None).await.unwrap(), None);
        let closed = s
            .close_vote(v.id, T0 + 72 * HOUR, |vote: &Vote, ballots| {
                assert_eq!(vote.id, v.id);
                assert_eq!(ballots.len(), 2);
                Some(closing(
                    VoteState::Failed,
                    VoteEffect::Proposal {
                        proposal_id: prop.id,
                        to: ProposalState::Rejected,
                        project: None,
                    },
                ))
            })
            .await
            .unwrap()
            .expect("closed");
        assert_eq!(closed.vote.state, VoteState::Failed, "{l}");
        assert_eq!(closed.vote.closed_at, Some(T0 + 72 * HOUR), "{l}");
        assert_eq!(
            closed.vote.tally.as_ref().map(|t| t.outcome.as_str()),
            Some("failed")
        );
        let prop = s.proposal_by_id(prop.id).await.unwrap().unwrap();
        assert_eq!(prop.state, ProposalState::Rejected, "{l}");
        assert_eq!(prop.decided_at, Some(T0 + 72 * HOUR), "{l}");
        // Closed: no more ballots, no second close.
        assert_eq!(
            cast(bob.id, BallotValue::Minus1, T0 + HOUR).await.unwrap(),
            BallotCast::VoteClosed,
            "{l}"
        );
        assert_eq!(
            s.close_vote(v.id, T0 + 80 * HOUR, |_, _| Some(closing(
                VoteState::Passed,
                VoteEffect::Nothing
            )))
            .await
            .unwrap(),
            None,
            "{l}"
        );
        assert!(matches!(
            s.cast_ballot(i64::MAX, ann.id, BallotValue::Zero, "", T0)
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_closers_of_one_vote_exactly_one_wins() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann]).await;
        let p = program(&s, &asf, "incubator", &ann).await;
        s.set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        for round in 0..5 {
            let prop = discussed(&s, &p, &ann, &format!("p{round}"), vec![]).await;
            let v = s.open_vote(accept_vote(&p, &prop, &ann, T0)).await.unwrap();
            let project = NewProject {
                program_id: p.id,
                proposal_id: Some(prop.id),
                slug: format!("p{round}"),
                name: "P".into(),
                description: String::new(),
                sponsor: String::new(),
                stage: "current".into(),
                started_at: T0,
                reporting_group: None,
                roster: Vec::new(),
                repo_ids: Vec::new(),
            };
            let mut tasks = Vec::new();
            for _ in 0..2 {
                let store: Store = (*s).clone();
                let project = project.clone();
                let prop_id = prop.id;
                let vote_id = v.id;
                tasks.push(tokio::spawn(async move {
                    store
                        .close_vote(vote_id, T0 + 72 * HOUR, move |_, _| {
                            Some(closing(
                                VoteState::Passed,
                                VoteEffect::Proposal {
                                    proposal_id: prop_id,
                                    to: ProposalState::Accepted,
                                    project: Some(project),
                                },
                            ))
                        })
                        .await
                }));
            }
            let mut winners = 0;
            for t in tasks {
                if t.await.unwrap().unwrap().is_some() {
                    winners += 1;
                }
            }
            assert_eq!(winners, 1, "{l}: round {round}");
            // Exactly one project, one close in the audit log.
            let projects = s.projects_of_program(p.id).await.unwrap();
            assert_eq!(projects.len(), round + 1, "{l}");
            let closes = s
                .audit_log(
                    p.id,
                    AuditFilter {
                        vote_id: Some(v.id),
                        ..AuditFilter::default()
                    },
                    100,
                )
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "vote.closed")
                .count();
            assert_eq!(closes, 1, "{l}");
        }
    }
}

#[tokio::test]
async fn editing_a_proposal_under_vote_cancels_the_vote() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann]).await;
        let p = program(&s, &asf, "incubator", &ann).await;
        s.set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        let prop = discussed(&s, &p, &ann, "thing", vec![]).await;
        let v = s.open_vote(accept_vote(&p, &prop, &ann, T0)).await.unwrap();
        let prop = s.proposal_by_id(prop.id).await.unwrap().unwrap();
        let c = content("thing", vec![]);
        let edited = s
            .edit_proposal(ProposalEdit {
                id: prop.id,
                version: prop.version,
                from: ProposalState::Voting,
                to: ProposalState::Discussion,
                cancel_vote: true,
                editor_id: ann.id,
                content: &c,
                now: T0 + HOUR,
            })
            .await
            .unwrap();
        assert_eq!(edited.state, ProposalState::Discussion, "{l}");
        let v = s.vote_by_id(v.id).await.unwrap().unwrap();
        assert_eq!(v.state, VoteState::Cancelled, "{l}");
        assert_eq!(v.closed_at, Some(T0 + HOUR), "{l}");
        assert_eq!(
            s.cast_ballot(v.id, ann.id, BallotValue::Plus1, "", T0 + 2 * HOUR)
                .await
                .unwrap(),
            BallotCast::VoteClosed,
            "{l}"
        );
        assert!(s.votes_of_program(p.id, true).await.unwrap().is_empty());
        assert_eq!(s.votes_of_proposal(prop.id).await.unwrap().len(), 1);
    }
}

// ---- Projects, stages, transfers ----

fn release_vote<'a>(p: &Program, project_id: i64, release_id: i64, by: &User) -> NewVote<'a> {
    NewVote {
        program_id: p.id,
        kind: VoteKind::Release,
        subject: VoteSubject::Release {
            project_id,
            release_id,
        },
        title: "Release",
        config: p.template.vote_rules[&VoteKind::Release],
        document_url: "",
        opened_by: by.id,
        opened_at: T0,
        min_close_at: T0 + 72 * HOUR,
        deadline_at: T0 + 72 * HOUR,
    }
}

/// Release votes: only on a non-draft candidate of one of the project's repositories, one
/// open per release and beside a stage vote; passing publishes the candidate in the closing
/// transaction (and `release_approvals` names the vote), failing leaves it a candidate.
#[tokio::test]
async fn release_votes_publish_their_candidates() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let bob = user(&s, "bob").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann]).await;
        let p = program(&s, &asf, "incubator", &ann).await;
        s.set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        let tool = repo(&s, bob.id, "tool").await;
        let elsewhere = repo(&s, bob.id, "elsewhere").await;
        let project = s
            .create_project(
                &NewProject {
                    program_id: p.id,
                    proposal_id: None,
                    slug: "tool".into(),
                    name: "Tool".into(),
                    description: String::new(),
                    sponsor: String::new(),
                    stage: "current".into(),
                    started_at: T0,
                    reporting_group: None,
                    roster: Vec::new(),
                    repo_ids: vec![tool.id],
                },
                Some(ann.id),
                T0,
            )
            .await
            .unwrap();
        let fields = |tag: &str, candidate: bool, draft: bool| hatchery_store::ReleaseFields {
            tag_name: tag.into(),
            target: "main".into(),
            sha: "1".repeat(40),
            title: tag.into(),
            note: String::new(),
            is_draft: draft,
            is_prerelease: false,
            is_candidate: candidate,
        };
        let rc1 = s
            .create_release(tool.id, &fields("v1.0-rc1", true, false), Some(bob.id))
            .await
            .unwrap();
        let rc2 = s
            .create_release(tool.id, &fields("v1.0-rc2", true, false), Some(bob.id))
            .await
            .unwrap();
        let plain = s
            .create_release(tool.id, &fields("v0.9", false, false), Some(bob.id))
            .await
            .unwrap();
        let draft = s
            .create_release(tool.id, &fields("v2.0-rc1", true, true), Some(bob.id))
            .await
            .unwrap();
        let other = s
            .create_release(elsewhere.id, &fields("v1.0-rc1", true, false), Some(bob.id))
            .await
            .unwrap();
        for id in [plain.id, draft.id, other.id] {
            let refused = s.open_vote(release_vote(&p, project.id, id, &bob)).await;
            assert!(
                matches!(refused, Err(StoreError::NotFound)),
                "[{l}] {refused:?}"
            );
        }
        let v1 = s
            .open_vote(release_vote(&p, project.id, rc1.id, &bob))
            .await
            .unwrap();
        assert_eq!(
            (v1.kind, v1.release_id),
            (VoteKind::Release, Some(rc1.id)),
            "[{l}]"
        );
        assert_eq!(v1.project_id, Some(project.id), "[{l}]");
        assert_eq!(v1.electorate_size, 1, "[{l}]");
        let twice = s
            .open_vote(release_vote(&p, project.id, rc1.id, &bob))
            .await;
        assert!(matches!(twice, Err(StoreError::Stale)), "[{l}] {twice:?}");
        // A release vote does not hold up a stage vote on the project, nor the reverse.
        s.open_vote(NewVote {
            kind: VoteKind::Retire,
            subject: VoteSubject::Project {
                id: project.id,
                target_stage: "retired".into(),
            },
            ..release_vote(&p, project.id, rc1.id, &ann)
        })
        .await
        .unwrap();
        let v2 = s
            .open_vote(release_vote(&p, project.id, rc2.id, &bob))
            .await
            .unwrap();
        assert_eq!(
            s.votes_of_release(rc1.id).await.unwrap(),
            std::slice::from_ref(&v1),
            "[{l}]"
        );

        let at = T0 + 72 * HOUR;
        let closed = s
            .close_vote(v1.id, at, |_, _| {
                Some(closing(
                    VoteState::Passed,
                    VoteEffect::PublishRelease { release_id: rc1.id },
                ))
            })
            .await
            .unwrap()
            .unwrap();
        assert!(closed.release_published, "[{l}]");
        let published = s.release_by_id(tool.id, rc1.id).await.unwrap().unwrap();
        assert!(!published.is_candidate && !published.is_draft, "[{l}]");
        assert_eq!(published.published_at, Some(at), "[{l}]");
        let failed = s
            .close_vote(v2.id, at, |_, _| {
                Some(closing(VoteState::Failed, VoteEffect::Nothing))
            })
            .await
            .unwrap()
            .unwrap();
        assert!(!failed.release_published, "[{l}]");
        let kept = s.release_by_id(tool.id, rc2.id).await.unwrap().unwrap();
        assert!(kept.is_candidate && kept.published_at.is_none(), "[{l}]");
        assert_eq!(
            s.release_approvals(tool.id, T0).await.unwrap(),
            vec![
                ("v1.0-rc1".to_owned(), at, Some(v1.id)),
                ("v0.9".to_owned(), plain.published_at.unwrap(), None),
            ],
            "[{l}]"
        );
        // A new vote on the failed candidate may follow.
        let v3 = s
            .open_vote(release_vote(&p, project.id, rc2.id, &bob))
            .await
            .unwrap();
        // Deleting a release keeps its votes, the program's record, without it.
        s.delete_release(tool.id, rc2.id).await.unwrap();
        assert!(
            s.votes_of_release(rc2.id).await.unwrap().is_empty(),
            "[{l}]"
        );
        for id in [v2.id, v3.id] {
            let kept = s.vote_by_id(id).await.unwrap().expect("vote kept");
            assert_eq!(kept.release_id, None, "[{l}]");
        }
        let audit = s
            .audit_log(p.id, AuditFilter::default(), 100)
            .await
            .unwrap();
        assert!(
            audit.iter().any(|e| e.action == "release.published"),
            "[{l}]"
        );
    }
}

#[tokio::test]
async fn accepted_proposals_create_projects_and_stage_votes_move_them() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let bob = user(&s, "bob").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = team(&s, &asf, "ipmc", &[&ann]).await;
        let p = program(&s, &asf, "incubator", &ann).await;
        s.set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        let r1 = repo(&s, bob.id, "one").await;
        let r2 = repo(&s, bob.id, "two").await;
        // A project already holds the slug: a proposal cannot take it (no silent suffix
        // later), so this one asks for another.
        s.create_project(
            &NewProject {
                program_id: p.id,
                proposal_id: None,
                slug: "thing".into(),
                name: "Old".into(),
                description: String::new(),
                sponsor: String::new(),
                stage: "retired".into(),
                started_at: T0,
                reporting_group: None,
                roster: Vec::new(),
                repo_ids: Vec::new(),
            },
            Some(ann.id),
            T0,
        )
        .await
        .unwrap();
        let taken = s
            .create_proposal(p.id, bob.id, &content("Thing", vec![]), T0)
            .await;
        assert!(
            matches!(taken, Err(StoreError::Conflict(ConflictField::Name))),
            "{l}: {taken:?}"
        );
        let prop = discussed(&s, &p, &bob, "thing-2", vec![r1.id, r2.id]).await;
        let v = s.open_vote(accept_vote(&p, &prop, &ann, T0)).await.unwrap();
        let new_project = NewProject {
            program_id: p.id,
            proposal_id: Some(prop.id),
            slug: "thing-2".into(),
            name: "Thing".into(),
            description: "does things".into(),
            sponsor: "Incubator".into(),
            stage: "current".into(),
            started_at: T0 + 72 * HOUR,
            reporting_group: None,
            roster: vec![
                NewRosterEntry {
                    user_id: Some(bob.id),
                    name: "bob".into(),
                    role: "committer".into(),
                    affiliation: "ACME".into(),
                },
                NewRosterEntry {
                    user_id: Some(ann.id),
                    name: "ann".into(),
                    role: "mentor".into(),
                    affiliation: String::new(),
                },
            ],
            repo_ids: vec![r1.id, r2.id],
        };
        let closed = s
            .close_vote(v.id, T0 + 72 * HOUR, |_, _| {
                Some(closing(
                    VoteState::Passed,
                    VoteEffect::Proposal {
                        proposal_id: prop.id,
                        to: ProposalState::Accepted,
                        project: Some(new_project),
                    },
                ))
            })
            .await
            .unwrap()
            .unwrap();
        let project = closed.project.expect("project created");
        assert_eq!(project.slug, "thing-2", "{l}");
        assert_eq!(project.stage, "current", "{l}");
        assert_eq!(project.started_at, T0 + 72 * HOUR, "{l}");
        assert_eq!(project.proposal_id, Some(prop.id), "{l}");
        assert_eq!(
            s.project_by_slug(p.id, "THING-2").await.unwrap(),
            Some(project.clone())
        );
        assert_eq!(s.project_repo_ids(project.id).await.unwrap(), {
            let mut ids = vec![r1.id, r2.id];
            ids.sort();
            ids
        });
        assert_eq!(s.project_repos(project.id).await.unwrap().len(), 2, "{l}");
        assert_eq!(
            s.projects_of_repo(r1.id).await.unwrap(),
            std::slice::from_ref(&project),
            "{l}"
        );
        let roster = s.project_roster(project.id).await.unwrap();
        assert_eq!(
            roster
                .iter()
                .map(|r| (r.role.as_str(), r.affiliation.as_str()))
                .collect::<Vec<_>>(),
            [("committer", "ACME"), ("mentor", "")],
            "{l}"
        );
        assert_eq!(
            s.roster_roles(project.id, ann.id).await.unwrap(),
            ["mentor"]
        );
        let entry = s
            .add_roster_entry(
                project.id,
                &NewRosterEntry {
                    user_id: None,
                    name: "Dee".into(),
                    role: "committer".into(),
                    affiliation: "Uni".into(),
                },
                Some(ann.id),
                T0 + 80 * HOUR,
            )
            .await
            .unwrap();
        s.end_roster_entry(project.id, entry, Some(ann.id), T0 + 90 * HOUR)
            .await
            .unwrap();
        assert!(matches!(
            s.end_roster_entry(project.id, entry, Some(ann.id), T0 + 91 * HOUR)
                .await,
            Err(StoreError::NotFound)
        ));
        // Someone holding a role is not added to it twice (an account, or a name without
        // one, in any case); once the role ended they may be again.
        let dee = |role: &str, name: &str| NewRosterEntry {
            user_id: None,
            name: name.into(),
            role: role.into(),
            affiliation: String::new(),
        };
        let ann_mentor = NewRosterEntry {
            user_id: Some(ann.id),
            name: "Ann".into(),
            role: "mentor".into(),
            affiliation: String::new(),
        };
        assert!(
            matches!(
                s.add_roster_entry(project.id, &ann_mentor, Some(ann.id), T0 + 91 * HOUR)
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{l}"
        );
        let again = s
            .add_roster_entry(project.id, &dee("committer", "DEE"), None, T0 + 91 * HOUR)
            .await
            .unwrap();
        assert!(
            matches!(
                s.add_roster_entry(project.id, &dee("committer", "dee"), None, T0 + 91 * HOUR)
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{l}"
        );
        let champion = s
            .add_roster_entry(project.id, &dee("champion", "Dee"), None, T0 + 91 * HOUR)
            .await
            .unwrap();
        // Removal deletes an entry made by mistake; it is then gone from the history.
        s.remove_roster_entry(project.id, champion, Some(ann.id), T0 + 92 * HOUR)
            .await
            .unwrap();
        assert!(matches!(
            s.remove_roster_entry(project.id, champion, Some(ann.id), T0 + 92 * HOUR)
                .await,
            Err(StoreError::NotFound)
        ));
        let roster = s.project_roster(project.id).await.unwrap();
        assert!(roster.iter().all(|r| r.id != champion), "{l}");
        assert_eq!(
            roster
                .iter()
                .filter(|r| r.name.eq_ignore_ascii_case("dee"))
                .map(|r| (r.id, r.ended_at))
                .collect::<Vec<_>>(),
            [(entry, Some(T0 + 90 * HOUR)), (again, None)],
            "{l}"
        );
        // Linking and unlinking repositories.
        let r3 = repo(&s, ann.id, "extra").await;
        s.link_project_repo(project.id, r3.id, Some(ann.id), T0 + 93 * HOUR)
            .await
            .unwrap();
        assert!(matches!(
            s.link_project_repo(project.id, r3.id, Some(ann.id), T0 + 93 * HOUR)
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            s.project_repo_ids(project.id)
                .await
                .unwrap()
                .contains(&r3.id)
        );
        s.unlink_project_repo(project.id, r3.id, Some(ann.id), T0 + 94 * HOUR)
            .await
            .unwrap();
        assert!(matches!(
            s.unlink_project_repo(project.id, r3.id, Some(ann.id), T0 + 94 * HOUR)
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(
            !s.project_repo_ids(project.id)
                .await
                .unwrap()
                .contains(&r3.id)
        );
        let actions: Vec<String> = s
            .audit_log(p.id, AuditFilter::default(), 500)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        for want in ["roster.removed", "repo.linked", "repo.unlinked"] {
            assert!(actions.iter().any(|a| a == want), "{l}: {want}");
        }

        // A retirement vote makes the repositories read-only in the same transaction.
        let config = p.template.vote_rules[&VoteKind::Retire];
        let retire = NewVote {
            program_id: p.id,
            kind: VoteKind::Retire,
            subject: VoteSubject::Project {
                id: project.id,
                target_stage: "retired".into(),
            },
            title: "Retire",
            config,
            document_url: "",
            opened_by: ann.id,
            opened_at: T0 + 100 * HOUR,
            min_close_at: T0 + 172 * HOUR,
            deadline_at: T0 + 172 * HOUR,
        };
        let rv = s.open_vote(retire).await.unwrap();
        let second = NewVote {
            program_id: p.id,
            kind: VoteKind::Graduate,
            subject: VoteSubject::Project {
                id: project.id,
                target_stage: "graduated".into(),
            },
            title: "again",
            config,
            document_url: "",
            opened_by: ann.id,
            opened_at: T0 + 100 * HOUR,
            min_close_at: T0 + 172 * HOUR,
            deadline_at: T0 + 172 * HOUR,
        };
        assert!(
            matches!(s.open_vote(second).await, Err(StoreError::Stale)),
            "{l}: one open vote per project"
        );
        let stage = StageMove {
            project_id: project.id,
            from: "current".into(),
            to: "retired".into(),
            ends: true,
            resolution: "Retired".into(),
            read_only: true,
        };
        let closed = s
            .close_vote(rv.id, T0 + 172 * HOUR, |_, _| {
                Some(closing(VoteState::Passed, VoteEffect::Stage(stage.clone())))
            })
            .await
            .unwrap()
            .unwrap();
        assert!(closed.stage_changed, "{l}");
        let project = s.project_by_id(project.id).await.unwrap().unwrap();
        assert_eq!(project.stage, "retired", "{l}");
        assert_eq!(project.ended_at, Some(T0 + 172 * HOUR), "{l}");
        assert_eq!(project.resolution, "Retired", "{l}");
        for r in [&r1, &r2] {
            assert!(s.repo_by_id(r.id).await.unwrap().unwrap().read_only, "{l}");
        }
        // Retirement ends every open role with its date; ended ones keep theirs.
        let roster = s.project_roster(project.id).await.unwrap();
        assert!(
            roster.iter().all(|r| r.ended_at.is_some()),
            "{l}: {roster:?}"
        );
        assert!(
            roster
                .iter()
                .any(|r| r.id == again && r.ended_at == Some(T0 + 172 * HOUR)),
            "{l}"
        );
        assert!(
            roster
                .iter()
                .any(|r| r.id == entry && r.ended_at == Some(T0 + 90 * HOUR)),
            "{l}"
        );
        assert!(s.roster_roles(project.id, ann.id).await.unwrap().is_empty());

        // A decision recorded by hand names where it was taken; stale unless in `from`.
        let hand = s
            .change_project_stage(StageChange {
                change: stage.clone(),
                actor_id: Some(ann.id),
                reference: "https://example.org/minutes",
                now: T0 + 200 * HOUR,
            })
            .await;
        assert!(matches!(hand, Err(StoreError::Stale)), "{l}");
        let log = s
            .audit_log(
                p.id,
                AuditFilter {
                    project_id: Some(project.id),
                    ..AuditFilter::default()
                },
                100,
            )
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "project.created",
                "roster.added",
                "roster.ended",
                "roster.added",
                "roster.added",
                "roster.removed",
                "repo.linked",
                "repo.unlinked",
                "vote.opened",
                "vote.closed",
                "project.stage"
            ],
            "{l}"
        );
    }
}

#[tokio::test]
async fn transfers_move_repositories_and_leave_redirects() {
    for s in stores().await {
        let l = s.label();
        let bob = user(&s, "bob").await;
        let asf = org(&s, &bob, "asf").await;
        let r = repo(&s, bob.id, "Thing").await;
        let taken = repo(&s, bob.id, "taken").await;
        repo(&s, asf.id, "TAKEN").await;

        let (before, after) = s.transfer_repo(r.id, asf.id, T0).await.unwrap();
        assert_eq!(
            (before.owner_name.as_str(), after.owner_name.as_str()),
            ("bob", "asf")
        );
        assert_eq!(after.name, "Thing", "{l}");
        assert_eq!(
            s.repo_redirect("BOB", "thing").await.unwrap().map(|r| r.id),
            Some(r.id),
            "{l}"
        );
        assert_eq!(
            s.repo_by_name("asf", "thing").await.unwrap().map(|r| r.id),
            Some(r.id)
        );
        // The name is taken in the new owner: refused, nothing changed.
        let refused = s.transfer_repo(taken.id, asf.id, T0).await;
        assert!(
            matches!(refused, Err(StoreError::Conflict(ConflictField::Name))),
            "{l}: {refused:?}"
        );
        assert_eq!(
            s.repo_by_id(taken.id).await.unwrap().unwrap().owner_id,
            bob.id
        );
        assert_eq!(s.repo_redirect("bob", "taken").await.unwrap(), None, "{l}");
        // Moving back drops the redirect that now names a real repository.
        s.transfer_repo(r.id, bob.id, T0 + 1).await.unwrap();
        assert_eq!(s.repo_redirect("bob", "thing").await.unwrap(), None, "{l}");
        assert_eq!(
            s.repo_redirect("asf", "thing").await.unwrap().map(|r| r.id),
            Some(r.id),
            "{l}"
        );
        s.add_repo_redirect("Old", "Name", r.id, T0).await.unwrap();
        assert!(s.repo_redirect("old", "name").await.unwrap().is_some());
        s.remove_repo_redirect("old", "NAME").await.unwrap();
        assert!(s.repo_redirect("old", "name").await.unwrap().is_none());
        assert!(matches!(
            s.transfer_repo(i64::MAX, asf.id, T0).await,
            Err(StoreError::NotFound)
        ));
    }
}

// ---- Reports and checklists ----

#[tokio::test]
async fn reports_are_created_once_per_period_and_signed_off() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let bob = user(&s, "bob").await;
        let asf = org(&s, &ann, "asf").await;
        let p = program(&s, &asf, "incubator", &ann).await;
        let project = s
            .create_project(
                &NewProject {
                    program_id: p.id,
                    proposal_id: None,
                    slug: "thing".into(),
                    name: "Thing".into(),
                    description: String::new(),
                    sponsor: String::new(),
                    stage: "current".into(),
                    started_at: T0,
                    reporting_group: None,
                    roster: Vec::new(),
                    repo_ids: Vec::new(),
                },
                Some(ann.id),
                T0,
            )
            .await
            .unwrap();
        let dup = s
            .create_project(
                &NewProject {
                    program_id: p.id,
                    proposal_id: None,
                    slug: "THING".into(),
                    name: "Thing".into(),
                    description: String::new(),
                    sponsor: String::new(),
                    stage: "current".into(),
                    started_at: T0,
                    reporting_group: None,
                    roster: Vec::new(),
                    repo_ids: Vec::new(),
                },
                Some(ann.id),
                T0,
            )
            .await;
        assert!(matches!(
            dup,
            Err(StoreError::Conflict(ConflictField::Name))
        ));

        let sections = BTreeMap::from([("issues".to_owned(), String::new())]);
        let (r1, created) = s
            .ensure_report(project.id, T0, T0 + 30 * DAY, T0 + 37 * DAY, &sections, T0)
            .await
            .unwrap();
        assert!(created, "{l}");
        let (again, created) = s
            .ensure_report(
                project.id,
                T0,
                T0 + 30 * DAY,
                T0 + 37 * DAY,
                &sections,
                T0 + 1,
            )
            .await
            .unwrap();
        assert!(!created, "{l}");
        assert_eq!(again, r1, "{l}");
        let (r2, _) = s
            .ensure_report(
                project.id,
                T0 + 30 * DAY,
                T0 + 60 * DAY,
                T0 + 67 * DAY,
                &sections,
                T0,
            )
            .await
            .unwrap();
        assert_eq!(r1.state, ReportState::Draft, "{l}");

        let filled = BTreeMap::from([("issues".to_owned(), "none".to_owned())]);
        let metrics = serde_json::json!({"commits": 3});
        let r1 = s
            .update_report(r1.id, 1, &filled, Some(&metrics), T0 + DAY)
            .await
            .unwrap();
        assert_eq!((r1.version, &r1.metrics), (2, &metrics), "{l}");
        assert!(matches!(
            s.update_report(r1.id, 1, &filled, None, T0 + DAY).await,
            Err(StoreError::Stale)
        ));
        // Overdue: not submitted by its due date.
        let overdue = s.overdue_reports(p.id, T0 + 38 * DAY, false).await.unwrap();
        assert_eq!(overdue.iter().map(|r| r.id).collect::<Vec<_>>(), [r1.id]);
        assert!(matches!(
            s.sign_off_report(r1.id, ann.id, "", T0).await,
            Err(StoreError::Stale)
        ));
        let r1 = s
            .submit_report(r1.id, 2, bob.id, T0 + 38 * DAY)
            .await
            .unwrap();
        assert_eq!(r1.state, ReportState::Submitted, "{l}");
        assert_eq!(r1.submitted_by.as_ref().map(|p| p.id), Some(bob.id));
        assert!(matches!(
            s.update_report(r1.id, r1.version, &filled, None, T0).await,
            Err(StoreError::Stale)
        ));
        assert!(
            s.overdue_reports(p.id, T0 + 38 * DAY, false)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            s.overdue_reports(p.id, T0 + 38 * DAY, true)
                .await
                .unwrap()
                .len(),
            1,
            "{l}: submitted but not signed off"
        );
        let r1 = s
            .sign_off_report(r1.id, ann.id, "looks good", T0 + 39 * DAY)
            .await
            .unwrap();
        assert_eq!(r1.state, ReportState::SignedOff, "{l}");
        let offs = s.report_signoffs(r1.id).await.unwrap();
        assert_eq!(offs.len(), 1);
        assert_eq!(offs[0].comment, "looks good");
        assert_eq!(
            s.reports_of_project(project.id)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            [r1.id, r2.id]
        );

        // Checklist: a person's exemption survives an automatic evaluation.
        let auto = |code: &str, status| NewChecklistEntry {
            item_code: code.into(),
            status,
            reason: String::new(),
            evidence: serde_json::json!({"path": "LICENSE"}),
            evaluated_by: None,
            evaluator: "license_file".into(),
        };
        s.set_checklist_results(
            project.id,
            &[
                NewChecklistEntry {
                    item_code: "CD10".into(),
                    status: ChecklistStatus::Exempt,
                    reason: "dual licensed".into(),
                    evidence: serde_json::json!({}),
                    evaluated_by: Some(ann.id),
                    evaluator: String::new(),
                },
                auto("QU30", ChecklistStatus::Fail),
            ],
            Some(ann.id),
            T0,
        )
        .await
        .unwrap();
        let written = s
            .set_checklist_results(
                project.id,
                &[
                    auto("CD10", ChecklistStatus::Fail),
                    auto("QU30", ChecklistStatus::Pass),
                ],
                None,
                T0 + 1,
            )
            .await
            .unwrap();
        assert_eq!(written, 1, "{l}");
        let results = s.checklist_results(project.id).await.unwrap();
        let by_code: Vec<(&str, ChecklistStatus, &str)> = results
            .iter()
            .map(|r| (r.item_code.as_str(), r.status, r.reason.as_str()))
            .collect();
        assert_eq!(
            by_code,
            [
                ("CD10", ChecklistStatus::Exempt, "dual licensed"),
                ("QU30", ChecklistStatus::Pass, "")
            ],
            "{l}"
        );
        assert_eq!(results[0].evaluated_by.as_ref().map(|p| p.id), Some(ann.id));
        assert_eq!(results[1].evaluator, "license_file");
        assert_eq!(results[1].evidence["path"], "LICENSE");
        let log = s
            .audit_log(p.id, AuditFilter::default(), 100)
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "program.created",
                "project.created",
                "report.submitted",
                "report.signed_off",
                "checklist.set",
                "checklist.evaluated",
                "checklist.evaluated"
            ],
            "{l}"
        );
    }
}
