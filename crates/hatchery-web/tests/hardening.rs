//! What an attacker tries, through the real router on every database backend: redirects
//! off the site after sign-in, pages framed by another site, NUL bytes and other invalid
//! input, lockouts of other people's accounts, sessions that outlive a password change,
//! and CSRF tokens carried over from another session.

mod support;

use axum::http::StatusCode;
use support::{PASSWORD, TestApp};

/// `next` values that browsers resolve to another site, or that hold control characters.
const EVIL_NEXT: &[&str] = &[
    "/\t/evil.com",
    "/\t\\evil.com",
    "/\t/\t/evil.com",
    "/\n/evil.com",
    "\\/evil.com",
    "//evil.com",
    "https://evil.com",
    "/\0x",
    "/\u{1}x",
    "/\u{b}x",
    "/\u{c}x",
];

#[tokio::test]
async fn sign_in_and_language_switch_never_redirect_off_site() {
    for mut app in TestApp::all().await {
        app.sign_up("rita").await;
        app.logout().await;
        for next in EVIL_NEXT {
            let mut c = app.new_client();
            let r = c
                .post_form(
                    "/user/login",
                    &[("login", "rita"), ("password", PASSWORD), ("next", next)],
                )
                .await;
            assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, "/"),
                "[{}] sign-in with next={next:?}",
                app.label()
            );
            let r = c
                .post_form("/language", &[("lang", "zh-CN"), ("next", next)])
                .await;
            assert_eq!(
                (r.status, r.location()),
                (StatusCode::SEE_OTHER, "/"),
                "[{}] language switch with next={next:?}",
                app.label()
            );
            // The sign-in form carries only the cleaned value.
            let encoded: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
            let mut visitor = app.new_client();
            let page = visitor.get(&format!("/user/login?next={encoded}")).await;
            assert_eq!(page.status, StatusCode::OK, "{next:?}");
            page.assert_contains("name=\"next\" value=\"/\"");
        }
        // A path on this site is kept, tabs dropped as a browser would.
        let mut c = app.new_client();
        let r = c
            .post_form(
                "/user/login",
                &[
                    ("login", "rita"),
                    ("password", PASSWORD),
                    ("next", "/user/\tsettings"),
                ],
            )
            .await;
        assert_eq!(r.location(), "/user/settings");
    }
}

#[tokio::test]
async fn every_html_answer_carries_the_security_headers() {
    for mut app in TestApp::all().await {
        app.sign_up("hugo").await;
        for path in [
            "/",
            "/api/swagger",
            "/api/healthz",
            "/swagger.v1.json",
            "/no/such/page",
            "/api/v1/version",
            "/hugo/none/info/refs?service=git-upload-pack",
        ] {
            let r = app.get(path).await;
            let csp = r
                .headers
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert!(
                csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
                "[{}] {path}: {csp:?}",
                app.label()
            );
            assert_eq!(
                r.headers
                    .get("x-frame-options")
                    .and_then(|v| v.to_str().ok()),
                Some("DENY"),
                "[{}] {path}",
                app.label()
            );
        }
    }
}

