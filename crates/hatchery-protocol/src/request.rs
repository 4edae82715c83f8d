//! Parsing of upload-pack requests (v0/v1 and v2) and receive-pack command lists.

use std::io::Read;

use hatchery_git::{Deepen, Filter, Oid};

use crate::ProtocolError;
use crate::pktline::{Packet, PktReader};

/// Capabilities a v0/v1 upload-pack client asked for (on its first `want` line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadCaps {
    /// `multi_ack`.
    pub multi_ack: bool,
    /// `multi_ack_detailed`.
    pub multi_ack_detailed: bool,
    /// `no-done`.
    pub no_done: bool,
    /// `side-band` (1000-byte packets).
    pub side_band: bool,
    /// `side-band-64k`.
    pub side_band_64k: bool,
    /// `ofs-delta`.
    pub ofs_delta: bool,
    /// `thin-pack`.
    pub thin_pack: bool,
    /// `no-progress`.
    pub no_progress: bool,
    /// `include-tag`.
    pub include_tag: bool,
    /// `agent=...`.
    pub agent: Option<String>,
}

/// The capabilities we advertise for v0/v1 upload-pack (besides symref, agent, object-format).
pub const UPLOAD_PACK_V0_CAPS: &[&str] = &[
    "multi_ack",
    "thin-pack",
    "side-band",
    "side-band-64k",
    "ofs-delta",
    "shallow",
    "deepen-since",
    "deepen-not",
    "deepen-relative",
    "no-progress",
    "include-tag",
    "multi_ack_detailed",
    "no-done",
    "filter",
    "allow-reachable-sha1-in-want",
];

/// A full v0/v1 upload-pack request as sent by a stateless (HTTP) client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V0Request {
    /// `want` lines, in order.
    pub wants: Vec<Oid>,
    /// Capabilities from the first want line.
    pub caps: UploadCaps,
    /// `shallow` lines (the client's shallow commits).
    pub shallow: Vec<Oid>,
    /// `deepen*` lines.
    pub deepen: Deepen,
    /// `filter` line.
    pub filter: Option<Filter>,
    /// `have` lines, in order.
    pub haves: Vec<Oid>,
    /// Whether the request ended with `done`.
    pub done: bool,
    /// Whether the have section ended with a flush (a negotiation round). When the request
    /// ends after the wants (or haves) without flush or `done`, git answers nothing more
    /// than the shallow list.
    pub flushed: bool,
}

fn text(line: &[u8]) -> Result<&str, ProtocolError> {
    std::str::from_utf8(line)
        .map_err(|_| ProtocolError::InvalidRequest("request line is not valid UTF-8".into()))
}

fn oid(s: &str, what: &str) -> Result<Oid, ProtocolError> {
    s.parse::<Oid>().map_err(|_| {
        ProtocolError::InvalidRequest(format!("expected an object id after '{what}', got {s:?}"))
    })
}

fn parse_depth(s: &str) -> Result<u32, ProtocolError> {
    match s.parse::<u32>() {
        Ok(0) | Err(_) => Err(ProtocolError::InvalidRequest(format!(
            "invalid deepen value {s:?}"
        ))),
        Ok(n) => Ok(n),
    }
}

fn parse_since(s: &str) -> Result<i64, ProtocolError> {
    s.parse::<i64>()
        .map_err(|_| ProtocolError::InvalidRequest(format!("invalid deepen-since value {s:?}")))
}

fn parse_filter(s: &str) -> Result<Filter, ProtocolError> {
    s.parse::<Filter>()
        .map_err(|e| ProtocolError::InvalidRequest(e.to_string()))
}

