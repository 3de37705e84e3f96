//! Relays over NATS (issue 13), with a real `nats-server`, the real origin (`podium run … --nats`)
//! and real relays (`podium relay`) on loopback: every viewer of every relay gets every state,
//! byte for byte what the origin's own viewers get; a command through a relay applies (HTTP and
//! socket) with the origin's answers; a viewer of a relay killed with SIGKILL is served by another
//! within 3 s, by the pages' rule; relays catch up after a restart of nats-server while the
//! origin keeps serving its own viewers; bad and huge bytes on a state subject are refused and
//! the relay goes on.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::common::nats::NatsServer;
use crate::common::{Process, SHORT, TOKEN};

/// The short show's event id on NATS (a session is named by its file) and its one room.
const STATE_SUBJECT: &str = "podium.short.main.state";

/// `podium relay --nats URL --bind 127.0.0.1:0`, killed on drop; `base` once it serves.
pub(crate) struct Relay {
    child: tokio::process::Child,
    pub base: String,
}

impl Relay {
    pub async fn start(nats: &str) -> Relay {
        Relay::start_with(nats, &[]).await
    }

    /// With `extra` arguments (e.g. `--allow-origin` of a peer).
    pub async fn start_with(nats: &str, extra: &[&str]) -> Relay {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(["relay", "--nats", nats, "--bind", "127.0.0.1:0"])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("podium relay starts");
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
        let base = loop {
            let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
                .await
                .expect("the relay says where it serves within 30 s")
                .expect("stdout readable")
                .expect("the relay did not exit");
            if let Some(rest) = line.strip_prefix("podium relay: serving event ")
                && let Some(url) = rest.split(" on ").nth(1)
            {
                break url.trim_end_matches('/').to_owned();
            }
        };
        // Keep reading so the relay never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Relay { child, base }
    }

    fn ws_url(&self) -> String {
        ws_url(&self.base)
    }

    fn kill(&mut self) {
        let pid = self.child.id().expect("running") as i32;
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        )
        .expect("SIGKILL sent");
    }
}

fn ws_url(base: &str) -> String {
    format!("{}/ws", base.replacen("http", "ws", 1))
}

async fn origin(nats: &NatsServer) -> Process {
    let url = nats.url();
    Process::start(&["run", SHORT, "--nats", url.as_str(), "--speed", "60"]).await
}

/// A viewer that keeps the raw text of every frame.
struct Raw {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Raw {
    async fn connect(url: &str) -> Raw {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        Raw { ws }
    }

    /// The next text frame, raw (fails after 10 s of silence).
    async fn next_text(&mut self) -> String {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.ws.next())
                .await
                .expect("a frame within 10 s")
                .expect("socket open")
                .expect("no socket error");
            match msg {
                Message::Text(text) => return text.as_str().to_owned(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The raw text of the first state whose `seq` is at least `seq`.
    async fn state_from(&mut self, seq: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "no state {seq} within 30 s");
            let text = self.next_text().await;
            let value: Value = serde_json::from_str(&text).expect("JSON");
            if value["type"] == "state" && value["seq"].as_u64().unwrap_or(0) >= seq {
                return text;
            }
        }
    }

    async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("sent");
    }

    /// The next message of `kind`, parsed.
    async fn next_of(&mut self, kind: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < deadline, "no {kind} within 30 s");
            let value: Value = serde_json::from_str(&self.next_text().await).expect("JSON");
            if value["type"] == kind {
                return value;
            }
        }
    }
}

