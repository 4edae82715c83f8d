//! Changed-path Bloom filters of the commit-graph (git's BIDX/BDAT chunks), written by
//! [`crate::Repository::write_commit_graph`] and read by history walks, which gix does not
//! do. A filter holds every path a commit changed relative to its first parent (and their
//! leading directories); "definitely not" lets a path-limited walk skip the tree lookups.
//!
//! Format and hashing follow git's `bloom.c` exactly (7 hashes, 10 bits per entry, at most
//! 512 changed paths, murmur3 with seeds 0x293ae76f/0x7e646e2c), so git reads our filters
//! too. We write hash version 2 (correct murmur3) and read versions 1 and 2.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gix::ObjectId;
use gix::bstr::ByteSlice;

use crate::Result;
use crate::objects::{self, HASH};

pub(crate) const NUM_HASHES: u32 = 7;
pub(crate) const BITS_PER_ENTRY: u32 = 10;
pub(crate) const MAX_CHANGED_PATHS: usize = 512;
pub(crate) const WRITE_VERSION: u32 = 2;

fn murmur3(seed: u32, data: &[u8], version: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    // Version 1 reproduces git's old bug: bytes were sign-extended `char`s.
    let byte = |b: u8| -> u32 {
        if version == 1 {
            b as i8 as i32 as u32
        } else {
            u32::from(b)
        }
    };
    let mut h = seed;
    let blocks = data.len() / 4;
    for i in 0..blocks {
        let mut k = byte(data[4 * i])
            | (byte(data[4 * i + 1]) << 8)
            | (byte(data[4 * i + 2]) << 16)
            | (byte(data[4 * i + 3]) << 24);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = &data[blocks * 4..];
    let mut k1: u32 = 0;
    if tail.len() >= 3 {
        k1 ^= byte(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        k1 ^= byte(tail[1]) << 8;
    }
    if !tail.is_empty() {
        k1 ^= byte(tail[0]);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k1;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The 7 bit positions (before the modulo) of a path.
pub(crate) fn key(path: &[u8], version: u32) -> [u32; NUM_HASHES as usize] {
    let h0 = murmur3(0x293a_e76f, path, version);
    let h1 = murmur3(0x7e64_6e2c, path, version);
    let mut out = [0u32; NUM_HASHES as usize];
    for (i, o) in out.iter_mut().enumerate() {
        *o = h0.wrapping_add((i as u32).wrapping_mul(h1));
    }
    out
}

fn add(filter: &mut [u8], key: &[u32]) {
    let bits = filter.len() as u64 * 8;
    for h in key {
        let pos = u64::from(*h) % bits;
        filter[(pos / 8) as usize] |= 1 << (pos % 8);
    }
}

fn contains(filter: &[u8], key: &[u32]) -> bool {
    let bits = filter.len() as u64 * 8;
    key.iter().all(|h| {
        let pos = u64::from(*h) % bits;
        filter[(pos / 8) as usize] & (1 << (pos % 8)) != 0
    })
}

/// The filter of a commit from its changed file paths (`None`: more than 512, so the
/// "everything maybe changed" filter).
pub(crate) fn build_filter(changed: Option<&[Vec<u8>]>) -> Vec<u8> {
    let Some(changed) = changed else {
        return vec![0xff];
    };
    let mut paths: Vec<&[u8]> = Vec::new();
    for p in changed {
        let mut p: &[u8] = p;
        loop {
            paths.push(p);
            match p.rfind_byte(b'/') {
                Some(i) => p = &p[..i],
                None => break,
            }
        }
    }
    paths.sort_unstable();
    paths.dedup();
    let len = (paths.len() * BITS_PER_ENTRY as usize).div_ceil(8).max(1);
    let mut filter = vec![0u8; len];
    for p in paths {
        add(&mut filter, &key(p, WRITE_VERSION));
    }
    filter
}

/// The files that differ between two trees (`None` = empty tree), like git's recursive
/// tree diff without rename detection; `None` if there are more than `MAX_CHANGED_PATHS`.
pub(crate) fn changed_paths(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
) -> Result<Option<Vec<Vec<u8>>>> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    if diff_dirs(repo, old, Some(new), &mut Vec::new(), &mut out, &mut buf)? {
        Ok(Some(out))
    } else {
        Ok(None)
    }
}

/// (name, id, is a tree, mode bits): a mode-only change is a change too.
type Entries = Vec<(Vec<u8>, ObjectId, bool, u16)>;

fn read_entries(
    repo: &gix::Repository,
    tree: Option<ObjectId>,
    buf: &mut Vec<u8>,
) -> Result<Entries> {
    let mut out = Vec::new();
    let Some(tree) = tree else { return Ok(out) };
    if let Some(data) = objects::read_kind(repo, &tree, gix::objs::Kind::Tree, buf)? {
        for e in gix::objs::TreeRefIter::from_bytes(data, HASH) {
            let Ok(e) = e else { break };
            out.push((
                e.filename.to_vec(),
                e.oid.to_owned(),
                e.mode.is_tree(),
                e.mode.value(),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    Ok(out)
}

/// Add changed files under `prefix` to `out`; false once there are too many.
fn diff_dirs(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: Option<ObjectId>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Vec<u8>>,
    buf: &mut Vec<u8>,
) -> Result<bool> {
    let a = read_entries(repo, old, buf)?;
    let b = read_entries(repo, new, buf)?;
    let (mut i, mut j) = (0, 0);
    let path = |prefix: &[u8], name: &[u8]| -> Vec<u8> {
        let mut p = prefix.to_vec();
        if !p.is_empty() {
            p.push(b'/');
        }
        p.extend_from_slice(name);
        p
    };
    // One side of a name: (oid, is_tree).
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.0.cmp(&y.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (left, right, name) = match order {
            std::cmp::Ordering::Less => {
                i += 1;
                (
                    Some((a[i - 1].1, a[i - 1].2, a[i - 1].3)),
                    None,
                    a[i - 1].0.clone(),
                )
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (
                    None,
                    Some((b[j - 1].1, b[j - 1].2, b[j - 1].3)),
                    b[j - 1].0.clone(),
                )
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                (
                    Some((a[i - 1].1, a[i - 1].2, a[i - 1].3)),
                    Some((b[j - 1].1, b[j - 1].2, b[j - 1].3)),
                    a[i - 1].0.clone(),
                )
            }
        };
        if left == right {
            continue;
        }
        let left_tree = left.filter(|x| x.1).map(|x| x.0);
        let right_tree = right.filter(|x| x.1).map(|x| x.0);
        let left_file = left.is_some_and(|x| !x.1);
        let right_file = right.is_some_and(|x| !x.1);
        if left_file || right_file {
            out.push(path(prefix, &name));
            if out.len() > MAX_CHANGED_PATHS {
                return Ok(false);
            }
        }
        if left_tree.is_some() || right_tree.is_some() {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push(b'/');
            }
            prefix.extend_from_slice(&name);
            let ok = diff_dirs(repo, left_tree, right_tree, prefix, out, buf)?;
            prefix.truncate(len);
            if !ok {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// The Bloom chunks of a single-file commit-graph, checked against its OIDL chunk.
pub(crate) struct BloomFile {
    data: Vec<u8>,
    fanout_at: usize,
    oidl_at: usize,
    bidx_at: usize,
    bdat_at: usize,
    n: usize,
    pub version: u32,
}

impl BloomFile {
    pub fn parse(data: Vec<u8>) -> Option<BloomFile> {
        if data.len() < 8 + 12
            || &data[..4] != b"CGPH"
            || data[4] != 1
            || data[5] != 1
            || data[7] != 0
        {
            return None;
        }
        let chunks = data[6] as usize;
        let mut table = Vec::new();
        for k in 0..=chunks {
            let at = 8 + k * 12;
            let id: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
            let off = u64::from_be_bytes(data.get(at + 4..at + 12)?.try_into().ok()?);
            table.push((id, usize::try_from(off).ok()?));
        }
        let find = |name: &[u8; 4]| -> Option<(usize, usize)> {
            let k = table.iter().position(|(id, _)| id == name)?;
            let (start, end) = (table[k].1, table.get(k + 1)?.1);
            (start <= end && end <= data.len()).then_some((start, end))
        };
        let (fanout_at, fanout_end) = find(b"OIDF")?;
        let (oidl_at, oidl_end) = find(b"OIDL")?;
        let (bidx_at, bidx_end) = find(b"BIDX")?;
        let (bdat_at, bdat_end) = find(b"BDAT")?;
        if fanout_end - fanout_at != 1024 || (oidl_end - oidl_at) % 20 != 0 {
            return None;
        }
        let n = (oidl_end - oidl_at) / 20;
        if bidx_end - bidx_at != 4 * n || bdat_end - bdat_at < 12 {
            return None;
        }
        let be32 =
            |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let version = be32(bdat_at);
        if !(version == 1 || version == 2)
            || be32(bdat_at + 4) != NUM_HASHES
            || be32(bdat_at + 8) != BITS_PER_ENTRY
        {
            return None;
        }
        // Offsets must be monotonic and inside BDAT.
        let mut prev = 0u32;
        for i in 0..n {
            let end = be32(bidx_at + 4 * i);
            if end < prev || bdat_at + 12 + end as usize > bdat_end {
                return None;
            }
            prev = end;
        }
        // Only the four chunks the filters need are kept (the commit data, generations and
        // edges are about half of the file): the cache below is bounded by these bytes.
        let mut kept = Vec::with_capacity(
            (fanout_end - fanout_at)
                + (oidl_end - oidl_at)
                + (bidx_end - bidx_at)
                + (bdat_end - bdat_at),
        );
        let mut keep = |start: usize, end: usize| {
            let at = kept.len();
            kept.extend_from_slice(&data[start..end]);
            at
        };
        let fanout_at = keep(fanout_at, fanout_end);
        let oidl_at = keep(oidl_at, oidl_end);
        let bidx_at = keep(bidx_at, bidx_end);
        let bdat_at = keep(bdat_at, bdat_end);
        Some(BloomFile {
            data: kept,
            fanout_at,
            oidl_at,
            bidx_at,
            bdat_at,
            n,
            version,
        })
    }

    /// Bytes held in memory.
    fn bytes(&self) -> usize {
        self.data.len()
    }

    fn be32(&self, at: usize) -> u32 {
        u32::from_be_bytes([
            self.data[at],
            self.data[at + 1],
            self.data[at + 2],
            self.data[at + 3],
        ])
    }

    fn position(&self, id: &ObjectId) -> Option<usize> {
        let bytes = id.as_bytes();
        let first = bytes[0] as usize;
        let lo = if first == 0 {
            0
        } else {
            self.be32(self.fanout_at + 4 * (first - 1)) as usize
        };
        let hi = (self.be32(self.fanout_at + 4 * first) as usize).min(self.n);
        if lo > hi {
            return None;
        }
        let (mut lo, mut hi) = (lo, hi);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let at = self.oidl_at + 20 * mid;
            match self.data[at..at + 20].cmp(bytes) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The filter bytes of commit `id`, if the file has a (non-empty) one.
    pub fn filter(&self, id: &ObjectId) -> Option<&[u8]> {
        let i = self.position(id)?;
        let start = if i == 0 {
            0
        } else {
            self.be32(self.bidx_at + 4 * (i - 1)) as usize
        };
        let end = self.be32(self.bidx_at + 4 * i) as usize;
        let base = self.bdat_at + 12;
        let f = self.data.get(base + start..base + end)?;
        (!f.is_empty()).then_some(f)
    }
}

/// Keys of a path and its leading directories, for [`BloomFile::definitely_unchanged`].
pub(crate) struct PathKeys(Vec<[u32; NUM_HASHES as usize]>);

impl PathKeys {
    pub fn new(components: &[&str], version: u32) -> Self {
        let mut keys = Vec::new();
        for n in 1..=components.len() {
            keys.push(key(components[..n].join("/").as_bytes(), version));
        }
        PathKeys(keys)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl BloomFile {
    /// True when the filter proves that commit `id` did not change the path relative to
    /// its first parent. False means "maybe" (or no filter).
    pub fn definitely_unchanged(&self, id: &ObjectId, keys: &PathKeys) -> bool {
        if keys.is_empty() {
            return false;
        }
        match self.filter(id) {
            Some(f) => !keys.0.iter().all(|k| contains(f, k)),
            None => false,
        }
    }
}

/// Bytes of Bloom filter data kept for all repositories together. Each repository's
/// filters are read once per commit-graph version and shared by its handles; the least
/// recently used go first when the total would exceed this (a history walk of an evicted
/// repository reads its file again). 64 MiB holds the filters of ~1.3 million commits.
const CACHE_BYTES: u64 = 64 << 20;

#[derive(Clone, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    ino: u64,
}

fn stamp(path: &Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        ino: std::os::unix::fs::MetadataExt::ino(&meta),
    })
}

#[derive(Clone)]
struct Cached {
    stamp: FileStamp,
    /// None: the file has no (readable) Bloom chunks; remembered so it is not reread.
    file: Option<Arc<BloomFile>>,
}

#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<PathBuf, Cached> for ByBytes {
    fn weight(&self, key: &PathBuf, value: &Cached) -> u64 {
        let held = value.file.as_ref().map_or(0, |f| f.bytes());
        (key.as_os_str().len() + held + std::mem::size_of::<Cached>()) as u64
    }
}

type Cache = quick_cache::sync::Cache<PathBuf, Cached, ByBytes>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(|| {
        // One shard: a shard refuses an entry heavier than its share of the capacity, and
        // one large repository's filters must fit.
        let options = quick_cache::OptionsBuilder::new()
            .estimated_items_capacity(1024)
            .weight_capacity(CACHE_BYTES)
            .shards(1)
            .build()
            .expect("valid cache options");
        Cache::with_options(options, ByBytes, Default::default(), Default::default())
    });
    &CACHE
}

/// The filters of the commit-graph under `objects_dir`, from the process-wide cache while
/// the file is unchanged (same length, modification time and inode).
pub(crate) fn filters(objects_dir: &Path) -> Option<Arc<BloomFile>> {
    let path: PathBuf = objects_dir.join("info").join("commit-graph");
    let now = stamp(&path)?;
    if let Some(cached) = cache().get(&path)
        && cached.stamp == now
    {
        return cached.file;
    }
    let file = std::fs::read(&path)
        .ok()
        .and_then(BloomFile::parse)
        .map(Arc::new);
    cache().insert(
        path,
        Cached {
            stamp: now,
            file: file.clone(),
        },
    );
    file
}

/// Drops the cached filters of `objects_dir` (after writing a new commit-graph).
pub(crate) fn forget(objects_dir: &Path) {
    cache().remove(&objects_dir.join("info").join("commit-graph"));
}

/// Bytes the process-wide cache holds now.
#[cfg(test)]
fn cached_bytes() -> u64 {
    cache().weight()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_reference_values() {
        // Values from git's t/helper/test-bloom.c tests (t0095-bloom.sh).
        assert_eq!(murmur3(0, b"", 2), 0x0000_0000);
        assert_eq!(murmur3(0, b"Hello world!", 2), 0x627b_0c2c);
        assert_eq!(
            murmur3(0, b"The quick brown fox jumps over the lazy dog", 2),
            0x2e4f_f723
        );
        // The high-bit case where versions 1 and 2 differ (t0095: version 2).
        assert_eq!(murmur3(0, b"\x99\xaa\xbb\xcc\xdd\xee\xff", 2), 0xa183_ccfd);
        assert_ne!(murmur3(0, b"\x99\xaa\xbb\xcc\xdd\xee\xff", 1), 0xa183_ccfd);
        assert_eq!(
            key(b"", 2),
            [
                0x5615_800c,
                0x5b96_6560,
                0x6117_4ab4,
                0x6698_3008,
                0x6c19_155c,
                0x7199_fab0,
                0x771a_e004
            ]
        );
        // t4216: the version 2 filter of a commit adding the one file "\u{a2}".
        assert_eq!(
            build_filter(Some(&["\u{a2}".as_bytes().to_vec()])),
            [0xc0, 0x1f]
        );
    }

    #[test]
    fn filters_hold_paths_and_directories() {
        let f = build_filter(Some(&[b"src/a/b.rs".to_vec(), b"README".to_vec()]));
        assert_eq!(f.len(), (4 * 10usize).div_ceil(8));
        for p in ["src", "src/a", "src/a/b.rs", "README"] {
            assert!(contains(&f, &key(p.as_bytes(), 2)), "{p}");
        }
        assert_eq!(build_filter(None), vec![0xff]);
        assert_eq!(build_filter(Some(&[])), vec![0]);
    }

    /// A single-file commit-graph with `ids` (sorted), a CDAT chunk of `cdat` filler bytes
    /// and one filter per commit.
    fn commit_graph(ids: &[ObjectId], filters: &[Vec<u8>], cdat: usize) -> Vec<u8> {
        let mut fanout = vec![0u8; 1024];
        for b in 0..256 {
            let count = ids
                .iter()
                .filter(|id| id.as_bytes()[0] as usize <= b)
                .count();
            fanout[4 * b..4 * b + 4].copy_from_slice(&(count as u32).to_be_bytes());
        }
        let oidl: Vec<u8> = ids.iter().flat_map(|id| id.as_bytes().to_vec()).collect();
        let mut bidx = Vec::new();
        let mut bdat = Vec::new();
        for word in [WRITE_VERSION, NUM_HASHES, BITS_PER_ENTRY] {
            bdat.extend_from_slice(&word.to_be_bytes());
        }
        let mut end = 0u32;
        for f in filters {
            end += f.len() as u32;
            bidx.extend_from_slice(&end.to_be_bytes());
            bdat.extend_from_slice(f);
        }
        let chunks: [(&[u8; 4], Vec<u8>); 5] = [
            (b"OIDF", fanout),
            (b"OIDL", oidl),
            (b"CDAT", vec![0xaa; cdat]),
            (b"BIDX", bidx),
            (b"BDAT", bdat),
        ];
        let mut out = b"CGPH".to_vec();
        out.extend_from_slice(&[1, 1, chunks.len() as u8, 0]);
        let mut at = (8 + 12 * (chunks.len() + 1)) as u64;
        for (id, data) in &chunks {
            out.extend_from_slice(*id);
            out.extend_from_slice(&at.to_be_bytes());
            at += data.len() as u64;
        }
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&at.to_be_bytes());
        for (_, data) in chunks {
            out.extend_from_slice(&data);
        }
        out
    }

    #[test]
    fn filters_are_read_once_per_file_version_and_keep_only_their_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let objects = dir.path().join("objects");
        std::fs::create_dir_all(objects.join("info")).unwrap();
        let graph = objects.join("info").join("commit-graph");
        let ids = [
            ObjectId::from_hex(b"1111111111111111111111111111111111111111").unwrap(),
            ObjectId::from_hex(b"a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0").unwrap(),
        ];
        let touched = build_filter(Some(&[b"src/main.rs".to_vec()]));
        let filters = [touched.clone(), build_filter(Some(&[b"README".to_vec()]))];
        let file = commit_graph(&ids, &filters, 100_000);
        std::fs::write(&graph, &file).unwrap();

        let read = super::filters(&objects).expect("the filters are found");
        // The commit data is not kept: only fanout, ids, index and filters.
        assert!(read.bytes() < file.len() - 100_000, "{}", read.bytes());
        assert_eq!(read.filter(&ids[0]), Some(&touched[..]));
        let keys = PathKeys::new(&["src", "main.rs"], WRITE_VERSION);
        assert!(!read.definitely_unchanged(&ids[0], &keys));
        assert!(read.definitely_unchanged(&ids[1], &keys));
        // Unchanged file: the same shared filters; the cache counts their bytes.
        assert!(Arc::ptr_eq(&read, &super::filters(&objects).unwrap()));
        assert!(cached_bytes() >= read.bytes() as u64);

        // A rewritten commit-graph (other size) is read again.
        let only_first = commit_graph(&ids[..1], &filters[..1], 10);
        std::fs::write(&graph, &only_first).unwrap();
        let again = super::filters(&objects).unwrap();
        assert!(!Arc::ptr_eq(&read, &again));
        assert_eq!(again.filter(&ids[1]), None);

        // Forgotten, then a file without Bloom chunks: remembered as none.
        forget(&objects);
        std::fs::write(&graph, b"CGPH\x01\x01\x00\x00").unwrap();
        assert!(super::filters(&objects).is_none());
    }
}
