//! The wire form of run-of-show edits (`{"cmd":"edit","op":…}`), both ways: parsed with a reason
//! a person can act on, and written back exactly (the journal records this form and replays it).
//! Lengths are written as in the session file ("8m", "1h 30m", "90s").
//!
//! - `{"op":"set","segment":2,"title":"…","speaker":"…","kind":"qa","duration":"12m","min":"10m",
//!   "max":"15m","warn":"1m"}`: any of the fields; `"speaker":""` and `"min":null`/`"max":null`
//!   remove them;
//! - `{"op":"insert","at":3,"segment":{"title":"Break","duration":"10m",…}}`;
//! - `{"op":"delete","segment":3}`, `{"op":"move","segment":5,"to":3}`;
//! - `{"op":"upcoming","from":2,"segments":[…]}`: the segments not yet started, as the session
//!   file now has them.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::engine::{Changes, Edit};
use crate::show::{DEFAULT_WARN, Kind, OnEnd, Segment, parse_time_of_day};

/// The longest title or speaker name an edit may give, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest notes an inserted segment may carry, in characters.
pub const MAX_NOTES_CHARS: usize = 4000;
/// The most segments an `upcoming` edit may give.
const MAX_SEGMENTS: usize = 1000;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub(super) enum EditBody {
    Set {
        segment: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Empty removes the speaker.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        speaker: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<Kind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<String>,
        /// `null` removes it.
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        min: Option<Option<String>>,
        #[serde(
            default,
            deserialize_with = "present",
            skip_serializing_if = "Option::is_none"
        )]
        max: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warn: Option<String>,
    },
    Insert {
        at: usize,
        segment: SegmentBody,
    },
    Delete {
        segment: usize,
    },
    Move {
        segment: usize,
        to: usize,
    },
    Upcoming {
        from: usize,
        segments: Vec<SegmentBody>,
    },
}

/// A whole segment, as in a `[[segment]]` of the session file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SegmentBody {
    title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    speaker: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<Kind>,
    duration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<String>,
    /// Absent: the built-in warning, halved for a segment shorter than it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    warn: Option<String>,
    /// A time of day, "15:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    on_end: Option<OnEnd>,
    /// Starts by itself at its `at`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    auto_start: bool,
}

/// A field that is present, even as `null`: `Some(None)`; absent (by `default`): `None`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// "12m" as a length of whole seconds, at most a day (`zero_ok` for a warning).
fn length(key: &str, text: &str, zero_ok: bool) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim()).map_err(|_| {
        format!("{key} {text:?} is not a length: write it like \"8m\", \"1h 30m\" or \"90s\"")
    })?;
    if d.subsec_nanos() != 0 {
        return Err(format!(
            "{key} {text:?} has a fraction of a second: give whole seconds"
        ));
    }
    if d > crate::engine::MAX_EDIT_LENGTH {
        return Err(format!(
            "{key} {text:?} is longer than a day: at most \"24h\""
        ));
    }
    if d.is_zero() && !zero_ok {
        return Err(format!("{key} must be longer than zero: e.g. \"15m\""));
    }
    Ok(d)
}

