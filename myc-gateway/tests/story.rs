//! The README's "How a user joins a tenant" walkthrough, run as written
//! (`examples/join-tenant/story.sh`) against this build's binary: it exits non-zero at the
//! first step that does not answer as the README says.

#[test]
fn the_join_tenant_story_runs_as_documented() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/join-tenant/story.sh"
    );
    let output = std::process::Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_myc-gateway"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.trim_end().ends_with("story: ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
