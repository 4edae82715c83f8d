//! Votes: opened by a committee member on a proposal in discussion (after the program's
//! minimum discussion) or on a project's transition; the electorate is the committee as it
//! stands then; anyone signed in casts a ballot (+1, 0, -1, with a comment), binding only
//! for the electorate, changeable until the vote closes; the tally is live while open and
//! frozen at close (see [`super::closer`]).

use hatchery_core::incubator::{
    Ballot, BallotValue, Phase, ProposalEvent, VoteKind, VoteState, VoteWindow, decide,
    discussion_complete, may_transition, proposal_transition,
};
use hatchery_core::policy::ProgramFacts;
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_store::{
    BallotCast, NewVote, Person, Program, Project, Proposal, StoreError, StoredBallot, TallyRecord,
    Vote, VoteSubject,
};

use super::{IncubatorError, NOTE_MAX, Subject, check, text, user_id};
use crate::Forge;

/// What a vote is opened on.
#[derive(Debug, Clone, Copy)]
pub enum VoteOn<'a> {
    /// Accepting a proposal in discussion, at its current version.
    Proposal(&'a Proposal),
    /// Moving a project to `to_stage` by a `kind` decision (advance, graduate, retire),
    /// with a link to the document voted on (required for graduation where the program
    /// asks for due diligence; empty otherwise).
    Project {
        project: &'a Project,
        kind: VoteKind,
        to_stage: &'a str,
        document_url: &'a str,
    },
}

/// A vote as its page shows it.
#[derive(Debug, Clone)]
pub struct VoteStatus {
    pub vote: Vote,
    pub ballots: Vec<StoredBallot>,
    /// The binding voters frozen when it opened.
    pub electorate: Vec<Person>,
    /// Live while open (what the ballots decide now), frozen once closed.
    pub tally: TallyRecord,
    /// Where an open vote stands in its window; `None` once closed.
    pub phase: Option<Phase>,
    /// When it closes at the latest.
    pub closes_at: i64,
}

/// The window a stored vote runs in.
pub(crate) fn window_of(vote: &Vote) -> VoteWindow {
    VoteWindow::new(
        vote.opened_at,
        vote.min_close_at - vote.opened_at,
        vote.deadline_at,
    )
}

pub(crate) fn core_ballots(ballots: &[StoredBallot]) -> Vec<Ballot> {
    ballots
        .iter()
        .map(|b| Ballot {
            voter_id: b.voter.id,
            value: b.value,
            binding: b.binding,
        })
        .collect()
}

/// The tally of `vote` with these ballots at `now`.
pub(crate) fn live_tally(vote: &Vote, ballots: &[StoredBallot], now: i64) -> TallyRecord {
    let electorate = u32::try_from(vote.electorate_size).unwrap_or(u32::MAX);
    let t = decide(
        &vote.config.rule,
        electorate,
        &core_ballots(ballots),
        &window_of(vote),
        now,
    );
    TallyRecord::of(&t, electorate)
}

impl Forge {
    /// Opens a vote; committee members only. On a proposal: it must be in discussion and
    /// discussed for the program's minimum days; it moves to voting. On a project: the
    /// transition must be one the program allows from its stage, and no other vote on it
    /// may be open. The electorate is the committee as it stands now.
    pub async fn open_vote(
        &self,
        actor: Actor,
        program: &Program,
        on: VoteOn<'_>,
        now: i64,
    ) -> Result<Vote, IncubatorError> {
        let subject = match on {
            VoteOn::Proposal(p) => Subject {
                proposal: Some(p),
                project: None,
            },
            VoteOn::Project { project, .. } => Subject {
                proposal: None,
                project: Some(project),
            },
        };
        self.authorize_program(actor, Action::OpenVote, program, subject)
            .await?;
        let opener = user_id(actor)?;
        if program.committee_team_id.is_none() {
            return Err(IncubatorError::NoCommittee);
        }
        let template = &program.template;
        let mut document = String::new();
        let (kind, subject, title) = match on {
            VoteOn::Proposal(p) => {
                if p.program_id != program.id {
                    return Err(IncubatorError::NotFound);
                }
                proposal_transition(p.state, ProposalEvent::CallVote)?;
                let started = p.discussion_started_at.unwrap_or(p.updated_at);
                if !discussion_complete(started, now, template.discussion_min_days) {
                    return Err(IncubatorError::DiscussionRunning {
                        until_ms: started
                            .saturating_add(i64::from(template.discussion_min_days) * 86_400_000),
                    });
                }
                (
                    VoteKind::AcceptProposal,
                    VoteSubject::Proposal {
                        id: p.id,
                        version: p.version,
                    },
                    format!("Accept proposal #{}: {}", p.number, p.name),
                )
            }
            VoteOn::Project {
                project,
                kind,
                to_stage,
                document_url,
            } => {
                if project.program_id != program.id {
                    return Err(IncubatorError::NotFound);
                }
                may_transition(template, &project.stage, to_stage, kind)?;
                let open = self.store.votes_of_project(project.id).await?;
                if open
                    .iter()
                    .any(|v| !v.state.is_closed() && v.kind.changes_stage())
                {
                    return Err(IncubatorError::VoteAlreadyOpen);
                }
                if self.store.pending_graduation(project.id).await?.is_some() {
                    return Err(IncubatorError::GraduationPending);
                }
                document = super::elections::document_url("document_url", document_url)?;
                if kind == VoteKind::Graduate
                    && template.graduation.due_diligence
                    && document.is_empty()
                {
                    return Err(IncubatorError::DocumentRequired);
                }
                let stage_name = template.stage(to_stage).map_or(to_stage, |s| s.name.en());
                (
                    kind,
                    VoteSubject::Project {
                        id: project.id,
                        target_stage: to_stage.to_owned(),
                    },
                    format!("{}: {} -> {}", project.name, project.stage, stage_name),
                )
            }
        };
        let config = *template
            .vote_config(kind)
            .ok_or_else(|| super::field("kind", format!("the program has no rule for {kind}")))?;
        let window = config.window(now);
        let is_proposal = matches!(subject, VoteSubject::Proposal { .. });
        let opened = self
            .store
            .open_vote(NewVote {
                program_id: program.id,
                kind,
                subject,
                title: &title,
                config,
                document_url: &document,
                opened_by: opener,
                opened_at: now,
                min_close_at: window.min_end_ms(),
                deadline_at: window.closes_at_ms(),
            })
            .await;
        let vote = match (opened, on) {
            (Ok(v), _) => v,
            (Err(StoreError::Stale), _) if !is_proposal => {
                return Err(IncubatorError::VoteAlreadyOpen);
            }
            // The project the proposal would become needs its slug, which is held.
            (Err(StoreError::Conflict(_)), VoteOn::Proposal(p)) => {
                return Err(self.slug_taken(program, &p.slug, Some(p.id)).await);
            }
            (Err(e), _) => return Err(e.into()),
        };
        self.wake_vote_closer();
        let proposal = match on {
            VoteOn::Proposal(p) => Some(p),
            VoteOn::Project { .. } => None,
        };
        self.vote_opened_event(program, &vote, proposal, actor)
            .await;
        Ok(vote)
    }

