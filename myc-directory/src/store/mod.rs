//! The identity store: who may do what, and the secrets the gateway keeps for tenants.
//!
//! [`Store`] is the interface; [`SqlStore`] implements it on SQLite (the embedded default: one
//! file in the data directory, created and migrated on first start) and on PostgreSQL (for
//! several gateway replicas sharing one database). Both run the same SQL and pass the same
//! test suite. The store also implements myc-tower's [`ProfileResolver`] and
//! [`ConnectionStringStore`], so it plugs straight into the authentication layer.
//!
//! | table | holds |
//! |---|---|
//! | `myc_accounts` | accounts (staff, manager, active flags) |
//! | `myc_owners` | the people owning an account; the e-mail is the login (stored lower-case, unique) |
//! | `myc_tenants` | tenants (unique names) |
//! | `myc_tenant_owners` | tenant ownership (owner, since) |
//! | `myc_guest_roles` | guest roles: a slug with a permission |
//! | `myc_accounts` (typed) | upstream's account types: `user`, `staff`, `manager`, `subscription` / `roleAssociated` / `tenantManager` (with their tenant), `actorAssociated`; flags checked, archived, deleted; metadata |
//! | `myc_guest_users` | guest relations: an e-mail holds a role in a tenant's subscription account (invitation pending or accepted) — the licensed resources of the profile |
//! | `myc_audit` | audit events of the admin API's mutations (who, what, tenant/account, when) |
//! | `myc_connection_strings` | issued connection strings: SHA-256 of the header value only, expiry, revocation |
//! | `myc_deks` | wrapped data keys per scope and generation (myc-crypto) |
//! | `myc_secrets` | values sealed with a scope's DEK (myc-crypto), by scope and name |
//! | `myc_telegram_links` | an account's linked Telegram user (one each way) |
//! | `myc_rate_limits` | request counters per key and window, shared by replicas (login rate limits) |
//! | `myc_nodes` | nodes the NATS credential issuer serves: SHA-256 of the node token, permissions, JWT lifetime, revocation |
//!
//! ```no_run
//! # async fn demo() -> Result<(), myc_directory::store::Error> {
//! use myc_directory::store::{NewAccount, SqlStore, Store};
//! use myc_profile::Permission;
//!
//! let store = SqlStore::connect("sqlite://data/gateway.sqlite3?mode=rwc", 4).await?;
//! let tenant = store.create_tenant("Acme", None, None).await?;
//! store.create_guest_role("reporter", "Reporter", Permission::Read).await?;
//! store.create_account(NewAccount::user("ann@acme.test")).await?;
//! store.add_guest(tenant.id, "ann@acme.test", "reporter", Permission::Read).await?;
//! # Ok(()) }
//! ```

mod accounts;
mod audit;
mod error_codes;
mod import;
mod login_links;
mod mail;
mod passwords;
mod rate_limits;
mod resolve;
mod roles;
mod schema;
mod settings;
mod sql;
mod subscriptions;
mod tenants;
mod tokens;
mod totp;
mod users;
mod webhooks;

use std::future::Future;

use chrono::{DateTime, Utc};
use myc_crypto::{Insert, StoredDek, WrappedDek};
use myc_profile::Permission;
use myc_tower::resolver::{ConnectionStringStore, ProfileResolver};
use uuid::Uuid;

pub use accounts::{
    AccountDetails, AccountFilter, AccountRecord, AccountUpdate, SYSTEM_ACTORS, TenantAccountKind,
};
pub use audit::{AuditEvent, NewAuditEvent};
pub use error_codes::{ErrorCode, NATIVE_CODES, NATIVE_PREFIX, parse_code};
pub use import::{
    AccountEntry, DirectoryFile, GuestRoleEntry, ImportReport, LicenceEntry, MAX_DIRECTORY_BYTES,
    TenantEntry,
};
pub use login_links::LoginLink;
pub use mail::{DueMail, MailAttempt};
pub use passwords::PasswordRecord;
pub use roles::{GuestRoleDetails, SYSTEM_ROLES, slugify};
pub use settings::{SQLITE_FILE, StoreLocation, StoreSettings};
pub use sql::{Backend, SqlStore};
pub use subscriptions::{GuestUser, SubscriptionAccount};
pub use tenants::{Tag, TenantDetails, TenantFlag, TenantOwnerRecord};
pub use tokens::TokenRequest;
pub use totp::TotpRecord;
pub use users::UserRecord;
pub use webhooks::{Attempt, Delivery, DeliveryStatus, DueDelivery, NewWebhook, WebhookRecord};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing to create exists already.
    #[error("{0} already exists")]
    Conflict(String),
    /// The thing referred to does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The database failed or holds something this version cannot read.
    #[error("database: {0}")]
    Database(String),
    /// Sealing, opening or rewrapping failed.
    #[error("secrets: {0}")]
    Crypto(#[from] myc_crypto::Error),
}

