//! The program template as forms: stages, vote rules, the proposal form, the maturity
//! checklist, the license policy, the program's own vote kinds, graduation, the roster
//! rule and the program's words — one fieldset each, so an admin changes a deadline or
//! adds a checklist item without writing JSON. The JSON on the settings page stays for
//! import and export; both save through the same validation in the service.
//!
//! Lists are rows of inputs named `<list>-<row>-<field>`, with one empty row at the end to
//! add an item, a "remove" box per row and an order number to move rows. A refused form is
//! shown again from what was typed (the draft template), with every problem listed.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use hatchery_core::incubator::{
    Basis, Board, BoardCalendar, Cadence, ChecklistItem, CustomEffect, CustomVote, Evaluation,
    Evaluator, Graduation, LicenseCategory, LicenseRule, MentorRule, PROPOSAL_ROLES,
    ProgramTemplate, Section, Stage, TERM_KEYS, Term, Terminal, Text, VoteConfig, VoteKind,
    VoteRule, Voters,
};
use maud::{Markup, html};

use super::elections::voters_label;
use super::graduation::board_label;
use super::programs::load_owner;
use super::{
    Loaded, Problems, ProgramTab, explain, kind_label, now, problems_box, program_header, refused,
};
use crate::ctx::{Ctx, FlashKind, flash_redirect};
use crate::error::WebResult;
use crate::form::{Form, csrf_input, value};
use crate::state::AppState;
use crate::views::page;

/// Rows read at most per list: the template's own limits are lower, so a form claiming
/// more rows is refused by validation, not read without bound.
const MAX_ROWS: usize = 1_100;

/// The checks the forge runs, in the order the form offers them, with a default threshold
/// where the check has one.
const EVALUATORS: [Evaluator; 13] = [
    Evaluator::LicenseFile,
    Evaluator::ReadmePresent,
    Evaluator::ContributingPresent,
    Evaluator::CodeOfConductPresent,
    Evaluator::SecurityPolicy,
    Evaluator::GovernanceOrMaintainers,
    Evaluator::TagsOrReleases,
    Evaluator::ReleasesSignedOrDigested,
    Evaluator::RecentCommits90d,
    Evaluator::ElephantFactor { min: 2 },
    Evaluator::BusFactor { min: 2 },
    Evaluator::IssueResponseTime {
        max_median_hours: 72,
    },
    Evaluator::ReleasesApprovedByVote,
];

/// The evaluator's threshold, for the checks that have one.
fn threshold(e: Evaluator) -> Option<u32> {
    match e {
        Evaluator::ElephantFactor { min } | Evaluator::BusFactor { min } => Some(min),
        Evaluator::IssueResponseTime { max_median_hours } => Some(max_median_hours),
        Evaluator::LicenseFile
        | Evaluator::ReadmePresent
        | Evaluator::ContributingPresent
        | Evaluator::CodeOfConductPresent
        | Evaluator::SecurityPolicy
        | Evaluator::GovernanceOrMaintainers
        | Evaluator::TagsOrReleases
        | Evaluator::ReleasesSignedOrDigested
        | Evaluator::RecentCommits90d
        | Evaluator::ReleasesApprovedByVote => None,
    }
}

fn with_threshold(e: Evaluator, t: u32) -> Evaluator {
    match e {
        Evaluator::ElephantFactor { .. } => Evaluator::ElephantFactor { min: t },
        Evaluator::BusFactor { .. } => Evaluator::BusFactor { min: t },
        Evaluator::IssueResponseTime { .. } => Evaluator::IssueResponseTime {
            max_median_hours: t,
        },
        other => other,
    }
}

/// A serde-named value's name (`"two_thirds"`, `"graduated"`): the form's option values are
/// the template JSON's words, so the two never disagree.
fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => o
            .get("kind")
            .and_then(|k| k.as_str())
            .map(str::to_owned)
            .or_else(|| o.keys().next().cloned())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn from_word<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn evaluator_kind(e: Evaluator) -> String {
    word(&e)
}

fn evaluator_label(ctx: &Ctx, e: Evaluator) -> &'static str {
    ctx.t(match e {
        Evaluator::LicenseFile => "incubator.template_form.evaluators.license_file",
        Evaluator::ReadmePresent => "incubator.template_form.evaluators.readme_present",
        Evaluator::ContributingPresent => "incubator.template_form.evaluators.contributing_present",
        Evaluator::CodeOfConductPresent => {
            "incubator.template_form.evaluators.code_of_conduct_present"
        }
        Evaluator::SecurityPolicy => "incubator.template_form.evaluators.security_policy",
        Evaluator::GovernanceOrMaintainers => {
            "incubator.template_form.evaluators.governance_or_maintainers"
        }
        Evaluator::TagsOrReleases => "incubator.template_form.evaluators.tags_or_releases",
        Evaluator::ReleasesSignedOrDigested => {
            "incubator.template_form.evaluators.releases_signed_or_digested"
        }
        Evaluator::RecentCommits90d => "incubator.template_form.evaluators.recent_commits_90d",
        Evaluator::ElephantFactor { .. } => "incubator.template_form.evaluators.elephant_factor",
        Evaluator::BusFactor { .. } => "incubator.template_form.evaluators.bus_factor",
        Evaluator::IssueResponseTime { .. } => {
            "incubator.template_form.evaluators.issue_response_time"
        }
        Evaluator::ReleasesApprovedByVote => {
            "incubator.template_form.evaluators.releases_approved_by_vote"
        }
    })
}

