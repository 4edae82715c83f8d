//! Git over the system's OpenSSH (Gitea's model), for sites that keep sshd on port 22:
//! `hatchery keys` answers sshd's `AuthorizedKeysCommand` with an authorized_keys line
//! whose forced command is `hatchery serv key-ID`, which runs the client's git command
//! (`SSH_ORIGINAL_COMMAND`) over standard input and output, decided and carried exactly
//! as the built-in server does it.
// What these commands print is read by sshd and by git.
#![allow(clippy::print_stdout)]

use crate::config::Config;

/// The longest `serv` waits, after the git session, for the work that follows a push.
const AFTER_PUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(120);
use anyhow::Context;
use hatchery_ssh::exec::{self, EXIT_REFUSED, Prepared};
use hatchery_web::AppState;
use std::io::Write;
use std::path::Path;

/// `hatchery keys -e EXPECTED -u USER -t TYPE -k BASE64`: prints the authorized_keys line
/// for a registered key when USER is the account git connects as, nothing otherwise.
pub async fn keys(
    cfg: &Config,
    config_path: Option<&Path>,
    expected: &str,
    username: &str,
    key_type: &str,
    content: &str,
) -> anyhow::Result<()> {
    if username != expected {
        return Ok(());
    }
    let store = hatchery_store::Store::connect(&cfg.database.url, 2)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                cfg.database.url_redacted()
            )
        })?;
    let forge = crate::server::forge(cfg, store.clone());
    let found = forge
        .authorized_key(&format!("{key_type} {content}"))
        .await
        .context("looking up the key failed")?;
    store.close().await;
    if let Some((id, key)) = found {
        let exe = std::env::current_exe().context("cannot tell where this program is")?;
        println!("{}", authorized_keys_line(&exe, config_path, id, &key));
    }
    Ok(())
}

/// `command="HATCHERY [--config PATH] serv key-ID",restrict,... KEY`: sshd runs that
/// command, whatever the client asked, without a terminal or forwarding.
fn authorized_keys_line(exe: &Path, config: Option<&Path>, key_id: i64, key: &str) -> String {
    let mut command = shell_quote(&exe.to_string_lossy());
    if let Some(config) = config {
        let absolute = std::path::absolute(config).unwrap_or_else(|_| config.to_owned());
        command.push_str(" --config ");
        command.push_str(&shell_quote(&absolute.to_string_lossy()));
    }
    command.push_str(&format!(" serv key-{key_id}"));
    // Inside the option's double quotes sshd unescapes `\"` only.
    let command = command.replace('"', "\\\"");
    format!(
        "command=\"{command}\",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict {key}"
    )
}

/// A word for the shell sshd runs the forced command with.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,".contains(c))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// `hatchery serv key-ID`: the exit status for sshd to pass on.
pub async fn serv(cfg: &Config, key: &str) -> anyhow::Result<i32> {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    let key_id = key
        .strip_prefix("key-")
        .and_then(|id| id.parse::<i64>().ok())
        .with_context(|| format!("{key:?} is not key-ID"))?;
    let store = hatchery_store::Store::connect(&cfg.database.url, 4)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                cfg.database.url_redacted()
            )
        })?;
    // The site's secret: stored credentials (push mirrors that follow every push) are
    // sealed with a key derived from it.
    let secret = crate::server::signing_secret(cfg, &store).await?;
    let state = AppState::new(store.clone(), crate::server::web_config(cfg, secret));
    let status = serv_with(&state, key_id, locale.as_deref()).await;
    // What follows a push (upkeep, push mirrors, request rechecks) would die with this
    // process: let it finish, within reason.
    state.forge.background.close();
    if tokio::time::timeout(AFTER_PUSH_WAIT, state.forge.background.wait())
        .await
        .is_err()
    {
        tracing::warn!("work after the push did not finish in time; the server's jobs catch up");
    }
    store.close().await;
    status
}

async fn serv_with(state: &AppState, key_id: i64, locale: Option<&str>) -> anyhow::Result<i32> {
    let refuse = |message: &str| {
        eprintln!("{message}");
        Ok(EXIT_REFUSED as i32)
    };
    let Some(identity) = state.forge.ssh_identity_of_key(key_id).await? else {
        let lang = locale
            .and_then(hatchery_web::i18n::Lang::from_tag)
            .unwrap_or_default();
        return refuse(lang.t("ssh.key_unknown"));
    };
    let lang = exec::language(&identity, locale);
    let Some(line) = std::env::var("SSH_ORIGINAL_COMMAND")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return refuse(&exec::shell_refusal(&identity, lang));
    };
    let git_protocol = std::env::var("GIT_PROTOCOL").ok();
    let run = match exec::prepare(state, &identity, &line, git_protocol.as_deref(), lang).await {
        Prepared::Refused(message) => return refuse(&message),
        Prepared::Run(run) => run,
    };
    let handle = tokio::runtime::Handle::current();
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
        let result = exec::run_blocking(&st, &handle, *run, &mut input, &mut out);
        let flushed = out.flush();
        result.map_err(anyhow::Error::from)?;
        flushed.map_err(anyhow::Error::from)
    })
    .await
    .context("the git command panicked")?;
    match result {
        Ok(()) => Ok(0),
        // The client has been told (ERR packet or report-status).
        Err(_) => Ok(EXIT_REFUSED as i32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorized_keys_lines() {
        let line = authorized_keys_line(
            Path::new("/usr/local/bin/hatchery"),
            Some(Path::new("/etc/hatchery/hatchery.toml")),
            7,
            "ssh-ed25519 AAAAC3Nz",
        );
        assert_eq!(
            line,
            "command=\"/usr/local/bin/hatchery --config /etc/hatchery/hatchery.toml serv key-7\",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty,no-user-rc,restrict ssh-ed25519 AAAAC3Nz"
        );
        // Paths with spaces and quotes stay one word for the shell and inside the option.
        let line = authorized_keys_line(Path::new("/opt/my \"apps\"/it's"), None, 1, "k");
        assert!(
            line.starts_with("command=\"'/opt/my \\\"apps\\\"/it'\\''s' serv key-1\","),
            "{line}"
        );
    }
}
