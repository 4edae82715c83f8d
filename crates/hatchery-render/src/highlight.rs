//! Syntax highlighting with syntect, emitting CSS classes (`hl-*`), one HTML fragment per line.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use syntect::highlighting::{Theme, ThemeSet};
use syntect::html::{ClassStyle, css_for_theme_with_class_style};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet,
};

/// Class prefix of every highlighting span; the stylesheet from [`highlight_css`] matches it.
pub const CLASS_PREFIX: &str = "hl-";
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed {
    prefix: CLASS_PREFIX,
};

/// Bundled theme used for the light colour scheme in [`highlight_css`].
pub const LIGHT_THEME: &str = "InspiredGitHub";
/// Bundled theme used inside `@media (prefers-color-scheme: dark)` in [`highlight_css`].
pub const DARK_THEME: &str = "base16-ocean.dark";

/// When highlighting gives up and returns plain escaped lines instead.
///
/// Highlighting costs tens of microseconds per line in a release build (the `perf`
/// test prints a measurement), and the first use of a grammar compiles its regexes;
/// these limits keep one request from tying a worker up for long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighlightLimits {
    /// Texts larger than this many bytes are not highlighted at all.
    pub max_bytes: usize,
    /// Texts with more lines than this are not highlighted at all.
    pub max_lines: usize,
    /// A text with any line longer than this many bytes (minified code, data) is not
    /// highlighted at all: long lines are where regex-based grammars get slow.
    /// For diff lines, only the over-long line itself stays plain.
    pub max_line_bytes: usize,
    /// Wall-clock budget: once exceeded, the remaining lines are returned plain.
    /// `None` means no budget (output then depends only on the input).
    pub max_duration: Option<Duration>,
}

impl Default for HighlightLimits {
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_lines: 20_000,
            max_line_bytes: 10_000,
            max_duration: Some(Duration::from_secs(1)),
        }
    }
}

/// Grammars and themes, loaded together on first use.
struct Bundle {
    syntaxes: SyntaxSet,
    light: Theme,
    dark: Theme,
    /// The class sets (atoms without prefix) of the subjects (last compounds) of both
    /// themes' rules: `string.regexp` is `["string", "regexp"]`. A scope whose atoms
    /// include none of these sets gets no span: no rule colours it. Rules whose context
    /// compounds match no subject (InspiredGitHub's nested-JSON rainbow under bare
    /// `meta`) therefore never apply; every other rule applies as usual.
    selectors: Vec<Vec<String>>,
    /// Every atom used in some selector; other atoms are left out of the classes.
    atoms: HashSet<String>,
}

static BUNDLE: OnceLock<Bundle> = OnceLock::new();

fn bundle() -> &'static Bundle {
    BUNDLE.get_or_init(|| {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let mut themes = ThemeSet::load_defaults().themes;
        let light = themes.remove(LIGHT_THEME).unwrap_or_default();
        let dark = themes.remove(DARK_THEME).unwrap_or_default();
        let mut selectors: Vec<Vec<String>> = Vec::new();
        let mut atoms = HashSet::new();
        for theme in [&light, &dark] {
            for item in &theme.scopes {
                for selector in &item.scope.selectors {
                    let path: Vec<Vec<String>> = selector
                        .extract_scopes()
                        .iter()
                        .map(|scope| scope.build_string().split('.').map(str::to_owned).collect())
                        .collect();
                    atoms.extend(path.iter().flatten().filter(|a| !a.is_empty()).cloned());
                    // The rule styles its last compound; the ones before are context.
                    if let Some(subject) = path.into_iter().last()
                        && !subject.iter().all(String::is_empty)
                        && !selectors.contains(&subject)
                    {
                        selectors.push(subject);
                    }
                }
            }
        }
        Bundle {
            syntaxes,
            light,
            dark,
            selectors,
            atoms,
        }
    })
}

/// The bundled syntax set, loaded (decompressed and deserialized) on first use.
fn syntax_set() -> &'static SyntaxSet {
    &bundle().syntaxes
}

