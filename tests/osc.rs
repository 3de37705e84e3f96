//! OSC in and out over real UDP sockets (issue 15): the real binary with `--osc-listen` and
//! `--osc-send`, packets made and read by `rosc` as a desk, QLab or TouchOSC would; and an event's
//! rooms in process (`/podium/<room>/…`). Show time is compressed with `--speed`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use podium::clock::Clock;
use podium::controller;
use podium::osc::{self, OscConfig};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use crate::common::{self, Process, SHORT};

fn packet(addr: &str, args: Vec<OscType>) -> Vec<u8> {
    rosc::encoder::encode(&OscPacket::Message(OscMessage {
        addr: addr.into(),
        args,
    }))
    .expect("encodes")
}

/// The real binary with OSC in; its OSC address (read from what it prints) and its stderr lines.
async fn start(args: &[&str]) -> (Process, SocketAddr, Arc<Mutex<Vec<String>>>) {
    let mut all = vec!["run", SHORT];
    all.extend(args);
    let mut server = Process::start(&all).await;
    let osc_in = loop {
        let line = tokio::time::timeout(Duration::from_secs(10), server.stdout.next_line())
            .await
            .expect("podium prints its OSC address")
            .expect("stdout readable")
            .expect("podium did not exit");
        if let Some(at) = line.strip_prefix("osc in:       udp://") {
            break at.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let mut lines = tokio::io::BufReader::new(server.child.stderr.take().unwrap()).lines();
    let sink = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().unwrap().push(line);
        }
    });
    (server, osc_in, stderr)
}

