//! SSH rules that need no IO: which public keys an account may register, and which
//! commands an SSH client may run (`git-upload-pack '<owner>/<repo>.git'` and friends).

use ssh_key::public::KeyData;
use ssh_key::{HashAlg, PublicKey};

/// Shortest RSA modulus accepted, in bits (what OpenSSH and GitHub require).
pub const RSA_MIN_BITS: u32 = 2048;
/// Longest key title, in characters.
pub const KEY_TITLE_MAX: usize = 100;
/// Longest public key text accepted (a 16384-bit RSA key is about 2,800 characters).
pub const KEY_TEXT_MAX: usize = 16 * 1024;

/// A public key that may be registered: its canonical OpenSSH text (without the comment),
/// its SHA-256 fingerprint as OpenSSH prints it, and what kind it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedKey {
    /// `ssh-ed25519 AAAA...`: algorithm and base64 body, no comment.
    pub openssh: String,
    /// `SHA256:...`, as `ssh-keygen -lf` prints it.
    pub fingerprint: String,
    /// The algorithm name (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`).
    pub algorithm: String,
    /// The comment that followed the key, if any (a title when none is given).
    pub comment: String,
}

/// Why a public key was refused. `message_key` names the catalog message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("empty key")]
    Empty,
    #[error("key text too long")]
    TooLong,
    #[error("not an OpenSSH public key")]
    Invalid,
    #[error("DSA keys are not accepted")]
    Dsa,
    #[error("RSA keys need at least {min} bits, this one has {bits}")]
    RsaTooShort { bits: u32, min: u32 },
    #[error("unsupported key type {0}")]
    Unsupported(String),
}

impl KeyError {
    pub fn message_key(&self) -> &'static str {
        match self {
            KeyError::Empty => "error.field.required",
            KeyError::TooLong => "error.sshkey.invalid",
            KeyError::Invalid => "error.sshkey.invalid",
            KeyError::Dsa => "error.sshkey.dsa",
            KeyError::RsaTooShort { .. } => "error.sshkey.rsa_short",
            KeyError::Unsupported(_) => "error.sshkey.unsupported",
        }
    }

    /// Values for the catalog message's placeholders.
    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            KeyError::RsaTooShort { bits, min } => {
                vec![("bits", bits.to_string()), ("min", min.to_string())]
            }
            KeyError::Unsupported(kind) => vec![("kind", kind.clone())],
            _ => vec![],
        }
    }
}

/// Parses one public key as a person pastes it: `ssh-ed25519 AAAA... comment`, maybe with
/// surrounding whitespace or line breaks inside the base64 (as some terminals wrap it).
/// Accepts Ed25519, ECDSA (P-256, P-384, P-521) and RSA of at least [`RSA_MIN_BITS`];
/// refuses DSA, short RSA, certificates and anything else with a reason.
pub fn parse_public_key(text: &str) -> Result<ParsedKey, KeyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    if text.len() > KEY_TEXT_MAX {
        return Err(KeyError::TooLong);
    }
    // authorized_keys options (`no-pty,command="..." ssh-ed25519 ...`) are not a key.
    let mut parts = text.split_whitespace();
    let algorithm = parts.next().ok_or(KeyError::Empty)?;
    let body: String = match parts.next() {
        Some(b) => b.to_owned(),
        None => return Err(KeyError::Invalid),
    };
    // A wrapped body continues over following base64-looking parts, up to the comment.
    let rest: Vec<&str> = parts.collect();
    let mut body = body;
    let mut comment_from = 0;
    for (i, p) in rest.iter().enumerate() {
        let base64ish = p
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=');
        if base64ish && !body.ends_with('=') && p.len() >= 4 && p.len() % 4 == 0 {
            body.push_str(p);
            comment_from = i + 1;
        } else {
            break;
        }
    }
    let comment = rest[comment_from..].join(" ");
    if algorithm == "ssh-dss" {
        return Err(KeyError::Dsa);
    }
    let key =
        PublicKey::from_openssh(&format!("{algorithm} {body}")).map_err(|_| KeyError::Invalid)?;
    if key.algorithm().as_str() != algorithm {
        return Err(KeyError::Invalid);
    }
    match key.key_data() {
        KeyData::Ed25519(_) | KeyData::Ecdsa(_) => {}
        KeyData::Rsa(rsa) => {
            if rsa.key_size() < RSA_MIN_BITS {
                return Err(KeyError::RsaTooShort {
                    bits: rsa.key_size(),
                    min: RSA_MIN_BITS,
                });
            }
        }
        KeyData::Dsa(_) => return Err(KeyError::Dsa),
        other => return Err(KeyError::Unsupported(other.algorithm().as_str().to_owned())),
    }
    let bare = PublicKey::new(key.key_data().clone(), "");
    let openssh = bare.to_openssh().map_err(|_| KeyError::Invalid)?;
    Ok(ParsedKey {
        openssh: openssh.trim().to_owned(),
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        algorithm: algorithm.to_owned(),
        comment,
    })
}