async fn post(base: &str, token: &str, body: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/command"))
        .bearer_auth(token)
        .body(body.to_owned())
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("answers POST /api/command");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn get_text(url: &str) -> (u16, String) {
    let resp = reqwest::get(url).await.expect("answers GET");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// The commands the test sends, each changing what a screen shows.
const COMMANDS: &[&str] = &[
    r#"{"cmd":"start"}"#,
    r#"{"cmd":"message","text":"Two minutes"}"#,
    r#"{"cmd":"pause"}"#,
    r#"{"cmd":"resume"}"#,
    r#"{"cmd":"next"}"#,
    r#"{"cmd":"blackout","on":true}"#,
    r#"{"cmd":"blackout","on":false}"#,
];

#[tokio::test(flavor = "multi_thread")]
async fn three_relays_give_every_viewer_every_state_byte_for_byte() {
    let nats = NatsServer::start();
    let origin = origin(&nats).await;
    let relays = [
        Relay::start(&nats.url()).await,
        Relay::start(&nats.url()).await,
        Relay::start(&nats.url()).await,
    ];
    let mut own = Raw::connect(&origin.ws_url()).await;
    let first = own.next_text().await;
    let mut viewers = Vec::new();
    for relay in &relays {
        for _ in 0..3 {
            let mut viewer = Raw::connect(&relay.ws_url()).await;
            // The last value at once: the state the origin's viewers have.
            assert_eq!(
                viewer.next_text().await,
                first,
                "a new viewer of {}",
                relay.base
            );
            viewers.push(viewer);
        }
    }
    for body in COMMANDS {
        let (status, answer) = post(&origin.base, TOKEN, body).await;
        assert_eq!(status, 200, "{body}: {answer}");
        let seq = answer["seq"].as_u64().expect("a state answers");
        let sent = own.state_from(seq).await;
        for (i, viewer) in viewers.iter_mut().enumerate() {
            assert_eq!(
                viewer.state_from(seq).await,
                sent,
                "viewer {i} got other bytes than the origin's viewer after {body}"
            );
        }
    }
    // The pages' other reads work through a relay too.
    for relay in &relays {
        let (status, agenda) = get_text(&format!("{}/api/agenda", relay.base)).await;
        assert_eq!(status, 200, "{agenda}");
        let (_, at_origin) = get_text(&format!("{}/api/agenda", origin.base)).await;
        assert_eq!(agenda, at_origin);
        let (status, page) = get_text(&format!("{}/", relay.base)).await;
        assert_eq!(status, 200);
        assert!(page.contains("<html"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_through_a_relay_applies_with_the_origins_answers() {
    let nats = NatsServer::start();
    let origin = origin(&nats).await;
    let relay = Relay::start(&nats.url()).await;
    let mut own = Raw::connect(&origin.ws_url()).await;
    own.next_text().await;

    let (status, answer) = post(&relay.base, TOKEN, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["phase"], "running");
    let seen: Value =
        serde_json::from_str(&own.state_from(answer["seq"].as_u64().expect("seq")).await)
            .expect("JSON");
    assert_eq!(seen["phase"], "running", "the origin applied it");

    // The origin's refusals come back as they are.
    let (status, answer) = post(&relay.base, TOKEN, r#"{"cmd":"start"}"#).await;
    assert_eq!(
        (status, answer["error"].is_string()),
        (409, true),
        "{answer}"
    );
    let (status, _) = post(&relay.base, TOKEN, r#"{"cmd":"fly"}"#).await;
    assert_eq!(status, 400);
    let (status, _) = post(
        &relay.base,
        "a-wrong-token-long-enough",
        r#"{"cmd":"pause"}"#,
    )
    .await;
    assert_eq!(status, 401, "a wrong token is refused by the relay");

    // Over the relay's socket, as the control page sends it.
    let mut control = Raw::connect(&relay.ws_url()).await;
    control.next_text().await;
    control
        .send(&format!(
            r#"{{"type":"command","token":"{TOKEN}","cmd":"pause"}}"#
        ))
        .await;
    let applied = control.next_of("applied").await;
    assert!(applied["seq"].as_u64().is_some(), "{applied}");
    let paused: Value =
        serde_json::from_str(&own.state_from(applied["seq"].as_u64().expect("seq")).await)
            .expect("JSON");
    assert_eq!(paused["phase"], "paused");

    // The moderator's run-of-show, with the token only.
    let resp = reqwest::Client::new()
        .get(format!("{}/api/show", relay.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answers");
    assert_eq!(resp.status().as_u16(), 200);
    let (status, _) = get_text(&format!("{}/api/show", relay.base)).await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn pongs_of_a_relay_are_on_the_origins_time_base() {
    let nats = NatsServer::start();
    let origin = origin(&nats).await;
    let relay = Relay::start(&nats.url()).await;
    let mut own = Raw::connect(&origin.ws_url()).await;
    let mut far = Raw::connect(&relay.ws_url()).await;
    own.next_text().await;
    far.next_text().await;
    // Let the relay's estimator gather its first burst.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for id in 1..=5u64 {
        own.send(&format!(r#"{{"type":"ping","id":{id},"client_ms":1}}"#))
            .await;
        let a = own.next_of("pong").await["server_ms"]
            .as_f64()
            .expect("server_ms");
        far.send(&format!(r#"{{"type":"ping","id":{id},"client_ms":1}}"#))
            .await;
        let b = far.next_of("pong").await["server_ms"]
            .as_f64()
            .expect("server_ms");
        own.send(&format!(r#"{{"type":"ping","id":{id},"client_ms":1}}"#))
            .await;
        let c = own.next_of("pong").await["server_ms"]
            .as_f64()
            .expect("server_ms");
        // Loopback: the relay's answer lies between the origin's answers around it, within
        // what the estimator's error can be (half a NATS round trip); generous for CI.
        assert!(
            b >= a - 50.0 && b <= c + 50.0,
            "relay pong {b} outside the origin's [{a}, {c}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_and_huge_bytes_on_a_state_subject_are_refused() {
    let nats = NatsServer::start();
    let origin = origin(&nats).await;
    let relay = Relay::start(&nats.url()).await;
    let mut viewer = Raw::connect(&relay.ws_url()).await;
    let before = viewer.next_text().await;

    let client = async_nats::connect(nats.url())
        .await
        .expect("NATS connects");
    let mut headers = async_nats::HeaderMap::new();
    // Newer than anything the origin sent (its epoch and sequence), so only the checks of the
    // bytes themselves can refuse them.
    headers.insert("Podium-Epoch", "18446744073709551615");
    headers.insert("Podium-Seq", "18446744073709551615");
    for payload in [
        b"not json at all".to_vec(),
        b"{\"type\":\"alive\"}".to_vec(),
        vec![0xff, 0xfe, 0x00],
        vec![b' '; 900 * 1024],
    ] {
        client
            .publish_with_headers(STATE_SUBJECT, headers.clone(), payload.into())
            .await
            .expect("published");
    }
    client.flush().await.expect("flushed");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The relay still serves the origin's state, and the next one.
    let (status, now) = get_text(&format!("{}/api/state", relay.base)).await;
    assert_eq!((status, now.as_str()), (200, before.as_str()));
    let (status, answer) = post(&origin.base, TOKEN, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200);
    let seq = answer["seq"].as_u64().expect("seq");
    let got: Value = serde_json::from_str(&viewer.state_from(seq).await).expect("JSON");
    assert_eq!(got["phase"], "running");
    let fresh = Raw::connect(&relay.ws_url()).await.next_text().await;
    assert!(fresh.contains("\"running\""), "{fresh}");
}

#[tokio::test(flavor = "multi_thread")]
async fn relays_catch_up_after_nats_restarts_and_the_origin_serves_on() {
    let mut nats = NatsServer::start();
    let origin = origin(&nats).await;
    let relay = Relay::start(&nats.url()).await;
    let mut own = Raw::connect(&origin.ws_url()).await;
    own.next_text().await;
    let mut far = Raw::connect(&relay.ws_url()).await;
    far.next_text().await;

    nats.kill();
    // NATS is down: the origin serves its own viewers on.
    let (status, answer) = post(&origin.base, TOKEN, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    let seq = answer["seq"].as_u64().expect("seq");
    let sent = own.state_from(seq).await;
    nats.restart();

    // The relay's viewer (or a new one) gets what changed while NATS was away.
    let got = far.state_from(seq).await;
    assert_eq!(got, sent);
    let (status, answer) = post(&origin.base, TOKEN, r#"{"cmd":"pause"}"#).await;
    assert_eq!(status, 200, "{answer}");
    let seq = answer["seq"].as_u64().expect("seq");
    assert_eq!(far.state_from(seq).await, own.state_from(seq).await);
    // And a relay started after the restart has the last value at once.
    let late = Relay::start(&nats.url()).await;
    let mut new = Raw::connect(&late.ws_url()).await;
    let text = new.next_text().await;
    let value: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(value["phase"], "paused", "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_of_a_killed_relay_is_served_by_another_within_3_s() {
    let nats = NatsServer::start();
    let origin = origin(&nats).await;
    let mut first = Relay::start(&nats.url()).await;
    let second = Relay::start(&nats.url()).await;
    let servers = [ws_url(&first.base), ws_url(&second.base)];
    let mut viewer = Raw::connect(&servers[0]).await;
    viewer.next_text().await;

    first.kill();
    let killed = Instant::now();
    // The pages' rule (web/connection.js): a closed or silent socket goes to the next server of
    // the list at once, then round the list with a short backoff.
    let mut served = None;
    for url in servers.iter().cycle().skip(1).take(20) {
        if let Ok(Ok((ws, _))) = tokio::time::timeout(
            Duration::from_millis(1000),
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await
        {
            served = Some(Raw { ws });
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut served = served.expect("another relay serves");
    let text = served.next_text().await;
    assert!(
        killed.elapsed() < Duration::from_secs(3),
        "served again after {:?}",
        killed.elapsed()
    );
    assert!(text.contains("\"type\":\"state\""), "{text}");
    let (status, answer) = post(&origin.base, TOKEN, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200);
    served
        .state_from(answer["seq"].as_u64().expect("seq"))
        .await;
}

/// Records each change of the page's link status, with the machine's clock.
const STATUS_RECORDER: &str = r#"
    const status = document.getElementById('status');
    window.__podiumLinks = [];
    new MutationObserver(() => {
        window.__podiumLinks.push([status.dataset.state, performance.timeOrigin + performance.now()]);
    }).observe(status, { attributes: true, attributeFilter: ['data-state'] });
    return true;
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_a_killed_relay_goes_on_with_the_next_of_its_servers_within_3_s() {
    use crate::common::browser::{Browser, Scratch, browser_available};
    if !browser_available() {
        return;
    }
    let nats = NatsServer::start();
    let origin = origin(&nats).await;
    let mut first = Relay::start(&nats.url()).await;
    // The page comes from the first relay: the second must let it open its socket.
    let second = Relay::start_with(&nats.url(), &["--allow-origin", &first.base]).await;
    let scratch = Scratch::new("relay-failover");
    let browser = Browser::start(&scratch).await;
    browser
        .goto(&format!(
            "{}/?name=failover&servers={}",
            first.base, second.base
        ))
        .await;
    browser
        .wait_true(
            "the page to connect",
            "return document.getElementById('status').dataset.state === 'connected' \
             && document.body.dataset.phase === 'ready';",
        )
        .await;
    assert!(browser.eval::<bool>(STATUS_RECORDER).await);

    let killed_ms = podium::clock::unix_now_ms();
    first.kill();
    browser
        .wait_true(
            "the page to link up again",
            "return (window.__podiumLinks ?? []).some(([s]) => s === 'connected');",
        )
        .await;
    let links: Vec<(String, f64)> = browser.eval("return window.__podiumLinks;").await;
    let back = links
        .iter()
        .find(|(s, _)| s == "connected")
        .map(|(_, at)| at - killed_ms)
        .expect("connected again");
    assert!(
        back < 3_000.0,
        "connected again {back:.0} ms after the kill: {links:?}"
    );
    // And it is served: a command on the origin reaches the page through the second relay.
    let (status, _) = post(&origin.base, TOKEN, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200);
    browser
        .wait_true(
            "the page to show the start through the second relay",
            "return document.body.dataset.phase === 'running';",
        )
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_events_rooms_and_its_overview_work_through_a_relay() {
    use crate::rooms::EventProcess;
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().expect("temporary directory");
    let show = std::fs::read_to_string(SHORT).expect("the short show");
    for name in ["a.toml", "b.toml"] {
        std::fs::write(dir.path().join(name), &show).expect("written");
    }
    let url = nats.url();
    let event = EventProcess::start(
        dir.path(),
        &["run", "a.toml", "b.toml", "--speed", "10", "--nats", &url],
    )
    .await;
    let relay = Relay::start(&url).await;
    let (a, b) = (event.tokens["a"].clone(), event.tokens["b"].clone());

    // Laid out as the origin lays it out: the list at `/`, each room under `/r/ROOM/`.
    let (status, home) = get_text(&format!("{}/", relay.base)).await;
    assert_eq!(status, 200);
    assert!(home.contains("/r/a/") && home.contains("/r/b/"), "{home}");
    for room in ["a", "b"] {
        let mut near = Raw::connect(&format!("{}/r/{room}/ws", ws_base(&event.base))).await;
        let mut far = Raw::connect(&format!("{}/r/{room}/ws", ws_base(&relay.base))).await;
        assert_eq!(far.next_text().await, near.next_text().await, "room {room}");
    }
    let (status, _) = get_text(&format!("{}/r/c/api/state", relay.base)).await;
    assert_eq!(status, 404);

    // Tokens: the organiser's controls every room, a room's only its own.
    let (status, answer) = post(
        &format!("{}/r/b", relay.base),
        &event.organiser,
        r#"{"cmd":"start"}"#,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = post(&format!("{}/r/b", relay.base), &a, r#"{"cmd":"pause"}"#).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = post(&format!("{}/r/b", relay.base), &b, r#"{"cmd":"pause"}"#).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["phase"], "paused");

    // The organiser's overview: a frame per room, the states as the origin published them.
    let mut overview = Raw::connect(&format!("{}/overview/ws", ws_base(&relay.base))).await;
    overview
        .send(&serde_json::json!({"type": "auth", "token": event.organiser}).to_string())
        .await;
    let mut rooms = std::collections::BTreeSet::new();
    while rooms.len() < 2 {
        let frame = overview.next_of("room").await;
        rooms.insert(frame["room"].as_str().expect("a room id").to_owned());
    }
    assert_eq!(rooms.into_iter().collect::<Vec<_>>(), ["a", "b"]);
}

fn ws_base(base: &str) -> String {
    base.replacen("http", "ws", 1)
}

/// `podium run SHORT --nats URL` with a token of its own (not [`TOKEN`]); killed on drop.
async fn origin_with_token(nats: &str, token: &str, journal: &std::path::Path) -> Process {
    let journal = journal.display().to_string();
    Process::start(&[
        "run",
        SHORT,
        "--nats",
        nats,
        "--speed",
        "60",
        "--token",
        token,
        "--journal",
        &journal,
    ])
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relay_follows_the_tokens_of_a_new_run_of_its_event() {
    let nats = NatsServer::start();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut first = origin(&nats).await;
    let relay = Relay::start(&nats.url()).await;
    let (status, _) = post(&relay.base, TOKEN, r#"{"cmd":"blackout","on":false}"#).await;
    assert_eq!(status, 200);
    first.signal(nix::sys::signal::Signal::SIGKILL);
    let _ = first.child.wait().await;
    // A new run of the same show (its lease lapsed), with a new token.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let other = "another-moderator-token";
    let _second = origin_with_token(&nats.url(), other, &dir.path().join("second.jsonl")).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, answer) = post(&relay.base, other, r#"{"cmd":"blackout","on":false}"#).await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the relay still refuses the new run's token: {status} {answer}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, _) = post(&relay.base, TOKEN, r#"{"cmd":"blackout","on":false}"#).await;
    assert_eq!(status, 401, "the old run's token is refused");
}

/// A relay whose NATS is down says so on its terminal, and says when NATS is back: it retries for
/// ever (its viewers wait), so before it said nothing and a wrong `--nats` or a NATS that is down
/// looked like an event that never starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_says_when_nats_is_unreachable_and_when_it_is_back() {
    let mut nats = NatsServer::start();
    let url = nats.url();
    nats.kill();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["relay", "--nats", &url, "--bind", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("podium relay starts");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut printed = Vec::new();
    let mut line_with = async |what: &str| loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no line with {what:?} within 10 s: {printed:#?}"))
            .expect("stdout readable")
            .expect("the relay did not exit");
        printed.push(line.clone());
        if line.contains(what) {
            return line;
        }
    };
    let down = line_with("is not reachable").await;
    assert!(down.contains(&url), "{down}");
    nats.restart();
    let back = line_with(" connected").await;
    assert!(back.contains(&url), "{back}");
}
