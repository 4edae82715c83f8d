//! References in Markdown (`#12`, `owner/repo#12`, `@name`, commit ids) as links.
//!
//! References are found in the text of the parsed document, not in its source, so that
//! code spans, code blocks, links, autolinks and raw HTML are left alone without
//! re-implementing Markdown; [`markdown_references`] and [`markdown_with_refs`] share the
//! walk, so what one lists is what the other links.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use comrak::arena_tree::NodeEdge;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, parse_document};
use hatchery_core::references::{Reference, scan};

use crate::highlight::escape_into;
use crate::markdown::{
    CLEAN_CONTENT_TAGS, LinkResolver, RefHrefs, is_safe_url, options, render_unsanitized, sanitize,
};

/// Resolves references to URLs. Anything returning `None` stays plain text, so a resolver
/// should answer only for issues, accounts and commits that exist and that the reader may
/// see. It is called at most once per distinct reference of a document; to look them up in
/// bulk, collect them first with [`markdown_references`].
pub trait RefResolver {
    /// `#12` (`repo` is `None`) or `owner/repo#12`, with owner and repo as written.
    fn issue(&self, repo: Option<(&str, &str)>, number: i64) -> Option<RefLink>;
    /// `@name`, without the `@`, as written.
    fn mention(&self, name: &str) -> Option<RefLink>;
    /// A commit id of 7 to 40 hex digits, lowercased.
    fn commit(&self, hex: &str) -> Option<RefLink>;
}

/// Where a reference links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefLink {
    /// Site-relative like `"/o/r/issues/3"`, or absolute `http`/`https`. Used exactly as
    /// given (the [`LinkResolver`] does not see it); a URL with another scheme leaves the
    /// reference unlinked.
    pub url: String,
    /// Shown as the link's `title` tooltip, for instance the issue's title. Plain text: it
    /// is escaped.
    pub title: Option<String>,
}

/// The references in Markdown, deduplicated, in order of first appearance. Only those in
/// text are listed: not in code spans, code blocks, links, autolinks or raw HTML (nor in
/// text inside raw `<a>`, `<code>`, `<pre>` or elements the sanitizer removes), i.e.
/// exactly the places [`markdown_with_refs`] would link. Meant for notifications and
/// cross-references: who is mentioned, which issues are referred to.
pub fn markdown_references(src: &str) -> Vec<Reference> {
    let arena = Arena::new();
    let root = parse_document(&arena, src, &options());
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for run in linkable_text(root) {
        for found in scan(&run_text(&run)) {
            if seen.insert(found.reference.clone()) {
                out.push(found.reference);
            }
        }
    }
    out
}

/// Like [`crate::markdown()`], and references in text become links when `refs` knows them:
/// `<a class="ref" href="…" title="…" rel="nofollow noopener">#3</a>`, with the text as
/// written (a commit id is not shortened). Where references are looked for is described
/// at [`markdown_references`] and what counts as one at [`hatchery_core::references::scan`].
/// The output is sanitized exactly as [`crate::markdown()`]'s.
pub fn markdown_with_refs(src: &str, links: &dyn LinkResolver, refs: &dyn RefResolver) -> String {
    let arena = Arena::new();
    let root = parse_document(&arena, src, &options());
    let mut linker = Linker {
        resolver: refs,
        resolved: HashMap::new(),
        hrefs: RefHrefs::new(),
    };
    for run in linkable_text(root) {
        linker.link_run(&arena, &run);
    }
    sanitize(&render_unsanitized(root), links, linker.hrefs)
}

/// Adjacent `Text` nodes, read as one text: comrak joins them, but a reference must never
/// be found at the start of a node when the text before it, in a sibling, would rule it out.
type Run<'a> = Vec<&'a AstNode<'a>>;

fn run_text(run: &Run<'_>) -> String {
    run.iter()
        .filter_map(|node| node.data().value.text().map(str::to_owned))
        .collect()
}

/// The runs of text where references are linked, in document order: `Text` nodes that
/// are not inside a link or image (autolinks are links) and not inside raw HTML elements
/// whose text is never linked. Code spans, code blocks and raw HTML hold their content as
/// literals, not `Text` nodes, so they need no check.
fn linkable_text<'a>(root: &'a AstNode<'a>) -> Vec<Run<'a>> {
    let mut runs: Vec<Run<'a>> = Vec::new();
    let mut in_link = 0usize;
    let mut raw = RawHtml::default();
    for edge in root.traverse() {
        match edge {
            NodeEdge::Start(node) => match &node.data().value {
                NodeValue::Link(_) | NodeValue::Image(_) | NodeValue::WikiLink(_) => {
                    in_link += 1;
                }
                NodeValue::HtmlInline(html) => raw.read(html),
                NodeValue::HtmlBlock(block) => raw.read(&block.literal),
                NodeValue::Text(_) if in_link == 0 && !raw.inside_unlinked() => {
                    let continues = runs.last().and_then(|run| run.last()).is_some_and(|last| {
                        node.previous_sibling()
                            .is_some_and(|prev| prev.same_node(last))
                    });
                    match runs.last_mut() {
                        Some(run) if continues => run.push(node),
                        _ => runs.push(vec![node]),
                    }
                }
                _ => {}
            },
            NodeEdge::End(node) => {
                if matches!(
                    node.data().value,
                    NodeValue::Link(_) | NodeValue::Image(_) | NodeValue::WikiLink(_)
                ) {
                    in_link = in_link.saturating_sub(1);
                }
            }
        }
    }
    runs
}

