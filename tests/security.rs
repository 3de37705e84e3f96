//! Hostile clients against the moderator's control (issue 10): slow bodies and a full house must
//! not lock the moderator out, token guessing is throttled and reported, foreign origins and hosts
//! are refused, and a viewer that stops reading is dropped within the send timeout.

use crate::common;

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
        .command_as(
            Some(TOKEN),
            r#"{"cmd":"message","text":"still in control"}"#,
        )
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

/// A client whose connections come from `ip` (any 127.x address is this machine).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("an address"))
        .build()
        .expect("a client")
}

async fn post_command(
    client: &reqwest::Client,
    server: &TestServer,
    token: &str,
) -> reqwest::Response {
    client
        .post(server.url("/api/command"))
        .bearer_auth(token)
        .body(r#"{"cmd":"message","text":"hi"}"#)
        .send()
        .await
        .expect("podium answers")
}

/// Issue 10: wrong tokens from one address are answered 401 for a burst, then 429 with
/// `Retry-After`, over HTTP and over the socket; the right token still works from that address
/// (a guesser sharing it must not lock the moderator out); another address has its own budget;
/// and the moderator sees the sources in `GET /api/presence`.
#[tokio::test]
async fn token_guessing_is_throttled_per_address_and_reported() {
    use podium::server::throttle::FAILED_TOKEN_BURST;
    let server = TestServer::start(common::SHORT, 1.0).await;
    let guesser = client_from("127.0.0.1");
    for i in 0..FAILED_TOKEN_BURST {
        let resp = post_command(&guesser, &server, &format!("guess-{i:012}")).await;
        assert_eq!(resp.status().as_u16(), 401, "guess {i} is within the burst");
    }
    let resp = post_command(&guesser, &server, "guess-after-the-burst").await;
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");

    // The right token from the same (throttled) address still works.
    let resp = post_command(&guesser, &server, TOKEN).await;
    assert_eq!(resp.status().as_u16(), 200);
    // Over the socket, from the throttled address: refused as too many.
    let mut socket = server.ws().await;
    socket.next_of("state").await;
    socket
        .send_command("guess-over-the-socket", r#"{"cmd":"start"}"#)
        .await;
    let err = socket.next_of("error").await;
    assert!(
        err["error"]
            .as_str()
            .unwrap()
            .contains("too many wrong tokens"),
        "{err}"
    );
    // Another address is not throttled.
    let neighbour = client_from("127.0.0.2");
    let resp = post_command(&neighbour, &server, "a-wrong-token-elsewhere").await;
    assert_eq!(resp.status().as_u16(), 401);

    let (status, body) = server.get_as(Some(TOKEN), "/api/presence").await;
    assert_eq!(status, 200);
    let failed = body["failed_attempts"].as_array().expect("a list").clone();
    let of = |source: &str| {
        failed
            .iter()
            .find(|f| f["source"] == source)
            .unwrap_or_else(|| panic!("{source} in {failed:?}"))
            .clone()
    };
    let home = of("127.0.0.1");
    assert_eq!(home["count"], u64::from(FAILED_TOKEN_BURST) + 2, "{home}");
    assert_eq!(home["throttled"], 2, "{home}");
    assert_eq!(home["throttled_now"], true, "{home}");
    assert_eq!(of("127.0.0.2")["count"], 1);
    // Viewers never see it.
    let (_, state) = server.get("/api/state").await;
    assert!(state.get("failed_attempts").is_none());
}

/// Issue 10: `--token 12345678` was accepted; a given token must be at least 16 characters.
#[tokio::test]
async fn a_short_token_is_refused_with_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("run.jsonl");
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["run", common::SHORT, "--bind", "127.0.0.1:0", "--no-notify"])
        .args(["--token", "12345678", "--journal"])
        .arg(&journal)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("podium refuses a short token at once")
        .expect("podium ran");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("at least 16 characters"), "{stderr}");
    assert!(
        !stderr.contains("12345678"),
        "the token is not echoed: {stderr}"
    );
}

/// Issue 10: a viewer that completes the upgrade and then never reads was dropped only once its
/// kernel buffers filled (over an hour at the idle rate). The server pings; a client that has not
/// answered within `--send-timeout` is dropped, while a reading client (which answers pings by
/// itself) stays.
// Real time: the send timeout over a real socket (the ping rule: server::ws::tests, exact).
#[tokio::test]
async fn a_viewer_that_stops_reading_is_dropped_within_the_send_timeout() {
    let send_timeout = Duration::from_secs(1);
    let server = TestServer::start_with(
        short_show(),
        1.0,
        config(Limits {
            send_timeout,
            ..Limits::default()
        }),
    )
    .await;
    let mut stalled = common::raw_upgrade(server.addr, None).await;
    let mut reader = server.ws().await;
    let until = tokio::time::Instant::now() + send_timeout * 4;
    while tokio::time::Instant::now() < until {
        reader.next_json().await;
    }
    // Reading now drains what was sent, but never answers a ping: the server has given up.
    assert!(
        answer_and_close(&mut stalled, Duration::from_secs(10))
            .await
            .is_some(),
        "the stalled viewer is still connected after 4 × --send-timeout"
    );
    server.command(r#"{"cmd":"start"}"#).await;
    reader.state_where(|s| s["phase"] == "running").await;
}

/// The status line's code of a raw `GET path` with the given `Host` header.
async fn get_with_host(addr: std::net::SocketAddr, path: &str, host: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    let answer = answer_and_close(&mut stream, Duration::from_secs(10))
        .await
        .expect("answered and closed");
    answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {answer}"))
}

/// A WebSocket upgrade with these extra headers: `Ok` once connected, or the refusal's status.
async fn ws_with(
    addr: std::net::SocketAddr,
    query: &str,
    headers: &[(&str, &str)],
) -> Result<common::Client, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws{query}")
        .into_client_request()
        .expect("a request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(common::Client { ws }),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected failure: {e}"),
    }
}

