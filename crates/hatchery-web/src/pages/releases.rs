//! Release pages: the list (latest marked, pre-release and draft badges, paged), a release
//! with its rendered notes, files (size, SHA-256, SHA-512, downloads, detached signatures)
//! and source archives, the new/edit form, deleting releases and files, uploading files
//! (multipart, streamed through the service's upload like the API's) and downloads.
//!
//! Every rule is the service's (`hatchery_service::releases`): drafts exist only for
//! writers, release candidates only for writers and the incubator program's committee
//! (their page shows the release votes and opens one), a private repository is missing to
//! those who cannot read it. Uploads are
//! served by [`upload_router`], outside the request timeout and without the form-size
//! limit: the CSRF token is then checked as the body's first field, before any byte of a
//! file is accepted (see [`crate::csrf::Deferred`]).

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hatchery_api_types::releases::{asset_download_path, path_segment};
use hatchery_core::releases::{ReleaseRuleError, SignatureState, signed_name};
use hatchery_service::issues::RepoView;
use hatchery_service::releases::{ReleaseEdit, ReleaseError, ReleaseInput, may_write};
use hatchery_store::{Release, ReleaseAsset};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::{WebError, WebResult};
use crate::form::{self, Field, Form, FormErrors, Input, csrf_input};
use crate::pages::code::{enc, time_ago_ms};
use crate::pages::incubator::{vote_state_badge, vote_url};
use crate::pages::issues::{render_texts, view_of};
use crate::pages::repo::{RepoTab, repo_header};
use crate::state::AppState;
use crate::upload::{self, UploadFailure};
use crate::views::{button_form, page, person_link};

/// Releases per page of the list.
pub const PER_PAGE: i64 = 10;

fn base(view: &RepoView) -> String {
    format!("/{}/{}/releases", view.repo.owner_name, view.repo.name)
}

/// `/{owner}/{repo}/releases/tag/{tag}`
pub fn release_url(view: &RepoView, tag: &str) -> String {
    format!("{}/tag/{}", base(view), enc(tag))
}

fn download_url(view: &RepoView, tag: &str, name: &str) -> String {
    format!("/{}", asset_download_path(&view.repo, tag, name))
}

/// A refusal no form explains.
fn refused(e: ReleaseError, path: &str) -> WebError {
    match e {
        ReleaseError::Denied(d) => WebError::from_denial(d, path),
        ReleaseError::NotFound => WebError::NotFound,
        ReleaseError::Service(s) => s.into(),
        ReleaseError::TooLarge(_) => WebError::PayloadTooLarge,
        ReleaseError::Vote(v) => WebError::BadRequest(v.message_key()),
        ReleaseError::NotIncubating => WebError::BadRequest("release.error.not_incubating"),
        ReleaseError::NoVoteRule => WebError::BadRequest("release.vote.error.no_rule"),
        _ => WebError::BadRequest("error.400.form"),
    }
}

/// `n` bytes for people: `17 B`, `1.5 KiB`, `2.0 GiB`.
pub fn size(n: i64) -> String {
    crate::api::releases::human_size(u64::try_from(n).unwrap_or(0))
}

// ---- list ----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    page: String,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let writer = may_write(&view);
    let page_no = q.page.parse::<i64>().unwrap_or(1).clamp(1, 100_000);
    let (list, total) = state
        .forge
        .releases(&view, true, true, PER_PAGE, (page_no - 1) * PER_PAGE)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    let latest = match state.forge.latest_release(&view).await {
        Ok(r) => Some(r.id),
        Err(ReleaseError::NotFound) => None,
        Err(e) => return Err(refused(e, &ctx.path)),
    };
    let notes = render_texts(&state, &view, list.iter().map(|r| r.note.clone()).collect()).await?;
    let header = repo_header(&state, &ctx, &view.repo, RepoTab::Releases).await?;
    let base = base(&view);
    Ok(page(
        &ctx,
        &format!(
            "{} · {}/{}",
            ctx.t("release.list.title"),
            view.repo.owner_name,
            view.repo.name
        ),
        html! {
            (header)
            div.toolbar {
                nav.tabs {
                    a.active href=(base) aria-current="page" { (ctx.t("release.list.title")) }
                    a href=(format!("/{}/{}/tags", view.repo.owner_name, view.repo.name)) { (ctx.t("repo.tags")) }
                }
                @if writer {
                    a.btn.btn-primary href=(format!("{base}/new")) id="new-release" { (ctx.t("release.new.title")) }
                }
            }
            @if list.is_empty() {
                div.empty id="no-releases" { (ctx.t("release.list.empty")) }
            } @else {
                div id="releases" {
                    @for (r, note) in list.iter().zip(&notes) {
                        (release_card(&ctx, &view, r, latest == Some(r.id), note, false))
                    }
                }
            }
            (pager(&ctx, total, page_no, |p| format!("{base}?page={p}")))
        },
    ))
}

