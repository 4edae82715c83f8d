//! Institutional sign-in, the rules that need no IO: the settings of each kind of sign-in
//! source (LDAP, OpenID Connect, reverse-proxy headers) and their validation, the group →
//! team mapping and the membership changes it asks for, LDAP filter and DN escaping (so a
//! user name can never change a search), the account name an external identity gets, and
//! the site's two-factor requirement.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::netpolicy::AllowedHosts;
use crate::{Name, NameKind};

/// The kinds of sign-in source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Ldap,
    Oidc,
    Header,
}

impl SourceKind {
    pub const ALL: [SourceKind; 3] = [SourceKind::Ldap, SourceKind::Oidc, SourceKind::Header];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Ldap => "ldap",
            SourceKind::Oidc => "oidc",
            SourceKind::Header => "header",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// How the connection to the directory is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LdapSecurity {
    /// Plain LDAP (port 389); only for a directory on a trusted network.
    #[default]
    Plain,
    /// LDAP upgraded with StartTLS (port 389).
    StartTls,
    /// LDAP over TLS (port 636).
    Ldaps,
}

impl LdapSecurity {
    pub fn as_str(self) -> &'static str {
        match self {
            LdapSecurity::Plain => "plain",
            LdapSecurity::StartTls => "starttls",
            LdapSecurity::Ldaps => "ldaps",
        }
    }

    pub fn parse(s: &str) -> Option<LdapSecurity> {
        [
            LdapSecurity::Plain,
            LdapSecurity::StartTls,
            LdapSecurity::Ldaps,
        ]
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// An LDAP directory (OpenLDAP, Active Directory, 389 DS...).
///
/// Two ways to find the user: with `user_dn` set (`uid=%s,ou=people,dc=example,dc=org`) the
/// server binds as that DN with the user's password ("bind as user"); otherwise it binds
/// with `bind_dn`/`bind_password` (or anonymously), searches `user_base` with
/// `user_filter` (`(&(objectClass=person)(uid=%s))`) and binds as the entry found
/// ("search then bind"). `%s` is always the escaped user name.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LdapSettings {
    pub host: String,
    /// 0: the default of the security (389, or 636 for LDAPS).
    pub port: u16,
    pub security: LdapSecurity,
    /// PEM file of the certificate authority that signed the directory's certificate; empty:
    /// the system's roots.
    pub ca_file: String,
    pub bind_dn: String,
    pub bind_password: String,
    pub user_dn: String,
    pub user_base: String,
    pub user_filter: String,
    pub attr_username: String,
    pub attr_email: String,
    pub attr_display_name: String,
    /// Attribute listing the user's groups on the user entry (`memberOf`); empty: search.
    pub attr_member_of: String,
    /// Group search: base, filter (`%s` is the user's DN, escaped), e.g.
    /// `(&(objectClass=groupOfNames)(member=%s))`. Used when `attr_member_of` is empty.
    pub group_base: String,
    pub group_filter: String,
    /// Members of this group (a DN) are site administrators; empty: never set.
    pub admin_group: String,
    /// Seconds for connecting and for each operation.
    pub timeout_secs: u64,
}

impl fmt::Debug for LdapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LdapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("bind_dn", &self.bind_dn)
            .field("bind_password", &"[redacted]")
            .field("user_dn", &self.user_dn)
            .field("user_base", &self.user_base)
            .field("user_filter", &self.user_filter)
            .finish_non_exhaustive()
    }
}

impl LdapSettings {
    pub const DEFAULT_TIMEOUT_SECS: u64 = 10;

    /// `ldap://host:port` or `ldaps://host:port`.
    pub fn url(&self) -> String {
        let (scheme, default_port) = match self.security {
            LdapSecurity::Ldaps => ("ldaps", 636),
            _ => ("ldap", 389),
        };
        let port = if self.port == 0 {
            default_port
        } else {
            self.port
        };
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{port}")
    }