/// Loads the grammars and themes now if they are not loaded yet, and returns how long
/// that took (zero if they were already loaded). Nothing needs to call this: every
/// function loads them on first use. A server may call it from a background thread
/// after start-up so that the first highlighted page does not wait for the load.
pub fn preload() -> Duration {
    let start = Instant::now();
    if BUNDLE.get().is_some() {
        return Duration::ZERO;
    }
    bundle();
    start.elapsed()
}

/// Names the bundled syntaxes lack or name differently: extension, file name or fence
/// token (case-insensitive), the bundled syntax that highlights it acceptably (by token),
/// if any, and the language's display name.
const ALIASES: &[(&str, Option<&str>, &str)] = &[
    ("h", Some("C"), "C"),
    ("ts", Some("js"), "TypeScript"),
    ("tsx", Some("js"), "TypeScript"),
    ("mts", Some("js"), "TypeScript"),
    ("cts", Some("js"), "TypeScript"),
    ("typescript", Some("js"), "TypeScript"),
    ("jsx", Some("js"), "JavaScript"),
    ("mjs", Some("js"), "JavaScript"),
    ("cjs", Some("js"), "JavaScript"),
    ("jsonc", Some("json"), "JSON"),
    ("json5", Some("json"), "JSON5"),
    ("shell", Some("sh"), "Shell"),
    ("console", Some("sh"), "Shell"),
    ("shellscript", Some("sh"), "Shell"),
    ("scss", Some("css"), "SCSS"),
    ("less", Some("css"), "Less"),
    ("vue", Some("html"), "Vue"),
    ("svelte", Some("html"), "Svelte"),
    ("toml", None, "TOML"),
    ("ini", None, "INI"),
    ("dockerfile", None, "Dockerfile"),
    ("containerfile", None, "Dockerfile"),
    ("kt", None, "Kotlin"),
    ("kts", None, "Kotlin"),
    ("swift", None, "Swift"),
    ("zig", None, "Zig"),
    ("nix", None, "Nix"),
    ("proto", None, "Protocol Buffers"),
];

fn alias(token: &str) -> Option<(Option<&'static str>, &'static str)> {
    ALIASES
        .iter()
        .find(|(from, _, _)| from.eq_ignore_ascii_case(token))
        .map(|&(_, to, name)| (to, name))
}

/// A detected language: the syntax to highlight with, if any, and the display name.
struct Language {
    syntax: Option<&'static SyntaxReference>,
    name: &'static str,
}

impl Language {
    fn of_syntax(syntax: &'static SyntaxReference) -> Option<Self> {
        // "Plain Text" highlights nothing: treat it as unknown.
        (syntax.name != "Plain Text").then_some(Self {
            syntax: Some(syntax),
            name: syntax.name.as_str(),
        })
    }

    /// By an alias, a token or extension.
    fn of_token(token: &str) -> Option<Self> {
        let ss = syntax_set();
        if let Some((to, name)) = alias(token) {
            let syntax = to.and_then(|to| ss.find_syntax_by_token(to));
            return Some(Self { syntax, name });
        }
        Self::of_syntax(ss.find_syntax_by_token(token)?)
    }
}

/// A file's language, by name first (`Makefile`, `foo.rs`, `.bashrc`), then by its
/// first line (`#!/usr/bin/env python3`, `<?xml`).
fn language_of_file(file_name: &str, first_line: Option<&str>) -> Option<Language> {
    let ss = syntax_set();
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let by_base = || {
        if base.is_empty() {
            return None;
        }
        if let Some((to, name)) = alias(base) {
            let syntax = to.and_then(|to| ss.find_syntax_by_token(to));
            return Some(Language { syntax, name });
        }
        Language::of_syntax(ss.find_syntax_by_extension(base)?)
    };
    let by_ext = || {
        let (_, ext) = base.rsplit_once('.')?;
        if ext.is_empty() {
            return None;
        }
        if let Some((to, name)) = alias(ext) {
            let syntax = to.and_then(|to| ss.find_syntax_by_token(to));
            return Some(Language { syntax, name });
        }
        Language::of_syntax(ss.find_syntax_by_extension(ext)?)
    };
    by_base()
        .or_else(by_ext)
        .or_else(|| Language::of_syntax(ss.find_syntax_by_first_line(first_line?)?))
}

