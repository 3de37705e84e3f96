//! `podium relay`: a stateless process that serves, near its viewers, the rooms a moderator's
//! process (the origin) publishes on NATS — the same pages, WebSocket endpoints, limits and
//! checks as `podium run`, because it is the same server (`crate::server`) reading each room
//! through a [`Remote`] filled from NATS instead of a local controller.
//!
//! - States arrive on `podium.<event>.<room>.state` and go to viewers as received: the bytes are
//!   checked (size, UTF-8, a `state` message) but never serialized again. A viewer that connects
//!   gets the last one at once; the last values come from JetStream (`PODIUM_STATE`) when the
//!   relay starts and after every reconnection, and anything older than what the relay has
//!   (`Podium-Epoch`, then `Podium-Seq`) is dropped.
//! - Pings are answered here, on the origin's time base: the relay estimates its offset to the
//!   origin over `podium.<event>.time` with the pages' own estimator ([`ClockSync`]).
//! - Commands with a token (checked here against the digests the origin published, and again by
//!   the origin) go to `podium.<event>.cmd`; the origin's answer is passed on.
//!
//! **Invariant:** nothing from NATS can crash the relay: every message is bounded
//! ([`MAX_MESSAGE`]), parsed with reasons, and refused with a log line.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::origin::{CommandReply, CommandRequest, RoomInfo, unhex};
use super::subjects::{self, What};
use super::{MAX_MESSAGE, NatsError, REQUEST_TIMEOUT};
use crate::clock::LocalClock;
use crate::exit::{Exit, Status};
use crate::follow::sync::ClockSync;
use crate::protocol::{self, ServerMsg};
use crate::server::source::{Forwarded, Remote};
use crate::server::{self, Rooms, TlsAcceptor, Token};

/// Pings to the origin's time subject: a burst at the start (and after a reconnection), then
/// one a second, like a page's.
const SYNC_EVERY: Duration = Duration::from_secs(1);
const SYNC_BURST: u32 = 5;
const SYNC_BURST_EVERY: Duration = Duration::from_millis(100);
/// How often the link's state is looked at, to catch up after a reconnection.
const LINK_CHECK_EVERY: Duration = Duration::from_millis(100);
/// Rooms (of any event) a relay keeps track of: junk subjects cannot grow it without bound.
const MAX_ROOMS: usize = 4096;

/// `podium relay`'s arguments, validated.
pub struct RelayConfig {
    pub nats: String,
    pub bind: SocketAddr,
    pub tls: Option<TlsAcceptor>,
    /// Serve this event only; by default the first one seen.
    pub event: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allow_framing: bool,
    pub limits: server::Limits,
}

