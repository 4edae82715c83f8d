-- Institutional sign-in: sign-in sources (LDAP, OpenID Connect, reverse-proxy headers) as
-- rows, the group → team mappings each source manages, the external identities accounts
-- are linked to, the source and last sign-in of every account, and two-factor
-- authentication (TOTP secrets, recovery codes stored hashed).
--
-- Kept in step with migrations/postgres/0021_signin_sources.sql.

-- kind: 'ldap' | 'oidc' | 'header'. `settings` is the kind's settings as JSON (hatchery-core
-- `signin_sources`); secrets in it (bind password, client secret) are never shown again.
CREATE TABLE auth_sources (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    lower_name  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('ldap', 'oidc', 'header')),
    is_enabled  INTEGER NOT NULL DEFAULT 1 CHECK (is_enabled IN (0, 1)),
    auto_create INTEGER NOT NULL DEFAULT 1 CHECK (auto_create IN (0, 1)),
    settings    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX auth_sources_lower_name_key ON auth_sources (lower_name);

-- A group DN (LDAP), claim value (OIDC) or header value puts its members in the team. The
-- teams named here are the ones the source manages: members are removed only from these.
CREATE TABLE auth_source_teams (
    source_id  INTEGER NOT NULL REFERENCES auth_sources (id) ON DELETE CASCADE,
    group_name TEXT    NOT NULL,
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    PRIMARY KEY (source_id, group_name, team_id)
);
CREATE INDEX auth_source_teams_team_id_idx ON auth_source_teams (team_id);

-- Which account an identity of a source signs in as (LDAP: the login name; OIDC: `sub`;
-- header: the user name header). One identity per account and source.
CREATE TABLE external_logins (
    source_id   INTEGER NOT NULL REFERENCES auth_sources (id) ON DELETE CASCADE,
    external_id TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (source_id, external_id)
);
CREATE UNIQUE INDEX external_logins_source_user_key ON external_logins (source_id, user_id);
CREATE INDEX external_logins_user_id_idx ON external_logins (user_id);

-- The source an account was created by (NULL: a local account with a password).
ALTER TABLE accounts ADD COLUMN auth_source_id INTEGER REFERENCES auth_sources (id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN last_sign_in_at INTEGER;

-- TOTP (RFC 6238). `confirmed_at` NULL: enrolment started, not yet confirmed with a code.
-- `last_step`: the newest time step accepted, so a code is never accepted twice.
CREATE TABLE two_factor (
    user_id      INTEGER NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    secret       TEXT    NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

-- Recovery codes, hashed (SHA-256 of the code); each usable once.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_user_id_idx ON recovery_codes (user_id);
