//! Graduation through a board: where the program's template has a `graduation.board`, a
//! passed graduation vote leaves the project "recommended" ([`super::closer`] makes the
//! recommendation in the closing transaction, with a first resolution draft when the
//! program drafts one); the resolution is edited (or drafted again from the project's data
//! in another language) and sent to the board by the committee, the organization's owners
//! and the project's management committee; an owner records the board's decision (approved
//! or rejected, the meeting's date, a reference such as the minutes' address), which on
//! approval graduates the project in the same transaction. The states and what each
//! allows are `hatchery_core::incubator::graduation`'s.

use hatchery_core::incubator::{
    GraduationEvent, GraduationState, ResolutionFacts, RosterPerson, graduation_transition,
    initial_pmc, is_valid_date, render_resolution,
};
use hatchery_core::{Action, Actor};
use hatchery_store::{Graduation, GraduationDecision, Program, Project};

use super::projects::stage_move;
use super::{IncubatorError, NAME_MAX, NOTE_MAX, Subject, TEXT_MAX, field, line, text};
use crate::Forge;

/// A first draft of a recommended project's resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolutionDraft {
    pub text: String,
    /// The chair it names (empty when the roster names no one).
    pub chair: String,
    /// The initial members it lists.
    pub members: Vec<RosterPerson>,
}

