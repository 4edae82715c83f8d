//! Reports: one per period of the program's cadence, due some days after it ends, with the
//! sections of the program's report template; a draft is prefilled with figures from the
//! forge (commits, contributors, issues opened and closed), submitted by the project, and
//! signed off by a mentor or the committee (required where the program says so). Reports
//! not submitted by their due date are overdue.
//!
//! Figures come from [`super::health`]. A report keeps them twice: over the project's
//! public repositories and over all of them; [`Forge::report_figures`] shows the second
//! only to those who may read every private one, so a private repository contributes
//! figures only to its readers. The text prefilled into a section, which everyone reading
//! the report sees, counts public repositories only.

use std::collections::BTreeMap;

use hatchery_core::incubator::{
    Preset, ROLE_COMMITTER, ROLE_PPMC, Section, Text, current_period, reports_due,
};
use hatchery_core::{Action, Actor};
use hatchery_store::{Program, Project, Repo, Report, ReportState, ReportTemplate, Signoff};
use serde::{Deserialize, Serialize};

use super::health::PeriodMetrics;
use super::{IncubatorError, NOTE_MAX, Subject, TEXT_MAX, field, text, user_id};
use crate::Forge;

/// What a report's `metrics` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredMetrics {
    computed_at: i64,
    /// Over the public repositories: what everyone may see.
    public: PeriodMetrics,
    /// Over all the project's repositories.
    all: PeriodMetrics,
    /// The private repositories `all` includes.
    private_repo_ids: Vec<i64>,
}

/// A report past its due date.
#[derive(Debug, Clone)]
pub struct OverdueReport {
    pub project: Project,
    pub report: Report,
    /// Submitted, but the sign-off the program requires is missing.
    pub awaiting_signoff: bool,
}

/// A report section with its title and help in English and Chinese.
fn section(key: &str, title: (&str, &str), help: (&str, &str)) -> Section {
    Section {
        key: key.into(),
        title: Text::new(title.0, title.1),
        help: Text::new(help.0, help.1),
        required: false,
        group: Text::default(),
        people_role: None,
    }
}

/// The report template each preset starts with: Apache's podling report (its questions as
/// the Incubator's report template asks them, with a mentor's sign-off required) or an
/// annual review.
pub fn report_template_preset(p: Preset) -> ReportTemplate {
    const NONE: (&str, &str) = ("", "");
    match p {
        Preset::Apache => ReportTemplate {
            sections: vec![
                section(
                    "three_issues",
                    (
                        "Three most important unfinished issues to address before graduating",
                        "毕业前需要解决的三个最重要的未完成事项",
                    ),
                    NONE,
                ),
                section(
                    "committee_issues",
                    (
                        "Are there any issues that the IPMC or ASF Board need to be aware of?",
                        "是否有需要孵化器项目管理委员会（IPMC）或 ASF 董事会知悉的问题？",
                    ),
                    (
                        "Anything the committee or the board should know or act on.",
                        "委员会或董事会应当知道或需要处理的任何事项。",
                    ),
                ),
                section(
                    "community",
                    (
                        "How has the community developed since the last report?",
                        "自上次报告以来，社区有哪些发展？",
                    ),
                    NONE,
                ),
                section(
                    "development",
                    (
                        "How has the project developed since the last report?",
                        "自上次报告以来，项目有哪些进展？",
                    ),
                    NONE,
                ),
                section(
                    "maturity",
                    (
                        "How would you assess the podling's maturity?",
                        "你如何评估孵化项目的成熟度？",
                    ),
                    (
                        "Initial setup; working towards first release; community building; nearing graduation; other.",
                        "初始搭建；筹备首次发布；社区建设；接近毕业；其他。",
                    ),
                ),
                section(
                    "last_release",
                    ("Date of last release", "最近一次发布的日期"),
                    NONE,
                ),
                section(
                    "last_election",
                    (
                        "When were the last committers or PPMC members elected?",
                        "最近一次选举提交者或 PPMC 成员是在什么时候？",
                    ),
                    NONE,
                ),
                section(
                    "mentors_helpful",
                    (
                        "Have your mentors been helpful and responsive?",
                        "导师是否提供了帮助并及时回应？",
                    ),
                    NONE,
                ),
                section(
                    "brand",
                    (
                        "Is the PPMC managing the podling's brand / trademarks?",
                        "PPMC 是否在管理孵化项目的品牌和商标？",
                    ),
                    (
                        "Whether the name search is done, how the name and logo are used by others (products, events, domains), and any issue the PPMC has addressed.",
                        "名称检索是否已完成，他人（产品、活动、域名）如何使用项目名称和标志，以及 PPMC 已处理过的问题。",
                    ),
                ),
                section(
                    "shepherd_notes",
                    ("IPMC/Shepherd notes", "IPMC／审阅人（Shepherd）备注"),
                    (
                        "For the IPMC members and shepherds who review the report; the podling leaves it empty.",
                        "供审阅本报告的 IPMC 成员和审阅人填写；孵化项目本身请留空。",
                    ),
                ),
            ],
            signoff_required: true,
        },
        Preset::Cncf | Preset::LfAiData => ReportTemplate {
            sections: vec![
                section(
                    "summary",
                    ("Summary", "概述"),
                    ("Where the project stands.", "项目目前的状况。"),
                ),
                section(
                    "adoption",
                    ("Adoption", "采用情况"),
                    (
                        "Who uses the project, and how.",
                        "谁在使用本项目，以及如何使用。",
                    ),
                ),
                section("development", ("Development", "开发进展"), NONE),
                section(
                    "community",
                    ("Community and governance", "社区与治理"),
                    (
                        "Maintainers and their organizations, governance changes.",
                        "维护者及其所属组织，治理方面的变化。",
                    ),
                ),
                section("next_steps", ("Plans for the next year", "来年计划"), NONE),
            ],
            signoff_required: false,
        },
        Preset::Blank => ReportTemplate {
            sections: vec![
                section("summary", ("Summary", "概述"), NONE),
                section("development", ("Development", "开发进展"), NONE),
                section("community", ("Community", "社区"), NONE),
            ],
            signoff_required: false,
        },
    }
}

