//! The `myc-profile` binary: output, exit codes and one-line errors.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_myc-profile"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stderr_line(out: &Output) -> String {
    let text = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one line expected: {text:?}");
    text
}

const T1: &str = "11111111-1111-4111-8111-111111111111";

#[test]
fn decode_encode_round_trip_via_stdin_and_args() {
    let header = common::read("04_flags_meta_staff.header.txt");
    let out = run(&["decode"], Some(&header));
    assert!(out.status.success());
    let pretty = String::from_utf8(out.stdout).unwrap();
    let expected: serde_json::Value =
        serde_json::from_str(&common::read("04_flags_meta_staff.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
        expected
    );

    let encoded = run(&["encode"], Some(&pretty));
    assert!(encoded.status.success());
    let value = String::from_utf8(encoded.stdout).unwrap();
    let again = run(&["decode", value.trim()], None);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&again.stdout).unwrap(),
        expected
    );
}

#[test]
fn check_prints_grant_or_exits_3() {
    let header = common::read("02_single_tenant_one_license.header.txt");
    let ok = run(
        &[
            "check",
            header.trim(),
            "--tenant",
            T1,
            "--read",
            "--role",
            "reader",
        ],
        None,
    );
    assert!(ok.status.success());
    assert_eq!(
        String::from_utf8(ok.stdout).unwrap().trim(),
        r#"{"allowedAccounts":["bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb1"]}"#
    );

    let denied = run(&["check", "--tenant", T1, "--write"], Some(&header));
    assert_eq!(denied.status.code(), Some(3));
    let line = stderr_line(&denied);
    assert!(
        line.contains("MYC00019")
            && line.contains("1:tenantId:")
            && line.contains("2:permission:1"),
        "{line}"
    );
    assert!(denied.stdout.is_empty());
}

#[test]
fn invalid_input_exits_1_naming_the_problem() {
    for (args, stdin, needle) in [
        (vec!["decode", "!!!"], None, "base64"),
        (vec!["decode"], Some("KLUv/QBYTQcAQg8tIWBpmwPQM90I"), "zstd"),
        (
            vec!["decode", "--max-header-len", "8", "KLUv/QBYTQcAQg8t"],
            None,
            "limit",
        ),
        (
            vec!["encode"],
            Some(r#"{"owners":[],"accId":"x"}"#),
            "accId",
        ),
        (vec!["check", "{\"owners\": 1}"], None, "owners"),
    ] {
        let out = run(&args, stdin);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let line = stderr_line(&out);
        assert!(
            line.to_lowercase().contains(&needle.to_lowercase()),
            "{args:?}: {line}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn help_documents_each_subcommand() {
    let help = String::from_utf8(run(&["--help"], None).stdout).unwrap();
    for sub in ["decode", "encode", "check"] {
        assert!(help.contains(sub), "{help}");
        let sub_help = run(&[sub, "--help"], None);
        assert!(sub_help.status.success());
        assert!(String::from_utf8(sub_help.stdout).unwrap().len() > 200);
    }
    assert_eq!(
        run(&["check", "--read", "--write", "x"], None)
            .status
            .code(),
        Some(2)
    );
}
