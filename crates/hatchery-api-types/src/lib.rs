//! The JSON objects of the REST API and of webhook payloads, with Gitea's field names, and their construction from the
//! store's rows. Fields Hatchery has no notion of (stars, forks, mirrors) are present with
//! neutral values, so that clients decoding into Gitea's structs keep working.

pub mod hooks;
pub mod incubator;
pub mod protection;
pub mod pulls;
pub mod releases;
pub mod reviews;

use hatchery_core::pulls::{MergeSettings, MergeStyle};
use hatchery_store::{Comment, Issue, Label, Milestone, Org, Person, Repo, Team, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An RFC 3339 UTC time, as Gitea writes them: `2026-11-28T21:30:00Z`.
pub fn time(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// What Gitea writes for a time it does not know (Go's zero time): clients decode the field
/// as a date, so it is never left empty.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Base URLs of the site, for the `url` and `html_url` fields.
#[derive(Debug, Clone)]
pub struct Urls {
    /// `https://forge.example.org/`, ending with `/`.
    pub public: String,
    /// Where repositories are cloned over SSH, when the SSH server is on (`ssh_url`).
    pub ssh: Option<hatchery_core::ssh::SshCloneBase>,
}

impl Urls {
    pub fn api(&self, path: &str) -> String {
        format!("{}api/v1/{path}", self.public)
    }
    pub fn html(&self, path: &str) -> String {
        format!("{}{path}", self.public)
    }
}

/// A user (or, as a repository owner, an organization), like Gitea's `User`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiUser {
    pub id: i64,
    pub login: String,
    pub login_name: String,
    pub full_name: String,
    /// Only shown to the user themselves and to site administrators.
    pub email: String,
    pub avatar_url: String,
    pub html_url: String,
    pub language: String,
    pub is_admin: bool,
    pub created: String,
    pub restricted: bool,
    pub active: bool,
    pub prohibit_login: bool,
    pub location: String,
    pub website: String,
    pub description: String,
    /// `public`, `limited` or `private`.
    pub visibility: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub starred_repos_count: i64,
    pub username: String,
}

impl ApiUser {
    fn base(urls: &Urls, id: i64, name: &str, full_name: &str) -> ApiUser {
        ApiUser {
            id,
            login: name.to_owned(),
            login_name: String::new(),
            full_name: full_name.to_owned(),
            email: String::new(),
            avatar_url: String::new(),
            html_url: urls.html(name),
            language: String::new(),
            is_admin: false,
            created: GO_ZERO_TIME.to_owned(),
            restricted: false,
            active: true,
            prohibit_login: false,
            location: String::new(),
            website: String::new(),
            description: String::new(),
            visibility: "public".to_owned(),
            followers_count: 0,
            following_count: 0,
            starred_repos_count: 0,
            username: name.to_owned(),
        }
    }

    /// `private_view`: the caller is this user or a site administrator, who see the email
    /// address and the admin flag.
    pub fn of(urls: &Urls, u: &User, private_view: bool) -> ApiUser {
        let mut out = ApiUser::base(urls, u.id, &u.name, &u.display_name);
        out.created = time(u.created_at);
        out.is_admin = u.is_admin;
        if private_view {
            out.email = u.email.clone();
            out.language = u.language.clone().unwrap_or_default();
        }
        out
    }

    pub fn person(urls: &Urls, p: &Person) -> ApiUser {
        ApiUser::base(urls, p.id, &p.name, &p.display_name)
    }

    /// The owner of a repository, from the repository row.
    pub fn owner(urls: &Urls, r: &Repo) -> ApiUser {
        ApiUser::base(urls, r.owner_id, &r.owner_name, "")
    }

    pub fn org(urls: &Urls, o: &Org) -> ApiUser {
        let mut out = ApiUser::base(urls, o.id, &o.name, &o.display_name);
        out.description = o.description.clone();
        out.created = time(o.created_at);
        out
    }
}

/// Like Gitea's `Organization`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiOrg {
    pub id: i64,
    pub name: String,
    pub full_name: String,
    pub email: String,
    pub avatar_url: String,
    pub description: String,
    pub website: String,
    pub location: String,
    pub visibility: String,
    pub repo_admin_change_team_access: bool,
    pub username: String,
}

