-- Code review of pull requests: reviews, their line comments (threaded, resolvable,
-- outdated when the line changes) and requested reviewers.
--
-- Kept in step with migrations/postgres/0014_reviews.sql; the two differ in types only.

-- One review of a pull request by one person. A PENDING review collects its author's line
-- comments until it is submitted as COMMENT, APPROVED or REQUEST_CHANGES; each person
-- has at most one pending review per request. commit_id is the head the review was given
-- on. official: the reviewer could write to the repository when submitting (only such
-- approvals count for branch protection). stale: the head moved after the review.
-- dismissed: a writer dismissed it (the state is kept).
CREATE TABLE pull_reviews (
    id              INTEGER PRIMARY KEY,
    issue_id        INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    reviewer_id     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    state           TEXT    NOT NULL
                    CHECK (state IN ('PENDING', 'COMMENT', 'APPROVED', 'REQUEST_CHANGES')),
    body            TEXT    NOT NULL DEFAULT '',
    commit_id       TEXT    NOT NULL,
    official        INTEGER NOT NULL DEFAULT 0 CHECK (official IN (0, 1)),
    stale           INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
    dismissed       INTEGER NOT NULL DEFAULT 0 CHECK (dismissed IN (0, 1)),
    dismissed_by    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    dismiss_message TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    submitted_at    INTEGER
);
CREATE INDEX pull_reviews_issue_id_idx ON pull_reviews (issue_id, id);
CREATE INDEX pull_reviews_reviewer_id_idx ON pull_reviews (reviewer_id);
CREATE INDEX pull_reviews_dismissed_by_idx ON pull_reviews (dismissed_by);
CREATE UNIQUE INDEX pull_reviews_one_pending_idx
    ON pull_reviews (issue_id, reviewer_id) WHERE state = 'PENDING';

-- A comment on a line (or the range start_line..line) of one side of a pull request's
-- diff. RIGHT lines are lines of the file at the head commit_id (the head when written);
-- LEFT lines are lines of the file at base_commit_id (the merge base then). A thread is a
-- first comment and the comments whose reply_to names it; resolving marks the first one.
-- outdated: a later head changed the commented lines.
CREATE TABLE review_comments (
    id             INTEGER PRIMARY KEY,
    review_id      INTEGER NOT NULL REFERENCES pull_reviews (id) ON DELETE CASCADE,
    issue_id       INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author_id      INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    path           TEXT    NOT NULL,
    side           TEXT    NOT NULL CHECK (side IN ('LEFT', 'RIGHT')),
    line           INTEGER NOT NULL CHECK (line > 0),
    start_line     INTEGER CHECK (start_line > 0),
    commit_id      TEXT    NOT NULL,
    base_commit_id TEXT    NOT NULL DEFAULT '',
    body           TEXT    NOT NULL,
    reply_to       INTEGER REFERENCES review_comments (id) ON DELETE CASCADE,
    resolved_by    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    resolved_at    INTEGER,
    outdated       INTEGER NOT NULL DEFAULT 0 CHECK (outdated IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX review_comments_review_id_idx ON review_comments (review_id, id);
CREATE INDEX review_comments_issue_id_idx ON review_comments (issue_id, id);
CREATE INDEX review_comments_author_id_idx ON review_comments (author_id);
CREATE INDEX review_comments_reply_to_idx ON review_comments (reply_to);
CREATE INDEX review_comments_resolved_by_idx ON review_comments (resolved_by);

-- Who is asked to review a pull request: a user or a team (of the owning organization).
-- A user's request is fulfilled (the row removed) when they submit a review; asking again
-- is a new row. from_codeowners: added because a CODEOWNERS line matched.
CREATE TABLE review_requests (
    id              INTEGER PRIMARY KEY,
    issue_id        INTEGER NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    team_id         INTEGER REFERENCES teams (id) ON DELETE CASCADE,
    requested_by    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    from_codeowners INTEGER NOT NULL DEFAULT 0 CHECK (from_codeowners IN (0, 1)),
    created_at      INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX review_requests_user_idx ON review_requests (issue_id, user_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX review_requests_team_idx ON review_requests (issue_id, team_id)
    WHERE team_id IS NOT NULL;
CREATE INDEX review_requests_user_id_idx ON review_requests (user_id);
CREATE INDEX review_requests_team_id_idx ON review_requests (team_id);
CREATE INDEX review_requests_requested_by_idx ON review_requests (requested_by);
