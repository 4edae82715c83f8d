use std::fmt;
use std::str::FromStr;

/// A SHA-1 object id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Oid([u8; 20]);

/// The error of parsing an [`Oid`] from hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object id {0:?}: expected 40 hexadecimal digits")]
pub struct InvalidOid(pub String);

impl Oid {
    /// The all-zero id git uses for "no object" (ref creation and deletion).
    pub const ZERO: Oid = Oid([0; 20]);

    /// Build from 20 raw bytes.
    pub const fn from_bytes(bytes: [u8; 20]) -> Self {
        Oid(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Parse 40 hex digits (lower or upper case).
    pub fn from_hex(hex: &[u8]) -> Result<Self, InvalidOid> {
        let invalid = || InvalidOid(String::from_utf8_lossy(hex).into_owned());
        if hex.len() != 40 {
            return Err(invalid());
        }
        let mut out = [0u8; 20];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or_else(invalid)?;
            let lo = hex_val(pair[1]).ok_or_else(invalid)?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Oid(out))
    }

    /// Whether this is [`Oid::ZERO`].
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 20]
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    pub(crate) fn to_gix(self) -> gix::ObjectId {
        gix::ObjectId::Sha1(self.0)
    }

    pub(crate) fn from_gix(id: &gix::oid) -> Self {
        let mut out = [0u8; 20];
        let bytes = id.as_bytes();
        let n = bytes.len().min(20);
        out[..n].copy_from_slice(&bytes[..n]);
        Oid(out)
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 40];
        for (i, b) in self.0.iter().enumerate() {
            buf[2 * i] = HEX[(b >> 4) as usize];
            buf[2 * i + 1] = HEX[(b & 0xf) as usize];
        }
        // The buffer only holds ASCII hex digits.
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl FromStr for Oid {
    type Err = InvalidOid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Oid::from_hex(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let hex = "0123456789abcdef0123456789abcdef01234567";
        let oid: Oid = hex.parse().unwrap();
        assert_eq!(oid.to_string(), hex);
        assert_eq!(Oid::from_gix(&oid.to_gix()), oid);
        assert!(!oid.is_zero());
        assert!(Oid::ZERO.is_zero());
        assert_eq!(
            "0123456789ABCDEF0123456789ABCDEF01234567"
                .parse::<Oid>()
                .unwrap(),
            oid
        );
    }

    #[test]
    fn rejects_bad_hex() {
        assert!("xyz".parse::<Oid>().is_err());
        assert!(
            "0123456789abcdef0123456789abcdef0123456g"
                .parse::<Oid>()
                .is_err()
        );
        assert!(
            "0123456789abcdef0123456789abcdef012345678"
                .parse::<Oid>()
                .is_err()
        );
    }
}
