//! `allowedSources`: the client networks and host names a service accepts requests from. An
//! entry is an address or CIDR (`10.0.0.0/8`, `::1`), or a host name, which is resolved to
//! its addresses when the gateway starts and again every [`REFRESH`]. The client address is
//! what the gateway derived from the peer and trusted proxies, never the `Host` header. A
//! name that stops resolving keeps its last addresses until it resolves again (a DNS outage
//! must not lock every client out, nor let anyone in).

use std::net::IpAddr;
use std::sync::RwLock;
use std::time::Duration;

use myc_tower::client_addr::{IpNet, any_contains};

/// How often host names are resolved again.
pub const REFRESH: Duration = Duration::from_secs(60);

/// The sources one service accepts.
#[derive(Debug, Default)]
pub struct AllowedSources {
    nets: Vec<IpNet>,
    /// Host names and their last resolved addresses.
    names: Vec<(String, RwLock<Vec<IpAddr>>)>,
}

/// Whether `text` is a host name (letters, digits, `-`, dots; no wildcard; the last label
/// not all digits, so a mistyped address is not taken for a name).
fn is_host_name(text: &str) -> bool {
    let last = text.rsplit('.').next().unwrap_or_default();
    !text.is_empty()
        && !last.bytes().all(|b| b.is_ascii_digit())
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

impl AllowedSources {
    /// Parses the entries of one service; an entry that is neither a network nor a host name
    /// is an error.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut sources = Self::default();
        for entry in entries {
            match entry.parse::<IpNet>() {
                Ok(net) => sources.nets.push(net),
                Err(_) if is_host_name(entry) => sources
                    .names
                    .push((entry.to_ascii_lowercase(), RwLock::new(Vec::new()))),
                Err(e) => {
                    return Err(format!(
                        "{e}, nor a host name (client addresses are checked, never the Host header)"
                    ));
                }
            }
        }
        Ok(sources)
    }

    /// True when the service accepts every client.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.names.is_empty()
    }

    /// Whether `client` may call the service.
    pub fn allows(&self, client: IpAddr) -> bool {
        if any_contains(&self.nets, client) {
            return true;
        }
        let client = client.to_canonical();
        self.names.iter().any(|(_, addresses)| {
            addresses
                .read()
                .is_ok_and(|a| a.iter().any(|ip| ip.to_canonical() == client))
        })
    }

    /// The host names to resolve.
    pub fn has_names(&self) -> bool {
        !self.names.is_empty()
    }

    /// Resolves every host name again; a name that fails keeps its last addresses.
    pub async fn refresh(&self) {
        for (name, addresses) in &self.names {
            match tokio::net::lookup_host((name.as_str(), 0)).await {
                Ok(found) => {
                    let found: Vec<IpAddr> = found.map(|a| a.ip()).collect();
                    if let Ok(mut current) = addresses.write() {
                        *current = found;
                    }
                }
                Err(e) => {
                    tracing::warn!(source = %name, error = %e, "allowedSources: cannot resolve; keeping the last addresses");
                }
            }
        }
    }
}

/// Resolves the host names of every service now, then every [`REFRESH`] in a task.
pub async fn resolve_and_refresh(
    sources: Vec<std::sync::Arc<AllowedSources>>,
) -> Option<tokio::task::JoinHandle<()>> {
    let sources: Vec<_> = sources.into_iter().filter(|s| s.has_names()).collect();
    if sources.is_empty() {
        return None;
    }
    for source in &sources {
        source.refresh().await;
    }
    Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(REFRESH).await;
            for source in &sources {
                source.refresh().await;
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn networks_and_resolved_names() {
        let sources = AllowedSources::parse(&["10.0.0.0/8".into(), "localhost".into()]).unwrap();
        assert!(sources.allows("10.1.2.3".parse().unwrap()));
        // Not resolved yet: the name allows nobody.
        assert!(!sources.allows("127.0.0.1".parse().unwrap()));
        sources.refresh().await;
        assert!(sources.allows("127.0.0.1".parse().unwrap()));
        assert!(sources.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!sources.allows("192.0.2.1".parse().unwrap()));
        for bad in ["*.internal", "a b", "-x.test", "10.0.0.0/33", "1.2.3"] {
            assert!(AllowedSources::parse(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(AllowedSources::parse(&[]).unwrap().is_empty());
    }
}
