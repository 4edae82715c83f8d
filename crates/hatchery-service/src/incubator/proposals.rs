//! Proposals: drafted by anyone signed in from the program's form, naming the repositories
//! they bring (each readable by the proposer) and the people (champion, mentors, initial
//! committers with affiliations); published for discussion; edited with every version
//! kept (an edit during a vote cancels the vote); sent back for more information by the
//! committee.

use std::collections::{BTreeMap, HashSet};

use hatchery_core::incubator::{
    PeopleLists, ProposalEvent, ProposalState, cancels_vote, proposal_transition, split_people,
};
use hatchery_core::{Action, Actor};
use hatchery_store::{
    NamedPerson, Program, Proposal, ProposalComment, ProposalContent, ProposalEdit, ProposalPeople,
    ProposalRevision, ProposalStateChange, Repo, StoreError,
};

use super::{
    IncubatorError, NAME_MAX, NOTE_MAX, Subject, TEXT_MAX, field, line, slug, text, user_id,
};
use crate::Forge;
use crate::access::RepoLookup;

/// Most repositories one proposal may bring.
pub const MAX_REPOS: usize = 50;
/// Most people one proposal may name.
pub const MAX_PEOPLE: usize = 200;

/// Someone named in a proposal: an account here (`username`), or only a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonInput {
    /// An account name of this forge; empty for someone without one.
    pub username: String,
    /// The name to show; defaults to the account's display name.
    pub name: String,
    pub affiliation: String,
}

/// One row of a proposal's People table: someone and their role (`champion`, `mentor`,
/// `committer`, as the program's form offers them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonRow {
    pub role: String,
    pub person: PersonInput,
}

/// What a person fills in to draft or edit a proposal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProposalInput {
    /// The project's short id if accepted.
    pub slug: String,
    pub name: String,
    /// Section key of the program's proposal form -> Markdown, for the sections typed in
    /// (those filled from the People table are not).
    pub sections: BTreeMap<String, String>,
    /// The People table, entered once: when it has rows, it fills `champion`, `mentors`
    /// and `committers` (and so the form's people sections), which are then ignored.
    pub people: Vec<PersonRow>,
    pub champion: Option<PersonInput>,
    pub mentors: Vec<PersonInput>,
    pub committers: Vec<PersonInput>,
    /// `owner/name` of each repository the project brings.
    pub repos: Vec<String>,
}

impl Forge {
    /// A blank proposal with the program's typed sections, to start a draft from.
    pub fn proposal_form(&self, program: &Program) -> ProposalInput {
        ProposalInput {
            sections: program
                .template
                .typed_sections()
                .map(|s| (s.key.clone(), String::new()))
                .collect(),
            ..ProposalInput::default()
        }
    }

    /// Checks a proposal's input against the program and resolves its people and
    /// repositories for `actor`. The slug must not be held in the program by a project or
    /// by another proposal (`except` is the one being edited) that is not rejected,
    /// withdrawn or closed.
    async fn proposal_content(
        &self,
        actor: Actor,
        program: &Program,
        input: &ProposalInput,
        except: Option<i64>,
    ) -> Result<ProposalContent, IncubatorError> {
        let slug = slug("slug", &input.slug)?;
        if let Some(holder) = self.store.slug_holder(program.id, &slug, except).await? {
            return Err(IncubatorError::SlugTaken { slug, holder });
        }
        let name = line("name", &input.name, NAME_MAX)?;
        let mut sections = BTreeMap::new();
        for (key, value) in &input.sections {
            match program
                .template
                .proposal_sections
                .iter()
                .find(|s| &s.key == key)
            {
                None => {
                    return Err(field(
                        "sections",
                        format!("the program's proposal form has no section {key:?}"),
                    ));
                }
                // Filled from the People table: nothing typed is kept.
                Some(s) if s.people_role.is_some() => {
                    if !value.trim().is_empty() {
                        return Err(field(
                            "sections",
                            format!(
                                "section {key:?} is filled from the people table: give its people there"
                            ),
                        ));
                    }
                }
                Some(_) => {
                    sections.insert(key.clone(), text("sections", value, TEXT_MAX)?);
                }
            }
        }
        let lists = if input.people.is_empty() {
            PeopleLists {
                champion: input.champion.clone(),
                mentors: input.mentors.clone(),
                committers: input.committers.clone(),
            }
        } else {
            if input.people.len() > MAX_PEOPLE {
                return Err(field("people", format!("at most {MAX_PEOPLE} people")));
            }
            let rows = input
                .people
                .iter()
                .filter(|r| {
                    !(r.person.username.trim().is_empty() && r.person.name.trim().is_empty())
                })
                .map(|r| (r.role.clone(), r.person.clone()));
            split_people(rows, &program.template.people_roles())
                .map_err(|e| field("people", e.to_string()))?
        };
        let count = lists.mentors.len() + lists.committers.len() + 1;
        if count > MAX_PEOPLE {
            return Err(field("people", format!("at most {MAX_PEOPLE} people")));
        }
        let people = ProposalPeople {
            champion: match &lists.champion {
                Some(p) if !(p.username.trim().is_empty() && p.name.trim().is_empty()) => {
                    Some(self.named_person("champion", p).await?)
                }
                _ => None,
            },
            mentors: self.named_people("mentors", &lists.mentors).await?,
            committers: self.named_people("committers", &lists.committers).await?,
        };
        if input.repos.len() > MAX_REPOS {
            return Err(field("repos", format!("at most {MAX_REPOS} repositories")));
        }
        let mut repo_ids = Vec::new();
        let mut seen = HashSet::new();
        for full in &input.repos {
            let full = full.trim();
            if full.is_empty() {
                continue;
            }
            let repo = self.readable_repo(actor, full).await?;
            if seen.insert(repo.id) {
                repo_ids.push(repo.id);
            }
        }
        Ok(ProposalContent {
            slug,
            name,
            sections,
            people,
            repo_ids,
        })
    }