/// The section that gets the figures' summary: `development`, or the first whose key
/// mentions it.
fn figures_section(template: &ReportTemplate) -> Option<&str> {
    template
        .sections
        .iter()
        .find(|s| s.key == "development")
        .or_else(|| {
            template
                .sections
                .iter()
                .find(|s| s.key.contains("development") || s.key.contains("activity"))
        })
        .map(|s| s.key.as_str())
}

impl Forge {
    /// The project's activity in `[from_ms, to_ms)` over the repositories `actor` may read.
    pub async fn project_figures(
        &self,
        actor: Actor,
        project: &Project,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<PeriodMetrics, IncubatorError> {
        let repos = self.project_repos(actor, project).await?;
        Ok(self.period_metrics(&repos, from_ms, to_ms).await?)
    }

    /// Creates the project's reports that are due by `now` (and the one of the current
    /// period, to draft ahead) from the program's cadence (its board calendar, in the
    /// project's reporting group, or periods from the project's start); idempotent. Returns all its
    /// reports, oldest first.
    pub async fn ensure_reports(
        &self,
        program: &Program,
        project: &Project,
        now: i64,
    ) -> Result<Vec<Report>, IncubatorError> {
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        let cadence = &program.template.report_cadence;
        let group = program.reporting_group_of(project).unwrap_or(1);
        let until = project.ended_at.map_or(now, |end| end.min(now));
        let mut periods = reports_due(cadence, group, project.started_at, until);
        if project.ended_at.is_none()
            && let Some(current) = current_period(cadence, group, project.started_at, now)
            && !periods.contains(&current)
        {
            periods.push(current);
        }
        let sections: BTreeMap<String, String> = program
            .report_template
            .sections
            .iter()
            .map(|s| (s.key.clone(), String::new()))
            .collect();
        for p in periods {
            self.store
                .ensure_report(project.id, p.start_ms, p.end_ms, p.due_ms, &sections, now)
                .await?;
        }
        Ok(self.store.reports_of_project(project.id).await?)
    }

    /// Report `id` of the project.
    pub async fn report(&self, project: &Project, id: i64) -> Result<Report, IncubatorError> {
        self.store
            .report_by_id(id)
            .await?
            .filter(|r| r.project_id == project.id)
            .ok_or(IncubatorError::NotFound)
    }

    pub async fn report_signoffs(&self, report: &Report) -> Result<Vec<Signoff>, IncubatorError> {
        Ok(self.store.report_signoffs(report.id).await?)
    }

    /// Fills a draft with the period's figures (kept per repository) and, in its empty
    /// development section, a summary of the public repositories' figures in the words
    /// `summarize` gives them (the caller's language). The project's roster and the
    /// committee only.
    pub async fn prefill_report(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        report: &Report,
        summarize: &(dyn Fn(&PeriodMetrics) -> String + Sync),
        now: i64,
    ) -> Result<Report, IncubatorError> {
        self.authorize_report(actor, Action::EditReport, program, project, report)
            .await?;
        if report.state != ReportState::Draft {
            return Err(field("state", "only a draft can be prefilled"));
        }
        let repos = self.store.project_repos(project.id).await?;
        let public_repos: Vec<Repo> = repos.iter().filter(|r| !r.is_private).cloned().collect();
        let all = self
            .period_metrics(&repos, report.period_start, report.period_end)
            .await?;
        let public = self
            .period_metrics(&public_repos, report.period_start, report.period_end)
            .await?;
        let mut sections = report.sections.clone();
        for s in &program.report_template.sections {
            sections.entry(s.key.clone()).or_default();
        }
        if let Some(key) = figures_section(&program.report_template)
            && sections.get(key).is_none_or(|v| v.trim().is_empty())
        {
            sections.insert(key.to_owned(), summarize(&public));
        }
        self.prefill_known_sections(program, project, &public_repos, &mut sections)
            .await?;
        let metrics = serde_json::to_value(StoredMetrics {
            computed_at: now,
            private_repo_ids: repos
                .iter()
                .filter(|r| r.is_private)
                .map(|r| r.id)
                .collect(),
            public,
            all,
        })
        .map_err(|e| field("metrics", e.to_string()))?;
        Ok(self
            .store
            .update_report(report.id, report.version, &sections, Some(&metrics), now)
            .await?)
    }

    /// Fills the empty sections the forge can answer: Apache's `last_release` (the newest
    /// published release of the project's public repositories: tag, name, date,
    /// repository) and `last_election` (the newest committers and PPMC members added
    /// after acceptance, with their dates). Names, tags and dates only: no sentences.
    async fn prefill_known_sections(
        &self,
        program: &Program,
        project: &Project,
        public_repos: &[Repo],
        sections: &mut BTreeMap<String, String>,
    ) -> Result<(), IncubatorError> {
        let empty = |sections: &BTreeMap<String, String>, key: &str| {
            program
                .report_template
                .sections
                .iter()
                .any(|s| s.key == key)
                && sections.get(key).is_none_or(|v| v.trim().is_empty())
        };
        if empty(sections, "last_release") {
            let mut newest: Option<(i64, String)> = None;
            for repo in public_repos {
                if let Some(r) = self.store.newest_published_release(repo.id).await?
                    && let Some(at) = r.published_at
                    && newest.as_ref().is_none_or(|(t, _)| at > *t)
                {
                    let name = if r.title.trim().is_empty() || r.title == r.tag_name {
                        format!("`{}`", r.tag_name)
                    } else {
                        format!("`{}` ({})", r.tag_name, r.title.trim())
                    };
                    newest = Some((
                        at,
                        format!(
                            "{name}, {} — {}/{}",
                            super::export::date(at),
                            repo.owner_name,
                            repo.name
                        ),
                    ));
                }
            }
            if let Some((_, text)) = newest {
                sections.insert("last_release".into(), text);
            }
        }
        if empty(sections, "last_election") {
            let roster = self.store.project_roster(project.id).await?;
            let mut elected: Vec<_> = roster
                .iter()
                .filter(|r| {
                    (r.role == ROLE_COMMITTER || r.role == ROLE_PPMC)
                        && r.started_at > project.started_at
                })
                .collect();
            elected.sort_by_key(|r| std::cmp::Reverse(r.started_at));
            let lines: Vec<String> = elected
                .iter()
                .take(5)
                .map(|r| {
                    let role = program.template.term(&r.role, "en").unwrap_or(&r.role);
                    format!(
                        "- {} ({role}), {}",
                        r.name,
                        super::export::date(r.started_at)
                    )
                })
                .collect();
            if !lines.is_empty() {
                sections.insert("last_election".into(), lines.join("\n"));
            }
        }
        Ok(())
    }

    /// The figures stored with a report: over all the project's repositories for those
    /// who may read each private one, over the public ones for everyone else; `None`
    /// before the report was prefilled.
    pub async fn report_figures(
        &self,
        actor: Actor,
        report: &Report,
    ) -> Result<Option<PeriodMetrics>, IncubatorError> {
        let Ok(stored) = serde_json::from_value::<StoredMetrics>(report.metrics.clone()) else {
            return Ok(None);
        };
        for id in &stored.private_repo_ids {
            let readable = match self.store.repo_by_id(*id).await? {
                Some(repo) => self.may_read_repo(actor, &repo).await?,
                // Deleted since: its figures stay with those who could see everything.
                None => false,
            };
            if !readable {
                return Ok(Some(stored.public));
            }
        }
        Ok(Some(stored.all))
    }

    /// Saves a draft's sections made from `version`; only the template's sections. The
    /// project's roster and the committee only.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_report(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        report: &Report,
        version: i64,
        sections: &BTreeMap<String, String>,
        now: i64,
    ) -> Result<Report, IncubatorError> {
        self.authorize_report(actor, Action::EditReport, program, project, report)
            .await?;
        let mut clean = BTreeMap::new();
        for (key, value) in sections {
            if program
                .report_template
                .sections
                .iter()
                .all(|s| &s.key != key)
            {
                return Err(field(
                    "sections",
                    format!("the program's report has no section {key:?}"),
                ));
            }
            clean.insert(key.clone(), text("sections", value, TEXT_MAX)?);
        }
        Ok(self
            .store
            .update_report(report.id, version, &clean, None, now)
            .await?)
    }

