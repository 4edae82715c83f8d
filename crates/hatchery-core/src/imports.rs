//! Importing a repository from another forge: which forges, what to bring, where the
//! source's API lives, and the stages an import goes through. Pure: the downloaders in
//! `hatchery-service::import` do the talking.

use serde::{Deserialize, Serialize};

/// The forge an import reads from. Forgejo speaks Gitea's API, so it is `Gitea`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A plain git URL: git data only.
    Git,
    Github,
    Gitlab,
    Gitea,
    Gitee,
}

impl SourceKind {
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Github,
        SourceKind::Gitlab,
        SourceKind::Gitea,
        SourceKind::Gitee,
        SourceKind::Git,
    ];

    /// Gitea's `service` field: its names (`git`, `github`, `gitea`, `gitlab`; `forgejo`
    /// as Forgejo sends it; `gitee` is ours) or its numbers (`GitServiceType`: 1 git,
    /// 2 github, 3 gitea, 4 gitlab). Empty means plain git, as in Gitea.
    pub fn parse(service: &str) -> Result<SourceKind, ImportInputError> {
        Ok(match service.trim().to_ascii_lowercase().as_str() {
            "" | "git" | "1" | "0" => SourceKind::Git,
            "github" | "2" => SourceKind::Github,
            "gitea" | "forgejo" | "3" => SourceKind::Gitea,
            "gitlab" | "4" => SourceKind::Gitlab,
            "gitee" => SourceKind::Gitee,
            _ => return Err(ImportInputError::UnknownService(service.trim().to_owned())),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Git => "git",
            SourceKind::Github => "github",
            SourceKind::Gitlab => "gitlab",
            SourceKind::Gitea => "gitea",
            SourceKind::Gitee => "gitee",
        }
    }

    /// The forge's own name, as "originally by X on GitHub" shows it (a proper noun, the
    /// same in every language).
    pub fn display_name(self) -> &'static str {
        match self {
            SourceKind::Git => "git",
            SourceKind::Github => "GitHub",
            SourceKind::Gitlab => "GitLab",
            SourceKind::Gitea => "Gitea",
            SourceKind::Gitee => "Gitee",
        }
    }

    /// Whether the source has an API for issues, releases and the rest.
    pub fn has_api(self) -> bool {
        self != SourceKind::Git
    }
}

/// What an import brings besides the git data, which it always brings. The names are
/// Gitea's `POST /repos/migrate` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportItems {
    pub labels: bool,
    pub milestones: bool,
    pub issues: bool,
    pub pull_requests: bool,
    pub releases: bool,
}

impl ImportItems {
    pub fn all() -> ImportItems {
        ImportItems {
            labels: true,
            milestones: true,
            issues: true,
            pull_requests: true,
            releases: true,
        }
    }

    /// A plain git source brings git data only.
    pub fn for_kind(self, kind: SourceKind) -> ImportItems {
        if kind.has_api() {
            self
        } else {
            ImportItems::default()
        }
    }

    pub fn wants(self, stage: Stage) -> bool {
        match stage {
            Stage::Git | Stage::Done => true,
            Stage::Labels => self.labels,
            Stage::Milestones => self.milestones,
            Stage::Issues => self.issues,
            Stage::PullRequests => self.pull_requests,
            Stage::Releases => self.releases,
        }
    }
}

/// The steps of an import, in order. Each step keeps its own cursor (the source's page),
/// so a resumed import starts again at the page it was on; items already brought are
/// recognized by their source id and skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Git,
    Labels,
    Milestones,
    Issues,
    PullRequests,
    Releases,
    Done,
}

impl Stage {
    pub const ORDER: [Stage; 7] = [
        Stage::Git,
        Stage::Labels,
        Stage::Milestones,
        Stage::Issues,
        Stage::PullRequests,
        Stage::Releases,
        Stage::Done,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Git => "git",
            Stage::Labels => "labels",
            Stage::Milestones => "milestones",
            Stage::Issues => "issues",
            Stage::PullRequests => "pull_requests",
            Stage::Releases => "releases",
            Stage::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ORDER.into_iter().find(|st| st.as_str() == s)
    }

    /// The next stage `items` asks for.
    pub fn next(self, items: ImportItems) -> Stage {
        let mut later = Stage::ORDER.into_iter().skip_while(|s| *s != self).skip(1);
        later.find(|s| items.wants(*s)).unwrap_or(Stage::Done)
    }
}

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportState {
    /// Waiting for a runner (new, or resumed after a failure).
    Queued,
    Running,
    /// Stopped on an error (`last_error`); can be resumed.
    Failed,
    Done,
}

