//! OpenPGP (GnuPG) rules that need no IO: which public keys an account may register (an
//! armored key as `gpg --armor --export` writes it) and whether a detached signature of a
//! file was made by one of them. Built on the `pgp` crate (rpgp).
//!
//! A key is judged by its self-signatures only: a user id counts when the primary key
//! certified it (and did not revoke that), a subkey when the primary key bound it, and a
//! subkey signs only when its binding says so and carries the subkey's back-signature, as
//! GnuPG requires. Third-party certifications, photo ids and revoked parts are dropped: the
//! key kept ([`ParsedGpgKey::armored`]) is the primary key with what it says about itself.
//! The newest valid self-signature (of the primary user id first) gives the primary key's
//! usage and expiry.

use std::io::{self, Read};

use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, PublicOrSecret, SignedKeyDetails,
    SignedPublicKey, SignedPublicSubKey,
};
use pgp::packet::{PublicKey, PublicSubkey, Signature, SignatureType, SubpacketData};
use pgp::types::{KeyDetails, SignedUser, Tag};

use crate::releases::{SignatureState, SignatureVerdict};

/// Longest key text accepted (a key with many user ids and subkeys stays far below; what
/// is big in exported keys is third-party certifications, which are dropped anyway).
pub const GPG_KEY_TEXT_MAX: usize = 256 * 1024;

const PUBLIC_BLOCK: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
const PRIVATE_BLOCK: &str = "-----BEGIN PGP PRIVATE KEY BLOCK-----";

/// What a (sub)key may be used for, from its newest valid self-signature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyUsage {
    pub sign: bool,
    pub certify: bool,
    pub encrypt_comms: bool,
    pub encrypt_storage: bool,
}

/// A subkey bound to a registered key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpgSubkey {
    /// The 64-bit key id, 16 upper-case hex digits (as `gpg --keyid-format long` prints).
    pub key_id: String,
    /// Upper-case hex, no spaces.
    pub fingerprint: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    /// `sign` only when the binding says so and the subkey signed it back.
    pub usage: KeyUsage,
}

/// A public key that may be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedGpgKey {
    /// The primary key's 64-bit key id, 16 upper-case hex digits.
    pub key_id: String,
    /// The primary key's fingerprint, upper-case hex, no spaces.
    pub fingerprint: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub usage: KeyUsage,
    /// The self-certified user ids (`Name (comment) <email>`), the primary one first.
    pub user_ids: Vec<String>,
    pub subkeys: Vec<GpgSubkey>,
    /// The key as kept: armored, with only its own valid self-signatures.
    pub armored: String,
}

/// Why a key was refused. `message_key` names the catalog message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpgKeyError {
    #[error("empty key")]
    Empty,
    #[error("key text longer than {GPG_KEY_TEXT_MAX} bytes")]
    TooLong,
    #[error("this is a secret (private) key; paste the public key (gpg --armor --export)")]
    Secret,
    #[error("not an armored OpenPGP public key")]
    NotPublicKey,
    #[error("more than one key; add one key at a time")]
    SeveralKeys,
    #[error("the key has no user id certified by itself")]
    NoUserId,
    #[error("the key is revoked")]
    Revoked,
    /// Unix milliseconds.
    #[error("the key expired")]
    Expired { at: i64 },
}

impl GpgKeyError {
    pub fn message_key(&self) -> &'static str {
        match self {
            GpgKeyError::Empty => "error.field.required",
            GpgKeyError::TooLong => "error.gpgkey.too_long",
            GpgKeyError::Secret => "error.gpgkey.secret",
            GpgKeyError::NotPublicKey => "error.gpgkey.invalid",
            GpgKeyError::SeveralKeys => "error.gpgkey.several",
            GpgKeyError::NoUserId => "error.gpgkey.no_user_id",
            GpgKeyError::Revoked => "error.gpgkey.revoked",
            GpgKeyError::Expired { .. } => "error.gpgkey.expired",
        }
    }

    /// Values for the catalog message's placeholders (`at` is unix milliseconds; the
    /// caller formats it as a date).
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            GpgKeyError::TooLong => vec![("max", (GPG_KEY_TEXT_MAX / 1024).to_string())],
            GpgKeyError::Expired { at } => vec![("at", at.to_string())],
            _ => vec![],
        }
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn key_id_of(key: &impl KeyDetails) -> String {
    hex_upper(key.legacy_key_id().as_ref())
}

