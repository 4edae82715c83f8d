//! `/explore`: repositories (public ones, and the private ones the visitor may read),
//! users and organizations, with search (`q`), sort and pages. The use cases
//! (`Forge::explore_*`) decide what may be listed; this module only translates.

use crate::ctx::Ctx;
use crate::error::WebResult;
use crate::pages::code::time_ago_ms;
use crate::state::AppState;
use crate::views::{avatar, date, page, tabs};
use axum::extract::{Query, State};
use axum::response::Redirect;
use hatchery_service::explore::ExploreSort;
use hatchery_store::{AccountKind, AccountSummary, Repo};
use maud::{Markup, html};
use serde::Deserialize;

/// Rows per page.
pub const PER_PAGE: i64 = 20;
/// Page numbers above this are read as this.
const MAX_PAGE: i64 = 100_000;

#[derive(Deserialize, Default)]
pub struct ExploreQuery {
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

impl ExploreQuery {
    fn keyword(&self) -> &str {
        self.q.as_deref().unwrap_or("").trim()
    }

    fn sort(&self) -> ExploreSort {
        ExploreSort::parse(self.sort.as_deref().unwrap_or(""))
    }
}

/// `?page=N`: 1 when missing or not a number, at most [`MAX_PAGE`].
pub fn page_number(raw: Option<&str>) -> i64 {
    raw.map(str::trim)
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
        .map_or(1, |r| {
            r.parse::<i64>().unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
        })
}

/// `base?q=…&sort=…&page=N`, leaving out what is empty or the default.
pub fn list_url(base: &str, keyword: &str, sort: Option<&str>, page_no: i64) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    if !keyword.is_empty() {
        ser.append_pair("q", keyword);
    }
    if let Some(sort) = sort {
        ser.append_pair("sort", sort);
    }
    if page_no > 1 {
        ser.append_pair("page", &page_no.to_string());
    }
    let query = ser.finish();
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// Previous / "page X of Y" / next, when there is more than one page.
pub fn pager(ctx: &Ctx, total: i64, page_no: i64, url: impl Fn(i64) -> String) -> Markup {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    html! {
        @if pages > 1 {
            nav.pagination aria-label=(ctx.t("explore.pages")) {
                @if page_no > 1 {
                    a.btn rel="prev" href=(url(page_no - 1)) { (ctx.t("pagination.prev")) }
                }
                " "
                span.muted { (ctx.tf("explore.page_of", &[("page", &page_no.to_string()), ("pages", &pages.to_string())])) }
                " "
                @if page_no < pages {
                    a.btn rel="next" href=(url(page_no + 1)) { (ctx.t("pagination.next")) }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Repos,
    Users,
    Orgs,
}

impl Tab {
    fn base(self) -> &'static str {
        match self {
            Tab::Repos => "/explore/repos",
            Tab::Users => "/explore/users",
            Tab::Orgs => "/explore/organizations",
        }
    }
}

/// The tabs, the search box and the sort choice, shared by the three lists.
fn frame(ctx: &Ctx, tab: Tab, q: &ExploreQuery, total: i64, list: Markup) -> Markup {
    let keyword = q.keyword();
    let sort = q.sort();
    let sorts = [
        (ExploreSort::Updated, "explore.sort.updated"),
        (ExploreSort::Name, "explore.sort.name"),
        (ExploreSort::Newest, "explore.sort.newest"),
        (ExploreSort::Oldest, "explore.sort.oldest"),
    ];
    let page_no = page_number(q.page.as_deref());
    html! {
        h1 { (ctx.t("explore.title")) }
        (tabs(&[
            (ctx.t("explore.repos"), Tab::Repos.base().to_owned(), tab == Tab::Repos),
            (ctx.t("explore.users"), Tab::Users.base().to_owned(), tab == Tab::Users),
            (ctx.t("explore.orgs"), Tab::Orgs.base().to_owned(), tab == Tab::Orgs),
        ]))
        form.inline-form method="get" action=(tab.base()) id="explore-search" role="search" {
            label.visually-hidden for="explore-q" { (ctx.t("explore.search")) }
            input type="search" id="explore-q" name="q" value=(keyword) placeholder=(ctx.t("explore.search"));
            label for="explore-sort" { (ctx.t("explore.sort_by")) }
            select id="explore-sort" name="sort" {
                @for (s, key) in sorts {
                    option value=(s.as_str()) selected[s == sort] { (ctx.t(key)) }
                }
            }
            button.btn type="submit" { (ctx.t("explore.search_button")) }
        }
        p.muted id="explore-total" { (ctx.tf("explore.total", &[("n", &total.to_string())])) }
        (list)
        (pager(ctx, total, page_no, |n| list_url(tab.base(), keyword, q.sort.as_deref().map(|_| sort.as_str()), n)))
    }
}

/// `GET /explore`.
pub async fn index() -> Redirect {
    Redirect::to("/explore/repos")
}

/// `GET /explore/repos`.
pub async fn repos(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ExploreQuery>,
) -> WebResult<Markup> {
    let page_no = page_number(q.page.as_deref());
    let found = state
        .forge
        .explore_repos(
            ctx.actor(),
            q.keyword(),
            q.sort(),
            PER_PAGE,
            (page_no - 1) * PER_PAGE,
        )
        .await?;
    let list = repo_rows(&ctx, &found.repos);
    Ok(page(
        &ctx,
        ctx.t("explore.title"),
        frame(&ctx, Tab::Repos, &q, found.total, list),
    ))
}

fn repo_rows(ctx: &Ctx, repos: &[Repo]) -> Markup {
    html! {
        @if repos.is_empty() {
            div.empty id="explore-empty" { (ctx.t("explore.no_repos")) }
        } @else {
            ul.list id="explore-repos" {
                @for r in repos {
                    li.explore-repo {
                        span {
                            a href=(format!("/{}/{}", r.owner_name, r.name)) {
                                (r.owner_name) " / " strong { (r.name) }
                            }
                            @if r.is_private { " " span.badge { (ctx.t("repo.private")) } }
                            @if r.fork_id.is_some() { " " span.badge { (ctx.t("explore.fork")) } }
                            @if !r.description.is_empty() { br; span.muted { (r.description) } }
                        }
                        span.muted { (ctx.t("explore.updated")) " " (time_ago_ms(ctx, r.updated_at)) }
                    }
                }
            }
        }
    }
}

async fn accounts(state: &AppState, ctx: &Ctx, q: &ExploreQuery, tab: Tab) -> WebResult<Markup> {
    let page_no = page_number(q.page.as_deref());
    let kind = if tab == Tab::Orgs {
        AccountKind::Org
    } else {
        AccountKind::User
    };
    let found = state
        .forge
        .explore_accounts(
            kind,
            q.keyword(),
            q.sort(),
            PER_PAGE,
            (page_no - 1) * PER_PAGE,
        )
        .await?;
    let list = account_rows(ctx, &found.accounts, kind == AccountKind::Org);
    Ok(page(
        ctx,
        ctx.t("explore.title"),
        frame(ctx, tab, q, found.total, list),
    ))
}

fn account_rows(ctx: &Ctx, list: &[AccountSummary], orgs: bool) -> Markup {
    html! {
        @if list.is_empty() {
            div.empty id="explore-empty" { (ctx.t(if orgs { "explore.no_orgs" } else { "explore.no_users" })) }
        } @else {
            ul.list id="explore-accounts" {
                @for a in list {
                    li.explore-account {
                        span.explore-who {
                            span.avatar-small { (avatar(&a.name, orgs)) }
                            span {
                                a href=(format!("/{}", a.name)) { strong { (a.name) } }
                                @if !a.display_name.is_empty() { " " span.muted { (a.display_name) } }
                                @if !a.description.is_empty() { br; span.muted { (a.description) } }
                            }
                        }
                        span.muted { (ctx.tf("profile.joined", &[("date", &date(a.created_at))])) }
                    }
                }
            }
        }
    }
}

/// `GET /explore/users`.
pub async fn users(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ExploreQuery>,
) -> WebResult<Markup> {
    accounts(&state, &ctx, &q, Tab::Users).await
}

/// `GET /explore/organizations`.
pub async fn orgs(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ExploreQuery>,
) -> WebResult<Markup> {
    accounts(&state, &ctx, &q, Tab::Orgs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_urls() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("x")), 1);
        assert_eq!(page_number(Some("0")), 1);
        assert_eq!(page_number(Some("3")), 3);
        assert_eq!(page_number(Some("99999999999999999999999")), MAX_PAGE);
        assert_eq!(list_url("/explore/repos", "", None, 1), "/explore/repos");
        assert_eq!(
            list_url("/explore/repos", "a b&c", Some("newest"), 2),
            "/explore/repos?q=a+b%26c&sort=newest&page=2"
        );
    }
}
