//! The maturity checklist's automatic evaluators and the figures of periodic reports
//! ("project health"), from the facts of a project's repositories and issues.
//!
//! Gathering is separate from judging: [`Forge::health_of`] reads a repository's
//! [`HealthFacts`] (on a blocking thread), [`Forge::issue_first_response`] the issues' waits
//! for an answer, and [`evaluate`] judges checklist items from those facts alone, so the
//! rules are tested without a forge.
//!
//! What each evaluator accepts (`repos` are the project's repositories):
//!
//! | evaluator | passes when |
//! |---|---|
//! | `license_file` | every repository has a root license file ([`hatchery_license::is_license_file`]) and every such file holds a license the detector recognizes and the program's policy allows (`allowed`; `restricted` and `forbidden` fail, and so does a license the policy does not list, unless the policy is empty) |
//! | `readme_present` | every repository has a `README*` at its root |
//! | `contributing_present` | some repository has `CONTRIBUTING*` at its root, in `.github/` or in `docs/` |
//! | `code_of_conduct_present` | likewise `CODE_OF_CONDUCT*` (also `CODE-OF-CONDUCT*`) |
//! | `security_policy` | likewise `SECURITY*` |
//! | `governance_or_maintainers` | likewise `GOVERNANCE*`, `MAINTAINERS*` or `OWNERS*` |
//! | `tags_or_releases` | some repository has a tag or a published release |
//! | `releases_signed_or_digested` | some repository's newest published release (pre-releases count) has files, whose SHA-256 and SHA-512 the forge publishes, and none of its detached signatures is bad ([`hatchery_core::releases::check_signature`]); the evidence counts its files, signed files and verified, unverified and bad signatures |
//! | `recent_commits_90d` | at least [`MAINTAINED_MIN_COMMITS`] commits authored in the last 90 days, across the repositories (a commit a week, OpenSSF Scorecard's "Maintained") |
//! | `elephant_factor` | the elephant factor of the last 12 months' commits is at least `min` (free-mail and placeholder domains left out, [`hatchery_core::incubator::organization`]) |
//! | `bus_factor` | the bus factor of the last 12 months' commits (authors by e-mail, [`hatchery_git::author_key`]) is at least `min` |
//! | `issue_response_time` | the median time to first response is at most `max_median_hours`; not applicable without issues |
//!
//! File names are compared by their part before the first `.`, ignoring ASCII case, `-` and
//! `_`: `README.zh-CN.md` is a README, `Code-Of-Conduct.rst` a code of conduct. A commit
//! present in several repositories (a fork, a mirror) counts once. Without any repository
//! every repository-based item fails (`no_repositories`): there is nothing to judge, and the
//! fix is to link the repositories.
//!
//! Manual items are not evaluated here.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::time::Duration;

use hatchery_core::incubator::{
    ChecklistItem, Evaluation, Evaluator, LicenseCategory, ProgramTemplate, bus_factor,
    elephant_factor, median, organization,
};
use hatchery_git::{CommitFact, HealthFacts};
use hatchery_license::{Detector, is_license_file, license_file_names};
use hatchery_store::{Repo, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::evidence::{
    Approval, ApprovalRepo, BusEvidence, CommitsEvidence, ElephantEvidence, Evidence, FileFound,
    LicenseFound, LicenseRepo, OrgCommits, ResponseEvidence, SignedRepo, TagsRepo,
};
use crate::{Forge, ServiceError};

/// The commits [`Forge::health_of`] gathers: the last 12 months, what the elephant and bus
/// factors look at.
pub const HEALTH_WINDOW_DAYS: u32 = 365;

/// "Recent" for `recent_commits_90d`.
pub const MAINTAINED_DAYS: u32 = 90;

/// A commit a week over [`MAINTAINED_DAYS`]: 90 / 7 rounded up.
pub const MAINTAINED_MIN_COMMITS: usize = 13;

/// The window of the elephant and bus factors: 12 months.
pub const FACTOR_DAYS: u32 = 365;

/// Issues opened this long ago or later count for `issue_response_time`, as for the
/// factors.
pub const ISSUE_RESPONSE_DAYS: u32 = 365;

const DAY_SECS: i64 = 86_400;
const DAY_MS: i64 = DAY_SECS * 1000;

/// A repository as results name it: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn new(owner: &str, name: &str) -> RepoName {
        RepoName {
            owner: owner.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl From<&Repo> for RepoName {
    fn from(r: &Repo) -> RepoName {
        RepoName::new(&r.owner_name, &r.name)
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The outcome of an automatic evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
}

impl Status {
    /// As stored in `checklist_results.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// One automatically evaluated checklist item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    /// The item's code (`CD10`).
    pub code: String,
    pub status: Status,
    /// Why it did not pass, as a stable key (`license_forbidden`, `missing`,
    /// `below_minimum`, `no_repositories`, `no_issues`, ...); empty on a pass.
    pub reason: &'static str,
    /// What was looked at, per evaluator (see the module documentation and
    /// [`Evidence`]); stored as JSON.
    pub evidence: Value,
    /// The evaluator's name, as in templates (`license_file`, `elephant_factor`).
    pub evaluator: &'static str,
}

/// The evaluator's name as templates spell it (its serde tag).
pub fn evaluator_name(e: Evaluator) -> &'static str {
    match e {
        Evaluator::LicenseFile => "license_file",
        Evaluator::ReadmePresent => "readme_present",
        Evaluator::ContributingPresent => "contributing_present",
        Evaluator::CodeOfConductPresent => "code_of_conduct_present",
        Evaluator::SecurityPolicy => "security_policy",
        Evaluator::GovernanceOrMaintainers => "governance_or_maintainers",
        Evaluator::TagsOrReleases => "tags_or_releases",
        Evaluator::ReleasesSignedOrDigested => "releases_signed_or_digested",
        Evaluator::RecentCommits90d => "recent_commits_90d",
        Evaluator::ElephantFactor { .. } => "elephant_factor",
        Evaluator::BusFactor { .. } => "bus_factor",
        Evaluator::IssueResponseTime { .. } => "issue_response_time",
        Evaluator::ReleasesApprovedByVote => "releases_approved_by_vote",
    }
}

/// What the release items look at in one repository: its published releases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseFacts {
    /// Published releases, pre-releases included (drafts never count).
    pub published: i64,
    /// The newest of them.
    pub newest: Option<NewestRelease>,
    /// Those published since the project entered incubation, oldest first: tag, when,
    /// and the passed release vote that approved it (if one did).
    pub since_start: Vec<(String, i64, Option<i64>)>,
}

/// The newest published release of a repository, as the checklist judges it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewestRelease {
    pub tag: String,
    pub published_at: i64,
    /// Files that are not detached signatures.
    pub files: usize,
    /// Of those, how many have a detached signature beside them.
    pub signed: usize,
    /// The signatures' states.
    pub verified: usize,
    pub unverified: usize,
    pub bad: usize,
}

