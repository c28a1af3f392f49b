//! The binary's command line: the global `--config` (flag anywhere, or MYC_GATEWAY_CONFIG),
//! typed values refused by clap (exit code 2), runtime failures as one line (exit code 1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

mod common;

const CONFIG: &str = r#"
[gateway.auth.connection_strings]
primary = 1
keys = [{ version = 1, secret = "cli-test-hmac-secret-of-32-bytes!!!" }]

[api.services]
"#;

fn gateway(dir: &Path, args: &[&str], env_config: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_myc-gateway"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("MYC_GATEWAY_CONFIG");
    if env_config {
        command.env("MYC_GATEWAY_CONFIG", dir.join("gateway.toml"));
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn config_comes_from_the_flag_anywhere_or_the_environment() {
    let dir = common::temp_dir("myc-cli-config");
    std::fs::write(dir.join("gateway.toml"), CONFIG).unwrap();
    // Environment variable.
    let out = gateway(
        &dir,
        &["accounts", "create", "--email", "a@example.com"],
        true,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The global flag before the command group and after the command.
    let config = dir.join("gateway.toml");
    let config = config.to_str().unwrap();
    let out = gateway(
        &dir,
        &["--config", config, "tenants", "create", "--name", "t1"],
        false,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = gateway(&dir, &["tenants", "list", "--config", config], false);
    assert!(text(&out.stdout).contains("\tt1"), "{}", text(&out.stdout));
    // Without either: a usage error naming what is missing.
    let out = gateway(&dir, &["tenants", "list"], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--config"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn typed_values_are_checked_before_anything_runs() {
    let dir = common::temp_dir("myc-cli-typed");
    std::fs::write(dir.join("gateway.toml"), CONFIG).unwrap();
    let refused: [&[&str]; 5] = [
        &[
            "guest-roles",
            "create",
            "--slug",
            "r",
            "--permission",
            "admin",
        ],
        &[
            "connection-strings",
            "issue",
            "--email",
            "a@example.com",
            "--role",
            "a b:write",
        ],
        &[
            "connection-strings",
            "issue",
            "--email",
            "a@example.com",
            "--role",
            "r:delete",
        ],
        &[
            "connection-strings",
            "issue",
            "--email",
            "a@example.com",
            "--ttl",
            "1w",
        ],
        &[
            "nodes",
            "add",
            "--id",
            "n",
            "--sub-allow",
            "x",
            "--ttl",
            "0",
        ],
    ];
    for args in refused {
        let out = gateway(&dir, args, true);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stdout).is_empty());
    }
    // Nothing was written by the refused commands.
    let out = gateway(&dir, &["tenants", "list"], true);
    assert!(out.status.success() && text(&out.stdout).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn units_and_scoped_roles_reach_the_store() {
    let dir = common::temp_dir("myc-cli-units");
    std::fs::write(dir.join("gateway.toml"), CONFIG).unwrap();
    let ok = |args: &[&str]| {
        let out = gateway(&dir, args, true);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&["accounts", "create", "--email", "a@example.com"]);
    ok(&[
        "guest-roles",
        "create",
        "--slug",
        "reporter",
        "--permission",
        "write",
    ]);
    ok(&[
        "connection-strings",
        "issue",
        "--email",
        "a@example.com",
        "--role",
        "reporter:write",
        "--ttl",
        "12h",
        "--name",
        "k",
    ]);
    let listed = ok(&["connection-strings", "list", "--email", "a@example.com"]);
    let row: Vec<&str> = listed.lines().nth(1).unwrap().split('\t').collect();
    let at =
        |cell: &str| chrono::NaiveDateTime::parse_from_str(cell, "%Y-%m-%d %H:%M:%S UTC").unwrap();
    let minutes = (at(row[4]) - at(row[3])).num_minutes();
    assert!((719..=721).contains(&minutes), "{listed}");
    // Every mutation made from the command line is in the audit trail (actor: the operator).
    let file = dir.join("data").join(myc_gateway::store::SQLITE_FILE);
    let actions = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let settings = myc_gateway::store::StoreSettings {
            location: myc_gateway::store::StoreLocation::Sqlite(file),
            max_connections: 1,
        };
        let store = myc_gateway::store::SqlStore::open(&settings).await.unwrap();
        let events = store.audit_events(None, 50).await.unwrap();
        store.close().await;
        events
    });
    let mut names: Vec<&str> = actions.iter().map(|e| e.action.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "cli.accounts.create",
            "cli.connectionStrings.issue",
            "cli.guestRoles.create"
        ]
    );
    assert!(
        actions
            .iter()
            .all(|e| e.detail["via"] == "cli" && e.actor_email.is_none())
    );
    assert!(
        !actions
            .iter()
            .any(|e| e.detail.to_string().contains("secret"))
    );
    // A runtime failure: exit code 1 and one line.
    let out = gateway(
        &dir,
        &[
            "connection-strings",
            "list",
            "--email",
            "nobody@example.com",
        ],
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(
        err.trim(),
        "myc-gateway: no account for nobody@example.com",
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `admin call` runs an admin method through the same use cases as the HTTP API: its result
/// on stdout, a refusal as one line (exit 1), bad params refused by clap (exit 2), and the
/// audit trail names the command line.
#[test]
fn admin_calls_go_through_the_use_cases() {
    let dir = common::temp_dir("myc-cli-admin");
    std::fs::write(dir.join("gateway.toml"), CONFIG).unwrap();
    let call = |method: &str, params: &str| {
        gateway(&dir, &["admin", "call", method, "--params", params], true)
    };
    let out = call("managers.tenants.create", r#"{"name":"Umbrella"}"#);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tenant: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tenant["name"], "Umbrella");
    let id = tenant["id"].as_str().unwrap().to_owned();
    let out = call("managers.tenants.list", "{}");
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page["records"][0]["name"], "Umbrella", "{page}");
    // The same validation as over HTTP: a duplicate is refused in one line.
    let out = call("managers.tenants.create", r#"{"name":"Umbrella"}"#);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    // Unknown methods and params that are not a JSON object.
    let out = call("managers.tenants.explode", "{}");
    assert_eq!(out.status.code(), Some(1));
    let out = call("managers.tenants.list", "[1]");
    assert_eq!(out.status.code(), Some(2));
    // The trail records the operator.
    let params = format!(r#"{{"resourceType":"tenant","resourceId":"{id}"}}"#);
    let out = call("audit.resourceTrail.fetch", &params);
    let events: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(events[0]["action"], "managers.tenants.create", "{events}");
    assert_eq!(events[0]["detail"]["via"], "cli", "{events}");
    // Every method is listed with its REST endpoint.
    let out = gateway(&dir, &["admin", "methods"], true);
    assert!(text(&out.stdout).contains("tenantOwner.owner.guest\tPOST /_adm/tenant-owner/owners"));
    assert!(text(&out.stdout).contains(
        "beginners.users.checkEmailPasswordValidity\tPOST /_adm/beginners/users/login\t"
    ));
    std::fs::remove_dir_all(dir).unwrap();
}
