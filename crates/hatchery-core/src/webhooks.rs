//! Webhook rules: event names and which hook wants which event, branch filters, content
//! types, and the retry schedule of deliveries. Gitea's names and semantics throughout, so
//! hooks created by Gitea clients behave as they expect.
//!
//! An event is a name (`push`, `issues`, `issue_label`, ...) plus a JSON payload; new kinds
//! (the incubator's `proposal`, `vote`, ...) are new names, nothing else.

use std::fmt;

/// Events Hatchery sends, with the name a hook subscribes to. Gitea's names.
pub const PUSH: &str = "push";
pub const CREATE: &str = "create";
pub const DELETE: &str = "delete";
pub const REPOSITORY: &str = "repository";
pub const ISSUES: &str = "issues";
pub const ISSUE_ASSIGN: &str = "issue_assign";
pub const ISSUE_LABEL: &str = "issue_label";
pub const ISSUE_MILESTONE: &str = "issue_milestone";
pub const ISSUE_COMMENT: &str = "issue_comment";
/// Pull requests' counterparts of the issue events (a pull request is an issue).
pub const PULL_REQUEST: &str = "pull_request";
pub const PULL_REQUEST_ASSIGN: &str = "pull_request_assign";
pub const PULL_REQUEST_LABEL: &str = "pull_request_label";
pub const PULL_REQUEST_MILESTONE: &str = "pull_request_milestone";
/// A review was submitted on a pull request: approving, requesting changes, or commenting
/// (Gitea's names; the `X-Gitea-Event` header says `pull_request_approved`,
/// `pull_request_rejected`, `pull_request_comment`).
pub const PULL_REQUEST_REVIEW_APPROVED: &str = "pull_request_review_approved";
pub const PULL_REQUEST_REVIEW_REJECTED: &str = "pull_request_review_rejected";
pub const PULL_REQUEST_REVIEW_COMMENT: &str = "pull_request_review_comment";
/// Someone was asked (or no longer asked) to review: sent as `pull_request` with action
/// `review_requested` (`review_request_removed`), as in Gitea.
pub const PULL_REQUEST_REVIEW_REQUEST: &str = "pull_request_review_request";
/// The choice that subscribes to the three review events (Gitea's "Pull request reviewed").
pub const PULL_REQUEST_REVIEW: &str = "pull_request_review";
/// A commit status was reported (by CI, through the API).
pub const STATUS: &str = "status";
/// A release was `published`, `updated` or `deleted` (Gitea's `release`).
pub const RELEASE: &str = "release";
/// A repository was forked: sent to the parent's hooks (Gitea's `fork`).
pub const FORK: &str = "fork";
/// The incubator's events, sent to the hooks of the program's organization: a proposal
/// `created`, `edited` or `state_changed`; a vote `opened` or `closed`; a project's stage
/// `changed`; a project `recommended` for graduation, its resolution
/// `resolution_submitted`, the board's decision `approved` or `rejected`.
pub const INCUBATOR_PROPOSAL: &str = "incubator_proposal";
pub const INCUBATOR_VOTE: &str = "incubator_vote";
pub const INCUBATOR_STAGE: &str = "incubator_stage";
pub const INCUBATOR_GRADUATION: &str = "incubator_graduation";

/// The events offered as choices in the web form, in display order. `issues` covers its
/// three sub-events (assignees, labels, milestone), as in Gitea's API.
pub const CHOOSABLE: &[&str] = &[
    PUSH,
    CREATE,
    DELETE,
    FORK,
    ISSUES,
    ISSUE_COMMENT,
    PULL_REQUEST,
    PULL_REQUEST_REVIEW,
    STATUS,
    RELEASE,
    REPOSITORY,
    INCUBATOR_PROPOSAL,
    INCUBATOR_VOTE,
    INCUBATOR_STAGE,
    INCUBATOR_GRADUATION,
];

/// The events only organizations' hooks receive: offered in their form only.
pub const ORG_ONLY: &[&str] = &[
    REPOSITORY,
    INCUBATOR_PROPOSAL,
    INCUBATOR_VOTE,
    INCUBATOR_STAGE,
    INCUBATOR_GRADUATION,
];

/// Subscribes to every event, present and future.
pub const ALL: &str = "*";

/// The longest event name accepted.
const EVENT_NAME_MAX: usize = 64;

