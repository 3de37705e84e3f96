//! Test support: a real podium server on an ephemeral loopback port (in-process, or the real
//! binary), real WebSocket clients, JSON helpers.
#![allow(dead_code)]

pub mod browser;
pub mod nats;
pub mod rooms;
pub mod tmux;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use podium::clock::Clock;
use podium::server::Token;
use podium::{controller, server, show};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-moderator-token";
/// The short test show: 2 + 10 + 5 minutes.
pub const SHORT: &str = "tests/sessions/short.toml";

/// A server running in this process on 127.0.0.1:0; shut down on drop.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    http: reqwest::Client,
}

impl TestServer {
    pub async fn start(session: &str, speed: f64) -> TestServer {
        let show = Arc::new(show::load_file(Path::new(session)).expect("session loads"));
        Self::start_show(show, speed).await
    }

    pub async fn start_show(show: Arc<show::Show>, speed: f64) -> TestServer {
        Self::start_with(show, speed, server::Config::new(Token::new(TOKEN))).await
    }

    /// A server with the given configuration (limits, framing, TLS).
    pub async fn start_with(
        show: Arc<show::Show>,
        speed: f64,
        config: server::Config,
    ) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("bound");
        let shutdown = CancellationToken::new();
        let (control, _task) = controller::spawn(show, Clock::new(speed), shutdown.clone());
        tokio::spawn(server::serve_with(
            listener,
            control,
            config,
            shutdown.clone(),
        ));
        TestServer {
            addr,
            shutdown,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn ws(&self) -> Client {
        Client::connect(&format!("ws://{}/ws", self.addr)).await
    }

    /// POSTs a command body with the given bearer token; returns status and JSON.
    pub async fn command_as(&self, token: Option<&str>, body: &str) -> (u16, Value) {
        let mut req = self
            .http
            .post(self.url("/api/command"))
            .body(body.to_owned());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    pub async fn command(&self, body: &str) -> Value {
        let (status, json) = self.command_as(Some(TOKEN), body).await;
        assert_eq!(status, 200, "{body} → {json}");
        json
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.get_as(None, path).await
    }

    /// GETs `path` with the given bearer token; returns status and JSON (null if none).
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> (u16, Value) {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A real tokio-tungstenite viewer (over plain TCP unless `S` says otherwise).
pub struct Client<S = MaybeTlsStream<TcpStream>> {
    pub ws: WebSocketStream<S>,
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connects");
        Client { ws }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    /// A viewer over an already-established stream (e.g. TLS).
    pub fn from_tls(ws: WebSocketStream<S>) -> Client<S> {
        Client { ws }
    }

    /// The next text message as JSON (fails the test after 5 s of silence).
    pub async fn next_json(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a message within 5 s")
                .expect("stream open")
                .expect("no socket error");
            match msg {
                Message::Text(text) => return serde_json::from_str(&text).expect("valid JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// The next message of type `kind`, skipping others (fails after 30 s without one: an idle
    /// server's `alive` frames are never silence).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {kind} message within 30 s"
            );
            let v = self.next_json().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// Waits (up to 5 s of silence, 30 s in all) for a state satisfying `pred`.
    pub async fn state_where(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.next_of("state").await;
            if pred(&v) {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no state as awaited within 30 s; the last: {v}"
            );
        }
    }

    /// Sends a moderator command over the socket: `{"type":"command","token":…, …body}`.
    pub async fn send_command(&mut self, token: &str, body: &str) {
        let mut msg: Value = serde_json::from_str(body).expect("a JSON command body");
        msg["type"] = "command".into();
        msg["token"] = token.into();
        self.send_text(&msg.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("sent");
    }
}

/// The short test show, loaded.
pub fn short_show() -> Arc<show::Show> {
    Arc::new(show::load_file(Path::new(SHORT)).expect("session loads"))
}

/// Opens a raw TCP connection and completes a WebSocket upgrade on `/ws` by hand, returning the
/// socket (with the server's first bytes possibly unread): a client that can then stall or misbehave.
pub async fn raw_upgrade(addr: std::net::SocketAddr, recv_buffer: Option<u32>) -> TcpStream {
    raw_upgrade_at(addr, "/ws", recv_buffer).await
}

/// [`raw_upgrade`] of the socket at `path` (e.g. a room's `/r/a/ws`).
pub async fn raw_upgrade_at(
    addr: std::net::SocketAddr,
    path: &str,
    recv_buffer: Option<u32>,
) -> TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    let mut stream = socket.connect(addr).await.expect("connects");
    stream
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("request sent");
    // Read the response head byte by byte so nothing past it is consumed.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .expect("an answer within 5 s")
            .expect("readable");
        assert_eq!(n, 1, "connection closed during the upgrade");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// The real `podium` binary, started headless; killed on drop.
pub struct Process {
    pub child: tokio::process::Child,
    pub base: String,
    pub stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    /// Where the run's journal goes unless the test chose (`--journal`, `--resume`).
    pub journal_dir: Option<tempfile::TempDir>,
}

impl Process {
    /// `podium ARGS --bind 127.0.0.1:0 --token TOKEN --no-notify` (ARGS' own `--bind`, `--token`,
    /// `--journal` instead, when given).
    pub async fn start(args: &[&str]) -> Process {
        let mut all = args.to_vec();
        all.push("--no-notify");
        Self::spawn(&all, &[]).await
    }

    /// `podium ARGS --bind 127.0.0.1:0 --token TOKEN` with extra environment; stderr is piped.
    pub async fn spawn(args: &[&str], env: &[(&str, &str)]) -> Process {
        use tokio::io::AsyncBufReadExt;
        let journal_dir = (!args.contains(&"--journal") && !args.contains(&"--resume"))
            .then(|| tempfile::tempdir().expect("temporary directory"));
        let journal = journal_dir
            .as_ref()
            .map(|d| d.path().join("run.jsonl").display().to_string());
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_podium"))
            .args(args)
            .args(journal.iter().flat_map(|j| ["--journal", j.as_str()]))
            .args(if args.contains(&"--bind") {
                &[][..]
            } else {
                &["--bind", "127.0.0.1:0"][..]
            })
            .args(if args.contains(&"--resume") || args.contains(&"--token") {
                &[][..]
            } else {
                &["--token", TOKEN][..]
            })
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("podium starts");
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().expect("piped")).lines();
        let base = loop {
            // Generous: with --nats the server waits for its journals' stream first.
            let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
                .await
                .expect("podium prints its URLs")
                .expect("stdout readable")
                .expect("podium did not exit");
            if let Some(url) = line.strip_prefix("speaker view: ") {
                break url.trim_end_matches('/').to_owned();
            }
        };
        Process {
            child,
            base,
            stdout,
            journal_dir,
        }
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.base.replacen("http", "ws", 1))
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = self.child.id().expect("running") as i32;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).expect("signal sent");
    }
}

/// HTTP helpers and a clean stop for the real binary (used by the browser tests).
impl Process {
    /// POSTs a command with the moderator token; asserts 200 and returns the new state.
    pub async fn command(&self, body: &str) -> Value {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/command", self.base))
            .bearer_auth(TOKEN)
            .body(body.to_owned())
            .send()
            .await
            .expect("podium answers POST /api/command");
        let status = resp.status().as_u16();
        let json: Value = resp.json().await.expect("JSON answer");
        assert_eq!(status, 200, "{body} → {json}");
        json
    }

    /// GETs a JSON path (e.g. `/api/state`); returns status and body (`Null` if not JSON).
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("podium answers GET");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Sends SIGTERM and waits (up to 10 s) for the process to exit; returns its exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal(nix::sys::signal::Signal::SIGTERM);
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("podium exits within 10 s of SIGTERM")
            .expect("podium's exit status is readable")
    }
}

/// POSTs a moderator command (with [`TOKEN`]) to the podium at `base` (`http://host:port`) and
/// returns its JSON answer; the command must apply (200).
pub async fn post_command(base: &str, body: &str) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/command"))
        .bearer_auth(TOKEN)
        .body(body.to_owned())
        .send()
        .await
        .expect("podium answers POST /api/command");
    assert_eq!(resp.status().as_u16(), 200, "{body}: the command applies");
    resp.json().await.expect("a JSON answer")
}
