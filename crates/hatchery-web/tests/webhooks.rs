//! Webhook settings pages through the real router, on every backend: adding, editing,
//! testing and deleting hooks with forms (CSRF included), the delivery log and a
//! delivery's detail with redelivery, organization hooks, and who may see them.
//! (No delivery worker runs here: deliveries stay queued unless a test records one.)

mod support;

use axum::http::StatusCode;
use hatchery_store::{AttemptRecord, DeliveryStatus, HookOwner, Store, now_ms};
use support::TestApp;

async fn id_of(store: &Store, name: &str) -> i64 {
    store.user_by_name(name).await.unwrap().expect("user").id
}

/// Records a successful attempt of every queued delivery, as the worker would.
async fn deliver_all(store: &Store) {
    let claimed = store
        .claim_due_deliveries(now_ms(), 60_000, 100, "test-lease")
        .await
        .unwrap();
    for d in claimed {
        let record = AttemptRecord {
            status: DeliveryStatus::Delivered,
            next_attempt_at: now_ms(),
            attempted_at: now_ms(),
            request_url: d.hook.url.clone(),
            request_headers: "{\"X-Gitea-Event\":\"push\"}".into(),
            request_body: d.payload.clone(),
            response_status: Some(202),
            response_headers: Some("{\"content-type\":\"text/plain\"}".into()),
            response_body: Some("accepted-by-receiver".into()),
            error: None,
            duration_ms: 7,
        };
        assert!(
            store
                .finish_delivery(d.id, &d.lease_token, &record)
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn repository_hooks_are_managed_with_forms() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut sysop = app.new_client();
        sysop.sign_up("sysop").await;
        app.sign_up("ada").await;
        let r = app
            .post_form(
                "/repo/create",
                &[("owner", "ada"), ("name", "tool"), ("init_readme", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let store = app.store.store().clone();
        let repo = store.repo_by_name("ada", "tool").await.unwrap().unwrap();

        let settings = app.get("/ada/tool/settings").await;
        settings.assert_contains("href=\"/ada/tool/settings/hooks\"");
        let list = app.get("/ada/tool/settings/hooks").await;
        assert_eq!(list.status, StatusCode::OK, "[{l}]");
        list.assert_contains("id=\"hook-new-form\"");
        list.assert_contains("id=\"no-hooks\"");
        list.assert_contains("name=\"_csrf\"");

        // A loopback address is refused by the default policy; nothing is saved.
        let r = app
            .post_form(
                "/ada/tool/settings/hooks",
                &[
                    ("url", "http://127.0.0.1:9/hook"),
                    ("content_type", "json"),
                    ("events", "push"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("whose host this site allows");
        r.assert_contains("value=\"http://127.0.0.1:9/hook\"");
        assert!(
            store
                .webhooks_of(HookOwner::Repo(repo.id))
                .await
                .unwrap()
                .is_empty()
        );

        // Without the CSRF token: refused.
        let r = app
            .post_raw(
                "/ada/tool/settings/hooks",
                "url=https%3A%2F%2Fhooks.example.com%2F",
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");

        let r = app
            .post_form(
                "/ada/tool/settings/hooks",
                &[
                    ("url", "https://hooks.example.com/ci"),
                    ("content_type", "form"),
                    ("secret", "s3cret-value"),
                    ("events", "push"),
                    ("events", "issues"),
                    ("branch_filter", "{main,release/*}"),
                    ("authorization_header", "Bearer tok-value"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let hooks = store.webhooks_of(HookOwner::Repo(repo.id)).await.unwrap();
        assert_eq!(hooks.len(), 1, "[{l}]");
        let hook = &hooks[0];
        assert_eq!(
            r.location(),
            format!("/ada/tool/settings/hooks/{}", hook.id)
        );
        assert_eq!(hook.events, ["push", "issues"], "[{l}]");
        assert_eq!(hook.content_type, "form", "[{l}]");
        assert_eq!(hook.secret, "s3cret-value", "[{l}]");
        assert_eq!(hook.authorization_header, "Bearer tok-value", "[{l}]");
        assert_eq!(hook.branch_filter, "{main,release/*}", "[{l}]");
        assert!(hook.is_active, "[{l}]");
        let base = format!("/ada/tool/settings/hooks/{}", hook.id);

        let page = app.get(&base).await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        page.assert_contains("id=\"hook-edit-form\"");
        page.assert_contains("https://hooks.example.com/ci");
        assert!(
            !page.body.contains("s3cret-value") && !page.body.contains("tok-value"),
            "[{l}] secrets never shown"
        );
        let list = app.get("/ada/tool/settings/hooks").await;
        list.assert_contains("id=\"hook-list\"");
        list.assert_contains(&format!("href=\"{base}\""));

        // Editing: a bad branch filter is refused; blank secrets keep theirs.
        let r = app
            .post_form(
                &base,
                &[
                    ("url", "https://hooks.example.com/ci2"),
                    ("branch_filter", "{main"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "[{l}]");
        r.assert_contains("not a valid branch filter");
        let r = app
            .post_form(
                &base,
                &[
                    ("url", "https://hooks.example.com/ci2"),
                    ("content_type", "json"),
                    ("events", "*"),
                    ("secret", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let hook = store
            .webhook(HookOwner::Repo(repo.id), hook.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hook.url, "https://hooks.example.com/ci2", "[{l}]");
        assert_eq!(hook.events, ["*"], "[{l}]");
        assert_eq!(hook.secret, "s3cret-value", "[{l}]");
        assert_eq!(hook.authorization_header, "Bearer tok-value", "[{l}]");
        assert!(!hook.is_active, "[{l}] the unchecked box turns it off");

        // A test delivery is queued and shows in the log; once attempted, its details.
        let r = app.post_form(&format!("{base}/test"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let page = app.get(&base).await;
        page.assert_contains("id=\"delivery-log\"");
        page.assert_contains("<code>push</code>");
        page.assert_contains("pending");
        deliver_all(&store).await;
        let (log, _) = store.deliveries_of_hook(hook.id, 0, 10).await.unwrap();
        assert_eq!(log.len(), 1, "[{l}]");
        let page = app.get(&base).await;
        page.assert_contains("202");
        page.assert_contains("delivered");
        let detail = app.get(&format!("{base}/deliveries/{}", log[0].id)).await;
        assert_eq!(detail.status, StatusCode::OK, "[{l}]");
        detail.assert_contains(&log[0].uuid);
        detail.assert_contains("X-Gitea-Event: push");
        detail.assert_contains("accepted-by-receiver");
        detail.assert_contains("refs/heads/main");
        let r = app
            .post_form(&format!("{base}/deliveries/{}/redeliver", log[0].id), &[])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        let (log, _) = store.deliveries_of_hook(hook.id, 0, 10).await.unwrap();
        assert_eq!(log.len(), 2, "[{l}]");
        assert_eq!(log[0].redelivery_of, Some(log[1].id), "[{l}]");
        let missing = app.get(&format!("{base}/deliveries/999999")).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "[{l}]");
        // Ids that are not numbers name nothing: the site's 404, not a bare 400.
        for bad in [
            format!("{base}/deliveries/abc"),
            "/ada/tool/settings/hooks/abc".to_owned(),
            "/ada/tool/settings/hooks/99999999999999999999".to_owned(),
        ] {
            let r = app.get(&bad).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "[{l}] {bad}");
        }

        // Deleting.
        let r = app.post_form(&format!("{base}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            store
                .webhooks_of(HookOwner::Repo(repo.id))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(app.get(&base).await.status, StatusCode::NOT_FOUND, "[{l}]");
    }
}

#[tokio::test]
async fn only_administrators_see_repository_hooks() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut sysop = app.new_client();
        sysop.sign_up("sysop").await;
        app.sign_up("ada").await;
        app.post_form("/repo/create", &[("owner", "ada"), ("name", "open")])
            .await;
        app.post_form(
            "/repo/create",
            &[("owner", "ada"), ("name", "secret"), ("private", "on")],
        )
        .await;
        let r = app
            .post_form(
                "/ada/open/settings/hooks",
                &[("url", "https://hooks.example.com/x"), ("active", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let hook = r.location().to_owned();

        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        for path in ["/ada/open/settings/hooks", hook.as_str()] {
            assert_eq!(
                bob.get(path).await.status,
                StatusCode::FORBIDDEN,
                "[{l}] {path}"
            );
        }
        let r = bob
            .post_form(
                "/ada/open/settings/hooks",
                &[("url", "https://evil.example.com/")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = bob.post_form(&format!("{hook}/delete"), &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        assert_eq!(
            bob.get("/ada/secret/settings/hooks").await.status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        let mut anon = app.new_client();
        let r = anon.get("/ada/open/settings/hooks").await;
        assert_ne!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(
            anon.get("/ada/secret/settings/hooks").await.status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        // A hook id of another repository is not found here.
        let store = app.store.store().clone();
        let id = hook.rsplit('/').next().unwrap();
        app.post_form("/repo/create", &[("owner", "ada"), ("name", "other")])
            .await;
        assert_eq!(
            app.get(&format!("/ada/other/settings/hooks/{id}"))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "[{l}]"
        );
        let _ = id_of(&store, "bob").await;
    }
}

#[tokio::test]
async fn organization_hooks_are_for_owners() {
    for mut app in TestApp::all().await {
        let l = app.label().to_owned();
        let mut sysop = app.new_client();
        sysop.sign_up("sysop").await;
        app.sign_up("ada").await;
        let r = app.post_form("/org/create", &[("name", "acme")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let store = app.store.store().clone();
        let org = store.org_by_name("acme").await.unwrap().unwrap();

        app.get("/org/acme/settings")
            .await
            .assert_contains("href=\"/org/acme/settings/hooks\"");
        let list = app.get("/org/acme/settings/hooks").await;
        assert_eq!(list.status, StatusCode::OK, "[{l}]");
        list.assert_contains("value=\"repository\"");
        let r = app
            .post_form(
                "/org/acme/settings/hooks",
                &[
                    ("url", "https://hooks.example.com/org"),
                    ("events", "repository"),
                    ("events", "issues"),
                    ("active", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let hooks = store.webhooks_of(HookOwner::Org(org.id)).await.unwrap();
        assert_eq!(hooks.len(), 1, "[{l}]");
        assert_eq!(hooks[0].events, ["repository", "issues"], "[{l}]");
        let page = app.get(r.location()).await;
        assert_eq!(page.status, StatusCode::OK, "[{l}]");
        assert!(
            !page.body.contains("/test\""),
            "[{l}] no test button for organizations"
        );

        // A repository created in the organization queues a `repository` delivery.
        let r = app
            .post_form("/repo/create", &[("owner", "acme"), ("name", "lib")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}] {}", r.body);
        let (log, _) = store.deliveries_of_hook(hooks[0].id, 0, 10).await.unwrap();
        assert_eq!(log.len(), 1, "[{l}]");
        assert_eq!(log[0].event, "repository", "[{l}]");
        assert_eq!(log[0].action, "created", "[{l}]");
        let d = store
            .delivery(hooks[0].id, log[0].id)
            .await
            .unwrap()
            .unwrap();
        let payload: serde_json::Value = serde_json::from_str(&d.payload).unwrap();
        assert_eq!(payload["sender"]["login"], "ada", "[{l}]");
        assert_eq!(payload["repository"]["full_name"], "acme/lib", "[{l}]");

        // A member who is not an owner is refused.
        let mut bob = app.new_client();
        bob.sign_up("bob").await;
        let bob_id = id_of(&store, "bob").await;
        store
            .set_org_member(org.id, bob_id, hatchery_core::OrgRole::Member)
            .await
            .unwrap();
        assert_eq!(
            bob.get("/org/acme/settings/hooks").await.status,
            StatusCode::FORBIDDEN,
            "[{l}]"
        );
        let r = bob
            .post_form(
                "/org/acme/settings/hooks",
                &[("url", "https://evil.example.com/")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "[{l}]");
        let r = app
            .post_form(
                &format!("/org/acme/settings/hooks/{}/delete", hooks[0].id),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "[{l}]");
        assert!(
            store
                .webhooks_of(HookOwner::Org(org.id))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
