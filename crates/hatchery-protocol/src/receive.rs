use std::io::{Read, Write};

use hatchery_git::{Head, ObjectKind, Oid, Quarantine, ReceiveOptions, RefUpdate, Repository};

use crate::ProtocolError;
use crate::pktline::{
    MAX_SIDEBAND_64K_DATA, PktReader, write_band, write_err, write_flush, write_line,
};
use crate::request::{Command, PushRequest, parse_push_request};

/// What kind of change a ref update is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateKind {
    /// The ref is created.
    Create,
    /// The ref is deleted.
    Delete,
    /// The new commit descends from the old one.
    FastForward,
    /// The new value does not descend from the old one (a force push), or either is not a
    /// commit.
    NonFastForward,
}

/// A ref update the client asked for, shown to [`ReceiveHook::check_update`] after the pack
/// was received and its connectivity checked, before anything moves.
#[derive(Clone, Copy)]
pub struct ProposedUpdate<'a> {
    /// Full ref name.
    pub ref_name: &'a str,
    /// Current value (`None` for creation).
    pub old: Option<Oid>,
    /// Requested value (`None` for deletion).
    pub new: Option<Oid>,
    /// Create, delete, fast-forward or not.
    pub kind: UpdateKind,
    /// Push options sent with the push.
    pub push_options: &'a [String],
    /// The received objects together with the repository's, for hooks that read the
    /// pushed commits (`None` when the push sent no pack, e.g. only deletions).
    pub objects: Option<&'a Quarantine>,
}

/// The caller's say over a push (permissions, protected branches, read-only repositories).
pub trait ReceiveHook {
    /// Return `Err(reason)` to refuse this update; the reason is shown to the pusher
    /// (`! [remote rejected] main -> main (<reason>)`).
    fn check_update(&mut self, update: &ProposedUpdate<'_>) -> Result<(), String> {
        let _ = update;
        Ok(())
    }
}

/// Accepts everything.
impl ReceiveHook for () {}

/// Policy for receive-pack.
#[derive(Debug, Clone)]
pub struct ReceivePackOptions {
    /// Refuse pushes whose pack is larger than this many bytes.
    pub max_pack_bytes: Option<u64>,
    /// Refuse objects that decompress to more than this many bytes.
    pub max_object_bytes: Option<usize>,
    /// Refuse non-fast-forward updates of every ref (git's `receive.denyNonFastForwards`).
    pub deny_non_fast_forwards: bool,
    /// Refuse deleting the branch HEAD points at (git's `receive.denyDeleteCurrent`).
    pub deny_delete_current: bool,
    /// Abort a push still running at this instant (`git.max_push_secs`): the pack is
    /// dropped, no ref moves, and the client is told.
    pub deadline: Option<std::time::Instant>,
}

impl Default for ReceivePackOptions {
    fn default() -> Self {
        ReceivePackOptions {
            max_pack_bytes: None,
            max_object_bytes: None,
            deny_non_fast_forwards: false,
            deny_delete_current: true,
            deadline: None,
        }
    }
}

/// The result for one ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdateReport {
    /// Full ref name as sent.
    pub name: String,
    /// Old value as sent by the client.
    pub old: Option<Oid>,
    /// New value.
    pub new: Option<Oid>,
    /// Kind of change, when it could be determined.
    pub kind: Option<UpdateKind>,
    /// `Ok(())` if the ref now has the new value, else the reason reported to the client.
    pub result: Result<(), String>,
    /// Whether this push changed the ref (false when it already had the value).
    pub changed: bool,
}

/// What a push did; the web layer runs post-push work (webhooks, issue closing) on the
/// updates with `result.is_ok() && changed`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivePackOutcome {
    /// One report per command, in order.
    pub updates: Vec<RefUpdateReport>,
    /// The reason the pack was refused, if it was.
    pub unpack_error: Option<String>,
    /// Set when this push gave an empty repository its first branch and HEAD was pointed at it.
    pub head_set_to: Option<String>,
    /// Push options sent by the client.
    pub push_options: Vec<String>,
    /// Objects received.
    pub objects_received: u64,
}

impl ReceivePackOutcome {
    /// The updates that changed refs.
    pub fn applied(&self) -> impl Iterator<Item = &RefUpdateReport> {
        self.updates
            .iter()
            .filter(|u| u.result.is_ok() && u.changed)
    }
}

struct Pending {
    command: Command,
    kind: Option<UpdateKind>,
    error: Option<String>,
    changed: bool,
}

