//! Test support for events: several rooms served by one in-process server on 127.0.0.1:0, each
//! with its own controller and moderator token, and the organiser's token.

use std::sync::Arc;

use podium::clock::Clock;
use podium::server::{self, RoomEntry, Rooms, Token};
use podium::{controller, show};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::Client;

pub const ORGANISER: &str = "test-organiser-token";

/// The moderator token of room `id` in a [`TestEvent`].
pub fn room_token(id: &str) -> String {
    format!("test-moderator-token-of-{id}")
}

/// An event of rooms (ids given), each running the same show; shut down on drop.
pub struct TestEvent {
    pub addr: std::net::SocketAddr,
    shutdown: CancellationToken,
    http: reqwest::Client,
}

impl TestEvent {
    pub async fn start(ids: &[&str], show: Arc<show::Show>, speed: f64) -> TestEvent {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("bound");
        let shutdown = CancellationToken::new();
        let entries = ids
            .iter()
            .map(|id| {
                let (control, _task) =
                    controller::spawn(show.clone(), Clock::new(speed), shutdown.clone());
                RoomEntry {
                    id: (*id).to_owned(),
                    name: format!("Room {id}"),
                    control,
                    token: Token::new(room_token(id)),
                }
            })
            .collect();
        let rooms = Rooms::event(entries, Token::new(ORGANISER));
        tokio::spawn(server::serve_rooms(
            listener,
            rooms,
            server::Config::new(Token::new("unused-in-an-event")),
            shutdown.clone(),
        ));
        TestEvent {
            addr,
            shutdown,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A viewer of room `id`.
    pub async fn ws(&self, id: &str) -> Client {
        Client::connect(&format!("ws://{}/r/{id}/ws", self.addr)).await
    }

    /// POSTs a command to room `id` with `token`; returns status and JSON.
    pub async fn command_as(&self, id: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let mut req = self
            .http
            .post(self.url(&format!("/r/{id}/api/command")))
            .body(body.to_owned());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    /// GETs `path`; returns status, content type and body text.
    pub async fn get_text(&self, path: &str) -> (u16, String, String) {
        let resp = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, kind, resp.text().await.expect("a body"))
    }
}

impl Drop for TestEvent {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
