//! Vote tallying: the rules by which a committee decides, as pure functions of the
//! electorate snapshot, the ballots and the clock.
//!
//! The result of a vote must be reproducible from stored facts alone (the snapshot size,
//! the ballots, the window), so an audit can recompute any past decision. Nothing here
//! reads the clock: `now_ms` is always a parameter.
//!
//! Vocabulary: a *binding* ballot comes from a member of the electorate snapshot taken
//! when the vote opened (the committee); every other ballot is *non-binding* and is
//! counted for information only. `+1` is for, `-1` against, `0` an abstention.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::roles::UnknownValue;

/// Apache's rule of thumb: a vote stays open at least 72 hours so that people in every
/// time zone, and those away for a weekend, can take part.
pub const DEFAULT_MIN_DURATION_HOURS: u32 = 72;
pub const MS_PER_HOUR: i64 = 3_600_000;

/// What a vote decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteKind {
    /// Admit a proposed project into the program's entry stage.
    AcceptProposal,
    /// Move a project to the next non-terminal stage (CNCF sandbox -> incubating).
    AdvanceStage,
    /// Move a project to a `Graduated` terminal stage.
    Graduate,
    /// Move a project to a `Retired`, `Archived` or `Emeritus` terminal stage.
    Retire,
    /// Approve a release candidate of one of a project's repositories: when it passes, the
    /// release is published.
    Release,
    /// Elect someone a committer of a project: when it passes, they join its roster as one.
    Committer,
    /// Elect someone to a project's management committee (Apache's PPMC): when it passes,
    /// they join its roster in that role.
    PpmcMember,
    /// A vote of a kind the program's template declares ([`super::program::CustomVote`]);
    /// the vote names which one.
    Custom,
}

impl VoteKind {
    pub const ALL: [VoteKind; 8] = [
        VoteKind::AcceptProposal,
        VoteKind::AdvanceStage,
        VoteKind::Graduate,
        VoteKind::Retire,
        VoteKind::Release,
        VoteKind::Committer,
        VoteKind::PpmcMember,
        VoteKind::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VoteKind::AcceptProposal => "accept_proposal",
            VoteKind::AdvanceStage => "advance_stage",
            VoteKind::Graduate => "graduate",
            VoteKind::Retire => "retire",
            VoteKind::Release => "release",
            VoteKind::Committer => "committer",
            VoteKind::PpmcMember => "ppmc_member",
            VoteKind::Custom => "custom",
        }
    }

    /// The roster role an election of this kind gives the person elected; `None` for the
    /// kinds that elect no one.
    pub fn election_role(self) -> Option<&'static str> {
        match self {
            VoteKind::Committer => Some(ROLE_COMMITTER),
            VoteKind::PpmcMember => Some(ROLE_PPMC),
            _ => None,
        }
    }

    /// Whether a vote of this kind moves a project between stages (only one such vote may
    /// be open on a project at a time); release votes do not, and run beside them.
    pub fn changes_stage(self) -> bool {
        matches!(
            self,
            VoteKind::AdvanceStage | VoteKind::Graduate | VoteKind::Retire
        )
    }
}

/// Roster roles the vote rules know. A program may use roles of its own beside these.
pub const ROLE_CHAMPION: &str = "champion";
pub const ROLE_MENTOR: &str = "mentor";
pub const ROLE_COMMITTER: &str = "committer";
/// A member of the project's own management committee (Apache: the PPMC).
pub const ROLE_PPMC: &str = "ppmc";

/// Who the electorate of a kind of vote is, frozen when a vote opens. Only the committee
/// decides about proposals; the votes on a project may be left to its own people, as an
/// Apache podling's PPMC elects its committers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Voters {
    /// The program's committee (Apache's IPMC, CNCF's TOC, LF AI & Data's TAC).
    #[default]
    Committee,
    /// The project's management committee: its PPMC members, mentors and champion.
    ProjectPmc,
    /// Everyone on the project's roster with a say: the management committee and the
    /// committers (CNCF: the project's maintainers).
    ProjectCommitters,
}

impl Voters {
    pub const ALL: [Voters; 3] = [
        Voters::Committee,
        Voters::ProjectPmc,
        Voters::ProjectCommitters,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Voters::Committee => "committee",
            Voters::ProjectPmc => "project_pmc",
            Voters::ProjectCommitters => "project_committers",
        }
    }

    /// The roster roles whose current holders (with an account) are the electorate; empty
    /// for the committee.
    pub fn roles(self) -> &'static [&'static str] {
        match self {
            Voters::Committee => &[],
            Voters::ProjectPmc => &[ROLE_PPMC, ROLE_MENTOR, ROLE_CHAMPION],
            Voters::ProjectCommitters => &[ROLE_PPMC, ROLE_MENTOR, ROLE_CHAMPION, ROLE_COMMITTER],
        }
    }

    /// Whether someone in `role` on the project's roster votes under this rule.
    pub fn includes_role(self, role: &str) -> bool {
        self.roles().contains(&role)
    }
}

impl FromStr for Voters {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Voters::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or(UnknownValue)
    }
}

/// What is known about a project and a person when someone asks to open an election.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ElectionFacts {
    /// The project is still incubating (not in a terminal stage).
    pub incubating: bool,
    /// The person already holds the role on the project's roster.
    pub already_in_role: bool,
    /// An election of the same person to the same role is open.
    pub open_election: bool,
}

/// Why an election cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ElectionError {
    #[error("the project is not incubating")]
    NotIncubating,
    #[error("the person already holds this role in the project")]
    AlreadyInRole,
    #[error("an election of this person to this role is already open")]
    AlreadyOpen,
}

impl ElectionError {
    /// Message-catalog key for this error.
    pub fn message_key(self) -> &'static str {
        match self {
            ElectionError::NotIncubating => "error.election.not_incubating",
            ElectionError::AlreadyInRole => "error.election.already_in_role",
            ElectionError::AlreadyOpen => "error.election.already_open",
        }
    }
}

/// Whether an election may be opened: on an incubating project, of someone not already in
/// the role, with no election of them to it open. Checked in this order.
pub fn may_open_election(f: ElectionFacts) -> Result<(), ElectionError> {
    if !f.incubating {
        Err(ElectionError::NotIncubating)
    } else if f.already_in_role {
        Err(ElectionError::AlreadyInRole)
    } else if f.open_election {
        Err(ElectionError::AlreadyOpen)
    } else {
        Ok(())
    }
}

/// What is known about a release when someone asks to open a release vote on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReleaseVoteFacts {
    /// The release is a release candidate.
    pub candidate: bool,
    /// The release is a draft (its tag may not exist yet).
    pub draft: bool,
    /// The project owning the repository is still incubating (not in a terminal stage).
    pub incubating: bool,
    /// Another release vote on this release is open.
    pub open_vote: bool,
}

