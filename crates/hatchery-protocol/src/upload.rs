use std::io::{Read, Write};

use hatchery_git::{
    Negotiation, ObjectKind, Oid, PackOptions, PackStats, Repository, ShallowUpdate,
};

use crate::pktline::{
    MAX_SIDEBAND_64K_DATA, MAX_SIDEBAND_DATA, Multiplexer, PktReader, write_data, write_delim,
    write_err, write_flush, write_line,
};
use crate::request::{
    FetchArgs, LsRefsArgs, V2Request, WantSection, parse_v0_request, parse_v0_wants,
    parse_v2_request,
};
use crate::{ProtocolError, ProtocolVersion};

/// Policy for upload-pack.
#[derive(Debug, Clone, Default)]
pub struct UploadPackOptions {
    /// Accept `want`s of any existing commit, not only those reachable from refs.
    pub allow_any_commit_in_want: bool,
}

/// What an upload-pack request did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadPackOutcome {
    /// The v2 command (`ls-refs`, `fetch`) or `upload-pack` for v0/v1.
    pub command: &'static str,
    /// Statistics of the pack sent, if one was sent.
    pub pack: Option<PackStats>,
    /// Number of common commits found during negotiation.
    pub common: usize,
}

/// Serve one stateless upload-pack request (the body of `POST git-upload-pack`).
///
/// Reads the whole request from `input` (small: wants and haves), then streams the answer
/// to `out`: negotiation lines, then the pack in side-band packets with progress. Errors in
/// the request are answered with an `ERR` packet (or side-band 3 once a pack has started)
/// and returned.
pub fn upload_pack(
    repo: &Repository,
    version: ProtocolVersion,
    input: &mut dyn Read,
    out: &mut dyn Write,
    options: &UploadPackOptions,
) -> Result<UploadPackOutcome, ProtocolError> {
    let mut reader = PktReader::new(input);
    let result = match version {
        ProtocolVersion::V2 => match parse_v2_request(&mut reader) {
            Ok(V2Request::Empty) => Ok(UploadPackOutcome {
                command: "none",
                ..Default::default()
            }),
            Ok(V2Request::LsRefs(args)) => ls_refs(repo, &args, out),
            Ok(V2Request::Fetch(args)) => fetch_v2(repo, &args, out, options),
            Err(e) => Err(e),
        },
        ProtocolVersion::V0 | ProtocolVersion::V1 => upload_v0(repo, &mut reader, out, options),
    };
    report_errors(out, result)
}

fn ls_refs(
    repo: &Repository,
    args: &LsRefsArgs,
    out: &mut dyn Write,
) -> Result<UploadPackOutcome, ProtocolError> {
    let matches = |name: &str| {
        args.prefixes.is_empty() || args.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    };
    if matches("HEAD") {
        match repo.head()? {
            hatchery_git::Head::Branch { name, target } => {
                let mut line = format!("{target} HEAD");
                if args.symrefs {
                    line.push_str(&format!(" symref-target:{name}"));
                }
                write_line(out, &line)?;
            }
            hatchery_git::Head::Detached(target) => write_line(out, &format!("{target} HEAD"))?,
            hatchery_git::Head::Unborn { name } => {
                if args.unborn && args.symrefs {
                    write_line(out, &format!("unborn HEAD symref-target:{name}"))?;
                }
            }
        }
    }
    for r in repo.refs()? {
        if !matches(&r.name) {
            continue;
        }
        let mut line = format!("{} {}", r.target, r.name);
        if args.symrefs
            && let Some(to) = &r.symref_target
        {
            line.push_str(&format!(" symref-target:{to}"));
        }
        if args.peel
            && let Some(p) = r.peeled
        {
            line.push_str(&format!(" peeled:{p}"));
        }
        write_line(out, &line)?;
    }
    write_flush(out)?;
    Ok(UploadPackOutcome {
        command: "ls-refs",
        ..Default::default()
    })
}

