//! The organiser's overview: every room of the event on one socket, `/overview/ws`, and its page,
//! `/overview/`. The socket carries each room's state **as its controller already serialized it**:
//! a `room` frame is the room's fixed head (id and name escaped once, at start) + the screen
//! count + the state's bytes, concatenated, so a change costs no second serialization however
//! many organisers watch.
//!
//! ```text
//! {"type":"room","room":"xix","name":"Room XIX","planned_start_ms":…,"screens":3,"state":{…}}
//! ```
//!
//! On connect the client must first show the organiser token, `{"type":"auth","token":"…"}`
//! (a page cannot put headers on a WebSocket); until then nothing is sent, and a wrong or missing
//! token ends the socket with the reason (a wrong one counts against its address like any wrong
//! token). Then: one frame per room, a frame per room whose state or screen count changed,
//! `{"type":"alive"}` after a second of silence, pongs to clock-sync pings. Liveness, the send
//! timeout and the frame limits are the per-room sockets' (`ws.rs`).
//!
//! **Invariant:** it never serializes a state, and never sends before the token has matched. It
//! only reads: commands go to `POST /r/{room}/api/command` with the organiser token.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::StreamExt;
use futures_util::future::select_all;
use futures_util::stream::{SplitSink, SplitStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::listen::Abandon;
use super::origin::Policy;
use super::presence::Presence;
use super::source::{Source, States};
use super::throttle::{Attempts, Verdict};
use super::ws::{self, ALIVE_EVERY, Due, Liveness};
use super::{Limits, Token, assets};
use crate::protocol::{self, ClientMsg};

/// How often the screen counts are compared with what the socket last said.
const SCREENS_EVERY: Duration = Duration::from_secs(1);

/// One room as the overview watches it.
struct OverviewRoom {
    id: String,
    name: String,
    control: Source,
    /// The room's connected screens.
    presence: Presence,
}

/// A room with its frame head built once.
struct Prepared {
    room: OverviewRoom,
    /// `{"type":"room","room":…,"name":…,"planned_start_ms":…,"screens":`
    head: String,
}

impl Prepared {
    fn new(room: OverviewRoom) -> Prepared {
        let planned = room.control.planned_start_ms();
        let head = head(&room.id, &room.name, planned);
        Prepared { room, head }
    }

    /// The room's frame: its head, the screen count, and the state's bytes as published.
    fn frame(&self, screens: usize, state: &str) -> String {
        frame(&self.head, screens, state)
    }
}

/// `{"type":"room","room":…,"name":…,"planned_start_ms":…,"screens":`, escaped once.
fn head(id: &str, name: &str, planned_start_ms: Option<i64>) -> String {
    let planned = planned_start_ms.map_or_else(|| "null".to_owned(), |ms| ms.to_string());
    format!(
        r#"{{"type":"room","room":{},"name":{},"planned_start_ms":{planned},"screens":"#,
        json_string(id),
        json_string(name),
    )
}

/// A room frame by concatenation: no serializer touches `state`.
fn frame(head: &str, screens: usize, state: &str) -> String {
    let mut frame = String::with_capacity(head.len() + state.len() + 32);
    frame.push_str(head);
    frame.push_str(&screens.to_string());
    frame.push_str(r#","state":"#);
    frame.push_str(state);
    frame.push('}');
    frame
}

fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// What the overview's routes need: the rooms (in the event's order) and the server's shared
/// parts. Cheap to clone.
#[derive(Clone)]
pub(super) struct Overview {
    rooms: Arc<[Prepared]>,
    organiser: Token,
    limits: Arc<Limits>,
    shutdown: CancellationToken,
    /// Socket loops, so that shutdown waits for their goodbyes.
    viewers: TaskTracker,
    attempts: Attempts,
    policy: Arc<Policy>,
}

impl Overview {
    /// The overview of the server's rooms, or `None` for a single session (it has no organiser
    /// token, and nothing to overlook).
    pub(super) fn of(app: &super::App) -> Option<Overview> {
        if app.rooms.is_single() {
            return None;
        }
        let organiser = app.rooms.organiser()?.clone();
        let rooms = app
            .rooms
            .views()
            .iter()
            .filter_map(|view| app.rooms.get(&view.id))
            .map(|room| {
                Prepared::new(OverviewRoom {
                    id: room.id.clone(),
                    name: room.name.clone(),
                    control: room.control.clone(),
                    presence: room.presence.clone(),
                })
            })
            .collect::<Vec<_>>();
        if rooms.is_empty() {
            return None;
        }
        Some(Overview {
            rooms: rooms.into(),
            organiser,
            limits: app.limits.clone(),
            shutdown: app.shutdown.clone(),
            viewers: app.viewers.clone(),
            attempts: app.attempts.clone(),
            policy: app.policy.clone(),
        })
    }
}

/// `/overview/` (the page; `/overview` redirects there, so the page's socket is `/overview/ws`)
/// and `/overview/ws`. Merge into the server's router before its layers.
pub(super) fn routes<S: Clone + Send + Sync + 'static>(overview: Overview) -> Router<S> {
    Router::new()
        .route(
            "/overview",
            get(|| async { Redirect::permanent("/overview/") }),
        )
        .route("/overview/", get(|| async { Html(assets::OVERVIEW_HTML) }))
        .route("/overview/ws", get(socket))
        .with_state(overview)
}

async fn socket(
    State(overview): State<Overview>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    abandon: Option<Extension<Abandon>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("?");
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if !overview.policy.origin_allowed(origin, host) {
            let why = format!(
                "pages from {origin} may not read this event; to let them, start podium with \
                 --allow-origin {origin}"
            );
            return (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({ "error": why })),
            )
                .into_response();
        }
    }
    let limits = overview.limits.clone();
    let tracker = overview.viewers.clone();
    upgrade
        .read_buffer_size(ws::READ_BUFFER)
        .write_buffer_size(0)
        // Room frames are states plus ~100 bytes; a whole event's worth must fit at connect.
        .max_write_buffer_size(ws::MAX_UNSENT.max(overview.rooms.len() * 4096))
        .max_message_size(limits.max_message)
        .max_frame_size(limits.max_message)
        .on_upgrade(move |socket| async move {
            let _alive = tracker.token();
            let (mut tx, mut rx) = socket.split();
            if let Ending::GaveUp = serve(&mut tx, &mut rx, overview, peer).await
                && let Some(Extension(abandon)) = abandon
            {
                // Reset when it closes: the kernel drops what it still queued for this reader.
                abandon.abandon();
            }
        })
}

