//! Rules of pull and push mirrors that need no IO: their sync intervals, written as Gitea
//! writes them (`8h0m0s`, `10m`, `1h30m`; `0` for "no schedule").

/// Gitea's default interval: eight hours.
pub const DEFAULT_INTERVAL_MS: i64 = 8 * 3_600_000;
/// The shortest interval allowed (besides 0): ten minutes.
pub const MIN_INTERVAL_MS: i64 = 10 * 60_000;
/// The longest: a year.
const MAX_INTERVAL_MS: i64 = 366 * 24 * 3_600_000;

/// Why an interval was refused; the message says what to write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntervalError {
    #[error("{0:?} is not a duration like 8h, 30m or 1h30m")]
    Syntax(String),
    #[error("must be 0 (no schedule) or at least 10 minutes")]
    TooShort,
    #[error("must be at most a year")]
    TooLong,
}

/// Parses a sync interval in milliseconds: a sequence of `<number><unit>` with units `h`,
/// `m`, `s` (Go's `time.Duration` text, as Gitea's API writes it: `8h0m0s`), or `0`.
/// Empty means the default. Between 0 and ten minutes is refused.
pub fn parse_interval(text: &str) -> Result<i64, IntervalError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_INTERVAL_MS);
    }
    if text == "0" {
        return Ok(0);
    }
    let syntax = || IntervalError::Syntax(text.chars().take(40).collect());
    let mut total: i64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(syntax)?;
        if digits == 0 {
            return Err(syntax());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| syntax())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1000,
            _ => return Err(syntax()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or(IntervalError::TooLong)?;
    }
    check_interval(total)
}

/// Checks an interval in milliseconds: 0, or ten minutes to a year.
pub fn check_interval(ms: i64) -> Result<i64, IntervalError> {
    match ms {
        0 => Ok(0),
        ms if ms < MIN_INTERVAL_MS => Err(IntervalError::TooShort),
        ms if ms > MAX_INTERVAL_MS => Err(IntervalError::TooLong),
        ms => Ok(ms),
    }
}

/// Writes an interval as Gitea does: `8h0m0s`, `10m0s`, `0s`.
pub fn format_interval(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval(""), Ok(DEFAULT_INTERVAL_MS));
        assert_eq!(parse_interval("0"), Ok(0));
        assert_eq!(parse_interval("8h0m0s"), Ok(DEFAULT_INTERVAL_MS));
        assert_eq!(parse_interval("10m"), Ok(MIN_INTERVAL_MS));
        assert_eq!(parse_interval("1h30m"), Ok(90 * 60_000));
        assert_eq!(parse_interval("9m59s"), Err(IntervalError::TooShort));
        assert_eq!(parse_interval("0s"), Ok(0), "as the API writes no schedule");
        assert_eq!(parse_interval("59s"), Err(IntervalError::TooShort));
        assert_eq!(parse_interval("9999h"), Err(IntervalError::TooLong));
        assert_eq!(
            parse_interval("99999999999999999999h"),
            Err(IntervalError::Syntax("99999999999999999999h".into()))
        );
        for bad in ["h", "8", "8x", "1.5h", "-1h", "8 h", "m10"] {
            assert!(
                matches!(parse_interval(bad), Err(IntervalError::Syntax(_))),
                "{bad}"
            );
        }
        assert_eq!(format_interval(DEFAULT_INTERVAL_MS), "8h0m0s");
        assert_eq!(format_interval(MIN_INTERVAL_MS), "10m0s");
        assert_eq!(format_interval(0), "0s");
        assert_eq!(
            parse_interval(&format_interval(90 * 60_000)),
            Ok(90 * 60_000)
        );
    }
}
