//! Slow, stalled and hostile clients against the real server on a loopback port: each limit is
//! crossed once, and the session and the other clients must not notice.

use crate::common;

use std::time::{Duration, Instant};

use common::{Client, TOKEN, TestServer, raw_upgrade, short_show};
use futures_util::{SinkExt, StreamExt};
use podium::server::{Config, Limits, Token};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};

fn config(limits: Limits) -> Config {
    Config {
        limits,
        ..Config::new(Token::new(TOKEN))
    }
}

/// Reads until the server closes the connection; `true` if it did within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// The next message as JSON, or the close frame's code.
async fn next_or_close(client: &mut Client) -> Result<Value, u16> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), client.ws.next())
            .await
            .expect("a message within 5 s");
        match msg {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(Some(frame)))) => return Err(u16::from(frame.code)),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("expected a message or a close frame, got {other:?}"),
        }
    }
}

/// Whether a fresh connection gets a slot (`GET /api/state` answers 200, not 503).
async fn slot_free(addr: std::net::SocketAddr) -> bool {
    let mut probe = TcpStream::connect(addr).await.unwrap();
    probe
        .write_all(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), probe.read_to_string(&mut answer)).await;
    answer.starts_with("HTTP/1.1 200")
}

/// One viewer stops reading; the moderator keeps changing the message. The other viewer gets every
/// change within a second, far below the stalled one's 3 s send timeout, and the stalled one is
/// dropped, which frees its connection slot (three slots: the stalled viewer, the healthy one and
/// the moderator's HTTP connection). Dropped means reset: the megabytes of states the kernel still
/// queued for it are discarded, not trickled into its tiny window for minutes (the test read them
/// for 10 s and never saw the end, before the reset).
// Real time: a stalled reader needs real socket buffers and timeouts (no paused clock).
#[tokio::test]
async fn a_stalled_viewer_never_delays_the_others_and_is_dropped() {
    let server = TestServer::start_with(
        short_show(),
        1.0,
        config(Limits {
            send_timeout: Duration::from_secs(3),
            max_connections: 3,
            ..Limits::default()
        }),
    )
    .await;
    let mut stalled = raw_upgrade(server.addr, Some(4096)).await;
    let mut viewer = server.ws().await;
    viewer.next_of("state").await;
    server.command(r#"{"cmd":"message","text":"0"}"#).await;
    assert!(!slot_free(server.addr).await, "all three slots are taken");
    let filler = "x".repeat(270);
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    let mut i = 0;
    // Keep the stalled socket's buffers filling until the server gives up on it.
    loop {
        for _ in 0..50 {
            i += 1;
            let text = format!("{i} {filler}");
            let sent = Instant::now();
            let answer = server
                .command(&serde_json::json!({"cmd": "message", "text": text}).to_string())
                .await;
            let state = viewer
                .state_where(|s| s["seq"].as_u64() >= answer["seq"].as_u64())
                .await;
            assert_eq!(state["message"], text.as_str(), "latest state wins");
            worst = worst.max(sent.elapsed());
        }
        if slot_free(server.addr).await {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the stalled viewer was never dropped ({i} states sent)"
        );
    }
    assert!(
        worst < Duration::from_secs(1),
        "the healthy viewer waited {worst:?} for a state"
    );
    assert!(
        closed_within(&mut stalled, Duration::from_secs(10)).await,
        "the stalled viewer's socket is closed"
    );
}

// Real time: the handshake timeout over a real socket (a paused clock would fire it at once).
#[tokio::test]
async fn a_connection_that_never_finishes_its_upgrade_is_closed() {
    let server = TestServer::start_with(
        short_show(),
        1.0,
        config(Limits {
            handshake_timeout: Duration::from_millis(300),
            ..Limits::default()
        }),
    )
    .await;
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let mut partial = TcpStream::connect(server.addr).await.unwrap();
    partial
        .write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        .await
        .unwrap();
    let mut viewer = server.ws().await;
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await);
    assert!(closed_within(&mut partial, Duration::from_secs(3)).await);
    // An upgraded viewer is past its handshake: it stays.
    tokio::time::sleep(Duration::from_millis(500)).await;
    viewer.next_of("state").await;
    server.command(r#"{"cmd":"start"}"#).await;
    viewer.state_where(|s| s["phase"] == "running").await;
}

#[tokio::test]
async fn connections_past_the_maximum_get_a_clean_503_until_a_slot_frees() {
    let server = TestServer::start_with(
        short_show(),
        1.0,
        config(Limits {
            max_connections: 2,
            ..Limits::default()
        }),
    )
    .await;
    let mut first = server.ws().await;
    let mut second = server.ws().await;
    first.next_of("state").await;
    second.next_of("state").await;

    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), third.read_to_string(&mut answer))
        .await
        .expect("answered and closed")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too many connections"), "{answer}");

    let refused = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 503)
        }
        other => panic!("expected 503, got {other:?}"),
    }
    // The two viewers are unharmed; when one leaves, its slot is free again.
    second.ws.close(None).await.unwrap();
    // Idle, a viewer hears `alive` every second (no state repeats while nothing changes).
    first.next_of("alive").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut again = loop {
        match tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr)).await {
            Ok((ws, _)) => break Client { ws },
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("the freed slot was never reused: {e}"),
        }
    };
    again.next_of("state").await;
}