fn terminal_label(ctx: &Ctx, t: Option<Terminal>) -> &'static str {
    ctx.t(match t {
        None => "incubator.template_form.terminal_none",
        Some(Terminal::Graduated) => "incubator.template_form.terminals.graduated",
        Some(Terminal::Retired) => "incubator.template_form.terminals.retired",
        Some(Terminal::Archived) => "incubator.template_form.terminals.archived",
        Some(Terminal::Emeritus) => "incubator.template_form.terminals.emeritus",
    })
}

const TERMINALS: [Terminal; 4] = [
    Terminal::Graduated,
    Terminal::Retired,
    Terminal::Archived,
    Terminal::Emeritus,
];

fn category_label(ctx: &Ctx, c: LicenseCategory) -> &'static str {
    ctx.t(match c {
        LicenseCategory::Allowed => "incubator.category.allowed",
        LicenseCategory::Restricted => "incubator.category.restricted",
        LicenseCategory::Forbidden => "incubator.category.forbidden",
    })
}

const CATEGORIES: [LicenseCategory; 3] = [
    LicenseCategory::Allowed,
    LicenseCategory::Restricted,
    LicenseCategory::Forbidden,
];

fn mentor_rule_label(ctx: &Ctx, r: MentorRule) -> &'static str {
    ctx.t(match r {
        MentorRule::Refuse => "incubator.template_form.mentor_rules.refuse",
        MentorRule::Warn => "incubator.template_form.mentor_rules.warn",
        MentorRule::Allow => "incubator.template_form.mentor_rules.allow",
    })
}

fn role_label(ctx: &Ctx, role: &str) -> &'static str {
    ctx.t(match role {
        "champion" => "incubator.role.champion",
        "mentor" => "incubator.role.mentor",
        "committer" => "incubator.role.committer",
        "ppmc" => "incubator.role.ppmc",
        _ => "incubator.template_form.roles.committee",
    })
}

/// The vote kinds set in `vote_rules` (custom kinds are declared apart).
fn rule_kinds() -> impl Iterator<Item = VoteKind> {
    VoteKind::ALL.into_iter().filter(|k| *k != VoteKind::Custom)
}

// ---- reading the form ----

/// The submitted pairs, and the number problems found while reading them.
struct Reader<'a> {
    pairs: &'a [(String, String)],
    bad_numbers: Vec<String>,
}

impl<'a> Reader<'a> {
    fn text(&self, name: &str) -> String {
        value(self.pairs, name).trim().to_owned()
    }

    /// A text in English (`name`) and Chinese (`name_zh`).
    fn localized(&self, name: &str) -> Text {
        Text::new(&self.text(name), &self.text(&format!("{name}_zh")))
    }

    /// A multi-line [`Reader::localized`].
    fn long_localized(&self, name: &str) -> Text {
        Text::new(
            &self.long_text(name),
            &self.long_text(&format!("{name}_zh")),
        )
    }

    /// A multi-line text: kept as typed but for line endings and outer blank lines.
    fn long_text(&self, name: &str) -> String {
        value(self.pairs, name)
            .replace("\r\n", "\n")
            .trim_matches('\n')
            .trim_end()
            .to_owned()
    }

    fn checked(&self, name: &str) -> bool {
        value(self.pairs, name) == "on"
    }

    fn number(&mut self, name: &str, label: &str) -> u32 {
        let raw = value(self.pairs, name).trim();
        if raw.is_empty() {
            return 0;
        }
        raw.parse().unwrap_or_else(|_| {
            self.bad_numbers.push(format!("{label}: {raw}"));
            0
        })
    }

    fn rows(&self, list: &str) -> usize {
        value(self.pairs, &format!("{list}-rows"))
            .parse::<usize>()
            .unwrap_or(0)
            .min(MAX_ROWS)
    }

    /// Rows of `list` that are kept, sorted by their order number (ties keep the form's
    /// order). A row is dropped when its remove box is ticked or when all its `texts` are
    /// empty (the empty row left for adding); a row with some text but no key is kept, so
    /// validation names the missing key instead of the row vanishing.
    fn kept_rows(&mut self, list: &str, texts: &[&str]) -> Vec<usize> {
        let mut rows = Vec::new();
        for i in 0..self.rows(list) {
            let p = format!("{list}-{i}-");
            if self.checked(&format!("{p}remove"))
                || texts
                    .iter()
                    .all(|f| self.text(&format!("{p}{f}")).is_empty())
            {
                continue;
            }
            let order = value(self.pairs, &format!("{p}order"))
                .trim()
                .parse::<i64>()
                .unwrap_or(i as i64 + 1);
            rows.push((order, i));
        }
        rows.sort_by_key(|&(order, i)| (order, i));
        rows.into_iter().map(|(_, i)| i).collect()
    }

