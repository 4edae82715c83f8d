//! Markdown rendering: GFM features, sanitizing, link resolution, code fences.

use hatchery_render::{DropRelative, KeepRelative, LinkResolver, RepoLinks, markdown};

fn repo(dir: &str) -> RepoLinks {
    RepoLinks {
        blob_base: "/o/r/blob/main/".into(),
        raw_base: "/o/r/raw/main/".into(),
        dir: dir.into(),
    }
}

/// All opening tags of an element in `html` (`<input …>`), attribute text included.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if after.starts_with([' ', '>']) {
            let end = after
                .find('>')
                .map_or(rest.len(), |e| i + open.len() + e + 1);
            out.push(&rest[i..end]);
        }
        rest = &rest[i + open.len()..];
    }
    out
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(&tag[start..start + tag[start..].find('"')?])
}

#[test]
fn gfm_features() {
    let src = "\
# Title

| Left | Right |
|:-----|------:|
| a    | b     |

- [x] done
- [ ] open

~~old~~ and https://example.com/path?q=1 and www.example.org and someone@example.com

A claim.[^note]

[^note]: The source.
";
    let html = markdown(src, &KeepRelative);

    assert!(html.contains("<table>"), "{html}");
    assert!(html.contains(r#"<th align="left">Left</th>"#), "{html}");
    assert!(html.contains(r#"<td align="right">b</td>"#), "{html}");

    let inputs = tags(&html, "input");
    assert_eq!(inputs.len(), 2, "{html}");
    for input in &inputs {
        assert_eq!(attr(input, "type"), Some("checkbox"), "{input}");
        assert!(attr(input, "disabled").is_some(), "{input}");
    }
    assert!(attr(inputs[0], "checked").is_some(), "{}", inputs[0]);
    assert!(attr(inputs[1], "checked").is_none(), "{}", inputs[1]);
    assert!(html.contains(r#"<li class="task-list-item">"#), "{html}");

    assert!(html.contains("<del>old</del>"), "{html}");
    assert!(
        html.contains(r#"<a href="https://example.com/path?q=1" rel="nofollow noopener">"#),
        "{html}"
    );
    assert!(html.contains(r#"href="http://www.example.org""#), "{html}");
    assert!(
        html.contains(r#"href="mailto:someone@example.com""#),
        "{html}"
    );

    // Footnote reference and definition, linked both ways with prefixed ids.
    assert!(html.contains(r##"<sup class="footnote-ref"><a href="#user-content-fn-note" id="user-content-fnref-note""##), "{html}");
    assert!(html.contains(r#"<li id="user-content-fn-note">"#), "{html}");
    assert!(
        html.contains(r##"href="#user-content-fnref-note" class="footnote-backref""##),
        "{html}"
    );
    assert!(html.contains(r#"<section class="footnotes">"#), "{html}");

    // Heading with an id and a self-link.
    assert!(
        html.contains(r#"<h1 id="user-content-title">Title"#),
        "{html}"
    );
    assert!(
        html.contains(r##"<a href="#user-content-title""##),
        "{html}"
    );
}

#[test]
fn alerts_and_raw_html_layout_survive() {
    let src = "\
> [!WARNING]
> Careful.

<p align=\"center\"><b>centred</b></p>

<details><summary>More</summary>

Hidden *text*.

</details>
";
    let html = markdown(src, &KeepRelative);
    assert!(
        html.contains(r#"<div class="markdown-alert markdown-alert-warning">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<p align="center"><b>centred</b></p>"#),
        "{html}"
    );
    assert!(html.contains("<details><summary>More</summary>"), "{html}");
    assert!(html.contains("<em>text</em>"), "{html}");
}

/// Each case is rendered alone; none of the forbidden fragments may appear.
#[test]
fn xss_attempts_are_neutralized() {
    let cases = [
        "<script>alert(1)</script>",
        "text <script>alert(1)</script> inline",
        "<img src=x onerror=alert(1)>",
        "<img src=\"x.png\" onerror=\"alert(1)\">",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](java\tscript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"  javascript:alert(1)\">x</a>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "[x](vbscript:msgbox(1))",
        "<div onclick=\"alert(1)\">raw block</div>",
        "<svg onload=alert(1)><script>alert(1)</script></svg>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<p style=\"position:fixed;top:0\">overlay</p>",
        "<style>body{display:none}</style>",
        "<iframe src=\"https://evil.example/\"></iframe>",
        "<object data=\"evil.swf\"></object><embed src=\"evil.swf\">",
        "<form action=\"https://evil.example/\"><input type=\"password\" name=\"p\"><button>Go</button></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
        "<base href=\"https://evil.example/\">",
        "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
        "<details open ontoggle=alert(1)>x</details>",
        "<a href=\"x\" onmouseover=\"alert(1)\">x</a>",
        "<img src=\"x\" srcset=\"javascript:alert(1) 1x\">",
        "<!-- <img src=x onerror=alert(1)> -->",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    ];
    let forbidden = [
        "<script",
        "onerror",
        "onload",
        "onclick",
        "ontoggle",
        "onmouseover",
        "javascript:",
        "vbscript:",
        "data:",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<button",
        "<meta",
        "<base",
        "<link",
        "<style",
        "style=",
        "<svg",
        "<math",
        "xlink:href",
        "srcset",
        "type=\"password\"",
        "<!--",
    ];
    for resolver in [&KeepRelative as &dyn LinkResolver, &repo("docs")] {
        for case in cases {
            let html = markdown(case, resolver);
            let lower = html.to_ascii_lowercase();
            for bad in forbidden {
                assert!(
                    !lower.contains(bad),
                    "{case:?} gave {html:?} containing {bad:?}"
                );
            }
        }
    }
}

#[test]
fn classes_and_ids_cannot_clobber_the_page() {
    let html = markdown(
        "<div class=\"modal-backdrop\" id=\"login\"><h2 id=\"user\">U</h2><a name=\"x\" id=\"top\">t</a><span class=\"hl-keyword evil\">k</span></div>\n",
        &KeepRelative,
    );
    assert!(!html.contains("modal-backdrop"), "{html}");
    assert!(!html.contains("evil"), "{html}");
    assert!(html.contains(r#"<span class="hl-keyword">"#), "{html}");
    assert!(!html.contains("name="), "{html}");
    assert!(!html.contains(r#"id="login""#), "{html}");
    assert!(html.contains(r#"<h2 id="user-content-user">"#), "{html}");
    assert!(html.contains(r#"<a id="user-content-top""#), "{html}");
}

#[test]
fn relative_links_and_images_resolve_inside_the_repository() {
    let src = "\
[guide](guide.md) [same](./a.md) [parent](../b.md) [root](/c/d.rs) [deep](../../../../etc/passwd)
[section](#getting-started) [other](other.md#setup) [line](src/lib.rs#L10-L20) [dir](sub/)
[ref][r] ![logo](img/logo.png) ![up](../img/up.png)
[abs](https://example.com/x) [mail](mailto:a@example.com)

<p align=\"center\"><img src=\"banner.svg\" alt=\"b\"> <a href=\"../LICENSE\">license</a></p>

[r]: ./ref%20target.md
";
    let html = markdown(src, &repo("docs"));
    let hrefs: Vec<_> = tags(&html, "a")
        .iter()
        .filter_map(|t| attr(t, "href"))
        .collect();
    let srcs: Vec<_> = tags(&html, "img")
        .iter()
        .filter_map(|t| attr(t, "src"))
        .collect();
    for expected in [
        "/o/r/blob/main/docs/guide.md",
        "/o/r/blob/main/docs/a.md",
        "/o/r/blob/main/b.md",
        "/o/r/blob/main/c/d.rs",
        "/o/r/blob/main/etc/passwd",
        "#user-content-getting-started",
        "/o/r/blob/main/docs/other.md#user-content-setup",
        "/o/r/blob/main/docs/src/lib.rs#L10-L20",
        "/o/r/blob/main/docs/sub/",
        "/o/r/blob/main/docs/ref%20target.md",
        "https://example.com/x",
        "mailto:a@example.com",
        "/o/r/blob/main/LICENSE",
    ] {
        assert!(hrefs.contains(&expected), "missing {expected} in {hrefs:?}");
    }
    assert_eq!(
        srcs,
        [
            "/o/r/raw/main/docs/img/logo.png",
            "/o/r/raw/main/img/up.png",
            "/o/r/raw/main/docs/banner.svg"
        ]
    );
    for tag in tags(&html, "a") {
        assert_eq!(attr(tag, "rel"), Some("nofollow noopener"), "{tag}");
    }
}

#[test]
fn resolver_answers_are_checked() {
    struct Evil;
    impl LinkResolver for Evil {
        fn link(&self, _: &str) -> Option<String> {
            Some("javascript:alert(1)".into())
        }
        fn image(&self, _: &str) -> Option<String> {
            Some("data:image/png;base64,AAAA".into())
        }
    }
    let html = markdown("[a](x.md) ![b](y.png)", &Evil);
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("data:"), "{html}");
    assert!(
        html.contains("<a rel=\"nofollow noopener\">a</a>"),
        "{html}"
    );

    let html = markdown(
        "[a](x.md) ![b](y.png) [c](https://e.example/)",
        &DropRelative,
    );
    assert_eq!(
        tags(&html, "a")
            .iter()
            .filter_map(|t| attr(t, "href"))
            .collect::<Vec<_>>(),
        ["https://e.example/"]
    );
    assert!(
        tags(&html, "img").iter().all(|t| attr(t, "src").is_none()),
        "{html}"
    );
}

#[test]
fn code_fences_are_highlighted() {
    let src = "```rust,ignore\nfn main() { let s = \"<b>\"; }\n```\n\n```no-such-language\n<b>x</b>\n```\n\n```\nplain <i>\n```\n";
    let html = markdown(src, &KeepRelative);
    assert!(
        html.contains(r#"<pre class="hl-code"><code class="language-rust">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<span class="hl-storage hl-type hl-function">fn</span>"#),
        "{html}"
    );
    assert!(html.contains("&lt;b&gt;"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(
        html.contains(
            r#"<pre class="hl-code"><code class="language-no-such-language">&lt;b&gt;x&lt;/b&gt;"#
        ),
        "{html}"
    );
    assert!(
        html.contains("<pre class=\"hl-code\"><code>plain &lt;i&gt;\n</code></pre>"),
        "{html}"
    );
}

#[test]
fn repo_links_resolution() {
    let root = repo("");
    let docs = repo("/docs/guide/");
    let cases: &[(&RepoLinks, &str, Option<&str>)] = &[
        (&root, "a.md", Some("/o/r/blob/main/a.md")),
        (&root, "./a.md", Some("/o/r/blob/main/a.md")),
        (&root, "../a.md", Some("/o/r/blob/main/a.md")),
        (&docs, "./a", Some("/o/r/blob/main/docs/guide/a")),
        (&docs, "../b", Some("/o/r/blob/main/docs/b")),
        (&docs, "/c", Some("/o/r/blob/main/c")),
        (&docs, "../../../../../x", Some("/o/r/blob/main/x")),
        (&docs, "%2e%2e/%2E%2e/%2e%2e/x", Some("/o/r/blob/main/x")),
        (&docs, "..\\..\\..\\x", Some("/o/r/blob/main/x")),
        (&docs, ".\t./.\n./../x", Some("/o/r/blob/main/x")),
        (&docs, "a/./b/../c", Some("/o/r/blob/main/docs/guide/a/c")),
        (&docs, "..", Some("/o/r/blob/main/docs/")),
        (&docs, "../../..", Some("/o/r/blob/main/")),
        (&docs, "sub/", Some("/o/r/blob/main/docs/guide/sub/")),
        (
            &docs,
            "a.rs?plain=1#L3",
            Some("/o/r/blob/main/docs/guide/a.rs?plain=1#L3"),
        ),
        (&docs, "#intro", Some("#user-content-intro")),
        (&docs, "#user-content-intro", Some("#user-content-intro")),
        (
            &docs,
            "x.md#intro",
            Some("/o/r/blob/main/docs/guide/x.md#user-content-intro"),
        ),
        (&docs, "https://e.example/a", Some("https://e.example/a")),
        (&docs, "//cdn.example/a.png", Some("//cdn.example/a.png")),
        (&docs, "javascript:alert(1)", None),
        (&docs, "data:text/html,x", None),
        (
            &docs,
            "/\\evil.example",
            Some("/o/r/blob/main/evil.example"),
        ),
    ];
    for &(links, url, expected) in cases {
        assert_eq!(
            links.link(url).as_deref(),
            expected,
            "link({url:?}) in {:?}",
            links.dir
        );
    }
    assert_eq!(
        docs.image("../logo.png").as_deref(),
        Some("/o/r/raw/main/docs/logo.png")
    );
    assert_eq!(
        docs.image("/../../logo.png").as_deref(),
        Some("/o/r/raw/main/logo.png")
    );
}