/// The name a foundation's projects carry, from its organization's account name:
/// `apache` gives "Apache" ("the Apache Foo Project").
fn brand_of(org_name: &str) -> String {
    let mut chars = org_name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl Forge {
    /// Drafts the resolution for `project` from its current roster in `language`, naming
    /// `chair` (or the first member of the committee when `None`).
    pub async fn draft_resolution(
        &self,
        program: &Program,
        project: &Project,
        language: &str,
        chair: Option<&str>,
    ) -> Result<ResolutionDraft, IncubatorError> {
        let roster: Vec<RosterPerson> = self
            .store
            .project_roster(project.id)
            .await?
            .into_iter()
            .filter(|e| e.ended_at.is_none())
            .map(|e| RosterPerson {
                name: e.name,
                login: e.user.map(|u| u.name),
                role: e.role,
            })
            .collect();
        let members = initial_pmc(&roster);
        let chair = match chair {
            Some(c) => c.trim().to_owned(),
            None => members.first().map(|m| m.name.clone()).unwrap_or_default(),
        };
        let board = program
            .template
            .graduation
            .board
            .unwrap_or(hatchery_core::incubator::Board::Board);
        let text = render_resolution(
            language,
            &ResolutionFacts {
                brand: &brand_of(&program.org_name),
                project: &project.name,
                scope: &project.description,
                program: &program.name,
                board,
                chair: &chair,
                members: &members,
            },
        );
        Ok(ResolutionDraft {
            text,
            chair,
            members,
        })
    }

    /// The project's recommendations to graduate, newest first.
    pub async fn project_graduations(
        &self,
        project: &Project,
    ) -> Result<Vec<Graduation>, IncubatorError> {
        Ok(self.store.graduations_of_project(project.id).await?)
    }

    /// Recommendation `id` of the project.
    pub async fn graduation(
        &self,
        project: &Project,
        id: i64,
    ) -> Result<Graduation, IncubatorError> {
        self.store
            .graduation_by_id(id)
            .await?
            .filter(|g| g.project_id == project.id)
            .ok_or(IncubatorError::NotFound)
    }

    /// Checks that `actor` may do `action` about the project's recommendation `g` and that
    /// its state allows `event`.
    async fn graduation_step(
        &self,
        actor: Actor,
        action: Action,
        program: &Program,
        project: &Project,
        g: &Graduation,
        event: GraduationEvent,
    ) -> Result<GraduationState, IncubatorError> {
        if project.program_id != program.id || g.project_id != project.id {
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
        Ok(graduation_transition(
            g.state,
            event,
            program.template.graduation.resolution,
        )?)
    }

    /// Saves the resolution's text and chair over `version` (the one the editor read).
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_resolution(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        g: &Graduation,
        version: i64,
        resolution: &str,
        chair: &str,
        now: i64,
    ) -> Result<Graduation, IncubatorError> {
        self.graduation_step(
            actor,
            Action::EditResolution,
            program,
            project,
            g,
            GraduationEvent::EditResolution,
        )
        .await?;
        let resolution = text("resolution", resolution, TEXT_MAX)?;
        if resolution.is_empty() {
            return Err(field("resolution", "required"));
        }
        let chair = text("chair", chair, NAME_MAX)?;
        Ok(self
            .store
            .edit_resolution(g.id, version, &resolution, &chair, actor.user_id(), now)
            .await?)
    }

    /// Replaces the resolution with a new draft from the project's current data in
    /// `language`, naming `chair` (the committee's first member when empty).
    #[allow(clippy::too_many_arguments)]
    pub async fn redraft_resolution(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        g: &Graduation,
        version: i64,
        language: &str,
        chair: &str,
        now: i64,
    ) -> Result<Graduation, IncubatorError> {
        self.graduation_step(
            actor,
            Action::EditResolution,
            program,
            project,
            g,
            GraduationEvent::EditResolution,
        )
        .await?;
        let language = hatchery_core::validate::language(language)
            .map_err(|_| field("language", "choose one of the languages offered"))?;
        let chair = text("chair", chair, NAME_MAX)?;
        let draft = self
            .draft_resolution(
                program,
                project,
                language,
                (!chair.is_empty()).then_some(chair.as_str()),
            )
            .await?;
        Ok(self
            .store
            .edit_resolution(
                g.id,
                version,
                &draft.text,
                &draft.chair,
                actor.user_id(),
                now,
            )
            .await?)
    }

    /// Sends the resolution (as saved at `version`) to the board: its text is final.
    pub async fn submit_resolution(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        g: &Graduation,
        version: i64,
        now: i64,
    ) -> Result<Graduation, IncubatorError> {
        self.graduation_step(
            actor,
            Action::EditResolution,
            program,
            project,
            g,
            GraduationEvent::Submit,
        )
        .await?;
        if g.resolution.trim().is_empty() {
            return Err(field("resolution", "required"));
        }
        let after = self
            .store
            .submit_resolution(g.id, version, actor.user_id(), now)
            .await?;
        self.graduation_event(
            program,
            project,
            &after,
            "resolution_submitted",
            actor.user_id(),
        )
        .await;
        Ok(after)
    }

    /// Records the board's decision on the recommendation: `approved` or not, the date of
    /// the meeting (`YYYY-MM-DD`) and a reference (the minutes' address). Approval
    /// graduates the project (its resolution in podlings.xml terms is the reference).
    /// Organization owners only; once.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_board_decision(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        g: &Graduation,
        approved: bool,
        decision_date: &str,
        reference: &str,
        now: i64,
    ) -> Result<Graduation, IncubatorError> {
        self.graduation_step(
            actor,
            Action::RecordDecision,
            program,
            project,
            g,
            GraduationEvent::Decide { approved },
        )
        .await?;
        let decision_date = decision_date.trim();
        if !is_valid_date(decision_date) {
            return Err(field("decision_date", "a date written YYYY-MM-DD"));
        }
        let reference = line("reference", reference, NOTE_MAX)?;
        let stage = if approved {
            Some(stage_move(
                &program.template,
                project,
                &g.target_stage,
                reference.clone(),
            ))
        } else {
            None
        };
        let after = self
            .store
            .decide_graduation(GraduationDecision {
                id: g.id,
                from: g.state,
                approved,
                decision_date,
                reference: &reference,
                stage,
                actor_id: actor.user_id(),
                now,
            })
            .await?;
        let action = if approved { "approved" } else { "rejected" };
        self.graduation_event(program, project, &after, action, actor.user_id())
            .await;
        if approved {
            let moved = self.store.project_by_id(project.id).await?;
            if let Some(moved) = moved {
                self.stage_event(
                    program,
                    &moved,
                    &project.stage,
                    None,
                    &reference,
                    actor.user_id(),
                )
                .await;
            }
        }
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands() {
        assert_eq!(brand_of("apache"), "Apache");
        assert_eq!(brand_of("Eclipse"), "Eclipse");
        assert_eq!(brand_of("开源社"), "开源社");
        assert_eq!(brand_of(""), "");
    }
}
