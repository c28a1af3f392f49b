//! [`LicensedResource`] and [`LicensedResources`]: the guest licences a profile carries.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Permission;
use crate::url_form::{self, ParsedUrl, UrlFormError};

/// One licence: the caller is a guest with `role` (at `perm`) on account `acc_id` of tenant
/// `tenant_id`.
///
/// JSON keys (upstream order): `accId`, `sysAcc`, `tenantId`, `accName`, `role`, `roleId`,
/// `perm`, `verified`, `permitFlags`?, `denyFlags`?; the flag arrays are omitted when `None`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicensedResource {
    /// The guest account.
    #[serde(alias = "guest_account_id")]
    pub acc_id: Uuid,
    /// Whether the account is a system (standard) account.
    #[serde(alias = "guest_account_is_default")]
    pub sys_acc: bool,
    /// The tenant (nil UUID for licences without a tenant).
    pub tenant_id: Uuid,
    /// The guest account's name.
    #[serde(alias = "guest_account_name")]
    pub acc_name: String,
    /// The guest-role slug.
    pub role: String,
    /// The guest-role id.
    pub role_id: Uuid,
    /// The permission granted.
    #[serde(alias = "permission")]
    pub perm: Permission,
    /// Whether the guest invitation was verified.
    pub verified: bool,
    /// Feature flags this licence permits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permit_flags: Option<Vec<String>>,
    /// Feature flags this licence denies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_flags: Option<Vec<String>>,
}

const LICENSE_SHAPE: &str =
    "t/<tenant>/a/<account>/r/<role id>?p=<slug>:<0|1>&s=<0|1>&v=<0|1>&n=<base64 name>";

