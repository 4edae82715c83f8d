-- Releases: a tag with a title, notes and uploaded files (assets).
--
-- Kept in step with migrations/postgres/0019_releases.sql; the two differ in types only.

-- One release per (repository, tag). A draft's tag need not exist yet: it is created at
-- `target` (a branch or commit id) when the release is published. `sha` is the commit the
-- tag named when the release was published or last saved ('' while a draft's tag is
-- missing). published_at is NULL for drafts.
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    repo_id       INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    tag_name      TEXT    NOT NULL,
    target        TEXT    NOT NULL DEFAULT '',
    sha           TEXT    NOT NULL DEFAULT '',
    title         TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT '',
    is_draft      INTEGER NOT NULL DEFAULT 0 CHECK (is_draft IN (0, 1)),
    is_prerelease INTEGER NOT NULL DEFAULT 0 CHECK (is_prerelease IN (0, 1)),
    author_id     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    published_at  INTEGER
);
CREATE UNIQUE INDEX releases_repo_tag_name_key ON releases (repo_id, tag_name);
-- The list, newest first.
CREATE INDEX releases_repo_created_idx ON releases (repo_id, created_at, id);

-- A release's files. The content is data_dir/releases/<repo_id>/<uuid>, written once
-- (to a temporary file, renamed into place when complete) and never changed; checksums
-- are of that content. A name is unique within its release.
CREATE TABLE release_assets (
    id             INTEGER PRIMARY KEY,
    release_id     INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    repo_id        INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    uuid           TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    size           INTEGER NOT NULL CHECK (size >= 0),
    content_type   TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    sha512         TEXT    NOT NULL,
    download_count INTEGER NOT NULL DEFAULT 0,
    uploader_id    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX release_assets_uuid_key ON release_assets (uuid);
CREATE UNIQUE INDEX release_assets_release_name_key ON release_assets (release_id, name);
CREATE INDEX release_assets_repo_idx ON release_assets (repo_id);