impl ReleaseFacts {
    /// The facts of a repository whose published releases number `published` and whose
    /// newest published release is `newest`.
    pub fn of(published: i64, newest: Option<&hatchery_store::Release>) -> ReleaseFacts {
        use hatchery_core::releases::{SignatureState, signed_name};
        let newest = newest.map(|r| {
            let names: Vec<&str> = r.assets.iter().map(|a| a.name.as_str()).collect();
            let mut n = NewestRelease {
                tag: r.tag_name.clone(),
                published_at: r.published_at.unwrap_or(r.created_at),
                ..NewestRelease::default()
            };
            for a in &r.assets {
                match signed_name(&a.name) {
                    None => {
                        n.files += 1;
                        if hatchery_core::releases::signature_of(&a.name, &names).is_some() {
                            n.signed += 1;
                        }
                    }
                    Some(_) => match SignatureState::parse(&a.signature_state) {
                        Some(SignatureState::Verified) => n.verified += 1,
                        Some(SignatureState::Unverified) => n.unverified += 1,
                        Some(SignatureState::Bad) => n.bad += 1,
                        None => {}
                    },
                }
            }
            n
        });
        ReleaseFacts {
            published,
            newest,
            since_start: Vec::new(),
        }
    }

    /// With the releases published since the project entered incubation
    /// ([`ReleaseFacts::since_start`]).
    pub fn with_approvals(mut self, since_start: Vec<(String, i64, Option<i64>)>) -> Self {
        self.since_start = since_start;
        self
    }
}

/// Judges the automatic items of `items` (manual ones are left out) from the facts of the
/// project's repositories and the median time to first response on its recent issues
/// (`None`: no issues), without release facts (every repository as if it had no
/// releases). Pure: the same facts give the same results.
pub fn evaluate(
    items: &[ChecklistItem],
    template: &ProgramTemplate,
    repos: &[(RepoName, HealthFacts)],
    issue_response: Option<Duration>,
) -> Vec<ItemResult> {
    evaluate_with_releases(items, template, repos, &[], issue_response, None)
}

/// [`evaluate`] with the repositories' releases (`releases`, by repository; a repository
/// left out has none) and the median time to first response on recent pull requests
/// (`pull_response`), which `issue_response_time` shows beside the issues' median (the
/// item is judged on issues).
pub fn evaluate_with_releases(
    items: &[ChecklistItem],
    template: &ProgramTemplate,
    repos: &[(RepoName, HealthFacts)],
    releases: &[(RepoName, ReleaseFacts)],
    issue_response: Option<Duration>,
    pull_response: Option<Duration>,
) -> Vec<ItemResult> {
    let mut licenses = None;
    items
        .iter()
        .filter_map(|item| {
            let Evaluation::Automatic(evaluator) = item.evaluation else {
                return None;
            };
            let (status, reason, evidence) = match evaluator {
                Evaluator::LicenseFile => licenses
                    .get_or_insert_with(|| license_file(template, repos))
                    .clone(),
                Evaluator::ReadmePresent => community_file(repos, &["readme"], false, true),
                Evaluator::ContributingPresent => {
                    community_file(repos, &["contributing"], true, false)
                }
                Evaluator::CodeOfConductPresent => {
                    community_file(repos, &["codeofconduct"], true, false)
                }
                Evaluator::SecurityPolicy => community_file(repos, &["security"], true, false),
                Evaluator::GovernanceOrMaintainers => {
                    community_file(repos, &["governance", "maintainers", "owners"], true, false)
                }
                Evaluator::TagsOrReleases => tags(repos, releases),
                Evaluator::ReleasesSignedOrDigested => signed_releases(repos, releases),
                Evaluator::ReleasesApprovedByVote => approved_releases(repos, releases),
                Evaluator::RecentCommits90d => maintained(repos),
                Evaluator::ElephantFactor { min } => elephant(repos, min),
                Evaluator::BusFactor { min } => bus(repos, min),
                Evaluator::IssueResponseTime { max_median_hours } => {
                    response_time(issue_response, pull_response, max_median_hours)
                }
            };
            Some(ItemResult {
                code: item.code.clone(),
                status,
                reason,
                evidence: evidence.to_value(),
                evaluator: evaluator_name(evaluator),
            })
        })
        .collect()
}

type Judged = (Status, &'static str, Evidence);

fn verdict(ok: bool, reason: &'static str, evidence: Evidence) -> Judged {
    if ok {
        (Status::Pass, "", evidence)
    } else {
        (Status::Fail, reason, evidence)
    }
}

fn no_repositories() -> Judged {
    (
        Status::Fail,
        "no_repositories",
        Evidence::Licenses { repos: Vec::new() },
    )
}

fn commit_hex(facts: &HealthFacts) -> Option<String> {
    facts.head.map(|c| c.to_hex())
}

/// Rounded to three decimals, so stored evidence does not show `0.9800000190734863`.
fn rounded(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

fn category_name(c: LicenseCategory) -> &'static str {
    match c {
        LicenseCategory::Allowed => "allowed",
        LicenseCategory::Restricted => "restricted",
        LicenseCategory::Forbidden => "forbidden",
    }
}

/// Each repository's license files, detected and judged; fails on the first repository's
/// problem (all are in the evidence).
fn license_file(template: &ProgramTemplate, repos: &[(RepoName, HealthFacts)]) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let detector = Detector::global();
    let preference = |path: &str| {
        license_file_names()
            .iter()
            .position(|n| n.eq_ignore_ascii_case(path))
            .unwrap_or(usize::MAX)
    };
    let mut first_problem = None;
    let mut entries = Vec::new();
    for (name, facts) in repos {
        let mut files: Vec<_> = facts
            .license_files
            .iter()
            .filter(|l| is_license_file(&l.path))
            .collect();
        files.sort_by_key(|l| (preference(&l.path), l.path.clone()));
        let mut problem = if facts.head.is_none() {
            Some("empty_repository")
        } else if files.is_empty() {
            Some("no_license_file")
        } else {
            None
        };
        let mut found = Vec::new();
        for l in files {
            let detection = if l.truncated {
                None
            } else {
                detector.detect(&l.text)
            };
            let Some(d) = detection else {
                problem = problem.or(Some("license_not_recognized"));
                found.push(LicenseFound {
                    path: l.path.clone(),
                    spdx: None,
                    confidence: None,
                    category: None,
                });
                continue;
            };
            let category = template.license_category(d.spdx_id);
            let file_problem = match category {
                Some(LicenseCategory::Allowed) => None,
                Some(LicenseCategory::Restricted) => Some("license_restricted"),
                Some(LicenseCategory::Forbidden) => Some("license_forbidden"),
                None if template.license_policy.is_empty() => None,
                None => Some("license_not_in_policy"),
            };
            problem = problem.or(file_problem);
            found.push(LicenseFound {
                path: l.path.clone(),
                spdx: Some(d.spdx_id.to_owned()),
                confidence: Some(rounded(d.confidence)),
                category: category.map(|c| category_name(c).to_owned()),
            });
        }
        first_problem = first_problem.or(problem);
        entries.push(LicenseRepo {
            repo: name.to_string(),
            commit: commit_hex(facts),
            licenses: found,
            problem: problem.map(str::to_owned),
        });
    }
    let evidence = Evidence::Licenses { repos: entries };
    match first_problem {
        None => (Status::Pass, "", evidence),
        Some(p) => (Status::Fail, p, evidence),
    }
}

/// `README.zh-CN.md` → `readme`; `Code-Of-Conduct.rst` → `codeofconduct`.
fn stem(file_name: &str) -> String {
    let base = file_name.split('.').next().unwrap_or("");
    base.chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The first file (by path) of `facts` whose stem is one of `stems`: at the root, and with
/// `in_dirs` also in `.github/` and `docs/`.
fn find_file<'f>(facts: &'f HealthFacts, stems: &[&str], in_dirs: bool) -> Option<&'f str> {
    let mut hits: Vec<&str> = facts
        .files
        .iter()
        .map(String::as_str)
        .filter(|path| {
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            (dir.is_empty() || (in_dirs && hatchery_git::COMMUNITY_DIRS.contains(&dir)))
                && stems.contains(&stem(name).as_str())
        })
        .collect();
    // Root files first, then by path.
    hits.sort_by_key(|p| (p.contains('/'), *p));
    hits.first().copied()
}

