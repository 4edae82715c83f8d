//! Signing in through an OpenID Connect provider (Keycloak, Authentik, Azure AD, an
//! institution's SSO): the authorization code flow with PKCE, `state` and `nonce`, the ID
//! token checked (signature against the provider's JWKS, issuer, audience, expiry, nonce,
//! `at_hash`), its claims turned into an [`ExternalIdentity`], and linking a provider to an
//! account from its settings.
//!
//! The provider's discovery document and keys are cached per source for an hour; an ID token
//! signed with a key the cache does not know fetches them again at once (key rotation), at
//! most every thirty seconds so that forged tokens cannot make us hammer the provider.
//!
//! What the browser carries between the redirect and the callback ([`OidcPending`]) lives
//! in the server-side session, never in the URL: the callback only proves it holds the same
//! `state`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hatchery_core::signin::{SourceKind, SourceSettings};
use hatchery_store::{AuthSource, LinkedIdentity, StoreError, now_ms};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IdToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, SignatureVerificationError, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sources::{ExternalIdentity, ExternalSignIn};
use crate::{Forge, ServiceError};

/// How long a discovery document and its keys are trusted.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// At most one forced refetch (unknown signing key) per source in this time.
const FORCED_REFETCH_EVERY: Duration = Duration::from_secs(30);
/// How long the person may stay at the provider between the redirect and the callback.
pub const PENDING_MAX_MS: i64 = 10 * 60_000;
/// Each request to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Every claim of a token or of the userinfo answer, whatever the provider names them.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct AllClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for AllClaims {}

type FullIdToken =
    IdToken<AllClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

struct Cached {
    /// The source's `updated_at` when fetched: an edit of the source fetches again.
    version: i64,
    metadata: Arc<CoreProviderMetadata>,
    fetched: Instant,
}

/// The providers' discovery documents and keys, and the HTTP client that fetches them.
#[derive(Default)]
pub struct Providers {
    /// Built at the first use: most servers never talk to a provider.
    http: OnceLock<reqwest::Client>,
    cached: Mutex<HashMap<i64, Cached>>,
    forced: Mutex<HashMap<i64, Instant>>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers").finish_non_exhaustive()
    }
}

impl Providers {
    fn http(&self) -> Result<&reqwest::Client, OidcError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        // No redirects: a provider that redirects its token endpoint could point the client
        // secret anywhere (the openidconnect crate's advice against SSRF).
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| OidcError::Unavailable(format!("HTTP client: {e}")))?;
        Ok(self.http.get_or_init(|| client))
    }

    fn cached(&self, source: &AuthSource) -> Option<Arc<CoreProviderMetadata>> {
        let map = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&source.id)
            .filter(|c| c.version == source.updated_at && c.fetched.elapsed() < METADATA_TTL)
            .map(|c| c.metadata.clone())
    }

    /// The provider's metadata and keys: cached, or fetched now when `fresh`.
    async fn metadata(
        &self,
        source: &AuthSource,
        issuer: &str,
        fresh: bool,
    ) -> Result<Arc<CoreProviderMetadata>, OidcError> {
        if !fresh && let Some(m) = self.cached(source) {
            return Ok(m);
        }
        let issuer_url = IssuerUrl::new(issuer.to_owned())
            .map_err(|e| OidcError::Unavailable(format!("issuer URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, self.http()?)
            .await
            .map_err(|e| {
                tracing::warn!(source = %source.name, error = %error_chain(&e), "OpenID Connect discovery failed");
                OidcError::Unavailable(error_chain(&e))
            })?;
        let metadata = Arc::new(metadata);
        self.cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                source.id,
                Cached {
                    version: source.updated_at,
                    metadata: metadata.clone(),
                    fetched: Instant::now(),
                },
            );
        Ok(metadata)
    }

    /// Whether an unknown key may fetch the keys again now.
    fn may_force(&self, source_id: i64) -> bool {
        let mut forced = self.forced.lock().unwrap_or_else(|p| p.into_inner());
        match forced.get(&source_id) {
            Some(at) if at.elapsed() < FORCED_REFETCH_EVERY => false,
            _ => {
                forced.insert(source_id, Instant::now());
                true
            }
        }
    }
}

/// What the session keeps between the redirect to the provider and the callback.
#[derive(Clone, Serialize, Deserialize)]
pub struct OidcPending {
    pub source_id: i64,
    state: String,
    nonce: String,
    pkce_verifier: String,
    redirect_uri: String,
    /// Where to go after signing in (already checked to be on this site).
    pub next: String,
    /// Set when a signed-in person links the provider to their account.
    pub link_user: Option<i64>,
    since_ms: i64,
}

impl fmt::Debug for OidcPending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcPending")
            .field("source_id", &self.source_id)
            .field("next", &self.next)
            .field("link_user", &self.link_user)
            .field("since_ms", &self.since_ms)
            .finish_non_exhaustive()
    }
}

