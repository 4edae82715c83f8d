//! Checklist evidence and audit entries in words: what an automatic check looked at
//! ([`Evidence`]) and what an entry of the audit log changed, with dates, people,
//! repositories and counts as a reader expects them — never JSON or internal names.

use hatchery_core::incubator::Evaluator;
use hatchery_service::incubator::evidence::{Evidence, LicenseRepo};
use hatchery_store::Program;
use maud::{Markup, html};

use super::{days, hours, vote_url};
use crate::ctx::Ctx;
use crate::views::date;

/// `one` when `n` is 1, else `many` with `{n}`.
pub fn count(ctx: &Ctx, n: u64, one: &'static str, many: &'static str) -> String {
    ctx.lang.count(n, one, many)
}

/// A duration given in hours: in hours up to two days, then in days.
pub fn duration_hours(ctx: &Ctx, h: f64) -> String {
    // Whole milliseconds: the figures have two decimals.
    let ms = (h * 3_600_000.0).round() as i64;
    if h < 48.0 {
        hours(ctx, ms)
    } else {
        days(ctx, ms)
    }
}

/// What an automatic check looks at, in a sentence.
pub fn evaluator_label(ctx: &Ctx, e: Evaluator) -> String {
    match e {
        Evaluator::LicenseFile => ctx.t("incubator.evaluator.license_file").to_owned(),
        Evaluator::ReadmePresent => ctx.t("incubator.evaluator.readme_present").to_owned(),
        Evaluator::ContributingPresent => {
            ctx.t("incubator.evaluator.contributing_present").to_owned()
        }
        Evaluator::CodeOfConductPresent => ctx
            .t("incubator.evaluator.code_of_conduct_present")
            .to_owned(),
        Evaluator::SecurityPolicy => ctx.t("incubator.evaluator.security_policy").to_owned(),
        Evaluator::GovernanceOrMaintainers => ctx
            .t("incubator.evaluator.governance_or_maintainers")
            .to_owned(),
        Evaluator::TagsOrReleases => ctx.t("incubator.evaluator.tags_or_releases").to_owned(),
        Evaluator::ReleasesSignedOrDigested => ctx
            .t("incubator.evaluator.releases_signed_or_digested")
            .to_owned(),
        Evaluator::ReleasesApprovedByVote => ctx
            .t("incubator.evaluator.releases_approved_by_vote")
            .to_owned(),
        Evaluator::RecentCommits90d => ctx.t("incubator.evaluator.recent_commits_90d").to_owned(),
        Evaluator::ElephantFactor { min } => ctx.tf(
            "incubator.evaluator.elephant_factor",
            &[("min", &min.to_string())],
        ),
        Evaluator::BusFactor { min } => ctx.tf(
            "incubator.evaluator.bus_factor",
            &[("min", &min.to_string())],
        ),
        Evaluator::IssueResponseTime { max_median_hours } => ctx.tf(
            "incubator.evaluator.issue_response_time",
            &[("max", &duration_hours(ctx, f64::from(max_median_hours)))],
        ),
    }
}

/// The category of a license in the program's policy.
fn category_label(ctx: &Ctx, c: Option<&str>) -> &'static str {
    ctx.t(match c {
        Some("allowed") => "incubator.category.allowed",
        Some("restricted") => "incubator.category.restricted",
        Some("forbidden") => "incubator.category.forbidden",
        _ => "incubator.category.none",
    })
}

