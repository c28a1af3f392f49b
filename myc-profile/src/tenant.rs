//! [`TenantOwnership`] and [`TenantsOwnership`]: the tenants a profile owns.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::url_form::{self, ParsedUrl, UrlFormError};

/// Ownership of one tenant since a point in time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantOwnership {
    /// The tenant.
    pub id: Uuid,
    /// The tenant's name.
    pub name: String,
    /// Since when (RFC 3339 with offset).
    pub since: DateTime<FixedOffset>,
}

const OWNERSHIP_SHAPE: &str = "tid/<tenant>?since=<rfc3339>&name=<base64 name>";

impl TenantOwnership {
    /// Writes the URL form `tid/{tenant}?since={rfc3339}&name={base64(name)}` with `+`
    /// percent-encoded (upstream writes it raw and then cannot read it back).
    pub fn to_url(&self) -> String {
        let mut out = String::with_capacity(96 + self.name.len() * 2);
        let _ = write!(out, "tid/{}?since=", self.id.simple());
        url_form::percent_encode(
            &self.since.to_rfc3339(),
            url_form::UNRESERVED_COLON,
            &mut out,
        );
        out.push_str("&name=");
        url_form::encode_name(&self.name, &mut out);
        out
    }

    /// Parses the URL form written by upstream or by [`TenantOwnership::to_url`]; a space where
    /// form decoding ate a `+` is read as `+`.
    ///
    /// ```
    /// use myc_profile::TenantOwnership;
    /// // Upstream wrote '+00:00' raw; form decoding turns it into a space. We still read it.
    /// let t = TenantOwnership::from_url(
    ///     "tid/11111111111141118111111111111111?since=2025-01-02T03:04:05+00:00&name=VGVuYW50",
    /// ).unwrap();
    /// assert_eq!(t.name, "Tenant");
    /// assert_eq!(TenantOwnership::from_url(&t.to_url()).unwrap(), t);
    /// ```
    pub fn from_url(text: &str) -> Result<Self, UrlFormError> {
        let url = ParsedUrl::parse(text, 2, OWNERSHIP_SHAPE)?;
        if url.segments[0] != "tid" {
            return Err(UrlFormError::Path {
                path: text.chars().take(120).collect(),
                expected: OWNERSHIP_SHAPE,
            });
        }
        let since = url.require("since")?.replace(' ', "+");
        let since = DateTime::parse_from_rfc3339(&since).map_err(|e| UrlFormError::Value {
            param: "since",
            reason: format!("not an RFC 3339 timestamp: {e}"),
        })?;
        Ok(Self {
            id: url_form::parse_uuid("tenant", url.segments[1])?,
            name: url_form::decode_name("name", url.require("name")?)?,
            since,
        })
    }
}

/// The tenants a profile owns, as records or in URL form (`{"records":[…]}` / `{"urls":[…]}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TenantsOwnership {
    /// Full records.
    Records(Vec<TenantOwnership>),
    /// URL forms (see [`TenantOwnership::to_url`]).
    Urls(Vec<String>),
}

impl TenantsOwnership {
    /// The ownerships as records, parsing URL forms.
    pub fn to_records(&self) -> Result<Vec<TenantOwnership>, UrlFormError> {
        match self {
            Self::Records(r) => Ok(r.clone()),
            Self::Urls(u) => u.iter().map(|u| TenantOwnership::from_url(u)).collect(),
        }
    }

    /// True when the profile owns `tenant`. A malformed URL form is an error.
    pub fn owns(&self, tenant: Uuid) -> Result<bool, UrlFormError> {
        match self {
            Self::Records(r) => Ok(r.iter().any(|t| t.id == tenant)),
            Self::Urls(urls) => {
                for url in urls {
                    if TenantOwnership::from_url(url)?.id == tenant {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_offsets_and_z_are_read() {
        for since in [
            "2025-01-02T03:04:05-03:00",
            "2025-01-02T03:04:05Z",
            "2025-01-02T03:04:05%2B05:30",
        ] {
            let url = format!("tid/11111111111141118111111111111111?since={since}&name=QQ==");
            assert!(TenantOwnership::from_url(&url).is_ok(), "{url}");
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "tid/zz?since=2025-01-02T03:04:05Z&name=QQ==",
            "tenant/11111111111141118111111111111111?since=2025-01-02T03:04:05Z&name=QQ==",
            "tid/11111111111141118111111111111111?since=yesterday&name=QQ==",
            "tid/11111111111141118111111111111111?name=QQ==",
            "tid/11111111111141118111111111111111/x?since=2025-01-02T03:04:05Z&name=QQ==",
        ] {
            assert!(TenantOwnership::from_url(bad).is_err(), "{bad}");
        }
    }
}
