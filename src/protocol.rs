//! The wire types: what goes over HTTP and the WebSocket (see docs/protocol.md). The state is
//! serialized here, once per change, and the same bytes are handed to every client.

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::engine::{Command, Event, Record, Replanned, Snapshot};
use crate::show::Show;

/// The longest message the moderator can send to the speaker, in characters.
pub const MAX_MESSAGE_CHARS: usize = 280;

/// A published state: the snapshot it was made from and its serialized form.
#[derive(Debug)]
pub struct Published {
    pub seq: u64,
    pub snapshot: Snapshot,
    pub json: Utf8Bytes,
}

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
    schedule_offset_ms: i64,
    show_started_at_ms: Option<i64>,
    projected_end_ms: Option<i64>,
    rehearsal: bool,
    target_end_ms: Option<i64>,
    slack_ms: Option<i64>,
    blackout: bool,
    focus: bool,
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

fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Serializes a snapshot as the `state` message.
pub fn state_json(
    show: &Show,
    clock: &Clock,
    rehearsal: bool,
    seq: u64,
    snap: &Snapshot,
) -> Utf8Bytes {
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
        schedule_offset_ms: snap.schedule_offset_ms,
        show_started_at_ms: snap.show_started.map(|t| clock.unix_ms(t)),
        projected_end_ms: snap.projected_end.map(|t| clock.unix_ms(t)),
        rehearsal,
        target_end_ms: snap.target_end.map(|t| clock.unix_ms(t)),
        slack_ms: snap.slack_ms,
        blackout: snap.blackout,
        focus: snap.focus,
    };
    serde_json::to_string(&msg)
        .expect("state serializes: plain data, no maps with non-string keys")
        .into()
}

/// A command as sent to `POST /api/command`.
// Unit-like commands are empty struct variants so that unknown keys are refused for them too.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase", deny_unknown_fields)]
enum CommandBody {
    Start {},
    Pause {},
    Resume {},
    Toggle {},
    Next {},
    Previous {},
    Goto { index: usize },
    Adjust { seconds: i64 },
    Message { text: String },
    Reset {},
    Fit {},
    Blackout { on: bool },
    Focus { on: bool },
}

/// A command in its wire form (`{"cmd":"adjust","seconds":60}`), as the journal records it.
pub fn command_json(cmd: &Command) -> serde_json::Value {
    let body = match cmd.clone() {
        Command::Start => CommandBody::Start {},
        Command::Pause => CommandBody::Pause {},
        Command::Resume => CommandBody::Resume {},
        Command::Toggle => CommandBody::Toggle {},
        Command::Next => CommandBody::Next {},
        Command::Previous => CommandBody::Previous {},
        Command::Goto(index) => CommandBody::Goto { index },
        Command::Adjust(seconds) => CommandBody::Adjust { seconds },
        Command::Message(text) => CommandBody::Message { text },
        Command::Reset => CommandBody::Reset {},
        Command::Fit => CommandBody::Fit {},
        Command::Blackout(on) => CommandBody::Blackout { on },
        Command::Focus(on) => CommandBody::Focus { on },
    };
    serde_json::to_value(body).expect("a command serializes")
}

/// Parses a command body, refusing with a reason a person can act on.
pub fn parse_command(body: &[u8]) -> Result<Command, String> {
    let body: CommandBody = serde_json::from_slice(body).map_err(|e| {
        format!("bad command: {e}; send e.g. {{\"cmd\":\"next\"}} or {{\"cmd\":\"adjust\",\"seconds\":60}}")
    })?;
    command_of(body)
}

