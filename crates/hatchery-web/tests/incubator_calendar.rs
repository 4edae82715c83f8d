//! The board calendar on the web, through the real router on every backend: the program's
//! reports page shows the reporting groups and who reports this month and next, in
//! English and in Chinese; the committee changes a project's reporting group and sponsor
//! there, others may not, and a group the calendar does not have or a sentence for a
//! sponsor are refused with the reason.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::incubator::{Month, Preset, preset};
use hatchery_store::testing::fixtures;
use hatchery_store::{
    NewProgram, NewProject, NewRosterEntry, Program, ReportTemplate, Store, now_ms,
};
use support::{Resp, TestApp};

const HOUR: i64 = 3_600_000;
const BASE: &str = "/apache/-/incubator/incubator";

fn main_of(body: &str) -> &str {
    let start = body.find("<main").unwrap_or(0);
    let end = body.find("</main>").unwrap_or(body.len());
    &body[start..end]
}

#[track_caller]
fn status(r: &Resp, want: StatusCode, what: &str) {
    assert_eq!(
        r.status,
        want,
        "{what}: {} {}",
        r.location(),
        main_of(&r.body)
    );
}

async fn uid(s: &Store, name: &str) -> i64 {
    s.user_by_name(name).await.unwrap().unwrap().id
}

async fn client(app: &TestApp, name: &str) -> TestApp {
    let mut c = app.new_client();
    let r = c.login(name, support::PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login {name}");
    c
}

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
