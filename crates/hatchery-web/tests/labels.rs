//! Labels and milestones in the web interface: the lists, the writers' forms, default
//! labels, validation, and who may see and change what — through the real router, on every
//! backend.

mod support;

use axum::http::StatusCode;
use hatchery_core::issues::CloseReason;
use hatchery_store::{Label, NewIssue, Repo};
use support::TestApp;

/// A site administrator first (so nobody in the test is one), then `owner` signed in on
/// the returned client with a public repository `owner/name`.
async fn with_repo(app: &mut TestApp, owner: &str, name: &str) -> Repo {
    app.new_client().sign_up("site-admin").await;
    app.sign_up(owner).await;
    create_repo(app, owner, name, &[]).await
}

async fn create_repo(app: &mut TestApp, owner: &str, name: &str, extra: &[(&str, &str)]) -> Repo {
    let mut fields = vec![("owner", owner), ("name", name)];
    fields.extend_from_slice(extra);
    let r = app.post_form("/repo/create", &fields).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "[{}] {}",
        app.label(),
        r.body
    );
    app.store
        .store()
        .repo_by_name(owner, name)
        .await
        .expect("repo_by_name")
        .expect("created")
}

async fn labels_of(app: &TestApp, repo: &Repo) -> Vec<Label> {
    app.store
        .store()
        .labels(repo.id)
        .await
        .expect("labels")
        .into_iter()
        .map(|u| u.label)
        .collect()
}

#[track_caller]
fn assert_status(app: &TestApp, r: &support::Resp, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "[{}] {what}: {}", app.label(), r.body);
}

#[tokio::test]
async fn writers_create_edit_and_delete_labels() {
    for mut app in TestApp::all().await {
        let repo = with_repo(&mut app, "ana", "proj").await;
        let page = app.get("/ana/proj/labels").await;
        assert_status(&app, &page, StatusCode::OK, "labels page");
        page.assert_contains("id=\"issues-subnav\"");
        page.assert_contains("href=\"/ana/proj/milestones\"");
        page.assert_contains("id=\"label-create-form\"");
        page.assert_contains("type=\"color\"");
        page.assert_contains("id=\"label-defaults-form\"");
        page.assert_contains("Add the default labels");

        let r = app
            .post_form(
                "/ana/proj/labels",
                &[
                    ("name", "  Needs review "),
                    ("color", "#D73A4A"),
                    ("color_picker", "#000000"),
                    ("description", "Someone should look"),
                ],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "create label");
        assert_eq!(r.location(), "/ana/proj/labels");
        let labels = labels_of(&app, &repo).await;
        assert_eq!(labels.len(), 1);
        let label = &labels[0];
        assert_eq!(
            (label.name.as_str(), label.color.as_str()),
            ("Needs review", "#d73a4a")
        );
        let page = app.get("/ana/proj/labels").await;
        page.assert_contains("The label has been created.");
        page.assert_contains("background-color:#d73a4a");
        page.assert_contains("Someone should look");
        page.assert_contains(">1 label<");
        page.assert_contains("0 open issues");
        page.assert_contains(&format!("href=\"/ana/proj/issues?labels={}\"", label.id));
        page.assert_contains(&format!("id=\"label-edit-form-{}\"", label.id));
        assert!(
            !page.body.contains("label-defaults-form"),
            "only for a repo without labels"
        );

        // Issues carrying it are counted.
        let user = app
            .store
            .store()
            .user_by_name("ana")
            .await
            .unwrap()
            .unwrap();
        app.store
            .store()
            .create_issue(NewIssue {
                repo_id: repo.id,
                author_id: user.id,
                title: "Look at this",
                body: "",
                label_ids: &[label.id],
                milestone_id: None,
                assignee_ids: &[],
            })
            .await
            .expect("issue");
        app.get("/ana/proj/labels")
            .await
            .assert_contains("1 open issue<");

        // With an empty text colour, the picker's colour is taken.
        let edit = format!("/ana/proj/labels/{}/edit", label.id);
        let r = app
            .post_form(
                &edit,
                &[
                    ("name", "review"),
                    ("color", ""),
                    ("color_picker", "#00FF00"),
                    ("description", ""),
                ],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "edit label");
        let labels = labels_of(&app, &repo).await;
        assert_eq!(
            (
                labels[0].name.as_str(),
                labels[0].color.as_str(),
                labels[0].description.as_str()
            ),
            ("review", "#00ff00", "")
        );
        app.get("/ana/proj/labels")
            .await
            .assert_contains("The label has been saved.");

        let r = app
            .post_form(&format!("/ana/proj/labels/{}/delete", label.id), &[])
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "delete label");
        assert!(labels_of(&app, &repo).await.is_empty());
        let page = app.get("/ana/proj/labels").await;
        page.assert_contains("The label has been deleted.");
        page.assert_contains("This repository has no labels yet.");
        // Gone: a second delete is a 404.
        let r = app
            .post_form(&format!("/ana/proj/labels/{}/delete", label.id), &[])
            .await;
        assert_status(&app, &r, StatusCode::NOT_FOUND, "delete again");
    }
}