fn fingerprint_of(key: &impl KeyDetails) -> String {
    hex_upper(key.fingerprint().as_bytes())
}

fn secs_ms(secs: u32) -> i64 {
    i64::from(secs) * 1000
}

fn created_secs(sig: &Signature) -> u32 {
    sig.created().map(|t| t.as_secs()).unwrap_or(0)
}

/// The newest of `sigs` by creation time (the last one among equals).
fn newest<'a>(sigs: impl IntoIterator<Item = &'a Signature>) -> Option<&'a Signature> {
    sigs.into_iter()
        .fold(None, |best: Option<&Signature>, s| match best {
            Some(b) if created_secs(b) > created_secs(s) => Some(b),
            _ => Some(s),
        })
}

/// Whether `sig` says it was made by `key` (or says nothing about who made it).
fn issued_by(sig: &Signature, key: &impl KeyDetails) -> bool {
    let ids = sig.issuer_key_id();
    let fps = sig.issuer_fingerprint();
    (ids.is_empty() && fps.is_empty())
        || ids.iter().any(|id| **id == key.legacy_key_id())
        || fps.iter().any(|fp| **fp == key.fingerprint())
}

fn has_key_flags(sig: &Signature) -> bool {
    sig.config().is_some_and(|c| {
        c.hashed_subpackets()
            .any(|p| matches!(p.data, SubpacketData::KeyFlags(_)))
    })
}

fn usage_of(sig: &Signature, primary: bool) -> KeyUsage {
    if !has_key_flags(sig) {
        // No flags: a primary key signs and certifies (what keys older than key flags did).
        return KeyUsage {
            sign: primary,
            certify: primary,
            ..KeyUsage::default()
        };
    }
    let f = sig.key_flags();
    KeyUsage {
        sign: f.sign(),
        certify: f.certify(),
        encrypt_comms: f.encrypt_comms(),
        encrypt_storage: f.encrypt_storage(),
    }
}

/// The expiry a self-signature gives a key created at `created_secs`.
fn expiry_of(sig: &Signature, created_secs: u32) -> Option<i64> {
    sig.key_expiration_time()
        .map(|d| d.as_secs())
        .filter(|d| *d > 0)
        .map(|d| secs_ms(created_secs) + secs_ms(d))
}

/// A key judged by its self-signatures.
struct Evaluated {
    info: ParsedGpgKey,
    revoked: bool,
    cleaned: SignedPublicKey,
}