/// A community file: in every repository (`every`) or in some.
fn community_file(
    repos: &[(RepoName, HealthFacts)],
    stems: &[&str],
    in_dirs: bool,
    every: bool,
) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (name, facts) in repos {
        match find_file(facts, stems, in_dirs) {
            Some(path) => found.push(FileFound {
                repo: name.to_string(),
                commit: commit_hex(facts),
                path: path.to_owned(),
            }),
            None => missing.push(name.to_string()),
        }
    }
    let ok = if every {
        missing.is_empty()
    } else {
        !found.is_empty()
    };
    verdict(ok, "missing", Evidence::Files { found, missing })
}

fn published_of<'r>(
    releases: &'r [(RepoName, ReleaseFacts)],
    name: &RepoName,
) -> Option<&'r ReleaseFacts> {
    releases.iter().find(|(n, _)| n == name).map(|(_, f)| f)
}

fn tags(repos: &[(RepoName, HealthFacts)], releases: &[(RepoName, ReleaseFacts)]) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let published = |name: &RepoName| published_of(releases, name).map_or(0, |f| f.published);
    let entries: Vec<TagsRepo> = repos
        .iter()
        .map(|(name, facts)| TagsRepo {
            repo: name.to_string(),
            tags: u64::try_from(facts.tag_count).unwrap_or(u64::MAX),
            newest_at: facts.newest_tag_time.map(|t| t.saturating_mul(1000)),
            releases: published(name),
        })
        .collect();
    let ok = repos
        .iter()
        .any(|(name, f)| f.tag_count > 0 || published(name) > 0);
    verdict(ok, "no_tags", Evidence::Tags { repos: entries })
}

/// RE30: the newest published release of some repository has files (each published with
/// its SHA-256 and SHA-512) and no bad signature.
fn signed_releases(
    repos: &[(RepoName, HealthFacts)],
    releases: &[(RepoName, ReleaseFacts)],
) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let mut entries = Vec::new();
    let (mut any_release, mut any_files, mut ok) = (false, false, false);
    for (name, _) in repos {
        let newest = published_of(releases, name).and_then(|f| f.newest.as_ref());
        let Some(n) = newest else {
            entries.push(SignedRepo {
                repo: name.to_string(),
                release: None,
                published_at: None,
                files: 0,
                signed: 0,
                verified: 0,
                unverified: 0,
                bad: 0,
            });
            continue;
        };
        any_release = true;
        any_files |= n.files > 0;
        ok |= n.files > 0 && n.bad == 0;
        entries.push(SignedRepo {
            repo: name.to_string(),
            release: Some(n.tag.clone()),
            published_at: Some(n.published_at),
            files: n.files,
            signed: n.signed,
            verified: n.verified,
            unverified: n.unverified,
            bad: n.bad,
        });
    }
    let reason = if !any_release {
        "no_releases"
    } else if !any_files {
        "no_release_files"
    } else {
        "bad_signature"
    };
    verdict(ok, reason, Evidence::Signed { repos: entries })
}

/// RE20: every release published since the project entered incubation, in every
/// repository, was approved by a passed release vote; and there is at least one.
fn approved_releases(
    repos: &[(RepoName, HealthFacts)],
    releases: &[(RepoName, ReleaseFacts)],
) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let (mut any, mut unapproved) = (false, false);
    let entries: Vec<ApprovalRepo> = repos
        .iter()
        .map(|(name, _)| {
            let list = published_of(releases, name).map_or(&[][..], |f| &f.since_start[..]);
            any |= !list.is_empty();
            unapproved |= list.iter().any(|(_, _, vote)| vote.is_none());
            ApprovalRepo {
                repo: name.to_string(),
                approvals: list
                    .iter()
                    .map(|(tag, at, vote)| Approval {
                        release: tag.clone(),
                        published_at: *at,
                        vote: *vote,
                    })
                    .collect(),
            }
        })
        .collect();
    let reason = if any {
        "unapproved_release"
    } else {
        "no_releases"
    };
    verdict(
        any && !unapproved,
        reason,
        Evidence::Approvals { repos: entries },
    )
}

/// A count as evidence shows it.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The commits of all repositories authored in the last `days` before each repository's
/// `now`, each commit once; and whether every repository's walk covered that window.
fn commits_within(repos: &[(RepoName, HealthFacts)], days: u32) -> (Vec<&CommitFact>, bool) {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut complete = true;
    for (_, facts) in repos {
        let since = facts.now.saturating_sub(i64::from(days) * DAY_SECS);
        complete &= facts.recent_complete && facts.window_start <= since;
        for c in facts.commits_since(since) {
            if seen.insert(c.id) {
                out.push(c);
            }
        }
    }
    (out, complete)
}

fn maintained(repos: &[(RepoName, HealthFacts)]) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let (commits, complete) = commits_within(repos, MAINTAINED_DAYS);
    verdict(
        commits.len() >= MAINTAINED_MIN_COMMITS,
        "below_minimum",
        Evidence::Commits(CommitsEvidence {
            value: count(commits.len()),
            min: count(MAINTAINED_MIN_COMMITS),
            window_days: MAINTAINED_DAYS,
            complete,
        }),
    )
}

fn elephant(repos: &[(RepoName, HealthFacts)], min: u32) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let (commits, complete) = commits_within(repos, FACTOR_DAYS);
    let emails: Vec<(&str, Option<&str>)> = commits
        .iter()
        .map(|c| (c.author_email.as_str(), None))
        .collect();
    let value = elephant_factor(&emails);
    let mut per_org: BTreeMap<String, u64> = BTreeMap::new();
    for (email, _) in &emails {
        if let Some(org) = organization(email, None) {
            *per_org.entry(org).or_default() += 1;
        }
    }
    let counted: u64 = per_org.values().sum();
    let mut top: Vec<(String, u64)> = per_org.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(10);
    verdict(
        value >= min,
        "below_minimum",
        Evidence::Elephant(ElephantEvidence {
            value,
            min,
            window_days: FACTOR_DAYS,
            commits: count(commits.len()),
            counted_commits: counted,
            organizations: top
                .into_iter()
                .map(|(organization, commits)| OrgCommits {
                    organization,
                    commits,
                })
                .collect(),
            complete,
        }),
    )
}

fn bus(repos: &[(RepoName, HealthFacts)], min: u32) -> Judged {
    if repos.is_empty() {
        return no_repositories();
    }
    let (commits, complete) = commits_within(repos, FACTOR_DAYS);
    let authors: Vec<String> = commits.iter().map(|c| c.author_key()).collect();
    let value = bus_factor(&authors);
    let distinct: BTreeSet<&String> = authors.iter().collect();
    verdict(
        value >= min,
        "below_minimum",
        Evidence::Bus(BusEvidence {
            value,
            min,
            window_days: FACTOR_DAYS,
            commits: count(commits.len()),
            authors: count(distinct.len()),
            complete,
        }),
    )
}

