//! The incubator's webhook events, sent to the hooks of the program's organization (a
//! program belongs to it, as a repository's events go to the repository's hooks):
//!
//! | event | actions | payload |
//! |---|---|---|
//! | `incubator_proposal` | `created`, `edited`, `state_changed` | [`IncubatorProposalPayload`] |
//! | `incubator_vote` | `opened`, `closed` | [`IncubatorVotePayload`] |
//! | `incubator_stage` | `changed` | [`IncubatorStagePayload`] |
//! | `incubator_graduation` | `recommended`, `resolution_submitted`, `approved`, `rejected` | [`IncubatorGraduationPayload`] |
//!
//! `state_changed` covers publishing for discussion, asking for more information, the
//! opening of a vote (to `voting`), and acceptance or rejection by a closed vote (with the
//! project an accepted proposal became). A vote is `closed` when it is decided (`passed`,
//! `failed`, with the frozen tally) and when an edit of the proposal cancels it
//! (`cancelled`). A project's stage `changed` by a passed vote (`vote` names it) or by a
//! decision recorded by hand (`reference` says where it was taken).
//!
//! A receiver of the organization's hooks is not thereby a reader of anyone's private
//! repositories: payloads list the public repositories only. Emitting never fails the
//! action that caused it ([`Forge::emit`] logs problems); the payload is only built when
//! some active hook of the organization wants the event.

use hatchery_api_types::ApiUser;
use hatchery_api_types::incubator::{
    IncubatorChangeFrom, IncubatorGraduation, IncubatorGraduationPayload, IncubatorProgram,
    IncubatorProject, IncubatorProposal, IncubatorProposalChanges, IncubatorProposalPayload,
    IncubatorStagePayload, IncubatorVote, IncubatorVotePayload,
};
use hatchery_core::Actor;
use hatchery_core::incubator::{Phase, ProposalState, VoteState};
use hatchery_core::webhooks as rules;
use hatchery_store::{AuditFilter, ClosedVote, Graduation, Program, Project, Proposal, Vote};

use crate::webhooks::HookScope;
use crate::{Forge, ServiceError};

/// The organization and the sender of an event, and the program as payloads show it.
struct Context {
    program: IncubatorProgram,
    organization: ApiUser,
    sender: ApiUser,
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::BeforeMinimum => "before_minimum",
        Phase::Open => "open",
        Phase::DeadlinePassed => "deadline_passed",
    }
}

fn from(value: impl ToString) -> Option<IncubatorChangeFrom> {
    Some(IncubatorChangeFrom {
        from: value.to_string(),
    })
}

impl Forge {
    /// Whether an active hook of the program's organization wants `event`.
    async fn org_hook_wants(&self, program: &Program, event: &str) -> bool {
        match self
            .store
            .active_webhooks_for(None, Some(program.org_id))
            .await
        {
            Ok(hooks) => hooks.iter().any(|h| rules::hook_wants(&h.events, event)),
            Err(e) => {
                tracing::warn!(error = %e, event, "looking up the organization's webhooks failed");
                false
            }
        }
    }

    async fn event_context(
        &self,
        program: &Program,
        sender_id: Option<i64>,
    ) -> Result<Context, ServiceError> {
        let urls = self.urls();
        let committee = match program.committee_team_id {
            Some(id) => self.store.team_by_id(id).await?.map(|t| t.name),
            None => None,
        };
        let org = self.store.org_by_id(program.org_id).await?;
        let organization = match &org {
            Some(o) => ApiUser::org(&urls, o),
            None => ApiUser::person(
                &urls,
                &hatchery_store::Person {
                    id: program.org_id,
                    name: program.org_name.clone(),
                    display_name: String::new(),
                },
            ),
        };
        // Without a known actor (the closing job), the organization stands in.
        let sender = match sender_id {
            Some(id) => match self.store.user_by_id(id).await? {
                Some(u) => ApiUser::of(&urls, &u, false),
                None => organization.clone(),
            },
            None => organization.clone(),
        };
        Ok(Context {
            program: IncubatorProgram::of(&urls, program, committee),
            organization,
            sender,
        })
    }

    /// The proposal as payloads show it: with its public repositories only.
    async fn proposal_json(
        &self,
        program: &Program,
        proposal: &Proposal,
    ) -> Result<IncubatorProposal, ServiceError> {
        let repos = match self
            .proposal_repos(Actor::Anonymous, &proposal.repo_ids)
            .await
        {
            Ok(r) => r,
            Err(super::IncubatorError::Service(e)) => return Err(e),
            Err(e) => return Err(ServiceError::Task(e.to_string())),
        };
        Ok(IncubatorProposal::of(
            &self.urls(),
            program,
            proposal,
            &repos,
        ))
    }

    async fn project_json(
        &self,
        program: &Program,
        project: &Project,
    ) -> Result<IncubatorProject, ServiceError> {
        let proposal = match project.proposal_id {
            Some(id) => self.store.proposal_by_id(id).await?.map(|p| p.number),
            None => None,
        };
        Ok(IncubatorProject::of(
            &self.urls(),
            program,
            project,
            proposal,
        ))
    }