#[tokio::test]
async fn default_labels_from_the_button_and_at_creation() {
    for mut app in TestApp::all().await {
        let repo = with_repo(&mut app, "bo", "proj").await;
        let r = app.post_form("/bo/proj/labels/defaults", &[]).await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "defaults");
        let labels = labels_of(&app, &repo).await;
        assert_eq!(labels.len(), 9);
        let page = app.get("/bo/proj/labels").await;
        page.assert_contains("The default labels have been added.");
        page.assert_contains("good first issue");
        page.assert_contains("Good for newcomers");
        page.assert_contains("9 labels");
        // Twice adds nothing.
        app.post_form("/bo/proj/labels/defaults", &[]).await;
        assert_eq!(labels_of(&app, &repo).await.len(), 9);

        // The creation form offers them, checked.
        let form = app.get("/repo/create").await;
        form.assert_contains("name=\"default_labels\" value=\"on\" checked");
        form.assert_contains("Add default labels");
        let with = create_repo(&mut app, "bo", "with", &[("default_labels", "on")]).await;
        let labels = labels_of(&app, &with).await;
        assert_eq!(labels.len(), 9);
        assert!(
            labels
                .iter()
                .any(|l| l.name == "help wanted" && l.color == "#008672")
        );
        let without = create_repo(&mut app, "bo", "without", &[]).await;
        assert!(labels_of(&app, &without).await.is_empty());

        // Descriptions come in the creator's language; names stay English.
        let mut zh = app.new_client();
        zh.set_cookie("hatchery_lang", "zh-CN");
        zh.sign_up("chen").await;
        let repo = create_repo(&mut zh, "chen", "xiangmu", &[("default_labels", "on")]).await;
        let labels = labels_of(&zh, &repo).await;
        let gfi = labels
            .iter()
            .find(|l| l.name == "good first issue")
            .expect("good first issue");
        assert_eq!(gfi.description, "适合新贡献者");
        let page = zh.get("/chen/xiangmu/labels").await;
        page.assert_contains("9 个标签");
        page.assert_contains("里程碑");
    }
}

