//! Release rules that need no storage: limits on titles and notes, which asset names are
//! acceptable, and which asset is the detached signature of which.
//!
//! The "latest" release of a repository is its newest published release that is not a
//! pre-release (by publication time, then id), as in Gitea and GitHub; drafts and
//! pre-releases never are. The store answers it in SQL (`Store::latest_release`).

/// Longest release title, in characters.
pub const TITLE_MAX: usize = 255;
/// Longest release notes, in characters.
pub const NOTE_MAX: usize = 65_535;
/// Longest asset name, in bytes.
pub const ASSET_NAME_MAX: usize = 255;
/// File name suffixes of detached signatures: `X.asc` (OpenPGP, armored) and `X.sig`
/// (OpenPGP binary, or an SSH signature).
pub const SIGNATURE_SUFFIXES: [&str; 2] = [".asc", ".sig"];

/// Why release fields or an asset name were refused; each names a catalog key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseRuleError {
    #[error("the tag name is required")]
    TagRequired,
    #[error("the title is longer than {TITLE_MAX} characters")]
    TitleTooLong,
    #[error("the notes are longer than {NOTE_MAX} characters")]
    NoteTooLong,
    #[error("the file name is empty")]
    AssetNameEmpty,
    #[error("the file name is longer than {ASSET_NAME_MAX} bytes")]
    AssetNameTooLong,
    /// Slashes, backslashes, control characters, `.` and `..`: a name is one plain file
    /// name, never a path.
    #[error("the file name may not contain slashes or control characters, nor be . or ..")]
    AssetNameInvalid,
}

impl ReleaseRuleError {
    /// The message-catalog key for this refusal.
    pub fn key(self) -> &'static str {
        match self {
            ReleaseRuleError::TagRequired => "release.error.tag_required",
            ReleaseRuleError::TitleTooLong => "release.error.title_too_long",
            ReleaseRuleError::NoteTooLong => "release.error.note_too_long",
            ReleaseRuleError::AssetNameEmpty => "release.error.asset_name_empty",
            ReleaseRuleError::AssetNameTooLong => "release.error.asset_name_too_long",
            ReleaseRuleError::AssetNameInvalid => "release.error.asset_name_invalid",
        }
    }
}

/// Checks the free-text fields of a release.
pub fn check_text(title: &str, note: &str) -> Result<(), ReleaseRuleError> {
    if title.chars().count() > TITLE_MAX {
        return Err(ReleaseRuleError::TitleTooLong);
    }
    if note.chars().count() > NOTE_MAX {
        return Err(ReleaseRuleError::NoteTooLong);
    }
    Ok(())
}

/// The asset name to store for `raw` (surrounding whitespace removed), or why it is refused.
pub fn check_asset_name(raw: &str) -> Result<&str, ReleaseRuleError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ReleaseRuleError::AssetNameEmpty);
    }
    if name.len() > ASSET_NAME_MAX {
        return Err(ReleaseRuleError::AssetNameTooLong);
    }
    if name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(ReleaseRuleError::AssetNameInvalid);
    }
    Ok(name)
}

/// For a detached signature's name (`X.asc`, `X.sig`), the name of the file it signs.
pub fn signed_name(name: &str) -> Option<&str> {
    SIGNATURE_SUFFIXES.iter().find_map(|suffix| {
        let cut = name.len().checked_sub(suffix.len())?;
        (cut > 0 && name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(suffix))
            .then(|| &name[..cut])
    })
}

/// For each of `names`, the name of its detached signature among `names`, if any (the first
/// suffix of [`SIGNATURE_SUFFIXES`] present wins).
pub fn signature_of<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .copied()
        .find(|other| signed_name(other) == Some(name))
}

/// The longest detached signature read for checking: an SSH signature is well under 2 KiB,
/// an armored OpenPGP one a few KiB.
pub const SIGNATURE_MAX_BYTES: usize = 64 * 1024;

/// The SSH signature namespace of signed files (`ssh-keygen -Y sign -n file`).
pub const SSH_FILE_NAMESPACE: &str = "file";

