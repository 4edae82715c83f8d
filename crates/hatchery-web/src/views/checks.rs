//! Commit statuses as people see them: a small icon with the contexts on hover (history
//! rows, branch lists) and the list of checks with their links (the commit page).

use crate::ctx::Ctx;
use hatchery_core::statuses::CommitState;
use hatchery_service::statuses::CombinedStatus;
use maud::{Markup, html};

fn state_label(ctx: &Ctx, state: CommitState) -> &'static str {
    match state {
        CommitState::Pending => ctx.t("statuses.state_pending"),
        CommitState::Success => ctx.t("statuses.state_success"),
        CommitState::Error => ctx.t("statuses.state_error"),
        CommitState::Failure => ctx.t("statuses.state_failure"),
        CommitState::Warning => ctx.t("statuses.state_warning"),
    }
}

fn symbol(state: CommitState) -> &'static str {
    match state {
        CommitState::Success => "✓",
        CommitState::Pending => "●",
        CommitState::Warning => "!",
        CommitState::Error | CommitState::Failure => "✗",
    }
}

fn icon(state: CommitState, title: &str) -> Markup {
    html! {
        span class=(format!("check-icon check-{}", state.as_str())) title=(title)
            role="img" aria-label=(title) { (symbol(state)) }
    }
}

/// The combined state, with each context and its state on hover.
pub fn check_icon(ctx: &Ctx, combined: &CombinedStatus) -> Markup {
    let contexts: Vec<String> = combined
        .statuses
        .iter()
        .map(|s| format!("{} ({})", s.context, state_label(ctx, s.state)))
        .collect();
    let title = ctx.tf(
        "statuses.summary",
        &[
            ("state", state_label(ctx, combined.state)),
            ("contexts", &contexts.join(", ")),
        ],
    );
    icon(combined.state, &title)
}

/// Every context's latest status, with its description and a link to the run.
pub fn check_list(ctx: &Ctx, combined: &CombinedStatus) -> Markup {
    html! {
        section.card id="checks" {
            h2 style="margin-top:0" { (check_icon(ctx, combined)) " " (ctx.t("statuses.title")) }
            ul.list.check-list {
                @for s in &combined.statuses {
                    li {
                        span {
                            (icon(s.state, state_label(ctx, s.state)))
                            " " strong.check-context { (s.context) }
                            @if !s.description.is_empty() { " " span.muted { (s.description) } }
                        }
                        @if !s.target_url.is_empty() {
                            // Only http(s) URLs are stored (checked when reported).
                            a href=(s.target_url) rel="nofollow noopener noreferrer" { (ctx.t("statuses.details")) }
                        }
                    }
                }
            }
        }
    }
}