#[tokio::test]
async fn refused_forms_say_why_with_422() {
    for mut app in TestApp::all().await {
        let repo = with_repo(&mut app, "cai", "proj").await;
        app.post_form("/cai/proj/labels", &[("name", "bug"), ("color", "#d73a4a")])
            .await;
        let long = "x".repeat(51);
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("name", "   "), ("color", "#d73a4a")],
                "This field is required.",
            ),
            (
                &[("name", &long), ("color", "#d73a4a")],
                "Use at most 50 characters.",
            ),
            (
                &[("name", "ok"), ("color", "#12")],
                "Enter a colour as # followed by six hexadecimal digits",
            ),
            (
                &[("name", "ok"), ("color", ""), ("color_picker", "")],
                "Enter a colour as # followed by six hexadecimal digits",
            ),
            (
                &[("name", "BUG"), ("color", "#000000")],
                "This repository already has a label with that name.",
            ),
        ];
        for (fields, message) in cases {
            let r = app.post_form("/cai/proj/labels", fields).await;
            assert_status(&app, &r, StatusCode::UNPROCESSABLE_ENTITY, message);
            r.assert_contains(message);
            r.assert_contains("id=\"label-create-form\"");
            r.assert_contains("role=\"alert\"");
        }
        // What was typed is kept.
        let r = app
            .post_form(
                "/cai/proj/labels",
                &[("name", "kept name"), ("color", "#12")],
            )
            .await;
        r.assert_contains("value=\"kept name\"");
        r.assert_contains("value=\"#12\"");
        assert_eq!(labels_of(&app, &repo).await.len(), 1);

        // An edit that collides is shown open, next to its label.
        app.post_form(
            "/cai/proj/labels",
            &[("name", "docs"), ("color", "#0075ca")],
        )
        .await;
        let docs = labels_of(&app, &repo)
            .await
            .into_iter()
            .find(|l| l.name == "docs")
            .unwrap();
        let r = app
            .post_form(
                &format!("/cai/proj/labels/{}/edit", docs.id),
                &[("name", "Bug"), ("color", "#0075ca")],
            )
            .await;
        assert_status(
            &app,
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "edit to a taken name",
        );
        r.assert_contains("This repository already has a label with that name.");
        r.assert_contains("<details class=\"label-edit\" open>");
        r.assert_contains(&format!("id=\"label-{}-name-error\"", docs.id));

        // Milestones: empty title, impossible dates, taken titles.
        let r = app
            .post_form(
                "/cai/proj/milestones/new",
                &[("title", "v1"), ("due_on", "")],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "milestone");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("title", ""), ("due_on", "")], "This field is required."),
            (
                &[("title", "v2"), ("due_on", "2025-02-30")],
                "Enter a real date, such as 2025-12-31.",
            ),
            (
                &[("title", "v2"), ("due_on", "next week")],
                "Enter a real date, such as 2025-12-31.",
            ),
            (
                &[("title", "V1"), ("due_on", "")],
                "This repository already has a milestone with that title.",
            ),
        ];
        for (fields, message) in cases {
            let r = app.post_form("/cai/proj/milestones/new", fields).await;
            assert_status(&app, &r, StatusCode::UNPROCESSABLE_ENTITY, message);
            r.assert_contains(message);
            r.assert_contains("id=\"milestone-form\"");
        }
        let r = app
            .post_form(
                "/cai/proj/milestones/new",
                &[("title", "v2"), ("due_on", "2025-02-30")],
            )
            .await;
        r.assert_contains("value=\"2025-02-30\"");
        let ms = app.store.store().milestones(repo.id).await.unwrap();
        assert_eq!(ms.len(), 1);
        let r = app
            .post_form(
                &format!("/cai/proj/milestones/{}/edit", ms[0].id),
                &[("title", "v1"), ("due_on", "2025-13-01")],
            )
            .await;
        assert_status(
            &app,
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "edit with a bad date",
        );
        r.assert_contains("Enter a real date");
    }
}

