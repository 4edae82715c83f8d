//! The board calendar: which projects report in a month, the reporting group a project is
//! in (the least loaded one when it is accepted, changed by the committee), and a
//! project's record for the board (its group and its sponsor's short name).
//!
//! The periods themselves are pure rules ([`hatchery_core::incubator::reports`]); a
//! report's month is the month of its due date, whether the program follows a calendar or
//! counts periods from each project's start.

use hatchery_core::incubator::program::is_valid_sponsor;
use hatchery_core::incubator::{Month, month_of, periods};
use hatchery_core::{Action, Actor};
use hatchery_store::{Program, Project, Report, Signoff};

use super::{IncubatorError, Subject, field, user_id};
use crate::Forge;

/// A project that reports in a month, with its report of that month.
#[derive(Debug, Clone)]
pub struct MonthReport {
    pub project: Project,
    /// Its reporting group, when the program has a calendar.
    pub group: Option<usize>,
    /// One of its first monthly reports (before it reports in its group's months).
    pub monthly: bool,
    /// Its report of the month (made by [`Forge::ensure_reports`]).
    pub report: Option<Report>,
    pub signoffs: Vec<Signoff>,
}

/// Changes to a project's record; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct ProjectRecordChange {
    /// The reporting group, counted from 1.
    pub reporting_group: Option<i64>,
    /// The sponsor's short name; empty: the program's sponsor.
    pub sponsor: Option<String>,
}

impl Forge {
    /// The group a new project of the program reports in: the one with the fewest active
    /// projects (the first of those on a tie), so the board's months stay even. `None`
    /// when the program has no calendar.
    pub async fn least_loaded_group(
        &self,
        program: &Program,
    ) -> Result<Option<i64>, IncubatorError> {
        let Some(cal) = &program.template.report_cadence.calendar else {
            return Ok(None);
        };
        let mut load = vec![0usize; cal.groups.len()];
        for p in self.store.projects_of_program(program.id).await? {
            if p.ended_at.is_none()
                && let Some(g) = program.reporting_group_of(&p)
                && let Some(n) = load.get_mut(g - 1)
            {
                *n += 1;
            }
        }
        let best = (0..load.len()).min_by_key(|&i| (load[i], i)).unwrap_or(0);
        Ok(i64::try_from(best + 1).ok())
    }

    /// Sets a project's reporting group and sponsor. The committee and organization
    /// owners only; a group the calendar does not have, or a sponsor that is not a short
    /// name, is refused.
    pub async fn edit_project_record(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        change: &ProjectRecordChange,
        now: i64,
    ) -> Result<Project, IncubatorError> {
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        self.authorize_program(
            actor,
            Action::EditProjectRecord,
            program,
            Subject {
                project: Some(project),
                proposal: None,
            },
        )
        .await?;
        if let Some(g) = change.reporting_group {
            let groups = program
                .template
                .report_cadence
                .calendar
                .as_ref()
                .map_or(0, |c| c.groups.len());
            if groups == 0 {
                return Err(field(
                    "reporting_group",
                    "the program has no board calendar with reporting groups",
                ));
            }
            if !usize::try_from(g).is_ok_and(|g| (1..=groups).contains(&g)) {
                return Err(field(
                    "reporting_group",
                    format!("the program's calendar has groups 1 to {groups}"),
                ));
            }
        }
        let sponsor = match change.sponsor.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() && !is_valid_sponsor(s) => {
                return Err(field(
                    "sponsor",
                    "a short name of at most 60 characters on one line",
                ));
            }
            other => other,
        };
        Ok(self
            .store
            .edit_project_record(
                project.id,
                change.reporting_group,
                sponsor,
                Some(user_id(actor)?),
                now,
            )
            .await?)
    }

    /// The active projects that report in `month` (and those that ended after it began,
    /// for a month past), by name, with their reports of that month; their reports are
    /// brought up to date first.
    pub async fn reports_of_month(
        &self,
        program: &Program,
        month: Month,
        now: i64,
    ) -> Result<Vec<MonthReport>, IncubatorError> {
        let (from, to) = month.bounds_ms();
        let cadence = &program.template.report_cadence;
        let mut out = Vec::new();
        for project in self.store.projects_of_program(program.id).await? {
            if project.ended_at.is_some_and(|end| end < from) || project.started_at >= to {
                continue;
            }
            let group = program.reporting_group_of(&project);
            let reports_then = periods(cadence, group.unwrap_or(1), project.started_at)
                .map(|p| month_of(&p))
                .take_while(|m| *m <= month)
                .any(|m| m == month);
            if !reports_then {
                continue;
            }
            let report = self
                .ensure_reports(program, &project, now)
                .await?
                .into_iter()
                .find(|r| (from..to).contains(&r.due_at));
            let signoffs = match &report {
                Some(r) => self.store.report_signoffs(r.id).await?,
                None => Vec::new(),
            };
            out.push(MonthReport {
                monthly: cadence
                    .calendar
                    .as_ref()
                    .is_some_and(|c| c.in_monthly_phase(project.started_at, month)),
                group,
                project,
                report,
                signoffs,
            });
        }
        Ok(out)
    }
}