fn parse_upload_caps(list: &str) -> Result<UploadCaps, ProtocolError> {
    let mut caps = UploadCaps::default();
    for cap in list.split(' ').filter(|c| !c.is_empty()) {
        match cap {
            "multi_ack" => caps.multi_ack = true,
            "multi_ack_detailed" => caps.multi_ack_detailed = true,
            "no-done" => caps.no_done = true,
            "side-band" => caps.side_band = true,
            "side-band-64k" => caps.side_band_64k = true,
            "ofs-delta" => caps.ofs_delta = true,
            "thin-pack" => caps.thin_pack = true,
            "no-progress" => caps.no_progress = true,
            "include-tag" => caps.include_tag = true,
            "shallow" | "deepen-since" | "deepen-not" | "deepen-relative" | "filter" => {}
            "object-format=sha1" => {}
            c if c.starts_with("agent=") => caps.agent = Some(c["agent=".len()..].to_owned()),
            c if c.starts_with("session-id=") => {}
            c if c.starts_with("object-format=") => {
                return Err(ProtocolError::InvalidRequest(format!(
                    "unsupported object format {:?}; this server only supports sha1",
                    &c["object-format=".len()..]
                )));
            }
            other => {
                return Err(ProtocolError::InvalidRequest(format!(
                    "unknown capability {other:?}"
                )));
            }
        }
    }
    Ok(caps)
}

/// Read a complete v0/v1 upload-pack request.
pub fn parse_v0_request<R: Read>(reader: &mut PktReader<R>) -> Result<V0Request, ProtocolError> {
    let mut req = match parse_v0_wants(reader)? {
        WantSection::Ended => return Ok(V0Request::default()),
        WantSection::Empty => {
            return Err(ProtocolError::InvalidRequest(
                "no want lines in the request".into(),
            ));
        }
        WantSection::Wants(req) => req,
    };
    parse_v0_haves(reader, &mut req)?;
    Ok(req)
}

/// What a v0 want section held.
#[derive(Debug)]
pub enum WantSection {
    /// The stream ended before any packet: nothing asked.
    Ended,
    /// A flush without wants: the client wants nothing (it is up to date, or only listed
    /// the refs).
    Empty,
    /// Wants (and shallow, deepen, filter lines) up to their flush.
    Wants(V0Request),
}

/// Read the want section of a v0/v1 upload-pack request, up to and including its flush.
pub fn parse_v0_wants<R: Read>(reader: &mut PktReader<R>) -> Result<WantSection, ProtocolError> {
    let mut req = V0Request::default();
    loop {
        let Some(packet) = reader.read_packet()? else {
            if req.wants.is_empty() {
                return Ok(WantSection::Ended);
            }
            return Err(ProtocolError::InvalidRequest(
                "request ends before the flush after the wants".into(),
            ));
        };
        let line = match packet {
            Packet::Flush => break,
            Packet::Data(_) => text(packet.line().unwrap_or_default())?,
            Packet::Delim | Packet::ResponseEnd => {
                return Err(ProtocolError::InvalidRequest(
                    "unexpected delimiter packet in a v0 request".into(),
                ));
            }
        };
        if let Some(rest) = line.strip_prefix("want ") {
            let (id, caps) = match rest.split_once(' ') {
                Some((id, caps)) => (id, Some(caps)),
                None => (rest, None),
            };
            // Capabilities come after a NUL in old clients' first line or after a space.
            let (id, caps) = match id.split_once('\0') {
                Some((id, c)) => (id, Some(c)),
                None => (id, caps),
            };
            if req.wants.is_empty()
                && let Some(caps) = caps
            {
                req.caps = parse_upload_caps(caps)?;
                // In v0 `deepen-relative` is a capability, not a line.
                if caps.split(' ').any(|c| c == "deepen-relative") {
                    req.deepen.relative = true;
                }
            }
            req.wants.push(oid(id, "want")?);
        } else if let Some(rest) = line.strip_prefix("shallow ") {
            req.shallow.push(oid(rest, "shallow")?);
        } else if let Some(rest) = line.strip_prefix("deepen ") {
            req.deepen.depth = Some(parse_depth(rest)?);
        } else if let Some(rest) = line.strip_prefix("deepen-since ") {
            req.deepen.since = Some(parse_since(rest)?);
        } else if let Some(rest) = line.strip_prefix("deepen-not ") {
            req.deepen.not.push(rest.to_owned());
        } else if line == "deepen-relative" {
            req.deepen.relative = true;
        } else if let Some(rest) = line.strip_prefix("filter ") {
            req.filter = Some(parse_filter(rest)?);
        } else {
            return Err(ProtocolError::InvalidRequest(format!(
                "unexpected line in want section: {line:?}"
            )));
        }
    }
    if req.wants.is_empty() {
        return Ok(WantSection::Empty);
    }
    Ok(WantSection::Wants(req))
}