    pub fn timeout_secs(&self) -> u64 {
        if self.timeout_secs == 0 {
            Self::DEFAULT_TIMEOUT_SECS
        } else {
            self.timeout_secs
        }
    }

    pub fn username_attr(&self) -> &str {
        non_empty(&self.attr_username, "uid")
    }

    pub fn email_attr(&self) -> &str {
        non_empty(&self.attr_email, "mail")
    }

    pub fn display_name_attr(&self) -> &str {
        non_empty(&self.attr_display_name, "cn")
    }

    /// Fills defaults and checks what a source cannot work without.
    pub fn check(mut self) -> Result<LdapSettings, SettingsError> {
        trim_all(&mut [
            &mut self.host,
            &mut self.ca_file,
            &mut self.bind_dn,
            &mut self.user_dn,
            &mut self.user_base,
            &mut self.user_filter,
            &mut self.attr_username,
            &mut self.attr_email,
            &mut self.attr_display_name,
            &mut self.attr_member_of,
            &mut self.group_base,
            &mut self.group_filter,
            &mut self.admin_group,
        ]);
        if self.host.is_empty() || self.host.contains(['/', ' ']) {
            return Err(SettingsError::Missing("host"));
        }
        if self.user_dn.is_empty() {
            if self.user_base.is_empty() {
                return Err(SettingsError::Missing("user_base"));
            }
            if !self.user_filter.contains("%s") {
                return Err(SettingsError::NeedsPlaceholder("user_filter"));
            }
            if !balanced_filter(&self.user_filter) {
                return Err(SettingsError::BadFilter("user_filter"));
            }
        } else if !self.user_dn.contains("%s") {
            return Err(SettingsError::NeedsPlaceholder("user_dn"));
        }
        if self.attr_member_of.is_empty() && !self.group_base.is_empty() {
            if !self.group_filter.contains("%s") {
                return Err(SettingsError::NeedsPlaceholder("group_filter"));
            }
            if !balanced_filter(&self.group_filter) {
                return Err(SettingsError::BadFilter("group_filter"));
            }
        }
        if self.timeout_secs > 300 {
            return Err(SettingsError::OutOfRange("timeout_secs"));
        }
        Ok(self)
    }

    /// The search filter for `username`: the template with `%s` replaced by the name
    /// escaped as RFC 4515 asks, so `*)(uid=*` stays a literal value.
    pub fn filter_for(&self, username: &str) -> String {
        self.user_filter
            .replace("%s", &escape_filter_value(username))
    }

    /// The DN to bind as for `username` (bind as user), the name escaped per RFC 4514.
    pub fn dn_for(&self, username: &str) -> String {
        self.user_dn.replace("%s", &escape_dn_value(username))
    }

    /// The group search filter for the user whose entry is `user_dn`.
    pub fn group_filter_for(&self, user_dn: &str) -> String {
        self.group_filter
            .replace("%s", &escape_filter_value(user_dn))
    }
}

/// An OpenID Connect provider (Keycloak, Authentik, Azure AD...).
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OidcSettings {
    /// The issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Extra scopes besides `openid` (space-separated), e.g. `profile email groups`.
    pub scopes: String,
    pub claim_username: String,
    pub claim_email: String,
    pub claim_display_name: String,
    pub claim_groups: String,
    pub admin_group: String,
}

impl fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl OidcSettings {
    pub fn check(mut self) -> Result<OidcSettings, SettingsError> {
        trim_all(&mut [
            &mut self.issuer,
            &mut self.client_id,
            &mut self.scopes,
            &mut self.claim_username,
            &mut self.claim_email,
            &mut self.claim_display_name,
            &mut self.claim_groups,
            &mut self.admin_group,
        ]);
        if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://")) {
            return Err(SettingsError::Missing("issuer"));
        }
        if self.client_id.is_empty() {
            return Err(SettingsError::Missing("client_id"));
        }
        Ok(self)
    }
}

