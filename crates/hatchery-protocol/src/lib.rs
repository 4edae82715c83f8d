//! The git wire protocol, server side (and, in [`client`], the client side Hatchery uses
//! to fetch from and push to other servers): bytes in, bytes out. No HTTP here.
//!
//! The web layer maps the smart-HTTP endpoints onto these functions, running them in a
//! blocking task with a reader over the (decoded) request body and a writer that streams
//! into the response:
//!
//! * `GET …/info/refs?service=git-upload-pack|git-receive-pack` → [`advertise_refs`]
//! * `POST …/git-upload-pack` → [`upload_pack`]
//! * `POST …/git-receive-pack` → [`receive_pack`]
//!
//! On a bidirectional stream (SSH), a whole session is one call: [`upload_pack_session`]
//! (advertisement, then v0 negotiation rounds or v2 commands until the client ends) and
//! [`receive_pack_session`] (advertisement, then the push).
//!
//! Content types are given by [`Service::advertisement_content_type`] and
//! [`Service::result_content_type`]; the protocol version comes from the `Git-Protocol`
//! request header ([`ProtocolVersion::from_git_protocol_header`]).

mod advertise;
pub mod client;
pub mod pktline;
mod receive;
pub mod request;
mod upload;

pub use advertise::{advertise_refs, advertise_refs_session};
pub use hatchery_git as git;
pub use receive::{
    ProposedUpdate, ReceiveHook, ReceivePackOptions, ReceivePackOutcome, RefUpdateReport,
    UpdateKind, receive_pack, receive_pack_session,
};
pub use upload::{UploadPackOptions, UploadPackOutcome, upload_pack, upload_pack_session};

/// Which git service a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Fetch and clone.
    UploadPack,
    /// Push.
    ReceivePack,
}

impl Service {
    /// Parse the `service=` query value (`git-upload-pack` / `git-receive-pack`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "git-upload-pack" => Some(Service::UploadPack),
            "git-receive-pack" => Some(Service::ReceivePack),
            _ => None,
        }
    }

    /// `git-upload-pack` or `git-receive-pack`.
    pub fn name(self) -> &'static str {
        match self {
            Service::UploadPack => "git-upload-pack",
            Service::ReceivePack => "git-receive-pack",
        }
    }

    /// Content type of the `info/refs` response.
    pub fn advertisement_content_type(self) -> &'static str {
        match self {
            Service::UploadPack => "application/x-git-upload-pack-advertisement",
            Service::ReceivePack => "application/x-git-receive-pack-advertisement",
        }
    }

    /// Content type of the POST request body.
    pub fn request_content_type(self) -> &'static str {
        match self {
            Service::UploadPack => "application/x-git-upload-pack-request",
            Service::ReceivePack => "application/x-git-receive-pack-request",
        }
    }

    /// Content type of the POST response.
    pub fn result_content_type(self) -> &'static str {
        match self {
            Service::UploadPack => "application/x-git-upload-pack-result",
            Service::ReceivePack => "application/x-git-receive-pack-result",
        }
    }
}

/// The wire protocol version a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ProtocolVersion {
    /// Original protocol.
    #[default]
    V0,
    /// v0 with a `version 1` line.
    V1,
    /// Protocol v2 (upload-pack only; receive-pack falls back to v0 like git does).
    V2,
}

impl ProtocolVersion {
    /// From the `Git-Protocol` header (`version=2`, possibly among other `key=value`
    /// entries separated by `:`); the highest version listed wins, absent means v0.
    pub fn from_git_protocol_header(value: Option<&str>) -> Self {
        let mut best = ProtocolVersion::V0;
        for entry in value.unwrap_or_default().split(':') {
            match entry.trim() {
                "version=2" => best = ProtocolVersion::V2,
                "version=1" if best == ProtocolVersion::V0 => best = ProtocolVersion::V1,
                _ => {}
            }
        }
        best
    }
}

/// Errors of the protocol layer. Whatever the client did wrong has already been reported
/// to it (`ERR` packet or report-status) when one of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// A pkt-line could not be parsed.
    #[error("malformed pkt-line: {0}")]
    MalformedPktLine(String),
    /// The request did not follow the protocol.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A v2 command we do not know.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// A want names an object we do not have or do not serve.
    #[error("not our ref {0}")]
    NotOurRef(hatchery_git::Oid),
    /// Reading the request or writing the response failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A repository operation failed.
    #[error(transparent)]
    Git(#[from] hatchery_git::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            ProtocolVersion::from_git_protocol_header(None),
            ProtocolVersion::V0
        );
        assert_eq!(
            ProtocolVersion::from_git_protocol_header(Some("version=2")),
            ProtocolVersion::V2
        );
        assert_eq!(
            ProtocolVersion::from_git_protocol_header(Some("foo=bar:version=1")),
            ProtocolVersion::V1
        );
        assert_eq!(
            Service::from_name("git-upload-pack"),
            Some(Service::UploadPack)
        );
        assert_eq!(Service::from_name("git-frob"), None);
    }
}
