//! The permission policy: every authorization decision in Hatchery is made by
//! [`authorize`]. Handlers gather the facts (who the actor is, their relation to the
//! resource) and never compare roles themselves.

use crate::roles::{AccessLevel, OrgRole};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User { id: i64, site_admin: bool },
}

impl Actor {
    pub fn user_id(self) -> Option<i64> {
        match self {
            Actor::Anonymous => None,
            Actor::User { id, .. } => Some(id),
        }
    }

    fn is_site_admin(self) -> bool {
        matches!(
            self,
            Actor::User {
                site_admin: true,
                ..
            }
        )
    }
}

/// The actor's relation to an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrgFacts {
    pub role: Option<OrgRole>,
}

/// The actor's relation to a repository, gathered by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RepoFacts {
    pub private: bool,
    /// Read-only repositories (e.g. a retired incubator project) refuse every write.
    pub read_only: bool,
    /// The repository belongs to the actor's own account.
    pub actor_is_owner: bool,
    /// When the owner is an organization: the actor's role in it.
    pub org_role: Option<OrgRole>,
    /// The highest level any of the actor's teams grants on this repository.
    pub team_level: Option<AccessLevel>,
    /// The level the actor has as a collaborator.
    pub collaborator_level: Option<AccessLevel>,
}

impl RepoFacts {
    /// The access level the actor holds, before visibility is considered.
    fn granted(&self) -> Option<AccessLevel> {
        if self.actor_is_owner || self.org_role == Some(OrgRole::Owner) {
            return Some(AccessLevel::Admin);
        }
        self.team_level.max(self.collaborator_level)
    }
}

/// What is being acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Site,
    /// A user account; `id` is that user's id.
    User {
        id: i64,
    },
    Org(OrgFacts),
    Repo(RepoFacts),
    Issue(IssueFacts),
    Comment(CommentFacts),
    /// An incubation program of an organization, or one of its proposals, votes, projects
    /// or reports: what the actor is to it.
    Program(ProgramFacts),
}

/// The actor's relation to an incubation program and, where the action is about one, to a
/// proposal, vote or project of it. Unset fields are "no".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProgramFacts {
    /// The actor's role in the organization that runs the program.
    pub org_role: Option<OrgRole>,
    /// A member of the program's committee. For a ballot: a member of the electorate frozen
    /// when the vote opened, whatever the committee is now.
    pub committee_member: bool,
    /// A mentor on the roster of the project in question.
    pub mentor: bool,
    /// On the roster of the project in question, in any role (champion, mentor, committer).
    pub project_member: bool,
    /// Wrote the proposal in question.
    pub proposal_author: bool,
    /// May write to the repository in question (a release candidate's): one of the
    /// project's people.
    pub repo_writer: bool,
    /// On the project's management committee: a PPMC member, mentor or champion of the
    /// project in question.
    pub pmc_member: bool,
    /// Holds a role on the project in question whose holders vote on the kind of vote in
    /// question (an election the project's PPMC decides).
    pub project_voter: bool,
}

/// The actor's relation to an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IssueFacts {
    pub repo: RepoFacts,
    /// The actor opened the issue.
    pub actor_is_author: bool,
    /// Locked conversations take comments and edits from writers only.
    pub locked: bool,
}