/// Polls `/api/state` (up to 30 s) until `pred` holds.
async fn state_where(server: &Process, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, state) = server.get("/api/state").await;
        if pred(&state) {
            return state;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no state as awaited within 30 s; the last: {state}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (up to 30 s) for a stderr line containing `text`.
async fn logged(stderr: &Mutex<Vec<String>>, text: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(line) = stderr.lock().unwrap().iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no log line with {text:?} within 30 s: {:?}",
            stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sender() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.expect("a UDP socket")
}

#[tokio::test]
async fn osc_commands_drive_the_show() {
    let (server, osc_in, _) = start(&[
        "--speed",
        "60",
        "--osc-listen",
        "0",
        "--commands-per-second",
        "1000",
    ])
    .await;
    assert!(
        osc_in.ip().is_loopback(),
        "a port alone is loopback: {osc_in}"
    );
    let desk = sender().await;
    let send = |addr: &str, args: Vec<OscType>| {
        let bytes = packet(addr, args);
        let desk = &desk;
        async move { desk.send_to(&bytes, osc_in).await.expect("sent") }
    };

    send("/podium/adjust", vec![OscType::Int(60)]).await;
    state_where(&server, |s| s["segment"]["duration_ms"] == 180_000).await;
    send("/podium/start", vec![]).await;
    state_where(&server, |s| s["phase"] != "ready").await;
    send("/podium/pause", vec![OscType::Float(1.0)]).await;
    state_where(&server, |s| s["phase"] == "paused").await;
    send("/podium/resume", vec![]).await;
    state_where(&server, |s| s["phase"] != "paused").await;
    send("/podium/message", vec!["Wrap up, please".into()]).await;
    state_where(&server, |s| s["message"] == "Wrap up, please").await;
    // The session's presets (the default ones here): number 1.
    send("/podium/preset", vec![OscType::Int(1)]).await;
    state_where(&server, |s| s["message"] == "Please wrap up").await;
    send("/podium/next", vec![]).await;
    state_where(&server, |s| s["index"] == 1).await;
    // A TouchOSC button sends 1 when pressed and 0 when released: the release does nothing.
    send("/podium/next", vec![OscType::Float(0.0)]).await;
    send("/podium/message", vec![]).await;
    let state = state_where(&server, |s| s["message"] == "").await;
    assert_eq!(state["index"], 1, "the release moved nothing");
    send("/podium/previous", vec![]).await;
    state_where(&server, |s| s["index"] == 0).await;
    send("/podium/goto", vec![OscType::Int(3)]).await;
    state_where(&server, |s| s["index"] == 2).await;
    send("/podium/blackout", vec![OscType::Bool(true)]).await;
    state_where(&server, |s| s["blackout"] == true).await;
    send("/podium/focus", vec![OscType::Int(1)]).await;
    state_where(&server, |s| s["focus"] == true).await;
    // A bundle's messages apply in order.
    let bundle = rosc::encoder::encode(&OscPacket::Bundle(OscBundle {
        timetag: OscTime::from((0, 1)),
        content: vec![
            OscPacket::Message(OscMessage {
                addr: "/podium/blackout".into(),
                args: vec![OscType::Int(0)],
            }),
            OscPacket::Message(OscMessage {
                addr: "/podium/focus".into(),
                args: vec![OscType::String("off".into())],
            }),
        ],
    }))
    .unwrap();
    desk.send_to(&bundle, osc_in).await.unwrap();
    state_where(&server, |s| s["blackout"] == false && s["focus"] == false).await;
    send("/podium/reset", vec![]).await;
    state_where(&server, |s| s["phase"] == "ready" && s["index"] == 0).await;
}

#[tokio::test]
async fn osc_refuses_garbage_and_the_show_goes_on() {
    let (server, osc_in, stderr) = start(&[
        "--speed",
        "60",
        "--osc-listen",
        "0.0.0.0:0",
        "--commands-per-second",
        "1000",
    ])
    .await;
    let osc_in = SocketAddr::new([127, 0, 0, 1].into(), osc_in.port());
    logged(&stderr, "WARNING: OSC commands are accepted on 0.0.0.0").await;
    let stranger = sender().await;
    let nested = {
        // A message whose type tags open 1,000 arrays: deep, but within one packet.
        let mut bytes = b"/podium/next\0\0\0\0".to_vec();
        let mut tags = b",".to_vec();
        tags.extend(std::iter::repeat_n(b'[', 1000));
        tags.extend(std::iter::repeat_n(b']', 1000));
        tags.push(0);
        while !tags.len().is_multiple_of(4) {
            tags.push(0);
        }
        bytes.extend(tags);
        bytes
    };
    let garbage: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        vec![0xff; 4000],
        b"/podium/next\0\0\0\0,i\0\0".to_vec(), // an int announced, none given
        nested,
        packet("/podium/dance", vec![]),
        packet("/podium/adjust", vec![OscType::Float(f32::INFINITY)]),
        packet("/podium/message", vec!["x".repeat(281).into()]),
        packet("/podium/pause", vec![]), // not running: the engine refuses it
        packet("/podium/goto", vec![OscType::Int(42)]), // counted from 1, as OSC's goto counts
        Vec::new(),
    ];
    for bytes in &garbage {
        stranger.send_to(bytes, osc_in).await.expect("sent");
    }
    stranger
        .send_to(&packet("/podium/start", vec![]), osc_in)
        .await
        .unwrap();
    let state = state_where(&server, |s| s["phase"] == "running").await;
    assert_eq!(state["index"], 0, "no garbage moved the show");
    for why in [
        "larger than 1536 bytes",
        "not OSC",
        "unknown command",
        "adjust takes seconds",
        "message too long",
        "/podium/pause refused",
        "/podium/goto refused: there is no segment 42: the show has segments 1 to ",
    ] {
        let line = logged(&stderr, why).await;
        assert!(line.contains("OSC from 127.0.0.1:"), "{line}");
    }
}

