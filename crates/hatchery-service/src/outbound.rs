//! Connections the server makes on a user's behalf (webhook deliveries, mirrors, imports),
//! checked against an allow list ([`AllowedHosts`], Gitea's `allowed_hosts` semantics).
//!
//! Three layers, each used by both webhooks and mirrors:
//! - [`check_url`]: only `http`/`https`, a host, and a literal address the list allows
//!   (when the URL is saved);
//! - [`preflight`]: every address the host resolves to now (before a request);
//! - [`client`]: a reqwest client whose resolver hands the connector only addresses the list
//!   allows (no DNS-rebinding window between the check and the connection), without
//!   redirects or proxies.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hatchery_core::netpolicy::AllowedHosts;

/// An allow list and the name of the setting it comes from (for messages).
#[derive(Debug, Clone)]
pub struct Policy {
    pub allowed: AllowedHosts,
    /// `webhook.allowed_hosts`, `migrations.allowed_hosts`.
    pub setting: &'static str,
}

/// A URL's host: an address (the URL parser has normalized every way of writing one) or
/// a name.
pub enum UrlHost<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

/// The URL's host, if it has one.
pub fn url_host(url: &reqwest::Url) -> Option<UrlHost<'_>> {
    let host = url.host_str().filter(|h| !h.is_empty())?;
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse().ok().map(UrlHost::Ip);
    }
    Some(match host.parse::<std::net::Ipv4Addr>() {
        Ok(v4) => UrlHost::Ip(IpAddr::V4(v4)),
        Err(_) => UrlHost::Name(host),
    })
}

/// Checks an `http(s)` URL when it is saved: scheme, host, and a literal address against
/// the list (names are checked when connecting). The error is a sentence about the URL.
pub fn check_url(url: &str, policy: &Policy) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("is not a valid URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must start with http:// or https://".to_owned());
    }
    match url_host(&parsed) {
        None => return Err("has no host".to_owned()),
        Some(UrlHost::Ip(ip)) => check_literal(ip, policy)?,
        Some(UrlHost::Name(_)) => {}
    }
    Ok(parsed)
}

fn check_literal(ip: IpAddr, policy: &Policy) -> Result<(), String> {
    if policy.allowed.allows_ip(ip) {
        Ok(())
    } else {
        Err(format!(
            "{ip} is not an allowed destination ({} is \"{}\")",
            policy.setting, policy.allowed
        ))
    }
}

/// Why a destination failed its check before a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreflightError {
    /// The destination is not allowed (or not a usable URL): give up.
    Refused(String),
    /// DNS failed and the like: worth another attempt later.
    Transient(String),
}

impl std::fmt::Display for PreflightError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PreflightError::Refused(m) | PreflightError::Transient(m) => f.write_str(m),
        }
    }
}

/// Checks the destination of `url` just before connecting: every address it resolves to
/// must be allowed (a name the list allows by name passes without resolving).
pub async fn preflight(url: &reqwest::Url, policy: &Policy) -> Result<(), PreflightError> {
    let allowed = &policy.allowed;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(PreflightError::Refused(
            "only http and https URLs".to_owned(),
        ));
    }
    let ip = match url_host(url) {
        None => return Err(PreflightError::Refused("the URL has no host".to_owned())),
        Some(UrlHost::Ip(ip)) => ip,
        Some(UrlHost::Name(name)) => {
            if allowed.allows_all() || allowed.allows_name(name) {
                return Ok(());
            }
            return match resolve_checked(name, policy).await {
                Ok(_) => Ok(()),
                Err(e) if e.starts_with("refused") => Err(PreflightError::Refused(e)),
                Err(e) => Err(PreflightError::Transient(e)),
            };
        }
    };
    if allowed.allows_ip(ip) {
        Ok(())
    } else {
        Err(PreflightError::Refused(format!(
            "refused: {ip} is not allowed by {} (\"{allowed}\")",
            policy.setting
        )))
    }
}

