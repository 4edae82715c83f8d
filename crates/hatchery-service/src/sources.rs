//! Sign-in sources (LDAP, OpenID Connect, reverse-proxy headers): their administration
//! (every use case asks the policy first, like the rest of `/admin`), signing in with an
//! identity a source vouches for (the account found by its link, or created on first
//! sign-in when the source allows it; an existing account with the same name or email is
//! never taken over silently), the group → team mapping applied at every sign-in, and the
//! periodic LDAP team sync.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use hatchery_core::signin::{
    GroupMapping, SettingsError, SourceKind, SourceSettings, account_name_for, format_mappings,
    in_group, parse_mappings, team_changes,
};
use hatchery_core::{Actor, validate};
use hatchery_store::{AuthSource, NewAuthSource, NewUser, SourceMapping, StoreError, User};

use crate::admin::AdminError;
use crate::ldap::{self, LdapError};
use crate::oidc::OidcError;
use crate::{Forge, ServiceError};

/// Longest name of a source (it is shown on the sign-in page).
pub const SOURCE_NAME_MAX: usize = 80;

/// What an administrator submits for a source.
#[derive(Debug, Clone)]
pub struct SourceInput {
    pub name: String,
    pub is_enabled: bool,
    pub auto_create: bool,
    pub settings: SourceSettings,
    /// `group -> org/team` lines.
    pub mappings: String,
}

/// A source with its settings read and its mapping.
#[derive(Debug, Clone)]
pub struct SourceDetail {
    pub source: AuthSource,
    pub settings: SourceSettings,
    pub mappings: Vec<SourceMapping>,
}

impl SourceDetail {
    pub fn mappings_text(&self) -> String {
        format_mappings(
            &self
                .mappings
                .iter()
                .map(|m| GroupMapping {
                    group: m.group.clone(),
                    org: m.org_name.clone(),
                    team: m.team_name.clone(),
                })
                .collect::<Vec<_>>(),
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Not an administrator, or no such source.
    #[error("not found")]
    NotFound,
    /// A field is refused: the field and the catalog key of the message.
    #[error("{field}: {key}")]
    Invalid {
        field: &'static str,
        key: &'static str,
        /// What the message names (a mapping line, a team).
        detail: String,
    },
    #[error("the name is taken")]
    NameTaken,
    /// "Test connection" failed: the directory's answer.
    #[error("connection failed: {0}")]
    Connection(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SourceError {
    fn from(e: StoreError) -> SourceError {
        match e {
            StoreError::NotFound => SourceError::NotFound,
            StoreError::Conflict(_) => SourceError::NameTaken,
            e => SourceError::Service(e.into()),
        }
    }
}

impl From<AdminError> for SourceError {
    fn from(e: AdminError) -> SourceError {
        match e {
            AdminError::Service(e) => SourceError::Service(e),
            _ => SourceError::NotFound,
        }
    }
}

impl From<SettingsError> for SourceError {
    fn from(e: SettingsError) -> SourceError {
        SourceError::Invalid {
            field: e.field(),
            key: e.message_key(),
            detail: e.field().to_owned(),
        }
    }
}

/// An identity a source vouches for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// What the link remembers: the LDAP login name, the OIDC `sub`, the header's user.
    pub external_id: String,
    /// The account name wanted on first sign-in.
    pub username: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub groups: Vec<String>,
}

/// The result of signing in with a source's identity.
#[derive(Debug)]
pub enum ExternalSignIn {
    Ok(User),
    Disabled,
    /// No linked account and the source does not create accounts.
    NoAccount,
    /// An account with the name or email exists and is not linked: sign in to it and link
    /// from the settings (never linked silently).
    Taken,
}

/// What "test connection" found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceTest {
    /// The directory answered; its user filter finds this many users.
    Users(usize),
    /// The provider's discovery document and keys were fetched; it publishes this many keys.
    SigningKeys(usize),
    /// Nothing to connect to (headers): the settings are valid.
    Valid,
}

/// Teams joined and left by one sync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub users: usize,
    pub added: usize,
    pub removed: usize,
}

impl Forge {
    fn read_settings(source: &AuthSource) -> Result<SourceSettings, ServiceError> {
        SourceSettings::from_json(source.kind, &source.settings)
            .map_err(|e| ServiceError::Task(format!("sign-in source {}: {e}", source.name)))
    }

