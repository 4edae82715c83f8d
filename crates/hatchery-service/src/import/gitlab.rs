//! GitLab's API v4: the project named by its URL-encoded path (`/projects/group%2Fname`),
//! `page` + `per_page` with the next page in `X-Next-Page` (empty on the last),
//! `PRIVATE-TOKEN: X`; `RateLimit-*` and `Retry-After` waited out by the client. Issues and
//! merge requests are numbered by `iid`; their comments are notes (system notes left out);
//! release assets are links.

use serde::Deserialize;

use super::http::{AuthStyle, SourceClient};
use super::{
    Answer, BranchEnd, Downloader, Page, SourceAsset, SourceComment, SourceInfo, SourceIssue,
    SourceLabel, SourceMilestone, SourcePull, SourceRelease, SourceUser, Thread, parse_time,
};
use hatchery_core::imports::SourceRepo;

const PER_PAGE: u32 = 100;

pub struct Gitlab {
    client: SourceClient,
    project_url: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct User {
    username: String,
    email: Option<String>,
}

impl From<User> for SourceUser {
    fn from(u: User) -> SourceUser {
        SourceUser {
            login: u.username,
            email: u.email.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Project {
    description: Option<String>,
    default_branch: Option<String>,
    visibility: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Label {
    id: i64,
    name: String,
    color: String,
    description: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Milestone {
    id: i64,
    title: String,
    description: Option<String>,
    state: String,
    due_date: Option<String>,
    created_at: String,
    updated_at: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct MilestoneRef {
    title: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Issue {
    id: i64,
    iid: i64,
    title: String,
    description: Option<String>,
    author: Option<User>,
    state: String,
    discussion_locked: Option<bool>,
    labels: Vec<String>,
    milestone: Option<MilestoneRef>,
    user_notes_count: Option<i64>,
    assignees: Option<Vec<User>>,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    merged_at: Option<String>,
    target_branch: String,
    source_branch: String,
    sha: Option<String>,
    merge_commit_sha: Option<String>,
    squash_commit_sha: Option<String>,
}

impl Issue {
    fn into_source(self) -> SourceIssue {
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        SourceIssue {
            id: self.id.to_string(),
            number: self.iid,
            key: self.iid.to_string(),
            title: self.title,
            body: self.description.unwrap_or_default(),
            author: self.author.map(Into::into).unwrap_or_default(),
            closed: matches!(self.state.as_str(), "closed" | "merged"),
            locked: self.discussion_locked.unwrap_or(false),
            created_at,
            updated_at: parse_time(&self.updated_at).unwrap_or(created_at),
            closed_at: self
                .closed_at
                .as_deref()
                .or(self.merged_at.as_deref())
                .and_then(parse_time),
            labels: self.labels,
            milestone: self.milestone.map(|m| m.title),
            comments: self.user_notes_count,
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
struct Note {
    id: i64,
    body: String,
    author: Option<User>,
    created_at: String,
    updated_at: String,
    system: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Release {
    tag_name: String,
    name: Option<String>,
    description: Option<String>,
    created_at: String,
    released_at: Option<String>,
    upcoming_release: bool,
    author: Option<User>,
    assets: Assets,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Assets {
    links: Vec<Link>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Link {
    id: i64,
    name: String,
    url: String,
    direct_asset_url: Option<String>,
}

/// A path segment as GitLab wants a project path: every `/` encoded.
fn encode(path: &str) -> String {
    url::form_urlencoded::byte_serialize(path.as_bytes()).collect()
}

impl Gitlab {
    pub fn new(source: &SourceRepo, client: SourceClient) -> Gitlab {
        Gitlab {
            client: client.with_style(AuthStyle::PrivateToken),
            project_url: format!("{}/projects/{}", source.api_base(), encode(&source.path)),
        }
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        mut query: Vec<(&'static str, String)>,
        page: u32,
    ) -> Answer<Page<T>> {
        query.push(("page", page.to_string()));
        query.push(("per_page", PER_PAGE.to_string()));
        let url = format!("{}{path}", self.project_url);
        let (items, headers): (Vec<T>, _) = self.client.get_json(&url, &query).await?;
        let next = headers
            .get("x-next-page")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok());
        Ok(Page { next, items })
    }
}

fn oldest_first() -> Vec<(&'static str, String)> {
    vec![
        ("state", "all".to_owned()),
        ("scope", "all".to_owned()),
        ("order_by", "created_at".to_owned()),
        ("sort", "asc".to_owned()),
    ]
}

impl Downloader for Gitlab {
    async fn repo_info(&self) -> Answer<SourceInfo> {
        let (p, _): (Project, _) = self.client.get_json(&self.project_url, &[]).await?;
        Ok(SourceInfo {
            description: p.description.unwrap_or_default(),
            default_branch: p.default_branch.unwrap_or_default(),
            private: p.visibility != "public",
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
                    id: l.id.to_string(),
                    name: l.name,
                    color: l.color,
                    description: l.description.unwrap_or_default(),
                })
                .collect(),
        })
    }

    async fn milestones(&self, page: u32) -> Answer<Page<SourceMilestone>> {
        let p: Page<Milestone> = self.list("/milestones", vec![], page).await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .map(|m| {
                    let created_at = parse_time(&m.created_at).unwrap_or(0);
                    let updated_at = m
                        .updated_at
                        .as_deref()
                        .and_then(parse_time)
                        .unwrap_or(created_at);
                    let closed = m.state == "closed";
                    SourceMilestone {
                        id: m.id.to_string(),
                        title: m.title,
                        description: m.description.unwrap_or_default(),
                        closed,
                        due_at: m.due_date.as_deref().and_then(parse_time),
                        created_at,
                        updated_at,
                        // GitLab does not say when; the last update is the best guess.
                        closed_at: closed.then_some(updated_at),
                    }
                })
                .collect(),
        })
    }

    async fn issues(&self, page: u32) -> Answer<Page<SourceIssue>> {
        let p: Page<Issue> = self.list("/issues", oldest_first(), page).await?;
        Ok(Page {
            next: p.next,
            items: p.items.into_iter().map(Issue::into_source).collect(),
        })
    }

    async fn pulls(&self, page: u32) -> Answer<Page<SourcePull>> {
        let p: Page<Issue> = self.list("/merge_requests", oldest_first(), page).await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .map(|mut i| {
                    let base = BranchEnd {
                        name: std::mem::take(&mut i.target_branch),
                        sha: String::new(),
                    };
                    let head = BranchEnd {
                        name: std::mem::take(&mut i.source_branch),
                        sha: i.sha.take().unwrap_or_default(),
                    };
                    let merge_commit = i.merge_commit_sha.take().or(i.squash_commit_sha.take());
                    let merged = i.state == "merged";
                    let merged_at = i.merged_at.clone();
                    SourcePull::of(
                        i.into_source(),
                        merged,
                        merged_at,
                        Some(base),
                        Some(head),
                        merge_commit,
                    )
                })
                .collect(),
        })
    }

    async fn comments(&self, thread: Thread<'_>, page: u32) -> Answer<Page<SourceComment>> {
        let kind = if thread.is_pull {
            "merge_requests"
        } else {
            "issues"
        };
        let p: Page<Note> = self
            .list(
                &format!("/{kind}/{}/notes", thread.key),
                vec![
                    ("order_by", "created_at".to_owned()),
                    ("sort", "asc".to_owned()),
                ],
                page,
            )
            .await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .filter(|n| !n.system)
                .map(|n| {
                    let created_at = parse_time(&n.created_at).unwrap_or(0);
                    SourceComment {
                        id: n.id.to_string(),
                        author: n.author.map(Into::into).unwrap_or_default(),
                        body: n.body,
                        created_at,
                        updated_at: parse_time(&n.updated_at).unwrap_or(created_at),
                    }
                })
                .collect(),
        })
    }

    async fn releases(&self, page: u32) -> Answer<Page<SourceRelease>> {
        let p: Page<Release> = self.list("/releases", vec![], page).await?;
        Ok(Page {
            next: p.next,
            items: p
                .items
                .into_iter()
                .map(|r| {
                    let created_at = parse_time(&r.created_at).unwrap_or(0);
                    SourceRelease {
                        id: r.tag_name.clone(),
                        target: String::new(),
                        name: r.name.unwrap_or_default(),
                        body: r.description.unwrap_or_default(),
                        draft: false,
                        prerelease: r.upcoming_release,
                        author: r.author.map(Into::into).unwrap_or_default(),
                        created_at,
                        published_at: r.released_at.as_deref().and_then(parse_time),
                        assets: r
                            .assets
                            .links
                            .into_iter()
                            .map(|l| SourceAsset {
                                id: l.id.to_string(),
                                name: l.name,
                                content_type: String::new(),
                                url: l.direct_asset_url.unwrap_or(l.url),
                            })
                            .collect(),
                        tag_name: r.tag_name,
                    }
                })
                .collect(),
        })
    }

    async fn asset(&self, asset: &SourceAsset) -> Answer<reqwest::Response> {
        self.client.get(&asset.url, &[]).await
    }
}
