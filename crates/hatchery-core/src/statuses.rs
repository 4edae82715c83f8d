//! Commit statuses: what external CI reports about a commit, per context (`ci/build`,
//! `lint`). Gitea's states and its way of combining them: the worst state wins, so one
//! failing context makes the commit fail.

use std::fmt;
use std::str::FromStr;

/// A context names one check (`ci/build`); long enough for any CI's naming.
pub const CONTEXT_MAX: usize = 255;
/// Descriptions are one line shown on hover.
pub const DESCRIPTION_MAX: usize = 1024;
/// A link to the CI run.
pub const TARGET_URL_MAX: usize = 2048;

/// The state of one check, in Gitea's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommitState {
    Pending,
    Success,
    Error,
    Failure,
    Warning,
}

impl CommitState {
    pub const ALL: [CommitState; 5] = [
        CommitState::Pending,
        CommitState::Success,
        CommitState::Error,
        CommitState::Failure,
        CommitState::Warning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommitState::Pending => "pending",
            CommitState::Success => "success",
            CommitState::Error => "error",
            CommitState::Failure => "failure",
            CommitState::Warning => "warning",
        }
    }

    /// Lower is worse: error, failure, warning, pending, success (Gitea's priorities).
    fn rank(self) -> u8 {
        match self {
            CommitState::Error => 0,
            CommitState::Failure => 1,
            CommitState::Warning => 2,
            CommitState::Pending => 3,
            CommitState::Success => 4,
        }
    }

    /// Only `success` satisfies a required check.
    pub fn is_success(self) -> bool {
        self == CommitState::Success
    }
}

impl fmt::Display for CommitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CommitState {
    type Err = StatusError;
    fn from_str(s: &str) -> Result<Self, StatusError> {
        CommitState::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(StatusError::State)
    }
}

/// The state of a commit as a whole: the worst of its contexts' latest states; `pending`
/// when nothing was reported (as GitHub answers).
pub fn combined_state(latest: impl IntoIterator<Item = CommitState>) -> CommitState {
    latest
        .into_iter()
        .min_by_key(|s| s.rank())
        .unwrap_or(CommitState::Pending)
}

/// Why a reported status is refused; `key()` is its message-catalog key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error("state must be one of pending, success, error, failure, warning")]
    State,
    #[error("context is too long or holds control characters")]
    Context,
    #[error("description is too long")]
    Description,
    #[error("target_url must be an http or https URL")]
    TargetUrl,
}

impl StatusError {
    pub fn key(self) -> &'static str {
        match self {
            StatusError::State => "statuses.bad_state",
            StatusError::Context => "statuses.bad_context",
            StatusError::Description => "statuses.bad_description",
            StatusError::TargetUrl => "statuses.bad_target_url",
        }
    }
}

/// A status as reported, checked and trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatus {
    pub state: CommitState,
    pub context: String,
    pub description: String,
    pub target_url: String,
}

impl NewStatus {
    /// An empty context is `default`, as in Gitea. The target URL is shown as a link, so
    /// only http(s) is accepted (no `javascript:`).
    pub fn parse(
        state: &str,
        context: &str,
        description: &str,
        target_url: &str,
    ) -> Result<NewStatus, StatusError> {
        let state = state.trim().parse()?;
        let context = match context.trim() {
            "" => "default",
            c => c,
        };
        if context.chars().count() > CONTEXT_MAX || context.chars().any(char::is_control) {
            return Err(StatusError::Context);
        }
        let description = description.trim();
        if description.chars().count() > DESCRIPTION_MAX {
            return Err(StatusError::Description);
        }
        let target_url = target_url.trim();
        let lower = target_url.to_ascii_lowercase();
        if !target_url.is_empty()
            && (target_url.len() > TARGET_URL_MAX
                || target_url.chars().any(|c| c.is_control() || c == ' ')
                || !(lower.starts_with("http://") || lower.starts_with("https://")))
        {
            return Err(StatusError::TargetUrl);
        }
        Ok(NewStatus {
            state,
            context: context.to_owned(),
            description: description.to_owned(),
            target_url: target_url.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommitState::*;

    #[test]
    fn states_round_trip() {
        for s in CommitState::ALL {
            assert_eq!(s.as_str().parse::<CommitState>(), Ok(s));
        }
        assert_eq!("SUCCESS".parse::<CommitState>(), Err(StatusError::State));
        assert_eq!("".parse::<CommitState>(), Err(StatusError::State));
    }

    #[test]
    fn worst_state_wins() {
        assert_eq!(combined_state([]), Pending);
        assert_eq!(combined_state([Success]), Success);
        assert_eq!(combined_state([Success, Pending]), Pending);
        assert_eq!(combined_state([Success, Warning, Pending]), Warning);
        assert_eq!(combined_state([Warning, Failure]), Failure);
        assert_eq!(combined_state([Failure, Error, Success]), Error);
        assert!(Success.is_success());
        assert!(!Warning.is_success());
    }

    #[test]
    fn parsing_reports() {
        let ok = NewStatus::parse(" success ", " ci/build ", " done ", "https://ci/1").unwrap();
        assert_eq!(ok.state, Success);
        assert_eq!(ok.context, "ci/build");
        assert_eq!(ok.description, "done");
        assert_eq!(
            NewStatus::parse("pending", "", "", "").unwrap().context,
            "default"
        );
        assert_eq!(
            NewStatus::parse("done", "c", "", ""),
            Err(StatusError::State)
        );
        assert_eq!(
            NewStatus::parse("success", "a\nb", "", ""),
            Err(StatusError::Context)
        );
        assert_eq!(
            NewStatus::parse("success", &"c".repeat(256), "", ""),
            Err(StatusError::Context)
        );
        assert_eq!(
            NewStatus::parse("success", "c", &"d".repeat(1025), ""),
            Err(StatusError::Description)
        );
        for bad in ["javascript:alert(1)", "ftp://x", "http://a b", "/relative"] {
            assert_eq!(
                NewStatus::parse("success", "c", "", bad),
                Err(StatusError::TargetUrl),
                "{bad}"
            );
        }
        assert!(NewStatus::parse("success", "c", "", "HTTP://CI.example/1").is_ok());
        assert_eq!(StatusError::TargetUrl.key(), "statuses.bad_target_url");
    }
}
