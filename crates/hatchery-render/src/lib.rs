//! Rendering for Hatchery's web pages, with no IO: GitHub-flavoured Markdown to
//! sanitized HTML ([`markdown`], or [`markdown_with_refs`] to link issue references,
//! mentions and commit ids), syntax highlighting by CSS classes for file views
//! ([`highlight_lines`]) and diffs ([`highlight_diff_lines`]), the matching stylesheet
//! ([`highlight_css`]) and language names ([`language_name`]).
//!
//! Highlighting uses syntect's bundled Sublime Text grammars with the pure-Rust
//! fancy-regex engine. The grammars are loaded on first use, not at start-up (see
//! [`preload`]). Every function is synchronous and CPU-bound: call them from a
//! blocking task in async code and cache results by blob id where it pays.

mod highlight;
mod links;
mod markdown;
mod refs;

pub use highlight::{
    CLASS_PREFIX, DARK_THEME, HighlightLimits, LIGHT_THEME, highlight_css, highlight_diff_lines,
    highlight_diff_lines_with, highlight_lines, highlight_lines_with, language_name,
    language_name_with_content, preload,
};
pub use links::RepoLinks;
pub use markdown::{DropRelative, ID_PREFIX, KeepRelative, LINK_REL, LinkResolver, markdown};
pub use refs::{RefLink, RefResolver, markdown_references, markdown_with_refs};