/// Previous / "page X of Y" / next.
fn pager(ctx: &Ctx, total: i64, page_no: i64, url: impl Fn(i64) -> String) -> Markup {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    html! {
        @if pages > 1 {
            nav.pagination aria-label=(ctx.t("release.list.pages")) {
                @if page_no > 1 { a.btn rel="prev" href=(url(page_no - 1)) { (ctx.t("pagination.prev")) } }
                " "
                span.muted { (ctx.tf("explore.page_of", &[("page", &page_no.to_string()), ("pages", &pages.to_string())])) }
                " "
                @if page_no < pages { a.btn rel="next" href=(url(page_no + 1)) { (ctx.t("pagination.next")) } }
            }
        }
    }
}

fn badges(ctx: &Ctx, r: &Release, latest: bool) -> Markup {
    html! {
        @if r.is_draft { " " span.badge.badge-warn.release-draft { (ctx.t("release.badge.draft")) } }
        @if r.is_candidate { " " span.badge.badge-warn.release-candidate { (ctx.t("release.badge.candidate")) } }
        @if r.is_prerelease { " " span.badge.badge-warn.release-prerelease { (ctx.t("release.badge.prerelease")) } }
        @if latest { " " span.badge.badge-binding.release-latest { (ctx.t("release.badge.latest")) } }
    }
}

/// One release: title, badges, tag, author, date, notes, files and source archives.
fn release_card(
    ctx: &Ctx,
    view: &RepoView,
    r: &Release,
    latest: bool,
    note_html: &str,
    full: bool,
) -> Markup {
    let repo_base = format!("/{}/{}", view.repo.owner_name, view.repo.name);
    html! {
        section.card.release id=(format!("release-{}", r.id)) {
            h2.release-title {
                @if full { (r.title) } @else { a href=(release_url(view, &r.tag_name)) { (r.title) } }
                (badges(ctx, r, latest))
            }
            div.muted.small {
                span.release-tag { (ctx.t("release.field.tag")) ": " code { (r.tag_name) } }
                @if r.sha.len() >= 10 {
                    " · " a href=(format!("{repo_base}/commit/{}", r.sha)) { code.sha { (&r.sha[..10]) } }
                }
                " · " (person_link(ctx, r.author.as_ref()))
                " · " (time_ago_ms(ctx, r.published_at.unwrap_or(r.created_at)))
            }
            @if !note_html.trim().is_empty() {
                div.markdown-body.release-notes { (PreEscaped(note_html)) }
            }
            @if !full {
                (asset_summary(ctx, view, r))
            }
        }
    }
}

/// The list's compact view of a release's files.
fn asset_summary(ctx: &Ctx, view: &RepoView, r: &Release) -> Markup {
    html! {
        details.release-assets {
            summary { (ctx.tf("release.assets_count", &[("n", &(r.assets.len() + usize::from(!r.sha.is_empty()) * 2).to_string())])) }
            ul.list {
                @for a in &r.assets {
                    li { a href=(download_url(view, &r.tag_name, &a.name)) { (a.name) } span.muted { (size(a.size)) } }
                }
                @if !r.sha.is_empty() { (archive_items(ctx, view, r)) }
            }
        }
    }
}

fn archive_items(ctx: &Ctx, view: &RepoView, r: &Release) -> Markup {
    let repo_base = format!("/{}/{}", view.repo.owner_name, view.repo.name);
    html! {
        @for (ext, key) in [("zip", "release.source_zip"), ("tar.gz", "release.source_tar")] {
            li.source-archive {
                a href=(format!("{repo_base}/archive/{}.{ext}", enc(&r.tag_name))) { (ctx.t(key)) }
            }
        }
    }
}

// ---- one release ----

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, tag)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let release = state
        .forge
        .release_by_tag(&view, &tag)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    release_page(&state, &ctx, &view, &release, &FormErrors::default()).await
}