#[tokio::test]
async fn writers_manage_milestones_and_everyone_sees_progress() {
    for mut app in TestApp::all().await {
        let repo = with_repo(&mut app, "dan", "proj").await;
        let page = app.get("/dan/proj/milestones").await;
        assert_status(&app, &page, StatusCode::OK, "milestones page");
        page.assert_contains("There are no open milestones.");
        page.assert_contains("href=\"/dan/proj/milestones/new\"");
        let form = app.get("/dan/proj/milestones/new").await;
        assert_status(&app, &form, StatusCode::OK, "new milestone form");
        form.assert_contains("type=\"date\"");

        let r = app
            .post_form(
                "/dan/proj/milestones/new",
                &[
                    ("title", "Version 1.0"),
                    (
                        "description",
                        "The **first** release. [notes](docs/notes.md)",
                    ),
                    ("due_on", "2099-01-31"),
                ],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "create milestone");
        assert_eq!(r.location(), "/dan/proj/milestones");
        let ms = app.store.store().milestones(repo.id).await.unwrap();
        let v1 = ms[0].clone();
        assert_eq!(v1.due_at, Some(4_073_500_800_000), "2099-01-31 00:00 UTC");
        app.post_form(
            "/dan/proj/milestones/new",
            &[("title", "Old one"), ("due_on", "2001-01-01")],
        )
        .await;

        // Two issues open, one closed in the first.
        let user = app
            .store
            .store()
            .user_by_name("dan")
            .await
            .unwrap()
            .unwrap();
        let mut ids = vec![];
        for title in ["a", "b", "c", "d"] {
            let issue = app
                .store
                .store()
                .create_issue(NewIssue {
                    repo_id: repo.id,
                    author_id: user.id,
                    title,
                    body: "",
                    label_ids: &[],
                    milestone_id: Some(v1.id),
                    assignee_ids: &[],
                })
                .await
                .expect("issue");
            ids.push(issue.id);
        }
        app.store
            .store()
            .set_issue_state(ids[0], Some(user.id), Some(CloseReason::Completed), None)
            .await
            .expect("close");

        let mut anonymous = app.new_client();
        for client in [&mut app, &mut anonymous] {
            let page = client.get("/dan/proj/milestones").await;
            assert_eq!(page.status, StatusCode::OK);
            page.assert_contains("Version 1.0");
            page.assert_contains("2 open");
            page.assert_contains("<strong>first</strong>");
            assert!(
                !page.body.contains("docs/notes.md\""),
                "relative links are dropped"
            );
            page.assert_contains("Due by 2099-01-31");
            page.assert_contains("Past due: 2001-01-01");
            page.assert_contains("<progress max=\"100\" value=\"25\"");
            page.assert_contains("25% complete");
            page.assert_contains("3 open");
            page.assert_contains("1 closed");
            page.assert_contains(&format!(
                "href=\"/dan/proj/issues?milestone={}&amp;state=open\"",
                v1.id
            ));
            page.assert_contains(&format!(
                "href=\"/dan/proj/issues?milestone={}&amp;state=closed\"",
                v1.id
            ));
        }
        let page = anonymous.get("/dan/proj/milestones").await;
        assert!(!page.body.contains("milestone-new"));
        assert!(!page.body.contains("/close\""));

        // Edit: the form shows the stored values; the due date can be removed.
        let edit = format!("/dan/proj/milestones/{}/edit", v1.id);
        let form = app.get(&edit).await;
        assert_status(&app, &form, StatusCode::OK, "edit form");
        form.assert_contains("value=\"2099-01-31\"");
        form.assert_contains("value=\"Version 1.0\"");
        let r = app
            .post_form(
                &edit,
                &[
                    ("title", "Version 1.1"),
                    ("description", ""),
                    ("due_on", ""),
                ],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "edit milestone");
        let page = app.get("/dan/proj/milestones").await;
        page.assert_contains("The milestone has been saved.");
        page.assert_contains("Version 1.1");
        page.assert_contains("No due date");

        // Close, then it is on the closed tab; reopen; delete.
        let r = app
            .post_form(&format!("/dan/proj/milestones/{}/close", v1.id), &[])
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "close");
        assert_eq!(r.location(), "/dan/proj/milestones");
        let open = app.get("/dan/proj/milestones").await;
        assert!(!open.body.contains("Version 1.1"));
        open.assert_contains("1 open");
        let closed = app.get("/dan/proj/milestones?state=closed").await;
        closed.assert_contains("Version 1.1");
        closed.assert_contains("Closed on ");
        closed.assert_contains(&format!("/dan/proj/milestones/{}/open", v1.id));
        let r = app
            .post_form(&format!("/dan/proj/milestones/{}/open", v1.id), &[])
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "reopen");
        assert_eq!(r.location(), "/dan/proj/milestones?state=closed");
        app.get("/dan/proj/milestones")
            .await
            .assert_contains("Version 1.1");
        let r = app
            .post_form(&format!("/dan/proj/milestones/{}/delete", v1.id), &[])
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "delete");
        let page = app.get("/dan/proj/milestones").await;
        page.assert_contains("The milestone has been deleted.");
        assert!(!page.body.contains("Version 1.1"));
        // Its issues lose it and stay.
        let issue = app
            .store
            .store()
            .issue_by_id(ids[1])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(issue.milestone_id, None);
    }
}