    /// The vote with its tally: frozen when closed, as it stood when it opened otherwise.
    async fn vote_json(
        &self,
        program: &Program,
        vote: &Vote,
    ) -> Result<IncubatorVote, ServiceError> {
        let at = vote.closed_at.unwrap_or(vote.opened_at);
        let status = match self.vote_status(vote, at).await {
            Ok(s) => s,
            Err(super::IncubatorError::Service(e)) => return Err(e),
            Err(e) => return Err(ServiceError::Task(e.to_string())),
        };
        let proposal = match vote.proposal_id {
            Some(id) => self.store.proposal_by_id(id).await?.map(|p| p.number),
            None => None,
        };
        let project = match vote.project_id {
            Some(id) => self.store.project_by_id(id).await?.map(|p| p.slug),
            None => None,
        };
        Ok(IncubatorVote::of(
            &self.urls(),
            program,
            vote,
            proposal,
            project,
            &status.tally,
            status.phase.map(phase_name),
            status.closes_at,
        ))
    }

    /// `incubator_proposal` about `after`: `created` without `before`, `edited` when its
    /// version grew, `state_changed` otherwise. When the change cancelled the proposal's
    /// vote, `incubator_vote` `closed` about it too.
    pub(crate) async fn proposal_event(
        &self,
        program: &Program,
        after: &Proposal,
        before: Option<&Proposal>,
        sender: Actor,
    ) {
        self.proposal_event_with(program, after, before, None, sender.user_id())
            .await;
        // Leaving voting other than by the vote's result (an edit, a request for more
        // information, a withdrawal, a closing) cancelled the vote.
        let cancelled = before.is_some_and(|b| {
            b.state == ProposalState::Voting && after.state != ProposalState::Voting
        }) && !matches!(
            after.state,
            ProposalState::Accepted | ProposalState::Rejected
        );
        if cancelled {
            match self.store.votes_of_proposal(after.id).await {
                Ok(votes) => {
                    let latest = votes
                        .into_iter()
                        .filter(|v| v.state == VoteState::Cancelled)
                        .max_by_key(|v| (v.closed_at, v.id));
                    if let Some(v) = latest {
                        self.vote_event(program, &v, "closed", sender.user_id())
                            .await;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "looking up a cancelled vote for its webhook failed");
                }
            }
        }
    }

    async fn proposal_event_with(
        &self,
        program: &Program,
        after: &Proposal,
        before: Option<&Proposal>,
        project: Option<&Project>,
        sender_id: Option<i64>,
    ) {
        let event = rules::INCUBATOR_PROPOSAL;
        if !self.org_hook_wants(program, event).await {
            return;
        }
        let (action, changes) = match before {
            None => ("created", None),
            Some(b) => {
                let changes = IncubatorProposalChanges {
                    state: (b.state != after.state)
                        .then(|| from(b.state.as_str()))
                        .flatten(),
                    name: (b.name != after.name).then(|| from(&b.name)).flatten(),
                    version: (b.version != after.version)
                        .then(|| from(b.version))
                        .flatten(),
                };
                let action = if b.version != after.version {
                    "edited"
                } else {
                    "state_changed"
                };
                (action, Some(changes))
            }
        };
        let payload = async {
            let cx = self.event_context(program, sender_id).await?;
            let project = match project {
                Some(p) => Some(self.project_json(program, p).await?),
                None => None,
            };
            Ok::<_, ServiceError>(IncubatorProposalPayload {
                action: action.to_owned(),
                proposal: self.proposal_json(program, after).await?,
                changes,
                project,
                program: cx.program,
                organization: cx.organization,
                sender: cx.sender,
            })
        }
        .await;
        match payload {
            Ok(p) => {
                self.emit(HookScope::Org(program.org_id), event, action, None, &p)
                    .await;
            }
            Err(e) => tracing::warn!(error = %e, event, "building a webhook payload failed"),
        }
    }

    /// `incubator_vote` `action` (`opened`, `closed`) about `vote`.
    pub(crate) async fn vote_event(
        &self,
        program: &Program,
        vote: &Vote,
        action: &str,
        sender_id: Option<i64>,
    ) {
        let event = rules::INCUBATOR_VOTE;
        if !self.org_hook_wants(program, event).await {
            return;
        }
        let payload = async {
            let cx = self.event_context(program, sender_id).await?;
            Ok::<_, ServiceError>(IncubatorVotePayload {
                action: action.to_owned(),
                vote: self.vote_json(program, vote).await?,
                program: cx.program,
                organization: cx.organization,
                sender: cx.sender,
            })
        }
        .await;
        match payload {
            Ok(p) => {
                self.emit(HookScope::Org(program.org_id), event, action, None, &p)
                    .await;
            }
            Err(e) => tracing::warn!(error = %e, event, "building a webhook payload failed"),
        }
    }

