//! Archives of a commit's tree, streamed: `.tar.gz` through gix's worktree stream and
//! gix-archive's tar writer, `.zip` through gix's worktree stream and our own streaming zip
//! writer (gix-archive's zip writer needs a seekable output, which a response body is not).
//!
//! Like `git archive`, entries honour `export-ignore` in the tree's `.gitattributes` and the
//! attribute-driven conversions (`eol`, `ident`, `working-tree-encoding`); entry times are
//! the commit's committer time. Memory: at most one file is held at a time (gix decodes a
//! blob whole; the tar writer needs each entry's size up front).

use std::io::{Read, Write};

use gix::bstr::{BString, ByteSlice};

use crate::error::git;
use crate::objects;
use crate::{Error, Oid, Repository, Result};

/// Archive container formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArchiveFormat {
    /// gzip-compressed tar.
    TarGz,
    /// zip with deflate.
    Zip,
}

impl ArchiveFormat {
    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "tar.gz",
            ArchiveFormat::Zip => "zip",
        }
    }

    /// The MIME type to serve it with.
    pub fn content_type(self) -> &'static str {
        match self {
            ArchiveFormat::TarGz => "application/gzip",
            ArchiveFormat::Zip => "application/zip",
        }
    }
}

/// Normalise an archive prefix (`name-v1`, `a/b/`): `/`-terminated, no `.`/`..`/empty
/// components, no control characters. Empty stays empty.
fn normalize_prefix(prefix: &str) -> Result<String> {
    if prefix.chars().any(|c| c.is_control() || c == '\\') {
        return Err(Error::InvalidInput(format!(
            "invalid archive prefix {prefix:?}"
        )));
    }
    let Some(path) = objects::normalize_path(prefix) else {
        return Err(Error::InvalidInput(format!(
            "invalid archive prefix {prefix:?}"
        )));
    };
    Ok(if path.is_empty() {
        path
    } else {
        format!("{path}/")
    })
}

impl Repository {
    /// Write an archive of `commit`'s tree to `out` as it is produced, each path under
    /// `prefix` (typically `<repo>-<ref>/`; empty for none). Fails with
    /// [`Error::MissingObject`] if `commit` is not a commit, [`Error::InvalidInput`] for a
    /// prefix with `..` or control characters, and [`Error::Io`] when `out` fails (the
    /// client went away): whatever was written by then is an incomplete archive.
    pub fn archive(
        &self,
        commit: Oid,
        format: ArchiveFormat,
        prefix: &str,
        out: &mut dyn Write,
    ) -> Result<()> {
        let prefix = normalize_prefix(prefix)?;
        let repo = self.local();
        let mut buf = Vec::new();
        let gid = commit.to_gix();
        let Some(data) = objects::read_kind(&repo, &gid, gix::objs::Kind::Commit, &mut buf)? else {
            return Err(Error::MissingObject(commit));
        };
        let info = crate::walk::parse_commit(data, &gid)?;
        let mtime = info.time;
        let (mut stream, _index) = repo
            .worktree_stream(info.tree)
            .map_err(git("preparing the archive"))?;
        match format {
            ArchiveFormat::TarGz => {
                let options = gix::worktree::archive::Options {
                    format: gix::worktree::archive::Format::TarGz {
                        compression_level: None,
                    },
                    tree_prefix: (!prefix.is_empty()).then(|| BString::from(prefix.as_str())),
                    modification_time: mtime,
                };
                gix::worktree::archive::write_stream(
                    &mut stream,
                    |s| s.next_entry(),
                    &mut *out,
                    options,
                )
                .map_err(|e| match find_io(&e) {
                    Some(io) => Error::Io(io),
                    None => git("writing the archive")(e),
                })?;
            }
            ArchiveFormat::Zip => {
                let mut zip = ZipWriter::new(out, mtime);
                while let Some(mut entry) = stream.next_entry().map_err(git("reading the tree"))? {
                    let mut name = prefix.as_bytes().to_vec();
                    name.extend_from_slice(entry.relative_path());
                    let mode = entry.mode;
                    let unix_mode = if mode.is_link() {
                        0o120777
                    } else if mode.is_executable() {
                        0o100755
                    } else {
                        0o100644
                    };
                    zip.add_file(&name, unix_mode, !mode.is_link(), &mut entry)?;
                }
                zip.finish()?;
            }
        }
        Ok(())
    }
}

