//! `hatchery healthcheck`: asks the server at `server.listen` for `/api/healthz`, as a
//! container's HEALTHCHECK does, with a plain HTTP/1.0 request over TCP (the image has no
//! HTTP client, and the check must follow the configured address rather than assume one).
// The answer is meant for the person (or the container engine) that ran the command.
#![allow(clippy::print_stdout)]

use anyhow::{Context, bail};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most of the answer read: the health document is a few hundred bytes.
const MAX_ANSWER: u64 = 64 * 1024;

/// Where to reach a server listening on `listen`: a wildcard address (`0.0.0.0`, `[::]`)
/// is reached on the loopback of the same family.
pub fn target(listen: SocketAddr) -> anyhow::Result<SocketAddr> {
    if listen.port() == 0 {
        bail!(
            "server.listen is {listen}: with port 0 the server picks a port at start, so there is no address to check"
        );
    }
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    Ok(SocketAddr::new(ip, listen.port()))
}

/// The status code of an HTTP/1.x answer, and its body.
pub fn parse_answer(answer: &[u8]) -> Option<(u16, &[u8])> {
    let line_end = answer.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&answer[..line_end]).ok()?;
    let mut words = line.split_ascii_whitespace();
    if !words.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = words.next()?.parse().ok()?;
    let body = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&answer[answer.len()..], |at| &answer[at + 4..]);
    Some((status, body))
}

/// Checks the server listening on `listen`: Ok when `/api/healthz` answers 200 within
/// `timeout`, an error saying what happened otherwise.
pub async fn check(listen: SocketAddr, timeout: Duration) -> anyhow::Result<()> {
    let addr = target(listen)?;
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("cannot connect to {addr} (server.listen)"))?;
        stream
            .write_all(
                b"GET /api/healthz HTTP/1.0\r\nHost: localhost\r\nUser-Agent: hatchery-healthcheck\r\n\r\n",
            )
            .await
            .with_context(|| format!("cannot send the request to {addr}"))?;
        let mut answer = Vec::new();
        stream
            .take(MAX_ANSWER)
            .read_to_end(&mut answer)
            .await
            .with_context(|| format!("cannot read the answer of {addr}"))?;
        anyhow::Ok(answer)
    };
    let answer = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "no answer from http://{addr}/api/healthz within {}s",
                timeout.as_secs()
            )
        })??;
    let Some((status, body)) = parse_answer(&answer) else {
        bail!("http://{addr}/api/healthz did not answer in HTTP");
    };
    let body = String::from_utf8_lossy(body);
    let body = body.trim();
    if status != 200 {
        bail!("unhealthy: http://{addr}/api/healthz answered {status}: {body}");
    }
    println!("healthy: {body}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_addresses_are_checked_on_the_loopback() {
        let cases = [
            ("0.0.0.0:3000", "127.0.0.1:3000"),
            ("[::]:3000", "[::1]:3000"),
            ("192.0.2.7:8080", "192.0.2.7:8080"),
            ("[2001:db8::1]:3000", "[2001:db8::1]:3000"),
        ];
        for (listen, want) in cases {
            let got = target(listen.parse().unwrap()).unwrap();
            assert_eq!(got, want.parse::<SocketAddr>().unwrap(), "{listen}");
        }
        let err = target("127.0.0.1:0".parse().unwrap()).unwrap_err();
        assert!(err.to_string().contains("port 0"), "{err}");
    }

    #[test]
    fn answers_are_parsed_for_status_and_body() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"status\":\"pass\"}";
        assert_eq!(parse_answer(ok), Some((200, &b"{\"status\":\"pass\"}"[..])));
        let down = b"HTTP/1.0 503 Service Unavailable\r\n\r\n{\"status\":\"fail\"}";
        assert_eq!(parse_answer(down).map(|(s, _)| s), Some(503));
        let headers_only = b"HTTP/1.1 204 No Content\r\n";
        assert_eq!(parse_answer(headers_only), Some((204, &b""[..])));
        assert_eq!(parse_answer(b"SSH-2.0-OpenSSH_9.2\r\n"), None);
        assert_eq!(parse_answer(b"HTTP/1.1 abc\r\n\r\n"), None);
        assert_eq!(parse_answer(b""), None);
    }
}
