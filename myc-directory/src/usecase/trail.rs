//! `audit.resourceTrail.fetch`: what happened to a tenant or an account (staff or manager).

use serde::Deserialize;
use uuid::Uuid;

use super::{Caller, UseCaseError, require_platform_admin};
use crate::store::{AuditEvent, SqlStore};

/// Resource types upstream names (what the trail can be asked about here).
const RESOURCE_TYPES: [&str; 2] = ["tenant", "account"];

/// `audit.resourceTrail.fetch` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FetchTrail {
    /// `tenant` or `account`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Uuid,
}

/// The newest 500 events of the resource, newest first.
pub async fn fetch(
    store: &SqlStore,
    caller: &Caller,
    params: FetchTrail,
) -> Result<Vec<AuditEvent>, UseCaseError> {
    require_platform_admin(caller)?;
    if !RESOURCE_TYPES.contains(&params.resource_type.as_str()) {
        return Err(UseCaseError::InvalidParams(format!(
            "resourceType must be one of {RESOURCE_TYPES:?}"
        )));
    }
    let events = store.audit_trail(params.resource_id, 500).await?;
    Ok(events
        .into_iter()
        .filter(|e| match params.resource_type.as_str() {
            "tenant" => e.tenant_id == Some(params.resource_id),
            _ => e.account_id == Some(params.resource_id),
        })
        .collect())
}
