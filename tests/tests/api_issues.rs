//! The issue tracker over the REST API (Gitea's shapes): issues, comments, labels and
//! milestones, their filters and pagination, validation, scopes and permissions, on every
//! database.

mod apisupport;
mod gitsupport;

use apisupport::{ApiResponse, Auth, call, get, token};
use gitsupport::Server;
use hatchery_core::{AccessLevel, Actor};
use hatchery_store::testing::stores;
use serde_json::{Value, json};

const BASE: &str = "/api/v1/repos/ada/tracker";

async fn post(server: &Server, path: &str, auth: Auth<'_>, body: Value) -> ApiResponse {
    call(server, "POST", path, auth, Some(body)).await
}

async fn patch(server: &Server, path: &str, auth: Auth<'_>, body: Value) -> ApiResponse {
    call(server, "PATCH", path, auth, Some(body)).await
}

/// The issue numbers of a list answer, in order.
fn numbers(r: &ApiResponse) -> Vec<i64> {
    r.json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", r.text))
        .iter()
        .map(|i| i["number"].as_i64().expect("number"))
        .collect()
}

fn names(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[key].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_issue_life_cycle() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _admin = server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let carol = server.user("carol").await;
        let repo = server.repo(&ada, "tracker", false).await;
        server
            .state
            .store
            .set_collaborator(repo.id, carol.id, AccessLevel::Write)
            .await
            .expect("collaborator");
        let ada_t = token(&server, ada.id, "ada", &["write:issue"]).await;
        let bob_t = token(&server, bob.id, "bob", &["write:issue"]).await;
        let (ada_a, bob_a) = (Auth::Token(&ada_t), Auth::Token(&bob_t));

        // Labels: writers create them; the colour is Gitea's, without '#'.
        let bug = post(
            &server,
            &format!("{BASE}/labels"),
            ada_a,
            json!({"name": "bug", "color": "#D73A4A", "description": "Something is wrong"}),
        )
        .await;
        assert_eq!(bug.status, 201, "[{l}] {}", bug.text);
        assert_eq!(bug.json["color"], "d73a4a", "[{l}]");
        assert_eq!(bug.json["description"], "Something is wrong", "[{l}]");
        let bug_id = bug.json["id"].as_i64().expect("id");
        let docs = post(
            &server,
            &format!("{BASE}/labels"),
            ada_a,
            json!({"name": "docs", "color": "0075ca"}),
        )
        .await;
        assert_eq!(docs.status, 201, "[{l}] {}", docs.text);
        let docs_id = docs.json["id"].as_i64().expect("id");
        let bad = post(
            &server,
            &format!("{BASE}/labels"),
            ada_a,
            json!({"name": "x", "color": "blue"}),
        )
        .await;
        assert_eq!(bad.status, 422, "[{l}] {}", bad.text);
        let bad = post(
            &server,
            &format!("{BASE}/labels"),
            ada_a,
            json!({"name": "  ", "color": "#ffffff"}),
        )
        .await;
        assert_eq!(bad.status, 422, "[{l}] {}", bad.text);
        let taken = post(
            &server,
            &format!("{BASE}/labels"),
            ada_a,
            json!({"name": "BUG", "color": "#ffffff"}),
        )
        .await;
        assert_eq!(taken.status, 409, "[{l}] {}", taken.text);
        let refused = post(
            &server,
            &format!("{BASE}/labels"),
            bob_a,
            json!({"name": "mine", "color": "#ffffff"}),
        )
        .await;
        assert_eq!(refused.status, 403, "[{l}] {}", refused.text);
        let labels = get(&server, &format!("{BASE}/labels"), Auth::None).await;
        assert_eq!(labels.status, 200, "[{l}]");
        assert_eq!(names(&labels.json, "name"), ["bug", "docs"], "[{l}]");
        assert_eq!(labels.header("x-total-count"), "2", "[{l}]");
        let one = get(
            &server,
            &format!("{BASE}/labels?limit=1&page=2"),
            Auth::None,
        )
        .await;
        assert_eq!(names(&one.json, "name"), ["docs"], "[{l}]");

        // Milestones: the due date keeps its day; state filters the list.
        let v1 = post(
            &server,
            &format!("{BASE}/milestones"),
            ada_a,
            json!({"title": "v1", "description": "First", "due_on": "2026-12-01T10:00:00Z"}),
        )
        .await;
        assert_eq!(v1.status, 201, "[{l}] {}", v1.text);
        assert_eq!(v1.json["due_on"], "2026-12-01T00:00:00Z", "[{l}]");
        assert_eq!(v1.json["state"], "open", "[{l}]");
        let v1_id = v1.json["id"].as_i64().expect("id");
        let old = post(
            &server,
            &format!("{BASE}/milestones"),
            ada_a,
            json!({"title": "v0", "state": "closed"}),
        )
        .await;
        assert_eq!(old.status, 201, "[{l}] {}", old.text);
        assert_eq!(old.json["state"], "closed", "[{l}]");
        assert!(old.json["closed_at"].is_string(), "[{l}] {}", old.text);
        for body in [
            json!({"title": ""}),
            json!({"title": "v2", "due_on": "next week"}),
            json!({"title": "v2", "state": "done"}),
        ] {
            let bad = post(&server, &format!("{BASE}/milestones"), ada_a, body.clone()).await;
            assert_eq!(bad.status, 422, "[{l}] {body}: {}", bad.text);
        }
        let refused = post(
            &server,
            &format!("{BASE}/milestones"),
            bob_a,
            json!({"title": "b"}),
        )
        .await;
        assert_eq!(refused.status, 403, "[{l}] {}", refused.text);
        let list = get(&server, &format!("{BASE}/milestones"), Auth::None).await;
        assert_eq!(names(&list.json, "title"), ["v1"], "[{l}] {}", list.text);
        let list = get(&server, &format!("{BASE}/milestones?state=all"), Auth::None).await;
        assert_eq!(
            names(&list.json, "title"),
            ["v1", "v0"],
            "[{l}] {}",
            list.text
        );
        assert_eq!(list.header("x-total-count"), "2", "[{l}]");
        let list = get(
            &server,
            &format!("{BASE}/milestones?state=closed"),
            Auth::None,
        )
        .await;
        assert_eq!(names(&list.json, "title"), ["v0"], "[{l}] {}", list.text);

        // Issues: a triager sets labels, milestone and assignees; others' are ignored.
        let one = post(
            &server,
            &format!("{BASE}/issues"),
            ada_a,
            json!({
                "title": "Crash on start", "body": "It crashes when @bob runs it.",
                "labels": [bug_id], "milestone": v1_id, "assignees": ["carol"],
            }),
        )
        .await;
        assert_eq!(one.status, 201, "[{l}] {}", one.text);
        assert_eq!(one.json["number"], 1, "[{l}]");
        assert_eq!(one.json["user"]["login"], "ada", "[{l}]");
        assert_eq!(one.json["state"], "open", "[{l}]");
        assert_eq!(names(&one.json["labels"], "name"), ["bug"], "[{l}]");
        assert_eq!(one.json["milestone"]["title"], "v1", "[{l}]");
        assert_eq!(one.json["assignee"]["login"], "carol", "[{l}]");
        assert_eq!(names(&one.json["assignees"], "login"), ["carol"], "[{l}]");
        assert_eq!(one.json["repository"]["full_name"], "ada/tracker", "[{l}]");
        assert!(
            one.json["html_url"]
                .as_str()
                .unwrap_or("")
                .ends_with("/ada/tracker/issues/1"),
            "[{l}]"
        );
        let two = post(
            &server,
            &format!("{BASE}/issues"),
            ada_a,
            json!({
                "title": "Write docs", "body": "Document the frobnicator.", "labels": [docs_id],
            }),
        )
        .await;
        assert_eq!(two.status, 201, "[{l}] {}", two.text);
        let three = post(
            &server,
            &format!("{BASE}/issues"),
            bob_a,
            json!({
                "title": "A question", "body": "How?", "labels": [bug_id], "assignee": "carol",
            }),
        )
        .await;
        assert_eq!(three.status, 201, "[{l}] {}", three.text);
        assert_eq!(three.json["labels"], json!([]), "[{l}] {}", three.text);
        assert_eq!(three.json["assignees"], Value::Null, "[{l}] {}", three.text);
        let closed_at_birth = post(
            &server,
            &format!("{BASE}/issues"),
            ada_a,
            json!({"title": "Already done", "closed": true}),
        )
        .await;
        assert_eq!(
            closed_at_birth.status, 201,
            "[{l}] {}",
            closed_at_birth.text
        );
        assert_eq!(closed_at_birth.json["state"], "closed", "[{l}]");

        // Listing with each filter.
        let issues = format!("{BASE}/issues");
        let list = |query: &str| {
            let url = format!("{issues}?{query}");
            let server = &server;
            async move { get(server, &url, Auth::None).await }
        };
        let all_open = list("").await;
        assert_eq!(all_open.status, 200, "[{l}] {}", all_open.text);
        assert_eq!(numbers(&all_open), [3, 2, 1], "[{l}]");
        assert_eq!(all_open.header("x-total-count"), "3", "[{l}]");
        for (query, expected) in [
            ("state=closed", vec![4]),
            ("state=all", vec![4, 3, 2, 1]),
            ("labels=bug", vec![1]),
            ("labels=BUG", vec![1]),
            (format!("labels={docs_id}").as_str(), vec![2]),
            ("labels=bug,docs", vec![]),
            ("labels=nosuch", vec![]),
            ("milestones=v1", vec![1]),
            (format!("milestones={v1_id}").as_str(), vec![1]),
            ("milestones=nosuch", vec![]),
            ("milestones=v1,v0&state=all", vec![1]),
            ("assigned_by=carol", vec![1]),
            ("assignee=carol", vec![1]),
            ("created_by=bob", vec![3]),
            ("created_by=nobody-here", vec![]),
            ("mentioned_by=bob", vec![1]),
            ("q=frobnicator", vec![2]),
            ("q=crashes", vec![1]),
            ("q=nothing-like-this", vec![]),
            ("type=issues", vec![3, 2, 1]),
            ("type=pulls", vec![]),
        ] {
            let r = list(query).await;
            assert_eq!(r.status, 200, "[{l}] {query}: {}", r.text);
            assert_eq!(numbers(&r), expected, "[{l}] {query}");
            assert_eq!(
                r.header("x-total-count"),
                expected.len().to_string(),
                "[{l}] {query}"
            );
        }
        let bad = list("since=yesterday").await;
        assert_eq!(bad.status, 422, "[{l}] {}", bad.text);
        // A page far past the end is empty, not an overflow.
        let far = list("milestones=v1,v0&state=all&page=9223372036854775807").await;
        assert_eq!(far.status, 200, "[{l}] {}", far.text);
        assert_eq!(numbers(&far), Vec::<i64>::new(), "[{l}]");
        // Updated since/before: every issue was updated a moment ago.
        let all_now = list("state=all&since=2000-01-01T00:00:00Z").await;
        assert_eq!(numbers(&all_now), [4, 3, 2, 1], "[{l}] {}", all_now.text);
        let future = list("state=all&since=2999-01-01T00:00:00Z").await;
        assert_eq!(numbers(&future), Vec::<i64>::new(), "[{l}]");
        let past = list("state=all&before=2000-01-01T00:00:00Z").await;
        assert_eq!(numbers(&past), Vec::<i64>::new(), "[{l}]");
        let window =
            list("state=all&since=2000-01-01T00:00:00Z&before=2999-01-01T00:00:00%2B08:00").await;
        assert_eq!(numbers(&window), [4, 3, 2, 1], "[{l}] {}", window.text);

        // Pagination: X-Total-Count and Link with the API's own path.
        let first = list("limit=1").await;
        assert_eq!(numbers(&first), [3], "[{l}]");
        assert_eq!(first.header("x-total-count"), "3", "[{l}]");
        let link = first.header("link");
        assert!(
            link.contains("/api/v1/repos/ada/tracker/issues?page=2&limit=1>; rel=\"next\""),
            "[{l}] {link}"
        );
        assert!(
            link.contains("page=3&limit=1>; rel=\"last\""),
            "[{l}] {link}"
        );
        let last = list("limit=1&page=3").await;
        assert_eq!(numbers(&last), [1], "[{l}]");
        let link = last.header("link");
        assert!(
            link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
            "[{l}] {link}"
        );

        // One issue.
        let got = get(&server, &format!("{issues}/1"), Auth::None).await;
        assert_eq!(got.status, 200, "[{l}] {}", got.text);
        assert_eq!(got.json["title"], "Crash on start", "[{l}]");
        for missing in ["99", "abc"] {
            let r = get(&server, &format!("{issues}/{missing}"), Auth::None).await;
            assert_eq!(r.status, 404, "[{l}] {missing}");
        }

        // Comments: add, list, edit, delete.
        let c = post(
            &server,
            &format!("{issues}/1/comments"),
            bob_a,
            json!({"body": "Me too."}),
        )
        .await;
        assert_eq!(c.status, 201, "[{l}] {}", c.text);
        assert_eq!(c.json["user"]["login"], "bob", "[{l}]");
        assert_eq!(c.json["body"], "Me too.", "[{l}]");
        let cid = c.json["id"].as_i64().expect("id");
        let empty = post(
            &server,
            &format!("{issues}/1/comments"),
            bob_a,
            json!({"body": "  "}),
        )
        .await;
        assert_eq!(empty.status, 422, "[{l}] {}", empty.text);
        let cs = get(&server, &format!("{issues}/1/comments"), Auth::None).await;
        assert_eq!(cs.status, 200, "[{l}]");
        assert_eq!(names(&cs.json, "body"), ["Me too."], "[{l}]");
        let edited = patch(
            &server,
            &format!("{issues}/comments/{cid}"),
            bob_a,
            json!({"body": "Me too, on Linux."}),
        )
        .await;
        assert_eq!(edited.status, 200, "[{l}] {}", edited.text);
        assert_eq!(edited.json["body"], "Me too, on Linux.", "[{l}]");
        let got = get(&server, &format!("{issues}/1"), Auth::None).await;
        assert_eq!(got.json["comments"], 1, "[{l}]");
        let deleted = call(
            &server,
            "DELETE",
            &format!("{issues}/comments/{cid}"),
            bob_a,
            None,
        )
        .await;
        assert_eq!(deleted.status, 204, "[{l}] {}", deleted.text);
        let cs = get(&server, &format!("{issues}/1/comments"), Auth::None).await;
        assert_eq!(cs.json, json!([]), "[{l}]");
        let gone = call(
            &server,
            "DELETE",
            &format!("{issues}/comments/{cid}"),
            bob_a,
            None,
        )
        .await;
        assert_eq!(gone.status, 404, "[{l}]");
        // A comment of another repository's issue is not found here.
        server.repo(&ada, "other", false).await;
        let elsewhere = post(
            &server,
            "/api/v1/repos/ada/other/issues",
            ada_a,
            json!({"title": "Else"}),
        )
        .await;
        assert_eq!(elsewhere.status, 201, "[{l}] {}", elsewhere.text);
        let oc = post(
            &server,
            "/api/v1/repos/ada/other/issues/1/comments",
            ada_a,
            json!({"body": "there"}),
        )
        .await;
        let ocid = oc.json["id"].as_i64().expect("id");
        let wrong = patch(
            &server,
            &format!("{issues}/comments/{ocid}"),
            ada_a,
            json!({"body": "x"}),
        )
        .await;
        assert_eq!(wrong.status, 404, "[{l}] {}", wrong.text);
        let wrong = call(
            &server,
            "DELETE",
            &format!("{issues}/comments/{ocid}"),
            ada_a,
            None,
        )
        .await;
        assert_eq!(wrong.status, 404, "[{l}] {}", wrong.text);

        // Close and reopen through PATCH (Gitea answers 201).
        let closed = patch(
            &server,
            &format!("{issues}/1"),
            ada_a,
            json!({"state": "closed"}),
        )
        .await;
        assert_eq!(closed.status, 201, "[{l}] {}", closed.text);
        assert_eq!(closed.json["state"], "closed", "[{l}]");
        assert_eq!(closed.json["state_reason"], "completed", "[{l}]");
        assert!(closed.json["closed_at"].is_string(), "[{l}]");
        assert_eq!(numbers(&list("state=closed").await), [4, 1], "[{l}]");
        assert_eq!(numbers(&list("").await), [3, 2], "[{l}]");
        let reopened = patch(
            &server,
            &format!("{issues}/1"),
            ada_a,
            json!({"state": "open"}),
        )
        .await;
        assert_eq!(reopened.status, 201, "[{l}] {}", reopened.text);
        assert_eq!(reopened.json["state"], "open", "[{l}]");
        assert_eq!(reopened.json["closed_at"], Value::Null, "[{l}]");
        // The author closes their own issue as not planned.
        let np = patch(
            &server,
            &format!("{issues}/3"),
            bob_a,
            json!({"state": "closed", "state_reason": "not_planned"}),
        )
        .await;
        assert_eq!(np.status, 201, "[{l}] {}", np.text);
        assert_eq!(np.json["state_reason"], "not_planned", "[{l}]");
        for body in [
            json!({"state": "shut"}),
            json!({"state": "open", "state_reason": "completed"}),
            json!({"state": "closed", "state_reason": "bored"}),
        ] {
            let bad = patch(&server, &format!("{issues}/1"), ada_a, body.clone()).await;
            assert_eq!(bad.status, 422, "[{l}] {body}: {}", bad.text);
        }

        // Title, body, milestone and assignees.
        let renamed = patch(
            &server,
            &format!("{issues}/2"),
            ada_a,
            json!({"title": "Write the docs", "body": "All of them."}),
        )
        .await;
        assert_eq!(renamed.status, 201, "[{l}] {}", renamed.text);
        assert_eq!(renamed.json["title"], "Write the docs", "[{l}]");
        assert_eq!(renamed.json["body"], "All of them.", "[{l}]");
        let kept = patch(&server, &format!("{issues}/2"), ada_a, json!({"title": ""})).await;
        assert_eq!(kept.json["title"], "Write the docs", "[{l}] {}", kept.text);
        let cleared = patch(
            &server,
            &format!("{issues}/1"),
            ada_a,
            json!({"milestone": 0, "assignees": []}),
        )
        .await;
        assert_eq!(cleared.status, 201, "[{l}] {}", cleared.text);
        assert_eq!(cleared.json["milestone"], Value::Null, "[{l}]");
        assert_eq!(cleared.json["assignees"], Value::Null, "[{l}]");
        let set = patch(
            &server,
            &format!("{issues}/2"),
            ada_a,
            json!({"milestone": v1_id, "assignee": "ada"}),
        )
        .await;
        assert_eq!(set.status, 201, "[{l}] {}", set.text);
        assert_eq!(set.json["milestone"]["id"], v1_id, "[{l}]");
        assert_eq!(names(&set.json["assignees"], "login"), ["ada"], "[{l}]");
        let bad = patch(
            &server,
            &format!("{issues}/2"),
            ada_a,
            json!({"milestone": 999_999}),
        )
        .await;
        assert_eq!(bad.status, 422, "[{l}] {}", bad.text);
        let bad = patch(
            &server,
            &format!("{issues}/2"),
            ada_a,
            json!({"assignees": ["bob"]}),
        )
        .await;
        assert_eq!(bad.status, 422, "[{l}] {}", bad.text);
        let bad = patch(
            &server,
            &format!("{issues}/2"),
            ada_a,
            json!({"title": "Changed?", "assignees": ["nobody-here"]}),
        )
        .await;
        assert_eq!(bad.status, 422, "[{l}] {}", bad.text);
        let unchanged = get(&server, &format!("{issues}/2"), Auth::None).await;
        assert_eq!(
            unchanged.json["title"], "Write the docs",
            "[{l}] a refused request changes nothing"
        );

        // An issue's labels.
        let il = format!("{issues}/2/labels");
        let r = get(&server, &il, Auth::None).await;
        assert_eq!(names(&r.json, "name"), ["docs"], "[{l}] {}", r.text);
        let r = post(&server, &il, ada_a, json!({"labels": [bug_id]})).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(names(&r.json, "name"), ["bug", "docs"], "[{l}]");
        let r = call(
            &server,
            "PUT",
            &il,
            ada_a,
            Some(json!({"labels": ["docs"]})),
        )
        .await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);
        assert_eq!(names(&r.json, "name"), ["docs"], "[{l}]");
        let r = call(&server, "DELETE", &format!("{il}/{docs_id}"), ada_a, None).await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);
        assert_eq!(get(&server, &il, Auth::None).await.json, json!([]), "[{l}]");
        let r = post(&server, &il, ada_a, json!({"labels": [999_999]})).await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = call(&server, "DELETE", &format!("{il}/999999"), ada_a, None).await;
        assert_eq!(r.status, 422, "[{l}] {}", r.text);
        let r = post(
            &server,
            &format!("{issues}/3/labels"),
            bob_a,
            json!({"labels": [bug_id]}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        server.stop().await;
    }
}