async fn release_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    r: &Release,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let writer = may_write(view);
    let latest = match state.forge.latest_release(view).await {
        Ok(l) => l.id == r.id,
        Err(ReleaseError::NotFound) => false,
        Err(e) => return Err(refused(e, &ctx.path)),
    };
    let keys = state
        .forge
        .has_keys_file(view)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    let notes = render_texts(state, view, vec![r.note.clone()]).await?;
    let header = repo_header(state, ctx, &view.repo, RepoTab::Releases).await?;
    let repo_base = format!("/{}/{}", view.repo.owner_name, view.repo.name);
    let signatures: Vec<&ReleaseAsset> = r
        .assets
        .iter()
        .filter(|a| signed_name(&a.name).is_some())
        .collect();
    let limit =
        size(i64::try_from(state.forge.release_storage().max_asset_bytes).unwrap_or(i64::MAX));
    let votes = state
        .forge
        .release_votes(view, r)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    Ok(page(
        ctx,
        &format!("{} · {}/{}", r.title, view.repo.owner_name, view.repo.name),
        html! {
            (header)
            p { a href=(base(view)) { "← " (ctx.t("release.list.title")) } }
            (release_card(ctx, view, r, latest, notes.first().map_or("", String::as_str), true))
            @if let Some(v) = &votes { (vote_section(ctx, view, r, v)) }
            @if writer {
                div.toolbar id="release-actions" {
                    a.btn href=(format!("{}/{}/edit", base(view), r.id)) id="edit-release" { (ctx.t("release.edit.title")) }
                    form.inline-form method="post" action=(format!("{}/{}/delete", base(view), r.id)) id="delete-release" {
                        (csrf_input(ctx))
                        label.check { input type="checkbox" name="delete_tag" value="on"; " " (ctx.t("release.delete_tag")) }
                        " "
                        button.btn.btn-small.btn-danger type="submit" { (ctx.t("release.delete")) }
                    }
                }
            }
            h3 { (ctx.t("release.assets")) }
            table.release-files id="assets" {
                thead { tr {
                    th { (ctx.t("release.asset.name")) }
                    th { (ctx.t("release.asset.size")) }
                    th { (ctx.t("release.asset.checksums")) }
                    th { (ctx.t("release.asset.downloads")) }
                    th { (ctx.t("release.asset.signature")) }
                    @if writer { th {} }
                } }
                tbody {
                    @for a in &r.assets {
                        tr.asset id=(format!("asset-{}", a.id)) {
                            td { a.asset-link href=(download_url(view, &r.tag_name, &a.name)) { (a.name) } }
                            td.nowrap { (size(a.size)) }
                            td.checksums {
                                div { span.muted { "SHA-256 " } code.sha256 { (a.sha256) } }
                                details { summary.muted { "SHA-512" } code.sha512 { (a.sha512) } }
                            }
                            td.downloads { (a.download_count) }
                            td { (signature_cell(ctx, a, &signatures)) }
                            @if writer {
                                td { (button_form(ctx, &format!("{}/{}/assets/{}/delete", base(view), r.id, a.id), ctx.t("release.asset.delete"), "btn-danger")) }
                            }
                        }
                    }
                    @if !r.sha.is_empty() {
                        @for (ext, key) in [("zip", "release.source_zip"), ("tar.gz", "release.source_tar")] {
                            tr.source-archive {
                                td { a href=(format!("{repo_base}/archive/{}.{ext}", enc(&r.tag_name))) { (ctx.t(key)) } }
                                td {} td {} td {} td {}
                                @if writer { td {} }
                            }
                        }
                    }
                }
            }
            @if keys {
                p id="keys-file" {
                    (ctx.t("release.keys_intro")) " "
                    a href=(format!("{repo_base}/blob/{}/KEYS", enc(&view.repo.default_branch))) { "KEYS" }
                }
            }
            @if writer {
                form.stack.card method="post" enctype="multipart/form-data" id="upload-form"
                    action=(format!("{}/{}/assets", base(view), r.id)) {
                    // First, so that the server checks it before reading any file.
                    (csrf_input(ctx))
                    h3 { (ctx.t("release.upload.title")) }
                    div.field.has-error[errors.message(ctx, "file").is_some()] {
                        label for="f-file" { (ctx.t("release.upload.file")) }
                        input id="f-file" type="file" name="file" multiple required;
                        @if let Some(m) = errors.message(ctx, "file") { div.error role="alert" id="upload-error" { (m) } }
                        div.hint { (ctx.tf("release.upload.hint", &[("limit", &limit)])) }
                    }
                    div { button.btn.btn-primary type="submit" id="upload-submit" { (ctx.t("release.upload.submit")) } }
                }
            }
        },
    ))
}

