//! The admin API over REST, under `/_adm/<role>/…` as upstream lays it out (feature `axum`).
//! The same use cases as the JSON-RPC transport, so the same caller gets the same outcome both
//! ways: 403 with `{"message", "code": "MYC00019"}` where JSON-RPC answers `-32401`, 400 for
//! invalid params or missing things, 409 for conflicts. Tenant-scoped paths read the tenant
//! from `x-mycelium-tenant-id` (what myc-tower's `AuthLayer` hands on as `RequestedTenant`).
//!
//! | method and path | use case |
//! |---|---|
//! | `GET /_adm/beginners/profile` | `beginners.profile.get` |
//! | `POST /_adm/beginners/guests/account/{account}/guest-role/{name}/perm/{0\|1}/accept` | `beginners.guests.acceptInvitation` |
//! | `POST /_adm/beginners/tokens` | `beginners.tokens.create` (200, `{"connectionString"}` shown once) |
//! | `GET /_adm/beginners/tokens` | `beginners.tokens.list` (never values) |
//! | `GET /_adm/managers/tenants` (`?name=&pageSize=&skip=`) | `managers.tenants.list` (204 when none) |
//! | `POST /_adm/managers/tenants` | `managers.tenants.create` (201) |
//! | `PATCH /_adm/users-manager/accounts/{account}/activate` (`/deactivate`) | `userManager.account.activate` / `.deactivate` (202) |
//! | `POST /_adm/subscriptions-manager/accounts` | `subscriptionsManager.accounts.createSubscriptionAccount` (201) |
//! | `POST /_adm/subscriptions-manager/guests/accounts/{account}/roles/{role}` | `…guestUserToSubscriptionAccount` (201, 200 when it existed) |
//! | `DELETE /_adm/subscriptions-manager/guests/accounts/{account}/roles/{role}?email=` | `…revokeUserGuestToSubscriptionAccount` (204) |

mod handlers;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::rpc::Api;

/// The REST endpoints over `api`; mount behind myc-tower's `AuthLayer` (`protected`), as the
/// JSON-RPC router.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/_adm/beginners/profile", get(handlers::profile))
        .route(
            "/_adm/beginners/guests/account/{account}/guest-role/{name}/perm/{perm}/accept",
            post(handlers::accept_invitation),
        )
        .route(
            "/_adm/beginners/tokens",
            get(handlers::list_tokens).post(handlers::create_token),
        )
        .route(
            "/_adm/managers/tenants",
            get(handlers::list_tenants).post(handlers::create_tenant),
        )
        .route(
            "/_adm/users-manager/accounts/{account}/{action}",
            axum::routing::patch(handlers::account_state),
        )
        .route(
            "/_adm/subscriptions-manager/accounts",
            post(handlers::create_subscription_account),
        )
        .route(
            "/_adm/subscriptions-manager/guests/accounts/{account}/roles/{role}",
            post(handlers::guest_user).delete(handlers::revoke_guest),
        )
        .with_state(Arc::new(api))
}