/// The actor's relation to a comment on an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommentFacts {
    pub issue: IssueFacts,
    /// The actor wrote the comment.
    pub actor_is_author: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Site: open the site administration.
    AdminSite,
    /// Site: create an organization.
    CreateOrg,
    /// User or org: see the profile page.
    ViewProfile,
    /// User: change settings, password, tokens. Org: change profile settings.
    EditSettings,
    /// User or org: create a repository owned by it.
    CreateRepo,
    /// Org: add/remove members and change their roles.
    ManageMembers,
    /// Org: create/delete teams, change their members and levels.
    ManageTeams,
    /// Org: delete the organization.
    Delete,
    /// Org: see its teams and their members.
    ViewTeams,
    /// Org: leave it (members themselves).
    Leave,
    /// Repo: read code, clone, see issues.
    Read,
    /// Repo: push, triage.
    Write,
    /// Repo: settings, collaborators, deletion.
    Administer,
    /// Repo: open an issue.
    OpenIssue,
    /// Repo: fork it (anyone signed in who can read it; where the fork goes is checked
    /// with `CreateRepo` on the new owner).
    Fork,
    /// Repo: open a pull request into it (its readers; the head must be readable too).
    OpenPull,
    /// Pull request: merge it (the base repository's writers; branch protection may add
    /// refusals).
    Merge,
    /// Issue: add a comment.
    Comment,
    /// Issue: change its title and body, close or reopen it. Comment: change its text.
    Edit,
    /// Issue: labels, milestone, assignees, locking, closing anyone's issue.
    Triage,
    /// Comment: remove it.
    Remove,
    /// Program: change its settings, template and committee (organization owners).
    ManageProgram,
    /// Program: draft a proposal (anyone signed in). Proposals are discussed with
    /// `Comment`, changed with `Edit` (authors, the committee, organization owners).
    ProposeToProgram,
    /// Proposal: ask its authors for more information (the committee).
    ReviewProposal,
    /// Proposal: take it back before it is decided, with a reason (its author).
    WithdrawProposal,
    /// Proposal: close it without a vote, with a reason (the committee and organization
    /// owners).
    CloseProposal,
    /// Program: open a vote on a proposal or a project's transition (the committee).
    OpenVote,
    /// Vote: cast a ballot, binding or not (anyone signed in).
    CastVote,
    /// Vote: cast a ballot that counts (the electorate frozen when it opened).
    CastBindingVote,
    /// Project: record a stage change decided elsewhere, with a reference (organization
    /// owners).
    RecordDecision,
    /// Report: write, prefill and submit it (the project's roster and the committee).
    EditReport,
    /// Report: sign it off (the project's mentors and the committee).
    SignOffReport,
    /// Checklist: set a manually judged item or override one (mentors and the committee).
    SetManualChecklist,
    /// Project: add people to its roster, end their role or remove an entry made by
    /// mistake, link and unlink its repositories (the committee, organization owners and
    /// the project's management committee: PPMC members, mentors, champion).
    ManageRoster,
    /// Release candidate of a project's repository: see it before its release vote passes
    /// (the repository's writers and the program's committee; to anyone else it is
    /// missing).
    SeeReleaseCandidate,
    /// Release candidate: open the release vote on it (the repository's writers and the
    /// program's committee).
    OpenReleaseVote,
    /// Project: open an election or a vote of the program's own kinds on it (the committee,
    /// and the project's people who vote on that kind).
    OpenProjectVote,
    /// Recommended project: edit its board resolution draft and send it to the board (the
    /// committee, organization owners and the project's management committee).
    EditResolution,
    /// Project: its reporting group on the program's board calendar and its sponsor (the
    /// committee and organization owners).
    EditProjectRecord,
}

/// Why an action was refused. `NotFound` is used where admitting that the resource
/// exists would leak it (private repositories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// Signing in might help: the web answers with a sign-in redirect, git with a 401.
    SignInRequired,
    Forbidden,
    NotFound,
    /// The resource exists and is readable but refuses all changes.
    ReadOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Denial),
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

fn allow_if(cond: bool, actor: Actor) -> Decision {
    match (cond, actor) {
        (true, _) => Decision::Allow,
        (false, Actor::Anonymous) => Decision::Deny(Denial::SignInRequired),
        (false, Actor::User { .. }) => Decision::Deny(Denial::Forbidden),
    }
}

