//! The real server on a loopback port with real tokio-tungstenite clients: state arrives, commands
//! apply and reach every client, the token is enforced, bad input is refused without harm.

use crate::common;

use common::{TOKEN, TestServer};
use futures_util::SinkExt;
use serde_json::Value;

const SHOW: &str = "tests/sessions/short.toml";

#[tokio::test]
async fn state_arrives_on_connect_with_every_documented_field() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    let state = viewer.next_json().await;
    assert_eq!(state["type"], "state");
    for field in [
        "seq",
        "server_time_ms",
        "phase",
        "index",
        "segment",
        "remaining_ms",
        "ends_at_ms",
        "speed",
        "next",
        "message",
        "schedule_offset_ms",
        "segments",
        "target_end_ms",
        "slack_ms",
    ] {
        assert!(state.get(field).is_some(), "state has {field}: {state}");
    }
    assert_eq!(state["phase"], "ready");
    assert_eq!(state["index"], 0);
    assert_eq!(state["segments"], 3);
    assert_eq!(state["segment"]["title"], "Opening");
    assert_eq!(state["segment"]["speaker"], "Chair");
    assert_eq!(state["segment"]["duration_ms"], 120_000);
    assert_eq!(state["segment"]["max_ms"], 180_000);
    assert_eq!(state["remaining_ms"], 120_000);
    assert_eq!(state["ends_at_ms"], Value::Null);
    assert_eq!(state["next"]["title"], "Keynote");
    assert!(state.get("notes").is_none() && !state.to_string().contains("Moderator-only"));
    let (status, over_http) = server.get("/api/state").await;
    assert_eq!(status, 200);
    assert_eq!(over_http["seq"], state["seq"]);
}