/// What checking a detached signature found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureState {
    /// It verifies, with a key the uploader registered.
    Verified,
    /// It may be fine, but the forge cannot tell: made by a key the uploader has not
    /// registered, or by an OpenPGP key outside the time it could sign.
    Unverified,
    /// It does not match the file, is not for files, or is not a signature at all.
    Bad,
}

impl SignatureState {
    /// As stored in `release_assets.signature_state`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureState::Verified => "verified",
            SignatureState::Unverified => "unverified",
            SignatureState::Bad => "bad",
        }
    }

    pub fn parse(s: &str) -> Option<SignatureState> {
        match s {
            "verified" => Some(SignatureState::Verified),
            "unverified" => Some(SignatureState::Unverified),
            "bad" => Some(SignatureState::Bad),
            _ => None,
        }
    }
}

/// The outcome of [`check_signature`]: the state, why (a stable key: `unknown_key`,
/// `key_not_valid`, `mismatch`, `wrong_namespace`, `unreadable`; empty when verified), the
/// signing key when known (an SSH key's SHA-256 fingerprint, an OpenPGP key's 16-digit key
/// id) and, for a verified OpenPGP signature, the primary user id of the registered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureVerdict {
    pub state: SignatureState,
    pub reason: &'static str,
    pub signer: String,
    pub identity: String,
}

impl SignatureVerdict {
    pub(crate) fn new(
        state: SignatureState,
        reason: &'static str,
        signer: String,
    ) -> SignatureVerdict {
        SignatureVerdict {
            state,
            reason,
            signer,
            identity: String::new(),
        }
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `sig` looks like an OpenPGP signature: ASCII armor, or a binary signature
/// packet (old format tag 2, or new format tag 2).
fn is_openpgp(sig: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&sig[..sig.len().min(64)]);
    text.trim_start()
        .starts_with("-----BEGIN PGP SIGNATURE-----")
        || sig
            .first()
            .is_some_and(|b| (b & 0xC0) == 0x80 && ((b >> 2) & 0x0F) == 2 || *b == 0xC2)
}

/// The file a detached signature signs: its digests (an SSH signature signs one of them,
/// so the file is not read for it) and a way to read it (an OpenPGP signature hashes the
/// content itself).
pub struct SignedFile<'a, F> {
    pub sha256_hex: &'a str,
    pub sha512_hex: &'a str,
    /// Opens the file for reading from its start; called once per OpenPGP key tried.
    pub open: F,
}

/// The uploader's registered keys a signature is checked against.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignerKeys<'a> {
    /// SSH public keys, OpenSSH lines.
    pub ssh: &'a [&'a str],
    /// OpenPGP public keys, armored as [`crate::gpg::ParsedGpgKey::armored`].
    pub gpg: &'a [&'a str],
}

/// Checks the detached signature `sig` of `file` against `keys`, the uploader's
/// registered SSH and OpenPGP keys.
///
/// An SSH signature (`ssh-keygen -Y sign -n file`) is verified with the key it carries;
/// it is [`SignatureState::Verified`] when that key is one of the SSH keys, `Unverified`
/// (`unknown_key`) when it is not, and `Bad` when it does not match the file (`mismatch`)
/// or was made for another namespace (`wrong_namespace`). An OpenPGP signature (armored or
/// binary) is judged by [`crate::gpg::check_detached`]. Anything else is `Bad`
/// (`unreadable`). Only a failure to read the file is an error.
pub fn check_signature<F, R>(
    sig: &[u8],
    file: SignedFile<'_, F>,
    keys: SignerKeys<'_>,
) -> std::io::Result<SignatureVerdict>
where
    F: FnMut() -> std::io::Result<R>,
    R: std::io::Read,
{
    let text = String::from_utf8_lossy(sig);
    if text
        .trim_start()
        .starts_with("-----BEGIN SSH SIGNATURE-----")
    {
        return Ok(check_ssh_signature(
            &text,
            file.sha256_hex,
            file.sha512_hex,
            keys.ssh,
        ));
    }
    if is_openpgp(sig) {
        return crate::gpg::check_detached(sig, file.open, keys.gpg);
    }
    Ok(SignatureVerdict::new(
        SignatureState::Bad,
        "unreadable",
        String::new(),
    ))
}

