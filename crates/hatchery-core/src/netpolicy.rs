//! Which hosts the server may connect to on a user's behalf (webhook deliveries): the
//! `webhook.allowed_hosts` setting, with Gitea's semantics.
//!
//! The setting is a comma-separated list of:
//! - `loopback`: 127.0.0.0/8 and ::1;
//! - `private`: RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 4193 (fc00::/7) and the
//!   special-purpose ranges that are not public (carrier-grade NAT, documentation and
//!   benchmarking ranges, NAT64, 6to4, Teredo, ...);
//! - `external`: global unicast addresses that are neither private nor special-purpose,
//!   i.e. hosts on the public internet (the default);
//! - `*`: every address;
//! - a CIDR such as `10.1.0.0/16` or `fd00::/8`;
//! - a host name, optionally with `*` and `?` wildcards (`hooks.example.com`,
//!   `*.example.com`), matched against the name in the URL.
//!
//! Loopback, link-local, unspecified, multicast and broadcast addresses are never
//! `external` or `private`: only `loopback`, `*` or an explicit CIDR admits them.
//! IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) are judged as the IPv4 address they
//! carry, so they cannot smuggle a forbidden address past the list.
//!
//! A destination is allowed when its host name matches a name pattern, or when the
//! address it resolved to (each address it resolved to, at delivery time) matches.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The default of `webhook.allowed_hosts`.
pub const DEFAULT_ALLOWED_HOSTS: &str = "external";

/// A parsed `allowed_hosts` list.
#[derive(Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    source: String,
    all: bool,
    external: bool,
    private: bool,
    loopback: bool,
    nets: Vec<Cidr>,
    patterns: Vec<String>,
}

impl fmt::Debug for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AllowedHosts({:?})", self.source)
    }
}

impl fmt::Display for AllowedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl Default for AllowedHosts {
    fn default() -> AllowedHosts {
        AllowedHosts::parse(DEFAULT_ALLOWED_HOSTS).unwrap_or_else(|_| AllowedHosts::none())
    }
}

/// Why a list does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowedHostsError {
    #[error("the list is empty; use \"*\" to allow every host, or \"external\"")]
    Empty,
    #[error("{0:?} is not a valid CIDR like 10.0.0.0/8 or fd00::/8")]
    BadCidr(String),
    #[error("{0:?} is not a host name, a CIDR or one of loopback, private, external, *")]
    BadEntry(String),
}

/// An address block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = s.split_once('/')?;
        let addr: IpAddr = addr.parse().ok()?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        let max = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    const fn v4(a: [u8; 4], prefix: u8) -> Cidr {
        Cidr {
            addr: IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
            prefix,
        }
    }

    const fn v6(segments: [u16; 8], prefix: u8) -> Cidr {
        Cidr {
            addr: IpAddr::V6(Ipv6Addr::new(
                segments[0],
                segments[1],
                segments[2],
                segments[3],
                segments[4],
                segments[5],
                segments[6],
                segments[7],
            )),
            prefix,
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_match(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_match(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_match(net: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if net[..full] != ip[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (net[full] & mask) == (ip[full] & mask)
}

/// Ranges that are not on the public internet though not RFC 1918 either.
const RESERVED: &[Cidr] = &[
    Cidr::v4([100, 64, 0, 0], 10),                   // carrier-grade NAT
    Cidr::v4([168, 63, 129, 16], 32),                // Azure WireServer
    Cidr::v4([192, 0, 0, 0], 24),                    // IETF protocol assignments
    Cidr::v4([192, 0, 2, 0], 24),                    // TEST-NET-1
    Cidr::v4([192, 88, 99, 0], 24),                  // 6to4 relay anycast
    Cidr::v4([198, 18, 0, 0], 15),                   // benchmarking
    Cidr::v4([198, 51, 100, 0], 24),                 // TEST-NET-2
    Cidr::v4([203, 0, 113, 0], 24),                  // TEST-NET-3
    Cidr::v4([240, 0, 0, 0], 4),                     // reserved, and the broadcast address
    Cidr::v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),      // discard-only
    Cidr::v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96),  // NAT64
    Cidr::v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),  // local-use NAT64
    Cidr::v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32),     // Teredo
    Cidr::v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28),  // ORCHID
    Cidr::v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28),  // ORCHIDv2
    Cidr::v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    Cidr::v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),     // 6to4
    Cidr::v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),     // site-local (deprecated)
];

/// IPv4-mapped IPv6 addresses as the IPv4 address they carry.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

pub fn is_loopback(ip: IpAddr) -> bool {
    canonical(ip).is_loopback()
}

/// RFC 1918, RFC 4193, and the special-purpose ranges of [`RESERVED`].
pub fn is_private(ip: IpAddr) -> bool {
    let ip = canonical(ip);
    let rfc = match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    };
    rfc || RESERVED.iter().any(|net| net.contains(ip))
}