/// The syntax for a file, `None` for plain text.
fn syntax_for_file(file_name: &str, first_line: Option<&str>) -> Option<&'static SyntaxReference> {
    language_of_file(file_name, first_line)?.syntax
}

/// The syntax for a fenced code block's language token (`rust`, `py`, `Shell`).
pub(crate) fn syntax_for_token(token: &str) -> Option<&'static SyntaxReference> {
    if token.is_empty() {
        return None;
    }
    Language::of_token(token)?.syntax
}

/// The display name of a file's language by its name (`"Rust"` for `src/main.rs`,
/// `"Makefile"` for `Makefile`, `"TOML"` for `Cargo.toml` though it is not
/// highlighted), or `None` when the name says nothing known.
pub fn language_name(file_name: &str) -> Option<&'static str> {
    language_of_file(file_name, None).map(|l| l.name)
}

/// The display name of a file's language, also looking at its first line (shebang,
/// `<?xml`, mode lines) when its name says nothing known.
pub fn language_name_with_content(file_name: &str, text: &str) -> Option<&'static str> {
    language_of_file(file_name, text.lines().next()).map(|l| l.name)
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Escapes text for HTML element content (quotes need no escaping there).
fn escape_text_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            _ => "&gt;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_text_into(&mut out, text);
    out
}

/// Splits text into lines the way a file view numbers them: `\n` or `\r\n` ends a
/// line, a final line without a newline counts, a final newline does not start one,
/// and an empty text has no lines.
fn split_lines(text: &str) -> std::str::Lines<'_> {
    text.lines()
}

fn plain_lines(text: &str) -> Vec<String> {
    split_lines(text).map(escape).collect()
}

/// The `class` attribute value for a scope's span, `None` when no theme styles it.
fn classes_for(scope: Scope) -> Option<Rc<str>> {
    let b = bundle();
    let name = scope.build_string();
    let atoms: Vec<&str> = name.split('.').collect();
    let styled = b
        .selectors
        .iter()
        .any(|sel| sel.iter().all(|s| atoms.contains(&s.as_str())));
    if !styled {
        return None;
    }
    let mut class = String::new();
    for atom in atoms.iter().filter(|a| b.atoms.contains(**a)) {
        if !class.is_empty() {
            class.push(' ');
        }
        class.push_str(CLASS_PREFIX);
        class.push_str(atom);
    }
    Some(class.into())
}

/// Carries parser state from line to line and renders each line as a self-contained
/// fragment: the spans still open from earlier lines are re-opened at its start and
/// everything open is closed at its end.
///
/// Only scopes that the stylesheet of [`highlight_css`] styles get a span, and a span
/// lists only the classes its selectors use: the same colours as spans for every
/// scope with every class, in a fraction of the markup.
struct LineHighlighter {
    syntax: &'static SyntaxReference,
    parse: ParseState,
    stack: ScopeStack,
    /// For each scope on `stack`, the classes of its span if it has one.
    spans: Vec<Option<Rc<str>>>,
    classes: HashMap<Scope, Option<Rc<str>>>,
    buf: String,
}

impl LineHighlighter {
    fn new(syntax: &'static SyntaxReference) -> Self {
        Self {
            syntax,
            parse: ParseState::new(syntax),
            stack: ScopeStack::new(),
            spans: Vec::new(),
            classes: HashMap::new(),
            buf: String::new(),
        }
    }

    /// Forgets the state carried from earlier lines (keeps the class cache).
    fn restart(&mut self) {
        self.parse = ParseState::new(self.syntax);
        self.stack = ScopeStack::new();
        self.spans.clear();
    }