    /// The repository `owner/name`, if `actor` may read it: the same refusal for missing
    /// and unreadable ones, so a proposal cannot be used to probe private names.
    async fn readable_repo(&self, actor: Actor, full: &str) -> Result<Repo, IncubatorError> {
        let unreadable = || IncubatorError::UnreadableRepo(full.to_owned());
        let (owner, name) = full
            .trim_matches('/')
            .split_once('/')
            .ok_or_else(unreadable)?;
        match self.find_repo(actor, owner, name, Action::Read).await? {
            RepoLookup::Found { repo, .. } => Ok(repo),
            RepoLookup::Hidden | RepoLookup::Denied { .. } => Err(unreadable()),
        }
    }

    async fn named_people(
        &self,
        what: &'static str,
        people: &[PersonInput],
    ) -> Result<Vec<NamedPerson>, IncubatorError> {
        let mut out = Vec::with_capacity(people.len());
        for p in people {
            if p.username.trim().is_empty() && p.name.trim().is_empty() {
                continue;
            }
            out.push(self.named_person(what, p).await?);
        }
        Ok(out)
    }

    pub(crate) async fn named_person(
        &self,
        what: &'static str,
        p: &PersonInput,
    ) -> Result<NamedPerson, IncubatorError> {
        let affiliation = text(what, &p.affiliation, NAME_MAX)?;
        let username = p.username.trim().trim_start_matches('@');
        if username.is_empty() {
            return Ok(NamedPerson {
                user_id: None,
                username: String::new(),
                name: line(what, &p.name, NAME_MAX)?,
                affiliation,
            });
        }
        let user = self
            .store
            .user_by_name(username)
            .await?
            .ok_or_else(|| field(what, format!("there is no user {username:?}")))?;
        let name = if p.name.trim().is_empty() {
            if user.display_name.trim().is_empty() {
                user.name.clone()
            } else {
                user.display_name.clone()
            }
        } else {
            line(what, &p.name, NAME_MAX)?
        };
        Ok(NamedPerson {
            user_id: Some(user.id),
            username: user.name,
            name,
            affiliation,
        })
    }

    /// Drafts a proposal. Anyone signed in; every named repository must be readable by
    /// the proposer.
    pub async fn draft_proposal(
        &self,
        actor: Actor,
        program: &Program,
        input: &ProposalInput,
        now: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.authorize_program(actor, Action::ProposeToProgram, program, Subject::default())
            .await?;
        let author = user_id(actor)?;
        let content = self.proposal_content(actor, program, input, None).await?;
        let created = match self
            .store
            .create_proposal(program.id, author, &content, now)
            .await
        {
            Ok(p) => p,
            Err(StoreError::Conflict(_)) => {
                return Err(self.slug_taken(program, &content.slug, None).await);
            }
            Err(e) => return Err(e.into()),
        };
        self.proposal_event(program, &created, None, actor).await;
        Ok(created)
    }

    /// Proposal `number` of the program, whatever its state. Pages that show it to a
    /// person use [`Forge::visible_proposal`], which hides drafts.
    pub async fn proposal(
        &self,
        program: &Program,
        number: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.store
            .proposal_by_number(program.id, number)
            .await?
            .ok_or(IncubatorError::NotFound)
    }