/// Why a release vote cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseVoteError {
    #[error("only a release candidate is voted on")]
    NotCandidate,
    #[error("a draft is published as a candidate before it is voted on")]
    Draft,
    #[error("the repository's project is not incubating")]
    NotIncubating,
    #[error("a vote on this release is already open")]
    AlreadyOpen,
    /// A candidate under an open vote keeps its tag, its state and its files: the vote
    /// is on exactly those.
    #[error("a release vote on it is open: its tag, state and files cannot change until it closes")]
    UnderVote,
}

impl ReleaseVoteError {
    /// Message-catalog key for this error.
    pub fn message_key(self) -> &'static str {
        match self {
            ReleaseVoteError::NotCandidate => "release.vote.error.not_candidate",
            ReleaseVoteError::Draft => "release.vote.error.draft",
            ReleaseVoteError::NotIncubating => "release.vote.error.not_incubating",
            ReleaseVoteError::AlreadyOpen => "release.vote.error.already_open",
            ReleaseVoteError::UnderVote => "release.vote.error.under_vote",
        }
    }
}

/// Whether a release vote may be opened on a release: it must be a candidate that is not
/// a draft (voters need its tag and files), of a project still incubating, with no other
/// release vote open on it. Checked in this order, so the reason given is stable.
pub fn may_open_release_vote(f: ReleaseVoteFacts) -> Result<(), ReleaseVoteError> {
    if !f.candidate {
        Err(ReleaseVoteError::NotCandidate)
    } else if f.draft {
        Err(ReleaseVoteError::Draft)
    } else if !f.incubating {
        Err(ReleaseVoteError::NotIncubating)
    } else if f.open_vote {
        Err(ReleaseVoteError::AlreadyOpen)
    } else {
        Ok(())
    }
}

/// What a closed release vote does to its candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseVoteEffect {
    /// Passed: the candidate is published (no longer a candidate, not a draft, dated now).
    Publish,
    /// Failed or cancelled: it stays a candidate, hidden as before; a new candidate or a
    /// new vote may follow.
    KeepCandidate,
}

/// [`ReleaseVoteEffect`] of a vote that closed in `state`.
pub fn release_vote_effect(state: VoteState) -> ReleaseVoteEffect {
    if state == VoteState::Passed {
        ReleaseVoteEffect::Publish
    } else {
        ReleaseVoteEffect::KeepCandidate
    }
}

impl fmt::Display for VoteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VoteKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VoteKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownValue)
    }
}

/// A stored vote's state. `Cancelled` is never computed by a tally: it is what becomes of
/// an open vote when the thing voted on changes (a proposal edited during its vote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteState {
    Open,
    Passed,
    Failed,
    Cancelled,
}

impl VoteState {
    pub const ALL: [VoteState; 4] = [
        VoteState::Open,
        VoteState::Passed,
        VoteState::Failed,
        VoteState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VoteState::Open => "open",
            VoteState::Passed => "passed",
            VoteState::Failed => "failed",
            VoteState::Cancelled => "cancelled",
        }
    }

    /// Closed votes are immutable: their result never changes and they take no ballots.
    pub fn is_closed(self) -> bool {
        self != VoteState::Open
    }
}

impl From<Outcome> for VoteState {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Pending => VoteState::Open,
            Outcome::Passed => VoteState::Passed,
            Outcome::Failed => VoteState::Failed,
        }
    }
}

impl fmt::Display for VoteState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VoteState {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VoteState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownValue)
    }
}

/// A ballot's value, written the way mailing-list votes are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BallotValue {
    #[serde(rename = "+1")]
    Plus1,
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "-1")]
    Minus1,
}

impl BallotValue {
    pub const ALL: [BallotValue; 3] = [BallotValue::Plus1, BallotValue::Zero, BallotValue::Minus1];

    pub fn as_str(self) -> &'static str {
        match self {
            BallotValue::Plus1 => "+1",
            BallotValue::Zero => "0",
            BallotValue::Minus1 => "-1",
        }
    }

    /// The value as a small integer, for storage.
    pub fn as_i8(self) -> i8 {
        match self {
            BallotValue::Plus1 => 1,
            BallotValue::Zero => 0,
            BallotValue::Minus1 => -1,
        }
    }

    pub fn from_i8(v: i8) -> Option<BallotValue> {
        match v {
            1 => Some(BallotValue::Plus1),
            0 => Some(BallotValue::Zero),
            -1 => Some(BallotValue::Minus1),
            _ => None,
        }
    }
}

impl fmt::Display for BallotValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BallotValue {
    type Err = UnknownValue;
    /// Accepts `+1`, `1`, `0`, `-1` (people type `1` for `+1`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "+1" | "1" => Ok(BallotValue::Plus1),
            "0" | "+0" | "-0" => Ok(BallotValue::Zero),
            "-1" => Ok(BallotValue::Minus1),
            _ => Err(UnknownValue),
        }
    }
}

/// One voter's ballot. Callers pass each voter's latest ballot; if a voter appears more
/// than once anyway, the one that comes last in the slice counts (a changed vote
/// replaces the earlier one, as on a mailing list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ballot {
    pub voter_id: i64,
    pub value: BallotValue,
    /// The voter was in the electorate snapshot when the vote opened.
    pub binding: bool,
}

/// What a threshold is a fraction of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Of the binding ballots cast for or against; abstentions and voters who stayed
    /// silent do not count (Apache: "more +1 than -1").
    #[default]
    Cast,
    /// Of the whole electorate snapshot, voted or not (CNCF: 2/3 of the TOC, so with
    /// 11 members 8 must vote +1 whatever the others do).
    Electorate,
}

/// How a vote is decided.
///
/// For `Majority` and `TwoThirds`:
/// - `min_binding_votes` is a quorum: at least that many binding ballots must be cast.
///   Abstentions (`0`) count toward it, since an abstaining member took part; they count
///   neither for nor against.
/// - `min_binding_plus` is a minimum number of binding `+1`: Apache's "majority approval"
///   is "at least three binding +1 votes and more +1 votes than -1 votes".
/// - `veto`: any binding `-1` fails the vote, whatever the count (Apache code changes).
///
/// `LazyConsensus` passes unless someone objects: it fails on any binding `-1`, which is
/// why it has no separate `veto` flag and no minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum VoteRule {
    /// More binding `+1` than binding `-1` (basis `Cast`), or binding `+1` from more than
    /// half of the electorate (basis `Electorate`).
    Majority {
        #[serde(default)]
        basis: Basis,
        #[serde(default)]
        min_binding_votes: u32,
        #[serde(default)]
        min_binding_plus: u32,
        #[serde(default)]
        veto: bool,
    },
    /// Binding `+1` at least two thirds of the binding `+1` and `-1` together (basis
    /// `Cast`, with at least one `+1`), or at least two thirds of the electorate (basis
    /// `Electorate`).
    TwoThirds {
        #[serde(default)]
        basis: Basis,
        #[serde(default)]
        min_binding_votes: u32,
        #[serde(default)]
        min_binding_plus: u32,
        #[serde(default)]
        veto: bool,
    },
    /// Passes at the deadline unless there is a binding `-1`.
    LazyConsensus,
}