fn command_of(body: CommandBody) -> Result<Command, String> {
    Ok(match body {
        CommandBody::Start {} => Command::Start,
        CommandBody::Pause {} => Command::Pause,
        CommandBody::Resume {} => Command::Resume,
        CommandBody::Toggle {} => Command::Toggle,
        CommandBody::Next {} => Command::Next,
        CommandBody::Previous {} => Command::Previous,
        CommandBody::Goto { index } => Command::Goto(index),
        CommandBody::Adjust { seconds } => Command::Adjust(seconds),
        CommandBody::Message { text } => {
            let text = text.trim();
            if text.chars().count() > MAX_MESSAGE_CHARS {
                return Err(format!(
                    "message too long: at most {MAX_MESSAGE_CHARS} characters fit on the speaker's screen"
                ));
            }
            if text.chars().any(char::is_control) {
                return Err("message contains control characters".into());
            }
            Command::Message(text.to_owned())
        }
        CommandBody::Reset {} => Command::Reset,
        CommandBody::Fit {} => Command::Fit,
        CommandBody::Blackout { on } => Command::Blackout(on),
        CommandBody::Focus { on } => Command::Focus(on),
    })
}

/// What a client may send over the socket.
#[derive(Debug, PartialEq)]
pub enum ClientMsg {
    /// Clock sync, from anyone.
    Ping { id: u64, client_ms: f64 },
    /// The client's current clock-sync estimate, for the moderator's list of screens.
    Sync { rtt_ms: f64, offset_ms: f64 },
    /// A moderator command; the server checks `token` before anything else happens.
    Command { token: String, command: Command },
    /// The moderator's page shows the token, so that the list of screens calls it the moderator.
    Auth { token: String },
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum ClientHead {
    Ping { id: u64, client_ms: f64 },
    Sync { rtt_ms: f64, offset_ms: f64 },
    Auth { token: String },
}

/// Parses one text message from a client, refusing with a reason a person can act on.
pub fn parse_client_msg(text: &str) -> Result<ClientMsg, String> {
    const USAGE: &str = "viewers may send {\"type\":\"ping\",\"id\":1,\"client_ms\":0} \
                         (and {\"type\":\"sync\",\"rtt_ms\":1,\"offset_ms\":0}); \
                         the moderator {\"type\":\"command\",\"token\":\"…\",\"cmd\":\"next\"}";
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| format!("unusable message ({e}); {USAGE}"))?;
    if map.get("type").and_then(|t| t.as_str()) != Some("command") {
        let head: ClientHead = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| format!("unusable message ({e}); {USAGE}"))?;
        return Ok(match head {
            ClientHead::Ping { id, client_ms } => ClientMsg::Ping { id, client_ms },
            ClientHead::Sync { rtt_ms, offset_ms } => ClientMsg::Sync { rtt_ms, offset_ms },
            ClientHead::Auth { token } => ClientMsg::Auth { token },
        });
    }
    map.remove("type");
    let token = match map.remove("token") {
        Some(serde_json::Value::String(token)) => token,
        Some(_) => return Err("\"token\" must be a string".into()),
        None => {
            return Err("commands need the moderator token: add \"token\":\"…\"".into());
        }
    };
    let body: CommandBody = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| format!("bad command: {e}; send e.g. {{\"type\":\"command\",\"token\":\"…\",\"cmd\":\"next\"}}"))?;
    Ok(ClientMsg::Command {
        token,
        command: command_of(body)?,
    })
}

/// Acknowledges a command applied over the socket; the new state follows as usual.
pub fn applied_json(seq: u64) -> Utf8Bytes {
    serde_json::json!({"type": "applied", "seq": seq})
        .to_string()
        .into()
}

/// The answer to a ping.
pub fn pong_json(id: u64, client_ms: f64, server_ms: f64) -> Utf8Bytes {
    serde_json::json!({"type": "pong", "id": id, "client_ms": client_ms, "server_ms": server_ms})
        .to_string()
        .into()
}

/// An error message for the sender only.
pub fn error_json(error: &str) -> Utf8Bytes {
    serde_json::json!({"type": "error", "error": error})
        .to_string()
        .into()
}

/// Sent before the server closes sockets on shutdown.
pub fn bye_json(reason: &str) -> Utf8Bytes {
    serde_json::json!({"type": "bye", "reason": reason})
        .to_string()
        .into()
}

/// A server message as a client reads it (`podium follow`): only what a screen needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ServerMsg {
    State(Box<StateIn>),
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

