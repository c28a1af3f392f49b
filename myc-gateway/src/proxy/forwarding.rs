//! The headers a proxy rewrites: forwarding headers rebuilt from the client address (a
//! client's own `X-Forwarded-For` is never trusted; the rule is myc-tower's
//! [`client_addr`](myc_tower::client_addr)), and hop-by-hop headers removed.

use std::net::IpAddr;

use http::{HeaderMap, HeaderName, HeaderValue};
use myc_tower::client_addr::{
    IpNet, X_FORWARDED_FOR, any_contains, client_in_chain, forwarded_chain,
};

/// `X-Forwarded-Proto`.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// `X-Forwarded-Host`.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Real-IP`.
pub const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

/// Every header a client could forge the forwarding chain with.
const FORWARDING: [HeaderName; 5] = [
    X_FORWARDED_FOR,
    X_FORWARDED_PROTO,
    X_FORWARDED_HOST,
    http::header::FORWARDED,
    X_REAL_IP,
];

/// Hop-by-hop headers (RFC 9110 §7.6.1) besides the ones `Connection` names.
const HOP_BY_HOP: [HeaderName; 9] = [
    http::header::CONNECTION,
    http::header::TE,
    http::header::TRAILER,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    http::header::PROXY_AUTHENTICATE,
    http::header::PROXY_AUTHORIZATION,
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
];

/// Removes every header of `names` present in `headers`; one pass over the map when none is
/// (the common case), no allocation either way.
fn remove_all(headers: &mut HeaderMap, names: &[HeaderName]) {
    if headers.keys().any(|key| names.contains(key)) {
        for name in names {
            headers.remove(name);
        }
    }
}

/// Appends `n` in decimal.
fn push_u8(out: &mut Vec<u8>, n: u8) {
    if n >= 100 {
        out.push(b'0' + n / 100);
    }
    if n >= 10 {
        out.push(b'0' + n / 10 % 10);
    }
    out.push(b'0' + n % 10);
}

/// Appends `ip` in its usual text form (IPv4-mapped IPv6 addresses as IPv4), without the
/// formatting machinery for the IPv4 case every request of an IPv4 listener takes.
fn push_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            push_u8(out, a);
            out.push(b'.');
            push_u8(out, b);
            out.push(b'.');
            push_u8(out, c);
            out.push(b'.');
            push_u8(out, d);
        }
        IpAddr::V6(v6) => {
            use std::io::Write as _;
            let _ = write!(out, "{v6}");
        }
    }
}

/// A header value from bytes built here (always visible ASCII).
fn value(bytes: Vec<u8>) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(bytes::Bytes::from(bytes)).ok()
}

