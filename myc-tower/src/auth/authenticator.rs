use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::HeaderValue;
use myc_profile::connection_string::ParsedConnectionString;
use myc_profile::{
    ConnectionString, HmacKeyring, PermissionedRole, Profile, ProfileSigner, SecurityGroup,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::AuthError;
use crate::claims_expr::ClaimsPredicate;
use crate::credential::Credential;
use crate::jwt::{Identity, JwtVerifier};
use crate::narrow::{Scope, narrow};
use crate::resolver::{ConnectionStringStore, ProfileQuery, ProfileResolver};
use crate::token_cache::{Memo, TokenCache};

/// Who made the request, put into the request's extensions by the layer.
#[derive(Clone, Debug)]
pub enum Caller {
    /// No credential (public routes).
    Anonymous,
    /// A verified JWT.
    Token(Arc<Identity>),
    /// A verified connection string and its owner's e-mail.
    ConnectionString {
        /// The signed claims.
        claims: ConnectionString,
        /// The owner.
        email: String,
    },
    /// An identity an earlier in-process layer verified ([`AssertedIdentity`]).
    Asserted {
        /// The account owner's e-mail.
        email: String,
        /// Who verified it (`"telegram"`, …).
        source: &'static str,
    },
}

/// The tenant the request named (`x-mycelium-tenant-id`, one valid UUID), put into the
/// request's extensions by the layer before it strips the identity headers: what an
/// administration endpoint behind the layer reads to scope its operation. The resolved
/// profile is already narrowed to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestedTenant(pub Uuid);

/// An identity a layer in front of [`AuthLayer`](super::AuthLayer) has already verified by its
/// own means (a gateway's Telegram webhook secret and update sender, say), put into the
/// request's extensions. The layer then uses it instead of the request's credential headers:
/// the route's security group, roles and claims still apply, the profile is resolved and
/// injected as for any caller, and the identity headers are stripped as always.
///
/// Request extensions are set only by code in the process, never by a client, so this cannot
/// be forged over the wire; only insert it after a real verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertedIdentity {
    /// The account owner's e-mail (what the profile resolver looks up).
    pub email: String,
    /// The tenant that scopes the request, if any.
    pub tenant: Option<Uuid>,
    /// Who verified it, for logs.
    pub source: &'static str,
}

impl Caller {
    /// The caller's e-mail, when known.
    pub fn email(&self) -> Option<&str> {
        match self {
            Self::Anonymous => None,
            Self::Token(identity) => identity.email.as_deref(),
            Self::ConnectionString { email, .. } => Some(email),
            Self::Asserted { email, .. } => Some(email),
        }
    }
}

/// What the layer decided for one request.
#[derive(Debug)]
pub(crate) struct Decision {
    pub(crate) caller: Caller,
    pub(crate) email_header: Option<HeaderValue>,
    pub(crate) profile: Option<(Arc<Profile>, HeaderValue)>,
}

struct CachedHeader {
    profile: Arc<Profile>,
    header: HeaderValue,
    at: Instant,
    /// [`email_key`] of the profile's e-mail, for [`Authenticator::forget_account`].
    email: [u8; 32],
}

/// What the layer last learnt of an account's state, keyed by [`email_key`].
#[derive(Clone, Copy, Debug)]
enum Standing {
    /// No account has this e-mail (an `authenticated` route admits the caller).
    Unknown,
    /// The account may act.
    Usable,
    /// Inactive, archived or deleted: refused on every group.
    Disabled(&'static str),
}

/// Whether the account of `profile` may act: refused when its owner or the account is
/// inactive, or the account is archived or deleted.
fn standing(profile: &Profile) -> Standing {
    if profile.account_was_deleted {
        Standing::Disabled("deleted")
    } else if profile.account_was_archived {
        Standing::Disabled("archived")
    } else if !profile.account_is_active || !profile.owner_is_active {
        Standing::Disabled("inactive")
    } else {
        Standing::Usable
    }
}

impl Standing {
    fn check(self) -> Result<(), AuthError> {
        match self {
            Self::Disabled(why) => Err(AuthError::AccountDisabled(why)),
            Self::Unknown | Self::Usable => Ok(()),
        }
    }
}

/// The key of an e-mail in the account caches.
fn email_key(email: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"email\0");
    hasher.update(email.as_bytes());
    hasher.finalize().into()
}

