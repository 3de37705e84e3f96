//! The HTTP and WebSocket server: pages, the state API, authenticated commands and the live stream.
//! It is a function of (listener, state, shutdown): it binds nothing and handles no signals itself.
//!
//! **Invariant:** viewers are read-only on every path; only `POST /api/command` and `GET /api/show`
//! act for the moderator, and both require the bearer token.

mod assets;
mod ws;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::controller::Handle;
use crate::protocol;

/// Largest accepted HTTP request body (a command is tens of bytes).
pub const MAX_BODY: usize = 16 * 1024;

/// The moderator's secret. Compared in constant time; never logged (`Debug` hides it).
#[derive(Clone)]
pub struct Token(Arc<str>);

impl Token {
    pub fn new(secret: impl Into<Arc<str>>) -> Token {
        Token(secret.into())
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
        ))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

#[derive(Clone)]
struct App {
    control: Handle,
    token: Token,
    shutdown: CancellationToken,
}

/// Serves until `shutdown` is cancelled; open sockets are told and closed.
pub async fn serve(
    listener: TcpListener,
    control: Handle,
    token: Token,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(App {
        control,
        token,
        shutdown: shutdown.clone(),
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

fn router(app: App) -> Router {
    let header = |name, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(speaker_page))
        .route("/control", get(|| async { Html(assets::CONTROL_HTML) }))
        .route("/agenda", get(|| async { Html(assets::AGENDA_HTML) }))
        .route("/api/agenda", get(agenda))
        .route("/assets/{name}", get(asset))
        .route("/api/state", get(state))
        .route("/api/show", get(show))
        .route("/api/command", post(command))
        .route("/ws", get(socket))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
             style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        .with_state(app)
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::asset(&name) {
        Some((kind, body)) => ([(header::CONTENT_TYPE, kind)], body).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such asset"),
    }
}

async fn state(State(app): State<App>) -> Response {
    match app.control.fresh().await {
        Ok(published) => json_text(published.json.as_str().to_owned()),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn show(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(refusal) = authorize(&app.token, &headers) {
        return *refusal;
    }
    match app.control.show_info().await {
        Ok(info) => Json(info).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// The speaker page. `?view=overlay` is marked on `<body>` in the HTML itself, so that an overlay
/// is transparent from its first frame, before any script has run.
async fn speaker_page(
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
async fn agenda(State(app): State<App>) -> Response {
    match app.control.show_info().await {
        Ok(info) => Json(protocol::Agenda::from(info)).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn command(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refusal) = authorize(&app.token, &headers) {
        return *refusal;
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return error(rejection.status(), &rejection.body_text()),
    };
    let cmd = match protocol::parse_command(&body) {
        Ok(cmd) => cmd,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    match app.control.command(cmd).await {
        Ok(Ok(published)) => json_text(published.json.as_str().to_owned()),
        Ok(Err(refused)) => error(StatusCode::CONFLICT, &refused.0),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn socket(State(app): State<App>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(ws::MAX_CLIENT_MESSAGE)
        .max_frame_size(ws::MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| ws::serve_socket(socket, app.control, app.shutdown))
}

/// Checks `Authorization: Bearer TOKEN`.
fn authorize(token: &Token, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(p) if token.matches(p) => Ok(()),
        Some(_) => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "wrong moderator token",
        ))),
        None => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "the moderator token is required: send Authorization: Bearer TOKEN",
        ))),
    }
}

fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error(status: StatusCode, why: &str) -> Response {
    (status, Json(serde_json::json!({ "error": why }))).into_response()
}
