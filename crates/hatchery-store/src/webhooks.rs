//! Webhooks of repositories and organizations, and their deliveries: a queue in the
//! database (so deliveries survive restarts and several servers share the work) that is
//! also the delivery log.
//!
//! Workers claim due deliveries with a lease (`locked_until`, `lease_token`) in one write
//! transaction: on PostgreSQL the candidates are picked `FOR UPDATE SKIP LOCKED`, on SQLite
//! the write transaction (`BEGIN IMMEDIATE`) already excludes every other writer. A worker
//! that dies mid-delivery leaves the row locked until the lease runs out; then any worker
//! claims it again. Only the holder of the current lease can record an outcome.

use std::fmt;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::Binds;
use crate::{Backend, Store, StoreError};

/// Whose hook it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOwner {
    Repo(i64),
    Org(i64),
}

#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: i64,
    pub owner: HookOwner,
    pub url: String,
    /// `json` or `form`.
    pub content_type: String,
    /// Signs deliveries; never shown after creation.
    pub secret: String,
    /// Event names, `*` for all.
    pub events: Vec<String>,
    pub branch_filter: String,
    /// Sent as the `Authorization` header; never shown after creation.
    pub authorization_header: String,
    pub is_active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("url", &self.url)
            .field("content_type", &self.content_type)
            .field("secret", &"[redacted]")
            .field("events", &self.events)
            .field("branch_filter", &self.branch_filter)
            .field("authorization_header", &"[redacted]")
            .field("is_active", &self.is_active)
            .finish()
    }
}

/// A hook to create. Values are checked by the service; event names must be single words.
pub struct NewWebhook<'a> {
    pub owner: HookOwner,
    pub url: &'a str,
    pub content_type: &'a str,
    pub secret: &'a str,
    pub events: &'a [String],
    pub branch_filter: &'a str,
    pub authorization_header: &'a str,
    pub is_active: bool,
}

/// Changes to a hook: `None` keeps the field.
#[derive(Default)]
pub struct WebhookChanges<'a> {
    pub url: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub events: Option<&'a [String]>,
    pub branch_filter: Option<&'a str>,
    pub authorization_header: Option<&'a str>,
    pub is_active: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (the first, or a retry).
    Pending,
    Delivered,
    /// Gave up: too many failed attempts, or refused before sending.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> DeliveryStatus {
        match s {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// A delivery to enqueue.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub hook_id: i64,
    /// Sent as `X-Gitea-Delivery`; unique.
    pub uuid: String,
    /// The exact event type (`push`, `issue_label`).
    pub event: String,
    /// The payload's `action`, for the log (`opened`, `created`), or empty.
    pub action: String,
    /// The JSON payload.
    pub payload: String,
}

/// A delivery as the log shows it, without its bodies.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliverySummary {
    pub id: i64,
    pub hook_id: i64,
    pub uuid: String,
    pub event: String,
    pub action: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub response_status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: Option<i64>,
    pub redelivery_of: Option<i64>,
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
}

/// A delivery with everything recorded about its last attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub summary: DeliverySummary,
    pub payload: String,
    pub request_url: Option<String>,
    /// A JSON object of header names to values.
    pub request_headers: Option<String>,
    pub request_body: Option<String>,
    /// A JSON object of header names to values.
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
}

/// A delivery claimed by a worker, with its hook as it is now.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub uuid: String,
    pub event: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub lease_token: String,
    pub hook: Webhook,
}

/// What became of an attempt.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// `Pending` with `next_attempt_at` for a retry.
    pub status: DeliveryStatus,
    pub next_attempt_at: i64,
    pub attempted_at: i64,
    pub request_url: String,
    pub request_headers: String,
    pub request_body: String,
    pub response_status: Option<i64>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

macro_rules! hook_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "repo_id, ",
            $p,
            "org_id, ",
            $p,
            "url, ",
            $p,
            "content_type, ",
            $p,
            "secret, ",
            $p,
            "events, ",
            $p,
            "branch_filter, ",
            $p,
            "authorization_header, ",
            $p,
            "is_active, ",
            $p,
            "created_at, ",
            $p,
            "updated_at"
        )
    };
}

