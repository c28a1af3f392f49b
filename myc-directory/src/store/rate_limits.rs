//! Request counters shared by every replica on the store: hits per key in fixed windows. Keys
//! are chosen by the caller (the login keys them with an HMAC, so no address is stored).

use sqlx::Row;

use super::Error;
use super::sql::{SqlStore, args, db, now};

impl SqlStore {
    /// Counts one hit for `key` in its current window of `window_secs`; the hits in that
    /// window, this one included. One statement: replicas racing on a key count exactly.
    pub async fn hit_rate_limit(&self, key: &str, window_secs: i64) -> Result<u64, Error> {
        let at = now();
        // Every SET expression reads the row as it was (both databases).
        let sql = "INSERT INTO myc_rate_limits (key, window_start, hits) VALUES ($1, $2, 1) \
                   ON CONFLICT (key) DO UPDATE SET \
                   hits = CASE WHEN myc_rate_limits.window_start <= $3 THEN 1 \
                   ELSE myc_rate_limits.hits + 1 END, \
                   window_start = CASE WHEN myc_rate_limits.window_start <= $3 THEN $2 \
                   ELSE myc_rate_limits.window_start END \
                   RETURNING hits";
        let rows = self
            .fetch(sql, args![key, at, at - window_secs.max(1)])
            .await?;
        let hits: i64 = rows
            .first()
            .ok_or_else(|| Error::Database("no counter returned".into()))?
            .try_get(0)
            .map_err(db)?;
        Ok(u64::try_from(hits).unwrap_or(0))
    }

    /// Forgets counters whose window began more than `older_than_secs` ago.
    pub async fn prune_rate_limits(&self, older_than_secs: i64) -> Result<u64, Error> {
        let sql = "DELETE FROM myc_rate_limits WHERE window_start <= $1";
        self.execute(sql, args![now() - older_than_secs.max(1)])
            .await
    }
}