#[tokio::test]
async fn an_oversized_message_or_frame_closes_only_that_socket_with_1009() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut bystander = server.ws().await;
    bystander.next_of("state").await;

    // One frame over the limit.
    let mut big = server.ws().await;
    big.next_of("state").await;
    big.send_text(&format!(
        r#"{{"type":"ping","id":1,"client_ms":0,"pad":"{}"}}"#,
        "x".repeat(5000)
    ))
    .await;
    let closed = loop {
        if let Err(code) = next_or_close(&mut big).await {
            break code;
        }
    };
    assert_eq!(closed, 1009);

    // Small frames, a message over the limit.
    let mut fragmented = server.ws().await;
    fragmented.next_of("state").await;
    for i in 0..8 {
        let opcode = if i == 0 {
            OpCode::Data(Data::Text)
        } else {
            OpCode::Data(Data::Continue)
        };
        let frame = Frame::from_payload(
            FrameHeader {
                is_final: i == 7,
                opcode,
                ..FrameHeader::default()
            },
            vec![b'x'; 1000].into(),
        );
        if fragmented.ws.send(Message::Frame(frame)).await.is_err() {
            break;
        }
    }
    let closed = loop {
        if let Err(code) = next_or_close(&mut fragmented).await {
            break code;
        }
    };
    assert_eq!(closed, 1009);

    server.command(r#"{"cmd":"start"}"#).await;
    bystander.state_where(|s| s["phase"] == "running").await;
}

