//! The HTTP surface of Hatchery: routes, sessions, CSRF, the maud views, embedded assets,
//! message catalogs, and (later) the git smart-HTTP endpoints and `/api/v1`. Handlers
//! authenticate through middleware and authorize through `hatchery_core::authorize`.

pub mod api;
pub mod assets;
pub mod cache;
mod cookies;
pub mod credentials;
pub mod csrf;
pub mod ctx;
pub mod error;
pub mod form;
pub mod git_http;
pub mod i18n;
pub mod input;
pub mod metrics;
mod moved;
pub mod pages;
pub mod ratelimit;
pub mod state;
pub mod upload;
pub mod views;

pub use state::{AppState, MetricsSettings, WebConfig};

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use pages::auth::ClientAddr;
use sha2::{Digest, Sha512};
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

pub const SESSION_COOKIE: &str = "hatchery_session";

/// The whole application as a router, ready to serve or to drive in tests.
pub fn router(state: AppState) -> Router {
    let cfg = &state.cfg;
    let key = Key::from(&Sha512::digest(format!("session-cookie:{}", cfg.secret).as_bytes())[..]);
    let sessions = SessionManagerLayer::new(state.store.session_store())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(cfg.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(i64::from(
            cfg.session_days,
        ))))
        .with_signed(key);

    let html = Router::new()
        .route("/", get(pages::home::home))
        .route(
            "/user/sign_up",
            get(pages::auth::sign_up_form).post(pages::auth::sign_up),
        )
        .route(
            "/user/login",
            get(pages::auth::login_form).post(pages::auth::login),
        )
        .route("/user/logout", post(pages::auth::logout))
        .route("/user/oauth2/{id}", get(pages::oidc::start))
        .route("/user/oauth2/{id}/callback", get(pages::oidc::callback))
        .route("/user/settings/linked", get(pages::oidc::linked))
        .route("/user/settings/linked/{id}/link", post(pages::oidc::link))
        .route(
            "/user/settings/linked/{id}/unlink",
            post(pages::oidc::unlink),
        )
        .route(
            "/user/settings",
            get(pages::settings::show).post(pages::settings::save_profile),
        )
        .route(
            "/user/settings/password",
            post(pages::settings::change_password),
        )
        .route(
            "/user/settings/sessions/sign_out_all",
            post(pages::settings::sign_out_everywhere),
        )
        .route(
            "/user/settings/tokens",
            get(pages::tokens::show).post(pages::tokens::create),
        )
        .route(
            "/user/settings/tokens/{id}/delete",
            post(pages::tokens::delete),
        )
        .route(
            "/user/settings/keys",
            get(pages::keys::show).post(pages::keys::add),
        )
        .route("/user/settings/keys/{id}/delete", post(pages::keys::delete))
        .route("/user/settings/gpg_keys", post(pages::keys::gpg_add))
        .route(
            "/user/settings/gpg_keys/{id}/delete",
            post(pages::keys::gpg_delete),
        )
        .route(
            "/user/two_factor",
            get(pages::auth::two_factor_form).post(pages::auth::two_factor),
        )
        .route("/user/settings/two_factor", get(pages::twofactor::show))
        .route(
            "/user/settings/two_factor/enrol",
            post(pages::twofactor::enrol),
        )
        .route(
            "/user/settings/two_factor/confirm",
            post(pages::twofactor::confirm),
        )
        .route(
            "/user/settings/two_factor/recovery_codes",
            post(pages::twofactor::new_codes),
        )
        .route(
            "/user/settings/two_factor/disable",
            post(pages::twofactor::disable),
        )
        .route(
            "/user/settings/two_factor/keys/start",
            post(pages::webauthn::register_start),
        )
        .route(
            "/user/settings/two_factor/keys/finish",
            post(pages::webauthn::register_finish),
        )
        .route(
            "/user/settings/two_factor/keys/{id}/delete",
            post(pages::webauthn::delete),
        )
        .route(
            "/user/two_factor/key/start",
            post(pages::webauthn::sign_in_start),
        )
        .route(
            "/user/two_factor/key/finish",
            post(pages::webauthn::sign_in_finish),
        )
        .route("/issues", get(pages::dashboard::issues))
        .route("/explore", get(pages::explore::index))
        .route("/explore/repos", get(pages::explore::repos))
        .route("/explore/users", get(pages::explore::users))
        .route("/explore/organizations", get(pages::explore::orgs))
        .route("/admin", get(pages::admin::overview))
        .route("/admin/users", get(pages::admin::users))
        .route(
            "/admin/users/{user}/disable",
            post(pages::admin::disable_user),
        )
        .route(
            "/admin/users/{user}/enable",
            post(pages::admin::enable_user),
        )
        .route("/admin/users/{user}/admin", post(pages::admin::make_admin))
        .route(
            "/admin/users/{user}/unadmin",
            post(pages::admin::unmake_admin),
        )
        .route(
            "/admin/users/{user}/delete",
            get(pages::admin::delete_user_form).post(pages::admin::delete_user),
        )
        .route("/admin/orgs", get(pages::admin::orgs))
        .route("/admin/auths", get(pages::auth_sources::list))
        .route(
            "/admin/auths/new",
            get(pages::auth_sources::new_form).post(pages::auth_sources::create),
        )
        .route(
            "/admin/auths/{id}",
            get(pages::auth_sources::edit_form).post(pages::auth_sources::update),
        )
        .route(
            "/admin/auths/{id}/delete",
            post(pages::auth_sources::delete),
        )
        .route("/admin/auths/{id}/test", post(pages::auth_sources::test))
        .route("/admin/auths/{id}/sync", post(pages::auth_sources::sync))
        .route("/admin/repos", get(pages::admin::repos))
        .route(
            "/admin/repos/{owner}/{repo}/upkeep",
            post(pages::admin::run_upkeep),
        )
        .route(
            "/admin/settings",
            get(pages::admin::settings).post(pages::admin::save_settings),
        )
        .route("/language", post(pages::language::switch))
        .route(
            "/repo/create",
            get(pages::repo::create_form).post(pages::repo::create),
        )
        .route(
            "/repo/migrate",
            get(pages::migrate::form).post(pages::migrate::start),
        )
        .route(
            "/org/create",
            get(pages::org::create_form).post(pages::org::create),
        )
        .route(
            "/org/{org}/members",
            get(pages::org::members).post(pages::org::add_member),
        )
        .route(
            "/org/{org}/members/{user}/role",
            post(pages::org::change_role),
        )
        .route(
            "/org/{org}/members/{user}/remove",
            post(pages::org::remove_member),
        )
        .route("/org/{org}/teams", get(pages::org::teams))
        .route(
            "/org/{org}/teams/new",
            get(pages::org::new_team_form).post(pages::org::create_team),
        )
        .route("/org/{org}/teams/{team}", get(pages::org::team))
        .route("/org/{org}/teams/{team}/edit", post(pages::org::edit_team))
        .route(
            "/org/{org}/teams/{team}/delete",
            post(pages::org::delete_team),
        )
        .route(
            "/org/{org}/teams/{team}/members",
            post(pages::org::add_team_member),
        )
        .route(
            "/org/{org}/teams/{team}/members/{user}/remove",
            post(pages::org::remove_team_member),
        )
        .route(
            "/org/{org}/settings",
            get(pages::org::settings).post(pages::org::save_settings),
        )
        .route("/org/{org}/delete", post(pages::org::delete))
        .route(
            "/org/{org}/settings/hooks",
            get(pages::hooks::org_list).post(pages::hooks::org_create),
        )
        .route(
            "/org/{org}/settings/hooks/{id}",
            get(pages::hooks::org_show).post(pages::hooks::org_save),
        )
        .route(
            "/org/{org}/settings/hooks/{id}/delete",
            post(pages::hooks::org_delete),
        )
        .route(
            "/org/{org}/settings/hooks/{id}/deliveries/{delivery}",
            get(pages::hooks::org_delivery),
        )
        .route(
            "/org/{org}/settings/hooks/{id}/deliveries/{delivery}/redeliver",
            post(pages::hooks::org_redeliver),
        )
        .route("/{name}", get(pages::profile::profile))
        // The incubator: `-` is a reserved repository name, and a static segment wins over
        // `{repo}` in the matcher, so these never clash with repository pages.
        .route("/{org}/-/incubator", get(pages::incubator::programs::list))
        .route(
            "/{org}/-/incubator/new",
            get(pages::incubator::programs::new_form).post(pages::incubator::programs::create),
        )
        .route(
            "/{org}/-/incubator/{program}",
            get(pages::incubator::programs::dashboard),
        )
        .route(
            "/{org}/-/incubator/{program}/settings",
            get(pages::incubator::programs::settings)
                .post(pages::incubator::programs::save_settings),
        )
        .route(
            "/{org}/-/incubator/{program}/settings/committee",
            post(pages::incubator::programs::save_committee),
        )
        .route(
            "/{org}/-/incubator/{program}/settings/template",
            get(pages::incubator::template_form::show)
                .post(pages::incubator::programs::save_template),
        )
        .route(
            "/{org}/-/incubator/{program}/settings/template/form",
            post(pages::incubator::template_form::save),
        )
        .route(
            "/{org}/-/incubator/{program}/settings/reports",
            post(pages::incubator::programs::save_report_template),
        )
        .route(
            "/{org}/-/incubator/{program}/reports",
            get(pages::incubator::calendar::show),
        )
        .route(
            "/{org}/-/incubator/{program}/reports/combined",
            get(pages::incubator::combined::show),
        )
        .route(
            "/{org}/-/incubator/{program}/reports/combined.md",
            get(pages::incubator::combined::download),
        )
        .route(
            "/{org}/-/incubator/{program}/reports/record/{project}",
            post(pages::incubator::calendar::save_record),
        )
        .route(
            "/{org}/-/incubator/{program}/audit",
            get(pages::incubator::programs::audit),
        )
        .route(
            "/{org}/-/incubator/{program}/projects.json",
            get(pages::incubator::exports::json),
        )
        .route(
            "/{org}/-/incubator/{program}/projects.csv",
            get(pages::incubator::exports::csv),
        )
        .route(
            "/{org}/-/incubator/{program}/podlings.xml",
            get(pages::incubator::exports::podlings_xml),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals",
            get(pages::incubator::proposals::list),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/new",
            get(pages::incubator::proposals::new_form).post(pages::incubator::proposals::create),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}",
            get(pages::incubator::proposals::show),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/edit",
            get(pages::incubator::proposals::edit_form).post(pages::incubator::proposals::edit),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/revisions",
            get(pages::incubator::proposals::revisions),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/comments",
            post(pages::incubator::proposals::comment),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/discussion",
            post(pages::incubator::proposals::start_discussion),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/request_info",
            post(pages::incubator::proposals::request_info),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/vote",
            post(pages::incubator::proposals::open_vote),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/withdraw",
            post(pages::incubator::proposals::withdraw),
        )
        .route(
            "/{org}/-/incubator/{program}/proposals/{number}/close",
            post(pages::incubator::proposals::close),
        )
        .route(
            "/{org}/-/incubator/{program}/votes/{id}",
            get(pages::incubator::votes::show),
        )
        .route(
            "/{org}/-/incubator/{program}/votes/{id}/ballot",
            post(pages::incubator::votes::ballot),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}",
            get(pages::incubator::projects::status),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/vote",
            post(pages::incubator::projects::open_vote),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/decision",
            post(pages::incubator::projects::record_decision),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/roster",
            post(pages::incubator::projects::add_roster),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/roster/{id}/end",
            post(pages::incubator::projects::end_roster),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/roster/{id}/remove",
            post(pages::incubator::projects::remove_roster),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/repos",
            post(pages::incubator::projects::link_repo),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/repos/unlink",
            post(pages::incubator::projects::unlink_repo),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/votes/new",
            get(pages::incubator::elections::new_form).post(pages::incubator::elections::open),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/graduation",
            get(pages::incubator::graduation::show),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/graduation/{id}/resolution",
            post(pages::incubator::graduation::save_resolution),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/graduation/{id}/redraft",
            post(pages::incubator::graduation::redraft),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/graduation/{id}/submit",
            post(pages::incubator::graduation::submit),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/graduation/{id}/decision",
            post(pages::incubator::graduation::decide),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/checklist",
            get(pages::incubator::projects::checklist).post(pages::incubator::projects::set_item),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/checklist/evaluate",
            post(pages::incubator::projects::evaluate),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/reports/{id}",
            get(pages::incubator::reports::show).post(pages::incubator::reports::save),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/reports/{id}/prefill",
            post(pages::incubator::reports::prefill),
        )
        .route(
            "/{org}/-/incubator/{program}/projects/{slug}/reports/{id}/signoff",
            post(pages::incubator::reports::sign_off),
        )
        .route("/{owner}/{repo}", get(pages::code::home))
        .route("/{owner}/{repo}/tree/{*rest}", get(pages::code::tree))
        .route("/{owner}/{repo}/blob/{*rest}", get(pages::code::blob))
        .route("/{owner}/{repo}/raw/{*rest}", get(pages::code::raw))
        .route("/{owner}/{repo}/branches", get(pages::code::branches))
        .route("/{owner}/{repo}/tags", get(pages::code::tags))
        .route(
            "/{owner}/{repo}/fork",
            get(pages::forks::fork_form).post(pages::forks::fork),
        )
        .route("/{owner}/{repo}/forks", get(pages::forks::list))
        .route("/{owner}/{repo}/archive/{*file}", get(pages::code::archive))
        .route("/{owner}/{repo}/releases", get(pages::releases::list))
        .route(
            "/{owner}/{repo}/releases/latest",
            get(pages::releases::latest),
        )
        .route(
            "/{owner}/{repo}/releases/new",
            get(pages::releases::new_form).post(pages::releases::create),
        )
        .route(
            "/{owner}/{repo}/releases/tag/{*tag}",
            get(pages::releases::show),
        )
        .route(
            "/{owner}/{repo}/releases/download/{*rest}",
            get(pages::releases::download),
        )
        .route(
            "/{owner}/{repo}/releases/{id}/edit",
            get(pages::releases::edit_form).post(pages::releases::edit),
        )
        .route(
            "/{owner}/{repo}/releases/{id}/delete",
            post(pages::releases::delete),
        )
        .route(
            "/{owner}/{repo}/releases/{id}/assets/{asset}/delete",
            post(pages::releases::delete_asset),
        )
        .route(
            "/{owner}/{repo}/releases/{id}/vote",
            post(pages::releases::open_vote),
        )
        .route("/{owner}/{repo}/issues", get(pages::issues::list))
        .route(
            "/{owner}/{repo}/issues/new",
            get(pages::issues::new_form).post(pages::issues::create),
        )
        .route("/{owner}/{repo}/issues/{number}", get(pages::issues::show))
        .route(
            "/{owner}/{repo}/issues/{number}/comments",
            post(pages::issues::comment),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/state",
            post(pages::issues::set_state),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/lock",
            post(pages::issues::lock),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/labels",
            post(pages::issues::set_labels),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/milestone",
            post(pages::issues::set_milestone),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/assignees",
            post(pages::issues::set_assignees),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/edit",
            get(pages::issues::edit_form).post(pages::issues::edit),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/history",
            get(pages::issues::issue_history),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/comments/{id}/edit",
            get(pages::issues::edit_comment_form).post(pages::issues::edit_comment),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/comments/{id}/delete",
            post(pages::issues::delete_comment),
        )
        .route(
            "/{owner}/{repo}/issues/{number}/comments/{id}/history",
            get(pages::issues::comment_history),
        )
        .route("/{owner}/{repo}/pulls", get(pages::pulls::list))
        .route(
            "/{owner}/{repo}/pulls/new",
            get(pages::pulls::new_form).post(pages::pulls::create),
        )
        .route("/{owner}/{repo}/pulls/{number}", get(pages::pulls::show))
        .route(
            "/{owner}/{repo}/pulls/{number}/commits",
            get(pages::pulls::commits),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/files",
            get(pages::pulls::files),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/merge",
            post(pages::pulls::merge),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/draft",
            post(pages::pulls::set_draft),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/update",
            post(pages::pulls::update_branch),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/files/comments",
            post(pages::review::line_comment),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/reviews",
            post(pages::review::submit),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/reviews/discard",
            post(pages::review::discard),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/threads/{id}/reply",
            post(pages::review::reply),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/threads/{id}/resolve",
            post(pages::review::resolve),
        )
        .route(
            "/{owner}/{repo}/pulls/{number}/reviewers",
            post(pages::review::reviewers),
        )
        .route(
            "/{owner}/{repo}/commits",
            get(pages::history::commits_default),
        )
        .route(
            "/{owner}/{repo}/commits/{*rest}",
            get(pages::history::commits),
        )
        .route("/{owner}/{repo}/commit/{id}", get(pages::history::commit))
        .route("/{owner}/{repo}/compare", get(pages::history::compare_form))
        .route(
            "/{owner}/{repo}/compare/{*spec}",
            get(pages::history::compare),
        )
        .route("/{owner}/{repo}/blame/{*rest}", get(pages::history::blame))
        .route(
            "/{owner}/{repo}/labels",
            get(pages::labels::labels).post(pages::labels::create_label),
        )
        .route(
            "/{owner}/{repo}/labels/defaults",
            post(pages::labels::add_default_labels),
        )
        .route(
            "/{owner}/{repo}/labels/{id}/edit",
            post(pages::labels::edit_label),
        )
        .route(
            "/{owner}/{repo}/labels/{id}/delete",
            post(pages::labels::delete_label),
        )
        .route("/{owner}/{repo}/milestones", get(pages::labels::milestones))
        .route(
            "/{owner}/{repo}/milestones/new",
            get(pages::labels::new_milestone_form).post(pages::labels::create_milestone),
        )
        .route(
            "/{owner}/{repo}/milestones/{id}/edit",
            get(pages::labels::edit_milestone_form).post(pages::labels::edit_milestone),
        )
        .route(
            "/{owner}/{repo}/milestones/{id}/close",
            post(pages::labels::close_milestone),
        )
        .route(
            "/{owner}/{repo}/milestones/{id}/open",
            post(pages::labels::reopen_milestone),
        )
        .route(
            "/{owner}/{repo}/milestones/{id}/delete",
            post(pages::labels::delete_milestone),
        )
        .route(
            "/{owner}/{repo}/settings",
            get(pages::repo::settings).post(pages::repo::save_settings),
        )
        .route(
            "/{owner}/{repo}/settings/collaborators",
            post(pages::repo::add_collaborator),
        )
        .route(
            "/{owner}/{repo}/settings/collaborators/{user}/level",
            post(pages::repo::change_collaborator),
        )
        .route(
            "/{owner}/{repo}/settings/collaborators/{user}/remove",
            post(pages::repo::remove_collaborator),
        )
        .route(
            "/{owner}/{repo}/settings/teams",
            post(pages::repo::add_team),
        )
        .route(
            "/{owner}/{repo}/settings/teams/{team}/remove",
            post(pages::repo::remove_team),
        )
        .route("/{owner}/{repo}/settings/delete", post(pages::repo::delete))
        .route(
            "/{owner}/{repo}/settings/merge",
            get(pages::pulls::merge_settings).post(pages::pulls::save_merge_settings),
        )
        .route(
            "/{owner}/{repo}/settings/branches",
            get(pages::protection::list).post(pages::protection::create),
        )
        .route(
            "/{owner}/{repo}/settings/branches/edit",
            get(pages::protection::edit_form).post(pages::protection::save),
        )
        .route(
            "/{owner}/{repo}/settings/branches/delete",
            post(pages::protection::delete),
        )
        .route(
            "/{owner}/{repo}/settings/keys",
            get(pages::keys::deploy_list).post(pages::keys::deploy_add),
        )
        .route(
            "/{owner}/{repo}/settings/keys/{id}/delete",
            post(pages::keys::deploy_delete),
        )
        .route(
            "/{owner}/{repo}/settings/hooks",
            get(pages::hooks::repo_list).post(pages::hooks::repo_create),
        )
        .route(
            "/{owner}/{repo}/migration/resume",
            post(pages::migrate::resume),
        )
        .route(
            "/{owner}/{repo}/settings/mirror",
            get(pages::mirrors::show).post(pages::mirrors::save_pull),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/sync",
            post(pages::mirrors::sync_pull),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/stop",
            post(pages::mirrors::stop_pull),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/push",
            post(pages::mirrors::add_push),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/push/sync",
            post(pages::mirrors::sync_push),
        )
        .route(
            "/{owner}/{repo}/settings/mirror/push/{remote}/delete",
            post(pages::mirrors::delete_push),
        )
        .route(
            "/{owner}/{repo}/settings/hooks/{id}",
            get(pages::hooks::repo_show).post(pages::hooks::repo_save),
        )
        .route(
            "/{owner}/{repo}/settings/hooks/{id}/delete",
            post(pages::hooks::repo_delete),
        )
        .route(
            "/{owner}/{repo}/settings/hooks/{id}/test",
            post(pages::hooks::repo_test),
        )
        .route(
            "/{owner}/{repo}/settings/hooks/{id}/deliveries/{delivery}",
            get(pages::hooks::repo_delivery),
        )
        .route(
            "/{owner}/{repo}/settings/hooks/{id}/deliveries/{delivery}/redeliver",
            post(pages::hooks::repo_redeliver),
        )
        .fallback(|| async { error::WebError::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ratelimit::pages,
        ))
        .layer(middleware::from_fn(csrf::enforce))
        .layer(middleware::from_fn_with_state(state.clone(), moved::pages))
        .layer(middleware::from_fn(ctx::render_errors))
        .layer(middleware::from_fn_with_state(state.clone(), ctx::load))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::check))
        .layer(sessions.clone())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            cfg.request_timeout,
        ));

    // Release uploads from the web form: streamed to disk for as long as they take, with
    // no body limit but the asset limit; the CSRF token is the body's first field, which
    // the handler checks before reading a file (csrf::Deferred).
    let uploads = Router::new()
        .route(
            "/{owner}/{repo}/releases/{id}/assets",
            post(pages::releases::upload),
        )
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn(ctx::render_errors))
        .layer(middleware::from_fn_with_state(state.clone(), ctx::load))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::check))
        .layer(sessions);

    // Clones and pushes may take as long as they need: no timeout here, and the bodies
    // are streamed, never buffered.
    let git = Router::new()
        .route("/{owner}/{repo}/info/refs", get(git_http::info_refs))
        .route(
            "/{owner}/{repo}/git-upload-pack",
            post(git_http::upload_pack),
        )
        .route(
            "/{owner}/{repo}/git-receive-pack",
            post(git_http::receive_pack),
        )
        .layer(middleware::from_fn_with_state(state.clone(), moved::git));

    // `/metrics` exists only when enabled; otherwise it is the 404 of any unknown page.
    let mut top = Router::new();
    if cfg.metrics.enabled {
        top = top.route("/metrics", get(metrics::serve));
    }
    top.route("/api/healthz", get(pages::health::healthz))
        .route("/robots.txt", get(pages::robots::robots))
        .route("/assets/{file}", get(assets::serve))
        .merge(git)
        .merge(uploads)
        .merge(
            api::router(cfg.request_timeout)
                .layer(middleware::from_fn_with_state(state.clone(), ratelimit::api)),
        )
        .merge(html)
        // On every response, not only the pages' router: the API's HTML (`/api/swagger`),
        // error answers of the git routes and anything added later are covered too. A
        // handler that sets a stricter policy (raw files) keeps its own.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                 script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(middleware::from_fn(input::refuse_invalid))
        .layer(middleware::from_fn_with_state(state.clone(), client_addr))
        .layer(middleware::from_fn_with_state(state.clone(), log_request))
        .with_state(state)
}

