//! Proposals ending without a vote and slugs held once, through the real router on every
//! backend: a duplicate slug refused on the web (the form again with the typed input and a
//! message naming the slug and its holder, in both languages) and through the API (409);
//! withdrawing by the author during a vote (the vote cancelled) and closing by the
//! committee or an owner, each with a reason, on the web (CSRF) and through the API, with
//! the refusals (others, no reason, no token, a second ending) and the states on the
//! proposal's page and in the lists.

mod support;

use axum::http::StatusCode;
use hatchery_core::AccessLevel;
use hatchery_core::incubator::{Preset, preset};
use hatchery_store::testing::fixtures;
use hatchery_store::{NewProgram, ReportTemplate, now_ms};
use serde_json::{Value, json};
use support::{Resp, TestApp, api, body, client, status, uid};

const P: &str = "/apache/-/incubator/incubator";
const API: &str = "/api/v1/orgs/apache/incubator/programs/incubator";

/// Ada owns the organization `apache`; carl is the program's committee; pat, zed and bob
/// propose. The program is Apache's, with no minimum discussion.
async fn setup(app: &TestApp) {
    for name in ["siteadmin", "ada", "carl", "pat", "zed", "bob"] {
        let mut c = app.new_client();
        c.sign_up(name).await;
    }
    let s = app.store.store().clone();
    let ada = s.user_by_name("ada").await.unwrap().unwrap();
    let org = fixtures::org(&s, &ada, "apache").await;
    let committee = fixtures::team(&s, org.id, "ipmc", AccessLevel::Read).await;
    s.add_team_member(committee.id, uid(&s, "carl").await)
        .await
        .unwrap();
    let mut template = preset(Preset::Apache);
    template.discussion_min_days = 0;
    let now = now_ms();
    let program = s
        .create_program(NewProgram {
            org_id: org.id,
            slug: "incubator",
            name: "Apache Incubator",
            description: "",
            preset: "apache",
            template: &template,
            report_template: &ReportTemplate::default(),
            actor_id: Some(ada.id),
            now,
        })
        .await
        .unwrap();
    s.set_program_committee(program.id, Some(committee.id), None, now)
        .await
        .unwrap();
}

/// The web form of a proposal with every section filled in and its people.
fn fields(name: &str, slug: &str) -> Vec<(String, String)> {
    let mut f = sections_only(name, slug);
    // The People table fills the champion, mentors and initial committers.
    for (username, role) in [
        ("carl", "champion"),
        ("carl", "mentor"),
        ("pat", "committer"),
    ] {
        f.push(("person_username".into(), username.into()));
        f.push(("person_name".into(), String::new()));
        f.push(("person_affiliation".into(), "ACME".into()));
        f.push(("person_role".into(), role.into()));
    }
    f
}

/// The web form of a proposal with every section filled in and nobody in its People table.
fn sections_only(name: &str, slug: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("name".into(), name.into()),
        ("slug".into(), slug.into()),
        ("repos".into(), String::new()),
    ];
    for s in preset(Preset::Apache).proposal_sections {
        f.push((
            format!("section_{}", s.key),
            format!("{} of {name}.", s.title.en()),
        ));
    }
    f
}

async fn post_owned(c: &mut TestApp, path: &str, fields: &[(String, String)]) -> Resp {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &borrowed).await
}