#[cfg(test)]
const HOOK_WIDTH: usize = 12;

fn hook_at(row: &AnyRow, i: usize) -> Result<Webhook, sqlx::Error> {
    let repo_id: Option<i64> = row.try_get(i + 1)?;
    let org_id: Option<i64> = row.try_get(i + 2)?;
    let owner = match (repo_id, org_id) {
        (Some(r), _) => HookOwner::Repo(r),
        (None, Some(o)) => HookOwner::Org(o),
        (None, None) => {
            return Err(sqlx::Error::Decode("webhook without an owner".into()));
        }
    };
    let events: String = row.try_get(i + 6)?;
    Ok(Webhook {
        id: row.try_get(i)?,
        owner,
        url: row.try_get(i + 3)?,
        content_type: row.try_get(i + 4)?,
        secret: row.try_get(i + 5)?,
        events: events
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        branch_filter: row.try_get(i + 7)?,
        authorization_header: row.try_get(i + 8)?,
        is_active: row.try_get::<i64, _>(i + 9)? != 0,
        created_at: row.try_get(i + 10)?,
        updated_at: row.try_get(i + 11)?,
    })
}

macro_rules! summary_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "hook_id, ",
            $p,
            "uuid, ",
            $p,
            "event, ",
            $p,
            "action, ",
            $p,
            "status, ",
            $p,
            "attempts, ",
            $p,
            "next_attempt_at, ",
            $p,
            "response_status, ",
            $p,
            "error, ",
            $p,
            "duration_ms, ",
            $p,
            "redelivery_of, ",
            $p,
            "created_at, ",
            $p,
            "last_attempt_at"
        )
    };
}

const SUMMARY_WIDTH: usize = 14;

fn summary_at(row: &AnyRow, i: usize) -> Result<DeliverySummary, sqlx::Error> {
    let status: String = row.try_get(i + 5)?;
    Ok(DeliverySummary {
        id: row.try_get(i)?,
        hook_id: row.try_get(i + 1)?,
        uuid: row.try_get(i + 2)?,
        event: row.try_get(i + 3)?,
        action: row.try_get(i + 4)?,
        status: DeliveryStatus::parse(&status),
        attempts: row.try_get(i + 6)?,
        next_attempt_at: row.try_get(i + 7)?,
        response_status: row.try_get(i + 8)?,
        error: row.try_get(i + 9)?,
        duration_ms: row.try_get(i + 10)?,
        redelivery_of: row.try_get(i + 11)?,
        created_at: row.try_get(i + 12)?,
        last_attempt_at: row.try_get(i + 13)?,
    })
}

/// Event names are stored space-separated: a name with whitespace would not come back.
fn encode_events(events: &[String]) -> Result<String, StoreError> {
    if let Some(bad) = events
        .iter()
        .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
    {
        return Err(StoreError::Database(sqlx::Error::Encode(
            format!("invalid webhook event {bad:?}: events are single words").into(),
        )));
    }
    Ok(events.join(" "))
}

fn owner_ids(owner: HookOwner) -> (Option<i64>, Option<i64>) {
    match owner {
        HookOwner::Repo(r) => (Some(r), None),
        HookOwner::Org(o) => (None, Some(o)),
    }
}

