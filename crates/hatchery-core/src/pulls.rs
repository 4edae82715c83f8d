//! Pull-request rules that need no storage: draft titles, merge styles and which of them a
//! repository allows, mergeability states, the refs a pull request owns in the base
//! repository, and which list a request belongs in.
//!
//! Who may do what is the policy's (`Action::OpenPull` on the base repository for readers,
//! `Action::Merge` on the request for writers); a pull request is otherwise an issue and
//! follows the issue rules.

use std::fmt;
use std::str::FromStr;

/// Title prefixes that mark a request as a draft (Gitea's defaults), compared
/// case-insensitively.
pub const DRAFT_PREFIXES: [&str; 4] = ["WIP:", "[WIP]", "Draft:", "[Draft]"];

/// Whether a title marks its request as a draft ("WIP: ...", "[Draft] ...").
pub fn is_draft_title(title: &str) -> bool {
    let t = title.trim_start();
    DRAFT_PREFIXES.iter().any(|p| {
        t.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })
}

/// How a request's commits reach the base branch, spelled as Gitea's API spells `Do`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MergeStyle {
    /// A merge commit with the base and the head as parents.
    Merge,
    /// One new commit on the base with the head's changes.
    Squash,
    /// The head's commits replayed onto the base, no merge commit.
    Rebase,
    /// The base moves to the head; refused unless the head contains the base.
    FastForwardOnly,
}

impl MergeStyle {
    pub const ALL: [MergeStyle; 4] = [
        MergeStyle::Merge,
        MergeStyle::Squash,
        MergeStyle::Rebase,
        MergeStyle::FastForwardOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MergeStyle::Merge => "merge",
            MergeStyle::Squash => "squash",
            MergeStyle::Rebase => "rebase",
            MergeStyle::FastForwardOnly => "fast-forward-only",
        }
    }
}

impl fmt::Display for MergeStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MergeStyle {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        MergeStyle::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or(())
    }
}

/// The merge styles a repository offers, and the one preselected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeSettings {
    /// In [`MergeStyle::ALL`]'s order, never empty.
    pub allowed: Vec<MergeStyle>,
    /// One of `allowed`.
    pub default_style: MergeStyle,
    /// Whether "delete the head branch after merging" starts checked.
    pub delete_branch: bool,
}

impl Default for MergeSettings {
    fn default() -> Self {
        MergeSettings {
            allowed: MergeStyle::ALL.to_vec(),
            default_style: MergeStyle::Merge,
            delete_branch: false,
        }
    }
}

/// Why merge settings were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeSettingsError {
    /// No style allowed: nothing could ever be merged.
    NoneAllowed,
    /// The default is not among the allowed styles.
    DefaultNotAllowed,
}

impl MergeSettingsError {
    pub fn key(self) -> &'static str {
        match self {
            MergeSettingsError::NoneAllowed => "pulls.settings_none_allowed",
            MergeSettingsError::DefaultNotAllowed => "pulls.settings_default_not_allowed",
        }
    }
}

impl MergeSettings {
    /// Settings from what a form or the API sent: duplicates dropped, put in canonical
    /// order, the default checked against them.
    pub fn new(
        allowed: &[MergeStyle],
        default_style: MergeStyle,
    ) -> Result<MergeSettings, MergeSettingsError> {
        let allowed: Vec<MergeStyle> = MergeStyle::ALL
            .into_iter()
            .filter(|s| allowed.contains(s))
            .collect();
        if allowed.is_empty() {
            return Err(MergeSettingsError::NoneAllowed);
        }
        if !allowed.contains(&default_style) {
            return Err(MergeSettingsError::DefaultNotAllowed);
        }
        Ok(MergeSettings {
            allowed,
            default_style,
            delete_branch: false,
        })
    }

    pub fn allows(&self, style: MergeStyle) -> bool {
        self.allowed.contains(&style)
    }

    /// The stored form of `allowed`: styles separated by commas.
    pub fn allowed_str(&self) -> String {
        self.allowed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Settings read back from storage; anything unreadable falls back to the default
    /// settings rather than leaving a repository unable to merge.
    pub fn parse_stored(allowed: &str, default_style: &str) -> MergeSettings {
        let styles: Vec<MergeStyle> = allowed
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        default_style
            .parse()
            .ok()
            .and_then(|d| MergeSettings::new(&styles, d).ok())
            .unwrap_or_default()
    }
}

/// The outcome of a mergeability check of one (base commit, head commit) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mergeable {
    /// Merges without conflicts.
    Clean,
    /// Some files conflict; they are listed with the outcome.
    Conflict,
    /// The check itself failed (a missing object, a limit); nothing can be said.
    Error,
}

impl Mergeable {
    pub fn as_str(self) -> &'static str {
        match self {
            Mergeable::Clean => "clean",
            Mergeable::Conflict => "conflict",
            Mergeable::Error => "error",
        }
    }
}

impl FromStr for Mergeable {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "clean" => Ok(Mergeable::Clean),
            "conflict" => Ok(Mergeable::Conflict),
            "error" => Ok(Mergeable::Error),
            _ => Err(()),
        }
    }
}

/// The namespace of refs the forge writes for pull requests; pushes into it are refused.
pub const PULL_REF_PREFIX: &str = "refs/pull/";

/// `refs/pull/N/head`: the request's head commit, in the base repository.
pub fn head_ref(number: i64) -> String {
    format!("{PULL_REF_PREFIX}{number}/head")
}

/// `refs/pull/N/merge`: the result of merging the head into the base, when it merges cleanly.
pub fn merge_ref(number: i64) -> String {
    format!("{PULL_REF_PREFIX}{number}/merge")
}

