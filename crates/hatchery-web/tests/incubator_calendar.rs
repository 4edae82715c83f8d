//! The board calendar on the web, through the real router on every backend: the program's
//! reports page shows the reporting groups and who reports this month and next, in
//! English and in Chinese; the committee changes a project's reporting group and sponsor
//! there, others may not, and a group the calendar does not have or a sentence for a
//! sponsor are refused with the reason; the month's combined report as a page and a
//! download. And the exports: podlings.xml of a program with a current, a graduated and a
//! retired project validates against Apache's podlings.dtd (tests/fixtures, with
//! `xmllint --dtdvalid`), with short sponsors and resolutions as links or references; the
//! JSON export follows its JSON Schema; the CSV has one row per project.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::incubator::{Month, Preset, preset};
use hatchery_store::testing::fixtures;
use hatchery_store::{
    NewProgram, NewProject, NewRosterEntry, Program, ReportTemplate, Store, now_ms,
};
use serde_json::{Value, json};
use support::{TestApp, api, client, main_of, status, uid};

const HOUR: i64 = 3_600_000;
const BASE: &str = "/apache/-/incubator/incubator";

/// Ada owns `apache`; carl is the committee; `widget` started an hour ago with mia as its
/// mentor and pat as a committer (no reporting group yet: it reports in its start
/// month's group); `gadget` ended long ago.
async fn setup(app: &TestApp) -> Program {
    for name in ["ada", "carl", "pat", "mia", "bob"] {
        app.new_client().sign_up(name).await;
    }
    let s = app.store.store().clone();
    let ada = s.user_by_name("ada").await.unwrap().unwrap();
    let org = fixtures::org(&s, &ada, "apache").await;
    let committee = fixtures::team(&s, org.id, "ipmc", AccessLevel::Read).await;
    s.add_team_member(committee.id, uid(&s, "carl").await)
        .await
        .unwrap();
    let now = now_ms();
    let program = s
        .create_program(NewProgram {
            org_id: org.id,
            slug: "incubator",
            name: "Apache Incubator",
            description: "",
            preset: "apache",
            template: &preset(Preset::Apache),
            report_template: &ReportTemplate::default(),
            actor_id: Some(ada.id),
            now,
        })
        .await
        .unwrap();
    let program = s
        .set_program_committee(program.id, Some(committee.id), None, now)
        .await
        .unwrap();
    let mut roster = Vec::new();
    for (name, role) in [("mia", "mentor"), ("pat", "committer")] {
        roster.push(NewRosterEntry {
            user_id: Some(uid(&s, name).await),
            name: name.to_uppercase(),
            role: role.into(),
            affiliation: String::new(),
        });
    }
    s.create_project(
        &NewProject {
            program_id: program.id,
            proposal_id: None,
            slug: "widget".into(),
            name: "Widget".into(),
            description: "a toolkit for widgets.".into(),
            sponsor: String::new(),
            stage: "current".into(),
            started_at: now - HOUR,
            reporting_group: None,
            roster,
            repo_ids: Vec::new(),
        },
        Some(ada.id),
        now,
    )
    .await
    .unwrap();
    program
}

