//! `podium follow URL`: the speaker view in a terminal. A tokio-tungstenite client of `/ws` with
//! the page's clock sync ([`sync`]) and display rules ([`view`]); it reconnects by itself with
//! backoff, like the page. On a terminal it draws a full-screen view (big digits, phase colours);
//! without one (a pipe, a log, a test) it prints one line per change — once a second while the
//! countdown runs.
//!
//! Like the page, a clean stop of the server (its `bye`) freezes the countdown where it was and
//! says "server stopped" (nobody keeps time any more), then waits for the server to come back.
//! Everything from the wire is printed through [`crate::term::printable`] (see [`view::Frame`]).
//!
//! It reads the server; it never sends a command.

pub mod sync;
pub mod view;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::clock::LocalClock;
use crate::protocol::{self, ServerMsg, StateIn};
use sync::ClockSync;
use view::Frame;

const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// The server sends a text frame at least every second (a state, or `alive` when nothing
/// changed); silence this long means the server or the link is dead (issue 11: noticed within 3 s).
const DEAD_AFTER: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const PING_BURST: u32 = 8;
const PING_BURST_GAP: Duration = Duration::from_millis(60);
const PING_EVERY: Duration = Duration::from_secs(5);
/// The status after the server's `bye`, until it comes back.
const SERVER_STOPPED: &str = "server stopped — waiting for it to come back";

