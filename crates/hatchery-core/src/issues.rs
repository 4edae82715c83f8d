//! Issue rules that do not depend on storage: states and close reasons, timeline event
//! kinds, field limits, label colours and the labels offered to a new repository.

use std::fmt;
use std::str::FromStr;

use crate::validate::FieldError;

/// Titles are one line, like a commit subject; long enough for any real title.
pub const TITLE_MAX: usize = 255;
/// Bodies and comments: 64 KiB, Gitea's and GitHub's order of magnitude. Rendering cost grows
/// with size, and every page view renders them.
pub const BODY_MAX_BYTES: usize = 65_536;
pub const LABEL_NAME_MAX: usize = 50;
pub const MILESTONE_TITLE_MAX: usize = 100;

/// Why an issue was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    Completed,
    NotPlanned,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::Completed => "completed",
            CloseReason::NotPlanned => "not_planned",
        }
    }
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CloseReason {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "completed" => Ok(CloseReason::Completed),
            "not_planned" => Ok(CloseReason::NotPlanned),
            _ => Err(()),
        }
    }
}

/// Which issues a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum StateFilter {
    #[default]
    Open,
    Closed,
    All,
}

impl StateFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Open => "open",
            StateFilter::Closed => "closed",
            StateFilter::All => "all",
        }
    }

    /// Lenient: anything unknown lists open issues, as Gitea does.
    pub fn parse(s: &str) -> StateFilter {
        match s {
            "closed" => StateFilter::Closed,
            "all" => StateFilter::All,
            _ => StateFilter::Open,
        }
    }
}

/// List orders, named as Gitea's `sort` parameter names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum IssueSort {
    #[default]
    Newest,
    Oldest,
    RecentUpdate,
    LeastUpdate,
    MostComment,
    LeastComment,
}

impl IssueSort {
    pub const ALL: [IssueSort; 6] = [
        IssueSort::Newest,
        IssueSort::Oldest,
        IssueSort::RecentUpdate,
        IssueSort::LeastUpdate,
        IssueSort::MostComment,
        IssueSort::LeastComment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IssueSort::Newest => "newest",
            IssueSort::Oldest => "oldest",
            IssueSort::RecentUpdate => "recentupdate",
            IssueSort::LeastUpdate => "leastupdate",
            IssueSort::MostComment => "mostcomment",
            IssueSort::LeastComment => "leastcomment",
        }
    }

    pub fn parse(s: &str) -> IssueSort {
        IssueSort::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .unwrap_or_default()
    }
}

/// What happened to an issue, besides comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Labeled,
    Unlabeled,
    Assigned,
    Unassigned,
    Milestoned,
    Demilestoned,
    Closed,
    Reopened,
    Renamed,
    Locked,
    Unlocked,
    /// Another issue (or one of its comments) mentions this one.
    RefIssue,
    /// A pushed commit mentions this issue.
    RefCommit,
    /// Pull requests: commits were pushed to the head (`value`: how many, `old_value`: the
    /// head before, `commit_id`: the head after).
    Pushed,
    /// Pull requests: the head was rewritten (`old_value`, `commit_id` as for `Pushed`).
    ForcePushed,
    /// Pull requests: merged (`commit_id`: the commit the base moved to, `value`: the style).
    Merged,
}

impl EventKind {
    const ALL: [EventKind; 16] = [
        EventKind::Labeled,
        EventKind::Unlabeled,
        EventKind::Assigned,
        EventKind::Unassigned,
        EventKind::Milestoned,
        EventKind::Demilestoned,
        EventKind::Closed,
        EventKind::Reopened,
        EventKind::Renamed,
        EventKind::Locked,
        EventKind::Unlocked,
        EventKind::RefIssue,
        EventKind::RefCommit,
        EventKind::Pushed,
        EventKind::ForcePushed,
        EventKind::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Labeled => "labeled",
            EventKind::Unlabeled => "unlabeled",
            EventKind::Assigned => "assigned",
            EventKind::Unassigned => "unassigned",
            EventKind::Milestoned => "milestoned",
            EventKind::Demilestoned => "demilestoned",
            EventKind::Closed => "closed",
            EventKind::Reopened => "reopened",
            EventKind::Renamed => "renamed",
            EventKind::Locked => "locked",
            EventKind::Unlocked => "unlocked",
            EventKind::RefIssue => "ref_issue",
            EventKind::RefCommit => "ref_commit",
            EventKind::Pushed => "pushed",
            EventKind::ForcePushed => "force_pushed",
            EventKind::Merged => "merged",
        }
    }
}

impl FromStr for EventKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// A trimmed, non-empty, single-line title of at most `max` characters.
pub fn title(input: &str, max: usize) -> Result<String, FieldError> {
    let s: String = input
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    if s.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    Ok(s)
}