impl From<Error> for myc_tower::resolver::StoreError {
    fn from(e: Error) -> Self {
        Self(e.to_string())
    }
}

/// An account with its principal owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// The principal owner's e-mail (lower-case).
    pub email: String,
    /// Staff account.
    pub is_staff: bool,
    /// Manager account.
    pub is_manager: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// What [`Store::create_account`] creates.
#[derive(Clone, Debug)]
pub struct NewAccount<'a> {
    /// The principal owner's e-mail (the login).
    pub email: &'a str,
    /// Display name (the e-mail when empty).
    pub name: &'a str,
    /// Staff account.
    pub is_staff: bool,
    /// Manager account.
    pub is_manager: bool,
    /// A chosen id (random when `None`).
    pub id: Option<Uuid>,
}

impl<'a> NewAccount<'a> {
    /// A plain user account named after its e-mail.
    pub fn user(email: &'a str) -> Self {
        Self {
            email,
            name: "",
            is_staff: false,
            is_manager: false,
            id: None,
        }
    }

    /// The seed account: staff and manager (upstream's `create-seed-account`).
    pub fn seed(email: &'a str, name: &'a str) -> Self {
        Self {
            email,
            name,
            is_staff: true,
            is_manager: true,
            id: None,
        }
    }
}

/// A tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Id.
    pub id: Uuid,
    /// Name (unique).
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A guest role: a slug with a permission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestRole {
    /// Id.
    pub id: Uuid,
    /// Slug (what routes name in `protectedByRoles`).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Permission.
    pub permission: Permission,
}

/// A guest link: an account holds a role on a tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestLink {
    /// The guest account.
    pub account_id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// The tenant's subscription account the guest was guested into.
    pub subscription_id: Uuid,
    /// The role.
    pub role: GuestRole,
    /// False when the link already existed.
    pub created: bool,
}

/// An issued connection string (never the string itself: only its hash is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionStringRecord {
    /// Id (what `revoke` takes).
    pub id: Uuid,
    /// The account it authenticates.
    pub account_id: Uuid,
    /// A label.
    pub name: String,
    /// The tenant it is scoped to.
    pub tenant_id: Option<Uuid>,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What [`Store::record_connection_string`] stores.