fn response_time(
    median_response: Option<Duration>,
    pull_response: Option<Duration>,
    max_median_hours: u32,
) -> Judged {
    let hours = |d: Duration| (d.as_secs_f64() / 3600.0 * 100.0).round() / 100.0;
    let mut evidence = ResponseEvidence {
        max_median_hours,
        median_hours: median_response.map(hours),
        pull_median_hours: pull_response.map(hours),
    };
    let Some(m) = median_response else {
        evidence.median_hours = None;
        return (
            Status::NotApplicable,
            "no_issues",
            Evidence::Response(evidence),
        );
    };
    verdict(
        m <= Duration::from_secs(u64::from(max_median_hours) * 3600),
        "above_maximum",
        Evidence::Response(evidence),
    )
}

/// The figures of a report period `[start_ms, end_ms)` for a project's repositories.
/// Serializable, so a report stores it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodMetrics {
    pub start_ms: i64,
    pub end_ms: i64,
    /// Commits of the default branches authored in the period.
    pub commits: u64,
    /// Distinct commit authors in the period, by e-mail address.
    pub contributors: u64,
    /// Contributors whose first commit in any of the repositories falls in the period.
    pub new_contributors: u64,
    pub issues_opened: i64,
    pub issues_closed: i64,
    /// Median time to first response on issues opened in the period, in milliseconds; an
    /// issue not answered by the end of the period (or now, if earlier) counts with the
    /// time it had waited by then. `None` without issues.
    pub median_first_response_ms: Option<i64>,
    /// Issues opened in the period and not answered by the end of it.
    pub issues_unanswered: u64,
    /// Pull requests opened in the period. (Figures stored before pull requests were
    /// counted read as zero.)
    #[serde(default)]
    pub pulls_opened: i64,
    /// Pull requests merged in the period.
    #[serde(default)]
    pub pulls_merged: i64,
    /// Median time to first response (a comment or review by someone other than the
    /// author) on pull requests opened in the period, counted as for issues.
    #[serde(default)]
    pub median_pull_first_response_ms: Option<i64>,
    /// Pull requests opened in the period and not answered by the end of it.
    #[serde(default)]
    pub pulls_unanswered: u64,
    /// The authors of the pull requests merged in the period, with how many each, most
    /// first.
    #[serde(default)]
    pub merged_pull_authors: Vec<MergedPullAuthor>,
    /// Tags dated in the period (the forge's releases are tags).
    pub tags: u64,
    /// False when a repository's history was longer than the walks read (see
    /// [`hatchery_git::PERIOD_MAX_COMMITS`]): new contributors may then be overcounted.
    pub complete: bool,
    /// The same per repository.
    pub repos: Vec<RepoPeriodMetrics>,
}

/// A contributor by merged pull requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedPullAuthor {
    pub login: String,
    pub merged: i64,
}

/// One repository's part of [`PeriodMetrics`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoPeriodMetrics {
    /// `owner/name`.
    pub repo: String,
    pub commits: u64,
    pub contributors: u64,
    pub tags: u64,
}

/// `ms` in whole seconds, rounded up: a commit at second `t` is in `[start, end)` (in
/// milliseconds) when `ceil(start / 1000) <= t < ceil(end / 1000)`.
fn secs_ceil(ms: i64) -> i64 {
    -((-ms).div_euclid(1000))
}

/// The time each issue waited for its first response, as of `as_of_ms`.
fn waits(responses: &[hatchery_store::IssueResponse], as_of_ms: i64) -> Vec<Duration> {
    responses
        .iter()
        .map(|r| {
            let until = r.first_response_at.unwrap_or(as_of_ms);
            Duration::from_millis(u64::try_from(until - r.created_at).unwrap_or(0))
        })
        .collect()
}

impl Forge {
    /// The [`HealthFacts`] of `repo`'s default branch, with the commits of the last
    /// [`HEALTH_WINDOW_DAYS`] days before `now_ms`.
    pub async fn health_of(&self, repo: &Repo, now_ms: i64) -> Result<HealthFacts, ServiceError> {
        let git = self.open_git_blocking(repo)?;
        let now_secs = now_ms.div_euclid(1000);
        Ok(
            tokio::task::spawn_blocking(move || git.health_facts(now_secs, HEALTH_WINDOW_DAYS))
                .await??,
        )
    }

    /// Each repository's published releases, named for [`evaluate_with_releases`]; those
    /// published since `since` (the project's start) with the release votes that approved
    /// them.
    pub async fn release_facts_of_repos(
        &self,
        repos: &[Repo],
        since: i64,
    ) -> Result<Vec<(RepoName, ReleaseFacts)>, ServiceError> {
        let mut out = Vec::with_capacity(repos.len());
        for r in repos {
            let published = self.store.count_releases(r.id, false).await?;
            let newest = if published > 0 {
                self.store.newest_published_release(r.id).await?
            } else {
                None
            };
            let approvals = if published > 0 {
                self.store.release_approvals(r.id, since).await?
            } else {
                Vec::new()
            };
            out.push((
                RepoName::from(r),
                ReleaseFacts::of(published, newest.as_ref()).with_approvals(approvals),
            ));
        }
        Ok(out)
    }

    /// [`Forge::health_of`] for each repository, named for [`evaluate`].
    pub async fn health_of_repos(
        &self,
        repos: &[Repo],
        now_ms: i64,
    ) -> Result<Vec<(RepoName, HealthFacts)>, ServiceError> {
        let mut out = Vec::with_capacity(repos.len());
        for r in repos {
            out.push((RepoName::from(r), self.health_of(r, now_ms).await?));
        }
        Ok(out)
    }

    /// For each issue of `repo_ids` opened since `since_ms`, how long it waited for a first
    /// response (a comment by someone other than its author): until that response, or until
    /// now for an issue still waiting, so unanswered issues count against the median rather
    /// than dropping out of it. Oldest issue first; at most
    /// [`hatchery_store::FIRST_RESPONSES_MAX`] (the newest).
    pub async fn issue_first_response(
        &self,
        repo_ids: &[i64],
        since_ms: i64,
    ) -> Result<Vec<Duration>, ServiceError> {
        let now = now_ms();
        let responses = self
            .store
            .issue_first_responses(repo_ids, since_ms, now.saturating_add(1), now)
            .await?;
        Ok(waits(&responses, now))
    }

    /// The median of [`Forge::issue_first_response`] over the last [`ISSUE_RESPONSE_DAYS`],
    /// what [`evaluate`] takes; `None` without issues.
    pub async fn issue_response_median(
        &self,
        repo_ids: &[i64],
        now_ms: i64,
    ) -> Result<Option<Duration>, ServiceError> {
        let since = now_ms.saturating_sub(i64::from(ISSUE_RESPONSE_DAYS) * DAY_MS);
        Ok(median(&self.issue_first_response(repo_ids, since).await?))
    }

    /// The same median for pull requests (first comment or review by someone other than
    /// the author) over the same days; `None` without pull requests.
    pub async fn pull_response_median(
        &self,
        repo_ids: &[i64],
        now_ms: i64,
    ) -> Result<Option<Duration>, ServiceError> {
        let since = now_ms.saturating_sub(i64::from(ISSUE_RESPONSE_DAYS) * DAY_MS);
        let responses = self
            .store
            .pull_first_responses(repo_ids, since, now_ms.saturating_add(1), now_ms)
            .await?;
        Ok(median(&waits(&responses, now_ms)))
    }

