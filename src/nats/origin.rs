//! The primary's side of NATS: for each room, the state its controller published — the very
//! bytes its own viewers get, never serialized again — on `podium.<event>.<room>.state`, once
//! per change; the last values a relay needs besides (`room`: name, layout, token digests;
//! `show` and `agenda`: what `GET /api/show` and `/api/agenda` answer); and the two responders,
//! `podium.<event>.time` (the time base, answered like a `pong`) and `podium.<event>.cmd` (a
//! relay's command, checked and applied as `POST /api/command` is: [`server::forwarded_command`]).
//!
//! [`Origin::start`] starts all of it as a unit and [`Origin::stop`] ends all of it at once, so a
//! standby can become the primary, and a primary that lost its lease can stop answering.
//!
//! **Invariant:** publishing never blocks a controller: each room's task follows its `watch`
//! (latest wins), and while NATS is away the client drops what it cannot buffer; once the link is
//! back every last value is published again (a restarted server keeps no memory stream).

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream};
use axum::body::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::subjects::{self, What};
use super::{MAX_MESSAGE, NatsError};
use crate::clock::Clock;
use crate::controller::Handle;
use crate::protocol::{self, ClientMsg};
use crate::server::{self, Rooms};

/// How often the link's state is looked at, to publish everything again after a reconnection.
const LINK_CHECK_EVERY: Duration = Duration::from_millis(100);

/// What a relay needs to serve a room besides its state (`podium.<event>.<room>.room`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RoomInfo {
    pub event: String,
    pub room: String,
    pub name: String,
    /// A plain session: its one room is served at `/`.
    pub single: bool,
    /// The event's rooms, in order.
    pub rooms: Vec<String>,
    /// SHA-256 of the room's moderator token, hex.
    pub token_sha256: String,
    /// SHA-256 of the organiser's token, hex (several rooms only).
    pub organiser_sha256: Option<String>,
    /// The planned start, Unix ms.
    pub planned_start_ms: Option<i64>,
}

/// A command forwarded by a relay (`podium.<event>.cmd`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandRequest {
    pub room: String,
    pub token: String,
    /// The command's body as the client sent it (the JSON of `POST /api/command`).
    pub body: String,
}

/// The answer: what `POST /api/command` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandReply {
    pub status: u16,
    /// JSON text: the new state or `{"error": …}`.
    pub body: String,
}

/// The primary's publishing and responders, running until [`Origin::stop`].
pub struct Origin {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Origin {
    /// Starts publishing every local room of `rooms` under `event` with lease `epoch` (0 without
    /// a standby), and answers the time and command subjects.
    pub async fn start(
        client: async_nats::Client,
        event: &str,
        rooms: &Rooms,
        epoch: u64,
    ) -> Result<Origin, NatsError> {
        let stop = CancellationToken::new();
        let entries = rooms.for_relays();
        let ids: Vec<String> = entries.iter().map(|e| e.0.clone()).collect();
        let organiser = rooms.organiser_digest().map(hex);
        let Some(clock) = entries
            .iter()
            .find_map(|e| e.2.as_ref().map(|h| *h.clock()))
        else {
            return Err(NatsError::NoRooms);
        };
        // Publications of this process outrank those of an earlier one (a restart with
        // --resume starts `seq` again): its start, in ms, is the high part.
        let base = (crate::clock::unix_now_ms().max(0.0) as u64).saturating_mul(1_000_000);
        let time = client
            .subscribe(subjects::time(event))
            .await
            .map_err(|source| NatsError::Subscribe {
                subject: subjects::time(event),
                source,
            })?;
        let cmd = client
            .subscribe(subjects::cmd(event))
            .await
            .map_err(|source| NatsError::Subscribe {
                subject: subjects::cmd(event),
                source,
            })?;
        let (links_tx, links) = watch::channel(0u64);
        let mut tasks = vec![
            tokio::spawn(watch_link(client.clone(), links_tx, stop.clone())),
            tokio::spawn(answer_time(client.clone(), time, clock, stop.clone())),
            tokio::spawn(answer_commands(
                client.clone(),
                cmd,
                rooms.clone(),
                stop.clone(),
            )),
        ];
        for (id, name, control, token) in entries {
            let Some(control) = control else { continue };
            let info = RoomInfo {
                event: event.to_owned(),
                room: id.clone(),
                name,
                single: rooms.is_single(),
                rooms: ids.clone(),
                token_sha256: hex(token),
                organiser_sha256: organiser.clone(),
                planned_start_ms: control.show().start.map(|t| t.timestamp_millis()),
            };
            let room = RoomPublisher {
                client: client.clone(),
                event: event.to_owned(),
                info,
                control,
                epoch,
                base,
            };
            tasks.push(tokio::spawn(room.run(links.clone(), stop.clone())));
        }
        Ok(Origin { stop, tasks })
    }

