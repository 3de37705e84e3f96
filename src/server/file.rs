//! The room's session file over HTTP, for the moderator (token required): what the file holds
//! (`GET api/file`: an offer of the file's changes, a problem), "Save to file" (`POST
//! api/file/save`), and the answer to an offer (`POST api/file/apply`, `POST api/file/dismiss`).
//! A relay, or an event's inline room, has no file of its own: `404` with the reason.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{App, InRoom, authorize, error, json_text};
use crate::session_file::{self, Link};

/// The largest body `apply` reads: `{"hash":"…"}`.
const MAX_APPLY_BODY: usize = 1024;

/// The room's controller and file, if it has a file of its own.
fn file_of(room: &super::rooms::Room) -> Option<(&crate::controller::Handle, &Link)> {
    let handle = room.control.local()?;
    Some((handle, handle.file()?))
}

/// The answer for a room without a file of its own.
fn no_file() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "this room has no session file of its own here (a relay, or a room written inside an \
         event file): edits stay in the run and its journal",
    )
}

/// Checks the token, then finds the file.
macro_rules! guarded {
    ($app:expr, $room:expr, $peer:expr, $headers:expr) => {{
        if let Err(refusal) = authorize(&$app, &$room, $peer, &$headers) {
            return *refusal;
        }
        match file_of(&$room) {
            Some(found) => found,
            None => return no_file(),
        }
    }};
}

/// `GET api/file`.
pub(crate) async fn info(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (_, link) = guarded!(app, room, peer, headers);
    Json(link.view()).into_response()
}

/// `POST api/file/save`: the edited run-of-show into the file, unless it changed on disk.
pub(crate) async fn save(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (handle, link) = guarded!(app, room, peer, headers);
    let published = handle.subscribe().borrow().clone();
    match link.save(&published.show, &published.segment_ids) {
        Ok(()) => Json(link.view()).into_response(),
        Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
    }
}

/// `POST api/file/apply` (body `{"hash":"…"}`, the offer's, or empty): the file's changes to the
/// segments not yet started, as one journaled edit; answers the new state.
pub(crate) async fn apply(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (handle, link) = guarded!(app, room, peer, headers);
    let Ok(body) = axum::body::to_bytes(body, MAX_APPLY_BODY).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "send at most {\"hash\":\"…\"}",
        );
    };
    let seen: Option<String> = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => v.get("hash").and_then(|h| h.as_str()).map(str::to_owned),
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("bad body ({e}): send {{\"hash\":\"…\"}}"),
                );
            }
        }
    };
    let Some(offer) = link.offer() else {
        return error(
            StatusCode::CONFLICT,
            "there are no changes from the file to apply",
        );
    };
    if seen.is_some_and(|h| h != offer.hash) {
        return error(
            StatusCode::CONFLICT,
            "the file changed again since: look at the changes offered now",
        );
    }
    match session_file::apply_offer(handle, link).await {
        Ok(published) => json_text(published.json.as_str().to_owned()),
        Err(why) => error(StatusCode::CONFLICT, &why),
    }
}

/// `POST api/file/dismiss`: the offer (or the problem) is put away; the show goes on unchanged.
pub(crate) async fn dismiss(
    State(app): State<App>,
    InRoom(room): InRoom,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (_, link) = guarded!(app, room, peer, headers);
    link.dismiss();
    Json(link.view()).into_response()
}
