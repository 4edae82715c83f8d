//! OpenPGP keys and signatures for tests: keys made by GnuPG once and kept as files
//! (`data/gpg`, see its README), keys and detached signatures made in the test with the
//! `pgp` crate (no external tool), and real `gpg` (from `PATH`) in a throw-away home for
//! tests that want GnuPG's own output.

use std::path::Path;
use std::process::Command;

use pgp::composed::{
    ArmorOptions, DetachedSignature, KeyType, SecretKeyParamsBuilder, SignedSecretKey,
    SubkeyParamsBuilder,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::ser::Serialize;
use pgp::types::{KeyDetails, Password};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

/// Alice's key (Ed25519, sign and certify; user ids `Alice Example <alice@example.org>` and
/// `Alice at work <alice@work.example>`; an Ed25519 signing subkey and a Curve25519
/// encryption subkey), as `gpg --armor --export` wrote it.
pub const ALICE_PUBLIC: &str = include_str!("../data/gpg/alice.pub.asc");
/// [`ALICE_PUBLIC`] after Bob certified it.
pub const ALICE_CERTIFIED: &str = include_str!("../data/gpg/alice.certified.pub.asc");
/// Alice's secret key (`--export-secret-keys`; passphrase [`ALICE_PASSPHRASE`]).
pub const ALICE_SECRET: &str = include_str!("../data/gpg/alice.sec.asc");
pub const ALICE_PASSPHRASE: &str = "''";
pub const ALICE_KEY_ID: &str = "8CB7595A0C62C3D6";
pub const ALICE_FINGERPRINT: &str = "63B2F2922E0EFA89A82A667F8CB7595A0C62C3D6";
/// Alice's signing subkey.
pub const ALICE_SIGNING_SUBKEY_ID: &str = "24784061DFAC70CA";
/// RSA 3072, `Bob Builder <bob@example.org>`; key id [`BOB_KEY_ID`].
pub const BOB_PUBLIC: &str = include_str!("../data/gpg/bob.pub.asc");
pub const BOB_KEY_ID: &str = "B623EAD508B6F970";
/// Made on 2020-01-01, expired a year later.
pub const EXPIRED_PUBLIC: &str = include_str!("../data/gpg/expired.pub.asc");
/// Revoked by its owner; key id [`REVOKED_KEY_ID`].
pub const REVOKED_PUBLIC: &str = include_str!("../data/gpg/revoked.pub.asc");
pub const REVOKED_KEY_ID: &str = "6AF615A0997C4ED0";
/// The content the signatures below sign.
pub const SIGNED: &[u8] = b"tool 1.0\n";
/// `gpg --detach-sign --armor` of [`SIGNED`] by Alice's signing subkey.
pub const SIGNED_BY_ALICE: &[u8] = include_bytes!("../data/gpg/f.asc");
/// The same, binary (`gpg --detach-sign`).
pub const SIGNED_BY_ALICE_BINARY: &[u8] = include_bytes!("../data/gpg/f.sig");
/// By Alice's primary key (`--local-user KEYID!`).
pub const SIGNED_BY_ALICE_PRIMARY: &[u8] = include_bytes!("../data/gpg/f.primary.asc");
/// By Bob, in text mode (`--textmode`, so line endings do not count).
pub const SIGNED_BY_BOB_TEXT: &[u8] = include_bytes!("../data/gpg/f.bob.asc");
/// Binary, by the revoked key before its revocation.
pub const SIGNED_BY_REVOKED: &[u8] = include_bytes!("../data/gpg/gone.sig");

/// A key made in the test: Ed25519, signing and certifying, with one user id and an
/// Ed25519 signing subkey; no passphrase. The same `seed` and time make the same key.
pub struct TestKey {
    secret: SignedSecretKey,
}

impl TestKey {
    /// A new key for `user_id` (`Name <email>`), its randomness from `seed`.
    pub fn new(user_id: &str, seed: u64) -> TestKey {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let subkey = SubkeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_sign(true)
            .build()
            .expect("subkey parameters");
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(user_id.to_owned())
            .subkey(subkey)
            .build()
            .expect("key parameters");
        let secret = params.generate(&mut rng).expect("key generated");
        TestKey { secret }
    }

    /// `gpg --armor --export`.
    pub fn public_armored(&self) -> String {
        self.secret
            .to_public_key()
            .to_armored_string(ArmorOptions::default())
            .expect("armored public key")
    }

    /// `gpg --armor --export-secret-keys`: what must never be registered.
    pub fn secret_armored(&self) -> String {
        self.secret
            .to_armored_string(ArmorOptions::default())
            .expect("armored secret key")
    }

    /// The primary key's id, 16 upper-case hex digits.
    pub fn key_id(&self) -> String {
        hex(self.secret.primary_key.legacy_key_id().as_ref())
    }

    /// The signing subkey's id.
    pub fn subkey_id(&self) -> String {
        hex(self.secret.secret_subkeys[0].key.legacy_key_id().as_ref())
    }

    /// A detached signature of `data` by the signing subkey, as `gpg --detach-sign`
    /// makes it: armored (`.asc`) or binary (`.sig`).
    pub fn sign(&self, data: &[u8], armored: bool) -> Vec<u8> {
        let rng = ChaCha20Rng::seed_from_u64(0);
        let sig = DetachedSignature::sign_binary_data(
            rng,
            &self.secret.secret_subkeys[0].key,
            &Password::empty(),
            HashAlgorithm::Sha256,
            data,
        )
        .expect("signed");
        if armored {
            sig.to_armored_bytes(ArmorOptions::default())
                .expect("armored signature")
        } else {
            sig.to_bytes().expect("binary signature")
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// GnuPG (`gpg` from `PATH`) with its own home directory, removed when dropped.
pub struct Gnupg {
    home: tempfile::TempDir,
}

impl Default for Gnupg {
    fn default() -> Self {
        Gnupg::new()
    }
}

impl Gnupg {
    pub fn new() -> Gnupg {
        let home = tempfile::Builder::new()
            .prefix("gnupg")
            .tempdir()
            .expect("a GnuPG home");
        Gnupg { home }
    }

    fn run(&self, args: &[&str], stdin_file: Option<&Path>) -> Vec<u8> {
        let mut cmd = Command::new("gpg");
        cmd.arg("--homedir")
            .arg(self.home.path())
            .args([
                "--batch",
                "--no-tty",
                "--quiet",
                "--pinentry-mode",
                "loopback",
            ])
            .args(["--passphrase", ""])
            .args(args);
        if let Some(file) = stdin_file {
            cmd.arg(file);
        }
        let out = cmd
            .output()
            .expect("run gpg (install GnuPG: the gnupg package)");
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Makes an Ed25519 key for `user_id` (`Name <email>`) that signs and certifies, no
    /// passphrase, no expiry.
    pub fn generate(&self, user_id: &str) {
        self.run(
            &["--quick-gen-key", user_id, "ed25519", "cert,sign", "never"],
            None,
        );
    }

    /// `gpg --armor --export user_id`.
    pub fn export(&self, user_id: &str) -> String {
        String::from_utf8(self.run(&["--armor", "--export", user_id], None)).expect("armor is text")
    }

    /// `gpg --local-user user_id --detach-sign --armor` of `file`.
    pub fn detach_sign_armor(&self, user_id: &str, file: &Path) -> Vec<u8> {
        self.run(
            &[
                "--local-user",
                user_id,
                "--detach-sign",
                "--armor",
                "--output",
                "-",
            ],
            Some(file),
        )
    }
}
