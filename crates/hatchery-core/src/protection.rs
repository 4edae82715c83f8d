//! Protected branches: which rule governs a branch, and what it refuses — pushes
//! ([`check_push`]) and merges ([`check_merge`]). Gitea's rule model (`rule_name` is a
//! branch name or a glob; push, force-push and merge allowlists of users and teams;
//! required approvals and status checks), plus two rules open-source foundations ask for:
//! the DCO's `Signed-off-by:` trailer on every new commit, and linear history.
//!
//! Pure: the caller gathers the facts (who pushes, their teams and access, the new
//! commits, reviews, statuses) and shows the refusals through their catalog keys.

use crate::statuses::{CommitState, combined_state};

/// The longest rule name (a branch name or glob).
pub const RULE_NAME_MAX: usize = 255;
/// Status check contexts a rule may require.
pub const CONTEXTS_MAX: usize = 64;
/// More approvals than this is a typo, not a policy.
pub const APPROVALS_MAX: u32 = 100;

/// Users and teams a permission is limited to, when `enabled`; otherwise everyone the
/// rest of the rule lets through.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Allowlist {
    pub enabled: bool,
    pub user_ids: Vec<i64>,
    pub team_ids: Vec<i64>,
}

impl Allowlist {
    fn admits(&self, actor: &ActorFacts) -> bool {
        !self.enabled
            || actor.user_id.is_some_and(|id| self.user_ids.contains(&id))
            || actor.team_ids.iter().any(|t| self.team_ids.contains(t))
    }
}

/// One protection rule of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRule {
    /// A branch name (`main`) or a glob (`release/*`, `**`): `*` matches within one path
    /// segment, `**` across segments, `?` one character.
    pub rule_name: String,
    /// Anyone may push at all (subject to `push_allowlist`); off means nobody pushes
    /// directly, changes arrive by merging pull requests.
    pub enable_push: bool,
    pub push_allowlist: Allowlist,
    /// Non-fast-forward updates are allowed (for those who may push and are on
    /// `force_push_allowlist` when it is enabled).
    pub enable_force_push: bool,
    pub force_push_allowlist: Allowlist,
    /// The branch may be deleted (Gitea never allows it; ours is opt-in).
    pub enable_deletion: bool,
    /// Who may merge pull requests into the branch (besides having write access).
    pub merge_allowlist: Allowlist,
    pub enable_status_check: bool,
    /// Contexts (globs) that must have reported `success` on the head commit. Empty with
    /// `enable_status_check`: every context that reported must be `success`.
    pub status_check_contexts: Vec<String>,
    pub required_approvals: u32,
    pub block_on_rejected_reviews: bool,
    /// Approvals given to an older head commit do not count.
    pub dismiss_stale_approvals: bool,
    /// Repository administrators may push and merge past this rule. Off unless the rule
    /// says so (the API's `block_admin_merge_override` is its negation).
    pub admins_bypass: bool,
    /// Every new commit carries `Signed-off-by:` with its author's name and email (DCO).
    pub require_signoff: bool,
    /// No merge commits reach the branch.
    pub require_linear_history: bool,
}

impl BranchRule {
    /// A rule for `rule_name` with Gitea's defaults for a new rule made in the web form:
    /// pushes by writers, no force pushes, no deletion, nothing else required.
    pub fn new(rule_name: &str) -> BranchRule {
        BranchRule {
            rule_name: rule_name.to_owned(),
            enable_push: true,
            push_allowlist: Allowlist::default(),
            enable_force_push: false,
            force_push_allowlist: Allowlist::default(),
            enable_deletion: false,
            merge_allowlist: Allowlist::default(),
            enable_status_check: false,
            status_check_contexts: Vec::new(),
            required_approvals: 0,
            block_on_rejected_reviews: false,
            dismiss_stale_approvals: false,
            admins_bypass: false,
            require_signoff: false,
            require_linear_history: false,
        }
    }

    /// Whether checking a push needs the pushed commits read.
    pub fn needs_commits(&self) -> bool {
        self.require_signoff || self.require_linear_history
    }

    fn is_glob(&self) -> bool {
        is_glob(&self.rule_name)
    }
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// Why a rule's settings are refused; `key()` is the catalog key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the rule name must be a branch name or a glob")]
    RuleName,
    #[error("a status check context is empty, too long or holds control characters")]
    Context,
    #[error("too many status check contexts")]
    TooManyContexts,
    #[error("too many required approvals")]
    Approvals,
}

impl RuleError {
    pub fn key(self) -> &'static str {
        match self {
            RuleError::RuleName => "protection.bad_rule_name",
            RuleError::Context => "protection.bad_context",
            RuleError::TooManyContexts => "protection.too_many_contexts",
            RuleError::Approvals => "protection.bad_approvals",
        }
    }
}