/// Refuse wants of objects we do not have, and of commits not reachable from any ref.
fn check_wants(
    repo: &Repository,
    wants: &[Oid],
    options: &UploadPackOptions,
) -> Result<(), ProtocolError> {
    let refs = repo.refs()?;
    let mut tips: Vec<Oid> = Vec::new();
    for r in &refs {
        tips.push(r.target);
        if let Some(p) = r.peeled {
            tips.push(p);
        }
    }
    if let Some(h) = repo.head()?.target() {
        tips.push(h);
    }
    for w in wants {
        if tips.contains(w) {
            continue;
        }
        match repo.object_kind(*w)? {
            None => return Err(ProtocolError::NotOurRef(*w)),
            Some(ObjectKind::Commit) => {
                if !options.allow_any_commit_in_want && !repo.is_reachable_from_any(*w, &tips)? {
                    return Err(ProtocolError::NotOurRef(*w));
                }
            }
            // Trees and blobs are fetched by id by partial clones (like git's v2 server).
            Some(_) => {}
        }
    }
    Ok(())
}

fn git_input_error(e: hatchery_git::Error) -> ProtocolError {
    match e {
        hatchery_git::Error::InvalidInput(m) => ProtocolError::InvalidRequest(m),
        hatchery_git::Error::MissingObject(oid) => ProtocolError::NotOurRef(oid),
        other => ProtocolError::Git(other),
    }
}

struct SendPack<'a> {
    repo: &'a Repository,
    wants: &'a [Oid],
    common: &'a [Oid],
    shallow: &'a ShallowUpdate,
    options: PackOptions,
    /// Side-band packet payload size, or `None` for a raw pack.
    sideband: Option<usize>,
    progress: bool,
}

fn send_pack(s: &SendPack<'_>, out: &mut dyn Write) -> Result<PackStats, ProtocolError> {
    let Some(max) = s.sideband else {
        let plan = match s
            .repo
            .plan_pack(s.wants, s.common, s.shallow, &s.options, &mut ())
        {
            Ok(p) => p,
            Err(e) => {
                let _ = write_err(out, &format!("upload-pack: {e}"));
                return Err(e.into());
            }
        };
        let stats = plan.write(out, &mut ())?;
        return Ok(stats);
    };
    let mux = Multiplexer::new(out, max);
    let planned = s.repo.plan_pack(
        s.wants,
        s.common,
        s.shallow,
        &s.options,
        &mut mux.progress(s.progress),
    );
    let plan = match planned {
        Ok(p) => p,
        Err(e) => {
            let _ = mux.band(3, format!("upload-pack: {e}\n").as_bytes());
            let _ = mux.flush();
            return Err(e.into());
        }
    };
    let mut writer = mux.data_writer();
    let written = plan.write(&mut writer, &mut mux.progress(s.progress));
    match written {
        Ok(stats) => {
            writer.flush()?;
            drop(writer);
            if let Some(e) = mux.take_error() {
                return Err(e.into());
            }
            mux.raw(b"0000")?;
            mux.flush()?;
            Ok(stats)
        }
        Err(e) => {
            let _ = writer.flush();
            drop(writer);
            let _ = mux.band(3, format!("upload-pack: {e}\n").as_bytes());
            let _ = mux.flush();
            Err(e.into())
        }
    }
}

