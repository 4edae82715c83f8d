//! Proposals: the list by state, drafting one from the program's form (sections, people
//! with affiliations, repositories), the proposal with its discussion, votes and
//! revisions, editing, starting the discussion, asking for more information and opening
//! the vote.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_core::Action;
use hatchery_core::incubator::{ProgramTemplate, ProposalState, Section};
use hatchery_render::{DropRelative, markdown};
use hatchery_service::incubator::{PersonInput, PersonRow, ProposalInput, VoteOn};
use hatchery_store::{NamedPerson, Proposal, ProposalPeople};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::{
    Loaded, Problems, ProgramTab, at_ms, explain, fail, kind_label, load, may, now, person_link,
    problems_box, program_header, project_url, proposal_state_badge, proposal_state_label,
    proposal_url, refused, slug_problem, time_ago_ms, vote_state_badge, vote_url,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, Input, csrf_input, value, values};
use crate::state::AppState;
use crate::views::page;

/// Blank rows offered for more people, and the least rows the People table shows.
const SPARE_ROWS: usize = 2;
const MIN_PEOPLE_ROWS: usize = 5;

fn md(text: &str) -> PreEscaped<String> {
    PreEscaped(markdown(text, &DropRelative))
}

/// Proposal `number` as the visitor may see it: a draft only to those who may edit it.
async fn proposal_of(state: &AppState, ctx: &Ctx, l: &Loaded, number: &str) -> WebResult<Proposal> {
    let number: i64 = number.parse().map_err(|_| WebError::NotFound)?;
    state
        .forge
        .visible_proposal(ctx.actor(), &l.program, number)
        .await
        .map_err(|e| fail(ctx, e))
}

// ---- list ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let all = state
        .forge
        .program_proposals(ctx.actor(), &l.program, None)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let filter: Option<ProposalState> = q.state.parse().ok();
    let shown: Vec<&Proposal> = all
        .iter()
        .filter(|p| filter.is_none_or(|s| p.state == s))
        .collect();
    let base = format!("{}/proposals", l.base());
    let count = |s: ProposalState| all.iter().filter(|p| p.state == s).count();
    Ok(page(
        &ctx,
        &format!("{} · {}", ctx.t("incubator.tab.proposals"), l.program.name),
        html! {
            (program_header(&ctx, &l, ProgramTab::Proposals))
            div.toolbar {
                nav.subnav id="proposal-states" {
                    a.active[filter.is_none()] href=(base) { (ctx.t("incubator.all")) " " span.badge { (all.len()) } }
                    @for s in ProposalState::ALL {
                        a.active[filter == Some(s)] href=(format!("{base}?state={}", s.as_str())) {
                            (proposal_state_label(&ctx, s)) " " span.badge { (count(s)) }
                        }
                    }
                }
                a.btn.btn-primary.btn-small href=(format!("{base}/new")) id="new-proposal" { (ctx.t("incubator.new_proposal")) }
            }
            @if shown.is_empty() {
                div.empty id="proposals-empty" { (ctx.t("incubator.no_proposals")) }
            } @else {
                ul.list id="proposal-list" {
                    @for p in &shown {
                        li id=(format!("proposal-{}", p.number)) {
                            div {
                                a href=(proposal_url(&l.program, p.number)) { strong { (p.name) } } " " span.muted { "#" (p.number) }
                                div.muted.small {
                                    (person_link(&ctx, p.author.as_ref())) " · " (time_ago_ms(&ctx, p.updated_at))
                                }
                            }
                            (proposal_state_badge(&ctx, p.state))
                        }
                    }
                }
            }
        },
    ))
}

// ---- the form ----

/// The proposal form as submitted: its inputs repeat (people rows), so it is read as pairs.
#[derive(Debug, Clone, Default)]
struct Submitted {
    input: ProposalInput,
    /// The repositories as typed, one per line.
    repos_text: String,
    version: i64,
}

