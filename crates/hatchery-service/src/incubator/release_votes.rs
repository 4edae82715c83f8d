//! Release votes: a release candidate of a repository linked to an incubating project is
//! approved by a vote of the project's program, under the program's rule for `release`
//! votes (the committee's snapshot is the electorate, as for every vote). The repository's
//! writers or the committee open it from the release; when it passes, the closing job
//! publishes the candidate in the closing transaction and sends the `release` `published`
//! webhook ([`super::closer`]); when it fails, the release stays a hidden candidate.

use hatchery_core::incubator::{ReleaseVoteFacts, VoteKind, may_open_release_vote};
use hatchery_core::{Action, Resource, authorize};
use hatchery_store::{NewVote, Program, Project, Release, StoreError, Vote, VoteSubject};

use crate::Forge;
use crate::issues::RepoView;
use crate::releases::{ReleaseError, candidate_facts, incubating_project};

/// The release votes of a release, with the program they run in (for links).
#[derive(Debug, Clone)]
pub struct ReleaseVotes {
    pub program: Program,
    pub project: Project,
    /// Newest first.
    pub votes: Vec<Vote>,
    /// The viewer may open a new one now.
    pub may_open: bool,
}

impl Forge {
    /// Opens a release vote on the candidate `release` of `view`'s repository: the
    /// repository's writers or the committee of its incubating project's program. The
    /// candidate must not be a draft and have no open release vote; the program needs a
    /// committee and a rule for release votes.
    pub async fn open_release_vote(
        &self,
        view: &RepoView,
        release: &Release,
        now: i64,
    ) -> Result<Vote, ReleaseError> {
        let project = incubating_project(self, &view.repo).await?;
        let facts = candidate_facts(self, view, project.as_ref()).await?;
        if !authorize(
            view.actor,
            Action::SeeReleaseCandidate,
            Resource::Program(facts),
        )
        .is_allowed()
            && release.is_candidate
        {
            return Err(ReleaseError::NotFound);
        }
        if let hatchery_core::Decision::Deny(d) = authorize(
            view.actor,
            Action::OpenReleaseVote,
            Resource::Program(facts),
        ) {
            return Err(ReleaseError::Denied(d));
        }
        let open_vote = self
            .store
            .votes_of_release(release.id)
            .await?
            .iter()
            .any(|v| !v.state.is_closed());
        may_open_release_vote(ReleaseVoteFacts {
            candidate: release.is_candidate,
            draft: release.is_draft,
            incubating: project.is_some(),
            open_vote,
        })?;
        let Some(project) = project else {
            return Err(ReleaseError::NotIncubating);
        };
        let program = self
            .store
            .program_by_id(project.program_id)
            .await?
            .ok_or(ReleaseError::NotFound)?;
        let Some(config) = program.template.vote_config(VoteKind::Release).copied() else {
            return Err(ReleaseError::NoVoteRule);
        };
        if program.committee_team_id.is_none() {
            return Err(ReleaseError::NoVoteRule);
        }
        let opener = view.actor.user_id().ok_or(ReleaseError::NotFound)?;
        let window = config.window(now);
        let title = format!(
            "Release {} of {}/{}",
            release.tag_name, view.repo.owner_name, view.repo.name
        );
        let vote = self
            .store
            .open_vote(NewVote {
                program_id: program.id,
                kind: VoteKind::Release,
                subject: VoteSubject::Release {
                    project_id: project.id,
                    release_id: release.id,
                },
                title: &title,
                config,
                document_url: "",
                opened_by: opener,
                opened_at: now,
                min_close_at: window.min_end_ms(),
                deadline_at: window.closes_at_ms(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Stale => {
                    ReleaseError::Vote(hatchery_core::incubator::ReleaseVoteError::AlreadyOpen)
                }
                StoreError::NotFound => {
                    ReleaseError::Vote(hatchery_core::incubator::ReleaseVoteError::NotCandidate)
                }
                other => other.into(),
            })?;
        self.wake_vote_closer();
        self.vote_opened_event(&program, &vote, None, view.actor)
            .await;
        Ok(vote)
    }

    /// The release votes on `release` (which the caller has shown the viewer), with their
    /// program; `None` when the repository belongs to no project or the release was never
    /// voted on and cannot be.
    pub async fn release_votes(
        &self,
        view: &RepoView,
        release: &Release,
    ) -> Result<Option<ReleaseVotes>, ReleaseError> {
        let votes = self.store.votes_of_release(release.id).await?;
        let project = match votes.first().and_then(|v| v.project_id) {
            Some(id) => self.store.project_by_id(id).await?,
            None => incubating_project(self, &view.repo).await?,
        };
        let Some(project) = project else {
            return Ok(None);
        };
        let Some(program) = self.store.program_by_id(project.program_id).await? else {
            return Ok(None);
        };
        let facts = candidate_facts(self, view, Some(&project)).await?;
        let may_open = release.is_candidate
            && !release.is_draft
            && project.ended_at.is_none()
            && !votes.iter().any(|v| !v.state.is_closed())
            && program.template.vote_config(VoteKind::Release).is_some()
            && program.committee_team_id.is_some()
            && authorize(
                view.actor,
                Action::OpenReleaseVote,
                Resource::Program(facts),
            )
            .is_allowed();
        if votes.is_empty() && !release.is_candidate {
            return Ok(None);
        }
        Ok(Some(ReleaseVotes {
            program,
            project,
            votes,
            may_open,
        }))
    }
}