    /// Proposal `number` of the program, for `actor`: a draft is work in progress, seen
    /// only by those who may edit it (others get `NotFound`), and so is one withdrawn or
    /// closed before it was ever published.
    pub async fn visible_proposal(
        &self,
        actor: Actor,
        program: &Program,
        number: i64,
    ) -> Result<Proposal, IncubatorError> {
        let proposal = self.proposal(program, number).await?;
        if proposal.is_unpublished() && !self.may_see_draft(actor, program, &proposal).await? {
            return Err(IncubatorError::NotFound);
        }
        Ok(proposal)
    }

    /// The program's proposals `actor` may see (unpublished ones only for those who may
    /// edit them), newest first; only those in `state` when given.
    pub async fn program_proposals(
        &self,
        actor: Actor,
        program: &Program,
        state: Option<ProposalState>,
    ) -> Result<Vec<Proposal>, IncubatorError> {
        let mut out = Vec::new();
        for p in self.store.proposals_of_program(program.id, state).await? {
            if !p.is_unpublished() || self.may_see_draft(actor, program, &p).await? {
                out.push(p);
            }
        }
        Ok(out)
    }

    async fn may_see_draft(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
    ) -> Result<bool, IncubatorError> {
        Ok(self
            .may_in_program(
                actor,
                Action::Edit,
                program,
                Subject {
                    proposal: Some(proposal),
                    project: None,
                },
            )
            .await?)
    }

    /// Saves a new version made from `version`. Its authors, the committee and the
    /// organization's owners may. During a vote the vote is cancelled and the proposal
    /// returns to discussion: a vote binds to the text it was called on.
    pub async fn edit_proposal(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        version: i64,
        input: &ProposalInput,
        now: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.authorize_program(
            actor,
            Action::Edit,
            program,
            Subject {
                proposal: Some(proposal),
                project: None,
            },
        )
        .await?;
        let editor = user_id(actor)?;
        let to = proposal_transition(proposal.state, ProposalEvent::Edit)?;
        let content = self
            .proposal_content(actor, program, input, Some(proposal.id))
            .await?;
        let edited = match self
            .store
            .edit_proposal(ProposalEdit {
                id: proposal.id,
                version,
                from: proposal.state,
                to,
                cancel_vote: cancels_vote(proposal.state, ProposalEvent::Edit),
                editor_id: editor,
                content: &content,
                now,
            })
            .await
        {
            Ok(p) => p,
            Err(StoreError::Conflict(_)) => {
                return Err(self
                    .slug_taken(program, &content.slug, Some(proposal.id))
                    .await);
            }
            Err(e) => return Err(e.into()),
        };
        self.proposal_event(program, &edited, Some(proposal), actor)
            .await;
        Ok(edited)
    }

    /// Publishes a draft for discussion, or returns a proposal that needed more
    /// information to discussion; the minimum discussion period starts now. Every
    /// required section must be filled in.
    pub async fn start_discussion(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        now: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.authorize_program(
            actor,
            Action::Edit,
            program,
            Subject {
                proposal: Some(proposal),
                project: None,
            },
        )
        .await?;
        let event = match proposal.state {
            ProposalState::NeedsInfo => ProposalEvent::Resubmit,
            _ => ProposalEvent::Submit,
        };
        let to = proposal_transition(proposal.state, event)?;
        let people = &proposal.people;
        let missing: Vec<&str> = program
            .template
            .proposal_sections
            .iter()
            .filter(|s| {
                s.required
                    && match s.people_role.as_deref() {
                        Some("champion") => people.champion.is_none(),
                        Some("mentor") => people.mentors.is_empty(),
                        Some(_) => people.committers.is_empty(),
                        None => proposal
                            .sections
                            .get(&s.key)
                            .is_none_or(|v| v.trim().is_empty()),
                    }
            })
            .map(|s| s.title.en())
            .collect();
        if !missing.is_empty() {
            return Err(field(
                "sections",
                format!("required sections are empty: {}", missing.join(", ")),
            ));
        }
        let updated = self
            .store
            .set_proposal_state(ProposalStateChange {
                id: proposal.id,
                from: proposal.state,
                to,
                cancel_vote: false,
                discussion_started_at: Some(now),
                actor_id: actor.user_id(),
                note: "",
                now,
            })
            .await?;
        self.proposal_event(program, &updated, Some(proposal), actor)
            .await;
        Ok(updated)
    }