impl ImportState {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportState::Queued => "queued",
            ImportState::Running => "running",
            ImportState::Failed => "failed",
            ImportState::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<ImportState> {
        [
            ImportState::Queued,
            ImportState::Running,
            ImportState::Failed,
            ImportState::Done,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }

    /// Still to finish: the repository shows "importing".
    pub fn unfinished(self) -> bool {
        self != ImportState::Done
    }
}

/// The kinds of items an import maps from source ids to local ids.
pub mod item {
    pub const LABEL: &str = "label";
    pub const MILESTONE: &str = "milestone";
    pub const ISSUE: &str = "issue";
    pub const COMMENT: &str = "comment";
    pub const PULL: &str = "pull";
    pub const RELEASE: &str = "release";
    pub const ASSET: &str = "asset";
}

/// How an imported pull request ended, as recorded on its issue row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    Open,
    Closed,
    Merged,
}

impl PullOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PullOutcome::Open => "open",
            PullOutcome::Closed => "closed",
            PullOutcome::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<PullOutcome> {
        match s {
            "open" => Some(PullOutcome::Open),
            "closed" => Some(PullOutcome::Closed),
            "merged" => Some(PullOutcome::Merged),
            _ => None,
        }
    }
}

/// The source repository and where its API answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRepo {
    pub kind: SourceKind,
    /// The clone address as given (http or https), without credentials.
    pub clone_url: String,
    /// `scheme://host[:port]` plus any path prefix the forge is served under.
    pub site: String,
    /// The repository's path on the source: `owner/name` (GitLab: `group/sub/name`).
    pub path: String,
    pub owner: String,
    pub name: String,
}

impl SourceRepo {
    /// The API root the downloaders build on: GitHub's `api.github.com` (or
    /// `<site>/api/v3` for GitHub Enterprise), GitLab's `/api/v4`, Gitea's `/api/v1`,
    /// Gitee's `/api/v5`.
    pub fn api_base(&self) -> String {
        match self.kind {
            SourceKind::Github if self.site == "https://github.com" => {
                "https://api.github.com".to_owned()
            }
            SourceKind::Github => format!("{}/api/v3", self.site),
            SourceKind::Gitlab => format!("{}/api/v4", self.site),
            SourceKind::Gitea => format!("{}/api/v1", self.site),
            SourceKind::Gitee => format!("{}/api/v5", self.site),
            SourceKind::Git => self.site.clone(),
        }
    }
}

/// Why an import request is refused before anything is created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportInputError {
    #[error("unknown service {0:?}: use git, github, gitlab, gitea (or forgejo) or gitee")]
    UnknownService(String),
    #[error("clone_addr is required")]
    NoAddress,
    #[error("clone_addr is not a valid URL: {0}")]
    BadAddress(String),
    #[error("clone_addr must start with http:// or https:// (local paths and file:// are refused)")]
    BadScheme,
    #[error("clone_addr must name a repository: {0}")]
    NoRepoPath(String),
    #[error(
        "clone_addr must not carry credentials: give auth_username/auth_password or auth_token"
    )]
    CredentialsInAddress,
}

/// The longest clone address taken.
pub const MAX_ADDRESS_LEN: usize = 2048;

/// Checks a clone address and finds the source repository in it: http(s) only (a local
/// path or `file://` would read the server's own files), no credentials in the URL, and a
/// path that names a repository (`owner/name`, `.git` dropped; GitLab allows subgroups).
pub fn parse_source(kind: SourceKind, clone_addr: &str) -> Result<SourceRepo, ImportInputError> {
    let addr = clone_addr.trim();
    if addr.is_empty() {
        return Err(ImportInputError::NoAddress);
    }
    if addr.len() > MAX_ADDRESS_LEN {
        return Err(ImportInputError::BadAddress(format!(
            "longer than {MAX_ADDRESS_LEN} characters"
        )));
    }
    let url = url::Url::parse(addr).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => ImportInputError::BadScheme,
        other => ImportInputError::BadAddress(other.to_string()),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ImportInputError::BadScheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ImportInputError::CredentialsInAddress);
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(ImportInputError::BadAddress("no host".to_owned()));
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    if segments.len() < 2 {
        return Err(ImportInputError::NoRepoPath(addr.to_owned()));
    }
    let authority = match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    };
    let strip = |s: &str| s.strip_suffix(".git").unwrap_or(s).to_owned();
    // GitLab projects may sit in subgroups (the whole path is the project); the others
    // are owner/name, and anything before them is the site's path prefix.
    let (prefix, repo_path): (&[&str], &[&str]) = match kind {
        SourceKind::Gitlab => (&[], &segments[..]),
        _ => segments.split_at(segments.len() - 2),
    };
    let mut parts: Vec<String> = repo_path.iter().map(|s| (*s).to_owned()).collect();
    if let Some(last) = parts.last_mut() {
        *last = strip(last);
    }
    if parts.iter().any(|p| p.is_empty() || p == "." || p == "..") {
        return Err(ImportInputError::NoRepoPath(addr.to_owned()));
    }
    let site = if prefix.is_empty() {
        authority
    } else {
        format!("{authority}/{}", prefix.join("/"))
    };
    let name = parts.last().cloned().unwrap_or_default();
    let owner = parts[..parts.len() - 1].join("/");
    let clone_url = {
        let mut u = url.clone();
        u.set_query(None);
        u.set_fragment(None);
        u.to_string()
    };
    Ok(SourceRepo {
        kind,
        clone_url,
        site,
        path: parts.join("/"),
        owner,
        name,
    })
}

