//! When projects report: the cadence a program asks for and the report periods it yields.
//!
//! Two ways, as foundations do it:
//!
//! - **A board calendar** ([`BoardCalendar`], Apache's way): the program's projects are in
//!   reporting groups, each group reporting in given months of the year (Apache's group 1
//!   in January, April, July and October, group 2 a month later, group 3 a month after
//!   that); a new project reports in each of the first few months after it started, then
//!   in its group's months. A report is the report *of a month* (the board's): it covers
//!   the time since the previous report up to the first of that month and is due on a
//!   fixed day of it, so the whole program reports to the board together.
//! - **Periods from each project's start** (when the template has no calendar): calendar
//!   months counted from the project's start (in UTC), not from the previous period, so a
//!   project started on 31 January reports for 31 Jan - 29 Feb, 29 Feb - 31 Mar,
//!   31 Mar - 30 Apr: the day of the month is kept where the month has it and never
//!   drifts.
//!
//! Either way a report's *month* is the month of its due date ([`month_of`]): the board
//! meeting it goes to.

use serde::{Deserialize, Serialize};

/// How often a project reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cadence {
    /// Monthly reports right after the start (Apache: 3, while a podling finds its feet).
    /// Without a calendar only.
    #[serde(default)]
    pub initial_monthly_reports: u32,
    /// Then one report every this many months (Apache: 3; CNCF and LF AI & Data annual
    /// reviews: 12). 0: no reports after the initial monthly ones. Without a calendar only.
    pub every_months: u32,
    /// A report is due this many days after the end of its period. Without a calendar
    /// only.
    #[serde(default)]
    pub due_days_after_end: u32,
    /// The program's board calendar: when present, reports follow it and the three fields
    /// above are not used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<BoardCalendar>,
}

/// A program's reporting groups by month, the way the Apache Incubator reports to its
/// board.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BoardCalendar {
    /// Group `n` (counted from 1) reports in the months (1 = January ... 12 = December) of
    /// the `n`th list.
    pub groups: Vec<Vec<u8>>,
    /// A new project reports in each of this many months after the month it started in,
    /// then in its group's months.
    #[serde(default)]
    pub monthly_first: u32,
    /// Reports are due on this day of their month (1 to 28, so every month has it).
    pub due_day: u32,
}

impl BoardCalendar {
    /// Apache's: three groups, monthly for the first three months, reports due on the
    /// 7th, a week before the board's agenda closes.
    pub fn apache() -> BoardCalendar {
        BoardCalendar {
            groups: vec![vec![1, 4, 7, 10], vec![2, 5, 8, 11], vec![3, 6, 9, 12]],
            monthly_first: 3,
            due_day: 7,
        }
    }

    /// Quarterly updates to a technical committee in three groups (LF AI & Data's TAC).
    pub fn quarterly() -> BoardCalendar {
        BoardCalendar {
            monthly_first: 0,
            due_day: 15,
            ..BoardCalendar::apache()
        }
    }

    /// Annual reviews spread over the year (the CNCF TOC's): twelve groups of one month.
    pub fn annual() -> BoardCalendar {
        BoardCalendar {
            groups: (1..=12).map(|m| vec![m]).collect(),
            monthly_first: 0,
            due_day: 15,
        }
    }

