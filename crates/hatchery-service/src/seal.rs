//! Credentials kept for later use (a mirror's password, an import's token) are stored
//! sealed with a key derived from the site secret, so a copy of the database alone does
//! not give them away.

use base64::Engine as _;
use ring::aead;

impl crate::Forge {
    /// Seals stored credentials with a key derived from the site secret; call before
    /// sharing the forge (the web state does, with the signing secret).
    pub fn with_seal_key(mut self, site_secret: &str) -> crate::Forge {
        self.seal_key = Some(std::sync::Arc::new(SealKey::derive(site_secret)));
        self
    }

    pub(crate) fn seal_key(&self) -> Result<&SealKey, SealError> {
        self.seal_key.as_deref().ok_or(SealError)
    }
}

/// A sealed value cannot be opened (another key, damaged), or there is no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored credential cannot be decrypted (was the site secret changed?)")]
pub struct SealError;

/// The key stored credentials (mirror passwords, import tokens) are sealed with
/// (AES-256-GCM), derived from the site secret with HKDF-SHA256.
pub struct SealKey(Option<aead::LessSafeKey>);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey([redacted])")
    }
}

/// Marks the format of a sealed value: version, nonce, ciphertext with tag, base64.
const SEALED_PREFIX: &str = "v1:";

impl SealKey {
    /// The key for `secret`.
    pub fn derive(secret: &str) -> SealKey {
        struct Len;
        impl ring::hkdf::KeyType for Len {
            fn len(&self) -> usize {
                32
            }
        }
        let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"hatchery mirror credentials");
        let prk = salt.extract(secret.as_bytes());
        let mut bytes = [0u8; 32];
        // Expanding 32 bytes from SHA-256's PRK cannot fail (the limit is 255 * 32), and
        // AES-256-GCM takes any 32-byte key: `None` is never seen.
        let key = prk
            .expand(&[b"aes-256-gcm v1"], Len)
            .and_then(|okm| okm.fill(&mut bytes))
            .and_then(|()| aead::UnboundKey::new(&aead::AES_256_GCM, &bytes))
            .ok()
            .map(aead::LessSafeKey::new);
        SealKey(key)
    }

    /// Seals a secret: empty stays empty; otherwise a fresh random nonce each time.
    pub fn seal(&self, plain: &str) -> Result<String, SealError> {
        if plain.is_empty() {
            return Ok(String::new());
        }
        let nonce: [u8; 12] = rand::random();
        let mut data = plain.as_bytes().to_vec();
        let key = self.0.as_ref().ok_or(SealError)?;
        key.seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(SEALED_PREFIX.as_bytes()),
            &mut data,
        )
        .map_err(|_| SealError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        ))
    }

    /// Opens a sealed value; [`SealError`] when it was sealed with another
    /// key or is damaged.
    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        if sealed.is_empty() {
            return Ok(String::new());
        }
        let raw = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .ok_or(SealError)?;
        if raw.len() < 12 + aead::AES_256_GCM.tag_len() {
            return Err(SealError);
        }
        let (nonce, body) = raw.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| SealError)?;
        let mut body = body.to_vec();
        let key = self.0.as_ref().ok_or(SealError)?;
        let plain = key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(SEALED_PREFIX.as_bytes()),
                &mut body,
            )
            .map_err(|_| SealError)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing() {
        let key = SealKey::derive("a site secret of some length 0123456789");
        let a = key.seal("token-123").unwrap();
        let b = key.seal("token-123").unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!a.contains("token-123"));
        assert_eq!(key.open(&a).unwrap(), "token-123");
        assert_eq!(key.seal("").unwrap(), "");
        assert_eq!(key.open("").unwrap(), "");
        let other = SealKey::derive("another secret entirely, 0123456789");
        assert!(matches!(other.open(&a), Err(SealError)));
        // One character of the ciphertext changed: the tag no longer matches.
        let mut damaged: Vec<char> = a.chars().collect();
        damaged[20] = if damaged[20] == 'A' { 'B' } else { 'A' };
        let damaged: String = damaged.into_iter().collect();
        assert!(key.open(&damaged).is_err());
        for bad in ["v1:", "v1:@@@", "v2:AAAA", "plain"] {
            assert!(key.open(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{key:?}"), "SealKey([redacted])");
    }
}