/// One log line per request: method, route pattern (never the raw path, which may carry
/// secrets in its query), status and latency; the same counted for `/metrics`.
async fn log_request(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(req).await;
    let elapsed = start.elapsed();
    state
        .metrics
        .http_request(&method, &route, response.status(), elapsed);
    let status = response.status().as_u16();
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    tracing::info!(target: "hatchery::http", %method, %route, status, latency_ms, "request");
    response
}

/// The LDAP sources' team sync, every `auth.ldap_sync_minutes`. Each server runs it; a
/// round is idempotent, so two servers running it at once agree.
async fn ldap_sync_loop(state: AppState) {
    use hatchery_service::jobs::Job;
    let every = state.cfg.ldap_sync;
    let jobs = &state.forge.jobs;
    jobs.before_first_round(
        Job::LdapSync,
        hatchery_store::now_ms(),
        std::future::pending(),
    )
    .await;
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        jobs.started(Job::LdapSync, hatchery_store::now_ms());
        let failure = match state.forge.sync_all_sources().await {
            Ok(_) => None,
            Err(e) => Some(format!("LDAP team sync failed: {e}")),
        };
        let now = hatchery_store::now_ms();
        let next = now + i64::try_from(every.as_millis()).unwrap_or(i64::MAX / 2);
        jobs.finished(Job::LdapSync, now, failure, Some(next));
    }
}