    /// `Err(field)` when a field is out of range: at least one and at most 12 groups, each
    /// with one to twelve different months.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.groups.is_empty() || self.groups.len() > 12 {
            return Err("calendar.groups");
        }
        for g in &self.groups {
            let mut seen = [false; 13];
            if g.is_empty() {
                return Err("calendar.groups");
            }
            for &m in g {
                if !(1..=12).contains(&m) || seen[usize::from(m)] {
                    return Err("calendar.groups");
                }
                seen[usize::from(m)] = true;
            }
        }
        if self.monthly_first > MAX_INITIAL_MONTHLY {
            return Err("calendar.monthly_first");
        }
        if !(1..=28).contains(&self.due_day) {
            return Err("calendar.due_day");
        }
        Ok(())
    }

    /// The group a project reports in: `stored` (counted from 1) when the calendar has
    /// it, else the group of the month the project started in (group `(month - 1) % n +
    /// 1`, the way Apache's groups follow the months), so projects from before the
    /// calendar, or from when it had more groups, report somewhere.
    pub fn group_of(&self, stored: Option<i64>, start_ms: i64) -> usize {
        let n = self.groups.len().max(1);
        match stored.and_then(|g| usize::try_from(g).ok()) {
            Some(g) if (1..=n).contains(&g) => g,
            _ => {
                let (_, m, _) = civil_from_days(start_ms.div_euclid(MS_PER_DAY));
                // `m` is 1..=12.
                (usize::try_from(m - 1).unwrap_or(0)) % n + 1
            }
        }
    }

    /// Whether a project started at `start_ms` is still in its first monthly reports in
    /// `month`: from its start month to `monthly_first` months after it.
    pub fn in_monthly_phase(&self, start_ms: i64, month: Month) -> bool {
        let index = |m: Month| m.year * 12 + i64::from(m.month);
        let after = index(month) - index(Month::of(start_ms));
        self.monthly_first > 0 && (0..=i64::from(self.monthly_first)).contains(&after)
    }

    /// Whether group `group` (counted from 1) reports in `month` (1..=12).
    pub fn reports_in(&self, group: usize, month: u32) -> bool {
        group
            .checked_sub(1)
            .and_then(|i| self.groups.get(i))
            .is_some_and(|g| g.iter().any(|&m| u32::from(m) == month))
    }

    /// Every period of a project in `group` started at `start_ms`, in order (until year
    /// 9999): one per month it reports in, from the previous report (or the start) to the
    /// first of that month, due on the calendar's day of it.
    pub fn periods(&self, group: usize, start_ms: i64) -> impl Iterator<Item = ReportPeriod> + '_ {
        let (sy, sm, _) = civil_from_days(start_ms.div_euclid(MS_PER_DAY));
        let start_index = sy * 12 + (sm - 1);
        let monthly = i64::from(self.monthly_first);
        let due_offset = i64::from(self.due_day.clamp(1, 28)) - 1;
        let mut previous_end = start_ms;
        (1i64..)
            .map(move |k| start_index + k)
            .take_while(|&i| i.div_euclid(12) <= MAX_YEAR)
            .filter(move |&i| {
                let month = u32::try_from(i.rem_euclid(12) + 1).unwrap_or(1);
                i - start_index <= monthly || self.reports_in(group, month)
            })
            .map(move |i| {
                let first = days_from_civil(i.div_euclid(12), i.rem_euclid(12) + 1, 1) * MS_PER_DAY;
                let p = ReportPeriod {
                    start_ms: previous_end,
                    end_ms: first,
                    due_ms: first + due_offset * MS_PER_DAY,
                };
                previous_end = first;
                p
            })
    }
}

/// Bounds that keep a cadence meaningful (a report at least every two years).
pub const MAX_INITIAL_MONTHLY: u32 = 24;
pub const MAX_EVERY_MONTHS: u32 = 24;
pub const MAX_DUE_DAYS: u32 = 366;

impl Cadence {
    /// Apache: monthly for the first three months, then quarterly.
    pub const APACHE: Cadence = Cadence {
        initial_monthly_reports: 3,
        every_months: 3,
        due_days_after_end: 7,
        calendar: None,
    };
    /// An annual review (CNCF, LF AI & Data).
    pub const ANNUAL: Cadence = Cadence {
        initial_monthly_reports: 0,
        every_months: 12,
        due_days_after_end: 30,
        calendar: None,
    };

    /// This cadence, following `calendar`.
    pub fn with_calendar(self, calendar: BoardCalendar) -> Cadence {
        Cadence {
            calendar: Some(calendar),
            ..self
        }
    }

