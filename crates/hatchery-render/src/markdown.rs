//! GitHub-flavoured Markdown to sanitized HTML: comrak renders, ammonia sanitizes.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};

use ammonia::Url;
use ammonia::url::ParseError;
use comrak::adapters::SyntaxHighlighterAdapter;
use comrak::nodes::AstNode;
use comrak::options::Plugins;
use comrak::{Arena, Options, format_html_with_plugins, parse_document};

use crate::highlight::{escape_into, highlight_block, syntax_for_token};

/// Prefix given to every `id` in rendered Markdown (headings, footnotes, raw HTML), as
/// GitHub does, so that user content cannot clobber the page's own ids. Fragment-only
/// links (`#section`) are rewritten to match.
pub const ID_PREFIX: &str = "user-content-";

/// `rel` of every link in rendered Markdown.
pub const LINK_REL: &str = "nofollow noopener";

/// Rewrites the relative URLs of rendered Markdown, for instance to point inside a
/// repository at a given ref. Called only for relative URLs (no scheme) that are not
/// fragment-only: `docs/x.md`, `./a.png`, `../b`, `/c`, `x.md#part`, `//host/p`.
/// Absolute `http`, `https` and `mailto` URLs are kept as they are and other schemes
/// are removed before a resolver sees anything. The URL comes as written in the
/// Markdown or HTML source, entity-decoded but not percent-decoded.
///
/// What a resolver returns is checked again: a result with a scheme other than
/// `http`, `https` or `mailto` is dropped.
pub trait LinkResolver {
    /// The `href` for a link (`<a href>`); `None` removes the link's target.
    fn link(&self, url: &str) -> Option<String>;
    /// The `src` for an image (`<img src>`); `None` removes the image's source.
    fn image(&self, url: &str) -> Option<String>;
}

/// A resolver that keeps relative URLs as they are.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepRelative;

impl LinkResolver for KeepRelative {
    fn link(&self, url: &str) -> Option<String> {
        Some(url.to_owned())
    }
    fn image(&self, url: &str) -> Option<String> {
        Some(url.to_owned())
    }
}

/// A resolver that removes every relative link and image source.
#[derive(Debug, Clone, Copy, Default)]
pub struct DropRelative;

impl LinkResolver for DropRelative {
    fn link(&self, _url: &str) -> Option<String> {
        None
    }
    fn image(&self, _url: &str) -> Option<String> {
        None
    }
}

/// Renders GitHub-flavoured Markdown (tables, task lists, strikethrough, autolinks
/// including bare URLs, footnotes, heading anchors, alerts, raw HTML) to sanitized
/// HTML. Fenced code blocks are highlighted with the `hl-` classes of
/// [`crate::highlight_css`]. Relative link and image URLs go through `links`.
///
/// The output is safe to insert into a page as is: no scripts, event handlers,
/// styles, frames, forms or SVG survive; URLs are `http`, `https`, `mailto` or
/// relative; ids carry the [`ID_PREFIX`]; links get `rel="nofollow noopener"`.
///
/// Cost is roughly linear in the input; callers should cap the size they render
/// and cache the result by blob id.
pub fn markdown(src: &str, links: &dyn LinkResolver) -> String {
    let arena = Arena::new();
    let root = parse_document(&arena, src, &options());
    sanitize(&render_unsanitized(root), links, RefHrefs::none())
}

