//! Code-review use cases: reviews (pending comments submitted together with a verdict),
//! line comments and their threads, dismissals, review requests (by hand and from
//! CODEOWNERS), what a new head does to reviews and comments, and the review facts branch
//! protection's merge check needs.
//!
//! The rules are `hatchery_core::reviews` and the policy: reviewing is `Action::Comment`
//! on the request, dismissing and asking others to review `Action::Triage` (the request's
//! author may ask too, as in Gitea), resolving a thread `Action::Edit`.

use std::collections::{HashMap, HashSet};

use hatchery_api_types::pulls::PullRequestPayload;
use hatchery_api_types::reviews::ReviewPayload;
use hatchery_core::codeowners::{CODEOWNERS_MAX_BYTES, CODEOWNERS_PATHS, CodeOwners, Owner};
use hatchery_core::protection::ReviewFact;
use hatchery_core::reviews::{
    self as rules, ReviewError as RuleError, ReviewEvent, ReviewState, Side, Verdict,
};
use hatchery_core::webhooks as hook_events;
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_git::{DiffOptions, Oid};
use hatchery_store::{
    Issue, NewReviewComment, PullRequest, Repo, Review, ReviewComment, ReviewRequest, Reviewer,
    StoreError, Submission,
};

use crate::issues::{IssueError, RepoView, check};
use crate::webhooks::HookScope;
use crate::{Forge, ServiceError};

/// Files read per head update to judge comments outdated, at most.
const OUTDATED_BLOB_MAX: usize = 4 << 20;
/// Changed files looked up in CODEOWNERS, at most.
const CODEOWNERS_FILES_MAX: usize = 3000;

/// Why a review use case was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Issue(#[from] IssueError),
    #[error("{0}")]
    Rule(#[from] RuleError),
    /// No such review or comment on this request (or someone else's pending one).
    #[error("not found")]
    NotFound,
    /// This person cannot be asked to review: they cannot read the repository, or they
    /// opened the request.
    #[error("{0} cannot review this pull request")]
    NotReviewer(String),
    #[error("no user named {0}")]
    UnknownUser(String),
    /// Not a team of the owning organization with access to the repository.
    #[error("no team named {0} with access to this repository")]
    UnknownTeam(String),
    /// Dismissing needs a submitted approval or request for changes.
    #[error("only approvals and requests for changes can be dismissed")]
    NotDismissable,
}

impl From<StoreError> for ReviewError {
    fn from(e: StoreError) -> ReviewError {
        ReviewError::Issue(e.into())
    }
}

impl From<ServiceError> for ReviewError {
    fn from(e: ServiceError) -> ReviewError {
        ReviewError::Issue(e.into())
    }
}

impl From<hatchery_git::Error> for ReviewError {
    fn from(e: hatchery_git::Error) -> ReviewError {
        ReviewError::Issue(ServiceError::from(e).into())
    }
}

impl From<tokio::task::JoinError> for ReviewError {
    fn from(e: tokio::task::JoinError) -> ReviewError {
        ReviewError::Issue(ServiceError::from(e).into())
    }
}

/// A line comment as a person writes it.
#[derive(Debug, Clone)]
pub struct LineCommentInput {
    pub path: String,
    pub side: Side,
    pub line: u32,
    pub start_line: Option<u32>,
    pub body: String,
}

/// A review as a person submits it (or starts it, with [`ReviewEvent::Pending`]).
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub event: ReviewEvent,
    pub body: String,
    /// The head commit reviewed (full id); the current head when `None`.
    pub commit_id: Option<String>,
    pub comments: Vec<LineCommentInput>,
}