/// The `X-Gitea-Event` (and `X-GitHub-Event`) header of an event type: the issue
/// sub-events are sent as `issues`, everything else under its own name. The exact type
/// goes in `X-Gitea-Event-Type`.
pub fn header_event(event_type: &str) -> &str {
    match event_type {
        ISSUE_ASSIGN | ISSUE_LABEL | ISSUE_MILESTONE => ISSUES,
        PULL_REQUEST_ASSIGN
        | PULL_REQUEST_LABEL
        | PULL_REQUEST_MILESTONE
        | PULL_REQUEST_REVIEW_REQUEST => PULL_REQUEST,
        PULL_REQUEST_REVIEW_APPROVED => "pull_request_approved",
        PULL_REQUEST_REVIEW_REJECTED => "pull_request_rejected",
        PULL_REQUEST_REVIEW_COMMENT => "pull_request_comment",
        other => other,
    }
}

/// The event a change to a pull request sends where the same change to an issue sends
/// `issue_event` (`issues` → `pull_request`, `issue_label` → `pull_request_label`, ...).
pub fn pull_event(issue_event: &str) -> &str {
    match issue_event {
        ISSUES => PULL_REQUEST,
        ISSUE_ASSIGN => PULL_REQUEST_ASSIGN,
        ISSUE_LABEL => PULL_REQUEST_LABEL,
        ISSUE_MILESTONE => PULL_REQUEST_MILESTONE,
        other => other,
    }
}

/// Whether a hook subscribed to `events` receives `event_type`.
pub fn hook_wants(events: &[String], event_type: &str) -> bool {
    events.iter().any(|e| {
        e == ALL
            || e == event_type
            || (e == ISSUES && header_event(event_type) == ISSUES)
            || (e == PULL_REQUEST && header_event(event_type) == PULL_REQUEST)
            || (e == PULL_REQUEST_REVIEW
                && matches!(
                    event_type,
                    PULL_REQUEST_REVIEW_APPROVED
                        | PULL_REQUEST_REVIEW_REJECTED
                        | PULL_REQUEST_REVIEW_COMMENT
                ))
            || (e == "pull_request_only" && event_type == PULL_REQUEST)
            || (e == "issues_only" && event_type == ISSUES)
    })
}

/// Why a hook's settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookRuleError {
    #[error("{0:?} is not an event name")]
    BadEvent(String),
    #[error("the branch filter {0:?} is not a valid glob pattern")]
    BadBranchFilter(String),
    #[error("content type must be json or form, not {0:?}")]
    BadContentType(String),
}

/// Lower-cased, de-duplicated, in the order given; empty means `push` (as in Gitea).
/// Names must be words of `a-z`, `0-9` and `_` (or `*`): names Hatchery does not send yet
/// (such as `wiki`) are kept, so Gitea clients' hooks are stored as asked.
pub fn normalize_events<S: AsRef<str>>(events: &[S]) -> Result<Vec<String>, HookRuleError> {
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let e = e.as_ref().trim().to_ascii_lowercase();
        if e.is_empty() {
            continue;
        }
        let ok = e == ALL
            || (e.len() <= EVENT_NAME_MAX
                && e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        if !ok {
            return Err(HookRuleError::BadEvent(e));
        }
        if !out.contains(&e) {
            out.push(e);
        }
    }
    if out.is_empty() {
        out.push(PUSH.to_owned());
    }
    Ok(out)
}

/// How a delivery's body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentType {
    /// `application/json`: the payload itself.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`: `payload=<the JSON, url-encoded>`.
    Form,
}

