-- Webhooks: per repository or per organization, and the queue and log of their deliveries.
--
-- Kept in step with migrations/postgres/0004_webhooks.sql; the two differ in types only.

-- Exactly one of repo_id and org_id is set. secret signs each delivery (HMAC-SHA256) and
-- authorization_header is sent as the Authorization header: both are stored as given
-- and never shown again. events is a space-separated list of event names ("push issues",
-- "*" for all).
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY,
    repo_id              INTEGER REFERENCES repositories (id) ON DELETE CASCADE,
    org_id               INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    url                  TEXT    NOT NULL,
    content_type         TEXT    NOT NULL DEFAULT 'json' CHECK (content_type IN ('json', 'form')),
    secret               TEXT    NOT NULL DEFAULT '',
    events               TEXT    NOT NULL DEFAULT 'push',
    branch_filter        TEXT    NOT NULL DEFAULT '',
    authorization_header TEXT    NOT NULL DEFAULT '',
    is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    CHECK ((repo_id IS NULL AND org_id IS NOT NULL) OR (repo_id IS NOT NULL AND org_id IS NULL))
);
CREATE INDEX webhooks_repo_id_idx ON webhooks (repo_id);
CREATE INDEX webhooks_org_id_idx ON webhooks (org_id);

-- One row per delivery: the queue (status 'pending', due at next_attempt_at) and, once
-- sent, the log of its last attempt. A worker claims due rows by setting locked_until (a
-- lease) and lease_token; a worker that dies leaves the row to be claimed again once the
-- lease runs out, and only the lease holder may record the outcome. event is the exact
-- event type (issue_label), payload the JSON as enqueued. A redelivery is a new row that
-- copies the payload and names the original in redelivery_of.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    hook_id          INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    uuid             TEXT    NOT NULL,
    event            TEXT    NOT NULL,
    action           TEXT    NOT NULL DEFAULT '',
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    locked_until     INTEGER,
    lease_token      TEXT,
    request_url      TEXT,
    request_headers  TEXT,
    request_body     TEXT,
    response_status  INTEGER,
    response_headers TEXT,
    response_body    TEXT,
    error            TEXT,
    duration_ms      INTEGER,
    redelivery_of    INTEGER REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL,
    last_attempt_at  INTEGER
);
CREATE UNIQUE INDEX webhook_deliveries_uuid_key ON webhook_deliveries (uuid);
-- The log of a hook, newest first.
CREATE INDEX webhook_deliveries_hook_id_idx ON webhook_deliveries (hook_id, id);
-- The queue: due rows only.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_redelivery_of_idx ON webhook_deliveries (redelivery_of);
