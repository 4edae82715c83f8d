//! Resolving relative links of a Markdown file inside its repository.

use crate::markdown::{ID_PREFIX, LinkResolver};

/// Resolves the relative links and images of a Markdown file shown from a repository.
///
/// ```
/// use hatchery_render::{LinkResolver, RepoLinks};
/// let links = RepoLinks {
///     blob_base: "/o/r/blob/main/".into(),
///     raw_base: "/o/r/raw/main/".into(),
///     dir: "docs".into(),
/// };
/// assert_eq!(links.link("guide.md").as_deref(), Some("/o/r/blob/main/docs/guide.md"));
/// assert_eq!(links.link("../README.md").as_deref(), Some("/o/r/blob/main/README.md"));
/// assert_eq!(links.link("/src/lib.rs#L3").as_deref(), Some("/o/r/blob/main/src/lib.rs#L3"));
/// assert_eq!(links.image("img/logo.png").as_deref(), Some("/o/r/raw/main/docs/img/logo.png"));
/// ```
///
/// Paths are taken as written in the Markdown, which is already URL-encoded
/// (`my%20file.md`); the bases must be URL-encoded as well. `.` and `..` segments
/// (also written `%2e` or with `\` separators, which browsers honour) are resolved
/// here and `..` stops at the repository root, so a link never leaves the repository.
/// A link ending in `/` keeps its slash: it names a directory, which the blob view
/// should redirect to the tree view.
///
/// Fragments: `#part` alone is a heading of the same document and becomes
/// `#user-content-part` (the ids of rendered Markdown carry that prefix); on a link to
/// another Markdown file the fragment gets the same prefix; on other files (`#L10`
/// line anchors) it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoLinks {
    /// Prefix for links to files, ending with `/`: `"/owner/repo/blob/main/"`.
    pub blob_base: String,
    /// Prefix for images, ending with `/`: `"/owner/repo/raw/main/"`.
    pub raw_base: String,
    /// Directory of the Markdown file inside the repository, `""` for the root,
    /// without leading or trailing `/` (both are tolerated).
    pub dir: String,
}

impl RepoLinks {
    fn resolve(&self, base: &str, url: &str) -> Option<String> {
        // Browsers drop tabs and newlines anywhere in a URL and trim C0 controls and
        // spaces at its ends; do the same before reading dot segments.
        let cleaned: String = url
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let url = cleaned.trim_matches(|c: char| c <= ' ');

        if let Some(fragment) = url.strip_prefix('#') {
            return Some(prefixed_fragment(fragment));
        }
        if has_scheme(url) {
            return None;
        }
        let (rest, fragment) = match url.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (url, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };

        let mut segments: Vec<&str> = Vec::new();
        let from_root = path.starts_with(['/', '\\']);
        if !from_root {
            segments.extend(
                self.dir
                    .split(['/', '\\'])
                    .filter(|s| !s.is_empty() && !is_dot(s)),
            );
        }
        let mut trailing_slash = false;
        for segment in path.split(['/', '\\']) {
            trailing_slash = false;
            if segment.is_empty() || is_dot(segment) {
                trailing_slash = !segments.is_empty();
            } else if is_dot_dot(segment) {
                segments.pop();
                trailing_slash = !segments.is_empty();
            } else {
                segments.push(segment);
            }
        }

        let mut out = String::with_capacity(base.len() + path.len() + 16);
        out.push_str(base);
        out.push_str(&segments.join("/"));
        if trailing_slash {
            out.push('/');
        }
        if let Some(query) = query {
            out.push('?');
            out.push_str(query);
        }
        if let Some(fragment) = fragment {
            let last = segments.last().copied().unwrap_or("");
            if is_markdown_name(last) {
                out.push_str(&prefixed_fragment(fragment));
            } else {
                out.push('#');
                out.push_str(fragment);
            }
        }
        Some(out)
    }
}

impl LinkResolver for RepoLinks {
    fn link(&self, url: &str) -> Option<String> {
        if let Some(kept) = kept_absolute(url) {
            return kept;
        }
        if is_network_path(url) {
            return Some(url.to_owned());
        }
        self.resolve(&self.blob_base, url)
    }

    fn image(&self, url: &str) -> Option<String> {
        if let Some(kept) = kept_absolute(url) {
            return kept;
        }
        if is_network_path(url) {
            return Some(url.to_owned());
        }
        self.resolve(&self.raw_base, url)
    }
}

/// `Some(answer)` for a URL with a scheme: kept when `http`, `https` or `mailto`.
fn kept_absolute(url: &str) -> Option<Option<String>> {
    let trimmed = url.trim_matches(|c: char| c <= ' ');
    if !has_scheme(trimmed) {
        return None;
    }
    let scheme = trimmed.split(':').next().unwrap_or("").to_ascii_lowercase();
    let safe = matches!(scheme.as_str(), "http" | "https" | "mailto")
        && !trimmed.chars().any(|c| c.is_ascii_control());
    Some(safe.then(|| trimmed.to_owned()))
}

fn is_network_path(url: &str) -> bool {
    let url = url.trim_matches(|c: char| c <= ' ');
    url.starts_with("//")
}

/// `true` if the URL starts with `scheme:` (a letter, then letters, digits, `+-.`),
/// ignoring tabs and newlines as browsers do.
fn has_scheme(url: &str) -> bool {
    let mut chars = url.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    for c in chars {
        match c {
            ':' => return true,
            c if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {}
            _ => return false,
        }
    }
    false
}

fn is_dot(segment: &str) -> bool {
    segment == "." || segment.eq_ignore_ascii_case("%2e")
}

fn is_dot_dot(segment: &str) -> bool {
    matches!(
        segment.to_ascii_lowercase().as_str(),
        ".." | ".%2e" | "%2e." | "%2e%2e"
    )
}

fn is_markdown_name(name: &str) -> bool {
    let Some((_, ext)) = name.rsplit_once('.') else {
        return false;
    };
    ["md", "markdown", "mdown", "mkd", "mkdn"]
        .iter()
        .any(|m| ext.eq_ignore_ascii_case(m))
}

fn prefixed_fragment(fragment: &str) -> String {
    if fragment.is_empty() || fragment.starts_with(ID_PREFIX) {
        format!("#{fragment}")
    } else {
        format!("#{ID_PREFIX}{fragment}")
    }
}
