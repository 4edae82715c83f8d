-- Pull and push mirrors (issue 16 items 2 and 3).
--
-- Kept in step with migrations/postgres/0031_mirrors.sql; the two differ in types only.

-- A repository that follows an upstream: one row per mirrored repository (the repository
-- is read-only while the row exists). The password or token is sealed with a key derived
-- from the site secret (AES-256-GCM, a nonce per encryption); empty when none.
-- interval_ms 0: synced only on demand. A sync holds the row's lease (locked_until) so that
-- one runs at a time per repository, across servers.
CREATE TABLE pull_mirrors (
    repo_id         INTEGER PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    remote_url      TEXT    NOT NULL,
    remote_username TEXT    NOT NULL DEFAULT '',
    remote_password TEXT    NOT NULL DEFAULT '',
    interval_ms     INTEGER NOT NULL,
    prune           INTEGER NOT NULL DEFAULT 1 CHECK (prune IN (0, 1)),
    next_sync_at    INTEGER,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    last_update_at  INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX pull_mirrors_next_sync_at_idx ON pull_mirrors (next_sync_at);

-- Remotes a repository's branches and tags are pushed to, on an interval and (with
-- sync_on_commit) after each push. remote_name is Gitea's handle for the API.
CREATE TABLE push_mirrors (
    id              INTEGER PRIMARY KEY,
    repo_id         INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    remote_name     TEXT    NOT NULL,
    remote_url      TEXT    NOT NULL,
    remote_username TEXT    NOT NULL DEFAULT '',
    remote_password TEXT    NOT NULL DEFAULT '',
    interval_ms     INTEGER NOT NULL,
    sync_on_commit  INTEGER NOT NULL DEFAULT 0 CHECK (sync_on_commit IN (0, 1)),
    next_sync_at    INTEGER,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    last_update_at  INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (repo_id, remote_name)
);
CREATE INDEX push_mirrors_next_sync_at_idx ON push_mirrors (next_sync_at);