    fn vote_config(&mut self, p: &str, label: &str) -> VoteConfig {
        let basis = from_word::<Basis>(&self.text(&format!("{p}basis"))).unwrap_or_default();
        let min_binding_votes = self.number(&format!("{p}min_votes"), label);
        let min_binding_plus = self.number(&format!("{p}min_plus"), label);
        let veto = self.checked(&format!("{p}veto"));
        let rule = match self.text(&format!("{p}rule")).as_str() {
            "lazy_consensus" => VoteRule::LazyConsensus,
            "two_thirds" => VoteRule::TwoThirds {
                basis,
                min_binding_votes,
                min_binding_plus,
                veto,
            },
            _ => VoteRule::Majority {
                basis,
                min_binding_votes,
                min_binding_plus,
                veto,
            },
        };
        VoteConfig {
            rule,
            min_duration_hours: self.number(&format!("{p}min_hours"), label),
            deadline_hours: self.number(&format!("{p}deadline_hours"), label),
            voters: from_word(&self.text(&format!("{p}voters"))).unwrap_or_default(),
        }
    }
}

/// The template the form describes: `current` with every part the form edits replaced.
/// Parts the form does not show are kept.
fn read_template(
    ctx: &Ctx,
    current: &ProgramTemplate,
    pairs: &[(String, String)],
) -> (ProgramTemplate, Vec<String>) {
    let mut r = Reader {
        pairs,
        bad_numbers: Vec::new(),
    };
    let mut t = current.clone();

    t.stages = r
        .kept_rows("stage", &["key", "name"])
        .into_iter()
        .map(|i| Stage {
            key: r.text(&format!("stage-{i}-key")),
            name: r.localized(&format!("stage-{i}-name")),
            terminal: from_word(&r.text(&format!("stage-{i}-terminal"))),
        })
        .collect();

    let mut rules = BTreeMap::new();
    for kind in rule_kinds() {
        let p = format!("vote-{}-", kind.as_str());
        if r.checked(&format!("{p}on")) {
            rules.insert(kind, r.vote_config(&p, kind_label(ctx, kind)));
        }
    }
    t.vote_rules = rules;
    t.discussion_min_days = r.number(
        "discussion_min_days",
        ctx.t("incubator.template_form.discussion_min_days"),
    );

    t.proposal_sections = r
        .kept_rows("section", &["key", "title", "help", "group"])
        .into_iter()
        .map(|i| {
            let p = format!("section-{i}-");
            let role = r.text(&format!("{p}people_role"));
            Section {
                key: r.text(&format!("{p}key")),
                title: r.localized(&format!("{p}title")),
                help: r.long_localized(&format!("{p}help")),
                required: r.checked(&format!("{p}required")),
                group: r.localized(&format!("{p}group")),
                people_role: Some(role).filter(|r| !r.is_empty()),
            }
        })
        .collect();

    let label = ctx.t("incubator.template_form.threshold");
    t.checklist = r
        .kept_rows("item", &["code", "text"])
        .into_iter()
        .map(|i| {
            let p = format!("item-{i}-");
            let kind = r.text(&format!("{p}evaluation"));
            let evaluation = EVALUATORS
                .into_iter()
                .find(|e| evaluator_kind(*e) == kind)
                .map_or(Evaluation::Manual, |e| {
                    let e = match threshold(e) {
                        Some(_) => with_threshold(e, r.number(&format!("{p}threshold"), label)),
                        None => e,
                    };
                    Evaluation::Automatic(e)
                });
            let stage = r.text(&format!("{p}stage"));
            ChecklistItem {
                code: r.text(&format!("{p}code")),
                text: r.long_localized(&format!("{p}text")),
                evaluation,
                stage: Some(stage).filter(|s| !s.is_empty()),
            }
        })
        .collect();

    t.license_policy = r
        .kept_rows("license", &["spdx"])
        .into_iter()
        .map(|i| LicenseRule {
            spdx: r.text(&format!("license-{i}-spdx")),
            category: from_word(&r.text(&format!("license-{i}-category")))
                .unwrap_or(LicenseCategory::Forbidden),
        })
        .collect();

    t.custom_votes = r
        .kept_rows("custom", &["key", "name"])
        .into_iter()
        .map(|i| {
            let p = format!("custom-{i}-");
            let key = r.text(&format!("{p}key"));
            let config = r.vote_config(&p, &key);
            CustomVote {
                name: r.localized(&format!("{p}name")),
                config,
                on_pass: from_word(&r.text(&format!("{p}on_pass"))).unwrap_or_default(),
                key,
            }
        })
        .collect();

    t.graduation = Graduation {
        due_diligence: r.checked("graduation-due_diligence"),
        board: from_word(&r.text("graduation-board")),
        resolution: r.checked("graduation-resolution"),
    };
    t.report_cadence = read_cadence(ctx, &mut r);
    t.roster.mentors_on_committee =
        from_word(&r.text("roster-mentors")).unwrap_or(MentorRule::Refuse);
    t.terms = TERM_KEYS
        .iter()
        .filter_map(|key| {
            let en = r.text(&format!("term-{key}-en"));
            let zh_cn = r.text(&format!("term-{key}-zh"));
            (!en.is_empty() || !zh_cn.is_empty()).then(|| ((*key).to_owned(), Term { en, zh_cn }))
        })
        .collect();
    (t, r.bad_numbers)
}