/// Reverse-proxy header authentication (a Shibboleth, SAML or CAS front that has already
/// signed the person in and passes who they are in a header).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HeaderSettings {
    /// The header carrying the user name, e.g. `X-Remote-User`.
    pub username_header: String,
    pub email_header: String,
    pub display_name_header: String,
    /// Groups, separated by `groups_separator` (default `,`; Shibboleth uses `;`).
    pub groups_header: String,
    pub groups_separator: String,
    /// Where the header is believed from: CIDRs, `loopback` or `private` (comma-separated).
    /// Requests from anywhere else that carry the header are ignored and logged.
    pub trusted_proxies: String,
    /// Domain for the email of accounts created when no email header is given
    /// (`name@domain`).
    pub email_domain: String,
    pub admin_group: String,
}

impl HeaderSettings {
    pub fn check(mut self) -> Result<HeaderSettings, SettingsError> {
        trim_all(&mut [
            &mut self.username_header,
            &mut self.email_header,
            &mut self.display_name_header,
            &mut self.groups_header,
            &mut self.trusted_proxies,
            &mut self.email_domain,
            &mut self.admin_group,
        ]);
        for (field, value) in [
            ("username_header", &self.username_header),
            ("email_header", &self.email_header),
            ("display_name_header", &self.display_name_header),
            ("groups_header", &self.groups_header),
        ] {
            let ok = value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok || (field == "username_header" && value.is_empty()) {
                return Err(SettingsError::Missing(field));
            }
        }
        self.trusted()?;
        if self.email_header.is_empty() && self.email_domain.is_empty() {
            return Err(SettingsError::Missing("email_domain"));
        }
        Ok(self)
    }

    /// The proxies the header is believed from. Never empty.
    pub fn trusted(&self) -> Result<AllowedHosts, SettingsError> {
        let list = self.trusted_proxies.trim();
        if list.is_empty() || list.split(',').any(|e| e.trim() == "*") {
            return Err(SettingsError::Missing("trusted_proxies"));
        }
        let parsed =
            AllowedHosts::parse(list).map_err(|_| SettingsError::Missing("trusted_proxies"))?;
        // Only addresses: a host name pattern would make no sense for a peer address.
        let addresses_only = list.split(',').all(|e| {
            let e = e.trim().to_ascii_lowercase();
            e.is_empty() || e == "loopback" || e == "private" || e.contains('/')
        });
        if !addresses_only {
            return Err(SettingsError::Missing("trusted_proxies"));
        }
        Ok(parsed)
    }

    pub fn separator(&self) -> &str {
        non_empty(&self.groups_separator, ",")
    }

    /// The groups in a header value.
    pub fn split_groups(&self, value: &str) -> Vec<String> {
        value
            .split(self.separator())
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A source's settings, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSettings {
    Ldap(LdapSettings),
    Oidc(OidcSettings),
    Header(HeaderSettings),
}

impl SourceSettings {
    pub fn kind(&self) -> SourceKind {
        match self {
            SourceSettings::Ldap(_) => SourceKind::Ldap,
            SourceSettings::Oidc(_) => SourceKind::Oidc,
            SourceSettings::Header(_) => SourceKind::Header,
        }
    }

    pub fn to_json(&self) -> String {
        let v = match self {
            SourceSettings::Ldap(s) => serde_json_string(s),
            SourceSettings::Oidc(s) => serde_json_string(s),
            SourceSettings::Header(s) => serde_json_string(s),
        };
        v.unwrap_or_else(|| "{}".to_owned())
    }

    /// Reads stored settings; unknown fields are ignored, missing ones take defaults.
    pub fn from_json(kind: SourceKind, json: &str) -> Result<SourceSettings, SettingsError> {
        let bad = |_| SettingsError::Unreadable;
        Ok(match kind {
            SourceKind::Ldap => SourceSettings::Ldap(serde_json_parse(json).map_err(bad)?),
            SourceKind::Oidc => SourceSettings::Oidc(serde_json_parse(json).map_err(bad)?),
            SourceKind::Header => SourceSettings::Header(serde_json_parse(json).map_err(bad)?),
        })
    }

