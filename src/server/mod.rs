//! The HTTP and WebSocket server: pages, the state API, authenticated commands and the live stream,
//! over plain TCP or TLS, within the limits of [`Limits`]. It is a function of (listener, state,
//! config, shutdown): it binds nothing and handles no signals itself.
//!
//! **Invariant:** viewers are read-only on every path; `POST /api/command`, `GET /api/show`,
//! `GET /api/presence` and `command` messages over the socket act for the moderator, and all
//! require the token.
//!
//! **Who is asking is checked before what they send is read.** The token comes from the request's
//! headers, and `POST /api/command` reads its body only once the token has matched, and then only
//! [`MAX_BODY`] bytes within the handshake timeout (`408` past it); a refused request's body is
//! never read and its connection is closed. When viewers fill every slot, the accept loop
//! (`listen.rs`) still admits a few connections into a reserve served only to requests bearing the
//! token, so the moderator keeps control of a full house.

mod assets;
mod file;
mod listen;
pub mod origin;
mod overview;
pub mod presence;
pub mod rooms;
pub mod share;
pub mod source;
pub mod throttle;
mod tls;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{
    ConnectInfo, FromRequestParts, Path, Query, RawPathParams, Request, State, WebSocketUpgrade,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use sha2::Digest as _;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::set_header::SetResponseHeaderLayer;

pub use tls::{TlsError, acceptor as tls_acceptor};
pub use tokio_rustls::TlsAcceptor;

use crate::controller::Handle;
use crate::protocol;
use presence::Introduction;
use rooms::{Access, Room};
pub use rooms::{RoomEntry, RoomView, Rooms};
use source::{Outcome, Source};
use throttle::{Attempts, Verdict};

/// The shortest moderator token (see [`protocol::MIN_TOKEN_CHARS`]).
pub use crate::protocol::MIN_TOKEN_CHARS;

/// How often wrong tokens are summarised in the log (one line per source).
const FAILED_REPORT_EVERY: Duration = Duration::from_secs(60);

/// Largest accepted HTTP request body (a command is tens of bytes).
pub const MAX_BODY: usize = 16 * 1024;

/// What one client may cost the server. Every limit has a test that crosses it (tests/limits.rs).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections, viewers included; past it a new connection is answered `503` and closed.
    pub max_connections: usize,
    /// A connection must finish its TLS handshake and send a complete request head within this
    /// long (also the idle limit between keep-alive requests, and the time a command's body may
    /// take once its head has arrived).
    pub handshake_timeout: Duration,
    /// A viewer that cannot take a frame, or answer a ping (sent every half of this), within this
    /// long is dropped.
    pub send_timeout: Duration,
    /// Largest WebSocket message (and frame) a client may send, in bytes.
    pub max_message: usize,
    /// Control commands one WebSocket connection may send per second (also the burst).
    pub commands_per_second: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 10_000,
            handshake_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(10),
            max_message: 4096,
            commands_per_second: 5,
        }
    }
}

/// Everything the server needs besides the listener and the controller.
#[derive(Clone)]
pub struct Config {
    pub token: Token,
    pub limits: Limits,
    /// Allow the pages to be framed by any site (OBS browser docks, dashboards).
    pub allow_framing: bool,
    /// Serve HTTPS/WSS with this acceptor instead of plain HTTP/WS.
    pub tls: Option<TlsAcceptor>,
    /// Origins besides the server's own whose pages may open the WebSocket (`--allow-origin`,
    /// normalised `scheme://host[:port]`); their host names are accepted in `Host` too.
    pub allowed_origins: Vec<String>,
    /// Host names accepted in `Host` besides IP addresses, `localhost` and the allowed origins'
    /// hosts: e.g. the machine's own names.
    pub allowed_hosts: Vec<String>,
    /// The `host:port`s speakers reach the server at, for the control page's share panel (a
    /// wildcard bind's addresses, loopback last); empty: the `Host` each request came to.
    pub speaker_hosts: Vec<String>,
}