/// The client's address: the peer's, or, when the peer is a trusted proxy
/// (`server.trusted_proxies`), the last address in `X-Forwarded-For` that is not one.
async fn client_addr(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let ip = forwarded_client(
            addr.ip(),
            req.headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok()),
            &state.cfg.trusted_proxies,
        );
        req.extensions_mut().insert(ClientAddr(ip.to_string()));
    }
    next.run(req).await
}

/// Walks `X-Forwarded-For` from the right (the entry the nearest proxy added) while the
/// hop is trusted; the first untrusted hop is the client. A malformed entry stops the walk
/// at the last trusted hop, so a client cannot choose its address by forging the header.
pub fn forwarded_client<'a>(
    peer: std::net::IpAddr,
    headers: impl Iterator<Item = &'a str>,
    trusted: &hatchery_core::netpolicy::AllowedHosts,
) -> std::net::IpAddr {
    if !trusted.allows_ip(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !trusted.allows_ip(ip) {
            break;
        }
    }
    client
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Without TCP_NODELAY the last segment of each answer waits for the client's delayed
    // ACK: git's POSTs (two per fetch or push) each ended ~40 ms late.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Periodic housekeeping: expired sessions and stale sign-in counters are deleted, crash
/// leftovers on disk removed. Safe with several servers on one database and one
/// repositories folder (each deletion is idempotent).
/// How often every active incubator project's checklist is evaluated, besides after pushes.
const CHECKLIST_EVERY_HOURS: u64 = 6;

/// Imports without a runner — queued, or left by a server that stopped or crashed (their
/// lease ran out) — are taken up soon after start, then every minute (`Forge::run_pending_imports`;
/// each is claimed, so several servers never run one import twice).
async fn import_loop(state: AppState) {
    use hatchery_service::jobs::Job;
    const EVERY: Duration = Duration::from_secs(60);
    let jobs = &state.forge.jobs;
    jobs.before_first_round(
        Job::Imports,
        hatchery_store::now_ms(),
        std::future::pending(),
    )
    .await;
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        jobs.started(Job::Imports, hatchery_store::now_ms());
        let failure = match hatchery_service::Forge::run_pending_imports(state.clone()).await {
            Ok(0) => None,
            Ok(n) => {
                tracing::info!(imports = n, "taking up unfinished imports");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "looking for unfinished imports failed");
                Some(format!("looking for unfinished imports failed: {e}"))
            }
        };
        let now = hatchery_store::now_ms();
        let next = now + i64::try_from(EVERY.as_millis()).unwrap_or(60_000);
        jobs.finished(Job::Imports, now, failure, Some(next));
    }
}

