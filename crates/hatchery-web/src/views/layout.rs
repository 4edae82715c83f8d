//! The page frame: header with navigation, flash message, footer with the language switch.

use crate::assets::asset_url;
use crate::ctx::{Ctx, FlashKind};
use crate::error::ErrorPage;
use crate::form::csrf_input;
use crate::i18n::Lang;
use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

pub fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · " (ctx.t("brand.name")) }
                link rel="icon" type="image/svg+xml" href=(asset_url("favicon.svg"));
                link rel="stylesheet" href=(asset_url("app.css"));
                link rel="stylesheet" href=(asset_url("highlight.css"));
                script src=(asset_url("app.js")) defer {}
            }
            body {
                (header(ctx))
                @if !ctx.announcement.is_empty() {
                    div.announcement role="note" id="site-announcement" {
                        div.container { (ctx.announcement) }
                    }
                }
                main.container id="main" {
                    @if let Some(flash) = &ctx.flash {
                        @let class = match flash.kind { FlashKind::Success => "flash flash-success", FlashKind::Error => "flash flash-error", FlashKind::Info => "flash flash-info" };
                        div class=(class) role="status" { (ctx.lang.lookup(&flash.key).unwrap_or(ctx.t("flash.done"))) }
                    }
                    (body)
                }
                (footer(ctx))
            }
        }
    }
}

fn header(ctx: &Ctx) -> Markup {
    html! {
        header.site-header {
            div.container {
                a.brand href="/" {
                    img src=(asset_url("favicon.svg")) alt="";
                    (ctx.t("brand.name"))
                }
                nav.nav aria-label=(ctx.t("nav.label")) {
                    a href="/explore/repos" id="nav-explore" { (ctx.t("explore.nav")) }
                    @if let Some(user) = &ctx.user {
                        @if user.is_admin { a href="/admin" id="nav-admin" { (ctx.t("admin.nav")) } }
                        a href="/issues" id="nav-issues" { (ctx.t("dashboard.nav")) }
                        a href="/repo/create" id="nav-new-repo" { (ctx.t("nav.new_repo")) }
                        a href="/org/create" id="nav-new-org" { (ctx.t("nav.new_org")) }
                        a href=(format!("/{}", user.name)) id="nav-profile" { (user.name) }
                        a href="/user/settings" id="nav-settings" { (ctx.t("nav.settings")) }
                        form method="post" action="/user/logout" {
                            (csrf_input(ctx))
                            button.linklike type="submit" id="nav-logout" { (ctx.t("nav.sign_out")) }
                        }
                    } @else {
                        a href=(crate::pages::auth::login_url(&ctx.path)) id="nav-login" { (ctx.t("nav.sign_in")) }
                        @if ctx.allow_signup {
                            a.btn.btn-primary.btn-small href="/user/sign_up" id="nav-signup" { (ctx.t("nav.sign_up")) }
                        }
                    }
                }
            }
        }
    }
}

fn footer(ctx: &Ctx) -> Markup {
    html! {
        footer.site-footer {
            div.container {
                span { (ctx.tf("footer.powered_by", &[("version", env!("CARGO_PKG_VERSION"))])) }
                form id="language-form" method="post" action="/language" {
                    (csrf_input(ctx))
                    input type="hidden" name="next" value=(ctx.path);
                    label for="language-select" { (ctx.t("footer.language")) }
                    select id="language-select" name="lang" data-autosubmit {
                        @for lang in Lang::ALL {
                            option value=(lang.tag()) selected[lang == ctx.lang] lang=(lang.tag()) { (lang.native_name()) }
                        }
                    }
                    button.btn.btn-small type="submit" id="language-submit" { (ctx.t("footer.switch")) }
                }
            }
        }
    }
}

pub fn error_page(ctx: &Ctx, status: StatusCode, page_info: ErrorPage) -> Markup {
    let title = ctx.t(page_info.title_key);
    page(
        ctx,
        title,
        html! {
            div.error-page {
                div.code { (status.as_u16()) }
                h1 { (title) }
                p { (ctx.t(page_info.message_key)) }
                p { a.btn href="/" { (ctx.t("error.go_home")) } }
            }
        },
    )
}
