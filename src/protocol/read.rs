//! The read model: server messages as a client reads them (`podium follow`), only the fields a
//! screen needs; unknown message types and fields are ignored, so a newer server still works.

use serde::Deserialize;

/// A server message as a client reads it (`podium follow`): only what a screen needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMsg {
    State(Box<StateIn>),
    /// Nothing changed, but the server is alive (sent when a socket is otherwise idle).
    Alive,
    Pong {
        client_ms: f64,
        server_ms: f64,
    },
    Bye {
        #[serde(default)]
        reason: String,
    },
    Error {
        #[serde(default)]
        error: String,
    },
    /// A message type this client does not know (a newer server): ignored.
    #[serde(other)]
    Other,
}

/// The `state` message, read side (see `StateMsg` for the fields' meaning).
#[derive(Debug, Clone, Deserialize)]
pub struct StateIn {
    pub seq: u64,
    pub server_time_ms: f64,
    pub title: String,
    pub phase: String,
    pub index: usize,
    pub segments: usize,
    pub segment: SegmentIn,
    pub remaining_ms: f64,
    pub ends_at_ms: Option<f64>,
    pub speed: f64,
    pub next: Option<NextIn>,
    #[serde(default)]
    pub message: String,
    /// The moderator blanked the screens.
    #[serde(default)]
    pub blackout: bool,
    /// The moderator reduced the speaker's screen to the message.
    #[serde(default)]
    pub focus: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SegmentIn {
    pub title: String,
    pub speaker: Option<String>,
    pub duration_ms: f64,
    pub max_ms: Option<f64>,
    pub warn_ms: Option<f64>,
    /// What happens at zero: `overtime` (count up, the default), `stop` or `next`.
    #[serde(default)]
    pub on_end: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NextIn {
    pub title: String,
    pub speaker: Option<String>,
}
