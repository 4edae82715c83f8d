-- Foundation: accounts (users and organizations in one namespace), organization members,
-- teams, sessions, sign-in throttling and site settings.
--
-- Kept in step with migrations/postgres/0001_foundation.sql: the two files differ in types
-- only (INTEGER PRIMARY KEY vs BIGINT IDENTITY, INTEGER vs BIGINT, BLOB vs BYTEA, and the
-- byte-order collation PostgreSQL needs to spell out on the lower_* columns).
-- Booleans are INTEGER 0/1 and times are INTEGER unix milliseconds, because only integers,
-- floats, text and blobs decode through sqlx's Any driver on both databases.

-- kind: 0 = user, 1 = organization. One table so a name can never be both.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    kind          INTEGER NOT NULL CHECK (kind IN (0, 1)),
    name          TEXT    NOT NULL,
    lower_name    TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    lower_email   TEXT,
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    language      TEXT,
    description   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK (kind = 1 OR lower_email IS NOT NULL),
    CHECK (kind = 0 OR (lower_email IS NULL AND password_hash IS NULL AND is_admin = 0))
);
-- The store maps a violation of these two to Conflict(Name) / Conflict(Email) by the
-- column names in their names: keep "lower_name" / "lower_email" in them. The name index
-- comes first so a sign-up that repeats both is reported as a name conflict.
CREATE UNIQUE INDEX accounts_lower_name_key ON accounts (lower_name);
-- Organizations have a NULL lower_email, and NULLs never collide: emails are unique among users.
CREATE UNIQUE INDEX accounts_lower_email_key ON accounts (lower_email);
-- count_users, search_users (prefix range, ordered by name).
CREATE INDEX accounts_kind_lower_name_idx ON accounts (kind, lower_name);

CREATE TABLE org_members (
    org_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
-- orgs_of_user, and the cascade when an account is deleted.
CREATE INDEX org_members_user_id_idx ON org_members (user_id);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    lower_name  TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    permission  TEXT    NOT NULL CHECK (permission IN ('read', 'write', 'admin')),
    created_at  INTEGER NOT NULL
);
-- Also serves teams_of_org, team_by_name and the cascade from accounts.
CREATE UNIQUE INDEX teams_org_id_lower_name_key ON teams (org_id, lower_name);

CREATE TABLE team_members (
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
-- Leaving an organization removes the user from its teams; and the cascade from accounts.
CREATE INDEX team_members_user_id_idx ON team_members (user_id);

CREATE TABLE sessions (
    id     TEXT    NOT NULL PRIMARY KEY,
    data   BLOB    NOT NULL,
    expiry INTEGER NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- One row per throttled key (an account, a client address), shared by all server instances.
CREATE TABLE login_throttle (
    key          TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL
);

CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