#[tokio::test]
async fn the_reports_page_shows_the_board_calendar() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let program = setup(&app).await;
        let next = Month::of(now_ms()).next();
        let group = program
            .template
            .report_cadence
            .calendar
            .as_ref()
            .unwrap()
            .group_of(None, now_ms() - HOUR);

        // Everyone sees the calendar; a new project reports next month, monthly.
        let mut anon = app.new_client();
        let r = anon.get(&format!("{BASE}/reports")).await;
        status(&r, StatusCode::OK, &l);
        let page = main_of(&r.body);
        assert!(page.contains("id=\"calendar-groups\""), "[{l}] {page}");
        assert!(
            page.contains("January, April, July, October"),
            "[{l}] group 1's months: {page}"
        );
        let next_table = &page[page.find("id=\"next-month\"").unwrap()..];
        assert!(
            next_table.contains("data-project=\"widget\"") && next_table.contains("monthly"),
            "[{l}] {next_table}"
        );
        assert!(
            next_table.contains(&format!("Group {group}")),
            "[{l}] {next_table}"
        );
        assert!(
            page.contains("id=\"reporting-this-month-none\""),
            "[{l}] {page}"
        );
        assert!(
            !page.contains("id=\"project-records\""),
            "[{l}] only for the committee"
        );

        // In Chinese.
        let r = anon
            .get_with(&format!("{BASE}/reports"), &[("accept-language", "zh-CN")])
            .await;
        let page = main_of(&r.body);
        assert!(page.contains("董事会报告日程"), "[{l}] {page}");
        assert!(page.contains("1月, 4月, 7月, 10月"), "[{l}] {page}");
        assert!(
            page.contains(&format!("{}年{}月", next.year, next.month)),
            "[{l}] {page}"
        );
        assert!(page.contains(&format!("第 {group} 组")), "[{l}] {page}");

        // The committee sets the group and sponsor; others may not.
        let form = format!("{BASE}/reports/record/widget");
        let mut pat = client(&app, "pat").await;
        let r = pat
            .post_form(&form, &[("reporting_group", "3"), ("sponsor", "Incubator")])
            .await;
        status(&r, StatusCode::FORBIDDEN, &format!("[{l}] a committer"));
        let mut carl = client(&app, "carl").await;
        let r = carl.get(&format!("{BASE}/reports")).await;
        assert!(r.body.contains("id=\"project-records\""), "[{l}]");
        let r = carl
            .post_form(&form, &[("reporting_group", "4"), ("sponsor", "")])
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] group 4"),
        );
        assert!(
            r.body
                .contains("The program&#39;s calendar has reporting groups 1 to 3.")
                || r.body
                    .contains("The program's calendar has reporting groups 1 to 3."),
            "[{l}] {}",
            main_of(&r.body)
        );
        let sentence = "We ask the Incubator PMC to sponsor this podling through incubation.";
        let r = carl
            .post_form(&form, &[("reporting_group", "2"), ("sponsor", sentence)])
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("[{l}] a sentence"),
        );
        let r = carl
            .post_form(
                &form,
                &[("reporting_group", "3"), ("sponsor", "Apache Lucene PMC")],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, &format!("[{l}] saved"));
        let s = app.store.store();
        let widget = s
            .project_by_slug(program.id, "widget")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (widget.reporting_group, widget.sponsor.as_str()),
            (Some(3), "Apache Lucene PMC"),
            "[{l}]"
        );
        let log = s
            .audit_log(program.id, Default::default(), 100)
            .await
            .unwrap();
        assert!(log.iter().any(|e| e.action == "project.record"), "[{l}]");

        // The combined report of next month: Widget has not sent its report.
        let r = anon.get(&format!("{BASE}/reports")).await;
        assert!(r.body.contains("id=\"combined-link\""), "[{l}]");
        let r = anon
            .get(&format!("{BASE}/reports/combined?period={next}"))
            .await;
        status(&r, StatusCode::OK, &format!("[{l}] combined"));
        let page = main_of(&r.body);
        assert!(page.contains("id=\"combined\""), "[{l}] {page}");
        assert!(
            page.contains("Projects that did not report"),
            "[{l}] {page}"
        );
        assert!(
            page.contains(
                "1 project was due to report this month: 0 reported (0 signed off), 1 did not."
            ),
            "[{l}] {page}"
        );
        let r = anon
            .get(&format!("{BASE}/reports/combined.md?period={next}"))
            .await;
        status(&r, StatusCode::OK, &format!("[{l}] download"));
        assert_eq!(
            r.headers["content-type"].to_str().unwrap(),
            "text/markdown; charset=utf-8",
            "[{l}]"
        );
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("incubator-{next}.md")),
            "[{l}]"
        );
        assert!(
            r.body
                .starts_with("# Apache Incubator: report to the board, "),
            "[{l}] {}",
            r.body
        );
        assert!(r.body.contains("- Widget (Due "), "[{l}] {}", r.body);
        let r = anon
            .get_with(
                &format!("{BASE}/reports/combined.md?period={next}"),
                &[("accept-language", "zh-CN")],
            )
            .await;
        assert!(r.body.contains("## 未报告的项目"), "[{l}] {}", r.body);
        assert!(
            r.body.contains("本月应报告的有 1 个项目"),
            "[{l}] {}",
            r.body
        );
        let r = anon
            .get(&format!("{BASE}/reports/combined?period=2025-13"))
            .await;
        status(&r, StatusCode::BAD_REQUEST, &format!("[{l}] a bad period"));
    }
}