/// Read have lines into `req` up to a flush (`req.flushed`), `done` (`req.done`) or the
/// end of the stream.
pub fn parse_v0_haves<R: Read>(
    reader: &mut PktReader<R>,
    req: &mut V0Request,
) -> Result<(), ProtocolError> {
    while let Some(packet) = reader.read_packet()? {
        let line = match packet {
            Packet::Flush => {
                req.flushed = true;
                break;
            }
            Packet::Data(_) => text(packet.line().unwrap_or_default())?,
            _ => {
                return Err(ProtocolError::InvalidRequest(
                    "unexpected delimiter packet in a v0 request".into(),
                ));
            }
        };
        if let Some(rest) = line.strip_prefix("have ") {
            req.haves.push(oid(rest, "have")?);
        } else if line == "done" {
            req.done = true;
            break;
        } else {
            return Err(ProtocolError::InvalidRequest(format!(
                "expected a have line, got {line:?}"
            )));
        }
    }
    Ok(())
}

/// A protocol v2 command request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum V2Request {
    /// The client ended the session (a lone flush, or nothing).
    Empty,
    /// `command=ls-refs`.
    LsRefs(LsRefsArgs),
    /// `command=fetch`.
    Fetch(FetchArgs),
}

/// Arguments of `ls-refs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LsRefsArgs {
    /// `peel`.
    pub peel: bool,
    /// `symrefs`.
    pub symrefs: bool,
    /// `unborn`.
    pub unborn: bool,
    /// `ref-prefix` lines.
    pub prefixes: Vec<String>,
}

/// Arguments of `fetch`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchArgs {
    /// `want`.
    pub wants: Vec<Oid>,
    /// `have`.
    pub haves: Vec<Oid>,
    /// `done`.
    pub done: bool,
    /// `thin-pack`.
    pub thin_pack: bool,
    /// `no-progress`.
    pub no_progress: bool,
    /// `include-tag`.
    pub include_tag: bool,
    /// `ofs-delta`.
    pub ofs_delta: bool,
    /// `shallow`.
    pub shallow: Vec<Oid>,
    /// `deepen*`.
    pub deepen: Deepen,
    /// `filter`.
    pub filter: Option<Filter>,
    /// `wait-for-done`.
    pub wait_for_done: bool,
    /// `sideband-all`.
    pub sideband_all: bool,
}

