-- The incubator: programs run by an organization, proposals and their revisions and
-- comments, votes with a frozen electorate and ballots, projects (podlings) with their
-- roster and repositories, reports with sign-offs, checklist results, repository redirects
-- after a transfer, and an append-only audit log.
--
-- Kept in step with migrations/postgres/0005_incubator.sql: types differ only. Booleans are
-- INTEGER 0/1, times INTEGER unix milliseconds. Structured, program-defined content
-- (templates, proposal sections, report sections, tallies, evidence) is JSON text: its shape
-- is the program's, checked by hatchery-core, never queried by SQL.

-- template: a hatchery_core::incubator::ProgramTemplate as JSON. committee_team_id: a team of
-- the owning organization; NULL until chosen (only organization owners act then).
CREATE TABLE programs (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    slug              TEXT    NOT NULL,
    lower_name        TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    description       TEXT    NOT NULL DEFAULT '',
    preset            TEXT    NOT NULL,
    template          TEXT    NOT NULL,
    committee_team_id INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX programs_org_id_lower_name_key ON programs (org_id, lower_name);
CREATE INDEX programs_committee_team_id_idx ON programs (committee_team_id);

-- Numbered per program like issues. state: draft, discussion, voting, accepted, rejected,
-- needs_info. sections: {section key: markdown}. people: champion, mentors, initial
-- committers with affiliations, as JSON. repo_ids: the repositories it brings, as JSON.
CREATE TABLE proposals (
    id                    INTEGER PRIMARY KEY,
    program_id            INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    number                INTEGER NOT NULL,
    author_id             INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    slug                  TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    state                 TEXT    NOT NULL,
    sections              TEXT    NOT NULL,
    people                TEXT    NOT NULL,
    repo_ids              TEXT    NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1,
    discussion_started_at INTEGER,
    decided_at            INTEGER,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX proposals_program_id_number_key ON proposals (program_id, number);
CREATE INDEX proposals_author_id_idx ON proposals (author_id);

-- Every saved version of a proposal (the current one included), so a vote can name the
-- revision it is about.
CREATE TABLE proposal_revisions (
    id          INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    editor_id   INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    name        TEXT    NOT NULL,
    sections    TEXT    NOT NULL,
    people      TEXT    NOT NULL,
    repo_ids    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX proposal_revisions_proposal_id_version_key ON proposal_revisions (proposal_id, version);
CREATE INDEX proposal_revisions_editor_id_idx ON proposal_revisions (editor_id);

CREATE TABLE proposal_comments (
    id          INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    author_id   INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX proposal_comments_proposal_id_idx ON proposal_comments (proposal_id, created_at);
CREATE INDEX proposal_comments_author_id_idx ON proposal_comments (author_id);

-- slug: the short id (podlings.xml "resource"), unique per program. stage: a stage key of
-- the program's template. resolution: how it ended (graduated/retired, with a reference).
CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    program_id  INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    proposal_id INTEGER REFERENCES proposals (id) ON DELETE SET NULL,
    slug        TEXT    NOT NULL,
    lower_name  TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    sponsor     TEXT    NOT NULL DEFAULT '',
    stage       TEXT    NOT NULL,
    started_at  INTEGER NOT NULL,
    stage_since INTEGER NOT NULL,
    ended_at    INTEGER,
    resolution  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX projects_program_id_lower_name_key ON projects (program_id, lower_name);
CREATE INDEX projects_proposal_id_idx ON projects (proposal_id);

-- role: champion, mentor, committer (and what a program adds). user_id NULL for people
-- without an account here.
CREATE TABLE project_roster (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    affiliation TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER
);
CREATE INDEX project_roster_project_id_idx ON project_roster (project_id);
CREATE INDEX project_roster_user_id_idx ON project_roster (user_id);

CREATE TABLE project_repos (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    repo_id    INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, repo_id)
);
CREATE INDEX project_repos_repo_id_idx ON project_repos (repo_id);

-- What a vote decides: kind accept (a proposal, at proposal_version), advance, graduate,
-- retire (a project; target_stage). rule: the VoteConfig in force when it opened, as JSON.
-- state: open, passed, failed, cancelled; tally: the final count, frozen at close.
CREATE TABLE votes (
    id              INTEGER PRIMARY KEY,
    program_id      INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    proposal_id     INTEGER REFERENCES proposals (id) ON DELETE CASCADE,
    proposal_version INTEGER,
    project_id      INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    target_stage    TEXT,
    title           TEXT    NOT NULL,
    rule            TEXT    NOT NULL,
    opened_by       INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    opened_at       INTEGER NOT NULL,
    min_close_at    INTEGER NOT NULL,
    deadline_at     INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    closed_at       INTEGER,
    tally           TEXT,
    CHECK ((proposal_id IS NULL) <> (project_id IS NULL))
);
-- The closing job's scan, and "open votes" on dashboards.
CREATE INDEX votes_state_deadline_at_idx ON votes (state, deadline_at);
CREATE INDEX votes_program_id_idx ON votes (program_id);
CREATE INDEX votes_proposal_id_idx ON votes (proposal_id);
CREATE INDEX votes_project_id_idx ON votes (project_id);
CREATE INDEX votes_opened_by_idx ON votes (opened_by);

-- The binding voters, as the committee stood when the vote opened.
CREATE TABLE vote_electorate (
    vote_id INTEGER NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (vote_id, user_id)
);
CREATE INDEX vote_electorate_user_id_idx ON vote_electorate (user_id);

-- One ballot per voter, changeable until the vote closes. value: -1, 0, 1.
CREATE TABLE ballots (
    vote_id    INTEGER NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    voter_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    value      INTEGER NOT NULL CHECK (value IN (-1, 0, 1)),
    is_binding INTEGER NOT NULL CHECK (is_binding IN (0, 1)),
    comment    TEXT    NOT NULL DEFAULT '',
    cast_at    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (vote_id, voter_id)
);
CREATE INDEX ballots_voter_id_idx ON ballots (voter_id);

-- state: draft, submitted, signed_off. sections: {key: markdown}; metrics: figures from the
-- forge for the period, as JSON.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    period_start INTEGER NOT NULL,
    period_end   INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    state        TEXT    NOT NULL,
    sections     TEXT    NOT NULL,
    metrics      TEXT    NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    submitted_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    submitted_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX reports_project_id_period_start_key ON reports (project_id, period_start);
CREATE INDEX reports_submitted_by_idx ON reports (submitted_by);

CREATE TABLE report_signoffs (
    report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    comment   TEXT    NOT NULL DEFAULT '',
    signed_at INTEGER NOT NULL,
    PRIMARY KEY (report_id, user_id)
);
CREATE INDEX report_signoffs_user_id_idx ON report_signoffs (user_id);

-- The latest evaluation of each checklist item of a project. status: pass, fail,
-- not_applicable, exempt. evaluated_by NULL: an automatic evaluator (named in evaluator).
CREATE TABLE checklist_results (
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    item_code    TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    reason       TEXT    NOT NULL DEFAULT '',
    evidence     TEXT    NOT NULL DEFAULT '{}',
    evaluated_by INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    evaluator    TEXT    NOT NULL DEFAULT '',
    evaluated_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, item_code)
);
CREATE INDEX checklist_results_evaluated_by_idx ON checklist_results (evaluated_by);

-- Where a transferred repository used to be, so old URLs and clone remotes keep working.
CREATE TABLE repo_redirects (
    owner_lower_name TEXT    NOT NULL,
    lower_name       TEXT    NOT NULL,
    repo_id          INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (owner_lower_name, lower_name)
);
CREATE INDEX repo_redirects_repo_id_idx ON repo_redirects (repo_id);

-- Every decision and transition, never updated or deleted by the application.
-- action: e.g. program.created, proposal.state, vote.opened, vote.closed, project.created,
-- project.stage, repo.transferred, report.submitted, report.signed_off, checklist.set.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    program_id  INTEGER NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    project_id  INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    proposal_id INTEGER REFERENCES proposals (id) ON DELETE SET NULL,
    vote_id     INTEGER REFERENCES votes (id) ON DELETE SET NULL,
    actor_id    INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '{}',
    reference   TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_log_program_id_idx ON audit_log (program_id, id);
CREATE INDEX audit_log_project_id_idx ON audit_log (project_id);
CREATE INDEX audit_log_proposal_id_idx ON audit_log (proposal_id);
CREATE INDEX audit_log_vote_id_idx ON audit_log (vote_id);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id);

-- The next proposal number of each program.
ALTER TABLE programs ADD COLUMN proposal_seq INTEGER NOT NULL DEFAULT 0;

-- How the program's projects report beyond the cadence: the report's sections and whether a
-- mentor's sign-off is required, as JSON (hatchery_store::ReportTemplate).
ALTER TABLE programs ADD COLUMN report_template TEXT NOT NULL DEFAULT '{}';