/// Sanitizes the output of [`render_unsanitized`], resolving relative URLs with `links`
/// and putting in the URLs of the reference links of `refs`.
pub(crate) fn sanitize(html: &str, links: &dyn LinkResolver, refs: RefHrefs) -> String {
    // ammonia's attribute filter must be `'static`, so it cannot borrow `links`. First
    // sanitize while collecting the relative URLs, resolve them here, then run the
    // (idempotent) sanitizer again with the owned answers. Reference links keep their
    // stand-in hrefs through the first pass, so that `links` never sees them, and get
    // their URLs in the second. The second pass is skipped when there is nothing to
    // resolve and no reference link.
    let refs = Arc::new(refs);
    let collected = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&collected);
    let first_refs = Arc::clone(&refs);
    let first = sanitizer(move |kind, url| {
        if is_relative(url) && first_refs.url(kind, url).is_none() {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((kind, url.to_owned()));
        }
        UrlAction::Keep
    })
    .clean(html)
    .to_string();

    let collected = std::mem::take(&mut *collected.lock().unwrap_or_else(PoisonError::into_inner));
    if collected.is_empty() && refs.is_empty() {
        return first;
    }
    let mut resolved: HashMap<(UrlKind, String), Option<String>> = HashMap::new();
    for key in collected {
        if let Entry::Vacant(entry) = resolved.entry(key) {
            let (kind, url) = entry.key();
            let answer = match kind {
                UrlKind::Link => links.link(url),
                UrlKind::Image => links.image(url),
            };
            entry.insert(answer.filter(|out| is_safe_url(out)));
        }
    }
    sanitizer(move |kind, url| {
        if let Some(url) = refs.url(kind, url) {
            return UrlAction::Replace(url.to_owned());
        }
        if !is_relative(url) {
            return UrlAction::Keep;
        }
        // A URL the first pass did not see cannot be vouched for: drop it.
        match resolved.get(&(kind, url.to_owned())) {
            Some(Some(new)) => UrlAction::Replace(new.clone()),
            _ => UrlAction::Drop,
        }
    })
    .clean(&first)
    .to_string()
}

/// The links [`crate::markdown_with_refs`] makes for references. Their `href`s are
/// stand-ins until the last sanitizer pass puts in the resolver's URLs: a `RefResolver`
/// gives site-relative URLs (`/o/r/issues/3`) that must not go through the
/// [`LinkResolver`], which would read them as paths inside the repository.
///
/// A stand-in is a relative URL made of a random marker and an index. The marker is
/// fresh for every document, so Markdown cannot guess it to borrow a reference's URL.
#[derive(Debug)]
pub(crate) struct RefHrefs {
    marker: String,
    urls: Vec<String>,
}

impl RefHrefs {
    /// No reference links: [`markdown`].
    fn none() -> Self {
        Self {
            marker: String::new(),
            urls: Vec::new(),
        }
    }

    pub(crate) fn new() -> Self {
        // `RandomState` keys are random per thread and change with every instance: the
        // hash of a constant is an unpredictable number.
        let nonce = RandomState::new().hash_one(0u8);
        Self {
            marker: format!("hatchery-ref-{nonce:016x}-"),
            urls: Vec::new(),
        }
    }

    /// The stand-in `href` of a link to `url`, which [`is_safe_url`] accepted.
    pub(crate) fn push(&mut self, url: String) -> String {
        self.urls.push(url);
        format!("{}{}", self.marker, self.urls.len() - 1)
    }

    fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// The URL that `href`, if it is a stand-in, stands for.
    fn url(&self, kind: UrlKind, href: &str) -> Option<&str> {
        if kind != UrlKind::Link || self.urls.is_empty() {
            return None;
        }
        let index = href.strip_prefix(self.marker.as_str())?;
        if !index.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.urls
            .get(index.parse::<usize>().ok()?)
            .map(String::as_str)
    }
}

/// The comrak options of every Markdown rendering: parsing and HTML output.
pub(crate) fn options() -> Options<'static> {
    let mut options = Options::default();
    let ext = &mut options.extension;
    ext.strikethrough = true;
    ext.table = true;
    ext.autolink = true;
    ext.tasklist = true;
    ext.footnotes = true;
    ext.alerts = true;
    // Ids get their prefix from the sanitizer, like ids written in raw HTML.
    ext.header_id_prefix = Some(String::new());
    let render = &mut options.render;
    // Raw HTML is kept here and sanitized afterwards, as GitHub does.
    render.r#unsafe = true;
    render.tasklist_classes = true;
    options
}

