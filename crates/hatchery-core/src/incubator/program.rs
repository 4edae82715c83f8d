//! Program templates: how one incubation program runs (its stages, vote rules, report
//! cadence, proposal form, maturity checklist and license policy), as data.
//!
//! Foundations differ in all of these and change them over time, so none of it is code:
//! a template is stored as JSON with the program, starts from a preset
//! ([`super::presets`]) and is edited by the program's admins. Because admins edit it,
//! [`ProgramTemplate::validate`] refuses a broken template with every problem named, before
//! it is stored.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::reports::Cadence;
use super::text::Text;
use super::votes::{VoteKind, VoteRule, VoteWindow, Voters};

/// A whole program's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramTemplate {
    /// In order: the non-terminal stages a project moves through, then the terminal ones.
    /// The first stage is where accepted proposals start.
    pub stages: Vec<Stage>,
    /// How each kind of decision is voted on. `AcceptProposal` is always needed; the others
    /// when the stages make them possible (see [`ProgramTemplate::validate`]).
    pub vote_rules: BTreeMap<VoteKind, VoteConfig>,
    pub report_cadence: Cadence,
    /// The fields of a proposal, in order.
    pub proposal_sections: Vec<Section>,
    /// The maturity checklist projects are assessed against.
    pub checklist: Vec<ChecklistItem>,
    /// Third-party licenses by SPDX identifier. A license not listed has no category and is
    /// for a person to judge.
    #[serde(default)]
    pub license_policy: Vec<LicenseRule>,
    /// A proposal is discussed at least this many days before it may go to a vote.
    #[serde(default)]
    pub discussion_min_days: u32,
    /// Votes of the program's own kinds, opened on a project (a logo, a name change, a
    /// move of infrastructure).
    #[serde(default)]
    pub custom_votes: Vec<CustomVote>,
    /// What follows a passed graduation vote.
    #[serde(default)]
    pub graduation: Graduation,
    /// The program's own words for roles and bodies, in each language the forge speaks:
    /// `committer` is a "Maintainer" at the CNCF, `champion` a "TOC Sponsor". Keys are
    /// role keys (`champion`, `mentor`, `committer`, `ppmc`) or `committee`; a key not
    /// listed keeps the forge's word.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub terms: BTreeMap<String, Term>,
    /// Rules for changes of a project's roster after acceptance.
    #[serde(default)]
    pub roster: RosterRules,
    /// The short name of the body that sponsors the program's projects, given as a
    /// project's sponsor until the committee sets another (Apache: "Incubator"; a podling
    /// sponsored by a PMC names that PMC). Empty: the program's name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sponsor: String,
}

/// A project's sponsor is a short name (podlings.xml's `sponsor`): at most this many
/// characters, one line.
pub const SPONSOR_MAX: usize = 60;

/// Rules for changes of a project's roster after acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct RosterRules {
    /// Whether a mentor added to a project must sit on the program's committee (Apache:
    /// mentors are IPMC members). Templates without it refuse.
    #[serde(default)]
    pub mentors_on_committee: MentorRule,
}

/// What happens when someone who is not on the program's committee (or has no account
/// here) is added to a project as a mentor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentorRule {
    /// The addition is refused.
    #[default]
    Refuse,
    /// The addition is saved, with a warning for the person making it.
    Warn,
    /// Anyone may be a mentor.
    Allow,
}

/// What [`MentorRule::judge`] says about one addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentorJudgement {
    Ok,
    Warn,
    Refuse,
}

impl MentorRule {
    pub const ALL: [MentorRule; 3] = [MentorRule::Refuse, MentorRule::Warn, MentorRule::Allow];

    pub fn as_str(self) -> &'static str {
        match self {
            MentorRule::Refuse => "refuse",
            MentorRule::Warn => "warn",
            MentorRule::Allow => "allow",
        }
    }

    /// The rule applied to a mentor who is (`on_committee`) or is not on the committee.
    pub fn judge(self, on_committee: bool) -> MentorJudgement {
        match (self, on_committee) {
            (_, true) | (MentorRule::Allow, false) => MentorJudgement::Ok,
            (MentorRule::Warn, false) => MentorJudgement::Warn,
            (MentorRule::Refuse, false) => MentorJudgement::Refuse,
        }
    }
}

/// One of a program's own words, per language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

/// The roles a proposal's People table gives: they become the project's roster when the
/// proposal is accepted.
pub const PROPOSAL_ROLES: [&str; 3] = ["champion", "mentor", "committer"];
/// The words a template may define: the proposal roles, PPMC members and the committee.
pub const TERM_KEYS: [&str; 5] = ["champion", "mentor", "committer", "ppmc", "committee"];

/// A kind of vote a program declares for itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomVote {
    /// Stable identifier, stored with each vote of the kind: `[a-z][a-z0-9_-]*`.
    pub key: String,
    /// Shown to people, per language.
    pub name: Text,
    /// Who votes, the rule and the durations.
    pub config: VoteConfig,
    /// What passing does.
    #[serde(default)]
    pub on_pass: CustomEffect,
}

/// What a passed vote of a program's own kind does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomEffect {
    /// Nothing beyond the vote's own record.
    #[default]
    Nothing,
    /// The decision is also written into the project's record (its audit log, shown on
    /// its page) as a decision of the project.
    Record,
}

impl CustomEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomEffect::Nothing => "nothing",
            CustomEffect::Record => "record",
        }
    }
}

/// How graduation goes after the program's graduation vote passes.
///
/// - Apache: the IPMC's vote recommends the podling to the board; a resolution is drafted
///   from the project's data, edited and sent; the board's decision is recorded; then the
///   project is graduated (`board: board`, `resolution: true`).
/// - CNCF: the TOC's vote graduates, opened with a link to the due-diligence document
///   (`due_diligence: true`).
/// - LF AI & Data: the TAC's vote recommends; the governing board's decision is recorded
///   (`board: governing_board`).
/// - Without a `board`, a passed vote graduates at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Graduation {
    /// The graduation vote is opened with a link to a due-diligence document.
    #[serde(default)]
    pub due_diligence: bool,
    /// The body whose decision graduates a recommended project.
    #[serde(default)]
    pub board: Option<Board>,
    /// A board resolution is drafted for a recommended project (needs a `board`).
    #[serde(default)]
    pub resolution: bool,
}

/// A body above the program that decides graduation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    /// A foundation's board of directors (Apache).
    Board,
    /// A governing board (the Linux Foundation's umbrella foundations).
    GoverningBoard,
}

impl Board {
    pub const ALL: [Board; 2] = [Board::Board, Board::GoverningBoard];

    pub fn as_str(self) -> &'static str {
        match self {
            Board::Board => "board",
            Board::GoverningBoard => "governing_board",
        }
    }
}

impl fmt::Display for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Board {
    type Err = crate::roles::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Board::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or(crate::roles::UnknownValue)
    }
}

/// One stage of a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Stable identifier, stored with each project: `[a-z][a-z0-9_-]*`.
    pub key: String,
    /// Shown to people, per language.
    pub name: Text,
    /// Set on stages a project never leaves.
    #[serde(default)]
    pub terminal: Option<Terminal>,
}

/// How a project ended its incubation. The kinds differ in what a vote to reach them is
/// and what happens to the repositories (retired and archived ones become read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Terminal {
    /// Apache, CNCF, LF AI & Data: the project met the bar.
    Graduated,
    /// Apache: the podling stopped.
    Retired,
    /// CNCF: the project is inactive and listed as archived.
    Archived,
    /// LF AI & Data: the project is no longer active but keeps its place in history.
    Emeritus,
}