impl ApiOrg {
    pub fn of(o: &Org) -> ApiOrg {
        ApiOrg {
            id: o.id,
            name: o.name.clone(),
            full_name: o.display_name.clone(),
            email: String::new(),
            avatar_url: String::new(),
            description: o.description.clone(),
            website: String::new(),
            location: String::new(),
            visibility: "public".to_owned(),
            repo_admin_change_team_access: false,
            username: o.name.clone(),
        }
    }
}

/// What the caller may do to a repository.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct ApiPermission {
    pub admin: bool,
    pub push: bool,
    pub pull: bool,
}

/// Like Gitea's `Repository`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiRepo {
    pub id: i64,
    pub owner: ApiUser,
    pub name: String,
    pub full_name: String,
    pub description: String,
    pub empty: bool,
    pub private: bool,
    pub fork: bool,
    /// A fork's parent, when the caller may read it (its own `parent` left out); `null`
    /// otherwise.
    #[schema(no_recursion)]
    pub parent: Option<Box<ApiRepo>>,
    pub template: bool,
    /// A pull mirror (read-only here, following `original_url`).
    pub mirror: bool,
    /// A pull mirror's interval (`8h0m0s`; `0s`: on demand only); empty otherwise.
    pub mirror_interval: String,
    /// When a pull mirror last synced successfully; absent when never.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mirror_updated: Option<String>,
    pub size: i64,
    pub language: String,
    pub html_url: String,
    pub url: String,
    pub link: String,
    pub ssh_url: String,
    pub clone_url: String,
    /// Where the repository was imported from, or the upstream of a pull mirror.
    pub original_url: String,
    pub website: String,
    pub stars_count: i64,
    pub forks_count: i64,
    pub watchers_count: i64,
    pub open_issues_count: i64,
    pub open_pr_counter: i64,
    pub release_counter: i64,
    pub default_branch: String,
    /// Read-only repositories (a retired incubator project) are reported as archived; a
    /// pull mirror, read-only too, is a mirror instead.
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
    pub permissions: ApiPermission,
    pub has_issues: bool,
    pub has_wiki: bool,
    pub has_pull_requests: bool,
    pub has_projects: bool,
    pub has_releases: bool,
    pub has_packages: bool,
    pub has_actions: bool,
    pub internal: bool,
    pub object_format_name: String,
    pub topics: Vec<String>,
    /// The merge styles the repository allows, as Gitea names them.
    pub allow_merge_commits: bool,
    pub allow_rebase: bool,
    pub allow_rebase_explicit: bool,
    pub allow_squash_merge: bool,
    pub allow_fast_forward_only_merge: bool,
    /// `merge`, `squash`, `rebase` or `fast-forward-only`.
    pub default_merge_style: String,
    pub default_delete_branch_after_merge: bool,
}

impl ApiRepo {
    pub fn of(urls: &Urls, r: &Repo, permissions: ApiPermission, open_issues: i64) -> ApiRepo {
        let full = format!("{}/{}", r.owner_name, r.name);
        ApiRepo {
            id: r.id,
            owner: ApiUser::owner(urls, r),
            name: r.name.clone(),
            full_name: full.clone(),
            description: r.description.clone(),
            empty: r.pushed_at.is_none(),
            private: r.is_private,
            fork: r.fork_id.is_some(),
            parent: None,
            template: false,
            mirror: false,
            mirror_interval: String::new(),
            mirror_updated: None,
            size: 0,
            language: String::new(),
            html_url: urls.html(&full),
            url: urls.api(&format!("repos/{full}")),
            link: String::new(),
            ssh_url: urls
                .ssh
                .as_ref()
                .map(|base| base.url(&r.owner_name, &r.name))
                .unwrap_or_default(),
            clone_url: urls.html(&format!("{full}.git")),
            original_url: String::new(),
            website: String::new(),
            stars_count: 0,
            forks_count: 0,
            watchers_count: 0,
            open_issues_count: open_issues,
            open_pr_counter: 0,
            release_counter: 0,
            default_branch: r.default_branch.clone(),
            archived: r.read_only,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
            permissions,
            has_issues: true,
            has_wiki: false,
            has_pull_requests: true,
            has_projects: false,
            has_releases: false,
            has_packages: false,
            has_actions: false,
            internal: false,
            object_format_name: "sha1".to_owned(),
            topics: Vec::new(),
            allow_merge_commits: true,
            allow_rebase: true,
            allow_rebase_explicit: false,
            allow_squash_merge: true,
            allow_fast_forward_only_merge: true,
            default_merge_style: MergeStyle::Merge.as_str().to_owned(),
            default_delete_branch_after_merge: false,
        }
        .with_merge_settings(&MergeSettings::default())
    }

