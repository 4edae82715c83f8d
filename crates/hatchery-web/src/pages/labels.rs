//! Labels and milestones of a repository's issues: the lists everyone who can read the
//! repository sees, and the forms its writers use to create, change and delete them.

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{Field, Form, FormErrors, Input, csrf_input};
use crate::pages::repo::{RepoTab, load, repo_header};
use crate::state::AppState;
use crate::views::{button_form, date, label_badge, page, tabs};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hatchery_core::issues::{self, DEFAULT_LABELS, LABEL_NAME_MAX, MILESTONE_TITLE_MAX};
use hatchery_core::{Action, Resource, authorize, validate};
use hatchery_store::{ConflictField, LabelUse, Milestone, Repo, StoreError, now_ms};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

/// Label descriptions are one line, shown as a tooltip and next to the badge.
pub const LABEL_DESCRIPTION_MAX: usize = 200;

const DAY_MS: i64 = 86_400_000;

/// Colours offered for a new label, one after the other as labels are added.
const PALETTE: [&str; 8] = [
    "#0075ca", "#d73a4a", "#a2eeef", "#7057ff", "#008672", "#e4e669", "#d876e3", "#fbca04",
];

/// The page of the issues area a sub-navigation link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuesNav {
    Issues,
    Labels,
    Milestones,
}

/// The "Issues · Labels · Milestones" navigation shown under the repository header on
/// every page of the issues area.
pub fn issues_subnav(ctx: &Ctx, repo: &Repo, active: IssuesNav) -> Markup {
    let base = repo_base(repo);
    let items = [
        (
            ctx.t("labels.nav_issues"),
            format!("{base}/issues"),
            IssuesNav::Issues,
        ),
        (
            ctx.t("labels.nav_labels"),
            format!("{base}/labels"),
            IssuesNav::Labels,
        ),
        (
            ctx.t("labels.nav_milestones"),
            format!("{base}/milestones"),
            IssuesNav::Milestones,
        ),
    ];
    html! {
        nav.subnav id="issues-subnav" aria-label=(ctx.t("labels.nav_label")) {
            @for (label, href, which) in &items {
                a.active[*which == active] href=(href) aria-current=[(*which == active).then_some("page")] { (label) }
            }
        }
    }
}

/// The default labels with their descriptions in the visitor's language, ready for
/// `Store::add_labels`.
pub fn default_labels(ctx: &Ctx) -> Vec<(&'static str, &'static str, &'static str)> {
    DEFAULT_LABELS
        .iter()
        .map(|(name, color, key)| (*name, *color, ctx.t(key)))
        .collect()
}

fn repo_base(repo: &Repo) -> String {
    format!("/{}/{}", repo.owner_name, repo.name)
}

/// Whether the visitor may change the repository's labels and milestones.
async fn may_write(state: &AppState, ctx: &Ctx, repo: &Repo) -> WebResult<bool> {
    let facts = state.forge.repo_facts(ctx.actor(), repo).await?;
    Ok(authorize(ctx.actor(), Action::Write, Resource::Repo(facts)).is_allowed())
}

/// Ids in paths are numbers; anything else names nothing.
pub fn parse_id(raw: &str) -> WebResult<i64> {
    raw.parse::<i64>().map_err(|_| WebError::NotFound)
}

/// Shows a refused form again with what was typed and why it was refused.
fn refused(body: Markup) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
}

/// The message of a refused field, with the id its input's `aria-describedby` names.
fn field_error(ctx: &Ctx, errors: &FormErrors, field: &str, id: &str) -> Markup {
    html! {
        @if let Some(e) = errors.message(ctx, field) {
            div.error id=(format!("{id}-error")) role="alert" { (e) }
        }
    }
}

// ---- labels ----

#[derive(Deserialize, Default, Clone)]
pub struct LabelForm {
    #[serde(default)]
    name: String,
    /// Typed colour; wins over the picker when not empty.
    #[serde(default)]
    color: String,
    #[serde(default)]
    color_picker: String,
    #[serde(default)]
    description: String,
}

impl LabelForm {
    /// The colour asked for: the typed one, else the picker's.
    fn chosen_color(&self) -> Option<String> {
        if self.color.trim().is_empty() {
            issues::color(&self.color_picker)
        } else {
            issues::color(&self.color)
        }
    }

