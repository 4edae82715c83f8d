//! What this server's background jobs are doing, for the admin overview: each job loop
//! reports when a round started and ended, its error if it failed, and when it runs next.
//! Kept in this process only — every server runs its own loops, and the overview shows
//! the ones of the server that answers. `/metrics` reads the same board: rounds, failed
//! rounds and the outcomes of webhook delivery attempts.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The jobs that report here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// The webhook delivery worker.
    Webhooks,
    /// The incubator's vote closer.
    Votes,
    /// Hourly upkeep: expired sessions and sign-in counters.
    Upkeep,
    /// Incubator checklists, every few hours.
    Checklists,
    /// Team membership follows the LDAP sources' groups (`auth.ldap_sync_minutes`).
    LdapSync,
    /// Pull and push mirrors that are due.
    Mirrors,
    /// Imports left unfinished (by a restart or an error) taken up again.
    Imports,
}

impl Job {
    pub const ALL: [Job; 7] = [
        Job::Webhooks,
        Job::Votes,
        Job::Upkeep,
        Job::Checklists,
        Job::LdapSync,
        Job::Mirrors,
        Job::Imports,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Job::Webhooks => "webhooks",
            Job::Votes => "votes",
            Job::Upkeep => "upkeep",
            Job::Checklists => "checklists",
            Job::LdapSync => "ldap_sync",
            Job::Mirrors => "mirrors",
            Job::Imports => "imports",
        }
    }

    /// How long after the server starts the job's first round waits (a job woken by new
    /// work starts at once). The jobs begin one after another, seconds apart, rather than
    /// all in the first instant: at once, they would make the pool open a database
    /// connection each, which then stays open (every SQLite connection keeps its own
    /// parsed copy of the schema, about 300 KiB), and jobs polling on the same period
    /// would keep meeting in the same instant. The offsets differ modulo the webhook
    /// worker's 15 s poll, so the one-minute jobs do not land on its rounds either.
    pub fn first_round_after(self) -> Duration {
        Duration::from_millis(match self {
            // Deliveries queued before a restart go out first.
            Job::Webhooks => 1_000,
            Job::Votes => 4_000,
            Job::Mirrors => 8_000,
            Job::Imports => 12_000,
            // Checklists run in the upkeep's round.
            Job::Upkeep | Job::Checklists => 20_000,
            Job::LdapSync => 24_000,
        })
    }
}

/// One job's last known state; times in unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    pub job: Job,
    /// Rounds finished since the server started.
    pub runs: u64,
    /// Of those, rounds that failed.
    pub errors: u64,
    pub last_started: Option<i64>,
    pub last_finished: Option<i64>,
    /// When the job wakes next at the latest (it may wake earlier when work arrives).
    pub next_run: Option<i64>,
    /// The last failure and when it happened; kept after later successes.
    pub last_error: Option<(i64, String)>,
    /// Whether the last round failed.
    pub failing: bool,
}

impl JobStatus {
    fn new(job: Job) -> JobStatus {
        JobStatus {
            job,
            runs: 0,
            errors: 0,
            last_started: None,
            last_finished: None,
            next_run: None,
            last_error: None,
            failing: false,
        }
    }
}

/// What became of one webhook delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// The attempt failed; another is scheduled.
    Retrying,
    /// The attempt failed and was the last one (or the destination is refused).
    Failed,
}

impl DeliveryOutcome {
    pub const ALL: [DeliveryOutcome; 3] = [
        DeliveryOutcome::Delivered,
        DeliveryOutcome::Retrying,
        DeliveryOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retrying => "retrying",
            DeliveryOutcome::Failed => "failed",
        }
    }
}

/// The registry the job loops report to.
#[derive(Debug)]
pub struct JobBoard {
    jobs: Mutex<Vec<JobStatus>>,
    /// Delivery attempts made by this server, by [`DeliveryOutcome`] (in `ALL`'s order).
    deliveries: [AtomicU64; 3],
}

impl Default for JobBoard {
    fn default() -> JobBoard {
        JobBoard {
            jobs: Mutex::new(Job::ALL.iter().map(|j| JobStatus::new(*j)).collect()),
            deliveries: Default::default(),
        }
    }
}

/// Errors are shown to administrators; long ones are cut.
const ERROR_MAX_CHARS: usize = 500;

impl JobBoard {
    fn with(&self, job: Job, f: impl FnOnce(&mut JobStatus)) {
        if let Ok(mut all) = self.jobs.lock()
            && let Some(s) = all.iter_mut().find(|s| s.job == job)
        {
            f(s);
        }
    }