    /// Reports the repository's merge settings in Gitea's fields.
    pub fn with_merge_settings(mut self, settings: &MergeSettings) -> ApiRepo {
        let allows = |style| settings.allowed.contains(&style);
        self.allow_merge_commits = allows(MergeStyle::Merge);
        self.allow_rebase = allows(MergeStyle::Rebase);
        self.allow_squash_merge = allows(MergeStyle::Squash);
        self.allow_fast_forward_only_merge = allows(MergeStyle::FastForwardOnly);
        self.default_merge_style = settings.default_style.as_str().to_owned();
        self.default_delete_branch_after_merge = settings.delete_branch;
        self
    }
}

/// Like Gitea's `Team`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiTeam {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub organization: Option<ApiOrg>,
    pub includes_all_repositories: bool,
    /// `read`, `write` or `admin`.
    pub permission: String,
    pub can_create_org_repo: bool,
}

impl ApiTeam {
    pub fn of(t: &Team, org: Option<&Org>) -> ApiTeam {
        ApiTeam {
            id: t.id,
            name: t.name.clone(),
            description: t.description.clone(),
            organization: org.map(ApiOrg::of),
            includes_all_repositories: false,
            permission: t.permission.as_str().to_owned(),
            can_create_org_repo: false,
        }
    }
}

/// Like Gitea's `Label`: the colour without `#`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiLabel {
    pub id: i64,
    pub name: String,
    pub exclusive: bool,
    pub is_archived: bool,
    pub color: String,
    pub description: String,
    pub url: String,
}

impl ApiLabel {
    pub fn of(urls: &Urls, repo: &Repo, l: &Label) -> ApiLabel {
        ApiLabel {
            id: l.id,
            name: l.name.clone(),
            exclusive: false,
            is_archived: false,
            color: l.color.trim_start_matches('#').to_owned(),
            description: l.description.clone(),
            url: urls.api(&format!(
                "repos/{}/{}/labels/{}",
                repo.owner_name, repo.name, l.id
            )),
        }
    }
}

/// Like Gitea's `Milestone`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiMilestone {
    pub id: i64,
    pub title: String,
    pub description: String,
    /// `open` or `closed`.
    pub state: String,
    pub open_issues: i64,
    pub closed_issues: i64,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub closed_at: Option<String>,
    pub due_on: Option<String>,
}

impl ApiMilestone {
    pub fn of(m: &Milestone) -> ApiMilestone {
        ApiMilestone {
            id: m.id,
            title: m.title.clone(),
            description: m.description.clone(),
            state: if m.is_closed { "closed" } else { "open" }.to_owned(),
            open_issues: m.open_issues,
            closed_issues: m.closed_issues,
            created_at: time(m.created_at),
            updated_at: Some(time(m.updated_at)),
            closed_at: m.closed_at.map(time),
            due_on: m.due_at.map(time),
        }
    }
}

/// The repository an issue belongs to, as Gitea nests it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiRepoMeta {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub full_name: String,
}