#[tokio::test]
async fn readers_see_no_forms_and_may_not_change_anything() {
    for mut app in TestApp::all().await {
        let repo = with_repo(&mut app, "eli", "proj").await;
        app.post_form("/eli/proj/labels/defaults", &[]).await;
        app.post_form("/eli/proj/milestones/new", &[("title", "M1")])
            .await;
        let label = labels_of(&app, &repo).await[0].clone();
        let milestone = app.store.store().milestones(repo.id).await.unwrap()[0].clone();
        let mut reader = app.new_client();
        reader.sign_up("fay").await;
        let r = app
            .post_form(
                "/eli/proj/settings/collaborators",
                &[("username", "fay"), ("level", "read")],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "add reader");
        let mut anonymous = app.new_client();

        for client in [&mut reader, &mut anonymous] {
            let page = client.get("/eli/proj/labels").await;
            assert_eq!(page.status, StatusCode::OK, "[{}]", app.label());
            page.assert_contains("good first issue");
            for form in [
                "label-create-form",
                "label-edit-form",
                "/delete\"",
                "label-defaults-form",
            ] {
                assert!(!page.body.contains(form), "{form} shown to a reader");
            }
            let page = client.get("/eli/proj/milestones").await;
            assert_eq!(page.status, StatusCode::OK);
            page.assert_contains("M1");
            for form in ["milestone-new", "/edit\"", "/close\"", "/delete\""] {
                assert!(!page.body.contains(form), "{form} shown to a reader");
            }
        }

        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                "/eli/proj/labels".into(),
                vec![("name", "x"), ("color", "#000000")],
            ),
            (
                format!("/eli/proj/labels/{}/edit", label.id),
                vec![("name", "x"), ("color", "#000000")],
            ),
            (format!("/eli/proj/labels/{}/delete", label.id), vec![]),
            ("/eli/proj/labels/defaults".into(), vec![]),
            ("/eli/proj/milestones/new".into(), vec![("title", "x")]),
            (
                format!("/eli/proj/milestones/{}/edit", milestone.id),
                vec![("title", "x")],
            ),
            (
                format!("/eli/proj/milestones/{}/close", milestone.id),
                vec![],
            ),
            (
                format!("/eli/proj/milestones/{}/open", milestone.id),
                vec![],
            ),
            (
                format!("/eli/proj/milestones/{}/delete", milestone.id),
                vec![],
            ),
        ];
        for (path, fields) in &posts {
            let r = reader.post_form(path, fields).await;
            assert_status(&app, &r, StatusCode::FORBIDDEN, path);
            let r = anonymous.post_form(path, fields).await;
            assert_status(&app, &r, StatusCode::SEE_OTHER, path);
            assert!(
                r.location().starts_with("/user/login"),
                "{path} → {}",
                r.location()
            );
        }
        for path in [
            "/eli/proj/milestones/new",
            &format!("/eli/proj/milestones/{}/edit", milestone.id),
        ] {
            assert_eq!(
                reader.get(path).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        assert_eq!(labels_of(&app, &repo).await.len(), 9);
        let ms = app.store.store().milestones(repo.id).await.unwrap();
        assert_eq!(
            (ms.len(), ms[0].title.as_str(), ms[0].is_closed),
            (1, "M1", false)
        );
    }
}