    /// Vote `id` of the program.
    pub async fn vote(&self, program: &Program, id: i64) -> Result<Vote, IncubatorError> {
        self.store
            .vote_by_id(id)
            .await?
            .filter(|v| v.program_id == program.id)
            .ok_or(IncubatorError::NotFound)
    }

    /// The program's votes, newest first; only open ones when `open_only`.
    pub async fn program_votes(
        &self,
        program: &Program,
        open_only: bool,
    ) -> Result<Vec<Vote>, IncubatorError> {
        Ok(self.store.votes_of_program(program.id, open_only).await?)
    }

    /// The vote that accepted the project's proposal (and so created the project); `None`
    /// for a project that came from no proposal.
    pub async fn acceptance_vote(&self, project: &Project) -> Result<Option<Vote>, IncubatorError> {
        let Some(proposal_id) = project.proposal_id else {
            return Ok(None);
        };
        Ok(self
            .store
            .votes_of_proposal(proposal_id)
            .await?
            .into_iter()
            .filter(|v| v.kind == VoteKind::AcceptProposal && v.state == VoteState::Passed)
            .max_by_key(|v| v.closed_at))
    }

    /// Casts or changes `actor`'s ballot. Anyone signed in may vote; the ballot is
    /// binding exactly when the voter is in the electorate frozen when the vote opened.
    /// Refused once the vote is closed or its deadline has passed.
    pub async fn cast_ballot(
        &self,
        actor: Actor,
        program: &Program,
        vote: &Vote,
        value: BallotValue,
        comment: &str,
        now: i64,
    ) -> Result<StoredBallot, IncubatorError> {
        if vote.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        let facts = self
            .program_facts(actor, program, Subject::default())
            .await?;
        check(authorize(actor, Action::CastVote, Resource::Program(facts)))?;
        let voter = user_id(actor)?;
        let comment = text("comment", comment, NOTE_MAX)?;
        if vote.state.is_closed() || now >= window_of(vote).closes_at_ms() {
            return Err(IncubatorError::VoteClosed);
        }
        let cast = self
            .store
            .cast_ballot(vote.id, voter, value, &comment, now)
            .await?;
        let BallotCast::Recorded { ballot, .. } = cast else {
            return Err(IncubatorError::VoteClosed);
        };
        // The store decides bindingness from the snapshot in the ballot's transaction; the
        // policy says the same about the same fact.
        let in_electorate = ProgramFacts {
            committee_member: ballot.binding,
            ..facts
        };
        debug_assert_eq!(
            authorize(
                actor,
                Action::CastBindingVote,
                Resource::Program(in_electorate)
            )
            .is_allowed(),
            ballot.binding
        );
        // A ballot can settle a vote before its deadline.
        self.wake_vote_closer();
        Ok(ballot)
    }

    /// Whether `actor`'s ballots on `vote` count.
    pub async fn is_binding_voter(
        &self,
        actor: Actor,
        vote: &Vote,
    ) -> Result<bool, IncubatorError> {
        let Some(uid) = actor.user_id() else {
            return Ok(false);
        };
        let facts = ProgramFacts {
            committee_member: self.store.in_electorate(vote.id, uid).await?,
            ..ProgramFacts::default()
        };
        Ok(authorize(actor, Action::CastBindingVote, Resource::Program(facts)).is_allowed())
    }

    /// The vote with its ballots, electorate and tally: live at `now` while open, as
    /// frozen at close afterwards.
    pub async fn vote_status(&self, vote: &Vote, now: i64) -> Result<VoteStatus, IncubatorError> {
        let ballots = self.store.ballots(vote.id).await?;
        let electorate = self.store.electorate(vote.id).await?;
        let window = window_of(vote);
        let (tally, phase) = match &vote.tally {
            Some(frozen) if vote.state.is_closed() => (frozen.clone(), None),
            _ if vote.state.is_closed() => {
                // Cancelled: counted as it stood, for the record.
                let mut t = live_tally(vote, &ballots, now);
                t.outcome = vote.state.as_str().to_owned();
                (t, None)
            }
            _ => (live_tally(vote, &ballots, now), Some(window.phase(now))),
        };
        Ok(VoteStatus {
            vote: vote.clone(),
            ballots,
            electorate,
            tally,
            phase,
            closes_at: window.closes_at_ms(),
        })
    }
}
