//! One viewer's WebSocket: the latest state out (on connect, on change, on heartbeat), clock-sync
//! pings in. A dead, slow or misbehaving client ends only its own loop.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures_util::{SinkExt, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::clock::unix_now_ms;
use crate::controller::Handle;
use crate::protocol::{self, ClientMsg};

/// A client that cannot take a frame within this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest message a viewer may send (pings are ~60 bytes).
pub const MAX_CLIENT_MESSAGE: usize = 4096;

pub async fn serve_socket(socket: WebSocket, control: Handle, shutdown: CancellationToken) {
    let (mut tx, mut rx) = socket.split();
    let mut states = control.subscribe();
    let first = states.borrow_and_update().json.clone();
    if send(&mut tx, Message::Text(first)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                say_goodbye(&mut tx).await;
                break;
            }
            changed = states.changed() => {
                if changed.is_err() {
                    // The controller is gone: the session is ending.
                    say_goodbye(&mut tx).await;
                    break;
                }
                let json = states.borrow_and_update().json.clone();
                if send(&mut tx, Message::Text(json)).await.is_err() {
                    break;
                }
            }
            incoming = rx.next() => {
                let reply = match incoming {
                    Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientMsg>(&text) {
                        Ok(ClientMsg::Ping { id, client_ms }) => {
                            protocol::pong_json(id, client_ms, unix_now_ms())
                        }
                        Err(e) => protocol::error_json(&format!(
                            "unusable message ({e}); viewers may only send {{\"type\":\"ping\",\"id\":1,\"client_ms\":0}}"
                        )),
                    },
                    Some(Ok(Message::Binary(_))) => protocol::error_json("binary frames are not supported"),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                if send(&mut tx, Message::Text(reply)).await.is_err() {
                    break;
                }
            }
        }
    }
}

async fn say_goodbye<S>(tx: &mut S)
where
    S: SinkExt<Message> + Unpin,
{
    let _ = send(
        tx,
        Message::Text(protocol::bye_json("server shutting down")),
    )
    .await;
    let close = CloseFrame {
        code: close_code::AWAY,
        reason: "server shutting down".into(),
    };
    let _ = send(tx, Message::Close(Some(close))).await;
}

async fn send<S>(tx: &mut S, msg: Message) -> Result<(), ()>
where
    S: SinkExt<Message> + Unpin,
{
    match tokio::time::timeout(SEND_TIMEOUT, tx.send(msg)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}