fn evaluate(key: &SignedPublicKey) -> Result<Evaluated, GpgKeyError> {
    let primary = &key.primary_key;
    let self_made = |s: &&Signature| issued_by(s, primary);
    let revoked = key.details.revocation_signatures.iter().any(|s| {
        s.typ() == Some(SignatureType::KeyRevocation)
            && issued_by(s, primary)
            && s.verify_key(primary).is_ok()
    });
    let direct: Vec<Signature> = key
        .details
        .direct_signatures
        .iter()
        .filter(self_made)
        .filter(|s| s.typ() == Some(SignatureType::Key) && s.verify_key(primary).is_ok())
        .cloned()
        .collect();
    let mut users: Vec<SignedUser> = Vec::new();
    for user in &key.details.users {
        let valid: Vec<&Signature> = user
            .signatures
            .iter()
            .filter(self_made)
            .filter(|s| {
                s.verify_certification(primary, Tag::UserId, &user.id)
                    .is_ok()
            })
            .collect();
        let certs: Vec<Signature> = valid
            .iter()
            .filter(|s| s.typ() != Some(SignatureType::CertRevocation))
            .map(|s| (*s).clone())
            .collect();
        let revoked_id = valid
            .iter()
            .any(|s| s.typ() == Some(SignatureType::CertRevocation));
        if !certs.is_empty() && !revoked_id {
            users.push(SignedUser::new(user.id.clone(), certs));
        }
    }
    // The primary user id first, as GnuPG picks it: one whose newest self-signature says it
    // is primary, else the one certified last; then the others, newest first.
    users.sort_by(|a, b| {
        let rank = |u: &SignedUser| {
            let sig = newest(&u.signatures);
            (
                sig.is_some_and(Signature::is_primary),
                sig.map(created_secs).unwrap_or(0),
            )
        };
        rank(b).cmp(&rank(a)).then_with(|| a.id.id().cmp(b.id.id()))
    });
    if users.is_empty() {
        return Err(GpgKeyError::NoUserId);
    }
    let created = primary.created_at().as_secs();
    let binding = newest(&users[0].signatures)
        .or_else(|| newest(&direct))
        .ok_or(GpgKeyError::NoUserId)?;
    let usage = usage_of(binding, true);
    let expires_at = expiry_of(binding, created);

    let mut subkeys = Vec::new();
    let mut kept_subkeys = Vec::new();
    for sub in &key.public_subkeys {
        let valid = |s: &&Signature| {
            issued_by(s, primary) && s.verify_subkey_binding(primary, &sub.key).is_ok()
        };
        let sub_revoked = sub
            .signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::SubkeyRevocation))
            .any(|s| valid(&s));
        let bindings: Vec<Signature> = sub
            .signatures
            .iter()
            .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding))
            .filter(valid)
            .cloned()
            .collect();
        let Some(binding) = newest(&bindings) else {
            continue;
        };
        if sub_revoked {
            continue;
        }
        let sub_created = sub.key.created_at().as_secs();
        let mut usage = usage_of(binding, false);
        usage.sign = usage.sign
            && binding
                .embedded_signature()
                .is_some_and(|back| back.verify_primary_key_binding(&sub.key, primary).is_ok());
        subkeys.push(GpgSubkey {
            key_id: key_id_of(&sub.key),
            fingerprint: fingerprint_of(&sub.key),
            created_at: secs_ms(sub_created),
            expires_at: expiry_of(binding, sub_created),
            usage,
        });
        kept_subkeys.push(SignedPublicSubKey::new(sub.key.clone(), bindings));
    }
    let user_ids = users
        .iter()
        .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
        .collect();
    let cleaned = SignedPublicKey::new(
        primary.clone(),
        SignedKeyDetails::new(Vec::new(), direct, users, Vec::new()),
        kept_subkeys,
    );
    let armored = cleaned
        .to_armored_string(ArmorOptions::default())
        .map_err(|_| GpgKeyError::NotPublicKey)?;
    Ok(Evaluated {
        info: ParsedGpgKey {
            key_id: key_id_of(primary),
            fingerprint: fingerprint_of(primary),
            created_at: secs_ms(created),
            expires_at,
            usage,
            user_ids,
            subkeys,
            armored,
        },
        revoked,
        cleaned,
    })
}

/// Parses one armored public key as a person pastes it, at `now_ms`: refuses secret keys,
/// anything that is not one public key, keys without a self-certified user id, and revoked
/// or expired keys, each with a reason.
pub fn parse_gpg_key(text: &str, now_ms: i64) -> Result<ParsedGpgKey, GpgKeyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(GpgKeyError::Empty);
    }
    if text.len() > GPG_KEY_TEXT_MAX {
        return Err(GpgKeyError::TooLong);
    }
    if text.contains(PRIVATE_BLOCK) {
        return Err(GpgKeyError::Secret);
    }
    let Some(start) = text.find(PUBLIC_BLOCK) else {
        return Err(GpgKeyError::NotPublicKey);
    };
    let (keys, _) = PublicOrSecret::from_armor_many(&text.as_bytes()[start..])
        .map_err(|_| GpgKeyError::NotPublicKey)?;
    let keys = keys
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| GpgKeyError::NotPublicKey)?;
    let key = match <[_; 1]>::try_from(keys) {
        Ok([PublicOrSecret::Public(key)]) => key,
        Ok([PublicOrSecret::Secret(_)]) => return Err(GpgKeyError::Secret),
        Err(keys) if keys.is_empty() => return Err(GpgKeyError::NotPublicKey),
        Err(keys) if keys.iter().any(PublicOrSecret::is_secret) => {
            return Err(GpgKeyError::Secret);
        }
        Err(_) => return Err(GpgKeyError::SeveralKeys),
    };
    let evaluated = evaluate(&key)?;
    if evaluated.revoked {
        return Err(GpgKeyError::Revoked);
    }
    if let Some(at) = evaluated.info.expires_at
        && at <= now_ms
    {
        return Err(GpgKeyError::Expired { at });
    }
    Ok(evaluated.info)
}

/// The email address of a user id: what stands between its last `<` and `>`, or the
/// whole user id when it is a bare address.
pub fn email_of(user_id: &str) -> Option<&str> {
    let user_id = user_id.trim();
    if let (Some(open), Some(close)) = (user_id.rfind('<'), user_id.rfind('>'))
        && open < close
    {
        let inner = user_id[open + 1..close].trim();
        return inner.contains('@').then_some(inner);
    }
    (user_id.contains('@') && !user_id.contains(char::is_whitespace)).then_some(user_id)
}