/// Like Gitea's `Issue`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiIssue {
    pub id: i64,
    pub url: String,
    pub html_url: String,
    pub number: i64,
    pub user: Option<ApiUser>,
    pub original_author: String,
    pub original_author_id: i64,
    pub title: String,
    pub body: String,
    #[serde(rename = "ref")]
    pub ref_: String,
    pub labels: Vec<ApiLabel>,
    pub milestone: Option<ApiMilestone>,
    pub assignee: Option<ApiUser>,
    pub assignees: Option<Vec<ApiUser>>,
    /// `open` or `closed`.
    pub state: String,
    pub is_locked: bool,
    pub comments: i64,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    pub due_date: Option<String>,
    pub pull_request: Option<serde_json::Value>,
    pub repository: ApiRepoMeta,
    /// Hatchery: why a closed issue was closed (`completed`, `not_planned`).
    pub state_reason: Option<String>,
}

impl ApiIssue {
    pub fn of(
        urls: &Urls,
        repo: &Repo,
        issue: &Issue,
        labels: &[Label],
        milestone: Option<&Milestone>,
        assignees: &[Person],
    ) -> ApiIssue {
        let full = format!("{}/{}", repo.owner_name, repo.name);
        let assignees: Vec<ApiUser> = assignees.iter().map(|p| ApiUser::person(urls, p)).collect();
        ApiIssue {
            id: issue.id,
            url: urls.api(&format!("repos/{full}/issues/{}", issue.number)),
            html_url: urls.html(&format!("{full}/issues/{}", issue.number)),
            number: issue.number,
            user: issue.author.as_ref().map(|p| ApiUser::person(urls, p)),
            original_author: issue.original_author.clone(),
            original_author_id: 0,
            title: issue.title.clone(),
            body: issue.body.clone(),
            ref_: String::new(),
            labels: labels.iter().map(|l| ApiLabel::of(urls, repo, l)).collect(),
            milestone: milestone.map(ApiMilestone::of),
            assignee: assignees.first().cloned(),
            assignees: (!assignees.is_empty()).then_some(assignees),
            state: if issue.is_closed { "closed" } else { "open" }.to_owned(),
            is_locked: issue.is_locked,
            comments: issue.comment_count,
            created_at: time(issue.created_at),
            updated_at: time(issue.updated_at),
            closed_at: issue.closed_at.map(time),
            due_date: None,
            pull_request: None,
            repository: ApiRepoMeta {
                id: repo.id,
                name: repo.name.clone(),
                owner: repo.owner_name.clone(),
                full_name: full,
            },
            state_reason: issue.close_reason.map(|r| r.as_str().to_owned()),
        }
    }
}

/// Like Gitea's `Comment`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ApiComment {
    pub id: i64,
    pub html_url: String,
    pub pull_request_url: String,
    pub issue_url: String,
    pub user: Option<ApiUser>,
    pub original_author: String,
    pub original_author_id: i64,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
}

impl ApiComment {
    pub fn of(urls: &Urls, repo: &Repo, issue_number: i64, c: &Comment) -> ApiComment {
        let full = format!("{}/{}", repo.owner_name, repo.name);
        ApiComment {
            id: c.id,
            html_url: urls.html(&format!("{full}/issues/{issue_number}#comment-{}", c.id)),
            pull_request_url: String::new(),
            issue_url: urls.html(&format!("{full}/issues/{issue_number}")),
            user: c.author.as_ref().map(|p| ApiUser::person(urls, p)),
            original_author: c.original_author.clone(),
            original_author_id: 0,
            body: c.body.clone(),
            created_at: time(c.created_at),
            updated_at: time(c.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_times_are_never_empty() {
        // Gitea clients decode `created` as a date; an empty string fails them.
        let urls = super::Urls {
            public: "http://h/".into(),
            ssh: None,
        };
        let person = hatchery_store::Person {
            id: 1,
            name: "ada".into(),
            display_name: String::new(),
        };
        assert_eq!(
            super::ApiUser::person(&urls, &person).created,
            super::GO_ZERO_TIME
        );
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(super::time(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::time(1_795_000_000_123), "2026-11-18T11:06:40Z");
    }
}