    /// Name, colour and description, or `None` with the reasons in `errors`.
    fn check(&self, errors: &mut FormErrors) -> Option<(String, String, String)> {
        let name =
            issues::title(&self.name, LABEL_NAME_MAX).inspect_err(|e| errors.field("name", e));
        let color = self.chosen_color();
        if color.is_none() {
            errors.add("color", "labels.error_color");
        }
        let description =
            validate::text(&self.description.replace('\n', " "), LABEL_DESCRIPTION_MAX)
                .inspect_err(|e| errors.field("description", e));
        match (name, color, description) {
            (Ok(n), Some(c), Ok(d)) => Some((n, c, d)),
            _ => None,
        }
    }
}

/// Which label form of the page was refused, to show it again with its errors.
enum LabelRefusal<'a> {
    None,
    Create(&'a LabelForm, &'a FormErrors),
    Edit(i64, &'a LabelForm, &'a FormErrors),
}

/// Name, colour and description inputs. Written out rather than with [`Field`], whose
/// fixed ids would repeat: the page has one such form per label; `prefix` keeps ids unique.
fn label_fields(
    ctx: &Ctx,
    prefix: &str,
    form: &LabelForm,
    picker: &str,
    errors: &FormErrors,
) -> Markup {
    let id = |f: &str| format!("{prefix}-{f}");
    let invalid = |f: &str| errors.message(ctx, f).map(|_| "true");
    let described = |f: &str| {
        errors
            .message(ctx, f)
            .map(|_| format!("{prefix}-{f}-error"))
    };
    html! {
        div.field.has-error[invalid("name").is_some()] {
            label for=(id("name")) { (ctx.t("labels.field_name")) }
            input id=(id("name")) type="text" name="name" value=(form.name) required
                maxlength=(LABEL_NAME_MAX) aria-invalid=[invalid("name")] aria-describedby=[described("name")];
            (field_error(ctx, errors, "name", &id("name")))
        }
        div.field.has-error[invalid("color").is_some()] {
            label for=(id("color_picker")) { (ctx.t("labels.field_color")) }
            div.color-pair {
                input id=(id("color_picker")) type="color" name="color_picker" value=(picker);
                input id=(id("color")) type="text" name="color" value=(form.color) placeholder=(picker)
                    aria-label=(ctx.t("labels.field_color_text")) aria-invalid=[invalid("color")]
                    aria-describedby=[described("color")];
            }
            (field_error(ctx, errors, "color", &id("color")))
            div.hint { (ctx.t("labels.color_hint")) }
        }
        div.field.has-error[invalid("description").is_some()] {
            label for=(id("description")) { (ctx.t("labels.field_description")) }
            input id=(id("description")) type="text" name="description" value=(form.description)
                aria-invalid=[invalid("description")] aria-describedby=[described("description")];
            (field_error(ctx, errors, "description", &id("description")))
        }
    }
}