/// Checks a rule's settings and normalizes them (trimmed name; contexts trimmed,
/// de-duplicated, empty entries dropped; allowlists sorted and de-duplicated).
pub fn validate_rule(mut rule: BranchRule) -> Result<BranchRule, RuleError> {
    rule.rule_name = rule.rule_name.trim().to_owned();
    let name = &rule.rule_name;
    let bad_name = name.is_empty()
        || name.chars().count() > RULE_NAME_MAX
        || name.chars().any(|c| c.is_control() || c.is_whitespace())
        || name.starts_with(['/', '-', '.'])
        || name.ends_with(['/', '.'])
        || name.contains("//")
        || name.contains("..")
        || name.contains(['\\', '~', '^', ':', '[', '@'])
        || name.starts_with("refs/");
    if bad_name {
        return Err(RuleError::RuleName);
    }
    let mut contexts: Vec<String> = Vec::new();
    for c in &rule.status_check_contexts {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        if c.chars().count() > crate::statuses::CONTEXT_MAX || c.chars().any(char::is_control) {
            return Err(RuleError::Context);
        }
        if !contexts.iter().any(|x| x == c) {
            contexts.push(c.to_owned());
        }
    }
    if contexts.len() > CONTEXTS_MAX {
        return Err(RuleError::TooManyContexts);
    }
    rule.status_check_contexts = contexts;
    if rule.required_approvals > APPROVALS_MAX {
        return Err(RuleError::Approvals);
    }
    for list in [
        &mut rule.push_allowlist,
        &mut rule.force_push_allowlist,
        &mut rule.merge_allowlist,
    ] {
        list.user_ids.sort_unstable();
        list.user_ids.dedup();
        list.team_ids.sort_unstable();
        list.team_ids.dedup();
    }
    Ok(rule)
}

/// Whether `pattern` (a rule name) matches `branch` (a short name, `main`).
pub fn rule_matches(pattern: &str, branch: &str) -> bool {
    if !is_glob(pattern) {
        return pattern == branch;
    }
    let p: Vec<char> = pattern.chars().collect();
    let b: Vec<char> = branch.chars().collect();
    glob_at(&p, &b)
}

/// Segment-aware glob: `**` crosses `/`, `*` and `?` do not. Recursion depth is bounded by
/// the pattern's length (rule names are short), and each `*` tries each split once.
fn glob_at(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') if p.get(1) == Some(&'*') => {
            let rest = &p[2..];
            (0..=t.len()).any(|i| glob_at(rest, &t[i..]))
        }
        Some('*') => {
            let rest = &p[1..];
            for i in 0..=t.len() {
                if glob_at(rest, &t[i..]) {
                    return true;
                }
                if t.get(i) == Some(&'/') {
                    break;
                }
            }
            false
        }
        Some('?') => t.first().is_some_and(|&c| c != '/') && glob_at(&p[1..], &t[1..]),
        Some(&c) => t.first() == Some(&c) && glob_at(&p[1..], &t[1..]),
    }
}

/// The rule that governs `branch`: a rule naming it exactly, else the most specific
/// matching glob — the most literal characters, then the fewest `**` (which cross
/// segments); ties go to the earlier rule.
pub fn rule_for<'a>(rules: &'a [BranchRule], branch: &str) -> Option<&'a BranchRule> {
    if let Some(exact) = rules.iter().find(|r| !r.is_glob() && r.rule_name == branch) {
        return Some(exact);
    }
    let specificity = |r: &BranchRule| {
        let literal = r
            .rule_name
            .chars()
            .filter(|c| !matches!(c, '*' | '?'))
            .count();
        (
            literal,
            std::cmp::Reverse(r.rule_name.matches("**").count()),
        )
    };
    let mut best: Option<&BranchRule> = None;
    for r in rules
        .iter()
        .filter(|r| r.is_glob() && rule_matches(&r.rule_name, branch))
    {
        if best.is_none_or(|b| specificity(r) > specificity(b)) {
            best = Some(r);
        }
    }
    best
}

/// Who is pushing or merging, as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActorFacts {
    pub user_id: Option<i64>,
    /// The teams the actor belongs to (of the repository's organization).
    pub team_ids: Vec<i64>,
    /// May write to the repository (the policy's answer for `Write`).
    pub can_write: bool,
    /// Administers the repository (the policy's answer for `Administer`).
    pub is_admin: bool,
}

/// A commit a push or merge brings to the branch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitFacts {
    pub id: String,
    pub message: String,
    pub author_name: String,
    pub author_email: String,
    pub parent_count: usize,
}