impl Config {
    /// Plain HTTP, default limits, no framing.
    pub fn new(token: Token) -> Config {
        Config {
            token,
            limits: Limits::default(),
            allow_framing: false,
            tls: None,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            speaker_hosts: Vec::new(),
        }
    }
}

/// The moderator's secret. Compared in constant time; never logged (`Debug` hides it). A relay
/// knows only its SHA-256 digest ([`Token::from_digest`]): it checks a presented token against
/// that, and the origin checks it again when the command arrives. A relay's digest is shared by
/// its clones and replaced when the origin's run changes ([`Token::set_digest`]).
#[derive(Clone)]
pub struct Token(Arc<str>, Option<Arc<std::sync::RwLock<[u8; 32]>>>);

impl Token {
    pub fn new(secret: impl Into<Arc<str>>) -> Token {
        Token(secret.into(), None)
    }

    /// A token known by its digest only (`podium relay`); [`Token::expose`] is empty.
    pub fn from_digest(digest: [u8; 32]) -> Token {
        Token(
            Arc::from(""),
            Some(Arc::new(std::sync::RwLock::new(digest))),
        )
    }

    /// SHA-256 of the secret: what the origin publishes for its relays.
    pub fn digest(&self) -> [u8; 32] {
        match &self.1 {
            // A poisoned lock still holds a digest: a panic elsewhere must not open the door.
            Some(cell) => *cell.read().unwrap_or_else(|p| p.into_inner()),
            None => sha2::Sha256::digest(self.0.as_bytes()).into(),
        }
    }

    /// Replaces the digest of a token known by its digest (this token and its clones); a token
    /// with its secret is left as it is.
    pub fn set_digest(&self, digest: [u8; 32]) {
        if let Some(cell) = &self.1 {
            *cell.write().unwrap_or_else(|p| p.into_inner()) = digest;
        }
    }

