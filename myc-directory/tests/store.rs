//! The identity store's contract, run unchanged on SQLite (a file in a fresh data directory)
//! and on the machine's PostgreSQL (a fresh schema per test; `MYC_TEST_DATABASE_URL`,
//! default `postgres://postgres:postgres@127.0.0.1:5432/test`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use myc_directory::store::{
    DirectoryFile, Error, NewAccount, NewConnectionString, SqlStore, Store, StoreLocation,
    StoreSettings,
};
use myc_profile::Permission;
use myc_tower::resolver::{
    ConnectionStringStore, ProfileQuery, ProfileResolver, connection_string_hash,
};
use uuid::Uuid;

/// A store and how to clean it up.
struct Fixture {
    store: SqlStore,
    /// How to open another store on the same database (a second replica).
    reopen: Reopen,
    cleanup: Cleanup,
}

enum Reopen {
    Settings(StoreSettings),
    Url(String),
}

enum Cleanup {
    Dir(PathBuf),
    Schema(myc_testkit::db::PgSchema),
}

impl Fixture {
    async fn reopen(&self) -> SqlStore {
        match &self.reopen {
            Reopen::Settings(settings) => SqlStore::open(settings).await.unwrap(),
            Reopen::Url(url) => SqlStore::connect(url, 4).await.unwrap(),
        }
    }

    async fn finish(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Dir(dir) => std::fs::remove_dir_all(dir).unwrap(),
            Cleanup::Schema(schema) => schema.drop_schema().await,
        }
    }
}

async fn sqlite() -> Fixture {
    let dir = std::env::temp_dir().join(format!("myc-store-{}", Uuid::new_v4().simple()));
    let settings = StoreSettings {
        location: StoreLocation::Sqlite(dir.join("data").join("myc-gateway.sqlite3")),
        max_connections: 4,
    };
    let store = SqlStore::open(&settings).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.join("data")), 0o700);
        assert_eq!(mode(dir.join("data").join("myc-gateway.sqlite3")), 0o600);
    }
    Fixture {
        store,
        reopen: Reopen::Settings(settings),
        cleanup: Cleanup::Dir(dir),
    }
}

async fn postgres() -> Fixture {
    let schema = myc_testkit::db::PgSchema::create().await;
    let store = SqlStore::connect(&schema.url, 4).await.unwrap();
    Fixture {
        store,
        reopen: Reopen::Url(schema.url.clone()),
        cleanup: Cleanup::Schema(schema),
    }
}

async fn migrations_are_idempotent(f: &Fixture) {
    // Opening is a Send future: it can run on a spawned task.
    let spawned = match &f.reopen {
        Reopen::Settings(settings) => {
            let settings = settings.clone();
            tokio::spawn(async move { SqlStore::open(&settings).await }).await
        }
        Reopen::Url(url) => {
            let url = url.clone();
            tokio::spawn(async move { SqlStore::connect(&url, 2).await }).await
        }
    };
    let spawned = spawned.unwrap().unwrap();
    // So are the writes that use transactions.
    tokio::spawn(async move {
        spawned
            .create_account(NewAccount::user("spawned@example.com"))
            .await
            .unwrap();
        spawned.create_tenant("Spawned", None, None).await.unwrap();
        spawned.close().await;
    })
    .await
    .unwrap();
    // A second replica opening the same database finds the schema current.
    let again = f.reopen().await;
    again.ping().await.unwrap();
    again
        .create_account(NewAccount::user("r2@example.com"))
        .await
        .unwrap();
    assert!(
        f.store
            .account_by_email("R2@example.com")
            .await
            .unwrap()
            .is_some()
    );
    again.close().await;
}

