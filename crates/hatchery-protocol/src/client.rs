//! The client side of git's smart-HTTP protocol, as bytes: what Hatchery sends to another
//! server and how it reads the answers when it fetches (pull mirrors, imports) or pushes
//! (push mirrors). No HTTP here either: `hatchery-service` carries these bytes.
//!
//! Fetching speaks protocol v2 (`ls-refs`, then one `fetch` with every want, the local tips
//! as haves and `done`) and falls back to v0's stateless negotiation when the server
//! answers the advertisement in v0. Pushing is always v0 (receive-pack has no v2).
//!
//! Everything read from the remote is untrusted: malformed input is a [`ClientError`],
//! never a panic.

use std::io::{self, Read};

use hatchery_git::Oid;

use crate::ProtocolError;
use crate::pktline::{Packet, PktReader, write_data, write_delim, write_flush, write_line};

/// Why a remote's answer could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The answer does not follow the protocol.
    #[error("the remote's answer is malformed: {0}")]
    Malformed(String),
    /// The remote said what went wrong (`ERR` packet or side-band 3).
    #[error("the remote reported an error: {0}")]
    Remote(String),
    /// The remote uses something this client does not support (SHA-256, dumb HTTP).
    #[error("unsupported remote: {0}")]
    Unsupported(String),
    /// Reading the answer failed.
    #[error("reading the remote's answer failed: {0}")]
    Io(#[from] io::Error),
}

impl From<ProtocolError> for ClientError {
    fn from(e: ProtocolError) -> ClientError {
        match e {
            ProtocolError::Io(e) => ClientError::Io(e),
            other => ClientError::Malformed(other.to_string()),
        }
    }
}

fn malformed(what: impl Into<String>) -> ClientError {
    ClientError::Malformed(what.into())
}

/// A ref as the remote advertised it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRef {
    /// Full name (`refs/heads/main`, or `HEAD`).
    pub name: String,
    /// The object it points at (for an annotated tag: the tag object).
    pub oid: Oid,
    /// For annotated tags, when the remote said: the object the tag chain ends at.
    pub peeled: Option<Oid>,
    /// For a symbolic ref (`HEAD`): the ref it points to.
    pub symref_target: Option<String>,
}

/// The answer to `GET info/refs?service=...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advertisement {
    /// Protocol v2: capabilities only; refs come from `ls-refs`.
    V2 {
        /// Capability lines (`agent=...`, `ls-refs=unborn`, `fetch=shallow filter`, ...).
        capabilities: Vec<String>,
    },
    /// Protocol v0/v1: the refs with the capabilities of the first line.
    V0 {
        /// The refs, `HEAD` included when advertised (with its symref target when the
        /// `symref=HEAD:...` capability names it).
        refs: Vec<RemoteRef>,
        /// Capabilities (`report-status`, `side-band-64k`, `agent=...`, ...).
        capabilities: Vec<String>,
    },
}

impl Advertisement {
    /// The capabilities, whatever the version.
    pub fn capabilities(&self) -> &[String] {
        match self {
            Advertisement::V2 { capabilities } | Advertisement::V0 { capabilities, .. } => {
                capabilities
            }
        }
    }

    /// Whether a capability is advertised, alone or as `name=value`.
    pub fn has(&self, name: &str) -> bool {
        has_capability(self.capabilities(), name)
    }

    /// Checks the object format: SHA-1 only.
    fn check_format(&self) -> Result<(), ClientError> {
        match capability_value(self.capabilities(), "object-format") {
            None | Some("sha1") => Ok(()),
            Some(other) => Err(ClientError::Unsupported(format!(
                "the remote's repository uses the {other} object format; only sha1 is supported"
            ))),
        }
    }
}