/// A clock-sync ping (client → server).
pub fn ping_json(id: u64, client_ms: f64) -> String {
    serde_json::json!({"type": "ping", "id": id, "client_ms": client_ms}).to_string()
}

/// A client's clock-sync estimate for the moderator's presence list (client → server).
pub fn sync_json(rtt_ms: f64, offset_ms: f64) -> String {
    serde_json::json!({"type": "sync", "rtt_ms": rtt_ms, "offset_ms": offset_ms}).to_string()
}

/// Whether the run's record is on disk, for the moderator (`journal` in `GET /api/presence`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalHealth {
    /// Everything recorded so far is on disk (always true for an unrecorded run).
    pub ok: bool,
    /// The journal file, if the run is recorded.
    pub path: Option<String>,
    /// Lines waiting in memory for the disk.
    pub pending: usize,
    /// Lines given up because too many were waiting.
    pub dropped: usize,
    /// Unix ms of the first failed write of the current trouble.
    pub failing_since_ms: Option<i64>,
    /// The last write error.
    pub error: Option<String>,
}

impl JournalHealth {
    /// A healthy record at `path` (or no record).
    pub fn ok(path: Option<String>) -> JournalHealth {
        JournalHealth {
            ok: true,
            path,
            pending: 0,
            dropped: 0,
            failing_since_ms: None,
            error: None,
        }
    }
}

/// The run-of-show for the moderator (`GET /api/show`).
#[derive(Serialize)]
pub struct ShowInfo {
    title: String,
    timezone: String,
    planned_start: Option<String>,
    segments: Vec<SegmentInfo>,
    /// What the last `fit` changed, `null` if nothing was fitted since the start or a reset.
    last_fit: Option<FitInfo>,
}

#[derive(Serialize)]
struct FitInfo {
    summary: String,
    changes: Vec<FitChange>,
    short_ms: i64,
}

#[derive(Serialize)]
struct FitChange {
    index: usize,
    title: String,
    from_ms: i64,
    to_ms: i64,
}

#[derive(Serialize)]
struct SegmentInfo {
    index: usize,
    title: String,
    speaker: Option<String>,
    kind: &'static str,
    duration_ms: i64,
    max_ms: Option<i64>,
    warn_ms: i64,
    notes: Option<String>,
    planned_offset_ms: i64,
    actual_start_ms: Option<i64>,
    actual_end_ms: Option<i64>,
    /// The planned length now (after `fit` and adjustments of the current segment).
    replanned_ms: i64,
    /// When the segment is projected to start (current segment: when it started), `null` for
    /// segments already left.
    projected_start_ms: Option<i64>,
}

/// The run-of-show for everyone (`GET /api/agenda`): what `/api/show` says minus the moderator's
/// notes and the segments' limits.
#[derive(Serialize)]
pub struct Agenda {
    title: String,
    timezone: String,
    planned_start: Option<String>,
    segments: Vec<AgendaItem>,
}

#[derive(Serialize)]
struct AgendaItem {
    index: usize,
    title: String,
    speaker: Option<String>,
    kind: &'static str,
    duration_ms: i64,
    planned_offset_ms: i64,
    actual_start_ms: Option<i64>,
    actual_end_ms: Option<i64>,
}

impl From<ShowInfo> for Agenda {
    fn from(info: ShowInfo) -> Agenda {
        Agenda {
            title: info.title,
            timezone: info.timezone,
            planned_start: info.planned_start,
            segments: info
                .segments
                .into_iter()
                .map(|s| AgendaItem {
                    index: s.index,
                    title: s.title,
                    speaker: s.speaker,
                    kind: s.kind,
                    // What is planned now: after `fit`, and the current segment's adjustments.
                    duration_ms: s.replanned_ms,
                    planned_offset_ms: s.planned_offset_ms,
                    actual_start_ms: s.actual_start_ms,
                    actual_end_ms: s.actual_end_ms,
                })
                .collect(),
        }
    }
}

