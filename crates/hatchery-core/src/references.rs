//! References in free text: issues (`#12`, `owner/repo#12`), mentions (`@name`) and commit
//! ids (`1a2b3c4`), and the issues a text says it closes ("fixes #12").
//!
//! The rules follow GitHub's closely enough that text written for one reads the same on the
//! other. Every boundary rule ("preceded by", "followed by") looks at ASCII only: any
//! non-ASCII character counts as a separator, so Chinese or Japanese text, which has no
//! spaces, still works (`修复了#3的问题` refers to #3), as it does on GitHub.
//!
//! Whether a reference names something that exists is not decided here: callers resolve
//! what [`scan`] finds and ignore the rest.

use std::collections::HashSet;
use std::ops::Range;

/// A reference found in text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `#12` (repo `None`: the repository the text belongs to) or `owner/repo#12`
    /// (repo `Some((owner, repo))`, as written).
    Issue {
        repo: Option<(String, String)>,
        number: i64,
    },
    /// `@name`, without the `@`, as written.
    Mention(String),
    /// 7 to 40 hex digits standing alone, lowercased.
    Commit(String),
}

/// A reference and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub reference: Reference,
    /// Byte range of the reference in the scanned text, on char boundaries: `#12`,
    /// `owner/repo#12`, `@name` (with the `@`) or the commit id as written.
    pub range: Range<usize>,
}

/// Longest issue number: nine digits always fit an `i64` (and an `i32`), and longer digit
/// runs are more likely phone or order numbers than issues.
const MAX_NUMBER_DIGITS: usize = 9;
/// Git abbreviates commit ids to 7 hex digits at least; a SHA-1 id has 40.
const MIN_COMMIT_LEN: usize = 7;
const MAX_COMMIT_LEN: usize = 40;

/// Every reference in plain text, in order, non-overlapping. Scanning goes left to right
/// and the first reference that starts at a position wins, trying `owner/repo#N` before
/// `#N`, `@name` and commit ids.
///
/// Rules ("alphanumeric" means ASCII `[A-Za-z0-9]`; name chars are `[A-Za-z0-9._-]`):
///
/// - `#N`: N is 1 to 9 digits, not followed by an alphanumeric or `_`. The `#` is at the
///   start of the text or after a char that is not alphanumeric, `_`, `&`, `/` or `#`, so
///   `&#12;` (an HTML entity), `a#1`, `x/#1` (a URL fragment) and `##1` are not references.
/// - `owner/repo#N`: owner and repo are one or more name chars, the owner not starting with
///   `.` or `-`; the owner is at the start of the text or after a char that is neither a
///   name char nor `/` (so `host/owner/repo#1`, a URL path, is not a reference). N as above.
/// - `@name`: name is `[A-Za-z0-9][A-Za-z0-9._-]*` with trailing `.`, `-` and `_` trimmed
///   (so "thanks @bob." mentions `bob`); the `@` is at the start of the text or after a char
///   that is not alphanumeric, `_`, `.`, `@` or `/`, so `a@b.com` (an email address) is not
///   a mention.
/// - Commit id: 7 to 40 hex digits (either case) with neither an alphanumeric nor `_`
///   directly before or after, and not all decimal digits (`1234567` is a number). Lowercased
///   in the [`Reference`]; an English word made of hex letters (`deadbeef`, `defaced`) is
///   found too, so resolvers should only link ids of commits that exist.
pub fn scan(text: &str) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    // Every reference starts and ends at an ASCII byte, so ranges fall on char boundaries;
    // the bytes of a multi-byte char are all >= 0x80 and never start a reference.
    while i < bytes.len() {
        match reference_at(bytes, i) {
            Some((reference, end)) => {
                found.push(Found {
                    reference,
                    range: i..end,
                });
                i = end;
            }
            None => i += 1,
        }
    }
    found
}

/// The issues a commit message or issue text says it closes, deduplicated, in order of
/// first appearance: `fixes #12`, `Closes: owner/repo#3`.
///
/// A closing reference is an issue reference (as [`scan`] finds them) directly preceded by
/// a keyword, an optional `:` right after the keyword and at least one whitespace char. The
/// keywords are close, closes, closed, fix, fixes, fixed, resolve, resolves and resolved, in
/// any case, as whole words (`prefixes #1` closes nothing). As on GitHub, each issue of a
/// list needs its keyword: "fixes #1, fixes #2" closes both, "fixes #1, #2" only #1.
pub fn closing_issues(text: &str) -> Vec<(Option<(String, String)>, i64)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for found in scan(text) {
        let Reference::Issue { repo, number } = found.reference else {
            continue;
        };
        if follows_closing_keyword(&text.as_bytes()[..found.range.start]) {
            let key = (repo, number);
            if seen.insert(key.clone()) {
                out.push(key);
            }
        }
    }
    out
}

