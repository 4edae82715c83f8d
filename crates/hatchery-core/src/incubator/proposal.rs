//! The life of a proposal to join a program: written, discussed in the open, voted on,
//! then accepted, rejected, or sent back for more information.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::roles::UnknownValue;

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Being written; only its authors see it as work in progress.
    Draft,
    /// Public, open for discussion for at least the program's `discussion_min_days`.
    Discussion,
    /// A vote on one revision of the proposal is open.
    Voting,
    /// The vote passed: the project is created in the program's entry stage.
    Accepted,
    /// The vote failed.
    Rejected,
    /// The committee asked for more before it decides; the authors revise and resubmit.
    NeedsInfo,
    /// Its author took it back, with a reason, before it was decided.
    Withdrawn,
    /// The committee (or an owner of the organization) closed it without a vote, with a
    /// reason: out of scope, a duplicate, abandoned.
    Closed,
}

impl ProposalState {
    pub const ALL: [ProposalState; 8] = [
        ProposalState::Draft,
        ProposalState::Discussion,
        ProposalState::Voting,
        ProposalState::Accepted,
        ProposalState::Rejected,
        ProposalState::NeedsInfo,
        ProposalState::Withdrawn,
        ProposalState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProposalState::Draft => "draft",
            ProposalState::Discussion => "discussion",
            ProposalState::Voting => "voting",
            ProposalState::Accepted => "accepted",
            ProposalState::Rejected => "rejected",
            ProposalState::NeedsInfo => "needs_info",
            ProposalState::Withdrawn => "withdrawn",
            ProposalState::Closed => "closed",
        }
    }

    /// Accepted, rejected, withdrawn and closed proposals are history: no event changes
    /// them.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ProposalState::Accepted
                | ProposalState::Rejected
                | ProposalState::Withdrawn
                | ProposalState::Closed
        )
    }

    /// Whether a proposal in this state holds its slug in the program: until it is
    /// rejected, withdrawn or closed (an accepted one's project holds it from then on).
    pub fn holds_slug(self) -> bool {
        !matches!(
            self,
            ProposalState::Rejected | ProposalState::Withdrawn | ProposalState::Closed
        )
    }
}

impl fmt::Display for ProposalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProposalState {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProposalState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownValue)
    }
}

/// What happens to a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProposalEvent {
    /// The authors publish the draft for discussion.
    Submit,
    /// The text changes. During a vote this cancels the vote: a vote binds to the revision
    /// it was called on, and the electorate must not approve text it has not seen.
    Edit,
    /// A vote is called. The caller checks [`discussion_complete`] first.
    CallVote,
    /// The vote passed.
    VotePassed,
    /// The vote failed.
    VoteFailed,
    /// The committee asks for more information, in discussion or during the vote (which is
    /// then cancelled).
    RequestInfo,
    /// The authors answered and return the proposal to discussion.
    Resubmit,
    /// Its author takes it back (any time before it is decided; an open vote is
    /// cancelled).
    Withdraw,
    /// The committee or an organization owner closes it without a vote (any time before
    /// it is decided; an open vote is cancelled).
    Close,
}

/// The event does not apply to a proposal in that state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a proposal in state {from} does not take {event:?}")]
pub struct ProposalTransitionError {
    pub from: ProposalState,
    pub event: ProposalEvent,
}

