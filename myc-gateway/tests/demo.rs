//! `myc-gateway demo` starts, and every command it prints does what it says (run with `sh`
//! and the system's curl, against the real binary on a random port).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use myc_testkit::process::Kill;

#[test]
fn demo_starts_and_its_printed_commands_succeed() {
    let child = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Kill(child);
    let stdout = child.0.stdout.take().unwrap();
    let mut commands = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.starts_with("ready") {
            break;
        }
        if line.starts_with("curl ") {
            commands.push(line);
        }
    }
    assert!(commands.len() >= 10, "{commands:?}");
    for line in &commands {
        let (command, expect) = match line.split_once("    # expect ") {
            Some((c, e)) => (c, Some(e.trim().to_owned())),
            None => (line.as_str(), None),
        };
        let output = Command::new("sh").args(["-c", command]).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{command}\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        match expect {
            Some(code) => assert_eq!(stdout.trim(), code, "{command}"),
            None => {
                let body: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(body["upstream"], "demo-echo", "{command}");
            }
        }
    }
    // The forged profile header never reaches the upstream: carol's real profile does.
    let forged = commands
        .iter()
        .find(|c| c.contains("x-mycelium-profile: forged"))
        .unwrap();
    let output = Command::new("sh").args(["-c", forged]).output().unwrap();
    let body: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(body["profile"]["email"], "carol@demo.test");
}
