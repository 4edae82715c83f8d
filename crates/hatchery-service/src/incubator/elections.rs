//! Votes on a project that change no stage: elections of committers and PPMC members (a
//! passed one adds the person to the project's roster in the kind's role, in the closing
//! transaction), and votes of the kinds a program's template declares (a passed one does
//! nothing more, or is written into the project's record).
//!
//! The template says who votes on each kind (`VoteConfig::voters`): the program's
//! committee, or the project's own people in given roles (an Apache podling's PPMC elects
//! its committers). The electorate is frozen when the vote opens, as for every vote, and
//! the committee and that electorate may open one.

use hatchery_core::incubator::{
    CustomVote, ElectionFacts, VoteConfig, VoteKind, Voters, may_open_election,
};
use hatchery_core::policy::ProgramFacts;
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_store::{
    NamedPerson, NewRosterEntry, NewVote, Program, Project, StoreError, Vote, VoteSubject,
};

use super::proposals::PersonInput;
use super::{IncubatorError, NOTE_MAX, Subject, check, field, line, user_id};
use crate::Forge;

/// What a project vote is opened on.
#[derive(Debug, Clone, Copy)]
pub enum ProjectVote<'a> {
    /// Electing `person` a committer (`VoteKind::Committer`) or PPMC member
    /// (`VoteKind::PpmcMember`).
    Election {
        kind: VoteKind,
        person: &'a PersonInput,
    },
    /// A vote of the program's own kind `key` on the question `title`, with an optional
    /// link to what is voted on.
    Custom {
        key: &'a str,
        title: &'a str,
        document_url: &'a str,
    },
}

/// Longest question of a vote of a program's own kind.
pub const TITLE_MAX: usize = 200;

/// A link to a document: empty, or an `http(s)` URL of at most [`NOTE_MAX`] characters.
pub(crate) fn document_url(name: &'static str, value: &str) -> Result<String, IncubatorError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    let v = line(name, v, NOTE_MAX)?;
    match url::Url::parse(&v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(v),
        _ => Err(field(name, "must be an http:// or https:// address")),
    }
}

/// The display name of a person input, for titles.
fn person_label(p: &NamedPerson) -> String {
    if p.username.is_empty() {
        p.name.clone()
    } else {
        format!("{} (@{})", p.name, p.username)
    }
}

impl Forge {
    /// The actor's facts for opening a vote whose electorate is `voters` on `project`:
    /// the program's, with `project_voter` set when they hold a role that votes.
    pub(crate) async fn vote_facts(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        voters: Voters,
    ) -> Result<ProgramFacts, IncubatorError> {
        let mut facts = self
            .program_facts(
                actor,
                program,
                Subject {
                    project: Some(project),
                    proposal: None,
                },
            )
            .await?;
        if let Some(uid) = actor.user_id() {
            let roles = self.store.roster_roles(project.id, uid).await?;
            facts.project_voter = roles.iter().any(|r| voters.includes_role(r));
        }
        Ok(facts)
    }

    /// Whether `actor` may open a vote decided under `config` on the project: for showing
    /// forms; [`Forge::open_project_vote`] checks again.
    pub async fn may_open_project_vote(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        config: &VoteConfig,
    ) -> Result<bool, IncubatorError> {
        let facts = self
            .vote_facts(actor, program, project, config.voters)
            .await?;
        Ok(project.ended_at.is_none()
            && authorize(actor, Action::OpenProjectVote, Resource::Program(facts)).is_allowed())
    }