    pub fn check(self) -> Result<SourceSettings, SettingsError> {
        Ok(match self {
            SourceSettings::Ldap(s) => SourceSettings::Ldap(s.check()?),
            SourceSettings::Oidc(s) => SourceSettings::Oidc(s.check()?),
            SourceSettings::Header(s) => SourceSettings::Header(s.check()?),
        })
    }

    /// The group whose members become site administrators, if any.
    pub fn admin_group(&self) -> Option<&str> {
        let g = match self {
            SourceSettings::Ldap(s) => &s.admin_group,
            SourceSettings::Oidc(s) => &s.admin_group,
            SourceSettings::Header(s) => &s.admin_group,
        };
        (!g.trim().is_empty()).then_some(g.trim())
    }

    /// Keeps the stored secret when an edit leaves the secret field empty (forms never
    /// show secrets again).
    pub fn keep_secrets_from(&mut self, old: &SourceSettings) {
        match (self, old) {
            (SourceSettings::Ldap(new), SourceSettings::Ldap(old))
                if new.bind_password.is_empty() =>
            {
                new.bind_password.clone_from(&old.bind_password);
            }
            (SourceSettings::Oidc(new), SourceSettings::Oidc(old))
                if new.client_secret.is_empty() =>
            {
                new.client_secret.clone_from(&old.client_secret);
            }
            _ => {}
        }
    }
}

fn serde_json_string<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

fn serde_json_parse<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(json)
}

/// Why a source's settings are refused; the name is the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{0} is missing or invalid")]
    Missing(&'static str),
    #[error("{0} must contain %s")]
    NeedsPlaceholder(&'static str),
    #[error("{0} is not a valid LDAP filter")]
    BadFilter(&'static str),
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
    #[error("the stored settings cannot be read")]
    Unreadable,
}

impl SettingsError {
    pub fn field(&self) -> &'static str {
        match self {
            SettingsError::Missing(f)
            | SettingsError::NeedsPlaceholder(f)
            | SettingsError::BadFilter(f)
            | SettingsError::OutOfRange(f) => f,
            SettingsError::Unreadable => "settings",
        }
    }

    pub fn message_key(&self) -> &'static str {
        match self {
            SettingsError::Missing(_) => "auth_source.error.missing",
            SettingsError::NeedsPlaceholder(_) => "auth_source.error.placeholder",
            SettingsError::BadFilter(_) => "auth_source.error.filter",
            SettingsError::OutOfRange(_) => "auth_source.error.range",
            SettingsError::Unreadable => "auth_source.error.unreadable",
        }
    }
}

fn non_empty<'a>(value: &'a str, default: &'a str) -> &'a str {
    if value.trim().is_empty() {
        default
    } else {
        value.trim()
    }
}

fn trim_all(fields: &mut [&mut String]) {
    for f in fields {
        let t = f.trim();
        if t.len() != f.len() {
            **f = t.to_owned();
        }
    }
}

/// Parentheses balance and the filter is one parenthesized expression.
fn balanced_filter(filter: &str) -> bool {
    let mut depth = 0i32;
    for (i, c) in filter.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 || (depth == 0 && i + 1 != filter.len()) {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && filter.starts_with('(')
}

/// Escapes a value for an LDAP search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL
/// become `\2a`, `\28`, `\29`, `\5c`, `\00`.
pub fn escape_filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a value for a DN attribute value (RFC 4514 §2.4).
pub fn escape_dn_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// A user name a person may type at an LDAP sign-in: not empty, not absurdly long, no
/// control characters. Everything else is escaped before it reaches the directory.
pub fn plausible_login(login: &str) -> bool {
    let l = login.trim();
    !l.is_empty() && l.len() <= 256 && !l.chars().any(char::is_control)
}

/// One line of a group → team mapping: `group -> org/team`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMapping {
    pub group: String,
    pub org: String,
    pub team: String,
}

/// A mapping line that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: expected `group -> organization/team`")]
pub struct MappingError {
    pub line: usize,
}

