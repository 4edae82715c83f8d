//! Code-review rules that need no storage: review states and the events that submit a
//! review (Gitea's spellings), what a submission must carry, where a line comment may
//! point, and when a comment is outdated by a new head.
//!
//! Who may do what is the policy's: reviewing and commenting on lines is `Action::Comment`
//! on the pull request (signed-in readers; locked conversations take writers only);
//! dismissing reviews and asking for reviews is `Action::Triage` (writers); resolving a
//! thread is `Action::Edit` (the request's author and writers). An approval counts for
//! branch protection only when its reviewer could write to the repository
//! (`protection::ReviewFact::reviewer_can_write`).

use std::fmt;
use std::str::FromStr;

use crate::protection::ReviewFact;

/// A review's body or a line comment's text, as issue bodies.
pub const REVIEW_BODY_MAX: usize = crate::issues::BODY_MAX_BYTES;
/// The longest path a line comment may name.
pub const PATH_MAX: usize = 4096;
/// The widest range of lines one comment may cover.
pub const RANGE_MAX: u32 = 10_000;

/// The state of a review, spelled as Gitea's API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewState {
    /// Being written: its comments are seen by the reviewer only.
    Pending,
    Comment,
    Approved,
    RequestChanges,
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] = [
        ReviewState::Pending,
        ReviewState::Comment,
        ReviewState::Approved,
        ReviewState::RequestChanges,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "PENDING",
            ReviewState::Comment => "COMMENT",
            ReviewState::Approved => "APPROVED",
            ReviewState::RequestChanges => "REQUEST_CHANGES",
        }
    }

    /// The catalog key naming the state for people.
    pub fn key(self) -> &'static str {
        match self {
            ReviewState::Pending => "code_review.state_pending",
            ReviewState::Comment => "code_review.state_comment",
            ReviewState::Approved => "code_review.state_approved",
            ReviewState::RequestChanges => "code_review.state_request_changes",
        }
    }
}

impl fmt::Display for ReviewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReviewState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ReviewState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

/// What submitting a review makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewEvent {
    /// Stay pending (only when creating one).
    Pending,
    Comment,
    Approve,
    RequestChanges,
}

impl ReviewEvent {
    /// From an API's `event`: Gitea's `APPROVED`, `REQUEST_CHANGES`, `COMMENT`, `PENDING`
    /// (also GitHub's `APPROVE`), case-insensitive; empty means pending, as in Gitea.
    pub fn parse(s: &str) -> Option<ReviewEvent> {
        match s.trim().to_ascii_uppercase().as_str() {
            "" | "PENDING" => Some(ReviewEvent::Pending),
            "COMMENT" => Some(ReviewEvent::Comment),
            "APPROVED" | "APPROVE" => Some(ReviewEvent::Approve),
            "REQUEST_CHANGES" => Some(ReviewEvent::RequestChanges),
            _ => None,
        }
    }

    /// The state a review takes when this event is applied.
    pub fn state(self) -> ReviewState {
        match self {
            ReviewEvent::Pending => ReviewState::Pending,
            ReviewEvent::Comment => ReviewState::Comment,
            ReviewEvent::Approve => ReviewState::Approved,
            ReviewEvent::RequestChanges => ReviewState::RequestChanges,
        }
    }
}

/// Why a review or a line comment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("a comment review needs a body or line comments")]
    EmptyComment,
    #[error("you cannot approve your own pull request")]
    OwnApprove,
    #[error("you cannot request changes on your own pull request")]
    OwnRequestChanges,
    #[error("the review event is not valid")]
    BadEvent,
    #[error("commit_id must be a full commit id")]
    BadCommit,
    #[error("the review is submitted already")]
    NotPending,
    #[error("the path is not valid")]
    BadPath,
    #[error("the line is not valid")]
    BadLine,
    #[error("the text is too long")]
    TooLong,
    #[error("a comment needs a body")]
    EmptyBody,
}