/// One key that may have made a signature: a registered primary key or one of its
/// subkeys.
struct Signer {
    key: SignerKey,
    key_id: String,
    created_secs: u32,
    expires_at: Option<i64>,
    sign: bool,
    /// The primary user id of the registered key.
    identity: String,
}

enum SignerKey {
    Primary(PublicKey),
    Sub(PublicSubkey),
}

impl Signer {
    fn made(&self, sig: &Signature) -> bool {
        match &self.key {
            SignerKey::Primary(k) => issued_by(sig, k),
            SignerKey::Sub(k) => issued_by(sig, k),
        }
    }

    fn verify(&self, sig: &Signature, data: impl Read) -> pgp::errors::Result<()> {
        match &self.key {
            SignerKey::Primary(k) => sig.verify(k, data),
            SignerKey::Sub(k) => sig.verify(k, data),
        }
    }

    /// Whether the key could sign when `sig` was made: a signing key, created before and
    /// not expired.
    fn valid_for(&self, sig: &Signature) -> bool {
        let Some(made) = sig.created().map(|t| t.as_secs()) else {
            return false;
        };
        self.sign
            && made >= self.created_secs
            && self.expires_at.is_none_or(|at| secs_ms(made) < at)
    }
}

/// The keys of registered (armored) keys that may have signed: every primary key and
/// subkey of a key that is not revoked.
fn signers(keys: &[&str]) -> Vec<Signer> {
    let mut out = Vec::new();
    for text in keys {
        let Ok((key, _)) = SignedPublicKey::from_string(text) else {
            continue;
        };
        let Ok(e) = evaluate(&key) else {
            continue;
        };
        if e.revoked {
            continue;
        }
        let identity = e.info.user_ids.first().cloned().unwrap_or_default();
        out.push(Signer {
            key: SignerKey::Primary(e.cleaned.primary_key.clone()),
            key_id: e.info.key_id.clone(),
            created_secs: e.cleaned.primary_key.created_at().as_secs(),
            expires_at: e.info.expires_at,
            sign: e.info.usage.sign,
            identity: identity.clone(),
        });
        for (sub, info) in e.cleaned.public_subkeys.iter().zip(&e.info.subkeys) {
            out.push(Signer {
                key: SignerKey::Sub(sub.key.clone()),
                key_id: info.key_id.clone(),
                created_secs: sub.key.created_at().as_secs(),
                // A subkey lives no longer than its primary key.
                expires_at: match (info.expires_at, e.info.expires_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                },
                sign: info.usage.sign,
                identity: identity.clone(),
            });
        }
    }
    out
}

/// The key id a signature names as its maker (from the issuer fingerprint when there is
/// one), 16 upper-case hex digits; empty when it names none.
fn issuer_label(sig: &Signature) -> String {
    if let Some(fp) = sig.issuer_fingerprint().first() {
        let bytes = fp.as_bytes();
        // A v4 key id is the fingerprint's last 8 bytes, a v6 one its first 8.
        let id = if bytes.len() == 20 {
            &bytes[12..]
        } else {
            &bytes[..bytes.len().min(8)]
        };
        return hex_upper(id);
    }
    sig.issuer_key_id()
        .first()
        .map(|id| hex_upper(id.as_ref()))
        .unwrap_or_default()
}

/// A reader that keeps the first IO error it met, so that a failure to read the signed
/// file is told apart from a signature that does not match it.
struct Tracked<R> {
    inner: R,
    error: Option<io::Error>,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if self.error.is_none() {
                self.error = Some(io::Error::new(e.kind(), e.to_string()));
            }
        })
    }
}

fn rank(v: &SignatureVerdict) -> u8 {
    match (v.state, v.reason) {
        (SignatureState::Verified, _) => 4,
        (SignatureState::Bad, _) => 3,
        (SignatureState::Unverified, "key_not_valid") => 2,
        _ => 1,
    }
}