fn check_ssh_signature(
    text: &str,
    sha256_hex: &str,
    sha512_hex: &str,
    keys: &[&str],
) -> SignatureVerdict {
    use SignatureState::{Bad, Unverified, Verified};
    let Ok(parsed) = text.trim().parse::<ssh_key::SshSig>() else {
        return SignatureVerdict::new(Bad, "unreadable", String::new());
    };
    let key = ssh_key::PublicKey::from(parsed.public_key().clone());
    let signer = key.fingerprint(ssh_key::HashAlg::Sha256).to_string();
    if parsed.namespace() != SSH_FILE_NAMESPACE {
        return SignatureVerdict::new(Bad, "wrong_namespace", signer);
    }
    let digest = match parsed.hash_alg() {
        ssh_key::HashAlg::Sha256 => unhex(sha256_hex),
        ssh_key::HashAlg::Sha512 => unhex(sha512_hex),
        _ => None,
    };
    let Some(digest) = digest else {
        return SignatureVerdict::new(Bad, "unreadable", signer);
    };
    if key
        .verify_prehash(SSH_FILE_NAMESPACE, &digest, &parsed)
        .is_err()
    {
        return SignatureVerdict::new(Bad, "mismatch", signer);
    }
    let registered = keys.iter().any(|k| {
        ssh_key::PublicKey::from_openssh(k.trim())
            .is_ok_and(|k| k.key_data() == parsed.public_key())
    });
    if registered {
        SignatureVerdict::new(Verified, "", signer)
    } else {
        SignatureVerdict::new(Unverified, "unknown_key", signer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`check_signature`] of a file known only by its digests (SSH signatures never read
    /// it; an OpenPGP signature here reads nothing).
    fn check(sig: &[u8], sha256: &str, sha512: &str, ssh: &[&str]) -> SignatureVerdict {
        let file = SignedFile {
            sha256_hex: sha256,
            sha512_hex: sha512,
            open: || Ok(&b""[..]),
        };
        let keys = SignerKeys { ssh, gpg: &[] };
        check_signature(sig, file, keys).expect("nothing to read")
    }

    #[test]
    fn asset_names() {
        assert_eq!(
            check_asset_name("  tool-1.0.tar.gz "),
            Ok("tool-1.0.tar.gz")
        );
        assert_eq!(check_asset_name("工具 1.0.zip"), Ok("工具 1.0.zip"));
        assert_eq!(check_asset_name(".hidden"), Ok(".hidden"));
        assert_eq!(check_asset_name(""), Err(ReleaseRuleError::AssetNameEmpty));
        assert_eq!(
            check_asset_name("   "),
            Err(ReleaseRuleError::AssetNameEmpty)
        );
        for bad in [
            "../etc/passwd",
            "a/b",
            "a\\b",
            "..",
            ".",
            "a\u{0}b",
            "a\nb",
            "a\u{7f}",
        ] {
            assert_eq!(
                check_asset_name(bad),
                Err(ReleaseRuleError::AssetNameInvalid),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_asset_name(&"a".repeat(256)),
            Err(ReleaseRuleError::AssetNameTooLong)
        );
        assert!(check_asset_name(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn texts() {
        assert_eq!(check_text("v1", "notes"), Ok(()));
        assert_eq!(
            check_text(&"字".repeat(256), ""),
            Err(ReleaseRuleError::TitleTooLong)
        );
        assert_eq!(check_text(&"字".repeat(255), ""), Ok(()));
        assert_eq!(
            check_text("", &"x".repeat(NOTE_MAX + 1)),
            Err(ReleaseRuleError::NoteTooLong)
        );
    }

    #[test]
    fn signatures_pair_with_their_files() {
        assert_eq!(signed_name("tool.tar.gz.asc"), Some("tool.tar.gz"));
        assert_eq!(signed_name("tool.tar.gz.SIG"), Some("tool.tar.gz"));
        assert_eq!(signed_name(".asc"), None);
        assert_eq!(signed_name("tool.tar.gz"), None);
        assert_eq!(signed_name("字.asc"), Some("字"));
        let names = ["tool.tar.gz", "tool.tar.gz.asc", "tool.zip", "other.sig"];
        assert_eq!(signature_of("tool.tar.gz", &names), Some("tool.tar.gz.asc"));
        assert_eq!(signature_of("tool.zip", &names), None);
        assert_eq!(signature_of("other", &names), Some("other.sig"));
    }

    // Made with OpenSSH: `printf 'tool 1.0\n' > f; ssh-keygen -Y sign -f KEY -n file f`.
    const SIGNED_SHA256: &str = "7903bf0ea0c929cc7f1e8a519857c962382cfc9d73a28ba54475182a8ae2182c";
    const SIGNED_SHA512: &str = "7689e496839d5f427b9b4330593af650017ba4ad19205ffe14c04fa6cfd15ced363f10b564ee895fff710a73d0e9ea3c9488a97dcab435f375c9f2044c483a1e";
    const ED_KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH5mSHblH443t4KbVOrKVQrM1BIy/Aq7VG8ubSH/yjSg signer";
    const RSA_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCwJfhXmCWtnE/xdJ0SienisO2Samy73apmxhOYtzdS2Dd8ZTdA8YcHuhktV0jfAeqIkILYtXtBH851HJvX+1KF8hUQWmPs+Q2CkqDFhHkMNG8IZydMRGNwCb8Om2Xf9Y6fvgLssqom3DDMqsUlWGE6TwQH+bguxAM9P59+r9aDquiJQF5gwmGAeb8KdHFS3GvcaIYxmDlEfZGjJpkkuCKPtyEjKW/AgjJYKHNpunN7bz2tz/vEmBYYF56tRFIDEg/cCNI3uabefv6LtCx7yr8cHZhz5yu0InujUgmfoJKiZruKdQHpuEsZZdvqeQtWPCOwLmMGOkXoQ/PKJaTW4z05 rsa";
    const ED_SIG: &str = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgfmZIduUfjje3gptU6spVCszUEj\nL8CrtUby5tIf/KNKAAAAAEZmlsZQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQyNTUx\nOQAAAED9lJnHfP7EITWeO+PMnKm5jktU8yLxnTFEQnCCyUppD1iCnWe9Fpfsb6PBOiJEZg\nSECrIp8hx7TzAL6GGdNfAC\n-----END SSH SIGNATURE-----\n";
    const RSA_SIG: &str = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAARcAAAAHc3NoLXJzYQAAAAMBAAEAAAEBALAl+FeYJa2cT/F0nRKJ6e\nKw7ZJqbLvdqmbGE5i3N1LYN3xlN0Dxhwe6GS1XSN8B6oiQgti1e0EfznUcm9f7UoXyFRBa\nY+z5DYKSoMWEeQw0bwhnJ0xEY3AJvw6bZd/1jp++AuyyqibcMMyqxSVYYTpPBAf5uC7EAz\n0/n36v1oOq6IlAXmDCYYB5vwp0cVLca9xohjGYOUR9kaMmmSS4Io+3ISMpb8CCMlgoc2m6\nc3tvPa3P+8SYFhgXnq1EUgMSD9wI0je5pt5+/ou0LHvKvxwdmHPnK7Qie6NSCZ+gkqJmu4\np1Aem4Sxll2+p5C1Y8I7AuYwY6RehD88olpNbjPTkAAAAEZmlsZQAAAAAAAAAGc2hhNTEy\nAAABFAAAAAxyc2Etc2hhMi01MTIAAAEAdw7IHshznQ60q0uA/Ne3zFh5yGSQrRb10YfFA3\nYbxesCRY1/XIos1tYbcWwfHxTirUhb7RQZ+fTCQ+WVxd73zyfgL9mqgmGZiwUL3kX7OA3I\noQGAxOAXGLRvNBnxuXywkhr9+FdjG85ZIoZogKDZ0f7ufzRbSEFG4Adq1yajBMRdGbfbxt\ndv8bny4AAOzd2hxLSgPV2KGks1sJ8LXlFwgY85YgHEa+lznEgc1So96A4VKhqjE3x4mayV\n+/t2P83t8lfHqyjeaEgHbxBWEc7AumHDBkgcaVINUSGV/cnO1sbBYpiJbDJyb5OAotJgji\nDT90XzlOEq8yteMUVIQpFPog==\n-----END SSH SIGNATURE-----\n";
    /// The Ed25519 key's signature in the `git` namespace.
    const GIT_SIG: &str = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgfmZIduUfjje3gptU6spVCszUEj\nL8CrtUby5tIf/KNKAAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5\nAAAAQMxgb4SvDRKlaZnVKqkk0ESJPD3aUrxddD/ndVjUihDdvE4v0wPmSLOUUgficoKURx\nKdiAzUs4WOapb1ZzUdbQQ=\n-----END SSH SIGNATURE-----\n";

    #[test]
    fn ssh_signatures_are_verified_against_registered_keys() {
        for (sig, key) in [(ED_SIG, ED_KEY), (RSA_SIG, RSA_KEY)] {
            let v = check(
                sig.as_bytes(),
                SIGNED_SHA256,
                SIGNED_SHA512,
                &[ED_KEY, RSA_KEY],
            );
            assert_eq!(v.state, SignatureState::Verified, "{v:?}");
            assert_eq!(v.reason, "");
            assert!(v.signer.starts_with("SHA256:"), "{v:?}");
            // Signed by a key the uploader has not registered.
            let v = check(sig.as_bytes(), SIGNED_SHA256, SIGNED_SHA512, &[]);
            assert_eq!(
                (v.state, v.reason),
                (SignatureState::Unverified, "unknown_key")
            );
            let _ = key;
        }
        // Another file's digests: the signature does not match.
        let other = "0".repeat(128);
        let v = check(ED_SIG.as_bytes(), &other[..64], &other, &[ED_KEY]);
        assert_eq!((v.state, v.reason), (SignatureState::Bad, "mismatch"));
        let v = check(GIT_SIG.as_bytes(), SIGNED_SHA256, SIGNED_SHA512, &[ED_KEY]);
        assert_eq!(
            (v.state, v.reason),
            (SignatureState::Bad, "wrong_namespace")
        );
        // A damaged signature.
        let damaged = ED_SIG.replace("OQAAAED9", "OQAAAED8");
        let v = check(damaged.as_bytes(), SIGNED_SHA256, SIGNED_SHA512, &[ED_KEY]);
        assert_eq!(v.state, SignatureState::Bad, "{v:?}");
    }

    #[test]
    fn damaged_openpgp_and_garbage_signatures() {
        // OpenPGP armor and packet headers around nothing that parses.
        let armored =
            b"-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n";
        let v = check(armored, SIGNED_SHA256, SIGNED_SHA512, &[ED_KEY]);
        assert_eq!((v.state, v.reason), (SignatureState::Bad, "unreadable"));
        for binary in [&[0x89u8, 0x01, 0x33][..], &[0xC2, 0x75, 0x04][..]] {
            let v = check(binary, SIGNED_SHA256, SIGNED_SHA512, &[]);
            assert_eq!(
                (v.state, v.reason),
                (SignatureState::Bad, "unreadable"),
                "{binary:?}"
            );
        }
        let v = check(b"not a signature", SIGNED_SHA256, SIGNED_SHA512, &[ED_KEY]);
        assert_eq!((v.state, v.reason), (SignatureState::Bad, "unreadable"));
        let v = check(
            b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
            SIGNED_SHA256,
            SIGNED_SHA512,
            &[ED_KEY],
        );
        assert_eq!((v.state, v.reason), (SignatureState::Bad, "unreadable"));
        for s in [
            SignatureState::Verified,
            SignatureState::Unverified,
            SignatureState::Bad,
        ] {
            assert_eq!(SignatureState::parse(s.as_str()), Some(s));
        }
    }
}
