//! Delivery signatures as the Standard Webhooks specification writes them: the signed content
//! is `{webhook-id}.{webhook-timestamp}.{body}`, the signature `v1,` + base64 HMAC-SHA256 with
//! the secret (`whsec_` + base64 of the key). A receiver verifies with [`verify`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The MAC over the signed content (HMAC takes keys of any length: `None` is not reached).
fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(mac)
}

/// The `webhook-signature` value of `body` sent as delivery `id` at `timestamp` (Unix
/// seconds) with `key`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let tag = mac(key, id, timestamp, body)?.finalize().into_bytes();
    Some(format!("v1,{}", STANDARD.encode(tag)))
}

/// Whether `header` (a `webhook-signature` value: space-separated `v1,<base64>` entries)
/// holds a valid signature of `body` as delivery `id` at `timestamp` with `secret`
/// (`whsec_…` or the bare base64 key), in constant time per entry.
pub fn verify(secret: &str, id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
    let Ok(key) = STANDARD.decode(encoded) else {
        return false;
    };
    header.split(' ').any(|entry| {
        let Some(given) = entry.strip_prefix("v1,") else {
            return false;
        };
        let Ok(given) = STANDARD.decode(given) else {
            return false;
        };
        mac(&key, id, timestamp, body).is_some_and(|m| m.verify_slice(&given).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's published example.
    #[test]
    fn standard_webhooks_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let sig = signature(&key, id, 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verify(
            secret,
            id,
            1614265330,
            body,
            &format!("v1,bogus {sig}")
        ));
        assert!(!verify(secret, id, 1614265331, body, &sig));
        assert!(!verify(secret, id, 1614265330, b"{}", &sig));
        assert!(!verify("whsec_AAAA", id, 1614265330, body, &sig));
    }
}