#[tokio::test]
async fn proposals_are_withdrawn_or_closed_and_slugs_are_held_once() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        setup(&app).await;
        let mut pat = client(&app, "pat").await;
        let mut zed = client(&app, "zed").await;
        let mut carl = client(&app, "carl").await;
        let mut ada = client(&app, "ada").await;
        let mut anon = app.new_client();

        // ---- a slug is held once ----
        let r = post_owned(
            &mut pat,
            &format!("{P}/proposals/new"),
            &fields("Widget", "widget"),
        )
        .await;
        status(&r, StatusCode::SEE_OTHER, "draft 1");
        assert_eq!(r.location(), format!("{P}/proposals/1"), "[{l}]");
        let mine = fields("Zed's widget", "WIDGET");
        let r = post_owned(&mut zed, &format!("{P}/proposals/new"), &mine).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "duplicate slug");
        r.assert_contains(
            "The slug WIDGET is already taken in this program by proposal #1. Choose another slug.",
        );
        // The form comes back with what was typed.
        r.assert_contains("value=\"Zed's widget\"");
        r.assert_contains("value=\"WIDGET\"");
        r.assert_contains("Initial Goals of Zed's widget.");
        let zh = zed
            .get_with(
                &format!("{P}/proposals/new"),
                &[("accept-language", "zh-CN")],
            )
            .await;
        status(&zh, StatusCode::OK, "form in Chinese");
        let mut zh_client = client(&app, "zed").await;
        let req = axum::http::Request::post(format!("{P}/proposals/new"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-language", "zh-CN");
        zh_client.get("/").await;
        let token = zh_client
            .cookie("hatchery_csrf")
            .cloned()
            .unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend(mine.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let r = zh_client
            .send(
                req.body(axum::body::Body::from(support::encode(&all)))
                    .unwrap(),
            )
            .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate slug, zh-CN",
        );
        r.assert_contains("简称 WIDGET 在本计划中已被第 1 号提案使用。");
        // Its own slug, in another case, is fine on an edit.
        let r = pat.get(&format!("{P}/proposals/1/edit")).await;
        status(&r, StatusCode::OK, "edit form");
        let mut edit = fields("Widget", "Widget");
        edit.push(("version".into(), "1".into()));
        let r = post_owned(&mut pat, &format!("{P}/proposals/1/edit"), &edit).await;
        status(&r, StatusCode::SEE_OTHER, "edit keeping the slug");

        // ---- withdrawing: the author, with a reason, cancels the vote ----
        let r = pat
            .post_form(&format!("{P}/proposals/1/discussion"), &[])
            .await;
        status(&r, StatusCode::SEE_OTHER, "discussion");
        let r = carl.post_form(&format!("{P}/proposals/1/vote"), &[]).await;
        status(&r, StatusCode::SEE_OTHER, "vote");
        let vote_url = r.location().to_owned();
        let page = pat.get(&format!("{P}/proposals/1")).await;
        page.assert_contains("id=\"withdraw-form\"");
        assert!(
            !page.body.contains("id=\"close-form\""),
            "[{l}] authors do not close"
        );
        let page = carl.get(&format!("{P}/proposals/1")).await;
        page.assert_contains("id=\"close-form\"");
        assert!(!page.body.contains("id=\"withdraw-form\""), "[{l}]");
        assert!(
            !zed.get(&format!("{P}/proposals/1"))
                .await
                .body
                .contains("id=\"withdraw-form\""),
            "[{l}]"
        );

        let withdraw = format!("{P}/proposals/1/withdraw");
        let r = pat.post_raw(&withdraw, "reason=no+token").await;
        status(&r, StatusCode::FORBIDDEN, "no CSRF token");
        let r = zed.post_form(&withdraw, &[("reason", "not mine")]).await;
        status(&r, StatusCode::FORBIDDEN, "withdrawn by another");
        let r = carl.post_form(&withdraw, &[("reason", "committee")]).await;
        status(&r, StatusCode::FORBIDDEN, "withdrawn by the committee");
        let r = anon.post_form(&withdraw, &[("reason", "anon")]).await;
        status(&r, StatusCode::SEE_OTHER, "anonymous");
        assert!(r.location().starts_with("/user/login"), "[{l}]");
        let r = pat.post_form(&withdraw, &[("reason", "   ")]).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "no reason");
        r.assert_contains("id=\"problems\"");
        r.assert_contains("id=\"withdraw-form\"");
        let r = pat
            .post_form(&withdraw, &[("reason", "We found a home elsewhere.")])
            .await;
        status(&r, StatusCode::SEE_OTHER, "withdrawn");
        let page = anon.get(&format!("{P}/proposals/1")).await;
        status(&page, StatusCode::OK, "withdrawn page");
        page.assert_contains("id=\"withdrawn-notice\"");
        page.assert_contains("We found a home elsewhere.");
        page.assert_contains("data-state=\"withdrawn\"");
        assert!(!page.body.contains("id=\"edit-proposal\""), "[{l}]");
        let vote = anon.get(&vote_url).await;
        vote.assert_contains("data-state=\"cancelled\"");
        let list = anon.get(&format!("{P}/proposals?state=withdrawn")).await;
        list.assert_contains("id=\"proposal-1\"");
        let r = pat.post_form(&withdraw, &[("reason", "Once more.")]).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "withdrawn twice");
        let zh = anon
            .get_with(&format!("{P}/proposals/1"), &[("accept-language", "zh-CN")])
            .await;
        zh.assert_contains("作者已撤回此提案。");
        zh.assert_contains("已撤回");

        // ---- the API: the slug is free again; a second taker gets a 409 ----
        let create = |slug: &str| {
            json!({
                "slug": slug,
                "name": "Widget Two",
                "sections": {"abstract": "Widgets again."},
                "committers": [{"username": "zed", "affiliation": "ACME"}]
            })
            .to_string()
        };
        let mut c = app.new_client();
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals"),
            Some("zed"),
            Some(&create("widget")),
        )
        .await;
        status(&r, StatusCode::CREATED, "API draft");
        let two = body(&r);
        assert_eq!(two["number"], 2, "[{l}]");
        assert_eq!(two["state"], "draft", "[{l}]");
        assert_eq!(two["committers"][0]["name"], "zed", "[{l}]");
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals"),
            Some("bob"),
            Some(&create("Widget")),
        )
        .await;
        status(&r, StatusCode::CONFLICT, "API duplicate slug");
        let m = body(&r)["message"].as_str().unwrap_or_default().to_owned();
        assert!(
            m.contains("\"Widget\"") && m.contains("proposal #2"),
            "[{l}] {m}"
        );
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals"),
            None,
            Some(&create("other")),
        )
        .await;
        status(&r, StatusCode::UNAUTHORIZED, "API anonymous");
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals"),
            Some("bob"),
            Some(&create("bad slug!")),
        )
        .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "API bad slug");

        // ---- closing: the committee or an owner, with a reason ----
        let reason = |r: &str| json!({ "reason": r }).to_string();
        let close2 = format!("{API}/proposals/2/close");
        for who in ["zed", "bob"] {
            let r = api(&mut c, "POST", &close2, Some(who), Some(&reason("no"))).await;
            // Bob cannot see zed's draft at all.
            let want = if who == "bob" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::FORBIDDEN
            };
            status(&r, want, &format!("API close by {who}"));
        }
        let r = api(&mut c, "POST", &close2, Some("carl"), Some(&reason(""))).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API close without a reason",
        );
        let r = api(&mut c, "POST", &close2, Some("carl"), Some("{}")).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API close without a body field",
        );
        let r = api(
            &mut c,
            "POST",
            &close2,
            Some("carl"),
            Some(&reason("Out of scope.")),
        )
        .await;
        status(&r, StatusCode::OK, "API close");
        let closed = body(&r);
        assert_eq!(closed["state"], "closed", "[{l}]");
        assert_eq!(closed["close_reason"], "Out of scope.", "[{l}]");
        assert_eq!(closed["closed_by"]["login"], "carl", "[{l}]");
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals/2/withdraw"),
            Some("zed"),
            Some(&reason("too late")),
        )
        .await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API withdraw a closed one",
        );
        // Never published: still only for those who may edit it.
        let r = api(
            &mut c,
            "GET",
            &format!("{API}/proposals/2"),
            Some("bob"),
            None,
        )
        .await;
        status(&r, StatusCode::NOT_FOUND, "closed draft to others");
        let r = api(
            &mut c,
            "GET",
            &format!("{API}/proposals?state=withdrawn"),
            None,
            None,
        )
        .await;
        status(&r, StatusCode::OK, "API list withdrawn");
        assert_eq!(body(&r).as_array().map(Vec::len), Some(1), "[{l}]");
        assert_eq!(
            body(&r)[0]["close_reason"],
            "We found a home elsewhere.",
            "[{l}]"
        );

        // An owner of the organization closes on the web.
        let mut bob = client(&app, "bob").await;
        let r = post_owned(
            &mut bob,
            &format!("{P}/proposals/new"),
            &fields("Gadget", "gadget"),
        )
        .await;
        status(&r, StatusCode::SEE_OTHER, "draft 3");
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals/3/withdraw"),
            Some("carl"),
            Some(&reason("x")),
        )
        .await;
        status(&r, StatusCode::FORBIDDEN, "API withdraw by the committee");
        let r = bob
            .post_form(&format!("{P}/proposals/3/discussion"), &[])
            .await;
        status(&r, StatusCode::SEE_OTHER, "discussion 3");
        let close3 = format!("{P}/proposals/3/close");
        let r = ada.post_raw(&close3, "reason=x").await;
        status(&r, StatusCode::FORBIDDEN, "close without a CSRF token");
        let r = bob.post_form(&close3, &[("reason", "mine")]).await;
        status(&r, StatusCode::FORBIDDEN, "closed by its author");
        let r = ada.post_form(&close3, &[("reason", "")]).await;
        status(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "close without a reason",
        );
        r.assert_contains("id=\"close-form\"");
        let r = ada
            .post_form(&close3, &[("reason", "A duplicate of #1.")])
            .await;
        status(&r, StatusCode::SEE_OTHER, "closed by an owner");
        let page = anon.get(&format!("{P}/proposals/3")).await;
        page.assert_contains("id=\"closed-notice\"");
        page.assert_contains("A duplicate of #1.");
        let list = anon.get(&format!("{P}/proposals")).await;
        list.assert_contains("data-state=\"closed\"");
        // Zed's closed draft is not listed to others.
        assert!(!list.body.contains("id=\"proposal-2\""), "[{l}]");
    }
}