    /// The figures of the period `[start_ms, end_ms)` for `repos` (a project's).
    pub async fn period_metrics(
        &self,
        repos: &[Repo],
        start_ms: i64,
        end_ms: i64,
    ) -> Result<PeriodMetrics, ServiceError> {
        let (start_secs, end_secs) = (secs_ceil(start_ms), secs_ceil(end_ms));
        let mut metrics = PeriodMetrics {
            start_ms,
            end_ms,
            commits: 0,
            contributors: 0,
            new_contributors: 0,
            issues_opened: 0,
            issues_closed: 0,
            median_first_response_ms: None,
            issues_unanswered: 0,
            pulls_opened: 0,
            pulls_merged: 0,
            median_pull_first_response_ms: None,
            pulls_unanswered: 0,
            merged_pull_authors: Vec::new(),
            tags: 0,
            complete: true,
            repos: Vec::with_capacity(repos.len()),
        };
        let mut contributors: BTreeSet<String> = BTreeSet::new();
        let mut first: BTreeMap<String, i64> = BTreeMap::new();
        for r in repos {
            let git = self.open_git_blocking(r)?;
            let p = tokio::task::spawn_blocking(move || git.commits_between(start_secs, end_secs))
                .await??;
            metrics.commits += p.commits;
            metrics.tags += p.tags;
            metrics.complete &= p.complete;
            metrics.repos.push(RepoPeriodMetrics {
                repo: RepoName::from(r).to_string(),
                commits: p.commits,
                contributors: p.authors.len() as u64,
                tags: p.tags,
            });
            contributors.extend(p.authors.into_keys());
            for (author, t) in p.first_commit {
                first
                    .entry(author)
                    .and_modify(|f| *f = (*f).min(t))
                    .or_insert(t);
            }
        }
        metrics.contributors = contributors.len() as u64;
        metrics.new_contributors = contributors
            .iter()
            .filter(|a| {
                first
                    .get(*a)
                    .is_some_and(|t| (start_secs..end_secs).contains(t))
            })
            .count() as u64;

        let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
        let activity = self.store.issue_activity(&ids, start_ms, end_ms).await?;
        metrics.issues_opened = activity.opened;
        metrics.issues_closed = activity.closed;
        let as_of = end_ms.min(now_ms());
        let responses = self
            .store
            .issue_first_responses(&ids, start_ms, end_ms, as_of)
            .await?;
        metrics.issues_unanswered = responses
            .iter()
            .filter(|r| r.first_response_at.is_none())
            .count() as u64;
        metrics.median_first_response_ms = median(&waits(&responses, as_of))
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));

        let pulls = self.store.pull_activity(&ids, start_ms, end_ms).await?;
        metrics.pulls_opened = pulls.opened;
        metrics.pulls_merged = pulls.merged;
        metrics.merged_pull_authors = pulls
            .merged_by_author
            .into_iter()
            .map(|(login, merged)| MergedPullAuthor { login, merged })
            .collect();
        let responses = self
            .store
            .pull_first_responses(&ids, start_ms, end_ms, as_of)
            .await?;
        metrics.pulls_unanswered = responses
            .iter()
            .filter(|r| r.first_response_at.is_none())
            .count() as u64;
        metrics.median_pull_first_response_ms = median(&waits(&responses, as_of))
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hatchery_core::incubator::{LicenseRule, Preset, preset};
    use hatchery_git::{LicenseText, Oid};
    use serde_json::json;

    const APACHE: &str = include_str!("../../../hatchery-license/licenses/Apache-2.0.txt");
    const GPL3: &str = include_str!("../../../hatchery-license/licenses/GPL-3.0.txt");
    const MPL: &str = include_str!("../../../hatchery-license/licenses/MPL-2.0.txt");
    const MULAN: &str = include_str!("../../../hatchery-license/licenses/MulanPSL-2.0.txt");
    const MIT: &str = include_str!("../../../hatchery-license/licenses/MIT.txt");

    /// 2024-01-01.
    const NOW: i64 = 1_704_067_200;

    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1000);

    fn oid(n: u64) -> Oid {
        format!("{n:040x}").parse().unwrap()
    }

    fn license(path: &str, text: &str) -> LicenseText {
        LicenseText {
            path: path.into(),
            blob: oid(7),
            size: text.len() as u64,
            text: text.into(),
            truncated: false,
        }
    }

    /// A repository with `files` at HEAD, license files, and commits: (email, days ago).
    fn facts(files: &[&str], licenses: &[(&str, &str)], commits: &[(&str, i64)]) -> HealthFacts {
        let mut files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
        files.extend(licenses.iter().map(|(p, _)| (*p).to_owned()));
        files.sort();
        HealthFacts {
            branch: Some("main".into()),
            head: Some(oid(1)),
            files,
            license_files: licenses.iter().map(|(p, t)| license(p, t)).collect(),
            tag_count: 0,
            newest_tag_time: None,
            now: NOW,
            window_start: NOW - 365 * DAY_SECS,
            recent_commits: commits
                .iter()
                .map(|(email, days)| CommitFact {
                    // Distinct commits everywhere, unless a test clones the facts.
                    id: oid(NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
                    author_name: email.split('@').next().unwrap_or("").into(),
                    author_email: (*email).into(),
                    author_time: NOW - days * DAY_SECS,
                })
                .collect(),
            recent_complete: true,
        }
    }

    fn named(repos: Vec<HealthFacts>) -> Vec<(RepoName, HealthFacts)> {
        repos
            .into_iter()
            .enumerate()
            .map(|(i, f)| (RepoName::new("acme", &format!("r{i}")), f))
            .collect()
    }

    fn item(code: &str, evaluator: Evaluator) -> ChecklistItem {
        ChecklistItem {
            code: code.into(),
            text: code.into(),
            evaluation: Evaluation::Automatic(evaluator),
            stage: None,
        }
    }

    fn run(
        template: &ProgramTemplate,
        evaluator: Evaluator,
        repos: Vec<HealthFacts>,
        response: Option<Duration>,
    ) -> ItemResult {
        let results = evaluate(&[item("X1", evaluator)], template, &named(repos), response);
        assert_eq!(results.len(), 1);
        results.into_iter().next().unwrap()
    }

    /// One repository's commits: (author e-mail, days ago).
    type Commits = Vec<(&'static str, i64)>;

    /// `n` commits by `email`, `days` ago.
    fn by(n: usize, email: &'static str, days: i64) -> Commits {
        vec![(email, days); n]
    }

    #[test]
    fn licenses() {
        use Status::*;
        let apache = preset(Preset::Apache);
        let mut blank = preset(Preset::Blank);
        blank.license_policy.clear();
        let mut allows_mpl = preset(Preset::Apache);
        for r in &mut allows_mpl.license_policy {
            if r.spdx == "MPL-2.0" {
                r.category = LicenseCategory::Allowed;
            }
        }
        let only_mit = ProgramTemplate {
            license_policy: vec![LicenseRule {
                spdx: "MIT".into(),
                category: LicenseCategory::Allowed,
            }],
            ..preset(Preset::Blank)
        };
        let lic = |l: &[(&str, &str)]| facts(&["README.md"], l, &[]);
        let empty = HealthFacts {
            head: None,
            ..HealthFacts::default()
        };
        #[rustfmt::skip]
        let table: Vec<(&str, &ProgramTemplate, Vec<HealthFacts>, Status, &str)> = vec![
            ("apache", &apache, vec![lic(&[("LICENSE", APACHE)])], Pass, ""),
            ("mulan", &apache, vec![lic(&[("LICENSE", MULAN)])], Pass, ""),
            ("gpl forbidden", &apache, vec![lic(&[("LICENSE", GPL3)])], Fail, "license_forbidden"),
            ("mpl restricted", &apache, vec![lic(&[("COPYING", MPL)])], Fail, "license_restricted"),
            ("mpl allowed by the policy", &allows_mpl, vec![lic(&[("COPYING", MPL)])], Pass, ""),
            ("unknown text", &apache, vec![lic(&[("LICENSE", "All rights reserved.\n")])], Fail, "license_not_recognized"),
            ("no file", &apache, vec![lic(&[])], Fail, "no_license_file"),
            ("not a license file name", &apache, vec![lic(&[("LICENSE.bak", APACHE)])], Fail, "no_license_file"),
            ("spdx line", &apache, vec![lic(&[("LICENSE", "SPDX-License-Identifier: Apache-2.0\n")])], Pass, ""),
            ("dual, both allowed", &apache, vec![lic(&[("LICENSE-APACHE", APACHE), ("LICENSE-MIT", MIT)])], Pass, ""),
            ("dual, one forbidden", &apache, vec![lic(&[("LICENSE", APACHE), ("COPYING", GPL3)])], Fail, "license_forbidden"),
            ("every repository", &apache, vec![lic(&[("LICENSE", APACHE)]), lic(&[])], Fail, "no_license_file"),
            ("empty repository", &apache, vec![lic(&[("LICENSE", APACHE)]), empty], Fail, "empty_repository"),
            ("no repositories", &apache, vec![], Fail, "no_repositories"),
            ("empty policy: any recognized", &blank, vec![lic(&[("LICENSE", GPL3)])], Pass, ""),
            ("not in policy", &only_mit, vec![lic(&[("LICENSE", APACHE)])], Fail, "license_not_in_policy"),
        ];
        for (name, template, repos, status, reason) in table {
            let r = run(template, Evaluator::LicenseFile, repos, None);
            assert_eq!(
                (r.status, r.reason),
                (status, reason),
                "{name}: {}",
                r.evidence
            );
            assert_eq!(r.evaluator, "license_file");
        }
        // The evidence names the file, the commit and the detection.
        let r = run(
            &apache,
            Evaluator::LicenseFile,
            vec![lic(&[("LICENSE", APACHE)])],
            None,
        );
        let repo = &r.evidence["repos"][0];
        assert_eq!(repo["repo"], "acme/r0");
        assert_eq!(repo["commit"], oid(1).to_hex());
        assert_eq!(repo["problem"], Value::Null);
        let l = &repo["licenses"][0];
        assert_eq!(l["path"], "LICENSE");
        assert_eq!(l["spdx"], "Apache-2.0");
        assert_eq!(l["category"], "allowed");
        assert!(l["confidence"].as_f64().unwrap() > 0.95);
        // A truncated text is not guessed at.
        let mut cut = lic(&[("LICENSE", APACHE)]);
        cut.license_files[0].truncated = true;
        let r = run(&apache, Evaluator::LicenseFile, vec![cut], None);
        assert_eq!(r.reason, "license_not_recognized");
    }

    #[test]
    fn community_files() {
        use Evaluator::*;
        use Status::*;
        let t = preset(Preset::Blank);
        let f = |files: &[&str]| facts(files, &[], &[]);
        #[rustfmt::skip]
        let table: Vec<(&str, Evaluator, Vec<HealthFacts>, Status, &str)> = vec![
            ("readme", ReadmePresent, vec![f(&["README.md"])], Pass, ""),
            ("readme, any case and suffix", ReadmePresent, vec![f(&["readme.zh-CN.rst"])], Pass, ""),
            ("readme in docs only", ReadmePresent, vec![f(&["docs/README.md"])], Fail, "missing"),
            ("readme in every repository", ReadmePresent, vec![f(&["README"]), f(&["src.rs"])], Fail, "missing"),
            ("not a readme", ReadmePresent, vec![f(&["READMEFIRST.txt", "NOT-README.md"])], Fail, "missing"),
            ("contributing in .github", ContributingPresent, vec![f(&[".github/CONTRIBUTING.md"])], Pass, ""),
            ("contributing in one repository", ContributingPresent, vec![f(&[]), f(&["CONTRIBUTING"])], Pass, ""),
            ("contributing too deep", ContributingPresent, vec![f(&["docs/dev/CONTRIBUTING.md"])], Fail, "missing"),
            ("contributing elsewhere", ContributingPresent, vec![f(&["src/CONTRIBUTING.md"])], Fail, "missing"),
            ("code of conduct", CodeOfConductPresent, vec![f(&["CODE_OF_CONDUCT.md"])], Pass, ""),
            ("code of conduct, dashes", CodeOfConductPresent, vec![f(&["docs/Code-Of-Conduct.rst"])], Pass, ""),
            ("no code of conduct", CodeOfConductPresent, vec![f(&["CONDUCT.md"])], Fail, "missing"),
            ("security", SecurityPolicy, vec![f(&["docs/SECURITY.md"])], Pass, ""),
            ("no security", SecurityPolicy, vec![f(&["README.md"])], Fail, "missing"),
            ("governance", GovernanceOrMaintainers, vec![f(&["GOVERNANCE.md"])], Pass, ""),
            ("maintainers", GovernanceOrMaintainers, vec![f(&["MAINTAINERS"])], Pass, ""),
            ("owners", GovernanceOrMaintainers, vec![f(&[".github/OWNERS"])], Pass, ""),
            ("no governance", GovernanceOrMaintainers, vec![f(&["CODEOWNERS"])], Fail, "missing"),
            ("no repositories", SecurityPolicy, vec![], Fail, "no_repositories"),
        ];
        for (name, evaluator, repos, status, reason) in table {
            let r = run(&t, evaluator, repos, None);
            assert_eq!(
                (r.status, r.reason),
                (status, reason),
                "{name}: {}",
                r.evidence
            );
        }
        // Evidence: where it was found (root first) and where not.
        let r = run(
            &t,
            SecurityPolicy,
            vec![f(&["docs/SECURITY.md", "SECURITY.md"]), f(&[])],
            None,
        );
        assert_eq!(
            r.evidence,
            json!({
                "found": [{ "repo": "acme/r0", "commit": oid(1).to_hex(), "path": "SECURITY.md" }],
                "missing": ["acme/r1"],
            })
        );
        assert_eq!(r.evaluator, "security_policy");
    }

    /// A release whose files are named `names`, signatures in `states` (by name).
    fn release(names: &[&str], states: &[(&str, &str)]) -> hatchery_store::Release {
        hatchery_store::Release {
            id: 1,
            repo_id: 1,
            tag_name: "v1.0".into(),
            target: String::new(),
            sha: "a".repeat(40),
            title: "v1.0".into(),
            note: String::new(),
            is_draft: false,
            is_prerelease: false,
            is_candidate: false,
            author: None,
            created_at: NOW * 1000,
            updated_at: NOW * 1000,
            published_at: Some(NOW * 1000),
            assets: names
                .iter()
                .enumerate()
                .map(|(i, n)| hatchery_store::ReleaseAsset {
                    id: i64::try_from(i).unwrap(),
                    release_id: 1,
                    repo_id: 1,
                    uuid: format!("u{i}"),
                    name: (*n).into(),
                    size: 1,
                    content_type: String::new(),
                    sha256: String::new(),
                    sha512: String::new(),
                    download_count: 0,
                    uploader: None,
                    created_at: 0,
                    signature_state: states
                        .iter()
                        .find(|(s, _)| s == n)
                        .map(|(_, st)| (*st).to_owned())
                        .unwrap_or_default(),
                    signature_reason: String::new(),
                    signature_signer: String::new(),
                    signature_identity: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn releases_approved_by_vote() {
        use Status::*;
        let t = preset(Preset::Blank);
        let judge = |facts: Vec<Vec<(String, i64, Option<i64>)>>| {
            let repos = named(facts.iter().map(|_| self::facts(&[], &[], &[])).collect());
            let releases: Vec<(RepoName, ReleaseFacts)> = repos
                .iter()
                .zip(facts)
                .map(|((n, _), f)| (n.clone(), ReleaseFacts::default().with_approvals(f)))
                .collect();
            let mut r = evaluate_with_releases(
                &[item("RE20", Evaluator::ReleasesApprovedByVote)],
                &t,
                &repos,
                &releases,
                None,
                None,
            );
            r.pop().unwrap()
        };
        let voted = |tag: &str, vote: Option<i64>| (tag.to_owned(), NOW * 1000, vote);
        let r = judge(vec![vec![], vec![]]);
        assert_eq!((r.status, r.reason), (Fail, "no_releases"));
        assert_eq!(r.evaluator, "releases_approved_by_vote");
        let r = judge(vec![vec![voted("v1.0", Some(7))], vec![]]);
        assert_eq!(r.status, Pass, "{}", r.evidence);
        assert_eq!(r.evidence["repos"][0]["approvals"][0]["vote"], 7);
        assert_eq!(r.evidence["repos"][0]["approvals"][0]["release"], "v1.0");
        // One release published without a vote, in any repository, fails it.
        let r = judge(vec![
            vec![voted("v1.0", Some(7)), voted("v1.1", Some(9))],
            vec![voted("v0.1", None)],
        ]);
        assert_eq!((r.status, r.reason), (Fail, "unapproved_release"));
        assert_eq!(r.evidence["repos"][1]["approvals"][0]["vote"], Value::Null);
        let none = evaluate_with_releases(
            &[item("RE20", Evaluator::ReleasesApprovedByVote)],
            &t,
            &[],
            &[],
            None,
            None,
        );
        assert_eq!(none[0].reason, "no_repositories");
    }

    #[test]
    fn releases_signed_or_digested() {
        use Status::*;
        let t = preset(Preset::Blank);
        let judge = |facts: Vec<Option<ReleaseFacts>>| {
            let repos = named(facts.iter().map(|_| self::facts(&[], &[], &[])).collect());
            let releases: Vec<(RepoName, ReleaseFacts)> = repos
                .iter()
                .zip(facts)
                .filter_map(|((n, _), f)| f.map(|f| (n.clone(), f)))
                .collect();
            let mut r = evaluate_with_releases(
                &[
                    item("RE10", Evaluator::TagsOrReleases),
                    item("RE30", Evaluator::ReleasesSignedOrDigested),
                ],
                &t,
                &repos,
                &releases,
                None,
                None,
            );
            let re30 = r.pop().unwrap();
            (r.pop().unwrap(), re30)
        };
        let (re10, re30) = judge(vec![None]);
        assert_eq!((re10.status, re10.reason), (Fail, "no_tags"));
        assert_eq!((re30.status, re30.reason), (Fail, "no_releases"));
        // A release without files: RE10 passes (the forge serves its source archives).
        let (re10, re30) = judge(vec![Some(ReleaseFacts::of(1, Some(&release(&[], &[]))))]);
        assert_eq!(re10.status, Pass);
        assert_eq!(re10.evidence["repos"][0]["releases"], 1);
        assert_eq!((re30.status, re30.reason), (Fail, "no_release_files"));
        // Files (digested by the forge), one signed and verified.
        let good = release(
            &["tool.tar.gz", "tool.tar.gz.sig", "tool.zip"],
            &[("tool.tar.gz.sig", "verified")],
        );
        let (_, re30) = judge(vec![None, Some(ReleaseFacts::of(3, Some(&good)))]);
        assert_eq!(re30.status, Pass, "{}", re30.evidence);
        let entry = &re30.evidence["repos"][1];
        assert_eq!(
            (
                &entry["files"],
                &entry["signed"],
                &entry["verified"],
                &entry["bad"]
            ),
            (&json!(2), &json!(1), &json!(1), &json!(0))
        );
        // A bad signature fails it, unless another repository's release is fine.
        let bad = release(&["a.tgz", "a.tgz.asc"], &[("a.tgz.asc", "bad")]);
        let (_, re30) = judge(vec![Some(ReleaseFacts::of(1, Some(&bad)))]);
        assert_eq!((re30.status, re30.reason), (Fail, "bad_signature"));
        let (_, re30) = judge(vec![
            Some(ReleaseFacts::of(1, Some(&bad))),
            Some(ReleaseFacts::of(1, Some(&good))),
        ]);
        assert_eq!(re30.status, Pass);
    }

    #[test]
    fn tags_and_activity() {
        use Evaluator::*;
        use Status::*;
        let t = preset(Preset::Blank);
        let tagged = HealthFacts {
            tag_count: 2,
            newest_tag_time: Some(NOW - 5),
            ..facts(&[], &[], &[])
        };
        let r = run(&t, TagsOrReleases, vec![facts(&[], &[], &[]), tagged], None);
        assert_eq!(r.status, Pass);
        assert_eq!(r.evidence["repos"][1]["tags"], 2);
        assert_eq!(r.evidence["repos"][1]["newest_at"], (NOW - 5) * 1000);
        let r = run(&t, TagsOrReleases, vec![facts(&[], &[], &[])], None);
        assert_eq!((r.status, r.reason), (Fail, "no_tags"));

        let weekly: Vec<(&str, i64)> = (0..13).map(|w| ("a@acme.com", w * 7)).collect();
        #[rustfmt::skip]
        let table: Vec<(&str, Vec<Commits>, Status, i64)> = vec![
            ("a commit a week", vec![weekly.clone()], Pass, 13),
            ("one short", vec![weekly[..12].to_vec()], Fail, 12),
            ("older ones do not count", vec![[weekly[..12].to_vec(), by(5, "a@acme.com", 91)].concat()], Fail, 12),
            ("across repositories", vec![weekly[..6].to_vec(), weekly[6..].to_vec()], Pass, 13),
            ("none", vec![vec![]], Fail, 0),
        ];
        for (name, repos, status, value) in table {
            let repos = repos.iter().map(|c| facts(&[], &[], c)).collect();
            let r = run(&t, RecentCommits90d, repos, None);
            assert_eq!(r.status, status, "{name}");
            assert_eq!(r.evidence["value"], value, "{name}");
            assert_eq!(r.evidence["complete"], true, "{name}");
        }
        // The same commit in two repositories (a mirror) counts once.
        let same = facts(&[], &[], &weekly[..7]);
        let r = run(&t, RecentCommits90d, vec![same.clone(), same], None);
        assert_eq!(r.evidence["value"], 7);
        // A walk cut short is reported.
        let mut cut = facts(&[], &[], &weekly);
        cut.recent_complete = false;
        let r = run(&t, RecentCommits90d, vec![cut], None);
        assert_eq!(r.evidence["complete"], false);
    }

    #[test]
    fn elephant_and_bus_factors() {
        use Evaluator::*;
        use Status::*;
        let t = preset(Preset::Blank);
        #[rustfmt::skip]
        let table: Vec<(&str, Evaluator, Vec<Commits>, Status, u32)> = vec![
            ("one company", ElephantFactor { min: 2 }, vec![by(10, "a@acme.com", 10)], Fail, 1),
            ("two companies, equal: one makes half", ElephantFactor { min: 2 },
                vec![[by(5, "a@acme.com", 10), by(5, "b@corp.com", 20)].concat()], Fail, 1),
            ("three companies, two make half", ElephantFactor { min: 2 },
                vec![[by(4, "a@acme.com", 10), by(3, "b@corp.com", 20), by(2, "c@inc.io", 30)].concat()], Pass, 2),
            ("free mail left out", ElephantFactor { min: 2 },
                vec![[by(3, "a@acme.com", 10), by(50, "v@gmail.com", 10)].concat()], Fail, 1),
            ("across repositories", ElephantFactor { min: 2 },
                vec![by(4, "a@acme.com", 10), by(3, "b@corp.com", 10), by(2, "c@inc.io", 10)], Pass, 2),
            ("older than a year", ElephantFactor { min: 2 },
                vec![[by(4, "a@acme.com", 10), by(9, "b@corp.com", 400)].concat()], Fail, 1),
            ("only free mail", ElephantFactor { min: 1 }, vec![by(4, "v@qq.com", 1)], Fail, 0),
            ("one person", BusFactor { min: 2 }, vec![by(9, "a@acme.com", 1)], Fail, 1),
            ("three people, two make half", BusFactor { min: 2 },
                vec![[by(4, "a@acme.com", 1), by(3, "b@gmail.com", 1), by(2, "c@x.org", 1)].concat()], Pass, 2),
            ("e-mail case ignored", BusFactor { min: 2 },
                vec![[by(5, "a@acme.com", 1), by(5, "A@ACME.com", 1)].concat()], Fail, 1),
            ("no commits", BusFactor { min: 1 }, vec![vec![]], Fail, 0),
        ];
        for (name, evaluator, repos, status, value) in table {
            let repos = repos.iter().map(|c| facts(&[], &[], c)).collect();
            let r = run(&t, evaluator, repos, None);
            assert_eq!(r.status, status, "{name}: {}", r.evidence);
            assert_eq!(r.evidence["value"], value, "{name}");
            if status == Fail {
                assert_eq!(r.reason, "below_minimum", "{name}");
            }
        }
        let r = run(
            &t,
            ElephantFactor { min: 2 },
            vec![facts(
                &[],
                &[],
                &[
                    by(3, "a@acme.com", 1),
                    by(1, "b@corp.com", 1),
                    by(2, "c@gmail.com", 1),
                ]
                .concat(),
            )],
            None,
        );
        assert_eq!(r.evidence["commits"], 6);
        assert_eq!(r.evidence["counted_commits"], 4);
        assert_eq!(
            r.evidence["organizations"],
            json!([
                { "organization": "acme.com", "commits": 3 },
                { "organization": "corp.com", "commits": 1 },
            ])
        );
        assert_eq!(r.evaluator, "elephant_factor");
    }

    #[test]
    fn response_times() {
        use Status::*;
        let t = preset(Preset::Blank);
        let e = Evaluator::IssueResponseTime {
            max_median_hours: 48,
        };
        let h = |n: u64| Some(Duration::from_secs(n * 3600));
        #[rustfmt::skip]
        let table: &[(Option<Duration>, Status, &str)] = &[
            (h(1), Pass, ""),
            (h(48), Pass, ""),
            (Some(Duration::from_secs(48 * 3600 + 1)), Fail, "above_maximum"),
            (None, NotApplicable, "no_issues"),
        ];
        for (median, status, reason) in table {
            let r = run(&t, e, vec![], *median);
            assert_eq!((r.status, r.reason), (*status, *reason), "{median:?}");
        }
        let r = run(&t, e, vec![], Some(Duration::from_secs(5400)));
        assert_eq!(
            r.evidence,
            json!({ "median_hours": 1.5, "max_median_hours": 48 })
        );
        // Pull requests' median is shown beside the issues' one; the issues judge.
        let item = [item("resp", e)];
        let with_pulls = |issues, pulls| {
            evaluate_with_releases(&item, &t, &[], &[], issues, pulls)
                .pop()
                .expect("one result")
        };
        let r = with_pulls(h(1), Some(Duration::from_secs(9000)));
        assert_eq!(r.status, Pass);
        assert_eq!(
            r.evidence,
            json!({ "median_hours": 1.0, "pull_median_hours": 2.5, "max_median_hours": 48 })
        );
        let r = with_pulls(None, h(100));
        assert_eq!((r.status, r.reason), (NotApplicable, "no_issues"));
        assert_eq!(
            r.evidence,
            json!({ "pull_median_hours": 100.0, "max_median_hours": 48 })
        );
    }

    #[test]
    fn manual_items_are_skipped_and_order_kept() {
        let apache = preset(Preset::Apache);
        let repos = named(vec![facts(
            &["README.md", "SECURITY.md"],
            &[("LICENSE", APACHE)],
            &by(20, "a@acme.com", 3),
        )]);
        let results = evaluate(&apache.checklist, &apache, &repos, None);
        let automatic: Vec<&str> = apache
            .checklist
            .iter()
            .filter(|i| matches!(i.evaluation, Evaluation::Automatic(_)))
            .map(|i| i.code.as_str())
            .collect();
        let codes: Vec<&str> = results.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, automatic);
        let status = |code: &str| results.iter().find(|r| r.code == code).map(|r| r.status);
        assert_eq!(status("CD10"), Some(Status::Pass));
        assert_eq!(status("LC10"), Some(Status::Pass));
        assert_eq!(status("QU30"), Some(Status::Pass));
        assert_eq!(status("CO10"), Some(Status::Pass));
        assert_eq!(status("CO20"), Some(Status::Fail));
        assert_eq!(status("RE10"), Some(Status::Fail));
        assert_eq!(status("IN10"), Some(Status::Fail));
        assert_eq!(status("QU50"), Some(Status::NotApplicable));
        assert_eq!(status("CD20"), None);
    }

    #[test]
    fn helpers() {
        assert_eq!(stem("README.zh-CN.md"), "readme");
        assert_eq!(stem("Code_Of-Conduct"), "codeofconduct");
        assert_eq!(stem(".github"), "");
        for (ms, s) in [
            (0, 0),
            (1, 1),
            (999, 1),
            (1000, 1),
            (1001, 2),
            (-1, 0),
            (-1000, -1),
            (-1001, -1),
        ] {
            assert_eq!(secs_ceil(ms), s, "{ms}");
        }
        let r = |created_at, first_response_at| hatchery_store::IssueResponse {
            issue_id: 1,
            repo_id: 1,
            created_at,
            first_response_at,
        };
        assert_eq!(
            waits(&[r(100, Some(400)), r(100, None), r(900, None)], 600),
            [
                Duration::from_millis(300),
                Duration::from_millis(500),
                Duration::ZERO
            ]
        );
        for s in [Status::Pass, Status::Fail, Status::NotApplicable] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for e in [
            Evaluator::LicenseFile,
            Evaluator::RecentCommits90d,
            Evaluator::ElephantFactor { min: 2 },
            Evaluator::IssueResponseTime {
                max_median_hours: 1,
            },
        ] {
            assert_eq!(serde_json::to_value(e).unwrap()["kind"], evaluator_name(e));
        }
        assert_eq!(RepoName::new("a", "b").to_string(), "a/b");
    }
}
