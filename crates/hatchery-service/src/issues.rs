//! Issue use cases: every rule of who may open, comment, edit, triage and close goes through
//! the policy here, and the text of issues and comments is scanned once for references
//! (`#12`, `owner/repo#12`, `@user`) whose effects (timeline events, mentions) follow from
//! what the author may read. The web pages and the API call these, never the store directly
//! for a change.

use std::collections::{HashMap, HashSet};

use hatchery_core::issues::{self as rules, CloseReason};
use hatchery_core::references::{Reference, closing_issues, scan};
use hatchery_core::validate::FieldError;
use hatchery_core::{
    Action, Actor, CommentFacts, Decision, Denial, IssueFacts, RepoFacts, Resource, authorize,
};
use hatchery_render::{RefLink, RefResolver, markdown_references};
use hatchery_store::{Comment, Issue, NewIssue, Person, Repo, StoreError};

use crate::access::RepoLookup;
use crate::{Forge, ServiceError};
use hatchery_api_types::hooks::{ChangesFrom, ChangesPayload};
use hatchery_core::webhooks as hook_events;

/// Why an issue change was refused.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// A field is invalid; `field` names the form input.
    #[error("{field}: {error}")]
    Field {
        field: &'static str,
        error: FieldError,
    },
    /// A label, milestone or assignee that is not valid for this repository.
    #[error("{0} is not valid for this repository")]
    Unknown(&'static str),
    #[error("refused: {0:?}")]
    Denied(Denial),
    #[error("not found")]
    NotFound,
    /// Someone saved a newer version since the page was loaded.
    #[error("changed since it was loaded")]
    Stale,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for IssueError {
    fn from(e: StoreError) -> IssueError {
        match e {
            StoreError::NotFound => IssueError::NotFound,
            StoreError::Stale => IssueError::Stale,
            other => IssueError::Service(other.into()),
        }
    }
}

pub(crate) fn check(decision: Decision) -> Result<(), IssueError> {
    match decision {
        Decision::Allow => Ok(()),
        Decision::Deny(d) => Err(IssueError::Denied(d)),
    }
}

pub(crate) fn field<T>(name: &'static str, r: Result<T, FieldError>) -> Result<T, IssueError> {
    r.map_err(|error| IssueError::Field { field: name, error })
}

/// A repository an actor is looking at, with the facts the policy needs.
#[derive(Debug, Clone)]
pub struct RepoView {
    pub repo: Repo,
    pub facts: RepoFacts,
    pub actor: Actor,
}

impl RepoView {
    pub fn issue_facts(&self, issue: &Issue) -> IssueFacts {
        IssueFacts {
            repo: self.facts,
            actor_is_author: self.actor.user_id().is_some()
                && issue.author.as_ref().map(|p| p.id) == self.actor.user_id(),
            locked: issue.is_locked,
        }
    }

    pub fn comment_facts(&self, issue: &Issue, comment: &Comment) -> CommentFacts {
        CommentFacts {
            issue: self.issue_facts(issue),
            actor_is_author: self.actor.user_id().is_some()
                && comment.author.as_ref().map(|p| p.id) == self.actor.user_id(),
        }
    }

    pub fn may(&self, action: Action, resource: Resource) -> bool {
        authorize(self.actor, action, resource).is_allowed()
    }

    pub fn may_issue(&self, action: Action, issue: &Issue) -> bool {
        self.may(action, Resource::Issue(self.issue_facts(issue)))
    }

    pub fn may_comment(&self, action: Action, issue: &Issue, comment: &Comment) -> bool {
        self.may(
            action,
            Resource::Comment(self.comment_facts(issue, comment)),
        )
    }

    /// Triage rights on the repository's issues (labels, milestones, assignees).
    pub fn may_triage(&self) -> bool {
        self.may(
            Action::Triage,
            Resource::Issue(IssueFacts {
                repo: self.facts,
                ..IssueFacts::default()
            }),
        )
    }

    pub(crate) fn user_id(&self) -> Result<i64, IssueError> {
        self.actor
            .user_id()
            .ok_or(IssueError::Denied(Denial::SignInRequired))
    }
}

/// What a person fills in to open an issue.
#[derive(Debug, Clone, Default)]
pub struct IssueInput {
    pub title: String,
    pub body: String,
    /// Applied only for people who may triage; ignored for others, as GitHub does.
    pub label_ids: Vec<i64>,
    pub milestone_id: Option<i64>,
    pub assignee_ids: Vec<i64>,
}

/// A change of an existing issue, as the issue page's forms and the API's `PATCH` send it:
/// `None` leaves a field alone. Every field given needs its right (text and state: the
/// author or a writer; labels, milestone, assignees and lock: triage), checked before
/// anything is saved, so a refused update saves nothing.
#[derive(Debug, Clone, Default)]
pub struct IssueUpdate {
    pub text: Option<TextUpdate>,
    /// `Some(None)` reopens; `Some(Some(reason))` closes.
    pub state: Option<Option<CloseReason>>,
    pub label_ids: Option<Vec<i64>>,
    /// `Some(None)` removes the milestone.
    pub milestone_id: Option<Option<i64>>,
    pub assignee_ids: Option<Vec<i64>>,
    pub locked: Option<bool>,
}

/// A new title and body, written over `version` (the version the editor started from):
/// `Stale` when someone saved since.
#[derive(Debug, Clone)]
pub struct TextUpdate {
    pub version: i64,
    pub title: String,
    pub body: String,
}

/// References of a page's texts, resolved for one viewer: only what the viewer may read
/// becomes a link.
#[derive(Debug, Default)]
pub struct ResolvedRefs {
    issues: HashMap<(Option<(String, String)>, i64), RefLink>,
    users: HashMap<String, RefLink>,
    commits: HashMap<String, RefLink>,
}

impl RefResolver for ResolvedRefs {
    fn issue(&self, repo: Option<(&str, &str)>, number: i64) -> Option<RefLink> {
        let key = (
            repo.map(|(o, r)| (o.to_ascii_lowercase(), r.to_ascii_lowercase())),
            number,
        );
        self.issues.get(&key).cloned()
    }
    fn mention(&self, name: &str) -> Option<RefLink> {
        self.users.get(&name.to_ascii_lowercase()).cloned()
    }
    fn commit(&self, hex: &str) -> Option<RefLink> {
        self.commits.get(&hex.to_ascii_lowercase()).cloned()
    }
}

/// How many commits of one pushed ref are scanned for references.
const PUSH_SCAN_LIMIT: usize = 1000;

impl Forge {
    /// The repository for `actor`, if they may read it; `None` hides it.
    pub async fn repo_view(
        &self,
        actor: Actor,
        owner: &str,
        name: &str,
    ) -> Result<Option<RepoView>, ServiceError> {
        Ok(
            match self.find_repo(actor, owner, name, Action::Read).await? {
                RepoLookup::Found { repo, facts } => Some(RepoView { repo, facts, actor }),
                _ => None,
            },
        )
    }

    pub async fn repo_view_of(&self, actor: Actor, repo: Repo) -> Result<RepoView, ServiceError> {
        let facts = self.repo_facts(actor, &repo).await?;
        Ok(RepoView { repo, facts, actor })
    }

    pub async fn open_issue(
        &self,
        view: &RepoView,
        input: IssueInput,
    ) -> Result<Issue, IssueError> {
        check(authorize(
            view.actor,
            Action::OpenIssue,
            Resource::Repo(view.facts),
        ))?;
        let author = view.user_id()?;
        let title = field("title", rules::title(&input.title, rules::TITLE_MAX))?;
        let body = field("body", rules::body(&input.body, false))?;
        let (labels, milestone, assignees) = if view.may_triage() {
            let assignees = self.check_assignees(view, &input.assignee_ids).await?;
            (input.label_ids, input.milestone_id, assignees)
        } else {
            (Vec::new(), None, Vec::new())
        };
        let issue = self
            .store
            .create_issue(NewIssue {
                repo_id: view.repo.id,
                author_id: author,
                title: &title,
                body: &body,
                label_ids: &labels,
                milestone_id: milestone,
                assignee_ids: &assignees,
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => IssueError::Unknown("label or milestone"),
                other => other.into(),
            })?;
        self.record_references(view, &issue, None, &body).await?;
        self.emit_issue(
            &view.repo,
            view.actor,
            issue.id,
            hook_events::ISSUES,
            "opened",
            None,
            None,
        )
        .await;
        Ok(issue)
    }

    /// The issue `number` of the repository (readable by the view's actor by construction).
    pub async fn issue(&self, view: &RepoView, number: i64) -> Result<Issue, IssueError> {
        self.store
            .issue_by_number(view.repo.id, number)
            .await?
            .ok_or(IssueError::NotFound)
    }

    pub async fn comment_on(
        &self,
        view: &RepoView,
        issue: &Issue,
        body: &str,
    ) -> Result<Comment, IssueError> {
        check(authorize(
            view.actor,
            Action::Comment,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let body = field("body", rules::body(body, true))?;
        let comment = self
            .store
            .add_comment(issue.id, view.user_id()?, &body)
            .await?;
        self.record_references(view, issue, Some(comment.id), &body)
            .await?;
        self.emit_comment(&view.repo, view.actor, issue.id, &comment, "created", None)
            .await;
        Ok(comment)
    }

    /// Applies `update` to `issue` (see [`IssueUpdate`]): rights and values are checked
    /// first, then each change is saved with its timeline event and webhook. Answers the
    /// issue as it is afterwards.
    pub async fn update_issue(
        &self,
        view: &RepoView,
        issue: &Issue,
        update: IssueUpdate,
    ) -> Result<Issue, IssueError> {
        view.user_id()?;
        if update.text.is_some() || update.state.is_some() {
            check(authorize(
                view.actor,
                Action::Edit,
                Resource::Issue(view.issue_facts(issue)),
            ))?;
        }
        if update.label_ids.is_some()
            || update.milestone_id.is_some()
            || update.assignee_ids.is_some()
            || update.locked.is_some()
        {
            self.triage(view, issue)?;
        }
        // The text as it would be saved, to tell whether it changes anything.
        let text = match &update.text {
            Some(t) => Some((
                t.version,
                field("title", rules::title(&t.title, rules::TITLE_MAX))?,
                field("body", rules::body(&t.body, false))?,
            )),
            None => None,
        };
        if let Some(ids) = &update.label_ids {
            let known: HashSet<i64> = self
                .store
                .label_names(view.repo.id)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            if !ids.iter().all(|id| known.contains(id)) {
                return Err(IssueError::Unknown("label"));
            }
        }
        if let Some(Some(id)) = update.milestone_id
            && self.store.milestone(view.repo.id, id).await?.is_none()
        {
            return Err(IssueError::Unknown("milestone"));
        }
        let assignees = match &update.assignee_ids {
            Some(ids) => Some(self.check_assignees(view, ids).await?),
            None => None,
        };

        if let Some((version, title, body)) = &text
            && (*title != issue.title || *body != issue.body)
        {
            self.edit_issue(view, issue, *version, title, body).await?;
        }
        if let Some(ids) = &update.label_ids {
            self.set_issue_labels(view, issue, ids).await?;
        }
        if let Some(milestone) = update.milestone_id
            && milestone != issue.milestone_id
        {
            self.set_issue_milestone(view, issue, milestone).await?;
        }
        if let Some(ids) = &assignees {
            self.set_issue_assignees(view, issue, ids).await?;
        }
        if let Some(close) = update.state
            && close.is_some() != issue.is_closed
        {
            self.set_issue_state(view, issue, close).await?;
        }
        if let Some(locked) = update.locked
            && locked != issue.is_locked
        {
            self.lock_issue(view, issue, locked).await?;
        }
        self.issue(view, issue.number).await
    }

    /// Saves a new title and body made from `version`; `Stale` when someone saved since.
    async fn edit_issue(
        &self,
        view: &RepoView,
        issue: &Issue,
        version: i64,
        title: &str,
        body: &str,
    ) -> Result<Issue, IssueError> {
        check(authorize(
            view.actor,
            Action::Edit,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let title = field("title", rules::title(title, rules::TITLE_MAX))?;
        let body = field("body", rules::body(body, false))?;
        let edited = self
            .store
            .edit_issue(issue.id, version, view.user_id()?, &title, &body)
            .await?;
        self.record_references(view, &edited, None, &body).await?;
        let changes = ChangesPayload {
            title: (issue.title != edited.title).then(|| ChangesFrom {
                from: issue.title.clone(),
            }),
            body: (issue.body != edited.body).then(|| ChangesFrom {
                from: issue.body.clone(),
            }),
            ref_: None,
        };
        if !changes.is_empty() {
            self.emit_issue(
                &view.repo,
                view.actor,
                issue.id,
                hook_events::ISSUES,
                "edited",
                Some(changes),
                None,
            )
            .await;
        }
        Ok(edited)
    }

    /// Closes (with a reason) or reopens: authors their own issues, writers any.
    async fn set_issue_state(
        &self,
        view: &RepoView,
        issue: &Issue,
        close: Option<CloseReason>,
    ) -> Result<bool, IssueError> {
        check(authorize(
            view.actor,
            Action::Edit,
            Resource::Issue(view.issue_facts(issue)),
        ))?;
        let changed = self
            .store
            .set_issue_state(issue.id, Some(view.user_id()?), close, None)
            .await?;
        if changed {
            if issue.is_pull {
                self.pull_state_changed(&view.repo, issue.id).await;
            }
            let action = if close.is_some() {
                "closed"
            } else {
                "reopened"
            };
            self.emit_issue(
                &view.repo,
                view.actor,
                issue.id,
                hook_events::ISSUES,
                action,
                None,
                None,
            )
            .await;
        }
        Ok(changed)
    }

    async fn lock_issue(
        &self,
        view: &RepoView,
        issue: &Issue,
        locked: bool,
    ) -> Result<bool, IssueError> {
        self.triage(view, issue)?;
        Ok(self
            .store
            .set_issue_locked(issue.id, view.user_id()?, locked)
            .await?)
    }

    fn triage(&self, view: &RepoView, issue: &Issue) -> Result<(), IssueError> {
        check(authorize(
            view.actor,
            Action::Triage,
            Resource::Issue(view.issue_facts(issue)),
        ))
    }

    /// Makes the issue's labels exactly `label_ids`, recording each change.
    async fn set_issue_labels(
        &self,
        view: &RepoView,
        issue: &Issue,
        label_ids: &[i64],
    ) -> Result<(), IssueError> {
        self.triage(view, issue)?;
        let actor = view.user_id()?;
        let current: HashSet<i64> = self
            .store
            .labels_of_issues(&[issue.id])
            .await?
            .remove(&issue.id)
            .unwrap_or_default()
            .iter()
            .map(|l| l.id)
            .collect();
        let wanted: HashSet<i64> = label_ids.iter().copied().collect();
        for id in wanted.difference(&current) {
            self.store
                .set_issue_label(issue.id, *id, true, actor)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => IssueError::Unknown("label"),
                    other => other.into(),
                })?;
        }
        for id in current.difference(&wanted) {
            self.store
                .set_issue_label(issue.id, *id, false, actor)
                .await?;
        }
        if current != wanted {
            let action = if wanted.is_empty() {
                "label_cleared"
            } else {
                "label_updated"
            };
            self.emit_issue(
                &view.repo,
                view.actor,
                issue.id,
                hook_events::ISSUE_LABEL,
                action,
                None,
                None,
            )
            .await;
        }
        Ok(())
    }

    async fn set_issue_milestone(
        &self,
        view: &RepoView,
        issue: &Issue,
        milestone_id: Option<i64>,
    ) -> Result<bool, IssueError> {
        self.triage(view, issue)?;
        let changed = self
            .store
            .set_issue_milestone(issue.id, milestone_id, view.user_id()?)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => IssueError::Unknown("milestone"),
                other => other.into(),
            })?;
        if changed {
            let action = if milestone_id.is_some() {
                "milestoned"
            } else {
                "demilestoned"
            };
            self.emit_issue(
                &view.repo,
                view.actor,
                issue.id,
                hook_events::ISSUE_MILESTONE,
                action,
                None,
                None,
            )
            .await;
        }
        Ok(changed)
    }

    /// Makes the issue's assignees exactly `user_ids`; each must be able to write to the
    /// repository.
    async fn set_issue_assignees(
        &self,
        view: &RepoView,
        issue: &Issue,
        user_ids: &[i64],
    ) -> Result<(), IssueError> {
        self.triage(view, issue)?;
        let actor = view.user_id()?;
        let wanted: HashSet<i64> = self
            .check_assignees(view, user_ids)
            .await?
            .into_iter()
            .collect();
        let current: HashSet<i64> = self
            .store
            .assignees_of_issues(&[issue.id])
            .await?
            .remove(&issue.id)
            .unwrap_or_default()
            .iter()
            .map(|p| p.id)
            .collect();
        for id in wanted.difference(&current) {
            self.store
                .set_issue_assignee(issue.id, *id, true, actor)
                .await?;
        }
        for id in current.difference(&wanted) {
            self.store
                .set_issue_assignee(issue.id, *id, false, actor)
                .await?;
        }
        // One event per change, as Gitea sends them.
        let changes = wanted.difference(&current).map(|_| "assigned");
        for action in changes.chain(current.difference(&wanted).map(|_| "unassigned")) {
            self.emit_issue(
                &view.repo,
                view.actor,
                issue.id,
                hook_events::ISSUE_ASSIGN,
                action,
                None,
                None,
            )
            .await;
        }
        Ok(())
    }

    /// `Unknown("assignee")` unless every id is a person who may write to the repository.
    pub(crate) async fn check_assignees(
        &self,
        view: &RepoView,
        ids: &[i64],
    ) -> Result<Vec<i64>, IssueError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let allowed: HashSet<i64> = self
            .assignable_users(&view.repo)
            .await?
            .iter()
            .map(|p| p.id)
            .collect();
        let mut out: Vec<i64> = ids.to_vec();
        out.sort_unstable();
        out.dedup();
        if out.iter().all(|id| allowed.contains(id)) {
            Ok(out)
        } else {
            Err(IssueError::Unknown("assignee"))
        }
    }

    /// People who may be assigned: those who may write to the repository.
    pub async fn assignable_users(&self, repo: &Repo) -> Result<Vec<Person>, ServiceError> {
        let people = self.store.repo_people(repo.id).await?;
        self.people_who_may(repo, people, Action::Write).await
    }

    /// Those of `people` who may do `action` to the repository, asked with one access query
    /// for all of them.
    async fn people_who_may(
        &self,
        repo: &Repo,
        people: Vec<Person>,
        action: Action,
    ) -> Result<Vec<Person>, ServiceError> {
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        let access = self.store.repo_access_of_users(repo.id, &ids).await?;
        Ok(people
            .into_iter()
            .filter(|person| {
                let actor = Actor::User {
                    id: person.id,
                    site_admin: false,
                };
                // The owner's own relation is ownership, never a collaborator row.
                let a = if repo.owner_id == person.id {
                    Default::default()
                } else {
                    access.get(&person.id).copied().unwrap_or_default()
                };
                authorize(
                    actor,
                    action,
                    Resource::Repo(repo.facts(Some(person.id), a)),
                )
                .is_allowed()
            })
            .collect())
    }

    pub async fn edit_comment(
        &self,
        view: &RepoView,
        issue: &Issue,
        comment: &Comment,
        version: i64,
        body: &str,
    ) -> Result<Comment, IssueError> {
        check(authorize(
            view.actor,
            Action::Edit,
            Resource::Comment(view.comment_facts(issue, comment)),
        ))?;
        let body = field("body", rules::body(body, true))?;
        let edited = self
            .store
            .edit_comment(comment.id, version, view.user_id()?, &body)
            .await?;
        self.record_references(view, issue, Some(comment.id), &body)
            .await?;
        if comment.body != edited.body {
            let changes = ChangesPayload {
                body: Some(ChangesFrom {
                    from: comment.body.clone(),
                }),
                ..ChangesPayload::default()
            };
            self.emit_comment(
                &view.repo,
                view.actor,
                issue.id,
                &edited,
                "edited",
                Some(changes),
            )
            .await;
        }
        Ok(edited)
    }

    pub async fn delete_comment(
        &self,
        view: &RepoView,
        issue: &Issue,
        comment: &Comment,
    ) -> Result<(), IssueError> {
        check(authorize(
            view.actor,
            Action::Remove,
            Resource::Comment(view.comment_facts(issue, comment)),
        ))?;
        self.store.delete_comment(comment.id).await?;
        self.emit_comment(&view.repo, view.actor, issue.id, comment, "deleted", None)
            .await;
        Ok(())
    }

    /// A comment of this issue; `NotFound` for another issue's.
    pub async fn issue_comment(&self, issue: &Issue, id: i64) -> Result<Comment, IssueError> {
        match self.store.comment(id).await? {
            Some(c) if c.issue_id == issue.id => Ok(c),
            _ => Err(IssueError::NotFound),
        }
    }

    /// Finds the issue a reference names, if `actor` may read its repository.
    pub(crate) async fn referenced_issue(
        &self,
        actor: Actor,
        here: &Repo,
        repo: Option<&(String, String)>,
        number: i64,
    ) -> Result<Option<(Repo, Issue)>, ServiceError> {
        let target = match repo {
            None => here.clone(),
            Some((owner, name)) => match self.repo_view(actor, owner, name).await? {
                Some(v) => v.repo,
                None => return Ok(None),
            },
        };
        let issue = self.store.issue_by_number(target.id, number).await?;
        Ok(issue.map(|i| (target, i)))
    }

    /// Records what `text` (the issue's body, or its comment `comment_id`) refers to:
    /// a timeline event on every other issue it names that the author may read, and a
    /// mention of every user it names who may read this repository.
    pub(crate) async fn record_references(
        &self,
        view: &RepoView,
        issue: &Issue,
        comment_id: Option<i64>,
        text: &str,
    ) -> Result<(), ServiceError> {
        let actor_id = match view.actor.user_id() {
            Some(id) => id,
            None => return Ok(()),
        };
        let mut names = Vec::new();
        for reference in markdown_references(text).into_iter().take(50) {
            match reference {
                Reference::Issue { repo, number } => {
                    if let Some((_, target)) = self
                        .referenced_issue(view.actor, &view.repo, repo.as_ref(), number)
                        .await?
                        && target.id != issue.id
                    {
                        self.store
                            .add_issue_reference(target.id, issue.id, comment_id, actor_id)
                            .await?;
                    }
                }
                Reference::Mention(name) => names.push(name),
                Reference::Commit(_) => {}
            }
        }
        let named = self.store.users_by_names(&names).await?;
        let mentioned: Vec<i64> = self
            .people_who_may(&view.repo, named, Action::Read)
            .await?
            .iter()
            .map(|p| p.id)
            .collect();
        self.store.add_mentions(issue.id, &mentioned).await?;
        Ok(())
    }

    /// Resolves the references in `texts` for a viewer of `view`'s repository: issues the
    /// viewer may read, existing users, and commits of this repository (looked up in `git`
    /// on a blocking thread).
    pub async fn resolve_references(
        &self,
        view: &RepoView,
        texts: &[&str],
        git: Option<hatchery_git::Repository>,
    ) -> Result<ResolvedRefs, ServiceError> {
        let mut out = ResolvedRefs::default();
        let mut same_repo = Vec::new();
        let mut other: HashMap<(String, String), Vec<i64>> = HashMap::new();
        let mut names = Vec::new();
        let mut hexes = Vec::new();
        let mut seen = HashSet::new();
        for text in texts {
            for r in markdown_references(text) {
                if !seen.insert(r.clone()) || seen.len() > 200 {
                    continue;
                }
                match r {
                    Reference::Issue { repo: None, number } => same_repo.push(number),
                    Reference::Issue {
                        repo: Some((o, n)),
                        number,
                    } => other
                        .entry((o.to_ascii_lowercase(), n.to_ascii_lowercase()))
                        .or_default()
                        .push(number),
                    Reference::Mention(name) => names.push(name),
                    Reference::Commit(hex) => hexes.push(hex),
                }
            }
        }
        let link = |repo: &Repo, issue: &Issue| RefLink {
            url: format!(
                "/{}/{}/{}/{}",
                repo.owner_name,
                repo.name,
                if issue.is_pull { "pulls" } else { "issues" },
                issue.number
            ),
            title: Some(issue.title.clone()),
        };
        for issue in self
            .store
            .issues_by_numbers(view.repo.id, &same_repo)
            .await?
        {
            out.issues
                .insert((None, issue.number), link(&view.repo, &issue));
        }
        for ((owner, name), numbers) in other {
            let Some(target) = self.repo_view(view.actor, &owner, &name).await? else {
                continue;
            };
            for issue in self
                .store
                .issues_by_numbers(target.repo.id, &numbers)
                .await?
            {
                out.issues.insert(
                    (Some((owner.clone(), name.clone())), issue.number),
                    link(&target.repo, &issue),
                );
            }
        }
        for person in self.store.users_by_names(&names).await? {
            out.users.insert(
                person.name.to_ascii_lowercase(),
                RefLink {
                    url: format!("/{}", person.name),
                    title: Some(person.display_name.clone()).filter(|d| !d.is_empty()),
                },
            );
        }
        if let Some(git) = git
            && !hexes.is_empty()
        {
            let base = format!("/{}/{}/commit/", view.repo.owner_name, view.repo.name);
            let found = tokio::task::spawn_blocking(move || {
                hexes
                    .into_iter()
                    .filter_map(|h| match git.find_commit(&h) {
                        Ok(Some(id)) => Some((h, id)),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
            for (hex, id) in found {
                out.commits.insert(
                    hex.to_ascii_lowercase(),
                    RefLink {
                        url: format!("{base}{id}"),
                        title: None,
                    },
                );
            }
        }
        Ok(out)
    }

    /// After a push: commits new to a branch that mention issues add a timeline event to
    /// each issue the pusher may read; on the default branch, "fixes #N" and its kin close
    /// the issue if the pusher may triage it. Idempotent: pushing the same commits again (to
    /// any branch) changes nothing.
    pub async fn issues_after_push(
        &self,
        repo: &Repo,
        pusher: Actor,
        updates: Vec<(String, Option<hatchery_git::Oid>, hatchery_git::Oid)>,
    ) -> Result<(), ServiceError> {
        let branches: Vec<_> = updates
            .into_iter()
            .filter_map(|(name, old, new)| {
                name.strip_prefix("refs/heads/")
                    .map(|b| (b.to_owned(), old, new))
            })
            .collect();
        if branches.is_empty() {
            return Ok(());
        }
        let default_branch = repo.default_branch.clone();
        let git = self.open_git_blocking(repo)?;
        let scanned = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for (branch, old, new) in branches {
                let on_default = branch == default_branch;
                // On the default branch only the branch's own old tip is excluded, so commits
                // that reached it through a merge of another branch still close issues.
                let mut exclude: Vec<_> = old.into_iter().collect();
                if !on_default && let Ok(refs) = git.refs() {
                    exclude.extend(
                        refs.iter()
                            .filter(|r| {
                                r.name
                                    .strip_prefix("refs/heads/")
                                    .is_some_and(|b| b != branch)
                            })
                            .map(|r| r.target),
                    );
                }
                let commits = git.new_commits(new, &exclude, PUSH_SCAN_LIMIT)?;
                out.push((on_default, commits));
            }
            Ok::<_, hatchery_git::Error>(out)
        })
        .await??;
        let view = self.repo_view_of(pusher, repo.clone()).await?;
        for (on_default, commits) in scanned {
            // Oldest first, so the timeline reads in the order the work was done.
            for commit in commits.iter().rev() {
                let hex = commit.id.to_string();
                let closes: HashSet<(Option<(String, String)>, i64)> = if on_default {
                    closing_issues(&commit.message).into_iter().collect()
                } else {
                    HashSet::new()
                };
                let mut done = HashSet::new();
                for found in scan(&commit.message) {
                    let Reference::Issue {
                        repo: target,
                        number,
                    } = found.reference
                    else {
                        continue;
                    };
                    if !done.insert((target.clone(), number)) {
                        continue;
                    }
                    let Some((target_repo, issue)) = self
                        .referenced_issue(pusher, repo, target.as_ref(), number)
                        .await?
                    else {
                        continue;
                    };
                    self.store
                        .add_commit_reference(issue.id, repo.id, &hex, pusher.user_id())
                        .await?;
                    let key = (
                        target.map(|(o, r)| (o.to_ascii_lowercase(), r.to_ascii_lowercase())),
                        number,
                    );
                    let closes_it = closes.iter().any(|(r, n)| {
                        *n == key.1
                            && r.as_ref()
                                .map(|(o, r)| (o.to_ascii_lowercase(), r.to_ascii_lowercase()))
                                == key.0
                    });
                    if closes_it {
                        let target_view = if target_repo.id == repo.id {
                            view.clone()
                        } else {
                            self.repo_view_of(pusher, target_repo).await?
                        };
                        if target_view.may_issue(Action::Triage, &issue)
                            && self
                                .store
                                .set_issue_state(
                                    issue.id,
                                    pusher.user_id(),
                                    Some(CloseReason::Completed),
                                    Some((repo.id, &hex)),
                                )
                                .await?
                        {
                            if issue.is_pull {
                                self.pull_state_changed(&target_view.repo, issue.id).await;
                            }
                            self.emit_issue(
                                &target_view.repo,
                                pusher,
                                issue.id,
                                hook_events::ISSUES,
                                "closed",
                                None,
                                Some(&hex),
                            )
                            .await;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Issues `viewer` opened, is assigned to or is asked to review, in repositories
    /// `viewer` may read, with their repositories; most recently updated first.
    pub async fn dashboard_issues(
        &self,
        viewer: Actor,
        which: hatchery_store::UserIssues,
        state: rules::StateFilter,
        limit: usize,
    ) -> Result<Vec<(Repo, Issue)>, ServiceError> {
        let Some(uid) = viewer.user_id() else {
            return Ok(Vec::new());
        };
        let issues = self.store.issues_of_user(uid, which, state, 1000).await?;
        let mut readable: HashMap<i64, Option<Repo>> = HashMap::new();
        let mut out = Vec::new();
        for issue in issues {
            let repo = match readable.get(&issue.repo_id) {
                Some(known) => known.clone(),
                None => {
                    let repo = match self.store.repo_by_id(issue.repo_id).await? {
                        Some(repo) => {
                            let facts = self.repo_facts(viewer, &repo).await?;
                            authorize(viewer, Action::Read, Resource::Repo(facts))
                                .is_allowed()
                                .then_some(repo)
                        }
                        None => None,
                    };
                    readable.insert(issue.repo_id, repo.clone());
                    repo
                }
            };
            if let Some(repo) = repo {
                out.push((repo, issue));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
