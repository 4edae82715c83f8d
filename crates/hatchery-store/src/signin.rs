//! Institutional sign-in: sign-in sources and the group → team mappings they manage, the
//! external identities accounts are linked to, each account's source and last sign-in, and
//! two-factor authentication (TOTP secrets, hashed recovery codes).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use hatchery_core::signin::SourceKind;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{user_at, user_cols};
use crate::{NewUser, Store, StoreError, User, now_ms};

/// A sign-in source row. `settings` is the kind's settings as JSON, secrets included:
/// never show it as is.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthSource {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    pub is_enabled: bool,
    pub auto_create: bool,
    pub settings: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl fmt::Debug for AuthSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSource")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("is_enabled", &self.is_enabled)
            .field("auto_create", &self.auto_create)
            .field("settings", &"[not shown]")
            .finish_non_exhaustive()
    }
}

/// What a source is created or edited with.
#[derive(Clone)]
pub struct NewAuthSource {
    pub name: String,
    pub kind: SourceKind,
    pub is_enabled: bool,
    pub auto_create: bool,
    pub settings: String,
}

/// One group → team line of a source's mapping, with the team's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMapping {
    pub group: String,
    pub team_id: i64,
    pub org_name: String,
    pub team_name: String,
}

/// An identity an account is linked to, for the account's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    pub source_id: i64,
    pub source_name: String,
    pub kind: SourceKind,
    pub external_id: String,
    pub created_at: i64,
}

/// What the administration's user list shows about signing in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInFacts {
    /// The source the account was created by; `None`: a local account.
    pub source: Option<String>,
    pub last_sign_in_at: Option<i64>,
    pub two_factor: bool,
}

/// A user's TOTP enrolment. The secret is shown only while enrolling.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoFactor {
    pub secret: String,
    /// `None` while the enrolment waits for its first code.
    pub confirmed_at: Option<i64>,
    /// The newest time step accepted; a code of this step or an older one is refused.
    pub last_step: i64,
}

impl fmt::Debug for TwoFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoFactor")
            .field("secret", &"[redacted]")
            .field("confirmed_at", &self.confirmed_at)
            .field("last_step", &self.last_step)
            .finish()
    }
}

const SOURCE_COLS: &str =
    "id, name, kind, is_enabled, auto_create, settings, created_at, updated_at";

fn source_at(row: &AnyRow) -> Result<AuthSource, sqlx::Error> {
    let kind: String = row.try_get(2)?;
    Ok(AuthSource {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        kind: SourceKind::parse(&kind)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown source kind {kind:?}").into()))?,
        is_enabled: row.try_get::<i64, _>(3)? != 0,
        auto_create: row.try_get::<i64, _>(4)? != 0,
        settings: row.try_get(5)?,
        created_at: row.try_get(6)?,
        updated_at: row.try_get(7)?,
    })
}