impl VoteRule {
    /// Whether any binding `-1` fails the vote under this rule.
    pub fn vetoes(&self) -> bool {
        match *self {
            VoteRule::Majority { veto, .. } | VoteRule::TwoThirds { veto, .. } => veto,
            VoteRule::LazyConsensus => true,
        }
    }
}

/// Where a vote stands in its time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The minimum duration has not elapsed: nothing is decided yet, whatever the count.
    BeforeMinimum,
    /// The minimum duration has elapsed, the deadline has not: the vote closes as soon
    /// as ballots still to come can no longer change its outcome.
    Open,
    /// The deadline has passed: the ballots cast are all there will be.
    DeadlinePassed,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::BeforeMinimum, Phase::Open, Phase::DeadlinePassed];
}

/// When a vote opened, how long it must stay open, and when it closes at the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoteWindow {
    /// Unix milliseconds.
    pub opened_at_ms: i64,
    /// Milliseconds; negative values count as zero.
    pub min_duration_ms: i64,
    /// Unix milliseconds. A deadline before the end of the minimum duration is moved to
    /// it: the minimum is a promise to the electorate and wins.
    pub deadline_ms: i64,
}

impl VoteWindow {
    pub fn new(opened_at_ms: i64, min_duration_ms: i64, deadline_ms: i64) -> VoteWindow {
        VoteWindow {
            opened_at_ms,
            min_duration_ms,
            deadline_ms,
        }
    }

    /// The window of a vote opened at `opened_at_ms` with durations in hours, as program
    /// templates state them.
    pub fn from_hours(opened_at_ms: i64, min_duration_hours: u32, deadline_hours: u32) -> Self {
        let min = i64::from(min_duration_hours).saturating_mul(MS_PER_HOUR);
        let deadline =
            opened_at_ms.saturating_add(i64::from(deadline_hours).saturating_mul(MS_PER_HOUR));
        VoteWindow::new(opened_at_ms, min, deadline)
    }

    /// The earliest moment the vote may close.
    pub fn min_end_ms(&self) -> i64 {
        self.opened_at_ms
            .saturating_add(self.min_duration_ms.max(0))
    }

    /// The moment the vote closes at the latest (the deadline, or the end of the minimum
    /// duration if that is later).
    pub fn closes_at_ms(&self) -> i64 {
        self.deadline_ms.max(self.min_end_ms())
    }

    /// Both bounds are inclusive of their instant: at exactly `min_end_ms` the minimum has
    /// elapsed, at exactly `closes_at_ms` the deadline has passed.
    pub fn phase(&self, now_ms: i64) -> Phase {
        if now_ms >= self.closes_at_ms() {
            Phase::DeadlinePassed
        } else if now_ms >= self.min_end_ms() {
            Phase::Open
        } else {
            Phase::BeforeMinimum
        }
    }
}

/// Whether the vote is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Pending,
    Passed,
    Failed,
}

/// Why a tally has its outcome, for the vote page and the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Pending: the minimum duration has not elapsed.
    MinimumDurationRunning,
    /// Pending: ballots not yet cast could still change the outcome.
    AwaitingBallots,
    /// Passed: the rule's threshold, quorum and minimum approvals are met.
    ThresholdMet,
    /// Passed: lazy consensus without a binding `-1`.
    NoObjection,
    /// Failed: the electorate snapshot is empty; no one could decide.
    NoElectorate,
    /// Failed: a binding `-1` under lazy consensus or a rule with `veto`.
    Vetoed,
    /// Failed: fewer binding ballots than `min_binding_votes`.
    QuorumNotMet,
    /// Failed: fewer binding `+1` than `min_binding_plus`.
    TooFewApprovals,
    /// Failed: not enough binding `+1` for the rule's fraction.
    ThresholdNotMet,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MinimumDurationRunning => "minimum_duration_running",
            Reason::AwaitingBallots => "awaiting_ballots",
            Reason::ThresholdMet => "threshold_met",
            Reason::NoObjection => "no_objection",
            Reason::NoElectorate => "no_electorate",
            Reason::Vetoed => "vetoed",
            Reason::QuorumNotMet => "quorum_not_met",
            Reason::TooFewApprovals => "too_few_approvals",
            Reason::ThresholdNotMet => "threshold_not_met",
        }
    }
}

/// The counted ballots (one per voter) and what they decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tally {
    pub binding_plus: u32,
    pub binding_zero: u32,
    pub binding_minus: u32,
    pub nonbinding_plus: u32,
    pub nonbinding_zero: u32,
    pub nonbinding_minus: u32,
    pub outcome: Outcome,
    pub reason: Reason,
}

impl Tally {
    /// Binding ballots cast, abstentions included.
    pub fn binding_cast(&self) -> u32 {
        self.binding_plus
            .saturating_add(self.binding_zero)
            .saturating_add(self.binding_minus)
    }

    /// The vote should be closed now with this result.
    pub fn is_decided(&self) -> bool {
        self.outcome != Outcome::Pending
    }
}

/// Binding counts, widened for arithmetic.
#[derive(Debug, Clone, Copy)]
struct Binding {
    plus: u64,
    zero: u64,
    minus: u64,
}

impl Binding {
    fn cast(self) -> u64 {
        self.plus + self.zero + self.minus
    }
}

/// Counts one ballot per voter, the last one in the slice.
fn count(ballots: &[Ballot]) -> Tally {
    let mut seen = HashSet::with_capacity(ballots.len());
    let mut t = Tally {
        binding_plus: 0,
        binding_zero: 0,
        binding_minus: 0,
        nonbinding_plus: 0,
        nonbinding_zero: 0,
        nonbinding_minus: 0,
        outcome: Outcome::Pending,
        reason: Reason::MinimumDurationRunning,
    };
    for b in ballots.iter().rev() {
        if !seen.insert(b.voter_id) {
            continue;
        }
        let slot = match (b.binding, b.value) {
            (true, BallotValue::Plus1) => &mut t.binding_plus,
            (true, BallotValue::Zero) => &mut t.binding_zero,
            (true, BallotValue::Minus1) => &mut t.binding_minus,
            (false, BallotValue::Plus1) => &mut t.nonbinding_plus,
            (false, BallotValue::Zero) => &mut t.nonbinding_zero,
            (false, BallotValue::Minus1) => &mut t.nonbinding_minus,
        };
        *slot = slot.saturating_add(1);
    }
    t
}