/// HTML of a parsed document, to be sanitized.
pub(crate) fn render_unsanitized<'a>(root: &'a AstNode<'a>) -> String {
    let mut plugins = Plugins::default();
    plugins.render.codefence_syntax_highlighter = Some(&FenceHighlighter);
    let mut html = String::new();
    // Writing to a `String` cannot fail and neither does the highlighter; on an error
    // the HTML so far is still sanitized like any other.
    let _ = format_html_with_plugins(root, &options(), &mut html, &plugins);
    html
}

/// Highlights fenced code blocks with the crate's highlighter.
struct FenceHighlighter;

impl SyntaxHighlighterAdapter for FenceHighlighter {
    fn write_highlighted(
        &self,
        output: &mut dyn fmt::Write,
        lang: Option<&str>,
        code: &str,
    ) -> fmt::Result {
        let token = fence_token(lang.unwrap_or(""));
        output.write_str(&highlight_block(syntax_for_token(token), code))
    }

    fn write_pre_tag(
        &self,
        output: &mut dyn fmt::Write,
        attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        // The themes' base colours, which the token colours are chosen against.
        let mut attributes = attributes;
        attributes.insert("class", Cow::Borrowed("hl-code"));
        write_tag(output, "pre", attributes)
    }

    fn write_code_tag(
        &self,
        output: &mut dyn fmt::Write,
        attributes: HashMap<&'static str, Cow<'_, str>>,
    ) -> fmt::Result {
        let mut attributes = attributes;
        // `class="language-rust,ignore"` becomes `class="language-rust"`.
        if let Some(class) = attributes.remove("class")
            && let Some(info) = class.strip_prefix("language-")
        {
            let token = fence_token(info);
            if !token.is_empty() {
                attributes.insert("class", Cow::Owned(format!("language-{token}")));
            }
        }
        write_tag(output, "code", attributes)
    }
}

/// The language token of a fence's info string (up to the first space, which comrak
/// already split at): `rust` in `rust,ignore`, `python` in `{.python}`.
fn fence_token(info: &str) -> &str {
    info.trim_start_matches(['{', '.'])
        .split([',', '{', '}', ' '])
        .next()
        .unwrap_or("")
}

fn write_tag(
    output: &mut dyn fmt::Write,
    tag: &str,
    attributes: HashMap<&'static str, Cow<'_, str>>,
) -> fmt::Result {
    let mut attributes: Vec<_> = attributes.into_iter().collect();
    attributes.sort_unstable_by_key(|&(name, _)| name);
    let mut s = format!("<{tag}");
    for (name, value) in attributes {
        s.push(' ');
        s.push_str(name);
        s.push_str("=\"");
        escape_into(&mut s, &value);
        s.push('"');
    }
    s.push('>');
    output.write_str(&s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum UrlKind {
    Link,
    Image,
}

impl UrlKind {
    /// Which attributes hold the URLs that resolvers handle. `None` for every other
    /// attribute: they are filtered in [`filter_attribute`].
    fn of(element: &str, attribute: &str) -> Option<Self> {
        match (element, attribute) {
            ("a", "href") => Some(Self::Link),
            ("img", "src") => Some(Self::Image),
            _ => None,
        }
    }
}

/// What to do with an `a href` or `img src` value (fragment-only links aside).
enum UrlAction {
    Keep,
    Replace(String),
    Drop,
}

/// `true` for a URL without a scheme (as ammonia and browsers parse it).
fn is_relative(url: &str) -> bool {
    matches!(Url::parse(url), Err(ParseError::RelativeUrlWithoutBase))
}

/// A URL a resolver may return: relative, or absolute `http`, `https` or `mailto`.
pub(crate) fn is_safe_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_ascii_control()) {
        return false;
    }
    match Url::parse(url) {
        Ok(parsed) => matches!(parsed.scheme(), "http" | "https" | "mailto"),
        Err(e) => e == ParseError::RelativeUrlWithoutBase,
    }
}

/// Classes the page may style; everything else is removed from `class` attributes.
const ALLOWED_CLASSES: &[&str] = &[
    "anchor",
    "footnotes",
    "footnote-ref",
    "footnote-backref",
    "contains-task-list",
    "task-list-item",
    "task-list-item-checkbox",
    "markdown-alert",
    "markdown-alert-title",
    "markdown-alert-note",
    "markdown-alert-tip",
    "markdown-alert-important",
    "markdown-alert-warning",
    "markdown-alert-caution",
];

