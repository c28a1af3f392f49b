//! Client addresses through trusted proxies: networks, `X-Forwarded-For` entries and chains.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName};

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// An IP network (`10.0.0.0/8`, `::1/128`, or a bare address): [`ipnet::IpNet`], with
/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) matched as the IPv4 address they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet(ipnet::IpNet);

/// Why text is not an [`IpNet`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidNetwork {
    /// An address with a prefix length out of range or not a number.
    #[error("{0:?} has an invalid prefix length")]
    Prefix(String),
    /// Neither an address nor a CIDR (host names are not networks).
    #[error("{0:?} is not an IP address or CIDR")]
    Address(String),
}

impl std::str::FromStr for IpNet {
    type Err = InvalidNetwork;

    fn from_str(text: &str) -> Result<Self, InvalidNetwork> {
        let trimmed = text.trim();
        if trimmed.contains('/') {
            trimmed.parse::<ipnet::IpNet>().map(Self).map_err(|_| {
                if trimmed
                    .split_once('/')
                    .is_some_and(|(a, _)| a.parse::<IpAddr>().is_ok())
                {
                    InvalidNetwork::Prefix(text.to_owned())
                } else {
                    InvalidNetwork::Address(text.to_owned())
                }
            })
        } else {
            trimmed
                .parse::<IpAddr>()
                .map(|addr| Self(addr.into()))
                .map_err(|_| InvalidNetwork::Address(text.to_owned()))
        }
    }
}

impl IpNet {
    /// Whether `ip` is inside (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

/// Whether any network of `nets` contains `ip`.
pub fn any_contains(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(ip))
}

/// One `X-Forwarded-For` entry's address: a bare address, an IPv4 address with a port
/// (`203.0.113.7:4444`), or a bracketed IPv6 address with or without one (`[2001:db8::1]`,
/// `[2001:db8::1]:443`). `None` for anything else (`unknown`, obfuscated identifiers, junk).
///
/// ```
/// use myc_tower::client_addr::forwarded_entry;
/// assert_eq!(forwarded_entry(" 203.0.113.7:4444").unwrap().to_string(), "203.0.113.7");
/// assert_eq!(forwarded_entry("[2001:db8::1]:443").unwrap().to_string(), "2001:db8::1");
/// assert!(forwarded_entry("unknown").is_none());
/// assert!(forwarded_entry("203.0.113.7:99999").is_none());
/// ```
pub fn forwarded_entry(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    let port = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        let ip = addr.parse::<std::net::Ipv6Addr>().ok()?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(port))
            .then_some(IpAddr::V6(ip));
    }
    let (addr, p) = text.split_once(':')?;
    let ip = addr.parse::<std::net::Ipv4Addr>().ok()?;
    port(p).then_some(IpAddr::V4(ip))
}

/// At most this many `X-Forwarded-For` entries are read; a longer chain counts as unreadable
/// past that point.
pub const MAX_FORWARDED_ENTRIES: usize = 64;

/// The `X-Forwarded-For` entries of `headers` in order (every field line, comma-separated),
/// each parsed by [`forwarded_entry`]; an unreadable field line is one `None`.
pub fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let mut chain = Vec::new();
    for value in headers.get_all(&X_FORWARDED_FOR) {
        match value.to_str() {
            Ok(text) => chain.extend(text.split(',').map(forwarded_entry)),
            Err(_) => chain.push(None),
        }
    }
    if chain.len() > MAX_FORWARDED_ENTRIES {
        // Keep the rightmost entries (the trusted hops' own); what is cut is unreadable.
        let cut = chain.len() - MAX_FORWARDED_ENTRIES;
        chain.drain(..cut);
        chain.insert(0, None);
    }
    chain
}

/// The client in a chain received from the trusted `peer`: walking from the right, the first
/// entry outside the trusted networks. An entry that does not parse stops the walk (fail
/// closed): the request is then from the last trusted hop seen, never from an entry further
/// left, which anybody could have written. A chain of trusted hops only ends at its leftmost.
pub fn client_in_chain(peer: IpAddr, chain: &[Option<IpAddr>], trusted: &[IpNet]) -> IpAddr {
    let mut client = peer;
    for entry in chain.iter().rev() {
        match entry {
            None => return client,
            Some(ip) if any_contains(trusted, *ip) => client = *ip,
            Some(ip) => return *ip,
        }
    }
    client
}

/// The client address: the peer, or, when the peer is a trusted proxy, what its
/// `X-Forwarded-For` chain says (see [`forwarded_entry`] for the forms read, and the [module docs](super)
/// for the rule).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !any_contains(trusted, peer) {
        return peer;
    }
    client_in_chain(peer, &forwarded_chain(headers), trusted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cidrs() {
        let n: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains("10.1.2.3".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.0.0.1".parse().unwrap()));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(
            "fd00::/8"
                .parse::<IpNet>()
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "host.internal", "*.internal", "1.2.3.4/x"] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn network_errors_are_typed() {
        assert_eq!(
            "10.0.0.0/33".parse::<IpNet>(),
            Err(InvalidNetwork::Prefix("10.0.0.0/33".into()))
        );
        assert_eq!(
            "host.internal".parse::<IpNet>(),
            Err(InvalidNetwork::Address("host.internal".into()))
        );
    }
}