/// Issue 10: any web page the speaker visited could open the socket and read the live state, and
/// a DNS-rebinding page could reach every route. Same-origin pages, clients without an `Origin`
/// and `--allow-origin` origins are let in; other origins get 403, and a `Host` naming a foreign
/// domain is refused on every route.
#[tokio::test]
async fn foreign_origins_and_hosts_are_refused() {
    let server = TestServer::start_with(
        short_show(),
        1.0,
        Config {
            allowed_origins: vec!["http://obs.example:9000".into()],
            ..Config::new(Token::new(TOKEN))
        },
    )
    .await;
    let addr = server.addr;
    let port = addr.port();
    let own = format!("127.0.0.1:{port}");

    // DNS rebinding: the attacker's name in Host, on every route.
    for path in ["/", "/api/state", "/api/agenda", "/control", "/ws"] {
        assert_eq!(
            get_with_host(addr, path, &format!("evil.example:{port}")).await,
            403,
            "{path}"
        );
    }
    for host in [
        own.as_str(),
        &format!("localhost:{port}"),
        &format!("[::1]:{port}"),
    ] {
        assert_eq!(get_with_host(addr, "/api/state", host).await, 200, "{host}");
    }
    // An allowed origin's host is a name this server answers to.
    assert_eq!(
        get_with_host(addr, "/api/state", "obs.example:9000").await,
        200
    );

    // The socket: no Origin (podium follow, scripts), the same origin, an allowed one.
    let mut plain = ws_with(addr, "", &[]).await.expect("no Origin is let in");
    plain.next_of("state").await;
    let own_origin = format!("http://{own}");
    let mut page = ws_with(addr, "", &[("Origin", own_origin.as_str())])
        .await
        .expect("the server's own pages are let in");
    page.next_of("state").await;
    let mut obs = ws_with(addr, "", &[("Origin", "http://obs.example:9000")])
        .await
        .expect("an --allow-origin origin is let in");
    obs.next_of("state").await;
    // Any other page is refused.
    for origin in [
        "http://evil.example",
        "https://evil.example:8443",
        "null",
        &format!("http://localhost:{port}"), // not the Host this request names
    ] {
        assert_eq!(
            ws_with(addr, "", &[("Origin", origin)]).await.err(),
            Some(403),
            "{origin}"
        );
    }
}

/// Issue 10: a viewer could pose as the moderator in the list of connected screens with
/// `?kind=moderator`. The kind is the moderator's only once the socket has shown the token.
#[tokio::test]
async fn only_the_token_makes_a_screen_the_moderator() {
    let server = TestServer::start(common::SHORT, 1.0).await;
    let url = format!("ws://{}/ws?name=Impostor&kind=moderator", server.addr);
    let mut impostor = common::Client::connect(&url).await;
    impostor.next_of("state").await;
    impostor
        .send_text(r#"{"type":"auth","token":"not-the-moderator-token"}"#)
        .await;
    let err = impostor.next_of("error").await;
    assert!(err["error"].as_str().unwrap().contains("wrong"), "{err}");
    let url = format!("ws://{}/ws?name=Desk&kind=moderator", server.addr);
    let mut desk = common::Client::connect(&url).await;
    desk.next_of("state").await;
    desk.send_text(&format!(r#"{{"type":"auth","token":"{TOKEN}"}}"#))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = server.get_as(Some(TOKEN), "/api/presence").await;
        let screens = body["screens"].as_array().cloned().unwrap_or_default();
        let kind = |name: &str| {
            screens
                .iter()
                .find(|s| s["name"] == name)
                .map(|s| s["kind"].clone())
        };
        if kind("Desk") == Some("moderator".into()) {
            assert_eq!(kind("Impostor"), Some(serde_json::Value::Null), "{body}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `podium run --allow-origin URL` lets that origin's pages in; a malformed one is refused up
/// front with what to write.
#[tokio::test]
async fn allow_origin_is_a_flag_of_run() {
    let proc = common::Process::start(&[
        "run",
        common::SHORT,
        "--allow-origin",
        "http://obs.example:9000/",
    ])
    .await;
    let addr: std::net::SocketAddr = proc
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("the speaker URL names an address");
    let mut obs = ws_with(addr, "", &[("Origin", "http://obs.example:9000")])
        .await
        .expect("the allowed origin is let in");
    obs.next_of("state").await;
    assert_eq!(
        ws_with(addr, "", &[("Origin", "http://evil.example")])
            .await
            .err(),
        Some(403)
    );
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
        .args(["run", common::SHORT, "--allow-origin", "obs.example"])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("podium ran");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scheme://host[:port]"), "{stderr}");
}