/// Serve one receive-pack request (the body of `POST git-receive-pack`): read the commands,
/// receive the pack into a quarantine, check it, ask `hook`, move refs (compare-and-swap on
/// the old values), and report per ref. On any failure the repository is left unchanged.
pub fn receive_pack(
    repo: &Repository,
    input: &mut dyn Read,
    out: &mut dyn Write,
    hook: &mut dyn ReceiveHook,
    options: &ReceivePackOptions,
) -> Result<ReceivePackOutcome, ProtocolError> {
    let mut reader = PktReader::new(input);
    let request = match parse_push_request(&mut reader) {
        Ok(r) => r,
        Err(e) => {
            let _ = write_err(out, &format!("receive-pack: {e}"));
            let _ = out.flush();
            return Err(e);
        }
    };
    if request.commands.is_empty() {
        return Ok(ReceivePackOutcome::default());
    }
    let outcome = match process(repo, reader.inner_mut(), &request, hook, options) {
        Ok(outcome) => outcome,
        Err(e) => {
            // The client gets a report it can show ("remote rejected ... internal error")
            // instead of a response cut off before its first byte; the details are for the
            // server's log, where the caller puts `e`.
            let failed = finish(
                ReceivePackOutcome::default(),
                request
                    .commands
                    .iter()
                    .map(|c| Pending {
                        command: c.clone(),
                        kind: None,
                        error: Some(INTERNAL_ERROR.into()),
                        changed: false,
                    })
                    .collect(),
            );
            let _ = write_report(out, &request, &failed);
            return Err(e);
        }
    };
    // Drain what the client still sends (e.g. an unread pack after a refusal) is left to
    // the web layer; the report is what matters to git.
    write_report(out, &request, &outcome)?;
    Ok(outcome)
}

/// A whole receive-pack session on a bidirectional stream (SSH): the ref advertisement
/// (v0; git pushes in v0 whatever protocol it asked for), then the push as in
/// [`receive_pack`]. A client with nothing to push sends a flush and gets no report.
pub fn receive_pack_session(
    repo: &Repository,
    input: &mut dyn Read,
    out: &mut dyn Write,
    hook: &mut dyn ReceiveHook,
    options: &ReceivePackOptions,
) -> Result<ReceivePackOutcome, ProtocolError> {
    crate::advertise_refs_session(
        repo,
        crate::Service::ReceivePack,
        crate::ProtocolVersion::V0,
        out,
    )?;
    let outcome = receive_pack(repo, input, out, hook, options)?;
    out.flush()?;
    Ok(outcome)
}

/// What a client is told of a push that failed on the server's side.
const INTERNAL_ERROR: &str = "internal server error (details in the server's log)";

