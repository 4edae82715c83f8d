//! Closing votes: the job that decides open votes from the database, and what a decided
//! vote does.
//!
//! [`Forge::close_due_votes`] looks at every open vote past its minimum duration and
//! tallies it with `hatchery_core::incubator::decide` on the ballots read under the vote's
//! lock; a vote decided (early, when no ballot still to come can change it, or at its
//! deadline) is closed with its effect in one transaction:
//! - accept passed: the proposal is accepted and its project created in the program's
//!   entry stage with its roster and repositories; then the repositories move into the
//!   program's organization (a name taken there is refused and recorded) and its checklist
//!   is judged;
//! - accept failed: the proposal is rejected;
//! - advance, graduate, retire passed: the project's stage changes (retirement makes its
//!   repositories read-only); failed: nothing moves;
//! - release passed: the release candidate is published (then the `release` `published`
//!   webhook goes out and the project's checklist is judged again); failed: it stays a
//!   candidate;
//! - graduate passed where the program's board decides graduation: the project is
//!   recommended, with a first draft of its board resolution when the program drafts one
//!   ([`super::graduation`]); nothing moves until the board's decision is recorded;
//! - committer or PPMC election passed: the person joins the project's roster in that
//!   role; a vote of the program's own kind passed: written into the project's record when
//!   its kind says so; failed: nothing.
//!
//! The store claims each close with `UPDATE ... WHERE state = 'open'`, so any number of
//! servers may run [`run_vote_closer`] on one database.

use std::future::Future;
use std::time::Duration;

use hatchery_core::incubator::{
    CustomEffect, Outcome, ProposalState, ReleaseVoteEffect, VoteKind, VoteState, decide,
    release_vote_effect,
};
use hatchery_store::{
    Closing, NewGraduation, NewProject, NewRosterEntry, Program, Project, Proposal, TallyRecord,
    Vote, VoteEffect, now_ms,
};

use super::projects::{TransferOutcome, stage_move};
use super::votes::{core_ballots, window_of};
use super::{DESCRIPTION_MAX, IncubatorError};
use crate::{Forge, ServiceError};

/// The longest the closing job sleeps: votes opened on another server (whose wake-up call
/// does not reach this one) are looked at within this time.
pub const POLL_INTERVAL: Duration = Duration::from_secs(60);
/// The shortest pause between two rounds, so a vote that cannot be closed (its effect
/// fails) does not turn the job into a busy loop.
const MIN_PAUSE: Duration = Duration::from_secs(1);

/// What closing one vote did.
#[derive(Debug, Clone)]
pub struct ClosedVoteReport {
    pub vote: Vote,
    /// The project an accepted proposal created.
    pub project: Option<Project>,
    /// A stage vote moved its project.
    pub stage_changed: bool,
    /// What became of the accepted project's repositories.
    pub transfers: Vec<TransferOutcome>,
    /// A release vote published its candidate.
    pub release_published: bool,
    /// An election added its person to the roster.
    pub roster_added: bool,
    /// A graduation vote recommended the project to the board.
    pub graduation_id: Option<i64>,
}