    /// `Err(field)` when a field is out of range.
    pub fn check(&self) -> Result<(), &'static str> {
        if let Some(c) = &self.calendar {
            c.check()?;
        }
        if self.initial_monthly_reports > MAX_INITIAL_MONTHLY {
            Err("initial_monthly_reports")
        } else if self.every_months > MAX_EVERY_MONTHS {
            Err("every_months")
        } else if self.due_days_after_end > MAX_DUE_DAYS {
            Err("due_days_after_end")
        } else {
            Ok(())
        }
    }

    /// Months from the start to the beginning of period `k`, if there is such a period.
    fn offset(&self, k: u64) -> Option<u64> {
        let initial = u64::from(self.initial_monthly_reports);
        if k <= initial {
            Some(k)
        } else if self.every_months == 0 {
            None
        } else {
            (k - initial)
                .checked_mul(u64::from(self.every_months))?
                .checked_add(initial)
        }
    }
}

/// One reporting period, in unix milliseconds: the report covers `[start_ms, end_ms)` and
/// is due at `due_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReportPeriod {
    pub start_ms: i64,
    pub end_ms: i64,
    pub due_ms: i64,
}

const MS_PER_DAY: i64 = 86_400_000;
/// Dates stop at the end of year 9999: far beyond any program, and it bounds the number
/// of periods any input can produce.
const MAX_YEAR: i64 = 9_999;

/// Every period of a project in reporting group `group` (see [`BoardCalendar::group_of`];
/// without a calendar it is not used) started at `start_ms`, in order, until the cadence
/// ends (or year 9999).
pub fn periods(
    cadence: &Cadence,
    group: usize,
    start_ms: i64,
) -> Box<dyn Iterator<Item = ReportPeriod> + '_> {
    if let Some(calendar) = &cadence.calendar {
        return Box::new(calendar.periods(group, start_ms));
    }
    let cadence = cadence.clone();
    let due_after = i64::from(cadence.due_days_after_end) * MS_PER_DAY;
    Box::new((0u64..).map_while(move |k| {
        let start = add_months(start_ms, cadence.offset(k)?)?;
        let end = add_months(start_ms, cadence.offset(k + 1)?)?;
        Some(ReportPeriod {
            start_ms: start,
            end_ms: end,
            due_ms: end.saturating_add(due_after),
        })
    }))
}

/// The periods that have ended by `now_ms`, oldest first: a report is owed for each. The
/// caller compares `due_ms` with now to show the overdue ones and leaves out those
/// already submitted.
pub fn reports_due(
    cadence: &Cadence,
    group: usize,
    start_ms: i64,
    now_ms: i64,
) -> Vec<ReportPeriod> {
    periods(cadence, group, start_ms)
        .take_while(|p| p.end_ms <= now_ms)
        .collect()
}

/// The period `now_ms` falls in, if the cadence has one: the report being worked on.
pub fn current_period(
    cadence: &Cadence,
    group: usize,
    start_ms: i64,
    now_ms: i64,
) -> Option<ReportPeriod> {
    if now_ms < start_ms {
        return None;
    }
    periods(cadence, group, start_ms).find(|p| now_ms < p.end_ms)
}

/// A calendar month, the key of a board meeting's reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i64,
    /// 1..=12.
    pub month: u32,
}

impl Month {
    /// `YYYY-MM`, years 1 to 9999.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month): (i64, u32) = (y.parse().ok()?, m.parse().ok()?);
        ((1..=MAX_YEAR).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// The month `ms` falls in, in UTC.
    pub fn of(ms: i64) -> Month {
        let (y, m, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
        Month {
            year: y,
            month: u32::try_from(m).unwrap_or(1),
        }
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                month: self.month + 1,
                ..self
            }
        }
    }

