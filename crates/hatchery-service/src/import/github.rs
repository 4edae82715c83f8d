//! GitHub's REST API (api.github.com, or `<host>/api/v3` for GitHub Enterprise):
//! `page` + `per_page`, the next page announced by `Link: <...>; rel="next"`,
//! `Authorization: token X`; `X-RateLimit-Remaining`/`X-RateLimit-Reset` and `Retry-After`
//! waited out by the client. The issues listing includes pull requests (they carry a
//! `pull_request` key); they are left to the pull request listing.

use serde::Deserialize;

use super::http::{SourceClient, link_has_next};
use super::{
    Answer, BranchEnd, Downloader, Page, SourceAsset, SourceComment, SourceInfo, SourceIssue,
    SourceLabel, SourceMilestone, SourcePull, SourceRelease, SourceUser, Thread, parse_time,
};
use hatchery_core::imports::SourceRepo;

const PER_PAGE: u32 = 100;

pub struct Github {
    client: SourceClient,
    repo_url: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct User {
    pub login: String,
    pub email: Option<String>,
}

impl From<User> for SourceUser {
    fn from(u: User) -> SourceUser {
        SourceUser {
            login: u.login,
            email: u.email.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Repo {
    description: Option<String>,
    default_branch: String,
    private: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Label {
    pub id: serde_json::Value,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Milestone {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub state: String,
    pub due_on: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub closed_at: Option<String>,
}

impl Milestone {
    pub(crate) fn into_source(self) -> SourceMilestone {
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        SourceMilestone {
            id: self.id.to_string(),
            title: self.title,
            description: self.description.unwrap_or_default(),
            closed: self.state == "closed",
            due_at: self.due_on.as_deref().and_then(parse_time),
            created_at,
            updated_at: self
                .updated_at
                .as_deref()
                .and_then(parse_time)
                .unwrap_or(created_at),
            closed_at: self.closed_at.as_deref().and_then(parse_time),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct MilestoneRef {
    pub title: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Issue {
    id: i64,
    number: i64,
    title: String,
    body: Option<String>,
    user: Option<User>,
    state: String,
    locked: bool,
    labels: Vec<Label>,
    milestone: Option<MilestoneRef>,
    comments: Option<i64>,
    assignees: Option<Vec<User>>,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    pull_request: Option<serde_json::Value>,
    merged_at: Option<String>,
    base: Option<BranchEnd>,
    head: Option<BranchEnd>,
    merge_commit_sha: Option<String>,
    merged_by: Option<User>,
}

impl Issue {
    fn into_source(self) -> SourceIssue {
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        SourceIssue {
            id: self.id.to_string(),
            number: self.number,
            key: self.number.to_string(),
            title: self.title,
            body: self.body.unwrap_or_default(),
            author: self.user.map(Into::into).unwrap_or_default(),
            closed: self.state == "closed",
            locked: self.locked,
            created_at,
            updated_at: parse_time(&self.updated_at).unwrap_or(created_at),
            closed_at: self.closed_at.as_deref().and_then(parse_time),
            labels: self.labels.into_iter().map(|l| l.name).collect(),
            milestone: self.milestone.map(|m| m.title),
            comments: self.comments,
            assignees: self
                .assignees
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Comment {
    pub id: i64,
    pub user: Option<User>,
    pub body: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Comment {
    pub(crate) fn into_source(self) -> SourceComment {
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        SourceComment {
            id: self.id.to_string(),
            author: self.user.map(Into::into).unwrap_or_default(),
            body: self.body.unwrap_or_default(),
            created_at,
            updated_at: parse_time(&self.updated_at).unwrap_or(created_at),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Release {
    pub id: serde_json::Value,
    pub tag_name: String,
    pub target_commitish: String,
    pub name: Option<String>,
    pub body: Option<String>,
    pub draft: bool,
    pub prerelease: bool,
    pub author: Option<User>,
    pub created_at: String,
    pub published_at: Option<String>,
    pub assets: Vec<Asset>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(crate) struct Asset {
    pub id: serde_json::Value,
    pub name: String,
    pub content_type: Option<String>,
    pub browser_download_url: String,
}

/// An id as text, whether the source sends a number or a string.
pub(crate) fn id_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Release {
    pub(crate) fn into_source(self) -> SourceRelease {
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        let id = match &self.id {
            serde_json::Value::Null => self.tag_name.clone(),
            v => id_text(v),
        };
        SourceRelease {
            id,
            name: self.name.unwrap_or_default(),
            body: self.body.unwrap_or_default(),
            draft: self.draft,
            prerelease: self.prerelease,
            author: self.author.map(Into::into).unwrap_or_default(),
            created_at,
            published_at: if self.draft {
                None
            } else {
                self.published_at.as_deref().and_then(parse_time)
            },
            assets: self
                .assets
                .into_iter()
                .map(|a| SourceAsset {
                    id: match &a.id {
                        serde_json::Value::Null => a.name.clone(),
                        v => id_text(v),
                    },
                    name: a.name,
                    content_type: a.content_type.unwrap_or_default(),
                    url: a.browser_download_url,
                })
                .collect(),
            tag_name: self.tag_name,
            target: self.target_commitish,
        }
    }
}

impl Github {
    pub fn new(source: &SourceRepo, client: SourceClient) -> Github {
        Github {
            client,
            repo_url: format!("{}/repos/{}", source.api_base(), source.path),
        }
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        mut query: Vec<(&'static str, String)>,
        page: u32,
    ) -> Answer<Page<T>> {
        query.push(("per_page", PER_PAGE.to_string()));
        query.push(("page", page.to_string()));
        let url = format!("{}{path}", self.repo_url);
        let (items, headers): (Vec<T>, _) = self.client.get_json(&url, &query).await?;
        Ok(Page {
            next: link_has_next(&headers).then_some(page + 1),
            items,
        })
    }
}

fn oldest_first() -> Vec<(&'static str, String)> {
    vec![
        ("state", "all".to_owned()),
        ("sort", "created".to_owned()),
        ("direction", "asc".to_owned()),
    ]
}

impl Downloader for Github {
    async fn repo_info(&self) -> Answer<SourceInfo> {
        let (r, _): (Repo, _) = self.client.get_json(&self.repo_url, &[]).await?;
        Ok(SourceInfo {
            description: r.description.unwrap_or_default(),
            default_branch: r.default_branch,
            private: r.private,
        })
    }

    async fn labels(&self, page: u32) -> Answer<Page<SourceLabel>> {
        let p: Page<Label> = self.list("/labels", vec![], page).await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .map(|l| SourceLabel {
                    id: match &l.id {
                        serde_json::Value::Null => l.name.clone(),
                        v => id_text(v),
                    },
                    name: l.name,
                    color: l.color,
                    description: l.description.unwrap_or_default(),
                })
                .collect(),
        })
    }

    async fn milestones(&self, page: u32) -> Answer<Page<SourceMilestone>> {
        let p: Page<Milestone> = self
            .list("/milestones", vec![("state", "all".to_owned())], page)
            .await?;
        Ok(Page {
            next: p.next,
            items: p.items.into_iter().map(Milestone::into_source).collect(),
        })
    }

    async fn issues(&self, page: u32) -> Answer<Page<SourceIssue>> {
        let p: Page<Issue> = self.list("/issues", oldest_first(), page).await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .filter(|i| i.pull_request.is_none())
                .map(Issue::into_source)
                .collect(),
        })
    }

    async fn pulls(&self, page: u32) -> Answer<Page<SourcePull>> {
        let p: Page<Issue> = self.list("/pulls", oldest_first(), page).await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .map(|mut i| {
                    let (base, head) = (i.base.take(), i.head.take());
                    let merged_at = i.merged_at.take();
                    let merge_commit = i.merge_commit_sha.take();
                    let merged_by = i.merged_by.take().map(SourceUser::from);
                    SourcePull {
                        merged_by,
                        ..SourcePull::of(
                            i.into_source(),
                            merged_at.is_some(),
                            merged_at,
                            base,
                            head,
                            merge_commit,
                        )
                    }
                })
                .collect(),
        })
    }

    async fn comments(&self, thread: Thread<'_>, page: u32) -> Answer<Page<SourceComment>> {
        // A pull request's conversation is its issue's comments on GitHub.
        let p: Page<Comment> = self
            .list(&format!("/issues/{}/comments", thread.key), vec![], page)
            .await?;
        Ok(Page {
            next: p.next,
            items: p.items.into_iter().map(Comment::into_source).collect(),
        })
    }

    async fn releases(&self, page: u32) -> Answer<Page<SourceRelease>> {
        let p: Page<Release> = self.list("/releases", vec![], page).await?;
        Ok(Page {
            next: p.next,
            items: p.items.into_iter().map(Release::into_source).collect(),
        })
    }

    async fn asset(&self, asset: &SourceAsset) -> Answer<reqwest::Response> {
        self.client.get(&asset.url, &[]).await
    }
}
