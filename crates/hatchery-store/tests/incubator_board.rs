//! Conformance suite for elections, votes of a program's own kinds and recommendations to
//! graduate (migration 0028), on every store from `testing::stores()` (SQLite always,
//! PostgreSQL too when `HATCHERY_TEST_PG_URL` is set).

use hatchery_core::AccessLevel;
use hatchery_core::incubator::{Board, GraduationState, Preset, VoteKind, VoteState, preset};
use hatchery_store::testing::fixtures::{self, org, user};
use hatchery_store::testing::stores;
use hatchery_store::{
    AuditFilter, Closing, GraduationDecision, NamedPerson, NewGraduation, NewProgram, NewProject,
    NewRosterEntry, NewVote, Program, Project, ReportTemplate, StageMove, Store, StoreError,
    TallyRecord, Vote, VoteEffect, VoteSubject,
};

const HOUR: i64 = 3_600_000;
/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

fn entry(user_id: Option<i64>, name: &str, role: &str) -> NewRosterEntry {
    NewRosterEntry {
        user_id,
        name: name.into(),
        role: role.into(),
        affiliation: String::new(),
    }
}

async fn project(s: &Store, p: &Program, slug: &str, roster: Vec<NewRosterEntry>) -> Project {
    s.create_project(
        &NewProject {
            program_id: p.id,
            proposal_id: None,
            slug: slug.into(),
            name: slug.into(),
            description: String::new(),
            sponsor: String::new(),
            stage: "current".into(),
            started_at: T0,
            reporting_group: None,
            roster,
            repo_ids: Vec::new(),
        },
        None,
        T0,
    )
    .await
    .expect("project")
}

fn vote<'a>(p: &Program, kind: VoteKind, subject: VoteSubject, by: i64) -> NewVote<'a> {
    let config = match p.template.vote_config(kind) {
        Some(c) => *c,
        None => p.template.vote_rules[&VoteKind::Graduate],
    };
    NewVote {
        program_id: p.id,
        kind,
        subject,
        title: "A vote",
        config,
        document_url: "",
        opened_by: by,
        opened_at: T0,
        min_close_at: T0 + 72 * HOUR,
        deadline_at: T0 + 72 * HOUR,
    }
}

async fn close(s: &Store, v: &Vote, effect: VoteEffect) -> hatchery_store::ClosedVote {
    s.close_vote(v.id, T0 + 72 * HOUR, |_, _| {
        Some(Closing {
            state: VoteState::Passed,
            tally: TallyRecord::default(),
            effect,
        })
    })
    .await
    .expect("close")
    .expect("closed")
}

fn names(people: &[hatchery_store::Person]) -> Vec<&str> {
    let mut n: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
    n.sort_unstable();
    n
}