/// Checks an OpenPGP detached signature (armored or binary; one or more signature packets)
/// of the file `open` reads (opened again for each key tried) against `keys`, the
/// uploader's registered keys (armored, as [`ParsedGpgKey::armored`]).
///
/// [`SignatureState::Verified`] (signer: the signing key's id; identity: the key's primary
/// user id) when a registered primary key or subkey made it, could sign then and the
/// signature matches the file; `Unverified` when no registered key made it
/// (`unknown_key`, the signer being the key id it names) or the key that made it was not
/// valid for signing at the time (`key_not_valid`); `Bad` when a registered key made it
/// and it does not match the file (`mismatch`), or when it is no data signature or cannot
/// be read (`unreadable`). Of several signatures in one file the best outcome counts.
/// Only a failure to read the file is an error.
pub fn check_detached<F, R>(sig: &[u8], mut open: F, keys: &[&str]) -> io::Result<SignatureVerdict>
where
    F: FnMut() -> io::Result<R>,
    R: Read,
{
    let unreadable = || SignatureVerdict::new(SignatureState::Bad, "unreadable", String::new());
    let parsed = DetachedSignature::from_reader_many(sig)
        .ok()
        .and_then(|(sigs, _)| sigs.collect::<Result<Vec<_>, _>>().ok());
    let Some(sigs) = parsed.filter(|s| !s.is_empty()) else {
        return Ok(unreadable());
    };
    if sigs.iter().any(|s| {
        !matches!(
            s.signature.typ(),
            Some(SignatureType::Binary | SignatureType::Text)
        )
    }) {
        return Ok(unreadable());
    }
    let candidates = signers(keys);
    let mut best: Option<SignatureVerdict> = None;
    for s in sigs.iter().map(|d| &d.signature) {
        let mut found = Vec::new();
        let makers: Vec<&Signer> = candidates.iter().filter(|c| c.made(s)).collect();
        if makers.is_empty() {
            found.push(SignatureVerdict::new(
                SignatureState::Unverified,
                "unknown_key",
                issuer_label(s),
            ));
        }
        for signer in makers {
            let mut data = Tracked {
                inner: io::BufReader::with_capacity(64 * 1024, open()?),
                error: None,
            };
            let verdict = match signer.verify(s, &mut data) {
                Ok(()) if signer.valid_for(s) => {
                    let mut v =
                        SignatureVerdict::new(SignatureState::Verified, "", signer.key_id.clone());
                    v.identity.clone_from(&signer.identity);
                    v
                }
                Ok(()) => SignatureVerdict::new(
                    SignatureState::Unverified,
                    "key_not_valid",
                    signer.key_id.clone(),
                ),
                Err(_) => {
                    if let Some(e) = data.error {
                        return Err(e);
                    }
                    SignatureVerdict::new(SignatureState::Bad, "mismatch", signer.key_id.clone())
                }
            };
            found.push(verdict);
        }
        for v in found {
            if best.as_ref().is_none_or(|b| rank(&v) > rank(b)) {
                best = Some(v);
            }
        }
    }
    Ok(best.unwrap_or_else(unreadable))
}

#[cfg(test)]
mod tests {
    use super::*;

    use hatchery_testkit::gpg::{
        ALICE_CERTIFIED, ALICE_PASSPHRASE, ALICE_PUBLIC as ALICE, ALICE_SECRET, BOB_PUBLIC as BOB,
        EXPIRED_PUBLIC as EXPIRED, REVOKED_PUBLIC as REVOKED, SIGNED, SIGNED_BY_ALICE as BY_SUBKEY,
        SIGNED_BY_ALICE_BINARY as BY_SUBKEY_BINARY, SIGNED_BY_ALICE_PRIMARY as BY_PRIMARY,
        SIGNED_BY_BOB_TEXT as BY_BOB_TEXT, SIGNED_BY_REVOKED as BY_REVOKED,
    };

    /// 2026-12-06, when the keys above were made; 2027-01-01.
    const NOW: i64 = 1_798_761_600_000;

    fn check(sig: &[u8], content: &[u8], keys: &[&str]) -> SignatureVerdict {
        check_detached(sig, || Ok(content), keys).expect("reads from memory")
    }