    /// Waits until `job`'s first round is due ([`Job::first_round_after`]), or until
    /// `work_arrived` resolves if that is sooner; meanwhile the overview shows when it
    /// will run. `now_ms` is the current time.
    pub async fn before_first_round(
        &self,
        job: Job,
        now_ms: i64,
        work_arrived: impl std::future::Future<Output = ()>,
    ) {
        let after = job.first_round_after();
        let at = now_ms.saturating_add(i64::try_from(after.as_millis()).unwrap_or(0));
        self.with(job, |s| s.next_run = Some(at));
        tokio::select! {
            () = work_arrived => {}
            () = tokio::time::sleep(after) => {}
        }
    }

    /// A round of `job` starts now.
    pub fn started(&self, job: Job, now_ms: i64) {
        self.with(job, |s| s.last_started = Some(now_ms));
    }

    /// A round of `job` ended at `now_ms`, with `error` if it failed; it runs again at
    /// `next_run` at the latest.
    pub fn finished(&self, job: Job, now_ms: i64, error: Option<String>, next_run: Option<i64>) {
        self.with(job, |s| {
            s.runs += 1;
            s.errors += u64::from(error.is_some());
            s.last_finished = Some(now_ms);
            s.next_run = next_run;
            s.failing = error.is_some();
            if let Some(e) = error {
                let cut: String = e.chars().take(ERROR_MAX_CHARS).collect();
                s.last_error = Some((now_ms, cut));
            }
        });
    }

    /// Every job's state, in [`Job::ALL`]'s order.
    pub fn snapshot(&self) -> Vec<JobStatus> {
        self.jobs.lock().map(|all| all.clone()).unwrap_or_default()
    }

    /// A webhook delivery attempt ended with `outcome`.
    pub fn delivery_attempted(&self, outcome: DeliveryOutcome) {
        let i = DeliveryOutcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .unwrap_or(0);
        self.deliveries[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Delivery attempts since the server started, by outcome.
    pub fn deliveries(&self) -> [(DeliveryOutcome, u64); 3] {
        DeliveryOutcome::ALL.map(|o| {
            let i = DeliveryOutcome::ALL
                .iter()
                .position(|x| *x == o)
                .unwrap_or(0);
            (o, self.deliveries[i].load(Ordering::Relaxed))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_rounds_are_spread_apart_and_off_the_webhook_poll() {
        let webhook_poll = 15_000;
        let mut phases: Vec<u128> = Job::ALL
            .iter()
            .filter(|j| **j != Job::Checklists)
            .map(|j| j.first_round_after().as_millis() % webhook_poll)
            .collect();
        phases.sort_unstable();
        for pair in phases.windows(2) {
            assert!(pair[1] - pair[0] >= 1_000, "{phases:?}");
        }
        assert_eq!(
            Job::Checklists.first_round_after(),
            Job::Upkeep.first_round_after()
        );
    }

    #[test]
    fn rounds_errors_and_next_runs_are_recorded() {
        let board = JobBoard::default();
        board.started(Job::Upkeep, 10);
        board.finished(Job::Upkeep, 20, Some("disk full".into()), Some(3_600_020));
        board.started(Job::Upkeep, 30);
        board.finished(Job::Upkeep, 40, None, Some(3_600_040));
        let all = board.snapshot();
        assert_eq!(all.len(), Job::ALL.len());
        let upkeep = all.iter().find(|s| s.job == Job::Upkeep).unwrap();
        assert_eq!(upkeep.runs, 2);
        assert_eq!(upkeep.errors, 1);
        assert_eq!(upkeep.last_started, Some(30));
        assert_eq!(upkeep.last_finished, Some(40));
        assert_eq!(upkeep.next_run, Some(3_600_040));
        assert_eq!(upkeep.last_error, Some((20, "disk full".to_owned())));
        assert!(!upkeep.failing, "the last round succeeded");
        let hooks = all.iter().find(|s| s.job == Job::Webhooks).unwrap();
        assert_eq!(hooks.runs, 0);
        assert_eq!(hooks.last_started, None);
    }

    #[test]
    fn delivery_outcomes_are_counted() {
        let board = JobBoard::default();
        board.delivery_attempted(DeliveryOutcome::Retrying);
        board.delivery_attempted(DeliveryOutcome::Delivered);
        board.delivery_attempted(DeliveryOutcome::Retrying);
        assert_eq!(
            board.deliveries(),
            [
                (DeliveryOutcome::Delivered, 1),
                (DeliveryOutcome::Retrying, 2),
                (DeliveryOutcome::Failed, 0)
            ]
        );
    }
}
