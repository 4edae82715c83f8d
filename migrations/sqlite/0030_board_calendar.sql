-- The incubator's board calendar and structured sponsors.
--
-- Kept in step with migrations/postgres/0030_board_calendar.sql; the two differ in types
-- only.

-- The reporting group (counted from 1) of the program's board calendar a project reports
-- in. NULL for projects from before the calendar: they report in the group of the month
-- they started in (hatchery_core::incubator::BoardCalendar::group_of) until the committee
-- assigns one; new projects get the least loaded group when they are accepted.
ALTER TABLE projects ADD COLUMN reporting_group INTEGER;
-- A project's sponsor is a short name (Apache: "Incubator" or a PMC's name), as
-- podlings.xml wants it. Sentences copied from proposals' "Sponsoring Entity" are cleared:
-- the program's sponsor stands for them until the committee sets one.
UPDATE projects SET sponsor = '' WHERE length(sponsor) > 60;
