//! The incubation cycle through the REST API alone, on every backend, as a foundation's
//! secretary, committee and projects would run it from scripts: the program is created
//! from the Apache preset, given its committee and a template change; two proposals are
//! drafted, revised, discussed and voted in; the accepted project's roster and
//! repositories change; its checklist is evaluated and judged; a release candidate is
//! voted on and published; a report is written, prefilled, submitted and signed off; the
//! project graduates through the IPMC's recommendation, the board resolution and the
//! board's decision; the other project retires by a recorded decision. The exports tell
//! the end of the story. Refusals are checked on the way (outsiders, stale versions,
//! invalid templates with every problem listed).
//!
//! Only the site's set-up (accounts, the organization and its committee team) is made
//! with the shared test kit. Time: the program's template (changed through the API) has
//! no minimum discussion and no minimum vote duration, so a vote settled by its ballots
//! closes at once; the test runs the server's closing job (`Forge::close_due_votes`)
//! rather than wait for it. Nothing sleeps.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::incubator::Month;
use hatchery_store::now_ms;
use hatchery_store::testing::fixtures;
use serde_json::{Value, json};
use support::{TestApp, api, forge_of};

const API: &str = "/api/v1/orgs/asf/incubator/programs/incubator";

/// One API call as `who` that must answer `want`; its JSON body.
async fn call(
    c: &mut TestApp,
    want: StatusCode,
    method: &str,
    path: &str,
    who: Option<&str>,
    body: Option<Value>,
) -> Value {
    let text = body.map(|b| b.to_string());
    let r = api(c, method, path, who, text.as_deref()).await;
    assert_eq!(
        r.status,
        want,
        "[{}] {method} {path} as {who:?}: {}",
        c.label(),
        r.body
    );
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

/// Every member of the committee casts +1 on `vote`, which settles it; the closing job
/// (woken by the ballots, and run here so the test need not wait for it) closes it.
async fn committee_passes(app: &TestApp, c: &mut TestApp, vote: i64) {
    for who in ["carl", "dan", "eve"] {
        call(
            c,
            StatusCode::CREATED,
            "POST",
            &format!("{API}/votes/{vote}/ballots"),
            Some(who),
            Some(json!({ "value": 1 })),
        )
        .await;
    }
    forge_of(app).close_due_votes(now_ms()).await.unwrap();
}

/// A complete proposal of the Apache form for `slug`, bringing `repo`.
fn proposal(template: &Value, slug: &str, name: &str, repo: &str) -> Value {
    let mut sections = serde_json::Map::new();
    for s in template["proposal_sections"].as_array().unwrap() {
        if s.get("people_role").is_none_or(Value::is_null) {
            let key = s["key"].as_str().unwrap();
            sections.insert(key.into(), json!(format!("{key} of {name}")));
        }
    }
    json!({
        "slug": slug,
        "name": name,
        "sections": sections,
        "people": [
            { "username": "carl", "role": "champion", "affiliation": "ASF" },
            { "username": "dan", "role": "mentor", "affiliation": "Uni" },
            { "username": "pat", "role": "committer", "affiliation": "ACME" },
        ],
        "repositories": [repo],
    })
}

#[tokio::test]
async fn the_whole_cycle_through_the_api() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        for name in ["ada", "bob", "carl", "dan", "eve", "pat", "quinn"] {
            app.new_client().sign_up(name).await;
        }
        let s = app.store.store().clone();
        let ada = s.user_by_name("ada").await.unwrap().unwrap();
        let org = fixtures::org(&s, &ada, "asf").await;
        let ipmc = fixtures::team(&s, org.id, "ipmc", AccessLevel::Read).await;
        for name in ["carl", "dan", "eve"] {
            let u = s.user_by_name(name).await.unwrap().unwrap();
            s.add_team_member(ipmc.id, u.id).await.unwrap();
        }
        let c = &mut app.new_client();
        let programs = "/api/v1/orgs/asf/incubator/programs";

        // ---- The program: created, given its committee, its template changed ----
        let create = json!({ "slug": "incubator", "name": "Incubator", "preset": "apache" });
        call(
            c,
            StatusCode::UNAUTHORIZED,
            "POST",
            programs,
            None,
            Some(create.clone()),
        )
        .await;
        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            programs,
            Some("bob"),
            Some(create.clone()),
        )
        .await;
        let bad = json!({ "slug": "x", "name": "X", "preset": "gitea" });
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "POST",
            programs,
            Some("ada"),
            Some(bad),
        )
        .await;
        let p = call(
            c,
            StatusCode::CREATED,
            "POST",
            programs,
            Some("ada"),
            Some(create.clone()),
        )
        .await;
        assert_eq!(
            (p["preset"].as_str(), &p["committee"]),
            (Some("apache"), &Value::Null),
            "[{l}]"
        );
        call(
            c,
            StatusCode::CONFLICT,
            "POST",
            programs,
            Some("ada"),
            Some(create),
        )
        .await;

        let edit = json!({ "committee": "ipmc", "description": "The ASF's incubator." });
        call(
            c,
            StatusCode::FORBIDDEN,
            "PATCH",
            API,
            Some("carl"),
            Some(edit.clone()),
        )
        .await;
        let none = json!({ "committee": "no-such-team", "name": "Renamed" });
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "PATCH",
            API,
            Some("ada"),
            Some(none),
        )
        .await;
        let p = call(c, StatusCode::OK, "PATCH", API, Some("ada"), Some(edit)).await;
        assert_eq!(
            (
                p["committee"].as_str(),
                p["description"].as_str(),
                p["name"].as_str()
            ),
            (
                Some("ipmc"),
                Some("The ASF's incubator."),
                Some("Incubator")
            ),
            "[{l}] a refused change saves nothing"
        );

        // The secretary's scripts lower the minimum discussion; an invalid template is
        // refused whole, with every problem listed.
        let mut template = p["template"].clone();
        let mut broken = template.clone();
        broken["stages"] = json!([]);
        broken["proposal_sections"][0]["key"] = json!("Not A Key");
        let r = api(
            c,
            "PUT",
            &format!("{API}/template"),
            Some("ada"),
            Some(&broken.to_string()),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] {}",
            r.body
        );
        let errors = serde_json::from_str::<Value>(&r.body).unwrap()["errors"].clone();
        assert!(
            errors.as_array().is_some_and(|e| e.len() >= 2),
            "[{l}] {errors}"
        );
        let r = api(
            c,
            "PUT",
            &format!("{API}/template"),
            Some("ada"),
            Some("[1, 2]"),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{l}] not a template"
        );
        // A script runs the cycle in minutes: no minimum discussion, and votes close as
        // soon as the ballots settle them.
        template["discussion_min_days"] = json!(0);
        for rule in template["vote_rules"].as_object_mut().unwrap().values_mut() {
            rule["min_duration_hours"] = json!(0);
        }
        call(
            c,
            StatusCode::FORBIDDEN,
            "PUT",
            &format!("{API}/template"),
            Some("carl"),
            Some(template.clone()),
        )
        .await;
        let p = call(
            c,
            StatusCode::OK,
            "PUT",
            &format!("{API}/template"),
            Some("ada"),
            Some(template.clone()),
        )
        .await;
        assert_eq!(p["template"]["discussion_min_days"], 0, "[{l}]");

        // ---- Two proposals: drafted, revised, discussed, voted in ----
        for repo in ["widget", "gadget"] {
            let b = json!({ "name": repo, "auto_init": true });
            call(
                c,
                StatusCode::CREATED,
                "POST",
                "/api/v1/user/repos",
                Some("pat"),
                Some(b),
            )
            .await;
        }
        let proposals = format!("{API}/proposals");
        let w = call(
            c,
            StatusCode::CREATED,
            "POST",
            &proposals,
            Some("pat"),
            Some(proposal(&template, "widget", "Widget", "pat/widget")),
        )
        .await;
        assert_eq!(
            (w["state"].as_str(), w["number"].as_i64()),
            (Some("draft"), Some(1)),
            "[{l}]"
        );
        let g = call(
            c,
            StatusCode::CREATED,
            "POST",
            &proposals,
            Some("pat"),
            Some(proposal(&template, "gadget", "Gadget", "pat/gadget")),
        )
        .await;
        let (wp, gp) = (
            format!("{proposals}/1"),
            format!("{proposals}/{}", g["number"]),
        );
        // Drafts are seen by their authors only.
        call(c, StatusCode::NOT_FOUND, "GET", &wp, Some("bob"), None).await;

        let mut revised = proposal(&template, "widget", "Widget Toolkit", "pat/widget");
        revised["version"] = w["version"].clone();
        call(
            c,
            StatusCode::NOT_FOUND,
            "PATCH",
            &wp,
            Some("quinn"),
            Some(revised.clone()),
        )
        .await;
        let w2 = call(
            c,
            StatusCode::OK,
            "PATCH",
            &wp,
            Some("pat"),
            Some(revised.clone()),
        )
        .await;
        assert_eq!(w2["name"], "Widget Toolkit", "[{l}]");
        assert!(w2["version"].as_i64() > w["version"].as_i64(), "[{l}]");
        call(
            c,
            StatusCode::CONFLICT,
            "PATCH",
            &wp,
            Some("pat"),
            Some(revised),
        )
        .await;

        for path in [&wp, &gp] {
            let d = call(
                c,
                StatusCode::OK,
                "POST",
                &format!("{path}/discussion"),
                Some("pat"),
                None,
            )
            .await;
            assert_eq!(d["state"], "discussion", "[{l}]");
        }
        call(
            c,
            StatusCode::UNAUTHORIZED,
            "POST",
            &format!("{wp}/comments"),
            None,
            Some(json!({"body": "hi"})),
        )
        .await;
        call(
            c,
            StatusCode::CREATED,
            "POST",
            &format!("{wp}/comments"),
            Some("bob"),
            Some(json!({ "body": "Will it support *gizmos*?" })),
        )
        .await;
        let comments = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{wp}/comments"),
            None,
            None,
        )
        .await;
        assert_eq!(comments[0]["user"]["login"], "bob", "[{l}] {comments}");
        // The committee asks for more, the authors answer by publishing it again.
        let asked = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{gp}/request_info"),
            Some("eve"),
            Some(json!({ "note": "Who else works on it?" })),
        )
        .await;
        assert_eq!(asked["state"], "needs_info", "[{l}]");
        call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{gp}/discussion"),
            Some("pat"),
            None,
        )
        .await;

        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            &format!("{wp}/votes"),
            Some("pat"),
            None,
        )
        .await;
        for path in [&wp, &gp] {
            let v = call(
                c,
                StatusCode::CREATED,
                "POST",
                &format!("{path}/votes"),
                Some("carl"),
                None,
            )
            .await;
            assert_eq!(v["state"], "open", "[{l}]");
            committee_passes(&app, c, v["id"].as_i64().unwrap()).await;
        }
        let w = call(c, StatusCode::OK, "GET", &wp, None, None).await;
        assert_eq!(w["state"], "accepted", "[{l}]");
        let project = format!("{API}/projects/widget");
        let pj = call(c, StatusCode::OK, "GET", &project, None, None).await;
        assert_eq!(pj["stage"], "current", "[{l}] {pj}");
        let roles: Vec<(String, String)> = pj["roster"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["username"].as_str().unwrap_or("").to_owned(),
                    e["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            roles.contains(&("dan".into(), "mentor".into())),
            "[{l}] {roles:?}"
        );
        let repo = pj["repositories"][0]["full_name"]
            .as_str()
            .unwrap()
            .to_owned();

        // ---- Roster and repositories after acceptance ----
        let roster = format!("{project}/roster");
        let add = json!({ "role": "committer", "username": "quinn", "affiliation": "Self" });
        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            &roster,
            Some("bob"),
            Some(add.clone()),
        )
        .await;
        let q = call(
            c,
            StatusCode::CREATED,
            "POST",
            &roster,
            Some("carl"),
            Some(add),
        )
        .await;
        let mentor = json!({ "role": "mentor", "username": "bob" });
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "POST",
            &roster,
            Some("carl"),
            Some(mentor),
        )
        .await;
        let eve = json!({ "role": "mentor", "username": "eve" });
        call(
            c,
            StatusCode::CREATED,
            "POST",
            &roster,
            Some("carl"),
            Some(eve),
        )
        .await;
        let ended = call(
            c,
            StatusCode::OK,
            "PATCH",
            &format!("{roster}/{}", q["id"]),
            Some("carl"),
            Some(json!({ "ended": true })),
        )
        .await;
        assert!(ended["ended_at"].is_string(), "[{l}] {ended}");
        // Pat joins the PPMC, and so may bring another repository of theirs.
        let ppmc = json!({ "role": "ppmc", "username": "pat" });
        call(
            c,
            StatusCode::CREATED,
            "POST",
            &roster,
            Some("carl"),
            Some(ppmc),
        )
        .await;
        let b = json!({ "name": "widget-site", "auto_init": true });
        call(
            c,
            StatusCode::CREATED,
            "POST",
            "/api/v1/user/repos",
            Some("pat"),
            Some(b),
        )
        .await;
        let linked = call(
            c,
            StatusCode::CREATED,
            "POST",
            &format!("{project}/repos"),
            Some("pat"),
            Some(json!({ "repository": "pat/widget-site" })),
        )
        .await;
        let site = linked["full_name"].as_str().unwrap().to_owned();
        let repos = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{project}/repos"),
            None,
            None,
        )
        .await;
        assert_eq!(repos.as_array().map(Vec::len), Some(2), "[{l}] {repos}");
        call(
            c,
            StatusCode::NO_CONTENT,
            "DELETE",
            &format!("{project}/repos/{site}"),
            Some("carl"),
            None,
        )
        .await;

        // ---- The checklist: evaluated, judged ----
        let checklist = format!("{project}/checklist");
        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            &format!("{checklist}/evaluate"),
            Some("bob"),
            None,
        )
        .await;
        let items = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{checklist}/evaluate"),
            Some("pat"),
            None,
        )
        .await;
        let judged = |items: &Value, code: &str| {
            items
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == code)
                .cloned()
                .unwrap()
        };
        for item in items.as_array().unwrap() {
            if item["evaluation"] == "automatic" {
                assert!(item["status"].is_string(), "[{l}] evaluated: {item}");
            }
        }
        let manual = items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["evaluation"] == "manual")
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let j = json!({ "status": "pass", "note": "https://lists.example.org/thread/42" });
        call(
            c,
            StatusCode::FORBIDDEN,
            "PUT",
            &format!("{checklist}/{manual}"),
            Some("pat"),
            Some(j.clone()),
        )
        .await;
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "PUT",
            &format!("{checklist}/NOPE"),
            Some("carl"),
            Some(j.clone()),
        )
        .await;
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "PUT",
            &format!("{checklist}/{manual}"),
            Some("carl"),
            Some(json!({ "status": "great" })),
        )
        .await;
        let items = call(
            c,
            StatusCode::OK,
            "PUT",
            &format!("{checklist}/{manual}"),
            Some("carl"),
            Some(j),
        )
        .await;
        let item = judged(&items, &manual);
        assert_eq!(
            (
                item["status"].as_str(),
                item["evaluated_by"]["login"].as_str()
            ),
            (Some("pass"), Some("carl")),
            "[{l}]"
        );
        let read = call(c, StatusCode::OK, "GET", &checklist, None, None).await;
        assert_eq!(judged(&read, &manual)["status"], "pass", "[{l}]");

        // ---- A release candidate, voted on and published ----
        let releases = format!("/api/v1/repos/{repo}/releases");
        let rc = call(
            c,
            StatusCode::CREATED,
            "POST",
            &releases,
            Some("pat"),
            Some(json!({ "tag_name": "v0.1.0-rc1", "is_candidate": true })),
        )
        .await;
        let rc_vote = call(
            c,
            StatusCode::CREATED,
            "POST",
            &format!("{releases}/{}/vote", rc["id"]),
            Some("pat"),
            None,
        )
        .await;
        call(
            c,
            StatusCode::NOT_FOUND,
            "GET",
            &format!("{releases}/{}", rc["id"]),
            Some("bob"),
            None,
        )
        .await;
        committee_passes(&app, c, rc_vote["id"].as_i64().unwrap()).await;
        let published = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{releases}/{}", rc["id"]),
            Some("bob"),
            None,
        )
        .await;
        assert_eq!(published["is_candidate"], false, "[{l}] {published}");

        // ---- A report: written, prefilled, submitted, signed off ----
        let reports = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{project}/reports"),
            None,
            None,
        )
        .await;
        let report = reports.as_array().unwrap().last().unwrap().clone();
        let rp = format!("{project}/reports/{}", report["id"]);

        // ---- The board calendar: groups, months, the record ----
        // Apache's calendar: a project accepted this month reports next month (monthly for
        // three months), due on the 7th; the two projects were put in different groups.
        let next = Month::of(now_ms()).next();
        assert_eq!(report["month"], next.to_string(), "[{l}] {report}");
        assert!(
            report["due_at"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{next}-07")),
            "[{l}] {report}"
        );
        let widget = call(c, StatusCode::OK, "GET", &project, None, None).await;
        let gadget_pj = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{API}/projects/gadget"),
            None,
            None,
        )
        .await;
        let mut groups = [
            widget["reporting_group"].as_i64(),
            gadget_pj["reporting_group"].as_i64(),
        ];
        groups.sort();
        assert_eq!(groups, [Some(1), Some(2)], "[{l}] least loaded groups");
        assert_eq!(
            widget["sponsor"], "Incubator",
            "[{l}] the program's short sponsor"
        );
        let month = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{API}/reports/calendar?month={next}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            month["groups"].as_array().unwrap().len(),
            3,
            "[{l}] {month}"
        );
        let entry = month["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["project"] == "widget")
            .unwrap_or_else(|| panic!("[{l}] widget reports in {next}: {month}"))
            .clone();
        assert_eq!(
            (entry["monthly"].as_bool(), entry["report"]["id"].clone()),
            (Some(true), report["id"].clone()),
            "[{l}] {entry}"
        );
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "GET",
            &format!("{API}/reports/calendar?month=2026-13"),
            None,
            None,
        )
        .await;
        // The committee moves the project to group 3 and names its sponsor; a group the
        // calendar does not have, a sentence for a sponsor and people off the committee
        // are refused.
        let record = json!({ "reporting_group": 3, "sponsor": "Apache Lucene PMC" });
        call(
            c,
            StatusCode::FORBIDDEN,
            "PATCH",
            &project,
            Some("pat"),
            Some(record.clone()),
        )
        .await;
        call(
            c,
            StatusCode::UNAUTHORIZED,
            "PATCH",
            &project,
            None,
            Some(record.clone()),
        )
        .await;
        for bad in [
            json!({ "reporting_group": 4 }),
            json!({ "sponsor": "The Incubator PMC will sponsor this podling until it graduates, we hope." }),
        ] {
            call(
                c,
                StatusCode::UNPROCESSABLE_ENTITY,
                "PATCH",
                &project,
                Some("carl"),
                Some(bad),
            )
            .await;
        }
        let moved = call(
            c,
            StatusCode::OK,
            "PATCH",
            &project,
            Some("carl"),
            Some(record),
        )
        .await;
        assert_eq!(
            (moved["reporting_group"].as_i64(), moved["sponsor"].as_str()),
            (Some(3), Some("Apache Lucene PMC")),
            "[{l}] {moved}"
        );
        // After its three monthly reports group 3 goes on quarterly in March, June,
        // September and December.
        let mut quarter = next.next().next().next();
        while !quarter.month.is_multiple_of(3) {
            quarter = quarter.next();
        }
        let june = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{API}/reports/calendar?month={quarter}"),
            None,
            None,
        )
        .await;
        let in_june: Vec<&str> = june["projects"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["project"].as_str())
            .collect();
        assert!(in_june.contains(&"widget"), "[{l}] {june}");
        let back = json!({ "sponsor": "" });
        let reset = call(
            c,
            StatusCode::OK,
            "PATCH",
            &project,
            Some("ada"),
            Some(back),
        )
        .await;
        assert_eq!(
            reset["sponsor"], "Incubator",
            "[{l}] an empty sponsor is the program's"
        );
        let key = template_report_key(&p);
        let text = json!({ "version": report["version"], "sections": { key.clone(): "We released 0.1.0." } });
        call(
            c,
            StatusCode::FORBIDDEN,
            "PATCH",
            &rp,
            Some("bob"),
            Some(text.clone()),
        )
        .await;
        let saved = call(
            c,
            StatusCode::OK,
            "PATCH",
            &rp,
            Some("pat"),
            Some(text.clone()),
        )
        .await;
        assert_eq!(saved["sections"][&key], "We released 0.1.0.", "[{l}]");
        call(
            c,
            StatusCode::CONFLICT,
            "PATCH",
            &rp,
            Some("pat"),
            Some(text),
        )
        .await;
        let filled = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{rp}/prefill"),
            Some("pat"),
            None,
        )
        .await;
        assert!(filled["figures"].is_object(), "[{l}] {filled}");
        // Apache's "Date of last release": the release the vote published, with its date.
        let last = filled["sections"]["last_release"].as_str().unwrap_or("");
        assert!(
            last.starts_with("`v0.1.0-rc1`") && last.contains(&format!("— {repo}")),
            "[{l}] {last}"
        );
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "POST",
            &format!("{rp}/signoffs"),
            Some("dan"),
            Some(json!({})),
        )
        .await;
        let sent = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{rp}/submit"),
            Some("pat"),
            None,
        )
        .await;
        assert_eq!(sent["state"], "submitted", "[{l}]");
        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            &format!("{rp}/signoffs"),
            Some("pat"),
            Some(json!({})),
        )
        .await;
        let signed = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{rp}/signoffs"),
            Some("dan"),
            Some(json!({ "comment": "Healthy." })),
        )
        .await;
        assert_eq!(
            (
                signed["state"].as_str(),
                signed["signoffs"][0]["user"]["login"].as_str()
            ),
            (Some("signed_off"), Some("dan")),
            "[{l}]"
        );

        // ---- The month's combined report, ready for the board ----
        let r = api(
            c,
            "GET",
            &format!("{API}/reports/combined?period={next}"),
            None,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/markdown"),
            "[{l}]"
        );
        let doc = r.body;
        let reports_at = doc.find("## Project reports").unwrap();
        let missing_at = doc.find("## Projects that did not report").unwrap();
        assert!(
            doc.contains(
                "2 projects were due to report this month: 1 reported (1 signed off), 1 did not."
            ),
            "[{l}] {doc}"
        );
        let sent = &doc[reports_at..missing_at];
        assert!(
            sent.contains("### Widget Toolkit") && sent.contains("We released 0.1.0."),
            "[{l}] {sent}"
        );
        assert!(
            sent.contains("- [X] dan (") && sent.contains("Healthy."),
            "[{l}] {sent}"
        );
        assert!(sent.contains("Sponsor: Incubator"), "[{l}] {sent}");
        assert!(doc[missing_at..].contains("- Gadget ("), "[{l}] {doc}");
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "GET",
            &format!("{API}/reports/combined?period=March"),
            None,
            None,
        )
        .await;

        // ---- Graduation: the IPMC recommends, the board resolves ----
        let v = call(
            c,
            StatusCode::CREATED,
            "POST",
            &format!("{project}/votes"),
            Some("carl"),
            Some(json!({ "kind": "graduate", "to_stage": "graduated" })),
        )
        .await;
        committee_passes(&app, c, v["id"].as_i64().unwrap()).await;
        let gs = call(
            c,
            StatusCode::OK,
            "GET",
            &format!("{project}/graduations"),
            None,
            None,
        )
        .await;
        let grad = gs[0].clone();
        assert_eq!(grad["state"], "recommended", "[{l}] {grad}");
        assert!(
            grad["resolution"]
                .as_str()
                .is_some_and(|r| r.contains("Widget")),
            "[{l}] {grad}"
        );
        let gpath = format!("{project}/graduations/{}", grad["id"]);
        let sent = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{gpath}/submit"),
            Some("pat"),
            Some(json!({ "version": grad["version"] })),
        )
        .await;
        assert_eq!(sent["state"], "submitted", "[{l}]");
        let decision = json!({ "approved": true, "decision_date": "2026-11-18", "reference": "Board minutes 2026-11, resolution 7A" });
        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            &format!("{gpath}/decision"),
            Some("carl"),
            Some(decision.clone()),
        )
        .await;
        let done = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{gpath}/decision"),
            Some("ada"),
            Some(decision),
        )
        .await;
        assert_eq!(done["state"], "approved", "[{l}]");
        let pj = call(c, StatusCode::OK, "GET", &project, None, None).await;
        assert_eq!(pj["stage"], "graduated", "[{l}]");
        assert!(
            pj["roster"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["ended_at"].is_string()),
            "[{l}] graduation ends every role: {}",
            pj["roster"]
        );

        // ---- The other project retires by a recorded decision ----
        let gadget = format!("{API}/projects/gadget");
        let retire = json!({ "to_stage": "retired", "reference": "IPMC vote thread 2026-12-01" });
        call(
            c,
            StatusCode::FORBIDDEN,
            "POST",
            &format!("{gadget}/decisions"),
            Some("bob"),
            Some(retire.clone()),
        )
        .await;
        call(
            c,
            StatusCode::UNPROCESSABLE_ENTITY,
            "POST",
            &format!("{gadget}/decisions"),
            Some("ada"),
            Some(json!({ "to_stage": "no-such-stage", "reference": "x" })),
        )
        .await;
        let gone = call(
            c,
            StatusCode::OK,
            "POST",
            &format!("{gadget}/decisions"),
            Some("ada"),
            Some(retire),
        )
        .await;
        assert_eq!(gone["stage"], "retired", "[{l}]");

        // ---- The exports tell the story ----
        let r = api(c, "GET", &format!("{API}/podlings.xml"), None, None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert!(r.body.contains("status=\"graduated\""), "[{l}] {}", r.body);
        assert!(r.body.contains("status=\"retired\""), "[{l}] {}", r.body);
    }
}

/// The key of the program's first report section.
fn template_report_key(program: &Value) -> String {
    program["report_template"]["sections"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}