    /// Checks the input and resolves the mapping to team ids.
    async fn check_source(
        &self,
        mut input: SourceInput,
    ) -> Result<(SourceInput, Vec<(String, i64)>), SourceError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > SOURCE_NAME_MAX || name.contains(['\n', '\r'])
        {
            return Err(SourceError::Invalid {
                field: "name",
                key: if name.is_empty() {
                    "error.field.required"
                } else {
                    "error.field.too_long"
                },
                detail: String::new(),
            });
        }
        input.name = name.to_owned();
        input.settings = input.settings.check()?;
        let lines = parse_mappings(&input.mappings).map_err(|e| SourceError::Invalid {
            field: "mappings",
            key: "auth_source.error.mapping_line",
            detail: e.line.to_string(),
        })?;
        let mut resolved = Vec::with_capacity(lines.len());
        for m in lines {
            let team = match self.store.org_by_name(&m.org).await? {
                Some(org) => self.store.team_by_name(org.id, &m.team).await?,
                None => None,
            };
            let Some(team) = team else {
                return Err(SourceError::Invalid {
                    field: "mappings",
                    key: "auth_source.error.no_team",
                    detail: format!("{}/{}", m.org, m.team),
                });
            };
            resolved.push((m.group, team.id));
        }
        Ok((input, resolved))
    }

    /// Source, last sign-in and two-factor state of users, for the administration's list.
    pub async fn admin_sign_in_facts(
        &self,
        actor: Actor,
        user_ids: &[i64],
    ) -> Result<HashMap<i64, hatchery_store::SignInFacts>, AdminError> {
        self.admin_check(actor)?;
        Ok(self.store.sign_in_facts(user_ids).await?)
    }

    pub async fn admin_sources(&self, actor: Actor) -> Result<Vec<AuthSource>, SourceError> {
        self.admin_check(actor)?;
        Ok(self.store.auth_sources().await?)
    }

    /// By id, or by name when `key` is not a number.
    pub async fn admin_source(&self, actor: Actor, key: &str) -> Result<SourceDetail, SourceError> {
        self.admin_check(actor)?;
        let source = match key.parse::<i64>() {
            Ok(id) => self.store.auth_source_by_id(id).await?,
            Err(_) => self.store.auth_source_by_name(key).await?,
        }
        .ok_or(SourceError::NotFound)?;
        let settings = Self::read_settings(&source)?;
        let mappings = self.store.source_mappings(source.id).await?;
        Ok(SourceDetail {
            source,
            settings,
            mappings,
        })
    }

    pub async fn admin_create_source(
        &self,
        actor: Actor,
        input: SourceInput,
    ) -> Result<AuthSource, SourceError> {
        self.admin_check(actor)?;
        let (input, mappings) = self.check_source(input).await?;
        let source = self
            .store
            .create_auth_source(&NewAuthSource {
                name: input.name.clone(),
                kind: input.settings.kind(),
                is_enabled: input.is_enabled,
                auto_create: input.auto_create,
                settings: input.settings.to_json(),
            })
            .await?;
        self.store.set_source_mappings(source.id, &mappings).await?;
        tracing::info!(admin = ?actor.user_id(), source = %source.name, kind = source.kind.as_str(), "sign-in source created");
        Ok(source)
    }

    /// Secrets left empty keep their stored values; the kind cannot change.
    pub async fn admin_update_source(
        &self,
        actor: Actor,
        id: i64,
        mut input: SourceInput,
    ) -> Result<AuthSource, SourceError> {
        let old = self.admin_source(actor, &id.to_string()).await?;
        if input.settings.kind() != old.source.kind {
            return Err(SourceError::Invalid {
                field: "kind",
                key: "auth_source.error.kind",
                detail: String::new(),
            });
        }
        input.settings.keep_secrets_from(&old.settings);
        let (input, mappings) = self.check_source(input).await?;
        let source = self
            .store
            .update_auth_source(
                id,
                &NewAuthSource {
                    name: input.name.clone(),
                    kind: old.source.kind,
                    is_enabled: input.is_enabled,
                    auto_create: input.auto_create,
                    settings: input.settings.to_json(),
                },
            )
            .await?;
        self.store.set_source_mappings(id, &mappings).await?;
        tracing::info!(admin = ?actor.user_id(), source = %source.name, "sign-in source changed");
        Ok(source)
    }