/// Rewrites `X-Forwarded-For`, `X-Forwarded-Proto`, `X-Forwarded-Host` and `Forwarded`
/// (and drops `X-Real-IP`): from an untrusted peer every client copy is dropped and the peer
/// starts the chain; from a trusted proxy its chain is kept and the peer appended. `host` is
/// the request's `Host`, reused as `X-Forwarded-Host` when it is a plain token.
pub fn rebuild_forwarding(
    headers: &mut HeaderMap,
    peer: IpAddr,
    trusted: &[IpNet],
    host: Option<&HeaderValue>,
) {
    let mut chain = Vec::with_capacity(48);
    let client = if any_contains(trusted, peer) {
        // The chain is kept (unreadable entries written as `unknown`); the client is the one
        // `client_ip` finds.
        let entries = forwarded_chain(headers);
        for entry in &entries {
            match entry {
                Some(ip) => push_ip(&mut chain, *ip),
                None => chain.extend_from_slice(b"unknown"),
            }
            chain.extend_from_slice(b", ");
        }
        client_in_chain(peer, &entries, trusted)
    } else {
        peer
    };
    push_ip(&mut chain, peer);
    remove_all(headers, &FORWARDING);
    if let Some(v) = value(chain) {
        headers.insert(X_FORWARDED_FOR, v);
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    let mut forwarded = Vec::with_capacity(64);
    forwarded.extend_from_slice(b"for=");
    match client.to_canonical() {
        IpAddr::V4(_) => push_ip(&mut forwarded, client),
        IpAddr::V6(_) => {
            forwarded.extend_from_slice(b"\"[");
            push_ip(&mut forwarded, client);
            forwarded.extend_from_slice(b"]\"");
        }
    }
    forwarded.extend_from_slice(b";proto=http");
    if let Some(host) = host.filter(|h| {
        h.as_bytes()
            .iter()
            .all(|b| b.is_ascii_graphic() && *b != b'"' && *b != b';')
    }) {
        forwarded.extend_from_slice(b";host=\"");
        forwarded.extend_from_slice(host.as_bytes());
        forwarded.push(b'"');
        headers.insert(X_FORWARDED_HOST, host.clone());
    }
    if let Some(v) = value(forwarded) {
        headers.insert(http::header::FORWARDED, v);
    }
}

/// Removes hop-by-hop headers (RFC 9110 §7.6.1), including every header `Connection` names.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if !headers.keys().any(|key| HOP_BY_HOP.contains(key)) {
        return;
    }
    let named: Vec<HeaderName> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| HeaderName::from_bytes(s.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    remove_all(headers, &HOP_BY_HOP);
}

