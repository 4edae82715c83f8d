//! The command line: `serve`, `migrate`, `default-config`, `admin ...`, `dump`, `restore`
//! and `healthcheck`.
// The CLI's output is meant for the person at the terminal.
#![allow(clippy::print_stdout)]

use crate::config::{self, Config};
use crate::{logging, server};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use hatchery_core::validate::{self, FieldError};
use hatchery_core::{Name, NameKind};
use hatchery_store::{ConflictField, NewUser, StoreError};
use hatchery_web::AppState;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "hatchery",
    version,
    about = "A self-hostable code forge with a built-in incubator"
)]
pub struct Cli {
    /// Configuration file (default: DATA_DIR/hatchery.toml when it exists).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web, git and API server.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print an annotated example configuration file.
    DefaultConfig,
    /// Administration tasks for scripts.
    #[command(subcommand)]
    Admin(Admin),
    /// Write the whole site (database, repositories, configuration) to one archive; safe
    /// while the server runs.
    Dump {
        /// The archive: .tar, or .tar.gz/.tgz to compress; - for standard output (tar).
        /// Default: hatchery-dump-DATE-TIME.tar.gz in the working directory.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Also put the signing secret and the database URL in the archive's configuration.
        #[arg(long)]
        include_secrets: bool,
    },
    /// Restore an archive made by `hatchery dump` into a new data directory and an empty
    /// database (either engine).
    Restore {
        /// The archive (.tar or .tar.gz).
        file: PathBuf,
    },
    /// Ask the server running with this configuration (at server.listen) whether it is
    /// healthy: exit code 0 when its /api/healthz answers 200, 1 otherwise. For container
    /// health checks; needs no HTTP client in the image.
    Healthcheck {
        /// Give up after this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 5)]
        timeout: u64,
    },
    /// For OpenSSH's AuthorizedKeysCommand: print the authorized_keys line of a registered
    /// key, which makes sshd run `hatchery serv` for it. In sshd_config:
    /// `AuthorizedKeysCommand /usr/local/bin/hatchery --config /etc/hatchery/hatchery.toml keys -e git -u %u -t %t -k %k`
    /// and `AuthorizedKeysCommandUser git`.
    Keys {
        /// The account git connects as; other accounts get no keys.
        #[arg(
            short = 'e',
            long = "expected",
            value_name = "USER",
            default_value = "git"
        )]
        expected: String,
        /// The account the client asks for (sshd's %u).
        #[arg(short = 'u', long = "username", value_name = "USER")]
        username: String,
        /// The key's type (sshd's %t), e.g. ssh-ed25519.
        #[arg(short = 't', long = "type", value_name = "TYPE")]
        key_type: String,
        /// The key, base64 (sshd's %k).
        #[arg(short = 'k', long = "content", value_name = "BASE64")]
        content: String,
    },
    /// The forced command sshd runs for a key that `hatchery keys` printed: runs the git
    /// command in SSH_ORIGINAL_COMMAND for that key's owner over standard input and output.
    Serv {
        /// `key-ID`, as `hatchery keys` wrote it.
        key: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum Admin {
    /// Manage user accounts.
    #[command(subcommand)]
    User(AdminUser),
    /// Manage repositories.
    #[command(subcommand)]
    Repo(AdminRepo),
    /// Manage sign-in sources (LDAP directories, OpenID Connect providers, reverse-proxy
    /// headers).
    #[command(subcommand)]
    Auth(Box<AdminAuth>),
    /// Import a repository from GitHub, GitLab, Gitea/Forgejo, Gitee or a git server, with
    /// a progress bar.
    Migrate(Box<crate::migrate::AdminMigrate>),
}

/// Settings every kind of sign-in source has.
#[derive(Args, Debug)]
pub struct SourceCommon {
    /// The name shown on the sign-in page.
    #[arg(long)]
    name: String,
    /// Save it disabled.
    #[arg(long)]
    disabled: bool,
    /// Only people whose account is already linked may sign in.
    #[arg(long)]
    no_auto_create: bool,
    /// Group → team mapping, `GROUP -> ORG/TEAM`; repeat for several.
    #[arg(long = "map", value_name = "GROUP -> ORG/TEAM")]
    mappings: Vec<String>,
    /// Members of this group are site administrators.
    #[arg(long, default_value = "")]
    admin_group: String,
}

#[derive(Subcommand, Debug)]
pub enum AdminAuth {
    /// Add an LDAP directory (search then bind with --user-base/--user-filter, or bind as
    /// the user with --user-dn).
    AddLdap {
        #[command(flatten)]
        common: SourceCommon,
        #[arg(long)]
        host: String,
        /// Default: 389, or 636 with --security ldaps.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// plain, starttls or ldaps.
        #[arg(long, default_value = "plain")]
        security: String,
        /// PEM file of the CA that signed the directory's certificate.
        #[arg(long, default_value = "")]
        ca_file: String,
        #[arg(long, default_value = "")]
        bind_dn: String,
        /// File whose first line is the bind password.
        #[arg(long, value_name = "FILE")]
        bind_password_file: Option<PathBuf>,
        /// Bind as the user: a DN with %s for the user name.
        #[arg(long, default_value = "")]
        user_dn: String,
        #[arg(long, default_value = "")]
        user_base: String,
        #[arg(long, default_value = "(&(objectClass=inetOrgPerson)(uid=%s))")]
        user_filter: String,
        #[arg(long, default_value = "uid")]
        attr_username: String,
        #[arg(long, default_value = "mail")]
        attr_email: String,
        #[arg(long, default_value = "cn")]
        attr_display_name: String,
        /// Empty to search groups with --group-base/--group-filter instead.
        #[arg(long, default_value = "memberOf")]
        attr_member_of: String,
        #[arg(long, default_value = "")]
        group_base: String,
        #[arg(long, default_value = "")]
        group_filter: String,
        #[arg(long, default_value_t = 10)]
        timeout_secs: u64,
    },
    /// Add reverse-proxy header sign-in (Shibboleth, CAS, ...).
    AddHeader {
        #[command(flatten)]
        common: SourceCommon,
        #[arg(long, default_value = "X-Remote-User")]
        username_header: String,
        #[arg(long, default_value = "")]
        email_header: String,
        #[arg(long, default_value = "")]
        display_name_header: String,
        #[arg(long, default_value = "")]
        groups_header: String,
        #[arg(long, default_value = ",")]
        groups_separator: String,
        /// CIDRs (or loopback, private) the header is believed from.
        #[arg(long)]
        trusted_proxies: String,
        /// Email domain for accounts created without an email header.
        #[arg(long, default_value = "")]
        email_domain: String,
    },
    /// Add an OpenID Connect provider (Keycloak, Authentik, Azure AD, a campus SSO). Prints
    /// the redirect URI to register with the provider.
    AddOidc {
        #[command(flatten)]
        common: SourceCommon,
        /// The issuer URL; discovery reads ISSUER/.well-known/openid-configuration.
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// File whose first line is the client secret (none: a public client, PKCE only).
        #[arg(long, value_name = "FILE")]
        client_secret_file: Option<PathBuf>,
        /// Scopes besides `openid`, space-separated.
        #[arg(long, default_value = "profile email")]
        scopes: String,
        /// Claims read for the account (empty: preferred_username, email, name, groups).
        #[arg(long, default_value = "")]
        claim_username: String,
        #[arg(long, default_value = "")]
        claim_email: String,
        #[arg(long, default_value = "")]
        claim_display_name: String,
        #[arg(long, default_value = "")]
        claim_groups: String,
    },
    /// List the sign-in sources.
    List,
    /// Run the LDAP team sync now (every enabled LDAP source, or the one named).
    Sync {
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminRepo {
    /// Create a repository for a user or an organization.
    Create {
        /// OWNER/NAME
        full_name: String,
        /// Visible only to those given access.
        #[arg(long)]
        private: bool,
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AdminUser {
    /// Create an account.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
        /// Make the account a site administrator.
        #[arg(long)]
        admin: bool,
        /// Also create an access token for the account and print it, as Gitea's flag does
        /// ("Access token was successfully created... TOKEN"). The token carries every
        /// scope (Gitea's "all"): it can do whatever the account can through the API and
        /// git. Keep it secret; revoke it in the account's settings when done.
        #[arg(long)]
        access_token: bool,
        /// The name of the token made by --access-token.
        #[arg(
            long,
            value_name = "NAME",
            default_value = "hatchery-admin",
            requires = "access_token"
        )]
        access_token_name: String,
    },
    /// Set an account's password.
    SetPassword {
        #[arg(long)]
        username: String,
        #[command(flatten)]
        password: PasswordSource,
    },
}

#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct PasswordSource {
    /// The password (visible in the process list; prefer --password-file).
    #[arg(long)]
    password: Option<String>,
    /// Read the password from this file (its first line).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

impl PasswordSource {
    fn read(&self) -> anyhow::Result<String> {
        let password = match (&self.password, &self.password_file) {
            (Some(p), _) => p.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the password file {}", path.display()))?
                .lines()
                .next()
                .unwrap_or("")
                .to_owned(),
            (None, None) => bail!("give --password or --password-file"),
        };
        match validate::password(&password) {
            Ok(()) => {}
            Err(FieldError::PasswordTooShort { min }) => {
                bail!("the password is too short: it must have at least {min} characters")
            }
            Err(FieldError::PasswordTooLong { max }) => {
                bail!("the password is too long: it may have at most {max} bytes")
            }
            Err(e) => bail!("the password is not acceptable: {e}"),
        }
        Ok(password)
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::DefaultConfig = cli.command {
        print!("{}", config::default_config_toml());
        return Ok(());
    }
    let cfg = Config::load(cli.config.as_deref())?;
    if let Command::Serv { key } = &cli.command {
        // sshd passes this process's stderr to the git client: no log lines there.
        let status = crate::ssh::serv(&cfg, key).await?;
        if status != 0 {
            std::process::exit(status);
        }
        return Ok(());
    }
    logging::init(&cfg.log);
    match cli.command {
        Command::DefaultConfig => Ok(()),
        Command::Serve => serve(cfg).await,
        Command::Migrate => {
            let store = server::open_store(&cfg).await?;
            store.close().await;
            println!(
                "The database at {} is up to date.",
                cfg.database.url_redacted()
            );
            Ok(())
        }
        Command::Admin(Admin::User(cmd)) => admin_user(&cfg, cmd).await,
        Command::Dump {
            output,
            include_secrets,
        } => {
            let options = crate::backup::DumpOptions {
                output,
                include_secrets,
                config_path: cli.config.clone(),
            };
            crate::backup::dump(&cfg, options).await
        }
        Command::Restore { file } => crate::backup::restore(&cfg, &file).await,
        Command::Healthcheck { timeout } => {
            crate::healthcheck::check(cfg.server.listen, std::time::Duration::from_secs(timeout))
                .await
        }
        Command::Keys {
            expected,
            username,
            key_type,
            content,
        } => {
            crate::ssh::keys(
                &cfg,
                cli.config.as_deref(),
                &expected,
                &username,
                &key_type,
                &content,
            )
            .await
        }
        Command::Serv { .. } => Ok(()),
        Command::Admin(Admin::Repo(cmd)) => admin_repo(&cfg, cmd).await,
        Command::Admin(Admin::Auth(cmd)) => admin_auth(&cfg, *cmd).await,
        Command::Admin(Admin::Migrate(cmd)) => crate::migrate::run(&cfg, *cmd).await,
    }
}

async fn serve(mut cfg: Config) -> anyhow::Result<()> {
    let store = server::open_store(&cfg).await?;
    let secret = server::signing_secret(&cfg, &store).await?;
    // Before anyone can reach the server, so that from the first request on a signal
    // means a graceful shutdown.
    let shutdown = server::shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("cannot listen on {} (server.listen)", cfg.server.listen))?;
    let local = listener
        .local_addr()
        .context("cannot read the address the server listens on")?;
    // `server.listen` with port 0 asks for any free port; a public URL derived from it
    // must name the port actually bound, or every link and clone URL would be wrong.
    let listen = cfg.server.listen;
    if listen.port() == 0 {
        if cfg.server.public_url == format!("http://{listen}/") {
            cfg.server.public_url = format!("http://{local}/");
        } else if listen.ip().is_unspecified() && cfg.server.public_url == "http://localhost:0/" {
            cfg.server.public_url = format!("http://localhost:{}/", local.port());
        }
    }
    let ssh_listener = match cfg.ssh.enabled {
        true => Some(
            tokio::net::TcpListener::bind(cfg.ssh.listen)
                .await
                .with_context(|| format!("cannot listen on {} (ssh.listen)", cfg.ssh.listen))?,
        ),
        false => None,
    };
    let ssh_local = match &ssh_listener {
        Some(l) => Some(
            l.local_addr()
                .context("cannot read the address the SSH server listens on")?,
        ),
        None => None,
    };
    // As for HTTP: with ssh.listen on port 0, clone URLs name the port bound.
    if let Some(local) = ssh_local
        && cfg.ssh.public_port == 0
    {
        cfg.ssh.public_port = local.port();
    }
    let state = AppState::new(store, server::web_config(&cfg, secret));
    let ssh = match ssh_listener {
        Some(listener) => {
            let keys = server::ssh_host_keys(&cfg).await?;
            for k in &keys {
                tracing::info!(path = %k.path.display(), fingerprint = %k.fingerprint(), "SSH host key");
            }
            let keys = keys.into_iter().map(|k| k.key).collect();
            Some(server::SshPart {
                server: hatchery_ssh::SshServer::new(
                    state.clone(),
                    &server::ssh_settings(&cfg),
                    keys,
                ),
                listener,
            })
        }
        None => None,
    };
    let users = state.store.count_users().await?;
    let version = env!("CARGO_PKG_VERSION");
    let public_url = &cfg.server.public_url;
    if *public_url == format!("http://{local}/") {
        println!("Hatchery {version} is running at {public_url}");
    } else {
        println!("Hatchery {version} is listening on {local}; people reach it at {public_url}");
    }
    if users == 0 {
        if cfg.auth.allow_signup {
            println!(
                "No accounts yet: the first account to sign up at {public_url}user/sign_up becomes the site administrator."
            );
        } else {
            println!("No accounts yet and sign-up is off: create the administrator with");
            println!(
                "  hatchery admin user create --admin --username NAME --email EMAIL --password-file FILE"
            );
        }
    }
    if let (Some(ssh_local), Some(base)) = (ssh_local, &state.cfg.ssh_clone) {
        println!(
            "SSH is listening on {ssh_local}; clone URLs look like {}",
            base.url("OWNER", "REPO")
        );
    }
    tracing::info!(listen = %local, public_url = %public_url, database = %cfg.database.url_redacted(), "server started");
    server::run_with_ssh(state, listener, ssh, shutdown).await
}

async fn admin_user(cfg: &Config, cmd: AdminUser) -> anyhow::Result<()> {
    let store = server::open_store(cfg).await?;
    let result = match cmd {
        AdminUser::Create {
            username,
            email,
            password,
            admin,
            access_token,
            access_token_name,
        } => {
            let name = Name::parse(NameKind::Account, &username)
                .map_err(|e| anyhow::anyhow!("--username: {e}"))?;
            let email = validate::email(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let password = password.read()?;
            let hash = tokio::task::spawn_blocking(move || {
                hatchery_service::password::hash_blocking(&password)
            })
            .await?
            .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
            let new = NewUser {
                name,
                email,
                password_hash: hash,
                display_name: String::new(),
                is_admin: admin,
            };
            match store.create_user(new).await {
                Ok(user) => {
                    let role = if user.is_admin {
                        "site administrator"
                    } else {
                        "user"
                    };
                    println!("Created {role} {} (id {}).", user.name, user.id);
                    if access_token {
                        let scopes: Vec<String> = hatchery_service::tokens::SCOPES
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect();
                        let forge = server::forge(cfg, store.clone());
                        match forge
                            .create_token(user.id, &access_token_name, &scopes)
                            .await
                        {
                            Ok(made) => {
                                println!(
                                    "Access token was successfully created... {}",
                                    made.secret
                                );
                                Ok(())
                            }
                            Err(e) => Err(anyhow::anyhow!(
                                "the account was created, but creating its access token failed: {e}"
                            )),
                        }
                    } else {
                        Ok(())
                    }
                }
                Err(StoreError::Conflict(ConflictField::Name)) => {
                    Err(anyhow::anyhow!("the name {username} is already taken"))
                }
                Err(StoreError::Conflict(ConflictField::Email)) => {
                    Err(anyhow::anyhow!("that email address is already used"))
                }
                Err(e) => Err(e.into()),
            }
        }
        AdminUser::SetPassword { username, password } => {
            let user = store
                .user_by_name(&username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no user named {username}"))?;
            let password = password.read()?;
            let hash = tokio::task::spawn_blocking(move || {
                hatchery_service::password::hash_blocking(&password)
            })
            .await?
            .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
            store.set_password_hash(user.id, &hash).await?;
            // As after a change in the settings: whoever was signed in is signed out.
            let ended = store.end_sessions(user.id, None).await?;
            println!(
                "The password of {} has been changed; {ended} session(s) signed out.",
                user.name
            );
            Ok(())
        }
    };
    store.close().await;
    result
}

/// The command line acts with the site's full rights: whoever runs it controls the server.
const OPERATOR: hatchery_core::Actor = hatchery_core::Actor::User {
    id: 0,
    site_admin: true,
};

fn source_input(
    common: SourceCommon,
    settings: hatchery_core::signin::SourceSettings,
) -> hatchery_service::sources::SourceInput {
    hatchery_service::sources::SourceInput {
        name: common.name,
        is_enabled: !common.disabled,
        auto_create: !common.no_auto_create,
        settings,
        mappings: common.mappings.join("\n"),
    }
}

fn source_error(e: hatchery_service::sources::SourceError) -> anyhow::Error {
    use hatchery_service::sources::SourceError;
    match e {
        SourceError::Invalid { field, key, detail } => {
            let what = match key {
                "auth_source.error.mapping_line" => {
                    format!("--map number {detail} must read GROUP -> ORG/TEAM")
                }
                "auth_source.error.no_team" => format!("--map: there is no team {detail}"),
                "auth_source.error.placeholder" => {
                    format!("--{} must contain %s", field.replace('_', "-"))
                }
                "auth_source.error.filter" => {
                    format!("--{} is not a valid LDAP filter", field.replace('_', "-"))
                }
                _ => format!("--{} is missing or invalid", field.replace('_', "-")),
            };
            anyhow::anyhow!(what)
        }
        SourceError::NameTaken => anyhow::anyhow!("another sign-in source has that name"),
        SourceError::NotFound => anyhow::anyhow!("there is no such sign-in source"),
        e => anyhow::anyhow!(e),
    }
}

/// The first line of a secret's file (empty without a file): secrets stay out of the
/// command line, where `ps` and shell histories would show them.
fn first_line_of(path: Option<&std::path::Path>) -> anyhow::Result<String> {
    Ok(match path {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .lines()
            .next()
            .unwrap_or("")
            .to_owned(),
        None => String::new(),
    })
}

async fn admin_auth(cfg: &Config, cmd: AdminAuth) -> anyhow::Result<()> {
    use hatchery_core::signin::{
        HeaderSettings, LdapSecurity, LdapSettings, OidcSettings, SourceSettings,
    };
    let store = server::open_store(cfg).await?;
    let forge = server::forge(cfg, store.clone());
    let result = async {
        match cmd {
            AdminAuth::AddLdap {
                common,
                host,
                port,
                security,
                ca_file,
                bind_dn,
                bind_password_file,
                user_dn,
                user_base,
                user_filter,
                attr_username,
                attr_email,
                attr_display_name,
                attr_member_of,
                group_base,
                group_filter,
                timeout_secs,
            } => {
                let security = LdapSecurity::parse(&security).ok_or_else(|| {
                    anyhow::anyhow!("--security must be plain, starttls or ldaps")
                })?;
                let bind_password = first_line_of(bind_password_file.as_deref())?;
                let settings = SourceSettings::Ldap(LdapSettings {
                    host,
                    port,
                    security,
                    ca_file,
                    bind_dn,
                    bind_password,
                    user_filter: if user_dn.is_empty() {
                        user_filter
                    } else {
                        String::new()
                    },
                    user_dn,
                    user_base,
                    attr_username,
                    attr_email,
                    attr_display_name,
                    attr_member_of,
                    group_base,
                    group_filter,
                    admin_group: common.admin_group.clone(),
                    timeout_secs,
                });
                let s = forge
                    .admin_create_source(OPERATOR, source_input(common, settings))
                    .await
                    .map_err(source_error)?;
                println!("Added LDAP sign-in source {} (id {}).", s.name, s.id);
                Ok(())
            }
            AdminAuth::AddHeader {
                common,
                username_header,
                email_header,
                display_name_header,
                groups_header,
                groups_separator,
                trusted_proxies,
                email_domain,
            } => {
                let settings = SourceSettings::Header(HeaderSettings {
                    username_header,
                    email_header,
                    display_name_header,
                    groups_header,
                    groups_separator,
                    trusted_proxies,
                    email_domain,
                    admin_group: common.admin_group.clone(),
                });
                let s = forge
                    .admin_create_source(OPERATOR, source_input(common, settings))
                    .await
                    .map_err(source_error)?;
                println!("Added header sign-in source {} (id {}).", s.name, s.id);
                Ok(())
            }
            AdminAuth::AddOidc {
                common,
                issuer,
                client_id,
                client_secret_file,
                scopes,
                claim_username,
                claim_email,
                claim_display_name,
                claim_groups,
            } => {
                let settings = SourceSettings::Oidc(OidcSettings {
                    issuer,
                    client_id,
                    client_secret: first_line_of(client_secret_file.as_deref())?,
                    scopes,
                    claim_username,
                    claim_email,
                    claim_display_name,
                    claim_groups,
                    admin_group: common.admin_group.clone(),
                });
                let s = forge
                    .admin_create_source(OPERATOR, source_input(common, settings))
                    .await
                    .map_err(source_error)?;
                println!(
                    "Added OpenID Connect sign-in source {} (id {}).\nRegister this redirect URI with the provider: {}/user/oauth2/{}/callback",
                    s.name,
                    s.id,
                    cfg.server.public_url.trim_end_matches('/'),
                    s.id
                );
                Ok(())
            }
            AdminAuth::List => {
                let sources = forge.admin_sources(OPERATOR).await.map_err(source_error)?;
                if sources.is_empty() {
                    println!("No sign-in sources.");
                }
                for s in sources {
                    let mappings = store.source_mappings(s.id).await?.len();
                    println!(
                        "{}\t{}\t{}\t{}\t{} mapping(s)",
                        s.id,
                        s.kind.as_str(),
                        if s.is_enabled { "enabled" } else { "disabled" },
                        s.name,
                        mappings
                    );
                }
                Ok(())
            }
            AdminAuth::Sync { name } => {
                let report = match name {
                    Some(name) => {
                        let d = forge
                            .admin_source(OPERATOR, &name)
                            .await
                            .map_err(source_error)?;
                        forge.sync_source(&d.source).await?
                    }
                    None => forge.sync_all_sources().await?,
                };
                println!(
                    "Synced {} account(s): {} team membership(s) added, {} removed.",
                    report.users, report.added, report.removed
                );
                Ok(())
            }
        }
    }
    .await;
    store.close().await;
    result
}

async fn admin_repo(cfg: &Config, cmd: AdminRepo) -> anyhow::Result<()> {
    let AdminRepo::Create {
        full_name,
        private,
        description,
    } = cmd;
    let Some((owner, name)) = full_name.split_once('/') else {
        bail!("give the repository as OWNER/NAME, for example lab/analysis");
    };
    let name = Name::parse(NameKind::Repository, name)
        .map_err(|e| anyhow::anyhow!("repository name: {e}"))?;
    let description = validate::text(&description, validate::DESCRIPTION_MAX)
        .map_err(|e| anyhow::anyhow!("--description: {e}"))?;
    let store = server::open_store(cfg).await?;
    let forge = server::forge(cfg, store.clone());
    let result = async {
        let account = store
            .account_by_name(owner)
            .await?
            .ok_or_else(|| anyhow::anyhow!("there is no user or organization named {owner}"))?;
        let (owner_id, owner_name) = match account {
            hatchery_store::Account::User(u) => (u.id, u.name),
            hatchery_store::Account::Org(o) => (o.id, o.name),
        };
        let request = hatchery_service::repos::CreateRepo {
            owner_id,
            owner_name: &owner_name,
            name: &name,
            description: &description,
            is_private: private,
            init_readme: None,
        };
        match forge.create_repo(request).await {
            Ok(repo) => {
                let visibility = if repo.is_private { "private" } else { "public" };
                println!(
                    "Created {visibility} repository {}/{} at {}",
                    repo.owner_name,
                    repo.name,
                    forge.repos.path_of(&repo.owner_name, &repo.name).display()
                );
                Ok(())
            }
            Err(hatchery_service::repos::CreateRepoError::NameTaken) => Err(anyhow::anyhow!(
                "{owner_name} already has a repository named {name}"
            )),
            Err(e) => Err(anyhow::anyhow!(e)),
        }
    }
    .await;
    store.close().await;
    result
}
