//! Issuing connection strings: signed with the keyring, recorded by hash (the value is shown
//! once and never stored).

use chrono::{DateTime, Utc};
use myc_profile::connection_string::ScopedRole;
use myc_profile::{ConnectionString, HmacKeyring};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::sql::SqlStore;
use super::{ConnectionStringRecord, Error, NewConnectionString, Store};

/// What a connection string grants.
#[derive(Clone, Debug)]
pub struct TokenRequest<'a> {
    /// The account it authenticates.
    pub account_id: Uuid,
    /// A label.
    pub name: &'a str,
    /// The tenant it is scoped to.
    pub tenant: Option<Uuid>,
    /// The roles it is scoped to (none: the account's own).
    pub roles: Vec<ScopedRole>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

impl SqlStore {
    /// Signs a connection string for `request` and records its hash; the value comes back
    /// once, zeroized when dropped.
    pub async fn issue_connection_string(
        &self,
        keyring: &HmacKeyring,
        request: TokenRequest<'_>,
    ) -> Result<(Zeroizing<String>, ConnectionStringRecord), Error> {
        if request.expires_at <= Utc::now() {
            return Err(Error::Invalid("the lifetime must be positive".into()));
        }
        if let Some(tenant) = request.tenant
            && self.tenant(tenant).await?.is_none()
        {
            return Err(Error::NotFound(format!("tenant {tenant}")));
        }
        let mut claims =
            ConnectionString::new(request.account_id, request.expires_at.fixed_offset());
        claims.tenant_id = request.tenant;
        if !request.roles.is_empty() {
            claims.roles = Some(request.roles);
        }
        let value = Zeroizing::new(
            claims
                .sign(keyring)
                .map_err(|e| Error::Invalid(e.to_string()))?,
        );
        let record = self
            .record_connection_string(NewConnectionString {
                account_id: request.account_id,
                name: request.name,
                tenant_id: request.tenant,
                token_hash: myc_tower::resolver::connection_string_hash(&value),
                expires_at: Some(claims.expires_at.with_timezone(&Utc)),
            })
            .await?;
        Ok((value, record))
    }

    /// Deletes the connection string `id` of `account`; `false` when it has none such.
    pub async fn delete_connection_string(&self, account: Uuid, id: Uuid) -> Result<bool, Error> {
        let sql = "DELETE FROM myc_connection_strings WHERE id = $1 AND account_id = $2";
        Ok(self.execute(sql, super::sql::args![id, account]).await? > 0)
    }
}
