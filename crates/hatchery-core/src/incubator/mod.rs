//! The incubator's rules: how a foundation-style program (Apache Incubator, CNCF, LF AI &
//! Data, or an organization's own) admits, advances, measures and retires projects.
//!
//! Everything here is pure: votes are tallied from the ballots and a clock value passed
//! in, templates are plain data validated before storage, metrics are counted from
//! commit lists. The service layer gathers facts, calls these rules, stores the results
//! and writes the audit log.
//!
//! - [`votes`]: ballots, vote rules, tallies and vote windows.
//! - [`program`]: program templates, their validation and stage transitions.
//! - [`presets`]: templates for the real programs.
//! - [`reports`]: report cadences and the periods they produce.
//! - [`proposal`]: the states of a proposal.
//! - [`metrics`]: elephant and bus factors, medians.
//! - [`graduation`]: a recommendation to graduate waiting for a board, and the new
//!   project's committee.
//! - [`resolution`]: the board resolution drafted for it, per language.
//! - [`text`]: a template's texts per language.

pub mod graduation;
pub mod metrics;
pub mod presets;
mod presets_zh;
pub mod program;
pub mod proposal;
pub mod reports;
pub mod resolution;
pub mod text;
pub mod votes;

pub use graduation::{
    GraduationError, GraduationEvent, GraduationState, RosterPerson, graduation_transition,
    initial_pmc, is_valid_date,
};
pub use metrics::{bus_factor, elephant_factor, median, organization};
pub use presets::{Preset, preset};
pub use program::{
    Board, ChecklistItem, CustomEffect, CustomVote, Evaluation, Evaluator, Graduation,
    LicenseCategory, LicenseRule, MentorJudgement, MentorRule, PROPOSAL_ROLES, ProgramTemplate,
    RosterRules, Section, Stage, TERM_KEYS, TemplateError, Term, Terminal, TransitionError,
    VoteConfig, may_transition,
};
pub use proposal::{
    PeopleError, PeopleLists, ProposalEvent, ProposalState, ProposalTransitionError, cancels_vote,
    discussion_complete, proposal_transition, split_people,
};
pub use reports::{
    BoardCalendar, Cadence, Month, ReportPeriod, current_period, month_of, periods, reports_due,
};
pub use resolution::{RESOLUTION_LANGUAGES, ResolutionFacts, render_resolution};
pub use text::Text;
pub use votes::{
    Ballot, BallotValue, Basis, ElectionError, ElectionFacts, Outcome, Phase, ROLE_CHAMPION,
    ROLE_COMMITTER, ROLE_MENTOR, ROLE_PPMC, Reason, ReleaseVoteEffect, ReleaseVoteError,
    ReleaseVoteFacts, Tally, VoteKind, VoteRule, VoteState, VoteWindow, Voters, can_close_early,
    decide, may_open_election, may_open_release_vote, release_vote_effect, tally,
};
