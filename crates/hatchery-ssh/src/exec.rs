//! One git command over SSH, whatever carries it (the built-in server's channel, or
//! OpenSSH's stdin/stdout through `hatchery serv`): parse the command, decide through
//! `hatchery-service`'s `git_serve` whether this key may run it on that repository, then
//! run the whole upload-pack or receive-pack session, blocking, and count it in
//! `/metrics`. Refusals come back as one line in the client's language, for its stderr.

use hatchery_core::Actor;
use hatchery_core::ssh::{CommandError, GitCommand, parse_command};
use hatchery_protocol::{ProtocolVersion, ReceivePackOptions, Service, UploadPackOptions};
use hatchery_service::Forge;
use hatchery_service::git_serve::{Exchange, GitCaller, GitRefusal, GitTarget};
use hatchery_service::protection::PushRules;
use hatchery_service::ssh_keys::SshIdentity;
use hatchery_web::AppState;
use hatchery_web::git_http::LangMessages;
use hatchery_web::i18n::Lang;
use hatchery_web::metrics::{GitOperation, GitRequest, GitService};
use std::io::{Read, Write};

/// Exit status of a refused or failed command (git shows the message and gives up).
pub const EXIT_REFUSED: u32 = 1;

/// The language of messages for `identity`: the user's own setting, else the client's
/// locale (`LANG`, `LC_ALL` or `LC_MESSAGES`, which OpenSSH's default configuration sends),
/// else English.
pub fn language(identity: &SshIdentity, locale: Option<&str>) -> Lang {
    let chosen = match identity {
        SshIdentity::User { user, .. } => user.language.as_deref().and_then(Lang::from_tag),
        SshIdentity::Deploy { .. } => None,
    };
    chosen
        .or_else(|| locale.and_then(Lang::from_tag))
        .unwrap_or_default()
}

/// The greeting for someone who asked for a shell: who the key stands for, and that
/// there is no shell here.
pub fn shell_refusal(identity: &SshIdentity, lang: Lang) -> String {
    match identity {
        SshIdentity::User { user, .. } => lang.tf("ssh.welcome", &[("user", &user.name)]),
        SshIdentity::Deploy { .. } => lang.t("ssh.welcome_deploy").to_owned(),
    }
}

/// A command allowed to run.
pub struct GitRun {
    pub target: GitTarget,
    pub service: Service,
    pub version: ProtocolVersion,
    /// For pushes: the protection rules, gathered on the async side.
    pub rules: Option<PushRules>,
    pub lang: Lang,
}

/// What became of a command line.
pub enum Prepared {
    Run(Box<GitRun>),
    /// The message for the client's stderr.
    Refused(String),
}

/// Decides whether `identity` may run `line` (with `GIT_PROTOCOL` as the client sent it).
pub async fn prepare(
    state: &AppState,
    identity: &SshIdentity,
    line: &str,
    git_protocol: Option<&str>,
    lang: Lang,
) -> Prepared {
    let refused = |key: &'static str| Prepared::Refused(lang.t(key).to_owned());
    let command = match parse_command(line) {
        Ok(c) => c,
        Err(CommandError::NotGit) => return refused("ssh.unknown_command"),
        Err(CommandError::Malformed | CommandError::BadPath) => {
            return refused("ssh.bad_command");
        }
    };
    let service = match command.command {
        GitCommand::UploadPack => Service::UploadPack,
        GitCommand::ReceivePack => Service::ReceivePack,
        GitCommand::UploadArchive => return refused("ssh.no_archive"),
    };
    let caller = match identity {
        SshIdentity::User { user, .. } => GitCaller::Person {
            actor: Actor::User {
                id: user.id,
                site_admin: user.is_admin,
            },
            token_scopes: None,
        },
        SshIdentity::Deploy { repos } => GitCaller::DeployKey { repos },
    };
    let target = match state
        .forge
        .git_target(caller, &command.owner, &command.repo, service)
        .await
    {
        Ok(Ok(t)) => t,
        Ok(Err(GitRefusal::Hidden | GitRefusal::SignInRequired)) => {
            return refused("ssh.not_found");
        }
        Ok(Err(GitRefusal::NoWrite | GitRefusal::TokenScope(_))) => return refused("git.no_write"),
        Ok(Err(GitRefusal::DeployKeyReadOnly)) => return refused("ssh.deploy_read_only"),
        Err(e) => {
            tracing::error!(error = %e, "resolving an SSH git command failed");
            return refused("git.internal");
        }
    };
    let rules = match service {
        Service::UploadPack => None,
        Service::ReceivePack => match state.forge.push_rules(&target.repo, target.actor).await {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(error = %e, "reading the push rules failed");
                return refused("git.internal");
            }
        },
    };
    let version = match service {
        // git pushes in v0 whatever it asked for.
        Service::ReceivePack => ProtocolVersion::V0,
        Service::UploadPack => ProtocolVersion::from_git_protocol_header(git_protocol),
    };
    Prepared::Run(Box::new(GitRun {
        target,
        service,
        version,
        rules,
        lang,
    }))
}