    #[test]
    fn parses_a_key_with_user_ids_and_subkeys() {
        let k = parse_gpg_key(ALICE, NOW).expect("alice");
        assert_eq!(k.key_id, "8CB7595A0C62C3D6");
        assert_eq!(k.fingerprint, "63B2F2922E0EFA89A82A667F8CB7595A0C62C3D6");
        assert_eq!(k.expires_at, None);
        assert!(k.usage.sign && k.usage.certify && !k.usage.encrypt_comms);
        assert_eq!(k.user_ids.len(), 2, "{:?}", k.user_ids);
        assert!(
            k.user_ids
                .contains(&"Alice Example <alice@example.org>".to_owned())
        );
        assert!(
            k.user_ids
                .contains(&"Alice at work <alice@work.example>".to_owned())
        );
        assert_eq!(k.subkeys.len(), 2);
        assert_eq!(k.subkeys[0].key_id, "24784061DFAC70CA");
        assert!(k.subkeys[0].usage.sign && !k.subkeys[0].usage.encrypt_comms);
        assert_eq!(k.subkeys[1].key_id, "BD2422221C2E778D");
        assert!(!k.subkeys[1].usage.sign && k.subkeys[1].usage.encrypt_comms);
        assert!(k.created_at > 1_790_000_000_000 && k.created_at < NOW);
        // What is kept parses to the same key.
        assert_eq!(parse_gpg_key(&k.armored, NOW), Ok(k.clone()));
        // Surrounding text (as from an email) is ignored.
        let pasted = format!("Here is my key:\n\n{ALICE}\nThanks");
        assert_eq!(parse_gpg_key(&pasted, NOW), Ok(k));
    }

    #[test]
    fn third_party_certifications_are_dropped() {
        let plain = parse_gpg_key(ALICE, NOW).expect("alice");
        let certified = parse_gpg_key(ALICE_CERTIFIED, NOW).expect("certified by Bob");
        assert!(ALICE_CERTIFIED.len() > ALICE.len() + 500);
        assert_eq!(certified, plain);
    }

    #[test]
    fn refusals() {
        assert_eq!(parse_gpg_key("  \n", NOW), Err(GpgKeyError::Empty));
        assert_eq!(parse_gpg_key(ALICE_SECRET, NOW), Err(GpgKeyError::Secret));
        // Secret key packets under a public header.
        let disguised = ALICE_SECRET.replace("PRIVATE KEY", "PUBLIC KEY");
        assert_eq!(parse_gpg_key(&disguised, NOW), Err(GpgKeyError::Secret));
        for garbage in [
            "not a key",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH5mSHblH443t4KbVOrKVQrM1BIy/Aq7VG8ubSH/yjSg",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all\n-----END PGP PUBLIC KEY BLOCK-----\n",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n",
        ] {
            assert_eq!(
                parse_gpg_key(garbage, NOW),
                Err(GpgKeyError::NotPublicKey),
                "{garbage}"
            );
        }
        let signature = String::from_utf8_lossy(BY_SUBKEY).into_owned();
        assert_eq!(
            parse_gpg_key(&signature, NOW),
            Err(GpgKeyError::NotPublicKey)
        );
        // Two keys in one block.
        let (a, b) = (armored_body(ALICE), armored_body(BOB));
        let both = format!(
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n{}\n-----END PGP PUBLIC KEY BLOCK-----\n",
            rearmor(&[a, b].concat())
        );
        assert_eq!(parse_gpg_key(&both, NOW), Err(GpgKeyError::SeveralKeys));
        assert_eq!(parse_gpg_key(REVOKED, NOW), Err(GpgKeyError::Revoked));
        // Made on 2020-01-01 for a year.
        match parse_gpg_key(EXPIRED, NOW) {
            Err(GpgKeyError::Expired { at }) => {
                assert!((1_609_000_000_000..1_610_000_000_000).contains(&at), "{at}")
            }
            other => panic!("{other:?}"),
        }
        // Before it expired it was fine.
        assert!(parse_gpg_key(EXPIRED, 1_590_000_000_000).is_ok());
        let huge = "x".repeat(GPG_KEY_TEXT_MAX + 1);
        assert_eq!(parse_gpg_key(&huge, NOW), Err(GpgKeyError::TooLong));
        for e in [GpgKeyError::TooLong, GpgKeyError::Expired { at: 1 }] {
            assert!(e.message_key().starts_with("error.gpgkey."));
            assert_eq!(e.args().len(), 1);
        }
    }

    /// The binary packets of an armored block.
    fn armored_body(text: &str) -> Vec<u8> {
        let (key, _) = SignedPublicKey::from_string(text).expect("a key");
        pgp::ser::Serialize::to_bytes(&key).expect("serializes")
    }

