//! Go compatibility of the token format, checked with an independent implementation (Python's
//! hashlib and json): the `jti` nats-io/jwt would compute (SHA-512/256 of the JSON of the
//! standard claims with Go's HTML escaping, base32 without padding), the exact header, and
//! unpadded base64url segments.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use myc_natsauth::claims::{Account, Claims, User};
use myc_natsauth::{KeyKind, Nkey, jwt};

const GO_JTI: &str = r#"
import base64, hashlib, json, sys
for line in sys.stdin:
    payload = json.loads(line)
    std = {}
    # Go's ClaimsData field order; every field is omitempty and jti is empty when hashed.
    for key in ["aud", "exp", "iat", "iss", "name", "nbf", "sub"]:
        value = payload.get(key)
        if value not in (None, "", 0):
            std[key] = value
    text = json.dumps(std, separators=(",", ":"), ensure_ascii=False)
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, esc)
    digest = hashlib.new("sha512_256", text.encode("utf-8")).digest()
    print(base64.b32encode(digest).decode().rstrip("=") + " " + payload["jti"])
"#;

#[test]
fn jti_matches_an_independent_go_style_computation() {
    let account = Nkey::generate(KeyKind::Account).unwrap();
    let operator = Nkey::generate(KeyKind::Operator).unwrap();
    let mut tokens = Vec::new();
    for (i, name) in [
        "plain",
        "a<b>&c",
        "ação ✓",
        "quote\"back\\slash",
        "line\u{2028}sep",
    ]
    .iter()
    .enumerate()
    {
        let user = Nkey::generate(KeyKind::User).unwrap();
        let mut claims = Claims::new(user.public_key(), *name, User::default());
        claims.exp = if i % 2 == 0 { 0 } else { 1_900_000_000 };
        claims.aud = if i == 3 {
            "server".into()
        } else {
            String::new()
        };
        tokens.push(claims.encode(&account).unwrap());
    }
    tokens.push(
        Claims::new(account.public_key(), "ACC <&>", Account::default())
            .encode(&operator)
            .unwrap(),
    );

    let mut child = Command::new(std::env::var("PYTHON").unwrap_or_else(|_| "python3".into()))
        .args(["-c", GO_JTI])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required (scripts/setup installs it)");
    {
        let mut stdin = child.stdin.take().unwrap();
        for token in &tokens {
            assert!(token.starts_with(&format!("{}.", jwt::HEADER)));
            assert!(!token.contains('='), "segments are unpadded");
            let payload = URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap();
            stdin.write_all(&payload).unwrap();
            stdin.write_all(b"\n").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines = String::from_utf8(out.stdout).unwrap();
    assert_eq!(lines.lines().count(), tokens.len());
    for line in lines.lines() {
        let (expected, ours) = line.split_once(' ').unwrap();
        assert_eq!(ours, expected, "jti differs from the Go-style computation");
        assert_eq!(ours.len(), 52);
    }
    // The header is exactly Go's.
    assert_eq!(
        URL_SAFE_NO_PAD.decode(jwt::HEADER).unwrap(),
        br#"{"typ":"JWT","alg":"ed25519-nkey"}"#
    );
}
