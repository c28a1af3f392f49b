//! Property: no spelling of an `x-mycelium-*` header a client sends reaches the service
//! behind the layer (any ASCII case, `-` or `_` at every separator), on a public and an
//! authenticated route; headers outside the namespace pass untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::convert::Infallible;
use std::sync::Arc;

use common::*;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use jsonwebtoken::Algorithm;
use myc_profile::SecurityGroup;
use myc_profile::headers as h;
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use proptest::prelude::*;
use tower::{Layer, ServiceExt};

const NAMES: [&str; 10] = [
    h::PROFILE,
    h::PROFILE_SIGNATURE,
    h::EMAIL,
    h::SECURITY_GROUP,
    h::SERVICE_NAME,
    h::REQUEST_ID,
    h::CONNECTION_STRING,
    h::TENANT_ID,
    h::ROLE,
    h::SCOPE,
];

/// `name` with each letter's case taken from `case` and each `-` turned into `_` by `seps`.
fn spell(name: &str, case: u64, seps: u64) -> String {
    let mut dash = 0;
    name.chars()
        .enumerate()
        .map(|(i, c)| match c {
            '-' => {
                dash += 1;
                if seps >> (dash - 1) & 1 == 1 {
                    '_'
                } else {
                    '-'
                }
            }
            c if case >> (i % 64) & 1 == 1 => c.to_ascii_uppercase(),
            c => c,
        })
        .collect()
}

fn authenticator() -> Arc<Authenticator> {
    let verifier = JwtVerifier::new().internal(InternalIssuer {
        issuer: INTERNAL_ISS.into(),
        audiences: vec![AUD.into()],
        keys: vec![LocalKey::hmac(Some("v1"), Algorithm::HS256, HMAC_SECRET).unwrap()],
    });
    Arc::new(Authenticator::new(verifier, Arc::new(Store::new())))
}

/// The headers the service behind a layer of `group` received for `headers`.
fn through(
    auth: &Arc<Authenticator>,
    group: SecurityGroup,
    headers: HeaderMap,
) -> (u16, HeaderMap) {
    let seen = Arc::new(std::sync::Mutex::new(HeaderMap::new()));
    let sink = seen.clone();
    let inner = tower::service_fn(move |request: Request<String>| {
        let sink = sink.clone();
        async move {
            *sink.lock().unwrap() = request.headers().clone();
            Ok::<_, Infallible>(Response::new(String::new()))
        }
    });
    let service = AuthLayer::new(auth.clone(), group).layer(inner);
    let mut request = Request::new(String::new());
    *request.headers_mut() = headers;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let response = runtime.block_on(service.oneshot(request)).unwrap();
    let seen = seen.lock().unwrap().clone();
    (response.status().as_u16(), seen)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_spelling_of_an_identity_header_reaches_the_service(
        which in 0..NAMES.len(),
        case in any::<u64>(),
        seps in any::<u64>(),
        authenticated in any::<bool>(),
        value in "[ -~]{0,40}",
        named_in_connection in any::<bool>(),
    ) {
        let auth = authenticator();
        let name = spell(NAMES[which], case, seps);
        let forged = format!("forged {value}");
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&forged).unwrap(),
        );
        headers.insert("x-myceliumish", HeaderValue::from_static("kept"));
        if named_in_connection {
            headers.insert("connection", HeaderValue::from_str(&format!("{name}, x-other")).unwrap());
        }
        let group = if authenticated {
            let token = mint(Algorithm::HS256, "hmac", Some("v1"), &claims(INTERNAL_ISS, "bob@example.com"));
            headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
            SecurityGroup::Authenticated
        } else {
            SecurityGroup::Public
        };
        let (status, seen) = through(&auth, group, headers);
        // The canonical tenant or connection-string header is read, not forwarded: a forged
        // value is refused (400, 401) and the service is never called.
        if status != 200 {
            prop_assert!(matches!(status, 400 | 401), "{}", status);
            prop_assert!(seen.is_empty());
            return Ok(());
        }
        for (seen_name, seen_value) in &seen {
            if h::is_mycelium_header(seen_name.as_str()) {
                prop_assert!(seen_value.as_bytes() != forged.as_bytes(), "{} reached the service", name);
            }
            if seen_name == "connection" {
                prop_assert!(!seen_value.to_str().unwrap().to_lowercase().contains("mycelium"));
            }
        }
        prop_assert_eq!(seen.get("x-myceliumish").map(|v| v.as_bytes()), Some(&b"kept"[..]));
    }
}

#[test]
fn spellings_cover_both_separators() {
    assert_eq!(spell("x-mycelium-email", 0, 0b11), "x_mycelium_email");
    assert_eq!(spell("x-mycelium-email", 1, 0b10), "X-mycelium_email");
}