/// Counts of what an import brought, shown on its progress page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportCounts {
    pub labels: i64,
    pub milestones: i64,
    pub issues: i64,
    pub comments: i64,
    pub pull_requests: i64,
    pub releases: i64,
    pub assets: i64,
}

impl ImportCounts {
    pub fn add(&mut self, kind: &str, n: i64) {
        match kind {
            item::LABEL => self.labels += n,
            item::MILESTONE => self.milestones += n,
            item::ISSUE => self.issues += n,
            item::COMMENT => self.comments += n,
            item::PULL => self.pull_requests += n,
            item::RELEASE => self.releases += n,
            item::ASSET => self.assets += n,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_like_gitea() {
        assert_eq!(SourceKind::parse("github"), Ok(SourceKind::Github));
        assert_eq!(SourceKind::parse("2"), Ok(SourceKind::Github));
        assert_eq!(SourceKind::parse("Forgejo"), Ok(SourceKind::Gitea));
        assert_eq!(SourceKind::parse(""), Ok(SourceKind::Git));
        assert_eq!(SourceKind::parse("gitee"), Ok(SourceKind::Gitee));
        assert!(SourceKind::parse("svn").is_err());
    }

    #[test]
    fn addresses() {
        let s = parse_source(SourceKind::Github, "https://github.com/rust-lang/rust.git").unwrap();
        assert_eq!(s.api_base(), "https://api.github.com");
        assert_eq!((s.owner.as_str(), s.name.as_str()), ("rust-lang", "rust"));
        let s = parse_source(SourceKind::Gitea, "http://127.0.0.1:3000/sub/alice/proj").unwrap();
        assert_eq!(s.site, "http://127.0.0.1:3000/sub");
        assert_eq!(s.api_base(), "http://127.0.0.1:3000/sub/api/v1");
        assert_eq!(s.path, "alice/proj");
        let s = parse_source(SourceKind::Gitlab, "https://gitlab.com/group/sub/proj.git").unwrap();
        assert_eq!(s.path, "group/sub/proj");
        assert_eq!(s.owner, "group/sub");
        assert_eq!(s.api_base(), "https://gitlab.com/api/v4");
        let s = parse_source(SourceKind::Gitee, "https://gitee.com/o/r").unwrap();
        assert_eq!(s.api_base(), "https://gitee.com/api/v5");
        assert_eq!(
            parse_source(SourceKind::Git, "file:///etc/passwd"),
            Err(ImportInputError::BadScheme)
        );
        assert_eq!(
            parse_source(SourceKind::Git, "/srv/git/x.git"),
            Err(ImportInputError::BadScheme)
        );
        assert_eq!(
            parse_source(SourceKind::Git, "https://u:p@example.com/o/r"),
            Err(ImportInputError::CredentialsInAddress)
        );
        assert!(matches!(
            parse_source(SourceKind::Github, "https://github.com/only"),
            Err(ImportInputError::NoRepoPath(_))
        ));
        assert_eq!(
            parse_source(SourceKind::Git, " "),
            Err(ImportInputError::NoAddress)
        );
    }

    #[test]
    fn stages_follow_the_items() {
        let none = ImportItems::default();
        assert_eq!(Stage::Git.next(none), Stage::Done);
        let some = ImportItems {
            issues: true,
            releases: true,
            ..ImportItems::default()
        };
        assert_eq!(Stage::Git.next(some), Stage::Issues);
        assert_eq!(Stage::Issues.next(some), Stage::Releases);
        assert_eq!(Stage::Releases.next(some), Stage::Done);
        assert_eq!(ImportItems::all().for_kind(SourceKind::Git), none);
        for s in Stage::ORDER {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
    }
}