#[derive(Clone, Debug)]
pub struct NewConnectionString<'a> {
    /// The account.
    pub account_id: Uuid,
    /// A label.
    pub name: &'a str,
    /// The tenant it is scoped to.
    pub tenant_id: Option<Uuid>,
    /// [`myc_tower::resolver::connection_string_hash`] of the header value.
    pub token_hash: [u8; 32],
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A node the NATS credential issuer serves (never its token: only a hash is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRecord {
    /// The node id it presents.
    pub id: String,
    /// Subjects its users may publish to.
    pub pub_allow: Vec<String>,
    /// Subjects its users may subscribe to.
    pub sub_allow: Vec<String>,
    /// Lifetime of the JWTs it receives.
    pub ttl_secs: u64,
    /// Its users may reply to requests they receive (also across accounts).
    pub allow_responses: bool,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The identity store's interface. [`SqlStore`] implements it on SQLite and PostgreSQL.
///
/// E-mails are compared case-insensitively (stored lower-case, surrounding space removed).
pub trait Store: ProfileResolver + ConnectionStringStore {
    /// Cheap round trip (readiness).
    fn ping(&self) -> impl Future<Output = Result<(), Error>> + Send;

    /// Creates an account with its principal owner; [`Error::Conflict`] if the e-mail is taken.
    fn create_account(
        &self,
        new: NewAccount<'_>,
    ) -> impl Future<Output = Result<Account, Error>> + Send;
    /// The account whose owner has `email`.
    fn account_by_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<Account>, Error>> + Send;

    /// Activates or deactivates the account whose owner has `email`; [`Error::NotFound`] if
    /// there is none. An inactive account is refused on every route (its connection strings at
    /// once; a running gateway's cached JWT decisions within its profile TTL).
    fn set_account_active(
        &self,
        email: &str,
        active: bool,
    ) -> impl Future<Output = Result<Account, Error>> + Send;

    /// Creates a tenant, optionally owned by the owner with `owner_email`.
    fn create_tenant(
        &self,
        name: &str,
        owner_email: Option<&str>,
        id: Option<Uuid>,
    ) -> impl Future<Output = Result<Tenant, Error>> + Send;
    /// Every tenant, by name.
    fn tenants(&self) -> impl Future<Output = Result<Vec<Tenant>, Error>> + Send;
    /// One tenant by id.
    fn tenant(&self, id: Uuid) -> impl Future<Output = Result<Option<Tenant>, Error>> + Send;

    /// Creates a guest role; [`Error::Conflict`] if that slug already has that permission.
    fn create_guest_role(
        &self,
        slug: &str,
        name: &str,
        permission: Permission,
    ) -> impl Future<Output = Result<GuestRole, Error>> + Send;
    /// Guests the account of `email` into `tenant`'s default subscription account (the oldest,
    /// created and named after the tenant when it has none) with the role `slug`/`permission`,
    /// accepted at once (an administrator's grant); idempotent: an existing relation is
    /// returned with `created = false`.
    fn add_guest(
        &self,
        tenant: Uuid,
        email: &str,
        slug: &str,
        permission: Permission,
    ) -> impl Future<Output = Result<GuestLink, Error>> + Send;

    /// Records an issued connection string.
    fn record_connection_string(
        &self,
        new: NewConnectionString<'_>,
    ) -> impl Future<Output = Result<ConnectionStringRecord, Error>> + Send;
    /// The connection strings of an account, newest first (revoked ones included).
    fn connection_strings(
        &self,
        account: Uuid,
    ) -> impl Future<Output = Result<Vec<ConnectionStringRecord>, Error>> + Send;
    /// Revokes one; [`Error::NotFound`] if unknown or already revoked.
    fn revoke_connection_string(&self, id: Uuid) -> impl Future<Output = Result<(), Error>> + Send;

    /// Wrapped DEKs: of one scope, or all of them.
    fn deks(
        &self,
        scope: Option<Uuid>,
    ) -> impl Future<Output = Result<Vec<StoredDek>, Error>> + Send;
    /// Stores a DEK unless its slot is taken (then returns the stored one).
    fn insert_dek(&self, dek: &StoredDek) -> impl Future<Output = Result<Insert, Error>> + Send;
    /// Replaces a DEK only if it is still `expected`.
    fn swap_dek(
        &self,
        scope: Uuid,
        generation: u32,
        expected: &WrappedDek,
        new: &WrappedDek,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Stores (or replaces) a sealed value.
    fn put_sealed(
        &self,
        scope: Uuid,
        name: &str,
        ciphertext: &[u8],
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// A sealed value.
    fn get_sealed(
        &self,
        scope: Uuid,
        name: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, Error>> + Send;
    /// The names of a scope's sealed values, sorted.
    fn sealed_names(&self, scope: Uuid) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
    /// Adds a node with the SHA-256 of its token; [`Error::Conflict`] if the id exists.
    fn add_node(
        &self,
        node: &NodeRecord,
        token_hash: [u8; 32],
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// A node and its token hash.
    fn node(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<(NodeRecord, [u8; 32])>, Error>> + Send;
    /// Every node, by id.
    fn nodes(&self) -> impl Future<Output = Result<Vec<NodeRecord>, Error>> + Send;
    /// Revokes a node; [`Error::NotFound`] if unknown or already revoked.
    fn revoke_node(&self, id: &str) -> impl Future<Output = Result<(), Error>> + Send;

    /// Links a Telegram user to an account; [`Error::Conflict`] if the account has a link or
    /// the Telegram user is linked elsewhere.
    fn link_telegram(
        &self,
        account: Uuid,
        telegram_id: i64,
        username: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send;
    /// Removes an account's link; false if it had none.
    fn unlink_telegram(&self, account: Uuid) -> impl Future<Output = Result<bool, Error>> + Send;
    /// The account a Telegram user is linked to.
    fn account_by_telegram(
        &self,
        telegram_id: i64,
    ) -> impl Future<Output = Result<Option<Account>, Error>> + Send;
    /// Whether an account belongs to a tenant (a guest link or ownership).
    fn is_member(
        &self,
        account: Uuid,
        tenant: Uuid,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Deletes a sealed value; false if there was none.
    fn delete_sealed(
        &self,
        scope: Uuid,
        name: &str,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}

/// The canonical form of an e-mail ([`myc_profile::email::canonical`]: ASCII only, both parts
/// lowercased), refusing what cannot be one.
pub fn normalize_email(email: &str) -> Result<String, Error> {
    myc_profile::email::canonical(email).map_err(|e| {
        let shown: String = email.chars().take(64).collect();
        Error::Invalid(format!("{shown:?}: {e}"))
    })
}