impl ContentType {
    pub fn parse(s: &str) -> Result<ContentType, HookRuleError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "json" | "application/json" => Ok(ContentType::Json),
            "form" | "application/x-www-form-urlencoded" => Ok(ContentType::Form),
            other => Err(HookRuleError::BadContentType(other.to_owned())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Json => "json",
            ContentType::Form => "form",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Json => "application/json",
            ContentType::Form => "application/x-www-form-urlencoded",
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A branch filter: a glob over branch names where `*` (or `**`) matches any run of
/// characters (slashes included), `?` one character, and `{a,b}` either alternative.
/// Empty or `*` matches every branch. Gitea's syntax, without character classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchFilter {
    source: String,
    alternatives: Vec<String>,
}

/// The longest branch filter accepted.
const BRANCH_FILTER_MAX: usize = 1024;

impl BranchFilter {
    pub fn parse(s: &str) -> Result<BranchFilter, HookRuleError> {
        let source = s.trim().to_owned();
        let bad = || HookRuleError::BadBranchFilter(source.clone());
        if source.len() > BRANCH_FILTER_MAX || source.chars().any(char::is_control) {
            return Err(bad());
        }
        let alternatives = if source.is_empty() {
            vec!["*".to_owned()]
        } else {
            let expanded = expand_braces(&source).ok_or_else(bad)?;
            if expanded.len() > 256 {
                return Err(bad());
            }
            expanded
        };
        Ok(BranchFilter {
            source,
            alternatives,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn matches(&self, branch: &str) -> bool {
        self.alternatives
            .iter()
            .any(|p| crate::netpolicy::wildcard(p, branch))
    }
}

/// `a{b,c}d` → `abd`, `acd`; nested braces expand too. `None` when braces do not balance.
fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let Some(open) = pattern.find('{') else {
        return (!pattern.contains('}')).then(|| vec![pattern.to_owned()]);
    };
    let (head, rest) = pattern.split_at(open);
    if head.contains('}') {
        return None;
    }
    // Find the matching close brace and the top-level commas inside.
    let mut depth = 0usize;
    let mut parts = Vec::new();
    let mut start = 1;
    let mut close = None;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    parts.push(&rest[start..i]);
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => {
                parts.push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    let close = close?;
    let tail = &rest[close + 1..];
    let mut out = Vec::new();
    for part in parts {
        for expanded in expand_braces(&format!("{head}{part}{tail}"))? {
            out.push(expanded);
            if out.len() > 1024 {
                return None;
            }
        }
    }
    Some(out)
}

/// The branch a payload is about, for the branch filter: pushes to, and creations and
/// deletions of, branches. Other events (tags, issues) are not filtered.
/// `ref_name` is the full name (`refs/heads/main`).
pub fn filtered_branch(event_type: &str, ref_name: &str) -> Option<String> {
    match event_type {
        PUSH | CREATE | DELETE => ref_name.strip_prefix("refs/heads/").map(str::to_owned),
        _ => None,
    }
}

/// Parses a list of delays like `10s, 1m, 5m, 30m, 2h` (units `ms`, `s`, `m`, `h`; a bare
/// number is seconds) into milliseconds.
pub fn parse_delays(s: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for item in s.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let digits = item
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(item.len());
        let (number, unit) = item.split_at(digits);
        let n: u64 = number
            .parse()
            .map_err(|_| format!("{item:?} is not a duration like 10s, 5m or 2h"))?;
        let factor = match unit.trim() {
            "ms" => 1,
            "" | "s" => 1000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            _ => return Err(format!("{item:?} is not a duration like 10s, 5m or 2h")),
        };
        out.push(
            n.checked_mul(factor)
                .ok_or_else(|| format!("{item:?} is too long"))?,
        );
    }
    if out.is_empty() {
        return Err("no delays given; write them like \"10s, 1m, 5m, 30m\"".to_owned());
    }
    Ok(out)
}

/// The wait after the `failures`-th failed attempt (1-based): the matching entry of
/// `delays`, the last one once the list runs out.
pub fn retry_delay(delays: &[u64], failures: u32) -> u64 {
    let i = (failures.max(1) - 1) as usize;
    delays
        .get(i)
        .or_else(|| delays.last())
        .copied()
        .unwrap_or(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn event_matching() {
        assert!(hook_wants(&v(&["push"]), PUSH));
        assert!(!hook_wants(&v(&["push"]), CREATE));
        assert!(hook_wants(&v(&["issues"]), ISSUES));
        assert!(hook_wants(&v(&["issues"]), ISSUE_LABEL));
        assert!(hook_wants(&v(&["issues"]), ISSUE_ASSIGN));
        assert!(hook_wants(&v(&["issues"]), ISSUE_MILESTONE));
        assert!(!hook_wants(&v(&["issues"]), ISSUE_COMMENT));
        assert!(hook_wants(&v(&["issue_label"]), ISSUE_LABEL));
        assert!(!hook_wants(&v(&["issue_label"]), ISSUES));
        assert!(hook_wants(&v(&["issues_only"]), ISSUES));
        assert!(!hook_wants(&v(&["issues_only"]), ISSUE_LABEL));
        assert!(hook_wants(&v(&["*"]), "proposal"));
        assert!(hook_wants(&v(&["proposal"]), "proposal"));
        assert!(!hook_wants(&[], PUSH));
        assert_eq!(header_event(ISSUE_LABEL), "issues");
        assert_eq!(header_event(ISSUE_COMMENT), "issue_comment");
        assert_eq!(header_event("vote"), "vote");
        assert!(hook_wants(&v(&["pull_request"]), PULL_REQUEST_LABEL));
        assert!(hook_wants(&v(&["pull_request"]), PULL_REQUEST));
        assert!(!hook_wants(&v(&["issues"]), PULL_REQUEST));
        assert!(!hook_wants(&v(&["pull_request"]), ISSUES));
        assert_eq!(header_event(PULL_REQUEST_ASSIGN), "pull_request");
        assert_eq!(pull_event(ISSUE_LABEL), PULL_REQUEST_LABEL);
        assert_eq!(pull_event(ISSUES), PULL_REQUEST);
    }

    #[test]
    fn review_events_as_gitea_sends_them() {
        let review = v(&[PULL_REQUEST_REVIEW]);
        for e in [
            PULL_REQUEST_REVIEW_APPROVED,
            PULL_REQUEST_REVIEW_REJECTED,
            PULL_REQUEST_REVIEW_COMMENT,
        ] {
            assert!(hook_wants(&review, e), "{e}");
            assert!(hook_wants(&v(&[e]), e), "{e}");
            assert!(!hook_wants(&v(&[PULL_REQUEST]), e), "{e}");
        }
        assert!(!hook_wants(
            &v(&[PULL_REQUEST_REVIEW_APPROVED]),
            PULL_REQUEST_REVIEW_COMMENT
        ));
        assert!(!hook_wants(&review, PULL_REQUEST_REVIEW_REQUEST));
        assert!(hook_wants(&v(&[PULL_REQUEST]), PULL_REQUEST_REVIEW_REQUEST));
        assert_eq!(header_event(PULL_REQUEST_REVIEW_REQUEST), "pull_request");
        assert_eq!(
            header_event(PULL_REQUEST_REVIEW_APPROVED),
            "pull_request_approved"
        );
        assert_eq!(
            header_event(PULL_REQUEST_REVIEW_REJECTED),
            "pull_request_rejected"
        );
        assert_eq!(
            header_event(PULL_REQUEST_REVIEW_COMMENT),
            "pull_request_comment"
        );
        assert!(CHOOSABLE.contains(&PULL_REQUEST_REVIEW));
    }

    #[test]
    fn events_are_normalized() {
        assert_eq!(normalize_events::<&str>(&[]).unwrap(), v(&["push"]));
        assert_eq!(
            normalize_events(&["Push", "issues", "push", " ", "pull_request"]).unwrap(),
            v(&["push", "issues", "pull_request"])
        );
        assert_eq!(normalize_events(&["*"]).unwrap(), v(&["*"]));
        assert!(normalize_events(&["push event"]).is_err());
        assert!(normalize_events(&["a".repeat(65)]).is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(ContentType::parse("").unwrap(), ContentType::Json);
        assert_eq!(ContentType::parse("JSON").unwrap(), ContentType::Json);
        assert_eq!(ContentType::parse("form").unwrap(), ContentType::Form);
        assert!(ContentType::parse("xml").is_err());
        assert_eq!(
            ContentType::Form.mime(),
            "application/x-www-form-urlencoded"
        );
    }

    #[test]
    fn branch_filters() {
        let all = BranchFilter::parse("").unwrap();
        assert!(all.matches("main") && all.matches("feature/x"));
        let star = BranchFilter::parse("*").unwrap();
        assert!(star.matches("feature/x"));
        let f = BranchFilter::parse("{main,release/*}").unwrap();
        assert!(f.matches("main"));
        assert!(f.matches("release/1.0"));
        assert!(!f.matches("dev"));
        assert!(!f.matches("mainline"));
        let q = BranchFilter::parse("v?").unwrap();
        assert!(q.matches("v1") && !q.matches("v10"));
        let nested = BranchFilter::parse("{a,b{1,2}}-x").unwrap();
        for ok in ["a-x", "b1-x", "b2-x"] {
            assert!(nested.matches(ok), "{ok}");
        }
        assert!(!nested.matches("b-x"));
        assert!(BranchFilter::parse("{main").is_err());
        assert!(BranchFilter::parse("main}").is_err());
        assert!(BranchFilter::parse("a\nb").is_err());
        assert_eq!(f.as_str(), "{main,release/*}");
    }

    #[test]
    fn filtered_branches() {
        assert_eq!(
            filtered_branch(PUSH, "refs/heads/main").as_deref(),
            Some("main")
        );
        assert_eq!(filtered_branch(PUSH, "refs/tags/v1"), None);
        assert_eq!(
            filtered_branch(CREATE, "refs/heads/dev").as_deref(),
            Some("dev")
        );
        assert_eq!(filtered_branch(DELETE, "refs/tags/v1"), None);
        assert_eq!(filtered_branch(ISSUES, ""), None);
    }

    #[test]
    fn delays() {
        assert_eq!(
            parse_delays("10s, 1m, 5m, 30m, 2h").unwrap(),
            vec![10_000, 60_000, 300_000, 1_800_000, 7_200_000]
        );
        assert_eq!(parse_delays("0, 50ms").unwrap(), vec![0, 50]);
        assert!(parse_delays("").is_err());
        assert!(parse_delays("10x").is_err());
        assert!(parse_delays("s").is_err());
        let d = [10, 20, 30];
        assert_eq!(retry_delay(&d, 1), 10);
        assert_eq!(retry_delay(&d, 3), 30);
        assert_eq!(retry_delay(&d, 9), 30);
        assert_eq!(retry_delay(&d, 0), 10);
    }
}
