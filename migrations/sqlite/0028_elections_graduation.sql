-- Elections, votes of a program's own kinds, and graduation through a board (the incubator).
--
-- Kept in step with migrations/postgres/0028_elections_graduation.sql; the two differ in
-- types only.

-- A vote of a program's own kind (kind 'custom') names it by its key in the template.
ALTER TABLE votes ADD COLUMN custom_kind TEXT;
-- The person a 'committer' or 'ppmc_member' election is about: an account here, or only a
-- name (and affiliation) for someone without one. A passed election adds them to the
-- project's roster in the kind's role.
ALTER TABLE votes ADD COLUMN nominee_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL;
ALTER TABLE votes ADD COLUMN nominee_name TEXT;
ALTER TABLE votes ADD COLUMN nominee_affiliation TEXT NOT NULL DEFAULT '';
-- A document the voters decide on (CNCF: the due-diligence document of a graduation).
ALTER TABLE votes ADD COLUMN document_url TEXT NOT NULL DEFAULT '';
CREATE INDEX votes_nominee_id_idx ON votes (nominee_id);

-- A project recommended for graduation by a passed graduation vote, waiting for a board.
-- state: recommended (the resolution draft may be edited), submitted (the resolution was
-- sent to the board; its text is final), approved (the project moved to target_stage),
-- rejected. board: board or governing_board. version: the resolution's, for edits that
-- must not overwrite a newer save. decision_date: the board's meeting, YYYY-MM-DD;
-- reference: where its decision is recorded (the minutes).
CREATE TABLE graduations (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    vote_id       INTEGER REFERENCES votes (id) ON DELETE SET NULL,
    target_stage  TEXT    NOT NULL,
    board         TEXT    NOT NULL,
    state         TEXT    NOT NULL
        CHECK (state IN ('recommended', 'submitted', 'approved', 'rejected')),
    resolution    TEXT    NOT NULL DEFAULT '',
    chair         TEXT    NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    submitted_by  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    submitted_at  INTEGER,
    decision_date TEXT,
    reference     TEXT    NOT NULL DEFAULT '',
    decided_by    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    decided_at    INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
-- One recommendation waiting for a board per project.
CREATE UNIQUE INDEX graduations_pending_key ON graduations (project_id)
    WHERE state IN ('recommended', 'submitted');
CREATE INDEX graduations_project_id_idx ON graduations (project_id, id);
CREATE INDEX graduations_vote_id_idx ON graduations (vote_id);
CREATE INDEX graduations_submitted_by_idx ON graduations (submitted_by);
CREATE INDEX graduations_decided_by_idx ON graduations (decided_by);