    /// Highlights the next line; `line` must not contain `\n`. `None` if the grammar
    /// fails on it.
    fn line(&mut self, line: &str) -> Option<String> {
        let Self {
            parse,
            stack,
            spans,
            classes,
            buf,
            ..
        } = self;
        // The "newlines" syntaxes expect each line to end with its newline.
        buf.clear();
        buf.push_str(line);
        buf.push('\n');
        let ops = parse.parse_line(buf, syntax_set()).ok()?;

        let mut html = String::with_capacity(line.len() * 3 + 32);
        for class in spans.iter().flatten() {
            write_span(&mut html, class);
        }
        let mut pos = 0;
        // Where the span opened last starts and ends, while nothing follows it.
        let mut empty_span: Option<(usize, usize)> = None;
        for (index, op) in &ops {
            // Operations after the newline apply to an empty rest of line.
            let index = (*index).min(line.len());
            if index > pos {
                escape_text_into(&mut html, &line[pos..index]);
                pos = index;
                empty_span = None;
            }
            stack
                .apply_with_hook(op, |basic, _| match basic {
                    BasicScopeStackOp::Push(scope) => {
                        let class = classes.entry(scope).or_insert_with(|| classes_for(scope));
                        if let Some(class) = class {
                            let start = html.len();
                            write_span(&mut html, class);
                            empty_span = Some((start, html.len()));
                        }
                        spans.push(class.clone());
                    }
                    BasicScopeStackOp::Pop => {
                        if let Some(Some(_)) = spans.pop() {
                            match empty_span {
                                Some((start, end)) if end == html.len() => html.truncate(start),
                                _ => html.push_str("</span>"),
                            }
                            empty_span = None;
                        }
                    }
                })
                .ok()?;
        }
        escape_text_into(&mut html, &line[pos..]);
        for _ in spans.iter().flatten() {
            html.push_str("</span>");
        }
        Some(html)
    }
}

fn write_span(html: &mut String, class: &str) {
    html.push_str("<span class=\"");
    html.push_str(class);
    html.push_str("\">");
}

fn over_budget(start: Instant, limits: &HighlightLimits) -> bool {
    limits.max_duration.is_some_and(|d| start.elapsed() > d)
}

/// How often (in lines) the wall-clock budget is checked.
const BUDGET_CHECK_EVERY: usize = 64;

/// Highlights a file for the file view: one HTML fragment per line (see below for what
/// counts as a line), each with balanced `<span class="hl-…">` tags so that every line
/// can go into its own table row. Text is HTML-escaped. Unknown languages, and texts
/// over [`HighlightLimits::default`], come back as plain escaped lines.
///
/// Lines: `\n` or `\r\n` ends a line (the line ending is not part of the fragment), a
/// last line without a newline counts, a final newline does not start another line,
/// and an empty text has no lines — the same count `str::lines` gives.
pub fn highlight_lines(file_name: &str, text: &str) -> Vec<String> {
    highlight_lines_with(file_name, text, &HighlightLimits::default())
}

/// [`highlight_lines`] with explicit limits.
pub fn highlight_lines_with(file_name: &str, text: &str, limits: &HighlightLimits) -> Vec<String> {
    if text.len() > limits.max_bytes {
        return plain_lines(text);
    }
    let mut count = 0usize;
    for line in split_lines(text) {
        count += 1;
        if count > limits.max_lines || line.len() > limits.max_line_bytes {
            return plain_lines(text);
        }
    }
    let Some(syntax) = syntax_for_file(file_name, split_lines(text).next()) else {
        return plain_lines(text);
    };
    highlight_text(syntax, text, count, limits).unwrap_or_else(|| plain_lines(text))
}

/// Highlights every line of `text` with carried state; `None` if the grammar failed.
fn highlight_text(
    syntax: &'static SyntaxReference,
    text: &str,
    count: usize,
    limits: &HighlightLimits,
) -> Option<Vec<String>> {
    let start = Instant::now();
    let mut hl = LineHighlighter::new(syntax);
    let mut out = Vec::with_capacity(count);
    for (i, line) in split_lines(text).enumerate() {
        if i % BUDGET_CHECK_EVERY == 0 && i > 0 && over_budget(start, limits) {
            out.extend(split_lines(text).skip(i).map(escape));
            break;
        }
        out.push(hl.line(line)?);
    }
    Some(out)
}

