//! Editing the run-of-show while it runs, over the wire (issue 14): edit commands on
//! `POST /api/command` and the socket, refused with reasons; every view sees the edited show at
//! once; the journal replays edits after a `kill -9` and the report shows the edited plan.

use serde_json::Value;

use crate::common::{self, Process, TOKEN, TestServer, post_command};

fn titles(show: &Value) -> Vec<String> {
    show["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn edits_reach_every_view_at_once_and_bad_ones_are_refused_with_reasons() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    server.command(r#"{"cmd":"start"}"#).await;

    // The next segment's title and speaker, changed: the speaker page's "next" follows.
    let state = server
        .command(r#"{"cmd":"edit","op":"set","segment":1,"title":"Keynote, revised","speaker":"Ana Ruiz","duration":"12m"}"#)
        .await;
    assert_eq!(state["revision"], 1);
    assert_eq!(state["next"]["title"], "Keynote, revised");
    assert_eq!(state["next"]["speaker"], "Ana Ruiz");
    let seen = viewer.state_where(|s| s["revision"] == 1).await;
    assert_eq!(seen["next"]["title"], "Keynote, revised");
    let (_, show) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(show["segments"][1]["duration_ms"], 720_000);
    assert_eq!(show["segments"][2]["planned_offset_ms"], 840_000);
    let (_, agenda) = server.get("/api/agenda").await;
    assert_eq!(agenda["segments"][1]["title"], "Keynote, revised");

    // Insert, move, delete.
    let state = server
        .command(r#"{"cmd":"edit","op":"insert","at":3,"segment":{"title":"Closing","kind":"closing","duration":"3m"}}"#)
        .await;
    assert_eq!(state["segments"], 4);
    server
        .command(r#"{"cmd":"edit","op":"move","segment":3,"to":1}"#)
        .await;
    let (_, show) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(
        titles(&show),
        ["Opening", "Closing", "Keynote, revised", "Q&A"]
    );
    assert_eq!(
        show["segments"][1]["warn_ms"], 120_000,
        "the built-in warning"
    );
    server
        .command(r#"{"cmd":"edit","op":"delete","segment":3}"#)
        .await;

    // The running segment: a longer duration moves its deadline from its start.
    let before = server.command(r#"{"cmd":"message","text":""}"#).await;
    let after = server
        .command(r#"{"cmd":"edit","op":"set","segment":0,"duration":"3m"}"#)
        .await;
    assert_eq!(
        after["ends_at_ms"].as_i64().unwrap() - before["ends_at_ms"].as_i64().unwrap(),
        60_000
    );

    // Undo over the socket, with the token.
    let mut moderator = server.ws().await;
    moderator.next_of("state").await;
    moderator.send_command(TOKEN, r#"{"cmd":"undo"}"#).await;
    moderator.next_of("applied").await;
    let undone = viewer
        .state_where(|s| s["segment"]["duration_ms"] == 120_000)
        .await;
    assert_eq!(undone["ends_at_ms"], before["ends_at_ms"]);

    // Refusals: malformed (400), not now (409, with the reason), no token (401).
    for (body, status, says) in [
        (
            r#"{"cmd":"edit","op":"paint","segment":1}"#,
            400,
            "bad command",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"duration":"12"}"#,
            400,
            "not a length",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"duration":"1.5s"}"#,
            400,
            "whole seconds",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"colour":"red"}"#,
            400,
            "unknown field",
        ),
        (
            r#"{"cmd":"edit","op":"insert","at":1,"segment":{"title":"x"}}"#,
            400,
            "duration",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":1,"max":"1m"}"#,
            409,
            "max (1:00) is shorter",
        ),
        (
            r#"{"cmd":"edit","op":"insert","at":0,"segment":{"title":"x","duration":"1m"}}"#,
            409,
            "insert at 1 or later",
        ),
        (
            r#"{"cmd":"edit","op":"delete","segment":0}"#,
            409,
            "current segment",
        ),
        (
            r#"{"cmd":"edit","op":"set","segment":9,"title":"x"}"#,
            409,
            "no segment 9",
        ),
    ] {
        let (got, json) = server.command_as(Some(TOKEN), body).await;
        assert_eq!(got, status, "{body} → {json}");
        let error = json["error"].as_str().unwrap_or_default();
        assert!(error.contains(says), "{body} → {error}");
    }
    server.command(r#"{"cmd":"next"}"#).await;
    let (got, json) = server
        .command_as(
            Some(TOKEN),
            r#"{"cmd":"edit","op":"set","segment":0,"title":"x"}"#,
        )
        .await;
    assert_eq!(got, 409);
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("past is not rewritten"),
        "{json}"
    );
    let (got, _) = server
        .command_as(None, r#"{"cmd":"edit","op":"set","segment":2,"title":"x"}"#)
        .await;
    assert_eq!(got, 401);
    let mut stranger = server.ws().await;
    stranger.next_of("state").await;
    stranger
        .send_command("not-the-token-at-all", r#"{"cmd":"undo"}"#)
        .await;
    assert_eq!(stranger.next_of("error").await["type"], "error");
}

/// Edits are journaled: after a `kill -9`, `--resume` rebuilds the edited run-of-show, and the
/// report shows the edited plan.
#[tokio::test]
async fn edits_survive_a_kill_and_the_report_shows_the_edited_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let journal = path.to_str().unwrap();
    let first = Process::start(&["run", common::SHORT, "--journal", journal]).await;
    post_command(&first.base, r#"{"cmd":"start"}"#).await;
    for edit in [
        r#"{"cmd":"edit","op":"set","segment":2,"title":"Questions","duration":"7m"}"#,
        r#"{"cmd":"edit","op":"insert","at":1,"segment":{"title":"Coffee","kind":"break","duration":"4m","notes":"urn on"}}"#,
        r#"{"cmd":"edit","op":"set","segment":3,"speaker":""}"#,
        r#"{"cmd":"undo"}"#,
        r#"{"cmd":"edit","op":"move","segment":3,"to":1}"#,
    ] {
        post_command(&first.base, edit).await;
    }
    let (_, before) = first.get("/api/agenda").await;
    assert_eq!(
        titles(&before),
        ["Opening", "Questions", "Coffee", "Keynote"]
    );
    post_command(&first.base, r#"{"cmd":"next"}"#).await;
    let lines = std::fs::read_to_string(&path).unwrap();
    assert!(lines.contains(r#""op":"insert""#), "{lines}");
    let mut first = first;
    first.signal(nix::sys::signal::Signal::SIGKILL);
    first.child.wait().await.unwrap();

    let second = Process::start(&["run", common::SHORT, "--resume", journal]).await;
    let (_, after) = second.get("/api/agenda").await;
    assert_eq!(titles(&after), titles(&before));
    let (_, state) = second.get("/api/state").await;
    assert_eq!(
        (state["index"].as_i64(), state["segment"]["title"].as_str()),
        (Some(1), Some("Questions"))
    );
    assert_eq!(state["revision"], 5);
    assert_eq!(state["segments"], 4);
    // The undo stack was rebuilt too: the last edit moved "Questions", which now runs, so it
    // can no longer be undone (the past is not rewritten); the edit before it can be.
    let refused = reqwest::Client::new()
        .post(format!("{}/api/command", second.base))
        .bearer_auth(TOKEN)
        .body(r#"{"cmd":"undo"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 409);
    let why: Value = refused.json().await.unwrap();
    assert!(
        why["error"].as_str().unwrap().contains("cannot be undone"),
        "{why}"
    );
    post_command(
        &second.base,
        r#"{"cmd":"edit","op":"set","segment":3,"title":"Keynote (moved)"}"#,
    )
    .await;
    post_command(&second.base, r#"{"cmd":"undo"}"#).await;
    let mut second = second;
    second.terminate().await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["report", journal, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["rows"].as_array().unwrap();
    let planned: Vec<(&str, i64)> = rows
        .iter()
        .map(|r| {
            (
                r["title"].as_str().unwrap(),
                r["planned_ms"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        [
            ("Opening", 120_000),
            ("Questions", 420_000),
            ("Coffee", 240_000),
            ("Keynote", 600_000)
        ]
    );
    // The time spoken stays with the segment that spoke it, wherever edits moved it.
    assert!(rows[0]["actual_ms"].as_i64().unwrap() > 0);
    assert!(rows[1]["actual_ms"].is_i64(), "Questions ran: {}", rows[1]);
    assert!(
        rows[2]["actual_ms"].is_null(),
        "Coffee never ran: {}",
        rows[2]
    );
}
