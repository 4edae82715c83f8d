//! The program template edited through its forms, on every backend, as a browser would:
//! the page's form is read back from the HTML and submitted. Unchanged, it saves the
//! preset exactly; rows are added, removed, reordered and edited; a broken template is
//! refused with every problem and shown again as typed; only the program's owners see it.

mod support;

use axum::http::StatusCode;
use hatchery_core::incubator::{Evaluation, Preset, ProgramTemplate, VoteKind, VoteRule, preset};
use hatchery_service::Forge;
use support::{Resp, TestApp, forge_of, status};

const P: &str = "/asf/-/incubator/incubator";
const FORM: &str = "/asf/-/incubator/incubator/settings/template";

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The attributes of the tag starting at `tag` (up to its `>`), as maud writes them.
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let end = tag.find('>').unwrap_or(tag.len());
    let inner = &tag[..end];
    let mut attrs = Vec::new();
    let mut rest = inner.split_once(char::is_whitespace).map_or("", |(_, r)| r);
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('/') {
            break;
        }
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_owned();
        rest = &rest[name_end..];
        if let Some(after) = rest.strip_prefix("=\"") {
            let close = after.find('"').expect("closing quote");
            attrs.push((name, Some(unescape(&after[..close]))));
            rest = &after[close + 1..];
        } else {
            attrs.push((name, None));
        }
    }
    attrs
}

fn attr<'a>(attrs: &'a [(String, Option<String>)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_deref().unwrap_or(""))
}

/// What a browser submits for the form with `id`: text inputs and hidden ones with their
/// values, ticked checkboxes as "on", each select's selected option, textareas' text.
fn form_fields(html: &str, id: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no form {id}"));
    let end = start + html[start..].find("</form>").expect("form end");
    let form = &html[start..end];
    let mut fields = Vec::new();
    let mut pos = 0;
    while let Some(off) = form[pos..].find('<') {
        let at = pos + off;
        let tag = &form[at + 1..];
        let kind = tag
            .split(|c: char| c.is_whitespace() || c == '>')
            .next()
            .unwrap_or("");
        pos = at + 1;
        let attrs = attributes(tag);
        let Some(name) = attr(&attrs, "name") else {
            continue;
        };
        match kind {
            "input" => {
                let value = attr(&attrs, "value").unwrap_or("");
                match attr(&attrs, "type").unwrap_or("text") {
                    "checkbox" => {
                        if attr(&attrs, "checked").is_some() {
                            fields.push((name.to_owned(), "on".to_owned()));
                        }
                    }
                    "submit" => {}
                    _ => fields.push((name.to_owned(), value.to_owned())),
                }
            }
            "textarea" => {
                let body_start = tag.find('>').expect("textarea >") + 1;
                let body_end = tag.find("</textarea>").expect("textarea end");
                fields.push((name.to_owned(), unescape(&tag[body_start..body_end])));
            }
            "select" => {
                let body_end = tag.find("</select>").expect("select end");
                let options = &tag[..body_end];
                let mut chosen = None;
                let mut first = None;
                let mut o = 0;
                while let Some(off) = options[o..].find("<option") {
                    let oat = o + off;
                    let oattrs = attributes(&options[oat + 1..]);
                    let v = attr(&oattrs, "value").unwrap_or("").to_owned();
                    first.get_or_insert_with(|| v.clone());
                    if attr(&oattrs, "selected").is_some() {
                        chosen = Some(v);
                    }
                    o = oat + 1;
                }
                fields.push((name.to_owned(), chosen.or(first).unwrap_or_default()));
            }
            _ => {}
        }
    }
    fields
}

fn set(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_owned(), value.to_owned()));
}

/// The index of the form's row of `list` whose `field` is `value`.
fn row(fields: &[(String, String)], list: &str, field: &str, value: &str) -> usize {
    fields
        .iter()
        .find_map(|(k, v)| {
            let rest = k.strip_prefix(&format!("{list}-"))?;
            let (i, f) = rest.split_once('-')?;
            (f == field && v == value).then(|| i.parse().ok()).flatten()
        })
        .unwrap_or_else(|| panic!("no {list} row with {field} = {value}"))
}

async fn post(c: &mut TestApp, path: &str, fields: &[(String, String)]) -> Resp {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &borrowed).await
}

