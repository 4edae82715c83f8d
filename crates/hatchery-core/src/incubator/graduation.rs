//! Graduation after the vote: where a program's graduation vote only recommends a project
//! to a board ([`super::program::Graduation`]), the recommendation's states and what may
//! happen in each, and who the new project's management committee is.
//!
//! ```text
//! graduation vote passes ─▶ recommended ─(resolution sent)─▶ submitted ─▶ approved ─▶ graduated
//!                                 │                              └──────▶ rejected
//!                                 └─(no resolution in the program)──────▶ approved / rejected
//! ```
//!
//! The resolution draft is edited only while `recommended`: once sent, the board decides on
//! that text. A decision is recorded once.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::votes::{ROLE_CHAMPION, ROLE_COMMITTER, ROLE_MENTOR, ROLE_PPMC};
use crate::roles::UnknownValue;

/// Where a recommendation to graduate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraduationState {
    /// The graduation vote passed; the resolution draft may be edited.
    Recommended,
    /// The resolution was sent to the board; its text is final.
    Submitted,
    /// The board approved: the project is graduated.
    Approved,
    /// The board rejected: the project stays where it was and may try again.
    Rejected,
}

impl GraduationState {
    pub const ALL: [GraduationState; 4] = [
        GraduationState::Recommended,
        GraduationState::Submitted,
        GraduationState::Approved,
        GraduationState::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GraduationState::Recommended => "recommended",
            GraduationState::Submitted => "submitted",
            GraduationState::Approved => "approved",
            GraduationState::Rejected => "rejected",
        }
    }

    /// Waiting for the board: no other stage change of the project may start meanwhile.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            GraduationState::Recommended | GraduationState::Submitted
        )
    }
}

impl fmt::Display for GraduationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GraduationState {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GraduationState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(UnknownValue)
    }
}

/// What someone does to a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraduationEvent {
    /// Change the resolution draft (or start it again from the template).
    EditResolution,
    /// Send the resolution to the board.
    Submit,
    /// Record the board's decision.
    Decide { approved: bool },
}

/// Why a recommendation cannot take an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GraduationError {
    #[error("the board has decided already")]
    AlreadyDecided,
    #[error("the resolution was sent to the board: its text is final")]
    AlreadySubmitted,
    #[error("the resolution is sent to the board before its decision is recorded")]
    NotSubmitted,
    #[error("the program drafts no board resolution")]
    NoResolution,
}

impl GraduationError {
    /// Message-catalog key for this error.
    pub fn message_key(self) -> &'static str {
        match self {
            GraduationError::AlreadyDecided => "error.graduation.already_decided",
            GraduationError::AlreadySubmitted => "error.graduation.already_submitted",
            GraduationError::NotSubmitted => "error.graduation.not_submitted",
            GraduationError::NoResolution => "error.graduation.no_resolution",
        }
    }
}

/// The state a recommendation in `state` moves to on `event`, in a program that drafts a
/// board resolution (`resolution`) or not.
pub fn graduation_transition(
    state: GraduationState,
    event: GraduationEvent,
    resolution: bool,
) -> Result<GraduationState, GraduationError> {
    use GraduationState::*;
    if matches!(state, Approved | Rejected) {
        return Err(GraduationError::AlreadyDecided);
    }
    match event {
        GraduationEvent::EditResolution | GraduationEvent::Submit if !resolution => {
            Err(GraduationError::NoResolution)
        }
        GraduationEvent::EditResolution | GraduationEvent::Submit if state == Submitted => {
            Err(GraduationError::AlreadySubmitted)
        }
        GraduationEvent::EditResolution => Ok(Recommended),
        GraduationEvent::Submit => Ok(Submitted),
        GraduationEvent::Decide { .. } if resolution && state == Recommended => {
            Err(GraduationError::NotSubmitted)
        }
        GraduationEvent::Decide { approved: true } => Ok(Approved),
        GraduationEvent::Decide { approved: false } => Ok(Rejected),
    }
}

/// Whether `s` is a calendar date written `YYYY-MM-DD` (a board meeting's date), years
/// 1900 to 9999.
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1900 && (1..=days).contains(&d)
}

/// One current member of a project's roster, as the committee's list is drawn from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterPerson {
    pub name: String,
    /// Their account here, when they have one.
    pub login: Option<String>,
    pub role: String,
}

