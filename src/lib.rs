//! podium keeps live webinar sessions on time: a run-of-show drives a countdown that is broadcast
//! over WebSockets to speaker pages.
//!
//! Crate map (see ARCHITECTURE.md):
//! - [`show`]: the run-of-show model, TOML loading and validation, the planned timetable
//!   (pure, in `podium-core`; reading the file here).
//! - [`import`]: CSV and plain-text agendas into session files.
//! - [`engine`]: the pure timing state machine (no clock, no I/O; in `podium-core`).
//! - [`clock`]: the only reader of time; show time, speed, Unix milliseconds.
//! - [`controller`]: the one task that owns the engine and publishes serialized states.
//! - [`live`]: one live run: journal, listener, wiring, shutdown, report.
//! - [`journal`]: the record of a run, replayed to resume.
//! - [`osc`]: OSC commands in and the countdown out, over UDP (desks, QLab, vMix).
//! - [`protocol`]: the wire types, serialized once per change.
//! - [`report`]: planned-versus-actual reports from journals.
//! - [`nats`]: the optional link over NATS: origin publishing, relays, the standby.
//! - [`server`]: HTTP routes, WebSocket connections, embedded pages.
//! - [`session_file`]: the edited run-of-show written back to its file; the file watched.
//! - [`console`]: the moderator's terminal.
//! - [`follow`]: `podium follow`, the speaker view in a terminal (clock sync, display rules).
//! - [`alerts`]: alert texts and desktop notifications.
//! - [`cli`]: command-line definitions.
//! - [`config`]: `podium run`'s arguments validated into one config before anything starts.
//! - [`exit`]: the exit status each error ends a command with.
//! - [`term`]: text made safe for a terminal; output that may have gone away.
pub mod alerts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod controller;
pub mod exit;
pub mod follow;
pub mod import;
pub mod journal;
pub mod live;
pub mod nats;
pub mod osc;
pub mod protocol;
pub mod report;
pub mod server;
pub mod session_file;
pub mod show;
pub mod term;

/// The pure timing state machine, from `podium-core`.
pub use podium_core::engine;
