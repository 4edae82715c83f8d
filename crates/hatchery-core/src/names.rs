//! Validated names of accounts (users and organizations share one namespace), teams and
//! repositories. A `Name` can only be built through validation, so code that holds one
//! never re-checks it.

use std::fmt;

/// What a name is for; the rules differ slightly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// Users and organizations: they share `/<name>` at the top of the site.
    Account,
    Team,
    Repository,
}

impl NameKind {
    pub fn max_len(self) -> usize {
        match self {
            NameKind::Account => 39,
            NameKind::Team => 60,
            NameKind::Repository => 100,
        }
    }
}

/// Why a name was refused. Each variant maps to a message in the catalogs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {max} characters")]
    TooLong { max: usize },
    #[error("name may only contain letters, digits, '-', '_' and '.'")]
    InvalidCharacter,
    #[error("name must start and end with a letter or digit")]
    BadEdge,
    #[error("name may not contain two punctuation characters in a row")]
    ConsecutivePunctuation,
    #[error("name is reserved")]
    Reserved,
}

impl NameError {
    /// Message-catalog key for this error.
    pub fn message_key(&self) -> &'static str {
        match self {
            NameError::Empty => "error.name.empty",
            NameError::TooLong { .. } => "error.name.too_long",
            NameError::InvalidCharacter => "error.name.invalid_character",
            NameError::BadEdge => "error.name.bad_edge",
            NameError::ConsecutivePunctuation => "error.name.consecutive_punctuation",
            NameError::Reserved => "error.name.reserved",
        }
    }
}

/// Top-level path segments the router uses, and words that would confuse people or tools.
/// Compared case-insensitively.
pub const RESERVED_ACCOUNT_NAMES: &[&str] = &[
    "about",
    "admin",
    "api",
    "assets",
    "attachments",
    "avatar",
    "avatars",
    "captcha",
    "commits",
    "debug",
    "error",
    "explore",
    "favicon.ico",
    "ghost",
    "help",
    "healthz",
    "incubator",
    "install",
    "issues",
    "login",
    "logout",
    "manifest.json",
    "metrics",
    "milestones",
    "new",
    "notifications",
    "org",
    "organizations",
    "orgs",
    "pulls",
    "raw",
    "repo",
    "repos",
    "robots.txt",
    "search",
    "settings",
    "signin",
    "signout",
    "signup",
    "sitemap.xml",
    "static",
    "swagger.v1.json",
    "user",
    "users",
    "-",
    "lang",
    "language",
    "me",
    "root",
    "system",
    "hatchery",
];

/// Repository names that clash with routes under `/<owner>/`.
pub const RESERVED_REPO_NAMES: &[&str] = &[".", "..", "-", "settings", "teams", "members"];

/// A validated name, kept as typed (case preserved). Uniqueness is case-insensitive: compare
/// with [`Name::lower`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name(String);

impl Name {
    pub fn parse(kind: NameKind, input: &str) -> Result<Name, NameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let max = kind.max_len();
        if s.chars().count() > max {
            return Err(NameError::TooLong { max });
        }
        let punct = |c: char| matches!(c, '-' | '_' | '.');
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || punct(c)) {
            return Err(NameError::InvalidCharacter);
        }
        let lower = s.to_ascii_lowercase();
        let reserved = match kind {
            NameKind::Account => RESERVED_ACCOUNT_NAMES.contains(&lower.as_str()),
            NameKind::Repository => RESERVED_REPO_NAMES.contains(&lower.as_str()),
            NameKind::Team => false,
        };
        if reserved {
            return Err(NameError::Reserved);
        }
        let first = s.chars().next().unwrap_or('-');
        let last = s.chars().last().unwrap_or('-');
        if punct(first) || punct(last) {
            return Err(NameError::BadEdge);
        }
        if s.as_bytes()
            .windows(2)
            .any(|w| punct(w[0] as char) && punct(w[1] as char))
        {
            return Err(NameError::ConsecutivePunctuation);
        }
        // `foo.git` would be ambiguous with the git endpoints; feeds and key listings use
        // the other suffixes on account pages.
        let bad_suffixes: &[&str] = match kind {
            NameKind::Repository => &[".git", ".wiki"],
            NameKind::Account => &[".git", ".keys", ".gpg", ".atom", ".rss", ".png"],
            NameKind::Team => &[],
        };
        if bad_suffixes.iter().any(|suffix| lower.ends_with(suffix)) {
            return Err(NameError::Reserved);
        }
        Ok(Name(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn lower(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(s: &str) -> Result<Name, NameError> {
        Name::parse(NameKind::Account, s)
    }

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["alice", "Li.Wei", "a", "x-1_y", "ASF", "a1b2c3"] {
            assert_eq!(acc(ok).map(|n| n.into_string()), Ok(ok.to_owned()), "{ok}");
        }
        assert_eq!(
            acc("  bob  ").map(|n| n.into_string()),
            Ok("bob".to_owned())
        );
    }

    #[test]
    fn refuses_bad_names() {
        assert_eq!(acc(""), Err(NameError::Empty));
        assert_eq!(acc("   "), Err(NameError::Empty));
        assert_eq!(acc(&"a".repeat(40)), Err(NameError::TooLong { max: 39 }));
        assert!(acc(&"a".repeat(39)).is_ok());
        for bad in ["a b", "a/b", "../x", "ä", "名字", "a@b", "a%2e", "a\0"] {
            assert_eq!(acc(bad), Err(NameError::InvalidCharacter), "{bad:?}");
        }
        for bad in ["-a", "a-", ".a", "a.", "_a"] {
            assert_eq!(acc(bad), Err(NameError::BadEdge), "{bad}");
        }
        assert_eq!(acc("a--b"), Err(NameError::ConsecutivePunctuation));
        assert_eq!(acc("a._b"), Err(NameError::ConsecutivePunctuation));
    }

    #[test]
    fn reserved_words_are_refused_case_insensitively() {
        for bad in [
            "api",
            "Admin",
            "LOGIN",
            "assets",
            "explore",
            "settings",
            "swagger.v1.json",
        ] {
            assert_eq!(acc(bad), Err(NameError::Reserved), "{bad}");
        }
        assert_eq!(acc("foo.git"), Err(NameError::Reserved));
        assert!(Name::parse(NameKind::Team, "admin").is_ok());
    }

    #[test]
    fn repository_names() {
        let repo = |s: &str| Name::parse(NameKind::Repository, s);
        assert!(repo("hatchery").is_ok());
        assert!(repo("api").is_ok());
        assert_eq!(repo("x.git"), Err(NameError::Reserved));
        assert_eq!(repo("X.GIT"), Err(NameError::Reserved));
        assert_eq!(repo(".."), Err(NameError::Reserved));
        assert_eq!(repo("settings"), Err(NameError::Reserved));
        assert!(repo(&"r".repeat(100)).is_ok());
        assert!(repo(&"r".repeat(101)).is_err());
    }
}
