//! End to end in a real browser: headless Chromium, driven over WebDriver (chromedriver)
//! with fantoccini, against the real server started in-process.
//!
//! The journey: sign up (the first account, which becomes site admin), see the
//! dashboard, create an organization, sign out and sign up a second person, sign the
//! first one back in, add the second one to the organization and to a new team, switch
//! the interface to Chinese with the footer selector and back to English, sign out. Then
//! the contribution flow: the second person forks a repository of the first, pushes a
//! branch to the fork with git, opens a pull request from the web; the first comments on
//! a line in a review, approves and merges it. Last, institutional sign-in: the admin adds
//! an OpenID Connect provider (a real one, `tests/oidc`) with a group mapped to a team, and
//! a new person signs in through it and lands in the team. Then the incubation cycle
//! (`browser/incubation.rs`): a program whose rules are changed with the template forms, a
//! proposal voted in, roster changes, a release vote, graduation through the board and a
//! retirement. A second test adds a security
//! key (Chromium's WebDriver virtual authenticator) and signs in with it as second factor.
//! Screenshots of the main steps go to `target/screenshots/`.
//!
//! It runs on SQLite, and a second time on PostgreSQL when `HATCHERY_TEST_PG_URL` is set.
//! When `/usr/bin/chromium` or `chromedriver` is missing it prints a `SKIPPED:` notice and
//! passes, unless `HATCHERY_TEST_REQUIRE_BROWSER=1` (CI sets it) makes that a failure.
//! Install them with `apt-get install chromium chromium-driver`.
//!
//! Every wait polls the page with a deadline; nothing sleeps for a fixed time.

#[path = "browser/incubation.rs"]
mod incubation;

use anyhow::{Context, Result, bail};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hatchery_web::i18n::Lang;
use std::fs::File;
use std::net::TcpListener as StdListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::sync::oneshot;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long any one condition (an element, a URL, a text) may take to appear.
const WAIT: Duration = Duration::from_secs(30);
/// How often a condition is checked while waiting.
const POLL: Duration = Duration::from_millis(100);
const PASSWORD: &str = "correct horse battery staple";
/// Set to `1` to make a missing browser a failure instead of a skip.
const REQUIRE_VAR: &str = "HATCHERY_TEST_REQUIRE_BROWSER";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_journey_sign_up_org_team_language_sign_out() {
    let Some(chromedriver) = find_tools() else {
        let require = std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1");
        assert!(
            !require,
            "{REQUIRE_VAR}=1 but {CHROMIUM} or chromedriver is not installed \
             (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED: chromium/chromedriver not installed; the browser end-to-end test did \
             not run. Install Debian's chromium and chromium-driver packages \
             ({CHROMIUM} and chromedriver on PATH) to run it."
        );
        return;
    };
    let started = Instant::now();
    let driver = ChromeDriver::start(&chromedriver)
        .await
        .expect("chromedriver starts");
    let shots = screenshot_dir();

    let mut backends = vec![Backend::Sqlite];
    if let Some(url) = hatchery_store::testing::pg_url() {
        backends.push(Backend::Postgres(url));
    }
    for backend in backends {
        let label = backend.label();
        let server = TestServer::start(backend)
            .await
            .unwrap_or_else(|e| panic!("[{label}] the server starts: {e:#}"));
        let browser = driver
            .session()
            .await
            .unwrap_or_else(|e| panic!("[{label}] a browser session starts: {e:#}"));
        // The institution's OpenID Connect provider, sending people back to this server.
        let provider = hatchery_testkit::oidc::OidcProvider::start(
            "hatchery",
            "client-s3cret",
            &[format!("{}/user/oauth2/1/callback", server.base)],
            r#"{"carol": {"preferred_username": "carol", "email": "carol@example.org",
                          "email_verified": true, "name": "Carol", "groups": ["staff"]}}"#,
        );
        let issuer = provider.issuer();
        let mut journey = Journey {
            client: &browser,
            base: &server.base,
            issuer: &issuer,
            label,
            shots: &shots,
            shot_no: 0,
        };
        let result = journey.run().await;
        if let Err(e) = &result {
            journey.report_failure(e).await;
        }
        // Close the session (and with it the browser) before judging; the driver guard
        // still cleans up should anything below panic.
        let _ = browser.close().await;
        server.stop().await;
        if let Err(e) = result {
            panic!("[{label}] browser journey failed: {e:#}");
        }
        eprintln!(
            "[{label}] browser journey passed; screenshots in {}",
            shots.display()
        );
    }
    eprintln!("browser test took {:.1}s", started.elapsed().as_secs_f64());
}