fn has_capability(caps: &[String], name: &str) -> bool {
    caps.iter()
        .any(|c| c == name || c.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
}

fn capability_value<'a>(caps: &'a [String], name: &str) -> Option<&'a str> {
    caps.iter()
        .find_map(|c| c.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

fn text(line: &[u8]) -> Result<&str, ClientError> {
    std::str::from_utf8(line).map_err(|_| malformed("a line is not UTF-8"))
}

fn oid(hex: &str) -> Result<Oid, ClientError> {
    Oid::from_hex(hex.as_bytes()).map_err(|_| malformed(format!("{hex:?} is not an object id")))
}

fn err_packet(line: &[u8]) -> Option<ClientError> {
    line.strip_prefix(b"ERR ")
        .map(|m| ClientError::Remote(String::from_utf8_lossy(m).trim().to_owned()))
}

/// Parses the body of `GET info/refs?service=git-upload-pack|git-receive-pack`: the
/// optional `# service=...` preamble and its flush, then a v2 capability list or a v0/v1
/// ref advertisement.
pub fn parse_advertisement(body: &[u8]) -> Result<Advertisement, ClientError> {
    let mut r = PktReader::new(body);
    let mut first = next_line(&mut r)?;
    if first
        .as_deref()
        .is_some_and(|l| l.starts_with(b"# service="))
    {
        match r.read_packet()? {
            Some(Packet::Flush) => {}
            _ => return Err(malformed("no flush after the service line")),
        }
        first = next_line(&mut r)?;
    }
    if first.as_deref() == Some(b"version 1") {
        first = next_line(&mut r)?;
    }
    let Some(first) = first else {
        return Err(malformed("the advertisement is empty"));
    };
    if let Some(e) = err_packet(&first) {
        return Err(e);
    }
    let adv = if first == b"version 2" {
        let mut capabilities = Vec::new();
        while let Some(line) = next_line(&mut r)? {
            capabilities.push(text(&line)?.to_owned());
        }
        Advertisement::V2 { capabilities }
    } else {
        parse_v0_refs(first, &mut r)?
    };
    adv.check_format()?;
    Ok(adv)
}

/// The next data line (without its `\n`), `None` at a flush or the end.
fn next_line(r: &mut PktReader<&[u8]>) -> Result<Option<Vec<u8>>, ClientError> {
    match r.read_packet()? {
        Some(p @ Packet::Data(_)) => Ok(Some(p.line().unwrap_or_default().to_vec())),
        Some(Packet::Flush) | None => Ok(None),
        Some(Packet::Delim) | Some(Packet::ResponseEnd) => {
            Err(malformed("unexpected delimiter packet"))
        }
    }
}

fn parse_v0_refs(first: Vec<u8>, r: &mut PktReader<&[u8]>) -> Result<Advertisement, ClientError> {
    let (first_ref, caps) = match first.iter().position(|&b| b == 0) {
        Some(i) => (&first[..i], &first[i + 1..]),
        None => {
            return Err(malformed(
                "the first advertised ref carries no capabilities",
            ));
        }
    };
    let capabilities: Vec<String> = text(caps)?
        .split(' ')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    let head_target = capabilities
        .iter()
        .find_map(|c| c.strip_prefix("symref=HEAD:"))
        .map(str::to_owned);
    let mut refs: Vec<RemoteRef> = Vec::new();
    let mut line = Some(first_ref.to_vec());
    while let Some(l) = line {
        let l = text(&l)?;
        let (hex, name) = l
            .split_once(' ')
            .ok_or_else(|| malformed(format!("advertised ref {l:?} has no name")))?;
        let id = oid(hex)?;
        if name == "capabilities^{}" {
            if !id.is_zero() {
                return Err(malformed("capabilities^{} with an object id"));
            }
        } else if let Some(base) = name.strip_suffix("^{}") {
            match refs.last_mut() {
                Some(prev) if prev.name == base => prev.peeled = Some(id),
                _ => return Err(malformed(format!("peeled {name} without its ref"))),
            }
        } else {
            refs.push(RemoteRef {
                name: name.to_owned(),
                oid: id,
                peeled: None,
                symref_target: (name == "HEAD").then(|| head_target.clone()).flatten(),
            });
        }
        line = next_line(r)?;
    }
    Ok(Advertisement::V0 { refs, capabilities })
}

/// The client's own lines for a v2 command: `command=`, `agent=` and, when the server
/// advertised it, `object-format=sha1`.
fn command_header(out: &mut Vec<u8>, command: &str, adv_caps: &[String]) -> io::Result<()> {
    write_line(out, &format!("command={command}"))?;
    write_line(out, &format!("agent={}", hatchery_git::agent()))?;
    if has_capability(adv_caps, "object-format") {
        write_line(out, "object-format=sha1")?;
    }
    Ok(())
}

/// The v2 `ls-refs` request: peeled tags, symrefs, and only refs under `prefixes`.
pub fn ls_refs_request(capabilities: &[String], prefixes: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec only fails for oversized lines, which these are not.
    let _ = (|| -> io::Result<()> {
        command_header(&mut out, "ls-refs", capabilities)?;
        write_delim(&mut out)?;
        write_line(&mut out, "peel")?;
        write_line(&mut out, "symrefs")?;
        for p in prefixes {
            write_line(&mut out, &format!("ref-prefix {p}"))?;
        }
        write_flush(&mut out)
    })();
    out
}

/// Parses the answer to `ls-refs`: `<oid> <name>[ symref-target:<ref>][ peeled:<oid>]`
/// lines up to a flush; `unborn` entries are skipped.
pub fn parse_ls_refs(body: &[u8]) -> Result<Vec<RemoteRef>, ClientError> {
    let mut r = PktReader::new(body);
    let mut refs = Vec::new();
    loop {
        let line = match r.read_packet()? {
            Some(p @ Packet::Data(_)) => p.line().unwrap_or_default().to_vec(),
            Some(Packet::Flush) => return Ok(refs),
            Some(_) => return Err(malformed("unexpected delimiter in the ls-refs answer")),
            None => return Err(malformed("the ls-refs answer ends without a flush")),
        };
        if let Some(e) = err_packet(&line) {
            return Err(e);
        }
        let line = text(&line)?;
        let mut parts = line.split(' ');
        let (Some(hex), Some(name)) = (parts.next(), parts.next()) else {
            return Err(malformed(format!("ls-refs line {line:?} has no name")));
        };
        if hex == "unborn" {
            continue;
        }
        let mut entry = RemoteRef {
            name: name.to_owned(),
            oid: oid(hex)?,
            peeled: None,
            symref_target: None,
        };
        for attr in parts {
            if let Some(t) = attr.strip_prefix("symref-target:") {
                entry.symref_target = Some(t.to_owned());
            } else if let Some(p) = attr.strip_prefix("peeled:") {
                entry.peeled = Some(oid(p)?);
            }
        }
        refs.push(entry);
    }
}

/// The v2 `fetch` request of a stateless client: every want, the haves, and `done`, so
/// the server answers with the pack at once (thin, offset deltas, no progress).
pub fn fetch_request(capabilities: &[String], wants: &[Oid], haves: &[Oid]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = (|| -> io::Result<()> {
        command_header(&mut out, "fetch", capabilities)?;
        write_delim(&mut out)?;
        write_line(&mut out, "thin-pack")?;
        write_line(&mut out, "ofs-delta")?;
        write_line(&mut out, "no-progress")?;
        for w in wants {
            write_line(&mut out, &format!("want {w}"))?;
        }
        for h in haves {
            write_line(&mut out, &format!("have {h}"))?;
        }
        write_line(&mut out, "done")?;
        write_flush(&mut out)
    })();
    out
}

/// The v0 stateless fetch request (`POST git-upload-pack` without `Git-Protocol`): wants
/// with the capabilities this client uses that the server advertised, then haves and
/// `done`.
pub fn fetch_request_v0(capabilities: &[String], wants: &[Oid], haves: &[Oid]) -> Vec<u8> {
    let mut caps = Vec::new();
    for c in ["side-band-64k", "thin-pack", "ofs-delta", "no-progress"] {
        if has_capability(capabilities, c) {
            caps.push(c.to_owned());
        }
    }
    if !has_capability(capabilities, "side-band-64k") && has_capability(capabilities, "side-band") {
        caps.insert(0, "side-band".to_owned());
    }
    caps.push(format!("agent={}", hatchery_git::agent()));
    let mut out = Vec::new();
    let _ = (|| -> io::Result<()> {
        for (i, w) in wants.iter().enumerate() {
            if i == 0 {
                write_line(&mut out, &format!("want {w} {}", caps.join(" ")))?;
            } else {
                write_line(&mut out, &format!("want {w}"))?;
            }
        }
        write_flush(&mut out)?;
        for h in haves {
            write_line(&mut out, &format!("have {h}"))?;
        }
        write_line(&mut out, "done")
    })();
    out
}

/// Whether a v0 fetch answer is multiplexed (the server advertised side-band).
pub fn v0_uses_sideband(capabilities: &[String]) -> bool {
    has_capability(capabilities, "side-band-64k") || has_capability(capabilities, "side-band")
}

/// Reads the answer to a v2 `fetch` up to its `packfile` section and returns the reader of
/// the pack inside it (side-band demultiplexed).
pub fn read_fetch_response<R: Read>(input: R) -> Result<SidebandReader<R>, ClientError> {
    let mut r = PktReader::new(input);
    loop {
        let line = match r.read_packet()? {
            Some(p @ Packet::Data(_)) => p.line().unwrap_or_default().to_vec(),
            Some(Packet::Delim) => continue,
            Some(Packet::Flush) | Some(Packet::ResponseEnd) | None => {
                return Err(malformed("the fetch answer has no packfile section"));
            }
        };
        if let Some(e) = err_packet(&line) {
            return Err(e);
        }
        match line.as_slice() {
            b"packfile" => return Ok(SidebandReader::new(r)),
            b"acknowledgments" | b"shallow-info" | b"wanted-refs" => {
                // Sections this client does not need: skip to the next delimiter.
                loop {
                    match r.read_packet()? {
                        Some(Packet::Data(d)) => {
                            if let Some(e) = err_packet(d) {
                                return Err(e);
                            }
                        }
                        Some(Packet::Delim) => break,
                        Some(Packet::Flush) => {
                            return Err(malformed("the fetch answer ended before the pack"));
                        }
                        _ => return Err(malformed("the fetch answer ends inside a section")),
                    }
                }
            }
            other => {
                return Err(malformed(format!(
                    "unexpected section {:?} in the fetch answer",
                    String::from_utf8_lossy(other)
                )));
            }
        }
    }
}

/// Reads the answer to a v0 stateless fetch: `NAK`/`ACK` lines, then the pack,
/// multiplexed when `sideband`, else raw.
pub fn read_fetch_response_v0<R: Read>(
    input: R,
    sideband: bool,
) -> Result<PackStream<R>, ClientError> {
    let mut r = PktReader::new(input);
    loop {
        let line = match r.read_packet()? {
            Some(p @ Packet::Data(_)) => p.line().unwrap_or_default().to_vec(),
            Some(_) => continue,
            None => return Err(malformed("the fetch answer ended before the pack")),
        };
        if let Some(e) = err_packet(&line) {
            return Err(e);
        }
        if line == b"NAK" || line.starts_with(b"ACK ") || line.starts_with(b"shallow ") {
            // Without multi_ack, one ACK or NAK comes before the pack.
            if line == b"NAK" || !line.ends_with(b"continue") {
                break;
            }
            continue;
        }
        return Err(malformed(format!(
            "unexpected line {:?} before the pack",
            String::from_utf8_lossy(&line)
        )));
    }
    Ok(if sideband {
        PackStream::Sideband(SidebandReader::new(r))
    } else {
        PackStream::Raw(r.into_inner())
    })
}

/// The pack of a v0 answer: multiplexed or not.
pub enum PackStream<R> {
    /// Side-band band 1.
    Sideband(SidebandReader<R>),
    /// The rest of the answer is the pack.
    Raw(R),
}

impl<R: Read> Read for PackStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            PackStream::Sideband(s) => s.read(buf),
            PackStream::Raw(r) => r.read(buf),
        }
    }
}