/// Link-local, loopback, unspecified, multicast or broadcast: never a public host.
fn is_special(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                // 0.0.0.0/8, "this network": 0.0.0.0 reaches the local host on Linux
                || v4.octets()[0] == 0
                || v4.is_multicast()
                || v4.is_broadcast()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                // IPv4-compatible (deprecated) ::a.b.c.d
                || (v6.segments()[..6] == [0; 6])
        }
    }
}

/// A routable address on the public internet.
pub fn is_external(ip: IpAddr) -> bool {
    !is_special(ip) && !is_private(ip)
}

impl AllowedHosts {
    /// Allows nothing.
    pub fn none() -> AllowedHosts {
        AllowedHosts {
            source: String::new(),
            all: false,
            external: false,
            private: false,
            loopback: false,
            nets: Vec::new(),
            patterns: Vec::new(),
        }
    }

    pub fn parse(list: &str) -> Result<AllowedHosts, AllowedHostsError> {
        let mut out = AllowedHosts::none();
        out.source = list.trim().to_owned();
        for entry in list.split(',') {
            let entry = entry.trim().to_ascii_lowercase();
            if entry.is_empty() {
                continue;
            }
            match entry.as_str() {
                "*" => out.all = true,
                "external" => out.external = true,
                "private" => out.private = true,
                "loopback" => out.loopback = true,
                _ if entry.contains('/') => {
                    out.nets
                        .push(Cidr::parse(&entry).ok_or(AllowedHostsError::BadCidr(entry))?);
                }
                _ if is_host_pattern(&entry) => out.patterns.push(entry),
                _ => return Err(AllowedHostsError::BadEntry(entry)),
            }
        }
        if !out.all
            && !out.external
            && !out.private
            && !out.loopback
            && out.nets.is_empty()
            && out.patterns.is_empty()
        {
            return Err(AllowedHostsError::Empty);
        }
        Ok(out)
    }

    /// Whether the host name (as written in the URL, without port or brackets) matches a
    /// name pattern. An address written as the host is checked with [`Self::allows_ip`].
    pub fn allows_name(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        self.patterns.iter().any(|p| wildcard(p, &host))
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        if self.all {
            return true;
        }
        let ip = canonical(ip);
        (self.loopback && ip.is_loopback())
            || (self.private && !is_special(ip) && is_private(ip))
            || (self.external && is_external(ip))
            || self
                .nets
                .iter()
                .any(|net| net.contains(ip) || net.contains(mapped(ip)))
            || self.patterns.iter().any(|p| wildcard(p, &ip.to_string()))
    }

    /// A connection to `ip`, resolved from `host`, is allowed.
    pub fn allows(&self, host: &str, ip: IpAddr) -> bool {
        self.allows_name(host) || self.allows_ip(ip)
    }

    /// Allows every destination (`*`).
    pub fn allows_all(&self) -> bool {
        self.all
    }
}

/// The IPv4-mapped IPv6 form of an IPv4 address (for CIDRs written in that form).
fn mapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
        v6 => v6,
    }
}

/// Letters, digits, `-`, `.`, `_`, `:` (IPv6 written as a name) and the wildcards.
fn is_host_pattern(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '*' | '?' | ':'))
}

