//! `hatchery dump` and `hatchery restore`: the whole site in one archive, taken while the
//! server runs, restorable into either database engine.
//!
//! The archive (`.tar`, or `.tar.gz` when the name ends in `.gz`/`.tgz`) holds, in order:
//! `manifest.json` (format, versions, schema version, time, row counts, repositories);
//! `db/<table>.jsonl` (rows as JSON, see `hatchery_store::portable`); `config/hatchery.toml`
//! (the configuration in force, secrets only when asked); `ssh/` (the SSH host keys, only
//! with secrets); `repositories/<owner>/<name>.git/`;
//! `releases/<repo id>/<uuid>` (release asset files); and last `end.json`, whose absence
//! marks a truncated archive.
//!
//! Consistency: all rows are read in one snapshot transaction, and the repositories listed
//! in that snapshot are copied afterwards with `hatchery_git::snapshot_repository` (refs
//! first, then objects), so every ref and every commit id in the database names objects
//! that are in the archive; whatever is pushed meanwhile is at worst an unreferenced extra.
//! Release asset files are written once and never changed, so the files of the assets in
//! the snapshot are copied as they are; one deleted meanwhile is left out of the archive
//! and out of its manifest, and its row restores without a file (its download is a 404).

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use hatchery_store::Store;
use hatchery_store::portable::{PORTABLE_TABLES, known_schema_version};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Version of the archive layout; restore refuses other versions.
const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const END: &str = "end.json";
const RESTORED_CONFIG: &str = "hatchery.toml.restored";
/// The SSH server's host keys in `data_dir/ssh`, archived with `--include-secrets`.
const SSH_HOST_KEY_FILES: [&str; 4] = [
    "ssh_host_ed25519_key",
    "ssh_host_ed25519_key.pub",
    "ssh_host_rsa_key",
    "ssh_host_rsa_key.pub",
];

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    hatchery_version: String,
    /// The latest migration applied to the database that was dumped.
    schema_version: i64,
    /// The engine it came from: sqlite or postgres.
    database: String,
    created_at: String,
    includes_secrets: bool,
    /// Rows per table.
    tables: Vec<(String, u64)>,
    /// `owner/name` of every repository.
    repositories: Vec<String>,
    /// `<repo id>/<uuid>` of every release asset file in the archive (absent in archives
    /// made before releases existed).
    #[serde(default)]
    release_assets: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndMarker {
    complete: bool,
}

pub struct DumpOptions {
    /// A file, `-` for standard output, or None for a dated file in the working directory.
    pub output: Option<PathBuf>,
    pub include_secrets: bool,
    pub config_path: Option<PathBuf>,
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {wide_msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_owned());
    bar
}

type Out = BufWriter<Box<dyn Write + Send>>;

enum Sink {
    Plain(tar::Builder<Out>),
    Gzip(Box<tar::Builder<flate2::write::GzEncoder<Out>>>),
}

impl Sink {
    fn append(
        &mut self,
        header: &mut tar::Header,
        path: &Path,
        data: impl Read,
    ) -> std::io::Result<()> {
        match self {
            Sink::Plain(b) => b.append_data(header, path, data),
            Sink::Gzip(b) => b.append_data(header, path, data),
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(b) => b.into_inner()?.flush(),
            Sink::Gzip(b) => b.into_inner()?.finish()?.flush(),
        }
    }

    fn file(&mut self, path: impl AsRef<Path>, len: u64, data: impl Read) -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(len);
        header.set_mode(0o644);
        header.set_mtime(0);
        self.append(&mut header, path.as_ref(), data)
    }

    /// A file only its owner may read.
    fn private_file(
        &mut self,
        path: impl AsRef<Path>,
        len: u64,
        data: impl Read,
    ) -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(len);
        header.set_mode(0o600);
        header.set_mtime(0);
        self.append(&mut header, path.as_ref(), data)
    }

    fn dir(&mut self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        header.set_mode(0o755);
        header.set_mtime(0);
        self.append(&mut header, path.as_ref(), std::io::empty())
    }
}

fn is_gzip_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("tgz"))
}

/// Connects without migrating: a dump reads the database as it is.
async fn connect(cfg: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            cfg.data_dir.display()
        )
    })?;
    Store::connect(&cfg.database.url, cfg.database.max_connections.min(4))
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                cfg.database.url_redacted()
            )
        })
}

pub async fn dump(cfg: &Config, options: DumpOptions) -> anyhow::Result<()> {
    let store = connect(cfg).await?;
    let result = dump_with(cfg, &store, options).await;
    store.close().await;
    result
}