/// Raw HTML elements whose text gets no reference links: links and code, as on GitHub,
/// and what the sanitizer removes with its content or does not render as HTML (raw text
/// elements, foreign content).
const UNLINKED_ELEMENTS: &[&str] = &[
    "a",
    "code",
    "pre",
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "plaintext",
    "svg",
    "math",
];

/// Which raw HTML elements are open at a point of the document, from the tags of the raw
/// HTML so far. Only the elements of [`UNLINKED_ELEMENTS`] are counted; tags inside
/// comments are ignored. It errs on the side of not linking: a stray `<code>` in raw HTML
/// turns linking off until a `</code>`, as a browser would keep the rest in `<code>`.
#[derive(Default)]
struct RawHtml {
    open: HashMap<&'static str, usize>,
}

impl RawHtml {
    fn inside_unlinked(&self) -> bool {
        self.open.values().any(|&depth| depth > 0)
    }

    fn read(&mut self, html: &str) {
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            rest = &rest[lt + 1..];
            if let Some(comment) = rest.strip_prefix("!--") {
                rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
                continue;
            }
            let (closing, tag) = match rest.strip_prefix('/') {
                Some(tag) => (true, tag),
                None => (false, rest),
            };
            let name_len = tag
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
                .count();
            let name = &tag[..name_len];
            let ends_name = tag[name_len..]
                .bytes()
                .next()
                .is_none_or(|b| b.is_ascii_whitespace() || b == b'/' || b == b'>');
            if !ends_name {
                continue;
            }
            let Some(&element) = UNLINKED_ELEMENTS
                .iter()
                .chain(CLEAN_CONTENT_TAGS.iter())
                .find(|element| element.eq_ignore_ascii_case(name))
            else {
                continue;
            };
            let depth = self.open.entry(element).or_default();
            if closing {
                *depth = depth.saturating_sub(1);
            } else if element == "a" {
                // Links do not nest: a new `<a>` closes the open one.
                *depth = 1;
            } else {
                *depth += 1;
            }
        }
    }
}

/// Resolves references and replaces runs of text with text and links.
struct Linker<'r> {
    resolver: &'r dyn RefResolver,
    /// Answers so far: the resolver is asked once per distinct reference.
    resolved: HashMap<Reference, Option<RefLink>>,
    hrefs: RefHrefs,
}

impl Linker<'_> {
    fn resolve(&mut self, reference: &Reference) -> Option<RefLink> {
        if let Some(answer) = self.resolved.get(reference) {
            return answer.clone();
        }
        let answer = match reference {
            Reference::Issue { repo, number } => self.resolver.issue(
                repo.as_ref()
                    .map(|(owner, repo)| (owner.as_str(), repo.as_str())),
                *number,
            ),
            Reference::Mention(name) => self.resolver.mention(name),
            Reference::Commit(hex) => self.resolver.commit(hex),
        }
        .filter(|link| is_safe_url(&link.url));
        self.resolved.insert(reference.clone(), answer.clone());
        answer
    }

    /// Replaces `run` with text and reference links, if any of its references resolve.
    fn link_run<'a>(&mut self, arena: &'a Arena<'a>, run: &Run<'a>) {
        let Some(first) = run.first() else {
            return;
        };
        let text = run_text(run);
        let mut pieces = Vec::new();
        let mut done = 0;
        for found in scan(&text) {
            let Some(link) = self.resolve(&found.reference) else {
                continue;
            };
            let range = found.range;
            if range.start > done {
                pieces.push(NodeValue::Text(Cow::Owned(
                    text[done..range.start].to_owned(),
                )));
            }
            let mut open = String::from(r#"<a class="ref" href=""#);
            escape_into(&mut open, &self.hrefs.push(link.url));
            if let Some(title) = &link.title {
                open.push_str(r#"" title=""#);
                escape_into(&mut open, title);
            }
            open.push_str(r#"">"#);
            // Raw tags around a `Text` node, not a `Link` node: comrak writes no class on
            // links, and the text stays text for heading ids.
            pieces.push(NodeValue::Raw(open));
            pieces.push(NodeValue::Text(Cow::Owned(text[range.clone()].to_owned())));
            pieces.push(NodeValue::Raw("</a>".to_owned()));
            done = range.end;
        }
        if pieces.is_empty() {
            return;
        }
        if done < text.len() {
            pieces.push(NodeValue::Text(Cow::Owned(text[done..].to_owned())));
        }
        for value in pieces {
            first.insert_before(arena.alloc(value.into()));
        }
        for node in run {
            node.detach();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_tracking() {
        let mut raw = RawHtml::default();
        raw.read("<a href=x>");
        assert!(raw.inside_unlinked());
        raw.read("<A HREF=y>");
        raw.read("</a>");
        assert!(!raw.inside_unlinked());
        raw.read("<!-- <code> --><abbr><area>");
        assert!(!raw.inside_unlinked());
        raw.read("<pre><code>");
        raw.read("</code>");
        assert!(raw.inside_unlinked());
        raw.read("</pre></pre></pre>");
        assert!(!raw.inside_unlinked());
        raw.read("<template>");
        assert!(raw.inside_unlinked());
        raw.read("</template");
        assert!(!raw.inside_unlinked());
        raw.read("<!-- unterminated <a>");
        assert!(!raw.inside_unlinked());
    }
}