/// A candidate's release votes (open, passed, failed), each linked to its page, and the
/// button that opens one; on a published release, the vote that approved it.
fn vote_section(
    ctx: &Ctx,
    view: &RepoView,
    r: &Release,
    v: &hatchery_service::incubator::ReleaseVotes,
) -> Markup {
    html! {
        section.card.release-votes id="release-votes" {
            h3 { (ctx.t("release.vote.title")) }
            @if r.is_candidate {
                p.muted id="candidate-note" { (ctx.tf("release.vote.candidate_note", &[("program", &v.program.name)])) }
            }
            @if v.votes.is_empty() {
                p.muted id="no-release-votes" { (ctx.t("release.vote.none")) }
            } @else {
                ul.list {
                    @for vote in &v.votes {
                        li.release-vote id=(format!("release-vote-{}", vote.id)) data-state=(vote.state.as_str()) {
                            a href=(vote_url(&v.program, vote.id)) { (vote.title) }
                            " " (vote_state_badge(ctx, vote.state))
                            " · " span.muted { (time_ago_ms(ctx, vote.opened_at)) }
                        }
                    }
                }
            }
            @if v.may_open {
                form.inline-form method="post" action=(format!("{}/{}/vote", base(view), r.id)) id="open-release-vote" {
                    (csrf_input(ctx))
                    button.btn.btn-primary type="submit" { (ctx.t("release.vote.open")) }
                    " " span.muted.small { (ctx.t("release.vote.open_hint")) }
                }
            }
        }
    }
}

/// `POST /{owner}/{repo}/releases/{id}/vote`: opens a release vote on the candidate.
pub async fn open_vote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (view, release) = release_by_id(&state, &ctx, &owner, &name, &id).await?;
    ctx.require_user()?;
    match state
        .forge
        .open_release_vote(&view, &release, hatchery_store::now_ms())
        .await
    {
        Ok(_) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "release.vote.flash.opened",
            &release_url(&view, &release.tag_name),
        )),
        Err(ReleaseError::Denied(d)) => Err(WebError::from_denial(d, &ctx.path)),
        Err(
            e @ (ReleaseError::Vote(_) | ReleaseError::NoVoteRule | ReleaseError::NotIncubating),
        ) => {
            let key = match &e {
                ReleaseError::Vote(v) => v.message_key(),
                ReleaseError::NoVoteRule => "release.vote.error.no_rule",
                _ => "release.error.not_incubating",
            };
            Ok(flash_redirect(
                &ctx,
                FlashKind::Error,
                key,
                &release_url(&view, &release.tag_name),
            ))
        }
        Err(e) => Err(refused(e, &ctx.path)),
    }
}

/// For a file with a detached signature beside it (`X.asc`, `X.sig`): the signature's
/// state; for a signature: what it signs, and its state.
fn signature_cell(ctx: &Ctx, a: &ReleaseAsset, signatures: &[&ReleaseAsset]) -> Markup {
    if let Some(signed) = signed_name(&a.name) {
        return html! {
            span.muted { (ctx.tf("release.signature.of", &[("name", signed)])) }
            @if !a.signature_state.is_empty() { " " (signature_badge(ctx, a)) }
        };
    }
    let Some(sig) = signatures
        .iter()
        .find(|s| signed_name(&s.name) == Some(a.name.as_str()))
    else {
        return html! { span.muted { "—" } };
    };
    signature_badge(ctx, sig)
}

