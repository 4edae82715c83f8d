-- Pull requests: an issue with a head and a base (as in Gitea), so pull requests share the
-- issues' number sequence, comments, labels, assignees and timeline.
--
-- Kept in step with migrations/postgres/0012_pulls.sql; the two differ in types only.

-- 1 for the issue rows that are pull requests; issue lists and counts filter on it.
ALTER TABLE issues ADD COLUMN is_pull INTEGER NOT NULL DEFAULT 0 CHECK (is_pull IN (0, 1));
-- The pull-request and issue tabs' lists and counts, without sorting.
CREATE INDEX issues_repo_id_is_pull_is_closed_idx
    ON issues (repo_id, is_pull, is_closed, created_at, id);

-- One row per pull request. The base repository is the issue's repository. head_repo_id is
-- NULL once the head's repository (a fork) is deleted; the request is closed then.
-- head_oid is the head commit as of the last push seen (also written to refs/pull/N/head);
-- merge_base is that head's merge base with the base branch then.
-- The mergeability check is cached for one (base commit, head commit) pair: a push to
-- either side makes the cache stale by construction. mergeable is 'clean', 'conflict' or
-- 'error'; conflict_files one path per line.
CREATE TABLE pull_requests (
    issue_id       INTEGER PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE,
    base_repo_id   INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    base_branch    TEXT    NOT NULL,
    head_repo_id   INTEGER REFERENCES repositories (id) ON DELETE SET NULL,
    head_branch    TEXT    NOT NULL,
    head_oid       TEXT    NOT NULL,
    merge_base     TEXT    NOT NULL DEFAULT '',
    is_draft       INTEGER NOT NULL DEFAULT 0 CHECK (is_draft IN (0, 1)),
    merged_at      INTEGER,
    merged_by      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    merge_commit   TEXT,
    merge_style    TEXT CHECK (merge_style IN ('merge', 'squash', 'rebase', 'fast-forward-only')),
    check_base_oid TEXT,
    check_head_oid TEXT,
    mergeable      TEXT CHECK (mergeable IN ('clean', 'conflict', 'error')),
    conflict_files TEXT    NOT NULL DEFAULT ''
);
-- Which open requests a push to a branch moves.
CREATE INDEX pull_requests_head_idx ON pull_requests (head_repo_id, head_branch);
CREATE INDEX pull_requests_base_idx ON pull_requests (base_repo_id, base_branch);
CREATE INDEX pull_requests_merged_by_idx ON pull_requests (merged_by);

-- Per repository: which merge styles the merge box and the API offer, and the preselected
-- one. A repository without a row allows every style with 'merge' preselected.
CREATE TABLE repo_merge_settings (
    repo_id       INTEGER PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    allowed       TEXT    NOT NULL,
    default_style TEXT    NOT NULL
                  CHECK (default_style IN ('merge', 'squash', 'rebase', 'fast-forward-only'))
);