/// A reason key of a result in words; `None` for a key this forge does not know (a
/// person's free-text reason is shown as written by the caller).
pub fn reason_text(ctx: &Ctx, reason: &str) -> Option<&'static str> {
    let key = match reason {
        "license_forbidden" => "incubator.check_reason.license_forbidden",
        "license_restricted" => "incubator.check_reason.license_restricted",
        "license_not_recognized" => "incubator.check_reason.license_not_recognized",
        "license_not_in_policy" => "incubator.check_reason.license_not_in_policy",
        "no_license_file" => "incubator.check_reason.no_license_file",
        "empty_repository" => "incubator.check_reason.empty_repository",
        "missing" => "incubator.check_reason.missing",
        "no_repositories" => "incubator.check_reason.no_repositories",
        "no_tags" => "incubator.check_reason.no_tags",
        "no_releases" => "incubator.check_reason.no_releases",
        "no_release_files" => "incubator.check_reason.no_release_files",
        "bad_signature" => "incubator.check_reason.bad_signature",
        "unapproved_release" => "incubator.check_reason.unapproved_release",
        "below_minimum" => "incubator.check_reason.below_minimum",
        "above_maximum" => "incubator.check_reason.above_maximum",
        "no_issues" => "incubator.check_reason.no_issues",
        _ => return None,
    };
    Some(ctx.t(key))
}

fn repo_link(repo: &str) -> Markup {
    html! { a.repo href=(format!("/{repo}")) { (repo) } }
}

/// A file of a repository, at the commit looked at when known.
fn file_link(repo: &str, commit: Option<&str>, path: &str) -> Markup {
    html! {
        @match commit {
            Some(c) => { a.path href=(format!("/{repo}/blob/{c}/{path}")) { (path) } }
            None => { span.path { (path) } }
        }
    }
}

fn release_link(repo: &str, tag: &str) -> Markup {
    html! { a.release href=(format!("/{repo}/releases/tag/{tag}")) { (tag) } }
}

fn licenses(ctx: &Ctx, repos: &[LicenseRepo]) -> Markup {
    html! {
        ul.evidence {
            @for e in repos {
                li {
                    (repo_link(&e.repo))
                    @for lic in &e.licenses {
                        " · " (file_link(&e.repo, e.commit.as_deref(), &lic.path)) " → "
                        @match &lic.spdx {
                            Some(id) => { strong.spdx { (id) } " (" (category_label(ctx, lic.category.as_deref())) ")" }
                            None => { span.muted { (ctx.t("incubator.check_reason.license_not_recognized")) } }
                        }
                    }
                    @if let Some(p) = &e.problem {
                        " · " span.muted { (reason_text(ctx, p).unwrap_or(ctx.t("incubator.evidence.problem"))) }
                    }
                }
            }
        }
    }
}