fn class_allowed(element: &str, class: &str) -> bool {
    match element {
        "span" => class.starts_with(crate::highlight::CLASS_PREFIX) && class.len() > 3,
        "code" => class.starts_with("language-") && class.len() > 9,
        "pre" => class == "hl-code",
        // The references linked by `markdown_with_refs`.
        "a" => class == "ref" || ALLOWED_CLASSES.contains(&class),
        _ => ALLOWED_CLASSES.contains(&class),
    }
}

/// The attribute filter for everything but relative `a href` and `img src` values.
fn filter_attribute<'u>(element: &str, attribute: &str, value: &'u str) -> Option<Cow<'u, str>> {
    match attribute {
        "class" => {
            let kept: Vec<&str> = value
                .split_ascii_whitespace()
                .filter(|class| class_allowed(element, class))
                .collect();
            if kept.is_empty() {
                None
            } else {
                Some(Cow::Owned(kept.join(" ")))
            }
        }
        "href" if value.starts_with('#') => {
            let fragment = &value[1..];
            if fragment.is_empty() || fragment.starts_with(ID_PREFIX) {
                Some(Cow::Borrowed(value))
            } else {
                Some(Cow::Owned(format!("#{ID_PREFIX}{fragment}")))
            }
        }
        // Relative URLs in any other URL attribute cannot be resolved: drop them.
        "href" | "src" | "cite"
            if UrlKind::of(element, attribute).is_none() && is_relative(value) =>
        {
            None
        }
        _ => Some(Cow::Borrowed(value)),
    }
}

/// Elements removed with their content, besides ammonia's `script` and `style`.
pub(crate) const CLEAN_CONTENT_TAGS: [&str; 7] = [
    "iframe", "noscript", "noembed", "noframes", "template", "object", "embed",
];

/// The sanitizer policy: ammonia's defaults (a conservative set of formatting tags,
/// no scripts, styles, frames, forms, SVG or MathML, no event handlers) plus what
/// GFM output needs, with `urls` deciding the `a href` and `img src` values.
fn sanitizer<F>(urls: F) -> ammonia::Builder<'static>
where
    F: Fn(UrlKind, &str) -> UrlAction + Send + Sync + 'static,
{
    let mut b = ammonia::Builder::default();
    b.add_tags(["input", "section"])
        .add_clean_content_tags(CLEAN_CONTENT_TAGS)
        .url_schemes(
            ["http", "https", "mailto"]
                .into_iter()
                .collect::<HashSet<_>>(),
        )
        .link_rel(Some(LINK_REL))
        .id_prefix(Some(ID_PREFIX))
        .add_tag_attributes("a", ["id", "class", "aria-hidden", "aria-label"])
        .add_tag_attributes("sup", ["id", "class"])
        .add_tag_attributes("section", ["class"])
        .add_tag_attributes("ol", ["class"])
        .add_tag_attributes("ul", ["class"])
        .add_tag_attributes("li", ["id", "class"])
        .add_tag_attributes("div", ["class", "align"])
        .add_tag_attributes("p", ["class", "align"])
        .add_tag_attributes("pre", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("details", ["open"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("td", ["align"])
        // Task list checkboxes: whatever the source says, an input is a disabled checkbox.
        .add_tag_attributes("input", ["checked"])
        .set_tag_attribute_value("input", "type", "checkbox")
        .set_tag_attribute_value("input", "disabled", "");
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, ["id", "align"]);
    }
    b.attribute_filter(move |element, attribute, value| {
        if let Some(kind) = UrlKind::of(element, attribute)
            && !value.starts_with('#')
        {
            return match urls(kind, value) {
                UrlAction::Keep => Some(Cow::Borrowed(value)),
                UrlAction::Replace(new) => Some(Cow::Owned(new)),
                UrlAction::Drop => None,
            };
        }
        filter_attribute(element, attribute, value)
    });
    b
}
