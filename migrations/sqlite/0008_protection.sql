-- Commit statuses reported by CI, and protected-branch rules.
--
-- Kept in step with migrations/postgres/0008_protection.sql; the two differ in types only.

-- Every status ever reported is kept (Gitea does the same); the latest row per
-- (repository, commit, context) is the one that counts. sha is the full lower-case hex id.
CREATE TABLE commit_statuses (
    id          INTEGER PRIMARY KEY,
    repo_id     INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    sha         TEXT    NOT NULL,
    context     TEXT    NOT NULL,
    state       TEXT    NOT NULL
                CHECK (state IN ('pending', 'success', 'error', 'failure', 'warning')),
    target_url  TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    creator_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- Serves a commit's history and its latest row per context (MAX(id) per context).
CREATE INDEX commit_statuses_repo_sha_idx ON commit_statuses (repo_id, sha, context, id);

-- One rule per (repository, rule_name); rule_name is a branch name or a glob and is
-- compared exactly (branch names are case-sensitive). status_check_contexts holds one
-- context (glob) per line. admins_bypass = 1 lets repository administrators past the rule
-- (the API shows its negation, Gitea's block_admin_merge_override).
CREATE TABLE branch_protections (
    id                          INTEGER PRIMARY KEY,
    repo_id                     INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    rule_name                   TEXT    NOT NULL,
    enable_push                 INTEGER NOT NULL DEFAULT 1 CHECK (enable_push IN (0, 1)),
    enable_push_allowlist       INTEGER NOT NULL DEFAULT 0 CHECK (enable_push_allowlist IN (0, 1)),
    enable_force_push           INTEGER NOT NULL DEFAULT 0 CHECK (enable_force_push IN (0, 1)),
    enable_force_push_allowlist INTEGER NOT NULL DEFAULT 0 CHECK (enable_force_push_allowlist IN (0, 1)),
    enable_deletion             INTEGER NOT NULL DEFAULT 0 CHECK (enable_deletion IN (0, 1)),
    enable_merge_allowlist      INTEGER NOT NULL DEFAULT 0 CHECK (enable_merge_allowlist IN (0, 1)),
    enable_status_check         INTEGER NOT NULL DEFAULT 0 CHECK (enable_status_check IN (0, 1)),
    status_check_contexts       TEXT    NOT NULL DEFAULT '',
    required_approvals          INTEGER NOT NULL DEFAULT 0 CHECK (required_approvals >= 0),
    block_on_rejected_reviews   INTEGER NOT NULL DEFAULT 0 CHECK (block_on_rejected_reviews IN (0, 1)),
    dismiss_stale_approvals     INTEGER NOT NULL DEFAULT 0 CHECK (dismiss_stale_approvals IN (0, 1)),
    admins_bypass               INTEGER NOT NULL DEFAULT 0 CHECK (admins_bypass IN (0, 1)),
    require_signoff             INTEGER NOT NULL DEFAULT 0 CHECK (require_signoff IN (0, 1)),
    require_linear_history      INTEGER NOT NULL DEFAULT 0 CHECK (require_linear_history IN (0, 1)),
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL
);
CREATE UNIQUE INDEX branch_protections_repo_rule_name_key ON branch_protections (repo_id, rule_name);

-- The users and teams of a rule's push, force-push and merge allowlists; a deleted user or
-- team leaves every list it was on.
CREATE TABLE branch_protection_allowlist (
    protection_id INTEGER NOT NULL REFERENCES branch_protections (id) ON DELETE CASCADE,
    list          TEXT    NOT NULL CHECK (list IN ('push', 'force_push', 'merge')),
    user_id       INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    team_id       INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL AND team_id IS NOT NULL) OR (user_id IS NOT NULL AND team_id IS NULL))
);
CREATE INDEX branch_protection_allowlist_protection_idx ON branch_protection_allowlist (protection_id);
CREATE INDEX branch_protection_allowlist_user_idx ON branch_protection_allowlist (user_id);
CREATE INDEX branch_protection_allowlist_team_idx ON branch_protection_allowlist (team_id);