    /// Opens an election or a vote of the program's own kind on `project`. The committee
    /// and the project's people who vote on the kind may; the electorate must not be
    /// empty; an election needs a person not already in the role and not already being
    /// elected to it.
    pub async fn open_project_vote(
        &self,
        actor: Actor,
        program: &Program,
        project: &Project,
        what: ProjectVote<'_>,
        now: i64,
    ) -> Result<Vote, IncubatorError> {
        if project.program_id != program.id {
            return Err(IncubatorError::NotFound);
        }
        let template = &program.template;
        let (kind, config, custom): (VoteKind, VoteConfig, Option<&CustomVote>) = match what {
            ProjectVote::Election { kind, .. } => {
                if kind.election_role().is_none() {
                    return Err(field("kind", format!("{kind} is not an election")));
                }
                let config = *template.vote_config(kind).ok_or_else(|| {
                    field("kind", format!("the program holds no {kind} elections"))
                })?;
                (kind, config, None)
            }
            ProjectVote::Custom { key, .. } => {
                let c = template.custom_vote(key.trim()).ok_or_else(|| {
                    field("kind", format!("the program has no vote kind {key:?}"))
                })?;
                (VoteKind::Custom, c.config, Some(c))
            }
        };
        let facts = self
            .vote_facts(actor, program, project, config.voters)
            .await?;
        check(authorize(
            actor,
            Action::OpenProjectVote,
            Resource::Program(facts),
        ))?;
        let opener = user_id(actor)?;
        let roster = self.store.project_roster(project.id).await?;
        if config.voters == Voters::Committee {
            if program.committee_team_id.is_none() {
                return Err(IncubatorError::NoCommittee);
            }
        } else if !roster.iter().any(|e| {
            e.ended_at.is_none() && e.user.is_some() && config.voters.includes_role(&e.role)
        }) {
            return Err(IncubatorError::EmptyElectorate);
        }
        let (subject, title, document) = match what {
            ProjectVote::Election { kind, person } => {
                let role = kind.election_role().unwrap_or_default();
                let named = self.named_person("person", person).await?;
                let same = |user_id: Option<i64>, name: &str| match (named.user_id, user_id) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => name.eq_ignore_ascii_case(&named.name),
                    _ => false,
                };
                let already_in_role = roster.iter().any(|e| {
                    e.ended_at.is_none()
                        && e.role == role
                        && same(e.user.as_ref().map(|u| u.id), &e.name)
                });
                let open_election =
                    self.store
                        .votes_of_project(project.id)
                        .await?
                        .iter()
                        .any(|v| {
                            !v.state.is_closed()
                                && v.kind == kind
                                && v.nominee.as_ref().is_some_and(|n| same(n.user_id, &n.name))
                        });
                may_open_election(ElectionFacts {
                    incubating: project.ended_at.is_none(),
                    already_in_role,
                    open_election,
                })?;
                let title = format!("{}: elect {} as {role}", project.name, person_label(&named));
                (
                    VoteSubject::Election {
                        project_id: project.id,
                        nominee: NewRosterEntry {
                            user_id: named.user_id,
                            name: named.name,
                            role: role.to_owned(),
                            affiliation: named.affiliation,
                        },
                    },
                    title,
                    String::new(),
                )
            }
            ProjectVote::Custom {
                title,
                document_url: doc,
                ..
            } => {
                if project.ended_at.is_some() {
                    return Err(field("kind", "the project is no longer incubating"));
                }
                let key = custom.map(|c| c.key.clone()).unwrap_or_default();
                (
                    VoteSubject::Custom {
                        project_id: project.id,
                        key,
                    },
                    line("title", title, TITLE_MAX)?,
                    document_url("document_url", doc)?,
                )
            }
        };
        let window = config.window(now);
        let vote = self
            .store
            .open_vote(NewVote {
                program_id: program.id,
                kind,
                subject,
                title: &title,
                config,
                document_url: &document,
                opened_by: opener,
                opened_at: now,
                min_close_at: window.min_end_ms(),
                deadline_at: window.closes_at_ms(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Stale => {
                    IncubatorError::Election(hatchery_core::incubator::ElectionError::AlreadyOpen)
                }
                other => other.into(),
            })?;
        self.wake_vote_closer();
        self.vote_opened_event(program, &vote, None, actor).await;
        Ok(vote)
    }
}

/// The kinds of project vote the program holds: the elections its template has rules
/// for, then its own kinds.
pub fn project_vote_kinds(program: &Program) -> Vec<(VoteKind, Option<&CustomVote>)> {
    let t = &program.template;
    let mut out: Vec<(VoteKind, Option<&CustomVote>)> = [VoteKind::Committer, VoteKind::PpmcMember]
        .into_iter()
        .filter(|k| t.vote_config(*k).is_some())
        .map(|k| (k, None))
        .collect();
    out.extend(t.custom_votes.iter().map(|c| (VoteKind::Custom, Some(c))));
    out
}