/// Highlights a fenced code block for Markdown: the lines joined with `\n`, with a
/// trailing newline when the code had one.
pub(crate) fn highlight_block(syntax: Option<&'static SyntaxReference>, code: &str) -> String {
    let limits = HighlightLimits::default();
    let lines = match syntax {
        Some(syntax)
            if code.len() <= limits.max_bytes
                && split_lines(code).all(|l| l.len() <= limits.max_line_bytes) =>
        {
            let count = split_lines(code).count();
            highlight_text(syntax, code, count, &limits).unwrap_or_else(|| plain_lines(code))
        }
        _ => plain_lines(code),
    };
    let mut out = lines.join("\n");
    if code.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Highlights the lines of a diff (their text without the `+`/`-`/` ` marker), one
/// fragment per input line with balanced spans.
///
/// Each line is highlighted on its own, starting from the file's top-level grammar
/// state: removed and added lines never leak state into each other and a hunk that
/// starts inside a block comment or string cannot turn the rest of the hunk into a
/// comment. The price is that a line inside a multi-line construct is coloured as if
/// it were code. For exact colours, highlight the old and new blobs with
/// [`highlight_lines`] and pick lines by the hunk's line numbers.
///
/// Input lines should not contain `\n`; a trailing `\r` is kept as text.
pub fn highlight_diff_lines(file_name: &str, lines: &[&str]) -> Vec<String> {
    highlight_diff_lines_with(file_name, lines, &HighlightLimits::default())
}

/// [`highlight_diff_lines`] with explicit limits: `max_lines` and `max_bytes` apply to
/// the whole slice, `max_line_bytes` to each line (only that line stays plain).
pub fn highlight_diff_lines_with(
    file_name: &str,
    lines: &[&str],
    limits: &HighlightLimits,
) -> Vec<String> {
    let plain = || lines.iter().map(|l| escape(l)).collect();
    let total: usize = lines.iter().map(|l| l.len() + 1).sum();
    if lines.len() > limits.max_lines || total > limits.max_bytes {
        return plain();
    }
    let Some(syntax) = syntax_for_file(file_name, None) else {
        return plain();
    };
    let start = Instant::now();
    let mut hl = LineHighlighter::new(syntax);
    let mut out = Vec::with_capacity(lines.len());
    let mut out_of_time = false;
    for (i, line) in lines.iter().enumerate() {
        if !out_of_time && i % BUDGET_CHECK_EVERY == 0 && i > 0 {
            out_of_time = over_budget(start, limits);
        }
        let html = if out_of_time || line.len() > limits.max_line_bytes || line.contains('\n') {
            None
        } else {
            hl.restart();
            hl.line(line)
        };
        out.push(html.unwrap_or_else(|| escape(line)));
    }
    out
}

/// The stylesheet for the `hl-` classes: the light theme ([`LIGHT_THEME`]) inside
/// `@media not all and (prefers-color-scheme: dark)` and the dark one ([`DARK_THEME`])
/// inside `@media (prefers-color-scheme: dark)`. Each theme sits in its own block so
/// that the light theme's bold keywords and backgrounds do not leak into dark mode.
/// `.hl-code` carries each theme's base text and background colour: put that class on
/// the element that wraps highlighted lines (rendered Markdown puts it on `<pre>`).
/// Generated from bundled data: compute it once and serve it as a static asset.
pub fn highlight_css() -> String {
    let b = bundle();
    let mut css =
        String::from("/* Generated by hatchery-render from syntect's bundled themes. */\n");
    for (theme, media) in [
        (&b.light, "not all and (prefers-color-scheme: dark)"),
        (&b.dark, "(prefers-color-scheme: dark)"),
    ] {
        let Ok(rules) = css_for_theme_with_class_style(theme, CLASS_STYLE) else {
            continue;
        };
        let _ = writeln!(css, "@media {media} {{");
        for line in rules.lines().filter(|l| !l.is_empty()) {
            let _ = writeln!(css, "  {line}");
        }
        css.push_str("}\n");
    }
    css
}