    pub async fn admin_delete_source(&self, actor: Actor, id: i64) -> Result<(), SourceError> {
        self.admin_check(actor)?;
        self.store.delete_auth_source(id).await?;
        tracing::info!(admin = ?actor.user_id(), source = id, "sign-in source deleted");
        Ok(())
    }

    /// "Test connection": for LDAP, connects, binds with the service account and counts the
    /// users the filter finds; for OpenID Connect, fetches the discovery document and the
    /// keys now; for headers, checks the settings.
    pub async fn admin_test_source(
        &self,
        actor: Actor,
        id: i64,
    ) -> Result<SourceTest, SourceError> {
        let d = self.admin_source(actor, &id.to_string()).await?;
        match &d.settings {
            SourceSettings::Ldap(s) => ldap::test_connection(s)
                .await
                .map(SourceTest::Users)
                .map_err(|e| SourceError::Connection(e.to_string())),
            SourceSettings::Oidc(s) => match self.oidc_discover_now(&d.source, s).await {
                Ok(keys) => Ok(SourceTest::SigningKeys(keys)),
                Err(OidcError::Service(e)) => Err(SourceError::Service(e)),
                Err(e) => Err(SourceError::Connection(e.to_string())),
            },
            other => {
                other.clone().check()?;
                Ok(SourceTest::Valid)
            }
        }
    }

    /// Runs the team sync of one LDAP source now.
    pub async fn admin_sync_source(
        &self,
        actor: Actor,
        id: i64,
    ) -> Result<SyncReport, SourceError> {
        let d = self.admin_source(actor, &id.to_string()).await?;
        self.sync_source(&d.source)
            .await
            .map_err(|e| SourceError::Connection(e.to_string()))
    }

    /// The enabled sources of a kind.
    pub async fn enabled_sources(
        &self,
        kind: SourceKind,
    ) -> Result<Vec<(AuthSource, SourceSettings)>, ServiceError> {
        let mut out = Vec::new();
        for s in self.store.auth_sources().await? {
            if s.is_enabled && s.kind == kind {
                match Self::read_settings(&s) {
                    Ok(settings) => out.push((s, settings)),
                    Err(e) => tracing::error!(error = %e, "skipping a sign-in source"),
                }
            }
        }
        Ok(out)
    }