pub fn spawn_background(state: &AppState) -> tokio::task::JoinHandle<()> {
    use hatchery_service::jobs::Job;
    use tower_sessions::ExpiredDeletion;
    const HOUR_MS: i64 = 3_600_000;
    let sessions = state.store.session_store();
    let store = state.store.clone();
    let window_ms = i64::from(state.cfg.lockout_minutes) * 60_000;
    let forge_state = state.clone();
    if !state.cfg.ldap_sync.is_zero() {
        tokio::spawn(ldap_sync_loop(state.clone()));
    }
    tokio::spawn(import_loop(state.clone()));
    tokio::spawn(async move {
        let jobs = &forge_state.forge.jobs;
        jobs.before_first_round(
            Job::Upkeep,
            hatchery_store::now_ms(),
            std::future::pending(),
        )
        .await;
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        let mut hours: u64 = 0;
        loop {
            tick.tick().await;
            // Incubator checklists: time-based items (recent commits, response times)
            // change without pushes, so they are re-evaluated every few hours.
            if hours.is_multiple_of(CHECKLIST_EVERY_HOURS) {
                jobs.started(Job::Checklists, hatchery_store::now_ms());
                let failure = match forge_state
                    .forge
                    .evaluate_all_projects(hatchery_store::now_ms())
                    .await
                {
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(projects = n, "incubator checklists evaluated");
                        }
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "evaluating incubator checklists failed");
                        Some(format!("evaluating incubator checklists failed: {e}"))
                    }
                };
                let now = hatchery_store::now_ms();
                let every = i64::try_from(CHECKLIST_EVERY_HOURS).unwrap_or(6) * HOUR_MS;
                jobs.finished(Job::Checklists, now, failure, Some(now + every));
            }
            hours += 1;
            jobs.started(Job::Upkeep, hatchery_store::now_ms());
            let mut failures = Vec::new();
            if let Err(e) = sessions.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions failed");
                failures.push(format!("deleting expired sessions failed: {e}"));
            }
            let before = hatchery_store::now_ms() - window_ms;
            if let Err(e) = store.throttle_prune(before).await {
                tracing::warn!(error = %e, "pruning sign-in counters failed");
                failures.push(format!("pruning sign-in counters failed: {e}"));
            }
            // Crash leftovers: quarantines of pushes killed mid-way and half-built
            // repositories, once older than the longest push allowed.
            let upkeep = forge_state.clone();
            let age = forge_state.cfg.max_push;
            match tokio::task::spawn_blocking(move || {
                upkeep.forge.remove_crash_leftovers_blocking(age)
            })
            .await
            {
                Ok(done) if done != hatchery_service::maintenance::Leftovers::default() => {
                    tracing::info!(
                        quarantines = done.quarantines,
                        trash = done.trash,
                        "removed crash leftovers"
                    )
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "removing crash leftovers panicked");
                    failures.push(format!("removing crash leftovers failed: {e}"));
                }
            }
            let now = hatchery_store::now_ms();
            let failure = (!failures.is_empty()).then(|| failures.join("; "));
            jobs.finished(Job::Upkeep, now, failure, Some(now + HOUR_MS));
        }
    })
}
