//! CODEOWNERS files: which people and teams own which paths, so that a pull request
//! changing them asks them for review.
//!
//! The file is read from the base branch, at the first of [`CODEOWNERS_PATHS`] that
//! exists. Each line is a pattern followed by owners: `@user` or `@org/team` (anything
//! else, such as an email address, is ignored); `#` starts a comment. Patterns are
//! gitignore-style, as GitHub reads them: `*` and `?` stay within one path segment, `**`
//! spans segments, a leading `/` or a `/` inside the pattern anchors it at the root, a
//! pattern without one matches at any depth, a trailing `/` matches directories only, and
//! a pattern naming a directory owns everything below it. The last matching line wins; a
//! matching line without owners leaves the path unowned.

/// Where a CODEOWNERS file is looked for, in this order (Gitea's places).
pub const CODEOWNERS_PATHS: [&str; 3] = ["CODEOWNERS", ".gitea/CODEOWNERS", "docs/CODEOWNERS"];
/// A larger file is not read.
pub const CODEOWNERS_MAX_BYTES: usize = 128 * 1024;

/// An owner as the file names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    User(String),
    Team { org: String, team: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    /// Pattern segments, anchored at the root (an unanchored pattern starts with `**`).
    segments: Vec<String>,
    dir_only: bool,
    owners: Vec<Owner>,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeOwners {
    rules: Vec<Rule>,
}

fn owner(word: &str) -> Option<Owner> {
    let name = word.strip_prefix('@')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match name.split_once('/') {
        Some((org, team)) if ok(org) && ok(team) => Some(Owner::Team {
            org: org.to_owned(),
            team: team.to_owned(),
        }),
        None if ok(name) => Some(Owner::User(name.to_owned())),
        _ => None,
    }
}

/// The pattern's words: whitespace separates them, `\ ` keeps a space, `\#` a hash.
fn split_line(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '#' if cur.is_empty() => break,
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

impl CodeOwners {
    /// Reads a file's text; lines that make no sense are skipped.
    pub fn parse(text: &str) -> CodeOwners {
        let mut rules = Vec::new();
        for line in text.lines() {
            let words = split_line(line);
            let Some((pattern, owners)) = words.split_first() else {
                continue;
            };
            let mut p = pattern.as_str();
            let dir_only = p.len() > 1 && p.ends_with('/');
            p = p.trim_end_matches('/');
            let anchored = p.starts_with('/') || p.contains('/');
            let p = p.trim_start_matches('/');
            if p.is_empty() && !pattern.starts_with('/') {
                continue;
            }
            let mut segments: Vec<String> = Vec::new();
            if !anchored {
                segments.push("**".to_owned());
            }
            segments.extend(p.split('/').filter(|s| !s.is_empty()).map(str::to_owned));
            if segments.is_empty() {
                // "/" alone: the whole repository.
                segments.push("**".to_owned());
            }
            let mut owners: Vec<Owner> = owners.iter().filter_map(|w| owner(w)).collect();
            owners.dedup();
            rules.push(Rule {
                segments,
                dir_only,
                owners,
            });
        }
        CodeOwners { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The owners of `path` (a file's path from the root, without a leading `/`).
    pub fn owners_of(&self, path: &str) -> &[Owner] {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.rules
            .iter()
            .rev()
            .find(|r| rule_matches(r, &segs))
            .map(|r| r.owners.as_slice())
            .unwrap_or(&[])
    }

    /// The owners of any of `paths`, each once, sorted.
    pub fn owners_of_all<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Vec<Owner> {
        let mut out: Vec<Owner> = paths
            .into_iter()
            .flat_map(|p| self.owners_of(p).iter().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A rule matches a file when its pattern matches the file itself (unless it is for
/// directories only) or one of the directories that contain it.
fn rule_matches(rule: &Rule, path: &[&str]) -> bool {
    let pat: Vec<&str> = rule.segments.iter().map(String::as_str).collect();
    let upto = if rule.dir_only {
        path.len().saturating_sub(1)
    } else {
        path.len()
    };
    (1..=upto).any(|n| match_segments(&pat, &path[..n]))
}

fn match_segments(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| match_segments(rest, &path[skip..])),
        Some((p, rest)) => match path.split_first() {
            Some((s, tail)) => {
                glob_segment(p.as_bytes(), s.as_bytes()) && match_segments(rest, tail)
            }
            None => false,
        },
    }
}

/// `*` any run of characters, `?` one character, everything else itself.
fn glob_segment(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob_segment(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob_segment(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_segment(rest, &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: &str) -> Owner {
        Owner::User(n.to_owned())
    }

    fn team(o: &str, t: &str) -> Owner {
        Owner::Team {
            org: o.to_owned(),
            team: t.to_owned(),
        }
    }

    const FILE: &str = "\
# Default owners
*                 @ada
*.js              @bob @acme/web   # trailing comment
/docs/            @carol
build/logs/       @dave
apps/             @erin
/scripts/*.sh     @frank
**/vendor         @gina
src/**/test_*.rs  @hank
/LICENSE
mail.txt          someone@example.org @ivan
bad               @/x @a/b/c @jo\\#e
";

    #[test]
    fn the_last_matching_line_wins() {
        let co = CodeOwners::parse(FILE);
        assert_eq!(co.owners_of("README.md"), [user("ada")]);
        assert_eq!(
            co.owners_of("web/app.js"),
            [user("bob"), team("acme", "web")]
        );
        assert_eq!(co.owners_of("app.js"), [user("bob"), team("acme", "web")]);
        assert_eq!(co.owners_of("docs/guide/intro.md"), [user("carol")]);
        // Anchored: docs below the root are not /docs/.
        assert_eq!(co.owners_of("src/docs/x.md"), [user("ada")]);
        // "build/logs/" has a slash inside: anchored at the root.
        assert_eq!(co.owners_of("build/logs/a.txt"), [user("dave")]);
        assert_eq!(co.owners_of("x/build/logs/a.txt"), [user("ada")]);
        // A directory pattern without a slash inside matches at any depth.
        assert_eq!(co.owners_of("apps/a.rs"), [user("erin")]);
        assert_eq!(co.owners_of("x/apps/y/a.rs"), [user("erin")]);
        // ...but a file named like it is not a directory.
        assert_eq!(co.owners_of("x/apps"), [user("ada")]);
        assert_eq!(co.owners_of("scripts/build.sh"), [user("frank")]);
        assert_eq!(co.owners_of("scripts/sub/build.sh"), [user("ada")]);
        assert_eq!(co.owners_of("a/b/vendor/lib.c"), [user("gina")]);
        assert_eq!(co.owners_of("vendor"), [user("gina")]);
        assert_eq!(co.owners_of("src/test_a.rs"), [user("hank")]);
        assert_eq!(co.owners_of("src/x/y/test_a.rs"), [user("hank")]);
        assert_eq!(co.owners_of("src/x/a.rs"), [user("ada")]);
        // A line without owners leaves the path unowned.
        assert!(co.owners_of("LICENSE").is_empty());
        // Emails are ignored; malformed names too; escapes keep characters.
        assert_eq!(co.owners_of("mail.txt"), [user("ivan")]);
        assert!(co.owners_of("bad").is_empty());
    }

    #[test]
    fn owners_of_many_files_are_listed_once() {
        let co = CodeOwners::parse(FILE);
        assert_eq!(
            co.owners_of_all(["a.js", "b.js", "docs/x", "README"]),
            vec![user("ada"), user("bob"), user("carol"), team("acme", "web")]
        );
        assert!(CodeOwners::parse("").owners_of_all(["a"]).is_empty());
        assert!(CodeOwners::parse("# only a comment\n\n").is_empty());
    }

    #[test]
    fn globs_stay_in_their_segment() {
        let co = CodeOwners::parse("/src/*.rs @a\n/x?z @b\n/one/**/two @c\n");
        assert_eq!(co.owners_of("src/main.rs"), [user("a")]);
        assert!(co.owners_of("src/sub/main.rs").is_empty());
        assert_eq!(co.owners_of("xyz"), [user("b")]);
        assert!(co.owners_of("x/z").is_empty());
        assert_eq!(co.owners_of("one/two"), [user("c")]);
        assert_eq!(co.owners_of("one/a/b/two/f"), [user("c")]);
    }
}
