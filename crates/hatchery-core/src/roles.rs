//! Roles in organizations and access levels granted by teams and collaborators.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrgRole {
    Member,
    Owner,
}

impl OrgRole {
    pub const ALL: [OrgRole; 2] = [OrgRole::Owner, OrgRole::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Member => "member",
            OrgRole::Owner => "owner",
        }
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrgRole {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "member" => Ok(OrgRole::Member),
            "owner" => Ok(OrgRole::Owner),
            _ => Err(UnknownValue),
        }
    }
}

/// What a team or a collaborator may do with a repository. Ordered: `Admin` implies
/// `Write`, which implies `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    Read,
    Write,
    Admin,
}

impl AccessLevel {
    pub const ALL: [AccessLevel; 3] = [AccessLevel::Read, AccessLevel::Write, AccessLevel::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
            AccessLevel::Admin => "admin",
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessLevel {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(AccessLevel::Read),
            "write" => Ok(AccessLevel::Write),
            "admin" => Ok(AccessLevel::Admin),
            _ => Err(UnknownValue),
        }
    }
}

/// A stored or submitted value that is not one of the known variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown value")]
pub struct UnknownValue;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in OrgRole::ALL {
            assert_eq!(r.as_str().parse::<OrgRole>(), Ok(r));
        }
        for l in AccessLevel::ALL {
            assert_eq!(l.as_str().parse::<AccessLevel>(), Ok(l));
        }
        assert!("root".parse::<OrgRole>().is_err());
        assert!(AccessLevel::Admin > AccessLevel::Write && AccessLevel::Write > AccessLevel::Read);
    }
}