/// Read one protocol v2 command request.
pub fn parse_v2_request<R: Read>(reader: &mut PktReader<R>) -> Result<V2Request, ProtocolError> {
    let command = match reader.read_packet()? {
        None | Some(Packet::Flush) => return Ok(V2Request::Empty),
        Some(p @ Packet::Data(_)) => {
            let line = text(p.line().unwrap_or_default())?;
            match line.strip_prefix("command=") {
                Some(c) => c.to_owned(),
                None => {
                    return Err(ProtocolError::InvalidRequest(format!(
                        "expected command=<name>, got {line:?}"
                    )));
                }
            }
        }
        Some(_) => return Err(ProtocolError::InvalidRequest("expected a command".into())),
    };
    if command != "ls-refs" && command != "fetch" {
        return Err(ProtocolError::UnknownCommand(command));
    }
    // Capabilities, up to a delimiter (arguments follow) or a flush (no arguments).
    let mut has_args = false;
    loop {
        match reader.read_packet()? {
            None => {
                return Err(ProtocolError::InvalidRequest(
                    "request ends inside the capability list".into(),
                ));
            }
            Some(Packet::Flush) => break,
            Some(Packet::Delim) => {
                has_args = true;
                break;
            }
            Some(Packet::ResponseEnd) => {
                return Err(ProtocolError::InvalidRequest(
                    "unexpected response-end packet".into(),
                ));
            }
            Some(p @ Packet::Data(_)) => {
                let cap = text(p.line().unwrap_or_default())?;
                if cap.starts_with("agent=")
                    || cap.starts_with("session-id=")
                    || cap.starts_with("server-option=")
                {
                    continue;
                }
                if let Some(format) = cap.strip_prefix("object-format=") {
                    if format != "sha1" {
                        return Err(ProtocolError::InvalidRequest(format!(
                            "unsupported object format {format:?}; this server only supports sha1"
                        )));
                    }
                    continue;
                }
                return Err(ProtocolError::InvalidRequest(format!(
                    "unknown capability {cap:?}"
                )));
            }
        }
    }
    let mut args: Vec<String> = Vec::new();
    if has_args {
        loop {
            match reader.read_packet()? {
                None => {
                    return Err(ProtocolError::InvalidRequest(
                        "request ends before its final flush".into(),
                    ));
                }
                Some(Packet::Flush) => break,
                Some(p @ Packet::Data(_)) => {
                    args.push(text(p.line().unwrap_or_default())?.to_owned());
                }
                Some(_) => {
                    return Err(ProtocolError::InvalidRequest(
                        "unexpected delimiter in the argument list".into(),
                    ));
                }
            }
        }
    }
    if command == "ls-refs" {
        let mut out = LsRefsArgs::default();
        for arg in args {
            match arg.as_str() {
                "peel" => out.peel = true,
                "symrefs" => out.symrefs = true,
                "unborn" => out.unborn = true,
                a => match a.strip_prefix("ref-prefix ") {
                    Some(p) => out.prefixes.push(p.to_owned()),
                    None => {
                        return Err(ProtocolError::InvalidRequest(format!(
                            "unexpected ls-refs argument {a:?}"
                        )));
                    }
                },
            }
        }
        return Ok(V2Request::LsRefs(out));
    }
    let mut out = FetchArgs::default();
    for arg in args {
        let a = arg.as_str();
        match a {
            "done" => out.done = true,
            "thin-pack" => out.thin_pack = true,
            "no-progress" => out.no_progress = true,
            "include-tag" => out.include_tag = true,
            "ofs-delta" => out.ofs_delta = true,
            "deepen-relative" => out.deepen.relative = true,
            "wait-for-done" => out.wait_for_done = true,
            "sideband-all" => out.sideband_all = true,
            _ => {
                if let Some(r) = a.strip_prefix("want ") {
                    out.wants.push(oid(r, "want")?);
                } else if let Some(r) = a.strip_prefix("have ") {
                    out.haves.push(oid(r, "have")?);
                } else if let Some(r) = a.strip_prefix("shallow ") {
                    out.shallow.push(oid(r, "shallow")?);
                } else if let Some(r) = a.strip_prefix("deepen ") {
                    out.deepen.depth = Some(parse_depth(r)?);
                } else if let Some(r) = a.strip_prefix("deepen-since ") {
                    out.deepen.since = Some(parse_since(r)?);
                } else if let Some(r) = a.strip_prefix("deepen-not ") {
                    out.deepen.not.push(r.to_owned());
                } else if let Some(r) = a.strip_prefix("filter ") {
                    out.filter = Some(parse_filter(r)?);
                } else {
                    return Err(ProtocolError::InvalidRequest(format!(
                        "unexpected fetch argument {a:?}"
                    )));
                }
            }
        }
    }
    Ok(V2Request::Fetch(out))
}

/// One receive-pack command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Old value (`None` when creating).
    pub old: Option<Oid>,
    /// New value (`None` when deleting).
    pub new: Option<Oid>,
    /// The ref name exactly as sent.
    pub name: String,
}

/// Capabilities a receive-pack client asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiveCaps {
    /// `report-status`.
    pub report_status: bool,
    /// `report-status-v2`.
    pub report_status_v2: bool,
    /// `delete-refs`.
    pub delete_refs: bool,
    /// `side-band-64k`.
    pub side_band_64k: bool,
    /// `quiet`.
    pub quiet: bool,
    /// `atomic`.
    pub atomic: bool,
    /// `ofs-delta`.
    pub ofs_delta: bool,
    /// `push-options`.
    pub push_options: bool,
    /// `agent=...`.
    pub agent: Option<String>,
}