/// The People table's rows as submitted (its inputs repeat once per row), leaving out
/// blank ones.
fn people_rows(pairs: &[(String, String)]) -> Vec<PersonRow> {
    let users: Vec<&str> = values(pairs, "person_username").collect();
    let names: Vec<&str> = values(pairs, "person_name").collect();
    let affs: Vec<&str> = values(pairs, "person_affiliation").collect();
    let roles: Vec<&str> = values(pairs, "person_role").collect();
    let n = users
        .len()
        .max(names.len())
        .max(affs.len())
        .max(roles.len());
    let at = |v: &[&str], i: usize| v.get(i).copied().unwrap_or("").trim().to_owned();
    (0..n)
        .map(|i| PersonRow {
            role: at(&roles, i),
            person: PersonInput {
                username: at(&users, i),
                name: at(&names, i),
                affiliation: at(&affs, i),
            },
        })
        .filter(|r| {
            let p = &r.person;
            !(p.username.is_empty() && p.name.is_empty() && p.affiliation.is_empty())
        })
        .collect()
}

fn parse_form(l: &Loaded, pairs: &[(String, String)]) -> Submitted {
    let mut sections = BTreeMap::new();
    for s in l.program.template.typed_sections() {
        let key = format!("section_{}", s.key);
        sections.insert(s.key.clone(), value(pairs, &key).to_owned());
    }
    let repos_text = value(pairs, "repos").to_owned();
    let repos = repos_text
        .split(['\n', ',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    Submitted {
        input: ProposalInput {
            slug: value(pairs, "slug").trim().to_owned(),
            name: value(pairs, "name").trim().to_owned(),
            sections,
            people: people_rows(pairs),
            repos,
            ..ProposalInput::default()
        },
        repos_text,
        version: value(pairs, "version").parse().unwrap_or(0),
    }
}

fn person_input(p: &NamedPerson) -> PersonInput {
    PersonInput {
        username: p.username.clone(),
        name: p.name.clone(),
        affiliation: p.affiliation.clone(),
    }
}

/// A saved proposal's people as the People table's rows: the champion, the mentors, the
/// committers.
fn stored_rows(people: &ProposalPeople) -> Vec<PersonRow> {
    let row = |role: &str, p: &NamedPerson| PersonRow {
        role: role.to_owned(),
        person: person_input(p),
    };
    people
        .champion
        .iter()
        .map(|p| row("champion", p))
        .chain(people.mentors.iter().map(|p| row("mentor", p)))
        .chain(people.committers.iter().map(|p| row("committer", p)))
        .collect()
}

/// The form filled from a saved proposal.
async fn stored_form(state: &AppState, ctx: &Ctx, p: &Proposal) -> WebResult<Submitted> {
    let repos = state
        .forge
        .proposal_repos(ctx.actor(), &p.repo_ids)
        .await
        .map_err(|e| fail(ctx, e))?;
    let names: Vec<String> = repos
        .iter()
        .map(|r| format!("{}/{}", r.owner_name, r.name))
        .collect();
    Ok(Submitted {
        input: ProposalInput {
            slug: p.slug.clone(),
            name: p.name.clone(),
            sections: p.sections.clone(),
            people: stored_rows(&p.people),
            repos: names.clone(),
            ..ProposalInput::default()
        },
        repos_text: names.join("\n"),
        version: p.version,
    })
}

/// The People table of the form: each person once, with their role; it fills the form's
/// people sections.
fn people_table_input(ctx: &Ctx, template: &ProgramTemplate, rows: &[PersonRow]) -> Markup {
    let blank = PersonRow::default();
    let n = (rows.len() + SPARE_ROWS).max(MIN_PEOPLE_ROWS);
    let roles = template.people_roles();
    html! {
        table.data.people-input id="people-rows" {
            thead { tr {
                th { (ctx.t("incubator.field.person_name")) }
                th { (ctx.t("incubator.field.username")) }
                th { (ctx.t("incubator.field.affiliation")) }
                th { (ctx.t("incubator.col.role")) }
            } }
            tbody {
                @for i in 0..n {
                    @let r = rows.get(i).unwrap_or(&blank);
                    tr {
                        td { input type="text" name="person_name" value=(r.person.name) aria-label=(ctx.t("incubator.field.person_name")); }
                        td { input type="text" name="person_username" value=(r.person.username) aria-label=(ctx.t("incubator.field.username")); }
                        td { input type="text" name="person_affiliation" value=(r.person.affiliation) aria-label=(ctx.t("incubator.field.affiliation")); }
                        td {
                            select name="person_role" aria-label=(ctx.t("incubator.col.role")) {
                                @for role in &roles {
                                    @let chosen = if r.role.is_empty() { *role == "committer" || (roles.len() == 1) } else { r.role == *role };
                                    option value=(role) selected[chosen] { (super::role_label(ctx, template, role)) }
                                }
                                // A role the form does not offer (typed elsewhere) stays visible, to be refused.
                                @if !r.role.is_empty() && !roles.contains(&r.role.as_str()) {
                                    option value=(r.role) selected { (r.role) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The group heading to show before `sections[i]`: its group, when the section before it
/// is in another one.
fn group_start(sections: &[&Section], i: usize, lang: &str) -> Option<String> {
    let g = &sections[i].group;
    let prev = i.checked_sub(1).map(|j| &sections[j].group);
    (!g.is_empty() && prev != Some(g)).then(|| g.get(lang).to_owned())
}

fn proposal_form(
    ctx: &Ctx,
    l: &Loaded,
    action: &str,
    form: &Submitted,
    p: &Problems,
    submit: &str,
    id: &str,
) -> Markup {
    let template = &l.program.template;
    let all: Vec<&Section> = template.proposal_sections.iter().collect();
    html! {
        (problems_box(ctx, p))
        form.stack.proposal-form method="post" action=(action) id=(id) novalidate {
            (csrf_input(ctx))
            input type="hidden" name="version" value=(form.version);
            (Field::new("name", ctx.t("incubator.field.project_name"), &form.input.name).required().render(ctx, &p.fields))
            (Field::new("slug", ctx.t("incubator.field.project_slug"), &form.input.slug).required().hint(ctx.t("incubator.hint.project_slug")).render(ctx, &p.fields))
            fieldset id="sections" {
                legend { (ctx.t("incubator.field.sections")) }
                @if let Some(m) = p.fields.message(ctx, "sections") { div.error role="alert" { (m) } }
                @for (i, s) in all.iter().enumerate() {
                    @if let Some(g) = group_start(&all, i, l.lang) { h4.section-group { (g) } }
                    @let name = format!("section_{}", s.key);
                    @let id = format!("f-{name}");
                    @if let Some(role) = &s.people_role {
                        div.field.people-section id=(format!("people-section-{}", s.key)) {
                            span.label { (s.title.get(l.lang)) @if s.required { " " span.required title=(ctx.t("incubator.required")) { "*" } } }
                            div.hint { (ctx.tf("incubator.hint.people_section", &[("role", &super::role_label(ctx, template, role))])) }
                        }
                    } @else {
                        div.field {
                            label for=(id) { (s.title.get(l.lang)) @if s.required { " " span.required title=(ctx.t("incubator.required")) { "*" } } }
                            textarea id=(id) name=(name) { (form.input.sections.get(&s.key).map(String::as_str).unwrap_or("")) }
                            @if !s.help.is_empty() { div.hint { (s.help.get(l.lang)) } }
                        }
                    }
                }
            }
            fieldset id="people" {
                legend { (ctx.t("incubator.field.people")) }
                p.muted { (ctx.t("incubator.hint.people_table")) }
                @for f in ["champion", "mentors", "committers", "people"] {
                    @if let Some(m) = p.fields.message(ctx, f) { div.error role="alert" { (m) } }
                }
                (people_table_input(ctx, template, &form.input.people))
            }
            (Field::new("repos", ctx.t("incubator.field.repos"), &form.repos_text).input(Input::TextArea).hint(ctx.t("incubator.hint.repos")).render(ctx, &p.fields))
            div { button.btn.btn-primary type="submit" id=(format!("{id}-submit")) { (submit) } }
        }
    }
}

// ---- new ----

fn new_page(ctx: &Ctx, l: &Loaded, form: &Submitted, p: &Problems) -> Markup {
    let action = format!("{}/proposals/new", l.base());
    page(
        ctx,
        ctx.t("incubator.new_proposal"),
        html! {
            (program_header(ctx, l, ProgramTab::Proposals))
            h3 { (ctx.t("incubator.new_proposal")) }
            p.muted { (ctx.t("incubator.new_proposal_intro")) }
            (proposal_form(ctx, l, &action, form, p, ctx.t("incubator.save_draft"), "proposal-new-form"))
        },
    )
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    ctx.require_user()?;
    if !may(&state, &ctx, &l, Action::ProposeToProgram, None, None).await? {
        return Err(WebError::Forbidden);
    }
    let form = Submitted {
        input: state.forge.proposal_form(&l.program),
        ..Submitted::default()
    };
    Ok(new_page(&ctx, &l, &form, &Problems::none()))
}

/// The problems of a refused proposal form, with slug problems in the visitor's language.
fn form_problems(
    ctx: &Ctx,
    e: hatchery_service::incubator::IncubatorError,
    form: &Submitted,
) -> WebResult<Problems> {
    let p = explain(ctx, e)?;
    if p.fields.message(ctx, "slug").is_some() {
        let mut named = Problems::none();
        slug_problem(&mut named, ctx, "slug", &form.input.slug);
        if !named.is_empty() {
            return Ok(named);
        }
    }
    Ok(p)
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    ctx.require_user()?;
    let form = parse_form(&l, &pairs);
    match state
        .forge
        .draft_proposal(ctx.actor(), &l.program, &form.input, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.proposal_drafted",
            &proposal_url(&l.program, p.number),
        )),
        Err(e) => {
            let p = form_problems(&ctx, e, &form)?;
            Ok(refused(new_page(&ctx, &l, &form, &p)))
        }
    }
}

// ---- show ----

/// The people of one role, for a section the People table fills.
fn people_list(ctx: &Ctx, people: &ProposalPeople, role: &str) -> Markup {
    let list: Vec<&NamedPerson> = match role {
        "champion" => people.champion.iter().collect(),
        "mentor" => people.mentors.iter().collect(),
        _ => people.committers.iter().collect(),
    };
    html! {
        @if list.is_empty() { p.muted { (ctx.t("incubator.empty_section")) } }
        @else {
            ul.people-list data-role=(role) {
                @for p in list { li { (super::named_person(ctx, p)) } }
            }
        }
    }
}

fn people_table(ctx: &Ctx, template: &ProgramTemplate, people: &ProposalPeople) -> Markup {
    let rows: Vec<(&str, &NamedPerson)> = people
        .champion
        .iter()
        .map(|p| ("champion", p))
        .chain(people.mentors.iter().map(|p| ("mentor", p)))
        .chain(people.committers.iter().map(|p| ("committer", p)))
        .collect();
    html! {
        @if rows.is_empty() { p.muted { (ctx.t("incubator.no_people")) } }
        @else {
            table.data.roster {
                thead { tr {
                    th { (ctx.t("incubator.col.role")) }
                    th { (ctx.t("incubator.field.person_name")) }
                    th { (ctx.t("incubator.field.affiliation")) }
                } }
                tbody {
                    @for (role, p) in &rows {
                        tr data-role=(role) {
                            td { (super::role_label(ctx, template, role)) }
                            td { (p.name) @if !p.username.is_empty() { " " a href=(format!("/{}", p.username)) { "@" (p.username) } } }
                            td { (p.affiliation) }
                        }
                    }
                }
            }
        }
    }
}

/// What was typed into the forms of the proposal page when one was refused.
#[derive(Default)]
struct Drafts<'a> {
    comment: &'a str,
    note: &'a str,
    /// The reason typed into the withdraw or close form, and which of them (`withdraw`,
    /// `close`) was refused.
    reason: &'a str,
    reason_form: &'a str,
}

async fn show_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    proposal: &Proposal,
    problems: &Problems,
    drafts: Drafts<'_>,
) -> WebResult<Markup> {
    let forge = &state.forge;
    let program = &l.program;
    let editable = may(state, ctx, l, Action::Edit, None, Some(proposal)).await?;
    let comment_action = if proposal.is_unpublished() {
        Action::Edit
    } else {
        Action::Comment
    };
    let may_comment = may(state, ctx, l, comment_action, None, Some(proposal)).await?;
    let review = may(state, ctx, l, Action::ReviewProposal, None, Some(proposal)).await?;
    let open_vote = may(state, ctx, l, Action::OpenVote, None, Some(proposal)).await?;
    let withdraw = !proposal.state.is_final()
        && may(
            state,
            ctx,
            l,
            Action::WithdrawProposal,
            None,
            Some(proposal),
        )
        .await?;
    let close = !proposal.state.is_final()
        && may(state, ctx, l, Action::CloseProposal, None, Some(proposal)).await?;
    let comments = forge
        .proposal_comments(proposal)
        .await
        .map_err(|e| fail(ctx, e))?;
    let repos = forge
        .proposal_repos(ctx.actor(), &proposal.repo_ids)
        .await
        .map_err(|e| fail(ctx, e))?;
    let votes: Vec<_> = forge
        .program_votes(program, false)
        .await
        .map_err(|e| fail(ctx, e))?
        .into_iter()
        .filter(|v| v.proposal_id == Some(proposal.id))
        .collect();
    let project = forge
        .program_projects(program)
        .await
        .map_err(|e| fail(ctx, e))?
        .into_iter()
        .find(|p| p.proposal_id == Some(proposal.id));
    let url = proposal_url(program, proposal.number);
    let discussion_until = proposal
        .discussion_started_at
        .map(|s| s.saturating_add(i64::from(program.template.discussion_min_days) * 86_400_000));
    let state_now = proposal.state;
    let all_sections: Vec<&Section> = program.template.proposal_sections.iter().collect();
    Ok(page(
        ctx,
        &format!("{} · #{}", proposal.name, proposal.number),
        html! {
            (program_header(ctx, l, ProgramTab::Proposals))
            div.issue-head {
                h2.issue-heading { span id="proposal-name" { (proposal.name) } " " span.muted { "#" (proposal.number) } }
                div.issue-meta {
                    (proposal_state_badge(ctx, state_now)) " "
                    (person_link(ctx, proposal.author.as_ref())) " "
                    (ctx.t("incubator.proposed")) " " (time_ago_ms(ctx, proposal.created_at))
                    " · " a href=(format!("{url}/revisions")) id="revisions-link" { (ctx.tf("incubator.version_n", &[("n", &proposal.version.to_string())])) }
                    @if editable && !state_now.is_final() { " · " a href=(format!("{url}/edit")) id="edit-proposal" { (ctx.t("incubator.edit")) } }
                }
            }
            (problems_box(ctx, problems))
            @if state_now == ProposalState::Draft { div.notice role="note" id="draft-notice" { (ctx.t("incubator.draft_notice")) } }
            @if state_now == ProposalState::NeedsInfo { div.notice role="note" id="needs-info-notice" { (ctx.t("incubator.needs_info_notice")) } }
            @if matches!(state_now, ProposalState::Withdrawn | ProposalState::Closed) {
                div.notice role="note" id=(format!("{}-notice", state_now.as_str())) {
                    p {
                        (ctx.t(if state_now == ProposalState::Withdrawn { "incubator.withdrawn_notice" } else { "incubator.closed_notice" }))
                        " " (ctx.t("incubator.closed_by")) " " (person_link(ctx, proposal.closed_by.as_ref()))
                        @if let Some(at) = proposal.decided_at { " · " (time_ago_ms(ctx, at)) }
                    }
                    p { strong { (ctx.t("incubator.close_reason_label")) } " " span id="close-reason" { (proposal.close_reason) } }
                }
            }
            @if let Some(p) = &project {
                div.notice role="note" id="accepted-notice" { (ctx.t("incubator.accepted_notice")) " " a href=(project_url(program, p)) { (p.name) } }
            }
            div.buttons id="proposal-actions" {
                @if editable && matches!(state_now, ProposalState::Draft | ProposalState::NeedsInfo) {
                    form.inline-form method="post" action=(format!("{url}/discussion")) {
                        (csrf_input(ctx))
                        button.btn.btn-primary type="submit" id="start-discussion" {
                            (ctx.t(if state_now == ProposalState::Draft { "incubator.start_discussion" } else { "incubator.resubmit" }))
                        }
                    }
                }
                @if open_vote && state_now == ProposalState::Discussion {
                    form.inline-form method="post" action=(format!("{url}/vote")) {
                        (csrf_input(ctx))
                        button.btn.btn-primary type="submit" id="open-vote" { (ctx.t("incubator.open_vote")) }
                    }
                }
            }
            @if state_now == ProposalState::Discussion {
                @if let Some(until) = discussion_until {
                    p.muted id="discussion-until" { (ctx.t("incubator.discussion_until")) " " (at_ms(until)) }
                }
            }
            div.issue-layout {
                div.timeline {
                    @for (i, s) in all_sections.iter().enumerate() {
                        @if let Some(g) = group_start(&all_sections, i, l.lang) { h2.section-group { (g) } }
                        section.proposal-section id=(format!("section-{}", s.key)) {
                            h3 { (s.title.get(l.lang)) }
                            @if let Some(role) = &s.people_role {
                                (people_list(ctx, &proposal.people, role))
                            } @else {
                                @match proposal.sections.get(&s.key).filter(|v| !v.trim().is_empty()) {
                                    Some(text) => { div.markdown-body { (md(text)) } }
                                    None => { p.muted { (ctx.t("incubator.empty_section")) } }
                                }
                            }
                        }
                    }
                    section id="people" {
                        h3 { (ctx.t("incubator.field.people")) }
                        (people_table(ctx, &program.template, &proposal.people))
                    }
                    section id="repos" {
                        h3 { (ctx.t("incubator.field.repos")) }
                        @if repos.is_empty() { p.muted { (ctx.t("incubator.no_repos")) } }
                        ul.list { @for r in &repos { li { (super::repo_item(ctx, r)) } } }
                    }
                    section id="discussion" {
                        h3 { (ctx.t("incubator.discussion")) " " span.badge { (comments.len()) } }
                        @for c in &comments {
                            article.comment id=(format!("comment-{}", c.id)) {
                                header.comment-head { (person_link(ctx, c.author.as_ref())) " " span.muted { (time_ago_ms(ctx, c.created_at)) } }
                                div.markdown-body.comment-body { (md(&c.body)) }
                            }
                        }
                        @if may_comment {
                            form.stack method="post" action=(format!("{url}/comments")) id="comment-form" novalidate {
                                (csrf_input(ctx))
                                div.field {
                                    label for="f-body" { (ctx.t("issue.field.comment")) }
                                    textarea id="f-body" name="body" { (drafts.comment) }
                                    @if let Some(m) = problems.fields.message(ctx, "body") { div.error role="alert" { (m) } }
                                }
                                div { button.btn.btn-primary type="submit" id="comment-submit" { (ctx.t("issue.comment")) } }
                            }
                        } @else if ctx.user.is_none() {
                            p.muted { a href=(crate::pages::auth::login_url(&url)) { (ctx.t("issue.sign_in_to_comment")) } }
                        }
                    }
                }
                aside.issue-side {
                    section id="side-votes" {
                        h3 { (ctx.t("incubator.votes")) }
                        @if votes.is_empty() { span.muted { (ctx.t("incubator.no_votes")) } }
                        @for v in &votes {
                            div { a href=(vote_url(program, v.id)) { (kind_label(ctx, v.kind)) } " " (vote_state_badge(ctx, v.state)) }
                        }
                    }
                    @if withdraw {
                        section id="side-withdraw" {
                            h3 { (ctx.t("incubator.withdraw")) }
                            form.stack method="post" action=(format!("{url}/withdraw")) id="withdraw-form" novalidate {
                                (csrf_input(ctx))
                                textarea name="reason" id="f-withdraw-reason" aria-label=(ctx.t("incubator.withdraw_reason")) placeholder=(ctx.t("incubator.withdraw_reason")) { @if drafts.reason_form == "withdraw" { (drafts.reason) } }
                                @if drafts.reason_form == "withdraw" {
                                    @if let Some(m) = problems.fields.message(ctx, "reason") { div.error role="alert" { (m) } }
                                }
                                div.hint { (ctx.t("incubator.withdraw_hint")) }
                                button.btn.btn-small.btn-danger type="submit" id="withdraw" { (ctx.t("incubator.withdraw")) }
                            }
                        }
                    }
                    @if close {
                        section id="side-close" {
                            h3 { (ctx.t("incubator.close")) }
                            form.stack method="post" action=(format!("{url}/close")) id="close-form" novalidate {
                                (csrf_input(ctx))
                                textarea name="reason" id="f-close-reason" aria-label=(ctx.t("incubator.close_reason")) placeholder=(ctx.t("incubator.close_reason")) { @if drafts.reason_form == "close" { (drafts.reason) } }
                                @if drafts.reason_form == "close" {
                                    @if let Some(m) = problems.fields.message(ctx, "reason") { div.error role="alert" { (m) } }
                                }
                                div.hint { (ctx.t("incubator.close_hint")) }
                                button.btn.btn-small.btn-danger type="submit" id="close-proposal" { (ctx.t("incubator.close")) }
                            }
                        }
                    }
                    @if review && matches!(state_now, ProposalState::Discussion | ProposalState::Voting) {
                        section id="side-request-info" {
                            h3 { (ctx.t("incubator.request_info")) }
                            form.stack method="post" action=(format!("{url}/request_info")) id="request-info-form" {
                                (csrf_input(ctx))
                                textarea name="note" aria-label=(ctx.t("incubator.request_info_note")) { (drafts.note) }
                                button.btn.btn-small type="submit" id="request-info" { (ctx.t("incubator.request_info")) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    show_page(
        &state,
        &ctx,
        &l,
        &proposal,
        &Problems::none(),
        Drafts::default(),
    )
    .await
}

/// The proposal page again with the refusal above it.
async fn refused_show(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    proposal: &Proposal,
    e: hatchery_service::incubator::IncubatorError,
    drafts: Drafts<'_>,
) -> WebResult<Response> {
    let p = explain(ctx, e)?;
    Ok(refused(
        show_page(state, ctx, l, proposal, &p, drafts).await?,
    ))
}

// ---- actions ----

#[derive(Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

pub async fn comment(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
    Form(form): Form<CommentForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    match state
        .forge
        .comment_on_proposal(ctx.actor(), &l.program, &proposal, &form.body, now())
        .await
    {
        Ok(c) => Ok(Redirect::to(&format!(
            "{}#comment-{}",
            proposal_url(&l.program, proposal.number),
            c.id
        ))
        .into_response()),
        Err(e) => {
            refused_show(
                &state,
                &ctx,
                &l,
                &proposal,
                e,
                Drafts {
                    comment: &form.body,
                    ..Drafts::default()
                },
            )
            .await
        }
    }
}

pub async fn start_discussion(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    match state
        .forge
        .start_discussion(ctx.actor(), &l.program, &proposal, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.discussion_started",
            &proposal_url(&l.program, p.number),
        )),
        Err(e) => refused_show(&state, &ctx, &l, &proposal, e, Drafts::default()).await,
    }
}

#[derive(Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    note: String,
}

pub async fn request_info(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
    Form(form): Form<NoteForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    match state
        .forge
        .request_info(ctx.actor(), &l.program, &proposal, &form.note, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.info_requested",
            &proposal_url(&l.program, p.number),
        )),
        Err(e) => {
            refused_show(
                &state,
                &ctx,
                &l,
                &proposal,
                e,
                Drafts {
                    note: &form.note,
                    ..Drafts::default()
                },
            )
            .await
        }
    }
}

pub async fn open_vote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    match state
        .forge
        .open_vote(ctx.actor(), &l.program, VoteOn::Proposal(&proposal), now())
        .await
    {
        Ok(v) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.vote_opened",
            &vote_url(&l.program, v.id),
        )),
        Err(e) => refused_show(&state, &ctx, &l, &proposal, e, Drafts::default()).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Its author withdraws the proposal, with a reason.
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
    Form(form): Form<ReasonForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    match state
        .forge
        .withdraw_proposal(ctx.actor(), &l.program, &proposal, &form.reason, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.proposal_withdrawn",
            &proposal_url(&l.program, p.number),
        )),
        Err(e) => {
            refused_show(
                &state,
                &ctx,
                &l,
                &proposal,
                e,
                Drafts {
                    reason: &form.reason,
                    reason_form: "withdraw",
                    ..Drafts::default()
                },
            )
            .await
        }
    }
}

/// The committee or an owner of the organization closes the proposal, with a reason.
pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
    Form(form): Form<ReasonForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    match state
        .forge
        .close_proposal(ctx.actor(), &l.program, &proposal, &form.reason, now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.proposal_closed",
            &proposal_url(&l.program, p.number),
        )),
        Err(e) => {
            refused_show(
                &state,
                &ctx,
                &l,
                &proposal,
                e,
                Drafts {
                    reason: &form.reason,
                    reason_form: "close",
                    ..Drafts::default()
                },
            )
            .await
        }
    }
}

// ---- edit ----

fn edit_page(ctx: &Ctx, l: &Loaded, proposal: &Proposal, form: &Submitted, p: &Problems) -> Markup {
    let url = proposal_url(&l.program, proposal.number);
    page(
        ctx,
        &format!(
            "{} · #{}",
            ctx.t("incubator.edit_proposal"),
            proposal.number
        ),
        html! {
            (program_header(ctx, l, ProgramTab::Proposals))
            h3 { (ctx.t("incubator.edit_proposal")) " " a href=(url) { "#" (proposal.number) } }
            @if proposal.state == ProposalState::Voting {
                div.notice role="note" id="edit-cancels-vote" { (ctx.t("incubator.edit_cancels_vote")) }
            }
            (proposal_form(ctx, l, &format!("{url}/edit"), form, p, ctx.t("incubator.save"), "proposal-edit-form"))
        },
    )
}

async fn editable(state: &AppState, ctx: &Ctx, l: &Loaded, proposal: &Proposal) -> WebResult<()> {
    ctx.require_user()?;
    if may(state, ctx, l, Action::Edit, None, Some(proposal)).await? {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    editable(&state, &ctx, &l, &proposal).await?;
    let form = stored_form(&state, &ctx, &proposal).await?;
    Ok(edit_page(&ctx, &l, &proposal, &form, &Problems::none()))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    editable(&state, &ctx, &l, &proposal).await?;
    let form = parse_form(&l, &pairs);
    match state
        .forge
        .edit_proposal(
            ctx.actor(),
            &l.program,
            &proposal,
            form.version,
            &form.input,
            now(),
        )
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.proposal_saved",
            &proposal_url(&l.program, p.number),
        )),
        Err(e) => {
            let p = form_problems(&ctx, e, &form)?;
            Ok(refused(edit_page(&ctx, &l, &proposal, &form, &p)))
        }
    }
}

// ---- revisions ----

pub async fn revisions(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, number)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let proposal = proposal_of(&state, &ctx, &l, &number).await?;
    let mut revisions = state
        .forge
        .proposal_revisions(&proposal)
        .await
        .map_err(|e| fail(&ctx, e))?;
    revisions.reverse();
    let url = proposal_url(&l.program, proposal.number);
    let mut rendered = Vec::with_capacity(revisions.len());
    for r in &revisions {
        let repos = state
            .forge
            .proposal_repos(ctx.actor(), &r.repo_ids)
            .await
            .map_err(|e| fail(&ctx, e))?;
        rendered.push(repos);
    }
    Ok(page(
        &ctx,
        &format!("{} · #{}", ctx.t("incubator.revisions"), proposal.number),
        html! {
            (program_header(&ctx, &l, ProgramTab::Proposals))
            h3 { (ctx.t("incubator.revisions")) " · " a href=(url) { (proposal.name) " #" (proposal.number) } }
            ol.list id="revision-list" {
                @for (r, repos) in revisions.iter().zip(&rendered) {
                    li id=(format!("revision-{}", r.version)) {
                        details open[r.version == proposal.version] {
                            summary {
                                strong { (ctx.tf("incubator.version_n", &[("n", &r.version.to_string())])) } " "
                                (person_link(&ctx, r.editor.as_ref())) " " span.muted { (time_ago_ms(&ctx, r.created_at)) }
                            }
                            h4 { (r.name) }
                            @for s in l.program.template.typed_sections() {
                                @if let Some(text) = r.sections.get(&s.key).filter(|t| !t.trim().is_empty()) {
                                    h5 { (s.title.get(l.lang)) }
                                    div.markdown-body { (md(text)) }
                                }
                            }
                            (people_table(&ctx, &l.program.template, &r.people))
                            ul.list { @for repo in repos { li { (super::repo_item(&ctx, repo)) } } }
                        }
                    }
                }
            }
        },
    ))
}