/// A program of `preset` in organization `apache` (set up by [`setup`]), committee ipmc.
async fn program_of(app: &TestApp, slug: &str, p: Preset) {
    let s = app.store.store().clone();
    let ada = s.user_by_name("ada").await.unwrap().unwrap();
    let org = s.org_by_name("apache").await.unwrap().unwrap();
    let committee = s.team_by_name(org.id, "ipmc").await.unwrap().unwrap();
    let mut template = preset(p);
    template.discussion_min_days = 0;
    let now = now_ms();
    let program = s
        .create_program(NewProgram {
            org_id: org.id,
            slug,
            name: slug,
            description: "",
            preset: p.as_str(),
            template: &template,
            report_template: &ReportTemplate::default(),
            actor_id: Some(ada.id),
            now,
        })
        .await
        .unwrap();
    s.set_program_committee(program.id, Some(committee.id), None, now)
        .await
        .unwrap();
}

/// People table rows for the web form: (account, name, affiliation, role).
fn people(rows: &[(&str, &str, &str, &str)]) -> Vec<(String, String)> {
    let mut f = Vec::new();
    for (username, name, affiliation, role) in rows {
        f.push(("person_username".into(), (*username).into()));
        f.push(("person_name".into(), (*name).into()));
        f.push(("person_affiliation".into(), (*affiliation).into()));
        f.push(("person_role".into(), (*role).into()));
    }
    f
}