fn process(
    repo: &Repository,
    pack: &mut dyn Read,
    request: &PushRequest,
    hook: &mut dyn ReceiveHook,
    options: &ReceivePackOptions,
) -> Result<ReceivePackOutcome, ProtocolError> {
    let mut pending: Vec<Pending> = request
        .commands
        .iter()
        .map(|c| Pending {
            command: c.clone(),
            kind: None,
            error: None,
            changed: false,
        })
        .collect();
    let mut outcome = ReceivePackOutcome {
        push_options: request.push_options.clone(),
        ..Default::default()
    };
    let needs_pack = request.commands.iter().any(|c| c.new.is_some());
    let quarantine = if needs_pack {
        match repo.receive_pack(
            pack,
            &ReceiveOptions {
                max_pack_bytes: options.max_pack_bytes,
                max_object_bytes: options.max_object_bytes,
                deadline: options.deadline,
            },
        ) {
            Ok(q) => Some(q),
            Err(
                e @ (hatchery_git::Error::PackTooLarge { .. }
                | hatchery_git::Error::InvalidPack(_)
                | hatchery_git::Error::PushTimedOut),
            ) => {
                outcome.unpack_error = Some(e.to_string());
                None
            }
            Err(hatchery_git::Error::Io(e)) => {
                outcome.unpack_error = Some(format!("error reading the pack: {e}"));
                None
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    if let Some(q) = &quarantine {
        outcome.objects_received = q.received().objects;
    }
    if let Some(err) = &outcome.unpack_error {
        let reason = if err.contains("maximum allowed size") || err.contains("longer than") {
            err.clone()
        } else {
            "unpacker error".to_owned()
        };
        for p in &mut pending {
            p.error = Some(reason.clone());
        }
        return Ok(finish(outcome, pending));
    }
    if !request.shallow.is_empty() {
        for p in &mut pending {
            p.error = Some("shallow update not allowed".into());
        }
        return Ok(finish(outcome, pending));
    }

    check_commands(
        repo,
        quarantine.as_ref(),
        &mut pending,
        request,
        hook,
        options,
    )?;

    if request.caps.atomic && pending.iter().any(|p| p.error.is_some()) {
        for p in &mut pending {
            if p.error.is_none() {
                p.error = Some("atomic push failure".into());
            }
        }
    }
    // Checking connectivity and asking the hook take time too: past the deadline nothing
    // moves.
    if options
        .deadline
        .is_some_and(|d| std::time::Instant::now() >= d)
    {
        let reason = hatchery_git::Error::PushTimedOut.to_string();
        for p in &mut pending {
            p.error.get_or_insert_with(|| reason.clone());
        }
    }
    let accepted: Vec<usize> = (0..pending.len())
        .filter(|&i| pending[i].error.is_none())
        .collect();
    if accepted.is_empty() {
        drop(quarantine);
        return Ok(finish(outcome, pending));
    }
    let was_empty = repo
        .refs()?
        .iter()
        .all(|r| !r.name.starts_with("refs/heads/"));
    let migrated = match quarantine {
        Some(q) => Some(q.migrate()?),
        None => None,
    };
    let updates: Vec<RefUpdate> = accepted
        .iter()
        .map(|&i| RefUpdate {
            name: pending[i].command.name.clone(),
            old: pending[i].command.old,
            new: pending[i].command.new,
        })
        .collect();
    let results = repo.update_refs(&updates, request.caps.atomic);
    let mut any_changed = false;
    for (&i, result) in accepted.iter().zip(results) {
        match result {
            Ok(changed) => {
                pending[i].changed = changed;
                any_changed |= changed;
            }
            Err(e) => pending[i].error = Some(e.to_string()),
        }
    }
    let any_ok = pending
        .iter()
        .any(|p| p.error.is_none() && p.command.new.is_some());
    if let Some(m) = migrated
        && !any_ok
        && !any_changed
    {
        // Nothing refers to the new objects: restore the repository exactly.
        m.rollback()?;
    }
    if was_empty {
        outcome.head_set_to = fix_head(repo, &pending)?;
    }
    Ok(finish(outcome, pending))
}

fn check_commands(
    repo: &Repository,
    quarantine: Option<&Quarantine>,
    pending: &mut [Pending],
    request: &PushRequest,
    hook: &mut dyn ReceiveHook,
    options: &ReceivePackOptions,
) -> Result<(), ProtocolError> {
    let head_branch = repo.head()?.branch().map(str::to_owned);
    let mut names = std::collections::HashSet::new();
    for p in pending.iter_mut() {
        let c = &p.command;
        if let Err(e) = hatchery_git::validate_ref_name(&c.name) {
            p.error = Some(format!("invalid reference name: {e}"));
            continue;
        }
        if !names.insert(c.name.clone()) {
            p.error = Some("duplicate reference in the same push".into());
            continue;
        }
        if c.old.is_none() && c.new.is_none() {
            p.error = Some("nothing to do: neither old nor new value given".into());
            continue;
        }
        let current = repo.find_ref(&c.name)?;
        if current != c.old {
            p.error = Some(match (c.old, current) {
                (None, Some(_)) => "reference already exists".into(),
                (Some(_), None) if c.new.is_none() => "reference does not exist".into(),
                _ => format!(
                    "stale info: the reference changed since you fetched (now {}); fetch first",
                    current
                        .map(|o| o.to_string())
                        .unwrap_or_else(|| "absent".into())
                ),
            });
            continue;
        }
        if c.new.is_none() {
            if options.deny_delete_current && head_branch.as_deref() == Some(c.name.as_str()) {
                p.error = Some(
                    "refusing to delete the current branch (the repository's default branch)"
                        .into(),
                );
                continue;
            }
            p.kind = Some(UpdateKind::Delete);
        }
        if let Some(new) = c.new {
            let Some(q) = quarantine else {
                p.error = Some("missing necessary objects".into());
                continue;
            };
            let kind = q.object_kind(new)?;
            match kind {
                None => {
                    p.error = Some(format!("missing necessary objects: {new} was not sent"));
                    continue;
                }
                Some(k) if c.name.starts_with("refs/heads/") && k != ObjectKind::Commit => {
                    p.error = Some(
                        format!("branches must point at commits, not at a {k:?}").to_lowercase(),
                    );
                    continue;
                }
                _ => {}
            }
        }
    }
    // Connectivity of every new tip, before any ref moves.
    if let Some(q) = quarantine {
        let idx: Vec<usize> = (0..pending.len())
            .filter(|&i| pending[i].error.is_none() && pending[i].command.new.is_some())
            .collect();
        let tips: Vec<Oid> = idx.iter().filter_map(|&i| pending[i].command.new).collect();
        let missing = q.check_connectivity(&tips)?;
        for (&i, m) in idx.iter().zip(missing) {
            if let Some(m) = m {
                pending[i].error = Some(format!(
                    "missing necessary objects: {m} is referenced but was not sent"
                ));
            }
        }
    }
    for p in pending.iter_mut() {
        if p.error.is_some() {
            continue;
        }
        let c = &p.command;
        let kind = match (c.old, c.new) {
            (None, Some(_)) => UpdateKind::Create,
            (_, None) => UpdateKind::Delete,
            (Some(old), Some(new)) => {
                let q =
                    quarantine.ok_or_else(|| ProtocolError::InvalidRequest("no pack".into()))?;
                let commits = q.object_kind(old)? == Some(ObjectKind::Commit)
                    && q.object_kind(new)? == Some(ObjectKind::Commit);
                if commits && q.is_ancestor(old, new)? {
                    UpdateKind::FastForward
                } else {
                    UpdateKind::NonFastForward
                }
            }
        };
        p.kind = Some(kind);
        if kind == UpdateKind::NonFastForward && options.deny_non_fast_forwards {
            p.error = Some("non-fast-forward".into());
            continue;
        }
        let proposed = ProposedUpdate {
            ref_name: &c.name,
            old: c.old,
            new: c.new,
            kind,
            push_options: &request.push_options,
            objects: quarantine,
        };
        if let Err(reason) = hook.check_update(&proposed) {
            p.error = Some(if reason.trim().is_empty() {
                "refused by the server".into()
            } else {
                reason.replace('\n', " ")
            });
        }
    }
    Ok(())
}

/// After the first push into an empty repository, HEAD must name an existing branch: the
/// default branch if it was pushed, else the first branch pushed.
fn fix_head(repo: &Repository, pending: &[Pending]) -> Result<Option<String>, ProtocolError> {
    match repo.head()? {
        Head::Unborn { name } => {
            let first = pending.iter().find(|p| {
                p.error.is_none()
                    && p.command.new.is_some()
                    && p.command.name.starts_with("refs/heads/")
            });
            match first {
                Some(p) if p.command.name != name => {
                    repo.set_head(&p.command.name)?;
                    Ok(Some(p.command.name.clone()))
                }
                Some(p) => Ok(Some(p.command.name.clone())),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

fn finish(mut outcome: ReceivePackOutcome, pending: Vec<Pending>) -> ReceivePackOutcome {
    outcome.updates = pending
        .into_iter()
        .map(|p| RefUpdateReport {
            name: p.command.name,
            old: p.command.old,
            new: p.command.new,
            kind: p.kind,
            changed: p.changed && p.error.is_none(),
            result: match p.error {
                None => Ok(()),
                Some(e) => Err(e),
            },
        })
        .collect();
    outcome
}

fn write_report(
    out: &mut dyn Write,
    request: &PushRequest,
    outcome: &ReceivePackOutcome,
) -> Result<(), ProtocolError> {
    if !request.caps.report_status && !request.caps.report_status_v2 {
        if request.caps.side_band_64k {
            write_flush(out)?;
        }
        out.flush()?;
        return Ok(());
    }
    let mut report = Vec::new();
    match &outcome.unpack_error {
        None => write_line(&mut report, "unpack ok")?,
        Some(e) => write_line(&mut report, &format!("unpack {}", e.replace('\n', " ")))?,
    }
    for u in &outcome.updates {
        match &u.result {
            Ok(()) => write_line(&mut report, &format!("ok {}", u.name))?,
            Err(reason) => write_line(
                &mut report,
                &format!("ng {} {}", u.name, reason.replace('\n', " ")),
            )?,
        }
    }
    write_flush(&mut report)?;
    if request.caps.side_band_64k {
        write_band(out, 1, &report, MAX_SIDEBAND_64K_DATA)?;
        write_flush(out)?;
    } else {
        out.write_all(&report)?;
    }
    out.flush()?;
    Ok(())
}