#[tokio::test]
async fn osc_commands_are_rate_limited_per_address() {
    let (server, osc_in, stderr) =
        start(&["--osc-listen", "127.0.0.1:0", "--commands-per-second", "2"]).await;
    let flood = sender().await;
    let started = tokio::time::Instant::now();
    for _ in 0..40 {
        flood
            .send_to(&packet("/podium/adjust", vec![OscType::Int(1)]), osc_in)
            .await
            .unwrap();
    }
    let sent_in = started.elapsed().as_secs_f64();
    logged(&stderr, "over 2 commands a second from this address").await;
    // Another address has its own allowance.
    let other = UdpSocket::bind("127.0.0.2:0")
        .await
        .expect("127.0.0.2 is loopback");
    other
        .send_to(
            &packet("/podium/message", vec!["still here".into()]),
            osc_in,
        )
        .await
        .unwrap();
    let state = state_where(&server, |s| s["message"] == "still here").await;
    let applied = (state["segment"]["duration_ms"].as_i64().unwrap() - 120_000) / 1000;
    // The burst, plus what refilled while the packets went out (a loaded machine is slow).
    let allowed = 2 + (sent_in * 2.0).ceil() as i64 + 1;
    assert!(
        (1..=allowed).contains(&applied) && applied < 40,
        "{applied} of 40 adjustments applied (allowed {allowed})"
    );
}

/// The OSC messages received on `socket` until `until` holds for one (30 s at most).
async fn receive_until(
    socket: &UdpSocket,
    seen: &mut Vec<OscMessage>,
    until: impl Fn(&OscMessage) -> bool,
) -> OscMessage {
    let mut buf = vec![0u8; 2048];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (n, _) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("not received within 30 s; seen {:?}", seen.last()))
            .expect("recv");
        let (_, packet) = rosc::decoder::decode_udp(&buf[..n]).expect("podium sends OSC");
        let OscPacket::Message(msg) = packet else {
            panic!("a bundle: {packet:?}");
        };
        seen.push(msg.clone());
        if until(&msg) {
            return msg;
        }
    }
}

fn is(msg: &OscMessage, addr: &str, arg: OscType) -> bool {
    msg.addr == addr && msg.args == [arg]
}

