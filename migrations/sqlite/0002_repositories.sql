-- Repositories, their collaborators and linked teams, and personal access tokens.
--
-- Kept in step with migrations/postgres/0002_repositories.sql: the two files differ in types
-- only, as in 0001. Booleans are INTEGER 0/1, times INTEGER unix milliseconds.

-- The owner is an account: a user or an organization. Deleting it deletes its repositories'
-- rows (the web layer removes their directories on disk, and refuses to delete an
-- organization that still owns repositories).
CREATE TABLE repositories (
    id             INTEGER PRIMARY KEY,
    owner_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    lower_name     TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    is_private     INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
    default_branch TEXT    NOT NULL,
    read_only      INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    pushed_at      INTEGER
);
-- Names are unique per owner, case-insensitively: the store maps a violation to
-- Conflict(Name) by the "lower_name" in the index name. Also serves repo_by_name,
-- repos_of_owner, count_repos_of_owner and the cascade from accounts.
CREATE UNIQUE INDEX repositories_owner_id_lower_name_key ON repositories (owner_id, lower_name);

-- Users given a level on one repository. Only users, never organizations (the store checks).
CREATE TABLE repo_collaborators (
    repo_id    INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    level      TEXT    NOT NULL CHECK (level IN ('read', 'write', 'admin')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (repo_id, user_id)
);
-- The cascade when an account is deleted; "repositories I collaborate on".
CREATE INDEX repo_collaborators_user_id_idx ON repo_collaborators (user_id);

-- Teams of the owning organization given access to a repository, at the team's permission.
-- That the team belongs to the repository's owner is checked by the store on insert; neither
-- side can change owner afterwards.
CREATE TABLE repo_teams (
    repo_id    INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (repo_id, team_id)
);
-- The cascade when a team is deleted.
CREATE INDEX repo_teams_team_id_idx ON repo_teams (team_id);

-- Personal access tokens. Only the SHA-256 of the secret is stored; the last eight
-- characters of the secret are kept to tell tokens apart in lists. scopes: space-separated.
CREATE TABLE access_tokens (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    lower_name       TEXT    NOT NULL,
    token_hash       TEXT    NOT NULL,
    token_last_eight TEXT    NOT NULL,
    scopes           TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER
);
-- Token names are unique per user, case-insensitively (Conflict(Name): keep "lower_name").
-- Also serves tokens_of_user and the cascade from accounts.
CREATE UNIQUE INDEX access_tokens_user_id_lower_name_key ON access_tokens (user_id, lower_name);
-- Authentication: one lookup by hash.
CREATE UNIQUE INDEX access_tokens_token_hash_key ON access_tokens (token_hash);