impl LicensedResource {
    /// Writes the upstream URL form:
    /// `t/{tenant}/a/{account}/r/{roleId}?p={slug}:{perm}&s={0|1}&v={0|1}&n={base64(name)}[&pf=…][&df=…]`.
    ///
    /// Unlike upstream, characters that form decoding would alter (`+`, `%`, `&`, spaces, …)
    /// are percent-encoded, so every value written reads back equal, by upstream's parser too.
    /// Fails when a value has no URL form: a slug that is empty or contains `:`, or a flag that
    /// is empty or contains `,` (upstream has no escaping for those).
    ///
    /// ```
    /// use myc_profile::{LicensedResource, Permission};
    /// use uuid::Uuid;
    /// let licence = LicensedResource {
    ///     acc_id: Uuid::from_u128(2), sys_acc: false, tenant_id: Uuid::from_u128(1),
    ///     acc_name: "Team A+B".into(), role: "editor".into(), role_id: Uuid::from_u128(3),
    ///     perm: Permission::Write, verified: true, permit_flags: None, deny_flags: None,
    /// };
    /// let url = licence.to_url().unwrap();
    /// assert!(url.starts_with("t/00000000000000000000000000000001/a/"));
    /// assert_eq!(LicensedResource::from_url(&url).unwrap(), licence);
    /// ```
    pub fn to_url(&self) -> Result<String, UrlFormError> {
        if self.role.is_empty() || self.role.contains(':') {
            return Err(UrlFormError::Unrepresentable {
                field: "role",
                reason: "a slug must be non-empty and free of ':'",
            });
        }
        let mut out = String::with_capacity(160 + self.acc_name.len() * 2);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "t/{}/a/{}/r/{}?p=",
            self.tenant_id.simple(),
            self.acc_id.simple(),
            self.role_id.simple()
        );
        url_form::percent_encode(&self.role, url_form::UNRESERVED, &mut out);
        let _ = write!(
            out,
            ":{}&s={}&v={}&n=",
            self.perm.as_int(),
            u8::from(self.sys_acc),
            u8::from(self.verified)
        );
        url_form::encode_name(&self.acc_name, &mut out);
        for (param, flags) in [("pf", &self.permit_flags), ("df", &self.deny_flags)] {
            if let Some(flags) = flags {
                out.push('&');
                out.push_str(param);
                out.push('=');
                for (i, flag) in flags.iter().enumerate() {
                    if flag.is_empty() || flag.contains(',') {
                        return Err(UrlFormError::Unrepresentable {
                            field: "flags",
                            reason: "a flag must be non-empty and free of ','",
                        });
                    }
                    if i > 0 {
                        out.push(',');
                    }
                    url_form::percent_encode(flag, url_form::UNRESERVED, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// Parses the URL form written by upstream or by [`LicensedResource::to_url`].
    ///
    /// Accepts UUIDs with or without dashes, form-decodes the query as upstream does, and reads
    /// a space in the base64 name as `+`. Every malformed value is an error (upstream panics).
    pub fn from_url(text: &str) -> Result<Self, UrlFormError> {
        let url = ParsedUrl::parse(text, 6, LICENSE_SHAPE)?;
        if url.segments[0] != "t" || url.segments[2] != "a" || url.segments[4] != "r" {
            return Err(UrlFormError::Path {
                path: text.chars().take(120).collect(),
                expected: LICENSE_SHAPE,
            });
        }
        let tenant_id = url_form::parse_uuid("tenant", url.segments[1])?;
        let acc_id = url_form::parse_uuid("account", url.segments[3])?;
        let role_id = url_form::parse_uuid("role id", url.segments[5])?;

        let p = url.require("p")?;
        let mut parts = p.split(':');
        let (Some(role), Some(perm), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(UrlFormError::Value {
                param: "p",
                reason: "expected exactly one ':' between slug and permission".into(),
            });
        };
        if role.is_empty() {
            return Err(UrlFormError::Value {
                param: "p",
                reason: "empty role slug".into(),
            });
        }
        let perm = match perm {
            "0" => Permission::Read,
            "1" => Permission::Write,
            other => {
                return Err(UrlFormError::Value {
                    param: "p",
                    reason: format!("permission {other:?} is not 0 or 1"),
                });
            }
        };
        Ok(Self {
            acc_id,
            sys_acc: url_form::parse_bit("s", url.require("s")?)?,
            tenant_id,
            acc_name: url_form::decode_name("n", url.require("n")?)?,
            role: role.to_owned(),
            role_id,
            perm,
            verified: url_form::parse_bit("v", url.require("v")?)?,
            permit_flags: parse_flags("pf", url.get("pf"))?,
            deny_flags: parse_flags("df", url.get("df"))?,
        })
    }
}

fn parse_flags(
    param: &'static str,
    value: Option<&str>,
) -> Result<Option<Vec<String>>, UrlFormError> {
    let Some(value) = value else { return Ok(None) };
    if value.is_empty() {
        return Ok(Some(Vec::new()));
    }
    value
        .split(',')
        .map(|flag| {
            if flag.is_empty() {
                Err(UrlFormError::Value {
                    param,
                    reason: "empty flag".into(),
                })
            } else {
                Ok(flag.to_owned())
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The licences of a profile, as records or in URL form (`{"records":[…]}` / `{"urls":[…]}`).
///
/// URL-form values are kept as received so a profile re-encodes to the same JSON; the access
/// checks parse them on demand ([`LicensedResources::to_records`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LicensedResources {
    /// Full records.
    Records(Vec<LicensedResource>),
    /// Compact URL forms (see [`LicensedResource::to_url`]).
    Urls(Vec<String>),
}

impl LicensedResources {
    /// The licences as records, parsing URL forms. The first malformed URL is an error.
    pub fn to_records(&self) -> Result<Vec<LicensedResource>, UrlFormError> {
        match self {
            Self::Records(records) => Ok(records.clone()),
            Self::Urls(urls) => urls.iter().map(|u| LicensedResource::from_url(u)).collect(),
        }
    }

    /// Converts records to the URL form.
    pub fn to_urls(&self) -> Result<Vec<String>, UrlFormError> {
        match self {
            Self::Records(records) => records.iter().map(LicensedResource::to_url).collect(),
            Self::Urls(urls) => Ok(urls.clone()),
        }
    }

    /// How many licences there are.
    pub fn len(&self) -> usize {
        match self {
            Self::Records(r) => r.len(),
            Self::Urls(u) => u.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPSTREAM: &str = "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=editor:1&s=0&v=1&n=QWNjb3VudCBPbmU=";

    #[test]
    fn parses_upstream_url() {
        let r = LicensedResource::from_url(UPSTREAM).unwrap();
        assert_eq!(
            r.tenant_id.to_string(),
            "11111111-1111-4111-8111-111111111111"
        );
        assert_eq!(r.acc_name, "Account One");
        assert_eq!(r.role, "editor");
        assert_eq!(r.perm, Permission::Write);
        assert!(r.verified && !r.sys_acc);
        assert_eq!(r.permit_flags, None);
        // Our writer reproduces upstream's bytes when nothing needs escaping.
        assert_eq!(r.to_url().unwrap(), UPSTREAM);
    }

    #[test]
    fn plus_in_base64_name_survives_both_ways() {
        let mut r = LicensedResource::from_url(UPSTREAM).unwrap();
        r.acc_name = "Sala >>>>".into(); // base64 "U2FsYSA+Pj4+" contains '+'
        let url = r.to_url().unwrap();
        assert_eq!(LicensedResource::from_url(&url).unwrap(), r);
        // Upstream writes the raw '+', which form decoding turns into a space: still read.
        assert!(url.contains("%2B"));
        let raw = url.replace("%2B", "+");
        assert_eq!(LicensedResource::from_url(&raw).unwrap(), r);
    }

    #[test]
    fn rejects_malformed_values_instead_of_panicking() {
        for bad in [
            "t/x/a/y/r/z?p=a:1&s=0&v=1&n=",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=editor:x&s=0&v=1&n=QQ==",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=a:b:1&s=0&v=1&n=QQ==",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=editor:1&s=2&v=1&n=QQ==",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=editor:1&s=0&v=1&n=%FF%FF",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=editor:1&s=0&v=1&n=__",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=editor:1&s=0&v=1",
            "t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=e:1&p=e:1&s=0&v=1&n=QQ==",
            "/t/11111111111141118111111111111111/a/bbbbbbbbbbbb4bbb8bbbbbbbbbbbbbb1/r/cccccccccccc4ccc8cccccccccccccc1?p=e:1&s=0&v=1&n=QQ==",
            "",
        ] {
            assert!(LicensedResource::from_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writer_refuses_unrepresentable_values() {
        let mut r = LicensedResource::from_url(UPSTREAM).unwrap();
        r.role = "a:b".into();
        assert!(r.to_url().is_err());
        r.role = "ok".into();
        r.permit_flags = Some(vec!["a,b".into()]);
        assert!(r.to_url().is_err());
    }

    #[test]
    fn dashed_uuids_and_escaped_flags_are_read() {
        let url = "t/11111111-1111-4111-8111-111111111111/a/bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb1/r/cccccccc-cccc-4ccc-8ccc-ccccccccccc1?p=ed%26itor:0&s=1&v=0&n=QQ%3D%3D&pf=a%20b,c&df=";
        let r = LicensedResource::from_url(url).unwrap();
        assert_eq!(r.role, "ed&itor");
        assert_eq!(r.acc_name, "A");
        assert_eq!(r.permit_flags, Some(vec!["a b".into(), "c".into()]));
        assert_eq!(r.deny_flags, Some(vec![]));
        assert_eq!(LicensedResource::from_url(&r.to_url().unwrap()).unwrap(), r);
    }
}
