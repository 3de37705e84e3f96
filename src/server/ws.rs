//! One client's WebSocket: the latest state out (on connect and on change), clock-sync pings and
//! the moderator's token-bearing commands in. A dead, slow or misbehaving client ends only its own
//! loop: its queue is the one latest state of a `watch` channel, and a frame it cannot take within
//! the send timeout drops it.
//!
//! **Idle, a viewer gets only `{"type":"alive"}`**, once a [`ALIVE_EVERY`] without any other text
//! frame, so a page (which cannot see WebSocket pings) and `podium follow` notice a dead server
//! within a few seconds; a state is sent only when it changed.
//!
//! **A viewer that stops reading is dropped within the send timeout.** A write only blocks once
//! the kernel's buffers are full, which at a state a second takes over an hour; so the server
//! also pings every half send timeout, and a client that has not answered a ping within the send
//! timeout is dropped. Browsers and WebSocket libraries answer pings by themselves while they
//! read, so a page or `podium follow` that is reading is never dropped.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::source::{Outcome, Source};
use super::throttle::{Attempts, Verdict};
use super::{Limits, Token};
use crate::protocol::{self, ClientMsg};
use crate::server::presence::Seat;

/// tungstenite's read buffer per viewer (its default is 128 KiB): client messages are tiny.
pub(super) const READ_BUFFER: usize = 2048;
/// Unsent bytes a viewer may accumulate before it is dropped (a state is ~1 KiB).
pub(super) const MAX_UNSENT: usize = 64 * 1024;
/// A socket with no other text frame for this long gets `{"type":"alive"}`; clients call a link
/// dead after three of these of silence.
pub(super) const ALIVE_EVERY: Duration = Duration::from_secs(1);

/// What one connection's loop needs.
pub(super) struct Viewer {
    pub control: Source,
    /// The room's moderator token.
    pub token: Token,
    /// The event's organiser token, which controls every room (none for a single session).
    pub organiser: Option<Token>,
    /// The event's rooms and this room's id: a token of another room is told so, not counted as
    /// a guess (none for a single session).
    pub rooms: Option<(super::Rooms, String)>,
    pub limits: Arc<Limits>,
    pub shutdown: CancellationToken,
    /// Wrong tokens per source address, shared with HTTP.
    pub attempts: Attempts,
    pub peer: std::net::SocketAddr,
    /// The connection's switch for an abortive close (none when not served by `listen.rs`).
    pub abandon: Option<super::listen::Abandon>,
}

impl Viewer {
    /// This viewer stopped reading (or its socket failed): reset its socket when it closes, so
    /// the kernel drops the states queued for it at once (`listen::Abandon`).
    fn give_up(&self) {
        if let Some(abandon) = &self.abandon {
            abandon.abandon();
        }
    }

    /// Whether `token` controls this room: its moderator's, or the organiser's.
    fn may_control(&self, token: &str) -> bool {
        self.token.matches(token) || self.organiser.as_ref().is_some_and(|o| o.matches(token))
    }
}

