//! The organiser's overview (issue 12): `/overview/ws` carries every room's state as its
//! controller serialized it, to the organiser only; `/overview/` is its page (browser test in
//! `browser_overview`). Real server, real sockets, several rooms at once.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use tokio_util::sync::{CancellationToken, DropGuard};

use crate::common::Client;

const ORGANISER: &str = "test-organiser-token";

fn room_token(id: &str) -> String {
    format!("test-moderator-token-of-{id}")
}

/// An event of rooms `a`, `b`, … (named `Room a`, …) each running tests/sessions/short.toml at
/// speed 1; shut down on drop.
struct TestEvent {
    addr: std::net::SocketAddr,
    _stop: DropGuard,
}

impl TestEvent {
    async fn start(ids: &[&str]) -> TestEvent {
        let toml = std::fs::read_to_string("tests/sessions/short.toml").expect("short.toml");
        let rooms: Vec<_> = ids
            .iter()
            .map(|id| (id.to_string(), format!("Room {id}"), toml.clone(), 1.0))
            .collect();
        let shutdown = CancellationToken::new();
        let addr = start_event(&rooms, &shutdown).await;
        TestEvent {
            addr,
            _stop: shutdown.drop_guard(),
        }
    }

    async fn ws(&self, id: &str) -> Client {
        Client::connect(&format!("ws://{}/r/{id}/ws", self.addr)).await
    }

    async fn command_as(&self, id: &str, token: &str, body: &str) -> (u16, serde_json::Value) {
        let answer = reqwest::Client::new()
            .post(format!("http://{}/r/{id}/api/command", self.addr))
            .bearer_auth(token)
            .body(body.to_owned())
            .send()
            .await
            .expect("request sent");
        let status = answer.status().as_u16();
        (status, answer.json().await.expect("JSON answer"))
    }
}

/// A socket to the overview that has shown `token` first.
async fn overview(event: &TestEvent, token: &str) -> Client {
    let mut client = Client::connect(&format!("ws://{}/overview/ws", event.addr)).await;
    let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
    client.send_text(&auth).await;
    client
}