impl<R> PackStream<R> {
    /// What the remote said went wrong on band 3, if it did.
    pub fn remote_error(&self) -> Option<&str> {
        match self {
            PackStream::Sideband(s) => s.remote_error(),
            PackStream::Raw(_) => None,
        }
    }
}

/// Band 1 of a side-band stream as a plain reader; band 2 (progress) is dropped but its
/// last line kept for error messages, band 3 ends reading with the remote's message.
pub struct SidebandReader<R> {
    inner: PktReader<R>,
    buf: Vec<u8>,
    pos: usize,
    finished: bool,
    remote_error: Option<String>,
    last_progress: String,
}

impl<R: Read> SidebandReader<R> {
    fn new(inner: PktReader<R>) -> Self {
        SidebandReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            finished: false,
            remote_error: None,
            last_progress: String::new(),
        }
    }
}

impl<R> SidebandReader<R> {
    /// What the remote said went wrong on band 3, if it did.
    pub fn remote_error(&self) -> Option<&str> {
        self.remote_error.as_deref()
    }

    /// The last progress message (band 2) the remote sent.
    pub fn last_progress(&self) -> &str {
        &self.last_progress
    }
}

impl<R: Read> Read for SidebandReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.buf.len() {
                let n = out.len().min(self.buf.len() - self.pos);
                out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.finished || out.is_empty() {
                return Ok(0);
            }
            let packet = self
                .inner
                .read_packet()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let data = match packet {
                Some(Packet::Data(d)) => d,
                Some(Packet::Flush) | Some(Packet::ResponseEnd) => {
                    self.finished = true;
                    return Ok(0);
                }
                Some(Packet::Delim) => continue,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the remote's answer ended in the middle of the pack",
                    ));
                }
            };
            let Some((&band, payload)) = data.split_first() else {
                continue;
            };
            match band {
                1 => {
                    self.buf.clear();
                    self.buf.extend_from_slice(payload);
                    self.pos = 0;
                }
                2 => {
                    let t = String::from_utf8_lossy(payload);
                    if let Some(last) = t.split(['\n', '\r']).rev().find(|l| !l.trim().is_empty()) {
                        self.last_progress = last.chars().take(200).collect();
                    }
                }
                3 => {
                    let message = String::from_utf8_lossy(payload).trim().to_owned();
                    self.remote_error = Some(message.clone());
                    self.finished = true;
                    return Err(io::Error::other(format!("the remote reported: {message}")));
                }
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unknown side-band {other}"),
                    ));
                }
            }
        }
    }
}

