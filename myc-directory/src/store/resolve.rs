//! The store as myc-tower's [`ProfileResolver`] and [`ConnectionStringStore`]: the profile an
//! owner's e-mail resolves to, and whether a presented connection string is still issued.

use myc_profile::{
    LicensedResource, LicensedResources, Owner, Profile, TenantOwnership, TenantsOwnership,
};
use myc_tower::BoxFuture;
use myc_tower::resolver::{
    ConnectionStringStore, IssuedToken, ProfileQuery, ProfileResolver, StoreError,
};
use sqlx::Row;
use uuid::Uuid;

use super::sql::{SqlStore, db, permission, time, uuid};
use super::{Error, normalize_email};

/// The whole profile in one statement (one round trip): the account (`a`; its flags packed
/// into `n3`, see [`Flags`]), its owners (`o`), its accepted guest relations (`l`), the
/// tenants it owns (`t`) and its metadata (`m`), as rows of one shape. `$2` narrows the
/// licences to a tenant (NULL: all).
const PROFILE: &str = "WITH acc AS (SELECT a.id, a.is_staff, a.is_manager, \
     a.is_active + 2 * a.is_checked + 4 * a.is_archived + 8 * a.is_deleted AS flags \
     FROM myc_owners o JOIN myc_accounts a ON a.id = o.account_id WHERE o.email = $1), \
     mails AS (SELECT o.email FROM myc_owners o JOIN acc ON o.account_id = acc.id) \
     SELECT 'a' AS kind, acc.id AS c1, NULL AS c2, NULL AS c3, NULL AS c4, NULL AS c5, \
     NULL AS c6, NULL AS c7, acc.is_staff AS n1, acc.is_manager AS n2, acc.flags AS n3 FROM acc \
     UNION ALL SELECT 'o', o.id, o.email, o.first_name, o.last_name, o.username, NULL, NULL, \
     o.is_principal, o.created_at, NULL FROM myc_owners o JOIN acc ON o.account_id = acc.id \
     UNION ALL SELECT 'l', s.tenant_id, s.id, s.name, r.id, r.slug, g.permit_flags, g.deny_flags, \
     r.permission, NULL, NULL \
     FROM myc_guest_users g JOIN myc_accounts s ON s.id = g.subscription_id \
     JOIN myc_guest_roles r ON r.id = g.role_id \
     WHERE g.accepted = 1 AND s.is_active = 1 AND s.is_deleted = 0 AND g.email IN (SELECT email FROM mails) \
     AND ($2 IS NULL OR s.tenant_id = $2) \
     UNION ALL SELECT 't', t.id, t.name, NULL, NULL, NULL, NULL, NULL, MIN(w.since), NULL, NULL \
     FROM myc_tenant_owners w JOIN myc_tenants t ON t.id = w.tenant_id \
     JOIN myc_owners o ON o.id = w.owner_id JOIN acc ON o.account_id = acc.id \
     GROUP BY t.id, t.name \
     UNION ALL SELECT 'm', m.key, m.value, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL \
     FROM myc_account_meta m JOIN acc ON m.account_id = acc.id";

/// The account flags of the `a` row: active 1, checked 2, archived 4, deleted 8.
struct Flags(i64);

impl Flags {
    fn has(&self, bit: i64) -> bool {
        self.0 & bit != 0
    }

    /// Upstream's summary: deleted, archived, inactive, unverified (not checked), verified.
    fn verbose(&self) -> myc_profile::VerboseStatus {
        use myc_profile::VerboseStatus as V;
        if self.has(8) {
            V::Deleted
        } else if self.has(4) {
            V::Archived
        } else if !self.has(1) {
            V::Inactive
        } else if !self.has(2) {
            V::Unverified
        } else {
            V::Verified
        }
    }
}

/// One row of [`PROFILE`].
struct Part {
    kind: String,
    text: [Option<String>; 7],
    num: [Option<i64>; 3],
}

impl Part {
    fn read(row: &sqlx::any::AnyRow) -> Result<Self, Error> {
        let text = |i: usize| row.try_get::<Option<String>, _>(i).map_err(db);
        let num = |i: usize| row.try_get::<Option<i64>, _>(i).map_err(db);
        Ok(Self {
            kind: row.try_get(0).map_err(db)?,
            text: [
                text(1)?,
                text(2)?,
                text(3)?,
                text(4)?,
                text(5)?,
                text(6)?,
                text(7)?,
            ],
            num: [num(8)?, num(9)?, num(10)?],
        })
    }

    fn text(&self, i: usize) -> Result<&str, Error> {
        self.text[i].as_deref().ok_or_else(|| {
            Error::Database(format!("profile row {}: column {i} is NULL", self.kind))
        })
    }

    fn num(&self, i: usize) -> Result<i64, Error> {
        self.num[i].ok_or_else(|| {
            Error::Database(format!("profile row {}: number {i} is NULL", self.kind))
        })
    }
}

fn owner(p: &Part) -> Result<(Owner, i64), Error> {
    Ok((
        Owner {
            id: uuid(p.text(0)?)?,
            email: p.text(1)?.to_owned(),
            first_name: p.text[2].clone(),
            last_name: p.text[3].clone(),
            username: p.text[4].clone(),
            is_principal: p.num(0)? != 0,
        },
        p.num(1)?,
    ))
}

/// Guest flags are stored as a JSON array of strings.
fn flags(text: Option<&str>) -> Result<Option<Vec<String>>, Error> {
    text.map(|t| serde_json::from_str(t).map_err(|_| Error::Database("corrupt guest flags".into())))
        .transpose()
}

