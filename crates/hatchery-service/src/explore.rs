//! Finding things on the site: public repositories (and the private ones the viewer may
//! read), users and organizations, searched, sorted and paged in SQL.
//!
//! The repository search narrows by visibility in SQL (`RepoVisibility`), and every row it
//! returns is checked again with the policy through one batched access query
//! ([`Forge::readable`]), so a divergence could only hide a repository, never list it.

use hatchery_core::Actor;
use hatchery_store::{
    AccountKind, AccountOrder, AccountPage, AccountSearch, Repo, RepoOrder, RepoSearch,
    RepoVisibility,
};

use crate::{Forge, ServiceError};

/// How explore lists are sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExploreSort {
    /// Most recently updated first.
    #[default]
    Updated,
    /// By name.
    Name,
    Newest,
    Oldest,
}

impl ExploreSort {
    /// From the `sort` query parameter (Gitea's words); anything else is the default.
    pub fn parse(s: &str) -> ExploreSort {
        match s {
            "alphabetically" | "name" => ExploreSort::Name,
            "newest" => ExploreSort::Newest,
            "oldest" => ExploreSort::Oldest,
            _ => ExploreSort::Updated,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExploreSort::Updated => "recentupdate",
            ExploreSort::Name => "alphabetically",
            ExploreSort::Newest => "newest",
            ExploreSort::Oldest => "oldest",
        }
    }
}

/// One page of repositories.
#[derive(Debug, Clone)]
pub struct RepoPage {
    pub repos: Vec<Repo>,
    pub total: i64,
}

impl Forge {
    /// Repositories `actor` may read whose name or description contains `keyword`.
    pub async fn explore_repos(
        &self,
        actor: Actor,
        keyword: &str,
        sort: ExploreSort,
        limit: i64,
        offset: i64,
    ) -> Result<RepoPage, ServiceError> {
        let visibility = match actor.user_id() {
            None => RepoVisibility::Public,
            Some(id) => RepoVisibility::PublicAndReachableBy(id),
        };
        let (order, descending) = match sort {
            ExploreSort::Updated => (RepoOrder::Updated, true),
            ExploreSort::Name => (RepoOrder::Alpha, false),
            ExploreSort::Newest => (RepoOrder::Created, true),
            ExploreSort::Oldest => (RepoOrder::Created, false),
        };
        let page = self
            .store
            .search_repos(&RepoSearch {
                visibility,
                keyword: keyword.to_owned(),
                in_description: true,
                order,
                descending,
                limit,
                offset,
                ..RepoSearch::default()
            })
            .await?;
        Ok(RepoPage {
            repos: self.readable(actor, page.repos).await?,
            total: page.total,
        })
    }

    /// Users or organizations whose name or display name contains `keyword`. Profiles are
    /// public; emails are never searched here.
    pub async fn explore_accounts(
        &self,
        kind: AccountKind,
        keyword: &str,
        sort: ExploreSort,
        limit: i64,
        offset: i64,
    ) -> Result<AccountPage, ServiceError> {
        let order = match sort {
            ExploreSort::Updated => AccountOrder::Updated,
            ExploreSort::Name => AccountOrder::Name,
            ExploreSort::Newest => AccountOrder::Newest,
            ExploreSort::Oldest => AccountOrder::Oldest,
        };
        Ok(self
            .store
            .search_accounts(&AccountSearch {
                kind,
                keyword: keyword.to_owned(),
                in_email: false,
                order,
                limit,
                offset,
            })
            .await?)
    }
}
