//! Reading blobs without holding them whole where the storage allows it.
//!
//! gix only decodes objects whole. For a blob stored as a loose object, or as a whole
//! (non-delta) entry in a pack, the zlib stream on disk *is* the content, so we inflate it as
//! it is read. Delta-compressed entries fall back to gix's full decode.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};

use flate2::read::ZlibDecoder;
use gix::ObjectId;

use crate::objects::HASH;
use crate::{Repository, Result};

pub(crate) enum Inner {
    Memory(Cursor<Vec<u8>>),
    Inflate(Box<std::io::Take<ZlibDecoder<BufReader<File>>>>),
}

impl Inner {
    pub fn is_streaming(&self) -> bool {
        matches!(self, Inner::Inflate(_))
    }
}

impl Read for Inner {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Inner::Memory(c) => c.read(buf),
            Inner::Inflate(r) => r.read(buf),
        }
    }
}

/// Open blob `id` for reading: its size and a reader. `None` if it is not a blob.
pub(crate) fn open_blob(
    this: &Repository,
    repo: &gix::Repository,
    id: ObjectId,
) -> Result<Option<(u64, Inner)>> {
    // Streaming is an optimisation: any problem on that path falls back to gix.
    if let Ok(Some(found)) = open_loose(this, &id) {
        return Ok(Some(found));
    }
    if let Ok(Some(found)) = open_packed(this, &id) {
        return Ok(Some(found));
    }
    let mut buf = Vec::new();
    match crate::objects::read_kind(repo, &id, gix::objs::Kind::Blob, &mut buf)? {
        Some(data) => {
            let data = data.to_vec();
            Ok(Some((data.len() as u64, Inner::Memory(Cursor::new(data)))))
        }
        None => Ok(None),
    }
}

fn open_loose(this: &Repository, id: &ObjectId) -> std::io::Result<Option<(u64, Inner)>> {
    let hex = id.to_hex().to_string();
    let path = this.objects_dir().join(&hex[..2]).join(&hex[2..]);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut decoder = ZlibDecoder::new(BufReader::new(file));
    // Header: "<kind> <size>\0".
    let mut header = Vec::with_capacity(32);
    let mut byte = [0u8; 1];
    loop {
        if decoder.read(&mut byte)? == 0 || header.len() > 64 {
            return Ok(None);
        }
        if byte[0] == 0 {
            break;
        }
        header.push(byte[0]);
    }
    let Some(size) = header.strip_prefix(b"blob ") else {
        return Ok(None);
    };
    let Some(size) = std::str::from_utf8(size)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return Ok(None);
    };
    Ok(Some((size, Inner::Inflate(Box::new(decoder.take(size))))))
}

fn open_packed(this: &Repository, id: &ObjectId) -> std::io::Result<Option<(u64, Inner)>> {
    let dir = this.objects_dir().join("pack");
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "idx") {
            continue;
        }
        let Ok(index) = gix_pack::index::File::at(&path, HASH) else {
            continue;
        };
        let Some(i) = index.lookup(id) else {
            continue;
        };
        let offset = index.pack_offset_at_index(i);
        let pack_path = path.with_extension("pack");
        let pack = gix_pack::data::File::at(&pack_path, HASH).map_err(std::io::Error::other)?;
        let entry = pack.entry(offset).map_err(std::io::Error::other)?;
        if !matches!(entry.header, gix_pack::data::entry::Header::Blob) {
            // Deltas need the full decode; other kinds are not blobs.
            return Ok(None);
        }
        let mut file = File::open(&pack_path)?;
        file.seek(SeekFrom::Start(entry.data_offset))?;
        let size = entry.decompressed_size;
        let decoder = ZlibDecoder::new(BufReader::new(file));
        return Ok(Some((size, Inner::Inflate(Box::new(decoder.take(size))))));
    }
    Ok(None)
}
