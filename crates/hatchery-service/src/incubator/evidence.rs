//! The evidence of checklist results, typed: what each automatic evaluator looked at
//! ([`super::health`]) and a person's note. Stored and served by the API as JSON (these
//! types serialize to the shapes the store holds); pages read it back with
//! [`Evidence::parse`] and show it in words, never as JSON.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One license file of a repository, as `license_file` found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LicenseFound {
    pub path: String,
    /// The license recognized in it; `None` when the detector recognized none.
    pub spdx: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// The program's policy's word for it (`allowed`, `restricted`, `forbidden`); `None`
    /// when the policy does not list it.
    #[serde(default)]
    pub category: Option<String>,
}

/// A repository's license files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LicenseRepo {
    /// `owner/name`.
    pub repo: String,
    /// The commit looked at (hex); `None` for an empty repository.
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub licenses: Vec<LicenseFound>,
    /// Why this repository fails, as a reason key; `None` when it passes.
    #[serde(default)]
    pub problem: Option<String>,
}

/// A community file found in a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileFound {
    pub repo: String,
    #[serde(default)]
    pub commit: Option<String>,
    pub path: String,
}

/// A repository's tags and published releases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagsRepo {
    pub repo: String,
    #[serde(default)]
    pub tags: u64,
    /// When the newest tag was made (milliseconds).
    #[serde(default)]
    pub newest_at: Option<i64>,
    #[serde(default)]
    pub releases: i64,
}

/// A repository's newest published release, with its files and signatures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedRepo {
    pub repo: String,
    /// The release's tag; `None` when the repository has no published release.
    #[serde(default)]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<i64>,
    #[serde(default)]
    pub files: usize,
    #[serde(default)]
    pub signed: usize,
    #[serde(default)]
    pub verified: usize,
    #[serde(default)]
    pub unverified: usize,
    #[serde(default)]
    pub bad: usize,
}

/// A release published since the project entered incubation, and the vote that approved
/// it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub release: String,
    pub published_at: i64,
    /// The passed release vote; `None` when it was published without one.
    pub vote: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRepo {
    pub repo: String,
    #[serde(default)]
    pub approvals: Vec<Approval>,
}

/// `recent_commits_90d`: commits in a window, against a minimum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitsEvidence {
    pub value: u64,
    pub min: u64,
    pub window_days: u32,
    /// False when a history was longer than the walk read.
    #[serde(default = "yes")]
    pub complete: bool,
}

/// One organization's commits, for the elephant factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgCommits {
    pub organization: String,
    pub commits: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElephantEvidence {
    pub value: u32,
    pub min: u32,
    pub window_days: u32,
    pub commits: u64,
    /// Commits whose author's e-mail domain names an organization.
    pub counted_commits: u64,
    /// The organizations with the most commits, at most ten.
    #[serde(default)]
    pub organizations: Vec<OrgCommits>,
    #[serde(default = "yes")]
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BusEvidence {
    pub value: u32,
    pub min: u32,
    pub window_days: u32,
    pub commits: u64,
    pub authors: u64,
    #[serde(default = "yes")]
    pub complete: bool,
}

/// `issue_response_time`: the medians (hours, two decimals) against the maximum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseEvidence {
    pub max_median_hours: u32,
    /// `None` without issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_median_hours: Option<f64>,
}

fn yes() -> bool {
    true
}

/// What a checklist result rests on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    /// `license_file`; also any repository item judged without repositories (`repos` empty).
    Licenses {
        repos: Vec<LicenseRepo>,
    },
    /// The community files (`readme_present`, `security_policy`, ...).
    Files {
        found: Vec<FileFound>,
        missing: Vec<String>,
    },
    /// `tags_or_releases`.
    Tags {
        repos: Vec<TagsRepo>,
    },
    /// `releases_signed_or_digested`.
    Signed {
        repos: Vec<SignedRepo>,
    },
    /// `releases_approved_by_vote`.
    Approvals {
        repos: Vec<ApprovalRepo>,
    },
    Commits(CommitsEvidence),
    Elephant(ElephantEvidence),
    Bus(BusEvidence),
    Response(ResponseEvidence),
    /// A person's note (a link or a sentence).
    Note {
        note: String,
    },
}

