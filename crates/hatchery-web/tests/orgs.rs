//! Organizations, members and teams through the real router, on every backend.

mod support;

use axum::http::StatusCode;
use support::TestApp;

#[tokio::test]
async fn create_an_organization_and_become_its_owner() {
    for mut app in TestApp::all().await {
        app.sign_up("owner1").await;
        let form = app.get("/org/create").await;
        assert_eq!(form.status, StatusCode::OK);
        let r = app
            .post_form(
                "/org/create",
                &[
                    ("name", "Physics-Lab"),
                    ("display_name", "物理实验室"),
                    ("description", "Lab <b>code</b>"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            app.label(),
            r.body
        );
        assert_eq!(r.location(), "/Physics-Lab");
        let page = app.get("/physics-lab").await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains("物理实验室");
        page.assert_contains("The organization has been created");
        // Descriptions are escaped, never interpreted.
        page.assert_contains("Lab &lt;b&gt;code&lt;/b&gt;");
        page.assert_contains("/org/Physics-Lab/settings");
        let home = app.get("/").await;
        home.assert_contains("href=\"/Physics-Lab\"");
    }
}

#[tokio::test]
async fn organization_names_share_the_namespace_with_users() {
    for mut app in TestApp::all().await {
        app.sign_up("alice").await;
        app.post_form("/org/create", &[("name", "lab")]).await;
        let cases = [
            ("ALICE", StatusCode::CONFLICT, "already taken"),
            ("Lab", StatusCode::CONFLICT, "already taken"),
            ("explore", StatusCode::UNPROCESSABLE_ENTITY, "reserved"),
            ("", StatusCode::UNPROCESSABLE_ENTITY, "Please enter a name"),
            ("x/y", StatusCode::UNPROCESSABLE_ENTITY, "Use only letters"),
        ];
        for (name, status, msg) in cases {
            let r = app.post_form("/org/create", &[("name", name)]).await;
            assert_eq!(r.status, status, "[{}] {name}: {}", app.label(), r.body);
            r.assert_contains(msg);
        }
        let mut other = app.new_client();
        let r = other
            .post_form(
                "/user/sign_up",
                &[
                    ("username", "LAB"),
                    ("email", "lab@x.cn"),
                    ("password", support::PASSWORD),
                    ("password_confirm", support::PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "a user cannot take an org's name"
        );
    }
}

#[tokio::test]
async fn owners_manage_members_and_members_cannot() {
    for mut owner in TestApp::all().await {
        // The first account is a site administrator; keep that power out of this test.
        owner.new_client().sign_up("first").await;
        owner.sign_up("olga").await;
        let mut bob = owner.new_client();
        bob.sign_up("bob").await;
        owner.post_form("/org/create", &[("name", "acme")]).await;

        let r = owner
            .post_form(
                "/org/acme/members",
                &[("username", "nobody"), ("role", "member")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("There is no user with that name");
        let r = owner
            .post_form(
                "/org/acme/members",
                &[("username", "BOB"), ("role", "member")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            owner.label(),
            r.body
        );
        let page = owner.get("/org/acme/members").await;
        page.assert_contains("href=\"/bob\"");

        // A member sees the list but cannot change it.
        let page = bob.get("/org/acme/members").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("member-add-form"));
        let r = bob
            .post_form(
                "/org/acme/members",
                &[("username", "olga"), ("role", "member")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = bob.post_form("/org/acme/members/olga/remove", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            bob.get("/org/acme/settings").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            bob.post_form("/org/acme/delete", &[("confirm", "acme")])
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // The last owner can neither be demoted nor leave.
        let r = owner
            .post_form("/org/acme/members/olga/role", &[("role", "member")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        owner
            .get("/org/acme/members")
            .await
            .assert_contains("at least one owner");
        let r = owner.post_form("/org/acme/members/olga/remove", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        owner
            .get("/org/acme/members")
            .await
            .assert_contains("at least one owner");

        // Promote bob; then olga may leave.
        owner
            .post_form("/org/acme/members/bob/role", &[("role", "owner")])
            .await;
        let r = owner.post_form("/org/acme/members/olga/remove", &[]).await;
        assert_eq!(r.location(), "/");
        assert_eq!(
            owner.get("/org/acme/settings").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(bob.get("/org/acme/settings").await.status, StatusCode::OK);

        // An unknown role is refused with a clear status.
        let r = bob
            .post_form("/org/acme/members/bob/role", &[("role", "emperor")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn teams_with_levels_and_members() {
    for mut owner in TestApp::all().await {
        owner.new_client().sign_up("first").await;
        owner.sign_up("tom").await;
        let mut uma = owner.new_client();
        uma.sign_up("uma").await;
        let mut visitor = owner.new_client();
        owner.post_form("/org/create", &[("name", "inst")]).await;

        let r = owner
            .post_form(
                "/org/inst/teams/new",
                &[("name", "Core Devs"), ("permission", "write")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "team names are validated"
        );
        let r = owner
            .post_form(
                "/org/inst/teams/new",
                &[
                    ("name", "core"),
                    ("description", "Maintainers"),
                    ("permission", "write"),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "[{}] {}",
            owner.label(),
            r.body
        );
        assert_eq!(r.location(), "/org/inst/teams/core");
        let r = owner
            .post_form(
                "/org/inst/teams/new",
                &[("name", "CORE"), ("permission", "read")],
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = owner
            .post_form(
                "/org/inst/teams/new",
                &[("name", "x"), ("permission", "root")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("Unknown permission level");

        // Adding a non-member to a team makes them a member of the organization.
        let r = owner
            .post_form("/org/inst/teams/core/members", &[("username", "uma")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let team = owner.get("/org/inst/teams/core").await;
        team.assert_contains("href=\"/uma\"");
        team.assert_contains("Write");
        owner
            .get("/org/inst/members")
            .await
            .assert_contains("href=\"/uma\"");

        // Members see teams; outsiders do not.
        assert_eq!(uma.get("/org/inst/teams").await.status, StatusCode::OK);
        assert_eq!(
            uma.post_form(
                "/org/inst/teams/new",
                &[("name", "mine"), ("permission", "admin")]
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        let r = visitor.get("/org/inst/teams").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let mut stranger = owner.new_client();
        stranger.sign_up("sam").await;
        assert_eq!(
            stranger.get("/org/inst/teams").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            stranger.get("/org/inst/teams/core").await.status,
            StatusCode::FORBIDDEN
        );

        // Edit, remove member, delete.
        let r = owner
            .post_form(
                "/org/inst/teams/core/edit",
                &[("description", "Core maintainers"), ("permission", "admin")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        owner
            .get("/org/inst/teams/core")
            .await
            .assert_contains("Core maintainers");
        owner
            .post_form("/org/inst/teams/core/members/uma/remove", &[])
            .await;
        assert!(
            !owner
                .get("/org/inst/teams/core")
                .await
                .body
                .contains("href=\"/uma\"")
        );
        owner.post_form("/org/inst/teams/core/delete", &[]).await;
        assert_eq!(
            owner.get("/org/inst/teams/core").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            owner.get("/org/nope/teams").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn organization_settings_and_deletion_with_typed_confirmation() {
    for mut app in TestApp::all().await {
        app.sign_up("vera").await;
        app.post_form("/org/create", &[("name", "gone")]).await;
        let r = app
            .post_form(
                "/org/gone/settings",
                &[("display_name", "Gone Lab"), ("description", "d")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        app.get("/gone").await.assert_contains("Gone Lab");
        let r = app
            .post_form(
                "/org/gone/settings",
                &[("display_name", &"x".repeat(101)), ("description", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("Use at most 100 characters");

        let r = app
            .post_form("/org/gone/delete", &[("confirm", "wrong")])
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        r.assert_contains("does not match");
        assert_eq!(app.get("/gone").await.status, StatusCode::OK);
        let r = app
            .post_form("/org/gone/delete", &[("confirm", "gone")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(app.get("/gone").await.status, StatusCode::NOT_FOUND);
        // The name is free again.
        assert_eq!(
            app.post_form("/org/create", &[("name", "gone")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test]
async fn site_admin_may_manage_any_organization() {
    for mut admin in TestApp::all().await {
        admin.sign_up("root-admin").await; // first account: site admin
        let mut user = admin.new_client();
        user.sign_up("wen").await;
        user.post_form("/org/create", &[("name", "wens-lab")]).await;
        assert_eq!(
            admin.get("/org/wens-lab/settings").await.status,
            StatusCode::OK
        );
        assert_eq!(
            admin.get("/org/wens-lab/teams").await.status,
            StatusCode::OK
        );
    }
}