#[tokio::test]
async fn elections_freeze_the_projects_voters_and_add_the_elected() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let pat = user(&s, "pat").await;
        let mia = user(&s, "mia").await;
        let cy = user(&s, "cy").await;
        let newbie = user(&s, "newbie").await;
        let asf = org(&s, &ann, "asf").await;
        let ipmc = fixtures::team(&s, asf.id, "ipmc", AccessLevel::Read).await;
        s.add_team_member(ipmc.id, ann.id).await.unwrap();
        let p = s
            .create_program(NewProgram {
                org_id: asf.id,
                slug: "incubator",
                name: "Incubator",
                description: "",
                preset: "apache",
                template: &preset(Preset::Apache),
                report_template: &ReportTemplate::default(),
                actor_id: Some(ann.id),
                now: T0,
            })
            .await
            .unwrap();
        let p = s
            .set_program_committee(p.id, Some(ipmc.id), None, T0)
            .await
            .unwrap();
        let pr = project(
            &s,
            &p,
            "widget",
            vec![
                entry(Some(pat.id), "Pat", "ppmc"),
                entry(Some(mia.id), "Mia", "mentor"),
                entry(Some(mia.id), "Mia", "ppmc"),
                entry(None, "Offline Olga", "mentor"),
                entry(Some(cy.id), "Cy", "committer"),
            ],
        )
        .await;

        // The PPMC and mentors with accounts vote, each once; the committee does not.
        let nominee = entry(Some(newbie.id), "Newbie", "committer");
        let election = s
            .open_vote(vote(
                &p,
                VoteKind::Committer,
                VoteSubject::Election {
                    project_id: pr.id,
                    nominee: nominee.clone(),
                },
                pat.id,
            ))
            .await
            .unwrap();
        assert_eq!(
            names(&s.electorate(election.id).await.unwrap()),
            ["mia", "pat"],
            "{l}"
        );
        assert_eq!(election.electorate_size, 2, "{l}");
        assert_eq!(
            election.nominee,
            Some(NamedPerson {
                user_id: Some(newbie.id),
                username: "newbie".into(),
                name: "Newbie".into(),
                affiliation: String::new(),
            }),
            "{l}"
        );
        assert!(s.in_electorate(election.id, pat.id).await.unwrap(), "{l}");
        assert!(!s.in_electorate(election.id, ann.id).await.unwrap(), "{l}");
        // One open election of a person to a role; another role is another election.
        let again = s
            .open_vote(vote(
                &p,
                VoteKind::Committer,
                VoteSubject::Election {
                    project_id: pr.id,
                    nominee: nominee.clone(),
                },
                pat.id,
            ))
            .await;
        assert!(matches!(again, Err(StoreError::Stale)), "{l}: {again:?}");
        let ppmc_vote = s
            .open_vote(vote(
                &p,
                VoteKind::PpmcMember,
                VoteSubject::Election {
                    project_id: pr.id,
                    nominee: entry(Some(newbie.id), "Newbie", "ppmc"),
                },
                pat.id,
            ))
            .await
            .unwrap();
        // People without an account are told apart by name, whatever its case.
        let dana = entry(None, "Dana", "committer");
        s.open_vote(vote(
            &p,
            VoteKind::Committer,
            VoteSubject::Election {
                project_id: pr.id,
                nominee: dana.clone(),
            },
            pat.id,
        ))
        .await
        .unwrap();
        let dana_again = s
            .open_vote(vote(
                &p,
                VoteKind::Committer,
                VoteSubject::Election {
                    project_id: pr.id,
                    nominee: entry(None, "DANA", "committer"),
                },
                pat.id,
            ))
            .await;
        assert!(matches!(dana_again, Err(StoreError::Stale)), "{l}");
        // Elections do not block a stage vote.
        let stage = s
            .open_vote(vote(
                &p,
                VoteKind::Retire,
                VoteSubject::Project {
                    id: pr.id,
                    target_stage: "retired".into(),
                },
                ann.id,
            ))
            .await
            .unwrap();
        assert_eq!(stage.electorate_size, 1, "{l}");

        // Passing adds the person in the kind's role, once.
        let closed = close(
            &s,
            &election,
            VoteEffect::AddToRoster {
                project_id: pr.id,
                entry: nominee.clone(),
            },
        )
        .await;
        assert!(closed.roster_added, "{l}");
        let roster = s.project_roster(pr.id).await.unwrap();
        let added = roster
            .iter()
            .find(|e| e.user.as_ref().map(|u| u.id) == Some(newbie.id))
            .expect("added");
        assert_eq!(
            (added.role.as_str(), added.started_at),
            ("committer", T0 + 72 * HOUR),
            "{l}"
        );
        let closed = close(
            &s,
            &ppmc_vote,
            VoteEffect::AddToRoster {
                project_id: pr.id,
                entry: nominee,
            },
        )
        .await;
        assert!(!closed.roster_added, "{l}: already a committer");
        assert_eq!(
            s.project_roster(pr.id).await.unwrap().len(),
            roster.len(),
            "{l}"
        );

        // A vote of the program's own kind, written into the project's record.
        let custom = s
            .open_vote(NewVote {
                title: "Adopt the new logo",
                document_url: "https://example.org/logo.svg",
                ..vote(
                    &p,
                    VoteKind::Custom,
                    VoteSubject::Custom {
                        project_id: pr.id,
                        key: "logo".into(),
                    },
                    pat.id,
                )
            })
            .await
            .unwrap();
        assert_eq!(custom.custom_kind.as_deref(), Some("logo"), "{l}");
        assert_eq!(custom.document_url, "https://example.org/logo.svg", "{l}");
        let closed = close(
            &s,
            &custom,
            VoteEffect::RecordDecision { project_id: pr.id },
        )
        .await;
        assert!(closed.decision_recorded, "{l}");
        let log = s
            .audit_log(
                p.id,
                AuditFilter {
                    project_id: Some(pr.id),
                    ..AuditFilter::default()
                },
                100,
            )
            .await
            .unwrap();
        let decision = log
            .iter()
            .find(|a| a.action == "project.decision")
            .expect("recorded");
        assert_eq!(decision.vote_id, Some(custom.id), "{l}");
        assert_eq!(decision.detail["title"], "Adopt the new logo", "{l}");
        assert!(
            log.iter()
                .any(|a| a.action == "roster.added" && a.vote_id == Some(election.id))
        );
    }
}