/// The next text frame, raw (fails after 10 s of silence); `None` once the socket is closed.
async fn next_text(client: &mut Client) -> Option<String> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), client.ws.next())
            .await
            .expect("a frame within 10 s");
        match frame {
            Some(Ok(Message::Text(text))) => return Some(text.to_string()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Every text frame within `window`, raw.
async fn texts_within(client: &mut Client, window: Duration) -> Vec<String> {
    let end = tokio::time::Instant::now() + window;
    let mut texts = Vec::new();
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(end, client.ws.next()).await {
        if let Message::Text(text) = frame {
            texts.push(text.to_string());
        }
    }
    texts
}

/// The bytes of a room frame's `state`: what follows `"state":`, without the frame's closing brace.
fn state_bytes(frame: &str) -> &str {
    let at = frame
        .find(r#","state":"#)
        .expect("a room frame has a state")
        + r#","state":"#.len();
    frame[at..]
        .strip_suffix('}')
        .expect("the frame closes after the state")
}

/// A state's JSON without `server_time_ms`, the one field a heartbeat changes.
fn without_clock(state: &str) -> serde_json::Value {
    let mut value = json(state);
    value
        .as_object_mut()
        .expect("a state is an object")
        .remove("server_time_ms");
    value
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("valid JSON")
}

// Real time: real sockets (a paused clock would fire their timeouts at once).
#[tokio::test]
async fn the_overview_relays_each_rooms_state_bytes_once_per_change() {
    let event = TestEvent::start(&["a", "b", "c"]).await;
    let mut viewer_b = event.ws("b").await;
    let first_b = next_text(&mut viewer_b).await.expect("b's first state");

    // On connect: one frame per room, in the event's order, with its screens and its state.
    let mut organiser = overview(&event, ORGANISER).await;
    let mut frames = Vec::new();
    for _ in 0..3 {
        frames.push(next_text(&mut organiser).await.expect("a room frame"));
    }
    let rooms: Vec<_> = frames.iter().map(|f| json(f)).collect();
    for (room, id) in rooms.iter().zip(["a", "b", "c"]) {
        assert_eq!(room["type"], "room");
        assert_eq!(room["room"], id);
        assert_eq!(room["name"], format!("Room {id}"));
        assert_eq!(room["state"]["type"], "state");
        assert_eq!(room["state"]["phase"], "ready");
        assert!(room.get("planned_start_ms").is_some(), "{room}");
    }
    assert_eq!(rooms[0]["screens"], 0);
    assert_eq!(rooms[1]["screens"], 1, "b's viewer is counted");
    assert_eq!(
        state_bytes(&frames[1]),
        first_b,
        "b's state as its viewer got it"
    );

    // A command in B (with the organiser's token): B's viewers and the overview get the same bytes.
    let (status, answer) = event.command_as("b", ORGANISER, r#"{"cmd":"start"}"#).await;
    assert_eq!(status, 200, "{answer}");
    let started = loop {
        let text = next_text(&mut viewer_b)
            .await
            .expect("b's viewer stays connected");
        if json(&text)["phase"] == "running" {
            break text;
        }
    };
    let seq = json(&started)["seq"].clone();
    let heard = texts_within(&mut organiser, Duration::from_millis(2_500)).await;
    let mut for_b = Vec::new();
    for text in &heard {
        let frame = json(text);
        match frame["type"].as_str() {
            Some("alive") => {}
            Some("room") => {
                assert_eq!(frame["room"], "b", "only b changed: {text}");
                if frame["state"]["seq"] == seq {
                    for_b.push(text.as_str());
                }
            }
            _ => panic!("unexpected frame on the overview: {text}"),
        }
    }
    assert_eq!(for_b.len(), 1, "exactly one frame for b's start: {heard:?}");
    assert_eq!(
        state_bytes(for_b[0]),
        started,
        "the overview relays b's state byte for byte (no second serialization)"
    );
}

/// A screen joining or leaving a room is told to the overview with the room's unchanged state.
#[tokio::test]
async fn the_overview_counts_each_rooms_screens() {
    let event = TestEvent::start(&["a", "b"]).await;
    let mut organiser = overview(&event, ORGANISER).await;
    let first_a = next_text(&mut organiser).await.expect("a's frame");
    next_text(&mut organiser).await.expect("b's frame");
    assert_eq!(json(&first_a)["screens"], 0);
    let viewer = event.ws("a").await;
    let joined = loop {
        let text = next_text(&mut organiser)
            .await
            .expect("the overview stays open");
        if json(&text)["type"] == "room" {
            break text;
        }
    };
    assert_eq!(json(&joined)["room"], "a");
    assert_eq!(json(&joined)["screens"], 1);
    // The same state, but for the clock it was sent at: the room's once-a-second heartbeat may
    // refresh `server_time_ms` between the two frames (seen once: 1,001 ms apart).
    assert_eq!(
        without_clock(state_bytes(&joined)),
        without_clock(state_bytes(&first_a)),
        "the same state"
    );
    drop(viewer);
    let left = loop {
        let text = next_text(&mut organiser)
            .await
            .expect("the overview stays open");
        if json(&text)["type"] == "room" {
            break text;
        }
    };
    assert_eq!(
        (json(&left)["room"].clone(), json(&left)["screens"].clone()),
        ("a".into(), 0.into())
    );
}

#[tokio::test]
async fn the_overview_refuses_a_wrong_or_missing_organiser_token() {
    let event = TestEvent::start(&["a", "b"]).await;
    for token in ["not-the-organiser-token", room_token("a").as_str()] {
        let mut client = overview(&event, token).await;
        let reply = json(&next_text(&mut client).await.expect("a reason"));
        assert_eq!(reply["type"], "error", "{reply}");
        assert!(
            reply["error"]
                .as_str()
                .is_some_and(|e| e.contains("wrong organiser token")),
            "{reply}"
        );
        assert_eq!(next_text(&mut client).await, None, "then the socket closes");
    }
    // No token: the first message is something else.
    let mut client = Client::connect(&format!("ws://{}/overview/ws", event.addr)).await;
    client
        .send_text(r#"{"type":"ping","id":1,"client_ms":0}"#)
        .await;
    let reply = json(&next_text(&mut client).await.expect("a reason"));
    assert!(
        reply["error"]
            .as_str()
            .is_some_and(|e| e.contains("organiser token is required")),
        "{reply}"
    );
    assert_eq!(next_text(&mut client).await, None, "then the socket closes");
}

/// A room of the browser test's event: its show (TOML), its speed, and how to bring it to the
/// phase it is photographed in.
struct Setup {
    id: &'static str,
    name: &'static str,
    toml: String,
    speed: f64,
    commands: &'static [&'static str],
    phase: &'static str,
}

/// An event of rooms `(id, name, show TOML, speed)` on 127.0.0.1:0, served until `shutdown` is
/// cancelled.
async fn start_event(
    rooms: &[(String, String, String, f64)],
    shutdown: &CancellationToken,
) -> std::net::SocketAddr {
    let config = podium::server::Config::new(podium::server::Token::new("unused-in-an-event"));
    start_event_with(rooms, shutdown, config).await
}

/// [`start_event`] with the server's `config` (its limits, say).
async fn start_event_with(
    rooms: &[(String, String, String, f64)],
    shutdown: &CancellationToken,
    config: podium::server::Config,
) -> std::net::SocketAddr {
    use podium::server::{self, RoomEntry, Rooms, Token};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let addr = listener.local_addr().expect("bound");
    let entries = rooms
        .iter()
        .map(|(id, name, toml, speed)| {
            let path = std::path::Path::new("overview-test.toml");
            let show = podium::show::load_str(path, toml).expect("the test show loads");
            let (control, _task) = podium::controller::spawn(
                std::sync::Arc::new(show),
                podium::clock::Clock::new(*speed),
                shutdown.clone(),
            );
            RoomEntry {
                id: id.clone(),
                name: name.clone(),
                control,
                token: Token::new(room_token(id)),
            }
        })
        .collect();
    tokio::spawn(server::serve_rooms(
        listener,
        Rooms::event(entries, Token::new(ORGANISER)),
        config,
        shutdown.clone(),
    ));
    addr
}

/// A show of one segment after an opening, planned to start `start` (UTC) with a slot end 45
/// minutes later, as a full date-time: run after 23:15, an `end` of "HH:MM" was past midnight,
/// so before the start, and the show was refused.
fn show_toml(start: chrono::DateTime<chrono::Utc>, title: &str, segment: &str) -> String {
    format!(
        "title = {title:?}\nstart = \"{}\"\ntimezone = \"UTC\"\nend = \"{}\"\n\n{segment}\n\
         [[segment]]\ntitle = \"Closing remarks\"\nspeaker = \"Chair\"\nduration = \"5m\"\n",
        start.format("%Y-%m-%dT%H:%M:%S"),
        (start + chrono::Duration::minutes(45)).format("%Y-%m-%dT%H:%M:%S"),
    )
}

/// Issue 12: the overview with six rooms in six phases, at a laptop's and a wall screen's size.
// Real time: a real browser and real sockets.
#[tokio::test]
async fn browser_overview_shows_six_rooms_in_six_phases() {
    use crate::common::browser::{Browser, Scratch, browser_available};
    if !browser_available() {
        return;
    }
    let now = chrono::Utc::now();
    let segment = |title: &str, speaker: &str, duration: &str, extra: &str| {
        format!(
            "[[segment]]\ntitle = {title:?}\nspeaker = {speaker:?}\nduration = {duration:?}\n{extra}\n"
        )
    };
    let setups = [
        Setup {
            id: "xix",
            name: "Room XIX — Plenary",
            // Planned five minutes ago and not started: the late-start alert.
            toml: show_toml(
                now - chrono::Duration::minutes(5),
                "Plenary: opening panel",
                &segment("Opening panel", "H.E. the Chair", "30m", ""),
            ),
            speed: 1.0,
            commands: &[],
            phase: "ready",
        },
        Setup {
            id: "viii",
            name: "Room VIII",
            toml: show_toml(
                now - chrono::Duration::minutes(1),
                "Side event: water and peace",
                &segment(
                    "Water diplomacy in the Sahel",
                    "Amina Diallo",
                    "20m",
                    "warn = \"2m\"",
                ),
            ),
            speed: 1.0,
            commands: &[
                r#"{"cmd":"start"}"#,
                r#"{"cmd":"message","text":"Five minutes to the vote"}"#,
            ],
            phase: "running",
        },
        Setup {
            id: "xi",
            name: "Room XI",
            toml: show_toml(
                now - chrono::Duration::minutes(3),
                "Side event: digital identity",
                &segment(
                    "Identity for the displaced",
                    "Jonas Berg",
                    "3m",
                    "warn = \"1m\"",
                ),
            ),
            speed: 1.0,
            commands: &[r#"{"cmd":"start"}"#, r#"{"cmd":"adjust","seconds":-130}"#],
            phase: "warning",
        },
        Setup {
            id: "xxiii",
            name: "Room XXIII",
            toml: show_toml(
                now - chrono::Duration::minutes(8),
                "Side event: climate finance",
                &segment(
                    "Loss and damage, one year on",
                    "María José Ortega",
                    "1m",
                    "max = \"40m\"",
                ),
            ),
            speed: 60.0,
            commands: &[r#"{"cmd":"start"}"#],
            phase: "overtime",
        },
        Setup {
            id: "xxv",
            name: "Room XXV",
            toml: show_toml(
                now - chrono::Duration::minutes(2),
                "Side event: health workforce",
                &segment("Nurses on the move", "Dr. Li Wei", "10m", ""),
            ),
            speed: 1.0,
            commands: &[r#"{"cmd":"start"}"#, r#"{"cmd":"pause"}"#],
            phase: "paused",
        },
        Setup {
            id: "xvii",
            name: "Room XVII",
            toml: show_toml(
                now - chrono::Duration::minutes(20),
                "Side event: small arms",
                &segment("Tracing small arms", "Col. Petrov", "1m", "max = \"2m\""),
            ),
            speed: 60.0,
            commands: &[r#"{"cmd":"start"}"#],
            phase: "over-max",
        },
    ];
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let rooms: Vec<_> = setups
        .iter()
        .map(|s| (s.id.to_owned(), s.name.to_owned(), s.toml.clone(), s.speed))
        .collect();
    let addr = start_event(&rooms, &shutdown).await;
    let http = reqwest::Client::new();
    for setup in &setups {
        for body in setup.commands {
            let answer = http
                .post(format!("http://{addr}/r/{}/api/command", setup.id))
                .bearer_auth(ORGANISER)
                .body(*body)
                .send()
                .await
                .expect("command sent");
            assert!(answer.status().is_success(), "{}: {body}", setup.id);
        }
    }
    // Screens: two in Room VIII, one in Room XIX.
    let mut viewers = Vec::new();
    for id in ["viii", "viii", "xix"] {
        viewers.push(Client::connect(&format!("ws://{addr}/r/{id}/ws?kind=page")).await);
    }

    let scratch = Scratch::new("overview");
    let browser = Browser::start(&scratch).await;
    let base = format!("http://{addr}");
    for (size, name) in [
        ((1920, 1080), "overview-1920x1080.png"),
        ((1280, 720), "overview-1280x720.png"),
    ] {
        browser.viewport(size).await;
        browser
            .goto(&format!("{base}/overview#token={ORGANISER}"))
            .await;
        let expected: Vec<_> = setups
            .iter()
            .map(|s| format!("{}={}", s.id, s.phase))
            .collect();
        let script = format!(
            "return [...document.querySelectorAll('.room')].map(c => c.dataset.room + '=' + \
             c.dataset.phase).join(' ') === {:?} && document.querySelector('[data-room=viii] \
             .screens').textContent === '2 screens';",
            expected.join(" ")
        );
        browser
            .wait_true("six rooms in their phases", &script)
            .await;
        browser.capture(name, size.0).await;
        let seen: serde_json::Value = browser.eval(LAYOUT).await;
        assert_eq!(
            seen["overflowing"],
            serde_json::json!([]),
            "{size:?}: {seen}"
        );
        assert_eq!(
            seen["scrolls"], false,
            "{size:?}: the page fits the screen: {seen}"
        );
        let alerts = seen["alerts"].as_array().expect("alerts");
        assert_eq!(alerts.len(), 2, "{seen}");
        assert!(
            alerts[0]
                .as_str()
                .is_some_and(|a| a.starts_with("xix:Not started")),
            "{seen}"
        );
        assert_eq!(alerts[1], "xvii:Past the hard limit", "{seen}");
        let digits = seen["digitsHeight"].as_f64().expect("a height");
        assert!(
            digits >= f64::from(size.1) / 10.0,
            "{size:?}: huge digits: {seen}"
        );
    }

    // The organiser acts on a room from its card: a minute more for the paused Room XXV.
    let before: String = browser
        .eval("return document.querySelector('[data-room=xxv] .digits').textContent;")
        .await;
    assert!(
        before.starts_with("9:") || before.starts_with("10:"),
        "{before}"
    );
    browser
        .eval::<serde_json::Value>(
            "document.querySelector('[data-room=xxv] button[data-cmd=plus]').click(); return null;",
        )
        .await;
    let minutes: u32 = before
        .split(':')
        .next()
        .and_then(|m| m.parse().ok())
        .expect("minutes");
    browser
        .wait_true(
            "a minute more in Room XXV",
            &format!(
                "return document.querySelector('[data-room=xxv] .digits').textContent\
                 .startsWith('{}:');",
                minutes + 1
            ),
        )
        .await;

    // A message to Room XXV's speaker from its card.
    browser
        .eval::<serde_json::Value>(
            "document.querySelector('[data-room=xxv] button[data-cmd=message]').click(); \
             document.getElementById('message-input').value = 'Wrap up, please'; \
             document.querySelector('#message-dialog button[value=send]').click(); return null;",
        )
        .await;
    browser
        .wait_true(
            "the message on Room XXV's card",
            "return document.querySelector('[data-room=xxv] .message').textContent === \
             'Message: Wrap up, please';",
        )
        .await;

    // A wrong token: the page says so and asks for the token again.
    browser
        .goto(&format!("{base}/overview/#token=not-the-organiser-token"))
        .await;
    browser
        .wait_true(
            "the token form after a refusal",
            "return !document.getElementById('token-form').hidden && \
             document.getElementById('status').dataset.state === 'refused' && \
             document.getElementById('feedback').textContent.includes('wrong organiser token');",
        )
        .await;
    drop(viewers);
}

/// What the test checks of the page's layout: elements cut off by their card, whether the page
/// scrolls, the alerts shown, the height of the digits' glyphs box.
const LAYOUT: &str = r#"
const cards = [...document.querySelectorAll('.room')];
const overflowing = [];
for (const card of cards) {
  const box = card.getBoundingClientRect();
  for (const el of card.querySelectorAll('.room-head, .digits, .words, .facts, .actions')) {
    const r = el.getBoundingClientRect();
    if (r.bottom > box.bottom + 1 || r.right > box.right + 1) overflowing.push(card.dataset.room + ' ' + el.className);
  }
}
const alerts = cards.filter(c => !c.querySelector('.alert').hidden)
  .map(c => c.dataset.room + ':' + c.querySelector('.alert').textContent);
const digits = document.querySelector('.room .digits');
return {
  overflowing,
  scrolls: document.documentElement.scrollHeight > innerHeight + 1,
  alerts,
  digitsHeight: parseFloat(getComputedStyle(digits).fontSize),
};
"#;

/// An organiser's overview that stops reading is given up on (send timeout) and reset, like a
/// stalled viewer of a room (limits.rs): the kernel drops the room frames it still queued for it
/// at once instead of trickling them into its 4 KiB window for minutes, and its connection slot is
/// free again. Before, the overview's socket closed gracefully and the test read the stale frames
/// for 10 s without seeing the end.
// Real time: a stalled reader needs real socket buffers and timeouts (no paused clock).
#[tokio::test]
async fn a_stalled_overview_is_reset() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let toml = std::fs::read_to_string("tests/sessions/short.toml").expect("short.toml");
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    let mut config = podium::server::Config::new(podium::server::Token::new("unused-in-an-event"));
    config.limits = podium::server::Limits {
        send_timeout: Duration::from_secs(3),
        max_connections: 3,
        ..podium::server::Limits::default()
    };
    let addr = start_event_with(
        &[("a".into(), "Room a".into(), toml, 1.0)],
        &shutdown,
        config,
    )
    .await;

    let mut stalled = crate::common::raw_upgrade_at(addr, "/overview/ws", Some(4096)).await;
    // The token, in a client's (masked) text frame.
    let auth = serde_json::json!({"type": "auth", "token": ORGANISER}).to_string();
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut frame = vec![
        0x81,
        0x80 | u8::try_from(auth.len()).expect("a short frame"),
    ];
    frame.extend_from_slice(&mask);
    frame.extend(auth.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stalled.write_all(&frame).await.expect("auth sent");

    let slot_free = async || {
        let Ok(mut probe) = tokio::net::TcpStream::connect(addr).await else {
            return false;
        };
        let _ = probe
            .write_all(
                b"GET /r/a/api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            )
            .await;
        let mut answer = String::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), probe.read_to_string(&mut answer)).await;
        answer.starts_with("HTTP/1.1 200")
    };
    let http = reqwest::Client::new();
    let filler = "x".repeat(270);
    let started = std::time::Instant::now();
    let mut i = 0;
    // Every command is a room frame for the overview, which never reads them.
    loop {
        for _ in 0..50 {
            i += 1;
            let answer = http
                .post(format!("http://{addr}/r/a/api/command"))
                .bearer_auth(ORGANISER)
                .body(
                    serde_json::json!({"cmd": "message", "text": format!("{i} {filler}")})
                        .to_string(),
                )
                .send()
                .await
                .expect("a command");
            assert_eq!(answer.status().as_u16(), 200);
        }
        if slot_free().await {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the stalled overview was never dropped ({i} commands)"
        );
    }
    // Reset, not closed in order: the reader hears ECONNRESET, not the end of a stream that the
    // kernel would first have to trickle out to it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut buf = vec![0u8; 64 * 1024];
    let mut read = 0;
    let ended = loop {
        match tokio::time::timeout_at(deadline, stalled.read(&mut buf)).await {
            Err(_) => break "still sending after 10 s".to_owned(),
            Ok(Ok(0)) => break "an orderly end of stream".to_owned(),
            Ok(Ok(n)) => read += n,
            Ok(Err(e)) => break format!("{:?}", e.kind()),
        }
    };
    assert_eq!(
        ended, "ConnectionReset",
        "the stalled overview's socket is reset ({read} bytes read first)"
    );
}