    /// Stops publishing and answering at once (the responders are unsubscribed as their tasks
    /// end); returns when every task has ended.
    pub async fn stop(self) {
        self.stop.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The state stream keeping each last value: created if missing (memory storage, one message per
/// subject). Failure is logged: the live subjects work without JetStream, only a relay started
/// later waits for the next change.
async fn ensure_stream(client: &async_nats::Client) {
    let js = jetstream::new(client.clone());
    let config = stream::Config {
        name: subjects::STATE_STREAM.to_owned(),
        subjects: subjects::room_value_wildcards(),
        max_messages_per_subject: 1,
        storage: stream::StorageType::Memory,
        discard: stream::DiscardPolicy::Old,
        ..Default::default()
    };
    if let Err(e) = js.get_or_create_stream(config).await {
        tracing::warn!(
            "NATS: cannot keep last values in JetStream stream {}: {e}; relays that start later \
             wait for the next change (start nats-server with -js)",
            subjects::STATE_STREAM
        );
    }
}

/// Bumps `links` each time the connection is (re)established, after making sure the state stream
/// exists, so every room publishes its last values again.
async fn watch_link(
    client: async_nats::Client,
    links: watch::Sender<u64>,
    stop: CancellationToken,
) {
    let mut connected = false;
    let mut every = tokio::time::interval(LINK_CHECK_EVERY);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = client.connection_state() == async_nats::connection::State::Connected;
        if now && !connected {
            ensure_stream(&client).await;
            links.send_modify(|n| *n += 1);
        }
        connected = now;
    }
}

struct RoomPublisher {
    client: async_nats::Client,
    event: String,
    info: RoomInfo,
    control: Handle,
    epoch: u64,
    base: u64,
}

impl RoomPublisher {
    async fn run(self, mut links: watch::Receiver<u64>, stop: CancellationToken) {
        let mut states = self.control.subscribe();
        let mut last_show: Option<(String, String)> = None;
        let mut everything = true;
        loop {
            if everything {
                let info = serde_json::to_vec(&self.info).unwrap_or_default();
                self.publish(What::Room, 0, info.into()).await;
                last_show = None;
            }
            let published = states.borrow_and_update().clone();
            let seq = self.base.saturating_add(published.seq);
            // The bytes the origin's viewers get; `Utf8Bytes` → `Bytes` without a serializer.
            let bytes = Bytes::copy_from_slice(published.json.as_str().as_bytes());
            self.publish(What::State, seq, bytes).await;
            if let Ok(info) = self.control.show_info().await {
                let show = serde_json::to_string(&info).unwrap_or_default();
                let agenda =
                    serde_json::to_string(&protocol::Agenda::from(info)).unwrap_or_default();
                if last_show.as_ref() != Some(&(show.clone(), agenda.clone())) {
                    self.publish(What::Show, seq, show.clone().into()).await;
                    self.publish(What::Agenda, seq, agenda.clone().into()).await;
                    last_show = Some((show, agenda));
                }
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = states.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    everything = false;
                }
                changed = links.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    everything = true;
                }
            }
        }
    }

    async fn publish(&self, what: What, seq: u64, payload: Bytes) {
        let subject = subjects::room_value(&self.event, &self.info.room, what);
        let mut headers = HeaderMap::new();
        headers.insert(subjects::HEADER_EPOCH, self.epoch.to_string().as_str());
        headers.insert(subjects::HEADER_SEQ, seq.to_string().as_str());
        if let Err(e) = self
            .client
            .publish_with_headers(subject.clone(), headers, payload)
            .await
        {
            tracing::debug!("NATS: {subject} not published: {e}");
        }
    }
}

/// The next request on `requests`, or `None` once the origin stops or the subscription ends.
async fn next_request(
    requests: &mut async_nats::Subscriber,
    stop: &CancellationToken,
) -> Option<async_nats::Message> {
    tokio::select! {
        _ = stop.cancelled() => None,
        message = requests.next() => message,
    }
}

/// Answers `podium.<event>.time`: a ping (`{"type":"ping","id":…,"client_ms":…}`) gets the pong
/// a socket would, on the run's clock.
async fn answer_time(
    client: async_nats::Client,
    mut requests: async_nats::Subscriber,
    clock: Clock,
    stop: CancellationToken,
) {
    while let Some(message) = next_request(&mut requests, &stop).await {
        let Some(reply) = message.reply else { continue };
        if message.payload.len() > 1024 {
            continue;
        }
        let text = String::from_utf8_lossy(&message.payload);
        let answer = match protocol::parse_client_msg(&text) {
            Ok(ClientMsg::Ping { id, client_ms }) => {
                protocol::pong_json(id, client_ms, clock.now_unix_ms())
            }
            _ => protocol::error_json("send a ping: {\"type\":\"ping\",\"id\":N,\"client_ms\":T}"),
        };
        let _ = client.publish(reply, answer.into()).await;
    }
    let _ = requests.unsubscribe().await;
}

/// Answers `podium.<event>.cmd` with what `POST /api/command` would answer.
async fn answer_commands(
    client: async_nats::Client,
    mut requests: async_nats::Subscriber,
    rooms: Rooms,
    stop: CancellationToken,
) {
    while let Some(message) = next_request(&mut requests, &stop).await {
        let Some(reply) = message.reply else { continue };
        let answer = if message.payload.len() > MAX_MESSAGE {
            CommandReply {
                status: 413,
                body: serde_json::json!({"error": "the forwarded command is too large"})
                    .to_string(),
            }
        } else {
            match serde_json::from_slice::<CommandRequest>(&message.payload) {
                Ok(request) => {
                    let answer = server::forwarded_command(
                        &rooms,
                        &request.room,
                        &request.token,
                        request.body.as_bytes(),
                    )
                    .await;
                    CommandReply {
                        status: answer.status,
                        body: answer.body,
                    }
                }
                Err(e) => CommandReply {
                    status: 400,
                    body: serde_json::json!({ "error": format!("not a forwarded command: {e}") })
                        .to_string(),
                },
            }
        };
        let bytes = serde_json::to_vec(&answer).unwrap_or_default();
        let _ = client.publish(reply, bytes.into()).await;
    }
    let _ = requests.unsubscribe().await;
}

/// Lowercase hex.
pub fn hex(bytes: [u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 32 bytes of a lowercase or uppercase hex digest, if it is one.
pub fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}