impl RelayConfig {
    /// `podium relay`'s arguments, checked: the address, TLS, the event id.
    pub fn from_args(args: crate::cli::RelayArgs) -> Result<RelayConfig, RelayError> {
        let (bind, note) = crate::config::parse_bind(&args.bind)
            .map_err(|why| RelayError::Input(format!("--bind {}: {why}", args.bind)))?;
        if let Some(note) = note {
            crate::term::say(format!("podium relay: {note}"));
        }
        if let Some(event) = &args.event
            && !subjects::is_id(event)
        {
            return Err(RelayError::Input(format!(
                "--event {event:?}: an event id is lowercase letters a-z, digits and -"
            )));
        }
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(
                server::tls_acceptor(cert, key).map_err(|e| RelayError::Input(e.to_string()))?,
            ),
            _ => None,
        };
        Ok(RelayConfig {
            nats: args.nats,
            bind,
            tls,
            event: args.event,
            allowed_origins: args.allow_origins,
            allow_framing: args.allow_framing,
            limits: server::Limits {
                max_connections: args.max_connections as usize,
                ..server::Limits::default()
            },
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Nats(#[from] NatsError),
    #[error("cannot listen on {addr}: {source} (in use? try another --bind)")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(#[source] std::io::Error),
}

impl Exit for RelayError {
    fn exit_status(&self) -> Status {
        match self {
            RelayError::Input(_) => Status::Input,
            _ => Status::Failure,
        }
    }
}

/// Binds `config.bind`, then serves until `shutdown`.
pub async fn run(config: RelayConfig, shutdown: CancellationToken) -> Result<(), RelayError> {
    crate::live::raise_fd_limit(config.limits.max_connections);
    let listener = crate::live::listen(config.bind).map_err(|source| RelayError::Bind {
        addr: config.bind,
        source,
    })?;
    serve(listener, config, shutdown).await
}

/// How often the relay looks at its link to NATS, to tell its operator when it changes.
const LINK_LOOK_EVERY: Duration = Duration::from_millis(500);
/// The first look, once a first connection had its time (a distant NATS behind TLS).
const LINK_FIRST_LOOK: Duration = Duration::from_secs(2);

/// Tells the relay's operator, on the terminal, when NATS is unreachable and when it is back:
/// a relay retries for ever (its viewers wait), so without this a wrong `--nats` or a NATS that
/// is down looks like an event that never starts. One line per change, none while it holds.
async fn tell_the_link(client: async_nats::Client, url: String, stop: CancellationToken) {
    use async_nats::connection::State;
    let mut told: Option<bool> = None;
    let mut look = tokio::time::interval_at(
        tokio::time::Instant::now() + LINK_FIRST_LOOK,
        LINK_LOOK_EVERY,
    );
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = look.tick() => {}
        }
        let connected = matches!(client.connection_state(), State::Connected);
        // A change is said; so is a first look that finds NATS away (not one that finds it there).
        match told.replace(connected) {
            Some(before) if before == connected => continue,
            None if connected => continue,
            _ => {}
        }
        crate::term::say(if connected {
            format!("podium relay: NATS at {url} connected")
        } else {
            format!(
                "podium relay: NATS at {url} is not reachable; retrying (viewers keep their last state)"
            )
        });
    }
}

/// Serves on `listener`: waits for an event's rooms to arrive over NATS, then serves them until
/// `shutdown`.
pub async fn serve(
    listener: TcpListener,
    config: RelayConfig,
    shutdown: CancellationToken,
) -> Result<(), RelayError> {
    let local = listener.local_addr().map_err(RelayError::Serve)?;
    let client = super::connect(&config.nats, &format!("podium relay {local}"), false).await?;
    let feeds = Feeds::new(client.clone(), config.event.clone());
    let mut tasks = Vec::new();
    for wildcard in subjects::room_value_wildcards() {
        let subscriber =
            client
                .subscribe(wildcard.clone())
                .await
                .map_err(|source| NatsError::Subscribe {
                    subject: wildcard,
                    source,
                })?;
        tasks.push(tokio::spawn(receive(subscriber, feeds.clone())));
    }
    tasks.push(tokio::spawn(catch_up(
        client.clone(),
        feeds.clone(),
        shutdown.clone(),
    )));
    crate::term::say(format!(
        "podium relay: waiting for an event on {} (serving on {local} once it arrives)",
        without_credentials(&config.nats)
    ));
    tasks.push(tokio::spawn(tell_the_link(
        client.clone(),
        without_credentials(&config.nats),
        shutdown.clone(),
    )));
    let Some(event) = feeds.ready(&shutdown).await else {
        return Ok(());
    };
    tasks.push(tokio::spawn(sync_time(
        client.clone(),
        event.event.clone(),
        feeds.time.clone(),
        feeds.links.clone(),
        shutdown.clone(),
    )));
    let rooms = event.rooms();
    crate::term::say(format!(
        "podium relay: serving event {} ({} room{}) on {}://{local}/",
        event.event,
        event.rooms.len(),
        if event.rooms.len() == 1 { "" } else { "s" },
        if config.tls.is_some() {
            "https"
        } else {
            "http"
        },
    ));
    let mut server_config = server::Config::new(Token::from_digest([0; 32]));
    server_config.limits = config.limits;
    server_config.tls = config.tls;
    server_config.allowed_origins = config.allowed_origins;
    server_config.allow_framing = config.allow_framing;
    server_config.allowed_hosts = server::origin::machine_names();
    let served = server::serve_rooms(listener, rooms, server_config, shutdown).await;
    for task in tasks {
        task.abort();
    }
    served.map_err(RelayError::Serve)
}

/// `nats://user:secret@host:4222` → `nats://host:4222`, for the terminal.
fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://{host}"),
        _ => url.to_owned(),
    }
}

