//! The magic-link use cases on both stores: the message sealed in the outbox carries a link
//! whose code shows once and works once; five wrong codes kill a link; an address without
//! an account gets a link too (sign-up); a link opens only for its own address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use myc_directory::login::totp::{Totp, TotpError, code_at};
use myc_directory::login::{LoginError, MagicLinkSettings, MagicLinks, Stage, TokenMinter};
use myc_directory::mail::MailKeys;
use myc_directory::mail::templates::Sender;
use myc_directory::store::SqlStore;

fn links(store: &SqlStore, master: Arc<myc_crypto::MasterKey>) -> MagicLinks {
    links_with(store, master, 100, 100)
}

fn links_with(
    store: &SqlStore,
    master: Arc<myc_crypto::MasterKey>,
    per_address: u32,
    per_client: u32,
) -> MagicLinks {
    let mint: TokenMinter = Arc::new(|email: &str, stage: Stage| {
        let kind = if stage == Stage::TotpPending {
            "pending"
        } else {
            "jwt"
        };
        Ok((format!("{kind}-for-{email}"), Duration::from_secs(60)))
    });
    let settings = MagicLinkSettings {
        public_url: "https://id.example.com/".into(),
        sender: Sender {
            domain_name: "Acme".into(),
            domain_url: "https://acme.example".into(),
            locale: "pt-BR".into(),
        },
        lifetime: Duration::from_secs(600),
        per_address,
        per_client,
        window: Duration::from_secs(60),
    };
    let totp = Totp::new(store.clone(), master.clone(), "Acme".into());
    MagicLinks::new(store.clone(), master, settings, mint, Some(totp))
}