/// Whether a review may be submitted as `event` by its reviewer. `is_author`: the reviewer
/// opened the request (Gitea refuses approving and requesting changes on one's own
/// request); a `COMMENT` needs a body or at least one line comment.
pub fn check_submission(
    event: ReviewEvent,
    body: &str,
    comments: usize,
    is_author: bool,
) -> Result<(), ReviewError> {
    if body.len() > REVIEW_BODY_MAX {
        return Err(ReviewError::TooLong);
    }
    match event {
        ReviewEvent::Pending => Ok(()),
        ReviewEvent::Comment if body.trim().is_empty() && comments == 0 => {
            Err(ReviewError::EmptyComment)
        }
        ReviewEvent::Comment => Ok(()),
        ReviewEvent::Approve if is_author => Err(ReviewError::OwnApprove),
        ReviewEvent::RequestChanges if is_author => Err(ReviewError::OwnRequestChanges),
        ReviewEvent::Approve | ReviewEvent::RequestChanges => Ok(()),
    }
}

/// Which side of a diff a line comment is on: `LEFT` lines are the base's (the merge
/// base's file), `RIGHT` lines the head's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "LEFT",
            Side::Right => "RIGHT",
        }
    }
}

impl FromStr for Side {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "LEFT" => Ok(Side::Left),
            "RIGHT" => Ok(Side::Right),
            _ => Err(()),
        }
    }
}

/// Where a line comment points: lines `start..=line` (one line when `start` is `None`) of
/// `path` on `side`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSpot {
    pub path: String,
    pub side: Side,
    pub line: u32,
    pub start: Option<u32>,
}

impl LineSpot {
    /// The first and last line covered.
    pub fn range(&self) -> (u32, u32) {
        (self.start.unwrap_or(self.line), self.line)
    }
}

/// A comment's spot, checked: a relative path without `.`/`..` segments or control
/// characters, lines from 1, a range that starts before it ends and is not absurdly wide.
/// A start equal to the line is kept as a single line.
pub fn spot(
    path: &str,
    side: Side,
    line: u32,
    start: Option<u32>,
) -> Result<LineSpot, ReviewError> {
    let path = path.trim().trim_start_matches('/');
    if path.is_empty()
        || path.len() > PATH_MAX
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(ReviewError::BadPath);
    }
    if line == 0 {
        return Err(ReviewError::BadLine);
    }
    let start = match start {
        Some(0) => return Err(ReviewError::BadLine),
        Some(s) if s > line || line - s > RANGE_MAX => return Err(ReviewError::BadLine),
        Some(s) if s == line => None,
        other => other,
    };
    Ok(LineSpot {
        path: path.to_owned(),
        side,
        line,
        start,
    })
}

/// A line comment's text: required, at most [`REVIEW_BODY_MAX`] bytes, trailing space
/// trimmed.
pub fn comment_body(input: &str) -> Result<String, ReviewError> {
    let s = input.trim_end();
    if s.trim().is_empty() {
        return Err(ReviewError::EmptyBody);
    }
    if s.len() > REVIEW_BODY_MAX {
        return Err(ReviewError::TooLong);
    }
    Ok(s.to_owned())
}

/// Lines `start..=end` (1-based) of `text`, or `None` when the text is shorter.
fn lines_of(text: &[u8], start: u32, end: u32) -> Option<Vec<&[u8]>> {
    let mut lines = text.split(|b| *b == b'\n');
    let skip = usize::try_from(start.checked_sub(1)?).ok()?;
    let want = usize::try_from(end.checked_sub(start)?).ok()? + 1;
    let out: Vec<&[u8]> = lines
        .by_ref()
        .skip(skip)
        .take(want)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    // A text ending in a newline has no line after it.
    let past_end = text.ends_with(b"\n") && skip + want > text.split(|b| *b == b'\n').count() - 1;
    (out.len() == want && !past_end).then_some(out)
}

/// Whether a comment on lines `start..=end` of a file is outdated: the file as it was
/// when the comment was written (`then`; `None` when it did not exist) and as it is at the
/// new commit (`now`; `None` when deleted) differ in those lines, or either lacks them.
pub fn lines_outdated(then: Option<&[u8]>, now: Option<&[u8]>, start: u32, end: u32) -> bool {
    let (Some(then), Some(now)) = (then, now) else {
        return true;
    };
    match (lines_of(then, start, end), lines_of(now, start, end)) {
        (Some(a), Some(b)) => a != b,
        _ => true,
    }
}