/// The places the attack found 500s: paths, search queries, sign-in form, issue bodies,
/// JSON bodies, Basic user names. Each is refused with a 400 that says why.
#[tokio::test]
async fn nul_bytes_are_refused_at_the_edge() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use base64::Engine;
    for mut app in TestApp::all().await {
        app.sign_up("nina").await;
        let r = app
            .post_form("/repo/create", &[("owner", "nina"), ("name", "r")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        for path in [
            "/a%00b",
            "/api/v1/users/a%00b",
            "/nina/r/issues?q=a%00b",
            "/issues?q=a%00b",
            "/api/v1/repos/issues/search?q=a%00b",
        ] {
            let r = app.get(path).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{}] {path}",
                app.label()
            );
            r.assert_contains("NUL byte");
        }
        // Broken UTF-8 is not refused: the query is decoded lossily and searched.
        let r = app.get("/nina/r/issues?q=%ff").await;
        assert_eq!(r.status, StatusCode::OK, "[{}] q=%ff", app.label());
        for (path, fields) in [
            ("/user/login", &[("login", "ni\0na"), ("password", "x")][..]),
            (
                "/nina/r/issues/new",
                &[("title", "t"), ("body", "a\0b")][..],
            ),
            ("/user/settings/tokens", &[("name", "t\0k")][..]),
        ] {
            let r = app.post_form(path, fields).await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{}] {path}",
                app.label()
            );
            r.assert_contains("NUL byte");
        }
        let basic = |user: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PASSWORD}"))
            )
        };
        let r = app
            .send(
                Request::post("/api/v1/user/repos")
                    .header(header::AUTHORIZATION, basic("nina"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"name":"x","description":"a\u0000b"}"#))
                    .expect("request"),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "[{}] {}",
            app.label(),
            r.body
        );
        r.assert_contains("NUL byte");
        for path in ["/nina/r/info/refs?service=git-upload-pack", "/api/v1/user"] {
            let r = app
                .send(
                    Request::get(path)
                        .header(header::AUTHORIZATION, basic("ni\0na"))
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "[{}] {path}",
                app.label()
            );
        }
    }
}

use support::from_addr as from;

