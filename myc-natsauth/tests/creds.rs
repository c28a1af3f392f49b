//! Creds files: the exact Go layout, robust parsing, and refusal of mismatched or foreign seeds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use myc_natsauth::claims::{Claims, User};
use myc_natsauth::creds::{self, Creds, CredsError};
use myc_natsauth::{Error, KeyKind, Nkey};

fn user_jwt() -> (Nkey, String) {
    let account = Nkey::generate(KeyKind::Account).unwrap();
    let user = Nkey::generate(KeyKind::User).unwrap();
    let token = Claims::new(user.public_key(), "u", User::default())
        .encode(&account)
        .unwrap();
    (user, token)
}

#[test]
fn exact_layout() {
    let (user, token) = user_jwt();
    let text = creds::format(&token, &user.seed().unwrap());
    let expected = format!(
        "-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\nNKEYs are sensitive and should be treated as secrets.\n\n-----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n\n*************************************************************\n",
        user.seed().unwrap().as_str()
    );
    assert_eq!(text.as_str(), expected);
    let parsed = Creds::parse(&text).unwrap();
    assert_eq!(parsed.jwt, token);
    assert_eq!(parsed.user_key().unwrap().public_key(), user.public_key());
    assert!(!format!("{parsed:?}").contains(user.seed().unwrap().as_str()));
}

#[test]
fn crlf_and_whitespace_are_tolerated() {
    let (user, token) = user_jwt();
    let text = creds::format(&token, &user.seed().unwrap());
    let crlf = text.replace('\n', "\r\n");
    assert_eq!(Creds::parse(&crlf).unwrap().jwt, token);
    let spaced = text
        .replace(&token, &format!("   {token}\t"))
        .replace("-----BEGIN USER", "\n\n  -----BEGIN USER");
    assert_eq!(Creds::parse(&spaced).unwrap().jwt, token);
    // Without the decoration, just the two framed blocks.
    let minimal = format!(
        "---JWT---\n{token}\n------\n---SEED---\n{}\n------\n",
        user.seed().unwrap().as_str()
    );
    assert_eq!(Creds::parse(&minimal).unwrap().jwt, token);
}

#[test]
fn mismatches_and_garbage_are_errors() {
    let (user, token) = user_jwt();
    let (other, _) = user_jwt();
    let refusal = |text: &str| match Creds::parse(text) {
        Err(Error::Creds(why)) => why,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        refusal(&creds::format(&token, &other.seed().unwrap())),
        CredsError::SeedNotSubject,
        "seed of another user"
    );
    let account = Nkey::generate(KeyKind::Account).unwrap();
    assert_eq!(
        refusal(&creds::format(&token, &account.seed().unwrap())),
        CredsError::NotUserSeed
    );
    let tampered = token.replacen('e', "f", 1);
    assert!(
        matches!(
            refusal(&creds::format(&tampered, &user.seed().unwrap())),
            CredsError::Jwt(_)
        ),
        "tampered JWT"
    );
    for text in ["", "hello", "-----BEGIN NATS USER JWT-----\n", &token] {
        assert_eq!(refusal(text), CredsError::Blocks, "{text:?}");
    }
}

#[test]
fn written_with_mode_0600() {
    let dir = myc_testkit::nats::TempDir::new("creds").unwrap();
    let (user, token) = user_jwt();
    let path = dir.path().join("svc.creds");
    creds::write(&path, &token, &user).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert_eq!(Creds::read(&path).unwrap().jwt, token);
    // Rewriting replaces atomically and keeps 0600.
    creds::write(&path, &token, &user).unwrap();
    let seed_path = dir.path().join("user.nk");
    user.write_seed_file(&seed_path).unwrap();
    assert!(
        user.write_seed_file(&seed_path).is_err(),
        "seed files are never overwritten"
    );
    assert_eq!(
        Nkey::from_seed_file(KeyKind::User, &seed_path)
            .unwrap()
            .public_key(),
        user.public_key()
    );
}