/// The SHA-256 fingerprint of a key in SSH wire encoding, as the SSH server sees it.
pub fn fingerprint_of_wire(bytes: &[u8]) -> Option<String> {
    let key = PublicKey::from_bytes(bytes).ok()?;
    Some(key.fingerprint(HashAlg::Sha256).to_string())
}

/// A git service an SSH client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitCommand {
    UploadPack,
    ReceivePack,
    UploadArchive,
}

impl GitCommand {
    pub fn name(self) -> &'static str {
        match self {
            GitCommand::UploadPack => "git-upload-pack",
            GitCommand::ReceivePack => "git-receive-pack",
            GitCommand::UploadArchive => "git-upload-archive",
        }
    }
}

/// A parsed SSH exec request: the service and the repository it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshCommand {
    pub command: GitCommand,
    pub owner: String,
    /// Without a `.git` suffix.
    pub repo: String,
}

/// Why an SSH command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// Not one of the git services (a shell, `ls`, ...).
    #[error("unknown command")]
    NotGit,
    /// Quotes that do not close, shell syntax, several arguments.
    #[error("malformed command")]
    Malformed,
    /// The path is not `owner/repo[.git]`.
    #[error("invalid repository path")]
    BadPath,
}

/// Parses what `git` sends over SSH (`git-upload-pack '/owner/repo.git'`, also the
/// `git upload-pack` spelling, scp-style paths without the leading slash and `~` paths
/// never): one command word, then exactly one argument, single-quoted as git's
/// `sq_quote` writes it (`'\''` for a quote, `'\!'` for `!`), or bare when it needs no
/// quoting. Nothing is ever handed to a shell; anything else is refused.
pub fn parse_command(line: &str) -> Result<SshCommand, CommandError> {
    let line = line.trim_matches(|c| c == ' ' || c == '\t');
    if line.is_empty() {
        return Err(CommandError::NotGit);
    }
    let (verb, rest) = match line.split_once([' ', '\t']) {
        Some((v, r)) => (v, r),
        None => (line, ""),
    };
    let (verb, rest) = if verb == "git" {
        let rest = rest.trim_start_matches([' ', '\t']);
        match rest.split_once([' ', '\t']) {
            Some((sub, r)) => (format!("git-{sub}"), r),
            None => (format!("git-{rest}"), ""),
        }
    } else {
        (verb.to_owned(), rest)
    };
    let command = match verb.as_str() {
        "git-upload-pack" => GitCommand::UploadPack,
        "git-receive-pack" => GitCommand::ReceivePack,
        "git-upload-archive" => GitCommand::UploadArchive,
        _ => return Err(CommandError::NotGit),
    };
    let args = split_words(rest)?;
    let [path] = args.as_slice() else {
        return Err(CommandError::Malformed);
    };
    let (owner, repo) = parse_repo_path(path)?;
    Ok(SshCommand {
        command,
        owner,
        repo,
    })
}

/// Splits POSIX-shell words, allowing only single quotes and backslash escapes of
/// quotes and `!` outside them; every other shell metacharacter is refused.
fn split_words(s: &str) -> Result<Vec<String>, CommandError> {
    let mut words = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = current.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) if c.is_control() => return Err(CommandError::Malformed),
                        Some(c) => w.push(c),
                        None => return Err(CommandError::Malformed),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c @ ('\'' | '!')) => current.get_or_insert_with(String::new).push(c),
                _ => return Err(CommandError::Malformed),
            },
            c if c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '-' | '_' | '~') => {
                current.get_or_insert_with(String::new).push(c);
            }
            _ => return Err(CommandError::Malformed),
        }
    }
    if let Some(w) = current.take() {
        words.push(w);
    }
    Ok(words)
}