/// The verification state stored for a signature asset, with the reason when it is not
/// verified, the signing key when known (an SSH fingerprint, an OpenPGP key id) and, for a
/// verified OpenPGP signature, the user id of the key.
fn signature_badge(ctx: &Ctx, sig: &ReleaseAsset) -> Markup {
    let reason = match sig.signature_reason.as_str() {
        "unknown_key" => Some(ctx.t("release.signature.reason.unknown_key")),
        "key_not_valid" => Some(ctx.t("release.signature.reason.key_not_valid")),
        "mismatch" => Some(ctx.t("release.signature.reason.mismatch")),
        "wrong_namespace" => Some(ctx.t("release.signature.reason.wrong_namespace")),
        "unreadable" => Some(ctx.t("release.signature.reason.unreadable")),
        _ => None,
    };
    let signer = (!sig.signature_signer.is_empty()).then_some(sig.signature_signer.as_str());
    html! {
        @match SignatureState::parse(&sig.signature_state) {
            Some(SignatureState::Verified) => {
                span.badge.badge-binding.signature-verified title=[signer] { (ctx.t("release.signature.verified")) }
            }
            Some(SignatureState::Unverified) => {
                span.badge.badge-warn.signature-unverified title=[signer] { (ctx.t("release.signature.unverified")) }
            }
            Some(SignatureState::Bad) => {
                span.badge.badge-changes.signature-bad title=[signer] { (ctx.t("release.signature.bad")) }
            }
            None => { span.badge.signature-present { (ctx.t("release.signature.present")) } }
        }
        @if let Some(r) = reason { br; span.muted.small.signature-reason { (r) } }
        @if let Some(s) = signer { br; code.small.signature-signer { (s) } }
        @if !sig.signature_identity.is_empty() { br; span.small.signature-identity { (sig.signature_identity) } }
    }
}

// ---- new / edit ----

#[derive(Debug, Default, Clone)]
struct ReleaseForm {
    tag_name: String,
    target: String,
    title: String,
    note: String,
    draft: bool,
    prerelease: bool,
    candidate: bool,
}

impl ReleaseForm {
    fn from_pairs(pairs: &[(String, String)]) -> ReleaseForm {
        ReleaseForm {
            tag_name: form::value(pairs, "tag_name").to_owned(),
            target: form::value(pairs, "target").to_owned(),
            title: form::value(pairs, "title").to_owned(),
            note: form::value(pairs, "note").to_owned(),
            draft: form::value(pairs, "draft") == "on",
            prerelease: form::value(pairs, "prerelease") == "on",
            candidate: form::value(pairs, "candidate") == "on",
        }
    }

    fn of(r: &Release) -> ReleaseForm {
        ReleaseForm {
            tag_name: r.tag_name.clone(),
            target: r.target.clone(),
            title: r.title.clone(),
            note: r.note.clone(),
            draft: r.is_draft,
            prerelease: r.is_prerelease,
            candidate: r.is_candidate,
        }
    }
}

/// Records a refusal a form explains; `false` when no field explains it.
fn form_errors(e: &ReleaseError, errors: &mut FormErrors) -> bool {
    match e {
        ReleaseError::Rule(ReleaseRuleError::TagRequired) => {
            errors.add("tag_name", "release.error.tag_required")
        }
        ReleaseError::Rule(ReleaseRuleError::TitleTooLong) => errors.add_with(
            "title",
            "release.error.title_too_long",
            vec![("max", hatchery_core::releases::TITLE_MAX.to_string())],
        ),
        ReleaseError::Rule(ReleaseRuleError::NoteTooLong) => errors.add_with(
            "note",
            "release.error.note_too_long",
            vec![("max", hatchery_core::releases::NOTE_MAX.to_string())],
        ),
        ReleaseError::BadTag(_) => errors.add("tag_name", "release.error.bad_tag"),
        ReleaseError::TagTaken(_) => errors.add("tag_name", "release.error.tag_taken"),
        ReleaseError::BadTarget(_) => errors.add("target", "release.error.bad_target"),
        ReleaseError::NotIncubating => errors.add("candidate", "release.error.not_incubating"),
        ReleaseError::Vote(v) => errors.add("candidate", v.message_key()),
        _ => return false,
    }
    true
}

fn require_writer(ctx: &Ctx, view: &RepoView) -> WebResult<()> {
    if may_write(view) {
        return Ok(());
    }
    ctx.require_user()?;
    // Readers of a public repository are told no; others never learn it exists.
    Err(WebError::Forbidden)
}