fn upload_v0<R: Read>(
    repo: &Repository,
    reader: &mut PktReader<R>,
    out: &mut dyn Write,
    options: &UploadPackOptions,
) -> Result<UploadPackOutcome, ProtocolError> {
    let req = parse_v0_request(reader)?;
    let mut outcome = UploadPackOutcome {
        command: "upload-pack",
        ..Default::default()
    };
    if req.wants.is_empty() {
        return Ok(outcome);
    }
    check_wants(repo, &req.wants, options)?;
    let shallow = repo
        .shallow_update(&req.wants, &req.shallow, &req.deepen)
        .map_err(git_input_error)?;
    if shallow.send_lines {
        for s in &shallow.shallow {
            write_line(out, &format!("shallow {s}"))?;
        }
        for u in &shallow.unshallow {
            write_line(out, &format!("unshallow {u}"))?;
        }
        write_flush(out)?;
    }
    if !req.done && !req.flushed {
        // The first request of a deepening fetch: only the shallow list is answered.
        return Ok(outcome);
    }
    let caps = &req.caps;
    let detailed = caps.multi_ack_detailed;
    let multi_ack = caps.multi_ack || detailed;
    let mut negotiation = Negotiation::new(repo, &req.wants).map_err(git_input_error)?;
    let mut got_common = false;
    let mut got_other = false;
    let mut sent_ready = false;
    let mut last: Option<Oid> = None;
    for have in &req.haves {
        if negotiation.have(*have)? {
            got_common = true;
            last = Some(*have);
            if detailed {
                write_line(out, &format!("ACK {have} common"))?;
            } else if multi_ack {
                write_line(out, &format!("ACK {have} continue"))?;
            } else if negotiation.common().len() == 1 {
                write_line(out, &format!("ACK {have}"))?;
            }
        } else {
            got_other = true;
            if multi_ack && negotiation.ready()? {
                if detailed {
                    sent_ready = true;
                    write_line(out, &format!("ACK {have} ready"))?;
                } else {
                    write_line(out, &format!("ACK {have} continue"))?;
                }
            }
        }
    }
    outcome.common = negotiation.common().len();
    if req.done {
        match last {
            Some(l) if multi_ack => write_line(out, &format!("ACK {l}"))?,
            Some(_) => {}
            None => write_line(out, "NAK")?,
        }
    } else {
        if detailed && got_common && !got_other && negotiation.ready()? {
            sent_ready = true;
            if let Some(l) = last {
                write_line(out, &format!("ACK {l} ready"))?;
            }
        }
        if negotiation.common().is_empty() || multi_ack {
            write_line(out, "NAK")?;
        }
        if caps.no_done && sent_ready {
            if let Some(l) = last {
                write_line(out, &format!("ACK {l}"))?;
            }
        } else {
            // Stateless: the client sends the next round in a new request.
            return Ok(outcome);
        }
    }
    outcome.pack = Some(send_v0_pack(
        repo,
        &req,
        negotiation.common(),
        &shallow,
        out,
    )?);
    Ok(outcome)
}

/// The pack of a v0/v1 fetch, in side-band packets when the client asked for them.
fn send_v0_pack(
    repo: &Repository,
    req: &crate::request::V0Request,
    common: &[Oid],
    shallow: &ShallowUpdate,
    out: &mut dyn Write,
) -> Result<PackStats, ProtocolError> {
    let caps = &req.caps;
    let sideband = if caps.side_band_64k {
        Some(MAX_SIDEBAND_64K_DATA)
    } else if caps.side_band {
        Some(MAX_SIDEBAND_DATA)
    } else {
        None
    };
    send_pack(
        &SendPack {
            repo,
            wants: &req.wants,
            common,
            shallow,
            options: PackOptions {
                thin_pack: caps.thin_pack,
                ofs_delta: caps.ofs_delta,
                include_tag: caps.include_tag,
                filter: req.filter,
            },
            sideband,
            progress: !caps.no_progress,
        },
        out,
    )
}

/// Serve a whole upload-pack session on a bidirectional stream (SSH): the advertisement
/// for `version`, then, for v2, commands until the client ends with a flush or closes;
/// for v0/v1, git's stateful negotiation (wants, the shallow list, rounds of haves each
/// answered at its flush, `done`) and the pack. Returns the outcome of the last command.
pub fn upload_pack_session(
    repo: &Repository,
    version: ProtocolVersion,
    input: &mut dyn Read,
    out: &mut dyn Write,
    options: &UploadPackOptions,
) -> Result<UploadPackOutcome, ProtocolError> {
    crate::advertise_refs_session(repo, crate::Service::UploadPack, version, out)?;
    let mut reader = PktReader::new(input);
    let result = match version {
        ProtocolVersion::V2 => {
            let mut last = UploadPackOutcome {
                command: "none",
                ..Default::default()
            };
            loop {
                let step = match parse_v2_request(&mut reader) {
                    Ok(V2Request::Empty) => break Ok(last),
                    Ok(V2Request::LsRefs(args)) => ls_refs(repo, &args, out),
                    Ok(V2Request::Fetch(args)) => fetch_v2(repo, &args, out, options),
                    Err(e) => Err(e),
                };
                match step {
                    Ok(o) => {
                        out.flush()?;
                        last = o;
                    }
                    Err(e) => break Err(e),
                }
            }
        }
        ProtocolVersion::V0 | ProtocolVersion::V1 => {
            upload_v0_session(repo, &mut reader, out, options)
        }
    };
    report_errors(out, result)
}