/// The newest mailed one-use code to `to` (the word after the message's first line).
async fn code_for(store: &SqlStore, keys: &MailKeys, to: &str, subject: &str) -> String {
    for _ in 0..100 {
        let now = chrono::Utc::now();
        let due = store
            .claim_due_mail(now, now + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
        if let Some(mail) = due
            .into_iter()
            .find(|m| m.recipient == to && m.subject.contains(subject))
        {
            let opened = keys
                .open(mail.id, &mail.recipient, &mail.subject, &mail.body)
                .unwrap();
            return opened.text.split("\n\n").nth(1).unwrap().trim().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no {subject} message to {to}");
}

/// Register, activate, log in, lock out, reset.
async fn passwords(store: &SqlStore) {
    use myc_directory::login::passwords::{HashCost, PasswordError, PasswordSettings, Passwords};
    let master = master_of();
    let keys = MailKeys::new(master.clone());
    let mint: TokenMinter =
        Arc::new(|email: &str, _: Stage| Ok((format!("jwt-for-{email}"), Duration::from_secs(60))));
    let settings = PasswordSettings {
        public_url: "https://id.example.com".into(),
        sender: Sender {
            domain_name: "Acme".into(),
            domain_url: "https://acme.example".into(),
            locale: "en-US".into(),
        },
        lifetime: Duration::from_secs(600),
        // Cheap for tests; the default is 19 MiB × 2.
        cost: HashCost {
            memory_kib: 256,
            passes: 1,
        },
    };
    let pw = Passwords::new(store.clone(), master, settings, mint, None).unwrap();
    let email = "pat@example.com";
    assert!(matches!(
        pw.register(email, "short").await,
        Err(PasswordError::Weak)
    ));
    pw.register(email, "correct horse battery").await.unwrap();
    // A second registration answers the same and mails nothing new.
    pw.register(email, "another long password").await.unwrap();
    assert!(
        matches!(
            pw.login(email, "correct horse battery").await,
            Err(PasswordError::Invalid)
        ),
        "inactive"
    );
    let code = code_for(store, &keys, email, "Activate").await;
    assert!(matches!(
        pw.activate("eve@example.com", &code).await,
        Err(PasswordError::InvalidCode)
    ));
    pw.activate(email, &code).await.unwrap();
    assert!(
        matches!(
            pw.activate(email, &code).await,
            Err(PasswordError::InvalidCode)
        ),
        "once"
    );
    assert_eq!(
        pw.login("PAT@example.com", "correct horse battery")
            .await
            .unwrap()
            .token,
        "jwt-for-pat@example.com"
    );
    assert!(matches!(
        pw.login("nobody@example.com", "correct horse battery")
            .await,
        Err(PasswordError::Invalid)
    ));
    for _ in 0..5 {
        assert!(matches!(
            pw.login(email, "wrong password!").await,
            Err(PasswordError::Invalid)
        ));
    }
    assert!(matches!(
        pw.login(email, "correct horse battery").await,
        Err(PasswordError::Locked)
    ));
    // An unknown address answers alike, lockout included (the first try was above).
    for _ in 0..4 {
        assert!(matches!(
            pw.login("nobody@example.com", "wrong password!").await,
            Err(PasswordError::Invalid)
        ));
    }
    assert!(matches!(
        pw.login("nobody@example.com", "correct horse battery")
            .await,
        Err(PasswordError::Locked)
    ));
    // A reset sets a new password (and unlocks).
    pw.start_reset(email).await.unwrap();
    pw.start_reset("nobody@example.com").await.unwrap();
    let code = code_for(store, &keys, email, "Reset").await;
    assert!(matches!(
        pw.finish_reset(email, &code, "tiny").await,
        Err(PasswordError::Weak)
    ));
    pw.finish_reset(email, &code, "a brand new password")
        .await
        .unwrap();
    code_for(store, &keys, email, "password was changed").await;
    assert!(pw.login(email, "a brand new password").await.is_ok());
    assert!(pw.login(email, "correct horse battery").await.is_err());
    // A flood of logins (hashes queue, one per CPU at a time): every answer still right.
    let mut flood = tokio::task::JoinSet::new();
    for n in 0..24 {
        let pw = pw.clone();
        flood.spawn(async move {
            // Three tries of pat's at most in flight (with the wrong one above: four), under
            // the lockout whatever the order; the others are unknown addresses.
            let who = format!("nobody{n}@example.com");
            let (who, password) = match n {
                0 | 3 => (email.to_owned(), "a brand new password"),
                2 => (email.to_owned(), "not the password at all"),
                _ => (who, "a brand new password"),
            };
            (n == 0 || n == 3, pw.login(&who, password).await.is_ok())
        });
    }
    let answers = flood.join_all().await;
    assert!(answers.iter().all(|(right, ok)| right == ok), "{answers:?}");
    assert!(
        store
            .password(email)
            .await
            .unwrap()
            .unwrap()
            .hash
            .starts_with("$argon2id$")
    );
}

/// The link of the newest message to `to` (waits for the background work of `request`).
async fn link_for(store: &SqlStore, keys: &MailKeys, to: &str) -> (String, String) {
    for _ in 0..100 {
        let now = chrono::Utc::now();
        let due = store
            .claim_due_mail(now, now + chrono::Duration::seconds(60), 10)
            .await
            .unwrap();
        if let Some(mail) = due.into_iter().find(|m| m.recipient == to) {
            let opened = keys
                .open(mail.id, &mail.recipient, &mail.subject, &mail.body)
                .unwrap();
            assert_eq!(opened.subject, "Seu acesso a Acme");
            let start = opened.text.find("https://").unwrap();
            let link = opened.text[start..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_owned();
            assert!(
                link.starts_with("https://id.example.com/_adm/beginners/users/magic-link/display?")
            );
            let query: std::collections::HashMap<String, String> =
                form_urlencoded::parse(link.split_once('?').unwrap().1.as_bytes())
                    .into_owned()
                    .collect();
            return (query["email"].clone(), query["token"].clone());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no message to {to}");
}

/// Two replicas on one store share the limits, exactly, also when racing.
async fn replicas_share_the_rate_limits(store: &SqlStore) {
    use std::net::IpAddr;
    let master = Arc::new(myc_crypto::MasterKey::from_bytes(&[9; 32]).unwrap());
    let a = links_with(store, master.clone(), 3, 5);
    let b = links_with(store, master.clone(), 3, 5);
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    a.request("lim@example.com", Some(ip)).await.unwrap();
    b.request("LIM@example.com", Some(ip)).await.unwrap();
    a.request("lim@example.com", Some(ip)).await.unwrap();
    assert!(matches!(
        b.request("lim@example.com", Some(ip)).await,
        Err(LoginError::RateLimited)
    ));
    // The client's fifth request passes, its sixth does not, whatever the address.
    b.request("other@example.com", Some(ip)).await.unwrap();
    assert!(matches!(
        a.request("third@example.com", Some(ip)).await,
        Err(LoginError::RateLimited)
    ));
    a.request("fresh@example.com", Some("198.51.100.1".parse().unwrap()))
        .await
        .unwrap();
    // Twelve requests racing on both replicas for one address: exactly three pass.
    let mut racing = tokio::task::JoinSet::new();
    for n in 0..12u8 {
        let replica = if n % 2 == 0 { a.clone() } else { b.clone() };
        let ip: IpAddr = format!("192.0.2.{}", n + 1).parse().unwrap();
        racing.spawn(async move { replica.request("race@example.com", Some(ip)).await });
    }
    let passed = racing
        .join_all()
        .await
        .into_iter()
        .filter(Result::is_ok)
        .count();
    assert_eq!(passed, 3);
}

/// Codes are counted per address over all its links: past the cap even the right code of a
/// fresh link is refused, for that address only.
async fn guessing_is_capped_per_address(store: &SqlStore) {
    use myc_directory::login::MAX_CODES_PER_WINDOW;
    let master = master_of();
    let keys = MailKeys::new(master.clone());
    let links = links(store, master);
    for _ in 0..MAX_CODES_PER_WINDOW {
        assert!(matches!(
            links.verify("vic@example.com", "000000x").await,
            Err(LoginError::InvalidCode)
        ));
    }
    links.request("vic@example.com", None).await.unwrap();
    let (email, token) = link_for(store, &keys, "vic@example.com").await;
    let code = links.reveal(&email, &token).await.unwrap();
    assert!(matches!(
        links.verify("vic@example.com", &code).await,
        Err(LoginError::RateLimited)
    ));
    links.request("val@example.com", None).await.unwrap();
    let (email, token) = link_for(store, &keys, "val@example.com").await;
    let code = links.reveal(&email, &token).await.unwrap();
    assert!(links.verify("val@example.com", &code).await.is_ok());
}

async fn journey(store: SqlStore) {
    replicas_share_the_rate_limits(&store).await;
    guessing_is_capped_per_address(&store).await;
    use myc_directory::store::Store;
    store
        .create_account(myc_directory::store::NewAccount::user("ada@example.com"))
        .await
        .unwrap();
    let master = Arc::new(myc_crypto::MasterKey::from_bytes(&[9; 32]).unwrap());
    let keys = MailKeys::new(master.clone());
    let links = links(&store, master);
    links.request("nobody@example.com", None).await.unwrap();
    links.request("ADA@example.com", None).await.unwrap();
    let (email, token) = link_for(&store, &keys, "ada@example.com").await;
    // A new person gets a link too (signing up is logging in).
    let mut queued = 0;
    for _ in 0..100 {
        queued = store.mail_status("nobody@example.com").await.unwrap().len();
        if queued == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(queued, 1);
    assert!(matches!(
        links.reveal("eve@example.com", &token).await,
        Err(LoginError::InvalidLink)
    ));
    let code = links.reveal(&email, &token).await.unwrap();
    assert!(matches!(
        links.reveal(&email, &token).await,
        Err(LoginError::InvalidLink)
    ));
    let answer = links.verify("ada@example.com", &code).await.unwrap();
    assert_eq!(answer.token, "jwt-for-ada@example.com");
    assert!(matches!(
        links.verify("ada@example.com", &code).await,
        Err(LoginError::InvalidCode)
    ));
    // Five wrong codes kill the link: the right one is refused afterwards.
    links.request("ada@example.com", None).await.unwrap();
    let (email, token) = link_for(&store, &keys, "ada@example.com").await;
    let code = links.reveal(&email, &token).await.unwrap();
    let wrong = if *code == "123456" {
        "654321"
    } else {
        "123456"
    };
    for _ in 0..5 {
        assert!(links.verify(&email, wrong).await.is_err());
    }
    assert!(matches!(
        links.verify(&email, &code).await,
        Err(LoginError::InvalidCode)
    ));
    totp_factor(&store, master_of()).await;
    passwords(&store).await;
    notices(&store).await;
    store.close().await;
}

/// Turning TOTP on and off is told to the person by mail (last: it claims the outbox).
async fn notices(store: &SqlStore) {
    use myc_directory::mail::notices::Notices;
    let master = master_of();
    let keys = MailKeys::new(master.clone());
    let sender = Sender {
        domain_name: "Acme".into(),
        domain_url: "https://acme.example".into(),
        locale: "en-US".into(),
    };
    let totp = Totp::new(store.clone(), master, "Acme".into())
        .with_notices(Notices::new(keys.clone(), sender));
    let email = "dan@example.com";
    let url = totp.start(email).await.unwrap();
    let secret = secret_of(&url);
    assert!(
        store.mail_status(email).await.unwrap().is_empty(),
        "nothing on start"
    );
    let now = step();
    totp.finish(email, &code_at(&secret, now)).await.unwrap();
    code_for(store, &keys, email, "turned on").await;
    // A wrong code changes nothing and tells nothing.
    assert!(totp.disable(email, "000000x").await.is_err());
    assert_eq!(store.mail_status(email).await.unwrap().len(), 1);
    totp.disable(email, &code_at(&secret, now + 1))
        .await
        .unwrap();
    code_for(store, &keys, email, "turned off").await;
}

/// The key an authenticator app reads from an otpauth URL.
fn secret_of(url: &str) -> Vec<u8> {
    let secret = url
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap()
}

fn master_of() -> Arc<myc_crypto::MasterKey> {
    Arc::new(myc_crypto::MasterKey::from_bytes(&[9; 32]).unwrap())
}

fn step() -> u64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    secs / myc_directory::login::totp::PERIOD
}

/// Enrolment, a login that needs the code, replays, the lockout.
async fn totp_factor(store: &SqlStore, master: Arc<myc_crypto::MasterKey>) {
    let totp = Totp::new(store.clone(), master.clone(), "Acme".into());
    let email = "ada@example.com";
    assert!(matches!(
        totp.check(email, "000000").await,
        Err(TotpError::NotEnabled)
    ));
    let url = totp.start(email).await.unwrap();
    assert!(
        url.starts_with("otpauth://totp/Acme:ada%40example%2Ecom?secret="),
        "{}",
        *url
    );
    let secret = secret_of(&url);
    assert!(!totp.enabled(email).await.unwrap());
    totp.finish(email, &code_at(&secret, step())).await.unwrap();
    assert!(totp.enabled(email).await.unwrap());
    assert!(matches!(
        totp.start(email).await,
        Err(TotpError::AlreadyEnabled)
    ));
    // The code of a step already taken is refused; the next step's passes once.
    assert!(matches!(
        totp.check(email, &code_at(&secret, step())).await,
        Err(TotpError::InvalidCode)
    ));
    totp.check(email, &code_at(&secret, step() + 1))
        .await
        .unwrap();
    assert!(
        totp.check(email, &code_at(&secret, step() + 1))
            .await
            .is_err()
    );
    // A magic-link login now ends half-way: a pending token, TOTP required.
    let links = links(store, master);
    let keys = MailKeys::new(master_of());
    links.request(email, None).await.unwrap();
    let (address, token) = link_for(store, &keys, email).await;
    let code = links.reveal(&address, &token).await.unwrap();
    let answer = links.verify(email, &code).await.unwrap();
    assert!(answer.totp_required);
    assert_eq!(answer.token, "pending-for-ada@example.com");
    // Five wrong codes in a row (the replay above was the first) lock the factor, even
    // against a right one.
    for _ in 0..4 {
        assert!(matches!(
            totp.check(email, "999999x").await,
            Err(TotpError::InvalidCode)
        ));
    }
    assert!(matches!(
        totp.check(email, &code_at(&secret, step() + 1)).await,
        Err(TotpError::Locked)
    ));
    assert!(matches!(
        totp.disable(email, "1").await,
        Err(TotpError::Locked)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_magic_links() {
    let dir = std::env::temp_dir().join(format!("myc-login-{}", uuid::Uuid::new_v4().simple()));
    let settings = myc_directory::store::StoreSettings {
        location: myc_directory::store::StoreLocation::Sqlite(dir.join("db.sqlite3")),
        max_connections: 4,
    };
    journey(SqlStore::open(&settings).await.unwrap()).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_magic_links() {
    let schema = myc_testkit::db::PgSchema::create().await;
    journey(SqlStore::connect(&schema.url, 4).await.unwrap()).await;
    schema.drop_schema().await;
}