async fn accounts(f: &Fixture) {
    let s = &f.store;
    let seed = s
        .create_account(NewAccount::seed("Root@Example.com ", "Ops"))
        .await
        .unwrap();
    assert_eq!(seed.email, "root@example.com");
    assert!(seed.is_staff && seed.is_manager);
    assert!(matches!(
        s.create_account(NewAccount::user("ROOT@example.com")).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.create_account(NewAccount::user("not an email")).await,
        Err(Error::Invalid(_))
    ));
    let found = s
        .account_by_email("root@EXAMPLE.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, seed);
    assert!(
        s.account_by_email("ghost@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

async fn tenants_roles_and_guests(f: &Fixture) {
    let s = &f.store;
    s.create_account(NewAccount::user("owner@example.com"))
        .await
        .unwrap();
    s.create_account(NewAccount::user("guest@example.com"))
        .await
        .unwrap();
    let t = s
        .create_tenant("Acme", Some("owner@example.com"), None)
        .await
        .unwrap();
    assert!(matches!(
        s.create_tenant("Acme", None, None).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.create_tenant("Other", Some("ghost@example.com"), None)
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.create_tenant("  ", None, None).await,
        Err(Error::Invalid(_))
    ));
    let other = s.create_tenant("Beta", None, None).await.unwrap();
    let names: Vec<_> = s
        .tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Acme", "Beta"]);

    let reporter = s
        .create_guest_role("reporter", "", Permission::Read)
        .await
        .unwrap();
    assert_eq!(reporter.name, "reporter");
    s.create_guest_role("reporter", "Reporter (w)", Permission::Write)
        .await
        .unwrap();
    assert!(matches!(
        s.create_guest_role("reporter", "", Permission::Read).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.create_guest_role("bad slug", "", Permission::Read).await,
        Err(Error::Invalid(_))
    ));

    let link = s
        .add_guest(t.id, "guest@example.com", "reporter", Permission::Read)
        .await
        .unwrap();
    assert!(link.created);
    let again = s
        .add_guest(t.id, "guest@example.com", "reporter", Permission::Read)
        .await
        .unwrap();
    assert!(!again.created);
    s.add_guest(other.id, "guest@example.com", "reporter", Permission::Write)
        .await
        .unwrap();
    for (tenant, email, slug) in [
        (Uuid::new_v4(), "guest@example.com", "reporter"),
        (t.id, "ghost@example.com", "reporter"),
        (t.id, "guest@example.com", "auditor"),
    ] {
        assert!(matches!(
            s.add_guest(tenant, email, slug, Permission::Read).await,
            Err(Error::NotFound(_))
        ));
    }

    // The profile: owners, licences (optionally one tenant's), owned tenants.
    let query = |email, tenant| ProfileQuery {
        email,
        tenant,
        roles: None,
    };
    let guest = s
        .resolve(query("Guest@example.com", None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(guest.owners[0].email, "guest@example.com");
    let licences = guest
        .licensed_resources
        .clone()
        .unwrap()
        .to_records()
        .unwrap();
    assert_eq!(licences.len(), 2);
    assert!(licences.iter().any(|l| l.tenant_id == t.id
        && l.role == "reporter"
        && l.perm == Permission::Read
        && l.acc_name == "Acme"));
    let scoped = s
        .resolve(query("guest@example.com", Some(other.id)))
        .await
        .unwrap()
        .unwrap();
    let scoped = scoped.licensed_resources.unwrap().to_records().unwrap();
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0].perm, Permission::Write);
    // The access checks downstream services run work on what the store returns.
    let writer = |tenant| {
        guest
            .on_tenant(tenant)
            .with_roles(["reporter"])
            .with_write_access()
            .get_ids_or_error()
    };
    assert!(writer(other.id).is_ok());
    assert!(writer(t.id).is_err());

    let owner = s
        .resolve(query("owner@example.com", None))
        .await
        .unwrap()
        .unwrap();
    let owned = owner.tenants_ownership.unwrap().to_records().unwrap();
    assert_eq!(owned.len(), 1);
    assert_eq!((owned[0].id, owned[0].name.as_str()), (t.id, "Acme"));
    assert!(owner.licensed_resources.is_none());
    assert!(
        s.resolve(query("ghost@example.com", None))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.resolve(query("", None)).await.unwrap().is_none());
}

async fn connection_strings(f: &Fixture) {
    let s = &f.store;
    let a = s
        .create_account(NewAccount::user("cs@example.com"))
        .await
        .unwrap();
    let header = "acc=x;sig=y";
    let hash = connection_string_hash(header);
    let record = s
        .record_connection_string(NewConnectionString {
            account_id: a.id,
            name: "ci",
            tenant_id: None,
            token_hash: hash,
            expires_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        })
        .await
        .unwrap();
    let issued = s.lookup(a.id, hash).await.unwrap().unwrap();
    assert_eq!(issued.email, "cs@example.com");
    assert_eq!(issued.expires_at, record.expires_at);
    // Another account, or another value, is not found.
    assert!(s.lookup(Uuid::new_v4(), hash).await.unwrap().is_none());
    assert!(
        s.lookup(a.id, connection_string_hash("other"))
            .await
            .unwrap()
            .is_none()
    );
    // The same value twice is refused; an unknown account is refused.
    let again = NewConnectionString {
        account_id: a.id,
        name: "",
        tenant_id: None,
        token_hash: hash,
        expires_at: None,
    };
    assert!(matches!(
        s.record_connection_string(again.clone()).await,
        Err(Error::Conflict(_))
    ));
    let orphan = NewConnectionString {
        account_id: Uuid::new_v4(),
        token_hash: connection_string_hash("orphan"),
        ..again
    };
    assert!(matches!(
        s.record_connection_string(orphan).await,
        Err(Error::NotFound(_))
    ));

    let listed = s.connection_strings(a.id).await.unwrap();
    assert_eq!(listed, vec![record.clone()]);
    s.revoke_connection_string(record.id).await.unwrap();
    assert!(s.lookup(a.id, hash).await.unwrap().is_none());
    assert!(matches!(
        s.revoke_connection_string(record.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        s.connection_strings(a.id).await.unwrap()[0]
            .revoked_at
            .is_some()
    );
}

async fn subscriptions_and_invitations(f: &Fixture) {
    let s = &f.store;
    let tenant = s.create_tenant("Initech", None, None).await.unwrap();
    let role = s
        .create_guest_role("editor", "Editor", Permission::Write)
        .await
        .unwrap();
    let user = s
        .create_account(NewAccount::user("pat@initech.test"))
        .await
        .unwrap();
    let sub = s
        .create_subscription_account(tenant.id, "Initech Ops")
        .await
        .unwrap();
    assert_eq!(
        s.subscription_accounts(tenant.id).await.unwrap(),
        std::slice::from_ref(&sub)
    );
    assert!(matches!(
        s.create_subscription_account(Uuid::new_v4(), "x").await,
        Err(Error::NotFound(_))
    ));
    // Invited: nothing granted yet (no licence in the profile), not a member.
    assert!(
        s.invite_guest(sub.id, "Pat@Initech.test", role.id)
            .await
            .unwrap()
    );
    assert!(
        !s.invite_guest(sub.id, "pat@initech.test", role.id)
            .await
            .unwrap()
    );
    let licence = |p: myc_profile::Profile| match p.licensed_resources {
        Some(myc_profile::LicensedResources::Records(r)) => r,
        _ => Vec::new(),
    };
    assert!(licence(s.profile("pat@initech.test", None).await.unwrap().unwrap()).is_empty());
    let pending = s
        .guest(sub.id, "pat@initech.test", role.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!pending.accepted);
    assert!(!s.is_member(user.id, tenant.id).await.unwrap());
    // Accepted: verified and a member.
    assert!(
        s.accept_invitation(sub.id, "pat@initech.test", role.id)
            .await
            .unwrap()
    );
    let accepted = licence(s.profile("pat@initech.test", None).await.unwrap().unwrap());
    assert_eq!(
        (accepted[0].acc_id, accepted[0].acc_name.as_str()),
        (sub.id, "Initech Ops")
    );
    assert!(accepted[0].verified && accepted[0].perm == Permission::Write);
    assert!(s.is_member(user.id, tenant.id).await.unwrap());
    // Invitations into what does not exist are refused, not stored.
    assert!(matches!(
        s.invite_guest(sub.id, "pat@initech.test", Uuid::new_v4())
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.invite_guest(user.id, "x@initech.test", role.id).await,
        Err(Error::NotFound(_))
    ));
    // Revoked: gone.
    assert!(
        s.revoke_guest(sub.id, "pat@initech.test", role.id)
            .await
            .unwrap()
    );
    assert!(
        !s.revoke_guest(sub.id, "pat@initech.test", role.id)
            .await
            .unwrap()
    );
    assert!(licence(s.profile("pat@initech.test", None).await.unwrap().unwrap()).is_empty());
    assert!(!s.is_member(user.id, tenant.id).await.unwrap());
}

async fn directory_import(f: &Fixture) {
    let text = r#"
[[tenants]]
id = "11111111-1111-4111-8111-111111111111"
name = "Demo"
owner = "alice@example.com"

[[guest_roles]]
slug = "auditor"
permission = "read"
name = "Auditor"

[[accounts]]
email = "alice@example.com"
is_manager = true
licences = [{ tenant = "Demo", role = "accountant", permission = "write" }]

[[accounts]]
email = "bob@example.com"
licences = [{ tenant = "11111111-1111-4111-8111-111111111111", role = "auditor" }]
"#;
    let file = DirectoryFile::parse(text).unwrap();
    let report = file.import(&f.store).await.unwrap();
    assert_eq!(report.accounts, (2, 0));
    assert_eq!(report.tenants, (1, 0));
    assert_eq!(report.guest_roles, (2, 0));
    assert_eq!(report.licences, (2, 0));
    let again = file.import(&f.store).await.unwrap();
    assert_eq!(again.accounts, (0, 2));
    assert_eq!(again.licences, (0, 2));
    let alice = f
        .store
        .profile("alice@example.com", None)
        .await
        .unwrap()
        .unwrap();
    assert!(alice.is_manager);
    assert_eq!(
        alice.tenants_ownership.unwrap().to_records().unwrap().len(),
        1
    );
    // JSON works too; bad files are refused before anything is written.
    let json = r#"{"accounts": [{"email": "json@example.com"}]}"#;
    DirectoryFile::parse(json)
        .unwrap()
        .import(&f.store)
        .await
        .unwrap();
    for (bad, expect) in [
        (
            "[[accounts]]\nemail = \"x@example.com\"\nlicences = [{ tenant = \"Nope\", role = \"r\" }]\n",
            "unknown tenant",
        ),
        (
            "[[accounts]]\nemail = \"d@example.com\"\n[[accounts]]\nemail = \"D@example.com\"\n",
            "listed twice",
        ),
        ("[[accounts]]\nemial = \"x\"\n", "emial"),
        (
            "[[tenants]]\nname = \"T2\"\nowner = \"ghost@example.com\"\n",
            "no account",
        ),
    ] {
        let err = match DirectoryFile::parse(bad) {
            Ok(file) => file.import(&f.store).await.unwrap_err(),
            Err(e) => e,
        };
        assert!(err.to_string().contains(expect), "{bad}: {err}");
    }
    assert!(
        f.store
            .account_by_email("x@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.store
            .account_by_email("d@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

/// The mail outbox: a claimed message is leased (a second sender gets nothing), a failure
/// reschedules it, a send erases its body, a given-up one stays listed as failed.
async fn mail_outbox(f: &Fixture) {
    use myc_directory::store::MailAttempt;
    let s = &f.store;
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    s.enqueue_mail(a, "a@example.com", "hello", vec![1, 2, 3])
        .await
        .unwrap();
    s.enqueue_mail(b, "b@example.com", "hello", vec![4])
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let lease = now + chrono::Duration::seconds(60);
    let claimed = s.claim_due_mail(now, lease, 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].body.len() + claimed[1].body.len(), 4);
    let other = f.reopen().await;
    assert!(
        other
            .claim_due_mail(now, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    s.record_mail_attempt(a, &MailAttempt::Sent).await.unwrap();
    let retry = MailAttempt::Failed {
        error: "refused".into(),
        next: Some(now),
    };
    s.record_mail_attempt(b, &retry).await.unwrap();
    let again = s.claim_due_mail(now, lease, 10).await.unwrap();
    assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), [b]);
    assert_eq!(again[0].attempts, 1);
    let give_up = MailAttempt::Failed {
        error: "refused".into(),
        next: None,
    };
    s.record_mail_attempt(b, &give_up).await.unwrap();
    assert!(s.claim_due_mail(now, lease, 10).await.unwrap().is_empty());
    assert_eq!(
        s.mail_status("a@example.com").await.unwrap(),
        [("sent".to_owned(), 1)]
    );
    assert_eq!(
        s.mail_status("b@example.com").await.unwrap(),
        [("failed".to_owned(), 2)]
    );
    other.close().await;
}

/// Login links: found by token hash while live, revealed once, used once; expired ones are
/// gone; wrong attempts are counted.
async fn login_links(f: &Fixture) {
    let s = &f.store;
    let id = s
        .create_login_link("a@example.com", "t1", "c1", 600)
        .await
        .unwrap();
    s.create_login_link("a@example.com", "t0", "c0", -1)
        .await
        .unwrap();
    assert!(
        s.login_link_by_token("t0").await.unwrap().is_none(),
        "expired"
    );
    let link = s.login_link_by_token("t1").await.unwrap().unwrap();
    assert_eq!((link.id, link.revealed), (id, false));
    assert!(
        s.pending_logins("a@example.com").await.unwrap().is_empty(),
        "not shown yet"
    );
    assert!(s.reveal_login_link(id).await.unwrap());
    assert!(!s.reveal_login_link(id).await.unwrap(), "shown once");
    let spent = s.spend_login_attempt("a@example.com", 5).await.unwrap();
    assert_eq!((spent.len(), spent[0].id, spent[0].attempts), (1, id, 1));
    let pending = s.pending_logins("a@example.com").await.unwrap();
    assert_eq!((pending.len(), pending[0].attempts), (1, 1));
    assert!(s.use_login_link(id).await.unwrap());
    assert!(!s.use_login_link(id).await.unwrap(), "used once");
    assert!(s.login_link_by_token("t1").await.unwrap().is_none());
    assert_eq!(s.login_links_since("a@example.com", 0).await.unwrap(), 2);
    // Forty guesses at once against one link: exactly five get an attempt.
    let id = s
        .create_login_link("g@example.com", "tg", "cg", 600)
        .await
        .unwrap();
    assert!(s.reveal_login_link(id).await.unwrap());
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let s = s.clone();
        racing.spawn(async move { s.spend_login_attempt("g@example.com", 5).await.unwrap() });
    }
    let reserved: usize = racing.join_all().await.iter().map(Vec::len).sum();
    assert_eq!(reserved, 5);
    assert!(
        s.spend_login_attempt("g@example.com", 5)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Mailed one-use codes: taken once, for their address and purpose only, never once
/// expired.
async fn user_tokens(f: &Fixture) {
    let s = &f.store;
    s.create_user_token("a@example.com", "reset", "h1", 600)
        .await
        .unwrap();
    s.create_user_token("a@example.com", "reset", "h0", -1)
        .await
        .unwrap();
    assert!(
        !s.take_user_token("a@example.com", "reset", "h0")
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        !s.take_user_token("b@example.com", "reset", "h1")
            .await
            .unwrap(),
        "another address"
    );
    assert!(
        !s.take_user_token("a@example.com", "activate", "h1")
            .await
            .unwrap(),
        "another purpose"
    );
    assert!(
        s.take_user_token("a@example.com", "reset", "h1")
            .await
            .unwrap()
    );
    assert!(
        !s.take_user_token("a@example.com", "reset", "h1")
            .await
            .unwrap(),
        "used once"
    );
}

/// Rate-limit counters: per key, reset when their window is over, pruned when old.
async fn rate_limits(f: &Fixture) {
    let s = &f.store;
    assert_eq!(s.hit_rate_limit("k", 1).await.unwrap(), 1);
    assert_eq!(s.hit_rate_limit("k", 1).await.unwrap(), 2);
    assert_eq!(s.hit_rate_limit("other", 1).await.unwrap(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(s.hit_rate_limit("k", 1).await.unwrap(), 1, "a new window");
    assert_eq!(s.hit_rate_limit("k", 3600).await.unwrap(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(s.prune_rate_limits(1).await.unwrap(), 2);
    assert_eq!(s.hit_rate_limit("k", 3600).await.unwrap(), 1, "pruned");
}

/// Password and TOTP tries are spent before a check, in one statement: forty guesses at once
/// get exactly five checks; a right answer clears the count; the lock ends.
async fn tries_are_spent_atomically(f: &Fixture) {
    let s = &f.store;
    assert!(
        s.create_password("p@example.com", "$argon2id$x")
            .await
            .unwrap()
    );
    assert!(
        s.import_totp("p@example.com", vec![1, 2, 3], true)
            .await
            .unwrap()
    );
    let mut racing = tokio::task::JoinSet::new();
    for n in 0..40 {
        let s = s.clone();
        racing.spawn(async move {
            if n % 2 == 0 {
                s.spend_password_try("p@example.com", 5, 900)
                    .await
                    .unwrap()
                    .is_some()
            } else {
                s.spend_totp_try("p@example.com", true, 5, 900)
                    .await
                    .unwrap()
                    .is_some()
            }
        });
    }
    let granted = racing.join_all().await;
    assert_eq!(granted.iter().filter(|g| **g).count(), 10, "five of each");
    assert!(
        s.spend_password_try("p@example.com", 5, 900)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.spend_totp_try("p@example.com", true, 5, 900)
            .await
            .unwrap()
            .is_none()
    );
    // A pending enrolment is not an active one.
    assert!(
        s.spend_totp_try("p@example.com", false, 5, 900)
            .await
            .unwrap()
            .is_none()
    );
    // The lock ends (here: a zero-second lockout), counting again from one.
    let again = s
        .spend_password_try("p@example.com", 5, 0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.failures, 1);
    // A right answer clears the count.
    s.clear_password_failures("p@example.com").await.unwrap();
    assert_eq!(
        s.password("p@example.com").await.unwrap().unwrap().failures,
        0
    );
    assert!(s.take_totp_step("p@example.com", 7).await.unwrap());
    assert_eq!(s.totp("p@example.com").await.unwrap().unwrap().failures, 0);
}

macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let fixture = super::$backend().await;
                        super::$name(&fixture).await;
                        fixture.finish().await;
                    }
                };
            }
            case!(migrations_are_idempotent);
            case!(accounts);
            case!(tenants_roles_and_guests);
            case!(connection_strings);
            case!(subscriptions_and_invitations);
            case!(directory_import);
            case!(mail_outbox);
            case!(login_links);
            case!(user_tokens);
            case!(rate_limits);
            case!(tries_are_spent_atomically);
        }
    };
}

suite!(sqlite);
suite!(postgres);
