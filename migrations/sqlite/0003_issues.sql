-- Issues: per-repository numbered issues, their comments, edit history, timeline events,
-- labels, milestones, assignees, mentions, and full-text search.
--
-- Kept in step with migrations/postgres/0003_issues.sql. The two differ in types and in
-- search: SQLite indexes titles, bodies and comments with FTS5 (trigram tokenizer, so
-- Chinese text without spaces is searchable) kept current by triggers; PostgreSQL uses
-- expression indexes over to_tsvector and needs no triggers.

-- The next issue number of each repository: taken by UPDATE ... RETURNING, which serializes
-- concurrent openers on the row in both databases.
ALTER TABLE repositories ADD COLUMN issue_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE milestones (
    id          INTEGER PRIMARY KEY,
    repo_id     INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    lower_name  TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    due_at      INTEGER,
    is_closed   INTEGER NOT NULL DEFAULT 0 CHECK (is_closed IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    closed_at   INTEGER
);
-- Titles are unique per repository, case-insensitively (Conflict(Name) via "lower_name").
CREATE UNIQUE INDEX milestones_repo_id_lower_name_key ON milestones (repo_id, lower_name);

CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    repo_id     INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    lower_name  TEXT    NOT NULL,
    color       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX labels_repo_id_lower_name_key ON labels (repo_id, lower_name);

-- author_id is NULL once the author's account is gone (shown as a ghost, as Gitea does).
-- version grows by one with every edit of the title or body, so an edit made from a stale
-- page is refused instead of overwriting what someone else saved meanwhile.
CREATE TABLE issues (
    id            INTEGER PRIMARY KEY,
    repo_id       INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    author_id     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL DEFAULT '',
    is_closed     INTEGER NOT NULL DEFAULT 0 CHECK (is_closed IN (0, 1)),
    close_reason  TEXT CHECK (close_reason IN ('completed', 'not_planned')),
    is_locked     INTEGER NOT NULL DEFAULT 0 CHECK (is_locked IN (0, 1)),
    milestone_id  INTEGER REFERENCES milestones (id) ON DELETE SET NULL,
    comment_count INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    closed_at     INTEGER
);
-- Lookup by number; also the listing of a repository's issues.
CREATE UNIQUE INDEX issues_repo_id_number_key ON issues (repo_id, number);
CREATE INDEX issues_repo_id_is_closed_updated_at_idx ON issues (repo_id, is_closed, updated_at);
-- The default list order (newest first) and the open/closed counts, without sorting.
CREATE INDEX issues_repo_id_is_closed_created_at_idx ON issues (repo_id, is_closed, created_at, id);
CREATE INDEX issues_author_id_idx ON issues (author_id);
-- Also the open/closed counts of each milestone, from the index alone.
CREATE INDEX issues_milestone_id_idx ON issues (milestone_id, is_closed);

CREATE TABLE issue_comments (
    id         INTEGER PRIMARY KEY,
    issue_id   INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    body       TEXT    NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX issue_comments_issue_id_idx ON issue_comments (issue_id, created_at);
CREATE INDEX issue_comments_author_id_idx ON issue_comments (author_id);

-- What an issue's title and body, or a comment's body, said before each edit. Never updated.
CREATE TABLE issue_revisions (
    id         INTEGER PRIMARY KEY,
    issue_id   INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    comment_id INTEGER REFERENCES issue_comments (id) ON DELETE CASCADE,
    editor_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    title      TEXT,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX issue_revisions_issue_id_idx ON issue_revisions (issue_id, comment_id);
CREATE INDEX issue_revisions_comment_id_idx ON issue_revisions (comment_id);
CREATE INDEX issue_revisions_editor_id_idx ON issue_revisions (editor_id);

CREATE TABLE issue_labels (
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, label_id)
);
CREATE INDEX issue_labels_label_id_idx ON issue_labels (label_id);

CREATE TABLE issue_assignees (
    issue_id INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, user_id)
);
CREATE INDEX issue_assignees_user_id_idx ON issue_assignees (user_id);

-- People named with @ in an issue or its comments, once per issue: for the "mentioned"
-- filter and, later, notifications.
CREATE TABLE issue_mentions (
    issue_id   INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issue_id, user_id)
);
CREATE INDEX issue_mentions_user_id_idx ON issue_mentions (user_id);