/// Serves one client until it leaves or the server shuts down. `seat` lists it for the moderator
/// (and records the clock-sync estimate it reports) for exactly as long as this loop runs.
pub(super) async fn serve_socket(socket: WebSocket, viewer: Viewer, seat: Seat) {
    let send_timeout = viewer.limits.send_timeout;
    let mut liveness = Liveness::new(send_timeout, ALIVE_EVERY, Instant::now());
    let mut commands = Bucket::new(viewer.limits.commands_per_second, Instant::now());
    let (mut tx, mut rx) = socket.split();
    let mut states = viewer.control.subscribe();
    let first = states.latest();
    if send(&mut tx, Message::Text(first), send_timeout)
        .await
        .is_err()
    {
        viewer.give_up();
        return;
    }
    liveness.sent_text(Instant::now());
    loop {
        tokio::select! {
            biased;
            _ = viewer.shutdown.cancelled() => {
                say_goodbye(&mut tx, send_timeout).await;
                break;
            }
            changed = states.changed() => {
                if changed.is_err() {
                    // The controller is gone: the session is ending.
                    say_goodbye(&mut tx, send_timeout).await;
                    break;
                }
                let json = states.latest();
                if send(&mut tx, Message::Text(json), send_timeout).await.is_err() {
                    viewer.give_up();
                    break;
                }
                liveness.sent_text(Instant::now());
            }
            _ = tokio::time::sleep_until(liveness.wake_at()) => {
                match liveness.due(Instant::now()) {
                    Due::Nothing => {}
                    Due::Ping(payload) => {
                        if send(&mut tx, Message::Ping(payload), send_timeout).await.is_err() {
                            viewer.give_up();
                            break;
                        }
                    }
                    Due::Alive => {
                        let alive = Message::Text(protocol::ALIVE.into());
                        if send(&mut tx, alive, send_timeout).await.is_err() {
                            viewer.give_up();
                            break;
                        }
                    }
                    Due::Drop => {
                        tracing::debug!("a viewer answered no ping within {send_timeout:?}: dropped");
                        viewer.give_up();
                        break;
                    }
                }
            }
            incoming = rx.next() => {
                let reply = match incoming {
                    Some(Ok(Message::Text(text))) => {
                        match answer(&viewer, &seat, &mut commands, &text).await {
                            Some(reply) => reply,
                            None => continue,
                        }
                    }
                    Some(Ok(Message::Binary(_))) => protocol::error_json("binary frames are not supported"),
                    Some(Ok(Message::Pong(payload))) => {
                        liveness.pong(&payload, Instant::now());
                        continue;
                    }
                    Some(Ok(Message::Ping(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(e)) => {
                        close_for(&mut tx, &e.to_string(), send_timeout).await;
                        break;
                    }
                };
                if send(&mut tx, Message::Text(reply.into()), send_timeout).await.is_err() {
                    viewer.give_up();
                    break;
                }
                liveness.sent_text(Instant::now());
            }
        }
    }
}

/// The reply to one text message, if it has one (a `sync` report has none).
async fn answer(viewer: &Viewer, seat: &Seat, commands: &mut Bucket, text: &str) -> Option<String> {
    Some(match protocol::parse_client_msg(text) {
        // On the run's clock, like `server_time_ms` and `ends_at_ms`: never the raw wall clock.
        Ok(ClientMsg::Ping { id, client_ms }) => {
            protocol::pong_json(id, client_ms, viewer.control.now_unix_ms())
        }
        Ok(ClientMsg::Sync { rtt_ms, offset_ms }) => {
            seat.report(rtt_ms, offset_ms);
            return None;
        }
        Ok(ClientMsg::Auth { token }) => {
            // Spends the same per-connection budget as a command: guessing stays slow.
            if !commands.take(Instant::now()) {
                return Some(too_many_commands(viewer));
            }
            if !viewer.may_control(&token) {
                return Some(wrong_token(viewer, &token));
            }
            seat.promote();
            return None;
        }
        Ok(ClientMsg::Command { token, command }) => {
            // Counted before the token is checked, so guessing is rate limited too.
            if !commands.take(Instant::now()) {
                return Some(too_many_commands(viewer));
            }
            if !viewer.may_control(&token) {
                return Some(wrong_token(viewer, &token));
            }
            let body = protocol::command_json(&command).to_string().into_bytes();
            match viewer.control.command(command, &token, body).await {
                Outcome::Applied(published) => protocol::applied_json(published.seq),
                Outcome::Refused(refused) => protocol::error_json(&refused),
                Outcome::Stopped(stopped) => protocol::error_json(&stopped.to_string()),
                Outcome::Forwarded(answer) => forwarded_reply(answer.status, &answer.body),
            }
        }
        Err(why) => protocol::error_json(&why),
    })
}

/// A relayed command's answer as the socket gives it: `applied` with the state's `seq`, or the
/// origin's error.
fn forwarded_reply(status: u16, body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    if status == 200
        && let Some(seq) = value.get("seq").and_then(serde_json::Value::as_u64)
    {
        return protocol::applied_json(seq);
    }
    match value.get("error").and_then(serde_json::Value::as_str) {
        Some(why) => protocol::error_json(why),
        None => protocol::error_json(&format!("the moderator's machine answered {status}")),
    }
}

fn too_many_commands(viewer: &Viewer) -> String {
    protocol::error_json(&format!(
        "too many commands: at most {} a second on one connection",
        viewer.limits.commands_per_second
    ))
}

/// The answer to a wrong token, counted against the client's address; another room's token is
/// refused with the reason instead.
fn wrong_token(viewer: &Viewer, token: &str) -> String {
    if let Some((rooms, here)) = &viewer.rooms
        && let Some(other) = rooms.owner(token)
    {
        return protocol::error_json(&format!(
            "this is the moderator token of room {other:?}, not of room {here:?}: it controls \
             that room only"
        ));
    }
    let verdict = super::wrong_token(&viewer.control, &viewer.attempts, viewer.peer);
    protocol::error_json(&match verdict {
        Verdict::Wrong => "wrong moderator token: viewers are read-only".into(),
        Verdict::Throttled { retry_after } => format!(
            "too many wrong tokens from your address: try again in {} s",
            retry_after.as_secs_f64().ceil().max(1.0)
        ),
    })
}

/// Closes after a protocol error (oversized message or frame, bad framing) with the reason.
pub(super) async fn close_for<S>(tx: &mut S, why: &str, send_timeout: Duration)
where
    S: SinkExt<Message> + Unpin,
{
    let code = if why.contains("too long") || why.contains("too big") {
        close_code::SIZE
    } else {
        close_code::PROTOCOL
    };
    // A close reason must fit in a control frame (123 bytes).
    let mut reason: String = why.chars().take(100).collect();
    while reason.len() > 120 {
        reason.pop();
    }
    let close = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = send(tx, Message::Close(Some(close)), send_timeout).await;
}

pub(super) async fn say_goodbye<S>(tx: &mut S, send_timeout: Duration)
where
    S: SinkExt<Message> + Unpin,
{
    let bye = Message::Text(protocol::bye_json("server shutting down").into());
    let _ = send(tx, bye, send_timeout).await;
    let close = CloseFrame {
        code: close_code::AWAY,
        reason: "server shutting down".into(),
    };
    let _ = send(tx, Message::Close(Some(close)), send_timeout).await;
}

pub(super) async fn send<S>(tx: &mut S, msg: Message, send_timeout: Duration) -> Result<(), ()>
where
    S: SinkExt<Message> + Unpin,
{
    match tokio::time::timeout(send_timeout, tx.send(msg)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// Both directions of liveness. The server's pings: one every half send timeout, each to be
/// answered within the send timeout (is the client reading?). The `alive` frame: a text frame at
/// least every `alive_every` (is the server there? pages cannot see pings). Deadlines are kept as
/// instants, never counted down.
pub(super) struct Liveness {
    every: Duration,
    answer_within: Duration,
    next_ping: Instant,
    /// The outstanding ping: its number and when its answer is due.
    awaiting: Option<(u64, Instant)>,
    sent: u64,
    alive_every: Duration,
    /// When the socket's text goes quiet for too long: an `alive` frame is due then.
    next_alive: Instant,
}

/// What the ping timer asks for.
#[derive(Debug, PartialEq)]
pub(super) enum Due {
    Nothing,
    Ping(Bytes),
    /// No text frame for `alive_every`: send `{"type":"alive"}`.
    Alive,
    Drop,
}

impl Liveness {
    pub(super) fn new(send_timeout: Duration, alive_every: Duration, now: Instant) -> Liveness {
        let every = send_timeout / 2;
        Liveness {
            every,
            answer_within: send_timeout,
            next_ping: now + every,
            awaiting: None,
            sent: 0,
            alive_every,
            next_alive: now + alive_every,
        }
    }

    pub(super) fn wake_at(&self) -> Instant {
        let ping = match self.awaiting {
            Some((_, due)) => due,
            None => self.next_ping,
        };
        ping.min(self.next_alive)
    }

    /// What is due at `now`: one thing at a time (the loop wakes again at once for the next).
    pub(super) fn due(&mut self, now: Instant) -> Due {
        match self.awaiting {
            Some((_, due)) if now >= due => return Due::Drop,
            None if now >= self.next_ping => {
                self.sent += 1;
                self.awaiting = Some((self.sent, now + self.answer_within));
                self.next_ping = now + self.every;
                return Due::Ping(Bytes::copy_from_slice(&self.sent.to_be_bytes()));
            }
            _ => {}
        }
        if now >= self.next_alive {
            self.sent_text(now);
            return Due::Alive;
        }
        Due::Nothing
    }

    /// A text frame went out at `now`: it proves the server alive as well as an `alive` would.
    pub(super) fn sent_text(&mut self, now: Instant) {
        self.next_alive = now + self.alive_every;
    }

    /// A pong answering the outstanding ping clears it; others (unsolicited, stale) are ignored.
    pub(super) fn pong(&mut self, payload: &[u8], now: Instant) {
        if let Some((n, _)) = self.awaiting
            && payload == n.to_be_bytes()
        {
            self.awaiting = None;
            self.next_ping = self.next_ping.max(now);
        }
    }
}

/// A token bucket: `rate` commands a second, bursts of up to `rate`.
struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: u32, now: Instant) -> Bucket {
        Bucket {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            at: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_must_be_answered_within_the_send_timeout() {
        let t0 = Instant::now();
        let s = Duration::from_secs(10);
        let mut live = Liveness::new(s, Duration::from_secs(3600), t0);
        assert_eq!(live.wake_at(), t0 + s / 2);
        assert_eq!(live.due(t0), Due::Nothing);
        let Due::Ping(first) = live.due(t0 + s / 2) else {
            panic!("a ping every half send timeout")
        };
        assert_eq!(live.wake_at(), t0 + s / 2 + s);
        live.pong(b"stale", t0 + s);
        live.pong(&first, t0 + s);
        assert_eq!(live.wake_at(), t0 + s);
        assert!(matches!(live.due(t0 + s), Due::Ping(_)));
        // Unanswered: dropped at its deadline, not before.
        assert_eq!(
            live.due(t0 + s * 2 - Duration::from_millis(1)),
            Due::Nothing
        );
        assert_eq!(live.due(t0 + s * 2), Due::Drop);
    }

    /// Issue 11: an idle socket hears `alive` once a second, and any other text frame (a state,
    /// a pong) stands in for it; the server's pings go on as before.
    #[test]
    fn an_idle_socket_hears_alive_every_second_unless_it_heard_text() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut live = Liveness::new(Duration::from_secs(10), second, t0);
        assert_eq!(live.wake_at(), t0 + second);
        assert_eq!(live.due(t0 + second / 2), Due::Nothing);
        assert_eq!(live.due(t0 + second), Due::Alive);
        assert_eq!(live.wake_at(), t0 + second * 2);
        // A state at 1.5 s: the next alive is due a second after it.
        live.sent_text(t0 + second * 3 / 2);
        assert_eq!(live.due(t0 + second * 2), Due::Nothing);
        assert_eq!(live.wake_at(), t0 + second * 5 / 2);
        assert_eq!(live.due(t0 + second * 5 / 2), Due::Alive);
        // At 5 s both are due: the ping first, then the alive.
        assert!(matches!(live.due(t0 + second * 5), Due::Ping(_)));
        assert_eq!(live.due(t0 + second * 5), Due::Alive);
        assert_eq!(live.due(t0 + second * 5), Due::Nothing);
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(5, t0);
        assert_eq!((0..7).filter(|_| b.take(t0)).count(), 5);
        assert!(!b.take(t0 + Duration::from_millis(100)));
        assert!(b.take(t0 + Duration::from_millis(200)));
        assert!(!b.take(t0 + Duration::from_millis(200)));
        assert_eq!(
            (0..9)
                .filter(|_| b.take(t0 + Duration::from_secs(60)))
                .count(),
            5
        );
    }
}