/// The capabilities we advertise for receive-pack (besides agent and object-format).
pub const RECEIVE_PACK_CAPS: &[&str] = &[
    "report-status",
    "report-status-v2",
    "delete-refs",
    "side-band-64k",
    "quiet",
    "atomic",
    "ofs-delta",
    "push-options",
];

/// The command part of a receive-pack request (the pack follows in the stream).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushRequest {
    /// Ref update commands.
    pub commands: Vec<Command>,
    /// Capabilities.
    pub caps: ReceiveCaps,
    /// `shallow` lines (pushes from shallow clones).
    pub shallow: Vec<Oid>,
    /// Push options (`git push -o`).
    pub push_options: Vec<String>,
}

fn parse_receive_caps(list: &str) -> Result<ReceiveCaps, ProtocolError> {
    let mut caps = ReceiveCaps::default();
    for cap in list.split(' ').filter(|c| !c.is_empty()) {
        match cap {
            "report-status" => caps.report_status = true,
            "report-status-v2" => caps.report_status_v2 = true,
            "delete-refs" => caps.delete_refs = true,
            "side-band-64k" => caps.side_band_64k = true,
            "quiet" => caps.quiet = true,
            "atomic" => caps.atomic = true,
            "ofs-delta" => caps.ofs_delta = true,
            "push-options" => caps.push_options = true,
            "object-format=sha1" => {}
            c if c.starts_with("agent=") => caps.agent = Some(c["agent=".len()..].to_owned()),
            c if c.starts_with("session-id=") => {}
            c if c.starts_with("object-format=") => {
                return Err(ProtocolError::InvalidRequest(format!(
                    "unsupported object format {:?}; this server only supports sha1",
                    &c["object-format=".len()..]
                )));
            }
            other => {
                return Err(ProtocolError::InvalidRequest(format!(
                    "unknown capability {other:?}"
                )));
            }
        }
    }
    Ok(caps)
}