    /// Signs in with an identity `source` vouches for: the linked account, or a new one when
    /// the source creates accounts. Profile fields and the administrator flag (when the
    /// source names an administrators' group) follow the source; teams follow the mapping.
    pub async fn external_sign_in(
        &self,
        source: &AuthSource,
        settings: &SourceSettings,
        id: &ExternalIdentity,
    ) -> Result<ExternalSignIn, ServiceError> {
        let admin = settings.admin_group().map(|g| in_group(&id.groups, g));
        let user = match self
            .store
            .user_by_external(source.id, &id.external_id)
            .await?
        {
            Some(u) => u,
            None if !source.auto_create => {
                tracing::info!(source = %source.name, external = %id.external_id, "external sign-in: no linked account");
                return Ok(ExternalSignIn::NoAccount);
            }
            None => {
                let Some(name) = account_name_for(&id.username) else {
                    tracing::info!(source = %source.name, "external sign-in: no usable account name");
                    return Ok(ExternalSignIn::NoAccount);
                };
                let email = match id.email.as_deref().map(validate::email) {
                    Some(Ok(e)) => e,
                    _ => format!("{}@noreply.invalid", name.lower()),
                };
                let new = NewUser {
                    name,
                    email,
                    password_hash: String::new(),
                    display_name: id.display_name.clone().unwrap_or_default(),
                    is_admin: admin.unwrap_or(false),
                };
                match self
                    .store
                    .create_external_user(source.id, &id.external_id, new)
                    .await
                {
                    Ok(u) => {
                        tracing::info!(user = %u.name, source = %source.name, "account created on first sign-in");
                        u
                    }
                    Err(StoreError::Conflict(field)) => {
                        tracing::warn!(source = %source.name, external = %id.external_id, %field, "external sign-in refused: an unlinked account has this {field}");
                        return Ok(ExternalSignIn::Taken);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if user.is_disabled {
            return Ok(ExternalSignIn::Disabled);
        }
        let email = id
            .email
            .as_deref()
            .and_then(|e| validate::email(e).ok())
            .filter(|e| !e.eq_ignore_ascii_case(&user.email));
        let display = id
            .display_name
            .as_deref()
            .filter(|d| *d != user.display_name);
        let admin_change = admin.filter(|a| *a != user.is_admin);
        if email.is_some() || display.is_some() || admin_change.is_some() {
            self.store
                .sync_external_profile(user.id, email.as_deref(), display, admin_change)
                .await?;
        }
        let managed = self.managed_pairs(source.id).await?;
        if !managed.is_empty() {
            let current = self.store.team_ids_of_user(user.id).await?;
            self.apply_team_changes(user.id, &managed, &id.groups, &current)
                .await?;
        }
        self.store.record_sign_in(user.id).await?;
        let user = self.store.user_by_id(user.id).await?.unwrap_or(user);
        Ok(ExternalSignIn::Ok(user))
    }

    async fn managed_pairs(&self, source_id: i64) -> Result<Vec<(String, i64)>, ServiceError> {
        Ok(self
            .store
            .source_mappings(source_id)
            .await?
            .into_iter()
            .map(|m| (m.group, m.team_id))
            .collect())
    }

    async fn apply_team_changes(
        &self,
        user_id: i64,
        managed: &[(String, i64)],
        groups: &[String],
        current: &BTreeSet<i64>,
    ) -> Result<(usize, usize), ServiceError> {
        let (add, remove) = team_changes(managed, groups, current);
        for team in &add {
            match self.store.add_team_member(*team, user_id).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        for team in &remove {
            match self.store.remove_team_member(*team, user_id).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if !add.is_empty() || !remove.is_empty() {
            tracing::info!(
                user = user_id,
                joined = add.len(),
                left = remove.len(),
                "teams follow the sign-in source's groups"
            );
        }
        Ok((add.len(), remove.len()))
    }

    /// The team sync of one LDAP source: every linked account's managed teams follow its
    /// groups in the directory now (an account no longer found leaves them all). Idempotent:
    /// a second run changes nothing.
    pub async fn sync_source(&self, source: &AuthSource) -> Result<SyncReport, ServiceError> {
        let SourceSettings::Ldap(settings) = Self::read_settings(source)? else {
            return Ok(SyncReport::default());
        };
        let managed = self.managed_pairs(source.id).await?;
        let linked = self.store.external_logins(source.id).await?;
        if managed.is_empty() || linked.is_empty() {
            return Ok(SyncReport::default());
        }
        let users = ldap::all_users(&settings)
            .await
            .map_err(|e| ServiceError::Task(format!("LDAP source {}: {e}", source.name)))?;
        let by_name: HashMap<String, Vec<String>> = users
            .into_iter()
            .map(|u| (u.username.to_lowercase(), u.groups))
            .collect();
        let mut current: HashMap<i64, BTreeSet<i64>> = HashMap::new();
        for (team, user) in self.store.managed_team_members(source.id).await? {
            current.entry(user).or_default().insert(team);
        }
        let mut report = SyncReport::default();
        let none = BTreeSet::new();
        for (external, user) in &linked {
            let groups = by_name
                .get(&external.to_lowercase())
                .map_or(&[][..], Vec::as_slice);
            let (added, removed) = self
                .apply_team_changes(
                    user.id,
                    &managed,
                    groups,
                    current.get(&user.id).unwrap_or(&none),
                )
                .await?;
            report.users += 1;
            report.added += added;
            report.removed += removed;
        }
        tracing::info!(source = %source.name, users = report.users, added = report.added, removed = report.removed, "LDAP team sync");
        Ok(report)
    }

    /// One round of the periodic sync: every enabled LDAP source. Errors of one source are
    /// logged and do not stop the others; the first is returned for the job board.
    pub async fn sync_all_sources(&self) -> Result<SyncReport, ServiceError> {
        let mut total = SyncReport::default();
        let mut first_error = None;
        for (source, _) in self.enabled_sources(SourceKind::Ldap).await? {
            match self.sync_source(&source).await {
                Ok(r) => {
                    total.users += r.users;
                    total.added += r.added;
                    total.removed += r.removed;
                }
                Err(e) => {
                    tracing::warn!(source = %source.name, error = %e, "LDAP team sync failed");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(total),
        }
    }

    /// Password sign-in through the enabled LDAP sources, for a login with no local
    /// password. `Ok(None)`: no source knows these credentials; `Err(Unavailable)` when no
    /// source accepted them and at least one could not be asked.
    pub(crate) async fn ldap_sign_in(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Option<(AuthSource, ExternalSignIn)>, LdapSignInError> {
        let mut down = None;
        for (source, settings) in self.enabled_sources(SourceKind::Ldap).await? {
            let SourceSettings::Ldap(ldap_settings) = &settings else {
                continue;
            };
            match ldap::authenticate(ldap_settings, login, password).await {
                Ok(u) => {
                    let identity = ExternalIdentity {
                        external_id: u.username.to_lowercase(),
                        username: u.username,
                        email: u.email,
                        display_name: u.display_name,
                        groups: u.groups,
                    };
                    let outcome = self.external_sign_in(&source, &settings, &identity).await?;
                    return Ok(Some((source, outcome)));
                }
                Err(LdapError::Invalid) => {}
                Err(e) => {
                    tracing::error!(source = %source.name, error = %e, "LDAP sign-in: directory unavailable");
                    down.get_or_insert(e);
                }
            }
        }
        match down {
            Some(_) => Err(LdapSignInError::Unavailable),
            None => Ok(None),
        }
    }

    /// Reverse-proxy header sign-in: the first enabled header source whose user name
    /// header is present. A request from an address the source does not trust is ignored
    /// (and logged), as if the header were not there.
    pub async fn header_sign_in(
        &self,
        header: &(dyn Fn(&str) -> Option<String> + Sync),
        peer: Option<IpAddr>,
    ) -> Result<Option<ExternalSignIn>, ServiceError> {
        for (source, settings) in self.enabled_sources(SourceKind::Header).await? {
            let SourceSettings::Header(h) = &settings else {
                continue;
            };
            let Some(username) = header(&h.username_header)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
            else {
                continue;
            };
            let trusted = match (h.trusted(), peer) {
                (Ok(t), Some(ip)) => t.allows_ip(ip),
                _ => false,
            };
            if !trusted {
                tracing::warn!(source = %source.name, peer = ?peer, header = %h.username_header, "sign-in header from an untrusted address ignored");
                continue;
            }
            let value = |name: &str| {
                if name.is_empty() {
                    None
                } else {
                    header(name)
                        .map(|v| v.trim().to_owned())
                        .filter(|v| !v.is_empty())
                }
            };
            let identity = ExternalIdentity {
                external_id: username.to_lowercase(),
                email: value(&h.email_header).or_else(|| {
                    account_name_for(&username)
                        .filter(|_| !h.email_domain.is_empty())
                        .map(|n| format!("{}@{}", n.lower(), h.email_domain))
                }),
                display_name: value(&h.display_name_header),
                groups: value(&h.groups_header)
                    .map(|g| h.split_groups(&g))
                    .unwrap_or_default(),
                username,
            };
            return Ok(Some(
                self.external_sign_in(&source, &settings, &identity).await?,
            ));
        }
        Ok(None)
    }
}

/// Why an LDAP password sign-in could not be decided.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LdapSignInError {
    #[error("directory unavailable")]
    Unavailable,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for LdapSignInError {
    fn from(e: StoreError) -> LdapSignInError {
        LdapSignInError::Service(e.into())
    }
}