/// Every room the relay has heard of, by `(event, room)`.
#[derive(Clone)]
struct Feeds {
    inner: Arc<FeedsInner>,
    time: Arc<TimeBase>,
    /// Bumped on every (re)connection: the clock sync starts a new series.
    links: watch::Sender<u64>,
}

struct FeedsInner {
    client: async_nats::Client,
    only: Option<String>,
    rooms: Mutex<HashMap<(String, String), Arc<RoomFeed>>>,
    /// Bumped whenever a room's description or first state arrives.
    arrivals: watch::Sender<u64>,
}

impl Feeds {
    fn new(client: async_nats::Client, only: Option<String>) -> Feeds {
        Feeds {
            inner: Arc::new(FeedsInner {
                client,
                only,
                rooms: Mutex::new(HashMap::new()),
                arrivals: watch::channel(0).0,
            }),
            time: Arc::new(TimeBase::default()),
            links: watch::channel(0).0,
        }
    }

    fn rooms(&self) -> MutexGuard<'_, HashMap<(String, String), Arc<RoomFeed>>> {
        // A poisoned map is still a map: a panic elsewhere must not stop the relay.
        self.inner
            .rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The room's feed, made on first sight; `None` past [`MAX_ROOMS`].
    fn room(&self, event: &str, room: &str) -> Option<Arc<RoomFeed>> {
        let mut rooms = self.rooms();
        let key = (event.to_owned(), room.to_owned());
        if rooms.len() >= MAX_ROOMS && !rooms.contains_key(&key) {
            return None;
        }
        let feed = rooms
            .entry(key)
            .or_insert_with(|| {
                Arc::new(RoomFeed {
                    event: event.to_owned(),
                    room: room.to_owned(),
                    client: self.inner.client.clone(),
                    time: self.time.clone(),
                    state: watch::channel(Utf8Bytes::from_static("")).0,
                    values: Mutex::new(Values::default()),
                })
            })
            .clone();
        Some(feed)
    }

    /// One message from NATS (live or from the stream): checked, then kept if it is newer.
    fn accept(&self, subject: &str, headers: Option<&HeaderMap>, payload: Bytes) {
        let Some((event, room, what)) = subjects::parse_room_value(subject) else {
            return;
        };
        if self.inner.only.as_deref().is_some_and(|only| only != event) {
            return;
        }
        if payload.len() > MAX_MESSAGE {
            tracing::warn!(
                "refused {subject}: {} bytes, more than {MAX_MESSAGE}",
                payload.len()
            );
            return;
        }
        let order = Order::of(headers);
        let Some(feed) = self.room(event, room) else {
            tracing::warn!("refused {subject}: already {MAX_ROOMS} rooms");
            return;
        };
        match feed.take(what, order, payload) {
            Ok(true) => {
                self.inner.arrivals.send_modify(|n| *n += 1);
            }
            Ok(false) => {}
            Err(why) => tracing::warn!("refused {subject}: {why}"),
        }
    }

    /// Waits until one event (the one asked for, else the first seen) has every room described
    /// and a state for each; `None` on shutdown.
    async fn ready(&self, shutdown: &CancellationToken) -> Option<EventFeed> {
        let mut arrivals = self.inner.arrivals.subscribe();
        loop {
            if let Some(event) = self.complete_event() {
                return Some(event);
            }
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                changed = arrivals.changed() => changed.ok()?,
            }
        }
    }

    fn complete_event(&self) -> Option<EventFeed> {
        let rooms = self.rooms();
        let mut events: Vec<&String> = rooms.keys().map(|(e, _)| e).collect();
        events.sort();
        events.dedup();
        for event in events {
            let Some(info) = rooms
                .iter()
                .filter(|((e, _), _)| e == event)
                .find_map(|(_, feed)| feed.values().info.clone())
            else {
                continue;
            };
            let mut feeds = Vec::new();
            for id in &info.rooms {
                match rooms.get(&(event.clone(), id.clone())) {
                    Some(feed) if feed.values().info.is_some() && feed.has_state() => {
                        feeds.push(feed.clone());
                    }
                    _ => break,
                }
            }
            if feeds.len() == info.rooms.len() && !feeds.is_empty() {
                return Some(EventFeed {
                    event: event.clone(),
                    rooms: feeds,
                    info,
                });
            }
        }
        None
    }
}