    /// 128 bits from the operating system's random source, as 32 hex digits.
    pub fn generate() -> Result<Token, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Token(
            bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into(),
            None,
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn matches(&self, presented: &str) -> bool {
        match &self.1 {
            None => self.0.as_bytes().ct_eq(presented.as_bytes()).into(),
            Some(_) => {
                let presented: [u8; 32] = sha2::Sha256::digest(presented.as_bytes()).into();
                self.digest().ct_eq(&presented).into()
            }
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

#[derive(Clone)]
pub(crate) struct App {
    /// The event's rooms (one, at `/`, for a plain session).
    rooms: Rooms,
    limits: Arc<Limits>,
    shutdown: CancellationToken,
    /// Viewer loops, so that shutdown waits for their goodbyes.
    viewers: TaskTracker,
    /// Wrong tokens per source address: the throttle, and what the moderator is told.
    attempts: Attempts,
    /// Which `Host` and `Origin` headers are let in.
    policy: Arc<origin::Policy>,
    /// Where speakers reach the server (the share panel's links).
    share: Arc<share::Hosts>,
}

/// Serves with default limits over plain HTTP until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    control: Handle,
    token: Token,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_with(listener, control, Config::new(token), shutdown).await
}

/// Serves one session at `/` until `shutdown` is cancelled; open sockets are told and closed, and
/// it returns once every connection has ended.
pub async fn serve_with(
    listener: TcpListener,
    control: Handle,
    config: Config,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let rooms = Rooms::single(control, config.token.clone());
    serve_rooms(listener, rooms, config, shutdown).await
}

/// Serves an event's rooms: a single session at `/`, several under `/r/{room}/` with the list of
/// rooms at `/`. Each room's token is in `rooms`; `config.token` is not used.
pub async fn serve_rooms(
    listener: TcpListener,
    rooms: Rooms,
    config: Config,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let tracker = TaskTracker::new();
    let accept = listen::Accept {
        max_connections: config.limits.max_connections,
        handshake_timeout: config.limits.handshake_timeout,
        tls: config.tls.clone(),
    };
    let app = App {
        rooms,
        limits: Arc::new(config.limits),
        shutdown: shutdown.clone(),
        viewers: tracker.clone(),
        attempts: Attempts::default(),
        policy: Arc::new(origin::Policy::new(
            &config.allowed_origins,
            &config.allowed_hosts,
            config.tls.is_some(),
        )),
        share: Arc::new(share::Hosts {
            hosts: config.speaker_hosts.clone(),
            https: config.tls.is_some(),
        }),
    };
    tracker.spawn(throttle::report_every(
        app.attempts.clone(),
        FAILED_REPORT_EVERY,
        shutdown.clone(),
    ));
    let routes = router(app.clone(), config.allow_framing);
    // Past the connection limit: only requests bearing the token.
    let reserved = routes
        .clone()
        .layer(middleware::from_fn_with_state(app, moderator_only));
    listen::accept_loop(
        listener,
        routes,
        reserved,
        accept,
        tracker.clone(),
        shutdown,
    )
    .await;
    tracker.close();
    tracker.wait().await;
    Ok(())
}

fn router(app: App, allow_framing: bool) -> Router {
    let header = |name, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    // A room's views: at `/` for a single session, under `/r/{room}/` for several rooms.
    let prefix = if app.rooms.is_single() {
        ""
    } else {
        "/r/{room}"
    };
    let mut router = Router::new()
        .route(&format!("{prefix}/"), get(speaker_page))
        .route(&format!("{prefix}/control"), get(control_page))
        .route(&format!("{prefix}/agenda"), get(agenda_page))
        .route(&format!("{prefix}/api/agenda"), get(agenda))
        .route(&format!("{prefix}/api/state"), get(state))
        .route(&format!("{prefix}/api/show"), get(show))
        .route(&format!("{prefix}/api/command"), post(command))
        .route(&format!("{prefix}/api/file"), get(file::info))
        .route(&format!("{prefix}/api/file/save"), post(file::save))
        .route(&format!("{prefix}/api/file/apply"), post(file::apply))
        .route(&format!("{prefix}/api/file/dismiss"), post(file::dismiss))
        .route(&format!("{prefix}/api/presence"), get(presence_list))
        .route(&format!("{prefix}/api/share"), get(share::share))
        .route(&format!("{prefix}/api/share/qr.svg"), get(share::qr))
        .route(&format!("{prefix}/ws"), get(socket))
        .route("/assets/{name}", get(asset));
    if !app.rooms.is_single() {
        router = router
            .route("/", get(rooms_page))
            // The pages build their URLs next to themselves: a room's home ends in `/`.
            .route("/r/{room}", get(room_home));
    }
    // The organiser's overview of every room (overview.rs).
    if let Some(overview) = overview::Overview::of(&app) {
        router = router.merge(overview::routes(overview));
    }
    let router = router
        .layer(middleware::from_fn_with_state(app.clone(), known_host))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::CACHE_CONTROL, "no-store"));
    if allow_framing {
        // OBS browser sources and dashboards embed the speaker view: let any site frame it.
        router
            .layer(header(header::CONTENT_SECURITY_POLICY, CSP_FRAMEABLE))
            .with_state(app)
    } else {
        router
            .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
            .layer(header(header::X_FRAME_OPTIONS, "DENY"))
            .with_state(app)
    }
}

const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
                   style-src 'self'; script-src 'self'; frame-ancestors 'none'";
const CSP_FRAMEABLE: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
                             style-src 'self'; script-src 'self'; frame-ancestors *";

/// The room a request is for: from `/r/{room}/…`, or the one room of a single session. An
/// unknown room is answered `404` with the list of rooms (JSON under `api/` and for `ws`).
pub(crate) struct InRoom(Arc<Room>);

impl FromRequestParts<App> for InRoom {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<InRoom, Response> {
        if let Some(room) = app.rooms.only() {
            return Ok(InRoom(room));
        }
        let params = RawPathParams::from_request_parts(parts, app).await.ok();
        let id = params
            .as_ref()
            .and_then(|p| p.iter().find(|(k, _)| *k == "room").map(|(_, v)| v));
        let id = id.unwrap_or_default();
        app.rooms
            .get(id)
            .map(InRoom)
            .ok_or_else(|| app.rooms.not_found(id, parts.uri.path()))
    }
}

/// `/` of an event: the rooms, with what is on now.
async fn rooms_page(State(app): State<App>) -> Response {
    app.rooms.list_page().into_response()
}

/// `/r/{room}` → `/r/{room}/`, so that the page's relative URLs land in the room.
async fn room_home(InRoom(room): InRoom, raw: axum::extract::RawQuery) -> Response {
    let query = raw.0.map(|q| format!("?{q}")).unwrap_or_default();
    axum::response::Redirect::permanent(&format!("/r/{}/{query}", room.id)).into_response()
}

async fn control_page(InRoom(_): InRoom) -> Html<&'static str> {
    Html(assets::CONTROL_HTML)
}

