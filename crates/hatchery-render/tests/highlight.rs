//! Syntax highlighting: line counts, escaping, balanced spans, fallbacks, limits.

use hatchery_render::{
    HighlightLimits, highlight_css, highlight_diff_lines, highlight_diff_lines_with,
    highlight_lines, highlight_lines_with, language_name, language_name_with_content,
};

/// Checks a fragment: spans balanced and properly nested, only `hl-` classes, and no
/// markup but spans (so all text was escaped). Returns the text with tags removed.
fn check_fragment(html: &str) -> String {
    let mut depth = 0i32;
    let mut text = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("</span>") {
            depth -= 1;
            assert!(depth >= 0, "span closed before opened in {html:?}");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("<span class=\"") {
            let end = after.find("\">").expect("unterminated span tag");
            for class in after[..end].split(' ') {
                assert!(class.starts_with("hl-"), "class {class:?} in {html:?}");
            }
            depth += 1;
            rest = &after[end + 2..];
        } else {
            panic!("unexpected markup in {html:?}");
        }
    }
    text.push_str(rest);
    assert_eq!(depth, 0, "unbalanced spans in {html:?}");
    assert!(!text.contains(['>', '\n']), "unescaped text in {html:?}");
    text
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn one_fragment_per_line() {
    let cases: &[(&str, &[&str])] = &[
        ("", &[]),
        ("\n", &[""]),
        ("a", &["a"]),
        ("a\n", &["a"]),
        ("a\nb", &["a", "b"]),
        ("a\n\nb\n", &["a", "", "b"]),
        ("a\r\nb\r\n", &["a", "b"]),
        ("a\r\nb", &["a", "b"]),
        ("\n\n\n", &["", "", ""]),
    ];
    for name in ["x.rs", "x.py", "x.unknown-ext", "README"] {
        for &(text, lines) in cases {
            let out = highlight_lines(name, text);
            assert_eq!(out.len(), lines.len(), "{name} {text:?} gave {out:?}");
            for (html, line) in out.iter().zip(lines) {
                assert_eq!(unescape(&check_fragment(html)), *line, "{name} {text:?}");
            }
        }
    }
}

#[test]
fn escapes_and_balances_multiline_constructs() {
    let text = "/* a <b> comment\n   spanning & lines */\nfn main() {\n    let s = \"<script>\n\";\n}\n// <!-- \"'";
    let out = highlight_lines("src/main.rs", text);
    assert_eq!(out.len(), text.lines().count());
    for (html, line) in out.iter().zip(text.lines()) {
        assert_eq!(unescape(&check_fragment(html)), line);
    }
    // The comment's second line is still a comment, the string's second line a string.
    assert!(out[1].contains("hl-comment"), "{}", out[1]);
    assert!(out[4].contains("hl-string"), "{}", out[4]);
    assert!(out[0].contains("&lt;b&gt;"), "{}", out[0]);
    assert!(out[3].contains("&lt;script&gt;"), "{}", out[3]);
}

#[test]
fn unknown_languages_fall_back_to_escaped_text() {
    let text = "<b>bold</b> & \"x\"\nline 2";
    for name in ["notes.txt", "data.unknown-ext", "LICENSE", ""] {
        assert_eq!(
            highlight_lines(name, text),
            ["&lt;b&gt;bold&lt;/b&gt; &amp; \"x\"", "line 2"],
            "{name}"
        );
    }
}

#[test]
fn detection_by_name_and_first_line() {
    assert_eq!(language_name("src/main.rs"), Some("Rust"));
    assert_eq!(language_name("Makefile"), Some("Makefile"));
    assert_eq!(
        language_name("dir/.bashrc"),
        Some("Bourne Again Shell (bash)")
    );
    assert_eq!(language_name("include/x.h"), Some("C"));
    assert_eq!(language_name("web/app.ts"), Some("TypeScript"));
    assert_eq!(language_name("Cargo.toml"), Some("TOML"));
    assert_eq!(language_name("a.PY"), Some("Python"));
    assert_eq!(language_name("notes.txt"), None);
    assert_eq!(language_name("x.no-such-ext"), None);
    assert_eq!(language_name("bin/tool"), None);
    assert_eq!(
        language_name_with_content("bin/tool", "#!/usr/bin/env python3\nprint(1)\n"),
        Some("Python")
    );

    let bash = "#!/bin/bash\necho \"$HOME\"\n";
    let out = highlight_lines("bin/tool", bash);
    assert!(out[1].contains("hl-"), "{out:?}");
    assert_eq!(out, highlight_lines("x.sh", bash));
    let ts = "const x: number = 1;\n";
    assert!(highlight_lines("app.ts", ts)[0].contains("hl-"));
    assert_eq!(highlight_lines("app.ts", ts), highlight_lines("app.js", ts));
    // Known by name, not highlighted: plain.
    assert_eq!(highlight_lines("Cargo.toml", "[package]\n"), ["[package]"]);
}

#[test]
fn limits_return_plain_lines() {
    let limits = HighlightLimits {
        max_bytes: 1000,
        max_lines: 10,
        max_line_bytes: 50,
        max_duration: None,
    };
    let small = "fn a() {}\n".repeat(5);
    assert!(highlight_lines_with("a.rs", &small, &limits)[0].contains("hl-"));

    let many = "fn a() {}\n".repeat(11);
    let out = highlight_lines_with("a.rs", &many, &limits);
    assert_eq!(out.len(), 11);
    assert!(out.iter().all(|l| l == "fn a() {}"));

    let long = format!("fn a() {{}}\nlet x = \"{}\";\n", "<".repeat(60));
    let out = highlight_lines_with("a.rs", &long, &limits);
    assert_eq!(
        out,
        [
            "fn a() {}".to_string(),
            format!("let x = \"{}\";", "&lt;".repeat(60))
        ]
    );

    let big = format!("// {}\n", "x".repeat(40)).repeat(30);
    let limits = HighlightLimits {
        max_lines: 100,
        ..limits
    };
    assert!(
        highlight_lines_with("a.rs", &big, &limits)
            .iter()
            .all(|l| !l.contains('<'))
    );

    // Defaults: a long minified line is not highlighted.
    let minified = format!("var a={};\n", "1+".repeat(20_000) + "1");
    let out = highlight_lines("app.min.js", &minified);
    assert_eq!(out.len(), 1);
    assert!(!out[0].contains("<span"));
}

#[test]
fn diff_lines_are_highlighted_independently() {
    let lines = ["/* opened here", "let x = \"<a>\";", "", "fn f() {}"];
    let out = highlight_diff_lines("lib.rs", &lines);
    assert_eq!(out.len(), lines.len());
    for (html, line) in out.iter().zip(lines) {
        assert_eq!(unescape(&check_fragment(html)), line);
    }
    assert!(out[0].contains("hl-comment"));
    // No state leaks from the unterminated comment above.
    assert!(!out[1].contains("hl-comment"), "{}", out[1]);
    assert!(out[1].contains("hl-string"), "{}", out[1]);
    assert!(out[1].contains("&lt;a&gt;"));

    assert_eq!(
        highlight_diff_lines("x.unknown-ext", &["<x>", ""]),
        ["&lt;x&gt;", ""]
    );
    assert!(highlight_diff_lines("x.rs", &[]).is_empty());

    let limits = HighlightLimits {
        max_line_bytes: 10,
        max_duration: None,
        ..HighlightLimits::default()
    };
    let out = highlight_diff_lines_with("x.rs", &["fn f() {}", "fn long_name() {}"], &limits);
    assert!(out[0].contains("hl-"));
    assert_eq!(out[1], "fn long_name() {}");
}

#[test]
fn css_has_light_and_dark_themes() {
    let css = highlight_css();
    let light = css
        .find("@media not all and (prefers-color-scheme: dark) {")
        .expect("light section");
    let dark = css
        .find("@media (prefers-color-scheme: dark) {")
        .expect("dark section");
    assert!(light < dark);
    assert!(css[light..dark].contains(".hl-code {"));
    assert!(css[dark..].contains(".hl-code {"));
    assert!(css.contains(".hl-comment"));
    assert_eq!(css.matches('{').count(), css.matches('}').count());
    assert!(!css.contains("style=\""));
}
