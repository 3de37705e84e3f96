//! Preset messages and messages that behave (issue 14), over the wire: presets in `/api/show`,
//! `{"cmd":"message","preset":N}` over HTTP and the socket, a preset out of range refused with
//! the session unharmed, flash/chime in the state, the message gone when the segment changes,
//! the journal recording a preset's words; and the loader's refusals with `FILE:LINE:COL`.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use common::{Process, TOKEN, TestServer};
use podium::show;
use serde_json::Value;

const CUSTOM: &str = r#"title = "Presets"
timezone = "UTC"
message_clears = "never"
message_flash = false
message_chime = true

[[preset]]
text = "  Two minutes, then questions  "

[[preset]]
text = "Mic!"
flash = true
chime = false

[[segment]]
title = "Talk"
duration = "10m"

[[segment]]
title = "Q&A"
duration = "5m"
"#;

fn custom() -> Arc<show::Show> {
    Arc::new(show::load_str(Path::new("presets.toml"), CUSTOM).expect("the session loads"))
}

#[tokio::test]
async fn the_default_presets_are_in_api_show_and_sent_by_number_over_http_and_the_socket() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let (status, info) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(status, 200);
    let texts: Vec<&str> = info["messages"]["presets"]
        .as_array()
        .expect("presets")
        .iter()
        .map(|p| p["text"].as_str().expect("text"))
        .collect();
    assert_eq!(
        texts,
        [
            "Please wrap up",
            "One minute left",
            "Time is up",
            "Speak louder",
            "Slow down"
        ]
    );
    assert_eq!(info["messages"]["presets"][0]["n"], 1);
    assert_eq!(info["messages"]["clears"], "segment");
    assert_eq!(info["messages"]["flash"], true);
    assert_eq!(info["messages"]["chime"], false);

    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    let state = server.command(r#"{"cmd":"message","preset":1}"#).await;
    assert_eq!(state["message"], "Please wrap up");
    assert_eq!(state["message_flash"], true);
    assert_eq!(state["message_chime"], false);
    assert!(state["message_at_ms"].is_i64(), "{state}");
    let seen = viewer
        .state_where(|s| s["message"] == "Please wrap up")
        .await;
    assert_eq!(seen["message_at_ms"], state["message_at_ms"]);

    // Over the socket, with the options of the message itself.
    let mut moderator = server.ws().await;
    moderator.next_of("state").await;
    moderator
        .send_command(
            TOKEN,
            r#"{"cmd":"message","preset":5,"flash":false,"chime":true}"#,
        )
        .await;
    moderator.next_of("applied").await;
    let seen = viewer.state_where(|s| s["message"] == "Slow down").await;
    assert_eq!(
        (&seen["message_flash"], &seen["message_chime"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
}

#[tokio::test]
async fn a_preset_out_of_range_is_refused_with_the_presets_there_are_and_nothing_changes() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    server.command(r#"{"cmd":"start"}"#).await;
    let before = server
        .command(r#"{"cmd":"message","text":"Keep going"}"#)
        .await;
    for n in [0, 6, 99] {
        let body = format!(r#"{{"cmd":"message","preset":{n}}}"#);
        let (status, answer) = server.command_as(Some(TOKEN), &body).await;
        assert_eq!(status, 409, "{answer}");
        assert_eq!(
            answer["error"],
            format!("there is no preset {n}: the session has presets 1 to 5")
        );
    }
    // Malformed: both words and a preset, a negative number.
    for body in [
        r#"{"cmd":"message","preset":1,"text":"x"}"#,
        r#"{"cmd":"message","preset":-1}"#,
    ] {
        let (status, answer) = server.command_as(Some(TOKEN), body).await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    let mut moderator = server.ws().await;
    moderator.next_of("state").await;
    moderator
        .send_command(TOKEN, r#"{"cmd":"message","preset":6}"#)
        .await;
    let error = moderator.next_of("error").await;
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("there is no preset 6")),
        "{error}"
    );
    let (_, now) = server.get("/api/state").await;
    assert_eq!(now["seq"], before["seq"], "no new state: {now}");
    assert_eq!(now["message"], "Keep going");
    assert_eq!(now["phase"], "running");
}

/// Issue 14: "a 'wrap up' meant for one speaker greets the next one".
#[tokio::test]
async fn the_message_goes_when_the_segment_changes_unless_the_session_keeps_it() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"message","preset":1}"#).await;
    let next = server.command(r#"{"cmd":"next"}"#).await;
    assert_eq!(next["index"], 1);
    assert_eq!(next["message"], "");
    assert_eq!(next["message_at_ms"], Value::Null);

    let kept = TestServer::start_show(custom(), 1.0).await;
    let (_, info) = kept.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(info["messages"]["clears"], "never");
    assert_eq!(
        info["messages"]["presets"],
        serde_json::json!([
            {"n": 1, "text": "Two minutes, then questions", "flash": false, "chime": true},
            {"n": 2, "text": "Mic!", "flash": true, "chime": false},
        ])
    );
    kept.command(r#"{"cmd":"start"}"#).await;
    let said = kept.command(r#"{"cmd":"message","preset":1}"#).await;
    assert_eq!(
        (&said["message_flash"], &said["message_chime"]),
        (&Value::Bool(false), &Value::Bool(true))
    );
    let next = kept.command(r#"{"cmd":"next"}"#).await;
    assert_eq!(next["message"], "Two minutes, then questions");
    assert_eq!(next["message_at_ms"], said["message_at_ms"]);
    let (status, answer) = kept
        .command_as(Some(TOKEN), r#"{"cmd":"message","preset":3}"#)
        .await;
    assert_eq!(status, 409);
    assert_eq!(
        answer["error"],
        "there is no preset 3: the session has presets 1 to 2"
    );
}

/// The journal records a preset as its words (with the flash and chime it had), so `--resume`
/// and `report` replay the same message whatever the session file says later.
#[tokio::test]
async fn the_journal_records_a_presets_words_and_resume_shows_it_again() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let journal = dir.path().join("run.jsonl");
    let journal_arg = journal.display().to_string();
    let mut podium = Process::start(&["run", common::SHORT, "--journal", &journal_arg]).await;
    podium.command(r#"{"cmd":"start"}"#).await;
    podium.command(r#"{"cmd":"message","preset":2}"#).await;
    // A crash: --resume carries on from the journal.
    podium.signal(nix::sys::signal::Signal::SIGKILL);
    podium.child.wait().await.expect("podium ends");
    let text = std::fs::read_to_string(&journal).expect("the journal");
    let line: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON lines"))
        .find(|l| l["cmd"]["cmd"] == "message")
        .expect("the message is journaled");
    assert_eq!(
        line["cmd"],
        serde_json::json!({"cmd": "message", "text": "One minute left", "flash": true, "chime": false})
    );

    let resumed = Process::start(&["run", common::SHORT, "--resume", &journal_arg]).await;
    let (_, state) = resumed.get("/api/state").await;
    assert_eq!(state["message"], "One minute left", "{state}");
}

#[test]
fn the_loader_refuses_bad_presets_and_message_settings_with_file_line_col() {
    let load = |text: &str| {
        show::load_str(Path::new("s.toml"), text)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let seg = "[[segment]]\ntitle = \"Talk\"\nduration = \"5m\"\n";
    let cases = [
        (
            format!("[[preset]]\ntext = \"  \"\n{seg}"),
            "s.toml:2:8: preset 1 is empty",
        ),
        (
            format!("[[preset]]\ntext = \"{}\"\n{seg}", "x".repeat(281)),
            "s.toml:2:8: preset 1 has 281 characters: at most 280",
        ),
        (
            format!("[[preset]]\ntext = \"a\\tb\"\n{seg}"),
            "s.toml:2:8: preset 1 contains a control character",
        ),
        (
            format!("message_clears = \"speaker\"\n{seg}"),
            "s.toml:1:18: message_clears = \"speaker\" is not a choice",
        ),
        (format!("message_flash = \"yes\"\n{seg}"), "s.toml:1:17:"),
        (
            format!("[[preset]]\ntext = \"a\"\nblink = true\n{seg}"),
            "s.toml:3:1: unknown field `blink`",
        ),
    ];
    for (text, expected) in &cases {
        let err = load(text).expect_err(expected);
        assert!(err.starts_with(expected), "{err}\nexpected {expected}");
    }
    let ten: String = (1..=10)
        .map(|n| format!("[[preset]]\ntext = \"p{n}\"\n"))
        .collect();
    let err = load(&format!("{ten}{seg}")).expect_err("ten presets");
    assert!(
        err.starts_with("s.toml:19:1: preset 10 is one too many: a session has at most 9 presets"),
        "{err}"
    );
    load(&format!(
        "{}{seg}",
        &ten[..ten.find("[[preset]]\ntext = \"p10\"").expect("p10")]
    ))
    .expect("nine presets are fine");
}
