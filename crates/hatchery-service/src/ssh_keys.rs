//! SSH keys: users' keys and repositories' deploy keys (registration through the settings
//! pages and the API alike), and what a key presented to the SSH server stands for.

use hatchery_core::ssh::{KEY_TITLE_MAX, KeyError, ParsedKey, parse_public_key};
use hatchery_core::{Action, Actor, Resource, authorize};
use hatchery_store::{ConflictField, KeyOwner, NewSshKey, Repo, SshKey, StoreError, User, now_ms};

use crate::Forge;

/// Why a key was not added.
#[derive(Debug, thiserror::Error)]
pub enum SshKeyError {
    /// The key text: not a key, or a refused kind.
    #[error("invalid key: {0}")]
    Key(#[from] KeyError),
    /// No title and no comment to take one from, or a title too long.
    #[error("invalid title")]
    Title { message_key: &'static str },
    /// Registered already (to this or another account, or as a deploy key).
    #[error("key already registered")]
    Taken,
    /// The actor may not manage these keys.
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for SshKeyError {
    fn from(e: StoreError) -> SshKeyError {
        match e {
            StoreError::Conflict(ConflictField::Key) => SshKeyError::Taken,
            StoreError::NotFound => SshKeyError::NotFound,
            other => SshKeyError::Store(other),
        }
    }
}

/// Who a key presented to the SSH server stands for.
#[derive(Debug, Clone)]
pub enum SshIdentity {
    /// A user's key. Disabled users are refused before this is answered.
    User { user: Box<User>, key_id: i64 },
    /// A deploy key, with the repositories it was added to: `(repo_id, read_only, key_id)`.
    Deploy { repos: Vec<(i64, bool, i64)> },
}

/// Last use is recorded at most this often.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The title: the one given, else the key's comment.
fn title_of(title: &str, parsed: &ParsedKey) -> Result<String, SshKeyError> {
    let title = title.trim();
    let title = if title.is_empty() {
        parsed.comment.trim()
    } else {
        title
    };
    if title.is_empty() {
        return Err(SshKeyError::Title {
            message_key: "error.field.required",
        });
    }
    if title.chars().count() > KEY_TITLE_MAX {
        return Err(SshKeyError::Title {
            message_key: "error.field.too_long",
        });
    }
    Ok(title.to_owned())
}

impl Forge {
    /// Adds a key to `user_id`'s account: the user themselves or a site administrator.
    pub async fn add_user_key(
        &self,
        actor: Actor,
        user_id: i64,
        title: &str,
        key_text: &str,
    ) -> Result<SshKey, SshKeyError> {
        if !authorize(actor, Action::EditSettings, Resource::User { id: user_id }).is_allowed() {
            return Err(SshKeyError::Forbidden);
        }
        let parsed = parse_public_key(key_text)?;
        let title = title_of(title, &parsed)?;
        let key = self
            .store
            .add_user_key(
                user_id,
                NewSshKey {
                    title: &title,
                    algorithm: &parsed.algorithm,
                    public_key: &parsed.openssh,
                    fingerprint: &parsed.fingerprint,
                },
            )
            .await?;
        tracing::info!(user = user_id, key = %key.fingerprint, "SSH key added");
        self.signer_keys_changed(user_id).await;
        Ok(key)
    }

    /// Removes one of `user_id`'s keys.
    pub async fn delete_user_key(
        &self,
        actor: Actor,
        user_id: i64,
        key_id: i64,
    ) -> Result<(), SshKeyError> {
        if !authorize(actor, Action::EditSettings, Resource::User { id: user_id }).is_allowed() {
            return Err(SshKeyError::Forbidden);
        }
        self.store.delete_user_key(user_id, key_id).await?;
        tracing::info!(user = user_id, key = key_id, "SSH key deleted");
        self.signer_keys_changed(user_id).await;
        Ok(())
    }

    /// Adds a deploy key to `repo`, which the caller found with `Action::Administer`.
    pub async fn add_deploy_key(
        &self,
        repo: &Repo,
        title: &str,
        key_text: &str,
        read_only: bool,
    ) -> Result<SshKey, SshKeyError> {
        let parsed = parse_public_key(key_text)?;
        let title = title_of(title, &parsed)?;
        let key = self
            .store
            .add_deploy_key(
                repo.id,
                NewSshKey {
                    title: &title,
                    algorithm: &parsed.algorithm,
                    public_key: &parsed.openssh,
                    fingerprint: &parsed.fingerprint,
                },
                read_only,
            )
            .await?;
        tracing::info!(repo = repo.id, key = %key.fingerprint, read_only, "deploy key added");
        Ok(key)
    }

    /// Removes a deploy key from `repo`, which the caller found with `Action::Administer`.
    pub async fn delete_deploy_key(&self, repo: &Repo, key_id: i64) -> Result<(), SshKeyError> {
        self.store.delete_deploy_key(repo.id, key_id).await?;
        tracing::info!(repo = repo.id, key = key_id, "deploy key deleted");
        Ok(())
    }

    /// Whether a key with this SHA-256 fingerprint may sign in (a deploy key, or an enabled
    /// user's key); what the SSH server asks before the client proves it holds the key.
    /// Records nothing.
    pub async fn ssh_key_usable(&self, fingerprint: &str) -> Result<bool, StoreError> {
        Ok(match self.store.key_owner(fingerprint).await? {
            None => false,
            Some(KeyOwner::User(user, _)) => !user.is_disabled,
            Some(KeyOwner::Deploy(keys)) => !keys.is_empty(),
        })
    }

    /// For OpenSSH's `AuthorizedKeysCommand`: the id of the registered key `key_text`
    /// (`ssh-ed25519 AAAA...`) stands for, with its canonical text, when it may sign in.
    pub async fn authorized_key(
        &self,
        key_text: &str,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let Ok(parsed) = parse_public_key(key_text) else {
            return Ok(None);
        };
        Ok(match self.store.key_owner(&parsed.fingerprint).await? {
            Some(KeyOwner::User(user, key)) if !user.is_disabled => Some((key.id, key.public_key)),
            Some(KeyOwner::Deploy(keys)) => keys.into_iter().next().map(|k| (k.id, k.public_key)),
            _ => None,
        })
    }

    /// [`Forge::ssh_identity`] of the key with this id (`hatchery serv key-ID`).
    pub async fn ssh_identity_of_key(
        &self,
        key_id: i64,
    ) -> Result<Option<SshIdentity>, StoreError> {
        match self.store.ssh_key(key_id).await? {
            Some(key) => self.ssh_identity(&key.fingerprint).await,
            None => Ok(None),
        }
    }

    /// Who the key with this SHA-256 fingerprint stands for: `None` for an unknown key and
    /// for a disabled user's key. Records the key's use.
    pub async fn ssh_identity(&self, fingerprint: &str) -> Result<Option<SshIdentity>, StoreError> {
        let now = now_ms();
        let touch = |k: &SshKey| {
            k.last_used_at
                .is_none_or(|at| now.saturating_sub(at) >= TOUCH_EVERY_MS)
        };
        match self.store.key_owner(fingerprint).await? {
            None => Ok(None),
            Some(KeyOwner::User(user, key)) => {
                if user.is_disabled {
                    return Ok(None);
                }
                if touch(&key) {
                    self.store.touch_ssh_key(key.id, now).await?;
                }
                Ok(Some(SshIdentity::User {
                    user,
                    key_id: key.id,
                }))
            }
            Some(KeyOwner::Deploy(keys)) => {
                for k in keys.iter().filter(|k| touch(k)) {
                    self.store.touch_ssh_key(k.id, now).await?;
                }
                Ok(Some(SshIdentity::Deploy {
                    repos: keys
                        .iter()
                        .filter_map(|k| k.repo_id.map(|r| (r, k.read_only, k.id)))
                        .collect(),
                }))
            }
        }
    }
}