#[tokio::test]
async fn validation_scopes_and_permissions() {
    for store in stores().await {
        let server = Server::start(store, |_| {}).await;
        let l = server.label().to_owned();
        let _admin = server.user("sysop").await;
        let ada = server.user("ada").await;
        let bob = server.user("bob").await;
        let carol = server.user("carol").await;
        let repo = server.repo(&ada, "tracker", false).await;
        let _secret = server.repo(&ada, "secret", true).await;
        server
            .state
            .store
            .set_collaborator(repo.id, carol.id, AccessLevel::Write)
            .await
            .expect("collaborator");
        let ada_t = token(&server, ada.id, "ada", &["write:issue"]).await;
        let bob_t = token(&server, bob.id, "bob", &["write:issue"]).await;
        let carol_t = token(&server, carol.id, "carol", &["write:issue"]).await;
        let reader_t = token(&server, ada.id, "reader", &["read:issue"]).await;
        let repo_t = token(&server, ada.id, "repo", &["read:repository"]).await;
        let (ada_a, bob_a, carol_a) = (
            Auth::Token(&ada_t),
            Auth::Token(&bob_t),
            Auth::Token(&carol_t),
        );
        let issues = format!("{BASE}/issues");

        // Validation.
        let huge = "x".repeat(70_000);
        for body in [
            json!({"title": ""}),
            json!({"title": "   "}),
            json!({"body": "no title"}),
            json!({"title": "Huge", "body": huge}),
            json!({"title": "t".repeat(300)}),
            json!({"title": "Unknown label", "labels": [999_999]}),
            json!({"title": "Unknown milestone", "milestone": 999_999}),
            json!({"title": "Unknown assignee", "assignees": ["nobody-here"]}),
            json!({"title": "Not assignable", "assignees": ["bob"]}),
        ] {
            let r = post(&server, &issues, ada_a, body.clone()).await;
            assert_eq!(r.status, 422, "[{l}] {}: {}", body["title"], r.text);
            assert!(r.json["message"].is_string(), "[{l}] {}", r.text);
        }
        let not_json = call(&server, "POST", &issues, ada_a, None).await;
        assert!(
            matches!(not_json.status, 415 | 422),
            "[{l}] {}",
            not_json.status
        );
        let none = get(&server, &issues, Auth::None).await;
        assert_eq!(
            none.json,
            json!([]),
            "[{l}] a refused request opens nothing"
        );

        // Scopes and authentication.
        let r = post(
            &server,
            &issues,
            Auth::Token(&reader_t),
            json!({"title": "Read only"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        assert!(
            r.json["message"]
                .as_str()
                .unwrap_or("")
                .contains("write:issue"),
            "[{l}] {}",
            r.text
        );
        let r = post(&server, &issues, Auth::None, json!({"title": "Anonymous"})).await;
        assert_eq!(r.status, 401, "[{l}] {}", r.text);
        let r = post(&server, &issues, ada_a, json!({"title": "First"})).await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let r = get(&server, &issues, Auth::Token(&reader_t)).await;
        assert_eq!(numbers(&r), [1], "[{l}]");
        let r = get(&server, &issues, Auth::Token(&repo_t)).await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = patch(
            &server,
            &format!("{issues}/1"),
            Auth::Token(&reader_t),
            json!({"state": "closed"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);

        // A private repository's issues are not found by those who cannot read it.
        let secret = "/api/v1/repos/ada/secret/issues";
        let r = post(&server, secret, ada_a, json!({"title": "Hidden"})).await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        for (who, auth) in [("anonymous", Auth::None), ("bob", bob_a)] {
            for path in [
                secret.to_owned(),
                format!("{secret}/1"),
                format!("{secret}/1/comments"),
                "/api/v1/repos/ada/secret/labels".to_owned(),
                "/api/v1/repos/ada/secret/milestones".to_owned(),
            ] {
                let r = get(&server, &path, auth).await;
                assert_eq!(r.status, 404, "[{l}] {who} GET {path}: {}", r.text);
            }
        }
        let r = post(
            &server,
            &format!("{secret}/1/comments"),
            bob_a,
            json!({"body": "hi"}),
        )
        .await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        let r = post(&server, secret, bob_a, json!({"title": "Sneaky"})).await;
        assert_eq!(r.status, 404, "[{l}] {}", r.text);
        let r = get(&server, &format!("{secret}/1"), ada_a).await;
        assert_eq!(r.status, 200, "[{l}] {}", r.text);

        // Someone else's issue: a reader may comment, not edit, close or triage.
        let c = post(
            &server,
            &format!("{issues}/1/comments"),
            ada_a,
            json!({"body": "Owner's note"}),
        )
        .await;
        assert_eq!(c.status, 201, "[{l}] {}", c.text);
        let ada_comment = c.json["id"].as_i64().expect("id");
        for body in [
            json!({"title": "Bob's title"}),
            json!({"body": "Bob's body"}),
            json!({"state": "closed"}),
            json!({"milestone": 0, "assignees": ["ada"]}),
        ] {
            let r = patch(&server, &format!("{issues}/1"), bob_a, body.clone()).await;
            assert_eq!(r.status, 403, "[{l}] {body}: {}", r.text);
        }
        let r = patch(
            &server,
            &format!("{issues}/comments/{ada_comment}"),
            bob_a,
            json!({"body": "edited"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = call(
            &server,
            "DELETE",
            &format!("{issues}/comments/{ada_comment}"),
            bob_a,
            None,
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = get(&server, &format!("{issues}/1"), Auth::None).await;
        assert_eq!(r.json["title"], "First", "[{l}]");
        assert_eq!(r.json["state"], "open", "[{l}]");
        // A writer may edit anyone's issue and remove anyone's comment.
        let r = patch(
            &server,
            &format!("{issues}/1"),
            carol_a,
            json!({"title": "First, retitled"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let r = post(
            &server,
            &format!("{issues}/1/comments"),
            bob_a,
            json!({"body": "Bob's"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        let r = call(
            &server,
            "DELETE",
            &format!("{issues}/comments/{}", r.json["id"]),
            carol_a,
            None,
        )
        .await;
        assert_eq!(r.status, 204, "[{l}] {}", r.text);

        // A locked issue takes comments from writers only.
        let view = server
            .state
            .forge
            .repo_view(
                Actor::User {
                    id: ada.id,
                    site_admin: false,
                },
                "ada",
                "tracker",
            )
            .await
            .expect("view")
            .expect("readable");
        let issue = server.state.forge.issue(&view, 1).await.expect("issue");
        server
            .state
            .forge
            .update_issue(
                &view,
                &issue,
                hatchery_service::issues::IssueUpdate {
                    locked: Some(true),
                    ..Default::default()
                },
            )
            .await
            .expect("lock");
        let r = get(&server, &format!("{issues}/1"), Auth::None).await;
        assert_eq!(r.json["is_locked"], true, "[{l}]");
        let r = post(
            &server,
            &format!("{issues}/1/comments"),
            bob_a,
            json!({"body": "Let me in"}),
        )
        .await;
        assert_eq!(r.status, 403, "[{l}] {}", r.text);
        let r = post(
            &server,
            &format!("{issues}/1/comments"),
            carol_a,
            json!({"body": "Writers may"}),
        )
        .await;
        assert_eq!(r.status, 201, "[{l}] {}", r.text);
        server.stop().await;
    }
}