/// A Markdown body: kept as written (trailing whitespace trimmed), at most
/// [`BODY_MAX_BYTES`]. `required` for comments, which are nothing without text.
pub fn body(input: &str, required: bool) -> Result<String, FieldError> {
    let s = input.trim_end();
    if required && s.trim().is_empty() {
        return Err(FieldError::Required);
    }
    if s.len() > BODY_MAX_BYTES {
        return Err(FieldError::TooLong {
            max: BODY_MAX_BYTES,
        });
    }
    Ok(s.to_owned())
}

/// A label colour as `#rrggbb`, lower-case; `rrggbb` and `#RGB` are accepted too.
pub fn color(input: &str) -> Option<String> {
    let hex = input.trim().trim_start_matches('#');
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        6 => Some(format!("#{}", hex.to_ascii_lowercase())),
        3 => Some(
            hex.chars()
                .fold(String::from("#"), |mut s, c| {
                    s.push(c);
                    s.push(c);
                    s
                })
                .to_ascii_lowercase(),
        ),
        _ => None,
    }
}

/// Whether text on a label of this colour should be dark (light background), by the
/// WCAG relative luminance of the colour.
pub fn label_text_is_dark(color: &str) -> bool {
    let hex = color.trim_start_matches('#');
    let channel = |i: usize| {
        let v = hex
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
        let c = f64::from(v) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    l > 0.179
}

/// The labels offered when a repository is created: (name, colour, catalog key of the
/// description). Names stay English on every site so scripts and references agree.
pub const DEFAULT_LABELS: &[(&str, &str, &str)] = &[
    ("bug", "#d73a4a", "label.default.bug"),
    ("documentation", "#0075ca", "label.default.documentation"),
    ("duplicate", "#cfd3d7", "label.default.duplicate"),
    ("enhancement", "#a2eeef", "label.default.enhancement"),
    (
        "good first issue",
        "#7057ff",
        "label.default.good_first_issue",
    ),
    ("help wanted", "#008672", "label.default.help_wanted"),
    ("invalid", "#e4e669", "label.default.invalid"),
    ("question", "#d876e3", "label.default.question"),
    ("wontfix", "#ffffff", "label.default.wontfix"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(
            title("  Crash on start \n", 255),
            Ok("Crash on start".into())
        );
        assert_eq!(title("a\tb", 255), Ok("a b".into()));
        assert_eq!(title("   ", 255), Err(FieldError::Required));
        assert_eq!(title(&"字".repeat(255), 255), Ok("字".repeat(255)));
        assert_eq!(
            title(&"字".repeat(256), 255),
            Err(FieldError::TooLong { max: 255 })
        );
    }

    #[test]
    fn bodies() {
        assert_eq!(body("", false), Ok(String::new()));
        assert_eq!(body(" \n ", true), Err(FieldError::Required));
        assert_eq!(body("  indented\n\n", true), Ok("  indented".into()));
        assert!(body(&"x".repeat(BODY_MAX_BYTES), true).is_ok());
        assert_eq!(
            body(&"x".repeat(BODY_MAX_BYTES + 1), true),
            Err(FieldError::TooLong {
                max: BODY_MAX_BYTES
            })
        );
    }

    #[test]
    fn colors() {
        assert_eq!(color("#D73A4A").as_deref(), Some("#d73a4a"));
        assert_eq!(color("d73a4a").as_deref(), Some("#d73a4a"));
        assert_eq!(color("#fA0").as_deref(), Some("#ffaa00"));
        for bad in ["", "#", "#12345", "#gggggg", "red", "#1234567", "#12 456"] {
            assert_eq!(color(bad), None, "{bad:?}");
        }
        assert!(label_text_is_dark("#ffffff"));
        assert!(label_text_is_dark("#e4e669"));
        assert!(!label_text_is_dark("#000000"));
        assert!(!label_text_is_dark("#0075ca"));
        for (_, c, _) in DEFAULT_LABELS {
            assert_eq!(color(c).as_deref(), Some(*c));
        }
    }

    #[test]
    fn names_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
        }
        for s in IssueSort::ALL {
            assert_eq!(IssueSort::parse(s.as_str()), s);
        }
        assert_eq!(IssueSort::parse("bogus"), IssueSort::Newest);
        for r in [CloseReason::Completed, CloseReason::NotPlanned] {
            assert_eq!(r.as_str().parse::<CloseReason>(), Ok(r));
        }
        assert_eq!(StateFilter::parse("closed"), StateFilter::Closed);
        assert_eq!(StateFilter::parse("x"), StateFilter::Open);
    }
}