/// The report cadence: a board calendar (groups as month numbers, "1, 4, 7, 10") or
/// periods from each project's start.
fn read_cadence(ctx: &Ctx, r: &mut Reader<'_>) -> Cadence {
    let calendar = r.checked("cadence-calendar").then(|| {
        let label = ctx.t("incubator.template_form.group_months");
        let mut groups = Vec::new();
        for i in 0..r.rows("group").min(13) {
            let text = r.text(&format!("group-{i}-months"));
            if text.is_empty() {
                continue;
            }
            let mut months = Vec::new();
            for m in text.split(|c: char| c == ',' || c.is_whitespace() || c == '，') {
                if m.is_empty() {
                    continue;
                }
                match m.parse::<u8>() {
                    Ok(m) => months.push(m),
                    Err(_) => r.bad_numbers.push(format!("{label}: {m}")),
                }
            }
            groups.push(months);
        }
        BoardCalendar {
            groups,
            monthly_first: r.number(
                "cadence-monthly_first",
                ctx.t("incubator.template_form.monthly_first"),
            ),
            due_day: r.number("cadence-due_day", ctx.t("incubator.template_form.due_day")),
        }
    });
    Cadence {
        initial_monthly_reports: r.number(
            "cadence-initial_monthly",
            ctx.t("incubator.template_form.initial_monthly"),
        ),
        every_months: r.number(
            "cadence-every_months",
            ctx.t("incubator.template_form.every_months"),
        ),
        due_days_after_end: r.number(
            "cadence-due_days",
            ctx.t("incubator.template_form.due_days"),
        ),
        calendar,
    }
}

fn cadence_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let c = &t.report_cadence;
    let shown = c.calendar.clone().unwrap_or_else(BoardCalendar::apache);
    let rows = shown.groups.len() + 1;
    let number = |id: &str, name: &str, label: &str, value: u32| {
        html! {
            div.field {
                label for=(id) { (label) }
                input id=(id) type="number" min="0" name=(name) value=(value) style="max-width:8em";
            }
        }
    };
    html! {
        fieldset.card id="tf-reports" {
            legend { h3 { (ctx.t("incubator.template_form.reports")) } }
            p.muted { (ctx.t("incubator.template_form.reports_hint")) }
            label.checkbox { input type="checkbox" name="cadence-calendar" id="f-cadence-calendar" checked[c.calendar.is_some()]; " " (ctx.t("incubator.template_form.calendar")) }
            input type="hidden" name="group-rows" value=(rows);
            table.data id="tf-groups" {
                thead { tr {
                    th { (ctx.t("incubator.template_form.report_group")) }
                    th { (ctx.t("incubator.template_form.group_months")) }
                } }
                tbody {
                    @for i in 0..rows {
                        @let months = shown.groups.get(i).map(|g| g.iter().map(u8::to_string).collect::<Vec<_>>().join(", "));
                        tr {
                            td { (i + 1) }
                            td { input type="text" name=(format!("group-{i}-months")) value=[months] placeholder="1, 4, 7, 10" aria-label=(ctx.t("incubator.template_form.group_months")); }
                        }
                    }
                }
            }
            (number("f-monthly_first", "cadence-monthly_first", ctx.t("incubator.template_form.monthly_first"), shown.monthly_first))
            (number("f-due_day", "cadence-due_day", ctx.t("incubator.template_form.due_day"), shown.due_day))
            p.muted { (ctx.t("incubator.template_form.without_calendar")) }
            (number("f-initial_monthly", "cadence-initial_monthly", ctx.t("incubator.template_form.initial_monthly"), c.initial_monthly_reports))
            (number("f-every_months", "cadence-every_months", ctx.t("incubator.template_form.every_months"), c.every_months))
            (number("f-due_days", "cadence-due_days", ctx.t("incubator.template_form.due_days"), c.due_days_after_end))
        }
    }
}

// ---- the page ----

fn select_options(options: &[(String, &str)], current: &str) -> Markup {
    html! {
        @for (v, label) in options {
            option value=(v) selected[v == current] { (label) }
        }
    }
}

fn vote_fields(ctx: &Ctx, p: &str, c: &VoteConfig) -> Markup {
    let (rule, basis, min_votes, min_plus, veto) = match c.rule {
        VoteRule::Majority {
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        } => ("majority", basis, min_binding_votes, min_binding_plus, veto),
        VoteRule::TwoThirds {
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        } => (
            "two_thirds",
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        ),
        VoteRule::LazyConsensus => ("lazy_consensus", Basis::default(), 0, 0, true),
    };
    let rules = [
        (
            "majority".to_owned(),
            ctx.t("incubator.template_form.rules.majority"),
        ),
        (
            "two_thirds".to_owned(),
            ctx.t("incubator.template_form.rules.two_thirds"),
        ),
        (
            "lazy_consensus".to_owned(),
            ctx.t("incubator.template_form.rules.lazy_consensus"),
        ),
    ];
    let bases = [
        (
            word(&Basis::Cast),
            ctx.t("incubator.template_form.bases.cast"),
        ),
        (
            word(&Basis::Electorate),
            ctx.t("incubator.template_form.bases.electorate"),
        ),
    ];
    let voters: Vec<(String, &str)> = Voters::ALL
        .into_iter()
        .map(|v| (v.as_str().to_owned(), voters_label(ctx, v)))
        .collect();
    html! {
        td { select name=(format!("{p}rule")) aria-label=(ctx.t("incubator.template_form.rule")) { (select_options(&rules, rule)) } }
        td { select name=(format!("{p}basis")) aria-label=(ctx.t("incubator.template_form.basis")) { (select_options(&bases, &word(&basis))) } }
        td { input type="number" min="0" name=(format!("{p}min_votes")) value=(min_votes) aria-label=(ctx.t("incubator.template_form.min_votes")); }
        td { input type="number" min="0" name=(format!("{p}min_plus")) value=(min_plus) aria-label=(ctx.t("incubator.template_form.min_plus")); }
        td { input type="checkbox" name=(format!("{p}veto")) checked[veto] aria-label=(ctx.t("incubator.template_form.veto")); }
        td { input type="number" min="0" name=(format!("{p}min_hours")) value=(c.min_duration_hours) aria-label=(ctx.t("incubator.template_form.min_hours")); }
        td { input type="number" min="1" name=(format!("{p}deadline_hours")) value=(c.deadline_hours) aria-label=(ctx.t("incubator.template_form.deadline_hours")); }
        td { select name=(format!("{p}voters")) aria-label=(ctx.t("incubator.template_form.voters")) { (select_options(&voters, c.voters.as_str())) } }
    }
}