#[tokio::test]
async fn osc_out_tells_the_phase_and_the_remaining_seconds() {
    let desk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let target = desk.local_addr().unwrap().to_string();
    // ×20: a show minute lasts 3 real seconds, so each phase is seen however loaded the machine.
    let (server, _, _) =
        start(&["--speed", "20", "--osc-listen", "0", "--osc-send", &target]).await;
    let mut seen = Vec::new();
    // On start: everything, the phase's trigger first.
    receive_until(&desk, &mut seen, |m| m.addr == "/podium/phase/ready").await;
    receive_until(&desk, &mut seen, |m| m.addr == "/podium/segment").await;
    assert!(seen.iter().any(|m| is(m, "/podium/phase", "ready".into())));
    assert!(
        seen.iter()
            .any(|m| is(m, "/podium/remaining", OscType::Long(120)))
    );
    assert!(
        seen.iter()
            .any(|m| is(m, "/podium/remaining/text", "2:00".into()))
    );
    let segment = seen.iter().find(|m| m.addr == "/podium/segment").unwrap();
    assert_eq!(segment.args, [OscType::Int(1), "Opening".into()]);

    server.command(r#"{"cmd":"start"}"#).await;
    receive_until(&desk, &mut seen, |m| m.addr == "/podium/phase/running").await;
    // The digits count down, each change sent as it is due (a late wake-up sends the latest).
    receive_until(&desk, &mut seen, |m| m.addr == "/podium/phase/warning").await;
    receive_until(&desk, &mut seen, |m| {
        m.addr == "/podium/words"
            && matches!(m.args.as_slice(), [OscType::String(w)] if w.ends_with(" left"))
    })
    .await;
    receive_until(&desk, &mut seen, |m| m.addr == "/podium/phase/overtime").await;
    receive_until(&desk, &mut seen, |m| {
        m.addr == "/podium/remaining" && matches!(m.args.as_slice(), [OscType::Long(n)] if *n <= -5)
    })
    .await;
    let text = seen
        .iter()
        .rev()
        .find(|m| m.addr == "/podium/remaining/text")
        .unwrap();
    assert!(
        matches!(text.args.as_slice(), [OscType::String(t)] if t.starts_with("+0:")),
        "{text:?}"
    );
    let remaining: Vec<i64> = seen
        .iter()
        .filter(|m| m.addr == "/podium/remaining")
        .filter_map(|m| match m.args.as_slice() {
            [OscType::Long(n)] => Some(*n),
            _ => None,
        })
        .collect();
    assert!(
        remaining.windows(2).all(|w| w[1] <= w[0]),
        "counts down: {remaining:?}"
    );
    assert!(remaining.first() == Some(&120) && remaining.last().is_some_and(|n| *n <= -5));
    let distinct = remaining
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(
        distinct > 10,
        "a message per second shown: {distinct} values"
    );

    // Paused, nothing changes: the state is said again once a second all the same.
    server.command(r#"{"cmd":"pause"}"#).await;
    let paused = receive_until(&desk, &mut seen, |m| m.addr == "/podium/phase/paused").await;
    assert!(paused.args.is_empty(), "a trigger has no argument");
    let at = seen.len();
    let said = std::cell::Cell::new(0);
    receive_until(&desk, &mut seen, |m| {
        said.set(said.get() + usize::from(m.addr == "/podium/remaining"));
        said.get() == 2
    })
    .await;
    let again: Vec<&OscMessage> = seen[at..]
        .iter()
        .filter(|m| m.addr == "/podium/remaining")
        .collect();
    assert!(
        again.len() >= 2 && again.windows(2).all(|w| w[0].args == w[1].args),
        "{again:?}"
    );
    assert!(
        !seen[at..]
            .iter()
            .any(|m| m.addr.starts_with("/podium/phase/")),
        "the trigger fires once per change"
    );
}

#[tokio::test]
async fn an_events_rooms_are_addressed_by_id() {
    let shutdown = CancellationToken::new();
    let show = common::short_show();
    let rooms: Vec<osc::Room> = ["hall-a", "hall-b"]
        .into_iter()
        .map(|id| osc::Room {
            id: id.into(),
            control: controller::spawn(show.clone(), Clock::new(60.0), shutdown.clone()).0,
        })
        .collect();
    let desk = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let config = OscConfig {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        send: vec![desk.local_addr().unwrap()],
    };
    let socket = osc::bind(&config).unwrap().unwrap();
    let osc_in = socket.local_addr().unwrap();
    let _tasks = osc::spawn(
        &config,
        Some(socket),
        osc::Rooms {
            rooms: rooms.clone(),
            single: false,
        },
        1000,
        shutdown.clone(),
    )
    .await;
    let phase = |room: &osc::Room| room.control.subscribe().borrow().snapshot.phase.as_str();
    let console = sender().await;
    for bytes in [
        packet("/podium/start", vec![]),        // which room? refused
        packet("/podium/hall-c/start", vec![]), // no such room
        packet("/podium/hall-b/start", vec![]),
        packet("/podium/hall-b/message", vec!["B only".into()]),
    ] {
        console.send_to(&bytes, osc_in).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while rooms[1].control.subscribe().borrow().snapshot.message != "B only" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "room B got its commands"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_ne!(phase(&rooms[1]), "ready");
    assert_eq!(phase(&rooms[0]), "ready", "room A untouched");
    assert_eq!(rooms[0].control.subscribe().borrow().snapshot.message, "");
    // Out, each room under its own prefix.
    let mut seen = Vec::new();
    receive_until(&desk, &mut seen, |m| {
        m.addr == "/podium/hall-b/phase/running"
    })
    .await;
    receive_until(&desk, &mut seen, |m| {
        is(m, "/podium/hall-a/phase", "ready".into())
    })
    .await;
    assert!(
        seen.iter().all(|m| !m.addr.starts_with("/podium/phase")),
        "no room-less address"
    );
    shutdown.cancel();
}