async fn template(forge: &Forge) -> ProgramTemplate {
    forge
        .program("asf", "incubator")
        .await
        .expect("program")
        .template
}

#[tokio::test]
async fn owners_edit_the_template_with_forms() {
    for app in TestApp::all().await {
        let label = app.label().to_owned();
        let forge = forge_of(&app);
        let mut root = app.new_client();
        root.sign_up("siteadmin").await;
        let mut olivia = app.new_client();
        olivia.sign_up("olivia").await;
        let mut eve = app.new_client();
        eve.sign_up("eve").await;
        let mut anon = app.new_client();
        status(
            &olivia.post_form("/org/create", &[("name", "asf")]).await,
            StatusCode::SEE_OTHER,
            "org",
        );
        let r = olivia
            .post_form(
                "/asf/-/incubator/new",
                &[
                    ("name", "ASF Incubator"),
                    ("slug", "incubator"),
                    ("preset", "apache"),
                ],
            )
            .await;
        status(&r, StatusCode::SEE_OTHER, "program");

        // Only the program's owners see the forms; the settings page links to them.
        status(&eve.get(FORM).await, StatusCode::FORBIDDEN, "non-owner");
        let r = anon.get(FORM).await;
        assert_ne!(r.status, StatusCode::OK, "[{label}] anonymous");
        status(
            &eve.post_form(&format!("{FORM}/form"), &[("stage-rows", "0")])
                .await,
            StatusCode::FORBIDDEN,
            "non-owner save",
        );
        olivia
            .get(&format!("{P}/settings"))
            .await
            .assert_contains("id=\"template-forms\"");
        let page = olivia.get(FORM).await;
        status(&page, StatusCode::OK, "form page");
        for part in [
            "tf-stages",
            "tf-votes",
            "tf-sections",
            "tf-checklist",
            "tf-licenses",
            "tf-custom",
            "tf-graduation",
            "tf-terms",
        ] {
            page.assert_contains(&format!("id=\"{part}\""));
        }
        page.assert_contains("Maturity checklist");

        // Submitted unchanged, the form saves the template exactly as it was.
        let original = template(&forge).await;
        assert_eq!(original, preset(Preset::Apache), "[{label}]");
        let fields = form_fields(&page.body, "template-form-editor");
        let r = post(&mut olivia, &format!("{FORM}/form"), &fields).await;
        status(&r, StatusCode::SEE_OTHER, "unchanged");
        assert_eq!(r.location(), FORM, "[{label}]");
        assert_eq!(template(&forge).await, original, "[{label}] round trip");

        // Edits: a deadline, a new checklist item in the empty row, a license removed, the
        // proposal sections reordered, a term given.
        let mut fields = form_fields(&olivia.get(FORM).await.body, "template-form-editor");
        set(&mut fields, "vote-accept_proposal-deadline_hours", "100");
        set(&mut fields, "vote-accept_proposal-rule", "two_thirds");
        set(&mut fields, "vote-accept_proposal-basis", "electorate");
        let blank = original.checklist.len();
        set(&mut fields, &format!("item-{blank}-code"), "QU99");
        set(
            &mut fields,
            &format!("item-{blank}-text"),
            "The project has a logo.",
        );
        set(
            &mut fields,
            &format!("item-{blank}-evaluation"),
            "bus_factor",
        );
        set(&mut fields, &format!("item-{blank}-threshold"), "4");
        let first_license = original.license_policy[0].spdx.clone();
        let lic = row(&fields, "license", "spdx", &first_license);
        set(&mut fields, &format!("license-{lic}-remove"), "on");
        let last = original.proposal_sections.len() - 1;
        let moved = original.proposal_sections[last].key.clone();
        set(&mut fields, &format!("section-{last}-order"), "0");
        set(&mut fields, "cadence-due_day", "10");
        set(&mut fields, "group-0-months", "1, 5, 9");
        set(&mut fields, "term-mentor-en", "Guide");
        set(&mut fields, "term-mentor-zh", "向导");
        let r = post(&mut olivia, &format!("{FORM}/form"), &fields).await;
        status(&r, StatusCode::SEE_OTHER, "edited");
        let t = template(&forge).await;
        let accept = t.vote_rules[&VoteKind::AcceptProposal];
        assert_eq!(accept.deadline_hours, 100, "[{label}]");
        assert!(
            matches!(accept.rule, VoteRule::TwoThirds { basis, .. } if basis == hatchery_core::incubator::Basis::Electorate),
            "[{label}] {accept:?}"
        );
        let added = t.checklist.last().expect("item");
        assert_eq!(added.code, "QU99", "[{label}]");
        assert_eq!(added.text.en(), "The project has a logo.");
        assert!(matches!(
            added.evaluation,
            Evaluation::Automatic(hatchery_core::incubator::Evaluator::BusFactor { min: 4 })
        ));
        assert_eq!(t.checklist.len(), original.checklist.len() + 1);
        assert!(t.license_policy.iter().all(|l| l.spdx != first_license));
        assert_eq!(t.license_policy.len(), original.license_policy.len() - 1);
        assert_eq!(t.proposal_sections[0].key, moved, "[{label}] reordered");
        assert_eq!(t.terms["mentor"].en, "Guide");
        assert_eq!(t.terms["mentor"].zh_cn, "向导");
        let calendar = t.report_cadence.calendar.as_ref().expect("calendar kept");
        assert_eq!(calendar.due_day, 10, "[{label}]");
        assert_eq!(calendar.groups[0], vec![1, 5, 9]);
        assert_eq!(
            calendar.groups[1..],
            original
                .report_cadence
                .calendar
                .as_ref()
                .expect("apache")
                .groups[1..]
        );
        // Everything not edited stayed.
        assert_eq!(t.stages, original.stages);
        assert_eq!(t.custom_votes, original.custom_votes);

        // A broken template: refused with every problem, shown again as typed, not saved.
        let mut fields = form_fields(&olivia.get(FORM).await.body, "template-form-editor");
        let s0 = row(&fields, "stage", "key", &original.stages[0].key);
        set(&mut fields, &format!("stage-{s0}-key"), "Bad Key");
        let l0 = row(&fields, "license", "spdx", &t.license_policy[0].spdx);
        set(&mut fields, &format!("license-{l0}-spdx"), "not a licence");
        set(&mut fields, &format!("license-{l0}-category"), "restricted");
        let blank_section = t.proposal_sections.len();
        set(
            &mut fields,
            &format!("section-{blank_section}-title"),
            "A section without a key",
        );
        let r = post(&mut olivia, &format!("{FORM}/form"), &fields).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "broken");
        r.assert_contains("id=\"problems\"");
        r.assert_contains("value=\"Bad Key\"");
        r.assert_contains("value=\"not a licence\"");
        r.assert_contains("A section without a key");
        r.assert_contains("is not an SPDX license identifier");
        let problems = {
            let start = r.body.find("id=\"problems\"").expect("problems");
            let end = start + r.body[start..].find("</ul>").expect("list end");
            r.body[start..end].matches("<li>").count()
        };
        assert!(problems >= 3, "[{label}] every problem listed: {problems}");
        assert_eq!(template(&forge).await, t, "[{label}] nothing saved");

        // A number that is not one.
        let mut fields = form_fields(&olivia.get(FORM).await.body, "template-form-editor");
        set(&mut fields, "vote-graduate-deadline_hours", "a week");
        set(&mut fields, "group-1-months", "2, May");
        let r = post(&mut olivia, &format!("{FORM}/form"), &fields).await;
        status(&r, StatusCode::UNPROCESSABLE_ENTITY, "not a number");
        r.assert_contains("must be a whole number");
        r.assert_contains("Months (1 = January): May");
        assert_eq!(template(&forge).await, t, "[{label}] nothing saved");

        // Reports without the calendar: periods from each project's start.
        let mut fields = form_fields(&olivia.get(FORM).await.body, "template-form-editor");
        fields.retain(|(k, _)| k != "cadence-calendar");
        set(&mut fields, "cadence-every_months", "6");
        let r = post(&mut olivia, &format!("{FORM}/form"), &fields).await;
        status(&r, StatusCode::SEE_OTHER, "no calendar");
        let c = template(&forge).await.report_cadence;
        assert!(c.calendar.is_none(), "[{label}]");
        assert_eq!(c.every_months, 6);

        // Both languages.
        olivia.set_cookie("hatchery_lang", "zh-CN");
        let r = olivia.get(FORM).await;
        status(&r, StatusCode::OK, "zh page");
        r.assert_contains("成熟度清单");
        r.assert_contains("投票规则");
    }
}
