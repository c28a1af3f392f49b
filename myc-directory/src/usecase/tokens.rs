//! `beginners.tokens.*`: a caller's own connection strings.

use chrono::{DateTime, Utc};
use myc_profile::connection_string::ScopedRole;
use myc_profile::{HmacKeyring, Permission};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Audit, Caller, UseCaseError};
use crate::store::{ConnectionStringRecord, SqlStore, Store, TokenRequest};

/// The longest lifetime a caller may give its own connection string (one year).
pub const MAX_EXPIRATION_SECS: i64 = 365 * 24 * 3600;

/// A role a connection string is scoped to (upstream's `{name, permission?}`; read when the
/// permission is absent).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleParam {
    /// The role's slug.
    pub name: String,
    /// `0` read, `1` write.
    #[serde(default)]
    pub permission: Option<Permission>,
}

/// `beginners.tokens.create` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateToken {
    /// A label.
    pub name: String,
    /// Lifetime in seconds (1 … one year).
    pub expiration: i64,
    /// Scope to a tenant the caller belongs to.
    #[serde(default)]
    pub tenant_id: Option<Uuid>,
    /// Upstream's service-account scope: not served here; refused rather than ignored.
    #[serde(default)]
    pub service_account_id: Option<Uuid>,
    /// Scope to roles.
    #[serde(default)]
    pub roles: Option<Vec<RoleParam>>,
}

/// A connection string as listed (never its value).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// Id (what `revoke` takes).
    pub id: Uuid,
    /// Label.
    pub name: String,
    /// Tenant scope.
    pub tenant_id: Option<Uuid>,
    /// Issued.
    pub created: DateTime<Utc>,
    /// Expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ConnectionStringRecord> for TokenRecord {
    fn from(r: ConnectionStringRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            tenant_id: r.tenant_id,
            created: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// `beginners.tokens.create`: a connection string for the caller's own account; the value is
/// answered once (`{"connectionString": …}`) and only its hash is kept.
pub async fn create(
    store: &SqlStore,
    keyring: &HmacKeyring,
    caller: &Caller,
    params: CreateToken,
) -> Result<zeroize::Zeroizing<String>, UseCaseError> {
    if params.service_account_id.is_some() {
        return Err(UseCaseError::InvalidParams(
            "serviceAccountId is not supported by this server".into(),
        ));
    }
    if !(1..=MAX_EXPIRATION_SECS).contains(&params.expiration) {
        return Err(UseCaseError::InvalidParams(format!(
            "expiration must be between 1 and {MAX_EXPIRATION_SECS} seconds"
        )));
    }
    let account = caller.profile.acc_id;
    if let Some(tenant) = params.tenant_id {
        let admin = caller.profile.is_staff || caller.profile.is_manager;
        if !admin && !store.is_member(account, tenant).await? {
            return Err(UseCaseError::Forbidden(
                "a connection string can only be scoped to a tenant the caller belongs to",
            ));
        }
    }
    let roles = params
        .roles
        .unwrap_or_default()
        .into_iter()
        .map(|r| ScopedRole::new(r.name, r.permission.unwrap_or(Permission::Read)))
        .collect();
    let (value, record) = store
        .issue_connection_string(
            keyring,
            TokenRequest {
                account_id: account,
                name: &params.name,
                tenant: params.tenant_id,
                roles,
                expires_at: Utc::now() + chrono::Duration::seconds(params.expiration),
            },
        )
        .await?;
    Audit::of(caller, "beginners.tokens.create")
        .tenant(params.tenant_id)
        .account(account)
        .detail(serde_json::json!({ "tokenId": record.id, "name": record.name }))
        .record(store)
        .await?;
    Ok(value)
}

/// `beginners.tokens.list`: the caller's connection strings, newest first (never values).
pub async fn list(store: &SqlStore, caller: &Caller) -> Result<Vec<TokenRecord>, UseCaseError> {
    Ok(store
        .connection_strings(caller.profile.acc_id)
        .await?
        .into_iter()
        .map(TokenRecord::from)
        .collect())
}

/// `beginners.tokens.revoke` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenId {
    /// The connection string's id.
    pub token_id: Uuid,
}

/// `beginners.tokens.revoke`: one of the caller's own connection strings stops working.
pub async fn revoke(
    store: &SqlStore,
    caller: &Caller,
    params: TokenId,
) -> Result<(), UseCaseError> {
    let account = caller.profile.acc_id;
    let owned = store
        .connection_strings(account)
        .await?
        .iter()
        .any(|r| r.id == params.token_id);
    if !owned {
        return Err(UseCaseError::NotFound(format!(
            "connection string {} of the caller not found",
            params.token_id
        )));
    }
    store.revoke_connection_string(params.token_id).await?;
    Audit::of(caller, "beginners.tokens.revoke")
        .account(account)
        .detail(serde_json::json!({ "tokenId": params.token_id }))
        .record(store)
        .await?;
    Ok(())
}

/// `beginners.tokens.delete`: one of the caller's own connection strings is forgotten (it
/// stops working as a revoked one does).
pub async fn delete(
    store: &SqlStore,
    caller: &Caller,
    params: TokenId,
) -> Result<(), UseCaseError> {
    let account = caller.profile.acc_id;
    if !store
        .delete_connection_string(account, params.token_id)
        .await?
    {
        return Err(UseCaseError::NotFound(format!(
            "connection string {} of the caller not found",
            params.token_id
        )));
    }
    let detail = serde_json::json!({ "tokenId": params.token_id });
    Audit::of(caller, "beginners.tokens.delete")
        .account(account)
        .detail(detail)
        .record(store)
        .await
}
