//! `hatchery admin migrate`: imports a repository from another forge or git server, as
//! the "New migration" page and `POST /repos/migrate` do, running the import in this
//! process with a progress bar. An import the command leaves unfinished (Ctrl-C, a crash)
//! is resumed by the server, or by running `--resume`.
// The command's output is meant for the person at the terminal.
#![allow(clippy::print_stdout)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use hatchery_core::imports::{ImportItems, ImportState, Stage};
use hatchery_core::{Actor, Resource};
use hatchery_service::import::{ImportOwner, ImportProgress, MigrateRequest};
use hatchery_store::Account;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Config;
use crate::server;

/// How often the progress bar asks how far the import has got.
const POLL: Duration = Duration::from_millis(250);

#[derive(Args, Debug)]
pub struct AdminMigrate {
    /// The repository to import: an http:// or https:// address.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The new repository, OWNER/NAME (a user or an organization).
    #[arg(long, value_name = "OWNER/NAME")]
    to: String,
    /// The source: git, github, gitlab, gitea (or forgejo), gitee.
    #[arg(long, default_value = "git")]
    service: String,
    /// Who imports: the owner when it is a user; needed for an organization.
    #[arg(long = "as", value_name = "USER")]
    as_user: Option<String>,
    /// A user name on the source, with --password-file.
    #[arg(long, default_value = "")]
    username: String,
    /// A file holding the source password (not on the command line, where the process
    /// list shows it).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// A file holding an access token of the source.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    #[arg(long, default_value = "")]
    description: String,
    #[arg(long)]
    private: bool,
    /// Keep following the source as a pull mirror (git data only).
    #[arg(long)]
    mirror: bool,
    /// The mirror's interval, like 8h or 30m; 0: on demand only.
    #[arg(long, default_value = "")]
    mirror_interval: String,
    /// Only the git data: no labels, milestones, issues, pull requests or releases.
    #[arg(long)]
    git_only: bool,
    /// An author mapping, SOURCE_LOGIN=LOCAL_USER; repeat for several.
    #[arg(long = "map-user", value_name = "LOGIN=USER")]
    user_map: Vec<String>,
    /// Resume the stopped import of --to instead of starting one.
    #[arg(long)]
    resume: bool,
}

fn read_secret(path: &Option<PathBuf>) -> anyhow::Result<String> {
    match path {
        None => Ok(String::new()),
        Some(p) => Ok(std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_owned()),
    }
}

pub async fn run(cfg: &Config, cmd: AdminMigrate) -> anyhow::Result<()> {
    let Some((owner, name)) = cmd.to.split_once('/') else {
        bail!("give --to as OWNER/NAME, for example lab/analysis");
    };
    let state = server::prepare(cfg).await?;
    let store = state.store.clone();
    let result = async {
        let account = store
            .account_by_name(owner)
            .await?
            .ok_or_else(|| anyhow::anyhow!("there is no user or organization named {owner}"))?;
        let importer_name = match (&cmd.as_user, &account) {
            (Some(u), _) => u.clone(),
            (None, Account::User(u)) => u.name.clone(),
            (None, Account::Org(o)) => {
                bail!("{} is an organization: name the importing member with --as", o.name)
            }
        };
        let Some(Account::User(importer)) = store.account_by_name(&importer_name).await? else {
            bail!("there is no user named {importer_name}");
        };
        let actor = Actor::User {
            id: importer.id,
            site_admin: importer.is_admin,
        };
        let forge = &state.forge;
        let repo_id = if cmd.resume {
            let repo = store
                .repo_by_name(owner, name)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no repository {}", cmd.to))?;
            forge
                .requeue_import(actor, &repo)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", cmd.to))?;
            repo.id
        } else {
            let (owner_id, owner_name, resource) = match &account {
                Account::User(u) => (u.id, u.name.clone(), Resource::User { id: u.id }),
                Account::Org(o) => {
                    let role = store
                        .org_role(o.id, importer.id)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("{importer_name} is not a member of {}", o.name))?;
                    (
                        o.id,
                        o.name.clone(),
                        Resource::Org(hatchery_core::OrgFacts { role: Some(role) }),
                    )
                }
            };
            let mut user_map = std::collections::BTreeMap::new();
            for pair in &cmd.user_map {
                let Some((login, local)) = pair.split_once('=') else {
                    bail!("--map-user takes LOGIN=USER, not {pair:?}");
                };
                user_map.insert(login.trim().to_owned(), local.trim().to_owned());
            }
            let request = MigrateRequest {
                clone_addr: cmd.from.clone(),
                auth_username: cmd.username.clone(),
                auth_password: read_secret(&cmd.password_file)?,
                auth_token: read_secret(&cmd.token_file)?,
                service: cmd.service.clone(),
                repo_name: name.to_owned(),
                description: cmd.description.clone(),
                private: cmd.private,
                mirror: cmd.mirror,
                mirror_interval: cmd.mirror_interval.clone(),
                items: if cmd.git_only {
                    ImportItems::default()
                } else {
                    ImportItems::all()
                },
                user_map,
            };
            let (repo, _) = forge
                .create_import(
                    actor,
                    ImportOwner {
                        id: owner_id,
                        name: &owner_name,
                        resource,
                    },
                    request,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            repo.id
        };
        let repo = store
            .repo_by_id(repo_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the repository is gone"))?;
        let import_id = forge
            .import_progress(&repo)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| anyhow::anyhow!("the import is gone"))?;
        let runner = state.clone();
        let mut task = tokio::spawn(async move { runner.forge.run_import(import_id).await });
        let bar = progress_bar();
        let ended = loop {
            tokio::select! {
                done = &mut task => break done,
                () = tokio::time::sleep(POLL) => {
                    if let Some(p) = forge.import_progress(&repo).await? {
                        show(&bar, &p);
                    }
                }
            }
        };
        bar.finish_and_clear();
        ended.context("the import task failed")??;
        let p = forge
            .import_progress(&repo)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the import is gone"))?;
        match p.state {
            ImportState::Done => {
                println!(
                    "Imported {} into {}/{}: {}",
                    p.clone_addr,
                    repo.owner_name,
                    repo.name,
                    summary(&p)
                );
                Ok(())
            }
            ImportState::Failed => bail!(
                "the import stopped: {}\nrun the same command with --resume to go on where it stopped",
                p.last_error
            ),
            // Another process (a running server) holds it: it goes on there.
            ImportState::Queued | ImportState::Running => {
                println!("The import of {} is running in the server.", cmd.to);
                Ok(())
            }
        }
    }
    .await;
    store.close().await;
    result
}

fn progress_bar() -> ProgressBar {
    let stages = Stage::ORDER.len() as u64 - 1;
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(stages), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{prefix:>14} [{bar:30}] {wide_msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn show(bar: &ProgressBar, p: &ImportProgress) {
    let at = Stage::ORDER
        .iter()
        .position(|s| *s == p.stage)
        .unwrap_or_default() as u64;
    bar.set_position(at);
    bar.set_prefix(p.stage.as_str().to_owned());
    bar.set_message(summary(p));
}

fn summary(p: &ImportProgress) -> String {
    let c = &p.counts;
    format!(
        "{} labels, {} milestones, {} issues, {} comments, {} pull requests, {} releases, {} files",
        c.labels, c.milestones, c.issues, c.comments, c.pull_requests, c.releases, c.assets
    )
}