/// The state a proposal moves to on `event`, or why it cannot.
///
/// | from       | event                 | to         |
/// |------------|-----------------------|------------|
/// | Draft      | Edit                  | Draft      |
/// | Draft      | Submit                | Discussion |
/// | Discussion | Edit                  | Discussion |
/// | Discussion | CallVote              | Voting     |
/// | Discussion | RequestInfo           | NeedsInfo  |
/// | Voting     | VotePassed            | Accepted   |
/// | Voting     | VoteFailed            | Rejected   |
/// | Voting     | RequestInfo           | NeedsInfo  (the vote is cancelled) |
/// | Voting     | Edit                  | Discussion (the vote is cancelled) |
/// | NeedsInfo  | Edit                  | NeedsInfo  |
/// | NeedsInfo  | Resubmit              | Discussion |
/// | Draft, Discussion, Voting, NeedsInfo | Withdraw | Withdrawn (a vote is cancelled) |
/// | Draft, Discussion, Voting, NeedsInfo | Close    | Closed (a vote is cancelled) |
///
/// Everything else is refused; accepted, rejected, withdrawn and closed proposals take no
/// events.
pub fn proposal_transition(
    from: ProposalState,
    event: ProposalEvent,
) -> Result<ProposalState, ProposalTransitionError> {
    use ProposalEvent as E;
    use ProposalState as S;
    match (from, event) {
        (S::Draft, E::Edit) => Ok(S::Draft),
        (S::Draft, E::Submit) => Ok(S::Discussion),
        (S::Discussion, E::Edit) => Ok(S::Discussion),
        (S::Discussion, E::CallVote) => Ok(S::Voting),
        (S::Discussion | S::Voting, E::RequestInfo) => Ok(S::NeedsInfo),
        (S::Voting, E::VotePassed) => Ok(S::Accepted),
        (S::Voting, E::VoteFailed) => Ok(S::Rejected),
        (S::Voting, E::Edit) => Ok(S::Discussion),
        (S::NeedsInfo, E::Edit) => Ok(S::NeedsInfo),
        (S::NeedsInfo, E::Resubmit) => Ok(S::Discussion),
        (S::Draft | S::Discussion | S::Voting | S::NeedsInfo, E::Withdraw) => Ok(S::Withdrawn),
        (S::Draft | S::Discussion | S::Voting | S::NeedsInfo, E::Close) => Ok(S::Closed),
        _ => Err(ProposalTransitionError { from, event }),
    }
}

/// Whether `event` on a proposal in `from` cancels its open vote: leaving `Voting` any way
/// other than by the vote's own result.
pub fn cancels_vote(from: ProposalState, event: ProposalEvent) -> bool {
    from == ProposalState::Voting
        && !matches!(event, ProposalEvent::VotePassed | ProposalEvent::VoteFailed)
        && proposal_transition(from, event).is_ok()
}

/// The people of a proposal's People table by role: what fills the form's people
/// sections, and the project's roster once it is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleLists<T> {
    pub champion: Option<T>,
    pub mentors: Vec<T>,
    pub committers: Vec<T>,
}

impl<T> Default for PeopleLists<T> {
    fn default() -> Self {
        PeopleLists {
            champion: None,
            mentors: Vec::new(),
            committers: Vec::new(),
        }
    }
}

/// Why a People table does not make lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeopleError {
    #[error("role {0:?} is not one of {roles}", roles = .1.join(", "))]
    UnknownRole(String, Vec<&'static str>),
    #[error("a proposal has one champion; {0} rows name one")]
    SeveralChampions(usize),
}

