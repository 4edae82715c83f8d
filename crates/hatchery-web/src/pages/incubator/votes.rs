//! A vote: what it decides, its rule and window, the electorate frozen when it opened, the
//! tally (live while open, frozen once closed), the ballots, and the ballot form.

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::incubator::{BallotValue, Phase, VoteKind};
use hatchery_service::incubator::VoteStatus;
use hatchery_store::Vote;
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Loaded, Problems, ProgramTab, at_ms, ballot_label, explain, fail, kind_label, load, now,
    person_link, problems_box, program_header, project_url, proposal_url, reason_label, refused,
    rule_text, time_ago_ms, vote_state_badge, vote_url,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Form, csrf_input};
use crate::state::AppState;
use crate::views::page;

async fn vote_of(state: &AppState, ctx: &Ctx, l: &Loaded, id: &str) -> WebResult<Vote> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .vote(&l.program, id)
        .await
        .map_err(|e| fail(ctx, e))
}

fn outcome_label(ctx: &Ctx, outcome: &str) -> &'static str {
    ctx.t(match outcome {
        "passed" => "incubator.outcome.passed",
        "failed" => "incubator.outcome.failed",
        "cancelled" => "incubator.outcome.cancelled",
        _ => "incubator.outcome.pending",
    })
}

/// What the vote decides, in words, with a link to it.
async fn subject(state: &AppState, ctx: &Ctx, l: &Loaded, vote: &Vote) -> WebResult<Markup> {
    let program = &l.program;
    if let Some(id) = vote.proposal_id {
        let proposal = state.store.proposal_by_id(id).await?;
        return Ok(html! {
            @if let Some(p) = proposal {
                a href=(proposal_url(program, p.number)) id="vote-subject" { (p.name) " #" (p.number) }
                @if let Some(v) = vote.proposal_version { " " span.muted { (ctx.tf("incubator.version_n", &[("n", &v.to_string())])) } }
            }
        });
    }
    if let Some(release_id) = vote.release_id {
        // A release vote names its candidate's tag and links to it; the release page
        // itself is missing to those who may not see the candidate yet.
        let project = match vote.project_id {
            Some(id) => state.store.project_by_id(id).await?,
            None => None,
        };
        let repo = match state.store.release_repo_id(release_id).await? {
            Some(repo_id) => state.store.repo_by_id(repo_id).await?,
            None => None,
        };
        let release = match &repo {
            Some(r) => state.store.release_by_id(r.id, release_id).await?,
            None => None,
        };
        return Ok(html! {
            @if let Some(p) = project {
                a href=(project_url(program, &p)) { (p.name) } " · "
            }
            @if let (Some(repo), Some(r)) = (repo, release) {
                a href=(format!("/{}/{}/releases/tag/{}", repo.owner_name, repo.name, crate::pages::code::enc(&r.tag_name))) id="vote-subject" {
                    (repo.owner_name) "/" (repo.name) " " (r.tag_name)
                }
            }
        });
    }
    if let Some(id) = vote.project_id {
        let project = state.store.project_by_id(id).await?;
        let custom = vote
            .custom_kind
            .as_deref()
            .and_then(|k| program.template.custom_vote(k));
        return Ok(html! {
            @if let Some(p) = project {
                a href=(project_url(program, &p)) id="vote-subject" { (p.name) }
                @if let Some(target) = &vote.target_stage { " → " (super::stage_badge(l, target)) }
                @if let (Some(n), Some(role)) = (&vote.nominee, vote.kind.election_role()) {
                    " · " span id="vote-nominee" data-role=(role) { (super::named_person(ctx, n)) " → " (super::role_label(ctx, &l.program.template, role)) }
                }
                @if vote.kind == VoteKind::Custom {
                    " · " span id="vote-custom" data-kind=[vote.custom_kind.as_deref()] {
                        @if let Some(c) = custom { (c.name.get(l.lang)) ": " }
                        (vote.title)
                    }
                }
                @if !vote.document_url.is_empty() {
                    " · " a href=(vote.document_url) rel="nofollow noopener" id="vote-document" { (ctx.t("incubator.document")) }
                }
            }
        });
    }
    Ok(html! {})
}

#[derive(Default)]
struct BallotDraft<'a> {
    value: &'a str,
    comment: &'a str,
}