-- The timeline besides comments. kind says which of the optional columns are set:
--   labeled / unlabeled       label_id, value (the label's name then)
--   assigned / unassigned     subject_id (the assignee)
--   milestoned / demilestoned milestone_id, value (the milestone's title then)
--   closed / reopened         value (close reason), commit_id when a pushed commit closed it
--   renamed                   old_value, value
--   locked / unlocked
--   ref_issue                 ref_issue_id (the issue that mentions this one), ref_comment_id
--   ref_commit                ref_repo_id, commit_id (a commit that mentions this issue)
-- A commit's reference or closing is recorded once however often the commit is pushed:
-- the unique index below makes the insert a no-op the second time.
CREATE TABLE issue_events (
    id             INTEGER PRIMARY KEY,
    issue_id       INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    actor_id       INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    kind           TEXT    NOT NULL,
    label_id       INTEGER REFERENCES labels (id) ON DELETE SET NULL,
    milestone_id   INTEGER REFERENCES milestones (id) ON DELETE SET NULL,
    subject_id     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    ref_issue_id   INTEGER REFERENCES issues (id) ON DELETE CASCADE,
    ref_comment_id INTEGER REFERENCES issue_comments (id) ON DELETE CASCADE,
    ref_repo_id    INTEGER REFERENCES repositories (id) ON DELETE CASCADE,
    commit_id      TEXT,
    old_value      TEXT,
    value          TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX issue_events_issue_id_idx ON issue_events (issue_id, created_at);
CREATE UNIQUE INDEX issue_events_commit_key ON issue_events (issue_id, kind, commit_id);
CREATE UNIQUE INDEX issue_events_ref_issue_key ON issue_events (issue_id, ref_issue_id);
CREATE INDEX issue_events_actor_id_idx ON issue_events (actor_id);
CREATE INDEX issue_events_subject_id_idx ON issue_events (subject_id);
CREATE INDEX issue_events_ref_issue_id_idx ON issue_events (ref_issue_id);
CREATE INDEX issue_events_ref_comment_id_idx ON issue_events (ref_comment_id);
CREATE INDEX issue_events_ref_repo_id_idx ON issue_events (ref_repo_id);
CREATE INDEX issue_events_label_id_idx ON issue_events (label_id);
CREATE INDEX issue_events_milestone_id_idx ON issue_events (milestone_id);

-- Full-text search. External-content FTS5 tables mirror issues (title, body) and comments
-- (body); the triggers keep them current. trigram matches any substring of three or more
-- characters, in any script; shorter queries fall back to LIKE in the store.
CREATE VIRTUAL TABLE issues_fts USING fts5 (
    title, body, content = 'issues', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER issues_fts_insert AFTER INSERT ON issues BEGIN
    INSERT INTO issues_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER issues_fts_delete AFTER DELETE ON issues BEGIN
    INSERT INTO issues_fts (issues_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER issues_fts_update AFTER UPDATE OF title, body ON issues BEGIN
    INSERT INTO issues_fts (issues_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO issues_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE VIRTUAL TABLE issue_comments_fts USING fts5 (
    body, content = 'issue_comments', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER issue_comments_fts_insert AFTER INSERT ON issue_comments BEGIN
    INSERT INTO issue_comments_fts (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER issue_comments_fts_delete AFTER DELETE ON issue_comments BEGIN
    INSERT INTO issue_comments_fts (issue_comments_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER issue_comments_fts_update AFTER UPDATE OF body ON issue_comments BEGIN
    INSERT INTO issue_comments_fts (issue_comments_fts, rowid, body)
        VALUES ('delete', old.id, old.body);
    INSERT INTO issue_comments_fts (rowid, body) VALUES (new.id, new.body);
END;
