//! podium keeps live webinar sessions on time: a run-of-show drives a countdown that is broadcast
//! over WebSockets to speaker pages.
//!
//! Crate map:
//! - [`show`]: the run-of-show model, TOML loading and validation, the planned timetable.
//! - [`engine`]: the pure timing state machine (no clock, no I/O).
pub mod engine;
pub mod show;
