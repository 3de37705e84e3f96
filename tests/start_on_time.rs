//! Start on time (issue 14), over the wire and with the real binary: `auto_start = true` starts
//! the show at its `start`, a segment's `auto_start` at its `at`, both journaled as the commands
//! they equal (so `--resume` carries on from them); a show not started a minute after its
//! planned start says so in the state (the control page's banner) and in the log.
//!
//! Wall-clock times are a few seconds from now: these tests wait real seconds (speed does not
//! compress a wall-clock start), with generous timeouts.

use crate::common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::{Client, Process, TOKEN, TestServer};
use podium::show;
use serde_json::Value;

fn session(head: &str, second_segment: &str) -> String {
    format!(
        "title = \"On time\"\ntimezone = \"UTC\"\n{head}\n\
         [[segment]]\ntitle = \"Welcome\"\nduration = \"10m\"\n\n\
         [[segment]]\ntitle = \"Live link\"\nduration = \"10m\"\n{second_segment}\n"
    )
}

fn rfc3339(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test]
async fn auto_start_starts_the_show_at_its_start_by_itself() {
    let start = chrono::DateTime::from_timestamp(Utc::now().timestamp() + 3, 0).expect("now");
    let text = session(
        &format!("start = \"{}\"\nauto_start = true\n", rfc3339(start)),
        "",
    );
    let show = Arc::new(show::load_str(Path::new("on_time.toml"), &text).expect("valid"));
    assert!(show.auto_start);
    let server = TestServer::start_show(show, 1.0).await;
    let (_, info) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(info["auto_start"], true);
    let mut viewer = server.ws().await;
    let first = viewer.next_of("state").await;
    assert_eq!(first["phase"], "ready");
    let started = viewer
        .state_where(|s| s["phase"] == "running" || s["phase"] == "warning")
        .await;
    let at = started["show_started_at_ms"].as_i64().expect("started");
    assert!(
        (at - start.timestamp_millis()).abs() <= 1,
        "started at its start, not when a tick came: {at} vs {}",
        start.timestamp_millis()
    );
    assert_eq!(started["start_overdue"], false);
}

#[tokio::test]
async fn a_show_not_started_a_minute_after_its_planned_start_says_so_until_it_starts() {
    let start = Utc::now() - chrono::Duration::seconds(61);
    let text = session(&format!("start = \"{}\"\n", rfc3339(start)), "");
    let show = Arc::new(show::load_str(Path::new("late.toml"), &text).expect("valid"));
    let server = TestServer::start_show(show, 1.0).await;
    let mut viewer = server.ws().await;
    viewer.state_where(|s| s["start_overdue"] == true).await;
    let started = server.command(r#"{"cmd":"start"}"#).await;
    assert_eq!(started["start_overdue"], false);

    // A start long past (a seed session from another year) is neither late nor due.
    let old = Arc::new(
        show::load_str(
            Path::new("old.toml"),
            &session("start = \"2017-10-12T10:00:00\"\nauto_start = true\n", ""),
        )
        .expect("valid"),
    );
    let server = TestServer::start_show(old, 1.0).await;
    let (_, state) = server.get("/api/state").await;
    assert_eq!(
        (&state["phase"], &state["start_overdue"]),
        (&Value::from("ready"), &Value::Bool(false))
    );
}

/// The real binary: a segment starts by itself at its `at`, leaving the one before; the journal
/// has the `goto` it equals at that instant, and `--resume` after a crash carries on from it. A
/// late start is also in the log of a headless run.
#[tokio::test]
async fn a_segments_auto_start_is_journaled_as_a_goto_and_resumed() {
    let at = chrono::DateTime::from_timestamp(Utc::now().timestamp() + 4, 0).expect("now");
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("anchored.toml");
    std::fs::write(
        &file,
        session(
            "",
            &format!("at = \"{}\"\nauto_start = true\n", at.format("%H:%M:%S")),
        ),
    )
    .expect("session written");
    let journal = dir.path().join("run.jsonl");
    let (file_arg, journal_arg) = (file.display().to_string(), journal.display().to_string());
    let mut podium = Process::start(&["run", &file_arg, "--journal", &journal_arg]).await;
    podium.command(r#"{"cmd":"start"}"#).await;
    let mut viewer = Client::connect(&podium.ws_url()).await;
    let moved = viewer.state_where(|s| s["index"] == 1).await;
    assert!(moved["ends_at_ms"].is_i64(), "running: {moved}");
    podium.signal(nix::sys::signal::Signal::SIGKILL);
    podium.child.wait().await.expect("podium ends");

    let lines: Vec<Value> = std::fs::read_to_string(&journal)
        .expect("the journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let goto = lines
        .iter()
        .find(|l| l["cmd"]["cmd"] == "goto")
        .expect("the auto-start is journaled as a goto");
    assert_eq!(goto["cmd"]["index"], 1);
    let auto = lines
        .iter()
        .find(|l| l["event"] == "auto-started")
        .expect("and as an event");
    assert_eq!(auto["index"], 1);
    assert!(
        goto["at_ms"].as_i64() <= auto["at_ms"].as_i64(),
        "the command at its own instant: {goto} {auto}"
    );

    tokio::time::sleep(Duration::from_millis(300)).await;
    let resumed = Process::start(&["run", &file_arg, "--resume", &journal_arg]).await;
    let (_, state) = resumed.get("/api/state").await;
    assert_eq!(state["index"], 1, "{state}");
    assert!(state["ends_at_ms"].is_i64(), "still running: {state}");
}

#[test]
fn auto_start_without_a_time_is_refused_with_file_line_col() {
    let load = |text: &str| {
        show::load_str(Path::new("s.toml"), text)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let err = load(&session("auto_start = true\n", "")).expect_err("no start");
    assert!(
        err.starts_with("s.toml:3:14: auto_start = true needs the show's start"),
        "{err}"
    );
    let err = load(&session("", "auto_start = true\n")).expect_err("no at");
    assert!(
        err.starts_with(
            "s.toml:11:14: segment 2 (\"Live link\") has auto_start but no `at`: give the time"
        ),
        "{err}"
    );
    let err = load(&session("auto_start = \"yes\"\n", "")).expect_err("not a boolean");
    assert!(err.starts_with("s.toml:3:14:"), "{err}");
    load(&session("auto_start = false\n", "auto_start = false\n")).expect("false is fine anywhere");
}