/// `*` matches any run of characters, `?` one character; everything else itself.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn list(s: &str) -> AllowedHosts {
        AllowedHosts::parse(s).unwrap()
    }

    #[test]
    fn parse_errors() {
        assert_eq!(AllowedHosts::parse(""), Err(AllowedHostsError::Empty));
        assert_eq!(AllowedHosts::parse(" , ,"), Err(AllowedHostsError::Empty));
        assert!(matches!(
            AllowedHosts::parse("10.0.0.0/33"),
            Err(AllowedHostsError::BadCidr(_))
        ));
        assert!(matches!(
            AllowedHosts::parse("10.0.0.0/"),
            Err(AllowedHostsError::BadCidr(_))
        ));
        assert!(matches!(
            AllowedHosts::parse("fd00::/129"),
            Err(AllowedHostsError::BadCidr(_))
        ));
        assert!(matches!(
            AllowedHosts::parse("not a host"),
            Err(AllowedHostsError::BadEntry(_))
        ));
        assert!(matches!(
            AllowedHosts::parse("http://x"),
            Err(AllowedHostsError::BadCidr(_))
        ));
        assert_eq!(list(" External ").to_string(), "External");
        assert_eq!(AllowedHosts::default(), list("external"));
    }

    #[test]
    fn external_is_the_public_internet_only() {
        let a = list("external");
        for ok in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
        ] {
            assert!(a.allows_ip(ip(ok)), "{ok}");
        }
        for refused in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "100.64.0.1",
            "192.0.2.5",
            "198.18.0.1",
            "198.51.100.1",
            "203.0.113.9",
            "240.0.0.1",
            "168.63.129.16",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "::127.0.0.1",
            // IPv4-mapped forms of forbidden addresses
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0.0.0.0",
        ] {
            assert!(!a.allows_ip(ip(refused)), "{refused}");
        }
        assert!(!a.allows_name("localhost"));
        assert!(!a.allows_name("example.com"));
    }

    #[test]
    fn loopback_and_private() {
        let l = list("loopback");
        assert!(l.allows_ip(ip("127.0.0.1")));
        assert!(l.allows_ip(ip("127.255.0.1")));
        assert!(l.allows_ip(ip("::1")));
        assert!(l.allows_ip(ip("::ffff:127.0.0.1")));
        assert!(!l.allows_ip(ip("10.0.0.1")));
        assert!(!l.allows_ip(ip("8.8.8.8")));
        assert!(!l.allows_ip(ip("0.0.0.0")));
        assert!(!l.allows_ip(ip("169.254.1.1")));

        let p = list("private");
        for ok in [
            "10.1.2.3",
            "172.20.0.1",
            "192.168.0.1",
            "100.64.0.1",
            "fd00::1",
            "::ffff:192.168.0.1",
            "2001:db8::1",
        ] {
            assert!(p.allows_ip(ip(ok)), "{ok}");
        }
        for refused in [
            "127.0.0.1",
            "8.8.8.8",
            "0.1.2.3",
            "169.254.169.254",
            "fe80::1",
            "::1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
        ] {
            assert!(!p.allows_ip(ip(refused)), "{refused}");
        }

        let both = list("loopback, private,external");
        assert!(both.allows_ip(ip("127.0.0.1")));
        assert!(both.allows_ip(ip("10.0.0.1")));
        assert!(both.allows_ip(ip("8.8.8.8")));
        assert!(!both.allows_ip(ip("169.254.169.254")));
        assert!(!both.allows_ip(ip("0.0.0.0")));
        assert!(!both.allows_ip(ip("ff02::1")));
    }

    #[test]
    fn cidrs() {
        let c = list("10.1.0.0/16, fd00:1::/32, 169.254.169.254/32");
        assert!(c.allows_ip(ip("10.1.200.3")));
        assert!(!c.allows_ip(ip("10.2.0.1")));
        assert!(c.allows_ip(ip("::ffff:10.1.0.9")));
        assert!(c.allows_ip(ip("fd00:1:ffff::1")));
        assert!(!c.allows_ip(ip("fd00:2::1")));
        assert!(c.allows_ip(ip("169.254.169.254")));
        assert!(!c.allows_ip(ip("169.254.169.253")));
        let odd = list("192.168.1.128/25");
        assert!(odd.allows_ip(ip("192.168.1.200")));
        assert!(!odd.allows_ip(ip("192.168.1.100")));
        let zero = list("0.0.0.0/0");
        assert!(zero.allows_ip(ip("127.0.0.1")));
        assert!(
            !zero.allows_ip(ip("::1")),
            "an IPv4 block says nothing of IPv6"
        );
        let mapped = list("::ffff:127.0.0.0/104");
        assert!(mapped.allows_ip(ip("127.0.0.1")));
    }

    #[test]
    fn names_and_wildcards() {
        let n = list("hooks.example.com, *.ci.example.org, build-?.local");
        assert!(n.allows_name("hooks.example.com"));
        assert!(n.allows_name("HOOKS.Example.com."));
        assert!(!n.allows_name("example.com"));
        assert!(n.allows_name("a.ci.example.org"));
        assert!(n.allows_name("a.b.ci.example.org"));
        assert!(!n.allows_name("ci.example.org"));
        assert!(n.allows_name("build-1.local"));
        assert!(!n.allows_name("build-12.local"));
        // A matching name admits whatever it resolves to; other names only by address.
        assert!(n.allows("hooks.example.com", ip("10.0.0.5")));
        assert!(!n.allows("other.example.com", ip("10.0.0.5")));
        // Address patterns match the address text too.
        let a = list("127.0.0.*");
        assert!(a.allows_ip(ip("127.0.0.9")));
        assert!(!a.allows_ip(ip("127.0.1.9")));
    }

    #[test]
    fn star_allows_everything() {
        let s = list("*");
        assert!(s.allows_all());
        for any in [
            "127.0.0.1",
            "0.0.0.0",
            "169.254.169.254",
            "::1",
            "ff02::1",
            "8.8.8.8",
        ] {
            assert!(s.allows_ip(ip(any)), "{any}");
        }
        assert!(s.allows_name("anything.internal"));
        assert!(!list("external").allows_all());
    }

    #[test]
    fn wildcard_matching() {
        assert!(wildcard("*", ""));
        assert!(wildcard("*", "abc"));
        assert!(wildcard("a*c", "abbbc"));
        assert!(wildcard("a*c", "ac"));
        assert!(!wildcard("a*c", "ab"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("*.*", "a.b"));
        assert!(!wildcard("abc", "abcd"));
        assert!(wildcard("**x", "yyx"));
    }
}