fn binding(t: &Tally) -> Binding {
    Binding {
        plus: u64::from(t.binding_plus),
        zero: u64::from(t.binding_zero),
        minus: u64::from(t.binding_minus),
    }
}

/// The electorate the rule is applied to. A binding ballot proves its voter was in the
/// snapshot, so a snapshot count smaller than the binding ballots (a caller's
/// inconsistency) is widened rather than letting a vote pass with over 100 %.
fn effective_electorate(electorate: u32, b: Binding) -> u64 {
    u64::from(electorate).max(b.cast())
}

/// What the rule says about these binding ballots if no more come: `Ok(why it passes)` or
/// `Err(why it fails)`. Failure reasons are checked in a fixed order (electorate, veto,
/// quorum, approvals, threshold) so the reported reason is stable.
fn verdict(rule: &VoteRule, electorate: u64, b: Binding) -> Result<Reason, Reason> {
    if electorate == 0 {
        return Err(Reason::NoElectorate);
    }
    let (basis, min_votes, min_plus, veto, two_thirds) = match *rule {
        VoteRule::LazyConsensus => {
            return if b.minus > 0 {
                Err(Reason::Vetoed)
            } else {
                Ok(Reason::NoObjection)
            };
        }
        VoteRule::Majority {
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        } => (basis, min_binding_votes, min_binding_plus, veto, false),
        VoteRule::TwoThirds {
            basis,
            min_binding_votes,
            min_binding_plus,
            veto,
        } => (basis, min_binding_votes, min_binding_plus, veto, true),
    };
    if veto && b.minus > 0 {
        return Err(Reason::Vetoed);
    }
    if b.cast() < u64::from(min_votes) {
        return Err(Reason::QuorumNotMet);
    }
    if b.plus < u64::from(min_plus) {
        return Err(Reason::TooFewApprovals);
    }
    let met = match (two_thirds, basis) {
        (false, Basis::Cast) => b.plus > b.minus,
        (false, Basis::Electorate) => 2 * b.plus > electorate,
        // plus / (plus + minus) >= 2/3  <=>  plus >= 2 * minus; and nothing passes on
        // no support at all.
        (true, Basis::Cast) => b.plus > 0 && b.plus >= 2 * b.minus,
        (true, Basis::Electorate) => 3 * b.plus >= 2 * electorate,
    };
    if met {
        Ok(Reason::ThresholdMet)
    } else {
        Err(Reason::ThresholdNotMet)
    }
}

/// Whether the outcome is settled by the ballots already cast: no way the members who
/// have not voted yet could vote (or stay silent) changes it.
///
/// Ballots already cast are taken as they stand. A voter may still change a ballot until
/// the vote closes, but a vote that waited for that possibility could never close before
/// its deadline; the minimum duration is the time the electorate has to make up its mind.
///
/// Cheap because every rule is monotone: more binding `+1` never hurts passing, so the
/// best case for passing is every remaining member voting `+1`; a binding `-1` only
/// hurts passing apart from filling the quorum, so the worst case is either nobody else
/// voting or every remaining member voting `-1`. (The exhaustive tests check this
/// against an enumeration of every way the remaining members could vote.)
pub fn can_close_early(rule: &VoteRule, electorate: u32, ballots: &[Ballot]) -> bool {
    settled(rule, electorate, binding(&count(ballots)))
}

fn settled(rule: &VoteRule, electorate: u32, b: Binding) -> bool {
    let e = effective_electorate(electorate, b);
    let remaining = e - b.cast();
    let can_pass = verdict(
        rule,
        e,
        Binding {
            plus: b.plus + remaining,
            ..b
        },
    )
    .is_ok();
    let can_fail = verdict(rule, e, b).is_err()
        || verdict(
            rule,
            e,
            Binding {
                minus: b.minus + remaining,
                ..b
            },
        )
        .is_err();
    !can_pass || !can_fail
}

/// Counts `ballots` and decides the vote as far as `phase` allows:
/// - before the minimum duration has elapsed: `Pending`, whatever the count;
/// - between the minimum and the deadline: decided only if [`can_close_early`];
/// - at or after the deadline: decided on the ballots cast.
///
/// `electorate` is the number of binding voters in the snapshot taken when the vote
/// opened. Non-binding ballots are counted but never affect the outcome.
pub fn tally(rule: &VoteRule, electorate: u32, ballots: &[Ballot], phase: Phase) -> Tally {
    let mut t = count(ballots);
    let b = binding(&t);
    let decide = match phase {
        Phase::BeforeMinimum => false,
        Phase::Open => settled(rule, electorate, b),
        Phase::DeadlinePassed => true,
    };
    (t.outcome, t.reason) = if !decide {
        let why = if phase == Phase::BeforeMinimum {
            Reason::MinimumDurationRunning
        } else {
            Reason::AwaitingBallots
        };
        (Outcome::Pending, why)
    } else {
        match verdict(rule, effective_electorate(electorate, b), b) {
            Ok(why) => (Outcome::Passed, why),
            Err(why) => (Outcome::Failed, why),
        }
    };
    t
}