async fn agenda_page(InRoom(_): InRoom) -> Html<&'static str> {
    Html(assets::AGENDA_HTML)
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::asset(&name) {
        Some((kind, body)) => ([(header::CONTENT_TYPE, kind)], body).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such asset"),
    }
}

async fn state(InRoom(room): InRoom) -> Response {
    match room.control.fresh().await {
        Ok(json) => json_text(json.as_str().to_owned()),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn show(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorize(&app, &room, peer, &headers) {
        return *refusal;
    }
    show_text(&room, false).await
}

/// `GET /api/show` (`public` false) or `/api/agenda` (true); on a relay, the origin's last one.
async fn show_text(room: &Room, public: bool) -> Response {
    match room.control.show_json(public).await {
        Ok(Some(text)) => json_text(text),
        Ok(None) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the run-of-show has not arrived from the moderator's machine yet",
        ),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// The speaker page. `?view=overlay` is marked on `<body>` in the HTML itself, so that an overlay
/// is transparent from its first frame, before any script has run.
async fn speaker_page(
    InRoom(_): InRoom,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Html<&'static str> {
    let overlay = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|pair| pair == "view=overlay"));
    Html(if overlay {
        assets::overlay_html()
    } else {
        assets::SPEAKER_HTML
    })
}

/// The run-of-show without notes, for the agenda view: public, like the state.
async fn agenda(InRoom(room): InRoom) -> Response {
    show_text(&room, true).await
}

/// Applies one command. The body is a plain `Body`, not an extractor that reads it: it is read
/// only once the token in the headers has matched, and then under a size bound and a deadline.
async fn command(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(refusal) = authorize(&app, &room, peer, &headers) {
        return *refusal;
    }
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a command body is at most {MAX_BODY} bytes"),
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let deadline = app.limits.handshake_timeout;
    let body = match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(body)) => body,
        // A chunked body over the bound, or a connection cut mid-body.
        Ok(Err(_)) => return too_large(),
        Err(_) => {
            let mut response = error(
                StatusCode::REQUEST_TIMEOUT,
                &format!("the body did not arrive within {deadline:?}"),
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let cmd = match protocol::parse_command(&body) {
        Ok(cmd) => cmd,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let token = bearer(&headers).unwrap_or_default();
    match room.control.command(cmd, token, body.to_vec()).await {
        Outcome::Applied(published) => json_text(published.json.as_str().to_owned()),
        Outcome::Refused(refused) => error(StatusCode::CONFLICT, &refused),
        Outcome::Stopped(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
        Outcome::Forwarded(answer) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            (status, json_text(answer.body)).into_response()
        }
    }
}

async fn socket(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    intro: Result<Query<Introduction>, QueryRejection>,
    abandon: Option<Extension<listen::Abandon>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("?");
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if !app.policy.origin_allowed(origin, host) {
            return error(
                StatusCode::FORBIDDEN,
                &format!(
                    "pages from {} may not read this show; to let them (OBS, a relay, another \
                     page of yours), start podium with --allow-origin {}",
                    origin, origin
                ),
            );
        }
    }
    // A malformed introduction costs the screen its name, not its countdown.
    let intro = intro.map(|Query(i)| i).unwrap_or_default();
    let presence = room.presence.clone();
    let limits = app.limits.clone();
    let viewer = ws::Viewer {
        control: room.control.clone(),
        token: room.token.clone(),
        organiser: app.rooms.organiser().cloned(),
        rooms: (!app.rooms.is_single()).then(|| (app.rooms.clone(), room.id.clone())),
        limits: app.limits,
        shutdown: app.shutdown,
        attempts: app.attempts,
        peer,
        abandon: abandon.map(|Extension(a)| a),
    };
    let tracker = app.viewers;
    upgrade
        // tungstenite reserves 128 KiB per direction by default; a viewer sends pings of ~60
        // bytes and receives states of ~1 KiB, so small buffers keep ten thousand viewers cheap.
        .read_buffer_size(ws::READ_BUFFER)
        .write_buffer_size(0)
        // Bounded queue: a viewer whose unsent bytes pile up past this is dropped.
        .max_write_buffer_size(ws::MAX_UNSENT)
        .max_message_size(limits.max_message)
        .max_frame_size(limits.max_message)
        .on_upgrade(move |socket| async move {
            let _alive = tracker.token();
            let now_ms = viewer.control.now_unix_ms().round() as i64;
            let seat = presence.join(intro, now_ms);
            ws::serve_socket(socket, viewer, seat).await;
        })
}

/// Refuses a request whose `Host` names neither an address nor a name this server answers to:
/// what a DNS-rebinding page sends (`origin.rs`).
async fn known_host(State(app): State<App>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or(""));
    match host {
        Some(host) if !app.policy.host_allowed(host) => error(
            StatusCode::FORBIDDEN,
            &format!(
                "this server does not answer to the name {:?}; if it is yours (a reverse proxy, a \
                 LAN name), start podium with --allow-origin http://NAME:PORT (https:// behind TLS)",
                host
            ),
        ),
        _ => next.run(request).await,
    }
}

/// The gate of the reserved connections (`listen.rs`): a request bearing the moderator's token
/// goes on; any other gets the `503` of a full server (or `401` for a wrong token).
async fn moderator_only(State(app): State<App>, request: Request, next: Next) -> Response {
    if !request.headers().contains_key(header::AUTHORIZATION) {
        return listen::busy();
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    let Some(peer) = peer else {
        return listen::busy();
    };
    let valid = match bearer(request.headers()) {
        Some(p) => app.rooms.any_token(p),
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "the moderator token is required: send Authorization: Bearer TOKEN",
            );
        }
    };
    if valid {
        return next.run(request).await;
    }
    match app.rooms.first() {
        Some(control) => *refused(&app, control, peer),
        None => listen::busy(),
    }
}

