-- SSH public keys: a user's keys (user_id set) and repositories' deploy keys (repo_id set,
-- read-only or read-write). A key is found at sign-in by its SHA-256 fingerprint; a key is
-- registered to at most one account, and a key of an account is no deploy key (the store
-- checks both in one write transaction). A deploy key may serve several repositories.
--
-- Kept in step with migrations/postgres/0020_ssh_keys.sql.
CREATE TABLE ssh_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    repo_id      INTEGER REFERENCES repositories (id) ON DELETE CASCADE,
    title        TEXT    NOT NULL,
    algorithm    TEXT    NOT NULL,
    public_key   TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    read_only    INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    CHECK ((user_id IS NULL) <> (repo_id IS NULL))
);
CREATE UNIQUE INDEX ssh_keys_user_fingerprint_key ON ssh_keys (fingerprint) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX ssh_keys_repo_fingerprint_key ON ssh_keys (repo_id, fingerprint) WHERE repo_id IS NOT NULL;
CREATE INDEX ssh_keys_fingerprint_idx ON ssh_keys (fingerprint);
CREATE INDEX ssh_keys_user_id_idx ON ssh_keys (user_id);