impl Store {
    /// `NotFound` when the repository or organization does not exist.
    pub async fn create_webhook(&self, new: NewWebhook<'_>) -> Result<Webhook, StoreError> {
        let events = encode_events(new.events)?;
        let now = crate::now_ms();
        let (repo_id, org_id) = owner_ids(new.owner);
        // An organization hook needs an organization: checked in the insert itself.
        let row = sqlx::query(concat!(
            "INSERT INTO webhooks (repo_id, org_id, url, content_type, secret, events,
                 branch_filter, authorization_header, is_active, created_at, updated_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10
             WHERE $2 IS NULL OR EXISTS (SELECT 1 FROM accounts WHERE id = $2 AND kind = 1)
             RETURNING ",
            hook_cols!("")
        ))
        .bind(repo_id)
        .bind(org_id)
        .bind(new.url)
        .bind(new.content_type)
        .bind(new.secret)
        .bind(events)
        .bind(new.branch_filter)
        .bind(new.authorization_header)
        .bind(i64::from(new.is_active))
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(hook_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// The hook `id` if it belongs to `owner`.
    pub async fn webhook(&self, owner: HookOwner, id: i64) -> Result<Option<Webhook>, StoreError> {
        let (repo_id, org_id) = owner_ids(owner);
        let row = sqlx::query(concat!(
            "SELECT ",
            hook_cols!(""),
            " FROM webhooks WHERE id = $1 AND (repo_id = $2 OR org_id = $3)"
        ))
        .bind(id)
        .bind(repo_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| hook_at(&r, 0)).transpose()?)
    }

    /// Oldest first.
    pub async fn webhooks_of(&self, owner: HookOwner) -> Result<Vec<Webhook>, StoreError> {
        let (repo_id, org_id) = owner_ids(owner);
        let rows = sqlx::query(concat!(
            "SELECT ",
            hook_cols!(""),
            " FROM webhooks WHERE repo_id = $1 OR org_id = $2 ORDER BY id"
        ))
        .bind(repo_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| hook_at(r, 0))
            .collect::<Result<_, _>>()?)
    }