    /// After a vote opened: `incubator_vote` `opened`, and for a proposal its move to
    /// `voting`.
    pub(crate) async fn vote_opened_event(
        &self,
        program: &Program,
        vote: &Vote,
        proposal: Option<&Proposal>,
        sender: Actor,
    ) {
        self.vote_event(program, vote, "opened", sender.user_id())
            .await;
        if let Some(before) = proposal {
            match self.store.proposal_by_id(before.id).await {
                Ok(Some(after)) => {
                    self.proposal_event_with(program, &after, Some(before), None, sender.user_id())
                        .await;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "reading a proposal for its webhook failed"),
            }
        }
    }

    /// `incubator_stage` `changed`: `after` moved from `from_stage`.
    pub(crate) async fn stage_event(
        &self,
        program: &Program,
        after: &Project,
        from_stage: &str,
        vote_id: Option<i64>,
        reference: &str,
        sender_id: Option<i64>,
    ) {
        let event = rules::INCUBATOR_STAGE;
        if !self.org_hook_wants(program, event).await {
            return;
        }
        let payload = async {
            let cx = self.event_context(program, sender_id).await?;
            Ok::<_, ServiceError>(IncubatorStagePayload {
                action: "changed".to_owned(),
                project: self.project_json(program, after).await?,
                from_stage: from_stage.to_owned(),
                to_stage: after.stage.clone(),
                vote: vote_id,
                reference: reference.to_owned(),
                program: cx.program,
                organization: cx.organization,
                sender: cx.sender,
            })
        }
        .await;
        match payload {
            Ok(p) => {
                self.emit(HookScope::Org(program.org_id), event, "changed", None, &p)
                    .await;
            }
            Err(e) => tracing::warn!(error = %e, event, "building a webhook payload failed"),
        }
    }

    /// `incubator_graduation` `action` about the project's recommendation `g`.
    pub(crate) async fn graduation_event(
        &self,
        program: &Program,
        project: &Project,
        g: &Graduation,
        action: &str,
        sender_id: Option<i64>,
    ) {
        let event = rules::INCUBATOR_GRADUATION;
        if !self.org_hook_wants(program, event).await {
            return;
        }
        let payload = async {
            let cx = self.event_context(program, sender_id).await?;
            Ok::<_, ServiceError>(IncubatorGraduationPayload {
                action: action.to_owned(),
                graduation: IncubatorGraduation::of(&self.urls(), program, project, g),
                project: self.project_json(program, project).await?,
                program: cx.program,
                organization: cx.organization,
                sender: cx.sender,
            })
        }
        .await;
        match payload {
            Ok(p) => {
                self.emit(HookScope::Org(program.org_id), event, action, None, &p)
                    .await;
            }
            Err(e) => tracing::warn!(error = %e, event, "building a webhook payload failed"),
        }
    }

    /// After a graduation vote recommended a project: `incubator_graduation`
    /// `recommended`.
    pub(crate) async fn graduation_recommended(&self, program: &Program, id: i64) {
        let found = async {
            let Some(g) = self.store.graduation_by_id(id).await? else {
                return Ok(None);
            };
            let project = self.store.project_by_id(g.project_id).await?;
            Ok::<_, ServiceError>(project.map(|p| (g, p)))
        }
        .await;
        match found {
            Ok(Some((g, project))) => {
                self.graduation_event(program, &project, &g, "recommended", None)
                    .await;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "reading a recommendation for its webhook failed"),
        }
    }

    /// After the closing job closed a vote: `incubator_vote` `closed`; the proposal's
    /// acceptance (with its project) or rejection; the project's stage change.
    pub(crate) async fn vote_closed_event(&self, program: &Program, closed: &ClosedVote) {
        let vote = &closed.vote;
        self.vote_event(program, vote, "closed", None).await;
        if let Some(pid) = vote.proposal_id {
            match self.store.proposal_by_id(pid).await {
                Ok(Some(after)) => {
                    let mut before = after.clone();
                    before.state = ProposalState::Voting;
                    self.proposal_event_with(
                        program,
                        &after,
                        Some(&before),
                        closed.project.as_ref(),
                        None,
                    )
                    .await;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "reading a proposal for its webhook failed"),
            }
        }
        if closed.stage_changed
            && let Some(project_id) = vote.project_id
        {
            let found = async {
                let project = self.store.project_by_id(project_id).await?;
                let filter = AuditFilter {
                    project_id: Some(project_id),
                    vote_id: Some(vote.id),
                    ..AuditFilter::default()
                };
                let entry = self
                    .store
                    .audit_log(program.id, filter, 20)
                    .await?
                    .into_iter()
                    .find(|a| a.action == "project.stage");
                Ok::<_, ServiceError>(project.zip(entry))
            }
            .await;
            match found {
                Ok(Some((project, entry))) => {
                    let from_stage = entry.detail["from"].as_str().unwrap_or_default();
                    self.stage_event(
                        program,
                        &project,
                        from_stage,
                        Some(vote.id),
                        &entry.reference,
                        None,
                    )
                    .await;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "reading a stage change for its webhook failed")
                }
            }
        }
    }
}
