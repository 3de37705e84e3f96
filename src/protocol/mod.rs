//! The wire types (contract: docs/protocol.md), one module per role:
//! - [`state`]: server → client over the socket: the `state` message, serialized once per change,
//!   the liveness frame (`alive`) and the small replies (`applied`, `pong`, `error`, `bye`);
//! - [`client`]: client → server: commands and the socket's client messages, parsed with reasons;
//! - [`api`]: the HTTP API's shapes (`/api/show`, `/api/agenda`, the journal's health);
//! - [`read`]: the read model a client (`podium follow`) parses server messages into.
//!
//! Everything is plain data and strings: no transport (axum, tungstenite) type appears here.

pub mod api;
pub mod client;
pub mod read;
pub mod state;

pub use api::{Agenda, FitSummary, JournalHealth, ShowInfo, show_info};
pub use client::{
    ClientMsg, MAX_MESSAGE_CHARS, MIN_TOKEN_CHARS, command_json, parse_client_msg, parse_command,
    ping_json, sync_json,
};
pub use read::{NextIn, SegmentIn, ServerMsg, StateIn};
pub use state::{ALIVE, applied_json, bye_json, error_json, pong_json, state_json};

/// Milliseconds of a duration as the wire's integer (saturating).
pub(crate) fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