/// Read the command list (and push options) of a receive-pack request, leaving the reader
/// at the start of the pack data.
pub fn parse_push_request<R: Read>(
    reader: &mut PktReader<R>,
) -> Result<PushRequest, ProtocolError> {
    let mut req = PushRequest::default();
    loop {
        let line = match reader.read_packet()? {
            None => {
                if req.commands.is_empty() {
                    return Ok(req);
                }
                return Err(ProtocolError::InvalidRequest(
                    "request ends before the flush after the commands".into(),
                ));
            }
            Some(Packet::Flush) => break,
            Some(p @ Packet::Data(_)) => p.line().unwrap_or_default().to_vec(),
            Some(_) => {
                return Err(ProtocolError::InvalidRequest(
                    "unexpected delimiter packet".into(),
                ));
            }
        };
        let (command, caps) = match line.iter().position(|&b| b == 0) {
            Some(nul) => (&line[..nul], Some(&line[nul + 1..])),
            None => (&line[..], None),
        };
        let command = text(command)?;
        if let Some(rest) = command.strip_prefix("shallow ") {
            req.shallow.push(oid(rest, "shallow")?);
            continue;
        }
        if let Some(caps) = caps
            && req.commands.is_empty()
        {
            req.caps = parse_receive_caps(text(caps)?)?;
        }
        let mut parts = command.splitn(3, ' ');
        let (Some(old), Some(new), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ProtocolError::InvalidRequest(format!(
                "malformed command {command:?}: expected '<old-oid> <new-oid> <ref>'"
            )));
        };
        let old = oid(old, "command")?;
        let new = oid(new, "command")?;
        if name.is_empty() {
            return Err(ProtocolError::InvalidRequest(
                "command without a ref name".into(),
            ));
        }
        req.commands.push(Command {
            old: (!old.is_zero()).then_some(old),
            new: (!new.is_zero()).then_some(new),
            name: name.to_owned(),
        });
    }
    if req.commands.is_empty() {
        return Err(ProtocolError::InvalidRequest(
            "no commands in the push request".into(),
        ));
    }
    if req.caps.push_options {
        loop {
            match reader.read_packet()? {
                None => {
                    return Err(ProtocolError::InvalidRequest(
                        "request ends inside the push options".into(),
                    ));
                }
                Some(Packet::Flush) => break,
                Some(p @ Packet::Data(_)) => req
                    .push_options
                    .push(text(p.line().unwrap_or_default())?.to_owned()),
                Some(_) => {
                    return Err(ProtocolError::InvalidRequest(
                        "unexpected delimiter packet".into(),
                    ));
                }
            }
        }
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pktline::{write_delim, write_flush, write_line};

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    fn build(lines: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for l in lines {
            match *l {
                "0000" => write_flush(&mut out).unwrap(),
                "0001" => write_delim(&mut out).unwrap(),
                l => write_line(&mut out, l).unwrap(),
            }
        }
        out
    }

    #[test]
    fn v0_full_request() {
        let input = build(&[
            &format!(
                "want {A} multi_ack_detailed no-done side-band-64k thin-pack ofs-delta deepen-since deepen-not agent=git/2.47.3"
            ),
            &format!("want {B}"),
            &format!("shallow {B}"),
            "deepen 3",
            "deepen-relative",
            "filter blob:limit=1k",
            "0000",
            &format!("have {B}"),
            "done",
        ]);
        let req = parse_v0_request(&mut PktReader::new(&input[..])).unwrap();
        assert_eq!(req.wants, vec![A.parse().unwrap(), B.parse().unwrap()]);
        assert!(req.caps.multi_ack_detailed && req.caps.no_done && req.caps.side_band_64k);
        assert!(req.caps.thin_pack && req.caps.ofs_delta && !req.caps.include_tag);
        assert_eq!(req.caps.agent.as_deref(), Some("git/2.47.3"));
        assert_eq!(req.deepen.depth, Some(3));
        assert!(req.deepen.relative);
        assert_eq!(req.filter, Some(Filter::BlobLimit(1024)));
        assert_eq!(req.haves.len(), 1);
        assert!(req.done);
    }

    #[test]
    fn v0_rejects_garbage() {
        for lines in [
            vec!["want nothex", "0000"],
            vec![&format!("want {A} bogus-capability") as &str, "0000"],
            vec!["hello", "0000"],
            vec![&format!("want {A}") as &str, "deepen 0", "0000"],
            vec![&format!("want {A}") as &str, "deepen-since soon", "0000"],
            vec![
                &format!("want {A}") as &str,
                "filter sparse:oid=1234",
                "0000",
            ],
            vec![&format!("want {A}") as &str, "0000", "have zz"],
            vec![&format!("want {A}") as &str, "0000", "want {A}"],
            vec!["0000"],
            vec![&format!("want {A} object-format=sha256") as &str, "0000"],
        ] {
            let input = build(&lines);
            assert!(
                parse_v0_request(&mut PktReader::new(&input[..])).is_err(),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn v2_fetch_and_ls_refs() {
        let input = build(&[
            "command=fetch",
            "agent=git/2.47.3",
            "object-format=sha1",
            "0001",
            "thin-pack",
            "ofs-delta",
            &format!("want {A}"),
            &format!("have {B}"),
            "deepen-since 1700000000",
            "deepen-not refs/heads/old",
            "filter tree:0",
            "wait-for-done",
            "done",
            "0000",
        ]);
        let V2Request::Fetch(f) = parse_v2_request(&mut PktReader::new(&input[..])).unwrap() else {
            panic!("not a fetch")
        };
        assert!(f.done && f.thin_pack && f.ofs_delta && f.wait_for_done);
        assert_eq!(f.deepen.since, Some(1_700_000_000));
        assert_eq!(f.deepen.not, vec!["refs/heads/old".to_owned()]);
        assert_eq!(f.filter, Some(Filter::TreeDepth(0)));

        let input = build(&[
            "command=ls-refs",
            "0001",
            "peel",
            "symrefs",
            "unborn",
            "ref-prefix refs/heads/",
            "0000",
        ]);
        let V2Request::LsRefs(l) = parse_v2_request(&mut PktReader::new(&input[..])).unwrap()
        else {
            panic!("not ls-refs")
        };
        assert!(l.peel && l.symrefs && l.unborn);
        assert_eq!(l.prefixes, vec!["refs/heads/".to_owned()]);

        let input = build(&["command=ls-refs", "0000"]);
        assert_eq!(
            parse_v2_request(&mut PktReader::new(&input[..])).unwrap(),
            V2Request::LsRefs(LsRefsArgs::default())
        );
        assert_eq!(
            parse_v2_request(&mut PktReader::new(&b"0000"[..])).unwrap(),
            V2Request::Empty
        );
        assert_eq!(
            parse_v2_request(&mut PktReader::new(&b""[..])).unwrap(),
            V2Request::Empty
        );
    }

    #[test]
    fn v2_rejects_unknown() {
        for lines in [
            vec!["command=frobnicate", "0000"],
            vec!["command=fetch", "0001", "want-ref refs/heads/main", "0000"],
            vec!["command=fetch", "frob=1", "0000"],
            vec!["command=ls-refs", "0001", "peel", "extra", "0000"],
            vec!["command=fetch", "0001", "want 123", "0000"],
            vec!["command=fetch", "0001"],
            vec!["nocommand"],
            vec!["command=fetch", "object-format=sha256", "0000"],
        ] {
            let input = build(&lines);
            assert!(
                parse_v2_request(&mut PktReader::new(&input[..])).is_err(),
                "{lines:?}"
            );
        }
    }

    #[test]
    fn push_commands() {
        let mut input = Vec::new();
        crate::pktline::write_data(
            &mut input,
            format!("{} {A} refs/heads/main\0report-status side-band-64k atomic push-options agent=git/2.47.3\n", Oid::ZERO).as_bytes(),
        )
        .unwrap();
        write_line(&mut input, &format!("{A} {} refs/heads/old", Oid::ZERO)).unwrap();
        write_flush(&mut input).unwrap();
        write_line(&mut input, "ci.skip").unwrap();
        write_flush(&mut input).unwrap();
        input.extend_from_slice(b"PACK...");
        let mut reader = PktReader::new(&input[..]);
        let req = parse_push_request(&mut reader).unwrap();
        assert_eq!(req.commands.len(), 2);
        assert_eq!(req.commands[0].old, None);
        assert_eq!(req.commands[1].new, None);
        assert!(req.caps.report_status && req.caps.side_band_64k && req.caps.atomic);
        assert_eq!(req.push_options, vec!["ci.skip".to_owned()]);
        let mut rest = Vec::new();
        reader.inner_mut().read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"PACK...");
    }

    #[test]
    fn push_rejects_garbage() {
        for lines in [
            vec!["garbage", "0000"],
            vec![&format!("{A} {B}") as &str, "0000"],
            vec![&format!("{A} zz refs/heads/x") as &str, "0000"],
            vec!["0000"],
        ] {
            let input = build(&lines);
            assert!(
                parse_push_request(&mut PktReader::new(&input[..])).is_err(),
                "{lines:?}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse_v0_request(&mut PktReader::new(&data[..]));
            let _ = parse_v2_request(&mut PktReader::new(&data[..]));
            let _ = parse_push_request(&mut PktReader::new(&data[..]));
        }

        #[test]
        fn structured_lines_never_panic(lines in proptest::collection::vec("[a-z =\\-0-9:.]{0,60}", 0..12)) {
            let mut input = Vec::new();
            for l in &lines {
                if l == "0" { write_flush(&mut input).unwrap(); } else { write_line(&mut input, l).unwrap(); }
            }
            write_flush(&mut input).unwrap();
            let _ = parse_v0_request(&mut PktReader::new(&input[..]));
            let _ = parse_v2_request(&mut PktReader::new(&input[..]));
            let _ = parse_push_request(&mut PktReader::new(&input[..]));
        }
    }
}
