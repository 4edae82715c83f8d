//! Gitea's API v1 (also Forgejo's, and Hatchery's own): `page` + `limit`, the next page
//! announced by `Link: <...>; rel="next"`, `Authorization: token X` (or Basic).

use serde::Deserialize;

use super::http::{SourceClient, link_has_next};
use super::{
    Answer, BranchEnd, Downloader, Page, SourceAsset, SourceComment, SourceInfo, SourceIssue,
    SourceLabel, SourceMilestone, SourcePull, SourceRelease, SourceUser, Thread, parse_time,
};
use hatchery_core::imports::SourceRepo;

const LIMIT: u32 = 50;

pub struct Gitea {
    client: SourceClient,
    repo_url: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct User {
    login: String,
    email: String,
}

impl From<User> for SourceUser {
    fn from(u: User) -> SourceUser {
        SourceUser {
            login: u.login,
            email: u.email,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Repo {
    description: String,
    default_branch: String,
    private: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Label {
    id: i64,
    name: String,
    color: String,
    description: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Milestone {
    id: i64,
    title: String,
    description: String,
    state: String,
    due_on: Option<String>,
    created_at: String,
    updated_at: Option<String>,
    closed_at: Option<String>,
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
    number: i64,
    title: String,
    body: String,
    user: Option<User>,
    original_author: String,
    state: String,
    is_locked: bool,
    labels: Vec<Label>,
    milestone: Option<MilestoneRef>,
    comments: Option<i64>,
    assignees: Option<Vec<User>>,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    merged: bool,
    merged_at: Option<String>,
    base: Option<BranchEnd>,
    head: Option<BranchEnd>,
    merge_commit_sha: Option<String>,
    merged_by: Option<User>,
    merge_base: Option<String>,
}

impl Issue {
    fn into_source(self) -> SourceIssue {
        let mut author: SourceUser = self.user.map(Into::into).unwrap_or_default();
        // Imported there too, from a third forge: keep the first author's name.
        if !self.original_author.is_empty() {
            author = SourceUser {
                login: self.original_author,
                email: String::new(),
            };
        }
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        SourceIssue {
            id: self.id.to_string(),
            number: self.number,
            key: self.number.to_string(),
            title: self.title,
            body: self.body,
            author,
            closed: self.state == "closed",
            locked: self.is_locked,
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
struct Comment {
    id: i64,
    user: Option<User>,
    original_author: String,
    body: String,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Release {
    id: i64,
    tag_name: String,
    target_commitish: String,
    name: String,
    body: String,
    draft: bool,
    prerelease: bool,
    author: Option<User>,
    created_at: String,
    published_at: Option<String>,
    assets: Vec<Asset>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Asset {
    id: i64,
    name: String,
    browser_download_url: String,
}

fn page_of<T>(items: Vec<T>, headers: &reqwest::header::HeaderMap, page: u32) -> Page<T> {
    let next = if headers.contains_key("link") {
        link_has_next(headers)
    } else {
        items.len() as u32 >= LIMIT
    };
    Page {
        next: next.then_some(page + 1),
        items,
    }
}

impl Gitea {
    pub fn new(source: &SourceRepo, client: SourceClient) -> Gitea {
        Gitea {
            client,
            repo_url: format!("{}/repos/{}", source.api_base(), source.path),
        }
    }

    fn paging(page: u32) -> Vec<(&'static str, String)> {
        vec![("page", page.to_string()), ("limit", LIMIT.to_string())]
    }

    async fn list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        mut query: Vec<(&'static str, String)>,
        page: u32,
    ) -> Answer<Page<T>> {
        query.extend(Self::paging(page));
        let url = format!("{}{path}", self.repo_url);
        let (items, headers): (Vec<T>, _) = self.client.get_json(&url, &query).await?;
        Ok(page_of(items, &headers, page))
    }
}

impl Downloader for Gitea {
    async fn repo_info(&self) -> Answer<SourceInfo> {
        let (r, _): (Repo, _) = self.client.get_json(&self.repo_url, &[]).await?;
        Ok(SourceInfo {
            description: r.description,
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
                    id: l.id.to_string(),
                    name: l.name,
                    color: l.color,
                    description: l.description,
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
            items: p
                .items
                .into_iter()
                .map(|m| {
                    let created_at = parse_time(&m.created_at).unwrap_or(0);
                    SourceMilestone {
                        id: m.id.to_string(),
                        title: m.title,
                        description: m.description,
                        closed: m.state == "closed",
                        due_at: m.due_on.as_deref().and_then(parse_time),
                        created_at,
                        updated_at: m
                            .updated_at
                            .as_deref()
                            .and_then(parse_time)
                            .unwrap_or(created_at),
                        closed_at: m.closed_at.as_deref().and_then(parse_time),
                    }
                })
                .collect(),
        })
    }

    async fn issues(&self, page: u32) -> Answer<Page<SourceIssue>> {
        let p: Page<Issue> = self
            .list(
                "/issues",
                vec![("state", "all".to_owned()), ("type", "issues".to_owned())],
                page,
            )
            .await?;
        Ok(Page {
            next: p.next,
            items: p.items.into_iter().map(Issue::into_source).collect(),
        })
    }

    async fn pulls(&self, page: u32) -> Answer<Page<SourcePull>> {
        let p: Page<Issue> = self
            .list("/pulls", vec![("state", "all".to_owned())], page)
            .await?;
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
                    let merged = i.merged;
                    let merge_base = i.merge_base.take().filter(|m| !m.is_empty());
                    let mut pull = SourcePull::of(
                        i.into_source(),
                        merged,
                        merged_at,
                        base,
                        head,
                        merge_commit,
                    );
                    if let Some(m) = merge_base {
                        pull.merge_base = m;
                    }
                    pull.merged_by = merged_by;
                    pull
                })
                .collect(),
        })
    }

    async fn comments(&self, thread: Thread<'_>, page: u32) -> Answer<Page<SourceComment>> {
        // Gitea lists a conversation's comments whole, without pages.
        if page > 1 {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let url = format!("{}/issues/{}/comments", self.repo_url, thread.key);
        let (items, _): (Vec<Comment>, _) = self.client.get_json(&url, &[]).await?;
        Ok(Page {
            next: None,
            items: items
                .into_iter()
                .map(|c| {
                    let mut author: SourceUser = c.user.map(Into::into).unwrap_or_default();
                    if !c.original_author.is_empty() {
                        author = SourceUser {
                            login: c.original_author,
                            email: String::new(),
                        };
                    }
                    let created_at = parse_time(&c.created_at).unwrap_or(0);
                    SourceComment {
                        id: c.id.to_string(),
                        author,
                        body: c.body,
                        created_at,
                        updated_at: parse_time(&c.updated_at).unwrap_or(created_at),
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
                        id: r.id.to_string(),
                        tag_name: r.tag_name,
                        target: r.target_commitish,
                        name: r.name,
                        body: r.body,
                        draft: r.draft,
                        prerelease: r.prerelease,
                        author: r.author.map(Into::into).unwrap_or_default(),
                        created_at,
                        published_at: if r.draft {
                            None
                        } else {
                            r.published_at.as_deref().and_then(parse_time)
                        },
                        assets: r
                            .assets
                            .into_iter()
                            .map(|a| SourceAsset {
                                id: a.id.to_string(),
                                name: a.name,
                                content_type: String::new(),
                                url: a.browser_download_url,
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
    }

    async fn asset(&self, asset: &SourceAsset) -> Answer<reqwest::Response> {
        self.client.get(&asset.url, &[]).await
    }
}
