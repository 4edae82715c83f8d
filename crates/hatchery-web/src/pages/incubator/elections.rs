//! Opening the votes on a project that change no stage: committer and PPMC elections, and
//! votes of the kinds the program's template declares. Each kind says who votes (the
//! committee or the project's own people); the forms are offered for the kinds the visitor
//! may open, and the service checks again.

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::incubator::{CustomEffect, VoteKind, Voters};
use hatchery_service::incubator::elections::project_vote_kinds;
use hatchery_service::incubator::{PersonInput, ProjectVote};
use hatchery_store::Project;
use maud::{Markup, html};
use serde::Deserialize;

use super::projects::project_of;
use super::{
    Loaded, Problems, ProgramTab, explain, fail, kind_label, load, now, problems_box,
    program_header, project_url, refused, rule_text, vote_url,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::WebResult;
use crate::form::{Field, Form, Input, csrf_input};
use crate::state::AppState;
use crate::views::page;

/// Who votes, in words.
pub fn voters_label(ctx: &Ctx, v: Voters) -> &'static str {
    ctx.t(match v {
        Voters::Committee => "incubator.voters.committee",
        Voters::ProjectPmc => "incubator.voters.project_pmc",
        Voters::ProjectCommitters => "incubator.voters.project_committers",
    })
}

/// One kind of vote the visitor may open: the form's value and its name.
struct Offer {
    value: String,
    name: String,
    election: bool,
    records: bool,
}