/// The evidence in words. `program` makes release votes links.
pub fn evidence_view(ctx: &Ctx, program: &Program, evidence: &Evidence) -> Markup {
    let partial = html! { p.small.muted.partial { (ctx.t("incubator.evidence.partial")) } };
    match evidence {
        Evidence::Licenses { repos } => licenses(ctx, repos),
        Evidence::Files { found, missing } => html! {
            ul.evidence {
                @for f in found {
                    li { (repo_link(&f.repo)) " · " (file_link(&f.repo, f.commit.as_deref(), &f.path)) }
                }
                @for m in missing {
                    li.muted { (repo_link(m)) " · " (ctx.t("incubator.evidence.no_file")) }
                }
            }
        },
        Evidence::Tags { repos } => html! {
            ul.evidence {
                @for r in repos {
                    li {
                        (repo_link(&r.repo)) " · "
                        (count(ctx, r.tags, "incubator.evidence.tags_one", "incubator.evidence.tags"))
                        @if let Some(at) = r.newest_at { " (" (ctx.tf("incubator.evidence.newest", &[("date", &date(at))])) ")" }
                        " · "
                        (count(ctx, u64::try_from(r.releases).unwrap_or(0), "incubator.evidence.releases_one", "incubator.evidence.releases"))
                    }
                }
            }
        },
        Evidence::Signed { repos } => html! {
            ul.evidence {
                @for r in repos {
                    li {
                        (repo_link(&r.repo)) " · "
                        @match &r.release {
                            None => { span.muted { (ctx.t("incubator.evidence.no_release")) } }
                            Some(tag) => {
                                (release_link(&r.repo, tag))
                                @if let Some(at) = r.published_at { " (" (ctx.tf("incubator.evidence.published", &[("date", &date(at))])) ")" }
                                " · " (count(ctx, r.files as u64, "incubator.evidence.files_one", "incubator.evidence.files"))
                                " · " (ctx.tf("incubator.evidence.signed", &[("n", &r.signed.to_string())]))
                                @if r.verified + r.unverified + r.bad > 0 {
                                    " · " (ctx.tf("incubator.evidence.signatures", &[
                                        ("verified", &r.verified.to_string()),
                                        ("unverified", &r.unverified.to_string()),
                                        ("bad", &r.bad.to_string()),
                                    ]))
                                }
                            }
                        }
                    }
                }
            }
        },
        Evidence::Approvals { repos } => html! {
            ul.evidence {
                @for r in repos {
                    @if r.approvals.is_empty() {
                        li.muted { (repo_link(&r.repo)) " · " (ctx.t("incubator.evidence.no_release_since_start")) }
                    }
                    @for a in &r.approvals {
                        li {
                            (repo_link(&r.repo)) " · " (release_link(&r.repo, &a.release))
                            " (" (ctx.tf("incubator.evidence.published", &[("date", &date(a.published_at))])) ") · "
                            @match a.vote {
                                Some(id) => { a href=(vote_url(program, id)) { (ctx.tf("incubator.evidence.release_vote", &[("id", &id.to_string())])) } }
                                None => { span.muted { (ctx.t("incubator.evidence.release_not_voted")) } }
                            }
                        }
                    }
                }
            }
        },
        Evidence::Commits(c) => html! {
            p.evidence {
                (count(ctx, c.value, "incubator.evidence.commits_one", "incubator.evidence.commits"))
                " " (ctx.tf("incubator.evidence.in_days", &[("days", &c.window_days.to_string())]))
                " · " (ctx.tf("incubator.evidence.at_least", &[("min", &c.min.to_string())]))
            }
            @if !c.complete { (partial) }
        },
        Evidence::Elephant(e) => html! {
            p.evidence {
                (ctx.tf("incubator.evidence.elephant", &[("value", &e.value.to_string()), ("min", &e.min.to_string())]))
                " · " (count(ctx, e.commits, "incubator.evidence.commits_one", "incubator.evidence.commits"))
                " " (ctx.tf("incubator.evidence.in_days", &[("days", &e.window_days.to_string())]))
                " · " (ctx.tf("incubator.evidence.counted", &[("n", &e.counted_commits.to_string())]))
            }
            @if !e.organizations.is_empty() {
                ul.evidence.organizations {
                    @for o in &e.organizations {
                        li { (o.organization) " · " (count(ctx, o.commits, "incubator.evidence.commits_one", "incubator.evidence.commits")) }
                    }
                }
            }
            @if !e.complete { (partial) }
        },
        Evidence::Bus(b) => html! {
            p.evidence {
                (ctx.tf("incubator.evidence.bus", &[("value", &b.value.to_string()), ("min", &b.min.to_string())]))
                " · " (count(ctx, b.authors, "incubator.evidence.authors_one", "incubator.evidence.authors"))
                " · " (count(ctx, b.commits, "incubator.evidence.commits_one", "incubator.evidence.commits"))
                " " (ctx.tf("incubator.evidence.in_days", &[("days", &b.window_days.to_string())]))
            }
            @if !b.complete { (partial) }
        },
        Evidence::Response(r) => html! {
            p.evidence {
                @match r.median_hours {
                    Some(h) => { (ctx.tf("incubator.evidence.issue_median", &[("time", &duration_hours(ctx, h))])) }
                    None => { (ctx.t("incubator.check_reason.no_issues")) }
                }
                " · " (ctx.tf("incubator.evidence.at_most", &[("max", &duration_hours(ctx, f64::from(r.max_median_hours)))]))
                @if let Some(h) = r.pull_median_hours {
                    br; (ctx.tf("incubator.evidence.pull_median", &[("time", &duration_hours(ctx, h))]))
                }
            }
        },
        Evidence::Note { note } => html! {
            @if note.starts_with("https://") || note.starts_with("http://") {
                a href=(note) rel="nofollow noopener" { (note) }
            } @else { (note) }
        },
    }
}