/// Runs the whole session of `run` between `input` and `out` (blocking: call from a
/// blocking thread; `handle` is the runtime the after-push work runs on), and counts it.
pub fn run_blocking(
    state: &AppState,
    handle: &tokio::runtime::Handle,
    run: GitRun,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<(), hatchery_protocol::ProtocolError> {
    let started = std::time::Instant::now();
    let mut input = Counted::new(input);
    let mut out = Counted::new(out);
    let (service, operation, result) = match run.service {
        Service::UploadPack => {
            let result = state
                .forge
                .open_git_blocking(&run.target.repo)
                .map_err(|e| {
                    hatchery_protocol::ProtocolError::Io(std::io::Error::other(e.to_string()))
                })
                .and_then(|git| {
                    hatchery_protocol::upload_pack_session(
                        &git,
                        run.version,
                        &mut input,
                        &mut out,
                        &UploadPackOptions::default(),
                    )
                });
            let operation = match &result {
                Ok(outcome) => outcome.pack.map(|_| {
                    if outcome.common == 0 {
                        GitOperation::Clone
                    } else {
                        GitOperation::Fetch
                    }
                }),
                Err(_) => None,
            };
            (GitService::UploadPack, operation, result.map(drop))
        }
        Service::ReceivePack => {
            let options = ReceivePackOptions {
                max_pack_bytes: Some(state.cfg.max_push_bytes),
                deadline: Some(std::time::Instant::now() + state.cfg.max_push),
                ..ReceivePackOptions::default()
            };
            let Some(rules) = run.rules else {
                return Err(hatchery_protocol::ProtocolError::InvalidRequest(
                    "a push without its rules".into(),
                ));
            };
            let result = Forge::receive_pack_blocking(
                state,
                handle,
                &run.target,
                rules,
                &LangMessages(run.lang),
                Exchange::Session,
                &mut input,
                &mut out,
                &options,
            );
            let operation = match &result {
                // A client with nothing to push still connects, and sends no commands.
                Ok(outcome) if !outcome.updates.is_empty() => Some(GitOperation::Push),
                _ => None,
            };
            (GitService::ReceivePack, operation, result.map(drop))
        }
    };
    let flushed = out.flush();
    state.metrics.git_request(&GitRequest {
        service,
        operation,
        ok: result.is_ok() && flushed.is_ok(),
        sent: out.count,
        received: input.count,
        elapsed: started.elapsed(),
    });
    result?;
    flushed?;
    Ok(())
}

/// A reader or writer that counts the bytes going through it, for `/metrics`.
struct Counted<T> {
    inner: T,
    count: u64,
}

impl<T> Counted<T> {
    fn new(inner: T) -> Counted<T> {
        Counted { inner, count: 0 }
    }
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

impl<T: Write> Write for Counted<T> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(language: Option<&str>) -> SshIdentity {
        let u = hatchery_store::User {
            id: 1,
            name: "ada".into(),
            display_name: String::new(),
            email: "ada@example.org".into(),
            is_admin: false,
            language: language.map(str::to_owned),
            created_at: 0,
            is_disabled: false,
        };
        SshIdentity::User {
            user: Box::new(u),
            key_id: 1,
        }
    }

    #[test]
    fn language_from_the_account_then_the_locale() {
        assert_eq!(
            language(&user(Some("zh-CN")), Some("en_US.UTF-8")),
            Lang::ZhCn
        );
        assert_eq!(language(&user(None), Some("zh_CN.UTF-8")), Lang::ZhCn);
        assert_eq!(language(&user(None), Some("C.UTF-8")), Lang::En);
        assert_eq!(language(&user(None), None), Lang::En);
        let deploy = SshIdentity::Deploy { repos: vec![] };
        assert_eq!(language(&deploy, Some("zh_TW.UTF-8")), Lang::ZhCn);
        assert!(shell_refusal(&user(None), Lang::En).contains("ada"));
        assert!(!shell_refusal(&deploy, Lang::ZhCn).is_empty());
    }
}
