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

pub mod metrics;
pub mod presets;
pub mod program;
pub mod proposal;
pub mod reports;
pub mod votes;

pub use metrics::{bus_factor, elephant_factor, median, organization};
pub use presets::{Preset, preset};
pub use program::{
    ChecklistItem, Evaluation, Evaluator, LicenseCategory, LicenseRule, ProgramTemplate, Section,
    Stage, TemplateError, Terminal, TransitionError, VoteConfig, may_transition,
};
pub use proposal::{
    ProposalEvent, ProposalState, ProposalTransitionError, cancels_vote, discussion_complete,
    proposal_transition,
};
pub use reports::{Cadence, ReportPeriod, current_period, reports_due};
pub use votes::{
    Ballot, BallotValue, Basis, Outcome, Phase, Reason, ReleaseVoteEffect, ReleaseVoteError,
    ReleaseVoteFacts, Tally, VoteKind, VoteRule, VoteState, VoteWindow, can_close_early, decide,
    may_open_release_vote, release_vote_effect, tally,
};
