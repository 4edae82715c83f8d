//! Views: plain functions returning `Markup`. Every string a person reads comes from the
//! message catalogs through `ctx.t`.

pub mod checks;
mod layout;

pub use layout::{error_page, page};

use crate::ctx::Ctx;
use maud::{Markup, html};

/// A square with the account's initial, standing in for an avatar without loading images
/// from anywhere.
pub fn avatar(name: &str, is_org: bool) -> Markup {
    let initial = name
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    html! { div.avatar.org[is_org] aria-hidden="true" { (initial) } }
}

/// A date as `YYYY-MM-DD` (UTC) from unix milliseconds.
pub fn date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
        .unwrap_or_default()
}

/// A link to a person's profile; a deleted account shows as the ghost.
pub fn person_link(ctx: &Ctx, p: Option<&hatchery_store::Person>) -> Markup {
    match p {
        Some(p) => html! { a.person href=(format!("/{}", p.name)) { (p.name) } },
        None => html! { span.person.muted { (ctx.t("issue.ghost")) } },
    }
}

/// Who wrote an issue or comment: the author's link, or for an imported item whose author
/// has no account here, "originally by X on GitHub" (the source's name, not a link: it
/// names an account of another forge).
pub fn author_link(
    ctx: &Ctx,
    p: Option<&hatchery_store::Person>,
    original_author: &str,
    original_service: &str,
) -> Markup {
    if original_author.is_empty() {
        return person_link(ctx, p);
    }
    let service = hatchery_core::imports::SourceKind::parse(original_service)
        .map(|k| k.display_name())
        .unwrap_or(original_service);
    html! {
        span.person.original-author title=(ctx.tf("issue.imported_by", &[("name", p.map(|p| p.name.as_str()).unwrap_or(""))])) {
            (ctx.tf("issue.originally_by", &[("name", original_author), ("service", service)]))
        }
    }
}

/// Tabs with the current one marked.
pub fn tabs(items: &[(&str, String, bool)]) -> Markup {
    html! {
        nav.tabs {
            @for (label, href, active) in items {
                a.active[*active] href=(href) aria-current=[active.then_some("page")] { (label) }
            }
        }
    }
}

/// A POST form with only a button (remove, delete...), carrying the CSRF token.
pub fn button_form(ctx: &Ctx, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline-form method="post" action=(action) {
            (crate::form::csrf_input(ctx))
            button type="submit" class=(format!("btn btn-small {class}")) { (label) }
        }
    }
}

/// A label as a coloured badge. The colour is checked again here, so that a bad stored
/// value can never inject into the style attribute.
pub fn label_badge(label: &hatchery_store::Label) -> Markup {
    let bg = hatchery_core::issues::color(&label.color).unwrap_or_else(|| "#cfd3d7".to_owned());
    let fg = if hatchery_core::issues::label_text_is_dark(&bg) {
        "#1f2328"
    } else {
        "#ffffff"
    };
    html! {
        span.label style=(format!("background-color:{bg};color:{fg}"))
            title=[(!label.description.is_empty()).then_some(label.description.as_str())] {
            (label.name)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date(0), "1970-01-01");
        assert_eq!(super::date(1_764_288_000_000), "2025-11-28");
    }
}