async fn dump_with(cfg: &Config, store: &Store, options: DumpOptions) -> anyhow::Result<()> {
    let config_toml =
        Config::effective_toml(options.config_path.as_deref(), options.include_secrets)?;
    let now = time::OffsetDateTime::now_utc();
    let (out, gzip, shown): (Box<dyn Write + Send>, bool, String) = match &options.output {
        Some(path) if path.as_os_str() == "-" => {
            (Box::new(std::io::stdout()), false, "standard output".into())
        }
        Some(path) => (
            Box::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            ),
            is_gzip_name(path),
            path.display().to_string(),
        ),
        None => {
            let name = format!(
                "hatchery-dump-{:04}{:02}{:02}-{:02}{:02}{:02}.tar.gz",
                now.year(),
                u8::from(now.month()),
                now.day(),
                now.hour(),
                now.minute(),
                now.second()
            );
            (
                Box::new(File::create(&name).with_context(|| format!("cannot create {name}"))?),
                true,
                name,
            )
        }
    };
    let out = BufWriter::with_capacity(256 * 1024, out);
    let mut sink = if gzip {
        Sink::Gzip(Box::new(tar::Builder::new(flate2::write::GzEncoder::new(
            out,
            flate2::Compression::default(),
        ))))
    } else {
        Sink::Plain(tar::Builder::new(out))
    };

    // The database, in one snapshot.
    let mut snapshot = store.snapshot().await?;
    let schema_version = snapshot.schema_version().await?;
    if schema_version > known_schema_version(store.backend()) {
        bail!(
            "the database has schema version {schema_version}, newer than this hatchery \
             knows ({}); dump it with the hatchery that migrated it",
            known_schema_version(store.backend())
        );
    }
    let mut tables = Vec::new();
    for t in PORTABLE_TABLES {
        tables.push((t.name.to_owned(), snapshot.count(t).await?));
    }
    let repos = snapshot.repository_paths().await?;
    let release_root = cfg.data_dir.join("releases");
    // Files of assets deleted since the snapshot are left out (their rows are not: the
    // snapshot has them), so the manifest lists only what the archive holds.
    let asset_files: Vec<String> = snapshot
        .release_asset_files()
        .await?
        .into_iter()
        .map(|(repo_id, uuid)| format!("{repo_id}/{uuid}"))
        .filter(|rel| release_root.join(rel).is_file())
        .collect();
    let manifest = Manifest {
        format: FORMAT,
        hatchery_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version,
        database: store.backend().as_str().to_owned(),
        created_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        includes_secrets: options.include_secrets,
        tables,
        repositories: repos.iter().map(|(o, n)| format!("{o}/{n}")).collect(),
        release_assets: asset_files.clone(),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    sink.file(
        MANIFEST,
        manifest_json.len() as u64,
        manifest_json.as_slice(),
    )?;
    sink.dir("db")?;
    let bar = progress(PORTABLE_TABLES.len() as u64, "database");
    for t in PORTABLE_TABLES {
        bar.set_message(format!("database {}", t.name));
        let mut spool = tempfile::tempfile().context("cannot create a temporary file")?;
        snapshot.export_table(t, &mut spool).await?;
        let len = spool.stream_position()?;
        spool.rewind()?;
        sink.file(format!("db/{}.jsonl", t.name), len, BufReader::new(spool))?;
        bar.inc(1);
    }
    snapshot.finish().await?;
    bar.finish_and_clear();
    sink.dir("config")?;
    sink.file(
        "config/hatchery.toml",
        config_toml.len() as u64,
        config_toml.as_bytes(),
    )?;
    // The SSH host keys are the site's identity to clients' known_hosts, and secrets.
    if options.include_secrets {
        let dir = crate::config::SshConfig::host_key_dir(&cfg.data_dir);
        let mut keys = Vec::new();
        for name in SSH_HOST_KEY_FILES {
            match std::fs::read(dir.join(name)) {
                Ok(bytes) => keys.push((name, bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).context(format!("reading the SSH host key {name}")),
            }
        }
        if !keys.is_empty() {
            sink.dir("ssh")?;
            for (name, bytes) in keys {
                sink.private_file(format!("ssh/{name}"), bytes.len() as u64, bytes.as_slice())?;
            }
        }
    }

    // The repositories, each consistent on its own and no older than the snapshot.
    let root = cfg.data_dir.join("repositories");
    let sink = tokio::task::spawn_blocking(move || -> anyhow::Result<Sink> {
        let bar = progress(repos.len() as u64, "repositories");
        sink.dir("repositories")?;
        for (owner, name) in &repos {
            bar.set_message(format!("{owner}/{name}"));
            let rel = PathBuf::from("repositories")
                .join(owner)
                .join(format!("{name}.git"));
            let path = root.join(owner).join(format!("{name}.git"));
            sink.dir(PathBuf::from("repositories").join(owner))?;
            sink.dir(&rel)?;
            hatchery_git::snapshot_repository(&path, &mut |entry| match entry {
                hatchery_git::SnapshotEntry::Dir(dir) => sink.dir(rel.join(dir)),
                hatchery_git::SnapshotEntry::File { path, len, content } => {
                    sink.file(rel.join(path), len, content)
                }
            })
            .with_context(|| format!("copying the repository {owner}/{name}"))?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        let bar = progress(asset_files.len() as u64, "release files");
        sink.dir("releases")?;
        let mut dirs = std::collections::BTreeSet::new();
        for rel in &asset_files {
            let path = release_root.join(rel);
            let file = File::open(&path).with_context(|| format!("opening {}", path.display()))?;
            let len = file.metadata()?.len();
            if let Some((repo_dir, _)) = rel.split_once('/')
                && dirs.insert(repo_dir.to_owned())
            {
                sink.dir(PathBuf::from("releases").join(repo_dir))?;
            }
            sink.file(
                PathBuf::from("releases").join(rel),
                len,
                BufReader::new(file),
            )
            .with_context(|| format!("copying the release file {rel}"))?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        let end = serde_json::to_vec(&EndMarker { complete: true })?;
        sink.file(END, end.len() as u64, end.as_slice())?;
        Ok(sink)
    })
    .await??;
    sink.finish().context("writing the archive")?;
    if options.output.as_deref() != Some(Path::new("-")) {
        eprintln!(
            "Dumped {} repositories and {} rows to {shown}.",
            manifest.repositories.len(),
            manifest.tables.iter().map(|(_, n)| n).sum::<u64>()
        );
    }
    Ok(())
}

pub async fn restore(cfg: &Config, archive: &Path) -> anyhow::Result<()> {
    let repos_dir = cfg.data_dir.join("repositories");
    let ssh_dir = crate::config::SshConfig::host_key_dir(&cfg.data_dir);
    for dir in [&repos_dir, &cfg.data_dir.join("releases"), &ssh_dir] {
        if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            bail!(
                "{} is not empty: restore only into a new data directory",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            cfg.data_dir.display()
        )
    })?;
    let staging = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(&cfg.data_dir)
        .context("cannot create a staging directory in the data directory")?;

    // Unpack everything first, so that a truncated or foreign archive changes nothing.
    let archive_path = archive.to_owned();
    let stage = staging.path().to_owned();
    let manifest = tokio::task::spawn_blocking(move || unpack(&archive_path, &stage)).await??;
    if manifest.schema_version > known_schema_version(hatchery_store::Backend::Sqlite) {
        bail!(
            "the archive has schema version {}, newer than this hatchery knows ({}): restore \
             it with a hatchery at least as new as the one that made it ({})",
            manifest.schema_version,
            known_schema_version(hatchery_store::Backend::Sqlite),
            manifest.hatchery_version
        );
    }

    let store = connect(cfg).await?;
    let result = load_database(&store, &manifest, staging.path()).await;
    if let Err(e) = result {
        store.close().await;
        return Err(e);
    }
    store.close().await;

    let staged_repos = staging.path().join("repositories");
    if staged_repos.is_dir() {
        let _ = std::fs::remove_dir(&repos_dir);
        std::fs::rename(&staged_repos, &repos_dir).with_context(|| {
            format!(
                "cannot move the restored repositories to {}",
                repos_dir.display()
            )
        })?;
    }
    let staged_releases = staging.path().join("releases");
    if staged_releases.is_dir() {
        let releases_dir = cfg.data_dir.join("releases");
        let _ = std::fs::remove_dir(&releases_dir);
        std::fs::rename(&staged_releases, &releases_dir).with_context(|| {
            format!(
                "cannot move the restored release files to {} (is it empty?)",
                releases_dir.display()
            )
        })?;
    }
    let staged_ssh = staging.path().join("ssh");
    if staged_ssh.is_dir() {
        let _ = std::fs::remove_dir(&ssh_dir);
        std::fs::rename(&staged_ssh, &ssh_dir).with_context(|| {
            format!(
                "cannot move the restored SSH host keys to {}",
                ssh_dir.display()
            )
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&ssh_dir, std::fs::Permissions::from_mode(0o700))?;
            for name in SSH_HOST_KEY_FILES.iter().filter(|n| !n.ends_with(".pub")) {
                let path = ssh_dir.join(name);
                if path.is_file() {
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
            }
        }
    }
    let config = staging.path().join("config/hatchery.toml");
    let restored_config = cfg.data_dir.join(RESTORED_CONFIG);
    if config.is_file() {
        std::fs::rename(&config, &restored_config)?;
    }
    eprintln!(
        "Restored {} repositories and {} rows (schema version {}, from {} {}) into {}.",
        manifest.repositories.len(),
        manifest.tables.iter().map(|(_, n)| n).sum::<u64>(),
        manifest.schema_version,
        manifest.database,
        manifest.created_at,
        cfg.database.url_redacted()
    );
    if config.exists() || restored_config.is_file() {
        eprintln!(
            "The configuration of the dumped site is in {}; compare it with yours.",
            restored_config.display()
        );
    }
    Ok(())
}

async fn load_database(store: &Store, manifest: &Manifest, stage: &Path) -> anyhow::Result<()> {
    let current = store.schema_version().await?;
    if current > manifest.schema_version {
        bail!(
            "the database already has schema version {current}, newer than the archive's {}: \
             restore into a new, empty database",
            manifest.schema_version
        );
    }
    // The schema the rows were dumped from; later migrations then carry them forward.
    store.migrate_to(manifest.schema_version).await?;
    if !store.is_empty().await? {
        bail!("the configured database is not empty: restore only into a new database");
    }
    let bar = progress(manifest.tables.len() as u64, "database");
    let mut restore = store.begin_restore().await?;
    for (name, _) in &manifest.tables {
        let Some(table) = PORTABLE_TABLES.iter().find(|t| t.name == name) else {
            bail!("the archive has rows of an unknown table {name}");
        };
        bar.set_message(format!("database {name}"));
        let file = File::open(stage.join(format!("db/{name}.jsonl")))?;
        for (i, line) in std::io::BufRead::lines(BufReader::new(file)).enumerate() {
            let line = line?;
            let row: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&line)
                .with_context(|| format!("db/{name}.jsonl line {}", i + 1))?;
            restore
                .insert(table, &row)
                .await
                .with_context(|| format!("restoring db/{name}.jsonl line {}", i + 1))?;
        }
        bar.inc(1);
    }
    restore.finish().await?;
    bar.finish_and_clear();
    store.migrate().await.context("applying later migrations")?;
    Ok(())
}

/// Unpacks the archive into `stage` and checks it is whole: the manifest first, every table
/// it lists with its row count, every repository, and the end marker last.
fn unpack(archive: &Path, stage: &Path) -> anyhow::Result<Manifest> {
    let mut file =
        File::open(archive).with_context(|| format!("cannot open {}", archive.display()))?;
    let mut magic = [0u8; 2];
    let gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    file.rewind()?;
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut tar = tar::Archive::new(reader);
    let truncated = || format!("{} is truncated or damaged", archive.display());
    let mut manifest: Option<Manifest> = None;
    let mut ended = false;
    for entry in tar.entries().with_context(truncated)? {
        let mut entry = entry.with_context(truncated)?;
        let path = entry.path().with_context(truncated)?.into_owned();
        if ended {
            bail!("{}: entries after the end marker", archive.display());
        }
        if path == Path::new(MANIFEST) {
            let mut text = Vec::new();
            entry.read_to_end(&mut text).with_context(truncated)?;
            let m: Manifest = serde_json::from_slice(&text)
                .with_context(|| format!("{}: unreadable manifest", archive.display()))?;
            if m.format != FORMAT {
                bail!(
                    "{}: archive format {} is not the one this hatchery reads ({FORMAT})",
                    archive.display(),
                    m.format
                );
            }
            manifest = Some(m);
            continue;
        }
        if manifest.is_none() {
            bail!(
                "{} is not a hatchery dump (no manifest first)",
                archive.display()
            );
        }
        if path == Path::new(END) {
            ended = true;
            continue;
        }
        // unpack_in refuses paths that leave the staging directory.
        if !entry.unpack_in(stage).with_context(truncated)? {
            bail!("{}: unsafe path {}", archive.display(), path.display());
        }
    }
    let Some(manifest) = manifest else {
        bail!("{} is not a hatchery dump (no manifest)", archive.display());
    };
    if !ended {
        bail!("{}: the end marker is missing", truncated());
    }
    for (name, count) in &manifest.tables {
        let path = stage.join(format!("db/{name}.jsonl"));
        let file = File::open(&path)
            .with_context(|| format!("{}: db/{name}.jsonl missing", truncated()))?;
        let lines = std::io::BufRead::lines(BufReader::new(file)).count() as u64;
        if lines != *count {
            bail!(
                "{}: db/{name}.jsonl has {lines} rows, the manifest says {count}",
                truncated()
            );
        }
    }
    for repo in &manifest.repositories {
        if !stage
            .join("repositories")
            .join(format!("{repo}.git/HEAD"))
            .is_file()
        {
            bail!("{}: repository {repo} missing", truncated());
        }
    }
    for rel in &manifest.release_assets {
        if !stage.join("releases").join(rel).is_file() {
            bail!("{}: release file {rel} missing", truncated());
        }
    }
    Ok(manifest)
}