async fn form_page(
    state: &AppState,
    ctx: &Ctx,
    view: &RepoView,
    editing: Option<&Release>,
    f: &ReleaseForm,
    errors: &FormErrors,
) -> WebResult<Markup> {
    let header = repo_header(state, ctx, &view.repo, RepoTab::Releases).await?;
    let git = state.forge.open_git(&view.repo).await?;
    let refs = tokio::task::spawn_blocking(move || git.refs())
        .await
        .map_err(WebError::internal)?
        .map_err(WebError::internal)?;
    let tags: Vec<&str> = refs
        .iter()
        .filter_map(|r| r.name.strip_prefix("refs/tags/"))
        .collect();
    let branches: Vec<&str> = refs
        .iter()
        .filter_map(|r| r.name.strip_prefix("refs/heads/"))
        .collect();
    let (title, action, submit) = match editing {
        Some(r) => (
            ctx.t("release.edit.title"),
            format!("{}/{}/edit", base(view), r.id),
            ctx.t("release.edit.submit"),
        ),
        None => (
            ctx.t("release.new.title"),
            format!("{}/new", base(view)),
            ctx.t("release.new.submit"),
        ),
    };
    let target_value = if f.target.is_empty() && editing.is_none() {
        view.repo.default_branch.as_str()
    } else {
        f.target.as_str()
    };
    let draft = if f.draft { "on" } else { "" };
    let prerelease = if f.prerelease { "on" } else { "" };
    let candidate = if f.candidate { "on" } else { "" };
    // The choice is offered where it means something: a repository of an incubating
    // project (or a release that is a candidate already).
    let offer_candidate = f.candidate
        || editing.is_some_and(|r| r.is_candidate)
        || state
            .forge
            .is_incubating_repo(&view.repo)
            .await
            .map_err(|e| refused(e, &ctx.path))?;
    Ok(page(
        ctx,
        title,
        html! {
            (header)
            h2 { (title) }
            form.stack method="post" action=(action) id="release-form" novalidate {
                (csrf_input(ctx))
                div.field.has-error[errors.message(ctx, "tag_name").is_some()] {
                    label for="f-tag_name" { (ctx.t("release.field.tag")) }
                    input id="f-tag_name" type="text" name="tag_name" value=(f.tag_name) list="tag-names" required;
                    datalist id="tag-names" { @for t in tags.iter().take(200) { option value=(t) {} } }
                    @if let Some(m) = errors.message(ctx, "tag_name") { div.error role="alert" { (m) } }
                    div.hint { (ctx.t("release.hint.tag")) }
                }
                div.field.has-error[errors.message(ctx, "target").is_some()] {
                    label for="f-target" { (ctx.t("release.field.target")) }
                    input id="f-target" type="text" name="target" value=(target_value) list="branch-names";
                    datalist id="branch-names" { @for b in branches.iter().take(200) { option value=(b) {} } }
                    @if let Some(m) = errors.message(ctx, "target") { div.error role="alert" { (m) } }
                    div.hint { (ctx.t("release.hint.target")) }
                }
                (Field::new("title", ctx.t("release.field.title"), &f.title).hint(ctx.t("release.hint.title")).render(ctx, errors))
                (Field::new("note", ctx.t("release.field.note"), &f.note).input(Input::TextArea).hint(ctx.t("issue.hint.markdown")).render(ctx, errors))
                (Field::new("prerelease", ctx.t("release.field.prerelease"), prerelease).input(Input::Checkbox).hint(ctx.t("release.hint.prerelease")).render(ctx, errors))
                (Field::new("draft", ctx.t("release.field.draft"), draft).input(Input::Checkbox).hint(ctx.t("release.hint.draft")).render(ctx, errors))
                @if offer_candidate {
                    (Field::new("candidate", ctx.t("release.field.candidate"), candidate).input(Input::Checkbox).hint(ctx.t("release.hint.candidate")).render(ctx, errors))
                }
                div { button.btn.btn-primary type="submit" id="release-submit" { (submit) } }
            }
        },
    ))
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Markup> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    require_writer(&ctx, &view)?;
    form_page(
        &state,
        &ctx,
        &view,
        None,
        &ReleaseForm::default(),
        &FormErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    require_writer(&ctx, &view)?;
    let f = ReleaseForm::from_pairs(&pairs);
    let input = ReleaseInput {
        tag_name: f.tag_name.clone(),
        target: f.target.clone(),
        title: f.title.clone(),
        note: f.note.clone(),
        draft: f.draft,
        prerelease: f.prerelease,
        candidate: f.candidate,
    };
    match state.forge.create_release(&view, input).await {
        Ok(r) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "release.flash.created",
            &release_url(&view, &r.tag_name),
        )),
        Err(e) => {
            let mut errors = FormErrors::default();
            if !form_errors(&e, &mut errors) {
                return Err(refused(e, &ctx.path));
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&state, &ctx, &view, None, &f, &errors).await?,
            )
                .into_response())
        }
    }
}