/// A DNS resolver that returns only the addresses the policy admits for the name, so the
/// client connects only to checked addresses.
struct CheckedResolver {
    policy: Policy,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(String);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = resolve_checked(&host, &policy)
                .await
                .map_err(|e| Box::new(Refused(e)) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses `host` resolves to that the policy admits; an error naming the refused
/// ones when there are none (starting with `refused`), or saying the name did not resolve.
pub async fn resolve_checked(host: &str, policy: &Policy) -> Result<Vec<SocketAddr>, String> {
    let allowed = &policy.allowed;
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let ok: Vec<SocketAddr> = found
        .iter()
        .filter(|a| allowed.allows(host, a.ip()))
        .copied()
        .collect();
    if ok.is_empty() {
        let list: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
        return Err(format!(
            "refused: {host} resolves to {}, which {} (\"{allowed}\") does not allow",
            if list.is_empty() {
                "nothing".to_owned()
            } else {
                list.join(", ")
            },
            policy.setting
        ));
    }
    Ok(ok)
}

/// How an outbound client behaves besides the policy.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// For connecting.
    pub connect_timeout: Duration,
    /// For a whole request, when set.
    pub whole: Option<Duration>,
    /// For one read that stalls, when set.
    pub stalled_read: Option<Duration>,
    /// Redirects followed (0: none). Each hop is checked like the first: `http(s)` only,
    /// a literal address the policy allows (names go through the checked resolver).
    pub redirects: usize,
}

/// A client that connects only where the policy allows: checked resolver, checked
/// redirects (if any), no proxy.
pub fn client(policy: &Policy, options: ClientOptions) -> Result<reqwest::Client, reqwest::Error> {
    let builder = || {
        let hops = options.redirects;
        let redirect_policy = policy.clone();
        let redirect = if hops == 0 {
            reqwest::redirect::Policy::none()
        } else {
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > hops {
                    return attempt.error(format!("more than {hops} redirects"));
                }
                // Names are checked by the resolver; a literal address never reaches it.
                match check_url(attempt.url().as_str(), &redirect_policy) {
                    Ok(_) => attempt.follow(),
                    Err(e) => attempt.error(format!("redirect refused: {e}")),
                }
            })
        };
        let b = reqwest::Client::builder()
            .user_agent(concat!("Hatchery/", env!("CARGO_PKG_VERSION")))
            .redirect(redirect)
            .no_proxy()
            .connect_timeout(options.connect_timeout)
            .dns_resolver(Arc::new(CheckedResolver {
                policy: policy.clone(),
            }));
        let b = match options.whole {
            Some(t) => b.timeout(t),
            None => b,
        };
        match options.stalled_read {
            Some(t) => b.read_timeout(t),
            None => b,
        }
    };
    builder().build().or_else(|e| {
        // The system's certificate store may be unreadable: the bundled roots remain.
        tracing::warn!(error = %e, "HTTP client: system certificates unusable");
        builder().tls_built_in_native_certs(false).build()
    })
}

/// A reqwest error in words, with its causes ("cannot connect: ...: refused: ...").
pub fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(list: &str) -> Policy {
        Policy {
            allowed: AllowedHosts::parse(list).unwrap(),
            setting: "test.allowed_hosts",
        }
    }

    #[test]
    fn urls_are_checked() {
        let ext = policy("external");
        assert!(check_url("https://hooks.example.com/x", &ext).is_ok());
        assert!(
            check_url("http://localhost:9/x", &ext).is_ok(),
            "names are checked when connecting"
        );
        for bad in [
            "",
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            // Other spellings of 127.0.0.1, normalized by the URL parser.
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1/",
        ] {
            assert!(check_url(bad, &ext).is_err(), "{bad}");
        }
        let e = check_url("http://127.0.0.1/", &ext).unwrap_err();
        assert!(e.contains("test.allowed_hosts"), "{e}");
        let lo = policy("loopback");
        assert!(check_url("http://127.0.0.1:8080/hook", &lo).is_ok());
        assert!(check_url("http://8.8.8.8/hook", &lo).is_err());
    }

    #[tokio::test]
    async fn names_are_checked_when_connecting() {
        let url = reqwest::Url::parse("http://localhost:9/").unwrap();
        match preflight(&url, &policy("external")).await {
            Err(PreflightError::Refused(m)) => {
                assert!(m.contains("test.allowed_hosts"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(preflight(&url, &policy("loopback")).await, Ok(()));
    }
}