/// What an audit entry's details say beyond its summary, in words: the counts of an
/// evaluation, a person added or removed with their role, a tally, a note, a version.
/// Identifiers of repositories and people are not resolved here: the log is public and
/// may name what a reader cannot see.
pub fn audit_detail(ctx: &Ctx, l: &super::Loaded, e: &hatchery_store::AuditEntry) -> Markup {
    use serde_json::Value;
    let d = &e.detail;
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let n = |k: &str| d.get(k).and_then(Value::as_i64);
    match e.action.split_once('.').unwrap_or(("", "")) {
        ("checklist", "evaluated") => {
            let items = d.get("items").and_then(Value::as_array);
            let with = |status: &str| {
                items.map_or(0, |i| {
                    i.iter()
                        .filter(|x| x.get("status").and_then(Value::as_str) == Some(status))
                        .count()
                }) as u64
            };
            let total = items.map_or(0, Vec::len) as u64;
            html! {
                span.audit-detail {
                    (count(ctx, total, "incubator.audit_detail.items_one", "incubator.audit_detail.items"))
                    ": " (ctx.tf("incubator.audit_detail.evaluated", &[
                        ("pass", &with("pass").to_string()),
                        ("fail", &with("fail").to_string()),
                        ("na", &with("not_applicable").to_string()),
                    ]))
                }
            }
        }
        ("checklist", "set") => {
            let reason = s("reason");
            html! { @if !reason.is_empty() { span.audit-detail { "“" (reason) "”" } } }
        }
        ("roster", "added") | ("roster", "removed") => html! {
            span.audit-detail { (s("name")) " · " (super::role_label(ctx, &l.program.template, &s("role"))) }
        },
        ("vote", "opened") => html! {
            span.audit-detail {
                @let nominee = s("nominee");
                @if !nominee.is_empty() { (nominee) " · " }
                @if let Some(at) = n("deadline_at") { (ctx.tf("incubator.audit_detail.deadline", &[("date", &date(at))])) }
            }
        },
        ("vote", "closed") => {
            let t = d.get("tally");
            let f = |k: &str| {
                t.and_then(|t| t.get(k))
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
                    .to_string()
            };
            html! {
                @if t.is_some() {
                    span.audit-detail { (ctx.tf("incubator.audit_detail.tally", &[
                        ("plus", &f("binding_plus")),
                        ("zero", &f("binding_zero")),
                        ("minus", &f("binding_minus")),
                    ])) }
                }
            }
        }
        ("proposal", "state") => {
            let note = s("note");
            html! { @if !note.is_empty() { span.audit-detail { "“" (note) "”" } } }
        }
        ("proposal", "edited")
        | ("graduation", "resolution_edited")
        | ("graduation", "submitted") => html! {
            @if let Some(v) = n("version") { span.audit-detail { (ctx.tf("incubator.audit_detail.version", &[("n", &v.to_string())])) } }
        },
        ("report", "signed_off") => {
            let comment = s("comment");
            html! { @if !comment.is_empty() { span.audit-detail { "“" (comment) "”" } } }
        }
        ("project", "stage") => {
            let resolution = s("resolution");
            html! { @if !resolution.is_empty() { span.audit-detail { (resolution) } } }
        }
        ("project", "decision") => html! { span.audit-detail { (s("title")) } },
        ("graduation", "recommended") => html! {
            span.audit-detail { "→ " (l.stage_name(&s("to"))) }
        },
        ("graduation", "decided") => html! {
            span.audit-detail {
                (ctx.t(if d.get("approved").and_then(Value::as_bool) == Some(true) { "incubator.audit_detail.approved" } else { "incubator.audit_detail.rejected" }))
                @let when = s("decision_date");
                @if !when.is_empty() { " · " (when) }
            }
        },
        _ => html! {},
    }
}