    /// The month before this one.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                month: self.month - 1,
                ..self
            }
        }
    }

    /// Its first instant and the next month's, in unix milliseconds (UTC).
    pub fn bounds_ms(self) -> (i64, i64) {
        let first = |m: Month| days_from_civil(m.year, i64::from(m.month), 1) * MS_PER_DAY;
        (first(self), first(self.next()))
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The month a report goes to the board: the month of its due date.
pub fn month_of(period: &ReportPeriod) -> Month {
    Month::of(period.due_ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01: (year, month 1..=12, day 1..=31).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `ms` plus `months` calendar months at the same time of day, the day clamped to the
/// target month's length. `None` past year 9999.
fn add_months(ms: i64, months: u64) -> Option<i64> {
    let days = ms.div_euclid(MS_PER_DAY);
    let time_of_day = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let total = (y * 12 + (m - 1)).checked_add(i64::try_from(months).ok()?)?;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    if ny > MAX_YEAR {
        return None;
    }
    let nd = d.min(days_in_month(ny, nm));
    days_from_civil(ny, nm, nd)
        .checked_mul(MS_PER_DAY)?
        .checked_add(time_of_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ms of a UTC date at midnight.
    fn date(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d) * MS_PER_DAY
    }

    fn period(start: (i64, i64, i64), end: (i64, i64, i64), due_days: i64) -> ReportPeriod {
        let end_ms = date(end.0, end.1, end.2);
        ReportPeriod {
            start_ms: date(start.0, start.1, start.2),
            end_ms,
            due_ms: end_ms + due_days * MS_PER_DAY,
        }
    }

    #[test]
    fn calendar() {
        #[rustfmt::skip]
        let table: &[(i64, (i64, i64, i64))] = &[
            (0,       (1970, 1, 1)),
            (-1,      (1969, 12, 31)),
            (19_782,  (2024, 2, 29)),
            (11_016,  (2000, 2, 29)),
            (-719_468,(0, 3, 1)),
        ];
        for (days, ymd) in table {
            assert_eq!(civil_from_days(*days), *ymd);
            assert_eq!(days_from_civil(ymd.0, ymd.1, ymd.2), *days);
        }
        for z in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        let noon = date(2024, 1, 31) + 12 * 3_600_000;
        #[rustfmt::skip]
        let table: &[(i64, u64, Option<i64>)] = &[
            (noon,              1,  Some(date(2024, 2, 29) + 12 * 3_600_000)),
            (date(2023, 1, 31), 1,  Some(date(2023, 2, 28))),
            (date(2024, 1, 31), 2,  Some(date(2024, 3, 31))),
            (date(2024, 1, 31), 3,  Some(date(2024, 4, 30))),
            (date(2024, 11, 15), 3, Some(date(2025, 2, 15))),
            (date(1969, 12, 31), 2, Some(date(1970, 2, 28))),
            (date(2024, 5, 1),  0,  Some(date(2024, 5, 1))),
            (date(9999, 12, 1), 1,  None),
            (0,                 u64::MAX, None),
        ];
        for (i, (ms, months, want)) in table.iter().enumerate() {
            assert_eq!(add_months(*ms, *months), *want, "row {i}");
        }
    }

    #[test]
    fn apache_reports_monthly_for_three_months_then_quarterly() {
        let start = date(2024, 1, 31);
        let want = [
            period((2024, 1, 31), (2024, 2, 29), 7),
            period((2024, 2, 29), (2024, 3, 31), 7),
            period((2024, 3, 31), (2024, 4, 30), 7),
            period((2024, 4, 30), (2024, 7, 31), 7),
            period((2024, 7, 31), (2024, 10, 31), 7),
            period((2024, 10, 31), (2025, 1, 31), 7),
        ];
        #[rustfmt::skip]
        let table: &[(i64, usize)] = &[
            (start - 1,                 0),
            (start,                     0),
            (date(2024, 2, 29) - 1,     0),
            (date(2024, 2, 29),         1),
            (date(2024, 4, 30),         3),
            (date(2024, 7, 30),         3),
            (date(2024, 7, 31),         4),
            (date(2025, 1, 31),         6),
        ];
        for (now, n) in table {
            assert_eq!(
                reports_due(&Cadence::APACHE, 1, start, *now),
                want[..*n],
                "now {now}"
            );
        }
        assert_eq!(
            current_period(&Cadence::APACHE, 1, start, date(2024, 5, 2)),
            Some(want[3])
        );
        assert_eq!(current_period(&Cadence::APACHE, 1, start, start - 1), None);
        assert_eq!(
            current_period(&Cadence::APACHE, 1, start, start),
            Some(want[0])
        );
    }

    #[test]
    fn other_cadences() {
        let start = date(2023, 6, 15);
        assert_eq!(
            reports_due(&Cadence::ANNUAL, 1, start, date(2025, 7, 1)),
            [
                period((2023, 6, 15), (2024, 6, 15), 30),
                period((2024, 6, 15), (2025, 6, 15), 30),
            ]
        );
        // Only the initial monthly reports.
        let startup = Cadence {
            initial_monthly_reports: 2,
            every_months: 0,
            due_days_after_end: 0,
            calendar: None,
        };
        assert_eq!(reports_due(&startup, 1, start, date(2030, 1, 1)).len(), 2);
        assert_eq!(current_period(&startup, 1, start, date(2030, 1, 1)), None);
        let none = Cadence {
            initial_monthly_reports: 0,
            every_months: 0,
            due_days_after_end: 0,
            calendar: None,
        };
        assert!(reports_due(&none, 1, start, i64::MAX).is_empty());
        // The far future ends at year 9999 instead of running on.
        let monthly = Cadence {
            initial_monthly_reports: 0,
            every_months: 1,
            due_days_after_end: 0,
            calendar: None,
        };
        let all = reports_due(&monthly, 1, date(9990, 1, 1), i64::MAX);
        assert_eq!(all.len(), 9 * 12 + 11);
        // An unvalidated cadence cannot overflow.
        let huge = Cadence {
            initial_monthly_reports: u32::MAX,
            every_months: u32::MAX,
            due_days_after_end: u32::MAX,
            calendar: None,
        };
        assert!(huge.check().is_err());
        assert_eq!(reports_due(&huge, 1, i64::MIN, i64::MIN).len(), 0);
        assert!(Cadence::APACHE.check().is_ok() && Cadence::ANNUAL.check().is_ok());
    }

    fn month(y: i64, m: u32) -> Month {
        Month { year: y, month: m }
    }

    #[test]
    fn apache_calendar_monthly_first_then_the_group() {
        let cadence = Cadence::APACHE.with_calendar(BoardCalendar::apache());
        let cal = cadence.calendar.clone().unwrap();
        assert!(cadence.check().is_ok());
        // Accepted on 10 December 2024: January, February and March, then group 1's
        // April, July, October.
        let start = date(2024, 12, 10);
        let due_day = |y, m| date(y, m, 7);
        let months: Vec<Month> = periods(&cadence, 1, start)
            .take(6)
            .map(|p| month_of(&p))
            .collect();
        assert_eq!(
            months,
            [
                month(2025, 1),
                month(2025, 2),
                month(2025, 3),
                month(2025, 4),
                month(2025, 7),
                month(2025, 10)
            ]
        );
        let all: Vec<ReportPeriod> = periods(&cadence, 1, start).take(5).collect();
        assert_eq!(
            all[0],
            ReportPeriod {
                start_ms: start,
                end_ms: date(2025, 1, 1),
                due_ms: due_day(2025, 1)
            }
        );
        assert_eq!(
            all[4],
            ReportPeriod {
                start_ms: date(2025, 4, 1),
                end_ms: date(2025, 7, 1),
                due_ms: due_day(2025, 7)
            }
        );
        // Group 2 goes on in May after the three monthly reports; group 3 reports in March
        // anyway, so it goes on in June.
        let g2: Vec<Month> = periods(&cadence, 2, start)
            .skip(3)
            .take(2)
            .map(|p| month_of(&p))
            .collect();
        assert_eq!(g2, [month(2025, 5), month(2025, 8)]);
        let g3: Vec<Month> = periods(&cadence, 3, start)
            .skip(3)
            .take(1)
            .map(|p| month_of(&p))
            .collect();
        assert_eq!(g3, [month(2025, 6)]);
        // Due: the periods whose month has begun; the next one is drafted ahead.
        assert_eq!(reports_due(&cadence, 1, start, date(2025, 1, 1) - 1), []);
        assert_eq!(reports_due(&cadence, 1, start, date(2025, 2, 1)).len(), 2);
        assert_eq!(
            current_period(&cadence, 1, start, date(2025, 4, 20)).map(|p| month_of(&p)),
            Some(month(2025, 7))
        );
        // The group a project reports in.
        assert_eq!(cal.group_of(Some(2), start), 2);
        assert_eq!(cal.group_of(None, date(2024, 12, 10)), 3);
        assert_eq!(cal.group_of(None, date(2024, 1, 31)), 1);
        assert_eq!(cal.group_of(Some(7), date(2024, 5, 1)), 2);
        assert!(cal.reports_in(1, 10) && !cal.reports_in(1, 11) && !cal.reports_in(0, 1));
        assert!(cal.in_monthly_phase(start, month(2024, 12)));
        assert!(cal.in_monthly_phase(start, month(2025, 3)));
        assert!(!cal.in_monthly_phase(start, month(2025, 4)));
        assert!(!cal.in_monthly_phase(start, month(2024, 11)));
        assert!(!BoardCalendar::annual().in_monthly_phase(start, month(2025, 1)));
    }

    #[test]
    fn annual_and_quarterly_calendars() {
        let cncf = Cadence::ANNUAL.with_calendar(BoardCalendar::annual());
        let start = date(2024, 3, 20);
        // Twelve groups: a project started in March reviews every March.
        let group = cncf.calendar.as_ref().unwrap().group_of(None, start);
        assert_eq!(group, 3);
        let p: Vec<ReportPeriod> = periods(&cncf, group, start).take(2).collect();
        assert_eq!(
            p[0],
            ReportPeriod {
                start_ms: start,
                end_ms: date(2025, 3, 1),
                due_ms: date(2025, 3, 15)
            }
        );
        assert_eq!(p[1].end_ms, date(2026, 3, 1));
        let lf = Cadence::ANNUAL.with_calendar(BoardCalendar::quarterly());
        let months: Vec<Month> = periods(&lf, 2, start)
            .take(3)
            .map(|p| month_of(&p))
            .collect();
        assert_eq!(months, [month(2024, 5), month(2024, 8), month(2024, 11)]);
        // The far future ends at year 9999.
        assert!(periods(&lf, 1, date(9999, 11, 2)).next().is_none());
    }

    #[test]
    fn calendar_checks_and_months() {
        let bad = |f: fn(&mut BoardCalendar)| {
            let mut c = BoardCalendar::apache();
            f(&mut c);
            Cadence::APACHE.with_calendar(c).check()
        };
        assert_eq!(bad(|c| c.groups.clear()), Err("calendar.groups"));
        assert_eq!(bad(|c| c.groups[0].clear()), Err("calendar.groups"));
        assert_eq!(bad(|c| c.groups[0].push(13)), Err("calendar.groups"));
        assert_eq!(bad(|c| c.groups[0].push(0)), Err("calendar.groups"));
        assert_eq!(bad(|c| c.groups[0].push(1)), Err("calendar.groups"));
        assert_eq!(
            bad(|c| c.groups = vec![vec![1]; 13]),
            Err("calendar.groups")
        );
        assert_eq!(bad(|c| c.due_day = 29), Err("calendar.due_day"));
        assert_eq!(bad(|c| c.due_day = 0), Err("calendar.due_day"));
        assert_eq!(bad(|c| c.monthly_first = 25), Err("calendar.monthly_first"));
        assert_eq!(bad(|_| {}), Ok(()));
        // Serialized without a calendar as before; read back with one.
        let json = serde_json::to_value(Cadence::APACHE).unwrap();
        assert!(json.get("calendar").is_none());
        let with: Cadence = serde_json::from_value(serde_json::json!({
            "every_months": 3,
            "calendar": {"groups": [[1, 4, 7, 10]], "due_day": 7}
        }))
        .unwrap();
        assert_eq!(with.calendar.unwrap().monthly_first, 0);
        // Months.
        assert_eq!(Month::parse("2025-03"), Some(month(2025, 3)));
        for bad in [
            "2025-3",
            "2025-13",
            "0000-01",
            "25-03",
            "2025-00",
            "2025/03",
            "+202-03",
            "２０２５-03",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        assert_eq!(month(2024, 12).next(), month(2025, 1));
        assert_eq!(month(2025, 1).previous(), month(2024, 12));
        assert_eq!(month(2025, 7).previous().next(), month(2025, 7));
        assert_eq!(
            month(2024, 2).bounds_ms(),
            (date(2024, 2, 1), date(2024, 3, 1))
        );
        assert_eq!(Month::of(date(2024, 2, 29) + 1), month(2024, 2));
        assert_eq!(month(987, 7).to_string(), "0987-07");
    }
}
