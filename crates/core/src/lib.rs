//! podium's pure core: the run-of-show and the timing engine. No tokio, no clock, no sockets, no
//! files: everything here takes its input (text, instants) as arguments, so the compiler keeps it
//! pure (this crate does not depend on tokio) and every rule is testable with explicit data.
//!
//! - [`show`]: the run-of-show model, TOML parsing and validation, the planned timetable, exports.
//! - [`event`]: an event's rooms, each with its run-of-show (a session file is an event of one).
//! - [`engine`]: the timing state machine (deadlines stored, remaining time derived).
//! - [`display`]: the countdown's display rules (digits, phase, words, next change, offsets).
//! - [`text`]: text made safe for a terminal.
pub mod display;
pub mod engine;
pub mod event;
pub mod show;
pub mod text;