/// One ref change a push asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCommand {
    /// Full ref name.
    pub name: String,
    /// What the remote has now (`None`: absent).
    pub old: Option<Oid>,
    /// What it should have (`None`: delete).
    pub new: Option<Oid>,
}

/// The commands of a push (receive-pack request up to the pack): the first line carries
/// `report-status`, `side-band-64k` when `sideband`, and the agent. The caller appends the
/// pack when any command creates or updates a ref.
pub fn push_request(commands: &[PushCommand], sideband: bool) -> Vec<u8> {
    let mut caps = vec!["report-status".to_owned()];
    if sideband {
        caps.push("side-band-64k".to_owned());
    }
    caps.push(format!("agent={}", hatchery_git::agent()));
    let caps = caps.join(" ");
    let mut out = Vec::new();
    let _ = (|| -> io::Result<()> {
        for (i, c) in commands.iter().enumerate() {
            let line = format!(
                "{} {} {}",
                c.old.unwrap_or(Oid::ZERO),
                c.new.unwrap_or(Oid::ZERO),
                c.name
            );
            if i == 0 {
                write_data(&mut out, format!("{line}\0{caps}\n").as_bytes())?;
            } else {
                write_line(&mut out, &line)?;
            }
        }
        write_flush(&mut out)
    })();
    out
}