#[tokio::test]
async fn recommendations_wait_for_one_board_decision() {
    for s in stores().await {
        let l = s.label();
        let ann = user(&s, "ann").await;
        let olive = user(&s, "olive").await;
        let asf = org(&s, &olive, "asf").await;
        let p = s
            .create_program(NewProgram {
                org_id: asf.id,
                slug: "incubator",
                name: "Incubator",
                description: "",
                preset: "apache",
                template: &preset(Preset::Apache),
                report_template: &ReportTemplate::default(),
                actor_id: Some(olive.id),
                now: T0,
            })
            .await
            .unwrap();
        let pr = project(&s, &p, "widget", Vec::new()).await;
        let grad = s
            .open_vote(vote(
                &p,
                VoteKind::Graduate,
                VoteSubject::Project {
                    id: pr.id,
                    target_stage: "graduated".into(),
                },
                ann.id,
            ))
            .await
            .unwrap();
        let recommend = |from: &str| VoteEffect::Recommend {
            graduation: NewGraduation {
                project_id: pr.id,
                target_stage: "graduated".into(),
                board: Board::Board,
                resolution: "Establish the Widget Project".into(),
                chair: "Ann".into(),
            },
            from_stage: from.into(),
        };
        let closed = close(&s, &grad, recommend("current")).await;
        let id = closed.graduation_id.expect("recommended");
        assert!(!closed.stage_changed, "{l}");
        let g = s.pending_graduation(pr.id).await.unwrap().expect("pending");
        assert_eq!(
            (g.id, g.state, g.version, g.board, g.vote_id),
            (
                id,
                GraduationState::Recommended,
                1,
                Board::Board,
                Some(grad.id)
            ),
            "{l}"
        );
        assert_eq!(
            s.project_by_id(pr.id).await.unwrap().unwrap().stage,
            "current"
        );
        // No stage vote while the board has not decided.
        let retire = s
            .open_vote(vote(
                &p,
                VoteKind::Retire,
                VoteSubject::Project {
                    id: pr.id,
                    target_stage: "retired".into(),
                },
                ann.id,
            ))
            .await;
        assert!(matches!(retire, Err(StoreError::Stale)), "{l}");
        // A second recommendation while one waits is not recorded.
        let again = s
            .open_vote(vote(
                &p,
                VoteKind::Custom,
                VoteSubject::Custom {
                    project_id: pr.id,
                    key: "k".into(),
                },
                ann.id,
            ))
            .await
            .unwrap();
        let closed = close(&s, &again, recommend("current")).await;
        assert_eq!(closed.graduation_id, None, "{l}");

        // Edits carry the version they started from.
        let g = s
            .edit_resolution(
                id,
                1,
                "Establish the Apache Widget Project",
                "Olive",
                Some(ann.id),
                T0,
            )
            .await
            .unwrap();
        assert_eq!((g.version, g.chair.as_str()), (2, "Olive"), "{l}");
        assert!(matches!(
            s.edit_resolution(id, 1, "older", "x", Some(ann.id), T0)
                .await,
            Err(StoreError::Stale)
        ));
        assert!(matches!(
            s.submit_resolution(id, 1, Some(ann.id), T0).await,
            Err(StoreError::Stale)
        ));
        let g = s
            .submit_resolution(id, 2, Some(ann.id), T0 + HOUR)
            .await
            .unwrap();
        assert_eq!(g.state, GraduationState::Submitted, "{l}");
        assert_eq!(g.submitted_by.as_ref().map(|p| p.id), Some(ann.id), "{l}");
        // Sent: the text is final.
        assert!(matches!(
            s.edit_resolution(id, 2, "changed", "x", Some(ann.id), T0)
                .await,
            Err(StoreError::Stale)
        ));
        let decision = |from, approved| GraduationDecision {
            id,
            from,
            approved,
            decision_date: "2024-02-21",
            reference: "https://example.org/minutes/2024-02",
            stage: approved.then(|| StageMove {
                project_id: pr.id,
                from: "current".into(),
                to: "graduated".into(),
                ends: true,
                resolution: "https://example.org/minutes/2024-02".into(),
                read_only: false,
            }),
            actor_id: Some(olive.id),
            now: T0 + 2 * HOUR,
        };
        assert!(matches!(
            s.decide_graduation(decision(GraduationState::Recommended, true))
                .await,
            Err(StoreError::Stale)
        ));
        let g = s
            .decide_graduation(decision(GraduationState::Submitted, true))
            .await
            .unwrap();
        assert_eq!(g.state, GraduationState::Approved, "{l}");
        assert_eq!(g.decision_date.as_deref(), Some("2024-02-21"), "{l}");
        assert_eq!(g.decided_by.as_ref().map(|p| p.id), Some(olive.id), "{l}");
        let moved = s.project_by_id(pr.id).await.unwrap().unwrap();
        assert_eq!(moved.stage, "graduated", "{l}");
        assert_eq!(moved.ended_at, Some(T0 + 2 * HOUR), "{l}");
        // Decided once.
        assert!(matches!(
            s.decide_graduation(decision(GraduationState::Submitted, false))
                .await,
            Err(StoreError::Stale)
        ));
        assert!(s.pending_graduation(pr.id).await.unwrap().is_none(), "{l}");

        // A rejection leaves the project where it was, and a new recommendation may follow.
        let other = project(&s, &p, "gadget", Vec::new()).await;
        let v = s
            .open_vote(vote(
                &p,
                VoteKind::Graduate,
                VoteSubject::Project {
                    id: other.id,
                    target_stage: "graduated".into(),
                },
                ann.id,
            ))
            .await
            .unwrap();
        let VoteEffect::Recommend { mut graduation, .. } = recommend("current") else {
            unreachable!()
        };
        graduation.project_id = other.id;
        graduation.board = Board::GoverningBoard;
        let closed = close(
            &s,
            &v,
            VoteEffect::Recommend {
                graduation,
                from_stage: "current".into(),
            },
        )
        .await;
        let gid = closed.graduation_id.expect("recommended");
        let g = s
            .decide_graduation(GraduationDecision {
                id: gid,
                from: GraduationState::Recommended,
                approved: false,
                decision_date: "2024-03-20",
                reference: "minutes of March",
                stage: None,
                actor_id: Some(olive.id),
                now: T0 + 3 * HOUR,
            })
            .await
            .unwrap();
        assert_eq!(
            (g.state, g.board),
            (GraduationState::Rejected, Board::GoverningBoard),
            "{l}"
        );
        assert_eq!(
            s.project_by_id(other.id).await.unwrap().unwrap().stage,
            "current"
        );
        assert!(
            s.pending_graduation(other.id).await.unwrap().is_none(),
            "{l}"
        );
        assert_eq!(
            s.graduations_of_project(other.id).await.unwrap().len(),
            1,
            "{l}"
        );

        let log = s
            .audit_log(p.id, AuditFilter::default(), 100)
            .await
            .unwrap();
        for action in [
            "graduation.recommended",
            "graduation.resolution_edited",
            "graduation.submitted",
            "graduation.decided",
            "project.stage",
        ] {
            assert!(log.iter().any(|a| a.action == action), "{l}: {action}");
        }
        let approved = log
            .iter()
            .find(|a| a.action == "graduation.decided" && a.detail["approved"] == true)
            .expect("decision");
        assert_eq!(
            approved.reference, "https://example.org/minutes/2024-02",
            "{l}"
        );
    }
}
