//! Events: several rooms in one process (issue 12). Real server, real sockets, several rooms at
//! once: each room's commands and viewers are its own, tokens are per room plus the organiser's,
//! unknown rooms are answered with the list of rooms.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::common::rooms::{ORGANISER, TestEvent, room_token};
use crate::common::{self, short_show};

/// Every text frame `viewer` receives within `window`, as JSON.
async fn heard(viewer: &mut common::Client, window: Duration) -> Vec<serde_json::Value> {
    let end = tokio::time::Instant::now() + window;
    let mut texts = Vec::new();
    while let Ok(Some(frame)) = tokio::time::timeout_at(end, viewer.ws.next()).await {
        if let Ok(Message::Text(text)) = frame {
            texts.push(serde_json::from_str(&text).expect("valid JSON"));
        }
    }
    texts
}

// Real time: real sockets (a paused clock would fire their timeouts at once).
#[tokio::test]
async fn a_command_in_one_room_reaches_only_that_rooms_viewers() {
    let event = TestEvent::start(&["a", "b"], short_show(), 1.0).await;
    let mut in_a = event.ws("a").await;
    let mut in_b = event.ws("b").await;
    assert_eq!(in_a.next_of("state").await["phase"], "ready");
    let before_b = in_b.next_of("state").await;
    assert_eq!(before_b["phase"], "ready");

    let (status, answer) = event
        .command_as("a", Some(&room_token("a")), r#"{"cmd":"start"}"#)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["phase"], "running");
    let started = in_a.state_where(|s| s["phase"] == "running").await;
    assert_eq!(started["index"], 0);

    // B's viewer hears only its own room's liveness: no state at all, and B is still ready.
    let frames = heard(&mut in_b, Duration::from_millis(2_500)).await;
    assert!(
        frames.iter().all(|f| f["type"] == "alive"),
        "room b's viewer received something from room a: {frames:?}"
    );
    let (status, _, body) = event.get_text("/r/b/api/state").await;
    assert_eq!(status, 200);
    let b: serde_json::Value = serde_json::from_str(&body).expect("JSON state");
    assert_eq!(b["phase"], "ready");
    assert_eq!(b["seq"], before_b["seq"], "room b's state did not change");
}

/// Isolation: room A bursts 200 long messages at 20 viewers that never read (their buffers fill,
/// the server drops them), while room B starts. B's viewer hears its own start and nothing of A,
/// and A's healthy viewer still gets A's latest message: one room's trouble is its own.
#[tokio::test]
async fn a_burst_and_stalled_viewers_in_one_room_leave_another_room_unharmed() {
    let event = TestEvent::start(&["a", "b"], short_show(), 1.0).await;
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(crate::common::raw_upgrade_at(event.addr, "/r/a/ws", Some(4096)).await);
    }
    let mut healthy_a = event.ws("a").await;
    let mut in_b = event.ws("b").await;
    healthy_a.next_of("state").await;
    let before_b = in_b.next_of("state").await;

    let token_a = room_token("a");
    let burst = futures_util::future::join_all((0..200).map(|i| {
        let body = format!(r#"{{"cmd":"message","text":"{i:03} {}"}}"#, "x".repeat(270));
        let token = token_a.clone();
        let event = &event;
        async move { event.command_as("a", Some(&token), &body).await.0 }
    }));
    let start_b = async {
        let (status, answer) = event
            .command_as("b", Some(&room_token("b")), r#"{"cmd":"start"}"#)
            .await;
        assert_eq!(status, 200, "{answer}");
        answer
    };
    let (statuses, answer) = tokio::join!(burst, start_b);
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(answer["phase"], "running");

    let started = in_b.state_where(|s| s["phase"] == "running").await;
    assert_eq!(started["seq"], before_b["seq"].as_u64().expect("seq") + 1);
    assert_eq!(
        started["message"], "",
        "room b never shows room a's messages"
    );
    // The commands ran concurrently: whichever applied last is A's message now, and a viewer
    // always gets the latest state (intermediate ones may be skipped).
    let (status, _, body) = event.get_text("/r/a/api/state").await;
    assert_eq!(status, 200);
    let now_a: serde_json::Value = serde_json::from_str(&body).expect("JSON state");
    let last_a = healthy_a
        .state_where(|s| s["message"] == now_a["message"])
        .await;
    assert_eq!(last_a["phase"], "ready");
    drop(stalled);
}

#[tokio::test]
async fn a_rooms_token_controls_that_room_only_and_the_organisers_every_room() {
    let event = TestEvent::start(&["a", "b"], short_show(), 1.0).await;
    // A's moderator on B: 403, saying why.
    let (status, answer) = event
        .command_as("b", Some(&room_token("a")), r#"{"cmd":"start"}"#)
        .await;
    assert_eq!(status, 403, "{answer}");
    let why = answer["error"].as_str().expect("a reason");
    assert!(
        why.contains("\"a\"") && why.contains("\"b\""),
        "names both rooms: {why}"
    );
    // A wrong token is still 401; none at all is 401 too (viewers are read-only).
    let (status, _) = event
        .command_as("b", Some("not-a-token-of-this-event"), r#"{"cmd":"start"}"#)
        .await;
    assert_eq!(status, 401);
    let (status, _) = event.command_as("b", None, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 401);
    // Over the socket too: A's token in B's socket is refused.
    let mut in_b = event.ws("b").await;
    in_b.next_of("state").await;
    in_b.send_command(&room_token("a"), r#"{"cmd":"start"}"#)
        .await;
    let refused = in_b.next_of("error").await;
    let why = refused["error"].as_str().expect("a reason");
    assert!(
        why.contains("room \"a\"") && why.contains("room \"b\""),
        "{why}"
    );

    // The organiser controls every room, over HTTP and the socket.
    for id in ["a", "b"] {
        let (status, answer) = event
            .command_as(id, Some(ORGANISER), r#"{"cmd":"start"}"#)
            .await;
        assert_eq!(status, 200, "{id}: {answer}");
        assert_eq!(answer["phase"], "running");
    }
    in_b.send_command(ORGANISER, r#"{"cmd":"pause"}"#).await;
    in_b.state_where(|s| s["phase"] == "paused").await;
    // And sees every room's screens.
    let resp = reqwest::Client::new()
        .get(event.url("/r/a/api/presence"))
        .bearer_auth(ORGANISER)
        .send()
        .await
        .expect("request sent");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn an_unknown_room_is_a_404_that_lists_the_rooms() {
    let event = TestEvent::start(&["plenary", "side-8"], short_show(), 1.0).await;
    let (status, kind, body) = event.get_text("/r/nope/").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("text/html"), "{kind}");
    for id in ["/r/plenary/", "/r/side-8/"] {
        assert!(body.contains(id), "the 404 page links {id}: {body}");
    }
    for path in ["/r/nope/control", "/r/nope/agenda"] {
        assert_eq!(event.get_text(path).await.0, 404, "{path}");
    }
    // Under api/: JSON that names the rooms.
    let (status, kind, body) = event.get_text("/r/nope/api/state").await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("application/json"), "{kind}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let why = json["error"].as_str().expect("an error");
    assert!(why.contains("plenary") && why.contains("side-8"), "{why}");
    // With several rooms, a single session's paths are not served at the root.
    assert_eq!(event.get_text("/ws").await.0, 404);
    assert_eq!(event.get_text("/api/state").await.0, 404);
}

#[tokio::test]
async fn the_root_lists_the_rooms_with_what_is_on_now() {
    let event = TestEvent::start(&["a", "b"], short_show(), 1.0).await;
    let show = short_show();
    let (status, _) = event
        .command_as("b", Some(&room_token("b")), r#"{"cmd":"goto","index":1}"#)
        .await;
    assert_eq!(status, 200);
    let (status, kind, body) = event.get_text("/").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    let a = body.find("/r/a/").expect("room a is listed");
    let b = body.find("/r/b/").expect("room b is listed");
    assert!(a < b, "in the event's order");
    let line_a = &body[a..b];
    let line_b = &body[b..];
    let first = &show.segments[0].title;
    let second = &show.segments[1].title;
    assert!(line_a.contains(first.as_str()), "{line_a}");
    assert!(line_b.contains(second.as_str()), "{line_b}");
    assert!(line_a.contains("ready"), "the phase: {line_a}");
    // A room's own pages are served under /r/{room}/, and /r/{room} leads there.
    for path in ["/r/a/", "/r/a/control", "/r/a/agenda", "/r/a/?view=overlay"] {
        assert_eq!(event.get_text(path).await.0, 200, "{path}");
    }
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(event.url("/r/a"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(resp.status().as_u16(), 308);
    assert_eq!(resp.headers()["location"], "/r/a/");
}

/// The real binary running an event, headless, in its own working directory (journals go to
/// its `runs/`); killed on drop.
pub(crate) struct EventProcess {
    pub(crate) child: tokio::process::Child,
    pub(crate) base: String,
    pub(crate) tokens: std::collections::HashMap<String, String>,
    pub(crate) organiser: String,
}

impl EventProcess {
    pub(crate) async fn start(dir: &std::path::Path, args: &[&str]) -> EventProcess {
        use tokio::io::AsyncBufReadExt;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .current_dir(dir)
            .args(args)
            .args(["--bind", "127.0.0.1:0", "--no-notify"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("podium starts");
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
        let (mut base, mut tokens, mut printed) = (None, std::collections::HashMap::new(), vec![]);
        let organiser = loop {
            let line = tokio::time::timeout(Duration::from_secs(20), stdout.next_line())
                .await
                .expect("podium prints its URLs")
                .expect("stdout readable")
                .unwrap_or_else(|| panic!("podium exited; it printed {printed:#?}"));
            printed.push(line.clone());
            if let Some(url) = line.strip_prefix("speaker view: ") {
                base = Some(url.trim_end_matches('/').to_owned());
            }
            if let Some(rest) = line.strip_prefix("room ") {
                let id = rest.split(':').next().expect("an id").to_owned();
                let token = rest.rsplit("#token=").next().expect("a token").to_owned();
                tokens.insert(id, token);
            }
            if let Some(rest) = line.strip_prefix("organiser:") {
                let token = rest.split("#token=").nth(1).expect("a token");
                break token.split_whitespace().next().expect("a token").to_owned();
            }
        };
        // Keep reading stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        EventProcess {
            child,
            base: base.expect("a speaker view line"),
            tokens,
            organiser,
        }
    }

    async fn command(&self, room: &str, token: &str, body: &str) -> (u16, serde_json::Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}/r/{room}/api/command", self.base))
            .bearer_auth(token)
            .body(body.to_owned())
            .send()
            .await
            .expect("podium answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON"))
    }

    async fn state(&self, room: &str) -> serde_json::Value {
        reqwest::get(format!("{}/r/{room}/api/state", self.base))
            .await
            .expect("podium answers")
            .json()
            .await
            .expect("JSON state")
    }
}

/// Two copies of the short test show as `a.toml` and `b.toml` in a new directory.
fn two_sessions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let show = std::fs::read_to_string(common::SHORT).expect("the short show");
    for name in ["a.toml", "b.toml"] {
        std::fs::write(dir.path().join(name), &show).expect("written");
    }
    dir
}

// Real time: the real binary, killed with SIGKILL.
#[tokio::test]
async fn podium_run_a_b_serves_both_rooms_and_resume_brings_every_room_back() {
    let dir = two_sessions();
    let event =
        EventProcess::start(dir.path(), &["run", "a.toml", "b.toml", "--speed", "10"]).await;
    let (a, b) = (event.tokens["a"].clone(), event.tokens["b"].clone());
    assert_ne!(a, b, "each room its own token");
    let home = reqwest::get(format!("{}/", event.base))
        .await
        .expect("podium answers")
        .text()
        .await
        .expect("a page");
    assert!(home.contains("/r/a/") && home.contains("/r/b/"), "{home}");
    let overview = reqwest::get(format!("{}/overview/", event.base))
        .await
        .expect("podium answers");
    assert_eq!(
        overview.status().as_u16(),
        200,
        "the organiser's overview is served"
    );

    assert_eq!(event.command("a", &a, r#"{"cmd":"start"}"#).await.0, 200);
    assert_eq!(event.command("a", &a, r#"{"cmd":"next"}"#).await.0, 200);
    assert_eq!(event.command("b", &a, r#"{"cmd":"start"}"#).await.0, 403);
    let org = event.organiser.clone();
    assert_eq!(
        event
            .command("b", &org, r#"{"cmd":"goto","index":2}"#)
            .await
            .0,
        200
    );
    assert_eq!(
        event
            .command("b", &b, r#"{"cmd":"message","text":"hello b"}"#)
            .await
            .0,
        200
    );
    let before_a = event.state("a").await;
    let before_b = event.state("b").await;
    assert_eq!(before_a["index"], 1);
    assert_eq!(before_a["phase"], "running");
    assert_eq!(before_b["index"], 2);
    assert_eq!(before_b["message"], "hello b");

    // SIGKILL: no goodbye, no end line in any journal.
    let mut event = event;
    event.child.kill().await.expect("killed");
    let runs: Vec<_> = std::fs::read_dir(dir.path().join("runs"))
        .expect("runs/")
        .collect();
    assert_eq!(runs.len(), 1, "one run directory for the event");

    let again = EventProcess::start(dir.path(), &["run", "a.toml", "b.toml", "--resume"]).await;
    assert_eq!(again.tokens["a"], a, "room tokens are kept");
    assert_eq!(again.tokens["b"], b);
    assert_eq!(again.organiser, org, "the organiser's token is kept");
    let after_a = again.state("a").await;
    let after_b = again.state("b").await;
    assert_eq!(after_a["index"], 1);
    assert_eq!(after_a["phase"], "running");
    assert_eq!(after_a["segment"], before_a["segment"]);
    assert_eq!(after_b["index"], 2);
    assert_eq!(after_b["phase"], before_b["phase"]);
    assert_eq!(after_b["message"], "hello b");
    assert_eq!(again.command("b", &b, r#"{"cmd":"previous"}"#).await.0, 200);
}

#[tokio::test]
async fn bad_rooms_are_refused_before_anything_starts() {
    let dir = two_sessions();
    std::fs::create_dir(dir.path().join("other")).expect("made");
    std::fs::copy(dir.path().join("a.toml"), dir.path().join("other/a.toml")).expect("copied");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .current_dir(dir.path())
            .args(args)
            .args(["--bind", "127.0.0.1:0", "--no-notify"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("podium runs")
    };
    let dup = run(&["run", "a.toml", "other/a.toml"]);
    assert_eq!(dup.status.code(), Some(2));
    let said = String::from_utf8_lossy(&dup.stderr);
    assert!(said.contains("both room \"a\""), "{said}");
    let token = run(&["run", "a.toml", "b.toml", "--token", "a-token-long-enough"]);
    assert_eq!(token.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&token.stderr).contains("--organiser-token"),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    assert!(!dir.path().join("runs").exists(), "nothing was started");
}

#[tokio::test]
async fn podium_run_an_event_file_serves_each_of_its_rooms() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sessions/004_labour_mobility_event.toml");
    let event_file = podium::show::load_event_file(&file).expect("the seed event loads");
    let dir = tempfile::tempdir().expect("temporary directory");
    let event = EventProcess::start(dir.path(), &["run", file.to_str().expect("utf-8")]).await;
    let home = reqwest::get(format!("{}/", event.base))
        .await
        .expect("podium answers")
        .text()
        .await
        .expect("a page");
    for room in &event_file.rooms {
        assert!(
            home.contains(&format!("/r/{}/", room.id)),
            "{} in {home}",
            room.id
        );
        assert!(
            event.tokens.contains_key(&room.id),
            "{} has a token",
            room.id
        );
        let state = event.state(&room.id).await;
        assert_eq!(state["segments"], room.show.segments.len(), "{}", room.id);
    }
    // An inline room and a room with its own session file, moved on; SIGKILL; --resume.
    let org = event.organiser.clone();
    let ids: Vec<&str> = event_file.rooms.iter().map(|r| r.id.as_str()).collect();
    for id in &ids[..2] {
        let (status, answer) = event.command(id, &org, r#"{"cmd":"start"}"#).await;
        assert_eq!(status, 200, "{id}: {answer}");
    }
    let mut event = event;
    event.child.kill().await.expect("killed");
    let again = EventProcess::start(
        dir.path(),
        &["run", file.to_str().expect("utf-8"), "--resume"],
    )
    .await;
    assert_eq!(again.organiser, org);
    for (i, id) in ids.iter().enumerate() {
        let phase = &again.state(id).await["phase"];
        if i < 2 {
            assert_ne!(phase, "ready", "{id} resumed where it was");
        } else {
            assert_eq!(phase, "ready", "{id} was never started");
        }
    }
}

/// A room's speaker page under `/r/{room}/` finds its own socket (next to the page), shows its
/// room's show and counts down when that room starts; another room's start moves nothing.
#[tokio::test]
async fn browser_a_rooms_speaker_page_connects_and_counts_down() {
    use crate::common::browser::{Browser, Scratch, browser_available};
    if !browser_available() {
        return;
    }
    let event = TestEvent::start(&["a", "b"], short_show(), 60.0).await;
    let scratch = Scratch::new("rooms-speaker");
    let browser = Browser::start(&scratch).await;
    browser.goto(&event.url("/r/b/")).await;
    let digits = "return document.getElementById('remaining').textContent";
    browser
        .wait_true(
            "room b's page connected and ready at 2:00",
            "return document.getElementById('status').dataset.state === 'connected' \
             && document.getElementById('remaining').textContent === '2:00'",
        )
        .await;
    // Room a starts: room b's page does not move.
    let (status, _) = event
        .command_as("a", Some(&room_token("a")), r#"{"cmd":"start"}"#)
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(browser.eval::<String>(digits).await, "2:00");
    // Room b starts (the organiser): its page counts down.
    let (status, _) = event
        .command_as("b", Some(ORGANISER), r#"{"cmd":"start"}"#)
        .await;
    assert_eq!(status, 200);
    browser
        .wait_true(
            "room b's page counting down below 2:00",
            "const t = document.getElementById('remaining').textContent; \
             return /^[0-9]:[0-5][0-9]$/.test(t) && t !== '2:00'",
        )
        .await;
    browser.screenshot("rooms-speaker-b.png").await;
    browser.close().await;
}

/// The terminal drives one selected room: its keys act there, Tab selects the next room and the
/// status line says which (a real tmux terminal, the real binary).
#[tokio::test]
async fn the_terminal_controls_the_selected_room_and_tab_switches() {
    use crate::common::tmux::Tmux;
    let tmux = Tmux::start(100, 24, |dir| {
        let show = std::fs::read_to_string(common::SHORT).expect("the short show");
        for name in ["a.toml", "b.toml"] {
            std::fs::write(dir.join(name), &show).expect("written");
        }
        format!(
            "cd {} && exec {} run a.toml b.toml --bind 127.0.0.1:0 --no-notify",
            dir.display(),
            env!("CARGO_BIN_EXE_podium")
        )
    });
    let base = tmux.base_url();
    let state = |room: &'static str| {
        let url = format!("{base}/r/{room}/api/state");
        async move {
            reqwest::get(url)
                .await
                .expect("podium answers")
                .json::<serde_json::Value>()
                .await
                .expect("JSON")
        }
    };
    tmux.wait_for("a › [1/3]");
    tmux.keys(&["Space"]);
    tmux.wait_for("running");
    assert_eq!(state("a").await["phase"], "running");
    assert_eq!(state("b").await["phase"], "ready");

    tmux.keys(&["Tab"]);
    tmux.wait_for("b › [1/3]");
    tmux.keys(&["n"]);
    tmux.wait_for("b › [2/3]");
    assert_eq!(state("b").await["index"], 1);
    assert_eq!(state("a").await["index"], 0, "room a did not move");
    tmux.keys(&["BTab"]);
    tmux.wait_for("a › [1/3]");
}
