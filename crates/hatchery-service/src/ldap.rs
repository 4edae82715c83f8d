//! Talking to an LDAP directory through `ldap3`: checking a user's password (bind as the
//! user, or search then bind), reading their attributes and groups (`memberOf` or a group
//! search), listing every user for the periodic team sync, and the administration's
//! "test connection". Plain LDAP, StartTLS and LDAPS, with rustls and an optional CA file.
//!
//! Every user name reaches the directory escaped (`hatchery_core::signin`), an empty
//! password is refused before anything is sent (an LDAP "unauthenticated bind" with a
//! name and no password succeeds on many servers), and every operation has a time limit.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use hatchery_core::signin::{LdapSecurity, LdapSettings, plausible_login};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};

/// A user as the directory describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub dn: String,
    /// The login name (the username attribute, else what was typed).
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
}

/// Why a directory sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    /// No such user, several matches, or a wrong password: a plain refusal.
    #[error("invalid credentials")]
    Invalid,
    /// The directory cannot be reached or answered with an error: the person is told the
    /// directory is unavailable (local accounts keep working).
    #[error("directory unavailable: {0}")]
    Unavailable(String),
    /// The source's settings cannot work (bad CA file, service account refused).
    #[error("directory misconfigured: {0}")]
    Config(String),
}

fn unavailable(e: impl std::fmt::Display) -> LdapError {
    LdapError::Unavailable(e.to_string())
}

/// The attributes read for a user.
fn user_attrs(s: &LdapSettings) -> Vec<String> {
    let mut attrs = vec![
        s.username_attr().to_owned(),
        s.email_attr().to_owned(),
        s.display_name_attr().to_owned(),
    ];
    if !s.attr_member_of.is_empty() {
        attrs.push(s.attr_member_of.clone());
    }
    attrs
}

fn tls_config(s: &LdapSettings) -> Result<Option<Arc<rustls::ClientConfig>>, LdapError> {
    if s.security == LdapSecurity::Plain || s.ca_file.is_empty() {
        return Ok(None);
    }
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(&s.ca_file)
        .map_err(|e| LdapError::Config(format!("CA file {}: {e}", s.ca_file)))?;
    for cert in certs {
        let cert = cert.map_err(|e| LdapError::Config(format!("CA file {}: {e}", s.ca_file)))?;
        roots
            .add(cert)
            .map_err(|e| LdapError::Config(format!("CA file {}: {e}", s.ca_file)))?;
    }
    if roots.is_empty() {
        return Err(LdapError::Config(format!(
            "CA file {}: no certificates",
            s.ca_file
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LdapError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Some(Arc::new(config)))
}

/// A connection to the directory, driven in the background until dropped.
struct Conn {
    ldap: Ldap,
    timeout: Duration,
}

impl Conn {
    async fn open(s: &LdapSettings) -> Result<Conn, LdapError> {
        let timeout = Duration::from_secs(s.timeout_secs());
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(timeout)
            .set_starttls(s.security == LdapSecurity::StartTls);
        if let Some(config) = tls_config(s)? {
            settings = settings.set_config(config);
        }
        let url = s.url();
        let (conn, ldap) =
            tokio::time::timeout(timeout, LdapConnAsync::with_settings(settings, &url))
                .await
                .map_err(|_| LdapError::Unavailable(format!("{url}: timed out")))?
                .map_err(|e| LdapError::Unavailable(format!("{url}: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "LDAP connection ended");
            }
        });
        Ok(Conn { ldap, timeout })
    }

    /// Binds; `Ok(false)` for refused credentials (result code 49).
    async fn bind(&mut self, dn: &str, password: &str) -> Result<bool, LdapError> {
        let r = self
            .ldap
            .with_timeout(self.timeout)
            .simple_bind(dn, password)
            .await
            .map_err(unavailable)?;
        match r.rc {
            0 => Ok(true),
            49 => Ok(false),
            rc => Err(LdapError::Unavailable(format!(
                "bind answered {rc}: {}",
                r.text
            ))),
        }
    }

    /// Binds with the source's service account, or stays anonymous without one.
    async fn bind_service(&mut self, s: &LdapSettings) -> Result<(), LdapError> {
        if s.bind_dn.is_empty() {
            return Ok(());
        }
        if self.bind(&s.bind_dn, &s.bind_password).await? {
            Ok(())
        } else {
            Err(LdapError::Config(
                "the bind DN and password were refused".into(),
            ))
        }
    }

    async fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<String>,
    ) -> Result<Vec<SearchEntry>, LdapError> {
        let (entries, _) = self
            .ldap
            .with_timeout(self.timeout)
            .search(base, scope, filter, attrs)
            .await
            .map_err(unavailable)?
            .success()
            .map_err(unavailable)?;
        Ok(entries.into_iter().map(SearchEntry::construct).collect())
    }

    /// A search that pages through large results (directories cap plain searches, often
    /// at 500 entries).
    async fn search_all(
        &mut self,
        base: &str,
        filter: &str,
        attrs: Vec<String>,
    ) -> Result<Vec<SearchEntry>, LdapError> {
        let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(500)),
        ];
        let mut stream = self
            .ldap
            .with_timeout(self.timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs)
            .await
            .map_err(unavailable)?;
        let mut out = Vec::new();
        while let Some(entry) = stream.next().await.map_err(unavailable)? {
            out.push(SearchEntry::construct(entry));
        }
        stream.finish().await.success().map_err(unavailable)?;
        Ok(out)
    }

    async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }
}