/// Apache's full form (Known Risks and the rest as fields of their own, the people
/// sections filled from one People table), the CNCF's sandbox application with its own
/// words, LF AI & Data's stage criteria; the People table's refusals.
#[tokio::test]
async fn preset_forms_people_table_and_terms() {
    for app in TestApp::all().await {
        let l = app.label().to_owned();
        setup(&app).await;
        program_of(&app, "cncf", Preset::Cncf).await;
        let mut pat = client(&app, "pat").await;
        let mut anon = app.new_client();

        // ---- Apache ----
        let form = pat.get(&format!("{P}/proposals/new")).await;
        status(&form, StatusCode::OK, "Apache form");
        for needle in [
            "<h4 class=\"section-group\">Current Status</h4>",
            "<h4 class=\"section-group\">Known Risks</h4>",
            "<h4 class=\"section-group\">Required Resources</h4>",
            "name=\"section_orphaned_products\"",
            "name=\"section_inexperience_with_open_source\"",
            "name=\"section_homogenous_developers\"",
            "name=\"section_reliance_on_salaried_developers\"",
            "name=\"section_relationships_with_other_apache_products\"",
            "name=\"section_fascination_with_apache_brand\"",
            "name=\"section_cryptography\"",
            "name=\"section_mailing_lists\"",
            "name=\"section_source_and_ip_submission_plan\"",
            "id=\"people-section-initial_committers\"",
            "id=\"people-section-mentors\"",
            "id=\"people-rows\"",
            "<option value=\"mentor\">Mentor</option>",
        ] {
            form.assert_contains(needle);
        }
        assert!(
            !form.body.contains("name=\"section_initial_committers\""),
            "[{l}] typed once"
        );
        let mut f = sections_only("Widget", "widget");
        f.extend(people(&[
            ("carl", "", "ASF", "champion"),
            ("carl", "", "ASF", "mentor"),
            ("", "Max Outside", "Example University", "mentor"),
            ("pat", "Pat Lee", "ACME", "committer"),
            ("", "Quinn Offline", "Self", "committer"),
            ("", "", "", "committer"),
        ]));
        // Two champions are refused, and the table comes back as typed.
        let mut two = f.clone();
        two.extend(people(&[("zed", "", "", "champion")]));
        let r = post_owned(&mut pat, &format!("{P}/proposals/new"), &two).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "two champions");
        r.assert_contains("A proposal has one champion.");
        r.assert_contains("value=\"Quinn Offline\"");
        let mut wrong = sections_only("Widget", "widget");
        wrong.extend(people(&[("pat", "", "", "ppmc")]));
        let r = post_owned(&mut pat, &format!("{P}/proposals/new"), &wrong).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "unknown role");
        r.assert_contains("The program's form has no role ppmc for people.");
        let r = post_owned(&mut pat, &format!("{P}/proposals/new"), &f).await;
        status(&r, StatusCode::SEE_OTHER, "Apache proposal");
        let r = pat
            .post_form(&format!("{P}/proposals/1/discussion"), &[])
            .await;
        status(
            &r,
            StatusCode::SEE_OTHER,
            "discussion: people sections filled",
        );
        let page = anon.get(&format!("{P}/proposals/1")).await;
        page.assert_contains("<h2 class=\"section-group\">Known Risks</h2>");
        page.assert_contains("Orphaned Products of Widget.");
        let committers = page
            .body
            .split("id=\"section-initial_committers\"")
            .nth(1)
            .and_then(|rest| rest.split("</section>").next())
            .unwrap_or_default()
            .to_owned();
        assert!(
            committers.contains("Pat Lee") && committers.contains("Quinn Offline"),
            "[{l}] {committers}"
        );
        assert!(!committers.contains("Max Outside"), "[{l}]");
        let mentors = page
            .body
            .split("id=\"section-mentors\"")
            .nth(1)
            .and_then(|rest| rest.split("</section>").next())
            .unwrap_or_default()
            .to_owned();
        assert!(
            mentors.contains("Max Outside") && mentors.contains("@carl"),
            "[{l}] {mentors}"
        );
        // The edit form gives the table back, one row per person and role.
        let edit = pat.get(&format!("{P}/proposals/1/edit")).await;
        edit.assert_contains("value=\"Quinn Offline\"");
        edit.assert_contains("<option value=\"champion\" selected>Champion</option>");
        // Without mentors the discussion does not start.
        let mut no_mentors = sections_only("Gadget", "gadget");
        no_mentors.extend(people(&[
            ("carl", "", "ASF", "champion"),
            ("pat", "", "ACME", "committer"),
        ]));
        let r = post_owned(&mut pat, &format!("{P}/proposals/new"), &no_mentors).await;
        status(&r, StatusCode::SEE_OTHER, "Apache proposal without mentors");
        let r = pat
            .post_form(&format!("{P}/proposals/2/discussion"), &[])
            .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "no mentors");
        r.assert_contains("Nominated Mentors");

        // Through the API: the People table, and a people section cannot be typed.
        let mut c = app.new_client();
        let body_of = |sections: Value| {
            json!({
                "slug": "api-widget",
                "name": "API Widget",
                "sections": sections,
                "people": [
                    {"username": "carl", "affiliation": "ASF", "role": "champion"},
                    {"name": "Max Outside", "role": "mentor"},
                    {"username": "pat", "affiliation": "ACME", "role": "committer"}
                ]
            })
            .to_string()
        };
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals"),
            Some("pat"),
            Some(&body_of(json!({"initial_committers": "Pat"}))),
        )
        .await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "typed people section");
        let r = api(
            &mut c,
            "POST",
            &format!("{API}/proposals"),
            Some("pat"),
            Some(&body_of(json!({"abstract": "Widgets."}))),
        )
        .await;
        status(&r, StatusCode::CREATED, "API with people");
        let j = body(&r);
        assert_eq!(j["champion"]["username"], "carl", "[{l}]");
        assert_eq!(j["mentors"][0]["name"], "Max Outside", "[{l}]");
        assert_eq!(j["committers"][0]["username"], "pat", "[{l}]");
        let r = api(&mut c, "GET", API, Some("pat"), None).await;
        let sections = &body(&r)["template"]["proposal_sections"];
        let risk = sections
            .as_array()
            .and_then(|a| a.iter().find(|s| s["key"] == "cryptography"))
            .cloned()
            .unwrap_or(Value::Null);
        // The preset's texts per language.
        assert_eq!(risk["title"]["en"], "Cryptography", "[{l}]");
        assert_eq!(risk["title"]["zh-CN"], "密码学", "[{l}]");
        assert_eq!(
            body(&r)["template"]["terms"]["committee"]["en"],
            "IPMC",
            "[{l}]"
        );

        // ---- the CNCF: its application form and its words ----
        let cncf = "/apache/-/incubator/cncf";
        let form = pat.get(&format!("{cncf}/proposals/new")).await;
        status(&form, StatusCode::OK, "CNCF form");
        for needle in [
            "name=\"section_why_cncf\"",
            "name=\"section_maintainers_file\"",
            "name=\"section_security_contact\"",
            "name=\"section_trademark_and_accounts\"",
            "name=\"section_business_separation\"",
            "name=\"section_landscape\"",
            "<option value=\"committer\" selected>Maintainer</option>",
            "<option value=\"champion\">TOC sponsor</option>",
        ] {
            form.assert_contains(needle);
        }
        assert!(
            !form.body.contains("<option value=\"mentor\""),
            "[{l}] no mentors at the CNCF"
        );
        let zh = pat
            .get_with(
                &format!("{cncf}/proposals/new"),
                &[("accept-language", "zh-CN")],
            )
            .await;
        zh.assert_contains("维护者");
        let mut f: Vec<(String, String)> = vec![
            ("name".into(), "Kube Thing".into()),
            ("slug".into(), "kube-thing".into()),
        ];
        for s in preset(Preset::Cncf).proposal_sections {
            f.push((
                format!("section_{}", s.key),
                format!("{} here.", s.title.en()),
            ));
        }
        f.extend(people(&[
            ("pat", "", "ACME", "committer"),
            ("zed", "", "Other", "committer"),
        ]));
        let r = post_owned(&mut pat, &format!("{cncf}/proposals/new"), &f).await;
        status(&r, StatusCode::SEE_OTHER, "CNCF proposal");
        let r = pat
            .post_form(&format!("{cncf}/proposals/1/discussion"), &[])
            .await;
        status(
            &r,
            StatusCode::SEE_OTHER,
            "CNCF discussion without a sponsor",
        );
        let page = anon.get(&format!("{cncf}/proposals/1")).await;
        page.assert_contains("<td>Maintainer</td>");
        let mut mentor = sections_only("X", "x");
        mentor.extend(people(&[("pat", "", "", "mentor")]));
        let r = post_owned(&mut pat, &format!("{cncf}/proposals/new"), &mentor).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "a mentor at the CNCF");
    }
}