fn vote_headers(ctx: &Ctx) -> Markup {
    html! {
        th { (ctx.t("incubator.template_form.rule")) }
        th { (ctx.t("incubator.template_form.basis")) }
        th { (ctx.t("incubator.template_form.min_votes")) }
        th { (ctx.t("incubator.template_form.min_plus")) }
        th { (ctx.t("incubator.template_form.veto")) }
        th { (ctx.t("incubator.template_form.min_hours")) }
        th { (ctx.t("incubator.template_form.deadline_hours")) }
        th { (ctx.t("incubator.template_form.voters")) }
    }
}

/// The order and remove cells of a row; the empty row (`None`) gets neither a remove box
/// nor a number, so it lands last.
fn row_controls(ctx: &Ctx, list: &str, i: usize, existing: bool) -> Markup {
    html! {
        td.order-cell {
            input type="number" name=(format!("{list}-{i}-order")) value=[existing.then_some(i + 1)]
                aria-label=(ctx.t("incubator.template_form.order")) style="width:4.5em";
        }
        td {
            @if existing {
                label.checkbox { input type="checkbox" name=(format!("{list}-{i}-remove")); " " (ctx.t("incubator.template_form.remove")) }
            } @else {
                span.muted { (ctx.t("incubator.template_form.new_row")) }
            }
        }
    }
}

/// A one-line text's inputs: English, and Chinese below it (`name_zh`).
fn localized_input(ctx: &Ctx, name: &str, text: Option<&Text>, label: &str) -> Markup {
    let zh_label = ctx.tf("incubator.template_form.in_chinese", &[("field", label)]);
    html! {
        input type="text" name=(name) value=[text.map(|t| &t.en)] placeholder=(label) aria-label=(label);
        input.zh type="text" lang="zh-CN" name=(format!("{name}_zh")) value=[text.and_then(|t| t.zh_cn.as_ref())] placeholder=(zh_label) aria-label=(zh_label);
    }
}

/// A multi-line text's boxes: English, and Chinese below it (`name_zh`).
fn localized_textarea(ctx: &Ctx, name: &str, text: Option<&Text>, label: &str) -> Markup {
    let zh_label = ctx.tf("incubator.template_form.in_chinese", &[("field", label)]);
    html! {
        textarea name=(name) rows="2" placeholder=(label) aria-label=(label) { (text.map_or("", |t| t.en.as_str())) }
        textarea.zh lang="zh-CN" name=(format!("{name}_zh")) rows="2" placeholder=(zh_label) aria-label=(zh_label) { (text.and_then(|t| t.zh_cn.as_deref()).unwrap_or("")) }
    }
}

fn stages_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let mut terminals = vec![(String::new(), terminal_label(ctx, None))];
    terminals.extend(
        TERMINALS
            .into_iter()
            .map(|k| (word(&k), terminal_label(ctx, Some(k)))),
    );
    let rows = t.stages.len() + 1;
    html! {
        fieldset.card id="tf-stages" {
            legend { h3 { (ctx.t("incubator.template_form.stages")) } }
            p.muted { (ctx.t("incubator.template_form.stages_hint")) }
            input type="hidden" name="stage-rows" value=(rows);
            div.table-scroll { table.data {
                thead { tr {
                    th { (ctx.t("incubator.template_form.order")) } th {}
                    th { (ctx.t("incubator.template_form.key")) }
                    th { (ctx.t("incubator.template_form.name")) }
                    th { (ctx.t("incubator.template_form.terminal")) }
                } }
                tbody {
                    @for i in 0..rows {
                        @let s = t.stages.get(i);
                        tr {
                            (row_controls(ctx, "stage", i, s.is_some()))
                            td { input type="text" name=(format!("stage-{i}-key")) value=[s.map(|s| &s.key)] aria-label=(ctx.t("incubator.template_form.key")) size="14"; }
                            td { (localized_input(ctx, &format!("stage-{i}-name"), s.map(|s| &s.name), ctx.t("incubator.template_form.name"))) }
                            td { select name=(format!("stage-{i}-terminal")) aria-label=(ctx.t("incubator.template_form.terminal")) {
                                (select_options(&terminals, &s.and_then(|s| s.terminal).map(|k| word(&k)).unwrap_or_default()))
                            } }
                        }
                    }
                }
            } }
        }
    }
}

