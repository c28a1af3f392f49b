//! `myc-gateway kek rotate` through the binary, on a store whose sealed values were written
//! through the library with the same configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use myc_gateway::config::Config;
use myc_gateway::store::{SqlStore, Store};
use myc_gateway::vault::SecretVault;
use uuid::Uuid;

const MASTER: &str = "5f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080";

fn write_config(dir: &Path, kek_version: u32) {
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            "[gateway.secrets]\nmaster_key = {{ env = \"TEST_MASTER_KEY\" }}\nkek_version = {kek_version}\n\n[api.services]\n"
        ),
    )
    .unwrap();
}

fn rotate(dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["kek", "rotate", "--config"])
        .arg(dir.join("gateway.toml"))
        .args(extra)
        .env("TEST_MASTER_KEY", MASTER)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

async fn vault(dir: &Path) -> SecretVault<SqlStore> {
    let config = Config::parse(
        &std::fs::read_to_string(dir.join("gateway.toml")).unwrap(),
        "gateway.toml",
        dir,
        &|name| (name == "TEST_MASTER_KEY").then(|| MASTER.to_owned()),
    )
    .unwrap();
    let store = SqlStore::open(&config.store).await.unwrap();
    SecretVault::new(store, config.secrets.unwrap())
}

#[tokio::test]
async fn kek_rotate_rewraps_through_the_binary() {
    let dir = std::env::temp_dir().join(format!("myc-gateway-admin-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    write_config(&dir, 1);
    let tenants = [Uuid::new_v4(), Uuid::new_v4()];
    {
        let v1 = vault(&dir).await;
        for t in tenants {
            v1.put(t, "api-key", t.as_bytes()).await.unwrap();
        }
        v1.store().close().await;
    }
    let (code, out, err) = rotate(&dir, &["--dry-run"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("would rewrap 0 of 2 DEKs to KEK version 1 (2 already current"),
        "{out}"
    );

    write_config(&dir, 2);
    let (code, out, _) = rotate(&dir, &["--dry-run"]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("would rewrap 2 of 2 DEKs to KEK version 2"),
        "{out}"
    );
    let (code, out, _) = rotate(&dir, &[]);
    assert_eq!(code, Some(0));
    assert!(
        out.starts_with("rewrapped 2 of 2 DEKs to KEK version 2"),
        "{out}"
    );

    let v2 = vault(&dir).await;
    assert!(
        v2.store()
            .deks(None)
            .await
            .unwrap()
            .iter()
            .all(|d| d.wrapped.kek_version() == 2)
    );
    for t in tenants {
        assert_eq!(&*v2.get(t, "api-key").await.unwrap().unwrap(), t.as_bytes());
    }
    v2.store().close().await;

    // Without [gateway.secrets]: exit 1, one line.
    std::fs::write(dir.join("gateway.toml"), "[api.services]\n").unwrap();
    let (code, _, err) = rotate(&dir, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no [gateway.secrets] section"), "{err}");
    // A master key that is not one: the config error names the key.
    std::fs::write(
        dir.join("gateway.toml"),
        "[gateway.secrets]\nmaster_key = \"c2hvcnQ=\"\n[api.services]\n",
    )
    .unwrap();
    let (code, _, err) = rotate(&dir, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("gateway.secrets.master_key"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
