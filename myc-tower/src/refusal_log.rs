//! A budget for refusal log lines: a flood of bad requests must not become a flood of log
//! lines. At most [`PER_SECOND`] refusals are logged each second (process-wide); the next line
//! logged says how many were left out before it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// Refusal lines logged per second at most.
pub(crate) const PER_SECOND: u32 = 20;

pub(crate) struct LogBudget {
    second: AtomicU64,
    used: AtomicU32,
    dropped: AtomicU64,
}

impl LogBudget {
    pub(crate) const fn new() -> Self {
        Self {
            second: AtomicU64::new(0),
            used: AtomicU32::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// `Some(left_out)` when a line may be logged in second `now` (`left_out` lines were not
    /// logged since the last one); `None` when the budget of `now` is spent.
    pub(crate) fn take(&self, now: u64) -> Option<u64> {
        let second = self.second.load(Relaxed);
        if second != now
            && self
                .second
                .compare_exchange(second, now, Relaxed, Relaxed)
                .is_ok()
        {
            self.used.store(0, Relaxed);
        }
        if self.used.fetch_add(1, Relaxed) < PER_SECOND {
            Some(self.dropped.swap(0, Relaxed))
        } else {
            self.dropped.fetch_add(1, Relaxed);
            None
        }
    }
}

/// The budget of the layer's refusal lines.
pub(crate) static REFUSALS: LogBudget = LogBudget::new();

/// Seconds since the Unix epoch.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_bounded_and_counted() {
        let budget = LogBudget::new();
        let logged = (0..1000).filter(|_| budget.take(7).is_some()).count();
        assert_eq!(logged, PER_SECOND as usize);
        // The next second logs again and reports what was left out.
        assert_eq!(budget.take(8), Some(1000 - u64::from(PER_SECOND)));
        assert_eq!(budget.take(8), Some(0));
    }
}
