//! Runs the page logic's unit tests (`tests/js/*.test.mjs`, node's built-in test runner) as part of
//! `cargo test`, so one command runs every test.

use std::process::Command;

#[test]
fn page_logic_unit_tests_pass_under_node() {
    let out = match Command::new("node").args(["--test", "tests/js/"]).output() {
        Ok(out) => out,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: node is not installed ({e})");
            return;
        }
        Err(e) => panic!("node is required in CI: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node --test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("# pass"), "{stdout}");
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