/// A security key as the second factor, in a real browser: Chromium's WebDriver virtual
/// authenticator (CTAP2 over USB, with user verification) plays the key, so app.js's
/// `navigator.credentials.create`/`get` and its base64url encoding meet the server's
/// ceremonies. The site is reached as `http://localhost:PORT`: WebAuthn needs a host name
/// and a secure context, which localhost is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_security_key_second_factor() {
    let Some(chromedriver) = find_tools() else {
        if std::env::var(REQUIRE_VAR).is_ok_and(|v| v == "1") {
            panic!("{REQUIRE_VAR}=1 but {CHROMIUM} or chromedriver is not installed");
        }
        eprintln!(
            "SKIPPED: chromium/chromedriver not installed; the security key browser test \
             did not run."
        );
        return;
    };
    let driver = ChromeDriver::start(&chromedriver)
        .await
        .expect("chromedriver starts");
    let shots = screenshot_dir();
    let mut backends = vec![Backend::Sqlite];
    if let Some(url) = hatchery_store::testing::pg_url() {
        backends.push(Backend::Postgres(url));
    }
    for backend in backends {
        let label = backend.label();
        let server = TestServer::start_at(backend, "localhost")
            .await
            .unwrap_or_else(|e| panic!("[{label}] the server starts: {e:#}"));
        let browser = driver
            .session()
            .await
            .unwrap_or_else(|e| panic!("[{label}] a browser session starts: {e:#}"));
        let mut journey = Journey {
            client: &browser,
            base: &server.base,
            issuer: "",
            label,
            shots: &shots,
            shot_no: 0,
        };
        let result = journey.security_key().await;
        if let Err(e) = &result {
            journey.report_failure(e).await;
        }
        let _ = browser.close().await;
        server.stop().await;
        if let Err(e) = result {
            panic!("[{label}] security key journey failed: {e:#}");
        }
    }
}