/// Parses the mapping text: one `group -> org/team` per line, blank lines and lines
/// starting with `#` ignored. The group may contain anything but the arrow (DNs have `=`
/// and `,`).
pub fn parse_mappings(text: &str) -> Result<Vec<GroupMapping>, MappingError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = MappingError { line: i + 1 };
        let (group, target) = line.rsplit_once("->").ok_or(err.clone())?;
        let (org, team) = target.trim().split_once('/').ok_or(err.clone())?;
        let (group, org, team) = (group.trim(), org.trim(), team.trim());
        if group.is_empty() || org.is_empty() || team.is_empty() || team.contains('/') {
            return Err(err);
        }
        let m = GroupMapping {
            group: group.to_owned(),
            org: org.to_owned(),
            team: team.to_owned(),
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// The mapping as text, for the edit form.
pub fn format_mappings(mappings: &[GroupMapping]) -> String {
    mappings
        .iter()
        .map(|m| format!("{} -> {}/{}\n", m.group, m.org, m.team))
        .collect()
}

/// Groups compare as LDAP compares DNs and most providers compare names: without regard
/// to case or surrounding spaces.
pub fn group_key(group: &str) -> String {
    group.trim().to_lowercase()
}

/// What a sign-in or a sync changes in a user's teams. `managed` is every (group, team)
/// pair of the source's mapping; `groups` the user's groups now; `current` the managed
/// teams the user is in now. Teams the mapping does not name are never touched.
pub fn team_changes(
    managed: &[(String, i64)],
    groups: &[String],
    current: &BTreeSet<i64>,
) -> (Vec<i64>, Vec<i64>) {
    let mine: BTreeSet<String> = groups.iter().map(|g| group_key(g)).collect();
    let wanted: BTreeSet<i64> = managed
        .iter()
        .filter(|(g, _)| mine.contains(&group_key(g)))
        .map(|(_, t)| *t)
        .collect();
    let all: BTreeSet<i64> = managed.iter().map(|(_, t)| *t).collect();
    let add = wanted.difference(current).copied().collect();
    let remove = current
        .iter()
        .filter(|t| all.contains(t) && !wanted.contains(t))
        .copied()
        .collect();
    (add, remove)
}

/// Whether `groups` holds the administrators' group.
pub fn in_group(groups: &[String], group: &str) -> bool {
    let key = group_key(group);
    groups.iter().any(|g| group_key(g) == key)
}

/// The account name for an external user name: the name itself when valid; otherwise
/// the characters names allow (letters, digits, `-`, `_`, `.`), others replaced by `-`,
/// of an email only the part before `@`. `None` when nothing usable is left.
pub fn account_name_for(external: &str) -> Option<Name> {
    let external = external.trim();
    if let Ok(n) = Name::parse(NameKind::Account, external) {
        return Some(n);
    }
    let local = external.split('@').next().unwrap_or(external);
    let mut cleaned: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    cleaned = cleaned
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned();
    while cleaned.contains("--") {
        cleaned = cleaned.replace("--", "-");
    }
    cleaned.truncate(39);
    Name::parse(NameKind::Account, &cleaned).ok()
}

/// The site setting "two-factor authentication required".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TwoFactorRequirement {
    #[default]
    Off,
    Admins,
    All,
}

impl TwoFactorRequirement {
    pub fn as_str(self) -> &'static str {
        match self {
            TwoFactorRequirement::Off => "off",
            TwoFactorRequirement::Admins => "admins",
            TwoFactorRequirement::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<TwoFactorRequirement> {
        [
            TwoFactorRequirement::Off,
            TwoFactorRequirement::Admins,
            TwoFactorRequirement::All,
        ]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn applies_to(self, is_admin: bool) -> bool {
        match self {
            TwoFactorRequirement::Off => false,
            TwoFactorRequirement::Admins => is_admin,
            TwoFactorRequirement::All => true,
        }
    }
}

/// A code typed at the two-factor prompt, with spaces and dashes people add removed.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests;