#[cfg(test)]
mod tests {
    use super::*;
    use myc_tower::client_addr::{MAX_FORWARDED_ENTRIES, client_ip};

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn forged_forwarding_from_untrusted_peers_is_replaced() {
        let trusted = nets(&["10.0.0.0/8"]);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.1.1.1".parse().unwrap());
        h.insert("forwarded", "for=1.1.1.1".parse().unwrap());
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(client_ip(peer, &h, &trusted), peer);
        rebuild_forwarding(
            &mut h,
            peer,
            &trusted,
            Some(&HeaderValue::from_static("api.example.com")),
        );
        assert_eq!(h["x-forwarded-for"], "203.0.113.9");
        assert_eq!(
            h["forwarded"],
            "for=203.0.113.9;proto=http;host=\"api.example.com\""
        );

        // Through a trusted proxy: the rightmost untrusted entry is the client.
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "6.6.6.6, 198.51.100.7, 10.0.0.2".parse().unwrap(),
        );
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!(
            client_ip(peer, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        rebuild_forwarding(&mut h, peer, &trusted, None);
        assert_eq!(
            h["x-forwarded-for"],
            "6.6.6.6, 198.51.100.7, 10.0.0.2, 10.0.0.1"
        );
        assert_eq!(h["forwarded"], "for=198.51.100.7;proto=http");

        // `Forwarded: for=` names the client `client_ip` finds, whatever the chain.
        for (chain, client) in [
            (Some("10.0.0.3, 10.0.0.2"), "10.0.0.3"),
            (Some("junk, 10.0.0.2, 7.7.7.7, 10.9.9.9"), "7.7.7.7"),
            (Some("junk"), "10.0.0.1"),
            (None, "10.0.0.1"),
        ] {
            let mut h = HeaderMap::new();
            if let Some(chain) = chain {
                h.insert("x-forwarded-for", chain.parse().unwrap());
            }
            assert_eq!(client_ip(peer, &h, &trusted).to_string(), client);
            rebuild_forwarding(&mut h, peer, &trusted, None);
            assert_eq!(
                h["forwarded"],
                format!("for={client};proto=http"),
                "{chain:?}"
            );
        }
    }

    #[test]
    fn unreadable_entries_fail_closed() {
        // The gateway's own host is the trusted proxy; the route allows 10.9.9.9/32 only.
        let trusted = nets(&["127.0.0.0/8"]);
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        for (chain, client) in [
            // ip:port and bracketed forms are read, not skipped.
            ("10.9.9.9, 203.0.113.7:4444", "203.0.113.7"),
            ("10.9.9.9, [2001:db8::1]:443", "2001:db8::1"),
            ("10.9.9.9, [2001:db8::1]", "2001:db8::1"),
            ("10.9.9.9, 127.0.0.2:80", "10.9.9.9"),
            // Anything unreadable stops the walk at the last trusted hop.
            ("10.9.9.9, unknown", "127.0.0.1"),
            ("10.9.9.9, 203.0.113.7:99999", "127.0.0.1"),
            ("10.9.9.9, , 127.0.0.9", "127.0.0.9"),
            ("10.9.9.9, [2001:db8::1", "127.0.0.1"),
            ("10.9.9.9, _hidden, 127.0.0.3", "127.0.0.3"),
            ("10.9.9.9 203.0.113.7", "127.0.0.1"),
        ] {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", chain.parse().unwrap());
            assert_eq!(client_ip(peer, &h, &trusted).to_string(), client, "{chain}");
            rebuild_forwarding(&mut h, peer, &trusted, None);
            let expected = match client.parse::<IpAddr>().unwrap() {
                IpAddr::V4(_) => format!("for={client};proto=http"),
                IpAddr::V6(_) => format!("for=\"[{client}]\";proto=http"),
            };
            assert_eq!(h["forwarded"], expected.as_str(), "{chain}");
        }
        // Several field lines are one chain; a non-UTF-8 line is unreadable.
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "10.9.9.9".parse().unwrap());
        h.append("x-forwarded-for", HeaderValue::from_bytes(b"\xff").unwrap());
        assert_eq!(client_ip(peer, &h, &trusted), peer);
        // An over-long chain is cut from the left, and the cut counts as unreadable.
        let long = vec!["127.0.0.5"; MAX_FORWARDED_ENTRIES + 3].join(", ");
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            format!("10.9.9.9, {long}").parse().unwrap(),
        );
        assert_eq!(client_ip(peer, &h, &trusted).to_string(), "127.0.0.5");
    }

    #[test]
    fn addresses_as_text() {
        for (ip, text) in [
            ("0.0.0.0", "0.0.0.0"),
            ("203.0.113.9", "203.0.113.9"),
            ("10.200.5.255", "10.200.5.255"),
            ("::ffff:198.51.100.7", "198.51.100.7"),
            ("2001:db8::1", "2001:db8::1"),
        ] {
            let mut out = Vec::new();
            push_ip(&mut out, ip.parse().unwrap());
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
        let mut h = HeaderMap::new();
        rebuild_forwarding(&mut h, "2001:db8::1".parse().unwrap(), &[], None);
        assert_eq!(h["x-forwarded-for"], "2001:db8::1");
        assert_eq!(h["forwarded"], "for=\"[2001:db8::1]\";proto=http");
        assert!(!h.contains_key("x-forwarded-host"));
        // A Host that could break out of the quoted string is not repeated.
        let mut h = HeaderMap::new();
        h.insert("x-real-ip", "6.6.6.6".parse().unwrap());
        h.insert("x-forwarded-host", "evil".parse().unwrap());
        let host = HeaderValue::from_static("a\";for=6.6.6.6");
        rebuild_forwarding(&mut h, "192.0.2.1".parse().unwrap(), &[], Some(&host));
        assert_eq!(h["forwarded"], "for=192.0.2.1;proto=http");
        assert!(!h.contains_key("x-forwarded-host"));
        assert!(!h.contains_key("x-real-ip"));
    }

    #[test]
    fn hop_by_hop() {
        let mut h = HeaderMap::new();
        h.insert("connection", "keep-alive, X-Secret-Hop".parse().unwrap());
        h.insert("x-secret-hop", "1".parse().unwrap());
        h.insert("te", "trailers".parse().unwrap());
        h.insert("x-kept", "1".parse().unwrap());
        remove_hop_by_hop(&mut h);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("x-kept"));
    }
}