async fn offers(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
) -> WebResult<Vec<Offer>> {
    let mut out = Vec::new();
    for (kind, custom) in project_vote_kinds(&l.program) {
        let (value, name, config, records) = match custom {
            Some(c) => (
                format!("custom:{}", c.key),
                c.name.get(l.lang).to_owned(),
                c.config,
                c.on_pass == CustomEffect::Record,
            ),
            None => match l.program.template.vote_config(kind) {
                Some(c) => (
                    kind.as_str().to_owned(),
                    kind_label(ctx, kind).to_owned(),
                    *c,
                    false,
                ),
                None => continue,
            },
        };
        let may = state
            .forge
            .may_open_project_vote(ctx.actor(), &l.program, project, &config)
            .await
            .map_err(|e| fail(ctx, e))?;
        if may {
            out.push(Offer {
                value,
                name,
                election: kind != VoteKind::Custom,
                records,
            });
        }
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
pub struct ProjectVoteForm {
    /// `committer`, `ppmc_member` or `custom:KEY`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    document_url: String,
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    l: &Loaded,
    project: &Project,
    form: &ProjectVoteForm,
    problems: &Problems,
) -> WebResult<Markup> {
    let offers = offers(state, ctx, l, project).await?;
    let elections: Vec<(&str, &str)> = offers
        .iter()
        .filter(|o| o.election)
        .map(|o| (o.value.as_str(), o.name.as_str()))
        .collect();
    let customs: Vec<(&str, &str)> = offers
        .iter()
        .filter(|o| !o.election)
        .map(|o| (o.value.as_str(), o.name.as_str()))
        .collect();
    let url = project_url(&l.program, project);
    let action = format!("{url}/votes/new");
    let kinds = project_vote_kinds(&l.program);
    Ok(page(
        ctx,
        &format!("{} · {}", ctx.t("incubator.election.title"), project.name),
        html! {
            (program_header(ctx, l, ProgramTab::None))
            h2 id="project-vote-title" { (ctx.t("incubator.election.title")) " · " a href=(url) { (project.name) } }
            p.muted { (ctx.t("incubator.election.intro")) }
            (problems_box(ctx, problems))
            section id="vote-kinds" {
                h3 { (ctx.t("incubator.election.kinds")) }
                @if kinds.is_empty() { div.empty { (ctx.t("incubator.election.no_kinds")) } }
                @else {
                    table.data {
                        thead { tr {
                            th { (ctx.t("incubator.election.col_kind")) }
                            th { (ctx.t("incubator.election.col_voters")) }
                            th { (ctx.t("incubator.rule_heading")) }
                        } }
                        tbody {
                            @for (kind, custom) in &kinds {
                                @let config = custom.map(|c| c.config).or_else(|| l.program.template.vote_config(*kind).copied());
                                @if let Some(config) = config {
                                    tr {
                                        td { @match custom { Some(c) => { (c.name.get(l.lang)) }, None => { (kind_label(ctx, *kind)) } } }
                                        td { (voters_label(ctx, config.voters)) }
                                        td { (rule_text(ctx, &config.rule)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if offers.is_empty() && !kinds.is_empty() {
                div.notice role="note" id="no-offer" { (ctx.t("incubator.election.none_allowed")) }
            }
            div.two-col {
                @if !elections.is_empty() {
                    section.card id="election" {
                        h3 style="margin-top:0" { (ctx.t("incubator.election.elect")) }
                        form.stack method="post" action=(action) id="election-form" novalidate {
                            (csrf_input(ctx))
                            (Field::new("kind", ctx.t("incubator.election.col_kind"), &form.kind).input(Input::Select(&elections)).render(ctx, &problems.fields))
                            (Field::new("username", ctx.t("incubator.field.username"), &form.username).hint(ctx.t("incubator.election.person_hint")).render(ctx, &problems.fields))
                            (Field::new("name", ctx.t("incubator.field.person_name"), &form.name).render(ctx, &problems.fields))
                            (Field::new("affiliation", ctx.t("incubator.field.affiliation"), &form.affiliation).render(ctx, &problems.fields))
                            @if let Some(m) = problems.fields.message(ctx, "person") { div.error role="alert" { (m) } }
                            div { button.btn.btn-primary type="submit" id="election-submit" { (ctx.t("incubator.open_vote")) } }
                        }
                    }
                }
                @if !customs.is_empty() {
                    section.card id="custom-vote" {
                        h3 style="margin-top:0" { (ctx.t("incubator.election.custom")) }
                        @for o in offers.iter().filter(|o| !o.election && o.records) {
                            p.muted.small data-records=(o.value) { (ctx.tf("incubator.election.records", &[("kind", &o.name)])) }
                        }
                        form.stack method="post" action=(action) id="custom-vote-form" novalidate {
                            (csrf_input(ctx))
                            (Field::new("kind", ctx.t("incubator.election.col_kind"), &form.kind).input(Input::Select(&customs)).render(ctx, &problems.fields))
                            (Field::new("title", ctx.t("incubator.election.question"), &form.title).required().render(ctx, &problems.fields))
                            (Field::new("document_url", ctx.t("incubator.field.document_url"), &form.document_url).hint(ctx.t("incubator.hint.document_url")).render(ctx, &problems.fields))
                            div { button.btn.btn-primary type="submit" id="custom-vote-submit" { (ctx.t("incubator.open_vote")) } }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    new_page(
        &state,
        &ctx,
        &l,
        &project,
        &ProjectVoteForm::default(),
        &Problems::none(),
    )
    .await
}

pub async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug, project)): Path<(String, String, String)>,
    Form(form): Form<ProjectVoteForm>,
) -> WebResult<Response> {
    let l = load(&state, &ctx, &org, &slug).await?;
    let project = project_of(&state, &ctx, &l, &project).await?;
    ctx.require_user()?;
    let person = PersonInput {
        username: form.username.clone(),
        name: form.name.clone(),
        affiliation: form.affiliation.clone(),
    };
    let what = match form.kind.strip_prefix("custom:") {
        Some(key) => Some(ProjectVote::Custom {
            key,
            title: &form.title,
            document_url: &form.document_url,
        }),
        None => form
            .kind
            .parse::<VoteKind>()
            .ok()
            .filter(|k| k.election_role().is_some())
            .map(|kind| ProjectVote::Election {
                kind,
                person: &person,
            }),
    };
    let result = match what {
        Some(what) => {
            state
                .forge
                .open_project_vote(ctx.actor(), &l.program, &project, what, now())
                .await
        }
        None => Err(hatchery_service::incubator::IncubatorError::Field {
            field: "kind",
            message: "the program has no vote kind of that name".into(),
        }),
    };
    match result {
        Ok(v) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.vote_opened",
            &vote_url(&l.program, v.id),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(
                new_page(&state, &ctx, &l, &project, &form, &p).await?,
            ))
        }
    }
}