/// The one place that decides whether `actor` may do `action` to `resource`.
pub fn authorize(actor: Actor, action: Action, resource: Resource) -> Decision {
    let admin = actor.is_site_admin();
    match (resource, action) {
        (_, Action::ViewProfile) if !matches!(resource, Resource::Repo(_)) => Decision::Allow,
        (Resource::Site, Action::AdminSite) => allow_if(admin, actor),
        (Resource::Site, Action::CreateOrg) => allow_if(actor.user_id().is_some(), actor),
        (Resource::User { id }, Action::EditSettings | Action::CreateRepo) => {
            allow_if(admin || actor.user_id() == Some(id), actor)
        }
        (
            Resource::Org(org),
            Action::EditSettings
            | Action::ManageMembers
            | Action::ManageTeams
            | Action::Delete
            | Action::CreateRepo,
        ) => allow_if(admin || org.role == Some(OrgRole::Owner), actor),
        (Resource::Org(org), Action::ViewTeams) => allow_if(admin || org.role.is_some(), actor),
        (Resource::Org(org), Action::Leave) => allow_if(org.role.is_some(), actor),
        (Resource::Repo(repo), Action::Read | Action::Write | Action::Administer) => {
            authorize_repo(actor, action, repo)
        }
        (Resource::Repo(repo), Action::Fork) => match authorize_repo(actor, Action::Read, repo) {
            Decision::Allow => allow_if(actor.user_id().is_some(), actor),
            denied => denied,
        },
        (Resource::Repo(repo), Action::OpenIssue | Action::OpenPull) => {
            participate(actor, repo, false)
        }
        (Resource::Issue(issue), Action::Merge) => authorize_repo(actor, Action::Write, issue.repo),
        (Resource::Issue(issue), Action::Read) => authorize_repo(actor, Action::Read, issue.repo),
        (Resource::Issue(issue), Action::Comment) => participate(actor, issue.repo, issue.locked),
        (Resource::Issue(issue), Action::Edit) => {
            if issue.actor_is_author {
                participate(actor, issue.repo, issue.locked)
            } else {
                authorize_repo(actor, Action::Write, issue.repo)
            }
        }
        (Resource::Issue(issue), Action::Triage) => {
            authorize_repo(actor, Action::Write, issue.repo)
        }
        (Resource::Comment(c), Action::Edit) => {
            if c.actor_is_author {
                participate(actor, c.issue.repo, c.issue.locked)
            } else {
                deny_unless_readable(actor, c.issue.repo)
            }
        }
        (Resource::Comment(c), Action::Remove) => {
            if c.actor_is_author {
                participate(actor, c.issue.repo, c.issue.locked)
            } else {
                authorize_repo(actor, Action::Write, c.issue.repo)
            }
        }
        (Resource::Program(p), action) => authorize_program(actor, action, p),
        _ => allow_if(false, actor),
    }
}

fn authorize_program(actor: Actor, action: Action, p: ProgramFacts) -> Decision {
    let signed_in = actor.user_id().is_some();
    if action == Action::SeeReleaseCandidate {
        // Missing, not forbidden, to everyone else: a candidate's existence is not told
        // before its vote passes.
        return if signed_in && (p.committee_member || p.repo_writer) {
            Decision::Allow
        } else {
            Decision::Deny(Denial::NotFound)
        };
    }
    let owner = actor.is_site_admin() || p.org_role == Some(OrgRole::Owner);
    let allowed = signed_in
        && match action {
            Action::ManageProgram | Action::RecordDecision => owner,
            Action::ProposeToProgram | Action::Comment | Action::CastVote => true,
            Action::Edit => p.proposal_author || p.committee_member || owner,
            Action::ReviewProposal | Action::OpenVote | Action::CastBindingVote => {
                p.committee_member
            }
            Action::EditReport => p.project_member || p.committee_member,
            Action::SignOffReport | Action::SetManualChecklist => p.mentor || p.committee_member,
            Action::ManageRoster => p.committee_member || p.pmc_member || owner,
            Action::WithdrawProposal => p.proposal_author,
            Action::CloseProposal | Action::EditProjectRecord => p.committee_member || owner,
            Action::OpenReleaseVote => p.committee_member || p.repo_writer,
            Action::OpenProjectVote => p.committee_member || p.project_voter,
            Action::EditResolution => p.committee_member || p.pmc_member || owner,
            _ => false,
        };
    allow_if(allowed, actor)
}