/// Requests the client got wrong are answered with an `ERR` packet.
fn report_errors(
    out: &mut dyn Write,
    result: Result<UploadPackOutcome, ProtocolError>,
) -> Result<UploadPackOutcome, ProtocolError> {
    match result {
        Err(
            e @ (ProtocolError::MalformedPktLine(_)
            | ProtocolError::InvalidRequest(_)
            | ProtocolError::UnknownCommand(_)
            | ProtocolError::NotOurRef(_)),
        ) => {
            let _ = write_err(out, &format!("upload-pack: {e}"));
            let _ = out.flush();
            Err(e)
        }
        other => {
            out.flush()?;
            other
        }
    }
}

/// git's stateful v0 negotiation (`upload-pack.c`, `get_common_commits`), one stream.
fn upload_v0_session<R: Read>(
    repo: &Repository,
    reader: &mut PktReader<R>,
    out: &mut dyn Write,
    options: &UploadPackOptions,
) -> Result<UploadPackOutcome, ProtocolError> {
    let mut outcome = UploadPackOutcome {
        command: "upload-pack",
        ..Default::default()
    };
    let req = match parse_v0_wants(reader)? {
        WantSection::Ended | WantSection::Empty => return Ok(outcome),
        WantSection::Wants(req) => req,
    };
    check_wants(repo, &req.wants, options)?;
    let shallow = repo
        .shallow_update(&req.wants, &req.shallow, &req.deepen)
        .map_err(git_input_error)?;
    // As git does (`receive_needs`): the shallow list and its flush only when the client
    // deepens. A shallow client that fetches without deepening (following a tag, say)
    // reads no list and takes a flush here for a broken negotiation.
    let deepening =
        req.deepen.depth.is_some() || req.deepen.since.is_some() || !req.deepen.not.is_empty();
    if shallow.send_lines || deepening {
        for s in &shallow.shallow {
            write_line(out, &format!("shallow {s}"))?;
        }
        for u in &shallow.unshallow {
            write_line(out, &format!("unshallow {u}"))?;
        }
        write_flush(out)?;
    }
    out.flush()?;
    let caps = req.caps.clone();
    let detailed = caps.multi_ack_detailed;
    let multi_ack = caps.multi_ack || detailed;
    let mut negotiation = Negotiation::new(repo, &req.wants).map_err(git_input_error)?;
    let (mut got_common, mut got_other, mut sent_ready) = (false, false, false);
    let mut last: Option<Oid> = None;
    loop {
        let line = match reader.read_packet()? {
            None => {
                return Err(ProtocolError::InvalidRequest(
                    "the client ended the negotiation before done".into(),
                ));
            }
            Some(crate::pktline::Packet::Flush) => None,
            Some(p @ crate::pktline::Packet::Data(_)) => Some(
                String::from_utf8_lossy(p.line().unwrap_or_default())
                    .trim_end_matches('\n')
                    .to_owned(),
            ),
            Some(_) => {
                return Err(ProtocolError::InvalidRequest(
                    "unexpected delimiter packet in a v0 request".into(),
                ));
            }
        };
        match line {
            None => {
                if detailed && got_common && !got_other && negotiation.ready()? {
                    sent_ready = true;
                    if let Some(l) = last {
                        write_line(out, &format!("ACK {l} ready"))?;
                    }
                }
                if negotiation.common().is_empty() || multi_ack {
                    write_line(out, "NAK")?;
                }
                if caps.no_done && sent_ready {
                    if let Some(l) = last {
                        write_line(out, &format!("ACK {l}"))?;
                    }
                    out.flush()?;
                    break;
                }
                out.flush()?;
                got_common = false;
                got_other = false;
            }
            Some(line) if line == "done" => {
                match last {
                    Some(l) if multi_ack => write_line(out, &format!("ACK {l}"))?,
                    Some(_) => {}
                    None => write_line(out, "NAK")?,
                }
                break;
            }
            Some(line) => {
                let Some(have) = line.strip_prefix("have ") else {
                    return Err(ProtocolError::InvalidRequest(format!(
                        "expected a have line, got {line:?}"
                    )));
                };
                let have: Oid = have.trim().parse().map_err(|_| {
                    ProtocolError::InvalidRequest(format!("invalid object id in have: {have:?}"))
                })?;
                if negotiation.have(have)? {
                    got_common = true;
                    last = Some(have);
                    if detailed {
                        write_line(out, &format!("ACK {have} common"))?;
                    } else if multi_ack {
                        write_line(out, &format!("ACK {have} continue"))?;
                    } else if negotiation.common().len() == 1 {
                        write_line(out, &format!("ACK {have}"))?;
                    }
                } else {
                    got_other = true;
                    if multi_ack && negotiation.ready()? {
                        if detailed {
                            sent_ready = true;
                            write_line(out, &format!("ACK {have} ready"))?;
                        } else {
                            write_line(out, &format!("ACK {have} continue"))?;
                        }
                    }
                }
            }
        }
    }
    outcome.common = negotiation.common().len();
    outcome.pack = Some(send_v0_pack(
        repo,
        &req,
        negotiation.common(),
        &shallow,
        out,
    )?);
    Ok(outcome)
}