/// A sign-in form POST from a client address.
async fn login_from(c: &mut TestApp, addr: &str, login: &str, password: &str) -> StatusCode {
    use axum::http::{Request, header};
    if c.cookie("hatchery_csrf").is_none() {
        c.get("/").await;
    }
    let token = c.cookie("hatchery_csrf").cloned().unwrap_or_default();
    let body = support::encode(&[("_csrf", &token), ("login", login), ("password", password)]);
    let req = Request::post("/user/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .expect("request");
    c.send(from(addr, req)).await.status
}

async fn api_from(c: &mut TestApp, addr: &str, authorization: &str) -> StatusCode {
    let req = axum::http::Request::get("/api/v1/user")
        .header(axum::http::header::AUTHORIZATION, authorization)
        .body(axum::body::Body::empty())
        .expect("request");
    c.send(from(addr, req)).await.status
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Five wrong passwords from an attacker's address used to lock the owner out everywhere.
/// Now the attacker's address is refused for that account; the owner, from their own
/// address, signs in (form, API Basic) and their token always works.
#[tokio::test]
async fn an_attacker_cannot_lock_the_owner_out() {
    for mut app in TestApp::all_with(|c| c.max_failed_logins = 3).await {
        app.sign_up("olga").await;
        let mut api = app.new_client();
        let r = api
            .send(
                axum::http::Request::post("/api/v1/users/olga/tokens")
                    .header(axum::http::header::AUTHORIZATION, basic("olga", PASSWORD))
                    .header(axum::http::header::CONTENT_TYPE, "application/json")
                    .body(axum::body::Body::from(r#"{"name":"ci","scopes":["all"]}"#))
                    .expect("request"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let token: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        let token = token["sha1"].as_str().unwrap_or_default().to_owned();

        // Name and email share one counter: 2 + 1 failures reach the limit of 3.
        let mut attacker = app.new_client();
        let evil = "203.0.113.9";
        assert_eq!(
            login_from(&mut attacker, evil, "olga", "guess 1").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            login_from(&mut attacker, evil, "OLGA", "guess 2").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            api_from(
                &mut attacker,
                evil,
                &basic("olga@example.edu.cn", "guess 3")
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        // The attacker's address is refused for this account on every door...
        assert_eq!(
            login_from(&mut attacker, evil, "olga@example.edu.cn", PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS,
            "[{}]",
            app.label()
        );
        assert_eq!(
            api_from(&mut attacker, evil, &basic("olga", PASSWORD)).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        let git = axum::http::Request::get("/olga/none/info/refs?service=git-upload-pack")
            .header(axum::http::header::AUTHORIZATION, basic("olga", "guess 4"))
            .body(axum::body::Body::empty())
            .expect("request");
        assert_eq!(
            attacker.send(from(evil, git)).await.status,
            StatusCode::TOO_MANY_REQUESTS
        );

        // ...while the owner, elsewhere, gets in (slowed down, not refused).
        let mut owner = app.new_client();
        let home = "198.51.100.7";
        assert_eq!(
            login_from(&mut owner, home, "olga", PASSWORD).await,
            StatusCode::SEE_OTHER,
            "[{}]",
            app.label()
        );
        assert_eq!(
            api_from(&mut owner, home, &basic("olga", PASSWORD)).await,
            StatusCode::OK
        );
        // Tokens are never throttled, not even from the attacker's address.
        assert_eq!(
            api_from(&mut attacker, evil, &format!("token {token}")).await,
            StatusCode::OK
        );
        assert_eq!(
            api_from(&mut attacker, evil, &basic("olga", &token)).await,
            StatusCode::OK
        );
        // Another account from the attacker's address is not affected.
        let mut other = app.new_client();
        other.sign_up("pia").await;
        other.logout().await;
        assert_eq!(
            login_from(&mut other, evil, "pia", PASSWORD).await,
            StatusCode::SEE_OTHER
        );
    }
}

/// A remembered Basic credential stops working the moment the password changes.
#[tokio::test]
async fn remembered_basic_credentials_end_with_a_password_change() {
    for mut app in TestApp::all().await {
        app.sign_up("quinn").await;
        let mut api = app.new_client();
        for _ in 0..2 {
            assert_eq!(
                api_from(&mut api, "192.0.2.1", &basic("quinn", PASSWORD)).await,
                StatusCode::OK
            );
        }
        let new_password = "a brand new password";
        let r = app
            .post_form(
                "/user/settings/password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", new_password),
                    ("new_password_confirm", new_password),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            api_from(&mut api, "192.0.2.1", &basic("quinn", PASSWORD)).await,
            StatusCode::UNAUTHORIZED,
            "[{}] the old password is not remembered",
            app.label()
        );
        assert_eq!(
            api_from(&mut api, "192.0.2.1", &basic("quinn", new_password)).await,
            StatusCode::OK
        );
    }
}

/// A display name with `<` and `>` used to make the initial commit fail with a 500 and
/// leave a repository directory without its row.
#[tokio::test]
async fn display_names_with_angle_brackets_make_clean_commits() {
    for mut app in TestApp::all().await {
        app.sign_up("sam").await;
        let r = app
            .post_form(
                "/user/settings",
                &[
                    ("display_name", "Sam <Ops>"),
                    ("email", "sam@example.edu.cn"),
                    ("language", "en"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "sam"), ("name", "tools"), ("init_readme", "on")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.label(),
            r.body
        );
        let log = std::process::Command::new("git")
            .args(["log", "-1", "--format=%an <%ae>"])
            .current_dir(app.repos_dir.path().join("sam/tools.git"))
            .output()
            .expect("git log");
        assert_eq!(
            String::from_utf8_lossy(&log.stdout).trim(),
            "Sam Ops <sam@example.edu.cn>"
        );
    }
}

/// Creation is all-or-nothing: when the disk side fails, neither a row nor a directory
/// (nor a half-built one aside) remains.
#[tokio::test]
async fn a_repository_that_cannot_be_created_leaves_nothing_behind() {
    for mut app in TestApp::all().await {
        app.sign_up("tess").await;
        // The owner's directory cannot be made: a file sits where it belongs.
        std::fs::write(app.repos_dir.path().join("tess"), b"in the way").expect("file");
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "tess"), ("name", "doomed"), ("init_readme", "on")],
            )
            .await;
        assert!(r.status.is_server_error(), "[{}] {}", app.label(), r.status);
        assert!(
            app.store
                .repo_by_name("tess", "doomed")
                .await
                .expect("store")
                .is_none(),
            "[{}] no row without its directory",
            app.label()
        );
        let trash = app.repos_dir.path().join(".trash");
        let leftovers: Vec<_> = std::fs::read_dir(&trash)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            leftovers.is_empty(),
            "[{}] half-built: {leftovers:?}",
            app.label()
        );
        // Once the way is clear the same name works.
        std::fs::remove_file(app.repos_dir.path().join("tess")).expect("remove");
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "tess"), ("name", "doomed"), ("init_readme", "on")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.label(),
            r.body
        );
        assert!(app.repos_dir.path().join("tess/doomed.git/HEAD").exists());
    }
}

/// Whether `c` is signed in: the settings page answers, instead of sending to sign-in.
async fn signed_in(c: &mut TestApp) -> bool {
    let r = c.get("/user/settings").await;
    match r.status {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER if r.location().starts_with("/user/login") => false,
        other => panic!("[{}] unexpected answer {other}: {}", c.label(), r.body),
    }
}

/// A password change ends every other session of the account; the session it was made
/// from goes on under a new id, and its next form works.
#[tokio::test]
async fn a_password_change_ends_every_other_session() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("sven").await;
        let mut laptop = app.new_client();
        assert_eq!(
            laptop.login("sven", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let mut bystander = app.new_client();
        bystander.sign_up("tove").await;
        assert!(signed_in(&mut laptop).await, "[{l}]");
        let before = app.cookie("hatchery_session").cloned();

        let new_password = "another long password";
        let r = app
            .post_form(
                "/user/settings/password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", new_password),
                    ("new_password_confirm", new_password),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);

        assert!(
            !signed_in(&mut laptop).await,
            "[{l}] the other session of the account ended"
        );
        assert!(signed_in(&mut app).await, "[{l}] this session goes on");
        assert_ne!(
            app.cookie("hatchery_session").cloned(),
            before,
            "[{l}] under a new id"
        );
        assert!(
            signed_in(&mut bystander).await,
            "[{l}] other accounts keep theirs"
        );
        let r = app
            .post_form(
                "/user/settings",
                &[("display_name", "Sven"), ("email", "sven@example.org")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{l}] next form: {}",
            r.body
        );
        let user = app.store.user_by_name("sven").await.unwrap().unwrap();
        assert_eq!(app.store.count_sessions(user.id).await.unwrap(), 1, "[{l}]");
    }
}

/// "Sign out everywhere" ends every session of the account, this one included; it takes a
/// CSRF token like every form.
#[tokio::test]
async fn signing_out_everywhere_ends_every_session() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        app.sign_up("ulla").await;
        let mut phone = app.new_client();
        assert_eq!(
            phone.login("ulla", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let mut bystander = app.new_client();
        bystander.sign_up("vera").await;

        let page = app.get("/user/settings").await;
        page.assert_contains("action=\"/user/settings/sessions/sign_out_all\"");
        let r = app
            .post_raw("/user/settings/sessions/sign_out_all", "")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] without a token");
        assert!(signed_in(&mut phone).await, "[{l}]");

        let r = app
            .post_form("/user/settings/sessions/sign_out_all", &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        assert_eq!(r.location(), "/", "[{l}]");
        assert!(!signed_in(&mut app).await, "[{l}] this session ended");
        assert!(!signed_in(&mut phone).await, "[{l}] the other one too");
        assert!(
            signed_in(&mut bystander).await,
            "[{l}] other accounts keep theirs"
        );
        let user = app.store.user_by_name("ulla").await.unwrap().unwrap();
        assert_eq!(app.store.count_sessions(user.id).await.unwrap(), 0, "[{l}]");

        // Signing in again works, and so does the next form.
        assert_eq!(
            app.login("ulla", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let r = app
            .post_form(
                "/user/settings",
                &[("display_name", "Ulla"), ("email", "ulla@example.org")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
    }
}

/// An attacker's own CSRF cookie and token (signed in or anonymous) used together with the
/// victim's session cookie are refused: the token is bound to the session.
#[tokio::test]
async fn csrf_tokens_from_another_session_are_refused() {
    for mut victim in TestApp::all().await {
        let l = victim.label().to_owned();
        victim.sign_up("wanda").await;
        let mut signed_in_attacker = victim.new_client();
        signed_in_attacker.sign_up("xerxes").await;
        signed_in_attacker.get("/").await;
        let mut anonymous_attacker = victim.new_client();
        anonymous_attacker.get("/user/login").await;

        let session = victim.cookie("hatchery_session").cloned().unwrap();
        for attacker in [&signed_in_attacker, &anonymous_attacker] {
            let csrf = attacker.cookie("hatchery_csrf").cloned().unwrap();
            let mut forged = victim.new_client();
            forged.set_cookie("hatchery_session", &session);
            forged.set_cookie("hatchery_csrf", &csrf);
            let body = support::encode(&[
                ("_csrf", &csrf),
                ("display_name", "Pwned"),
                ("email", "attacker@example.org"),
            ]);
            let r = forged.post_raw("/user/settings", &body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}] {}", r.body);
        }
        let wanda = victim.store.user_by_name("wanda").await.unwrap().unwrap();
        assert_ne!(wanda.display_name, "Pwned", "[{l}]");
        assert_ne!(wanda.email, "attacker@example.org", "[{l}]");

        // The victim's own pair works, right after signing in under a new session id.
        victim.logout().await;
        assert_eq!(
            victim.login("wanda", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let r = victim
            .post_form(
                "/user/settings",
                &[("display_name", "Wanda"), ("email", "wanda@example.org")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
    }
}

/// `git.max_push_secs` is enforced: a push still running then (here a client that stops
/// sending in the middle of its pack) is aborted with an error for the client, its
/// quarantine is removed and no ref moves.
#[tokio::test]
async fn a_push_that_takes_too_long_is_aborted() {
    use axum::body::{Body, Bytes};
    use axum::http::Request;
    for mut app in
        TestApp::all_with(|cfg| cfg.max_push = std::time::Duration::from_millis(300)).await
    {
        let l = app.label().to_owned();
        app.sign_up("yann").await;
        let r = support::api(
            &mut app,
            "POST",
            "/api/v1/user/repos",
            Some("yann"),
            Some(r#"{"name":"slow"}"#),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "[{l}] {}", r.body);

        let line = format!(
            "{} {} refs/heads/main\0report-status\n",
            "0".repeat(40),
            "1".repeat(40)
        );
        let mut first = format!("{:04x}{line}0000", line.len() + 4).into_bytes();
        // A pack header announcing one object, and then nothing more.
        first.extend_from_slice(b"PACK\0\0\0\x02\0\0\0\x01");
        let (mut tx, body) = http_body_util::channel::Channel::<Bytes, std::io::Error>::new(2);
        tx.send_data(Bytes::from(first)).await.unwrap();
        let req = Request::post("/yann/slow.git/git-receive-pack")
            .header("content-type", "application/x-git-receive-pack-request")
            .header("authorization", basic("yann", PASSWORD))
            .body(Body::new(body))
            .unwrap();
        let r = app.send(req).await;
        drop(tx);
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        r.assert_contains("unpack the push took longer than this server allows");
        r.assert_contains("ng refs/heads/main");

        let path = app.repos_dir.path().join("yann").join("slow.git");
        let left: Vec<_> = std::fs::read_dir(path.join("objects"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("incoming-"))
            .collect();
        assert!(left.is_empty(), "[{l}] quarantine removed: {left:?}");
        let git = hatchery_git::Repository::open(&path).unwrap();
        assert_eq!(
            git.find_ref("refs/heads/main").unwrap(),
            None,
            "[{l}] no ref moved"
        );
    }
}