/// The moderator's list of connected screens, and the sources of wrong tokens.
async fn presence_list(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorize(&app, &room, peer, &headers) {
        return *refusal;
    }
    Json(serde_json::json!({
        "screens": room.presence.list(),
        "failed_attempts": app.attempts.list(tokio::time::Instant::now()),
        "journal": room.control.journal_health(),
    }))
    .into_response()
}

/// A command a relay forwarded (`podium.<event>.cmd`): the same checks and the same answers as
/// `POST /api/command` — the room, the token, the body's bound and form, the engine's verdict —
/// but no throttle here: the relay throttles wrong tokens per address of the client it serves.
pub async fn forwarded_command(
    rooms: &Rooms,
    room: &str,
    token: &str,
    body: &[u8],
) -> source::Forwarded {
    let answer = |status: StatusCode, body: String| source::Forwarded {
        status: status.as_u16(),
        body,
    };
    let refusal = |status: StatusCode, why: &str| {
        answer(status, serde_json::json!({ "error": why }).to_string())
    };
    let Some(room) = rooms.get(room).or_else(|| rooms.only()) else {
        return refusal(
            StatusCode::NOT_FOUND,
            &format!("there is no room {room:?} in this event"),
        );
    };
    match rooms.access(&room, token) {
        Access::Moderator | Access::Organiser => {}
        Access::OtherRoom(other) => {
            return refusal(StatusCode::FORBIDDEN, &other_room(&other, &room.id));
        }
        Access::Wrong => return refusal(StatusCode::UNAUTHORIZED, "wrong moderator token"),
    }
    if body.len() > MAX_BODY {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a command body is at most {MAX_BODY} bytes"),
        );
    }
    let cmd = match protocol::parse_command(body) {
        Ok(cmd) => cmd,
        Err(why) => return refusal(StatusCode::BAD_REQUEST, &why),
    };
    let Some(control) = room.control.local() else {
        return refusal(StatusCode::BAD_GATEWAY, "this room is not controlled here");
    };
    match control.command(cmd).await {
        Ok(Ok(published)) => answer(StatusCode::OK, published.json.as_str().to_owned()),
        Ok(Err(refused)) => refusal(StatusCode::CONFLICT, &refused.0),
        Err(e) => refusal(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// Why another room's token is refused here.
fn other_room(other: &str, here: &str) -> String {
    format!(
        "this is the moderator token of room {other:?}, not of room {here:?}: it controls that \
         room only; use this room's own control link, or the organiser's token"
    )
}

/// The token in `Authorization: Bearer TOKEN`, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Checks `Authorization: Bearer TOKEN` for `room`: its moderator's token or the organiser's. A
/// wrong token counts against its source address (`throttle.rs`): past the burst it is answered
/// `429` with `Retry-After`, and the connection is closed. The right token is never throttled; the
/// token of another room is `403`, with the reason.
fn authorize(
    app: &App,
    room: &Room,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<(), Box<Response>> {
    match bearer(headers) {
        Some(p) => match app.rooms.access(room, p) {
            Access::Moderator | Access::Organiser => Ok(()),
            Access::OtherRoom(other) => Err(Box::new(error(
                StatusCode::FORBIDDEN,
                &other_room(&other, &room.id),
            ))),
            Access::Wrong => Err(refused(app, &room.control, peer)),
        },
        None => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "the moderator token is required: send Authorization: Bearer TOKEN",
        ))),
    }
}

/// The answer to a wrong token: `401`, or `429` past the burst of its source.
fn refused(app: &App, control: &Source, peer: SocketAddr) -> Box<Response> {
    match wrong_token(control, &app.attempts, peer) {
        Verdict::Wrong => Box::new(error(StatusCode::UNAUTHORIZED, "wrong moderator token")),
        Verdict::Throttled { retry_after } => {
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("too many wrong tokens from your address: try again in {seconds} s"),
            );
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            Box::new(response)
        }
    }
}

/// Records a wrong token from `peer`, logging a source's first at once (later ones are summarised
/// every minute).
fn wrong_token(control: &Source, attempts: &Attempts, peer: SocketAddr) -> Verdict {
    let (verdict, first) = attempts.fail(
        peer.ip(),
        tokio::time::Instant::now(),
        control.now_unix_ms().round() as i64,
    );
    if first {
        tracing::warn!(
            "wrong moderator token from {}; more from there are summarised every minute",
            throttle::Source::of(peer.ip())
        );
    }
    verdict
}

fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

pub(crate) fn error(status: StatusCode, why: &str) -> Response {
    (status, Json(serde_json::json!({ "error": why }))).into_response()
}