/// Writes v2 response lines, multiplexed on band 1 with `sideband-all`.
struct Lines<'a> {
    out: &'a mut dyn Write,
    sideband_all: bool,
}

impl Lines<'_> {
    fn line(&mut self, text: &str) -> std::io::Result<()> {
        if self.sideband_all {
            let mut data = Vec::with_capacity(text.len() + 2);
            data.push(1);
            data.extend_from_slice(text.as_bytes());
            data.push(b'\n');
            write_data(self.out, &data)
        } else {
            write_line(self.out, text)
        }
    }
}

fn fetch_v2(
    repo: &Repository,
    args: &FetchArgs,
    out: &mut dyn Write,
    options: &UploadPackOptions,
) -> Result<UploadPackOutcome, ProtocolError> {
    let mut outcome = UploadPackOutcome {
        command: "fetch",
        ..Default::default()
    };
    if args.wants.is_empty() {
        return Ok(outcome);
    }
    check_wants(repo, &args.wants, options)?;
    let shallow = repo
        .shallow_update(&args.wants, &args.shallow, &args.deepen)
        .map_err(git_input_error)?;
    let mut negotiation = Negotiation::new(repo, &args.wants).map_err(git_input_error)?;
    let mut acks = Vec::new();
    for have in &args.haves {
        if negotiation.have(*have)? {
            acks.push(*have);
        }
    }
    outcome.common = negotiation.common().len();
    let mut lines = Lines {
        out,
        sideband_all: args.sideband_all,
    };
    if !args.done && !args.haves.is_empty() {
        lines.line("acknowledgments")?;
        if acks.is_empty() {
            lines.line("NAK")?;
        }
        for a in &acks {
            lines.line(&format!("ACK {a}"))?;
        }
        if !args.wait_for_done && negotiation.ready()? {
            lines.line("ready")?;
            write_delim(lines.out)?;
        } else {
            write_flush(lines.out)?;
            return Ok(outcome);
        }
    }
    if shallow.send_lines || !args.shallow.is_empty() {
        lines.line("shallow-info")?;
        for s in &shallow.shallow {
            lines.line(&format!("shallow {s}"))?;
        }
        for u in &shallow.unshallow {
            lines.line(&format!("unshallow {u}"))?;
        }
        write_delim(lines.out)?;
    }
    lines.line("packfile")?;
    let stats = send_pack(
        &SendPack {
            repo,
            wants: &args.wants,
            common: negotiation.common(),
            shallow: &shallow,
            options: PackOptions {
                thin_pack: args.thin_pack,
                ofs_delta: args.ofs_delta,
                include_tag: args.include_tag,
                filter: args.filter,
            },
            sideband: Some(MAX_SIDEBAND_64K_DATA),
            progress: !args.no_progress,
        },
        out,
    )?;
    outcome.pack = Some(stats);
    Ok(outcome)
}