impl Terminal {
    /// The terminal kinds a `Retire` vote leads to.
    pub fn is_retirement(self) -> bool {
        self != Terminal::Graduated
    }
}

/// The rule and timing for one kind of vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteConfig {
    pub rule: VoteRule,
    /// The vote cannot be decided before this (Apache: 72).
    pub min_duration_hours: u32,
    /// The vote is decided on the ballots cast by then.
    pub deadline_hours: u32,
    /// Who votes (the committee unless the template says otherwise).
    #[serde(default)]
    pub voters: Voters,
}

impl VoteConfig {
    pub fn window(&self, opened_at_ms: i64) -> VoteWindow {
        VoteWindow::from_hours(opened_at_ms, self.min_duration_hours, self.deadline_hours)
    }

    /// A deadline of 1 hour to a year, not before the minimum duration.
    fn durations_valid(&self) -> bool {
        self.deadline_hours != 0
            && self.deadline_hours <= MAX_VOTE_HOURS
            && self.min_duration_hours <= self.deadline_hours
    }

    /// No quorum or minimum of approvals beyond any real committee.
    fn minimums_valid(&self) -> bool {
        let minimums = match self.rule {
            VoteRule::Majority {
                min_binding_votes,
                min_binding_plus,
                ..
            }
            | VoteRule::TwoThirds {
                min_binding_votes,
                min_binding_plus,
                ..
            } => min_binding_votes.max(min_binding_plus),
            VoteRule::LazyConsensus => 0,
        };
        minimums <= MAX_MIN_VOTES
    }
}

/// One field of the proposal form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// Stable identifier, stored with each proposal's answers: `[a-z][a-z0-9_-]*`.
    pub key: String,
    pub title: Text,
    /// Guidance shown while writing the section; Markdown.
    #[serde(default)]
    pub help: Text,
    /// A proposal cannot leave draft with this section empty.
    #[serde(default)]
    pub required: bool,
    /// The heading the section sits under (Apache's "Current Status", "Known Risks"),
    /// shown once above the first section of a run with the same group; empty for none.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub group: Text,
    /// Not typed: the people of the proposal's People table in this role (one of
    /// [`PROPOSAL_ROLES`]) fill it. A required one needs at least one such person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_role: Option<String>,
}

/// One item of the maturity checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Stable identifier, as the program numbers its items (Apache: `CD10`): upper-case
    /// letters, digits and `-`, starting with a letter.
    pub code: String,
    pub text: Text,
    pub evaluation: Evaluation,
    /// The stage whose criteria the item is among (a project meets them to enter it);
    /// none for an item that applies throughout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// Who judges a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// The forge judges it from the repositories or their activity; a person can still
    /// override the result (exempt, not applicable).
    Automatic(Evaluator),
    /// A person judges it.
    Manual,
}

/// The checks the forge can run. Each names the evidence it looks at; what counts as
/// passing is documented per variant so evaluators and the people reading results agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evaluator {
    /// A license file whose SPDX identity is recognized and allowed by the policy.
    LicenseFile,
    /// A README at the repository root.
    ReadmePresent,
    /// A CONTRIBUTING file.
    ContributingPresent,
    /// A CODE_OF_CONDUCT file.
    CodeOfConductPresent,
    /// A SECURITY file: a private channel for reporting vulnerabilities.
    SecurityPolicy,
    /// A GOVERNANCE or MAINTAINERS file: who decides and how.
    GovernanceOrMaintainers,
    /// At least one tag or published release.
    TagsOrReleases,
    /// Some repository's newest published release has files (the forge publishes their
    /// SHA-256 and SHA-512) and none of its detached signatures is bad.
    ReleasesSignedOrDigested,
    /// OpenSSF Scorecard's "Maintained": commits in the last 90 days, about one a week.
    #[serde(rename = "recent_commits_90d")]
    RecentCommits90d,
    /// The elephant factor of recent commits is at least `min`
    /// ([`super::metrics::elephant_factor`]).
    ElephantFactor { min: u32 },
    /// The bus factor of recent commits is at least `min` ([`super::metrics::bus_factor`]).
    BusFactor { min: u32 },
    /// The median time to first response on recent issues is at most `max_median_hours`.
    IssueResponseTime { max_median_hours: u32 },
    /// Every release published since the project entered incubation was approved by a
    /// passed release vote (and there is at least one).
    ReleasesApprovedByVote,
}

/// What a program lets a project do with third-party code under a license. Named for
/// Apache's categories, which many foundations copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseCategory {
    /// Category A: may be included in source and binary form.
    Allowed,
    /// Category B: binary only, and labelled.
    Restricted,
    /// Category X: may not be included.
    Forbidden,
}

/// One license's category in a program's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseRule {
    /// An SPDX license identifier (`Apache-2.0`, `MulanPSL-2.0`) or a `LicenseRef-`.
    pub spdx: String,
    pub category: LicenseCategory,
}

/// Limits on admin-edited templates: generous for any real program, small enough that a
/// template cannot become a storage or rendering problem.
pub const MAX_STAGES: usize = 20;
pub const MAX_SECTIONS: usize = 100;
pub const MAX_CHECKLIST_ITEMS: usize = 200;
pub const MAX_LICENSE_RULES: usize = 1_000;
pub const KEY_MAX: usize = 40;
pub const CODE_MAX: usize = 32;
pub const SPDX_MAX: usize = 64;
pub const NAME_MAX: usize = 100;
pub const TITLE_MAX: usize = 200;
pub const TEXT_MAX: usize = 500;
pub const HELP_MAX: usize = 4_000;
/// A vote open longer than a year has stopped being a decision.
pub const MAX_VOTE_HOURS: u32 = 24 * 366;
/// A minimum above any real committee's size is a typo, not a rule.
pub const MAX_MIN_VOTES: u32 = 1_000;
pub const MAX_DISCUSSION_DAYS: u32 = 365;
pub const MAX_CUSTOM_VOTES: usize = 50;

/// The part of a template a [`TemplateError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Stage,
    Section,
    ChecklistItem,
    License,
    CustomVote,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Stage => "stage",
            Part::Section => "proposal section",
            Part::ChecklistItem => "checklist item",
            Part::License => "license",
            Part::CustomVote => "vote kind",
        })
    }
}