/// The query of the provider's redirect back to us.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OidcCallback {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    /// `access_denied` and the like: the person or the provider said no.
    #[serde(default)]
    pub error: Option<String>,
    /// RFC 9207: which provider answered (defends against mix-up attacks).
    #[serde(default)]
    pub iss: Option<String>,
}

/// How a callback ended.
#[derive(Debug)]
pub enum OidcOutcome {
    /// Signing in: the account, or why there is none.
    SignIn(ExternalSignIn),
    /// The provider is now linked to the signed-in account.
    Linked,
    /// It already was.
    AlreadyLinked,
    /// The identity is linked to another account (or this account to another identity of
    /// the provider): nothing changed.
    LinkedElsewhere,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// No such enabled OpenID Connect source.
    #[error("not found")]
    NotFound,
    /// The provider could not be asked (down, unreachable, unreadable answer).
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// The answer is refused: wrong state, expired, forged or mismatched token, denied.
    #[error("refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for OidcError {
    fn from(e: StoreError) -> OidcError {
        OidcError::Service(e.into())
    }
}

/// Whether an unlink was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlink {
    Done,
    NotLinked,
    /// The account has no password and no other identity: it would be locked out.
    LastWayIn,
}

/// An error and its causes, for logs and the admin's "test connection".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The claim a mapping reads: the configured one, or the standard default.
fn claim_name<'a>(configured: &'a str, default: &'a str) -> &'a str {
    let c = configured.trim();
    if c.is_empty() { default } else { c }
}

/// A claim as text: strings as they are, numbers as written.
fn claim_text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The identity the claims describe, per the source's claim mapping (defaults:
/// `preferred_username`, `email`, `name`, `groups`). An email the provider says is not
/// verified is not used: it could name someone else's address.
pub fn identity_from_claims(
    settings: &hatchery_core::signin::OidcSettings,
    subject: &str,
    claims: &Map<String, Value>,
) -> ExternalIdentity {
    let username_claim = claim_name(&settings.claim_username, "preferred_username");
    let email_claim = claim_name(&settings.claim_email, "email");
    let name_claim = claim_name(&settings.claim_display_name, "name");
    let groups_claim = claim_name(&settings.claim_groups, "groups");
    let verified = !matches!(claims.get("email_verified"), Some(Value::Bool(false)));
    let email = claim_text(claims, email_claim).filter(|_| verified);
    let username = claim_text(claims, username_claim)
        .or_else(|| email.clone())
        .unwrap_or_else(|| subject.to_owned());
    let groups = match claims.get(groups_claim) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|g| !g.is_empty())
            .collect(),
        Some(Value::String(s)) => s
            .split([',', ' '])
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    ExternalIdentity {
        external_id: subject.to_owned(),
        username,
        email,
        display_name: claim_text(claims, name_claim),
        groups,
    }
}

/// Whether the claims hold everything the mapping reads (otherwise ask the userinfo
/// endpoint). Groups are needed when the source maps groups to teams or names an
/// administrators' group.
fn claims_complete(
    settings: &hatchery_core::signin::OidcSettings,
    claims: &Map<String, Value>,
    needs_groups: bool,
) -> bool {
    let mut wanted = vec![
        claim_name(&settings.claim_username, "preferred_username"),
        claim_name(&settings.claim_email, "email"),
        claim_name(&settings.claim_display_name, "name"),
    ];
    if needs_groups || !settings.admin_group.trim().is_empty() {
        wanted.push(claim_name(&settings.claim_groups, "groups"));
    }
    wanted.iter().all(|c| claims.contains_key(*c))
}

impl Forge {
    /// The enabled OpenID Connect sources, for the sign-in page's buttons and the settings.
    pub async fn oidc_sources(&self) -> Result<Vec<AuthSource>, ServiceError> {
        Ok(self
            .store
            .auth_sources()
            .await?
            .into_iter()
            .filter(|s| s.is_enabled && s.kind == SourceKind::Oidc)
            .collect())
    }