fn text(key: &str, value: &str, max: usize) -> Result<String, String> {
    if value.chars().count() > max {
        return Err(format!("{key} is too long: at most {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(format!("{key} contains control characters"));
    }
    Ok(value.trim().to_owned())
}

fn written(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn segment_of(body: SegmentBody) -> Result<Segment, String> {
    let duration = length("duration", &body.duration, false)?;
    let title = text("title", &body.title, MAX_TITLE_CHARS)?;
    if title.contains('\n') {
        return Err("title is one line".into());
    }
    let speaker = match body.speaker {
        Some(s) => Some(text("speaker", &s, MAX_TITLE_CHARS)?).filter(|s| !s.is_empty()),
        None => None,
    };
    let warn = match body.warn {
        Some(w) => length("warn", &w, true)?,
        None if DEFAULT_WARN >= duration => duration / 2,
        None => DEFAULT_WARN,
    };
    let at = match body.at {
        Some(a) => Some(
            parse_time_of_day(&a)
                .ok_or_else(|| format!("at {a:?} is not a time of day: write it like \"15:00\""))?,
        ),
        None => None,
    };
    let segment = Segment {
        title,
        speaker,
        kind: body.kind.unwrap_or(Kind::Talk),
        duration,
        min: body.min.map(|m| length("min", &m, false)).transpose()?,
        max: body.max.map(|m| length("max", &m, false)).transpose()?,
        at,
        warn,
        notes: match body.notes {
            Some(n) => Some(text("notes", &n, MAX_NOTES_CHARS)?).filter(|n| !n.is_empty()),
            None => None,
        },
        on_end: body.on_end.unwrap_or_default(),
        auto_start: body.auto_start,
    };
    if segment.auto_start && segment.at.is_none() {
        return Err(
            "auto_start needs an `at`: the time of day the segment starts by itself".into(),
        );
    }
    crate::engine::check_segment(&segment)?;
    Ok(segment)
}

fn body_of_segment(seg: Segment) -> SegmentBody {
    SegmentBody {
        title: seg.title,
        speaker: seg.speaker,
        kind: Some(seg.kind),
        duration: written(seg.duration),
        min: seg.min.map(written),
        max: seg.max.map(written),
        warn: Some(written(seg.warn)),
        at: seg.at.map(|a| a.format("%H:%M:%S").to_string()),
        notes: seg.notes,
        on_end: Some(seg.on_end),
        auto_start: seg.auto_start,
    }
}

/// The edit a body asks for, or why it cannot be one.
pub(super) fn edit_of(body: EditBody) -> Result<Edit, String> {
    let bad = |why: String| format!("bad edit: {why}");
    Ok(match body {
        EditBody::Set {
            segment,
            title,
            speaker,
            kind,
            duration,
            min,
            max,
            warn,
        } => {
            let changes = Changes {
                title: match title {
                    Some(t) if t.contains('\n') => return Err(bad("title is one line".into())),
                    Some(t) => Some(text("title", &t, MAX_TITLE_CHARS).map_err(bad)?),
                    None => None,
                },
                speaker: match speaker {
                    Some(s) => Some(
                        Some(text("speaker", &s, MAX_TITLE_CHARS).map_err(bad)?)
                            .filter(|s| !s.is_empty()),
                    ),
                    None => None,
                },
                kind,
                duration: duration
                    .map(|d| length("duration", &d, false))
                    .transpose()
                    .map_err(bad)?,
                min: min
                    .map(|m| m.map(|m| length("min", &m, false)).transpose())
                    .transpose()
                    .map_err(bad)?,
                max: max
                    .map(|m| m.map(|m| length("max", &m, false)).transpose())
                    .transpose()
                    .map_err(bad)?,
                warn: warn
                    .map(|w| length("warn", &w, true))
                    .transpose()
                    .map_err(bad)?,
            };
            Edit::Set { segment, changes }
        }
        EditBody::Insert { at, segment } => Edit::Insert {
            at,
            segment: Box::new(segment_of(segment).map_err(bad)?),
        },
        EditBody::Delete { segment } => Edit::Delete { segment },
        EditBody::Move { segment, to } => Edit::Move { segment, to },
        EditBody::Upcoming { from, segments } => {
            if segments.len() > MAX_SEGMENTS {
                return Err(bad(format!("at most {MAX_SEGMENTS} segments")));
            }
            Edit::Upcoming {
                from,
                segments: segments
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| {
                        segment_of(s).map_err(|why| bad(format!("segment {}: {why}", from + i)))
                    })
                    .collect::<Result<_, _>>()?,
            }
        }
    })
}

/// The wire form of an edit.
pub(super) fn body_of(edit: Edit) -> EditBody {
    match edit {
        Edit::Set { segment, changes } => EditBody::Set {
            segment,
            title: changes.title,
            speaker: changes.speaker.map(Option::unwrap_or_default),
            kind: changes.kind,
            duration: changes.duration.map(written),
            min: changes.min.map(|m| m.map(written)),
            max: changes.max.map(|m| m.map(written)),
            warn: changes.warn.map(written),
        },
        Edit::Insert { at, segment } => EditBody::Insert {
            at,
            segment: body_of_segment(*segment),
        },
        Edit::Delete { segment } => EditBody::Delete { segment },
        Edit::Move { segment, to } => EditBody::Move { segment, to },
        Edit::Upcoming { from, segments } => EditBody::Upcoming {
            from,
            segments: segments.into_iter().map(body_of_segment).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::{command_json, parse_command};
    use crate::engine::{Changes, Command, Edit};
    use crate::show::{Kind, OnEnd, Segment};
    use std::time::Duration;

    /// The journal records an edit in its wire form and replays it: every edit reads back equal.
    #[test]
    fn edits_round_trip_through_their_wire_form() {
        let segment = Segment {
            title: "Coffee".into(),
            speaker: Some("Urn".into()),
            kind: Kind::Break,
            duration: Duration::from_secs(5430),
            max: Some(Duration::from_secs(6000)),
            min: Some(Duration::from_secs(60)),
            at: chrono::NaiveTime::from_hms_opt(15, 30, 0),
            warn: Duration::ZERO,
            notes: Some("two\tlines\nhere".into()),
            on_end: OnEnd::Stop,
            auto_start: true,
        };
        for edit in [
            Edit::Set {
                segment: 2,
                changes: Changes {
                    title: Some("T".into()),
                    speaker: Some(None),
                    kind: Some(Kind::Qa),
                    duration: Some(Duration::from_secs(90)),
                    min: Some(None),
                    max: Some(Some(Duration::from_secs(3600))),
                    warn: Some(Duration::from_secs(30)),
                },
            },
            Edit::Set {
                segment: 0,
                changes: Changes {
                    speaker: Some(Some("Ana".into())),
                    ..Changes::default()
                },
            },
            Edit::Insert {
                at: 3,
                segment: Box::new(segment.clone()),
            },
            Edit::Delete { segment: 1 },
            Edit::Move { segment: 4, to: 2 },
            Edit::Upcoming {
                from: 1,
                segments: vec![segment.clone(), segment],
            },
        ] {
            let cmd = Command::Edit(edit);
            let json = command_json(&cmd).to_string();
            assert_eq!(parse_command(json.as_bytes()), Ok(cmd), "{json}");
        }
        let undo = command_json(&Command::Undo).to_string();
        assert_eq!(undo, r#"{"cmd":"undo"}"#);
        assert_eq!(parse_command(undo.as_bytes()), Ok(Command::Undo));
    }

    #[test]
    fn bad_edits_say_what_is_wrong() {
        for (body, says) in [
            (
                r#"{"cmd":"edit","op":"set","segment":1,"duration":"soon"}"#,
                "not a length",
            ),
            (
                r#"{"cmd":"edit","op":"set","segment":1,"title":"a\nb"}"#,
                "one line",
            ),
            (
                r#"{"cmd":"edit","op":"set","segment":1,"warn":"25h"}"#,
                "longer than a day",
            ),
            (
                r#"{"cmd":"edit","op":"set","segment":1,"min":"0s"}"#,
                "longer than zero",
            ),
            (
                r#"{"cmd":"edit","op":"insert","at":1,"segment":{"title":"x","duration":"5m","auto_start":true}}"#,
                "needs an `at`",
            ),
            (
                r#"{"cmd":"edit","op":"insert","at":1,"segment":{"title":"x","duration":"5m","at":"25:00"}}"#,
                "not a time of day",
            ),
            (
                r#"{"cmd":"edit","op":"move","segment":1}"#,
                "missing field `to`",
            ),
            (r#"{"cmd":"undo","segment":1}"#, "unknown field"),
        ] {
            let why = parse_command(body.as_bytes()).expect_err(body);
            assert!(why.contains(says), "{body}: {why}");
        }
        let long = format!(
            r#"{{"cmd":"edit","op":"set","segment":1,"title":"{}"}}"#,
            "x".repeat(201)
        );
        assert!(
            parse_command(long.as_bytes())
                .unwrap_err()
                .contains("too long")
        );
    }
}