fn first(entry: &SearchEntry, attr: &str) -> Option<String> {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .and_then(|(_, v)| v.first())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn all(entry: &SearchEntry, attr: &str) -> Vec<String> {
    entry
        .attrs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(attr))
        .flat_map(|(_, v)| v.iter().cloned())
        .collect()
}

/// The user described by `entry`, with groups from `memberOf` or a group search.
async fn describe(
    conn: &mut Conn,
    s: &LdapSettings,
    entry: &SearchEntry,
    typed: &str,
) -> Result<DirectoryUser, LdapError> {
    let groups = if !s.attr_member_of.is_empty() {
        all(entry, &s.attr_member_of)
    } else if !s.group_base.is_empty() {
        conn.search(
            &s.group_base,
            Scope::Subtree,
            &s.group_filter_for(&entry.dn),
            vec!["1.1".to_owned()],
        )
        .await?
        .into_iter()
        .map(|g| g.dn)
        .collect()
    } else {
        Vec::new()
    };
    Ok(DirectoryUser {
        dn: entry.dn.clone(),
        username: first(entry, s.username_attr()).unwrap_or_else(|| typed.trim().to_owned()),
        email: first(entry, s.email_attr()),
        display_name: first(entry, s.display_name_attr()),
        groups,
    })
}

/// Checks `login`/`password` against the directory and describes the user.
pub async fn authenticate(
    s: &LdapSettings,
    login: &str,
    password: &str,
) -> Result<DirectoryUser, LdapError> {
    let login = login.trim();
    if password.is_empty() || !plausible_login(login) {
        return Err(LdapError::Invalid);
    }
    let mut conn = Conn::open(s).await?;
    let result = authenticate_on(&mut conn, s, login, password).await;
    conn.close().await;
    result
}