/// The new messages are in both catalogs.
#[test]
fn closing_and_slug_messages_are_in_both_catalogs() {
    use hatchery_core::incubator::{ProposalState, TemplateError};
    use hatchery_service::incubator::IncubatorError;
    use hatchery_store::SlugHolder;
    use hatchery_web::i18n::Lang;
    let keys = [
        IncubatorError::SlugTaken {
            slug: String::new(),
            holder: SlugHolder::Proposal { number: 1 },
        }
        .message_key(),
        IncubatorError::SlugTaken {
            slug: String::new(),
            holder: SlugHolder::Project {
                slug: String::new(),
            },
        }
        .message_key(),
        "incubator.withdraw",
        "incubator.close",
        "incubator.withdrawn_notice",
        "incubator.closed_notice",
        "incubator.flash.proposal_withdrawn",
        "incubator.flash.proposal_closed",
        "incubator.hint.people_table",
        "incubator.hint.people_section",
        "incubator.criterion_of",
        "error.incubator.people_section_typed",
        "error.incubator.people_role",
        "error.incubator.several_champions",
    ];
    let template_keys = [
        TemplateError::UnknownCriterionStage {
            code: String::new(),
            stage: String::new(),
        },
        TemplateError::UnknownPeopleRole {
            key: String::new(),
            role: String::new(),
        },
        TemplateError::InvalidTerm(String::new()),
    ];
    for lang in Lang::ALL {
        for t in &template_keys {
            let key = t.message_key();
            assert!(lang.lookup(key).is_some(), "{} lacks {key}", lang.tag());
        }
        for key in keys {
            assert!(lang.lookup(key).is_some(), "{} lacks {key}", lang.tag());
        }
        for s in ProposalState::ALL {
            let key = format!("incubator.proposal_state.{}", s.as_str());
            assert!(lang.lookup(&key).is_some(), "{} lacks {key}", lang.tag());
        }
    }
}
