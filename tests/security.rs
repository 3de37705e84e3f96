//! Hostile clients against the moderator's control (issue 10): slow bodies and a full house must
//! not lock the moderator out, token guessing is throttled and reported, foreign origins and hosts
//! are refused, and a viewer that stops reading is dropped within the send timeout.

mod common;

use std::time::Duration;

use common::{TOKEN, TestServer, short_show};
use podium::server::{Config, Limits, Token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn config(limits: Limits) -> Config {
    Config {
        limits,
        ..Config::new(Token::new(TOKEN))
    }
}

/// Reads what the server sends until it closes the connection; `Some(text)` if it did within
/// `within`, `None` if the connection was still open then.
async fn answer_and_close(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let deadline = tokio::time::Instant::now() + within;
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&answer).into_owned()),
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
        }
    }
}

/// A `POST /api/command` whose head announces a body that never comes (one byte of it arrives).
async fn slow_body(addr: std::net::SocketAddr, token: Option<&str>) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST /api/command HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: 64\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.expect("head sent");
    stream
}

/// Connects viewers until `max` are in or the server answers 503 (every slot taken).
async fn fill_with_viewers(server: &TestServer, max: usize) -> Vec<common::Client> {
    let mut viewers = Vec::new();
    while viewers.len() < max {
        match tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr)).await {
            Ok((ws, _)) => {
                let mut viewer = common::Client { ws };
                viewer.next_of("state").await;
                viewers.push(viewer);
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status().as_u16(), 503, "a full server says 503");
                break;
            }
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
    viewers
}

/// Issue 10: 50 unauthenticated requests whose bodies never arrive, then viewers in every slot of
/// `--max-connections 50`: the moderator's command still applies, the slow requests are answered
/// and closed within the body deadline, and a slow body even with the right token is cut off.
#[tokio::test]
async fn slow_bodies_and_a_full_house_never_lock_the_moderator_out() {
    const MAX: usize = 50;
    let deadline = Duration::from_secs(1);
    let server = TestServer::start_with(
        short_show(),
        1.0,
        config(Limits {
            max_connections: MAX,
            handshake_timeout: deadline,
            ..Limits::default()
        }),
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..MAX {
        slow.push(slow_body(server.addr, None).await);
    }
    let viewers = fill_with_viewers(&server, MAX).await;
    let probe = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr)).await;
    assert!(probe.is_err(), "every viewer slot is taken");

    let (status, state) = server
        .command_as(Some(TOKEN), r#"{"cmd":"message","text":"still in control"}"#)
        .await;
    assert_eq!(status, 200, "the moderator is locked out: {state}");
    assert_eq!(state["message"], "still in control");

    // Each slow request was answered (refused, never read) and closed, well within the deadline.
    for mut stream in slow {
        let answer = answer_and_close(&mut stream, deadline + Duration::from_secs(10))
            .await
            .expect("a slow unauthenticated request is cut off");
        assert!(
            answer.starts_with("HTTP/1.1 401") || answer.starts_with("HTTP/1.1 503"),
            "{answer}"
        );
    }
    // With the right token the body still has a deadline (and this goes through the reserve).
    let mut authenticated = slow_body(server.addr, Some(TOKEN)).await;
    let answer = answer_and_close(&mut authenticated, deadline + Duration::from_secs(10))
        .await
        .expect("a slow authenticated body is cut off");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    drop(viewers);
}

/// A body over the size bound is refused with 413, not read to its end.
#[tokio::test]
async fn an_oversized_command_body_is_refused() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let big = format!(r#"{{"cmd":"message","text":"{}"}}"#, "x".repeat(64 * 1024));
    let (status, body) = server.command_as(Some(TOKEN), &big).await;
    assert_eq!(status, 413, "{body}");
}