impl Evidence {
    /// As stored.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Stored evidence read back, knowing which evaluator wrote it (`evaluator`, as in
    /// templates; empty for a person's judgement). `None` for no evidence or a shape this
    /// forge does not know.
    pub fn parse(evaluator: &str, v: &Value) -> Option<Evidence> {
        if let Some(note) = v.get("note").and_then(Value::as_str) {
            return Some(Evidence::Note {
                note: note.to_owned(),
            });
        }
        fn repos<T: serde::de::DeserializeOwned>(v: &Value) -> Option<Vec<T>> {
            serde_json::from_value(v.get("repos")?.clone()).ok()
        }
        fn of<T: serde::de::DeserializeOwned>(v: &Value) -> Option<T> {
            serde_json::from_value(v.clone()).ok()
        }
        match evaluator {
            "license_file" => repos(v).map(|repos| Evidence::Licenses { repos }),
            "readme_present"
            | "contributing_present"
            | "code_of_conduct_present"
            | "security_policy"
            | "governance_or_maintainers" => match (v.get("found"), v.get("missing")) {
                (Some(found), Some(missing)) => Some(Evidence::Files {
                    found: serde_json::from_value(found.clone()).ok()?,
                    missing: serde_json::from_value(missing.clone()).ok()?,
                }),
                _ => repos::<Value>(v).map(|_| Evidence::Licenses { repos: Vec::new() }),
            },
            "tags_or_releases" => repos(v).map(|repos| Evidence::Tags { repos }),
            "releases_signed_or_digested" => repos(v).map(|repos| Evidence::Signed { repos }),
            "releases_approved_by_vote" => repos(v).map(|repos| Evidence::Approvals { repos }),
            "recent_commits_90d" => of(v)
                .map(Evidence::Commits)
                .or_else(|| repos::<Value>(v).map(|_| Evidence::Licenses { repos: Vec::new() })),
            "elephant_factor" => of(v)
                .map(Evidence::Elephant)
                .or_else(|| repos::<Value>(v).map(|_| Evidence::Licenses { repos: Vec::new() })),
            "bus_factor" => of(v)
                .map(Evidence::Bus)
                .or_else(|| repos::<Value>(v).map(|_| Evidence::Licenses { repos: Vec::new() })),
            "issue_response_time" => of(v).map(Evidence::Response),
            _ => None,
        }
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        match self {
            Evidence::Licenses { repos } => repos.is_empty(),
            Evidence::Files { found, missing } => found.is_empty() && missing.is_empty(),
            Evidence::Tags { repos } => repos.is_empty(),
            Evidence::Signed { repos } => repos.is_empty(),
            Evidence::Approvals { repos } => repos.is_empty(),
            Evidence::Note { note } => note.is_empty(),
            Evidence::Commits(_)
            | Evidence::Elephant(_)
            | Evidence::Bus(_)
            | Evidence::Response(_) => false,
        }
    }

    /// What someone who can read only the repositories in `visible` (`owner/name`) may
    /// see: the entries about those repositories and a person's note; figures computed
    /// over all repositories are left out, since they would tell about the others. `None`
    /// when nothing is left.
    pub fn visible_to(&self, visible: &HashSet<String>) -> Option<Evidence> {
        let keep = |repo: &str| visible.contains(repo);
        let out = match self {
            Evidence::Licenses { repos } => Evidence::Licenses {
                repos: repos.iter().filter(|r| keep(&r.repo)).cloned().collect(),
            },
            Evidence::Files { found, missing } => Evidence::Files {
                found: found.iter().filter(|r| keep(&r.repo)).cloned().collect(),
                missing: missing.iter().filter(|r| keep(r)).cloned().collect(),
            },
            Evidence::Tags { repos } => Evidence::Tags {
                repos: repos.iter().filter(|r| keep(&r.repo)).cloned().collect(),
            },
            Evidence::Signed { repos } => Evidence::Signed {
                repos: repos.iter().filter(|r| keep(&r.repo)).cloned().collect(),
            },
            Evidence::Approvals { repos } => Evidence::Approvals {
                repos: repos.iter().filter(|r| keep(&r.repo)).cloned().collect(),
            },
            Evidence::Note { note } => Evidence::Note { note: note.clone() },
            Evidence::Commits(_)
            | Evidence::Elephant(_)
            | Evidence::Bus(_)
            | Evidence::Response(_) => return None,
        };
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_shapes_read_back_by_evaluator() {
        let files = json!({
            "found": [{ "repo": "asf/engine", "commit": "ab12", "path": "README.md" }],
            "missing": ["asf/secret"],
        });
        let e = Evidence::parse("readme_present", &files).unwrap();
        assert_eq!(e.to_value(), files);
        let visible: HashSet<String> = ["asf/engine".to_owned()].into();
        assert_eq!(
            e.visible_to(&visible),
            Some(Evidence::Files {
                found: vec![FileFound {
                    repo: "asf/engine".into(),
                    commit: Some("ab12".into()),
                    path: "README.md".into(),
                }],
                missing: Vec::new(),
            })
        );
        let bus = json!({ "value": 1, "min": 2, "window_days": 365, "commits": 40, "authors": 3, "complete": true });
        let e = Evidence::parse("bus_factor", &bus).unwrap();
        assert!(matches!(
            e,
            Evidence::Bus(BusEvidence {
                value: 1,
                authors: 3,
                ..
            })
        ));
        assert_eq!(e.to_value(), bus);
        assert_eq!(
            e.visible_to(&visible),
            None,
            "figures over every repository"
        );
        // No repositories: an empty list for any repository item.
        let none = json!({ "repos": [] });
        assert!(Evidence::parse("bus_factor", &none).unwrap().is_empty());
        assert!(
            Evidence::parse("security_policy", &none)
                .unwrap()
                .is_empty()
        );
        // A person's note whatever the item; unknown shapes are not guessed at.
        assert_eq!(
            Evidence::parse("", &json!({ "note": "https://example.com" })),
            Some(Evidence::Note {
                note: "https://example.com".into()
            })
        );
        assert_eq!(Evidence::parse("license_file", &json!({ "x": 1 })), None);
        assert_eq!(Evidence::parse("", &json!({})), None);
    }
}
