//! Client → server: commands (`POST /api/command` bodies and socket `command` messages, in the
//! wire form the journal also records) and the socket's other client messages (`ping`, `sync`,
//! `auth`), parsed with a refusal a person can act on; and the writers `podium follow` uses for
//! its own pings and sync reports.

use serde::{Deserialize, Serialize};

use crate::engine::{Command, Message, Text};

mod edit;

pub use edit::{MAX_NOTES_CHARS, MAX_TITLE_CHARS};

/// The shortest moderator token: `--token` refuses shorter ones, and so does a journal being
/// resumed. Sixteen characters are 64 bits even when drawn only from hex digits: at the 20,000
/// guesses a second measured against an unthrottled server, finding one would take some 15
/// million years on average, whatever the throttle does. Eight characters, the old minimum,
/// could be a date or a word, found in minutes. The generated token is 128 bits.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The longest message the moderator can send to the speaker, in characters.
pub const MAX_MESSAGE_CHARS: usize = crate::show::MAX_MESSAGE_CHARS;

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
    Goto {
        index: usize,
    },
    Adjust {
        seconds: i64,
    },
    /// `{"cmd":"message","text":"…"}` or `{"cmd":"message","preset":N}` (N from 1), with
    /// `"flash"` and `"chime"` optional.
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        preset: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        flash: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chime: Option<bool>,
    },
    Reset {},
    Fit {},
    Blackout {
        on: bool,
    },
    Focus {
        on: bool,
    },
    /// An edit of the run-of-show: `{"cmd":"edit","op":"set","segment":2,"title":"…"}`.
    Edit(edit::EditBody),
    Undo {},
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
        Command::Message(Message { text, flash, chime }) => {
            let (text, preset) = match text {
                Text::Written(text) => (Some(text), None),
                Text::Preset(n) => (None, Some(n)),
            };
            CommandBody::Message {
                text,
                preset,
                flash,
                chime,
            }
        }
        Command::Reset => CommandBody::Reset {},
        Command::Fit => CommandBody::Fit {},
        Command::Blackout(on) => CommandBody::Blackout { on },
        Command::Focus(on) => CommandBody::Focus { on },
        Command::Edit(edit) => CommandBody::Edit(edit::body_of(edit)),
        Command::Undo => CommandBody::Undo {},
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
        CommandBody::Message {
            text,
            preset,
            flash,
            chime,
        } => {
            let text = match (text, preset) {
                (None, Some(n)) => Text::Preset(n),
                (Some(text), None) => Text::Written(written(&text)?),
                _ => {
                    return Err(
                        "a message has either \"text\" or \"preset\" (a number from 1): send \
                         {\"cmd\":\"message\",\"text\":\"Wrap up\"} or {\"cmd\":\"message\",\"preset\":1}"
                            .into(),
                    );
                }
            };
            Command::Message(Message { text, flash, chime })
        }
        CommandBody::Reset {} => Command::Reset,
        CommandBody::Fit {} => Command::Fit,
        CommandBody::Blackout { on } => Command::Blackout(on),
        CommandBody::Focus { on } => Command::Focus(on),
        CommandBody::Edit(body) => Command::Edit(edit::edit_of(body)?),
        CommandBody::Undo {} => Command::Undo,
    })
}

/// A written message, trimmed, or why it cannot go on the speaker's screen.
fn written(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!(
            "message too long: at most {MAX_MESSAGE_CHARS} characters fit on the speaker's screen"
        ));
    }
    if text.chars().any(char::is_control) {
        return Err("message contains control characters".into());
    }
    Ok(text.to_owned())
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

/// A clock-sync ping (client → server).
pub fn ping_json(id: u64, client_ms: f64) -> String {
    serde_json::json!({"type": "ping", "id": id, "client_ms": client_ms}).to_string()
}

/// A client's clock-sync estimate for the moderator's presence list (client → server).
pub fn sync_json(rtt_ms: f64, offset_ms: f64) -> String {
    serde_json::json!({"type": "sync", "rtt_ms": rtt_ms, "offset_ms": offset_ms}).to_string()
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
        assert_eq!(
            parse_command(br#"{"cmd":"message","preset":2}"#),
            Ok(Command::Message(Message::preset(2)))
        );
        assert_eq!(
            parse_command(br#"{"cmd":"message","text":"Louder","flash":false,"chime":true}"#),
            Ok(Command::Message(Message {
                text: Text::Written("Louder".into()),
                flash: Some(false),
                chime: Some(true),
            }))
        );
        for both_or_neither in [
            &br#"{"cmd":"message","text":"x","preset":1}"#[..],
            br#"{"cmd":"message"}"#,
            br#"{"cmd":"message","flash":true}"#,
        ] {
            let err = parse_command(both_or_neither).unwrap_err();
            assert!(err.contains("either \"text\" or \"preset\""), "{err}");
        }
        for bad in [
            &br#"{"cmd":"message","preset":-1}"#[..],
            br#"{"cmd":"message","preset":"1"}"#,
            br#"{"cmd":"message","text":"x","flash":"yes"}"#,
        ] {
            assert!(parse_command(bad).unwrap_err().starts_with("bad command"));
        }
        for cmd in [
            Command::Message(Message::preset(3)),
            Command::Message(Message {
                text: Text::Written("Wrap up".into()),
                flash: Some(true),
                chime: Some(false),
            }),
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