fn votes_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let fallback = VoteConfig {
        rule: VoteRule::Majority {
            basis: Basis::default(),
            min_binding_votes: 3,
            min_binding_plus: 3,
            veto: false,
        },
        min_duration_hours: 72,
        deadline_hours: 168,
        voters: Voters::default(),
    };
    html! {
        fieldset.card id="tf-votes" {
            legend { h3 { (ctx.t("incubator.template_form.votes")) } }
            p.muted { (ctx.t("incubator.template_form.votes_hint")) }
            div.table-scroll { table.data {
                thead { tr {
                    th { (ctx.t("incubator.template_form.vote_kind")) }
                    th { (ctx.t("incubator.template_form.vote_on")) }
                    (vote_headers(ctx))
                } }
                tbody {
                    @for kind in rule_kinds() {
                        @let p = format!("vote-{}-", kind.as_str());
                        @let config = t.vote_rules.get(&kind);
                        tr {
                            td { (kind_label(ctx, kind)) }
                            td { input type="checkbox" name=(format!("{p}on")) checked[config.is_some()] aria-label=(ctx.t("incubator.template_form.vote_on")); }
                            (vote_fields(ctx, &p, config.unwrap_or(&fallback)))
                        }
                    }
                }
            } }
            div.field {
                label for="f-discussion" { (ctx.t("incubator.template_form.discussion_min_days")) }
                input id="f-discussion" type="number" min="0" name="discussion_min_days" value=(t.discussion_min_days);
            }
        }
    }
}

fn sections_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let mut roles = vec![(String::new(), ctx.t("incubator.template_form.typed"))];
    roles.extend(
        PROPOSAL_ROLES
            .iter()
            .map(|r| ((*r).to_owned(), role_label(ctx, r))),
    );
    let rows = t.proposal_sections.len() + 1;
    html! {
        fieldset.card id="tf-sections" {
            legend { h3 { (ctx.t("incubator.template_form.sections")) } }
            p.muted { (ctx.t("incubator.template_form.sections_hint")) }
            input type="hidden" name="section-rows" value=(rows);
            @for i in 0..rows {
                @let s = t.proposal_sections.get(i);
                div.template-row id=(format!("tf-section-{i}")) {
                    div.table-scroll { table.data { tbody { tr {
                        (row_controls(ctx, "section", i, s.is_some()))
                        td { input type="text" name=(format!("section-{i}-key")) value=[s.map(|s| &s.key)] placeholder=(ctx.t("incubator.template_form.key")) aria-label=(ctx.t("incubator.template_form.key")) size="14"; }
                        td { (localized_input(ctx, &format!("section-{i}-title"), s.map(|s| &s.title), ctx.t("incubator.template_form.title_field"))) }
                        td { (localized_input(ctx, &format!("section-{i}-group"), s.map(|s| &s.group), ctx.t("incubator.template_form.group"))) }
                        td { select name=(format!("section-{i}-people_role")) aria-label=(ctx.t("incubator.template_form.people_role")) {
                            (select_options(&roles, s.and_then(|s| s.people_role.as_deref()).unwrap_or("")))
                        } }
                        td { label.checkbox { input type="checkbox" name=(format!("section-{i}-required")) checked[s.is_some_and(|s| s.required)]; " " (ctx.t("incubator.template_form.required")) } }
                    } } } }
                    (localized_textarea(ctx, &format!("section-{i}-help"), s.map(|s| &s.help), ctx.t("incubator.template_form.help")))
                }
            }
        }
    }
}

fn checklist_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let mut evaluations = vec![("manual".to_owned(), ctx.t("incubator.template_form.manual"))];
    evaluations.extend(
        EVALUATORS
            .into_iter()
            .map(|e| (evaluator_kind(e), evaluator_label(ctx, e))),
    );
    let mut stages = vec![(String::new(), ctx.t("incubator.template_form.any_stage"))];
    stages.extend(
        t.stages
            .iter()
            .map(|s| (s.key.clone(), s.name.get(ctx.lang.tag()))),
    );
    let rows = t.checklist.len() + 1;
    html! {
        fieldset.card id="tf-checklist" {
            legend { h3 { (ctx.t("incubator.template_form.checklist")) } }
            p.muted { (ctx.t("incubator.template_form.checklist_hint")) }
            input type="hidden" name="item-rows" value=(rows);
            div.table-scroll { table.data {
                thead { tr {
                    th { (ctx.t("incubator.template_form.order")) } th {}
                    th { (ctx.t("incubator.template_form.code")) }
                    th { (ctx.t("incubator.template_form.text")) }
                    th { (ctx.t("incubator.template_form.evaluation")) }
                    th { (ctx.t("incubator.template_form.threshold")) }
                    th { (ctx.t("incubator.template_form.stage")) }
                } }
                tbody {
                    @for i in 0..rows {
                        @let item = t.checklist.get(i);
                        @let (kind, limit) = match item.map(|c| c.evaluation) {
                            Some(Evaluation::Automatic(e)) => (evaluator_kind(e), threshold(e)),
                            _ => ("manual".to_owned(), None),
                        };
                        tr {
                            (row_controls(ctx, "item", i, item.is_some()))
                            td { input type="text" name=(format!("item-{i}-code")) value=[item.map(|c| &c.code)] aria-label=(ctx.t("incubator.template_form.code")) size="8"; }
                            td { (localized_textarea(ctx, &format!("item-{i}-text"), item.map(|c| &c.text), ctx.t("incubator.template_form.text"))) }
                            td { select name=(format!("item-{i}-evaluation")) aria-label=(ctx.t("incubator.template_form.evaluation")) { (select_options(&evaluations, &kind)) } }
                            td { input type="number" min="0" name=(format!("item-{i}-threshold")) value=[limit] aria-label=(ctx.t("incubator.template_form.threshold")) style="width:5em"; }
                            td { select name=(format!("item-{i}-stage")) aria-label=(ctx.t("incubator.template_form.stage")) {
                                (select_options(&stages, item.and_then(|c| c.stage.as_deref()).unwrap_or("")))
                            } }
                        }
                    }
                }
            } }
        }
    }
}