/// Another project of the program with `mentor` as its mentor.
async fn project(s: &Store, program: &Program, slug: &str, name: &str, mentor: &str) {
    let now = now_ms();
    s.create_project(
        &NewProject {
            program_id: program.id,
            proposal_id: None,
            slug: slug.into(),
            name: name.into(),
            description: format!("{name} & <friends>."),
            sponsor: String::new(),
            stage: "current".into(),
            started_at: now - 400 * 24 * HOUR,
            reporting_group: None,
            roster: vec![NewRosterEntry {
                user_id: Some(uid(s, mentor).await),
                name: mentor.to_uppercase(),
                role: "mentor".into(),
                affiliation: String::new(),
            }],
            repo_ids: Vec::new(),
        },
        None,
        now,
    )
    .await
    .unwrap();
}

/// Checks `value` against the parts of JSON Schema the export's schema uses: `type`
/// (one or several), `required`, `properties`, `items`, `enum`, `const`, `oneOf`, `$ref`
/// to `#/$defs/...` and `pattern` (as the only pattern used: a date). Problems are pushed
/// with their JSON path.
fn check_schema(
    root: &Value,
    schema: &Value,
    value: &Value,
    path: &str,
    problems: &mut Vec<String>,
) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.strip_prefix("#/$defs/").expect("local reference");
        return check_schema(root, &root["$defs"][name], value, path, problems);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let fits = options.iter().filter(|o| {
            let mut p = Vec::new();
            check_schema(root, o, value, path, &mut p);
            p.is_empty()
        });
        if fits.count() != 1 {
            problems.push(format!("{path}: not exactly one of oneOf"));
        }
        return;
    }
    let type_of = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.contains(&type_of(value)) {
        problems.push(format!("{path}: {} is not {types:?}", type_of(value)));
        return;
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        problems.push(format!("{path}: {value} not in {allowed:?}"));
    }
    if !schema["const"].is_null() && schema["const"] != *value {
        problems.push(format!("{path}: {value} is not {}", schema["const"]));
    }
    if schema["pattern"].is_string() {
        let ok = value.as_str().is_some_and(|s| {
            s.len() == 10
                && s.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
        });
        if !ok {
            problems.push(format!("{path}: {value} is not a date"));
        }
    }
    if let Some(required) = schema["required"].as_array() {
        for k in required.iter().filter_map(Value::as_str) {
            if value.get(k).is_none() {
                problems.push(format!("{path}: {k} is missing"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
        for (k, v) in obj {
            match props.get(k) {
                Some(sub) => check_schema(root, sub, v, &format!("{path}.{k}"), problems),
                None => problems.push(format!("{path}: {k} is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check_schema(root, items, v, &format!("{path}[{i}]"), problems);
        }
    }
}

#[tokio::test]
async fn the_exports_follow_podlings_dtd_and_their_schema() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        let program = setup(&app).await;
        let s = app.store.store().clone();
        project(&s, &program, "gadget", "Gadget", "mia").await;
        project(&s, &program, "oldie", "Oldie", "carl").await;
        let c = &mut app.new_client();
        let api_base = "/api/v1/orgs/apache/incubator/programs/incubator";
        for (slug, to, reference) in [
            (
                "gadget",
                "graduated",
                "https://www.apache.org/foundation/records/minutes/2025/board_minutes_2025_03_19.txt",
            ),
            (
                "oldie",
                "retired",
                "IPMC vote of 2025-02-01, board minutes of 2025-02-19",
            ),
        ] {
            let r = api(
                c,
                "POST",
                &format!("{api_base}/projects/{slug}/decisions"),
                Some("ada"),
                Some(&json!({ "to_stage": to, "reference": reference }).to_string()),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK, "[{l}] {slug} {}", r.body);
        }
        // A sponsor of its own for one.
        let r = api(
            c,
            "PATCH",
            &format!("{api_base}/projects/widget"),
            Some("carl"),
            Some(&json!({ "sponsor": "Apache Lucene PMC" }).to_string()),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "[{l}] {}", r.body);

        // podlings.xml validates against Apache's DTD.
        let r = c.get(&format!("{BASE}/podlings.xml")).await;
        status(&r, StatusCode::OK, &format!("[{l}] podlings.xml"));
        let xml = r.body;
        assert!(xml.contains("sponsor=\"Apache Lucene PMC\""), "[{l}] {xml}");
        assert_eq!(
            xml.matches("sponsor=\"Incubator\"").count(),
            2,
            "[{l}] {xml}"
        );
        assert!(
            xml.contains("<resolution url=\"https://www.apache.org/foundation/records/minutes/2025/board_minutes_2025_03_19.txt\"/>"),
            "[{l}] {xml}"
        );
        assert!(
            xml.contains(
                "<resolution>IPMC vote of 2025-02-01, board minutes of 2025-02-19</resolution>"
            ),
            "[{l}] {xml}"
        );
        assert!(
            xml.contains("<mentor username=\"mia\">MIA</mentor>"),
            "[{l}] {xml}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("podlings.xml");
        std::fs::write(&file, &xml).unwrap();
        let dtd = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/podlings.dtd");
        let out = std::process::Command::new("xmllint")
            .args(["--noout", "--dtdvalid", dtd])
            .arg(&file)
            .output()
            .expect("xmllint runs (Debian's libxml2-utils)");
        assert!(
            out.status.success(),
            "[{l}] podlings.xml is not valid: {}\n{xml}",
            String::from_utf8_lossy(&out.stderr)
        );

        // The JSON export names its schema and follows it.
        let r = c.get(&format!("{BASE}/projects.json")).await;
        let doc: Value = serde_json::from_str(&r.body).unwrap();
        let r = api(c, "GET", "/api/v1/incubator/export.schema.json", None, None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        let schema: Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            doc["$schema"]
                .as_str()
                .unwrap()
                .ends_with("/api/v1/incubator/export.schema.json"),
            "[{l}] {}",
            doc["$schema"]
        );
        let mut problems = Vec::new();
        check_schema(&schema, &schema, &doc, "$", &mut problems);
        assert!(problems.is_empty(), "[{l}] {problems:#?}");
        // The checker does see a broken document.
        let mut broken = doc.clone();
        broken["projects"][0]["status"] = json!("hatching");
        broken["projects"][0]
            .as_object_mut()
            .unwrap()
            .remove("sponsor");
        let mut problems = Vec::new();
        check_schema(&schema, &schema, &broken, "$", &mut problems);
        assert_eq!(problems.len(), 2, "[{l}] {problems:#?}");
        let widget = doc["projects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["slug"] == "widget")
            .unwrap();
        assert_eq!(
            widget["mentors"][0]["role_name"], "Mentor",
            "[{l}] {widget}"
        );

        // The CSV: a header and one row per project.
        let r = c.get(&format!("{BASE}/projects.csv")).await;
        status(&r, StatusCode::OK, &format!("[{l}] csv"));
        assert_eq!(
            r.headers["content-type"].to_str().unwrap(),
            "text/csv; charset=utf-8",
            "[{l}]"
        );
        let lines: Vec<&str> = r.body.lines().collect();
        assert_eq!(lines.len(), 4, "[{l}] {}", r.body);
        assert!(
            lines[0].starts_with("slug,name,status,stage,stage_name,sponsor,reporting_group,"),
            "[{l}]"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("oldie,Oldie,retired,retired,")),
            "[{l}] {}",
            r.body
        );
        assert!(
            r.body.contains("\"Gadget & <friends>.\"") || r.body.contains("Gadget & <friends>."),
            "[{l}]"
        );
        let r = api(c, "GET", &format!("{api_base}/export.csv"), None, None).await;
        assert_eq!(r.status, StatusCode::OK, "[{l}]");
        assert_eq!(r.body.lines().count(), 4, "[{l}]");
    }
}