/// One problem with a template. Validation reports all of them at once, so an admin
/// fixes a template in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("the program needs at least one stage that is not terminal")]
    NoActiveStage,
    #[error("the program needs at least one terminal stage")]
    NoTerminalStage,
    #[error("stage {0:?} is not terminal but comes after a terminal stage")]
    ActiveAfterTerminal(String),
    #[error(
        "{part} key {key:?} must be 1 to {KEY_MAX} lower-case letters, digits, '-' or '_', starting with a letter"
    )]
    InvalidKey { part: Part, key: String },
    #[error(
        "checklist code {0:?} must be 1 to {CODE_MAX} upper-case letters, digits or '-', starting with a letter"
    )]
    InvalidCode(String),
    #[error("{0:?} is not an SPDX license identifier")]
    InvalidSpdxId(String),
    #[error("{part} {key:?} appears more than once")]
    Duplicate { part: Part, key: String },
    #[error("{part} {key:?} has no text")]
    MissingText { part: Part, key: String },
    #[error("{part} {key:?} has a text longer than {max} characters")]
    TextTooLong { part: Part, key: String, max: usize },
    #[error("at most {max} of {part} are allowed")]
    TooMany { part: Part, max: usize },
    #[error("the program needs a proposal form with at least one section")]
    NoProposalSections,
    #[error("no vote rule for {0}, which the stages make possible")]
    MissingVoteRule(VoteKind),
    #[error(
        "the vote for {0} needs a deadline of 1 to {MAX_VOTE_HOURS} hours, not before its minimum duration"
    )]
    InvalidVoteDuration(VoteKind),
    #[error("the vote for {0} asks for more than {MAX_MIN_VOTES} binding ballots")]
    ExcessiveMinimum(VoteKind),
    #[error("checklist item {0:?}: the evaluator's threshold must be at least 1")]
    InvalidEvaluator(String),
    #[error("the report cadence is out of range: {0}")]
    InvalidCadence(&'static str),
    #[error("the discussion period may be at most {MAX_DISCUSSION_DAYS} days")]
    DiscussionTooLong,
    #[error(
        "the vote kind {0:?} needs a deadline of 1 to {MAX_VOTE_HOURS} hours, not before its minimum duration, and at most {MAX_MIN_VOTES} binding ballots asked"
    )]
    InvalidCustomVote(String),
    #[error("votes of the program's own kinds are declared under custom_votes, not vote_rules")]
    CustomInVoteRules,
    #[error("proposals are decided by the committee: the vote for {0} cannot be left to a project")]
    ProjectVotersOnProposal(VoteKind),
    #[error("a board resolution needs a board to send it to")]
    ResolutionWithoutBoard,
    #[error("at most {max} vote kinds of the program's own are allowed")]
    TooManyCustomVotes { max: usize },
    #[error("checklist item {code:?} is for stage {stage:?}, which the program does not have")]
    UnknownCriterionStage { code: String, stage: String },
    #[error(
        "proposal section {key:?} is filled with people in role {role:?}; the roles are champion, mentor and committer"
    )]
    UnknownPeopleRole { key: String, role: String },
    #[error(
        "term {0:?}: the terms are champion, mentor, committer, ppmc and committee, each with an en and a zh-CN text of 1 to {NAME_MAX} characters"
    )]
    InvalidTerm(String),
    #[error("the sponsor is a short name of at most {SPONSOR_MAX} characters on one line")]
    InvalidSponsor,
}

impl TemplateError {
    /// Message-catalog key for this error.
    pub fn message_key(&self) -> &'static str {
        match self {
            TemplateError::NoActiveStage => "error.program.no_active_stage",
            TemplateError::NoTerminalStage => "error.program.no_terminal_stage",
            TemplateError::ActiveAfterTerminal(_) => "error.program.active_after_terminal",
            TemplateError::InvalidKey { .. } => "error.program.invalid_key",
            TemplateError::InvalidCode(_) => "error.program.invalid_code",
            TemplateError::InvalidSpdxId(_) => "error.program.invalid_spdx_id",
            TemplateError::Duplicate { .. } => "error.program.duplicate",
            TemplateError::MissingText { .. } => "error.program.missing_text",
            TemplateError::TextTooLong { .. } => "error.program.text_too_long",
            TemplateError::TooMany { .. } => "error.program.too_many",
            TemplateError::NoProposalSections => "error.program.no_proposal_sections",
            TemplateError::MissingVoteRule(_) => "error.program.missing_vote_rule",
            TemplateError::InvalidVoteDuration(_) => "error.program.invalid_vote_duration",
            TemplateError::ExcessiveMinimum(_) => "error.program.excessive_minimum",
            TemplateError::InvalidEvaluator(_) => "error.program.invalid_evaluator",
            TemplateError::InvalidCadence(_) => "error.program.invalid_cadence",
            TemplateError::DiscussionTooLong => "error.program.discussion_too_long",
            TemplateError::InvalidCustomVote(_) => "error.program.invalid_custom_vote",
            TemplateError::CustomInVoteRules => "error.program.custom_in_vote_rules",
            TemplateError::ProjectVotersOnProposal(_) => "error.program.project_voters_on_proposal",
            TemplateError::ResolutionWithoutBoard => "error.program.resolution_without_board",
            TemplateError::TooManyCustomVotes { .. } => "error.program.too_many_custom_votes",
            TemplateError::UnknownCriterionStage { .. } => "error.program.unknown_criterion_stage",
            TemplateError::UnknownPeopleRole { .. } => "error.program.unknown_people_role",
            TemplateError::InvalidTerm(_) => "error.program.invalid_term",
            TemplateError::InvalidSponsor => "error.program.invalid_sponsor",
        }
    }
}

/// A sponsor's short name: 1 to [`SPONSOR_MAX`] characters, no control characters (so one
/// line), not blank, no space around it.
pub fn is_valid_sponsor(s: &str) -> bool {
    !s.trim().is_empty()
        && s.trim() == s
        && s.chars().count() <= SPONSOR_MAX
        && !s.chars().any(char::is_control)
}