    fn rearmor(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn emails_of_user_ids() {
        assert_eq!(
            email_of("Alice Example <alice@example.org>"),
            Some("alice@example.org")
        );
        assert_eq!(
            email_of("Alice (work) <alice@work.example>"),
            Some("alice@work.example")
        );
        assert_eq!(email_of("alice@example.org"), Some("alice@example.org"));
        assert_eq!(email_of("Alice"), None);
        assert_eq!(email_of("Alice <no address>"), None);
    }

    #[test]
    fn signatures_verify_against_registered_keys() {
        let alice = parse_gpg_key(ALICE, NOW).expect("alice").armored;
        let bob = parse_gpg_key(BOB, NOW).expect("bob").armored;
        for sig in [BY_SUBKEY, BY_SUBKEY_BINARY] {
            let v = check(sig, SIGNED, &[&bob, &alice]);
            assert_eq!(v.state, SignatureState::Verified, "{v:?}");
            assert_eq!(v.reason, "");
            assert_eq!(v.signer, "24784061DFAC70CA");
            assert!(v.identity.starts_with("Alice "), "{v:?}");
        }
        let v = check(BY_PRIMARY, SIGNED, &[&alice]);
        assert_eq!(
            (v.state, v.signer.as_str()),
            (SignatureState::Verified, "8CB7595A0C62C3D6")
        );
        // RSA, text mode: line endings do not matter.
        let v = check(BY_BOB_TEXT, b"tool 1.0\r\n", &[&alice, &bob]);
        assert_eq!(v.state, SignatureState::Verified, "{v:?}");
        assert_eq!(v.identity, "Bob Builder <bob@example.org>");
        // Not the uploader's key: the key id the signature names.
        let v = check(BY_BOB_TEXT, SIGNED, &[&alice]);
        assert_eq!(
            (v.state, v.reason, v.signer.as_str()),
            (
                SignatureState::Unverified,
                "unknown_key",
                "B623EAD508B6F970"
            )
        );
        let v = check(BY_REVOKED, SIGNED, &[]);
        assert_eq!(
            (v.state, v.reason, v.signer.as_str()),
            (
                SignatureState::Unverified,
                "unknown_key",
                "6AF615A0997C4ED0"
            )
        );
        // Another file.
        let v = check(BY_SUBKEY, b"tool 1.1\n", &[&alice]);
        assert_eq!(
            (v.state, v.reason, v.signer.as_str()),
            (SignatureState::Bad, "mismatch", "24784061DFAC70CA")
        );
        // Garbage in armor, a key where a signature should be.
        let v = check(ALICE.as_bytes(), SIGNED, &[&alice]);
        assert_eq!((v.state, v.reason), (SignatureState::Bad, "unreadable"));
        // A file that cannot be read is an error, not a bad signature.
        let err = check_detached(
            BY_SUBKEY,
            || Err::<&[u8], _>(io::Error::other("disk gone")),
            &[&alice],
        );
        assert!(err.is_err());
    }

    #[test]
    fn a_signature_made_outside_the_keys_lifetime_is_not_verified() {
        use pgp::composed::SignedSecretKey;
        use pgp::crypto::hash::HashAlgorithm;
        use pgp::packet::{SignatureConfig, Subpacket};
        use pgp::types::{Password, Timestamp};

        let (secret, _) = SignedSecretKey::from_string(ALICE_SECRET).expect("secret key");
        let signing = &secret.secret_subkeys[0].key;
        let mut config = SignatureConfig::v4(
            SignatureType::Binary,
            signing.algorithm(),
            HashAlgorithm::Sha256,
        );
        config.hashed_subpackets = vec![
            Subpacket::regular(SubpacketData::SignatureCreationTime(Timestamp::from_secs(
                1_500_000_000,
            )))
            .expect("subpacket"),
            Subpacket::regular(SubpacketData::IssuerFingerprint(signing.fingerprint()))
                .expect("subpacket"),
        ];
        let sig = config
            .sign(signing, &Password::from(ALICE_PASSPHRASE), SIGNED)
            .expect("signs");
        let armored = DetachedSignature::new(sig)
            .to_armored_bytes(ArmorOptions::default())
            .expect("armors");
        let alice = parse_gpg_key(ALICE, NOW).expect("alice").armored;
        let v = check(&armored, SIGNED, &[&alice]);
        assert_eq!(
            (v.state, v.reason, v.signer.as_str()),
            (
                SignatureState::Unverified,
                "key_not_valid",
                "24784061DFAC70CA"
            )
        );
    }
}