/// [`tally`] at `now_ms` within `window`.
pub fn decide(
    rule: &VoteRule,
    electorate: u32,
    ballots: &[Ballot],
    window: &VoteWindow,
    now_ms: i64,
) -> Tally {
    tally(rule, electorate, ballots, window.phase(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use BallotValue::{Minus1, Plus1, Zero};

    const H: i64 = MS_PER_HOUR;

    fn b(voter_id: i64, value: BallotValue) -> Ballot {
        Ballot {
            voter_id,
            value,
            binding: true,
        }
    }

    fn nb(voter_id: i64, value: BallotValue) -> Ballot {
        Ballot {
            voter_id,
            value,
            binding: false,
        }
    }

    /// `plus` binding +1, `zero` binding 0, `minus` binding -1, from distinct voters.
    fn ballots(plus: i64, zero: i64, minus: i64) -> Vec<Ballot> {
        let mut v = Vec::new();
        v.extend((0..plus).map(|i| b(i, Plus1)));
        v.extend((0..zero).map(|i| b(100 + i, Zero)));
        v.extend((0..minus).map(|i| b(200 + i, Minus1)));
        v
    }

    const APACHE: VoteRule = VoteRule::Majority {
        basis: Basis::Cast,
        min_binding_votes: 3,
        min_binding_plus: 3,
        veto: false,
    };
    const APACHE_CODE: VoteRule = VoteRule::Majority {
        basis: Basis::Cast,
        min_binding_votes: 3,
        min_binding_plus: 3,
        veto: true,
    };
    const CNCF: VoteRule = VoteRule::TwoThirds {
        basis: Basis::Electorate,
        min_binding_votes: 0,
        min_binding_plus: 0,
        veto: false,
    };
    const TWO_THIRDS_CAST: VoteRule = VoteRule::TwoThirds {
        basis: Basis::Cast,
        min_binding_votes: 0,
        min_binding_plus: 0,
        veto: false,
    };
    const MAJORITY_OF_ALL: VoteRule = VoteRule::Majority {
        basis: Basis::Electorate,
        min_binding_votes: 0,
        min_binding_plus: 0,
        veto: false,
    };

    const QUORUM_5: VoteRule = VoteRule::Majority {
        basis: Basis::Cast,
        min_binding_votes: 5,
        min_binding_plus: 0,
        veto: false,
    };

    /// Name, rule, electorate, ballots, phase, expected outcome and reason.
    type Case = (
        &'static str,
        VoteRule,
        u32,
        Vec<Ballot>,
        Phase,
        Outcome,
        Reason,
    );

    #[test]
    fn cases_from_practice() {
        use Outcome::*;
        use Phase::*;
        use Reason::*;
        let lazy = VoteRule::LazyConsensus;
        #[rustfmt::skip]
        let table: &[Case] = &[
            // Apache IPMC vote on a podling: 3 binding +1 and more +1 than -1, 72 h.
            ("apache 3 +1",            APACHE, 40, ballots(3, 0, 0), DeadlinePassed, Passed, ThresholdMet),
            ("apache 3 +1 early",      APACHE, 40, ballots(3, 0, 0), Open,           Pending, AwaitingBallots),
            ("apache before 72h",      APACHE, 40, ballots(9, 0, 0), BeforeMinimum,  Pending, MinimumDurationRunning),
            ("apache 2 +1 5 zero",     APACHE, 40, ballots(2, 5, 0), DeadlinePassed, Failed, TooFewApprovals),
            ("apache 3 +1 3 -1",       APACHE, 40, ballots(3, 0, 3), DeadlinePassed, Failed, ThresholdNotMet),
            ("apache 4 +1 3 -1",       APACHE, 40, ballots(4, 0, 3), DeadlinePassed, Passed, ThresholdMet),
            ("apache 2 votes",         APACHE, 40, ballots(2, 0, 0), DeadlinePassed, Failed, QuorumNotMet),
            ("apache all voted",       APACHE, 5,  ballots(3, 1, 1), Open,           Passed, ThresholdMet),
            // Apache code vote: a binding -1 is a veto.
            ("apache veto",            APACHE_CODE, 40, ballots(5, 0, 1), DeadlinePassed, Failed, Vetoed),
            ("apache veto closes",     APACHE_CODE, 40, ballots(5, 0, 1), Open,           Failed, Vetoed),
            // CNCF: 2/3 of a TOC of 11 is 8, whoever else votes or not.
            ("cncf 7 of 11",           CNCF, 11, ballots(7, 0, 0), DeadlinePassed, Failed, ThresholdNotMet),
            ("cncf 7 of 11 open",      CNCF, 11, ballots(7, 0, 0), Open,           Pending, AwaitingBallots),
            ("cncf 8 of 11",           CNCF, 11, ballots(8, 0, 0), Open,           Passed, ThresholdMet),
            ("cncf 8 of 11 with 3 -1", CNCF, 11, ballots(8, 0, 3), DeadlinePassed, Passed, ThresholdMet),
            ("cncf 4 -1 settles",      CNCF, 11, ballots(0, 0, 4), Open,           Failed, ThresholdNotMet),
            ("cncf 3 -1 does not",     CNCF, 11, ballots(0, 0, 3), Open,           Pending, AwaitingBallots),
            // 2/3 of the ballots cast for or against.
            ("2/3 cast 2:1",           TWO_THIRDS_CAST, 9, ballots(2, 4, 1), DeadlinePassed, Passed, ThresholdMet),
            ("2/3 cast 3:2",           TWO_THIRDS_CAST, 9, ballots(3, 0, 2), DeadlinePassed, Failed, ThresholdNotMet),
            ("2/3 cast abstained",     TWO_THIRDS_CAST, 9, ballots(0, 3, 0), DeadlinePassed, Failed, ThresholdNotMet),
            // Majority of the whole TAC (LF AI & Data).
            ("half of 6 is not more",  MAJORITY_OF_ALL, 6, ballots(3, 0, 0), DeadlinePassed, Failed, ThresholdNotMet),
            ("4 of 6",                 MAJORITY_OF_ALL, 6, ballots(4, 0, 0), Open,           Passed, ThresholdMet),
            // Lazy consensus: silence is consent, one binding -1 fails it.
            ("lazy silence",           lazy, 5, vec![],                    DeadlinePassed, Passed, NoObjection),
            ("lazy silence open",      lazy, 5, vec![],                    Open,           Pending, AwaitingBallots),
            ("lazy one -1",            lazy, 5, ballots(4, 0, 1),          DeadlinePassed, Failed, Vetoed),
            ("lazy one -1 open",       lazy, 5, ballots(1, 0, 1),          Open,           Failed, Vetoed),
            ("lazy nonbinding -1",     lazy, 5, vec![nb(9, Minus1)],       DeadlinePassed, Passed, NoObjection),
            ("lazy everyone +1",       lazy, 2, ballots(2, 0, 0),          Open,           Passed, NoObjection),
            // The quorum paradox: an abstention or even a -1 can complete a quorum.
            ("quorum short",           QUORUM_5, 10, ballots(4, 0, 0), DeadlinePassed, Failed, QuorumNotMet),
            ("quorum filled by 0",     QUORUM_5, 10, ballots(4, 1, 0), DeadlinePassed, Passed, ThresholdMet),
            ("quorum filled by -1",    QUORUM_5, 10, ballots(4, 0, 1), DeadlinePassed, Passed, ThresholdMet),
            // Nobody could vote.
            ("empty electorate",       APACHE, 0, vec![],                  Open,           Failed, NoElectorate),
            ("empty electorate lazy",  lazy, 0, vec![],                    DeadlinePassed, Failed, NoElectorate),
            // A snapshot smaller than the binding ballots is widened to them.
            ("undercounted snapshot",  CNCF, 2, ballots(2, 0, 1),          DeadlinePassed, Passed, ThresholdMet),
            ("undercounted snapshot 2",CNCF, 1, ballots(1, 0, 2),          DeadlinePassed, Failed, ThresholdNotMet),
        ];
        for (name, rule, electorate, ballots, phase, outcome, reason) in table {
            let t = tally(rule, *electorate, ballots, *phase);
            assert_eq!((t.outcome, t.reason), (*outcome, *reason), "{name}: {t:?}");
        }
    }

    #[test]
    fn elections_open_for_newcomers_of_incubating_projects() {
        let ok = ElectionFacts {
            incubating: true,
            already_in_role: false,
            open_election: false,
        };
        #[rustfmt::skip]
        let table: &[(ElectionFacts, Result<(), ElectionError>)] = &[
            (ok, Ok(())),
            (ElectionFacts { incubating: false, ..ok }, Err(ElectionError::NotIncubating)),
            (ElectionFacts { incubating: false, already_in_role: true, open_election: true }, Err(ElectionError::NotIncubating)),
            (ElectionFacts { already_in_role: true, ..ok }, Err(ElectionError::AlreadyInRole)),
            (ElectionFacts { already_in_role: true, open_election: true, ..ok }, Err(ElectionError::AlreadyInRole)),
            (ElectionFacts { open_election: true, ..ok }, Err(ElectionError::AlreadyOpen)),
        ];
        for (facts, want) in table {
            assert_eq!(may_open_election(*facts), *want, "{facts:?}");
        }
        for e in [
            ElectionError::NotIncubating,
            ElectionError::AlreadyInRole,
            ElectionError::AlreadyOpen,
        ] {
            assert!(e.message_key().starts_with("error.election."));
        }
    }

    #[test]
    fn elections_give_their_role_and_voters_name_theirs() {
        assert_eq!(VoteKind::Committer.election_role(), Some(ROLE_COMMITTER));
        assert_eq!(VoteKind::PpmcMember.election_role(), Some(ROLE_PPMC));
        for k in [
            VoteKind::AcceptProposal,
            VoteKind::Graduate,
            VoteKind::Release,
            VoteKind::Custom,
        ] {
            assert_eq!(k.election_role(), None, "{k}");
        }
        assert!(!VoteKind::Committer.changes_stage() && !VoteKind::Custom.changes_stage());
        assert!(Voters::Committee.roles().is_empty());
        assert!(Voters::ProjectPmc.includes_role(ROLE_MENTOR));
        assert!(Voters::ProjectPmc.includes_role(ROLE_PPMC));
        assert!(!Voters::ProjectPmc.includes_role(ROLE_COMMITTER));
        assert!(Voters::ProjectCommitters.includes_role(ROLE_COMMITTER));
        for v in Voters::ALL {
            assert_eq!(v.as_str().parse::<Voters>(), Ok(v));
        }
        assert_eq!(Voters::default(), Voters::Committee);
        assert!("board".parse::<Voters>().is_err());
    }

    #[test]
    fn release_votes_open_on_candidates_only() {
        let ok = ReleaseVoteFacts {
            candidate: true,
            draft: false,
            incubating: true,
            open_vote: false,
        };
        #[rustfmt::skip]
        let table: &[(ReleaseVoteFacts, Result<(), ReleaseVoteError>)] = &[
            (ok, Ok(())),
            (ReleaseVoteFacts { candidate: false, ..ok }, Err(ReleaseVoteError::NotCandidate)),
            (ReleaseVoteFacts { candidate: false, draft: true, ..ok }, Err(ReleaseVoteError::NotCandidate)),
            (ReleaseVoteFacts { draft: true, ..ok }, Err(ReleaseVoteError::Draft)),
            (ReleaseVoteFacts { incubating: false, ..ok }, Err(ReleaseVoteError::NotIncubating)),
            (ReleaseVoteFacts { open_vote: true, ..ok }, Err(ReleaseVoteError::AlreadyOpen)),
            (ReleaseVoteFacts { incubating: false, open_vote: true, ..ok }, Err(ReleaseVoteError::NotIncubating)),
        ];
        for (i, (facts, want)) in table.iter().enumerate() {
            assert_eq!(may_open_release_vote(*facts), *want, "row {i}: {facts:?}");
        }
        for e in [
            ReleaseVoteError::NotCandidate,
            ReleaseVoteError::Draft,
            ReleaseVoteError::NotIncubating,
            ReleaseVoteError::AlreadyOpen,
            ReleaseVoteError::UnderVote,
        ] {
            assert!(e.message_key().starts_with("release.vote.error."));
        }
    }

    #[test]
    fn release_votes_publish_only_when_passed() {
        assert_eq!(
            release_vote_effect(VoteState::Passed),
            ReleaseVoteEffect::Publish
        );
        for s in [VoteState::Failed, VoteState::Cancelled, VoteState::Open] {
            assert_eq!(
                release_vote_effect(s),
                ReleaseVoteEffect::KeepCandidate,
                "{s}"
            );
        }
        assert!(!VoteKind::Release.changes_stage());
        assert!(!VoteKind::AcceptProposal.changes_stage());
        assert!(VoteKind::Graduate.changes_stage());
        assert_eq!("release".parse::<VoteKind>().ok(), Some(VoteKind::Release));
    }

    #[test]
    fn the_last_ballot_of_a_voter_counts() {
        let v = [
            b(1, Plus1),
            nb(2, Plus1),
            b(1, Minus1),
            b(3, Zero),
            b(2, Plus1),
        ];
        let t = tally(&APACHE, 10, &v, Phase::DeadlinePassed);
        assert_eq!(
            (
                t.binding_plus,
                t.binding_zero,
                t.binding_minus,
                t.nonbinding_plus
            ),
            (1, 1, 1, 0)
        );
        assert_eq!(t.binding_cast(), 3);
    }

    #[test]
    fn windows() {
        let w = VoteWindow::from_hours(1_000, 72, 168);
        assert_eq!(w.min_end_ms(), 1_000 + 72 * H);
        assert_eq!(w.closes_at_ms(), 1_000 + 168 * H);
        #[rustfmt::skip]
        let table: &[(VoteWindow, i64, Phase)] = &[
            (w, 0,                    Phase::BeforeMinimum),
            (w, 1_000,                Phase::BeforeMinimum),
            (w, 1_000 + 72 * H - 1,   Phase::BeforeMinimum),
            (w, 1_000 + 72 * H,       Phase::Open),
            (w, 1_000 + 168 * H - 1,  Phase::Open),
            (w, 1_000 + 168 * H,      Phase::DeadlinePassed),
            (w, i64::MAX,             Phase::DeadlinePassed),
            // A deadline inside the minimum duration is moved to its end.
            (VoteWindow::new(0, 72 * H, 24 * H), 48 * H, Phase::BeforeMinimum),
            (VoteWindow::new(0, 72 * H, 24 * H), 72 * H, Phase::DeadlinePassed),
            // Apache-style: minimum and deadline both 72 h.
            (VoteWindow::from_hours(0, 72, 72), 72 * H - 1, Phase::BeforeMinimum),
            (VoteWindow::from_hours(0, 72, 72), 72 * H, Phase::DeadlinePassed),
            // Negative durations count as none; huge values saturate.
            (VoteWindow::new(0, -5, 10), 0, Phase::Open),
            (VoteWindow::new(i64::MAX - 1, i64::MAX, i64::MAX), i64::MAX - 1, Phase::BeforeMinimum),
        ];
        for (i, (w, now, want)) in table.iter().enumerate() {
            assert_eq!(w.phase(*now), *want, "row {i}: {w:?} at {now}");
        }
        let early = ballots(2, 0, 0);
        let lazy = VoteRule::LazyConsensus;
        assert_eq!(
            decide(&lazy, 2, &early, &w, 1_000 + 71 * H).outcome,
            Outcome::Pending
        );
        assert_eq!(
            decide(&lazy, 2, &early, &w, 1_000 + 72 * H).outcome,
            Outcome::Passed
        );
    }

    #[test]
    fn names_round_trip() {
        for k in VoteKind::ALL {
            assert_eq!(k.as_str().parse::<VoteKind>(), Ok(k));
        }
        for s in VoteState::ALL {
            assert_eq!(s.as_str().parse::<VoteState>(), Ok(s));
        }
        for v in BallotValue::ALL {
            assert_eq!(v.as_str().parse::<BallotValue>(), Ok(v));
            assert_eq!(BallotValue::from_i8(v.as_i8()), Some(v));
        }
        assert_eq!("1".parse::<BallotValue>(), Ok(Plus1));
        assert!("2".parse::<BallotValue>().is_err());
        assert!("graduation".parse::<VoteKind>().is_err());
        assert_eq!(BallotValue::from_i8(2), None);
        assert_eq!(VoteState::from(Outcome::Pending), VoteState::Open);
        assert!(VoteState::Cancelled.is_closed() && !VoteState::Open.is_closed());
    }

    /// Every rule variant the exhaustive test and the properties run over.
    pub(super) fn all_rules() -> Vec<VoteRule> {
        let mut rules = vec![VoteRule::LazyConsensus];
        for basis in [Basis::Cast, Basis::Electorate] {
            for min_binding_votes in [0, 2, 5] {
                for min_binding_plus in [0, 3] {
                    for veto in [false, true] {
                        rules.push(VoteRule::Majority {
                            basis,
                            min_binding_votes,
                            min_binding_plus,
                            veto,
                        });
                        rules.push(VoteRule::TwoThirds {
                            basis,
                            min_binding_votes,
                            min_binding_plus,
                            veto,
                        });
                    }
                }
            }
        }
        rules
    }

    /// The rules as their documentation states them, written without the implementation's
    /// arithmetic: `votes` are the binding values (+1, 0, -1) cast by an electorate of
    /// `electorate` (never smaller than `votes.len()` here).
    fn oracle_passes(rule: &VoteRule, electorate: usize, votes: &[i8]) -> bool {
        let yes = votes.iter().filter(|v| **v == 1).count();
        let no = votes.iter().filter(|v| **v == -1).count();
        if electorate == 0 {
            return false;
        }
        match *rule {
            VoteRule::LazyConsensus => no == 0,
            VoteRule::Majority {
                basis,
                min_binding_votes,
                min_binding_plus,
                veto,
            }
            | VoteRule::TwoThirds {
                basis,
                min_binding_votes,
                min_binding_plus,
                veto,
            } => {
                if (veto && no > 0)
                    || votes.len() < min_binding_votes as usize
                    || yes < min_binding_plus as usize
                {
                    return false;
                }
                let majority = matches!(rule, VoteRule::Majority { .. });
                match (majority, basis) {
                    (true, Basis::Cast) => yes > no,
                    (true, Basis::Electorate) => yes > electorate / 2,
                    (false, Basis::Cast) => yes >= 1 && yes >= (2 * (yes + no)).div_ceil(3),
                    (false, Basis::Electorate) => yes >= (2 * electorate).div_ceil(3),
                }
            }
        }
    }

    /// The outcome by definition: at the deadline the ballots decide; in between, only if
    /// every way the silent members could still vote (each: +1, 0, -1 or not at all)
    /// leads to the same result.
    fn oracle(rule: &VoteRule, electorate: usize, votes: &[i8], phase: Phase) -> Outcome {
        let verdict = |v: &[i8]| {
            if oracle_passes(rule, electorate, v) {
                Outcome::Passed
            } else {
                Outcome::Failed
            }
        };
        match phase {
            Phase::BeforeMinimum => Outcome::Pending,
            Phase::DeadlinePassed => verdict(votes),
            Phase::Open => {
                let silent = electorate - votes.len();
                let now = verdict(votes);
                let mut extended = votes.to_vec();
                for plus in 0..=silent {
                    for zero in 0..=silent - plus {
                        for minus in 0..=silent - plus - zero {
                            extended.truncate(votes.len());
                            extended.extend(std::iter::repeat_n(1, plus));
                            extended.extend(std::iter::repeat_n(0, zero));
                            extended.extend(std::iter::repeat_n(-1, minus));
                            if verdict(&extended) != now {
                                return Outcome::Pending;
                            }
                        }
                    }
                }
                now
            }
        }
    }

    /// Every rule variant x electorates of 0..=7 x every assignment of each member to
    /// +1, 0, -1 or "has not voted" (4^n, which includes all 3^n full turnouts) x every
    /// phase, against the oracle.
    #[test]
    fn exhaustive_against_oracle() {
        let rules = all_rules();
        let mut configurations = 0u64;
        let mut tallies = 0u64;
        for rule in &rules {
            for n in 0..=7usize {
                for code in 0..4usize.pow(n as u32) {
                    let mut ballots = Vec::new();
                    let mut votes = Vec::new();
                    let mut c = code;
                    for voter in 0..n {
                        let value = match c % 4 {
                            0 => None,
                            1 => Some(Plus1),
                            2 => Some(Zero),
                            _ => Some(Minus1),
                        };
                        c /= 4;
                        if let Some(value) = value {
                            ballots.push(b(voter as i64, value));
                            votes.push(value.as_i8());
                        }
                    }
                    configurations += 1;
                    let count = |v: i8| votes.iter().filter(|x| **x == v).count() as u32;
                    let closable = can_close_early(rule, n as u32, &ballots);
                    for phase in Phase::ALL {
                        let t = tally(rule, n as u32, &ballots, phase);
                        tallies += 1;
                        let want = oracle(rule, n, &votes, phase);
                        let ctx = || format!("{rule:?} n={n} votes={votes:?} {phase:?}: {t:?}");
                        assert_eq!(t.outcome, want, "{}", ctx());
                        assert_eq!(
                            (t.binding_plus, t.binding_zero, t.binding_minus),
                            (count(1), count(0), count(-1)),
                            "{}",
                            ctx()
                        );
                        if phase == Phase::Open {
                            assert_eq!(closable, want != Outcome::Pending, "{}", ctx());
                        }
                        let expected_reasons: &[Reason] = match (t.outcome, phase) {
                            (Outcome::Pending, Phase::BeforeMinimum) => {
                                &[Reason::MinimumDurationRunning]
                            }
                            (Outcome::Pending, _) => &[Reason::AwaitingBallots],
                            (Outcome::Passed, _) if *rule == VoteRule::LazyConsensus => {
                                &[Reason::NoObjection]
                            }
                            (Outcome::Passed, _) => &[Reason::ThresholdMet],
                            (Outcome::Failed, _) if n == 0 => &[Reason::NoElectorate],
                            (Outcome::Failed, _) if rule.vetoes() && count(-1) > 0 => {
                                &[Reason::Vetoed]
                            }
                            (Outcome::Failed, _) => &[
                                Reason::QuorumNotMet,
                                Reason::TooFewApprovals,
                                Reason::ThresholdNotMet,
                            ],
                        };
                        assert!(expected_reasons.contains(&t.reason), "{}", ctx());
                    }
                }
            }
        }
        // 49 rules x (4^0 + 4^1 + ... + 4^7 = 21_845) ballot configurations.
        assert_eq!(rules.len(), 49);
        assert_eq!(configurations, 49 * 21_845);
        assert_eq!(tallies, 3 * 49 * 21_845);
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use super::all_rules;

        fn value() -> impl Strategy<Value = BallotValue> {
            prop_oneof![
                Just(BallotValue::Plus1),
                Just(BallotValue::Zero),
                Just(BallotValue::Minus1)
            ]
        }

        fn ballot() -> impl Strategy<Value = Ballot> {
            (0i64..12, value(), any::<bool>()).prop_map(|(voter_id, value, binding)| Ballot {
                voter_id,
                value,
                binding,
            })
        }

        fn phase() -> impl Strategy<Value = Phase> {
            prop_oneof![
                Just(Phase::BeforeMinimum),
                Just(Phase::Open),
                Just(Phase::DeadlinePassed)
            ]
        }

        fn rule() -> impl Strategy<Value = VoteRule> {
            let rules = all_rules();
            (0..rules.len()).prop_map(move |i| rules[i])
        }

        /// A voter id no generated ballot uses.
        const FRESH: i64 = 1_000;

        proptest! {
            #[test]
            fn nonbinding_ballots_never_change_the_outcome(
                rule in rule(),
                electorate in 0u32..14,
                mut ballots in prop::collection::vec(ballot(), 0..16),
                extra in value(),
                phase in phase(),
            ) {
                let before = tally(&rule, electorate, &ballots, phase);
                ballots.push(Ballot { voter_id: FRESH, value: extra, binding: false });
                let after = tally(&rule, electorate, &ballots, phase);
                prop_assert_eq!((before.outcome, before.reason), (after.outcome, after.reason));
                prop_assert_eq!(before.binding_cast(), after.binding_cast());
            }

            /// Support never hurts (for every rule, veto or not). Objection never helps,
            /// except where it fills a quorum: with `min_binding_votes: 5`, four +1 fail
            /// for want of a quorum and four +1 with one -1 pass, so that half is checked
            /// only for rules without one.
            #[test]
            fn monotone_in_binding_ballots(
                rule in rule(),
                electorate in 0u32..14,
                mut ballots in prop::collection::vec(ballot(), 0..16),
                phase in phase(),
            ) {
                let before = tally(&rule, electorate, &ballots, phase);
                ballots.push(Ballot { voter_id: FRESH, value: BallotValue::Plus1, binding: true });
                let with_plus = tally(&rule, electorate, &ballots, phase);
                prop_assert!(
                    !(before.outcome == Outcome::Passed && with_plus.outcome == Outcome::Failed),
                    "{:?} {:?} -> {:?}", rule, before, with_plus
                );
                if let Some(last) = ballots.last_mut() {
                    last.value = BallotValue::Minus1;
                }
                let with_minus = tally(&rule, electorate, &ballots, phase);
                let quorum = matches!(
                    rule,
                    VoteRule::Majority { min_binding_votes: 1.., .. }
                        | VoteRule::TwoThirds { min_binding_votes: 1.., .. }
                );
                prop_assert!(
                    quorum ||
                    !(before.outcome == Outcome::Failed && with_minus.outcome == Outcome::Passed),
                    "{:?} {:?} -> {:?}", rule, before, with_minus
                );
            }

            /// With one ballot per voter, order does not matter; counts cover every voter.
            #[test]
            fn order_of_distinct_voters_does_not_matter(
                rule in rule(),
                electorate in 0u32..14,
                ballots in prop::collection::vec(ballot(), 0..16),
                phase in phase(),
            ) {
                let mut seen = HashSet::new();
                let mut distinct: Vec<Ballot> =
                    ballots.into_iter().filter(|b| seen.insert(b.voter_id)).collect();
                let forward = tally(&rule, electorate, &distinct, phase);
                distinct.reverse();
                let backward = tally(&rule, electorate, &distinct, phase);
                prop_assert_eq!(forward, backward);
                let counted = forward.binding_cast()
                    + forward.nonbinding_plus + forward.nonbinding_zero + forward.nonbinding_minus;
                prop_assert_eq!(counted as usize, distinct.len());
            }

            /// Time only ever settles a vote: once decided in the open phase, the deadline
            /// gives the same result.
            #[test]
            fn early_decisions_stand_at_the_deadline(
                rule in rule(),
                electorate in 0u32..14,
                ballots in prop::collection::vec(ballot(), 0..16),
            ) {
                let open = tally(&rule, electorate, &ballots, Phase::Open);
                let closed = tally(&rule, electorate, &ballots, Phase::DeadlinePassed);
                prop_assert_ne!(closed.outcome, Outcome::Pending);
                if open.is_decided() {
                    prop_assert_eq!(open, closed);
                }
            }
        }
    }
}