#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(
        "{url:?} is not a podium address: {why}; give the speaker view's URL, e.g. http://127.0.0.1:8080/"
    )]
    BadUrl { url: String, why: &'static str },
    #[error("cannot write to the terminal: {0}")]
    Terminal(#[from] std::io::Error),
}

/// The WebSocket URL for a podium address (`http://host:port/`, `ws://host:port/ws`, or
/// `host:port`), introducing this screen as a terminal with an optional name. TLS addresses are
/// refused with the remedy: this client has no TLS built in.
pub fn socket_url(address: &str, name: Option<&str>) -> Result<String, FollowError> {
    let bad = |why| FollowError::BadUrl {
        url: address.to_owned(),
        why,
    };
    let address = address.trim();
    let (scheme, rest) = match address.split_once("://") {
        Some(("http" | "ws", rest)) => ("ws", rest),
        Some(("https" | "wss", _)) => {
            return Err(bad(
                "podium follow speaks plain ws:// only (no TLS client built in); follow the \
                 server's plain address, e.g. through an SSH tunnel (ssh -L 8080:127.0.0.1:8080 HOST)",
            ));
        }
        Some(_) => return Err(bad("the scheme must be http or ws")),
        None => ("ws", address),
    };
    let (host, path) = match rest.find(['/', '?', '#']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
        return Err(bad("it has no host"));
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    if !matches!(path, "" | "/" | "/ws") {
        return Err(bad(
            "podium serves the speaker view at / and the stream at /ws",
        ));
    }
    let mut url = format!("{scheme}://{host}/ws?kind=terminal");
    if let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) {
        url.push_str("&name=");
        url.push_str(&percent_encode(name));
    }
    Ok(url)
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Follows the show at `url` (from [`socket_url`]) until `shutdown`.
pub async fn run(url: String, shutdown: CancellationToken) -> Result<(), FollowError> {
    let mut screen = Screen::new(std::io::stdout().is_terminal())?;
    let mut backoff = BACKOFF_MIN;
    loop {
        if !screen.frozen() {
            screen.set_status(&format!("connecting to {url}…"))?;
        }
        let attempt = tokio::select! {
            _ = shutdown.cancelled() => break,
            attempt = tokio::time::timeout(CONNECT_TIMEOUT, connect(&url)) => attempt,
        };
        if let Ok(Ok(socket)) = attempt {
            screen.set_status("")?;
            let end = session(socket, &mut screen, &shutdown).await?;
            if end.got_state {
                backoff = BACKOFF_MIN;
            }
            if end.quit {
                break;
            }
        }
        let why = screen
            .stopped
            .take()
            .unwrap_or_else(|| "no connection".into());
        if screen.frozen() {
            screen.set_status(SERVER_STOPPED)?;
        } else {
            screen.set_status(&format!(
                "{why} — reconnecting in {:.1} s…",
                backoff.as_secs_f64()
            ))?;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
    screen.close()
}

/// Opens the socket without Nagle's algorithm: a ping written right after another small frame
/// would otherwise wait for its ACK (~40 ms of delayed ACK) and skew the clock sample by half that.
async fn connect(
    url: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
    Ok(socket)
}

struct SessionEnd {
    quit: bool,
    got_state: bool,
}

/// One socket, until it closes, goes silent, or `shutdown`.
async fn session<S>(
    socket: tokio_tungstenite::WebSocketStream<S>,
    screen: &mut Screen,
    shutdown: &CancellationToken,
) -> Result<SessionEnd, FollowError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut tx, mut rx) = socket.split();
    screen.sync.new_socket();
    let mut end = SessionEnd {
        quit: false,
        got_state: false,
    };
    let mut pings = 0u32;
    let mut next_ping = Instant::now();
    let mut dead_at = Instant::now() + DEAD_AFTER;
    loop {
        let redraw_at = screen.next_change();
        tokio::select! {
            _ = shutdown.cancelled() => {
                end.quit = true;
                let _ = tx.send(Message::Close(None)).await;
                return Ok(end);
            }
            _ = sleep_until(dead_at) => {
                screen.stopped = Some("the server went silent".into());
                return Ok(end);
            }
            _ = sleep_until(redraw_at.unwrap_or(dead_at)), if redraw_at.is_some() => screen.render()?,
            _ = sleep_until(next_ping) => {
                pings += 1;
                let ping = protocol::ping_json(u64::from(pings), screen.clock.now_ms());
                if tx.send(Message::text(ping)).await.is_err() {
                    return Ok(end);
                }
                // The report goes after the ping, never before it: a ping must not queue behind
                // another frame, or its sample is skewed by the wait.
                if pings > 1 && let Some(best) = screen.sync.best() {
                    let report = protocol::sync_json(best.rtt_ms, best.offset_ms);
                    if tx.send(Message::text(report)).await.is_err() {
                        return Ok(end);
                    }
                }
                next_ping += if pings < PING_BURST { PING_BURST_GAP } else { PING_EVERY };
            }
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    dead_at = Instant::now() + DEAD_AFTER;
                    match serde_json::from_str::<ServerMsg>(&text) {
                        Ok(ServerMsg::State(state)) => {
                            end.got_state = true;
                            screen.on_state(*state)?;
                        }
                        Ok(ServerMsg::Pong { client_ms, server_ms }) => {
                            let now = screen.clock.now_ms();
                            screen.sync.on_pong(client_ms, server_ms, now);
                            tracing::debug!(
                                rtt_ms = now - client_ms,
                                offset_ms = server_ms - (client_ms + now) / 2.0,
                                best = ?screen.sync.best(),
                                "clock sample"
                            );
                        }
                        // Proof of life only: `dead_at` moved above.
                        Ok(ServerMsg::Alive) => {}
                        Ok(ServerMsg::Bye { .. }) => screen.server_stopped()?,
                        Ok(ServerMsg::Error { error }) => {
                            tracing::warn!("podium server: {}", crate::term::printable(&error));
                        }
                        Ok(ServerMsg::Other) | Err(_) => {}
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Ok(end),
                Some(Ok(_)) => dead_at = Instant::now() + DEAD_AFTER,
            },
        }
    }
}

/// The follower's screen: the latest state, the clock estimate, and what was last shown.
struct Screen {
    tty: bool,
    clock: LocalClock,
    sync: ClockSync,
    state: Option<StateIn>,
    status: String,
    /// Why the last connection ended, for the status line.
    stopped: Option<String>,
    last_line: String,
    /// The terminal size of the last full-screen draw (a resize redraws).
    last_size: (u16, u16),
    /// The server's time when it said `bye`: the countdown shows that moment until a new state.
    frozen_at: Option<f64>,
}

impl Screen {
    fn new(tty: bool) -> Result<Screen, FollowError> {
        if tty {
            let mut out = std::io::stdout();
            crossterm::execute!(
                out,
                crossterm::terminal::EnterAlternateScreen,
                crossterm::cursor::Hide
            )?;
        }
        Ok(Screen {
            tty,
            clock: LocalClock::new(),
            sync: ClockSync::default(),
            state: None,
            status: String::new(),
            stopped: None,
            last_line: String::new(),
            last_size: (0, 0),
            frozen_at: None,
        })
    }

    fn on_state(&mut self, state: StateIn) -> Result<(), FollowError> {
        self.sync
            .on_state(state.server_time_ms, self.clock.now_ms());
        self.state = Some(state);
        self.frozen_at = None;
        self.render()
    }

    /// The server stopped cleanly: stop counting and say so.
    fn server_stopped(&mut self) -> Result<(), FollowError> {
        self.frozen_at = Some(self.sync.server_now(self.clock.now_ms()));
        self.stopped = Some("server stopped".into());
        self.set_status(SERVER_STOPPED)
    }

    /// True from the server's `bye` until the next state.
    fn frozen(&self) -> bool {
        self.frozen_at.is_some()
    }

    fn set_status(&mut self, status: &str) -> Result<(), FollowError> {
        self.status = crate::term::printable(status).into_owned();
        self.render()
    }

    /// When the digits or the phase next change (on the server's second boundary); never while
    /// the server is stopped.
    fn next_change(&mut self) -> Option<Instant> {
        if self.frozen() {
            return None;
        }
        let state = self.state.as_ref()?;
        let now = self.sync.server_now(self.clock.now_ms());
        view::ms_until_next_change(state, now)
            .map(|ms| Instant::from_std(self.clock.instant_in(ms)))
    }

    fn render(&mut self) -> Result<(), FollowError> {
        let server_now = self
            .frozen_at
            .unwrap_or_else(|| self.sync.server_now(self.clock.now_ms()));
        let frame = match &self.state {
            Some(state) => Frame::of(state, server_now, &self.status),
            None => {
                if !self.status.is_empty() && self.status != self.last_line {
                    self.last_line = self.status.clone();
                    if self.tty {
                        self.draw_text(&self.status.clone())?;
                    } else {
                        // Not `println!`: a reader that left (`| head -1`) ends the command
                        // quietly (see `exit`), never a panic.
                        let mut out = std::io::stdout().lock();
                        writeln!(out, "{}", self.status)?;
                        out.flush()?;
                    }
                }
                return Ok(());
            }
        };
        let line = frame.line();
        let size = if self.tty {
            crossterm::terminal::size()
                .ok()
                .filter(|&(cols, rows)| cols > 0 && rows > 0)
                .unwrap_or((80, 24))
        } else {
            (0, 0)
        };
        // Only a change (or a resize) is drawn.
        if line == self.last_line && size == self.last_size {
            return Ok(());
        }
        self.last_line = line;
        self.last_size = size;
        let mut out = std::io::stdout().lock();
        if self.tty {
            view::draw(&mut out, &frame, size)?;
        } else {
            writeln!(out, "{}", self.last_line)?;
            out.flush()?;
        }
        Ok(())
    }

    fn draw_text(&self, text: &str) -> Result<(), FollowError> {
        let mut out = std::io::stdout();
        crossterm::queue!(
            out,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
            crossterm::cursor::MoveTo(0, 0),
            crossterm::style::Print(text)
        )?;
        out.flush()?;
        Ok(())
    }

    fn close(self) -> Result<(), FollowError> {
        if self.tty {
            let mut out = std::io::stdout();
            crossterm::execute!(
                out,
                crossterm::cursor::Show,
                crossterm::terminal::LeaveAlternateScreen
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_become_socket_urls() {
        assert_eq!(
            socket_url("http://127.0.0.1:8080/", None).ok().as_deref(),
            Some("ws://127.0.0.1:8080/ws?kind=terminal")
        );
        assert_eq!(
            socket_url("http://podium.example", Some("Neha M"))
                .ok()
                .as_deref(),
            Some("ws://podium.example/ws?kind=terminal&name=Neha%20M")
        );
        assert_eq!(
            socket_url("ws://h:1/ws", Some(" ")).ok().as_deref(),
            Some("ws://h:1/ws?kind=terminal")
        );
        assert_eq!(
            socket_url("localhost:8080", None).ok().as_deref(),
            Some("ws://localhost:8080/ws?kind=terminal")
        );
        assert_eq!(
            socket_url("http://h:1/?name=x#frag", None).ok().as_deref(),
            Some("ws://h:1/ws?kind=terminal")
        );
        for bad in [
            "ftp://h/",
            "http:///",
            "http://h:1/control",
            "",
            "http://a b/",
            "https://podium.example/",
        ] {
            assert!(
                matches!(socket_url(bad, None), Err(FollowError::BadUrl { .. })),
                "{bad}"
            );
        }
    }

    /// Issue 11: an idle server sends only `alive`, once a second; that keeps the link, and
    /// 3 s without any frame (a stopped server, a blackholed link: nothing closes) ends the
    /// session as "went silent", so the follower shows it and reconnects. Exact, under tokio's
    /// paused clock, over an in-memory socket.
    #[tokio::test(start_paused = true)]
    async fn alive_frames_keep_the_link_and_3_s_of_silence_end_it() {
        use tokio_tungstenite::WebSocketStream;
        use tokio_tungstenite::tungstenite::protocol::Role;
        let (near, far) = tokio::io::duplex(64 * 1024);
        let client = WebSocketStream::from_raw_socket(near, Role::Client, None).await;
        let mut server = WebSocketStream::from_raw_socket(far, Role::Server, None).await;
        let started = Instant::now();
        let server = tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                server
                    .send(Message::text(protocol::ALIVE))
                    .await
                    .expect("sent");
            }
            let last = Instant::now();
            // Then silence, with the socket open: read the client's pings until it hangs up.
            while let Some(Ok(_)) = server.next().await {}
            last
        });
        let mut screen = Screen::new(false).expect("no terminal to set up");
        let end = session(client, &mut screen, &CancellationToken::new())
            .await
            .expect("no terminal error");
        let ended = Instant::now();
        let last = server.await.expect("the server task");
        assert!(!end.quit);
        assert_eq!(screen.stopped.as_deref(), Some("the server went silent"));
        assert_eq!(
            last - started,
            Duration::from_secs(10),
            "kept by alive frames"
        );
        assert_eq!(
            ended - last,
            Duration::from_secs(3),
            "silence noticed at 3 s"
        );
    }
}
