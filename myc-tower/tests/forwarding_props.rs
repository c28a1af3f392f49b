//! Property tests of the client address derived from `X-Forwarded-For` through trusted
//! proxies: a forged entry to the left of anything unreadable is never believed, and every
//! address form a proxy writes is read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use http::{HeaderMap, HeaderValue};
use myc_tower::client_addr::{IpNet, client_ip, forwarded_entry};
use proptest::prelude::*;

/// One chain entry as text, and the address it stands for (`None`: unreadable).
#[derive(Clone, Debug)]
struct Entry {
    text: String,
    ip: Option<IpAddr>,
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        // Mostly inside or near the trusted 10.0.0.0/8, so chains mix trusted and not.
        (prop_oneof![Just(10u8), Just(203u8)], any::<[u8; 3]>())
            .prop_map(|(a, [b, c, d])| IpAddr::V4(Ipv4Addr::new(a, b, c, d))),
        any::<u128>().prop_map(|v| IpAddr::V6(Ipv6Addr::from(v))),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        4 => (ip(), proptest::option::of(any::<u16>()), any::<bool>()).prop_map(|(ip, port, bracket)| {
            let text = match (ip, port) {
                (IpAddr::V4(v4), Some(p)) => format!("{v4}:{p}"),
                (IpAddr::V6(v6), Some(p)) => format!("[{v6}]:{p}"),
                (IpAddr::V6(v6), None) if bracket => format!("[{v6}]"),
                (ip, None) => ip.to_string(),
            };
            Entry { text, ip: Some(ip) }
        }),
        1 => prop_oneof![
            Just("unknown".to_owned()),
            Just("_hidden".to_owned()),
            Just(String::new()),
            "[a-z0-9.:\\[\\] ]{1,12}",
            (ip(), 65536u32..999_999).prop_map(|(ip, p)| format!("{ip}:{p}")),
        ]
        .prop_filter_map("readable junk", |text| {
            forwarded_entry(&text).is_none().then_some(Entry { text, ip: None })
        }),
    ]
}

fn trusted() -> Vec<IpNet> {
    vec!["10.0.0.0/8".parse().unwrap()]
}

/// The rule, written out: right to left, skip trusted, stop at the unreadable.
fn expected(peer: IpAddr, chain: &[Entry]) -> IpAddr {
    let nets = trusted();
    let mut client = peer;
    for e in chain.iter().rev() {
        match e.ip {
            None => return client,
            Some(ip) if nets.iter().any(|n| n.contains(ip)) => client = ip,
            Some(ip) => return ip,
        }
    }
    client
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_client_is_never_left_of_an_unreadable_entry(
        chain in proptest::collection::vec(entry(), 0..12),
        split in any::<proptest::sample::Index>(),
    ) {
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let texts: Vec<&str> = chain.iter().map(|e| e.text.as_str()).collect();
        // One field line, or two (the same chain split across them).
        let mut headers = HeaderMap::new();
        let at = if chain.is_empty() { 0 } else { split.index(chain.len() + 1) };
        if at == 0 || at == chain.len() {
            headers.append("x-forwarded-for", HeaderValue::from_str(&texts.join(",")).unwrap());
        } else {
            headers.append("x-forwarded-for", HeaderValue::from_str(&texts[..at].join(",")).unwrap());
            headers.append("x-forwarded-for", HeaderValue::from_str(&texts[at..].join(",")).unwrap());
        }
        let client = client_ip(peer, &headers, &trusted());
        prop_assert_eq!(client, expected(peer, &chain));
        // Whatever is left of the rightmost unreadable entry is never the client.
        if let Some(last_bad) = chain.iter().rposition(|e| e.ip.is_none()) {
            let right: Vec<IpAddr> = chain[last_bad..].iter().filter_map(|e| e.ip).collect();
            prop_assert!(client == peer || right.contains(&client));
        }
        // An untrusted peer's chain is never read.
        let outsider: IpAddr = "198.51.100.1".parse().unwrap();
        prop_assert_eq!(client_ip(outsider, &headers, &trusted()), outsider);
    }

    #[test]
    fn every_address_form_is_read(ip in ip(), port in any::<u16>()) {
        let forms = match ip {
            IpAddr::V4(v4) => vec![v4.to_string(), format!("{v4}:{port}"), format!(" {v4}:{port} ")],
            IpAddr::V6(v6) => vec![v6.to_string(), format!("[{v6}]"), format!("[{v6}]:{port}")],
        };
        for form in forms {
            prop_assert_eq!(forwarded_entry(&form), Some(ip), "{}", form);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
        let _ = forwarded_entry(&text);
    }
}
