//! Token buckets for expensive pages, as the generic cell rate algorithm (GCRA): one number
//! per client — the theoretical arrival time (TAT) of its next request — instead of a
//! count and a timestamp. A client may send `burst` requests at once, then one every
//! `60 s / per_minute`; a bucket whose TAT has passed is full again and carries no
//! information, so it may be forgotten.

/// A budget: `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// At least 1.
    pub burst: u32,
    /// At least 1.
    pub per_minute: u32,
}

impl Budget {
    /// Milliseconds between two requests once the burst is spent (at least 1).
    pub fn interval_ms(self) -> u64 {
        (60_000 / u64::from(self.per_minute.max(1))).max(1)
    }

    /// How far ahead of now a TAT may be and still admit a request.
    fn tolerance_ms(self) -> u64 {
        self.interval_ms() * u64::from(self.burst.max(1) - 1)
    }

    /// Decides a request at `now_ms` for a client whose TAT is `tat` (`None`: never seen,
    /// a full bucket). `Ok(new TAT)` admits it; `Err(ms)` refuses it, and a request after
    /// that many milliseconds would be admitted.
    pub fn admit(self, tat: Option<u64>, now_ms: u64) -> Result<u64, u64> {
        let tat = tat.map_or(now_ms, |t| t.max(now_ms));
        let ahead = tat - now_ms;
        if ahead > self.tolerance_ms() {
            Err(ahead - self.tolerance_ms())
        } else {
            Ok(tat + self.interval_ms())
        }
    }
}

/// Whole seconds for a `Retry-After` header: rounded up, at least 1.
pub fn retry_after_secs(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let b = Budget {
            burst: 3,
            per_minute: 6,
        };
        assert_eq!(b.interval_ms(), 10_000);
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(b.admit(tat, 0).expect("within the burst"));
        }
        assert_eq!(
            b.admit(tat, 0),
            Err(10_000),
            "the fourth waits one interval"
        );
        assert_eq!(b.admit(tat, 9_999), Err(1));
        tat = Some(b.admit(tat, 10_000).expect("refilled by one"));
        assert!(b.admit(tat, 10_000).is_err());
        // Idle long enough, the whole burst is back.
        let mut t = tat;
        for _ in 0..3 {
            t = Some(b.admit(t, 1_000_000).expect("full again"));
        }
        assert!(b.admit(t, 1_000_000).is_err());
    }

    #[test]
    fn a_burst_of_one_allows_one_per_interval() {
        let b = Budget {
            burst: 1,
            per_minute: 60,
        };
        let tat = b.admit(None, 5).expect("first");
        assert_eq!(b.admit(Some(tat), 5), Err(1_000));
        assert!(b.admit(Some(tat), 1_005).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(1), 1);
        assert_eq!(retry_after_secs(1_000), 1);
        assert_eq!(retry_after_secs(1_001), 2);
        assert_eq!(retry_after_secs(0), 1);
    }
}