async fn authenticate_on(
    conn: &mut Conn,
    s: &LdapSettings,
    login: &str,
    password: &str,
) -> Result<DirectoryUser, LdapError> {
    let attrs = user_attrs(s);
    let entry = if !s.user_dn.is_empty() {
        // Bind as the user, then read their own entry.
        let dn = s.dn_for(login);
        if !conn.bind(&dn, password).await? {
            return Err(LdapError::Invalid);
        }
        let mut found = conn
            .search(&dn, Scope::Base, "(objectClass=*)", attrs)
            .await?;
        if found.len() != 1 {
            return Err(LdapError::Invalid);
        }
        found.remove(0)
    } else {
        // Search with the service account, then bind as the one entry found.
        conn.bind_service(s).await?;
        let mut found = conn
            .search(&s.user_base, Scope::Subtree, &s.filter_for(login), attrs)
            .await?;
        if found.len() != 1 {
            if found.len() > 1 {
                tracing::warn!(
                    matches = found.len(),
                    "LDAP sign-in: the filter matched several entries"
                );
            }
            return Err(LdapError::Invalid);
        }
        let entry = found.remove(0);
        if !conn.bind(&entry.dn, password).await? {
            return Err(LdapError::Invalid);
        }
        // Read groups with the service account's rights again.
        conn.bind_service(s).await?;
        entry
    };
    describe(conn, s, &entry, login).await
}

/// Connects, binds with the service account and runs the user search once: what the
/// administration's "test connection" reports. Returns how many users the filter finds
/// for `*` (search then bind) or 0 (bind as user).
pub async fn test_connection(s: &LdapSettings) -> Result<usize, LdapError> {
    let mut conn = Conn::open(s).await?;
    let r = async {
        conn.bind_service(s).await?;
        if s.user_dn.is_empty() {
            let filter = s.user_filter.replace("%s", "*");
            Ok(conn
                .search_all(&s.user_base, &filter, vec!["1.1".to_owned()])
                .await?
                .len())
        } else {
            Ok(0)
        }
    }
    .await;
    conn.close().await;
    r
}

/// Every user the source's filter finds, with their groups, for the team sync. Needs
/// search then bind (a service account or anonymous search).
pub async fn all_users(s: &LdapSettings) -> Result<Vec<DirectoryUser>, LdapError> {
    if s.user_base.is_empty() {
        return Err(LdapError::Config(
            "the team sync needs a user search base and filter".into(),
        ));
    }
    let mut conn = Conn::open(s).await?;
    let r = async {
        conn.bind_service(s).await?;
        let filter = s.user_filter.replace("%s", "*");
        let entries = conn
            .search_all(&s.user_base, &filter, user_attrs(s))
            .await?;
        // With a group search, one search lists every group's members instead of one
        // search per user.
        let memberships = if s.attr_member_of.is_empty() && !s.group_base.is_empty() {
            Some(group_members(&mut conn, s).await?)
        } else {
            None
        };
        let mut users = Vec::with_capacity(entries.len());
        for e in &entries {
            let Some(username) = first(e, s.username_attr()) else {
                continue;
            };
            let groups = match &memberships {
                Some(m) => {
                    let dn = e.dn.to_lowercase();
                    m.iter()
                        .filter(|(_, members)| members.contains(&dn))
                        .map(|(g, _)| g.clone())
                        .collect()
                }
                None if !s.attr_member_of.is_empty() => all(e, &s.attr_member_of),
                None => Vec::new(),
            };
            users.push(DirectoryUser {
                dn: e.dn.clone(),
                username,
                email: first(e, s.email_attr()),
                display_name: first(e, s.display_name_attr()),
                groups,
            });
        }
        Ok(users)
    }
    .await;
    conn.close().await;
    r
}

/// Every group under the group base with its members' DNs (lower-cased): the group filter
/// with `%s` as `*`, members from `member` or `uniqueMember`.
async fn group_members(
    conn: &mut Conn,
    s: &LdapSettings,
) -> Result<Vec<(String, BTreeSet<String>)>, LdapError> {
    let filter = s.group_filter.replace("%s", "*");
    let groups = conn
        .search_all(
            &s.group_base,
            &filter,
            vec!["member".to_owned(), "uniqueMember".to_owned()],
        )
        .await?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let members = all(&g, "member")
                .into_iter()
                .chain(all(&g, "uniqueMember"))
                .map(|m| m.to_lowercase())
                .collect();
            (g.dn, members)
        })
        .collect())
}