/// Everything the layer needs, shared by all routes: verifiers, caches, the profile store
/// and an optional profile signer.
pub struct Authenticator {
    jwt: JwtVerifier,
    tokens: TokenCache,
    connection_strings: Option<(HmacKeyring, Arc<dyn ConnectionStringStore>)>,
    profiles: Arc<dyn ProfileResolver>,
    headers: Mutex<crate::token_cache::DigestMap<CachedHeader>>,
    standings: Mutex<crate::token_cache::DigestMap<(Standing, Instant)>>,
    profile_ttl: Duration,
    signer: Option<ProfileSigner>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("jwt", &self.jwt)
            .field("connection_strings", &self.connection_strings.is_some())
            .field("profile_ttl", &self.profile_ttl)
            .field("signs_profiles", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

const PROFILE_CACHE_CAPACITY: usize = 10_000;

impl Authenticator {
    /// The JWT verifier (for endpoints that take a token outside a route's group, such as
    /// the TOTP step of a login).
    pub fn jwt(&self) -> &JwtVerifier {
        &self.jwt
    }

    /// JWTs verified by `jwt`, profiles loaded through `resolver` (cached 60 s), a
    /// verified-token cache of 10,000 entries for at most 5 minutes each.
    pub fn new(jwt: JwtVerifier, resolver: Arc<dyn ProfileResolver>) -> Self {
        let profile_ttl = Duration::from_secs(60);
        Self {
            jwt,
            tokens: TokenCache::new(10_000, Duration::from_secs(300)),
            connection_strings: None,
            profiles: resolver,
            headers: Mutex::new(Default::default()),
            standings: Mutex::new(Default::default()),
            profile_ttl,
            signer: None,
        }
    }

    /// Accepts connection strings signed with `keyring` and still issued in `store`.
    pub fn with_connection_strings(
        mut self,
        keyring: HmacKeyring,
        store: Arc<dyn ConnectionStringStore>,
    ) -> Self {
        self.connection_strings = Some((keyring, store));
        self
    }

    /// Signs injected profiles (`x-mycelium-profile-signature`).
    pub fn with_signer(mut self, signer: ProfileSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    /// How long resolved (narrowed) profiles and their encoded headers, and what is known of
    /// an account's state, are reused (60 s; up to 10,000 entries keyed by a hash of e-mail,
    /// tenant and roles). This bounds how long a change made elsewhere (another replica, the
    /// admin CLI) takes to apply to JWT callers; see [`Self::forget_account`] for this one.
    pub fn with_profile_ttl(mut self, ttl: Duration) -> Self {
        self.profile_ttl = ttl;
        self
    }

    /// Replaces the verified-token cache.
    pub fn with_token_cache(mut self, cache: TokenCache) -> Self {
        self.tokens = cache;
        self
    }

    /// Drops everything cached about the account of `email` (its profiles, their headers, its
    /// state) and every token's remembered decision, so the next request of that account is
    /// decided from the store. Call it whenever this process changes an account (deactivates,
    /// archives, deletes it, changes its licences); changes made elsewhere apply within the
    /// profile TTL ([`Self::with_profile_ttl`]). Connection strings are looked up on every
    /// request and need nothing of this.
    pub fn forget_account(&self, email: &str) {
        let canonical = myc_profile::email::canonical(email);
        let key = email_key(canonical.as_deref().unwrap_or(email));
        if let Ok(mut standings) = self.standings.lock() {
            standings.remove(&key);
        }
        if let Ok(mut headers) = self.headers.lock() {
            headers.retain(|_, cached| cached.email != key);
        }
        self.tokens.clear_memos();
    }

    /// Drops every cached profile, header and account state and every token's remembered
    /// decision: for changes whose reach is wider than one account (a tenant deleted, a guest
    /// role's permission changed), so no request is decided on a profile older than the change.
    pub fn forget_everyone(&self) {
        if let Ok(mut standings) = self.standings.lock() {
            standings.clear();
        }
        if let Ok(mut headers) = self.headers.lock() {
            headers.clear();
        }
        self.tokens.clear_memos();
    }

    /// The cached state of the account of `email`, if known within the profile TTL.
    fn cached_standing(&self, key: &[u8; 32]) -> Option<Standing> {
        let standings = self.standings.lock().ok()?;
        let (standing, at) = standings.get(key)?;
        (at.elapsed() < self.profile_ttl).then_some(*standing)
    }

    fn remember_standing(&self, key: [u8; 32], standing: Standing) {
        if let Ok(mut standings) = self.standings.lock() {
            if standings.len() >= PROFILE_CACHE_CAPACITY {
                let ttl = self.profile_ttl;
                standings.retain(|_, (_, at)| at.elapsed() < ttl);
                if standings.len() >= PROFILE_CACHE_CAPACITY {
                    standings.clear();
                }
            }
            standings.insert(key, (standing, Instant::now()));
        }
    }

    /// The state of the account of `email` (cached, else resolved): refuses a disabled one.
    async fn check_standing(&self, email: &str) -> Result<(), AuthError> {
        let key = email_key(email);
        if let Some(standing) = self.cached_standing(&key) {
            return standing.check();
        }
        let standing = match self
            .profiles
            .resolve(ProfileQuery {
                email,
                tenant: None,
                roles: None,
            })
            .await
            .map_err(|_| AuthError::ResolverUnavailable)?
        {
            None => Standing::Unknown,
            Some(profile) => standing(&profile),
        };
        self.remember_standing(key, standing);
        standing.check()
    }

    pub(crate) fn signer(&self) -> Option<&ProfileSigner> {
        self.signer.as_ref()
    }

    async fn verify(&self, credential: &Credential) -> Result<Caller, AuthError> {
        match credential {
            Credential::Bearer(token) => {
                crate::credential::check_bearer(token.as_bytes())?;
                let span = tracing::Span::current();
                span.record("credential", "bearer");
                if let Some(identity) = self.tokens.get(token) {
                    span.record("token_cache_hit", true);
                    return Ok(Caller::Token(identity));
                }
                span.record("token_cache_hit", false);
                let identity = Arc::new(self.jwt.verify(token).await?);
                self.tokens.insert(token, identity.clone());
                Ok(Caller::Token(identity))
            }
            Credential::ConnectionString(value) => {
                tracing::Span::current().record("credential", "connection-string");
                let Some((keyring, store)) = &self.connection_strings else {
                    return Err(AuthError::InvalidConnectionString(
                        "connection strings are not accepted here".into(),
                    ));
                };
                let now = chrono::Utc::now();
                let parsed = ParsedConnectionString::parse(value)
                    .map_err(|e| AuthError::InvalidConnectionString(e.to_string()))?;
                parsed
                    .verify(keyring, now)
                    .map_err(|e| AuthError::InvalidConnectionString(e.to_string()))?;
                let hash = crate::resolver::connection_string_hash(value);
                let issued = store
                    .lookup(parsed.claims.account_id, hash)
                    .await
                    .map_err(|_| AuthError::ResolverUnavailable)?
                    .ok_or_else(|| {
                        AuthError::InvalidConnectionString("revoked or unknown".into())
                    })?;
                if issued.expires_at.is_some_and(|exp| exp <= now) {
                    return Err(AuthError::InvalidConnectionString("expired".into()));
                }
                if !issued.account_active {
                    return Err(AuthError::AccountDisabled("inactive"));
                }
                Ok(Caller::ConnectionString {
                    claims: parsed.claims,
                    email: issued.email,
                })
            }
        }
    }

    fn scope_key(email: &str, scope: Scope<'_>) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(email.as_bytes());
        hasher.update([0]);
        // "No tenant" and the nil UUID are different scopes.
        match scope.tenant {
            None => hasher.update([0]),
            Some(tenant) => {
                hasher.update([1]);
                hasher.update(tenant.as_bytes());
            }
        }
        for role in scope.route_roles.unwrap_or_default() {
            hasher.update(role.name.as_bytes());
            hasher.update([0, role.required().as_int()]);
        }
        hasher.update([0xff]);
        for role in scope.token_roles.unwrap_or_default() {
            hasher.update(role.slug.as_bytes());
            hasher.update([0, role.permission.as_int()]);
        }
        hasher.finalize().into()
    }

    /// The cached profile and header for `key`, with the instant they stop being valid.
    fn cached_header(&self, key: &[u8; 32]) -> Option<(Arc<Profile>, HeaderValue, Instant)> {
        let cache = self.headers.lock().ok()?;
        let hit = cache.get(key)?;
        let until = hit.at + self.profile_ttl;
        (Instant::now() < until).then(|| (hit.profile.clone(), hit.header.clone(), until))
    }

    async fn load_profile_header(
        &self,
        email: &str,
        scope: Scope<'_>,
        key: [u8; 32],
    ) -> Result<(Arc<Profile>, HeaderValue), AuthError> {
        let full = self
            .profiles
            .resolve(ProfileQuery {
                email,
                tenant: scope.tenant,
                roles: scope.route_roles,
            })
            .await
            .map_err(|_| AuthError::ResolverUnavailable)?
            .ok_or(AuthError::UnknownCaller)?;
        let account = standing(&full);
        let email_key = email_key(email);
        self.remember_standing(email_key, account);
        account.check()?;
        let narrowed = Arc::new(narrow(&full, scope)?);
        // Built once: a cached header value is shared (cheap clone), already validated.
        let encoded = myc_profile::codec::encode(&narrowed).map_err(|_| AuthError::Internal)?;
        let mut header = HeaderValue::from_maybe_shared(bytes::Bytes::from(encoded))
            .map_err(|_| AuthError::Internal)?;
        header.set_sensitive(true);
        if let Ok(mut cache) = self.headers.lock() {
            if cache.len() >= PROFILE_CACHE_CAPACITY {
                let ttl = self.profile_ttl;
                cache.retain(|_, v| v.at.elapsed() < ttl);
                if cache.len() >= PROFILE_CACHE_CAPACITY {
                    cache.clear();
                }
            }
            cache.insert(
                key,
                CachedHeader {
                    profile: narrowed.clone(),
                    header: header.clone(),
                    at: Instant::now(),
                    email: email_key,
                },
            );
        }
        Ok((narrowed, header))
    }

    /// Claims predicate, e-mail, and the profile scope of a verified caller.
    fn admit<'a>(
        group: &'a SecurityGroup,
        required_claims: Option<&ClaimsPredicate>,
        caller: &'a Caller,
        tenant: Option<Uuid>,
    ) -> Result<(&'a str, Scope<'a>), AuthError> {
        if let Some(predicate) = required_claims {
            let empty = serde_json::Map::new();
            let claims = match caller {
                Caller::Token(identity) => &identity.claims,
                _ => &empty,
            };
            if !predicate.evaluate(claims) {
                return Err(AuthError::Forbidden(format!(
                    "claims requirement not met: {}",
                    predicate.source()
                )));
            }
        }
        let email = caller.email().ok_or(AuthError::UnknownCaller)?;
        let route_roles: Option<&[PermissionedRole]> = match group {
            SecurityGroup::ProtectedByRoles(roles) => Some(roles),
            _ => None,
        };
        let scope = match caller {
            // Only the connection string's own tenant scopes it.
            Caller::ConnectionString { claims, .. } => Scope {
                tenant: claims.tenant_id,
                route_roles,
                token_roles: claims.roles.as_deref(),
            },
            _ => Scope {
                tenant,
                route_roles,
                token_roles: None,
            },
        };
        Ok((email, scope))
    }

    fn email_decision(caller: Caller, email: &str) -> Result<Decision, AuthError> {
        let json = serde_json::to_string(email).map_err(|_| AuthError::Internal)?;
        let mut value = HeaderValue::from_str(&json).map_err(|_| AuthError::Internal)?;
        value.set_sensitive(true);
        Ok(Decision {
            caller,
            email_header: Some(value),
            profile: None,
        })
    }

    /// The decision without awaiting anything, when every input is cached (the common case);
    /// `None` sends the request down [`Self::decide`].
    /// `route` identifies the layer (its group and claims predicate): a token's memo (see
    /// [`TokenCache`]) is only reused on the route and with the tenant it was taken for.
    pub(crate) fn decide_cached(
        &self,
        route: u64,
        group: &SecurityGroup,
        required_claims: Option<&ClaimsPredicate>,
        credential: &Result<Option<Credential>, AuthError>,
        tenant: Option<Uuid>,
    ) -> Option<Result<Decision, AuthError>> {
        if *group == SecurityGroup::Public {
            return Some(Ok(Decision {
                caller: Caller::Anonymous,
                email_header: None,
                profile: None,
            }));
        }
        let token = match credential {
            Err(e) => return Some(Err(e.clone())),
            Ok(None) => return Some(Err(AuthError::MissingCredentials)),
            Ok(Some(Credential::Bearer(token))) => token,
            Ok(Some(Credential::ConnectionString(_))) => return None,
        };
        let hit = self
            .tokens
            .lookup(token.as_bytes(), Some((route, tenant)))?;
        let span = tracing::Span::current();
        span.record("credential", "bearer");
        span.record("token_cache_hit", true);
        let caller = Caller::Token(hit.identity);
        if let Some(profile) = hit.memo {
            // Same token, route and tenant as a request admitted before, within the
            // profile's lifetime: the same decision (admission is a function of those).
            span.record("profile_cache_hit", true);
            return Some(Ok(Decision {
                caller,
                email_header: None,
                profile: Some(profile),
            }));
        }
        let (email, scope) = match Self::admit(group, required_claims, &caller, tenant) {
            Ok(admitted) => admitted,
            Err(e) => return Some(Err(e)),
        };
        if *group == SecurityGroup::Authenticated {
            if let Err(e) = self.cached_standing(&email_key(email))?.check() {
                return Some(Err(e));
            }
            let email = email.to_owned();
            return Some(Self::email_decision(caller, &email));
        }
        let (profile, header, until) = self.cached_header(&Self::scope_key(email, scope))?;
        span.record("profile_cache_hit", true);
        self.tokens.remember(
            &hit.key,
            Memo {
                route,
                tenant,
                profile: profile.clone(),
                header: header.clone(),
                until,
            },
        );
        Some(Ok(Decision {
            caller,
            email_header: None,
            profile: Some((profile, header)),
        }))
    }

    /// Authenticates and authorizes a request; `credential` and `tenant` (the client's
    /// `x-mycelium-tenant-id`) were read before the identity headers were stripped.
    pub(crate) async fn decide(
        &self,
        group: &SecurityGroup,
        required_claims: Option<&ClaimsPredicate>,
        credential: Result<Option<Credential>, AuthError>,
        tenant: Option<Uuid>,
        admit_unknown: bool,
    ) -> Result<Decision, AuthError> {
        if *group == SecurityGroup::Public {
            return self
                .decide_caller(group, required_claims, Caller::Anonymous, tenant)
                .await;
        }
        let credential = credential?.ok_or(AuthError::MissingCredentials)?;
        let caller = self.verify(&credential).await?;
        if !admit_unknown {
            return self
                .decide_caller(group, required_claims, caller, tenant)
                .await;
        }
        match self
            .decide_caller(group, required_claims, caller.clone(), tenant)
            .await
        {
            // A verified caller without an account yet: its e-mail only (sign-up endpoints).
            Err(AuthError::UnknownCaller) => {
                let email = caller.email().ok_or(AuthError::UnknownCaller)?.to_owned();
                Self::email_decision(caller, &email)
            }
            other => other,
        }
    }

    /// [`Self::decide`] for a caller already known (verified, or asserted by an earlier layer).
    pub(crate) async fn decide_caller(
        &self,
        group: &SecurityGroup,
        required_claims: Option<&ClaimsPredicate>,
        caller: Caller,
        tenant: Option<Uuid>,
    ) -> Result<Decision, AuthError> {
        if *group == SecurityGroup::Public {
            return Ok(Decision {
                caller: Caller::Anonymous,
                email_header: None,
                profile: None,
            });
        }
        let (email, scope) = Self::admit(group, required_claims, &caller, tenant)?;
        if *group == SecurityGroup::Authenticated {
            self.check_standing(email).await?;
            let email = email.to_owned();
            return Self::email_decision(caller, &email);
        }
        let key = Self::scope_key(email, scope);
        let profile = match self.cached_header(&key) {
            Some((profile, header, _)) => {
                tracing::Span::current().record("profile_cache_hit", true);
                (profile, header)
            }
            None => {
                tracing::Span::current().record("profile_cache_hit", false);
                // A disabled account known within the TTL is refused without a store query.
                if let Some(standing) = self.cached_standing(&email_key(email)) {
                    standing.check()?;
                }
                self.load_profile_header(email, scope, key).await?
            }
        };
        Ok(Decision {
            caller,
            email_header: None,
            profile: Some(profile),
        })
    }
}
