//! Where a served room's state comes from: this process's controller ([`Source::Local`], `podium
//! run`), or a moderator's process elsewhere whose published bytes arrive over NATS
//! ([`Source::Relayed`], `podium relay`). Every route and socket loop reads a room through this
//! one seam, so a relay serves the same pages, limits and checks as the origin without a second
//! server.
//!
//! **Invariant:** a relayed state is the origin's bytes, never re-serialized; a relayed command is
//! applied (or refused) by the origin, and its answer is passed on as the origin gave it.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use futures_util::future::BoxFuture;
use tokio::sync::watch;

use crate::controller::{Handle, Published, Stopped};
use crate::engine::Command;
use crate::protocol::{self, JournalHealth};

/// A room served from elsewhere: what `podium relay` fills from NATS (`nats::relay`).
pub trait Remote: Send + Sync {
    /// The origin's published states, latest wins (the same bytes as its own viewers get).
    fn subscribe(&self) -> watch::Receiver<Utf8Bytes>;
    /// The last `GET /api/show` (`public` false) or `GET /api/agenda` (true) text the origin
    /// published, if one has arrived.
    fn show_json(&self, public: bool) -> Option<String>;
    /// Now in the origin's time base (Unix ms), as estimated from here.
    fn now_unix_ms(&self) -> f64;
    /// The room's planned start (Unix ms), for the overview.
    fn planned_start_ms(&self) -> Option<i64>;
    /// The current segment's title and the phase, for an event's list of rooms.
    fn now_line(&self) -> (String, String);
    /// Sends a command with the token that authorised it to the origin: its HTTP status and body.
    fn forward(&self, token: String, body: Vec<u8>) -> BoxFuture<'static, Forwarded>;
}

/// The origin's answer to a forwarded command: what `POST /api/command` would have answered.
#[derive(Debug, Clone)]
pub struct Forwarded {
    pub status: u16,
    /// JSON: the new state, or `{"error": …}`.
    pub body: String,
}

/// A room's source of state.
#[derive(Clone)]
pub enum Source {
    /// This process's controller.
    Local(Handle),
    /// A moderator's process elsewhere, over NATS.
    Relayed(Arc<dyn Remote>),
}

/// A room's published states as a socket follows them: the latest wins.
pub enum States {
    Local(watch::Receiver<Arc<Published>>),
    Relayed(watch::Receiver<Utf8Bytes>),
}

impl States {
    /// Waits for a new state (cancel-safe); an error when its source has gone.
    pub async fn changed(&mut self) -> Result<(), watch::error::RecvError> {
        match self {
            States::Local(rx) => rx.changed().await,
            States::Relayed(rx) => rx.changed().await,
        }
    }

    /// The latest state's bytes, marked seen.
    pub fn latest(&mut self) -> Utf8Bytes {
        match self {
            States::Local(rx) => rx.borrow_and_update().json.clone(),
            States::Relayed(rx) => rx.borrow_and_update().clone(),
        }
    }

    /// The latest state's bytes, not marked seen.
    pub fn current(&self) -> Utf8Bytes {
        match self {
            States::Local(rx) => rx.borrow().json.clone(),
            States::Relayed(rx) => rx.borrow().clone(),
        }
    }
}

/// What a command came to.
pub enum Outcome {
    /// Applied here: the state it caused.
    Applied(Arc<Published>),
    /// Refused by the engine here.
    Refused(String),
    /// The controller here has stopped.
    Stopped(Stopped),
    /// Answered by the origin.
    Forwarded(Forwarded),
}

impl Source {
    /// Published states: the latest one wins.
    pub fn subscribe(&self) -> States {
        match self {
            Source::Local(handle) => States::Local(handle.subscribe()),
            Source::Relayed(remote) => States::Relayed(remote.subscribe()),
        }
    }

    /// The state now: a fresh one from a local controller, the last one a relay received.
    pub async fn fresh(&self) -> Result<Utf8Bytes, Stopped> {
        match self {
            Source::Local(handle) => Ok(handle.fresh().await?.json.clone()),
            Source::Relayed(remote) => Ok(remote.subscribe().borrow().clone()),
        }
    }

    /// `GET /api/show` (`public` false) or `GET /api/agenda` (true), as JSON text; `None` while a
    /// relay has not received it yet.
    pub async fn show_json(&self, public: bool) -> Result<Option<String>, Stopped> {
        match self {
            Source::Local(handle) => {
                let info = handle.show_info().await?;
                let text = if public {
                    serde_json::to_string(&protocol::Agenda::from(info))
                } else {
                    serde_json::to_string(&info)
                };
                // Serializing plain data to a string cannot fail.
                Ok(text.ok())
            }
            Source::Relayed(remote) => Ok(remote.show_json(public)),
        }
    }

    /// Applies `cmd` here, or forwards it to the origin with `token` (already checked here; the
    /// origin checks it again). `body` is the command's wire form as the client sent it.
    pub async fn command(&self, cmd: Command, token: &str, body: Vec<u8>) -> Outcome {
        match self {
            Source::Local(handle) => match handle.command(cmd).await {
                Ok(Ok(published)) => Outcome::Applied(published),
                Ok(Err(refused)) => Outcome::Refused(refused.0),
                Err(stopped) => Outcome::Stopped(stopped),
            },
            Source::Relayed(remote) => {
                Outcome::Forwarded(remote.forward(token.to_owned(), body).await)
            }
        }
    }

    /// Now on the wire's time base (the origin's), in Unix ms.
    pub fn now_unix_ms(&self) -> f64 {
        match self {
            Source::Local(handle) => handle.clock().now_unix_ms(),
            Source::Relayed(remote) => remote.now_unix_ms(),
        }
    }

    /// The room's planned start (Unix ms).
    pub fn planned_start_ms(&self) -> Option<i64> {
        match self {
            Source::Local(handle) => handle.show().start.map(|t| t.timestamp_millis()),
            Source::Relayed(remote) => remote.planned_start_ms(),
        }
    }

    /// The current segment's title and the phase.
    pub fn now_line(&self) -> (String, String) {
        match self {
            Source::Local(handle) => {
                let published = handle.subscribe().borrow().clone();
                let snapshot = &published.snapshot;
                // The run-of-show this state was made with (edits change it).
                let title = published
                    .show
                    .segments
                    .get(snapshot.index)
                    .map(|s| s.title.clone())
                    .unwrap_or_default();
                (title, snapshot.phase.as_str().to_owned())
            }
            Source::Relayed(remote) => remote.now_line(),
        }
    }

    /// The journal's health: only the moderator's process has one.
    pub fn journal_health(&self) -> Option<JournalHealth> {
        match self {
            Source::Local(handle) => Some(handle.journal_health()),
            Source::Relayed(_) => None,
        }
    }

    /// The run-of-show, when the room's controller is here (a relay has only its JSON).
    pub fn show(&self) -> Option<&Arc<crate::show::Show>> {
        self.local().map(Handle::show)
    }

    /// The local controller, if the room is served from here.
    pub fn local(&self) -> Option<&Handle> {
        match self {
            Source::Local(handle) => Some(handle),
            Source::Relayed(_) => None,
        }
    }
}
