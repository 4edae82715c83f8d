-- Imports from other forges (GitHub, GitLab, Gitea/Forgejo, Gitee, plain git).
--
-- Kept in step with migrations/postgres/0032_imports.sql; the two differ in types only.

-- Who wrote an imported issue or comment on the source when no local account matched:
-- the row's author is then the person who ran the import, and the page says "originally
-- by <original_author> on <original_service>". Empty for everything written here.
ALTER TABLE issues ADD COLUMN original_author TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN original_service TEXT NOT NULL DEFAULT '';
-- An imported pull request is kept as an issue row with how it ended on the source
-- ('open', 'closed', 'merged'): its head commits are usually not part of what was
-- imported, so it cannot be a live pull request. NULL for everything else.
ALTER TABLE issues ADD COLUMN imported_pull TEXT
    CHECK (imported_pull IN ('open', 'closed', 'merged'));
ALTER TABLE issue_comments ADD COLUMN original_author TEXT NOT NULL DEFAULT '';
ALTER TABLE issue_comments ADD COLUMN original_service TEXT NOT NULL DEFAULT '';

-- One import into one repository: where it stands (state, stage, the stage's cursor) and
-- the last error (what it has brought is counted from import_items). A runner holds the row by its lease
-- (lease_until), renewed as it goes, so a crashed runner's import is taken up again once
-- the lease runs out and several servers never run the same import at once.
-- auth_secret holds the source's token (or password) while the import is unfinished and
-- is cleared when it is done.
CREATE TABLE repo_imports (
    id            INTEGER PRIMARY KEY,
    repo_id       INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    requester_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    service       TEXT    NOT NULL,
    clone_addr    TEXT    NOT NULL,
    auth_username TEXT    NOT NULL DEFAULT '',
    auth_secret   TEXT    NOT NULL DEFAULT '',
    options       TEXT    NOT NULL DEFAULT '{}',
    state         TEXT    NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'failed', 'done')),
    stage         TEXT    NOT NULL DEFAULT 'git',
    cursor        TEXT    NOT NULL DEFAULT '',
    last_error    TEXT    NOT NULL DEFAULT '',
    lease_until   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    updated_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE UNIQUE INDEX repo_imports_repo_id_key ON repo_imports (repo_id);
CREATE INDEX repo_imports_state_idx ON repo_imports (state, lease_until);

-- What each imported item became here: (import, kind, id on the source) -> local row id,
-- written in the same transaction as the row, so a resumed import skips what is done and
-- never makes a second copy.
CREATE TABLE import_items (
    import_id INTEGER NOT NULL REFERENCES repo_imports (id) ON DELETE CASCADE,
    kind      TEXT    NOT NULL,
    source_id TEXT    NOT NULL,
    local_id  INTEGER NOT NULL,
    PRIMARY KEY (import_id, kind, source_id)
);
