//! The `myc-crypto` binary: round trips, one-line failures with empty stdout, rewrap, upstream
//! values, 0600 files, and several processes sealing into one keyring at once.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const T: &str = "11111111-1111-4111-8111-111111111111";

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("myc-crypto-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cmd(dir: &Path, key: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_myc-crypto"));
    c.current_dir(dir).env("MYC_MASTER_KEY", key).args(args);
    c
}

fn run(dir: &Path, key: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = cmd(dir, key, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses its arguments exits before reading its input; the
    // pipe it closed is not a failure of the test.
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    child.wait_with_output().unwrap()
}

fn keygen(dir: &Path) -> String {
    let out = run(dir, "", &["keygen"], b"");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn assert_fails_cleanly(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err}");
}

#[test]
fn seal_open_and_failures() {
    let dir = Dir::new("basic");
    let key = keygen(&dir.0);
    let sealed = run(
        &dir.0,
        &key,
        &["seal", "--scope", T, "--field", "telegram_bot_token"],
        b"123:ABC",
    );
    assert!(sealed.status.success());
    let text = String::from_utf8(sealed.stdout).unwrap();
    assert!(text.starts_with("myc1:"));

    let opened = run(
        &dir.0,
        &key,
        &["open", "--scope", T, "--field", "telegram_bot_token"],
        text.as_bytes(),
    );
    assert_eq!(opened.stdout, b"123:ABC");

    // Binary form too.
    let bin = run(
        &dir.0,
        &key,
        &["seal", "--scope", T, "--field", "f", "--binary"],
        b"\x00\xffbin",
    );
    let back = run(
        &dir.0,
        &key,
        &["open", "--scope", T, "--field", "f"],
        &bin.stdout,
    );
    assert_eq!(back.stdout, b"\x00\xffbin");

    let other_key = keygen(&dir.0);
    assert_fails_cleanly(
        &run(
            &dir.0,
            &other_key,
            &["open", "--scope", T, "--field", "telegram_bot_token"],
            text.as_bytes(),
        ),
        "decryption failed",
    );
    assert_fails_cleanly(
        &run(
            &dir.0,
            &key,
            &["open", "--scope", T, "--field", "totp_secret"],
            text.as_bytes(),
        ),
        "decryption failed",
    );
    let other_scope = "22222222-2222-4222-8222-222222222222";
    assert_fails_cleanly(
        &run(
            &dir.0,
            &key,
            &[
                "open",
                "--scope",
                other_scope,
                "--field",
                "telegram_bot_token",
            ],
            text.as_bytes(),
        ),
        "no DEK",
    );
    let mut tampered = text.clone().into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    assert_fails_cleanly(
        &run(
            &dir.0,
            &key,
            &["open", "--scope", T, "--field", "telegram_bot_token"],
            &tampered,
        ),
        "",
    );
    assert_fails_cleanly(
        &run(&dir.0, "", &["seal", "--scope", T, "--field", "f"], b"x"),
        "master key",
    );
    assert_eq!(
        run(&dir.0, &key, &["seal", "--field", "f"], b"x")
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn rewrap_and_master_key_files() {
    let dir = Dir::new("rewrap");
    let key = keygen(&dir.0);
    let mut sealed = Vec::new();
    for scope in [T, "00000000-0000-0000-0000-000000000000"] {
        sealed.push((
            scope,
            run(
                &dir.0,
                &key,
                &["seal", "--scope", scope, "--field", "f"],
                scope.as_bytes(),
            )
            .stdout,
        ));
    }
    let dry = run(
        &dir.0,
        &key,
        &["rewrap", "--to-version", "2", "--dry-run"],
        b"",
    );
    let report: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(
        (
            report["total"].as_u64(),
            report["rewrapped"].as_u64(),
            report["dryRun"].as_bool()
        ),
        (Some(2), Some(2), Some(true))
    );
    let done = run(&dir.0, &key, &["rewrap", "--to-version", "2"], b"");
    let report: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(report["rewrapped"].as_u64(), Some(2));
    let keyring: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("keyring.json")).unwrap())
            .unwrap();
    assert_eq!(keyring["deks"].as_array().unwrap().len(), 2);
    for (scope, ct) in &sealed {
        assert_eq!(
            run(
                &dir.0,
                &key,
                &["open", "--scope", scope, "--field", "f"],
                ct
            )
            .stdout,
            scope.as_bytes()
        );
    }

    // Master key in a file: written 0600, refused when group/other readable.
    let path = dir.0.join("master.key");
    assert!(
        run(
            &dir.0,
            "",
            &["keygen", "--out", path.to_str().unwrap()],
            b""
        )
        .status
        .success()
    );
    let args = [
        "seal",
        "--scope",
        T,
        "--field",
        "g",
        "--master-key-file",
        path.to_str().unwrap(),
        "--keyring",
        "other.json",
    ];
    assert!(run(&dir.0, "", &args, b"x").status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(dir.0.join("other.json"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_fails_cleanly(&run(&dir.0, "", &args, b"x"), "chmod 600");
    }
}

#[test]
fn upstream_open_and_reseal() {
    let dir = Dir::new("upstream");
    let vector: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            myc_testkit::shared_dir().join("vectors/mycelium/envelope_encryption.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let wrapped = vector["wrapped_dek (aad = tenant uuid 16 bytes)"]
        .as_str()
        .unwrap();
    let ct = vector["ciphertext"].as_str().unwrap();
    let secret = vector["token_secret_uuid"].as_str().unwrap();
    let base = [
        "upstream-open",
        "--token-secret",
        secret,
        "--wrapped-dek",
        wrapped,
        "--tenant",
        T,
        "--field",
        "totp_secret",
    ];
    let out = run(&dir.0, "", &base, ct.as_bytes());
    assert_eq!(out.stdout, b"JBSWY3DPEHPK3PXP");

    let mut wrong_field = base;
    wrong_field[8] = "http_secret";
    assert_fails_cleanly(
        &run(&dir.0, "", &wrong_field, ct.as_bytes()),
        "decryption failed",
    );

    let key = keygen(&dir.0);
    let mut reseal = base.to_vec();
    reseal.push("--reseal");
    let ours = run(&dir.0, &key, &reseal, ct.as_bytes());
    assert!(ours.status.success());
    assert!(ours.stdout.starts_with(b"myc1:"));
    let back = run(
        &dir.0,
        &key,
        &["open", "--scope", T, "--field", "totp_secret"],
        &ours.stdout,
    );
    assert_eq!(back.stdout, b"JBSWY3DPEHPK3PXP");
}

#[test]
fn concurrent_processes_agree_on_one_dek() {
    let dir = Dir::new("procs");
    let key = keygen(&dir.0);
    let children: Vec<_> = (0..6)
        .map(|i| {
            let mut child = cmd(&dir.0, &key, &["seal", "--scope", T, "--field", "f"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("process {i}").as_bytes())
                .unwrap();
            child
        })
        .collect();
    let outputs: Vec<Vec<u8>> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().stdout)
        .collect();
    let keyring: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.0.join("keyring.json")).unwrap())
            .unwrap();
    assert_eq!(
        keyring["deks"].as_array().unwrap().len(),
        1,
        "one DEK for the scope"
    );
    for (i, ct) in outputs.iter().enumerate() {
        let out = run(&dir.0, &key, &["open", "--scope", T, "--field", "f"], ct);
        assert_eq!(out.stdout, format!("process {i}").as_bytes());
    }
}