/// The moderator's view of the show: `replan` is [`crate::engine::Engine::replan`], `last_fit`
/// the latest [`Event::Fitted`].
pub fn show_info(
    show: &Show,
    clock: &Clock,
    records: &[Record],
    replan: &[Replanned],
    last_fit: Option<&Event>,
) -> ShowInfo {
    ShowInfo {
        title: show.title.clone(),
        timezone: show.timezone.name().to_owned(),
        planned_start: show
            .start
            .map(|s| s.with_timezone(&show.timezone).to_rfc3339()),
        segments: show
            .segments
            .iter()
            .zip(records)
            .enumerate()
            .map(|(index, (seg, rec))| SegmentInfo {
                index,
                title: seg.title.clone(),
                speaker: seg.speaker.clone(),
                kind: seg.kind.as_str(),
                duration_ms: ms(seg.duration),
                max_ms: seg.max.map(ms),
                warn_ms: ms(seg.warn),
                notes: seg.notes.clone(),
                planned_offset_ms: ms(show.planned_offset(index)),
                actual_start_ms: rec.started.map(|t| clock.unix_ms(t)),
                actual_end_ms: rec.ended.map(|t| clock.unix_ms(t)),
                replanned_ms: replan.get(index).map_or(ms(seg.duration), |r| r.length_ms),
                projected_start_ms: replan
                    .get(index)
                    .and_then(|r| r.start)
                    .map(|t| clock.unix_ms(t)),
            })
            .collect(),
        last_fit: match last_fit {
            Some(event @ Event::Fitted { changes, short_ms }) => Some(FitInfo {
                summary: crate::alerts::describe(show, event)
                    .map(|a| format!("{} — {}", a.summary, a.body))
                    .unwrap_or_default(),
                changes: changes
                    .iter()
                    .map(|c| FitChange {
                        index: c.index,
                        title: show.segments[c.index].title.clone(),
                        from_ms: c.from_ms,
                        to_ms: c.to_ms,
                    })
                    .collect(),
                short_ms: *short_ms,
            }),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_garbage_is_refused_with_a_reason() {
        assert_eq!(parse_command(br#"{"cmd":"next"}"#), Ok(Command::Next));
        assert_eq!(
            parse_command(br#"{"cmd":"adjust","seconds":-60}"#),
            Ok(Command::Adjust(-60))
        );
        assert_eq!(parse_command(br#"{"cmd":"fit"}"#), Ok(Command::Fit));
        assert_eq!(
            parse_command(br#"{"cmd":"goto","index":3}"#),
            Ok(Command::Goto(3))
        );
        assert_eq!(
            parse_command(br#"{"cmd":"message","text":" Wrap up "}"#),
            Ok(Command::Message("Wrap up".into()))
        );
        for bad in [
            &b"not json"[..],
            br#"{"cmd":"dance"}"#,
            br#"{"cmd":"goto"}"#,
            br#"{"cmd":"goto","index":-1}"#,
            br#"{"cmd":"adjust","seconds":1e400}"#,
            br#"{"cmd":"next","extra":1}"#,
            br#"{"cmd":"fit","to":"17:00"}"#,
            br#"{"cmd":"blackout"}"#,
            br#"{"cmd":"focus","on":"yes"}"#,
            br#"[]"#,
        ] {
            let err = parse_command(bad).unwrap_err();
            assert!(err.starts_with("bad command"), "{err}");
        }
        for cmd in [
            Command::Start,
            Command::Goto(2),
            Command::Adjust(-30),
            Command::Message("Wrap up".into()),
            Command::Reset,
            Command::Blackout(true),
            Command::Focus(false),
        ] {
            let json = command_json(&cmd).to_string();
            assert_eq!(parse_command(json.as_bytes()), Ok(cmd), "{json}");
        }
        let long = format!(r#"{{"cmd":"message","text":"{}"}}"#, "x".repeat(281));
        assert!(
            parse_command(long.as_bytes())
                .unwrap_err()
                .contains("too long")
        );
    }
}