/// Sorts the rows of a People table (`role`, person) into the lists, keeping their order.
/// `roles` are the roles the program's form offers ([`super::ProgramTemplate::people_roles`]);
/// a row in another role is refused, and so is a second champion.
pub fn split_people<T>(
    rows: impl IntoIterator<Item = (String, T)>,
    roles: &[&'static str],
) -> Result<PeopleLists<T>, PeopleError> {
    let mut lists = PeopleLists::default();
    let mut champions = 0;
    for (role, person) in rows {
        let role = role.trim();
        if !roles.contains(&role) {
            return Err(PeopleError::UnknownRole(role.to_owned(), roles.to_vec()));
        }
        match role {
            "champion" => {
                champions += 1;
                if lists.champion.is_none() {
                    lists.champion = Some(person);
                }
            }
            "mentor" => lists.mentors.push(person),
            "committer" => lists.committers.push(person),
            other => return Err(PeopleError::UnknownRole(other.to_owned(), roles.to_vec())),
        }
    }
    if champions > 1 {
        return Err(PeopleError::SeveralChampions(champions));
    }
    Ok(lists)
}

/// Whether a proposal in discussion since `discussion_started_ms` has been discussed the
/// program's minimum number of days by `now_ms` (whole days of 24 hours).
pub fn discussion_complete(discussion_started_ms: i64, now_ms: i64, min_days: u32) -> bool {
    let min_ms = i64::from(min_days) * 86_400_000;
    now_ms >= discussion_started_ms.saturating_add(min_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProposalEvent::*;
    use ProposalState::*;

    const EVENTS: [ProposalEvent; 9] = [
        Submit,
        Edit,
        CallVote,
        VotePassed,
        VoteFailed,
        RequestInfo,
        Resubmit,
        Withdraw,
        Close,
    ];

    /// Every state x every event: the allowed ones with their target, the rest refused.
    #[test]
    fn transition_table() {
        #[rustfmt::skip]
        let allowed: &[(ProposalState, ProposalEvent, ProposalState, bool)] = &[
            // from,     event,       to,         cancels the vote
            (Draft,      Edit,        Draft,      false),
            (Draft,      Submit,      Discussion, false),
            (Discussion, Edit,        Discussion, false),
            (Discussion, CallVote,    Voting,     false),
            (Discussion, RequestInfo, NeedsInfo,  false),
            (Voting,     VotePassed,  Accepted,   false),
            (Voting,     VoteFailed,  Rejected,   false),
            (Voting,     RequestInfo, NeedsInfo,  true),
            (Voting,     Edit,        Discussion, true),
            (NeedsInfo,  Edit,        NeedsInfo,  false),
            (NeedsInfo,  Resubmit,    Discussion, false),
            (Draft,      Withdraw,    Withdrawn,  false),
            (Discussion, Withdraw,    Withdrawn,  false),
            (Voting,     Withdraw,    Withdrawn,  true),
            (NeedsInfo,  Withdraw,    Withdrawn,  false),
            (Draft,      Close,       Closed,     false),
            (Discussion, Close,       Closed,     false),
            (Voting,     Close,       Closed,     true),
            (NeedsInfo,  Close,       Closed,     false),
        ];
        let mut checked = 0;
        for from in ProposalState::ALL {
            for event in EVENTS {
                let row = allowed.iter().find(|r| r.0 == from && r.1 == event);
                let got = proposal_transition(from, event);
                match row {
                    Some(&(_, _, to, cancels)) => {
                        assert_eq!(got, Ok(to), "{from} {event:?}");
                        assert_eq!(cancels_vote(from, event), cancels, "{from} {event:?}");
                    }
                    None => {
                        assert_eq!(
                            got,
                            Err(ProposalTransitionError { from, event }),
                            "{from} {event:?}"
                        );
                        assert!(!cancels_vote(from, event));
                    }
                }
                if from.is_final() {
                    assert!(got.is_err());
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 8 * 9);
    }

    #[test]
    fn names_round_trip() {
        for s in ProposalState::ALL {
            assert_eq!(s.as_str().parse::<ProposalState>(), Ok(s));
        }
        assert!("needs-info".parse::<ProposalState>().is_err());
        let holding: Vec<ProposalState> = ProposalState::ALL
            .into_iter()
            .filter(|s| s.holds_slug())
            .collect();
        assert_eq!(holding, [Draft, Discussion, Voting, Accepted, NeedsInfo]);
    }

    /// One People table, entered once, fills the champion, mentor and committer lists in
    /// the order given; roles the program does not offer and a second champion are refused.
    #[test]
    fn people_table_fills_the_lists() {
        let all = ["champion", "mentor", "committer"];
        let rows = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(r, n)| ((*r).to_owned(), (*n).to_owned()))
                .collect()
        };
        let got = split_people(
            rows(&[
                ("committer", "Pat"),
                ("mentor", "Mo"),
                (" champion ", "Ann"),
                ("mentor", "Ann"),
                ("committer", "Quinn"),
            ]),
            &all,
        )
        .unwrap();
        assert_eq!(
            got,
            PeopleLists {
                champion: Some("Ann".to_owned()),
                mentors: vec!["Mo".to_owned(), "Ann".to_owned()],
                committers: vec!["Pat".to_owned(), "Quinn".to_owned()],
            }
        );
        assert_eq!(
            split_people(rows(&[]), &all).unwrap(),
            PeopleLists::default()
        );
        assert_eq!(
            split_people(rows(&[("champion", "A"), ("champion", "B")]), &all),
            Err(PeopleError::SeveralChampions(2))
        );
        assert_eq!(
            split_people(rows(&[("ppmc", "A")]), &all),
            Err(PeopleError::UnknownRole("ppmc".into(), all.to_vec()))
        );
        // A CNCF form names maintainers and a sponsor only: no mentors.
        let cncf = ["champion", "committer"];
        let e = split_people(rows(&[("mentor", "A")]), &cncf).unwrap_err();
        assert_eq!(
            e.to_string(),
            "role \"mentor\" is not one of champion, committer"
        );
    }

    #[test]
    fn discussion_period() {
        let day = 86_400_000;
        #[rustfmt::skip]
        let table: &[(i64, i64, u32, bool)] = &[
            (0, 7 * day - 1, 7, false),
            (0, 7 * day,     7, true),
            (0, 0,           0, true),
            (5, 4,           0, false),
            // Saturates instead of overflowing.
            (i64::MAX - 1, i64::MAX - 2, 7, false),
        ];
        for (start, now, days, want) in table {
            assert_eq!(discussion_complete(*start, *now, *days), *want);
        }
    }
}
