//! Magic-link logins: for each request, the hashes of its link token and of its code, how
//! many wrong codes were tried, when the code was shown and when it was used. Nothing here
//! can be replayed from the table alone.

use sqlx::Row;
use uuid::Uuid;

use super::Error;
use super::sql::{SqlStore, args, db, now, uuid};

/// A pending login (not used, not expired).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginLink {
    /// Id.
    pub id: Uuid,
    /// The canonical e-mail.
    pub email: String,
    /// Hash of the code.
    pub code_hash: String,
    /// Wrong codes tried.
    pub attempts: u32,
    /// Whether the code was shown.
    pub revealed: bool,
    /// When it was requested (Unix seconds).
    pub created_at: i64,
}

fn link(row: &sqlx::any::AnyRow) -> Result<LoginLink, Error> {
    let id: String = row.try_get(0).map_err(db)?;
    let attempts: i64 = row.try_get(3).map_err(db)?;
    let revealed: Option<i64> = row.try_get(4).map_err(db)?;
    Ok(LoginLink {
        id: uuid(&id)?,
        email: row.try_get(1).map_err(db)?,
        code_hash: row.try_get(2).map_err(db)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        revealed: revealed.is_some(),
        created_at: row.try_get(5).map_err(db)?,
    })
}

const COLUMNS: &str = "id, email, code_hash, attempts, revealed_at, created_at";

impl SqlStore {
    /// Records a login request for `email` valid `ttl_secs`.
    pub async fn create_login_link(
        &self,
        email: &str,
        token_hash: &str,
        code_hash: &str,
        ttl_secs: i64,
    ) -> Result<Uuid, Error> {
        let id = Uuid::new_v4();
        let at = now();
        let sql = "INSERT INTO myc_login_links (id, email, token_hash, code_hash, attempts, \
                   expires_at, created_at) VALUES ($1, $2, $3, $4, 0, $5, $6)";
        self.execute(
            sql,
            args![id, email, token_hash, code_hash, at + ttl_secs, at],
        )
        .await?;
        Ok(id)
    }

    /// How many logins were requested for `email` since `since` (unix seconds).
    pub async fn login_links_since(&self, email: &str, since: i64) -> Result<u32, Error> {
        let sql = "SELECT COUNT(*) FROM myc_login_links WHERE email = $1 AND created_at >= $2";
        let rows = self.fetch(sql, args![email, since]).await?;
        let n: i64 = rows
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(db)?
            .unwrap_or(0);
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// The pending login whose link token hashes to `token_hash`.
    pub async fn login_link_by_token(&self, token_hash: &str) -> Result<Option<LoginLink>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM myc_login_links WHERE token_hash = $1 \
             AND used_at IS NULL AND expires_at > $2"
        );
        let rows = self.fetch(&sql, args![token_hash, now()]).await?;
        rows.first().map(link).transpose()
    }

    /// Marks the code of `id` shown; false when it was shown already (one reveal per link).
    pub async fn reveal_login_link(&self, id: Uuid) -> Result<bool, Error> {
        let sql =
            "UPDATE myc_login_links SET revealed_at = $1 WHERE id = $2 AND revealed_at IS NULL";
        Ok(self.execute(sql, args![now(), id]).await? == 1)
    }

    /// The pending, shown logins of `email`, newest first.
    pub async fn pending_logins(&self, email: &str) -> Result<Vec<LoginLink>, Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM myc_login_links WHERE email = $1 AND used_at IS NULL \
             AND revealed_at IS NOT NULL AND expires_at > $2 ORDER BY created_at DESC, id"
        );
        self.fetch(&sql, args![email, now()])
            .await?
            .iter()
            .map(link)
            .collect()
    }

    /// Spends one attempt on every pending, shown login of `email` that has fewer than
    /// `max_attempts`: the logins a code may now be compared with (newest first). One
    /// statement, so concurrent guesses never get more than `max_attempts` comparisons per
    /// login between them.
    pub async fn spend_login_attempt(
        &self,
        email: &str,
        max_attempts: u32,
    ) -> Result<Vec<LoginLink>, Error> {
        let sql = format!(
            "UPDATE myc_login_links SET attempts = attempts + 1 WHERE email = $1 \
             AND used_at IS NULL AND revealed_at IS NOT NULL AND expires_at > $2 \
             AND attempts < $3 RETURNING {COLUMNS}"
        );
        let mut links: Vec<LoginLink> = self
            .fetch(&sql, args![email, now(), i64::from(max_attempts)])
            .await?
            .iter()
            .map(link)
            .collect::<Result<_, _>>()?;
        links.sort_by_key(|l| std::cmp::Reverse(l.created_at));
        Ok(links)
    }

    /// Uses `id`; false when another request used it first (a replay).
    pub async fn use_login_link(&self, id: Uuid) -> Result<bool, Error> {
        let sql = "UPDATE myc_login_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL";
        Ok(self.execute(sql, args![now(), id]).await? == 1)
    }
}
