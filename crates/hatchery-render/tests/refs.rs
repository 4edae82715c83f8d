//! References as links in rendered Markdown: where they are linked, what the links look
//! like, and that resolver output is treated as untrusted.

use std::cell::RefCell;

use hatchery_core::references::Reference;
use hatchery_render::{
    KeepRelative, RefLink, RefResolver, RepoLinks, markdown, markdown_references,
    markdown_with_refs,
};

/// Knows issues 1 to 99 of `o/r` (and of `other/x`), users `bob` and `alice`, and commits
/// starting with `abc`. Counts its calls.
#[derive(Default)]
struct Site {
    calls: RefCell<usize>,
}

impl RefResolver for Site {
    fn issue(&self, repo: Option<(&str, &str)>, number: i64) -> Option<RefLink> {
        *self.calls.borrow_mut() += 1;
        let (owner, repo) = repo.unwrap_or(("o", "r"));
        if !matches!((owner, repo), ("o", "r") | ("other", "x")) || !(1..100).contains(&number) {
            return None;
        }
        Some(RefLink {
            url: format!("/{owner}/{repo}/issues/{number}"),
            title: Some(format!("Issue {number}")),
        })
    }

    fn mention(&self, name: &str) -> Option<RefLink> {
        *self.calls.borrow_mut() += 1;
        matches!(name, "bob" | "alice").then(|| RefLink {
            url: format!("/{name}"),
            title: None,
        })
    }

    fn commit(&self, hex: &str) -> Option<RefLink> {
        *self.calls.borrow_mut() += 1;
        hex.starts_with("abc").then(|| RefLink {
            url: format!("/o/r/commit/{hex}"),
            title: None,
        })
    }
}

/// Resolves everything to what `f` says.
struct With<F>(F);

impl<F: Fn() -> Option<RefLink>> RefResolver for With<F> {
    fn issue(&self, _: Option<(&str, &str)>, _: i64) -> Option<RefLink> {
        (self.0)()
    }
    fn mention(&self, _: &str) -> Option<RefLink> {
        (self.0)()
    }
    fn commit(&self, _: &str) -> Option<RefLink> {
        (self.0)()
    }
}

fn render(src: &str) -> String {
    markdown_with_refs(src, &KeepRelative, &Site::default())
}

fn repo_links() -> RepoLinks {
    RepoLinks {
        blob_base: "/o/r/blob/main/".into(),
        raw_base: "/o/r/raw/main/".into(),
        dir: "docs".into(),
    }
}

fn issue(number: i64) -> Reference {
    Reference::Issue { repo: None, number }
}