/// An event whose every room has arrived.
struct EventFeed {
    event: String,
    rooms: Vec<Arc<RoomFeed>>,
    info: RoomInfo,
}

impl EventFeed {
    /// The server's registry: each room by its token digests, laid out as the origin lays it out.
    fn rooms(&self) -> Rooms {
        let organiser = self
            .info
            .organiser_sha256
            .as_deref()
            .and_then(unhex)
            .map(Token::from_digest);
        let rooms = self
            .rooms
            .iter()
            .map(|feed| {
                let info = feed.values().info.clone();
                let (name, token) = info
                    .map(|i| (i.name, unhex(&i.token_sha256).unwrap_or([0; 32])))
                    .unwrap_or_default();
                let remote: Arc<dyn Remote> = feed.clone();
                let token = Token::from_digest(token);
                // A new run of the event (new tokens) updates these in place: `RoomFeed::take`.
                feed.values().served = Some((token.clone(), organiser.clone()));
                (feed.room.clone(), name, remote, token)
            })
            .collect();
        Rooms::relayed(rooms, self.info.single, organiser)
    }
}

/// Where a publication stands: the lease epoch first, then the publisher's sequence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Order {
    epoch: u64,
    seq: u64,
}

impl Order {
    fn of(headers: Option<&HeaderMap>) -> Order {
        let number = |name: &str| {
            headers
                .and_then(|h| h.get(name))
                .and_then(|v| v.as_str().parse::<u64>().ok())
                .unwrap_or(0)
        };
        Order {
            epoch: number(subjects::HEADER_EPOCH),
            seq: number(subjects::HEADER_SEQ),
        }
    }
}

#[derive(Default)]
struct Values {
    info: Option<RoomInfo>,
    show: Option<String>,
    agenda: Option<String>,
    /// The segment's title and the phase of the last state, for the list of rooms.
    line: (String, String),
    /// The tokens the server checks for this room (its own, the organiser's), once it serves it.
    served: Option<(Token, Option<Token>)>,
    orders: HashMap<What, Order>,
}

/// One relayed room: its last values, and its state as a `watch` every socket follows.
struct RoomFeed {
    event: String,
    room: String,
    client: async_nats::Client,
    time: Arc<TimeBase>,
    state: watch::Sender<Utf8Bytes>,
    values: Mutex<Values>,
}

/// What a relay reads of a state to check it (the bytes themselves go out untouched).
#[derive(Deserialize)]
struct StateCheck {
    #[serde(rename = "type")]
    kind: String,
    server_time_ms: f64,
    phase: String,
    segment: SegmentCheck,
}

#[derive(Deserialize)]
struct SegmentCheck {
    title: String,
}

impl RoomFeed {
    fn values(&self) -> MutexGuard<'_, Values> {
        self.values
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn has_state(&self) -> bool {
        !self.state.borrow().is_empty()
    }