fn is_full_oid(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_author(view: &RepoView, issue: &Issue) -> bool {
    view.actor.user_id().is_some() && issue.author.as_ref().map(|p| p.id) == view.actor.user_id()
}

impl Forge {
    /// The reviews of a request the viewer may see: submitted ones, and their own pending
    /// one.
    pub async fn reviews(
        &self,
        view: &RepoView,
        issue: &Issue,
    ) -> Result<Vec<Review>, ReviewError> {
        let me = view.actor.user_id();
        Ok(self
            .store
            .reviews_of(issue.id)
            .await?
            .into_iter()
            .filter(|r| r.state != ReviewState::Pending || (me.is_some() && r.reviewer_id() == me))
            .collect())
    }

    /// Review `id` of this request, if the viewer may see it.
    pub async fn review(
        &self,
        view: &RepoView,
        issue: &Issue,
        id: i64,
    ) -> Result<Review, ReviewError> {
        let me = view.actor.user_id();
        self.store
            .review(id)
            .await?
            .filter(|r| r.issue_id == issue.id)
            .filter(|r| r.state != ReviewState::Pending || (me.is_some() && r.reviewer_id() == me))
            .ok_or(ReviewError::NotFound)
    }

    /// The line comments of a review the viewer may see.
    pub async fn review_comments(
        &self,
        view: &RepoView,
        issue: &Issue,
        review_id: i64,
    ) -> Result<Vec<ReviewComment>, ReviewError> {
        let review = self.review(view, issue, review_id).await?;
        Ok(self.store.review_comments(review.id).await?)
    }

    /// Every line comment of the request the viewer may see (others' pending ones left
    /// out), oldest first: what the files page shows in threads.
    pub async fn pull_line_comments(
        &self,
        view: &RepoView,
        issue: &Issue,
    ) -> Result<Vec<ReviewComment>, ReviewError> {
        let me = view.actor.user_id();
        Ok(self
            .store
            .review_comments_of_pull(issue.id)
            .await?
            .into_iter()
            .filter(|c| {
                c.review_state != ReviewState::Pending
                    || (me.is_some() && c.author.as_ref().map(|p| p.id) == me)
            })
            .collect())
    }

    /// Starts or submits the viewer's review: the comments given join their pending review
    /// (started if there is none); with an event other than pending, the review is
    /// submitted with every comment it holds. Approving or requesting changes on one's own
    /// request is refused, and so is a comment review with neither body nor comments.
    pub async fn create_review(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        input: ReviewInput,
    ) -> Result<Review, ReviewError> {
        check(authorize(
            view.actor,
            Action::Comment,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let me = view.user_id()?;
        let commit = match input.commit_id.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => {
                if !is_full_oid(c) {
                    return Err(RuleError::BadCommit.into());
                }
                c.to_ascii_lowercase()
            }
            _ => pull.head_oid.clone(),
        };
        let mut spots = Vec::with_capacity(input.comments.len());
        for c in &input.comments {
            spots.push((
                rules::spot(&c.path, c.side, c.line, c.start_line)?,
                rules::comment_body(&c.body)?,
            ));
        }
        let existing = self.store.pending_review(issue.id, me).await?;
        let held = existing.as_ref().map_or(0, |r| r.comment_count);
        rules::check_submission(
            input.event,
            &input.body,
            spots.len() + usize::try_from(held).unwrap_or(0),
            is_author(view, issue),
        )?;
        let official = self.may_write(&view.repo, me).await?;
        let review = match existing {
            Some(r) => r,
            None => {
                self.store
                    .create_review(
                        issue.id,
                        me,
                        Submission {
                            state: ReviewState::Pending,
                            body: "",
                            commit_id: &commit,
                            official,
                        },
                    )
                    .await?
            }
        };
        for (spot, body) in &spots {
            self.store
                .add_review_comment(NewReviewComment {
                    review_id: review.id,
                    issue_id: issue.id,
                    author_id: me,
                    path: &spot.path,
                    side: spot.side,
                    line: i64::from(spot.line),
                    start_line: spot.start.map(i64::from),
                    commit_id: &commit,
                    base_commit_id: &pull.merge_base,
                    body,
                    reply_to: None,
                })
                .await?;
        }
        if input.event == ReviewEvent::Pending {
            return self
                .store
                .review(review.id)
                .await?
                .ok_or(ReviewError::NotFound);
        }
        self.finish_review(
            view,
            issue,
            review.id,
            input.event,
            &input.body,
            &commit,
            official,
        )
        .await
    }

    /// Submits the viewer's pending review `review_id` as `event`.
    pub async fn submit_review(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        review_id: i64,
        event: ReviewEvent,
        body: &str,
    ) -> Result<Review, ReviewError> {
        check(authorize(
            view.actor,
            Action::Comment,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let me = view.user_id()?;
        let review = self.review(view, issue, review_id).await?;
        if review.reviewer_id() != Some(me) || review.state != ReviewState::Pending {
            return Err(RuleError::NotPending.into());
        }
        if event == ReviewEvent::Pending {
            return Err(RuleError::BadEvent.into());
        }
        let held = usize::try_from(review.comment_count).unwrap_or(0);
        rules::check_submission(event, body, held, is_author(view, issue))?;
        let official = self.may_write(&view.repo, me).await?;
        self.finish_review(
            view,
            issue,
            review.id,
            event,
            body,
            &pull.head_oid,
            official,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn finish_review(
        &self,
        view: &RepoView,
        issue: &Issue,
        review_id: i64,
        event: ReviewEvent,
        body: &str,
        commit: &str,
        official: bool,
    ) -> Result<Review, ReviewError> {
        let body = body.trim_end();
        let submitted = self
            .store
            .submit_review(
                review_id,
                Submission {
                    state: event.state(),
                    body,
                    commit_id: commit,
                    official,
                },
            )
            .await?;
        if !submitted {
            return Err(RuleError::NotPending.into());
        }
        let review = self
            .store
            .review(review_id)
            .await?
            .ok_or(ReviewError::NotFound)?;
        self.emit_review(&view.repo, view.actor, issue.id, &review)
            .await;
        Ok(review)
    }

    /// Adds a line comment to the viewer's pending review (started if there is none).
    pub async fn add_pending_comment(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        comment: LineCommentInput,
    ) -> Result<ReviewComment, ReviewError> {
        let review = self
            .create_review(
                view,
                issue,
                pull,
                ReviewInput {
                    event: ReviewEvent::Pending,
                    body: String::new(),
                    commit_id: None,
                    comments: vec![comment],
                },
            )
            .await?;
        self.store
            .review_comments(review.id)
            .await?
            .pop()
            .ok_or(ReviewError::NotFound)
    }

    /// Answers the thread of comment `comment_id`: into the viewer's pending review if
    /// they have one, else at once as a one-comment `COMMENT` review.
    pub async fn reply_to_thread(
        &self,
        view: &RepoView,
        issue: &Issue,
        pull: &PullRequest,
        comment_id: i64,
        body: &str,
    ) -> Result<ReviewComment, ReviewError> {
        check(authorize(
            view.actor,
            Action::Comment,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let me = view.user_id()?;
        let body = rules::comment_body(body)?;
        let target = self.visible_comment(view, issue, comment_id).await?;
        let root = match target.reply_to {
            Some(root) => self
                .store
                .review_comment(root)
                .await?
                .ok_or(ReviewError::NotFound)?,
            None => target,
        };
        let pending = self.store.pending_review(issue.id, me).await?;
        let single = pending.is_none();
        let official = self.may_write(&view.repo, me).await?;
        let review = match pending {
            Some(r) => r,
            None => {
                self.store
                    .create_review(
                        issue.id,
                        me,
                        Submission {
                            state: ReviewState::Pending,
                            body: "",
                            commit_id: &pull.head_oid,
                            official,
                        },
                    )
                    .await?
            }
        };
        let comment = self
            .store
            .add_review_comment(NewReviewComment {
                review_id: review.id,
                issue_id: issue.id,
                author_id: me,
                path: &root.path,
                side: root.side,
                line: root.line,
                start_line: root.start_line,
                commit_id: &root.commit_id,
                base_commit_id: &root.base_commit_id,
                body: &body,
                reply_to: Some(root.id),
            })
            .await?;
        if single {
            // A review made only for this reply: submitted at once.
            self.finish_review(
                view,
                issue,
                review.id,
                ReviewEvent::Comment,
                "",
                &pull.head_oid,
                official,
            )
            .await?;
        }
        self.store
            .review_comment(comment.id)
            .await?
            .ok_or(ReviewError::NotFound)
    }

    async fn visible_comment(
        &self,
        view: &RepoView,
        issue: &Issue,
        id: i64,
    ) -> Result<ReviewComment, ReviewError> {
        let me = view.actor.user_id();
        self.store
            .review_comment(id)
            .await?
            .filter(|c| c.issue_id == issue.id)
            .filter(|c| {
                c.review_state != ReviewState::Pending
                    || (me.is_some() && c.author.as_ref().map(|p| p.id) == me)
            })
            .ok_or(ReviewError::NotFound)
    }

    /// Resolves or unresolves the thread comment `comment_id` belongs to: the request's
    /// author and writers. Returns whether anything changed.
    pub async fn resolve_thread(
        &self,
        view: &RepoView,
        issue: &Issue,
        comment_id: i64,
        resolved: bool,
    ) -> Result<bool, ReviewError> {
        check(authorize(
            view.actor,
            Action::Edit,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let me = view.user_id()?;
        let c = self.visible_comment(view, issue, comment_id).await?;
        if c.review_state == ReviewState::Pending {
            return Err(RuleError::NotPending.into());
        }
        Ok(self
            .store
            .resolve_thread(c.thread_id(), resolved.then_some(me))
            .await?)
    }

    /// Deletes review `id`: its reviewer, or an administrator of the repository.
    pub async fn delete_review(
        &self,
        view: &RepoView,
        issue: &Issue,
        id: i64,
    ) -> Result<(), ReviewError> {
        let review = self.review(view, issue, id).await?;
        let own = view.actor.user_id().is_some() && review.reviewer_id() == view.actor.user_id();
        if !own {
            check(authorize(
                view.actor,
                Action::Administer,
                Resource::Repo(view.facts),
            ))?;
        }
        self.store.delete_review(review.id).await?;
        Ok(())
    }

    /// Dismisses a submitted approval or request for changes: writers.
    pub async fn dismiss_review(
        &self,
        view: &RepoView,
        issue: &Issue,
        id: i64,
        message: &str,
    ) -> Result<Review, ReviewError> {
        check(authorize(
            view.actor,
            Action::Triage,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let review = self.review(view, issue, id).await?;
        if !matches!(
            review.state,
            ReviewState::Approved | ReviewState::RequestChanges
        ) || review.dismissed
        {
            return Err(ReviewError::NotDismissable);
        }
        let message = rules::comment_body(message).unwrap_or_default();
        self.store
            .dismiss_review(review.id, view.actor.user_id(), &message)
            .await?;
        self.store
            .review(review.id)
            .await?
            .ok_or(ReviewError::NotFound)
    }

    /// The open review requests of a request.
    pub async fn review_requests(&self, issue: &Issue) -> Result<Vec<ReviewRequest>, ReviewError> {
        Ok(self.store.review_requests(issue.id).await?)
    }

    /// Asks these users and teams (of the owning organization, with access to the
    /// repository) to review: the request's author and writers. Every name is checked
    /// before anything is saved; a user who cannot read the repository, or who opened the
    /// request, is refused. Asking someone who reviewed already asks again. Returns the
    /// requests made (those that existed are left as they are and not returned).
    pub async fn request_reviewers(
        &self,
        view: &RepoView,
        issue: &Issue,
        users: &[String],
        teams: &[String],
    ) -> Result<Vec<ReviewRequest>, ReviewError> {
        self.check_may_ask(view, issue)?;
        let targets = self.reviewer_targets(view, issue, users, teams).await?;
        let mut made = Vec::new();
        for (who, _) in &targets {
            if self
                .store
                .request_review(issue.id, *who, view.actor.user_id(), false)
                .await?
            {
                made.push(*who);
            }
        }
        let requests = self.store.review_requests(issue.id).await?;
        for who in &made {
            if let Reviewer::User(uid) = who {
                self.emit_review_request(
                    &view.repo,
                    view.actor,
                    issue.id,
                    *uid,
                    "review_requested",
                )
                .await;
            }
        }
        Ok(requests
            .into_iter()
            .filter(|q| made.contains(&request_target(q)))
            .collect())
    }

    /// Withdraws review requests: the request's author and writers.
    pub async fn remove_reviewers(
        &self,
        view: &RepoView,
        issue: &Issue,
        users: &[String],
        teams: &[String],
    ) -> Result<(), ReviewError> {
        self.check_may_ask(view, issue)?;
        let mut targets = Vec::new();
        for name in users.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let user = self
                .store
                .user_by_name(name)
                .await?
                .ok_or_else(|| ReviewError::UnknownUser(name.to_owned()))?;
            targets.push(Reviewer::User(user.id));
        }
        for name in teams.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let team = match view.repo.owner_is_org {
                true => self.store.team_by_name(view.repo.owner_id, name).await?,
                false => None,
            }
            .ok_or_else(|| ReviewError::UnknownTeam(name.to_owned()))?;
            targets.push(Reviewer::Team(team.id));
        }
        for who in targets {
            if self.store.remove_review_request(issue.id, who).await?
                && let Reviewer::User(uid) = who
            {
                self.emit_review_request(
                    &view.repo,
                    view.actor,
                    issue.id,
                    uid,
                    "review_request_removed",
                )
                .await;
            }
        }
        Ok(())
    }

    /// Whether the viewer may ask for reviews and withdraw requests: writers (triage) and
    /// the request's author.
    pub fn may_ask_for_reviews(&self, view: &RepoView, issue: &Issue) -> bool {
        self.check_may_ask(view, issue).is_ok()
    }

    fn check_may_ask(&self, view: &RepoView, issue: &Issue) -> Result<(), ReviewError> {
        let facts = view.issue_facts(issue);
        let triage = authorize(view.actor, Action::Triage, Resource::Issue(facts));
        if triage.is_allowed() {
            return Ok(());
        }
        // The request's author may ask too (Gitea's rule), as long as they may comment.
        if is_author(view, issue) {
            check(authorize(
                view.actor,
                Action::Comment,
                Resource::Issue(facts),
            ))?;
            return Ok(());
        }
        check(triage)?;
        Ok(())
    }

    /// Names resolved and checked: users who can read the repository and did not open the
    /// request; teams of the owning organization that have the repository.
    async fn reviewer_targets(
        &self,
        view: &RepoView,
        issue: &Issue,
        users: &[String],
        teams: &[String],
    ) -> Result<Vec<(Reviewer, String)>, ReviewError> {
        let mut found = Vec::new();
        for name in users.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            let user = self
                .store
                .user_by_name(name)
                .await?
                .ok_or_else(|| ReviewError::UnknownUser(name.to_owned()))?;
            if issue.author.as_ref().map(|p| p.id) == Some(user.id) {
                return Err(ReviewError::NotReviewer(user.name));
            }
            found.push((user.id, user.name));
        }
        let readers: HashSet<i64> = self
            .readers_among(
                &view.repo,
                &found.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            )
            .await?;
        let mut out = Vec::new();
        for (id, name) in found {
            if !readers.contains(&id) {
                return Err(ReviewError::NotReviewer(name));
            }
            out.push((Reviewer::User(id), name));
        }
        if teams.iter().any(|t| !t.trim().is_empty()) {
            let repo_teams = self.store.repo_teams(view.repo.id).await?;
            for name in teams.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
                let team = repo_teams
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
                    .ok_or_else(|| ReviewError::UnknownTeam(name.to_owned()))?;
                out.push((Reviewer::Team(team.id), team.name.clone()));
            }
        }
        Ok(out)
    }

    /// Those of `ids` who may read `repo` (one access query).
    async fn readers_among(&self, repo: &Repo, ids: &[i64]) -> Result<HashSet<i64>, ServiceError> {
        self.who_may(repo, ids, Action::Read).await
    }

    async fn who_may(
        &self,
        repo: &Repo,
        ids: &[i64],
        action: Action,
    ) -> Result<HashSet<i64>, ServiceError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let access = self.store.repo_access_of_users(repo.id, ids).await?;
        Ok(ids
            .iter()
            .copied()
            .filter(|id| {
                let actor = Actor::User {
                    id: *id,
                    site_admin: false,
                };
                let a = if repo.owner_id == *id {
                    Default::default()
                } else {
                    access.get(id).copied().unwrap_or_default()
                };
                authorize(actor, action, Resource::Repo(repo.facts(Some(*id), a))).is_allowed()
            })
            .collect())
    }

    async fn may_write(&self, repo: &Repo, user_id: i64) -> Result<bool, ServiceError> {
        Ok(self
            .who_may(repo, &[user_id], Action::Write)
            .await?
            .contains(&user_id))
    }

    /// Each reviewer's standing approval and request for changes on a request, with
    /// whether the reviewer may write to the repository now: what branch protection's
    /// merge check counts.
    pub async fn review_facts(
        &self,
        repo: &Repo,
        issue_id: i64,
    ) -> Result<(Vec<ReviewFact>, Vec<ReviewFact>), ServiceError> {
        let reviews = self.store.reviews_of(issue_id).await?;
        let ids: Vec<i64> = reviews.iter().filter_map(Review::reviewer_id).collect();
        let writers = self.who_may(repo, &ids, Action::Write).await?;
        let verdicts: Vec<Verdict<'_>> = reviews
            .iter()
            .filter(|r| r.state != ReviewState::Pending)
            .filter_map(|r| {
                let reviewer_id = r.reviewer_id()?;
                Some(Verdict {
                    reviewer_id,
                    state: r.state,
                    commit_id: &r.commit_id,
                    dismissed: r.dismissed,
                    reviewer_can_write: writers.contains(&reviewer_id),
                })
            })
            .collect();
        Ok(rules::latest_verdicts(&verdicts))
    }

    /// After the head of a request moved from `old` to `new` (in `base_repo`): reviews on
    /// older heads become stale, approvals are dismissed when the base branch's protection
    /// rule says so, and line comments whose lines changed are marked outdated.
    pub async fn reviews_after_head_move(
        &self,
        base_repo: &Repo,
        issue: &Issue,
        pull: &PullRequest,
        new: Oid,
        new_merge_base: Option<Oid>,
    ) -> Result<(), ServiceError> {
        let dismiss = self
            .protection_for_branch(base_repo, &pull.base_branch)
            .await?
            .is_some_and(|r| r.rule.dismiss_stale_approvals);
        let new_hex = new.to_string();
        self.store
            .reviews_after_head_move(issue.id, &new_hex, dismiss)
            .await?;
        let comments: Vec<ReviewComment> = self
            .store
            .review_comments_of_pull(issue.id)
            .await?
            .into_iter()
            .filter(|c| !c.outdated)
            .collect();
        if comments.is_empty() {
            return Ok(());
        }
        let git = self.open_git(base_repo).await?;
        let outdated = tokio::task::spawn_blocking(move || {
            let mut files: HashMap<(String, String), Option<Vec<u8>>> = HashMap::new();
            let mut read =
                |commit: &str, path: &str| -> Result<Option<Vec<u8>>, hatchery_git::Error> {
                    let key = (commit.to_owned(), path.to_owned());
                    if let Some(f) = files.get(&key) {
                        return Ok(f.clone());
                    }
                    let data = match commit.parse::<Oid>() {
                        Ok(oid) => git
                            .blob(oid, path, OUTDATED_BLOB_MAX)?
                            .filter(|b| !b.truncated && !b.is_binary)
                            .map(|b| b.data),
                        Err(_) => None,
                    };
                    files.insert(key, data.clone());
                    Ok(data)
                };
            let mut out = Vec::new();
            for c in &comments {
                let (then_commit, now_commit) = match c.side {
                    Side::Right => (c.commit_id.clone(), Some(new.to_string())),
                    Side::Left => (
                        c.base_commit_id.clone(),
                        new_merge_base.map(|m| m.to_string()),
                    ),
                };
                let then = read(&then_commit, &c.path)?;
                let now = match now_commit {
                    Some(n) => read(&n, &c.path)?,
                    None => None,
                };
                let end = u32::try_from(c.line).unwrap_or(u32::MAX);
                let start = c
                    .start_line
                    .and_then(|s| u32::try_from(s).ok())
                    .unwrap_or(end);
                if rules::lines_outdated(then.as_deref(), now.as_deref(), start, end) {
                    out.push(c.id);
                }
            }
            Ok::<_, hatchery_git::Error>(out)
        })
        .await??;
        self.store.mark_comments_outdated(&outdated).await?;
        Ok(())
    }

    /// Asks the owners (CODEOWNERS on the base branch) of the files a request changes to
    /// review it: users who can read the repository and teams that have it, never the
    /// request's author. Anything unreadable or unknown is skipped. Returns the requests
    /// made.
    pub async fn request_code_owners(
        &self,
        base_repo: &Repo,
        actor: Actor,
        issue: &Issue,
        pull: &PullRequest,
    ) -> Result<Vec<Reviewer>, ServiceError> {
        let git = self.open_git(base_repo).await?;
        let base_ref = format!("refs/heads/{}", pull.base_branch);
        let Ok(head) = pull.head_oid.parse::<Oid>() else {
            return Ok(Vec::new());
        };
        let found = tokio::task::spawn_blocking(move || {
            let Some(base) = git.find_ref(&base_ref)? else {
                return Ok(None);
            };
            let mut text = None;
            for path in CODEOWNERS_PATHS {
                if let Some(b) = git.blob(base, path, CODEOWNERS_MAX_BYTES)? {
                    if !b.truncated && !b.is_binary {
                        text = Some(String::from_utf8_lossy(&b.data).into_owned());
                    }
                    break;
                }
            }
            let Some(text) = text else {
                return Ok(None);
            };
            let owners = CodeOwners::parse(&text);
            if owners.is_empty() {
                return Ok(None);
            }
            let options = DiffOptions {
                max_files: CODEOWNERS_FILES_MAX,
                max_total_lines: 0,
                max_lines_per_file: 0,
                find_renames: false,
                ..DiffOptions::default()
            };
            let Some(cmp) = git.compare(base, head, 1, &options)? else {
                return Ok(None);
            };
            let paths: Vec<String> = cmp
                .diff
                .files
                .iter()
                .flat_map(|f| [f.old_path.clone(), f.new_path.clone()])
                .flatten()
                .collect();
            Ok::<_, hatchery_git::Error>(Some(
                owners.owners_of_all(paths.iter().map(String::as_str)),
            ))
        })
        .await??;
        let Some(owners) = found else {
            return Ok(Vec::new());
        };
        let author = issue.author.as_ref().map(|p| p.id);
        let mut users = Vec::new();
        let mut targets = Vec::new();
        let repo_teams = if base_repo.owner_is_org {
            self.store.repo_teams(base_repo.id).await?
        } else {
            Vec::new()
        };
        for owner in owners {
            match owner {
                Owner::User(name) => {
                    if let Some(u) = self.store.user_by_name(&name).await?
                        && Some(u.id) != author
                    {
                        users.push(u.id);
                    }
                }
                Owner::Team { org, team } => {
                    if org.eq_ignore_ascii_case(&base_repo.owner_name)
                        && let Some(t) = repo_teams
                            .iter()
                            .find(|t| t.name.eq_ignore_ascii_case(&team))
                    {
                        targets.push(Reviewer::Team(t.id));
                    }
                }
            }
        }
        let readers = self.readers_among(base_repo, &users).await?;
        targets.extend(
            users
                .into_iter()
                .filter(|u| readers.contains(u))
                .map(Reviewer::User),
        );
        // Someone who reviewed the request already is not asked again by a push.
        let reviewed: HashSet<i64> = self
            .store
            .reviews_of(issue.id)
            .await?
            .iter()
            .filter(|r| r.state != ReviewState::Pending)
            .filter_map(Review::reviewer_id)
            .collect();
        let mut made = Vec::new();
        for who in targets {
            if matches!(who, Reviewer::User(u) if reviewed.contains(&u)) {
                continue;
            }
            if self.store.request_review(issue.id, who, None, true).await? {
                made.push(who);
                if let Reviewer::User(uid) = who {
                    self.emit_review_request(base_repo, actor, issue.id, uid, "review_requested")
                        .await;
                }
            }
        }
        Ok(made)
    }

    // ---- webhooks ----

    /// `pull_request_review_approved` / `_rejected` / `_comment` for a submitted review.
    async fn emit_review(&self, repo: &Repo, sender: Actor, issue_id: i64, review: &Review) {
        let event = match review.state {
            ReviewState::Approved => hook_events::PULL_REQUEST_REVIEW_APPROVED,
            ReviewState::RequestChanges => hook_events::PULL_REQUEST_REVIEW_REJECTED,
            ReviewState::Comment => hook_events::PULL_REQUEST_REVIEW_COMMENT,
            ReviewState::Pending => return,
        };
        let body = review.body.clone();
        Box::pin(
            self.emit_pull_payload(repo, sender, issue_id, event, "reviewed", move |p| {
                p.review = Some(ReviewPayload {
                    type_: event.to_owned(),
                    content: body,
                });
            }),
        )
        .await;
    }

    /// `pull_request` with action `review_requested` or `review_request_removed`.
    async fn emit_review_request(
        &self,
        repo: &Repo,
        sender: Actor,
        issue_id: i64,
        reviewer_id: i64,
        action: &'static str,
    ) {
        let reviewer = match self.api_user(Some(reviewer_id)).await {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(error = %e, "building a webhook payload failed");
                return;
            }
        };
        Box::pin(self.emit_pull_payload(
            repo,
            sender,
            issue_id,
            hook_events::PULL_REQUEST_REVIEW_REQUEST,
            action,
            move |p| p.requested_reviewer = Some(reviewer),
        ))
        .await;
    }

    async fn emit_pull_payload(
        &self,
        repo: &Repo,
        sender: Actor,
        issue_id: i64,
        event: &str,
        action: &str,
        finish: impl FnOnce(&mut PullRequestPayload),
    ) {
        self.emit_with(HookScope::of_repo(repo), event, action, None, async {
            let pull = self
                .store
                .pull(issue_id)
                .await?
                .ok_or(ServiceError::Store(StoreError::NotFound))?;
            let pull_request = self.api_pull(repo, issue_id, &pull).await?;
            let mut payload = PullRequestPayload {
                action: action.to_owned(),
                number: pull_request.number,
                changes: None,
                pull_request,
                repository: self.api_repo(repo).await?,
                sender: self.api_user(sender.user_id()).await?,
                commit_id: String::new(),
                review: None,
                requested_reviewer: None,
            };
            finish(&mut payload);
            Ok(payload)
        })
        .await;
    }
}

fn request_target(q: &ReviewRequest) -> Reviewer {
    match (&q.user, &q.team) {
        (Some(u), _) => Reviewer::User(u.id),
        (None, Some((t, _))) => Reviewer::Team(*t),
        (None, None) => Reviewer::User(-1),
    }
}