async fn vote_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    vote: &Vote,
    problems: &Problems,
    draft: BallotDraft<'_>,
) -> WebResult<Markup> {
    let at = now();
    let status: VoteStatus = state
        .forge
        .vote_status(vote, at)
        .await
        .map_err(|e| fail(ctx, e))?;
    let binding = state
        .forge
        .is_binding_voter(ctx.actor(), vote)
        .await
        .map_err(|e| fail(ctx, e))?;
    let me = ctx.user.as_ref().map(|u| u.id);
    let mine = status.ballots.iter().find(|b| Some(b.voter.id) == me);
    let accepting = !vote.state.is_closed() && at < status.closes_at;
    let t = &status.tally;
    let about = subject(state, ctx, l, vote).await?;
    let url = vote_url(&l.program, vote.id);
    let chosen = if draft.value.is_empty() {
        mine.map_or("", |b| b.value.as_str())
    } else {
        draft.value
    };
    let comment = if draft.comment.is_empty() {
        mine.map_or("", |b| b.comment.as_str())
    } else {
        draft.comment
    };
    Ok(page(
        ctx,
        &format!("{} · {}", kind_label(ctx, vote.kind), l.program.name),
        html! {
            (program_header(ctx, l, ProgramTab::Dashboard))
            div.issue-head {
                h2.issue-heading id="vote-title" {
                    (kind_label(ctx, vote.kind)) " " span.muted { (ctx.tf("incubator.vote_n", &[("n", &vote.id.to_string())])) }
                }
                div.issue-meta {
                    (vote_state_badge(ctx, vote.state)) " " (about) " · "
                    (ctx.t("incubator.opened_by")) " " (person_link(ctx, vote.opened_by.as_ref())) " " (time_ago_ms(ctx, vote.opened_at))
                }
            }
            (problems_box(ctx, problems))
            div.issue-layout {
                div.timeline {
                    section.card id="tally" data-outcome=(t.outcome) {
                        h3 style="margin-top:0" {
                            @if vote.state.is_closed() { (ctx.t("incubator.result")) } @else { (ctx.t("incubator.live_tally")) }
                        }
                        table.data.tally {
                            thead { tr {
                                th {}
                                th { (ballot_label(ctx, BallotValue::Plus1)) }
                                th { (ballot_label(ctx, BallotValue::Zero)) }
                                th { (ballot_label(ctx, BallotValue::Minus1)) }
                            } }
                            tbody {
                                tr id="tally-binding" {
                                    th { (ctx.t("incubator.binding")) }
                                    td.num data-plus=(t.binding_plus) { (t.binding_plus) }
                                    td.num { (t.binding_zero) }
                                    td.num data-minus=(t.binding_minus) { (t.binding_minus) }
                                }
                                tr id="tally-nonbinding" {
                                    th { (ctx.t("incubator.nonbinding")) }
                                    td.num data-plus=(t.nonbinding_plus) { (t.nonbinding_plus) }
                                    td.num { (t.nonbinding_zero) }
                                    td.num { (t.nonbinding_minus) }
                                }
                            }
                        }
                        p id="outcome" {
                            strong { (outcome_label(ctx, &t.outcome)) } " · " (reason_label(ctx, &t.reason))
                        }
                        p.muted { (ctx.tf("incubator.electorate_size", &[("n", &t.electorate.to_string())])) }
                        @if let Some(closed) = vote.closed_at {
                            p.muted id="frozen" { (ctx.t("incubator.frozen")) " " (at_ms(closed)) }
                        }
                    }
                    section id="ballots" {
                        h3 { (ctx.t("incubator.ballots")) " " span.badge { (status.ballots.len()) } }
                        @if status.ballots.is_empty() { div.empty { (ctx.t("incubator.no_ballots")) } }
                        @else {
                            table.data id="ballot-table" {
                                thead { tr {
                                    th { (ctx.t("incubator.col.voter")) }
                                    th { (ctx.t("incubator.col.ballot")) }
                                    th { (ctx.t("incubator.col.binding")) }
                                    th { (ctx.t("incubator.col.comment")) }
                                    th { (ctx.t("incubator.col.when")) }
                                } }
                                tbody {
                                    @for b in &status.ballots {
                                        tr id=(format!("ballot-{}", b.voter.name)) data-binding=(b.binding) data-value=(b.value.as_str()) {
                                            td { (person_link(ctx, Some(&b.voter))) }
                                            td { strong { (b.value.as_str()) } }
                                            td { @if b.binding { span.badge.badge-binding { (ctx.t("incubator.binding")) } } @else { span.badge { (ctx.t("incubator.nonbinding")) } } }
                                            td { (b.comment) }
                                            td { (time_ago_ms(ctx, b.updated_at)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if accepting {
                        section.card id="ballot" {
                            h3 style="margin-top:0" { (ctx.t("incubator.cast_ballot")) }
                            @if ctx.user.is_none() {
                                p.muted { a href=(crate::pages::auth::login_url(&url)) { (ctx.t("incubator.sign_in_to_vote")) } }
                            } @else {
                                p id="binding-note" data-binding=(binding) {
                                    @if binding { (ctx.t("incubator.your_vote_binding")) } @else { (ctx.t("incubator.your_vote_nonbinding")) }
                                }
                                @if let Some(b) = mine {
                                    p.muted id="your-ballot" { (ctx.tf("incubator.your_ballot", &[("value", b.value.as_str())])) }
                                }
                                form.stack method="post" action=(format!("{url}/ballot")) id="ballot-form" novalidate {
                                    (csrf_input(ctx))
                                    fieldset.checks {
                                        legend { (ctx.t("incubator.col.ballot")) }
                                        @for v in BallotValue::ALL {
                                            label.check {
                                                input type="radio" name="value" value=(v.as_str()) checked[chosen == v.as_str()];
                                                " " strong { (v.as_str()) } " " (ballot_label(ctx, v))
                                            }
                                        }
                                        @if let Some(m) = problems.fields.message(ctx, "value") { div.error role="alert" { (m) } }
                                    }
                                    div.field {
                                        label for="f-comment" { (ctx.t("incubator.col.comment")) }
                                        textarea id="f-comment" name="comment" { (comment) }
                                    }
                                    div { button.btn.btn-primary type="submit" id="ballot-submit" { (ctx.t("incubator.vote")) } }
                                }
                            }
                        }
                    } @else if !vote.state.is_closed() {
                        div.notice role="note" id="awaiting-close" { (ctx.t("incubator.awaiting_close")) }
                    }
                }
                aside.issue-side {
                    section id="rule" {
                        h3 { (ctx.t("incubator.rule_heading")) }
                        p { (rule_text(ctx, &vote.config.rule)) }
                    }
                    section id="window" {
                        h3 { (ctx.t("incubator.window")) }
                        div { (ctx.t("incubator.opened")) " " (at_ms(vote.opened_at)) }
                        div { (ctx.t("incubator.min_close")) " " (at_ms(vote.min_close_at)) }
                        div { (ctx.t("incubator.deadline")) " " (at_ms(status.closes_at)) }
                        @match status.phase {
                            Some(Phase::BeforeMinimum) => { p.muted { (ctx.t("incubator.phase.before_minimum")) } }
                            Some(Phase::Open) => { p.muted { (ctx.t("incubator.phase.open")) } }
                            Some(Phase::DeadlinePassed) => { p.muted { (ctx.t("incubator.phase.deadline_passed")) } }
                            None => {}
                        }
                    }
                    section id="electorate" {
                        h3 { (ctx.t("incubator.electorate")) " " span.badge { (status.electorate.len()) } }
                        @if status.electorate.is_empty() { span.muted { (ctx.t("incubator.no_electorate")) } }
                        @for p in &status.electorate { div { (person_link(ctx, Some(p))) } }
                        p.muted.small { (ctx.t("incubator.electorate_hint")) }
                    }
                    section id="voters" {
                        p.muted.small { (ctx.t("incubator.election.col_voters")) ": " (super::elections::voters_label(ctx, vote.config.voters)) }
                    }
                    @if vote.kind == VoteKind::Release {
                        section { p.muted.small { (ctx.t("incubator.release_vote_hint")) } }
                    } @else if vote.kind.election_role().is_some() {
                        section { p.muted.small { (ctx.t("incubator.election.vote_hint")) } }
                    } @else if vote.kind == VoteKind::Custom {
                        section { p.muted.small { (ctx.t("incubator.election.custom_hint")) } }
                    } @else if vote.kind != VoteKind::AcceptProposal {
                        section { p.muted.small { (ctx.t("incubator.stage_vote_hint")) } }
                    }
                }
            }
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, id)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let vote = vote_of(&state, &ctx, &l, &id).await?;
    vote_page(
        &state,
        &ctx,
        &l,
        &vote,
        &Problems::none(),
        BallotDraft::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct BallotForm {
    #[serde(default)]
    value: String,
    #[serde(default)]
    comment: String,
}

pub async fn ballot(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, id)): Path<(String, String, String)>,
    Form(form): Form<BallotForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let vote = vote_of(&state, &ctx, &l, &id).await?;
    ctx.require_user()?;
    let draft = BallotDraft {
        value: &form.value,
        comment: &form.comment,
    };
    let Ok(value) = form.value.parse::<BallotValue>() else {
        let mut p = Problems::none();
        p.add_field(&ctx, "value", "error.incubator.ballot_value");
        return Ok(refused(
            vote_page(&state, &ctx, &l, &vote, &p, draft).await?,
        ));
    };
    let had = state
        .forge
        .vote_status(&vote, now())
        .await
        .map_err(|e| fail(&ctx, e))?
        .ballots
        .iter()
        .any(|b| Some(b.voter.id) == ctx.user.as_ref().map(|u| u.id));
    match state
        .forge
        .cast_ballot(ctx.actor(), &l.program, &vote, value, &form.comment, now())
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            if had {
                "incubator.flash.ballot_replaced"
            } else {
                "incubator.flash.ballot_cast"
            },
            &vote_url(&l.program, vote.id),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                vote_page(&state, &ctx, &l, &vote, &p, draft).await?,
            ))
        }
    }
}
