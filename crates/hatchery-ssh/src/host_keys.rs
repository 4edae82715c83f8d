//! The server's host keys: an Ed25519 and an RSA key in OpenSSH's format, generated on
//! first start into a directory of the data dir (mode 0600, like sshd's) and read from
//! there afterwards, so clients' `known_hosts` entries stay valid across restarts. Two
//! servers starting at once on one data dir agree: a key file only ever appears whole
//! (written aside, then linked into place; the loser of the race reads the winner's).

use anyhow::Context;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, HashAlg, PrivateKey};
use std::io::Write;
use std::path::{Path, PathBuf};

/// RSA host keys are made this long (OpenSSH's default).
const RSA_BITS: usize = 3072;

/// The host key files, as sshd names them.
const KEYS: [(&str, KeyKind); 2] = [
    ("ssh_host_ed25519_key", KeyKind::Ed25519),
    ("ssh_host_rsa_key", KeyKind::Rsa),
];

#[derive(Clone, Copy, Debug)]
enum KeyKind {
    Ed25519,
    Rsa,
}

/// A host key and where it lives.
pub struct HostKey {
    pub key: PrivateKey,
    pub path: PathBuf,
    /// Whether this start made it.
    pub generated: bool,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKey")
            .field("path", &self.path)
            .field("fingerprint", &self.fingerprint())
            .field("generated", &self.generated)
            .finish()
    }
}

impl HostKey {
    /// `SHA256:...`, as `ssh-keygen -lf` and OpenSSH's first-connection prompt show it.
    pub fn fingerprint(&self) -> String {
        self.key
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }
}

/// Reads the host keys in `dir`, generating the missing ones (blocking: RSA key generation
/// takes a moment; call from a blocking thread).
pub fn load_or_generate(dir: &Path) -> anyhow::Result<Vec<HostKey>> {
    create_private_dir(dir)?;
    KEYS.iter()
        .map(|(name, kind)| load_or_generate_one(&dir.join(name), *kind))
        .collect()
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        match std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
        {
            Ok(()) => Ok(()),
            Err(e) => Err(e)
                .with_context(|| format!("cannot create the host key directory {}", dir.display())),
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the host key directory {}", dir.display()))
}

fn load_or_generate_one(path: &Path, kind: KeyKind) -> anyhow::Result<HostKey> {
    if let Some(key) = read_key(path)? {
        return Ok(HostKey {
            key,
            path: path.to_owned(),
            generated: false,
        });
    }
    let key = generate(kind)?;
    let text = key
        .to_openssh(LineEnding::LF)
        .context("cannot encode the new host key")?;
    let tmp = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    write_private(&tmp, text.as_bytes())
        .with_context(|| format!("cannot write the host key {}", tmp.display()))?;
    // The link fails if another server got there first: then its key is the one.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            let public = key.public_key().to_openssh().unwrap_or_default();
            let _ = std::fs::write(path.with_extension("pub"), format!("{public}\n"));
            tracing::info!(path = %path.display(), fingerprint = %key.public_key().fingerprint(HashAlg::Sha256), "SSH host key generated");
            Ok(HostKey {
                key,
                path: path.to_owned(),
                generated: true,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let key = read_key(path)?
                .with_context(|| format!("the host key {} vanished", path.display()))?;
            Ok(HostKey {
                key,
                path: path.to_owned(),
                generated: false,
            })
        }
        Err(e) => Err(e).with_context(|| format!("cannot put the host key at {}", path.display())),
    }
}

fn generate(kind: KeyKind) -> anyhow::Result<PrivateKey> {
    let mut rng = rand::rng();
    let key = match kind {
        KeyKind::Ed25519 => PrivateKey::random(&mut rng, Algorithm::Ed25519)?,
        KeyKind::Rsa => {
            let pair = russh::keys::ssh_key::private::RsaKeypair::random(&mut rng, RSA_BITS)?;
            PrivateKey::new(pair.into(), "")?
        }
    };
    Ok(key)
}

/// `None` when the file does not exist.
fn read_key(path: &Path) -> anyhow::Result<Option<PrivateKey>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the host key {}", path.display()));
        }
    };
    warn_if_readable_by_others(path);
    let key = PrivateKey::from_openssh(text.trim()).with_context(|| {
        format!(
            "{} is not an unencrypted OpenSSH private key; move it away to have a new one made",
            path.display()
        )
    })?;
    if key.is_encrypted() {
        anyhow::bail!(
            "{} is encrypted; the server needs its host keys without a passphrase",
            path.display()
        );
    }
    Ok(Some(key))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), mode = format!("{:o}", meta.permissions().mode() & 0o777), "the SSH host key is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let ssh = dir.path().join("ssh");
        let first = load_or_generate(&ssh).unwrap();
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|k| k.generated));
        assert_eq!(first[0].key.algorithm(), Algorithm::Ed25519);
        assert!(matches!(first[1].key.algorithm(), Algorithm::Rsa { .. }));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for k in &first {
                let mode = std::fs::metadata(&k.path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{}", k.path.display());
            }
            let mode = std::fs::metadata(&ssh).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        // OpenSSH reads what we wrote.
        assert!(ssh.join("ssh_host_ed25519_key.pub").exists());
        let again = load_or_generate(&ssh).unwrap();
        assert!(again.iter().all(|k| !k.generated));
        for (a, b) in first.iter().zip(&again) {
            assert_eq!(a.fingerprint(), b.fingerprint());
        }
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(&ssh)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
    }

    #[test]
    fn a_broken_key_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ssh_host_ed25519_key"), "garbage").unwrap();
        let e = load_or_generate(dir.path()).unwrap_err();
        assert!(format!("{e:#}").contains("ssh_host_ed25519_key"), "{e:#}");
    }
}
