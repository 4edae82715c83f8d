//! When projects report: the cadence a program asks for and the report periods it yields.
//!
//! Periods are calendar months counted from the project's start (in UTC), not from the
//! previous period, so a project started on 31 January reports for 31 Jan - 29 Feb,
//! 29 Feb - 31 Mar, 31 Mar - 30 Apr: the day of the month is kept where the month has it
//! and never drifts.

use serde::{Deserialize, Serialize};

/// How often a project reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cadence {
    /// Monthly reports right after the start (Apache: 3, while a podling finds its feet).
    #[serde(default)]
    pub initial_monthly_reports: u32,
    /// Then one report every this many months (Apache: 3; CNCF and LF AI & Data annual
    /// reviews: 12). 0: no reports after the initial monthly ones.
    pub every_months: u32,
    /// A report is due this many days after the end of its period.
    #[serde(default)]
    pub due_days_after_end: u32,
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
    };
    /// An annual review (CNCF, LF AI & Data).
    pub const ANNUAL: Cadence = Cadence {
        initial_monthly_reports: 0,
        every_months: 12,
        due_days_after_end: 30,
    };

    /// `Err(field)` when a field is out of range.
    pub fn check(&self) -> Result<(), &'static str> {
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

/// Every period of a project started at `start_ms`, in order, until the cadence ends (or
/// year 9999).
pub fn periods(cadence: Cadence, start_ms: i64) -> impl Iterator<Item = ReportPeriod> {
    let due_after = i64::from(cadence.due_days_after_end) * MS_PER_DAY;
    (0u64..).map_while(move |k| {
        let start = add_months(start_ms, cadence.offset(k)?)?;
        let end = add_months(start_ms, cadence.offset(k + 1)?)?;
        Some(ReportPeriod {
            start_ms: start,
            end_ms: end,
            due_ms: end.saturating_add(due_after),
        })
    })
}

/// The periods that have ended by `now_ms`, oldest first: a report is owed for each. The
/// caller compares `due_ms` with now to show the overdue ones and leaves out those
/// already submitted.
pub fn reports_due(cadence: Cadence, start_ms: i64, now_ms: i64) -> Vec<ReportPeriod> {
    periods(cadence, start_ms)
        .take_while(|p| p.end_ms <= now_ms)
        .collect()
}

/// The period `now_ms` falls in, if the cadence has one: the report being worked on.
pub fn current_period(cadence: Cadence, start_ms: i64, now_ms: i64) -> Option<ReportPeriod> {
    if now_ms < start_ms {
        return None;
    }
    periods(cadence, start_ms).find(|p| now_ms < p.end_ms)
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
                reports_due(Cadence::APACHE, start, *now),
                want[..*n],
                "now {now}"
            );
        }
        assert_eq!(
            current_period(Cadence::APACHE, start, date(2024, 5, 2)),
            Some(want[3])
        );
        assert_eq!(current_period(Cadence::APACHE, start, start - 1), None);
        assert_eq!(current_period(Cadence::APACHE, start, start), Some(want[0]));
    }

    #[test]
    fn other_cadences() {
        let start = date(2023, 6, 15);
        assert_eq!(
            reports_due(Cadence::ANNUAL, start, date(2025, 7, 1)),
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
        };
        assert_eq!(reports_due(startup, start, date(2030, 1, 1)).len(), 2);
        assert_eq!(current_period(startup, start, date(2030, 1, 1)), None);
        let none = Cadence {
            initial_monthly_reports: 0,
            every_months: 0,
            due_days_after_end: 0,
        };
        assert!(reports_due(none, start, i64::MAX).is_empty());
        // The far future ends at year 9999 instead of running on.
        let monthly = Cadence {
            initial_monthly_reports: 0,
            every_months: 1,
            due_days_after_end: 0,
        };
        let all = reports_due(monthly, date(9990, 1, 1), i64::MAX);
        assert_eq!(all.len(), 9 * 12 + 11);
        // An unvalidated cadence cannot overflow.
        let huge = Cadence {
            initial_monthly_reports: u32::MAX,
            every_months: u32::MAX,
            due_days_after_end: u32::MAX,
        };
        assert!(huge.check().is_err());
        assert_eq!(reports_due(huge, i64::MIN, i64::MIN).len(), 0);
        assert!(Cadence::APACHE.check().is_ok() && Cadence::ANNUAL.check().is_ok());
    }
}
