//! Measurements, printed (run with `--nocapture`), never asserted. A separate test
//! binary so that the syntax set is loaded here first and its load time is real.

use std::time::Instant;

use hatchery_render::{HighlightLimits, KeepRelative, highlight_lines_with, markdown, preload};

/// About 2,000 lines of real Rust: this crate's own sources, repeated.
fn rust_source(lines: usize) -> String {
    let sources = [
        include_str!("../src/highlight.rs"),
        include_str!("../src/markdown.rs"),
        include_str!("../src/links.rs"),
        include_str!("../src/lib.rs"),
    ];
    let mut out = String::new();
    let mut count = 0;
    'outer: loop {
        for source in sources {
            for line in source.lines() {
                out.push_str(line);
                out.push('\n');
                count += 1;
                if count == lines {
                    break 'outer;
                }
            }
        }
    }
    out
}

#[test]
fn measure_load_and_throughput() {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let load = preload();
    eprintln!(
        "[{profile}] syntax set load: {:.1} ms",
        load.as_secs_f64() * 1e3
    );

    let text = rust_source(2_000);
    let limits = HighlightLimits {
        max_duration: None,
        ..HighlightLimits::default()
    };
    // The first run also compiles the Rust grammar's regexes (lazily, on first use).
    // Debug builds are ~15x slower: one run only, to keep the suite quick.
    let runs: &[&str] = if cfg!(debug_assertions) {
        &["cold"]
    } else {
        &["cold", "warm"]
    };
    for run in runs {
        let start = Instant::now();
        let out = highlight_lines_with("bench.rs", &text, &limits);
        let elapsed = start.elapsed();
        assert_eq!(out.len(), 2_000);
        let html_bytes: usize = out.iter().map(String::len).sum();
        eprintln!(
            "[{profile}] highlight 2,000 Rust lines ({} KiB), {run}: {:.1} ms, {:.0} lines/s, HTML {} KiB",
            text.len() / 1024,
            elapsed.as_secs_f64() * 1e3,
            2_000.0 / elapsed.as_secs_f64(),
            html_bytes / 1024,
        );
    }

    let readme = format!(
        "# Project\n\nSee [docs](docs/guide.md) and ![logo](logo.png).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\n{}```\n\n- [x] task\n",
        rust_source(40)
    )
    .repeat(10);
    let prose = "## Section\n\nSome *text* with a [link](docs/x.md), `code`, ![img](a.png) and\nhttps://example.com/ autolinks.\n\n- [ ] item one\n- [x] item two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n".repeat(100);
    let start = Instant::now();
    let html = markdown(&prose, &KeepRelative);
    eprintln!(
        "[{profile}] markdown {} KiB of prose, tables, lists and links: {:.1} ms, HTML {} KiB",
        prose.len() / 1024,
        start.elapsed().as_secs_f64() * 1e3,
        html.len() / 1024,
    );

    let start = Instant::now();
    let html = markdown(&readme, &KeepRelative);
    eprintln!(
        "[{profile}] markdown {} KiB with 10 code blocks: {:.1} ms, HTML {} KiB",
        readme.len() / 1024,
        start.elapsed().as_secs_f64() * 1e3,
        html.len() / 1024,
    );
}