/// The remote's report on a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportStatus {
    /// `unpack ok`, or why the pack was not accepted.
    pub unpack: Result<(), String>,
    /// Each ref's outcome: `ok`, or `ng` with the reason.
    pub refs: Vec<(String, Result<(), String>)>,
}

/// Parses the answer to a push with `report-status` (demultiplexing side-band first when
/// it was asked for).
pub fn parse_report_status(body: &[u8], sideband: bool) -> Result<ReportStatus, ClientError> {
    let inner;
    let status: &[u8] = if sideband {
        let mut reader = SidebandReader::new(PktReader::new(body));
        let mut data = Vec::new();
        if let Err(e) = reader.read_to_end(&mut data) {
            return Err(match reader.remote_error() {
                Some(m) => ClientError::Remote(m.to_owned()),
                None => malformed(format!("the push answer: {e}")),
            });
        }
        inner = data;
        &inner
    } else {
        body
    };
    let mut r = PktReader::new(status);
    let mut unpack = None;
    let mut refs = Vec::new();
    loop {
        let line = match r.read_packet()? {
            Some(p @ Packet::Data(_)) => p.line().unwrap_or_default().to_vec(),
            Some(Packet::Flush) => break,
            Some(_) => return Err(malformed("unexpected delimiter in the push report")),
            None if unpack.is_some() => break,
            None => return Err(malformed("the remote sent no report on the push")),
        };
        if let Some(e) = err_packet(&line) {
            return Err(e);
        }
        let line = text(&line)?;
        if let Some(rest) = line.strip_prefix("unpack ") {
            unpack = Some(if rest == "ok" {
                Ok(())
            } else {
                Err(rest.to_owned())
            });
        } else if let Some(name) = line.strip_prefix("ok ") {
            refs.push((name.to_owned(), Ok(())));
        } else if let Some(rest) = line.strip_prefix("ng ") {
            let (name, reason) = rest.split_once(' ').unwrap_or((rest, "rejected"));
            refs.push((name.to_owned(), Err(reason.to_owned())));
        } else if line.starts_with("option ") {
            // report-status-v2 detail; not asked for, harmless.
        } else {
            return Err(malformed(format!(
                "unexpected line {line:?} in the push report"
            )));
        }
    }
    let unpack = unpack.ok_or_else(|| malformed("the push report has no unpack line"))?;
    Ok(ReportStatus { unpack, refs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(lines: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for l in lines {
            match *l {
                b"0000" => write_flush(&mut out).unwrap(),
                b"0001" => write_delim(&mut out).unwrap(),
                d => write_data(&mut out, d).unwrap(),
            }
        }
        out
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    fn id(s: &str) -> Oid {
        s.parse().unwrap()
    }

    #[test]
    fn v2_advertisement_with_and_without_preamble() {
        let with = pkt(&[
            b"# service=git-upload-pack\n",
            b"0000",
            b"version 2\n",
            b"agent=git/2.45\n",
            b"ls-refs=unborn\n",
            b"fetch=shallow\n",
            b"object-format=sha1\n",
            b"0000",
        ]);
        let without = with[34..].to_vec();
        for body in [with, without] {
            let adv = parse_advertisement(&body).unwrap();
            assert!(matches!(adv, Advertisement::V2 { .. }));
            assert!(adv.has("fetch"));
            assert!(adv.has("ls-refs"));
            assert!(!adv.has("ls"));
        }
    }

    #[test]
    fn v0_advertisement_with_peeled_tags_and_head() {
        let first = format!(
            "{A} HEAD\0multi_ack side-band-64k ofs-delta symref=HEAD:refs/heads/main agent=x\n"
        );
        let body = pkt(&[
            b"# service=git-upload-pack\n",
            b"0000",
            first.as_bytes(),
            format!("{A} refs/heads/main\n").as_bytes(),
            format!("{B} refs/tags/v1\n").as_bytes(),
            format!("{A} refs/tags/v1^{{}}\n").as_bytes(),
            b"0000",
        ]);
        let Advertisement::V0 { refs, capabilities } = parse_advertisement(&body).unwrap() else {
            panic!("v0 expected");
        };
        assert!(has_capability(&capabilities, "side-band-64k"));
        assert_eq!(refs.len(), 3);
        assert_eq!(refs[0].symref_target.as_deref(), Some("refs/heads/main"));
        assert_eq!(refs[2].peeled, Some(id(A)));
        assert_eq!(refs[2].oid, id(B));
    }

    #[test]
    fn empty_receive_pack_advertisement() {
        let first =
            "0000000000000000000000000000000000000000 capabilities^{}\0report-status delete-refs\n";
        let body = pkt(&[
            b"# service=git-receive-pack\n",
            b"0000",
            first.as_bytes(),
            b"0000",
        ]);
        let adv = parse_advertisement(&body).unwrap();
        assert!(adv.has("delete-refs"));
        assert_eq!(
            adv,
            Advertisement::V0 {
                refs: vec![],
                capabilities: vec!["report-status".into(), "delete-refs".into()]
            }
        );
    }

    #[test]
    fn bad_advertisements_are_errors() {
        let sha256 = pkt(&[b"version 2\n", b"object-format=sha256\n", b"0000"]);
        assert!(matches!(
            parse_advertisement(&sha256),
            Err(ClientError::Unsupported(_))
        ));
        let err = pkt(&[b"ERR access denied\n", b"0000"]);
        match parse_advertisement(&err) {
            Err(ClientError::Remote(m)) => assert_eq!(m, "access denied"),
            other => panic!("{other:?}"),
        }
        for bad in [
            &b""[..],
            b"<html>not git</html>",
            b"0000",
            &pkt(&[format!("{A} refs/heads/main\n").as_bytes(), b"0000"]),
            &pkt(&[b"zz refs/heads/main\0caps\n", b"0000"]),
            &pkt(&[format!("{A} refs/tags/x^{{}}\0caps\n").as_bytes(), b"0000"]),
        ] {
            assert!(parse_advertisement(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ls_refs_request_and_answer() {
        let caps = vec!["object-format=sha1".to_owned()];
        let req = ls_refs_request(&caps, &["refs/heads/", "HEAD"]);
        let text = String::from_utf8(req).unwrap();
        assert!(text.starts_with("0014command=ls-refs\n"));
        assert!(text.contains("object-format=sha1\n0001"));
        assert!(text.contains("001bref-prefix refs/heads/\n"));
        assert!(text.ends_with("0000"));
        let body = pkt(&[
            format!("{A} HEAD symref-target:refs/heads/main\n").as_bytes(),
            format!("{A} refs/heads/main\n").as_bytes(),
            format!("{B} refs/tags/v1 peeled:{A}\n").as_bytes(),
            b"unborn refs/heads/x\n",
            b"0000",
        ]);
        let refs = parse_ls_refs(&body).unwrap();
        assert_eq!(refs.len(), 3);
        assert_eq!(refs[0].symref_target.as_deref(), Some("refs/heads/main"));
        assert_eq!(refs[2].peeled, Some(id(A)));
        assert!(parse_ls_refs(&pkt(&[format!("{A}\n").as_bytes(), b"0000"])).is_err());
        assert!(parse_ls_refs(&pkt(&[format!("{A} refs/x\n").as_bytes()])).is_err());
    }

    #[test]
    fn fetch_requests() {
        let v2 = String::from_utf8(fetch_request(&[], &[id(A)], &[id(B)])).unwrap();
        assert!(v2.starts_with("0012command=fetch\n"));
        assert!(v2.contains(&format!("0032want {A}\n0032have {B}\n0009done\n0000")));
        let caps: Vec<String> = ["side-band-64k", "ofs-delta", "multi_ack"]
            .map(String::from)
            .to_vec();
        let v0 = String::from_utf8(fetch_request_v0(&caps, &[id(A), id(B)], &[])).unwrap();
        assert!(v0.contains(&format!("want {A} side-band-64k ofs-delta agent=")));
        assert!(v0.contains(&format!("0032want {B}\n00000009done\n")));
        assert!(!v0.contains("multi_ack"));
    }

    fn band(n: u8, data: &[u8]) -> Vec<u8> {
        let mut d = vec![n];
        d.extend_from_slice(data);
        d
    }

    #[test]
    fn fetch_answer_sections_and_sideband() {
        let body = pkt(&[
            b"shallow-info\n",
            b"shallow 1111111111111111111111111111111111111111\n",
            b"0001",
            b"packfile\n",
            &band(2, b"Counting objects\r"),
            &band(1, b"PACK"),
            &band(1, b"data"),
            b"0000",
        ]);
        let mut r = read_fetch_response(&body[..]).unwrap();
        let mut pack = Vec::new();
        r.read_to_end(&mut pack).unwrap();
        assert_eq!(pack, b"PACKdata");
        assert_eq!(r.last_progress(), "Counting objects");
    }

    #[test]
    fn sideband_error_ends_the_pack() {
        let body = pkt(&[
            b"packfile\n",
            &band(1, b"PA"),
            &band(3, b"upload-pack: out of memory\n"),
        ]);
        let mut r = read_fetch_response(&body[..]).unwrap();
        let mut pack = Vec::new();
        let e = r.read_to_end(&mut pack).unwrap_err();
        assert!(e.to_string().contains("out of memory"), "{e}");
        assert_eq!(r.remote_error(), Some("upload-pack: out of memory"));
        // A cut answer is an error, not an empty pack.
        let cut = pkt(&[b"packfile\n", &band(1, b"PA")]);
        let mut r = read_fetch_response(&cut[..]).unwrap();
        assert!(r.read_to_end(&mut pack).is_err());
        // An unknown band too.
        let odd = pkt(&[b"packfile\n", &band(7, b"x")]);
        let mut r = read_fetch_response(&odd[..]).unwrap();
        assert!(r.read_to_end(&mut pack).is_err());
    }

    #[test]
    fn fetch_answer_errors() {
        for bad in [
            pkt(&[b"ERR not our ref\n"]),
            pkt(&[b"0000"]),
            pkt(&[b"bogus\n"]),
            pkt(&[b"acknowledgments\n", b"NAK\n", b"0000"]),
            b"zzzz".to_vec(),
        ] {
            assert!(read_fetch_response(&bad[..]).is_err());
        }
        match read_fetch_response(&pkt(&[b"ERR not our ref\n"])[..]) {
            Err(ClientError::Remote(m)) => assert_eq!(m, "not our ref"),
            _ => panic!("remote error expected"),
        }
    }

    #[test]
    fn v0_fetch_answer() {
        let body = pkt(&[b"NAK\n", &band(1, b"PACKx"), b"0000"]);
        let mut r = read_fetch_response_v0(&body[..], true).unwrap();
        let mut pack = Vec::new();
        r.read_to_end(&mut pack).unwrap();
        assert_eq!(pack, b"PACKx");
        let mut raw = pkt(&[format!("ACK {A}\n").as_bytes()]);
        raw.extend_from_slice(b"PACKraw");
        let mut r = read_fetch_response_v0(&raw[..], false).unwrap();
        pack.clear();
        r.read_to_end(&mut pack).unwrap();
        assert_eq!(pack, b"PACKraw");
    }

    #[test]
    fn push_request_and_report() {
        let cmds = [
            PushCommand {
                name: "refs/heads/main".into(),
                old: Some(id(A)),
                new: Some(id(B)),
            },
            PushCommand {
                name: "refs/heads/gone".into(),
                old: Some(id(A)),
                new: None,
            },
        ];
        let req = String::from_utf8(push_request(&cmds, true)).unwrap();
        assert!(req.contains(&format!(
            "{A} {B} refs/heads/main\0report-status side-band-64k agent="
        )));
        assert!(req.contains(&format!(
            "{A} 0000000000000000000000000000000000000000 refs/heads/gone\n0000"
        )));
        let plain = pkt(&[
            b"unpack ok\n",
            b"ok refs/heads/main\n",
            b"ng refs/heads/gone protected branch\n",
            b"0000",
        ]);
        let want = ReportStatus {
            unpack: Ok(()),
            refs: vec![
                ("refs/heads/main".into(), Ok(())),
                ("refs/heads/gone".into(), Err("protected branch".into())),
            ],
        };
        assert_eq!(parse_report_status(&plain, false).unwrap(), want);
        let muxed = pkt(&[&band(2, b"resolving\n"), &band(1, &plain), b"0000"]);
        assert_eq!(parse_report_status(&muxed, true).unwrap(), want);
        let failed = pkt(&[b"unpack index-pack abnormal exit\n", b"0000"]);
        assert_eq!(
            parse_report_status(&failed, false).unwrap().unpack,
            Err("index-pack abnormal exit".into())
        );
        let fatal = pkt(&[&band(3, b"pre-receive hook declined\n")]);
        match parse_report_status(&fatal, true) {
            Err(ClientError::Remote(m)) => assert_eq!(m, "pre-receive hook declined"),
            other => panic!("{other:?}"),
        }
        for bad in [
            pkt(&[b"0000"]),
            pkt(&[b"what\n", b"0000"]),
            Vec::new(),
            b"<html>".to_vec(),
        ] {
            assert!(parse_report_status(&bad, false).is_err());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse_advertisement(&data);
            let _ = parse_ls_refs(&data);
            let _ = parse_report_status(&data, true);
            let _ = parse_report_status(&data, false);
            if let Ok(mut r) = read_fetch_response(&data[..]) {
                let _ = r.read_to_end(&mut Vec::new());
            }
            if let Ok(mut r) = read_fetch_response_v0(&data[..], true) {
                let _ = r.read_to_end(&mut Vec::new());
            }
        }
    }
}