/// How many reference links `html` has.
fn ref_links(html: &str) -> usize {
    html.matches(r#"<a class="ref""#).count()
}

#[test]
fn issue_reference_becomes_a_link() {
    let html = render("Fixed in #3.");
    assert_eq!(
        html,
        "<p>Fixed in <a class=\"ref\" href=\"/o/r/issues/3\" title=\"Issue 3\" \
         rel=\"nofollow noopener\">#3</a>.</p>\n"
    );
}

#[test]
fn every_kind_of_reference() {
    let html = render("@bob fixed other/x#4 in ABC1234def, see #5 and @alice.");
    assert!(
        html.contains(r#"<a class="ref" href="/bob" rel="nofollow noopener">@bob</a>"#),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<a class="ref" href="/other/x/issues/4" title="Issue 4" rel="nofollow noopener">other/x#4</a>"#
        ),
        "{html}"
    );
    // The commit id keeps its text as written; the resolver gets it lowercased.
    assert!(
        html.contains(
            r#"<a class="ref" href="/o/r/commit/abc1234def" rel="nofollow noopener">ABC1234def</a>"#
        ),
        "{html}"
    );
    assert!(html.contains(">#5</a>"), "{html}");
    assert!(html.contains(r#"href="/alice""#), "{html}");
    assert!(html.contains(">@alice</a>.</p>"), "{html}");
    assert_eq!(ref_links(&html), 5, "{html}");
}

#[test]
fn code_links_autolinks_and_raw_html_stay_plain() {
    let cases = [
        "`#3`",
        "```\n#3 @bob abc1234\n```",
        "    #3 indented code",
        "[#3](x)",
        "[see @bob](https://example.com)",
        "![#3](img.png)",
        "<https://example.com/#3>",
        "https://example.com/issues/#3",
        "www.example.com/@bob",
        "bob@example.com",
        "<span title=\"#3\">x</span>",
        "<!-- #3 @bob -->",
        "<a href=\"/x\">#3</a>",
        "<code>#3</code>",
        "<pre>\n#3\n</pre>",
        "<div>\n#3\n</div>",
        "<a href=\"/x\">\n\n#3\n\n</a>",
    ];
    let site = Site::default();
    for src in cases {
        let html = markdown_with_refs(src, &KeepRelative, &site);
        assert_eq!(ref_links(&html), 0, "{src:?}: {html}");
        assert_eq!(html, markdown(src, &KeepRelative), "{src:?}");
        assert_eq!(markdown_references(src), [], "{src:?}");
    }
}

#[test]
fn text_around_code_and_links_is_linked() {
    let html = render("`#1` #2 [#3](x) #4 <code>#5</code> #6 <a href=y>#7</a> #8");
    for n in [2, 4, 6, 8] {
        assert!(html.contains(&format!(">#{n}</a>")), "#{n}: {html}");
    }
    assert_eq!(ref_links(&html), 4, "{html}");
    assert_eq!(
        markdown_references("`#1` #2 [#3](x) #4 <code>#5</code> #6 <a href=y>#7</a> #8"),
        [issue(2), issue(4), issue(6), issue(8)]
    );
}

#[test]
fn unresolved_references_stay_plain_text() {
    let src = "#100 @carol fff0000 o/elsewhere#1 and 1234567";
    let html = render(src);
    assert_eq!(html, markdown(src, &KeepRelative));
    assert_eq!(ref_links(&html), 0);
    // Only the known one in a mix.
    let html = render("#100 #1 @carol");
    assert_eq!(ref_links(&html), 1, "{html}");
    assert!(html.contains("<p>#100 <a class=\"ref\""), "{html}");
    assert!(html.contains("</a> @carol</p>"), "{html}");
}

#[test]
fn resolver_is_asked_once_per_reference() {
    let site = Site::default();
    let html = markdown_with_refs("#1 #1 #1 @bob @bob\n\n# #1", &KeepRelative, &site);
    assert_eq!(ref_links(&html), 6, "{html}");
    assert_eq!(*site.calls.borrow(), 2);
}

#[test]
fn reference_urls_are_not_resolved_as_repository_paths() {
    let html = markdown_with_refs(
        "#3 and [a doc](guide.md) and [abs](/src/lib.rs)",
        &repo_links(),
        &Site::default(),
    );
    assert!(html.contains(r#"href="/o/r/issues/3""#), "{html}");
    assert!(
        html.contains(r#"href="/o/r/blob/main/docs/guide.md""#),
        "{html}"
    );
    assert!(
        html.contains(r#"href="/o/r/blob/main/src/lib.rs""#),
        "{html}"
    );
    // A user link to the same URL as a reference is still resolved as a path.
    let html = markdown_with_refs("#3 [x](/o/r/issues/3)", &repo_links(), &Site::default());
    assert!(html.contains(r#"href="/o/r/issues/3""#), "{html}");
    assert!(
        html.contains(r#"href="/o/r/blob/main/o/r/issues/3""#),
        "{html}"
    );
}

#[test]
fn stand_in_hrefs_cannot_be_forged() {
    // Whatever the stand-ins look like, Markdown cannot produce one for this document.
    let html = markdown_with_refs(
        "#3 [x](hatchery-ref-0000000000000000-0) <a href=\"hatchery-ref-0\">y</a>",
        &KeepRelative,
        &Site::default(),
    );
    assert_eq!(html.matches("/o/r/issues/3").count(), 1, "{html}");
    assert!(
        html.contains(r#"href="hatchery-ref-0000000000000000-0""#),
        "{html}"
    );
    assert!(html.contains(r#"href="hatchery-ref-0""#), "{html}");
}

#[test]
fn resolver_output_is_escaped_and_checked() {
    let evil = With(|| {
        Some(RefLink {
            url: "/x?a=1&b=\"><script>alert(1)</script>".to_owned(),
            title: Some("\"<script>alert(1)</script>' onmouseover='x".to_owned()),
        })
    });
    let html = markdown_with_refs("#3", &KeepRelative, &evil);
    assert!(!html.contains("<script"), "{html}");
    // The quotes stay inside the attribute values.
    assert!(
        html.contains(
            r#" title="&quot;&lt;script&gt;alert(1)&lt;/script&gt;' onmouseover='x" rel="#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"href="/x?a=1&amp;b=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;""#),
        "{html}"
    );
    assert!(html.contains(">#3</a>"), "{html}");

    for url in [
        "javascript:alert(1)",
        "data:text/html,x",
        "vbscript:x",
        "java\tscript:x",
    ] {
        let bad = With(|| {
            Some(RefLink {
                url: url.to_owned(),
                title: None,
            })
        });
        let html = markdown_with_refs("#3", &KeepRelative, &bad);
        assert_eq!(html, "<p>#3</p>\n", "{url}");
    }

    let absolute = With(|| {
        Some(RefLink {
            url: "https://example.com/i/3".to_owned(),
            title: None,
        })
    });
    let html = markdown_with_refs("#3", &KeepRelative, &absolute);
    assert!(html.contains(r#"href="https://example.com/i/3""#), "{html}");
}

#[test]
fn reference_text_is_escaped() {
    // `&` before `#` rules the reference out; entities in the source are text.
    let html = render("&amp;#3 and <b>#4</b> and **#5**");
    assert!(html.contains("&amp;#3"), "{html}");
    assert!(html.contains("<b><a class=\"ref\""), "{html}");
    assert!(html.contains("<strong><a class=\"ref\""), "{html}");
    assert_eq!(ref_links(&html), 2, "{html}");
}

#[test]
fn chinese_text_around_references() {
    let html = render("修复了 #3 的问题，感谢@bob。提交abc1234已合并");
    assert!(
        html.contains(
            "<p>修复了 <a class=\"ref\" href=\"/o/r/issues/3\" title=\"Issue 3\" \
             rel=\"nofollow noopener\">#3</a> 的问题，感谢<a class=\"ref\""
        ),
        "{html}"
    );
    assert!(html.contains(">@bob</a>。提交<a class=\"ref\""), "{html}");
    assert!(html.contains(">abc1234</a>已合并</p>"), "{html}");
    assert_eq!(markdown_references("修复了#3的问题"), [issue(3)],);
}

#[test]
fn block_structures() {
    let src = "\
# Fix #1

- [ ] #2 todo
- item @bob

| a | b |
|---|---|
| #3 | x |

> [!NOTE]
> see #4

Claim.[^n]

[^n]: From #5.
";
    let html = render(src);
    assert_eq!(ref_links(&html), 6, "{html}");
    // The heading keeps its id from its text.
    assert!(html.contains(r#"<h1 id="user-content-fix-1">"#), "{html}");
    // Links are never nested.
    for link in html.split("<a ").skip(1) {
        let body = &link[link.find('>').map_or(0, |i| i + 1)..];
        let end = body.find("</a>").unwrap_or(body.len());
        assert!(!body[..end].contains("<a"), "{html}");
    }
}

#[test]
fn emphasis_delimiters_do_not_split_text() {
    // `_` is a delimiter comrak may split at, but `_#3` is no reference.
    for src in ["a_#3", "snake_case_#3_", "x*#3", "x&#3"] {
        assert_eq!(
            markdown_references(src).len(),
            usize::from(src == "x*#3"),
            "{src}"
        );
    }
}

#[test]
fn references_are_exactly_the_linkable_set() {
    let src = "\
@bob and @bob, #1 `#2` [#3](x) fixes other/x#4

```
#5 @alice
```

<a href=\"z\">#6</a> deadbeef 1234567 **abc1234** ![#7](i.png) @carol #100
";
    let all = markdown_references(src);
    assert_eq!(
        all,
        [
            Reference::Mention("bob".into()),
            issue(1),
            Reference::Issue {
                repo: Some(("other".into(), "x".into())),
                number: 4
            },
            Reference::Commit("deadbeef".into()),
            Reference::Commit("abc1234".into()),
            Reference::Mention("carol".into()),
            issue(100),
        ]
    );
    // With a resolver that knows everything, each listed reference is linked where it
    // appears and nothing else is.
    let everything = With(|| {
        Some(RefLink {
            url: "/r".to_owned(),
            title: None,
        })
    });
    let html = markdown_with_refs(src, &KeepRelative, &everything);
    assert_eq!(ref_links(&html), 8, "{html}");
    for text in [
        "@bob",
        "#1",
        "other/x#4",
        "deadbeef",
        "abc1234",
        "@carol",
        "#100",
    ] {
        assert!(html.contains(&format!(">{text}</a>")), "{text}: {html}");
    }
}

#[test]
fn without_references_output_equals_markdown() {
    let src = "# T\n\nSome [link](a.md) and ![i](b.png) and `code` and <em>raw</em>.\n";
    assert_eq!(
        markdown_with_refs(src, &repo_links(), &Site::default()),
        markdown(src, &repo_links())
    );
}