#[tokio::test]
async fn private_repositories_and_foreign_ids_are_404() {
    for mut app in TestApp::all().await {
        let public = with_repo(&mut app, "gil", "open").await;
        let secret = create_repo(
            &mut app,
            "gil",
            "secret",
            &[("private", "on"), ("default_labels", "on")],
        )
        .await;
        app.post_form("/gil/secret/milestones/new", &[("title", "hidden")])
            .await;
        let label = labels_of(&app, &secret).await[0].clone();
        let milestone = app.store.store().milestones(secret.id).await.unwrap()[0].clone();
        assert_eq!(app.get("/gil/secret/labels").await.status, StatusCode::OK);

        let mut stranger = app.new_client();
        stranger.sign_up("hal").await;
        let mut anonymous = app.new_client();
        for client in [&mut stranger, &mut anonymous] {
            for path in [
                "/gil/secret/labels",
                "/gil/secret/milestones",
                "/gil/secret/milestones?state=closed",
                "/gil/secret/milestones/new",
            ] {
                let hidden = client.get(path).await;
                let missing = client.get(&path.replace("secret", "nothing")).await;
                assert_eq!(
                    hidden.status,
                    StatusCode::NOT_FOUND,
                    "[{}] {path}",
                    app.label()
                );
                assert_eq!(missing.status, StatusCode::NOT_FOUND);
                assert_eq!(hidden.body.replace("secret", "nothing"), missing.body);
            }
            let r = client
                .post_form("/gil/secret/labels", &[("name", "x"), ("color", "#000000")])
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }

        // The owner's other repository does not reach the secret one's labels and milestones.
        let cases = [
            (
                format!("/gil/open/labels/{}/edit", label.id),
                vec![("name", "x"), ("color", "#000000")],
            ),
            (format!("/gil/open/labels/{}/delete", label.id), vec![]),
            (
                format!("/gil/open/milestones/{}/edit", milestone.id),
                vec![("title", "x")],
            ),
            (
                format!("/gil/open/milestones/{}/close", milestone.id),
                vec![],
            ),
            (
                format!("/gil/open/milestones/{}/delete", milestone.id),
                vec![],
            ),
            ("/gil/open/labels/nope/delete".to_owned(), vec![]),
            ("/gil/open/milestones/nope/close".to_owned(), vec![]),
        ];
        for (path, fields) in &cases {
            let r = app.post_form(path, fields).await;
            assert_status(&app, &r, StatusCode::NOT_FOUND, path);
        }
        let r = app
            .get(&format!("/gil/open/milestones/{}/edit", milestone.id))
            .await;
        assert_status(
            &app,
            &r,
            StatusCode::NOT_FOUND,
            "edit form of another repo's milestone",
        );
        assert_eq!(labels_of(&app, &secret).await.len(), 9);
        assert!(labels_of(&app, &public).await.is_empty());
        let ms = app.store.store().milestones(secret.id).await.unwrap();
        assert_eq!((ms[0].title.as_str(), ms[0].is_closed), ("hidden", false));
    }
}

#[tokio::test]
async fn names_and_descriptions_are_escaped() {
    for mut app in TestApp::all().await {
        with_repo(&mut app, "ivy", "proj").await;
        let r = app
            .post_form(
                "/ivy/proj/labels",
                &[
                    ("name", "<script>alert(1)</script>"),
                    ("color", "#ffffff"),
                    ("description", "\"><img src=x onerror=alert(2)>"),
                ],
            )
            .await;
        assert_status(&app, &r, StatusCode::SEE_OTHER, "label");
        app.post_form(
            "/ivy/proj/milestones/new",
            &[
                ("title", "<script>alert(3)</script>"),
                (
                    "description",
                    "<script>alert(4)</script><img src=x onerror=alert(5)>",
                ),
            ],
        )
        .await;
        let labels = app.get("/ivy/proj/labels").await;
        labels.assert_contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        let milestones = app.get("/ivy/proj/milestones").await;
        milestones.assert_contains("&lt;script&gt;alert(3)&lt;/script&gt;");
        for page in [&labels, &milestones] {
            for bad in ["<script>alert", "<img src=x", "onerror=\""] {
                assert!(
                    !page.body.contains(bad),
                    "[{}] {bad} in {}",
                    app.label(),
                    page.body
                );
            }
        }
    }
}