/// A submitted review as the merge check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict<'a> {
    pub reviewer_id: i64,
    pub state: ReviewState,
    /// The head commit the review was given on.
    pub commit_id: &'a str,
    pub dismissed: bool,
    /// The reviewer may write to the repository now.
    pub reviewer_can_write: bool,
}

/// Each reviewer's latest verdict, from reviews in the order they were submitted: the
/// approvals and the requests for changes that stand. A comment review gives no verdict
/// (an earlier approval stands); a dismissed latest verdict leaves none.
pub fn latest_verdicts(reviews: &[Verdict<'_>]) -> (Vec<ReviewFact>, Vec<ReviewFact>) {
    let mut latest: Vec<&Verdict<'_>> = Vec::new();
    for r in reviews {
        if !matches!(r.state, ReviewState::Approved | ReviewState::RequestChanges) {
            continue;
        }
        match latest.iter_mut().find(|l| l.reviewer_id == r.reviewer_id) {
            Some(l) => *l = r,
            None => latest.push(r),
        }
    }
    let fact = |r: &&Verdict<'_>| ReviewFact {
        reviewer_id: r.reviewer_id,
        commit_id: r.commit_id.to_owned(),
        reviewer_can_write: r.reviewer_can_write,
    };
    let standing = |state| {
        latest
            .iter()
            .filter(|r| !r.dismissed && r.state == state)
            .map(fact)
            .collect::<Vec<_>>()
    };
    (
        standing(ReviewState::Approved),
        standing(ReviewState::RequestChanges),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_in_gitea_and_github_spellings() {
        assert_eq!(ReviewEvent::parse(""), Some(ReviewEvent::Pending));
        assert_eq!(ReviewEvent::parse("PENDING"), Some(ReviewEvent::Pending));
        assert_eq!(ReviewEvent::parse("comment"), Some(ReviewEvent::Comment));
        assert_eq!(ReviewEvent::parse("APPROVED"), Some(ReviewEvent::Approve));
        assert_eq!(ReviewEvent::parse("APPROVE"), Some(ReviewEvent::Approve));
        assert_eq!(
            ReviewEvent::parse("REQUEST_CHANGES"),
            Some(ReviewEvent::RequestChanges)
        );
        assert_eq!(ReviewEvent::parse("REQUEST_REVIEW"), None);
        assert_eq!(ReviewEvent::parse("LGTM"), None);
        for s in ReviewState::ALL {
            assert_eq!(s.as_str().parse::<ReviewState>(), Ok(s));
        }
        assert_eq!(ReviewEvent::Approve.state(), ReviewState::Approved);
    }

    #[test]
    fn submissions_follow_gitea() {
        use ReviewEvent::*;
        assert_eq!(
            check_submission(Comment, "  ", 0, false),
            Err(ReviewError::EmptyComment)
        );
        assert_eq!(check_submission(Comment, "", 1, false), Ok(()));
        assert_eq!(check_submission(Comment, "nice", 0, true), Ok(()));
        assert_eq!(check_submission(Approve, "", 0, false), Ok(()));
        assert_eq!(
            check_submission(Approve, "", 0, true),
            Err(ReviewError::OwnApprove)
        );
        assert_eq!(
            check_submission(RequestChanges, "fix", 0, true),
            Err(ReviewError::OwnRequestChanges)
        );
        assert_eq!(check_submission(RequestChanges, "", 0, false), Ok(()));
        assert_eq!(check_submission(Pending, "", 0, true), Ok(()));
        let long = "x".repeat(REVIEW_BODY_MAX + 1);
        assert_eq!(
            check_submission(Approve, &long, 0, false),
            Err(ReviewError::TooLong)
        );
    }

    #[test]
    fn each_reviewers_latest_verdict_stands() {
        let v = |reviewer_id, state, dismissed| Verdict {
            reviewer_id,
            state,
            commit_id: "c1",
            dismissed,
            reviewer_can_write: reviewer_id != 9,
        };
        use ReviewState::*;
        let (ok, no) = latest_verdicts(&[
            v(1, RequestChanges, false),
            v(1, Approved, false),
            v(1, Comment, false),
            v(2, Approved, false),
            v(2, RequestChanges, false),
            v(3, Approved, true),
            v(4, RequestChanges, false),
            v(4, Approved, true),
            v(9, Approved, false),
        ]);
        let ids = |f: &[ReviewFact]| f.iter().map(|r| r.reviewer_id).collect::<Vec<_>>();
        // 1 approved last (a comment changes nothing), 2 asked for changes last, 3's
        // approval was dismissed, 4's latest verdict was dismissed (the earlier request
        // for changes does not come back), 9 approves without write access.
        assert_eq!(ids(&ok), vec![1, 9]);
        assert!(!ok[1].reviewer_can_write);
        assert_eq!(ids(&no), vec![2]);
        assert_eq!(latest_verdicts(&[]), (vec![], vec![]));
    }

    #[test]
    fn spots_are_checked() {
        let s = spot("/src/main.rs", Side::Right, 3, Some(1)).unwrap();
        assert_eq!(s.path, "src/main.rs");
        assert_eq!(s.range(), (1, 3));
        assert_eq!(spot("a", Side::Left, 2, Some(2)).unwrap().start, None);
        assert_eq!(spot("a", Side::Left, 2, None).unwrap().range(), (2, 2));
        for bad in ["", "a/../b", "./a", "a//b", "a\0b", "a\nb"] {
            assert_eq!(
                spot(bad, Side::Right, 1, None),
                Err(ReviewError::BadPath),
                "{bad:?}"
            );
        }
        assert_eq!(spot("a", Side::Right, 0, None), Err(ReviewError::BadLine));
        assert_eq!(
            spot("a", Side::Right, 2, Some(3)),
            Err(ReviewError::BadLine)
        );
        assert_eq!(
            spot("a", Side::Right, 2, Some(0)),
            Err(ReviewError::BadLine)
        );
        assert_eq!(
            spot("a", Side::Right, 20_002, Some(1)),
            Err(ReviewError::BadLine)
        );
        assert_eq!("LEFT".parse::<Side>(), Ok(Side::Left));
        assert!("left".parse::<Side>().is_err());
    }

    #[test]
    fn comment_bodies_are_required() {
        assert_eq!(comment_body(" \n"), Err(ReviewError::EmptyBody));
        assert_eq!(comment_body("ok  \n").unwrap(), "ok");
    }

    #[test]
    fn a_comment_is_outdated_when_its_lines_change() {
        let then = b"one\ntwo\nthree\nfour\n".as_slice();
        // Same lines: current, even if other lines changed.
        let now = b"one\ntwo\nthree\nFOUR\nfive\n".as_slice();
        assert!(!lines_outdated(Some(then), Some(now), 2, 3));
        assert!(!lines_outdated(Some(then), Some(now), 1, 1));
        // The commented line itself changed.
        assert!(lines_outdated(Some(then), Some(now), 4, 4));
        // A range with one changed line.
        assert!(lines_outdated(Some(then), Some(now), 3, 4));
        // Lines shifted by an insertion above: the content at that number differs.
        let shifted = b"zero\none\ntwo\nthree\nfour\n".as_slice();
        assert!(lines_outdated(Some(then), Some(shifted), 2, 2));
        // The file got shorter than the line, or was deleted, or did not exist.
        assert!(lines_outdated(Some(then), Some(b"one\n"), 2, 2));
        assert!(lines_outdated(Some(then), None, 1, 1));
        assert!(lines_outdated(None, Some(then), 1, 1));
        // Line endings: CRLF and LF copies of a line are the same line.
        assert!(!lines_outdated(Some(b"a\r\nb\r\n"), Some(b"a\nb\n"), 1, 2));
        // A file without a final newline: its last line exists.
        assert!(!lines_outdated(Some(b"a\nb"), Some(b"a\nb"), 2, 2));
        assert!(lines_outdated(Some(b"a\nb\n"), Some(b"a\nb\n"), 3, 3));
        // Whitespace matters (as the diff shows it).
        assert!(lines_outdated(Some(b"a \n"), Some(b"a\n"), 1, 1));
    }
}