#[tokio::test]
async fn the_moderator_can_command_over_the_socket_with_the_token() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut moderator = server.ws().await;
    let mut viewer = server.ws().await;
    moderator.next_of("state").await;
    viewer.next_of("state").await;
    moderator.send_command(TOKEN, r#"{"cmd":"start"}"#).await;
    let applied = moderator.next_of("applied").await;
    let state = viewer.state_where(|s| s["phase"] == "running").await;
    assert_eq!(state["seq"], applied["seq"]);
    // Refused by the engine, by the parser: an error for the sender, nothing changes.
    moderator
        .send_command(TOKEN, r#"{"cmd":"goto","index":99}"#)
        .await;
    moderator.next_of("error").await;
    moderator.send_command(TOKEN, r#"{"cmd":"dance"}"#).await;
    let err = moderator.next_of("error").await;
    assert!(
        err["error"].as_str().unwrap().starts_with("bad command"),
        "{err}"
    );
    let (_, now) = server.get("/api/state").await;
    assert_eq!(now["seq"], applied["seq"]);
}

// Real time: real sockets (the bucket's own rule is tested exactly in server::ws::tests).
#[tokio::test]
async fn socket_commands_are_rate_limited_per_connection_tokens_or_not() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut moderator = server.ws().await;
    moderator.next_of("state").await;
    for i in 0..10 {
        moderator
            .send_command(TOKEN, &format!(r#"{{"cmd":"message","text":"{i}"}}"#))
            .await;
    }
    let mut applied = 0;
    let mut limited = 0;
    for _ in 0..10 {
        let v = loop {
            let v = moderator.next_json().await;
            if v["type"] != "state" {
                break v;
            }
        };
        match v["type"].as_str() {
            Some("applied") => applied += 1,
            Some("error") if v["error"].as_str().unwrap().contains("too many commands") => {
                limited += 1
            }
            _ => panic!("{v}"),
        }
    }
    assert!((5..=6).contains(&applied), "{applied} applied");
    assert_eq!(applied + limited, 10);
    // Guessing tokens spends the same budget.
    moderator
        .send_command("guess-guess", r#"{"cmd":"start"}"#)
        .await;
    let err = moderator.next_of("error").await;
    assert!(err["error"].as_str().unwrap().contains("too many"), "{err}");
    // Another connection has its own budget, and the limit refills.
    let mut other = server.ws().await;
    other.next_of("state").await;
    other.send_command(TOKEN, r#"{"cmd":"start"}"#).await;
    other.next_of("applied").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    moderator.send_command(TOKEN, r#"{"cmd":"pause"}"#).await;
    moderator.next_of("applied").await;
}

#[tokio::test]
async fn garbage_over_the_socket_is_answered_and_harms_no_one() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut bystander = server.ws().await;
    bystander.next_of("state").await;
    let mut hostile = server.ws().await;
    let first = hostile.next_of("state").await;
    for garbage in [
        "",
        "null",
        "[1,2,3]",
        "\"ping\"",
        r#"{"type":"ping","id":1e999,"client_ms":1}"#,
        r#"{"type":"ping","id":-1,"client_ms":1}"#,
        r#"{"type":"ping","id":1,"client_ms":1e999}"#,
        r#"{"type":"ping","id":18446744073709551616,"client_ms":0}"#,
        r#"{"type":"command","token":123,"cmd":"next"}"#,
        r#"{"type":"command","token":"test-moderator-token","cmd":"adjust","seconds":99999999999999999999}"#,
        r#"{"type":"command","token":"test-moderator-token","cmd":"adjust","seconds":9223372036854775807}"#,
        r#"{"type":"command","token":"test-moderator-token","cmd":"goto","index":-1}"#,
        "\u{0}\u{1}\u{2}",
    ] {
        hostile.send_text(garbage).await;
        let err = hostile.next_of("error").await;
        assert!(!err["error"].as_str().unwrap().is_empty(), "{garbage}");
        assert!(
            !err.to_string().contains(TOKEN),
            "the token is never echoed"
        );
    }
    hostile
        .ws
        .send(Message::binary(vec![0u8; 100]))
        .await
        .unwrap();
    hostile.next_of("error").await;
    let (_, now) = server.get("/api/state").await;
    assert_eq!(now["seq"], first["seq"], "nothing changed");
    server.command(r#"{"cmd":"start"}"#).await;
    bystander.state_where(|s| s["phase"] == "running").await;
    hostile.state_where(|s| s["phase"] == "running").await;
}

#[tokio::test]
async fn framing_is_forbidden_unless_allowed() {
    let http = reqwest::Client::new();
    let strict = TestServer::start(common::SHORT, 1.0).await;
    let resp = http.get(strict.url("/")).send().await.unwrap();
    assert_eq!(resp.headers()["x-frame-options"], "DENY");
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    let obs = TestServer::start_with(
        short_show(),
        1.0,
        Config {
            allow_framing: true,
            ..Config::new(Token::new(TOKEN))
        },
    )
    .await;
    let resp = http.get(obs.url("/")).send().await.unwrap();
    assert!(resp.headers().get("x-frame-options").is_none());
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn viewers_joining_and_leaving_send_nothing_to_the_others() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let mut watcher = server.ws().await;
    let first = watcher.next_of("state").await;
    let mut crowd = Vec::new();
    for _ in 0..20 {
        let mut v = server.ws().await;
        v.next_of("state").await;
        crowd.push(v);
    }
    drop(crowd);
    // Two seconds later, the watcher has heard nothing but `alive` (issue 11: no state while
    // nothing changes), so nothing about the others.
    for _ in 0..2 {
        let v = watcher.next_json().await;
        assert_eq!(v, serde_json::json!({"type": "alive"}), "after {first}");
    }
}