    /// The committee asks the authors for more information, in discussion or during the
    /// vote (which is then cancelled); `note` is posted as a comment.
    pub async fn request_info(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        note: &str,
        now: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.authorize_program(
            actor,
            Action::ReviewProposal,
            program,
            Subject {
                proposal: Some(proposal),
                project: None,
            },
        )
        .await?;
        let note = text("note", note, TEXT_MAX)?;
        let to = proposal_transition(proposal.state, ProposalEvent::RequestInfo)?;
        let updated = self
            .store
            .set_proposal_state(ProposalStateChange {
                id: proposal.id,
                from: proposal.state,
                to,
                cancel_vote: cancels_vote(proposal.state, ProposalEvent::RequestInfo),
                discussion_started_at: None,
                actor_id: actor.user_id(),
                note: &note,
                now,
            })
            .await?;
        if !note.is_empty() {
            self.store
                .add_proposal_comment(proposal.id, user_id(actor)?, &note, now)
                .await?;
        }
        self.proposal_event(program, &updated, Some(proposal), actor)
            .await;
        Ok(updated)
    }

    /// Its author takes the proposal back before it is decided, saying why; an open vote
    /// on it is cancelled.
    pub async fn withdraw_proposal(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        reason: &str,
        now: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.end_proposal(
            actor,
            program,
            proposal,
            reason,
            now,
            (Action::WithdrawProposal, ProposalEvent::Withdraw),
        )
        .await
    }

    /// The committee or an owner of the organization closes the proposal without a vote
    /// before it is decided (out of scope, a duplicate, abandoned), saying why; an open
    /// vote on it is cancelled.
    pub async fn close_proposal(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        reason: &str,
        now: i64,
    ) -> Result<Proposal, IncubatorError> {
        self.end_proposal(
            actor,
            program,
            proposal,
            reason,
            now,
            (Action::CloseProposal, ProposalEvent::Close),
        )
        .await
    }

    async fn end_proposal(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        reason: &str,
        now: i64,
        (action, event): (Action, ProposalEvent),
    ) -> Result<Proposal, IncubatorError> {
        self.authorize_program(
            actor,
            action,
            program,
            Subject {
                proposal: Some(proposal),
                project: None,
            },
        )
        .await?;
        let to = proposal_transition(proposal.state, event)?;
        let reason = text("reason", reason, NOTE_MAX)?;
        if reason.is_empty() {
            return Err(field("reason", "required"));
        }
        let updated = self
            .store
            .set_proposal_state(ProposalStateChange {
                id: proposal.id,
                from: proposal.state,
                to,
                cancel_vote: cancels_vote(proposal.state, event),
                discussion_started_at: None,
                actor_id: actor.user_id(),
                note: &reason,
                now,
            })
            .await?;
        self.proposal_event(program, &updated, Some(proposal), actor)
            .await;
        Ok(updated)
    }

    /// The refusal for a slug found held while saving: what holds it now (it was free when
    /// checked a moment before), or the plain refusal if it is free again.
    pub(crate) async fn slug_taken(
        &self,
        program: &Program,
        slug: &str,
        except: Option<i64>,
    ) -> IncubatorError {
        match self.store.slug_holder(program.id, slug, except).await {
            Ok(Some(holder)) => IncubatorError::SlugTaken {
                slug: slug.to_owned(),
                holder,
            },
            Ok(None) => IncubatorError::NameTaken("slug"),
            Err(e) => e.into(),
        }
    }

    /// Anyone signed in takes part in the discussion; an unpublished proposal takes
    /// comments from those who may edit it only.
    pub async fn comment_on_proposal(
        &self,
        actor: Actor,
        program: &Program,
        proposal: &Proposal,
        body: &str,
        now: i64,
    ) -> Result<ProposalComment, IncubatorError> {
        let subject = Subject {
            proposal: Some(proposal),
            project: None,
        };
        let action = if proposal.is_unpublished() {
            Action::Edit
        } else {
            Action::Comment
        };
        self.authorize_program(actor, action, program, subject)
            .await?;
        let body = text("body", body, TEXT_MAX)?;
        if body.is_empty() {
            return Err(field("body", "required"));
        }
        Ok(self
            .store
            .add_proposal_comment(proposal.id, user_id(actor)?, &body, now)
            .await?)
    }

    pub async fn proposal_comments(
        &self,
        proposal: &Proposal,
    ) -> Result<Vec<ProposalComment>, IncubatorError> {
        Ok(self.store.proposal_comments(proposal.id).await?)
    }