impl Store {
    /// `Conflict(Name)` when another source has the name (case-insensitively).
    pub async fn create_auth_source(&self, new: &NewAuthSource) -> Result<AuthSource, StoreError> {
        let now = now_ms();
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO auth_sources (name, lower_name, kind, is_enabled, auto_create, settings,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
             RETURNING {SOURCE_COLS}"
        )))
        .bind(new.name.trim())
        .bind(new.name.trim().to_lowercase())
        .bind(new.kind.as_str())
        .bind(i64::from(new.is_enabled))
        .bind(i64::from(new.auto_create))
        .bind(&new.settings)
        .bind(now)
        .fetch_one(self.pool())
        .await?;
        Ok(source_at(&row)?)
    }

    /// Changes everything but the kind. `NotFound`, `Conflict(Name)`.
    pub async fn update_auth_source(
        &self,
        id: i64,
        new: &NewAuthSource,
    ) -> Result<AuthSource, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE auth_sources SET name = $2, lower_name = $3, is_enabled = $4,
                 auto_create = $5, settings = $6, updated_at = $7
             WHERE id = $1
             RETURNING {SOURCE_COLS}"
        )))
        .bind(id)
        .bind(new.name.trim())
        .bind(new.name.trim().to_lowercase())
        .bind(i64::from(new.is_enabled))
        .bind(i64::from(new.auto_create))
        .bind(&new.settings)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| source_at(&r))
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// Its accounts stay, as local accounts without a password (an administrator may set
    /// one); their links and the mapping go with the source.
    pub async fn delete_auth_source(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM auth_sources WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Every source, by name.
    pub async fn auth_sources(&self) -> Result<Vec<AuthSource>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SOURCE_COLS} FROM auth_sources ORDER BY lower_name"
        )))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(source_at).collect::<Result<_, _>>()?)
    }

    pub async fn auth_source_by_id(&self, id: i64) -> Result<Option<AuthSource>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SOURCE_COLS} FROM auth_sources WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| source_at(&r)).transpose()?)
    }

    /// Case-insensitive.
    pub async fn auth_source_by_name(&self, name: &str) -> Result<Option<AuthSource>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SOURCE_COLS} FROM auth_sources WHERE lower_name = $1"
        )))
        .bind(name.trim().to_lowercase())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| source_at(&r)).transpose()?)
    }

    /// Replaces the source's group → team mapping. `NotFound` when a team is gone.
    pub async fn set_source_mappings(
        &self,
        source_id: i64,
        mappings: &[(String, i64)],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM auth_source_teams WHERE source_id = $1")
            .bind(source_id)
            .execute(&mut *tx)
            .await?;
        for (group, team_id) in mappings {
            sqlx::query(
                "INSERT INTO auth_source_teams (source_id, group_name, team_id) VALUES ($1, $2, $3)
                 ON CONFLICT (source_id, group_name, team_id) DO NOTHING",
            )
            .bind(source_id)
            .bind(group.trim())
            .bind(team_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The source's mapping, by group then organization and team.
    pub async fn source_mappings(&self, source_id: i64) -> Result<Vec<SourceMapping>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.group_name, t.id, o.name, t.name
             FROM auth_source_teams m
             JOIN teams t ON t.id = m.team_id
             JOIN accounts o ON o.id = t.org_id
             WHERE m.source_id = $1
             ORDER BY m.group_name, o.lower_name, t.lower_name",
        )
        .bind(source_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceMapping {
                    group: r.try_get(0)?,
                    team_id: r.try_get(1)?,
                    org_name: r.try_get(2)?,
                    team_name: r.try_get(3)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Members of the teams the source's mapping names: (team, user) pairs.
    pub async fn managed_team_members(
        &self,
        source_id: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT tm.team_id, tm.user_id FROM team_members tm
             WHERE tm.team_id IN (SELECT team_id FROM auth_source_teams WHERE source_id = $1)",
        )
        .bind(source_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// The teams `user_id` is in.
    pub async fn team_ids_of_user(&self, user_id: i64) -> Result<BTreeSet<i64>, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT team_id FROM team_members WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
        Ok(ids.into_iter().collect())
    }

    /// The account an identity of the source signs in as.
    pub async fn user_by_external(
        &self,
        source_id: i64,
        external_id: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!("a."),
            " FROM external_logins x JOIN accounts a ON a.id = x.user_id
             WHERE x.source_id = $1 AND x.external_id = $2"
        ))
        .bind(source_id)
        .bind(external_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| user_at(&r, 0)).transpose()?)
    }

    /// Every linked identity of the source: (external id, user).
    pub async fn external_logins(&self, source_id: i64) -> Result<Vec<(String, User)>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT x.external_id, ",
            user_cols!("a."),
            " FROM external_logins x JOIN accounts a ON a.id = x.user_id
             WHERE x.source_id = $1 ORDER BY x.external_id"
        ))
        .bind(source_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, user_at(r, 1)?)))
            .collect::<Result<_, sqlx::Error>>()?)
    }

    /// Links an identity to an existing account. `Conflict(Name)` when the identity or the
    /// account is already linked in this source.
    pub async fn link_external(
        &self,
        source_id: i64,
        external_id: &str,
        user_id: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO external_logins (source_id, external_id, user_id, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(source_id)
        .bind(external_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        Ok(())
    }

    /// Creates the account of a new identity of the source, linked to it, in one
    /// transaction: there is never an account without its link or the other way round.
    pub async fn create_external_user(
        &self,
        source_id: i64,
        external_id: &str,
        new: NewUser,
    ) -> Result<User, StoreError> {
        let mut tx = self.write_tx().await?;
        let user = self.insert_user(&mut tx, new).await?;
        sqlx::query("UPDATE accounts SET auth_source_id = $2 WHERE id = $1")
            .bind(user.id)
            .bind(source_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO external_logins (source_id, external_id, user_id, created_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(source_id)
        .bind(external_id)
        .bind(user.id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// The identities `user_id` is linked to, by source name.
    pub async fn links_of_user(&self, user_id: i64) -> Result<Vec<LinkedIdentity>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, s.kind, x.external_id, x.created_at
             FROM external_logins x JOIN auth_sources s ON s.id = x.source_id
             WHERE x.user_id = $1 ORDER BY s.lower_name",
        )
        .bind(user_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(2)?;
                Ok(LinkedIdentity {
                    source_id: r.try_get(0)?,
                    source_name: r.try_get(1)?,
                    kind: SourceKind::parse(&kind).ok_or_else(|| {
                        sqlx::Error::Decode(format!("unknown source kind {kind:?}").into())
                    })?,
                    external_id: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Removes the link between `user_id` and its identity in `source_id`; false when there
    /// was none.
    pub async fn unlink_external(&self, source_id: i64, user_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM external_logins WHERE source_id = $1 AND user_id = $2")
            .bind(source_id)
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the account can sign in with a password of its own.
    pub async fn has_password(&self, user_id: i64) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE id = $1 AND password_hash IS NOT NULL AND password_hash <> ''",
        )
        .bind(user_id)
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// The source an account was created by, if any.
    pub async fn source_of_user(&self, user_id: i64) -> Result<Option<AuthSource>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM auth_sources s JOIN accounts a ON a.auth_source_id = s.id
             WHERE a.id = $1",
            SOURCE_COLS
                .split(", ")
                .map(|c| format!("s.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )))
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| source_at(&r)).transpose()?)
    }

    pub async fn record_sign_in(&self, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET last_sign_in_at = $2 WHERE id = $1")
            .bind(user_id)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Source, last sign-in and two-factor state of each of `user_ids`.
    pub async fn sign_in_facts(
        &self,
        user_ids: &[i64],
    ) -> Result<HashMap<i64, SignInFacts>, StoreError> {
        let mut out = HashMap::with_capacity(user_ids.len());
        for chunk in user_ids.chunks(100) {
            let placeholders = (1..=chunk.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            // Only numbered placeholders are spliced in; the ids are bound.
            let sql = format!(
                "SELECT a.id, s.name, a.last_sign_in_at,
                     CASE WHEN tf.confirmed_at IS NOT NULL OR EXISTS (
                         SELECT 1 FROM webauthn_credentials w WHERE w.user_id = a.id
                     ) THEN 1 ELSE 0 END
                 FROM accounts a
                 LEFT JOIN auth_sources s ON s.id = a.auth_source_id
                 LEFT JOIN two_factor tf ON tf.user_id = a.id
                 WHERE a.id IN ({placeholders})"
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.pool()).await? {
                out.insert(
                    row.try_get::<i64, _>(0)?,
                    SignInFacts {
                        source: row.try_get(1)?,
                        last_sign_in_at: row.try_get(2)?,
                        two_factor: row.try_get::<i64, _>(3)? != 0,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Profile fields a source keeps up to date at each sign-in. An email another account
    /// has is left as it was (`Conflict(Email)` is not an error here).
    pub async fn sync_external_profile(
        &self,
        user_id: i64,
        email: Option<&str>,
        display_name: Option<&str>,
        is_admin: Option<bool>,
    ) -> Result<(), StoreError> {
        if let Some(name) = display_name {
            sqlx::query("UPDATE accounts SET display_name = $2 WHERE id = $1 AND kind = 0")
                .bind(user_id)
                .bind(name)
                .execute(self.pool())
                .await?;
        }
        if let Some(email) = email {
            let r = sqlx::query(
                "UPDATE accounts SET email = $2, lower_email = $3 WHERE id = $1 AND kind = 0",
            )
            .bind(user_id)
            .bind(email)
            .bind(email.to_lowercase())
            .execute(self.pool())
            .await;
            match r.map_err(StoreError::from) {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(admin) = is_admin {
            // Through the same rule as the administration: the last administrator stays.
            self.set_admin_checked(user_id, admin).await?;
        }
        Ok(())
    }

    // ---- two-factor ----

    pub async fn two_factor(&self, user_id: i64) -> Result<Option<TwoFactor>, StoreError> {
        let row = sqlx::query(
            "SELECT secret, confirmed_at, last_step FROM two_factor WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(TwoFactor {
                secret: r.try_get(0)?,
                confirmed_at: r.try_get(1)?,
                last_step: r.try_get(2)?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| e.into())
    }

    /// Starts (or restarts) an enrolment with a new secret. An enrolment already confirmed
    /// is left alone: `Conflict(Name)`.
    pub async fn start_two_factor(&self, user_id: i64, secret: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO two_factor (user_id, secret, confirmed_at, last_step, created_at)
             VALUES ($1, $2, NULL, 0, $3)
             ON CONFLICT (user_id) DO UPDATE SET secret = $2, last_step = 0, created_at = $3
             WHERE two_factor.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(crate::ConflictField::Name));
        }
        Ok(())
    }

    /// Confirms the enrolment with the step of the code given, and stores the recovery
    /// codes' hashes. `Stale` when it was confirmed meanwhile or the step was used.
    pub async fn confirm_two_factor(
        &self,
        user_id: i64,
        step: i64,
        recovery_hashes: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE two_factor SET confirmed_at = $2, last_step = $3
             WHERE user_id = $1 AND confirmed_at IS NULL AND last_step < $3",
        )
        .bind(user_id)
        .bind(now_ms())
        .bind(step)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        replace_codes(&mut tx, user_id, recovery_hashes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accepts a TOTP step once: true only for the first caller with a step newer than every
    /// step accepted before, on every server.
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE two_factor SET last_step = $2
             WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2",
        )
        .bind(user_id)
        .bind(step)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a recovery code used: true only the first time.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        code_hash: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(code_hash)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() >= 1)
    }

    pub async fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        replace_codes(&mut tx, user_id, hashes).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(self.pool())
        .await?)
    }

    /// Turns TOTP off and keeps the recovery codes (the account has security keys).
    pub async fn remove_totp(&self, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Turns two-factor authentication off: the secret and the recovery codes go.
    pub async fn remove_two_factor(&self, user_id: i64) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn replace_codes(
    tx: &mut crate::Tx,
    user_id: i64,
    hashes: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(h)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