    /// Keeps `payload` as the room's `what` unless it is older than what is kept: `Ok(true)`
    /// when a description or a first state arrived; `Err` says why it was refused.
    fn take(&self, what: What, order: Order, payload: Bytes) -> Result<bool, String> {
        {
            let values = self.values();
            if values.orders.get(&what).is_some_and(|kept| order < *kept) {
                return Ok(false);
            }
        }
        let first = match what {
            What::State => {
                let check: StateCheck = serde_json::from_slice(&payload)
                    .map_err(|e| format!("not a state message: {e}"))?;
                if check.kind != "state" {
                    return Err(format!("a {:?} message, not a state", check.kind));
                }
                let text = Utf8Bytes::try_from(payload).map_err(|e| e.to_string())?;
                let first = !self.has_state();
                self.time.on_state(check.server_time_ms);
                self.values().line = (check.segment.title, check.phase);
                self.state.send_if_modified(|kept| {
                    if *kept == text {
                        return false;
                    }
                    *kept = text;
                    true
                });
                first
            }
            What::Show | What::Agenda => {
                let text = String::from_utf8(payload.to_vec()).map_err(|e| e.to_string())?;
                serde_json::from_str::<serde::de::IgnoredAny>(&text)
                    .map_err(|e| format!("not JSON: {e}"))?;
                let mut values = self.values();
                if what == What::Show {
                    values.show = Some(text);
                } else {
                    values.agenda = Some(text);
                }
                false
            }
            What::Room => {
                let info: RoomInfo = serde_json::from_slice(&payload)
                    .map_err(|e| format!("not a room description: {e}"))?;
                if info.event != self.event
                    || info.room != self.room
                    || unhex(&info.token_sha256).is_none()
                    || !info.rooms.iter().all(|r| subjects::is_id(r))
                {
                    return Err("a room description that does not match its subject".into());
                }
                let mut values = self.values();
                let first = values.info.is_none();
                if let Some((token, organiser)) = &values.served {
                    token.set_digest(unhex(&info.token_sha256).unwrap_or([0; 32]));
                    if let (Some(organiser), Some(digest)) =
                        (organiser, info.organiser_sha256.as_deref().and_then(unhex))
                    {
                        organiser.set_digest(digest);
                    }
                }
                values.info = Some(info);
                first
            }
        };
        self.values().orders.insert(what, order);
        Ok(first)
    }
}

impl Remote for RoomFeed {
    fn subscribe(&self) -> watch::Receiver<Utf8Bytes> {
        self.state.subscribe()
    }

    fn show_json(&self, public: bool) -> Option<String> {
        let values = self.values();
        if public {
            values.agenda.clone()
        } else {
            values.show.clone()
        }
    }

    fn now_unix_ms(&self) -> f64 {
        self.time.now_ms()
    }

    fn planned_start_ms(&self) -> Option<i64> {
        self.values().info.as_ref().and_then(|i| i.planned_start_ms)
    }

    fn now_line(&self) -> (String, String) {
        self.values().line.clone()
    }

    fn forward(&self, token: String, body: Vec<u8>) -> BoxFuture<'static, Forwarded> {
        let client = self.client.clone();
        let subject = subjects::cmd(&self.event);
        let request = CommandRequest {
            room: self.room.clone(),
            token,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        Box::pin(async move { forward(client, subject, request).await })
    }
}

/// A command over `podium.<event>.cmd`, answered as the origin answered, or `503`/`504` when
/// it could not be.
async fn forward(
    client: async_nats::Client,
    subject: String,
    request: CommandRequest,
) -> Forwarded {
    let unavailable = |status: u16, why: String| Forwarded {
        status,
        body: serde_json::json!({ "error": why }).to_string(),
    };
    let payload = match serde_json::to_vec(&request) {
        Ok(payload) => payload,
        Err(e) => return unavailable(500, e.to_string()),
    };
    let asked = tokio::time::timeout(REQUEST_TIMEOUT, client.request(subject, payload.into()));
    match asked.await {
        Ok(Ok(message)) if message.payload.len() <= MAX_MESSAGE => {
            match serde_json::from_slice::<CommandReply>(&message.payload) {
                Ok(reply) => Forwarded {
                    status: reply.status,
                    body: reply.body,
                },
                Err(e) => unavailable(502, format!("the moderator's machine answered: {e}")),
            }
        }
        Ok(Ok(_)) => unavailable(502, "the moderator's machine answered too much".into()),
        Ok(Err(e)) => unavailable(
            503,
            format!("the moderator's machine cannot be reached over NATS now ({e}); try again"),
        ),
        Err(_) => unavailable(
            504,
            format!("the moderator's machine did not answer within {REQUEST_TIMEOUT:?}"),
        ),
    }
}

/// The origin's time as seen from here: the relay's own monotonic clock plus the offset the
/// pages' estimator finds over `podium.<event>.time`.
#[derive(Default)]
struct TimeBase {
    local: LocalClock,
    sync: Mutex<ClockSync>,
}

impl TimeBase {
    fn sync(&self) -> MutexGuard<'_, ClockSync> {
        self.sync
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ms(&self) -> f64 {
        let local = self.local.now_ms();
        self.sync().server_now(local)
    }

    fn on_state(&self, server_time_ms: f64) {
        let local = self.local.now_ms();
        self.sync().on_state(server_time_ms, local);
    }
}