/// `POST /session/{id}/webauthn/authenticator` (WebAuthn Level 2, § 11.3).
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = serde_json::json!({
            "protocol": "ctap2",
            "transport": "usb",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// The steps, one person after another in the same browser.
struct Journey<'a> {
    client: &'a Client,
    /// `http://127.0.0.1:PORT` without the trailing slash.
    base: &'a str,
    /// The OpenID Connect provider's issuer URL.
    issuer: &'a str,
    label: &'static str,
    shots: &'a Path,
    shot_no: u32,
}

impl Journey<'_> {
    async fn run(&mut self) -> Result<()> {
        let en = Lang::En;
        let zh = Lang::ZhCn;
        let org = "physics-lab";
        let team = "maintainers";

        // --- The first account: sign up, land on the dashboard as site admin.
        self.client
            .goto(&format!("{}/", self.base))
            .await
            .context("opening the front page")?;
        self.wait_css("#nav-signup").await?.click().await?;
        self.wait_css("#signup-form").await?;
        self.fill("#f-username", "alice").await?;
        self.fill("#f-email", "alice@example.org").await?;
        self.fill("#f-password", PASSWORD).await?;
        self.fill("#f-password_confirm", PASSWORD).await?;
        self.click("#signup-submit").await?;
        self.wait_css("#admin-note")
            .await
            .context("the first account should see the dashboard as site admin")?;
        self.wait_text(".flash-success", en.t("flash.welcome_admin"))
            .await?;
        self.wait_text("h1", &en.tf("home.hello", &[("name", "alice")]))
            .await?;
        self.wait_text("h2", en.t("home.your_orgs")).await?;
        self.html_lang("en").await?;
        self.screenshot("dashboard").await?;

        // --- Create an organization from the navigation.
        self.click("#nav-new-org").await?;
        self.wait_css("#org-create-form").await?;
        self.fill("#f-name", org).await?;
        self.fill("#f-display_name", "Physics Lab").await?;
        self.fill(
            "#f-description",
            "Particles, waves and the people who study them.",
        )
        .await?;
        self.click("#org-create-submit").await?;
        self.wait_path(&format!("/{org}")).await?;
        self.wait_text(".flash-success", en.t("flash.org_created"))
            .await?;
        self.wait_text("h1", "Physics Lab").await?;
        self.screenshot("organization").await?;

        // --- Sign out; a second person signs up in the same browser, then signs out.
        self.sign_out().await?;
        self.click("#nav-signup").await?;
        self.wait_css("#signup-form").await?;
        self.fill("#f-username", "bob").await?;
        self.fill("#f-email", "bob@example.org").await?;
        self.fill("#f-password", PASSWORD).await?;
        self.fill("#f-password_confirm", PASSWORD).await?;
        self.click("#signup-submit").await?;
        self.wait_text(".flash-success", en.t("flash.welcome"))
            .await?;
        self.wait_text("#nav-profile", "bob").await?;
        if self.exists("#admin-note").await? {
            bail!("the second account must not be a site admin");
        }
        self.sign_out().await?;

        // --- The first person signs back in.
        self.click("#nav-login").await?;
        self.wait_css("#login-form").await?;
        self.fill("#f-login", "alice").await?;
        self.fill("#f-password", PASSWORD).await?;
        self.click("#login-submit").await?;
        self.wait_css("#admin-note").await?;
        self.wait_css(&format!("#dashboard-orgs a[href='/{org}']"))
            .await?
            .click()
            .await?;
        self.wait_path(&format!("/{org}")).await?;

        // --- Add bob as a member of the organization.
        self.click(&format!("nav.tabs a[href='/org/{org}/members']"))
            .await?;
        self.wait_css("#member-add-form").await?;
        self.fill("#member-add-form #f-username", "bob").await?;
        self.click("#member-add-submit").await?;
        self.wait_text(".flash-success", en.t("flash.member_added"))
            .await?;
        self.wait_css("#member-list a[href='/bob']").await?;

        // --- Create a team and add bob to it.
        self.click(&format!("nav.tabs a[href='/org/{org}/teams']"))
            .await?;
        self.click("#team-new").await?;
        self.wait_css("#team-create-form").await?;
        self.fill("#team-create-form #f-name", team).await?;
        self.fill("#team-create-form #f-description", "Review and merge")
            .await?;
        self.find("#team-create-form #f-permission")
            .await?
            .select_by_value("write")
            .await
            .context("choosing the write permission")?;
        self.click("#team-create-submit").await?;
        self.wait_path(&format!("/org/{org}/teams/{team}")).await?;
        self.wait_text(".flash-success", en.t("flash.team_created"))
            .await?;
        self.wait_text("h2", en.t("level.write")).await?;
        self.fill("#team-member-add-form #f-username", "bob")
            .await?;
        self.click("#team-member-add-submit").await?;
        self.wait_text(".flash-success", en.t("flash.member_added"))
            .await?;
        self.wait_css("#team-member-list a[href='/bob']").await?;
        self.screenshot("team").await?;

        // --- Switch to Chinese with the footer selector (it submits itself on change).
        self.find("#language-select")
            .await?
            .select_by_value(zh.tag())
            .await
            .context("choosing 简体中文 in the language selector")?;
        self.html_lang(zh.tag()).await?;
        // The switch returns to the page it was made on.
        self.wait_path(&format!("/org/{org}/teams/{team}")).await?;
        self.wait_text("#nav-logout", zh.t("nav.sign_out")).await?;
        self.wait_text("label[for='language-select']", zh.t("footer.language"))
            .await?;
        self.wait_text("#team-member-add-submit", zh.t("team.add_member_submit"))
            .await?;
        self.screenshot("team-zh").await?;
        self.click("a.brand").await?;
        self.wait_path("/").await?;
        self.html_lang(zh.tag()).await?;
        self.wait_text("h2", zh.t("home.your_orgs")).await?;
        self.wait_text("#admin-note", zh.t("home.you_are_admin"))
            .await?;
        self.wait_css(&format!("#dashboard-orgs a[href='/{org}']"))
            .await?;
        self.screenshot("dashboard-zh").await?;

        // --- And back to English.
        self.find("#language-select")
            .await?
            .select_by_value(en.tag())
            .await
            .context("choosing English in the language selector")?;
        self.html_lang(en.tag()).await?;
        self.wait_text("#nav-logout", en.t("nav.sign_out")).await?;
        self.wait_text("h2", en.t("home.your_orgs")).await?;

        // --- A repository of the organization, with the default labels, and an issue.
        self.click("#nav-new-repo").await?;
        self.wait_css("#repo-create-form").await?;
        self.find("#repo-create-form #f-owner")
            .await?
            .select_by_value(org)
            .await
            .context("choosing the organization as owner")?;
        self.fill("#repo-create-form #f-name", "detector").await?;
        self.click("#repo-create-submit").await?;
        self.wait_path(&format!("/{org}/detector")).await?;
        self.click(&format!("nav.tabs a[href='/{org}/detector/issues']"))
            .await?;
        self.wait_css("#no-issues").await?;
        self.click("#new-issue").await?;
        self.wait_css("#issue-new-form").await?;
        self.fill(
            "#issue-new-form #f-title",
            "Calibration drifts after an hour",
        )
        .await?;
        self.fill(
            "#issue-new-form #f-body",
            "Readings drift by **2 %**.\n\n@bob could you look?",
        )
        .await?;
        self.click("#issue-new-form input[name='labels'][value]")
            .await?;
        self.click("#issue-submit").await?;
        self.wait_path(&format!("/{org}/detector/issues/1")).await?;
        self.wait_text("#issue-title", "Calibration drifts after an hour")
            .await?;
        self.wait_css("#issue-body a[href='/bob']").await?;
        self.wait_css("#side-labels .label").await?;
        self.fill("#comment-form #f-body", "Reproduced with the spare sensor.")
            .await?;
        self.click("#comment-close").await?;
        self.wait_text(".state-closed", en.t("issue.state.closed"))
            .await?;
        self.wait_css(".event[data-kind='closed']").await?;
        self.screenshot("issue").await?;

        // --- Sign out.
        self.sign_out().await?;
        self.html_lang(en.tag()).await?;
        self.screenshot("signed-out").await?;

        self.contribute().await
    }

    /// The contribution flow: alice makes a repository, bob (who may only read it) forks
    /// it, pushes a branch to his fork with git and opens a pull request from the web;
    /// alice comments on a line in a review, approves and merges it.
    async fn contribute(&mut self) -> Result<()> {
        let en = Lang::En;
        self.sign_in("alice").await?;
        self.click("#nav-new-repo").await?;
        self.wait_css("#repo-create-form").await?;
        self.fill("#repo-create-form #f-name", "tool").await?;
        self.click("#repo-create-form #f-init_readme").await?;
        self.click("#repo-create-submit").await?;
        self.wait_path("/alice/tool").await?;
        self.sign_out().await?;

        // --- Bob forks it into his account.
        self.sign_in("bob").await?;
        self.client
            .goto(&format!("{}/alice/tool", self.base))
            .await
            .context("opening alice/tool")?;
        self.click("#fork-button").await?;
        self.wait_css("#fork-form").await?;
        self.click("#fork-submit").await?;
        self.wait_path("/bob/tool").await?;
        self.wait_css("#forked-from a[href='/alice/tool']").await?;
        self.screenshot("fork").await?;

        // --- He pushes a branch to his fork with the git client.
        push_branch(self.base, "bob", "tool", "feature").await?;

        // --- And opens a pull request into alice/tool from the web.
        self.client
            .goto(&format!("{}/alice/tool/pulls/new", self.base))
            .await
            .context("opening the new pull request page")?;
        self.wait_css("#pull-new-form").await?;
        self.find("#pull-new-form #f-head")
            .await?
            .select_by_value("bob:feature")
            .await
            .context("choosing bob:feature as the head")?;
        self.fill("#pull-new-form #f-title", "Document the tool")
            .await?;
        self.click("#pull-submit").await?;
        self.wait_path("/alice/tool/pulls/1").await?;
        self.wait_text("#issue-title", "Document the tool").await?;
        self.wait_text("#pull-head-label", "bob:feature").await?;
        self.screenshot("pull-request").await?;
        self.sign_out().await?;

        // --- Alice reviews: a comment on a line, into a review that approves.
        self.sign_in("alice").await?;
        self.client
            .goto(&format!("{}/alice/tool/pulls/1/files", self.base))
            .await
            .context("opening the files of the pull request")?;
        // The "+" shows when the pointer is over its line.
        let cell = self.wait_css("td:has(> a.line-comment)").await?;
        let hover = MouseActions::new("mouse".to_owned()).then(PointerAction::MoveToElement {
            element: cell,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        self.client
            .perform_actions(hover)
            .await
            .context("moving the pointer over the first changed line")?;
        self.click("a.line-comment").await?;
        self.wait_css("#line-comment-form").await?;
        self.fill("#f-line-body", "Nice wording.").await?;
        self.click("#line-comment-review").await?;
        self.wait_text("#review-pending-count", "1").await?;
        self.click("#review-box-toggle").await?;
        self.fill("#f-review-body", "Thanks, merging.").await?;
        self.click("#review-form input[name='event'][value='approve']")
            .await?;
        self.click("#review-submit").await?;
        self.wait_gone("#review-pending-count").await?;
        self.client
            .goto(&format!("{}/alice/tool/pulls/1", self.base))
            .await
            .context("opening the conversation")?;
        self.wait_text("body", en.t("review.timeline.approved"))
            .await?;
        self.wait_text("body", "Nice wording.").await?;
        self.screenshot("review").await?;

        // --- And merges it.
        self.wait_css("#merge-clean").await?;
        self.click("#merge-submit").await?;
        self.wait_css("#merge-merged").await?;
        self.wait_text(".state-merged", en.t("prweb.state.merged"))
            .await?;
        self.screenshot("merged").await?;
        self.client
            .goto(&format!("{}/alice/tool", self.base))
            .await
            .context("opening alice/tool after the merge")?;
        self.wait_text("body", "CONTRIBUTING.md").await?;
        self.sign_out().await?;
        self.institution().await
    }

    /// Institutional sign-in: alice adds the institution's OpenID Connect provider with
    /// its `staff` group mapped to the maintainers team; carol, who has no account yet,
    /// signs in with it, lands in that team and is signed in.
    async fn institution(&mut self) -> Result<()> {
        let en = Lang::En;
        self.sign_in("alice").await?;
        self.client
            .goto(&format!("{}/admin/auths/new?kind=oidc", self.base))
            .await
            .context("opening the new sign-in source form")?;
        self.fill("#f-name", "Campus ID").await?;
        self.fill("#f-issuer", self.issuer).await?;
        self.fill("#f-client_id", "hatchery").await?;
        self.fill("#f-client_secret", "client-s3cret").await?;
        self.fill("#f-scopes", "profile email groups").await?;
        self.fill("#f-mappings", "staff -> physics-lab/maintainers")
            .await?;
        self.click("#auth-source-submit").await?;
        self.wait_text(".flash-success", en.t("auth_source.saved"))
            .await?;
        self.sign_out().await?;

        self.click("#nav-login").await?;
        self.click("a[data-provider='Campus ID']").await?;
        // Through the provider (it signs carol in without a form) and back.
        self.wait_text("#nav-profile", "carol").await?;
        self.wait_text(".flash-success", en.t("flash.signed_in"))
            .await?;
        self.screenshot("oidc-signed-in").await?;
        self.client
            .goto(&format!("{}/org/physics-lab/teams/maintainers", self.base))
            .await
            .context("opening the maintainers team")?;
        self.wait_css("a[href='/carol']")
            .await
            .context("the groups claim should have made carol a maintainer")?;
        self.sign_out().await?;
        self.incubation().await
    }

    /// Signs up, adds a (virtual) security key, signs out, and signs in again with the
    /// password and the key.
    async fn security_key(&mut self) -> Result<()> {
        let en = Lang::En;
        self.client
            .issue_cmd(AddVirtualAuthenticator)
            .await
            .context("adding a virtual authenticator")?;
        self.client
            .goto(&format!("{}/user/sign_up", self.base))
            .await?;
        self.fill("#f-username", "kim").await?;
        self.fill("#f-email", "kim@example.org").await?;
        self.fill("#f-password", PASSWORD).await?;
        self.fill("#f-password_confirm", PASSWORD).await?;
        self.click("#signup-submit").await?;
        self.wait_text("#nav-profile", "kim").await?;
        self.client
            .goto(&format!("{}/user/settings/two_factor", self.base))
            .await?;
        // app.js shows the form once it finds WebAuthn in the browser.
        self.wait_css("#security-key-add:not([hidden])")
            .await
            .context("the add form should show with WebAuthn available")?;
        self.fill("#security-key-name", "Virtual key").await?;
        self.click("#security-key-add button[type=submit]").await?;
        self.wait_text(".flash-success", en.t("webauthn.added"))
            .await?;
        // The first second factor comes with recovery codes, shown once.
        self.wait_css("#recovery-codes").await?;
        self.click("a.btn[href='/user/settings/two_factor']")
            .await?;
        self.wait_text("#security-key-list", "Virtual key").await?;
        self.wait_text("#security-key-list", en.t("webauthn.never_used"))
            .await?;
        self.screenshot("security-key-added").await?;

        self.sign_out().await?;
        self.click("#nav-login").await?;
        self.fill("#f-login", "kim").await?;
        self.fill("#f-password", PASSWORD).await?;
        self.click("#login-submit").await?;
        self.wait_path("/user/two_factor").await?;
        self.wait_css("#security-key-sign-in:not([hidden])").await?;
        // No authenticator app: the code form is for recovery codes.
        self.wait_text("#main", en.t("webauthn.recovery_explain"))
            .await?;
        self.screenshot("security-key-prompt").await?;
        self.click("#security-key-use").await?;
        self.wait_text(".flash-success", en.t("flash.signed_in"))
            .await?;
        self.wait_text("#nav-profile", "kim").await?;
        self.client
            .goto(&format!("{}/user/settings/two_factor", self.base))
            .await?;
        self.wait_text("#security-key-list", "last used").await?;
        Ok(())
    }

    async fn wait_gone(&self, css: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        while self.exists(css).await? {
            if Instant::now() >= deadline {
                bail!("{css:?} still on {} after {WAIT:?}", self.url().await);
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    async fn sign_in(&mut self, name: &str) -> Result<()> {
        self.click("#nav-login").await?;
        self.wait_css("#login-form").await?;
        self.fill("#f-login", name).await?;
        self.fill("#f-password", PASSWORD).await?;
        self.click("#login-submit").await?;
        self.wait_text("#nav-profile", name).await
    }

    async fn sign_out(&mut self) -> Result<()> {
        self.click("#nav-logout").await?;
        self.wait_css("#nav-signup")
            .await
            .context("after signing out the sign-up link should show")?;
        self.wait_text(".flash-info", Lang::En.t("flash.signed_out"))
            .await?;
        if self.exists("#nav-logout").await? {
            bail!("still signed in after signing out");
        }
        Ok(())
    }

    async fn find(&self, css: &str) -> Result<Element> {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => Ok(element),
            Err(e) => {
                let url = self.url().await;
                Err(anyhow::Error::new(e).context(format!("no element {css:?} on {url}")))
            }
        }
    }

    async fn exists(&self, css: &str) -> Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// Waits until an element matching `css` is on the page.
    async fn wait_css(&self, css: &str) -> Result<Element> {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "waited {WAIT:?} for {css:?} on {}",
                self.url().await
            ))),
        }
    }

    /// Waits until some element matching `css` contains `text`.
    async fn wait_text(&self, css: &str, text: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            seen.clear();
            for element in self.client.find_all(Locator::Css(css)).await? {
                // An element can go stale when the page changes under us: poll again.
                if let Ok(t) = element.text().await {
                    if t.contains(text) {
                        return Ok(());
                    }
                    seen.push(t);
                }
            }
            if Instant::now() >= deadline {
                bail!(
                    "waited {WAIT:?} for {css:?} to contain {text:?} on {}; found {seen:?}",
                    self.url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the browser is at `path` on the site.
    async fn wait_path(&self, path: &str) -> Result<()> {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.client.current_url().await?;
            if url.path() == path {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("waited {WAIT:?} for the path {path:?}; the browser is at {url}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the document is `<html lang="...">`.
    async fn html_lang(&self, lang: &str) -> Result<()> {
        self.wait_css(&format!("html[lang='{lang}']"))
            .await
            .with_context(|| format!("the page should be in {lang}"))?;
        Ok(())
    }

    async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let input = self.wait_css(css).await?;
        input.clear().await?;
        input
            .send_keys(value)
            .await
            .with_context(|| format!("typing into {css:?}"))?;
        Ok(())
    }

    async fn click(&self, css: &str) -> Result<()> {
        let element = self.wait_css(css).await?;
        if let Err(e) = element.click().await {
            let url = self.url().await;
            return Err(anyhow::Error::new(e).context(format!("clicking {css:?} on {url}")));
        }
        Ok(())
    }

    async fn url(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(e) => format!("<unknown page: {e}>"),
        }
    }

    async fn screenshot(&mut self, name: &str) -> Result<PathBuf> {
        self.shot_no += 1;
        let path = self.shots.join(format!(
            "browser-{}-{:02}-{name}.png",
            self.label, self.shot_no
        ));
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
            bail!("the screenshot {name} is not a PNG");
        }
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// What the browser showed when a step failed: a screenshot, the URL and the page.
    async fn report_failure(&mut self, error: &anyhow::Error) {
        eprintln!("[{}] step failed: {error:#}", self.label);
        eprintln!("[{}] browser at {}", self.label, self.url().await);
        match self.screenshot("FAILED").await {
            Ok(path) => eprintln!("[{}] screenshot: {}", self.label, path.display()),
            Err(e) => eprintln!("[{}] no screenshot: {e:#}", self.label),
        }
        if let Ok(source) = self.client.source().await {
            let head: String = source.chars().take(4000).collect();
            eprintln!("[{}] page source (start):\n{head}", self.label);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The server under test.

enum Backend {
    Sqlite,
    /// `HATCHERY_TEST_PG_URL`: each run gets a fresh schema in it.
    Postgres(String),
}

impl Backend {
    fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// The real server, in this process, on 127.0.0.1 and a port of its own.
struct TestServer {
    base: String,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    // Dropped after the server has stopped: the PostgreSQL schema, the data directory.
    _pg: Option<hatchery_store::testing::TestStore>,
    _data: TempDir,
}

impl TestServer {
    async fn start(backend: Backend) -> Result<TestServer> {
        Self::start_at(backend, "127.0.0.1").await
    }

    /// The server on 127.0.0.1, reached (and its public URL) under `host`.
    async fn start_at(backend: Backend, host: &str) -> Result<TestServer> {
        let data = tempfile::Builder::new()
            .prefix("hatchery-browser-")
            .tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{host}:{}", addr.port());
        let mut env = vec![
            ("HATCHERY__DATA_DIR".to_owned(), path_str(data.path())?),
            ("HATCHERY__SERVER__LISTEN".to_owned(), addr.to_string()),
            (
                "HATCHERY__SERVER__PUBLIC_URL".to_owned(),
                format!("{base}/"),
            ),
        ];
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres(url) => {
                let store = hatchery_store::testing::postgres(&url).await;
                env.push(("HATCHERY__DATABASE__URL".to_owned(), store.url()));
                Some(store)
            }
        };
        let cfg = hatchery::config::Config::load_from(None, &env)?;
        let state = hatchery::server::prepare(&cfg).await?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(hatchery::server::run(state, listener, async move {
            let _ = stopped.await;
        }));
        Ok(TestServer {
            base,
            shutdown,
            task,
            _pg: pg,
            _data: data,
        })
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        match tokio::time::timeout(WAIT, self.task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => panic!("the server failed: {e:#}"),
            Ok(Err(e)) => panic!("the server task panicked: {e}"),
            Err(_) => panic!("the server did not stop within {WAIT:?}"),
        }
    }
}

/// Clones `owner/repo` over HTTP with the owner's password, commits a file on `branch` and
/// pushes it, with the git client found on PATH.
async fn push_branch(base: &str, owner: &str, repo: &str, branch: &str) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let work = dir.path().join("work");
    let address = base.trim_start_matches("http://");
    let remote = format!(
        "http://{owner}:{}@{address}/{owner}/{repo}.git",
        PASSWORD.replace(' ', "%20")
    );
    let git = |args: Vec<String>, cwd: PathBuf| async move {
        let out = tokio::process::Command::new("git")
            .args(&args)
            .current_dir(cwd)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .await
            .with_context(|| format!("running git {args:?}"))?;
        if !out.status.success() {
            bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok::<_, anyhow::Error>(())
    };
    let s = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let root = dir.path().to_path_buf();
    git(s(&["clone", "-q", &remote, "work"]), root).await?;
    git(s(&["checkout", "-q", "-b", branch]), work.clone()).await?;
    std::fs::write(work.join("CONTRIBUTING.md"), "Send pull requests.\n")?;
    git(s(&["add", "CONTRIBUTING.md"]), work.clone()).await?;
    git(
        s(&[
            "-c",
            "user.name=Bob",
            "-c",
            "user.email=bob@example.org",
            "commit",
            "-q",
            "-m",
            "Add CONTRIBUTING.md",
        ]),
        work.clone(),
    )
    .await?;
    git(s(&["push", "-q", "origin", branch]), work).await?;
    Ok(())
}

fn path_str(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_owned)
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

// ---------------------------------------------------------------------------------------
// chromedriver and Chromium.

/// chromedriver's path when both it and Chromium are installed.
fn find_tools() -> Option<PathBuf> {
    if !Path::new(CHROMIUM).is_file() {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file())
}

/// A running chromedriver with a scratch directory for browser profiles and its log.
struct ChromeDriver {
    // Declared first, so the processes are gone before their profiles are removed.
    process: DriverProcess,
    url: String,
    /// Parent of each session's fresh `--user-data-dir`, and chromedriver's log.
    scratch: TempDir,
    sessions: AtomicU32,
}

/// Dropping it (also while a test panics) kills chromedriver and every browser it started:
/// they share the process group chromedriver was started in.
struct DriverProcess {
    child: Child,
    reaped: bool,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        if self.reaped {
            return;
        }
        // The negative pid names the process group; the group still exists while its
        // leader is unreaped, so this cannot hit a recycled id.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reaped = true;
    }
}

impl ChromeDriver {
    async fn start(program: &Path) -> Result<ChromeDriver> {
        let scratch = tempfile::Builder::new()
            .prefix("hatchery-chromedriver-")
            .tempdir()?;
        let log_path = scratch.path().join("chromedriver.log");
        // A port can be taken between asking for a free one and chromedriver binding it.
        let mut last_error = anyhow::anyhow!("chromedriver did not start");
        for _ in 0..3 {
            let port = StdListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let log = File::create(&log_path)?;
            let child = Command::new(program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .process_group(0)
                .spawn()
                .with_context(|| format!("starting {}", program.display()))?;
            let mut process = DriverProcess {
                child,
                reaped: false,
            };
            let url = format!("http://127.0.0.1:{port}");
            match wait_ready(&mut process.child, &url).await {
                Ok(()) => {
                    return Ok(ChromeDriver {
                        process,
                        url,
                        scratch,
                        sessions: AtomicU32::new(0),
                    });
                }
                Err(e) => {
                    drop(process);
                    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                    last_error = e.context(format!("chromedriver's output:\n{log}"));
                }
            }
        }
        Err(last_error)
    }

    /// A new browser with a fresh, empty profile.
    async fn session(&self) -> Result<Client> {
        let n = self.sessions.fetch_add(1, Ordering::SeqCst);
        let profile = self.scratch.path().join(format!("profile-{n}"));
        std::fs::create_dir(&profile)?;
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--lang=en-US".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", path_str(&profile)?),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": args,
                "prefs": { "intl.accept_languages": "en-US,en" },
            }),
        );
        // Plain HTTP to chromedriver on loopback: no TLS connector needed.
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .with_context(|| {
                let log = std::fs::read_to_string(self.scratch.path().join("chromedriver.log"))
                    .unwrap_or_default();
                format!(
                    "opening a WebDriver session at {} (pid {}); chromedriver's output:\n{log}",
                    self.url,
                    self.process.child.id()
                )
            })
    }
}

/// Polls chromedriver's `/status` until it says it is ready.
async fn wait_ready(child: &mut Child, url: &str) -> Result<()> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("chromedriver exited at start ({status})");
        }
        if let Ok(response) = http.get(format!("{url}/status")).send().await
            && let Ok(body) = response.text().await
            && let Ok(json) = serde_json::from_str::<serde_json::Value>(&body)
            && json["value"]["ready"] == serde_json::Value::Bool(true)
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("chromedriver was not ready within {WAIT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `target/screenshots/` of the workspace, created when missing.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir.canonicalize().unwrap_or(dir)
}
