//! Server → client over the WebSocket: the `state` message (serialized once per change, the same
//! text for every client), the liveness frame ([`ALIVE`]) and the small per-client replies
//! (`applied`, `pong`, `error`, `bye`).
//! Plain strings out: the server wraps them in its transport's frame type.

use serde::Serialize;

use super::ms;
use crate::clock::Clock;
use crate::engine::Snapshot;
use crate::show::Show;

#[derive(Serialize)]
struct StateMsg<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    server_time_ms: i64,
    title: &'a str,
    phase: &'static str,
    index: usize,
    segments: usize,
    segment: SegmentMsg<'a>,
    remaining_ms: i64,
    ends_at_ms: Option<i64>,
    speed: f64,
    next: Option<NextMsg<'a>>,
    message: &'a str,
    /// When the message on screen was sent, `null` without one: a page flashes or chimes (as
    /// `message_flash`, `message_chime` say) when it changes.
    message_at_ms: Option<i64>,
    message_flash: bool,
    message_chime: bool,
    /// The show has not started a minute after its planned start (a forgotten start).
    start_overdue: bool,
    schedule_offset_ms: i64,
    show_started_at_ms: Option<i64>,
    projected_end_ms: Option<i64>,
    rehearsal: bool,
    target_end_ms: Option<i64>,
    slack_ms: Option<i64>,
    blackout: bool,
    focus: bool,
    speaker_page: SpeakerPageMsg,
    /// How many times the run-of-show was edited: pages refetch `/api/show` when it changes.
    revision: u64,
}

/// What the speaker page shows besides the countdown (the session's `[speaker_page]`).
#[derive(Serialize)]
struct SpeakerPageMsg {
    progress: bool,
    ends_at: bool,
}

#[derive(Serialize)]
struct SegmentMsg<'a> {
    title: &'a str,
    speaker: Option<&'a str>,
    kind: &'static str,
    duration_ms: i64,
    max_ms: Option<i64>,
    warn_ms: i64,
    on_end: &'static str,
}

#[derive(Serialize)]
struct NextMsg<'a> {
    title: &'a str,
    speaker: Option<&'a str>,
}

/// Serializes a snapshot as the `state` message.
pub fn state_json(
    show: &Show,
    clock: &Clock,
    rehearsal: bool,
    seq: u64,
    snap: &Snapshot,
) -> String {
    let seg = &show.segments[snap.index];
    let msg = StateMsg {
        kind: "state",
        seq,
        server_time_ms: clock.unix_ms(snap.at),
        title: &show.title,
        phase: snap.phase.as_str(),
        index: snap.index,
        segments: show.segments.len(),
        segment: SegmentMsg {
            title: &seg.title,
            speaker: seg.speaker.as_deref(),
            kind: seg.kind.as_str(),
            // The current length: planned plus the moderator's adjustments.
            duration_ms: snap.length_ms,
            max_ms: seg.max.map(|m| ms(m) + snap.length_ms - snap.planned_ms),
            warn_ms: ms(seg.warn),
            on_end: seg.on_end.as_str(),
        },
        remaining_ms: snap.remaining_ms,
        ends_at_ms: snap.deadline.map(|d| clock.unix_ms(d)),
        speed: clock.speed(),
        next: show.segments.get(snap.index + 1).map(|n| NextMsg {
            title: &n.title,
            speaker: n.speaker.as_deref(),
        }),
        message: &snap.message,
        message_at_ms: snap.message_at.map(|t| clock.unix_ms(t)),
        message_flash: snap.message_flash,
        message_chime: snap.message_chime,
        start_overdue: snap.start_overdue,
        schedule_offset_ms: snap.schedule_offset_ms,
        show_started_at_ms: snap.show_started.map(|t| clock.unix_ms(t)),
        projected_end_ms: snap.projected_end.map(|t| clock.unix_ms(t)),
        rehearsal,
        target_end_ms: snap.target_end.map(|t| clock.unix_ms(t)),
        slack_ms: snap.slack_ms,
        blackout: snap.blackout,
        focus: snap.focus,
        speaker_page: SpeakerPageMsg {
            progress: show.speaker_page.progress,
            ends_at: show.speaker_page.ends_at,
        },
        revision: snap.revision,
    };
    serde_json::to_string(&msg).expect("state serializes: plain data, no maps with non-string keys")
}

/// Sent on a socket that has had no other text frame for a second: proof that the server and the
/// link are alive (pages cannot see WebSocket pings). It carries nothing else, so an idle
/// viewer costs a few bytes a second instead of a whole state.
pub const ALIVE: &str = r#"{"type":"alive"}"#;

/// Acknowledges a command applied over the socket; the new state follows as usual.
pub fn applied_json(seq: u64) -> String {
    serde_json::json!({"type": "applied", "seq": seq}).to_string()
}

/// The answer to a ping.
pub fn pong_json(id: u64, client_ms: f64, server_ms: f64) -> String {
    serde_json::json!({"type": "pong", "id": id, "client_ms": client_ms, "server_ms": server_ms})
        .to_string()
}

/// An error message for the sender only.
pub fn error_json(error: &str) -> String {
    serde_json::json!({"type": "error", "error": error}).to_string()
}

/// Sent before the server closes sockets on shutdown.
pub fn bye_json(reason: &str) -> String {
    serde_json::json!({"type": "bye", "reason": reason}).to_string()
}