/// Pings the origin's time subject: a burst after each (re)connection, then once a second.
async fn sync_time(
    client: async_nats::Client,
    event: String,
    time: Arc<TimeBase>,
    links: watch::Sender<u64>,
    shutdown: CancellationToken,
) {
    let subject = subjects::time(&event);
    let mut links = links.subscribe();
    let mut id = 0u64;
    let mut burst = SYNC_BURST;
    time.sync().new_socket();
    loop {
        id += 1;
        let sent = time.local.now_ms();
        let ping = protocol::ping_json(id, sent);
        let asked = tokio::time::timeout(
            REQUEST_TIMEOUT,
            client.request(subject.clone(), ping.into()),
        );
        if let Ok(Ok(message)) = asked.await
            && message.payload.len() <= 1024
            && let Ok(ServerMsg::Pong {
                client_ms,
                server_ms,
            }) = serde_json::from_slice::<ServerMsg>(&message.payload)
            && client_ms == sent
        {
            let now = time.local.now_ms();
            time.sync().on_pong(client_ms, server_ms, now);
        }
        let wait = if burst > 0 {
            burst -= 1;
            SYNC_BURST_EVERY
        } else {
            SYNC_EVERY
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
            changed = links.changed() => {
                if changed.is_err() {
                    return;
                }
                // A new link may lead to a restarted origin: a fresh series of samples.
                time.sync().new_socket();
                burst = SYNC_BURST;
            }
        }
    }
}

/// Live messages of one wildcard subscription.
async fn receive(mut subscriber: async_nats::Subscriber, feeds: Feeds) {
    while let Some(message) = subscriber.next().await {
        feeds.accept(
            message.subject.as_str(),
            message.headers.as_ref(),
            message.payload,
        );
    }
}

/// After every (re)connection, the last value of every subject from the state stream.
async fn catch_up(client: async_nats::Client, feeds: Feeds, shutdown: CancellationToken) {
    let js = jetstream::new(client.clone());
    let mut connected = false;
    let mut every = tokio::time::interval(LINK_CHECK_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let now = client.connection_state() == async_nats::connection::State::Connected;
        if now && !connected {
            feeds.links.send_modify(|n| *n += 1);
            if let Err(e) = last_values(&js, &feeds).await {
                tracing::info!(
                    "no last values from JetStream yet ({e}); waiting for the origin's next \
                     publication"
                );
            }
        }
        connected = now;
    }
}

async fn last_values(js: &jetstream::Context, feeds: &Feeds) -> Result<(), String> {
    let stream = js
        .get_stream(subjects::STATE_STREAM)
        .await
        .map_err(|e| e.to_string())?;
    let filter = match &feeds.inner.only {
        Some(event) => format!("{}.{event}.>", subjects::PREFIX),
        None => format!("{}.>", subjects::PREFIX),
    };
    let mut listed = stream
        .info_with_subjects(filter)
        .await
        .map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    while let Some(entry) = listed.next().await {
        let (subject, _) = entry.map_err(|e| e.to_string())?;
        names.push(subject);
    }
    // Descriptions first, states last: a room is ready once both are in.
    names.sort_by_key(|s| {
        subjects::parse_room_value(s).map(|(_, _, w)| What::ALL.iter().position(|a| *a == w))
    });
    for subject in names {
        match stream.get_last_raw_message_by_subject(&subject).await {
            Ok(message) => feeds.accept(&subject, Some(&message.headers), message.payload),
            Err(e) => tracing::debug!("{subject}: {e}"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_not_printed() {
        assert_eq!(
            without_credentials("nats://relay:s3cret@nats.example.org:4222"),
            "nats://nats.example.org:4222"
        );
        assert_eq!(
            without_credentials("nats://10.0.0.5:4222"),
            "nats://10.0.0.5:4222"
        );
    }

    #[test]
    fn a_higher_epoch_wins_whatever_its_sequence() {
        let old = Order {
            epoch: 1,
            seq: 1_796_416_935_680_000_042,
        };
        let new = Order { epoch: 2, seq: 1 };
        assert!(new > old);
        assert!(Order { epoch: 1, seq: 7 } < Order { epoch: 1, seq: 8 });
    }
}