/// What a push does to a protected branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefChange {
    Create,
    FastForward,
    /// A force push: the new value does not descend from the old one.
    Rewrite,
    Delete,
}

/// The facts of one ref update of a push.
#[derive(Debug, Clone, Copy)]
pub struct PushFacts<'a> {
    pub actor: &'a ActorFacts,
    pub change: RefChange,
    /// The commits new to the branch; read only when [`BranchRule::needs_commits`].
    pub commits: &'a [CommitFacts],
}

/// Why a push is refused; `key()` is the catalog key, the rule's name is the caller's to
/// show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The rule lets nobody push directly.
    PushDisabled,
    /// The rule limits pushes to listed users and teams.
    NotInPushAllowlist,
    /// Force pushes are off, or limited to others.
    ForcePush,
    Deletion,
    /// A commit lacks its author's `Signed-off-by:`.
    MissingSignoff {
        commit: String,
    },
    /// A merge commit, with linear history required.
    MergeCommit {
        commit: String,
    },
}

impl Refusal {
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::PushDisabled => "protection.refused_push_disabled",
            Refusal::NotInPushAllowlist => "protection.refused_not_listed",
            Refusal::ForcePush => "protection.refused_force_push",
            Refusal::Deletion => "protection.refused_deletion",
            Refusal::MissingSignoff { .. } => "protection.refused_signoff",
            Refusal::MergeCommit { .. } => "protection.refused_merge_commit",
        }
    }

    /// The commit the refusal is about, if any.
    pub fn commit(&self) -> Option<&str> {
        match self {
            Refusal::MissingSignoff { commit } | Refusal::MergeCommit { commit } => Some(commit),
            _ => None,
        }
    }
}

/// Whether `rule` lets this push through. The caller has already checked write access
/// (the policy); this adds the branch's rule on top.
pub fn check_push(rule: &BranchRule, facts: &PushFacts<'_>) -> Result<(), Refusal> {
    if rule.admins_bypass && facts.actor.is_admin {
        return Ok(());
    }
    if facts.change == RefChange::Delete {
        return if rule.enable_deletion && may_push(rule, facts.actor).is_ok() {
            Ok(())
        } else {
            Err(Refusal::Deletion)
        };
    }
    may_push(rule, facts.actor)?;
    if facts.change == RefChange::Rewrite
        && !(rule.enable_force_push && rule.force_push_allowlist.admits(facts.actor))
    {
        return Err(Refusal::ForcePush);
    }
    commit_rules(rule, facts.commits)
}

fn may_push(rule: &BranchRule, actor: &ActorFacts) -> Result<(), Refusal> {
    if !rule.enable_push {
        return Err(Refusal::PushDisabled);
    }
    if !rule.push_allowlist.admits(actor) {
        return Err(Refusal::NotInPushAllowlist);
    }
    Ok(())
}

fn commit_rules(rule: &BranchRule, commits: &[CommitFacts]) -> Result<(), Refusal> {
    for c in commits {
        if rule.require_linear_history && c.parent_count > 1 {
            return Err(Refusal::MergeCommit {
                commit: c.id.clone(),
            });
        }
        if rule.require_signoff && !signed_off_by_author(c) {
            return Err(Refusal::MissingSignoff {
                commit: c.id.clone(),
            });
        }
    }
    Ok(())
}

/// Whether the message has a `Signed-off-by: Name <email>` line naming the commit's
/// author (name and email compared without regard to case, as the DCO bots do).
pub fn signed_off_by_author(c: &CommitFacts) -> bool {
    c.message.lines().any(|line| {
        let Some(rest) = line.trim().strip_prefix("Signed-off-by:") else {
            return false;
        };
        let rest = rest.trim();
        let (Some(open), true) = (rest.rfind('<'), rest.ends_with('>')) else {
            return false;
        };
        let name = rest[..open].trim();
        let email = rest[open + 1..rest.len() - 1].trim();
        !name.is_empty()
            && !email.is_empty()
            && name.to_lowercase() == c.author_name.trim().to_lowercase()
            && email.eq_ignore_ascii_case(c.author_email.trim())
    })
}

/// A review a pull request received (the review model is the caller's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFact {
    pub reviewer_id: i64,
    /// The head commit the review was given on.
    pub commit_id: String,
    /// The reviewer may write to the repository: only their reviews count.
    pub reviewer_can_write: bool,
}

/// The latest status of one context on the head commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusFact {
    pub context: String,
    pub state: CommitState,
}