fn licence(p: &Part) -> Result<LicensedResource, Error> {
    Ok(LicensedResource {
        tenant_id: uuid(p.text(0)?)?,
        acc_id: uuid(p.text(1)?)?,
        acc_name: p.text(2)?.to_owned(),
        sys_acc: false,
        role_id: uuid(p.text(3)?)?,
        role: p.text(4)?.to_owned(),
        perm: permission(p.num(0)?)?,
        verified: true,
        permit_flags: flags(p.text[5].as_deref())?,
        deny_flags: flags(p.text[6].as_deref())?,
    })
}

impl SqlStore {
    /// The full profile of the owner with `email`, its licences limited to `tenant` if given:
    /// one statement, whatever the number of licences (no query per relation).
    ///
    /// Licences are the accepted guest relations of the account's e-mails, each naming the
    /// tenant's subscription account it was guested into (upstream's `accId`/`accName`). A
    /// pending invitation grants nothing: it is not in the profile at all, so neither a route's
    /// roles nor a downstream check can be satisfied by it.
    pub async fn profile(
        &self,
        email: &str,
        tenant: Option<Uuid>,
    ) -> Result<Option<Profile>, Error> {
        let Ok(email) = normalize_email(email) else {
            return Ok(None);
        };
        let rows = sqlx::query(PROFILE)
            .bind(&email)
            .bind(tenant.map(|t| t.to_string()))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let parts = rows.iter().map(Part::read).collect::<Result<Vec<_>, _>>()?;
        let Some(account) = parts.iter().find(|p| p.kind == "a") else {
            return Ok(None);
        };
        let mut profile = Profile::new(uuid(account.text(0)?)?);
        profile.is_staff = account.num(0)? != 0;
        profile.is_manager = account.num(1)? != 0;
        let flags = Flags(account.num(2)?);
        profile.account_is_active = flags.has(1);
        profile.account_was_approved = flags.has(2);
        profile.account_was_archived = flags.has(4);
        profile.account_was_deleted = flags.has(8);
        profile.verbose_status = Some(flags.verbose());
        let mut meta = std::collections::BTreeMap::new();
        let mut owners = Vec::new();
        let mut records = Vec::new();
        let mut owned = Vec::new();
        for part in &parts {
            match part.kind.as_str() {
                "o" => owners.push(owner(part)?),
                "l" => records.push(licence(part)?),
                // Keys are checked on write; one this version does not know is left out.
                "m" => {
                    if let Some(key) = myc_profile::AccountMetaKey::from_wire(part.text(0)?) {
                        meta.insert(key, part.text(1)?.to_owned());
                    }
                }
                "t" => owned.push(TenantOwnership {
                    id: uuid(part.text(0)?)?,
                    name: part.text(1)?.to_owned(),
                    since: time(part.num(0)?)?.fixed_offset(),
                }),
                _ => {}
            }
        }
        // Principal first, then by creation; licences and ownerships by name.
        owners.sort_by(|(a, at), (b, bt)| {
            (!a.is_principal, *at, a.id).cmp(&(!b.is_principal, *bt, b.id))
        });
        profile.owners = owners.into_iter().map(|(o, _)| o).collect();
        records.sort_by(|a, b| {
            (&a.acc_name, a.acc_id, &a.role, a.perm).cmp(&(&b.acc_name, b.acc_id, &b.role, b.perm))
        });
        if !records.is_empty() {
            profile.licensed_resources = Some(LicensedResources::Records(records));
        }
        if !meta.is_empty() {
            profile.meta = Some(meta);
        }
        owned.sort_by(|a, b| a.name.cmp(&b.name));
        if !owned.is_empty() {
            profile.tenants_ownership = Some(TenantsOwnership::Records(owned));
        }
        Ok(Some(profile))
    }
}

impl ProfileResolver for SqlStore {
    fn resolve<'a>(
        &'a self,
        query: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        Box::pin(async move {
            // The profile comes back whatever the account's state: the layer refuses an
            // inactive one on every route (and knows it exists).
            self.profile(query.email, query.tenant)
                .await
                .map_err(StoreError::from)
        })
    }
}

impl ConnectionStringStore for SqlStore {
    fn lookup<'a>(
        &'a self,
        account_id: Uuid,
        token_hash: [u8; 32],
    ) -> BoxFuture<'a, Result<Option<IssuedToken>, StoreError>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT o.email, c.expires_at, a.is_active FROM myc_connection_strings c \
                 JOIN myc_accounts a ON a.id = c.account_id \
                 JOIN myc_owners o ON o.account_id = c.account_id AND o.is_principal = 1 \
                 WHERE c.account_id = $1 AND c.token_hash = $2 AND c.revoked_at IS NULL \
                 ORDER BY o.created_at LIMIT 1",
            )
            .bind(account_id.to_string())
            .bind(token_hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StoreError::from(db(e)))?;
            let Some(row) = row else { return Ok(None) };
            let email: String = row.try_get(0).map_err(|e| StoreError::from(db(e)))?;
            let expires_at = row
                .try_get::<Option<i64>, _>(1)
                .map_err(|e| StoreError::from(db(e)))?
                .map(time)
                .transpose()
                .map_err(StoreError::from)?;
            let account_active = row
                .try_get::<i64, _>(2)
                .map_err(|e| StoreError::from(db(e)))?
                != 0;
            Ok(Some(IssuedToken {
                email,
                expires_at,
                account_active,
            }))
        })
    }
}