async fn labels_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    refusal: LabelRefusal<'_>,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Issues).await?;
    let writer = may_write(state, ctx, repo).await?;
    let labels: Vec<LabelUse> = state.store.labels(repo.id).await?;
    let base = repo_base(repo);
    let no_errors = FormErrors::default();
    let blank = LabelForm::default();
    let (create_form, create_errors) = match &refusal {
        LabelRefusal::Create(f, e) => (*f, *e),
        _ => (&blank, &no_errors),
    };
    let create_picker = create_form
        .chosen_color()
        .unwrap_or_else(|| PALETTE[labels.len() % PALETTE.len()].to_owned());
    let count = match labels.len() {
        1 => ctx.t("labels.count_one").to_owned(),
        n => ctx.tf("labels.count", &[("n", &n.to_string())]),
    };
    Ok(page(
        ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("labels.title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            (issues_subnav(ctx, repo, IssuesNav::Labels))
            h2.section-title { (count) }
            @if labels.is_empty() {
                div.empty id="label-empty" {
                    p { (ctx.t("labels.none")) }
                    @if writer {
                        form.inline-form method="post" action=(format!("{base}/labels/defaults")) id="label-defaults-form" {
                            (csrf_input(ctx))
                            button.btn type="submit" { (ctx.t("labels.add_defaults")) }
                        }
                        p.muted { (ctx.t("labels.add_defaults_hint")) }
                    }
                }
            } @else {
                ul.list.label-list id="label-list" {
                    @for u in &labels {
                        @let l = &u.label;
                        @let open = if u.open_issues == 1 { ctx.t("labels.open_issue").to_owned() } else { ctx.tf("labels.open_issues", &[("n", &u.open_issues.to_string())]) };
                        li id=(format!("label-{}", l.id)) {
                            span.label-main {
                                (label_badge(l))
                                @if !l.description.is_empty() { " " span.muted.label-description { (l.description) } }
                            }
                            div.label-actions {
                                a href=(format!("{base}/issues?labels={}", l.id)) {
                                    (open)
                                }
                                @if writer {
                                    (button_form(ctx, &format!("{base}/labels/{}/delete", l.id), ctx.t("labels.delete"), "btn-danger"))
                                }
                            }
                            @if writer {
                                @let (form, errors, open_it) = match &refusal {
                                    LabelRefusal::Edit(id, f, e) if *id == l.id => ((*f).clone(), *e, true),
                                    _ => (LabelForm { name: l.name.clone(), description: l.description.clone(), ..LabelForm::default() }, &no_errors, false),
                                };
                                @let picker = form.chosen_color().unwrap_or_else(|| l.color.clone());
                                details.label-edit open[open_it] {
                                    summary.btn.btn-small { (ctx.t("labels.edit")) }
                                    form.stack method="post" action=(format!("{base}/labels/{}/edit", l.id)) id=(format!("label-edit-form-{}", l.id)) novalidate {
                                        (csrf_input(ctx))
                                        (label_fields(ctx, &format!("label-{}", l.id), &form, &picker, errors))
                                        div { button.btn.btn-primary type="submit" { (ctx.t("labels.save")) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if writer {
                section.card id="label-create" {
                    h2 style="margin-top:0" { (ctx.t("labels.new")) }
                    form.stack method="post" action=(format!("{base}/labels")) id="label-create-form" novalidate {
                        (csrf_input(ctx))
                        (label_fields(ctx, "new-label", create_form, &create_picker, create_errors))
                        div { button.btn.btn-primary type="submit" { (ctx.t("labels.create")) } }
                    }
                }
            }
        },
    ))
}

fn labels_url(repo: &Repo) -> String {
    format!("{}/labels", repo_base(repo))
}

pub async fn labels(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Read).await?;
    labels_page(&state, &ctx, &repo, LabelRefusal::None).await
}

pub async fn create_label(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<LabelForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    let mut errors = FormErrors::default();
    if let Some((name, color, description)) = form.check(&mut errors) {
        match state
            .store
            .create_label(repo.id, &name, &color, &description)
            .await
        {
            Ok(_) => {
                return Ok(flash_redirect(
                    &ctx,
                    FlashKind::Success,
                    "labels.created",
                    &labels_url(&repo),
                ));
            }
            Err(StoreError::Conflict(ConflictField::Name)) => {
                errors.add("name", "labels.error_taken");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = labels_page(&state, &ctx, &repo, LabelRefusal::Create(&form, &errors)).await?;
    Ok(refused(body))
}

pub async fn edit_label(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    Form(form): Form<LabelForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    let id = parse_id(&id)?;
    state
        .store
        .label(repo.id, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut errors = FormErrors::default();
    if let Some((name, color, description)) = form.check(&mut errors) {
        match state
            .store
            .update_label(repo.id, id, &name, &color, &description)
            .await
        {
            Ok(_) => {
                return Ok(flash_redirect(
                    &ctx,
                    FlashKind::Success,
                    "labels.saved",
                    &labels_url(&repo),
                ));
            }
            Err(StoreError::Conflict(ConflictField::Name)) => {
                errors.add("name", "labels.error_taken");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = labels_page(&state, &ctx, &repo, LabelRefusal::Edit(id, &form, &errors)).await?;
    Ok(refused(body))
}

pub async fn delete_label(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    state.store.delete_label(repo.id, parse_id(&id)?).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "labels.deleted",
        &labels_url(&repo),
    ))
}

pub async fn add_default_labels(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    state
        .store
        .add_labels(repo.id, &default_labels(&ctx))
        .await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "labels.defaults_added",
        &labels_url(&repo),
    ))
}

// ---- milestones ----

#[derive(Deserialize, Default)]
pub struct MilestoneQuery {
    state: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct MilestoneForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// `YYYY-MM-DD`, as `<input type=date>` sends it; empty for none.
    #[serde(default)]
    due_on: String,
}

impl MilestoneForm {
    fn of(m: &Milestone) -> MilestoneForm {
        MilestoneForm {
            title: m.title.clone(),
            description: m.description.clone(),
            due_on: m.due_at.map(date).unwrap_or_default(),
        }
    }

    /// Title, description and due date, or `None` with the reasons in `errors`.
    fn check(&self, errors: &mut FormErrors) -> Option<(String, String, Option<i64>)> {
        let title = issues::title(&self.title, MILESTONE_TITLE_MAX)
            .inspect_err(|e| errors.field("title", e));
        let description =
            issues::body(&self.description, false).inspect_err(|e| errors.field("description", e));
        let due = parse_due(&self.due_on);
        if due.is_err() {
            errors.add("due_on", "milestones.error_date");
        }
        match (title, description, due) {
            (Ok(t), Ok(d), Ok(due)) => Some((t, d, due)),
            _ => None,
        }
    }
}

/// A calendar date `YYYY-MM-DD` as unix milliseconds at 00:00 UTC; empty is no date.
fn parse_due(input: &str) -> Result<Option<i64>, ()> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(());
    };
    let digits = |p: &str, len: usize| p.len() == len && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return Err(());
    }
    let year: i32 = y.parse().map_err(|_| ())?;
    let month: u8 = m.parse().map_err(|_| ())?;
    let day: u8 = d.parse().map_err(|_| ())?;
    let month = time::Month::try_from(month).map_err(|_| ())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| ())?;
    Ok(Some(date.midnight().assume_utc().unix_timestamp() * 1000))
}

fn milestones_url(repo: &Repo, closed: bool) -> String {
    if closed {
        format!("{}/milestones?state=closed", repo_base(repo))
    } else {
        format!("{}/milestones", repo_base(repo))
    }
}

fn milestone_item(ctx: &Ctx, repo: &Repo, m: &Milestone, writer: bool, now: i64) -> Markup {
    let base = repo_base(repo);
    let issues = format!("{base}/issues?milestone={}", m.id);
    let progress = m.progress();
    let percent = progress.to_string();
    let overdue = !m.is_closed && m.due_at.is_some_and(|due| now >= due + DAY_MS);
    html! {
        li.milestone id=(format!("milestone-{}", m.id)) {
            div.milestone-main {
                h2.milestone-title { a href=(format!("{issues}&state=open")) { (m.title) } }
                div.milestone-meta.muted {
                    @if let Some(closed) = m.closed_at.filter(|_| m.is_closed) {
                        span { (ctx.tf("milestones.closed_on", &[("date", &date(closed))])) }
                    } @else if let Some(due) = m.due_at {
                        @if overdue {
                            span.overdue { (ctx.tf("milestones.overdue", &[("date", &date(due))])) }
                        } @else {
                            span { (ctx.tf("milestones.due", &[("date", &date(due))])) }
                        }
                    } @else {
                        span { (ctx.t("milestones.no_due")) }
                    }
                }
                @if !m.description.trim().is_empty() {
                    div.markdown-body.milestone-description {
                        (PreEscaped(hatchery_render::markdown(&m.description, &hatchery_render::DropRelative)))
                    }
                }
            }
            div.milestone-side {
                progress max="100" value=(progress) aria-label=(ctx.t("milestones.progress_label")) { (percent) "%" }
                div.milestone-counts {
                    span { (ctx.tf("milestones.complete", &[("n", &percent)])) }
                    " "
                    a href=(format!("{issues}&state=open")) { (ctx.tf("milestones.open_count", &[("n", &m.open_issues.to_string())])) }
                    " · "
                    a href=(format!("{issues}&state=closed")) { (ctx.tf("milestones.closed_count", &[("n", &m.closed_issues.to_string())])) }
                }
                @if writer {
                    div.milestone-actions {
                        a.btn.btn-small href=(format!("{base}/milestones/{}/edit", m.id)) { (ctx.t("milestones.edit")) }
                        @if m.is_closed {
                            (button_form(ctx, &format!("{base}/milestones/{}/open", m.id), ctx.t("milestones.reopen"), ""))
                        } @else {
                            (button_form(ctx, &format!("{base}/milestones/{}/close", m.id), ctx.t("milestones.close"), ""))
                        }
                        (button_form(ctx, &format!("{base}/milestones/{}/delete", m.id), ctx.t("milestones.delete"), "btn-danger"))
                    }
                }
            }
        }
    }
}

pub async fn milestones(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<MilestoneQuery>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Read).await?;
    let header = repo_header(&state, &ctx, &repo, RepoTab::Issues).await?;
    let writer = may_write(&state, &ctx, &repo).await?;
    let all = state.store.milestones(repo.id).await?;
    let closed = q.state.as_deref() == Some("closed");
    let open_count = all.iter().filter(|m| !m.is_closed).count().to_string();
    let closed_count = all.iter().filter(|m| m.is_closed).count().to_string();
    let open_tab = ctx.tf("milestones.open_tab", &[("n", &open_count)]);
    let closed_tab = ctx.tf("milestones.closed_tab", &[("n", &closed_count)]);
    let shown: Vec<&Milestone> = all.iter().filter(|m| m.is_closed == closed).collect();
    let base = repo_base(&repo);
    let now = now_ms();
    Ok(page(
        &ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("milestones.title"),
            repo.owner_name,
            repo.name
        ),
        html! {
            (header)
            (issues_subnav(&ctx, &repo, IssuesNav::Milestones))
            div.milestone-bar {
                (tabs(&[
                    (open_tab.as_str(), milestones_url(&repo, false), !closed),
                    (closed_tab.as_str(), milestones_url(&repo, true), closed),
                ]))
                @if writer {
                    a.btn.btn-primary href=(format!("{base}/milestones/new")) id="milestone-new" { (ctx.t("milestones.new")) }
                }
            }
            @if shown.is_empty() {
                div.empty id="milestone-empty" {
                    (ctx.t(if closed { "milestones.none_closed" } else { "milestones.none_open" }))
                }
            } @else {
                ul.list.milestone-list id="milestone-list" {
                    @for m in &shown { (milestone_item(&ctx, &repo, m, writer, now)) }
                }
            }
        },
    ))
}

/// The form for a new milestone (`existing` is `None`) or for changing one.
async fn milestone_form_page(
    state: &AppState,
    ctx: &Ctx,
    repo: &Repo,
    existing: Option<&Milestone>,
    form: &MilestoneForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, repo, RepoTab::Issues).await?;
    let base = repo_base(repo);
    let (title, action, submit) = match existing {
        None => (
            ctx.t("milestones.new"),
            format!("{base}/milestones/new"),
            ctx.t("milestones.create"),
        ),
        Some(m) => (
            ctx.t("milestones.edit_title"),
            format!("{base}/milestones/{}/edit", m.id),
            ctx.t("milestones.save"),
        ),
    };
    let due_error = errors.message(ctx, "due_on");
    Ok(page(
        ctx,
        &format!("{title} · {}/{}", repo.owner_name, repo.name),
        html! {
            (header)
            (issues_subnav(ctx, repo, IssuesNav::Milestones))
            h2 { (title) }
            form.stack method="post" action=(action) id="milestone-form" novalidate {
                (csrf_input(ctx))
                (Field::new("title", ctx.t("milestones.field_title"), &form.title).required().render(ctx, errors))
                div.field.has-error[due_error.is_some()] {
                    label for="f-due_on" { (ctx.t("milestones.field_due")) }
                    input id="f-due_on" type="date" name="due_on" value=(form.due_on)
                        aria-invalid=[due_error.as_ref().map(|_| "true")]
                        aria-describedby=[due_error.as_ref().map(|_| "f-due_on-error")];
                    @if let Some(e) = &due_error { div.error id="f-due_on-error" role="alert" { (e) } }
                    div.hint { (ctx.t("milestones.due_hint")) }
                }
                (Field::new("description", ctx.t("milestones.field_description"), &form.description).input(Input::TextArea).hint(ctx.t("milestones.description_hint")).render(ctx, errors))
                div {
                    button.btn.btn-primary type="submit" { (submit) }
                    " "
                    a.btn href=(milestones_url(repo, existing.is_some_and(|m| m.is_closed))) { (ctx.t("milestones.cancel")) }
                }
            }
        },
    ))
}

/// The milestone in the path, if it is this repository's.
async fn load_milestone(state: &AppState, repo: &Repo, id: &str) -> WebResult<Milestone> {
    state
        .store
        .milestone(repo.id, parse_id(id)?)
        .await?
        .ok_or(WebError::NotFound)
}

pub async fn new_milestone_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    milestone_form_page(
        &state,
        &ctx,
        &repo,
        None,
        &MilestoneForm::default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn create_milestone(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(form): Form<MilestoneForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    let mut errors = FormErrors::default();
    if let Some((title, description, due)) = form.check(&mut errors) {
        match state
            .store
            .create_milestone(repo.id, &title, &description, due)
            .await
        {
            Ok(_) => {
                return Ok(flash_redirect(
                    &ctx,
                    FlashKind::Success,
                    "milestones.created",
                    &milestones_url(&repo, false),
                ));
            }
            Err(StoreError::Conflict(ConflictField::Name)) => {
                errors.add("title", "milestones.error_taken");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = milestone_form_page(&state, &ctx, &repo, None, &form, &errors).await?;
    Ok(refused(body))
}

pub async fn edit_milestone_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    let m = load_milestone(&state, &repo, &id).await?;
    milestone_form_page(
        &state,
        &ctx,
        &repo,
        Some(&m),
        &MilestoneForm::of(&m),
        &FormErrors::default(),
    )
    .await
}

pub async fn edit_milestone(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    Form(form): Form<MilestoneForm>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    let m = load_milestone(&state, &repo, &id).await?;
    let mut errors = FormErrors::default();
    if let Some((title, description, due)) = form.check(&mut errors) {
        match state
            .store
            .update_milestone(repo.id, m.id, &title, &description, due, m.is_closed)
            .await
        {
            Ok(_) => {
                return Ok(flash_redirect(
                    &ctx,
                    FlashKind::Success,
                    "milestones.saved",
                    &milestones_url(&repo, m.is_closed),
                ));
            }
            Err(StoreError::Conflict(ConflictField::Name)) => {
                errors.add("title", "milestones.error_taken");
            }
            Err(e) => return Err(e.into()),
        }
    }
    let body = milestone_form_page(&state, &ctx, &repo, Some(&m), &form, &errors).await?;
    Ok(refused(body))
}

async fn set_milestone_closed(
    state: &AppState,
    ctx: &Ctx,
    (owner, name, id): (String, String, String),
    close: bool,
) -> WebResult<Response> {
    let repo = load(state, ctx, &owner, &name, Action::Write).await?;
    let m = load_milestone(state, &repo, &id).await?;
    state
        .store
        .update_milestone(repo.id, m.id, &m.title, &m.description, m.due_at, close)
        .await?;
    // Back to the list the milestone was on.
    Ok(flash_redirect(
        ctx,
        FlashKind::Success,
        if close {
            "milestones.closed"
        } else {
            "milestones.reopened"
        },
        &milestones_url(&repo, !close),
    ))
}

pub async fn close_milestone(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> WebResult<Response> {
    set_milestone_closed(&state, &ctx, path, true).await
}

pub async fn reopen_milestone(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> WebResult<Response> {
    set_milestone_closed(&state, &ctx, path, false).await
}

pub async fn delete_milestone(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let repo = load(&state, &ctx, &owner, &name, Action::Write).await?;
    let m = load_milestone(&state, &repo, &id).await?;
    state.store.delete_milestone(repo.id, m.id).await?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "milestones.deleted",
        &milestones_url(&repo, m.is_closed),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates() {
        assert_eq!(parse_due(""), Ok(None));
        assert_eq!(parse_due(" 2025-11-28 "), Ok(Some(1_764_288_000_000)));
        assert_eq!(parse_due("2024-02-29"), Ok(Some(1_709_164_800_000)));
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "2025-1-01",
            "25-01-01",
            "+025-01-01",
            "tomorrow",
            "2025-01-01-",
        ] {
            assert_eq!(parse_due(bad), Err(()), "{bad}");
        }
    }

    #[test]
    fn typed_colours_win_over_the_picker() {
        let form = |color: &str, picker: &str| LabelForm {
            color: color.into(),
            color_picker: picker.into(),
            ..LabelForm::default()
        };
        assert_eq!(
            form("", "#00FF00").chosen_color().as_deref(),
            Some("#00ff00")
        );
        assert_eq!(
            form("abc", "#00ff00").chosen_color().as_deref(),
            Some("#aabbcc")
        );
        assert_eq!(form("#12", "#00ff00").chosen_color(), None);
        assert_eq!(form("", "").chosen_color(), None);
    }
}