const CLOSING_KEYWORDS: &[&str] = &[
    "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved",
];

/// `true` when `before` ends with a closing keyword, an optional `:` and whitespace.
fn follows_closing_keyword(before: &[u8]) -> bool {
    // Unicode whitespace (a full-width space, say) counts; the keyword itself is ASCII,
    // so everything before the whitespace can be looked at byte by byte.
    let Ok(before) = std::str::from_utf8(before) else {
        return false;
    };
    let trimmed = before.trim_end_matches(char::is_whitespace);
    if trimmed.len() == before.len() {
        return false;
    }
    let trimmed = trimmed.as_bytes();
    let trimmed = trimmed.strip_suffix(b":").unwrap_or(trimmed);
    CLOSING_KEYWORDS.iter().any(|keyword| {
        let keyword = keyword.as_bytes();
        trimmed.len() >= keyword.len() && {
            let start = trimmed.len() - keyword.len();
            trimmed[start..].eq_ignore_ascii_case(keyword)
                && (start == 0 || !is_word(trimmed[start - 1]))
        }
    })
}

/// `[A-Za-z0-9_]`: what may not touch a number or commit id.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `[A-Za-z0-9._-]`: account and repository names.
fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Length of the run of bytes matching `pred` starting at `from`.
fn run(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&b| pred(b)).count())
}

/// The reference starting at byte `i`, with its end.
fn reference_at(bytes: &[u8], i: usize) -> Option<(Reference, usize)> {
    let first = *bytes.get(i)?;
    let prev = i.checked_sub(1).map(|p| bytes[p]);
    match first {
        b'#' => {
            if prev.is_some_and(|p| is_word(p) || matches!(p, b'&' | b'/' | b'#')) {
                return None;
            }
            let (number, end) = issue_number(bytes, i + 1)?;
            Some((Reference::Issue { repo: None, number }, end))
        }
        b'@' => {
            if prev.is_some_and(|p| is_word(p) || matches!(p, b'.' | b'@' | b'/')) {
                return None;
            }
            let start = i + 1;
            if !bytes.get(start).is_some_and(u8::is_ascii_alphanumeric) {
                return None;
            }
            let mut end = start + run(bytes, start, is_name);
            while matches!(bytes[end - 1], b'.' | b'-' | b'_') {
                end -= 1;
            }
            let name = ascii(&bytes[start..end]);
            Some((Reference::Mention(name), end))
        }
        _ if is_name(first) => repo_issue(bytes, i, prev).or_else(|| commit(bytes, i, prev)),
        _ => None,
    }
}

/// `N` of `#N` starting at `from`: 1 to 9 digits not followed by a word char.
fn issue_number(bytes: &[u8], from: usize) -> Option<(i64, usize)> {
    let digits = run(bytes, from, |b| b.is_ascii_digit());
    if digits == 0 || digits > MAX_NUMBER_DIGITS {
        return None;
    }
    let end = from + digits;
    if bytes.get(end).is_some_and(|&b| is_word(b)) {
        return None;
    }
    let number = bytes[from..end]
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    Some((number, end))
}

/// `owner/repo#N` with the owner starting at `i`.
fn repo_issue(bytes: &[u8], i: usize, prev: Option<u8>) -> Option<(Reference, usize)> {
    if matches!(bytes[i], b'.' | b'-') || prev.is_some_and(|p| is_name(p) || p == b'/') {
        return None;
    }
    let owner_end = i + run(bytes, i, is_name);
    if bytes.get(owner_end) != Some(&b'/') {
        return None;
    }
    let repo_start = owner_end + 1;
    let repo_end = repo_start + run(bytes, repo_start, is_name);
    if repo_end == repo_start || bytes.get(repo_end) != Some(&b'#') {
        return None;
    }
    let (number, end) = issue_number(bytes, repo_end + 1)?;
    let repo = (
        ascii(&bytes[i..owner_end]),
        ascii(&bytes[repo_start..repo_end]),
    );
    Some((
        Reference::Issue {
            repo: Some(repo),
            number,
        },
        end,
    ))
}

/// A commit id starting at `i`.
fn commit(bytes: &[u8], i: usize, prev: Option<u8>) -> Option<(Reference, usize)> {
    if prev.is_some_and(is_word) {
        return None;
    }
    let len = run(bytes, i, |b| b.is_ascii_hexdigit());
    let end = i + len;
    if !(MIN_COMMIT_LEN..=MAX_COMMIT_LEN).contains(&len)
        || bytes.get(end).is_some_and(|&b| is_word(b))
    {
        return None;
    }
    let hex = &bytes[i..end];
    if hex.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((Reference::Commit(ascii(hex).to_ascii_lowercase()), end))
}