    /// The active hooks that see events of repository `repo_id`: its own and, when it
    /// belongs to an organization, the organization's (`org_id`).
    pub async fn active_webhooks_for(
        &self,
        repo_id: Option<i64>,
        org_id: Option<i64>,
    ) -> Result<Vec<Webhook>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            hook_cols!(""),
            " FROM webhooks WHERE is_active = 1 AND (repo_id = $1 OR org_id = $2) ORDER BY id"
        ))
        .bind(repo_id)
        .bind(org_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| hook_at(r, 0))
            .collect::<Result<_, _>>()?)
    }

    /// `NotFound` unless the hook exists and belongs to `owner`.
    pub async fn update_webhook(
        &self,
        owner: HookOwner,
        id: i64,
        changes: WebhookChanges<'_>,
    ) -> Result<Webhook, StoreError> {
        let events = changes.events.map(encode_events).transpose()?;
        let (repo_id, org_id) = owner_ids(owner);
        let row = sqlx::query(concat!(
            "UPDATE webhooks SET
                 url = COALESCE($4, url),
                 content_type = COALESCE($5, content_type),
                 secret = COALESCE($6, secret),
                 events = COALESCE($7, events),
                 branch_filter = COALESCE($8, branch_filter),
                 authorization_header = COALESCE($9, authorization_header),
                 is_active = COALESCE($10, is_active),
                 updated_at = $11
             WHERE id = $1 AND (repo_id = $2 OR org_id = $3)
             RETURNING ",
            hook_cols!("")
        ))
        .bind(id)
        .bind(repo_id)
        .bind(org_id)
        .bind(changes.url)
        .bind(changes.content_type)
        .bind(changes.secret)
        .bind(events)
        .bind(changes.branch_filter)
        .bind(changes.authorization_header)
        .bind(changes.is_active.map(i64::from))
        .bind(crate::now_ms())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(hook_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// Deletes the hook and its deliveries. `NotFound` unless it belongs to `owner`.
    pub async fn delete_webhook(&self, owner: HookOwner, id: i64) -> Result<(), StoreError> {
        let (repo_id, org_id) = owner_ids(owner);
        let done =
            sqlx::query("DELETE FROM webhooks WHERE id = $1 AND (repo_id = $2 OR org_id = $3)")
                .bind(id)
                .bind(repo_id)
                .bind(org_id)
                .execute(self.pool())
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Queues deliveries, due at once. A hook deleted meanwhile is skipped. Returns how
    /// many were queued.
    pub async fn enqueue_deliveries(&self, items: &[NewDelivery]) -> Result<u64, StoreError> {
        if items.is_empty() {
            return Ok(0);
        }
        let now = crate::now_ms();
        let mut tx = self.write_tx().await?;
        let mut queued = 0;
        for item in items {
            let done = sqlx::query(
                "INSERT INTO webhook_deliveries (hook_id, uuid, event, action, payload, status,
                     next_attempt_at, created_at)
                 SELECT h.id, $2, $3, $4, $5, 'pending', $6, $6 FROM webhooks h WHERE h.id = $1",
            )
            .bind(item.hook_id)
            .bind(&item.uuid)
            .bind(&item.event)
            .bind(&item.action)
            .bind(&item.payload)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            queued += done.rows_affected();
        }
        tx.commit().await?;
        Ok(queued)
    }

    /// Claims up to `limit` deliveries due at `now` that no live lease holds, for
    /// `lease_ms`, under `token` (unique to this claim). Oldest due first.
    pub async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
        token: &str,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let skip_locked = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let claim = format!(
            "UPDATE webhook_deliveries SET locked_until = $2, lease_token = $3
             WHERE id IN (
                 SELECT id FROM webhook_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= $1
                   AND (locked_until IS NULL OR locked_until < $1)
                 ORDER BY next_attempt_at, id
                 LIMIT $4{skip_locked})
               AND status = 'pending' AND (locked_until IS NULL OR locked_until < $1)"
        );
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(claim))
            .bind(now)
            .bind(now.saturating_add(lease_ms))
            .bind(token)
            .bind(limit)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(
            "SELECT d.id, d.uuid, d.event, d.payload, d.attempts, ",
            hook_cols!("h."),
            " FROM webhook_deliveries d JOIN webhooks h ON h.id = d.hook_id
             WHERE d.lease_token = $1 ORDER BY d.next_attempt_at, d.id"
        ))
        .bind(token)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(ClaimedDelivery {
                id: row.try_get(0)?,
                uuid: row.try_get(1)?,
                event: row.try_get(2)?,
                payload: row.try_get(3)?,
                attempts: row.try_get(4)?,
                lease_token: token.to_owned(),
                hook: hook_at(row, 5)?,
            });
        }
        Ok(out)
    }

    /// Records an attempt of a claimed delivery and releases the lease. `false` when the
    /// lease was lost meanwhile (it expired and another worker claimed the row, or the
    /// hook was deleted): nothing is written.
    pub async fn finish_delivery(
        &self,
        id: i64,
        lease_token: &str,
        record: &AttemptRecord,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET
                 status = $3, attempts = attempts + 1, next_attempt_at = $4,
                 locked_until = NULL, lease_token = NULL, last_attempt_at = $5,
                 request_url = $6, request_headers = $7, request_body = $8,
                 response_status = $9, response_headers = $10, response_body = $11,
                 error = $12, duration_ms = $13
             WHERE id = $1 AND lease_token = $2",
        )
        .bind(id)
        .bind(lease_token)
        .bind(record.status.as_str())
        .bind(record.next_attempt_at)
        .bind(record.attempted_at)
        .bind(&record.request_url)
        .bind(&record.request_headers)
        .bind(&record.request_body)
        .bind(record.response_status)
        .bind(record.response_headers.as_deref())
        .bind(record.response_body.as_deref())
        .bind(record.error.as_deref())
        .bind(record.duration_ms)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When the next pending delivery falls due (or its lease runs out), if any.
    pub async fn next_delivery_due(&self) -> Result<Option<i64>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > next_attempt_at
                             THEN locked_until ELSE next_attempt_at END)
             FROM webhook_deliveries WHERE status = 'pending'",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(next)
    }

    /// A page of the hook's deliveries, newest first, and how many there are in all.
    pub async fn deliveries_of_hook(
        &self,
        hook_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<DeliverySummary>, i64), StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            summary_cols!(""),
            " FROM webhook_deliveries WHERE hook_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(hook_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE hook_id = $1")
                .bind(hook_id)
                .fetch_one(self.pool())
                .await?;
        let page = rows
            .iter()
            .map(|r| summary_at(r, 0))
            .collect::<Result<_, _>>()?;
        Ok((page, total))
    }

    /// The delivery `id` of hook `hook_id`, with its bodies.
    pub async fn delivery(&self, hook_id: i64, id: i64) -> Result<Option<Delivery>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            summary_cols!(""),
            ", payload, request_url, request_headers, request_body, response_headers,
               response_body
             FROM webhook_deliveries WHERE id = $1 AND hook_id = $2"
        ))
        .bind(id)
        .bind(hook_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let w = SUMMARY_WIDTH;
        Ok(Some(Delivery {
            summary: summary_at(&row, 0)?,
            payload: row.try_get(w)?,
            request_url: row.try_get(w + 1)?,
            request_headers: row.try_get(w + 2)?,
            request_body: row.try_get(w + 3)?,
            response_headers: row.try_get(w + 4)?,
            response_body: row.try_get(w + 5)?,
        }))
    }

    /// Queues the delivery `id` of hook `hook_id` again, as a new delivery with the same
    /// event and payload, due at once. `NotFound` when there is no such delivery.
    pub async fn redeliver(
        &self,
        hook_id: i64,
        id: i64,
        uuid: &str,
    ) -> Result<DeliverySummary, StoreError> {
        let now = crate::now_ms();
        let row = sqlx::query(concat!(
            "INSERT INTO webhook_deliveries (hook_id, uuid, event, action, payload, status,
                 next_attempt_at, created_at, redelivery_of)
             SELECT hook_id, $3, event, action, payload, 'pending', $4, $4, id
             FROM webhook_deliveries WHERE id = $1 AND hook_id = $2
             RETURNING ",
            summary_cols!("")
        ))
        .bind(id)
        .bind(hook_id)
        .bind(uuid)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok(summary_at(&row, 0)?),
            None => Err(StoreError::NotFound),
        }
    }

    /// The latest delivery of each of `hook_ids`, for the hooks list.
    pub async fn last_deliveries(
        &self,
        hook_ids: &[i64],
    ) -> Result<Vec<DeliverySummary>, StoreError> {
        let mut out = Vec::new();
        for chunk in hook_ids.chunks(256) {
            let mut binds = Binds::default();
            let list: Vec<String> = chunk.iter().map(|id| binds.int(*id)).collect();
            let sql = format!(
                "SELECT {} FROM webhook_deliveries
                  WHERE id IN (SELECT MAX(id) FROM webhook_deliveries
                                WHERE hook_id IN ({}) GROUP BY hook_id)
                  ORDER BY hook_id",
                summary_cols!(""),
                list.join(", ")
            );
            for row in binds
                .apply(sqlx::query(sqlx::AssertSqlSafe(sql)))
                .fetch_all(self.pool())
                .await?
            {
                out.push(summary_at(&row, 0)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_the_column_lists() {
        assert_eq!(hook_cols!("").split(", ").count(), HOOK_WIDTH);
        assert_eq!(summary_cols!("").split(", ").count(), SUMMARY_WIDTH);
    }

    #[test]
    fn secrets_are_not_debugged() {
        let hook = Webhook {
            id: 1,
            owner: HookOwner::Repo(2),
            url: "https://example.org/hook".into(),
            content_type: "json".into(),
            secret: "s3cret-value".into(),
            events: vec!["push".into()],
            branch_filter: String::new(),
            authorization_header: "Bearer tok-value".into(),
            is_active: true,
            created_at: 0,
            updated_at: 0,
        };
        let text = format!("{hook:?}");
        assert!(
            !text.contains("s3cret-value") && !text.contains("tok-value"),
            "{text}"
        );
        assert!(encode_events(&["a b".into()]).is_err());
        assert_eq!(
            encode_events(&["push".into(), "issues".into()]).unwrap(),
            "push issues"
        );
    }
}
