//! Domain types and rules of Hatchery. Pure: no IO, no async, no SQL, HTTP or git objects,
//! so every rule here can be unit-tested without a runtime.

pub mod codeowners;
pub mod gpg;
pub mod imports;
pub mod incubator;
pub mod issues;
pub mod mirrors;
pub mod names;
pub mod netpolicy;
pub mod policy;
pub mod protection;
pub mod pulls;
pub mod ratelimit;
pub mod references;
pub mod releases;
pub mod reviews;
pub mod roles;
pub mod signin;
pub mod ssh;
pub mod statuses;
pub mod validate;
pub mod webhooks;

pub use names::{Name, NameError, NameKind};
pub use policy::{
    Action, Actor, CommentFacts, Decision, Denial, IssueFacts, OrgFacts, RepoFacts, Resource,
    authorize,
};
pub use references::{Found, Reference, closing_issues, scan};
pub use roles::{AccessLevel, OrgRole};