/// A string from bytes the scanner matched, which are all ASCII.
fn ascii(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(number: i64) -> Reference {
        Reference::Issue { repo: None, number }
    }

    fn repo_issue(owner: &str, repo: &str, number: i64) -> Reference {
        Reference::Issue {
            repo: Some((owner.to_owned(), repo.to_owned())),
            number,
        }
    }

    fn mention(name: &str) -> Reference {
        Reference::Mention(name.to_owned())
    }

    fn commit(hex: &str) -> Reference {
        Reference::Commit(hex.to_owned())
    }

    fn refs(text: &str) -> Vec<Reference> {
        scan(text).into_iter().map(|f| f.reference).collect()
    }

    /// The text each reference was found in.
    fn spans(text: &str) -> Vec<&str> {
        scan(text).into_iter().map(|f| &text[f.range]).collect()
    }

    #[test]
    fn issues() {
        let cases: &[(&str, &[Reference])] = &[
            ("#12", &[issue(12)]),
            ("see #12.", &[issue(12)]),
            (
                "(#1) [#2] {#3}, #4; #5: #6!",
                &[issue(1), issue(2), issue(3), issue(4), issue(5), issue(6)],
            ),
            ("#1\n#2\t#3", &[issue(1), issue(2), issue(3)]),
            ("#123456789", &[issue(123_456_789)]),
            ("#1234567890", &[]),
            ("#007", &[issue(7)]),
            ("#", &[]),
            ("# 1", &[]),
            ("#12a", &[]),
            ("#12_", &[]),
            ("#12-", &[issue(12)]),
            ("a#1", &[]),
            ("_#1", &[]),
            ("&#12;", &[]),
            ("x/#1", &[]),
            ("##1", &[]),
            ("#1#2", &[issue(1)]),
            ("-#1", &[issue(1)]),
            ("\"#1\"", &[issue(1)]),
        ];
        for (text, want) in cases {
            assert_eq!(refs(text), *want, "{text:?}");
        }
    }

    #[test]
    fn cross_repository_issues() {
        let cases: &[(&str, &[Reference])] = &[
            ("owner/repo#3", &[repo_issue("owner", "repo", 3)]),
            (
                "see Li.Wei/my_repo-2.x#3.",
                &[repo_issue("Li.Wei", "my_repo-2.x", 3)],
            ),
            ("_o/r#1", &[repo_issue("_o", "r", 1)]),
            ("(o/r#1)", &[repo_issue("o", "r", 1)]),
            ("o/r#1x", &[]),
            ("o/r #1", &[issue(1)]),
            ("o/#1", &[]),
            ("/r#1", &[]),
            (".o/r#1", &[]),
            ("-o/r#1", &[]),
            ("host/o/r#1", &[]),
            ("https://example.com/o/r#1", &[]),
            ("o/r/#1", &[]),
            ("o/r#1234567890", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(refs(text), *want, "{text:?}");
        }
    }

    #[test]
    fn mentions() {
        let cases: &[(&str, &[Reference])] = &[
            ("@bob", &[mention("bob")]),
            ("thanks @bob.", &[mention("bob")]),
            (
                "@bob, @alice-x and @Li.Wei!",
                &[mention("bob"), mention("alice-x"), mention("Li.Wei")],
            ),
            ("@bob_-.", &[mention("bob")]),
            ("@bob's", &[mention("bob")]),
            ("(@bob)", &[mention("bob")]),
            ("@9lives", &[mention("9lives")]),
            ("@", &[]),
            ("@ bob", &[]),
            ("@-bob", &[]),
            ("@_bob", &[]),
            ("@.bob", &[]),
            ("a@b.com", &[]),
            ("mail bob@example.com now", &[]),
            ("_@bob", &[]),
            (".@bob", &[]),
            ("@@bob", &[]),
            ("/@bob", &[]),
            ("-@bob", &[mention("bob")]),
        ];
        for (text, want) in cases {
            assert_eq!(refs(text), *want, "{text:?}");
        }
        assert_eq!(spans("thanks @bob."), ["@bob"]);
    }

    #[test]
    fn commits() {
        let cases: &[(&str, &[Reference])] = &[
            ("1a2b3c4", &[commit("1a2b3c4")]),
            ("in 1A2B3C4D.", &[commit("1a2b3c4d")]),
            (
                "9fceb02d0ae598e95dc970b74767f19372d61af8",
                &[commit("9fceb02d0ae598e95dc970b74767f19372d61af8")],
            ),
            ("9fceb02d0ae598e95dc970b74767f19372d61af8a", &[]),
            ("1a2b3c", &[]),
            ("1234567", &[]),
            ("deadbeef", &[commit("deadbeef")]),
            ("1a2b3c4g", &[]),
            ("g1a2b3c4", &[]),
            ("_1a2b3c4", &[]),
            ("1a2b3c4_", &[]),
            ("v1.0-1a2b3c4", &[commit("1a2b3c4")]),
            ("(1a2b3c4)", &[commit("1a2b3c4")]),
            ("1a2b3c4..5e6f7a8", &[commit("1a2b3c4"), commit("5e6f7a8")]),
        ];
        for (text, want) in cases {
            assert_eq!(refs(text), *want, "{text:?}");
        }
        assert_eq!(spans("in 1A2B3C4D."), ["1A2B3C4D"]);
    }

    #[test]
    fn mixed_text_in_order() {
        let text = "@bob fixed #3 in abc1234 (see o/r#4), thanks @alice.";
        assert_eq!(
            refs(text),
            [
                mention("bob"),
                issue(3),
                commit("abc1234"),
                repo_issue("o", "r", 4),
                mention("alice"),
            ]
        );
        assert_eq!(spans(text), ["@bob", "#3", "abc1234", "o/r#4", "@alice"]);
    }

    #[test]
    fn unicode_text() {
        let text = "修复了 #3 的问题";
        assert_eq!(
            scan(text),
            [Found {
                reference: issue(3),
                range: 10..12,
            }]
        );
        // No spaces, as Chinese is usually written.
        assert_eq!(refs("修复了#3的问题"), [issue(3)]);
        assert_eq!(
            spans("感谢@bob。提交1a2b3c4和o/r#5"),
            ["@bob", "1a2b3c4", "o/r#5"]
        );
        assert_eq!(refs("é#1 ü@bob"), [issue(1), mention("bob")]);
        assert_eq!(refs("🎉 #1 🎉"), [issue(1)]);
        assert_eq!(refs(""), []);
    }

    #[test]
    fn closing_keywords() {
        let none = |n: i64| (None, n);
        type Closing = (Option<(String, String)>, i64);
        let cases: &[(&str, &[Closing])] = &[
            ("fixes #12", &[none(12)]),
            (
                "Closes: owner/repo#3",
                &[(Some(("owner".to_owned(), "repo".to_owned())), 3)],
            ),
            ("FIXED #1", &[none(1)]),
            ("close #1 closed #2 closes #3", &[none(1), none(2), none(3)]),
            (
                "fix #1 resolve #2 resolves #3 resolved #4",
                &[none(1), none(2), none(3), none(4)],
            ),
            ("fixes #1, fixes #2", &[none(1), none(2)]),
            ("fixes #1, #2", &[none(1)]),
            ("fixes #1 and fixes #1", &[none(1)]),
            ("Fixes:\t #7", &[none(7)]),
            ("fixes\n#7", &[none(7)]),
            ("(fixes #7)", &[none(7)]),
            ("修复，fixes #7", &[none(7)]),
            ("fixes #7 in 修复", &[none(7)]),
            ("fixes　#7", &[none(7)]),
            ("fixes#7", &[]),
            ("fixes:#7", &[]),
            ("fixes : #7", &[]),
            ("fixes  the #7", &[]),
            ("prefixes #7", &[]),
            ("hotfix #7", &[]),
            ("fixes_ #7", &[]),
            ("see #7", &[]),
            ("fixes @bob", &[]),
            ("fixes 1a2b3c4", &[]),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(closing_issues(text), *want, "{text:?}");
        }
    }

    #[test]
    fn ranges_slice_the_references() {
        let text = "x #1 y o/r#22 z @bob. w ABCDEF1 修 #3";
        for found in scan(text) {
            let again = scan(&text[found.range.clone()]);
            assert_eq!(again.len(), 1, "{found:?}");
            assert_eq!(again[0].reference, found.reference);
        }
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        /// Slices of the text at each range are char-aligned and scan back to the same
        /// single reference.
        fn check(text: &str) -> Result<(), TestCaseError> {
            let found = scan(text);
            let mut last_end = 0;
            for f in &found {
                prop_assert!(f.range.start >= last_end, "overlap in {text:?}");
                prop_assert!(f.range.start < f.range.end);
                prop_assert!(text.is_char_boundary(f.range.start));
                prop_assert!(text.is_char_boundary(f.range.end));
                last_end = f.range.end;
                let slice = &text[f.range.clone()];
                let again = scan(slice);
                prop_assert_eq!(again.len(), 1, "{:?} in {:?}", slice, text);
                prop_assert_eq!(&again[0].reference, &f.reference);
                prop_assert_eq!(again[0].range.clone(), 0..slice.len());
            }
            let _ = closing_issues(text);
            Ok(())
        }

        proptest! {
            #[test]
            fn arbitrary_strings(text in any::<String>()) {
                check(&text)?;
            }

            #[test]
            fn reference_like_strings(
                text in "([#@/&._:, \n-]|[a-f0-9]{1,9}|[A-Z]|fixes|修|é|🎉){0,30}"
            ) {
                check(&text)?;
            }
        }
    }
}