/// The project an accepted proposal becomes.
fn project_of(
    program: &Program,
    proposal: &Proposal,
    reporting_group: Option<i64>,
    now: i64,
) -> NewProject {
    let template = &program.template;
    let stage = template
        .entry_stage()
        .or(template.stages.first())
        .map(|s| s.key.clone())
        .unwrap_or_default();
    let section = |key: &str| {
        proposal
            .sections
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let description = section("abstract")
        .or_else(|| {
            template
                .proposal_sections
                .iter()
                .find_map(|s| section(&s.key))
        })
        .unwrap_or_default()
        .chars()
        .take(DESCRIPTION_MAX)
        .collect();
    let people = &proposal.people;
    let entry = |p: &hatchery_store::NamedPerson, role: &str| NewRosterEntry {
        user_id: p.user_id,
        name: p.name.clone(),
        role: role.to_owned(),
        affiliation: p.affiliation.clone(),
    };
    let mut roster = Vec::new();
    roster.extend(people.champion.iter().map(|p| entry(p, "champion")));
    roster.extend(people.mentors.iter().map(|p| entry(p, "mentor")));
    roster.extend(people.committers.iter().map(|p| entry(p, "committer")));
    NewProject {
        program_id: program.id,
        proposal_id: Some(proposal.id),
        slug: proposal.slug.clone(),
        name: proposal.name.clone(),
        description,
        // A short name set by the committee; until then the program's sponsor stands for
        // it (the proposal's "Sponsoring Entity" is prose).
        sponsor: String::new(),
        stage,
        started_at: now,
        reporting_group,
        roster,
        repo_ids: proposal.repo_ids.clone(),
    }
}

impl Forge {
    /// Closes every open vote that is decided at `now`, with its effects; the closing job
    /// runs this. A vote that fails to close is logged and retried on the next round.
    pub async fn close_due_votes(&self, now: i64) -> Result<Vec<ClosedVoteReport>, ServiceError> {
        let mut closed = Vec::new();
        for vote in self.store.votes_to_check(now).await? {
            // One vote that cannot be closed must not hold up the others.
            match self.close_vote_if_decided(&vote, now).await {
                Ok(Some(report)) => closed.push(report),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(vote = vote.id, error = %e, "closing a vote failed");
                }
            }
        }
        Ok(closed)
    }

    /// Closes `vote` if it is decided at `now`; `None` when it is not (or another server
    /// closed it first).
    pub async fn close_vote_if_decided(
        &self,
        vote: &Vote,
        now: i64,
    ) -> Result<Option<ClosedVoteReport>, IncubatorError> {
        let program = self
            .store
            .program_by_id(vote.program_id)
            .await?
            .ok_or(IncubatorError::NotFound)?;
        let (pass, fail) = match vote.kind {
            VoteKind::AcceptProposal => {
                let proposal = self
                    .store
                    .proposal_by_id(vote.proposal_id.ok_or(IncubatorError::NotFound)?)
                    .await?
                    .ok_or(IncubatorError::NotFound)?;
                let group = self.least_loaded_group(&program).await?;
                (
                    VoteEffect::Proposal {
                        proposal_id: proposal.id,
                        to: ProposalState::Accepted,
                        project: Some(project_of(&program, &proposal, group, now)),
                    },
                    VoteEffect::Proposal {
                        proposal_id: proposal.id,
                        to: ProposalState::Rejected,
                        project: None,
                    },
                )
            }
            VoteKind::AdvanceStage | VoteKind::Graduate | VoteKind::Retire => {
                let project = self
                    .store
                    .project_by_id(vote.project_id.ok_or(IncubatorError::NotFound)?)
                    .await?
                    .ok_or(IncubatorError::NotFound)?;
                let to = vote.target_stage.clone().unwrap_or_default();
                let name = program
                    .template
                    .stage(&to)
                    .map_or(to.as_str(), |s| s.name.en());
                let resolution = if vote.kind == VoteKind::AdvanceStage {
                    String::new()
                } else {
                    format!("{name} by vote {} ({})", vote.id, vote.title)
                };
                let graduation = &program.template.graduation;
                let pass = match graduation.board {
                    Some(board) if vote.kind == VoteKind::Graduate => {
                        let draft = if graduation.resolution {
                            Some(
                                self.draft_resolution(&program, &project, "en", None)
                                    .await?,
                            )
                        } else {
                            None
                        };
                        VoteEffect::Recommend {
                            graduation: NewGraduation {
                                project_id: project.id,
                                target_stage: to.clone(),
                                board,
                                resolution: draft
                                    .as_ref()
                                    .map(|d| d.text.clone())
                                    .unwrap_or_default(),
                                chair: draft.map(|d| d.chair).unwrap_or_default(),
                            },
                            from_stage: project.stage.clone(),
                        }
                    }
                    _ => {
                        VoteEffect::Stage(stage_move(&program.template, &project, &to, resolution))
                    }
                };
                (pass, VoteEffect::Nothing)
            }
            VoteKind::Committer | VoteKind::PpmcMember => {
                let pass = match (&vote.nominee, vote.project_id, vote.kind.election_role()) {
                    (Some(n), Some(project_id), Some(role)) => VoteEffect::AddToRoster {
                        project_id,
                        entry: NewRosterEntry {
                            user_id: n.user_id,
                            name: n.name.clone(),
                            role: role.to_owned(),
                            affiliation: n.affiliation.clone(),
                        },
                    },
                    _ => VoteEffect::Nothing,
                };
                (pass, VoteEffect::Nothing)
            }
            VoteKind::Custom => {
                // What passing does is the kind's as the template says at the close.
                let records = vote
                    .custom_kind
                    .as_deref()
                    .and_then(|k| program.template.custom_vote(k))
                    .is_some_and(|c| c.on_pass == CustomEffect::Record);
                let pass = match vote.project_id {
                    Some(project_id) if records => VoteEffect::RecordDecision { project_id },
                    _ => VoteEffect::Nothing,
                };
                (pass, VoteEffect::Nothing)
            }
            VoteKind::Release => {
                // A release deleted during its vote leaves the vote to close with nothing to
                // publish.
                let effect = |state| match (release_vote_effect(state), vote.release_id) {
                    (ReleaseVoteEffect::Publish, Some(release_id)) => {
                        VoteEffect::PublishRelease { release_id }
                    }
                    _ => VoteEffect::Nothing,
                };
                (effect(VoteState::Passed), effect(VoteState::Failed))
            }
        };
        let closed = self
            .store
            .close_vote(vote.id, now, move |v, ballots| {
                let electorate = u32::try_from(v.electorate_size).unwrap_or(u32::MAX);
                let t = decide(
                    &v.config.rule,
                    electorate,
                    &core_ballots(ballots),
                    &window_of(v),
                    now,
                );
                let (state, effect) = match t.outcome {
                    Outcome::Pending => return None,
                    Outcome::Passed => (VoteState::Passed, pass),
                    Outcome::Failed => (VoteState::Failed, fail),
                };
                Some(Closing {
                    state,
                    tally: TallyRecord::of(&t, electorate),
                    effect,
                })
            })
            .await?;
        let Some(closed) = closed else {
            return Ok(None);
        };
        let transfers = match &closed.project {
            Some(project) => {
                self.transfer_project_repos(&program, project, None, now)
                    .await?
            }
            None => Vec::new(),
        };
        // A new project's checklist is judged at once, so its page never shows an
        // unevaluated list. The vote is closed whatever happens here; the periodic job
        // judges again.
        if let Some(project) = &closed.project
            && let Err(e) = self.evaluate_checklist(&program, project, now).await
        {
            tracing::warn!(project = project.id, error = %e, "judging a new project's checklist failed");
        }
        if closed.release_published {
            self.release_published_by_vote(&closed.vote).await;
        }
        if let Some(id) = closed.graduation_id {
            self.graduation_recommended(&program, id).await;
        }
        self.vote_closed_event(&program, &closed).await;
        tracing::info!(
            vote = closed.vote.id,
            state = %closed.vote.state,
            project = closed.project.as_ref().map(|p| p.id),
            "vote closed"
        );
        Ok(Some(ClosedVoteReport {
            vote: closed.vote,
            project: closed.project,
            stage_changed: closed.stage_changed,
            transfers,
            release_published: closed.release_published,
            roster_added: closed.roster_added,
            graduation_id: closed.graduation_id,
        }))
    }

    /// After a release vote published its candidate: the `release` `published` webhook, as
    /// publishing by hand sends it, and the checklists of the repository's projects.
    async fn release_published_by_vote(&self, vote: &Vote) {
        let Some(release_id) = vote.release_id else {
            return;
        };
        let found = async {
            let Some(repo_id) = self.store.release_repo_id(release_id).await? else {
                return Ok(None);
            };
            let repo = self.store.repo_by_id(repo_id).await?;
            let release = self.store.release_by_id(repo_id, release_id).await?;
            Ok::<_, hatchery_store::StoreError>(repo.zip(release))
        }
        .await;
        match found {
            Ok(Some((repo, release))) => {
                self.emit_release_of(&repo, &release, "published", None)
                    .await;
                self.releases_changed(repo.id).await;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(vote = vote.id, error = %e, "reading a release published by a vote failed");
            }
        }
    }
}