    /// Submits a draft (as it stands at `report.version`). The project's roster and the
    /// committee only.
    pub async fn submit_report(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        report: &Report,
        now: i64,
    ) -> Result<Report, IncubatorError> {
        self.authorize_report(actor, Action::EditReport, program, project, report)
            .await?;
        Ok(self
            .store
            .submit_report(report.id, report.version, user_id(actor)?, now)
            .await?)
    }

    /// Signs a submitted report off. The project's mentors and the committee only.
    pub async fn sign_off_report(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        report: &Report,
        comment: &str,
        now: i64,
    ) -> Result<Report, IncubatorError> {
        self.authorize_report(actor, Action::SignOffReport, program, project, report)
            .await?;
        let comment = text("comment", comment, NOTE_MAX)?;
        if report.state == ReportState::Draft {
            return Err(field(
                "state",
                "a report is signed off once it is submitted",
            ));
        }
        Ok(self
            .store
            .sign_off_report(report.id, user_id(actor)?, &comment, now)
            .await?)
    }

    /// The active projects' reports past their due date and not submitted (and, where the
    /// program requires a sign-off, submitted without one), oldest first. Brings their
    /// reports up to date first.
    pub async fn overdue_reports(
        &self,
        program: &Program,
        now: i64,
    ) -> Result<Vec<OverdueReport>, IncubatorError> {
        let projects = self.store.projects_of_program(program.id).await?;
        for p in projects.iter().filter(|p| p.ended_at.is_none()) {
            self.ensure_reports(program, p, now).await?;
        }
        let required = program.report_template.signoff_required;
        let reports = self
            .store
            .overdue_reports(program.id, now, required)
            .await?;
        Ok(reports
            .into_iter()
            .filter_map(|report| {
                // A project that graduated or retired reports no more.
                let project = projects
                    .iter()
                    .find(|p| p.id == report.project_id && p.ended_at.is_none())?
                    .clone();
                Some(OverdueReport {
                    awaiting_signoff: report.state == ReportState::Submitted,
                    project,
                    report,
                })
            })
            .collect())
    }

    async fn authorize_report(
        &self,
        actor: Actor,
        action: Action,
        program: &Program,
        project: &Project,
        report: &Report,
    ) -> Result<(), IncubatorError> {
        if project.program_id != program.id || report.project_id != project.id {
            return Err(IncubatorError::NotFound);
        }
        self.authorize_program(
            actor,
            action,
            program,
            Subject {
                project: Some(project),
                proposal: None,
            },
        )
        .await?;
        Ok(())
    }
}