/// Whether a client may push to `name`: refs under `refs/pull/` belong to the forge.
pub fn is_reserved_ref(name: &str) -> bool {
    name.starts_with(PULL_REF_PREFIX)
}

/// Which kind of issue rows a list shows (Gitea's `type` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum KindFilter {
    /// Issues and pull requests alike (the API's default).
    #[default]
    Any,
    Issues,
    Pulls,
}

impl KindFilter {
    /// Gitea's spelling: `issues`, `pulls`; anything else lists both.
    pub fn parse(s: &str) -> KindFilter {
        match s {
            "issues" => KindFilter::Issues,
            "pulls" => KindFilter::Pulls,
            _ => KindFilter::Any,
        }
    }
}

/// The draft filter of the pull-request list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum DraftFilter {
    #[default]
    Any,
    Drafts,
    Ready,
}

impl DraftFilter {
    pub fn parse(s: &str) -> DraftFilter {
        match s {
            "draft" | "true" => DraftFilter::Drafts,
            "ready" | "false" => DraftFilter::Ready,
            _ => DraftFilter::Any,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DraftFilter::Any => "",
            DraftFilter::Drafts => "draft",
            DraftFilter::Ready => "ready",
        }
    }
}

/// The review-state filter of the pull-request list (`?review=`), in the words of GitHub's
/// `review:` qualifier; they match the badge each row of the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum ReviewFilter {
    #[default]
    Any,
    /// No review submitted yet (pending ones do not count).
    None,
    /// A review is requested and no approval or request for changes stands yet.
    Required,
    /// An approval stands and no request for changes does.
    Approved,
    /// A request for changes stands.
    ChangesRequested,
}

impl ReviewFilter {
    pub const ALL: [ReviewFilter; 4] = [
        ReviewFilter::None,
        ReviewFilter::Required,
        ReviewFilter::Approved,
        ReviewFilter::ChangesRequested,
    ];

    pub fn parse(s: &str) -> ReviewFilter {
        match s.trim() {
            "none" => ReviewFilter::None,
            "required" => ReviewFilter::Required,
            "approved" => ReviewFilter::Approved,
            "changes_requested" => ReviewFilter::ChangesRequested,
            _ => ReviewFilter::Any,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewFilter::Any => "",
            ReviewFilter::None => "none",
            ReviewFilter::Required => "required",
            ReviewFilter::Approved => "approved",
            ReviewFilter::ChangesRequested => "changes_requested",
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn review_filters_round_trip() {
        for f in ReviewFilter::ALL {
            assert_eq!(ReviewFilter::parse(f.as_str()), f);
        }
        assert_eq!(ReviewFilter::parse(""), ReviewFilter::Any);
        assert_eq!(ReviewFilter::parse("bogus"), ReviewFilter::Any);
        assert_eq!(ReviewFilter::parse(" approved "), ReviewFilter::Approved);
    }
    use super::*;

    #[test]
    fn draft_titles() {
        for t in [
            "WIP: parser",
            "wip: parser",
            "  [WIP] parser",
            "Draft: x",
            "[draft] x",
        ] {
            assert!(is_draft_title(t), "{t}");
        }
        for t in [
            "Parser WIP:",
            "WIPE the cache",
            "Drafting rules",
            "",
            "中文 WIP:",
        ] {
            assert!(!is_draft_title(t), "{t}");
        }
    }

    #[test]
    fn merge_styles_round_trip() {
        for s in MergeStyle::ALL {
            assert_eq!(s.as_str().parse::<MergeStyle>(), Ok(s));
        }
        assert!("fast-forward".parse::<MergeStyle>().is_err());
        assert!("rebase-merge".parse::<MergeStyle>().is_err());
    }

    #[test]
    fn merge_settings_validation() {
        use MergeStyle::*;
        let s = MergeSettings::new(&[Rebase, Squash, Rebase], Squash).unwrap();
        assert_eq!(s.allowed, vec![Squash, Rebase]);
        assert_eq!(s.allowed_str(), "squash,rebase");
        assert!(s.allows(Rebase) && !s.allows(Merge));
        assert_eq!(
            MergeSettings::new(&[], Merge),
            Err(MergeSettingsError::NoneAllowed)
        );
        assert_eq!(
            MergeSettings::new(&[Squash], Merge),
            Err(MergeSettingsError::DefaultNotAllowed)
        );
        assert_eq!(MergeSettings::parse_stored("squash,rebase", "squash"), s);
        assert_eq!(
            MergeSettings::parse_stored("nonsense", "merge"),
            MergeSettings::default()
        );
    }

    #[test]
    fn pull_refs() {
        assert_eq!(head_ref(7), "refs/pull/7/head");
        assert_eq!(merge_ref(7), "refs/pull/7/merge");
        assert!(is_reserved_ref("refs/pull/7/head"));
        assert!(is_reserved_ref("refs/pull/anything"));
        assert!(!is_reserved_ref("refs/heads/pull/7"));
        assert!(!is_reserved_ref("refs/pulls"));
    }

    #[test]
    fn filters_parse_leniently() {
        assert_eq!(KindFilter::parse("pulls"), KindFilter::Pulls);
        assert_eq!(KindFilter::parse("issues"), KindFilter::Issues);
        assert_eq!(KindFilter::parse("x"), KindFilter::Any);
        assert_eq!(DraftFilter::parse("draft"), DraftFilter::Drafts);
        assert_eq!(DraftFilter::parse("ready"), DraftFilter::Ready);
        assert_eq!(DraftFilter::parse(""), DraftFilter::Any);
    }
}