/// Closes votes as they are decided, until `shutdown` resolves (a round in progress
/// finishes first): at each vote's next
/// possible decision time, when woken (a vote opened, a ballot cast), and at least every
/// [`POLL_INTERVAL`]. Start one per server; several on one database are safe.
pub async fn run_vote_closer(forge: &Forge, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let first = forge.jobs.before_first_round(
        crate::jobs::Job::Votes,
        now_ms(),
        forge.incubator.wake.notified(),
    );
    tokio::select! {
        () = &mut shutdown => return,
        () = first => {}
    }
    loop {
        // A round runs to its end even when shutdown comes meanwhile: it may be moving a
        // repository on disk, which must not be left half done.
        let wait = async {
            use crate::jobs::Job;
            forge.jobs.started(Job::Votes, now_ms());
            let mut failure = None;
            if let Err(e) = forge.close_due_votes(now_ms()).await {
                tracing::warn!(error = %e, "closing due votes failed");
                failure = Some(format!("closing due votes failed: {e}"));
            }
            let wait = match forge.store.next_vote_check_at(now_ms()).await {
                Ok(Some(at)) => {
                    let ms = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
                    Duration::from_millis(ms).clamp(MIN_PAUSE, POLL_INTERVAL)
                }
                Ok(None) => POLL_INTERVAL,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the open votes failed");
                    failure = Some(format!("reading the open votes failed: {e}"));
                    POLL_INTERVAL
                }
            };
            let now = now_ms();
            let next = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
            forge.jobs.finished(Job::Votes, now, failure, Some(next));
            wait
        }
        .await;
        tokio::select! {
            () = &mut shutdown => return,
            () = forge.incubator.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}