fn licenses_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let categories: Vec<(String, &str)> = CATEGORIES
        .into_iter()
        .map(|c| (word(&c), category_label(ctx, c)))
        .collect();
    let rows = t.license_policy.len() + 1;
    html! {
        fieldset.card id="tf-licenses" {
            legend { h3 { (ctx.t("incubator.template_form.licenses")) } }
            p.muted { (ctx.t("incubator.template_form.licenses_hint")) }
            input type="hidden" name="license-rows" value=(rows);
            div.table-scroll { table.data {
                thead { tr {
                    th { (ctx.t("incubator.template_form.order")) } th {}
                    th { (ctx.t("incubator.template_form.spdx")) }
                    th { (ctx.t("incubator.template_form.category")) }
                } }
                tbody {
                    @for i in 0..rows {
                        @let rule = t.license_policy.get(i);
                        tr {
                            (row_controls(ctx, "license", i, rule.is_some()))
                            td { input type="text" name=(format!("license-{i}-spdx")) value=[rule.map(|r| &r.spdx)] aria-label=(ctx.t("incubator.template_form.spdx")); }
                            td { select name=(format!("license-{i}-category")) aria-label=(ctx.t("incubator.template_form.category")) {
                                (select_options(&categories, &rule.map(|r| word(&r.category)).unwrap_or_else(|| word(&LicenseCategory::Allowed))))
                            } }
                        }
                    }
                }
            } }
        }
    }
}

fn custom_votes_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let effects = [
        (
            word(&CustomEffect::Nothing),
            ctx.t("incubator.template_form.effects.nothing"),
        ),
        (
            word(&CustomEffect::Record),
            ctx.t("incubator.template_form.effects.record"),
        ),
    ];
    let blank = VoteConfig {
        rule: VoteRule::LazyConsensus,
        min_duration_hours: 72,
        deadline_hours: 168,
        voters: Voters::ProjectPmc,
    };
    let rows = t.custom_votes.len() + 1;
    html! {
        fieldset.card id="tf-custom" {
            legend { h3 { (ctx.t("incubator.template_form.custom_votes")) } }
            p.muted { (ctx.t("incubator.template_form.custom_votes_hint")) }
            input type="hidden" name="custom-rows" value=(rows);
            div.table-scroll { table.data {
                thead { tr {
                    th { (ctx.t("incubator.template_form.order")) } th {}
                    th { (ctx.t("incubator.template_form.key")) }
                    th { (ctx.t("incubator.template_form.name")) }
                    (vote_headers(ctx))
                    th { (ctx.t("incubator.template_form.on_pass")) }
                } }
                tbody {
                    @for i in 0..rows {
                        @let v = t.custom_votes.get(i);
                        @let p = format!("custom-{i}-");
                        tr {
                            (row_controls(ctx, "custom", i, v.is_some()))
                            td { input type="text" name=(format!("{p}key")) value=[v.map(|v| &v.key)] aria-label=(ctx.t("incubator.template_form.key")) size="12"; }
                            td { (localized_input(ctx, &format!("{p}name"), v.map(|v| &v.name), ctx.t("incubator.template_form.name"))) }
                            (vote_fields(ctx, &p, v.map_or(&blank, |v| &v.config)))
                            td { select name=(format!("{p}on_pass")) aria-label=(ctx.t("incubator.template_form.on_pass")) {
                                (select_options(&effects, &word(&v.map_or(CustomEffect::Nothing, |v| v.on_pass))))
                            } }
                        }
                    }
                }
            } }
        }
    }
}

fn people_fieldset(ctx: &Ctx, t: &ProgramTemplate) -> Markup {
    let mut boards = vec![(String::new(), ctx.t("incubator.template_form.board_none"))];
    boards.extend(
        Board::ALL
            .into_iter()
            .map(|b| (b.as_str().to_owned(), board_label(ctx, b))),
    );
    let mentors: Vec<(String, &str)> = MentorRule::ALL
        .into_iter()
        .map(|r| (r.as_str().to_owned(), mentor_rule_label(ctx, r)))
        .collect();
    let g = t.graduation;
    html! {
        fieldset.card id="tf-graduation" {
            legend { h3 { (ctx.t("incubator.template_form.graduation")) } }
            div.stack {
                label.checkbox { input type="checkbox" name="graduation-due_diligence" checked[g.due_diligence]; " " (ctx.t("incubator.template_form.due_diligence")) }
                div.field {
                    label for="f-board" { (ctx.t("incubator.template_form.board")) }
                    select id="f-board" name="graduation-board" { (select_options(&boards, g.board.map(Board::as_str).unwrap_or(""))) }
                }
                label.checkbox { input type="checkbox" name="graduation-resolution" checked[g.resolution]; " " (ctx.t("incubator.template_form.resolution")) }
                div.field {
                    label for="f-mentors" { (ctx.t("incubator.template_form.mentors")) }
                    select id="f-mentors" name="roster-mentors" { (select_options(&mentors, t.roster.mentors_on_committee.as_str())) }
                }
            }
        }
        fieldset.card id="tf-terms" {
            legend { h3 { (ctx.t("incubator.template_form.terms")) } }
            p.muted { (ctx.t("incubator.template_form.terms_hint")) }
            table.data {
                thead { tr {
                    th { (ctx.t("incubator.template_form.term")) }
                    th { "English" }
                    th { "中文" }
                } }
                tbody {
                    @for key in TERM_KEYS {
                        @let term = t.terms.get(key);
                        tr {
                            td { (role_label(ctx, key)) }
                            td { input type="text" name=(format!("term-{key}-en")) value=[term.map(|t| &t.en)] lang="en" aria-label=(format!("{} (English)", role_label(ctx, key))); }
                            td { input type="text" name=(format!("term-{key}-zh")) value=[term.map(|t| &t.zh_cn)] lang="zh-CN" aria-label=(format!("{} (中文)", role_label(ctx, key))); }
                        }
                    }
                }
            }
        }
    }
}