/// What merging a pull request into a protected branch would do.
#[derive(Debug, Clone, Copy)]
pub struct MergeFacts<'a> {
    pub actor: &'a ActorFacts,
    pub head_id: &'a str,
    /// Each reviewer's latest review, when it approves.
    pub approvals: &'a [ReviewFact],
    /// Each reviewer's latest review, when it requests changes.
    pub rejections: &'a [ReviewFact],
    /// Latest status per context of the head commit.
    pub statuses: &'a [StatusFact],
    /// The commits the merge brings to the branch.
    pub commits: &'a [CommitFacts],
    /// The merge style writes a merge commit (a merge, not a rebase or squash).
    pub creates_merge_commit: bool,
}

/// A requirement a merge does not meet yet; `key()` is the catalog key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmet {
    /// Not on the merge allowlist, or without write access.
    NotAllowedToMerge,
    Approvals {
        required: u32,
        have: u32,
    },
    RejectedReviews,
    /// A required context that has not succeeded (`None`: it never reported).
    StatusCheck {
        context: String,
        state: Option<CommitState>,
    },
    MissingSignoff {
        commit: String,
    },
    /// Linear history is required, and the merge would bring a merge commit.
    MergeCommit {
        commit: Option<String>,
    },
}

impl Unmet {
    pub fn key(&self) -> &'static str {
        match self {
            Unmet::NotAllowedToMerge => "protection.unmet_merge_allowed",
            Unmet::Approvals { .. } => "protection.unmet_approvals",
            Unmet::RejectedReviews => "protection.unmet_rejected",
            Unmet::StatusCheck { .. } => "protection.unmet_status",
            Unmet::MissingSignoff { .. } => "protection.unmet_signoff",
            Unmet::MergeCommit { .. } => "protection.unmet_linear",
        }
    }
}

/// Everything `rule` still requires before this merge may happen; empty means go.
/// Administrators pass when the rule lets them bypass it.
pub fn check_merge(rule: &BranchRule, facts: &MergeFacts<'_>) -> Vec<Unmet> {
    let actor = facts.actor;
    if rule.admins_bypass && actor.is_admin {
        return Vec::new();
    }
    let mut unmet = Vec::new();
    if !actor.can_write || !rule.merge_allowlist.admits(actor) {
        unmet.push(Unmet::NotAllowedToMerge);
    }
    let counted = |r: &&ReviewFact| {
        r.reviewer_can_write && (!rule.dismiss_stale_approvals || r.commit_id == facts.head_id)
    };
    let mut approvers: Vec<i64> = facts
        .approvals
        .iter()
        .filter(counted)
        .map(|r| r.reviewer_id)
        .collect();
    approvers.sort_unstable();
    approvers.dedup();
    let have = u32::try_from(approvers.len()).unwrap_or(u32::MAX);
    if have < rule.required_approvals {
        unmet.push(Unmet::Approvals {
            required: rule.required_approvals,
            have,
        });
    }
    if rule.block_on_rejected_reviews && facts.rejections.iter().any(|r| r.reviewer_can_write) {
        unmet.push(Unmet::RejectedReviews);
    }
    if rule.enable_status_check {
        unmet.extend(status_checks(rule, facts.statuses));
    }
    if rule.require_linear_history && facts.creates_merge_commit {
        unmet.push(Unmet::MergeCommit { commit: None });
    }
    match commit_rules(rule, facts.commits) {
        Err(Refusal::MergeCommit { commit }) => unmet.push(Unmet::MergeCommit {
            commit: Some(commit),
        }),
        Err(Refusal::MissingSignoff { commit }) => unmet.push(Unmet::MissingSignoff { commit }),
        _ => {}
    }
    unmet
}

/// Required contexts (globs) without a `success`; with none listed, every reported
/// context that is not `success`.
fn status_checks(rule: &BranchRule, statuses: &[StatusFact]) -> Vec<Unmet> {
    if rule.status_check_contexts.is_empty() {
        return statuses
            .iter()
            .filter(|s| !s.state.is_success())
            .map(|s| Unmet::StatusCheck {
                context: s.context.clone(),
                state: Some(s.state),
            })
            .collect();
    }
    let mut unmet = Vec::new();
    for pattern in &rule.status_check_contexts {
        let matching: Vec<CommitState> = statuses
            .iter()
            .filter(|s| crate::netpolicy::wildcard(pattern, &s.context))
            .map(|s| s.state)
            .collect();
        if matching.is_empty() {
            unmet.push(Unmet::StatusCheck {
                context: pattern.clone(),
                state: None,
            });
        } else {
            let state = combined_state(matching);
            if !state.is_success() {
                unmet.push(Unmet::StatusCheck {
                    context: pattern.clone(),
                    state: Some(state),
                });
            }
        }
    }
    unmet
}

#[cfg(test)]
mod tests;
