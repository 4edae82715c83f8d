//! Gitee's API v5 (gitee.com/api/v5): GitHub-like shapes, `page` + `per_page` with the
//! page count in the `total_page` header, the token as the `access_token` query parameter.
//! Issue numbers are not numbers (`I4ABCD`): imported issues take the next free number here
//! and keep Gitee's in the URLs used to read their comments. Issue states are `open`,
//! `progressing`, `closed` and `rejected`.

use serde::Deserialize;

use super::github::{Comment, Label, Milestone, MilestoneRef, Release, User, id_text};
use super::http::{AuthStyle, SourceClient, header_num};
use super::{
    Answer, BranchEnd, Downloader, Page, SourceAsset, SourceComment, SourceInfo, SourceIssue,
    SourceLabel, SourceMilestone, SourcePull, SourceRelease, Thread, parse_time,
};
use hatchery_core::imports::SourceRepo;

const PER_PAGE: u32 = 100;

pub struct Gitee {
    client: SourceClient,
    repo_url: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Repo {
    description: Option<String>,
    default_branch: Option<String>,
    private: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Issue {
    id: i64,
    /// `I4ABCD` for issues, a number for pull requests.
    number: serde_json::Value,
    title: String,
    body: Option<String>,
    user: Option<User>,
    state: String,
    labels: Vec<Label>,
    milestone: Option<MilestoneRef>,
    comments: Option<i64>,
    assignee: Option<User>,
    created_at: String,
    updated_at: String,
    finished_at: Option<String>,
    closed_at: Option<String>,
    merged_at: Option<String>,
    base: Option<BranchEnd>,
    head: Option<BranchEnd>,
    merge_commit_sha: Option<String>,
}

impl Issue {
    fn into_source(self) -> SourceIssue {
        let created_at = parse_time(&self.created_at).unwrap_or(0);
        let key = id_text(&self.number);
        let closed = matches!(self.state.as_str(), "closed" | "rejected" | "merged");
        SourceIssue {
            id: self.id.to_string(),
            number: self.number.as_i64().unwrap_or(0),
            key,
            title: self.title,
            body: self.body.unwrap_or_default(),
            author: self.user.map(Into::into).unwrap_or_default(),
            closed,
            locked: false,
            created_at,
            updated_at: parse_time(&self.updated_at).unwrap_or(created_at),
            closed_at: self
                .closed_at
                .or(self.finished_at)
                .as_deref()
                .and_then(parse_time),
            labels: self.labels.into_iter().map(|l| l.name).collect(),
            milestone: self.milestone.map(|m| m.title),
            comments: self.comments,
            assignees: self.assignee.into_iter().map(Into::into).collect(),
        }
    }
}

impl Gitee {
    pub fn new(source: &SourceRepo, client: SourceClient) -> Gitee {
        Gitee {
            client: client.with_style(AuthStyle::AccessTokenQuery),
            repo_url: format!("{}/repos/{}", source.api_base(), source.path),
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
        let url = format!("{}{path}", self.repo_url);
        let (items, headers): (Vec<T>, _) = self.client.get_json(&url, &query).await?;
        let more = match header_num(&headers, "total_page") {
            Some(total) => i64::from(page) < total,
            None => items.len() as u32 >= PER_PAGE,
        };
        Ok(Page {
            next: more.then_some(page + 1),
            items,
        })
    }
}

impl Downloader for Gitee {
    async fn repo_info(&self) -> Answer<SourceInfo> {
        let (r, _): (Repo, _) = self.client.get_json(&self.repo_url, &[]).await?;
        Ok(SourceInfo {
            description: r.description.unwrap_or_default(),
            default_branch: r.default_branch.unwrap_or_default(),
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
        let p: Page<Issue> = self
            .list(
                "/issues",
                vec![
                    ("state", "all".to_owned()),
                    ("sort", "created".to_owned()),
                    ("direction", "asc".to_owned()),
                ],
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
            .list(
                "/pulls",
                vec![
                    ("state", "all".to_owned()),
                    ("sort", "created".to_owned()),
                    ("direction", "asc".to_owned()),
                ],
                page,
            )
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
                    let merged = merged_at.is_some() || i.state == "merged";
                    SourcePull::of(i.into_source(), merged, merged_at, base, head, merge_commit)
                })
                .collect(),
        })
    }

    async fn comments(&self, thread: Thread<'_>, page: u32) -> Answer<Page<SourceComment>> {
        let path = if thread.is_pull {
            format!("/pulls/{}/comments", thread.key)
        } else {
            format!("/issues/{}/comments", thread.key)
        };
        let p: Page<Comment> = self.list(&path, vec![], page).await?;
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