fn template_page(ctx: &Ctx, l: &Loaded, t: &ProgramTemplate, problems: &Problems) -> Markup {
    let base = l.base();
    let parts = [
        ("tf-stages", "incubator.template_form.stages"),
        ("tf-votes", "incubator.template_form.votes"),
        ("tf-sections", "incubator.template_form.sections"),
        ("tf-checklist", "incubator.template_form.checklist"),
        ("tf-licenses", "incubator.template_form.licenses"),
        ("tf-custom", "incubator.template_form.custom_votes"),
        ("tf-reports", "incubator.template_form.reports"),
        ("tf-graduation", "incubator.template_form.graduation"),
        ("tf-terms", "incubator.template_form.terms"),
    ];
    page(
        ctx,
        &format!(
            "{} · {}",
            ctx.t("incubator.template_form.title"),
            l.program.name
        ),
        html! {
            (program_header(ctx, l, ProgramTab::Settings))
            h3 { (ctx.t("incubator.template_form.title")) }
            p.muted {
                (ctx.t("incubator.template_form.intro")) " "
                a href=(format!("{base}/settings#template-settings")) { (ctx.t("incubator.template_form.json_link")) }
            }
            nav.template-parts {
                @for (id, key) in parts { a href=(format!("#{id}")) { (ctx.t(key)) } " " }
            }
            (problems_box(ctx, problems))
            form.stack method="post" action=(format!("{base}/settings/template/form")) id="template-form-editor" novalidate {
                (csrf_input(ctx))
                (stages_fieldset(ctx, t))
                (votes_fieldset(ctx, t))
                (sections_fieldset(ctx, t))
                (checklist_fieldset(ctx, t))
                (licenses_fieldset(ctx, t))
                (custom_votes_fieldset(ctx, t))
                (cadence_fieldset(ctx, t))
                (people_fieldset(ctx, t))
                div.form-actions { button.btn.btn-primary type="submit" id="template-form-save" { (ctx.t("incubator.save_template")) } }
            }
        },
    )
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
) -> WebResult<Markup> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    Ok(template_page(
        &ctx,
        &l,
        &l.program.template,
        &Problems::none(),
    ))
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((org, slug)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let l = load_owner(&state, &ctx, &org, &slug).await?;
    let (draft, bad_numbers) = read_template(&ctx, &l.program.template, &pairs);
    if !bad_numbers.is_empty() {
        let mut p = Problems::none();
        for n in bad_numbers {
            p.list.push(ctx.tf(
                "incubator.template_form.not_a_number",
                &[("field", n.as_str())],
            ));
        }
        return Ok(refused(template_page(&ctx, &l, &draft, &p)));
    }
    match state
        .forge
        .update_program_template(ctx.actor(), &l.program, draft.clone(), now())
        .await
    {
        Ok(p) => Ok(flash_redirect(
            &ctx,
            FlashKind::Success,
            "incubator.flash.template_saved",
            &format!("{}/settings/template", super::base(&p)),
        )),
        Err(e) => {
            let p = explain(&ctx, e)?;
            Ok(refused(template_page(&ctx, &l, &draft, &p)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_evaluator_is_offered_once() {
        let kinds: std::collections::HashSet<String> =
            EVALUATORS.into_iter().map(evaluator_kind).collect();
        assert_eq!(kinds.len(), EVALUATORS.len());
        for preset in hatchery_core::incubator::Preset::ALL {
            for item in hatchery_core::incubator::preset(preset).checklist {
                if let Evaluation::Automatic(e) = item.evaluation {
                    assert!(kinds.contains(&evaluator_kind(e)), "{e:?} not offered");
                }
            }
        }
    }

    #[test]
    fn words_are_the_json_words() {
        assert_eq!(word(&Terminal::Graduated), "graduated");
        assert_eq!(word(&LicenseCategory::Restricted), "restricted");
        assert_eq!(
            evaluator_kind(Evaluator::RecentCommits90d),
            "recent_commits_90d"
        );
        assert_eq!(
            evaluator_kind(Evaluator::BusFactor { min: 3 }),
            "bus_factor"
        );
        assert_eq!(from_word::<Terminal>("retired"), Some(Terminal::Retired));
        assert_eq!(from_word::<Terminal>(""), None);
    }
}