/// `owner/repo`, `/owner/repo.git`, `owner/repo.git/`: two plain segments.
fn parse_repo_path(path: &str) -> Result<(String, String), CommandError> {
    let p = path.strip_prefix('/').unwrap_or(path);
    let p = p.strip_suffix('/').unwrap_or(p);
    let mut segments = p.split('/');
    let (Some(owner), Some(repo), None) = (segments.next(), segments.next(), segments.next())
    else {
        return Err(CommandError::BadPath);
    };
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    let plain = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && !s.starts_with('.')
            && !s.starts_with('-')
            && !s.starts_with('~')
            && s.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !plain(owner) || !plain(repo) {
        return Err(CommandError::BadPath);
    }
    Ok((owner.to_owned(), repo.to_owned()))
}

/// The protocol version a client asked for in its `GIT_PROTOCOL` environment variable
/// (`version=2`, possibly among other `key=value` entries separated by `:`).
pub fn wants_protocol_v2(git_protocol: &str) -> bool {
    git_protocol.split(':').any(|e| e.trim() == "version=2")
}

/// Whether `user` may stand before the `@` of an SSH clone URL.
pub fn is_valid_ssh_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= 32
        && !user.starts_with('-')
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Whether `host` is a host name, an IPv4 address or an IPv6 address (without brackets)
/// that may be written into an SSH clone URL.
pub fn is_valid_ssh_host(host: &str) -> bool {
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return true;
    }
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Where people clone from over SSH: user, host and port as the clone URLs show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshCloneBase {
    pub user: String,
    pub host: String,
    pub port: u16,
}