/// `[a-z][a-z0-9_-]{0,39}`.
pub fn is_valid_key(key: &str) -> bool {
    key.len() <= KEY_MAX
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// `[A-Z][A-Z0-9-]{0,31}`: Apache's `CD10`, or a program's own `SECURITY-AUDIT`.
pub fn is_valid_code(code: &str) -> bool {
    code.len() <= CODE_MAX
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// Looks like an SPDX short identifier (the license list's `[A-Za-z0-9.-]+`, with the
/// deprecated `+` suffix) or a `LicenseRef-`: one token, so expressions such as
/// `MIT OR Apache-2.0` are refused; each license of an expression is listed on its own.
pub fn is_spdx_like(id: &str) -> bool {
    let core = id.strip_suffix('+').unwrap_or(id);
    id.len() <= SPDX_MAX
        && core.starts_with(|c: char| c.is_ascii_alphanumeric())
        && core
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

impl ProgramTemplate {
    pub fn stage(&self, key: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.key == key)
    }

    /// Where an accepted proposal's project starts: the first stage.
    pub fn entry_stage(&self) -> Option<&Stage> {
        self.stages.first().filter(|s| s.terminal.is_none())
    }

    pub fn vote_config(&self, kind: VoteKind) -> Option<&VoteConfig> {
        self.vote_rules.get(&kind)
    }

    /// The program's word for `key` (a role or `committee`) in the language `lang` (a
    /// BCP 47 tag: `en`, `zh-CN`), if it has one.
    pub fn term(&self, key: &str, lang: &str) -> Option<&str> {
        let t = self.terms.get(key)?;
        let text = if lang == "zh-CN" { &t.zh_cn } else { &t.en };
        Some(text.as_str()).filter(|t| !t.trim().is_empty())
    }

    /// The sections filled in by typing, in order: those not filled from the People table.
    pub fn typed_sections(&self) -> impl Iterator<Item = &Section> {
        self.proposal_sections
            .iter()
            .filter(|s| s.people_role.is_none())
    }

    /// The roles the People table offers: those the form's people sections name, in the
    /// order of [`PROPOSAL_ROLES`]; all of them when the form has no such section.
    pub fn people_roles(&self) -> Vec<&'static str> {
        let named: Vec<&'static str> = PROPOSAL_ROLES
            .into_iter()
            .filter(|r| {
                self.proposal_sections
                    .iter()
                    .any(|s| s.people_role.as_deref() == Some(*r))
            })
            .collect();
        if named.is_empty() {
            PROPOSAL_ROLES.to_vec()
        } else {
            named
        }
    }

    /// The criteria of stage `key`: the checklist items for it.
    pub fn stage_criteria(&self, key: &str) -> impl Iterator<Item = &ChecklistItem> {
        self.checklist
            .iter()
            .filter(move |i| i.stage.as_deref() == Some(key))
    }

    /// The program's own vote kind `key`.
    pub fn custom_vote(&self, key: &str) -> Option<&CustomVote> {
        self.custom_votes.iter().find(|c| c.key == key)
    }

    /// Whether a passed graduation vote only recommends the project to a board, whose
    /// decision graduates it.
    pub fn graduation_needs_board(&self) -> bool {
        self.graduation.board.is_some()
    }

    /// The policy's category for an SPDX identifier. SPDX identifiers match
    /// case-insensitively (`apache-2.0` is `Apache-2.0`).
    pub fn license_category(&self, spdx: &str) -> Option<LicenseCategory> {
        let spdx = spdx.trim();
        self.license_policy
            .iter()
            .find(|r| r.spdx.eq_ignore_ascii_case(spdx))
            .map(|r| r.category)
    }

    /// Every problem with the template, or `Ok` if it can be used.
    ///
    /// Beyond well-formed keys, codes, identifiers and texts, a usable template has: at
    /// least one non-terminal stage first and at least one terminal stage, all non-terminal
    /// stages before the terminal ones (the order is the path through the program); a rule
    /// for accepting proposals, for `AdvanceStage` when there is more than one
    /// non-terminal stage, for `Graduate` when there is a `Graduated` stage and for
    /// `Retire` when there is a retirement stage; vote deadlines between 1 hour and a
    /// year and not before the minimum duration.
    pub fn validate(&self) -> Result<(), Vec<TemplateError>> {
        let mut errors = Vec::new();
        self.validate_stages(&mut errors);
        self.validate_votes(&mut errors);
        if let Err(what) = self.report_cadence.check() {
            errors.push(TemplateError::InvalidCadence(what));
        }
        self.validate_sections(&mut errors);
        self.validate_checklist(&mut errors);
        self.validate_licenses(&mut errors);
        if self.discussion_min_days > MAX_DISCUSSION_DAYS {
            errors.push(TemplateError::DiscussionTooLong);
        }
        self.validate_custom_votes(&mut errors);
        if self.graduation.resolution && self.graduation.board.is_none() {
            errors.push(TemplateError::ResolutionWithoutBoard);
        }
        if !is_valid_sponsor(&self.sponsor) && !self.sponsor.is_empty() {
            errors.push(TemplateError::InvalidSponsor);
        }
        for (key, t) in &self.terms {
            let fits = |s: &str| !s.trim().is_empty() && s.chars().count() <= NAME_MAX;
            if !TERM_KEYS.contains(&key.as_str()) || !fits(&t.en) || !fits(&t.zh_cn) {
                errors.push(TemplateError::InvalidTerm(key.clone()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn validate_stages(&self, errors: &mut Vec<TemplateError>) {
        if self.stages.len() > MAX_STAGES {
            errors.push(TemplateError::TooMany {
                part: Part::Stage,
                max: MAX_STAGES,
            });
        }
        let mut keys = HashSet::new();
        let mut seen_terminal = false;
        for s in &self.stages {
            if !is_valid_key(&s.key) {
                errors.push(TemplateError::InvalidKey {
                    part: Part::Stage,
                    key: s.key.clone(),
                });
            }
            if !keys.insert(s.key.as_str()) {
                errors.push(TemplateError::Duplicate {
                    part: Part::Stage,
                    key: s.key.clone(),
                });
            }
            check_text(errors, Part::Stage, &s.key, &s.name, NAME_MAX, true);
            match s.terminal {
                Some(_) => seen_terminal = true,
                None if seen_terminal => {
                    errors.push(TemplateError::ActiveAfterTerminal(s.key.clone()));
                }
                None => {}
            }
        }
        if !self.stages.iter().any(|s| s.terminal.is_none()) {
            errors.push(TemplateError::NoActiveStage);
        }
        if !seen_terminal {
            errors.push(TemplateError::NoTerminalStage);
        }
    }

    fn validate_votes(&self, errors: &mut Vec<TemplateError>) {
        let active = self.stages.iter().filter(|s| s.terminal.is_none()).count();
        let has = |f: fn(Terminal) -> bool| self.stages.iter().any(|s| s.terminal.is_some_and(f));
        let needed = [
            (VoteKind::AcceptProposal, true),
            (VoteKind::AdvanceStage, active > 1),
            (VoteKind::Graduate, has(|t| t == Terminal::Graduated)),
            (VoteKind::Retire, has(Terminal::is_retirement)),
            (
                VoteKind::Release,
                self.checklist.iter().any(|i| {
                    i.evaluation == Evaluation::Automatic(Evaluator::ReleasesApprovedByVote)
                }),
            ),
        ];
        for (kind, need) in needed {
            if need && !self.vote_rules.contains_key(&kind) {
                errors.push(TemplateError::MissingVoteRule(kind));
            }
        }
        for (kind, c) in &self.vote_rules {
            if !c.durations_valid() {
                errors.push(TemplateError::InvalidVoteDuration(*kind));
            }
            if !c.minimums_valid() {
                errors.push(TemplateError::ExcessiveMinimum(*kind));
            }
            if *kind == VoteKind::Custom {
                errors.push(TemplateError::CustomInVoteRules);
            }
            if *kind == VoteKind::AcceptProposal && c.voters != Voters::Committee {
                errors.push(TemplateError::ProjectVotersOnProposal(*kind));
            }
        }
    }

    fn validate_custom_votes(&self, errors: &mut Vec<TemplateError>) {
        if self.custom_votes.len() > MAX_CUSTOM_VOTES {
            errors.push(TemplateError::TooManyCustomVotes {
                max: MAX_CUSTOM_VOTES,
            });
        }
        let mut keys = HashSet::new();
        for c in &self.custom_votes {
            if !is_valid_key(&c.key) {
                errors.push(TemplateError::InvalidKey {
                    part: Part::CustomVote,
                    key: c.key.clone(),
                });
            }
            if !keys.insert(c.key.as_str()) {
                errors.push(TemplateError::Duplicate {
                    part: Part::CustomVote,
                    key: c.key.clone(),
                });
            }
            check_text(errors, Part::CustomVote, &c.key, &c.name, NAME_MAX, true);
            if !c.config.durations_valid() || !c.config.minimums_valid() {
                errors.push(TemplateError::InvalidCustomVote(c.key.clone()));
            }
        }
    }

    fn validate_sections(&self, errors: &mut Vec<TemplateError>) {
        if self.proposal_sections.is_empty() {
            errors.push(TemplateError::NoProposalSections);
        }
        if self.proposal_sections.len() > MAX_SECTIONS {
            errors.push(TemplateError::TooMany {
                part: Part::Section,
                max: MAX_SECTIONS,
            });
        }
        let mut keys = HashSet::new();
        for s in &self.proposal_sections {
            if !is_valid_key(&s.key) {
                errors.push(TemplateError::InvalidKey {
                    part: Part::Section,
                    key: s.key.clone(),
                });
            }
            if !keys.insert(s.key.as_str()) {
                errors.push(TemplateError::Duplicate {
                    part: Part::Section,
                    key: s.key.clone(),
                });
            }
            check_text(errors, Part::Section, &s.key, &s.title, TITLE_MAX, true);
            check_text(errors, Part::Section, &s.key, &s.help, HELP_MAX, false);
            check_text(errors, Part::Section, &s.key, &s.group, TITLE_MAX, false);
            if let Some(role) = &s.people_role
                && !PROPOSAL_ROLES.contains(&role.as_str())
            {
                errors.push(TemplateError::UnknownPeopleRole {
                    key: s.key.clone(),
                    role: role.clone(),
                });
            }
        }
    }

    fn validate_checklist(&self, errors: &mut Vec<TemplateError>) {
        if self.checklist.len() > MAX_CHECKLIST_ITEMS {
            errors.push(TemplateError::TooMany {
                part: Part::ChecklistItem,
                max: MAX_CHECKLIST_ITEMS,
            });
        }
        let mut codes = HashSet::new();
        for item in &self.checklist {
            if !is_valid_code(&item.code) {
                errors.push(TemplateError::InvalidCode(item.code.clone()));
            }
            if !codes.insert(item.code.as_str()) {
                errors.push(TemplateError::Duplicate {
                    part: Part::ChecklistItem,
                    key: item.code.clone(),
                });
            }
            check_text(
                errors,
                Part::ChecklistItem,
                &item.code,
                &item.text,
                TEXT_MAX,
                true,
            );
            if let Evaluation::Automatic(
                Evaluator::ElephantFactor { min: 0 }
                | Evaluator::BusFactor { min: 0 }
                | Evaluator::IssueResponseTime {
                    max_median_hours: 0,
                },
            ) = item.evaluation
            {
                errors.push(TemplateError::InvalidEvaluator(item.code.clone()));
            }
            if let Some(stage) = &item.stage
                && self.stage(stage).is_none()
            {
                errors.push(TemplateError::UnknownCriterionStage {
                    code: item.code.clone(),
                    stage: stage.clone(),
                });
            }
        }
    }

    fn validate_licenses(&self, errors: &mut Vec<TemplateError>) {
        if self.license_policy.len() > MAX_LICENSE_RULES {
            errors.push(TemplateError::TooMany {
                part: Part::License,
                max: MAX_LICENSE_RULES,
            });
        }
        let mut ids = HashSet::new();
        for r in &self.license_policy {
            if !is_spdx_like(&r.spdx) {
                errors.push(TemplateError::InvalidSpdxId(r.spdx.clone()));
            }
            if !ids.insert(r.spdx.to_ascii_lowercase()) {
                errors.push(TemplateError::Duplicate {
                    part: Part::License,
                    key: r.spdx.clone(),
                });
            }
        }
    }
}

/// A text's English is required when `required`; each language is at most `max`
/// characters.
fn check_text(
    errors: &mut Vec<TemplateError>,
    part: Part,
    key: &str,
    text: &Text,
    max: usize,
    required: bool,
) {
    if required && text.en.trim().is_empty() {
        errors.push(TemplateError::MissingText {
            part,
            key: key.to_owned(),
        });
    } else if text.all().any(|t| t.chars().count() > max) {
        errors.push(TemplateError::TextTooLong {
            part,
            key: key.to_owned(),
            max,
        });
    }
}

/// Why a project may not move between two stages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the program has no stage {0:?}")]
    UnknownStage(String),
    #[error("stage {0:?} is terminal; projects do not leave it")]
    FromTerminal(String),
    #[error("the project is already in that stage")]
    SameStage,
    #[error("projects only move forward")]
    Backward,
    #[error("projects move to the next stage without skipping one")]
    SkipsStage,
    #[error("projects graduate from the last stage before graduation")]
    NotFinalStage,
    #[error("a {kind} vote cannot move a project to stage {to:?}")]
    WrongKind { kind: VoteKind, to: String },
    #[error("this kind of vote does not move a project between stages")]
    NotAStageChange,
}

impl TransitionError {
    /// Message-catalog key for this error.
    pub fn message_key(&self) -> &'static str {
        match self {
            TransitionError::UnknownStage(_) => "error.transition.unknown_stage",
            TransitionError::FromTerminal(_) => "error.transition.from_terminal",
            TransitionError::SameStage => "error.transition.same_stage",
            TransitionError::Backward => "error.transition.backward",
            TransitionError::SkipsStage => "error.transition.skips_stage",
            TransitionError::NotFinalStage => "error.transition.not_final_stage",
            TransitionError::WrongKind { .. } => "error.transition.wrong_kind",
            TransitionError::NotAStageChange => "error.transition.not_a_stage_change",
        }
    }
}

/// Whether a `kind` decision may move a project from `from_stage` to `to_stage`.
///
/// Projects only move forward and never leave a terminal stage:
/// - `AdvanceStage` goes to the very next stage, which must not be terminal;
/// - `Graduate` goes to a `Graduated` stage, from the last non-terminal stage only
///   (graduation is the step after it: a CNCF sandbox project is not graduated without
///   incubating first);
/// - `Retire` goes to a `Retired`, `Archived` or `Emeritus` stage from any non-terminal
///   stage;
/// - `AcceptProposal` creates a project in [`ProgramTemplate::entry_stage`] and moves none.
///
/// The same rules hold whether the decision was a vote here or recorded by an admin.
pub fn may_transition(
    template: &ProgramTemplate,
    from_stage: &str,
    to_stage: &str,
    kind: VoteKind,
) -> Result<(), TransitionError> {
    let stages = &template.stages;
    let index = |key: &str| {
        stages
            .iter()
            .position(|s| s.key == key)
            .ok_or_else(|| TransitionError::UnknownStage(key.to_owned()))
    };
    let from = index(from_stage)?;
    let to = index(to_stage)?;
    if stages[from].terminal.is_some() {
        return Err(TransitionError::FromTerminal(from_stage.to_owned()));
    }
    if from == to {
        return Err(TransitionError::SameStage);
    }
    let wrong_kind = || TransitionError::WrongKind {
        kind,
        to: to_stage.to_owned(),
    };
    let target = stages[to].terminal;
    match kind {
        VoteKind::AcceptProposal
        | VoteKind::Release
        | VoteKind::Committer
        | VoteKind::PpmcMember
        | VoteKind::Custom => Err(TransitionError::NotAStageChange),
        VoteKind::AdvanceStage => {
            if target.is_some() {
                Err(wrong_kind())
            } else if to < from {
                Err(TransitionError::Backward)
            } else if to > from + 1 {
                Err(TransitionError::SkipsStage)
            } else {
                Ok(())
            }
        }
        VoteKind::Graduate => {
            if target != Some(Terminal::Graduated) {
                Err(wrong_kind())
            } else if stages[from + 1..].iter().any(|s| s.terminal.is_none()) {
                Err(TransitionError::NotFinalStage)
            } else {
                Ok(())
            }
        }
        VoteKind::Retire => {
            if target.is_some_and(Terminal::is_retirement) {
                Ok(())
            } else {
                Err(wrong_kind())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::presets::{Preset, preset};
    use super::super::votes::Basis;
    use super::*;

    fn stage(key: &str, terminal: Option<Terminal>) -> Stage {
        Stage {
            key: key.into(),
            name: key.to_uppercase().into(),
            terminal,
        }
    }

    type Expected = Result<(), TransitionError>;

    #[test]
    fn transitions() {
        use TransitionError::*;
        use VoteKind::*;
        let cncf = preset(Preset::Cncf);
        let apache = preset(Preset::Apache);
        let lf = preset(Preset::LfAiData);
        let wrong = |kind, to: &str| {
            Err(WrongKind {
                kind,
                to: to.into(),
            })
        };
        #[rustfmt::skip]
        let table: &[(&ProgramTemplate, &str, &str, VoteKind, Expected)] = &[
            (&cncf, "sandbox",    "incubating", AdvanceStage,   Ok(())),
            (&cncf, "incubating", "graduated",  Graduate,       Ok(())),
            (&cncf, "sandbox",    "archived",   Retire,         Ok(())),
            (&cncf, "incubating", "archived",   Retire,         Ok(())),
            (&cncf, "sandbox",    "graduated",  Graduate,       Err(NotFinalStage)),
            (&cncf, "incubating", "sandbox",    AdvanceStage,   Err(Backward)),
            (&cncf, "sandbox",    "sandbox",    AdvanceStage,   Err(SameStage)),
            (&cncf, "sandbox",    "graduated",  AdvanceStage,   wrong(AdvanceStage, "graduated")),
            (&cncf, "sandbox",    "incubating", Graduate,       wrong(Graduate, "incubating")),
            (&cncf, "incubating", "archived",   Graduate,       wrong(Graduate, "archived")),
            (&cncf, "incubating", "graduated",  Retire,         wrong(Retire, "graduated")),
            (&cncf, "sandbox",    "incubating", Retire,         wrong(Retire, "incubating")),
            (&cncf, "graduated",  "archived",   Retire,         Err(FromTerminal("graduated".into()))),
            (&cncf, "archived",   "sandbox",    AdvanceStage,   Err(FromTerminal("archived".into()))),
            (&cncf, "sandbox",    "nowhere",    AdvanceStage,   Err(UnknownStage("nowhere".into()))),
            (&cncf, "nowhere",    "sandbox",    AdvanceStage,   Err(UnknownStage("nowhere".into()))),
            (&cncf, "sandbox",    "incubating", AcceptProposal, Err(NotAStageChange)),
            (&cncf, "sandbox",    "incubating", Release,        Err(NotAStageChange)),
            (&apache, "current",  "graduated",  Release,        Err(NotAStageChange)),
            (&apache, "current",  "graduated",  Committer,      Err(NotAStageChange)),
            (&apache, "current",  "graduated",  PpmcMember,     Err(NotAStageChange)),
            (&apache, "current",  "graduated",  Custom,         Err(NotAStageChange)),
            (&apache, "current",  "graduated",  Graduate,       Ok(())),
            (&apache, "current",  "retired",    Retire,         Ok(())),
            (&apache, "retired",  "current",    AdvanceStage,   Err(FromTerminal("retired".into()))),
            (&apache, "current",  "retired",    Graduate,       wrong(Graduate, "retired")),
            (&lf, "sandbox",      "incubation", AdvanceStage,   Ok(())),
            (&lf, "sandbox",      "graduation", Graduate,       Err(NotFinalStage)),
            (&lf, "incubation",   "graduation", Graduate,       Ok(())),
            (&lf, "sandbox",      "emeritus",   Retire,         Ok(())),
            (&lf, "emeritus",     "graduation", Graduate,       Err(FromTerminal("emeritus".into()))),
        ];
        for (i, (t, from, to, kind, want)) in table.iter().enumerate() {
            assert_eq!(
                &may_transition(t, from, to, *kind),
                want,
                "row {i}: {from} -> {to} by {kind}"
            );
        }
        // Three active stages: no skipping the middle one.
        let mut three = preset(Preset::Cncf);
        three.stages.insert(2, stage("mature", None));
        assert_eq!(
            may_transition(&three, "sandbox", "mature", AdvanceStage),
            Err(SkipsStage)
        );
        assert_eq!(
            may_transition(&three, "incubating", "mature", AdvanceStage),
            Ok(())
        );
        assert_eq!(
            may_transition(&three, "incubating", "graduated", Graduate),
            Err(NotFinalStage)
        );
    }

    /// A template without the new fields (stored before they existed) reads with none, and
    /// one with them round-trips.
    #[test]
    fn terms_groups_people_and_criteria_are_optional_data() {
        let mut t = preset(Preset::Blank);
        let mut json = serde_json::to_value(&t).unwrap();
        assert!(json.get("terms").is_none());
        json["proposal_sections"][0]
            .as_object_mut()
            .unwrap()
            .remove("group");
        let back: ProgramTemplate = serde_json::from_value(json).unwrap();
        assert_eq!(back, t);
        t.terms.insert(
            "committer".into(),
            Term {
                en: "Maintainer".into(),
                zh_cn: "维护者".into(),
            },
        );
        t.proposal_sections[1].people_role = Some("committer".into());
        t.checklist[0].stage = Some("incubating".into());
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"zh-CN\":\"维护者\""), "{json}");
        let back: ProgramTemplate = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.term("committer", "zh-CN"), Some("维护者"));
        assert_eq!(back.term("committer", "en"), Some("Maintainer"));
        assert_eq!(back.term("mentor", "en"), None);
        assert_eq!(back.people_roles(), ["committer"]);
        assert_eq!(back.typed_sections().count(), 1);
        assert_eq!(back.stage_criteria("incubating").count(), 1);
        assert_eq!(preset(Preset::Blank).people_roles(), PROPOSAL_ROLES);
    }

    #[test]
    fn presets_are_valid() {
        for p in Preset::ALL {
            assert_eq!(preset(p).validate(), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn invalid_templates_are_refused_with_every_problem() {
        use TemplateError::*;
        let base = preset(Preset::Blank);
        type Edit = fn(&mut ProgramTemplate);
        #[rustfmt::skip]
        let table: &[(&str, Edit, Vec<TemplateError>)] = &[
            ("no stages", |t| t.stages.clear(), vec![NoActiveStage, NoTerminalStage]),
            ("only terminal", |t| t.stages.retain(|s| s.terminal.is_some()), vec![NoActiveStage]),
            ("only active", |t| t.stages.retain(|s| s.terminal.is_none()), vec![NoTerminalStage]),
            ("active after terminal", |t| t.stages.push(stage("late", None)),
                vec![ActiveAfterTerminal("late".into()), MissingVoteRule(VoteKind::AdvanceStage)]),
            ("bad stage key", |t| t.stages[0].key = "Incubating".into(),
                vec![InvalidKey { part: Part::Stage, key: "Incubating".into() }]),
            ("duplicate stage", |t| t.stages[2].key = t.stages[1].key.clone(),
                vec![Duplicate { part: Part::Stage, key: "graduated".into() }]),
            ("unnamed stage", |t| t.stages[0].name = " ".into(),
                vec![MissingText { part: Part::Stage, key: "incubating".into() }]),
            ("long stage name", |t| t.stages[0].name = "x".repeat(NAME_MAX + 1).into(),
                vec![TextTooLong { part: Part::Stage, key: "incubating".into(), max: NAME_MAX }]),
            ("no accept rule", |t| { t.vote_rules.remove(&VoteKind::AcceptProposal); },
                vec![MissingVoteRule(VoteKind::AcceptProposal)]),
            ("no graduate rule", |t| { t.vote_rules.remove(&VoteKind::Graduate); },
                vec![MissingVoteRule(VoteKind::Graduate)]),
            ("no retire rule", |t| { t.vote_rules.remove(&VoteKind::Retire); },
                vec![MissingVoteRule(VoteKind::Retire)]),
            // Release votes are optional, unless the checklist judges releases by them.
            ("no release rule", |t| { t.vote_rules.remove(&VoteKind::Release); }, vec![]),
            ("release item without rule", |t| {
                t.vote_rules.remove(&VoteKind::Release);
                t.checklist.push(ChecklistItem {
                    code: "RE20".into(),
                    text: "Releases voted".into(),
                    evaluation: Evaluation::Automatic(Evaluator::ReleasesApprovedByVote),
                    stage: None,
                });
            }, vec![MissingVoteRule(VoteKind::Release)]),
            ("deadline before minimum", |t| {
                if let Some(c) = t.vote_rules.get_mut(&VoteKind::Retire) { c.deadline_hours = 24; }
            }, vec![InvalidVoteDuration(VoteKind::Retire)]),
            ("no deadline", |t| {
                if let Some(c) = t.vote_rules.get_mut(&VoteKind::Retire) {
                    c.min_duration_hours = 0;
                    c.deadline_hours = 0;
                }
            }, vec![InvalidVoteDuration(VoteKind::Retire)]),
            ("deadline in two years", |t| {
                if let Some(c) = t.vote_rules.get_mut(&VoteKind::Retire) { c.deadline_hours = 2 * 8760; }
            }, vec![InvalidVoteDuration(VoteKind::Retire)]),
            ("absurd quorum", |t| {
                if let Some(c) = t.vote_rules.get_mut(&VoteKind::Graduate) {
                    c.rule = VoteRule::TwoThirds {
                        basis: Basis::Cast, min_binding_votes: 30_000, min_binding_plus: 0, veto: false,
                    };
                }
            }, vec![ExcessiveMinimum(VoteKind::Graduate)]),
            ("no sections", |t| t.proposal_sections.clear(), vec![NoProposalSections]),
            ("duplicate section", |t| {
                let s = t.proposal_sections[0].clone();
                t.proposal_sections.push(s);
            }, vec![Duplicate { part: Part::Section, key: "abstract".into() }]),
            ("bad section key", |t| t.proposal_sections[0].key = "1st".into(),
                vec![InvalidKey { part: Part::Section, key: "1st".into() }]),
            ("untitled section", |t| t.proposal_sections[0].title = Text::default(),
                vec![MissingText { part: Part::Section, key: "abstract".into() }]),
            ("bad code", |t| t.checklist[0].code = "cd10".into(), vec![InvalidCode("cd10".into())]),
            ("duplicate code", |t| {
                let i = t.checklist[0].clone();
                t.checklist.push(i);
            }, vec![Duplicate { part: Part::ChecklistItem, key: "LICENSE".into() }]),
            ("zero threshold", |t| {
                t.checklist[0].evaluation = Evaluation::Automatic(Evaluator::BusFactor { min: 0 });
            }, vec![InvalidEvaluator("LICENSE".into())]),
            ("empty item", |t| t.checklist[0].text = Text::default(),
                vec![MissingText { part: Part::ChecklistItem, key: "LICENSE".into() }]),
            ("spdx expression", |t| t.license_policy.push(LicenseRule {
                spdx: "MIT OR Apache-2.0".into(), category: LicenseCategory::Allowed,
            }), vec![InvalidSpdxId("MIT OR Apache-2.0".into())]),
            ("duplicate license", |t| {
                for (spdx, category) in [("MIT", LicenseCategory::Allowed), ("mit", LicenseCategory::Forbidden)] {
                    t.license_policy.push(LicenseRule { spdx: spdx.into(), category });
                }
            }, vec![Duplicate { part: Part::License, key: "mit".into() }]),
            ("cadence", |t| t.report_cadence.every_months = 1_000,
                vec![InvalidCadence("every_months")]),
            ("calendar", |t| {
                t.report_cadence.calendar = Some(super::super::reports::BoardCalendar {
                    due_day: 31,
                    ..super::super::reports::BoardCalendar::apache()
                });
            }, vec![InvalidCadence("calendar.due_day")]),
            ("sponsor sentence", |t| t.sponsor = "The Apache Incubator PMC will sponsor this podling through its incubation.".into(),
                vec![InvalidSponsor]),
            ("sponsor on two lines", |t| t.sponsor = "Incubator\nPMC".into(), vec![InvalidSponsor]),
            ("long discussion", |t| t.discussion_min_days = 400, vec![DiscussionTooLong]),
            ("criterion of a missing stage", |t| t.checklist[0].stage = Some("sandbox".into()),
                vec![UnknownCriterionStage { code: "LICENSE".into(), stage: "sandbox".into() }]),
            ("criterion of a stage", |t| t.checklist[0].stage = Some("incubating".into()), vec![]),
            ("people section of an unknown role", |t| t.proposal_sections[0].people_role = Some("ppmc".into()),
                vec![UnknownPeopleRole { key: "abstract".into(), role: "ppmc".into() }]),
            ("people section", |t| t.proposal_sections[0].people_role = Some("mentor".into()), vec![]),
            ("long group", |t| t.proposal_sections[0].group = "x".repeat(TITLE_MAX + 1).into(),
                vec![TextTooLong { part: Part::Section, key: "abstract".into(), max: TITLE_MAX }]),
            ("unknown term", |t| { t.terms.insert("king".into(), Term { en: "King".into(), zh_cn: "王".into() }); },
                vec![InvalidTerm("king".into())]),
            ("term without Chinese", |t| { t.terms.insert("committer".into(), Term { en: "Maintainer".into(), zh_cn: " ".into() }); },
                vec![InvalidTerm("committer".into())]),
            ("a term", |t| { t.terms.insert("committer".into(), Term { en: "Maintainer".into(), zh_cn: "维护者".into() }); },
                vec![]),
        ];
        for (name, edit, want) in table {
            let mut t = base.clone();
            edit(&mut t);
            let got = t.validate();
            if want.is_empty() {
                assert_eq!(got, Ok(()), "{name}");
            } else {
                assert_eq!(got.as_ref(), Err(want), "{name}");
            }
        }
        // A template broken in several ways reports each way.
        let mut t = base;
        t.stages.clear();
        t.proposal_sections.clear();
        t.discussion_min_days = 1_000;
        assert_eq!(t.validate().map_err(|e| e.len()), Err(4));
        for e in t.validate().err().unwrap_or_default() {
            assert!(e.message_key().starts_with("error.program."));
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn custom_votes_and_graduation_are_validated() {
        use TemplateError::*;
        let majority = VoteRule::Majority {
            basis: Basis::Cast,
            min_binding_votes: 0,
            min_binding_plus: 0,
            veto: false,
        };
        let config = VoteConfig {
            rule: majority,
            min_duration_hours: 72,
            deadline_hours: 72,
            voters: Voters::ProjectPmc,
        };
        let custom = |key: &str, name: &str| CustomVote {
            key: key.into(),
            name: name.into(),
            config,
            on_pass: CustomEffect::Record,
        };
        let mut t = preset(Preset::Blank);
        t.custom_votes = vec![custom("logo", "Adopt a logo"), custom("rename", "Rename")];
        assert_eq!(t.validate(), Ok(()));
        assert_eq!(
            t.custom_vote("logo").map(|c| c.on_pass),
            Some(CustomEffect::Record)
        );
        assert!(t.custom_vote("name").is_none());

        let mut bad = t.clone();
        bad.custom_votes.push(custom("logo", ""));
        bad.custom_votes.push(custom("Bad Key", "x"));
        let mut slow = custom("slow", "Slow");
        slow.config.deadline_hours = 10;
        bad.custom_votes.push(slow);
        bad.vote_rules.insert(VoteKind::Custom, config);
        if let Some(c) = bad.vote_rules.get_mut(&VoteKind::AcceptProposal) {
            c.voters = Voters::ProjectCommitters;
        }
        bad.graduation = Graduation {
            due_diligence: false,
            board: None,
            resolution: true,
        };
        assert_eq!(
            bad.validate(),
            Err(vec![
                ProjectVotersOnProposal(VoteKind::AcceptProposal),
                CustomInVoteRules,
                Duplicate {
                    part: Part::CustomVote,
                    key: "logo".into()
                },
                MissingText {
                    part: Part::CustomVote,
                    key: "logo".into()
                },
                InvalidKey {
                    part: Part::CustomVote,
                    key: "Bad Key".into()
                },
                InvalidCustomVote("slow".into()),
                ResolutionWithoutBoard,
            ])
        );
        let mut many = t;
        many.custom_votes = (0..=MAX_CUSTOM_VOTES)
            .map(|i| custom(&format!("v{i}"), "V"))
            .collect();
        assert_eq!(
            many.validate(),
            Err(vec![TooManyCustomVotes {
                max: MAX_CUSTOM_VOTES
            }])
        );
        for e in bad.validate().err().unwrap_or_default() {
            assert!(e.message_key().starts_with("error.program."));
        }
        // Templates stored before these fields existed still read.
        let mut json = serde_json::to_value(preset(Preset::Apache)).unwrap_or_default();
        if let Some(o) = json.as_object_mut() {
            o.remove("custom_votes");
            o.remove("graduation");
        }
        if let Some(rules) = json["vote_rules"].as_object_mut() {
            for r in rules.values_mut() {
                if let Some(o) = r.as_object_mut() {
                    o.remove("voters");
                }
            }
        }
        let old: ProgramTemplate =
            serde_json::from_value(json).unwrap_or_else(|_| preset(Preset::Blank));
        assert_eq!(old.graduation, Graduation::default());
        assert_eq!(
            old.vote_rules[&VoteKind::Committer].voters,
            Voters::Committee
        );
        assert_eq!(old.stages, preset(Preset::Apache).stages);
    }

    #[test]
    fn mentor_rule_is_part_of_the_template() {
        assert_eq!(
            preset(Preset::Apache).roster.mentors_on_committee,
            MentorRule::Refuse
        );
        assert_eq!(
            preset(Preset::Cncf).roster.mentors_on_committee,
            MentorRule::Warn
        );
        assert_eq!(
            preset(Preset::Blank).roster.mentors_on_committee,
            MentorRule::Refuse
        );
        for rule in MentorRule::ALL {
            assert_eq!(rule.judge(true), MentorJudgement::Ok);
        }
        assert_eq!(MentorRule::Refuse.judge(false), MentorJudgement::Refuse);
        assert_eq!(MentorRule::Warn.judge(false), MentorJudgement::Warn);
        assert_eq!(MentorRule::Allow.judge(false), MentorJudgement::Ok);
        let mut json = serde_json::to_value(preset(Preset::Apache)).unwrap_or_default();
        assert_eq!(json["roster"]["mentors_on_committee"], "refuse");
        // An unknown rule does not parse: the settings page refuses it.
        json["roster"]["mentors_on_committee"] = "sometimes".into();
        assert!(serde_json::from_value::<ProgramTemplate>(json.clone()).is_err());
        json["roster"]["mentors_on_committee"] = "allow".into();
        let allow: Result<ProgramTemplate, _> = serde_json::from_value(json.clone());
        assert_eq!(
            allow.map(|t| t.roster.mentors_on_committee).ok(),
            Some(MentorRule::Allow)
        );
        // Templates stored before the rule existed refuse.
        if let Some(o) = json.as_object_mut() {
            o.remove("roster");
        }
        let old: Result<ProgramTemplate, _> = serde_json::from_value(json);
        assert_eq!(
            old.map(|t| t.roster.mentors_on_committee).ok(),
            Some(MentorRule::Refuse)
        );
    }

    #[test]
    fn adding_stages_asks_for_their_rules() {
        let mut t = preset(Preset::Blank);
        t.vote_rules.clear();
        t.stages.insert(1, stage("mature", None));
        t.stages.push(stage("emeritus", Some(Terminal::Emeritus)));
        assert_eq!(
            t.validate(),
            Err(vec![
                TemplateError::MissingVoteRule(VoteKind::AcceptProposal),
                TemplateError::MissingVoteRule(VoteKind::AdvanceStage),
                TemplateError::MissingVoteRule(VoteKind::Graduate),
                TemplateError::MissingVoteRule(VoteKind::Retire),
            ])
        );
    }

    #[test]
    fn identifiers() {
        for ok in [
            "Apache-2.0",
            "MulanPSL-2.0",
            "GPL-2.0+",
            "0BSD",
            "LicenseRef-Commons-Clause",
        ] {
            assert!(is_spdx_like(ok), "{ok}");
        }
        for bad in [
            "",
            "+",
            "MIT OR Apache-2.0",
            "-MIT",
            "GPL-2.0++",
            "GPL+2",
            "Apache 2",
            "木兰",
            "a/b",
        ] {
            assert!(!is_spdx_like(bad), "{bad}");
        }
        assert!(!is_spdx_like(&"A".repeat(SPDX_MAX + 1)));
        for ok in ["current", "sandbox", "initial_goals", "x-1"] {
            assert!(is_valid_key(ok), "{ok}");
        }
        for bad in ["", "Current", "_x", "1st", "a b", "é"] {
            assert!(!is_valid_key(bad), "{bad}");
        }
        assert!(!is_valid_key(&"a".repeat(KEY_MAX + 1)));
        for ok in ["CD10", "IN20", "SECURITY-AUDIT"] {
            assert!(is_valid_code(ok), "{ok}");
        }
        for bad in ["", "cd10", "10CD", "CD 10", "CD_10"] {
            assert!(!is_valid_code(bad), "{bad}");
        }
    }

    #[test]
    fn license_lookup() {
        let t = preset(Preset::Apache);
        #[rustfmt::skip]
        let table: &[(&str, Option<LicenseCategory>)] = &[
            ("Apache-2.0",   Some(LicenseCategory::Allowed)),
            ("apache-2.0",   Some(LicenseCategory::Allowed)),
            ("MulanPSL-2.0", Some(LicenseCategory::Allowed)),
            (" MIT ",        Some(LicenseCategory::Allowed)),
            ("MPL-2.0",      Some(LicenseCategory::Restricted)),
            ("GPL-3.0-only", Some(LicenseCategory::Forbidden)),
            ("AGPL-3.0-or-later", Some(LicenseCategory::Forbidden)),
            ("SSPL-1.0",     Some(LicenseCategory::Forbidden)),
            ("WTFPL",        None),
        ];
        for (id, want) in table {
            assert_eq!(t.license_category(id), *want, "{id}");
        }
    }

    #[test]
    fn windows_from_config() {
        let c = preset(Preset::Apache).vote_rules[&VoteKind::AcceptProposal];
        let w = c.window(1_000);
        assert_eq!(w.min_end_ms(), 1_000 + 72 * 3_600_000);
        assert_eq!(w.closes_at_ms(), 1_000 + 72 * 3_600_000);
    }
}