/// Taking part in a repository's conversations: anyone signed in who can read it, unless
/// it is read-only; when the conversation is `locked`, only its writers.
fn participate(actor: Actor, repo: RepoFacts, locked: bool) -> Decision {
    if locked {
        return authorize_repo(actor, Action::Write, repo);
    }
    match authorize_repo(actor, Action::Read, repo) {
        Decision::Allow if actor.user_id().is_none() => Decision::Deny(Denial::SignInRequired),
        Decision::Allow if repo.read_only => Decision::Deny(Denial::ReadOnly),
        other => other,
    }
}

/// Refused, without revealing a repository the actor cannot read.
fn deny_unless_readable(actor: Actor, repo: RepoFacts) -> Decision {
    match authorize_repo(actor, Action::Read, repo) {
        Decision::Allow => allow_if(false, actor),
        other => other,
    }
}

fn authorize_repo(actor: Actor, action: Action, repo: RepoFacts) -> Decision {
    let level = if actor.is_site_admin() {
        Some(AccessLevel::Admin)
    } else {
        repo.granted()
    };
    let can_read = !repo.private || level.is_some();
    if !can_read {
        // A private repository the actor cannot read looks exactly like a missing one.
        return Decision::Deny(match actor {
            Actor::Anonymous => Denial::SignInRequired,
            Actor::User { .. } => Denial::NotFound,
        });
    }
    let needed = match action {
        Action::Read => return Decision::Allow,
        Action::Write => AccessLevel::Write,
        _ => AccessLevel::Admin,
    };
    if level.is_some_and(|l| l >= needed) {
        if repo.read_only && action == Action::Write {
            Decision::Deny(Denial::ReadOnly)
        } else {
            Decision::Allow
        }
    } else {
        allow_if(false, actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Decision::{Allow, Deny};
    use Denial::*;

    const ANON: Actor = Actor::Anonymous;
    const USER: Actor = Actor::User {
        id: 1,
        site_admin: false,
    };
    const ADMIN: Actor = Actor::User {
        id: 9,
        site_admin: true,
    };

    fn org(role: Option<OrgRole>) -> Resource {
        Resource::Org(OrgFacts { role })
    }

    #[test]
    fn site_and_account_table() {
        let other = Resource::User { id: 2 };
        let me = Resource::User { id: 1 };
        let owner = org(Some(OrgRole::Owner));
        let member = org(Some(OrgRole::Member));
        let outsider = org(None);
        #[rustfmt::skip]
        let table: &[(Actor, Action, Resource, Decision)] = &[
            (ANON,  AdminSite,     Resource::Site, Deny(SignInRequired)),
            (USER,  AdminSite,     Resource::Site, Deny(Forbidden)),
            (ADMIN, AdminSite,     Resource::Site, Allow),
            (ANON,  CreateOrg,     Resource::Site, Deny(SignInRequired)),
            (USER,  CreateOrg,     Resource::Site, Allow),
            (ANON,  ViewProfile,   other,          Allow),
            (ANON,  ViewProfile,   outsider,       Allow),
            (ANON,  EditSettings,  me,             Deny(SignInRequired)),
            (USER,  EditSettings,  me,             Allow),
            (USER,  EditSettings,  other,          Deny(Forbidden)),
            (ADMIN, EditSettings,  other,          Allow),
            (USER,  CreateRepo,    me,             Allow),
            (USER,  CreateRepo,    other,          Deny(Forbidden)),
            (ANON,  ManageMembers, outsider,       Deny(SignInRequired)),
            (USER,  ManageMembers, outsider,       Deny(Forbidden)),
            (USER,  ManageMembers, member,         Deny(Forbidden)),
            (USER,  ManageMembers, owner,          Allow),
            (ADMIN, ManageMembers, outsider,       Allow),
            (USER,  ManageTeams,   member,         Deny(Forbidden)),
            (USER,  ManageTeams,   owner,          Allow),
            (USER,  EditSettings,  owner,          Allow),
            (USER,  EditSettings,  member,         Deny(Forbidden)),
            (USER,  Delete,        owner,          Allow),
            (USER,  Delete,        member,         Deny(Forbidden)),
            (USER,  CreateRepo,    owner,          Allow),
            (USER,  CreateRepo,    member,         Deny(Forbidden)),
            (ADMIN, Delete,        outsider,       Allow),
            (ANON,  ViewTeams,     outsider,       Deny(SignInRequired)),
            (USER,  ViewTeams,     outsider,       Deny(Forbidden)),
            (USER,  ViewTeams,     member,         Allow),
            (ADMIN, ViewTeams,     outsider,       Allow),
            (USER,  Leave,         member,         Allow),
            (USER,  Leave,         owner,          Allow),
            (USER,  Leave,         outsider,       Deny(Forbidden)),
            (ADMIN, Leave,         outsider,       Deny(Forbidden)),
            (USER,  Read,          Resource::Site, Deny(Forbidden)),
            (ANON,  Write,         other,          Deny(SignInRequired)),
        ];
        for (i, (actor, action, resource, want)) in table.iter().enumerate() {
            assert_eq!(
                authorize(*actor, *action, *resource),
                *want,
                "row {i}: {actor:?} {action:?} {resource:?}"
            );
        }
    }

    #[test]
    fn repository_table() {
        let public = RepoFacts::default();
        let private = RepoFacts {
            private: true,
            ..RepoFacts::default()
        };
        let mine = RepoFacts {
            private: true,
            actor_is_owner: true,
            ..RepoFacts::default()
        };
        let org_owner = RepoFacts {
            private: true,
            org_role: Some(OrgRole::Owner),
            ..RepoFacts::default()
        };
        let org_member = RepoFacts {
            private: true,
            org_role: Some(OrgRole::Member),
            ..RepoFacts::default()
        };
        let team_read = RepoFacts {
            team_level: Some(AccessLevel::Read),
            ..org_member
        };
        let team_write = RepoFacts {
            team_level: Some(AccessLevel::Write),
            ..org_member
        };
        let collab_admin = RepoFacts {
            private: true,
            collaborator_level: Some(AccessLevel::Admin),
            ..RepoFacts::default()
        };
        let retired = RepoFacts {
            read_only: true,
            ..team_write
        };
        let r = Resource::Repo;
        #[rustfmt::skip]
        let table: &[(Actor, Action, RepoFacts, Decision)] = &[
            (ANON,  Read,       public,       Allow),
            (ANON,  Write,      public,       Deny(SignInRequired)),
            (USER,  Read,       public,       Allow),
            (USER,  Write,      public,       Deny(Forbidden)),
            (ANON,  Read,       private,      Deny(SignInRequired)),
            (USER,  Read,       private,      Deny(NotFound)),
            (USER,  Write,      private,      Deny(NotFound)),
            (USER,  Administer, private,      Deny(NotFound)),
            (ADMIN, Administer, private,      Allow),
            (USER,  Administer, mine,         Allow),
            (USER,  Administer, org_owner,    Allow),
            (USER,  Read,       org_member,   Deny(NotFound)),
            (USER,  Read,       team_read,    Allow),
            (USER,  Write,      team_read,    Deny(Forbidden)),
            (USER,  Write,      team_write,   Allow),
            (USER,  Administer, team_write,   Deny(Forbidden)),
            (USER,  Administer, collab_admin, Allow),
            (USER,  Read,       retired,      Allow),
            (USER,  Write,      retired,      Deny(ReadOnly)),
            (ADMIN, Write,      RepoFacts { read_only: true, ..public }, Deny(ReadOnly)),
        ];
        for (i, (actor, action, facts, want)) in table.iter().enumerate() {
            assert_eq!(
                authorize(*actor, *action, r(*facts)),
                *want,
                "row {i}: {actor:?} {action:?} {facts:?}"
            );
        }
    }

    #[test]
    fn program_table() {
        let p = |f: fn(&mut ProgramFacts)| {
            let mut facts = ProgramFacts::default();
            f(&mut facts);
            Resource::Program(facts)
        };
        let outsider = p(|_| {});
        let owner = p(|f| f.org_role = Some(OrgRole::Owner));
        let member = p(|f| f.org_role = Some(OrgRole::Member));
        let committee = p(|f| f.committee_member = true);
        let mentor = p(|f| {
            f.mentor = true;
            f.project_member = true;
        });
        let committer = p(|f| f.project_member = true);
        let author = p(|f| f.proposal_author = true);
        let writer = p(|f| f.repo_writer = true);
        let ppmc = p(|f| {
            f.pmc_member = true;
            f.project_member = true;
        });
        let voter = p(|f| {
            f.project_voter = true;
            f.project_member = true;
        });
        #[rustfmt::skip]
        let table: &[(Actor, Action, Resource, Decision)] = &[
            (USER,  ManageProgram,      owner,     Allow),
            (USER,  ManageProgram,      member,    Deny(Forbidden)),
            (USER,  ManageProgram,      committee, Deny(Forbidden)),
            (ADMIN, ManageProgram,      outsider,  Allow),
            (ANON,  ManageProgram,      outsider,  Deny(SignInRequired)),
            (USER,  RecordDecision,     owner,     Allow),
            (USER,  RecordDecision,     committee, Deny(Forbidden)),
            (ADMIN, RecordDecision,     outsider,  Allow),
            (USER,  ProposeToProgram,   outsider,  Allow),
            (ANON,  ProposeToProgram,   outsider,  Deny(SignInRequired)),
            (USER,  Comment,            outsider,  Allow),
            (ANON,  Comment,            outsider,  Deny(SignInRequired)),
            (USER,  Edit,               author,    Allow),
            (USER,  Edit,               committee, Allow),
            (USER,  Edit,               owner,     Allow),
            (USER,  Edit,               outsider,  Deny(Forbidden)),
            (ANON,  Edit,               author,    Deny(SignInRequired)),
            (USER,  ReviewProposal,     committee, Allow),
            (USER,  ReviewProposal,     author,    Deny(Forbidden)),
            (USER,  WithdrawProposal,   author,    Allow),
            (USER,  WithdrawProposal,   committee, Deny(Forbidden)),
            (USER,  WithdrawProposal,   owner,     Deny(Forbidden)),
            (ADMIN, WithdrawProposal,   outsider,  Deny(Forbidden)),
            (ANON,  WithdrawProposal,   author,    Deny(SignInRequired)),
            (USER,  CloseProposal,      committee, Allow),
            (USER,  CloseProposal,      owner,     Allow),
            (ADMIN, CloseProposal,      outsider,  Allow),
            (USER,  CloseProposal,      author,    Deny(Forbidden)),
            (USER,  CloseProposal,      member,    Deny(Forbidden)),
            (ANON,  CloseProposal,      committee, Deny(SignInRequired)),
            (USER,  OpenVote,           committee, Allow),
            (USER,  OpenVote,           owner,     Deny(Forbidden)),
            (ADMIN, OpenVote,           outsider,  Deny(Forbidden)),
            (USER,  OpenVote,           mentor,    Deny(Forbidden)),
            (USER,  CastVote,           outsider,  Allow),
            (ANON,  CastVote,           committee, Deny(SignInRequired)),
            (USER,  CastBindingVote,    committee, Allow),
            (USER,  CastBindingVote,    owner,     Deny(Forbidden)),
            (ADMIN, CastBindingVote,    outsider,  Deny(Forbidden)),
            (USER,  EditReport,         committer, Allow),
            (USER,  EditReport,         committee, Allow),
            (USER,  EditReport,         outsider,  Deny(Forbidden)),
            (USER,  SignOffReport,      mentor,    Allow),
            (USER,  SignOffReport,      committee, Allow),
            (USER,  SignOffReport,      committer, Deny(Forbidden)),
            (USER,  SignOffReport,      owner,     Deny(Forbidden)),
            (USER,  SetManualChecklist, mentor,    Allow),
            (USER,  SetManualChecklist, committee, Allow),
            (USER,  SetManualChecklist, committer, Deny(Forbidden)),
            (ANON,  SetManualChecklist, committee, Deny(SignInRequired)),
            (USER,  ManageRoster,       committee, Allow),
            (USER,  ManageRoster,       owner,     Allow),
            (USER,  ManageRoster,       ppmc,      Allow),
            (ANON,  ManageRoster,       ppmc,      Deny(SignInRequired)),
            (USER,  ManageRoster,       committer, Deny(Forbidden)),
            (USER,  ManageRoster,       member,    Deny(Forbidden)),
            (ADMIN, ManageRoster,       outsider,  Allow),
            (USER,  EditProjectRecord,  committee, Allow),
            (USER,  EditProjectRecord,  owner,     Allow),
            (USER,  EditProjectRecord,  mentor,    Deny(Forbidden)),
            (USER,  EditProjectRecord,  ppmc,      Deny(Forbidden)),
            (ANON,  EditProjectRecord,  committee, Deny(SignInRequired)),
            (USER,  Read,               owner,     Deny(Forbidden)),
            (USER,  Administer,         owner,     Deny(Forbidden)),
            (USER,  SeeReleaseCandidate, writer,   Allow),
            (USER,  SeeReleaseCandidate, committee, Allow),
            (USER,  SeeReleaseCandidate, mentor,   Deny(NotFound)),
            (USER,  SeeReleaseCandidate, owner,    Deny(NotFound)),
            (ADMIN, SeeReleaseCandidate, outsider, Deny(NotFound)),
            (ANON,  SeeReleaseCandidate, outsider, Deny(NotFound)),
            (USER,  OpenReleaseVote,    writer,    Allow),
            (USER,  OpenReleaseVote,    committee, Allow),
            (USER,  OpenReleaseVote,    committer, Deny(Forbidden)),
            (USER,  OpenReleaseVote,    outsider,  Deny(Forbidden)),
            (ANON,  OpenReleaseVote,    committee, Deny(SignInRequired)),
            (USER,  OpenProjectVote,    committee, Allow),
            (USER,  OpenProjectVote,    voter,     Allow),
            (USER,  OpenProjectVote,    ppmc,      Deny(Forbidden)),
            (USER,  OpenProjectVote,    committer, Deny(Forbidden)),
            (USER,  OpenProjectVote,    owner,     Deny(Forbidden)),
            (ANON,  OpenProjectVote,    committee, Deny(SignInRequired)),
            (USER,  EditResolution,     committee, Allow),
            (USER,  EditResolution,     ppmc,      Allow),
            (USER,  EditResolution,     owner,     Allow),
            (USER,  EditResolution,     committer, Deny(Forbidden)),
            (USER,  EditResolution,     outsider,  Deny(Forbidden)),
            (ANON,  EditResolution,     committee, Deny(SignInRequired)),
        ];
        for (i, (actor, action, resource, want)) in table.iter().enumerate() {
            assert_eq!(
                authorize(*actor, *action, *resource),
                *want,
                "row {i}: {actor:?} {action:?} {resource:?}"
            );
        }
    }

    #[test]
    fn issue_table() {
        let public = RepoFacts::default();
        let writer = RepoFacts {
            collaborator_level: Some(AccessLevel::Write),
            ..public
        };
        let reader_private = RepoFacts {
            private: true,
            collaborator_level: Some(AccessLevel::Read),
            ..public
        };
        let private = RepoFacts {
            private: true,
            ..public
        };
        let retired = RepoFacts {
            read_only: true,
            ..writer
        };
        let issue = |repo, author, locked| {
            Resource::Issue(IssueFacts {
                repo,
                actor_is_author: author,
                locked,
            })
        };
        let comment = |repo, author, locked| {
            Resource::Comment(CommentFacts {
                issue: IssueFacts {
                    repo,
                    actor_is_author: false,
                    locked,
                },
                actor_is_author: author,
            })
        };
        #[rustfmt::skip]
        let table: &[(Actor, Action, Resource, Decision)] = &[
            (ANON,  OpenIssue, Resource::Repo(public),          Deny(SignInRequired)),
            (USER,  OpenIssue, Resource::Repo(public),          Allow),
            (USER,  OpenIssue, Resource::Repo(private),         Deny(NotFound)),
            (ANON,  OpenIssue, Resource::Repo(private),         Deny(SignInRequired)),
            (USER,  OpenIssue, Resource::Repo(reader_private),  Allow),
            (USER,  OpenIssue, Resource::Repo(retired),         Deny(ReadOnly)),
            (ANON,  Fork,      Resource::Repo(public),          Deny(SignInRequired)),
            (USER,  Fork,      Resource::Repo(public),          Allow),
            (USER,  Fork,      Resource::Repo(private),         Deny(NotFound)),
            (ANON,  Fork,      Resource::Repo(private),         Deny(SignInRequired)),
            (USER,  Fork,      Resource::Repo(reader_private),  Allow),
            (USER,  Fork,      Resource::Repo(retired),         Allow),
            (ANON,  OpenPull,  Resource::Repo(public),          Deny(SignInRequired)),
            (USER,  OpenPull,  Resource::Repo(public),          Allow),
            (USER,  OpenPull,  Resource::Repo(private),         Deny(NotFound)),
            (USER,  OpenPull,  Resource::Repo(reader_private),  Allow),
            (USER,  OpenPull,  Resource::Repo(retired),         Deny(ReadOnly)),
            (USER,  Merge,     issue(public, true, false),      Deny(Forbidden)),
            (USER,  Merge,     issue(writer, false, false),     Allow),
            (USER,  Merge,     issue(reader_private, true, false), Deny(Forbidden)),
            (USER,  Merge,     issue(private, false, false),    Deny(NotFound)),
            (USER,  Merge,     issue(retired, false, false),    Deny(ReadOnly)),
            (ANON,  Merge,     issue(public, false, false),     Deny(SignInRequired)),
            (ANON,  Read,      issue(public, false, false),     Allow),
            (USER,  Read,      issue(private, false, false),    Deny(NotFound)),
            (ANON,  Comment,   issue(public, false, false),     Deny(SignInRequired)),
            (USER,  Comment,   issue(public, false, false),     Allow),
            (USER,  Comment,   issue(public, true, true),       Deny(Forbidden)),
            (USER,  Comment,   issue(writer, false, true),      Allow),
            (USER,  Comment,   issue(private, false, false),    Deny(NotFound)),
            (USER,  Comment,   issue(retired, false, false),    Deny(ReadOnly)),
            (USER,  Edit,      issue(public, true, false),      Allow),
            (USER,  Edit,      issue(public, false, false),     Deny(Forbidden)),
            (USER,  Edit,      issue(public, true, true),       Deny(Forbidden)),
            (USER,  Edit,      issue(writer, false, false),     Allow),
            (USER,  Edit,      issue(retired, true, false),     Deny(ReadOnly)),
            (ADMIN, Edit,      issue(private, false, false),    Allow),
            (USER,  Triage,    issue(public, true, false),      Deny(Forbidden)),
            (USER,  Triage,    issue(writer, false, false),     Allow),
            (USER,  Triage,    issue(reader_private, true, false), Deny(Forbidden)),
            (USER,  Triage,    issue(private, false, false),    Deny(NotFound)),
            (USER,  Edit,      comment(public, true, false),    Allow),
            (USER,  Edit,      comment(public, false, false),   Deny(Forbidden)),
            (USER,  Edit,      comment(writer, false, false),   Deny(Forbidden)),
            (USER,  Edit,      comment(public, true, true),     Deny(Forbidden)),
            (USER,  Edit,      comment(private, true, false),   Deny(NotFound)),
            (USER,  Remove,    comment(public, true, false),    Allow),
            (USER,  Remove,    comment(public, false, false),   Deny(Forbidden)),
            (USER,  Remove,    comment(writer, false, false),   Allow),
            (ANON,  Remove,    comment(public, false, false),   Deny(SignInRequired)),
            (USER,  Remove,    comment(retired, false, false),  Deny(ReadOnly)),
        ];
        for (i, (actor, action, resource, want)) in table.iter().enumerate() {
            assert_eq!(
                authorize(*actor, *action, *resource),
                *want,
                "row {i}: {actor:?} {action:?} {resource:?}"
            );
        }
    }
}