fn id_of(raw: &str) -> WebResult<i64> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// The repository and one of its releases by id, as the viewer may see them (404 otherwise).
async fn release_by_id(
    state: &AppState,
    ctx: &Ctx,
    owner: &str,
    name: &str,
    id: &str,
) -> WebResult<(RepoView, Release)> {
    let view = view_of(state, ctx, owner, name).await?;
    let release = state
        .forge
        .release(&view, id_of(id)?)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    Ok((view, release))
}

pub async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> WebResult<Markup> {
    let (view, release) = release_by_id(&state, &ctx, &owner, &name, &id).await?;
    require_writer(&ctx, &view)?;
    form_page(
        &state,
        &ctx,
        &view,
        Some(&release),
        &ReleaseForm::of(&release),
        &FormErrors::default(),
    )
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let (view, release) = release_by_id(&state, &ctx, &owner, &name, &id).await?;
    require_writer(&ctx, &view)?;
    let f = ReleaseForm::from_pairs(&pairs);
    let edit = ReleaseEdit {
        tag_name: Some(f.tag_name.clone()),
        target: Some(f.target.clone()),
        title: Some(f.title.clone()),
        note: Some(f.note.clone()),
        draft: Some(f.draft),
        prerelease: Some(f.prerelease),
        candidate: Some(f.candidate),
    };
    match state.forge.update_release(&view, release.id, edit).await {
        Ok(r) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "release.flash.saved",
            &release_url(&view, &r.tag_name),
        )),
        Err(e) => {
            let mut errors = FormErrors::default();
            if !form_errors(&e, &mut errors) {
                return Err(refused(e, &ctx.path));
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(&state, &ctx, &view, Some(&release), &f, &errors).await?,
            )
                .into_response())
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let id = id_of(&id)?;
    state
        .forge
        .release(&view, id)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    require_writer(&ctx, &view)?;
    let delete_tag = form::value(&pairs, "delete_tag") == "on";
    state
        .forge
        .delete_release(&view, id, delete_tag)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "release.flash.deleted",
        &base(&view),
    ))
}

pub async fn delete_asset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id, asset)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let (release, asset) = state
        .forge
        .release_asset(&view, id_of(&id)?, id_of(&asset)?)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    require_writer(&ctx, &view)?;
    state
        .forge
        .delete_asset(&view, release.id, asset.id)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "release.flash.asset_deleted",
        &release_url(&view, &release.tag_name),
    ))
}

/// `/{owner}/{repo}/releases/latest`: the latest release's page.
pub async fn latest(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name)): Path<(String, String)>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let r = state
        .forge
        .latest_release(&view)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    Ok(Redirect::to(&release_url(&view, &r.tag_name)).into_response())
}

// ---- upload ----