    async fn oidc_source(
        &self,
        source_id: i64,
    ) -> Result<(AuthSource, hatchery_core::signin::OidcSettings), OidcError> {
        self.enabled_sources(SourceKind::Oidc)
            .await?
            .into_iter()
            .find_map(|(s, settings)| match settings {
                SourceSettings::Oidc(o) if s.id == source_id => Some((s, o)),
                _ => None,
            })
            .ok_or(OidcError::NotFound)
    }

    fn oidc_client(
        metadata: &CoreProviderMetadata,
        settings: &hatchery_core::signin::OidcSettings,
        redirect_uri: &str,
    ) -> Result<
        openidconnect::core::CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OidcError::Unavailable(format!("redirect URI: {e}")))?;
        let secret = (!settings.client_secret.is_empty())
            .then(|| ClientSecret::new(settings.client_secret.clone()));
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(settings.client_id.clone()),
            secret,
        )
        .set_redirect_uri(redirect))
    }

    /// Starts signing in (or linking, with `link_user`) through source `source_id`: the
    /// provider's authorization URL to send the browser to, and what the session keeps.
    pub async fn oidc_begin(
        &self,
        source_id: i64,
        redirect_uri: &str,
        next: &str,
        link_user: Option<i64>,
    ) -> Result<(String, OidcPending), OidcError> {
        let (source, settings) = self.oidc_source(source_id).await?;
        let metadata = self.oidc.metadata(&source, &settings.issuer, false).await?;
        let client = Self::oidc_client(&metadata, &settings, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = if settings.scopes.trim().is_empty() {
            "profile email"
        } else {
            settings.scopes.as_str()
        };
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in scopes.split_whitespace().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = OidcPending {
            source_id,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            redirect_uri: redirect_uri.to_owned(),
            next: next.to_owned(),
            link_user,
            since_ms: now_ms(),
        };
        Ok((url.to_string(), pending))
    }

    /// Completes the flow the provider redirected back from. `pending` must be taken out
    /// of the session before (one callback per redirect).
    pub async fn oidc_finish(
        &self,
        pending: &OidcPending,
        callback: &OidcCallback,
    ) -> Result<OidcOutcome, OidcError> {
        let refuse = |why: &str| {
            tracing::warn!(
                source = pending.source_id,
                why,
                "OpenID Connect sign-in refused"
            );
            Err(OidcError::Refused(why.to_owned()))
        };
        if let Some(error) = &callback.error {
            let why = format!(
                "the provider answered {}",
                error.chars().take(64).collect::<String>()
            );
            return refuse(&why);
        }
        if now_ms() - pending.since_ms > PENDING_MAX_MS {
            return refuse("the sign-in took too long");
        }
        match &callback.state {
            Some(state) if same_secret(state, &pending.state) => {}
            _ => return refuse("state does not match"),
        }
        let Some(code) = callback.code.as_deref().filter(|c| !c.is_empty()) else {
            return refuse("no authorization code");
        };
        let (source, settings) = self.oidc_source(pending.source_id).await?;
        let metadata = self.oidc.metadata(&source, &settings.issuer, false).await?;
        if let Some(iss) = &callback.iss
            && iss != metadata.issuer().as_str()
        {
            return refuse("the answer names another issuer");
        }
        let client = Self::oidc_client(&metadata, &settings, &pending.redirect_uri)?;
        let http = self.oidc.http()?;
        // Time spent waiting for the provider, apart from ours: the log line below gives both
        // (what the callback costs beyond the provider's answers).
        let started = Instant::now();
        let mut at_provider = Duration::ZERO;
        let asked = Instant::now();
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Unavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(http)
            .await;
        at_provider += asked.elapsed();
        let token = match token {
            Ok(t) => t,
            Err(openidconnect::RequestTokenError::ServerResponse(e)) => {
                // invalid_grant: a replayed or expired code, a wrong PKCE verifier.
                return refuse(&format!("token endpoint: {}", e.error()));
            }
            Err(e) => {
                tracing::warn!(source = %source.name, error = %error_chain(&e), "OpenID Connect token request failed");
                return Err(OidcError::Unavailable(error_chain(&e)));
            }
        };
        let Some(id_token) = token.id_token() else {
            return refuse("no ID token in the answer");
        };
        let id_token: FullIdToken = match id_token.to_string().parse() {
            Ok(t) => t,
            Err(_) => return refuse("the ID token cannot be read"),
        };
        let nonce = Nonce::new(pending.nonce.clone());
        let mut metadata = metadata;
        let mut client = client;
        let claims = loop {
            let checked = {
                let verifier = client.id_token_verifier();
                id_token.claims(&verifier, &nonce).cloned()
            };
            match checked {
                Ok(c) => break c,
                Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                    SignatureVerificationError::NoMatchingKey,
                )) if self.oidc.may_force(source.id) => {
                    // The provider may have rotated its keys since we fetched them.
                    let asked = Instant::now();
                    metadata = self.oidc.metadata(&source, &settings.issuer, true).await?;
                    at_provider += asked.elapsed();
                    client = Self::oidc_client(&metadata, &settings, &pending.redirect_uri)?;
                }
                Err(e) => return refuse(&format!("ID token: {}", error_chain(&e))),
            }
        };
        if let Some(expected) = claims.access_token_hash() {
            let verifier = client.id_token_verifier();
            let actual = match (id_token.signing_alg(), id_token.signing_key(&verifier)) {
                (Ok(alg), Ok(key)) => AccessTokenHash::from_token(token.access_token(), alg, key)
                    .map_err(|e| OidcError::Refused(e.to_string()))?,
                _ => return refuse("at_hash cannot be checked"),
            };
            if actual != *expected {
                return refuse("at_hash does not match the access token");
            }
        }
        let subject = claims.subject().as_str().to_owned();
        let Value::Object(mut all) = serde_json::to_value(&claims).unwrap_or_default() else {
            return refuse("the ID token's claims cannot be read");
        };
        let needs_groups = !self.store.source_mappings(source.id).await?.is_empty();
        if !claims_complete(&settings, &all, needs_groups) && metadata.userinfo_endpoint().is_some()
        {
            let info: Result<UserInfoClaims<AllClaims, CoreGenderClaim>, _> = match client
                .user_info(token.access_token().clone(), Some(claims.subject().clone()))
            {
                Ok(request) => {
                    let asked = Instant::now();
                    let info = request.request_async(http).await;
                    at_provider += asked.elapsed();
                    info
                }
                Err(e) => return Err(OidcError::Unavailable(e.to_string())),
            };
            match info {
                Ok(info) => {
                    if let Ok(Value::Object(extra)) = serde_json::to_value(&info) {
                        for (k, v) in extra {
                            all.entry(k).or_insert(v);
                        }
                    }
                }
                Err(openidconnect::UserInfoError::ClaimsVerification(e)) => {
                    return refuse(&format!("userinfo: {}", error_chain(&e)));
                }
                Err(e) => {
                    tracing::warn!(source = %source.name, error = %error_chain(&e), "OpenID Connect userinfo failed");
                    return Err(OidcError::Unavailable(error_chain(&e)));
                }
            }
        }
        let identity = identity_from_claims(&settings, &subject, &all);
        let outcome = match pending.link_user {
            Some(user_id) => self.oidc_link(&source, &identity, user_id).await?,
            None => OidcOutcome::SignIn(
                self.external_sign_in(&source, &SourceSettings::Oidc(settings), &identity)
                    .await?,
            ),
        };
        let total = started.elapsed();
        tracing::info!(
            source = %source.name,
            provider_ms = at_provider.as_secs_f64() * 1000.0,
            ours_ms = total.saturating_sub(at_provider).as_secs_f64() * 1000.0,
            "OpenID Connect callback"
        );
        Ok(outcome)
    }

    async fn oidc_link(
        &self,
        source: &AuthSource,
        identity: &ExternalIdentity,
        user_id: i64,
    ) -> Result<OidcOutcome, OidcError> {
        if let Some(owner) = self
            .store
            .user_by_external(source.id, &identity.external_id)
            .await?
        {
            return Ok(if owner.id == user_id {
                OidcOutcome::AlreadyLinked
            } else {
                tracing::warn!(source = %source.name, user = user_id, "link refused: the identity belongs to another account");
                OidcOutcome::LinkedElsewhere
            });
        }
        match self
            .store
            .link_external(source.id, &identity.external_id, user_id)
            .await
        {
            Ok(()) => {
                tracing::info!(source = %source.name, user = user_id, "identity linked");
                Ok(OidcOutcome::Linked)
            }
            Err(StoreError::Conflict(_)) => Ok(OidcOutcome::LinkedElsewhere),
            Err(e) => Err(e.into()),
        }
    }

    /// "Test connection" of an OpenID Connect source: discovery and keys fetched now; the
    /// number of signing keys the provider publishes.
    pub(crate) async fn oidc_discover_now(
        &self,
        source: &AuthSource,
        settings: &hatchery_core::signin::OidcSettings,
    ) -> Result<usize, OidcError> {
        let metadata = self.oidc.metadata(source, &settings.issuer, true).await?;
        Ok(metadata.jwks().keys().len())
    }

    /// The identities linked to an account, for its settings.
    pub async fn linked_identities(
        &self,
        user_id: i64,
    ) -> Result<Vec<LinkedIdentity>, ServiceError> {
        Ok(self.store.links_of_user(user_id).await?)
    }

    /// Unlinks the account from its identity at `source_id`, unless that would leave it
    /// with no way to sign in.
    pub async fn unlink_identity(
        &self,
        user_id: i64,
        source_id: i64,
    ) -> Result<Unlink, ServiceError> {
        let links = self.store.links_of_user(user_id).await?;
        if !links.iter().any(|l| l.source_id == source_id) {
            return Ok(Unlink::NotLinked);
        }
        if links.len() == 1 && !self.store.has_password(user_id).await? {
            return Ok(Unlink::LastWayIn);
        }
        self.store.unlink_external(source_id, user_id).await?;
        tracing::info!(user = user_id, source = source_id, "identity unlinked");
        Ok(Unlink::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hatchery_core::signin::OidcSettings;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test claims are objects"),
        }
    }

    #[test]
    fn claims_map_to_an_identity_with_defaults_and_configured_names() {
        let c = claims(json!({
            "sub": "248289761001",
            "preferred_username": "ada",
            "email": "ada@uni.example",
            "email_verified": true,
            "name": "Ada Lovelace",
            "groups": ["staff", " physics ", 7, null],
        }));
        let id = identity_from_claims(&OidcSettings::default(), "248289761001", &c);
        assert_eq!(id.external_id, "248289761001");
        assert_eq!(id.username, "ada");
        assert_eq!(id.email.as_deref(), Some("ada@uni.example"));
        assert_eq!(id.display_name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(id.groups, ["staff", "physics", "7"]);

        let settings = OidcSettings {
            claim_username: "uid".into(),
            claim_groups: "roles".into(),
            ..OidcSettings::default()
        };
        let c = claims(json!({"uid": "alovelace", "roles": "a, b c", "email": "x@y.example"}));
        let id = identity_from_claims(&settings, "s", &c);
        assert_eq!(id.username, "alovelace");
        assert_eq!(id.groups, ["a", "b", "c"]);
    }

    #[test]
    fn unverified_emails_are_not_used_and_names_fall_back() {
        let c = claims(json!({"email": "boss@uni.example", "email_verified": false}));
        let id = identity_from_claims(&OidcSettings::default(), "sub-1", &c);
        assert_eq!(id.email, None, "an unverified address could be anyone's");
        assert_eq!(id.username, "sub-1");
        let c = claims(json!({"email": "eve@uni.example"}));
        let id = identity_from_claims(&OidcSettings::default(), "sub-2", &c);
        assert_eq!(
            id.username, "eve@uni.example",
            "the email names the account"
        );
        assert!(id.groups.is_empty());
    }

    #[test]
    fn userinfo_is_asked_only_for_missing_claims() {
        let s = OidcSettings::default();
        let full = claims(json!({"preferred_username": "a", "email": "a@b.c", "name": "A"}));
        assert!(claims_complete(&s, &full, false));
        assert!(!claims_complete(
            &s,
            &claims(json!({"preferred_username": "a"})),
            false
        ));
        assert!(
            !claims_complete(&s, &full, true),
            "team mapping needs groups"
        );
        let admin = OidcSettings {
            admin_group: "admins".into(),
            ..OidcSettings::default()
        };
        assert!(
            !claims_complete(&admin, &full, false),
            "the admin group needs the groups"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn pending_state_never_shows_its_secrets() {
        let p = OidcPending {
            source_id: 1,
            state: "STATE-SECRET".into(),
            nonce: "NONCE-SECRET".into(),
            pkce_verifier: "VERIFIER-SECRET".into(),
            redirect_uri: "http://x/cb".into(),
            next: "/".into(),
            link_user: None,
            since_ms: 0,
        };
        let shown = format!("{p:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