impl SshCloneBase {
    /// `git@host:owner/repo.git` on port 22 (the form people know, which needs no port),
    /// `ssh://git@host:PORT/owner/repo.git` on any other.
    pub fn url(&self, owner: &str, repo: &str) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 22 {
            format!("{}@{host}:{owner}/{repo}.git", self.user)
        } else {
            format!(
                "ssh://{}@{host}:{}/{owner}/{repo}.git",
                self.user, self.port
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_short_on_port_22() {
        let base = |host: &str, port| SshCloneBase {
            user: "git".into(),
            host: host.into(),
            port,
        };
        assert_eq!(
            base("git.example.com", 22).url("ada", "engine"),
            "git@git.example.com:ada/engine.git"
        );
        assert_eq!(
            base("git.example.com", 2222).url("ada", "engine"),
            "ssh://git@git.example.com:2222/ada/engine.git"
        );
        assert_eq!(
            base("::1", 2222).url("ada", "engine"),
            "ssh://git@[::1]:2222/ada/engine.git"
        );
        assert_eq!(base("::1", 22).url("a", "b"), "git@[::1]:a/b.git");
        // What the URLs name is what the command parser accepts.
        let cmd = parse_command("git-upload-pack '/ada/engine.git'").unwrap();
        assert_eq!((cmd.owner.as_str(), cmd.repo.as_str()), ("ada", "engine"));
    }

    #[test]
    fn ssh_users_and_hosts() {
        for ok in ["git", "hatchery", "git-1", "a.b_c"] {
            assert!(is_valid_ssh_user(ok), "{ok}");
        }
        for bad in ["", "-oProxyCommand", "a b", "a@b", "a:b", &"x".repeat(33)] {
            assert!(!is_valid_ssh_user(bad), "{bad}");
        }
        for ok in [
            "localhost",
            "git.example.com",
            "127.0.0.1",
            "::1",
            "fe80::1",
            "xn--fiq228c.cn",
        ] {
            assert!(is_valid_ssh_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "-h.example",
            "a..b",
            "host:22",
            "[::1]",
            "a/b",
            "é.example",
        ] {
            assert!(!is_valid_ssh_host(bad), "{bad}");
        }
    }

    // Keys made with `ssh-keygen` for these tests (public halves only).
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMqAxZlAc40nxXJHDKoXPMsUbtozjEGyeCVJlnbutPPS alice@laptop";
    const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHqqc5arYWh41AwTtJxDj8XQPNA1ixdFGVDXNnc3zH6bGJNwhr9O7h/Fi7hXX8BpyrDI4L12PwB/VirISxorVXc=";
    const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDmk3Ecusg9e2X4OfBw/XnMMTaSUq9mbBWrUGh8LgfjE31gzGVeogVBX7BnXqQbIvtDk8ulnsREyeNuFGwClony14xs5BDcT946AkQEUD2THFla7W1j53kgAILTEYLHOvaJc9PeuAA/cE3zacielW877GbnQm1WoyeDxpoD8bmZew== short";
    const DSA: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBAO85osj685C+PVcTMFU6yBw6y+ayU30pmHqZaJ4E3sta4ZDy+4hDQD306QXwi6pCsp49xZT5Ff19ehNQSl5bS+F9P3k8cvYX4Of+hqTleDsl/T5u8lBE1PdSBHUo6tieLhuENYT3OF1UQvTlZBdgcdLjJ2grEYzoli6fOU38HNpbAAAAFQC0E5grxhONiCEhox6Hz0QbGVlCkQAAAIApgpTn8x3dSXMsi7u4USenn06ss902Abns0K+WH3aNm67qRB/eBU5nsi33SujGLYxFLAkFJufIg6iJCZ29o2ygs2I4L4WpICsAAP2lrctbdMzSAA9H78UdGGrgdHUKsTHtYEGwMu51bdi8YcBSEn3dxx+7V/ZZwaBn2+Ie3I0AGwAAAIBcVN89T+Fc2owJ+KUp6xYK/TtXN2M/4wrTJEMmA/A/XbMtQOb9+cZT9SEFHtQg7aplDIGIL/NmPrQWVYzK5GCIKIxkSzvqBZ+c4F+J4BN68y3Pf2QPMKwYWQvoYxUBZO//vhpoZ2zEdY2GfuCEan2FaRJQksNZKwlI3G9k1sELGw== root@vm";

    #[test]
    fn accepts_modern_keys_with_openssh_fingerprints() {
        let k = parse_public_key(ED25519).unwrap();
        assert_eq!(k.algorithm, "ssh-ed25519");
        assert_eq!(k.comment, "alice@laptop");
        // As `ssh-keygen -lf` prints it.
        assert_eq!(
            k.fingerprint,
            "SHA256:sxpkbWQlShw2e69PN9Rd6K8nrJJ51RH8djxulEjF2HQ"
        );
        assert!(!k.openssh.contains("alice"));
        // The same key pasted with other whitespace and no comment is the same key.
        let again = parse_public_key(&format!(
            "  {}\n",
            ED25519.trim_end_matches(" alice@laptop")
        ))
        .unwrap();
        assert_eq!(again.fingerprint, k.fingerprint);
        assert_eq!(again.openssh, k.openssh);
        let e = parse_public_key(ECDSA).unwrap();
        assert_eq!(e.algorithm, "ecdsa-sha2-nistp256");
        assert_eq!(e.comment, "");
    }

    #[test]
    fn refuses_weak_and_broken_keys_with_reasons() {
        assert_eq!(
            parse_public_key(RSA_1024),
            Err(KeyError::RsaTooShort {
                bits: 1024,
                min: 2048
            })
        );
        assert_eq!(parse_public_key(DSA), Err(KeyError::Dsa));
        assert_eq!(parse_public_key(""), Err(KeyError::Empty));
        assert_eq!(parse_public_key("   \n"), Err(KeyError::Empty));
        assert_eq!(parse_public_key("ssh-ed25519"), Err(KeyError::Invalid));
        assert_eq!(
            parse_public_key("ssh-ed25519 not-base64!!"),
            Err(KeyError::Invalid)
        );
        // The algorithm named must be the one inside.
        let body = ED25519.split(' ').nth(1).unwrap();
        assert_eq!(
            parse_public_key(&format!("ssh-rsa {body}")),
            Err(KeyError::Invalid)
        );
        assert_eq!(
            parse_public_key("-----BEGIN OPENSSH PRIVATE KEY-----"),
            Err(KeyError::Invalid)
        );
        assert_eq!(
            parse_public_key(&"A".repeat(KEY_TEXT_MAX + 1)),
            Err(KeyError::TooLong)
        );
        for e in [
            KeyError::Empty,
            KeyError::Invalid,
            KeyError::Dsa,
            KeyError::TooLong,
        ] {
            assert!(e.message_key().starts_with("error."));
        }
    }

    #[test]
    fn wrapped_key_bodies_are_joined() {
        let body = ED25519.split(' ').nth(1).unwrap();
        let (a, b) = body.split_at(40);
        let k = parse_public_key(&format!("ssh-ed25519 {a}\n{b} me")).unwrap();
        assert_eq!(
            k.fingerprint,
            parse_public_key(ED25519).unwrap().fingerprint
        );
        assert_eq!(k.comment, "me");
    }

    #[test]
    fn git_commands_as_git_sends_them() {
        let ok = |line: &str, command, owner: &str, repo: &str| {
            assert_eq!(
                parse_command(line),
                Ok(SshCommand {
                    command,
                    owner: owner.into(),
                    repo: repo.into()
                }),
                "{line}"
            );
        };
        ok(
            "git-upload-pack '/alice/demo.git'",
            GitCommand::UploadPack,
            "alice",
            "demo",
        );
        ok(
            "git-receive-pack 'alice/demo.git'",
            GitCommand::ReceivePack,
            "alice",
            "demo",
        );
        ok(
            "git-upload-pack '/alice/demo'",
            GitCommand::UploadPack,
            "alice",
            "demo",
        );
        ok(
            "git upload-pack 'alice/demo.git'",
            GitCommand::UploadPack,
            "alice",
            "demo",
        );
        ok(
            "git-upload-archive '/alice/demo.git'",
            GitCommand::UploadArchive,
            "alice",
            "demo",
        );
        ok(
            "git-upload-pack alice/my-repo_2.git",
            GitCommand::UploadPack,
            "alice",
            "my-repo_2",
        );
        ok(
            "git-upload-pack '/alice/demo.git/'",
            GitCommand::UploadPack,
            "alice",
            "demo",
        );
        // Quoted pieces join into one word, as in a shell.
        ok(
            "git-upload-pack '/al''ice/demo.git'",
            GitCommand::UploadPack,
            "alice",
            "demo",
        );
    }

    #[test]
    fn everything_else_is_refused() {
        use CommandError::*;
        for (line, want) in [
            ("", NotGit),
            ("sh", NotGit),
            ("bash -c 'id'", NotGit),
            ("ls /", NotGit),
            ("git-upload-packx 'a/b'", NotGit),
            ("git-shell -c 'git-upload-pack a/b'", NotGit),
            ("scp -t /tmp", NotGit),
            ("git-upload-pack", Malformed),
            ("git-upload-pack 'a/b' 'c/d'", Malformed),
            ("git-upload-pack 'a/b", Malformed),
            ("git-upload-pack 'a/b'; rm -rf /", Malformed),
            ("git-upload-pack 'a/b' && id", Malformed),
            ("git-upload-pack $(id)/b", Malformed),
            ("git-upload-pack `id`", Malformed),
            ("git-upload-pack 'a/b' | nc x 1", Malformed),
            ("git-upload-pack a/b\nid", Malformed),
            ("git-upload-pack 'a/b\nid'", Malformed),
            ("git-upload-pack \"a/b\"", Malformed),
            ("git-upload-pack 'a/b' > /etc/passwd", Malformed),
            ("git-upload-pack '../../etc/passwd'", BadPath),
            ("git-upload-pack '/alice/../bob/x'", BadPath),
            ("git-upload-pack 'alice/..'", BadPath),
            ("git-upload-pack '/etc/passwd/x/y'", BadPath),
            ("git-upload-pack '/srv/git/alice/demo.git'", BadPath),
            ("git-upload-pack 'alice'", BadPath),
            ("git-upload-pack 'alice//demo'", BadPath),
            ("git-upload-pack '~alice/demo'", BadPath),
            ("git-upload-pack 'alice/.git'", BadPath),
            ("git-upload-pack 'alice/-demo'", BadPath),
            ("git-upload-pack '--upload-pack=id/x'", BadPath),
            ("git-upload-pack 'alice/de mo'", BadPath),
            ("git-upload-pack 'alice\\demo'", BadPath),
            ("git-upload-pack 'ali'\\''ce/demo'", BadPath),
            ("git-upload-pack 'alice/demo'\\!", BadPath),
        ] {
            assert_eq!(parse_command(line), Err(want), "{line:?}");
        }
    }

    #[test]
    fn parser_never_panics_and_never_passes_shell_syntax() {
        use proptest::prelude::*;
        proptest!(|(s in "\\PC{0,80}", pre in prop::sample::select(vec!["git-upload-pack ", "git-receive-pack ", "git upload-pack ", ""]))| {
            let line = format!("{pre}{s}");
            if let Ok(cmd) = parse_command(&line) {
                for part in [&cmd.owner, &cmd.repo] {
                    prop_assert!(!part.is_empty());
                    prop_assert!(part != "." && part != "..");
                    prop_assert!(!part.contains('/'));
                    prop_assert!(part.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_')));
                }
            }
        });
    }

    #[test]
    fn protocol_v2_from_environment() {
        assert!(wants_protocol_v2("version=2"));
        assert!(wants_protocol_v2("foo=bar:version=2"));
        assert!(!wants_protocol_v2("version=1"));
        assert!(!wants_protocol_v2(""));
    }
}