/// The I/O error at the root of a gix error chain, if that is what it was.
fn find_io(e: &(dyn std::error::Error + 'static)) -> Option<std::io::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(std::io::Error::new(io.kind(), io.to_string()));
        }
        current = err.source();
    }
    None
}

/// Counts bytes written through it.
struct Counting<'a> {
    inner: &'a mut dyn Write,
    written: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

struct CentralEntry {
    name: Vec<u8>,
    utf8: bool,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
    unix_mode: u32,
}

/// A zip writer for non-seekable outputs: each entry's local header carries no sizes (flag
/// bit 3) and a data descriptor follows its data. Zip64 records are added when the archive
/// outgrows 4 GiB or 65,535 entries.
struct ZipWriter<'a> {
    out: Counting<'a>,
    entries: Vec<CentralEntry>,
    dos_time: u16,
    dos_date: u16,
}

const U32_MAX: u64 = 0xFFFF_FFFF;

fn dos_datetime(unix: i64) -> (u16, u16) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    if y < 1980 {
        return (0, (1 << 5) | 1);
    }
    let y = y.min(2107);
    let time = ((secs / 3600) << 11) | (((secs / 60) % 60) << 5) | ((secs % 60) / 2);
    let date = ((y - 1980) << 9) | (i64::from(m) << 5) | i64::from(d);
    (time as u16, date as u16)
}

fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl<'a> ZipWriter<'a> {
    fn new(out: &'a mut dyn Write, mtime: i64) -> Self {
        let (dos_time, dos_date) = dos_datetime(mtime);
        ZipWriter {
            out: Counting {
                inner: out,
                written: 0,
            },
            entries: Vec::new(),
            dos_time,
            dos_date,
        }
    }

    fn add_file(
        &mut self,
        name: &[u8],
        unix_mode: u32,
        deflate: bool,
        data: &mut dyn Read,
    ) -> Result<()> {
        let utf8 = name.to_str().is_ok();
        let offset = self.out.written;
        let method: u16 = if deflate { 8 } else { 0 };
        let mut flags: u16 = 1 << 3;
        if utf8 {
            flags |= 1 << 11;
        }
        let name_len = u16::try_from(name.len())
            .map_err(|_| Error::InvalidInput("path too long for a zip archive".into()))?;
        let mut header = Vec::with_capacity(30 + name.len());
        header.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        header.extend_from_slice(&20u16.to_le_bytes());
        header.extend_from_slice(&flags.to_le_bytes());
        header.extend_from_slice(&method.to_le_bytes());
        header.extend_from_slice(&self.dos_time.to_le_bytes());
        header.extend_from_slice(&self.dos_date.to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes()); // crc, in the data descriptor
        header.extend_from_slice(&0u32.to_le_bytes()); // compressed size
        header.extend_from_slice(&0u32.to_le_bytes()); // uncompressed size
        header.extend_from_slice(&name_len.to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes()); // extra length
        header.extend_from_slice(name);
        self.out.write_all(&header)?;

        let start = self.out.written;
        let mut crc = flate2::Crc::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut uncompressed = 0u64;
        if deflate {
            let mut encoder =
                flate2::write::DeflateEncoder::new(&mut self.out, flate2::Compression::default());
            loop {
                let n = data.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                crc.update(&chunk[..n]);
                uncompressed += n as u64;
                encoder.write_all(&chunk[..n])?;
            }
            encoder.finish()?;
        } else {
            loop {
                let n = data.read(&mut chunk)?;
                if n == 0 {
                    break;
                }
                crc.update(&chunk[..n]);
                uncompressed += n as u64;
                self.out.write_all(&chunk[..n])?;
            }
        }
        let compressed = self.out.written - start;
        if compressed >= U32_MAX || uncompressed >= U32_MAX {
            return Err(Error::InvalidInput(
                "a file of 4 GiB or more cannot be put in a zip archive here".into(),
            ));
        }
        let mut descriptor = Vec::with_capacity(16);
        descriptor.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        descriptor.extend_from_slice(&crc.sum().to_le_bytes());
        descriptor.extend_from_slice(&(compressed as u32).to_le_bytes());
        descriptor.extend_from_slice(&(uncompressed as u32).to_le_bytes());
        self.out.write_all(&descriptor)?;
        self.entries.push(CentralEntry {
            name: name.to_vec(),
            utf8,
            method,
            crc: crc.sum(),
            compressed,
            uncompressed,
            offset,
            unix_mode,
        });
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        let cd_start = self.out.written;
        for e in &self.entries {
            let mut flags: u16 = 1 << 3;
            if e.utf8 {
                flags |= 1 << 11;
            }
            let needs64 = e.offset >= U32_MAX;
            let mut extra = Vec::new();
            if needs64 {
                extra.extend_from_slice(&0x0001u16.to_le_bytes());
                extra.extend_from_slice(&8u16.to_le_bytes());
                extra.extend_from_slice(&e.offset.to_le_bytes());
            }
            let mut rec = Vec::with_capacity(46 + e.name.len() + extra.len());
            rec.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            rec.extend_from_slice(&((3u16 << 8) | if needs64 { 45 } else { 20 }).to_le_bytes());
            rec.extend_from_slice(&(if needs64 { 45u16 } else { 20u16 }).to_le_bytes());
            rec.extend_from_slice(&flags.to_le_bytes());
            rec.extend_from_slice(&e.method.to_le_bytes());
            rec.extend_from_slice(&self.dos_time.to_le_bytes());
            rec.extend_from_slice(&self.dos_date.to_le_bytes());
            rec.extend_from_slice(&e.crc.to_le_bytes());
            rec.extend_from_slice(&(e.compressed as u32).to_le_bytes());
            rec.extend_from_slice(&(e.uncompressed as u32).to_le_bytes());
            rec.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            rec.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            rec.extend_from_slice(&0u16.to_le_bytes()); // comment length
            rec.extend_from_slice(&0u16.to_le_bytes()); // disk number
            rec.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            rec.extend_from_slice(&(e.unix_mode << 16).to_le_bytes());
            rec.extend_from_slice(
                &(if needs64 {
                    U32_MAX as u32
                } else {
                    e.offset as u32
                })
                .to_le_bytes(),
            );
            rec.extend_from_slice(&e.name);
            rec.extend_from_slice(&extra);
            self.out.write_all(&rec)?;
        }
        let cd_end = self.out.written;
        let cd_size = cd_end - cd_start;
        let count = self.entries.len() as u64;
        let zip64 = count >= 0xFFFF || cd_start >= U32_MAX || cd_size >= U32_MAX;
        let mut tail = Vec::new();
        if zip64 {
            // Zip64 end of central directory record and locator.
            tail.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            tail.extend_from_slice(&44u64.to_le_bytes());
            tail.extend_from_slice(&((3u16 << 8) | 45).to_le_bytes());
            tail.extend_from_slice(&45u16.to_le_bytes());
            tail.extend_from_slice(&0u32.to_le_bytes());
            tail.extend_from_slice(&0u32.to_le_bytes());
            tail.extend_from_slice(&count.to_le_bytes());
            tail.extend_from_slice(&count.to_le_bytes());
            tail.extend_from_slice(&cd_size.to_le_bytes());
            tail.extend_from_slice(&cd_start.to_le_bytes());
            tail.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            tail.extend_from_slice(&0u32.to_le_bytes());
            tail.extend_from_slice(&cd_end.to_le_bytes());
            tail.extend_from_slice(&1u32.to_le_bytes());
        }
        let clamp16 = |v: u64| if zip64 { 0xFFFF } else { v as u16 };
        let clamp32 = |v: u64| if zip64 { U32_MAX as u32 } else { v as u32 };
        tail.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        tail.extend_from_slice(&0u16.to_le_bytes());
        tail.extend_from_slice(&0u16.to_le_bytes());
        tail.extend_from_slice(&clamp16(count).to_le_bytes());
        tail.extend_from_slice(&clamp16(count).to_le_bytes());
        tail.extend_from_slice(&clamp32(cd_size).to_le_bytes());
        tail.extend_from_slice(&clamp32(cd_start).to_le_bytes());
        tail.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&tail)?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(normalize_prefix("").unwrap(), "");
        assert_eq!(normalize_prefix("repo-main").unwrap(), "repo-main/");
        assert_eq!(normalize_prefix("/a/b/").unwrap(), "a/b/");
        assert!(normalize_prefix("../x").is_err());
        assert!(normalize_prefix("a\nb").is_err());
    }

    #[test]
    fn dos_times() {
        // 2023-11-14 22:13:20 UTC
        let (t, d) = dos_datetime(1_700_000_000);
        assert_eq!(d >> 9, 2023 - 1980);
        assert_eq!((d >> 5) & 0xf, 11);
        assert_eq!(d & 0x1f, 14);
        assert_eq!(t >> 11, 22);
    }
}
