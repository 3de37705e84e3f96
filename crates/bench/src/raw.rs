//! The baseline: a minimal tokio-tungstenite server that writes one pre-serialized frame to every
//! socket, with nothing else (no HTTP routing, no controller, no heartbeats). It prints
//! `raw: ws://ADDR/` and broadcasts each line it reads on stdin; it exits when stdin closes.

use anyhow::Context;
use futures_util::SinkExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// A frame the size and shape of podium's state message, with the given `seq`.
pub fn frame(seq: u64) -> String {
    serde_json::json!({
        "type": "state", "seq": seq, "server_time_ms": 1_732_435_200_123_i64,
        "title": "International Migration Law — Session Four", "phase": "ready",
        "index": 1, "segments": 6,
        "segment": {"title": "ILO standards", "speaker": "Katerine Landuyt, ACTRAV, ILO",
                    "kind": "talk", "duration_ms": 1_200_000, "max_ms": null, "warn_ms": 120_000},
        "remaining_ms": 95_000, "ends_at_ms": null, "speed": 1.0,
        "next": {"title": "Trade Unions and the Protection of Migrant Workers",
                 "speaker": "Ambet Yuson, BWI"},
        "message": "", "schedule_offset_ms": 42_000, "show_started_at_ms": null,
        "projected_end_ms": null,
    })
    .to_string()
}

pub async fn serve() -> anyhow::Result<()> {
    // The same accept queue as podium's, so that the storms compare.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(([127, 0, 0, 1], 0).into())?;
    let listener = socket.listen(4096)?;
    println!("raw: ws://{}/", listener.local_addr()?);
    let (tx, rx) = watch::channel(Utf8Bytes::from(frame(1)));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let mut rx = rx.clone();
            tokio::spawn(async move {
                let _ = stream.set_nodelay(true);
                let config = WebSocketConfig::default()
                    .read_buffer_size(2048)
                    .write_buffer_size(0);
                let Ok(mut ws) =
                    tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
                else {
                    return;
                };
                let mut frame = rx.borrow_and_update().clone();
                loop {
                    if ws.send(Message::Text(frame)).await.is_err() {
                        return;
                    }
                    if rx.changed().await.is_err() {
                        return;
                    }
                    frame = rx.borrow_and_update().clone();
                }
            });
        }
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.context("reading stdin")? {
        tx.send_replace(Utf8Bytes::from(line));
    }
    Ok(())
}