    /// Every saved version, oldest first.
    pub async fn proposal_revisions(
        &self,
        proposal: &Proposal,
    ) -> Result<Vec<ProposalRevision>, IncubatorError> {
        Ok(self.store.proposal_revisions(proposal.id).await?)
    }

    /// The repositories a proposal brings that `actor` may read (the others stay hidden).
    pub async fn proposal_repos(
        &self,
        actor: Actor,
        repo_ids: &[i64],
    ) -> Result<Vec<Repo>, IncubatorError> {
        let mut repos = Vec::new();
        for id in repo_ids {
            if let Some(repo) = self.store.repo_by_id(*id).await? {
                repos.push(repo);
            }
        }
        self.readable_repos(actor, repos).await
    }

    /// The repositories of `repos` that `actor` may read, with one access query for all
    /// (like [`Forge::visible_repos`]).
    pub(crate) async fn readable_repos(
        &self,
        actor: Actor,
        repos: Vec<Repo>,
    ) -> Result<Vec<Repo>, IncubatorError> {
        let access = match actor.user_id() {
            Some(uid) if repos.iter().any(|r| r.is_private) => {
                let ids: Vec<i64> = repos.iter().map(|r| r.id).collect();
                self.store.repo_access_many(&ids, uid).await?
            }
            _ => Default::default(),
        };
        Ok(repos
            .into_iter()
            .filter(|r| {
                let a = access.get(&r.id).copied().unwrap_or_default();
                hatchery_core::authorize(
                    actor,
                    Action::Read,
                    hatchery_core::Resource::Repo(r.facts(actor.user_id(), a)),
                )
                .is_allowed()
            })
            .collect())
    }

    pub(crate) async fn may_read_repo(
        &self,
        actor: Actor,
        repo: &Repo,
    ) -> Result<bool, IncubatorError> {
        let facts = self.repo_facts(actor, repo).await?;
        Ok(
            hatchery_core::authorize(actor, Action::Read, hatchery_core::Resource::Repo(facts))
                .is_allowed(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::repos::CreateRepo;
    use crate::{Forge, SignInPolicy};
    use hatchery_core::{AccessLevel, Actor, Name, NameKind};
    use hatchery_store::{NewUser, Store, User, testing::stores};

    async fn user(s: &Store, name: &str) -> User {
        s.create_user(NewUser {
            name: Name::parse(NameKind::Account, name).unwrap(),
            email: format!("{name}@example.org"),
            password_hash: "x".into(),
            display_name: name.into(),
            is_admin: false,
        })
        .await
        .unwrap()
    }

    /// A proposal's private repository shows to its owner and collaborators only; the
    /// public one to everybody.
    #[tokio::test]
    async fn proposal_repos_hide_private_ones_from_outsiders() {
        for store in stores().await {
            let dir = tempfile::tempdir().unwrap();
            let forge = Forge::new(
                store.store().clone(),
                dir.path().join("repositories"),
                SignInPolicy::new(5, 15),
            );
            let ann = user(&store, "ann").await;
            let bob = user(&store, "bob").await;
            let mut ids = Vec::new();
            for (name, is_private) in [("open", false), ("closed", true)] {
                let repo = forge
                    .create_repo(CreateRepo {
                        owner_id: ann.id,
                        owner_name: &ann.name,
                        name: &Name::parse(NameKind::Repository, name).unwrap(),
                        description: "",
                        is_private,
                        init_readme: None,
                    })
                    .await
                    .unwrap();
                ids.push(repo.id);
            }
            ids.push(i64::MAX); // deleted since: left out
            let names = |repos: Vec<hatchery_store::Repo>| -> Vec<String> {
                repos.into_iter().map(|r| r.name).collect()
            };
            let as_user = |u: &User| Actor::User {
                id: u.id,
                site_admin: false,
            };
            let label = store.label();
            let seen = forge.proposal_repos(Actor::Anonymous, &ids).await.unwrap();
            assert_eq!(names(seen), ["open"], "[{label}]");
            let seen = forge.proposal_repos(as_user(&bob), &ids).await.unwrap();
            assert_eq!(names(seen), ["open"], "[{label}]");
            let seen = forge.proposal_repos(as_user(&ann), &ids).await.unwrap();
            assert_eq!(names(seen), ["open", "closed"], "[{label}]");
            store
                .set_collaborator(ids[1], bob.id, AccessLevel::Read)
                .await
                .unwrap();
            let seen = forge.proposal_repos(as_user(&bob), &ids).await.unwrap();
            assert_eq!(names(seen), ["open", "closed"], "[{label}]");
        }
    }
}
