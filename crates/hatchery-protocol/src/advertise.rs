use std::io::Write;

use hatchery_git::{Head, Oid, Repository};

use crate::pktline::{write_data, write_flush, write_line};
use crate::request::{RECEIVE_PACK_CAPS, UPLOAD_PACK_V0_CAPS};
use crate::{ProtocolError, ProtocolVersion, Service};

/// Write the body of `GET info/refs?service=<service>` for the given protocol version.
///
/// For v0/v1 this is the smart-HTTP preamble (`# service=git-upload-pack` and a flush),
/// an optional `version 1` line, and the ref advertisement with capabilities. For v2
/// upload-pack it is the capability advertisement. receive-pack always answers in v0/v1.
pub fn advertise_refs(
    repo: &Repository,
    service: Service,
    version: ProtocolVersion,
    out: &mut dyn Write,
) -> Result<(), ProtocolError> {
    advertise(repo, service, version, true, out)
}

/// The advertisement that opens a session on a bidirectional stream (SSH): the same as
/// [`advertise_refs`] without smart HTTP's `# service=...` preamble.
pub fn advertise_refs_session(
    repo: &Repository,
    service: Service,
    version: ProtocolVersion,
    out: &mut dyn Write,
) -> Result<(), ProtocolError> {
    advertise(repo, service, version, false, out)
}

fn advertise(
    repo: &Repository,
    service: Service,
    version: ProtocolVersion,
    http_preamble: bool,
    out: &mut dyn Write,
) -> Result<(), ProtocolError> {
    let agent = hatchery_git::agent();
    if service == Service::UploadPack && version == ProtocolVersion::V2 {
        write_line(out, "version 2")?;
        write_line(out, &format!("agent={agent}"))?;
        write_line(out, "ls-refs=unborn")?;
        write_line(out, "fetch=shallow filter wait-for-done")?;
        write_line(out, "server-option")?;
        write_line(out, "object-format=sha1")?;
        write_flush(out)?;
        return Ok(out.flush()?);
    }
    if http_preamble {
        write_line(out, &format!("# service={}", service.name()))?;
        write_flush(out)?;
    }
    if version == ProtocolVersion::V1 {
        write_line(out, "version 1")?;
    }
    let refs = repo.refs()?;
    let mut caps: Vec<String> = match service {
        Service::UploadPack => UPLOAD_PACK_V0_CAPS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        Service::ReceivePack => RECEIVE_PACK_CAPS.iter().map(|s| (*s).to_owned()).collect(),
    };
    let mut lines: Vec<(Oid, String)> = Vec::new();
    if service == Service::UploadPack {
        if let Head::Branch { name, target } = repo.head()? {
            caps.push(format!("symref=HEAD:{name}"));
            lines.push((target, "HEAD".to_owned()));
        } else if let Head::Detached(target) = repo.head()? {
            lines.push((target, "HEAD".to_owned()));
        }
    }
    caps.push("object-format=sha1".to_owned());
    caps.push(format!("agent={agent}"));
    for r in &refs {
        lines.push((r.target, r.name.clone()));
        if service == Service::UploadPack
            && let Some(peeled) = r.peeled
        {
            lines.push((peeled, format!("{}^{{}}", r.name)));
        }
    }
    if lines.is_empty() {
        lines.push((Oid::ZERO, "capabilities^{}".to_owned()));
    }
    let caps = caps.join(" ");
    for (i, (oid, name)) in lines.iter().enumerate() {
        if i == 0 {
            write_data(out, format!("{oid} {name}\0{caps}\n").as_bytes())?;
        } else {
            write_line(out, &format!("{oid} {name}"))?;
        }
    }
    write_flush(out)?;
    Ok(out.flush()?)
}