#[tokio::test]
async fn a_command_reaches_every_client_with_the_same_seq() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewers = Vec::new();
    for _ in 0..4 {
        let mut v = server.ws().await;
        v.next_of("state").await;
        viewers.push(v);
    }
    let answer = server.command(r#"{"cmd":"start"}"#).await;
    assert_eq!(answer["phase"], "running");
    let seq = answer["seq"].as_u64().expect("seq");
    for v in &mut viewers {
        let state = v.state_where(|s| s["phase"] == "running").await;
        assert_eq!(state["seq"].as_u64(), Some(seq));
        assert_eq!(state["ends_at_ms"], answer["ends_at_ms"]);
    }
    let answer = server
        .command(r#"{"cmd":"message","text":"Wrap up"}"#)
        .await;
    for v in &mut viewers {
        let state = v.state_where(|s| s["message"] == "Wrap up").await;
        assert_eq!(state["seq"], answer["seq"]);
    }
}

#[tokio::test]
async fn commands_apply_as_documented() {
    let server = TestServer::start(SHOW, 1.0).await;
    let s = server.command(r#"{"cmd":"goto","index":1}"#).await;
    assert_eq!(
        (s["index"].as_u64(), s["phase"].as_str()),
        (Some(1), Some("ready"))
    );
    let s = server.command(r#"{"cmd":"adjust","seconds":60}"#).await;
    assert_eq!(s["remaining_ms"], 660_000);
    assert_eq!(s["segment"]["duration_ms"], 660_000);
    let s = server.command(r#"{"cmd":"start"}"#).await;
    let ends = s["ends_at_ms"].as_i64().expect("running");
    assert!((ends - s["server_time_ms"].as_i64().unwrap() - 660_000).abs() <= 5);
    let s = server.command(r#"{"cmd":"pause"}"#).await;
    assert_eq!(s["phase"], "paused");
    assert_eq!(s["ends_at_ms"], Value::Null);
    let s = server.command(r#"{"cmd":"previous"}"#).await;
    assert_eq!(
        (s["index"].as_u64(), s["phase"].as_str()),
        (Some(0), Some("paused"))
    );
    let s = server.command(r#"{"cmd":"toggle"}"#).await;
    assert_eq!(s["phase"], "running");
    let s = server.command(r#"{"cmd":"next"}"#).await;
    assert_eq!(
        (s["index"].as_u64(), s["phase"].as_str()),
        (Some(1), Some("running"))
    );
    let s = server.command(r#"{"cmd":"reset"}"#).await;
    assert_eq!(
        (s["index"].as_u64(), s["phase"].as_str()),
        (Some(0), Some("ready"))
    );
}

#[tokio::test]
async fn control_without_the_token_is_refused_and_changes_nothing() {
    let server = TestServer::start(SHOW, 1.0).await;
    let (_, before) = server.get("/api/state").await;
    let (status, body) = server.command_as(None, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap().contains("token"));
    let (status, _) = server
        .command_as(Some("not-the-token"), r#"{"cmd":"start"}"#)
        .await;
    assert_eq!(status, 401);
    let (status, _) = server.get("/api/show").await;
    assert_eq!(
        status, 401,
        "the run-of-show with notes is for the moderator"
    );
    let (_, after) = server.get("/api/state").await;
    assert_eq!(
        (after["seq"].clone(), after["phase"].clone()),
        (before["seq"].clone(), before["phase"].clone())
    );
}

#[tokio::test]
async fn a_bad_body_is_refused_with_a_reason_and_the_session_goes_on() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    for bad in [
        "not json",
        r#"{"cmd":"dance"}"#,
        r#"{"cmd":"goto"}"#,
        r#"{"cmd":"adjust","seconds":"a"}"#,
    ] {
        let (status, body) = server.command_as(Some(TOKEN), bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(
            body["error"].as_str().unwrap().starts_with("bad command"),
            "{body}"
        );
    }
    let (status, body) = server.command_as(Some(TOKEN), r#"{"cmd":"pause"}"#).await;
    assert_eq!(status, 409, "pausing nothing does not apply: {body}");
    let (status, _) = server
        .command_as(Some(TOKEN), r#"{"cmd":"goto","index":99}"#)
        .await;
    assert_eq!(status, 409);
    let huge = format!(r#"{{"cmd":"message","text":"{}"}}"#, "x".repeat(100_000));
    let (status, _) = server.command_as(Some(TOKEN), &huge).await;
    assert_eq!(status, 413, "bodies are limited");
    // The session and the viewer are unharmed.
    let s = server.command(r#"{"cmd":"start"}"#).await;
    assert_eq!(s["phase"], "running");
    viewer.state_where(|s| s["phase"] == "running").await;
}

#[tokio::test]
async fn viewers_are_read_only_over_the_socket_and_garbage_is_answered() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    let first = viewer.next_of("state").await;
    viewer
        .send_text(r#"{"type":"command","cmd":"start","token":"not-the-token"}"#)
        .await;
    let err = viewer.next_of("error").await;
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("wrong moderator token"),
        "{err}"
    );
    viewer
        .send_text(r#"{"type":"command","cmd":"start"}"#)
        .await;
    let err = viewer.next_of("error").await;
    assert!(err["error"].as_str().unwrap().contains("token"), "{err}");
    viewer.send_text(r#"{"type":"dance"}"#).await;
    let err = viewer.next_of("error").await;
    assert!(err["error"].as_str().unwrap().contains("ping"), "{err}");
    viewer.send_text("{{{{ not json").await;
    viewer.next_of("error").await;
    viewer
        .ws
        .send(tokio_tungstenite::tungstenite::Message::binary(vec![
            1u8, 2, 3,
        ]))
        .await
        .unwrap();
    let err = viewer.next_of("error").await;
    assert!(err["error"].as_str().unwrap().contains("binary"));
    let (_, now) = server.get("/api/state").await;
    assert_eq!(now["phase"], "ready");
    assert_eq!(now["seq"], first["seq"]);
    // Still connected and served.
    server.command(r#"{"cmd":"start"}"#).await;
    viewer.state_where(|s| s["phase"] == "running").await;
}

// Real time: real sockets (a paused clock would fire their timeouts at once).
#[tokio::test]
async fn pings_are_answered_for_clock_sync() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    viewer
        .send_text(r#"{"type":"ping","id":7,"client_ms":1000.5}"#)
        .await;
    let pong = viewer.next_of("pong").await;
    assert_eq!(pong["id"], 7);
    assert_eq!(pong["client_ms"], 1000.5);
    let server_ms = pong["server_ms"].as_f64().unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    assert!((wall - server_ms).abs() < 2_000.0);
}

/// What one viewer received over a window of real time, counted on the real socket: every frame
/// the server sent (text, pings, close) with its WebSocket header, and the JSON texts.
struct Heard {
    bytes: usize,
    seconds: f64,
    texts: Vec<Value>,
}

impl Heard {
    fn per_second(&self) -> f64 {
        self.bytes as f64 / self.seconds
    }

    fn of_type(&self, kind: &str) -> usize {
        self.texts.iter().filter(|t| t["type"] == kind).count()
    }
}

async fn listen(viewer: &mut common::Client, window: std::time::Duration) -> Heard {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let started = tokio::time::Instant::now();
    let end = started + window;
    let mut heard = Heard {
        bytes: 0,
        seconds: window.as_secs_f64(),
        texts: Vec::new(),
    };
    while let Ok(frame) = tokio::time::timeout_at(end, viewer.ws.next()).await {
        let frame = frame.expect("socket open").expect("no socket error");
        let payload = match &frame {
            Message::Text(text) => {
                heard
                    .texts
                    .push(serde_json::from_str(text).expect("valid JSON"));
                text.len()
            }
            Message::Ping(p) | Message::Pong(p) | Message::Binary(p) => p.len(),
            Message::Close(_) | Message::Frame(_) => 2,
        };
        // Server frames are unmasked: a 2-byte header up to 125 bytes of payload, 4 up to 64 KiB.
        heard.bytes += payload + if payload <= 125 { 2 } else { 4 };
    }
    heard
}

/// Issue 11: a heartbeat is not a state. Over idle seconds (ready, then running between phase
/// changes) a viewer gets no repeated state, only tiny `alive` frames, well under 40 bytes a
/// second on the wire; a viewer that connects later still gets a state of this second.
#[tokio::test]
async fn an_idle_viewer_gets_tiny_alive_frames_not_repeated_states() {
    let window = std::time::Duration::from_millis(3_500);
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    let first = viewer.next_of("state").await;
    assert_eq!(first["phase"], "ready");

    let ready = listen(&mut viewer, window).await;
    assert_eq!(
        ready.of_type("state"),
        0,
        "no state while nothing changes: {:?}",
        ready.texts
    );
    assert!(
        ready.of_type("alive") >= 2,
        "alive at least every second: {:?}",
        ready.texts
    );
    assert!(
        ready
            .texts
            .iter()
            .all(|t| *t == serde_json::json!({"type": "alive"})),
        "{:?}",
        ready.texts
    );
    assert!(
        ready.per_second() <= 40.0,
        "{} B/s idle while ready",
        ready.per_second()
    );

    // Running: the start's state, then (the opening warns only after a minute) nothing but alive.
    server.command(r#"{"cmd":"start"}"#).await;
    let started = viewer.next_of("state").await;
    assert_eq!(started["phase"], "running");
    let running = listen(&mut viewer, window).await;
    assert_eq!(running.of_type("state"), 0, "{:?}", running.texts);
    assert!(running.of_type("alive") >= 2, "{:?}", running.texts);
    assert!(
        running.per_second() <= 40.0,
        "{} B/s idle while running",
        running.per_second()
    );

    // A latecomer's first state is of this second, not of the last change (7 s ago): it is
    // what a page's clock estimate starts from before its first pong.
    let mut late = server.ws().await;
    let state = late.next_of("state").await;
    assert_eq!(state["seq"], started["seq"], "nothing changed");
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as f64;
    let age = wall - state["server_time_ms"].as_f64().expect("server_time_ms");
    assert!(age < 3_000.0, "a state {age} ms old on connect");
}

/// At --speed 60 the 2-minute opening warns after one second, runs out after two and passes its
/// 3-minute max after three; every viewer sees each phase in order.
// Real time: real sockets. Exact instants: time_base::phases_change_at_their_exact_instants.
#[tokio::test]
async fn phases_progress_in_show_time() {
    let server = TestServer::start(SHOW, 60.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    let start = server.command(r#"{"cmd":"start"}"#).await;
    let mut seen = vec![start["phase"].as_str().unwrap().to_owned()];
    while seen.last().map(String::as_str) != Some("over-max") {
        let s = viewer.next_of("state").await;
        let phase = s["phase"].as_str().unwrap().to_owned();
        if seen.last() != Some(&phase) {
            if phase == "overtime" {
                assert!(s["remaining_ms"].as_i64().unwrap() < 0);
            }
            seen.push(phase);
        }
    }
    assert_eq!(seen, ["running", "warning", "overtime", "over-max"]);
    let s = server.get("/api/state").await.1;
    assert!(
        s["schedule_offset_ms"].as_i64().unwrap() > 60_000,
        "a minute past: behind"
    );
}

#[tokio::test]
async fn the_moderator_gets_the_run_of_show_with_notes_and_actual_times() {
    let server = TestServer::start(SHOW, 1.0).await;
    server.command(r#"{"cmd":"start"}"#).await;
    server.command(r#"{"cmd":"next"}"#).await;
    let (status, show) = server.get_as(Some(TOKEN), "/api/show").await;
    assert_eq!(status, 200);
    let segs = show["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 3);
    assert_eq!(segs[0]["notes"], "Moderator-only note");
    assert_eq!(segs[1]["planned_offset_ms"], 120_000);
    assert!(segs[0]["actual_start_ms"].is_i64() && segs[0]["actual_end_ms"].is_i64());
    assert!(segs[1]["actual_start_ms"].is_i64() && segs[1]["actual_end_ms"].is_null());
}

#[tokio::test]
async fn pages_and_assets_are_served_with_security_headers() {
    let server = TestServer::start(SHOW, 1.0).await;
    let http = reqwest::Client::new();
    for path in [
        "/",
        "/control",
        "/assets/speaker.js",
        "/assets/style.css",
        "/assets/display.js",
    ] {
        let resp = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }
    let resp = http
        .get(server.url("/assets/../Cargo.toml"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn shutdown_tells_clients_and_closes_sockets() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    server.stop();
    let bye = viewer.next_of("bye").await;
    assert_eq!(bye["reason"], "server shutting down");
    use futures_util::StreamExt;
    let close = tokio::time::timeout(std::time::Duration::from_secs(2), viewer.ws.next())
        .await
        .expect("closed promptly");
    match close {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 1001);
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn fit_over_http_replans_the_rest_and_says_what_it_changed() {
    let server = TestServer::start("tests/sessions/slot.toml", 1.0).await;
    let (_, state) = server.get("/api/state").await;
    assert_eq!(state["slack_ms"], -300_000, "{state}");
    let fitted = server.command(r#"{"cmd":"fit"}"#).await;
    assert_eq!(fitted["slack_ms"], 0, "{fitted}");
    assert!(fitted["target_end_ms"].is_i64());
    let (_, show) = server.get_as(Some(TOKEN), "/api/show").await;
    let fit = &show["last_fit"];
    assert_eq!(fit["changes"][0]["index"], 2, "{show}");
    assert_eq!(fit["changes"][0]["from_ms"], 600_000);
    assert_eq!(fit["changes"][0]["to_ms"], 300_000);
    assert_eq!(fit["short_ms"], 0);
    assert!(
        fit["summary"]
            .as_str()
            .unwrap()
            .contains("3. Q&A 10:00 → 5:00"),
        "{fit}"
    );
    let segs = show["segments"].as_array().unwrap();
    assert_eq!(segs[2]["replanned_ms"], 300_000);
    assert_eq!(
        segs[2]["duration_ms"], 600_000,
        "the file's plan stays visible"
    );
    let starts: Vec<i64> = segs
        .iter()
        .map(|s| s["projected_start_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(starts[2] - starts[0], 600_000);
    // Nothing left to gain: a second fit is refused with the reason.
    let (status, again) = server.command_as(Some(TOKEN), r#"{"cmd":"fit"}"#).await;
    assert_eq!(status, 409);
    assert!(
        again["error"]
            .as_str()
            .unwrap()
            .contains("nothing to shorten"),
        "{again}"
    );
}

#[tokio::test]
async fn fit_without_an_end_is_refused_with_the_remedy() {
    let server = TestServer::start(SHOW, 1.0).await;
    let (status, answer) = server.command_as(Some(TOKEN), r#"{"cmd":"fit"}"#).await;
    assert_eq!(status, 409);
    assert!(
        answer["error"].as_str().unwrap().contains("add e.g. end ="),
        "{answer}"
    );
    let (_, state) = server.get("/api/state").await;
    assert_eq!(state["slack_ms"], Value::Null);
}

/// Issue 7: the agenda is public and carries no moderator notes.
#[tokio::test]
async fn the_agenda_is_public_and_has_no_notes() {
    let server = TestServer::start(SHOW, 1.0).await;
    server.command(r#"{"cmd":"start"}"#).await;
    let resp = reqwest::get(server.url("/api/agenda")).await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        !text.contains("notes") && !text.contains("Moderator-only"),
        "{text}"
    );
    let agenda: Value = serde_json::from_str(&text).unwrap();
    let segs = agenda["segments"].as_array().unwrap();
    let titles: Vec<&str> = segs.iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Opening", "Keynote", "Q&A"]);
    assert_eq!(segs[1]["planned_offset_ms"], 120_000);
    assert!(segs[0]["actual_start_ms"].is_i64());
    assert_eq!(agenda["timezone"], "UTC");
    // The overlay is marked in the HTML itself: transparent before any script runs.
    let overlay = reqwest::get(server.url("/?view=overlay")).await.unwrap();
    assert!(
        overlay
            .text()
            .await
            .unwrap()
            .contains(r#"<body class="speaker" data-view="overlay">"#)
    );
    let speaker = reqwest::get(server.url("/?view=overlays")).await.unwrap();
    assert!(!speaker.text().await.unwrap().contains("data-view"));
    let page = reqwest::get(server.url("/agenda")).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/assets/agenda.js"));
    for asset in ["agenda.js", "agenda.css", "cues.js", "views.css"] {
        let resp = reqwest::get(server.url(&format!("/assets/{asset}")))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{asset}");
    }
}

/// Issue 7: blackout and focus are commands, and the state says so.
#[tokio::test]
async fn blackout_and_focus_are_in_the_state() {
    let server = TestServer::start(SHOW, 1.0).await;
    let mut viewer = server.ws().await;
    let first = viewer.next_of("state").await;
    assert_eq!(
        (&first["blackout"], &first["focus"]),
        (&Value::Bool(false), &Value::Bool(false))
    );
    let state = server.command(r#"{"cmd":"blackout","on":true}"#).await;
    assert_eq!(state["blackout"], true);
    viewer.state_where(|s| s["blackout"] == true).await;
    let state = server.command(r#"{"cmd":"focus","on":true}"#).await;
    assert_eq!(
        (&state["blackout"], &state["focus"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    let state = server.command(r#"{"cmd":"blackout","on":false}"#).await;
    assert_eq!(state["blackout"], false);
    let (status, _) = server
        .command_as(Some(TOKEN), r#"{"cmd":"blackout"}"#)
        .await;
    assert_eq!(status, 400, "on is required");
}

/// Issue 7: `on_end = "next"` hands over at the deadline by itself; `"stop"` freezes at 0:00.
// Real time: real sockets. Exact: time_base::end_actions_take_effect_at_the_exact_deadline.
#[tokio::test]
async fn end_actions_hand_over_and_stop_in_show_time() {
    let server = TestServer::start("tests/sessions/ends.toml", 60.0).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    let start = server.command(r#"{"cmd":"start"}"#).await;
    assert_eq!(start["segment"]["on_end"], "next");
    let talk = viewer.state_where(|s| s["index"] == 1).await;
    assert_eq!(talk["phase"], "running", "{talk}");
    assert_eq!(talk["segment"]["on_end"], "stop");
    // Handed over exactly at the deadline: the talk ends one planned minute after it.
    let opening_end = start["ends_at_ms"].as_i64().unwrap();
    assert_eq!(
        talk["ends_at_ms"].as_i64().unwrap(),
        opening_end + 1000,
        "60 s at --speed 60"
    );
    let stopped = viewer.state_where(|s| s["phase"] == "stopped").await;
    assert_eq!(
        (&stopped["index"], &stopped["remaining_ms"]),
        (&Value::from(1), &Value::from(0))
    );
    assert!(stopped["ends_at_ms"].is_null());
    // It stays stopped: no overtime, and starting again is refused until the moderator acts.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.get("/api/state").await.1["phase"], "stopped");
    let (status, _) = server.command_as(Some(TOKEN), r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 409);
    let next = server.command(r#"{"cmd":"next"}"#).await;
    assert_eq!(
        (&next["index"], &next["phase"]),
        (&Value::from(2), &Value::from("paused"))
    );
}

/// Issue 10: `--bind 0.0.0.0` printed only `127.0.0.1` URLs, so the moderator had to find the
/// machine's address. The speaker URLs now list the machine's reachable addresses, loopback last.
#[tokio::test]
async fn a_wildcard_bind_prints_the_machines_addresses_loopback_last() {
    let others: Vec<std::net::IpAddr> = podium::server::origin::machine_addresses()
        .into_iter()
        .filter(|ip| ip.is_ipv4() && !ip.is_loopback())
        .collect();
    let mut proc = common::Process::start(&["run", common::SHORT, "--bind", "0.0.0.0:0"]).await;
    let mut urls = vec![proc.base.clone()];
    loop {
        let line =
            tokio::time::timeout(std::time::Duration::from_secs(10), proc.stdout.next_line())
                .await
                .expect("more output")
                .expect("readable")
                .expect("still running");
        if line.starts_with("moderator:") {
            assert!(line.contains("127.0.0.1"), "{line}");
            break;
        }
        urls.push(
            line.split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/')
                .to_owned(),
        );
    }
    assert!(
        urls.last().unwrap().starts_with("http://127.0.0.1:"),
        "{urls:?}"
    );
    if let Some(ip) = others.first() {
        assert!(
            urls.iter().any(|u| u.starts_with(&format!("http://{ip}:"))),
            "{ip} is not among {urls:?}"
        );
        assert!(
            !urls[0].contains("127.0.0.1"),
            "loopback comes last: {urls:?}"
        );
        // The first URL works, from this machine at least.
        let (status, _) = proc.get("/api/state").await;
        assert_eq!(status, 200);
    }
}