/// The initial members of the graduated project's management committee, in roster order
/// without repeats (a person is matched by account, or by name when without one): its PPMC
/// members, mentors and champion; a project whose roster has no PPMC members yet gives
/// its committers in their place. The first PPMC member (or committer) is the chair
/// proposed by default.
pub fn initial_pmc(roster: &[RosterPerson]) -> Vec<RosterPerson> {
    let has_ppmc = roster.iter().any(|p| p.role == ROLE_PPMC);
    let core = if has_ppmc { ROLE_PPMC } else { ROLE_COMMITTER };
    let mut out: Vec<RosterPerson> = Vec::new();
    // The core of the committee first, so its first person is the default chair.
    let order = [core, ROLE_CHAMPION, ROLE_MENTOR];
    for role in order {
        for p in roster.iter().filter(|p| p.role == role) {
            let same = |q: &RosterPerson| match (&p.login, &q.login) {
                (Some(a), Some(b)) => a == b,
                (None, None) => q.name == p.name,
                _ => false,
            };
            if !out.iter().any(same) {
                out.push(p.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::GraduationEvent::*;
    use super::GraduationState::*;
    use super::*;

    #[test]
    fn state_machine() {
        #[rustfmt::skip]
        let table: &[(GraduationState, GraduationEvent, bool, Result<GraduationState, GraduationError>)] = &[
            // Apache: draft, send, decide.
            (Recommended, EditResolution,                 true,  Ok(Recommended)),
            (Recommended, Submit,                         true,  Ok(Submitted)),
            (Recommended, Decide { approved: true },      true,  Err(GraduationError::NotSubmitted)),
            (Submitted,   EditResolution,                 true,  Err(GraduationError::AlreadySubmitted)),
            (Submitted,   Submit,                         true,  Err(GraduationError::AlreadySubmitted)),
            (Submitted,   Decide { approved: true },      true,  Ok(Approved)),
            (Submitted,   Decide { approved: false },     true,  Ok(Rejected)),
            (Approved,    Decide { approved: true },      true,  Err(GraduationError::AlreadyDecided)),
            (Rejected,    Decide { approved: true },      true,  Err(GraduationError::AlreadyDecided)),
            (Approved,    EditResolution,                 true,  Err(GraduationError::AlreadyDecided)),
            (Rejected,    Submit,                         true,  Err(GraduationError::AlreadyDecided)),
            // LF AI & Data: the governing board decides on the recommendation itself.
            (Recommended, Decide { approved: true },      false, Ok(Approved)),
            (Recommended, Decide { approved: false },     false, Ok(Rejected)),
            (Recommended, EditResolution,                 false, Err(GraduationError::NoResolution)),
            (Recommended, Submit,                         false, Err(GraduationError::NoResolution)),
            (Approved,    Decide { approved: false },     false, Err(GraduationError::AlreadyDecided)),
        ];
        for (i, (state, event, resolution, want)) in table.iter().enumerate() {
            assert_eq!(
                graduation_transition(*state, *event, *resolution),
                *want,
                "row {i}: {state} {event:?}"
            );
        }
        for s in GraduationState::ALL {
            assert_eq!(s.as_str().parse::<GraduationState>(), Ok(s));
            assert_eq!(s.is_pending(), matches!(s, Recommended | Submitted));
        }
        assert!("graduated".parse::<GraduationState>().is_err());
    }

    #[test]
    fn dates() {
        for ok in ["2024-02-29", "2000-02-29", "2025-12-31", "1999-01-01"] {
            assert!(is_valid_date(ok), "{ok}");
        }
        for bad in [
            "",
            "2025-2-1",
            "2025-02-30",
            "1900-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-01-00",
            "20250101",
            "2025/01/01",
            "+025-01-01",
            "2025-01-1x",
            "1899-12-31",
            "２０２５-01-01",
        ] {
            assert!(!is_valid_date(bad), "{bad}");
        }
    }

    fn person(name: &str, login: Option<&str>, role: &str) -> RosterPerson {
        RosterPerson {
            name: name.into(),
            login: login.map(Into::into),
            role: role.into(),
        }
    }

    fn names(list: &[RosterPerson]) -> Vec<&str> {
        list.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn committee_from_the_roster() {
        let roster = vec![
            person("Mia Mentor", Some("mia"), "mentor"),
            person("Cy Committer", Some("cy"), "committer"),
            person("Pat Ppmc", Some("pat"), "ppmc"),
            person("Cy Committer", Some("cy"), "ppmc"),
            person("Chan Champion", None, "champion"),
            person("Mia Mentor", Some("mia"), "champion"),
            person("Sam Shepherd", Some("sam"), "shepherd"),
        ];
        // PPMC first (roster order), then champion and mentors, each person once;
        // committers who are not on the PPMC and other roles are left out.
        assert_eq!(
            names(&initial_pmc(&roster)),
            ["Pat Ppmc", "Cy Committer", "Chan Champion", "Mia Mentor"]
        );
        // Without PPMC members the committers stand in for them.
        let early = vec![
            person("Mia Mentor", Some("mia"), "mentor"),
            person("Cy Committer", Some("cy"), "committer"),
            person("Dee", None, "committer"),
            person("Dee", None, "committer"),
        ];
        assert_eq!(
            names(&initial_pmc(&early)),
            ["Cy Committer", "Dee", "Mia Mentor"]
        );
        // Two people of one name are told apart by their accounts.
        let twins = vec![
            person("Li Wei", Some("liwei"), "ppmc"),
            person("Li Wei", Some("liwei2"), "ppmc"),
        ];
        assert_eq!(initial_pmc(&twins).len(), 2);
        assert!(initial_pmc(&[]).is_empty());
    }
}