/// How an organiser's socket ended.
enum Ending {
    /// It left, was refused, or the server is shutting down.
    Closed,
    /// It stopped reading (a send timed out or failed, no pong): given up on.
    GaveUp,
}

/// One organiser's socket, until it leaves, its token is refused, or the server shuts down.
async fn serve(
    tx: &mut SplitSink<WebSocket, Message>,
    rx: &mut SplitStream<WebSocket>,
    overview: Overview,
    peer: SocketAddr,
) -> Ending {
    let send_timeout = overview.limits.send_timeout;
    if let Err(why) = admit(&overview, peer, rx).await {
        let _ = ws::send(
            tx,
            Message::Text(protocol::error_json(&why).into()),
            send_timeout,
        )
        .await;
        let close = CloseFrame {
            code: close_code::POLICY,
            reason: "the organiser token is required".into(),
        };
        let _ = ws::send(tx, Message::Close(Some(close)), send_timeout).await;
        return Ending::Closed;
    }
    let rooms = &overview.rooms;
    let Some(first) = rooms.first() else {
        return Ending::Closed;
    };
    let mut states: Vec<States> = rooms.iter().map(|r| r.room.control.subscribe()).collect();
    let mut screens: Vec<usize> = rooms.iter().map(|r| r.room.presence.count()).collect();
    let mut liveness = Liveness::new(send_timeout, ALIVE_EVERY, Instant::now());
    for (i, room) in rooms.iter().enumerate() {
        let frame = room.frame(screens[i], &states[i].latest());
        if ws::send(tx, Message::Text(frame.into()), send_timeout)
            .await
            .is_err()
        {
            return Ending::GaveUp;
        }
    }
    liveness.sent_text(Instant::now());
    let mut recount = tokio::time::interval(SCREENS_EVERY);
    recount.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            _ = overview.shutdown.cancelled() => {
                ws::say_goodbye(tx, send_timeout).await;
                return Ending::Closed;
            }
            (i, changed) = changed_room(&mut states) => {
                if changed.is_err() {
                    // A room's controller is gone: the event is ending.
                    ws::say_goodbye(tx, send_timeout).await;
                    return Ending::Closed;
                }
                screens[i] = rooms[i].room.presence.count();
                let frame = rooms[i].frame(screens[i], &states[i].latest());
                if ws::send(tx, Message::Text(frame.into()), send_timeout).await.is_err() {
                    return Ending::GaveUp;
                }
                liveness.sent_text(Instant::now());
            }
            _ = recount.tick() => {
                for (i, room) in rooms.iter().enumerate() {
                    let now = room.room.presence.count();
                    if now == screens[i] {
                        continue;
                    }
                    screens[i] = now;
                    // The state as last published: the same bytes, not a new serialization.
                    let frame = room.frame(now, &states[i].current());
                    if ws::send(tx, Message::Text(frame.into()), send_timeout).await.is_err() {
                        return Ending::GaveUp;
                    }
                    liveness.sent_text(Instant::now());
                }
            }
            _ = tokio::time::sleep_until(liveness.wake_at()) => {
                let sent = match liveness.due(Instant::now()) {
                    Due::Nothing => Ok(()),
                    Due::Ping(payload) => ws::send(tx, Message::Ping(payload), send_timeout).await,
                    Due::Alive => {
                        ws::send(tx, Message::Text(protocol::ALIVE.into()), send_timeout).await
                    }
                    Due::Drop => Err(()),
                };
                if sent.is_err() {
                    return Ending::GaveUp;
                }
            }
            incoming = rx.next() => {
                let reply = match incoming {
                    Some(Ok(Message::Text(text))) => match protocol::parse_client_msg(&text) {
                        Ok(ClientMsg::Ping { id, client_ms }) => protocol::pong_json(
                            id,
                            client_ms,
                            first.room.control.now_unix_ms(),
                        ),
                        Ok(ClientMsg::Sync { .. } | ClientMsg::Auth { .. }) => continue,
                        Ok(ClientMsg::Command { .. }) => protocol::error_json(
                            "the overview only watches: send commands to POST /r/ROOM/api/command",
                        ),
                        Err(why) => protocol::error_json(&why),
                    },
                    Some(Ok(Message::Pong(payload))) => {
                        liveness.pong(&payload, Instant::now());
                        continue;
                    }
                    Some(Ok(Message::Binary(_))) => protocol::error_json("binary frames are not supported"),
                    Some(Ok(Message::Ping(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => return Ending::Closed,
                    Some(Err(e)) => {
                        ws::close_for(tx, &e.to_string(), send_timeout).await;
                        return Ending::Closed;
                    }
                };
                if ws::send(tx, Message::Text(reply.into()), send_timeout).await.is_err() {
                    return Ending::GaveUp;
                }
                liveness.sent_text(Instant::now());
            }
        }
    }
}

/// The first room whose state changed, and how (cancel-safe: `changed` is). `states` is never
/// empty: an event has at least one room.
async fn changed_room(states: &mut [States]) -> (usize, Result<(), watch::error::RecvError>) {
    let waits = states
        .iter_mut()
        .enumerate()
        .map(|(i, rx)| Box::pin(async move { (i, rx.changed().await) }));
    select_all(waits).await.0
}

/// Waits for the client's first message, which must show the organiser token, within the
/// handshake timeout.
async fn admit<R>(overview: &Overview, peer: SocketAddr, rx: &mut R) -> Result<(), String>
where
    R: futures_util::Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    const REQUIRED: &str = "the organiser token is required: send {\"type\":\"auth\",\"token\":\"…\"} \
                            first";
    let first = tokio::time::timeout(overview.limits.handshake_timeout, async {
        loop {
            match rx.next().await {
                Some(Ok(Message::Text(text))) => return Some(text),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                _ => return None,
            }
        }
    })
    .await;
    let Ok(Some(text)) = first else {
        return Err(REQUIRED.into());
    };
    let Ok(ClientMsg::Auth { token }) = protocol::parse_client_msg(&text) else {
        return Err(REQUIRED.into());
    };
    if overview.organiser.matches(&token) {
        return Ok(());
    }
    let Some(room) = overview.rooms.first() else {
        return Err("this event has no rooms".into());
    };
    Err(
        match super::wrong_token(&room.room.control, &overview.attempts, peer) {
            Verdict::Wrong => "wrong organiser token".into(),
            Verdict::Throttled { retry_after } => format!(
                "too many wrong tokens from your address: try again in {} s",
                retry_after.as_secs_f64().ceil().max(1.0)
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name with quotes, a backslash, a newline and `</script>` still makes one JSON object,
    /// whose `state` is the state's text unchanged.
    #[test]
    fn a_frame_is_valid_json_around_the_states_bytes() {
        let state = r#"{"type":"state","seq":3,"title":"Caf\u00e9 \"talk\""}"#;
        let head = head(
            "xix",
            "Room \"XIX\" \\ </script>\n",
            Some(1_760_353_200_000),
        );
        let text = frame(&head, 2, state);
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
        assert_eq!(parsed["type"], "room");
        assert_eq!(parsed["room"], "xix");
        assert_eq!(parsed["name"], "Room \"XIX\" \\ </script>\n");
        assert_eq!(parsed["planned_start_ms"], 1_760_353_200_000_i64);
        assert_eq!(parsed["screens"], 2);
        assert!(text.ends_with(&format!(r#","state":{state}}}"#)));
        let none = frame(&super::head("a", "A", None), 0, state);
        let parsed: serde_json::Value = serde_json::from_str(&none).expect("one JSON object");
        assert!(parsed["planned_start_ms"].is_null());
    }
}