/// `POST /{owner}/{repo}/releases/{id}/assets` (multipart): one or more files in `file`.
/// The CSRF token must come first; each file is streamed to the service as it arrives.
/// A refused file (too large, a name taken, a bad name) stops the upload: files stored
/// before it stay, the refused one is not kept.
pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((owner, name, id)): Path<(String, String, String)>,
    req: Request,
) -> WebResult<Response> {
    let deferred = req.extensions().get::<crate::csrf::Deferred>().cloned();
    let (view, release) = release_by_id(&state, &ctx, &owner, &name, &id).await?;
    let mut multipart = Multipart::from_request(req, &state)
        .await
        .map_err(|_| WebError::BadRequest("error.400.form"))?;
    // The token: from the header (already checked) or the first field.
    if !deferred.as_ref().is_some_and(crate::csrf::Deferred::passed) {
        let first = multipart
            .next_field()
            .await
            .map_err(|_| WebError::BadRequest("error.400.form"))?;
        let Some(mut first) = first else {
            return Err(WebError::Csrf);
        };
        if first.name() != Some(crate::csrf::FIELD) {
            return Err(WebError::Csrf);
        }
        let token = upload::small_text(&mut first, 512)
            .await
            .map_err(|_| WebError::Csrf)?;
        if !deferred.is_some_and(|d| d.accepts(&token)) {
            tracing::warn!(path = %ctx.path, "refused an upload with a missing or wrong CSRF token");
            return Err(WebError::Csrf);
        }
    }
    require_writer(&ctx, &view)?;
    let mut stored = 0usize;
    let mut errors = FormErrors::default();
    let mut status = StatusCode::OK;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(WebError::BadRequest("error.400.form")),
        };
        let mut field = field;
        if field.name() != Some("file") {
            upload::small_text(&mut field, 64 * 1024)
                .await
                .map_err(|_| WebError::BadRequest("error.400.form"))?;
            continue;
        }
        let file_name = field.file_name().unwrap_or("").to_owned();
        if file_name.is_empty() {
            // A browser sends an empty part when no file was chosen.
            upload::small_text(&mut field, 0).await.ok();
            continue;
        }
        let content_type = field.content_type().unwrap_or("").to_owned();
        let result = async {
            let mut up = state
                .forge
                .begin_asset(&view, release.id, &file_name, &content_type, None)
                .await?;
            upload::from_field(&mut up, &mut field).await?;
            Ok::<_, UploadFailure>(state.forge.finish_asset(up).await?)
        }
        .await;
        match result {
            Ok(_) => stored += 1,
            Err(UploadFailure::BadBody(_)) => return Err(WebError::BadRequest("error.400.form")),
            Err(UploadFailure::Refused(e)) => {
                status = match &e {
                    ReleaseError::TooLarge(limit) => {
                        errors.add_with(
                            "file",
                            "release.error.too_large",
                            vec![
                                ("name", file_name.clone()),
                                ("limit", size(i64::try_from(*limit).unwrap_or(i64::MAX))),
                            ],
                        );
                        StatusCode::PAYLOAD_TOO_LARGE
                    }
                    ReleaseError::AssetNameTaken(n) => {
                        errors.add_with(
                            "file",
                            "release.error.asset_name_taken",
                            vec![("name", n.clone())],
                        );
                        StatusCode::CONFLICT
                    }
                    ReleaseError::Rule(r) => {
                        errors.add_with("file", r.key(), vec![("name", file_name.clone())]);
                        StatusCode::BAD_REQUEST
                    }
                    _ => return Err(refused(e, &ctx.path)),
                };
                break;
            }
        }
    }
    if !errors.is_empty() {
        // Show what is stored now, with the refusal under the upload field.
        let release = state
            .forge
            .release(&view, release.id)
            .await
            .map_err(|e| refused(e, &ctx.path))?;
        let body = release_page(&state, &ctx, &view, &release, &errors).await?;
        return Ok((status, body).into_response());
    }
    if stored == 0 {
        return Err(WebError::BadRequest("release.error.no_file"));
    }
    Ok(flash_redirect(
        &ctx,
        FlashKind::Success,
        "release.flash.uploaded",
        &release_url(&view, &release.tag_name),
    ))
}

// ---- download ----

/// `GET /{owner}/{repo}/releases/download/{tag}/{name}`: the file, streamed from disk,
/// counted (a HEAD is not). The tag may hold slashes; the name never does.
pub async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    method: axum::http::Method,
    Path((owner, name, rest)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let view = view_of(&state, &ctx, &owner, &name).await?;
    let (tag, file) = rest.rsplit_once('/').ok_or(WebError::NotFound)?;
    let (asset, handle) = state
        .forge
        .open_asset(&view, tag, file, method != axum::http::Method::HEAD)
        .await
        .map_err(|e| refused(e, &ctx.path))?;
    let stream = tokio_util::io::ReaderStream::with_capacity(handle, 64 * 1024);
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    let content_type = HeaderValue::from_str(&asset.content_type)
        .ok()
        .filter(|_| !asset.content_type.is_empty())
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(asset.size));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&asset.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Uploaded content is never a page of this site.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 5987 form.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        path_segment(name)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dispositions_keep_the_name_safely() {
        assert_eq!(
            super::content_disposition("tool-1.0.tar.gz"),
            "attachment; filename=\"tool-1.0.tar.gz\"; filename*=UTF-8''tool-1.0.tar.gz"
        );
        assert_eq!(
            super::content_disposition("工具 \"x\".zip"),
            "attachment; filename=\"__ _x_.zip\"; filename*=UTF-8''%E5%B7%A5%E5%85%B7%20%22x%22.zip"
        );
    }
}
